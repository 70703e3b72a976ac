//! Hand-made depth messages for unit tests.

use auction_trader_types::{BookDelta, BookSide, DeltaFlags, Price, Quantity, UnixNanos};

/// One venue message: `levels` as (side, price, size) rows in whole units with shared ids.
pub(crate) struct Message {
    pub(crate) first: u64,
    pub(crate) last: u64,
    pub(crate) prev: u64,
    pub(crate) snapshot: bool,
    pub(crate) levels: Vec<(BookSide, i64, i64)>,
}

pub(crate) fn diff(first: u64, last: u64, prev: u64, levels: &[(BookSide, i64, i64)]) -> Message {
    Message {
        first,
        last,
        prev,
        snapshot: false,
        levels: levels.to_vec(),
    }
}

pub(crate) fn snapshot(id: u64, levels: &[(BookSide, i64, i64)]) -> Message {
    Message {
        first: id,
        last: id,
        prev: 0,
        snapshot: true,
        levels: levels.to_vec(),
    }
}

/// The rows an importer produces for a message (CLEAR on a snapshot's first row, LAST on the
/// final row, a single EMPTY row for a message without levels).
pub(crate) fn rows(message: &Message) -> Vec<BookDelta> {
    let base = if message.snapshot {
        DeltaFlags::SNAPSHOT
    } else {
        0
    };
    let template = |side, price: i64, size: i64, flags| BookDelta {
        ts_event: UnixNanos(0),
        ts_recv: UnixNanos(message.last as i64),
        side,
        price: Price::from_raw(price * 1_000_000_000),
        size: Quantity::from_raw(i128::from(size) * 1_000_000_000),
        first_update_id: message.first,
        last_update_id: message.last,
        prev_update_id: message.prev,
        flags: DeltaFlags(flags),
    };
    if message.levels.is_empty() {
        let clear = if message.snapshot {
            DeltaFlags::CLEAR
        } else {
            0
        };
        let flags = base | clear | DeltaFlags::EMPTY | DeltaFlags::LAST;
        return vec![template(BookSide::Bid, 0, 0, flags)];
    }
    let count = message.levels.len();
    message
        .levels
        .iter()
        .enumerate()
        .map(|(index, &(side, price, size))| {
            let mut flags = base;
            if index == 0 && message.snapshot {
                flags |= DeltaFlags::CLEAR;
            }
            if index + 1 == count {
                flags |= DeltaFlags::LAST;
            }
            template(side, price, size, flags)
        })
        .collect()
}
