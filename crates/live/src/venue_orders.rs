//! What the session knows of its orders at a venue (live mode): which reports it has taken,
//! so a report heard twice (the private stream and a REST recovery) reaches the engine once,
//! and what is missing when the venue's own record of an order is read after a restart.
//!
//! A fill is identified by what it leaves open: an order's open remainder only shrinks, so a
//! `Filled` whose `leaves_quantity` is not below the remainder already taken is one the
//! engine has seen.

use std::collections::BTreeMap;

use auction_trader_types::{
    CancelReason, ExecutionReport, OrderId, OrderRequest, Quantity, RejectReason, UnixNanos,
};
use auction_trader_venues::{VenueOrder, VenueOrderStatus};

/// One order as the engine has been told about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tracked {
    quantity: Quantity,
    /// Open remainder after the fills taken.
    leaves: Quantity,
    accepted: bool,
    done: bool,
    cancel_requested: bool,
}

/// The orders of a session at its venue.
#[derive(Debug, Default)]
pub struct VenueOrders {
    orders: BTreeMap<OrderId, Tracked>,
}

impl VenueOrders {
    pub fn on_submit(&mut self, request: &OrderRequest) {
        self.orders.entry(request.id).or_insert(Tracked {
            quantity: request.quantity,
            leaves: request.quantity,
            accepted: false,
            done: false,
            cancel_requested: false,
        });
    }

    pub fn on_cancel(&mut self, order_id: OrderId) {
        if let Some(order) = self.orders.get_mut(&order_id) {
            order.cancel_requested = true;
        }
    }

    /// Whether the engine should get `report` (false: heard before, or about an order that
    /// is complete); taking it updates the order.
    pub fn admit(&mut self, report: &ExecutionReport) -> bool {
        let Some(order_id) = report.order_id() else {
            // Funding: not about an order.
            return true;
        };
        let Some(order) = self.orders.get_mut(&order_id) else {
            // Not sent by this session (the gateway passes only our ids): the engine decides.
            return true;
        };
        match report {
            ExecutionReport::Accepted { .. } => {
                let new = !order.accepted && !order.done;
                order.accepted = true;
                new
            }
            ExecutionReport::Filled(fill) => {
                if order.done || fill.leaves_quantity >= order.leaves {
                    return false;
                }
                order.accepted = true;
                order.leaves = fill.leaves_quantity;
                if fill.leaves_quantity.is_zero() {
                    order.done = true;
                }
                true
            }
            ExecutionReport::Canceled { .. }
            | ExecutionReport::Rejected { .. }
            | ExecutionReport::ConvertedToMarket { .. } => {
                let new = !order.done;
                order.done = true;
                new
            }
            ExecutionReport::CancelRejected { .. } | ExecutionReport::Funding(_) => true,
        }
    }

    /// Orders sent and not complete, in id order.
    pub fn unfinished(&self) -> Vec<OrderId> {
        self.orders
            .iter()
            .filter(|(_, order)| !order.done)
            .map(|(id, _)| *id)
            .collect()
    }

    /// The reports the engine is missing about `order_id` given the venue's record of it
    /// (`None`: the venue never received it), stamped `now` where the venue gives no time.
    /// Nothing is taken here: the reports go through [`VenueOrders::admit`] when delivered.
    pub fn missing(
        &self,
        order_id: OrderId,
        record: Option<&VenueOrder>,
        now: UnixNanos,
    ) -> Vec<ExecutionReport> {
        let Some(order) = self.orders.get(&order_id) else {
            return Vec::new();
        };
        if order.done {
            return Vec::new();
        }
        let Some(record) = record else {
            // Written to execution.db, never at the venue (the process died before the
            // request went out): the order did not happen.
            return vec![ExecutionReport::Rejected {
                order_id,
                ts: now,
                reason: RejectReason::VenueRefused,
            }];
        };
        let mut out = Vec::new();
        if record.status == VenueOrderStatus::Rejected {
            out.push(ExecutionReport::Rejected {
                order_id,
                ts: record.updated,
                reason: RejectReason::VenueRefused,
            });
            return out;
        }
        if !order.accepted {
            let ts = record.fills.first().map_or(record.updated, |fill| fill.ts);
            out.push(ExecutionReport::Accepted { order_id, ts });
        }
        for fill in &record.fills {
            if fill.leaves_quantity < order.leaves {
                out.push(ExecutionReport::Filled(*fill));
            }
        }
        let filled_all = record
            .fills
            .last()
            .is_some_and(|fill| fill.leaves_quantity.is_zero());
        if record.status == VenueOrderStatus::Canceled && !filled_all {
            out.push(ExecutionReport::Canceled {
                order_id,
                ts: record.updated,
                reason: if order.cancel_requested {
                    CancelReason::Requested
                } else {
                    CancelReason::Expired
                },
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{Fill, Liquidity, Money, OrderKind, OrderSide, Price};

    use super::*;

    fn qty(text: &str) -> Quantity {
        Quantity::from_decimal_str(text).unwrap()
    }

    fn buy(id: u64, quantity: &str) -> OrderRequest {
        OrderRequest {
            id: OrderId(id),
            side: OrderSide::Buy,
            quantity: qty(quantity),
            kind: OrderKind::Limit {
                price: Price::from_decimal_str("60000").unwrap(),
                post_only: true,
            },
            reduce_only: false,
            timeout: None,
            trigger: None,
        }
    }

    fn fill(id: u64, ts: i64, quantity: &str, leaves: &str) -> Fill {
        Fill {
            order_id: OrderId(id),
            ts: UnixNanos(ts),
            side: OrderSide::Buy,
            price: Price::from_decimal_str("60000").unwrap(),
            quantity: qty(quantity),
            liquidity: Liquidity::Maker,
            fee: Money::ZERO,
            reference_mid: None,
            leaves_quantity: qty(leaves),
        }
    }

    #[test]
    fn a_report_heard_twice_reaches_the_engine_once() {
        let mut orders = VenueOrders::default();
        orders.on_submit(&buy(1, "0.010"));
        let accepted = ExecutionReport::Accepted {
            order_id: OrderId(1),
            ts: UnixNanos(5),
        };
        assert!(orders.admit(&accepted));
        assert!(!orders.admit(&accepted));
        // 0.004 then 0.006: leaves 0.006, then 0.
        let first = ExecutionReport::Filled(fill(1, 6, "0.004", "0.006"));
        assert!(orders.admit(&first));
        assert!(!orders.admit(&first));
        let last = ExecutionReport::Filled(fill(1, 7, "0.006", "0"));
        assert!(orders.admit(&last));
        assert!(!orders.admit(&last));
        assert!(!orders.unfinished().contains(&OrderId(1)));
        // A cancel answer after the last fill changes nothing.
        assert!(!orders.admit(&ExecutionReport::Canceled {
            order_id: OrderId(1),
            ts: UnixNanos(8),
            reason: CancelReason::Requested,
        }));
        assert!(orders.unfinished().is_empty());
    }

    #[test]
    fn the_venue_record_gives_the_fills_made_while_the_process_was_down() {
        let mut orders = VenueOrders::default();
        orders.on_submit(&buy(1, "0.010"));
        orders.on_submit(&buy(2, "0.010"));
        orders.on_submit(&buy(3, "0.010"));
        // Order 1: accepted and 0.004 filled before the kill.
        assert!(orders.admit(&ExecutionReport::Accepted {
            order_id: OrderId(1),
            ts: UnixNanos(5),
        }));
        assert!(orders.admit(&ExecutionReport::Filled(fill(1, 6, "0.004", "0.006"))));
        assert_eq!(
            orders.unfinished(),
            vec![OrderId(1), OrderId(2), OrderId(3)]
        );
        // The venue: the rest filled in two trades while down.
        let record = VenueOrder {
            status: VenueOrderStatus::Filled,
            updated: UnixNanos(9),
            fills: vec![
                fill(1, 6, "0.004", "0.006"),
                fill(1, 8, "0.001", "0.005"),
                fill(1, 9, "0.005", "0"),
            ],
        };
        let missing = orders.missing(OrderId(1), Some(&record), UnixNanos(100));
        assert_eq!(
            missing,
            vec![
                ExecutionReport::Filled(fill(1, 8, "0.001", "0.005")),
                ExecutionReport::Filled(fill(1, 9, "0.005", "0")),
            ]
        );
        // Order 2: never accepted here; the venue cancelled it (our cancel) after 0.002.
        orders.on_cancel(OrderId(2));
        let record = VenueOrder {
            status: VenueOrderStatus::Canceled,
            updated: UnixNanos(12),
            fills: vec![fill(2, 11, "0.002", "0.008")],
        };
        assert_eq!(
            orders.missing(OrderId(2), Some(&record), UnixNanos(100)),
            vec![
                ExecutionReport::Accepted {
                    order_id: OrderId(2),
                    ts: UnixNanos(11),
                },
                ExecutionReport::Filled(fill(2, 11, "0.002", "0.008")),
                ExecutionReport::Canceled {
                    order_id: OrderId(2),
                    ts: UnixNanos(12),
                    reason: CancelReason::Requested,
                },
            ]
        );
        // Order 3: the venue never got it.
        assert_eq!(
            orders.missing(OrderId(3), None, UnixNanos(100)),
            vec![ExecutionReport::Rejected {
                order_id: OrderId(3),
                ts: UnixNanos(100),
                reason: RejectReason::VenueRefused,
            }]
        );
        // Still resting, nothing new: nothing missing.
        let resting = VenueOrder {
            status: VenueOrderStatus::Open,
            updated: UnixNanos(5),
            fills: vec![fill(1, 6, "0.004", "0.006")],
        };
        assert!(
            orders
                .missing(OrderId(1), Some(&resting), UnixNanos(100))
                .is_empty()
        );
    }
}
