//! Normalized market events (SPEC 1.1). Every event carries `ts_event` (exchange time; equal
//! to `ts_recv` when the venue does not send one, see [`QuoteFlags::NO_EXCHANGE_TIME`]) and
//! `ts_recv` (local receive time, the replay order key of SPEC 1.5).

use serde::{Deserialize, Serialize};

use crate::{AggressorSide, BookSide, Price, Quantity, Rate, UnixNanos};

/// A venue trade identifier. Numeric ids (Binance, Bybit linear, bitFlyer, Tardis) are kept
/// as they are; non-numeric ids (BitMEX UUIDs, some Bybit dumps) are stored as their 64-bit
/// FNV-1a hash, which keeps duplicate detection valid (collision odds ~ n²/2^65).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct TradeId(pub u64);

impl TradeId {
    pub fn from_venue_str(text: &str) -> Self {
        match text.parse::<u64>() {
            Ok(number) => Self(number),
            Err(_) => Self(fnv1a_64(text.as_bytes())),
        }
    }
}

/// FNV-1a 64-bit hash: stable across platforms and releases (unlike `DefaultHasher`).
pub fn fnv1a_64(bytes: &[u8]) -> u64 {
    let mut hasher = Fnv1a64::new();
    hasher.update(bytes);
    hasher.finish()
}

/// Streaming FNV-1a 64-bit hasher, for content read in chunks (file hashes in the catalog).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fnv1a64(u64);

impl Default for Fnv1a64 {
    fn default() -> Self {
        Self::new()
    }
}

impl Fnv1a64 {
    pub const fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    pub fn update(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    pub const fn finish(self) -> u64 {
        self.0
    }
}

/// One execution printed by the venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trade {
    pub ts_event: UnixNanos,
    pub ts_recv: UnixNanos,
    pub price: Price,
    pub size: Quantity,
    pub aggressor: AggressorSide,
    pub trade_id: TradeId,
}

/// Bit flags of a [`Quote`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct QuoteFlags(pub u8);

impl QuoteFlags {
    /// The venue sent no exchange timestamp (e.g. Binance spot bookTicker): `ts_event` was
    /// set to `ts_recv`. SPEC 2.3 uses exchange-time ordering only when both sides have one.
    pub const NO_EXCHANGE_TIME: u8 = 1;

    pub const fn has_exchange_time(self) -> bool {
        self.0 & Self::NO_EXCHANGE_TIME == 0
    }
}

/// Best bid and ask (top of book).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub ts_event: UnixNanos,
    pub ts_recv: UnixNanos,
    pub bid_price: Price,
    pub bid_size: Quantity,
    pub ask_price: Price,
    pub ask_size: Quantity,
    /// Venue order-book update id this quote reflects (Binance `u`), 0 when absent.
    pub update_id: u64,
    pub flags: QuoteFlags,
}

/// Bit flags of a [`BookDelta`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeltaFlags(pub u8);

impl DeltaFlags {
    /// The row belongs to a full snapshot rather than an incremental update.
    pub const SNAPSHOT: u8 = 1;
    /// Clear the whole book before applying this row (first row of a snapshot, Bybit `u=1`).
    pub const CLEAR: u8 = 2;
    /// Last row of one venue message: the book is consistent after applying it.
    pub const LAST: u8 = 4;
    /// A message that carried no levels at all (an empty diff still advances the sequence);
    /// the row's price and size are zero and must not be applied as a level.
    pub const EMPTY: u8 = 8;

    pub const fn contains(self, flag: u8) -> bool {
        self.0 & flag != 0
    }

    pub const fn is_snapshot(self) -> bool {
        self.contains(Self::SNAPSHOT)
    }

    pub const fn is_clear(self) -> bool {
        self.contains(Self::CLEAR)
    }

    pub const fn is_last(self) -> bool {
        self.contains(Self::LAST)
    }

    pub const fn is_empty_message(self) -> bool {
        self.contains(Self::EMPTY)
    }
}

/// One price level of an L2 update or snapshot, flattened so a message of N levels is N rows
/// (no allocation per message in replay). `size` is the new absolute size; zero removes the
/// level (SPEC 1.1). The sequence fields repeat on every row of the message:
/// `first_update_id`/`last_update_id` are Binance `U`/`u` (Bybit: `u` in both,
/// `prev_update_id` = Bybit `seq`), `prev_update_id` is Binance futures `pu`. Zero = absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookDelta {
    pub ts_event: UnixNanos,
    pub ts_recv: UnixNanos,
    pub side: BookSide,
    pub price: Price,
    pub size: Quantity,
    pub first_update_id: u64,
    pub last_update_id: u64,
    pub prev_update_id: u64,
    pub flags: DeltaFlags,
}

/// A funding-rate print (SPEC 1.1), with mark and index prices where the venue sends them
/// (zero = absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Funding {
    pub ts_event: UnixNanos,
    pub ts_recv: UnixNanos,
    pub rate: Rate,
    pub next_funding_time: UnixNanos,
    pub mark_price: Price,
    pub index_price: Price,
}

/// A forced liquidation order. `side` is the side of the liquidation order itself
/// (a `Sell` liquidates a long).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Liquidation {
    pub ts_event: UnixNanos,
    pub ts_recv: UnixNanos,
    pub side: AggressorSide,
    pub price: Price,
    pub size: Quantity,
}

/// A time bar (SPEC 1.1: 1-minute OHLCV + VWAP + buy/sell volume + trade count).
/// `ts_open` is the first nanosecond of the bar; `ts_event = ts_recv = ts_open + interval`
/// (a bar is only known at its close: no look-ahead).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bar {
    pub ts_open: UnixNanos,
    pub ts_event: UnixNanos,
    pub ts_recv: UnixNanos,
    pub open: Price,
    pub high: Price,
    pub low: Price,
    pub close: Price,
    pub volume: Quantity,
    /// Volume-weighted average price; equals `close` for a bar without volume.
    pub vwap: Price,
    pub buy_volume: Quantity,
    pub sell_volume: Quantity,
    pub trade_count: u64,
}

/// The kinds of stream, in the fixed tie-break priority of the replay merge (SPEC 1.5):
/// at equal `ts_recv`, depth is applied before the quote, the quote before the trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum StreamKind {
    Depth,
    Quote,
    Trade,
    Liquidation,
    Funding,
    Bar,
}

impl StreamKind {
    pub const ALL: [Self; 6] = [
        Self::Depth,
        Self::Quote,
        Self::Trade,
        Self::Liquidation,
        Self::Funding,
        Self::Bar,
    ];

    /// Lower value wins ties in the replay merge.
    pub const fn priority(self) -> u8 {
        self as u8
    }

    /// Name used in storage paths and reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Depth => "depth",
            Self::Quote => "quotes",
            Self::Trade => "trades",
            Self::Liquidation => "liquidations",
            Self::Funding => "funding",
            Self::Bar => "bars",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

/// Any normalized market event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MarketEvent {
    Depth(BookDelta),
    Quote(Quote),
    Trade(Trade),
    Liquidation(Liquidation),
    Funding(Funding),
    Bar(Bar),
}

impl MarketEvent {
    #[inline]
    pub const fn ts_recv(&self) -> UnixNanos {
        match self {
            Self::Depth(event) => event.ts_recv,
            Self::Quote(event) => event.ts_recv,
            Self::Trade(event) => event.ts_recv,
            Self::Liquidation(event) => event.ts_recv,
            Self::Funding(event) => event.ts_recv,
            Self::Bar(event) => event.ts_recv,
        }
    }

    #[inline]
    pub const fn ts_event(&self) -> UnixNanos {
        match self {
            Self::Depth(event) => event.ts_event,
            Self::Quote(event) => event.ts_event,
            Self::Trade(event) => event.ts_event,
            Self::Liquidation(event) => event.ts_event,
            Self::Funding(event) => event.ts_event,
            Self::Bar(event) => event.ts_event,
        }
    }

    #[inline]
    pub const fn kind(&self) -> StreamKind {
        match self {
            Self::Depth(_) => StreamKind::Depth,
            Self::Quote(_) => StreamKind::Quote,
            Self::Trade(_) => StreamKind::Trade,
            Self::Liquidation(_) => StreamKind::Liquidation,
            Self::Funding(_) => StreamKind::Funding,
            Self::Bar(_) => StreamKind::Bar,
        }
    }

    /// Returns a copy with both timestamps shifted by `nanos` (used by `bench --repeat`).
    pub fn shifted(mut self, nanos: i64) -> Self {
        let shift = |stamp: &mut UnixNanos| *stamp = stamp.saturating_add_nanos(nanos);
        match &mut self {
            Self::Depth(event) => {
                shift(&mut event.ts_event);
                shift(&mut event.ts_recv);
            }
            Self::Quote(event) => {
                shift(&mut event.ts_event);
                shift(&mut event.ts_recv);
            }
            Self::Trade(event) => {
                shift(&mut event.ts_event);
                shift(&mut event.ts_recv);
            }
            Self::Liquidation(event) => {
                shift(&mut event.ts_event);
                shift(&mut event.ts_recv);
            }
            Self::Funding(event) => {
                shift(&mut event.ts_event);
                shift(&mut event.ts_recv);
            }
            Self::Bar(event) => {
                shift(&mut event.ts_open);
                shift(&mut event.ts_event);
                shift(&mut event.ts_recv);
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trade_ids_keep_numbers_and_hash_uuids_stably() {
        assert_eq!(
            TradeId::from_venue_str("5266583935"),
            TradeId(5_266_583_935)
        );
        let uuid = TradeId::from_venue_str("ccc3c1fa-212c-e8b0-1706-9b9c4f3d5ecf");
        assert_eq!(
            uuid,
            TradeId::from_venue_str("ccc3c1fa-212c-e8b0-1706-9b9c4f3d5ecf")
        );
        assert_ne!(
            uuid,
            TradeId::from_venue_str("ccc3c1fa-212c-e8b0-1706-9b9c4f3d5ece")
        );
        // FNV-1a reference value of the empty input.
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn stream_priority_orders_depth_before_quote_before_trade() {
        assert!(StreamKind::Depth.priority() < StreamKind::Quote.priority());
        assert!(StreamKind::Quote.priority() < StreamKind::Trade.priority());
        for kind in StreamKind::ALL {
            assert_eq!(StreamKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn market_events_stay_small() {
        // Replay throughput depends on this; grow it only deliberately. The i128 sizes of a
        // bar (volume, buy and sell volume) set the bound since sizes were widened; they are
        // 8-byte aligned (`repr(C, packed(8))`) so that a bar does not pad to 16.
        assert!(std::mem::size_of::<MarketEvent>() <= 128);
    }
}
