//! Taking liquidity: market orders, the marketable part of limits and timeouts converted to
//! market.
//!
//! Market orders (SPEC 5) walk the opposite L2 levels when depth is known, one fill per level
//! at the level's price (the VWAP is the quantity-weighted mean of the fills). The book is not
//! consumed permanently: what our order took at a level is remembered until that level's next
//! update (a depth row or a quote at that price), then the venue's own size counts again. If
//! the visible book runs out, the remainder fills at the worst level walked. Without depth: at
//! the best opposite price of a fresh quote (≤ `stale_quote_ms` old) plus `slippage_bps`, for
//! at most the quoted size (net of what our orders took there), the rest beyond the touch at
//! the dynamic cost model's impact (`beyond_touch_price`) plus slippage; with no fresh quote:
//! at the last trade ± half the typical spread (the time-weighted quoted spread of the last 60 minutes, rounded up to
//! whole ticks; `fallback_half_spread_ticks` while no quote has shown a spread) plus slippage.
//! No price at all: `Rejected { NoLiquidity }`. Every fill carries the price slippage is
//! measured against (`reference_mid`): the mid of the touches, else the last trade.

use auction_trader_types::{
    BookSide, ExecutionReport, FIXED_SCALE, Liquidity, OrderId, OrderSide, Price, Quantity,
};

use super::{SimulatedExchange, at_or_through, taken_side};
use crate::config::BeyondTouchPricing;
use crate::cost_model::Urgency;
use crate::market::TakerSource;

impl SimulatedExchange {
    /// The price a market order on `side` would trade at now (SPEC 5): the best opposite
    /// level (depth net of our consumption, or a fresh quote), else the last trade ∓ half the
    /// typical spread; `None` without any price.
    pub fn taker_price(&self, side: OrderSide) -> Option<Price> {
        let taken = taken_side(side);
        match self.market.taker_source(taken, self.now)? {
            TakerSource::Depth => self
                .market
                .first_depth_price(taken, self.now)
                .or_else(|| self.market.book.best_price(taken)),
            TakerSource::Quote { price, .. } | TakerSource::LastTrade(price) => Some(price),
        }
    }

    /// Opposite best level net of our own consumption (depth), or the touch (quote).
    pub(super) fn effective_touch(&self, taken: BookSide) -> Option<Price> {
        match self.market.taker_source(taken, self.now)? {
            TakerSource::Depth => self.market.first_depth_price(taken, self.now),
            TakerSource::Quote { price, .. } => Some(price),
            TakerSource::LastTrade(_) => None,
        }
    }

    /// Whether a limit at `price` is marketable on arrival: the opposite touch is at or through
    /// it; without a touch, the last-trade price a market order would get.
    pub(super) fn crosses(&self, side: OrderSide, price: Price) -> bool {
        let taken = taken_side(side);
        let opposite = match self.market.taker_source(taken, self.now) {
            Some(TakerSource::LastTrade(fallback)) => Some(fallback),
            Some(TakerSource::Quote { price, .. }) => Some(price),
            Some(TakerSource::Depth) => self.market.first_depth_price(taken, self.now),
            None => None,
        };
        opposite.is_some_and(|opposite| at_or_through(side, opposite, price))
    }

    /// Executes up to `quantity` as a taker (never beyond `limit`); returns the quantity filled.
    pub(super) fn take(
        &mut self,
        order_id: OrderId,
        side: OrderSide,
        quantity: Quantity,
        limit: Option<Price>,
        reports: &mut Vec<ExecutionReport>,
    ) -> Quantity {
        let taken = taken_side(side);
        let reference_mid = self.market.reference_price(self.now);
        match self.market.taker_source(taken, self.now) {
            None => Quantity::ZERO,
            Some(TakerSource::Depth) => {
                self.walk_depth(order_id, side, quantity, limit, reference_mid, reports)
            }
            Some(TakerSource::Quote { price, size }) => self.take_quote(
                order_id,
                side,
                quantity,
                limit,
                (price, size),
                reference_mid,
                reports,
            ),
            Some(TakerSource::LastTrade(price)) => {
                // SPEC 5: quotes absent or stale: last trade ± half spread plus slippage, for
                // the whole size (no size is known).
                let Some(fill_price) = self.within_limit(side, price, limit) else {
                    return Quantity::ZERO;
                };
                self.emit_fill(
                    order_id,
                    side,
                    fill_price,
                    quantity,
                    Liquidity::Taker,
                    Quantity::ZERO,
                    reference_mid,
                    reports,
                );
                quantity
            }
        }
    }

    /// `price` plus slippage, capped at `limit` (slippage never goes beyond it); `None` when
    /// `price` itself is beyond the limit.
    fn within_limit(&self, side: OrderSide, price: Price, limit: Option<Price>) -> Option<Price> {
        let fill_price = self.with_slippage(side, price);
        match limit {
            Some(limit) if !at_or_through(side, price, limit) => None,
            Some(limit) if !at_or_through(side, fill_price, limit) => Some(limit),
            _ => Some(fill_price),
        }
    }

    /// SPEC 5 without depth: at most the quoted size (net of what our orders took there and
    /// the venue has not refilled) at the touch, plus slippage; the rest beyond the touch at
    /// the impact price (a marketable limit only up to its price, the rest rests).
    #[allow(clippy::too_many_arguments)] // one call site; the values are all distinct
    fn take_quote(
        &mut self,
        order_id: OrderId,
        side: OrderSide,
        quantity: Quantity,
        limit: Option<Price>,
        (touch, size): (Price, Quantity),
        reference_mid: Option<Price>,
        reports: &mut Vec<ExecutionReport>,
    ) -> Quantity {
        let taken = taken_side(side);
        let Some(touch_price) = self.within_limit(side, touch, limit) else {
            return Quantity::ZERO;
        };
        let at_touch = quantity.min(self.instrument.round_down_to_lot(size));
        let rest = quantity.saturating_sub(at_touch);
        let beyond = if rest.is_positive() {
            let impact = self.beyond_touch_price(side, touch, quantity);
            self.within_limit(side, impact, limit)
        } else {
            None
        };
        if at_touch.is_positive() {
            self.market.consume(taken, touch, at_touch, self.now);
            let leaves = if beyond.is_some() {
                rest
            } else {
                Quantity::ZERO
            };
            self.emit_fill(
                order_id,
                side,
                touch_price,
                at_touch,
                Liquidity::Taker,
                leaves,
                reference_mid,
                reports,
            );
        }
        let Some(beyond_price) = beyond else {
            return at_touch;
        };
        self.emit_fill(
            order_id,
            side,
            beyond_price,
            rest,
            Liquidity::Taker,
            Quantity::ZERO,
            reference_mid,
            reports,
        );
        quantity
    }

    /// Where the part of a taker order beyond the quoted size fills, before slippage (SPEC 5:
    /// "the rest pays the dynamic cost model's impact"): the touch worsened by the cost
    /// model's temporary + permanent impact of the whole `order_quantity` (its participation
    /// in the recent volume sets the concession; the units beyond the displayed size are the
    /// ones that pay it), in bps of the mid, rounded away from the trader to whole ticks and
    /// at least one tick (they are beyond the touch). One tick when so configured, or while
    /// the exchange has no market state yet (less than a minute of trading seen).
    fn beyond_touch_price(&self, side: OrderSide, touch: Price, order_quantity: Quantity) -> Price {
        let tick = self.instrument.tick_size.raw();
        let ticks = match self.settings.beyond_touch {
            BeyondTouchPricing::OneTick => 1,
            BeyondTouchPricing::CostModel => self.impact_ticks(order_quantity).max(1),
        };
        let moved = tick.saturating_mul(ticks);
        match side {
            OrderSide::Buy => Price::from_raw(touch.raw().saturating_add(moved)),
            OrderSide::Sell => Price::from_raw(touch.raw().saturating_sub(moved).max(tick)),
        }
    }

    /// The cost model's impact of `quantity` now, in whole ticks (rounded up); 0 without a
    /// market state.
    fn impact_ticks(&self, quantity: Quantity) -> i64 {
        let Some(state) = self.market.cost_state(self.now) else {
            return 0;
        };
        let Ok(estimate) = self.settings.cost_model.estimate_cost(
            &self.instrument,
            quantity,
            Urgency::Aggressive,
            &state,
        ) else {
            return 0;
        };
        let concession = state.mid * estimate.impact_bps() / 1e4;
        let ticks = (concession / self.instrument.tick_size.as_f64()).ceil();
        // A concession beyond the price itself is no price: cap it there (float → int is
        // saturating; NaN → 0).
        let cap = (state.mid / self.instrument.tick_size.as_f64()).ceil();
        ticks.min(cap).max(0.0) as i64
    }

    #[allow(clippy::too_many_arguments)] // one call site; the values are all distinct
    pub(super) fn walk_depth(
        &mut self,
        order_id: OrderId,
        side: OrderSide,
        quantity: Quantity,
        limit: Option<Price>,
        reference_mid: Option<Price>,
        reports: &mut Vec<ExecutionReport>,
    ) -> Quantity {
        let taken = taken_side(side);
        let mut levels = std::mem::take(&mut self.levels);
        self.market
            .depth_levels(taken, self.now, quantity, &mut levels);
        let mut remaining = quantity;
        let mut worst = None;
        for &(price, available) in &levels {
            if remaining.is_zero() {
                break;
            }
            if limit.is_some_and(|limit| !at_or_through(side, price, limit)) {
                break;
            }
            worst = Some(price);
            let quantity = remaining.min(self.instrument.round_down_to_lot(available));
            if quantity.is_zero() {
                continue;
            }
            remaining = remaining.saturating_sub(quantity);
            self.market.consume(taken, price, quantity, self.now);
            self.emit_fill(
                order_id,
                side,
                price,
                quantity,
                Liquidity::Taker,
                remaining,
                reference_mid,
                reports,
            );
        }
        self.levels = levels;
        // A market order that exhausts the visible book fills the rest at the worst level it
        // reached (documented choice; the venue would sweep further).
        if limit.is_none() && remaining.is_positive() {
            let price = worst.or_else(|| self.market.book.best(taken).map(|(price, _)| price));
            if let Some(price) = price {
                self.market.consume(taken, price, remaining, self.now);
                self.emit_fill(
                    order_id,
                    side,
                    price,
                    remaining,
                    Liquidity::Taker,
                    Quantity::ZERO,
                    reference_mid,
                    reports,
                );
                remaining = Quantity::ZERO;
            }
        }
        quantity.saturating_sub(remaining)
    }

    /// Price worsened by the configured slippage, rounded away from the trader to the tick.
    pub(super) fn with_slippage(&self, side: OrderSide, price: Price) -> Price {
        let slippage = self.settings.slippage.raw();
        if slippage == 0 {
            return price;
        }
        let tick = i128::from(self.instrument.tick_size.raw());
        let scale = i128::from(FIXED_SCALE);
        let raw = i128::from(price.raw());
        let moved = match side {
            OrderSide::Buy => raw * (scale + i128::from(slippage)) / scale,
            OrderSide::Sell => raw * (scale - i128::from(slippage)) / scale,
        };
        let ticks = match side {
            OrderSide::Buy => (moved + tick - 1).div_euclid(tick),
            OrderSide::Sell => moved.div_euclid(tick).max(1),
        };
        Price::from_raw(i64::try_from(ticks * tick).unwrap_or(price.raw()))
    }
}
