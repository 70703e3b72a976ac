//! `backtest -c config.yaml`: the config with the command line's overrides, run by the
//! backtest crate's run API (import-if-missing, replay, engine, run directory), with a
//! progress bar and the summary printed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use auction_trader_backtest::{
    BacktestConfig, BacktestError, BacktestResult, RunObserver, RunOutcome, run_config,
};
use auction_trader_types::UnixNanos;
use clap::Args;

use super::run_output::{print_metrics, print_metrics_json};
use super::store_override::StoreOverride;
use crate::output::{Notes, outln};
use crate::time_arg::TimeRangeArgs;

#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// The run configuration (YAML, SPEC 9).
    #[arg(short, long)]
    pub config: PathBuf,
    /// Override `run.name` (the run directory's name).
    #[arg(long)]
    pub name: Option<String>,
    #[command(flatten)]
    pub store: StoreOverride,
    /// Override `data.start` / `data.end` (inclusive start, exclusive end, as in the config).
    #[command(flatten)]
    pub range: TimeRangeArgs,
    /// Print the run's summary as one JSON document (money as numbers); notes go to stderr.
    #[arg(long)]
    pub json: bool,
}

/// Loads `path` and applies the command line's overrides (run name, tick store, time
/// range), then validates the result (shared by `backtest`, `fills compare` and `audit`).
pub fn load_config(
    path: &Path,
    name: Option<&String>,
    store: &StoreOverride,
    range: &TimeRangeArgs,
) -> anyhow::Result<BacktestConfig> {
    let mut config = BacktestConfig::load(path)?;
    if let Some(name) = name {
        config.run.name = name.clone();
    }
    store.apply(&mut config);
    // Checked by the one time parser now, so a bad value names the flag, not `data.start`.
    range.bounds()?;
    if let Some(from) = &range.from {
        config.data.start = Some(from.clone());
    }
    if let Some(to) = &range.to {
        config.data.end = Some(to.clone());
    }
    config.validate()?;
    Ok(config)
}

pub fn run(args: &BacktestArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(&args.config, args.name.as_ref(), &args.store, &args.range)?;
    let notes = Notes::for_json(args.json);
    let outcome = execute(&config, notes)?;
    if args.json {
        let counters = &outcome.result.counters;
        print_metrics_json(
            &outcome.result.metrics,
            &outcome.result.records,
            serde_json::json!({
                "run": config.run.name,
                "run_dir": outcome.run_dir,
                "report": outcome.report,
                "counters": {
                    "events": counters.events,
                    "bars": counters.bars,
                    "orders": counters.orders,
                    "fills": counters.fills,
                    "trades": counters.trades,
                },
            }),
        )?;
    } else {
        print_summary(&outcome.result)?;
        outln!("report: {}", outcome.report.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints a run's notes to `notes`, its warnings to stderr, and its replay as a progress bar.
pub struct CliObserver {
    notes: Notes,
    bar: Option<indicatif::ProgressBar>,
    /// The notes' reader went away: the run was stopped for it.
    closed: Option<anyhow::Error>,
}

impl CliObserver {
    pub fn new(notes: Notes) -> Self {
        Self {
            notes,
            bar: None,
            closed: None,
        }
    }

    /// The library's error, or the closed stdout that stopped the run.
    pub fn error(&mut self, error: BacktestError) -> anyhow::Error {
        self.closed.take().unwrap_or_else(|| error.into())
    }
}

impl RunObserver for CliObserver {
    fn note(&mut self, line: &str) -> Result<(), BacktestError> {
        self.notes.line(line).map_err(|error| {
            let message = error.to_string();
            self.closed = Some(error);
            BacktestError::Stopped(message)
        })
    }

    fn warning(&mut self, line: &str) {
        eprintln!("warning: {line}");
    }

    fn replay_started(&mut self, rows: u64) {
        self.bar = Some(crate::progress::items_bar(rows.max(1), "events"));
    }

    fn progress(&mut self, ts: UnixNanos, count: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(count);
            bar.set_prefix(ts.to_string());
        }
    }

    fn replay_finished(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// Runs a validated config end to end through the backtest crate's run API (also used by
/// `demo`); progress notes go to `notes`, the summary is the caller's to print.
pub fn execute(config: &BacktestConfig, notes: Notes) -> anyhow::Result<RunOutcome> {
    let mut observer = CliObserver::new(notes);
    let outcome = run_config(config, &mut observer);
    observer.replay_finished();
    outcome.map_err(|error| observer.error(error))
}

/// The run's counters, then the metrics table.
pub fn print_summary(result: &BacktestResult) -> anyhow::Result<()> {
    outln!(
        "{} events, {} bars, {} orders, {} fills, {} trades",
        result.counters.events,
        result.counters.bars,
        result.counters.orders,
        result.counters.fills,
        result.counters.trades
    );
    print_metrics(&result.metrics, &result.records)
}
