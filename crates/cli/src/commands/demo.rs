//! `demo`: the main job on the embedded default storage. Imports real market data (from
//! `../shared/data` when present, else downloaded from Binance's public archive), validates it,
//! rebuilds and verifies the L2 book of a depth capture, replays everything in time order, and
//! runs the feature engine over the long bitFlyer tape.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use auction_trader_book::{SequenceRule, verify_events};
use auction_trader_data::CollectedEvents;
use auction_trader_data::download::DayOutcome;
use auction_trader_data::import::binance_capture::{CaptureOptions, import_capture_files};
use auction_trader_storage::ParquetStore;
use auction_trader_types::{InstrumentKey, MarketKind, UnixNanos};
use clap::Args;

use super::download::{DownloadArgs, download};
use super::import::import_job;
use super::inputs::InputArgs;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Directory of real recorded data (the project's shared data set).
    #[arg(long, default_value = "../shared/data")]
    pub shared_data: PathBuf,
    /// The data directory to import into.
    #[arg(long, default_value_os_t = super::default_data_dir())]
    pub data_dir: PathBuf,
}

pub fn run(args: &DemoArgs) -> anyhow::Result<ExitCode> {
    let store = ParquetStore::open(&args.data_dir)
        .with_context(|| format!("opening data directory {}", args.data_dir.display()))?;
    let inputs = if args.shared_data.is_dir() {
        println!("== real data from {}", args.shared_data.display());
        shared_inputs(&args.shared_data)
    } else {
        println!(
            "== {} not found: downloading one day of BTCUSDT trades from Binance's public archive",
            args.shared_data.display()
        );
        downloaded_inputs()?
    };

    println!(
        "\n== import + validation (SPEC 1.3) into {}",
        args.data_dir.display()
    );
    for input in &inputs {
        for job in input.jobs()? {
            let outcome = import_job(&store, &job, &input.options()?)?;
            let summary = &outcome.report.summary;
            println!(
                "{:<70} {:>9} events {:>6} quarantined {:>3} validation issue(s)",
                outcome.source,
                summary.events,
                summary.quarantined,
                outcome.validation.issues_count()
            );
        }
    }

    let capture = args.shared_data.join("binance/usdm_btcusdt_20240808.gz");
    if capture.exists() {
        println!(
            "\n== L2 book rebuilt from {} vs every verifiable bookTicker",
            capture.display()
        );
        verify_capture(&capture)?;
    }

    println!("\n== deterministic replay of everything stored (SPEC 1.5)");
    super::replay::run(&super::replay::ReplayArgs {
        data_dir: args.data_dir.clone(),
        stats: true,
        venue: None,
        symbol: None,
        kind: None,
        from: None,
        to: None,
        dump: None,
    })?;

    let bitflyer = InstrumentKey::new("bitflyer", "BTC_JPY", MarketKind::Spot);
    if store
        .list_partitions(&auction_trader_data::store::PartitionFilter {
            venue: Some(bitflyer.venue.clone()),
            ..Default::default()
        })?
        .is_empty()
    {
        return Ok(ExitCode::SUCCESS);
    }
    println!("\n== feature engine over the bitFlyer tape (SPEC 2.1-2.4)");
    let snapshots =
        super::features::compute_snapshots(&store, &bitflyer, UnixNanos(i64::MIN), UnixNanos::MAX)?;
    let valid: Vec<_> = snapshots
        .iter()
        .filter(|snapshot| snapshot.profile.valid)
        .collect();
    println!(
        "{} minute snapshots, {} with a valid 240-minute value area",
        snapshots.len(),
        valid.len()
    );
    if let Some(last) = valid.last() {
        println!(
            "last valid profile at {}: poc={} val={} vah={} (bin width {})",
            last.ts,
            last.profile
                .poc
                .map(|price| price.to_string())
                .unwrap_or_default(),
            last.profile
                .val
                .map(|price| price.to_string())
                .unwrap_or_default(),
            last.profile
                .vah
                .map(|price| price.to_string())
                .unwrap_or_default(),
            last.profile
                .bin_width
                .map(|price| price.to_string())
                .unwrap_or_default()
        );
    }
    println!("\nNext: `auction-trader catalog`, `auction-trader replay --stats --venue bitflyer`,");
    println!(
        "      `auction-trader features profile --bin 1000 {}/bitflyer/*.execution.*`",
        args.shared_data.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn verify_capture(capture: &Path) -> anyhow::Result<()> {
    let mut collected = CollectedEvents::new();
    import_capture_files(&[capture], &CaptureOptions::default(), &mut collected)?;
    for (slot, instrument) in collected.instruments_with_slots() {
        let events = collected.events_of(slot);
        let report = verify_events(SequenceRule::for_venue(&instrument.venue), events);
        println!("{instrument}: {report}");
    }
    Ok(())
}

fn input(files: Vec<PathBuf>) -> InputArgs {
    InputArgs {
        files,
        format: "auto".to_owned(),
        venue: None,
        symbol: None,
        market: None,
        timestamp_column: None,
        price_column: None,
        size_column: None,
        side_column: None,
        id_column: None,
    }
}

/// The shared data files the demo imports (those present).
fn shared_inputs(root: &Path) -> Vec<InputArgs> {
    let mut bitflyer: Vec<PathBuf> = std::fs::read_dir(root.join("bitflyer"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| path.to_string_lossy().contains(".execution."))
                .collect()
        })
        .unwrap_or_default();
    bitflyer.sort();
    let singles = [
        "binance/usdm_btcusdt_20240808.gz",
        "tardis/binance-futures_BTCUSDT_trades_2020-02-22_sample.csv",
        "tardis/binance-futures_BTCUSDT_quotes_2020-02-22_sample.csv",
    ];
    let mut inputs: Vec<InputArgs> = singles
        .iter()
        .map(|relative| root.join(relative))
        .filter(|path| path.exists())
        .map(|path| input(vec![path]))
        .collect();
    if !bitflyer.is_empty() {
        inputs.push(input(bitflyer));
    }
    inputs
}

/// Without the shared data: one day of Binance USD-M BTCUSDT trades from the public archive.
fn downloaded_inputs() -> anyhow::Result<Vec<InputArgs>> {
    let args = DownloadArgs {
        venue: "binance-usdm".to_owned(),
        symbol: "BTCUSDT".to_owned(),
        kind: "trades".to_owned(),
        from: chrono::NaiveDate::from_ymd_opt(2024, 8, 8).context("date")?,
        to: None,
        out: PathBuf::from("downloads"),
        base_url: None,
    };
    let report = download(&args)?;
    let files: Vec<PathBuf> = report
        .days
        .iter()
        .filter_map(|day| match &day.outcome {
            DayOutcome::Downloaded { path, .. } | DayOutcome::AlreadyPresent { path, .. } => {
                Some(path.clone())
            }
            _ => None,
        })
        .collect();
    anyhow::ensure!(
        !files.is_empty(),
        "the download produced no file:\n{report}"
    );
    Ok(vec![input(files)])
}
