//! Binance USD-M futures: market streams, the depth snapshot + `pu` procedure, the user-data
//! stream and the signed REST order endpoints (SPEC 1.2, 5, 7).
//!
//! - [`MarketDataFeed::spawn`]: the combined market streams of one symbol, decoded by the
//!   data crate's shared Binance decoder, as [`crate::FeedMessage`]s on a channel;
//! - [`Gateway::connect`]: orders over signed REST, reports from the user-data stream, the
//!   position for reconciliation ([`crate::TradingGateway`]);
//! - [`Credentials::from_env`]: `BINANCE_API_KEY` / `BINANCE_API_SECRET`, never shown.
//!
//! Folders: `common/` (backoff, depth sequencing: no I/O), `http/` (REST client, signing,
//! answer shapes), `websocket/` (connections, market feed, user-data events), `config.rs`.

pub mod common;
pub mod config;
mod gateway;
pub mod http;
pub mod websocket;

pub use config::{
    BackoffOptions, Credentials, DepthSpeed, FeedOptions, GatewayOptions, TradeStreams,
};
pub use gateway::Gateway;
pub use websocket::{FeedHandle, FeedStats, MarketDataFeed};
