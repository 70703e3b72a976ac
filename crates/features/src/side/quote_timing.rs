//! Which quote a trade is classified against (SPEC 2.3), including the documented extension for
//! quotes WITHOUT an exchange time (Binance spot bookTicker, `QuoteFlags::NO_EXCHANGE_TIME`).
//!
//! SPEC 2.3: "the latest quote received before the trade; when both carry exchange timestamps,
//! the latest one received whose exchange time is strictly before the trade's". Quotes with an
//! exchange time keep exactly that rule. For untimed quotes "received before the trade" is
//! not enough on spot: the bookTicker stream is pushed faster than the trade stream, so the
//! latest quote received is often already the post-trade book (81.4% vs EMO 97.1% on the
//! 2024-08-08/09 spot capture). [`UntimedQuotePolicy::ClockOffset`] puts the untimed quote on
//! the exchange clock with the recorder clock offset, estimated causally from the trades:
//!
//! - every fill gives `ts_recv − ts_event` = clock offset + that message's latency;
//! - the minimum over the trailing window (fills received up to and including this one, so
//!   only information available at the trade's receive time) estimates offset + minimum
//!   latency;
//! - an untimed quote's exchange time is estimated as `quote.ts_recv − offset`, and the trade
//!   takes the latest quote received whose estimated exchange time is strictly before the
//!   trade's: `quote.ts_recv < trade.ts_event + offset`.
//!
//! The estimate of a quote's exchange time is off by (its latency − the fastest trade
//! latency): both streams share the connection, so the error is small, while the trade
//! stream's own push delay (`E − T` up to 129 ms at p99 on the 2024 spot capture) is what
//! the offset removes. A trade delivered with the minimum latency gets
//! `cutoff = its own ts_recv`, i.e. the SPEC rule as written. Figures: crates/features/README.md.

use std::collections::VecDeque;

use auction_trader_types::{Trade, UnixNanos};
use serde::{Deserialize, Serialize};

use crate::quotes::{QuoteTracker, TopOfBook};

/// How a trade chooses among quotes that carry no exchange time (SPEC 2.3 extension; quotes
/// with an exchange time always use the SPEC exchange-time rule).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UntimedQuotePolicy {
    /// SPEC 2.3 as written: the latest quote received before the trade.
    ReceiveOrder,
    /// The latest quote whose exchange time, estimated with the causal recorder-clock offset
    /// (trailing minimum of the trades' `ts_recv − ts_event`), is strictly before the trade's.
    #[default]
    ClockOffset,
}

/// Upper bound on the monotonic deque of [`ClockOffsetEstimator`] (memory bound; only reached
/// when latencies rise for thousands of consecutive fills inside one window).
const MAX_CANDIDATES: usize = 4096;

/// Trailing-window minimum of `ts_recv − ts_event` over trades (a monotonic deque: O(1)
/// amortized per fill).
#[derive(Debug, Clone)]
pub struct ClockOffsetEstimator {
    window_nanos: i64,
    /// (receive time, offset) with strictly increasing offsets; the front is the minimum.
    candidates: VecDeque<(UnixNanos, i64)>,
}

impl ClockOffsetEstimator {
    pub fn new(window_nanos: i64) -> Self {
        Self {
            window_nanos: window_nanos.max(0),
            candidates: VecDeque::new(),
        }
    }

    /// Records one fill received at `ts_recv` with exchange time `ts_event`.
    #[inline]
    pub fn observe(&mut self, ts_recv: UnixNanos, ts_event: UnixNanos) {
        let offset = ts_recv.as_i64().saturating_sub(ts_event.as_i64());
        while self
            .candidates
            .back()
            .is_some_and(|&(_, kept)| kept >= offset)
        {
            self.candidates.pop_back();
        }
        self.candidates.push_back((ts_recv, offset));
        let oldest = ts_recv.as_i64().saturating_sub(self.window_nanos);
        while self.candidates.len() > MAX_CANDIDATES
            || self
                .candidates
                .front()
                .is_some_and(|&(received, _)| received.as_i64() < oldest)
        {
            self.candidates.pop_front();
        }
    }

    /// The estimated offset (recorder clock − exchange clock + minimum latency), once a fill
    /// has been seen.
    #[inline]
    pub fn offset(&self) -> Option<i64> {
        self.candidates.front().map(|&(_, offset)| offset)
    }
}

/// The quote selection of one instrument's trades.
#[derive(Debug, Clone)]
pub struct QuoteTiming {
    policy: UntimedQuotePolicy,
    estimator: ClockOffsetEstimator,
}

/// The quotes chosen for one trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelectedQuotes {
    /// The quote the SPEC rule (with the configured untimed policy) classifies against.
    pub spec: Option<TopOfBook>,
    /// The SPEC rule as written (untimed quotes in receive order): reported for comparison.
    pub receive_order: Option<TopOfBook>,
    /// The latest quote received (the standard quote of Lee-Ready and EMO).
    pub latest: Option<TopOfBook>,
}

/// Default trailing window of the clock-offset estimate: one minute (long enough to contain
/// a minimum-latency trade message, short enough to follow recorder clock drift).
pub const DEFAULT_CLOCK_OFFSET_WINDOW_NANOS: i64 = 60_000_000_000;

impl Default for QuoteTiming {
    fn default() -> Self {
        Self::new(
            UntimedQuotePolicy::default(),
            DEFAULT_CLOCK_OFFSET_WINDOW_NANOS,
        )
    }
}

impl QuoteTiming {
    pub fn new(policy: UntimedQuotePolicy, window_nanos: i64) -> Self {
        Self {
            policy,
            estimator: ClockOffsetEstimator::new(window_nanos),
        }
    }

    pub fn policy(&self) -> UntimedQuotePolicy {
        self.policy
    }

    /// Feeds every fill to the clock estimator (its own latency is known on receipt).
    #[inline]
    pub fn observe_fill(&mut self, trade: &Trade) {
        self.estimator.observe(trade.ts_recv, trade.ts_event);
    }

    /// Chooses the quotes for a trade whose first fill is `trade` (call after
    /// [`Self::observe_fill`] for that fill).
    #[inline]
    pub fn select(&mut self, trade: &Trade, quotes: &mut QuoteTracker) -> SelectedQuotes {
        let latest = quotes.latest().copied();
        let Some(newest) = latest else {
            return SelectedQuotes {
                spec: None,
                receive_order: None,
                latest,
            };
        };
        if newest.has_exchange_time {
            // SPEC 2.3: both sides carry exchange times -> exchange-time rule, unchanged.
            let spec = quotes.select_for_trade(trade.ts_event);
            return SelectedQuotes {
                spec,
                receive_order: spec,
                latest,
            };
        }
        let spec = match (self.policy, self.estimator.offset()) {
            (UntimedQuotePolicy::ClockOffset, Some(offset)) => {
                // quote.ts_recv − offset < trade.ts_event  <=>  quote.ts_recv < cutoff.
                let cutoff = UnixNanos(trade.ts_event.as_i64().saturating_add(offset));
                if cutoff > newest.ts_recv {
                    latest
                } else {
                    quotes.select_received_before(cutoff)
                }
            }
            // SPEC 2.3 as written: the latest quote received before the trade.
            _ => latest,
        };
        SelectedQuotes {
            spec,
            receive_order: latest,
            latest,
        }
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{AggressorSide, Price, Quantity, Quote, QuoteFlags, TradeId};

    use super::*;

    const MS: i64 = 1_000_000;

    fn untimed_quote(ts_recv: i64, bid: i64) -> Quote {
        Quote {
            ts_event: UnixNanos(ts_recv),
            ts_recv: UnixNanos(ts_recv),
            bid_price: Price::from_units(bid).unwrap(),
            bid_size: Quantity::ONE,
            ask_price: Price::from_units(bid + 1).unwrap(),
            ask_size: Quantity::ONE,
            update_id: 0,
            flags: QuoteFlags(QuoteFlags::NO_EXCHANGE_TIME),
        }
    }

    fn fill(ts_event: i64, ts_recv: i64) -> Trade {
        Trade {
            ts_event: UnixNanos(ts_event),
            ts_recv: UnixNanos(ts_recv),
            price: Price::from_units(100).unwrap(),
            size: Quantity::ONE,
            aggressor: AggressorSide::Unknown,
            trade_id: TradeId(0),
        }
    }

    #[test]
    fn estimator_is_a_trailing_window_minimum() {
        // Window 10 ms. Offsets (recv − event): 5 ms at recv 0, 3 ms at recv 4 ms, 7 ms at
        // recv 8 ms -> min 3. At recv 15 ms (offset 9): the 3 ms sample (recv 4) is older
        // than 15 − 10 = 5 -> evicted; remaining 7 (recv 8), 9 -> min 7.
        let mut estimator = ClockOffsetEstimator::new(10 * MS);
        assert_eq!(estimator.offset(), None);
        estimator.observe(UnixNanos(0), UnixNanos(-5 * MS));
        assert_eq!(estimator.offset(), Some(5 * MS));
        estimator.observe(UnixNanos(4 * MS), UnixNanos(MS));
        estimator.observe(UnixNanos(8 * MS), UnixNanos(MS));
        assert_eq!(estimator.offset(), Some(3 * MS));
        estimator.observe(UnixNanos(15 * MS), UnixNanos(6 * MS));
        assert_eq!(estimator.offset(), Some(7 * MS));
    }

    #[test]
    fn clock_offset_skips_quotes_received_after_the_trade_on_the_exchange_clock() {
        // Recorder clock 1000 ms ahead of the exchange; fastest trade latency 2 ms, so the
        // estimated offset is 1002 ms once a fast fill has been seen.
        // Fill A: exchange 0, recv 1002 ms -> offset 1002 ms.
        // Quotes received at 1010 (bid 100) and 1013 ms (bid 101, the post-trade book).
        // Fill B: exchange 10 ms, recv 1020 ms (latency 10 ms: a late trade message) ->
        //   offset stays 1002; cutoff = 10 + 1002 = 1012 ms -> the quote received at 1010
        //   (estimated exchange time 8 ms < 10 ms); the 1013 ms one (estimated 11 ms) is
        //   after the trade. Receive order would take bid 101.
        let mut quotes = QuoteTracker::new();
        let mut timing = QuoteTiming::new(UntimedQuotePolicy::ClockOffset, 60_000 * MS);
        timing.observe_fill(&fill(0, 1002 * MS));
        quotes.on_quote(&untimed_quote(1010 * MS, 100));
        quotes.on_quote(&untimed_quote(1013 * MS, 101));
        let late = fill(10 * MS, 1020 * MS);
        timing.observe_fill(&late);
        let chosen = timing.select(&late, &mut quotes);
        let bid =
            |quote: Option<TopOfBook>| quote.map(|quote| quote.bid_price.raw() / 1_000_000_000);
        assert_eq!(bid(chosen.spec), Some(100));
        assert_eq!(bid(chosen.receive_order), Some(101));
        assert_eq!(bid(chosen.latest), Some(101));
        // A trade at exchange 12 ms: cutoff 1014 ms > 1013 -> the latest quote.
        let prompt = fill(12 * MS, 1014 * MS);
        timing.observe_fill(&prompt);
        assert_eq!(bid(timing.select(&prompt, &mut quotes).spec), Some(101));
        // A trade at exchange 7 ms (cutoff 1009 ms): no quote received that early -> miss.
        let early = fill(7 * MS, 1030 * MS);
        timing.observe_fill(&early);
        assert_eq!(timing.select(&early, &mut quotes).spec, None);
        assert_eq!(quotes.lookup_misses, 1);
    }

    #[test]
    fn receive_order_policy_is_the_spec_rule_as_written() {
        let mut quotes = QuoteTracker::new();
        let mut timing = QuoteTiming::new(UntimedQuotePolicy::ReceiveOrder, 60_000 * MS);
        timing.observe_fill(&fill(0, 1002 * MS));
        quotes.on_quote(&untimed_quote(1010 * MS, 100));
        quotes.on_quote(&untimed_quote(1013 * MS, 101));
        let late = fill(10 * MS, 1020 * MS);
        timing.observe_fill(&late);
        let chosen = timing.select(&late, &mut quotes);
        assert_eq!(chosen.spec, chosen.latest);
        assert_eq!(
            chosen.spec.map(|quote| quote.bid_price),
            Some(Price::from_units(101).unwrap())
        );
    }

    #[test]
    fn first_trade_uses_its_own_latency_so_the_cutoff_is_its_receive_time() {
        // The only fill seen is this trade: offset = its own recv − event -> cutoff = recv.
        // Quote received at 5, trade received at 9: the quote is taken.
        let mut quotes = QuoteTracker::new();
        let mut timing = QuoteTiming::new(UntimedQuotePolicy::ClockOffset, 60_000 * MS);
        quotes.on_quote(&untimed_quote(5, 100));
        let trade = fill(2, 9);
        timing.observe_fill(&trade);
        assert!(timing.select(&trade, &mut quotes).spec.is_some());
    }

    #[test]
    fn timed_quotes_keep_the_exchange_time_rule() {
        // Timed quotes at exchange 10 and 30 (both received before the trade); trade at
        // exchange 30 -> SPEC takes the one at 10 under every policy.
        let mut quotes = QuoteTracker::new();
        let mut timing = QuoteTiming::new(UntimedQuotePolicy::ClockOffset, 60_000 * MS);
        for (ts_event, bid) in [(10, 100), (30, 101)] {
            let mut quote = untimed_quote(ts_event + 1, bid);
            quote.ts_event = UnixNanos(ts_event);
            quote.flags = QuoteFlags::default();
            quotes.on_quote(&quote);
        }
        let trade = fill(30, 40);
        timing.observe_fill(&trade);
        let chosen = timing.select(&trade, &mut quotes);
        assert_eq!(chosen.spec.map(|quote| quote.ts_event), Some(UnixNanos(10)));
        assert_eq!(chosen.receive_order, chosen.spec);
        assert_eq!(
            chosen.latest.map(|quote| quote.ts_event),
            Some(UnixNanos(30))
        );
    }

    #[test]
    fn config_names_the_policy_and_validates_the_window() {
        use crate::FeatureConfig;
        let config: FeatureConfig = serde_json::from_str(
            r#"{"untimed_quote_policy": "receive_order", "clock_offset_window_ms": 10000}"#,
        )
        .unwrap();
        assert_eq!(
            config.untimed_quote_policy,
            UntimedQuotePolicy::ReceiveOrder
        );
        assert_eq!(config.quote_timing().estimator.window_nanos, 10_000 * MS);
        let default = FeatureConfig::default();
        assert_eq!(
            default.untimed_quote_policy,
            UntimedQuotePolicy::ClockOffset
        );
        assert_eq!(
            default.quote_timing().estimator.window_nanos,
            DEFAULT_CLOCK_OFFSET_WINDOW_NANOS
        );
        let zero = FeatureConfig {
            clock_offset_window_ms: 0,
            ..FeatureConfig::default()
        };
        assert!(zero.validate().is_err());
    }
}
