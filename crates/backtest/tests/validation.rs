//! Validation on the real 1-minute month (read in place): the cost sensitivity's 1x row is
//! the plain run, higher costs only lower net P&L; the walk-forward's chosen parameters and
//! train Sharpe are what the grid library finds on the same train window, and its report does
//! not depend on the number of workers.
#![allow(clippy::unwrap_used)] // helpers of the test

use std::path::Path;

use auction_trader_backtest::grid::query::select;
use auction_trader_backtest::grid::{GridOptions, Sweep, run_grid};
use auction_trader_backtest::validation::{
    COST_MULTIPLIERS, WalkForwardOptions, cost_sensitivity, decode_validation_data, regime_split,
    walk_forward, walk_forward_text,
};
use auction_trader_backtest::{BacktestConfig, Silent, open_store, run_on_store};
use auction_trader_storage::GridDb;

const SWEEP: &str = "\
parameters:
  strategy.sma_cross.fast: {values: [5, 10, 20]}
  strategy.sma_cross.slow: {range: {start: 30, end: 90, step: 30}}
";

fn base(data_dir: &Path) -> Option<BacktestConfig> {
    let file =
        auction_trader_testkit::shared_data(auction_trader_testkit::NAUTILUS_BTC_PERP_MONTH)?;
    let text = format!(
        "data:\n  dir: {}\n  import: [{}]\n  bar_label: close\n  venue: nautilus\n  symbol: \
         BTC-PERP\n  start: 2022-01-03\n  end: 2022-01-17\n  warmup_minutes: 120\n\
         instrument:\n  tick_size: 1\n  lot_size: 0.000000001\n  min_size: 0.000000001\n  \
         taker_fee_bps: 5\naccount:\n  initial_equity: 10000\nstrategy:\n  kind: sma_cross\n",
        data_dir.display(),
        file.display()
    );
    Some(BacktestConfig::parse(&text).unwrap())
}

#[test]
fn costs_scale_only_costs_and_the_base_row_is_the_plain_run() {
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = base(&dir.path().join("data")) else {
        return;
    };
    let data = decode_validation_data(&config, "costs", &mut Silent).unwrap();
    let report = cost_sensitivity(&config, &data, 2).unwrap();
    assert_eq!(report.rows.len(), COST_MULTIPLIERS.len());
    let plain = run_on_store(&config, &open_store(&config).unwrap(), &mut Silent).unwrap();
    let base_row = &report.rows[1];
    assert_eq!(base_row.multiplier, 1.0);
    assert_eq!(base_row.metrics.net_pnl, plain.metrics.net_pnl);
    assert_eq!(base_row.metrics.trade_count, plain.metrics.trade_count);
    assert!(plain.metrics.trade_count > 0);
    // Same crossings at every multiplier: same trades, and more cost is less P&L.
    for pair in report.rows.windows(2) {
        assert_eq!(pair[0].metrics.trade_count, pair[1].metrics.trade_count);
        assert!(pair[0].metrics.net_pnl > pair[1].metrics.net_pnl);
    }
    assert_eq!(report.gate.value, report.rows[3].metrics.sharpe);
    assert_eq!(report.rows[3].multiplier, 2.0);
}

#[test]
fn walk_forward_chooses_what_the_grid_finds_on_the_train_window() {
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = base(&dir.path().join("data")) else {
        return;
    };
    let sweep = Sweep::parse(SWEEP).unwrap();
    let data = decode_validation_data(&config, "walk-forward", &mut Silent).unwrap();
    let options = |workers| WalkForwardOptions {
        segments: 3,
        embargo_minutes: 1440,
        objective: "sharpe".to_owned(),
        workers,
        force_priors: false,
    };
    let report = walk_forward(&config, &sweep, &data, &options(2), &mut |_| {}).unwrap();
    assert_eq!(report.combinations, 9);
    assert_eq!(report.folds.len(), 2);
    let day = 86_400_000_000_000;
    for fold in &report.folds {
        assert_eq!(fold.fold.train.to.0, fold.fold.test.from.0 - day);
        assert_eq!(fold.fold.train.from, report.folds[0].fold.train.from);
    }
    assert_eq!(report.folds[0].fold.test.to, report.folds[1].fold.test.from);
    // The grid library on the first train window, as its own config range.
    let train = report.folds[0].fold.train;
    let mut train_config = config.clone();
    train_config.data.start = Some(train.from.0.to_string());
    train_config.data.end = Some(train.to.0.to_string());
    let db = dir.path().join("grid.db");
    let grid_options = GridOptions {
        workers: 1,
        force_priors: false,
    };
    run_grid(
        &train_config,
        &sweep,
        SWEEP,
        &mut GridDb::open(&db).unwrap(),
        &grid_options,
        &mut Silent,
    )
    .unwrap();
    let database = GridDb::open(&db).unwrap();
    let grid_id = database.grids().unwrap()[0].grid_id.clone();
    let rows = select(&database.rows(&grid_id).unwrap(), &[], Some("sharpe")).unwrap();
    let best = &rows[0];
    let best_sharpe = best.value("sharpe").and_then(serde_json::Value::as_f64);
    assert_eq!(report.folds[0].train_objective, best_sharpe);
    let chosen: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(report.folds[0].chosen.as_deref().unwrap()).unwrap();
    assert_eq!(chosen, best.params);
    // One worker, same report.
    let single = walk_forward(&config, &sweep, &data, &options(1), &mut |_| {}).unwrap();
    assert_eq!(walk_forward_text(&single), walk_forward_text(&report));
    assert_eq!(report.gate.value, report.out_of_sample.sharpe);
}

#[test]
fn regimes_split_every_day_and_trade_of_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = base(&dir.path().join("data")) else {
        return;
    };
    let data = decode_validation_data(&config, "regimes", &mut Silent).unwrap();
    let report = regime_split(&config, &data).unwrap();
    let plain = run_on_store(&config, &open_store(&config).unwrap(), &mut Silent).unwrap();
    // 2022-01-03 .. 2022-01-17: 14 UTC days, 5 + 5 + 4 by rank × 3 / 14.
    let days: Vec<usize> = report.rows.iter().map(|row| row.days).collect();
    assert_eq!(days, [5, 5, 4]);
    assert_eq!(report.unclassified_days, 0);
    let trades: usize = report.rows.iter().map(|row| row.trades).sum();
    assert_eq!(trades, plain.metrics.trade_count);
    let net: f64 = report.rows.iter().map(|row| row.trades_net_pnl).sum();
    assert!((net - plain.metrics.trades_net_pnl.as_f64()).abs() < 1e-6);
    assert!(report.rows[0].mean_volatility < report.rows[1].mean_volatility);
    assert!(report.rows[1].mean_volatility < report.rows[2].mean_volatility);
}

#[test]
fn kfold_chooses_the_best_on_its_train_windows_and_tests_every_fold_once() {
    use auction_trader_backtest::validation::{
        KFoldOptions, kfold_text, objective_value, purged_kfold,
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = base(&dir.path().join("data")) else {
        return;
    };
    let sweep = Sweep::parse(SWEEP).unwrap();
    let data = decode_validation_data(&config, "kfold", &mut Silent).unwrap();
    let options = |workers| KFoldOptions {
        folds: 3,
        purge_minutes: 60,
        embargo_minutes: 1440,
        objective: "sharpe".to_owned(),
        workers,
        force_priors: false,
    };
    let report = purged_kfold(&config, &sweep, &data, &options(2), &mut |_| {}).unwrap();
    assert_eq!(report.combinations, 9);
    assert_eq!(report.folds.len(), 3);
    let (minute, day) = (60_000_000_000_i64, 86_400_000_000_000_i64);
    // 2022-01-03 00:00 .. just after the last bar, 01-16 23:59 (bars stamped at their
    // close; `data.end` 01-17 is exclusive): 14 days less 1 minute plus 1 ns, in thirds.
    let start = 1_641_168_000_000_000_000_i64;
    let end = start + 14 * day - minute + 1;
    let third = (end - start) / 3;
    let [first, middle, last] = [&report.folds[0], &report.folds[1], &report.folds[2]];
    assert_eq!(first.fold.test.from.0, start);
    assert_eq!(middle.fold.test.from.0, start + third);
    assert_eq!(last.fold.test.from.0, start + 2 * (end - start) / 3);
    assert_eq!(last.fold.test.to.0, end);
    assert_eq!(first.fold.train.len(), 1);
    assert_eq!(first.fold.train[0].from.0, start + third + day, "embargo");
    assert_eq!(middle.fold.train.len(), 2);
    assert_eq!(
        middle.fold.train[0].to.0,
        start + third - 60 * minute,
        "purge"
    );
    assert_eq!(last.fold.train[0].to.0, last.fold.test.from.0 - 60 * minute);
    // Fold 1 trains on one window: its choice is the best plain Sharpe of that window.
    let train = data.window(&config, first.fold.train[0]);
    let plan = auction_trader_backtest::grid::plan_grid(
        &config,
        &sweep,
        &GridOptions {
            workers: 1,
            force_priors: false,
        },
    )
    .unwrap();
    let sharpes: Vec<Option<f64>> = plan
        .configs
        .iter()
        .map(|combination| {
            objective_value(&data.run(combination, &train).unwrap().metrics, "sharpe")
        })
        .collect();
    let best = sharpes.iter().flatten().copied().fold(f64::MIN, f64::max);
    assert_eq!(first.train_objective, Some(best));
    // Every test fold's days together are the out-of-sample days.
    let days: usize = report
        .folds
        .iter()
        .map(|fold| fold.test_daily_returns.len())
        .sum();
    assert_eq!(report.out_of_sample.days, days);
    assert!(days >= 12, "{days}");
    let one = purged_kfold(&config, &sweep, &data, &options(1), &mut |_| {}).unwrap();
    assert_eq!(kfold_text(&one), kfold_text(&report));
}

#[test]
fn cross_symbol_runs_the_same_parameters_on_the_other_data() {
    use auction_trader_backtest::validation::{CrossSymbolOptions, cross_symbol, on_other_data};
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = base(&dir.path().join("data")) else {
        return;
    };
    // The "other" data set: the same file's next two weeks, with another fee.
    let mut other = config.clone();
    other.data.start = Some("2022-01-17".to_owned());
    other.data.end = Some("2022-01-31".to_owned());
    other.instrument.taker_fee_bps = Some(4.0);
    other.strategy.sma_cross.fast = 3;
    let options = CrossSymbolOptions {
        objective: "sharpe".to_owned(),
        workers: 2,
        force_priors: false,
    };
    let report = cross_symbol(&config, &[other.clone()], None, &options, &mut Silent).unwrap();
    let store = open_store(&config).unwrap();
    let plain = run_on_store(&config, &store, &mut Silent).unwrap();
    assert_eq!(report.rows[0].metrics.net_pnl, plain.metrics.net_pnl);
    let moved = on_other_data(&config, &other);
    assert_eq!(
        moved.strategy.sma_cross.fast,
        config.strategy.sma_cross.fast
    );
    let second = run_on_store(&moved, &store, &mut Silent).unwrap();
    assert_eq!(report.rows[1].metrics.net_pnl, second.metrics.net_pnl);
    assert_eq!(
        report.rows[1].metrics.trade_count,
        second.metrics.trade_count
    );
    assert_ne!(report.rows[1].metrics.net_pnl, plain.metrics.net_pnl);
    assert_eq!(report.gates.len(), 1);
    let expected = match (plain.metrics.sharpe, second.metrics.sharpe) {
        (Some(first), Some(second)) if first > 0.0 => Some(second / first),
        _ => None,
    };
    assert_eq!(report.gates[0].value, expected);
    // With a sweep: the choice is made on the first data set only, and the same
    // combination runs on the second.
    let sweep = Sweep::parse(SWEEP).unwrap();
    let chosen = cross_symbol(&config, &[other], Some(&sweep), &options, &mut Silent).unwrap();
    assert_eq!(chosen.combinations, 9);
    assert!(chosen.chosen.is_some());
    assert_eq!(chosen.rows.len(), 2);
}

#[test]
fn gate_report_collects_every_gate_and_says_go_only_when_all_pass() {
    use auction_trader_backtest::validation::{
        GateOptions, evaluate_gates, gates_json, gates_text, strategy_label,
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(sma) = base(&dir.path().join("data")) else {
        return;
    };
    let mut mean_reversion = sma.clone();
    mean_reversion.run.name = "mr".to_owned();
    mean_reversion.strategy.kind = auction_trader_backtest::config::StrategyKind::MeanReversion;
    mean_reversion.strategy.mean_reversion.execution =
        auction_trader_strategy::mean_reversion::ExecutionStyle::Aggressive;
    let configs = [sma.clone(), mean_reversion];
    let options = GateOptions {
        second: vec![sma.clone()],
        workers: 2,
    };
    let report = evaluate_gates(&configs, &options, &mut Silent).unwrap();
    let again = evaluate_gates(&configs, &options, &mut Silent).unwrap();
    assert_eq!(gates_text(&report), gates_text(&again));
    assert_eq!(gates_json(&report), gates_json(&again));
    assert_eq!(report.strategies.len(), 2);
    for (strategy, config) in report.strategies.iter().zip(&configs) {
        assert_eq!(strategy.strategy, strategy_label(config));
        // Out of sample, 2x costs, three regimes; the only other data set is the same
        // instrument, so no second-symbol gate.
        assert_eq!(strategy.gates.len(), 5);
        assert!(strategy.second.is_empty());
        // The out-of-sample gate reads the 1x run, the cost gate the 2x run.
        assert_eq!(
            strategy.gates[0].value,
            strategy.costs.rows[1].metrics.sharpe
        );
        assert_eq!(
            strategy.gates[1].value,
            strategy.costs.rows[3].metrics.sharpe
        );
        assert_eq!(
            strategy.go(),
            strategy.gates.iter().all(|gate| gate.passed())
        );
    }
    let json = gates_json(&report);
    assert_eq!(
        json["strategies"][1]["strategy"],
        "mean_reversion/statistical"
    );
    assert_eq!(json["strategies"][0]["costs"].as_array().unwrap().len(), 5);
    let text = gates_text(&report);
    assert!(text.contains("NO-GO") || text.contains("GO"));
}
