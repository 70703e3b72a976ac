//! `execution.db` of a session's data directory (SPEC 7 state): orders (committed before they
//! are sent: write-ahead), their status changes, fills, the position after every fill,
//! measured order round-trip latencies, the 5-minute state snapshots, alerts and the list of
//! process starts. Each row is committed as it happens (SQLite WAL: a killed process loses
//! nothing that was committed).
//!
//! Client order ids are `at<tag>-<engine order id>`, where the tag is fixed per session
//! generation: a restarted engine regenerates the same ids for the same orders, and an id
//! already in `orders` is never sent again.

use std::path::{Path, PathBuf};
use std::time::Duration;

use auction_trader_types::{Money, OrderSide, Price, Quantity, UnixNanos};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::Serialize;

use crate::LiveError;

/// The database's name in the data directory.
pub const EXECUTION_DB: &str = "execution.db";

const SCHEMA: &str = "
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS starts (
    start INTEGER PRIMARY KEY, generation INTEGER NOT NULL, mode TEXT NOT NULL,
    wall_ns INTEGER NOT NULL, note TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS orders (
    client_id TEXT PRIMARY KEY, generation INTEGER NOT NULL, order_id INTEGER NOT NULL,
    ts_submit INTEGER NOT NULL, side TEXT NOT NULL, kind TEXT NOT NULL, purpose TEXT NOT NULL,
    limit_price_raw INTEGER, quantity_raw TEXT NOT NULL, status TEXT NOT NULL,
    ts_status INTEGER NOT NULL, start INTEGER NOT NULL, wall_ns INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS fills (
    client_id TEXT NOT NULL, seq INTEGER NOT NULL, generation INTEGER NOT NULL,
    ts INTEGER NOT NULL, side TEXT NOT NULL, price_raw INTEGER NOT NULL,
    quantity_raw TEXT NOT NULL, liquidity TEXT NOT NULL, fee_raw TEXT NOT NULL,
    reference_mid_raw INTEGER, start INTEGER NOT NULL,
    PRIMARY KEY (client_id, seq));
CREATE TABLE IF NOT EXISTS positions (
    client_id TEXT NOT NULL, seq INTEGER NOT NULL, generation INTEGER NOT NULL,
    ts INTEGER NOT NULL, position_raw TEXT NOT NULL, PRIMARY KEY (client_id, seq));
CREATE TABLE IF NOT EXISTS latencies (
    client_id TEXT PRIMARY KEY, ts_submit INTEGER NOT NULL, ts_ack INTEGER NOT NULL,
    round_trip_ns INTEGER NOT NULL, measured_on TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots (
    generation INTEGER NOT NULL, ts INTEGER NOT NULL, state TEXT NOT NULL,
    PRIMARY KEY (generation, ts));
CREATE TABLE IF NOT EXISTS signals (
    generation INTEGER NOT NULL, ts INTEGER NOT NULL, setup TEXT NOT NULL,
    direction TEXT NOT NULL, PRIMARY KEY (generation, ts, setup, direction));
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, wall_ns INTEGER NOT NULL, ts INTEGER NOT NULL,
    kind TEXT NOT NULL, message TEXT NOT NULL);
";

/// An order as written before it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderRow {
    pub client_id: String,
    pub order_id: u64,
    pub ts_submit: UnixNanos,
    pub side: OrderSide,
    pub kind: String,
    pub purpose: String,
    pub limit_price: Option<Price>,
    pub quantity: Quantity,
}

/// One fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FillRow {
    pub seq: u32,
    pub ts: UnixNanos,
    pub side: OrderSide,
    pub price: Price,
    pub quantity: Quantity,
    pub maker: bool,
    pub fee: Money,
    pub reference_mid: Option<Price>,
}

/// A fill with its order, as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredFill {
    pub client_id: String,
    pub fill: FillRow,
}

/// A working order as the dashboard shows it (decimal text; times in ns as text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenOrder {
    pub client_id: String,
    pub order_id: i64,
    pub ts_submit: String,
    pub side: String,
    pub kind: String,
    pub purpose: String,
    pub limit_price: Option<String>,
    pub quantity: String,
    pub status: String,
}

/// A fill as the dashboard shows it (decimal text; times in ns as text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecentFill {
    pub client_id: String,
    pub seq: u32,
    pub ts: String,
    pub side: String,
    pub price: String,
    pub quantity: String,
    /// `maker` or `taker`.
    pub liquidity: String,
    pub fee: String,
    /// The mid when the order was submitted (the slippage reference), when known.
    pub reference_mid: Option<String>,
}

/// A stored alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggedAlert {
    pub id: i64,
    pub wall_ns: String,
    pub ts: String,
    pub kind: String,
    pub message: String,
}

/// Whether a row was new or already logged (a restart regenerating its history).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logged {
    New,
    /// Already in the log with the same content.
    Known,
    /// Already in the log with different content: the replay diverged from the record.
    Differs,
}

/// The session's execution database.
#[derive(Debug)]
pub struct ExecutionLog {
    path: PathBuf,
    connection: Connection,
}

impl ExecutionLog {
    pub fn open(data_dir: &Path) -> Result<Self, LiveError> {
        std::fs::create_dir_all(data_dir).map_err(|cause| LiveError::io(data_dir, cause))?;
        let path = data_dir.join(EXECUTION_DB);
        let connection = Connection::open(&path).map_err(|error| db_error(&path, &error))?;
        connection
            .busy_timeout(Duration::from_secs(5))
            .map_err(|error| db_error(&path, &error))?;
        connection
            .execute_batch(SCHEMA)
            .map_err(|error| db_error(&path, &error))?;
        Ok(Self { path, connection })
    }

    /// Opens an existing `execution.db` for reading only (the dashboard beside a running
    /// session: it never writes or creates the session's state).
    pub fn open_read_only(data_dir: &Path) -> Result<Self, LiveError> {
        let path = data_dir.join(EXECUTION_DB);
        let connection = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|error| db_error(&path, &error))?;
        connection
            .busy_timeout(Duration::from_secs(5))
            .map_err(|error| db_error(&path, &error))?;
        Ok(Self { path, connection })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, error: &rusqlite::Error) -> LiveError {
        db_error(&self.path, error)
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>, LiveError> {
        self.connection
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()
            .map_err(|error| self.error(&error))
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), LiveError> {
        self.connection
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(drop)
            .map_err(|error| self.error(&error))
    }

    /// The current generation (0 for a new directory).
    pub fn generation(&self) -> Result<u32, LiveError> {
        Ok(self
            .meta("generation")?
            .and_then(|value| value.parse().ok())
            .unwrap_or(0))
    }

    /// A clean end: the next start begins a new generation (flat, fresh engine).
    pub fn end_generation(&self) -> Result<u32, LiveError> {
        let next = self.generation()? + 1;
        self.set_meta("generation", &next.to_string())?;
        Ok(next)
    }

    /// Registers a process start; returns its number (1, 2, ...).
    pub fn begin_start(&self, generation: u32, mode: &str, wall_ns: i64) -> Result<u32, LiveError> {
        self.connection
            .execute(
                "INSERT INTO starts (generation, mode, wall_ns) VALUES (?1, ?2, ?3)",
                params![generation, mode, wall_ns],
            )
            .map_err(|error| self.error(&error))?;
        u32::try_from(self.connection.last_insert_rowid())
            .map_err(|_| LiveError::Config("too many starts".to_owned()))
    }

    pub fn note_start(&self, start: u32, note: &str) -> Result<(), LiveError> {
        self.connection
            .execute(
                "UPDATE starts SET note = ?2 WHERE start = ?1",
                params![start, note],
            )
            .map(drop)
            .map_err(|error| self.error(&error))
    }

    /// Writes an order before it is sent.
    pub fn record_order(
        &self,
        generation: u32,
        start: u32,
        order: &OrderRow,
        wall_ns: i64,
    ) -> Result<Logged, LiveError> {
        let inserted = self
            .connection
            .execute(
                "INSERT OR IGNORE INTO orders (client_id, generation, order_id, ts_submit, side,
                     kind, purpose, limit_price_raw, quantity_raw, status, ts_status, start,
                     wall_ns)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'sent', ?4, ?10, ?11)",
                params![
                    order.client_id,
                    generation,
                    i64::try_from(order.order_id).unwrap_or(i64::MAX),
                    order.ts_submit.0,
                    order.side.as_str(),
                    order.kind,
                    order.purpose,
                    order.limit_price.map(Price::raw),
                    order.quantity.raw().to_string(),
                    start,
                    wall_ns
                ],
            )
            .map_err(|error| self.error(&error))?;
        if inserted == 1 {
            return Ok(Logged::New);
        }
        let stored: (i64, String, Option<i64>, String) = self
            .connection
            .query_row(
                "SELECT ts_submit, side, limit_price_raw, quantity_raw FROM orders
                 WHERE client_id = ?1",
                [&order.client_id],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .map_err(|error| self.error(&error))?;
        let same = stored
            == (
                order.ts_submit.0,
                order.side.as_str().to_owned(),
                order.limit_price.map(Price::raw),
                order.quantity.raw().to_string(),
            );
        Ok(if same { Logged::Known } else { Logged::Differs })
    }

    pub fn order_known(&self, client_id: &str) -> Result<bool, LiveError> {
        self.connection
            .query_row(
                "SELECT 1 FROM orders WHERE client_id = ?1",
                [client_id],
                |_| Ok(()),
            )
            .optional()
            .map(|found| found.is_some())
            .map_err(|error| self.error(&error))
    }

    /// An order's latest status (accepted, filled, partially_filled, canceled, rejected,
    /// converted).
    /// An order's status moves forward only (sent → accepted → partially filled → a final
    /// one): by the order of the statuses, not of their times, since a venue stamps its
    /// reports with its own clock (skewed from ours, or a replay's recorded time).
    pub fn set_order_status(
        &self,
        client_id: &str,
        status: &str,
        ts: UnixNanos,
    ) -> Result<(), LiveError> {
        self.connection
            .execute(
                &format!(
                    "UPDATE orders SET status = ?2, ts_status = ?3
                     WHERE client_id = ?1 AND {rank} < {new_rank}",
                    rank = status_rank("status"),
                    new_rank = status_rank("?2")
                ),
                params![client_id, status, ts.0],
            )
            .map(drop)
            .map_err(|error| self.error(&error))
    }

    /// Writes a fill and the position after it, in one transaction: a kill between the two
    /// rows would leave a fill that a restart finds (and so never writes again) without its
    /// position row.
    pub fn record_fill(
        &self,
        generation: u32,
        start: u32,
        client_id: &str,
        fill: &FillRow,
        position_after: Quantity,
    ) -> Result<Logged, LiveError> {
        let transaction = self
            .connection
            .unchecked_transaction()
            .map_err(|error| self.error(&error))?;
        let inserted = transaction
            .execute(
                "INSERT OR IGNORE INTO fills (client_id, seq, generation, ts, side, price_raw,
                     quantity_raw, liquidity, fee_raw, reference_mid_raw, start)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    client_id,
                    fill.seq,
                    generation,
                    fill.ts.0,
                    fill.side.as_str(),
                    fill.price.raw(),
                    fill.quantity.raw().to_string(),
                    if fill.maker { "maker" } else { "taker" },
                    fill.fee.raw().to_string(),
                    fill.reference_mid.map(Price::raw),
                    start
                ],
            )
            .map_err(|error| self.error(&error))?;
        if inserted == 1 {
            transaction
                .execute(
                    "INSERT OR IGNORE INTO positions (client_id, seq, generation, ts, position_raw)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        client_id,
                        fill.seq,
                        generation,
                        fill.ts.0,
                        position_after.raw().to_string()
                    ],
                )
                .map_err(|error| self.error(&error))?;
            transaction.commit().map_err(|error| self.error(&error))?;
            return Ok(Logged::New);
        }
        drop(transaction);
        let stored = self.fill(client_id, fill.seq)?;
        Ok(if stored.as_ref() == Some(fill) {
            Logged::Known
        } else {
            Logged::Differs
        })
    }

    fn fill(&self, client_id: &str, seq: u32) -> Result<Option<FillRow>, LiveError> {
        self.connection
            .query_row(
                "SELECT seq, ts, side, price_raw, quantity_raw, liquidity, fee_raw,
                     reference_mid_raw FROM fills WHERE client_id = ?1 AND seq = ?2",
                params![client_id, seq],
                fill_from_row,
            )
            .optional()
            .map_err(|error| self.error(&error))
    }

    /// Every fill of a generation, in the order they were written (processing order).
    pub fn fills(&self, generation: u32) -> Result<Vec<StoredFill>, LiveError> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT seq, ts, side, price_raw, quantity_raw, liquidity, fee_raw,
                     reference_mid_raw, client_id FROM fills WHERE generation = ?1
                 ORDER BY rowid",
            )
            .map_err(|error| self.error(&error))?;
        let rows = statement
            .query_map([generation], |row| {
                Ok(StoredFill {
                    fill: fill_from_row(row)?,
                    client_id: row.get(8)?,
                })
            })
            .map_err(|error| self.error(&error))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|error| self.error(&error))
    }

    /// Every order of a generation: (client id, status), in submission order.
    pub fn orders(&self, generation: u32) -> Result<Vec<(String, String)>, LiveError> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT client_id, status FROM orders WHERE generation = ?1
                 ORDER BY order_id",
            )
            .map_err(|error| self.error(&error))?;
        let rows = statement
            .query_map([generation], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(|error| self.error(&error))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|error| self.error(&error))
    }

    /// The latest recorded position of a generation (zero before any fill).
    pub fn last_position(&self, generation: u32) -> Result<Quantity, LiveError> {
        let text: Option<String> = self
            .connection
            .query_row(
                "SELECT position_raw FROM positions WHERE generation = ?1
                 ORDER BY ts DESC, rowid DESC LIMIT 1",
                [generation],
                |row| row.get(0),
            )
            .optional()
            .map_err(|error| self.error(&error))?;
        Ok(text
            .and_then(|text| text.parse::<i128>().ok())
            .map_or(Quantity::ZERO, Quantity::from_raw))
    }

    pub fn record_latency(
        &self,
        client_id: &str,
        ts_submit: UnixNanos,
        ts_ack: UnixNanos,
        round_trip_ns: i64,
        measured_on: &str,
    ) -> Result<(), LiveError> {
        self.connection
            .execute(
                "INSERT OR IGNORE INTO latencies (client_id, ts_submit, ts_ack, round_trip_ns,
                     measured_on) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![client_id, ts_submit.0, ts_ack.0, round_trip_ns, measured_on],
            )
            .map(drop)
            .map_err(|error| self.error(&error))
    }

    pub fn write_snapshot(
        &self,
        generation: u32,
        ts: UnixNanos,
        state: &str,
    ) -> Result<(), LiveError> {
        self.connection
            .execute(
                "INSERT OR REPLACE INTO snapshots (generation, ts, state) VALUES (?1, ?2, ?3)",
                params![generation, ts.0, state],
            )
            .map(drop)
            .map_err(|error| self.error(&error))
    }

    /// The newest snapshot of a generation: (event time, JSON state).
    pub fn latest_snapshot(
        &self,
        generation: u32,
    ) -> Result<Option<(UnixNanos, String)>, LiveError> {
        self.connection
            .query_row(
                "SELECT ts, state FROM snapshots WHERE generation = ?1 ORDER BY ts DESC LIMIT 1",
                [generation],
                |row| Ok((UnixNanos(row.get(0)?), row.get(1)?)),
            )
            .optional()
            .map_err(|error| self.error(&error))
    }

    pub fn record_alert(
        &self,
        wall_ns: i64,
        ts: UnixNanos,
        kind: &str,
        message: &str,
    ) -> Result<(), LiveError> {
        self.connection
            .execute(
                "INSERT INTO alerts (wall_ns, ts, kind, message) VALUES (?1, ?2, ?3, ?4)",
                params![wall_ns, ts.0, kind, message],
            )
            .map(drop)
            .map_err(|error| self.error(&error))
    }

    /// Alerts as (kind, message), oldest first.
    pub fn alerts(&self) -> Result<Vec<(String, String)>, LiveError> {
        let mut statement = self
            .connection
            .prepare("SELECT kind, message FROM alerts ORDER BY id")
            .map_err(|error| self.error(&error))?;
        let rows = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(|error| self.error(&error))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|error| self.error(&error))
    }

    /// A strategy signal (SPEC 3.1 `signal` records; for the paper-vs-backtest report).
    pub fn record_signal(
        &self,
        generation: u32,
        ts: UnixNanos,
        setup: &str,
        direction: &str,
    ) -> Result<(), LiveError> {
        self.connection
            .execute(
                "INSERT OR IGNORE INTO signals (generation, ts, setup, direction)
                 VALUES (?1, ?2, ?3, ?4)",
                params![generation, ts.0, setup, direction],
            )
            .map(drop)
            .map_err(|error| self.error(&error))
    }

    /// Signals of a generation: (ts, setup, direction), in time order.
    pub fn signals(&self, generation: u32) -> Result<Vec<(UnixNanos, String, String)>, LiveError> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT ts, setup, direction FROM signals WHERE generation = ?1
                 ORDER BY ts, setup, direction",
            )
            .map_err(|error| self.error(&error))?;
        let rows = statement
            .query_map([generation], |row| {
                Ok((UnixNanos(row.get(0)?), row.get(1)?, row.get(2)?))
            })
            .map_err(|error| self.error(&error))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|error| self.error(&error))
    }

    /// The orders of a generation still working at the venue (sent, accepted, partly
    /// filled), in submission order.
    pub fn open_orders(&self, generation: u32) -> Result<Vec<OpenOrder>, LiveError> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT client_id, order_id, ts_submit, side, kind, purpose, limit_price_raw,
                     quantity_raw, status FROM orders
                 WHERE generation = ?1 AND status IN ('sent', 'accepted', 'partially_filled')
                 ORDER BY order_id",
            )
            .map_err(|error| self.error(&error))?;
        let rows = statement
            .query_map([generation], |row| {
                let quantity: String = row.get(7)?;
                Ok(OpenOrder {
                    client_id: row.get(0)?,
                    order_id: row.get(1)?,
                    ts_submit: row.get::<_, i64>(2)?.to_string(),
                    side: row.get(3)?,
                    kind: row.get(4)?,
                    purpose: row.get(5)?,
                    limit_price: row
                        .get::<_, Option<i64>>(6)?
                        .map(|raw| Price::from_raw(raw).to_string()),
                    quantity: Quantity::from_raw(quantity.parse().unwrap_or_default()).to_string(),
                    status: row.get(8)?,
                })
            })
            .map_err(|error| self.error(&error))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|error| self.error(&error))
    }

    /// The newest `limit` fills of a generation, newest first, as the dashboard shows them.
    pub fn recent_fills(
        &self,
        generation: u32,
        limit: usize,
    ) -> Result<Vec<RecentFill>, LiveError> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT seq, ts, side, price_raw, quantity_raw, liquidity, fee_raw,
                     reference_mid_raw, client_id FROM fills WHERE generation = ?1
                 ORDER BY rowid DESC LIMIT ?2",
            )
            .map_err(|error| self.error(&error))?;
        let rows = statement
            .query_map(
                params![generation, i64::try_from(limit).unwrap_or(i64::MAX)],
                |row| {
                    let fill = fill_from_row(row)?;
                    Ok(RecentFill {
                        client_id: row.get(8)?,
                        seq: fill.seq,
                        ts: fill.ts.0.to_string(),
                        side: fill.side.as_str().to_owned(),
                        price: fill.price.to_string(),
                        quantity: fill.quantity.to_string(),
                        liquidity: if fill.maker { "maker" } else { "taker" }.to_owned(),
                        fee: fill.fee.to_string(),
                        reference_mid: fill.reference_mid.map(|mid| mid.to_string()),
                    })
                },
            )
            .map_err(|error| self.error(&error))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|error| self.error(&error))
    }

    /// The newest `limit` alerts, newest first.
    pub fn recent_alerts(&self, limit: usize) -> Result<Vec<LoggedAlert>, LiveError> {
        let mut statement = self
            .connection
            .prepare("SELECT id, wall_ns, ts, kind, message FROM alerts ORDER BY id DESC LIMIT ?1")
            .map_err(|error| self.error(&error))?;
        let rows = statement
            .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
                Ok(LoggedAlert {
                    id: row.get(0)?,
                    wall_ns: row.get::<_, i64>(1)?.to_string(),
                    ts: row.get::<_, i64>(2)?.to_string(),
                    kind: row.get(3)?,
                    message: row.get(4)?,
                })
            })
            .map_err(|error| self.error(&error))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|error| self.error(&error))
    }

    /// Direct SQL for tools and tests (e.g. the injected mismatch of the restart test).
    pub fn connection(&self) -> &Connection {
        &self.connection
    }
}

fn fill_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<FillRow> {
    let side: String = row.get(2)?;
    let quantity: String = row.get(4)?;
    let liquidity: String = row.get(5)?;
    let fee: String = row.get(6)?;
    Ok(FillRow {
        seq: row.get(0)?,
        ts: UnixNanos(row.get(1)?),
        side: if side == "buy" {
            OrderSide::Buy
        } else {
            OrderSide::Sell
        },
        price: Price::from_raw(row.get(3)?),
        quantity: Quantity::from_raw(quantity.parse().unwrap_or_default()),
        maker: liquidity == "maker",
        fee: Money::from_raw(fee.parse().unwrap_or_default()),
        reference_mid: row.get::<_, Option<i64>>(7)?.map(Price::from_raw),
    })
}

fn db_error(path: &Path, error: &rusqlite::Error) -> LiveError {
    LiveError::Database {
        path: path.to_path_buf(),
        message: error.to_string(),
    }
}

/// SQL: the rank of an order status expression (sent 0, accepted 1, partially filled 2,
/// final 3; a final status is never replaced).
fn status_rank(expression: &str) -> String {
    format!(
        "(CASE {expression} WHEN 'sent' THEN 0 WHEN 'accepted' THEN 1 \
         WHEN 'partially_filled' THEN 2 ELSE 3 END)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(id: u64) -> OrderRow {
        OrderRow {
            client_id: format!("at1-{id}"),
            order_id: id,
            ts_submit: UnixNanos(100),
            side: OrderSide::Buy,
            kind: "limit".to_owned(),
            purpose: "entry".to_owned(),
            limit_price: Some(Price::from_raw(60_000_000_000_000)),
            quantity: Quantity::from_raw(2_000_000),
        }
    }

    fn fill(seq: u32, price: i64) -> FillRow {
        FillRow {
            seq,
            ts: UnixNanos(200),
            side: OrderSide::Buy,
            price: Price::from_raw(price),
            quantity: Quantity::from_raw(1_000_000),
            maker: true,
            fee: Money::from_raw(12),
            reference_mid: None,
        }
    }

    #[test]
    fn orders_and_fills_are_logged_once_and_differences_are_seen() {
        let dir = tempfile::tempdir().unwrap();
        let log = ExecutionLog::open(dir.path()).unwrap();
        assert_eq!(log.generation().unwrap(), 0);
        let start = log.begin_start(0, "paper", 1).unwrap();
        assert_eq!(start, 1);
        assert_eq!(
            log.record_order(0, start, &order(1), 5).unwrap(),
            Logged::New
        );
        // A restart regenerates the same order: not logged (or sent) again.
        assert_eq!(log.record_order(0, 2, &order(1), 6).unwrap(), Logged::Known);
        let mut other = order(1);
        other.quantity = Quantity::from_raw(3_000_000);
        assert_eq!(log.record_order(0, 2, &other, 6).unwrap(), Logged::Differs);
        let position = Quantity::from_raw(1_000_000);
        assert_eq!(
            log.record_fill(0, start, "at1-1", &fill(1, 60), position)
                .unwrap(),
            Logged::New
        );
        assert_eq!(
            log.record_fill(0, start, "at1-1", &fill(1, 60), position)
                .unwrap(),
            Logged::Known
        );
        assert_eq!(
            log.record_fill(0, start, "at1-1", &fill(1, 61), position)
                .unwrap(),
            Logged::Differs
        );
        assert_eq!(log.fills(0).unwrap().len(), 1);
        assert_eq!(log.last_position(0).unwrap(), position);
        // A venue's clock is not ours: an acceptance stamped before the submission counts.
        log.set_order_status("at1-1", "accepted", UnixNanos(1))
            .unwrap();
        assert_eq!(
            log.orders(0).unwrap(),
            vec![("at1-1".to_owned(), "accepted".to_owned())]
        );
        log.set_order_status("at1-1", "filled", UnixNanos(200))
            .unwrap();
        // A status never moves back (a late acceptance report, a cancel after the fill).
        log.set_order_status("at1-1", "accepted", UnixNanos(250))
            .unwrap();
        log.set_order_status("at1-1", "canceled", UnixNanos(260))
            .unwrap();
        assert_eq!(
            log.orders(0).unwrap(),
            vec![("at1-1".to_owned(), "filled".to_owned())]
        );
        assert_eq!(log.end_generation().unwrap(), 1);
        assert_eq!(log.generation().unwrap(), 1);
        assert!(log.fills(1).unwrap().is_empty());
    }
}
