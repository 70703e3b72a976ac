//! Test helpers of the extended slice: timestamps and minimal snapshots.

use auction_trader_types::{NANOS_PER_MINUTE, NANOS_PER_SECOND, Price, UnixNanos};

use crate::snapshot::FeatureSnapshot;
use crate::snapshot::tests::sample;

pub(crate) fn seconds(value: i64) -> UnixNanos {
    UnixNanos(value * NANOS_PER_SECOND)
}

/// A snapshot closing at `close` (bar `[close − 1 min, close)`), price 100, nothing else set.
pub(crate) fn quiet_snapshot(close: UnixNanos) -> FeatureSnapshot {
    let mut snapshot = sample();
    snapshot.ts = close;
    snapshot.bar.ts_open = close.saturating_sub_nanos(NANOS_PER_MINUTE);
    snapshot.bar.ts_event = close;
    snapshot.bar.ts_recv = close;
    snapshot
}

/// A snapshot closing at minute `minute` with close price `close` and its log return.
pub(crate) fn close_snapshot(minute: i64, close: f64, log_return: f64) -> FeatureSnapshot {
    let mut snapshot = quiet_snapshot(UnixNanos(minute * NANOS_PER_MINUTE));
    let price = Price::from_f64_rounded(close).unwrap();
    snapshot.bar.open = price;
    snapshot.bar.high = price;
    snapshot.bar.low = price;
    snapshot.bar.close = price;
    snapshot.bar.vwap = price;
    snapshot.log_return = log_return;
    snapshot
}
