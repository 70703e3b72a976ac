//! Binance account state (signed): `GET /fapi/v2/positionRisk`, `GET /fapi/v2/balance`,
//! `GET /fapi/v1/userTrades`; and
//! the user-data stream's listen key (`POST/PUT/DELETE /fapi/v1/listenKey`, API key only).

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use auction_trader_types::{Liquidity, OrderSide, Price};

use crate::binance::market::error;
use crate::binance::trading::{api_key_account, authenticate};
use crate::format::{decimals_of_step, fixed};
use crate::server::App;
use crate::state::Core;

/// `GET /fapi/v2/positionRisk` (one-way mode: one `BOTH` position).
pub async fn position_risk(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let signed = match authenticate(&app, &headers, query.as_deref(), "") {
        Ok(signed) => signed,
        Err(failure) => return failure.into_response(),
    };
    let core = app.shared.lock();
    Json(json!([position_json(&core, signed.account)])).into_response()
}

/// One position as `positionRisk` writes it.
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
        auction_trader_types::Money::ZERO
    };
    json!({
        "symbol": core.instrument.key.symbol,
        "positionAmt": fixed(position.raw(), size_decimals),
        "entryPrice": fixed(i128::from(entry.raw()), price_decimals),
        "breakEvenPrice": fixed(i128::from(entry.raw()), price_decimals),
        "markPrice": fixed(i128::from(mark.raw()), price_decimals),
        "unRealizedProfit": fixed(unrealized.raw(), 8),
        "liquidationPrice": "0",
        "leverage": "20",
        "maxNotionalValue": "25000000",
        "marginType": "cross",
        "isolatedMargin": "0.00000000",
        "isAutoAddMargin": "false",
        "positionSide": "BOTH",
        "notional": fixed(mark.notional_raw(position), 8),
        "isolatedWallet": "0",
        "updateTime": account.updated.as_i64() / 1_000_000,
    })
}

/// `GET /fapi/v2/balance`.
pub async fn balance(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let signed = match authenticate(&app, &headers, query.as_deref(), "") {
        Ok(signed) => signed,
        Err(failure) => return failure.into_response(),
    };
    let core = app.shared.lock();
    let account = &core.accounts[signed.account];
    let ledger = account.exchange.account();
    let mark = account.exchange.mark_price();
    let unrealized = mark.map_or(auction_trader_types::Money::ZERO, |mark| {
        ledger.unrealized_pnl(mark)
    });
    let wallet = fixed(ledger.cash().raw(), 8);
    let available = fixed(ledger.cash().saturating_add(unrealized).raw(), 8);
    Json(json!([{
        "accountAlias": "mock",
        "asset": "USDT",
        "balance": wallet,
        "crossWalletBalance": wallet,
        "crossUnPnl": fixed(unrealized.raw(), 8),
        "availableBalance": available,
        "maxWithdrawAmount": available,
        "marginAvailable": true,
        "updateTime": account.updated.as_i64() / 1_000_000,
    }]))
    .into_response()
}

/// `POST /fapi/v1/listenKey` (API key only): one key per account, reused while valid.
pub async fn new_listen_key(State(app): State<App>, headers: HeaderMap) -> Response {
    let account = match api_key_account(&app, &headers) {
        Ok(account) => account,
        Err(failure) => return failure.into_response(),
    };
    let mut core = app.shared.lock();
    let existing = core
        .listen_keys
        .iter()
        .find(|(_, owner)| **owner == account)
        .map(|(key, _)| key.clone());
    let key = existing.unwrap_or_else(|| {
        let key = format!("mockListenKey{:020}", core.allocate_order_id());
        core.listen_keys.insert(key.clone(), account);
        key
    });
    Json(json!({ "listenKey": key })).into_response()
}

/// `PUT /fapi/v1/listenKey`: keep-alive.
pub async fn keep_listen_key(State(app): State<App>, headers: HeaderMap) -> Response {
    let account = match api_key_account(&app, &headers) {
        Ok(account) => account,
        Err(failure) => return failure.into_response(),
    };
    let core = app.shared.lock();
    if core.listen_keys.values().any(|owner| *owner == account) {
        Json(json!({})).into_response()
    } else {
        error(
            StatusCode::BAD_REQUEST,
            -1125,
            "This listenKey does not exist.",
        )
    }
}

/// `DELETE /fapi/v1/listenKey`.
pub async fn close_listen_key(State(app): State<App>, headers: HeaderMap) -> Response {
    let account = match api_key_account(&app, &headers) {
        Ok(account) => account,
        Err(failure) => return failure.into_response(),
    };
    app.shared
        .lock()
        .listen_keys
        .retain(|_, owner| *owner != account);
    Json(json!({})).into_response()
}

/// `GET /fapi/v1/userTrades?symbol=..[&orderId=..][&startTime=..][&limit=..]`: the account's
/// trades, oldest first (Binance: ascending by id), at most `limit` (default 500, at most
/// 1,000). `commission` is what the account paid (negative: a rebate), in USDT.
pub async fn user_trades(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let signed = match authenticate(&app, &headers, query.as_deref(), "") {
        Ok(signed) => signed,
        Err(failure) => return failure.into_response(),
    };
    let core = app.shared.lock();
    let symbol = signed.params.get("symbol").unwrap_or_default();
    if !symbol.eq_ignore_ascii_case(&core.instrument.key.symbol.to_string()) {
        return error(StatusCode::BAD_REQUEST, -1121, "Invalid symbol.");
    }
    let order_filter = signed
        .params
        .get("orderId")
        .and_then(|text| text.parse::<u64>().ok());
    let start_ms = signed
        .params
        .get("startTime")
        .and_then(|text| text.parse::<i64>().ok())
        .unwrap_or(i64::MIN);
    let limit = signed
        .params
        .get("limit")
        .and_then(|text| text.parse::<usize>().ok())
        .unwrap_or(500)
        .clamp(1, 1000);
    let price_decimals = decimals_of_step(i128::from(core.instrument.tick_size.raw()));
    let size_decimals = decimals_of_step(core.instrument.lot_size.raw());
    let account = &core.accounts[signed.account];
    let trades: Vec<Value> = account
        .executions
        .iter()
        .filter(|(order_id, info)| {
            order_filter.is_none_or(|wanted| wanted == *order_id)
                && info.fill.ts.as_i64() / 1_000_000 >= start_ms
        })
        .take(limit)
        .map(|(order_id, info)| {
            let fill = info.fill;
            json!({
                "buyer": fill.side == OrderSide::Buy,
                "commission": fixed(fill.fee.raw(), 8),
                "commissionAsset": "USDT",
                "id": info.trade_id,
                "maker": fill.liquidity == Liquidity::Maker,
                "orderId": order_id,
                "price": fixed(i128::from(fill.price.raw()), price_decimals),
                "qty": fixed(fill.quantity.raw(), size_decimals),
                "quoteQty": fixed(fill.price.notional_raw(fill.quantity), 8),
                "realizedPnl": fixed(info.realized.raw(), 8),
                "side": if fill.side == OrderSide::Buy { "BUY" } else { "SELL" },
                "positionSide": "BOTH",
                "symbol": core.instrument.key.symbol,
                "time": fill.ts.as_i64() / 1_000_000,
            })
        })
        .collect();
    Json(Value::Array(trades)).into_response()
}
