//! A simple quoting strategy for throughput benchmarks and as an example of direct order
//! management: it keeps `levels` bids and `levels` asks resting around the touch and requotes
//! all of them every `requote_nanos` of event time (cancel + new order each).

use auction_trader_features::FeatureSnapshot;
use auction_trader_strategy::{Actions, Strategy, StrategyContext};
use auction_trader_types::{
    MarketEvent, OrderId, OrderKind, OrderSide, Price, Quantity, UnixNanos,
};

#[derive(Debug, Clone)]
pub struct QuoteLadder {
    levels: usize,
    requote_nanos: i64,
    quantity: Quantity,
    resting: Vec<OrderId>,
    next_requote: UnixNanos,
}

impl QuoteLadder {
    pub fn new(levels: usize, requote_nanos: i64, quantity: Quantity) -> Self {
        Self {
            levels,
            requote_nanos: requote_nanos.max(1),
            quantity,
            resting: Vec::with_capacity(levels * 2),
            next_requote: UnixNanos(i64::MIN),
        }
    }
}

impl Strategy for QuoteLadder {
    fn name(&self) -> &'static str {
        "quote_ladder"
    }

    fn wants_market_events(&self) -> bool {
        true
    }

    #[inline]
    fn on_market_event(
        &mut self,
        _event: &MarketEvent,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        if context.now < self.next_requote {
            return;
        }
        let (Some(bid), Some(ask)) = (context.best_bid, context.best_ask) else {
            return;
        };
        self.next_requote = context.now.saturating_add_nanos(self.requote_nanos);
        for id in self.resting.drain(..) {
            actions.cancel(id);
        }
        let tick = context.instrument.tick_size.raw().max(1);
        for level in 0..self.levels as i64 {
            let buy = Price::from_raw(bid.raw() - level * tick);
            let sell = Price::from_raw(ask.raw() + level * tick);
            let kind = |price| OrderKind::Limit {
                price,
                post_only: true,
            };
            let id = actions.submit(OrderSide::Buy, self.quantity, kind(buy), None);
            self.resting.push(id);
            let id = actions.submit(OrderSide::Sell, self.quantity, kind(sell), None);
            self.resting.push(id);
        }
    }

    fn on_bar(&mut self, _: &FeatureSnapshot, _: &StrategyContext<'_>, _: &mut Actions) {}
}
