//! The replay in Bybit v5 shapes (public linear topics), converted from the Binance frames:
//! - `orderbook.50.<SYMBOL>`: the venue's top 50 levels per side. A subscriber first gets a
//!   `snapshot` of the current top 50; then every depth frame that changes the top 50 sends
//!   one `delta` with the changed levels (size `"0"` = level removed, also when a level only
//!   left the top 50). `u` counts the deltas (contiguous; it starts at
//!   [`FIRST_UPDATE_ID`], never 1, which means a service restart on Bybit), `seq` is the
//!   Binance `u` of the frame (the cross sequence), `ts`/`cts` its exchange time (ms).
//! - `tickers.<SYMBOL>`: `bid1Price`/`bid1Size`/`ask1Price`/`ask1Size` from every bookTicker
//!   (`delta`; a subscriber first gets a `snapshot` with the fields known), `lastPrice` from
//!   trades.
//! - `publicTrade.<SYMBOL>`: one trade per message, `S` the taker side (Binance `m = true`
//!   means the taker sold), `i` the Binance trade id.

use std::sync::Arc;

use auction_trader_book::OrderBook;
use auction_trader_types::{
    AggressorSide, BookSide, MarketEvent, Price, Quantity, Quote, UnixNanos,
};
use serde_json::{Value, json};

use crate::capture::{Frame, FrameKind};
use crate::faults::MarketMessage;
use crate::format::{decimals_of_step, fixed};

/// Levels per side of the converted book (`orderbook.50`).
pub const DEPTH_LEVELS: usize = 50;
/// `u` of the first snapshot.
pub const FIRST_UPDATE_ID: u64 = 100_000;

/// The Bybit view of the replay.
#[derive(Debug, Clone)]
pub struct BybitFeed {
    symbol: String,
    pub depth_topic: Arc<str>,
    pub ticker_topic: Arc<str>,
    pub trade_topic: Arc<str>,
    bids: Vec<(Price, Quantity)>,
    asks: Vec<(Price, Quantity)>,
    update_id: u64,
    seq: u64,
    ts_ms: i64,
    quote: Option<Quote>,
    last_price: Option<Price>,
    price_decimals: u32,
    size_decimals: u32,
}

impl BybitFeed {
    /// Starts from the venue's book (the capture's snapshot).
    pub fn new(symbol: &str, book: &OrderBook, seq: u64, ts: UnixNanos) -> Self {
        let price_decimals = book
            .tick_size()
            .map_or(2, |tick| decimals_of_step(i128::from(tick.raw())));
        Self {
            symbol: symbol.to_owned(),
            depth_topic: Arc::from(format!("orderbook.{DEPTH_LEVELS}.{symbol}")),
            ticker_topic: Arc::from(format!("tickers.{symbol}")),
            trade_topic: Arc::from(format!("publicTrade.{symbol}")),
            bids: book.top_levels(BookSide::Bid, DEPTH_LEVELS).collect(),
            asks: book.top_levels(BookSide::Ask, DEPTH_LEVELS).collect(),
            update_id: FIRST_UPDATE_ID,
            seq,
            ts_ms: ts.as_i64() / 1_000_000,
            quote: None,
            last_price: None,
            price_decimals,
            size_decimals: 3,
        }
    }

    /// Size decimals from the instrument's lot (default 3).
    pub fn with_size_decimals(mut self, decimals: u32) -> Self {
        self.size_decimals = decimals;
        self
    }

    /// The messages of one replayed frame; `book` is the venue's book after it.
    pub fn on_frame(&mut self, frame: &Frame, book: &OrderBook) -> Vec<MarketMessage> {
        match frame.kind {
            FrameKind::Depth(ids) => {
                let ts = frame
                    .events
                    .first()
                    .map_or(frame.ts_local, MarketEvent::ts_event);
                self.on_depth(book, ids.last, ts).into_iter().collect()
            }
            FrameKind::BookTicker => frame
                .events
                .iter()
                .filter_map(|event| match event {
                    MarketEvent::Quote(quote) => Some(self.on_quote(quote)),
                    _ => None,
                })
                .collect(),
            FrameKind::Trade => frame
                .events
                .iter()
                .filter_map(|event| match event {
                    MarketEvent::Trade(trade) => {
                        self.last_price = Some(trade.price);
                        let side = match trade.aggressor {
                            AggressorSide::Buy => "Buy",
                            AggressorSide::Sell => "Sell",
                            AggressorSide::Unknown => return None,
                        };
                        let text = json!({
                            "topic": &*self.trade_topic,
                            "type": "snapshot",
                            "ts": trade.ts_event.as_i64() / 1_000_000,
                            "data": [{
                                "T": trade.ts_event.as_i64() / 1_000_000,
                                "s": self.symbol,
                                "S": side,
                                "v": self.size(trade.size),
                                "p": self.price(trade.price),
                                "i": trade.trade_id.0.to_string(),
                                "BT": false,
                            }],
                        });
                        Some(self.message(&self.trade_topic.clone(), text, false))
                    }
                    _ => None,
                })
                .collect(),
            FrameKind::Other => Vec::new(),
        }
    }

    fn on_depth(&mut self, book: &OrderBook, seq: u64, ts: UnixNanos) -> Option<MarketMessage> {
        let bids: Vec<(Price, Quantity)> = book.top_levels(BookSide::Bid, DEPTH_LEVELS).collect();
        let asks: Vec<(Price, Quantity)> = book.top_levels(BookSide::Ask, DEPTH_LEVELS).collect();
        let bid_changes = changes(&self.bids, &bids);
        let ask_changes = changes(&self.asks, &asks);
        self.bids = bids;
        self.asks = asks;
        self.seq = seq;
        self.ts_ms = ts.as_i64() / 1_000_000;
        if bid_changes.is_empty() && ask_changes.is_empty() {
            return None;
        }
        self.update_id += 1;
        let text = json!({
            "topic": &*self.depth_topic,
            "type": "delta",
            "ts": self.ts_ms,
            "data": {
                "s": self.symbol,
                "b": self.levels(&bid_changes),
                "a": self.levels(&ask_changes),
                "u": self.update_id,
                "seq": self.seq,
            },
            "cts": self.ts_ms,
        });
        Some(self.message(&self.depth_topic.clone(), text, true))
    }

    fn on_quote(&mut self, quote: &Quote) -> MarketMessage {
        self.quote = Some(*quote);
        let text = json!({
            "topic": &*self.ticker_topic,
            "type": "delta",
            "data": {
                "symbol": self.symbol,
                "bid1Price": self.price(quote.bid_price),
                "bid1Size": self.size(quote.bid_size),
                "ask1Price": self.price(quote.ask_price),
                "ask1Size": self.size(quote.ask_size),
            },
            "cs": quote.update_id,
            "ts": quote.ts_event.as_i64() / 1_000_000,
        });
        self.message(&self.ticker_topic.clone(), text, false)
    }

    /// The order-book snapshot a new subscriber gets (the current top 50 and `u`).
    pub fn depth_snapshot(&self) -> String {
        json!({
            "topic": &*self.depth_topic,
            "type": "snapshot",
            "ts": self.ts_ms,
            "data": {
                "s": self.symbol,
                "b": self.levels(&self.bids),
                "a": self.levels(&self.asks),
                "u": self.update_id,
                "seq": self.seq,
            },
            "cts": self.ts_ms,
        })
        .to_string()
    }

    /// The ticker snapshot a new subscriber gets (the fields known so far).
    pub fn ticker_snapshot(&self) -> String {
        let mut data = json!({ "symbol": self.symbol });
        if let Some(quote) = self.quote {
            data["bid1Price"] = json!(self.price(quote.bid_price));
            data["bid1Size"] = json!(self.size(quote.bid_size));
            data["ask1Price"] = json!(self.price(quote.ask_price));
            data["ask1Size"] = json!(self.size(quote.ask_size));
        }
        if let Some(price) = self.last_price {
            data["lastPrice"] = json!(self.price(price));
        }
        json!({
            "topic": &*self.ticker_topic,
            "type": "snapshot",
            "data": data,
            // The cross sequence of the bookTicker these fields come from, not the book's
            // newest `seq`: the quote may be older than the last depth frame.
            "cs": self.quote.map_or(self.seq, |quote| quote.update_id),
            "ts": self.ts_ms,
        })
        .to_string()
    }

    /// The REST order book (`/v5/market/orderbook`): the top `limit` (≤ 50 here) levels.
    pub fn rest_book(&self, limit: usize) -> Value {
        json!({
            "s": self.symbol,
            "b": self.levels(&self.bids[..limit.min(self.bids.len())]),
            "a": self.levels(&self.asks[..limit.min(self.asks.len())]),
            "ts": self.ts_ms,
            "u": self.update_id,
            "seq": self.seq,
            "cts": self.ts_ms,
        })
    }

    fn price(&self, price: Price) -> String {
        fixed(i128::from(price.raw()), self.price_decimals)
    }

    fn size(&self, size: Quantity) -> String {
        fixed(size.raw(), self.size_decimals)
    }

    fn levels(&self, levels: &[(Price, Quantity)]) -> Vec<[String; 2]> {
        levels
            .iter()
            .map(|(price, size)| [self.price(*price), self.size(*size)])
            .collect()
    }

    fn message(&self, topic: &Arc<str>, text: Value, depth: bool) -> MarketMessage {
        MarketMessage {
            topic: topic.clone(),
            text: Arc::from(text.to_string()),
            depth,
        }
    }
}

/// Levels that changed from `old` to `new` (both best first): removed levels with size 0,
/// added or resized levels with their new size; best first by `new`'s order, removals after.
fn changes(old: &[(Price, Quantity)], new: &[(Price, Quantity)]) -> Vec<(Price, Quantity)> {
    let mut out = Vec::new();
    for level in new {
        if !old.contains(level) {
            out.push(*level);
        }
    }
    for (price, _) in old {
        if !new.iter().any(|(kept, _)| kept == price) {
            out.push((*price, Quantity::ZERO));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(price: i64, size: i128) -> (Price, Quantity) {
        (Price::from_raw(price), Quantity::from_raw(size))
    }

    #[test]
    fn changes_list_resized_added_and_removed_levels() {
        let old = [level(100, 5), level(99, 3), level(98, 1)];
        let new = [level(101, 2), level(100, 5), level(99, 4)];
        assert_eq!(
            changes(&old, &new),
            vec![level(101, 2), level(99, 4), level(98, 0)]
        );
        assert!(changes(&new, &new).is_empty());
    }

    #[test]
    fn the_ticker_snapshot_carries_its_quote_cross_sequence_not_the_books() {
        let book = OrderBook::with_inferred_tick();
        let mut feed = BybitFeed::new("BTCUSDT", &book, 500, UnixNanos(0));
        let cs = |text: String| serde_json::from_str::<Value>(&text).unwrap()["cs"].as_u64();
        // No quote yet: the book's sequence (the decoder emits no quote without fields).
        assert_eq!(cs(feed.ticker_snapshot()), Some(500));
        feed.on_quote(&Quote {
            ts_event: UnixNanos(0),
            ts_recv: UnixNanos(0),
            bid_price: Price::from_raw(100),
            bid_size: Quantity::from_raw(1),
            ask_price: Price::from_raw(101),
            ask_size: Quantity::from_raw(1),
            update_id: 520,
            flags: auction_trader_types::QuoteFlags::default(),
        });
        // Later depth frames move the book's sequence on; the quote's fields are still id 520.
        feed.on_depth(&book, 530, UnixNanos(0));
        assert_eq!(cs(feed.ticker_snapshot()), Some(520));
    }
}
