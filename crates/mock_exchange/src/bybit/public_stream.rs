//! Bybit public WebSocket `GET /v5/public/linear`.

use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::Response;
use serde_json::{Value, json};

use crate::connections::{ConnectionKind, Outgoing};
use crate::server::{App, pump};

pub async fn connect(State(app): State<App>, upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(move |socket| async move {
        let (id, queue) = app
            .shared
            .lock()
            .connections
            .register(ConnectionKind::Market);
        pump(app, socket, id, queue, move |app, text| {
            handle_op(app, id, text)
        })
        .await;
    })
}

/// The connection id Bybit reports (`conn_id`).
pub fn connection_name(id: u64) -> String {
    format!("mock-conn-{id}")
}

/// `subscribe`, `unsubscribe` and `ping` ops.
fn handle_op(app: &App, id: u64, text: &str) -> Vec<String> {
    let Ok(request) = serde_json::from_str::<Value>(text) else {
        return vec![
            json!({"success": false, "ret_msg": "invalid json", "conn_id": connection_name(id)})
                .to_string(),
        ];
    };
    let op = request.get("op").and_then(Value::as_str).unwrap_or("");
    let req_id = request.get("req_id").and_then(Value::as_str).unwrap_or("");
    let args: Vec<String> = request
        .get("args")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
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
    match op {
        "ping" => vec![reply(true, "pong")],
        "subscribe" => {
            let mut core = app.shared.lock();
            let Some(feed) = core.bybit.clone() else {
                return vec![reply(false, "not a bybit venue")];
            };
            let symbol = core.instrument.key.symbol.clone();
            let liquidation = format!("allLiquidation.{symbol}");
            if let Some(unknown) = args.iter().find(|topic| {
                **topic != *feed.depth_topic
                    && **topic != *feed.ticker_topic
                    && **topic != *feed.trade_topic
                    && **topic != liquidation
            }) {
                return vec![reply(
                    false,
                    &format!("error:handler not found,topic:{unknown}"),
                )];
            }
            let Some(connection) = core.connections.get_mut(id) else {
                return Vec::new();
            };
            for topic in &args {
                if !connection.topics.insert(topic.clone()) {
                    continue;
                }
                // The snapshot goes through the connection's queue, ahead of any later delta.
                let snapshot = if *topic == *feed.depth_topic {
                    Some(feed.depth_snapshot())
                } else if *topic == *feed.ticker_topic {
                    Some(feed.ticker_snapshot())
                } else {
                    None
                };
                if let Some(snapshot) = snapshot {
                    let _ = connection.sender.try_send(Outgoing::Text(snapshot.into()));
                }
            }
            drop(core);
            app.shared.client_arrived.notify_one();
            vec![reply(true, "")]
        }
        "unsubscribe" => {
            let mut core = app.shared.lock();
            if let Some(connection) = core.connections.get_mut(id) {
                for topic in &args {
                    connection.topics.remove(topic);
                }
            }
            vec![reply(true, "")]
        }
        _ => vec![reply(false, &format!("unknown op {op:?}"))],
    }
}
