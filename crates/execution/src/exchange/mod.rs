//! [`SimulatedExchange`]: one instrument's simulated venue (SPEC 5), the same code for
//! backtests and paper trading. It keeps its own view of the market from the replayed events,
//! delays orders and cancels by the configured latency, matches resting limit orders against
//! trades, quotes, depth and bars, charges fees and funding, and keeps the [`Account`].
//!
//! One file per concern; each opens with the rules it implements (the choices the SPEC leaves
//! open are documented there):
//! - `latency`: scheduling of arrivals, cancels, timeouts and funding times;
//! - `orders`: arrival checks, reduce-only, post-only, cancels and timeouts;
//! - `taker`: market orders and marketable limits (L2 walk, quote, last trade);
//! - `resting`: resting limits, the queue models and the book-based fills;
//! - `bars`: bar-only data;
//! - `funding`: funding charges.
//!
//! Common rules:
//! - Fees (SPEC 5): rate × the fill's value on every fill (linear: price × quantity ×
//!   multiplier; inverse: quantity × multiplier / price, in coin), maker or taker rate from the
//!   instrument unless the config overrides it.
//! - Time: every report carries the exchange time it happened at (an event's `ts_recv`, an
//!   arrival, a timeout or a funding time), and reports are appended in time order.

mod bars;
mod due_queue;
mod funding;
mod latency;
mod orders;
mod resting;
mod taker;

use std::collections::VecDeque;

use auction_trader_book::OrderBook;
use auction_trader_types::{
    BookSide, ExecutionReport, Fill, Instrument, Liquidity, MarketEvent, MarketKind, Money,
    OrderId, OrderRequest, OrderSide, Price, Quantity, Rate, UnixNanos,
};

use crate::ExecutionError;
use crate::account::Account;
use crate::config::{FillModelConfig, FillSettings, FundingSource};
use crate::market::{Level, MarketView};
use crate::recent_market::RecentMarket;
use auction_trader_types::SplitMix64;
use due_queue::DueQueue;
use funding::FundingSchedule;
use latency::Action;
use resting::{Bounds, RestingOrder};

/// The cost model's market state covers the last 30 minutes (the feature library's
/// `kyle_lambda_30m` window) and needs one minute of it.
const RECENT_WINDOW_SECONDS: usize = 1_800;
const RECENT_MIN_SECONDS: usize = 60;

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
    /// Resting limit orders in arrival order (a deque: cancels mostly remove the oldest).
    orders: VecDeque<RestingOrder>,
    /// Price bounds of `orders`, valid unless `bounds_stale` (see [`Self::bounds`]).
    bounds: Bounds,
    bounds_stale: bool,
    /// What is due, earliest first (a timeout of an order that has left stays until it is due,
    /// then does nothing).
    scheduled: DueQueue<Action>,
    /// Earliest time anything is due (scheduled action or funding); `i64::MIN` before the
    /// first event so that the funding schedule starts.
    next_due: i64,
    funding: FundingSchedule,
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
            settings.stale_book,
            settings.fallback_half_spread_ticks,
            RecentMarket::new(
                RECENT_WINDOW_SECONDS,
                RECENT_MIN_SECONDS,
                instrument.contract_type,
                instrument.contract_multiplier.as_f64(),
            ),
        );
        let funding = FundingSchedule::new(settings.funding_interval);
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
            orders: VecDeque::new(),
            bounds: Bounds::EMPTY,
            bounds_stale: false,
            scheduled: DueQueue::new(),
            next_due: i64::MIN,
            funding,
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
        let latency = self.draw_latency(self.settings.entry_latency, now);
        self.schedule(now.saturating_add_nanos(latency), Action::Arrive(request));
    }

    /// Cancel reaches the exchange at now + cancel latency (a fill before that still happens).
    pub fn cancel(&mut self, now: UnixNanos, order_id: OrderId) {
        let latency = self.draw_latency(self.settings.cancel_latency, now);
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
            MarketEvent::Funding(funding) => self.on_funding_event(funding, reports),
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
    #[inline]
    pub fn best_bid(&self) -> Option<Price> {
        self.market.touch_price(BookSide::Bid, self.now)
    }

    #[inline]
    pub fn best_ask(&self) -> Option<Price> {
        self.market.touch_price(BookSide::Ask, self.now)
    }

    /// Best bid and best ask together (cheaper than the two calls).
    #[inline]
    pub fn best_bid_ask(&self) -> (Option<Price>, Option<Price>) {
        self.market.touch_prices(self.now)
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
