//! Bybit v5 account state: positions and the unified wallet (signed).

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use auction_trader_types::{Money, Price};

use super::{authenticate, envelope};
use crate::format::{decimals_of_step, fixed};
use crate::server::App;
use crate::state::Core;

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
