//! Printing a run's metrics (table or JSON), and `report <run>`, which re-renders the
//! report from the run's execution.db (the backtest crate writes run directories).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::output::{out, outln};
use auction_trader_analytics::display::run_currency;
use auction_trader_analytics::{Metrics, RunRecords, compute_metrics, metrics_json, summary_table};
use auction_trader_backtest::write_tables_and_report;
use auction_trader_storage::run_db::{export_rows, read_execution_db};
use clap::Args;

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
    /// Print the run's manifest (effective config, content hashes of the input partitions,
    /// program version) instead.
    #[arg(long, conflicts_with_all = ["export_rows", "json"])]
    pub manifest: bool,
}

pub fn run_report(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let execution = args.run_dir.join("execution.db");
    anyhow::ensure!(
        execution.is_file(),
        "{} is not a run directory (no execution.db)",
        args.run_dir.display()
    );
    if args.manifest {
        let path = args.run_dir.join("manifest.json");
        anyhow::ensure!(
            path.is_file(),
            "{} has no manifest.json (written by backtest runs of this version)",
            args.run_dir.display()
        );
        let text = std::fs::read_to_string(&path)
            .map_err(|error| anyhow::anyhow!("reading {}: {error}", path.display()))?;
        out!("{text}");
        return Ok(ExitCode::SUCCESS);
    }
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
