//! A small table of typed columns as one Parquet file: grid-search results exported for
//! DuckDB, Polars or pandas (SPEC 6: results browsable outside the tool), one row per
//! combination with each parameter and metric in its own typed column (INT64, DOUBLE,
//! BOOLEAN or UTF8; a missing value is NULL). Written beside the final name and renamed, so a
//! reader never sees a half-written file.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use arrow::datatypes::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::StorageError;
use crate::matrix::temporary_path;

/// The values of one column, `None` = NULL.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnValues {
    Int64(Vec<Option<i64>>),
    Float64(Vec<Option<f64>>),
    Boolean(Vec<Option<bool>>),
    Utf8(Vec<Option<String>>),
}

impl ColumnValues {
    pub fn len(&self) -> usize {
        match self {
            Self::Int64(values) => values.len(),
            Self::Float64(values) => values.len(),
            Self::Boolean(values) => values.len(),
            Self::Utf8(values) => values.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn data_type(&self) -> DataType {
        match self {
            Self::Int64(_) => DataType::Int64,
            Self::Float64(_) => DataType::Float64,
            Self::Boolean(_) => DataType::Boolean,
            Self::Utf8(_) => DataType::Utf8,
        }
    }

    fn array(&self) -> ArrayRef {
        match self {
            Self::Int64(values) => Arc::new(Int64Array::from(values.clone())),
            Self::Float64(values) => Arc::new(Float64Array::from(values.clone())),
            Self::Boolean(values) => Arc::new(BooleanArray::from(values.clone())),
            Self::Utf8(values) => Arc::new(StringArray::from(values.clone())),
        }
    }
}

/// A named column.
#[derive(Debug, Clone, PartialEq)]
pub struct TableColumn {
    pub name: String,
    pub values: ColumnValues,
}

/// Writes `columns` (all of one length, names unique and non-empty) to `path` atomically.
pub fn write_table(path: &Path, columns: &[TableColumn]) -> Result<(), StorageError> {
    let rows = columns.first().map_or(0, |column| column.values.len());
    for (index, column) in columns.iter().enumerate() {
        let invalid = |message: String| Err(StorageError::InvalidArgument(message));
        if column.name.is_empty()
            || columns[..index]
                .iter()
                .any(|other| other.name == column.name)
        {
            return invalid(format!(
                "table column {:?} is empty or appears twice",
                column.name
            ));
        }
        if column.values.len() != rows {
            return invalid(format!(
                "table column {:?} has {} values for {rows} rows",
                column.name,
                column.values.len()
            ));
        }
    }
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|column| Field::new(&column.name, column.values.data_type(), true))
            .collect::<Vec<_>>(),
    ));
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
        .build();
    let result = (|| {
        let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(properties))
            .map_err(|error| StorageError::parquet(&temporary, error))?;
        let arrays: Vec<ArrayRef> = columns.iter().map(|column| column.values.array()).collect();
        let batch = RecordBatch::try_new(schema.clone(), arrays)
            .map_err(|error| StorageError::arrow(&temporary, error))?;
        writer
            .write(&batch)
            .map_err(|error| StorageError::parquet(&temporary, error))?;
        writer
            .finish()
            .map_err(|error| StorageError::parquet(&temporary, error))?;
        writer
            .inner()
            .sync_all()
            .map_err(|error| StorageError::io(&temporary, error))
    })();
    if let Err(error) = result {
        let _ = std::fs::remove_file(&temporary);
        return Err(error);
    }
    std::fs::rename(&temporary, path).map_err(|error| StorageError::io(path, error))
}

fn values_of(path: &Path, name: &str, array: &ArrayRef) -> Result<ColumnValues, StorageError> {
    let any = array.as_any();
    let rows = 0..array.len();
    let valid = |row: usize| !array.is_null(row);
    if let Some(values) = any.downcast_ref::<Int64Array>() {
        return Ok(ColumnValues::Int64(
            rows.map(|row| valid(row).then(|| values.value(row)))
                .collect(),
        ));
    }
    if let Some(values) = any.downcast_ref::<Float64Array>() {
        return Ok(ColumnValues::Float64(
            rows.map(|row| valid(row).then(|| values.value(row)))
                .collect(),
        ));
    }
    if let Some(values) = any.downcast_ref::<BooleanArray>() {
        return Ok(ColumnValues::Boolean(
            rows.map(|row| valid(row).then(|| values.value(row)))
                .collect(),
        ));
    }
    if let Some(values) = any.downcast_ref::<StringArray>() {
        return Ok(ColumnValues::Utf8(
            rows.map(|row| valid(row).then(|| values.value(row).to_owned()))
                .collect(),
        ));
    }
    Err(StorageError::corrupt(
        path,
        format!(
            "column {name} is {}, not INT64, DOUBLE, BOOLEAN or UTF8",
            array.data_type()
        ),
    ))
}

/// Reads a table written by [`write_table`] (every row group, in order).
pub fn read_table(path: &Path) -> Result<Vec<TableColumn>, StorageError> {
    let file = File::open(path).map_err(|error| StorageError::io(path, error))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|error| StorageError::parquet(path, error))?
        .build()
        .map_err(|error| StorageError::parquet(path, error))?;
    let mut columns: Vec<TableColumn> = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|error| StorageError::arrow(path, error))?;
        let schema = batch.schema();
        for (index, (field, array)) in schema.fields().iter().zip(batch.columns()).enumerate() {
            let values = values_of(path, field.name(), array)?;
            match columns.get_mut(index) {
                None => columns.push(TableColumn {
                    name: field.name().clone(),
                    values,
                }),
                Some(column) => match (&mut column.values, values) {
                    (ColumnValues::Int64(all), ColumnValues::Int64(more)) => all.extend(more),
                    (ColumnValues::Float64(all), ColumnValues::Float64(more)) => all.extend(more),
                    (ColumnValues::Boolean(all), ColumnValues::Boolean(more)) => all.extend(more),
                    (ColumnValues::Utf8(all), ColumnValues::Utf8(more)) => all.extend(more),
                    _ => return Err(StorageError::corrupt(path, "a column changed type")),
                },
            }
        }
    }
    Ok(columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, values: ColumnValues) -> TableColumn {
        TableColumn {
            name: name.to_owned(),
            values,
        }
    }

    #[test]
    fn typed_columns_round_trip_with_nulls() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("out").join("grid.parquet");
        let columns = vec![
            column("seq", ColumnValues::Int64(vec![Some(0), Some(1)])),
            column("sharpe", ColumnValues::Float64(vec![Some(1.25), None])),
            column("flip", ColumnValues::Boolean(vec![Some(true), None])),
            column(
                "mode",
                ColumnValues::Utf8(vec![Some("raw".to_owned()), None]),
            ),
        ];
        write_table(&path, &columns).unwrap();
        assert!(!temporary_path(&path).exists());
        assert_eq!(read_table(&path).unwrap(), columns);
    }

    #[test]
    fn ragged_or_duplicate_columns_are_refused() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("bad.parquet");
        let ragged = [
            column("a", ColumnValues::Int64(vec![Some(1)])),
            column("b", ColumnValues::Int64(vec![])),
        ];
        assert!(write_table(&path, &ragged).is_err());
        let twice = [
            column("a", ColumnValues::Int64(vec![Some(1)])),
            column("a", ColumnValues::Float64(vec![Some(1.0)])),
        ];
        assert!(write_table(&path, &twice).is_err());
        assert!(!path.exists());
    }
}
