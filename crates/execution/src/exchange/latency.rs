//! Scheduling of what the exchange must do later: order arrivals after the entry latency,
//! cancels after the cancel latency, timeouts and funding times, in due order.
//!
//! Latency (SPEC 5): an order reaches the exchange at submit time + entry latency and acts on
//! the market as it is then (events at exactly that time are applied after it); a cancel acts
//! at its own arrival, so a fill in between still happens. A cancel that arrives before its
//! order (random latency) is `CancelRejected` and the order then rests. Latency models:
//! fixed, seeded uniform, or interpolated from recorded round trips by send time
//! (`recorded_latency`).

use auction_trader_types::{ExecutionReport, OrderId, OrderRequest, TimeoutAction, UnixNanos};

use super::SimulatedExchange;
use crate::config::LatencyModel;

/// Something the exchange must do at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    Arrive(OrderRequest),
    Cancel(OrderId),
    Timeout(OrderId, TimeoutAction),
}

impl SimulatedExchange {
    /// Latency of an order or cancel sent at `sent` (`fixed`: the fixed model's value).
    pub(super) fn draw_latency(&mut self, fixed: i64, sent: UnixNanos) -> i64 {
        match self.settings.latency_model {
            LatencyModel::Fixed => fixed,
            LatencyModel::Uniform => self
                .latency_random
                .between(self.settings.latency_min, self.settings.latency_max),
            LatencyModel::Interpolated => match &self.settings.recorded_latency {
                Some(recorded) => recorded.at(sent.as_i64()),
                None => fixed, // unreachable: the settings refuse the model without a file
            },
        }
    }

    pub(super) fn schedule(&mut self, due: UnixNanos, action: Action) {
        // Actions due at the same time act in the order they were scheduled.
        self.scheduled.push(due.as_i64(), action);
        self.next_due = self.next_due.min(due.as_i64());
    }

    pub(super) fn earliest_scheduled(&self) -> Option<i64> {
        self.scheduled.earliest_due()
    }

    #[cold]
    pub(super) fn process_due(&mut self, now: UnixNanos, reports: &mut Vec<ExecutionReport>) {
        if self.funding.next.is_none() {
            // The first funding time strictly after the first moment the exchange sees.
            let interval = self.settings.funding_interval;
            self.funding.next = Some(now.floor_to(interval).as_i64().saturating_add(interval));
        }
        loop {
            let earliest = self.earliest_scheduled();
            let funding = self.funding.next.unwrap_or(i64::MAX);
            // A funding charge waiting for its settlement record is made (with the latest
            // recorded rate) before anything later than it happens.
            let next = earliest.unwrap_or(i64::MAX).min(funding).min(now.as_i64());
            self.settle_overdue_funding(next, reports);
            // At equal times funding comes first: it charges the position held up to then.
            if funding <= now.as_i64() && earliest.is_none_or(|due| funding <= due) {
                self.advance_clock(UnixNanos(funding));
                self.funding_time(funding, reports);
                continue;
            }
            match earliest {
                Some(due) if due <= now.as_i64() => {
                    let Some((_, action)) = self.scheduled.pop() else {
                        break;
                    };
                    self.advance_clock(UnixNanos(due));
                    match action {
                        Action::Arrive(request) => self.arrive(request, reports),
                        Action::Cancel(order_id) => self.cancel_arrives(order_id, reports),
                        Action::Timeout(order_id, action) => {
                            self.time_out(order_id, action, reports);
                        }
                    }
                }
                _ => break,
            }
        }
        self.refresh_next_due();
    }

    /// Earliest time anything is due: a scheduled action or funding.
    pub(super) fn refresh_next_due(&mut self) {
        let scheduled = self.earliest_scheduled().unwrap_or(i64::MAX);
        self.next_due = scheduled.min(self.funding.due());
    }

    pub(super) fn advance_clock(&mut self, time: UnixNanos) {
        if time > self.now {
            self.now = time;
        }
    }
}
