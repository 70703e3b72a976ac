//! The control API (`/mock/...`, loopback only like everything the mock serves): fault
//! injection on command and the status counters. Every answer is JSON; see the crate doc for
//! the list.

use std::sync::atomic::Ordering;

use auction_trader_types::Quantity;
use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::connections::Outgoing;
use crate::server::App;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/mock/status", get(status))
        .route("/mock/drop", post(drop_connections))
        .route("/mock/delay", post(delay))
        .route("/mock/reorder", post(reorder))
        .route("/mock/gap", post(gap))
        .route("/mock/reject", post(reject))
        .route("/mock/position", post(position))
}

#[derive(Debug, Deserialize)]
struct Count {
    n: Option<u32>,
}

#[derive(Debug, Deserialize)]
struct Millis {
    ms: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct ForcedPosition {
    qty: Option<String>,
    /// Index of the account (default the first).
    account: Option<usize>,
}

fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

async fn status(State(app): State<App>) -> Json<Value> {
    Json(status_value(&app))
}

/// The status counters as JSON.
pub fn status_value(app: &App) -> Value {
    let core = app.shared.lock();
    let accounts: Vec<Value> = core
        .accounts
        .iter()
        .map(|account| {
            let ledger = account.exchange.account();
            json!({
                "api_key": account.credentials.api_key,
                "position": ledger.position().to_string(),
                "reported_position": account.reported_position().to_string(),
                "cash": ledger.cash().to_string(),
                "fees_paid": ledger.fees_paid().to_string(),
                "realized_pnl": ledger.realized_pnl().to_string(),
                "fills": ledger.fill_count(),
                "open_orders": account.exchange.open_order_count(),
            })
        })
        .collect();
    json!({
        "venue": core.venue.as_str(),
        "symbol": core.instrument.key.symbol,
        "phase": core.phase,
        "counters": core.counters,
        "messages_sent": app.messages_sent.load(Ordering::Relaxed),
        "connections_open": core.connections.open.len(),
        "connections_accepted": core.connections.accepted,
        "last_update_id": core.last_depth.update_id,
        "book_synced": core.book.is_synced(),
        "replay_time_ns": core.replay_now.as_i64(),
        "faults": {
            "pending_gaps": core.faults.pending_gaps,
            "pending_reorders": core.faults.pending_reorders,
            "pending_delay_ms": core.faults.pending_delay_ms,
            "pending_rejects": core.faults.pending_rejects,
            "gaps_injected": core.faults.gaps_injected,
            "reorders_injected": core.faults.reorders_injected,
            "delays_injected": core.faults.delays_injected,
            "delay_ms_total": core.faults.delay_ms_total,
            "rejects_injected": core.faults.rejects_injected,
            "drops_injected": core.faults.drops_injected,
            "positions_forced": core.faults.positions_forced,
        },
        "accounts": accounts,
    })
}

async fn drop_connections(State(app): State<App>) -> Json<Value> {
    let mut core = app.shared.lock();
    let dropped = core.connections.end_all(&Outgoing::Drop);
    core.faults.drops_injected += 1;
    Json(json!({ "dropped": dropped }))
}

async fn delay(State(app): State<App>, Query(query): Query<Millis>) -> Response {
    let Some(ms) = query.ms else {
        return bad_request("delay needs ms=<milliseconds>");
    };
    let mut core = app.shared.lock();
    core.faults.pending_delay_ms += ms;
    core.faults.delays_injected += 1;
    core.faults.delay_ms_total += ms;
    Json(json!({ "pending_delay_ms": core.faults.pending_delay_ms })).into_response()
}

async fn reorder(State(app): State<App>, Query(query): Query<Count>) -> Json<Value> {
    let mut core = app.shared.lock();
    core.faults.pending_reorders += query.n.unwrap_or(1);
    Json(json!({ "pending_reorders": core.faults.pending_reorders }))
}

async fn gap(State(app): State<App>, Query(query): Query<Count>) -> Json<Value> {
    let mut core = app.shared.lock();
    core.faults.pending_gaps += query.n.unwrap_or(1);
    Json(json!({ "pending_gaps": core.faults.pending_gaps }))
}

async fn reject(State(app): State<App>, Query(query): Query<Count>) -> Json<Value> {
    let mut core = app.shared.lock();
    core.faults.pending_rejects += query.n.unwrap_or(1);
    Json(json!({ "pending_rejects": core.faults.pending_rejects }))
}

/// Forces the position the venue reports to `qty` (signed): the difference to the simulated
/// position is kept as an offset, so later fills move both.
async fn position(State(app): State<App>, Query(query): Query<ForcedPosition>) -> Response {
    let Some(text) = query.qty else {
        return bad_request("position needs qty=<signed quantity>");
    };
    let Ok(target) = Quantity::from_decimal_str(&text) else {
        return bad_request("qty is not a decimal quantity");
    };
    let mut core = app.shared.lock();
    let index = query.account.unwrap_or(0);
    let Some(account) = core.accounts.get_mut(index) else {
        return bad_request("no such account");
    };
    let actual = account.exchange.account().position();
    account.position_offset = target.saturating_sub(actual);
    let reported = account.reported_position().to_string();
    core.faults.positions_forced += 1;
    Json(json!({ "reported_position": reported, "simulated_position": actual.to_string() }))
        .into_response()
}
