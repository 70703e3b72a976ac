//! Builders of instruments, events and orders for the exchange tests.

use auction_trader_execution::{FillModelConfig, SimulatedExchange};
use auction_trader_types::{
    AggressorSide, Bar, BookDelta, BookSide, DeltaFlags, ExecutionReport, Fill, Funding,
    Instrument, InstrumentKey, MarketEvent, MarketKind, Money, NANOS_PER_MILLI, OrderId, OrderKind,
    OrderRequest, OrderSide, Price, Quantity, Quote, QuoteFlags, Rate, TimeoutAction, Trade,
    TradeId, UnixNanos,
};

pub fn price(text: &str) -> Price {
    Price::from_decimal_str(text).unwrap()
}

pub fn qty(text: &str) -> Quantity {
    Quantity::from_decimal_str(text).unwrap()
}

pub fn money(text: &str) -> Money {
    Money::from_decimal_str(text).unwrap()
}

pub fn ms(millis: i64) -> UnixNanos {
    UnixNanos(millis * NANOS_PER_MILLI)
}

/// A BTCUSDT-like linear perpetual: tick 0.1, lot 0.001, maker 2 bps, taker 5 bps.
pub fn instrument() -> Instrument {
    Instrument {
        key: InstrumentKey::new("binance-usdm", "BTCUSDT", MarketKind::Perpetual),
        tick_size: price("0.1"),
        lot_size: qty("0.001"),
        min_size: qty("0.001"),
        contract_multiplier: Quantity::ONE,
        maker_fee: Rate::from_decimal_str("0.0002").unwrap(),
        taker_fee: Rate::from_decimal_str("0.0005").unwrap(),
    }
}

pub fn exchange() -> SimulatedExchange {
    SimulatedExchange::new(instrument(), FillModelConfig::default()).unwrap()
}

pub fn exchange_with(config: FillModelConfig) -> SimulatedExchange {
    SimulatedExchange::new(instrument(), config).unwrap()
}

fn row(ts: UnixNanos, side: BookSide, px: &str, size: &str, flags: u8) -> MarketEvent {
    MarketEvent::Depth(BookDelta {
        ts_event: ts,
        ts_recv: ts,
        side,
        price: price(px),
        size: qty(size),
        first_update_id: 0,
        last_update_id: 0,
        prev_update_id: 0,
        flags: DeltaFlags(flags),
    })
}

/// A full book snapshot as flattened rows (CLEAR on the first, LAST on the final row).
pub fn snapshot(ts: UnixNanos, bids: &[(&str, &str)], asks: &[(&str, &str)]) -> Vec<MarketEvent> {
    let levels: Vec<(BookSide, &str, &str)> = bids
        .iter()
        .map(|&(px, size)| (BookSide::Bid, px, size))
        .chain(asks.iter().map(|&(px, size)| (BookSide::Ask, px, size)))
        .collect();
    let count = levels.len();
    levels
        .into_iter()
        .enumerate()
        .map(|(index, (side, px, size))| {
            let mut flags = DeltaFlags::SNAPSHOT;
            if index == 0 {
                flags |= DeltaFlags::CLEAR;
            }
            if index + 1 == count {
                flags |= DeltaFlags::LAST;
            }
            row(ts, side, px, size, flags)
        })
        .collect()
}

/// One incremental level update (a whole message).
pub fn level(ts: UnixNanos, side: BookSide, px: &str, size: &str) -> MarketEvent {
    row(ts, side, px, size, DeltaFlags::LAST)
}

pub fn trade(ts: UnixNanos, px: &str, size: &str, aggressor: AggressorSide) -> MarketEvent {
    MarketEvent::Trade(Trade {
        ts_event: ts,
        ts_recv: ts,
        price: price(px),
        size: qty(size),
        aggressor,
        trade_id: TradeId(0),
    })
}

pub fn quote(ts: UnixNanos, bid: &str, bid_size: &str, ask: &str, ask_size: &str) -> MarketEvent {
    MarketEvent::Quote(Quote {
        ts_event: ts,
        ts_recv: ts,
        bid_price: price(bid),
        bid_size: qty(bid_size),
        ask_price: price(ask),
        ask_size: qty(ask_size),
        update_id: 0,
        flags: QuoteFlags::default(),
    })
}

pub fn funding(ts: UnixNanos, rate: &str, mark: &str) -> MarketEvent {
    MarketEvent::Funding(Funding {
        ts_event: ts,
        ts_recv: ts,
        rate: Rate::from_decimal_str(rate).unwrap(),
        next_funding_time: UnixNanos::ZERO,
        mark_price: price(mark),
        index_price: Price::ZERO,
    })
}

/// A one-minute bar closing at `close_ts`.
pub fn bar(close_ts: UnixNanos, open: &str, high: &str, low: &str, close: &str) -> MarketEvent {
    MarketEvent::Bar(Bar {
        ts_open: close_ts.saturating_sub_nanos(60_000 * NANOS_PER_MILLI),
        ts_event: close_ts,
        ts_recv: close_ts,
        open: price(open),
        high: price(high),
        low: price(low),
        close: price(close),
        volume: qty("10"),
        vwap: price(close),
        buy_volume: Quantity::ZERO,
        sell_volume: Quantity::ZERO,
        trade_count: 10,
    })
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
