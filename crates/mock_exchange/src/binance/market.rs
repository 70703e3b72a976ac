//! Binance market data: the combined-stream WebSocket and the public REST answers.
//!
//! `GET /fapi/v1/depth` answers the book the venue has after a replayed depth frame, with
//! that frame's `u` as `lastUpdateId` (exact: the book at that id) and `E`/`T` its exchange
//! time; it waits for the next depth frame so that the asking client (subscribed first) has
//! the frame that straddles the id in its buffer (see [`depth`]).

use axum::Json;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use auction_trader_types::BookSide;

use crate::connections::ConnectionKind;
use crate::format::{decimals_of_step, fixed};
use crate::server::{App, pump};
use crate::state::Phase;
use crate::wall_clock::now_ms;

/// Binance's error answer: `{"code","msg"}` with its HTTP status (the one shape of every
/// failure; it never carries an internal detail).
#[derive(Debug)]
pub struct BinanceError {
    status: StatusCode,
    code: i64,
    message: String,
}

impl BinanceError {
    pub fn new(status: StatusCode, code: i64, message: &str) -> Self {
        Self {
            status,
            code,
            message: message.to_owned(),
        }
    }
}

impl IntoResponse for BinanceError {
    fn into_response(self) -> Response {
        let body = Json(json!({ "code": self.code, "msg": self.message }));
        (self.status, body).into_response()
    }
}

/// Binance's error answer as a response.
pub fn error(status: StatusCode, code: i64, message: &str) -> Response {
    BinanceError::new(status, code, message).into_response()
}

#[derive(Debug, Deserialize)]
pub struct StreamQuery {
    streams: Option<String>,
}

/// `GET /stream?streams=btcusdt@depth@0ms/btcusdt@bookTicker`.
pub async fn stream(
    State(app): State<App>,
    Query(query): Query<StreamQuery>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let streams: Vec<String> = query
        .streams
        .unwrap_or_default()
        .split('/')
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect();
    upgrade.on_upgrade(move |socket| async move {
        let (id, queue) = {
            let mut core = app.shared.lock();
            let (id, queue) = core.connections.register(ConnectionKind::Market);
            if let Some(connection) = core.connections.get_mut(id) {
                connection.topics.extend(streams.iter().cloned());
            }
            (id, queue)
        };
        if !streams.is_empty() {
            app.shared.client_arrived.notify_one();
        }
        pump(app, socket, id, queue, move |app, text| {
            handle_method(app, id, text)
        })
        .await;
    })
}

/// `{"method":"SUBSCRIBE","params":[...],"id":1}` and its siblings.
fn handle_method(app: &App, id: u64, text: &str) -> Vec<String> {
    let Ok(request) = serde_json::from_str::<Value>(text) else {
        return vec![json!({"code": 3, "msg": "Invalid JSON"}).to_string()];
    };
    let request_id = request.get("id").cloned().unwrap_or(Value::Null);
    let params: Vec<String> = request
        .get("params")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let method = request.get("method").and_then(Value::as_str).unwrap_or("");
    let mut core = app.shared.lock();
    let Some(connection) = core.connections.get_mut(id) else {
        return Vec::new();
    };
    let result = match method {
        "SUBSCRIBE" => {
            connection.topics.extend(params);
            Value::Null
        }
        "UNSUBSCRIBE" => {
            for name in &params {
                connection.topics.remove(name);
            }
            Value::Null
        }
        "LIST_SUBSCRIPTIONS" => json!(connection.topics.iter().collect::<Vec<_>>()),
        _ => {
            return vec![
                json!({"code": 2, "msg": "Invalid request", "id": request_id}).to_string(),
            ];
        }
    };
    let subscribed = !connection.topics.is_empty();
    drop(core);
    if subscribed {
        app.shared.client_arrived.notify_one();
    }
    vec![json!({ "result": result, "id": request_id }).to_string()]
}

#[derive(Debug, Deserialize)]
pub struct DepthQuery {
    symbol: Option<String>,
    limit: Option<usize>,
}

/// Longest wait of a depth request for the next replayed depth frame (in 2 ms steps).
const SNAPSHOT_WAIT_STEPS: u32 = 1_000;

/// `GET /fapi/v1/depth?symbol=BTCUSDT&limit=1000`. The snapshot is the book after a depth
/// frame and its `lastUpdateId` that frame's `u`, exactly. A replay only has books at frame
/// ends, so the answer waits for the next depth frame (a client subscribes before it asks,
/// so that frame is in its buffer and straddles the id, as Binance's procedure needs); a
/// replay that is not running, or a pause longer than 2 s, answers with the current book.
pub async fn depth(State(app): State<App>, Query(query): Query<DepthQuery>) -> Response {
    let asked_at = app.shared.lock().last_depth.update_id;
    for _ in 0..SNAPSHOT_WAIT_STEPS {
        {
            let core = app.shared.lock();
            if core.phase != Phase::Running || core.last_depth.update_id != asked_at {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let core = app.shared.lock();
    let symbol = query.symbol.unwrap_or_default();
    if !symbol.eq_ignore_ascii_case(&core.instrument.key.symbol) {
        return error(StatusCode::BAD_REQUEST, -1121, "Invalid symbol.");
    }
    let limit = query.limit.unwrap_or(500);
    if ![5, 10, 20, 50, 100, 500, 1000].contains(&limit) {
        return error(
            StatusCode::BAD_REQUEST,
            -1100,
            "Illegal characters found in parameter 'limit'; legal range is '5, 10, 20, 50, 100, 500, 1000'.",
        );
    }
    let price_decimals = decimals_of_step(i128::from(core.instrument.tick_size.raw()));
    let size_decimals = decimals_of_step(core.instrument.lot_size.raw());
    let side = |side: BookSide| -> Vec<[String; 2]> {
        core.order_book()
            .top_levels(side, limit)
            .map(|(price, size)| {
                [
                    fixed(i128::from(price.raw()), price_decimals),
                    fixed(size.raw(), size_decimals),
                ]
            })
            .collect()
    };
    let ms = core.last_depth.ts_event.as_i64() / 1_000_000;
    Json(json!({
        "lastUpdateId": core.last_depth.update_id,
        "E": ms,
        "T": ms,
        "bids": side(BookSide::Bid),
        "asks": side(BookSide::Ask),
    }))
    .into_response()
}

/// `GET /fapi/v1/exchangeInfo`: the replayed symbol with its tick and lot.
pub async fn exchange_info(State(app): State<App>) -> Json<Value> {
    let core = app.shared.lock();
    let instrument = &core.instrument;
    let symbol = &instrument.key.symbol;
    let quote = if symbol.ends_with("USDT") {
        "USDT"
    } else {
        "USDC"
    };
    let base = symbol.strip_suffix(quote).unwrap_or(symbol);
    let price_decimals = decimals_of_step(i128::from(instrument.tick_size.raw()));
    let size_decimals = decimals_of_step(instrument.lot_size.raw());
    Json(json!({
        "timezone": "UTC",
        "serverTime": now_ms(),
        "rateLimits": [],
        "exchangeFilters": [],
        "assets": [{ "asset": quote, "marginAvailable": true }],
        "symbols": [{
            "symbol": symbol,
            "pair": symbol,
            "contractType": "PERPETUAL",
            "status": "TRADING",
            "baseAsset": base,
            "quoteAsset": quote,
            "marginAsset": quote,
            "pricePrecision": price_decimals,
            "quantityPrecision": size_decimals,
            "filters": [
                {
                    "filterType": "PRICE_FILTER",
                    "tickSize": fixed(i128::from(instrument.tick_size.raw()), price_decimals),
                    "minPrice": fixed(i128::from(instrument.tick_size.raw()), price_decimals),
                    "maxPrice": "10000000",
                },
                {
                    "filterType": "LOT_SIZE",
                    "stepSize": fixed(instrument.lot_size.raw(), size_decimals),
                    "minQty": fixed(instrument.min_size.raw(), size_decimals),
                    "maxQty": "10000",
                },
                {
                    "filterType": "MARKET_LOT_SIZE",
                    "stepSize": fixed(instrument.lot_size.raw(), size_decimals),
                    "minQty": fixed(instrument.min_size.raw(), size_decimals),
                    "maxQty": "10000",
                },
            ],
            "orderTypes": ["LIMIT", "MARKET"],
            "timeInForce": ["GTC", "IOC", "GTX"],
        }],
    }))
}

pub async fn time() -> Json<Value> {
    Json(json!({ "serverTime": now_ms() }))
}

pub async fn ping() -> Json<Value> {
    Json(json!({}))
}
