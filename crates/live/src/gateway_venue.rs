//! The live [`Venue`]: orders go to a venue's [`TradingGateway`], reports come back from its
//! private stream; best bid/ask and mark come from a local L2 book kept from the feed's depth
//! rows (the book crate, the venue's sequencing rule), the newest quote when the book is not
//! synced, and the venue's mark price (funding prints). An order that a restart regenerated
//! and found in execution.db is not sent again.
//!
//! Order timeouts (a strategy's "rest this long, then cancel") are not a venue feature, so
//! they are kept here as the simulated exchange keeps them: the clock starts when the venue
//! accepts the order, and at the deadline a cancel is sent. A timeout that converts to a
//! market order is cancelled instead and noted as a divergence (not emulated live).

use std::cell::RefCell;
use std::rc::Rc;

use auction_trader_book::{OrderBook, SequenceRule, SequencedBook};
use auction_trader_engine::Venue;
use auction_trader_types::{
    ExecutionReport, MarketEvent, OrderCommand, OrderId, OrderRequest, OrderSide, Price, Quantity,
    Rate, TimeoutAction, UnixNanos,
};
use auction_trader_venues::TradingGateway;

use crate::recorder::Ledger;

/// A venue gateway as the engine's venue.
pub struct GatewayVenue {
    gateway: RefCell<Box<dyn TradingGateway>>,
    ledger: Rc<RefCell<Ledger>>,
    book: SequencedBook,
    quote: Option<(Price, Price)>,
    mark: Option<Price>,
    last_trade: Option<Price>,
    taker_fee: Rate,
    /// Orders sent with a timeout, not yet accepted: (order, nanos after acceptance, action).
    timeouts_waiting: Vec<(OrderId, i64, TimeoutAction)>,
    /// Accepted orders with a deadline: (due, order, action).
    deadlines: Vec<(UnixNanos, OrderId, TimeoutAction)>,
}

impl std::fmt::Debug for GatewayVenue {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("GatewayVenue")
            .field("quote", &self.quote)
            .field("mark", &self.mark)
            .finish_non_exhaustive()
    }
}

impl GatewayVenue {
    pub fn new(
        gateway: Box<dyn TradingGateway>,
        ledger: Rc<RefCell<Ledger>>,
        venue: &str,
        taker_fee: Rate,
    ) -> Self {
        Self {
            gateway: RefCell::new(gateway),
            ledger,
            book: SequencedBook::new(
                SequenceRule::for_venue(venue),
                OrderBook::with_inferred_tick(),
            ),
            quote: None,
            mark: None,
            last_trade: None,
            taker_fee,
            timeouts_waiting: Vec::new(),
            deadlines: Vec::new(),
        }
    }

    /// The venue's position (reconciliation, SPEC 7).
    pub fn position(&self) -> Result<Quantity, String> {
        self.gateway
            .borrow_mut()
            .position()
            .map(|position| position.quantity)
            .map_err(|error| error.to_string())
    }

    /// The gateway's new reports, then the order deadlines due at `now`.
    fn drain(&mut self, now: UnixNanos, reports: &mut Vec<ExecutionReport>) {
        let first = reports.len();
        self.gateway.get_mut().drain_reports(reports);
        for report in &reports[first..] {
            self.track_deadline(report);
        }
        self.expire(now);
    }

    fn track_deadline(&mut self, report: &ExecutionReport) {
        match *report {
            ExecutionReport::Accepted { order_id, ts } => {
                if let Some(index) = self
                    .timeouts_waiting
                    .iter()
                    .position(|(id, _, _)| *id == order_id)
                {
                    let (_, nanos, action) = self.timeouts_waiting.swap_remove(index);
                    self.deadlines
                        .push((ts.saturating_add_nanos(nanos.max(0)), order_id, action));
                }
            }
            ExecutionReport::Filled(fill) if fill.leaves_quantity.is_zero() => {
                self.forget(fill.order_id);
            }
            ExecutionReport::Rejected { order_id, .. }
            | ExecutionReport::Canceled { order_id, .. } => self.forget(order_id),
            _ => {}
        }
    }

    fn forget(&mut self, order_id: OrderId) {
        self.timeouts_waiting.retain(|(id, _, _)| *id != order_id);
        self.deadlines.retain(|(_, id, _)| *id != order_id);
    }

    fn expire(&mut self, now: UnixNanos) {
        if self.deadlines.iter().all(|(due, _, _)| *due > now) {
            return;
        }
        let mut due: Vec<(UnixNanos, OrderId, TimeoutAction)> = Vec::new();
        self.deadlines.retain(|entry| {
            if entry.0 <= now {
                due.push(*entry);
                false
            } else {
                true
            }
        });
        due.sort_by_key(|(at, id, _)| (*at, id.0));
        for (_, order_id, action) in due {
            if !matches!(action, TimeoutAction::Cancel) {
                self.ledger.borrow_mut().divergences.push(format!(
                    "order {} timed out with {action:?}: cancelled (conversion to market is not \
                     emulated live)",
                    order_id.0
                ));
            }
            self.send(now, OrderCommand::Cancel(order_id));
        }
    }

    /// A command the gateway cannot take is not retried here: the session halts (alert) and
    /// the operator reconciles with the venue.
    fn send(&mut self, now: UnixNanos, command: OrderCommand) {
        if let Err(error) = self.gateway.get_mut().send(now, command) {
            self.ledger
                .borrow_mut()
                .divergences
                .push(format!("the venue gateway refused {command:?}: {error}"));
        }
    }
}

impl Venue for GatewayVenue {
    fn submit(&mut self, now: UnixNanos, request: OrderRequest) {
        if self.ledger.borrow().known_orders.contains(&request.id.0) {
            // Sent before the restart (execution.db has it): never twice.
            return;
        }
        if let Some((nanos, action)) = request.timeout {
            self.timeouts_waiting.push((request.id, nanos, action));
        }
        self.send(now, OrderCommand::Submit(request));
    }

    fn cancel(&mut self, now: UnixNanos, order_id: OrderId) {
        self.send(now, OrderCommand::Cancel(order_id));
    }

    fn on_market_event(&mut self, event: &MarketEvent, reports: &mut Vec<ExecutionReport>) {
        match event {
            MarketEvent::Depth(row) => self.book.apply(row),
            MarketEvent::Quote(quote) => {
                self.quote = Some((quote.bid_price, quote.ask_price));
            }
            MarketEvent::Trade(trade) => self.last_trade = Some(trade.price),
            MarketEvent::Funding(funding) if funding.mark_price.is_positive() => {
                self.mark = Some(funding.mark_price);
            }
            _ => {}
        }
        self.drain(event.ts_recv(), reports);
    }

    fn advance_to(&mut self, now: UnixNanos, reports: &mut Vec<ExecutionReport>) {
        self.drain(now, reports);
    }

    fn best_bid(&self) -> Option<Price> {
        self.best_bid_ask().0
    }

    fn best_ask(&self) -> Option<Price> {
        self.best_bid_ask().1
    }

    fn best_bid_ask(&self) -> (Option<Price>, Option<Price>) {
        if self.book.is_synced() {
            let book = self.book.book();
            (
                book.best_bid().map(|(price, _)| price),
                book.best_ask().map(|(price, _)| price),
            )
        } else {
            (
                self.quote.map(|(bid, _)| bid),
                self.quote.map(|(_, ask)| ask),
            )
        }
    }

    fn mark_price(&self) -> Option<Price> {
        self.mark.or_else(|| match self.best_bid_ask() {
            (Some(bid), Some(ask)) => {
                Some(Price::from_raw(bid.raw() + (ask.raw() - bid.raw()) / 2))
            }
            _ => self.last_trade,
        })
    }

    fn taker_price(&self, side: OrderSide) -> Option<Price> {
        let (bid, ask) = self.best_bid_ask();
        match side {
            OrderSide::Buy => ask,
            OrderSide::Sell => bid,
        }
        .or(self.last_trade)
    }

    fn taker_fee(&self) -> Rate {
        self.taker_fee
    }
}
