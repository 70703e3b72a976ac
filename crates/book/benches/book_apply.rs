//! Book apply throughput over a real capture (rows per second, one core).
//!
//! `cargo bench -p auction-trader-book --bench book_apply [-- <passes>]`
//! Replays the depth rows of `usdm_btcusdt_20240808.gz` (parsed once, outside the timing)
//! `passes` times (default 200) through a fresh book each pass: once through the bare
//! [`OrderBook`] and once through the [`SequencedBook`] (Binance futures rule: buffering,
//! `pu` chaining, message boundaries), as replay does.
#![allow(clippy::disallowed_methods)] // STYLE 3: benches read the wall clock locally.

use std::path::PathBuf;
use std::time::Instant;

use auction_trader_book::{OrderBook, SequenceRule, SequencedBook};
use auction_trader_data::CollectedEvents;
use auction_trader_data::import::binance_capture::{CaptureOptions, import_capture_files};
use auction_trader_types::{BookDelta, MarketEvent};

const CAPTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/binance/usdm_btcusdt_20240808.gz"
);

fn main() {
    let path = PathBuf::from(CAPTURE);
    if !path.exists() {
        eprintln!("skipping: {} is absent", path.display());
        return;
    }
    let passes: usize = std::env::args()
        .skip(1)
        .find_map(|argument| argument.parse().ok())
        .unwrap_or(200);
    let mut events = CollectedEvents::new();
    if let Err(error) = import_capture_files(&[&path], &CaptureOptions::default(), &mut events) {
        eprintln!("import failed: {error}");
        return;
    }
    let rows: Vec<BookDelta> = events
        .events
        .iter()
        .filter_map(|tagged| match tagged.event {
            MarketEvent::Depth(row) => Some(row),
            _ => None,
        })
        .collect();
    println!("{} depth rows, {passes} passes", rows.len());

    let mut checksum = 0_i64;
    let start = Instant::now();
    for _ in 0..passes {
        let mut book = OrderBook::with_inferred_tick();
        for row in &rows {
            if book.apply(row).is_err() {
                checksum += 1;
            }
        }
        checksum += book.best_bid().map_or(0, |(price, _)| price.raw() % 1_000);
    }
    report(
        "OrderBook::apply",
        rows.len() * passes,
        start.elapsed().as_secs_f64(),
    );

    let start = Instant::now();
    for _ in 0..passes {
        let mut book = SequencedBook::new(
            SequenceRule::BinanceFutures,
            OrderBook::with_inferred_tick(),
        );
        for row in &rows {
            book.apply(row);
        }
        checksum += book.counters().messages_applied as i64;
    }
    report(
        "SequencedBook::apply",
        rows.len() * passes,
        start.elapsed().as_secs_f64(),
    );
    println!("(checksum {checksum})");
}

fn report(name: &str, rows: usize, seconds: f64) {
    println!(
        "{name:<22} {rows} rows in {seconds:.3} s = {:.1} M rows/s",
        rows as f64 / seconds / 1e6
    );
}
