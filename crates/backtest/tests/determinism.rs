//! Determinism (SPEC 6): two backtests over the same two days of real bitFlyer data give
//! identical records (orders, fills, trades, equity, funding, bars, signals) and identical
//! serialized metrics. Skipped when /work/shared/data/bitflyer is absent.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod support;

#[test]
fn two_runs_over_two_days_of_bitflyer_are_identical() {
    let Some(events) = support::bitflyer_events(&["20180121", "20180122"]) else {
        return;
    };
    let config = support::config();
    let first = support::run(&config, &events);
    let second = support::run(&config, &events);
    assert!(first.counters.events > 100_000, "{:?}", first.counters);
    assert!(first.counters.bars > 2_000, "{:?}", first.counters);
    assert_eq!(first.records.orders, second.records.orders);
    assert_eq!(first.records.fills, second.records.fills);
    assert_eq!(first.records.trades, second.records.trades);
    assert_eq!(first.records.equity, second.records.equity);
    assert_eq!(first.records.funding, second.records.funding);
    assert_eq!(first.records.bars, second.records.bars);
    assert_eq!(first.signals, second.signals);
    assert_eq!(first.counters, second.counters);
    assert_eq!(first.final_account, second.final_account);
    let metrics = |result: &auction_trader_backtest::BacktestResult| {
        serde_json::to_string(&result.metrics).unwrap()
    };
    assert_eq!(metrics(&first), metrics(&second));
    eprintln!(
        "determinism: {} events, {} bars, {} orders, {} fills, {} trades, {} signals",
        first.counters.events,
        first.counters.bars,
        first.records.orders.len(),
        first.records.fills.len(),
        first.records.trades.len(),
        first.signals.len()
    );
}
