//! The storage trait (SPEC 1.4). Callers (CLI, replay, engine) use only this trait; the
//! embedded Parquet + SQLite backend and a later PostgreSQL backend implement it.

use auction_trader_types::{InstrumentKey, MarketEvent, StreamKind, UnixNanos};
use serde::Serialize;

use crate::{DataError, EventSink, ImportSummary};

/// Which stored partitions a query covers. `None` fields match everything.
#[derive(Debug, Clone, Default)]
pub struct PartitionFilter {
    pub venue: Option<String>,
    pub symbol: Option<String>,
    pub kind: Option<StreamKind>,
    /// Inclusive range on `ts_recv`.
    pub from: Option<UnixNanos>,
    pub to: Option<UnixNanos>,
}

/// One stored partition (venue/symbol/kind/date) as listed by the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionInfo {
    pub instrument: InstrumentKey,
    pub kind: StreamKind,
    /// UTC date `YYYY-MM-DD` of the rows' `ts_recv`.
    pub date: String,
    pub rows: u64,
    pub first_ts_recv: UnixNanos,
    pub last_ts_recv: UnixNanos,
    /// Number of files (one per import source) in the partition.
    pub files: u32,
}

/// Result of a committed import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub summary: ImportSummary,
    pub partitions_written: u32,
    pub rows_written: u64,
}

/// Receives one import's events and makes them visible atomically on [`commit`]: a failed or
/// aborted import never leaves a half-written partition (SPEC 1.3).
///
/// [`commit`]: ImportWriter::commit
pub trait ImportWriter: EventSink {
    fn commit(self: Box<Self>, summary: ImportSummary) -> Result<ImportReport, DataError>;
    fn abort(self: Box<Self>);
}

/// A time-ordered stream of one instrument and kind read from storage, bounded in memory
/// (one partition file at a time).
pub type StoredEvents<'a> = Box<dyn Iterator<Item = Result<MarketEvent, DataError>> + 'a>;

/// The storage API (SPEC 1.4: one trait with both backends behind it).
pub trait TickStore {
    /// Starts an import recorded under the key `source` (a stream name or URL). Importing
    /// the same key again replaces what it wrote before. File imports are keyed by content
    /// instead (the embedded store's `begin_source_import`), so two different files with one
    /// name never replace each other.
    fn begin_import(&self, source: &str) -> Result<Box<dyn ImportWriter + '_>, DataError>;

    /// Lists stored partitions, sorted by instrument, kind and date.
    fn partitions(&self, filter: &PartitionFilter) -> Result<Vec<PartitionInfo>, DataError>;

    /// Streams one instrument's events of one kind with `from <= ts_recv <= to`, in
    /// `ts_recv` order (ties in stored order).
    fn read_stream(
        &self,
        instrument: &InstrumentKey,
        kind: StreamKind,
        from: UnixNanos,
        to: UnixNanos,
    ) -> Result<StoredEvents<'_>, DataError>;
}
