//! The records a backtest run produces (SPEC 6 outputs): trades with their exit legs, the
//! equity curve, orders, fills, funding payments and the price bars the report draws. The
//! engine fills these; this crate only reads them.
//!
//! Conventions: money amounts are quote currency ([`Money`]); costs (fees, funding,
//! slippage) are positive when the account pays; strings hold the lower-case names used by
//! the strategy and execution vocabulary (`"long"`, `"maker"`, `"stop_loss"`, ...).

use auction_trader_types::{FundingPayment, Money, Price, Quantity, UnixNanos, Valuation};
use serde::{Deserialize, Serialize};

/// One exit execution of a trade (a trade can exit in several legs: TP1 then TP2 or a stop).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitLeg {
    pub ts: UnixNanos,
    /// Average fill price of the leg.
    pub price: Price,
    /// Quantity closed by the leg (positive).
    pub quantity: Quantity,
    /// Exit reason (`ExitReason::as_str` of the strategy crate, e.g. `take_profit_1`).
    pub reason: String,
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
    /// Setup name (`SetupKind::as_str`, e.g. `break_in`).
    pub setup: String,
    /// `"long"` or `"short"`.
    pub direction: String,
    /// Time of the signal that caused the entry.
    pub signal_ts: UnixNanos,
    /// Time of the first entry fill.
    pub entry_ts: UnixNanos,
    /// Average entry price.
    pub entry_price: Price,
    /// Total entry quantity (positive).
    pub quantity: Quantity,
    /// `"maker"`, `"taker"` or `"mixed"`.
    pub entry_liquidity: String,
    pub stop: Price,
    pub take_profit_1: Option<Price>,
    pub take_profit_2: Price,
    /// Time of the final exit leg.
    pub exit_ts: UnixNanos,
    /// Average exit price over all legs.
    pub exit_price: Price,
    /// Reason of the final leg.
    pub exit_reason: String,
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
    /// `"buy"` or `"sell"`.
    pub side: String,
    /// `"market"` or `"limit"`.
    pub kind: String,
    /// `"entry"`, `"exit"` or `"direct"`.
    pub purpose: String,
    pub limit_price: Option<Price>,
    pub quantity: Quantity,
    pub filled_quantity: Quantity,
    /// `filled`, `partially_filled`, `canceled`, `converted`, `rejected` or `open`.
    pub status: String,
    /// Best ask − best bid when the order was submitted (if a quote was known).
    pub spread_at_submit: Option<Price>,
    pub mid_at_submit: Option<Price>,
}

/// One fill (a partial execution of an order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FillRecord {
    pub order_id: u64,
    pub ts: UnixNanos,
    /// `"buy"` or `"sell"`.
    pub side: String,
    pub price: Price,
    pub quantity: Quantity,
    /// `"maker"` or `"taker"`.
    pub liquidity: String,
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

/// `+1` for `"buy"`/`"long"`, `−1` for `"sell"`/`"short"`, `0` for anything else.
pub(crate) fn side_sign(side: &str) -> i64 {
    match side {
        "buy" | "long" => 1,
        "sell" | "short" => -1,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_records_are_empty_and_signs_follow_names() {
        let records = RunRecords::new("t", "BTCUSDT", Money::from_units(1000).unwrap());
        assert!(records.trades.is_empty() && records.equity.is_empty());
        assert_eq!(side_sign("buy"), 1);
        assert_eq!(side_sign("short"), -1);
        assert_eq!(side_sign("?"), 0);
    }
}
