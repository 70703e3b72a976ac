//! Minute bookkeeping shared by the event-driven features of this slice: a [`MinuteRoller`]
//! closes each UTC minute exactly once, on the boundaries of the feature engine's bar builder
//! ([`IntervalClock`]), with every event received before its end applied and
//! none after, whichever order the caller uses for `on_event` of the triggering event and
//! `on_minute` (SPEC 2: no look-ahead); and a [`TimeWeightedMean`] integrates a piecewise
//! constant value over the minute.

use std::collections::VecDeque;

use auction_trader_types::{MarketEvent, NANOS_PER_SECOND, UnixNanos};

use auction_trader_features::interval_bars::IntervalClock;

/// Converts a fixed-point raw value (scale 1e9) to `f64` units.
#[inline]
pub(crate) fn raw_to_f64(raw: impl Into<i128>) -> f64 {
    raw.into() as f64 / 1e9
}

/// A quote or trade of the target (instrument 0): what the spread, Kyle and kernel features read.
pub(crate) fn is_target_quote_or_trade(instrument: usize, event: &MarketEvent) -> bool {
    instrument == 0 && matches!(event, MarketEvent::Quote(_) | MarketEvent::Trade(_))
}

/// Per-minute state of a feature: closed once per minute end, in order.
pub(crate) trait MinuteState {
    type Closed;
    /// Closes the minute ending at `end`: every event with `ts_recv < end` has been applied,
    /// none later. Resets the minute's accumulators.
    fn close_minute(&mut self, end: UnixNanos) -> Self::Closed;
}

/// Drives a [`MinuteState`]: events call [`MinuteRoller::advance`] before they are applied,
/// minute closes call [`MinuteRoller::take`]. Minutes closed early (an event of the next
/// minute arrived before `on_minute`) wait in a queue, so both call orders give the same values.
#[derive(Debug, Clone)]
pub(crate) struct MinuteRoller<S: MinuteState> {
    pub(crate) state: S,
    clock: IntervalClock,
    closed: VecDeque<(UnixNanos, S::Closed)>,
}

impl<S: MinuteState> MinuteRoller<S> {
    pub(crate) fn new(state: S) -> Self {
        Self {
            state,
            clock: IntervalClock::minutes(),
            closed: VecDeque::new(),
        }
    }

    /// Closes every minute that ends at or before `now` (SPEC 2: minute `[M, M+1)` closes at
    /// the first event with `ts_recv >= M+1`); opens the first minute at the first call.
    pub(crate) fn advance(&mut self, now: UnixNanos) {
        while let Some((_, end)) = self.clock.close_next(now) {
            let closed = self.state.close_minute(end);
            self.closed.push_back((end, closed));
        }
    }

    /// The closed state of the minute ending at `close` (closing it now if no later event did
    /// it yet); `None` before any event.
    pub(crate) fn take(&mut self, close: UnixNanos) -> Option<S::Closed> {
        if self.clock.open_start().is_some() {
            self.advance(close);
        }
        while let Some((end, _)) = self.closed.front() {
            if *end >= close {
                break;
            }
            self.closed.pop_front();
        }
        match self.closed.front() {
            Some((end, _)) if *end == close => self.closed.pop_front().map(|(_, value)| value),
            _ => None,
        }
    }
}

/// Time-weighted mean of a piecewise constant, possibly undefined value; only time with a
/// defined value counts (the divisor is the covered time, not the whole minute).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimeWeightedMean {
    value: Option<f64>,
    since: Option<UnixNanos>,
    integral: f64,
    covered_nanos: i64,
}

impl Default for TimeWeightedMean {
    fn default() -> Self {
        Self::new()
    }
}

impl TimeWeightedMean {
    pub(crate) const fn new() -> Self {
        Self {
            value: None,
            since: None,
            integral: 0.0,
            covered_nanos: 0,
        }
    }

    fn accrue(&mut self, now: UnixNanos) {
        if let Some(since) = self.since
            && now > since
        {
            if let Some(value) = self.value {
                let span = now.as_i64() - since.as_i64();
                self.integral += value * span as f64;
                self.covered_nanos += span;
            }
            self.since = Some(now);
        } else if self.since.is_none() {
            self.since = Some(now);
        }
    }

    /// The value becomes `value` at `now`.
    pub(crate) fn set(&mut self, now: UnixNanos, value: Option<f64>) {
        self.accrue(now);
        self.value = value;
    }

    /// The current value.
    pub(crate) fn current(&self) -> Option<f64> {
        self.value
    }

    /// Closes the minute at `end`: (mean over the covered time, covered seconds); the mean is
    /// `None` when no time was covered. The current value carries into the next minute.
    pub(crate) fn close(&mut self, end: UnixNanos) -> (Option<f64>, f64) {
        self.accrue(end);
        let mean = (self.covered_nanos > 0).then(|| self.integral / self.covered_nanos as f64);
        let covered = self.covered_nanos as f64 / NANOS_PER_SECOND as f64;
        self.integral = 0.0;
        self.covered_nanos = 0;
        self.since = Some(end);
        (mean, covered)
    }
}

/// Writes `value` or NaN.
#[inline]
pub(crate) fn or_nan(value: Option<f64>) -> f64 {
    value.unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default)]
    struct Counter {
        events: u32,
    }

    impl MinuteState for Counter {
        type Closed = u32;
        fn close_minute(&mut self, _end: UnixNanos) -> u32 {
            std::mem::take(&mut self.events)
        }
    }

    const MINUTE: i64 = auction_trader_types::NANOS_PER_MINUTE;

    #[test]
    fn both_call_orders_close_the_same_minutes() {
        // Events at 10 s, 20 s (minute 0) and 65 s (minute 1), then 190 s (minute 3).
        // Minute 0 holds 2 events, minute 1 holds 1, minute 2 holds 0.
        let events = [10, 20, 65, 190].map(|seconds| UnixNanos(seconds * NANOS_PER_SECOND));
        // Order A: on_minute before the triggering event.
        let mut roller = MinuteRoller::new(Counter::default());
        let mut seen_a = Vec::new();
        for (index, &now) in events.iter().enumerate() {
            if index == 2 {
                seen_a.push(roller.take(UnixNanos(MINUTE)));
            }
            if index == 3 {
                seen_a.push(roller.take(UnixNanos(2 * MINUTE)));
                seen_a.push(roller.take(UnixNanos(3 * MINUTE)));
            }
            roller.advance(now);
            roller.state.events += 1;
        }
        // Order B: the triggering event first, then the closes.
        let mut roller = MinuteRoller::new(Counter::default());
        let mut seen_b = Vec::new();
        for (index, &now) in events.iter().enumerate() {
            roller.advance(now);
            roller.state.events += 1;
            if index == 2 {
                seen_b.push(roller.take(UnixNanos(MINUTE)));
            }
            if index == 3 {
                seen_b.push(roller.take(UnixNanos(2 * MINUTE)));
                seen_b.push(roller.take(UnixNanos(3 * MINUTE)));
            }
        }
        assert_eq!(seen_a, vec![Some(2), Some(1), Some(0)]);
        assert_eq!(seen_a, seen_b);
    }

    #[test]
    fn time_weighted_mean_counts_only_covered_time() {
        // Undefined for 0–10 s, 1.0 for 10–40 s, 0.4 for 40–60 s:
        // mean = (1.0·30 + 0.4·20) / 50 = 38 / 50 = 0.76 over 50 covered seconds.
        let second = |value: i64| UnixNanos(value * NANOS_PER_SECOND);
        let mut mean = TimeWeightedMean::new();
        mean.set(second(0), None);
        mean.set(second(10), Some(1.0));
        mean.set(second(40), Some(0.4));
        let (value, covered) = mean.close(second(60));
        assert!((value.unwrap() - 0.76).abs() < 1e-12);
        assert!((covered - 50.0).abs() < 1e-12);
        // Next minute: 0.4 all along.
        let (value, covered) = mean.close(second(120));
        assert!((value.unwrap() - 0.4).abs() < 1e-12);
        assert!((covered - 60.0).abs() < 1e-12);
    }
}
