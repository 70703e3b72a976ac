//! Research feature matrices as one Parquet file (SPEC 2.6 "exports an aligned feature matrix
//! with forward returns to Parquet"): a `ts` column (`TIMESTAMP(NANOS, UTC)`, not null) and
//! named DOUBLE columns, where a missing value (NaN) is stored as NULL so DuckDB aggregates
//! skip it and pandas reads it back as NaN. Written beside the final name and renamed, so a
//! reader never sees a half-written file.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array, RecordBatch, TimestampNanosecondArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use auction_trader_types::UnixNanos;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::StorageError;
use crate::stamped::for_each_stamped_batch;

/// Name of the timestamp column.
pub const MATRIX_TS_COLUMN: &str = "ts";
/// Rows per record batch / row group.
const BATCH_ROWS: usize = 65_536;

/// A matrix read back: timestamps and `(name, values)` columns (NULL → NaN).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MatrixFile {
    pub ts: Vec<UnixNanos>,
    pub columns: Vec<(String, Vec<f64>)>,
}

fn check(ts: &[UnixNanos], columns: &[(&str, &[f64])]) -> Result<(), StorageError> {
    let invalid = |message: String| Err(StorageError::InvalidArgument(message));
    for (index, (name, values)) in columns.iter().enumerate() {
        if name.is_empty() || *name == MATRIX_TS_COLUMN {
            return invalid(format!("matrix column name {name:?} is reserved or empty"));
        }
        if columns[..index].iter().any(|(other, _)| other == name) {
            return invalid(format!("matrix column {name:?} appears twice"));
        }
        if values.len() != ts.len() {
            return invalid(format!(
                "matrix column {name:?} has {} values for {} rows",
                values.len(),
                ts.len()
            ));
        }
    }
    Ok(())
}

/// The hidden name a file is written under before its rename into place.
pub(crate) fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "matrix.parquet".to_owned());
    // Dot-prefixed and not ending in .parquet: invisible to `*.parquet` globs.
    path.with_file_name(format!(".{name}.tmp"))
}

/// Writes the matrix to `path` atomically (temporary file, fsync, rename).
pub fn write_matrix(
    path: &Path,
    ts: &[UnixNanos],
    columns: &[(&str, &[f64])],
) -> Result<(), StorageError> {
    check(ts, columns)?;
    let mut fields = vec![Field::new(
        MATRIX_TS_COLUMN,
        DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
        false,
    )];
    fields.extend(
        columns
            .iter()
            .map(|(name, _)| Field::new(*name, DataType::Float64, true)),
    );
    let schema = Arc::new(Schema::new(fields));
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|error| StorageError::io(parent, error))?;
    }
    let temporary = temporary_path(path);
    let file = File::create(&temporary).map_err(|error| StorageError::io(&temporary, error))?;
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(BATCH_ROWS))
        .build();
    let result = (|| {
        let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(properties))
            .map_err(|error| StorageError::parquet(&temporary, error))?;
        let mut start = 0;
        while start < ts.len() {
            let end = (start + BATCH_ROWS).min(ts.len());
            let stamps: Vec<i64> = ts[start..end].iter().map(|stamp| stamp.0).collect();
            let mut arrays: Vec<ArrayRef> = vec![Arc::new(
                TimestampNanosecondArray::from(stamps).with_timezone("UTC"),
            )];
            for (_, values) in columns {
                let column: Float64Array = values[start..end]
                    .iter()
                    .map(|value| value.is_finite().then_some(*value))
                    .collect();
                arrays.push(Arc::new(column));
            }
            let batch = RecordBatch::try_new(schema.clone(), arrays)
                .map_err(|error| StorageError::arrow(&temporary, error))?;
            writer
                .write(&batch)
                .map_err(|error| StorageError::parquet(&temporary, error))?;
            start = end;
        }
        writer
            .finish()
            .map_err(|error| StorageError::parquet(&temporary, error))?;
        writer
            .inner()
            .sync_all()
            .map_err(|error| StorageError::io(&temporary, error))
    })();
    if let Err(error) = result {
        // Best effort: do not leave the partial file behind.
        let _ = std::fs::remove_file(&temporary);
        return Err(error);
    }
    std::fs::rename(&temporary, path).map_err(|error| StorageError::io(path, error))
}

/// Reads a matrix written by [`write_matrix`] (or any file with a leading `ts` timestamp
/// column followed by DOUBLE columns).
pub fn read_matrix(path: &Path) -> Result<MatrixFile, StorageError> {
    let mut matrix = MatrixFile::default();
    for_each_stamped_batch(path, MATRIX_TS_COLUMN, |batch, stamps| {
        if matrix.columns.is_empty() {
            matrix.columns = batch
                .schema()
                .fields()
                .iter()
                .skip(1)
                .map(|field| (field.name().clone(), Vec::new()))
                .collect();
        }
        if matrix.columns.len() + 1 != batch.num_columns() {
            return Err(StorageError::corrupt(path, "column count changed"));
        }
        matrix
            .ts
            .extend(stamps.values().iter().map(|&stamp| UnixNanos(stamp)));
        for ((name, values), array) in matrix
            .columns
            .iter_mut()
            .zip(batch.columns().iter().skip(1))
        {
            let doubles = array
                .as_any()
                .downcast_ref::<Float64Array>()
                .ok_or_else(|| StorageError::corrupt(path, format!("column {name} is not f64")))?;
            values.extend((0..doubles.len()).map(|row| {
                if doubles.is_null(row) {
                    f64::NAN
                } else {
                    doubles.value(row)
                }
            }));
        }
        Ok(())
    })?;
    Ok(matrix)
}

#[cfg(test)]
mod tests {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    use super::*;

    #[test]
    fn round_trip_with_nan_as_null() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("sub").join("matrix.parquet");
        let ts: Vec<UnixNanos> = (1..=3)
            .map(|minute| UnixNanos(minute * 60_000_000_000))
            .collect();
        let close = [100.0, 101.0, 99.5];
        let forward = [0.01, -0.015, f64::NAN];
        write_matrix(&path, &ts, &[("close", &close), ("fwd_ret_1m", &forward)]).unwrap();
        assert!(!temporary_path(&path).exists());
        let read = read_matrix(&path).unwrap();
        assert_eq!(read.ts, ts);
        assert_eq!(read.columns[0], ("close".to_owned(), close.to_vec()));
        assert_eq!(read.columns[1].1[..2], [0.01, -0.015]);
        assert!(read.columns[1].1[2].is_nan());
        // The stored value is a NULL, not a NaN.
        let file = File::open(&path).unwrap();
        let mut reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap();
        let batch = reader.next().unwrap().unwrap();
        assert_eq!(batch.column(2).null_count(), 1);
        assert!(batch.schema().field(0).data_type().is_temporal());
    }

    #[test]
    fn rejects_bad_columns() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("m.parquet");
        let ts = [UnixNanos(1), UnixNanos(2)];
        assert!(write_matrix(&path, &ts, &[("a", &[1.0])]).is_err());
        assert!(write_matrix(&path, &ts, &[("ts", &[1.0, 2.0])]).is_err());
        assert!(write_matrix(&path, &ts, &[("a", &[1.0, 2.0]), ("a", &[1.0, 2.0])]).is_err());
        assert!(!path.exists());
    }
}
