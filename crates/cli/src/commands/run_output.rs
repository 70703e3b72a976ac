//! The run directory of a backtest: `config.yaml` (the effective config), `execution.db`,
//! `signals.db`, `trades.csv`, `equity.csv`, `metrics.json` and `report.html`; and `report
//! <run>`, which re-renders the report from the run's execution.db.
//!
//! A run directory is written whole in a hidden staging folder beside it and renamed into
//! place, before anything about it is printed: an interrupted run (a kill, a closed pipe, a
//! full disk) never leaves a half-written run directory under the run's name.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::output::{out, outln};
use anyhow::Context;
use auction_trader_analytics::display::run_currency;
use auction_trader_analytics::drain_research::drain_research;
use auction_trader_analytics::{
    Metrics, RunRecords, compute_metrics, metrics_json, render_html, summary_table,
    write_equity_csv, write_trades_csv,
};
use auction_trader_backtest::{BacktestConfig, BacktestResult};
use auction_trader_storage::run_db::{
    SignalRow, export_rows, read_execution_db, read_signals_db, write_execution_db,
    write_signals_db,
};
use clap::Args;

/// Writes every output of a run into `run_dir` (replacing an earlier run of the same name
/// only once the new one is complete); returns the report's path.
pub fn write_run(
    run_dir: &Path,
    config: &BacktestConfig,
    result: &BacktestResult,
) -> anyhow::Result<PathBuf> {
    let name = run_dir
        .file_name()
        .with_context(|| format!("{} does not name a run directory", run_dir.display()))?
        .to_string_lossy()
        .into_owned();
    let parent = match run_dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
    // The process id keeps two concurrent runs of one name apart; it never reaches output.
    let staging = parent.join(format!(".{name}.writing-{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging)
            .with_context(|| format!("removing {}", staging.display()))?;
    }
    std::fs::create_dir(&staging)
        .with_context(|| format!("creating run directory {}", staging.display()))?;
    let written = write_run_files(&staging, config, result);
    if let Err(error) = written {
        std::fs::remove_dir_all(&staging).ok();
        return Err(error);
    }
    if run_dir.exists() {
        let replaced = parent.join(format!(".{name}.replaced-{}", std::process::id()));
        std::fs::rename(run_dir, &replaced)
            .with_context(|| format!("moving the earlier {} aside", run_dir.display()))?;
        std::fs::rename(&staging, run_dir)
            .with_context(|| format!("writing run directory {}", run_dir.display()))?;
        std::fs::remove_dir_all(&replaced)
            .with_context(|| format!("removing {}", replaced.display()))?;
    } else {
        std::fs::rename(&staging, run_dir)
            .with_context(|| format!("writing run directory {}", run_dir.display()))?;
    }
    Ok(run_dir.join("report.html"))
}

fn write_run_files(
    run_dir: &Path,
    config: &BacktestConfig,
    result: &BacktestResult,
) -> anyhow::Result<()> {
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

fn write_tables_and_report(
    run_dir: &Path,
    records: &RunRecords,
    metrics: &Metrics,
    config_text: &str,
) -> anyhow::Result<PathBuf> {
    let mut trades = Vec::new();
    write_trades_csv(records, &mut trades)?;
    write_file(&run_dir.join("trades.csv"), &trades)?;
    let mut equity = Vec::new();
    write_equity_csv(records, &mut equity)?;
    write_file(&run_dir.join("equity.csv"), &equity)?;
    let mut metrics_json = serde_json::to_vec_pretty(metrics)?;
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
            let entries: Vec<_> = rows
                .into_iter()
                .map(super::research::signal_entry)
                .collect();
            let research = drain_research(&records.symbol, &records.trades, &entries);
            super::research::write_research(run_dir, &research, &run_currency(records))?;
        }
    }
    Ok(report)
}

/// Writes through a temporary file and a rename: a crash never leaves half a file.
pub fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let temporary = path.with_extension("partial");
    let mut file = std::fs::File::create(&temporary)
        .with_context(|| format!("creating {}", temporary.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("writing {}", temporary.display()))?;
    file.sync_all().ok();
    std::fs::rename(&temporary, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// The metrics as a table (money with separators and the run's currency, the small-sample
/// caveat under the ratios).
pub fn print_metrics(metrics: &Metrics, records: &RunRecords) -> anyhow::Result<()> {
    out!("{}", summary_table(metrics, &run_currency(records)));
    Ok(())
}

/// The metrics as one JSON document for machines (money as JSON numbers), with `extra`
/// fields (paths, counters) merged in at the top level.
pub fn print_metrics_json(
    metrics: &Metrics,
    records: &RunRecords,
    extra: serde_json::Value,
) -> anyhow::Result<()> {
    let mut document = serde_json::json!({ "symbol": records.symbol });
    if let (serde_json::Value::Object(fields), serde_json::Value::Object(more)) =
        (&mut document, extra)
    {
        fields.extend(more);
        fields.insert(
            "metrics".to_owned(),
            metrics_json(metrics, &run_currency(records)),
        );
    }
    outln!("{}", serde_json::to_string_pretty(&document)?);
    Ok(())
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run directory written by `backtest`.
    pub run_dir: PathBuf,
    /// Print every row of execution.db and signals.db in key order instead (diff two runs
    /// with this to check determinism).
    #[arg(long)]
    pub export_rows: bool,
    /// Print the metrics as JSON (money as numbers) instead of the table.
    #[arg(long, conflicts_with = "export_rows")]
    pub json: bool,
}

pub fn run_report(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let execution = args.run_dir.join("execution.db");
    anyhow::ensure!(
        execution.is_file(),
        "{} is not a run directory (no execution.db)",
        args.run_dir.display()
    );
    if args.export_rows {
        out!("{}", export_rows(&execution)?);
        let signals = args.run_dir.join("signals.db");
        if signals.is_file() {
            out!("{}", export_rows(&signals)?);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let records = read_execution_db(&execution)?;
    let config_text = std::fs::read_to_string(args.run_dir.join("config.yaml")).unwrap_or_default();
    let metrics = compute_metrics(&records);
    let report = write_tables_and_report(&args.run_dir, &records, &metrics, &config_text)?;
    if args.json {
        print_metrics_json(
            &metrics,
            &records,
            serde_json::json!({ "run": records.title, "report": report }),
        )?;
    } else {
        outln!("{}", records.title);
        print_metrics(&metrics, &records)?;
        outln!("report: {}", report.display());
    }
    Ok(ExitCode::SUCCESS)
}
