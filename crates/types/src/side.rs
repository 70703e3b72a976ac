use std::fmt;

use serde::{Deserialize, Serialize};

/// Side of the order book a level or delta belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum BookSide {
    Bid,
    Ask,
}

impl BookSide {
    pub const fn opposite(self) -> Self {
        match self {
            Self::Bid => Self::Ask,
            Self::Ask => Self::Bid,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Bid => "bid",
            Self::Ask => "ask",
        }
    }
}

/// Which side initiated a trade (the taker). SPEC 1.1: Buy / Sell / Unknown when the venue does
/// not say and it has not been inferred.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub enum AggressorSide {
    Buy,
    Sell,
    #[default]
    Unknown,
}

impl AggressorSide {
    /// +1 for buys, −1 for sells, 0 for unknown (order-flow sign).
    pub const fn sign(self) -> i64 {
        match self {
            Self::Buy => 1,
            Self::Sell => -1,
            Self::Unknown => 0,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Buy => "buy",
            Self::Sell => "sell",
            Self::Unknown => "unknown",
        }
    }

    /// Compact code used in storage: 1 buy, −1 sell, 0 unknown.
    pub const fn code(self) -> i8 {
        self.sign() as i8
    }

    pub const fn from_code(code: i8) -> Self {
        match code {
            1 => Self::Buy,
            -1 => Self::Sell,
            _ => Self::Unknown,
        }
    }
}

impl fmt::Display for AggressorSide {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl fmt::Display for BookSide {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}
