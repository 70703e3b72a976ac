//! What a market-data connection delivers to the trading loop, whatever the venue.

use auction_trader_types::{MarketEvent, UnixNanos};

/// The time source of live code (the engine itself receives time only from events).
/// Live code injects the system clock; tests inject a manual one.
pub trait Clock: Send + Sync {
    fn now(&self) -> UnixNanos;
}

/// Why the order book is being rebuilt from a REST snapshot (SPEC 1.2: never continue on a
/// broken book).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResyncReason {
    /// First connection of the session.
    Start,
    /// A depth update did not continue the previous one (`pu` / `seq` mismatch).
    SequenceGap { expected: u64, received: u64 },
    /// The connection was lost and re-established.
    Reconnect,
}

/// One item of a market-data connection, in arrival order.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedMessage {
    /// A normalized event (`ts_recv` = our local receive time from the injected clock). Book
    /// snapshots arrive as `Depth` rows flagged SNAPSHOT/CLEAR exactly as the capture
    /// importer emits them, so one book code path serves replay and live.
    Event(MarketEvent),
    /// The book is being rebuilt; the snapshot rows follow.
    Resync { at: UnixNanos, reason: ResyncReason },
    /// The connection dropped; the adapter is reconnecting (backoff ≤ 60 s with jitter).
    Disconnected { at: UnixNanos, reason: String },
    /// The feed ended for good (the venue or mock closed it, or a stop was requested).
    Closed { at: UnixNanos },
}
