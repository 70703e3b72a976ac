//! Backtests and grids from Python: the run API and the grid runner of the backtest crate,
//! and a grid in parts for a distributed runner (the driver starts the grid and stores
//! rows; workers run parts). Configs and sweeps arrive as YAML text (JSON is YAML too).

use std::path::{Path, PathBuf};

use auction_trader_analytics::{RunRecords, write_equity_csv, write_trades_csv};
use auction_trader_backtest::grid::{GridOptions, Sweep, default_workers, plan_grid};
use auction_trader_backtest::{BacktestConfig, Silent, open_store, run_config, run_on_store};
use auction_trader_storage::run_db::read_execution_db;
use auction_trader_storage::{GridRow, GridStore};
use auction_trader_store_postgres::{is_postgres_url, open_grid_store};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::errors::to_py;

/// A grid row as Python sees it: (run_id, seq, params JSON, metrics JSON, config YAML).
type RowTuple = (String, u64, String, String, String);

fn row_tuple(row: GridRow) -> RowTuple {
    (row.run_id, row.seq, row.params, row.metrics, row.config)
}

/// The trade list and equity curve as the run directory's CSV tables.
fn tables(records: &RunRecords) -> Result<(Vec<u8>, Vec<u8>), String> {
    let mut trades = Vec::new();
    write_trades_csv(records, &mut trades).map_err(|error| error.to_string())?;
    let mut equity = Vec::new();
    write_equity_csv(records, &mut equity).map_err(|error| error.to_string())?;
    Ok((trades, equity))
}

/// What a finished run gives Python.
struct RunTables {
    run_dir: Option<PathBuf>,
    metrics: String,
    trades: Vec<u8>,
    equity: Vec<u8>,
}

impl RunTables {
    fn into_dict(self, py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("run_dir", self.run_dir)?;
        dict.set_item("metrics_json", self.metrics)?;
        dict.set_item("trades_csv", PyBytes::new(py, &self.trades))?;
        dict.set_item("equity_csv", PyBytes::new(py, &self.equity))?;
        Ok(dict)
    }
}

/// Runs a backtest config (YAML text). With `write_run` the run directory is written as by
/// `auction-trader backtest`; without, nothing is written but missing imports.
#[pyfunction]
#[pyo3(signature = (config_text, write_run=true))]
pub(crate) fn run_backtest<'py>(
    py: Python<'py>,
    config_text: &str,
    write_run: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let tables_of_run = py
        .detach(|| -> Result<RunTables, String> {
            let config = BacktestConfig::parse(config_text).map_err(|error| error.to_string())?;
            let (run_dir, result) = if write_run {
                let outcome = run_config(&config, &mut Silent).map_err(|e| e.to_string())?;
                (Some(outcome.run_dir), outcome.result)
            } else {
                let store = open_store(&config).map_err(|error| error.to_string())?;
                let result =
                    run_on_store(&config, &store, &mut Silent).map_err(|e| e.to_string())?;
                (None, result)
            };
            let (trades, equity) = tables(&result.records)?;
            Ok(RunTables {
                run_dir,
                metrics: serde_json::to_string(&result.metrics)
                    .map_err(|error| error.to_string())?,
                trades,
                equity,
            })
        })
        .map_err(to_py)?;
    tables_of_run.into_dict(py)
}

/// Reads a run directory written by `auction-trader backtest` (or [`run_backtest`]): its
/// execution.db as the trade and equity tables, and metrics.json.
#[pyfunction]
pub(crate) fn read_run(py: Python<'_>, run_dir: PathBuf) -> PyResult<Bound<'_, PyDict>> {
    let tables_of_run = py
        .detach(|| -> Result<RunTables, String> {
            let records =
                read_execution_db(&run_dir.join("execution.db")).map_err(|e| e.to_string())?;
            let metrics_path = run_dir.join("metrics.json");
            let metrics = std::fs::read_to_string(&metrics_path)
                .map_err(|error| format!("{}: {error}", metrics_path.display()))?;
            let (trades, equity) = tables(&records)?;
            Ok(RunTables {
                run_dir: Some(run_dir.clone()),
                metrics,
                trades,
                equity,
            })
        })
        .map_err(to_py)?;
    tables_of_run.into_dict(py)
}

fn grid_inputs(
    base_text: &str,
    sweep_text: &str,
    force_priors: bool,
    workers: Option<usize>,
) -> Result<(BacktestConfig, Sweep, GridOptions), String> {
    let base = BacktestConfig::parse(base_text).map_err(|error| format!("base config: {error}"))?;
    let sweep = Sweep::parse(sweep_text).map_err(|error| error.to_string())?;
    let workers = workers.unwrap_or_else(default_workers);
    if workers == 0 {
        return Err("workers must be at least 1".to_owned());
    }
    Ok((
        base,
        sweep,
        GridOptions {
            workers,
            force_priors,
        },
    ))
}

/// Runs (or resumes) a grid on this machine into grid.db, as `auction-trader grid run`.
#[pyfunction]
#[pyo3(signature = (base_text, sweep_text, db_path, workers=None, force_priors=false))]
pub(crate) fn run_grid<'py>(
    py: Python<'py>,
    base_text: &str,
    sweep_text: &str,
    db_path: String,
    workers: Option<usize>,
    force_priors: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let summary = py
        .detach(|| {
            let (base, sweep, options) = grid_inputs(base_text, sweep_text, force_priors, workers)?;
            let mut db = open_grid_store(&db_path).map_err(|error| error.to_string())?;
            auction_trader_backtest::grid::run_grid(
                &base,
                &sweep,
                sweep_text,
                db.as_mut(),
                &options,
                &mut Silent,
            )
            .map_err(|error| error.to_string())
        })
        .map_err(to_py)?;
    let dict = PyDict::new(py);
    dict.set_item("grid_id", summary.grid_id)?;
    dict.set_item("combinations", summary.combinations)?;
    dict.set_item("already_finished", summary.already_finished)?;
    dict.set_item("ran", summary.ran)?;
    dict.set_item("shared_feature_sets", summary.shared_feature_sets)?;
    Ok(dict)
}

/// The driver's first step of a distributed grid: imports what is missing, records the grid
/// in grid.db and returns its id, size and the combinations left (indexes in sweep order).
#[pyfunction]
#[pyo3(signature = (base_text, sweep_text, db_path, force_priors=false))]
pub(crate) fn start_grid<'py>(
    py: Python<'py>,
    base_text: &str,
    sweep_text: &str,
    db_path: String,
    force_priors: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let start = py
        .detach(|| {
            let (base, sweep, options) = grid_inputs(base_text, sweep_text, force_priors, Some(1))?;
            let mut db = open_grid_store(&db_path).map_err(|error| error.to_string())?;
            auction_trader_backtest::grid::start_grid(
                &base,
                &sweep,
                sweep_text,
                db.as_mut(),
                &options,
                &mut Silent,
            )
            .map_err(|error| error.to_string())
        })
        .map_err(to_py)?;
    let dict = PyDict::new(py);
    dict.set_item("grid_id", start.plan.grid_id)?;
    dict.set_item("combinations", start.plan.combinations.len())?;
    dict.set_item("remaining", start.remaining)?;
    Ok(dict)
}

/// A worker's step of a distributed grid: runs the combinations `indices` of the grid the
/// base config and sweep define (in this thread) and returns their rows; writes nothing.
#[pyfunction]
#[pyo3(signature = (base_text, sweep_text, indices, force_priors=false))]
pub(crate) fn run_grid_part(
    py: Python<'_>,
    base_text: &str,
    sweep_text: &str,
    indices: Vec<usize>,
    force_priors: bool,
) -> PyResult<Vec<RowTuple>> {
    py.detach(|| {
        let (base, sweep, options) = grid_inputs(base_text, sweep_text, force_priors, Some(1))?;
        let plan = plan_grid(&base, &sweep, &options).map_err(|error| error.to_string())?;
        auction_trader_backtest::grid::run_grid_part(&base, &plan, &indices)
            .map(|rows| rows.into_iter().map(row_tuple).collect())
            .map_err(|error| error.to_string())
    })
    .map_err(to_py)
}

/// The driver stores rows its workers returned (one transaction).
#[pyfunction]
pub(crate) fn insert_grid_rows(
    py: Python<'_>,
    db_path: String,
    grid_id: &str,
    rows: Vec<RowTuple>,
) -> PyResult<()> {
    py.detach(|| {
        let rows: Vec<GridRow> = rows
            .into_iter()
            .map(|(run_id, seq, params, metrics, config)| GridRow {
                run_id,
                seq,
                params,
                metrics,
                config,
            })
            .collect();
        let mut db = open_existing(&db_path)?;
        db.insert_rows(grid_id, &rows)
            .map_err(|error| error.to_string())
    })
    .map_err(to_py)
}

/// Grid results that exist already: a grid.db file, or PostgreSQL grid tables.
fn open_existing(db_path: &str) -> Result<Box<dyn GridStore + Send>, String> {
    if !is_postgres_url(db_path) && !Path::new(db_path).is_file() {
        return Err(format!("{db_path}: no such grid database"));
    }
    open_grid_store(db_path).map_err(|error| error.to_string())
}

/// The stored rows of a grid in sweep order; `grid_id` may be left out when the database
/// holds one grid.
#[pyfunction]
#[pyo3(signature = (db_path, grid_id=None))]
pub(crate) fn grid_rows(
    py: Python<'_>,
    db_path: String,
    grid_id: Option<String>,
) -> PyResult<(String, Vec<RowTuple>)> {
    py.detach(|| {
        let mut db = open_existing(&db_path)?;
        let grid_id = match grid_id {
            Some(grid_id) => grid_id,
            None => {
                let grids = db.grids().map_err(|error| error.to_string())?;
                match grids.as_slice() {
                    [only] => only.grid_id.clone(),
                    _ => {
                        return Err(format!(
                            "{} holds {} grids: name one ({})",
                            db.location(),
                            grids.len(),
                            grids
                                .iter()
                                .map(|grid| grid.grid_id.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    }
                }
            }
        };
        let rows = db.rows(&grid_id).map_err(|error| error.to_string())?;
        Ok((grid_id, rows.into_iter().map(row_tuple).collect()))
    })
    .map_err(to_py)
}
