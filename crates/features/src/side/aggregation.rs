//! Same-timestamp aggregation (SPEC 2.3): all consecutive fills with the identical `ts_event`
//! form one trade (size = sum, price = VWAP) before classification; where the venue labels
//! aggressors and the labels differ within one timestamp, one trade per label.
//!
//! The quotes a trade is classified against are chosen when its FIRST fill arrives (quotes
//! received later, e.g. the post-trade book, are never used: no look-ahead), and kept with the
//! pending aggregate, so classification can run whenever the aggregate is complete. Which
//! quote that is: `side::quote_timing` (SPEC rule, with the untimed-quote extension).

use auction_trader_types::{AggressorSide, Price, Quantity, Trade, UnixNanos};

use crate::quotes::{QuoteTracker, TopOfBook};
use crate::side::quote_timing::QuoteTiming;

/// One aggregated trade, ready for classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AggregatedTrade {
    pub ts_event: UnixNanos,
    /// Receive time of the first fill.
    pub ts_recv: UnixNanos,
    /// Volume-weighted average price, rounded half up to the 10^-9 grid.
    pub price: Price,
    pub size: Quantity,
    pub fills: u32,
    /// The venue's label shared by the fills (`Unknown` when the venue gives none).
    pub venue_side: AggressorSide,
    /// SPEC 2.3 quote (exchange-time rule when both sides have exchange times; untimed
    /// quotes by the configured `UntimedQuotePolicy`).
    pub spec_quote: Option<TopOfBook>,
    /// The SPEC 2.3 quote as written (untimed quotes in receive order), for comparison.
    pub receive_order_quote: Option<TopOfBook>,
    /// The latest quote received before the first fill (the "standard" quote of Lee-Ready).
    pub latest_quote: Option<TopOfBook>,
}

#[derive(Debug, Clone, Copy, Default)]
struct LabelGroup {
    /// Σ price_raw × size_raw (exact).
    notional: i128,
    size: i128,
    fills: u32,
    /// Position in order of first appearance within the timestamp.
    order: u8,
}

/// Accumulates the fills of the current timestamp.
#[derive(Debug, Clone)]
pub struct TradeAggregator {
    timing: QuoteTiming,
    active: bool,
    ts_event: UnixNanos,
    ts_recv: UnixNanos,
    /// Buy, Sell, Unknown.
    groups: [LabelGroup; 3],
    next_order: u8,
    spec_quote: Option<TopOfBook>,
    receive_order_quote: Option<TopOfBook>,
    latest_quote: Option<TopOfBook>,
}

impl Default for TradeAggregator {
    fn default() -> Self {
        Self::new()
    }
}

const fn label_index(side: AggressorSide) -> usize {
    match side {
        AggressorSide::Buy => 0,
        AggressorSide::Sell => 1,
        AggressorSide::Unknown => 2,
    }
}

const LABELS: [AggressorSide; 3] = [
    AggressorSide::Buy,
    AggressorSide::Sell,
    AggressorSide::Unknown,
];

impl TradeAggregator {
    /// An aggregator with the default quote timing (`UntimedQuotePolicy::ClockOffset`, 60 s).
    pub fn new() -> Self {
        Self::with_timing(QuoteTiming::default())
    }

    pub fn with_timing(timing: QuoteTiming) -> Self {
        Self {
            timing,
            active: false,
            ts_event: UnixNanos(0),
            ts_recv: UnixNanos(0),
            groups: [LabelGroup::default(); 3],
            next_order: 0,
            spec_quote: None,
            receive_order_quote: None,
            latest_quote: None,
        }
    }

    /// Adds a fill. When it starts a new timestamp, the previous aggregate is emitted first
    /// through `emit` (in order of first appearance of each label).
    #[inline]
    pub fn push(
        &mut self,
        trade: &Trade,
        quotes: &mut QuoteTracker,
        emit: &mut impl FnMut(AggregatedTrade),
    ) {
        self.timing.observe_fill(trade);
        if !self.active || trade.ts_event != self.ts_event {
            self.flush(emit);
            self.active = true;
            self.ts_event = trade.ts_event;
            self.ts_recv = trade.ts_recv;
            let selected = self.timing.select(trade, quotes);
            self.spec_quote = selected.spec;
            self.receive_order_quote = selected.receive_order;
            self.latest_quote = selected.latest;
        }
        let next_order = self.next_order;
        let group = &mut self.groups[label_index(trade.aggressor)];
        if group.fills == 0 {
            group.order = next_order;
            self.next_order += 1;
        }
        group.notional += i128::from(trade.price.raw()) * trade.size.raw();
        group.size = group.size.saturating_add(trade.size.raw());
        group.fills += 1;
    }

    /// Emits the pending aggregate, if any.
    pub fn flush(&mut self, emit: &mut impl FnMut(AggregatedTrade)) {
        if !self.active {
            return;
        }
        self.active = false;
        for order in 0..self.next_order {
            let Some(index) = self
                .groups
                .iter()
                .position(|group| group.fills > 0 && group.order == order)
            else {
                continue;
            };
            let group = self.groups[index];
            emit(AggregatedTrade {
                ts_event: self.ts_event,
                ts_recv: self.ts_recv,
                price: vwap(group.notional, group.size),
                size: Quantity::from_raw(group.size),
                fills: group.fills,
                venue_side: LABELS[index],
                spec_quote: self.spec_quote,
                receive_order_quote: self.receive_order_quote,
                latest_quote: self.latest_quote,
            });
        }
        self.groups = [LabelGroup::default(); 3];
        self.next_order = 0;
    }
}

/// Σ(p × q) / Σq rounded half up; zero size (never valid data) gives price 0.
#[inline]
pub(crate) fn vwap(notional: i128, size: i128) -> Price {
    if size <= 0 {
        return Price::ZERO;
    }
    let rounded = (2 * notional + size).div_euclid(2 * size);
    Price::from_raw(i64::try_from(rounded).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use auction_trader_types::TradeId;

    use super::*;
    use crate::quotes::QuoteTracker;

    fn fill(ts_event: i64, price: &str, size: &str, side: AggressorSide) -> Trade {
        Trade {
            ts_event: UnixNanos(ts_event),
            ts_recv: UnixNanos(ts_event + 5),
            price: Price::from_decimal_str(price).unwrap(),
            size: Quantity::from_decimal_str(size).unwrap(),
            aggressor: side,
            trade_id: TradeId(0),
        }
    }

    fn run(fills: &[Trade]) -> Vec<AggregatedTrade> {
        let mut aggregator = TradeAggregator::new();
        let mut quotes = QuoteTracker::new();
        let mut out = Vec::new();
        for trade in fills {
            aggregator.push(trade, &mut quotes, &mut |aggregate| out.push(aggregate));
        }
        aggregator.flush(&mut |aggregate| out.push(aggregate));
        out
    }

    #[test]
    fn same_timestamp_fills_become_one_vwap_trade() {
        // Three fills at ts 7: 1 @ 100.0, 3 @ 100.2, 1 @ 100.5 -> size 5,
        // VWAP (100.0 + 300.6 + 100.5) / 5 = 501.1 / 5 = 100.22. Then one fill at ts 8.
        let unknown = AggressorSide::Unknown;
        let out = run(&[
            fill(7, "100.0", "1", unknown),
            fill(7, "100.2", "3", unknown),
            fill(7, "100.5", "1", unknown),
            fill(8, "100.1", "2", unknown),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].price, Price::from_decimal_str("100.22").unwrap());
        assert_eq!(out[0].size, Quantity::from_units(5).unwrap());
        assert_eq!(out[0].fills, 3);
        assert_eq!(out[0].ts_recv, UnixNanos(12));
        assert_eq!(out[1].price, Price::from_decimal_str("100.1").unwrap());
    }

    #[test]
    fn differing_labels_aggregate_per_label_in_first_appearance_order() {
        // ts 7: sell 1 @ 100, buy 2 @ 101, sell 1 @ 99, buy 2 @ 102 ->
        // sell: size 2, VWAP 99.5 (first seen); buy: size 4, VWAP 101.5.
        let out = run(&[
            fill(7, "100", "1", AggressorSide::Sell),
            fill(7, "101", "2", AggressorSide::Buy),
            fill(7, "99", "1", AggressorSide::Sell),
            fill(7, "102", "2", AggressorSide::Buy),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].venue_side, AggressorSide::Sell);
        assert_eq!(out[0].price, Price::from_decimal_str("99.5").unwrap());
        assert_eq!(out[0].size, Quantity::from_units(2).unwrap());
        assert_eq!(out[1].venue_side, AggressorSide::Buy);
        assert_eq!(out[1].price, Price::from_decimal_str("101.5").unwrap());
    }

    #[test]
    fn vwap_rounds_half_up_on_the_nano_grid() {
        // Σpq = 1 (raw) over size 2 -> 0.5 raw -> rounds to 1 raw; 1/3 -> 0.
        assert_eq!(vwap(1, 2), Price::from_raw(1));
        assert_eq!(vwap(1, 3), Price::from_raw(0));
        assert_eq!(vwap(5, 0), Price::ZERO);
    }

    #[test]
    fn quote_is_chosen_at_the_first_fill() {
        use auction_trader_types::{Quote, QuoteFlags};
        let make_quote = |ts: i64, bid: i64| Quote {
            ts_event: UnixNanos(ts),
            ts_recv: UnixNanos(ts),
            bid_price: Price::from_units(bid).unwrap(),
            bid_size: Quantity::ONE,
            ask_price: Price::from_units(bid + 1).unwrap(),
            ask_size: Quantity::ONE,
            update_id: 0,
            flags: QuoteFlags::default(),
        };
        let mut aggregator = TradeAggregator::new();
        let mut quotes = QuoteTracker::new();
        let mut out = Vec::new();
        quotes.on_quote(&make_quote(1, 100));
        aggregator.push(
            &fill(7, "101", "1", AggressorSide::Unknown),
            &mut quotes,
            &mut |a| out.push(a),
        );
        // A quote arriving between two fills of the same timestamp is not used for it.
        quotes.on_quote(&make_quote(6, 200));
        aggregator.push(
            &fill(7, "101", "1", AggressorSide::Unknown),
            &mut quotes,
            &mut |a| out.push(a),
        );
        aggregator.flush(&mut |a| out.push(a));
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].latest_quote.unwrap().bid_price,
            Price::from_units(100).unwrap()
        );
        assert_eq!(
            out[0].spec_quote.unwrap().bid_price,
            Price::from_units(100).unwrap()
        );
    }
}
