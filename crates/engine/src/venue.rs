//! Where orders go: the simulated exchange in backtest and paper, a venue adapter live. The
//! engine talks to this trait only, so its loop is the same in every mode.

use auction_trader_execution::SimulatedExchange;
use auction_trader_types::{
    ExecutionReport, MarketEvent, OrderId, OrderRequest, OrderSide, Price, Rate, UnixNanos,
};

/// An exchange as the engine sees it. Reports are appended to `reports` in time order.
pub trait Venue {
    fn submit(&mut self, now: UnixNanos, request: OrderRequest);
    fn cancel(&mut self, now: UnixNanos, order_id: OrderId);
    /// A market event reached the engine: the venue processes what was due before it, then
    /// the event itself.
    fn on_market_event(&mut self, event: &MarketEvent, reports: &mut Vec<ExecutionReport>);
    /// The clock moved without an event (timers, end of data).
    fn advance_to(&mut self, now: UnixNanos, reports: &mut Vec<ExecutionReport>);
    fn best_bid(&self) -> Option<Price>;
    fn best_ask(&self) -> Option<Price>;
    /// `(best_bid, best_ask)` in one call (a venue may compute them together).
    fn best_bid_ask(&self) -> (Option<Price>, Option<Price>) {
        (self.best_bid(), self.best_ask())
    }
    /// Mark price for equity and funding (recorded mark, else mid, else last trade).
    fn mark_price(&self) -> Option<Price>;
    /// The price a market order on `side` would trade at now (SPEC 5: the best opposite
    /// price; with stale quotes the last trade ∓ half the typical spread).
    fn taker_price(&self, side: OrderSide) -> Option<Price>;
    /// The taker fee rate the venue charges.
    fn taker_fee(&self) -> Rate;
}

impl Venue for SimulatedExchange {
    #[inline]
    fn submit(&mut self, now: UnixNanos, request: OrderRequest) {
        SimulatedExchange::submit(self, now, request);
    }

    #[inline]
    fn cancel(&mut self, now: UnixNanos, order_id: OrderId) {
        SimulatedExchange::cancel(self, now, order_id);
    }

    #[inline]
    fn on_market_event(&mut self, event: &MarketEvent, reports: &mut Vec<ExecutionReport>) {
        SimulatedExchange::on_market_event(self, event, reports);
    }

    #[inline]
    fn advance_to(&mut self, now: UnixNanos, reports: &mut Vec<ExecutionReport>) {
        SimulatedExchange::advance_to(self, now, reports);
    }

    #[inline]
    fn best_bid(&self) -> Option<Price> {
        SimulatedExchange::best_bid(self)
    }

    #[inline]
    fn best_ask(&self) -> Option<Price> {
        SimulatedExchange::best_ask(self)
    }

    #[inline]
    fn best_bid_ask(&self) -> (Option<Price>, Option<Price>) {
        SimulatedExchange::best_bid_ask(self)
    }

    #[inline]
    fn mark_price(&self) -> Option<Price> {
        SimulatedExchange::mark_price(self)
    }

    #[inline]
    fn taker_price(&self, side: OrderSide) -> Option<Price> {
        SimulatedExchange::taker_price(self, side)
    }

    #[inline]
    fn taker_fee(&self) -> Rate {
        SimulatedExchange::taker_fee(self)
    }
}
