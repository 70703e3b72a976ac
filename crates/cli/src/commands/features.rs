//! `features`: the research tools of the feature engine (SPEC 2.1-2.4).
//! - `profile`: volume profile / value area over a trade range with a fixed bin width;
//! - `side-accuracy`: every trade-side inference rule scored against the venue's labels;
//! - `compute`: run the streaming engine over stored data and write per-minute snapshots to the
//!   features store; `export`: read them back for a time range as CSV.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use auction_trader_data::CollectedEvents;
use auction_trader_data::instruments::instrument_or_default;
use auction_trader_data::replay::ReplayMerge;
use auction_trader_data::store_replay::ReplaySelection;
use auction_trader_features::toxicity::ToxicityConfig;
use auction_trader_features::toxicity::table::toxicity_table;
use auction_trader_features::{
    COLUMNS, ColumnValue, FeatureConfig, FeatureEngine, FeatureSnapshot, ValueAreaExpansion,
    compute_profile, side_accuracy,
};
use auction_trader_storage::ParquetStore;
use auction_trader_storage::features::{FeatureTable, FeatureValues};
use auction_trader_types::{InstrumentKey, MarketEvent, MarketKind, Price, StreamKind, UnixNanos};
use clap::{Args, Subcommand};

use super::inputs::InputArgs;
use crate::output::outln;
use crate::time_arg::TimeRangeArgs;

/// Feature table name of the per-minute snapshots in the features store.
const SNAPSHOT_TABLE: &str = "minute";

#[derive(Debug, Subcommand)]
pub enum FeaturesCommand {
    /// Volume profile and value area over a trade range with a fixed bin width.
    Profile(ProfileArgs),
    /// Accuracy of each trade-side inference rule against the venue's aggressor labels.
    SideAccuracy(SideAccuracyArgs),
    /// Run the feature engine over stored data; write per-minute snapshots to features/.
    Compute(StoredRangeArgs),
    /// Export stored per-minute snapshots of a time range as CSV.
    Export(ExportArgs),
    /// Per-second order-book toxicity table of a depth capture (SPEC 2.5: ghosts, CTR, OBI
    /// churn, drain regimes), ending with a one-line summary.
    Toxicity(ToxicityArgs),
    /// Research feature matrix (SPEC 2.6): one row per minute with the research features and
    /// forward returns, to Parquet, with a diagnostics report.
    Matrix(super::features_matrix::MatrixArgs),
}

#[derive(Debug, Args)]
pub struct ToxicityArgs {
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Args)]
pub struct ProfileArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Bin width in price units (e.g. 10 for 10 USDT bins).
    #[arg(long)]
    pub bin: String,
    /// Value-area expansion: single (SPEC 2.2 default) or pair (classic two bins at a time).
    #[arg(long, default_value = "single")]
    pub expand: String,
    /// Only trades whose ts_recv is in [--from, --to).
    #[command(flatten)]
    pub range: TimeRangeArgs,
    /// Also print the histogram (one line per bin, POC and value area marked).
    #[arg(long)]
    pub histogram: bool,
}

#[derive(Debug, Args)]
pub struct SideAccuracyArgs {
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Args)]
pub struct StoredRangeArgs {
    /// The data directory.
    #[arg(long, default_value_os_t = super::default_data_dir())]
    pub data_dir: PathBuf,
    /// Venue of the instrument, e.g. binance-usdm (see `auction-trader catalog`).
    #[arg(long)]
    pub venue: String,
    /// Symbol of the instrument, e.g. BTCUSDT.
    #[arg(long)]
    pub symbol: String,
    /// Market: perp, spot or future.
    #[arg(long, default_value = "perp")]
    pub market: String,
    /// Only events whose ts_recv is in [--from, --to).
    #[command(flatten)]
    pub range: TimeRangeArgs,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub range: StoredRangeArgs,
    /// Output CSV file.
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run(command: FeaturesCommand) -> anyhow::Result<ExitCode> {
    match command {
        FeaturesCommand::Profile(args) => profile(&args),
        FeaturesCommand::SideAccuracy(args) => side_accuracy_command(&args),
        FeaturesCommand::Compute(args) => compute(&args),
        FeaturesCommand::Export(args) => export(&args),
        FeaturesCommand::Toxicity(args) => toxicity(&args),
        FeaturesCommand::Matrix(args) => super::features_matrix::run(&args),
    }
}

pub fn collect(input: &InputArgs) -> anyhow::Result<CollectedEvents> {
    let options = input.options()?;
    let mut collected = CollectedEvents::new();
    for job in input.jobs()? {
        job.import_into(&options, &mut collected)?;
    }
    Ok(collected)
}

fn profile(args: &ProfileArgs) -> anyhow::Result<ExitCode> {
    let bin_width = Price::from_decimal_str(&args.bin).context("--bin")?;
    anyhow::ensure!(bin_width.is_positive(), "--bin must be positive");
    let expansion = match args.expand.as_str() {
        "single" => ValueAreaExpansion::SingleBin,
        "pair" => ValueAreaExpansion::TwoBin,
        other => anyhow::bail!("--expand must be single or pair, not {other:?}"),
    };
    let (from, to) = args.range.closed_bounds()?;
    let collected = collect(&args.input)?;
    let trades: Vec<_> = collected
        .events
        .iter()
        .filter_map(|tagged| match tagged.event {
            MarketEvent::Trade(trade) if trade.ts_recv >= from && trade.ts_recv <= to => {
                Some(trade)
            }
            _ => None,
        })
        .collect();
    anyhow::ensure!(!trades.is_empty(), "no trades in the selected range");
    let profile = compute_profile(&trades, bin_width, expansion)?;
    outln!(
        "trades={} bins={} total_volume={}",
        trades.len(),
        profile.bins_spanned(),
        auction_trader_types::Quantity::from_raw(profile.total_volume)
    );
    if args.histogram {
        let peak = profile.bins.iter().copied().max().unwrap_or(1).max(1);
        for (offset, volume) in profile.bins.iter().enumerate().rev() {
            let bin = profile.first_bin + offset as i64;
            let marker = if bin == profile.poc_bin {
                "POC"
            } else if (profile.value_area_low_bin..=profile.value_area_high_bin).contains(&bin) {
                " VA"
            } else {
                "   "
            };
            let width = (volume * 50 / peak) as usize;
            outln!(
                "{:>16} {marker} {:>16} {}",
                profile.bin_low(bin).to_string(),
                auction_trader_types::Quantity::from_raw(*volume).to_string(),
                "#".repeat(width)
            );
        }
    }
    outln!(
        "poc={} val={} vah={}",
        profile.poc,
        profile.val,
        profile.vah
    );
    Ok(ExitCode::SUCCESS)
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(
        || "n/a".to_owned(),
        |ratio| format!("{:.2}%", ratio * 100.0),
    )
}

fn side_accuracy_command(args: &SideAccuracyArgs) -> anyhow::Result<ExitCode> {
    let collected = collect(&args.input)?;
    for (slot, instrument) in collected.instruments_with_slots() {
        let events = collected.events_of(slot);
        let report = side_accuracy(events);
        if report.fills == 0 {
            continue;
        }
        outln!(
            "{instrument}: fills={} trades={} labelled={} quotes={}",
            report.fills,
            report.trades,
            report.labelled_trades,
            report.quotes
        );
        outln!(
            "  {:<22} {:>9} {:>9} {:>11}",
            "rule",
            "accuracy",
            "coverage",
            "vol. acc."
        );
        for (name, rule) in [
            ("quote rule", &report.quote_rule),
            ("tick rule", &report.tick_rule),
            ("Lee-Ready", &report.lee_ready),
            ("EMO", &report.emo),
            ("SPEC 2.3 combined", &report.combined),
        ] {
            outln!(
                "  {name:<22} {:>9} {:>9} {:>11}",
                percent(rule.accuracy_all),
                percent(rule.coverage),
                percent(rule.volume_accuracy)
            );
        }
        outln!(
            "  ambiguous_volume_fraction={} stale_classifications={} quote_lookup_misses={}",
            percent(report.ambiguous_volume_fraction),
            report.stale_classifications,
            report.quote_lookup_misses
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn range_of(args: &StoredRangeArgs) -> anyhow::Result<(InstrumentKey, UnixNanos, UnixNanos)> {
    let market = MarketKind::parse(&args.market)?;
    let instrument = InstrumentKey::new(args.venue.as_str(), args.symbol.as_str(), market);
    let (from, to) = args.range.closed_bounds()?;
    Ok((instrument, from, to))
}

/// Replays the stored trades and quotes of one instrument through the engine.
pub fn compute_snapshots(
    store: &ParquetStore,
    instrument: &InstrumentKey,
    from: UnixNanos,
    to: UnixNanos,
) -> anyhow::Result<Vec<FeatureSnapshot>> {
    let selection = ReplaySelection::instrument(instrument.clone())
        .with_kinds(vec![StreamKind::Trade, StreamKind::Quote])
        .with_range(Some(from), Some(to));
    let replay = ReplayMerge::from_store(store, &selection)?;
    anyhow::ensure!(
        replay.kinds().contains(&StreamKind::Trade),
        "no stored trades for {instrument} (see `auction-trader catalog`)"
    );
    let config = FeatureConfig::default();
    let mut engine = FeatureEngine::for_instrument(&config, &instrument_or_default(instrument))?;
    let mut snapshots: Vec<FeatureSnapshot> = Vec::new();
    for item in replay.merge {
        engine.on_event(&item?.event, &mut snapshots);
    }
    Ok(snapshots)
}

/// Converts snapshots to the features store's columns: timestamps and counts as i64, prices,
/// sizes and statistics as f64 (NaN = not available yet).
fn to_table(snapshots: &[FeatureSnapshot]) -> FeatureTable {
    let ts: Vec<UnixNanos> = snapshots.iter().map(|snapshot| snapshot.ts).collect();
    let mut table = FeatureTable::new(ts);
    // `ts` is the table's own timestamp column.
    for column in COLUMNS.iter().filter(|column| column.name != "ts") {
        let sample = snapshots.first().map(|snapshot| column.value(snapshot));
        let integer = matches!(
            sample,
            Some(ColumnValue::Timestamp(_) | ColumnValue::Count(_) | ColumnValue::Flag(_))
        );
        if integer {
            let values = snapshots
                .iter()
                .map(|snapshot| match column.value(snapshot) {
                    ColumnValue::Timestamp(stamp) => stamp.map_or(0, |stamp| stamp.0),
                    ColumnValue::Count(count) => i64::try_from(count).unwrap_or(i64::MAX),
                    ColumnValue::Flag(flag) => i64::from(flag),
                    _ => 0,
                })
                .collect();
            table = table.with_i64(column.name, values);
        } else {
            let values = snapshots
                .iter()
                .map(|snapshot| match column.value(snapshot) {
                    ColumnValue::Price(price) => price.map_or(f64::NAN, Price::as_f64),
                    ColumnValue::Quantity(size) => size.map_or(f64::NAN, |size| size.as_f64()),
                    ColumnValue::Float(value) => value.unwrap_or(f64::NAN),
                    _ => f64::NAN,
                })
                .collect();
            table = table.with_f64(column.name, values);
        }
    }
    table
}

fn compute(args: &StoredRangeArgs) -> anyhow::Result<ExitCode> {
    let (instrument, from, to) = range_of(args)?;
    let store = ParquetStore::open(&args.data_dir)?;
    let snapshots = compute_snapshots(&store, &instrument, from, to)?;
    let valid = snapshots
        .iter()
        .filter(|snapshot| snapshot.profile.valid)
        .count();
    let files = store.write_features(SNAPSHOT_TABLE, &instrument, &to_table(&snapshots))?;
    outln!(
        "{instrument}: {} minute snapshots ({valid} with a valid profile) written to {} file(s) under {}",
        snapshots.len(),
        files,
        args.data_dir.join("features").display()
    );
    Ok(ExitCode::SUCCESS)
}

fn export(args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let (instrument, from, to) = range_of(&args.range)?;
    let store = ParquetStore::open(&args.range.data_dir)?;
    let table = store
        .read_features(SNAPSHOT_TABLE, &instrument, from, to)?
        .ok_or_else(|| {
            anyhow::anyhow!("no stored features for {instrument}: run `features compute` first")
        })?;
    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    write!(writer, "ts")?;
    for column in &table.columns {
        write!(writer, ",{}", column.name)?;
    }
    writeln!(writer)?;
    for row in 0..table.len() {
        write!(writer, "{}", table.ts[row])?;
        for column in &table.columns {
            match &column.values {
                FeatureValues::F64(values) if values[row].is_nan() => write!(writer, ",")?,
                FeatureValues::F64(values) => write!(writer, ",{}", values[row])?,
                FeatureValues::I64(values) => write!(writer, ",{}", values[row])?,
            }
        }
        writeln!(writer)?;
    }
    writer.flush()?;
    outln!(
        "{} rows x {} columns -> {}",
        table.len(),
        table.columns.len() + 1,
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn toxicity(args: &ToxicityArgs) -> anyhow::Result<ExitCode> {
    let collected = collect(&args.input)?;
    let tables = toxicity_table(
        &ToxicityConfig::default(),
        &collected.instruments,
        collected
            .events
            .iter()
            .map(|tagged| (tagged.instrument.0 as usize, &tagged.event)),
    )?;
    // SPEC 2.5 needs the book: trades alone give a message, never an empty table.
    let mut judged = 0;
    for table in &tables {
        if let Some(missing) = table.missing_data() {
            eprintln!("{missing}");
            continue;
        }
        judged += 1;
        outln!("{table}");
        outln!("{}", table.summary());
    }
    if judged == 0 {
        if tables.is_empty() {
            eprintln!("toxicity: the input holds no events; it needs L2 depth and trades");
        }
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
