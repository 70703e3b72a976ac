//! The live [`Venue`]: orders go to a venue's [`TradingGateway`], reports come back from its
//! private stream; best bid/ask and mark come from a local L2 book kept from the feed's depth
//! rows (the book crate, the venue's sequencing rule), the newest quote when the book is not
//! synced, and the venue's mark price (funding prints). An order that a restart regenerated
//! and found in execution.db is not sent again.

use std::cell::RefCell;
use std::rc::Rc;

use auction_trader_book::{OrderBook, SequenceRule, SequencedBook};
use auction_trader_engine::Venue;
use auction_trader_types::{
    ExecutionReport, MarketEvent, OrderCommand, OrderId, OrderRequest, OrderSide, Price, Quantity,
    Rate, UnixNanos,
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

    fn drain(&mut self, reports: &mut Vec<ExecutionReport>) {
        self.gateway.get_mut().drain_reports(reports);
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
        self.drain(reports);
    }

    fn advance_to(&mut self, _now: UnixNanos, reports: &mut Vec<ExecutionReport>) {
        self.drain(reports);
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
