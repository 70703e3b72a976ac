//! The error type of the book crate.

use auction_trader_types::{BookSide, Price, Quantity};

/// Why a level update was refused. The book is left unchanged by a refused update.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BookError {
    /// SPEC 1.3: prices must be positive (zero is never a valid level price).
    #[error("{side} level price {price} is not positive")]
    NonPositivePrice { side: BookSide, price: Price },
    /// SPEC 1.3: sizes are never negative (zero removes the level).
    #[error("{side} level size {size} at {price} is negative")]
    NegativeSize {
        side: BookSide,
        price: Price,
        size: Quantity,
    },
    /// A tick size given by the caller must be positive.
    #[error("tick size {0} is not positive")]
    NonPositiveTick(Price),
    /// The level window must hold at least a few ticks.
    #[error("level window of {0} ticks is too small (minimum {min})", min = crate::ladder::MIN_WINDOW_TICKS)]
    WindowTooSmall(usize),
}
