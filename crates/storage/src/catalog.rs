//! The SQLite catalog `catalog.db` (SPEC 1.4): imported sources, the part files of every
//! partition, the quarantined rows and warnings of each import, and the journal of file moves
//! that makes a commit atomic.
//!
//! Tables (plain SQL, readable by any SQLite client):
//! - `sources(name, size_bytes, content_hash, imported_at, import_id, records_read, events,
//!   quarantined, rows_written, partitions)`: `imported_at` is the caller's timestamp (ns)
//!   or NULL — the library never reads the wall clock;
//! - `parts(venue, symbol, market, kind, date, source, path, rows, first_ts_recv,
//!   last_ts_recv, bytes)`: one row per part file;
//! - view `partitions`: `parts` grouped by instrument, kind and date (rows, first/last
//!   `ts_recv`, files, bytes);
//! - `quarantine(source, line, reason, content)`, `warnings(source, seq, message)`;
//! - `imports(id, source, state)` and `pending_moves(import_id, seq, from_path, to_path)`.
//!
//! A commit writes the new catalog state and the list of file moves in ONE transaction; the
//! moves are then performed and the journal cleared. A crash in between is rolled forward by
//! [`Catalog::pending_moves`] on the next open, so the catalog and the files always agree.

use std::path::{Path, PathBuf};
use std::time::Duration;

use auction_trader_data::store::{PartitionFilter, PartitionInfo};
use auction_trader_data::{ImportSummary, QuarantinedRow};
use auction_trader_types::{InstrumentKey, MarketKind, StreamKind, UnixNanos};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

use crate::StorageError;
use crate::layout::PartitionKey;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS catalog_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO catalog_info VALUES ('schema_version', '1');
INSERT OR IGNORE INTO catalog_info VALUES ('fixed_point_scale', '1000000000');
CREATE TABLE IF NOT EXISTS imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('staging', 'committing', 'committed', 'aborted'))
);
CREATE TABLE IF NOT EXISTS sources (
    name TEXT PRIMARY KEY,
    size_bytes INTEGER,
    content_hash TEXT,
    imported_at INTEGER,
    import_id INTEGER NOT NULL,
    records_read INTEGER NOT NULL,
    events INTEGER NOT NULL,
    quarantined INTEGER NOT NULL,
    rows_written INTEGER NOT NULL,
    partitions INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS parts (
    venue TEXT NOT NULL,
    symbol TEXT NOT NULL,
    market TEXT NOT NULL,
    kind TEXT NOT NULL,
    date TEXT NOT NULL,
    source TEXT NOT NULL,
    path TEXT NOT NULL UNIQUE,
    rows INTEGER NOT NULL,
    first_ts_recv INTEGER NOT NULL,
    last_ts_recv INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    PRIMARY KEY (venue, symbol, market, kind, date, source)
);
CREATE INDEX IF NOT EXISTS parts_by_source ON parts (source);
CREATE VIEW IF NOT EXISTS partitions AS
    SELECT venue, symbol, market, kind, date, SUM(rows) AS rows,
           MIN(first_ts_recv) AS first_ts_recv, MAX(last_ts_recv) AS last_ts_recv,
           COUNT(*) AS files, SUM(bytes) AS bytes
    FROM parts GROUP BY venue, symbol, market, kind, date;
CREATE TABLE IF NOT EXISTS quarantine (
    source TEXT NOT NULL, line INTEGER NOT NULL, reason TEXT NOT NULL, content TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS quarantine_by_source ON quarantine (source);
CREATE TABLE IF NOT EXISTS warnings (source TEXT NOT NULL, seq INTEGER NOT NULL, message TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS warnings_by_source ON warnings (source);
CREATE TABLE IF NOT EXISTS pending_moves (
    import_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    from_path TEXT,
    to_path TEXT NOT NULL,
    PRIMARY KEY (import_id, seq)
);
";

/// What an import is recorded under: the name and, when the caller knows them, the size,
/// content hash and import time of the source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceInfo {
    pub name: String,
    pub size_bytes: Option<u64>,
    pub content_hash: Option<String>,
    /// Supplied by the caller (the library has no wall clock); `None` when not given.
    pub imported_at: Option<UnixNanos>,
}

impl SourceInfo {
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            size_bytes: None,
            content_hash: None,
            imported_at: None,
        }
    }

    /// Name plus the size and FNV-1a 64 content hash (`fnv1a64:<hex>`, not cryptographic) of
    /// the file at `path`, read once.
    pub fn of_file(name: impl Into<String>, path: &Path) -> Result<Self, StorageError> {
        use std::io::Read;
        let mut file = std::fs::File::open(path).map_err(|error| StorageError::io(path, error))?;
        let mut buffer = vec![0_u8; 1 << 16];
        let mut hasher = auction_trader_types::Fnv1a64::new();
        let mut size: u64 = 0;
        loop {
            let read = file
                .read(&mut buffer)
                .map_err(|error| StorageError::io(path, error))?;
            if read == 0 {
                break;
            }
            size += read as u64;
            hasher.update(&buffer[..read]);
        }
        Ok(Self {
            name: name.into(),
            size_bytes: Some(size),
            content_hash: Some(format!("fnv1a64:{:016x}", hasher.finish())),
            imported_at: None,
        })
    }

    pub fn with_imported_at(mut self, imported_at: UnixNanos) -> Self {
        self.imported_at = Some(imported_at);
        self
    }
}

/// A source as the catalog lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceRecord {
    pub info: SourceInfo,
    pub summary: ImportSummary,
    pub rows_written: u64,
    pub partitions: u32,
}

/// One stored part file of a partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredPart {
    pub date: String,
    pub source: String,
    /// Relative to the data directory.
    pub path: String,
}

/// A finished, staged part file waiting to be committed.
#[derive(Debug, Clone)]
pub(crate) struct NewPart {
    pub key: PartitionKey,
    /// Final location, relative to the data directory.
    pub path: String,
    /// Staged location, relative to the data directory.
    pub staged_path: String,
    pub rows: u64,
    pub first_ts_recv: i64,
    pub last_ts_recv: i64,
    pub bytes: u64,
}

/// One file operation of a commit (paths relative to the data directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PendingMove {
    Rename { from: String, to: String },
    Delete { path: String },
}

/// Everything one commit records.
#[derive(Debug)]
pub(crate) struct ImportCommit<'a> {
    pub import_id: i64,
    pub source: &'a SourceInfo,
    pub summary: &'a ImportSummary,
    pub parts: &'a [NewPart],
    pub quarantined: &'a [QuarantinedRow],
    pub warnings: &'a [String],
}

fn to_sql_count(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn from_sql_count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// The catalog connection.
#[derive(Debug)]
pub(crate) struct Catalog {
    connection: Connection,
    path: PathBuf,
}

impl Catalog {
    pub(crate) fn open(path: &Path) -> Result<Self, StorageError> {
        let connection = Connection::open(path)?;
        connection.busy_timeout(Duration::from_secs(30))?;
        // WAL: readers never block the committing writer; FULL: a commit survives power loss.
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.execute_batch(SCHEMA)?;
        Ok(Self {
            connection,
            path: path.to_owned(),
        })
    }

    /// Registers a new import and returns its id (names its staging directory).
    pub(crate) fn begin_import(&mut self, source: &str) -> Result<i64, StorageError> {
        self.connection.execute(
            "INSERT INTO imports (source, state) VALUES (?1, 'staging')",
            params![source],
        )?;
        Ok(self.connection.last_insert_rowid())
    }

    pub(crate) fn mark_aborted(&mut self, import_id: i64) -> Result<(), StorageError> {
        self.connection.execute(
            "UPDATE imports SET state = 'aborted' WHERE id = ?1 AND state = 'staging'",
            params![import_id],
        )?;
        Ok(())
    }

    /// Records the import in ONE transaction and returns the file moves to perform.
    pub(crate) fn commit_import(
        &mut self,
        commit: &ImportCommit<'_>,
    ) -> Result<Vec<PendingMove>, StorageError> {
        let source = &commit.source.name;
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let old_paths: Vec<String> = {
            let mut statement =
                transaction.prepare("SELECT path FROM parts WHERE source = ?1 ORDER BY path")?;
            statement
                .query_map(params![source], |row| row.get(0))?
                .collect::<Result<_, _>>()?
        };
        for part in commit.parts {
            let owner: Option<String> = transaction
                .query_row(
                    "SELECT source FROM parts WHERE path = ?1 AND source <> ?2",
                    params![part.path, source],
                    |row| row.get(0),
                )
                .optional()?;
            if let Some(owner) = owner {
                return Err(StorageError::InvalidArgument(format!(
                    "sources {owner:?} and {source:?} hash to the same part file {}",
                    part.path
                )));
            }
        }
        transaction.execute("DELETE FROM parts WHERE source = ?1", params![source])?;
        let mut rows_written: u64 = 0;
        {
            let mut insert = transaction.prepare(
                "INSERT INTO parts (venue, symbol, market, kind, date, source, path, rows,
                                    first_ts_recv, last_ts_recv, bytes)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            for part in commit.parts {
                rows_written += part.rows;
                insert.execute(params![
                    part.key.instrument.venue,
                    part.key.instrument.symbol,
                    part.key.instrument.market.as_str(),
                    part.key.kind.as_str(),
                    part.key.date(),
                    source,
                    part.path,
                    to_sql_count(part.rows),
                    part.first_ts_recv,
                    part.last_ts_recv,
                    to_sql_count(part.bytes),
                ])?;
            }
        }
        transaction.execute(
            "INSERT OR REPLACE INTO sources (name, size_bytes, content_hash, imported_at,
                 import_id, records_read, events, quarantined, rows_written, partitions)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                source,
                commit.source.size_bytes.map(to_sql_count),
                commit.source.content_hash,
                commit.source.imported_at.map(|stamp| stamp.0),
                commit.import_id,
                to_sql_count(commit.summary.records_read),
                to_sql_count(commit.summary.events),
                to_sql_count(commit.summary.quarantined),
                to_sql_count(rows_written),
                commit.parts.len() as i64,
            ],
        )?;
        transaction.execute("DELETE FROM quarantine WHERE source = ?1", params![source])?;
        transaction.execute("DELETE FROM warnings WHERE source = ?1", params![source])?;
        {
            let mut insert = transaction.prepare(
                "INSERT INTO quarantine (source, line, reason, content) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for row in commit.quarantined {
                insert.execute(params![
                    source,
                    to_sql_count(row.line),
                    row.reason,
                    row.content
                ])?;
            }
            let mut insert = transaction
                .prepare("INSERT INTO warnings (source, seq, message) VALUES (?1, ?2, ?3)")?;
            for (seq, message) in commit.warnings.iter().enumerate() {
                insert.execute(params![source, seq as i64, message])?;
            }
        }
        let mut moves: Vec<PendingMove> = commit
            .parts
            .iter()
            .map(|part| PendingMove::Rename {
                from: part.staged_path.clone(),
                to: part.path.clone(),
            })
            .collect();
        moves.extend(
            old_paths
                .into_iter()
                .filter(|old| !commit.parts.iter().any(|part| &part.path == old))
                .map(|path| PendingMove::Delete { path }),
        );
        {
            let mut insert = transaction.prepare(
                "INSERT INTO pending_moves (import_id, seq, from_path, to_path) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (seq, operation) in moves.iter().enumerate() {
                let (from, to) = match operation {
                    PendingMove::Rename { from, to } => (Some(from.as_str()), to.as_str()),
                    PendingMove::Delete { path } => (None, path.as_str()),
                };
                insert.execute(params![commit.import_id, seq as i64, from, to])?;
            }
        }
        transaction.execute(
            "UPDATE imports SET state = 'committing' WHERE id = ?1",
            params![commit.import_id],
        )?;
        transaction.commit()?;
        Ok(moves)
    }

    /// Clears the move journal of a commit whose moves are done.
    pub(crate) fn finish_commit(&mut self, import_id: i64) -> Result<(), StorageError> {
        let transaction = self.connection.transaction()?;
        transaction.execute(
            "DELETE FROM pending_moves WHERE import_id = ?1",
            params![import_id],
        )?;
        transaction.execute(
            "UPDATE imports SET state = 'committed' WHERE id = ?1",
            params![import_id],
        )?;
        transaction.commit()?;
        Ok(())
    }

    /// Journaled moves of commits interrupted before their moves finished, by import.
    pub(crate) fn pending_moves(&self) -> Result<Vec<(i64, Vec<PendingMove>)>, StorageError> {
        let mut statement = self.connection.prepare(
            "SELECT import_id, from_path, to_path FROM pending_moves ORDER BY import_id, seq",
        )?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, String>(2)?,
            ))
        })?;
        let mut pending: Vec<(i64, Vec<PendingMove>)> = Vec::new();
        for row in rows {
            let (import_id, from, to) = row?;
            let operation = match from {
                Some(from) => PendingMove::Rename { from, to },
                None => PendingMove::Delete { path: to },
            };
            match pending.last_mut() {
                Some((id, moves)) if *id == import_id => moves.push(operation),
                _ => pending.push((import_id, vec![operation])),
            }
        }
        Ok(pending)
    }

    /// Partitions matching `filter`, sorted by instrument, kind and date.
    pub(crate) fn partitions(
        &self,
        filter: &PartitionFilter,
    ) -> Result<Vec<PartitionInfo>, StorageError> {
        let mut statement = self.connection.prepare(
            "SELECT venue, symbol, market, kind, date, SUM(rows), MIN(first_ts_recv),
                    MAX(last_ts_recv), COUNT(*)
             FROM parts
             WHERE (?1 IS NULL OR venue = ?1) AND (?2 IS NULL OR symbol = ?2)
                   AND (?3 IS NULL OR kind = ?3)
             GROUP BY venue, symbol, market, kind, date
             HAVING (?4 IS NULL OR MAX(last_ts_recv) >= ?4)
                    AND (?5 IS NULL OR MIN(first_ts_recv) <= ?5)",
        )?;
        let rows = statement.query_map(
            params![
                filter
                    .venue
                    .as_ref()
                    .map(|venue| venue.to_ascii_lowercase()),
                filter
                    .symbol
                    .as_ref()
                    .map(|symbol| symbol.to_ascii_uppercase()),
                filter.kind.map(StreamKind::as_str),
                filter.from.map(|stamp| stamp.0),
                filter.to.map(|stamp| stamp.0),
            ],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, i64>(5)?,
                    row.get::<_, i64>(6)?,
                    row.get::<_, i64>(7)?,
                    row.get::<_, i64>(8)?,
                ))
            },
        )?;
        let mut partitions = Vec::new();
        for row in rows {
            let (venue, symbol, market, kind, date, rows, first, last, files) = row?;
            let market = MarketKind::parse(&market).map_err(|error| {
                StorageError::corrupt(&self.path, format!("parts.market: {error}"))
            })?;
            let kind = StreamKind::parse(&kind).ok_or_else(|| {
                StorageError::corrupt(&self.path, format!("parts.kind {kind:?} is unknown"))
            })?;
            partitions.push(PartitionInfo {
                instrument: InstrumentKey {
                    venue,
                    symbol,
                    market,
                },
                kind,
                date,
                rows: from_sql_count(rows),
                first_ts_recv: UnixNanos(first),
                last_ts_recv: UnixNanos(last),
                files: u32::try_from(files).unwrap_or(u32::MAX),
            });
        }
        partitions.sort_by(|left, right| {
            (&left.instrument, left.kind, &left.date).cmp(&(
                &right.instrument,
                right.kind,
                &right.date,
            ))
        });
        Ok(partitions)
    }

    /// Part files of one instrument and kind overlapping `[from, to]`, by date then source
    /// name (the stable tie order of the read merge).
    pub(crate) fn parts_of(
        &self,
        instrument: &InstrumentKey,
        kind: StreamKind,
        from: UnixNanos,
        to: UnixNanos,
    ) -> Result<Vec<StoredPart>, StorageError> {
        let mut statement = self.connection.prepare(
            "SELECT date, source, path FROM parts
             WHERE venue = ?1 AND symbol = ?2 AND market = ?3 AND kind = ?4
                   AND last_ts_recv >= ?5 AND first_ts_recv <= ?6
             ORDER BY date, source",
        )?;
        let rows = statement.query_map(
            params![
                instrument.venue,
                instrument.symbol,
                instrument.market.as_str(),
                kind.as_str(),
                from.0,
                to.0
            ],
            |row| {
                Ok(StoredPart {
                    date: row.get(0)?,
                    source: row.get(1)?,
                    path: row.get(2)?,
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every imported source, by name.
    pub(crate) fn sources(&self) -> Result<Vec<SourceRecord>, StorageError> {
        let mut statement = self.connection.prepare(
            "SELECT name, size_bytes, content_hash, imported_at, records_read, events,
                    quarantined, rows_written, partitions
             FROM sources ORDER BY name",
        )?;
        let rows = statement.query_map([], |row| {
            Ok(SourceRecord {
                info: SourceInfo {
                    name: row.get(0)?,
                    size_bytes: row.get::<_, Option<i64>>(1)?.map(from_sql_count),
                    content_hash: row.get(2)?,
                    imported_at: row.get::<_, Option<i64>>(3)?.map(UnixNanos),
                },
                summary: ImportSummary {
                    records_read: from_sql_count(row.get(4)?),
                    events: from_sql_count(row.get(5)?),
                    quarantined: from_sql_count(row.get(6)?),
                },
                rows_written: from_sql_count(row.get(7)?),
                partitions: u32::try_from(row.get::<_, i64>(8)?).unwrap_or(u32::MAX),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Quarantined rows stored for `source`, in line order.
    pub(crate) fn quarantined(&self, source: &str) -> Result<Vec<QuarantinedRow>, StorageError> {
        let mut statement = self.connection.prepare(
            "SELECT line, reason, content FROM quarantine WHERE source = ?1 ORDER BY rowid",
        )?;
        let rows = statement.query_map(params![source], |row| {
            Ok(QuarantinedRow {
                source: source.to_owned(),
                line: from_sql_count(row.get(0)?),
                reason: row.get(1)?,
                content: row.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
