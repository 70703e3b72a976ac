//! Response models of the order, execution, position, wallet and funding endpoints, converted to fixed
//! point. The private stream's `order`, `execution`, `position` and `wallet` topics carry the
//! same records
//! ([`crate::bybit::websocket::private_messages`] reuses them). Bybit writes numbers as
//! strings; `""` or `null` means "not applicable" and becomes zero or `None` as documented
//! per field.

use auction_trader_types::{Money, OrderSide, Price, Quantity, Rate, TypesError, UnixNanos};
use serde::Deserialize;

use crate::VenueError;

/// `result` of every list endpoint.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResult<T> {
    pub list: Vec<T>,
    #[serde(default)]
    pub next_page_cursor: Option<String>,
}

/// The whole response of a list endpoint.
#[derive(Debug, Deserialize)]
pub struct ListResponse<T> {
    pub result: ListResult<T>,
}

/// `result` of order create / amend / cancel.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderAck {
    pub order_id: String,
    #[serde(default)]
    pub order_link_id: String,
}

#[derive(Debug, Deserialize)]
pub struct AckResponse {
    pub result: OrderAck,
}

/// An order record (`/v5/order/realtime` and the `order` topic).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawOrder {
    pub symbol: String,
    pub order_id: String,
    #[serde(default)]
    pub order_link_id: String,
    pub side: String,
    #[serde(default)]
    pub order_type: String,
    pub order_status: String,
    #[serde(default)]
    pub cancel_type: Option<String>,
    #[serde(default)]
    pub reject_reason: Option<String>,
    #[serde(default)]
    pub price: Option<String>,
    pub qty: String,
    #[serde(default)]
    pub leaves_qty: Option<String>,
    #[serde(default)]
    pub cum_exec_qty: Option<String>,
    #[serde(default)]
    pub time_in_force: Option<String>,
    #[serde(default)]
    pub reduce_only: bool,
    #[serde(default)]
    pub updated_time: Option<String>,
}

/// Bybit's order states (v5 "Enum definitions: orderStatus").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderStatus {
    New,
    PartiallyFilled,
    Filled,
    Cancelled,
    PartiallyFilledCanceled,
    Rejected,
    Deactivated,
    Untriggered,
    Triggered,
    Other(String),
}

impl OrderStatus {
    pub fn parse(text: &str) -> Self {
        match text {
            "New" => Self::New,
            "PartiallyFilled" => Self::PartiallyFilled,
            "Filled" => Self::Filled,
            "Cancelled" => Self::Cancelled,
            "PartiallyFilledCanceled" => Self::PartiallyFilledCanceled,
            "Rejected" => Self::Rejected,
            "Deactivated" => Self::Deactivated,
            "Untriggered" => Self::Untriggered,
            "Triggered" => Self::Triggered,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The order left the book without (completely) filling.
    pub fn is_canceled(&self) -> bool {
        matches!(
            self,
            Self::Cancelled | Self::PartiallyFilledCanceled | Self::Deactivated
        )
    }
}

/// An order in fixed point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderState {
    pub symbol: String,
    pub order_id: String,
    pub order_link_id: String,
    pub side: OrderSide,
    pub status: OrderStatus,
    /// Zero for market orders.
    pub price: Price,
    pub quantity: Quantity,
    pub leaves_quantity: Quantity,
    pub filled_quantity: Quantity,
    /// `cancelType` (e.g. `CancelByUser`, `CancelByReduceOnly`), empty when none.
    pub cancel_type: String,
    /// `rejectReason` (e.g. `EC_PostOnlyWillTakeLiquidity`), empty or `EC_NoError` when none.
    pub reject_reason: String,
    pub updated: UnixNanos,
}

impl RawOrder {
    pub fn to_state(&self) -> Result<OrderState, VenueError> {
        Ok(OrderState {
            symbol: self.symbol.clone(),
            order_id: self.order_id.clone(),
            order_link_id: self.order_link_id.clone(),
            side: side(&self.side)?,
            status: OrderStatus::parse(&self.order_status),
            price: optional(self.price.as_deref(), "price")?.unwrap_or(Price::ZERO),
            quantity: required(&self.qty, "qty")?,
            leaves_quantity: optional(self.leaves_qty.as_deref(), "leavesQty")?
                .unwrap_or(Quantity::ZERO),
            filled_quantity: optional(self.cum_exec_qty.as_deref(), "cumExecQty")?
                .unwrap_or(Quantity::ZERO),
            cancel_type: self.cancel_type.clone().unwrap_or_default(),
            reject_reason: self.reject_reason.clone().unwrap_or_default(),
            updated: optional_millis(self.updated_time.as_deref(), "updatedTime")?
                .unwrap_or(UnixNanos(0)),
        })
    }
}

/// A position record (`/v5/position/list` and the `position` topic).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawPosition {
    pub symbol: String,
    /// `Buy` (long), `Sell` (short) or `""` (flat).
    #[serde(default)]
    pub side: String,
    pub size: String,
    /// REST spells the entry price `avgPrice`, the stream `entryPrice`.
    #[serde(default)]
    pub avg_price: Option<String>,
    #[serde(default)]
    pub entry_price: Option<String>,
    #[serde(default)]
    pub mark_price: Option<String>,
    #[serde(default)]
    pub unrealised_pnl: Option<String>,
    #[serde(default)]
    pub updated_time: Option<String>,
}

/// A position in fixed point; `quantity` is signed (long > 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionState {
    pub symbol: String,
    pub quantity: Quantity,
    pub entry_price: Price,
    pub mark_price: Price,
    pub unrealised_pnl: Money,
    pub updated: UnixNanos,
}

impl RawPosition {
    pub fn to_state(&self) -> Result<PositionState, VenueError> {
        let size: Quantity = required(&self.size, "size")?;
        let quantity = match self.side.as_str() {
            "Buy" => size,
            "Sell" => size
                .try_neg("position size")
                .map_err(|error| decode("size", &error))?,
            "" | "None" => Quantity::ZERO,
            other => return Err(protocol("bybit", format!("position side {other:?}"))),
        };
        let entry = self.entry_price.as_deref().or(self.avg_price.as_deref());
        Ok(PositionState {
            symbol: self.symbol.clone(),
            quantity,
            entry_price: optional(entry, "entry price")?.unwrap_or(Price::ZERO),
            mark_price: optional(self.mark_price.as_deref(), "markPrice")?.unwrap_or(Price::ZERO),
            unrealised_pnl: optional(self.unrealised_pnl.as_deref(), "unrealisedPnl")?
                .unwrap_or(Money::ZERO),
            updated: optional_millis(self.updated_time.as_deref(), "updatedTime")?
                .unwrap_or(UnixNanos(0)),
        })
    }
}

/// A unified account (`/v5/account/wallet-balance` and the `wallet` topic).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawWallet {
    #[serde(default)]
    pub total_equity: Option<String>,
    #[serde(default)]
    pub total_wallet_balance: Option<String>,
    #[serde(default)]
    pub total_available_balance: Option<String>,
    #[serde(default)]
    pub coin: Vec<RawCoin>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawCoin {
    pub coin: String,
    #[serde(default)]
    pub equity: Option<String>,
    #[serde(default)]
    pub wallet_balance: Option<String>,
}

/// Account balances in fixed point (USD value for the totals; per coin in the coin).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletState {
    pub total_equity: Money,
    pub total_wallet_balance: Money,
    pub total_available_balance: Money,
    pub coins: Vec<CoinBalance>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoinBalance {
    pub coin: String,
    pub equity: Money,
    pub wallet_balance: Money,
}

impl RawWallet {
    pub fn to_state(&self) -> Result<WalletState, VenueError> {
        let money = |field: &Option<String>, name| -> Result<Money, VenueError> {
            Ok(optional(field.as_deref(), name)?.unwrap_or(Money::ZERO))
        };
        Ok(WalletState {
            total_equity: money(&self.total_equity, "totalEquity")?,
            total_wallet_balance: money(&self.total_wallet_balance, "totalWalletBalance")?,
            total_available_balance: money(&self.total_available_balance, "totalAvailableBalance")?,
            coins: self
                .coin
                .iter()
                .map(|coin| -> Result<CoinBalance, VenueError> {
                    Ok(CoinBalance {
                        coin: coin.coin.clone(),
                        equity: money(&coin.equity, "equity")?,
                        wallet_balance: money(&coin.wallet_balance, "walletBalance")?,
                    })
                })
                .collect::<Result<_, _>>()?,
        })
    }
}

/// One settled funding rate (`/v5/market/funding/history`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawFunding {
    pub symbol: String,
    pub funding_rate: String,
    pub funding_rate_timestamp: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FundingRecord {
    pub rate: Rate,
    pub ts: UnixNanos,
}

impl RawFunding {
    pub fn to_record(&self) -> Result<FundingRecord, VenueError> {
        Ok(FundingRecord {
            rate: required(&self.funding_rate, "fundingRate")?,
            ts: optional_millis(Some(&self.funding_rate_timestamp), "fundingRateTimestamp")?
                .ok_or_else(|| protocol("bybit", "funding without timestamp"))?,
        })
    }
}

/// One execution in fixed point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Execution {
    pub symbol: String,
    pub order_id: String,
    pub order_link_id: String,
    pub exec_id: String,
    /// `Trade`, `Funding`, `AdlTrade`, `BustTrade`, `Settle`, ...
    pub exec_type: String,
    pub side: OrderSide,
    pub price: Price,
    pub quantity: Quantity,
    /// Paid (negative = rebate / funding received), settlement currency.
    pub fee: Money,
    pub fee_rate: Rate,
    pub is_maker: bool,
    pub leaves_quantity: Quantity,
    pub time: UnixNanos,
}

/// An execution record (`/v5/execution/list` and the `execution` topic).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawExecution {
    pub symbol: String,
    pub order_id: String,
    #[serde(default)]
    pub order_link_id: String,
    pub exec_id: String,
    pub exec_type: String,
    pub side: String,
    pub exec_price: String,
    pub exec_qty: String,
    #[serde(default)]
    pub exec_fee: Option<String>,
    #[serde(default)]
    pub fee_rate: Option<String>,
    #[serde(default)]
    pub is_maker: bool,
    #[serde(default)]
    pub leaves_qty: Option<String>,
    pub exec_time: String,
}

impl RawExecution {
    pub fn to_execution(&self) -> Result<Execution, VenueError> {
        Ok(Execution {
            symbol: self.symbol.clone(),
            order_id: self.order_id.clone(),
            order_link_id: self.order_link_id.clone(),
            exec_id: self.exec_id.clone(),
            exec_type: self.exec_type.clone(),
            side: side(&self.side)?,
            price: required(&self.exec_price, "execPrice")?,
            quantity: required(&self.exec_qty, "execQty")?,
            fee: optional(self.exec_fee.as_deref(), "execFee")?.unwrap_or(Money::ZERO),
            fee_rate: optional(self.fee_rate.as_deref(), "feeRate")?.unwrap_or(Rate::ZERO),
            is_maker: self.is_maker,
            leaves_quantity: optional(self.leaves_qty.as_deref(), "leavesQty")?
                .unwrap_or(Quantity::ZERO),
            time: optional_millis(Some(&self.exec_time), "execTime")?
                .ok_or_else(|| protocol("bybit", "execution without execTime"))?,
        })
    }
}

/// Bybit's `Buy` / `Sell`.
pub fn side(text: &str) -> Result<OrderSide, VenueError> {
    match text {
        "Buy" => Ok(OrderSide::Buy),
        "Sell" => Ok(OrderSide::Sell),
        other => Err(protocol("bybit", format!("side {other:?}"))),
    }
}

/// A decimal string that must be present.
pub fn required<T>(text: &str, name: &str) -> Result<T, VenueError>
where
    T: std::str::FromStr<Err = TypesError>,
{
    text.parse().map_err(|error| decode(name, &error))
}

/// A decimal string that may be absent, `null` or `""`.
pub fn optional<T>(text: Option<&str>, name: &str) -> Result<Option<T>, VenueError>
where
    T: std::str::FromStr<Err = TypesError>,
{
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => required(text, name).map(Some),
    }
}

/// A millisecond timestamp string that may be absent or `""`.
pub fn optional_millis(text: Option<&str>, name: &str) -> Result<Option<UnixNanos>, VenueError> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => text
            .parse::<i64>()
            .ok()
            .and_then(|ms| ms.checked_mul(1_000_000))
            .filter(|nanos| *nanos >= 0)
            .map(|nanos| Some(UnixNanos(nanos)))
            .ok_or_else(|| protocol("bybit", format!("{name} {text:?} is not a time in ms"))),
    }
}

fn decode(name: &str, error: &TypesError) -> VenueError {
    protocol("bybit", format!("{name}: {error}"))
}

/// An answer without the documented shape.
pub fn protocol(context: &str, reason: impl Into<String>) -> VenueError {
    VenueError::Protocol {
        context: context.to_owned(),
        reason: reason.into(),
    }
}
