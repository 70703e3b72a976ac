//! The Binance spot Parquet tables of the Nautilus test data (shared data README:
//! `nautilus/binance_spot_btcusdt_{trades,quotes}_20210108.parquet`, written by pandas with
//! Brotli compression):
//! - trades: `timestamp` (ms, UTC), `trade_id`, `price`, `quantity`, `buyer_maker`
//!   (`"True"`/`"False"`; Binance `m`: true means the buyer was the maker, so the aggressor
//!   SOLD);
//! - quotes: `timestamp`, `symbol`, `ask_size`, `ask`, `bid_size`, `bid`.
//!
//! The files carry one timestamp per row, used as both `ts_event` and `ts_recv`; quotes are
//! flagged [`QuoteFlags::NO_EXCHANGE_TIME`] as bookTicker has no exchange time.

use std::path::Path;

use arrow::array::RecordBatch;
use auction_trader_data::{DataError, EventSink, ImportSummary};
use auction_trader_types::{
    AggressorSide, InstrumentKey, MarketEvent, Price, Quantity, Quote, QuoteFlags, Trade, TradeId,
    UnixNanos,
};

use super::columns::{
    Label, find_column, fixed_at, for_each_batch, integer_unit, label_at, labels, nanos_at,
};
use super::{ForeignRun, layout_error};

fn column(path: &Path, batch: &RecordBatch, names: &[&str]) -> Result<usize, DataError> {
    find_column(&batch.schema(), names)
        .ok_or_else(|| layout_error(path, format!("no {} column", names.join("/"))))
}

fn fixed(
    run: &mut ForeignRun,
    batch: &RecordBatch,
    index: usize,
    row: usize,
) -> Result<i64, String> {
    let array = batch.column(index);
    let converted = fixed_at(array, row)?;
    Ok(run.snaps.record(array, row, converted))
}

fn stamp(batch: &RecordBatch, index: usize, row: usize) -> Result<UnixNanos, String> {
    let array = batch.column(index);
    nanos_at(array, row, integer_unit(array), 0).map(UnixNanos)
}

/// Imports a Nautilus trades table for `instrument`.
pub fn import_nautilus_trades(
    path: &Path,
    instrument: &InstrumentKey,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    let slot = sink.instrument(instrument);
    let mut run = ForeignRun::new(path);
    for_each_batch(path, |batch, first_row| {
        let timestamp = column(path, batch, &["timestamp", "ts"])?;
        let ids = labels(batch.column(column(path, batch, &["trade_id", "id"])?))
            .map_err(|message| layout_error(path, message))?;
        let price = column(path, batch, &["price"])?;
        let quantity = column(path, batch, &["quantity", "size", "qty"])?;
        let maker = labels(batch.column(column(
            path,
            batch,
            &["buyer_maker", "is_buyer_maker", "m"],
        )?))
        .map_err(|message| layout_error(path, message))?;
        for row in 0..batch.num_rows() {
            let line = first_row + row as u64 + 1;
            run.summary.records_read += 1;
            let parsed = (|| -> Result<Trade, String> {
                let ts = stamp(batch, timestamp, row)?;
                // Binance `m` (buyer is maker): true -> the aggressor sold.
                let aggressor = match label_at(&maker, row) {
                    Some(Label::Flag(true)) => AggressorSide::Sell,
                    Some(Label::Flag(false)) => AggressorSide::Buy,
                    Some(Label::Text(text)) if text.eq_ignore_ascii_case("true") => {
                        AggressorSide::Sell
                    }
                    Some(Label::Text(text)) if text.eq_ignore_ascii_case("false") => {
                        AggressorSide::Buy
                    }
                    other => return Err(format!("buyer_maker {other:?} is not true or false")),
                };
                let id = match label_at(&ids, row) {
                    Some(Label::Number(number)) => TradeId(
                        u64::try_from(number).map_err(|_| format!("negative trade id {number}"))?,
                    ),
                    Some(Label::Text(text)) => TradeId::from_venue_str(text.trim()),
                    other => return Err(format!("trade id {other:?}")),
                };
                Ok(Trade {
                    ts_event: ts,
                    ts_recv: ts,
                    price: Price(fixed(&mut run, batch, price, row)?),
                    size: Quantity(fixed(&mut run, batch, quantity, row)?),
                    aggressor,
                    trade_id: id,
                })
            })();
            let parsed = parsed.and_then(|trade| {
                super::check(&MarketEvent::Trade(trade))?;
                Ok(trade)
            });
            match parsed {
                Ok(trade) => {
                    run.summary.events += 1;
                    sink.event(slot, MarketEvent::Trade(trade));
                }
                Err(reason) => run.quarantine(sink, line, reason, batch, row),
            }
        }
        Ok(())
    })?;
    Ok(run.finish(sink))
}

/// Imports a Nautilus quotes table for `instrument`.
pub fn import_nautilus_quotes(
    path: &Path,
    instrument: &InstrumentKey,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    let slot = sink.instrument(instrument);
    let mut run = ForeignRun::new(path);
    for_each_batch(path, |batch, first_row| {
        let timestamp = column(path, batch, &["timestamp", "ts"])?;
        let bid = column(path, batch, &["bid", "bid_price"])?;
        let bid_size = column(path, batch, &["bid_size"])?;
        let ask = column(path, batch, &["ask", "ask_price"])?;
        let ask_size = column(path, batch, &["ask_size"])?;
        for row in 0..batch.num_rows() {
            let line = first_row + row as u64 + 1;
            run.summary.records_read += 1;
            let parsed = (|| -> Result<Quote, String> {
                let ts = stamp(batch, timestamp, row)?;
                Ok(Quote {
                    ts_event: ts,
                    ts_recv: ts,
                    bid_price: Price(fixed(&mut run, batch, bid, row)?),
                    bid_size: Quantity(fixed(&mut run, batch, bid_size, row)?),
                    ask_price: Price(fixed(&mut run, batch, ask, row)?),
                    ask_size: Quantity(fixed(&mut run, batch, ask_size, row)?),
                    update_id: 0,
                    flags: QuoteFlags(QuoteFlags::NO_EXCHANGE_TIME),
                })
            })();
            let parsed = parsed.and_then(|quote| {
                super::check(&MarketEvent::Quote(quote))?;
                Ok(quote)
            });
            match parsed {
                Ok(quote) => {
                    run.summary.events += 1;
                    sink.event(slot, MarketEvent::Quote(quote));
                }
                Err(reason) => run.quarantine(sink, line, reason, batch, row),
            }
        }
        Ok(())
    })?;
    Ok(run.finish(sink))
}
