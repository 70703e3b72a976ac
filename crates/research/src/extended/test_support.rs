//! Test helpers of the extended slice: timestamps, quotes, trades and minimal snapshots.

use auction_trader_types::{
    AggressorSide, MarketEvent, NANOS_PER_MINUTE, NANOS_PER_SECOND, Price, Quantity, Quote,
    QuoteFlags, Trade, TradeId, UnixNanos,
};

use auction_trader_features::FeatureSnapshot;

pub(crate) fn seconds(value: i64) -> UnixNanos {
    UnixNanos(value * NANOS_PER_SECOND)
}

/// A quote received (and stamped) at `at`, sizes 1.
pub(crate) fn quote(at: UnixNanos, bid: f64, ask: f64) -> MarketEvent {
    MarketEvent::Quote(Quote {
        ts_event: at,
        ts_recv: at,
        bid_price: Price::from_f64_rounded(bid).unwrap(),
        bid_size: Quantity::ONE,
        ask_price: Price::from_f64_rounded(ask).unwrap(),
        ask_size: Quantity::ONE,
        update_id: 0,
        flags: QuoteFlags::default(),
    })
}

/// A trade received (and stamped) at `at`, trade id 0.
pub(crate) fn trade(at: UnixNanos, price: f64, size: f64, side: AggressorSide) -> MarketEvent {
    MarketEvent::Trade(Trade {
        ts_event: at,
        ts_recv: at,
        price: Price::from_f64_rounded(price).unwrap(),
        size: Quantity::from_f64_rounded(size).unwrap(),
        aggressor: side,
        trade_id: TradeId(0),
    })
}

/// A snapshot closing at `close` (bar `[close − 1 min, close)`), price 100, nothing else set.
pub(crate) fn quiet_snapshot(close: UnixNanos) -> FeatureSnapshot {
    let mut snapshot = FeatureSnapshot::sample_minute();
    snapshot.ts = close;
    snapshot.bar.ts_open = close.saturating_sub_nanos(NANOS_PER_MINUTE);
    snapshot.bar.ts_event = close;
    snapshot.bar.ts_recv = close;
    snapshot
}

/// A snapshot closing at minute `minute` with close price `close` and its log return.
pub(crate) fn close_snapshot(minute: i64, close: f64, log_return: f64) -> FeatureSnapshot {
    let mut snapshot = quiet_snapshot(UnixNanos(minute * NANOS_PER_MINUTE));
    let price = Price::from_f64_rounded(close).unwrap();
    snapshot.bar.open = price;
    snapshot.bar.high = price;
    snapshot.bar.low = price;
    snapshot.bar.close = price;
    snapshot.bar.vwap = price;
    snapshot.log_return = log_return;
    snapshot
}
