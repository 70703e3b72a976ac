//! `features matrix`: the aligned research feature matrix (SPEC 2.6): one row per minute close
//! of a target instrument with the chosen research features and forward log returns, written
//! to one Parquet file, plus an optional diagnostics report (text on stdout, JSON to a file).
//!
//! Inputs: files (positional, detected and imported like `import`/`validate`, one capture or
//! tape, several instruments allowed) or the data directory (`--data-dir --venue --symbol`,
//! every stored stream of the instruments). The target is instrument 0; `--reference`
//! instruments are fed to the features as 1, 2, … (spot for the basis, BTC for alt lead-lag).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use auction_trader_data::CollectedEvents;
use auction_trader_data::instruments::instrument_or_default;
use auction_trader_data::replay::ReplayMerge;
use auction_trader_data::store_replay::{ReplaySelection, StoreReplay};
use auction_trader_features::{FeatureConfig, FeatureEngine};
use auction_trader_research::diagnostics::DiagnosticsReport;
use auction_trader_research::matrix::{FeatureMatrix, FeatureMatrixBuilder};
use auction_trader_research::registry;
use auction_trader_storage::{ParquetStore, write_matrix};
use auction_trader_types::{InstrumentKey, MarketEvent, MarketKind, StreamKind, UnixNanos};
use clap::Args;

use super::inputs::InputArgs;
use crate::output::{out, outln};
use crate::progress::items_bar;
use crate::time_arg::TimeRangeArgs;

/// Progress bar refresh: every this many events.
const PROGRESS_STEP: u64 = 1 << 16;

#[derive(Debug, Args)]
pub struct MatrixArgs {
    /// Input files (plain, .gz or .zip), formats detected as in `import`. Without them, the
    /// data directory is read (--data-dir, --venue, --symbol).
    pub files: Vec<PathBuf>,
    /// The former spelling of the input files (`--input a b`), kept for old scripts.
    #[arg(long = "input", num_args = 1.., hide = true)]
    pub input: Vec<PathBuf>,
    /// Input format of the files, or `auto` to detect it per file.
    #[arg(long, default_value = "auto", value_parser = super::inputs::format_names())]
    pub format: String,
    /// The data directory (when no input file is given).
    #[arg(long, default_value_os_t = super::default_data_dir())]
    pub data_dir: PathBuf,
    /// Target venue (required with the data directory; a filter with input files).
    #[arg(long)]
    pub venue: Option<String>,
    /// Target symbol (required with the data directory; a filter with input files).
    #[arg(long)]
    pub symbol: Option<String>,
    /// Target market: perp, spot or future (a filter with input files when given).
    #[arg(long)]
    pub market: Option<String>,
    /// Reference instrument(s), fed to the features as 1, 2, …: VENUE:SYMBOL:MARKET, or with
    /// input files also SYMBOL or VENUE:SYMBOL among the imported instruments.
    #[arg(long = "reference")]
    pub references: Vec<String>,
    /// Only events whose ts_recv is in [--from, --to).
    #[command(flatten)]
    pub range: TimeRangeArgs,
    /// Comma-separated feature column names, or `all`.
    #[arg(long, default_value = "all")]
    pub features: String,
    /// Forward-return horizons in minutes, comma-separated.
    #[arg(long, default_value = "1,5,15")]
    pub horizons: String,
    /// Output Parquet file.
    #[arg(long)]
    pub out: PathBuf,
    /// Also write the diagnostics report as JSON here (the text goes to stdout).
    #[arg(long)]
    pub diagnostics: Option<PathBuf>,
}

impl MatrixArgs {
    /// The positional files, then any given with the hidden `--input`.
    fn input_files(&self) -> Vec<PathBuf> {
        self.files.iter().chain(&self.input).cloned().collect()
    }
}

fn parse_horizons(text: &str) -> anyhow::Result<Vec<u32>> {
    text.split(',')
        .map(|part| {
            part.trim()
                .parse::<u32>()
                .with_context(|| format!("--horizons: {part:?} is not a whole number of minutes"))
        })
        .collect()
}

/// Does `spec` (SYMBOL, VENUE:SYMBOL or VENUE:SYMBOL:MARKET) name `key`?
fn matches_spec(spec: &str, key: &InstrumentKey) -> bool {
    let parts: Vec<&str> = spec.split(':').collect();
    match parts.as_slice() {
        [symbol] => key.symbol.eq_ignore_ascii_case(symbol),
        [venue, symbol] => key.venue == *venue && key.symbol.eq_ignore_ascii_case(symbol),
        [venue, symbol, market] => {
            key.venue == *venue
                && key.symbol.eq_ignore_ascii_case(symbol)
                && MarketKind::parse(market).is_ok_and(|market| market == key.market)
        }
        _ => false,
    }
}

fn parse_key(spec: &str) -> anyhow::Result<InstrumentKey> {
    let parts: Vec<&str> = spec.split(':').collect();
    let [venue, symbol, market] = parts.as_slice() else {
        anyhow::bail!("reference {spec:?}: expected VENUE:SYMBOL:MARKET with the data directory");
    };
    Ok(InstrumentKey::new(
        *venue,
        *symbol,
        MarketKind::parse(market)?,
    ))
}

/// The target and reference instruments, in matrix order (target first).
struct Selection {
    instruments: Vec<InstrumentKey>,
}

/// Runs the builder over `(instrument, event)` pairs with a progress bar.
fn run_builder<'a>(
    builder: &mut FeatureMatrixBuilder,
    events: impl Iterator<Item = (usize, &'a MarketEvent)>,
    total: u64,
    range: (UnixNanos, UnixNanos),
) {
    let bar = items_bar(total, "matrix");
    let mut last = None;
    for (index, event) in events {
        let stamp = event.ts_recv();
        if stamp < range.0 || stamp > range.1 {
            continue;
        }
        builder.on_event(index, event);
        last = Some(stamp);
        if builder.events().is_multiple_of(PROGRESS_STEP) {
            bar.set_position(builder.events());
        }
    }
    if let Some(stamp) = last {
        builder.advance_to(stamp);
    }
    bar.finish_and_clear();
}

fn from_files(
    args: &MatrixArgs,
    builder_for: impl Fn(&InstrumentKey) -> anyhow::Result<FeatureMatrixBuilder>,
    range: (UnixNanos, UnixNanos),
) -> anyhow::Result<(Selection, FeatureMatrixBuilder)> {
    let input = InputArgs {
        format: args.format.clone(),
        ..InputArgs::for_files(args.input_files())
    };
    let options = input.options()?;
    let mut collected = CollectedEvents::new();
    for job in input.jobs()? {
        job.import_into(&options, &mut collected)?;
    }
    let market = args.market.as_deref().map(MarketKind::parse).transpose()?;
    let target_matches = |key: &InstrumentKey| {
        args.venue.as_ref().is_none_or(|venue| &key.venue == venue)
            && args
                .symbol
                .as_ref()
                .is_none_or(|symbol| key.symbol.eq_ignore_ascii_case(symbol))
            && market.is_none_or(|market| market == key.market)
    };
    let target = collected
        .instruments_with_slots()
        .find(|(slot, key)| {
            target_matches(key) && collected.of_kind(*slot, StreamKind::Trade).next().is_some()
        })
        .map(|(slot, _)| slot)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no instrument with trades matches the target among {:?}",
                collected
                    .instruments
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
            )
        })?;
    // Slot → matrix instrument index (target 0, references 1..).
    let mut index_of: Vec<Option<usize>> = vec![None; collected.instruments.len()];
    index_of[target.0 as usize] = Some(0);
    let mut instruments = vec![collected.instruments[target.0 as usize].clone()];
    for spec in &args.references {
        let (slot, key) = collected
            .instruments_with_slots()
            .find(|(slot, key)| slot != &target && matches_spec(spec, key))
            .ok_or_else(|| anyhow::anyhow!("reference {spec:?} is not among the inputs"))?;
        index_of[slot.0 as usize] = Some(instruments.len());
        instruments.push(key.clone());
    }
    let mut events: Vec<(usize, &MarketEvent)> = collected
        .events
        .iter()
        .filter_map(|tagged| {
            index_of
                .get(tagged.instrument.0 as usize)
                .copied()
                .flatten()
                .map(|index| (index, &tagged.event))
        })
        .collect();
    // Jobs are imported one after the other: merge them by ts_recv (stable: ties keep order).
    if !events
        .windows(2)
        .all(|pair| pair[0].1.ts_recv() <= pair[1].1.ts_recv())
    {
        events.sort_by_key(|(_, event)| event.ts_recv());
    }
    let mut builder = builder_for(&instruments[0])?;
    let total = events.len() as u64;
    run_builder(&mut builder, events.into_iter(), total, range);
    Ok((Selection { instruments }, builder))
}

fn from_store(
    args: &MatrixArgs,
    builder_for: impl Fn(&InstrumentKey) -> anyhow::Result<FeatureMatrixBuilder>,
    range: (UnixNanos, UnixNanos),
) -> anyhow::Result<(Selection, FeatureMatrixBuilder)> {
    let (Some(venue), Some(symbol)) = (&args.venue, &args.symbol) else {
        anyhow::bail!("give input files, or --venue and --symbol to read the data directory");
    };
    let market = MarketKind::parse(args.market.as_deref().unwrap_or("perp"))?;
    let mut instruments = vec![InstrumentKey::new(venue.as_str(), symbol.as_str(), market)];
    for spec in &args.references {
        instruments.push(parse_key(spec)?);
    }
    let store = ParquetStore::open(&args.data_dir)?;
    let selection = ReplaySelection {
        instruments: instruments.clone(),
        ..ReplaySelection::default()
    }
    .with_range(Some(range.0), Some(range.1));
    let StoreReplay { mut merge, streams } = ReplayMerge::from_store(&store, &selection)?;
    anyhow::ensure!(
        streams
            .iter()
            .any(|stream| stream.instrument == instruments[0] && stream.kind == StreamKind::Trade),
        "no stored trades for {} (see `auction-trader catalog`)",
        instruments[0]
    );
    let total: u64 = streams.iter().map(|stream| stream.rows).sum();
    // Stream id → matrix instrument index (target 0, references 1..).
    let stream_instrument: Vec<usize> = streams
        .iter()
        .map(|stream| {
            instruments
                .iter()
                .position(|key| key == &stream.instrument)
                .unwrap_or(0)
        })
        .collect();
    let mut builder = builder_for(&instruments[0])?;
    let bar = items_bar(total, "matrix");
    let mut last = None;
    while let Some(item) = merge.next_ref() {
        let (stream, event) = item?;
        let index = stream_instrument
            .get(stream.0 as usize)
            .copied()
            .unwrap_or(0);
        builder.on_event(index, event);
        last = Some(event.ts_recv());
        if builder.events().is_multiple_of(PROGRESS_STEP) {
            bar.set_position(builder.events());
        }
    }
    if let Some(stamp) = last {
        builder.advance_to(stamp);
    }
    bar.finish_and_clear();
    Ok((Selection { instruments }, builder))
}

fn write(matrix: &FeatureMatrix, args: &MatrixArgs) -> anyhow::Result<()> {
    let columns: Vec<(&str, &[f64])> = matrix
        .columns
        .iter()
        .map(|column| (column.name.as_str(), column.values.as_slice()))
        .collect();
    write_matrix(&args.out, &matrix.ts, &columns)
        .with_context(|| format!("writing {}", args.out.display()))
}

// The elapsed wall time is only printed for the user; it never reaches the matrix.
#[allow(clippy::disallowed_methods)]
pub fn run(args: &MatrixArgs) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let names: Vec<String> = args
        .features
        .split(',')
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .collect();
    let horizons = parse_horizons(&args.horizons)?;
    // Validate the selection and horizons before reading any data.
    registry::select(&names)?;
    let builder_for = |target: &InstrumentKey| -> anyhow::Result<FeatureMatrixBuilder> {
        let engine = FeatureEngine::for_instrument(
            &FeatureConfig::default(),
            &instrument_or_default(target),
        )?;
        Ok(FeatureMatrixBuilder::new(
            engine,
            registry::select(&names)?,
            &horizons,
        )?)
    };
    let range = args.range.closed_bounds()?;
    let (selection, builder) = if args.input_files().is_empty() {
        from_store(args, builder_for, range)?
    } else {
        from_files(args, builder_for, range)?
    };
    let events = builder.events();
    let matrix = builder.finish();
    anyhow::ensure!(
        matrix.rows() > 0,
        "no minute closed for {}: no trades in the range",
        selection.instruments[0]
    );
    write(&matrix, args)?;
    let seconds = started.elapsed().as_secs_f64();
    let instruments: Vec<String> = selection
        .instruments
        .iter()
        .map(ToString::to_string)
        .collect();
    outln!(
        "{}: {} rows x {} columns (ts + {}) from {events} events in {seconds:.2} s -> {}",
        instruments.join(" + "),
        matrix.rows(),
        matrix.columns.len() + 1,
        matrix.columns.len(),
        args.out.display()
    );
    let report = DiagnosticsReport::from_matrix(&matrix);
    out!("{}", report.to_text());
    outln!("top |Spearman| correlations with forward returns:");
    for ranked in report.top_correlations(10) {
        outln!(
            "  {:<28} {:<12} spearman {:+.4} pearson {} (n={})",
            ranked.feature,
            ranked.target,
            ranked.spearman,
            ranked
                .pearson
                .map_or_else(|| "-".to_owned(), |value| format!("{value:+.4}")),
            ranked.pairs
        );
    }
    if let Some(path) = &args.diagnostics {
        let json = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
        outln!("diagnostics -> {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn horizons_and_specs() {
        assert_eq!(parse_horizons("1, 5,15").unwrap(), [1, 5, 15]);
        assert!(parse_horizons("1,x").is_err());
        let key = InstrumentKey::new("binance-spot", "BTCUSDT", MarketKind::Spot);
        assert!(matches_spec("btcusdt", &key));
        assert!(matches_spec("binance-spot:BTCUSDT", &key));
        assert!(matches_spec("binance-spot:BTCUSDT:spot", &key));
        assert!(!matches_spec("binance-spot:BTCUSDT:perp", &key));
        assert!(parse_key("BTCUSDT").is_err());
        assert_eq!(parse_key("binance-spot:BTCUSDT:spot").unwrap(), key);
    }
}
