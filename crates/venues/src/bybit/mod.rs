//! Bybit v5 (linear perpetuals, the unified trading account; SPEC 7 "Venue: Bybit v5 unified
//! trading account first"): the public market-data stream ([`MarketDataFeed`]), the
//! `X-BAPI-*`-signed REST endpoints ([`http::HttpClient`]) and the private stream with order
//! entry ([`Gateway`], a [`crate::TradingGateway`]).
//!
//! Message decoding of the public streams is the data crate's
//! (`auction_trader_data::import::bybit_ws`, shared with the order-book dump importer); this
//! module adds connections, the book sequence procedure, signing and the private stream.
//!
//! Layout: [`config`] (options and paths), [`common`] (credentials, signing, backoff, order
//! ids), [`http`] (REST client and models), [`websocket`] (public feed, private stream and
//! their messages), [`gateway`] (order entry and execution reports).

pub mod common;
pub mod config;
pub mod gateway;
pub mod http;
pub mod websocket;

pub use common::credentials::Credentials;
pub use config::{FeedOptions, GatewayOptions};
pub use gateway::Gateway;
pub use websocket::public::{FeedHandle, FeedStats, MarketDataFeed};
