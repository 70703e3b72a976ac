//! Funding features of the target (SPEC 2.6 "funding z-score, time to funding, pre-funding
//! window flag, deviation from funding-parity fair value"), from its `Funding` events:
//! - `funding_rate_zscore`: the latest rate against the SETTLED rates of the previous funding
//!   periods (the last rate received for each `next_funding_time`; a print without a next
//!   time is its own period), last 30 periods (10 days at 8 h), sample std; defined from 3
//!   settled periods and a non-zero std;
//! - `minutes_to_funding`: to the latest event's `next_funding_time` when it is still ahead,
//!   else to the next 00/08/16 UTC boundary (Binance/Bybit schedule);
//! - `pre_funding_window`: 1 within the last 30 minutes before funding, else 0;
//! - `funding_parity_dev_bps`: a simple carry model, fair value = index × (1 + rate ×
//!   minutes_to_funding / 480) (the perp should carry the accrued funding over the index);
//!   `10⁴·(mid − fair)/fair`, mid of the latest quote; NaN without an index price or quote;
//! - `mark_index_premium_bps`: `10⁴·(mark − index)/index` of the latest event.

use std::collections::VecDeque;

use auction_trader_types::{Funding, MarketEvent, NANOS_PER_MINUTE, UnixNanos};

use super::minute::{MinuteRoller, MinuteState, or_nan, raw_to_f64};
use crate::ResearchFeature;
use auction_trader_features::FeatureSnapshot;

const COLUMNS: [&str; 5] = [
    "funding_rate_zscore",
    "minutes_to_funding",
    "pre_funding_window",
    "funding_parity_dev_bps",
    "mark_index_premium_bps",
];

/// Funding interval of the default schedule (00/08/16 UTC).
const FUNDING_INTERVAL_NANOS: i64 = 8 * 60 * NANOS_PER_MINUTE;
const PRE_FUNDING_MINUTES: f64 = 30.0;
const SETTLED_PERIODS: usize = 30;
const MIN_SETTLED_PERIODS: usize = 3;

/// Latest funding rate and the settled rates of previous periods (shared with the
/// liquidation risk score).
#[derive(Debug, Clone)]
pub(crate) struct FundingRateHistory {
    /// (rate, next funding time) of the latest print.
    current: Option<(f64, UnixNanos)>,
    periods: usize,
    settled: VecDeque<f64>,
}

impl Default for FundingRateHistory {
    fn default() -> Self {
        Self::new(SETTLED_PERIODS)
    }
}

impl FundingRateHistory {
    pub(crate) fn new(periods: usize) -> Self {
        Self {
            current: None,
            periods: periods.max(2),
            settled: VecDeque::new(),
        }
    }

    pub(crate) fn on_funding(&mut self, funding: &Funding) {
        let rate = raw_to_f64(funding.rate.raw());
        if let Some((previous, next_time)) = self.current
            && (next_time != funding.next_funding_time || next_time == UnixNanos::ZERO)
        {
            if self.settled.len() == self.periods {
                self.settled.pop_front();
            }
            self.settled.push_back(previous);
        }
        self.current = Some((rate, funding.next_funding_time));
    }

    pub(crate) fn rate(&self) -> Option<f64> {
        self.current.map(|(rate, _)| rate)
    }

    /// (rate − mean) / sample std of the settled rates (at most 30 values: computed directly).
    pub(crate) fn zscore(&self) -> Option<f64> {
        let rate = self.rate()?;
        let count = self.settled.len();
        if count < MIN_SETTLED_PERIODS {
            return None;
        }
        let mean = self.settled.iter().sum::<f64>() / count as f64;
        let variance = self
            .settled
            .iter()
            .map(|value| (value - mean) * (value - mean))
            .sum::<f64>()
            / (count - 1) as f64;
        let deviation = variance.sqrt();
        (deviation > 0.0).then(|| (rate - mean) / deviation)
    }
}

/// Minutes from `now` to the next funding: the announced time when ahead, else the next
/// 00/08/16 UTC boundary strictly after `now`.
pub fn minutes_to_funding(now: UnixNanos, announced: Option<UnixNanos>) -> f64 {
    let next = match announced {
        Some(time) if time > now => time,
        _ => now
            .floor_to(FUNDING_INTERVAL_NANOS)
            .saturating_add_nanos(FUNDING_INTERVAL_NANOS),
    };
    (next.as_i64() - now.as_i64()) as f64 / NANOS_PER_MINUTE as f64
}

#[derive(Debug, Clone, Copy, Default)]
struct FundingClosed {
    zscore: Option<f64>,
    rate: Option<f64>,
    next_funding_time: Option<UnixNanos>,
    mark: Option<f64>,
    index: Option<f64>,
    mid: Option<f64>,
}

#[derive(Debug, Clone, Default)]
struct FundingState {
    history: FundingRateHistory,
    latest: FundingClosed,
}

impl FundingState {
    fn apply(&mut self, event: &MarketEvent) {
        match event {
            MarketEvent::Funding(funding) => {
                self.history.on_funding(funding);
                let positive = |raw: i64| (raw > 0).then(|| raw_to_f64(raw));
                self.latest.next_funding_time = (funding.next_funding_time > UnixNanos::ZERO)
                    .then_some(funding.next_funding_time);
                self.latest.mark = positive(funding.mark_price.raw());
                self.latest.index = positive(funding.index_price.raw());
            }
            MarketEvent::Quote(quote) => {
                let (bid, ask) = (
                    raw_to_f64(quote.bid_price.raw()),
                    raw_to_f64(quote.ask_price.raw()),
                );
                self.latest.mid = (bid > 0.0 && ask > bid).then_some((bid + ask) / 2.0);
            }
            _ => {}
        }
    }
}

impl MinuteState for FundingState {
    type Closed = FundingClosed;

    fn close_minute(&mut self, _end: UnixNanos) -> FundingClosed {
        FundingClosed {
            zscore: self.history.zscore(),
            rate: self.history.rate(),
            ..self.latest
        }
    }
}

/// Funding z-score, time to funding, pre-funding flag, parity deviation and premium.
#[derive(Debug, Clone)]
pub struct FundingFeatures {
    roller: MinuteRoller<FundingState>,
}

impl Default for FundingFeatures {
    fn default() -> Self {
        Self {
            roller: MinuteRoller::new(FundingState::default()),
        }
    }
}

impl ResearchFeature for FundingFeatures {
    fn columns(&self) -> &'static [&'static str] {
        &COLUMNS
    }

    fn on_event(&mut self, instrument: usize, event: &MarketEvent) {
        if instrument != 0 || !matches!(event, MarketEvent::Funding(_) | MarketEvent::Quote(_)) {
            return;
        }
        self.roller.advance(event.ts_recv());
        self.roller.state.apply(event);
    }

    fn on_minute(&mut self, snapshot: &FeatureSnapshot, values: &mut [f64]) {
        let closed = self.roller.take(snapshot.ts).unwrap_or_default();
        let minutes = minutes_to_funding(snapshot.ts, closed.next_funding_time);
        values[0] = or_nan(closed.zscore);
        values[1] = minutes;
        values[2] = if minutes <= PRE_FUNDING_MINUTES {
            1.0
        } else {
            0.0
        };
        values[3] = match (closed.mid, closed.index, closed.rate) {
            (Some(mid), Some(index), Some(rate)) => {
                let fair = index * (1.0 + rate * minutes / 480.0);
                1e4 * (mid - fair) / fair
            }
            _ => f64::NAN,
        };
        values[4] = match (closed.mark, closed.index) {
            (Some(mark), Some(index)) => 1e4 * (mark - index) / index,
            _ => f64::NAN,
        };
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{Price, Quantity, Quote, QuoteFlags, Rate};

    use super::*;
    use crate::extended::test_support::{quiet_snapshot, seconds};

    pub(crate) fn funding(
        at: UnixNanos,
        rate: &str,
        next: UnixNanos,
        mark: &str,
        index: &str,
    ) -> Funding {
        Funding {
            ts_event: at,
            ts_recv: at,
            rate: Rate::from_decimal_str(rate).unwrap(),
            next_funding_time: next,
            mark_price: Price::from_decimal_str(mark).unwrap(),
            index_price: Price::from_decimal_str(index).unwrap(),
        }
    }

    #[test]
    fn zscore_over_settled_periods() {
        // Periods P1..P3 settle at 0.0001, 0.0002, 0.0003 (P1 printed twice: the last print
        // counts); the current P4 rate 0.0005. mean 0.0002, sample std 0.0001 → z = 3.
        let mut history = FundingRateHistory::default();
        let hours = |value: i64| seconds(value * 3_600);
        for (at, rate, next) in [
            (0, "0.00005", 8),
            (1, "0.0001", 8),
            (8, "0.0002", 16),
            (16, "0.0003", 24),
            (24, "0.0005", 32),
        ] {
            history.on_funding(&funding(hours(at), rate, hours(next), "0", "0"));
        }
        assert!((history.zscore().unwrap() - 3.0).abs() < 1e-9);
    }

    #[test]
    fn schedule_parity_and_premium() {
        // Close 07:40 UTC, no announced time → next funding 08:00: 20 minutes, pre-funding.
        // Announced 16:00 seen at 07:40 → 500 minutes.
        let close = UnixNanos::from_civil(2024, 8, 8, 7 * 3600 + 40 * 60);
        assert_eq!(minutes_to_funding(close, None), 20.0);
        let sixteen = UnixNanos::from_civil(2024, 8, 8, 16 * 3600);
        assert_eq!(minutes_to_funding(close, Some(sixteen)), 500.0);
        // Exactly at 08:00 the next one is 16:00 (480 minutes).
        let eight = UnixNanos::from_civil(2024, 8, 8, 8 * 3600);
        assert_eq!(minutes_to_funding(eight, None), 480.0);

        // Funding at 07:39: rate 0.0003, next 08:00, mark 100.02, index 100.00; quote mid 100.05.
        // minutes = 20 → fair = 100·(1 + 0.0003·20/480) = 100.00125;
        // parity dev = 1e4·(100.05 − 100.00125)/100.00125 = 4.87494 bps;
        // premium = 1e4·0.02/100 = 2 bps.
        let mut feature = FundingFeatures::default();
        let at = close.saturating_sub_nanos(NANOS_PER_MINUTE);
        feature.on_event(
            0,
            &MarketEvent::Funding(funding(at, "0.0003", eight, "100.02", "100.00")),
        );
        feature.on_event(
            0,
            &MarketEvent::Quote(Quote {
                ts_event: at,
                ts_recv: at,
                bid_price: Price::from_decimal_str("100.00").unwrap(),
                bid_size: Quantity::ONE,
                ask_price: Price::from_decimal_str("100.10").unwrap(),
                ask_size: Quantity::ONE,
                update_id: 0,
                flags: QuoteFlags::default(),
            }),
        );
        let mut values = [0.0; 5];
        feature.on_minute(&quiet_snapshot(close), &mut values);
        assert!(values[0].is_nan());
        assert_eq!(values[1], 20.0);
        assert_eq!(values[2], 1.0);
        let fair = 100.0 * (1.0 + 0.0003 * 20.0 / 480.0);
        assert!((values[3] - 1e4 * (100.05 - fair) / fair).abs() < 1e-9);
        assert!((values[3] - 4.87494).abs() < 1e-4);
        assert!((values[4] - 2.0).abs() < 1e-9);
    }
}
