//! Orders and execution reports: the vocabulary between strategies, risk, order management
//! and an exchange (simulated or live). SPEC 5: one fill model for backtest and paper, so the
//! same types flow in every mode.

use serde::{Deserialize, Serialize};

use crate::names::named_enum;
use crate::{Money, Price, Quantity, Rate, UnixNanos};

/// Engine-assigned order identifier, unique within a run (assigned in submission order, so
/// runs are deterministic).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct OrderId(pub u64);

/// Direction of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OrderSide {
    Buy,
    Sell,
}

impl OrderSide {
    /// +1 for buys, −1 for sells (position sign of a fill).
    pub const fn sign(self) -> i64 {
        match self {
            Self::Buy => 1,
            Self::Sell => -1,
        }
    }

    pub const fn opposite(self) -> Self {
        match self {
            Self::Buy => Self::Sell,
            Self::Sell => Self::Buy,
        }
    }
}

named_enum!(OrderSide, "order side", { Buy => "buy", Sell => "sell" });

/// What the order does when its timeout expires unfilled (SPEC 5: auction entries convert to
/// market after 1 minute, drain entries are cancelled after 1 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeoutAction {
    Cancel,
    ConvertToMarket,
    /// Convert to market only while the price a market order would get is within
    /// `[floor, ceiling]`; otherwise cancel (`CancelReason::ConversionRefused`). SPEC 3.1: an
    /// entry is not converted when the price is already beyond its first target or leaves
    /// less than one typical spread to its stop.
    ConvertToMarketWithin {
        floor: Price,
        ceiling: Price,
    },
}

impl TimeoutAction {
    /// Whether the remainder becomes a market order at the timeout (if allowed).
    pub const fn converts(self) -> bool {
        !matches!(self, Self::Cancel)
    }
}

/// Order type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    /// Takes liquidity at once on arrival.
    Market,
    /// Rests at `price`; `post_only` orders that would cross on arrival are rejected.
    Limit { price: Price, post_only: bool },
}

/// Which way the price crossed a trigger level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Crossing {
    /// The price came down through the level (a long's stop, a short's target).
    Falling,
    /// The price came up through the level (a long's target, a short's stop).
    Rising,
}

/// The stop or target level whose crossing sent a market exit (SPEC 5). With tick data the
/// exit is an ordinary market order; with bar-only data the exchange fills it at the first
/// price of the triggering bar at or beyond the level (the bar's open when it gapped through),
/// instead of the bar's close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    pub price: Price,
    pub crossing: Crossing,
}

/// A new order as sent to an exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRequest {
    pub id: OrderId,
    pub side: OrderSide,
    pub quantity: Quantity,
    pub kind: OrderKind,
    /// Only reduces an open position (exits); never flips it.
    pub reduce_only: bool,
    /// Nanoseconds after the order reaches the exchange, and what happens then.
    pub timeout: Option<(i64, TimeoutAction)>,
    /// For market exits sent by a stop or target: the level that was crossed.
    pub trigger: Option<Trigger>,
}

/// A command from the engine to an exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderCommand {
    Submit(OrderRequest),
    Cancel(OrderId),
}

/// Who provided liquidity in a fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Liquidity {
    Maker,
    Taker,
}

named_enum!(Liquidity, "liquidity", { Maker => "maker", Taker => "taker" });

/// One (possibly partial) execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fill {
    pub order_id: OrderId,
    /// Exchange time of the fill (the event that caused it).
    pub ts: UnixNanos,
    pub side: OrderSide,
    pub price: Price,
    pub quantity: Quantity,
    pub liquidity: Liquidity,
    /// Fee paid (negative = rebate), quote currency.
    pub fee: Money,
    /// Mid price at the fill (when known): slippage = distance of `price` from it.
    pub reference_mid: Option<Price>,
    /// Quantity of the order still open after this fill (zero = order complete).
    pub leaves_quantity: Quantity,
}

/// Funding exchanged on a position at a funding time (SPEC 5: longs pay rate × notional at
/// mark when the rate is positive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundingPayment {
    pub ts: UnixNanos,
    pub rate: Rate,
    pub mark_price: Price,
    /// Signed position at the funding time.
    pub position: Quantity,
    /// Amount paid by the account (negative = received).
    pub amount: Money,
}

/// Why an exchange rejected an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// A post-only order would have crossed the book on arrival.
    PostOnlyWouldCross,
    /// Size not a positive whole number of lots, or below the minimum.
    InvalidQuantity,
    /// Limit price not a positive whole number of ticks.
    InvalidPrice,
    /// A market order found no price to fill at (no book, no quote, no trade yet).
    NoLiquidity,
    /// Reduce-only order with nothing to reduce.
    NothingToReduce,
    /// The same order id was submitted twice.
    DuplicateId,
    /// A live venue refused the order for a reason outside this list (its adapter reports
    /// the venue's code and message alongside).
    VenueRefused,
}

/// Why an order left the book without filling completely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    Requested,
    Timeout,
    /// A reduce-only remainder after the position closed.
    PositionClosed,
    /// A `ConvertToMarketWithin` timeout found the market price outside its band.
    ConversionRefused,
    /// A live venue expired the order by its own rule (time in force, reduce-only remainder).
    Expired,
}

/// What an exchange tells the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExecutionReport {
    /// The order reached the exchange and rests (limit) or is about to execute (market).
    Accepted {
        order_id: OrderId,
        ts: UnixNanos,
    },
    Rejected {
        order_id: OrderId,
        ts: UnixNanos,
        reason: RejectReason,
    },
    Filled(Fill),
    Canceled {
        order_id: OrderId,
        ts: UnixNanos,
        reason: CancelReason,
    },
    /// A limit order timed out and its remainder now executes as a market order.
    ConvertedToMarket {
        order_id: OrderId,
        ts: UnixNanos,
    },
    /// A cancel arrived for an order that was already complete or unknown.
    CancelRejected {
        order_id: OrderId,
        ts: UnixNanos,
    },
    Funding(FundingPayment),
}

impl ExecutionReport {
    pub const fn ts(&self) -> UnixNanos {
        match self {
            Self::Accepted { ts, .. }
            | Self::Rejected { ts, .. }
            | Self::Canceled { ts, .. }
            | Self::ConvertedToMarket { ts, .. }
            | Self::CancelRejected { ts, .. } => *ts,
            Self::Filled(fill) => fill.ts,
            Self::Funding(payment) => payment.ts,
        }
    }

    /// The order the report is about (none for funding).
    pub const fn order_id(&self) -> Option<OrderId> {
        match self {
            Self::Accepted { order_id, .. }
            | Self::Rejected { order_id, .. }
            | Self::Canceled { order_id, .. }
            | Self::ConvertedToMarket { order_id, .. }
            | Self::CancelRejected { order_id, .. } => Some(*order_id),
            Self::Filled(fill) => Some(fill.order_id),
            Self::Funding(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides_have_signs_and_opposites() {
        assert_eq!(OrderSide::Buy.sign(), 1);
        assert_eq!(OrderSide::Sell.sign(), -1);
        assert_eq!(OrderSide::Buy.opposite(), OrderSide::Sell);
    }

    #[test]
    fn money_notional_matches_hand_arithmetic() {
        // 2 BTC × 60,000 = 120,000 USDT.
        let notional = Money::notional(
            Price::from_decimal_str("60000").unwrap_or_default(),
            Quantity::from_decimal_str("2").unwrap_or_default(),
        );
        assert_eq!(notional, Money::from_decimal_str("120000"));
        assert!(Money::notional(Price::MAX, Quantity::MAX).is_err());
    }

    #[test]
    fn report_accessors_cover_every_variant() {
        let ts = UnixNanos(5);
        let report = ExecutionReport::Canceled {
            order_id: OrderId(3),
            ts,
            reason: CancelReason::Timeout,
        };
        assert_eq!(report.ts(), ts);
        assert_eq!(report.order_id(), Some(OrderId(3)));
    }
}
