//! `orderbook.<depth>.<symbol>` snapshot and delta messages (Bybit v5 "Orderbook"):
//! `{"topic":"orderbook.500.XRPUSDT","type":"snapshot"|"delta","ts":..,"data":{"s":..,"b":..,
//! "a":..,"u":..,"seq":..},"cts":..}`. Each message becomes [`BookDelta`] rows, bids then asks:
//! `u` goes to `first_update_id` and `last_update_id`, `seq` to `prev_update_id`; a snapshot
//! (or a delta with `u == 1`, Bybit's service-restart snapshot) carries SNAPSHOT on every row
//! and CLEAR on the first; LAST marks the final row; a message without levels is one
//! EMPTY|LAST row. `ts_event` = `cts` (matching-engine time) when present, else `ts`.

use std::borrow::Cow;

use auction_trader_types::{BookDelta, BookSide, DeltaFlags, MarketEvent, Price, Quantity};
use serde::Deserialize;

use super::envelope::other_kind;
use super::{Channel, Decoded, Typed, TypedError, millis, symbol_of};
use crate::validity::check_event;
use auction_trader_types::UnixNanos;

/// A v5 order-book message as Bybit sends it (unknown fields ignored).
#[derive(Debug, Deserialize)]
struct Message<'a> {
    #[serde(borrow, default)]
    topic: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "type", default)]
    kind: Option<Cow<'a, str>>,
    #[serde(default)]
    ts: Option<i64>,
    #[serde(default)]
    cts: Option<i64>,
    #[serde(borrow, default)]
    data: Option<Book<'a>>,
    #[serde(borrow, default)]
    op: Option<Cow<'a, str>>,
}

/// The book part of a WebSocket message or of the REST `result`.
#[derive(Debug, Deserialize)]
pub(crate) struct Book<'a> {
    #[serde(borrow, default)]
    pub s: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub b: Vec<Vec<Cow<'a, str>>>,
    #[serde(borrow, default)]
    pub a: Vec<Vec<Cow<'a, str>>>,
    pub u: u64,
    #[serde(default)]
    pub seq: u64,
}

pub(crate) fn decode<'a>(
    json: &'a [u8],
    ts_recv: Option<UnixNanos>,
    out: &mut Vec<MarketEvent>,
) -> Typed<'a> {
    let message: Message<'a> = serde_json::from_slice(json).map_err(TypedError::Json)?;
    let topic = message.topic.unwrap_or_default();
    if !topic.starts_with("orderbook.") {
        return Ok(None);
    }
    let Some(book) = message.data else {
        return Ok(Some(Decoded::Skipped {
            kind: other_kind(&topic, message.op.as_deref()),
        }));
    };
    let snapshot = match message.kind.as_deref() {
        Some("snapshot") => true,
        Some("delta") => false,
        Some(other) => {
            return Err(format!("unknown order-book message type {other:?}").into());
        }
        None => return Err("order-book message without type".into()),
    };
    let ts = message.ts.ok_or("order-book message without ts")?;
    let sent = millis(ts)?;
    let ts_event = match message.cts {
        Some(cts) => millis(cts)?,
        None => sent,
    };
    let symbol = symbol_of(book.s.clone(), &topic, "order-book message without symbol")?;
    // Bybit v5: a delta with u = 1 follows a service restart and is a full snapshot.
    let resets = snapshot || book.u == 1;
    push_rows(&book, ts_event, ts_recv.unwrap_or(sent), resets, out)?;
    let depth = topic
        .split('.')
        .nth(1)
        .and_then(|depth| depth.parse().ok())
        .unwrap_or(0);
    Ok(Some(Decoded::Market {
        channel: Channel::Orderbook {
            depth,
            snapshot,
            update_id: book.u,
            sequence: book.seq,
        },
        symbol,
    }))
}

/// Appends the rows of one book message (all or nothing: every level passes the one value
/// rule of [`crate::validity`] first).
pub(crate) fn push_rows(
    book: &Book<'_>,
    ts_event: UnixNanos,
    ts_recv: UnixNanos,
    resets: bool,
    out: &mut Vec<MarketEvent>,
) -> Result<(), String> {
    let start = out.len();
    let template = BookDelta {
        ts_event,
        ts_recv,
        side: BookSide::Bid,
        price: Price::ZERO,
        size: Quantity::ZERO,
        first_update_id: book.u,
        last_update_id: book.u,
        prev_update_id: book.seq,
        flags: DeltaFlags::default(),
    };
    let result = build_rows(book, template, resets, out);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

fn build_rows(
    book: &Book<'_>,
    template: BookDelta,
    resets: bool,
    out: &mut Vec<MarketEvent>,
) -> Result<(), String> {
    let start = out.len();
    for (side, levels) in [(BookSide::Bid, &book.b), (BookSide::Ask, &book.a)] {
        for level in levels {
            let [price, size, ..] = level.as_slice() else {
                return Err(format!("{side} level without price and size"));
            };
            let price = Price::from_decimal_str(price).map_err(|error| error.to_string())?;
            let size = Quantity::from_decimal_str(size).map_err(|error| error.to_string())?;
            out.push(MarketEvent::Depth(BookDelta {
                side,
                price,
                size,
                ..template
            }));
        }
    }
    let base = if resets { DeltaFlags::SNAPSHOT } else { 0 };
    if out.len() == start {
        out.push(MarketEvent::Depth(BookDelta {
            flags: DeltaFlags(base | DeltaFlags::EMPTY),
            ..template
        }));
    }
    let last = out.len() - 1;
    for (index, event) in out.iter_mut().enumerate().skip(start) {
        let MarketEvent::Depth(row) = event else {
            continue;
        };
        let mut flags = base | row.flags.0;
        if resets && index == start {
            flags |= DeltaFlags::CLEAR;
        }
        if index == last {
            flags |= DeltaFlags::LAST;
        }
        row.flags = DeltaFlags(flags);
    }
    for event in &out[start..] {
        check_event(event).map_err(|invalid| invalid.0.to_owned())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{BybitDecoder, MessageError};
    use super::*;

    fn rows(out: &[MarketEvent]) -> Vec<BookDelta> {
        out.iter()
            .filter_map(|event| match event {
                MarketEvent::Depth(row) => Some(*row),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn live_receive_time_and_channel() {
        let json = br#"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1709891679500,"data":{"s":"BTCUSDT","b":[["27450.00","0.400"]],"a":[["27451.00","0"]],"u":123456790,"seq":987654322},"cts":1709891679498}"#;
        let mut out = Vec::new();
        let decoded = BybitDecoder::default()
            .decode(json, Some(UnixNanos(7)), &mut out)
            .unwrap();
        assert_eq!(
            decoded,
            Decoded::Market {
                channel: Channel::Orderbook {
                    depth: 50,
                    snapshot: false,
                    update_id: 123_456_790,
                    sequence: 987_654_322
                },
                symbol: Cow::Borrowed("BTCUSDT")
            }
        );
        let rows = rows(&out);
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|row| row.ts_recv == UnixNanos(7)));
        // cts 1709891679498 ms.
        assert_eq!(rows[0].ts_event, UnixNanos(1_709_891_679_498_000_000));
        // 27450.00 -> 27450 * 10^9; 0.400 -> 0.4 * 10^9.
        assert_eq!(rows[0].price.raw(), 27_450_000_000_000);
        assert_eq!(rows[0].size.raw(), 400_000_000);
        assert_eq!(rows[0].flags, DeltaFlags(0));
        assert_eq!(rows[1].flags, DeltaFlags(DeltaFlags::LAST));
    }

    #[test]
    fn a_bad_level_leaves_nothing_behind() {
        let json = br#"{"topic":"orderbook.1.BTCUSDT","type":"snapshot","ts":1,"data":{"s":"BTCUSDT","b":[["100","1"]],"a":[["-5","1"]],"u":3,"seq":4}}"#;
        let mut out = Vec::new();
        let error = BybitDecoder::default()
            .decode(json, None, &mut out)
            .unwrap_err();
        assert_eq!(error, MessageError("negative depth price".to_owned()));
        assert!(out.is_empty());
        let no_type =
            br#"{"topic":"orderbook.1.BTCUSDT","ts":1,"data":{"s":"BTCUSDT","b":[],"a":[],"u":3}}"#;
        let error = BybitDecoder::default()
            .decode(no_type, None, &mut out)
            .unwrap_err();
        assert_eq!(error.0, "order-book message without type");
    }
}
