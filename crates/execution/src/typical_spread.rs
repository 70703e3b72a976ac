//! The exchange's own typical spread: the time-weighted average of the quoted spread over a
//! trailing window (SPEC 2.1's definition, 60 minutes by default). SPEC 5 prices takers from
//! the last trade ± half the typical spread when quotes are absent or stale, so a venue whose
//! quotes arrive rarely (bitFlyer's minute tickers) still pays its real spread.
//!
//! Each quoted spread is held from its quote until the next one; the time it was held is
//! booked into one-minute buckets (the bucket of the quote that ends it), and buckets older
//! than the window are dropped. O(1) amortized per quote.

use std::collections::VecDeque;

use auction_trader_types::{NANOS_PER_MINUTE, Price, UnixNanos};

#[derive(Debug, Clone)]
pub(crate) struct TypicalSpread {
    window_nanos: i64,
    /// (minute start, Σ spread × held nanoseconds, Σ held nanoseconds).
    buckets: VecDeque<(i64, i128, i128)>,
    /// The spread in force and since when.
    current: Option<(Price, UnixNanos)>,
}

impl TypicalSpread {
    pub fn new(window_nanos: i64) -> Self {
        Self {
            window_nanos: window_nanos.max(NANOS_PER_MINUTE),
            buckets: VecDeque::new(),
            current: None,
        }
    }

    /// A new quote: `spread` is `None` for a crossed or one-sided quote (it ends the previous
    /// spread's time without starting a new one).
    pub fn on_quote(&mut self, now: UnixNanos, spread: Option<Price>) {
        if let Some((previous, since)) = self.current {
            let held = now.as_i64().saturating_sub(since.as_i64());
            if held > 0 {
                let minute = now.as_i64().div_euclid(NANOS_PER_MINUTE) * NANOS_PER_MINUTE;
                let weighted = i128::from(previous.raw()) * i128::from(held);
                match self.buckets.back_mut() {
                    Some((start, sum, total)) if *start == minute => {
                        *sum += weighted;
                        *total += i128::from(held);
                    }
                    _ => self.buckets.push_back((minute, weighted, i128::from(held))),
                }
            }
        }
        let oldest = now.as_i64().saturating_sub(self.window_nanos);
        while self
            .buckets
            .front()
            .is_some_and(|(start, _, _)| start + NANOS_PER_MINUTE <= oldest)
        {
            self.buckets.pop_front();
        }
        self.current = spread
            .filter(|spread| spread.is_positive())
            .map(|spread| (spread, now));
    }

    /// The time-weighted average spread of the window, the spread in force counted up to
    /// `now`; `None` before any positive spread was quoted.
    pub fn value(&self, now: UnixNanos) -> Option<Price> {
        let (mut sum, mut total) = self
            .buckets
            .iter()
            .fold((0_i128, 0_i128), |(sum, total), (_, bucket_sum, held)| {
                (sum + bucket_sum, total + held)
            });
        if let Some((spread, since)) = self.current {
            let held = i128::from(now.as_i64().saturating_sub(since.as_i64()).max(0));
            sum += i128::from(spread.raw()) * held;
            total += held;
            if total == 0 {
                return Some(spread);
            }
        }
        if total == 0 {
            return None;
        }
        i64::try_from(sum / total).ok().map(Price::from_raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i64 = 1_000_000_000;

    fn price(units: i64) -> Price {
        Price::from_raw(units * 1_000_000_000)
    }

    #[test]
    fn time_weighted_over_the_held_spreads() {
        let mut typical = TypicalSpread::new(60 * NANOS_PER_MINUTE);
        assert_eq!(typical.value(UnixNanos(0)), None);
        typical.on_quote(UnixNanos(0), Some(price(10)));
        // Only the spread in force, held for no time yet: itself.
        assert_eq!(typical.value(UnixNanos(0)), Some(price(10)));
        // 10 held 30 s, then 20 held 10 s: (10 × 30 + 20 × 10) / 40 = 12.5.
        typical.on_quote(UnixNanos(30 * SECOND), Some(price(20)));
        assert_eq!(
            typical.value(UnixNanos(40 * SECOND)),
            Some(Price::from_raw(12_500_000_000))
        );
    }

    #[test]
    fn old_minutes_leave_the_window_and_crossed_quotes_pause_it() {
        let mut typical = TypicalSpread::new(2 * NANOS_PER_MINUTE);
        typical.on_quote(UnixNanos(0), Some(price(100)));
        typical.on_quote(UnixNanos(60 * SECOND), Some(price(2)));
        // A crossed quote ends the 2 after 60 s and starts nothing.
        typical.on_quote(UnixNanos(120 * SECOND), None);
        // Buckets: minute 1 holds 100 × 60 s, minute 2 holds 2 × 60 s → 51.
        assert_eq!(typical.value(UnixNanos(120 * SECOND)), Some(price(51)));
        // At 4 minutes the window [2 min, 4 min] drops minute 1 (it ended at 2 min): only
        // minute 2's 2 × 60 s is left, and the new 4 has been held for no time yet → 2.
        typical.on_quote(UnixNanos(240 * SECOND), Some(price(4)));
        assert_eq!(typical.value(UnixNanos(240 * SECOND)), Some(price(2)));
        // 30 s later: (2 × 60 + 4 × 30) / 90 = 240 / 90 = 2.666666666.
        assert_eq!(
            typical.value(UnixNanos(270 * SECOND)),
            Some(Price::from_raw(2_666_666_666))
        );
    }
}
