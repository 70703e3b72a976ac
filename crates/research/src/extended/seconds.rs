//! One-second sampling of the target's mid price and signed traded notional, shared by Kyle's
//! lambda and the realized kernel. Mid = (bid + ask)/2 of the latest uncrossed quote; before
//! the first quote, the last trade price stands in. A trade's sign is its venue aggressor
//! label, else the quote rule against the current mid (above → buy, below → sell, at → 0).
//!
//! [`SampledSeconds`] is the minute state both features share: the sampler feeds each closed
//! second to a rolling [`SecondEstimator`], a gap drops its window, and a minute's value is the
//! estimate once the window holds enough samples.

use auction_trader_types::{AggressorSide, MarketEvent, NANOS_PER_SECOND, UnixNanos};

use super::minute::{MinuteRoller, MinuteState, is_target_quote_or_trade, or_nan, raw_to_f64};

/// One closed second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SecondSample {
    /// Mid at the start and the end of the second (None before the first price).
    pub(crate) start_mid: Option<f64>,
    pub(crate) end_mid: Option<f64>,
    /// Buy − sell notional in quote currency.
    pub(crate) signed_notional: f64,
}

impl SecondSample {
    /// ln(end/start), None unless both mids exist.
    pub(crate) fn log_return(&self) -> Option<f64> {
        match (self.start_mid, self.end_mid) {
            (Some(start), Some(end)) if start > 0.0 && end > 0.0 => Some((end / start).ln()),
            _ => None,
        }
    }
}

/// What [`SecondSampler::advance`] asks the owner to do.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum SecondStep {
    Sample(SecondSample),
    /// More than `max_gap_seconds` passed without events: drop the window.
    Reset,
}

#[derive(Debug, Clone)]
pub(crate) struct SecondSampler {
    second_end: Option<UnixNanos>,
    quote_mid: Option<f64>,
    trade_price: Option<f64>,
    start_mid: Option<f64>,
    signed_notional: f64,
    max_gap_seconds: i64,
}

impl SecondSampler {
    pub(crate) fn new(max_gap_seconds: i64) -> Self {
        Self {
            second_end: None,
            quote_mid: None,
            trade_price: None,
            start_mid: None,
            signed_notional: 0.0,
            max_gap_seconds,
        }
    }

    pub(crate) fn mid(&self) -> Option<f64> {
        self.quote_mid.or(self.trade_price)
    }

    /// Closes every second ending at or before `now`, passing each to `step`.
    pub(crate) fn advance(&mut self, now: UnixNanos, mut step: impl FnMut(SecondStep)) {
        let Some(mut end) = self.second_end else {
            self.second_end = Some(
                now.floor_to(NANOS_PER_SECOND)
                    .saturating_add_nanos(NANOS_PER_SECOND),
            );
            self.start_mid = self.mid();
            return;
        };
        if now.as_i64() - end.as_i64() > self.max_gap_seconds * NANOS_PER_SECOND {
            step(SecondStep::Reset);
            self.signed_notional = 0.0;
            self.start_mid = self.mid();
            self.second_end = Some(
                now.floor_to(NANOS_PER_SECOND)
                    .saturating_add_nanos(NANOS_PER_SECOND),
            );
            return;
        }
        while now >= end {
            let end_mid = self.mid();
            step(SecondStep::Sample(SecondSample {
                start_mid: self.start_mid,
                end_mid,
                signed_notional: std::mem::take(&mut self.signed_notional),
            }));
            self.start_mid = end_mid;
            end = end.saturating_add_nanos(NANOS_PER_SECOND);
        }
        self.second_end = Some(end);
    }

    /// Applies an event of the target instrument (call [`Self::advance`] first).
    pub(crate) fn apply(&mut self, event: &MarketEvent) {
        match event {
            MarketEvent::Quote(quote) => {
                let (bid, ask) = (quote.bid_price.raw(), quote.ask_price.raw());
                if bid > 0 && ask > bid {
                    self.quote_mid = Some((raw_to_f64(bid) + raw_to_f64(ask)) / 2.0);
                }
            }
            MarketEvent::Trade(trade) => {
                let price = raw_to_f64(trade.price.raw());
                let size = raw_to_f64(trade.size.raw());
                if price <= 0.0 || size <= 0.0 {
                    return;
                }
                let sign = match trade.aggressor {
                    AggressorSide::Buy => 1.0,
                    AggressorSide::Sell => -1.0,
                    AggressorSide::Unknown => match self.mid() {
                        Some(mid) if price > mid => 1.0,
                        Some(mid) if price < mid => -1.0,
                        _ => 0.0,
                    },
                };
                self.signed_notional += sign * price * size;
                self.trade_price = Some(price);
            }
            _ => {}
        }
    }
}

/// A rolling estimator over the sampled seconds of the trailing window.
pub(crate) trait SecondEstimator {
    /// Takes one closed second.
    fn push_sample(&mut self, sample: &SecondSample);
    /// Drops the window (after a gap of more than the window without events).
    fn clear(&mut self);
    /// Samples in the window.
    fn len(&self) -> usize;
    /// The estimate over the window.
    fn estimate(&self) -> Option<f64>;
}

/// Minute state of a one-column feature on sampled seconds: the value of a minute is the
/// estimate at its close, defined from `min_samples` samples in the window.
#[derive(Debug, Clone)]
pub(crate) struct SampledSeconds<E> {
    pub(crate) sampler: SecondSampler,
    pub(crate) estimator: E,
    min_samples: usize,
}

impl<E: SecondEstimator> SampledSeconds<E> {
    /// Sampling resets after `window_seconds` without events.
    pub(crate) fn new(window_seconds: usize, estimator: E, min_samples: usize) -> Self {
        Self {
            sampler: SecondSampler::new(window_seconds as i64),
            estimator,
            min_samples,
        }
    }

    /// Closes every second ending at or before `now` into the estimator.
    pub(crate) fn advance(&mut self, now: UnixNanos) {
        let estimator = &mut self.estimator;
        self.sampler.advance(now, |step| match step {
            SecondStep::Sample(sample) => estimator.push_sample(&sample),
            SecondStep::Reset => estimator.clear(),
        });
    }

    /// The shared `on_event`: a quote or trade of the target closes the elapsed minutes and
    /// seconds (in that order, so a minute sees only earlier events), then is applied.
    pub(crate) fn on_event(
        roller: &mut MinuteRoller<Self>,
        instrument: usize,
        event: &MarketEvent,
    ) {
        if !is_target_quote_or_trade(instrument, event) {
            return;
        }
        let now = event.ts_recv();
        roller.advance(now);
        roller.state.advance(now);
        roller.state.sampler.apply(event);
    }

    /// The shared `on_minute`: the value of the minute closing at `close`, NaN when undefined.
    pub(crate) fn minute_value(roller: &mut MinuteRoller<Self>, close: UnixNanos) -> f64 {
        or_nan(roller.take(close).flatten())
    }
}

impl<E: SecondEstimator> MinuteState for SampledSeconds<E> {
    type Closed = Option<f64>;

    fn close_minute(&mut self, end: UnixNanos) -> Option<f64> {
        self.advance(end);
        (self.estimator.len() >= self.min_samples)
            .then(|| self.estimator.estimate())
            .flatten()
    }
}
