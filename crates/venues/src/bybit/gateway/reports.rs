//! From Bybit's order, execution and REST answers to our [`ExecutionReport`]s — the same
//! vocabulary the simulated exchange speaks (SPEC 5), so the engine cannot tell paper from
//! live by the reports.
//!
//! * `Accepted` once per order, before anything else about it: on its first `order` update
//!   (New, PartiallyFilled, Filled, Untriggered, Triggered), or its first execution.
//! * `Filled` per `execution` of type `Trade` (maker/taker from `isMaker`, fee = `execFee`,
//!   leaves = `leavesQty`); an execution id is reported once (the stream may repeat after a
//!   reconnect). Executions of type `Funding` become [`ExecutionReport::Funding`] (rate =
//!   `feeRate`, mark = `execPrice`, position = `execQty` signed by `side`, amount =
//!   `execFee`); other types (ADL, bust, settlement) are counted, not reported.
//! * `Rejected`: status `Rejected`, a post-only order cancelled with
//!   `EC_PostOnlyWillTakeLiquidity` (our `PostOnlyWouldCross`), or a create request refused
//!   by REST (`retCode` → reason, see [`reject_reason_of_code`]).
//! * `Canceled`: statuses `Cancelled`, `PartiallyFilledCanceled`, `Deactivated`; reason
//!   `Requested` when we asked, `PositionClosed` for `CancelByReduceOnly`, else `Expired`
//!   (the venue's own rule).
//! * `CancelRejected`: a cancel request refused by REST (the order was complete or unknown).
//!
//! Messages about orders that are not ours (another `orderLinkId` prefix) are ignored.

use std::collections::{BTreeMap, BTreeSet};

use auction_trader_types::{
    CancelReason, ExecutionReport, Fill, FundingPayment, Liquidity, OrderId, OrderSide, Quantity,
    RejectReason, UnixNanos,
};

use crate::bybit::http::models::{OrderState, OrderStatus};
use crate::bybit::websocket::private_messages::Execution;
use crate::client_ids::ClientIds;

/// What the translator knows of one of our orders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Track {
    accepted: bool,
    cancel_requested: bool,
    done: bool,
}

/// Counters of messages that produced no report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TranslatorStats {
    pub foreign_orders: u64,
    pub duplicate_executions: u64,
    pub unhandled_executions: u64,
}

/// The translator (one per gateway; single-threaded, deterministic).
#[derive(Debug, Clone)]
pub struct ReportTranslator {
    links: ClientIds,
    symbol: String,
    orders: BTreeMap<OrderId, Track>,
    executions: BTreeSet<String>,
    stats: TranslatorStats,
}

impl ReportTranslator {
    pub fn new(links: ClientIds, symbol: &str) -> Self {
        Self {
            links,
            symbol: symbol.to_owned(),
            orders: BTreeMap::new(),
            executions: BTreeSet::new(),
            stats: TranslatorStats::default(),
        }
    }

    pub fn stats(&self) -> &TranslatorStats {
        &self.stats
    }

    /// We asked to cancel `id`: its cancellation is `Requested`.
    pub fn cancel_requested(&mut self, id: OrderId) {
        self.orders.entry(id).or_default().cancel_requested = true;
    }

    /// One `order` record (private stream or REST).
    pub fn order(&mut self, order: &OrderState, out: &mut Vec<ExecutionReport>) {
        let Some(id) = self.ours(&order.symbol, &order.order_link_id) else {
            return;
        };
        let ts = order.updated;
        let track = self.orders.entry(id).or_default();
        if track.done {
            return;
        }
        let post_only_cross = order.reject_reason == "EC_PostOnlyWillTakeLiquidity";
        match &order.status {
            OrderStatus::Rejected => {
                track.done = true;
                out.push(ExecutionReport::Rejected {
                    order_id: id,
                    ts,
                    reason: reject_reason_of(&order.reject_reason),
                });
            }
            status if status.is_canceled() && post_only_cross && !track.accepted => {
                track.done = true;
                out.push(ExecutionReport::Rejected {
                    order_id: id,
                    ts,
                    reason: RejectReason::PostOnlyWouldCross,
                });
            }
            status if status.is_canceled() => {
                accept(id, ts, track, out);
                track.done = true;
                let reason = if track.cancel_requested {
                    CancelReason::Requested
                } else if order.cancel_type == "CancelByReduceOnly" {
                    CancelReason::PositionClosed
                } else {
                    CancelReason::Expired
                };
                out.push(ExecutionReport::Canceled {
                    order_id: id,
                    ts,
                    reason,
                });
            }
            _ => accept(id, ts, track, out),
        }
    }

    /// One `execution` record.
    pub fn execution(&mut self, execution: &Execution, out: &mut Vec<ExecutionReport>) {
        if execution.symbol != self.symbol {
            self.stats.foreign_orders += 1;
            return;
        }
        if !self.executions.insert(execution.exec_id.clone()) {
            self.stats.duplicate_executions += 1;
            return;
        }
        match execution.exec_type.as_str() {
            "Trade" => {
                let Some(id) = self.links.order(&execution.order_link_id) else {
                    self.stats.foreign_orders += 1;
                    return;
                };
                let track = self.orders.entry(id).or_default();
                accept(id, execution.time, track, out);
                out.push(ExecutionReport::Filled(fill_of(execution, id)));
            }
            "Funding" => {
                let position = match execution.side {
                    OrderSide::Buy => execution.quantity,
                    OrderSide::Sell => {
                        Quantity::from_raw(execution.quantity.raw().saturating_neg())
                    }
                };
                out.push(ExecutionReport::Funding(FundingPayment {
                    ts: execution.time,
                    rate: execution.fee_rate,
                    mark_price: execution.price,
                    position,
                    amount: execution.fee,
                }));
            }
            _ => self.stats.unhandled_executions += 1,
        }
    }

    /// A create request refused by REST with `code` (or not sent at all: `None`).
    pub fn submit_failed(
        &mut self,
        id: OrderId,
        code: Option<i64>,
        ts: UnixNanos,
    ) -> ExecutionReport {
        self.orders.entry(id).or_default().done = true;
        ExecutionReport::Rejected {
            order_id: id,
            ts,
            reason: code.map_or(RejectReason::VenueRefused, reject_reason_of_code),
        }
    }

    /// A cancel request refused by REST.
    pub fn cancel_failed(&mut self, id: OrderId, ts: UnixNanos) -> ExecutionReport {
        ExecutionReport::CancelRejected { order_id: id, ts }
    }

    fn ours(&mut self, symbol: &str, link: &str) -> Option<OrderId> {
        let id = (symbol == self.symbol)
            .then(|| self.links.order(link))
            .flatten();
        if id.is_none() {
            self.stats.foreign_orders += 1;
        }
        id
    }
}

fn accept(id: OrderId, ts: UnixNanos, track: &mut Track, out: &mut Vec<ExecutionReport>) {
    if !track.accepted {
        track.accepted = true;
        out.push(ExecutionReport::Accepted { order_id: id, ts });
    }
}

/// Bybit `rejectReason` texts we can name; anything else is the venue's own reason.
pub fn reject_reason_of(text: &str) -> RejectReason {
    match text {
        "EC_PostOnlyWillTakeLiquidity" => RejectReason::PostOnlyWouldCross,
        "EC_ReduceOnlySetButNoPosition" | "EC_ReduceOnlyRuleNotSatisfied" => {
            RejectReason::NothingToReduce
        }
        "EC_QtyCannotBeZero" | "EC_OrderQtyInvalid" | "EC_QtyInvalid" => {
            RejectReason::InvalidQuantity
        }
        "EC_PriceInvalid" | "EC_InvalidPrice" => RejectReason::InvalidPrice,
        _ => RejectReason::VenueRefused,
    }
}

/// Bybit REST `retCode`s of a refused create that we can name (v5 "Error codes").
pub fn reject_reason_of_code(code: i64) -> RejectReason {
    match code {
        // Reduce-only rule not satisfied.
        110017 => RejectReason::NothingToReduce,
        // Order price out of the permissible range.
        110003 => RejectReason::InvalidPrice,
        // OrderLinkedID is duplicate.
        110072 => RejectReason::DuplicateId,
        _ => RejectReason::VenueRefused,
    }
}

/// A trade execution as a fill of our order `order_id`.
pub fn fill_of(execution: &Execution, order_id: OrderId) -> Fill {
    Fill {
        order_id,
        ts: execution.time,
        side: execution.side,
        price: execution.price,
        quantity: execution.quantity,
        liquidity: if execution.is_maker {
            Liquidity::Maker
        } else {
            Liquidity::Taker
        },
        fee: execution.fee,
        reference_mid: None,
        leaves_quantity: execution.leaves_quantity,
    }
}
