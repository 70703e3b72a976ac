//! The grid runner on the real 1-minute month (read in place): results identical with 1 and
//! 2 workers, and a grid interrupted after two combinations resumes without running a
//! finished one again and ends with the same rows as an uninterrupted grid. On a bitFlyer
//! day: auction combinations that share their feature stream give exactly the metrics of
//! each combination run alone with `run_config`. A grid split into parts (as a distributed
//! grid's workers run it) stores the same rows as the local grid.
#![allow(clippy::unwrap_used)] // helpers of the test

use std::path::Path;

use auction_trader_backtest::grid::{
    GridObserver, GridOptions, Sweep, metrics_row, plan_grid, run_grid, run_grid_part, start_grid,
};
use auction_trader_backtest::{BacktestConfig, RunObserver, Silent, run_config};
use auction_trader_storage::{GridDb, GridRow};

const SWEEP: &str = "\
parameters:
  strategy.sma_cross.fast: {values: [5, 10, 20]}
  strategy.sma_cross.slow: {range: {start: 20, end: 60, step: 20}}
  strategy.sma_cross.direction: {values: [long, both]}
constraints:
  - strategy.sma_cross.fast < strategy.sma_cross.slow
";

fn base(data_dir: &Path) -> Option<BacktestConfig> {
    let file =
        auction_trader_testkit::shared_data(auction_trader_testkit::NAUTILUS_BTC_PERP_MONTH)?;
    let text = format!(
        "data:\n  dir: {}\n  import: [{}]\n  bar_label: close\n  venue: nautilus\n  symbol: \
         BTC-PERP\n  start: 2022-01-03\n  end: 2022-01-10\n  warmup_minutes: 60\n\
         instrument:\n  tick_size: 1\n  lot_size: 0.000000001\n  min_size: 0.000000001\n  \
         taker_fee_bps: 5\naccount:\n  initial_equity: 10000\nstrategy:\n  kind: sma_cross\n",
        data_dir.display(),
        file.display()
    );
    Some(BacktestConfig::parse(&text).unwrap())
}

fn rows(db: &Path) -> Vec<GridRow> {
    let db = GridDb::open(db).unwrap();
    let grids = db.grids().unwrap();
    assert_eq!(grids.len(), 1);
    db.rows(&grids[0].grid_id).unwrap()
}

/// Stops the grid after `limit` finished combinations (an in-process kill: the rows already
/// committed stay, nothing else is written).
struct StopAfter(u64);

impl RunObserver for StopAfter {}

impl GridObserver for StopAfter {
    fn combination_finished(&mut self, finished: u64) -> bool {
        finished < self.0
    }
}

#[test]
fn workers_do_not_change_rows_and_an_interrupted_grid_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let Some(base) = base(&dir.path().join("data")) else {
        return;
    };
    let sweep = Sweep::parse(SWEEP).unwrap();
    // The grid over `base` into the grid.db at `db`.
    let grid = |db: &Path, workers: usize, observer: &mut dyn GridObserver| {
        let options = GridOptions {
            workers,
            force_priors: false,
        };
        let mut db = GridDb::open(db).unwrap();
        run_grid(&base, &sweep, SWEEP, &mut db, &options, observer).unwrap()
    };
    let one = dir.path().join("one.db");
    let summary = grid(&one, 1, &mut Silent);
    // fast 5, 10 with slow 20, 40, 60 and fast 20 with 40, 60; two directions.
    assert_eq!(summary.combinations, 16);
    assert_eq!(summary.ran, 16);
    let two = dir.path().join("two.db");
    grid(&two, 2, &mut Silent);
    assert_eq!(rows(&one), rows(&two));
    assert!(
        rows(&one)
            .iter()
            .any(|row| row.metrics.contains("\"trades\":"))
    );

    let resumed = dir.path().join("resumed.db");
    let first = grid(&resumed, 2, &mut StopAfter(3));
    assert!(first.stopped);
    let stored = rows(&resumed).len() as u64;
    assert_eq!(stored, first.ran);
    assert!((3..16).contains(&stored));
    let second = grid(&resumed, 2, &mut Silent);
    assert_eq!(second.already_finished, stored);
    assert_eq!(second.ran, 16 - stored);
    assert_eq!(rows(&resumed), rows(&one));
    // A third run finds nothing to do.
    let third = grid(&resumed, 2, &mut Silent);
    assert_eq!((third.already_finished, third.ran), (16, 0));
}

/// Two feature configurations (value area 60% / 70%) × two acceptance counts: two shared
/// feature streams of two combinations each.
const AUCTION_SWEEP: &str = "\
parameters:
  features.value_area_fraction: {values: [0.6, 0.7]}
  strategy.auction.acceptance_closes: {values: [2, 3]}
";

/// The auction strategy over bitFlyer BTC_JPY of the JST day 2018-01-21 (2018-01-20 15:00
/// to 2018-01-21 15:00 UTC), imported into `dir`.
fn auction_base(dir: &Path) -> Option<BacktestConfig> {
    let text = auction_trader_testkit::bitflyer_day_auction_yaml(dir, "alone")?;
    Some(BacktestConfig::parse(&text).unwrap())
}

#[test]
fn shared_features_give_each_combination_its_standalone_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let Some(base) = auction_base(dir.path()) else {
        return;
    };
    let sweep = Sweep::parse(AUCTION_SWEEP).unwrap();
    let options = GridOptions {
        workers: 2,
        force_priors: false,
    };
    let db = dir.path().join("auction.db");
    let summary = run_grid(
        &base,
        &sweep,
        AUCTION_SWEEP,
        &mut GridDb::open(&db).unwrap(),
        &options,
        &mut Silent,
    )
    .unwrap();
    assert_eq!((summary.ran, summary.shared_feature_sets), (4, 2));
    let stored = rows(&db);
    let plan = plan_grid(&base, &sweep, &options).unwrap();
    let mut alone = Vec::new();
    for (combination, config) in plan.combinations.iter().zip(&plan.configs) {
        let outcome = run_config(config, &mut Silent).unwrap();
        let row = stored
            .iter()
            .find(|row| row.params == combination.params_json())
            .unwrap();
        let metrics = metrics_row(&outcome.result.metrics).to_string();
        assert_eq!(row.metrics, metrics, "{}", row.params);
        alone.push((outcome.result.metrics.trade_count, metrics));
    }
    // The day trades, and the value area changes the result: a combination replaying the
    // other feature configuration's stream would differ from its standalone run.
    assert!(alone.iter().all(|(trades, _)| *trades > 0));
    assert_ne!(alone[0].1, alone[2].1);
    assert_ne!(alone[1].1, alone[3].1);
}

#[test]
fn a_grid_run_in_parts_stores_the_local_rows() {
    let dir = tempfile::tempdir().unwrap();
    let Some(base) = base(&dir.path().join("data")) else {
        return;
    };
    let sweep = Sweep::parse(SWEEP).unwrap();
    let options = GridOptions {
        workers: 2,
        force_priors: false,
    };
    let local = dir.path().join("local.db");
    run_grid(
        &base,
        &sweep,
        SWEEP,
        &mut GridDb::open(&local).unwrap(),
        &options,
        &mut Silent,
    )
    .unwrap();
    let parts = dir.path().join("parts.db");
    let mut db = GridDb::open(&parts).unwrap();
    let start = start_grid(&base, &sweep, SWEEP, &mut db, &options, &mut Silent).unwrap();
    assert_eq!(start.remaining.len(), 16);
    // Uneven parts in a scrambled order, as workers finish them.
    let (first, second) = start.remaining.split_at(5);
    for part in [second, first] {
        let rows = run_grid_part(&base, &start.plan, part).unwrap();
        assert_eq!(rows.len(), part.len());
        db.insert_rows(&start.plan.grid_id, &rows).unwrap();
    }
    assert_eq!(rows(&local), rows(&parts));
    // Everything is finished: a second start finds nothing left.
    let again = start_grid(&base, &sweep, SWEEP, &mut db, &options, &mut Silent).unwrap();
    assert!(again.remaining.is_empty());
    let error = run_grid_part(&base, &start.plan, &[99]).unwrap_err();
    assert!(error.to_string().contains("out of range"), "{error}");
}
