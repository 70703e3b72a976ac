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
use axum::extract::{Query, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use auction_trader_types::{Liquidity, Money, OrderSide, Price, Quantity, RejectReason};

use crate::account::{FillInfo, OrderRecord, OrderStatus, TimeInForce};
use crate::format::{decimals_of_step, fixed};
use crate::params::Params;
use crate::server::App;
use crate::signing::verify_hex;
use crate::state::Core;
use crate::wall_clock::now_ms;

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

#[derive(Debug, Deserialize)]
pub struct BookQuery {
    symbol: Option<String>,
    limit: Option<usize>,
}

/// `GET /v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=50` (at most the 50
/// levels of the converted book).
pub async fn orderbook(State(app): State<App>, Query(query): Query<BookQuery>) -> Response {
    let core = app.shared.lock();
    if !query
        .symbol
        .as_deref()
        .is_some_and(|symbol| symbol.eq_ignore_ascii_case(&core.instrument.key.symbol))
    {
        return failure(10001, "params error: symbol invalid");
    }
    let Some(feed) = core.bybit.as_ref() else {
        return failure(10001, "not a bybit venue");
    };
    envelope(0, "OK", feed.rest_book(query.limit.unwrap_or(25)))
}

pub async fn time() -> Response {
    let ms = now_ms();
    envelope(
        0,
        "OK",
        json!({ "timeSecond": (ms / 1000).to_string(), "timeNano": (i128::from(ms) * 1_000_000).to_string() }),
    )
}

/// `GET /v5/market/funding/history`: the replayed captures record no funding rate, so the
/// history is empty (never an invented rate).
pub async fn funding_history() -> Response {
    envelope(0, "OK", json!({ "category": "linear", "list": [] }))
}

/// `GET /v5/market/instruments-info`: the replayed symbol's tick and lot.
pub async fn instruments_info(State(app): State<App>) -> Response {
    let core = app.shared.lock();
    let instrument = &core.instrument;
    let price_decimals = decimals_of_step(i128::from(instrument.tick_size.raw()));
    let size_decimals = decimals_of_step(instrument.lot_size.raw());
    envelope(
        0,
        "OK",
        json!({
            "category": "linear",
            "list": [{
                "symbol": instrument.key.symbol,
                "contractType": "LinearPerpetual",
                "status": "Trading",
                "quoteCoin": "USDT",
                "settleCoin": "USDT",
                "priceScale": price_decimals.to_string(),
                "priceFilter": {
                    "tickSize": fixed(i128::from(instrument.tick_size.raw()), price_decimals),
                    "minPrice": fixed(i128::from(instrument.tick_size.raw()), price_decimals),
                    "maxPrice": "1999999.80",
                },
                "lotSizeFilter": {
                    "qtyStep": fixed(instrument.lot_size.raw(), size_decimals),
                    "minOrderQty": fixed(instrument.min_size.raw(), size_decimals),
                    "maxOrderQty": "1190.000",
                },
            }],
            "nextPageCursor": "",
        }),
    )
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

/// `POST /v5/order/create`.
pub async fn create_order(State(app): State<App>, headers: HeaderMap, body: String) -> Response {
    let account = match authenticate(&app, &headers, &body) {
        Ok(account) => account,
        Err(failure) => return failure.into_response(),
    };
    let body = match body_json(&body) {
        Ok(body) => body,
        Err(failure) => return failure.into_response(),
    };
    submit(&app, account, &body, None).await
}

/// Validates and sends an order; waits for its arrival; answers `{orderId, orderLinkId}`.
async fn submit(app: &App, account: usize, body: &Value, reuse_id: Option<u64>) -> Response {
    let side = match text_field(body, "side") {
        Some("Buy") => OrderSide::Buy,
        Some("Sell") => OrderSide::Sell,
        _ => return failure(10001, "params error: side invalid"),
    };
    let Some(quantity) =
        text_field(body, "qty").and_then(|text| Quantity::from_decimal_str(text).ok())
    else {
        return failure(10001, "params error: qty invalid");
    };
    let (price, time_in_force) = match text_field(body, "orderType") {
        Some("Market") => (None, TimeInForce::GoodTillCancel),
        Some("Limit") => {
            let Some(price) =
                text_field(body, "price").and_then(|text| Price::from_decimal_str(text).ok())
            else {
                return failure(10001, "params error: price invalid");
            };
            let time_in_force = match text_field(body, "timeInForce").unwrap_or("GTC") {
                "GTC" => TimeInForce::GoodTillCancel,
                "IOC" => TimeInForce::ImmediateOrCancel,
                "PostOnly" => TimeInForce::PostOnly,
                _ => return failure(10001, "params error: timeInForce invalid"),
            };
            (Some(price), time_in_force)
        }
        _ => return failure(10001, "params error: orderType invalid"),
    };
    let reduce_only = body.get("reduceOnly").and_then(Value::as_bool) == Some(true);
    let (order_id, arrival) = {
        let mut core = app.shared.lock();
        if let Err(failure) = check_symbol(&core, body) {
            return failure.into_response();
        }
        core.counters.orders_received += 1;
        if core.faults.take_reject() {
            core.counters.orders_rejected += 1;
            return failure(
                110007,
                "ab not enough for new order (mock: injected rejection)",
            );
        }
        let order_id = reuse_id.unwrap_or_else(|| core.allocate_order_id());
        let client_id = text_field(body, "orderLinkId")
            .map_or_else(|| format!("mock-{order_id}"), str::to_owned);
        if reuse_id.is_none() && core.accounts[account].client_id_in_use(&client_id) {
            core.counters.orders_rejected += 1;
            return failure(110072, "OrderLinkedID is duplicate");
        }
        let now = core.replay_now;
        let arrival = core.accounts[account].submit(
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
        return failure(10016, "Server Timeout: order status unknown");
    }
    let mut core = app.shared.lock();
    let Some(order) = core.accounts[account].orders.get(&order_id).cloned() else {
        return failure(110001, "Order does not exist.");
    };
    if let OrderStatus::Rejected(reason) = order.status {
        core.counters.orders_rejected += 1;
        return failure(10001, &format!("order rejected: {}", reject_text(reason)));
    }
    envelope(
        0,
        "OK",
        json!({ "orderId": order.order_id.to_string(), "orderLinkId": order.client_id }),
    )
}

fn reject_text(reason: RejectReason) -> &'static str {
    match reason {
        RejectReason::PostOnlyWouldCross => "EC_PostOnlyWillTakeLiquidity",
        RejectReason::NothingToReduce => "EC_ReduceOnlySetButNotReducing",
        RejectReason::InvalidQuantity => "EC_InvalidQty",
        RejectReason::InvalidPrice => "EC_InvalidPrice",
        RejectReason::NoLiquidity => "EC_NoImmediateQtyToFill",
        RejectReason::DuplicateId => "EC_DuplicateOrderId",
    }
}

/// The order a cancel or amend names (`orderId` or `orderLinkId`).
fn find_order(core: &Core, account: usize, body: &Value) -> Option<u64> {
    let account = &core.accounts[account];
    if let Some(id) = text_field(body, "orderId").and_then(|text| text.parse::<u64>().ok()) {
        return account.orders.contains_key(&id).then_some(id);
    }
    text_field(body, "orderLinkId").and_then(|link| account.order_of_client_id(link))
}

/// Sends a cancel and waits for it; true when the order was canceled (not filled before).
async fn cancel_and_wait(app: &App, account: usize, order_id: u64) -> Result<bool, BybitError> {
    let arrival = {
        let mut core = app.shared.lock();
        core.counters.cancels_received += 1;
        let open = core.accounts[account]
            .orders
            .get(&order_id)
            .is_some_and(|order| order.status.is_open());
        if !open {
            return Ok(false);
        }
        let now = core.replay_now;
        core.accounts[account].cancel(now, order_id)
    };
    if !matches!(
        tokio::time::timeout(ARRIVAL_TIMEOUT, arrival).await,
        Ok(Ok(()))
    ) {
        return Err(fail(10016, "Server Timeout: cancel status unknown"));
    }
    let core = app.shared.lock();
    Ok(core.accounts[account]
        .orders
        .get(&order_id)
        .is_some_and(|order| order.status == OrderStatus::Canceled))
}

/// `POST /v5/order/cancel`.
pub async fn cancel_order(State(app): State<App>, headers: HeaderMap, body: String) -> Response {
    let account = match authenticate(&app, &headers, &body) {
        Ok(account) => account,
        Err(failure) => return failure.into_response(),
    };
    let body = match body_json(&body) {
        Ok(body) => body,
        Err(failure) => return failure.into_response(),
    };
    let found = {
        let core = app.shared.lock();
        if let Err(failure) = check_symbol(&core, &body) {
            return failure.into_response();
        }
        find_order(&core, account, &body)
    };
    let Some(order_id) = found else {
        return failure(110001, "Order does not exist.");
    };
    match cancel_and_wait(&app, account, order_id).await {
        Ok(true) => {
            let core = app.shared.lock();
            let link = core.accounts[account]
                .orders
                .get(&order_id)
                .map(|order| order.client_id.clone())
                .unwrap_or_default();
            envelope(
                0,
                "OK",
                json!({ "orderId": order_id.to_string(), "orderLinkId": link }),
            )
        }
        Ok(false) => failure(110001, "Order does not exist."),
        Err(failure) => failure.into_response(),
    }
}

/// `POST /v5/order/amend`: new `qty` and/or `price` for an open limit order.
pub async fn amend_order(State(app): State<App>, headers: HeaderMap, body: String) -> Response {
    let account = match authenticate(&app, &headers, &body) {
        Ok(account) => account,
        Err(failure) => return failure.into_response(),
    };
    let body = match body_json(&body) {
        Ok(body) => body,
        Err(failure) => return failure.into_response(),
    };
    let (order_id, replacement) = {
        let core = app.shared.lock();
        if let Err(failure) = check_symbol(&core, &body) {
            return failure.into_response();
        }
        let Some(order_id) = find_order(&core, account, &body) else {
            return failure(110001, "Order does not exist.");
        };
        let Some(order) = core.accounts[account].orders.get(&order_id) else {
            return failure(110001, "Order does not exist.");
        };
        let Some(old_price) = order.price else {
            return failure(10001, "params error: only limit orders can be amended");
        };
        let size_decimals = decimals_of_step(core.instrument.lot_size.raw());
        let price_decimals = decimals_of_step(i128::from(core.instrument.tick_size.raw()));
        // The remainder under the new terms.
        let quantity =
            match text_field(&body, "qty").and_then(|text| Quantity::from_decimal_str(text).ok()) {
                Some(quantity) => quantity.saturating_sub(order.filled),
                None => order.quantity.saturating_sub(order.filled),
            };
        let price = text_field(&body, "price").map_or_else(
            || fixed(i128::from(old_price.raw()), price_decimals),
            str::to_owned,
        );
        let replacement = json!({
            "symbol": core.instrument.key.symbol,
            "side": if order.side == OrderSide::Buy { "Buy" } else { "Sell" },
            "orderType": "Limit",
            "qty": fixed(quantity.raw(), size_decimals),
            "price": price,
            "timeInForce": match order.time_in_force {
                TimeInForce::GoodTillCancel => "GTC",
                TimeInForce::ImmediateOrCancel => "IOC",
                TimeInForce::PostOnly => "PostOnly",
            },
            "reduceOnly": order.reduce_only,
            "orderLinkId": order.client_id,
        });
        (order_id, replacement)
    };
    match cancel_and_wait(&app, account, order_id).await {
        Ok(true) => submit(&app, account, &replacement, Some(order_id)).await,
        Ok(false) => failure(110001, "Order does not exist."),
        Err(failure) => failure.into_response(),
    }
}

/// `GET /v5/order/realtime?category=linear&symbol=...` (open orders; with `orderId` or
/// `orderLinkId` that order whatever its status).
pub async fn open_orders(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let account = match authenticate(&app, &headers, &query) {
        Ok(account) => account,
        Err(failure) => return failure.into_response(),
    };
    let params = Params::parse(&query);
    let core = app.shared.lock();
    let orders = &core.accounts[account].orders;
    let wanted_id = params
        .get("orderId")
        .and_then(|text| text.parse::<u64>().ok());
    let wanted_link = params.get("orderLinkId");
    let list: Vec<Value> = orders
        .values()
        .filter(|order| match (wanted_id, wanted_link) {
            (Some(id), _) => order.order_id == id,
            (None, Some(link)) => order.client_id == link,
            (None, None) => {
                matches!(
                    order.status,
                    OrderStatus::New | OrderStatus::PartiallyFilled
                )
            }
        })
        .map(|order| order_json(&core, order))
        .collect();
    envelope(
        0,
        "OK",
        json!({ "category": "linear", "list": list, "nextPageCursor": "" }),
    )
}

/// An order in Bybit's shape (REST and the `order` topic).
pub fn order_json(core: &Core, order: &OrderRecord) -> Value {
    let price_decimals = decimals_of_step(i128::from(core.instrument.tick_size.raw()));
    let size_decimals = decimals_of_step(core.instrument.lot_size.raw());
    let status = match order.status {
        OrderStatus::PendingNew | OrderStatus::New => "New",
        OrderStatus::PartiallyFilled => "PartiallyFilled",
        OrderStatus::Filled => "Filled",
        OrderStatus::Canceled | OrderStatus::Expired => "Cancelled",
        OrderStatus::Rejected(_) => "Rejected",
    };
    let cancel_type = match order.status {
        OrderStatus::Canceled => "CancelByUser",
        OrderStatus::Expired => "CancelByIOC",
        _ => "UNKNOWN",
    };
    json!({
        "orderId": order.order_id.to_string(),
        "orderLinkId": order.client_id,
        "symbol": core.instrument.key.symbol,
        "category": "linear",
        "side": if order.side == OrderSide::Buy { "Buy" } else { "Sell" },
        "orderType": if order.price.is_some() { "Limit" } else { "Market" },
        "price": fixed(i128::from(order.price.map_or(0, |price| price.raw())), price_decimals),
        "qty": fixed(order.quantity.raw(), size_decimals),
        "timeInForce": match order.time_in_force {
            TimeInForce::GoodTillCancel => "GTC",
            TimeInForce::ImmediateOrCancel => "IOC",
            TimeInForce::PostOnly => "PostOnly",
        },
        "orderStatus": status,
        "cancelType": cancel_type,
        "rejectReason": "EC_NoError",
        "avgPrice": fixed(i128::from(order.average_price().raw()), price_decimals),
        "leavesQty": fixed(order.quantity.saturating_sub(order.filled).raw(), size_decimals),
        "cumExecQty": fixed(order.filled.raw(), size_decimals),
        "cumExecValue": fixed(order.filled_quote().raw(), 8),
        "reduceOnly": order.reduce_only,
        "positionIdx": 0,
        "createdTime": (order.created.as_i64() / 1_000_000).to_string(),
        "updatedTime": (order.updated.as_i64() / 1_000_000).to_string(),
    })
}

/// One fill in Bybit's shape (`/v5/execution/list` and the `execution` topic).
pub fn execution_json(core: &Core, order: &OrderRecord, info: &FillInfo) -> Value {
    let price_decimals = decimals_of_step(i128::from(core.instrument.tick_size.raw()));
    let size_decimals = decimals_of_step(core.instrument.lot_size.raw());
    let fill = info.fill;
    let maker = fill.liquidity == Liquidity::Maker;
    let fee_rate = if maker {
        core.instrument.maker_fee
    } else {
        core.instrument.taker_fee
    };
    json!({
        "category": "linear",
        "symbol": core.instrument.key.symbol,
        "orderId": order.order_id.to_string(),
        "orderLinkId": order.client_id,
        "side": if order.side == OrderSide::Buy { "Buy" } else { "Sell" },
        "orderPrice": fixed(i128::from(order.price.map_or(0, |price| price.raw())), price_decimals),
        "orderQty": fixed(order.quantity.raw(), size_decimals),
        "leavesQty": fixed(fill.leaves_quantity.raw(), size_decimals),
        "orderType": if order.price.is_some() { "Limit" } else { "Market" },
        "execId": info.trade_id.to_string(),
        "execPrice": fixed(i128::from(fill.price.raw()), price_decimals),
        "execQty": fixed(fill.quantity.raw(), size_decimals),
        "execValue": fixed(fill.price.notional_raw(fill.quantity), 8),
        "execFee": fixed(fill.fee.raw(), 8),
        "feeRate": fee_rate.to_string(),
        "execType": "Trade",
        "isMaker": maker,
        "execTime": (fill.ts.as_i64() / 1_000_000).to_string(),
        "closedSize": "0",
        "execPnl": fixed(info.realized.raw(), 8),
    })
}

/// `GET /v5/execution/list?category=linear&symbol=...&startTime=&limit=`: the account's
/// fills, newest first, `execTime` (replay time) at or after `startTime`, at most `limit`
/// (default 50, at most 100), optionally of one `orderId`.
pub async fn executions(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let account = match authenticate(&app, &headers, &query) {
        Ok(account) => account,
        Err(failure) => return failure.into_response(),
    };
    let params = Params::parse(&query);
    let start_ms = params
        .get("startTime")
        .and_then(|text| text.parse::<i64>().ok())
        .unwrap_or(i64::MIN);
    let limit = params
        .get("limit")
        .and_then(|text| text.parse::<usize>().ok())
        .unwrap_or(50)
        .clamp(1, 100);
    let order_filter = params
        .get("orderId")
        .and_then(|text| text.parse::<u64>().ok());
    let core = app.shared.lock();
    let state = &core.accounts[account];
    let list: Vec<Value> = state
        .executions
        .iter()
        .rev()
        .filter(|(order_id, info)| {
            info.fill.ts.as_i64() / 1_000_000 >= start_ms
                && order_filter.is_none_or(|wanted| wanted == *order_id)
        })
        .filter_map(|(order_id, info)| {
            state
                .orders
                .get(order_id)
                .map(|order| execution_json(&core, order, info))
        })
        .take(limit)
        .collect();
    envelope(
        0,
        "OK",
        json!({ "category": "linear", "list": list, "nextPageCursor": "" }),
    )
}

/// `GET /v5/position/list?category=linear&symbol=...`.
pub async fn positions(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let account = match authenticate(&app, &headers, &query) {
        Ok(account) => account,
        Err(failure) => return failure.into_response(),
    };
    let core = app.shared.lock();
    envelope(
        0,
        "OK",
        json!({
            "category": "linear",
            "list": [position_json(&core, account)],
            "nextPageCursor": "",
        }),
    )
}

/// The position in Bybit's shape (REST and the `position` topic).
pub fn position_json(core: &Core, account_index: usize) -> Value {
    let account = &core.accounts[account_index];
    let ledger = account.exchange.account();
    let position = account.reported_position();
    let price_decimals = decimals_of_step(i128::from(core.instrument.tick_size.raw()));
    let size_decimals = decimals_of_step(core.instrument.lot_size.raw());
    let mark = account.exchange.mark_price().unwrap_or(Price::ZERO);
    let entry = ledger.average_entry().unwrap_or(Price::ZERO);
    let unrealized = if mark.is_positive() {
        ledger.unrealized_pnl(mark)
    } else {
        Money::ZERO
    };
    let side = if position.is_positive() {
        "Buy"
    } else if position.is_negative() {
        "Sell"
    } else {
        ""
    };
    json!({
        "positionIdx": 0,
        "symbol": core.instrument.key.symbol,
        "side": side,
        "size": fixed(position.abs().raw(), size_decimals),
        "avgPrice": fixed(i128::from(entry.raw()), price_decimals),
        "positionValue": fixed(entry.notional_raw(position.abs()), 8),
        "markPrice": fixed(i128::from(mark.raw()), price_decimals),
        "unrealisedPnl": fixed(unrealized.raw(), 8),
        "cumRealisedPnl": fixed(ledger.realized_pnl().raw(), 8),
        "leverage": "10",
        "tradeMode": 0,
        "positionStatus": "Normal",
        "updatedTime": (account.updated.as_i64() / 1_000_000).to_string(),
    })
}

/// `GET /v5/account/wallet-balance?accountType=UNIFIED`.
pub async fn wallet_balance(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let account = match authenticate(&app, &headers, &query) {
        Ok(account) => account,
        Err(failure) => return failure.into_response(),
    };
    let core = app.shared.lock();
    envelope(0, "OK", json!({ "list": [wallet_json(&core, account)] }))
}

/// The unified account's wallet (REST and the `wallet` topic).
pub fn wallet_json(core: &Core, account_index: usize) -> Value {
    let account = &core.accounts[account_index];
    let ledger = account.exchange.account();
    let unrealized = account
        .exchange
        .mark_price()
        .map_or(Money::ZERO, |mark| ledger.unrealized_pnl(mark));
    let wallet = fixed(ledger.cash().raw(), 8);
    let equity = fixed(ledger.cash().saturating_add(unrealized).raw(), 8);
    json!({
        "accountType": "UNIFIED",
        "totalEquity": equity,
        "totalWalletBalance": wallet,
        "totalAvailableBalance": equity,
        "totalPerpUPL": fixed(unrealized.raw(), 8),
        "coin": [{
            "coin": "USDT",
            "equity": equity,
            "walletBalance": wallet,
            "unrealisedPnl": fixed(unrealized.raw(), 8),
            "cumRealisedPnl": fixed(ledger.realized_pnl().raw(), 8),
            "availableToWithdraw": wallet,
        }],
    })
}
