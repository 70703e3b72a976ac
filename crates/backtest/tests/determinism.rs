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

/// One feature recording replayed by two strategy configurations (as a grid shares it) gives
/// every record of each configuration's own run with its own feature engine.
#[test]
fn a_shared_feature_recording_gives_the_runs_of_the_feature_engine() {
    use std::sync::Arc;

    use auction_trader_backtest::{feature_engine, run_backtest_with_features};
    use auction_trader_engine::{FeatureFeed, FeatureRecording};

    let Some(events) = support::bitflyer_events(&["20180121", "20180122"]) else {
        return;
    };
    let default = support::config();
    let mut patient = support::config();
    patient.strategy.auction.acceptance_closes = 4;
    let instrument = support::instrument(&default);
    let recording = Arc::new(FeatureRecording::record(
        feature_engine(&default, &instrument).unwrap(),
        &events,
    ));
    assert_eq!(recording.events(), events.len() as u64);
    for config in [&default, &patient] {
        let own = support::run(config, &events);
        let engine = feature_engine(config, &instrument).unwrap();
        let feed = FeatureFeed::replay(Arc::clone(&recording), &engine).unwrap();
        let shared = run_backtest_with_features::<String>(
            config,
            instrument.clone(),
            feed,
            events.iter().map(|event| Ok(*event)),
            &mut |_, _| {},
        )
        .unwrap();
        assert!(!own.records.trades.is_empty());
        assert_eq!(recording.snapshots() as u64, own.counters.bars);
        assert_eq!(own.records, shared.records);
        assert_eq!(own.signals, shared.signals);
        assert_eq!(own.counters, shared.counters);
        assert_eq!(own.final_account, shared.final_account);
        assert_eq!(
            serde_json::to_string(&own.metrics).unwrap(),
            serde_json::to_string(&shared.metrics).unwrap()
        );
    }
}
