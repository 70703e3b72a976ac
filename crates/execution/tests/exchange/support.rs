//! Builders of instruments, events and orders for the exchange tests.

use auction_trader_execution::{FillModelConfig, SimulatedExchange};
pub use auction_trader_testkit::events::{
    bar, book_level, book_snapshot, btcusdt_perp, funding, money, price, qty, quote, trade,
};
use auction_trader_types::{
    BookSide, ExecutionReport, Fill, Instrument, MarketEvent, NANOS_PER_MILLI, OrderId, OrderKind,
    OrderRequest, OrderSide, TimeoutAction, UnixNanos,
};

pub fn ms(millis: i64) -> UnixNanos {
    UnixNanos(millis * NANOS_PER_MILLI)
}

/// A BTCUSDT-like linear perpetual: tick 0.1, lot 0.001, maker 2 bps, taker 5 bps.
pub fn instrument() -> Instrument {
    btcusdt_perp()
}

pub fn exchange() -> SimulatedExchange {
    SimulatedExchange::new(instrument(), FillModelConfig::default()).unwrap()
}

pub fn exchange_with(config: FillModelConfig) -> SimulatedExchange {
    SimulatedExchange::new(instrument(), config).unwrap()
}

/// A full book snapshot as flattened rows.
pub fn snapshot(ts: UnixNanos, bids: &[(&str, &str)], asks: &[(&str, &str)]) -> Vec<MarketEvent> {
    book_snapshot(ts, bids, asks)
}

/// One incremental level update (a whole message).
pub fn level(ts: UnixNanos, side: BookSide, px: &str, size: &str) -> MarketEvent {
    book_level(ts, side, px, size)
}

pub fn market(id: u64, side: OrderSide, size: &str) -> OrderRequest {
    OrderRequest {
        id: OrderId(id),
        side,
        quantity: qty(size),
        kind: OrderKind::Market,
        reduce_only: false,
        timeout: None,
        trigger: None,
    }
}

pub fn limit(id: u64, side: OrderSide, px: &str, size: &str) -> OrderRequest {
    OrderRequest {
        id: OrderId(id),
        side,
        quantity: qty(size),
        kind: OrderKind::Limit {
            price: price(px),
            post_only: false,
        },
        reduce_only: false,
        timeout: None,
        trigger: None,
    }
}

pub fn with_timeout(mut request: OrderRequest, millis: i64, action: TimeoutAction) -> OrderRequest {
    request.timeout = Some((millis * NANOS_PER_MILLI, action));
    request
}

pub fn feed(
    exchange: &mut SimulatedExchange,
    events: &[MarketEvent],
    reports: &mut Vec<ExecutionReport>,
) {
    for event in events {
        exchange.on_market_event(event, reports);
    }
}

pub fn fills(reports: &[ExecutionReport]) -> Vec<Fill> {
    reports
        .iter()
        .filter_map(|report| match report {
            ExecutionReport::Filled(fill) => Some(*fill),
            _ => None,
        })
        .collect()
}
