//! Tardis.dev CSV datasets (SPEC 1.2: "Tardis-style CSV: trades, quotes, incremental_book_L2,
//! book_snapshot_25, derivative_ticker, liquidations").
//!
//! The kind is detected from the header (trades and liquidations share one header, so a file
//! name containing `liquidation` selects liquidations; [`TardisOptions::kind`] overrides).
//! Common columns: `exchange` -> venue (as Tardis spells it), `symbol`, `timestamp` (exchange
//! time, µs) -> `ts_event`, `local_timestamp` (µs) -> `ts_recv`. Rows are emitted in file order
//! (Tardis files are ordered by `local_timestamp`).
//!
//! * trades (`id,side,price,amount`; side = taker side) -> [`Trade`].
//! * quotes (`ask_amount,ask_price,bid_price,bid_amount`) -> [`Quote`]; a row with an empty
//!   book side is quarantined (a quote needs both sides).
//! * incremental_book_L2 (`is_snapshot,side,price,amount`) -> [`BookDelta`] rows. Tardis: "if
//!   the last update was not a snapshot and the current one is, the existing book must be
//!   discarded", so a run of `is_snapshot=true` rows that starts the file or follows
//!   non-snapshot rows is one snapshot message (SNAPSHOT on every row, CLEAR on the first, LAST
//!   on the last row of the run). Updates with equal `local_timestamp` form one message (LAST on
//!   its last row).
//! * book_snapshot_N (`asks[i].price,asks[i].amount,bids[i].price,bids[i].amount`, any N) ->
//!   one full snapshot message per row: bids then asks, SNAPSHOT on every row, CLEAR on the
//!   first, LAST on the last; empty levels skipped; a row with no level at all becomes one
//!   `SNAPSHOT|CLEAR|LAST|EMPTY` row (the book is empty).
//! * derivative_ticker (`funding_timestamp,funding_rate,predicted_funding_rate,open_interest,
//!   last_price,index_price,mark_price`) -> [`Funding`] (rate = `funding_rate`, next funding =
//!   `funding_timestamp`, mark and index where present). Rows without a `funding_rate` (dated
//!   futures) carry no funding: they are skipped and counted in a warning.
//!   `predicted_funding_rate`, `open_interest` and `last_price` have no field in [`Funding`].
//! * liquidations (`id,side,price,amount`; side = side of the liquidation order: `sell`
//!   liquidates a long) -> [`Liquidation`].
//!
//! The market of an instrument is inferred from exchange and symbol ([`market_of`]); set
//! [`TardisOptions::market`] when the heuristic does not fit.

use std::io::BufRead;
use std::path::Path;

use auction_trader_types::{
    AggressorSide, BookDelta, BookSide, DeltaFlags, Funding, InstrumentKey, Liquidation,
    MarketEvent, MarketKind, Price, Quantity, Quote, QuoteFlags, Rate, Trade, TradeId, UnixNanos,
};
use csv::ByteRecord;

use super::generic_csv::{
    header_index, join_record, non_negative, parse_decimal, positive, read_record,
    trade_id_from_bytes,
};
use super::timestamp::{parse_epoch, trim_ascii};
use crate::input::for_each_input;
use crate::validate::trade_ids::TradeIdSet;
use crate::validity::check_event;
use crate::{DataError, EventSink, ImportSummary, InstrumentSlot, QuarantinedRow};

/// Tardis timestamps are microseconds since the epoch.
const MICROS: i64 = 1_000;
/// Id ranges remembered per instrument for duplicate detection (exact while ids are mostly
/// consecutive, as Tardis trade ids are; see `TradeIdSet`).
const TRADE_ID_RANGES: usize = 1 << 16;

/// The Tardis dataset types we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TardisKind {
    Trades,
    Quotes,
    IncrementalBookL2,
    /// `book_snapshot_N` with `levels` = N.
    BookSnapshot {
        levels: usize,
    },
    DerivativeTicker,
    Liquidations,
}

/// Options of a Tardis import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TardisOptions {
    /// Forces the dataset type instead of detecting it from the header and name.
    pub kind: Option<TardisKind>,
    /// Forces the market kind of every instrument instead of [`market_of`].
    pub market: Option<MarketKind>,
}

/// Tardis exchange ids that list only spot markets.
const SPOT_EXCHANGES: &[&str] = &[
    "binance",
    "binance-us",
    "binance-jersey",
    "bitstamp",
    "coinbase",
    "kraken",
    "gemini",
    "okex",
    "okx",
    "huobi",
    "bitfinex",
    "poloniex",
    "upbit",
    "gate-io",
    "kucoin",
    "ascendex",
    "crypto-com",
    "bitflyer",
    "ftx-us",
    "bitnomial-spot",
];

/// Infers perpetual / spot / dated future from a Tardis exchange id and symbol: `*-spot`
/// exchanges, spot-only exchanges and `BASE/QUOTE` symbols are spot; `PERP`/`SWAP`/
/// `PERPETUAL` symbols are perpetual; symbols ending in a date (`BTCUSD_200925`, `BTC-25SEP20`,
/// `BTC-0925`, BitMEX `XBTZ20`) are futures; other derivatives-venue symbols are perpetual.
pub fn market_of(exchange: &str, symbol: &str) -> MarketKind {
    let symbol = symbol.to_ascii_uppercase();
    let exchange = exchange.to_ascii_lowercase();
    if exchange.ends_with("-spot")
        || SPOT_EXCHANGES.contains(&exchange.as_str())
        || symbol.contains('/')
    {
        return MarketKind::Spot;
    }
    if symbol.contains("PERP") || symbol.contains("SWAP") {
        return MarketKind::Perpetual;
    }
    let last_part = symbol.rsplit(['-', '_']).next().unwrap_or_default();
    let bytes = last_part.as_bytes();
    let trailing_digits = bytes
        .iter()
        .rev()
        .take_while(|byte| byte.is_ascii_digit())
        .count();
    let is_date_part =
        last_part != symbol && trailing_digits >= 4 && trailing_digits == bytes.len();
    // Deribit `25SEP20`: one or two digits, three letters, two digits.
    let is_deribit_date = (7..=8).contains(&bytes.len())
        && trailing_digits == 2
        && bytes[bytes.len() - 5..bytes.len() - 2]
            .iter()
            .all(u8::is_ascii_alphabetic)
        && bytes[..bytes.len() - 5].iter().all(u8::is_ascii_digit);
    // BitMEX futures: a month code letter and a two-digit year (`XBTZ20`, `ETHUSDH21`).
    let is_bitmex_future = exchange == "bitmex"
        && trailing_digits == 2
        && bytes.len() > 3
        && b"FGHJKMNQUVXZ".contains(&bytes[bytes.len() - 3]);
    if is_date_part || is_deribit_date || is_bitmex_future {
        MarketKind::Future
    } else {
        MarketKind::Perpetual
    }
}

/// Detects the dataset type from a header and the file name.
pub fn detect_kind(header: &ByteRecord, name: &str) -> Option<TardisKind> {
    let has = |column: &str| header_index(header, column).is_some();
    let levels = header
        .iter()
        .filter_map(|field| level_of(trim_ascii(field)))
        .map(|(_, index, _)| index + 1)
        .max();
    if has("is_snapshot") {
        Some(TardisKind::IncrementalBookL2)
    } else if let Some(levels) = levels {
        Some(TardisKind::BookSnapshot { levels })
    } else if has("funding_rate") || has("mark_price") {
        Some(TardisKind::DerivativeTicker)
    } else if has("ask_price") && has("bid_price") {
        Some(TardisKind::Quotes)
    } else if has("side") && has("price") && has("amount") {
        if name.to_ascii_lowercase().contains("liquidation") {
            Some(TardisKind::Liquidations)
        } else {
            Some(TardisKind::Trades)
        }
    } else {
        None
    }
}

/// Parses `asks[3].price` into (side, 3, is_price).
fn level_of(field: &[u8]) -> Option<(BookSide, usize, bool)> {
    let (side, rest) = if let Some(rest) = field.strip_prefix(b"asks[") {
        (BookSide::Ask, rest)
    } else {
        (BookSide::Bid, field.strip_prefix(b"bids[")?)
    };
    let close = rest.iter().position(|&byte| byte == b']')?;
    let index: usize = std::str::from_utf8(&rest[..close]).ok()?.parse().ok()?;
    match &rest[close + 1..] {
        b".price" => Some((side, index, true)),
        b".amount" => Some((side, index, false)),
        _ => None,
    }
}

/// Imports one Tardis file (plain, `.gz` or `.zip`).
pub fn import_file(
    path: &Path,
    options: &TardisOptions,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    let mut total = ImportSummary::default();
    for_each_input(path, |name, reader| {
        let summary = import_reader(reader, name, options, sink)?;
        add(&mut total, &summary);
        Ok(())
    })?;
    Ok(total)
}

/// Imports several Tardis files one after the other (each in its own file order).
pub fn import_files<P: AsRef<Path>>(
    paths: &[P],
    options: &TardisOptions,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    let mut total = ImportSummary::default();
    for path in paths {
        let summary = import_file(path.as_ref(), options, sink)?;
        add(&mut total, &summary);
    }
    Ok(total)
}

fn add(total: &mut ImportSummary, part: &ImportSummary) {
    total.add(part);
}

/// Imports one decompressed Tardis CSV stream; `source` is its name (used to tell
/// liquidations from trades and in quarantine rows).
pub fn import_reader(
    reader: &mut dyn BufRead,
    source: &str,
    options: &TardisOptions,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    let mut records = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut record = ByteRecord::new();
    if !read_record(&mut records, &mut record, source)? {
        return Ok(ImportSummary::default());
    }
    let header = record.clone();
    let kind = options
        .kind
        .or_else(|| detect_kind(&header, source))
        .ok_or_else(|| DataError::UnknownFormat {
            path: source.into(),
            hint: format!(
                "not a Tardis trades/quotes/incremental_book_L2/book_snapshot/derivative_ticker/liquidations header: {}",
                String::from_utf8_lossy(&join_record(&header, b','))
            ),
        })?;
    let mut reader = RowReader::new(&header, kind, options, source)?;
    reader.summary.records_read = 1;
    while read_record(&mut records, &mut record, source)? {
        reader.row(&record, sink);
    }
    reader.finish(sink);
    Ok(reader.summary)
}

/// Column positions of one file.
#[derive(Debug, Clone)]
struct Columns {
    exchange: usize,
    symbol: usize,
    timestamp: usize,
    local_timestamp: usize,
    /// Kind-specific columns, in the order each kind's parser expects them (`usize::MAX` =
    /// absent).
    fields: [usize; 4],
    /// book_snapshot_N: (price, amount) positions of bids[i] then asks[i].
    levels: Vec<(BookSide, Option<usize>, Option<usize>)>,
}

const TRADE_FIELDS: &[&str] = &["id", "side", "price", "amount"];
const QUOTE_FIELDS: &[&str] = &["bid_price", "bid_amount", "ask_price", "ask_amount"];
const L2_FIELDS: &[&str] = &["is_snapshot", "side", "price", "amount"];
const TICKER_FIELDS: &[&str] = &[
    "funding_rate",
    "funding_timestamp",
    "mark_price",
    "index_price",
];

impl Columns {
    fn resolve(header: &ByteRecord, kind: TardisKind, source: &str) -> Result<Self, DataError> {
        let find = |name: &str| {
            header_index(header, name).ok_or_else(|| DataError::InvalidInput {
                path: source.into(),
                message: format!("Tardis {kind:?} file without a {name:?} column"),
            })
        };
        let names: &[&str] = match kind {
            TardisKind::Trades | TardisKind::Liquidations => TRADE_FIELDS,
            TardisKind::Quotes => QUOTE_FIELDS,
            TardisKind::IncrementalBookL2 => L2_FIELDS,
            TardisKind::DerivativeTicker | TardisKind::BookSnapshot { .. } => &[],
        };
        let mut fields = [usize::MAX; 4];
        for (slot, name) in fields.iter_mut().zip(names) {
            *slot = find(name)?;
        }
        if kind == TardisKind::DerivativeTicker {
            // Every derivative_ticker column is optional in practice (venues differ).
            for (slot, name) in fields.iter_mut().zip(TICKER_FIELDS) {
                *slot = header_index(header, name).unwrap_or(usize::MAX);
            }
        }
        let mut levels = Vec::new();
        if let TardisKind::BookSnapshot { levels: count } = kind {
            let position = |side: BookSide, index: usize, is_price: bool| {
                header
                    .iter()
                    .position(|field| level_of(trim_ascii(field)) == Some((side, index, is_price)))
            };
            for side in [BookSide::Bid, BookSide::Ask] {
                for index in 0..count {
                    levels.push((
                        side,
                        position(side, index, true),
                        position(side, index, false),
                    ));
                }
            }
        }
        Ok(Self {
            exchange: find("exchange")?,
            symbol: find("symbol")?,
            timestamp: find("timestamp")?,
            local_timestamp: find("local_timestamp")?,
            fields,
            levels,
        })
    }
}

/// An L2 row held back until the next row says whether it ends its message.
#[derive(Debug, Clone, Copy)]
struct HeldDelta {
    slot: InstrumentSlot,
    delta: BookDelta,
    is_snapshot: bool,
}

/// Per-instrument L2 state: whether the instrument's last row was part of a snapshot.
#[derive(Debug, Clone, Copy)]
struct L2State {
    slot: InstrumentSlot,
    in_snapshot: bool,
}

struct RowReader<'a> {
    kind: TardisKind,
    columns: Columns,
    options: &'a TardisOptions,
    source: &'a str,
    summary: ImportSummary,
    instruments: Vec<(Vec<u8>, Vec<u8>, InstrumentSlot)>,
    last_instrument: Option<usize>,
    held: Option<HeldDelta>,
    l2_states: Vec<L2State>,
    levels: Vec<(BookSide, Price, Quantity)>,
    without_funding: u64,
    /// Trade ids seen per instrument: a repeated id is quarantined (SPEC 1.3, the same rule as
    /// the buffered CSV importers).
    trade_ids: Vec<(InstrumentSlot, TradeIdSet)>,
}

impl<'a> RowReader<'a> {
    fn new(
        header: &ByteRecord,
        kind: TardisKind,
        options: &'a TardisOptions,
        source: &'a str,
    ) -> Result<Self, DataError> {
        Ok(Self {
            kind,
            columns: Columns::resolve(header, kind, source)?,
            options,
            source,
            summary: ImportSummary::default(),
            instruments: Vec::new(),
            last_instrument: None,
            held: None,
            l2_states: Vec::new(),
            levels: Vec::new(),
            without_funding: 0,
            trade_ids: Vec::new(),
        })
    }

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

    fn parse(&mut self, record: &ByteRecord, sink: &mut dyn EventSink) -> Result<(), String> {
        // Tardis CSV is UTF-8: other bytes mean corruption, whichever field they hit (an
        // exchange or symbol would otherwise become a new instrument).
        if std::str::from_utf8(record.as_slice()).is_err() {
            return Err("row is not valid UTF-8".to_owned());
        }
        let field = |index: usize| trim_ascii(record.get(index).unwrap_or_default());
        let ts_event = micros(field(self.columns.timestamp), "timestamp")?;
        let ts_recv = micros(field(self.columns.local_timestamp), "local_timestamp")?;
        let slot = self.slot(
            field(self.columns.exchange),
            field(self.columns.symbol),
            sink,
        )?;
        let fields = self.columns.fields;
        match self.kind {
            TardisKind::Trades => {
                let trade = Trade {
                    ts_event,
                    ts_recv,
                    price: Price::from_raw(positive(field(fields[2]), "price")?),
                    size: Quantity::from_raw(positive(field(fields[3]), "amount")?),
                    aggressor: taker_side(field(fields[1]))?,
                    trade_id: match field(fields[0]) {
                        b"" => TradeId(0),
                        id => trade_id_from_bytes(id),
                    },
                };
                check(&MarketEvent::Trade(trade))?;
                // TradeId 0 = no id in the row: nothing to compare.
                if trade.trade_id.0 != 0 && !self.first_sight(slot, trade.trade_id) {
                    return Err(format!("duplicate trade id {}", trade.trade_id.0));
                }
                self.emit(slot, MarketEvent::Trade(trade), sink);
            }
            TardisKind::Liquidations => {
                let side = taker_side(field(fields[1]))?;
                if side == AggressorSide::Unknown {
                    return Err("liquidation without a side".to_owned());
                }
                let liquidation = Liquidation {
                    ts_event,
                    ts_recv,
                    side,
                    price: Price::from_raw(positive(field(fields[2]), "price")?),
                    size: Quantity::from_raw(positive(field(fields[3]), "amount")?),
                };
                check(&MarketEvent::Liquidation(liquidation))?;
                self.emit(slot, MarketEvent::Liquidation(liquidation), sink);
            }
            TardisKind::Quotes => {
                if fields.iter().any(|&index| field(index).is_empty()) {
                    return Err("empty book side: a quote needs bid and ask".to_owned());
                }
                let quote = Quote {
                    ts_event,
                    ts_recv,
                    bid_price: Price::from_raw(positive(field(fields[0]), "bid_price")?),
                    bid_size: Quantity::from_raw(non_negative(field(fields[1]), "bid_amount")?),
                    ask_price: Price::from_raw(positive(field(fields[2]), "ask_price")?),
                    ask_size: Quantity::from_raw(non_negative(field(fields[3]), "ask_amount")?),
                    update_id: 0,
                    flags: QuoteFlags::default(),
                };
                check(&MarketEvent::Quote(quote))?;
                self.emit(slot, MarketEvent::Quote(quote), sink);
            }
            TardisKind::IncrementalBookL2 => {
                let is_snapshot = match field(fields[0]) {
                    b"true" | b"True" | b"TRUE" => true,
                    b"false" | b"False" | b"FALSE" => false,
                    _ => return Err("is_snapshot is neither true nor false".to_owned()),
                };
                let side = book_side(field(fields[1]))?;
                let price = Price::from_raw(positive(field(fields[2]), "price")?);
                let size = Quantity::from_raw(non_negative(field(fields[3]), "amount")?);
                check_level(side, price, size)?;
                self.incremental(
                    slot,
                    is_snapshot,
                    side,
                    price,
                    size,
                    ts_event,
                    ts_recv,
                    sink,
                );
            }
            TardisKind::BookSnapshot { .. } => {
                self.levels.clear();
                for &(side, price_index, amount_index) in &self.columns.levels {
                    let price = price_index.map(field).unwrap_or_default();
                    let amount = amount_index.map(field).unwrap_or_default();
                    if price.is_empty() || amount.is_empty() {
                        continue;
                    }
                    let price = Price::from_raw(positive(price, "level price")?);
                    let size = Quantity::from_raw(non_negative(amount, "level amount")?);
                    check_level(side, price, size)?;
                    self.levels.push((side, price, size));
                }
                self.snapshot(slot, ts_event, ts_recv, sink);
            }
            TardisKind::DerivativeTicker => {
                let optional = |index: usize| record.get(index).map(trim_ascii).unwrap_or_default();
                let rate_text = optional(fields[0]);
                if rate_text.is_empty() {
                    self.without_funding += 1;
                    return Ok(());
                }
                let rate = parse_decimal(rate_text)
                    .map(|(raw, _)| Rate::from_raw(raw))
                    .map_err(|error| format!("funding_rate: {error}"))?;
                let next_funding_time = match optional(fields[1]) {
                    b"" => UnixNanos::ZERO,
                    text => micros(text, "funding_timestamp")?,
                };
                let price_or_zero = |index: usize, what: &str| match optional(index) {
                    b"" => Ok(Price::ZERO),
                    text => positive(text, what).map(Price::from_raw),
                };
                let funding = Funding {
                    ts_event,
                    ts_recv,
                    rate,
                    next_funding_time,
                    mark_price: price_or_zero(fields[2], "mark_price")?,
                    index_price: price_or_zero(fields[3], "index_price")?,
                };
                check(&MarketEvent::Funding(funding))?;
                self.emit(slot, MarketEvent::Funding(funding), sink);
            }
        }
        Ok(())
    }

    /// Whether `id` is new for the instrument (remembers it).
    fn first_sight(&mut self, slot: InstrumentSlot, id: TradeId) -> bool {
        let index = match self.trade_ids.iter().position(|(known, _)| *known == slot) {
            Some(index) => index,
            None => {
                self.trade_ids
                    .push((slot, TradeIdSet::new(TRADE_ID_RANGES)));
                self.trade_ids.len() - 1
            }
        };
        self.trade_ids[index].1.insert(id.0)
    }

    fn emit(&mut self, slot: InstrumentSlot, event: MarketEvent, sink: &mut dyn EventSink) {
        self.summary.events += 1;
        sink.event(slot, event);
    }

    #[allow(clippy::too_many_arguments)]
    fn incremental(
        &mut self,
        slot: InstrumentSlot,
        is_snapshot: bool,
        side: BookSide,
        price: Price,
        size: Quantity,
        ts_event: UnixNanos,
        ts_recv: UnixNanos,
        sink: &mut dyn EventSink,
    ) {
        let state_index = match self.l2_states.iter().position(|state| state.slot == slot) {
            Some(index) => index,
            None => {
                self.l2_states.push(L2State {
                    slot,
                    in_snapshot: false,
                });
                self.l2_states.len() - 1
            }
        };
        let starts_snapshot = is_snapshot && !self.l2_states[state_index].in_snapshot;
        self.l2_states[state_index].in_snapshot = is_snapshot;
        // The held row ends its message unless this row continues it: same instrument, and
        // either the same snapshot run or the same local timestamp among updates.
        if let Some(held) = self.held.take() {
            let continues = held.slot == slot
                && held.is_snapshot == is_snapshot
                && !starts_snapshot
                && (is_snapshot || held.delta.ts_recv == ts_recv);
            self.release(held, !continues, sink);
        }
        let mut flags = 0;
        if is_snapshot {
            flags |= DeltaFlags::SNAPSHOT;
        }
        if starts_snapshot {
            flags |= DeltaFlags::CLEAR;
        }
        self.held = Some(HeldDelta {
            slot,
            is_snapshot,
            delta: BookDelta {
                ts_event,
                ts_recv,
                side,
                price,
                size,
                first_update_id: 0,
                last_update_id: 0,
                prev_update_id: 0,
                flags: DeltaFlags(flags),
            },
        });
    }

    fn release(&mut self, mut held: HeldDelta, last: bool, sink: &mut dyn EventSink) {
        if last {
            held.delta.flags.0 |= DeltaFlags::LAST;
        }
        self.emit(held.slot, MarketEvent::Depth(held.delta), sink);
    }

    fn snapshot(
        &mut self,
        slot: InstrumentSlot,
        ts_event: UnixNanos,
        ts_recv: UnixNanos,
        sink: &mut dyn EventSink,
    ) {
        let row = |side, price, size, flags| BookDelta {
            ts_event,
            ts_recv,
            side,
            price,
            size,
            first_update_id: 0,
            last_update_id: 0,
            prev_update_id: 0,
            flags: DeltaFlags(flags),
        };
        if self.levels.is_empty() {
            let flags =
                DeltaFlags::SNAPSHOT | DeltaFlags::CLEAR | DeltaFlags::LAST | DeltaFlags::EMPTY;
            let delta = row(BookSide::Bid, Price::ZERO, Quantity::ZERO, flags);
            self.emit(slot, MarketEvent::Depth(delta), sink);
            return;
        }
        let count = self.levels.len();
        for index in 0..count {
            let (side, price, size) = self.levels[index];
            let mut flags = DeltaFlags::SNAPSHOT;
            if index == 0 {
                flags |= DeltaFlags::CLEAR;
            }
            if index + 1 == count {
                flags |= DeltaFlags::LAST;
            }
            self.emit(
                slot,
                MarketEvent::Depth(row(side, price, size, flags)),
                sink,
            );
        }
    }

    fn slot(
        &mut self,
        exchange: &[u8],
        symbol: &[u8],
        sink: &mut dyn EventSink,
    ) -> Result<InstrumentSlot, String> {
        if let Some(index) = self.last_instrument {
            let (known_exchange, known_symbol, slot) = &self.instruments[index];
            if known_exchange == exchange && known_symbol == symbol {
                return Ok(*slot);
            }
        }
        if exchange.is_empty() || symbol.is_empty() {
            return Err("blank exchange or symbol".to_owned());
        }
        if let Some(index) =
            self.instruments
                .iter()
                .position(|(known_exchange, known_symbol, _)| {
                    known_exchange == exchange && known_symbol == symbol
                })
        {
            self.last_instrument = Some(index);
            return Ok(self.instruments[index].2);
        }
        let venue = String::from_utf8_lossy(exchange).into_owned();
        let name = String::from_utf8_lossy(symbol).into_owned();
        let market = self
            .options
            .market
            .unwrap_or_else(|| market_of(&venue, &name));
        let slot = sink.instrument(&InstrumentKey::new(venue, name, market));
        self.instruments
            .push((exchange.to_vec(), symbol.to_vec(), slot));
        self.last_instrument = Some(self.instruments.len() - 1);
        Ok(slot)
    }

    fn finish(&mut self, sink: &mut dyn EventSink) {
        if let Some(held) = self.held.take() {
            self.release(held, true, sink);
        }
        if self.without_funding > 0 {
            sink.warn(format!(
                "{}: {} derivative_ticker rows have no funding_rate (no Funding event)",
                self.source, self.without_funding
            ));
        }
    }
}

/// The one value rule ([`check_event`]) as this importer's quarantine reason.
fn check(event: &MarketEvent) -> Result<(), String> {
    check_event(event).map_err(|invalid| invalid.0.to_owned())
}

/// [`check`] for one book level (the row is emitted later, when its message ends).
fn check_level(side: BookSide, price: Price, size: Quantity) -> Result<(), String> {
    check(&MarketEvent::Depth(BookDelta {
        ts_event: UnixNanos::ZERO,
        ts_recv: UnixNanos::ZERO,
        side,
        price,
        size,
        first_update_id: 0,
        last_update_id: 0,
        prev_update_id: 0,
        flags: DeltaFlags::default(),
    }))
}

fn micros(text: &[u8], what: &str) -> Result<UnixNanos, String> {
    parse_epoch(text, MICROS).map_err(|error| format!("{what}: {error}"))
}

fn taker_side(text: &[u8]) -> Result<AggressorSide, String> {
    match text {
        b"buy" | b"Buy" | b"BUY" => Ok(AggressorSide::Buy),
        b"sell" | b"Sell" | b"SELL" => Ok(AggressorSide::Sell),
        b"unknown" | b"" => Ok(AggressorSide::Unknown),
        _ => Err(format!("unknown side {:?}", String::from_utf8_lossy(text))),
    }
}

fn book_side(text: &[u8]) -> Result<BookSide, String> {
    match text {
        b"bid" | b"buy" => Ok(BookSide::Bid),
        b"ask" | b"sell" => Ok(BookSide::Ask),
        _ => Err(format!(
            "unknown book side {:?}",
            String::from_utf8_lossy(text)
        )),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::CollectedEvents;

    fn run(name: &str, text: &str) -> (CollectedEvents, ImportSummary) {
        let mut sink = CollectedEvents::new();
        let summary = import_reader(
            &mut text.as_bytes(),
            name,
            &TardisOptions::default(),
            &mut sink,
        )
        .unwrap();
        (sink, summary)
    }

    fn depth(sink: &CollectedEvents) -> Vec<BookDelta> {
        sink.events
            .iter()
            .filter_map(|tagged| match tagged.event {
                MarketEvent::Depth(delta) => Some(delta),
                _ => None,
            })
            .collect()
    }

    const S: u8 = DeltaFlags::SNAPSHOT;
    const C: u8 = DeltaFlags::CLEAR;
    const L: u8 = DeltaFlags::LAST;

    #[test]
    fn trades_keep_taker_side_ids_and_both_clocks() {
        let text = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n\
                    binance-futures,BTCUSDT,1582329602111000,1582329602418379,42377944,buy,9682,0.132\n\
                    bitmex,XBTUSD,1583020803145000,1583020803307160,ccc3c1fa-212c-e8b0-1706-9b9c4f3d5ecf,sell,8531.5,2152\n\
                    bitmex,XBTUSD,1583020803145000,1583020803307160,x,sell,0,1\n";
        let (sink, summary) = run("trades.csv", text);
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
            InstrumentKey::new("binance-futures", "BTCUSDT", MarketKind::Perpetual)
        );
        assert_eq!(sink.instruments[1].venue, "bitmex");
        let MarketEvent::Trade(trade) = sink.events[0].event else {
            panic!()
        };
        // 1582329602111000 µs = 1_582_329_602_111_000_000 ns.
        assert_eq!(trade.ts_event, UnixNanos(1_582_329_602_111_000_000));
        assert_eq!(trade.ts_recv, UnixNanos(1_582_329_602_418_379_000));
        assert_eq!(trade.price, Price::from_units(9_682).unwrap());
        assert_eq!(trade.size, Quantity::from_raw(132_000_000));
        assert_eq!(trade.aggressor, AggressorSide::Buy);
        assert_eq!(trade.trade_id, TradeId(42_377_944));
        let MarketEvent::Trade(uuid) = sink.events[1].event else {
            panic!()
        };
        assert_eq!(
            uuid.trade_id,
            TradeId::from_venue_str("ccc3c1fa-212c-e8b0-1706-9b9c4f3d5ecf")
        );
        assert_eq!(sink.quarantined[0].reason, "zero price");
        assert_eq!(sink.quarantined[0].line, 4);
    }

    #[test]
    fn liquidations_share_the_trade_header_and_are_told_by_name() {
        let text = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n\
                    binance-futures,BTCUSDT,1600000000000000,1600000000100000,,sell,10000.5,0.25\n";
        let (sink, _) = run("binance-futures_liquidations_2020-09-13_BTCUSDT.csv", text);
        let MarketEvent::Liquidation(liquidation) = sink.events[0].event else {
            panic!()
        };
        assert_eq!(liquidation.side, AggressorSide::Sell);
        assert_eq!(liquidation.size, Quantity::from_raw(250_000_000));
    }

    #[test]
    fn quotes_need_both_sides() {
        let text = "exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount\n\
                    binance-futures,BTCUSDT,1582329601096000,1582329603502092,0.84,9682,9681.92,0.67\n\
                    binance-futures,BTCUSDT,1582329601096000,1582329603502092,,,9681.92,0.67\n";
        let (sink, summary) = run("quotes.csv", text);
        assert_eq!(summary.events, 1);
        let MarketEvent::Quote(quote) = sink.events[0].event else {
            panic!()
        };
        assert_eq!(quote.bid_price, Price::from_decimal_str("9681.92").unwrap());
        assert_eq!(quote.bid_size, Quantity::from_raw(670_000_000));
        assert_eq!(quote.ask_price, Price::from_units(9_682).unwrap());
        assert_eq!(quote.ask_size, Quantity::from_raw(840_000_000));
        assert!(quote.flags.has_exchange_time());
        assert!(sink.quarantined[0].reason.starts_with("empty book side"));
    }

    #[test]
    fn incremental_rows_group_into_snapshot_and_update_messages() {
        // Snapshot of 2 rows at local 100, update of 2 rows at local 200, 1 row at 300, then
        // a new snapshot (re-subscription) of 1 row at 400.
        let text = "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n\
                    deribit,BTC-PERPETUAL,1,100,true,ask,6421.5,18640\n\
                    deribit,BTC-PERPETUAL,1,100,true,bid,6421,100\n\
                    deribit,BTC-PERPETUAL,2,200,false,ask,6421.5,0\n\
                    deribit,BTC-PERPETUAL,2,200,false,bid,6420.5,5\n\
                    deribit,BTC-PERPETUAL,3,300,false,bid,6420.5,6\n\
                    deribit,BTC-PERPETUAL,4,400,true,bid,6400,1\n";
        let (sink, summary) = run("deribit_incremental_book_L2_BTC-PERPETUAL.csv", text);
        assert_eq!(summary.events, 6);
        let flags: Vec<u8> = depth(&sink).iter().map(|delta| delta.flags.0).collect();
        assert_eq!(flags, [S | C, S | L, 0, L, L, S | C | L]);
        let rows = depth(&sink);
        assert_eq!(rows[2].size, Quantity::ZERO);
        assert_eq!(rows[2].side, BookSide::Ask);
        assert_eq!(rows[3].ts_recv, UnixNanos(200_000));
        assert_eq!(sink.instruments[0].market, MarketKind::Perpetual);
    }

    #[test]
    fn snapshot_rows_become_full_messages_bids_first() {
        let text = "exchange,symbol,timestamp,local_timestamp,asks[0].price,asks[0].amount,bids[0].price,bids[0].amount,asks[1].price,asks[1].amount,bids[1].price,bids[1].amount\n\
                    binance-futures,BTCUSDT,1598918403696000,1598918403810979,11657.08,1.714,11657.07,10.896,11657.54,5.4,,\n\
                    binance-futures,BTCUSDT,1598918403696001,1598918403810980,,,,,,,,\n";
        let (sink, summary) = run("book_snapshot_2.csv", text);
        assert_eq!(summary.events, 4);
        let rows = depth(&sink);
        let sides: Vec<BookSide> = rows.iter().map(|delta| delta.side).collect();
        assert_eq!(
            sides,
            [BookSide::Bid, BookSide::Ask, BookSide::Ask, BookSide::Bid]
        );
        let flags: Vec<u8> = rows.iter().map(|delta| delta.flags.0).collect();
        assert_eq!(flags, [S | C, S, S | L, S | C | L | DeltaFlags::EMPTY]);
        assert_eq!(rows[0].price, Price::from_decimal_str("11657.07").unwrap());
        assert_eq!(rows[2].size, Quantity::from_raw(5_400_000_000));
    }

    #[test]
    fn derivative_ticker_rows_become_funding() {
        let text = "exchange,symbol,timestamp,local_timestamp,funding_timestamp,funding_rate,predicted_funding_rate,open_interest,last_price,index_price,mark_price\n\
                    binance-futures,BTCUSDT,1600000000000000,1600000000001000,1600012800000000,0.0001,0.00012,1000,10000,9999.5,10000.25\n\
                    binance-futures,BTCUSDT_200925,1600000000000000,1600000000001000,,,,1000,10000,9999.5,\n\
                    binance-futures,BTCUSDT,1600000001000000,1600000001001000,,-1e-05,,,,,\n";
        let (sink, summary) = run("derivative_ticker.csv", text);
        assert_eq!(
            summary,
            ImportSummary {
                records_read: 4,
                events: 2,
                quarantined: 0
            }
        );
        let MarketEvent::Funding(funding) = sink.events[0].event else {
            panic!()
        };
        // 0.0001 = 100_000 raw; next funding 1600012800000000 µs = 08:00 later.
        assert_eq!(funding.rate, Rate::from_raw(100_000));
        assert_eq!(
            funding.next_funding_time,
            UnixNanos(1_600_012_800_000_000_000)
        );
        assert_eq!(
            funding.mark_price,
            Price::from_decimal_str("10000.25").unwrap()
        );
        assert_eq!(
            funding.index_price,
            Price::from_decimal_str("9999.5").unwrap()
        );
        let MarketEvent::Funding(second) = sink.events[1].event else {
            panic!()
        };
        assert_eq!(second.rate, Rate::from_raw(-10_000));
        assert_eq!(second.mark_price, Price::ZERO);
        assert!(sink.warnings[0].contains("1 derivative_ticker rows"));
    }

    #[test]
    fn markets_from_exchange_and_symbol() {
        assert_eq!(
            market_of("binance-futures", "BTCUSDT"),
            MarketKind::Perpetual
        );
        assert_eq!(
            market_of("binance-futures", "1000SHIBUSDT"),
            MarketKind::Perpetual
        );
        assert_eq!(
            market_of("binance-delivery", "BTCUSD_200925"),
            MarketKind::Future
        );
        assert_eq!(
            market_of("binance-delivery", "BTCUSD_PERP"),
            MarketKind::Perpetual
        );
        assert_eq!(market_of("deribit", "BTC-PERPETUAL"), MarketKind::Perpetual);
        assert_eq!(market_of("deribit", "BTC-25SEP20"), MarketKind::Future);
        assert_eq!(market_of("bitmex", "XBTUSD"), MarketKind::Perpetual);
        assert_eq!(market_of("bitmex", "XBTZ20"), MarketKind::Future);
        assert_eq!(market_of("ftx", "BTC-0925"), MarketKind::Future);
        assert_eq!(market_of("ftx", "BTC/USD"), MarketKind::Spot);
        assert_eq!(market_of("binance", "BTCUSDT"), MarketKind::Spot);
        assert_eq!(market_of("bybit-spot", "BTCUSDT"), MarketKind::Spot);
        assert_eq!(market_of("huobi-dm-swap", "BTC-USD"), MarketKind::Perpetual);
    }

    #[test]
    fn unknown_headers_are_an_error() {
        let mut sink = CollectedEvents::new();
        let error = import_reader(
            &mut "a,b,c\n1,2,3\n".as_bytes(),
            "x.csv",
            &TardisOptions::default(),
            &mut sink,
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("unrecognized input format"),
            "{error}"
        );
    }

    proptest! {
        #[test]
        fn arbitrary_rows_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), kind in 0_usize..6) {
            let headers = [
                "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n",
                "exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount\n",
                "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n",
                "exchange,symbol,timestamp,local_timestamp,asks[0].price,asks[0].amount,bids[0].price,bids[0].amount\n",
                "exchange,symbol,timestamp,local_timestamp,funding_timestamp,funding_rate,index_price,mark_price\n",
                "",
            ];
            let mut text = headers[kind].as_bytes().to_vec();
            text.extend_from_slice(&bytes);
            let mut sink = CollectedEvents::new();
            let _ = import_reader(&mut text.as_slice(), "fuzz", &TardisOptions::default(), &mut sink);
        }
    }
}
