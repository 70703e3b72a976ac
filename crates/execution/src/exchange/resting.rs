//! Resting limit orders: joining the queue and matching against trades, quotes and depth.
//!
//! On arrival, a limit that crosses the opposite touch (or, without a touch, the last-trade
//! price a market order would get) executes as taker up to its limit price (post-only:
//! `Rejected { PostOnlyWouldCross }`); the remainder rests at the back of the queue. Resting
//! orders fill as maker at their limit price, by any of:
//! 1. the queue rule ([`QueueModel`]): trades AT the price on the order's side (seller- or
//!    unknown-initiated for a bid, buyer- or unknown-initiated for an ask) consume the queue
//!    ahead, the volume beyond it fills the order in whole lots;
//! 2. a trade THROUGH the price (below a bid, above an ask) fills the whole remainder at once
//!    (SPEC 5 "immediately when trades print through its price");
//! 3. the opposite touch moving to or through the price (best ask <= bid) fills the whole
//!    remainder (our order would be matched by the new opposite order);
//! 4. bar mode: see `bars`.
//!
//! Queue models: `fraction` (SPEC 5 default): the order's first lot fills when the volume
//! traded at the price since arrival reaches `queue_fraction` × the depth resting there on
//! arrival (SPEC 11.5: 50 lots rest, fraction 0.3 -> fills once 15 lots have traded, so the
//! 15th lot is ours: the queue ahead is 0.3 × depth − 1 lot, at least 0), each further lot
//! needs one more lot of volume. No depth on arrival -> the first trade at the price fills.
//! `probabilistic` (seeded): the queue ahead is drawn uniformly in [0, depth) on arrival,
//! advanced by trades at the price and by depth decreases not explained by trades, pro rata
//! (the share of cancels ahead of us is ahead / depth), and capped at the level's size.
//! Each of our orders is measured against the venue's queue only (our own orders at the same
//! price do not queue behind each other).

use auction_trader_types::{
    AggressorSide, BookDelta, BookSide, CancelReason, ExecutionReport, Liquidity, OrderId,
    OrderRequest, OrderSide, Price, Quantity, Quote, Trade, UnixNanos,
};

use super::{Action, SimulatedExchange, taken_side};
use crate::config::{QueueModelKind, scale_by_rate};
use crate::queue::{QueuePosition, QueueRule};

/// A limit order resting on the simulated book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RestingOrder {
    pub(super) id: OrderId,
    pub(super) side: OrderSide,
    pub(super) price: Price,
    pub(super) remaining: Quantity,
    pub(super) reduce_only: bool,
    pub(super) arrived: UnixNanos,
    pub(super) queue: QueuePosition,
}

/// Raw price bounds of the resting orders: a trade, quote or depth row outside them cannot
/// touch any order (the hot-path filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Bounds {
    pub(super) max_buy: i64,
    pub(super) min_buy: i64,
    pub(super) min_sell: i64,
    pub(super) max_sell: i64,
}

impl Bounds {
    pub(super) const EMPTY: Self = Self {
        max_buy: i64::MIN,
        min_buy: i64::MAX,
        min_sell: i64::MAX,
        max_sell: i64::MIN,
    };
}

impl SimulatedExchange {
    /// Puts a limit order at the back of the queue at `price`: behind the venue's volume the
    /// queue model puts ahead of it and behind our own orders resting there.
    pub(super) fn rest(&mut self, request: OrderRequest, price: Price, remaining: Quantity) {
        let own_side = taken_side(request.side.opposite());
        let depth = self.depth_on_arrival(own_side, price);
        let venue_ahead = match self.settings.queue_model {
            // SPEC 5 / 11.5: fraction × depth; the order's first lot fills when that much has
            // traded, so one lot less is strictly ahead of it.
            QueueModelKind::QueueFraction => {
                let share = scale_by_rate(depth.raw(), self.settings.queue_fraction);
                Quantity::from_raw((share - self.instrument.lot_size.raw()).max(0))
            }
            QueueModelKind::RandomPosition => {
                Quantity::from_raw(self.queue_random.below_wide(depth.raw()))
            }
            // Risk-averse and probabilistic models: the back of the whole level.
            QueueModelKind::RiskAverse
            | QueueModelKind::ProbPower2
            | QueueModelKind::ProbPower3
            | QueueModelKind::ProbPower
            | QueueModelKind::ProbLog => depth,
        };
        // SPEC 5: our resting orders at one price queue behind each other.
        let own_ahead = self.own_volume_at(request.side, price, self.orders.len());
        self.orders.push_back(RestingOrder {
            id: request.id,
            side: request.side,
            price,
            remaining,
            reduce_only: request.reduce_only,
            arrived: self.now,
            queue: QueuePosition::new(venue_ahead.saturating_add(own_ahead)),
        });
        self.bounds_stale = true;
        if let Some((nanos, action)) = request.timeout {
            self.schedule(
                self.now.saturating_add_nanos(nanos.max(0)),
                Action::Timeout(request.id, action),
            );
        }
    }

    /// Remaining quantity of our resting orders on `side` at `price` among the first `count`
    /// (those that arrived before the order at index `count`).
    fn own_volume_at(&self, side: OrderSide, price: Price, count: usize) -> Quantity {
        self.orders
            .range(..count)
            .filter(|order| order.side == side && order.price == price)
            .fold(Quantity::ZERO, |total, order| {
                total.saturating_add(order.remaining)
            })
    }

    /// Size resting at `price` on `side` when an order joins it (SPEC 5): the L2 level when
    /// depth is known; without depth, the quote's size at its touch, nothing at a price better
    /// than the touch (a new level), and behind the touch (unknown) the larger of the last
    /// size known there and the median touch size, never 0 (see `unknown_depth`).
    pub(super) fn depth_on_arrival(&self, side: BookSide, price: Price) -> Quantity {
        if self.market.book_synced {
            return self.market.book.depth_at(side, price);
        }
        if let Some(quote) = &self.market.quote {
            let (touch, size) = match side {
                BookSide::Bid => (quote.bid_price, quote.bid_size),
                BookSide::Ask => (quote.ask_price, quote.ask_size),
            };
            let inside = match side {
                BookSide::Bid => price > touch,
                BookSide::Ask => price < touch,
            };
            if touch.is_positive() && price == touch {
                return size;
            }
            if touch.is_positive() && inside {
                return Quantity::ZERO;
            }
        }
        self.market
            .depth_memory
            .assumed_depth(side, price, self.instrument.lot_size)
    }

    /// Removes the resting order at `index` (which must exist).
    pub(super) fn remove_order(&mut self, index: usize) -> RestingOrder {
        let order = self.orders[index];
        // The deque shifts the shorter side: removing the oldest order (a requote's cancel)
        // moves nothing.
        self.orders.remove(index);
        if order.remaining.is_positive() {
            // It no longer stands ahead of our later orders at its price.
            for later in self.orders.range_mut(index..) {
                if later.side == order.side && later.price == order.price {
                    later.queue.own_order_left(order.remaining);
                }
            }
        }
        self.bounds_stale = true;
        order
    }

    /// Price bounds of the resting orders, recomputed after orders came or went (once per
    /// burst of arrivals and cancels, not once per order).
    #[inline]
    pub(super) fn bounds(&mut self) -> Bounds {
        if self.bounds_stale {
            self.refresh_bounds();
        }
        self.bounds
    }

    #[inline(never)]
    fn refresh_bounds(&mut self) {
        self.bounds_stale = false;
        let mut bounds = Bounds::EMPTY;
        for order in &self.orders {
            let raw = order.price.raw();
            match order.side {
                OrderSide::Buy => {
                    bounds.max_buy = bounds.max_buy.max(raw);
                    bounds.min_buy = bounds.min_buy.min(raw);
                }
                OrderSide::Sell => {
                    bounds.min_sell = bounds.min_sell.min(raw);
                    bounds.max_sell = bounds.max_sell.max(raw);
                }
            }
        }
        self.bounds = bounds;
    }

    /// Fills `quantity` of the resting order at `index` as maker at its price. Returns true
    /// when the order left the book.
    pub(super) fn fill_resting(
        &mut self,
        index: usize,
        quantity: Quantity,
        reports: &mut Vec<ExecutionReport>,
    ) -> bool {
        let order = self.orders[index];
        let mut quantity = quantity.min(order.remaining);
        if order.reduce_only {
            quantity = quantity.min(self.reducible(order.side));
            if quantity.is_zero() {
                self.remove_order(index);
                reports.push(ExecutionReport::Canceled {
                    order_id: order.id,
                    ts: self.now,
                    reason: CancelReason::PositionClosed,
                });
                return true;
            }
        }
        if quantity.is_zero() {
            return false;
        }
        let remaining = order.remaining.saturating_sub(quantity);
        {
            let resting = &mut self.orders[index];
            resting.remaining = remaining;
            resting.queue.record_fill(quantity);
        }
        let reference_mid = self.market.reference_price(self.now);
        self.emit_fill(
            order.id,
            order.side,
            order.price,
            quantity,
            Liquidity::Maker,
            remaining,
            reference_mid,
            reports,
        );
        if remaining.is_zero() {
            self.remove_order(index);
            return true;
        }
        if order.reduce_only && self.reducible(order.side).is_zero() {
            self.remove_order(index);
            reports.push(ExecutionReport::Canceled {
                order_id: order.id,
                ts: self.now,
                reason: CancelReason::PositionClosed,
            });
            return true;
        }
        false
    }

    pub(super) fn on_trade(&mut self, trade: &Trade, reports: &mut Vec<ExecutionReport>) {
        self.market.trades_seen = true;
        if self.market.quote.is_none() && !self.market.book_synced {
            // Trades only: trade sizes stand in for touch sizes (unknown depth).
            self.market.depth_memory.on_trade(trade.size);
        }
        self.market.apply_trade(trade);
        let raw = trade.price.raw();
        let bounds = self.bounds();
        if raw <= bounds.max_buy || raw >= bounds.min_sell {
            self.match_trade(trade, reports);
        }
    }

    pub(super) fn match_trade(&mut self, trade: &Trade, reports: &mut Vec<ExecutionReport>) {
        let lot = self.instrument.lot_size;
        let mut index = 0;
        while index < self.orders.len() {
            let order = &mut self.orders[index];
            let (through, at_price, own_flow) = match order.side {
                OrderSide::Buy => (
                    trade.price < order.price,
                    trade.price == order.price,
                    trade.aggressor != AggressorSide::Buy,
                ),
                OrderSide::Sell => (
                    trade.price > order.price,
                    trade.price == order.price,
                    trade.aggressor != AggressorSide::Sell,
                ),
            };
            let quantity = if through {
                // SPEC 5: a trade through the price fills the order at once.
                order.remaining
            } else if at_price && own_flow {
                // SPEC 5 queue rule: the volume beyond the queue ahead fills the order.
                order.queue.on_trade(trade.size);
                order.queue.fillable(lot)
            } else {
                Quantity::ZERO
            };
            if quantity.is_positive() && self.fill_resting(index, quantity, reports) {
                continue;
            }
            index += 1;
        }
    }

    pub(super) fn on_quote(&mut self, quote: &Quote, reports: &mut Vec<ExecutionReport>) {
        if self.settings.queue_rule != QueueRule::Fraction
            && !self.orders.is_empty()
            && !self.market.book_synced
            && let Some(previous) = self.market.quote
        {
            // Quote-only data: the touch's size is its level's size.
            if previous.bid_price == quote.bid_price {
                let (old, new) = (previous.bid_size, quote.bid_size);
                self.level_changes_queue(BookSide::Bid, quote.bid_price, old, new);
            }
            if previous.ask_price == quote.ask_price {
                let (old, new) = (previous.ask_size, quote.ask_size);
                self.level_changes_queue(BookSide::Ask, quote.ask_price, old, new);
            }
        }
        self.market.apply_quote(quote);
        let bounds = self.bounds();
        if (quote.ask_price.is_positive() && quote.ask_price.raw() <= bounds.max_buy)
            || quote.bid_price.raw() >= bounds.min_sell
        {
            self.match_touch(reports);
        }
    }

    pub(super) fn on_depth(&mut self, delta: &BookDelta, reports: &mut Vec<ExecutionReport>) {
        if self.settings.queue_rule != QueueRule::Fraction
            && !self.orders.is_empty()
            && !delta.flags.is_clear()
            && !delta.flags.is_empty_message()
        {
            let old = self.market.book.depth_at(delta.side, delta.price);
            self.level_changes_queue(delta.side, delta.price, old, delta.size);
        }
        self.market.apply_depth(delta);
        if !self.orders.is_empty() && (delta.flags.is_last() || delta.flags.is_empty_message()) {
            self.match_depth_touch(reports);
        }
    }

    /// The end of a depth message: resting orders the new touch reached fill (kept out of
    /// line: most depth rows are not the last of their message).
    #[inline(never)]
    fn match_depth_touch(&mut self, reports: &mut Vec<ExecutionReport>) {
        let ask = self.market.touch(BookSide::Ask, self.now);
        let bid = self.market.touch(BookSide::Bid, self.now);
        let bounds = self.bounds();
        if ask.is_some_and(|(price, _)| price.raw() <= bounds.max_buy)
            || bid.is_some_and(|(price, _)| price.raw() >= bounds.min_sell)
        {
            self.match_touch(reports);
        }
    }

    /// Queue models that follow the book (SPEC 5): the venue's size at `price` on `side` went
    /// from `old` to `new`; our orders resting there move as their model says.
    #[inline(never)]
    pub(super) fn level_changes_queue(
        &mut self,
        side: BookSide,
        price: Price,
        old: Quantity,
        new: Quantity,
    ) {
        let raw = price.raw();
        let bounds = self.bounds();
        let (order_side, low, high) = match side {
            BookSide::Bid => (OrderSide::Buy, bounds.min_buy, bounds.max_buy),
            BookSide::Ask => (OrderSide::Sell, bounds.min_sell, bounds.max_sell),
        };
        if raw < low || raw > high {
            return;
        }
        let rule = self.settings.queue_rule;
        // Our earlier orders at the price stand ahead of each later one.
        let mut own_ahead = Quantity::ZERO;
        for order in &mut self.orders {
            if order.side == order_side && order.price == price {
                order.queue.on_depth_change(rule, old, new, own_ahead);
                own_ahead = own_ahead.saturating_add(order.remaining);
            }
        }
    }

    /// Book-based rule: the opposite touch at or through a resting order's price fills it.
    pub(super) fn match_touch(&mut self, reports: &mut Vec<ExecutionReport>) {
        let ask = self.effective_touch(BookSide::Ask);
        let bid = self.effective_touch(BookSide::Bid);
        let mut index = 0;
        while index < self.orders.len() {
            let order = &self.orders[index];
            let touched = match order.side {
                OrderSide::Buy => ask.is_some_and(|ask| ask <= order.price),
                OrderSide::Sell => bid.is_some_and(|bid| bid >= order.price),
            };
            if touched && self.fill_resting(index, order.remaining, reports) {
                continue;
            }
            index += 1;
        }
    }
}
