//! Hyperliquid fills in Parquet (shared data README: `hyperliquid/BTC_trades_*.parquet`):
//! columns `timestamp` (naive local time, UTC+2 in the published file), `price`, `size`,
//! `side` (`B`/`A`), `coin`.
//!
//! Every trade appears twice, one row per counterparty (one `B`, one `A` row with the same
//! timestamp, price and size). Rows of one timestamp are paired B-with-A on equal price and
//! size, in file order, and each pair becomes one trade; a row left without a partner is
//! still imported (good rows are never lost) and counted in a warning. Fills carry no
//! aggressor flag, so trades are [`AggressorSide::Unknown`], and no trade id (0). The one
//! timestamp serves as both `ts_event` and `ts_recv`.

use std::path::Path;

use auction_trader_data::instruments::HYPERLIQUID;
use auction_trader_data::{DataError, EventSink, ImportSummary, InstrumentSlot};
use auction_trader_types::{
    AggressorSide, InstrumentKey, MarketEvent, MarketKind, Price, Quantity, Trade, TradeId,
    UnixNanos,
};

use super::columns::{Label, find_column, fixed_at, for_each_batch, label_at, labels, nanos_at};
use super::{ForeignRun, layout_error};

/// How to read a Hyperliquid fills file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HyperliquidOptions {
    /// Offset of the naive `timestamp` column from UTC, in seconds (subtracted).
    pub utc_offset_seconds: i64,
}

impl Default for HyperliquidOptions {
    /// The published file is in UTC+2 (shared data README).
    fn default() -> Self {
        Self {
            utc_offset_seconds: 7_200,
        }
    }
}

/// Counterparty side of a fill row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FillSide {
    Bid,
    Ask,
}

/// One parsed fill row waiting for its partner.
#[derive(Debug, Clone, Copy)]
struct Fill {
    ts: i64,
    price: i64,
    size: i64,
    side: FillSide,
    slot: InstrumentSlot,
    paired: bool,
}

impl Fill {
    /// The trade a fill row stands for (no aggressor flag, no trade id in this layout).
    fn trade(&self) -> Trade {
        Trade {
            ts_event: UnixNanos(self.ts),
            ts_recv: UnixNanos(self.ts),
            price: Price(self.price),
            size: Quantity(self.size),
            aggressor: AggressorSide::Unknown,
            trade_id: TradeId(0),
        }
    }
}

/// Pairs the rows of one timestamp and emits their trades in file order.
#[derive(Debug, Default)]
struct Pairing {
    group: Vec<Fill>,
    pairs: u64,
    unpaired: u64,
}

impl Pairing {
    fn push(&mut self, fill: Fill, sink: &mut dyn EventSink, summary: &mut ImportSummary) {
        if self.group.first().is_some_and(|first| first.ts != fill.ts) {
            self.flush(sink, summary);
        }
        self.group.push(fill);
    }

    fn flush(&mut self, sink: &mut dyn EventSink, summary: &mut ImportSummary) {
        for index in 0..self.group.len() {
            if self.group[index].paired {
                continue;
            }
            let fill = self.group[index];
            let partner = self.group[index + 1..].iter().position(|other| {
                !other.paired
                    && other.side != fill.side
                    && other.price == fill.price
                    && other.size == fill.size
                    && other.slot == fill.slot
            });
            match partner {
                Some(offset) => {
                    self.group[index + 1 + offset].paired = true;
                    self.pairs += 1;
                }
                None => self.unpaired += 1,
            }
            self.group[index].paired = true;
            summary.events += 1;
            sink.event(fill.slot, MarketEvent::Trade(fill.trade()));
        }
        self.group.clear();
    }
}

/// Imports a Hyperliquid fills file; the instrument is `hyperliquid / <coin> / perp`.
pub fn import_hyperliquid_trades(
    path: &Path,
    options: HyperliquidOptions,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    let offset = options
        .utc_offset_seconds
        .checked_mul(1_000_000_000)
        .ok_or_else(|| DataError::InvalidOption("UTC offset out of range".to_owned()))?;
    let mut run = ForeignRun::new(path);
    let mut pairing = Pairing::default();
    let mut coins: Vec<(String, InstrumentSlot)> = Vec::new();
    for_each_batch(path, |batch, first_row| {
        let schema = batch.schema();
        let column = |name: &str| {
            find_column(&schema, &[name])
                .ok_or_else(|| layout_error(path, format!("no {name} column")))
        };
        let (timestamp, price, size) = (column("timestamp")?, column("price")?, column("size")?);
        let side =
            labels(batch.column(column("side")?)).map_err(|message| layout_error(path, message))?;
        let coin =
            labels(batch.column(column("coin")?)).map_err(|message| layout_error(path, message))?;
        for row in 0..batch.num_rows() {
            let line = first_row + row as u64 + 1;
            run.summary.records_read += 1;
            let parsed = (|| -> Result<Fill, String> {
                let ts = nanos_at(batch.column(timestamp), row, None, offset)?;
                let price_value = fixed_at(batch.column(price), row)?;
                let size_value = fixed_at(batch.column(size), row)?;
                let side = match label_at(&side, row) {
                    Some(Label::Text("B" | "b")) => FillSide::Bid,
                    Some(Label::Text("A" | "a")) => FillSide::Ask,
                    other => return Err(format!("side {other:?} is not B or A")),
                };
                let Some(Label::Text(coin)) = label_at(&coin, row) else {
                    return Err("no coin".to_owned());
                };
                let slot = match coins.iter().find(|(known, _)| known == coin) {
                    Some((_, slot)) => *slot,
                    None => {
                        let key = InstrumentKey::new(HYPERLIQUID, coin, MarketKind::Perpetual);
                        let slot = sink.instrument(&key);
                        coins.push((coin.to_owned(), slot));
                        slot
                    }
                };
                let fill = Fill {
                    ts,
                    price: run.snaps.record(batch.column(price), row, price_value),
                    size: run.snaps.record(batch.column(size), row, size_value),
                    side,
                    slot,
                    paired: false,
                };
                super::check(&MarketEvent::Trade(fill.trade()))?;
                Ok(fill)
            })();
            match parsed {
                Ok(fill) => pairing.push(fill, sink, &mut run.summary),
                Err(reason) => run.quarantine(sink, line, reason, batch, row),
            }
        }
        Ok(())
    })?;
    pairing.flush(sink, &mut run.summary);
    sink.warn(format!(
        "{}: {} counterparty row pairs merged into single trades; {} rows had no partner and were kept as trades",
        run.source, pairing.pairs, pairing.unpaired
    ));
    Ok(run.finish(sink))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        ArrayRef, Float64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
    };
    use arrow::datatypes::{Field, Schema};
    use auction_trader_data::CollectedEvents;
    use parquet::arrow::ArrowWriter;

    use super::*;

    #[test]
    fn counterparty_rows_pair_into_single_trades() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("fills.parquet");
        // Naive 2026-01-26T02:00:00.127 (UTC+2) = 2026-01-26T00:00:00.127Z.
        let local = 1_769_392_800_127_000_i64;
        let columns: Vec<(&str, ArrayRef)> = vec![
            (
                "timestamp",
                Arc::new(TimestampMicrosecondArray::from(vec![
                    local,
                    local,
                    local,
                    local,
                    local + 1,
                ])),
            ),
            (
                "price",
                Arc::new(Float64Array::from(vec![
                    86_638.0, 86_638.0, 86_637.0, 86_638.0, 86_640.0,
                ])),
            ),
            (
                "size",
                Arc::new(Float64Array::from(vec![0.00042, 0.00042, 0.3, 0.5, 0.1])),
            ),
            (
                "side",
                Arc::new(StringArray::from(vec!["B", "A", "B", "A", "X"])),
            ),
            ("coin", Arc::new(StringArray::from(vec!["BTC"; 5]))),
        ];
        let fields: Vec<Field> = columns
            .iter()
            .map(|(name, array)| Field::new(*name, array.data_type().clone(), true))
            .collect();
        let batch = RecordBatch::try_new(
            Arc::new(Schema::new(fields)),
            columns.into_iter().map(|(_, array)| array).collect(),
        )
        .unwrap();
        let mut writer =
            ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), batch.schema(), None)
                .unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();

        let mut sink = CollectedEvents::new();
        let summary =
            import_hyperliquid_trades(&path, HyperliquidOptions::default(), &mut sink).unwrap();
        // Rows 1+2 pair (one trade), rows 3 and 4 have no partner (kept), row 5 quarantined.
        assert_eq!(
            (summary.records_read, summary.events, summary.quarantined),
            (5, 3, 1)
        );
        assert_eq!(
            sink.instruments,
            vec![InstrumentKey::new(
                "hyperliquid",
                "BTC",
                MarketKind::Perpetual
            )]
        );
        let MarketEvent::Trade(first) = sink.events[0].event else {
            panic!("trade")
        };
        assert_eq!(first.ts_recv, UnixNanos(1_769_385_600_127_000_000));
        assert_eq!(
            (first.price, first.size),
            (Price(86_638_000_000_000), Quantity(420_000))
        );
        assert_eq!(first.aggressor, AggressorSide::Unknown);
        assert!(
            sink.warnings
                .iter()
                .any(|warning| warning.contains("1 counterparty row pairs")
                    && warning.contains("2 rows had no partner"))
        );
    }
}
