//! Messages of the private stream (`/v5/private`): the `order`, `execution`, `position` and
//! `wallet` topics (`{"topic":..,"id":..,"creationTime":..,"data":[..]}`) and the replies to
//! our `auth` / `subscribe` / `ping` ops. Order, position and wallet records have the REST
//! shapes ([`crate::bybit::http::models`]).

use auction_trader_types::{Money, OrderSide, Price, Quantity, Rate, UnixNanos};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::VenueError;
use crate::bybit::http::models::{
    OrderState, PositionState, RawOrder, RawPosition, RawWallet, WalletState, optional,
    optional_millis, required, side,
};

/// One private-stream message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrivateMessage {
    Orders(Vec<OrderState>),
    Executions(Vec<Execution>),
    Positions(Vec<PositionState>),
    Wallets(Vec<WalletState>),
    /// A reply to one of our ops (`auth`, `subscribe`, `ping`/`pong`).
    Control {
        op: String,
        success: Option<bool>,
        message: String,
    },
    /// A topic we do not use.
    Other {
        topic: String,
    },
}

/// One execution of ours (`execution` topic).
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

#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(default)]
    topic: Option<String>,
    #[serde(default)]
    op: Option<String>,
    #[serde(default)]
    success: Option<bool>,
    #[serde(default)]
    ret_msg: Option<String>,
    #[serde(default, rename = "retMsg")]
    ret_msg_camel: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Topic<T> {
    data: Vec<T>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawExecution {
    symbol: String,
    order_id: String,
    #[serde(default)]
    order_link_id: String,
    exec_id: String,
    exec_type: String,
    side: String,
    exec_price: String,
    exec_qty: String,
    #[serde(default)]
    exec_fee: Option<String>,
    #[serde(default)]
    fee_rate: Option<String>,
    #[serde(default)]
    is_maker: bool,
    #[serde(default)]
    leaves_qty: Option<String>,
    exec_time: String,
}

impl RawExecution {
    fn to_execution(&self) -> Result<Execution, VenueError> {
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
                .ok_or_else(|| VenueError::Decode("execution without execTime".to_owned()))?,
        })
    }
}

/// Parses one private-stream text frame.
pub fn parse(text: &str) -> Result<PrivateMessage, VenueError> {
    let envelope: Envelope = serde_json::from_str(text)
        .map_err(|error| VenueError::Decode(format!("private message: {error}")))?;
    let topic = envelope.topic.unwrap_or_default();
    match topic.as_str() {
        "order" => Ok(PrivateMessage::Orders(
            data::<RawOrder>(text)?
                .iter()
                .map(RawOrder::to_state)
                .collect::<Result<_, _>>()?,
        )),
        "execution" => Ok(PrivateMessage::Executions(
            data::<RawExecution>(text)?
                .iter()
                .map(RawExecution::to_execution)
                .collect::<Result<_, _>>()?,
        )),
        "position" => Ok(PrivateMessage::Positions(
            data::<RawPosition>(text)?
                .iter()
                .map(RawPosition::to_state)
                .collect::<Result<_, _>>()?,
        )),
        "wallet" => Ok(PrivateMessage::Wallets(
            data::<RawWallet>(text)?
                .iter()
                .map(RawWallet::to_state)
                .collect::<Result<_, _>>()?,
        )),
        "" => match envelope.op {
            Some(op) => Ok(PrivateMessage::Control {
                op,
                success: envelope.success,
                message: envelope
                    .ret_msg
                    .or(envelope.ret_msg_camel)
                    .unwrap_or_default(),
            }),
            None => Err(VenueError::Decode(
                "private message without topic or op".to_owned(),
            )),
        },
        _ => Ok(PrivateMessage::Other { topic }),
    }
}

fn data<T: DeserializeOwned>(text: &str) -> Result<Vec<T>, VenueError> {
    serde_json::from_str::<Topic<T>>(text)
        .map(|topic| topic.data)
        .map_err(|error| VenueError::Decode(format!("private message data: {error}")))
}
