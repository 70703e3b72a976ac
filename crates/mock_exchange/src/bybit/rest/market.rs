//! Bybit v5 public REST: the order book, instruments, server time, funding history.

use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::{envelope, failure};
use crate::format::{decimals_of_step, fixed};
use crate::server::App;
use crate::wall_clock::now_ms;

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
