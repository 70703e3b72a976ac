//! The run directory of a backtest: `config.yaml` (the effective config), `execution.db`,
//! `signals.db`, `trades.csv`, `equity.csv`, `metrics.json` and `report.html`; and `report
//! <run>`, which re-renders the report from the run's execution.db.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use auction_trader_analytics::{
    Metrics, RunRecords, compute_metrics, render_html, write_equity_csv, write_trades_csv,
};
use auction_trader_backtest::{BacktestConfig, BacktestResult};
use auction_trader_storage::run_db::{
    SignalRow, export_rows, read_execution_db, write_execution_db, write_signals_db,
};
use clap::Args;

/// Writes every output of a run; returns the report's path.
pub fn write_run(
    run_dir: &Path,
    config: &BacktestConfig,
    result: &BacktestResult,
) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(run_dir)
        .with_context(|| format!("creating run directory {}", run_dir.display()))?;
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
    write_tables_and_report(run_dir, &result.records, &result.metrics, &config_text)
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
    Ok(report)
}

/// Writes through a temporary file and a rename: a crash never leaves half a file.
fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let temporary = path.with_extension("partial");
    let mut file = std::fs::File::create(&temporary)
        .with_context(|| format!("creating {}", temporary.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("writing {}", temporary.display()))?;
    file.sync_all().ok();
    std::fs::rename(&temporary, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

pub fn print_metrics(metrics: &Metrics) {
    match serde_json::to_value(metrics) {
        Ok(serde_json::Value::Object(fields)) => {
            for (name, value) in fields {
                if value.is_number() || value.is_string() || value.is_null() {
                    println!("  {name:<28} {value}");
                }
            }
        }
        _ => println!("{metrics:?}"),
    }
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run directory written by `backtest`.
    pub run_dir: PathBuf,
    /// Print every row of execution.db and signals.db in key order instead (diff two runs
    /// with this to check determinism).
    #[arg(long)]
    pub export_rows: bool,
}

pub fn run_report(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let execution = args.run_dir.join("execution.db");
    anyhow::ensure!(
        execution.is_file(),
        "{} is not a run directory (no execution.db)",
        args.run_dir.display()
    );
    if args.export_rows {
        print!("{}", export_rows(&execution)?);
        let signals = args.run_dir.join("signals.db");
        if signals.is_file() {
            print!("{}", export_rows(&signals)?);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let records = read_execution_db(&execution)?;
    let config_text = std::fs::read_to_string(args.run_dir.join("config.yaml")).unwrap_or_default();
    let metrics = compute_metrics(&records)?;
    let report = write_tables_and_report(&args.run_dir, &records, &metrics, &config_text)?;
    print_metrics(&metrics);
    println!("report: {}", report.display());
    Ok(ExitCode::SUCCESS)
}
