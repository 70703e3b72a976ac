//! bitFlyer execution and ticker files (`bitflyer.execution.YYYYMMDD.BTC_JPY.csv.gz`,
//! `bitflyer.ticker.*`, as collected by okuyamashin/kazamidori): a named preset over
//! [`super::generic_csv`] for executions, and a small reader turning tickers into quotes.
//!
//! Executions (columns `domain,product_code,loaded,id,exec_date,side,price,size,...`):
//! * `exec_date` is ISO-8601 with `+09:00`; it is the only time of a trade, so both `ts_event`
//!   and `ts_recv` are `exec_date` (`loaded` is the collector's batch time, not a receive time
//!   of the trade).
//! * `side` is the taker side (`BUY`/`SELL`); blank for itayose (auction) fills -> unknown.
//! * Rows come in DESCENDING time order in batches, ~0.3 % have a blank `exec_date`
//!   (quarantined: the time is unknown), and ids repeat (overlapping batches, adjacent day
//!   files): the job is sorted by (time, id) and de-duplicated on id across all its files.
//! * Venue `bitflyer`, symbol from `product_code`, market spot (`FX_*` products are perpetual
//!   margin products, dated `BTCJPY..` products futures).
//!
//! Tickers (`...,status,loaded,timestamp,tick_id,best_bid,best_ask,best_bid_size,
//! best_ask_size,...`) become [`Quote`]s at `timestamp` (ts_event = ts_recv), `update_id` =
//! `tick_id`. Rows of a venue that is not running (status CLOSED / PREOPEN / STARTING, or a zero
//! or blank best bid/ask) are quarantined with reason "venue closed".

use std::io::BufRead;
use std::path::Path;

use auction_trader_types::{
    InstrumentKey, MarketEvent, MarketKind, Price, Quantity, Quote, QuoteFlags,
};
use csv::ByteRecord;

use super::generic_csv::{
    CsvMapping, SideVocabulary, SortMode, header_index, import_trade_files, import_trades,
    join_record, parse_decimal, read_record,
};
use super::timestamp::{TimestampFormat, ZoneOffset, parse_iso8601, trim_ascii};
use crate::input::for_each_input;
use crate::instruments::BITFLYER;
use crate::validity::check_event;
use crate::{DataError, EventSink, ImportSummary, InstrumentSlot, QuarantinedRow};

/// Japan Standard Time, the zone of bitFlyer's times (every value also carries `+09:00`).
pub const JST: ZoneOffset = match ZoneOffset::from_seconds(9 * 3600) {
    Some(offset) => offset,
    None => ZoneOffset::UTC,
};

/// Quarantine reason of ticker rows taken while the exchange was not trading.
pub const VENUE_CLOSED: &str = "venue closed";

/// The market of a bitFlyer product code.
pub fn market_of_product(code: &str) -> MarketKind {
    if code.starts_with("FX_") {
        MarketKind::Perpetual
    } else if code.bytes().skip(6).any(|byte| byte.is_ascii_digit()) {
        // Dated futures look like `BTCJPY26JAN2018`.
        MarketKind::Future
    } else {
        MarketKind::Spot
    }
}

/// The instrument of the preset before `product_code` names the symbol: bitflyer BTC_JPY spot.
pub fn default_instrument() -> InstrumentKey {
    InstrumentKey::new(BITFLYER, "BTC_JPY", MarketKind::Spot)
}

/// The column mapping of execution files.
pub fn execution_mapping() -> CsvMapping {
    let mut mapping = CsvMapping::new("exec_date", "price", "size")
        .with_side("side")
        .with_id("id")
        .with_symbol("product_code")
        .with_format(TimestampFormat::Iso8601)
        .with_sort(SortMode::ByTimestampThenId);
    mapping.market_of_symbol = Some(market_of_product);
    mapping.zone_offset = JST;
    mapping.side_vocabulary = SideVocabulary::new(&["BUY"], &["SELL"], &[""]);
    mapping.dedup_on_id = true;
    mapping
}

/// Imports execution files (plain, `.gz` or `.zip`) as ONE time-ordered, de-duplicated stream.
pub fn import_executions<P: AsRef<Path>>(
    paths: &[P],
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    import_trade_files(paths, &execution_mapping(), &default_instrument(), sink)
}

/// Imports one decompressed execution stream.
pub fn import_execution_reader(
    reader: &mut dyn BufRead,
    source: &str,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    import_trades(
        reader,
        source,
        &execution_mapping(),
        &default_instrument(),
        sink,
    )
}

/// Imports ticker files as one time-ordered quote stream (duplicate `tick_id`s quarantined).
pub fn import_tickers<P: AsRef<Path>>(
    paths: &[P],
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    let mut job = TickerJob::default();
    for path in paths {
        for_each_input(path.as_ref(), |name, reader| job.read(reader, name, sink))?;
    }
    Ok(job.finish(sink))
}

/// Imports one decompressed ticker stream.
pub fn import_ticker_reader(
    reader: &mut dyn BufRead,
    source: &str,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    let mut job = TickerJob::default();
    job.read(reader, source, sink)?;
    Ok(job.finish(sink))
}

/// Imports a mix of bitFlyer files, telling executions from tickers by name
/// (`bitflyer.execution.*` / `bitflyer.ticker.*`). Returns the combined summary.
pub fn import_files<P: AsRef<Path>>(
    paths: &[P],
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    let name_of = |path: &P| {
        path.as_ref()
            .file_name()
            .map(|name| name.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default()
    };
    let mut executions = Vec::new();
    let mut tickers = Vec::new();
    for path in paths {
        let name = name_of(path);
        if name.contains("ticker") {
            tickers.push(path.as_ref());
        } else if name.contains("execution") {
            executions.push(path.as_ref());
        } else {
            return Err(DataError::UnknownFormat {
                path: path.as_ref().to_path_buf(),
                hint: "bitFlyer file names contain `execution` or `ticker`".to_owned(),
            });
        }
    }
    let mut summary = ImportSummary::default();
    for part in [
        import_executions(&executions, sink)?,
        import_tickers(&tickers, sink)?,
    ] {
        summary.add(&part);
    }
    Ok(summary)
}

/// Header positions of a ticker file.
#[derive(Debug, Clone, Copy)]
struct TickerColumns {
    product: usize,
    status: usize,
    timestamp: usize,
    tick_id: usize,
    bid: usize,
    ask: usize,
    bid_size: usize,
    ask_size: usize,
}

impl TickerColumns {
    fn resolve(header: &ByteRecord, source: &str) -> Result<Self, DataError> {
        let find = |name: &str| {
            header_index(header, name).ok_or_else(|| DataError::InvalidInput {
                path: source.into(),
                message: format!("bitFlyer ticker file without a {name:?} column"),
            })
        };
        Ok(Self {
            product: find("product_code")?,
            status: find("status")?,
            timestamp: find("timestamp")?,
            tick_id: find("tick_id")?,
            bid: find("best_bid")?,
            ask: find("best_ask")?,
            bid_size: find("best_bid_size")?,
            ask_size: find("best_ask_size")?,
        })
    }
}

#[derive(Debug, Clone, Copy)]
struct PendingQuote {
    slot: InstrumentSlot,
    quote: Quote,
    source: usize,
    line: u64,
}

#[derive(Debug, Default)]
struct TickerJob {
    slots: Vec<(Vec<u8>, InstrumentSlot)>,
    sources: Vec<String>,
    pending: Vec<PendingQuote>,
    summary: ImportSummary,
}

impl TickerJob {
    fn read(
        &mut self,
        reader: &mut dyn BufRead,
        source: &str,
        sink: &mut dyn EventSink,
    ) -> Result<(), DataError> {
        let source_index = self.sources.len();
        self.sources.push(source.to_owned());
        let mut records = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(reader);
        let mut record = ByteRecord::new();
        if !read_record(&mut records, &mut record, source)? {
            return Ok(());
        }
        self.summary.records_read += 1;
        let columns = TickerColumns::resolve(&record, source)?;
        while read_record(&mut records, &mut record, source)? {
            self.summary.records_read += 1;
            let line = record.position().map_or(0, csv::Position::line);
            let parsed = self
                .parse(&record, &columns, sink)
                .and_then(
                    |(slot, quote)| match check_event(&MarketEvent::Quote(quote)) {
                        Ok(()) => Ok((slot, quote)),
                        Err(invalid) => Err(invalid.0.to_owned()),
                    },
                );
            match parsed {
                Ok((slot, quote)) => self.pending.push(PendingQuote {
                    slot,
                    quote,
                    source: source_index,
                    line,
                }),
                Err(reason) => {
                    self.summary.quarantined += 1;
                    sink.quarantine(QuarantinedRow::new(
                        source,
                        line,
                        reason,
                        &join_record(&record, b','),
                    ));
                }
            }
        }
        Ok(())
    }

    fn parse(
        &mut self,
        record: &ByteRecord,
        columns: &TickerColumns,
        sink: &mut dyn EventSink,
    ) -> Result<(InstrumentSlot, Quote), String> {
        if std::str::from_utf8(record.as_slice()).is_err() {
            return Err("row is not valid UTF-8".to_owned());
        }
        let field = |index: usize| trim_ascii(record.get(index).unwrap_or_default());
        // Brief: status CLOSED/PREOPEN (and STARTING) or zero bid/ask -> "venue closed".
        if !field(columns.status).eq_ignore_ascii_case(b"RUNNING") {
            return Err(VENUE_CLOSED.to_owned());
        }
        let price = |index: usize| parse_decimal(field(index)).map(|(raw, _)| raw);
        let (Ok(bid), Ok(ask)) = (price(columns.bid), price(columns.ask)) else {
            return Err(VENUE_CLOSED.to_owned());
        };
        if bid <= 0 || ask <= 0 {
            return Err(VENUE_CLOSED.to_owned());
        }
        let stamp = parse_iso8601(field(columns.timestamp), JST)
            .map_err(|error| format!("timestamp: {error}"))?;
        let size = |index: usize, what: &str| match parse_decimal(field(index)) {
            Ok((raw, _)) if raw >= 0 => Ok(raw),
            Ok(_) => Err(format!("negative {what}")),
            Err(error) => Err(format!("{what}: {error}")),
        };
        let bid_size = size(columns.bid_size, "best_bid_size")?;
        let ask_size = size(columns.ask_size, "best_ask_size")?;
        let tick_id = std::str::from_utf8(field(columns.tick_id))
            .ok()
            .and_then(|text| text.parse::<u64>().ok())
            .unwrap_or(0);
        let product = field(columns.product);
        if product.is_empty() {
            return Err("blank product_code".to_owned());
        }
        let slot = self.slot(product, sink);
        Ok((
            slot,
            Quote {
                ts_event: stamp,
                ts_recv: stamp,
                bid_price: Price::from_raw(bid),
                bid_size: Quantity::from_raw(bid_size),
                ask_price: Price::from_raw(ask),
                ask_size: Quantity::from_raw(ask_size),
                update_id: tick_id,
                flags: QuoteFlags::default(),
            },
        ))
    }

    fn slot(&mut self, product: &[u8], sink: &mut dyn EventSink) -> InstrumentSlot {
        if let Some((_, slot)) = self
            .slots
            .iter()
            .find(|(known, _)| known.as_slice() == product)
        {
            return *slot;
        }
        let symbol = String::from_utf8_lossy(product).into_owned();
        let market = market_of_product(&symbol);
        let slot = sink.instrument(&InstrumentKey::new(BITFLYER, symbol, market));
        self.slots.push((product.to_vec(), slot));
        slot
    }

    fn finish(mut self, sink: &mut dyn EventSink) -> ImportSummary {
        let key = |pending: &PendingQuote| {
            (
                pending.quote.ts_recv,
                pending.quote.update_id,
                pending.source,
                pending.line,
            )
        };
        self.pending.sort_unstable_by_key(key);
        let mut previous: Option<(InstrumentSlot, u64)> = None;
        for pending in &self.pending {
            let id = (pending.slot, pending.quote.update_id);
            // A poll that caught the same ticker twice (same tick_id) is a duplicate.
            if pending.quote.update_id != 0 && previous == Some(id) {
                self.summary.quarantined += 1;
                sink.quarantine(QuarantinedRow::new(
                    &self.sources[pending.source],
                    pending.line,
                    format!("duplicate tick_id {}", pending.quote.update_id),
                    b"",
                ));
                continue;
            }
            previous = Some(id);
            self.summary.events += 1;
            sink.event(pending.slot, MarketEvent::Quote(pending.quote));
        }
        self.summary
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{AggressorSide, StreamKind, Trade, TradeId, UnixNanos};
    use proptest::prelude::*;

    use super::*;
    use crate::CollectedEvents;

    const HEADER: &str = "\"domain\",\"product_code\",\"loaded\",\"id\",\"exec_date\",\"side\",\"price\",\"size\",\"buy_child_order_acceptance_id\",\"sell_child_order_acceptance_id\"\n";

    fn row(id: u64, date: &str, side: &str, price: &str, size: &str) -> String {
        format!(
            "\"bitflyer.jp\",\"BTC_JPY\",\"2018-01-21T00:00:12.289+09:00\",\"{id}\",\"{date}\",\"{side}\",\"{price}\",\"{size}\",\"JRF1\",\"JRF2\"\n"
        )
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
    fn executions_are_sorted_deduplicated_and_blank_dates_quarantined() {
        // The first rows of the 2018-01-21 file (descending), one blank date, one auction fill
        // with a blank side, and a repeated id from an overlapping batch.
        let text = [
            HEADER.to_owned(),
            row(
                118_745_850,
                "2018-01-21T00:00:11.173+09:00",
                "BUY",
                "1406502.0",
                "0.034",
            ),
            row(
                118_745_848,
                "2018-01-21T00:00:10.097+09:00",
                "SELL",
                "1406502.0",
                "0.006",
            ),
            row(
                118_745_838,
                "2018-01-21T00:00:10.377+09:00",
                "",
                "1407191.0",
                "0.003",
            ),
            row(118_745_837, "", "BUY", "1407186.0", "0.002"),
            row(
                118_745_848,
                "2018-01-21T00:00:10.097+09:00",
                "SELL",
                "1406502.0",
                "0.006",
            ),
        ]
        .concat();
        let mut sink = CollectedEvents::new();
        let summary = import_execution_reader(&mut text.as_bytes(), "day.csv", &mut sink).unwrap();
        assert_eq!(
            summary,
            ImportSummary {
                records_read: 6,
                events: 3,
                quarantined: 2
            }
        );
        assert_eq!(
            sink.instruments,
            [InstrumentKey::new("bitflyer", "BTC_JPY", MarketKind::Spot)]
        );
        let trades = trades(&sink);
        let ids: Vec<TradeId> = trades.iter().map(|trade| trade.trade_id).collect();
        assert_eq!(
            ids,
            [
                TradeId(118_745_848),
                TradeId(118_745_838),
                TradeId(118_745_850)
            ]
        );
        // 2018-01-21T00:00:10.097+09:00 = 2018-01-20T15:00:10.097Z = 1_516_460_410.097 s.
        assert_eq!(trades[0].ts_event, UnixNanos(1_516_460_410_097_000_000));
        assert_eq!(trades[0].ts_recv, trades[0].ts_event);
        assert_eq!(trades[0].aggressor, AggressorSide::Sell);
        assert_eq!(trades[0].price, Price::from_units(1_406_502).unwrap());
        // 0.006 BTC = 6_000_000 raw.
        assert_eq!(trades[0].size, Quantity::from_raw(6_000_000));
        assert_eq!(trades[1].aggressor, AggressorSide::Unknown);
        assert_eq!(trades[2].aggressor, AggressorSide::Buy);
        assert_eq!(sink.quarantined[0].reason, "timestamp: blank timestamp");
        assert_eq!(sink.quarantined[0].line, 5);
        assert_eq!(sink.quarantined[1].reason, "duplicate trade id 118745848");
        assert_eq!(sink.quarantined[1].line, 6);
    }

    #[test]
    fn ids_shared_by_two_day_files_are_imported_once() {
        let directory = tempfile::tempdir().unwrap();
        let first = directory
            .path()
            .join("bitflyer.execution.20180121.BTC_JPY.csv");
        let second = directory
            .path()
            .join("bitflyer.execution.20180122.BTC_JPY.csv");
        std::fs::write(
            &first,
            [
                HEADER.to_owned(),
                row(2, "2018-01-22T00:00:00.5+09:00", "BUY", "1", "1"),
                row(1, "2018-01-21T23:59:59+09:00", "SELL", "1", "1"),
            ]
            .concat(),
        )
        .unwrap();
        std::fs::write(
            &second,
            [
                HEADER.to_owned(),
                row(3, "2018-01-22T00:00:01+09:00", "BUY", "1", "1"),
                row(2, "2018-01-22T00:00:00.5+09:00", "BUY", "1", "1"),
            ]
            .concat(),
        )
        .unwrap();
        let mut sink = CollectedEvents::new();
        let summary = import_files(&[&second, &first], &mut sink).unwrap();
        assert_eq!(summary.events, 3);
        assert_eq!(summary.quarantined, 1);
        let ids: Vec<u64> = trades(&sink).iter().map(|trade| trade.trade_id.0).collect();
        assert_eq!(ids, [1, 2, 3]);
    }

    #[test]
    fn tickers_become_quotes_and_closed_rows_are_quarantined() {
        let header = "\"domain\",\"product_code\",\"health\",\"status\",\"loaded\",\"timestamp\",\"tick_id\",\"best_bid\",\"best_ask\",\"best_bid_size\",\"best_ask_size\",\"total_bid_depth\",\"total_ask_depth\",\"ltp\",\"volume\",\"volume_by_product\",\"last_price\"\n";
        let running = "\"bitflyer.jp\",\"BTC_JPY\",\"NORMAL\",\"RUNNING\",\"2018-01-21T00:00:00.000+09:00\",\"2018-01-21T00:00:08.093+09:00\",\"208505\",\"1406502.0\",\"1407186.0\",\"0.006\",\"0.071\",\"2483.9\",\"2690.8\",\"1407186.0\",\"128135.5\",\"20803.1\",\"\"\n";
        let closed = "\"bitflyer.jp\",\"BTC_JPY\",\"NORMAL\",\"CLOSED\",\"2018-01-21T04:00:00.000+09:00\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\"\n";
        let no_time = "\"bitflyer.jp\",\"BTC_JPY\",\"NORMAL\",\"RUNNING\",\"2018-01-21T05:43:00.000+09:00\",\"\",\"456395\",\"1435120.0\",\"1436638.0\",\"0.026\",\"0.06\",\"1\",\"1\",\"1\",\"1\",\"1\",\"\"\n";
        let text = [header, running, closed, no_time, running].concat();
        let mut sink = CollectedEvents::new();
        let summary = import_ticker_reader(&mut text.as_bytes(), "ticker.csv", &mut sink).unwrap();
        assert_eq!(
            summary,
            ImportSummary {
                records_read: 5,
                events: 1,
                quarantined: 3
            }
        );
        let slot = sink.slot_of(&default_instrument()).unwrap();
        let quotes: Vec<&MarketEvent> = sink.of_kind(slot, StreamKind::Quote).collect();
        let MarketEvent::Quote(quote) = quotes[0] else {
            panic!("not a quote")
        };
        // 00:00:08.093 JST on 2018-01-21 = 2018-01-20T15:00:08.093Z = 1_516_460_408.093 s.
        assert_eq!(quote.ts_recv, UnixNanos(1_516_460_408_093_000_000));
        assert_eq!(quote.bid_price, Price::from_units(1_406_502).unwrap());
        assert_eq!(quote.ask_size, Quantity::from_raw(71_000_000));
        assert_eq!(quote.update_id, 208_505);
        let reasons: Vec<&str> = sink
            .quarantined
            .iter()
            .map(|row| row.reason.as_str())
            .collect();
        assert_eq!(
            reasons,
            [
                VENUE_CLOSED,
                "timestamp: blank timestamp",
                "duplicate tick_id 208505"
            ]
        );
    }

    #[test]
    fn product_codes_name_the_market() {
        assert_eq!(market_of_product("BTC_JPY"), MarketKind::Spot);
        assert_eq!(market_of_product("FX_BTC_JPY"), MarketKind::Perpetual);
        assert_eq!(market_of_product("BTCJPY26JAN2018"), MarketKind::Future);
        assert_eq!(JST.seconds_east(), 32_400);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let mut sink = CollectedEvents::new();
            let mut text = HEADER.as_bytes().to_vec();
            text.extend_from_slice(&bytes);
            let _ = import_execution_reader(&mut text.as_slice(), "fuzz", &mut sink);
            let _ = import_ticker_reader(&mut bytes.as_slice(), "fuzz", &mut sink);
        }
    }
}
