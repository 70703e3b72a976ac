//! Binance signed trading endpoints (orders) and the request authentication shared with the
//! account endpoints.
//!
//! Security (Binance USD-M "Endpoint security type"): `X-MBX-APIKEY` names the account
//! (unknown -> `-2015`, HTTP 401); SIGNED endpoints carry `signature` = HMAC-SHA256 hex of the
//! query string concatenated with the body (wrong -> `-1022`, HTTP 400) and `timestamp`
//! within `recvWindow` (default 5000 ms) of the server's wall clock (`-1021`).
//!
//! Orders: `LIMIT` with `timeInForce` `GTC`, `IOC` or `GTX` (post-only), and `MARKET`;
//! `reduceOnly`; `newClientOrderId`. The answer waits until the order reached the simulated
//! exchange (its entry latency in replay time); a rejection on arrival is Binance's error
//! (post-only that would cross -> `-5022`, reduce-only with nothing to reduce -> `-2022`,
//! bad quantity -> `-1111`, bad price -> `-4014`, no liquidity -> `-2010`). An order sent
//! while `/mock/reject` is pending is refused with `-2010`. No arrival within 5 s, or the replay
//! ended first -> `-1007`.

use std::time::Duration;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use auction_trader_types::{OrderSide, Price, Quantity, RejectReason};

use crate::account::{OrderRecord, OrderStatus, TimeInForce};
use crate::binance::market::{BinanceError, error};
use crate::format::{decimals_of_step, fixed};
use crate::params::{Params, split_binance_signature};
use crate::server::App;
use crate::signing::verify_hex;
use crate::state::Core;
use crate::wall_clock::now_ms;

/// How long a request waits for its order or cancel to reach the simulated exchange.
const ARRIVAL_TIMEOUT: Duration = Duration::from_secs(5);
const DEFAULT_RECV_WINDOW_MS: i64 = 5_000;

/// The account and parameters of an authenticated request.
pub(super) struct Signed {
    pub(super) account: usize,
    pub(super) params: Params,
}

pub(super) fn api_key_account(app: &App, headers: &HeaderMap) -> Result<usize, BinanceError> {
    let key = headers
        .get("X-MBX-APIKEY")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    app.shared.lock().account_of_key(key).ok_or_else(|| {
        BinanceError::new(
            StatusCode::UNAUTHORIZED,
            -2015,
            "Invalid API-key, IP, or permissions for action.",
        )
    })
}

pub(super) fn authenticate(
    app: &App,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &str,
) -> Result<Signed, BinanceError> {
    let account = api_key_account(app, headers)?;
    let query = query.unwrap_or_default();
    let (payload, signature) = split_binance_signature(query, body);
    let Some(signature) = signature else {
        return Err(BinanceError::new(
            StatusCode::BAD_REQUEST,
            -1102,
            "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.",
        ));
    };
    let secret = app.shared.lock().accounts[account]
        .credentials
        .api_secret
        .clone();
    if !verify_hex(&secret, &payload, &signature) {
        app.shared.lock().counters.signature_failures += 1;
        return Err(BinanceError::new(
            StatusCode::BAD_REQUEST,
            -1022,
            "Signature for this request is not valid.",
        ));
    }
    let mut params = Params::parse(query);
    params.extend(Params::parse(body));
    let Some(timestamp) = params
        .get("timestamp")
        .and_then(|text| text.parse::<i64>().ok())
    else {
        return Err(BinanceError::new(
            StatusCode::BAD_REQUEST,
            -1102,
            "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
        ));
    };
    let window = params
        .get("recvWindow")
        .and_then(|text| text.parse::<i64>().ok())
        .unwrap_or(DEFAULT_RECV_WINDOW_MS);
    let now = now_ms();
    if timestamp > now + 1_000 || now - timestamp > window {
        return Err(BinanceError::new(
            StatusCode::BAD_REQUEST,
            -1021,
            "Timestamp for this request is outside of the recvWindow.",
        ));
    }
    Ok(Signed { account, params })
}

fn check_symbol(core: &Core, params: &Params) -> Result<(), BinanceError> {
    match params.get("symbol") {
        Some(symbol) if symbol.eq_ignore_ascii_case(&core.instrument.key.symbol) => Ok(()),
        Some(_) => Err(BinanceError::new(
            StatusCode::BAD_REQUEST,
            -1121,
            "Invalid symbol.",
        )),
        None => Err(BinanceError::new(
            StatusCode::BAD_REQUEST,
            -1102,
            "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
        )),
    }
}

fn mandatory(name: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        -1102,
        &format!("Mandatory parameter '{name}' was not sent, was empty/null, or malformed."),
    )
}

/// `POST /fapi/v1/order`.
pub async fn new_order(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: String,
) -> Response {
    let signed = match authenticate(&app, &headers, query.as_deref(), &body) {
        Ok(signed) => signed,
        Err(failure) => return failure.into_response(),
    };
    let params = &signed.params;
    let side = match params.get("side") {
        Some("BUY") => OrderSide::Buy,
        Some("SELL") => OrderSide::Sell,
        Some(_) => return error(StatusCode::BAD_REQUEST, -1117, "Invalid side."),
        None => return mandatory("side"),
    };
    let Some(quantity) = params
        .get("quantity")
        .and_then(|text| Quantity::from_decimal_str(text).ok())
    else {
        return mandatory("quantity");
    };
    let (price, time_in_force) = match params.get("type") {
        Some("MARKET") => (None, TimeInForce::GoodTillCancel),
        Some("LIMIT") => {
            let Some(price) = params
                .get("price")
                .and_then(|text| Price::from_decimal_str(text).ok())
            else {
                return mandatory("price");
            };
            let time_in_force = match params.get("timeInForce") {
                Some("GTC") => TimeInForce::GoodTillCancel,
                Some("IOC") => TimeInForce::ImmediateOrCancel,
                Some("GTX") => TimeInForce::PostOnly,
                Some(_) => {
                    return error(StatusCode::BAD_REQUEST, -1115, "Invalid timeInForce.");
                }
                None => return mandatory("timeInForce"),
            };
            (Some(price), time_in_force)
        }
        Some(_) => return error(StatusCode::BAD_REQUEST, -1116, "Invalid orderType."),
        None => return mandatory("type"),
    };
    let reduce_only = params.get("reduceOnly") == Some("true");
    let (order_id, arrival) = {
        let mut core = app.shared.lock();
        if let Err(failure) = check_symbol(&core, params) {
            return failure.into_response();
        }
        core.counters.orders_received += 1;
        if core.faults.take_reject() {
            core.counters.orders_rejected += 1;
            return error(
                StatusCode::BAD_REQUEST,
                -2010,
                "Order would immediately trigger. (mock: injected rejection)",
            );
        }
        let order_id = core.allocate_order_id();
        let client_id = params
            .get("newClientOrderId")
            .map_or_else(|| format!("mock-{order_id}"), str::to_owned);
        if core.accounts[signed.account].client_id_in_use(&client_id) {
            core.counters.orders_rejected += 1;
            core.counters.duplicate_client_ids += 1;
            return error(
                StatusCode::BAD_REQUEST,
                -4116,
                "ClientOrderId is duplicated.",
            );
        }
        let now = core.replay_now;
        let arrival = core.accounts[signed.account].submit(
            now,
            order_id,
            client_id,
            side,
            price,
            time_in_force,
            quantity,
            reduce_only,
        );
        (order_id, arrival)
    };
    if !matches!(
        tokio::time::timeout(ARRIVAL_TIMEOUT, arrival).await,
        Ok(Ok(()))
    ) {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            -1007,
            "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
        );
    }
    let mut core = app.shared.lock();
    let Some(order) = core.accounts[signed.account].orders.get(&order_id).cloned() else {
        return error(StatusCode::BAD_REQUEST, -2013, "Order does not exist.");
    };
    if let OrderStatus::Rejected(reason) = order.status {
        core.counters.orders_rejected += 1;
        return rejection(reason);
    }
    Json(order_json(&core, &order)).into_response()
}

fn rejection(reason: RejectReason) -> Response {
    let (code, message) = match reason {
        RejectReason::PostOnlyWouldCross => (
            -5022,
            "Due to the order could not be executed as maker, the Post Only order will be rejected. The order will not be recorded in the order history",
        ),
        RejectReason::NothingToReduce => (-2022, "ReduceOnly Order is rejected."),
        RejectReason::InvalidQuantity => (
            -1111,
            "Precision is over the maximum defined for this asset.",
        ),
        RejectReason::InvalidPrice => (-4014, "Price not increased by tick size."),
        RejectReason::NoLiquidity => (-2010, "Order would immediately trigger."),
        RejectReason::DuplicateId => (-4116, "ClientOrderId is duplicated."),
        // Not a simulated-exchange outcome; kept for completeness.
        RejectReason::VenueRefused => (-2010, "NEW_ORDER_REJECTED"),
    };
    error(StatusCode::BAD_REQUEST, code, message)
}

/// The order named by `orderId` or `origClientOrderId`.
fn find_order(core: &Core, account: usize, params: &Params) -> Option<u64> {
    let account = &core.accounts[account];
    if let Some(id) = params
        .get("orderId")
        .and_then(|text| text.parse::<u64>().ok())
    {
        return account.orders.contains_key(&id).then_some(id);
    }
    params
        .get("origClientOrderId")
        .and_then(|client_id| account.order_of_client_id(client_id))
}

/// `DELETE /fapi/v1/order`: answers once the cancel reached the simulated exchange; an order
/// that filled before is `-2011` (SPEC 5: the fill stands).
pub async fn cancel_order(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: String,
) -> Response {
    let signed = match authenticate(&app, &headers, query.as_deref(), &body) {
        Ok(signed) => signed,
        Err(failure) => return failure.into_response(),
    };
    let (order_id, arrival) = {
        let mut core = app.shared.lock();
        if let Err(failure) = check_symbol(&core, &signed.params) {
            return failure.into_response();
        }
        core.counters.cancels_received += 1;
        let Some(order_id) = find_order(&core, signed.account, &signed.params) else {
            return error(StatusCode::BAD_REQUEST, -2011, "Unknown order sent.");
        };
        let open = core.accounts[signed.account]
            .orders
            .get(&order_id)
            .is_some_and(|order| order.status.is_open());
        if !open {
            return error(StatusCode::BAD_REQUEST, -2011, "Unknown order sent.");
        }
        let now = core.replay_now;
        (
            order_id,
            core.accounts[signed.account].cancel(now, order_id),
        )
    };
    if !matches!(
        tokio::time::timeout(ARRIVAL_TIMEOUT, arrival).await,
        Ok(Ok(()))
    ) {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            -1007,
            "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
        );
    }
    let core = app.shared.lock();
    match core.accounts[signed.account].orders.get(&order_id) {
        Some(order) if order.status == OrderStatus::Canceled => {
            Json(order_json(&core, order)).into_response()
        }
        _ => error(StatusCode::BAD_REQUEST, -2011, "Unknown order sent."),
    }
}

/// `GET /fapi/v1/order`.
pub async fn query_order(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let signed = match authenticate(&app, &headers, query.as_deref(), "") {
        Ok(signed) => signed,
        Err(failure) => return failure.into_response(),
    };
    let core = app.shared.lock();
    if let Err(failure) = check_symbol(&core, &signed.params) {
        return failure.into_response();
    }
    match find_order(&core, signed.account, &signed.params)
        .and_then(|id| core.accounts[signed.account].orders.get(&id))
    {
        Some(order) => Json(order_json(&core, order)).into_response(),
        None => error(StatusCode::BAD_REQUEST, -2013, "Order does not exist."),
    }
}

/// `GET /fapi/v1/openOrders`.
pub async fn open_orders(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let signed = match authenticate(&app, &headers, query.as_deref(), "") {
        Ok(signed) => signed,
        Err(failure) => return failure.into_response(),
    };
    let core = app.shared.lock();
    if signed.params.get("symbol").is_some()
        && let Err(failure) = check_symbol(&core, &signed.params)
    {
        return failure.into_response();
    }
    let orders: Vec<Value> = core.accounts[signed.account]
        .orders
        .values()
        .filter(|order| {
            matches!(
                order.status,
                OrderStatus::New | OrderStatus::PartiallyFilled
            )
        })
        .map(|order| order_json(&core, order))
        .collect();
    Json(Value::Array(orders)).into_response()
}

/// An order as the REST endpoints write it.
pub fn order_json(core: &Core, order: &OrderRecord) -> Value {
    let price_decimals = decimals_of_step(i128::from(core.instrument.tick_size.raw()));
    let size_decimals = decimals_of_step(core.instrument.lot_size.raw());
    json!({
        "orderId": order.order_id,
        "symbol": core.instrument.key.symbol,
        "status": status_text(order.status),
        "clientOrderId": order.client_id,
        "price": fixed(i128::from(order.price.unwrap_or(Price::ZERO).raw()), price_decimals),
        "avgPrice": fixed(i128::from(order.average_price().raw()), price_decimals),
        "origQty": fixed(order.quantity.raw(), size_decimals),
        "executedQty": fixed(order.filled.raw(), size_decimals),
        "cumQty": fixed(order.filled.raw(), size_decimals),
        "cumQuote": fixed(order.filled_quote().raw(), 8),
        "timeInForce": time_in_force_text(order),
        "type": type_text(order),
        "origType": type_text(order),
        "reduceOnly": order.reduce_only,
        "closePosition": false,
        "side": side_text(order.side),
        "positionSide": "BOTH",
        "stopPrice": "0",
        "workingType": "CONTRACT_PRICE",
        "priceProtect": false,
        "priceMatch": "NONE",
        "selfTradePreventionMode": "NONE",
        "goodTillDate": 0,
        "time": order.created.as_i64() / 1_000_000,
        "updateTime": order.updated.as_i64() / 1_000_000,
    })
}

pub fn status_text(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::PendingNew | OrderStatus::New => "NEW",
        OrderStatus::PartiallyFilled => "PARTIALLY_FILLED",
        OrderStatus::Filled => "FILLED",
        OrderStatus::Canceled => "CANCELED",
        OrderStatus::Expired => "EXPIRED",
        OrderStatus::Rejected(_) => "REJECTED",
    }
}

pub fn side_text(side: OrderSide) -> &'static str {
    match side {
        OrderSide::Buy => "BUY",
        OrderSide::Sell => "SELL",
    }
}

pub fn type_text(order: &OrderRecord) -> &'static str {
    if order.price.is_some() {
        "LIMIT"
    } else {
        "MARKET"
    }
}

pub fn time_in_force_text(order: &OrderRecord) -> &'static str {
    match order.time_in_force {
        TimeInForce::GoodTillCancel => "GTC",
        TimeInForce::ImmediateOrCancel => "IOC",
        TimeInForce::PostOnly => "GTX",
    }
}
