//! The per-run SQLite databases of SPEC 1.4: `execution.db` (orders, fills, positions, P&L,
//! funding, equity, the bars the run saw) and `signals.db` (every signal-machine transition,
//! signal and near-miss).
//!
//! Fixed-point values are stored as exact decimal TEXT (`CAST(price AS REAL)` in SQL for
//! arithmetic), timestamps as INTEGER UTC nanoseconds. Files are written to a temporary name
//! and renamed, so a crashed run never leaves a half-written database. Rows are inserted in a
//! fixed order, and [`export_rows`] prints every table in key order: two runs of the same
//! config and data give identical exports (the determinism check).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use auction_trader_types::{
    ContractType, EquityPoint, ExitLeg, FillRecord, FundingPayment, Money, Named, OrderRecord,
    Price, PriceBar, Quantity, Rate, RunRecords, TradeRecord, UnixNanos,
};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::StorageError;

/// One row of signals.db (plain values: storage does not know the strategy types).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalRow {
    pub ts: UnixNanos,
    pub kind: String,
    pub setup: Option<String>,
    pub direction: Option<String>,
    pub machine: String,
    pub from_state: String,
    pub to_state: String,
    pub detail: String,
}

const EXECUTION_SCHEMA: &str = "
CREATE TABLE run_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE orders (
    order_id INTEGER PRIMARY KEY, ts_submit INTEGER NOT NULL, side TEXT NOT NULL,
    kind TEXT NOT NULL, purpose TEXT NOT NULL, limit_price TEXT, quantity TEXT NOT NULL,
    filled_quantity TEXT NOT NULL, status TEXT NOT NULL, spread_at_submit TEXT,
    mid_at_submit TEXT);
CREATE TABLE fills (
    fill_id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, ts INTEGER NOT NULL,
    side TEXT NOT NULL, price TEXT NOT NULL, quantity TEXT NOT NULL, liquidity TEXT NOT NULL,
    fee TEXT NOT NULL, reference_mid TEXT);
CREATE TABLE trades (
    trade_id INTEGER PRIMARY KEY, setup TEXT NOT NULL, direction TEXT NOT NULL,
    signal_ts INTEGER NOT NULL, entry_ts INTEGER NOT NULL, entry_price TEXT NOT NULL,
    quantity TEXT NOT NULL, entry_liquidity TEXT NOT NULL, stop TEXT NOT NULL,
    take_profit_1 TEXT, take_profit_2 TEXT NOT NULL, exit_ts INTEGER NOT NULL,
    exit_price TEXT NOT NULL, exit_reason TEXT NOT NULL, gross_pnl TEXT NOT NULL,
    fees TEXT NOT NULL, funding TEXT NOT NULL, slippage TEXT NOT NULL, net_pnl TEXT NOT NULL);
CREATE TABLE trade_legs (
    trade_id INTEGER NOT NULL, leg INTEGER NOT NULL, ts INTEGER NOT NULL, price TEXT NOT NULL,
    quantity TEXT NOT NULL, reason TEXT NOT NULL, fee TEXT NOT NULL, slippage TEXT NOT NULL,
    PRIMARY KEY (trade_id, leg));
CREATE TABLE funding (
    funding_id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, rate TEXT NOT NULL,
    mark_price TEXT NOT NULL, position TEXT NOT NULL, amount TEXT NOT NULL);
CREATE TABLE equity (
    point_id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, equity TEXT NOT NULL,
    cash TEXT NOT NULL, unrealized TEXT NOT NULL, position TEXT NOT NULL);
CREATE TABLE market_bars (
    ts INTEGER PRIMARY KEY, open TEXT NOT NULL, high TEXT NOT NULL, low TEXT NOT NULL,
    close TEXT NOT NULL, vah TEXT, val TEXT, poc TEXT);
CREATE VIEW positions AS SELECT ts, position, equity FROM equity;
CREATE VIEW daily_pnl AS
    SELECT date(exit_ts / 1000000000, 'unixepoch') AS day, COUNT(*) AS trades,
           SUM(CAST(net_pnl AS REAL)) AS net_pnl, SUM(CAST(fees AS REAL)) AS fees,
           SUM(CAST(funding AS REAL)) AS funding
    FROM trades GROUP BY day ORDER BY day;
";

const SIGNALS_SCHEMA: &str = "
CREATE TABLE signals (
    seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, kind TEXT NOT NULL, setup TEXT,
    direction TEXT, machine TEXT NOT NULL, from_state TEXT NOT NULL, to_state TEXT NOT NULL,
    detail TEXT NOT NULL);
CREATE INDEX signals_by_time ON signals (ts);
";

/// Writes `execution.db` at `path` (replacing it).
pub fn write_execution_db(path: &Path, records: &RunRecords) -> Result<(), StorageError> {
    write_atomically(path, |connection| {
        connection.execute_batch(EXECUTION_SCHEMA)?;
        let transaction = connection.transaction()?;
        {
            let mut info = transaction.prepare("INSERT INTO run_info VALUES (?1, ?2)")?;
            info.execute(params!["title", records.title])?;
            info.execute(params!["symbol", records.symbol])?;
            info.execute(params![
                "initial_equity",
                records.initial_equity.to_string()
            ])?;
            // SPEC 5: the run's money is in coin for inverse contracts; a re-rendered report
            // must say so.
            info.execute(params![
                "contract_type",
                records.valuation.contract_type.as_str()
            ])?;
            info.execute(params![
                "contract_multiplier",
                records.valuation.multiplier.to_string()
            ])?;
            insert_orders(&transaction, &records.orders)?;
            insert_fills(&transaction, &records.fills)?;
            insert_trades(&transaction, &records.trades)?;
            insert_funding(&transaction, &records.funding)?;
            insert_equity(&transaction, &records.equity)?;
            insert_bars(&transaction, &records.bars)?;
        }
        transaction.commit()?;
        Ok(())
    })
}

/// Writes `signals.db` at `path` (replacing it).
pub fn write_signals_db(path: &Path, rows: &[SignalRow]) -> Result<(), StorageError> {
    write_atomically(path, |connection| {
        connection.execute_batch(SIGNALS_SCHEMA)?;
        let transaction = connection.transaction()?;
        {
            let mut insert = transaction.prepare(
                "INSERT INTO signals (ts, kind, setup, direction, machine, from_state, to_state, \
                 detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for row in rows {
                insert.execute(params![
                    row.ts.as_i64(),
                    row.kind,
                    row.setup,
                    row.direction,
                    row.machine,
                    row.from_state,
                    row.to_state,
                    row.detail
                ])?;
            }
        }
        transaction.commit()?;
        Ok(())
    })
}

/// Reads every row of a `signals.db` back in write order (for the research reports).
pub fn read_signals_db(path: &Path) -> Result<Vec<SignalRow>, StorageError> {
    if !path.is_file() {
        return Err(StorageError::InvalidArgument(format!(
            "{}: no such signals database",
            path.display()
        )));
    }
    let connection = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    query(
        &connection,
        "SELECT ts, kind, setup, direction, machine, from_state, to_state, detail FROM signals \
         ORDER BY seq",
        |row| {
            Ok(SignalRow {
                ts: UnixNanos(row.get(0)?),
                kind: row.get(1)?,
                setup: row.get(2)?,
                direction: row.get(3)?,
                machine: row.get(4)?,
                from_state: row.get(5)?,
                to_state: row.get(6)?,
                detail: row.get(7)?,
            })
        },
    )
}

/// Reads an `execution.db` back (for `auction-trader report <run>`).
pub fn read_execution_db(path: &Path) -> Result<RunRecords, StorageError> {
    if !path.is_file() {
        return Err(StorageError::InvalidArgument(format!(
            "{}: no such execution database",
            path.display()
        )));
    }
    let connection = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let corrupt = |message: String| StorageError::Corrupt {
        path: path.to_path_buf(),
        message,
    };
    let info = |key: &str| -> Result<String, StorageError> {
        connection
            .query_row("SELECT value FROM run_info WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .map_err(|error| corrupt(format!("run_info.{key}: {error}")))
    };
    let mut records = RunRecords::new(
        info("title")?,
        info("symbol")?,
        Money::from_decimal_str(&info("initial_equity")?)
            .map_err(|error| corrupt(format!("initial_equity: {error}")))?,
    );
    // Databases written before the valuation was stored have neither key: linear, 1.
    let optional_info = |key: &str| -> Result<Option<String>, StorageError> {
        connection
            .query_row("SELECT value FROM run_info WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()
            .map_err(|error| corrupt(format!("run_info.{key}: {error}")))
    };
    if let Some(text) = optional_info("contract_type")? {
        records.valuation.contract_type = match text.as_str() {
            "linear" => ContractType::Linear,
            "inverse" => ContractType::Inverse,
            other => return Err(corrupt(format!("run_info.contract_type: {other:?}"))),
        };
    }
    if let Some(text) = optional_info("contract_multiplier")? {
        records.valuation.multiplier = Quantity::from_decimal_str(&text)
            .map_err(|error| corrupt(format!("run_info.contract_multiplier: {error}")))?;
    }
    records.orders = query(
        &connection,
        "SELECT * FROM orders ORDER BY order_id",
        |row| {
            Ok(OrderRecord {
                order_id: row.get::<_, i64>(0)? as u64,
                ts_submit: UnixNanos(row.get(1)?),
                side: named(row, 2)?,
                kind: named(row, 3)?,
                purpose: named(row, 4)?,
                limit_price: optional_decimal(row, 5)?,
                quantity: decimal(row, 6)?,
                filled_quantity: decimal(row, 7)?,
                status: named(row, 8)?,
                spread_at_submit: optional_decimal(row, 9)?,
                mid_at_submit: optional_decimal(row, 10)?,
            })
        },
    )?;
    records.fills = query(&connection, "SELECT * FROM fills ORDER BY fill_id", |row| {
        Ok(FillRecord {
            order_id: row.get::<_, i64>(1)? as u64,
            ts: UnixNanos(row.get(2)?),
            side: named(row, 3)?,
            price: decimal(row, 4)?,
            quantity: decimal(row, 5)?,
            liquidity: named(row, 6)?,
            fee: decimal(row, 7)?,
            reference_mid: optional_decimal(row, 8)?,
        })
    })?;
    let legs = query(
        &connection,
        "SELECT * FROM trade_legs ORDER BY trade_id, leg",
        |row| {
            Ok((
                row.get::<_, i64>(0)? as u64,
                ExitLeg {
                    ts: UnixNanos(row.get(2)?),
                    price: decimal(row, 3)?,
                    quantity: decimal(row, 4)?,
                    reason: named(row, 5)?,
                    fee: decimal(row, 6)?,
                    slippage: decimal(row, 7)?,
                },
            ))
        },
    )?;
    records.trades = query(
        &connection,
        "SELECT * FROM trades ORDER BY trade_id",
        |row| {
            Ok(TradeRecord {
                trade_id: row.get::<_, i64>(0)? as u64,
                setup: named(row, 1)?,
                direction: named(row, 2)?,
                signal_ts: UnixNanos(row.get(3)?),
                entry_ts: UnixNanos(row.get(4)?),
                entry_price: decimal(row, 5)?,
                quantity: decimal(row, 6)?,
                entry_liquidity: named(row, 7)?,
                stop: decimal(row, 8)?,
                take_profit_1: optional_decimal(row, 9)?,
                take_profit_2: decimal(row, 10)?,
                exit_ts: UnixNanos(row.get(11)?),
                exit_price: decimal(row, 12)?,
                exit_reason: named(row, 13)?,
                legs: Vec::new(),
                gross_pnl: decimal(row, 14)?,
                fees: decimal(row, 15)?,
                funding: decimal(row, 16)?,
                slippage: decimal(row, 17)?,
                net_pnl: decimal(row, 18)?,
            })
        },
    )?;
    // Legs come sorted by trade id, as the trades do.
    let mut legs = legs.into_iter().peekable();
    for trade in &mut records.trades {
        while let Some((trade_id, _)) = legs.peek() {
            if *trade_id != trade.trade_id {
                break;
            }
            if let Some((_, leg)) = legs.next() {
                trade.legs.push(leg);
            }
        }
    }
    records.funding = query(
        &connection,
        "SELECT * FROM funding ORDER BY funding_id",
        |row| {
            Ok(FundingPayment {
                ts: UnixNanos(row.get(1)?),
                rate: decimal::<Rate>(row, 2)?,
                mark_price: decimal(row, 3)?,
                position: decimal(row, 4)?,
                amount: decimal(row, 5)?,
            })
        },
    )?;
    records.equity = query(
        &connection,
        "SELECT * FROM equity ORDER BY point_id",
        |row| {
            Ok(EquityPoint {
                ts: UnixNanos(row.get(1)?),
                equity: decimal(row, 2)?,
                cash: decimal(row, 3)?,
                unrealized: decimal(row, 4)?,
                position: decimal(row, 5)?,
            })
        },
    )?;
    records.bars = query(
        &connection,
        "SELECT * FROM market_bars ORDER BY ts",
        |row| {
            Ok(PriceBar {
                ts: UnixNanos(row.get(0)?),
                open: decimal(row, 1)?,
                high: decimal(row, 2)?,
                low: decimal(row, 3)?,
                close: decimal(row, 4)?,
                vah: optional_decimal(row, 5)?,
                val: optional_decimal(row, 6)?,
                poc: optional_decimal(row, 7)?,
            })
        },
    )?;
    Ok(records)
}

/// One value of a run database's row.
#[derive(Debug, Clone, PartialEq)]
pub enum RunValue {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// A column of a run database's table and its declared SQLite type (`INTEGER`, `TEXT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunColumn {
    pub name: String,
    pub declared_type: String,
}

/// One table of a run database read whole, rows in key order (the first two columns).
#[derive(Debug, Clone, PartialEq)]
pub struct RunTable {
    pub name: String,
    pub columns: Vec<RunColumn>,
    pub rows: Vec<Vec<RunValue>>,
}

/// Every table of a run database (execution.db or signals.db; views left out), tables by
/// name: what [`export_rows`] prints and what a run copied into another store holds.
pub fn read_run_tables(path: &Path) -> Result<Vec<RunTable>, StorageError> {
    let connection = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let names: Vec<String> = query(
        &connection,
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
        |row| row.get(0),
    )?;
    let mut tables = Vec::with_capacity(names.len());
    for name in names {
        let columns = query(
            &connection,
            &format!("SELECT name, type FROM pragma_table_info('{name}') ORDER BY cid"),
            |row| {
                Ok(RunColumn {
                    name: row.get(0)?,
                    declared_type: row.get(1)?,
                })
            },
        )?;
        let order = if columns.len() > 1 { "1, 2" } else { "1" };
        let rows = query(
            &connection,
            &format!("SELECT * FROM \"{name}\" ORDER BY {order}"),
            |row| {
                (0..columns.len())
                    .map(|index| {
                        Ok(match row.get::<_, rusqlite::types::Value>(index)? {
                            rusqlite::types::Value::Null => RunValue::Null,
                            rusqlite::types::Value::Integer(number) => RunValue::Integer(number),
                            rusqlite::types::Value::Real(number) => RunValue::Real(number),
                            rusqlite::types::Value::Text(text) => RunValue::Text(text),
                            rusqlite::types::Value::Blob(bytes) => RunValue::Blob(bytes),
                        })
                    })
                    .collect::<rusqlite::Result<Vec<_>>>()
            },
        )?;
        tables.push(RunTable {
            name,
            columns,
            rows,
        });
    }
    Ok(tables)
}

/// Every row of every table of a run database (execution.db or signals.db), tables by name,
/// rows in key order, one line per row: the canonical export two runs are compared with.
pub fn export_rows(path: &Path) -> Result<String, StorageError> {
    let mut output = String::new();
    for table in read_run_tables(path)? {
        for row in &table.rows {
            output.push_str(&table.name);
            for value in row {
                let _ = match value {
                    RunValue::Null => write!(output, "\tNULL"),
                    RunValue::Integer(number) => write!(output, "\t{number}"),
                    RunValue::Real(number) => write!(output, "\t{number:?}"),
                    RunValue::Text(text) => write!(output, "\t{text}"),
                    RunValue::Blob(bytes) => write!(output, "\t<{} bytes>", bytes.len()),
                };
            }
            output.push('\n');
        }
    }
    Ok(output)
}

fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut Connection) -> Result<(), StorageError>,
) -> Result<(), StorageError> {
    let io_error = |source| StorageError::Io {
        path: path.to_path_buf(),
        cause: source,
    };
    let temporary = temporary_path(path);
    if temporary.exists() {
        std::fs::remove_file(&temporary).map_err(io_error)?;
    }
    {
        let mut connection = Connection::open(&temporary)?;
        connection.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")?;
        fill(&mut connection)?;
    }
    std::fs::rename(&temporary, path).map_err(io_error)
}

fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|name| name.to_os_string())
        .unwrap_or_default();
    name.push(".partial");
    path.with_file_name(name)
}

fn query<T>(
    connection: &Connection,
    sql: &str,
    map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StorageError> {
    let mut statement = connection.prepare(sql)?;
    let rows = statement.query_map([], map)?;
    Ok(rows.collect::<rusqlite::Result<Vec<T>>>()?)
}

/// A fixed-point type stored as decimal text.
trait Decimal: Sized + std::fmt::Display {
    fn parse(text: &str) -> Option<Self>;
}

macro_rules! decimal_type {
    ($($type:ty),*) => {$(
        impl Decimal for $type {
            fn parse(text: &str) -> Option<Self> {
                <$type>::from_decimal_str(text).ok()
            }
        }
    )*};
}
decimal_type!(Price, Quantity, Money, Rate);

fn decimal<T: Decimal>(row: &Row<'_>, index: usize) -> rusqlite::Result<T> {
    let text: String = row.get(index)?;
    T::parse(&text).ok_or_else(|| bad_decimal(index, &text))
}

fn optional_decimal<T: Decimal>(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<T>> {
    let text: Option<String> = row.get(index)?;
    text.map(|text| T::parse(&text).ok_or_else(|| bad_decimal(index, &text)))
        .transpose()
}

/// A vocabulary enum stored as its lower-case name.
fn named<T: Named>(row: &Row<'_>, index: usize) -> rusqlite::Result<T> {
    let text: String = row.get(index)?;
    T::from_name(&text).map_err(|error| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, error.into())
    })
}

fn bad_decimal(index: usize, text: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        index,
        rusqlite::types::Type::Text,
        format!("not a decimal: {text:?}").into(),
    )
}

fn text<T: std::fmt::Display>(value: Option<T>) -> Option<String> {
    value.map(|value| value.to_string())
}

fn insert_orders(connection: &Connection, orders: &[OrderRecord]) -> Result<(), StorageError> {
    let mut insert = connection
        .prepare("INSERT INTO orders VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")?;
    for order in orders {
        insert.execute(params![
            order.order_id as i64,
            order.ts_submit.as_i64(),
            order.side.as_str(),
            order.kind.as_str(),
            order.purpose.as_str(),
            text(order.limit_price),
            order.quantity.to_string(),
            order.filled_quantity.to_string(),
            order.status.as_str(),
            text(order.spread_at_submit),
            text(order.mid_at_submit),
        ])?;
    }
    Ok(())
}

fn insert_fills(connection: &Connection, fills: &[FillRecord]) -> Result<(), StorageError> {
    let mut insert = connection.prepare(
        "INSERT INTO fills (order_id, ts, side, price, quantity, liquidity, fee, reference_mid) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for fill in fills {
        insert.execute(params![
            fill.order_id as i64,
            fill.ts.as_i64(),
            fill.side.as_str(),
            fill.price.to_string(),
            fill.quantity.to_string(),
            fill.liquidity.as_str(),
            fill.fee.to_string(),
            text(fill.reference_mid),
        ])?;
    }
    Ok(())
}

fn insert_trades(connection: &Connection, trades: &[TradeRecord]) -> Result<(), StorageError> {
    let mut insert = connection.prepare(
        "INSERT INTO trades VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, \
         ?15, ?16, ?17, ?18, ?19)",
    )?;
    let mut insert_leg =
        connection.prepare("INSERT INTO trade_legs VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?;
    for trade in trades {
        insert.execute(params![
            trade.trade_id as i64,
            trade.setup.as_str(),
            trade.direction.as_str(),
            trade.signal_ts.as_i64(),
            trade.entry_ts.as_i64(),
            trade.entry_price.to_string(),
            trade.quantity.to_string(),
            trade.entry_liquidity.as_str(),
            trade.stop.to_string(),
            text(trade.take_profit_1),
            trade.take_profit_2.to_string(),
            trade.exit_ts.as_i64(),
            trade.exit_price.to_string(),
            trade.exit_reason.as_str(),
            trade.gross_pnl.to_string(),
            trade.fees.to_string(),
            trade.funding.to_string(),
            trade.slippage.to_string(),
            trade.net_pnl.to_string(),
        ])?;
        for (leg_index, leg) in trade.legs.iter().enumerate() {
            insert_leg.execute(params![
                trade.trade_id as i64,
                leg_index as i64,
                leg.ts.as_i64(),
                leg.price.to_string(),
                leg.quantity.to_string(),
                leg.reason.as_str(),
                leg.fee.to_string(),
                leg.slippage.to_string(),
            ])?;
        }
    }
    Ok(())
}

fn insert_funding(
    connection: &Connection,
    payments: &[FundingPayment],
) -> Result<(), StorageError> {
    let mut insert = connection.prepare(
        "INSERT INTO funding (ts, rate, mark_price, position, amount) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for payment in payments {
        insert.execute(params![
            payment.ts.as_i64(),
            payment.rate.to_string(),
            payment.mark_price.to_string(),
            payment.position.to_string(),
            payment.amount.to_string(),
        ])?;
    }
    Ok(())
}

fn insert_equity(connection: &Connection, points: &[EquityPoint]) -> Result<(), StorageError> {
    let mut insert = connection.prepare(
        "INSERT INTO equity (ts, equity, cash, unrealized, position) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for point in points {
        insert.execute(params![
            point.ts.as_i64(),
            point.equity.to_string(),
            point.cash.to_string(),
            point.unrealized.to_string(),
            point.position.to_string(),
        ])?;
    }
    Ok(())
}

fn insert_bars(connection: &Connection, bars: &[PriceBar]) -> Result<(), StorageError> {
    let mut insert = connection
        .prepare("INSERT OR REPLACE INTO market_bars VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?;
    for bar in bars {
        insert.execute(params![
            bar.ts.as_i64(),
            bar.open.to_string(),
            bar.high.to_string(),
            bar.low.to_string(),
            bar.close.to_string(),
            text(bar.vah),
            text(bar.val),
            text(bar.poc),
        ])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use auction_trader_types::Valuation;

    use super::*;

    fn price(text: &str) -> Price {
        Price::from_decimal_str(text).unwrap_or_default()
    }

    fn sample_records() -> RunRecords {
        let mut records = RunRecords::new(
            "unit",
            "BTCUSDT",
            Money::from_decimal_str("10000").unwrap_or_default(),
        );
        records.orders = vec![OrderRecord {
            order_id: 1,
            ts_submit: UnixNanos(5),
            side: "buy".parse().unwrap(),
            kind: "limit".parse().unwrap(),
            purpose: "entry".parse().unwrap(),
            limit_price: Some(price("100.5")),
            quantity: Quantity::ONE,
            filled_quantity: Quantity::ONE,
            status: "filled".parse().unwrap(),
            spread_at_submit: Some(price("0.1")),
            mid_at_submit: None,
        }];
        records.fills = vec![FillRecord {
            order_id: 1,
            ts: UnixNanos(7),
            side: "buy".parse().unwrap(),
            price: price("100.5"),
            quantity: Quantity::ONE,
            liquidity: "maker".parse().unwrap(),
            fee: Money::from_decimal_str("0.0201").unwrap_or_default(),
            reference_mid: Some(price("100.55")),
        }];
        records.trades = vec![TradeRecord {
            trade_id: 1,
            setup: "break_in".parse().unwrap(),
            direction: "long".parse().unwrap(),
            signal_ts: UnixNanos(1),
            entry_ts: UnixNanos(7),
            entry_price: price("100.5"),
            quantity: Quantity::ONE,
            entry_liquidity: "maker".parse().unwrap(),
            stop: price("99"),
            take_profit_1: None,
            take_profit_2: price("103"),
            exit_ts: UnixNanos(9),
            exit_price: price("103"),
            exit_reason: "take_profit_2".parse().unwrap(),
            legs: vec![ExitLeg {
                ts: UnixNanos(9),
                price: price("103"),
                quantity: Quantity::ONE,
                reason: "take_profit_2".parse().unwrap(),
                fee: Money::ZERO,
                slippage: Money::ZERO,
            }],
            gross_pnl: Money::from_decimal_str("2.5").unwrap_or_default(),
            fees: Money::ZERO,
            funding: Money::ZERO,
            slippage: Money::ZERO,
            net_pnl: Money::from_decimal_str("2.5").unwrap_or_default(),
        }];
        records.equity = vec![EquityPoint {
            ts: UnixNanos(9),
            equity: Money::from_decimal_str("10002.5").unwrap_or_default(),
            cash: Money::from_decimal_str("10002.5").unwrap_or_default(),
            unrealized: Money::ZERO,
            position: Quantity::ZERO,
        }];
        records
    }

    #[test]
    fn execution_db_round_trips_and_exports_deterministically() {
        let directory = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
        let path = directory.path().join("execution.db");
        let records = sample_records();
        write_execution_db(&path, &records).unwrap_or_else(|error| panic!("{error}"));
        let back = read_execution_db(&path).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(back.trades, records.trades);
        assert_eq!(back.orders, records.orders);
        assert_eq!(back.fills, records.fills);
        assert_eq!(back.equity, records.equity);
        let first = export_rows(&path).unwrap_or_else(|error| panic!("{error}"));
        write_execution_db(&path, &records).unwrap_or_else(|error| panic!("{error}"));
        let second = export_rows(&path).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(first, second);
        assert!(first.contains("trades\t1\tbreak_in\tlong"));
        assert!(!path.with_file_name("execution.db.partial").exists());
    }

    #[test]
    fn the_valuation_round_trips_and_old_databases_read_as_linear() {
        // Regression: a COIN-M run re-rendered by `report` was labelled in USD (linear),
        // because execution.db did not store the contract type (analytics derives the
        // currency from the valuation).
        let directory = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
        let path = directory.path().join("execution.db");
        let mut records = sample_records();
        records.symbol = "BTCUSD_PERP".to_owned();
        records.valuation =
            Valuation::inverse(Quantity::from_decimal_str("100").unwrap_or_default());
        write_execution_db(&path, &records).unwrap_or_else(|error| panic!("{error}"));
        let back = read_execution_db(&path).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(back.valuation, records.valuation);
        // A database from before the keys existed: linear with multiplier 1.
        let connection = Connection::open(&path).unwrap_or_else(|error| panic!("{error}"));
        connection
            .execute(
                "DELETE FROM run_info WHERE key IN ('contract_type', 'contract_multiplier')",
                [],
            )
            .unwrap_or_else(|error| panic!("{error}"));
        drop(connection);
        let old = read_execution_db(&path).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(old.valuation, Valuation::linear(Quantity::ONE));
    }

    #[test]
    fn wide_sizes_and_money_round_trip_as_exact_decimal_text() {
        // A 10^13-unit meme-coin fill, a 1.8·10^10 JPY equity: beyond the former i64 range.
        let directory = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
        let path = directory.path().join("execution.db");
        let mut records = sample_records();
        let huge = Quantity::from_decimal_str("10000000000000.000000001").unwrap_or_default();
        let equity = Money::from_decimal_str("18000000000.5").unwrap_or_default();
        records.fills[0].quantity = huge;
        records.fills[0].fee = Money::from_decimal_str("-12345678901.25").unwrap_or_default();
        records.equity[0].equity = equity;
        records.equity[0].position = huge;
        write_execution_db(&path, &records).unwrap_or_else(|error| panic!("{error}"));
        let back = read_execution_db(&path).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(back.fills, records.fills);
        assert_eq!(back.equity, records.equity);
        let rows = export_rows(&path).unwrap_or_else(|error| panic!("{error}"));
        assert!(rows.contains("10000000000000.000000001"), "{rows}");
        assert!(rows.contains("18000000000.5"), "{rows}");
    }

    #[test]
    fn signals_db_keeps_every_row_in_order() {
        let directory = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
        let path = directory.path().join("signals.db");
        let rows: Vec<SignalRow> = (0..3)
            .map(|index| SignalRow {
                ts: UnixNanos(index),
                kind: "transition".parse().unwrap(),
                setup: None,
                direction: Some("long".to_owned()),
                machine: "breakout_up".to_owned(),
                from_state: "idle".to_owned(),
                to_state: "counting".to_owned(),
                detail: format!("count={index}"),
            })
            .collect();
        write_signals_db(&path, &rows).unwrap_or_else(|error| panic!("{error}"));
        let back = read_signals_db(&path).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(back, rows);
        assert!(read_signals_db(&directory.path().join("none.db")).is_err());
        let export = export_rows(&path).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(export.lines().count(), 3);
        assert!(
            export
                .lines()
                .nth(2)
                .is_some_and(|line| line.ends_with("count=2"))
        );
    }

    #[test]
    fn missing_database_is_a_clear_error() {
        let error = read_execution_db(Path::new("/nonexistent/execution.db"));
        assert!(matches!(error, Err(StorageError::InvalidArgument(_))));
    }
}
