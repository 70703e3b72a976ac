//! The REST worker of the gateway: sends order requests one at a time, in command order, and
//! posts refusals back as [`GatewayEvent`]s (acceptances and fills come from the private
//! stream). A create without an answer (timeout, connection lost) is looked up by its
//! `orderLinkId`: found → its record is replayed, not found → rejected. After a private-stream
//! reconnect it replays the executions and open orders over REST.

use std::sync::mpsc::{Receiver, Sender};

use auction_trader_types::{OrderId, OrderRequest, Price, Quantity, UnixNanos};

use super::GatewayEvent;
use crate::bybit::common::order_link::OrderLinks;
use crate::bybit::http::HttpClient;
use crate::bybit::http::client::RATE_LIMIT_CODE;
use crate::bybit::http::query::{AmendOrder, CancelOrder, CreateOrder};
use crate::{Clock, VenueError};

/// A request for the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Request {
    Submit(OrderRequest),
    Cancel(OrderId),
    Amend {
        id: OrderId,
        quantity: Option<Quantity>,
        price: Option<Price>,
    },
    /// Replay the executions since a time, then the open orders (after the private stream
    /// reconnected).
    Reconcile {
        since: UnixNanos,
    },
}

/// Runs until the gateway drops its command sender (or stops listening).
pub(crate) fn run(
    http: &HttpClient,
    links: &OrderLinks,
    symbol: &str,
    requests: &Receiver<Request>,
    events: &Sender<GatewayEvent>,
    clock: &dyn Clock,
) {
    for request in requests {
        let posted = match request {
            Request::Submit(order) => submit(http, links, symbol, &order, events, clock),
            Request::Cancel(id) => match http.cancel_order(&CancelOrder::new(symbol, id, links)) {
                Ok(_) => true,
                Err(error) => events
                    .send(GatewayEvent::CancelFailed {
                        id,
                        message: error.to_string(),
                        at: clock.now(),
                    })
                    .is_ok(),
            },
            Request::Amend {
                id,
                quantity,
                price,
            } => match http.amend_order(&AmendOrder::new(symbol, id, quantity, price, links)) {
                Ok(_) => true,
                Err(error) => events
                    .send(GatewayEvent::AmendFailed {
                        id,
                        message: error.to_string(),
                    })
                    .is_ok(),
            },
            Request::Reconcile { since } => reconcile(http, symbol, since, events),
        };
        if !posted {
            return;
        }
    }
}

/// Executions first (fills before the cancel or completion that may follow them), then the
/// open orders; a failed query is reported and the stream goes on.
fn reconcile(
    http: &HttpClient,
    symbol: &str,
    since: UnixNanos,
    events: &Sender<GatewayEvent>,
) -> bool {
    let executions = match http.executions(symbol, since) {
        Ok(executions) => executions,
        Err(error) => {
            return events
                .send(GatewayEvent::ReconcileFailed(error.to_string()))
                .is_ok();
        }
    };
    if !executions
        .into_iter()
        .all(|execution| events.send(GatewayEvent::RestExecution(execution)).is_ok())
    {
        return false;
    }
    match http.open_orders(symbol) {
        Ok(orders) => orders
            .into_iter()
            .all(|order| events.send(GatewayEvent::RestOrder(order)).is_ok()),
        Err(error) => events
            .send(GatewayEvent::ReconcileFailed(error.to_string()))
            .is_ok(),
    }
}

fn submit(
    http: &HttpClient,
    links: &OrderLinks,
    symbol: &str,
    order: &OrderRequest,
    events: &Sender<GatewayEvent>,
    clock: &dyn Clock,
) -> bool {
    let body = CreateOrder::new(symbol, order, links);
    let failure = match http.create_order(&body) {
        Ok(_) => return true,
        Err(VenueError::Rejected { code, message, .. }) => GatewayEvent::SubmitFailed {
            id: order.id,
            code: Some(code),
            message: format!("create refused: retCode {code} {message}"),
            at: clock.now(),
        },
        Err(VenueError::RateLimited { context, .. }) => GatewayEvent::SubmitFailed {
            id: order.id,
            code: Some(RATE_LIMIT_CODE),
            message: format!("create refused by the rate limiter: {context}"),
            at: clock.now(),
        },
        Err(error) => match http.order_by_link(symbol, &body.order_link_id) {
            Ok(Some(state)) => GatewayEvent::RestOrder(state),
            Ok(None) => GatewayEvent::SubmitFailed {
                id: order.id,
                code: None,
                message: format!("create without answer ({error}); order not found"),
                at: clock.now(),
            },
            Err(lookup) => GatewayEvent::SubmitFailed {
                id: order.id,
                code: None,
                message: format!("create without answer ({error}); lookup failed ({lookup})"),
                at: clock.now(),
            },
        },
    };
    events.send(failure).is_ok()
}
