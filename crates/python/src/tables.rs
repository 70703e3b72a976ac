//! Rust rows into Arrow record batches and Arrow IPC streams (what crosses into Python:
//! `pyarrow.ipc.open_stream(bytes).read_all()` gives the table).

use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float64Array, Int8Array, RecordBatch, TimestampNanosecondArray, UInt32Array,
};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use arrow::error::ArrowError;
use arrow::ipc::writer::StreamWriter;
use auction_trader_storage::{MatrixFile, read_matrix};
use auction_trader_types::{FIXED_SCALE, Price, Quantity};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::to_py;
use crate::research_paths::BookRow;

/// The batch as an Arrow IPC stream.
pub(crate) fn ipc_bytes(batch: &RecordBatch) -> Result<Vec<u8>, ArrowError> {
    let mut bytes = Vec::new();
    {
        let mut writer = StreamWriter::try_new(&mut bytes, &batch.schema())?;
        writer.write(batch)?;
        writer.finish()?;
    }
    Ok(bytes)
}

fn utc_nanos() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
}

fn price_value(price: Price) -> f64 {
    price.raw() as f64 / FIXED_SCALE as f64
}

fn size_value(size: Quantity) -> f64 {
    size.raw() as f64 / FIXED_SCALE as f64
}

/// Book snapshots in long form: one row per (snapshot, side, level), best level 0; side is
/// the stored code (1 bid, -1 ask).
pub(crate) fn book_batch(rows: &[BookRow]) -> Result<RecordBatch, ArrowError> {
    let mut ts = Vec::new();
    let mut side = Vec::new();
    let mut level = Vec::new();
    let mut price = Vec::new();
    let mut size = Vec::new();
    for row in rows {
        for (code, levels) in [(1_i8, &row.bids), (-1_i8, &row.asks)] {
            for (index, (level_price, level_size)) in levels.iter().enumerate() {
                ts.push(row.ts.0);
                side.push(code);
                level.push(u32::try_from(index).unwrap_or(u32::MAX));
                price.push(price_value(*level_price));
                size.push(size_value(*level_size));
            }
        }
    }
    let schema = Schema::new(vec![
        Field::new("ts", utc_nanos(), false),
        Field::new("side", DataType::Int8, false),
        Field::new("level", DataType::UInt32, false),
        Field::new("price", DataType::Float64, false),
        Field::new("size", DataType::Float64, false),
    ]);
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(TimestampNanosecondArray::from(ts).with_timezone("UTC")),
        Arc::new(Int8Array::from(side)),
        Arc::new(UInt32Array::from(level)),
        Arc::new(Float64Array::from(price)),
        Arc::new(Float64Array::from(size)),
    ];
    RecordBatch::try_new(Arc::new(schema), arrays)
}

/// A feature matrix read back: `ts` and one DOUBLE column per feature (NaN where missing).
fn matrix_batch(matrix: &MatrixFile) -> Result<RecordBatch, ArrowError> {
    let mut fields = vec![Field::new("ts", utc_nanos(), false)];
    let stamps: Vec<i64> = matrix.ts.iter().map(|stamp| stamp.0).collect();
    let mut arrays: Vec<ArrayRef> = vec![Arc::new(
        TimestampNanosecondArray::from(stamps).with_timezone("UTC"),
    )];
    for (name, values) in &matrix.columns {
        fields.push(Field::new(name, DataType::Float64, false));
        arrays.push(Arc::new(Float64Array::from(values.clone())));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
}

/// Reads a feature matrix Parquet file (`auction-trader features matrix --out`) as an Arrow
/// IPC stream.
#[pyfunction]
pub(crate) fn read_feature_matrix(py: Python<'_>, path: PathBuf) -> PyResult<Py<PyBytes>> {
    let bytes = py.detach(|| {
        let matrix = read_matrix(&path).map_err(|error| error.to_string())?;
        matrix_batch(&matrix)
            .and_then(|batch| ipc_bytes(&batch))
            .map_err(|error| error.to_string())
    });
    let bytes = bytes.map_err(to_py)?;
    Ok(PyBytes::new(py, &bytes).unbind())
}
