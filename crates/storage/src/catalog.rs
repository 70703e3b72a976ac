//! The SQLite catalog `catalog.db` (SPEC 1.4): imported sources, the part files of every
//! partition, the quarantined rows and warnings of each import, and the journal of file moves
//! that makes a commit atomic.
//!
//! Tables (plain SQL, readable by any SQLite client; `source` columns hold a source's key,
//! see [`crate::sources`]):
//! - `sources(key, name, size_bytes, content_hash, imported_at, import_id, records_read,
//!   events, quarantined, rows_written, partitions)`: `imported_at` is the caller's timestamp
//!   (ns) or NULL — the library never reads the wall clock;
//! - `source_files(source, seq, path, size_bytes, content_hash)`: the files of each source;
//! - `parts(venue, symbol, market, kind, date, source, path, rows, first_ts_recv,
//!   last_ts_recv, bytes)`: one row per part file;
//! - view `partitions`: `parts` grouped by instrument, kind and date (rows, first/last
//!   `ts_recv`, files, bytes);
//! - `quarantine(source, file, line, reason, content)`: `file` is the input file (or archive
//!   member) the line belongs to; `warnings(source, seq, message)`;
//! - `imports(id, source, state, pid)` and `pending_moves(import_id, seq, from_path, to_path)`.
//!
//! Schema version 1 keyed sources by file name; opening such a catalog migrates it in place
//! (its sources keep their names as keys, so their part files stay where they are).
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
use crate::sources::{SourceFile, SourceInfo, StoredSource};

const SCHEMA_VERSION: &str = "2";

const SCHEMA: &str = "
INSERT OR IGNORE INTO catalog_info VALUES ('fixed_point_scale', '1000000000');
CREATE TABLE IF NOT EXISTS imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('staging', 'committing', 'committed', 'aborted')),
    pid INTEGER
);
CREATE TABLE IF NOT EXISTS sources (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
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
CREATE TABLE IF NOT EXISTS source_files (
    source TEXT NOT NULL,
    seq INTEGER NOT NULL,
    path TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    PRIMARY KEY (source, seq)
);
CREATE INDEX IF NOT EXISTS source_files_by_hash ON source_files (content_hash);
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
    source TEXT NOT NULL, file TEXT NOT NULL, line INTEGER NOT NULL, reason TEXT NOT NULL,
    content TEXT NOT NULL
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

/// Version 1 -> 2: sources keyed by `key` (the v1 name), quarantine rows name their file,
/// imports record their process.
const MIGRATE_V1: &str = "
ALTER TABLE sources RENAME TO sources_v1;
CREATE TABLE sources (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
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
INSERT INTO sources SELECT name, name, size_bytes, content_hash, imported_at, import_id,
    records_read, events, quarantined, rows_written, partitions FROM sources_v1;
DROP TABLE sources_v1;
ALTER TABLE quarantine ADD COLUMN file TEXT NOT NULL DEFAULT '';
UPDATE quarantine SET file = source;
ALTER TABLE imports ADD COLUMN pid INTEGER;
";

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
        let mut connection = Connection::open(path)?;
        connection.busy_timeout(Duration::from_secs(30))?;
        // WAL: readers never block the committing writer; FULL: a commit survives power loss.
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        Self::create_or_migrate(&mut connection)?;
        Ok(Self {
            connection,
            path: path.to_owned(),
        })
    }

    /// Creates the tables of a new catalog, or migrates a version 1 catalog, in one
    /// transaction (another process may open the same catalog at the same moment).
    fn create_or_migrate(connection: &mut Connection) -> Result<(), StorageError> {
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        transaction.execute_batch(
            "CREATE TABLE IF NOT EXISTS catalog_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
        )?;
        let version: Option<String> = transaction
            .query_row(
                "SELECT value FROM catalog_info WHERE key = 'schema_version'",
                [],
                |row| row.get(0),
            )
            .optional()?;
        if version.as_deref() == Some("1") {
            transaction.execute_batch(MIGRATE_V1)?;
        }
        transaction.execute_batch(SCHEMA)?;
        transaction.execute(
            "INSERT OR REPLACE INTO catalog_info VALUES ('schema_version', ?1)",
            params![SCHEMA_VERSION],
        )?;
        transaction.commit()?;
        Ok(())
    }

    /// Registers a new import by process `pid` and returns its id (names its staging
    /// directory).
    pub(crate) fn begin_import(&mut self, source: &str, pid: u32) -> Result<i64, StorageError> {
        self.connection.execute(
            "INSERT INTO imports (source, state, pid) VALUES (?1, 'staging', ?2)",
            params![source, i64::from(pid)],
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

    /// Imports that will never finish: aborted ones, and those still staging whose process
    /// is gone (`alive(pid)` false). Returns their ids.
    pub(crate) fn abandoned_imports(
        &self,
        alive: impl Fn(u32) -> bool,
    ) -> Result<Vec<i64>, StorageError> {
        let mut statement = self
            .connection
            .prepare("SELECT id, state, pid FROM imports WHERE state IN ('staging', 'aborted')")?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<i64>>(2)?,
            ))
        })?;
        let mut abandoned = Vec::new();
        for row in rows {
            let (id, state, pid) = row?;
            let running = state == "staging"
                && pid
                    .and_then(|pid| u32::try_from(pid).ok())
                    .is_some_and(&alive);
            if !running {
                abandoned.push(id);
            }
        }
        Ok(abandoned)
    }

    /// Every import id the catalog knows.
    pub(crate) fn import_ids(&self) -> Result<Vec<i64>, StorageError> {
        let mut statement = self.connection.prepare("SELECT id FROM imports")?;
        let rows = statement.query_map([], |row| row.get::<_, i64>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Deletes the records of abandoned imports (their staging folders are gone).
    pub(crate) fn forget_imports(&mut self, ids: &[i64]) -> Result<(), StorageError> {
        let transaction = self.connection.transaction()?;
        for id in ids {
            transaction.execute(
                "DELETE FROM imports WHERE id = ?1 AND state IN ('staging', 'aborted')",
                params![id],
            )?;
        }
        transaction.commit()?;
        Ok(())
    }

    /// Stored sources holding any of `hashes` (file content hashes), with all their files.
    pub(crate) fn sources_sharing(
        &self,
        hashes: &[&str],
    ) -> Result<Vec<StoredSource>, StorageError> {
        let mut keys: Vec<String> = Vec::new();
        {
            let mut statement = self
                .connection
                .prepare("SELECT DISTINCT source FROM source_files WHERE content_hash = ?1")?;
            for hash in hashes {
                for key in statement.query_map(params![hash], |row| row.get::<_, String>(0))? {
                    let key = key?;
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
            }
        }
        keys.sort();
        let mut stored = Vec::with_capacity(keys.len());
        for key in keys {
            stored.push(stored_source(&self.connection, &key)?);
        }
        Ok(stored)
    }

    /// Records the import in ONE transaction and returns the file moves to perform. Stored
    /// sources whose files all belong to this one are replaced by it (see
    /// [`crate::sources`]); a file stored as part of any other source is an error (the
    /// caller plans jobs so that this only happens when another process imported it since).
    pub(crate) fn commit_import(
        &mut self,
        commit: &ImportCommit<'_>,
    ) -> Result<Vec<PendingMove>, StorageError> {
        let source = &commit.source.key;
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut replaced: Vec<String> = vec![source.clone()];
        for file in &commit.source.files {
            let mut statement = transaction.prepare(
                "SELECT DISTINCT source FROM source_files WHERE content_hash = ?1 AND source <> ?2",
            )?;
            let holders: Vec<String> = statement
                .query_map(params![file.content_hash, source], |row| row.get(0))?
                .collect::<Result<_, _>>()?;
            for holder in holders {
                if replaced.contains(&holder) {
                    continue;
                }
                let other = stored_source(&transaction, &holder)?;
                let covered = other.file_hashes.iter().all(|hash| {
                    commit
                        .source
                        .files
                        .iter()
                        .any(|file| &file.content_hash == hash)
                });
                if !covered {
                    return Err(StorageError::InvalidArgument(format!(
                        "{} is already stored as part of source {:?}",
                        file.path, other.name
                    )));
                }
                replaced.push(holder);
            }
        }
        let mut old_paths: Vec<String> = Vec::new();
        {
            let mut statement =
                transaction.prepare("SELECT path FROM parts WHERE source = ?1 ORDER BY path")?;
            for key in &replaced {
                for path in statement.query_map(params![key], |row| row.get::<_, String>(0))? {
                    old_paths.push(path?);
                }
            }
        }
        for part in commit.parts {
            let owner: Option<String> = transaction
                .query_row(
                    "SELECT source FROM parts WHERE path = ?1 AND source <> ?2",
                    params![part.path, source],
                    |row| row.get(0),
                )
                .optional()?;
            if let Some(owner) = owner.filter(|owner| !replaced.contains(owner)) {
                return Err(StorageError::InvalidArgument(format!(
                    "sources {owner:?} and {source:?} hash to the same part file {}",
                    part.path
                )));
            }
        }
        for key in &replaced {
            for table in ["parts", "quarantine", "warnings", "source_files", "sources"] {
                let column = if table == "sources" { "key" } else { "source" };
                transaction.execute(
                    &format!("DELETE FROM {table} WHERE {column} = ?1"),
                    params![key],
                )?;
            }
        }
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
            "INSERT INTO sources (key, name, size_bytes, content_hash, imported_at,
                 import_id, records_read, events, quarantined, rows_written, partitions)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                source,
                commit.source.name,
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
        {
            let mut insert = transaction.prepare(
                "INSERT INTO source_files (source, seq, path, size_bytes, content_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for (seq, file) in commit.source.files.iter().enumerate() {
                insert.execute(params![
                    source,
                    seq as i64,
                    file.path,
                    to_sql_count(file.size_bytes),
                    file.content_hash
                ])?;
            }
            let mut insert = transaction.prepare(
                "INSERT INTO quarantine (source, file, line, reason, content)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for row in commit.quarantined {
                insert.execute(params![
                    source,
                    row.source,
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

    /// Every imported source, by name then key, with its files.
    pub(crate) fn sources(&self) -> Result<Vec<SourceRecord>, StorageError> {
        let mut statement = self.connection.prepare(
            "SELECT key, name, size_bytes, content_hash, imported_at, records_read, events,
                    quarantined, rows_written, partitions
             FROM sources ORDER BY name, key",
        )?;
        let rows = statement.query_map([], |row| {
            Ok(SourceRecord {
                info: SourceInfo {
                    key: row.get(0)?,
                    name: row.get(1)?,
                    size_bytes: row.get::<_, Option<i64>>(2)?.map(from_sql_count),
                    content_hash: row.get(3)?,
                    imported_at: row.get::<_, Option<i64>>(4)?.map(UnixNanos),
                    files: Vec::new(),
                },
                summary: ImportSummary {
                    records_read: from_sql_count(row.get(5)?),
                    events: from_sql_count(row.get(6)?),
                    quarantined: from_sql_count(row.get(7)?),
                },
                rows_written: from_sql_count(row.get(8)?),
                partitions: u32::try_from(row.get::<_, i64>(9)?).unwrap_or(u32::MAX),
            })
        })?;
        let mut records: Vec<SourceRecord> = rows.collect::<Result<_, _>>()?;
        for record in &mut records {
            record.info.files = source_files(&self.connection, &record.info.key)?;
        }
        Ok(records)
    }

    /// Quarantined rows of the sources `selector` names (every source when `None`), in
    /// source then line order. A selector matches a source's key (or a prefix of at least
    /// 8 characters), its name, one of its file paths, or the file a row belongs to.
    pub(crate) fn quarantine_rows(
        &self,
        selector: Option<&str>,
    ) -> Result<Vec<StoredQuarantineRow>, StorageError> {
        let mut statement = self.connection.prepare(
            "SELECT q.source, COALESCE(s.name, q.source), q.file, q.line, q.reason, q.content
             FROM quarantine q LEFT JOIN sources s ON s.key = q.source
             WHERE ?1 IS NULL OR q.source = ?1 OR s.name = ?1 OR q.file = ?1
                OR (length(?1) >= 8 AND substr(q.source, 1, length(?1)) = ?1)
                OR q.source IN (SELECT source FROM source_files WHERE path = ?1)
             ORDER BY COALESCE(s.name, q.source), q.source, q.rowid",
        )?;
        let rows = statement.query_map(params![selector], |row| {
            Ok(StoredQuarantineRow {
                source_key: row.get(0)?,
                source_name: row.get(1)?,
                file: row.get(2)?,
                line: from_sql_count(row.get(3)?),
                reason: row.get(4)?,
                content: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// One quarantined row as the catalog keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredQuarantineRow {
    pub source_key: String,
    pub source_name: String,
    /// The input file (or `archive.zip/member`) the line is in.
    pub file: String,
    pub line: u64,
    pub reason: String,
    pub content: String,
}

fn source_files(connection: &Connection, key: &str) -> Result<Vec<SourceFile>, StorageError> {
    let mut statement = connection.prepare(
        "SELECT path, size_bytes, content_hash FROM source_files WHERE source = ?1 ORDER BY seq",
    )?;
    let rows = statement.query_map(params![key], |row| {
        Ok(SourceFile {
            path: row.get(0)?,
            size_bytes: from_sql_count(row.get(1)?),
            content_hash: row.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn stored_source(connection: &Connection, key: &str) -> Result<StoredSource, StorageError> {
    let name: Option<String> = connection
        .query_row(
            "SELECT name FROM sources WHERE key = ?1",
            params![key],
            |row| row.get(0),
        )
        .optional()?;
    Ok(StoredSource {
        key: key.to_owned(),
        name: name.unwrap_or_else(|| key.to_owned()),
        file_hashes: source_files(connection, key)?
            .into_iter()
            .map(|file| file.content_hash)
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tables of schema version 1 that the migration touches.
    const SCHEMA_V1: &str = "
        CREATE TABLE catalog_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO catalog_info VALUES ('schema_version', '1');
        CREATE TABLE imports (id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL,
            state TEXT NOT NULL);
        CREATE TABLE sources (name TEXT PRIMARY KEY, size_bytes INTEGER, content_hash TEXT,
            imported_at INTEGER, import_id INTEGER NOT NULL, records_read INTEGER NOT NULL,
            events INTEGER NOT NULL, quarantined INTEGER NOT NULL, rows_written INTEGER NOT NULL,
            partitions INTEGER NOT NULL);
        CREATE TABLE quarantine (source TEXT NOT NULL, line INTEGER NOT NULL,
            reason TEXT NOT NULL, content TEXT NOT NULL);
        INSERT INTO sources VALUES ('old.csv', 10, NULL, NULL, 1, 5, 4, 1, 4, 1);
        INSERT INTO quarantine VALUES ('old.csv', 3, 'zero price', '1,0,1');
    ";

    #[test]
    fn a_version_1_catalog_is_migrated_in_place() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("catalog.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch(SCHEMA_V1)
            .unwrap();
        let catalog = Catalog::open(&path).unwrap();
        let sources = catalog.sources().unwrap();
        assert_eq!(sources.len(), 1);
        assert_eq!(
            (sources[0].info.key.as_str(), sources[0].info.name.as_str()),
            ("old.csv", "old.csv")
        );
        assert_eq!(sources[0].rows_written, 4);
        let rows = catalog.quarantine_rows(Some("old.csv")).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].file.as_str(), rows[0].line), ("old.csv", 3));
        drop(catalog);
        // Opening again is a no-op.
        assert_eq!(Catalog::open(&path).unwrap().sources().unwrap().len(), 1);
    }
}
