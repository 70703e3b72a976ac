//! [`StoreBackend`]: the store a command works on, from its `--store` value (a
//! `postgres://` URL) or the data directory (the embedded default). Both sides implement
//! the same traits, so callers write one code path.

use std::path::Path;

use auction_trader_data::DataError;
use auction_trader_data::import::format::ImportOptions;
use auction_trader_data::store::{
    ImportWriter, PartitionFilter, PartitionInfo, StoredEvents, TickStore,
};
use auction_trader_storage::part_hashes::PartHash;
use auction_trader_storage::run_db::read_run_tables;
use auction_trader_storage::{
    GridDb, GridStore, ImportJob, ImportPlan, JobOutcome, ParquetStore, SourceFile, SourceImport,
    SourceInfo, SourceRecord, SourceStore, StorageError, import_job,
};
use auction_trader_types::{InstrumentKey, StreamKind, UnixNanos};

use crate::{PgGridStore, PgStore, RunEntry, is_postgres_url};

/// The embedded store or the PostgreSQL one.
#[derive(Debug)]
pub enum StoreBackend {
    Embedded(ParquetStore),
    /// Boxed: the PostgreSQL client is several times larger than the embedded store.
    Postgres(Box<PgStore>),
}

impl StoreBackend {
    /// `store`: a `postgres://` URL, or a directory (the same as `data_dir`); `None` opens
    /// `data_dir` (created when missing).
    pub fn open(data_dir: &Path, store: Option<&str>) -> Result<Self, StorageError> {
        match store {
            Some(url) if is_postgres_url(url) => {
                Ok(Self::Postgres(Box::new(PgStore::open_url(url)?)))
            }
            Some(directory) => Ok(Self::Embedded(ParquetStore::open(directory)?)),
            None => Ok(Self::Embedded(ParquetStore::open(data_dir)?)),
        }
    }

    /// Where the data is, for messages (a URL without its password, or a directory).
    pub fn describe(&self) -> String {
        match self {
            Self::Embedded(store) => format!("data directory: {}", store.data_dir().display()),
            Self::Postgres(store) => format!(
                "PostgreSQL store: {} ({} layout)",
                store.location(),
                store.layout().as_str()
            ),
        }
    }

    /// Every imported source, by name then key.
    pub fn sources(&self) -> Result<Vec<SourceRecord>, StorageError> {
        match self {
            Self::Embedded(store) => store.sources(),
            Self::Postgres(store) => Ok(store.sources()?),
        }
    }

    /// Stored partitions, sorted by instrument, kind and date.
    pub fn list_partitions(
        &self,
        filter: &PartitionFilter,
    ) -> Result<Vec<PartitionInfo>, StorageError> {
        match self {
            Self::Embedded(store) => store.list_partitions(filter),
            Self::Postgres(store) => Ok(store.list_partitions(filter)?),
        }
    }
}

impl StoreBackend {
    /// The stored inputs a replay of `instrument`'s `kind` over `[from, to]` reads, hashed
    /// (a run manifest's inputs: part files of the embedded store, day × source slices of
    /// PostgreSQL).
    pub fn part_hashes(
        &self,
        instrument: &InstrumentKey,
        kind: StreamKind,
        from: UnixNanos,
        to: UnixNanos,
    ) -> Result<Vec<PartHash>, StorageError> {
        match self {
            Self::Embedded(store) => store.part_hashes(instrument, kind, from, to),
            Self::Postgres(store) => Ok(store.part_hashes(instrument, kind, from, to)?),
        }
    }

    /// Imports one job atomically, validating on the way (the same flow on both stores).
    pub fn import_job(
        &self,
        job: &ImportJob,
        options: &ImportOptions,
    ) -> Result<JobOutcome, StorageError> {
        import_job(self, job, options)
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }

    /// Records a finished run written to `run_dir` in the store. The embedded store's runs
    /// are their run directories, so only PostgreSQL copies anything: every table of the
    /// run's `execution.db` and `signals.db` (see [`crate::runs`]).
    pub fn record_run(&self, entry: &RunEntry, run_dir: &Path) -> Result<(), StorageError> {
        let Self::Postgres(store) = self else {
            return Ok(());
        };
        let mut tables = Vec::new();
        for database in ["execution.db", "signals.db"] {
            let path = run_dir.join(database);
            if path.is_file() {
                tables.extend(read_run_tables(&path)?);
            }
        }
        Ok(store.record_run(entry, &tables)?)
    }
}

impl TickStore for StoreBackend {
    fn begin_import(&self, source: &str) -> Result<Box<dyn ImportWriter + '_>, DataError> {
        match self {
            Self::Embedded(store) => store.begin_import(source),
            Self::Postgres(store) => store.begin_import(source),
        }
    }

    fn partitions(&self, filter: &PartitionFilter) -> Result<Vec<PartitionInfo>, DataError> {
        match self {
            Self::Embedded(store) => store.partitions(filter),
            Self::Postgres(store) => store.partitions(filter),
        }
    }

    fn read_stream(
        &self,
        instrument: &InstrumentKey,
        kind: StreamKind,
        from: UnixNanos,
        to: UnixNanos,
    ) -> Result<StoredEvents<'_>, DataError> {
        match self {
            Self::Embedded(store) => store.read_stream(instrument, kind, from, to),
            Self::Postgres(store) => store.read_stream(instrument, kind, from, to),
        }
    }
}

impl SourceStore for StoreBackend {
    fn plan_import(&self, files: &[SourceFile]) -> Result<ImportPlan, StorageError> {
        match self {
            Self::Embedded(store) => SourceStore::plan_import(store, files),
            Self::Postgres(store) => SourceStore::plan_import(store.as_ref(), files),
        }
    }

    fn begin_source(&self, source: SourceInfo) -> Result<Box<dyn SourceImport + '_>, StorageError> {
        match self {
            Self::Embedded(store) => store.begin_source(source),
            Self::Postgres(store) => store.as_ref().begin_source(source),
        }
    }
}

/// The grid results at `location`: a `postgres://` URL (tables in that database), or the
/// path of a `grid.db` (created when missing).
pub fn open_grid_store(location: &str) -> Result<Box<dyn GridStore + Send>, StorageError> {
    if is_postgres_url(location) {
        Ok(Box::new(PgGridStore::open_url(location)?))
    } else {
        Ok(Box::new(GridDb::open(Path::new(location))?))
    }
}
