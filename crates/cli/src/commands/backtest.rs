//! `backtest -c config.yaml`: imports the configured files when the store lacks them, replays
//! the instrument's stored streams in time order through the engine with the simulated
//! exchange (progress bar), and writes the run directory: the effective config, execution.db,
//! signals.db, the trade list, the equity curve, metrics and the HTML report.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use auction_trader_backtest::{BacktestConfig, BacktestResult, resolve_instrument, run_backtest};
use auction_trader_data::import::format::ImportFormat;
use auction_trader_data::instruments::{known_instrument, valued_instrument};
use auction_trader_data::replay::ReplayMerge;
use auction_trader_data::store::{PartitionFilter, TickStore};
use auction_trader_storage::ParquetStore;
use auction_trader_types::{Instrument, InstrumentKey, MarketKind, StreamKind, UnixNanos};
use clap::Args;

use super::import::import_job;
use super::inputs::InputArgs;
use super::run_output::{print_metrics, print_metrics_json, write_run};
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
    /// Override `data.dir`: the data directory to read (and import the listed files into).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Override `data.start` / `data.end` (inclusive start, exclusive end, as in the config).
    #[command(flatten)]
    pub range: TimeRangeArgs,
    /// Print the run's summary as one JSON document (money as numbers); notes go to stderr.
    #[arg(long)]
    pub json: bool,
}

/// Loads `path` and applies the command line's overrides (run name, data directory, time
/// range), then validates the result (shared by `backtest` and `fills compare`).
pub fn load_config(
    path: &Path,
    name: Option<&String>,
    data_dir: Option<&PathBuf>,
    range: &TimeRangeArgs,
) -> anyhow::Result<BacktestConfig> {
    let mut config = BacktestConfig::load(path)?;
    if let Some(name) = name {
        config.run.name = name.clone();
    }
    if let Some(data_dir) = data_dir {
        config.data.dir = data_dir.clone();
    }
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
    let config = load_config(
        &args.config,
        args.name.as_ref(),
        args.data_dir.as_ref(),
        &args.range,
    )?;
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

/// What a finished run left behind.
#[derive(Debug)]
pub struct RunOutcome {
    pub run_dir: PathBuf,
    pub report: PathBuf,
    pub result: BacktestResult,
}

/// What a run replays: the valued instrument and its stored streams merged in replay order.
pub struct RunReplay<'a> {
    pub instrument: Instrument,
    pub merge: ReplayMerge<'a>,
    /// Stored rows of the selected partitions (for progress bars).
    pub total_rows: u64,
}

/// Opens the configured data directory and imports the configured files it lacks.
pub fn open_store(config: &BacktestConfig, notes: Notes) -> anyhow::Result<ParquetStore> {
    let store = ParquetStore::open(&config.data.dir)
        .with_context(|| format!("opening data directory {}", config.data.dir.display()))?;
    import_missing(&store, config, notes)?;
    Ok(store)
}

/// Values the configured instrument and opens the merged replay of its stored streams over
/// the configured range (warm-up included); the first progress note names the command
/// (`purpose`).
pub fn open_replay<'a>(
    store: &'a ParquetStore,
    config: &BacktestConfig,
    purpose: &str,
    notes: Notes,
) -> anyhow::Result<RunReplay<'a>> {
    let market = MarketKind::parse(&config.data.market).context("data.market")?;
    let key = InstrumentKey::new(&config.data.venue, &config.data.symbol, market);
    if known_instrument(&key).is_none()
        && (config.instrument.tick_size.is_none() || config.instrument.lot_size.is_none())
    {
        eprintln!(
            "warning: {key} is not in the venue table: tick and lot default to 1e-9 and fees to \
             2/5 bps; set instrument.tick_size, lot_size, min_size and fees in the config"
        );
    }
    let defaults = valued_instrument(&key, config.instrument.contract_type)?;
    let instrument = resolve_instrument(defaults, &config.instrument)?;
    // The replay starts `warmup_minutes` before `start`: those events only warm up.
    let from = config.data.replay_from()?;
    // `end` is exclusive; the store's range reads include both ends.
    let to = config
        .data
        .end_time()?
        .map(|end| end.saturating_add_nanos(-1));
    let kinds = wanted_kinds(&config.data.kinds)?;
    let filter = PartitionFilter {
        venue: Some(key.venue.to_string()),
        symbol: Some(key.symbol.to_string()),
        kind: None,
        from,
        to,
    };
    let partitions: Vec<_> = store
        .partitions(&filter)?
        .into_iter()
        .filter(|partition| partition.instrument == key)
        .filter(|partition| kinds.is_empty() || kinds.contains(&partition.kind))
        .collect();
    let mut streams: Vec<StreamKind> = partitions.iter().map(|partition| partition.kind).collect();
    streams.sort();
    streams.dedup();
    anyhow::ensure!(
        !streams.is_empty(),
        "no stored data for {key} in {} (import it first, or list files under data.import; \
         see `auction-trader catalog`)",
        config.data.dir.display()
    );
    let total_rows: u64 = partitions.iter().map(|partition| partition.rows).sum();
    let from = from.unwrap_or(UnixNanos(i64::MIN));
    let to = to.unwrap_or(UnixNanos::MAX);
    let mut merge = ReplayMerge::new();
    for kind in &streams {
        merge.add_stream(store.read_stream(&key, *kind, from, to)?);
    }
    notes.line(format_args!(
        "{purpose} {:?}: {} on {key}, streams {}, {} stored events",
        config.run.name,
        format!("{:?}", config.strategy.kind).to_lowercase(),
        streams
            .iter()
            .map(|kind| kind.as_str())
            .collect::<Vec<_>>()
            .join("+"),
        total_rows
    ))?;
    Ok(RunReplay {
        instrument,
        merge,
        total_rows,
    })
}

/// Runs a validated config end to end and writes its run directory (also used by `demo`);
/// progress notes go to `notes`, the summary is the caller's to print.
pub fn execute(config: &BacktestConfig, notes: Notes) -> anyhow::Result<RunOutcome> {
    let store = open_store(config, notes)?;
    let RunReplay {
        instrument,
        merge,
        total_rows,
    } = open_replay(&store, config, "backtest", notes)?;
    let bar = crate::progress::items_bar(total_rows.max(1), "events");
    let events = merge.map(|item| item.map(|replayed| replayed.event));
    let result = run_backtest(config, instrument, events, &mut |ts, count| {
        bar.set_position(count);
        bar.set_prefix(ts.to_string());
    })?;
    bar.finish_and_clear();
    let window = u64::from(config.features.profile_window_minutes);
    if result.counters.bars <= window
        && config.data.warmup_minutes < config.features.profile_window_minutes
    {
        eprintln!(
            "warning: only {} one-minute bars: no signal can fire before the {window}-minute \
             profile warm-up (SPEC 3.1); widen data.start/data.end",
            result.counters.bars
        );
    }
    let run_dir = config.run_dir();
    let report = write_run(&run_dir, config, &result)?;
    Ok(RunOutcome {
        run_dir,
        report,
        result,
    })
}

fn wanted_kinds(names: &[String]) -> anyhow::Result<Vec<StreamKind>> {
    names
        .iter()
        .map(|name| {
            StreamKind::parse(name).ok_or_else(|| {
                anyhow::anyhow!(
                    "data.kinds: unknown stream kind {name:?} (trade, quote, depth, funding, \
                     liquidation, bar)"
                )
            })
        })
        .collect()
}

/// Imports the listed files whose source is not in the catalog yet (idempotent runs).
/// Files whose format does not name the instrument are imported as the configured one.
fn import_missing(
    store: &ParquetStore,
    config: &BacktestConfig,
    notes: Notes,
) -> anyhow::Result<()> {
    let files = &config.data.import;
    if files.is_empty() {
        return Ok(());
    }
    let known: Vec<String> = store
        .sources()?
        .into_iter()
        .map(|source| source.info.name)
        .collect();
    let plain = InputArgs {
        bar_label: config.data.bar_label.clone(),
        ..InputArgs::for_files(files.to_vec())
    };
    // Formats whose files may not name their instrument (bars, generic CSV, Binance archive
    // files renamed outside the archive layout) are imported as the configured one; the
    // others keep what their files say.
    let named = InputArgs {
        venue: Some(config.data.venue.clone()),
        symbol: Some(config.data.symbol.clone()),
        market: Some(config.data.market.clone()),
        ..plain.clone()
    };
    for job in plain.jobs()? {
        if known.contains(&job.source_name()) {
            continue;
        }
        let input = match job.format {
            ImportFormat::OhlcvBars | ImportFormat::GenericCsv | ImportFormat::BinanceArchive => {
                &named
            }
            _ => &plain,
        };
        let outcome = import_job(store, &job, &input.options()?)?;
        if outcome.skipped {
            continue;
        }
        notes.line(format_args!(
            "imported {} ({} events, {} quarantined)",
            outcome.source, outcome.report.summary.events, outcome.report.summary.quarantined
        ))?;
    }
    Ok(())
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
