//! Events of one kind as one in-memory Arrow record batch in the stored schema (see
//! [`schema`]): what a reader outside Rust (the Python bindings) gets instead
//! of the part files. [`NumberForm::Exact`] keeps the stored encoding (raw fixed-point INT64
//! prices, DECIMAL(38, 9) sizes); [`NumberForm::Float`] turns both into DOUBLE values for
//! DataFrame work (a price of raw 123_450_000_000 becomes 123.45).

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Decimal128Array, Float64Array, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use auction_trader_types::{FIXED_SCALE, MarketEvent, StreamKind};

use crate::StorageError;
use crate::columns::EventColumns;
use crate::schema::{self, ColumnClass};

/// How prices and sizes appear in an event table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NumberForm {
    /// As stored: prices INT64 raw (value = raw / 10^9), sizes DECIMAL(38, 9).
    Exact,
    /// Prices, rates and sizes as DOUBLE values.
    #[default]
    Float,
}

/// The events of `kind` among `events` (others are skipped), in their order, as one batch.
pub fn events_batch(
    kind: StreamKind,
    events: &[MarketEvent],
    numbers: NumberForm,
) -> Result<RecordBatch, StorageError> {
    let mut columns = EventColumns::new(kind);
    for event in events.iter().filter(|event| event.kind() == kind) {
        columns.push(event);
    }
    let in_memory = Path::new("<memory>");
    let batch = columns
        .take_batch()
        .map_err(|error| StorageError::arrow(in_memory, error))?;
    match numbers {
        NumberForm::Exact => Ok(batch),
        NumberForm::Float => {
            as_floats(kind, &batch).map_err(|error| StorageError::arrow(in_memory, error))
        }
    }
}

fn as_floats(
    kind: StreamKind,
    batch: &RecordBatch,
) -> Result<RecordBatch, arrow::error::ArrowError> {
    let scale = FIXED_SCALE as f64;
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (index, spec) in schema::columns(kind).iter().enumerate() {
        let column = batch.column(index);
        let floats: Option<Float64Array> = match spec.class {
            ColumnClass::Fixed => column
                .as_any()
                .downcast_ref::<Int64Array>()
                .map(|raw| raw.values().iter().map(|&raw| raw as f64 / scale).collect()),
            ColumnClass::Wide => column
                .as_any()
                .downcast_ref::<Decimal128Array>()
                .map(|raw| raw.values().iter().map(|&raw| raw as f64 / scale).collect()),
            _ => None,
        };
        match floats {
            Some(floats) => {
                fields.push(Field::new(spec.name, DataType::Float64, false));
                arrays.push(Arc::new(floats));
            }
            None => {
                fields.push(batch.schema().field(index).clone());
                arrays.push(Arc::clone(column));
            }
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, TimestampNanosecondArray};
    use auction_trader_types::{AggressorSide, Price, Quantity, Trade, TradeId, UnixNanos};

    use super::*;

    fn trade(ts: i64, price: &str, size: &str) -> MarketEvent {
        MarketEvent::Trade(Trade {
            ts_event: UnixNanos(ts),
            ts_recv: UnixNanos(ts + 5),
            price: price.parse::<Price>().unwrap(),
            size: size.parse::<Quantity>().unwrap(),
            aggressor: AggressorSide::Buy,
            trade_id: TradeId(7),
        })
    }

    #[test]
    fn trades_exact_and_as_floats() {
        let events = [trade(1_000, "123.45", "0.5"), trade(2_000, "99", "2.25")];
        let exact = events_batch(StreamKind::Trade, &events, NumberForm::Exact).unwrap();
        assert_eq!(exact.num_rows(), 2);
        let raw = exact
            .column_by_name("price")
            .unwrap()
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap();
        assert_eq!(raw.value(0), 123_450_000_000);
        let floats = events_batch(StreamKind::Trade, &events, NumberForm::Float).unwrap();
        let value = |name: &str, row: usize| {
            floats
                .column_by_name(name)
                .unwrap()
                .as_any()
                .downcast_ref::<Float64Array>()
                .unwrap()
                .value(row)
        };
        assert_eq!(value("price", 0), 123.45);
        assert_eq!(value("size", 1), 2.25);
        let recv = floats
            .column_by_name("ts_recv")
            .unwrap()
            .as_any()
            .downcast_ref::<TimestampNanosecondArray>()
            .unwrap();
        assert_eq!(recv.value(1), 2_005);
        assert_eq!(recv.len(), 2);
    }

    #[test]
    fn other_kinds_are_skipped() {
        let events = [trade(1_000, "1", "1")];
        let quotes = events_batch(StreamKind::Quote, &events, NumberForm::Float).unwrap();
        assert_eq!(quotes.num_rows(), 0);
        assert_eq!(quotes.num_columns(), 8);
    }
}
