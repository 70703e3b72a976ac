//! [`StoreBackend`]: the store a command works on, from its `--store` value (a
//! `postgres://` URL) or the data directory (the embedded default). Both sides implement
//! the same traits, so callers write one code path.

use std::path::Path;

use auction_trader_data::DataError;
use auction_trader_data::store::{
    ImportWriter, PartitionFilter, PartitionInfo, StoredEvents, TickStore,
};
use auction_trader_storage::{
    ImportPlan, ParquetStore, SourceFile, SourceImport, SourceInfo, SourceRecord, SourceStore,
    StorageError,
};
use auction_trader_types::{InstrumentKey, StreamKind, UnixNanos};

use crate::{PgStore, is_postgres_url};

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
