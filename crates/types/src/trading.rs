//! The trading vocabulary shared by strategies, risk, the engine and run records: position
//! directions, the setup that produced a signal, the intent to open a position and the reasons
//! a position closes. It lives here, at the bottom of the crate graph, so risk and storage
//! read it without depending on the strategy crate.

use serde::Serialize;

use crate::names::named_enum;
use crate::{OrderSide, Price, Rate, TimeoutAction, UnixNanos};

/// Direction of a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    Long,
    Short,
}

named_enum!(Direction, "direction", { Long => "long", Short => "short" });

impl Direction {
    /// The order side that opens a position in this direction.
    pub const fn entry_side(self) -> OrderSide {
        match self {
            Self::Long => OrderSide::Buy,
            Self::Short => OrderSide::Sell,
        }
    }

    /// +1 long, −1 short.
    pub const fn sign(self) -> i64 {
        match self {
            Self::Long => 1,
            Self::Short => -1,
        }
    }

    pub const fn opposite(self) -> Self {
        match self {
            Self::Long => Self::Short,
            Self::Short => Self::Long,
        }
    }
}

/// The setup that produced a signal (SPEC 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SetupKind {
    /// SPEC 3.1 break-in (mean reversion into value).
    BreakIn,
    /// SPEC 3.1 breakout acceptance, immediate entry.
    Breakout,
    /// SPEC 3.1 breakout acceptance, retest entry.
    BreakoutRetest,
    /// SPEC 3.1 failed breakout (reversal toward POC).
    FailedBreakout,
    /// SPEC 3.2 liquidity-drain reversal.
    Drain,
    /// SPEC 3.3 statistical mean reversion (z-score against EMA/VWAP).
    MeanReversion,
    /// A strategy outside the auction family (direct orders, research strategies).
    Other,
}

named_enum!(SetupKind, "setup", {
    BreakIn => "break_in",
    Breakout => "breakout",
    BreakoutRetest => "breakout_retest",
    FailedBreakout => "failed_breakout",
    Drain => "drain",
    MeanReversion => "mean_reversion",
    Other => "other",
});

/// How the entry order is placed (SPEC 5: limit at the best bid for longs / best ask for
/// shorts, converted to market after the timeout for auction setups).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EntryOrder {
    Market,
    Limit {
        price: Price,
        post_only: bool,
        /// Nanoseconds after arrival at the exchange.
        timeout_nanos: i64,
        on_timeout: TimeoutAction,
    },
}

/// A request to open a position. Risk sizes it (SPEC 4), order management places the entry
/// and, once filled, watches the stop and targets on every trade print (SPEC 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TradeIntent {
    pub ts: UnixNanos,
    pub setup: SetupKind,
    pub direction: Direction,
    pub entry: EntryOrder,
    /// Price used for sizing: the limit price, or the expected fill of a market entry.
    pub entry_price: Price,
    pub stop: Price,
    /// TP1 (30% of the position by default); `None` for single-target strategies.
    pub take_profit_1: Option<Price>,
    /// TP2 (the remainder).
    pub take_profit_2: Price,
    /// Multiplier on the risk-based size in (0, 1] (SPEC 3.2 drain volatility / session
    /// sizing); `Rate::ONE` = unscaled.
    pub size_factor: Rate,
}

/// Why a position (or part of it) was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExitReason {
    StopLoss,
    /// The stop after TP1, moved to the entry price (SPEC 4).
    BreakevenStop,
    TakeProfit1,
    TakeProfit2,
    /// Max hold reached and the position was not profitable net of fees (SPEC 4).
    MaxHold,
    /// SPEC 3.1 breakout: a close back inside value.
    CloseInsideValue,
    /// An opposite signal: close, then open the other way (SPEC 4: flip as two trades).
    Flip,
    /// A strategy's own exit rule (e.g. time exit, z back to 0).
    Strategy,
    /// The run ended with the position open (closed at the last price, marked as such).
    EndOfData,
}

named_enum!(ExitReason, "exit reason", {
    StopLoss => "stop_loss",
    BreakevenStop => "breakeven_stop",
    TakeProfit1 => "take_profit_1",
    TakeProfit2 => "take_profit_2",
    MaxHold => "max_hold",
    CloseInsideValue => "close_inside_value",
    Flip => "flip",
    Strategy => "strategy",
    EndOfData => "end_of_data",
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::Named;

    #[test]
    fn names_round_trip_and_unknown_names_list_the_known_ones() {
        for reason in ExitReason::ALL {
            assert_eq!(reason.as_str().parse::<ExitReason>().unwrap(), *reason);
            assert_eq!(
                serde_json::to_string(reason).unwrap(),
                format!("\"{}\"", reason.as_str())
            );
        }
        for setup in SetupKind::ALL {
            assert_eq!(setup.to_string().parse::<SetupKind>().unwrap(), *setup);
        }
        assert_eq!("short".parse::<Direction>().unwrap(), Direction::Short);
        let err = "sideways".parse::<Direction>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown direction `sideways` (known: long, short)"
        );
        assert_eq!(Direction::Short.entry_side(), OrderSide::Sell);
        assert_eq!(Direction::Long.opposite().sign(), -1);
    }
}
