//! The one Binance message decoder: ONE message (a combined-stream frame
//! `{"stream":..,"data":..}`, a bare stream payload, or the REST depth snapshot) plus our
//! receive time in, normalized events out (SPEC 1.2). The capture importer feeds it recorder
//! lines; the live feed feeds it WebSocket frames and REST answers, so replay and live decode
//! with the same code. Venue inference, instrument registration and the per-kind decoders
//! live in the sibling files as further `impl BinanceDecoder` blocks.

use auction_trader_types::{InstrumentKey, MarketEvent, Price, Quantity, UnixNanos};

use super::framing::LocalTimeUnit;
use super::scanner::{Fields, Scanner, text};
use super::snapshot::DeferredSnapshot;
use super::venue::{Family, KnownInstrument};
use super::{CaptureOptions, CaptureStats};
use crate::instruments::{BINANCE_COINM, BINANCE_SPOT, BINANCE_USDM};
use crate::validity::check_event;
use crate::{DataError, EventSink, ImportSummary, InstrumentSlot, QuarantinedRow};

/// Why one message could not be decoded (static text: no allocation on the hot path). The
/// capture importer quarantines the line with this reason; the live feed reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(pub &'static str);

/// State that restarts with every file.
#[derive(Debug, Default)]
pub(super) struct FileState {
    pub(super) source: String,
    pub(super) line_number: u64,
    pub(super) unit: Option<LocalTimeUnit>,
    pub(super) family: Option<Family>,
    pub(super) family_conflict_warned: bool,
    pub(super) clock_checked: bool,
    /// Depth symbols seen in this file (upper-case), for attributing snapshot lines.
    pub(super) depth_symbols: Vec<Vec<u8>>,
    /// Any symbol seen in this file.
    pub(super) symbols: Vec<Vec<u8>>,
    pub(super) deferred: Option<DeferredSnapshot>,
    /// The instrument of the previous message (index into `instruments`) and its symbol as
    /// written there: most lines repeat it.
    pub(super) last_instrument: Option<usize>,
    pub(super) last_symbol: Vec<u8>,
}

/// The stateful per-message decoder: instruments, venue inference, counts and reused
/// buffers across the messages of one capture or one live connection.
#[derive(Debug)]
pub struct BinanceDecoder {
    pub(super) venue_override: Option<&'static str>,
    pub(super) snapshot_symbol: Option<Vec<u8>>,
    pub(super) instruments: Vec<KnownInstrument>,
    pub(super) file: FileState,
    pub(super) summary: ImportSummary,
    pub(super) stats: CaptureStats,
    /// Reused buffers (no allocation per message).
    pub(super) levels: LevelBuffers,
    pub(super) output: Output,
}

/// Depth levels of the current message, parsed in the same pass as the rest of the JSON.
#[derive(Debug, Default)]
pub(super) struct LevelBuffers {
    pub(super) bids: Vec<(Price, Quantity)>,
    pub(super) asks: Vec<(Price, Quantity)>,
    /// The first malformed level array of the message, reported if a handler needs it.
    pub(super) fault: Option<Fault>,
}

impl LevelBuffers {
    pub(super) fn with_capacity(capacity: usize) -> Self {
        Self {
            bids: Vec::with_capacity(capacity),
            asks: Vec::with_capacity(capacity),
            fault: None,
        }
    }

    pub(super) fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
        self.fault = None;
    }

    pub(super) fn is_empty(&self) -> bool {
        self.bids.is_empty() && self.asks.is_empty()
    }
}

/// Where events go: straight to the sink once a message is fully validated, or held while
/// the elements of an array message are decoded (all or nothing per line).
#[derive(Debug, Default)]
pub(super) struct Output {
    pub(super) buffering: bool,
    pub(super) pending: Vec<(InstrumentSlot, MarketEvent)>,
    pub(super) events: u64,
}

impl Output {
    /// Emits (or holds) one event that passes the one value rule of [`check_event`].
    #[inline]
    pub(super) fn emit(
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

    pub(super) fn flush(&mut self, sink: &mut dyn EventSink) {
        self.buffering = false;
        self.events += self.pending.len() as u64;
        for (slot, event) in self.pending.drain(..) {
            sink.event(slot, event);
        }
    }

    pub(super) fn discard(&mut self) {
        self.buffering = false;
        self.pending.clear();
    }
}

/// Why a line could not be imported (static text: no allocation on the hot path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Fault(pub(super) &'static str);

pub(super) type Scan<T> = Result<T, Fault>;

impl BinanceDecoder {
    /// A decoder with the caller's venue and snapshot-symbol choices (the local-time unit of
    /// the options is the importer's).
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
        })
    }

    /// Counts so far (over every source this decoder read).
    pub fn summary(&self) -> ImportSummary {
        ImportSummary {
            events: self.output.events,
            ..self.summary.clone()
        }
    }

    /// Message counts per kind.
    pub fn stats(&self) -> &CaptureStats {
        &self.stats
    }

    /// Starts a source (a capture file, a live connection): per-source detection restarts and
    /// `source` names it in warnings and quarantined rows.
    pub fn begin_source(&mut self, source: &str) {
        self.file = FileState {
            source: source.to_owned(),
            ..FileState::default()
        };
    }

    /// Decodes ONE message received at `ts_recv` (our clock) into `sink`: all of its events,
    /// or none and the reason.
    pub fn decode(
        &mut self,
        message: &[u8],
        ts_recv: UnixNanos,
        sink: &mut dyn EventSink,
    ) -> Result<(), DecodeError> {
        self.file.line_number += 1;
        self.summary.records_read += 1;
        // JSON is UTF-8 (RFC 8259): a message with other bytes is corrupt.
        if !message.is_ascii() && std::str::from_utf8(message).is_err() {
            return Err(DecodeError("message is not valid UTF-8"));
        }
        let number = self.file.line_number;
        let json = message.trim_ascii();
        self.decode_json(json, ts_recv, number, sink)
            .map_err(|fault| DecodeError(fault.0))
    }

    /// Ends a source (one capture file): a snapshot still waiting for its symbol goes to the
    /// source's only symbol, or is quarantined.
    pub fn finish_source(&mut self, sink: &mut dyn EventSink) {
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

    pub(super) fn decode_json(
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

    pub(super) fn skip(&mut self, kind: &'static str, sink: &mut dyn EventSink) {
        self.skip_bytes(kind.as_bytes(), sink);
    }

    /// Counts a valid but unsupported message; warns once per kind (allocates only then).
    pub(super) fn skip_bytes(&mut self, kind: &[u8], sink: &mut dyn EventSink) {
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
}

/// The live feed's view of the decoder: one venue, one symbol, events appended to a `Vec`.
/// Events of another symbol (a misrouted stream) are counted and dropped; warnings are kept
/// for the caller to log.
#[derive(Debug)]
pub struct StreamDecoder {
    decoder: BinanceDecoder,
    sink: StreamSink,
}

/// Routes the decoder's output for [`StreamDecoder`].
#[derive(Debug)]
struct StreamSink {
    symbol: String,
    events: Vec<MarketEvent>,
    other_symbol_events: u64,
    warnings: Vec<String>,
}

/// Slot of the stream's own symbol; every other symbol shares the other slot.
const OWN: InstrumentSlot = InstrumentSlot(0);
const OTHER: InstrumentSlot = InstrumentSlot(1);

impl EventSink for StreamSink {
    fn instrument(&mut self, key: &InstrumentKey) -> InstrumentSlot {
        if key.symbol.eq_ignore_ascii_case(&self.symbol) {
            OWN
        } else {
            OTHER
        }
    }

    fn event(&mut self, instrument: InstrumentSlot, event: MarketEvent) {
        if instrument == OWN {
            self.events.push(event);
        } else {
            self.other_symbol_events += 1;
        }
    }

    fn quarantine(&mut self, row: QuarantinedRow) {
        self.warnings
            .push(format!("message {} rejected: {}", row.line, row.reason));
    }

    fn warn(&mut self, message: String) {
        self.warnings.push(message);
    }
}

impl StreamDecoder {
    /// A decoder for `symbol` (e.g. `BTCUSDT`) on `venue` (`binance-usdm`, `binance-coinm` or
    /// `binance-spot`); REST depth snapshots, which carry no symbol, are `symbol`'s.
    pub fn new(venue: &str, symbol: &str) -> Result<Self, DataError> {
        let options = CaptureOptions {
            venue: Some(venue.to_owned()),
            local_time_unit: None,
            snapshot_symbol: Some(symbol.to_owned()),
        };
        let mut decoder = BinanceDecoder::new(&options)?;
        decoder.begin_source(&format!("{venue}:{symbol}"));
        Ok(Self {
            decoder,
            sink: StreamSink {
                symbol: symbol.to_owned(),
                events: Vec::new(),
                other_symbol_events: 0,
                warnings: Vec::new(),
            },
        })
    }

    /// Decodes ONE message received at `ts_recv` and appends its events (all or none) to
    /// `out`, exactly the events the capture importer emits for the same message: a depth
    /// snapshot becomes SNAPSHOT rows (CLEAR first, LAST last), a depth update one row per
    /// level (LAST last), a bookTicker one `Quote`.
    pub fn decode(
        &mut self,
        message: &[u8],
        ts_recv: UnixNanos,
        out: &mut Vec<MarketEvent>,
    ) -> Result<(), DecodeError> {
        self.sink.events.clear();
        let result = self.decoder.decode(message, ts_recv, &mut self.sink);
        if result.is_ok() {
            out.append(&mut self.sink.events);
        }
        result
    }

    /// Warnings since the last call (unsupported kinds once per kind, clock skew, ...).
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.sink.warnings)
    }

    /// Message counts per kind.
    pub fn stats(&self) -> &CaptureStats {
        self.decoder.stats()
    }

    /// Events dropped because they belonged to another symbol.
    pub fn other_symbol_events(&self) -> u64 {
        self.sink.other_symbol_events
    }
}
