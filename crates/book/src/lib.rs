//! The L2 order book of auction-trader: an integer-tick book ([`OrderBook`]) fast enough for
//! tick-level replay, venue sequencing rules with snapshot buffering and gap -> resync handling
//! ([`SequencedBook`], [`SequenceRule`]; SPEC 1.3, 1.5), top-of-book views and imbalance
//! helpers (SPEC 2.5), and `book verify` ([`BookVerifier`]): rebuild a capture's book and
//! compare it with the venue's best bid/ask stream.
//!
//! Depends only on `auction-trader-types`; it must not depend on storage, features or
//! strategies (they consume books from above).

mod error;
mod ladder;
mod order_book;
mod sequence;
mod sequenced_book;
#[cfg(test)]
mod test_support;
mod tick_divisor;
mod verify;

pub use error::BookError;
pub use ladder::{DEFAULT_WINDOW_TICKS, MIN_WINDOW_TICKS};
pub use order_book::OrderBook;
pub use sequence::SequenceRule;
pub use sequenced_book::{
    AppliedMessage, BookObserver, DEFAULT_BUFFER_ROWS, SequenceCounters, SequenceGap,
    SequencedBook, SyncState,
};
pub use verify::{BookVerifier, VerifyReport, verify_events};
