//! Write/read throughput and on-disk size of the embedded store for a real capture.
//!
//! `cargo run --release -p auction-trader-storage --example storage_bench -- [--repeat N] [capture.gz ...]`
//!
//! The capture is parsed once into memory (not timed as storage), then written through
//! `ParquetImport` (routing, encoding, Parquet writing, commit) and read back with
//! `read_stream` for every instrument and kind. `--repeat N` appends N-1 copies shifted by
//! whole days (`MarketEvent::shifted`), to measure a longer history than the capture holds.
//! `--interleave` shifts the copies by one second instead of one day, so they land in the same
//! day partitions out of order and the commit has to merge-sort them.
//! `--data-dir DIR` keeps the store in DIR (to inspect it with DuckDB or pandas) instead of a
//! temporary directory.

use std::path::{Path, PathBuf};
use std::time::Instant;

use auction_trader_data::import::binance_capture::{CaptureOptions, import_capture_files};
use auction_trader_data::store::TickStore;
use auction_trader_data::{CollectedEvents, EventSink, ImportSummary};
use auction_trader_storage::{ParquetStore, SourceInfo};
use auction_trader_types::{StreamKind, UnixNanos};

fn directory_bytes(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| {
            let path = entry.path();
            if path.is_dir() {
                directory_bytes(&path)
            } else {
                entry.metadata().map_or(0, |metadata| metadata.len())
            }
        })
        .sum()
}

#[allow(clippy::disallowed_methods)] // a benchmark measures wall time (STYLE 3: benches opt out)
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut repeat: i64 = 1;
    let mut kept: Option<PathBuf> = None;
    let mut shift = 86_400 * 1_000_000_000_i64;
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        if argument == "--repeat" {
            repeat = arguments.next().ok_or("--repeat needs a count")?.parse()?;
        } else if argument == "--interleave" {
            shift = 1_000_000_000;
        } else if argument == "--data-dir" {
            kept = Some(PathBuf::from(
                arguments.next().ok_or("--data-dir needs a path")?,
            ));
        } else {
            paths.push(PathBuf::from(argument));
        }
    }
    if paths.is_empty() {
        paths.push(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/binance/usdm_btcusdt_20240808.gz"
        )));
    }
    let input_bytes: u64 = paths
        .iter()
        .map(|path| std::fs::metadata(path).map_or(0, |m| m.len()))
        .sum();

    let started = Instant::now();
    let mut collected = CollectedEvents::new();
    let summary = import_capture_files(&paths, &CaptureOptions::default(), &mut collected)?;
    let parse_seconds = started.elapsed().as_secs_f64();
    let events = collected.events.len() as u64 * repeat as u64;
    println!(
        "parsed {} events ({} records) from {} file(s), {:.1} MB compressed, in {parse_seconds:.2} s",
        collected.events.len(),
        summary.records_read,
        paths.len(),
        input_bytes as f64 / 1e6
    );

    let directory = kept.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("storage-bench-{}", std::process::id()))
    });
    if kept.is_none() {
        let _ = std::fs::remove_dir_all(&directory);
    }
    let store = ParquetStore::open(&directory)?;
    let started = Instant::now();
    let mut writer = store.begin_source_import(SourceInfo::named("bench"))?;
    let slots: Vec<_> = collected
        .instruments
        .iter()
        .map(|key| writer.instrument(key))
        .collect();
    for copy in 0..repeat {
        for tagged in &collected.events {
            writer.event(
                slots[tagged.instrument.0 as usize],
                tagged.event.shifted(copy * shift),
            );
        }
    }
    let report = writer.commit_import(ImportSummary { events, ..summary })?;
    let write_seconds = started.elapsed().as_secs_f64();
    let raw_bytes = directory_bytes(&directory.join("raw"));
    println!(
        "write: {} rows into {} partitions in {write_seconds:.2} s = {:.2} M rows/s",
        report.rows_written,
        report.partitions_written,
        report.rows_written as f64 / write_seconds / 1e6
    );
    println!(
        "disk: {:.2} MB of Parquet = {:.1} bytes/row (input {:.1} MB gzip JSON, {:.2}x per copy)",
        raw_bytes as f64 / 1e6,
        raw_bytes as f64 / report.rows_written as f64,
        input_bytes as f64 / 1e6,
        raw_bytes as f64 / repeat as f64 / input_bytes as f64
    );

    let started = Instant::now();
    let mut read: u64 = 0;
    for key in &collected.instruments {
        for kind in StreamKind::ALL {
            for event in store.read_stream(key, kind, UnixNanos(i64::MIN), UnixNanos::MAX)? {
                event?;
                read += 1;
            }
        }
    }
    let read_seconds = started.elapsed().as_secs_f64();
    println!(
        "read: {read} rows in {read_seconds:.2} s = {:.2} M rows/s",
        read as f64 / read_seconds / 1e6
    );
    for partition in store.partitions(&Default::default())?.iter().take(12) {
        println!(
            "  {} {:?} {} rows {} files {}",
            partition.instrument, partition.kind, partition.date, partition.rows, partition.files
        );
    }
    if kept.is_none() {
        std::fs::remove_dir_all(&directory)?;
    }
    Ok(())
}
