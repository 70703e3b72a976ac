//! Reading typed values out of foreign Parquet columns: column lookup by aliases, exact
//! decimal conversion of float/integer/decimal/string columns into fixed-point, timestamps of
//! any unit, and side labels.
//!
//! Floats (SPEC 1.1: no `f64` prices): a value is formatted with its shortest round-trip
//! representation and parsed as an exact decimal. When that text has more than nine decimals
//! but the float lies within [`SNAP_ULPS`] units in the last place of a nine-decimal value
//! (arithmetic noise such as `0.00031099999999999997` for `0.000311`), the nine-decimal value
//! is taken and counted as snapped (the importers report the count); anything else is an error
//! for the row, never a silent rounding.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, RecordBatch, StringArray};
use arrow::datatypes::{
    DataType, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, Schema,
    TimeUnit, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use auction_trader_data::DataError;
use auction_trader_types::{FIXED_SCALE, Price, parse_fixed};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// Largest distance, in units in the last place, between a float and the nine-decimal value
/// it is taken for.
pub const SNAP_ULPS: u64 = 8;
const BATCH_ROWS: usize = 65_536;

/// Calls `visit(batch, first_row)` for every record batch of the Parquet file at `path`
/// (`first_row` is the 0-based index of the batch's first row in the file).
pub(crate) fn for_each_batch(
    path: &Path,
    mut visit: impl FnMut(&RecordBatch, u64) -> Result<(), DataError>,
) -> Result<u64, DataError> {
    let invalid = |message: String| DataError::InvalidInput {
        path: path.to_owned(),
        message,
    };
    let file = File::open(path).map_err(|error| DataError::io(path, error))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|builder| builder.with_batch_size(BATCH_ROWS).build())
        .map_err(|error| {
            invalid(format!(
                "not a readable Parquet file (corrupt or truncated): {error}"
            ))
        })?;
    let mut rows: u64 = 0;
    for batch in reader {
        let batch = batch.map_err(|error| invalid(format!("cannot decode: {error}")))?;
        visit(&batch, rows)?;
        rows += batch.num_rows() as u64;
    }
    Ok(rows)
}

/// The schema of the Parquet file at `path`.
pub(crate) fn file_schema(path: &Path) -> Result<Arc<Schema>, DataError> {
    let file = File::open(path).map_err(|error| DataError::io(path, error))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|error| {
        DataError::InvalidInput {
            path: path.to_owned(),
            message: format!("not a readable Parquet file (corrupt or truncated): {error}"),
        }
    })?;
    Ok(Arc::clone(builder.schema()))
}

/// Index of the first column whose name equals one of `names` (ASCII case-insensitive).
pub(crate) fn find_column(schema: &Schema, names: &[&str]) -> Option<usize> {
    names.iter().find_map(|name| {
        schema
            .fields()
            .iter()
            .position(|field| field.name().eq_ignore_ascii_case(name))
    })
}

/// A decimal value converted to fixed-point, and whether float noise was snapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Converted {
    pub raw: i64,
    pub snapped: bool,
}

fn exact(raw: i64) -> Converted {
    Converted {
        raw,
        snapped: false,
    }
}

/// Distance in units in the last place between two finite floats of the same sign.
fn ulp_distance(left: f64, right: f64) -> u64 {
    if left == right {
        return 0;
    }
    if left.is_sign_negative() != right.is_sign_negative() {
        return u64::MAX;
    }
    left.to_bits().abs_diff(right.to_bits())
}

/// Exact fixed-point value of a float (see the module docs for the snapping rule).
pub(crate) fn fixed_from_f64(value: f64) -> Result<Converted, String> {
    if !value.is_finite() {
        return Err(format!("{value} is not a finite number"));
    }
    let text = value.to_string();
    match parse_fixed(&text) {
        Ok(raw) => Ok(exact(raw)),
        Err(_) => {
            let scaled = (value * FIXED_SCALE as f64).round();
            if scaled.is_nan() || scaled.abs() >= i64::MAX as f64 {
                return Err(format!("{text} overflows the fixed-point range"));
            }
            let raw = scaled as i64;
            let nearest: f64 = Price(raw).to_string().parse().unwrap_or(f64::NAN);
            // A non-zero value never snaps to zero (subnormal floats are not noise around 0).
            if raw != 0 && nearest.is_finite() && ulp_distance(nearest, value) <= SNAP_ULPS {
                Ok(Converted { raw, snapped: true })
            } else {
                Err(format!("{text} has more than 9 decimals"))
            }
        }
    }
}

/// As [`fixed_from_f64`] for a 32-bit float (its own shortest representation).
pub(crate) fn fixed_from_f32(value: f32) -> Result<Converted, String> {
    if !value.is_finite() {
        return Err(format!("{value} is not a finite number"));
    }
    match parse_fixed(&value.to_string()) {
        Ok(raw) => Ok(exact(raw)),
        // Any f32 is exactly an f64; the f64 path judges its noise (more loosely, as the f32
        // ULP is larger: such a value quarantines rather than snaps).
        Err(_) => fixed_from_f64(f64::from(value)),
    }
}

fn fixed_from_units(units: i128) -> Result<Converted, String> {
    units
        .checked_mul(i128::from(FIXED_SCALE))
        .and_then(|raw| i64::try_from(raw).ok())
        .map(exact)
        .ok_or_else(|| format!("{units} overflows the fixed-point range"))
}

fn fixed_from_decimal(unscaled: i128, scale: i8) -> Result<Converted, String> {
    let shift = 9 - i32::from(scale);
    let raw = if shift >= 0 {
        10_i128
            .checked_pow(shift as u32)
            .and_then(|factor| unscaled.checked_mul(factor))
    } else {
        let divisor = 10_i128.checked_pow((-shift) as u32);
        match divisor {
            Some(divisor) if unscaled % divisor == 0 => Some(unscaled / divisor),
            Some(_) => {
                return Err(format!(
                    "decimal {unscaled}e-{scale} has more than 9 decimals"
                ));
            }
            None => None,
        }
    };
    raw.and_then(|raw| i64::try_from(raw).ok())
        .map(exact)
        .ok_or_else(|| format!("decimal {unscaled}e-{scale} overflows the fixed-point range"))
}

/// Fixed-point value of row `row` of a numeric, decimal or string column.
pub(crate) fn fixed_at(array: &ArrayRef, row: usize) -> Result<Converted, String> {
    if array.is_null(row) {
        return Err("null value".to_owned());
    }
    match array.data_type() {
        DataType::Float64 => fixed_from_f64(array.as_primitive::<Float64Type>().value(row)),
        DataType::Float32 => fixed_from_f32(array.as_primitive::<Float32Type>().value(row)),
        DataType::Int64 => {
            fixed_from_units(i128::from(array.as_primitive::<Int64Type>().value(row)))
        }
        DataType::Int32 => {
            fixed_from_units(i128::from(array.as_primitive::<Int32Type>().value(row)))
        }
        DataType::Int16 => {
            fixed_from_units(i128::from(array.as_primitive::<Int16Type>().value(row)))
        }
        DataType::Int8 => fixed_from_units(i128::from(array.as_primitive::<Int8Type>().value(row))),
        DataType::UInt64 => {
            fixed_from_units(i128::from(array.as_primitive::<UInt64Type>().value(row)))
        }
        DataType::UInt32 => {
            fixed_from_units(i128::from(array.as_primitive::<UInt32Type>().value(row)))
        }
        DataType::UInt16 => {
            fixed_from_units(i128::from(array.as_primitive::<UInt16Type>().value(row)))
        }
        DataType::UInt8 => {
            fixed_from_units(i128::from(array.as_primitive::<UInt8Type>().value(row)))
        }
        DataType::Decimal128(_, scale) => fixed_from_decimal(
            array
                .as_primitive::<arrow::datatypes::Decimal128Type>()
                .value(row),
            *scale,
        ),
        DataType::Utf8 => {
            let text = array.as_string::<i32>().value(row).trim();
            parse_fixed(text)
                .map(exact)
                .map_err(|error| error.to_string())
        }
        other => Err(format!("unsupported numeric column type {other}")),
    }
}

/// Unit of an integer timestamp column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegerTimeUnit {
    Seconds,
    Millis,
    Micros,
    Nanos,
}

impl IntegerTimeUnit {
    fn nanos(self) -> i64 {
        match self {
            Self::Seconds => 1_000_000_000,
            Self::Millis => 1_000_000,
            Self::Micros => 1_000,
            Self::Nanos => 1,
        }
    }

    /// The unit an epoch value of this magnitude has for dates between 1973 and 5138
    /// (SPEC 1.2: detect seconds / ms / µs / ns epochs).
    pub fn guess(value: i64) -> Self {
        match value.unsigned_abs() {
            0..100_000_000_000 => Self::Seconds,
            100_000_000_000..100_000_000_000_000 => Self::Millis,
            100_000_000_000_000..100_000_000_000_000_000 => Self::Micros,
            _ => Self::Nanos,
        }
    }
}

/// Nanoseconds since the epoch of row `row` of a timestamp or integer column. Naive
/// timestamps (no zone) are local wall-clock times `utc_offset_nanos` ahead of UTC; integer
/// columns use `unit`, or the unit their magnitude implies (a row whose magnitude implies
/// another unit than `unit` is an error: mixed units are never guessed).
pub(crate) fn nanos_at(
    array: &ArrayRef,
    row: usize,
    unit: Option<IntegerTimeUnit>,
    utc_offset_nanos: i64,
) -> Result<i64, String> {
    if array.is_null(row) {
        return Err("null timestamp".to_owned());
    }
    let overflow = || "timestamp overflows i64 nanoseconds".to_owned();
    let scaled = |value: i64, factor: i64| value.checked_mul(factor).ok_or_else(overflow);
    let (value, naive) = match array.data_type() {
        DataType::Timestamp(time_unit, zone) => {
            let value = match time_unit {
                TimeUnit::Second => scaled(
                    array.as_primitive::<TimestampSecondType>().value(row),
                    1_000_000_000,
                )?,
                TimeUnit::Millisecond => scaled(
                    array.as_primitive::<TimestampMillisecondType>().value(row),
                    1_000_000,
                )?,
                TimeUnit::Microsecond => scaled(
                    array.as_primitive::<TimestampMicrosecondType>().value(row),
                    1_000,
                )?,
                TimeUnit::Nanosecond => array.as_primitive::<TimestampNanosecondType>().value(row),
            };
            (value, zone.is_none())
        }
        DataType::Int64 | DataType::Int32 | DataType::UInt64 => {
            let value = match array.data_type() {
                DataType::Int64 => array.as_primitive::<Int64Type>().value(row),
                DataType::Int32 => i64::from(array.as_primitive::<Int32Type>().value(row)),
                _ => i64::try_from(array.as_primitive::<UInt64Type>().value(row))
                    .map_err(|_| overflow())?,
            };
            let implied = IntegerTimeUnit::guess(value);
            let unit = unit.unwrap_or(implied);
            if implied != unit {
                return Err(format!(
                    "timestamp {value} looks like {implied:?}, the column is {unit:?}"
                ));
            }
            (scaled(value, unit.nanos())?, false)
        }
        other => return Err(format!("unsupported timestamp column type {other}")),
    };
    if naive {
        value.checked_sub(utc_offset_nanos).ok_or_else(overflow)
    } else {
        Ok(value)
    }
}

/// The unit of an integer timestamp column, judged from its first non-null value; `None`
/// for typed timestamp columns (their unit is in the schema).
pub(crate) fn integer_unit(array: &ArrayRef) -> Option<IntegerTimeUnit> {
    let first = (0..array.len()).find(|&row| !array.is_null(row))?;
    match array.data_type() {
        DataType::Int64 => Some(IntegerTimeUnit::guess(
            array.as_primitive::<Int64Type>().value(first),
        )),
        DataType::Int32 => Some(IntegerTimeUnit::guess(i64::from(
            array.as_primitive::<Int32Type>().value(first),
        ))),
        DataType::UInt64 => Some(IntegerTimeUnit::guess(
            i64::try_from(array.as_primitive::<UInt64Type>().value(first)).unwrap_or(i64::MAX),
        )),
        _ => None,
    }
}

/// A side-like cell: text, boolean or number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Label<'a> {
    Text(&'a str),
    Flag(bool),
    Number(i64),
}

/// A column normalized for [`label_at`]: strings of any encoding become plain UTF-8.
pub(crate) fn labels(array: &ArrayRef) -> Result<ArrayRef, String> {
    match array.data_type() {
        DataType::Utf8 | DataType::Boolean | DataType::Int64 | DataType::Int32 | DataType::Int8 => {
            Ok(Arc::clone(array))
        }
        _ => arrow::compute::cast(array, &DataType::Utf8).map_err(|error| error.to_string()),
    }
}

/// Row `row` of a column prepared by [`labels`]; `None` when null.
pub(crate) fn label_at(array: &ArrayRef, row: usize) -> Option<Label<'_>> {
    if array.is_null(row) {
        return None;
    }
    Some(match array.data_type() {
        DataType::Utf8 => Label::Text(array.as_any().downcast_ref::<StringArray>()?.value(row)),
        DataType::Boolean => Label::Flag(array.as_any().downcast_ref::<BooleanArray>()?.value(row)),
        DataType::Int64 => Label::Number(array.as_primitive::<Int64Type>().value(row)),
        DataType::Int32 => Label::Number(i64::from(array.as_primitive::<Int32Type>().value(row))),
        DataType::Int8 => Label::Number(i64::from(array.as_primitive::<Int8Type>().value(row))),
        _ => return None,
    })
}

/// Snapped-value bookkeeping for the importers' warning.
#[derive(Debug, Default, Clone)]
pub(crate) struct SnapLog {
    pub count: u64,
    pub example: Option<String>,
}

impl SnapLog {
    pub(crate) fn record(&mut self, array: &ArrayRef, row: usize, converted: Converted) -> i64 {
        if converted.snapped {
            self.count += 1;
            if self.example.is_none() {
                let text = match array.data_type() {
                    DataType::Float64 => array.as_primitive::<Float64Type>().value(row).to_string(),
                    DataType::Float32 => array.as_primitive::<Float32Type>().value(row).to_string(),
                    _ => String::new(),
                };
                self.example = Some(format!("{text} -> {}", Price(converted.raw)));
            }
        }
        converted.raw
    }

    /// The warning to emit at the end of an import, when anything was snapped.
    pub(crate) fn warning(&self, source: &str) -> Option<String> {
        (self.count > 0).then(|| {
            format!(
                "{source}: {} float values were float noise within {SNAP_ULPS} ULPs of a 9-decimal value and were taken as that value (e.g. {})",
                self.count,
                self.example.as_deref().unwrap_or("?")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Decimal128Array, Float64Array, Int64Array, TimestampMicrosecondArray};
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn floats_convert_exactly_or_snap_noise_or_fail() {
        // 39432.48 prints as itself: exact, 39_432_480_000_000 raw.
        assert_eq!(fixed_from_f64(39432.48), Ok(exact(39_432_480_000_000)));
        // 0.1 + 0.2 = 0.30000000000000004 (1 ULP above 0.3): snapped to 300_000_000 raw.
        assert_eq!(
            fixed_from_f64(0.1 + 0.2),
            Ok(Converted {
                raw: 300_000_000,
                snapped: true
            })
        );
        // The Nautilus file's 0.00031099999999999997 is 0.000311 with float noise.
        assert_eq!(
            fixed_from_f64(0.000_310_999_999_999_999_97),
            Ok(Converted {
                raw: 311_000,
                snapped: true
            })
        );
        // 8e-6 prints as 0.000008: exact 8_000 raw.
        assert_eq!(fixed_from_f64(8e-6), Ok(exact(8_000)));
        // A genuine tenth decimal is ~450k ULPs away from 1.0: an error, not a rounding.
        assert!(fixed_from_f64(1.000_000_000_1).is_err());
        assert!(fixed_from_f64(1.234e-10).is_err());
        assert!(fixed_from_f64(f64::NAN).is_err());
        assert!(fixed_from_f64(1e300).is_err());
        assert_eq!(fixed_from_f32(0.1), Ok(exact(100_000_000)));
    }

    #[test]
    fn decimals_and_integers_rescale_exactly() {
        // 12345 at scale 2 = 123.45 -> 123_450_000_000 raw.
        assert_eq!(fixed_from_decimal(12_345, 2), Ok(exact(123_450_000_000)));
        // 1 at scale 12 = 1e-12: not representable.
        assert!(fixed_from_decimal(1, 12).is_err());
        // 1000 at scale 12 = 1e-9: exactly 1 raw.
        assert_eq!(fixed_from_decimal(1_000, 12), Ok(exact(1)));
        let array: ArrayRef = Arc::new(Int64Array::from(vec![3]));
        assert_eq!(fixed_at(&array, 0), Ok(exact(3_000_000_000)));
        let array: ArrayRef = Arc::new(
            Decimal128Array::from(vec![5])
                .with_precision_and_scale(10, 1)
                .unwrap(),
        );
        assert_eq!(fixed_at(&array, 0), Ok(exact(500_000_000)));
        let array: ArrayRef = Arc::new(StringArray::from(vec![" 61800.20 "]));
        assert_eq!(fixed_at(&array, 0), Ok(exact(61_800_200_000_000)));
    }

    #[test]
    fn timestamps_of_every_unit() {
        // Naive 2026-01-26T02:00:00 at UTC+2 is 2026-01-26T00:00:00Z = 1_769_385_600 s.
        let naive: ArrayRef =
            Arc::new(TimestampMicrosecondArray::from(vec![1_769_392_800_000_000]));
        assert_eq!(
            nanos_at(&naive, 0, None, 7_200_000_000_000),
            Ok(1_769_385_600_000_000_000)
        );
        let zoned: ArrayRef =
            Arc::new(TimestampMicrosecondArray::from(vec![5]).with_timezone("UTC"));
        assert_eq!(nanos_at(&zoned, 0, None, 7_200_000_000_000), Ok(5_000));
        let millis: ArrayRef = Arc::new(Int64Array::from(vec![1_610_064_000_278, 1_610_064_000]));
        assert_eq!(integer_unit(&millis), Some(IntegerTimeUnit::Millis));
        assert_eq!(
            nanos_at(&millis, 0, Some(IntegerTimeUnit::Millis), 0),
            Ok(1_610_064_000_278_000_000)
        );
        // A seconds value inside a milliseconds column is an error, not a guess.
        assert!(nanos_at(&millis, 1, Some(IntegerTimeUnit::Millis), 0).is_err());
        let floats: ArrayRef = Arc::new(Float64Array::from(vec![1.5]));
        assert!(nanos_at(&floats, 0, None, 0).is_err());
    }

    proptest! {
        #[test]
        fn any_float_converts_or_fails_without_panicking(bits in any::<u64>()) {
            let value = f64::from_bits(bits);
            if let Ok(converted) = fixed_from_f64(value) {
                // Whatever is accepted is within a hair of the float.
                let back = converted.raw as f64 / FIXED_SCALE as f64;
                prop_assert!((back - value).abs() <= value.abs() * 1e-12 + 1e-9);
            }
        }

        #[test]
        fn nine_decimal_values_survive_the_float_trip(raw in -999_999_999_999_999_i64..=999_999_999_999_999) {
            // A decimal of at most 15 significant digits survives text -> f64 -> shortest text.
            let value: f64 = Price(raw).to_string().parse().unwrap();
            prop_assert_eq!(fixed_from_f64(value).map(|converted| converted.raw), Ok(raw));
        }
    }
}
