//! Bar files: QuantConnect LEAN crypto zips and plain OHLCV CSVs (such as the nautilus
//! `btc-perp_1m_*.csv`), for bar-mode research when no ticks exist (SPEC 1.1: Bar).
//!
//! LEAN (`Data/crypto[future]/{market}/{resolution}/{symbol}/{date}_{trade|quote}.zip`, member
//! `{date}_{symbol}_{resolution}_{trade|quote}[_perp].csv`; flattened names such as
//! `cryptofuture_bybit_minute_btcusdt_20221213_quote.zip` are read too):
//! * minute/second rows start with milliseconds since midnight (UTC) of the file's date; hour
//!   and daily rows with `yyyyMMdd HH:mm`. LEAN stamps a bar with its START time.
//! * trade bars `time,open,high,low,close,volume` -> [`Bar`]. LEAN has no VWAP, taker split or
//!   trade count: `vwap` is the typical price (high + low + close) / 3, buy and sell volume
//!   and trade count are 0 (unknown).
//! * quote bars `time,bid open,high,low,close,last bid size,ask open,high,low,close,last ask
//!   size` -> one [`Quote`] at the bar's close (bid close / ask close with the last sizes),
//!   flagged [`QuoteFlags::NO_EXCHANGE_TIME`]: the time is the bar boundary, not a venue stamp.
//! * venue: `crypto` + binance/bybit -> `binance-spot`/`bybit-spot`; `cryptofuture` +
//!   binance -> `binance-usdm` (USDT symbols) or `binance-coinm` (`btcusd` = `BTCUSD_PERP`),
//!   + bybit -> `bybit-linear` / `bybit-inverse`; other markets keep LEAN's market name.
//!
//! OHLCV CSV (`timestamp,open,high,low,close,volume`, header names case-insensitive): the
//! timestamp format is detected (span-checked) unless given; naive times are UTC unless a zone
//! is set. Whether a row's time labels the bar's open or close is not written in such files:
//! [`BarLabel::Open`] is the default because it is the conservative reading (if the file
//! really labels closes, bars arrive one interval late; the opposite mistake would leak the
//! future into every bar). The interval is inferred as the smallest step between rows unless
//! given. The volume is in whatever unit the file uses (USD for the nautilus file). Every bar
//! is emitted at its close: `ts_event = ts_recv = ts_open + interval` (no look-ahead).

use std::io::BufRead;
use std::path::Path;

use auction_trader_types::{
    Bar, InstrumentKey, MarketEvent, MarketKind, NANOS_PER_MILLI, NANOS_PER_SECOND, Price,
    Quantity, Quote, QuoteFlags, UnixNanos,
};
use csv::ByteRecord;

use super::generic_csv::{header_index, join_record, non_negative, positive, read_record};
use super::timestamp::{
    TimestampFormat, TimestampParser, ZoneOffset, detect_format, parse_iso8601, trim_ascii,
};
use crate::input::for_each_input;
use crate::instruments::{
    BINANCE_COINM, BINANCE_SPOT, BINANCE_USDM, BYBIT_INVERSE, BYBIT_LINEAR, BYBIT_SPOT,
};
use crate::validity::check_event;
use crate::{DataError, EventSink, ImportSummary, InstrumentSlot, QuarantinedRow};

/// Rows read to detect the timestamp format and the interval of an OHLCV CSV.
const SAMPLE_ROWS: usize = 1_000;

/// Which instant a bar's timestamp names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BarLabel {
    /// The first instant of the bar (LEAN, FTX, Binance klines `open_time`).
    #[default]
    Open,
    /// The end of the bar.
    Close,
}

impl BarLabel {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "open" => Some(Self::Open),
            "close" => Some(Self::Close),
            _ => None,
        }
    }
}

/// Options of an OHLCV CSV import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OhlcvOptions {
    pub label: BarLabel,
    /// Bar length in nanoseconds; `None` infers the smallest step between rows.
    pub interval_nanos: Option<i64>,
    /// `None` detects the format.
    pub timestamp_format: Option<TimestampFormat>,
    pub zone_offset: ZoneOffset,
}

/// Imports an OHLCV CSV file (plain, `.gz` or `.zip`) as bars of `instrument`.
pub fn import_ohlcv_file(
    path: &Path,
    instrument: &InstrumentKey,
    options: &OhlcvOptions,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    let mut total = ImportSummary::default();
    for_each_input(path, |name, reader| {
        let part = import_ohlcv_reader(reader, name, instrument, options, sink)?;
        add(&mut total, &part);
        Ok(())
    })?;
    Ok(total)
}

fn add(total: &mut ImportSummary, part: &ImportSummary) {
    total.add(part);
}

/// Imports one decompressed OHLCV CSV stream with a header row.
pub fn import_ohlcv_reader(
    reader: &mut dyn BufRead,
    source: &str,
    instrument: &InstrumentKey,
    options: &OhlcvOptions,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    let mut records = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut record = ByteRecord::new();
    let mut summary = ImportSummary::default();
    if !read_record(&mut records, &mut record, source)? {
        return Ok(summary);
    }
    summary.records_read = 1;
    let find = |names: &[&str]| {
        names
            .iter()
            .find_map(|name| header_index(&record, name))
            .ok_or_else(|| DataError::InvalidInput {
                path: source.into(),
                message: format!("OHLCV file without a {:?} column", names[0]),
            })
    };
    let positions = [
        find(&["timestamp", "time", "datetime", "date", "open_time"])?,
        find(&["open"])?,
        find(&["high"])?,
        find(&["low"])?,
        find(&["close"])?,
        find(&["volume"])?,
    ];
    let mut sample = Vec::new();
    while sample.len() < SAMPLE_ROWS && read_record(&mut records, &mut record, source)? {
        sample.push(record.clone());
    }
    if sample.is_empty() {
        return Ok(summary);
    }
    let parser = match options.timestamp_format {
        Some(format) => TimestampParser::new(format, options.zone_offset),
        None => {
            let detection = detect_format(
                sample
                    .iter()
                    .map(|row| row.get(positions[0]).unwrap_or_default()),
                options.zone_offset,
            )
            .map_err(|error| DataError::InvalidInput {
                path: source.into(),
                message: format!("timestamp detection failed: {error}"),
            })?;
            if let Some(warning) = &detection.warning {
                sink.warn(format!("{source}: {warning}"));
            }
            TimestampParser::from_detection(&detection, options.zone_offset)
        }
    };
    let interval = match options.interval_nanos {
        Some(interval) if interval > 0 => interval,
        Some(_) => {
            return Err(DataError::InvalidOption(
                "bar interval must be positive".to_owned(),
            ));
        }
        None => {
            let mut stamps: Vec<i64> = sample
                .iter()
                .filter_map(|row| parser.parse(row.get(positions[0]).unwrap_or_default()).ok())
                .map(UnixNanos::as_i64)
                .collect();
            stamps.sort_unstable();
            let step = stamps
                .windows(2)
                .map(|pair| pair[1] - pair[0])
                .filter(|step| *step > 0)
                .min();
            let step = step.ok_or_else(|| DataError::InvalidInput {
                path: source.into(),
                message: "cannot infer the bar interval from fewer than two distinct times: set it"
                    .to_owned(),
            })?;
            sink.warn(format!(
                "{source}: bar interval inferred as {} s",
                step as f64 / NANOS_PER_SECOND as f64
            ));
            step
        }
    };
    let slot = sink.instrument(instrument);
    let mut state = BarRows {
        source,
        slot,
        summary,
        last_open: i64::MIN,
        out_of_order: 0,
    };
    let parse = |row: &ByteRecord| -> Result<Bar, String> {
        let field = |index: usize| trim_ascii(row.get(positions[index]).unwrap_or_default());
        let stamp = parser
            .parse(field(0))
            .map_err(|error| format!("timestamp: {error}"))?;
        let open_time = match options.label {
            BarLabel::Open => stamp,
            BarLabel::Close => stamp.saturating_sub_nanos(interval),
        };
        let volume = non_negative(field(5), "volume")?;
        trade_bar(
            open_time,
            interval,
            [field(1), field(2), field(3), field(4)],
            volume,
        )
    };
    for row in &sample {
        state.push(row, parse(row), sink);
    }
    drop(sample);
    while read_record(&mut records, &mut record, source)? {
        state.push(&record, parse(&record), sink);
    }
    Ok(state.finish(sink))
}

/// Builds a bar from OHLC text and a volume: prices positive and consistent.
fn trade_bar(
    open_time: UnixNanos,
    interval: i64,
    ohlc: [&[u8]; 4],
    volume: i64,
) -> Result<Bar, String> {
    let names = ["open", "high", "low", "close"];
    let mut prices = [Price::ZERO; 4];
    for ((price, text), name) in prices.iter_mut().zip(ohlc).zip(names) {
        *price = Price::from_raw(positive(text, name)?);
    }
    let [open, high, low, close] = prices;
    if low > high || open > high || close > high || open < low || close < low {
        return Err("OHLC values are inconsistent (low > high or open/close outside)".to_owned());
    }
    // Typical price (H + L + C) / 3, in i128 so the sum cannot overflow.
    let typical = (i128::from(high.raw()) + i128::from(low.raw()) + i128::from(close.raw())) / 3;
    let closed_at = open_time.saturating_add_nanos(interval);
    Ok(Bar {
        ts_open: open_time,
        ts_event: closed_at,
        ts_recv: closed_at,
        open,
        high,
        low,
        close,
        volume: Quantity::from_raw(volume),
        vwap: Price::from_raw(i64::try_from(typical).unwrap_or(close.raw())),
        buy_volume: Quantity::ZERO,
        sell_volume: Quantity::ZERO,
        trade_count: 0,
    })
}

/// Emission and bookkeeping shared by the bar readers.
struct BarRows<'a> {
    source: &'a str,
    slot: InstrumentSlot,
    summary: ImportSummary,
    last_open: i64,
    out_of_order: u64,
}

impl BarRows<'_> {
    fn push(&mut self, record: &ByteRecord, parsed: Result<Bar, String>, sink: &mut dyn EventSink) {
        self.summary.records_read += 1;
        let parsed = parsed.and_then(|bar| match check_event(&MarketEvent::Bar(bar)) {
            Ok(()) => Ok(bar),
            Err(invalid) => Err(invalid.0.to_owned()),
        });
        match parsed {
            Ok(bar) => {
                let open = bar.ts_open.as_i64();
                if open <= self.last_open {
                    self.out_of_order += 1;
                }
                self.last_open = self.last_open.max(open);
                self.summary.events += 1;
                sink.event(self.slot, MarketEvent::Bar(bar));
            }
            Err(reason) => self.quarantine(record, reason, sink),
        }
    }

    fn quarantine(&mut self, record: &ByteRecord, reason: String, sink: &mut dyn EventSink) {
        self.summary.quarantined += 1;
        let line = record.position().map_or(0, csv::Position::line);
        sink.quarantine(QuarantinedRow::new(
            self.source,
            line,
            reason,
            &join_record(record, b','),
        ));
    }

    fn finish(self, sink: &mut dyn EventSink) -> ImportSummary {
        if self.out_of_order > 0 {
            sink.warn(format!(
                "{}: {} bars do not start after the bar before them (repeated or out of order)",
                self.source, self.out_of_order
            ));
        }
        self.summary
    }
}

/// What a LEAN path and member name say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeanFile {
    pub instrument: InstrumentKey,
    /// UTC midnight of the file's date (minute and second files); hour and daily files hold
    /// one file per symbol whose rows carry their own dates.
    pub date: Option<UnixNanos>,
    pub interval_nanos: i64,
    pub quotes: bool,
}

/// Reads LEAN's security type, market, resolution, symbol, date and kind from a path such as
/// `.../cryptofuture/bybit/minute/btcusdt/20221213_quote.zip/20221213_btcusdt_minute_quote_perp.csv`
/// or a flattened `cryptofuture_bybit_minute_btcusdt_20221213_quote.zip`.
pub fn lean_file_info(path: &str) -> Option<LeanFile> {
    let lower = path.to_ascii_lowercase();
    let tokens: Vec<&str> = lower
        .split(['/', '\\', '_', '.'])
        .filter(|token| !token.is_empty())
        .collect();
    let type_at = tokens
        .iter()
        .rposition(|token| *token == "crypto" || *token == "cryptofuture")?;
    let future = tokens[type_at] == "cryptofuture" || tokens.contains(&"perp");
    let market = *tokens.get(type_at + 1)?;
    let (resolution_at, interval) = tokens
        .iter()
        .enumerate()
        .skip(type_at)
        .find_map(|(index, token)| resolution_nanos(token).map(|interval| (index, interval)))?;
    let symbol = *tokens.get(resolution_at + 1)?;
    let date = tokens
        .iter()
        .skip(resolution_at)
        .find(|token| token.len() == 8 && token.bytes().all(|byte| byte.is_ascii_digit()))
        .and_then(|token| parse_iso8601(token.as_bytes(), ZoneOffset::UTC).ok());
    let quotes = tokens
        .iter()
        .skip(resolution_at)
        .any(|token| *token == "quote");
    let (venue, symbol, kind) = match (future, market) {
        (false, "binance") => (BINANCE_SPOT.to_owned(), symbol.to_owned(), MarketKind::Spot),
        (false, "bybit") => (BYBIT_SPOT.to_owned(), symbol.to_owned(), MarketKind::Spot),
        (false, other) => (other.to_owned(), symbol.to_owned(), MarketKind::Spot),
        (true, "binance") if symbol.ends_with("usd") => (
            BINANCE_COINM.to_owned(),
            format!("{symbol}_PERP"),
            MarketKind::Perpetual,
        ),
        (true, "binance") => (
            BINANCE_USDM.to_owned(),
            symbol.to_owned(),
            MarketKind::Perpetual,
        ),
        (true, "bybit") if symbol.ends_with("usd") => (
            BYBIT_INVERSE.to_owned(),
            symbol.to_owned(),
            MarketKind::Perpetual,
        ),
        (true, "bybit") => (
            BYBIT_LINEAR.to_owned(),
            symbol.to_owned(),
            MarketKind::Perpetual,
        ),
        (true, other) => (other.to_owned(), symbol.to_owned(), MarketKind::Perpetual),
    };
    Some(LeanFile {
        instrument: InstrumentKey::new(venue, symbol, kind),
        date,
        interval_nanos: interval,
        quotes,
    })
}

fn resolution_nanos(token: &str) -> Option<i64> {
    match token {
        "second" => Some(NANOS_PER_SECOND),
        "minute" => Some(60 * NANOS_PER_SECOND),
        "hour" => Some(3_600 * NANOS_PER_SECOND),
        "daily" => Some(86_400 * NANOS_PER_SECOND),
        _ => None,
    }
}

/// Imports a LEAN zip (or an extracted member CSV); what it holds is read from the path.
pub fn import_lean_file(path: &Path, sink: &mut dyn EventSink) -> Result<ImportSummary, DataError> {
    let full = path.to_string_lossy().into_owned();
    let mut total = ImportSummary::default();
    for_each_input(path, |name, reader| {
        // The member name says resolution/symbol/kind; the archive path says security type
        // and market: read both together.
        let directory = full
            .rsplit_once(['/', '\\'])
            .map_or("", |(directory, _)| directory);
        let info = lean_file_info(&format!("{directory}/{name}")).ok_or_else(|| DataError::UnknownFormat {
            path: path.to_path_buf(),
            hint: "LEAN paths look like crypto[future]/<market>/<resolution>/<symbol>/<date>_<trade|quote>.zip".to_owned(),
        })?;
        let part = import_lean_reader(reader, name, &info, sink)?;
        add(&mut total, &part);
        Ok(())
    })?;
    Ok(total)
}

/// Imports one decompressed LEAN bar CSV (no header) described by `info`.
pub fn import_lean_reader(
    reader: &mut dyn BufRead,
    source: &str,
    info: &LeanFile,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    let mut records = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut record = ByteRecord::new();
    let slot = sink.instrument(&info.instrument);
    let mut state = BarRows {
        source,
        slot,
        summary: ImportSummary::default(),
        last_open: i64::MIN,
        out_of_order: 0,
    };
    while read_record(&mut records, &mut record, source)? {
        let field = |index: usize| trim_ascii(record.get(index).unwrap_or_default());
        let open_time = match lean_time(field(0), info.date) {
            Ok(stamp) => stamp,
            Err(reason) => {
                state.summary.records_read += 1;
                state.quarantine(&record, reason, sink);
                continue;
            }
        };
        if info.quotes {
            state.summary.records_read += 1;
            let parsed = lean_quote(&record, open_time, info.interval_nanos).and_then(|quote| {
                match check_event(&MarketEvent::Quote(quote)) {
                    Ok(()) => Ok(quote),
                    Err(invalid) => Err(invalid.0.to_owned()),
                }
            });
            match parsed {
                Ok(quote) => {
                    state.summary.events += 1;
                    sink.event(slot, MarketEvent::Quote(quote));
                }
                Err(reason) => state.quarantine(&record, reason, sink),
            }
        } else {
            let parsed = non_negative(field(5), "volume").and_then(|volume| {
                trade_bar(
                    open_time,
                    info.interval_nanos,
                    [field(1), field(2), field(3), field(4)],
                    volume,
                )
            });
            state.push(&record, parsed, sink);
        }
    }
    Ok(state.finish(sink))
}

/// Milliseconds since midnight of `date` (minute/second files) or `yyyyMMdd HH:mm`.
fn lean_time(text: &[u8], date: Option<UnixNanos>) -> Result<UnixNanos, String> {
    if text.len() < 9 && !text.is_empty() && text.iter().all(u8::is_ascii_digit) {
        let date = date.ok_or("time: milliseconds since midnight but no date in the file name")?;
        let millis: i64 = std::str::from_utf8(text)
            .ok()
            .and_then(|text| text.parse().ok())
            .ok_or("time: not a number")?;
        if millis >= 86_400_000 {
            return Err("time: more than a day after midnight".to_owned());
        }
        return Ok(date.saturating_add_nanos(millis * NANOS_PER_MILLI));
    }
    parse_iso8601(text, ZoneOffset::UTC).map_err(|error| format!("time: {error}"))
}

/// A quote bar as the quote standing at its close.
fn lean_quote(record: &ByteRecord, open_time: UnixNanos, interval: i64) -> Result<Quote, String> {
    let field = |index: usize| trim_ascii(record.get(index).unwrap_or_default());
    if field(4).is_empty() || field(9).is_empty() {
        return Err("quote bar without a bid or an ask".to_owned());
    }
    let closed_at = open_time.saturating_add_nanos(interval);
    Ok(Quote {
        ts_event: closed_at,
        ts_recv: closed_at,
        bid_price: Price::from_raw(positive(field(4), "bid close")?),
        bid_size: Quantity::from_raw(non_negative(field(5), "last bid size")?),
        ask_price: Price::from_raw(positive(field(9), "ask close")?),
        ask_size: Quantity::from_raw(non_negative(field(10), "last ask size")?),
        update_id: 0,
        flags: QuoteFlags(QuoteFlags::NO_EXCHANGE_TIME),
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::CollectedEvents;

    fn ftx() -> InstrumentKey {
        InstrumentKey::new("ftx", "BTC-PERP", MarketKind::Perpetual)
    }

    fn bars(sink: &CollectedEvents) -> Vec<Bar> {
        sink.events
            .iter()
            .filter_map(|tagged| match tagged.event {
                MarketEvent::Bar(bar) => Some(bar),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn ohlcv_csv_with_naive_utc_times_labels_opens() {
        let text = "timestamp,open,high,low,close,volume\n\
                    2021-12-31 23:01:00.000000,46319.0,46385.0,46319.0,46377.0,2300413.7295\n\
                    2021-12-31 23:02:00.000000,46377.0,46411.0,46377.0,46411.0,1829623.1938\n\
                    2021-12-31 23:03:00.000000,46411.0,46400.0,46377.0,46411.0,1\n";
        let mut sink = CollectedEvents::new();
        let summary = import_ohlcv_reader(
            &mut text.as_bytes(),
            "bars.csv",
            &ftx(),
            &OhlcvOptions::default(),
            &mut sink,
        )
        .unwrap();
        assert_eq!(
            summary,
            ImportSummary {
                records_read: 4,
                events: 2,
                quarantined: 1
            }
        );
        let imported = bars(&sink);
        // 2021-12-31 23:01 UTC = 1_640_991_660 s; the bar closes 60 s later.
        assert_eq!(
            imported[0].ts_open,
            UnixNanos(1_640_991_660 * NANOS_PER_SECOND)
        );
        assert_eq!(
            imported[0].ts_event,
            UnixNanos(1_640_991_720 * NANOS_PER_SECOND)
        );
        assert_eq!(imported[0].ts_recv, imported[0].ts_event);
        // Typical price (46385 + 46319 + 46377) / 3 = 139081 / 3 = 46360.333333333.
        assert_eq!(imported[0].vwap, Price::from_raw(46_360_333_333_333));
        assert_eq!(
            imported[0].volume,
            Quantity::from_decimal_str("2300413.7295").unwrap()
        );
        assert!(sink.quarantined[0].reason.contains("inconsistent"));
        assert!(
            sink.warnings
                .iter()
                .any(|warning| warning.contains("interval inferred as 60 s"))
        );
        assert!(
            sink.warnings
                .iter()
                .any(|warning| warning.contains("no zone"))
        );

        let closes = OhlcvOptions {
            label: BarLabel::Close,
            ..OhlcvOptions::default()
        };
        let mut sink = CollectedEvents::new();
        import_ohlcv_reader(&mut text.as_bytes(), "bars.csv", &ftx(), &closes, &mut sink).unwrap();
        assert_eq!(
            bars(&sink)[0].ts_event,
            UnixNanos(1_640_991_660 * NANOS_PER_SECOND)
        );
    }

    #[test]
    fn lean_paths_name_venue_symbol_and_resolution() {
        let info = lean_file_info("cryptofuture_bybit_minute_btcusdt_20221213_quote.zip/20221213_btcusdt_minute_quote_perp.csv").unwrap();
        assert_eq!(
            info.instrument,
            InstrumentKey::new(BYBIT_LINEAR, "BTCUSDT", MarketKind::Perpetual)
        );
        assert!(info.quotes);
        assert_eq!(info.interval_nanos, 60 * NANOS_PER_SECOND);
        assert_eq!(
            info.date.map(UnixNanos::date_string).as_deref(),
            Some("2022-12-13")
        );
        let coinm = lean_file_info("/Data/cryptofuture/binance/minute/btcusd/20221213_trade.zip/20221213_btcusd_minute_trade.csv").unwrap();
        assert_eq!(
            coinm.instrument,
            InstrumentKey::new(BINANCE_COINM, "BTCUSD_PERP", MarketKind::Perpetual)
        );
        assert!(!coinm.quotes);
        let spot = lean_file_info(
            "crypto_binance_minute_btcbusd_20221213_trade.zip/20221213_btcbusd_minute_trade.csv",
        )
        .unwrap();
        assert_eq!(
            spot.instrument,
            InstrumentKey::new(BINANCE_SPOT, "BTCBUSD", MarketKind::Spot)
        );
        assert_eq!(lean_file_info("random/file.csv"), None);
    }

    #[test]
    fn lean_trade_and_quote_rows() {
        let info = lean_file_info("crypto/binance/minute/btcbusd/20221213_trade.zip").unwrap();
        let text = "0,17212.12,17216.55,17208.88,17208.88,110.66042\n60000,17209.49,17227.24,17208.84,17226.99,147.61285\n";
        let mut sink = CollectedEvents::new();
        import_lean_reader(
            &mut text.as_bytes(),
            "20221213_btcbusd_minute_trade.csv",
            &info,
            &mut sink,
        )
        .unwrap();
        let imported = bars(&sink);
        // 2022-12-13 00:00 UTC = 1_670_889_600 s; row 2 opens 60 000 ms later.
        assert_eq!(
            imported[0].ts_open,
            UnixNanos(1_670_889_600 * NANOS_PER_SECOND)
        );
        assert_eq!(
            imported[1].ts_open,
            UnixNanos(1_670_889_660 * NANOS_PER_SECOND)
        );
        assert_eq!(
            imported[1].ts_event,
            UnixNanos(1_670_889_720 * NANOS_PER_SECOND)
        );
        assert_eq!(
            imported[1].close,
            Price::from_decimal_str("17226.99").unwrap()
        );

        let info = lean_file_info("cryptofuture/bybit/minute/btcusdt/20221213_quote.zip").unwrap();
        let text = "0,17193.5,17199,17193.5,17199,135.724,17194,17199.5,17194,17199.5,17.697\n60000,,,,,,17194,17199.5,17194,17199.5,1\n";
        let mut sink = CollectedEvents::new();
        let summary = import_lean_reader(&mut text.as_bytes(), "q.csv", &info, &mut sink).unwrap();
        assert_eq!(
            summary,
            ImportSummary {
                records_read: 2,
                events: 1,
                quarantined: 1
            }
        );
        let MarketEvent::Quote(quote) = sink.events[0].event else {
            panic!()
        };
        // Quote at the first bar's close: 00:01 UTC; bid close 17199 size 135.724, ask 17199.5.
        assert_eq!(quote.ts_recv, UnixNanos(1_670_889_660 * NANOS_PER_SECOND));
        assert_eq!(quote.bid_price, Price::from_units(17_199).unwrap());
        assert_eq!(
            quote.bid_size,
            Quantity::from_decimal_str("135.724").unwrap()
        );
        assert_eq!(quote.ask_price, Price::from_decimal_str("17199.5").unwrap());
        assert!(!quote.flags.has_exchange_time());
    }

    #[test]
    fn lean_hourly_rows_carry_their_own_date() {
        assert_eq!(
            lean_time(b"20221213 05:00", None),
            Ok(UnixNanos((1_670_889_600 + 5 * 3_600) * NANOS_PER_SECOND))
        );
        assert!(lean_time(b"86400000", Some(UnixNanos::ZERO)).is_err());
        assert!(lean_time(b"60000", None).is_err());
        let hourly = lean_file_info("Data/crypto/binance/hour/btcusdt_trade.zip").unwrap();
        assert_eq!(
            (hourly.date, hourly.interval_nanos),
            (None, 3_600 * NANOS_PER_SECOND)
        );
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut sink = CollectedEvents::new();
            let mut text = b"timestamp,open,high,low,close,volume\n".to_vec();
            text.extend_from_slice(&bytes);
            let _ = import_ohlcv_reader(&mut text.as_slice(), "fuzz", &ftx(), &OhlcvOptions::default(), &mut sink);
            for path in ["crypto/binance/minute/btcusdt/20221213_trade.zip", "cryptofuture/bybit/hour/btcusdt/20221213_quote.zip"] {
                let info = lean_file_info(path).unwrap();
                let _ = import_lean_reader(&mut bytes.as_slice(), "fuzz", &info, &mut sink);
            }
            let _ = lean_file_info(&String::from_utf8_lossy(&bytes));
        }
    }
}
