//! A small hand-built run shared by the unit tests (numbers worked out in `metrics.rs`).
//! The fills, orders and trades test different metrics and need not reconcile.

use auction_trader_types::{
    EntryLiquidity, ExitReason, FundingPayment, Money, OrderPurpose, OrderSide, Price, Quantity,
    Rate, UnixNanos,
};

use crate::{EquityPoint, ExitLeg, FillRecord, OrderRecord, PriceBar, RunRecords, TradeRecord};

pub(crate) const HOUR: i64 = 3_600_000_000_000;

pub(crate) fn money(text: &str) -> Money {
    Money::from_decimal_str(text).unwrap()
}

pub(crate) fn price(text: &str) -> Price {
    Price::from_decimal_str(text).unwrap()
}

pub(crate) fn quantity(text: &str) -> Quantity {
    Quantity::from_decimal_str(text).unwrap()
}

/// `hours` after the epoch (fractional hours allowed).
pub(crate) fn at(hours: f64) -> UnixNanos {
    UnixNanos((hours * HOUR as f64) as i64)
}

fn leg(hours: f64, leg_price: &str, leg_quantity: &str, reason: &str) -> ExitLeg {
    ExitLeg {
        ts: at(hours),
        price: price(leg_price),
        quantity: quantity(leg_quantity),
        reason: reason.parse().unwrap(),
        fee: Money::ZERO,
        slippage: Money::ZERO,
    }
}

#[allow(clippy::too_many_arguments)]
fn trade(
    trade_id: u64,
    setup: &str,
    direction: &str,
    (entry_hours, exit_hours): (f64, f64),
    (entry_price, exit_price, size): (&str, &str, &str),
    legs: Vec<ExitLeg>,
    (gross, fees, funding, net): (&str, &str, &str, &str),
) -> TradeRecord {
    TradeRecord {
        trade_id,
        setup: setup.parse().unwrap(),
        direction: direction.parse().unwrap(),
        signal_ts: at(entry_hours - 0.01),
        entry_ts: at(entry_hours),
        entry_price: price(entry_price),
        quantity: quantity(size),
        entry_liquidity: EntryLiquidity::Maker,
        stop: price("1"),
        take_profit_1: None,
        take_profit_2: price("1000"),
        exit_ts: at(exit_hours),
        exit_price: price(exit_price),
        exit_reason: legs.last().map_or(ExitReason::EndOfData, |leg| leg.reason),
        legs,
        gross_pnl: money(gross),
        fees: money(fees),
        funding: money(funding),
        slippage: Money::ZERO,
        net_pnl: money(net),
    }
}

fn point(hours: f64, equity: &str, position: &str) -> EquityPoint {
    EquityPoint {
        ts: at(hours),
        equity: money(equity),
        cash: money(equity),
        unrealized: Money::ZERO,
        position: quantity(position),
    }
}

pub(crate) fn fill(
    order_id: u64,
    side: &str,
    fill_price: &str,
    size: &str,
    liquidity: &str,
    fee: &str,
    mid: Option<&str>,
) -> FillRecord {
    FillRecord {
        order_id,
        ts: at(order_id as f64),
        side: side.parse().unwrap(),
        price: price(fill_price),
        quantity: quantity(size),
        liquidity: liquidity.parse().unwrap(),
        fee: money(fee),
        reference_mid: mid.map(price),
    }
}

pub(crate) fn order(
    order_id: u64,
    kind: &str,
    filled: &str,
    status: &str,
    spread_mid: Option<(&str, &str)>,
) -> OrderRecord {
    OrderRecord {
        order_id,
        ts_submit: at(order_id as f64),
        side: OrderSide::Buy,
        kind: kind.parse().unwrap(),
        purpose: OrderPurpose::Entry,
        limit_price: (kind == "limit").then(|| price("100")),
        quantity: quantity("10"),
        filled_quantity: quantity(filled),
        status: status.parse().unwrap(),
        spread_at_submit: spread_mid.map(|(spread, _)| price(spread)),
        mid_at_submit: spread_mid.map(|(_, mid)| price(mid)),
    }
}

/// Initial equity 10,000. Three trades (net +82, −22.5, −1.5 = +58), an equity curve over two
/// UTC days ending at 10,058 with a 1% dip, four fills, four orders, two funding payments.
pub(crate) fn sample_records() -> RunRecords {
    let mut records = RunRecords::new("sample <run>", "BTCUSDT", money("10000"));
    records.trades = vec![
        trade(
            1,
            "break_in",
            "long",
            (1.0, 3.0),
            ("100", "108.5", "10"),
            vec![
                leg(2.0, "105", "3", "take_profit_1"),
                leg(3.0, "110", "7", "take_profit_2"),
            ],
            ("85", "2", "1", "82"),
        ),
        trade(
            2,
            "breakout",
            "short",
            (25.0, 26.0),
            ("200", "204", "5"),
            vec![leg(26.0, "204", "5", "stop_loss")],
            ("-20", "3", "-0.5", "-22.5"),
        ),
        trade(
            3,
            "break_in",
            "long",
            (47.0, 47.5),
            ("100", "99.5", "1"),
            vec![leg(47.5, "99.5", "1", "end_of_data")],
            ("-0.5", "1", "0", "-1.5"),
        ),
    ];
    records.equity = vec![
        point(1.0, "10000", "10"),
        point(1.5, "9900", "10"),
        point(2.0, "10050", "7"),
        point(3.0, "10082", "0"),
        point(25.0, "10082", "-5"),
        point(26.0, "10059.5", "0"),
        point(47.0, "10059.5", "1"),
        point(47.5, "10058", "0"),
        point(48.0, "10058", "0"),
    ];
    records.fills = vec![
        fill(1, "buy", "99.99", "10", "maker", "0.2", Some("100")),
        fill(2, "sell", "109.89", "10", "taker", "0.5", Some("110")),
        fill(3, "sell", "200", "5", "maker", "0", None),
        fill(4, "buy", "204.204", "5", "taker", "0.4", Some("204")),
    ];
    records.orders = vec![
        order(1, "limit", "10", "filled", Some(("0.1", "100"))),
        order(2, "market", "10", "filled", Some(("0.22", "110"))),
        order(3, "limit", "0", "canceled", None),
        order(4, "limit", "0", "rejected", Some(("0.204", "204"))),
    ];
    records.funding = vec![
        FundingPayment {
            ts: at(8.0),
            rate: Rate::from_decimal_str("0.0001").unwrap(),
            mark_price: price("100"),
            position: quantity("10"),
            amount: money("1"),
        },
        FundingPayment {
            ts: at(32.0),
            rate: Rate::from_decimal_str("0.0001").unwrap(),
            mark_price: price("100"),
            position: quantity("-5"),
            amount: money("-0.5"),
        },
    ];
    records.bars = (0..48)
        .map(|hour| {
            let close = price(&format!("{}", 100 + hour % 7));
            PriceBar {
                ts: at(f64::from(hour)),
                open: close,
                high: close.saturating_add(price("1")),
                low: close.saturating_sub(price("1")),
                close,
                vah: Some(price("105")),
                val: Some(price("101")),
                poc: (hour > 3).then(|| price("103")),
            }
        })
        .collect();
    records
}
