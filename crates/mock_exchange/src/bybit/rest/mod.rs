//! Bybit v5 REST.
//!
//! Signed requests (v5 "Authentication"): headers `X-BAPI-API-KEY`, `X-BAPI-TIMESTAMP`
//! (ms), `X-BAPI-RECV-WINDOW` (default 5000), `X-BAPI-SIGN` = HMAC-SHA256 hex of
//! `timestamp + apiKey + recvWindow + (query string | JSON body)`. Unknown key -> `10003`,
//! wrong signature -> `10004`, timestamp outside the window -> `10002` (HTTP 200, Bybit's
//! envelope `{"retCode","retMsg","result","retExtInfo","time"}`).
//!
//! Orders: `Limit` (`GTC`, `IOC`, `PostOnly`) and `Market`, `reduceOnly`, `orderLinkId`. As on
//! the Binance side, the answer waits for the order to reach the simulated exchange; a
//! rejection on arrival is `10001` with the reason, an injected one (`/mock/reject`) is
//! `110007`. Amend is a cancel and a new order under the same `orderId` (the order loses its
//! queue place; Bybit keeps it for size decreases).

use std::time::Duration;

use axum::Json;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::server::App;
use crate::signing::verify_hex;
use crate::state::Core;
use crate::wall_clock::now_ms;

mod account;
mod market;
mod orders;

pub use account::{position_json, positions, wallet_balance, wallet_json};
pub use market::{funding_history, instruments_info, orderbook, time};
pub use orders::{
    amend_order, cancel_order, create_order, execution_json, executions, open_orders, order_json,
};

const ARRIVAL_TIMEOUT: Duration = Duration::from_secs(5);
const DEFAULT_RECV_WINDOW_MS: i64 = 5_000;

/// Bybit's envelope.
pub fn envelope(code: i64, message: &str, result: Value) -> Response {
    Json(json!({
        "retCode": code,
        "retMsg": message,
        "result": result,
        "retExtInfo": {},
        "time": now_ms(),
    }))
    .into_response()
}

/// A Bybit failure: `retCode` and `retMsg` in the envelope (HTTP 200, as Bybit answers
/// business and authentication errors); it never carries an internal detail.
#[derive(Debug)]
pub struct BybitError {
    code: i64,
    message: String,
}

impl IntoResponse for BybitError {
    fn into_response(self) -> Response {
        envelope(self.code, &self.message, json!({}))
    }
}

fn fail(code: i64, message: &str) -> BybitError {
    BybitError {
        code,
        message: message.to_owned(),
    }
}

fn failure(code: i64, message: &str) -> Response {
    fail(code, message).into_response()
}

fn authenticate(app: &App, headers: &HeaderMap, signed_text: &str) -> Result<usize, BybitError> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let key = header("X-BAPI-API-KEY");
    let timestamp = header("X-BAPI-TIMESTAMP");
    let window = header("X-BAPI-RECV-WINDOW");
    let signature = header("X-BAPI-SIGN");
    let mut core = app.shared.lock();
    let Some(account) = core.account_of_key(&key) else {
        return Err(fail(10003, "API key is invalid."));
    };
    let payload = format!("{timestamp}{key}{window}{signed_text}");
    if !verify_hex(
        &core.accounts[account].credentials.api_secret,
        &payload,
        &signature,
    ) {
        core.counters.signature_failures += 1;
        return Err(fail(
            10004,
            "error sign! please check your signature generation algorithm",
        ));
    }
    let window_ms = window.parse::<i64>().unwrap_or(DEFAULT_RECV_WINDOW_MS);
    let now = now_ms();
    match timestamp.parse::<i64>() {
        Ok(ts) if ts <= now + 1_000 && now - ts <= window_ms => Ok(account),
        _ => Err(fail(
            10002,
            "invalid request, please check your server timestamp or recv_window param",
        )),
    }
}

fn body_json(body: &str) -> Result<Value, BybitError> {
    serde_json::from_str(body).map_err(|_| fail(10001, "params error: body is not JSON"))
}

fn text_field<'a>(body: &'a Value, name: &str) -> Option<&'a str> {
    body.get(name).and_then(Value::as_str)
}

fn check_symbol(core: &Core, body: &Value) -> Result<(), BybitError> {
    match text_field(body, "symbol") {
        Some(symbol) if symbol.eq_ignore_ascii_case(&core.instrument.key.symbol) => Ok(()),
        _ => Err(fail(10001, "params error: symbol invalid")),
    }
}
