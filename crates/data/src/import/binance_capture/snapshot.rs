//! The REST depth snapshot (`{"lastUpdateId":..,"bids":..,"asks":..}`): its owner symbol
//! (named, the source's only depth symbol, the caller's choice, or buffered until the next
//! depth message tells), and the row layout every depth message shares: one `BookDelta` per
//! level, bids then asks, LAST on the final row; snapshots flag every row SNAPSHOT and the
//! first CLEAR (SPEC 1.1 depth, 1.3 never lose a good row).

use auction_trader_types::{
    BookDelta, BookSide, DeltaFlags, MarketEvent, Price, Quantity, UnixNanos,
};

use super::decoder::{BinanceDecoder, Fault, LevelBuffers, Output, Scan};
use super::scanner::{Fields, Value, exchange_time, integer, text};
use super::venue::Family;
use crate::validity::check_event;
use crate::{EventSink, InstrumentSlot, QuarantinedRow};

/// A snapshot line that arrived before any depth message told whose it is.
#[derive(Debug)]
pub(super) struct DeferredSnapshot {
    pub(super) line: Vec<u8>,
    pub(super) number: u64,
}

impl BinanceDecoder {
    pub(super) fn snapshot(
        &mut self,
        fields: &Fields<'_>,
        stream: Option<&[u8]>,
        ts_recv: UnixNanos,
        line: &[u8],
        number: u64,
        sink: &mut dyn EventSink,
    ) -> Scan<()> {
        let last_update_id = integer(fields.last_update_id, "snapshot without lastUpdateId")?;
        check_level_arrays(
            fields.bids,
            fields.asks,
            &self.levels,
            "snapshot without bids or asks",
        )?;
        let exchange = fields.e_upper.or(fields.t_upper);
        let ts_event = match exchange {
            Some(raw) => exchange_time(Some(raw), "")?,
            None => ts_recv,
        };
        let named = match fields.symbol.or(fields.s) {
            Some(value) => Some(text(value)?),
            None => stream.and_then(|name| memchr::memchr(b'@', name).map(|at| &name[..at])),
        };
        let symbol: Vec<u8> = match named {
            Some(symbol) => symbol.to_vec(),
            None => match (self.file.depth_symbols.as_slice(), &self.snapshot_symbol) {
                ([only], _) => only.clone(),
                ([], Some(symbol)) => symbol.clone(),
                ([], None) => {
                    // Defer until a depth message (or the end of the file) says whose it is.
                    if self.file.deferred.is_some() {
                        return Err(Fault("second depth snapshot before any depth message"));
                    }
                    // Re-parsed when replayed: the converted local time travels with it.
                    self.file.deferred = Some(DeferredSnapshot {
                        line: encode_deferred(ts_recv, line),
                        number,
                    });
                    return Ok(());
                }
                (_, Some(symbol)) => symbol.clone(),
                (_, None) => {
                    return Err(Fault(
                        "depth snapshot without symbol in a multi-symbol file",
                    ));
                }
            },
        };
        self.stats.snapshots += 1;
        let hint = if exchange.is_some() {
            Family::Futures
        } else {
            Family::Spot
        };
        let slot = self.slot(&symbol, Some(hint), sink)?;
        let template = BookDelta {
            ts_event,
            ts_recv,
            side: BookSide::Bid,
            price: Price::ZERO,
            size: Quantity::ZERO,
            first_update_id: last_update_id,
            last_update_id,
            prev_update_id: 0,
            flags: DeltaFlags::default(),
        };
        emit_rows(
            &mut self.output,
            slot,
            template,
            &self.levels,
            DeltaFlags::SNAPSHOT,
            sink,
        )
    }

    /// Emits a deferred snapshot now that its symbol is known.
    pub(super) fn replay_deferred(
        &mut self,
        deferred: DeferredSnapshot,
        symbol: &[u8],
        sink: &mut dyn EventSink,
    ) {
        let saved = self.snapshot_symbol.replace(symbol.to_vec());
        let saved_depth = std::mem::take(&mut self.file.depth_symbols);
        // The current message's levels are parsed already: decode the snapshot aside.
        let saved_levels = std::mem::take(&mut self.levels);
        let (ts_recv, json) = decode_deferred(&deferred.line);
        let result = self.decode_json(json, ts_recv, deferred.number, sink);
        self.levels = saved_levels;
        self.file.depth_symbols = saved_depth;
        self.snapshot_symbol = saved;
        if let Err(fault) = result {
            self.summary.quarantined += 1;
            sink.quarantine(QuarantinedRow::new(
                &self.file.source,
                deferred.number,
                fault.0,
                json,
            ));
        }
    }
}

/// A deferred snapshot keeps its already-converted local time in front of the JSON.
fn encode_deferred(ts_recv: UnixNanos, line: &[u8]) -> Vec<u8> {
    let json_start = memchr::memchr(b'{', line).unwrap_or(line.len());
    let mut encoded = Vec::with_capacity(8 + line.len() - json_start);
    encoded.extend_from_slice(&ts_recv.as_i64().to_le_bytes());
    encoded.extend_from_slice(&line[json_start..]);
    encoded
}

fn decode_deferred(encoded: &[u8]) -> (UnixNanos, &[u8]) {
    let mut stamp = [0_u8; 8];
    let head = encoded.len().min(8);
    stamp[..head].copy_from_slice(&encoded[..head]);
    (UnixNanos(i64::from_le_bytes(stamp)), &encoded[head..])
}

/// Emits one row per level (bids then asks); LAST on the final row; a message without
/// levels becomes one EMPTY|LAST row. Snapshots add SNAPSHOT everywhere and CLEAR first.
/// All or nothing: every level is checked before the first row is emitted.
pub(super) fn emit_rows(
    output: &mut Output,
    slot: InstrumentSlot,
    template: BookDelta,
    levels: &LevelBuffers,
    base_flags: u8,
    sink: &mut dyn EventSink,
) -> Scan<()> {
    let snapshot = base_flags & DeltaFlags::SNAPSHOT != 0;
    if levels.is_empty() {
        let clear = if snapshot { DeltaFlags::CLEAR } else { 0 };
        let flags = base_flags | DeltaFlags::LAST | DeltaFlags::EMPTY | clear;
        let row = BookDelta {
            flags: DeltaFlags(flags),
            ..template
        };
        return output.emit(slot, MarketEvent::Depth(row), sink);
    }
    for &(price, size) in levels.bids.iter().chain(&levels.asks) {
        let row = BookDelta {
            price,
            size,
            ..template
        };
        check_event(&MarketEvent::Depth(row)).map_err(|invalid| Fault(invalid.0))?;
    }
    let total = levels.bids.len() + levels.asks.len();
    let bids = levels
        .bids
        .iter()
        .map(|&(price, size)| (BookSide::Bid, price, size));
    let asks = levels
        .asks
        .iter()
        .map(|&(price, size)| (BookSide::Ask, price, size));
    for (index, (side, price, size)) in bids.chain(asks).enumerate() {
        let mut flags = base_flags;
        if index == 0 && snapshot {
            flags |= DeltaFlags::CLEAR;
        }
        if index + 1 == total {
            flags |= DeltaFlags::LAST;
        }
        let row = BookDelta {
            side,
            price,
            size,
            flags: DeltaFlags(flags),
            ..template
        };
        output.emit(slot, MarketEvent::Depth(row), sink)?;
    }
    Ok(())
}

/// Both level arrays must be present and well formed (they were parsed with the message).
pub(super) fn check_level_arrays(
    bids: Option<Value<'_>>,
    asks: Option<Value<'_>>,
    levels: &LevelBuffers,
    missing: &'static str,
) -> Scan<()> {
    match (bids.map(|value| value.raw), asks.map(|value| value.raw)) {
        (Some([b'[', ..]), Some([b'[', ..])) => levels.fault.map_or(Ok(()), Err),
        (Some(_), Some(_)) => Err(Fault("depth levels are not an array")),
        _ => Err(Fault(missing)),
    }
}
