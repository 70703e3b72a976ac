//! PostgreSQL store benchmarks (SPEC 1.4 targets: insert 1 M rows in < 30 s, query one day
//! of one symbol in < 1 s), against the embedded store on the same rows:
//!
//! `cargo run --release -p auction-trader-store-postgres --example pg_bench -- [--store URL] [--repeat N] [capture.gz ...]`
//!
//! The capture (default: `binance/usdm_btcusdt_20240808.gz`, 532,923 events) is parsed once
//! into memory (not timed), then N copies (default 20: the 10.7 M-event replay set of
//! docs/benchmarks.md) shifted by whole days are written:
//! - **ingest**: through `PgImport` (binary COPY in batches, one transaction, commit) and
//!   through `ParquetImport`;
//! - **one day**: every stream of the instrument for one UTC day (one copy) read back
//!   through `ReplayMerge::from_store`, from each store;
//! - **replay**: every stored event merged in replay order, from each store; the two
//!   sequences must be equal (a cheap digest of stream, kind and `ts_recv` is compared).
//!
//! Without `--store` a throwaway local server is started (`scripts/postgres-local.sh`) and
//! deleted at the end; with `--store` the source `bench` in that database is replaced.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // a benchmark: wall time, fail fast

use std::path::PathBuf;
use std::time::Instant;

use auction_trader_data::import::binance_capture::{CaptureOptions, import_capture_files};
use auction_trader_data::replay::ReplayMerge;
use auction_trader_data::store::TickStore;
use auction_trader_data::store_replay::ReplaySelection;
use auction_trader_data::{CollectedEvents, ImportSummary};
use auction_trader_storage::ParquetStore;
use auction_trader_store_postgres::PgStore;
use auction_trader_testkit::postgres::LocalPostgres;
use auction_trader_types::UnixNanos;

const DAY: i64 = 86_400_000_000_000;

/// Writes every copy through `store`'s import API; returns seconds.
fn ingest(store: &dyn TickStore, collected: &CollectedEvents, repeat: i64) -> f64 {
    let started = Instant::now();
    let mut writer = store.begin_import("bench").unwrap();
    let slots: Vec<_> = collected
        .instruments
        .iter()
        .map(|key| writer.instrument(key))
        .collect();
    for copy in 0..repeat {
        for tagged in &collected.events {
            writer.event(
                slots[tagged.instrument.0 as usize],
                tagged.event.shifted(copy * DAY),
            );
        }
    }
    let events = collected.events.len() as u64 * repeat as u64;
    writer
        .commit(ImportSummary {
            events,
            ..ImportSummary::default()
        })
        .unwrap();
    started.elapsed().as_secs_f64()
}

/// Replays `selection`; returns (events, digest, seconds).
fn replay(store: &dyn TickStore, selection: &ReplaySelection) -> (u64, u64, f64) {
    let started = Instant::now();
    let replay = ReplayMerge::from_store(store, selection).unwrap();
    let mut events = 0_u64;
    let mut digest = 0_u64;
    for item in replay.merge {
        let item = item.unwrap();
        events += 1;
        digest = digest.rotate_left(5)
            ^ (item.event.ts_recv().0 as u64)
            ^ (u64::from(item.stream.0) << 48)
            ^ (item.event.kind() as u64);
    }
    (events, digest, started.elapsed().as_secs_f64())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut repeat: i64 = 20;
    let mut url: Option<String> = None;
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        match argument.as_str() {
            "--repeat" => repeat = arguments.next().ok_or("--repeat needs a count")?.parse()?,
            "--store" => url = Some(arguments.next().ok_or("--store needs a URL")?),
            _ => paths.push(PathBuf::from(argument)),
        }
    }
    if paths.is_empty() {
        paths.push(auction_trader_testkit::shared_path(
            "binance/usdm_btcusdt_20240808.gz",
        ));
    }
    let mut collected = CollectedEvents::new();
    import_capture_files(&paths, &CaptureOptions::default(), &mut collected)?;
    let rows = collected.events.len() as u64 * repeat as u64;
    println!(
        "{} events per copy x {repeat} copies one day apart = {rows} rows",
        collected.events.len()
    );

    let server = match &url {
        Some(_) => None,
        None => Some(LocalPostgres::start()?),
    };
    let url = url.unwrap_or_else(|| server.as_ref().unwrap().url().to_owned());
    let postgres = PgStore::open_url(&url)?;
    let directory = tempfile::tempdir()?;
    let parquet = ParquetStore::open(directory.path())?;
    println!(
        "PostgreSQL {} ({} layout)",
        postgres.location(),
        postgres.layout().as_str()
    );

    for (name, store) in [
        ("postgres", &postgres as &dyn TickStore),
        ("parquet", &parquet),
    ] {
        let seconds = ingest(store, &collected, repeat);
        println!(
            "ingest {name}: {rows} rows in {seconds:.2} s = {:.2} M rows/s",
            rows as f64 / seconds / 1e6
        );
    }

    // One UTC day of the instrument (every stream): the middle copy.
    let key = collected.instruments[0].clone();
    let first_day = collected.events[0].event.ts_recv().floor_day().0;
    let day_start = first_day + (repeat / 2) * DAY;
    let one_day = ReplaySelection::instrument(key.clone()).with_range(
        Some(UnixNanos(day_start)),
        Some(UnixNanos(day_start + DAY - 1)),
    );
    let all = ReplaySelection::default();
    let mut digests = Vec::new();
    for (name, store) in [
        ("postgres", &postgres as &dyn TickStore),
        ("parquet", &parquet),
    ] {
        let (events, _, seconds) = replay(store, &one_day);
        println!(
            "one day {name}: {key} {} -> {events} events in {seconds:.3} s",
            UnixNanos(day_start).date_string()
        );
        let (events, digest, seconds) = replay(store, &all);
        println!(
            "replay {name}: {events} events in {seconds:.2} s = {:.2} M events/s (digest {digest:016x})",
            events as f64 / seconds / 1e6
        );
        digests.push(digest);
    }
    if digests[0] != digests[1] {
        return Err("the two stores replayed different sequences".into());
    }
    println!("same replay from both stores");
    Ok(())
}
