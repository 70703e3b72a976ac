//! Heat of a stored run over time (SPEC 4 "heat: the current risk exposure, always visible";
//! SPEC 8 shows it): at each trade entry and exit, the risk crate's [`Heat`] of the trades
//! open then — Σ |P&L from entry to the trade's stop| — over the equity at that moment (the
//! last equity point at or before it, the initial equity before the first). The stop is the
//! one the trade was entered with (a stop moved later, e.g. to breakeven, is not in the run's
//! records), so this is the heat each position was opened at.

use auction_trader_risk::{Heat, OpenRisk};
use auction_trader_types::{Money, RunRecords, UnixNanos};

use crate::runs::{ColumnsWriter, seconds};

/// The `/heat` answer: `{"heat": {"time": [...], "heat": [...]}}` (whole seconds; a fraction,
/// `null` where the equity was not positive).
pub fn heat_answer(records: &RunRecords) -> String {
    let heat = heat_series(records);
    let columns = ColumnsWriter::new()
        .numbers("time", heat.iter().map(|(ts, _)| Some(seconds(*ts))))
        .numbers(
            "heat",
            heat.iter()
                .map(|(_, value)| Some(*value).filter(|value| value.is_finite())),
        )
        .finish();
    format!(r#"{{"heat":{columns}}}"#)
}

/// `(time, open risk / equity)` after every entry and exit, in time order; several changes at
/// the same instant give one point (the state after all of them). A sweep over the entries
/// and exits: each trade's risk is measured once, added at its entry, taken off at its exit.
pub fn heat_series(records: &RunRecords) -> Vec<(UnixNanos, f64)> {
    let mut changes: Vec<(UnixNanos, i128)> = Vec::with_capacity(records.trades.len() * 2);
    for trade in &records.trades {
        let open = OpenRisk {
            quantity: trade.quantity,
            entry_price: trade.entry_price,
            stop: trade.stop,
            mark_price: trade.entry_price,
            valuation: records.valuation,
        };
        let risk = Heat::measure(&[open], records.initial_equity)
            .risk_amount
            .raw();
        changes.push((trade.entry_ts, risk));
        changes.push((trade.exit_ts, risk.saturating_neg()));
    }
    changes.sort_by_key(|(at, _)| *at);
    let mut series: Vec<(UnixNanos, f64)> = Vec::new();
    let mut open_risk: i128 = 0;
    let mut index = 0;
    while index < changes.len() {
        let at = changes[index].0;
        while index < changes.len() && changes[index].0 == at {
            open_risk = open_risk.saturating_add(changes[index].1);
            index += 1;
        }
        let risk = Money::from_raw_i128(open_risk);
        let equity = equity_at(records, at);
        let heat = if risk.is_zero() {
            0.0
        } else if equity.is_positive() {
            risk.as_f64() / equity.as_f64()
        } else {
            f64::INFINITY
        };
        series.push((at, heat));
    }
    series
}

/// The equity at `at`: the last point at or before it, else the initial equity.
fn equity_at(records: &RunRecords, at: UnixNanos) -> Money {
    let index = records.equity.partition_point(|point| point.ts <= at);
    index
        .checked_sub(1)
        .map_or(records.initial_equity, |last| records.equity[last].equity)
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{
        Direction, EntryLiquidity, EquityPoint, ExitReason, Price, Quantity, SetupKind, TradeRecord,
    };

    use super::*;

    fn money(text: &str) -> Money {
        Money::from_decimal_str(text).unwrap_or_else(|error| panic!("{error}"))
    }

    fn trade(entry: i64, exit: i64, quantity: &str, price: &str, stop: &str) -> TradeRecord {
        let price = Price::from_decimal_str(price).unwrap_or_else(|error| panic!("{error}"));
        TradeRecord {
            trade_id: 1,
            setup: SetupKind::Breakout,
            direction: Direction::Long,
            signal_ts: UnixNanos(entry),
            entry_ts: UnixNanos(entry),
            entry_price: price,
            quantity: Quantity::from_decimal_str(quantity).unwrap_or_else(|e| panic!("{e}")),
            entry_liquidity: EntryLiquidity::Maker,
            stop: Price::from_decimal_str(stop).unwrap_or_else(|error| panic!("{error}")),
            take_profit_1: None,
            take_profit_2: price,
            exit_ts: UnixNanos(exit),
            exit_price: price,
            exit_reason: ExitReason::StopLoss,
            legs: Vec::new(),
            gross_pnl: Money::ZERO,
            fees: Money::ZERO,
            funding: Money::ZERO,
            slippage: Money::ZERO,
            net_pnl: Money::ZERO,
        }
    }

    #[test]
    fn open_risk_over_equity_at_each_entry_and_exit() {
        let mut records = RunRecords::new("t", "BTCUSDT", money("10000"));
        // Trade A 10..30: 2 × (100 − 95) = 10 at risk; trade B 20..40: 1 × (200 − 190) = 10.
        records.trades = vec![
            trade(10, 30, "2", "100", "95"),
            trade(20, 40, "1", "200", "190"),
        ];
        // Equity 8,000 from t = 15 on.
        records.equity = vec![EquityPoint {
            ts: UnixNanos(15),
            equity: money("8000"),
            cash: money("8000"),
            unrealized: Money::ZERO,
            position: Quantity::ZERO,
        }];
        let series = heat_series(&records);
        let times: Vec<i64> = series.iter().map(|(at, _)| at.0).collect();
        assert_eq!(times, [10, 20, 30, 40]);
        let heats: Vec<f64> = series.iter().map(|(_, heat)| *heat).collect();
        // 10 / 10,000; 20 / 8,000; 10 / 8,000; nothing open.
        assert!((heats[0] - 0.001).abs() < 1e-12, "{heats:?}");
        assert!((heats[1] - 0.0025).abs() < 1e-12, "{heats:?}");
        assert!((heats[2] - 0.00125).abs() < 1e-12, "{heats:?}");
        assert!(heats[3].abs() < 1e-15, "{heats:?}");
    }
}
