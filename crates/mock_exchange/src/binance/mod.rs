//! Binance USD-M futures, as production serves it (REST `https://fapi.binance.com`, WS
//! `wss://fstream.binance.com`; here both on one loopback port):
//! - `market`: `GET /stream?streams=a/b/c` (combined streams, the recorded frames byte for
//!   byte, filtered to the requested streams; `SUBSCRIBE`/`UNSUBSCRIBE`/`LIST_SUBSCRIPTIONS`
//!   methods too), `GET /fapi/v1/depth`, `/fapi/v1/exchangeInfo`, `/fapi/v1/time`,
//!   `/fapi/v1/ping`;
//! - `trading`: signed `POST/DELETE/GET /fapi/v1/order`, `GET /fapi/v1/openOrders`;
//! - `account`: signed `GET /fapi/v2/positionRisk`, `GET /fapi/v2/balance`,
//!   `GET /fapi/v1/userTrades`, and the listen
//!   key (`POST/PUT/DELETE /fapi/v1/listenKey`, API key only);
//! - `user_stream`: `GET /ws/<listenKey>` with `ORDER_TRADE_UPDATE` and `ACCOUNT_UPDATE`.

pub mod account;
pub mod market;
pub mod trading;
pub mod user_stream;

use axum::Router;
use axum::routing::{get, post};

use crate::server::App;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/stream", get(market::stream))
        .route("/fapi/v1/depth", get(market::depth))
        .route("/fapi/v1/exchangeInfo", get(market::exchange_info))
        .route("/fapi/v1/time", get(market::time))
        .route("/fapi/v1/ping", get(market::ping))
        .route(
            "/fapi/v1/order",
            post(trading::new_order)
                .delete(trading::cancel_order)
                .get(trading::query_order),
        )
        .route("/fapi/v1/openOrders", get(trading::open_orders))
        .route("/fapi/v1/userTrades", get(account::user_trades))
        .route("/fapi/v2/positionRisk", get(account::position_risk))
        .route("/fapi/v2/balance", get(account::balance))
        .route(
            "/fapi/v1/listenKey",
            post(account::new_listen_key)
                .put(account::keep_listen_key)
                .delete(account::close_listen_key),
        )
        .route("/ws/{listen_key}", get(user_stream::connect))
}
