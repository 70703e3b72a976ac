//! `grid run|list|show|best|export` (CSV or Parquet): grid and random search (SPEC 6) over any config key,
//! run by the backtest crate's grid runner (data decoded once, combinations in parallel,
//! each finished one committed to grid.db so a killed grid resumes), and browsing the
//! results.
//!
//! `grid run` ends with `combos=<n> seconds=<s> combos_per_sec=<r>` (the combinations run
//! by this invocation and their wall-clock time: a benchmark figure, never a decision).
#![allow(clippy::disallowed_methods)] // the throughput line reads a clock; results never do

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use auction_trader_backtest::grid::export::write_parquet;
use auction_trader_backtest::grid::query::{Condition, ResultRow, select, write_csv};
use auction_trader_backtest::grid::{GridObserver, GridOptions, Sweep, default_workers, run_grid};
use auction_trader_backtest::{BacktestConfig, BacktestError, RunObserver};
use auction_trader_storage::{GridInfo, GridStore};
use auction_trader_store_postgres::{is_postgres_url, open_grid_store};
use clap::{Args, Subcommand};

use crate::output::{Notes, outln};
use crate::progress::items_bar;

#[derive(Debug, Subcommand)]
pub enum GridCommand {
    /// Run (or resume) every combination of a sweep file over a base config.
    Run(RunArgs),
    /// List the finished combinations of a grid (sweep order, or sorted by a metric).
    List(ListArgs),
    /// One combination: parameters, metrics and effective config.
    Show(ShowArgs),
    /// The best combination by a metric.
    Best(ListArgs),
    /// Write a grid's rows as CSV or Parquet (one typed column per parameter and metric).
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The base run configuration (YAML, SPEC 9).
    #[arg(short, long)]
    pub config: PathBuf,
    /// The sweep file: which keys vary and how (see docs/grid.md).
    #[arg(long)]
    pub sweep: PathBuf,
    /// Worker threads (default: half the CPU cores).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Where the results go: a grid.db path or a postgres:// URL (default: grid.db, or the
    /// PostgreSQL tick store's database when the ticks are there).
    #[arg(long)]
    pub db: Option<String>,
    #[command(flatten)]
    pub store: super::store_override::StoreOverride,
    /// Allow sweeping the toxicity priors (SPEC 2.5 fixes them); the grid is labelled so.
    #[arg(long)]
    pub force_priors: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// The results: a grid.db path or a postgres:// URL.
    #[arg(long, default_value = "grid.db")]
    pub db: String,
    /// Grid id (default: the grid recorded last).
    #[arg(long)]
    pub grid: Option<String>,
    /// Sort by this metric or parameter, largest first (`best` default: net_pnl).
    #[arg(long)]
    pub sort: Option<String>,
    /// Keep rows where `name op value` holds (op: < <= > >= = !=); repeatable.
    #[arg(long = "where")]
    pub conditions: Vec<String>,
    /// At most this many rows.
    #[arg(long)]
    pub limit: Option<usize>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The run id (see `grid list`).
    pub run_id: String,
    /// The results: a grid.db path or a postgres:// URL.
    #[arg(long, default_value = "grid.db")]
    pub db: String,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub list: ListArgs,
    /// Output file (its format: --format, else parquet for a `.parquet` name, else csv).
    #[arg(long, required_unless_present = "csv", conflicts_with = "csv")]
    pub out: Option<PathBuf>,
    /// csv or parquet.
    #[arg(long, value_enum)]
    pub format: Option<ExportFormat>,
    /// Output CSV file (the same as --out FILE --format csv).
    #[arg(long)]
    pub csv: Option<PathBuf>,
}

/// The file format of `grid export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Parquet,
}

pub fn run(command: GridCommand) -> anyhow::Result<ExitCode> {
    match command {
        GridCommand::Run(args) => run_command(&args),
        GridCommand::List(args) => list(&args, false),
        GridCommand::Best(args) => list(&args, true),
        GridCommand::Show(args) => show(&args),
        GridCommand::Export(args) => export(&args),
    }
}

/// Notes to stdout, warnings to stderr, one progress bar over the combinations.
struct GridProgress {
    bar: Option<indicatif::ProgressBar>,
    closed: Option<anyhow::Error>,
}

impl RunObserver for GridProgress {
    fn note(&mut self, line: &str) -> Result<(), BacktestError> {
        Notes::Stdout.line(line).map_err(|error| {
            let message = error.to_string();
            self.closed = Some(error);
            BacktestError::Stopped(message)
        })
    }

    fn warning(&mut self, line: &str) {
        eprintln!("warning: {line}");
    }
}

impl GridObserver for GridProgress {
    fn grid_started(&mut self, total: u64, already: u64) {
        let bar = items_bar(total, "grid");
        bar.set_position(already);
        bar.reset_eta();
        self.bar = Some(bar);
    }

    fn combination_finished(&mut self, _finished: u64) -> bool {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
        true
    }
}

fn run_command(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let mut base = BacktestConfig::load(&args.config)?;
    args.store.apply(&mut base);
    base.validate()?;
    let db = args.db.clone().unwrap_or_else(|| match &base.storage.url {
        Some(url) => url.clone(),
        None => "grid.db".to_owned(),
    });
    let mut results = open_grid_store(&db).with_context(|| format!("opening grid results {db}"))?;
    let sweep_text = std::fs::read_to_string(&args.sweep)
        .with_context(|| format!("reading {}", args.sweep.display()))?;
    let sweep = Sweep::parse(&sweep_text)?;
    let options = GridOptions {
        workers: args.workers.unwrap_or_else(default_workers).max(1),
        force_priors: args.force_priors,
    };
    let mut progress = GridProgress {
        bar: None,
        closed: None,
    };
    let start = Instant::now();
    let result = run_grid(
        &base,
        &sweep,
        &sweep_text,
        results.as_mut(),
        &options,
        &mut progress,
    );
    let seconds = start.elapsed().as_secs_f64();
    if let Some(bar) = progress.bar.take() {
        bar.finish_and_clear();
    }
    let summary = match result {
        Ok(summary) => summary,
        Err(error) => return Err(progress.closed.take().unwrap_or_else(|| error.into())),
    };
    outln!(
        "grid {}: {} combinations, {} run now, {} finished before; results in {}",
        summary.grid_id,
        summary.combinations,
        summary.ran,
        summary.already_finished,
        results.location()
    );
    outln!(
        "combos={} seconds={seconds:.3} combos_per_sec={:.1}",
        summary.ran,
        summary.ran as f64 / seconds.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}

/// Existing grid results: a grid.db that must exist, or PostgreSQL grid tables.
fn open_results(db: &str) -> anyhow::Result<Box<dyn GridStore + Send>> {
    anyhow::ensure!(
        is_postgres_url(db) || Path::new(db).is_file(),
        "{db}: no grid database (run `grid run` first)"
    );
    Ok(open_grid_store(db)?)
}

fn open_grid(
    db: &str,
    grid: Option<&String>,
) -> anyhow::Result<(Box<dyn GridStore + Send>, GridInfo)> {
    let mut database = open_results(db)?;
    let grids = database.grids()?;
    let info = match grid {
        Some(id) => grids.into_iter().find(|info| &info.grid_id == id),
        None => grids.into_iter().last(),
    }
    .with_context(|| format!("{}: no such grid", database.location()))?;
    Ok((database, info))
}

fn selected(
    args: &ListArgs,
    default_sort: Option<&str>,
) -> anyhow::Result<(GridInfo, Vec<ResultRow>)> {
    let (mut database, info) = open_grid(&args.db, args.grid.as_ref())?;
    let conditions = args
        .conditions
        .iter()
        .map(|text| Condition::parse(text))
        .collect::<Result<Vec<_>, _>>()?;
    let sort = args.sort.as_deref().or(default_sort);
    let mut rows = select(&database.rows(&info.grid_id)?, &conditions, sort)?;
    if let Some(limit) = args.limit {
        rows.truncate(limit);
    }
    Ok((info, rows))
}

fn number(row: &ResultRow, name: &str) -> String {
    match row.metrics.get(name).and_then(serde_json::Value::as_f64) {
        Some(value) if name == "trades" => format!("{value:.0}"),
        Some(value) => format!("{value:.2}"),
        None => "n/a".to_owned(),
    }
}

fn params_text(row: &ResultRow) -> String {
    row.params
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn list(args: &ListArgs, best: bool) -> anyhow::Result<ExitCode> {
    let (info, mut rows) = selected(args, best.then_some("net_pnl"))?;
    if best {
        rows.truncate(1);
    }
    outln!(
        "grid {}: {} of {} combinations finished{}",
        info.grid_id,
        info.finished,
        info.combinations,
        if info.label.is_empty() {
            String::new()
        } else {
            format!(" ({})", info.label)
        }
    );
    outln!(
        "{:>6} {:<16} {:>14} {:>9} {:>7} {:>7} {:>8}  params",
        "seq",
        "run_id",
        "net_pnl",
        "return%",
        "sharpe",
        "trades",
        "max_dd%"
    );
    for row in &rows {
        outln!(
            "{:>6} {:<16} {:>14} {:>9} {:>7} {:>7} {:>8}  {}",
            row.seq,
            row.run_id,
            number(row, "net_pnl"),
            number(row, "return_pct"),
            number(row, "sharpe"),
            number(row, "trades"),
            number(row, "max_drawdown_pct"),
            params_text(row)
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn show(args: &ShowArgs) -> anyhow::Result<ExitCode> {
    let mut database = open_results(&args.db)?;
    let (grid_id, row) = database
        .row(&args.run_id)?
        .with_context(|| format!("no run {} in {}", args.run_id, database.location()))?;
    outln!("grid: {grid_id}");
    if let Some(info) = database
        .grids()?
        .into_iter()
        .find(|info| info.grid_id == grid_id)
    {
        outln!("grid manifest (inputs and program; the config below is this run's):");
        outln!("{}", info.manifest.trim_end());
    }
    outln!("run: {} (seq {})", row.run_id, row.seq);
    outln!("params: {}", row.params);
    outln!("metrics: {}", row.metrics);
    outln!("effective config:");
    outln!("{}", row.config.trim_end());
    Ok(ExitCode::SUCCESS)
}

fn export(args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let (path, format) = match (&args.csv, &args.out) {
        (Some(csv), _) => (csv, ExportFormat::Csv),
        (None, Some(out)) => (
            out,
            args.format.unwrap_or(
                if out
                    .extension()
                    .is_some_and(|extension| extension == "parquet")
                {
                    ExportFormat::Parquet
                } else {
                    ExportFormat::Csv
                },
            ),
        ),
        (None, None) => anyhow::bail!("grid export: give --out FILE (or --csv FILE)"),
    };
    anyhow::ensure!(
        args.csv.is_none() || args.format.is_none_or(|format| format == ExportFormat::Csv),
        "--csv writes CSV: use --out FILE --format parquet for Parquet"
    );
    let (_, rows) = selected(&args.list, None)?;
    match format {
        ExportFormat::Csv => {
            let mut text = Vec::new();
            write_csv(&rows, &mut text)?;
            auction_trader_backtest::write_file(path, &text)?;
        }
        ExportFormat::Parquet => write_parquet(&rows, path)?,
    }
    outln!("{} rows -> {}", rows.len(), path.display());
    Ok(ExitCode::SUCCESS)
}
