//! [`PgStore`]: the PostgreSQL tick store behind the data crate's [`TickStore`] trait and
//! the storage crate's [`SourceStore`] import flow (the same content-keyed sources as the
//! embedded store, so re-imports are idempotent on both).

use std::sync::{Mutex, MutexGuard, PoisonError};

use auction_trader_data::store::{
    ImportWriter, PartitionFilter, PartitionInfo, StoredEvents, TickStore,
};
use auction_trader_data::{DataError, ImportSummary};
use auction_trader_storage::part_hashes::PartHash;
use auction_trader_storage::{
    ImportPlan, SourceFile, SourceImport, SourceInfo, SourceRecord, SourceStore, StorageError,
    StoredSource, plan_files,
};
use auction_trader_types::{InstrumentKey, MarketKind, StreamKind, UnixNanos};
use postgres::{Client, GenericClient};

use crate::PgStoreError;
use crate::connect::PgLocation;
use crate::ingest::PgImport;
use crate::read::PgStream;
use crate::schema::{self, LAYOUT_VERSION, SCHEMA, TimeLayout};

/// Serializes the creation of the tables between processes opening a fresh database.
const CREATE_LOCK: i64 = 0x0061_7563_7469_6f6e; // "auction"

/// A PostgreSQL database holding ticks. Catalog queries share one connection; every import
/// and every read stream opens its own (a read streams one binary COPY).
pub struct PgStore {
    location: PgLocation,
    catalog: Mutex<Client>,
    layout: TimeLayout,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PgStore")
            .field("location", &self.location)
            .field("layout", &self.layout)
            .finish()
    }
}

impl PgStore {
    /// Connects and creates the schema when the database has none yet: TimescaleDB
    /// hypertables when the extension is available to the server, declarative day
    /// partitions otherwise (the choice is recorded and kept for the database's life).
    pub fn open(location: PgLocation) -> Result<Self, PgStoreError> {
        let mut client = session(&location)?;
        let layout = match stored_layout(&mut client)? {
            Some(layout) => layout,
            None => create(&mut client)?,
        };
        Ok(Self {
            location,
            catalog: Mutex::new(client),
            layout,
        })
    }

    /// Parses `url` (password from `PGPASSWORD` when the URL has none) and opens it.
    pub fn open_url(url: &str) -> Result<Self, PgStoreError> {
        Self::open(PgLocation::from_url(url)?)
    }

    pub fn location(&self) -> &PgLocation {
        &self.location
    }

    pub fn layout(&self) -> TimeLayout {
        self.layout
    }

    /// A new connection with the store's schema on its search path.
    pub(crate) fn session(&self) -> Result<Client, PgStoreError> {
        session(&self.location)
    }

    pub(crate) fn catalog(&self) -> MutexGuard<'_, Client> {
        // A panic while holding the lock leaves no half-done transaction: every catalog
        // call is a single statement.
        self.catalog.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts an atomic import recorded under `source` (see [`PgImport`]).
    pub fn begin_source_import(&self, source: SourceInfo) -> Result<PgImport<'_>, PgStoreError> {
        if source.key.is_empty() {
            return Err(PgStoreError::InvalidArgument(
                "empty source name".to_owned(),
            ));
        }
        PgImport::begin(self, source)
    }

    /// Every imported source, by name then key (as the embedded catalog lists them).
    pub fn sources(&self) -> Result<Vec<SourceRecord>, PgStoreError> {
        let mut client = self.catalog();
        let rows = client
            .query(
                "SELECT id, key, name, size_bytes, content_hash, imported_at, records_read,
                        events, quarantined, rows_written, partitions
                 FROM sources ORDER BY name, key",
                &[],
            )
            .map_err(|error| PgStoreError::query("listing sources", &error))?;
        let mut records = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i32 = row.get(0);
            let files = client
                .query(
                    "SELECT path, size_bytes, content_hash FROM source_files
                     WHERE source_id = $1 ORDER BY seq",
                    &[&id],
                )
                .map_err(|error| PgStoreError::query("listing source files", &error))?
                .into_iter()
                .map(|file| SourceFile {
                    path: file.get(0),
                    size_bytes: count(file.get(1)),
                    content_hash: file.get(2),
                })
                .collect();
            records.push(SourceRecord {
                info: SourceInfo {
                    key: row.get(1),
                    name: row.get(2),
                    size_bytes: row.get::<_, Option<i64>>(3).map(count),
                    content_hash: row.get(4),
                    imported_at: row.get::<_, Option<i64>>(5).map(UnixNanos),
                    files,
                },
                summary: ImportSummary {
                    records_read: count(row.get(6)),
                    events: count(row.get(7)),
                    quarantined: count(row.get(8)),
                },
                rows_written: count(row.get(9)),
                partitions: u32::try_from(row.get::<_, i32>(10)).unwrap_or(0),
            });
        }
        Ok(records)
    }

    /// Stored partitions (instrument, kind, UTC day), sorted by instrument, kind and date.
    pub fn list_partitions(
        &self,
        filter: &PartitionFilter,
    ) -> Result<Vec<PartitionInfo>, PgStoreError> {
        let venue = filter
            .venue
            .as_ref()
            .map(|venue| venue.to_ascii_lowercase());
        let symbol = filter
            .symbol
            .as_ref()
            .map(|symbol| symbol.to_ascii_uppercase());
        let kind = filter.kind.map(StreamKind::as_str);
        let rows = self
            .catalog()
            .query(
                "SELECT i.venue, i.symbol, i.market, p.kind, p.date, SUM(p.rows)::bigint,
                        MIN(p.first_ts_recv), MAX(p.last_ts_recv), COUNT(*)
                 FROM parts p JOIN instruments i ON i.id = p.instrument_id
                 WHERE ($1::text IS NULL OR i.venue = $1) AND ($2::text IS NULL OR i.symbol = $2)
                       AND ($3::text IS NULL OR p.kind = $3)
                 GROUP BY i.venue, i.symbol, i.market, p.kind, p.date
                 HAVING ($4::bigint IS NULL OR MAX(p.last_ts_recv) >= $4)
                        AND ($5::bigint IS NULL OR MIN(p.first_ts_recv) <= $5)",
                &[
                    &venue,
                    &symbol,
                    &kind,
                    &filter.from.map(|stamp| stamp.0),
                    &filter.to.map(|stamp| stamp.0),
                ],
            )
            .map_err(|error| PgStoreError::query("listing partitions", &error))?;
        let mut partitions = Vec::with_capacity(rows.len());
        for row in rows {
            let corrupt = |message: String| PgStoreError::Corrupt {
                table: "parts".to_owned(),
                message,
            };
            let market: String = row.get(2);
            let kind_name: String = row.get(3);
            partitions.push(PartitionInfo {
                instrument: InstrumentKey {
                    venue: row.get(0),
                    symbol: row.get(1),
                    market: MarketKind::parse(&market)
                        .map_err(|error| corrupt(format!("market: {error}")))?,
                },
                kind: StreamKind::parse(&kind_name)
                    .ok_or_else(|| corrupt(format!("kind {kind_name:?} is unknown")))?,
                date: row.get(4),
                rows: count(row.get(5)),
                first_ts_recv: UnixNanos(row.get(6)),
                last_ts_recv: UnixNanos(row.get(7)),
                files: u32::try_from(row.get::<_, i64>(8)).unwrap_or(u32::MAX),
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

    /// Streams one instrument's events of one kind with `from <= ts_recv <= to` in the
    /// embedded store's order: by `ts_recv`, ties in source-key order then row order, exact
    /// duplicates between sources skipped.
    pub fn stream(
        &self,
        instrument: &InstrumentKey,
        kind: StreamKind,
        from: UnixNanos,
        to: UnixNanos,
    ) -> Result<PgStream, PgStoreError> {
        let (instrument_id, sources) = {
            let mut client = self.catalog();
            let Some(id) = instrument_id(&mut client, instrument)? else {
                return Ok(PgStream::empty(kind));
            };
            let sources: Vec<i32> = client
                .query(
                    "SELECT p.source_id FROM parts p JOIN sources s ON s.id = p.source_id
                     WHERE p.instrument_id = $1 AND p.kind = $2 AND p.last_ts_recv >= $3
                           AND p.first_ts_recv <= $4
                     GROUP BY p.source_id, s.key ORDER BY s.key",
                    &[&id, &kind.as_str(), &from.0, &to.0],
                )
                .map_err(|error| PgStoreError::query("finding sources of a stream", &error))?
                .into_iter()
                .map(|row| row.get(0))
                .collect();
            (id, sources)
        };
        if sources.is_empty() || from > to {
            return Ok(PgStream::empty(kind));
        }
        PgStream::open(&self.location, kind, instrument_id, &sources, from, to)
    }

    /// The stored slices `stream(instrument, kind, from, to)` reads, for a run manifest
    /// (SPEC 6): one per UTC day and source, in day then source-key order. There are no part
    /// files here, so a slice is named `postgres:<kind>/<date>/<source key>`, its size is its
    /// row count, and its hash is the imported source's content hash (the bytes the rows
    /// were validated from; the program version in the manifest fixes the rest).
    pub fn part_hashes(
        &self,
        instrument: &InstrumentKey,
        kind: StreamKind,
        from: UnixNanos,
        to: UnixNanos,
    ) -> Result<Vec<PartHash>, PgStoreError> {
        let mut client = self.catalog();
        let Some(id) = instrument_id(&mut client, instrument)? else {
            return Ok(Vec::new());
        };
        if from > to {
            return Ok(Vec::new());
        }
        let rows = client
            .query(
                "SELECT p.date, s.key, p.rows, coalesce(s.content_hash, '')
                 FROM parts p JOIN sources s ON s.id = p.source_id
                 WHERE p.instrument_id = $1 AND p.kind = $2 AND p.last_ts_recv >= $3
                       AND p.first_ts_recv <= $4
                 ORDER BY p.date, s.key",
                &[&id, &kind.as_str(), &from.0, &to.0],
            )
            .map_err(|error| PgStoreError::query("listing the parts of a stream", &error))?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let date: String = row.get(0);
                let key: String = row.get(1);
                PartHash {
                    instrument: PartHash::instrument_label(instrument),
                    kind: kind.as_str().to_owned(),
                    path: format!("postgres:{}/{date}/{key}", kind.as_str()),
                    date,
                    size_bytes: count(row.get(2)),
                    content_hash: row.get(3),
                }
            })
            .collect())
    }

    /// Sources sharing at least one file hash with `hashes`, by key.
    fn sources_sharing(&self, hashes: &[&str]) -> Result<Vec<StoredSource>, PgStoreError> {
        let hashes: Vec<String> = hashes.iter().map(|hash| (*hash).to_owned()).collect();
        let rows = self
            .catalog()
            .query(
                "SELECT s.key, s.name, array_agg(f.content_hash ORDER BY f.seq)
                 FROM sources s JOIN source_files f ON f.source_id = s.id
                 WHERE s.id IN (SELECT source_id FROM source_files WHERE content_hash = ANY($1))
                 GROUP BY s.key, s.name ORDER BY s.key",
                &[&hashes],
            )
            .map_err(|error| PgStoreError::query("finding stored sources", &error))?;
        Ok(rows
            .into_iter()
            .map(|row| StoredSource {
                key: row.get(0),
                name: row.get(1),
                file_hashes: row.get(2),
            })
            .collect())
    }
}

/// A count stored as `bigint` (never negative when this crate wrote it).
fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// The id of a stored instrument.
pub(crate) fn instrument_id(
    client: &mut Client,
    key: &InstrumentKey,
) -> Result<Option<i32>, PgStoreError> {
    Ok(client
        .query_opt(
            "SELECT id FROM instruments WHERE venue = $1 AND symbol = $2 AND market = $3",
            &[&key.venue, &key.symbol, &key.market.as_str()],
        )
        .map_err(|error| PgStoreError::query("looking up an instrument", &error))?
        .map(|row| row.get(0)))
}

/// A connection with the store's schema first on the search path (`public` after it, where
/// extensions such as TimescaleDB put their functions).
pub(crate) fn session(location: &PgLocation) -> Result<Client, PgStoreError> {
    let mut client = location.connect()?;
    client
        .batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {SCHEMA}; SET search_path TO {SCHEMA}, public"
        ))
        .map_err(|error| PgStoreError::query("selecting the store's schema", &error))?;
    Ok(client)
}

fn stored_layout(client: &mut impl GenericClient) -> Result<Option<TimeLayout>, PgStoreError> {
    let exists = client
        .query_one("SELECT to_regclass('layout') IS NOT NULL", &[])
        .map_err(|error| PgStoreError::query("reading the layout", &error))?
        .get::<_, bool>(0);
    if !exists {
        return Ok(None);
    }
    let Some(row) = client
        .query_opt("SELECT time_layout, version FROM layout", &[])
        .map_err(|error| PgStoreError::query("reading the layout", &error))?
    else {
        return Ok(None);
    };
    let name: String = row.get(0);
    let version: i32 = row.get(1);
    if version != LAYOUT_VERSION {
        return Err(PgStoreError::Corrupt {
            table: "layout".to_owned(),
            message: format!(
                "layout version {version}, this program reads version {LAYOUT_VERSION}"
            ),
        });
    }
    TimeLayout::parse(&name)
        .map(Some)
        .ok_or_else(|| PgStoreError::Corrupt {
            table: "layout".to_owned(),
            message: format!("unknown time layout {name:?}"),
        })
}

/// Whether the server can load TimescaleDB (installed, and preloaded as it requires).
fn timescale_available(client: &mut impl GenericClient) -> Result<bool, PgStoreError> {
    let row = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'),
                    current_setting('shared_preload_libraries') LIKE '%timescaledb%'",
            &[],
        )
        .map_err(|error| PgStoreError::query("looking for TimescaleDB", &error))?;
    Ok(row.get::<_, bool>(0) && row.get::<_, bool>(1))
}

/// Creates every table in one transaction, under an advisory lock so two processes opening
/// a fresh database do not race.
fn create(client: &mut Client) -> Result<TimeLayout, PgStoreError> {
    let mut transaction = client
        .transaction()
        .map_err(|error| PgStoreError::query("starting the schema creation", &error))?;
    transaction
        .execute("SELECT pg_advisory_xact_lock($1)", &[&CREATE_LOCK])
        .map_err(|error| PgStoreError::query("locking the schema creation", &error))?;
    if let Some(layout) = stored_layout(&mut transaction)? {
        return Ok(layout);
    }
    let layout = if timescale_available(&mut transaction)? {
        TimeLayout::Hypertables
    } else {
        TimeLayout::Partitioned
    };
    let mut ddl = String::new();
    if layout == TimeLayout::Hypertables {
        ddl.push_str(schema::TIMESCALE_PRELUDE);
    }
    ddl.push_str(&schema::create_ddl(layout));
    transaction
        .batch_execute(&ddl)
        .map_err(|error| PgStoreError::query("creating the tables", &error))?;
    transaction
        .execute(
            "INSERT INTO layout (time_layout, version) VALUES ($1, $2)",
            &[&layout.as_str(), &LAYOUT_VERSION],
        )
        .map_err(|error| PgStoreError::query("recording the layout", &error))?;
    transaction
        .commit()
        .map_err(|error| PgStoreError::query("creating the tables", &error))?;
    Ok(layout)
}

impl TickStore for PgStore {
    fn begin_import(&self, source: &str) -> Result<Box<dyn ImportWriter + '_>, DataError> {
        Ok(Box::new(
            self.begin_source_import(SourceInfo::named(source))?,
        ))
    }

    fn partitions(&self, filter: &PartitionFilter) -> Result<Vec<PartitionInfo>, DataError> {
        Ok(self.list_partitions(filter)?)
    }

    fn read_stream(
        &self,
        instrument: &InstrumentKey,
        kind: StreamKind,
        from: UnixNanos,
        to: UnixNanos,
    ) -> Result<StoredEvents<'_>, DataError> {
        let stream = self.stream(instrument, kind, from, to)?;
        Ok(Box::new(stream.map(|item| item.map_err(DataError::from))))
    }
}

impl SourceStore for PgStore {
    fn plan_import(&self, files: &[SourceFile]) -> Result<ImportPlan, StorageError> {
        let hashes: Vec<&str> = files
            .iter()
            .map(|file| file.content_hash.as_str())
            .collect();
        Ok(plan_files(files, &self.sources_sharing(&hashes)?))
    }

    fn begin_source(&self, source: SourceInfo) -> Result<Box<dyn SourceImport + '_>, StorageError> {
        Ok(Box::new(self.begin_source_import(source)?))
    }
}
