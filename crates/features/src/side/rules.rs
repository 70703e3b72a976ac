//! The trade-side classification rules (SPEC 2.3), as pure functions of a price and a quote,
//! plus the stateful tick rule. `AggressorSide::Unknown` means "not classified".

use auction_trader_types::{AggressorSide, Price};

use crate::quotes::TopOfBook;

/// SPEC 2.3 quote rule: price >= ask → buy; price <= bid → sell; strictly inside the spread →
/// the side whose quote is nearer; exactly at the mid → ambiguous (`Unknown`, the tick rule
/// decides). No quote, or an unusable (crossed, one-sided) one, is ambiguous too.
/// This is also the Lee-Ready quote test when given the latest received quote.
#[inline]
pub fn quote_rule(price: Price, quote: Option<&TopOfBook>) -> AggressorSide {
    let Some(quote) = quote.filter(|quote| quote.usable) else {
        return AggressorSide::Unknown;
    };
    if price >= quote.ask_price {
        return AggressorSide::Buy;
    }
    if price <= quote.bid_price {
        return AggressorSide::Sell;
    }
    // Strictly inside: compare 2 × price with bid + ask (exact, no halving).
    let doubled = 2 * i128::from(price.raw());
    let mid_doubled = i128::from(quote.bid_price.raw()) + i128::from(quote.ask_price.raw());
    match doubled.cmp(&mid_doubled) {
        std::cmp::Ordering::Greater => AggressorSide::Buy,
        std::cmp::Ordering::Less => AggressorSide::Sell,
        std::cmp::Ordering::Equal => AggressorSide::Unknown,
    }
}

/// Ellis–Michaely–O'Hara quote test: a trade exactly at the ask is a buy, exactly at the bid
/// a sell; every other trade goes to the tick rule.
#[inline]
pub fn emo_quote_test(price: Price, quote: Option<&TopOfBook>) -> AggressorSide {
    match quote.filter(|quote| quote.usable) {
        Some(quote) if price == quote.ask_price => AggressorSide::Buy,
        Some(quote) if price == quote.bid_price => AggressorSide::Sell,
        _ => AggressorSide::Unknown,
    }
}

/// Tick rule with zero-tick continuation (SPEC 2.3): uptick → buy, downtick → sell, unchanged →
/// the previous trade's sign (the direction of the last price change); trades before the first
/// price change are unclassified.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickRule {
    last_price: Option<Price>,
    last_direction: AggressorSide,
}

impl TickRule {
    pub const fn new() -> Self {
        Self {
            last_price: None,
            last_direction: AggressorSide::Unknown,
        }
    }

    /// Classifies the next trade price and remembers it.
    #[inline]
    pub fn classify(&mut self, price: Price) -> AggressorSide {
        if let Some(last) = self.last_price {
            if price > last {
                self.last_direction = AggressorSide::Buy;
            } else if price < last {
                self.last_direction = AggressorSide::Sell;
            }
        }
        self.last_price = Some(price);
        self.last_direction
    }
}

/// "Quote test, else tick rule": the SPEC combined rule, Lee-Ready and EMO all have this shape.
#[inline]
pub fn quote_else_tick(quote_side: AggressorSide, tick_side: AggressorSide) -> AggressorSide {
    if quote_side == AggressorSide::Unknown {
        tick_side
    } else {
        quote_side
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{Quantity, UnixNanos};

    use super::*;

    fn price(text: &str) -> Price {
        Price::from_decimal_str(text).unwrap()
    }

    fn book(bid: &str, ask: &str) -> TopOfBook {
        TopOfBook {
            ts_event: UnixNanos(0),
            ts_recv: UnixNanos(0),
            bid_price: price(bid),
            bid_size: Quantity::ONE,
            ask_price: price(ask),
            ask_size: Quantity::ONE,
            has_exchange_time: true,
            usable: true,
        }
    }

    #[test]
    fn quote_rule_at_through_inside_and_at_mid() {
        // Bid 100.0 / ask 100.4, mid 100.2.
        let quote = book("100.0", "100.4");
        let q = Some(&quote);
        assert_eq!(quote_rule(price("100.4"), q), AggressorSide::Buy); // at the ask
        assert_eq!(quote_rule(price("100.6"), q), AggressorSide::Buy); // through the ask
        assert_eq!(quote_rule(price("100.0"), q), AggressorSide::Sell); // at the bid
        assert_eq!(quote_rule(price("99.9"), q), AggressorSide::Sell); // through the bid
        // 100.3 is 0.1 from the ask and 0.3 from the bid -> nearer the ask -> buy.
        assert_eq!(quote_rule(price("100.3"), q), AggressorSide::Buy);
        // 100.1 is nearer the bid -> sell.
        assert_eq!(quote_rule(price("100.1"), q), AggressorSide::Sell);
        // 100.2 is exactly the mid -> ambiguous.
        assert_eq!(quote_rule(price("100.2"), q), AggressorSide::Unknown);
        assert_eq!(quote_rule(price("100.2"), None), AggressorSide::Unknown);
    }

    #[test]
    fn locked_and_crossed_quotes() {
        // Locked 100/100: a trade at 100 is >= ask -> buy (the ask test comes first).
        let locked = book("100", "100");
        assert_eq!(quote_rule(price("100"), Some(&locked)), AggressorSide::Buy);
        let mut crossed = book("101", "100");
        crossed.usable = false;
        assert_eq!(
            quote_rule(price("100.5"), Some(&crossed)),
            AggressorSide::Unknown
        );
    }

    #[test]
    fn emo_only_classifies_at_the_quotes() {
        let quote = book("100.0", "100.4");
        assert_eq!(
            emo_quote_test(price("100.4"), Some(&quote)),
            AggressorSide::Buy
        );
        assert_eq!(
            emo_quote_test(price("100.0"), Some(&quote)),
            AggressorSide::Sell
        );
        assert_eq!(
            emo_quote_test(price("100.3"), Some(&quote)),
            AggressorSide::Unknown
        );
        assert_eq!(
            emo_quote_test(price("100.5"), Some(&quote)),
            AggressorSide::Unknown
        );
    }

    #[test]
    fn tick_rule_zero_tick_continuation() {
        // Prices 100, 100, 101, 101, 100.5, 100.5, 102:
        // first two: no change yet -> unclassified; 101 up -> buy; 101 zero tick -> buy;
        // 100.5 down -> sell; zero tick -> sell; 102 up -> buy.
        let mut rule = TickRule::new();
        let sides: Vec<_> = ["100", "100", "101", "101", "100.5", "100.5", "102"]
            .iter()
            .map(|text| rule.classify(price(text)))
            .collect();
        use AggressorSide::{Buy, Sell, Unknown};
        assert_eq!(sides, vec![Unknown, Unknown, Buy, Buy, Sell, Sell, Buy]);
    }

    #[test]
    fn quote_first_then_tick() {
        assert_eq!(
            quote_else_tick(AggressorSide::Sell, AggressorSide::Buy),
            AggressorSide::Sell
        );
        assert_eq!(
            quote_else_tick(AggressorSide::Unknown, AggressorSide::Buy),
            AggressorSide::Buy
        );
    }
}
