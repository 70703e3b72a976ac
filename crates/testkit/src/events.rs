//! Hand-written market events, decimals and the usual test instrument, for scenario tests
//! whose expected fills are worked out by hand. Values are parsed from decimal text so a test
//! reads like its arithmetic; a malformed literal is a bug in the test and panics.

use auction_trader_types::{
    AggressorSide, Bar, BookDelta, BookSide, DeltaFlags, Funding, Instrument, InstrumentKey,
    MarketEvent, MarketKind, Money, NANOS_PER_MINUTE, Price, Quantity, Quote, QuoteFlags, Rate,
    Trade, TradeId, UnixNanos,
};

pub fn price(text: &str) -> Price {
    Price::from_decimal_str(text).unwrap_or_else(|error| panic!("price {text:?}: {error}"))
}

pub fn qty(text: &str) -> Quantity {
    Quantity::from_decimal_str(text).unwrap_or_else(|error| panic!("quantity {text:?}: {error}"))
}

pub fn money(text: &str) -> Money {
    Money::from_decimal_str(text).unwrap_or_else(|error| panic!("money {text:?}: {error}"))
}

pub fn rate(text: &str) -> Rate {
    Rate::from_decimal_str(text).unwrap_or_else(|error| panic!("rate {text:?}: {error}"))
}

/// A BTCUSDT-like linear perpetual: tick 0.1, lot 0.001, min 0.001, maker 2 bps, taker
/// 5 bps, multiplier 1.
pub fn btcusdt_perp() -> Instrument {
    Instrument {
        key: InstrumentKey::new("binance-usdm", "BTCUSDT", MarketKind::Perpetual),
        tick_size: price("0.1"),
        lot_size: qty("0.001"),
        min_size: qty("0.001"),
        contract_multiplier: Quantity::ONE,
        maker_fee: rate("0.0002"),
        taker_fee: rate("0.0005"),
        contract_type: auction_trader_types::ContractType::Linear,
    }
}

fn depth_row(ts: UnixNanos, side: BookSide, px: &str, size: &str, flags: u8) -> MarketEvent {
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
pub fn book_snapshot(
    ts: UnixNanos,
    bids: &[(&str, &str)],
    asks: &[(&str, &str)],
) -> Vec<MarketEvent> {
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
            depth_row(ts, side, px, size, flags)
        })
        .collect()
}

/// One incremental level update (a whole message).
pub fn book_level(ts: UnixNanos, side: BookSide, px: &str, size: &str) -> MarketEvent {
    depth_row(ts, side, px, size, DeltaFlags::LAST)
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

pub fn funding(ts: UnixNanos, funding_rate: &str, mark: &str) -> MarketEvent {
    MarketEvent::Funding(Funding {
        ts_event: ts,
        ts_recv: ts,
        rate: rate(funding_rate),
        next_funding_time: UnixNanos::ZERO,
        mark_price: price(mark),
        index_price: Price::ZERO,
    })
}

/// A one-minute bar closing at `close_ts` (volume 10, VWAP = close, 10 trades, no labels).
pub fn bar(close_ts: UnixNanos, open: &str, high: &str, low: &str, close: &str) -> MarketEvent {
    MarketEvent::Bar(Bar {
        ts_open: close_ts.saturating_sub_nanos(NANOS_PER_MINUTE),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_clears_first_and_ends_its_message() {
        let rows = book_snapshot(UnixNanos(5), &[("100.0", "1")], &[("100.1", "2")]);
        let flags: Vec<u8> = rows
            .iter()
            .map(|event| match event {
                MarketEvent::Depth(row) => row.flags.0,
                _ => 0,
            })
            .collect();
        assert_eq!(
            flags,
            vec![
                DeltaFlags::SNAPSHOT | DeltaFlags::CLEAR,
                DeltaFlags::SNAPSHOT | DeltaFlags::LAST
            ]
        );
        assert_eq!(btcusdt_perp().tick_size, price("0.1"));
    }
}
