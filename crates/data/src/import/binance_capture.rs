//! Binance raw WebSocket capture importer (SPEC 1.2: live streams recorded to files).
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
//! The hot path is a hand-written scanner for the known message shapes: no allocation per
//! message (buffers are reused), decimals parsed straight into fixed point.

use std::io::BufRead;
use std::path::Path;

use auction_trader_types::{
    AggressorSide, Bar, BookDelta, BookSide, DeltaFlags, Funding, InstrumentKey, Liquidation,
    MarketEvent, NANOS_PER_MICRO, NANOS_PER_MILLI, NANOS_PER_SECOND, Price, Quantity, Quote,
    QuoteFlags, Rate, Trade, TradeId, UnixNanos,
};

use crate::input::for_each_input;
use crate::instruments::{BINANCE_COINM, BINANCE_SPOT, BINANCE_USDM, market_of_venue};
use crate::validity::check_event;
use crate::{DataError, EventSink, ImportSummary, InstrumentSlot, QuarantinedRow};

/// Unit of the recorder's local receive timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalTimeUnit {
    Seconds,
    Millis,
    Micros,
    Nanos,
}

impl LocalTimeUnit {
    const fn nanos(self) -> i64 {
        match self {
            Self::Seconds => NANOS_PER_SECOND,
            Self::Millis => NANOS_PER_MILLI,
            Self::Micros => NANOS_PER_MICRO,
            Self::Nanos => 1,
        }
    }

    /// The unit whose epoch range (1973..5138 AD) contains a value with this integer part.
    /// The four ranges are disjoint decades, so the magnitude alone decides.
    const fn from_magnitude(integer: u64) -> Option<Self> {
        match integer {
            100_000_000..=99_999_999_999 => Some(Self::Seconds),
            100_000_000_000..=99_999_999_999_999 => Some(Self::Millis),
            100_000_000_000_000..=99_999_999_999_999_999 => Some(Self::Micros),
            100_000_000_000_000_000..=9_223_372_036_854_775_807 => Some(Self::Nanos),
            _ => None,
        }
    }

    const fn as_str(self) -> &'static str {
        match self {
            Self::Seconds => "s",
            Self::Millis => "ms",
            Self::Micros => "µs",
            Self::Nanos => "ns",
        }
    }
}

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

/// Spot or futures: decided per file from the message shapes (futures depth has `pu`,
/// futures trades have `X`, spot trades have `M`, spot bookTicker has no times).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Spot,
    Futures,
}

/// COIN-M symbols are `<coin>USD_PERP` or `<coin>USD_<yymmdd>`; USD-M dated futures are
/// `<coin>USDT_<yymmdd>` (Binance symbol conventions).
fn is_coin_margined(symbol: &[u8]) -> bool {
    match memchr::memchr(b'_', symbol) {
        Some(underscore) => {
            let pair = &symbol[..underscore];
            pair.len() > 3 && pair[pair.len() - 3..].eq_ignore_ascii_case(b"USD")
        }
        None => false,
    }
}

#[derive(Debug)]
struct KnownInstrument {
    venue: &'static str,
    symbol: Vec<u8>,
    slot: InstrumentSlot,
}

/// A snapshot line that arrived before any depth message told whose it is.
#[derive(Debug)]
struct DeferredSnapshot {
    line: Vec<u8>,
    number: u64,
}

/// State that restarts with every file.
#[derive(Debug, Default)]
struct FileState {
    source: String,
    line_number: u64,
    unit: Option<LocalTimeUnit>,
    family: Option<Family>,
    family_conflict_warned: bool,
    clock_checked: bool,
    /// Depth symbols seen in this file (upper-case), for attributing snapshot lines.
    depth_symbols: Vec<Vec<u8>>,
    /// Any symbol seen in this file.
    symbols: Vec<Vec<u8>>,
    deferred: Option<DeferredSnapshot>,
    /// The instrument of the previous message (index into `instruments`) and its symbol as
    /// written there: most lines repeat it.
    last_instrument: Option<usize>,
    last_symbol: Vec<u8>,
}

/// A stateful capture reader: keeps instruments, counts and per-file detection across the
/// files of one continuous capture. Use the free functions for the common cases.
#[derive(Debug)]
pub struct CaptureImporter {
    venue_override: Option<&'static str>,
    unit_override: Option<LocalTimeUnit>,
    snapshot_symbol: Option<Vec<u8>>,
    instruments: Vec<KnownInstrument>,
    file: FileState,
    summary: ImportSummary,
    stats: CaptureStats,
    /// Reused buffers (no allocation per message).
    levels: LevelBuffers,
    output: Output,
    carry: Vec<u8>,
}

/// Depth levels of the current message, parsed in the same pass as the rest of the JSON.
#[derive(Debug, Default)]
struct LevelBuffers {
    bids: Vec<(Price, Quantity)>,
    asks: Vec<(Price, Quantity)>,
    /// The first malformed level array of the message, reported if a handler needs it.
    fault: Option<Fault>,
}

impl LevelBuffers {
    fn with_capacity(capacity: usize) -> Self {
        Self {
            bids: Vec::with_capacity(capacity),
            asks: Vec::with_capacity(capacity),
            fault: None,
        }
    }

    fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
        self.fault = None;
    }

    fn is_empty(&self) -> bool {
        self.bids.is_empty() && self.asks.is_empty()
    }
}

/// Where events go: straight to the sink once a message is fully validated, or held while
/// the elements of an array message are decoded (all or nothing per line).
#[derive(Debug, Default)]
struct Output {
    buffering: bool,
    pending: Vec<(InstrumentSlot, MarketEvent)>,
    events: u64,
}

impl Output {
    /// Emits (or holds) one event that passes the one value rule of [`check_event`].
    #[inline]
    fn emit(
        &mut self,
        slot: InstrumentSlot,
        event: MarketEvent,
        sink: &mut dyn EventSink,
    ) -> Scan<()> {
        check_event(&event).map_err(|invalid| Fault(invalid.0))?;
        if self.buffering {
            self.pending.push((slot, event));
        } else {
            self.events += 1;
            sink.event(slot, event);
        }
        Ok(())
    }

    fn flush(&mut self, sink: &mut dyn EventSink) {
        self.buffering = false;
        self.events += self.pending.len() as u64;
        for (slot, event) in self.pending.drain(..) {
            sink.event(slot, event);
        }
    }

    fn discard(&mut self) {
        self.buffering = false;
        self.pending.clear();
    }
}

/// Why a line could not be imported (static text: no allocation on the hot path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fault(&'static str);

type Scan<T> = Result<T, Fault>;

impl CaptureImporter {
    pub fn new(options: &CaptureOptions) -> Result<Self, DataError> {
        let venue_override = match options.venue.as_deref() {
            None => None,
            Some(name) => Some(
                [BINANCE_USDM, BINANCE_COINM, BINANCE_SPOT]
                    .into_iter()
                    .find(|known| known.eq_ignore_ascii_case(name))
                    .ok_or_else(|| {
                        DataError::InvalidOption(format!(
                            "binance capture venue {name:?}: expected {BINANCE_USDM}, \
                             {BINANCE_COINM} or {BINANCE_SPOT}"
                        ))
                    })?,
            ),
        };
        Ok(Self {
            venue_override,
            unit_override: options.local_time_unit,
            snapshot_symbol: options
                .snapshot_symbol
                .as_ref()
                .map(|symbol| symbol.to_ascii_uppercase().into_bytes()),
            instruments: Vec::new(),
            file: FileState::default(),
            summary: ImportSummary::default(),
            stats: CaptureStats::default(),
            levels: LevelBuffers::with_capacity(1024),
            output: Output::default(),
            carry: Vec::new(),
        })
    }

    /// Counts so far (over every file read by this importer).
    pub fn summary(&self) -> ImportSummary {
        ImportSummary {
            events: self.output.events,
            ..self.summary.clone()
        }
    }

    pub fn stats(&self) -> &CaptureStats {
        &self.stats
    }

    /// Reads one file (plain or `.gz`) of the capture.
    pub fn read_path(&mut self, path: &Path, sink: &mut dyn EventSink) -> Result<(), DataError> {
        for_each_input(path, |name, reader| self.read(reader, name, sink))
    }

    /// Reads one file of the capture from a reader; `source` names it in quarantined rows.
    pub fn read(
        &mut self,
        reader: &mut dyn BufRead,
        source: &str,
        sink: &mut dyn EventSink,
    ) -> Result<(), DataError> {
        self.begin_file(source);
        let mut carry = std::mem::take(&mut self.carry);
        carry.clear();
        let result = self.read_lines(reader, source, sink, &mut carry);
        self.carry = carry;
        result?;
        self.end_file(sink);
        Ok(())
    }

    fn read_lines(
        &mut self,
        reader: &mut dyn BufRead,
        source: &str,
        sink: &mut dyn EventSink,
        carry: &mut Vec<u8>,
    ) -> Result<(), DataError> {
        loop {
            let available = match reader.fill_buf() {
                Ok(bytes) => bytes,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(DataError::io(source, error)),
            };
            if available.is_empty() {
                if !carry.is_empty() {
                    self.process_line(carry, sink);
                    carry.clear();
                }
                return Ok(());
            }
            let length = available.len();
            let mut start = 0;
            if !carry.is_empty() {
                match memchr::memchr(b'\n', available) {
                    Some(newline) => {
                        carry.extend_from_slice(&available[..newline]);
                        self.process_line(carry, sink);
                        carry.clear();
                        start = newline + 1;
                    }
                    None => {
                        carry.extend_from_slice(available);
                        reader.consume(length);
                        continue;
                    }
                }
            }
            while let Some(offset) = memchr::memchr(b'\n', &available[start..]) {
                self.process_line(&available[start..start + offset], sink);
                start += offset + 1;
            }
            carry.extend_from_slice(&available[start..]);
            reader.consume(length);
        }
    }

    /// Parses one whole file held in memory.
    pub fn read_bytes(&mut self, bytes: &[u8], source: &str, sink: &mut dyn EventSink) {
        self.begin_file(source);
        let mut rest = bytes;
        while !rest.is_empty() {
            let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
            self.process_line(&rest[..end], sink);
            rest = rest.get(end + 1..).unwrap_or_default();
        }
        self.end_file(sink);
    }

    fn begin_file(&mut self, source: &str) {
        self.file = FileState {
            source: source.to_owned(),
            unit: self.unit_override,
            ..FileState::default()
        };
    }

    fn end_file(&mut self, sink: &mut dyn EventSink) {
        if let Some(deferred) = self.file.deferred.take() {
            // SPEC 1.3: never lose a good row: attribute to the file's only symbol if any.
            let symbol = match self.file.symbols.as_slice() {
                [only] => Some(only.clone()),
                _ => None,
            };
            match symbol {
                Some(symbol) => self.replay_deferred(deferred, &symbol, sink),
                None => {
                    self.summary.quarantined += 1;
                    sink.quarantine(QuarantinedRow::new(
                        &self.file.source,
                        deferred.number,
                        "depth snapshot without symbol and no single symbol in the file \
                         (set CaptureOptions::snapshot_symbol)",
                        &deferred.line,
                    ));
                }
            }
        }
    }

    fn process_line(&mut self, line: &[u8], sink: &mut dyn EventSink) {
        self.file.line_number += 1;
        self.summary.records_read += 1;
        let line = trim_end(line);
        if line.is_empty() {
            self.stats.blank_lines += 1;
            return;
        }
        let number = self.file.line_number;
        if let Err(fault) = self.decode_line(line, number, sink) {
            self.summary.quarantined += 1;
            sink.quarantine(QuarantinedRow::new(
                &self.file.source,
                number,
                fault.0,
                line,
            ));
        }
    }

    fn decode_line(&mut self, line: &[u8], number: u64, sink: &mut dyn EventSink) -> Scan<()> {
        // JSON is UTF-8 (RFC 8259): a line with other bytes is corrupt, whatever field they hit.
        if !line.is_ascii() && std::str::from_utf8(line).is_err() {
            return Err(Fault("line is not valid UTF-8"));
        }
        if line.starts_with(b"wss://") || line.starts_with(b"ws://") {
            self.metadata_line(line, sink);
            return Ok(());
        }
        let (stamp, json) = split_local_timestamp(line)?;
        let ts_recv = self.local_nanos(stamp)?;
        self.decode_json(json, ts_recv, number, sink)
    }

    /// The cryptofeed connection header: `wss://fstream.binance.com/stream?streams=... <-> ts`.
    fn metadata_line(&mut self, line: &[u8], sink: &mut dyn EventSink) {
        self.stats.metadata_lines += 1;
        // Binance hosts: fstream = USD-M, dstream = COIN-M, stream.binance.com = spot.
        let hint = if memchr::memmem::find(line, b"fstream").is_some()
            || memchr::memmem::find(line, b"dstream").is_some()
        {
            Some(Family::Futures)
        } else if memchr::memmem::find(line, b"stream.binance.com").is_some() {
            Some(Family::Spot)
        } else {
            None
        };
        if let Some(hint) = hint {
            self.note_family(hint, sink);
        }
        if self.stats.metadata_lines == 1 {
            sink.warn(format!(
                "{}:{}: recorder metadata line skipped",
                self.file.source, self.file.line_number
            ));
        }
    }

    fn local_nanos(&mut self, stamp: LocalStamp) -> Scan<UnixNanos> {
        let magnitude = LocalTimeUnit::from_magnitude(stamp.integer)
            .ok_or(Fault("local timestamp outside 1973..5138 in every unit"))?;
        let unit = match self.file.unit {
            Some(unit) => {
                if self.unit_override.is_none() && unit != magnitude {
                    return Err(Fault(
                        "local timestamp magnitude differs from the file's unit",
                    ));
                }
                unit
            }
            None => {
                self.file.unit = Some(magnitude);
                magnitude
            }
        };
        stamp
            .to_nanos(unit)
            .ok_or(Fault("local timestamp overflows"))
    }

    fn decode_json(
        &mut self,
        json: &[u8],
        ts_recv: UnixNanos,
        number: u64,
        sink: &mut dyn EventSink,
    ) -> Scan<()> {
        self.levels.clear();
        let mut scanner = Scanner::new(json);
        let mut top = Fields::default();
        let mut data = Fields::default();
        let has_data = top.parse_into(&mut scanner, &mut self.levels, Some(&mut data))?;
        scanner.skip_whitespace();
        if !scanner.at_end() {
            return Err(Fault("trailing bytes after the JSON message"));
        }
        let stream = top.stream.map(text).transpose()?;
        if has_data {
            return self.decode_message(&data, stream, ts_recv, json, number, sink);
        }
        match top.data.map(|value| value.raw) {
            // `!markPrice@arr`: one envelope, an array of messages; all or nothing.
            Some(array) if array.first() == Some(&b'[') => {
                self.output.buffering = true;
                let result = self.decode_array(array, stream, ts_recv, json, number, sink);
                match result {
                    Ok(()) => self.output.flush(sink),
                    Err(_) => self.output.discard(),
                }
                result
            }
            Some(_) => Err(Fault("data is neither an object nor an array")),
            None => self.decode_message(&top, stream, ts_recv, json, number, sink),
        }
    }

    fn decode_array(
        &mut self,
        array: &[u8],
        stream: Option<&[u8]>,
        ts_recv: UnixNanos,
        json: &[u8],
        number: u64,
        sink: &mut dyn EventSink,
    ) -> Scan<()> {
        let mut scanner = Scanner::new(array);
        scanner.expect(b'[', "expected an array")?;
        let mut first = true;
        while scanner.next_element(&mut first)? {
            self.levels.clear();
            let mut fields = Fields::default();
            fields.parse_into(&mut scanner, &mut self.levels, None)?;
            self.decode_message(&fields, stream, ts_recv, json, number, sink)?;
        }
        Ok(())
    }

    fn decode_message(
        &mut self,
        fields: &Fields<'_>,
        stream: Option<&[u8]>,
        ts_recv: UnixNanos,
        line: &[u8],
        number: u64,
        sink: &mut dyn EventSink,
    ) -> Scan<()> {
        let channel = stream.and_then(|name| memchr::memchr(b'@', name).map(|at| &name[at + 1..]));
        let partial_depth = channel.is_some_and(|channel| {
            channel.starts_with(b"depth") && channel.get(5).is_some_and(u8::is_ascii_digit)
        });
        let event_type = fields.e.map(text).transpose()?;
        match event_type {
            Some(b"trade") => self.trade(fields, stream, ts_recv, false, sink),
            Some(b"aggTrade") => self.trade(fields, stream, ts_recv, true, sink),
            Some(b"bookTicker") => self.book_ticker(fields, stream, ts_recv, sink),
            Some(b"depthUpdate") if !partial_depth => self.depth(fields, stream, ts_recv, sink),
            Some(b"markPriceUpdate") => self.mark_price(fields, stream, ts_recv, sink),
            Some(b"forceOrder") => self.force_order(fields, stream, ts_recv, sink),
            Some(b"kline") => self.kline(fields, stream, ts_recv, sink),
            Some(b"depthUpdate") => {
                self.skip("partial depth (depth<N>)", sink);
                Ok(())
            }
            Some(other) => {
                self.skip_bytes(other, sink);
                Ok(())
            }
            None if fields.last_update_id.is_some()
                && (fields.bids.is_some() || fields.asks.is_some()) =>
            {
                if partial_depth {
                    self.skip("partial depth (depth<N>)", sink);
                    return Ok(());
                }
                self.snapshot(fields, stream, ts_recv, line, number, sink)
            }
            None if channel == Some(b"bookTicker".as_slice())
                || (fields.u.is_some() && fields.b.is_some() && fields.a.is_some()) =>
            {
                self.book_ticker(fields, stream, ts_recv, sink)
            }
            None => {
                match channel {
                    Some(channel) => self.skip_bytes(channel, sink),
                    None => self.skip("unrecognized message", sink),
                }
                Ok(())
            }
        }
    }

    fn skip(&mut self, kind: &'static str, sink: &mut dyn EventSink) {
        self.skip_bytes(kind.as_bytes(), sink);
    }

    /// Counts a valid but unsupported message; warns once per kind (allocates only then).
    fn skip_bytes(&mut self, kind: &[u8], sink: &mut dyn EventSink) {
        if let Some(entry) = self
            .stats
            .skipped
            .iter_mut()
            .find(|(name, _)| name.as_bytes() == kind)
        {
            entry.1 += 1;
            return;
        }
        let kind = String::from_utf8_lossy(kind).into_owned();
        sink.warn(format!(
            "{}:{}: valid but unsupported Binance message kind {kind:?} skipped (counted)",
            self.file.source, self.file.line_number
        ));
        self.stats.skipped.push((kind, 1));
    }

    /// Records a venue hint; the first decisive hint of a file fixes its family.
    fn note_family(&mut self, hint: Family, sink: &mut dyn EventSink) {
        match self.file.family {
            None => self.file.family = Some(hint),
            Some(family) if family != hint && !self.file.family_conflict_warned => {
                self.file.family_conflict_warned = true;
                sink.warn(format!(
                    "{}:{}: message shape suggests {hint:?} but the file was identified as \
                     {family:?}; keeping {family:?}",
                    self.file.source, self.file.line_number
                ));
            }
            Some(_) => {}
        }
    }

    /// The instrument slot of `symbol` on this file's venue (registered on first sight).
    fn slot(
        &mut self,
        symbol: &[u8],
        hint: Option<Family>,
        sink: &mut dyn EventSink,
    ) -> Scan<InstrumentSlot> {
        if symbol.is_empty() {
            return Err(Fault("empty symbol"));
        }
        let coin_margined = is_coin_margined(symbol);
        let hint = if coin_margined {
            Some(Family::Futures)
        } else {
            hint
        };
        if let Some(hint) = hint {
            self.note_family(hint, sink);
        }
        let venue = match self.venue_override {
            Some(venue) => venue,
            None => {
                let family = match self.file.family {
                    Some(family) => family,
                    None => {
                        sink.warn(format!(
                            "{}:{}: no decisive message shape yet; assuming futures",
                            self.file.source, self.file.line_number
                        ));
                        self.file.family = Some(Family::Futures);
                        Family::Futures
                    }
                };
                match family {
                    Family::Spot => BINANCE_SPOT,
                    Family::Futures if coin_margined => BINANCE_COINM,
                    Family::Futures => BINANCE_USDM,
                }
            }
        };
        // Fast path: the same instrument as the previous message of this file.
        if let Some(known) = self
            .file
            .last_instrument
            .and_then(|index| self.instruments.get(index))
            && std::ptr::eq(known.venue, venue)
            && self.file.last_symbol == symbol
        {
            return Ok(known.slot);
        }
        if !self
            .file
            .symbols
            .iter()
            .any(|known| known.eq_ignore_ascii_case(symbol))
        {
            self.file.symbols.push(symbol.to_ascii_uppercase());
        }
        self.file.last_symbol.clear();
        self.file.last_symbol.extend_from_slice(symbol);
        if let Some(index) = self
            .instruments
            .iter()
            .position(|known| known.venue == venue && known.symbol.eq_ignore_ascii_case(symbol))
        {
            self.file.last_instrument = Some(index);
            return Ok(self.instruments[index].slot);
        }
        let text = std::str::from_utf8(symbol).map_err(|_| Fault("symbol is not UTF-8"))?;
        let key = InstrumentKey::new(venue, text, market_of_venue(venue));
        let slot = sink.instrument(&key);
        self.file.last_instrument = Some(self.instruments.len());
        self.instruments.push(KnownInstrument {
            venue,
            symbol: symbol.to_ascii_uppercase(),
            slot,
        });
        Ok(slot)
    }

    /// Exchange time of a message, cross-checked once per file against the local clock.
    fn check_clock(
        &mut self,
        ts_recv: UnixNanos,
        ts_exchange: UnixNanos,
        sink: &mut dyn EventSink,
    ) {
        if self.file.clock_checked {
            return;
        }
        self.file.clock_checked = true;
        let skew = ts_recv.as_i64().saturating_sub(ts_exchange.as_i64());
        // SPEC 1.2: never silently guess a wrong unit; a skew above 10 minutes means the
        // detected local unit or the recorder clock is suspect.
        if skew.unsigned_abs() > 600 * NANOS_PER_SECOND as u64 {
            sink.warn(format!(
                "{}:{}: local time (unit {}) differs from exchange time by {:.3} s",
                self.file.source,
                self.file.line_number,
                self.file.unit.map_or("?", LocalTimeUnit::as_str),
                skew as f64 / NANOS_PER_SECOND as f64
            ));
        }
    }

    fn trade(
        &mut self,
        fields: &Fields<'_>,
        stream: Option<&[u8]>,
        ts_recv: UnixNanos,
        aggregated: bool,
        sink: &mut dyn EventSink,
    ) -> Scan<()> {
        if aggregated {
            self.stats.agg_trades += 1;
        } else {
            self.stats.trades += 1;
        }
        // Futures trades carry `X` (execution type); only MARKET prints are the public tape
        // (Binance: insurance-fund and ADL trades are not market trades).
        if let Some(execution) = fields.x_upper {
            let execution = text(execution)?;
            if execution != b"MARKET" {
                self.skip("trade (non-MARKET execution)", sink);
                return Ok(());
            }
        }
        let hint = if fields.m_upper.is_some() {
            Some(Family::Spot)
        } else if fields.x_upper.is_some() || aggregated {
            Some(Family::Futures)
        } else {
            None
        };
        let symbol = symbol_of(fields, stream)?;
        let price = decimal::<Price>(fields.p, "trade without price p")?;
        let size = decimal::<Quantity>(fields.q, "trade without quantity q")?;
        let id_field = if aggregated { fields.a } else { fields.t };
        let trade_id = integer(id_field, "trade without id")?;
        let buyer_is_maker = boolean(fields.m, "trade without buyer-maker flag m")?;
        let ts_event = exchange_time(fields.t_upper.or(fields.e_upper), "trade without time T")?;
        let slot = self.slot(symbol, hint, sink)?;
        self.check_clock(ts_recv, ts_event, sink);
        // Binance: m = true means the buyer is the maker, so the aggressor SOLD.
        let aggressor = if buyer_is_maker {
            AggressorSide::Sell
        } else {
            AggressorSide::Buy
        };
        self.output.emit(
            slot,
            MarketEvent::Trade(Trade {
                ts_event,
                ts_recv,
                price,
                size,
                aggressor,
                trade_id: TradeId(trade_id),
            }),
            sink,
        )
    }

    fn book_ticker(
        &mut self,
        fields: &Fields<'_>,
        stream: Option<&[u8]>,
        ts_recv: UnixNanos,
        sink: &mut dyn EventSink,
    ) -> Scan<()> {
        self.stats.book_tickers += 1;
        let symbol = symbol_of(fields, stream)?;
        let bid_price = decimal::<Price>(fields.b, "bookTicker without bid price b")?;
        let bid_size = decimal::<Quantity>(fields.b_upper, "bookTicker without bid size B")?;
        let ask_price = decimal::<Price>(fields.a, "bookTicker without ask price a")?;
        let ask_size = decimal::<Quantity>(fields.a_upper, "bookTicker without ask size A")?;
        let update_id = integer(fields.u, "bookTicker without update id u")?;
        // Futures bookTicker has T (transaction) and E; spot has neither: ts_event = ts_recv.
        let exchange = fields.t_upper.or(fields.e_upper);
        let hint = if exchange.is_some() || fields.e.is_some() {
            Family::Futures
        } else {
            Family::Spot
        };
        let (ts_event, flags) = match exchange {
            Some(raw) => (exchange_time(Some(raw), "")?, QuoteFlags::default()),
            None => (ts_recv, QuoteFlags(QuoteFlags::NO_EXCHANGE_TIME)),
        };
        let slot = self.slot(symbol, Some(hint), sink)?;
        if exchange.is_some() {
            self.check_clock(ts_recv, ts_event, sink);
        }
        self.output.emit(
            slot,
            MarketEvent::Quote(Quote {
                ts_event,
                ts_recv,
                bid_price,
                bid_size,
                ask_price,
                ask_size,
                update_id,
                flags,
            }),
            sink,
        )
    }

    fn depth(
        &mut self,
        fields: &Fields<'_>,
        stream: Option<&[u8]>,
        ts_recv: UnixNanos,
        sink: &mut dyn EventSink,
    ) -> Scan<()> {
        self.stats.depth_updates += 1;
        let symbol = symbol_of(fields, stream)?;
        let first_update_id = integer(fields.u_upper, "depthUpdate without first id U")?;
        let last_update_id = integer(fields.u, "depthUpdate without last id u")?;
        // Futures depth has `pu` (previous final id); spot has none (0 = absent).
        let prev_update_id = match fields.pu {
            Some(value) => integer_value(value)?,
            None => 0,
        };
        let ts_event = exchange_time(fields.e_upper.or(fields.t_upper), "depthUpdate without E")?;
        check_level_arrays(
            fields.b,
            fields.a,
            &self.levels,
            "depthUpdate without b or a",
        )?;
        // The first depth message identifies a snapshot that came before any depth message;
        // it is emitted first, in its own right (it was a valid line of its own).
        if let Some(deferred) = self.file.deferred.take() {
            self.replay_deferred(deferred, symbol, sink);
        }
        let hint = if fields.pu.is_some() {
            Family::Futures
        } else {
            Family::Spot
        };
        let slot = self.slot(symbol, Some(hint), sink)?;
        self.check_clock(ts_recv, ts_event, sink);
        if !self
            .file
            .depth_symbols
            .iter()
            .any(|known| known.eq_ignore_ascii_case(symbol))
        {
            self.file.depth_symbols.push(symbol.to_ascii_uppercase());
        }
        let template = BookDelta {
            ts_event,
            ts_recv,
            side: BookSide::Bid,
            price: Price::ZERO,
            size: Quantity::ZERO,
            first_update_id,
            last_update_id,
            prev_update_id,
            flags: DeltaFlags::default(),
        };
        emit_rows(&mut self.output, slot, template, &self.levels, 0, sink)
    }

    fn snapshot(
        &mut self,
        fields: &Fields<'_>,
        stream: Option<&[u8]>,
        ts_recv: UnixNanos,
        line: &[u8],
        number: u64,
        sink: &mut dyn EventSink,
    ) -> Scan<()> {
        let last_update_id = integer(fields.last_update_id, "snapshot without lastUpdateId")?;
        check_level_arrays(
            fields.bids,
            fields.asks,
            &self.levels,
            "snapshot without bids or asks",
        )?;
        let exchange = fields.e_upper.or(fields.t_upper);
        let ts_event = match exchange {
            Some(raw) => exchange_time(Some(raw), "")?,
            None => ts_recv,
        };
        let named = match fields.symbol.or(fields.s) {
            Some(value) => Some(text(value)?),
            None => stream.and_then(|name| memchr::memchr(b'@', name).map(|at| &name[..at])),
        };
        let symbol: Vec<u8> = match named {
            Some(symbol) => symbol.to_vec(),
            None => match (self.file.depth_symbols.as_slice(), &self.snapshot_symbol) {
                ([only], _) => only.clone(),
                ([], Some(symbol)) => symbol.clone(),
                ([], None) => {
                    // Defer until a depth message (or the end of the file) says whose it is.
                    if self.file.deferred.is_some() {
                        return Err(Fault("second depth snapshot before any depth message"));
                    }
                    // Re-parsed when replayed: the converted local time travels with it.
                    self.file.deferred = Some(DeferredSnapshot {
                        line: encode_deferred(ts_recv, line),
                        number,
                    });
                    return Ok(());
                }
                (_, Some(symbol)) => symbol.clone(),
                (_, None) => {
                    return Err(Fault(
                        "depth snapshot without symbol in a multi-symbol file",
                    ));
                }
            },
        };
        self.stats.snapshots += 1;
        let hint = if exchange.is_some() {
            Family::Futures
        } else {
            Family::Spot
        };
        let slot = self.slot(&symbol, Some(hint), sink)?;
        let template = BookDelta {
            ts_event,
            ts_recv,
            side: BookSide::Bid,
            price: Price::ZERO,
            size: Quantity::ZERO,
            first_update_id: last_update_id,
            last_update_id,
            prev_update_id: 0,
            flags: DeltaFlags::default(),
        };
        emit_rows(
            &mut self.output,
            slot,
            template,
            &self.levels,
            DeltaFlags::SNAPSHOT,
            sink,
        )
    }

    /// Emits a deferred snapshot now that its symbol is known.
    fn replay_deferred(
        &mut self,
        deferred: DeferredSnapshot,
        symbol: &[u8],
        sink: &mut dyn EventSink,
    ) {
        let saved = self.snapshot_symbol.replace(symbol.to_vec());
        let saved_depth = std::mem::take(&mut self.file.depth_symbols);
        // The current message's levels are parsed already: decode the snapshot aside.
        let saved_levels = std::mem::take(&mut self.levels);
        let (ts_recv, json) = decode_deferred(&deferred.line);
        let result = self.decode_json(json, ts_recv, deferred.number, sink);
        self.levels = saved_levels;
        self.file.depth_symbols = saved_depth;
        self.snapshot_symbol = saved;
        if let Err(fault) = result {
            self.summary.quarantined += 1;
            sink.quarantine(QuarantinedRow::new(
                &self.file.source,
                deferred.number,
                fault.0,
                json,
            ));
        }
    }

    fn mark_price(
        &mut self,
        fields: &Fields<'_>,
        stream: Option<&[u8]>,
        ts_recv: UnixNanos,
        sink: &mut dyn EventSink,
    ) -> Scan<()> {
        self.stats.mark_prices += 1;
        let symbol = symbol_of(fields, stream)?;
        let ts_event = exchange_time(fields.e_upper, "markPriceUpdate without E")?;
        let mark_price = decimal::<Price>(fields.p, "markPriceUpdate without mark price p")?;
        let index_price = match fields.i {
            Some(value) if !text(value)?.is_empty() => decimal_value::<Price>(value)?,
            _ => Price::ZERO,
        };
        // Dated COIN-M contracts send `"r":""`: no funding print.
        let rate = match fields.r {
            Some(value) if !text(value)?.is_empty() => decimal_value::<Rate>(value)?,
            Some(_) => {
                self.skip("markPriceUpdate without funding rate", sink);
                return Ok(());
            }
            None => return Err(Fault("markPriceUpdate without funding rate r")),
        };
        let next_funding_time = exchange_time(fields.t_upper, "markPriceUpdate without T")?;
        let slot = self.slot(symbol, Some(Family::Futures), sink)?;
        self.check_clock(ts_recv, ts_event, sink);
        self.output.emit(
            slot,
            MarketEvent::Funding(Funding {
                ts_event,
                ts_recv,
                rate,
                next_funding_time,
                mark_price,
                index_price,
            }),
            sink,
        )
    }

    fn force_order(
        &mut self,
        fields: &Fields<'_>,
        stream: Option<&[u8]>,
        ts_recv: UnixNanos,
        sink: &mut dyn EventSink,
    ) -> Scan<()> {
        self.stats.liquidations += 1;
        let order_raw = fields.o.ok_or(Fault("forceOrder without order o"))?;
        let mut scanner = Scanner::new(order_raw.raw);
        let order = Fields::parse(&mut scanner)?;
        let symbol = symbol_of(&order, stream)?;
        let side = match order.s_upper.map(text).transpose()? {
            Some(b"BUY") => AggressorSide::Buy,
            Some(b"SELL") => AggressorSide::Sell,
            _ => return Err(Fault("forceOrder without side S")),
        };
        // Price: the average fill price `ap` when filled, else the order price `p`;
        // size: the accumulated filled quantity `z` when non-zero, else the order quantity `q`.
        let order_price = decimal::<Price>(order.p, "forceOrder without price p")?;
        let average = match order.ap {
            Some(value) => decimal_value::<Price>(value)?,
            None => Price::ZERO,
        };
        let price = if average.is_positive() {
            average
        } else {
            order_price
        };
        let order_size = decimal::<Quantity>(order.q, "forceOrder without quantity q")?;
        let filled = match order.z {
            Some(value) => decimal_value::<Quantity>(value)?,
            None => Quantity::ZERO,
        };
        let size = if filled.is_positive() {
            filled
        } else {
            order_size
        };
        let ts_event = exchange_time(order.t_upper.or(fields.e_upper), "forceOrder without time")?;
        let slot = self.slot(symbol, Some(Family::Futures), sink)?;
        self.output.emit(
            slot,
            MarketEvent::Liquidation(Liquidation {
                ts_event,
                ts_recv,
                side,
                price,
                size,
            }),
            sink,
        )
    }

    fn kline(
        &mut self,
        fields: &Fields<'_>,
        stream: Option<&[u8]>,
        ts_recv: UnixNanos,
        sink: &mut dyn EventSink,
    ) -> Scan<()> {
        let bar_raw = fields.k.ok_or(Fault("kline without k"))?;
        let mut scanner = Scanner::new(bar_raw.raw);
        let bar = Fields::parse(&mut scanner)?;
        let closed = boolean(bar.x, "kline without closed flag x")?;
        if !closed {
            // An in-progress kline is an update of a bar not yet known: importing it would
            // be look-ahead (Bar doc: a bar is only known at its close).
            self.skip("kline (open bar)", sink);
            return Ok(());
        }
        self.stats.klines += 1;
        let symbol = match fields.s {
            Some(_) => symbol_of(fields, stream)?,
            None => symbol_of(&bar, stream)?,
        };
        let ts_open = exchange_time(bar.t, "kline without open time t")?;
        // Binance kline close time T is the bar's last millisecond.
        let close_time = exchange_time(bar.t_upper, "kline without close time T")?;
        let ts_event = close_time.saturating_add_nanos(NANOS_PER_MILLI);
        let open = decimal::<Price>(bar.o, "kline without open o")?;
        let high = decimal::<Price>(bar.h, "kline without high h")?;
        let low = decimal::<Price>(bar.l, "kline without low l")?;
        let close = decimal::<Price>(bar.c, "kline without close c")?;
        let volume = decimal::<Quantity>(bar.v, "kline without volume v")?;
        let quote_volume = decimal::<Quantity>(bar.q, "kline without quote volume q")?;
        let buy_volume = decimal::<Quantity>(bar.v_upper, "kline without taker buy volume V")?;
        let trade_count = integer(bar.n, "kline without trade count n")?;
        // VWAP = quote volume / base volume, in i128 fixed point; close when no volume.
        let vwap = if volume.is_positive() {
            let raw = i128::from(quote_volume.raw())
                * i128::from(auction_trader_types::FIXED_SCALE)
                / i128::from(volume.raw());
            Price::from_raw(i64::try_from(raw).map_err(|_| Fault("kline vwap overflows"))?)
        } else {
            close
        };
        let sell_volume = Quantity::from_raw((volume.raw() - buy_volume.raw()).max(0));
        let slot = self.slot(symbol, None, sink)?;
        self.output.emit(
            slot,
            MarketEvent::Bar(Bar {
                ts_open,
                ts_event,
                ts_recv,
                open,
                high,
                low,
                close,
                volume,
                vwap,
                buy_volume,
                sell_volume,
                trade_count,
            }),
            sink,
        )
    }
}

/// A deferred snapshot keeps its already-converted local time in front of the JSON.
fn encode_deferred(ts_recv: UnixNanos, line: &[u8]) -> Vec<u8> {
    let json_start = memchr::memchr(b'{', line).unwrap_or(line.len());
    let mut encoded = Vec::with_capacity(8 + line.len() - json_start);
    encoded.extend_from_slice(&ts_recv.as_i64().to_le_bytes());
    encoded.extend_from_slice(&line[json_start..]);
    encoded
}

fn decode_deferred(encoded: &[u8]) -> (UnixNanos, &[u8]) {
    let mut stamp = [0_u8; 8];
    let head = encoded.len().min(8);
    stamp[..head].copy_from_slice(&encoded[..head]);
    (UnixNanos(i64::from_le_bytes(stamp)), &encoded[head..])
}

/// Emits one row per level (bids then asks); LAST on the final row; a message without
/// levels becomes one EMPTY|LAST row. Snapshots add SNAPSHOT everywhere and CLEAR first.
/// All or nothing: every level is checked before the first row is emitted.
fn emit_rows(
    output: &mut Output,
    slot: InstrumentSlot,
    template: BookDelta,
    levels: &LevelBuffers,
    base_flags: u8,
    sink: &mut dyn EventSink,
) -> Scan<()> {
    let snapshot = base_flags & DeltaFlags::SNAPSHOT != 0;
    if levels.is_empty() {
        let clear = if snapshot { DeltaFlags::CLEAR } else { 0 };
        let flags = base_flags | DeltaFlags::LAST | DeltaFlags::EMPTY | clear;
        let row = BookDelta {
            flags: DeltaFlags(flags),
            ..template
        };
        return output.emit(slot, MarketEvent::Depth(row), sink);
    }
    for &(price, size) in levels.bids.iter().chain(&levels.asks) {
        let row = BookDelta {
            price,
            size,
            ..template
        };
        check_event(&MarketEvent::Depth(row)).map_err(|invalid| Fault(invalid.0))?;
    }
    let total = levels.bids.len() + levels.asks.len();
    let bids = levels
        .bids
        .iter()
        .map(|&(price, size)| (BookSide::Bid, price, size));
    let asks = levels
        .asks
        .iter()
        .map(|&(price, size)| (BookSide::Ask, price, size));
    for (index, (side, price, size)) in bids.chain(asks).enumerate() {
        let mut flags = base_flags;
        if index == 0 && snapshot {
            flags |= DeltaFlags::CLEAR;
        }
        if index + 1 == total {
            flags |= DeltaFlags::LAST;
        }
        let row = BookDelta {
            side,
            price,
            size,
            flags: DeltaFlags(flags),
            ..template
        };
        output.emit(slot, MarketEvent::Depth(row), sink)?;
    }
    Ok(())
}

/// Both level arrays must be present and well formed (they were parsed with the message).
fn check_level_arrays(
    bids: Option<Value<'_>>,
    asks: Option<Value<'_>>,
    levels: &LevelBuffers,
    missing: &'static str,
) -> Scan<()> {
    match (bids.map(|value| value.raw), asks.map(|value| value.raw)) {
        (Some([b'[', ..]), Some([b'[', ..])) => levels.fault.map_or(Ok(()), Err),
        (Some(_), Some(_)) => Err(Fault("depth levels are not an array")),
        _ => Err(Fault(missing)),
    }
}

fn trim_end(mut line: &[u8]) -> &[u8] {
    while let [rest @ .., last] = line {
        if matches!(last, b'\r' | b' ' | b'\t') {
            line = rest;
        } else {
            break;
        }
    }
    line
}

/// The recorder's local timestamp: integer part and up to nine fractional digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LocalStamp {
    integer: u64,
    fraction: u64,
    fraction_digits: u32,
}

impl LocalStamp {
    fn to_nanos(self, unit: LocalTimeUnit) -> Option<UnixNanos> {
        let unit_nanos = i128::from(unit.nanos());
        let whole = i128::from(self.integer) * unit_nanos;
        let part = i128::from(self.fraction) * unit_nanos / 10_i128.pow(self.fraction_digits);
        i64::try_from(whole + part).ok().map(UnixNanos)
    }
}

/// Splits `<ts> <json>` or `<ts>: <json>`; the fraction of `<ts>` beyond nine digits is
/// truncated (cryptofeed prints Python floats).
fn split_local_timestamp(line: &[u8]) -> Scan<(LocalStamp, &[u8])> {
    let mut position = digit_run(line);
    if position == 0 {
        return Err(Fault("line does not start with a local timestamp"));
    }
    let integer =
        parse_integer(&line[..position]).map_err(|_| Fault("local timestamp overflows"))?;
    let mut fraction: u64 = 0;
    let mut fraction_digits = 0;
    if line.get(position) == Some(&b'.') {
        position += 1;
        let start = position;
        while let Some(&byte) = line.get(position) {
            if !byte.is_ascii_digit() {
                break;
            }
            if fraction_digits < 9 {
                fraction = fraction * 10 + u64::from(byte - b'0');
                fraction_digits += 1;
            }
            position += 1;
        }
        if position == start {
            return Err(Fault("local timestamp has an empty fraction"));
        }
    }
    if line.get(position) == Some(&b':') {
        position += 1;
    }
    let separator = position;
    while matches!(line.get(position), Some(b' ' | b'\t')) {
        position += 1;
    }
    if position == separator && line.get(position) != Some(&b'{') {
        return Err(Fault("no separator after the local timestamp"));
    }
    if line.get(position) != Some(&b'{') {
        return Err(Fault("no JSON object after the local timestamp"));
    }
    Ok((
        LocalStamp {
            integer,
            fraction,
            fraction_digits,
        },
        &line[position..],
    ))
}

/// One JSON value as read: its raw span (strings with their quotes) and, for plain numbers
/// and plain decimal strings, the number already parsed in the same pass.
#[derive(Debug, Clone, Copy)]
struct Value<'a> {
    raw: &'a [u8],
    parsed: Parsed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parsed {
    Nothing,
    /// A bare non-negative integer of at most 19 digits.
    Integer(u64),
    /// A quoted plain decimal, as a fixed-point raw value.
    Decimal(i64),
}

impl<'a> Value<'a> {
    const fn raw(raw: &'a [u8]) -> Self {
        Self {
            raw,
            parsed: Parsed::Nothing,
        }
    }
}

/// Raw value spans of the keys this importer reads (JSON keys are case-sensitive, so `t`
/// and `T` are different fields). Unknown keys are skipped.
#[derive(Debug, Default, Clone, Copy)]
struct Fields<'a> {
    stream: Option<Value<'a>>,
    data: Option<Value<'a>>,
    e: Option<Value<'a>>,
    e_upper: Option<Value<'a>>,
    t: Option<Value<'a>>,
    t_upper: Option<Value<'a>>,
    s: Option<Value<'a>>,
    s_upper: Option<Value<'a>>,
    p: Option<Value<'a>>,
    q: Option<Value<'a>>,
    m: Option<Value<'a>>,
    m_upper: Option<Value<'a>>,
    x: Option<Value<'a>>,
    x_upper: Option<Value<'a>>,
    u: Option<Value<'a>>,
    u_upper: Option<Value<'a>>,
    pu: Option<Value<'a>>,
    a: Option<Value<'a>>,
    a_upper: Option<Value<'a>>,
    b: Option<Value<'a>>,
    b_upper: Option<Value<'a>>,
    r: Option<Value<'a>>,
    i: Option<Value<'a>>,
    k: Option<Value<'a>>,
    o: Option<Value<'a>>,
    h: Option<Value<'a>>,
    l: Option<Value<'a>>,
    c: Option<Value<'a>>,
    v: Option<Value<'a>>,
    v_upper: Option<Value<'a>>,
    n: Option<Value<'a>>,
    z: Option<Value<'a>>,
    ap: Option<Value<'a>>,
    last_update_id: Option<Value<'a>>,
    bids: Option<Value<'a>>,
    asks: Option<Value<'a>>,
    symbol: Option<Value<'a>>,
}

impl<'a> Fields<'a> {
    /// Parses one object. Depth level arrays (`b`/`a`/`bids`/`asks` holding arrays) go
    /// straight into `levels` in the same pass; with `data`, an object under the key `data`
    /// (the combined-stream envelope) is parsed in place into it.
    /// Returns whether `data` was filled. Fills `self` in place (no copy of this struct).
    fn parse_into(
        &mut self,
        scanner: &mut Scanner<'a>,
        levels: &mut LevelBuffers,
        mut data: Option<&mut Fields<'a>>,
    ) -> Scan<bool> {
        let fields = self;
        let mut has_data = false;
        scanner.skip_whitespace();
        scanner.expect(b'{', "expected a JSON object")?;
        let mut first = true;
        while let Some(key) = scanner.next_key(&mut first)? {
            let start = scanner.position;
            let value = match (scanner.peek(), key) {
                (Some(b'['), [b'b'] | [b'a'] | b"bids" | b"asks") => {
                    let buffer = if matches!(key, [b'b'] | b"bids") {
                        &mut levels.bids
                    } else {
                        &mut levels.asks
                    };
                    buffer.clear();
                    if let Err(fault) = scanner.levels(buffer) {
                        // Not levels after all: keep the span, report only if needed.
                        levels.fault.get_or_insert(fault);
                        scanner.position = start;
                        scanner.skip_nested()?;
                    }
                    Value::raw(&scanner.bytes[start..scanner.position])
                }
                (Some(b'{'), b"data") if data.is_some() => {
                    if let Some(out) = data.as_deref_mut() {
                        out.parse_into(scanner, levels, None)?;
                        has_data = true;
                    }
                    Value::raw(&scanner.bytes[start..scanner.position])
                }
                _ => scanner.typed_value()?,
            };
            // Slice patterns of bytes compile to a jump table (byte-string literals would be
            // compared one by one).
            let slot = match key {
                [b'e'] => &mut fields.e,
                [b'E'] => &mut fields.e_upper,
                [b't'] => &mut fields.t,
                [b'T'] => &mut fields.t_upper,
                [b's'] => &mut fields.s,
                [b'S'] => &mut fields.s_upper,
                [b'p'] => &mut fields.p,
                [b'q'] => &mut fields.q,
                [b'm'] => &mut fields.m,
                [b'M'] => &mut fields.m_upper,
                [b'x'] => &mut fields.x,
                [b'X'] => &mut fields.x_upper,
                [b'u'] => &mut fields.u,
                [b'U'] => &mut fields.u_upper,
                [b'p', b'u'] => &mut fields.pu,
                [b'a'] => &mut fields.a,
                [b'A'] => &mut fields.a_upper,
                [b'b'] => &mut fields.b,
                [b'B'] => &mut fields.b_upper,
                [b'r'] => &mut fields.r,
                [b'i'] => &mut fields.i,
                [b'k'] => &mut fields.k,
                [b'o'] => &mut fields.o,
                [b'h'] => &mut fields.h,
                [b'l'] => &mut fields.l,
                [b'c'] => &mut fields.c,
                [b'v'] => &mut fields.v,
                [b'V'] => &mut fields.v_upper,
                [b'n'] => &mut fields.n,
                [b'z'] => &mut fields.z,
                [b'a', b'p'] => &mut fields.ap,
                b"stream" => &mut fields.stream,
                b"data" => &mut fields.data,
                b"lastUpdateId" => &mut fields.last_update_id,
                b"bids" => &mut fields.bids,
                b"asks" => &mut fields.asks,
                b"symbol" => &mut fields.symbol,
                _ => continue,
            };
            *slot = Some(value);
        }
        Ok(has_data)
    }

    /// Parses a nested object (rare messages: `forceOrder.o`, `kline.k`).
    fn parse(scanner: &mut Scanner<'a>) -> Scan<Self> {
        let mut fields = Self::default();
        fields.parse_into(scanner, &mut LevelBuffers::default(), None)?;
        Ok(fields)
    }
}

/// The message symbol: `s`, else the stream name's prefix (`btcusdt@trade` -> `btcusdt`).
fn symbol_of<'a>(fields: &Fields<'a>, stream: Option<&'a [u8]>) -> Scan<&'a [u8]> {
    match fields.s {
        Some(value) => text(value),
        None => stream
            .and_then(|name| memchr::memchr(b'@', name).map(|at| &name[..at]))
            .ok_or(Fault("message without symbol s")),
    }
}

/// Content of a string value.
#[inline]
fn text(value: Value<'_>) -> Scan<&[u8]> {
    string_content(value.raw)
}

/// Content of a JSON string value (escapes are not expected in Binance fields; a value with
/// one fails later where it matters, e.g. as a decimal).
fn string_content(raw: &[u8]) -> Scan<&[u8]> {
    match raw {
        [b'"', content @ .., b'"'] => Ok(content),
        _ => Err(Fault("expected a string value")),
    }
}

trait FixedPoint: Sized {
    fn parse(bytes: &[u8]) -> Option<Self>;
    fn from_raw(raw: i64) -> Self;
}

/// The three fixed-point types share one implementation (their inherent methods).
macro_rules! impl_fixed_point {
    ($($type:ty),*) => {$(
        impl FixedPoint for $type {
            #[inline]
            fn parse(bytes: &[u8]) -> Option<Self> {
                Self::from_decimal_bytes(bytes).ok()
            }

            #[inline]
            fn from_raw(raw: i64) -> Self {
                Self::from_raw(raw)
            }
        }
    )*};
}

impl_fixed_point!(Price, Quantity, Rate);

/// A decimal given as a JSON string (Binance) or a bare number.
#[inline]
fn parse_decimal<T: FixedPoint>(raw: &[u8]) -> Scan<T> {
    let digits = match raw {
        [b'"', content @ .., b'"'] => content,
        other => other,
    };
    match plain_decimal(digits) {
        Some((value, length)) if length == digits.len() => Ok(T::from_raw(value)),
        _ => T::parse(digits).ok_or(Fault("invalid decimal value")),
    }
}

/// Eight bytes of `bytes` from `offset` as a little-endian word, when there are eight.
#[inline]
fn word_at(bytes: &[u8], offset: usize) -> Option<u64> {
    bytes
        .get(offset..offset + 8)
        .and_then(|chunk| <[u8; 8]>::try_from(chunk).ok())
        .map(u64::from_le_bytes)
}

const LOW_BYTES: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// High bit set in each byte of `word` equal to `byte`; exact for the lowest such byte
/// (the classic has-zero-byte test; borrows can only flag bytes above a true match).
#[inline]
fn bytes_equal(word: u64, byte: u8) -> u64 {
    let difference = word ^ (LOW_BYTES * u64::from(byte));
    difference.wrapping_sub(LOW_BYTES) & !difference & HIGH_BITS
}

/// Index of the first `"` or `\` (eight bytes at a time).
#[inline]
fn find_quote_or_escape(bytes: &[u8]) -> Option<usize> {
    let mut offset = 0;
    while let Some(word) = word_at(bytes, offset) {
        let mask = bytes_equal(word, b'"') | bytes_equal(word, b'\\');
        if mask != 0 {
            return Some(offset + (mask.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    bytes[offset..]
        .iter()
        .position(|&byte| byte == b'"' || byte == b'\\')
        .map(|found| offset + found)
}

/// Length of the run of ASCII digits at the start of `bytes` (eight bytes at a time).
#[inline]
fn digit_run(bytes: &[u8]) -> usize {
    let mut offset = 0;
    while let Some(word) = word_at(bytes, offset) {
        // byte ^ 0x30 is 0..=9 exactly for digits; adding 0x76 to its low seven bits sets
        // the high bit from 10 up, without carries between bytes (0x7F + 0x76 < 0x100).
        let shifted = word ^ (LOW_BYTES * 0x30);
        let non_digits = (((shifted & !HIGH_BITS) + LOW_BYTES * 0x76) | shifted) & HIGH_BITS;
        if non_digits != 0 {
            return offset + (non_digits.trailing_zeros() / 8) as usize;
        }
        offset += 8;
    }
    offset
        + bytes[offset..]
            .iter()
            .position(|byte| !byte.is_ascii_digit())
            .unwrap_or(bytes.len() - offset)
}

/// The value of a run of at most 19 ASCII digits.
#[inline]
fn digits_value(digits: &[u8]) -> u64 {
    digits.iter().fold(0, |value, &digit| {
        value * 10 + u64::from(digit.wrapping_sub(b'0'))
    })
}

/// A compact depth level `["price","size"]` at the start of `bytes`: both raw values and the
/// level's length; `None` for anything else (the general path then decides).
#[inline]
fn compact_level(bytes: &[u8]) -> Option<(i64, i64, usize)> {
    let [b'[', b'"', tail @ ..] = bytes else {
        return None;
    };
    let (price, price_length) = plain_decimal(tail)?;
    let tail = tail.get(price_length..)?;
    let [b'"', b',', b'"', tail @ ..] = tail else {
        return None;
    };
    let (size, size_length) = plain_decimal(tail)?;
    match tail.get(size_length..size_length + 2) {
        Some(b"\"]") => Some((price, size, 2 + price_length + 3 + size_length + 2)),
        _ => None,
    }
}

/// `123.456` at the start of `bytes` as a fixed-point raw value and its length, when it has
/// at most nine digits on each side of the point (the exact generic parser handles the
/// rest). Scaling: raw = integer * 10^9 + fraction * 10^(9 - fraction digits).
#[inline]
fn plain_decimal(bytes: &[u8]) -> Option<(i64, usize)> {
    const SCALE: [u64; 10] = [
        1_000_000_000,
        100_000_000,
        10_000_000,
        1_000_000,
        100_000,
        10_000,
        1_000,
        100,
        10,
        1,
    ];
    // Short strings: a plain loop beats word tricks here. `value` collects every digit, so
    // value * 10^(9 - fraction digits) = integer * 10^9 + fraction * 10^(9 - fraction digits).
    let length = bytes.len();
    let mut value: u64 = 0;
    let mut index = 0;
    while index < length {
        let digit = bytes[index].wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        value = value * 10 + u64::from(digit);
        index += 1;
        if index > 9 {
            return None;
        }
    }
    let integer_digits = index;
    let mut fraction_digits = 0;
    if index < length && bytes[index] == b'.' {
        index += 1;
        let start = index;
        while index < length {
            let digit = bytes[index].wrapping_sub(b'0');
            if digit > 9 {
                break;
            }
            value = value * 10 + u64::from(digit);
            index += 1;
            if index - start > 9 {
                return None;
            }
        }
        fraction_digits = index - start;
    }
    if integer_digits + fraction_digits == 0 {
        return None;
    }
    // At most 18 digits: below 10^18 < i64::MAX.
    Some(((value * SCALE[fraction_digits]) as i64, index))
}

/// A decimal value, already parsed in the scanning pass when it was a plain one.
#[inline]
fn decimal_value<T: FixedPoint>(value: Value<'_>) -> Scan<T> {
    match value.parsed {
        Parsed::Decimal(raw) => Ok(T::from_raw(raw)),
        _ => parse_decimal(value.raw),
    }
}

#[inline]
fn decimal<T: FixedPoint>(value: Option<Value<'_>>, missing: &'static str) -> Scan<T> {
    decimal_value(value.ok_or(Fault(missing))?)
}

#[inline]
fn parse_integer(raw: &[u8]) -> Scan<u64> {
    if raw.is_empty() || raw.len() > 20 {
        return Err(Fault("invalid integer value"));
    }
    // Up to 19 digits cannot overflow a u64 (10^19 - 1 < 1.8 * 10^19).
    if raw.len() <= 19 && digit_run(raw) == raw.len() {
        return Ok(digits_value(raw));
    }
    let mut value: u64 = 0;
    for &byte in raw {
        if !byte.is_ascii_digit() {
            return Err(Fault("invalid integer value"));
        }
        value = value
            .checked_mul(10)
            .and_then(|value| value.checked_add(u64::from(byte - b'0')))
            .ok_or(Fault("integer value overflows"))?;
    }
    Ok(value)
}

/// An integer value, already parsed in the scanning pass when it was a plain one.
#[inline]
fn integer_value(value: Value<'_>) -> Scan<u64> {
    match value.parsed {
        Parsed::Integer(number) => Ok(number),
        _ => parse_integer(value.raw),
    }
}

#[inline]
fn integer(value: Option<Value<'_>>, missing: &'static str) -> Scan<u64> {
    integer_value(value.ok_or(Fault(missing))?)
}

#[inline]
fn boolean(value: Option<Value<'_>>, missing: &'static str) -> Scan<bool> {
    match value.map(|value| value.raw) {
        Some(b"true") => Ok(true),
        Some(b"false") => Ok(false),
        Some(_) => Err(Fault("invalid boolean value")),
        None => Err(Fault(missing)),
    }
}

/// An exchange timestamp: milliseconds (Binance default), or µs / ns when the stream was
/// opened with a finer `timeUnit` (judged by magnitude, as for the local time).
#[inline]
fn exchange_time(value: Option<Value<'_>>, missing: &'static str) -> Scan<UnixNanos> {
    let value = integer(value, missing)?;
    let nanos = if value >= 100_000_000_000_000_000 {
        Some(value)
    } else if value >= 100_000_000_000_000 {
        value.checked_mul(NANOS_PER_MICRO as u64)
    } else {
        value.checked_mul(NANOS_PER_MILLI as u64)
    };
    nanos
        .and_then(|nanos| i64::try_from(nanos).ok())
        .map(UnixNanos)
        .ok_or(Fault("exchange timestamp overflows"))
}

/// A minimal JSON scanner over one message: enough structure checking to reject malformed
/// lines, no allocation, values returned as raw byte spans.
#[derive(Debug)]
struct Scanner<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Scanner<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, position: 0 }
    }

    #[inline]
    fn at_end(&self) -> bool {
        self.position >= self.bytes.len()
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.position).copied()
    }

    #[inline]
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.position += 1;
        }
    }

    #[inline]
    fn expect(&mut self, byte: u8, fault: &'static str) -> Scan<()> {
        if self.peek() == Some(byte) {
            self.position += 1;
            Ok(())
        } else {
            Err(Fault(fault))
        }
    }

    /// Advances to the next key of an object whose `{` was consumed; `None` at `}`.
    #[inline]
    fn next_key(&mut self, first: &mut bool) -> Scan<Option<&'a [u8]>> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'}') => {
                self.position += 1;
                return Ok(None);
            }
            Some(b',') if !*first => {
                self.position += 1;
                self.skip_whitespace();
            }
            Some(b'"') if *first => {}
            None => return Err(Fault("unterminated JSON object")),
            _ => return Err(Fault("malformed JSON object")),
        }
        *first = false;
        // Binance keys are mostly one letter: `"e":`.
        let key = match self.bytes.get(self.position..self.position + 4) {
            Some([b'"', letter, b'"', b':']) if *letter != b'\\' => {
                let key = &self.bytes[self.position + 1..self.position + 2];
                self.position += 4;
                self.skip_whitespace();
                return Ok(Some(key));
            }
            _ => self.string()?,
        };
        self.skip_whitespace();
        self.expect(b':', "missing ':' after a key")?;
        self.skip_whitespace();
        Ok(Some(key))
    }

    /// Advances to the next element of an array whose `[` was consumed; false at `]`.
    #[inline]
    fn next_element(&mut self, first: &mut bool) -> Scan<bool> {
        self.skip_whitespace();
        match self.peek() {
            Some(b']') => {
                self.position += 1;
                return Ok(false);
            }
            Some(b',') if !*first => {
                self.position += 1;
                self.skip_whitespace();
            }
            None => return Err(Fault("unterminated JSON array")),
            Some(_) if *first => {}
            _ => return Err(Fault("malformed JSON array")),
        }
        *first = false;
        Ok(true)
    }

    /// A string starting at the current `"`; returns its content (escapes left as they are).
    #[inline]
    fn string(&mut self) -> Scan<&'a [u8]> {
        let start = self.position + 1;
        let rest = self.bytes.get(start..).unwrap_or_default();
        let mut offset = 0;
        loop {
            let tail = rest.get(offset..).unwrap_or_default();
            let Some(found) = find_quote_or_escape(tail) else {
                return Err(Fault("unterminated string"));
            };
            let at = offset + found;
            if tail[found] == b'"' {
                self.position = start + at + 1;
                return Ok(&rest[..at]);
            }
            // A backslash escapes the next byte.
            offset = at + 2;
        }
    }

    /// Parses `[["price","size",...],...]` (extra elements of a level are ignored).
    fn levels(&mut self, out: &mut Vec<(Price, Quantity)>) -> Scan<()> {
        self.expect(b'[', "depth levels are not an array")?;
        let mut first = true;
        while self.next_element(&mut first)? {
            // Fast path for the compact form `["61800.20","2.909"]`.
            if let Some((price, size, length)) = compact_level(&self.bytes[self.position..]) {
                self.position += length;
                out.push((Price::from_raw(price), Quantity::from_raw(size)));
                continue;
            }
            self.expect(b'[', "depth level is not an array")?;
            self.skip_whitespace();
            let price = Price::from_raw(self.decimal()?);
            self.skip_whitespace();
            self.expect(b',', "depth level without size")?;
            self.skip_whitespace();
            let size = Quantity::from_raw(self.decimal()?);
            let mut more = false;
            while self.next_element(&mut more)? {
                self.value()?;
            }
            out.push((price, size));
        }
        Ok(())
    }

    /// A decimal string (or bare number) straight into a fixed-point raw value. The fast
    /// path covers plain `"123.456"` with at most nine digits on either side of the point;
    /// anything else (signs, more digits, escapes) takes the exact generic parser, so both
    /// agree on every input.
    #[inline]
    fn decimal(&mut self) -> Scan<i64> {
        if let [b'"', rest @ ..] = self.bytes.get(self.position..).unwrap_or_default()
            && let Some((value, length)) = plain_decimal(rest)
            && rest.get(length) == Some(&b'"')
        {
            self.position += length + 2;
            return Ok(value);
        }
        parse_decimal::<Price>(self.value()?).map(Price::raw)
    }

    /// Any value, with plain integers and plain decimal strings parsed on the way (the
    /// handlers then skip a second pass over them).
    #[inline]
    fn typed_value(&mut self) -> Scan<Value<'a>> {
        let start = self.position;
        let rest = self.bytes.get(start..).unwrap_or_default();
        match rest.first() {
            Some(b'"') => {
                if let Some((raw, length)) = plain_decimal(&rest[1..])
                    && rest.get(length + 1) == Some(&b'"')
                {
                    self.position += length + 2;
                    return Ok(Value {
                        raw: &rest[..length + 2],
                        parsed: Parsed::Decimal(raw),
                    });
                }
                Ok(Value::raw(self.value()?))
            }
            Some(b'0'..=b'9') => {
                let length = digit_run(rest);
                if length <= 19
                    && !matches!(rest.get(length), Some(b'-' | b'+' | b'.' | b'e' | b'E'))
                {
                    self.position += length;
                    return Ok(Value {
                        raw: &rest[..length],
                        parsed: Parsed::Integer(digits_value(&rest[..length])),
                    });
                }
                Ok(Value::raw(self.value()?))
            }
            _ => Ok(Value::raw(self.value()?)),
        }
    }

    /// Any value; returns its raw span (strings with their quotes).
    fn value(&mut self) -> Scan<&'a [u8]> {
        let start = self.position;
        match self.peek() {
            Some(b'"') => {
                self.string()?;
            }
            Some(b'{' | b'[') => self.skip_nested()?,
            Some(b't') => self.literal(b"true")?,
            Some(b'f') => self.literal(b"false")?,
            Some(b'n') => self.literal(b"null")?,
            Some(b'-' | b'0'..=b'9') => {
                let rest = self.bytes.get(self.position..).unwrap_or_default();
                let mut length = digit_run(rest);
                if let Some(b'-' | b'+' | b'.' | b'e' | b'E') = rest.get(length) {
                    length += rest[length..]
                        .iter()
                        .position(|byte| {
                            !matches!(byte, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                        })
                        .unwrap_or(rest.len() - length);
                }
                self.position += length;
            }
            _ => return Err(Fault("expected a JSON value")),
        }
        Ok(&self.bytes[start..self.position])
    }

    fn literal(&mut self, word: &'static [u8]) -> Scan<()> {
        if self.bytes[self.position..].starts_with(word) {
            self.position += word.len();
            Ok(())
        } else {
            Err(Fault("invalid JSON literal"))
        }
    }

    /// Skips an object or array, checking that brackets pair up (a fixed-depth stack).
    fn skip_nested(&mut self) -> Scan<()> {
        const MAX_DEPTH: usize = 64;
        let mut stack = [0_u8; MAX_DEPTH];
        let mut depth = 0;
        loop {
            let Some(&byte) = self.bytes.get(self.position) else {
                return Err(Fault("unterminated JSON value"));
            };
            match byte {
                b'{' | b'[' => {
                    if depth == MAX_DEPTH {
                        return Err(Fault("JSON nested too deeply"));
                    }
                    stack[depth] = if byte == b'{' { b'}' } else { b']' };
                    depth += 1;
                }
                b'}' | b']' => {
                    if depth == 0 || stack[depth - 1] != byte {
                        return Err(Fault("mismatched JSON brackets"));
                    }
                    depth -= 1;
                    if depth == 0 {
                        self.position += 1;
                        return Ok(());
                    }
                }
                b'"' => {
                    self.string()?;
                    continue;
                }
                _ => {}
            }
            self.position += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::BufReader;

    use auction_trader_types::MarketKind;
    use proptest::prelude::*;

    use super::*;
    use crate::CollectedEvents;

    fn import(text: &str) -> (ImportSummary, CollectedEvents) {
        import_with(text, &CaptureOptions::default())
    }

    fn import_with(text: &str, options: &CaptureOptions) -> (ImportSummary, CollectedEvents) {
        let mut sink = CollectedEvents::new();
        let summary = import_capture_bytes(text.as_bytes(), "test", options, &mut sink).unwrap();
        (summary, sink)
    }

    fn depth_rows(sink: &CollectedEvents) -> Vec<BookDelta> {
        sink.events
            .iter()
            .filter_map(|tagged| match tagged.event {
                MarketEvent::Depth(row) => Some(row),
                _ => None,
            })
            .collect()
    }

    const USDM_TRADE: &str = r#"1723161255088176367 {"stream":"btcusdt@trade","data":{"e":"trade","E":1723161256322,"T":1723161256321,"s":"BTCUSDT","t":5266583935,"p":"61800.30","q":"0.006","X":"MARKET","m":false}}"#;

    #[test]
    fn futures_trade_with_nanosecond_local_time() {
        let (summary, sink) = import(USDM_TRADE);
        assert_eq!(summary.records_read, 1);
        assert_eq!(summary.events, 1);
        assert_eq!(
            sink.instruments,
            [InstrumentKey::new(
                "binance-usdm",
                "BTCUSDT",
                MarketKind::Perpetual
            )]
        );
        let MarketEvent::Trade(trade) = sink.events[0].event else {
            panic!("not a trade")
        };
        assert_eq!(trade.ts_recv, UnixNanos(1_723_161_255_088_176_367));
        // ts_event = T = 1723161256321 ms = 1723161256321 * 10^6 ns.
        assert_eq!(trade.ts_event, UnixNanos(1_723_161_256_321_000_000));
        // 61800.30 * 10^9 and 0.006 * 10^9.
        assert_eq!(trade.price.raw(), 61_800_300_000_000);
        assert_eq!(trade.size.raw(), 6_000_000);
        // m = false: the buyer was the taker.
        assert_eq!(trade.aggressor, AggressorSide::Buy);
        assert_eq!(trade.trade_id, TradeId(5_266_583_935));
    }

    #[test]
    fn spot_trade_with_microsecond_local_time_sold_when_buyer_is_maker() {
        let line = r#"1680652800004107 {"stream":"btcusdt@trade","data":{"e":"trade","E":1680652800000,"s":"BTCUSDT","t":3071245454,"p":"28165.47000000","q":"0.00056000","b":20720542158,"a":20720542592,"T":1680652799999,"m":true,"M":true}}"#;
        let (_, sink) = import(line);
        assert_eq!(sink.instruments[0].venue, "binance-spot");
        assert_eq!(sink.instruments[0].market, MarketKind::Spot);
        let MarketEvent::Trade(trade) = sink.events[0].event else {
            panic!("not a trade")
        };
        // 1680652800004107 µs * 1000 = 1680652800004107000 ns.
        assert_eq!(trade.ts_recv, UnixNanos(1_680_652_800_004_107_000));
        assert_eq!(trade.ts_event, UnixNanos(1_680_652_799_999_000_000));
        assert_eq!(trade.price.raw(), 28_165_470_000_000);
        // 0.00056 * 10^9 = 560000.
        assert_eq!(trade.size.raw(), 560_000);
        assert_eq!(trade.aggressor, AggressorSide::Sell);
    }

    #[test]
    fn cryptofeed_agg_trade_with_fractional_seconds() {
        let text = "wss://fstream.binance.com/stream?streams=ctkusdt@aggTrade <-> 1626992740.179554\n\
            1626992742.289739: {\"stream\":\"ctkusdt@aggTrade\",\"data\":{\"e\":\"aggTrade\",\"E\":1626992741575,\"a\":16599292,\"s\":\"CTKUSDT\",\"p\":\"1.01100\",\"q\":\"10\",\"f\":23961322,\"l\":23961322,\"T\":1626992741421,\"m\":false}}\n";
        let mut sink = CollectedEvents::new();
        let mut importer = CaptureImporter::new(&CaptureOptions::default()).unwrap();
        importer.read_bytes(text.as_bytes(), "cf", &mut sink);
        assert_eq!(importer.summary().records_read, 2);
        assert_eq!(importer.stats().metadata_lines, 1);
        assert_eq!(importer.stats().agg_trades, 1);
        assert!(sink.quarantined.is_empty());
        let MarketEvent::Trade(trade) = sink.events[0].event else {
            panic!("not a trade")
        };
        // 1626992742 s + 0.289739 s = 1626992742289739000 ns.
        assert_eq!(trade.ts_recv, UnixNanos(1_626_992_742_289_739_000));
        assert_eq!(trade.ts_event, UnixNanos(1_626_992_741_421_000_000));
        // The aggregate id `a`, not the first trade id `f`.
        assert_eq!(trade.trade_id, TradeId(16_599_292));
        assert_eq!(trade.price.raw(), 1_011_000_000);
        assert_eq!(trade.size.raw(), 10_000_000_000);
        assert_eq!(sink.instruments[0].venue, "binance-usdm");
    }

    #[test]
    fn spot_book_ticker_has_no_exchange_time() {
        let line = r#"1723161254087891268 {"stream":"btcusdt@bookTicker","data":{"u":50093239212,"s":"BTCUSDT","b":"61837.63000000","B":"3.78826000","a":"61837.64000000","A":"1.54698000"}}"#;
        let (_, sink) = import(line);
        assert_eq!(sink.instruments[0].venue, "binance-spot");
        let MarketEvent::Quote(quote) = sink.events[0].event else {
            panic!("not a quote")
        };
        assert_eq!(quote.ts_event, quote.ts_recv);
        assert_eq!(quote.ts_recv, UnixNanos(1_723_161_254_087_891_268));
        assert!(!quote.flags.has_exchange_time());
        assert_eq!(quote.update_id, 50_093_239_212);
        assert_eq!(quote.bid_price.raw(), 61_837_630_000_000);
        assert_eq!(quote.bid_size.raw(), 3_788_260_000);
        assert_eq!(quote.ask_price.raw(), 61_837_640_000_000);
        assert_eq!(quote.ask_size.raw(), 1_546_980_000);
    }

    #[test]
    fn futures_book_ticker_uses_transaction_time() {
        let line = r#"1723161255088169167 {"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":5123107839020,"s":"BTCUSDT","b":"61800.20","B":"2.507","a":"61800.30","A":"2.510","T":1723161256313,"E":1723161256314}}"#;
        let (_, sink) = import(line);
        assert_eq!(sink.instruments[0].venue, "binance-usdm");
        let MarketEvent::Quote(quote) = sink.events[0].event else {
            panic!("not a quote")
        };
        assert_eq!(quote.ts_event, UnixNanos(1_723_161_256_313_000_000));
        assert!(quote.flags.has_exchange_time());
        assert_eq!(quote.bid_size.raw(), 2_507_000_000);
        assert_eq!(quote.ask_size.raw(), 2_510_000_000);
    }

    #[test]
    fn futures_depth_rows_bids_then_asks_with_last_flag() {
        let line = r#"1721347200334944611 {"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1721347201855,"T":1721347201804,"s":"BTCUSDT","U":4984034950969,"u":4984034950972,"pu":4984034747463,"b":[["63335.10","1.136"],["63462.60","0.000"]],"a":[["64020.40","0.005"]]}}"#;
        let (summary, sink) = import(line);
        assert_eq!(summary.events, 3);
        let rows = depth_rows(&sink);
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows.iter().map(|row| row.side).collect::<Vec<_>>(),
            [BookSide::Bid, BookSide::Bid, BookSide::Ask]
        );
        assert_eq!(rows[0].price.raw(), 63_335_100_000_000);
        assert_eq!(rows[0].size.raw(), 1_136_000_000);
        // A zero size removes the level.
        assert_eq!(rows[1].size, Quantity::ZERO);
        assert_eq!(rows[2].price.raw(), 64_020_400_000_000);
        for row in &rows {
            assert_eq!(row.first_update_id, 4_984_034_950_969);
            assert_eq!(row.last_update_id, 4_984_034_950_972);
            assert_eq!(row.prev_update_id, 4_984_034_747_463);
            // Depth ts_event = E.
            assert_eq!(row.ts_event, UnixNanos(1_721_347_201_855_000_000));
            assert!(!row.flags.is_snapshot() && !row.flags.is_empty_message());
        }
        assert!(!rows[0].flags.is_last() && !rows[1].flags.is_last() && rows[2].flags.is_last());
    }

    #[test]
    fn empty_depth_message_is_one_empty_last_row() {
        let line = r#"1723161253937085768 {"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":50093239189,"u":50093239202,"b":[],"a":[]}}"#;
        let (_, sink) = import(line);
        let rows = depth_rows(&sink);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0].flags,
            DeltaFlags(DeltaFlags::EMPTY | DeltaFlags::LAST)
        );
        assert_eq!(rows[0].price, Price::ZERO);
        // Spot depth has no `pu`.
        assert_eq!(rows[0].prev_update_id, 0);
        assert_eq!(sink.instruments[0].venue, "binance-spot");
    }

    const SPOT_DEPTH: &str = r#"1723161253937085768 {"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":50093239189,"u":50093239202,"b":[["61737.63000000","0.00000000"]],"a":[["61837.64000000","1.54698000"]]}}"#;
    const SPOT_SNAPSHOT: &str = r#"1723161254206652067 {"lastUpdateId":50093239218,"bids":[["61837.63000000","3.78826000"],["61837.62000000","0.61700000"]],"asks":[["61837.64000000","1.60520000"]]}"#;

    #[test]
    fn snapshot_rows_after_depth_belong_to_the_depth_symbol() {
        let (summary, sink) = import(&format!("{SPOT_DEPTH}\n{SPOT_SNAPSHOT}\n"));
        assert_eq!(summary.records_read, 2);
        assert_eq!(sink.instruments.len(), 1);
        let rows = depth_rows(&sink);
        let snapshot = &rows[2..];
        assert_eq!(snapshot.len(), 3);
        let flags: Vec<u8> = snapshot.iter().map(|row| row.flags.0).collect();
        assert_eq!(
            flags,
            [
                DeltaFlags::SNAPSHOT | DeltaFlags::CLEAR,
                DeltaFlags::SNAPSHOT,
                DeltaFlags::SNAPSHOT | DeltaFlags::LAST
            ]
        );
        for row in snapshot {
            assert_eq!(row.first_update_id, 50_093_239_218);
            assert_eq!(row.last_update_id, 50_093_239_218);
            assert_eq!(row.prev_update_id, 0);
            // No E/T in a spot snapshot: ts_event = ts_recv.
            assert_eq!(row.ts_event, UnixNanos(1_723_161_254_206_652_067));
        }
        assert_eq!(snapshot[2].side, BookSide::Ask);
        assert_eq!(snapshot[2].size.raw(), 1_605_200_000);
    }

    #[test]
    fn snapshot_before_any_depth_is_emitted_before_the_first_depth_message() {
        let (summary, sink) = import(&format!("{SPOT_SNAPSHOT}\n{SPOT_DEPTH}\n"));
        assert_eq!(summary.quarantined, 0);
        assert_eq!(summary.events, 5);
        let rows = depth_rows(&sink);
        assert!(rows[0].flags.is_clear() && rows[0].flags.is_snapshot());
        assert_eq!(rows[0].ts_recv, UnixNanos(1_723_161_254_206_652_067));
        assert!(!rows[3].flags.is_snapshot());
    }

    #[test]
    fn lone_snapshot_without_symbol_is_quarantined_unless_named() {
        let (summary, sink) = import(SPOT_SNAPSHOT);
        assert_eq!(summary.quarantined, 1);
        assert_eq!(sink.quarantined[0].line, 1);
        let options = CaptureOptions {
            snapshot_symbol: Some("btcusdt".to_owned()),
            ..CaptureOptions::default()
        };
        let (summary, sink) = import_with(SPOT_SNAPSHOT, &options);
        assert_eq!(summary.quarantined, 0);
        assert_eq!(summary.events, 3);
        assert_eq!(sink.instruments[0].symbol, "BTCUSDT");
    }

    #[test]
    fn futures_snapshot_with_times_and_empty_snapshot() {
        let line = r#"1721347021281597601 {"lastUpdateId":4984028384061,"E":1721347022759,"T":1721347022750,"symbol":"BTCUSDT","bids":[],"asks":[]}"#;
        let (_, sink) = import(line);
        assert_eq!(sink.instruments[0].venue, "binance-usdm");
        let rows = depth_rows(&sink);
        assert_eq!(rows.len(), 1);
        let expected =
            DeltaFlags::SNAPSHOT | DeltaFlags::CLEAR | DeltaFlags::LAST | DeltaFlags::EMPTY;
        assert_eq!(rows[0].flags, DeltaFlags(expected));
        assert_eq!(rows[0].ts_event, UnixNanos(1_721_347_022_759_000_000));
    }

    #[test]
    fn coin_margined_symbols_go_to_binance_coinm() {
        let line = r#"1723161256419684465 {"stream":"btcusd_perp@trade","data":{"e":"trade","E":1723161257687,"T":1723161257679,"s":"BTCUSD_PERP","t":849714402,"p":"61804.8","q":"4","X":"MARKET","m":false}}"#;
        let (_, sink) = import(line);
        assert_eq!(
            sink.instruments,
            [InstrumentKey::new(
                "binance-coinm",
                "BTCUSD_PERP",
                MarketKind::Perpetual
            )]
        );
        assert!(is_coin_margined(b"DOTUSD_PERP"));
        assert!(is_coin_margined(b"btcusd_240927"));
        assert!(!is_coin_margined(b"BTCUSDT_240927"));
        assert!(!is_coin_margined(b"BTCUSDT"));
    }

    #[test]
    fn venue_override_wins_and_bad_override_is_an_error() {
        let options = CaptureOptions {
            venue: Some("binance-coinm".to_owned()),
            ..CaptureOptions::default()
        };
        let (_, sink) = import_with(USDM_TRADE, &options);
        assert_eq!(sink.instruments[0].venue, "binance-coinm");
        let bad = CaptureOptions {
            venue: Some("bybit-linear".to_owned()),
            ..CaptureOptions::default()
        };
        assert!(matches!(
            CaptureImporter::new(&bad),
            Err(DataError::InvalidOption(_))
        ));
    }

    #[test]
    fn mark_price_update_becomes_funding() {
        let line = r#"1562305380000000000 {"stream":"btcusdt@markPrice","data":{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000","i":"11784.62659091","P":"11784.25641265","r":"0.00038167","T":1562306400000}}"#;
        let (_, sink) = import(line);
        let MarketEvent::Funding(funding) = sink.events[0].event else {
            panic!("not funding")
        };
        // 0.00038167 * 10^9 = 381670.
        assert_eq!(funding.rate.raw(), 381_670);
        assert_eq!(
            funding.next_funding_time,
            UnixNanos(1_562_306_400_000_000_000)
        );
        assert_eq!(funding.mark_price.raw(), 11_794_150_000_000);
        assert_eq!(funding.index_price.raw(), 11_784_626_590_910);
        assert_eq!(funding.ts_event, UnixNanos(1_562_305_380_000_000_000));
        assert_eq!(sink.instruments[0].venue, "binance-usdm");
    }

    #[test]
    fn mark_price_array_stream_emits_every_element() {
        let line = r#"1562305380000000000 {"stream":"!markPrice@arr","data":[{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15","i":"11784.6","r":"0.0001","T":1562306400000},{"e":"markPriceUpdate","E":1562305380000,"s":"ETHUSDT","p":"300.5","i":"300.4","r":"-0.0002","T":1562306400000}]}"#;
        let (summary, sink) = import(line);
        assert_eq!(summary.events, 2);
        assert_eq!(sink.instruments.len(), 2);
        let MarketEvent::Funding(second) = sink.events[1].event else {
            panic!("not funding")
        };
        assert_eq!(second.rate.raw(), -200_000);
    }

    #[test]
    fn force_order_becomes_a_liquidation() {
        // The documented USD-M shape (protocol_examples/binance_usdm_liquidation_stream.json).
        let line = r#"1568014460900000000 {"e":"forceOrder","E":1568014460893,"o":{"s":"BTCUSDT","S":"SELL","o":"LIMIT","f":"IOC","q":"0.014","p":"9910.00000000","ap":"9910.12345678","X":"FILLED","l":"0.014","z":"0.014","T":1568014460891}}"#;
        let (_, sink) = import(line);
        let MarketEvent::Liquidation(liquidation) = sink.events[0].event else {
            panic!("not a liquidation")
        };
        assert_eq!(liquidation.side, AggressorSide::Sell);
        // Average fill price ap = 9910.12345678 -> 9910123456780 raw.
        assert_eq!(liquidation.price.raw(), 9_910_123_456_780);
        assert_eq!(liquidation.size.raw(), 14_000_000);
        assert_eq!(liquidation.ts_event, UnixNanos(1_568_014_460_891_000_000));
        assert_eq!(liquidation.ts_recv, UnixNanos(1_568_014_460_900_000_000));
        assert_eq!(sink.instruments[0].venue, "binance-usdm");
    }

    const KLINE_OPEN: &str = r#"1626992742.2895691: {"stream":"ctkusdt@kline_1m","data":{"e":"kline","E":1626992741424,"s":"CTKUSDT","k":{"t":1626992700000,"T":1626992759999,"s":"CTKUSDT","i":"1m","f":23961275,"L":23961322,"o":"1.01000","c":"1.01100","h":"1.01100","l":"1.01000","v":"3917","n":48,"x":false,"q":"3957.89900","V":"1729","Q":"1748.01900","B":"0"}}}"#;

    #[test]
    fn closed_kline_becomes_a_bar_and_open_ones_are_counted() {
        let closed = KLINE_OPEN.replace("\"x\":false", "\"x\":true");
        let text = format!("{KLINE_OPEN}\n{KLINE_OPEN}\n{closed}\n");
        let mut sink = CollectedEvents::new();
        let mut importer = CaptureImporter::new(&CaptureOptions::default()).unwrap();
        importer.read_bytes(text.as_bytes(), "kline", &mut sink);
        assert_eq!(importer.stats().skipped_of("kline (open bar)"), 2);
        assert_eq!(importer.stats().klines, 1);
        assert!(sink.quarantined.is_empty());
        // One warning for the open klines (once per kind) and one for the assumed venue.
        assert_eq!(
            sink.warnings
                .iter()
                .filter(|text| text.contains("open bar"))
                .count(),
            1
        );
        let MarketEvent::Bar(bar) = sink.events[0].event else {
            panic!("not a bar")
        };
        assert_eq!(bar.ts_open, UnixNanos(1_626_992_700_000_000_000));
        // Close time T = ...759999 ms is the last millisecond: the bar is known at +1 ms.
        assert_eq!(bar.ts_event, UnixNanos(1_626_992_760_000_000_000));
        assert_eq!(bar.open.raw(), 1_010_000_000);
        assert_eq!(bar.high.raw(), 1_011_000_000);
        assert_eq!(bar.low.raw(), 1_010_000_000);
        assert_eq!(bar.close.raw(), 1_011_000_000);
        assert_eq!(bar.volume.raw(), 3_917_000_000_000);
        // VWAP = 3957.899 / 3917 = 1.010441409... -> 1010441409 raw (truncated).
        assert_eq!(bar.vwap.raw(), 1_010_441_409);
        assert_eq!(bar.buy_volume.raw(), 1_729_000_000_000);
        // Sell volume = 3917 - 1729 = 2188.
        assert_eq!(bar.sell_volume.raw(), 2_188_000_000_000);
        assert_eq!(bar.trade_count, 48);
    }

    #[test]
    fn unsupported_messages_are_counted_and_warned_once() {
        let ticker = r#"1723161255088176367 {"stream":"btcusdt@ticker","data":{"e":"24hrTicker","E":1,"s":"BTCUSDT"}}"#;
        let partial = r#"1723161255088176367 {"stream":"btcusdt@depth20@100ms","data":{"e":"depthUpdate","E":1723161256299,"s":"BTCUSDT","U":1,"u":2,"pu":0,"b":[],"a":[]}}"#;
        let response = r#"1723161255088176367 {"result":null,"id":1}"#;
        let text = format!("{ticker}\n{ticker}\n{partial}\n{response}\n{USDM_TRADE}\n");
        let mut sink = CollectedEvents::new();
        let mut importer = CaptureImporter::new(&CaptureOptions::default()).unwrap();
        importer.read_bytes(text.as_bytes(), "mixed", &mut sink);
        let stats = importer.stats();
        assert_eq!(stats.skipped_of("24hrTicker"), 2);
        assert_eq!(stats.skipped_of("partial depth (depth<N>)"), 1);
        assert_eq!(stats.skipped_of("unrecognized message"), 1);
        assert_eq!(sink.warnings.len(), 3);
        assert!(sink.quarantined.is_empty());
        assert_eq!(sink.events.len(), 1);
    }

    #[test]
    fn malformed_lines_are_quarantined_with_line_and_reason() {
        let text = [
            USDM_TRADE,
            "",
            "not a capture line",
            r#"1723161255088176367 {"stream":"btcusdt@trade","data":{"e":"trade","T":1,"s":"BTCUSDT","t":1,"p":"61800.30","q":"0.006","m":false"#,
            r#"1723161255088176367 {"stream":"btcusdt@trade","data":{"e":"trade","T":1,"s":"BTCUSDT","t":1,"p":"6e4","q":"0.006","m":false}}"#,
            r#"1723161255088176367 {"stream":"btcusdt@trade","data":{"e":"trade","T":1,"s":"BTCUSDT","t":1,"q":"0.006","m":false}}"#,
            r#"1723161255088176 {"stream":"btcusdt@trade","data":{"e":"trade","T":1,"s":"BTCUSDT","t":1,"p":"1","q":"1","m":false}}"#,
            r#"1723161255088176367 {"stream":"btcusdt@depth","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1"]],"a":[]}}"#,
            r#"1723161255088176367 {"stream":"btcusdt@trade"} trailing"#,
            USDM_TRADE,
        ]
        .join("\n");
        let (summary, sink) = import(&text);
        assert_eq!(summary.records_read, 10);
        assert_eq!(summary.events, 2);
        let lines: Vec<u64> = sink.quarantined.iter().map(|row| row.line).collect();
        assert_eq!(lines, [3, 4, 5, 6, 7, 8, 9]);
        let reasons: Vec<&str> = sink
            .quarantined
            .iter()
            .map(|row| row.reason.as_str())
            .collect();
        assert_eq!(
            reasons,
            [
                "line does not start with a local timestamp",
                "unterminated JSON object",
                "invalid decimal value",
                "trade without price p",
                "local timestamp magnitude differs from the file's unit",
                "depth level without size",
                "trailing bytes after the JSON message",
            ]
        );
        assert_eq!(summary.quarantined, 7);
        assert_eq!(sink.quarantined[0].source, "test");
    }

    #[test]
    fn reader_with_tiny_buffers_matches_the_in_memory_parse() {
        let text = format!(
            "{USDM_TRADE}\r\n{SPOT_DEPTH}\n\n{}\n{USDM_TRADE}",
            r#"1723161255088169167 {"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":5,"s":"BTCUSDT","b":"1","B":"2","a":"3","A":"4","T":1723161256313,"E":1723161256314}}"#
        );
        let options = CaptureOptions {
            venue: Some(BINANCE_USDM.to_owned()),
            ..CaptureOptions::default()
        };
        let (expected_summary, expected) = import_with(&text, &options);
        for capacity in [1, 2, 7, 64, 4096] {
            let mut reader = BufReader::with_capacity(capacity, text.as_bytes());
            let mut sink = CollectedEvents::new();
            let summary = import_capture(&mut reader, "reader", &options, &mut sink).unwrap();
            assert_eq!(summary, expected_summary, "capacity {capacity}");
            assert_eq!(sink.events, expected.events, "capacity {capacity}");
        }
        assert_eq!(expected_summary.records_read, 5);
        assert_eq!(expected_summary.events, 5);
    }

    #[test]
    fn local_time_units_follow_the_magnitude() {
        assert_eq!(
            LocalTimeUnit::from_magnitude(1_626_992_742),
            Some(LocalTimeUnit::Seconds)
        );
        assert_eq!(
            LocalTimeUnit::from_magnitude(1_626_992_742_289),
            Some(LocalTimeUnit::Millis)
        );
        assert_eq!(
            LocalTimeUnit::from_magnitude(1_680_652_800_004_107),
            Some(LocalTimeUnit::Micros)
        );
        assert_eq!(
            LocalTimeUnit::from_magnitude(1_723_161_255_030_314_667),
            Some(LocalTimeUnit::Nanos)
        );
        assert_eq!(LocalTimeUnit::from_magnitude(42), None);
        let (stamp, json) = split_local_timestamp(b"1626992741.0621701234567: {}").unwrap();
        assert_eq!(json, b"{}");
        // Nine fractional digits are kept, the rest truncated: .062170123 s.
        assert_eq!(
            stamp.to_nanos(LocalTimeUnit::Seconds),
            Some(UnixNanos(1_626_992_741_062_170_123))
        );
    }

    #[test]
    fn a_far_off_local_clock_is_warned_about() {
        // The local stamp claims 2023 while the exchange says 2024.
        let line = USDM_TRADE.replace("1723161255088176367", "1680652800004107000");
        let (_, sink) = import(&line);
        assert_eq!(sink.events.len(), 1);
        assert!(
            sink.warnings
                .iter()
                .any(|text| text.contains("differs from exchange time"))
        );
    }

    #[test]
    fn word_scanners_find_the_first_match() {
        assert_eq!(find_quote_or_escape(b"0123456789abcdef\"x"), Some(16));
        assert_eq!(find_quote_or_escape(b"ab\\\"cd"), Some(2));
        assert_eq!(find_quote_or_escape(b"abc"), None);
        // A byte just above '"' (0x23) must not match: no false positives below the match.
        assert_eq!(find_quote_or_escape(b"##!!##!!##\""), Some(10));
        assert_eq!(digit_run(b"1723161255030314667 {"), 19);
        assert_eq!(digit_run(b"12345678"), 8);
        assert_eq!(digit_run(b"9/:0"), 1);
        assert_eq!(digit_run(b""), 0);
        // 61800.20 -> 61800 * 10^9 + 20 * 10^7; length 8.
        assert_eq!(plain_decimal(b"61800.20\""), Some((61_800_200_000_000, 8)));
        assert_eq!(plain_decimal(b"0.00056000"), Some((560_000, 10)));
        assert_eq!(plain_decimal(b"."), None);
        assert_eq!(plain_decimal(b"1234567890.5"), None);
        assert_eq!(plain_decimal(b"1.0000000001"), None);
    }

    proptest! {
        #[test]
        fn fast_decimal_agrees_with_the_exact_parser(text in "[0-9.]{0,22}") {
            if let Some((raw, length)) = plain_decimal(text.as_bytes()) {
                let parsed = auction_trader_types::parse_fixed(&text[..length]);
                prop_assert_eq!(parsed, Ok(raw));
            }
            let fast = parse_decimal::<Price>(text.as_bytes()).ok().map(Price::raw);
            prop_assert_eq!(fast, auction_trader_types::parse_fixed(&text).ok());
        }

        #[test]
        fn word_scanners_agree_with_plain_loops(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            prop_assert_eq!(
                find_quote_or_escape(&bytes),
                bytes.iter().position(|&byte| byte == b'"' || byte == b'\\')
            );
            prop_assert_eq!(
                digit_run(&bytes),
                bytes.iter().position(|byte| !byte.is_ascii_digit()).unwrap_or(bytes.len())
            );
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut sink = CollectedEvents::new();
            let summary = import_capture_bytes(&bytes, "fuzz", &CaptureOptions::default(), &mut sink).unwrap();
            prop_assert_eq!(summary.quarantined, sink.quarantined.len() as u64);
            prop_assert_eq!(summary.events, sink.events.len() as u64);
        }

        #[test]
        fn mutated_real_lines_never_panic(
            index in 0_usize..6,
            position in 0_usize..400,
            cut in any::<bool>(),
            byte in any::<u8>(),
        ) {
            let closed = KLINE_OPEN.replace("\"x\":false", "\"x\":true");
            let lines = [USDM_TRADE, SPOT_DEPTH, SPOT_SNAPSHOT, KLINE_OPEN, closed.as_str(),
                r#"1568014460900000000 {"e":"forceOrder","E":1568014460893,"o":{"s":"BTCUSDT","S":"SELL","q":"0.014","p":"9910.00000000","ap":"9910.12345678","z":"0.014","T":1568014460891}}"#];
            let mut line = lines[index].as_bytes().to_vec();
            let position = position % line.len();
            if cut {
                line.truncate(position);
            } else {
                // A newline would split the line in two: covered by the arbitrary-bytes test.
                line[position] = if byte == b'\n' { b' ' } else { byte };
            }
            let mut text = SPOT_DEPTH.as_bytes().to_vec();
            text.push(b'\n');
            text.extend_from_slice(&line);
            let mut sink = CollectedEvents::new();
            let summary = import_capture_bytes(&text, "fuzz", &CaptureOptions::default(), &mut sink).unwrap();
            // A cut at 0 leaves an empty last line, which is no record.
            prop_assert_eq!(summary.records_read, if line.is_empty() { 1 } else { 2 });
            prop_assert!(summary.events >= 2);
            prop_assert_eq!(summary.quarantined, sink.quarantined.len() as u64);
        }
    }
}
