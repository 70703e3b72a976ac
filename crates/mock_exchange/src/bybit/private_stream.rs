//! Bybit private WebSocket `GET /v5/private`: `{"op":"auth","args":[apiKey, expires,
//! signature]}` with signature = HMAC-SHA256 hex of `"GET/realtime" + expires` (expires in
//! ms, in the future), then `subscribe` to `order`, `execution`, `position`, `wallet` (the
//! `.linear` forms too). Messages: `{"id","topic","creationTime","data":[...]}`; times are
//! replay times.

use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::Response;
use serde_json::{Value, json};

use crate::account::OrderUpdate;
use crate::bybit::public_stream::connection_name;
use crate::bybit::rest::{execution_json, order_json, position_json, wallet_json};
use crate::connections::ConnectionKind;
use crate::server::{App, pump};
use crate::signing::verify_hex;
use crate::state::Core;
use crate::wall_clock::now_ms;

pub async fn connect(State(app): State<App>, upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(move |socket| async move {
        let (id, queue) = app
            .shared
            .lock()
            .connections
            .register(ConnectionKind::User(None));
        pump(app, socket, id, queue, move |app, text| {
            handle_op(app, id, text)
        })
        .await;
    })
}

fn handle_op(app: &App, id: u64, text: &str) -> Vec<String> {
    let request: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let op = request.get("op").and_then(Value::as_str).unwrap_or("");
    let req_id = request.get("req_id").and_then(Value::as_str).unwrap_or("");
    let args: Vec<String> = request
        .get("args")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|item| match item {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    let reply = |success: bool, message: &str| {
        json!({
            "success": success,
            "ret_msg": message,
            "conn_id": connection_name(id),
            "req_id": req_id,
            "op": op,
        })
        .to_string()
    };
    let mut core = app.shared.lock();
    match op {
        "ping" => vec![json!({"req_id": req_id, "op": "pong", "args": [now_ms().to_string()], "conn_id": connection_name(id)}).to_string()],
        "auth" => {
            let [key, expires, signature] = args.as_slice() else {
                return vec![reply(false, "Params Error")];
            };
            let Some(account) = core.account_of_key(key) else {
                return vec![reply(false, "Invalid apikey")];
            };
            let secret = core.accounts[account].credentials.api_secret.clone();
            if !verify_hex(&secret, &format!("GET/realtime{expires}"), signature) {
                core.counters.signature_failures += 1;
                return vec![reply(false, "Invalid sign")];
            }
            if !expires
                .parse::<i64>()
                .is_ok_and(|expires| expires > now_ms())
            {
                return vec![reply(false, "Params Error: auth expired")];
            }
            if let Some(connection) = core.connections.get_mut(id) {
                connection.kind = ConnectionKind::User(Some(account));
            }
            vec![reply(true, "")]
        }
        "subscribe" => {
            let Some(connection) = core.connections.get_mut(id) else {
                return Vec::new();
            };
            if connection.kind == ConnectionKind::User(None) {
                return vec![reply(false, "Request not authorized")];
            }
            for topic in &args {
                let base = topic.split('.').next().unwrap_or(topic);
                if !matches!(base, "order" | "execution" | "position" | "wallet") {
                    return vec![reply(false, &format!("error:handler not found,topic:{topic}"))];
                }
                connection.topics.insert(base.to_owned());
            }
            vec![reply(true, "")]
        }
        _ => vec![reply(false, &format!("unknown op {op:?}"))],
    }
}

/// The private messages of an account's order updates, by topic.
pub fn render(
    core: &Core,
    account_index: usize,
    updates: &[OrderUpdate],
) -> Vec<(Option<&'static str>, String)> {
    let mut messages = Vec::new();
    for update in updates {
        let ms = update.ts.as_i64() / 1_000_000;
        let order = &update.order;
        messages.push((
            Some("order"),
            json!({
                "id": format!("order-{}-{ms}", order.order_id),
                "topic": "order",
                "creationTime": ms,
                "data": [order_json(core, order)],
            })
            .to_string(),
        ));
        let Some(info) = update.fill else {
            continue;
        };
        messages.push((
            Some("execution"),
            json!({
                "id": format!("execution-{}", info.trade_id),
                "topic": "execution",
                "creationTime": ms,
                "data": [execution_json(core, order, &info)],
            })
            .to_string(),
        ));
        messages.push((
            Some("position"),
            json!({
                "id": format!("position-{}", info.trade_id),
                "topic": "position",
                "creationTime": ms,
                "data": [position_json(core, account_index)],
            })
            .to_string(),
        ));
        messages.push((
            Some("wallet"),
            json!({
                "id": format!("wallet-{}", info.trade_id),
                "topic": "wallet",
                "creationTime": ms,
                "data": [wallet_json(core, account_index)],
            })
            .to_string(),
        ));
    }
    messages
}
