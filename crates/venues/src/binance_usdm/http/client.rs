//! The blocking REST client: one `ureq` agent, the request weight budget (SPEC 7: rate limits
//! respected), and Binance's three security types — public, API-key (`X-MBX-APIKEY`), and
//! signed (API key + `timestamp` + `recvWindow` + `signature`).

use std::sync::Arc;
use std::time::Duration;

use auction_trader_types::{OrderId, OrderKind, OrderRequest, OrderSide};
use serde::de::DeserializeOwned;

use super::models::{ApiError, Balance, ListenKey, OrderResponse, PositionRisk, UserTrade};
use super::signing::sign;
use crate::binance_usdm::config::Credentials;
use crate::{ClientIds, Clock, VenueError};

/// The parameters naming one of our orders (cancel, query).
fn order_by_client_id(symbol: &str, id: OrderId, ids: &ClientIds) -> String {
    format!(
        "symbol={}&origClientOrderId={}",
        symbol.to_ascii_uppercase(),
        ids.link(id)
    )
}

/// The parameters of a new order (before `recvWindow`, `timestamp` and the signature).
pub fn order_query(symbol: &str, order: &OrderRequest, ids: &ClientIds) -> String {
    let side = match order.side {
        OrderSide::Buy => "BUY",
        OrderSide::Sell => "SELL",
    };
    let mut query = format!(
        "symbol={}&side={side}&quantity={}",
        symbol.to_ascii_uppercase(),
        order.quantity
    );
    match order.kind {
        OrderKind::Market => query.push_str("&type=MARKET"),
        OrderKind::Limit { price, post_only } => {
            // GTX = "good till crossing": Binance's post-only.
            let time_in_force = if post_only { "GTX" } else { "GTC" };
            query.push_str(&format!(
                "&type=LIMIT&timeInForce={time_in_force}&price={price}"
            ));
        }
    }
    if order.reduce_only {
        query.push_str("&reduceOnly=true");
    }
    query.push_str(&format!("&newClientOrderId={}", ids.link(order.id)));
    query
}

/// HTTP method of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

/// Milliseconds in the venue's weight window.
const MINUTE_MS: i64 = 60_000;

/// The IP request weight used in the current minute, as the venue reports it
/// (`X-MBX-USED-WEIGHT-1M`), and the time until which the venue told us to wait.
#[derive(Debug, Clone, Default)]
struct WeightBudget {
    limit: u32,
    used: u32,
    minute: i64,
    blocked_until_ms: i64,
}

impl WeightBudget {
    /// How long to wait before a request of `weight` at `now_ms` (0 = go).
    fn wait_ms(&self, now_ms: i64, weight: u32) -> u64 {
        if now_ms < self.blocked_until_ms {
            return (self.blocked_until_ms - now_ms).unsigned_abs();
        }
        let used = if now_ms.div_euclid(MINUTE_MS) == self.minute {
            self.used
        } else {
            0
        };
        // Keep 10% of the budget in reserve for the order endpoints' own retries.
        let allowed = u64::from(self.limit) * 9 / 10;
        if u64::from(used) + u64::from(weight) <= allowed {
            0
        } else {
            (MINUTE_MS - now_ms.rem_euclid(MINUTE_MS)).unsigned_abs()
        }
    }

    fn record(&mut self, now_ms: i64, used: u32) {
        self.minute = now_ms.div_euclid(MINUTE_MS);
        self.used = used;
    }
}

/// A blocking client of one venue base URL.
pub struct RestClient {
    base: String,
    agent: ureq::Agent,
    credentials: Option<Credentials>,
    clock: Arc<dyn Clock>,
    recv_window_ms: u64,
    budget: WeightBudget,
}

impl std::fmt::Debug for RestClient {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("RestClient")
            .field("base", &self.base)
            .field("credentials", &self.credentials)
            .field("used_weight", &self.budget.used)
            .finish_non_exhaustive()
    }
}

impl RestClient {
    /// A client of `base` (e.g. `https://fapi.binance.com`); `credentials` only for the
    /// private endpoints.
    pub fn new(
        base: &str,
        credentials: Option<Credentials>,
        clock: Arc<dyn Clock>,
        recv_window_ms: u64,
        weight_limit: u32,
    ) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_global(Some(Duration::from_secs(15)))
            .build();
        Self {
            base: base.trim_end_matches('/').to_owned(),
            agent: ureq::Agent::new_with_config(config),
            credentials,
            clock,
            recv_window_ms,
            budget: WeightBudget {
                limit: weight_limit,
                ..WeightBudget::default()
            },
        }
    }

    /// The weight the venue last reported as used in the current minute.
    pub fn used_weight(&self) -> u32 {
        self.budget.used
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().as_i64().div_euclid(1_000_000)
    }

    /// `GET /fapi/v1/depth?symbol=..&limit=..`: the raw snapshot body for the shared decoder.
    pub fn depth_snapshot(&mut self, symbol: &str, limit: u32) -> Result<Vec<u8>, VenueError> {
        // Binance USD-M weights: limit 5..50 -> 2, 100 -> 5, 500 -> 10, 1000 -> 20.
        let weight = match limit {
            0..=50 => 2,
            51..=100 => 5,
            101..=500 => 10,
            _ => 20,
        };
        let query = format!("symbol={}&limit={limit}", symbol.to_ascii_uppercase());
        self.request(Method::Get, "/fapi/v1/depth", &query, weight, false)
    }

    /// `POST /fapi/v1/order`: LIMIT GTX (post-only) or GTC, or MARKET, with our client id.
    pub fn new_order(
        &mut self,
        symbol: &str,
        order: &OrderRequest,
        ids: &ClientIds,
    ) -> Result<OrderResponse, VenueError> {
        self.json(
            Method::Post,
            "/fapi/v1/order",
            &order_query(symbol, order, ids),
            1,
            true,
        )
    }

    /// `DELETE /fapi/v1/order` by our client id.
    pub fn cancel_order(
        &mut self,
        symbol: &str,
        id: OrderId,
        ids: &ClientIds,
    ) -> Result<OrderResponse, VenueError> {
        let query = order_by_client_id(symbol, id, ids);
        self.json(Method::Delete, "/fapi/v1/order", &query, 1, true)
    }

    /// `GET /fapi/v1/order` by our client id (any status).
    pub fn query_order(
        &mut self,
        symbol: &str,
        id: OrderId,
        ids: &ClientIds,
    ) -> Result<OrderResponse, VenueError> {
        let query = order_by_client_id(symbol, id, ids);
        self.json(Method::Get, "/fapi/v1/order", &query, 1, true)
    }

    /// `GET /fapi/v1/userTrades` of one venue order (up to 1,000: far more than an order of
    /// ours makes).
    pub fn order_trades(
        &mut self,
        symbol: &str,
        venue_order_id: u64,
    ) -> Result<Vec<UserTrade>, VenueError> {
        let query = format!(
            "symbol={}&orderId={venue_order_id}&limit=1000",
            symbol.to_ascii_uppercase()
        );
        self.json(Method::Get, "/fapi/v1/userTrades", &query, 5, true)
    }

    /// `GET /fapi/v1/openOrders` of one symbol.
    pub fn open_orders(&mut self, symbol: &str) -> Result<Vec<OrderResponse>, VenueError> {
        let query = format!("symbol={}", symbol.to_ascii_uppercase());
        self.json(Method::Get, "/fapi/v1/openOrders", &query, 1, true)
    }

    /// `GET /fapi/v2/positionRisk` of one symbol.
    pub fn position_risk(&mut self, symbol: &str) -> Result<Vec<PositionRisk>, VenueError> {
        let query = format!("symbol={}", symbol.to_ascii_uppercase());
        self.json(Method::Get, "/fapi/v2/positionRisk", &query, 5, true)
    }

    /// `GET /fapi/v2/balance`.
    pub fn balance(&mut self) -> Result<Vec<Balance>, VenueError> {
        self.json(Method::Get, "/fapi/v2/balance", "", 5, true)
    }

    /// `POST /fapi/v1/listenKey`: opens (or returns the open) user-data stream key.
    pub fn create_listen_key(&mut self) -> Result<String, VenueError> {
        let key: ListenKey = self.keyed_json(Method::Post, "/fapi/v1/listenKey")?;
        Ok(key.listen_key)
    }

    /// `PUT /fapi/v1/listenKey`: extends the key's validity by 60 minutes.
    pub fn keep_alive_listen_key(&mut self) -> Result<(), VenueError> {
        let _: serde_json::Value = self.keyed_json(Method::Put, "/fapi/v1/listenKey")?;
        Ok(())
    }

    /// `DELETE /fapi/v1/listenKey`: closes the user-data stream.
    pub fn delete_listen_key(&mut self) -> Result<(), VenueError> {
        let _: serde_json::Value = self.keyed_json(Method::Delete, "/fapi/v1/listenKey")?;
        Ok(())
    }

    fn keyed_json<T: DeserializeOwned>(
        &mut self,
        method: Method,
        path: &str,
    ) -> Result<T, VenueError> {
        if self.credentials.is_none() {
            return Err(VenueError::MissingCredentials {
                variable: crate::binance_usdm::config::API_KEY_VARIABLE,
            });
        }
        let body = self.send(method, path, String::new(), 1, true)?;
        parse(path, &body)
    }

    fn json<T: DeserializeOwned>(
        &mut self,
        method: Method,
        path: &str,
        query: &str,
        weight: u32,
        signed: bool,
    ) -> Result<T, VenueError> {
        let body = self.request(method, path, query, weight, signed)?;
        parse(path, &body)
    }

    /// One request; signed ones get `recvWindow`, `timestamp` and `signature` appended.
    pub fn request(
        &mut self,
        method: Method,
        path: &str,
        query: &str,
        weight: u32,
        signed: bool,
    ) -> Result<Vec<u8>, VenueError> {
        let query = if signed {
            let credentials = self
                .credentials
                .as_ref()
                .ok_or(VenueError::MissingCredentials {
                    variable: crate::binance_usdm::config::API_SECRET_VARIABLE,
                })?;
            let separator = if query.is_empty() { "" } else { "&" };
            let payload = format!(
                "{query}{separator}recvWindow={}&timestamp={}",
                self.recv_window_ms,
                self.now_ms()
            );
            let signature = sign(credentials.secret(), &payload);
            format!("{payload}&signature={signature}")
        } else {
            query.to_owned()
        };
        self.send(method, path, query, weight, signed)
    }

    fn send(
        &mut self,
        method: Method,
        path: &str,
        query: String,
        weight: u32,
        with_key: bool,
    ) -> Result<Vec<u8>, VenueError> {
        let wait = self.budget.wait_ms(self.now_ms(), weight);
        if wait > 0 {
            std::thread::sleep(Duration::from_millis(wait));
        }
        let url = if query.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}{path}?{query}", self.base)
        };
        let key = match (&self.credentials, with_key) {
            (Some(credentials), true) => Some(credentials.api_key().to_owned()),
            _ => None,
        };
        let transport = |error: ureq::Error| VenueError::Transport {
            context: format!("{} {path}", method_name(method)),
            reason: error.to_string(),
        };
        let result = match method {
            Method::Get => with_header(self.agent.get(&url), key.as_deref()).call(),
            Method::Delete => with_header(self.agent.delete(&url), key.as_deref()).call(),
            Method::Post => with_header(self.agent.post(&url), key.as_deref()).send_empty(),
            Method::Put => with_header(self.agent.put(&url), key.as_deref()).send_empty(),
        };
        let mut response = result.map_err(transport)?;
        let now_ms = self.now_ms();
        if let Some(used) = header_number(&response, "x-mbx-used-weight-1m") {
            self.budget
                .record(now_ms, u32::try_from(used).unwrap_or(u32::MAX));
        }
        let status = response.status().as_u16();
        if status == 429 || status == 418 {
            let retry_after_ms =
                header_number(&response, "retry-after").map_or(60_000, |s| s * 1_000);
            self.budget.blocked_until_ms =
                now_ms.saturating_add(i64::try_from(retry_after_ms).unwrap_or(i64::MAX));
            return Err(VenueError::RateLimited {
                context: format!("{} {path}", method_name(method)),
                retry_after_ms,
            });
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .map_err(transport)?;
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let error: Option<ApiError> = serde_json::from_slice(&body).ok();
        Err(VenueError::Rejected {
            context: format!("{} {path}", method_name(method)),
            status,
            code: error.as_ref().map_or(0, |error| error.code),
            message: error.map_or_else(
                || String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
                |error| error.msg,
            ),
        })
    }
}

fn with_header<B>(
    request: ureq::RequestBuilder<B>,
    api_key: Option<&str>,
) -> ureq::RequestBuilder<B> {
    match api_key {
        Some(key) => request.header("X-MBX-APIKEY", key),
        None => request,
    }
}

fn header_number(response: &ureq::http::Response<ureq::Body>, name: &str) -> Option<u64> {
    response
        .headers()
        .get(name)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

const fn method_name(method: Method) -> &'static str {
    match method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Delete => "DELETE",
    }
}

fn parse<T: DeserializeOwned>(path: &str, body: &[u8]) -> Result<T, VenueError> {
    serde_json::from_slice(body).map_err(|error| VenueError::Protocol {
        context: path.to_owned(),
        reason: error.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_parameters_of_each_kind() {
        use auction_trader_types::{Price, Quantity};
        let order = |kind, reduce_only| OrderRequest {
            id: OrderId(12),
            side: OrderSide::Sell,
            quantity: Quantity::from_decimal_str("0.010").unwrap(),
            kind,
            reduce_only,
            timeout: None,
            trigger: None,
        };
        let price = Price::from_decimal_str("61800.20").unwrap();
        let ids = ClientIds::new("at-").unwrap();
        assert_eq!(
            order_query(
                "btcusdt",
                &order(
                    OrderKind::Limit {
                        price,
                        post_only: true
                    },
                    false
                ),
                &ids
            ),
            "symbol=BTCUSDT&side=SELL&quantity=0.01&type=LIMIT&timeInForce=GTX&price=61800.2\
             &newClientOrderId=at-12"
        );
        assert_eq!(
            order_query(
                "BTCUSDT",
                &order(
                    OrderKind::Limit {
                        price,
                        post_only: false
                    },
                    false
                ),
                &ids
            ),
            "symbol=BTCUSDT&side=SELL&quantity=0.01&type=LIMIT&timeInForce=GTC&price=61800.2\
             &newClientOrderId=at-12"
        );
        assert_eq!(
            order_query("BTCUSDT", &order(OrderKind::Market, true), &ids),
            "symbol=BTCUSDT&side=SELL&quantity=0.01&type=MARKET&reduceOnly=true\
             &newClientOrderId=at-12"
        );
    }

    #[test]
    fn the_weight_budget_waits_for_the_next_minute_near_the_limit() {
        let mut budget = WeightBudget {
            limit: 2400,
            ..WeightBudget::default()
        };
        // 12:00:30.000 with 2,100 used: 2,100 + 20 <= 2,160 (90%) -> go.
        let now = 30 * MINUTE_MS + 30_000;
        budget.record(now, 2_100);
        assert_eq!(budget.wait_ms(now, 20), 0);
        // 2,150 used: 2,170 > 2,160 -> wait the 30 s left in the minute.
        budget.record(now, 2_150);
        assert_eq!(budget.wait_ms(now, 20), 30_000);
        // The next minute starts from zero.
        assert_eq!(budget.wait_ms(31 * MINUTE_MS, 20), 0);
        // A Retry-After block wins.
        budget.blocked_until_ms = now + 5_000;
        assert_eq!(budget.wait_ms(now, 1), 5_000);
    }
}
