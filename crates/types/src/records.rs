//! The records a run produces (SPEC 6 outputs): trades with their exit legs, the equity
//! curve, orders, fills, funding payments and the price bars the report draws. The engine
//! fills these, storage keeps them, analytics reads them; they live here so neither the
//! engine nor storage depends on the report.
//!
//! Conventions: money amounts are in the settlement currency ([`Money`]: quote for linear
//! contracts, coin for inverse ones); costs (fees, funding, slippage) are positive when the
//! account pays; every categorical field is a typed enum whose lower-case name
//! ([`Named`](crate::Named)) is what stored runs, CSV and JSON hold.

use serde::{Deserialize, Serialize};

use crate::names::named_enum;
use crate::{
    Direction, ExitReason, FundingPayment, Liquidity, Money, OrderSide, Price, Quantity, SetupKind,
    UnixNanos, Valuation,
};

/// Who provided the liquidity of a trade's entry fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntryLiquidity {
    Maker,
    Taker,
    /// Some fills as maker, some as taker (a limit entry converted to market after a partial).
    Mixed,
}

named_enum!(EntryLiquidity, "entry liquidity", { Maker => "maker", Taker => "taker", Mixed => "mixed" });

/// Market or limit: an order's type without its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OrderType {
    Market,
    Limit,
}

named_enum!(OrderType, "order type", { Market => "market", Limit => "limit" });

impl crate::OrderKind {
    /// The kind without its parameters.
    pub const fn order_type(&self) -> OrderType {
        match self {
            Self::Market => OrderType::Market,
            Self::Limit { .. } => OrderType::Limit,
        }
    }
}

/// Why the engine sent an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OrderPurpose {
    /// Opens a managed trade.
    Entry,
    /// Closes (part of) a managed trade.
    Exit,
    /// A strategy's own order command, outside trade management.
    Direct,
}

named_enum!(OrderPurpose, "order purpose", { Entry => "entry", Exit => "exit", Direct => "direct" });

/// An order's final state in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OrderStatus {
    Filled,
    PartiallyFilled,
    Canceled,
    /// A limit whose timeout converted it to a market order (SPEC 5).
    Converted,
    Rejected,
    /// Still working when the run ended.
    Open,
}

named_enum!(OrderStatus, "order status", {
    Filled => "filled",
    PartiallyFilled => "partially_filled",
    Canceled => "canceled",
    Converted => "converted",
    Rejected => "rejected",
    Open => "open",
});

/// One exit execution of a trade (a trade can exit in several legs: TP1 then TP2 or a stop).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitLeg {
    pub ts: UnixNanos,
    /// Average fill price of the leg.
    pub price: Price,
    /// Quantity closed by the leg (positive).
    pub quantity: Quantity,
    pub reason: ExitReason,
    /// Fees paid on the leg's fills.
    pub fee: Money,
    /// Cost versus mid of the leg's fills (positive = cost), already inside the P&L.
    pub slippage: Money,
}

/// One round trip: entry, exit legs and its P&L decomposition.
///
/// Identity: `net_pnl = gross_pnl − fees − funding`; `slippage` is informative (already
/// inside `gross_pnl`, because fills happen at the prices that include it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeRecord {
    pub trade_id: u64,
    pub setup: SetupKind,
    pub direction: Direction,
    /// Time of the signal that caused the entry.
    pub signal_ts: UnixNanos,
    /// Time of the first entry fill.
    pub entry_ts: UnixNanos,
    /// Average entry price.
    pub entry_price: Price,
    /// Total entry quantity (positive).
    pub quantity: Quantity,
    pub entry_liquidity: EntryLiquidity,
    pub stop: Price,
    pub take_profit_1: Option<Price>,
    pub take_profit_2: Price,
    /// Time of the final exit leg.
    pub exit_ts: UnixNanos,
    /// Average exit price over all legs.
    pub exit_price: Price,
    /// Reason of the final leg.
    pub exit_reason: ExitReason,
    pub legs: Vec<ExitLeg>,
    /// Price P&L: `(exit − entry) × quantity × sign`, slippage included.
    pub gross_pnl: Money,
    /// Entry and exit fees (negative = rebates exceeded fees).
    pub fees: Money,
    /// Funding paid while the trade was open (negative = received).
    pub funding: Money,
    /// Cost versus mid at each fill (positive = cost); already inside `gross_pnl`.
    pub slippage: Money,
    /// `gross_pnl − fees − funding`.
    pub net_pnl: Money,
}

/// One point of the equity curve (one per minute close plus one at every fill).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EquityPoint {
    pub ts: UnixNanos,
    /// `cash + unrealized`.
    pub equity: Money,
    pub cash: Money,
    pub unrealized: Money,
    /// Signed position (positive = long).
    pub position: Quantity,
}

/// One order as submitted, with its final state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    pub order_id: u64,
    pub ts_submit: UnixNanos,
    pub side: OrderSide,
    pub kind: OrderType,
    pub purpose: OrderPurpose,
    pub limit_price: Option<Price>,
    pub quantity: Quantity,
    pub filled_quantity: Quantity,
    pub status: OrderStatus,
    /// Best ask − best bid when the order was submitted (if a quote was known).
    pub spread_at_submit: Option<Price>,
    pub mid_at_submit: Option<Price>,
}

/// One fill (a partial execution of an order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FillRecord {
    pub order_id: u64,
    pub ts: UnixNanos,
    pub side: OrderSide,
    pub price: Price,
    pub quantity: Quantity,
    pub liquidity: Liquidity,
    /// Fee paid (negative = rebate).
    pub fee: Money,
    /// Mid price at the fill, when known (slippage reference).
    pub reference_mid: Option<Price>,
}

/// One price bar for the report's price chart, with the value area in force at its close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceBar {
    pub ts: UnixNanos,
    pub open: Price,
    pub high: Price,
    pub low: Price,
    pub close: Price,
    pub vah: Option<Price>,
    pub val: Option<Price>,
    pub poc: Option<Price>,
}

/// Everything one backtest run recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecords {
    pub title: String,
    pub symbol: String,
    /// Account equity before the first event.
    pub initial_equity: Money,
    pub trades: Vec<TradeRecord>,
    /// One point per minute close plus one at every fill, in time order.
    pub equity: Vec<EquityPoint>,
    pub orders: Vec<OrderRecord>,
    pub fills: Vec<FillRecord>,
    pub funding: Vec<FundingPayment>,
    pub bars: Vec<PriceBar>,
    /// How the instrument's sizes are valued: every money amount is in its settlement
    /// currency (quote for linear contracts, coin for inverse ones, SPEC 5).
    #[serde(default = "unit_linear")]
    pub valuation: Valuation,
}

/// Linear with multiplier 1 (records written before the valuation was stored).
fn unit_linear() -> Valuation {
    Valuation::linear(Quantity::ONE)
}

impl RunRecords {
    /// Empty records of a run titled `title` on `symbol` starting from `initial_equity`.
    pub fn new(title: impl Into<String>, symbol: impl Into<String>, initial_equity: Money) -> Self {
        Self {
            title: title.into(),
            symbol: symbol.into(),
            initial_equity,
            trades: Vec::new(),
            equity: Vec::new(),
            orders: Vec::new(),
            fills: Vec::new(),
            funding: Vec::new(),
            bars: Vec::new(),
            valuation: unit_linear(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Named;

    #[test]
    fn new_records_are_empty_and_names_parse_back() {
        let records = RunRecords::new("t", "BTCUSDT", Money::from_units(1000).unwrap());
        assert!(records.trades.is_empty() && records.equity.is_empty());
        for status in OrderStatus::ALL {
            assert_eq!(status.as_str().parse::<OrderStatus>().unwrap(), *status);
        }
        assert_eq!("partially_filled".parse(), Ok(OrderStatus::PartiallyFilled));
        assert_eq!(EntryLiquidity::Mixed.to_string(), "mixed");
        assert!("iceberg".parse::<OrderType>().is_err());
    }
}
