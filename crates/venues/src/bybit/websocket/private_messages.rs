//! Messages of the private stream (`/v5/private`): the `order`, `execution`, `position` and
//! `wallet` topics (`{"topic":..,"id":..,"creationTime":..,"data":[..]}`) and the replies to
//! our `auth` / `subscribe` / `ping` ops. Order, execution, position and wallet records have
//! the REST shapes ([`crate::bybit::http::models`]).

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::VenueError;
pub use crate::bybit::http::models::Execution;
use crate::bybit::http::models::{
    OrderState, PositionState, RawExecution, RawOrder, RawPosition, RawWallet, WalletState,
    protocol,
};

/// One private-stream message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrivateMessage {
    Orders(Vec<OrderState>),
    Executions(Vec<Execution>),
    Positions(Vec<PositionState>),
    Wallets(Vec<WalletState>),
    /// A reply to one of our ops (`auth`, `subscribe`, `ping`/`pong`); `code` = `retCode`
    /// when sent.
    Control {
        op: String,
        success: Option<bool>,
        code: Option<i64>,
        message: String,
    },
    /// A topic we do not use.
    Other {
        topic: String,
    },
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
    #[serde(default, rename = "retCode")]
    ret_code: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct Topic<T> {
    data: Vec<T>,
}

/// Parses one private-stream text frame.
pub fn parse(text: &str) -> Result<PrivateMessage, VenueError> {
    let envelope: Envelope = serde_json::from_str(text)
        .map_err(|error| protocol("bybit", format!("private message: {error}")))?;
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
                code: envelope.ret_code,
                message: envelope
                    .ret_msg
                    .or(envelope.ret_msg_camel)
                    .unwrap_or_default(),
            }),
            None => Err(protocol("bybit", "private message without topic or op")),
        },
        _ => Ok(PrivateMessage::Other { topic }),
    }
}

fn data<T: DeserializeOwned>(text: &str) -> Result<Vec<T>, VenueError> {
    serde_json::from_str::<Topic<T>>(text)
        .map(|topic| topic.data)
        .map_err(|error| protocol("bybit", format!("private message data: {error}")))
}
