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
//!
//! The protocol surface this adapter speaks (what a local mock exchange must serve, on one
//! port for `--endpoint http://127.0.0.1:P`):
//! * `GET /v5/public/linear` (WebSocket): `{"op":"subscribe","args":["orderbook.<depth>.SYM",
//!   "publicTrade.SYM","tickers.SYM","allLiquidation.SYM"]}`; after a sequence gap
//!   `{"op":"unsubscribe","args":["orderbook.<depth>.SYM"]}` then a `subscribe` of the same
//!   topic, answered with a fresh `snapshot`; `{"op":"ping"}` every 20 s (a reply is optional:
//!   any message within 45 s keeps the connection). Book `u` must grow by 1 per delta;
//!   tickers' `cs` and books' `seq` share Bybit's cross sequence.
//! * `GET /v5/private` (WebSocket): `{"op":"auth","args":[key, expires, sign]}` answered
//!   `{"op":"auth","success":true,..}`, then `subscribe` of `order`, `execution`, `position`,
//!   `wallet`; our orders carry `orderLinkId = <prefix><OrderId>`.
//! * REST, every answer `{"retCode":..,"retMsg":..,"result":..}`: `POST /v5/order/create`,
//!   `/v5/order/amend`, `/v5/order/cancel` (JSON bodies), `GET /v5/order/realtime`,
//!   `/v5/order/history`, `/v5/execution/list`, `/v5/position/list`, `/v5/account/wallet-balance` (signed),
//!   `/v5/market/orderbook`, `/v5/market/funding/history` (public).

pub mod common;
pub mod config;
pub mod gateway;
pub mod http;
pub mod websocket;

pub use common::credentials::Credentials;
pub use config::{FeedOptions, GatewayOptions};
pub use gateway::Gateway;
pub use websocket::public::{FeedHandle, FeedStats, MarketDataFeed};
