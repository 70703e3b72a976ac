//! Bar mode (SPEC 5): bars stand for the prints until a trade is seen — bar-only data, or bars
//! with quotes (LEAN trade + quote files), the same rule the engine uses for stops and targets.
//! Quotes still price ordinary market orders and fill resting limits they cross.
//!
//! - Resting limits: a bar that trades THROUGH the price (low < bid, high > ask) fills the
//!   remainder; a touch does not (conservative: the queue at that price may never have been
//!   reached). Only orders resting since the bar opened are eligible (`arrived <= ts_open`):
//!   a bar's range may have printed before an order that arrived inside it.
//! - Exits: a market order carrying a [`Trigger`] (a stop or target the engine saw crossed
//!   inside the latest bar) fills at the level, or at the bar's open when the bar gapped
//!   beyond it, minus half the spread and slippage (SPEC 5: the true order is unknown inside a
//!   bar; the engine already assumes the stop first).

use auction_trader_types::{
    Bar, Crossing, ExecutionReport, Liquidity, OrderId, OrderSide, Price, Quantity, Trigger,
};

use super::SimulatedExchange;

impl SimulatedExchange {
    /// The latest bar's open while bars stand for the prints (no trade seen).
    pub(super) fn bar_mode_open(&self) -> Option<Price> {
        self.last_bar_open.filter(|_| !self.market.trades_seen)
    }

    /// SPEC 5, bar-only data: a stop or target exit fills at the first price of the
    /// triggering bar at or beyond its level — the level itself, or the bar's open when the
    /// bar opened beyond it (a gap) — minus half the spread and slippage, as a taker. (Without
    /// this, the exit would fill at the bar's close, better or worse than the level.)
    pub(super) fn fill_bar_exit(
        &mut self,
        order_id: OrderId,
        side: OrderSide,
        quantity: Quantity,
        trigger: Trigger,
        open: Price,
        reports: &mut Vec<ExecutionReport>,
    ) {
        let level = match trigger.crossing {
            Crossing::Falling => trigger.price.min(open),
            Crossing::Rising => trigger.price.max(open),
        };
        let half_spread = self.market.half_typical_spread(self.now);
        let crossed = match side {
            OrderSide::Buy => level.raw().saturating_add(half_spread),
            OrderSide::Sell => level
                .raw()
                .saturating_sub(half_spread)
                .max(self.instrument.tick_size.raw()),
        };
        let price = self.with_slippage(side, Price::from_raw(crossed));
        self.emit_fill(
            order_id,
            side,
            price,
            quantity,
            Liquidity::Taker,
            Quantity::ZERO,
            Some(level),
            reports,
        );
    }

    pub(super) fn on_bar(&mut self, bar: &Bar, reports: &mut Vec<ExecutionReport>) {
        if self.market.trades_seen {
            return; // Trades are the truth; bars would double count.
        }
        self.market.last_trade = Some((bar.close, bar.ts_recv));
        self.last_bar_open = Some(bar.open);
        let mut index = 0;
        while index < self.orders.len() {
            let order = &self.orders[index];
            // SPEC 5 bar mode: only a bar trading THROUGH the price fills (conservative), and
            // only if the order rested before the bar opened.
            let through = order.arrived <= bar.ts_open
                && match order.side {
                    OrderSide::Buy => bar.low < order.price,
                    OrderSide::Sell => bar.high > order.price,
                };
            if through && self.fill_resting(index, order.remaining, reports) {
                continue;
            }
            index += 1;
        }
    }
}
