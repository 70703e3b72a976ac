//! Golden replay: the default auction backtest over the bitFlyer BTC_JPY tape of
//! 2018-01-21..22 (JST file days: 2018-01-20 15:00 → 2018-01-22 15:00 UTC) written as a
//! canonical text summary (every trade, then the metrics JSON) and compared with the committed
//! `tests/golden/bitflyer_20180121.txt`. `UPDATE_GOLDEN=1` rewrites the file. Skipped when
//! /work/shared/data/bitflyer is absent.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod support;

use std::fmt::Write as _;

use auction_trader_backtest::BacktestResult;

const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/golden/bitflyer_20180121.txt"
);

/// One line per trade (and one per exit leg), then the metrics as pretty JSON.
fn summary(result: &BacktestResult) -> String {
    let mut text = String::new();
    let records = &result.records;
    let _ = writeln!(
        text,
        "# auction strategy, bitflyer BTC_JPY spot, 2018-01-20T15:00Z..2018-01-22T15:00Z"
    );
    let _ = writeln!(
        text,
        "# events {} bars {} orders {} fills {} trades {} signals {}",
        result.counters.events,
        result.counters.bars,
        records.orders.len(),
        records.fills.len(),
        records.trades.len(),
        result.signals.len()
    );
    for trade in &records.trades {
        let _ = writeln!(
            text,
            "trade {} {} {} signal {} stop {} tp1 {} tp2 {} entry {} {} x {} {} exit {} {} {} \
             fees {} funding {} net {}",
            trade.trade_id,
            trade.setup,
            trade.direction,
            trade.signal_ts,
            trade.stop,
            trade
                .take_profit_1
                .map_or_else(|| "none".to_owned(), |price| price.to_string()),
            trade.take_profit_2,
            trade.entry_ts,
            trade.entry_price,
            trade.quantity,
            trade.entry_liquidity,
            trade.exit_ts,
            trade.exit_price,
            trade.exit_reason,
            trade.fees,
            trade.funding,
            trade.net_pnl
        );
        for leg in &trade.legs {
            let _ = writeln!(
                text,
                "  leg {} {} {} x {} fee {}",
                leg.reason, leg.ts, leg.price, leg.quantity, leg.fee
            );
        }
    }
    let metrics = serde_json::to_string_pretty(&result.metrics).unwrap();
    let _ = writeln!(text, "metrics {metrics}");
    text
}

#[test]
fn bitflyer_2018_01_21_22_matches_the_golden_summary() {
    let Some(events) = support::bitflyer_events(&["20180121", "20180122"]) else {
        return;
    };
    let result = support::run(&support::config(), &events);
    let actual = summary(&result);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(GOLDEN, &actual).unwrap();
        eprintln!("rewrote {GOLDEN}");
        return;
    }
    let expected = std::fs::read_to_string(GOLDEN)
        .unwrap_or_else(|error| panic!("{GOLDEN}: {error} (run with UPDATE_GOLDEN=1)"));
    if actual != expected {
        let first = actual
            .lines()
            .zip(expected.lines())
            .position(|(left, right)| left != right)
            .unwrap_or(actual.lines().count().min(expected.lines().count()));
        panic!(
            "summary differs from {GOLDEN} at line {}:\n  actual:   {}\n  expected: {}\n\
             (UPDATE_GOLDEN=1 rewrites it after checking the change by hand)",
            first + 1,
            actual.lines().nth(first).unwrap_or("<end>"),
            expected.lines().nth(first).unwrap_or("<end>")
        );
    }
}
