//! Bybit v5 (linear), as production serves it (REST `https://api.bybit.com`, WS
//! `wss://stream.bybit.com`; here both on one loopback port), on the replay converted to
//! Bybit's shapes (`convert`):
//! - `public_stream`: `GET /v5/public/linear` (`{"op":"subscribe","args":[...]}` with
//!   `orderbook.50.<S>`, `publicTrade.<S>`, `tickers.<S>`, `allLiquidation.<S>` (accepted; the
//!   captures hold no liquidations), `{"op":"ping"}`);
//! - `rest`: `GET /v5/market/orderbook`, `/v5/market/instruments-info`, `/v5/market/time`,
//!   `/v5/market/funding/history` (empty: the captures hold no funding prints),
//!   signed `POST /v5/order/create|amend|cancel`, `GET /v5/order/realtime|history`,
//!   `/v5/execution/list`,
//!   `/v5/position/list`, `/v5/account/wallet-balance`;
//! - `private_stream`: `GET /v5/private` (`auth` op, then topics `order`, `execution`,
//!   `position`, `wallet`).

pub mod convert;
pub mod private_stream;
pub mod public_stream;
pub mod rest;

use axum::Router;
use axum::routing::{get, post};

use crate::server::App;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/v5/public/linear", get(public_stream::connect))
        .route("/v5/private", get(private_stream::connect))
        .route("/v5/market/orderbook", get(rest::orderbook))
        .route("/v5/market/instruments-info", get(rest::instruments_info))
        .route("/v5/market/time", get(rest::time))
        .route("/v5/market/funding/history", get(rest::funding_history))
        .route("/v5/order/create", post(rest::create_order))
        .route("/v5/order/cancel", post(rest::cancel_order))
        .route("/v5/order/amend", post(rest::amend_order))
        .route("/v5/order/realtime", get(rest::open_orders))
        // With `orderLinkId`/`orderId` both answer that order whatever its status.
        .route("/v5/order/history", get(rest::open_orders))
        .route("/v5/execution/list", get(rest::executions))
        .route("/v5/position/list", get(rest::positions))
        .route("/v5/account/wallet-balance", get(rest::wallet_balance))
}
