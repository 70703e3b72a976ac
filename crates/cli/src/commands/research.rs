//! `research drain-report <run> [--raw <run>]`: the SPEC 6 research reports of a drain run
//! (thin glue: the tables are built by `auction_trader_analytics::drain_research`). Prints
//! the tables (or JSON), writes `drain_research.json` into the run directory and puts the
//! research section into its report.html. `research paper-vs-backtest <data dir>`: the
//! SPEC 6 comparison of a recorded paper session with its backtest (the live crate's).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use auction_trader_analytics::RunRecords;
use auction_trader_analytics::display::run_currency;
use auction_trader_analytics::drain_research::{
    DrainResearch, SignalEntry, drain_research, research_text, run_side, validation,
};
use auction_trader_storage::run_db::{read_execution_db, read_signals_db};
use clap::{Args, Subcommand};

use crate::output::outln;
use auction_trader_backtest::run_dir::{signal_entry, write_research};

#[derive(Debug, Subcommand)]
pub enum ResearchCommand {
    /// The drain strategy's research reports of a run: cost-adjusted P&L, signal half-life
    /// per session (with ADF), signals vs profitability by hour / session / volatility
    /// tercile, losing-trade autopsy, fill rates, and (with --raw) the toxicity-filter
    /// validation.
    DrainReport(DrainReportArgs),
    /// SPEC 6: replay a recorded paper session (its raw journal) through the backtester with
    /// the session's configuration and show signal, fill and P&L differences; writes
    /// reports/paper-vs-backtest-gN.txt (N the generation) and .json into the session's data directory.
    PaperVsBacktest(PaperVsBacktestArgs),
}

#[derive(Debug, Args)]
pub struct PaperVsBacktestArgs {
    /// The session's data directory (`run --data-dir`).
    pub data_dir: PathBuf,
    /// The session generation (default: the newest with a raw journal).
    #[arg(long)]
    pub generation: Option<u32>,
    /// Print the comparison as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DrainReportArgs {
    /// A drain run directory written by `backtest` (filtered depth, the strategy's default).
    pub run_dir: PathBuf,
    /// The same configuration run with `drain.toxicity.drain_depth: raw`: adds the SPEC 6
    /// toxicity-filter validation (signal count, win rate and Sharpe deltas).
    #[arg(long, value_name = "RUN_DIR")]
    pub raw: Option<PathBuf>,
    /// Print the research as one JSON document instead of the tables.
    #[arg(long)]
    pub json: bool,
}

pub fn run(command: ResearchCommand) -> anyhow::Result<ExitCode> {
    match command {
        ResearchCommand::DrainReport(args) => drain_report(&args),
        ResearchCommand::PaperVsBacktest(args) => paper_vs_backtest(&args),
    }
}

/// A run's execution records and signals.db rows.
fn load(run_dir: &Path) -> anyhow::Result<(RunRecords, Vec<SignalEntry>)> {
    let execution = run_dir.join("execution.db");
    anyhow::ensure!(
        execution.is_file(),
        "{} is not a run directory (no execution.db)",
        run_dir.display()
    );
    let records = read_execution_db(&execution)?;
    let rows = read_signals_db(&run_dir.join("signals.db"))?;
    Ok((records, rows.into_iter().map(signal_entry).collect()))
}

/// The research of the run at `run_dir` (and its validation against `raw`).
pub fn research_of(run_dir: &Path, raw: Option<&Path>) -> anyhow::Result<(DrainResearch, String)> {
    let (records, entries) = load(run_dir)?;
    anyhow::ensure!(
        entries
            .iter()
            .any(|entry| entry.machine.starts_with("drain_")),
        "{} has no drain strategy rows in signals.db (strategy.kind: drain)",
        run_dir.display()
    );
    let mut research = drain_research(&records.symbol, &records.trades, &entries);
    if let Some(raw) = raw {
        let (raw_records, raw_entries) =
            load(raw).with_context(|| format!("the raw-depth run {}", raw.display()))?;
        anyhow::ensure!(
            raw_records.symbol == records.symbol,
            "the raw-depth run trades {}, the run {}",
            raw_records.symbol,
            records.symbol
        );
        research.validation = Some(validation(
            run_side(&records.trades, &entries),
            run_side(&raw_records.trades, &raw_entries),
        ));
    }
    Ok((research, run_currency(&records)))
}

fn drain_report(args: &DrainReportArgs) -> anyhow::Result<ExitCode> {
    let (research, currency) = research_of(&args.run_dir, args.raw.as_deref())?;
    write_research(&args.run_dir, &research, &currency)?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&research)?);
    } else {
        outln!("{}", research_text(&research, &currency));
        outln!(
            "written: {} and the drain section of {}",
            args.run_dir.join("drain_research.json").display(),
            args.run_dir.join("report.html").display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn paper_vs_backtest(args: &PaperVsBacktestArgs) -> anyhow::Result<ExitCode> {
    let comparison =
        auction_trader_live::paper_vs_backtest::compare(&args.data_dir, args.generation)?;
    let path = comparison.write(&args.data_dir)?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&comparison)?);
    } else {
        for line in comparison.to_text().lines() {
            outln!("{line}");
        }
        outln!("report: {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
