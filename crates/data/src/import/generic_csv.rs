//! Generic CSV trade importer with a column mapping (SPEC 1.2: "CSV, the user's primary
//! historical format: timestamp, price, size (+ optional side) columns, with converters for
//! common layouts and a timestamp auto-detector"), plus the field parsers the other
//! CSV-family importers share ([`parse_decimal`], [`trade_id_from_bytes`]).
//!
//! Ordering: with [`SortMode::Auto`] (the default) or [`SortMode::ByTimestampThenId`] the rows
//! of a job are buffered (about 80 bytes per trade: a daily file of 1 M trades takes ~80 MB),
//! sorted by (time, id) when the input is not already in time order, de-duplicated on the id
//! column, and emitted as one time-ordered stream. Several files imported as one job (e.g. eight
//! bitFlyer days) are buffered together, so ids repeated across files are removed too. Use
//! [`SortMode::Off`] to stream a file of any size in source order with bounded memory (ids are
//! then de-duplicated within a window of the last 65 536 trades).
//!
//! Bad rows are quarantined with source, line and reason (SPEC 1.3): blank or unparsable
//! timestamps, zero or negative prices and sizes, unparsable numbers, missing columns, and
//! duplicate ids (kept once, the later copies quarantined so that
//! `records = header + events + quarantined` always balances).

use std::collections::{BTreeSet, VecDeque};
use std::io::BufRead;
use std::path::Path;

use auction_trader_types::{
    AggressorSide, InstrumentKey, MarketEvent, MarketKind, Price, Quantity, Trade, TradeId,
    UnixNanos, fnv1a_64,
};
use csv::ByteRecord;

use super::timestamp::{TimestampFormat, TimestampParser, ZoneOffset, detect_format, trim_ascii};
use crate::input::for_each_input;
use crate::validity::check_event;
use crate::{DataError, EventSink, ImportSummary, InstrumentSlot, QuarantinedRow};

/// Rows sampled for timestamp auto-detection.
pub const DETECTION_SAMPLE_ROWS: usize = 1_000;
/// Trades remembered for id de-duplication in [`SortMode::Off`].
const STREAMING_DEDUP_WINDOW: usize = 1 << 16;

/// A column, by header name (case-insensitive) or by 0-based index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    Name(String),
    Index(usize),
}

impl Column {
    pub fn name(name: &str) -> Self {
        Self::Name(name.to_owned())
    }

    /// A column as a user writes it: all digits is a 0-based index, anything else a header
    /// name.
    pub fn parse(text: &str) -> Self {
        let text = text.trim();
        match text.parse::<usize>() {
            Ok(index) => Self::Index(index),
            Err(_) => Self::name(text),
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::Name(name) => format!("column {name:?}"),
            Self::Index(index) => format!("column #{index}"),
        }
    }
}

impl From<&str> for Column {
    fn from(name: &str) -> Self {
        Self::name(name)
    }
}

impl From<usize> for Column {
    fn from(index: usize) -> Self {
        Self::Index(index)
    }
}

/// How rows are ordered before they are emitted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortMode {
    /// Buffer the job; sort only if the rows are not already in time order.
    #[default]
    Auto,
    /// Stream rows in source order (bounded memory); rows out of time order are counted and
    /// reported, never reordered.
    Off,
    /// Buffer the job and always sort by (timestamp, id).
    ByTimestampThenId,
}

/// Words of a side column, matched case-insensitively after trimming. The side is the
/// aggressor's (taker's) side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SideVocabulary {
    buy: Vec<Vec<u8>>,
    sell: Vec<Vec<u8>>,
    unknown: Vec<Vec<u8>>,
}

impl Default for SideVocabulary {
    fn default() -> Self {
        Self::taker_words()
    }
}

impl SideVocabulary {
    /// `buy`/`b`/`bid` and `sell`/`s`/`ask`/`a` (any case) name the taker side; blank,
    /// `unknown` and `none` are [`AggressorSide::Unknown`].
    pub fn taker_words() -> Self {
        Self::new(
            &["buy", "b", "bid"],
            &["sell", "s", "ask", "a"],
            &["", "unknown", "none"],
        )
    }

    /// A buyer-is-maker flag (Binance `is_buyer_maker`, `m`): `true` means the aggressor sold.
    pub fn buyer_maker_flag() -> Self {
        Self::new(&["false", "0"], &["true", "1"], &[""])
    }

    pub fn new(buy: &[&str], sell: &[&str], unknown: &[&str]) -> Self {
        let words = |list: &[&str]| {
            list.iter()
                .map(|word| word.trim().to_ascii_lowercase().into_bytes())
                .collect()
        };
        Self {
            buy: words(buy),
            sell: words(sell),
            unknown: words(unknown),
        }
    }

    /// The side a value names, `None` when it is not in the vocabulary.
    #[inline]
    pub fn classify(&self, value: &[u8]) -> Option<AggressorSide> {
        let value = trim_ascii(value);
        let matches = |words: &[Vec<u8>]| words.iter().any(|word| word.eq_ignore_ascii_case(value));
        if matches(&self.buy) {
            Some(AggressorSide::Buy)
        } else if matches(&self.sell) {
            Some(AggressorSide::Sell)
        } else if matches(&self.unknown) {
            Some(AggressorSide::Unknown)
        } else {
            None
        }
    }
}

/// Where the fields of a trade are in a CSV file, and how to read them.
#[derive(Debug, Clone)]
pub struct CsvMapping {
    pub timestamp: Column,
    /// Local receive time, if the file has one; otherwise `ts_recv = ts_event`.
    pub receive_timestamp: Option<Column>,
    pub price: Column,
    pub size: Column,
    /// Taker side; without it every trade is [`AggressorSide::Unknown`].
    pub side: Option<Column>,
    /// Trade id; without it trades get `TradeId(0)` and are never de-duplicated.
    pub id: Option<Column>,
    /// Per-row symbol (replaces the job instrument's symbol; venue and market stay).
    pub symbol: Option<Column>,
    /// Market of a symbol read from `symbol`, when it depends on the symbol.
    pub market_of_symbol: Option<fn(&str) -> MarketKind>,
    /// `None` auto-detects from the first [`DETECTION_SAMPLE_ROWS`] rows of each file.
    pub timestamp_format: Option<TimestampFormat>,
    /// Zone of ISO-8601 values written without one.
    pub zone_offset: ZoneOffset,
    pub delimiter: u8,
    pub has_header: bool,
    pub side_vocabulary: SideVocabulary,
    pub sort: SortMode,
    pub dedup_on_id: bool,
}

impl CsvMapping {
    /// A mapping of the three required columns with defaults: header row, comma, detected
    /// timestamps read as UTC when naive, auto sorting, de-duplication on id when an id column
    /// is set.
    pub fn new(
        timestamp: impl Into<Column>,
        price: impl Into<Column>,
        size: impl Into<Column>,
    ) -> Self {
        Self {
            timestamp: timestamp.into(),
            receive_timestamp: None,
            price: price.into(),
            size: size.into(),
            side: None,
            id: None,
            symbol: None,
            market_of_symbol: None,
            timestamp_format: None,
            zone_offset: ZoneOffset::UTC,
            delimiter: b',',
            has_header: true,
            side_vocabulary: SideVocabulary::default(),
            sort: SortMode::Auto,
            dedup_on_id: true,
        }
    }

    pub fn with_side(mut self, side: impl Into<Column>) -> Self {
        self.side = Some(side.into());
        self
    }

    pub fn with_id(mut self, id: impl Into<Column>) -> Self {
        self.id = Some(id.into());
        self
    }

    pub fn with_symbol(mut self, symbol: impl Into<Column>) -> Self {
        self.symbol = Some(symbol.into());
        self
    }

    pub fn with_receive_timestamp(mut self, column: impl Into<Column>) -> Self {
        self.receive_timestamp = Some(column.into());
        self
    }

    pub fn with_format(mut self, format: TimestampFormat) -> Self {
        self.timestamp_format = Some(format);
        self
    }

    pub fn with_sort(mut self, sort: SortMode) -> Self {
        self.sort = sort;
        self
    }
}

/// Imports one CSV stream of trades. `instrument` names the trades' instrument (its symbol is
/// replaced per row when the mapping has a symbol column).
pub fn import_trades(
    reader: &mut dyn BufRead,
    source: &str,
    mapping: &CsvMapping,
    instrument: &InstrumentKey,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    let mut job = TradeImport::new(mapping, instrument);
    job.read(reader, source, sink)?;
    Ok(job.finish(sink))
}

/// Imports several files (plain, `.gz` or `.zip`) as ONE job: one time-ordered stream with ids
/// de-duplicated across files (buffered: see the module docs for memory).
pub fn import_trade_files<P: AsRef<Path>>(
    paths: &[P],
    mapping: &CsvMapping,
    instrument: &InstrumentKey,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    let mut job = TradeImport::new(mapping, instrument);
    for path in paths {
        for_each_input(path.as_ref(), |name, reader| job.read(reader, name, sink))?;
    }
    Ok(job.finish(sink))
}

/// Column positions of one file.
#[derive(Debug, Clone, Copy)]
struct Positions {
    timestamp: usize,
    receive: Option<usize>,
    price: usize,
    size: usize,
    side: Option<usize>,
    id: Option<usize>,
    symbol: Option<usize>,
}

/// One parsed trade waiting to be sorted (80 bytes: the size is an `i128` raw value).
#[derive(Debug, Clone, Copy)]
struct BufferedTrade {
    ts_event: i64,
    ts_recv: i64,
    price: i64,
    size: i128,
    id: u64,
    line: u64,
    slot: InstrumentSlot,
    source: u16,
    side: i8,
    has_id: bool,
}

impl BufferedTrade {
    fn sort_key(&self) -> (i64, i64, bool, u64, u16, u64) {
        (
            self.ts_recv,
            self.ts_event,
            self.has_id,
            self.id,
            self.source,
            self.line,
        )
    }

    fn same_content(&self, other: &Self) -> bool {
        (self.ts_event, self.price, self.size, self.side)
            == (other.ts_event, other.price, other.size, other.side)
    }

    fn event(&self) -> MarketEvent {
        MarketEvent::Trade(Trade {
            ts_event: UnixNanos(self.ts_event),
            ts_recv: UnixNanos(self.ts_recv),
            price: Price::from_raw(self.price),
            size: Quantity::from_raw(self.size),
            aggressor: AggressorSide::from_code(self.side),
            trade_id: TradeId(self.id),
        })
    }

    fn describe(&self) -> String {
        format!(
            "id={} ts={} price={} size={} side={}",
            self.id,
            UnixNanos(self.ts_event),
            Price::from_raw(self.price),
            Quantity::from_raw(self.size),
            AggressorSide::from_code(self.side)
        )
    }
}

/// One import job over one or several CSV streams: [`TradeImport::read`] each stream (for
/// example files decompressed elsewhere), then [`TradeImport::finish`] emits the buffered
/// trades in time order (see the module docs for ordering and memory).
#[derive(Debug)]
pub struct TradeImport<'a> {
    mapping: &'a CsvMapping,
    instrument: &'a InstrumentKey,
    slots: Vec<(Vec<u8>, InstrumentSlot)>,
    default_slot: Option<InstrumentSlot>,
    sources: Vec<String>,
    buffer: Vec<BufferedTrade>,
    in_order: bool,
    summary: ImportSummary,
    out_of_order: u64,
    last_recv: i64,
    window_ids: BTreeSet<(InstrumentSlot, u64)>,
    window_order: VecDeque<(InstrumentSlot, u64)>,
    unknown_side_rows: u64,
    unknown_side_example: Option<String>,
    rounded_values: u64,
    detected: Option<TimestampFormat>,
}

impl<'a> TradeImport<'a> {
    pub fn new(mapping: &'a CsvMapping, instrument: &'a InstrumentKey) -> Self {
        Self {
            mapping,
            instrument,
            slots: Vec::new(),
            default_slot: None,
            sources: Vec::new(),
            buffer: Vec::new(),
            in_order: true,
            summary: ImportSummary::default(),
            out_of_order: 0,
            last_recv: i64::MIN,
            window_ids: BTreeSet::new(),
            window_order: VecDeque::new(),
            unknown_side_rows: 0,
            unknown_side_example: None,
            rounded_values: 0,
            detected: None,
        }
    }

    fn streaming(&self) -> bool {
        self.mapping.sort == SortMode::Off
    }

    /// Reads one CSV stream of the job; `source` names it in quarantine rows.
    pub fn read(
        &mut self,
        reader: &mut dyn BufRead,
        source: &str,
        sink: &mut dyn EventSink,
    ) -> Result<(), DataError> {
        let source_index = u16::try_from(self.sources.len()).map_err(|_| {
            DataError::InvalidOption("more than 65 535 files in one CSV import job".to_owned())
        })?;
        self.sources.push(source.to_owned());
        let mut records = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(self.mapping.delimiter)
            .from_reader(reader);
        let mut record = ByteRecord::new();
        let header = if self.mapping.has_header {
            if !read_record(&mut records, &mut record, source)? {
                return Ok(());
            }
            self.summary.records_read += 1;
            Some(record.clone())
        } else {
            None
        };
        let positions = resolve_positions(self.mapping, header.as_ref(), source)?;

        // Auto-detection reads a sample first, then processes it like any other rows.
        let mut sample: Vec<ByteRecord> = Vec::new();
        let parser = match self.mapping.timestamp_format {
            Some(format) => TimestampParser::new(format, self.mapping.zone_offset),
            None => {
                while sample.len() < DETECTION_SAMPLE_ROWS
                    && read_record(&mut records, &mut record, source)?
                {
                    sample.push(record.clone());
                }
                if sample.is_empty() {
                    return Ok(());
                }
                let values = sample
                    .iter()
                    .map(|row| row.get(positions.timestamp).unwrap_or_default());
                let detection =
                    detect_format(values, self.mapping.zone_offset).map_err(|error| {
                        DataError::InvalidInput {
                            path: source.into(),
                            message: format!("timestamp detection failed: {error}"),
                        }
                    })?;
                if let Some(warning) = &detection.warning {
                    sink.warn(format!("{source}: {warning}"));
                }
                if self
                    .detected
                    .is_some_and(|previous| previous != detection.format)
                {
                    sink.warn(format!(
                        "{source}: timestamps detected as {}, unlike the job's earlier files",
                        detection.format
                    ));
                }
                self.detected = Some(detection.format);
                TimestampParser::from_detection(&detection, self.mapping.zone_offset)
            }
        };
        for row in &sample {
            self.row(row, &positions, &parser, source, source_index, sink);
        }
        drop(sample);
        while read_record(&mut records, &mut record, source)? {
            self.row(&record, &positions, &parser, source, source_index, sink);
        }
        Ok(())
    }

    fn row(
        &mut self,
        record: &ByteRecord,
        positions: &Positions,
        parser: &TimestampParser,
        source: &str,
        source_index: u16,
        sink: &mut dyn EventSink,
    ) {
        self.summary.records_read += 1;
        let line = record.position().map_or(0, csv::Position::line);
        let parsed =
            self.parse(record, positions, parser, sink)
                .and_then(|trade| match check_event(&trade.event()) {
                    Ok(()) => Ok(trade),
                    Err(invalid) => Err(invalid.0.to_owned()),
                });
        match parsed {
            Ok(mut trade) => {
                trade.line = line;
                trade.source = source_index;
                if self.streaming() {
                    self.emit_streaming(trade, source, sink);
                } else {
                    if let Some(previous) = self.buffer.last() {
                        self.in_order &= previous.sort_key() <= trade.sort_key();
                    }
                    self.buffer.push(trade);
                }
            }
            Err(reason) => {
                self.summary.quarantined += 1;
                sink.quarantine(QuarantinedRow::new(
                    source,
                    line,
                    reason,
                    &join_record(record, self.mapping.delimiter),
                ));
            }
        }
    }

    /// Parses one row; the error is the quarantine reason.
    fn parse(
        &mut self,
        record: &ByteRecord,
        positions: &Positions,
        parser: &TimestampParser,
        sink: &mut dyn EventSink,
    ) -> Result<BufferedTrade, String> {
        // Text outside UTF-8 is corruption whichever field it hits (a symbol or side would
        // otherwise be stored mangled).
        if std::str::from_utf8(record.as_slice()).is_err() {
            return Err("row is not valid UTF-8".to_owned());
        }
        let field = |index: usize, column: &Column| {
            record
                .get(index)
                .ok_or_else(|| format!("missing {}", column.describe()))
        };
        let stamp_text = field(positions.timestamp, &self.mapping.timestamp)?;
        let ts_event = parser
            .parse(stamp_text)
            .map_err(|error| format!("timestamp: {error}"))?;
        let ts_recv = match (positions.receive, &self.mapping.receive_timestamp) {
            (Some(index), Some(column)) => parser
                .parse(field(index, column)?)
                .map_err(|error| format!("receive timestamp: {error}"))?,
            _ => ts_event,
        };
        let price = self.positive(field(positions.price, &self.mapping.price)?, "price")?;
        let size = self.positive(field(positions.size, &self.mapping.size)?, "size")?;
        let side = match (positions.side, &self.mapping.side) {
            (Some(index), Some(column)) => {
                let text = field(index, column)?;
                match self.mapping.side_vocabulary.classify(text) {
                    Some(side) => side,
                    None => {
                        self.unknown_side_rows += 1;
                        if self.unknown_side_example.is_none() {
                            self.unknown_side_example =
                                Some(String::from_utf8_lossy(text).into_owned());
                        }
                        AggressorSide::Unknown
                    }
                }
            }
            _ => AggressorSide::Unknown,
        };
        let (id, has_id) = match (positions.id, &self.mapping.id) {
            (Some(index), Some(column)) => {
                let text = trim_ascii(field(index, column)?);
                if text.is_empty() {
                    (0, false)
                } else {
                    (trade_id_from_bytes(text).0, true)
                }
            }
            _ => (0, false),
        };
        let slot = match (positions.symbol, &self.mapping.symbol) {
            (Some(index), Some(column)) => {
                let symbol = trim_ascii(field(index, column)?);
                if symbol.is_empty() {
                    return Err(format!("blank {}", column.describe()));
                }
                self.slot_of_symbol(symbol, sink)
            }
            _ => self.default_slot(sink),
        };
        Ok(BufferedTrade {
            ts_event: ts_event.as_i64(),
            ts_recv: ts_recv.as_i64(),
            price,
            size,
            id,
            line: 0,
            slot,
            source: 0,
            side: side.code(),
            has_id,
        })
    }

    /// A strictly positive fixed-point value (SPEC 1.3: no zero or negative trade price/size).
    fn positive<T: TryFrom<i128>>(&mut self, text: &[u8], what: &str) -> Result<T, String> {
        let (value, rounded) = parse_decimal(text).map_err(|error| format!("{what}: {error}"))?;
        self.rounded_values += u64::from(rounded);
        match value {
            0 => Err(format!("zero {what}")),
            value if value < 0 => Err(format!("negative {what}")),
            value => narrow(value, what),
        }
    }

    fn default_slot(&mut self, sink: &mut dyn EventSink) -> InstrumentSlot {
        *self
            .default_slot
            .get_or_insert_with(|| sink.instrument(self.instrument))
    }

    fn slot_of_symbol(&mut self, symbol: &[u8], sink: &mut dyn EventSink) -> InstrumentSlot {
        if let Some((_, slot)) = self
            .slots
            .iter()
            .find(|(known, _)| known.as_slice() == symbol)
        {
            return *slot;
        }
        let name = String::from_utf8_lossy(symbol).into_owned();
        let market = self
            .mapping
            .market_of_symbol
            .map_or(self.instrument.market, |market_of| market_of(&name));
        let key = InstrumentKey::new(self.instrument.venue.clone(), name, market);
        let slot = sink.instrument(&key);
        self.slots.push((symbol.to_vec(), slot));
        slot
    }

    fn emit_streaming(&mut self, trade: BufferedTrade, source: &str, sink: &mut dyn EventSink) {
        if trade.has_id && self.mapping.dedup_on_id {
            let key = (trade.slot, trade.id);
            if !self.window_ids.insert(key) {
                self.quarantine_duplicate(&trade, source, sink);
                return;
            }
            self.window_order.push_back(key);
            if self.window_order.len() > STREAMING_DEDUP_WINDOW
                && let Some(evicted) = self.window_order.pop_front()
            {
                self.window_ids.remove(&evicted);
            }
        }
        if trade.ts_recv < self.last_recv {
            self.out_of_order += 1;
        }
        self.last_recv = self.last_recv.max(trade.ts_recv);
        self.summary.events += 1;
        sink.event(trade.slot, trade.event());
    }

    fn quarantine_duplicate(
        &mut self,
        trade: &BufferedTrade,
        source: &str,
        sink: &mut dyn EventSink,
    ) {
        self.summary.quarantined += 1;
        sink.quarantine(QuarantinedRow::new(
            source,
            trade.line,
            format!("duplicate trade id {}", trade.id),
            trade.describe().as_bytes(),
        ));
    }

    /// Emits what is buffered and the job's warnings; returns the job's counts.
    pub fn finish(mut self, sink: &mut dyn EventSink) -> ImportSummary {
        if !self.streaming() {
            self.emit_buffered(sink);
        }
        if self.out_of_order > 0 {
            sink.warn(format!(
                "{} trades are earlier than a trade before them (kept in source order: SortMode::Off)",
                self.out_of_order
            ));
        }
        if self.unknown_side_rows > 0 {
            sink.warn(format!(
                "{} trades have a side value outside the vocabulary (e.g. {:?}): imported as unknown side",
                self.unknown_side_rows,
                self.unknown_side_example.as_deref().unwrap_or_default()
            ));
        }
        if self.rounded_values > 0 {
            sink.warn(format!(
                "{} prices or sizes had more than 9 decimals and were rounded to 9",
                self.rounded_values
            ));
        }
        self.summary
    }

    fn emit_buffered(&mut self, sink: &mut dyn EventSink) {
        let mut buffer = std::mem::take(&mut self.buffer);
        if self.mapping.sort == SortMode::ByTimestampThenId || !self.in_order {
            if self.mapping.sort == SortMode::Auto {
                sink.warn(format!(
                    "rows are not in time order: {} trades sorted by (timestamp, id)",
                    buffer.len()
                ));
            }
            // Keys end with (source, line), unique per row: the unstable sort is deterministic.
            buffer.sort_unstable_by_key(BufferedTrade::sort_key);
        }
        let duplicate = self.find_duplicates(&buffer, sink);
        for (index, trade) in buffer.iter().enumerate() {
            if duplicate.get(index).copied().unwrap_or(false) {
                let source = self.sources[usize::from(trade.source)].clone();
                self.quarantine_duplicate(trade, &source, sink);
            } else {
                self.summary.events += 1;
                sink.event(trade.slot, trade.event());
            }
        }
    }

    /// Marks every copy of an id after the first in time order (per instrument).
    fn find_duplicates(&self, buffer: &[BufferedTrade], sink: &mut dyn EventSink) -> Vec<bool> {
        if !self.mapping.dedup_on_id || !buffer.iter().any(|trade| trade.has_id) {
            return Vec::new();
        }
        let mut order: Vec<u32> = (0..buffer.len() as u32)
            .filter(|&index| buffer[index as usize].has_id)
            .collect();
        order.sort_unstable_by_key(|&index| {
            let trade = &buffer[index as usize];
            (trade.slot, trade.id, index)
        });
        let mut duplicate = vec![false; buffer.len()];
        let mut conflicting = 0_u64;
        for pair in order.windows(2) {
            let (first, second) = (&buffer[pair[0] as usize], &buffer[pair[1] as usize]);
            if (first.slot, first.id) == (second.slot, second.id) {
                duplicate[pair[1] as usize] = true;
                conflicting += u64::from(!first.same_content(second));
            }
        }
        if conflicting > 0 {
            sink.warn(format!(
                "{conflicting} duplicate trade ids carry different time, price, size or side: \
                 the earliest copy was kept"
            ));
        }
        duplicate
    }
}

/// Reads the next record; `false` at the end. A CSV-level failure (I/O, broken gzip) stops the
/// import: rows cannot be trusted past it.
pub(crate) fn read_record<R: std::io::Read>(
    reader: &mut csv::Reader<R>,
    record: &mut ByteRecord,
    source: &str,
) -> Result<bool, DataError> {
    reader
        .read_byte_record(record)
        .map_err(|error| DataError::InvalidInput {
            path: source.into(),
            message: format!("CSV read failed: {error}"),
        })
}

/// The record's fields joined again, for a quarantine row's content.
pub(crate) fn join_record(record: &ByteRecord, delimiter: u8) -> Vec<u8> {
    let mut content = Vec::with_capacity(record.as_slice().len() + record.len());
    for (index, field) in record.iter().enumerate() {
        if index > 0 {
            content.push(delimiter);
        }
        content.extend_from_slice(field);
        if content.len() > QuarantinedRow::MAX_CONTENT {
            break;
        }
    }
    content
}

/// Finds the index of a header name (case-insensitive, surrounding spaces and BOM ignored).
pub(crate) fn header_index(header: &ByteRecord, name: &str) -> Option<usize> {
    header
        .iter()
        .position(|field| trim_ascii(field).eq_ignore_ascii_case(name.trim().as_bytes()))
}

fn resolve_positions(
    mapping: &CsvMapping,
    header: Option<&ByteRecord>,
    source: &str,
) -> Result<Positions, DataError> {
    let resolve = |column: &Column| -> Result<usize, DataError> {
        match (column, header) {
            (Column::Index(index), _) => Ok(*index),
            (Column::Name(name), Some(header)) => {
                header_index(header, name).ok_or_else(|| DataError::InvalidInput {
                    path: source.into(),
                    message: format!(
                        "no column {name:?} in the header ({})",
                        String::from_utf8_lossy(&join_record(header, mapping.delimiter))
                    ),
                })
            }
            (Column::Name(name), None) => Err(DataError::InvalidOption(format!(
                "column {name:?} is named but the mapping says the file has no header"
            ))),
        }
    };
    let optional = |column: &Option<Column>| column.as_ref().map(resolve).transpose();
    Ok(Positions {
        timestamp: resolve(&mapping.timestamp)?,
        receive: optional(&mapping.receive_timestamp)?,
        price: resolve(&mapping.price)?,
        size: resolve(&mapping.size)?,
        side: optional(&mapping.side)?,
        id: optional(&mapping.id)?,
        symbol: optional(&mapping.symbol)?,
    })
}

/// Why a decimal field could not be read (the types crate's one decimal parser).
pub use auction_trader_types::DecimalError;

/// A strictly positive decimal (SPEC 1.3: no zero or negative prices or trade sizes), as a raw
/// fixed-point value; the error is the quarantine reason.
pub(crate) fn positive<T: TryFrom<i128>>(text: &[u8], what: &str) -> Result<T, String> {
    match parse_decimal(text) {
        Ok((raw, _)) if raw > 0 => narrow(raw, what),
        Ok((0, _)) => Err(format!("zero {what}")),
        Ok(_) => Err(format!("negative {what}")),
        Err(error) => Err(format!("{what}: {error}")),
    }
}

/// A decimal that may be zero (a depth size that removes a level) but never negative.
pub(crate) fn non_negative<T: TryFrom<i128>>(text: &[u8], what: &str) -> Result<T, String> {
    match parse_decimal(text) {
        Ok((raw, _)) if raw >= 0 => narrow(raw, what),
        Ok(_) => Err(format!("negative {what}")),
        Err(error) => Err(format!("{what}: {error}")),
    }
}

/// A raw value in the width of its destination: `i128` for sizes (never fails), `i64` for
/// prices and rates (a value beyond ±9.2·10^9 is out of range).
pub(crate) fn narrow<T: TryFrom<i128>>(raw: i128, what: &str) -> Result<T, String> {
    T::try_from(raw).map_err(|_| format!("{what}: {}", DecimalError::Overflow))
}

/// Parses a decimal field into a raw fixed-point value (10^-9 units, see
/// [`auction_trader_types::FIXED_SCALE`]); surrounding whitespace (and a byte-order mark) is ignored; the
/// types crate's one parser ([`auction_trader_types::parse_decimal_lenient`]) does the rest. The common case
/// (plain decimal, at most 9 decimals) is exact and allocation-free. Also read: scientific
/// notation (`1e-05`, as pandas writes small floats) and more than 9 decimals (float noise such
/// as `0.30000000000000004`), rounded half away from zero; the flag says a value was rounded.
#[inline]
pub fn parse_decimal(text: &[u8]) -> Result<(i128, bool), DecimalError> {
    auction_trader_types::parse_decimal_lenient(trim_ascii(text))
}

/// A trade id from its text: numbers as they are, anything else (UUIDs) hashed, exactly as
/// [`TradeId::from_venue_str`] does; non-UTF-8 bytes are hashed too.
#[inline]
pub fn trade_id_from_bytes(text: &[u8]) -> TradeId {
    match std::str::from_utf8(text) {
        Ok(text) => TradeId::from_venue_str(text),
        Err(_) => TradeId(fnv1a_64(text)),
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::StreamKind;
    use proptest::prelude::*;

    use super::*;
    use crate::CollectedEvents;

    fn key() -> InstrumentKey {
        InstrumentKey::new("somewhere", "BTCUSD", MarketKind::Perpetual)
    }

    fn run(text: &str, mapping: &CsvMapping) -> (CollectedEvents, ImportSummary) {
        let mut sink = CollectedEvents::new();
        let summary = import_trades(
            &mut text.as_bytes(),
            "fixture.csv",
            mapping,
            &key(),
            &mut sink,
        )
        .unwrap();
        (sink, summary)
    }

    fn trades(sink: &CollectedEvents) -> Vec<Trade> {
        sink.events
            .iter()
            .filter_map(|tagged| match tagged.event {
                MarketEvent::Trade(trade) => Some(trade),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn decimals_are_exact_and_lenient_forms_are_flagged() {
        assert_eq!(
            parse_decimal(b" 1406502.0 "),
            Ok((1_406_502_000_000_000, false))
        );
        assert_eq!(parse_decimal(b"0.00148089"), Ok((1_480_890, false)));
        // 1e-05 = 0.00001 -> 10_000 raw.
        assert_eq!(parse_decimal(b"1e-05"), Ok((10_000, false)));
        assert_eq!(parse_decimal(b"-2.5E+3"), Ok((-2_500_000_000_000, false)));
        // 0.30000000000000004 -> 0.300000000 after rounding the 17th decimal away.
        assert_eq!(
            parse_decimal(b"0.30000000000000004"),
            Ok((300_000_000, true))
        );
        // 0.1234567895 rounds half away from zero to 0.123456790.
        assert_eq!(parse_decimal(b"0.1234567895"), Ok((123_456_790, true)));
        assert_eq!(parse_decimal(b""), Err(DecimalError::Blank));
        assert_eq!(parse_decimal(b"abc"), Err(DecimalError::Invalid));
        assert_eq!(parse_decimal(b"1,5"), Err(DecimalError::Invalid));
        assert_eq!(parse_decimal(b"NaN"), Err(DecimalError::Invalid));
        assert_eq!(parse_decimal(b"1e30"), Err(DecimalError::Overflow));
    }

    #[test]
    fn side_vocabularies() {
        let taker = SideVocabulary::taker_words();
        assert_eq!(taker.classify(b"BUY"), Some(AggressorSide::Buy));
        assert_eq!(taker.classify(b" s "), Some(AggressorSide::Sell));
        assert_eq!(taker.classify(b"A"), Some(AggressorSide::Sell));
        assert_eq!(taker.classify(b""), Some(AggressorSide::Unknown));
        assert_eq!(taker.classify(b"sideways"), None);
        let maker = SideVocabulary::buyer_maker_flag();
        assert_eq!(maker.classify(b"True"), Some(AggressorSide::Sell));
        assert_eq!(maker.classify(b"false"), Some(AggressorSide::Buy));
    }

    #[test]
    fn maps_columns_detects_epoch_ms_and_sorts_descending_input() {
        // Descending rows, a duplicate id, a blank time and a zero size.
        let text = "time,px,qty,side,tid\n\
                    1600000002000,10.5,2,sell,3\n\
                    1600000001000,10.0,1,BUY,2\n\
                    1600000001000,10.0,1,BUY,2\n\
                    ,10.0,1,buy,9\n\
                    1600000000000,9.5,0,buy,1\n\
                    1600000000500,9.75,0.25,,0\n";
        let mapping = CsvMapping::new("time", "px", "qty")
            .with_side("side")
            .with_id("tid");
        let (sink, summary) = run(text, &mapping);
        let trades = trades(&sink);
        assert_eq!(trades.len(), 3);
        // 1600000000500 ms = 1_600_000_000_500_000_000 ns; sorted ascending.
        assert_eq!(trades[0].ts_event, UnixNanos(1_600_000_000_500_000_000));
        assert_eq!(trades[0].aggressor, AggressorSide::Unknown);
        assert_eq!(trades[0].size, Quantity::from_decimal_str("0.25").unwrap());
        assert_eq!(trades[1].trade_id, TradeId(2));
        assert_eq!(trades[1].aggressor, AggressorSide::Buy);
        assert_eq!(trades[2].price, Price::from_decimal_str("10.5").unwrap());
        assert_eq!(trades[2].aggressor, AggressorSide::Sell);
        assert_eq!(trades[2].ts_recv, trades[2].ts_event);
        let reasons: Vec<&str> = sink
            .quarantined
            .iter()
            .map(|row| row.reason.as_str())
            .collect();
        assert_eq!(
            reasons,
            [
                "timestamp: blank timestamp",
                "zero size",
                "duplicate trade id 2"
            ]
        );
        assert_eq!(sink.quarantined[0].line, 5);
        assert_eq!(sink.quarantined[2].line, 4);
        // 1 header + 6 rows = 3 events + 3 quarantined + 1 header.
        assert_eq!(
            summary,
            ImportSummary {
                records_read: 7,
                events: 3,
                quarantined: 3
            }
        );
        assert!(
            sink.warnings
                .iter()
                .any(|warning| warning.contains("not in time order"))
        );
    }

    #[test]
    fn index_columns_without_header_and_iso_in_a_zone() {
        let text =
            "2018-01-21 00:00:10.5;100;1;b\n2018-01-21 00:00:11;101;-1;s\nnot-a-time;1;1;b\n";
        let mut mapping = CsvMapping::new(0, 1, 2)
            .with_side(3)
            .with_format(TimestampFormat::Iso8601);
        mapping.has_header = false;
        mapping.delimiter = b';';
        mapping.zone_offset = ZoneOffset::from_seconds(9 * 3600).unwrap();
        let (sink, summary) = run(text, &mapping);
        let trades = trades(&sink);
        assert_eq!(trades.len(), 1);
        // 2018-01-21 00:00:10.5 JST = 2018-01-20 15:00:10.5 UTC = 1_516_460_410.5 s.
        assert_eq!(trades[0].ts_event, UnixNanos(1_516_460_410_500_000_000));
        assert_eq!(trades[0].trade_id, TradeId(0));
        assert_eq!(sink.quarantined[0].reason, "negative size");
        assert_eq!(
            sink.quarantined[1].reason,
            "timestamp: invalid character in timestamp"
        );
        assert_eq!(summary.records_read, 3);
    }

    #[test]
    fn quoted_fields_crlf_and_lenient_numbers() {
        // Quoted fields with commas, CRLF line ends, a pandas float and a scientific size.
        let text = "\"time\",\"price\",\"size\",\"note\"\r\n\
                    \"2024-01-02T03:04:05.5Z\",\"42000.5\",1e-05,\"a, b\"\r\n\
                    \"2024-01-02T03:04:06Z\",0.30000000000000004,2,x\r\n";
        let (sink, summary) = run(text, &CsvMapping::new("time", "price", "size"));
        assert_eq!(summary.events, 2);
        let trades = trades(&sink);
        // 2024-01-02T03:04:05.5Z = 1_704_164_645.5 s.
        assert_eq!(trades[0].ts_event, UnixNanos(1_704_164_645_500_000_000));
        assert_eq!(trades[0].size, Quantity::from_raw(10_000));
        assert_eq!(trades[1].price, Price::from_raw(300_000_000));
        assert!(
            sink.warnings
                .iter()
                .any(|warning| warning.contains("rounded to 9"))
        );
    }

    #[test]
    fn streaming_mode_keeps_source_order_and_counts_inversions() {
        let text = "ts,price,size,id\n1600000002,1,1,7\n1600000001,1,1,8\n1600000003,1,1,7\n";
        let mapping = CsvMapping::new("ts", "price", "size")
            .with_id("id")
            .with_sort(SortMode::Off);
        let (sink, summary) = run(text, &mapping);
        let ids: Vec<u64> = trades(&sink).iter().map(|trade| trade.trade_id.0).collect();
        assert_eq!(ids, [7, 8]);
        assert_eq!(summary.quarantined, 1);
        assert!(
            sink.warnings
                .iter()
                .any(|warning| warning.starts_with("1 trades are earlier"))
        );
    }

    #[test]
    fn symbol_column_registers_one_instrument_per_symbol() {
        let text =
            "ts,sym,p,q\n1600000000,ETHUSD,1,1\n1600000001,BTCUSD,2,1\n1600000002,ETHUSD,3,1\n";
        let mapping = CsvMapping::new("ts", "p", "q").with_symbol("sym");
        let (sink, _) = run(text, &mapping);
        assert_eq!(sink.instruments.len(), 2);
        assert_eq!(sink.instruments[0].symbol, "ETHUSD");
        let eth = sink.slot_of(&sink.instruments[0]).unwrap();
        assert_eq!(sink.of_kind(eth, StreamKind::Trade).count(), 2);
    }

    #[test]
    fn undetectable_timestamps_stop_the_import_with_a_clear_error() {
        let mapping = CsvMapping::new("ts", "p", "q");
        let mut sink = CollectedEvents::new();
        let error = import_trades(
            &mut "ts,p,q\n1,1,1\n2,1,1\n".as_bytes(),
            "f.csv",
            &mapping,
            &key(),
            &mut sink,
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("set the format explicitly"),
            "{error}"
        );
        let error = import_trades(
            &mut "a,b\n1,2\n".as_bytes(),
            "f.csv",
            &mapping,
            &key(),
            &mut sink,
        )
        .unwrap_err();
        assert!(error.to_string().contains("no column \"ts\""), "{error}");
    }

    #[test]
    fn ambiguous_detection_quarantines_rows_of_the_minority_unit() {
        let text = "ts,p,q\n1735689600000,1,1\n1735689600001,1,1\n1735689600000002,1,1\n";
        let (sink, summary) = run(text, &CsvMapping::new("ts", "p", "q"));
        assert_eq!(summary.events, 2);
        assert!(sink.quarantined[0].reason.contains("plausible range"));
        assert!(sink.warnings[0].contains("only 2 of 3"));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let mut sink = CollectedEvents::new();
            let mapping = CsvMapping::new(0, 1, 2).with_side(3).with_id(4);
            let _ = import_trades(&mut bytes.as_slice(), "fuzz", &mapping, &key(), &mut sink);
            let mut named = CsvMapping::new(0, 1, 2);
            named.has_header = false;
            named.sort = SortMode::Off;
            let _ = import_trades(&mut bytes.as_slice(), "fuzz", &named, &key(), &mut sink);
            let _ = parse_decimal(&bytes);
        }

        #[test]
        fn lenient_decimals_agree_with_the_exact_parser(raw in any::<i64>()) {
            let text = Price::from_raw(raw).to_string();
            prop_assert_eq!(parse_decimal(text.as_bytes()), Ok((i128::from(raw), false)));
        }

        #[test]
        fn wide_decimals_agree_with_the_exact_parser(raw in (i128::MIN + 1)..=i128::MAX) {
            let text = Quantity::from_raw(raw).to_string();
            prop_assert_eq!(parse_decimal(text.as_bytes()), Ok((raw, false)));
        }
    }
}
