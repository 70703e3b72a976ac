//! Bybit v5 order-book importer (SPEC 1.2: Bybit order-book history dumps and live v5
//! `orderbook.<depth>.<symbol>` messages).
//!
//! Owns the reading of Bybit's official order-book history dump (one v5 WebSocket message per
//! line, e.g. `2024-12-01_XRPUSDT_ob500.data` inside a `.zip`) and of single live messages:
//! `{"topic":"orderbook.500.XRPUSDT","type":"snapshot"|"delta","ts":..,"data":{"s":..,"b":..,
//! "a":..,"u":..,"seq":..},"cts":..}`. Each message becomes [`BookDelta`] rows, bids then asks:
//! `u` goes to `first_update_id` and `last_update_id`, `seq` to `prev_update_id`; a snapshot
//! (or a delta with `u == 1`, Bybit's service-restart snapshot) carries SNAPSHOT on every row
//! and CLEAR on the first; LAST marks the final row; a message without levels is one
//! EMPTY|LAST row.
//!
//! Times: `ts_event` = `cts` (matching-engine time) when present, else `ts`. The dump records
//! no local receive time, so `ts_recv` = `ts` (Bybit's system time when it sent the message);
//! replays of a dump are therefore ordered by the venue's send time, not by a local clock.

use std::borrow::Cow;
use std::io::BufRead;
use std::path::Path;

use auction_trader_types::{
    BookDelta, BookSide, DeltaFlags, InstrumentKey, MarketEvent, Price, Quantity, UnixNanos,
};
use serde::Deserialize;

use crate::input::for_each_input;
use crate::instruments::{BYBIT_INVERSE, BYBIT_LINEAR, BYBIT_SPOT, market_of_venue};
use crate::validity::check_event;
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

/// A v5 order-book message as Bybit sends it (unknown fields ignored).
#[derive(Debug, Deserialize)]
struct Message<'a> {
    #[serde(borrow, default)]
    topic: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "type", default)]
    kind: Option<Cow<'a, str>>,
    #[serde(default)]
    ts: Option<i64>,
    #[serde(default)]
    cts: Option<i64>,
    #[serde(borrow, default)]
    data: Option<Book<'a>>,
    #[serde(borrow, default)]
    op: Option<Cow<'a, str>>,
}

#[derive(Debug, Deserialize)]
struct Book<'a> {
    #[serde(borrow, default)]
    s: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    b: Vec<Vec<Cow<'a, str>>>,
    #[serde(borrow, default)]
    a: Vec<Vec<Cow<'a, str>>>,
    u: u64,
    #[serde(default)]
    seq: u64,
}

/// Only the routing fields, to tell other (valid) messages from malformed ones.
#[derive(Debug, Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    topic: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    op: Option<Cow<'a, str>>,
}

/// A stateful reader: keeps instruments and counts across the files of one import.
#[derive(Debug)]
pub struct BybitOrderbookImporter {
    venue_override: Option<&'static str>,
    instruments: Vec<(&'static str, String, InstrumentSlot)>,
    summary: ImportSummary,
    stats: BybitOrderbookStats,
    source: String,
    rows: Vec<BookDelta>,
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
            rows: Vec::new(),
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
        let message: Message<'_> = match serde_json::from_slice(json) {
            Ok(message) => message,
            Err(error) => return self.not_an_orderbook_message(json, error, sink),
        };
        let topic = message.topic.as_deref().unwrap_or_default();
        let Some(book) = message.data.filter(|_| topic.starts_with("orderbook.")) else {
            self.skip(other_kind(topic, message.op.as_deref()), sink);
            return Ok(());
        };
        let snapshot = match message.kind.as_deref() {
            Some("snapshot") => true,
            Some("delta") => false,
            Some(other) => return Err(format!("unknown order-book message type {other:?}")),
            None => return Err("order-book message without type".to_owned()),
        };
        let ts = message.ts.ok_or("order-book message without ts")?;
        let ts_recv = millis(ts)?;
        let ts_event = match message.cts {
            Some(cts) => millis(cts)?,
            None => ts_recv,
        };
        // Bybit v5: a delta with u = 1 follows a service restart and is a full snapshot.
        let resets = snapshot || book.u == 1;
        let symbol = match book.s.as_deref() {
            Some(symbol) if !symbol.is_empty() => symbol,
            _ => topic
                .rsplit('.')
                .next()
                .filter(|symbol| !symbol.is_empty())
                .ok_or("order-book message without symbol".to_owned())?,
        };
        self.rows.clear();
        let template = BookDelta {
            ts_event,
            ts_recv,
            side: BookSide::Bid,
            price: Price::ZERO,
            size: Quantity::ZERO,
            first_update_id: book.u,
            last_update_id: book.u,
            prev_update_id: book.seq,
            flags: DeltaFlags::default(),
        };
        for (side, levels) in [(BookSide::Bid, &book.b), (BookSide::Ask, &book.a)] {
            for level in levels {
                let [price, size, ..] = level.as_slice() else {
                    return Err(format!("{side} level without price and size"));
                };
                let price = Price::from_decimal_str(price).map_err(|error| error.to_string())?;
                let size = Quantity::from_decimal_str(size).map_err(|error| error.to_string())?;
                self.rows.push(BookDelta {
                    side,
                    price,
                    size,
                    ..template
                });
            }
        }
        let base = if resets { DeltaFlags::SNAPSHOT } else { 0 };
        if self.rows.is_empty() {
            self.rows.push(BookDelta {
                flags: DeltaFlags(base | DeltaFlags::EMPTY),
                ..template
            });
        }
        let last = self.rows.len() - 1;
        for (index, row) in self.rows.iter_mut().enumerate() {
            let mut flags = base | row.flags.0;
            if resets && index == 0 {
                flags |= DeltaFlags::CLEAR;
            }
            if index == last {
                flags |= DeltaFlags::LAST;
            }
            row.flags = DeltaFlags(flags);
        }
        // All or nothing per message: every level passes the one value rule first.
        for row in &self.rows {
            check_event(&MarketEvent::Depth(*row)).map_err(|invalid| invalid.0.to_owned())?;
        }
        let slot = self.slot(symbol, sink);
        if snapshot {
            self.stats.snapshots += 1;
        } else {
            self.stats.deltas += 1;
        }
        self.summary.events += self.rows.len() as u64;
        for row in &self.rows {
            sink.event(slot, MarketEvent::Depth(*row));
        }
        Ok(())
    }

    /// A line that is not an order-book message: valid JSON of another kind is skipped and
    /// counted (subscription acks, other topics); anything else is malformed.
    fn not_an_orderbook_message(
        &mut self,
        json: &[u8],
        error: serde_json::Error,
        sink: &mut dyn EventSink,
    ) -> Result<(), String> {
        match serde_json::from_slice::<Envelope<'_>>(json) {
            Ok(envelope) => {
                let topic = envelope.topic.as_deref().unwrap_or_default();
                if topic.starts_with("orderbook.") {
                    return Err(format!("malformed order-book message: {error}"));
                }
                self.skip(other_kind(topic, envelope.op.as_deref()), sink);
                Ok(())
            }
            Err(_) => Err(format!("not a JSON message: {error}")),
        }
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

/// The kind of a message we skip: its topic's first part (`publicTrade.BTCUSDT` ->
/// `publicTrade`), else its operation (`op subscribe`).
fn other_kind(topic: &str, op: Option<&str>) -> String {
    match (topic.split('.').next(), op) {
        (Some(kind), _) if !kind.is_empty() => kind.to_owned(),
        (_, Some(op)) => format!("op {op}"),
        _ => "message without topic".to_owned(),
    }
}

/// Bybit times are Unix milliseconds.
fn millis(value: i64) -> Result<UnixNanos, String> {
    value
        .checked_mul(1_000_000)
        .filter(|nanos| *nanos >= 0)
        .map(UnixNanos)
        .ok_or_else(|| format!("timestamp {value} out of range"))
}

#[cfg(test)]
mod tests {
    use auction_trader_types::MarketKind;
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
