//! Column buffers between events and Arrow record batches: [`EventColumns`] collects one
//! row group of events (struct of arrays), [`decode_batch`] turns a stored batch back into
//! events.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Decimal128Array, Int8Array, Int64Array, RecordBatch, TimestampNanosecondArray,
    UInt8Array, UInt64Array,
};
use auction_trader_types::{MarketEvent, StreamKind};

use crate::StorageError;
use crate::schema::{self, ColumnClass, MAX_COLUMNS, Row, WIDE_PRECISION, WIDE_SCALE};

/// A growing set of rows of one kind, stored column by column as raw `i128` (the widest
/// column, sizes, needs it).
#[derive(Debug)]
pub(crate) struct EventColumns {
    kind: StreamKind,
    columns: Vec<Vec<i128>>,
}

impl EventColumns {
    pub(crate) fn new(kind: StreamKind) -> Self {
        Self {
            kind,
            columns: vec![Vec::new(); schema::columns(kind).len()],
        }
    }

    pub(crate) fn kind(&self) -> StreamKind {
        self.kind
    }

    pub(crate) fn len(&self) -> usize {
        self.columns[0].len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.columns[0].is_empty()
    }

    /// Appends an event; the caller routes only events of this buffer's kind here.
    #[inline]
    pub(crate) fn push(&mut self, event: &MarketEvent) {
        debug_assert_eq!(event.kind(), self.kind);
        let mut row: Row = [0; MAX_COLUMNS];
        schema::encode(event, &mut row);
        for (column, value) in self.columns.iter_mut().zip(row) {
            column.push(value);
        }
    }

    /// The `ts_recv` values in buffer order.
    pub(crate) fn ts_recv(&self) -> &[i128] {
        &self.columns[schema::ts_recv_column(self.kind)]
    }

    /// Stable sort by `ts_recv` (ties keep their source order, SPEC 1.5). Returns whether
    /// anything moved.
    pub(crate) fn sort_by_ts_recv(&mut self) -> bool {
        let stamps = self.ts_recv();
        if stamps.windows(2).all(|pair| pair[0] <= pair[1]) {
            return false;
        }
        let mut order: Vec<u32> = (0..stamps.len() as u32).collect();
        order.sort_by_key(|&index| stamps[index as usize]);
        for column in &mut self.columns {
            let sorted: Vec<i128> = order.iter().map(|&index| column[index as usize]).collect();
            *column = sorted;
        }
        true
    }

    /// Moves the buffered rows into a record batch, leaving the buffer empty.
    pub(crate) fn take_batch(&mut self) -> Result<RecordBatch, arrow::error::ArrowError> {
        let specs = schema::columns(self.kind);
        let arrays: Vec<ArrayRef> = specs
            .iter()
            .zip(self.columns.iter_mut())
            .map(|(spec, column)| to_array(spec.class, std::mem::take(column)))
            .collect::<Result<_, _>>()?;
        RecordBatch::try_new(schema::arrow_schema(self.kind), arrays)
    }
}

/// Casts of values `schema::encode` produced from the column's own type (i64, u64, i8, u8),
/// so they are exact; sizes are checked against the decimal precision instead.
fn to_array(class: ColumnClass, values: Vec<i128>) -> Result<ArrayRef, arrow::error::ArrowError> {
    let narrow = |values: Vec<i128>| {
        values
            .into_iter()
            .map(|value| value as i64)
            .collect::<Vec<_>>()
    };
    Ok(match class {
        ColumnClass::Timestamp => {
            Arc::new(TimestampNanosecondArray::from(narrow(values)).with_timezone("UTC"))
        }
        ColumnClass::Fixed => Arc::new(Int64Array::from(narrow(values))),
        ColumnClass::Wide => {
            let array = Decimal128Array::from(values)
                .with_precision_and_scale(WIDE_PRECISION, WIDE_SCALE)?;
            // A size beyond 38 digits (10^29 units) would not be a valid DECIMAL(38, 9).
            array.validate_decimal_precision(WIDE_PRECISION)?;
            Arc::new(array)
        }
        ColumnClass::Unsigned => Arc::new(
            values
                .into_iter()
                .map(|value| value as u64)
                .collect::<UInt64Array>(),
        ),
        ColumnClass::Code => Arc::new(
            values
                .into_iter()
                .map(|value| value as i8)
                .collect::<Int8Array>(),
        ),
        ColumnClass::Flags => Arc::new(
            values
                .into_iter()
                .map(|value| value as u8)
                .collect::<UInt8Array>(),
        ),
    })
}

/// A typed view of one stored column.
enum ColumnView<'a> {
    Signed(&'a [i64]),
    Wide(&'a [i128]),
    Unsigned(&'a [u64]),
    Code(&'a [i8]),
    Flags(&'a [u8]),
}

impl ColumnView<'_> {
    #[inline]
    fn get(&self, row: usize) -> i128 {
        match self {
            Self::Signed(values) => i128::from(values[row]),
            Self::Wide(values) => values[row],
            Self::Unsigned(values) => i128::from(values[row]),
            Self::Code(values) => i128::from(values[row]),
            Self::Flags(values) => i128::from(values[row]),
        }
    }
}

fn view<'a>(
    class: ColumnClass,
    array: &'a ArrayRef,
    name: &str,
    path: &Path,
) -> Result<ColumnView<'a>, StorageError> {
    if array.null_count() > 0 {
        return Err(StorageError::corrupt(
            path,
            format!("column {name} holds nulls"),
        ));
    }
    let any = array.as_any();
    let wrong = || {
        StorageError::corrupt(
            path,
            format!("column {name} has type {}", array.data_type()),
        )
    };
    Ok(match class {
        ColumnClass::Timestamp => ColumnView::Signed(
            any.downcast_ref::<TimestampNanosecondArray>()
                .ok_or_else(wrong)?
                .values(),
        ),
        ColumnClass::Fixed => {
            ColumnView::Signed(any.downcast_ref::<Int64Array>().ok_or_else(wrong)?.values())
        }
        // Schema version 1 stored sizes as INT64 raw; both hold the same raw integer.
        ColumnClass::Wide => match (array.data_type(), any.downcast_ref::<Int64Array>()) {
            (_, Some(old)) => ColumnView::Signed(old.values()),
            (arrow::datatypes::DataType::Decimal128(_, WIDE_SCALE), None) => ColumnView::Wide(
                any.downcast_ref::<Decimal128Array>()
                    .ok_or_else(wrong)?
                    .values(),
            ),
            _ => return Err(wrong()),
        },
        ColumnClass::Unsigned => ColumnView::Unsigned(
            any.downcast_ref::<UInt64Array>()
                .ok_or_else(wrong)?
                .values(),
        ),
        ColumnClass::Code => {
            ColumnView::Code(any.downcast_ref::<Int8Array>().ok_or_else(wrong)?.values())
        }
        ColumnClass::Flags => {
            ColumnView::Flags(any.downcast_ref::<UInt8Array>().ok_or_else(wrong)?.values())
        }
    })
}

/// Decodes a batch read from one of our files, appending its events to `out`.
pub(crate) fn decode_batch(
    kind: StreamKind,
    batch: &RecordBatch,
    path: &Path,
    out: &mut Vec<MarketEvent>,
) -> Result<(), StorageError> {
    let specs = schema::columns(kind);
    if batch.num_columns() != specs.len() {
        return Err(StorageError::corrupt(
            path,
            format!(
                "{} columns, the {} schema has {}",
                batch.num_columns(),
                kind.as_str(),
                specs.len()
            ),
        ));
    }
    let views = specs
        .iter()
        .zip(batch.columns())
        .map(|(spec, array)| view(spec.class, array, spec.name, path))
        .collect::<Result<Vec<_>, _>>()?;
    out.reserve(batch.num_rows());
    let mut row: Row = [0; MAX_COLUMNS];
    for index in 0..batch.num_rows() {
        for (slot, column) in row.iter_mut().zip(&views) {
            *slot = column.get(index);
        }
        let event = schema::decode(kind, &row)
            .map_err(|message| StorageError::corrupt(path, format!("row {index}: {message}")))?;
        out.push(event);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{AggressorSide, Price, Quantity, Trade, TradeId, UnixNanos};

    use super::*;

    fn trade(ts_recv: i64, id: u64) -> MarketEvent {
        MarketEvent::Trade(Trade {
            ts_event: UnixNanos(ts_recv - 5),
            ts_recv: UnixNanos(ts_recv),
            price: Price(100 + id as i64),
            size: Quantity(1),
            aggressor: AggressorSide::Buy,
            trade_id: TradeId(id),
        })
    }

    #[test]
    fn sorting_is_stable_on_equal_timestamps() {
        // ts_recv 30, 10, 20, 10: ids 1..4 -> sorted 10(id 2), 10(id 4), 20(id 3), 30(id 1).
        let mut columns = EventColumns::new(StreamKind::Trade);
        for (ts, id) in [(30, 1), (10, 2), (20, 3), (10, 4)] {
            columns.push(&trade(ts, id));
        }
        assert!(columns.sort_by_ts_recv());
        assert!(!columns.sort_by_ts_recv());
        let batch = columns.take_batch().unwrap();
        assert!(columns.is_empty());
        let mut events = Vec::new();
        decode_batch(StreamKind::Trade, &batch, Path::new("memory"), &mut events).unwrap();
        assert_eq!(
            events,
            vec![trade(10, 2), trade(10, 4), trade(20, 3), trade(30, 1)]
        );
    }
}
