//! One typed call per REST endpoint the adapter uses (Bybit v5, category `linear`), and the
//! body parsers behind them (network-free, tested on recorded responses).

use auction_trader_data::import::bybit_ws::rest::{RestBook, decode_orderbook_response};
use auction_trader_types::{MarketEvent, UnixNanos};
use serde::de::DeserializeOwned;

use super::client::HttpClient;
use super::models::{
    AckResponse, Execution, FundingRecord, ListResponse, OrderAck, OrderState, PositionState,
    RawExecution, RawFunding, RawOrder, RawPosition, RawWallet, WalletState, protocol,
};
use super::query::{AmendOrder, CancelOrder, CreateOrder, query_string};
use crate::VenueError;
use crate::bybit::config::CATEGORY;

pub const ORDERBOOK: &str = "/v5/market/orderbook";
pub const FUNDING_HISTORY: &str = "/v5/market/funding/history";
pub const ORDER_CREATE: &str = "/v5/order/create";
pub const ORDER_AMEND: &str = "/v5/order/amend";
pub const ORDER_CANCEL: &str = "/v5/order/cancel";
pub const ORDER_REALTIME: &str = "/v5/order/realtime";
pub const ORDER_HISTORY: &str = "/v5/order/history";
pub const EXECUTION_LIST: &str = "/v5/execution/list";
pub const POSITION_LIST: &str = "/v5/position/list";
pub const WALLET_BALANCE: &str = "/v5/account/wallet-balance";

impl HttpClient {
    /// The order-book snapshot as snapshot rows (SNAPSHOT/CLEAR/LAST) appended to `out`.
    pub fn orderbook(
        &self,
        symbol: &str,
        limit: u32,
        ts_recv: UnixNanos,
        out: &mut Vec<MarketEvent>,
    ) -> Result<RestBook, VenueError> {
        let limit = limit.to_string();
        let query = query_string(&[
            ("category", CATEGORY),
            ("symbol", symbol),
            ("limit", &limit),
        ]);
        let body = self.public_get(ORDERBOOK, &query)?;
        decode_orderbook_response(body.as_bytes(), Some(ts_recv), out)
            .map_err(|error| protocol("bybit order book", error.0))
    }

    /// Settled funding rates, newest first.
    pub fn funding_history(
        &self,
        symbol: &str,
        limit: u32,
    ) -> Result<Vec<FundingRecord>, VenueError> {
        let limit = limit.to_string();
        let query = query_string(&[
            ("category", CATEGORY),
            ("symbol", symbol),
            ("limit", &limit),
        ]);
        parse_funding_history(&self.public_get(FUNDING_HISTORY, &query)?)
    }

    pub fn create_order(&self, order: &CreateOrder) -> Result<OrderAck, VenueError> {
        self.post_order(ORDER_CREATE, order)
    }

    pub fn amend_order(&self, order: &AmendOrder) -> Result<OrderAck, VenueError> {
        self.post_order(ORDER_AMEND, order)
    }

    pub fn cancel_order(&self, order: &CancelOrder) -> Result<OrderAck, VenueError> {
        self.post_order(ORDER_CANCEL, order)
    }

    /// Open (and recently closed) orders of `symbol`.
    pub fn open_orders(&self, symbol: &str) -> Result<Vec<OrderState>, VenueError> {
        let query = query_string(&[("category", CATEGORY), ("symbol", symbol)]);
        parse_orders(&self.signed_get(ORDER_REALTIME, &query)?)
    }

    /// One order by its `orderLinkId` (open or recently closed), if Bybit knows it.
    pub fn order_by_link(
        &self,
        symbol: &str,
        order_link_id: &str,
    ) -> Result<Option<OrderState>, VenueError> {
        let query = query_string(&[
            ("category", CATEGORY),
            ("symbol", symbol),
            ("orderLinkId", order_link_id),
        ]);
        Ok(parse_orders(&self.signed_get(ORDER_REALTIME, &query)?)?
            .into_iter()
            .find(|order| order.order_link_id == order_link_id))
    }

    /// One order by its `orderLinkId` whatever its age: the realtime list (open and the
    /// newest 500 closed orders), then the order history (older ones, or any closed order
    /// after a Bybit release).
    pub fn order_by_link_any_age(
        &self,
        symbol: &str,
        order_link_id: &str,
    ) -> Result<Option<OrderState>, VenueError> {
        if let Some(order) = self.order_by_link(symbol, order_link_id)? {
            return Ok(Some(order));
        }
        let query = query_string(&[
            ("category", CATEGORY),
            ("symbol", symbol),
            ("orderLinkId", order_link_id),
        ]);
        Ok(parse_orders(&self.signed_get(ORDER_HISTORY, &query)?)?
            .into_iter()
            .find(|order| order.order_link_id == order_link_id))
    }

    /// The executions of one order (Bybit's `orderId`; up to 100, newest first).
    pub fn order_executions(
        &self,
        symbol: &str,
        venue_order_id: &str,
    ) -> Result<Vec<Execution>, VenueError> {
        let query = query_string(&[
            ("category", CATEGORY),
            ("symbol", symbol),
            ("orderId", venue_order_id),
            ("limit", "100"),
        ]);
        parse_executions(&self.signed_get(EXECUTION_LIST, &query)?)
    }

    /// Our executions of `symbol` since `since` (the first page, up to 100: enough to fill
    /// the gap of a private-stream reconnect).
    pub fn executions(&self, symbol: &str, since: UnixNanos) -> Result<Vec<Execution>, VenueError> {
        let start = (since.0.max(0) / 1_000_000).to_string();
        let query = query_string(&[
            ("category", CATEGORY),
            ("symbol", symbol),
            ("startTime", &start),
            ("limit", "100"),
        ]);
        parse_executions(&self.signed_get(EXECUTION_LIST, &query)?)
    }

    pub fn positions(&self, symbol: &str) -> Result<Vec<PositionState>, VenueError> {
        let query = query_string(&[("category", CATEGORY), ("symbol", symbol)]);
        parse_positions(&self.signed_get(POSITION_LIST, &query)?)
    }

    /// The unified trading account.
    pub fn wallet_balance(&self) -> Result<Vec<WalletState>, VenueError> {
        let query = query_string(&[("accountType", "UNIFIED")]);
        parse_wallets(&self.signed_get(WALLET_BALANCE, &query)?)
    }

    fn post_order<T: serde::Serialize>(
        &self,
        path: &str,
        order: &T,
    ) -> Result<OrderAck, VenueError> {
        let body = serde_json::to_string(order)
            .map_err(|error| protocol("bybit", format!("order body: {error}")))?;
        let answer = self.signed_post(path, &body)?;
        Ok(parse::<AckResponse>(&answer)?.result)
    }
}

fn parse<T: DeserializeOwned>(body: &str) -> Result<T, VenueError> {
    serde_json::from_str(body).map_err(|error| protocol("bybit", format!("Bybit answer: {error}")))
}

pub fn parse_orders(body: &str) -> Result<Vec<OrderState>, VenueError> {
    let response: ListResponse<RawOrder> = parse(body)?;
    response
        .result
        .list
        .iter()
        .map(RawOrder::to_state)
        .collect()
}

pub fn parse_executions(body: &str) -> Result<Vec<Execution>, VenueError> {
    let response: ListResponse<RawExecution> = parse(body)?;
    response
        .result
        .list
        .iter()
        .map(RawExecution::to_execution)
        .collect()
}

pub fn parse_positions(body: &str) -> Result<Vec<PositionState>, VenueError> {
    let response: ListResponse<RawPosition> = parse(body)?;
    response
        .result
        .list
        .iter()
        .map(RawPosition::to_state)
        .collect()
}

pub fn parse_wallets(body: &str) -> Result<Vec<WalletState>, VenueError> {
    let response: ListResponse<RawWallet> = parse(body)?;
    response
        .result
        .list
        .iter()
        .map(RawWallet::to_state)
        .collect()
}

pub fn parse_funding_history(body: &str) -> Result<Vec<FundingRecord>, VenueError> {
    let response: ListResponse<RawFunding> = parse(body)?;
    response
        .result
        .list
        .iter()
        .map(RawFunding::to_record)
        .collect()
}
