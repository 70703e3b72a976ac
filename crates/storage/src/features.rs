//! Feature tables (SPEC 1.4 `features/`): named `f64`/`i64` columns keyed by a `ts`
//! timestamp, stored per instrument and UTC date as
//! `features/<table>/venue=…/symbol=…/market=…/date=YYYY-MM-DD/part-0.parquet`
//! (`ts` is `TIMESTAMP(NANOS, UTC)`, value columns are DOUBLE or INT64).
//!
//! Writing a table replaces the files of every date it covers (write whole days, or the day
//! so far); each file is written beside its final name and renamed, so a reader never sees a
//! half-written day. Feature tables are derived data and are not listed in the catalog.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Float64Array, Int64Array, RecordBatch, TimestampNanosecondArray,
};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use auction_trader_types::{InstrumentKey, UnixNanos};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::layout::{self, instrument_dir};
use crate::stamped::for_each_stamped_batch;
use crate::{ParquetStore, StorageError};

/// Name of the timestamp column.
pub const TS_COLUMN: &str = "ts";
const FILE_NAME: &str = "part-0.parquet";

/// Values of one feature column.
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureValues {
    F64(Vec<f64>),
    I64(Vec<i64>),
}

impl FeatureValues {
    pub fn len(&self) -> usize {
        match self {
            Self::F64(values) => values.len(),
            Self::I64(values) => values.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn empty_like(&self) -> Self {
        match self {
            Self::F64(_) => Self::F64(Vec::new()),
            Self::I64(_) => Self::I64(Vec::new()),
        }
    }

    fn extend_from(&mut self, other: &Self, rows: std::ops::Range<usize>) -> bool {
        match (self, other) {
            (Self::F64(mine), Self::F64(theirs)) => mine.extend_from_slice(&theirs[rows]),
            (Self::I64(mine), Self::I64(theirs)) => mine.extend_from_slice(&theirs[rows]),
            _ => return false,
        }
        true
    }

    fn data_type(&self) -> DataType {
        match self {
            Self::F64(_) => DataType::Float64,
            Self::I64(_) => DataType::Int64,
        }
    }
}

/// One named column.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureColumn {
    pub name: String,
    pub values: FeatureValues,
}

/// Rows of named feature columns, ordered by `ts`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FeatureTable {
    pub ts: Vec<UnixNanos>,
    pub columns: Vec<FeatureColumn>,
}

impl FeatureTable {
    pub fn new(ts: Vec<UnixNanos>) -> Self {
        Self {
            ts,
            columns: Vec::new(),
        }
    }

    pub fn with_f64(mut self, name: impl Into<String>, values: Vec<f64>) -> Self {
        self.columns.push(FeatureColumn {
            name: name.into(),
            values: FeatureValues::F64(values),
        });
        self
    }

    pub fn with_i64(mut self, name: impl Into<String>, values: Vec<i64>) -> Self {
        self.columns.push(FeatureColumn {
            name: name.into(),
            values: FeatureValues::I64(values),
        });
        self
    }

    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    pub fn column(&self, name: &str) -> Option<&FeatureValues> {
        self.columns
            .iter()
            .find(|column| column.name == name)
            .map(|column| &column.values)
    }

    fn validate(&self) -> Result<(), StorageError> {
        let invalid = |message: String| Err(StorageError::InvalidArgument(message));
        if !self.ts.windows(2).all(|pair| pair[0] <= pair[1]) {
            return invalid("feature rows must be sorted by ts".to_owned());
        }
        for (index, column) in self.columns.iter().enumerate() {
            if column.name.is_empty() || column.name == TS_COLUMN {
                return invalid(format!(
                    "feature column name {:?} is reserved or empty",
                    column.name
                ));
            }
            if self.columns[..index]
                .iter()
                .any(|other| other.name == column.name)
            {
                return invalid(format!("feature column {:?} appears twice", column.name));
            }
            if column.values.len() != self.ts.len() {
                return invalid(format!(
                    "feature column {:?} has {} values for {} rows",
                    column.name,
                    column.values.len(),
                    self.ts.len()
                ));
            }
        }
        Ok(())
    }

    fn to_batch(
        &self,
        rows: std::ops::Range<usize>,
        path: &Path,
    ) -> Result<RecordBatch, StorageError> {
        let mut fields = vec![Field::new(
            TS_COLUMN,
            DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            false,
        )];
        let stamps: Vec<i64> = self.ts[rows.clone()].iter().map(|stamp| stamp.0).collect();
        let mut arrays: Vec<ArrayRef> = vec![Arc::new(
            TimestampNanosecondArray::from(stamps).with_timezone("UTC"),
        )];
        for column in &self.columns {
            fields.push(Field::new(&column.name, column.values.data_type(), false));
            arrays.push(match &column.values {
                FeatureValues::F64(values) => {
                    Arc::new(Float64Array::from(values[rows.clone()].to_vec()))
                }
                FeatureValues::I64(values) => {
                    Arc::new(Int64Array::from(values[rows.clone()].to_vec()))
                }
            });
        }
        RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
            .map_err(|error| StorageError::arrow(path, error))
    }
}

fn validate_table_name(table: &str) -> Result<(), StorageError> {
    let valid = !table.is_empty()
        && table
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_');
    if valid {
        Ok(())
    } else {
        Err(StorageError::InvalidArgument(format!(
            "feature table name {table:?} must be [a-z0-9_]+"
        )))
    }
}

fn write_day(path: &Path, batch: &RecordBatch) -> Result<(), StorageError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|error| StorageError::io(parent, error))?;
    }
    // Dot-prefixed and not ending in .parquet: invisible to `*.parquet` globs.
    let temporary = path.with_file_name(format!(".{FILE_NAME}.tmp"));
    let file = File::create(&temporary).map_err(|error| StorageError::io(&temporary, error))?;
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(properties))
        .map_err(|error| StorageError::parquet(&temporary, error))?;
    writer
        .write(batch)
        .and_then(|()| writer.finish().map(|_| ()))
        .map_err(|error| StorageError::parquet(&temporary, error))?;
    writer
        .inner()
        .sync_all()
        .map_err(|error| StorageError::io(&temporary, error))?;
    drop(writer);
    std::fs::rename(&temporary, path).map_err(|error| StorageError::io(path, error))
}

fn read_day(
    path: &Path,
    out: &mut Option<FeatureTable>,
    from: i64,
    to: i64,
) -> Result<(), StorageError> {
    for_each_stamped_batch(path, TS_COLUMN, |batch, stamps| {
        let schema = batch.schema();
        let mut columns = Vec::with_capacity(batch.num_columns() - 1);
        for (field, array) in schema.fields().iter().zip(batch.columns()).skip(1) {
            if array.null_count() > 0 {
                return Err(StorageError::corrupt(
                    path,
                    format!("column {} holds nulls", field.name()),
                ));
            }
            let values = if let Some(values) = array.as_any().downcast_ref::<Float64Array>() {
                FeatureValues::F64(values.values().to_vec())
            } else if let Some(values) = array.as_any().downcast_ref::<Int64Array>() {
                FeatureValues::I64(values.values().to_vec())
            } else {
                return Err(StorageError::corrupt(
                    path,
                    format!("column {} is neither f64 nor i64", field.name()),
                ));
            };
            columns.push(FeatureColumn {
                name: field.name().clone(),
                values,
            });
        }
        let day = FeatureTable {
            ts: stamps
                .values()
                .iter()
                .map(|&stamp| UnixNanos(stamp))
                .collect(),
            columns,
        };
        let start = day.ts.partition_point(|stamp| stamp.0 < from);
        let end = day.ts.partition_point(|stamp| stamp.0 <= to);
        let table = out.get_or_insert_with(|| FeatureTable {
            ts: Vec::new(),
            columns: day
                .columns
                .iter()
                .map(|column| FeatureColumn {
                    name: column.name.clone(),
                    values: column.values.empty_like(),
                })
                .collect(),
        });
        let same_columns = table.columns.len() == day.columns.len()
            && table
                .columns
                .iter()
                .zip(&day.columns)
                .all(|(mine, theirs)| mine.name == theirs.name);
        if !same_columns {
            return Err(StorageError::corrupt(
                path,
                "feature columns differ from earlier days",
            ));
        }
        table.ts.extend_from_slice(&day.ts[start..end]);
        for (mine, theirs) in table.columns.iter_mut().zip(&day.columns) {
            if !mine.values.extend_from(&theirs.values, start..end) {
                return Err(StorageError::corrupt(
                    path,
                    format!("column {} changed type", mine.name),
                ));
            }
        }
        Ok(())
    })
}

impl ParquetStore {
    fn features_dir(&self, table: &str, instrument: &InstrumentKey) -> PathBuf {
        instrument_dir(
            &self.data_dir().join(layout::FEATURES_DIR).join(table),
            instrument,
        )
    }

    /// Writes `data` for `instrument` into feature table `table`, one file per UTC date of
    /// `ts` (each replacing that date's file). Returns the number of files written.
    pub fn write_features(
        &self,
        table: &str,
        instrument: &InstrumentKey,
        data: &FeatureTable,
    ) -> Result<u32, StorageError> {
        validate_table_name(table)?;
        data.validate()?;
        let base = self.features_dir(table, instrument);
        let mut files = 0;
        let mut start = 0;
        while start < data.len() {
            let day = data.ts[start].days_since_epoch();
            let end =
                start + data.ts[start..].partition_point(|stamp| stamp.days_since_epoch() == day);
            let path = base
                .join(format!("date={}", layout::date_of_day(day)))
                .join(FILE_NAME);
            write_day(&path, &data.to_batch(start..end, &path)?)?;
            files += 1;
            start = end;
        }
        Ok(files)
    }

    /// Reads feature table `table` of `instrument` with `from <= ts <= to`, dates ascending.
    /// `Ok(None)` when nothing is stored in the range.
    pub fn read_features(
        &self,
        table: &str,
        instrument: &InstrumentKey,
        from: UnixNanos,
        to: UnixNanos,
    ) -> Result<Option<FeatureTable>, StorageError> {
        validate_table_name(table)?;
        let base = self.features_dir(table, instrument);
        let entries = match std::fs::read_dir(&base) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(StorageError::io(&base, error)),
        };
        let (first_date, last_date) = (from.date_string(), to.date_string());
        let mut dates: Vec<String> = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|error| StorageError::io(&base, error))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(date) = name.strip_prefix("date=")
                && date >= first_date.as_str()
                && date <= last_date.as_str()
            {
                dates.push(date.to_owned());
            }
        }
        dates.sort();
        let mut table_out = None;
        for date in dates {
            let path = base.join(format!("date={date}")).join(FILE_NAME);
            if path.exists() {
                read_day(&path, &mut table_out, from.0, to.0)?;
            }
        }
        Ok(table_out)
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{MarketKind, NANOS_PER_MINUTE};

    use super::*;

    #[test]
    fn feature_tables_round_trip_across_midnight() {
        let directory = tempfile::tempdir().unwrap();
        let store = ParquetStore::open(directory.path()).unwrap();
        let instrument = InstrumentKey::new("binance-usdm", "BTCUSDT", MarketKind::Perpetual);
        // 23:58, 23:59, 00:00, 00:01 around 2024-08-09 00:00 UTC (1_723_161_600 s).
        let midnight = 1_723_161_600 * 1_000_000_000_i64;
        let ts: Vec<UnixNanos> = (-2..2)
            .map(|minute| UnixNanos(midnight + minute * NANOS_PER_MINUTE))
            .collect();
        let table = FeatureTable::new(ts.clone())
            .with_f64("vwap_z", vec![0.5, -1.25, f64::NAN, 3.0])
            .with_i64("trades", vec![10, 0, 7, 2]);
        assert_eq!(
            store.write_features("minute", &instrument, &table).unwrap(),
            2
        );
        let read = store
            .read_features("minute", &instrument, UnixNanos(0), UnixNanos::MAX)
            .unwrap()
            .unwrap();
        assert_eq!(read.ts, ts);
        assert_eq!(
            read.column("trades"),
            Some(&FeatureValues::I64(vec![10, 0, 7, 2]))
        );
        let Some(FeatureValues::F64(values)) = read.column("vwap_z") else {
            panic!("f64 column")
        };
        assert_eq!(values[..2], [0.5, -1.25]);
        assert!(values[2].is_nan());
        // Only 23:59 .. 00:00 inclusive.
        let window = store
            .read_features("minute", &instrument, ts[1], ts[2])
            .unwrap()
            .unwrap();
        assert_eq!(window.ts, ts[1..3].to_vec());
        assert_eq!(
            window.column("trades"),
            Some(&FeatureValues::I64(vec![0, 7]))
        );
        assert!(
            store
                .read_features("other", &instrument, UnixNanos(0), UnixNanos::MAX)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn invalid_tables_are_rejected() {
        let directory = tempfile::tempdir().unwrap();
        let store = ParquetStore::open(directory.path()).unwrap();
        let instrument = InstrumentKey::new("x", "Y", MarketKind::Spot);
        let short = FeatureTable::new(vec![UnixNanos(1), UnixNanos(2)]).with_i64("a", vec![1]);
        assert!(store.write_features("t", &instrument, &short).is_err());
        let unsorted = FeatureTable::new(vec![UnixNanos(2), UnixNanos(1)]);
        assert!(store.write_features("t", &instrument, &unsorted).is_err());
        let reserved = FeatureTable::new(vec![UnixNanos(1)]).with_i64("ts", vec![1]);
        assert!(store.write_features("t", &instrument, &reserved).is_err());
        assert!(
            store
                .write_features("Bad/Name", &instrument, &FeatureTable::default())
                .is_err()
        );
    }
}
