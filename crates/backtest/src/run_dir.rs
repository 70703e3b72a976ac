//! The run directory of a backtest: `config.yaml` (the effective config), `execution.db`,
//! `signals.db`, `trades.csv`, `equity.csv`, `metrics.json`, `report.html`, `manifest.json`
//! (the run manifest, see [`crate::manifest`]) and (a drain run's
//! also `drain_research.json` and the research section of its report).
//!
//! A run directory is written whole in a hidden staging folder beside it and renamed into
//! place: an interrupted run (a kill, a closed pipe, a full disk) never leaves a half-written
//! run directory under the run's name.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use auction_trader_analytics::display::run_currency;
use auction_trader_analytics::drain_research::{
    DrainResearch, SignalEntry, Validation, drain_research,
};
use auction_trader_analytics::{
    Metrics, RunRecords, drain_research_html, render_html, with_drain_section, write_equity_csv,
    write_trades_csv,
};
use auction_trader_storage::run_db::{
    SignalRow, read_signals_db, write_execution_db, write_signals_db,
};

use crate::config::BacktestConfig;
use crate::error::BacktestError;
use crate::manifest::RunManifest;
use crate::runner::BacktestResult;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BacktestError + '_ {
    move |source| BacktestError::Io {
        path: path.to_path_buf(),
        cause: source,
    }
}

/// Writes every output of a run into `run_dir` (replacing an earlier run of the same name
/// only once the new one is complete), with its manifest as `manifest.json` when given;
/// returns the report's path.
pub fn write_run(
    run_dir: &Path,
    config: &BacktestConfig,
    result: &BacktestResult,
    manifest: Option<&RunManifest>,
) -> Result<PathBuf, BacktestError> {
    let name = run_dir
        .file_name()
        .ok_or_else(|| {
            BacktestError::Config(format!(
                "{} does not name a run directory",
                run_dir.display()
            ))
        })?
        .to_string_lossy()
        .into_owned();
    let parent = match run_dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    // The process id keeps two concurrent runs of one name apart; it never reaches output.
    let staging = parent.join(format!(".{name}.writing-{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
    }
    std::fs::create_dir(&staging).map_err(io(&staging))?;
    let written = write_run_files(&staging, config, result).and_then(|()| match manifest {
        Some(manifest) => write_file(
            &staging.join("manifest.json"),
            manifest.to_json()?.as_bytes(),
        ),
        None => Ok(()),
    });
    if let Err(error) = written {
        std::fs::remove_dir_all(&staging).ok();
        return Err(error);
    }
    if run_dir.exists() {
        let replaced = parent.join(format!(".{name}.replaced-{}", std::process::id()));
        std::fs::rename(run_dir, &replaced).map_err(io(run_dir))?;
        std::fs::rename(&staging, run_dir).map_err(io(run_dir))?;
        std::fs::remove_dir_all(&replaced).map_err(io(&replaced))?;
    } else {
        std::fs::rename(&staging, run_dir).map_err(io(run_dir))?;
    }
    Ok(run_dir.join("report.html"))
}

fn write_run_files(
    run_dir: &Path,
    config: &BacktestConfig,
    result: &BacktestResult,
) -> Result<(), BacktestError> {
    let config_text = config.to_yaml()?;
    write_file(&run_dir.join("config.yaml"), config_text.as_bytes())?;
    write_execution_db(&run_dir.join("execution.db"), &result.records)?;
    let signals: Vec<SignalRow> = result
        .signals
        .iter()
        .map(|signal| SignalRow {
            ts: signal.ts,
            kind: signal.kind.as_str().to_owned(),
            setup: signal.setup.map(|setup| setup.as_str().to_owned()),
            direction: signal
                .direction
                .map(|direction| direction.as_str().to_owned()),
            machine: signal.machine.to_owned(),
            from_state: signal.from_state.to_owned(),
            to_state: signal.to_state.to_owned(),
            detail: signal.detail.clone(),
        })
        .collect();
    write_signals_db(&run_dir.join("signals.db"), &signals)?;
    write_tables_and_report(run_dir, &result.records, &result.metrics, &config_text)?;
    Ok(())
}

/// Writes `trades.csv`, `equity.csv`, `metrics.json` and `report.html` of a run (also how
/// `report <run>` re-renders them from execution.db); returns the report's path.
pub fn write_tables_and_report(
    run_dir: &Path,
    records: &RunRecords,
    metrics: &Metrics,
    config_text: &str,
) -> Result<PathBuf, BacktestError> {
    let mut trades = Vec::new();
    write_trades_csv(records, &mut trades)?;
    write_file(&run_dir.join("trades.csv"), &trades)?;
    let mut equity = Vec::new();
    write_equity_csv(records, &mut equity)?;
    write_file(&run_dir.join("equity.csv"), &equity)?;
    let mut metrics_json = serde_json::to_vec_pretty(metrics)
        .map_err(|error| BacktestError::Setup(format!("metrics.json: {error}")))?;
    metrics_json.push(b'\n');
    write_file(&run_dir.join("metrics.json"), &metrics_json)?;
    let report = run_dir.join("report.html");
    write_file(
        &report,
        render_html(records, metrics, config_text).as_bytes(),
    )?;
    // A drain run's report carries its research section (SPEC 6); the validation against a
    // raw-depth run is added by `research drain-report --raw`.
    let signals = run_dir.join("signals.db");
    if signals.is_file() {
        let rows = read_signals_db(&signals)?;
        if rows.iter().any(|row| row.machine.starts_with("drain_")) {
            let entries: Vec<_> = rows.into_iter().map(signal_entry).collect();
            let mut research = drain_research(&records.symbol, &records.trades, &entries);
            // A validation added earlier by `research drain-report --raw` stays (the run
            // directory is immutable: a new run replaces it whole).
            research.validation = earlier_validation(run_dir);
            write_research(run_dir, &research, &run_currency(records))?;
        }
    }
    Ok(report)
}

/// The validation of an earlier `drain_research.json` in `run_dir`, if any.
pub fn earlier_validation(run_dir: &Path) -> Option<Validation> {
    let text = std::fs::read_to_string(run_dir.join("drain_research.json")).ok()?;
    let document: serde_json::Value = serde_json::from_str(&text).ok()?;
    serde_json::from_value(document.get("validation")?.clone()).ok()
}

/// A signals.db row as the drain research reads it.
pub fn signal_entry(row: SignalRow) -> SignalEntry {
    SignalEntry {
        ts: row.ts,
        kind: row.kind,
        direction: row.direction,
        machine: row.machine,
        from_state: row.from_state,
        to_state: row.to_state,
        detail: row.detail,
    }
}

/// Writes `drain_research.json` and the report section into the run directory.
pub fn write_research(
    run_dir: &Path,
    research: &DrainResearch,
    currency: &str,
) -> Result<(), BacktestError> {
    let mut json = serde_json::to_vec_pretty(research)
        .map_err(|error| BacktestError::Setup(format!("drain_research.json: {error}")))?;
    json.push(b'\n');
    write_file(&run_dir.join("drain_research.json"), &json)?;
    let report = run_dir.join("report.html");
    if report.is_file() {
        let html = std::fs::read_to_string(&report).map_err(io(&report))?;
        let section = drain_research_html(research, currency);
        write_file(&report, with_drain_section(&html, &section).as_bytes())?;
    }
    Ok(())
}

/// Writes through a temporary file and a rename: a crash never leaves half a file.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), BacktestError> {
    let temporary = path.with_extension("partial");
    let mut file = std::fs::File::create(&temporary).map_err(io(&temporary))?;
    file.write_all(bytes).map_err(io(&temporary))?;
    file.sync_all().ok();
    std::fs::rename(&temporary, path).map_err(io(path))?;
    Ok(())
}
