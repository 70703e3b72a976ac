//! Bybit v5 order-book importer (SPEC 1.2: Bybit order-book history dumps and live v5
//! `orderbook.<depth>.<symbol>` messages).
//!
//! Owns the reading of Bybit's official order-book history dump (one v5 WebSocket message per
//! line, e.g. `2024-12-01_XRPUSDT_ob500.data` inside a `.zip`) and of single live messages.
//! Decoding is the shared v5 decoder's ([`super::bybit_ws`], the one the live adapter uses):
//! each message becomes [`BookDelta`] rows as documented in [`super::bybit_ws::orderbook`];
//! this importer adds files, instruments, counts and quarantine. Other valid messages
//! (subscription acks, trades, tickers) are skipped and counted per kind.
//!
//! Times: `ts_event` = `cts` (matching-engine time) when present, else `ts`. The dump records
//! no local receive time, so `ts_recv` = `ts` (Bybit's system time when it sent the message);
//! replays of a dump are therefore ordered by the venue's send time, not by a local clock.

use std::io::BufRead;
use std::path::Path;

#[cfg(doc)]
use auction_trader_types::BookDelta;
use auction_trader_types::{InstrumentKey, MarketEvent};

use super::bybit_ws::{BybitDecoder, Channel, Decoded, TopicSet};
use crate::input::for_each_input;
use crate::instruments::{BYBIT_INVERSE, BYBIT_LINEAR, BYBIT_SPOT, market_of_venue};
use crate::{DataError, EventSink, ImportSummary, InstrumentSlot, QuarantinedRow};

/// Caller choices for a Bybit order-book import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BybitOrderbookOptions {
    /// Force the venue (`bybit-linear`, `bybit-spot` or `bybit-inverse`). Without it the
    /// venue is inferred: a source named `*spot*` is spot, a symbol ending in `USD` (e.g.
    /// `BTCUSD`) is inverse, anything else linear (the dump format is the same for all).
    pub venue: Option<String>,
}

/// Message counts of an order-book import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BybitOrderbookStats {
    pub snapshots: u64,
    pub deltas: u64,
    /// Valid messages that are not order-book updates (acks, other topics), per topic kind.
    pub skipped: Vec<(String, u64)>,
    pub blank_lines: u64,
}

/// Imports one dump (plain, `.gz` or `.zip`) into `sink`.
pub fn import_orderbook_file(
    path: &Path,
    options: &BybitOrderbookOptions,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    let mut importer = BybitOrderbookImporter::new(options)?;
    for_each_input(path, |name, reader| importer.read(reader, name, sink))?;
    Ok(importer.summary())
}

/// Imports a dump already opened as a reader (one message per line).
pub fn import_orderbook_dump(
    reader: &mut dyn BufRead,
    source: &str,
    options: &BybitOrderbookOptions,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    let mut importer = BybitOrderbookImporter::new(options)?;
    importer.read(reader, source, sink)?;
    Ok(importer.summary())
}

/// A stateful reader: keeps instruments and counts across the files of one import.
#[derive(Debug)]
pub struct BybitOrderbookImporter {
    venue_override: Option<&'static str>,
    instruments: Vec<(&'static str, String, InstrumentSlot)>,
    summary: ImportSummary,
    stats: BybitOrderbookStats,
    source: String,
    decoder: BybitDecoder,
    events: Vec<MarketEvent>,
}

impl BybitOrderbookImporter {
    pub fn new(options: &BybitOrderbookOptions) -> Result<Self, DataError> {
        let venue_override = match options.venue.as_deref() {
            None => None,
            Some(name) => Some(
                [BYBIT_LINEAR, BYBIT_SPOT, BYBIT_INVERSE]
                    .into_iter()
                    .find(|known| known.eq_ignore_ascii_case(name))
                    .ok_or_else(|| {
                        DataError::InvalidOption(format!(
                            "bybit order-book venue {name:?}: expected {BYBIT_LINEAR}, \
                             {BYBIT_SPOT} or {BYBIT_INVERSE}"
                        ))
                    })?,
            ),
        };
        Ok(Self {
            venue_override,
            instruments: Vec::new(),
            summary: ImportSummary::default(),
            stats: BybitOrderbookStats::default(),
            source: String::new(),
            decoder: BybitDecoder::new(TopicSet::OrderbookOnly),
            events: Vec::new(),
        })
    }

    pub fn summary(&self) -> ImportSummary {
        self.summary.clone()
    }

    pub fn stats(&self) -> &BybitOrderbookStats {
        &self.stats
    }

    /// Reads one dump file, one message per line; `source` names it in quarantined rows.
    pub fn read(
        &mut self,
        reader: &mut dyn BufRead,
        source: &str,
        sink: &mut dyn EventSink,
    ) -> Result<(), DataError> {
        source.clone_into(&mut self.source);
        let mut line = Vec::new();
        let mut number = 0;
        loop {
            line.clear();
            let read = reader
                .read_until(b'\n', &mut line)
                .map_err(|error| DataError::io(source, error))?;
            if read == 0 {
                return Ok(());
            }
            number += 1;
            self.summary.records_read += 1;
            let text = line.trim_ascii();
            if text.is_empty() {
                self.stats.blank_lines += 1;
                continue;
            }
            self.decode(text, number, sink);
        }
    }

    /// Imports one message given whole (a live message, possibly pretty-printed over several
    /// lines); `line` is where it starts in `source`.
    pub fn message(&mut self, json: &[u8], source: &str, line: u64, sink: &mut dyn EventSink) {
        source.clone_into(&mut self.source);
        self.summary.records_read += 1;
        self.decode(json.trim_ascii(), line, sink);
    }

    fn decode(&mut self, json: &[u8], line: u64, sink: &mut dyn EventSink) {
        if let Err(reason) = self.decode_message(json, sink) {
            self.summary.quarantined += 1;
            sink.quarantine(QuarantinedRow::new(&self.source, line, reason, json));
        }
    }

    fn decode_message(&mut self, json: &[u8], sink: &mut dyn EventSink) -> Result<(), String> {
        self.events.clear();
        let decoded = self
            .decoder
            .decode(json, None, &mut self.events)
            .map_err(|error| error.0)?;
        let (snapshot, symbol) = match decoded {
            Decoded::Market {
                channel: Channel::Orderbook { snapshot, .. },
                symbol,
            } => (snapshot, symbol),
            Decoded::Market { .. } => {
                return Err("order-book decoder returned another topic".to_owned());
            }
            Decoded::Control { op, .. } => {
                self.skip(format!("op {op}"), sink);
                return Ok(());
            }
            Decoded::Skipped { kind } => {
                self.skip(kind, sink);
                return Ok(());
            }
        };
        let slot = self.slot(&symbol, sink);
        if snapshot {
            self.stats.snapshots += 1;
        } else {
            self.stats.deltas += 1;
        }
        self.summary.events += self.events.len() as u64;
        for event in &self.events {
            sink.event(slot, *event);
        }
        Ok(())
    }

    fn skip(&mut self, kind: String, sink: &mut dyn EventSink) {
        if let Some(entry) = self
            .stats
            .skipped
            .iter_mut()
            .find(|(name, _)| *name == kind)
        {
            entry.1 += 1;
            return;
        }
        sink.warn(format!(
            "{}: valid but unsupported Bybit message kind {kind:?} skipped (counted)",
            self.source
        ));
        self.stats.skipped.push((kind, 1));
    }

    fn venue(&self, symbol: &str) -> &'static str {
        if let Some(venue) = self.venue_override {
            return venue;
        }
        if self.source.to_ascii_lowercase().contains("spot") {
            BYBIT_SPOT
        } else if symbol.to_ascii_uppercase().ends_with("USD") {
            BYBIT_INVERSE
        } else {
            BYBIT_LINEAR
        }
    }

    fn slot(&mut self, symbol: &str, sink: &mut dyn EventSink) -> InstrumentSlot {
        let venue = self.venue(symbol);
        if let Some((_, _, slot)) = self
            .instruments
            .iter()
            .find(|(known_venue, known, _)| *known_venue == venue && known == symbol)
        {
            return *slot;
        }
        let key = InstrumentKey::new(venue, symbol, market_of_venue(venue));
        let slot = sink.instrument(&key);
        self.instruments.push((venue, symbol.to_owned(), slot));
        slot
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{BookDelta, BookSide, DeltaFlags, MarketKind, Quantity, UnixNanos};
    use proptest::prelude::*;

    use super::*;
    use crate::CollectedEvents;

    fn rows(sink: &CollectedEvents) -> Vec<BookDelta> {
        sink.events
            .iter()
            .filter_map(|tagged| match tagged.event {
                MarketEvent::Depth(row) => Some(row),
                _ => None,
            })
            .collect()
    }

    fn import(text: &str) -> (ImportSummary, CollectedEvents, BybitOrderbookStats) {
        let mut sink = CollectedEvents::new();
        let mut importer = BybitOrderbookImporter::new(&BybitOrderbookOptions::default()).unwrap();
        importer
            .read(
                &mut text.as_bytes(),
                "2024-12-01_XRPUSDT_ob500.data",
                &mut sink,
            )
            .unwrap();
        (importer.summary(), sink, importer.stats().clone())
    }

    const SNAPSHOT: &str = r#"{"topic":"orderbook.500.XRPUSDT","type":"snapshot","ts":1733011200691,"data":{"s":"XRPUSDT","b":[["1.9531","6203"],["1.9530","2409"]],"a":[["1.9535","8415"]],"u":20254869,"seq":130020238981},"cts":1733011200589}"#;
    const DELTA: &str = r#"{"topic":"orderbook.500.XRPUSDT","type":"delta","ts":1733011200693,"data":{"s":"XRPUSDT","b":[["1.9531","0"]],"a":[],"u":20254870,"seq":130020239261},"cts":1733011200691}"#;

    #[test]
    fn snapshot_then_delta_rows() {
        let (summary, sink, stats) = import(&format!("{SNAPSHOT}\n{DELTA}\n"));
        assert_eq!(summary.records_read, 2);
        assert_eq!(summary.events, 4);
        assert_eq!((stats.snapshots, stats.deltas), (1, 1));
        assert_eq!(
            sink.instruments,
            [InstrumentKey::new(
                "bybit-linear",
                "XRPUSDT",
                MarketKind::Perpetual
            )]
        );
        let rows = rows(&sink);
        let flags: Vec<u8> = rows.iter().map(|row| row.flags.0).collect();
        assert_eq!(
            flags,
            [
                DeltaFlags::SNAPSHOT | DeltaFlags::CLEAR,
                DeltaFlags::SNAPSHOT,
                DeltaFlags::SNAPSHOT | DeltaFlags::LAST,
                DeltaFlags::LAST
            ]
        );
        // 1.9531 * 10^9 = 1953100000; 6203 * 10^9.
        assert_eq!(rows[0].price.raw(), 1_953_100_000);
        assert_eq!(rows[0].size.raw(), 6_203_000_000_000);
        assert_eq!(rows[2].side, BookSide::Ask);
        assert_eq!(rows[0].first_update_id, 20_254_869);
        assert_eq!(rows[0].last_update_id, 20_254_869);
        assert_eq!(rows[0].prev_update_id, 130_020_238_981);
        // ts_event = cts, ts_recv = ts (no local time in a dump).
        assert_eq!(rows[0].ts_event, UnixNanos(1_733_011_200_589_000_000));
        assert_eq!(rows[0].ts_recv, UnixNanos(1_733_011_200_691_000_000));
        assert_eq!(rows[3].size, Quantity::ZERO);
        assert_eq!(rows[3].prev_update_id, 130_020_239_261);
    }

    #[test]
    fn empty_delta_and_restart_delta() {
        let empty = r#"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{"s":"BTCUSDT","b":[],"a":[],"u":7,"seq":9}}"#;
        let restart = r#"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":2,"data":{"s":"BTCUSDT","b":[["100","1"]],"a":[],"u":1,"seq":10}}"#;
        let (_, sink, _) = import(&format!("{empty}\n{restart}"));
        let rows = rows(&sink);
        assert_eq!(
            rows[0].flags,
            DeltaFlags(DeltaFlags::EMPTY | DeltaFlags::LAST)
        );
        // No cts: ts_event = ts.
        assert_eq!(rows[0].ts_event, UnixNanos(1_000_000));
        let reset = DeltaFlags::SNAPSHOT | DeltaFlags::CLEAR | DeltaFlags::LAST;
        assert_eq!(rows[1].flags, DeltaFlags(reset));
    }

    #[test]
    fn other_messages_are_skipped_and_bad_ones_quarantined() {
        let ack = r#"{"success":true,"ret_msg":"","conn_id":"x","req_id":"1","op":"subscribe"}"#;
        let trade = r#"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1,"data":[{"T":1,"s":"BTCUSDT","S":"Buy","v":"1","p":"2","i":"x"}]}"#;
        let bad_price = SNAPSHOT.replace("1.9531", "1.9x31");
        let truncated = &DELTA[..60];
        let (summary, sink, stats) = import(&format!(
            "{ack}\n{trade}\n{bad_price}\n\n{truncated}\n{DELTA}\n"
        ));
        assert_eq!(summary.records_read, 6);
        assert_eq!(
            stats.skipped,
            [
                ("op subscribe".to_owned(), 1),
                ("publicTrade".to_owned(), 1)
            ]
        );
        assert_eq!(stats.blank_lines, 1);
        let lines: Vec<u64> = sink.quarantined.iter().map(|row| row.line).collect();
        assert_eq!(lines, [3, 5]);
        assert_eq!(summary.quarantined, 2);
        assert_eq!(summary.events, 1);
        assert_eq!(sink.warnings.len(), 2);
    }

    #[test]
    fn venue_inference_and_override() {
        let inverse = r#"{"topic":"orderbook.50.BTCUSD","type":"snapshot","ts":1,"data":{"s":"BTCUSD","b":[],"a":[],"u":3,"seq":4}}"#;
        let (_, sink, _) = import(inverse);
        assert_eq!(sink.instruments[0].venue, "bybit-inverse");
        let mut sink = CollectedEvents::new();
        let mut importer = BybitOrderbookImporter::new(&BybitOrderbookOptions::default()).unwrap();
        importer
            .read(
                &mut DELTA.as_bytes(),
                "spot/2024-12-01_XRPUSDT_ob200.data",
                &mut sink,
            )
            .unwrap();
        assert_eq!(sink.instruments[0].venue, "bybit-spot");
        assert_eq!(sink.instruments[0].market, MarketKind::Spot);
        let options = BybitOrderbookOptions {
            venue: Some("bybit-spot".to_owned()),
        };
        let mut sink = CollectedEvents::new();
        import_orderbook_dump(&mut SNAPSHOT.as_bytes(), "x", &options, &mut sink).unwrap();
        assert_eq!(sink.instruments[0].venue, "bybit-spot");
        let bad = BybitOrderbookOptions {
            venue: Some("binance-usdm".to_owned()),
        };
        assert!(BybitOrderbookImporter::new(&bad).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_lines_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut sink = CollectedEvents::new();
            let summary = import_orderbook_dump(
                &mut bytes.as_slice(), "fuzz", &BybitOrderbookOptions::default(), &mut sink,
            ).unwrap();
            prop_assert_eq!(summary.quarantined, sink.quarantined.len() as u64);
        }

        #[test]
        fn mutated_messages_never_panic(position in 0_usize..300, byte in any::<u8>()) {
            let mut line = SNAPSHOT.as_bytes().to_vec();
            let position = position % line.len();
            line[position] = if byte == b'\n' { b' ' } else { byte };
            let mut sink = CollectedEvents::new();
            let summary = import_orderbook_dump(
                &mut line.as_slice(), "fuzz", &BybitOrderbookOptions::default(), &mut sink,
            ).unwrap();
            prop_assert_eq!(summary.records_read, 1);
            prop_assert_eq!(summary.events, sink.events.len() as u64);
        }
    }
}
