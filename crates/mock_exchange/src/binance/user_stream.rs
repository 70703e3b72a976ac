//! Binance user-data stream: `GET /ws/<listenKey>` and the messages it carries, in Binance
//! USD-M's shapes: `ORDER_TRADE_UPDATE` for every order change (`x` NEW, TRADE, CANCELED,
//! EXPIRED) and `ACCOUNT_UPDATE` (reason `ORDER`) after each fill with the wallet balance and
//! the position. Event times `E`/`T` are replay times (the recorded exchange clock), like the
//! market frames.

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use auction_trader_types::Liquidity;

use crate::account::{ExecType, OrderUpdate};
use crate::binance::market::error;
use crate::binance::trading::{side_text, status_text, time_in_force_text, type_text};
use crate::connections::ConnectionKind;
use crate::format::{decimals_of_step, fixed};
use crate::server::{App, pump};
use crate::state::Core;

/// `GET /ws/<listenKey>`.
pub async fn connect(
    State(app): State<App>,
    Path(listen_key): Path<String>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some(account) = app.shared.lock().listen_keys.get(&listen_key).copied() else {
        return error(
            StatusCode::BAD_REQUEST,
            -1125,
            "This listenKey does not exist.",
        );
    };
    upgrade
        .on_upgrade(move |socket| async move {
            let (id, queue) = app
                .shared
                .lock()
                .connections
                .register(ConnectionKind::User(Some(account)));
            pump(app, socket, id, queue, |_, _| Vec::new()).await;
        })
        .into_response()
}

/// The user-data messages of an account's order updates (no topic: every private
/// connection of the account gets them).
pub fn render(
    core: &Core,
    account_index: usize,
    updates: &[OrderUpdate],
) -> Vec<(Option<&'static str>, String)> {
    let price_decimals = decimals_of_step(i128::from(core.instrument.tick_size.raw()));
    let size_decimals = decimals_of_step(core.instrument.lot_size.raw());
    let symbol = &core.instrument.key.symbol;
    let mut messages = Vec::new();
    for update in updates {
        let order = &update.order;
        let ms = update.ts.as_i64() / 1_000_000;
        let (last_quantity, last_price, fee, trade_id, maker, realized) = match update.fill {
            Some(info) => (
                info.fill.quantity.raw(),
                i128::from(info.fill.price.raw()),
                info.fill.fee.raw(),
                info.trade_id,
                info.fill.liquidity == Liquidity::Maker,
                info.realized.raw(),
            ),
            None => (0, 0, 0, 0, false, 0),
        };
        let exec = match update.exec {
            ExecType::New => "NEW",
            ExecType::Trade => "TRADE",
            ExecType::Canceled => "CANCELED",
            ExecType::Expired => "EXPIRED",
        };
        let order_message = json!({
            "e": "ORDER_TRADE_UPDATE",
            "E": ms,
            "T": ms,
            "o": {
                "s": symbol,
                "c": order.client_id,
                "S": side_text(order.side),
                "o": type_text(order),
                "f": time_in_force_text(order),
                "q": fixed(order.quantity.raw(), size_decimals),
                "p": fixed(i128::from(order.price.map_or(0, |price| price.raw())), price_decimals),
                "ap": fixed(i128::from(order.average_price().raw()), price_decimals),
                "sp": "0",
                "x": exec,
                "X": status_text(order.status),
                "i": order.order_id,
                "l": fixed(last_quantity, size_decimals),
                "z": fixed(order.filled.raw(), size_decimals),
                "L": fixed(last_price, price_decimals),
                "N": "USDT",
                "n": fixed(fee, 8),
                "T": ms,
                "t": trade_id,
                "b": "0",
                "a": "0",
                "m": maker,
                "R": order.reduce_only,
                "wt": "CONTRACT_PRICE",
                "ot": type_text(order),
                "ps": "BOTH",
                "cp": false,
                "rp": fixed(realized, 8),
                "pP": false,
                "si": 0,
                "ss": 0,
                "V": "NONE",
                "pm": "NONE",
                "gtd": 0,
            }
        });
        messages.push((None, order_message.to_string()));
        if update.fill.is_some() {
            messages.push((None, account_update(core, account_index, ms).to_string()));
        }
    }
    messages
}

fn account_update(core: &Core, account_index: usize, ms: i64) -> serde_json::Value {
    let account = &core.accounts[account_index];
    let ledger = account.exchange.account();
    let price_decimals = decimals_of_step(i128::from(core.instrument.tick_size.raw()));
    let size_decimals = decimals_of_step(core.instrument.lot_size.raw());
    let entry = ledger.average_entry().map_or(0, |price| price.raw());
    let mark = account.exchange.mark_price();
    let unrealized = mark.map_or(0, |mark| ledger.unrealized_pnl(mark).raw());
    let wallet = fixed(ledger.cash().raw(), 8);
    json!({
        "e": "ACCOUNT_UPDATE",
        "E": ms,
        "T": ms,
        "a": {
            "m": "ORDER",
            "B": [{ "a": "USDT", "wb": wallet, "cw": wallet, "bc": "0" }],
            "P": [{
                "s": core.instrument.key.symbol,
                "pa": fixed(account.reported_position().raw(), size_decimals),
                "ep": fixed(i128::from(entry), price_decimals),
                "bep": fixed(i128::from(entry), price_decimals),
                "cr": fixed(ledger.realized_pnl().raw(), 8),
                "up": fixed(unrealized, 8),
                "mt": "cross",
                "iw": "0",
                "ps": "BOTH",
            }],
        }
    })
}
