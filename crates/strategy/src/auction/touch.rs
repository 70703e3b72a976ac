//! The gap rule's evidence (SPEC 3.1: "price that gaps through the boundary does not count:
//! at least one trade within N of the locked level is required during the sequence").
//!
//! At each bar close the strategy arms the tracker with the levels the NEXT bar will be
//! judged against (SPEC 2.2: the profile computed at this close, plus the locked level of
//! every active acceptance sequence) and the distance N known at that close. Every trade
//! between two bar closes then costs a few comparisons (O(1) per event). This relies on the
//! engine order of the `Strategy` contract: the snapshot of minute M reaches `on_bar` before
//! any event of minute M+1 reaches `on_market_event` (the feature engine closes a minute when
//! the first event of the next one arrives, before adding that event).
//!
//! Bar-only data: a bar whose [low, high] range intersects [level − N, level + N] counts as a
//! touch (documented approximation: the path inside the bar is unknown). A `Bar` event is
//! only taken for the minute the tracker is armed for; otherwise the strategy applies the
//! same range test to the snapshot's bar (see [`TouchTracker::touched`]).

use auction_trader_types::{Bar, Price, UnixNanos};

/// Which watched level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watch {
    /// The VAH / VAL of the profile computed at the previous close (where a sequence starts).
    CandidateUp,
    CandidateDown,
    /// The locked level of an active up / down acceptance sequence.
    LockedUp,
    LockedDown,
}

impl Watch {
    const fn index(self) -> usize {
        match self {
            Self::CandidateUp => 0,
            Self::CandidateDown => 1,
            Self::LockedUp => 2,
            Self::LockedDown => 3,
        }
    }
}

/// Touches of the levels watched during the bar being formed.
#[derive(Debug, Clone, Default)]
pub struct TouchTracker {
    /// Open time of the bar being formed (the last close seen).
    minute_start: Option<UnixNanos>,
    levels: [Option<Price>; 4],
    distance: Price,
    touched: [bool; 4],
    /// Trades (or the bar) seen since the tracker was armed.
    events: u64,
}

impl TouchTracker {
    /// Starts tracking the bar that opens at `minute_start`.
    pub fn arm(&mut self, minute_start: UnixNanos, levels: [Option<Price>; 4], distance: Price) {
        self.minute_start = Some(minute_start);
        self.levels = levels;
        self.distance = distance;
        self.touched = [false; 4];
        self.events = 0;
    }

    /// A trade print of the bar being formed.
    #[inline]
    pub fn on_trade(&mut self, price: Price) {
        self.events += 1;
        self.on_range(price, price);
    }

    /// A bar event (bar-only data): taken when it is the bar being formed.
    pub fn on_bar(&mut self, bar: &Bar) {
        if self.minute_start == Some(bar.ts_open) {
            self.events += 1;
            self.on_range(bar.low, bar.high);
        }
    }

    #[inline]
    fn on_range(&mut self, low: Price, high: Price) {
        for (level, touched) in self.levels.iter().zip(self.touched.iter_mut()) {
            if let Some(level) = *level {
                *touched |= range_touches(low, high, level, self.distance);
            }
        }
    }

    /// Whether the bar opening at `minute_start` touched `level` as the `watch` level: `None`
    /// when the tracker cannot tell (it was armed for another bar or another level, or saw no
    /// event although the bar traded), so the caller falls back to the bar's range.
    pub fn touched(&self, minute_start: UnixNanos, watch: Watch, level: Price) -> Option<bool> {
        let index = watch.index();
        (self.minute_start == Some(minute_start)
            && self.levels[index] == Some(level)
            && self.events > 0)
            .then_some(self.touched[index])
    }

    /// The distance N the tracker was armed with, if it was armed for the bar opening at
    /// `minute_start` (N as known at that bar's start).
    pub fn distance_for(&self, minute_start: UnixNanos) -> Option<Price> {
        (self.minute_start == Some(minute_start)).then_some(self.distance)
    }
}

/// [low, high] intersects [level − distance, level + distance].
pub fn range_touches(low: Price, high: Price, level: Price, distance: Price) -> bool {
    low <= level.saturating_add(distance) && high >= level.saturating_sub(distance)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(units: i64) -> Price {
        Price::from_units(units).unwrap()
    }

    #[test]
    fn trades_within_n_touch_and_gaps_do_not() {
        let mut tracker = TouchTracker::default();
        let start = UnixNanos(60_000_000_000);
        // VAH 104 watched with N = 1: trades at 106 and 107 are more than 1 away.
        tracker.arm(
            start,
            [Some(price(104)), Some(price(98)), None, None],
            price(1),
        );
        tracker.on_trade(price(106));
        tracker.on_trade(price(107));
        assert_eq!(
            tracker.touched(start, Watch::CandidateUp, price(104)),
            Some(false)
        );
        // 105 is exactly N away: |105 − 104| = 1 <= 1 → touch.
        tracker.on_trade(price(105));
        assert_eq!(
            tracker.touched(start, Watch::CandidateUp, price(104)),
            Some(true)
        );
        assert_eq!(
            tracker.touched(start, Watch::CandidateDown, price(98)),
            Some(false)
        );
        // Another level or another bar: unknown.
        assert_eq!(tracker.touched(start, Watch::CandidateUp, price(103)), None);
        assert_eq!(
            tracker.touched(UnixNanos(0), Watch::CandidateUp, price(104)),
            None
        );
        assert_eq!(tracker.touched(start, Watch::LockedUp, price(104)), None);
    }

    #[test]
    fn bar_ranges_touch_when_they_intersect_the_band() {
        // [105.5, 110] vs [103, 105] (104 ± 1): no; [105, 110]: yes (touches the band edge).
        assert!(!range_touches(
            Price::from_decimal_str("105.5").unwrap(),
            price(110),
            price(104),
            price(1)
        ));
        assert!(range_touches(price(105), price(110), price(104), price(1)));
        assert!(range_touches(price(90), price(110), price(104), price(1)));
    }
}
