//! The import writer: an [`EventSink`] that routes events by (instrument, kind, UTC date of
//! `ts_recv`) into per-partition buffers, writes them as row groups into files under the
//! import's staging directory, and on [`ImportWriter::commit`] makes every partition visible
//! at once (SPEC 1.3: a failed import never half-writes a partition).
//!
//! Memory stays bounded ([`StoreTuning`]): a partition buffer is written as a row group at
//! `row_group_rows` rows, the largest buffer is written early when all buffers together
//! exceed `max_buffered_rows`, and at most `max_open_writers` files are open (the least
//! recently written one is closed as a segment; the partition continues in a new segment).
//! At commit each partition's segments become one file sorted by `ts_recv` (renamed as is
//! when the source was already in order, else merged from its sorted row groups).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use auction_trader_data::store::{ImportReport, ImportWriter};
use auction_trader_data::{DataError, EventSink, ImportSummary, InstrumentSlot, QuarantinedRow};
use auction_trader_types::{InstrumentKey, MarketEvent, StreamKind};

use crate::StorageError;
use crate::catalog::{ImportCommit, NewPart, PendingMove};
use crate::columns::EventColumns;
use crate::layout::{self, PartitionKey};
use crate::merge::{RunSource, merge_into};
use crate::part_file::{PartSummary, PartWriter};
use crate::schema::METADATA_PREFIX;
use crate::sources::SourceInfo;
use crate::store::{ParquetStore, StoreTuning};

/// Quarantined rows and warnings kept in the catalog per source (the counts are complete).
pub const MAX_STORED_QUARANTINE: usize = 10_000;
pub const MAX_STORED_WARNINGS: usize = 1_000;

/// Route of an event: instrument slot, kind, day number.
type Route = (u32, StreamKind, i64);

#[derive(Debug)]
struct PartitionStage {
    key: PartitionKey,
    chunk: EventColumns,
    writer: Option<PartWriter>,
    segments: Vec<PartSummary>,
    last_write: u64,
}

/// One import in progress; created by [`ParquetStore::begin_source_import`].
#[derive(Debug)]
pub struct ParquetImport<'a> {
    store: &'a ParquetStore,
    tuning: StoreTuning,
    source: SourceInfo,
    import_id: i64,
    /// Relative to the data directory.
    staging: PathBuf,
    instruments: Vec<InstrumentKey>,
    stages: Vec<PartitionStage>,
    routes: BTreeMap<Route, usize>,
    last_route: Option<(Route, usize)>,
    buffered_rows: usize,
    open_writers: usize,
    writes: u64,
    files_created: u32,
    error: Option<StorageError>,
    quarantined: Vec<QuarantinedRow>,
    warnings: Vec<String>,
    finished: bool,
}

impl<'a> ParquetImport<'a> {
    pub(crate) fn new(
        store: &'a ParquetStore,
        source: SourceInfo,
        import_id: i64,
    ) -> Result<Self, StorageError> {
        let staging = Path::new(layout::STAGING_DIR).join(format!("import-{import_id}"));
        let absolute = store.data_dir().join(&staging);
        std::fs::create_dir_all(&absolute).map_err(|error| StorageError::io(&absolute, error))?;
        Ok(Self {
            store,
            tuning: store.tuning(),
            source,
            import_id,
            staging,
            instruments: Vec::new(),
            stages: Vec::new(),
            routes: BTreeMap::new(),
            last_route: None,
            buffered_rows: 0,
            open_writers: 0,
            writes: 0,
            files_created: 0,
            error: None,
            quarantined: Vec::new(),
            warnings: Vec::new(),
            finished: false,
        })
    }

    /// The source this import records.
    pub fn source(&self) -> &SourceInfo {
        &self.source
    }

    /// The first failure while events were pushed, if any (the commit will then fail).
    pub fn failure(&self) -> Option<&StorageError> {
        self.error.as_ref()
    }

    /// A new file name under the staging directory, relative to the data directory.
    fn staged_file(&mut self, stem: &str) -> PathBuf {
        self.files_created += 1;
        self.staging
            .join(format!("{stem}-{}.parquet", self.files_created))
    }

    fn route(&mut self, route: Route) -> Result<usize, StorageError> {
        if let Some(&index) = self.routes.get(&route) {
            return Ok(index);
        }
        let instrument = self
            .instruments
            .get(route.0 as usize)
            .cloned()
            .ok_or_else(|| {
                StorageError::InvalidArgument(format!(
                    "event for unregistered instrument slot {}",
                    route.0
                ))
            })?;
        let index = self.stages.len();
        self.stages.push(PartitionStage {
            key: PartitionKey {
                instrument,
                kind: route.1,
                day: route.2,
            },
            chunk: EventColumns::new(route.1),
            writer: None,
            segments: Vec::new(),
            last_write: 0,
        });
        self.routes.insert(route, index);
        Ok(index)
    }

    fn part_metadata(&self, key: &PartitionKey) -> Vec<(String, String)> {
        let entry = |name: &str, value: String| (format!("{METADATA_PREFIX}{name}"), value);
        vec![
            entry("venue", key.instrument.venue.clone()),
            entry("symbol", key.instrument.symbol.clone()),
            entry("market", key.instrument.market.as_str().to_owned()),
            entry("date", key.date()),
            entry("source", self.source.name.clone()),
        ]
    }

    /// Writes the buffer of partition `index` as one row group.
    fn write_stage(&mut self, index: usize) -> Result<(), StorageError> {
        if self.stages[index].chunk.is_empty() {
            return Ok(());
        }
        if self.stages[index].writer.is_none() {
            if self.open_writers >= self.tuning.max_open_writers.max(1) {
                self.close_least_recent()?;
            }
            let relative = self.staged_file("segment");
            let path = self.store.data_dir().join(relative);
            let metadata = self.part_metadata(&self.stages[index].key);
            let writer = PartWriter::create(
                &path,
                self.stages[index].key.kind,
                metadata,
                self.tuning.row_group_rows,
            )?;
            self.stages[index].writer = Some(writer);
            self.open_writers += 1;
        }
        self.writes += 1;
        let stage = &mut self.stages[index];
        stage.last_write = self.writes;
        let rows = stage.chunk.len();
        if let Some(writer) = &mut stage.writer {
            writer.write_chunk(&mut stage.chunk)?;
        }
        self.buffered_rows -= rows;
        Ok(())
    }

    fn close_least_recent(&mut self) -> Result<(), StorageError> {
        let oldest = self
            .stages
            .iter()
            .enumerate()
            .filter(|(_, stage)| stage.writer.is_some())
            .min_by_key(|(_, stage)| stage.last_write)
            .map(|(index, _)| index);
        if let Some(index) = oldest {
            self.close_stage(index)?;
        }
        Ok(())
    }

    fn close_stage(&mut self, index: usize) -> Result<(), StorageError> {
        if let Some(writer) = self.stages[index].writer.take() {
            self.open_writers -= 1;
            let summary = writer.finish()?;
            self.stages[index].segments.push(summary);
        }
        Ok(())
    }

    fn write_largest(&mut self) -> Result<(), StorageError> {
        let largest = self
            .stages
            .iter()
            .enumerate()
            .max_by_key(|(index, stage)| (stage.chunk.len(), std::cmp::Reverse(*index)))
            .map(|(index, _)| index);
        match largest {
            Some(index) => self.write_stage(index),
            None => Ok(()),
        }
    }

    fn push(&mut self, slot: InstrumentSlot, event: &MarketEvent) -> Result<(), StorageError> {
        let route = (slot.0, event.kind(), event.ts_recv().days_since_epoch());
        let index = match self.last_route {
            Some((last, index)) if last == route => index,
            _ => {
                let index = self.route(route)?;
                self.last_route = Some((route, index));
                index
            }
        };
        self.stages[index].chunk.push(event);
        self.buffered_rows += 1;
        if self.stages[index].chunk.len() >= self.tuning.row_group_rows {
            self.write_stage(index)?;
        } else if self.buffered_rows > self.tuning.max_buffered_rows {
            self.write_largest()?;
        }
        Ok(())
    }

    /// Turns the segments of one partition into its single sorted staged file.
    fn finalize_stage(&mut self, index: usize) -> Result<Option<NewPart>, StorageError> {
        self.write_stage(index)?;
        self.close_stage(index)?;
        let segments = std::mem::take(&mut self.stages[index].segments);
        let key = self.stages[index].key.clone();
        let summary = match segments.as_slice() {
            [] => return Ok(None),
            [only] if only.is_sorted() => only.clone(),
            _ => {
                let runs: Vec<RunSource> = segments
                    .iter()
                    .flat_map(|segment| {
                        segment.runs.iter().map(|run| RunSource {
                            path: segment.path.clone(),
                            row_groups: Some(run.clone()),
                        })
                    })
                    .collect();
                let relative = self.staged_file("final");
                let path = self.store.data_dir().join(relative);
                let row_group_rows = self.tuning.row_group_rows;
                let metadata = self.part_metadata(&key);
                let mut writer = PartWriter::create(&path, key.kind, metadata, row_group_rows)?;
                let data_dir = self.store.data_dir().to_owned();
                let staging = self.staging.clone();
                let mut scratch_count = self.files_created;
                let mut scratch = || {
                    scratch_count += 1;
                    data_dir
                        .join(&staging)
                        .join(format!("merge-{scratch_count}.parquet"))
                };
                let fan_in = self.tuning.merge_fan_in;
                merge_into(
                    key.kind,
                    runs,
                    &mut writer,
                    &mut scratch,
                    fan_in,
                    row_group_rows,
                )?;
                self.files_created = scratch_count;
                let merged = writer.finish()?;
                for segment in &segments {
                    std::fs::remove_file(&segment.path)
                        .map_err(|error| StorageError::io(&segment.path, error))?;
                }
                merged
            }
        };
        let staged = summary
            .path
            .strip_prefix(self.store.data_dir())
            .map_err(|_| {
                StorageError::corrupt(&summary.path, "staged file outside the data directory")
            })?;
        let path = key
            .relative_dir()
            .join(layout::part_file_name(&self.source.key));
        Ok(Some(NewPart {
            key,
            path: path_string(&path),
            staged_path: path_string(staged),
            rows: summary.rows,
            first_ts_recv: summary.min_ts_recv,
            last_ts_recv: summary.max_ts_recv,
            bytes: summary.bytes,
        }))
    }

    /// Finalizes every partition and records the commit in the catalog (phase one); returns
    /// the parts and the file moves still to perform.
    fn record(
        &mut self,
        summary: &ImportSummary,
    ) -> Result<(Vec<NewPart>, Vec<PendingMove>), StorageError> {
        if let Some(error) = self.error.take() {
            return Err(StorageError::ImportFailed {
                source_name: self.source.name.clone(),
                message: error.to_string(),
            });
        }
        // Deterministic order: partitions sorted by key.
        let mut order: Vec<usize> = (0..self.stages.len()).collect();
        order.sort_by(|&left, &right| self.stages[left].key.cmp(&self.stages[right].key));
        let mut parts = Vec::with_capacity(order.len());
        for index in order {
            if let Some(part) = self.finalize_stage(index)? {
                parts.push(part);
            }
        }
        let commit = ImportCommit {
            import_id: self.import_id,
            source: &self.source,
            summary,
            parts: &parts,
            quarantined: &self.quarantined,
            warnings: &self.warnings,
        };
        let moves = self.store.record_commit(&commit)?;
        // Past this point the import is committed: a failure while moving files leaves the
        // staging directory for the roll-forward on the next `ParquetStore::open`.
        self.finished = true;
        Ok((parts, moves))
    }

    fn commit_inner(&mut self, summary: &ImportSummary) -> Result<ImportReport, StorageError> {
        let (parts, moves) = self.record(summary)?;
        self.store.apply_moves(self.import_id, &moves)?;
        Ok(ImportReport {
            summary: summary.clone(),
            partitions_written: parts.len() as u32,
            rows_written: parts.iter().map(|part| part.rows).sum(),
        })
    }

    /// Commits with the store's own error type.
    pub fn commit_import(mut self, summary: ImportSummary) -> Result<ImportReport, StorageError> {
        let result = self.commit_inner(&summary);
        if result.is_err() {
            self.discard();
        }
        result
    }

    /// Drops everything staged; nothing of this import becomes visible.
    pub fn discard(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        for stage in &mut self.stages {
            // Close files before removing them (the directory goes as a whole below).
            drop(stage.writer.take());
        }
        self.remove_staging();
        self.store.mark_aborted(self.import_id);
    }

    fn remove_staging(&self) {
        let path = self.store.data_dir().join(&self.staging);
        // Best effort: leftovers are never read and `ParquetStore::remove_stale_staging`
        // cleans them.
        let _ = std::fs::remove_dir_all(path);
    }
}

fn path_string(path: &Path) -> String {
    path.components()
        .map(|component| component.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

impl EventSink for ParquetImport<'_> {
    fn instrument(&mut self, key: &InstrumentKey) -> InstrumentSlot {
        if let Some(index) = self.instruments.iter().position(|known| known == key) {
            return InstrumentSlot(index as u32);
        }
        self.instruments.push(key.clone());
        InstrumentSlot((self.instruments.len() - 1) as u32)
    }

    #[inline]
    fn event(&mut self, instrument: InstrumentSlot, event: MarketEvent) {
        if self.error.is_some() {
            return;
        }
        if let Err(error) = self.push(instrument, &event) {
            self.error = Some(error);
        }
    }

    fn quarantine(&mut self, row: QuarantinedRow) {
        if self.quarantined.len() < MAX_STORED_QUARANTINE {
            self.quarantined.push(row);
        }
    }

    fn warn(&mut self, message: String) {
        if self.warnings.len() < MAX_STORED_WARNINGS {
            self.warnings.push(message);
        }
    }
}

impl ImportWriter for ParquetImport<'_> {
    fn commit(self: Box<Self>, summary: ImportSummary) -> Result<ImportReport, DataError> {
        self.commit_import(summary).map_err(DataError::from)
    }

    fn abort(mut self: Box<Self>) {
        self.discard();
    }
}

impl Drop for ParquetImport<'_> {
    fn drop(&mut self) {
        self.discard();
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_data::store::TickStore;
    use auction_trader_types::{
        AggressorSide, MarketKind, Price, Quantity, Trade, TradeId, UnixNanos,
    };

    use super::*;

    fn trade(ts_recv: i64) -> MarketEvent {
        MarketEvent::Trade(Trade {
            ts_event: UnixNanos(ts_recv),
            ts_recv: UnixNanos(ts_recv),
            price: Price(1_000_000_000),
            size: Quantity(1),
            aggressor: AggressorSide::Buy,
            trade_id: TradeId(ts_recv as u64),
        })
    }

    #[test]
    fn a_crash_between_catalog_commit_and_renames_is_rolled_forward() {
        let directory = tempfile::tempdir().unwrap();
        let key = InstrumentKey::new("binance-usdm", "BTCUSDT", MarketKind::Perpetual);
        {
            let store = ParquetStore::open(directory.path()).unwrap();
            let mut import = store
                .begin_source_import(SourceInfo::named("capture-1"))
                .unwrap();
            let slot = import.instrument(&key);
            for ts in [3, 1, 2] {
                import.event(slot, trade(ts));
            }
            // Phase one only, then "crash": the moves are journaled but not performed.
            let (_, moves) = import.record(&ImportSummary::default()).unwrap();
            assert_eq!(moves.len(), 1);
            drop(import);
            assert!(directory.path().join("staging/import-1").exists());
        }
        let store = ParquetStore::open(directory.path()).unwrap();
        assert!(!directory.path().join("staging/import-1").exists());
        let events: Vec<MarketEvent> = store
            .read_stream(&key, StreamKind::Trade, UnixNanos(0), UnixNanos::MAX)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(events, vec![trade(1), trade(2), trade(3)]);
        assert!(store.catalog().pending_moves().unwrap().is_empty());
    }
}
