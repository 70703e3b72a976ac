//! Top-of-book state: the latest quote (SPEC 2.1: the bid/ask at minute close is the most
//! recent quote, whatever its age), a short history for the exchange-time quote selection of
//! SPEC 2.3, and the per-minute time integrals of the quoted spread and of qimb (SPEC 2.1, 2.4).

use auction_trader_types::{Price, Quantity, Quote, UnixNanos};

/// A usable top of book, in raw fixed-point units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopOfBook {
    pub ts_event: UnixNanos,
    pub ts_recv: UnixNanos,
    pub bid_price: Price,
    pub bid_size: Quantity,
    pub ask_price: Price,
    pub ask_size: Quantity,
    /// The venue sent an exchange timestamp (`QuoteFlags::has_exchange_time`).
    pub has_exchange_time: bool,
    /// Positive prices and bid <= ask. A crossed or one-sided quote is kept (it is the latest
    /// quote) but cannot classify trades nor contribute a spread.
    pub usable: bool,
}

impl TopOfBook {
    pub fn from_quote(quote: &Quote) -> Self {
        let usable = quote.bid_price.is_positive()
            && quote.ask_price.is_positive()
            && quote.bid_price <= quote.ask_price;
        Self {
            ts_event: quote.ts_event,
            ts_recv: quote.ts_recv,
            bid_price: quote.bid_price,
            bid_size: quote.bid_size,
            ask_price: quote.ask_price,
            ask_size: quote.ask_size,
            has_exchange_time: quote.flags.has_exchange_time(),
            usable,
        }
    }

    /// Quoted spread, when usable.
    pub fn spread(&self) -> Option<Price> {
        self.usable
            .then(|| self.ask_price.saturating_sub(self.bid_price))
    }

    /// qimb = (bid_size − ask_size) / (bid_size + ask_size) (SPEC 2.4); `None` when unusable
    /// or both sizes are zero.
    pub fn qimb(&self) -> Option<f64> {
        let bid = self.bid_size.raw() as f64;
        let ask = self.ask_size.raw() as f64;
        (self.usable && bid >= 0.0 && ask >= 0.0 && bid + ask > 0.0)
            .then(|| (bid - ask) / (bid + ask))
    }
}

/// Quotes kept for the quote searches. The exchange-time search walks back at most
/// [`EXCHANGE_SEARCH`] quotes (a few dozen cover any realistic burst); the receive-time search
/// of untimed quotes (`side::quote_timing`) may need more: on Binance spot the post-trade
/// quotes received before a late trade message reach 113 (2024-08-08 capture).
const HISTORY: usize = 256;

/// Depth of the exchange-time search (SPEC 2.3 selection for quotes with exchange time).
const EXCHANGE_SEARCH: usize = 64;

/// Time integrals of one minute (or any interval) of the prevailing quote.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct QuoteIntegrals {
    /// Σ spread_raw × dt (raw price units × ns).
    pub spread_area: i128,
    /// Nanoseconds during which a usable quote prevailed.
    pub spread_nanos: i64,
    /// Σ qimb × dt.
    pub qimb_area: f64,
    pub qimb_nanos: i64,
}

impl QuoteIntegrals {
    /// Time-weighted mean qimb over the covered time.
    pub fn qimb_mean(&self) -> Option<f64> {
        (self.qimb_nanos > 0).then(|| self.qimb_area / self.qimb_nanos as f64)
    }
}

/// The quote side of the engine.
#[derive(Debug, Clone)]
pub struct QuoteTracker {
    history: [Option<TopOfBook>; HISTORY],
    /// Index of the next slot to write; the latest quote is at `next - 1`.
    next: usize,
    /// Quotes seen (saturating), to know how much of `history` is filled.
    seen: u64,
    /// Integrals are complete up to this instant.
    integrated_until: Option<UnixNanos>,
    integrals: QuoteIntegrals,
    /// Exchange-time searches that found no quote strictly before the trade.
    pub lookup_misses: u64,
}

impl Default for QuoteTracker {
    fn default() -> Self {
        Self::new()
    }
}

impl QuoteTracker {
    pub fn new() -> Self {
        Self {
            history: [None; HISTORY],
            next: 0,
            seen: 0,
            integrated_until: None,
            integrals: QuoteIntegrals::default(),
            lookup_misses: 0,
        }
    }

    /// The most recent quote received, whatever its age or state.
    #[inline]
    pub fn latest(&self) -> Option<&TopOfBook> {
        self.history[(self.next + HISTORY - 1) % HISTORY].as_ref()
    }

    /// Records a quote received at `quote.ts_recv` (events arrive in `ts_recv` order).
    #[inline]
    pub fn on_quote(&mut self, quote: &Quote) {
        self.advance(quote.ts_recv);
        self.history[self.next] = Some(TopOfBook::from_quote(quote));
        self.next = (self.next + 1) % HISTORY;
        self.seen = self.seen.saturating_add(1);
    }

    /// Integrates the prevailing quote up to `until` (later calls with earlier times are
    /// no-ops: a late event never rewrites the past).
    #[inline]
    pub fn advance(&mut self, until: UnixNanos) {
        let Some(from) = self.integrated_until else {
            self.integrated_until = Some(until);
            return;
        };
        if until <= from {
            return;
        }
        let nanos = until.as_i64().saturating_sub(from.as_i64());
        if let Some(latest) = self.latest().copied() {
            if let Some(spread) = latest.spread() {
                self.integrals.spread_area += i128::from(spread.raw()) * i128::from(nanos);
                self.integrals.spread_nanos = self.integrals.spread_nanos.saturating_add(nanos);
            }
            if let Some(qimb) = latest.qimb() {
                self.integrals.qimb_area += qimb * nanos as f64;
                self.integrals.qimb_nanos = self.integrals.qimb_nanos.saturating_add(nanos);
            }
        }
        self.integrated_until = Some(until);
    }

    /// Integrates up to `until` and returns the integrals since the previous call.
    pub fn take_integrals(&mut self, until: UnixNanos) -> QuoteIntegrals {
        self.advance(until);
        std::mem::take(&mut self.integrals)
    }

    /// SPEC 2.3 quote selection for a trade with exchange time `trade_ts_event`: the latest
    /// quote received before the trade; when both carry exchange timestamps, the latest one
    /// received whose exchange time is strictly before the trade's. Trades always carry an
    /// exchange time in our normalized events, so the quote's flag decides.
    pub fn select_for_trade(&mut self, trade_ts_event: UnixNanos) -> Option<TopOfBook> {
        let latest = *self.latest()?;
        if !latest.has_exchange_time {
            return Some(latest);
        }
        let filled = usize::try_from(self.seen)
            .unwrap_or(HISTORY)
            .min(EXCHANGE_SEARCH);
        for back in 1..=filled {
            let Some(candidate) = self.history[(self.next + HISTORY - back) % HISTORY] else {
                break;
            };
            // A quote without an exchange time can only be ordered by receipt: take it.
            if !candidate.has_exchange_time || candidate.ts_event < trade_ts_event {
                return Some(candidate);
            }
        }
        self.lookup_misses += 1;
        None
    }

    /// The latest quote received strictly before `cutoff` on the receive clock (the untimed
    /// quote selection of `side::quote_timing`). `None`, counted as a lookup miss, when no
    /// kept quote is that old.
    pub fn select_received_before(&mut self, cutoff: UnixNanos) -> Option<TopOfBook> {
        let filled = usize::try_from(self.seen).unwrap_or(HISTORY).min(HISTORY);
        for back in 1..=filled {
            let Some(candidate) = self.history[(self.next + HISTORY - back) % HISTORY] else {
                break;
            };
            if candidate.ts_recv < cutoff {
                return Some(candidate);
            }
        }
        self.lookup_misses += 1;
        None
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::QuoteFlags;

    use super::*;

    pub(crate) fn quote(
        ts_event: i64,
        ts_recv: i64,
        bid: i64,
        bid_size: i64,
        ask: i64,
        ask_size: i64,
    ) -> Quote {
        Quote {
            ts_event: UnixNanos(ts_event),
            ts_recv: UnixNanos(ts_recv),
            bid_price: Price::from_units(bid).unwrap(),
            bid_size: Quantity::from_units(bid_size).unwrap(),
            ask_price: Price::from_units(ask).unwrap(),
            ask_size: Quantity::from_units(ask_size).unwrap(),
            update_id: 0,
            flags: QuoteFlags::default(),
        }
    }

    #[test]
    fn exchange_time_selection_skips_quotes_at_or_after_the_trade() {
        let mut tracker = QuoteTracker::new();
        // Received in this order; exchange times 10, 20, 30 (the last is the post-trade quote
        // with the trade's own exchange time 30, received before the trade message).
        tracker.on_quote(&quote(10, 100, 99, 1, 101, 1));
        tracker.on_quote(&quote(20, 110, 100, 1, 102, 1));
        tracker.on_quote(&quote(30, 120, 101, 1, 103, 1));
        let chosen = tracker.select_for_trade(UnixNanos(30)).unwrap();
        assert_eq!(chosen.ts_event, UnixNanos(20));
        // A trade at exchange time 31 takes the latest.
        assert_eq!(
            tracker.select_for_trade(UnixNanos(31)).unwrap().ts_event,
            UnixNanos(30)
        );
        // Nothing strictly before 10: a miss, counted.
        assert!(tracker.select_for_trade(UnixNanos(10)).is_none());
        assert_eq!(tracker.lookup_misses, 1);
    }

    #[test]
    fn receive_order_when_the_quote_has_no_exchange_time() {
        let mut tracker = QuoteTracker::new();
        let mut late = quote(500, 500, 100, 1, 102, 1);
        late.flags = QuoteFlags(QuoteFlags::NO_EXCHANGE_TIME);
        tracker.on_quote(&quote(10, 100, 99, 1, 101, 1));
        tracker.on_quote(&late);
        // The trade's exchange time (30) is earlier, but the quote has no exchange clock.
        assert_eq!(
            tracker.select_for_trade(UnixNanos(30)).unwrap().ts_event,
            UnixNanos(500)
        );
    }

    #[test]
    fn history_wraps_around() {
        let mut tracker = QuoteTracker::new();
        for index in 0..(HISTORY as i64 + 10) {
            tracker.on_quote(&quote(index, index, 99, 1, 101, 1));
        }
        let last = HISTORY as i64 + 9;
        assert_eq!(tracker.latest().unwrap().ts_event, UnixNanos(last));
        // The exchange-time search reaches back 64 quotes: exchange time last − 63.
        let oldest_searched = last - (EXCHANGE_SEARCH as i64 - 1);
        assert_eq!(
            tracker
                .select_for_trade(UnixNanos(oldest_searched + 1))
                .unwrap()
                .ts_event,
            UnixNanos(oldest_searched)
        );
        assert!(
            tracker
                .select_for_trade(UnixNanos(oldest_searched))
                .is_none()
        );
        // The receive-time search reaches the oldest kept quote: 256 + 9 − 255 = 10.
        assert_eq!(
            tracker
                .select_received_before(UnixNanos(11))
                .unwrap()
                .ts_recv,
            UnixNanos(10)
        );
        assert!(tracker.select_received_before(UnixNanos(10)).is_none());
        assert_eq!(tracker.lookup_misses, 2);
    }

    #[test]
    fn receive_time_search_takes_the_latest_received_strictly_before() {
        // Received at 100, 110, 120: cutoff 120 -> the quote received at 110; cutoff 121 ->
        // the one at 120; cutoff 100 -> none.
        let mut tracker = QuoteTracker::new();
        tracker.on_quote(&quote(100, 100, 99, 1, 101, 1));
        tracker.on_quote(&quote(110, 110, 100, 1, 102, 1));
        tracker.on_quote(&quote(120, 120, 101, 1, 103, 1));
        let at = |tracker: &mut QuoteTracker, cutoff| {
            tracker
                .select_received_before(UnixNanos(cutoff))
                .map(|quote| quote.ts_recv.as_i64())
        };
        assert_eq!(at(&mut tracker, 120), Some(110));
        assert_eq!(at(&mut tracker, 121), Some(120));
        assert_eq!(at(&mut tracker, 100), None);
    }

    #[test]
    fn time_weighted_spread_and_qimb() {
        // Quote A from t=0: spread 2, sizes 3/1 -> qimb 0.5. Quote B from t=30: spread 4,
        // sizes 1/1 -> qimb 0. Interval [0, 40): spread area 2×30 + 4×10 = 100 over 40 ns
        // -> mean 2.5; qimb area 0.5×30 + 0×10 = 15 -> mean 0.375.
        let mut tracker = QuoteTracker::new();
        tracker.advance(UnixNanos(0));
        tracker.on_quote(&quote(0, 0, 100, 3, 102, 1));
        tracker.on_quote(&quote(30, 30, 100, 1, 104, 1));
        let integrals = tracker.take_integrals(UnixNanos(40));
        let unit = i128::from(Price::ONE.raw());
        assert_eq!(integrals.spread_area, (2 * 30 + 4 * 10) * unit);
        assert_eq!(integrals.spread_nanos, 40);
        assert_eq!(integrals.qimb_mean(), Some(0.375));
        // The next interval starts where this one ended, with quote B prevailing.
        let next = tracker.take_integrals(UnixNanos(50));
        assert_eq!(next.spread_area, 4 * 10 * unit);
        assert_eq!(next.qimb_mean(), Some(0.0));
    }

    #[test]
    fn crossed_quotes_are_latest_but_unusable() {
        let mut tracker = QuoteTracker::new();
        tracker.advance(UnixNanos(0));
        tracker.on_quote(&quote(0, 0, 102, 1, 101, 1));
        assert!(!tracker.latest().unwrap().usable);
        let integrals = tracker.take_integrals(UnixNanos(10));
        assert_eq!(integrals.spread_nanos, 0);
        assert_eq!(integrals.qimb_mean(), None);
    }
}
