//! [`ParquetStore`]: the embedded [`TickStore`] over one data directory (SPEC 1.4).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use auction_trader_data::store::{
    ImportWriter, PartitionFilter, PartitionInfo, StoredEvents, TickStore,
};
use auction_trader_data::{DataError, QuarantinedRow};
use auction_trader_types::{InstrumentKey, StreamKind, UnixNanos};

use crate::StorageError;
use crate::catalog::{Catalog, ImportCommit, PendingMove, SourceRecord, StoredQuarantineRow};
use crate::import_writer::ParquetImport;
use crate::layout;
use crate::merge::MERGE_FAN_IN;
use crate::part_file::ROW_GROUP_ROWS;
use crate::sources::{ImportPlan, SourceFile, SourceInfo, plan_files};
use crate::stream::StoredStream;

/// Memory and file-count bounds of imports. The defaults suit a month of BTC depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreTuning {
    /// Rows per row group (and per partition buffer).
    pub row_group_rows: usize,
    /// Rows buffered across all partitions of an import before the largest buffer is written.
    pub max_buffered_rows: usize,
    /// Part files open at once during an import.
    pub max_open_writers: usize,
    /// Sorted runs merged per pass when an out-of-order source is sorted at commit.
    pub merge_fan_in: usize,
}

impl Default for StoreTuning {
    fn default() -> Self {
        Self {
            row_group_rows: ROW_GROUP_ROWS,
            max_buffered_rows: 4 * ROW_GROUP_ROWS,
            max_open_writers: 16,
            merge_fan_in: MERGE_FAN_IN,
        }
    }
}

/// Parquet tick partitions plus the SQLite catalog in one data directory. Safe to share
/// between threads; the catalog serializes commits (also across processes).
#[derive(Debug)]
pub struct ParquetStore {
    root: PathBuf,
    catalog: Mutex<Catalog>,
    tuning: StoreTuning,
}

impl ParquetStore {
    /// Opens (creating when needed) the store in `data_dir`, finishes any commit a crash
    /// interrupted after its catalog transaction, and removes what abandoned imports left
    /// (see [`ParquetStore::remove_stale_staging`]).
    pub fn open(data_dir: impl AsRef<Path>) -> Result<Self, StorageError> {
        Self::open_with(data_dir, StoreTuning::default())
    }

    /// [`ParquetStore::open`] with explicit import bounds.
    pub fn open_with(
        data_dir: impl AsRef<Path>,
        tuning: StoreTuning,
    ) -> Result<Self, StorageError> {
        if tuning.row_group_rows == 0 || tuning.max_open_writers == 0 || tuning.merge_fan_in < 2 {
            return Err(StorageError::InvalidArgument(format!(
                "invalid tuning {tuning:?}"
            )));
        }
        let root = data_dir.as_ref().to_owned();
        for directory in [layout::RAW_DIR, layout::FEATURES_DIR, layout::STAGING_DIR] {
            let path = root.join(directory);
            std::fs::create_dir_all(&path).map_err(|error| StorageError::io(&path, error))?;
        }
        let catalog = Catalog::open(&root.join(layout::CATALOG_FILE))?;
        let store = Self {
            root,
            catalog: Mutex::new(catalog),
            tuning,
        };
        store.recover()?;
        store.remove_stale_staging()?;
        Ok(store)
    }

    pub fn data_dir(&self) -> &Path {
        &self.root
    }

    pub fn tuning(&self) -> StoreTuning {
        self.tuning
    }

    /// Path of the catalog database.
    pub fn catalog_path(&self) -> PathBuf {
        self.root.join(layout::CATALOG_FILE)
    }

    pub(crate) fn catalog(&self) -> MutexGuard<'_, Catalog> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll
        // back on drop), so a poisoned lock is still usable.
        self.catalog.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts an import recorded with the source's details (size, hash, import time).
    pub fn begin_source_import(
        &self,
        source: SourceInfo,
    ) -> Result<ParquetImport<'_>, StorageError> {
        if source.key.is_empty() {
            return Err(StorageError::InvalidArgument(
                "empty source name".to_owned(),
            ));
        }
        let import_id = self
            .catalog()
            .begin_import(&source.key, std::process::id())?;
        ParquetImport::new(self, source, import_id)
    }

    /// Which of a job's files to import, given the sources already stored (see
    /// [`crate::sources`]): files stored as part of another source are left out.
    pub fn plan_import(&self, files: &[SourceFile]) -> Result<ImportPlan, StorageError> {
        let hashes: Vec<&str> = files
            .iter()
            .map(|file| file.content_hash.as_str())
            .collect();
        let stored = self.catalog().sources_sharing(&hashes)?;
        Ok(plan_files(files, &stored))
    }

    /// Every imported source, by name.
    pub fn sources(&self) -> Result<Vec<SourceRecord>, StorageError> {
        self.catalog().sources()
    }

    /// Quarantined rows of the sources `selector` names (a source key or key prefix, a
    /// source name, a file path), or of every source; at most
    /// [`crate::import_writer::MAX_STORED_QUARANTINE`] are kept per source.
    pub fn quarantine_rows(
        &self,
        selector: Option<&str>,
    ) -> Result<Vec<StoredQuarantineRow>, StorageError> {
        self.catalog().quarantine_rows(selector)
    }

    /// [`ParquetStore::quarantine_rows`] of one selector as [`QuarantinedRow`]s (their
    /// `source` is the file each line belongs to).
    pub fn quarantined(&self, selector: &str) -> Result<Vec<QuarantinedRow>, StorageError> {
        Ok(self
            .quarantine_rows(Some(selector))?
            .into_iter()
            .map(|row| QuarantinedRow {
                source: row.file,
                line: row.line,
                reason: row.reason,
                content: row.content,
            })
            .collect())
    }

    /// Lists partitions (the [`TickStore::partitions`] query with the store's error type).
    pub fn list_partitions(
        &self,
        filter: &PartitionFilter,
    ) -> Result<Vec<PartitionInfo>, StorageError> {
        self.catalog().partitions(filter)
    }

    /// Streams events (the [`TickStore::read_stream`] query with the store's error type).
    pub fn stream(
        &self,
        instrument: &InstrumentKey,
        kind: StreamKind,
        from: UnixNanos,
        to: UnixNanos,
    ) -> Result<StoredStream, StorageError> {
        let parts = if from > to {
            Vec::new()
        } else {
            self.catalog().parts_of(instrument, kind, from, to)?
        };
        let mut days: Vec<Vec<PathBuf>> = Vec::new();
        let mut last_date: Option<String> = None;
        for part in parts {
            let path = self.root.join(&part.path);
            if last_date.as_deref() == Some(part.date.as_str()) {
                if let Some(day) = days.last_mut() {
                    day.push(path);
                }
            } else {
                days.push(vec![path]);
                last_date = Some(part.date);
            }
        }
        Ok(StoredStream::new(kind, days, from.0, to.0))
    }

    /// Removes what imports that will never finish left behind: the staging folders and
    /// catalog records of aborted imports and of imports whose process is gone (killed or
    /// crashed), plus staging folders no import claims. Imports running in another process
    /// (or in this one) and commits awaiting their roll-forward are kept. Returns the number
    /// of folders removed. Runs on every [`ParquetStore::open`].
    pub fn remove_stale_staging(&self) -> Result<u32, StorageError> {
        let staging = self.root.join(layout::STAGING_DIR);
        let own_pid = std::process::id();
        let (abandoned, known) = {
            let catalog = self.catalog();
            (
                catalog.abandoned_imports(|pid| pid == own_pid || process_is_alive(pid))?,
                catalog.import_ids()?,
            )
        };
        let mut removed = 0;
        let entries =
            std::fs::read_dir(&staging).map_err(|error| StorageError::io(&staging, error))?;
        for entry in entries {
            let entry = entry.map_err(|error| StorageError::io(&staging, error))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let id = name
                .strip_prefix("import-")
                .and_then(|id| id.parse::<i64>().ok());
            let stale = match id {
                Some(id) => abandoned.contains(&id) || !known.contains(&id),
                None => false,
            };
            if !stale {
                continue;
            }
            let path = entry.path();
            match std::fs::remove_dir_all(&path) {
                Ok(()) => removed += 1,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(StorageError::io(&path, error)),
            }
        }
        self.catalog().forget_imports(&abandoned)?;
        Ok(removed)
    }

    /// Phase one of a commit: the catalog transaction. Returns the file moves to perform.
    pub(crate) fn record_commit(
        &self,
        commit: &ImportCommit<'_>,
    ) -> Result<Vec<PendingMove>, StorageError> {
        // Directories first: creating them is harmless when the commit fails.
        for part in commit.parts {
            if let Some(parent) = self.root.join(&part.path).parent() {
                std::fs::create_dir_all(parent).map_err(|error| StorageError::io(parent, error))?;
            }
        }
        self.catalog().commit_import(commit)
    }

    /// Phase two: performs the journaled moves, then clears the journal. Idempotent, so the
    /// recovery of an interrupted commit runs the same code.
    pub(crate) fn apply_moves(
        &self,
        import_id: i64,
        moves: &[PendingMove],
    ) -> Result<(), StorageError> {
        for operation in moves {
            match operation {
                PendingMove::Rename { from, to } => {
                    let (from, to) = (self.root.join(from), self.root.join(to));
                    if let Some(parent) = to.parent() {
                        std::fs::create_dir_all(parent)
                            .map_err(|error| StorageError::io(parent, error))?;
                    }
                    match std::fs::rename(&from, &to) {
                        Ok(()) => {}
                        // Already moved by an earlier, interrupted run of these moves.
                        Err(error)
                            if error.kind() == std::io::ErrorKind::NotFound && to.exists() => {}
                        Err(error) => return Err(StorageError::io(&from, error)),
                    }
                }
                PendingMove::Delete { path } => {
                    let path = self.root.join(path);
                    match std::fs::remove_file(&path) {
                        Ok(()) => {
                            // Drop the partition directory when this was its last file.
                            if let Some(parent) = path.parent() {
                                let _ = std::fs::remove_dir(parent);
                            }
                        }
                        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                        Err(error) => return Err(StorageError::io(&path, error)),
                    }
                }
            }
        }
        self.catalog().finish_commit(import_id)?;
        let staging = self
            .root
            .join(layout::STAGING_DIR)
            .join(format!("import-{import_id}"));
        let _ = std::fs::remove_dir_all(staging);
        Ok(())
    }

    pub(crate) fn mark_aborted(&self, import_id: i64) {
        // Bookkeeping only: an aborted import has nothing in the catalog to undo.
        let _ = self.catalog().mark_aborted(import_id);
    }

    fn recover(&self) -> Result<(), StorageError> {
        let pending = self.catalog().pending_moves()?;
        for (import_id, moves) in pending {
            self.apply_moves(import_id, &moves)?;
        }
        Ok(())
    }
}

/// Whether process `pid` is running. Linux answers from `/proc`; elsewhere every process
/// counts as running, so nothing of a possibly live import is ever removed.
fn process_is_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

impl TickStore for ParquetStore {
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
        Ok(Box::new(stream.map(|event| event.map_err(DataError::from))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_can_be_shared_between_threads() {
        fn assert_shareable<T: Send + Sync>() {}
        assert_shareable::<ParquetStore>();
    }

    #[test]
    fn abandoned_staging_folders_and_their_records_are_removed_on_open() {
        let directory = tempfile::tempdir().unwrap();
        let staging = |id: i64| directory.path().join(format!("staging/import-{id}"));
        let (killed, running, aborted) = {
            let store = ParquetStore::open(directory.path()).unwrap();
            let mut catalog = store.catalog();
            // No process has this id (Linux pids stay below 2^22).
            let killed = catalog.begin_import("killed", u32::MAX - 1).unwrap();
            let running = catalog.begin_import("running", std::process::id()).unwrap();
            let aborted = catalog.begin_import("aborted", std::process::id()).unwrap();
            catalog.mark_aborted(aborted).unwrap();
            (killed, running, aborted)
        };
        for id in [killed, running, aborted, 999] {
            std::fs::create_dir_all(staging(id)).unwrap();
            std::fs::write(staging(id).join("part.parquet"), b"x").unwrap();
        }
        let store = ParquetStore::open(directory.path()).unwrap();
        if cfg!(target_os = "linux") {
            assert!(!staging(killed).exists());
            assert_eq!(store.catalog().import_ids().unwrap(), vec![running]);
        }
        assert!(staging(running).exists(), "a live import is kept");
        assert!(!staging(aborted).exists());
        assert!(!staging(999).exists(), "a folder no import claims");
    }

    #[test]
    fn invalid_tuning_is_rejected() {
        let directory = tempfile::tempdir().unwrap();
        let tuning = StoreTuning {
            merge_fan_in: 1,
            ..StoreTuning::default()
        };
        assert!(ParquetStore::open_with(directory.path(), tuning).is_err());
        assert!(
            ParquetStore::open(directory.path())
                .unwrap()
                .begin_source_import(SourceInfo::named(""))
                .is_err()
        );
    }
}
