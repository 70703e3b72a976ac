//! The HTTP routes: the JSON API under `/api` and the embedded page. Handlers parse the query
//! into typed requests (a bad value is a 400 with a JSON message), then run the blocking
//! SQLite/Parquet reads on tokio's blocking pool.

use std::sync::Arc;

use auction_trader_backtest::time_text::parse_utc_time;
use auction_trader_types::{Price, RunRecords, UnixNanos};
use axum::body::Bytes;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::json;

use crate::assets::asset;
use crate::error::ApiError;
use crate::footprint::{FootprintRequest, run_footprint};
use crate::grids::{Order, RowsRequest, grid_rows, list_grids};
use crate::heat::heat_answer;
use crate::library::Library;
use crate::live::{apply_control, live_answer, push_updates};
use crate::orderflow::{OrderFlowRequest, run_order_flow};
use crate::performance::performance;
use crate::profile::{ProfileRequest, run_profile};
use crate::runs::{
    Layout, RunCache, bar_columns, bars, equity, equity_columns, fill_models, list_runs,
    run_summary, signals, trade_columns, trades,
};

/// What every handler reads: the library and the cache of loaded runs.
#[derive(Debug)]
struct AppState {
    library: Library,
    cache: RunCache,
}

type Shared = State<Arc<AppState>>;

/// The whole application: API routes, the embedded page, JSON 404s for unknown API paths.
pub fn router(library: Library) -> Router {
    Router::new()
        .route("/api/runs", get(runs_list))
        .route("/api/runs/{name}", get(run_detail))
        .route("/api/runs/{name}/bars", get(run_bars))
        .route("/api/runs/{name}/trades", get(run_trades))
        .route("/api/runs/{name}/equity", get(run_equity))
        .route("/api/runs/{name}/signals", get(run_signals))
        .route("/api/runs/{name}/profile", get(run_profile_route))
        .route("/api/runs/{name}/performance", get(run_performance))
        .route("/api/runs/{name}/footprint", get(run_footprint_route))
        .route("/api/runs/{name}/orderflow", get(run_order_flow_route))
        .route("/api/runs/{name}/heat", get(run_heat))
        .route("/api/runs/{name}/fill-models", get(run_fill_models))
        .route("/api/grids", get(grids_list))
        .route("/api/grids/{grid}", get(grid_detail))
        .route("/api/live", get(live_state))
        .route("/api/live/ws", get(live_socket))
        .route("/api/live/control", post(live_control))
        .fallback(static_or_404)
        .with_state(Arc::new(AppState {
            library,
            cache: RunCache::default(),
        }))
}

/// Runs a blocking read on the blocking pool and answers its value as JSON.
async fn blocking<T, F>(work: F) -> Result<Json<T>, ApiError>
where
    T: Serialize + Send + 'static,
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(ApiError::internal)?
        .map(Json)
}

async fn runs_list(
    State(state): Shared,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    parse_query(query.as_deref(), &[])?;
    blocking(move || Ok(json!({ "runs": list_runs(&state.library)? }))).await
}

async fn run_detail(
    State(state): Shared,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    parse_query(query.as_deref(), &[])?;
    blocking(move || run_summary(&state.library, &state.cache, &name)).await
}

/// One list of a stored run's records under `key`: as rows (`{"bars": [...]}`, serialized
/// straight to the answer) or, with `?layout=columns`, as columns (`{"bars": {"time": [...],
/// ...}}`, written by [`crate::runs::ColumnsWriter`]).
async fn run_records<T: Serialize + Send + 'static>(
    state: Arc<AppState>,
    name: String,
    query: Option<String>,
    key: &'static str,
    rows: fn(&RunRecords) -> Vec<T>,
    columns: fn(&RunRecords) -> String,
) -> Result<Response, ApiError> {
    let mut layout = Layout::default();
    for (_, value) in parse_query(query.as_deref(), &["layout"])? {
        layout = Layout::parse(&value)?;
    }
    let answer = tokio::task::spawn_blocking(move || {
        let records = state.cache.load(&state.library, &name)?;
        Ok::<_, ApiError>(match layout {
            Layout::Rows => Json(Keyed {
                key,
                value: rows(&records),
            })
            .into_response(),
            Layout::Columns => (
                [(header::CONTENT_TYPE, "application/json")],
                format!("{{{}:{}}}", serde_json::Value::from(key), columns(&records)),
            )
                .into_response(),
        })
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(answer)
}

/// `{"<key>": value}`, serialized straight to the answer (no intermediate JSON tree: a month of
/// bars is megabytes).
#[derive(Debug)]
struct Keyed<T> {
    key: &'static str,
    value: T,
}

impl<T: Serialize> Serialize for Keyed<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(self.key, &self.value)?;
        map.end()
    }
}

async fn run_bars(
    State(state): Shared,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    run_records(state, name, query, "bars", bars, bar_columns).await
}

async fn run_trades(
    State(state): Shared,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    run_records(state, name, query, "trades", trades, trade_columns).await
}

async fn run_equity(
    State(state): Shared,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    run_records(state, name, query, "equity", equity, equity_columns).await
}

async fn run_footprint_route(
    State(state): Shared,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    let pairs = parse_query(query.as_deref(), &["from", "to", "bin"])?;
    let mut request = FootprintRequest::default();
    for (key, value) in &pairs {
        match key.as_str() {
            "from" => request.from = Some(time(key, value)?),
            "to" => request.to = Some(time(key, value)?),
            _ => request.bin_width = Some(bin_width(value)?),
        }
    }
    blocking(move || run_footprint(&state.library, &state.cache, &name, &request)).await
}

async fn run_order_flow_route(
    State(state): Shared,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    let pairs = parse_query(query.as_deref(), &["from", "to"])?;
    let mut request = OrderFlowRequest::default();
    for (key, value) in &pairs {
        match key.as_str() {
            "from" => request.from = Some(time(key, value)?),
            _ => request.to = Some(time(key, value)?),
        }
    }
    blocking(move || run_order_flow(&state.library, &state.cache, &name, &request)).await
}

async fn run_fill_models(
    State(state): Shared,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    parse_query(query.as_deref(), &[])?;
    blocking(move || Ok(json!({ "comparison": fill_models(&state.library, &name)? }))).await
}

/// A `bin` parameter: a decimal price.
fn bin_width(value: &str) -> Result<Price, ApiError> {
    Price::from_decimal_str(value)
        .map_err(|_| ApiError::BadRequest(format!("bin {value:?}: expected a decimal price")))
}

/// A JSON text made from a stored run's records (loaded through the cache off the async
/// threads); the route takes no query parameter.
async fn run_json(
    state: Arc<AppState>,
    name: String,
    query: Option<String>,
    answer: fn(&RunRecords) -> String,
) -> Result<Response, ApiError> {
    parse_query(query.as_deref(), &[])?;
    let body = tokio::task::spawn_blocking(move || {
        let records = state.cache.load(&state.library, &name)?;
        Ok::<_, ApiError>(answer(&records))
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

async fn run_performance(
    State(state): Shared,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    run_json(state, name, query, performance).await
}

async fn run_heat(
    State(state): Shared,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    run_json(state, name, query, heat_answer).await
}

async fn run_signals(
    State(state): Shared,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    let pairs = parse_query(query.as_deref(), &["kind"])?;
    let kinds: Vec<String> = pairs
        .iter()
        .filter(|(key, _)| key == "kind")
        .flat_map(|(_, value)| value.split(',').map(str::to_owned).collect::<Vec<_>>())
        .collect();
    blocking(move || Ok(json!({ "signals": signals(&state.library, &name, &kinds)? }))).await
}

async fn run_profile_route(
    State(state): Shared,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    let pairs = parse_query(query.as_deref(), &["from", "to", "bin", "bins"])?;
    let mut request = ProfileRequest::default();
    for (key, value) in &pairs {
        match key.as_str() {
            "from" => request.from = Some(time(key, value)?),
            "to" => request.to = Some(time(key, value)?),
            "bin" => request.bin_width = Some(bin_width(value)?),
            _ => {
                request.bins = Some(value.parse().map_err(|_| {
                    ApiError::BadRequest(format!("bins {value:?}: expected a whole number"))
                })?);
            }
        }
    }
    blocking(move || run_profile(&state.library, &state.cache, &name, &request)).await
}

async fn grids_list(
    State(state): Shared,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    parse_query(query.as_deref(), &[])?;
    blocking(move || Ok(json!({ "grids": list_grids(&state.library)? }))).await
}

async fn grid_detail(
    State(state): Shared,
    Path(grid): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    let pairs = parse_query(query.as_deref(), &["sort", "order", "where", "limit"])?;
    let mut request = RowsRequest::default();
    for (key, value) in pairs {
        match key.as_str() {
            "sort" => request.sort = Some(value),
            "order" => request.order = Order::parse(&value)?,
            "where" => request.conditions.push(value),
            _ => {
                request.limit = Some(value.parse().map_err(|_| {
                    ApiError::BadRequest(format!("limit {value:?}: expected a whole number"))
                })?);
            }
        }
    }
    blocking(move || grid_rows(&state.library, &grid, &request)).await
}

async fn live_state(
    State(state): Shared,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    parse_query(query.as_deref(), &[])?;
    blocking(move || live_answer(state.library.session_dir.as_ref())).await
}

async fn live_socket(
    State(state): Shared,
    RawQuery(query): RawQuery,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    parse_query(query.as_deref(), &[])?;
    // A plain GET (no upgrade) gets the API's JSON 400, not axum's text.
    let upgrade = upgrade.map_err(|rejection| {
        ApiError::BadRequest(format!("/api/live/ws is a WebSocket: {rejection}"))
    })?;
    let session = state.library.session_dir.clone();
    Ok(upgrade.on_upgrade(move |socket| push_updates(socket, session)))
}

async fn live_control(
    State(state): Shared,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    parse_query(query.as_deref(), &[])?;
    blocking(move || {
        let control = apply_control(state.library.session_dir.as_ref(), &body)?;
        Ok(json!({ "control": control }))
    })
    .await
}

/// The embedded page and its assets; any other path is a 404 (JSON under `/api`).
async fn static_or_404(uri: Uri) -> Response {
    match asset(uri.path()) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            asset.bytes,
        )
            .into_response(),
        None if uri.path().starts_with("/api/") || uri.path() == "/api" => {
            ApiError::NotFound(format!("no API route {}", uri.path())).into_response()
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// A query string as `(key, value)` pairs, percent-decoded; an unknown key is a 400.
fn parse_query(query: Option<&str>, known: &[&str]) -> Result<Vec<(String, String)>, ApiError> {
    let Some(query) = query else {
        return Ok(Vec::new());
    };
    let pairs: Vec<(String, String)> = Query::<Vec<(String, String)>>::try_from_uri(
        &format!("/?{query}")
            .parse()
            .map_err(|_| ApiError::BadRequest("malformed query string".to_owned()))?,
    )
    .map_err(|_| ApiError::BadRequest("malformed query string".to_owned()))?
    .0;
    for (key, _) in &pairs {
        if !known.contains(&key.as_str()) {
            return Err(ApiError::BadRequest(format!(
                "unknown query parameter {key:?} (known: {})",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            )));
        }
    }
    Ok(pairs)
}

/// A time parameter, in the forms of every `--from`/`--to` (the one time parser: dates, ISO
/// times, epoch ms or ns; UTC).
fn time(key: &str, value: &str) -> Result<UnixNanos, ApiError> {
    parse_utc_time(value).map_err(|message| ApiError::BadRequest(format!("{key}: {message}")))
}
