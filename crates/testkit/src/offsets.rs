//! Hand-made events for unit tests of the feature engine, the bar input and the research
//! loaders: prices and sizes from decimal text, times in nanoseconds after [`BASE`].

use auction_trader_types::{
    AggressorSide, Bar, BookDelta, BookSide, DeltaFlags, MarketEvent, NANOS_PER_MINUTE, Quantity,
    Quote, QuoteFlags, Trade, TradeId, UnixNanos,
};

/// 2023-11-14T22:14:00Z, a whole UTC minute.
pub const BASE: i64 = 1_700_000_040 * 1_000_000_000;

pub use crate::events::{price, qty as units};

/// A trade stamped `ts_event` and received `ts_recv` after BASE, trade id 0.
pub fn trade_at(
    ts_event: i64,
    ts_recv: i64,
    level: &str,
    size: &str,
    side: AggressorSide,
) -> MarketEvent {
    MarketEvent::Trade(Trade {
        ts_event: UnixNanos(BASE + ts_event),
        ts_recv: UnixNanos(BASE + ts_recv),
        price: price(level),
        size: units(size),
        aggressor: side,
        trade_id: TradeId(0),
    })
}

/// A trade stamped and received `at` after BASE.
pub fn trade(at: i64, level: &str, size: &str, side: AggressorSide) -> MarketEvent {
    trade_at(at, at, level, size, side)
}

pub fn quote(at: i64, bid: &str, bid_size: &str, ask: &str, ask_size: &str) -> MarketEvent {
    MarketEvent::Quote(Quote {
        ts_event: UnixNanos(BASE + at),
        ts_recv: UnixNanos(BASE + at),
        bid_price: price(bid),
        bid_size: units(bid_size),
        ask_price: price(ask),
        ask_size: units(ask_size),
        update_id: 0,
        flags: QuoteFlags::default(),
    })
}

/// A bar of the minute starting `minute` minutes after BASE, known at its close (no sell
/// volume).
pub fn bar(
    minute: i64,
    ohlc: [&str; 4],
    volume: &str,
    vwap: &str,
    buy: &str,
    trade_count: u64,
) -> Bar {
    let start = BASE + minute * NANOS_PER_MINUTE;
    Bar {
        ts_open: UnixNanos(start),
        ts_event: UnixNanos(start + NANOS_PER_MINUTE),
        ts_recv: UnixNanos(start + NANOS_PER_MINUTE),
        open: price(ohlc[0]),
        high: price(ohlc[1]),
        low: price(ohlc[2]),
        close: price(ohlc[3]),
        volume: units(volume),
        vwap: price(vwap),
        buy_volume: units(buy),
        sell_volume: Quantity::ZERO,
        trade_count,
    }
}

/// [`bar`] as a market event.
pub fn bar_event(
    minute: i64,
    ohlc: [&str; 4],
    volume: &str,
    vwap: &str,
    buy: &str,
    trade_count: u64,
) -> MarketEvent {
    MarketEvent::Bar(bar(minute, ohlc, volume, vwap, buy, trade_count))
}

/// One depth message at `at` (a snapshot when `snapshot`), its rows flagged as the book
/// expects: CLEAR on a snapshot's first row, LAST on the message's last row.
pub fn depth(at: i64, levels: &[(BookSide, &str, &str)], snapshot: bool) -> Vec<MarketEvent> {
    let count = levels.len();
    levels
        .iter()
        .enumerate()
        .map(|(index, (side, level, size))| {
            let mut flags = 0;
            if snapshot {
                flags |= DeltaFlags::SNAPSHOT;
                if index == 0 {
                    flags |= DeltaFlags::CLEAR;
                }
            }
            if index + 1 == count {
                flags |= DeltaFlags::LAST;
            }
            MarketEvent::Depth(BookDelta {
                ts_event: UnixNanos(BASE + at),
                ts_recv: UnixNanos(BASE + at),
                side: *side,
                price: price(level),
                size: units(size),
                first_update_id: 0,
                last_update_id: 0,
                prev_update_id: 0,
                flags: DeltaFlags(flags),
            })
        })
        .collect()
}
