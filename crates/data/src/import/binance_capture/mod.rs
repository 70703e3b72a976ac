//! Binance raw WebSocket capture importer (SPEC 1.2: live streams recorded to files) and the
//! one Binance message decoder that the live feed shares with it.
//!
//! Owns the reading of recorder files with one message per line:
//! - `<local receive ts> <json>` (hftbacktest collector; local ts in ns or µs, detected per file
//!   from its magnitude and cross-checked against the exchange time `E`),
//! - `<seconds.fraction>: <json>` (cryptofeed raw captures; a `wss://... <-> ts` header line is
//!   metadata, counted and skipped),
//!
//! where `<json>` is Binance's combined-stream envelope `{"stream":..,"data":..}`, a bare
//! stream payload, or the REST depth snapshot `{"lastUpdateId":..,"bids":..,"asks":..}`.
//! Messages become normalized events: `trade`/`aggTrade` -> [`Trade`], `bookTicker` ->
//! [`Quote`], `depthUpdate` and the snapshot -> [`BookDelta`] rows, `markPriceUpdate` ->
//! [`Funding`], `forceOrder` -> [`Liquidation`], closed `kline` -> [`Bar`]. Valid messages of
//! other kinds are counted and warned about once per kind, never quarantined; malformed lines
//! are quarantined with their line number and reason.
//!
//! One responsibility per file:
//! - `framing`: recorder lines and their local timestamps (the importer's only concern);
//! - `importer`: [`CaptureImporter`], files and readers driven line by line into the decoder;
//! - `decoder`: [`BinanceDecoder`], ONE message (plus our receive time) into events: the code
//!   path of both the importer and the live feed ([`StreamDecoder`] wraps it for one symbol);
//! - `messages`: the per-message-kind decoders; `snapshot`: the REST depth snapshot, its
//!   buffering until its symbol is known, and the row layout of depth messages;
//! - `venue`: spot / USD-M / COIN-M inference and instrument registration;
//! - `scanner`: the allocation-free JSON scanner; `swar`: eight-bytes-at-a-time byte scans.
//!
//! The hot path is a hand-written scanner for the known message shapes: no allocation per
//! message (buffers are reused), decimals parsed straight into fixed point by the types
//! crate's one decimal parser.
//!
//! [`Trade`]: auction_trader_types::Trade
//! [`Quote`]: auction_trader_types::Quote
//! [`BookDelta`]: auction_trader_types::BookDelta
//! [`Funding`]: auction_trader_types::Funding
//! [`Liquidation`]: auction_trader_types::Liquidation
//! [`Bar`]: auction_trader_types::Bar

use std::io::BufRead;
use std::path::Path;

use auction_trader_types::InstrumentKey;

use crate::input::for_each_input;
use crate::{DataError, EventSink, ImportSummary};

mod decoder;
mod framing;
mod importer;
mod messages;
mod scanner;
mod snapshot;
mod swar;
#[cfg(test)]
mod tests;
mod venue;

pub use decoder::{BinanceDecoder, DecodeError, StreamDecoder};
pub use framing::LocalTimeUnit;
pub use importer::CaptureImporter;

/// Caller choices for a capture import. The defaults infer everything from the content.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureOptions {
    /// Force the venue (`binance-usdm`, `binance-coinm` or `binance-spot`) instead of inferring
    /// it per file from the message shapes.
    pub venue: Option<String>,
    /// Force the unit of the local timestamp instead of detecting it per file.
    pub local_time_unit: Option<LocalTimeUnit>,
    /// Symbol of REST snapshot lines that carry none, when the file's depth stream cannot tell.
    pub snapshot_symbol: Option<String>,
}

/// Message counts of a capture import, per message type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureStats {
    pub trades: u64,
    pub agg_trades: u64,
    pub book_tickers: u64,
    pub depth_updates: u64,
    pub snapshots: u64,
    pub mark_prices: u64,
    pub liquidations: u64,
    /// Closed klines imported as bars.
    pub klines: u64,
    /// Valid messages not imported, per kind (`kline (open bar)`, `24hrTicker`, ...).
    pub skipped: Vec<(String, u64)>,
    /// Recorder metadata lines (cryptofeed connection header).
    pub metadata_lines: u64,
    pub blank_lines: u64,
}

impl CaptureStats {
    /// Total valid messages skipped as unsupported.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.iter().map(|(_, count)| count).sum()
    }

    /// Messages of one skipped kind.
    pub fn skipped_of(&self, kind: &str) -> u64 {
        self.skipped
            .iter()
            .find(|(name, _)| name == kind)
            .map_or(0, |(_, count)| *count)
    }
}

/// Reads one capture (a single file) and pushes its events into `sink` in source order.
pub fn import_capture(
    reader: &mut dyn BufRead,
    source: &str,
    options: &CaptureOptions,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    let mut importer = CaptureImporter::new(options)?;
    importer.read(reader, source, sink)?;
    Ok(importer.summary())
}

/// Parses a capture already in memory (decompressed bytes): the benchmark entry.
pub fn import_capture_bytes(
    bytes: &[u8],
    source: &str,
    options: &CaptureOptions,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    let mut importer = CaptureImporter::new(options)?;
    importer.read_bytes(bytes, source, sink);
    Ok(importer.summary())
}

/// Reads several capture files (plain or `.gz`) as ONE continuous capture, in the given order.
/// The local timestamp unit and the venue are still detected per file.
pub fn import_capture_files<P: AsRef<Path>>(
    paths: &[P],
    options: &CaptureOptions,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    let mut importer = CaptureImporter::new(options)?;
    for path in paths {
        importer.read_path(path.as_ref(), sink)?;
    }
    Ok(importer.summary())
}

/// Decompressed bytes read from the start of a file to tell which instruments it records.
const IDENTITY_SAMPLE_BYTES: u64 = 1 << 20;

/// The instruments (venue and symbol) the first megabyte of a capture file records, sorted:
/// two files continue one capture only when they record the same instruments.
pub fn capture_instruments(
    path: &Path,
    options: &CaptureOptions,
) -> Result<Vec<InstrumentKey>, DataError> {
    let mut importer = CaptureImporter::new(options)?;
    let mut collected = crate::CollectedEvents::new();
    let mut first = true;
    for_each_input(path, |name, reader| {
        if first {
            first = false;
            let mut sample = std::io::Read::take(reader, IDENTITY_SAMPLE_BYTES);
            importer.read(&mut sample, name, &mut collected)?;
        }
        Ok(())
    })?;
    let mut instruments = collected.instruments;
    instruments.sort();
    Ok(instruments)
}
