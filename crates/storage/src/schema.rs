//! The on-disk schema of every stream kind: one flat Parquet table per [`StreamKind`],
//! mirroring the structs of the types crate field by field (SPEC 1.4).
//!
//! Column types are plain so DuckDB, Polars and pandas read them without plugins:
//! - timestamps: INT64 nanoseconds with the Parquet logical type `TIMESTAMP(NANOS, UTC)`;
//! - prices and rates: INT64 raw fixed-point, value = raw / 10^9 (the global
//!   [`FIXED_SCALE`], also written into each file's key-value metadata). Decimal128(18,9)
//!   was rejected: it caps magnitudes below 10^9 while an `i64` raw value reaches 9.2·10^9;
//! - sizes and volumes ([`Quantity`], `i128` raw): DECIMAL(38, 9), the same raw integer as a
//!   Parquet decimal, so readers see the value itself (up to 10^29 units: meme-coin sizes such
//!   as 1.2·10^10 PEPE exceed the INT64 raw range). Files of schema version 1 stored them as
//!   INT64 raw and are still read;
//! - sides: INT8 codes (`side` of depth: 1 bid, −1 ask; `aggressor` of trades and `side`
//!   of liquidations: 1 buy, −1 sell, 0 unknown);
//! - ids: UINT64; flags: UINT8 bit sets as defined in the types crate.
//!
//! Internally a row travels as a fixed array of `i128` (`Row`, wide enough for sizes):
//! unsigned ids are stored by their `u64` value and converted back exactly, so encode →
//! decode is the identity.

use std::sync::{Arc, OnceLock};

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use auction_trader_types::{
    AggressorSide, Bar, BookDelta, BookSide, DeltaFlags, FIXED_SCALE, Funding, Liquidation,
    MarketEvent, Price, Quantity, Quote, QuoteFlags, Rate, StreamKind, Trade, TradeId, UnixNanos,
};

/// Version of this layout, written into every file (`auction_trader.schema_version`).
pub const SCHEMA_VERSION: &str = "2";
/// Prefix of this crate's key-value metadata entries.
pub const METADATA_PREFIX: &str = "auction_trader.";
/// Widest table (bars) has twelve columns.
pub const MAX_COLUMNS: usize = 12;

/// One event as raw integer columns, in schema order.
pub type Row = [i128; MAX_COLUMNS];

/// Precision and scale of the DECIMAL size columns (raw = value × 10^9).
pub(crate) const WIDE_PRECISION: u8 = 38;
pub const WIDE_SCALE: i8 = 9;

/// How a column is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnClass {
    /// INT64 `TIMESTAMP(NANOS, UTC)`.
    Timestamp,
    /// INT64 raw fixed-point, scale 10^9 (prices, rates).
    Fixed,
    /// DECIMAL(38, 9) (sizes, volumes).
    Wide,
    /// UINT64 (ids, counts).
    Unsigned,
    /// INT8 side code.
    Code,
    /// UINT8 flag set.
    Flags,
}

impl ColumnClass {
    pub(crate) fn data_type(self) -> DataType {
        match self {
            Self::Timestamp => DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            Self::Fixed => DataType::Int64,
            Self::Wide => DataType::Decimal128(WIDE_PRECISION, WIDE_SCALE),
            Self::Unsigned => DataType::UInt64,
            Self::Code => DataType::Int8,
            Self::Flags => DataType::UInt8,
        }
    }
}

/// Name and storage class of one column.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub class: ColumnClass,
}

const fn column(name: &'static str, class: ColumnClass) -> ColumnSpec {
    ColumnSpec { name, class }
}

use ColumnClass::{Code, Fixed, Flags, Timestamp, Unsigned, Wide};

const DEPTH: &[ColumnSpec] = &[
    column("ts_event", Timestamp),
    column("ts_recv", Timestamp),
    column("side", Code),
    column("price", Fixed),
    column("size", Wide),
    column("first_update_id", Unsigned),
    column("last_update_id", Unsigned),
    column("prev_update_id", Unsigned),
    column("flags", Flags),
];
const QUOTE: &[ColumnSpec] = &[
    column("ts_event", Timestamp),
    column("ts_recv", Timestamp),
    column("bid_price", Fixed),
    column("bid_size", Wide),
    column("ask_price", Fixed),
    column("ask_size", Wide),
    column("update_id", Unsigned),
    column("flags", Flags),
];
const TRADE: &[ColumnSpec] = &[
    column("ts_event", Timestamp),
    column("ts_recv", Timestamp),
    column("price", Fixed),
    column("size", Wide),
    column("aggressor", Code),
    column("trade_id", Unsigned),
];
const LIQUIDATION: &[ColumnSpec] = &[
    column("ts_event", Timestamp),
    column("ts_recv", Timestamp),
    column("side", Code),
    column("price", Fixed),
    column("size", Wide),
];
const FUNDING: &[ColumnSpec] = &[
    column("ts_event", Timestamp),
    column("ts_recv", Timestamp),
    column("rate", Fixed),
    column("next_funding_time", Timestamp),
    column("mark_price", Fixed),
    column("index_price", Fixed),
];
const BAR: &[ColumnSpec] = &[
    column("ts_open", Timestamp),
    column("ts_event", Timestamp),
    column("ts_recv", Timestamp),
    column("open", Fixed),
    column("high", Fixed),
    column("low", Fixed),
    column("close", Fixed),
    column("volume", Wide),
    column("vwap", Fixed),
    column("buy_volume", Wide),
    column("sell_volume", Wide),
    column("trade_count", Unsigned),
];

/// The columns of a kind, in file order.
pub const fn columns(kind: StreamKind) -> &'static [ColumnSpec] {
    match kind {
        StreamKind::Depth => DEPTH,
        StreamKind::Quote => QUOTE,
        StreamKind::Trade => TRADE,
        StreamKind::Liquidation => LIQUIDATION,
        StreamKind::Funding => FUNDING,
        StreamKind::Bar => BAR,
    }
}

/// Index of the `ts_recv` column (the sort and partition key).
pub const fn ts_recv_column(kind: StreamKind) -> usize {
    match kind {
        StreamKind::Bar => 2,
        _ => 1,
    }
}

/// The Arrow schema of a kind (built once per kind).
pub fn arrow_schema(kind: StreamKind) -> SchemaRef {
    static SCHEMAS: OnceLock<Vec<SchemaRef>> = OnceLock::new();
    let schemas = SCHEMAS.get_or_init(|| {
        StreamKind::ALL
            .iter()
            .map(|&kind| {
                let fields: Vec<Field> = columns(kind)
                    .iter()
                    .map(|spec| Field::new(spec.name, spec.class.data_type(), false))
                    .collect();
                Arc::new(Schema::new(fields))
            })
            .collect()
    });
    Arc::clone(&schemas[kind as usize])
}

/// Key-value metadata documenting the encoding, written into every tick file.
pub(crate) fn file_metadata(kind: StreamKind) -> Vec<(String, String)> {
    let key = |name: &str| format!("{METADATA_PREFIX}{name}");
    vec![
        (key("schema_version"), SCHEMA_VERSION.to_owned()),
        (key("kind"), kind.as_str().to_owned()),
        (key("fixed_point_scale"), FIXED_SCALE.to_string()),
        (
            key("encoding"),
            "prices and rates are INT64 raw fixed-point: value = raw / fixed_point_scale; \
             sizes and volumes are DECIMAL(38, 9) (the same raw integer as a decimal); \
             timestamps are INT64 ns since the Unix epoch, UTC; side codes: depth side 1 = bid, \
             -1 = ask; aggressor and liquidation side 1 = buy, -1 = sell, 0 = unknown; \
             rows are sorted by ts_recv, ties in source order"
                .to_owned(),
        ),
    ]
}

fn book_side_code(side: BookSide) -> i128 {
    match side {
        BookSide::Bid => 1,
        BookSide::Ask => -1,
    }
}

/// Writes `event` into `row` in schema order.
#[inline]
pub fn encode(event: &MarketEvent, row: &mut Row) {
    // Ids are u64 on the Rust side and UINT64 in the file: the i128 holds the value exactly.
    match event {
        MarketEvent::Depth(delta) => {
            row[0] = i128::from(delta.ts_event.0);
            row[1] = i128::from(delta.ts_recv.0);
            row[2] = book_side_code(delta.side);
            row[3] = i128::from(delta.price.0);
            row[4] = delta.size.0;
            row[5] = i128::from(delta.first_update_id);
            row[6] = i128::from(delta.last_update_id);
            row[7] = i128::from(delta.prev_update_id);
            row[8] = i128::from(delta.flags.0);
        }
        MarketEvent::Quote(quote) => {
            row[0] = i128::from(quote.ts_event.0);
            row[1] = i128::from(quote.ts_recv.0);
            row[2] = i128::from(quote.bid_price.0);
            row[3] = quote.bid_size.0;
            row[4] = i128::from(quote.ask_price.0);
            row[5] = quote.ask_size.0;
            row[6] = i128::from(quote.update_id);
            row[7] = i128::from(quote.flags.0);
        }
        MarketEvent::Trade(trade) => {
            row[0] = i128::from(trade.ts_event.0);
            row[1] = i128::from(trade.ts_recv.0);
            row[2] = i128::from(trade.price.0);
            row[3] = trade.size.0;
            row[4] = i128::from(trade.aggressor.code());
            row[5] = i128::from(trade.trade_id.0);
        }
        MarketEvent::Liquidation(liquidation) => {
            row[0] = i128::from(liquidation.ts_event.0);
            row[1] = i128::from(liquidation.ts_recv.0);
            row[2] = i128::from(liquidation.side.code());
            row[3] = i128::from(liquidation.price.0);
            row[4] = liquidation.size.0;
        }
        MarketEvent::Funding(funding) => {
            row[0] = i128::from(funding.ts_event.0);
            row[1] = i128::from(funding.ts_recv.0);
            row[2] = i128::from(funding.rate.0);
            row[3] = i128::from(funding.next_funding_time.0);
            row[4] = i128::from(funding.mark_price.0);
            row[5] = i128::from(funding.index_price.0);
        }
        MarketEvent::Bar(bar) => {
            row[0] = i128::from(bar.ts_open.0);
            row[1] = i128::from(bar.ts_event.0);
            row[2] = i128::from(bar.ts_recv.0);
            row[3] = i128::from(bar.open.0);
            row[4] = i128::from(bar.high.0);
            row[5] = i128::from(bar.low.0);
            row[6] = i128::from(bar.close.0);
            row[7] = bar.volume.0;
            row[8] = i128::from(bar.vwap.0);
            row[9] = bar.buy_volume.0;
            row[10] = bar.sell_volume.0;
            row[11] = i128::from(bar.trade_count);
        }
    }
}

fn aggressor_from_code(code: i128) -> Result<AggressorSide, String> {
    match code {
        1 => Ok(AggressorSide::Buy),
        -1 => Ok(AggressorSide::Sell),
        0 => Ok(AggressorSide::Unknown),
        other => Err(format!("aggressor code {other} is not 1, -1 or 0")),
    }
}

fn book_side_from_code(code: i128) -> Result<BookSide, String> {
    match code {
        1 => Ok(BookSide::Bid),
        -1 => Ok(BookSide::Ask),
        other => Err(format!("book side code {other} is not 1 or -1")),
    }
}

fn flags_from(value: i128) -> Result<u8, String> {
    u8::try_from(value).map_err(|_| format!("flags {value} out of range"))
}

/// A narrow column's value (stored in an INT64-typed column, so it fits unless corrupt).
fn narrow(value: i128, what: &str) -> Result<i64, String> {
    i64::try_from(value).map_err(|_| format!("{what} {value} out of range"))
}

fn unsigned(value: i128) -> Result<u64, String> {
    u64::try_from(value).map_err(|_| format!("id {value} out of range"))
}

/// Rebuilds the event of `kind` stored in `row`; an error names the impossible value.
#[inline]
pub fn decode(kind: StreamKind, row: &Row) -> Result<MarketEvent, String> {
    let stamp = |value: i128| narrow(value, "timestamp").map(UnixNanos);
    Ok(match kind {
        StreamKind::Depth => MarketEvent::Depth(BookDelta {
            ts_event: stamp(row[0])?,
            ts_recv: stamp(row[1])?,
            side: book_side_from_code(row[2])?,
            price: Price(narrow(row[3], "price")?),
            size: Quantity(row[4]),
            first_update_id: unsigned(row[5])?,
            last_update_id: unsigned(row[6])?,
            prev_update_id: unsigned(row[7])?,
            flags: DeltaFlags(flags_from(row[8])?),
        }),
        StreamKind::Quote => MarketEvent::Quote(Quote {
            ts_event: stamp(row[0])?,
            ts_recv: stamp(row[1])?,
            bid_price: Price(narrow(row[2], "price")?),
            bid_size: Quantity(row[3]),
            ask_price: Price(narrow(row[4], "price")?),
            ask_size: Quantity(row[5]),
            update_id: unsigned(row[6])?,
            flags: QuoteFlags(flags_from(row[7])?),
        }),
        StreamKind::Trade => MarketEvent::Trade(Trade {
            ts_event: stamp(row[0])?,
            ts_recv: stamp(row[1])?,
            price: Price(narrow(row[2], "price")?),
            size: Quantity(row[3]),
            aggressor: aggressor_from_code(row[4])?,
            trade_id: TradeId(unsigned(row[5])?),
        }),
        StreamKind::Liquidation => MarketEvent::Liquidation(Liquidation {
            ts_event: stamp(row[0])?,
            ts_recv: stamp(row[1])?,
            side: aggressor_from_code(row[2])?,
            price: Price(narrow(row[3], "price")?),
            size: Quantity(row[4]),
        }),
        StreamKind::Funding => MarketEvent::Funding(Funding {
            ts_event: stamp(row[0])?,
            ts_recv: stamp(row[1])?,
            rate: Rate(narrow(row[2], "rate")?),
            next_funding_time: stamp(row[3])?,
            mark_price: Price(narrow(row[4], "price")?),
            index_price: Price(narrow(row[5], "price")?),
        }),
        StreamKind::Bar => MarketEvent::Bar(Bar {
            ts_open: stamp(row[0])?,
            ts_event: stamp(row[1])?,
            ts_recv: stamp(row[2])?,
            open: Price(narrow(row[3], "price")?),
            high: Price(narrow(row[4], "price")?),
            low: Price(narrow(row[5], "price")?),
            close: Price(narrow(row[6], "price")?),
            volume: Quantity(row[7]),
            vwap: Price(narrow(row[8], "price")?),
            buy_volume: Quantity(row[9]),
            sell_volume: Quantity(row[10]),
            trade_count: unsigned(row[11])?,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_ts_recv_where_the_index_says() {
        for kind in StreamKind::ALL {
            assert_eq!(columns(kind)[ts_recv_column(kind)].name, "ts_recv");
            assert!(columns(kind).len() <= MAX_COLUMNS);
            assert_eq!(arrow_schema(kind).fields().len(), columns(kind).len());
        }
    }

    #[test]
    fn a_trade_encodes_to_raw_columns() {
        // 61800.2 USDT = 61_800_200_000_000 raw; 0.001 BTC = 1_000_000 raw; a sell is −1.
        let trade = MarketEvent::Trade(Trade {
            ts_event: UnixNanos(1_723_161_254_000_000_000),
            ts_recv: UnixNanos(1_723_161_255_030_314_667),
            price: Price(61_800_200_000_000),
            size: Quantity(1_000_000),
            aggressor: AggressorSide::Sell,
            trade_id: TradeId(u64::MAX),
        });
        let mut row = [0; MAX_COLUMNS];
        encode(&trade, &mut row);
        assert_eq!(
            &row[..6],
            &[
                1_723_161_254_000_000_000,
                1_723_161_255_030_314_667,
                61_800_200_000_000,
                1_000_000,
                -1,
                i128::from(u64::MAX)
            ]
        );
        assert_eq!(decode(StreamKind::Trade, &row), Ok(trade));
    }

    #[test]
    fn meme_coin_sizes_encode_beyond_the_i64_range() {
        // 10^13 PEPE = 10^22 raw: stored exactly in the DECIMAL(38, 9) size column.
        let size = Quantity::from_units(10_000_000_000_000).unwrap();
        let trade = MarketEvent::Trade(Trade {
            ts_event: UnixNanos(1),
            ts_recv: UnixNanos(2),
            price: Price(12_340),
            size,
            aggressor: AggressorSide::Buy,
            trade_id: TradeId(7),
        });
        let mut row = [0; MAX_COLUMNS];
        encode(&trade, &mut row);
        assert_eq!(row[3], 10_000_000_000_000_000_000_000);
        assert_eq!(decode(StreamKind::Trade, &row), Ok(trade));
        assert_eq!(columns(StreamKind::Trade)[3].class, ColumnClass::Wide);
        assert_eq!(columns(StreamKind::Trade)[2].class, ColumnClass::Fixed);
    }

    #[test]
    fn a_corrupt_narrow_value_is_an_error_not_a_truncation() {
        let mut row = [0; MAX_COLUMNS];
        row[2] = i128::from(i64::MAX) + 1;
        assert!(decode(StreamKind::Trade, &row).is_err());
    }

    #[test]
    fn impossible_codes_are_reported_not_guessed() {
        let mut row = [0; MAX_COLUMNS];
        row[2] = 7;
        assert!(decode(StreamKind::Depth, &row).is_err());
        row[2] = 1;
        row[8] = 300;
        assert!(decode(StreamKind::Depth, &row).is_err());
        let mut trade = [0; MAX_COLUMNS];
        trade[4] = 2;
        assert!(decode(StreamKind::Trade, &trade).is_err());
    }
}
