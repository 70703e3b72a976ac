//! Reading the timestamp-keyed Parquet files (feature tables, research matrices): each record
//! batch of a file whose first column is the `ts` timestamp (`TIMESTAMP(NANOS, UTC)`).

use std::fs::File;
use std::path::Path;

use arrow::array::{RecordBatch, TimestampNanosecondArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::StorageError;

/// Calls `each` with every record batch of the file at `path` and its first column, which
/// must be the timestamp column named `ts_column` (else the file is corrupt).
pub(crate) fn for_each_stamped_batch(
    path: &Path,
    ts_column: &str,
    mut each: impl FnMut(&RecordBatch, &TimestampNanosecondArray) -> Result<(), StorageError>,
) -> Result<(), StorageError> {
    let file = File::open(path).map_err(|error| StorageError::io(path, error))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|builder| builder.build())
        .map_err(|error| StorageError::parquet(path, error))?;
    for batch in reader {
        let batch = batch.map_err(|error| StorageError::arrow(path, error))?;
        let schema = batch.schema();
        let stamps = batch
            .column(0)
            .as_any()
            .downcast_ref::<TimestampNanosecondArray>()
            .filter(|_| schema.field(0).name() == ts_column)
            .ok_or_else(|| StorageError::corrupt(path, "first column is not the ts timestamp"))?;
        each(&batch, stamps)?;
    }
    Ok(())
}
