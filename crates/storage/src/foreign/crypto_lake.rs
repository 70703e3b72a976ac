//! Crypto-Lake Parquet tables (SPEC 1.2). Column names as `lakeapi.load_data` returns them
//! (seen in public code using lakeapi; the vendor publishes no schema page we could read):
//! - `trades`: `origin_time, received_time, side ("buy"/"sell", the taker), price,
//!   quantity, trade_id`;
//! - `book_delta_v2`: `origin_time, received_time, sequence_number, side_is_bid (bool),
//!   price, size` — one row per level, `size` the new absolute size (0 removes the level);
//! - `funding`: `origin_time, received_time, funding_rate, next_funding_time, mark_price`
//!   (+ `index_price` when present);
//! - `liquidations`: `origin_time, received_time, side, price, quantity`.
//!
//! Raw S3 files and older exports spell some columns differently, so every logical field
//! accepts aliases (`timestamp` / `receipt_timestamp`, `side` for `side_is_bid`, `amount`,
//! `seq`, ...) and [`LakeOptions::columns`] maps any other name. Timestamps may be typed
//! (naive ones are UTC) or integers of any epoch unit (judged from the magnitude, or given).
//!
//! Book rows sharing `received_time` and `sequence_number` form one venue message: the last
//! row of each gets [`DeltaFlags::LAST`]; the sequence number is stored in both
//! `first_update_id` and `last_update_id` (`prev_update_id` = 0).

use std::collections::BTreeMap;
use std::path::Path;

use arrow::array::{ArrayRef, AsArray};
use arrow::datatypes::{DataType, Int64Type, Schema, UInt64Type};
use auction_trader_data::{DataError, EventSink, ImportSummary, InstrumentSlot};
use auction_trader_types::{
    AggressorSide, BookDelta, BookSide, DeltaFlags, Funding, InstrumentKey, Liquidation,
    MarketEvent, Price, Quantity, Rate, Trade, TradeId, UnixNanos,
};

use super::columns::{
    IntegerTimeUnit, Label, file_schema, find_column, fixed_at, for_each_batch, integer_unit,
    label_at, labels, nanos_at,
};
use super::{ForeignRun, layout_error};

/// The Crypto-Lake tables we import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LakeTable {
    Trades,
    BookDelta,
    Funding,
    Liquidations,
}

impl LakeTable {
    /// Judges the table from its column names: `side_is_bid` or `sequence_number` → book
    /// deltas, `funding_rate` → funding, `trade_id` → trades, otherwise side/price/quantity →
    /// liquidations. `None` when nothing fits.
    pub fn infer(schema: &Schema) -> Option<Self> {
        let has = |names: &[&str]| find_column(schema, names).is_some();
        if has(&["side_is_bid", "sequence_number"]) {
            Some(Self::BookDelta)
        } else if has(&["funding_rate"]) {
            Some(Self::Funding)
        } else if has(&["trade_id"]) {
            Some(Self::Trades)
        } else if has(&["side"]) && has(&["price"]) && has(&["quantity", "amount"]) {
            Some(Self::Liquidations)
        } else {
            None
        }
    }

    /// The Crypto-Lake table name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trades => "trades",
            Self::BookDelta => "book_delta_v2",
            Self::Funding => "funding",
            Self::Liquidations => "liquidations",
        }
    }
}

/// How to read one Crypto-Lake file.
#[derive(Debug, Clone)]
pub struct LakeOptions {
    pub instrument: InstrumentKey,
    /// `None`: inferred from the columns ([`LakeTable::infer`]).
    pub table: Option<LakeTable>,
    /// Logical field → column name, for files that name a column differently. Logical
    /// fields: `received_time`, `origin_time`, `price`, `quantity` (trades, liquidations),
    /// `size` (book), `side`, `trade_id`, `sequence_number`, `funding_rate`,
    /// `next_funding_time`, `mark_price`, `index_price`.
    pub columns: BTreeMap<String, String>,
    /// Unit of integer timestamp columns; `None` judges it from the first value.
    pub time_unit: Option<IntegerTimeUnit>,
}

impl LakeOptions {
    pub fn new(instrument: InstrumentKey) -> Self {
        Self {
            instrument,
            table: None,
            columns: BTreeMap::new(),
            time_unit: None,
        }
    }
}

const RECEIVED_TIME: &[&str] = &[
    "received_time",
    "receipt_timestamp",
    "receive_time",
    "local_timestamp",
];
const ORIGIN_TIME: &[&str] = &["origin_time", "timestamp", "exchange_time", "event_time"];
const PRICE: &[&str] = &["price"];
const QUANTITY: &[&str] = &["quantity", "amount", "size", "qty"];
const SIZE: &[&str] = &["size", "quantity", "amount", "qty"];
const SIDE: &[&str] = &["side"];
const BOOK_SIDE: &[&str] = &["side_is_bid", "is_bid", "side"];
const TRADE_ID: &[&str] = &["trade_id", "id"];
const SEQUENCE: &[&str] = &["sequence_number", "seq", "sequence"];
const FUNDING_RATE: &[&str] = &["funding_rate", "rate"];
const NEXT_FUNDING: &[&str] = &["next_funding_time"];
const MARK_PRICE: &[&str] = &["mark_price"];
const INDEX_PRICE: &[&str] = &["index_price"];

/// Column indices of one file.
#[derive(Debug, Clone, Copy, Default)]
struct Columns {
    received: Option<usize>,
    origin: Option<usize>,
    price: Option<usize>,
    amount: Option<usize>,
    side: Option<usize>,
    trade_id: Option<usize>,
    sequence: Option<usize>,
    rate: Option<usize>,
    next_funding: Option<usize>,
    mark: Option<usize>,
    index: Option<usize>,
}

fn resolve(
    path: &Path,
    schema: &Schema,
    options: &LakeOptions,
    logical: &str,
    aliases: &[&str],
) -> Result<Option<usize>, DataError> {
    match options.columns.get(logical) {
        Some(name) => find_column(schema, &[name.as_str()])
            .map(Some)
            .ok_or_else(|| {
                layout_error(
                    path,
                    format!("mapped column {name:?} for {logical} is not in the file"),
                )
            }),
        None => Ok(find_column(schema, aliases)),
    }
}

fn require(
    path: &Path,
    table: LakeTable,
    logical: &str,
    index: Option<usize>,
) -> Result<usize, DataError> {
    index.ok_or_else(|| {
        layout_error(
            path,
            format!(
                "no {logical} column for a Crypto-Lake {} table (map it in LakeOptions::columns)",
                table.as_str()
            ),
        )
    })
}

fn resolve_columns(
    path: &Path,
    schema: &Schema,
    options: &LakeOptions,
    table: LakeTable,
) -> Result<Columns, DataError> {
    let find = |logical: &str, aliases: &[&str]| resolve(path, schema, options, logical, aliases);
    let mut columns = Columns {
        received: find("received_time", RECEIVED_TIME)?,
        origin: find("origin_time", ORIGIN_TIME)?,
        price: find("price", PRICE)?,
        ..Columns::default()
    };
    if columns.received.is_none() && columns.origin.is_none() {
        return Err(layout_error(path, "no received_time or origin_time column"));
    }
    match table {
        LakeTable::Trades | LakeTable::Liquidations => {
            columns.amount = Some(require(
                path,
                table,
                "quantity",
                find("quantity", QUANTITY)?,
            )?);
            columns.side = Some(require(path, table, "side", find("side", SIDE)?)?);
            require(path, table, "price", columns.price)?;
            if table == LakeTable::Trades {
                columns.trade_id = find("trade_id", TRADE_ID)?;
            }
        }
        LakeTable::BookDelta => {
            columns.amount = Some(require(path, table, "size", find("size", SIZE)?)?);
            columns.side = Some(require(path, table, "side", find("side", BOOK_SIDE)?)?);
            require(path, table, "price", columns.price)?;
            columns.sequence = find("sequence_number", SEQUENCE)?;
        }
        LakeTable::Funding => {
            columns.rate = Some(require(
                path,
                table,
                "funding_rate",
                find("funding_rate", FUNDING_RATE)?,
            )?);
            columns.next_funding = find("next_funding_time", NEXT_FUNDING)?;
            columns.mark = find("mark_price", MARK_PRICE)?;
            columns.index = find("index_price", INDEX_PRICE)?;
        }
    }
    Ok(columns)
}

/// Aggressor (trades) or order side (liquidations) of a label.
fn trade_side(label: Option<Label<'_>>) -> Result<AggressorSide, String> {
    match label {
        None => Ok(AggressorSide::Unknown),
        Some(Label::Text(text)) => match text.trim().to_ascii_lowercase().as_str() {
            "buy" | "b" | "bid" => Ok(AggressorSide::Buy),
            "sell" | "s" | "ask" | "a" => Ok(AggressorSide::Sell),
            "" | "unknown" | "none" => Ok(AggressorSide::Unknown),
            other => Err(format!("unknown side {other:?}")),
        },
        Some(Label::Number(1)) => Ok(AggressorSide::Buy),
        Some(Label::Number(-1)) => Ok(AggressorSide::Sell),
        Some(other) => Err(format!("unknown side {other:?}")),
    }
}

fn book_side(label: Option<Label<'_>>) -> Result<BookSide, String> {
    match label {
        Some(Label::Flag(true)) | Some(Label::Number(1)) => Ok(BookSide::Bid),
        Some(Label::Flag(false)) | Some(Label::Number(0 | -1)) => Ok(BookSide::Ask),
        Some(Label::Text(text)) => match text.trim().to_ascii_lowercase().as_str() {
            "bid" | "buy" | "b" | "true" => Ok(BookSide::Bid),
            "ask" | "sell" | "a" | "s" | "false" => Ok(BookSide::Ask),
            other => Err(format!("unknown book side {other:?}")),
        },
        Some(other) => Err(format!("unknown book side {other:?}")),
        None => Err("null book side".to_owned()),
    }
}

fn unsigned_at(array: &ArrayRef, row: usize) -> Result<u64, String> {
    if array.is_null(row) {
        return Ok(0);
    }
    match array.data_type() {
        DataType::Int64 => u64::try_from(array.as_primitive::<Int64Type>().value(row))
            .map_err(|_| "negative id".to_owned()),
        DataType::UInt64 => Ok(array.as_primitive::<UInt64Type>().value(row)),
        DataType::Utf8 => Ok(TradeId::from_venue_str(array.as_string::<i32>().value(row).trim()).0),
        other => Err(format!("unsupported id column type {other}")),
    }
}

/// One prepared batch: arrays in the roles the table needs.
struct Prepared {
    columns: Columns,
    arrays: Vec<ArrayRef>,
    side: Option<ArrayRef>,
    units: Vec<Option<IntegerTimeUnit>>,
}

impl Prepared {
    fn array(&self, index: Option<usize>) -> Option<&ArrayRef> {
        index.map(|index| &self.arrays[index])
    }

    fn nanos(&self, index: Option<usize>, row: usize) -> Result<Option<i64>, String> {
        match index {
            // Crypto-Lake times are UTC: naive timestamps get no offset.
            Some(index) => nanos_at(&self.arrays[index], row, self.units[index], 0).map(Some),
            None => Ok(None),
        }
    }

    /// `(ts_event, ts_recv)`: a missing origin time is the receive time and vice versa.
    fn stamps(&self, row: usize) -> Result<(UnixNanos, UnixNanos), String> {
        let received = self.nanos(self.columns.received, row)?;
        let origin = self.nanos(self.columns.origin, row)?;
        let recv = received.or(origin).ok_or("no timestamp")?;
        Ok((UnixNanos(origin.unwrap_or(recv)), UnixNanos(recv)))
    }
}

/// Book-delta rows wait for the next row to learn whether they end their message.
#[derive(Debug, Default)]
struct PendingDelta {
    delta: Option<(BookDelta, (i64, u64))>,
}

impl PendingDelta {
    fn push(
        &mut self,
        sink: &mut dyn EventSink,
        slot: InstrumentSlot,
        delta: BookDelta,
        key: (i64, u64),
    ) {
        if let Some((mut previous, previous_key)) = self.delta.take() {
            if previous_key != key {
                previous.flags = DeltaFlags(previous.flags.0 | DeltaFlags::LAST);
            }
            sink.event(slot, MarketEvent::Depth(previous));
        }
        self.delta = Some((delta, key));
    }

    fn finish(&mut self, sink: &mut dyn EventSink, slot: InstrumentSlot) {
        if let Some((mut last, _)) = self.delta.take() {
            last.flags = DeltaFlags(last.flags.0 | DeltaFlags::LAST);
            sink.event(slot, MarketEvent::Depth(last));
        }
    }
}

/// Imports one Crypto-Lake Parquet file into `sink`.
pub fn import_crypto_lake(
    path: &Path,
    options: &LakeOptions,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    let schema = file_schema(path)?;
    let table = match options.table {
        Some(table) => table,
        None => LakeTable::infer(&schema).ok_or_else(|| {
            layout_error(
                path,
                "cannot tell which Crypto-Lake table this is (set LakeOptions::table)",
            )
        })?,
    };
    let columns = resolve_columns(path, &schema, options, table)?;
    if columns.received.is_none() {
        sink.warn(format!(
            "{}: no received_time column: ts_recv = origin_time",
            path.display()
        ));
    }
    let slot = sink.instrument(&options.instrument);
    let mut run = ForeignRun::new(path);
    let mut pending = PendingDelta::default();
    let mut units: Option<Vec<Option<IntegerTimeUnit>>> = None;
    for_each_batch(path, |batch, first_row| {
        let units = units.get_or_insert_with(|| {
            batch
                .columns()
                .iter()
                .map(|array| options.time_unit.or_else(|| integer_unit(array)))
                .collect()
        });
        let side = columns
            .side
            .map(|index| labels(batch.column(index)))
            .transpose()
            .map_err(|message| layout_error(path, message))?;
        let prepared = Prepared {
            columns,
            arrays: batch.columns().to_vec(),
            side,
            units: units.clone(),
        };
        for row in 0..batch.num_rows() {
            let line = first_row + row as u64 + 1;
            run.summary.records_read += 1;
            let parsed = lake_row(table, &prepared, row, &mut run).and_then(|parsed| {
                match &parsed {
                    LakeRow::Event(event) => super::check(event)?,
                    LakeRow::Delta(delta, _) => super::check(&MarketEvent::Depth(*delta))?,
                }
                Ok(parsed)
            });
            match parsed {
                Ok(LakeRow::Event(event)) => {
                    run.summary.events += 1;
                    sink.event(slot, event);
                }
                Ok(LakeRow::Delta(delta, key)) => {
                    run.summary.events += 1;
                    pending.push(sink, slot, delta, key);
                }
                Err(reason) => run.quarantine(sink, line, reason, batch, row),
            }
        }
        Ok(())
    })?;
    pending.finish(sink, slot);
    Ok(run.finish(sink))
}

enum LakeRow {
    Event(MarketEvent),
    /// A book row and its message key `(ts_recv, sequence_number)`.
    Delta(BookDelta, (i64, u64)),
}

fn fixed(
    prepared: &Prepared,
    index: Option<usize>,
    row: usize,
    run: &mut ForeignRun,
) -> Result<i64, String> {
    match prepared.array(index) {
        Some(array) => {
            let converted = fixed_at(array, row)?;
            Ok(run.snaps.record(array, row, converted))
        }
        None => Ok(0),
    }
}

/// Like [`fixed`], but a null in an optional column means absent (zero).
fn optional_fixed(
    prepared: &Prepared,
    index: Option<usize>,
    row: usize,
    run: &mut ForeignRun,
) -> Result<i64, String> {
    match prepared.array(index) {
        Some(array) if array.is_null(row) => Ok(0),
        _ => fixed(prepared, index, row, run),
    }
}

fn lake_row(
    table: LakeTable,
    prepared: &Prepared,
    row: usize,
    run: &mut ForeignRun,
) -> Result<LakeRow, String> {
    let (ts_event, ts_recv) = prepared.stamps(row)?;
    let columns = prepared.columns;
    let side = prepared
        .side
        .as_ref()
        .and_then(|array| label_at(array, row));
    Ok(match table {
        LakeTable::Trades => LakeRow::Event(MarketEvent::Trade(Trade {
            ts_event,
            ts_recv,
            price: Price(fixed(prepared, columns.price, row, run)?),
            size: Quantity(fixed(prepared, columns.amount, row, run)?),
            aggressor: trade_side(side)?,
            trade_id: TradeId(match prepared.array(columns.trade_id) {
                Some(array) => unsigned_at(array, row)?,
                None => 0,
            }),
        })),
        LakeTable::Liquidations => LakeRow::Event(MarketEvent::Liquidation(Liquidation {
            ts_event,
            ts_recv,
            side: trade_side(side)?,
            price: Price(fixed(prepared, columns.price, row, run)?),
            size: Quantity(fixed(prepared, columns.amount, row, run)?),
        })),
        LakeTable::BookDelta => {
            let sequence = match prepared.array(columns.sequence) {
                Some(array) => unsigned_at(array, row)?,
                None => 0,
            };
            let delta = BookDelta {
                ts_event,
                ts_recv,
                side: book_side(side)?,
                price: Price(fixed(prepared, columns.price, row, run)?),
                size: Quantity(fixed(prepared, columns.amount, row, run)?),
                first_update_id: sequence,
                last_update_id: sequence,
                prev_update_id: 0,
                flags: DeltaFlags::default(),
            };
            LakeRow::Delta(delta, (ts_recv.0, sequence))
        }
        LakeTable::Funding => {
            let next_funding_time = match columns.next_funding {
                Some(index) if !prepared.arrays[index].is_null(row) => {
                    UnixNanos(prepared.nanos(Some(index), row)?.unwrap_or(0))
                }
                _ => UnixNanos::ZERO,
            };
            LakeRow::Event(MarketEvent::Funding(Funding {
                ts_event,
                ts_recv,
                rate: Rate(fixed(prepared, columns.rate, row, run)?),
                next_funding_time,
                mark_price: Price(optional_fixed(prepared, columns.mark, row, run)?),
                index_price: Price(optional_fixed(prepared, columns.index, row, run)?),
            }))
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray, TimestampNanosecondArray,
    };
    use arrow::datatypes::Field;
    use auction_trader_data::CollectedEvents;
    use auction_trader_types::MarketKind;
    use parquet::arrow::ArrowWriter;

    use super::*;

    fn write(path: &Path, columns: Vec<(&str, ArrayRef)>) {
        let fields: Vec<Field> = columns
            .iter()
            .map(|(name, array)| Field::new(*name, array.data_type().clone(), true))
            .collect();
        let batch = RecordBatch::try_new(
            Arc::new(Schema::new(fields)),
            columns.into_iter().map(|(_, array)| array).collect(),
        )
        .unwrap();
        let mut writer =
            ArrowWriter::try_new(std::fs::File::create(path).unwrap(), batch.schema(), None)
                .unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
    }

    fn stamps(values: Vec<i64>) -> ArrayRef {
        Arc::new(TimestampNanosecondArray::from(values))
    }

    fn instrument() -> InstrumentKey {
        InstrumentKey::new("binance-usdm", "BTCUSDT", MarketKind::Perpetual)
    }

    #[test]
    fn trades_with_lake_columns() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("trades.parquet");
        write(
            &path,
            vec![
                ("origin_time", stamps(vec![1_000, 2_000, 3_000])),
                ("received_time", stamps(vec![1_500, 2_500, 3_500])),
                (
                    "side",
                    Arc::new(StringArray::from(vec!["buy", "sell", "sideways"])) as ArrayRef,
                ),
                (
                    "price",
                    Arc::new(Float64Array::from(vec![61_800.2, 61_800.1, 1.0])),
                ),
                (
                    "quantity",
                    Arc::new(Float64Array::from(vec![0.001, 0.1 + 0.2, 1.0])),
                ),
                ("trade_id", Arc::new(Int64Array::from(vec![11, 12, 13]))),
            ],
        );
        let mut sink = CollectedEvents::new();
        let summary =
            import_crypto_lake(&path, &LakeOptions::new(instrument()), &mut sink).unwrap();
        assert_eq!(
            (summary.records_read, summary.events, summary.quarantined),
            (3, 2, 1)
        );
        // 61800.2 -> 61_800_200_000_000 raw; 0.001 -> 1_000_000 raw; buy = taker buy.
        assert_eq!(
            sink.events[0].event,
            MarketEvent::Trade(Trade {
                ts_event: UnixNanos(1_000),
                ts_recv: UnixNanos(1_500),
                price: Price(61_800_200_000_000),
                size: Quantity(1_000_000),
                aggressor: AggressorSide::Buy,
                trade_id: TradeId(11),
            })
        );
        // 0.1 + 0.2 is float noise for 0.3: snapped (300_000_000 raw) and reported.
        let MarketEvent::Trade(second) = sink.events[1].event else {
            panic!("trade")
        };
        assert_eq!(second.size, Quantity(300_000_000));
        assert_eq!(sink.quarantined[0].line, 3);
        assert!(sink.quarantined[0].reason.contains("sideways"));
        assert!(
            sink.warnings
                .iter()
                .any(|warning| warning.contains("1 float values"))
        );
    }

    #[test]
    fn book_deltas_mark_the_last_row_of_each_message() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("book.parquet");
        write(
            &path,
            vec![
                ("origin_time", stamps(vec![10, 10, 20])),
                ("received_time", stamps(vec![15, 15, 25])),
                (
                    "sequence_number",
                    Arc::new(Int64Array::from(vec![7, 7, 8])) as ArrayRef,
                ),
                (
                    "side_is_bid",
                    Arc::new(BooleanArray::from(vec![true, false, true])),
                ),
                (
                    "price",
                    Arc::new(Float64Array::from(vec![100.5, 101.0, 100.0])),
                ),
                ("size", Arc::new(Float64Array::from(vec![2.0, 0.0, 1.25]))),
            ],
        );
        let mut sink = CollectedEvents::new();
        let summary =
            import_crypto_lake(&path, &LakeOptions::new(instrument()), &mut sink).unwrap();
        assert_eq!(summary.events, 3);
        let rows: Vec<(BookSide, i64, bool, u64)> = sink
            .events
            .iter()
            .map(|tagged| match tagged.event {
                MarketEvent::Depth(delta) => (
                    delta.side,
                    delta.size.0,
                    delta.flags.is_last(),
                    delta.last_update_id,
                ),
                _ => panic!("depth"),
            })
            .collect();
        // Message 7 = rows 1-2 (LAST on row 2), message 8 = row 3.
        assert_eq!(
            rows,
            vec![
                (BookSide::Bid, 2_000_000_000, false, 7),
                (BookSide::Ask, 0, true, 7),
                (BookSide::Bid, 1_250_000_000, true, 8)
            ]
        );
    }

    #[test]
    fn funding_and_liquidations_with_mapped_and_integer_columns() {
        let directory = tempfile::tempdir().unwrap();
        let funding = directory.path().join("funding.parquet");
        // Millisecond integer epochs: 1_723_161_600_000 ms = 2024-08-09T00:00:00Z.
        write(
            &funding,
            vec![
                (
                    "ts_ms",
                    Arc::new(Int64Array::from(vec![1_723_161_600_000])) as ArrayRef,
                ),
                ("funding_rate", Arc::new(Float64Array::from(vec![0.0001]))),
                (
                    "next_funding_time",
                    Arc::new(Int64Array::from(vec![1_723_190_400_000])),
                ),
                ("mark_price", Arc::new(Float64Array::from(vec![61_000.5]))),
            ],
        );
        let mut options = LakeOptions::new(instrument());
        options
            .columns
            .insert("received_time".to_owned(), "ts_ms".to_owned());
        let mut sink = CollectedEvents::new();
        import_crypto_lake(&funding, &options, &mut sink).unwrap();
        assert_eq!(
            sink.events[0].event,
            MarketEvent::Funding(Funding {
                ts_event: UnixNanos(1_723_161_600_000_000_000),
                ts_recv: UnixNanos(1_723_161_600_000_000_000),
                rate: Rate(100_000),
                next_funding_time: UnixNanos(1_723_190_400_000_000_000),
                mark_price: Price(61_000_500_000_000),
                index_price: Price(0),
            })
        );
        let liquidations = directory.path().join("liquidations.parquet");
        write(
            &liquidations,
            vec![
                ("origin_time", stamps(vec![5])),
                ("received_time", stamps(vec![6])),
                (
                    "side",
                    Arc::new(StringArray::from(vec!["sell"])) as ArrayRef,
                ),
                ("price", Arc::new(Float64Array::from(vec![60_000.0]))),
                ("quantity", Arc::new(Float64Array::from(vec![0.5]))),
            ],
        );
        let mut sink = CollectedEvents::new();
        import_crypto_lake(&liquidations, &LakeOptions::new(instrument()), &mut sink).unwrap();
        let MarketEvent::Liquidation(liquidation) = sink.events[0].event else {
            panic!("liquidation")
        };
        assert_eq!(
            (liquidation.side, liquidation.size),
            (AggressorSide::Sell, Quantity(500_000_000))
        );
        // A mapping to a missing column is a clear error.
        let mut wrong = LakeOptions::new(instrument());
        wrong.columns.insert("price".to_owned(), "px".to_owned());
        assert!(import_crypto_lake(&liquidations, &wrong, &mut CollectedEvents::new()).is_err());
    }

    #[test]
    fn garbage_files_are_errors_not_panics() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("garbage.parquet");
        std::fs::write(&path, b"PAR1 not really").unwrap();
        assert!(
            import_crypto_lake(
                &path,
                &LakeOptions::new(instrument()),
                &mut CollectedEvents::new()
            )
            .is_err()
        );
    }
}
