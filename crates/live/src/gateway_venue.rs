//! The live [`Venue`]: orders go to a venue's [`TradingGateway`], reports come back from its
//! private stream; best bid/ask and mark come from a local L2 book kept from the feed's depth
//! rows (the book crate, the venue's sequencing rule), the newest quote when the book is not
//! synced, and the venue's mark price (funding prints). An order that a restart regenerated
//! and found in execution.db is not sent again.
//!
//! Every report the engine takes is journaled where it took it; a report heard twice (the
//! private stream after a REST recovery) is taken once ([`VenueOrders`]). A restart's
//! catch-up hands the journaled reports back at the same points and sends nothing; then
//! [`GatewayVenue::end_replay`] reads the venue's record of every order still open and
//! delivers what happened while the process was down (fills, cancels; an order the venue
//! never received is rejected), and sends the cancels the replay decided.
//!
//! Order timeouts (a strategy's "rest this long, then cancel") are not a venue feature, so
//! they are kept here as the simulated exchange keeps them: the clock starts when the venue's
//! acceptance reaches us (by our clock), and at the deadline a cancel is sent. A timeout that converts to a
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

use crate::raw_journal::JournalEntry;
use crate::recorder::Ledger;
use crate::venue_orders::VenueOrders;

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
    orders: VenueOrders,
    /// A restart's catch-up: reports come from the journal, commands are held.
    replaying: bool,
    /// The journaled reports of the entry being replayed.
    replayed: Vec<ExecutionReport>,
    /// Commands the catch-up decided (sent or dropped by `end_replay`).
    held: Vec<OrderCommand>,
    /// Reports recovered from the venue, delivered at the next drain.
    recovered: Vec<ExecutionReport>,
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
            orders: VenueOrders::default(),
            replaying: false,
            replayed: Vec::new(),
            held: Vec::new(),
            recovered: Vec::new(),
        }
    }

    /// A restart's catch-up begins: reports come from the journal, nothing is sent.
    pub fn begin_replay(&mut self) {
        self.replaying = true;
    }

    /// The journaled reports of the next entry the catch-up replays.
    pub fn load_replayed(&mut self, reports: Vec<ExecutionReport>) {
        self.replayed.extend(reports);
    }

    /// The catch-up is over: reads the venue's record of every order not complete, queues
    /// what the engine is missing for the next drain, sends the cancels the catch-up decided
    /// for orders still open. Returns a line per order that changed, for the log.
    pub fn end_replay(&mut self, now: UnixNanos) -> Result<Vec<String>, String> {
        self.replaying = false;
        self.replayed.clear();
        let mut lines = Vec::new();
        let mut still_open = Vec::new();
        let unfinished = self.orders.unfinished();
        if !unfinished.is_empty() {
            lines.push(format!(
                "asked the venue about {} order(s) open before the restart",
                unfinished.len()
            ));
        }
        for order_id in unfinished {
            let record = self
                .gateway
                .get_mut()
                .order_record(order_id)
                .map_err(|error| format!("order {}: {error}", order_id.0))?;
            let missing = self.orders.missing(order_id, record.as_ref(), now);
            if record.as_ref().is_some_and(|record| {
                record.status == auction_trader_venues::VenueOrderStatus::Open
            }) {
                still_open.push(order_id);
            }
            if !missing.is_empty() {
                let fills = missing
                    .iter()
                    .filter(|report| matches!(report, ExecutionReport::Filled(_)))
                    .count();
                lines.push(match &record {
                    None => format!("order {} never reached the venue: rejected", order_id.0),
                    Some(record) => format!(
                        "order {}: {fills} fill(s) made while down, now {:?} at the venue",
                        order_id.0, record.status
                    ),
                });
            }
            self.recovered.extend(missing);
        }
        for command in std::mem::take(&mut self.held) {
            match command {
                // Decided before the restart and never sent (the venue record says so and
                // the order is rejected): a stale decision is not sent late.
                OrderCommand::Submit(_) => {}
                OrderCommand::Cancel(order_id) if still_open.contains(&order_id) => {
                    lines.push(format!(
                        "order {}: cancel sent after the restart",
                        order_id.0
                    ));
                    self.send(now, command);
                }
                OrderCommand::Cancel(_) => {}
            }
        }
        Ok(lines)
    }

    /// The venue's position (reconciliation, SPEC 7).
    pub fn position(&self) -> Result<Quantity, String> {
        self.gateway
            .borrow_mut()
            .position()
            .map(|position| position.quantity)
            .map_err(|error| error.to_string())
    }

    /// The gateway's new reports (the journal's, in a catch-up), each taken once and
    /// journaled, then the order deadlines due at `now`.
    fn drain(&mut self, now: UnixNanos, reports: &mut Vec<ExecutionReport>) {
        let first = reports.len();
        let mut incoming = if self.replaying {
            std::mem::take(&mut self.replayed)
        } else {
            let mut incoming = std::mem::take(&mut self.recovered);
            self.gateway.get_mut().drain_reports(&mut incoming);
            incoming
        };
        incoming.retain(|report| self.orders.admit(report));
        if !incoming.is_empty() && !self.replaying {
            let entry = JournalEntry::Reports {
                reports: incoming.clone(),
            };
            let mut ledger = self.ledger.borrow_mut();
            if let Err(error) = ledger.journal.append(now, &entry) {
                ledger.error.get_or_insert(error);
            }
        }
        reports.extend(incoming);
        for report in &reports[first..] {
            self.track_deadline(report, now);
        }
        self.expire(now);
    }

    /// The clock of a timeout starts when the acceptance reaches us (`now`, our clock: the
    /// venue stamps its reports with its own).
    fn track_deadline(&mut self, report: &ExecutionReport, now: UnixNanos) {
        match *report {
            ExecutionReport::Accepted { order_id, .. } => {
                if let Some(index) = self
                    .timeouts_waiting
                    .iter()
                    .position(|(id, _, _)| *id == order_id)
                {
                    let (_, nanos, action) = self.timeouts_waiting.swap_remove(index);
                    self.deadlines
                        .push((now.saturating_add_nanos(nanos.max(0)), order_id, action));
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
    /// the operator reconciles with the venue. A catch-up holds its commands.
    fn send(&mut self, now: UnixNanos, command: OrderCommand) {
        if self.replaying {
            self.held.push(command);
            return;
        }
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
        self.orders.on_submit(&request);
        if let Some((nanos, action)) = request.timeout {
            self.timeouts_waiting.push((request.id, nanos, action));
        }
        if self.ledger.borrow().known_orders.contains(&request.id.0) {
            // Sent before the restart (execution.db has it): never twice.
            return;
        }
        self.send(now, OrderCommand::Submit(request));
    }

    fn cancel(&mut self, now: UnixNanos, order_id: OrderId) {
        self.orders.on_cancel(order_id);
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
