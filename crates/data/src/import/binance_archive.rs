//! Binance public-data archive CSVs (data.binance.vision; SPEC 1.2: "Binance public data
//! files (trades, aggTrades, bookTicker, bookDepth, klines, fundingRate)") and the T_DEPTH
//! order-book files, plain or `.zip`, with or without a header row (newer files have one).
//!
//! | kind | columns | becomes |
//! |---|---|---|
//! | trades | `id,price,qty,quote_qty,time,is_buyer_maker[,is_best_match]` | [`Trade`] (`is_buyer_maker=true`: the aggressor sold) |
//! | aggTrades | `agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker[,is_best_match]` | [`Trade`] with the aggregate id |
//! | bookTicker | `update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time` | [`Quote`]: ts_event = transaction time, ts_recv = event time (the archive has no local receive time; the event time is the nearest proxy) |
//! | klines | `open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore` | [`Bar`]: buy volume = taker buy volume, sell = volume − taker buy, VWAP = quote volume / volume, closed at `close_time` + 1 unit |
//! | fundingRate | `calc_time,funding_interval_hours,last_funding_rate` | [`Funding`] at `calc_time`, next funding = calc time + interval |
//! | T_DEPTH | `symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu` | [`BookDelta`] rows, one message per update id (`snap` rows: SNAPSHOT, CLEAR on the first) |
//! | bookDepth | `timestamp,percentage,depth,notional` | nothing: see below |
//!
//! bookDepth is depth aggregated by ±% band around the mid, not price levels: no [`BookDelta`]
//! can be derived from it honestly, so its rows are counted and skipped with one warning.
//!
//! The kind comes from the file name (`BTCUSDT-trades-2024-08-08.zip`, `BTCUSDT-1m-...` for
//! klines) or the header, or [`ArchiveOptions::kind`]. Timestamps are milliseconds or (spot
//! since 2025) microseconds: the unit is detected per file with the span-checked detector.
//! Venue: [`ArchiveOptions::venue`], else the archive path (`futures/um`, `futures/cm`, `spot`),
//! else the symbol (`BTCUSD_PERP` is COIN-M) or the spot-only `is_best_match` column, else
//! `binance-usdm` with a warning.

use std::io::BufRead;
use std::path::Path;

use auction_trader_types::{
    AggressorSide, Bar, BookDelta, BookSide, DeltaFlags, FIXED_SCALE, Funding, InstrumentKey,
    MarketEvent, Price, Quantity, Quote, QuoteFlags, Rate, Trade, UnixNanos,
};
use csv::ByteRecord;

use super::generic_csv::{
    header_index, join_record, narrow, non_negative, parse_decimal, positive, read_record,
    trade_id_from_bytes,
};
use super::timestamp::{TimestampParser, ZoneOffset, detect_format, trim_ascii};
use crate::input::for_each_input;
use crate::instruments::{BINANCE_COINM, BINANCE_SPOT, BINANCE_USDM, market_of_venue};
use crate::validate::trade_ids::TradeIdSet;
use crate::validity::check_event;
use crate::{DataError, EventSink, ImportSummary, InstrumentSlot, QuarantinedRow};

/// Rows sampled to detect the timestamp unit of a file.
const UNIT_SAMPLE_ROWS: usize = 256;

/// The archive datasets we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    Trades,
    AggTrades,
    BookTicker,
    BookDepth,
    Klines,
    FundingRate,
    /// Binance T_DEPTH snapshot / update files.
    Depth,
}

impl ArchiveKind {
    /// Canonical column order of the kind (headerless files) and the header names accepted
    /// for each column.
    fn columns(self) -> &'static [&'static [&'static str]] {
        match self {
            Self::Trades => &[
                &["id"],
                &["price"],
                &["qty", "quantity"],
                &["time"],
                &["is_buyer_maker"],
            ],
            Self::AggTrades => &[
                &["agg_trade_id", "a"],
                &["price", "p"],
                &["quantity", "qty", "q"],
                &["transact_time", "timestamp", "T"],
                &["is_buyer_maker", "m"],
            ],
            Self::BookTicker => &[
                &["update_id"],
                &["best_bid_price"],
                &["best_bid_qty"],
                &["best_ask_price"],
                &["best_ask_qty"],
                &["transaction_time"],
                &["event_time"],
            ],
            Self::Klines => &[
                &["open_time"],
                &["open"],
                &["high"],
                &["low"],
                &["close"],
                &["volume"],
                &["close_time"],
                &["quote_volume"],
                &["count"],
                &["taker_buy_volume"],
            ],
            Self::FundingRate => &[
                &["calc_time"],
                &["funding_interval_hours"],
                &["last_funding_rate"],
            ],
            Self::Depth => &[
                &["symbol"],
                &["timestamp"],
                &["first_update_id"],
                &["last_update_id"],
                &["side"],
                &["update_type"],
                &["price"],
                &["qty"],
                &["pu"],
            ],
            Self::BookDepth => &[&["timestamp"]],
        }
    }

    /// Position in headerless files of each canonical column.
    fn default_positions(self) -> &'static [usize] {
        match self {
            // id, price, qty, (quote_qty), time, is_buyer_maker
            Self::Trades => &[0, 1, 2, 4, 5],
            // agg id, price, qty, (first, last), time, is_buyer_maker
            Self::AggTrades => &[0, 1, 2, 5, 6],
            Self::BookTicker => &[0, 1, 2, 3, 4, 5, 6],
            Self::Klines => &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
            Self::FundingRate => &[0, 1, 2],
            Self::Depth => &[0, 1, 2, 3, 4, 5, 6, 7, 8],
            Self::BookDepth => &[0],
        }
    }

    /// Index (among the canonical columns) of the column whose unit is detected.
    fn time_column(self) -> usize {
        match self {
            Self::Trades | Self::AggTrades => 3,
            Self::BookTicker => 5,
            Self::Klines | Self::FundingRate | Self::BookDepth => 0,
            Self::Depth => 1,
        }
    }
}

/// Options of an archive import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchiveOptions {
    pub kind: Option<ArchiveKind>,
    /// `binance-usdm`, `binance-coinm` or `binance-spot`.
    pub venue: Option<String>,
    pub symbol: Option<String>,
}

/// What a data.binance.vision file name says: `(symbol, kind)`.
pub fn parse_file_name(name: &str) -> Option<(String, ArchiveKind)> {
    let base = name.rsplit('/').next().unwrap_or(name);
    let stem = base.split('.').next().unwrap_or(base);
    let mut parts = stem.split('-');
    let symbol = parts.next().filter(|symbol| !symbol.is_empty())?;
    let kind = match parts.next()? {
        "trades" => ArchiveKind::Trades,
        "aggTrades" => ArchiveKind::AggTrades,
        "bookTicker" => ArchiveKind::BookTicker,
        "bookDepth" => ArchiveKind::BookDepth,
        "fundingRate" => ArchiveKind::FundingRate,
        interval if is_kline_interval(interval) => ArchiveKind::Klines,
        _ => return None,
    };
    Some((symbol.to_ascii_uppercase(), kind))
}

fn is_kline_interval(text: &str) -> bool {
    let unit_at = text.len().saturating_sub(1);
    text.len() >= 2
        && text[..unit_at].bytes().all(|byte| byte.is_ascii_digit())
        && matches!(&text[unit_at..], "s" | "m" | "h" | "d" | "w" | "M")
}

/// Detects the kind from a header row.
fn kind_from_header(header: &ByteRecord) -> Option<ArchiveKind> {
    let has = |name: &str| header_index(header, name).is_some();
    if has("update_type") {
        Some(ArchiveKind::Depth)
    } else if has("best_bid_price") {
        Some(ArchiveKind::BookTicker)
    } else if has("agg_trade_id") || has("first_trade_id") {
        Some(ArchiveKind::AggTrades)
    } else if has("open_time") {
        Some(ArchiveKind::Klines)
    } else if has("calc_time") || has("last_funding_rate") {
        Some(ArchiveKind::FundingRate)
    } else if has("percentage") && has("notional") {
        Some(ArchiveKind::BookDepth)
    } else if has("is_buyer_maker") {
        Some(ArchiveKind::Trades)
    } else {
        None
    }
}

/// Guesses the kind of a headerless row by its shape (used only when the name says nothing).
fn kind_from_row(row: &ByteRecord) -> Option<ArchiveKind> {
    let is_flag = |index: usize| {
        row.get(index).is_some_and(|field| {
            field.eq_ignore_ascii_case(b"true") || field.eq_ignore_ascii_case(b"false")
        })
    };
    match row.len() {
        12 => Some(ArchiveKind::Klines),
        6 if is_flag(5) => Some(ArchiveKind::Trades),
        7 if is_flag(5) => Some(ArchiveKind::Trades),
        7 if is_flag(6) => Some(ArchiveKind::AggTrades),
        8 if is_flag(6) => Some(ArchiveKind::AggTrades),
        3 => Some(ArchiveKind::FundingRate),
        _ => None,
    }
}

/// The venue an archive path (data.binance.vision layout, or a name such as
/// `binance_usdm_btcusdt_depth_snapshot_20221102.csv`) implies, if any.
fn venue_from_path(path: &str) -> Option<&'static str> {
    let path = path.replace('\\', "/").to_ascii_lowercase();
    if path.contains("futures/um") || path.contains("usdm") {
        Some(BINANCE_USDM)
    } else if path.contains("futures/cm") || path.contains("coinm") {
        Some(BINANCE_COINM)
    } else if path.contains("/spot/") || path.starts_with("spot/") || path.contains("binance_spot")
    {
        Some(BINANCE_SPOT)
    } else {
        None
    }
}

/// Spot trade archives carry an extra `is_best_match` column (7 columns for trades, 8 for
/// aggTrades, against 6 and 7 on futures).
fn looks_spot(
    kind: ArchiveKind,
    header: Option<&ByteRecord>,
    first_row: Option<&ByteRecord>,
) -> bool {
    if header.is_some_and(|header| header_index(header, "is_best_match").is_some()) {
        return true;
    }
    match (kind, first_row) {
        (ArchiveKind::Trades, Some(row)) => row.len() == 7,
        (ArchiveKind::AggTrades, Some(row)) => row.len() == 8,
        _ => false,
    }
}

/// Imports one archive file (plain, `.gz` or `.zip`; every member of a zip).
pub fn import_file(
    path: &Path,
    options: &ArchiveOptions,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    let mut options = options.clone();
    if options.venue.is_none() {
        options.venue = venue_from_path(&path.to_string_lossy()).map(str::to_owned);
    }
    let mut total = ImportSummary::default();
    for_each_input(path, |name, reader| {
        let part = import_reader(reader, name, &options, sink)?;
        total.add(&part);
        Ok(())
    })?;
    Ok(total)
}

/// Imports several archive files in the given order.
pub fn import_files<P: AsRef<Path>>(
    paths: &[P],
    options: &ArchiveOptions,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    let mut total = ImportSummary::default();
    for path in paths {
        let part = import_file(path.as_ref(), options, sink)?;
        total.add(&part);
    }
    Ok(total)
}

/// Imports one decompressed archive CSV; `source` is its file name (kind and symbol are read
/// from it when the options do not say).
pub fn import_reader(
    reader: &mut dyn BufRead,
    source: &str,
    options: &ArchiveOptions,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    let mut records = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut summary = ImportSummary::default();
    let mut record = ByteRecord::new();
    if !read_record(&mut records, &mut record, source)? {
        return Ok(summary);
    }
    let from_name = parse_file_name(source);
    let first_is_header = record
        .get(0)
        .map(trim_ascii)
        .is_some_and(|field| !field.first().is_some_and(u8::is_ascii_digit));
    let header = first_is_header.then(|| record.clone());
    let kind = options
        .kind
        .or(from_name.as_ref().map(|(_, kind)| *kind))
        .or_else(|| header.as_ref().and_then(kind_from_header))
        .or_else(|| if first_is_header { None } else { kind_from_row(&record) })
        .ok_or_else(|| DataError::UnknownFormat {
            path: source.into(),
            hint: "not a Binance trades/aggTrades/bookTicker/bookDepth/klines/fundingRate/T_DEPTH file \
                   (name it like BTCUSDT-trades-2024-08-08.csv or set the kind)"
                .to_owned(),
        })?;

    let mut sample = Vec::new();
    if first_is_header {
        summary.records_read = 1;
    } else {
        sample.push(record.clone());
    }
    while sample.len() < UNIT_SAMPLE_ROWS && read_record(&mut records, &mut record, source)? {
        sample.push(record.clone());
    }
    let positions = positions(kind, header.as_ref());
    if kind == ArchiveKind::BookDepth {
        let mut skipped = sample.len() as u64;
        while read_record(&mut records, &mut record, source)? {
            skipped += 1;
        }
        summary.records_read += skipped;
        sink.warn(format!(
            "{source}: bookDepth holds depth aggregated per ±% band, not price levels; \
             {skipped} rows skipped (no order-book rows can be derived from it)"
        ));
        return Ok(summary);
    }
    if sample.is_empty() {
        return Ok(summary);
    }
    let time_index = positions[kind.time_column()];
    let detection = detect_format(
        sample
            .iter()
            .map(|row| row.get(time_index).unwrap_or_default()),
        ZoneOffset::UTC,
    )
    .map_err(|error| DataError::InvalidInput {
        path: source.into(),
        message: format!("timestamp unit detection failed: {error}"),
    })?;
    if detection.format.unit_nanos().is_none() {
        return Err(DataError::InvalidInput {
            path: source.into(),
            message: "Binance archive timestamps must be epoch numbers".to_owned(),
        });
    }
    if let Some(warning) = &detection.warning {
        sink.warn(format!("{source}: {warning}"));
    }
    let parser = TimestampParser::from_detection(&detection, ZoneOffset::UTC);

    let symbol_hint = options
        .symbol
        .as_deref()
        .or(from_name.as_ref().map(|(symbol, _)| symbol.as_str()));
    let venue = if let Some(venue) = &options.venue {
        venue.clone()
    } else if let Some(venue) = venue_from_path(source) {
        venue.to_owned()
    } else if symbol_hint.is_some_and(|symbol| symbol.contains("USD_")) {
        // COIN-M symbols: BTCUSD_PERP, BTCUSD_240927.
        BINANCE_COINM.to_owned()
    } else if looks_spot(kind, header.as_ref(), sample.first()) {
        BINANCE_SPOT.to_owned()
    } else {
        sink.warn(format!(
            "{source}: venue not given and not in the path: assumed {BINANCE_USDM}"
        ));
        BINANCE_USDM.to_owned()
    };
    let symbol = options
        .symbol
        .clone()
        .or_else(|| from_name.map(|(symbol, _)| symbol))
        .or_else(|| {
            (kind == ArchiveKind::Depth)
                .then(|| {
                    sample[0]
                        .get(positions[0])
                        .map(|field| String::from_utf8_lossy(trim_ascii(field)).into_owned())
                })
                .flatten()
        })
        .ok_or_else(|| {
            DataError::InvalidOption(format!(
                "{source}: symbol unknown: set ArchiveOptions::symbol"
            ))
        })?;
    let market = market_of_venue(&venue);
    let slot = sink.instrument(&InstrumentKey::new(venue, symbol, market));

    let mut rows = Rows {
        kind,
        positions,
        parser,
        slot,
        source,
        summary,
        held: None,
        unit_nanos: detection.format.unit_nanos().unwrap_or(1),
        trade_ids: TradeIdSet::new(1 << 16),
    };
    for row in &sample {
        rows.row(row, sink);
    }
    drop(sample);
    while read_record(&mut records, &mut record, source)? {
        rows.row(&record, sink);
    }
    rows.flush(sink);
    Ok(rows.summary)
}

/// Positions of the canonical columns: by header name when the file has a header, else the
/// documented order.
fn positions(kind: ArchiveKind, header: Option<&ByteRecord>) -> Vec<usize> {
    kind.columns()
        .iter()
        .zip(kind.default_positions())
        .map(|(names, &default)| {
            header
                .and_then(|header| names.iter().find_map(|name| header_index(header, name)))
                .unwrap_or(default)
        })
        .collect()
}

/// A T_DEPTH row held until the next row tells whether its message ends.
#[derive(Debug, Clone, Copy)]
struct HeldDepth {
    delta: BookDelta,
    is_snapshot: bool,
}

struct Rows<'a> {
    kind: ArchiveKind,
    positions: Vec<usize>,
    parser: TimestampParser,
    slot: InstrumentSlot,
    source: &'a str,
    summary: ImportSummary,
    held: Option<HeldDepth>,
    unit_nanos: i64,
    /// Trade ids seen: a repeated id is quarantined (SPEC 1.3, one rule for every importer).
    trade_ids: TradeIdSet,
}

impl Rows<'_> {
    fn row(&mut self, record: &ByteRecord, sink: &mut dyn EventSink) {
        self.summary.records_read += 1;
        if let Err(reason) = self.parse(record, sink) {
            self.summary.quarantined += 1;
            let line = record.position().map_or(0, csv::Position::line);
            sink.quarantine(QuarantinedRow::new(
                self.source,
                line,
                reason,
                &join_record(record, b','),
            ));
        }
    }

    /// The trimmed text of canonical column `column`.
    fn field<'r>(&self, record: &'r ByteRecord, column: usize) -> Result<&'r [u8], String> {
        record
            .get(self.positions[column])
            .map(trim_ascii)
            .ok_or_else(|| format!("missing column {}", self.kind.columns()[column][0]))
    }

    fn time(&self, record: &ByteRecord, column: usize) -> Result<UnixNanos, String> {
        self.parser
            .parse(self.field(record, column)?)
            .map_err(|error| format!("{}: {error}", self.kind.columns()[column][0]))
    }

    fn parse(&mut self, record: &ByteRecord, sink: &mut dyn EventSink) -> Result<(), String> {
        if std::str::from_utf8(record.as_slice()).is_err() {
            return Err("row is not valid UTF-8".to_owned());
        }
        let field = |column: usize| self.field(record, column);
        let time = |column: usize| self.time(record, column);
        let event = match self.kind {
            ArchiveKind::Trades | ArchiveKind::AggTrades => {
                let stamp = time(3)?;
                MarketEvent::Trade(Trade {
                    ts_event: stamp,
                    ts_recv: stamp,
                    price: Price::from_raw(positive(field(1)?, "price")?),
                    size: Quantity::from_raw(positive(field(2)?, "quantity")?),
                    aggressor: buyer_maker_side(field(4)?)?,
                    trade_id: trade_id_from_bytes(field(0)?),
                })
            }
            ArchiveKind::BookTicker => MarketEvent::Quote(Quote {
                ts_event: time(5)?,
                ts_recv: time(6)?,
                bid_price: Price::from_raw(positive(field(1)?, "best_bid_price")?),
                bid_size: Quantity::from_raw(non_negative(field(2)?, "best_bid_qty")?),
                ask_price: Price::from_raw(positive(field(3)?, "best_ask_price")?),
                ask_size: Quantity::from_raw(non_negative(field(4)?, "best_ask_qty")?),
                update_id: integer(field(0)?, "update_id")?,
                flags: QuoteFlags::default(),
            }),
            ArchiveKind::Klines => MarketEvent::Bar(self.bar(record)?),
            ArchiveKind::FundingRate => {
                let stamp = time(0)?;
                let hours = integer(field(1)?, "funding_interval_hours")?;
                let interval = i64::try_from(hours)
                    .ok()
                    .and_then(|hours| hours.checked_mul(3_600 * 1_000_000_000))
                    .ok_or("funding_interval_hours out of range")?;
                let rate = parse_decimal(field(2)?)
                    .map_err(|error| format!("last_funding_rate: {error}"))?;
                let rate = narrow(rate.0, "last_funding_rate")?;
                MarketEvent::Funding(Funding {
                    ts_event: stamp,
                    ts_recv: stamp,
                    rate: Rate::from_raw(rate),
                    next_funding_time: stamp.saturating_add_nanos(interval),
                    mark_price: Price::ZERO,
                    index_price: Price::ZERO,
                })
            }
            ArchiveKind::Depth => {
                let stamp = time(1)?;
                let side = match field(4)? {
                    b"b" | b"B" | b"bid" => BookSide::Bid,
                    b"a" | b"A" | b"ask" => BookSide::Ask,
                    other => {
                        return Err(format!("unknown side {:?}", String::from_utf8_lossy(other)));
                    }
                };
                let is_snapshot = match field(5)? {
                    b"snap" => true,
                    b"set" => false,
                    other => {
                        return Err(format!(
                            "unknown update_type {:?}",
                            String::from_utf8_lossy(other)
                        ));
                    }
                };
                // pu = -1 in snapshot rows: no previous id.
                let previous = match field(8)? {
                    b"" | b"-1" => 0,
                    text => integer(text, "pu")?,
                };
                let delta = BookDelta {
                    ts_event: stamp,
                    ts_recv: stamp,
                    side,
                    price: Price::from_raw(positive(field(6)?, "price")?),
                    size: Quantity::from_raw(non_negative(field(7)?, "qty")?),
                    first_update_id: integer(field(2)?, "first_update_id")?,
                    last_update_id: integer(field(3)?, "last_update_id")?,
                    prev_update_id: previous,
                    flags: DeltaFlags(if is_snapshot { DeltaFlags::SNAPSHOT } else { 0 }),
                };
                check_event(&MarketEvent::Depth(delta)).map_err(|invalid| invalid.0.to_owned())?;
                self.depth(delta, is_snapshot, sink);
                return Ok(());
            }
            ArchiveKind::BookDepth => return Ok(()),
        };
        check_event(&event).map_err(|invalid| invalid.0.to_owned())?;
        if let MarketEvent::Trade(trade) = &event
            && !self.trade_ids.insert(trade.trade_id.0)
        {
            return Err(format!("duplicate trade id {}", trade.trade_id.0));
        }
        self.summary.events += 1;
        sink.event(self.slot, event);
        Ok(())
    }

    fn bar(&self, record: &ByteRecord) -> Result<Bar, String> {
        let field = |column: usize| self.field(record, column);
        let time = |column: usize| self.time(record, column);
        let open_time = time(0)?;
        let close_time = time(6)?;
        if close_time < open_time {
            return Err("close_time before open_time".to_owned());
        }
        let price = |column: usize, what: &str| positive(field(column)?, what).map(Price::from_raw);
        let (open, high, low, close) = (
            price(1, "open")?,
            price(2, "high")?,
            price(3, "low")?,
            price(4, "close")?,
        );
        if low > high || open > high || close > high || open < low || close < low {
            return Err(
                "OHLC values are inconsistent (low > high or open/close outside)".to_owned(),
            );
        }
        let volume = non_negative(field(5)?, "volume")?;
        let taker_buy = non_negative(field(9)?, "taker_buy_volume")?;
        if taker_buy > volume {
            return Err("taker_buy_volume exceeds volume".to_owned());
        }
        let quote_volume = wide_decimal(field(7)?).ok_or("quote_volume: not a decimal number")?;
        // VWAP = quote volume / volume, both 10^-9 units: raw = quote × 10^9 / volume.
        let vwap = if volume == 0 {
            close
        } else {
            let raw = quote_volume
                .checked_mul(i128::from(FIXED_SCALE))
                .ok_or("quote_volume out of range")?
                / volume;
            Price::from_raw(i64::try_from(raw).map_err(|_| "VWAP out of range")?)
        };
        // The bar closes at close_time + 1 unit (close_time is the last ms/µs of the bar).
        let closed_at = close_time.saturating_add_nanos(self.unit_nanos);
        Ok(Bar {
            ts_open: open_time,
            ts_event: closed_at,
            ts_recv: closed_at,
            open,
            high,
            low,
            close,
            volume: Quantity::from_raw(volume),
            vwap,
            buy_volume: Quantity::from_raw(taker_buy),
            sell_volume: Quantity::from_raw(volume - taker_buy),
            trade_count: integer(field(8)?, "count")?,
        })
    }

    fn depth(&mut self, mut delta: BookDelta, is_snapshot: bool, sink: &mut dyn EventSink) {
        let starts_message = match &self.held {
            None => true,
            Some(held) => {
                held.is_snapshot != is_snapshot
                    || held.delta.first_update_id != delta.first_update_id
                    || held.delta.last_update_id != delta.last_update_id
            }
        };
        if is_snapshot && starts_message {
            delta.flags.0 |= DeltaFlags::CLEAR;
        }
        if let Some(held) = self.held.take() {
            self.release(held, starts_message, sink);
        }
        self.held = Some(HeldDepth { delta, is_snapshot });
    }

    fn release(&mut self, mut held: HeldDepth, last: bool, sink: &mut dyn EventSink) {
        if last {
            held.delta.flags.0 |= DeltaFlags::LAST;
        }
        self.summary.events += 1;
        sink.event(self.slot, MarketEvent::Depth(held.delta));
    }

    fn flush(&mut self, sink: &mut dyn EventSink) {
        if let Some(held) = self.held.take() {
            self.release(held, true, sink);
        }
    }
}

fn integer(text: &[u8], what: &str) -> Result<u64, String> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|text| text.parse::<u64>().ok())
        .ok_or_else(|| format!("{what}: not an unsigned integer"))
}

/// `is_buyer_maker`: true means the buyer was the resting order, so the aggressor sold.
fn buyer_maker_side(text: &[u8]) -> Result<AggressorSide, String> {
    if text.eq_ignore_ascii_case(b"true") {
        Ok(AggressorSide::Sell)
    } else if text.eq_ignore_ascii_case(b"false") {
        Ok(AggressorSide::Buy)
    } else {
        Err(format!(
            "is_buyer_maker is {:?}, not true/false",
            String::from_utf8_lossy(text)
        ))
    }
}

/// A non-negative decimal as raw 10^-9 units in `i128` (quote volumes of busy daily klines
/// exceed the `i64` range of a fixed-point value), read by the one decimal parser; digits
/// beyond the ninth decimal are rounded half away from zero.
fn wide_decimal(text: &[u8]) -> Option<i128> {
    match auction_trader_types::parse_decimal_lenient(text) {
        Ok((raw, _)) if raw >= 0 => Some(raw),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{MarketKind, TradeId};
    use proptest::prelude::*;

    use super::*;
    use crate::CollectedEvents;

    fn run(name: &str, text: &str, options: &ArchiveOptions) -> (CollectedEvents, ImportSummary) {
        let mut sink = CollectedEvents::new();
        let summary = import_reader(&mut text.as_bytes(), name, options, &mut sink).unwrap();
        (sink, summary)
    }

    fn events(sink: &CollectedEvents) -> Vec<MarketEvent> {
        sink.events.iter().map(|tagged| tagged.event).collect()
    }

    #[test]
    fn file_names_give_symbol_and_kind() {
        assert_eq!(
            parse_file_name("BTCUSDT-trades-2024-08-08.zip"),
            Some(("BTCUSDT".into(), ArchiveKind::Trades))
        );
        assert_eq!(
            parse_file_name("BTCUSDT-aggTrades-2024-08-08.zip/BTCUSDT-aggTrades-2024-08-08.csv"),
            Some(("BTCUSDT".into(), ArchiveKind::AggTrades))
        );
        assert_eq!(
            parse_file_name("BTCUSDT-1m-2024-08-08.csv"),
            Some(("BTCUSDT".into(), ArchiveKind::Klines))
        );
        assert_eq!(
            parse_file_name("BTCUSD_PERP-fundingRate-2024-08.csv").map(|(_, kind)| kind),
            Some(ArchiveKind::FundingRate)
        );
        assert_eq!(parse_file_name("BTCUSDT-metrics-2024-08-08.csv"), None);
        assert_eq!(
            venue_from_path("/x/data/futures/um/daily/trades/BTCUSDT/f.zip"),
            Some(BINANCE_USDM)
        );
        assert_eq!(
            venue_from_path("/x/data/spot/daily/trades/BTCUSDT/f.zip"),
            Some(BINANCE_SPOT)
        );
    }

    #[test]
    fn futures_trades_with_header_in_milliseconds() {
        let text = "id,price,qty,quote_qty,time,is_buyer_maker\n\
                    5266583935,61800.20,0.005,309.001,1723161255030,true\n\
                    5266583936,61800.30,0.010,618.003,1723161255031,false\n\
                    5266583937,61800.30,0,0,1723161255031,false\n";
        let options = ArchiveOptions {
            venue: Some(BINANCE_USDM.into()),
            ..ArchiveOptions::default()
        };
        let (sink, summary) = run("BTCUSDT-trades-2024-08-08.csv", text, &options);
        assert_eq!(
            summary,
            ImportSummary {
                records_read: 4,
                events: 2,
                quarantined: 1
            }
        );
        assert_eq!(
            sink.instruments[0],
            InstrumentKey::new(BINANCE_USDM, "BTCUSDT", MarketKind::Perpetual)
        );
        let MarketEvent::Trade(trade) = events(&sink)[0] else {
            panic!()
        };
        // 1723161255030 ms = 1_723_161_255_030_000_000 ns; buyer maker -> aggressor sold.
        assert_eq!(trade.ts_event, UnixNanos(1_723_161_255_030_000_000));
        assert_eq!(trade.aggressor, AggressorSide::Sell);
        assert_eq!(trade.trade_id, TradeId(5_266_583_935));
        assert_eq!(trade.price, Price::from_decimal_str("61800.2").unwrap());
        assert_eq!(sink.quarantined[0].reason, "zero quantity");
    }

    #[test]
    fn headerless_spot_trades_in_microseconds_are_spot() {
        // 2025 spot archives: µs timestamps, no header, an is_best_match column.
        let text = "4000000001,95000.01,0.00010000,9.50000100,1735689600123456,False,True\n\
                    4000000002,95000.00,0.00200000,190.00000000,1735689600123999,True,True\n";
        let (sink, summary) = run(
            "BTCUSDT-trades-2025-01-01.csv",
            text,
            &ArchiveOptions::default(),
        );
        assert_eq!(summary.events, 2);
        assert_eq!(sink.instruments[0].venue, BINANCE_SPOT);
        let MarketEvent::Trade(trade) = events(&sink)[0] else {
            panic!()
        };
        // 1735689600123456 µs = 1_735_689_600_123_456_000 ns.
        assert_eq!(trade.ts_event, UnixNanos(1_735_689_600_123_456_000));
        assert_eq!(trade.aggressor, AggressorSide::Buy);
        assert_eq!(trade.size, Quantity::from_raw(100_000));
    }

    #[test]
    fn agg_trades_and_book_ticker() {
        let agg = "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker\n\
                   2235839102,61800.10,0.150,5266583900,5266583902,1723161255030,false\n";
        let (sink, _) = run(
            "BTCUSDT-aggTrades-2024-08-08.csv",
            agg,
            &ArchiveOptions::default(),
        );
        let MarketEvent::Trade(trade) = events(&sink)[0] else {
            panic!()
        };
        assert_eq!(trade.trade_id, TradeId(2_235_839_102));
        assert_eq!(trade.size, Quantity::from_raw(150_000_000));
        assert!(
            sink.warnings
                .iter()
                .any(|warning| warning.contains("assumed binance-usdm"))
        );

        let ticker = "update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time\n\
                      4981245395066,61800.10,3.205,61800.20,0.018,1723161255029,1723161255033\n";
        let (sink, _) = run(
            "BTCUSDT-bookTicker-2024-08-08.csv",
            ticker,
            &ArchiveOptions::default(),
        );
        let MarketEvent::Quote(quote) = events(&sink)[0] else {
            panic!()
        };
        assert_eq!(quote.update_id, 4_981_245_395_066);
        assert_eq!(quote.ts_event, UnixNanos(1_723_161_255_029_000_000));
        assert_eq!(quote.ts_recv, UnixNanos(1_723_161_255_033_000_000));
        assert_eq!(quote.ask_size, Quantity::from_raw(18_000_000));
    }

    #[test]
    fn klines_become_bars_with_buy_and_sell_volume() {
        let text = "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n\
                    1723161240000,61790.0,61810.0,61780.0,61800.0,10.000,1723161299999,617950.000,120,6.000,370770.0,0\n";
        let (sink, summary) = run(
            "BTCUSDT-1m-2024-08-08.csv",
            text,
            &ArchiveOptions::default(),
        );
        assert_eq!(summary.events, 1);
        let MarketEvent::Bar(bar) = events(&sink)[0] else {
            panic!()
        };
        assert_eq!(bar.ts_open, UnixNanos(1_723_161_240_000_000_000));
        // close_time 1723161299999 ms + 1 ms = the next minute, 1723161300000 ms.
        assert_eq!(bar.ts_event, UnixNanos(1_723_161_300_000_000_000));
        // VWAP = 617950 / 10 = 61795.
        assert_eq!(bar.vwap, Price::from_units(61_795).unwrap());
        // buy = 6, sell = 10 − 6 = 4.
        assert_eq!(bar.buy_volume, Quantity::from_units(6).unwrap());
        assert_eq!(bar.sell_volume, Quantity::from_units(4).unwrap());
        assert_eq!(bar.trade_count, 120);
    }

    #[test]
    fn funding_rate_and_book_depth() {
        let text = "calc_time,funding_interval_hours,last_funding_rate\n1723161600000,8,0.00010000\n1723190400000,8,-0.00002500\n";
        let (sink, _) = run(
            "BTCUSDT-fundingRate-2024-08.csv",
            text,
            &ArchiveOptions::default(),
        );
        let MarketEvent::Funding(funding) = events(&sink)[1] else {
            panic!()
        };
        assert_eq!(funding.rate, Rate::from_raw(-25_000));
        // Next funding = 1723190400000 ms + 8 h (28_800_000 ms) = 1723219200000 ms.
        assert_eq!(
            funding.next_funding_time,
            UnixNanos(1_723_219_200_000_000_000)
        );

        let depth = "timestamp,percentage,depth,notional\n2024-08-08 00:00:08,-5,1000.5,60000000.1\n2024-08-08 00:00:08,5,900.1,56000000.2\n";
        let (sink, summary) = run(
            "BTCUSDT-bookDepth-2024-08-08.csv",
            depth,
            &ArchiveOptions::default(),
        );
        assert_eq!(
            summary,
            ImportSummary {
                records_read: 3,
                events: 0,
                quarantined: 0
            }
        );
        assert!(sink.warnings[0].contains("2 rows skipped"));
    }

    #[test]
    fn t_depth_rows_group_per_update_id() {
        let text = "symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu\n\
                    BTCUSDT,1667346579146,2098021528332,2098021528332,b,snap,20377.00,1.770,-1\n\
                    BTCUSDT,1667346579146,2098021528332,2098021528332,a,snap,20377.10,0.500,-1\n\
                    BTCUSDT,1667347199939,2098041693435,2098041696700,a,set,20472.80,0.000,2098041693400\n\
                    BTCUSDT,1667347199939,2098041693435,2098041696700,b,set,20470.00,1.000,2098041693400\n\
                    BTCUSDT,1667347200039,2098041696701,2098041696800,b,set,20470.00,2.000,2098041696700\n";
        let (sink, summary) = run(
            "binance_usdm_btcusdt_depth_20221102.csv",
            text,
            &ArchiveOptions::default(),
        );
        assert_eq!(summary.events, 5);
        assert_eq!(sink.instruments[0].symbol, "BTCUSDT");
        let rows: Vec<BookDelta> = events(&sink)
            .into_iter()
            .filter_map(|event| match event {
                MarketEvent::Depth(delta) => Some(delta),
                _ => None,
            })
            .collect();
        let (s, c, l) = (DeltaFlags::SNAPSHOT, DeltaFlags::CLEAR, DeltaFlags::LAST);
        let flags: Vec<u8> = rows.iter().map(|row| row.flags.0).collect();
        assert_eq!(flags, [s | c, s | l, 0, l, l]);
        assert_eq!(rows[0].prev_update_id, 0);
        assert_eq!(rows[2].prev_update_id, 2_098_041_693_400);
        assert_eq!(rows[2].first_update_id, 2_098_041_693_435);
        assert_eq!(rows[2].size, Quantity::ZERO);
    }

    #[test]
    fn zipped_archive_takes_venue_from_its_path() {
        use std::io::Write;
        let directory = tempfile::tempdir().unwrap();
        let folder = directory.path().join("data/spot/daily/aggTrades/BTCUSDT");
        std::fs::create_dir_all(&folder).unwrap();
        let path = folder.join("BTCUSDT-aggTrades-2024-08-08.zip");
        let mut writer = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        writer
            .start_file(
                "BTCUSDT-aggTrades-2024-08-08.csv",
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
        writer
            .write_all(
                b"3055000001,61800.01,0.01000000,4000000001,4000000002,1723161255030,True,True\n",
            )
            .unwrap();
        writer.finish().unwrap();
        let mut sink = CollectedEvents::new();
        let summary = import_file(&path, &ArchiveOptions::default(), &mut sink).unwrap();
        assert_eq!(
            summary,
            ImportSummary {
                records_read: 1,
                events: 1,
                quarantined: 0
            }
        );
        assert_eq!(
            sink.instruments[0],
            InstrumentKey::new(BINANCE_SPOT, "BTCUSDT", MarketKind::Spot)
        );
        assert!(sink.warnings.is_empty(), "{:?}", sink.warnings);
        let MarketEvent::Trade(trade) = sink.events[0].event else {
            panic!()
        };
        assert_eq!(trade.aggressor, AggressorSide::Sell);
        assert_eq!(trade.trade_id, TradeId(3_055_000_001));
    }

    #[test]
    fn wide_decimals_hold_big_quote_volumes() {
        // 20 billion USDT = 2e10 × 1e9 raw = 2e19 (> i64::MAX ≈ 9.2e18).
        assert_eq!(
            wide_decimal(b"20000000000.5"),
            Some(20_000_000_000_500_000_000)
        );
        assert_eq!(wide_decimal(b"1.2.3"), None);
        assert_eq!(wide_decimal(b""), None);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), name in 0_usize..7) {
            let names = [
                "BTCUSDT-trades-2024-08-08.csv", "BTCUSDT-aggTrades-2024-08-08.csv",
                "BTCUSDT-bookTicker-2024-08-08.csv", "BTCUSDT-1m-2024-08-08.csv",
                "BTCUSDT-fundingRate-2024-08.csv", "depth.csv", "unknown.csv",
            ];
            let mut sink = CollectedEvents::new();
            let _ = import_reader(&mut bytes.as_slice(), names[name], &ArchiveOptions::default(), &mut sink);
        }
    }
}
