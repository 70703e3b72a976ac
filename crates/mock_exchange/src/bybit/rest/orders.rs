//! Bybit v5 orders: create, cancel, amend, open orders and executions (signed).

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use auction_trader_types::{Liquidity, OrderSide, Price, Quantity, RejectReason};

use super::{
    ARRIVAL_TIMEOUT, BybitError, authenticate, body_json, check_symbol, envelope, fail, failure,
    text_field,
};
use crate::account::{FillInfo, OrderRecord, OrderStatus, TimeInForce};
use crate::format::{decimals_of_step, fixed};
use crate::params::Params;
use crate::server::App;
use crate::state::Core;

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
            core.counters.duplicate_client_ids += 1;
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
        RejectReason::VenueRefused => "EC_Others",
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
