//! One Parquet tick file: [`PartWriter`] writes sorted row groups and remembers which
//! consecutive row groups form one sorted run; [`RunReader`] streams the events of a run
//! (a whole file, or some of its row groups) one batch at a time.

use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};

use auction_trader_types::{MarketEvent, StreamKind};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::basic::{Compression, Encoding};
use parquet::file::metadata::{KeyValue, RowGroupMetaData, SortingColumn};
use parquet::file::properties::WriterProperties;
use parquet::file::statistics::Statistics;
use parquet::schema::types::ColumnPath;

use crate::StorageError;
use crate::columns::{EventColumns, decode_batch};
use crate::schema::{self, ColumnClass};

/// Default rows per row group (SPEC 1.4 bounded memory: a month of ticks is never held at
/// once; 64k-256k rows keeps row groups large enough for fast scans). One row group of depth
/// rows is about 10 MB in memory.
pub const ROW_GROUP_ROWS: usize = 131_072;
/// Rows decoded per read batch.
const READ_BATCH_ROWS: usize = 8_192;

fn writer_properties(
    kind: StreamKind,
    metadata: Vec<(String, String)>,
    row_group_rows: usize,
) -> WriterProperties {
    let mut builder = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(row_group_rows.max(1)))
        .set_created_by(format!(
            "auction-trader-storage {}",
            env!("CARGO_PKG_VERSION")
        ))
        .set_sorting_columns(Some(vec![SortingColumn {
            column_idx: schema::ts_recv_column(kind) as i32,
            descending: false,
            nulls_first: false,
        }]))
        .set_key_value_metadata(Some(
            metadata
                .into_iter()
                .map(|(key, value)| KeyValue::new(key, value))
                .collect(),
        ));
    // Timestamps are nearly monotonic: delta encoding beats a dictionary by far.
    for spec in schema::columns(kind) {
        if spec.class == ColumnClass::Timestamp {
            let path = ColumnPath::from(spec.name);
            builder = builder
                .set_column_dictionary_enabled(path.clone(), false)
                .set_column_encoding(path, Encoding::DELTA_BINARY_PACKED);
        }
    }
    builder.build()
}

/// What a finished file holds.
#[derive(Debug, Clone)]
pub(crate) struct PartSummary {
    pub path: PathBuf,
    pub rows: u64,
    pub min_ts_recv: i64,
    pub max_ts_recv: i64,
    /// Consecutive row-group ranges, each sorted by `ts_recv` as a whole.
    pub runs: Vec<Range<usize>>,
    pub bytes: u64,
}

impl PartSummary {
    pub(crate) fn is_sorted(&self) -> bool {
        self.runs.len() <= 1
    }
}

/// Writes one tick file, one row group per [`PartWriter::write_chunk`].
pub(crate) struct PartWriter {
    path: PathBuf,
    kind: StreamKind,
    writer: ArrowWriter<File>,
    rows: u64,
    min_ts_recv: i64,
    max_ts_recv: i64,
    runs: Vec<Range<usize>>,
}

impl std::fmt::Debug for PartWriter {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PartWriter")
            .field("path", &self.path)
            .field("rows", &self.rows)
            .finish()
    }
}

impl PartWriter {
    /// Creates `path` with the kind's schema; `metadata` is added to the file's key-value
    /// metadata after the encoding description. Chunks must not exceed `row_group_rows`.
    pub(crate) fn create(
        path: &Path,
        kind: StreamKind,
        metadata: Vec<(String, String)>,
        row_group_rows: usize,
    ) -> Result<Self, StorageError> {
        let file = File::create(path).map_err(|error| StorageError::io(path, error))?;
        let mut entries = schema::file_metadata(kind);
        entries.extend(metadata);
        let writer = ArrowWriter::try_new(
            file,
            schema::arrow_schema(kind),
            Some(writer_properties(kind, entries, row_group_rows)),
        )
        .map_err(|error| StorageError::parquet(path, error))?;
        Ok(Self {
            path: path.to_owned(),
            kind,
            writer,
            rows: 0,
            min_ts_recv: i64::MAX,
            max_ts_recv: i64::MIN,
            runs: Vec::new(),
        })
    }

    /// Sorts `chunk` by `ts_recv` (stable) and writes it as one row group; empties `chunk`.
    pub(crate) fn write_chunk(&mut self, chunk: &mut EventColumns) -> Result<(), StorageError> {
        if chunk.is_empty() {
            return Ok(());
        }
        debug_assert_eq!(chunk.kind(), self.kind);
        chunk.sort_by_ts_recv();
        let stamps = chunk.ts_recv();
        // Timestamps come from `UnixNanos` (i64), so the casts are exact.
        let (first, last) = (stamps[0] as i64, stamps[stamps.len() - 1] as i64);
        let continues_run = first >= self.max_ts_recv;
        self.rows += stamps.len() as u64;
        self.min_ts_recv = self.min_ts_recv.min(first);
        self.max_ts_recv = self.max_ts_recv.max(last);
        let batch = chunk
            .take_batch()
            .map_err(|error| StorageError::arrow(&self.path, error))?;
        let groups_before = self.writer.flushed_row_groups().len();
        self.writer
            .write(&batch)
            .and_then(|()| self.writer.flush())
            .map_err(|error| StorageError::parquet(&self.path, error))?;
        let groups_after = self.writer.flushed_row_groups().len();
        match self.runs.last_mut() {
            Some(run) if continues_run => run.end = groups_after,
            _ => self.runs.push(groups_before..groups_after),
        }
        Ok(())
    }

    /// Closes the file (footer written, data synced to disk).
    pub(crate) fn finish(mut self) -> Result<PartSummary, StorageError> {
        self.writer
            .finish()
            .map_err(|error| StorageError::parquet(&self.path, error))?;
        let file = self.writer.inner();
        file.sync_all()
            .map_err(|error| StorageError::io(&self.path, error))?;
        let bytes = file
            .metadata()
            .map_err(|error| StorageError::io(&self.path, error))?
            .len();
        Ok(PartSummary {
            path: self.path,
            rows: self.rows,
            min_ts_recv: self.min_ts_recv,
            max_ts_recv: self.max_ts_recv,
            runs: self.runs,
            bytes,
        })
    }
}

/// Minimum and maximum `ts_recv` of a row group, when its statistics say.
fn ts_recv_bounds(group: &RowGroupMetaData, column: usize) -> Option<(i64, i64)> {
    match group.column(column).statistics()? {
        Statistics::Int64(values) => Some((*values.min_opt()?, *values.max_opt()?)),
        _ => None,
    }
}

/// Streams the events of a sorted run with `from <= ts_recv <= to`.
pub(crate) struct RunReader {
    path: PathBuf,
    kind: StreamKind,
    batches: ParquetRecordBatchReader,
    buffer: Vec<MarketEvent>,
    position: usize,
    from: i64,
    to: i64,
    done: bool,
}

impl std::fmt::Debug for RunReader {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("RunReader")
            .field("path", &self.path)
            .finish()
    }
}

impl RunReader {
    /// Opens `path` (one of our tick files of `kind`). `row_groups` selects a run (all row
    /// groups when `None`); row groups entirely outside `[from, to]` are skipped by their
    /// statistics.
    pub(crate) fn open(
        path: &Path,
        kind: StreamKind,
        row_groups: Option<Range<usize>>,
        from: i64,
        to: i64,
    ) -> Result<Self, StorageError> {
        let file = File::open(path).map_err(|error| StorageError::io(path, error))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|error| StorageError::parquet(path, error))?;
        let expected = schema::arrow_schema(kind);
        let found = builder.schema();
        let same = found.fields().len() == expected.fields().len()
            && found
                .fields()
                .iter()
                .zip(expected.fields())
                .all(|(left, right)| {
                    left.name() == right.name() && left.data_type() == right.data_type()
                });
        if !same {
            return Err(StorageError::corrupt(
                path,
                format!("schema {found} is not the {} schema", kind.as_str()),
            ));
        }
        let metadata = builder.metadata().clone();
        let candidates = row_groups.unwrap_or(0..metadata.num_row_groups());
        let column = schema::ts_recv_column(kind);
        let selected: Vec<usize> = candidates
            .filter(|&index| {
                ts_recv_bounds(metadata.row_group(index), column)
                    .is_none_or(|(low, high)| high >= from && low <= to)
            })
            .collect();
        let batches = builder
            .with_row_groups(selected)
            .with_batch_size(READ_BATCH_ROWS)
            .build()
            .map_err(|error| StorageError::parquet(path, error))?;
        Ok(Self {
            path: path.to_owned(),
            kind,
            batches,
            buffer: Vec::with_capacity(READ_BATCH_ROWS),
            position: 0,
            from,
            to,
            done: false,
        })
    }

    /// The next event without consuming it.
    pub(crate) fn peek(&mut self) -> Result<Option<&MarketEvent>, StorageError> {
        while self.position == self.buffer.len() {
            if self.done {
                return Ok(None);
            }
            self.buffer.clear();
            self.position = 0;
            match self.batches.next() {
                None => {
                    self.done = true;
                    return Ok(None);
                }
                Some(batch) => {
                    let batch = batch.map_err(|error| StorageError::arrow(&self.path, error))?;
                    decode_batch(self.kind, &batch, &self.path, &mut self.buffer)?;
                    // The run is sorted: skip the head before `from`, stop after `to`.
                    let from = self.from;
                    self.position = self
                        .buffer
                        .partition_point(|event| event.ts_recv().0 < from);
                    let to = self.to;
                    let end = self.buffer.partition_point(|event| event.ts_recv().0 <= to);
                    if end < self.buffer.len() {
                        self.buffer.truncate(end);
                        self.done = true;
                    }
                    self.position = self.position.min(self.buffer.len());
                }
            }
        }
        Ok(self.buffer.get(self.position))
    }

    /// Takes the next event.
    pub(crate) fn next_event(&mut self) -> Result<Option<MarketEvent>, StorageError> {
        let event = self.peek()?.copied();
        if event.is_some() {
            self.position += 1;
        }
        Ok(event)
    }
}
