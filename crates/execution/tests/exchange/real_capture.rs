//! Real data: the Binance USD-M BTCUSDT capture of 2024-08-08 (depth + trades + bookTicker)
//! replayed through the exchange. Skipped when the file is absent.

use std::path::Path;

use auction_trader_data::import::binance_capture::{CaptureOptions, import_capture_files};
use auction_trader_data::{CollectedEvents, InstrumentSlot};
use auction_trader_types::{
    AggressorSide, ExecutionReport, Liquidity, MarketEvent, NANOS_PER_MILLI, NANOS_PER_SECOND,
    OrderId, OrderSide, Price, Quantity, StreamKind, UnixNanos,
};

use crate::support::*;

const CAPTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/binance/usdm_btcusdt_20240808.gz"
);

/// The capture's BTCUSDT events in replay order (ts_recv, then depth < quote < trade).
pub fn capture_events() -> Option<Vec<MarketEvent>> {
    let path = Path::new(CAPTURE);
    if !path.exists() {
        eprintln!("SKIP: {} is absent", path.display());
        return None;
    }
    let mut collected = CollectedEvents::new();
    import_capture_files(&[path], &CaptureOptions::default(), &mut collected).ok()?;
    let slot = (0..collected.instruments.len() as u32)
        .map(InstrumentSlot)
        .max_by_key(|slot| collected.of_kind(*slot, StreamKind::Trade).count())?;
    let mut events: Vec<MarketEvent> = collected.events_of(slot).copied().collect();
    events.sort_by_key(|event| (event.ts_recv(), event.kind().priority()));
    Some(events)
}

#[test]
fn a_resting_bid_fills_only_after_enough_volume_and_takers_pay_the_touch() {
    let Some(events) = capture_events() else {
        return;
    };
    let start = events[0].ts_recv();
    let mut exchange = exchange();
    let mut reports = Vec::new();
    let entry_at = start.saturating_add_nanos(60 * NANOS_PER_SECOND);
    let latency = 130 * NANOS_PER_MILLI;
    let mut bid: Option<(Price, Quantity, UnixNanos)> = None; // price, depth on arrival, arrival
    // Volume printed at the bid by sellers (or unknown) after arrival, and through it.
    let mut at_price = Quantity::ZERO;
    let mut through = false;
    let mut touched = false;
    let mut first_fill: Option<(UnixNanos, Quantity)> = None;
    // Market orders every 10 s from 30 s in, alternating sides: (id, side, due, touch at arrival).
    let mut next_market = start.saturating_add_nanos(30 * NANOS_PER_SECOND);
    let mut market_id = 100;
    let mut pending_market: Option<(u64, OrderSide, UnixNanos)> = None;
    let mut market_touches: Vec<(u64, OrderSide, Price)> = Vec::new();
    for event in &events {
        let ts = event.ts_recv();
        // Record the touch a market order meets just before it arrives.
        if let Some((id, side, due)) = pending_market
            && ts >= due
        {
            exchange.advance_to(due.saturating_sub_nanos(1), &mut reports);
            let touch = match side {
                OrderSide::Buy => exchange.best_ask(),
                OrderSide::Sell => exchange.best_bid(),
            };
            if let Some(touch) = touch {
                market_touches.push((id, side, touch));
            }
            exchange.advance_to(due, &mut reports);
            pending_market = None;
        }
        if bid.is_none() && ts >= entry_at {
            exchange.advance_to(entry_at, &mut reports);
            if let Some(best) = exchange.best_bid() {
                exchange.submit(
                    entry_at,
                    limit(1, OrderSide::Buy, &best.to_string(), "0.010"),
                );
                exchange.advance_to(entry_at.saturating_add_nanos(latency), &mut reports);
                let depth = exchange
                    .book()
                    .depth_at(auction_trader_types::BookSide::Bid, best);
                bid = Some((best, depth, entry_at.saturating_add_nanos(latency)));
            }
        }
        if ts >= next_market && pending_market.is_none() {
            let side = if market_id % 2 == 0 {
                OrderSide::Buy
            } else {
                OrderSide::Sell
            };
            exchange.submit(next_market, market(market_id, side, "0.005"));
            pending_market = Some((market_id, side, next_market.saturating_add_nanos(latency)));
            market_id += 1;
            next_market = next_market.saturating_add_nanos(10 * NANOS_PER_SECOND);
        }
        let fills_before = reports.len();
        exchange.on_market_event(event, &mut reports);
        if let (Some((price, _, arrival)), MarketEvent::Trade(trade)) = (bid, event)
            && trade.ts_recv > arrival
            && first_fill.is_none()
        {
            if trade.price == price && trade.aggressor != AggressorSide::Buy {
                at_price = at_price.try_add(trade.size, "volume at price").unwrap();
            }
            through |= trade.price < price;
        }
        if let Some((price, _, _)) = bid {
            touched |= exchange.best_ask().is_some_and(|ask| ask <= price);
        }
        for report in &reports[fills_before..] {
            if let ExecutionReport::Filled(fill) = report
                && fill.order_id == OrderId(1)
                && first_fill.is_none()
            {
                first_fill = Some((fill.ts, at_price));
            }
        }
    }
    let (price, depth, _) = bid.expect("a best bid after one minute");
    let fills = fills(&reports);
    for fill in fills.iter().filter(|fill| fill.order_id == OrderId(1)) {
        // Maker fills at exactly the limit, never better.
        assert_eq!(fill.price, price);
        assert_eq!(fill.liquidity, Liquidity::Maker);
    }
    if let Some((ts, volume)) = first_fill {
        // SPEC 5: enough volume at the price (0.3 × depth − 1 lot), or a print through it, or
        // the ask came down to it.
        let threshold = Quantity::from_raw((depth.raw() * 3 / 10 - 1_000_000).max(0));
        assert!(
            volume >= threshold || through || touched,
            "filled at {ts} after {volume} at {price} (depth {depth}) without a reason"
        );
        eprintln!("bid {price} (depth {depth}) first filled at {ts} after {volume} traded at it");
    } else {
        eprintln!("bid {price} (depth {depth}) never filled; {at_price} traded at it");
    }
    // Takers pay at least the touch they met (a buy at or above the ask, a sell at or below
    // the bid).
    assert!(
        market_touches.len() >= 20,
        "{} market orders",
        market_touches.len()
    );
    for (id, side, touch) in &market_touches {
        let order_fills: Vec<_> = fills
            .iter()
            .filter(|fill| fill.order_id == OrderId(*id))
            .collect();
        assert!(!order_fills.is_empty(), "market order {id} did not fill");
        let total: i128 = order_fills.iter().map(|fill| fill.quantity.raw()).sum();
        assert_eq!(total, qty("0.005").raw());
        for fill in order_fills {
            assert_eq!(fill.liquidity, Liquidity::Taker);
            match side {
                OrderSide::Buy => assert!(fill.price >= *touch, "{fill:?} below ask {touch}"),
                OrderSide::Sell => assert!(fill.price <= *touch, "{fill:?} above bid {touch}"),
            }
        }
    }
    // The ledger: position = signed sum of fills.
    let position: i128 = fills
        .iter()
        .map(|fill| fill.quantity.raw() * i128::from(fill.side.sign()))
        .sum();
    assert_eq!(exchange.account().position().raw(), position);
    assert_eq!(exchange.counters().book_errors, 0);
}
