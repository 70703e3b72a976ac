//! The WebSocket side of Binance USD-M: the combined market streams with the depth snapshot
//! procedure ([`MarketDataFeed`]) and the user-data stream's order and account updates.

mod connection;
mod market;
mod user;

pub use market::{FeedHandle, FeedStats, MarketDataFeed};
pub use user::{AccountPosition, UserEvent, parse_user_event};

pub(crate) use connection::{Read, connect, read_message};
