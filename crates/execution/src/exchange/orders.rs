//! Order arrival, cancel and timeout: venue checks, reduce-only caps, post-only, the
//! marketable part of a limit, and what happens when an order times out.
//!
//! - Timeouts are measured from arrival: `Cancel` -> `Canceled { Timeout }`; `ConvertToMarket`
//!   -> `ConvertedToMarket`, then the remainder executes as a market order at once;
//!   `ConvertToMarketWithin { floor, ceiling }` converts only while the taker price
//!   ([`SimulatedExchange::taker_price`]) is inside the band, else `Canceled {
//!   ConversionRefused }` (SPEC 3.1: no entry beyond its first target or onto its stop).
//! - reduce_only: the quantity is capped at the position in the opposite direction, on arrival
//!   and again at every fill; nothing to reduce -> `Rejected { NothingToReduce }` on arrival,
//!   `Canceled { PositionClosed }` for a resting remainder.
//! - Duplicate ids are detected among resting orders (ids are engine-assigned and unique).

use auction_trader_types::{
    CancelReason, ExecutionReport, OrderId, OrderKind, OrderRequest, OrderSide, Quantity,
    RejectReason, TimeoutAction,
};

use super::{SimulatedExchange, taken_side};

impl SimulatedExchange {
    pub(super) fn reject(
        &mut self,
        order_id: OrderId,
        reason: RejectReason,
        reports: &mut Vec<ExecutionReport>,
    ) {
        self.counters.rejected += 1;
        reports.push(ExecutionReport::Rejected {
            order_id,
            ts: self.now,
            reason,
        });
    }

    /// Quantity a reduce-only order on `side` may still trade: the position in the opposite
    /// direction, in whole lots.
    pub(super) fn reducible(&self, side: OrderSide) -> Quantity {
        let position = self.account.position();
        let opposite = match side {
            OrderSide::Buy => position.is_negative(),
            OrderSide::Sell => position.is_positive(),
        };
        if opposite {
            self.instrument.round_down_to_lot(position.abs())
        } else {
            Quantity::ZERO
        }
    }

    pub(super) fn valid_quantity(&self, quantity: Quantity) -> bool {
        quantity.is_positive()
            && quantity.is_multiple_of(self.instrument.lot_size)
            && quantity >= self.instrument.min_size
    }

    pub(super) fn arrive(&mut self, request: OrderRequest, reports: &mut Vec<ExecutionReport>) {
        self.counters.orders_arrived += 1;
        let id = request.id;
        if self.orders.iter().any(|order| order.id == id) {
            return self.reject(id, RejectReason::DuplicateId, reports);
        }
        // Venue rules: whole lots, at least the minimum size, prices on the tick grid.
        if !self.valid_quantity(request.quantity) {
            return self.reject(id, RejectReason::InvalidQuantity, reports);
        }
        if let OrderKind::Limit { price, .. } = request.kind
            && (!price.is_positive() || price.raw() % self.instrument.tick_size.raw() != 0)
        {
            return self.reject(id, RejectReason::InvalidPrice, reports);
        }
        let mut quantity = request.quantity;
        if request.reduce_only {
            let cap = self.reducible(request.side);
            if cap.is_zero() {
                return self.reject(id, RejectReason::NothingToReduce, reports);
            }
            quantity = quantity.min(cap);
        }
        let taken_side = taken_side(request.side);
        match request.kind {
            OrderKind::Market => {
                if self.market.taker_source(taken_side, self.now).is_none() {
                    return self.reject(id, RejectReason::NoLiquidity, reports);
                }
                reports.push(ExecutionReport::Accepted {
                    order_id: id,
                    ts: self.now,
                });
                match (request.trigger, self.bar_mode_open()) {
                    (Some(trigger), Some(open)) => {
                        self.fill_bar_exit(id, request.side, quantity, trigger, open, reports)
                    }
                    _ => {
                        self.take(id, request.side, quantity, None, reports);
                    }
                }
            }
            OrderKind::Limit { price, post_only } => {
                let crosses = self.crosses(request.side, price);
                if crosses && post_only {
                    return self.reject(id, RejectReason::PostOnlyWouldCross, reports);
                }
                reports.push(ExecutionReport::Accepted {
                    order_id: id,
                    ts: self.now,
                });
                let mut remaining = quantity;
                if crosses {
                    let filled = self.take(id, request.side, quantity, Some(price), reports);
                    remaining = remaining.saturating_sub(filled);
                }
                if remaining.is_positive() {
                    self.rest(request, price, remaining);
                }
            }
        }
    }

    pub(super) fn cancel_arrives(&mut self, order_id: OrderId, reports: &mut Vec<ExecutionReport>) {
        match self.orders.iter().position(|order| order.id == order_id) {
            Some(index) => {
                self.remove_order(index);
                reports.push(ExecutionReport::Canceled {
                    order_id,
                    ts: self.now,
                    reason: CancelReason::Requested,
                });
            }
            None => reports.push(ExecutionReport::CancelRejected {
                order_id,
                ts: self.now,
            }),
        }
    }

    pub(super) fn time_out(
        &mut self,
        order_id: OrderId,
        action: TimeoutAction,
        reports: &mut Vec<ExecutionReport>,
    ) {
        let Some(index) = self.orders.iter().position(|order| order.id == order_id) else {
            return; // Filled or cancelled before its timeout.
        };
        let order = self.remove_order(index);
        match action {
            TimeoutAction::Cancel => reports.push(ExecutionReport::Canceled {
                order_id,
                ts: self.now,
                reason: CancelReason::Timeout,
            }),
            TimeoutAction::ConvertToMarketWithin { floor, ceiling }
                if self
                    .taker_price(order.side)
                    .is_some_and(|price| price < floor || price > ceiling) =>
            {
                // SPEC 3.1: the move the entry aimed at is over (or the stop is too close).
                reports.push(ExecutionReport::Canceled {
                    order_id,
                    ts: self.now,
                    reason: CancelReason::ConversionRefused,
                });
            }
            TimeoutAction::ConvertToMarket | TimeoutAction::ConvertToMarketWithin { .. } => {
                reports.push(ExecutionReport::ConvertedToMarket {
                    order_id,
                    ts: self.now,
                });
                let mut quantity = order.remaining;
                if order.reduce_only {
                    quantity = quantity.min(self.reducible(order.side));
                    if quantity.is_zero() {
                        return reports.push(ExecutionReport::Canceled {
                            order_id,
                            ts: self.now,
                            reason: CancelReason::PositionClosed,
                        });
                    }
                }
                if self
                    .market
                    .taker_source(taken_side(order.side), self.now)
                    .is_none()
                {
                    return self.reject(order_id, RejectReason::NoLiquidity, reports);
                }
                self.take(order_id, order.side, quantity, None, reports);
            }
        }
    }
}
