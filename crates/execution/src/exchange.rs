//! [`SimulatedExchange`]: one instrument's simulated venue (SPEC 5), the same code for
//! backtests and paper trading. It keeps its own view of the market from the replayed events,
//! delays orders and cancels by the configured latency, matches resting limit orders against
//! trades, quotes, depth and bars, charges fees and funding, and keeps the [`Account`].
//!
//! Fill rules (each cites its source; the choices the SPEC leaves open are documented here):
//! - Market orders (SPEC 5) walk the opposite L2 levels when depth is known, one [`Fill`] per
//!   level at the level's price (the VWAP is the quantity-weighted mean of the fills). The book
//!   is not consumed permanently: what our order took at a level is remembered until that
//!   level's next update (a depth row or a quote at that price), then the venue's own size
//!   counts again. If the visible book runs out, the remainder fills at the worst level
//!   walked. Without depth: at the best opposite price of a fresh quote (≤ `stale_quote_ms`
//!   old) plus `slippage_bps`, for the whole size (quote sizes are not walked); with no fresh
//!   quote: at the last trade ± half the typical spread (the time-weighted quoted spread of
//!   the last 60 minutes, rounded up to whole ticks; `fallback_half_spread_ticks` while no
//!   quote has shown a spread) plus slippage. No price at all: `Rejected { NoLiquidity }`.
//!   Every fill carries the price slippage is measured against (`reference_mid`): the mid of
//!   the touches, else the last trade.
//! - Limit orders (SPEC 5): on arrival, a limit that crosses the opposite touch (or, without a
//!   touch, the last-trade price a market order would get) executes as taker up to its limit
//!   price (post-only: `Rejected { PostOnlyWouldCross }`); the remainder rests at the back of
//!   the queue. Resting orders fill as maker at their limit price, by any of:
//!   1. the queue rule ([`QueueModel`]): trades AT the price on the order's side (seller- or
//!      unknown-initiated for a bid, buyer- or unknown-initiated for an ask) consume the queue
//!      ahead, the volume beyond it fills the order in whole lots;
//!   2. a trade THROUGH the price (below a bid, above an ask) fills the whole remainder at
//!      once (SPEC 5 "immediately when trades print through its price");
//!   3. the opposite touch moving to or through the price (best ask <= bid) fills the whole
//!      remainder (our order would be matched by the new opposite order);
//!   4. bar mode (only `Bar` events, no trades/quotes/depth): a bar that trades THROUGH the
//!      price (low < bid, high > ask) fills the remainder; a touch does not (conservative:
//!      the queue at that price may never have been reached). Orders arriving before the bar's
//!      close are eligible (they arrive 130 ms after the previous close in practice).
//! - Queue models: `fraction` (SPEC 5 default): the order's first lot fills when the volume
//!   traded at the price since arrival reaches `queue_fraction` × the depth resting there on
//!   arrival (SPEC 11.5: 50 lots rest, fraction 0.3 -> fills once 15 lots have traded, so the
//!   15th lot is ours: the queue ahead is 0.3 × depth − 1 lot, at least 0), each further lot
//!   needs one more lot of volume. No depth on arrival -> the first trade at the price fills.
//!   `probabilistic` (seeded): the queue ahead is drawn uniformly in [0, depth) on arrival,
//!   advanced by trades at the price and by depth decreases not explained by trades, pro rata
//!   (the share of cancels ahead of us is ahead / depth), and capped at the level's size.
//!   Each of our orders is measured against the venue's queue only (our own orders at the same
//!   price do not queue behind each other).
//! - Latency (SPEC 5): an order reaches the exchange at submit time + entry latency and acts
//!   on the market as it is then (events at exactly that time are applied after it); a cancel
//!   acts at its own arrival, so a fill in between still happens. A cancel that arrives
//!   before its order (random latency) is `CancelRejected` and the order then rests.
//! - Bar-mode exits: a market order carrying a [`Trigger`] (a stop or target the engine saw
//!   crossed inside the latest bar) fills at the level, or at the bar's open when the bar
//!   gapped beyond it, minus half the spread and slippage (SPEC 5: the true order is unknown
//!   inside a bar; the engine already assumes the stop first).
//! - Timeouts are measured from arrival: `Cancel` -> `Canceled { Timeout }`; `ConvertToMarket`
//!   -> `ConvertedToMarket`, then the remainder executes as a market order at once;
//!   `ConvertToMarketWithin { floor, ceiling }` converts only while the taker price
//!   ([`SimulatedExchange::taker_price`]) is inside the band, else `Canceled {
//!   ConversionRefused }` (SPEC 3.1: no entry beyond its first target or onto its stop).
//! - reduce_only: the quantity is capped at the position in the opposite direction, on arrival
//!   and again at every fill; nothing to reduce -> `Rejected { NothingToReduce }` on arrival,
//!   `Canceled { PositionClosed }` for a resting remainder.
//! - Fees (SPEC 5): rate × the fill's value on every fill (linear: price × quantity ×
//!   multiplier; inverse: quantity × multiplier / price, in coin), maker or taker rate from the
//!   instrument unless the config overrides it.
//! - Funding (SPEC 5, 11.6): every `funding_interval_hours` from 00:00 UTC, the position pays
//!   rate × its value at the mark (longs pay positive rates; coin for inverse); mark = latest recorded
//!   mark price, else mid, else last trade. The rate is the fixed one or the latest recorded
//!   `Funding` event's (`funding_source`); none on spot instruments. Reported only when the
//!   position is not flat.
//! - Time: every report carries the exchange time it happened at (an event's `ts_recv`, an
//!   arrival, a timeout or a funding time), and reports are appended in time order.
//! - Duplicate ids are detected among resting orders (ids are engine-assigned and unique).

use std::collections::BinaryHeap;

use auction_trader_book::OrderBook;
use auction_trader_types::{
    AggressorSide, Bar, BookDelta, BookSide, CancelReason, Crossing, ExecutionReport, FIXED_SCALE,
    Fill, Funding, FundingPayment, Instrument, Liquidity, MarketEvent, MarketKind, Money, OrderId,
    OrderKind, OrderRequest, OrderSide, Price, Quantity, Quote, Rate, RejectReason, TimeoutAction,
    Trade, Trigger, UnixNanos,
};

use crate::ExecutionError;
use crate::account::Account;
use crate::config::{
    FillModelConfig, FillSettings, FundingSource, LatencyModel, QueueModel, scale_by_rate,
};
use crate::market::{Level, MarketView, TakerSource};
use crate::queue::QueuePosition;
use crate::random::SplitMix64;

/// Something the exchange must do at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Arrive(OrderRequest),
    Cancel(OrderId),
    Timeout(OrderId, TimeoutAction),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Scheduled {
    due: i64,
    /// Submission order breaks ties between actions due at the same time.
    sequence: u64,
    action: Action,
}

/// Heap order: earliest due first, then submission order (`sequence` is unique, so this is a
/// total order consistent with `Eq` on the scheduled items we create).
impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.due, other.sequence).cmp(&(self.due, self.sequence))
    }
}

impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// A limit order resting on the simulated book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RestingOrder {
    id: OrderId,
    side: OrderSide,
    price: Price,
    remaining: Quantity,
    reduce_only: bool,
    arrived: UnixNanos,
    queue: QueuePosition,
}

/// Raw price bounds of the resting orders: a trade, quote or depth row outside them cannot
/// touch any order (the hot-path filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bounds {
    max_buy: i64,
    min_buy: i64,
    min_sell: i64,
    max_sell: i64,
}

impl Bounds {
    const EMPTY: Self = Self {
        max_buy: i64::MIN,
        min_buy: i64::MAX,
        min_sell: i64::MAX,
        max_sell: i64::MIN,
    };
}

/// Counters of what the exchange did (for reports and tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExchangeCounters {
    pub orders_arrived: u64,
    pub rejected: u64,
    pub fills: u64,
    pub maker_fills: u64,
    pub taker_fills: u64,
    pub funding_payments: u64,
    /// Depth rows the book refused (non-positive price, negative size).
    pub book_errors: u64,
}

/// The simulated exchange of one instrument (see the module doc for every rule).
#[derive(Debug, Clone)]
pub struct SimulatedExchange {
    instrument: Instrument,
    settings: FillSettings,
    maker_fee: Rate,
    taker_fee: Rate,
    market: MarketView,
    account: Account,
    /// Resting limit orders in arrival order.
    orders: Vec<RestingOrder>,
    bounds: Bounds,
    /// Min-heap of what is due (a timeout of an order that has left stays until it is due,
    /// then does nothing).
    scheduled: BinaryHeap<Scheduled>,
    sequence: u64,
    /// Earliest time anything is due (scheduled action or funding); `i64::MIN` before the
    /// first event so that the funding schedule starts.
    next_due: i64,
    next_funding: Option<i64>,
    now: UnixNanos,
    latency_random: SplitMix64,
    queue_random: SplitMix64,
    levels: Vec<Level>,
    /// Bar-only data: the open of the latest bar (bar-mode exits fill from it, SPEC 5).
    last_bar_open: Option<Price>,
    counters: ExchangeCounters,
}

impl SimulatedExchange {
    pub fn new(instrument: Instrument, config: FillModelConfig) -> Result<Self, ExecutionError> {
        let mut settings = config.settings()?;
        if instrument.key.market == MarketKind::Spot {
            // Spot markets have no funding (SPEC 5 funding applies to perpetuals).
            settings.funding_source = FundingSource::None;
        }
        let bad = |reason: &str| ExecutionError::InvalidInstrument {
            instrument: instrument.key.to_string(),
            reason: reason.to_owned(),
        };
        if !instrument.tick_size.is_positive() {
            return Err(bad("tick size must be positive"));
        }
        if !instrument.lot_size.is_positive() {
            return Err(bad("lot size must be positive"));
        }
        if instrument.min_size.is_negative() {
            return Err(bad("minimum size must not be negative"));
        }
        if !instrument.contract_multiplier.is_positive() {
            return Err(bad("contract multiplier must be positive"));
        }
        let book = OrderBook::new(instrument.tick_size)
            .map_err(|error| bad(&format!("order book: {error}")))?;
        let market = MarketView::new(
            book,
            instrument.tick_size,
            settings.stale_quote,
            settings.fallback_half_spread_ticks,
        );
        Ok(Self {
            maker_fee: settings.maker_fee.unwrap_or(instrument.maker_fee),
            taker_fee: settings.taker_fee.unwrap_or(instrument.taker_fee),
            account: Account::with_valuation(instrument.valuation(), Money::ZERO),
            latency_random: SplitMix64::new(settings.seed),
            // A separate stream: changing the latency model does not move the queue draws.
            queue_random: SplitMix64::new(settings.seed ^ 0x5151_7e0e_c0de_d00d),
            instrument,
            settings,
            market,
            orders: Vec::new(),
            bounds: Bounds::EMPTY,
            scheduled: BinaryHeap::new(),
            sequence: 0,
            next_due: i64::MIN,
            next_funding: None,
            now: UnixNanos(i64::MIN),
            levels: Vec::new(),
            last_bar_open: None,
            counters: ExchangeCounters::default(),
        })
    }

    /// Adds starting cash (or withdraws, when negative) to the account.
    pub fn deposit(&mut self, amount: Money) {
        self.account.deposit(amount);
    }

    pub fn instrument(&self) -> &Instrument {
        &self.instrument
    }

    pub fn account(&self) -> &Account {
        &self.account
    }

    pub fn counters(&self) -> ExchangeCounters {
        ExchangeCounters {
            book_errors: self.market.book_errors,
            ..self.counters
        }
    }

    /// The exchange's clock: the latest event, arrival or `advance_to` time processed.
    pub fn now(&self) -> UnixNanos {
        self.now
    }

    /// The exchange's L2 book (empty without depth data).
    pub fn book(&self) -> &OrderBook {
        &self.market.book
    }

    /// Order reaches the exchange at now + entry latency; acts on the book as it is on arrival.
    pub fn submit(&mut self, now: UnixNanos, request: OrderRequest) {
        let latency = self.draw_latency(self.settings.entry_latency);
        self.schedule(now.saturating_add_nanos(latency), Action::Arrive(request));
    }

    /// Cancel reaches the exchange at now + cancel latency (a fill before that still happens).
    pub fn cancel(&mut self, now: UnixNanos, order_id: OrderId) {
        let latency = self.draw_latency(self.settings.cancel_latency);
        self.schedule(now.saturating_add_nanos(latency), Action::Cancel(order_id));
    }

    /// First processes everything due at or before `event.ts_recv()` (arrivals, cancels,
    /// timeouts, funding times), then applies the event to the exchange's own market state and
    /// matches resting orders against it. Reports are appended to `reports` in time order.
    #[inline]
    pub fn on_market_event(&mut self, event: &MarketEvent, reports: &mut Vec<ExecutionReport>) {
        let ts = event.ts_recv();
        if ts.as_i64() >= self.next_due {
            self.process_due(ts, reports);
        }
        if ts > self.now {
            self.now = ts;
        }
        match event {
            MarketEvent::Depth(delta) => self.on_depth(delta, reports),
            MarketEvent::Quote(quote) => self.on_quote(quote, reports),
            MarketEvent::Trade(trade) => self.on_trade(trade, reports),
            MarketEvent::Funding(funding) => self.on_funding_event(funding),
            MarketEvent::Bar(bar) => self.on_bar(bar, reports),
            MarketEvent::Liquidation(_) => {}
        }
    }

    /// Processes everything due at or before `now` without a market event (end of data, a
    /// live timer).
    pub fn advance_to(&mut self, now: UnixNanos, reports: &mut Vec<ExecutionReport>) {
        if now.as_i64() >= self.next_due {
            self.process_due(now, reports);
        }
        if now > self.now {
            self.now = now;
        }
    }

    /// Best bid of the exchange's view (depth, or a fresher quote; see the crate docs).
    pub fn best_bid(&self) -> Option<Price> {
        self.market
            .touch(BookSide::Bid, self.now)
            .map(|(price, _)| price)
    }

    pub fn best_ask(&self) -> Option<Price> {
        self.market
            .touch(BookSide::Ask, self.now)
            .map(|(price, _)| price)
    }

    pub fn mid(&self) -> Option<Price> {
        self.market.mid(self.now)
    }

    pub fn last_trade_price(&self) -> Option<Price> {
        self.market.last_trade.map(|(price, _)| price)
    }

    /// Recorded mark (Funding events) else mid else last trade (SPEC 5: "mid if no mark").
    pub fn mark_price(&self) -> Option<Price> {
        self.market
            .recorded_mark
            .or_else(|| self.mid())
            .or_else(|| self.last_trade_price())
    }

    /// The price a market order on `side` would trade at now (SPEC 5): the best opposite
    /// level (depth net of our consumption, or a fresh quote), else the last trade ∓ half the
    /// typical spread; `None` without any price.
    pub fn taker_price(&self, side: OrderSide) -> Option<Price> {
        let taken = taken_side(side);
        match self.market.taker_source(taken, self.now)? {
            TakerSource::Depth => {
                let mut levels = Vec::new();
                self.market
                    .depth_levels(taken, self.now, Quantity::from_raw(1), &mut levels);
                levels
                    .first()
                    .map(|&(price, _)| price)
                    .or_else(|| self.market.book.best(taken).map(|(price, _)| price))
            }
            TakerSource::Quote(price) | TakerSource::LastTrade(price) => Some(price),
        }
    }

    /// The taker fee rate the exchange charges (the config's override, else the instrument's).
    pub fn taker_fee(&self) -> Rate {
        self.taker_fee
    }

    /// Limit orders resting on the exchange (not counting orders still on their way).
    pub fn open_order_count(&self) -> usize {
        self.orders.len()
    }

    /// Orders, cancels and timeouts on their way or waiting.
    pub fn pending_action_count(&self) -> usize {
        self.scheduled.len()
    }

    /// Remaining quantity of a resting order.
    pub fn resting_quantity(&self, order_id: OrderId) -> Option<Quantity> {
        self.orders
            .iter()
            .find(|order| order.id == order_id)
            .map(|order| order.remaining)
    }

    /// Volume still ahead of a resting order in its queue.
    pub fn queue_ahead(&self, order_id: OrderId) -> Option<Quantity> {
        self.orders
            .iter()
            .find(|order| order.id == order_id)
            .map(|order| order.queue.ahead())
    }

    // ----- scheduling -----

    fn draw_latency(&mut self, fixed: i64) -> i64 {
        match self.settings.latency_model {
            LatencyModel::Fixed => fixed,
            LatencyModel::Uniform => self
                .latency_random
                .between(self.settings.latency_min, self.settings.latency_max),
        }
    }

    fn schedule(&mut self, due: UnixNanos, action: Action) {
        self.sequence += 1;
        self.scheduled.push(Scheduled {
            due: due.as_i64(),
            sequence: self.sequence,
            action,
        });
        self.next_due = self.next_due.min(due.as_i64());
    }

    fn earliest_scheduled(&self) -> Option<i64> {
        self.scheduled.peek().map(|item| item.due)
    }

    #[cold]
    fn process_due(&mut self, now: UnixNanos, reports: &mut Vec<ExecutionReport>) {
        let interval = self.settings.funding_interval;
        if self.next_funding.is_none() {
            // The first funding time strictly after the first moment the exchange sees.
            self.next_funding = Some(now.floor_to(interval).as_i64().saturating_add(interval));
        }
        loop {
            let earliest = self.earliest_scheduled();
            let funding = self.next_funding.unwrap_or(i64::MAX);
            // At equal times funding comes first: it charges the position held up to then.
            if funding <= now.as_i64() && earliest.is_none_or(|due| funding <= due) {
                self.advance_clock(UnixNanos(funding));
                self.charge_funding(reports);
                self.next_funding = Some(funding.saturating_add(interval));
                continue;
            }
            match earliest {
                Some(due) if due <= now.as_i64() => {
                    let Some(item) = self.scheduled.pop() else {
                        break;
                    };
                    self.advance_clock(UnixNanos(due));
                    match item.action {
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
        let scheduled = self.earliest_scheduled().unwrap_or(i64::MAX);
        self.next_due = scheduled.min(self.next_funding.unwrap_or(i64::MAX));
    }

    fn advance_clock(&mut self, time: UnixNanos) {
        if time > self.now {
            self.now = time;
        }
    }

    // ----- order arrival, cancel, timeout -----

    fn reject(
        &mut self,
        order_id: OrderId,
        reason: RejectReason,
        reports: &mut Vec<ExecutionReport>,
    ) {
        self.counters.rejected += 1;
        reports.push(ExecutionReport::Rejected {
            order_id,
            ts: self.now,
            reason,
        });
    }

    /// Quantity a reduce-only order on `side` may still trade: the position in the opposite
    /// direction, in whole lots.
    fn reducible(&self, side: OrderSide) -> Quantity {
        let position = self.account.position();
        let opposite = match side {
            OrderSide::Buy => position.is_negative(),
            OrderSide::Sell => position.is_positive(),
        };
        if opposite {
            self.instrument.round_down_to_lot(position.abs())
        } else {
            Quantity::ZERO
        }
    }

    fn valid_quantity(&self, quantity: Quantity) -> bool {
        quantity.is_positive()
            && quantity.raw() % self.instrument.lot_size.raw() == 0
            && quantity >= self.instrument.min_size
    }

    fn arrive(&mut self, request: OrderRequest, reports: &mut Vec<ExecutionReport>) {
        self.counters.orders_arrived += 1;
        let id = request.id;
        if self.orders.iter().any(|order| order.id == id) {
            return self.reject(id, RejectReason::DuplicateId, reports);
        }
        // Venue rules: whole lots, at least the minimum size, prices on the tick grid.
        if !self.valid_quantity(request.quantity) {
            return self.reject(id, RejectReason::InvalidQuantity, reports);
        }
        if let OrderKind::Limit { price, .. } = request.kind
            && (!price.is_positive() || price.raw() % self.instrument.tick_size.raw() != 0)
        {
            return self.reject(id, RejectReason::InvalidPrice, reports);
        }
        let mut quantity = request.quantity;
        if request.reduce_only {
            let cap = self.reducible(request.side);
            if cap.is_zero() {
                return self.reject(id, RejectReason::NothingToReduce, reports);
            }
            quantity = quantity.min(cap);
        }
        let taken_side = taken_side(request.side);
        match request.kind {
            OrderKind::Market => {
                if self.market.taker_source(taken_side, self.now).is_none() {
                    return self.reject(id, RejectReason::NoLiquidity, reports);
                }
                reports.push(ExecutionReport::Accepted {
                    order_id: id,
                    ts: self.now,
                });
                match (request.trigger, self.bar_mode_open()) {
                    (Some(trigger), Some(open)) => {
                        self.fill_bar_exit(id, request.side, quantity, trigger, open, reports)
                    }
                    _ => {
                        self.take(id, request.side, quantity, None, reports);
                    }
                }
            }
            OrderKind::Limit { price, post_only } => {
                let crosses = self.crosses(request.side, price);
                if crosses && post_only {
                    return self.reject(id, RejectReason::PostOnlyWouldCross, reports);
                }
                reports.push(ExecutionReport::Accepted {
                    order_id: id,
                    ts: self.now,
                });
                let mut remaining = quantity;
                if crosses {
                    let filled = self.take(id, request.side, quantity, Some(price), reports);
                    remaining = remaining.saturating_sub(filled);
                }
                if remaining.is_positive() {
                    self.rest(request, price, remaining);
                }
            }
        }
    }

    /// The latest bar's open while the data is bar-only.
    fn bar_mode_open(&self) -> Option<Price> {
        self.last_bar_open.filter(|_| !self.market.tick_data_seen)
    }

    /// SPEC 5, bar-only data: a stop or target exit fills at the first price of the
    /// triggering bar at or beyond its level — the level itself, or the bar's open when the
    /// bar opened beyond it (a gap) — minus half the spread and slippage, as a taker. (Without
    /// this, the exit would fill at the bar's close, better or worse than the level.)
    fn fill_bar_exit(
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

    /// Puts a limit order at the back of the queue at `price`.
    fn rest(&mut self, request: OrderRequest, price: Price, remaining: Quantity) {
        let own_side = taken_side(request.side.opposite());
        let depth = self.depth_on_arrival(own_side, price);
        let ahead = match self.settings.queue_model {
            // SPEC 5 / 11.5: fraction × depth; the order's first lot fills when that much has
            // traded, so one lot less is strictly ahead of it.
            QueueModel::Fraction => {
                let share = scale_by_rate(depth.raw(), self.settings.queue_fraction);
                Quantity::from_raw((share - self.instrument.lot_size.raw()).max(0))
            }
            QueueModel::Probabilistic => Quantity::from_raw(self.queue_random.below(depth.raw())),
        };
        self.orders.push(RestingOrder {
            id: request.id,
            side: request.side,
            price,
            remaining,
            reduce_only: request.reduce_only,
            arrived: self.now,
            queue: QueuePosition::new(ahead),
        });
        self.refresh_bounds();
        if let Some((nanos, action)) = request.timeout {
            self.schedule(
                self.now.saturating_add_nanos(nanos.max(0)),
                Action::Timeout(request.id, action),
            );
        }
    }

    /// Size resting at `price` on `side` when an order joins it: the L2 level when depth is
    /// known, else the quote's size when the quote's touch is that price, else zero.
    fn depth_on_arrival(&self, side: BookSide, price: Price) -> Quantity {
        if self.market.book_synced {
            return self.market.book.depth_at(side, price);
        }
        match &self.market.quote {
            Some(quote) if side == BookSide::Bid && quote.bid_price == price => quote.bid_size,
            Some(quote) if side == BookSide::Ask && quote.ask_price == price => quote.ask_size,
            _ => Quantity::ZERO,
        }
    }

    /// Opposite best level net of our own consumption (depth), or the touch (quote).
    fn effective_touch(&mut self, taken: BookSide) -> Option<Price> {
        match self.market.taker_source(taken, self.now)? {
            TakerSource::Depth => {
                let mut levels = std::mem::take(&mut self.levels);
                self.market
                    .depth_levels(taken, self.now, Quantity::from_raw(1), &mut levels);
                let best = levels.first().map(|&(price, _)| price);
                self.levels = levels;
                best
            }
            TakerSource::Quote(price) => Some(price),
            TakerSource::LastTrade(_) => None,
        }
    }

    /// Whether a limit at `price` is marketable on arrival: the opposite touch is at or through
    /// it; without a touch, the last-trade price a market order would get.
    fn crosses(&mut self, side: OrderSide, price: Price) -> bool {
        let taken = taken_side(side);
        let opposite = match self.market.taker_source(taken, self.now) {
            Some(TakerSource::LastTrade(fallback)) => Some(fallback),
            Some(_) => self.effective_touch(taken),
            None => None,
        };
        opposite.is_some_and(|opposite| at_or_through(side, opposite, price))
    }

    fn cancel_arrives(&mut self, order_id: OrderId, reports: &mut Vec<ExecutionReport>) {
        match self.orders.iter().position(|order| order.id == order_id) {
            Some(index) => {
                self.remove_order(index);
                reports.push(ExecutionReport::Canceled {
                    order_id,
                    ts: self.now,
                    reason: CancelReason::Requested,
                });
            }
            None => reports.push(ExecutionReport::CancelRejected {
                order_id,
                ts: self.now,
            }),
        }
    }

    fn time_out(
        &mut self,
        order_id: OrderId,
        action: TimeoutAction,
        reports: &mut Vec<ExecutionReport>,
    ) {
        let Some(index) = self.orders.iter().position(|order| order.id == order_id) else {
            return; // Filled or cancelled before its timeout.
        };
        let order = self.remove_order(index);
        match action {
            TimeoutAction::Cancel => reports.push(ExecutionReport::Canceled {
                order_id,
                ts: self.now,
                reason: CancelReason::Timeout,
            }),
            TimeoutAction::ConvertToMarketWithin { floor, ceiling }
                if self
                    .taker_price(order.side)
                    .is_some_and(|price| price < floor || price > ceiling) =>
            {
                // SPEC 3.1: the move the entry aimed at is over (or the stop is too close).
                reports.push(ExecutionReport::Canceled {
                    order_id,
                    ts: self.now,
                    reason: CancelReason::ConversionRefused,
                });
            }
            TimeoutAction::ConvertToMarket | TimeoutAction::ConvertToMarketWithin { .. } => {
                reports.push(ExecutionReport::ConvertedToMarket {
                    order_id,
                    ts: self.now,
                });
                let mut quantity = order.remaining;
                if order.reduce_only {
                    quantity = quantity.min(self.reducible(order.side));
                    if quantity.is_zero() {
                        return reports.push(ExecutionReport::Canceled {
                            order_id,
                            ts: self.now,
                            reason: CancelReason::PositionClosed,
                        });
                    }
                }
                if self
                    .market
                    .taker_source(taken_side(order.side), self.now)
                    .is_none()
                {
                    return self.reject(order_id, RejectReason::NoLiquidity, reports);
                }
                self.take(order_id, order.side, quantity, None, reports);
            }
        }
    }

    fn remove_order(&mut self, index: usize) -> RestingOrder {
        let order = self.orders.remove(index);
        self.refresh_bounds();
        order
    }

    fn refresh_bounds(&mut self) {
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

    // ----- taking liquidity -----

    /// Executes up to `quantity` as a taker (never beyond `limit`); returns the quantity filled.
    fn take(
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
            Some(TakerSource::Quote(price) | TakerSource::LastTrade(price)) => {
                // SPEC 5: best opposite (or last trade ± half spread) plus slippage, whole size.
                let mut fill_price = self.with_slippage(side, price);
                if let Some(limit) = limit {
                    if !at_or_through(side, price, limit) {
                        return Quantity::ZERO;
                    }
                    if !at_or_through(side, fill_price, limit) {
                        fill_price = limit; // Slippage never goes beyond the limit.
                    }
                }
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

    #[allow(clippy::too_many_arguments)] // one call site; the values are all distinct
    fn walk_depth(
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
            self.market.consume(taken, price, quantity);
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
                self.market.consume(taken, price, remaining);
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
    fn with_slippage(&self, side: OrderSide, price: Price) -> Price {
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

    /// Books a fill: fee, account, report.
    #[allow(clippy::too_many_arguments)] // a fill has that many fields
    fn emit_fill(
        &mut self,
        order_id: OrderId,
        side: OrderSide,
        price: Price,
        quantity: Quantity,
        liquidity: Liquidity,
        leaves_quantity: Quantity,
        reference_mid: Option<Price>,
        reports: &mut Vec<ExecutionReport>,
    ) {
        let rate = match liquidity {
            Liquidity::Maker => self.maker_fee,
            Liquidity::Taker => self.taker_fee,
        };
        // SPEC 5 fees: rate × the fill's value (quote currency; coin for inverse contracts).
        let fee = self
            .account
            .valuation()
            .rate_of_value_raw(rate, price, quantity);
        let fill = Fill {
            order_id,
            ts: self.now,
            side,
            price,
            quantity,
            liquidity,
            fee: Money::from_raw_i128(fee),
            reference_mid,
            leaves_quantity,
        };
        self.account.apply_fill(&fill);
        self.counters.fills += 1;
        match liquidity {
            Liquidity::Maker => self.counters.maker_fills += 1,
            Liquidity::Taker => self.counters.taker_fills += 1,
        }
        reports.push(ExecutionReport::Filled(fill));
    }

    // ----- resting orders -----

    /// Fills `quantity` of the resting order at `index` as maker at its price. Returns true
    /// when the order left the book.
    fn fill_resting(
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

    fn on_trade(&mut self, trade: &Trade, reports: &mut Vec<ExecutionReport>) {
        self.market.tick_data_seen = true;
        self.market.last_trade = Some((trade.price, trade.ts_recv));
        let raw = trade.price.raw();
        if raw <= self.bounds.max_buy || raw >= self.bounds.min_sell {
            self.match_trade(trade, reports);
        }
    }

    fn match_trade(&mut self, trade: &Trade, reports: &mut Vec<ExecutionReport>) {
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

    fn on_quote(&mut self, quote: &Quote, reports: &mut Vec<ExecutionReport>) {
        self.market.apply_quote(quote);
        if (quote.ask_price.is_positive() && quote.ask_price.raw() <= self.bounds.max_buy)
            || quote.bid_price.raw() >= self.bounds.min_sell
        {
            self.match_touch(reports);
        }
    }

    fn on_depth(&mut self, delta: &BookDelta, reports: &mut Vec<ExecutionReport>) {
        if self.settings.queue_model == QueueModel::Probabilistic
            && !self.orders.is_empty()
            && !delta.flags.is_clear()
            && !delta.flags.is_empty_message()
        {
            self.depth_changes_queue(delta);
        }
        self.market.apply_depth(delta);
        if !self.orders.is_empty() && (delta.flags.is_last() || delta.flags.is_empty_message()) {
            let ask = self.market.touch(BookSide::Ask, self.now);
            let bid = self.market.touch(BookSide::Bid, self.now);
            if ask.is_some_and(|(price, _)| price.raw() <= self.bounds.max_buy)
                || bid.is_some_and(|(price, _)| price.raw() >= self.bounds.min_sell)
            {
                self.match_touch(reports);
            }
        }
    }

    /// Probabilistic queue: a depth row at the price of resting orders on its side.
    fn depth_changes_queue(&mut self, delta: &BookDelta) {
        let raw = delta.price.raw();
        let (side, low, high) = match delta.side {
            BookSide::Bid => (OrderSide::Buy, self.bounds.min_buy, self.bounds.max_buy),
            BookSide::Ask => (OrderSide::Sell, self.bounds.min_sell, self.bounds.max_sell),
        };
        if raw < low || raw > high {
            return;
        }
        let old = self.market.book.depth_at(delta.side, delta.price);
        for order in &mut self.orders {
            if order.side == side && order.price == delta.price {
                order.queue.on_depth_change(old, delta.size);
            }
        }
    }

    /// Book-based rule: the opposite touch at or through a resting order's price fills it.
    fn match_touch(&mut self, reports: &mut Vec<ExecutionReport>) {
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

    fn on_bar(&mut self, bar: &Bar, reports: &mut Vec<ExecutionReport>) {
        if self.market.tick_data_seen {
            return; // Trades/quotes/depth are the truth; bars would double count.
        }
        self.market.last_trade = Some((bar.close, bar.ts_recv));
        self.last_bar_open = Some(bar.open);
        let mut index = 0;
        while index < self.orders.len() {
            let order = &self.orders[index];
            // SPEC 5 bar mode: only a bar trading THROUGH the price fills (conservative).
            let through = order.arrived < bar.ts_recv
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

    // ----- funding -----

    fn on_funding_event(&mut self, funding: &Funding) {
        if funding.mark_price.is_positive() {
            self.market.recorded_mark = Some(funding.mark_price);
        }
        self.market.recorded_rate = Some(funding.rate);
    }

    fn charge_funding(&mut self, reports: &mut Vec<ExecutionReport>) {
        let position = self.account.position();
        if position.is_zero() {
            return;
        }
        let rate = match self.settings.funding_source {
            FundingSource::Fixed => Some(self.settings.funding_rate),
            FundingSource::Recorded => self.market.recorded_rate,
            FundingSource::None => None,
            FundingSource::Auto => self
                .market
                .recorded_rate
                .or(Some(self.settings.funding_rate)),
        };
        let (Some(rate), Some(mark)) = (rate, self.mark_price()) else {
            return;
        };
        // SPEC 5: longs pay rate × the position's value at the mark when the rate is positive
        // (inverse contracts: in coin, contracts × multiplier / mark).
        let notional = self.account.valuation().value_raw(mark, position);
        let payment = FundingPayment {
            ts: self.now,
            rate,
            mark_price: mark,
            position,
            amount: Money::from_raw_i128(rate.apply_to_raw(notional)),
        };
        self.account.apply_funding(&payment);
        self.counters.funding_payments += 1;
        reports.push(ExecutionReport::Funding(payment));
    }
}

/// The book side an order on `side` takes liquidity from.
#[inline]
const fn taken_side(side: OrderSide) -> BookSide {
    match side {
        OrderSide::Buy => BookSide::Ask,
        OrderSide::Sell => BookSide::Bid,
    }
}

/// True when `price` is at or better than `limit` for an order on `side` (a buy pays at most
/// its limit, a sell receives at least its limit).
#[inline]
fn at_or_through(side: OrderSide, price: Price, limit: Price) -> bool {
    match side {
        OrderSide::Buy => price <= limit,
        OrderSide::Sell => price >= limit,
    }
}
