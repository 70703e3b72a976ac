//! The SPEC 2.3 combined classification of aggregated trades: quote rule first (with the
//! exchange-time quote, stale quotes used but counted), tick rule with zero-tick continuation
//! as the fallback, and the side used for trading (the venue's label when it has one).

use auction_trader_types::{AggressorSide, Price, Quantity, UnixNanos};
use serde::Serialize;

use crate::quotes::TopOfBook;
use crate::side::aggregation::AggregatedTrade;
use crate::side::rules::{TickRule, quote_else_tick, quote_rule};

/// An aggregated trade with every classification the engine computes for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ClassifiedTrade {
    pub ts_event: UnixNanos,
    pub ts_recv: UnixNanos,
    /// VWAP of the aggregated fills.
    pub price: Price,
    pub size: Quantity,
    pub fills: u32,
    /// The venue's aggressor label (`Unknown` when it gives none).
    pub venue_side: AggressorSide,
    /// SPEC quote rule alone (`Unknown` = at the mid, or no usable quote).
    pub quote_rule: AggressorSide,
    /// Tick rule alone.
    pub tick_rule: AggressorSide,
    /// SPEC combined inference: quote rule, else tick rule.
    pub inferred: AggressorSide,
    /// The side used for order flow: the venue label when configured and present, else the
    /// inference (`Unknown` under BVC, which splits the minute's volume instead).
    pub side: AggressorSide,
    /// The quote rule classified this trade with a quote older than the stale threshold.
    pub stale_quote: bool,
}

impl ClassifiedTrade {
    /// The venue labelled this trade and the SPEC inference agrees.
    pub fn inference_correct(&self) -> Option<bool> {
        (self.venue_side != AggressorSide::Unknown).then(|| self.inferred == self.venue_side)
    }
}

/// Age of `quote` at the trade: on the exchange clock when the quote has one, else on the
/// receive clock.
#[inline]
pub fn quote_age_nanos(trade: &AggregatedTrade, quote: &TopOfBook) -> i64 {
    if quote.has_exchange_time {
        trade
            .ts_event
            .as_i64()
            .saturating_sub(quote.ts_event.as_i64())
    } else {
        trade
            .ts_recv
            .as_i64()
            .saturating_sub(quote.ts_recv.as_i64())
    }
}

/// Stateful classifier (the tick rule remembers the last price).
#[derive(Debug, Clone)]
pub struct SideClassifier {
    tick_rule: TickRule,
    stale_after_nanos: i64,
    use_venue_aggressor: bool,
    infer_for_trading: bool,
}

impl SideClassifier {
    /// `infer_for_trading` is false under BVC: unlabeled trades then keep `side = Unknown`.
    pub fn new(stale_after_nanos: i64, use_venue_aggressor: bool, infer_for_trading: bool) -> Self {
        Self {
            tick_rule: TickRule::new(),
            stale_after_nanos,
            use_venue_aggressor,
            infer_for_trading,
        }
    }

    #[inline]
    pub fn classify(&mut self, trade: &AggregatedTrade) -> ClassifiedTrade {
        let quote = trade.spec_quote.as_ref();
        let quote_side = quote_rule(trade.price, quote);
        let tick_side = self.tick_rule.classify(trade.price);
        let inferred = quote_else_tick(quote_side, tick_side);
        // SPEC 2.3: stale quotes are used, and the classifications they made are counted.
        let stale_quote = quote_side != AggressorSide::Unknown
            && quote.is_some_and(|quote| quote_age_nanos(trade, quote) > self.stale_after_nanos);
        let side = if self.use_venue_aggressor && trade.venue_side != AggressorSide::Unknown {
            trade.venue_side
        } else if self.infer_for_trading {
            inferred
        } else {
            AggressorSide::Unknown
        };
        ClassifiedTrade {
            ts_event: trade.ts_event,
            ts_recv: trade.ts_recv,
            price: trade.price,
            size: trade.size,
            fills: trade.fills,
            venue_side: trade.venue_side,
            quote_rule: quote_side,
            tick_rule: tick_side,
            inferred,
            side,
            stale_quote,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(ts_event: i64, bid: i64, ask: i64) -> TopOfBook {
        TopOfBook {
            ts_event: UnixNanos(ts_event),
            ts_recv: UnixNanos(ts_event),
            bid_price: Price::from_units(bid).unwrap(),
            bid_size: Quantity::ONE,
            ask_price: Price::from_units(ask).unwrap(),
            ask_size: Quantity::ONE,
            has_exchange_time: true,
            usable: true,
        }
    }

    fn trade(
        ts_event: i64,
        price: i64,
        quote: Option<TopOfBook>,
        venue_side: AggressorSide,
    ) -> AggregatedTrade {
        AggregatedTrade {
            ts_event: UnixNanos(ts_event),
            ts_recv: UnixNanos(ts_event),
            price: Price::from_units(price).unwrap(),
            size: Quantity::ONE,
            fills: 1,
            venue_side,
            spec_quote: quote,
            receive_order_quote: quote,
            latest_quote: quote,
        }
    }

    const MS: i64 = 1_000_000;

    #[test]
    fn stale_quotes_are_used_and_counted() {
        // Quote 100/102 at t=0. Trade at 102 at t=300 ms: quote age 300 ms > 250 ms -> stale,
        // still classified buy by the quote rule. A trade at 100 at t=200 ms: not stale.
        let mut classifier = SideClassifier::new(250 * MS, true, true);
        let quote = Some(book(0, 100, 102));
        let late = classifier.classify(&trade(300 * MS, 102, quote, AggressorSide::Unknown));
        assert_eq!(
            (late.quote_rule, late.side, late.stale_quote),
            (AggressorSide::Buy, AggressorSide::Buy, true)
        );
        let fresh = classifier.classify(&trade(200 * MS, 100, quote, AggressorSide::Unknown));
        assert_eq!(
            (fresh.quote_rule, fresh.stale_quote),
            (AggressorSide::Sell, false)
        );
        // Exactly 250 ms is not "> 250 ms".
        let edge = classifier.classify(&trade(250 * MS, 100, quote, AggressorSide::Unknown));
        assert!(!edge.stale_quote);
    }

    #[test]
    fn mid_trades_fall_to_the_tick_rule_and_are_not_stale_classifications() {
        // Quote 100/102 (mid 101). Trades 100 (sell by quote), then 101 at the mid: quote
        // ambiguous, tick rule uptick from 100 -> buy.
        let mut classifier = SideClassifier::new(250 * MS, true, true);
        let quote = Some(book(0, 100, 102));
        classifier.classify(&trade(1, 100, quote, AggressorSide::Unknown));
        let at_mid = classifier.classify(&trade(10_000 * MS, 101, quote, AggressorSide::Unknown));
        assert_eq!(at_mid.quote_rule, AggressorSide::Unknown);
        assert_eq!(at_mid.tick_rule, AggressorSide::Buy);
        assert_eq!(at_mid.inferred, AggressorSide::Buy);
        assert!(!at_mid.stale_quote);
    }

    #[test]
    fn venue_label_wins_for_trading_but_inference_is_kept() {
        let mut classifier = SideClassifier::new(250 * MS, true, true);
        let quote = Some(book(0, 100, 102));
        let labelled = classifier.classify(&trade(1, 100, quote, AggressorSide::Buy));
        assert_eq!(labelled.side, AggressorSide::Buy);
        assert_eq!(labelled.inferred, AggressorSide::Sell);
        assert_eq!(labelled.inference_correct(), Some(false));
        // With venue labels disabled, the inference trades.
        let mut research = SideClassifier::new(250 * MS, false, true);
        assert_eq!(
            research
                .classify(&trade(1, 100, quote, AggressorSide::Buy))
                .side,
            AggressorSide::Sell
        );
        // Under BVC, unlabeled trades stay unknown for trading.
        let mut bvc = SideClassifier::new(250 * MS, true, false);
        assert_eq!(
            bvc.classify(&trade(1, 100, quote, AggressorSide::Unknown))
                .side,
            AggressorSide::Unknown
        );
    }
}
