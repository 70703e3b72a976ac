//! The REST worker of the gateway: sends order requests one at a time, in command order,
//! paced under the venue's order rate limit ([`Pacer`]), and
//! posts refusals back as [`GatewayEvent`]s (acceptances and fills come from the private
//! stream). A create without an answer (timeout, connection lost) is looked up by its
//! `orderLinkId`: found → its record is replayed, not found → rejected. After a private-stream
//! reconnect it replays the executions and open orders over REST.

use std::sync::mpsc::{Receiver, Sender};

use auction_trader_types::{OrderId, OrderRequest, Price, Quantity, UnixNanos};

use super::GatewayEvent;
use crate::bybit::http::HttpClient;
use crate::bybit::http::client::RATE_LIMIT_CODE;
use crate::bybit::http::query::{AmendOrder, CancelOrder, CreateOrder};
use crate::client_ids::ClientIds;
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
    links: &ClientIds,
    symbol: &str,
    pacer: &mut Pacer,
    requests: &Receiver<Request>,
    events: &Sender<GatewayEvent>,
    clock: &dyn Clock,
) {
    for request in requests {
        if !matches!(request, Request::Reconcile { .. }) {
            pacer.wait(clock);
        }
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

/// Spaces order requests at least `1 / max_orders_per_second` apart (by the injected clock),
/// so a burst of commands stays under the venue's rate limit instead of being refused.
#[derive(Debug, Clone)]
pub(crate) struct Pacer {
    interval_nanos: i64,
    last: Option<UnixNanos>,
}

impl Pacer {
    pub(crate) fn new(max_per_second: u32) -> Self {
        Self {
            interval_nanos: 1_000_000_000 / i64::from(max_per_second.max(1)),
            last: None,
        }
    }

    /// How long to wait at `now` before the next request.
    fn delay(&self, now: UnixNanos) -> std::time::Duration {
        let Some(last) = self.last else {
            return std::time::Duration::ZERO;
        };
        let left = self.interval_nanos - now.0.saturating_sub(last.0);
        std::time::Duration::from_nanos(u64::try_from(left).unwrap_or(0))
    }

    fn wait(&mut self, clock: &dyn Clock) {
        let delay = self.delay(clock.now());
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        self.last = Some(clock.now());
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
    links: &ClientIds,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacer_spaces_requests() {
        // 10 per second: 100 ms apart.
        let mut pacer = Pacer::new(10);
        assert!(pacer.delay(UnixNanos(5)).is_zero());
        pacer.last = Some(UnixNanos(1_000_000_000));
        assert_eq!(
            pacer.delay(UnixNanos(1_030_000_000)),
            std::time::Duration::from_millis(70)
        );
        assert!(pacer.delay(UnixNanos(1_100_000_000)).is_zero());
        assert!(pacer.delay(UnixNanos(2_000_000_000)).is_zero());
        assert_eq!(Pacer::new(0).interval_nanos, 1_000_000_000);
    }
}
