//! The event loop. Per market event, in this order:
//! 1. minutes that ended before the event close (features → strategy at the bar close, with
//!    the clock at the close: orders decided there leave at the close time); before each
//!    close the venue processes what was due up to it (an exit that arrived before the close
//!    has filled when the strategy decides there);
//! 2. the venue sees the event (arrivals, timeouts, funding, fills), reports come back;
//! 3. stops and targets are checked against the print (SPEC 5: every trade; bars: stop first);
//! 4. the feature engine takes the event (a bar-only stream closes its minute here);
//! 5. strategies that asked for raw events get it.
//!
//! All time comes from the events (the injected clock of a backtest) or from
//! [`Engine::advance_to`] (a live timer); nothing reads the wall clock. The order and trade
//! management the loop calls lives in `trade_management`.

use auction_trader_execution::Account;
use auction_trader_features::FeatureSnapshot;
use auction_trader_risk::{MaxHoldTimer, RiskManager};
use auction_trader_strategy::{Actions, ExitReason, PositionView, Strategy, TradeIntent};
use auction_trader_types::{
    EquityPoint, ExecutionReport, Instrument, MarketEvent, Money, OrderCommand, OrderPurpose,
    Price, PriceBar, Rate, UnixNanos,
};

use crate::feature_feed::FeatureFeed;
use crate::managed_trade::ManagedTrade;
use crate::recorder::EngineRecorder;
use crate::venue::Venue;

/// Counters of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineCounters {
    pub events: u64,
    pub bars: u64,
    pub intents: u64,
    pub intents_refused: u64,
    pub orders: u64,
    pub fills: u64,
    pub trades: u64,
}

/// Settings the engine needs beyond its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineSettings {
    pub initial_equity: Money,
    /// Leverage used for the initial margin of open positions (SPEC 4: 10×).
    pub max_leverage: Rate,
    /// Events before this time only warm the engine up (features, strategy state): no
    /// trade is opened and no bar or equity point is recorded (SPEC 7: recorded data may be
    /// used to warm up). `UnixNanos(i64::MIN)` trades from the first event.
    pub trading_from: UnixNanos,
}

/// The strategy's view of the engine, built inline so that it borrows only the instrument
/// field (the strategy and the action buffer are borrowed mutably beside it).
macro_rules! strategy_context {
    ($engine:ident) => {{
        let (best_bid, best_ask) = $engine.venue.best_bid_ask();
        auction_trader_strategy::StrategyContext {
            now: $engine.now,
            position: $engine.position_view(),
            best_bid,
            best_ask,
            entries_blocked: $engine.risk.entries_blocked($engine.now),
            instrument: &$engine.instrument,
        }
    }};
}

// After the macro: the order and trade management uses it.
mod trade_management;

/// Feature snapshots produced while handling one event.
#[derive(Debug, Default)]
struct SnapshotBuffer(Vec<FeatureSnapshot>);

impl auction_trader_features::FeatureSink for SnapshotBuffer {
    fn on_snapshot(&mut self, snapshot: &FeatureSnapshot) {
        self.0.push(snapshot.clone());
    }
}

/// One engine instance: one strategy on one instrument and one account (SPEC 0).
#[derive(Debug)]
pub struct Engine<S, V, R> {
    instrument: Instrument,
    settings: EngineSettings,
    features: FeatureFeed,
    strategy: S,
    risk: RiskManager,
    venue: V,
    recorder: R,
    account: Account,
    trade: Option<ManagedTrade>,
    hold_timer: Option<MaxHoldTimer>,
    /// An opposite signal waiting for the current trade to close (SPEC 4: flip as two trades).
    pending_flip: Option<TradeIntent>,
    /// A full exit was requested (kept until the trade closes: fills that still come from a
    /// cancelled entry are exited too).
    exit_requested: Option<ExitReason>,
    /// The requested exit was rejected: it is sent again at the next bar close.
    exit_retry: bool,
    /// Typical spread of the latest bar close (SPEC 3.1: the minimum room between an
    /// entry's fill and its stop).
    typical_spread: Option<Price>,
    actions: Actions,
    /// Empty lists swapped with the strategy's when its actions are applied (no allocation).
    spare_actions: Actions,
    reports: Vec<ExecutionReport>,
    snapshots: SnapshotBuffer,
    next_trade_id: u64,
    wants_market_events: bool,
    now: UnixNanos,
    counters: EngineCounters,
}

impl<S: Strategy, V: Venue, R: EngineRecorder> Engine<S, V, R> {
    /// `features`: a [`auction_trader_features::FeatureEngine`], or a [`FeatureFeed`] (a
    /// shared recording of one).
    pub fn new(
        instrument: Instrument,
        settings: EngineSettings,
        features: impl Into<FeatureFeed>,
        strategy: S,
        risk: RiskManager,
        venue: V,
        recorder: R,
    ) -> Self {
        let wants_market_events = strategy.wants_market_events();
        Self {
            account: Account::with_valuation(instrument.valuation(), settings.initial_equity),
            instrument,
            settings,
            features: features.into(),
            strategy,
            risk,
            venue,
            recorder,
            trade: None,
            hold_timer: None,
            pending_flip: None,
            exit_requested: None,
            exit_retry: false,
            typical_spread: None,
            actions: Actions::new(1),
            spare_actions: Actions::default(),
            reports: Vec::new(),
            snapshots: SnapshotBuffer::default(),
            next_trade_id: 1,
            wants_market_events,
            now: UnixNanos(i64::MIN),
            counters: EngineCounters::default(),
        }
    }

    pub fn counters(&self) -> EngineCounters {
        self.counters
    }

    pub fn account(&self) -> &Account {
        &self.account
    }

    pub fn strategy(&self) -> &S {
        &self.strategy
    }

    pub fn venue(&self) -> &V {
        &self.venue
    }

    /// The venue, for its owner's housekeeping between events (a live restart loads the
    /// reports it recorded); reports still reach the engine only through the venue's calls.
    pub fn venue_mut(&mut self) -> &mut V {
        &mut self.venue
    }

    pub fn now(&self) -> UnixNanos {
        self.now
    }

    /// Feeds one market event of the instrument (in `ts_recv` order).
    #[inline]
    pub fn on_event(&mut self, event: &MarketEvent) {
        let now = event.ts_recv();
        self.counters.events += 1;
        // 1. Minutes that ended at or before this event close first, each at its own close
        // time (the engine clock is still at the previous event: orders decided at a close
        // are sent at the close, SPEC 3.1). A bar closes its own minute in step 4 (the
        // feed's clock rule).
        self.features.before_event(event, &mut self.snapshots);
        self.drain_snapshots();
        if now > self.now {
            self.now = now;
        }
        // 2. The venue.
        self.venue.on_market_event(event, &mut self.reports);
        if !self.reports.is_empty() {
            self.process_reports();
        }
        // 3. Stops and targets on the print.
        match event {
            MarketEvent::Trade(trade) => self.check_triggers(trade.price, trade.price),
            // Bars stand for the prints only in bar-only data: once trades flow they are
            // the truth and a bar's range (partly before the entry) must not trigger.
            MarketEvent::Bar(bar) if !self.features.trades_seen() => {
                self.check_triggers(bar.low, bar.high);
            }
            _ => {}
        }
        // 4. Features (a bar-only stream closes its minute here).
        self.features.on_event(event, &mut self.snapshots);
        self.drain_snapshots();
        // 5. Raw events for strategies that want them.
        if self.wants_market_events {
            let context = strategy_context!(self);
            self.strategy
                .on_market_event(event, &context, &mut self.actions);
            if !self.actions.is_empty() {
                self.apply_actions();
            }
        }
    }

    /// Moves the clock without an event (live timers; end of data).
    pub fn advance_to(&mut self, now: UnixNanos) {
        // Bar closes first, each at its own time (as in `on_event`).
        self.features.advance_to(now, &mut self.snapshots);
        self.drain_snapshots();
        if now > self.now {
            self.now = now;
        }
        self.advance_venue(now);
    }

    /// Ends the run: an open trade is closed at market (`EndOfData`), the venue gets
    /// `settle_nanos` to execute it, and the recorder is returned.
    pub fn finish(mut self, settle_nanos: i64) -> (R, EngineCounters, Account) {
        if self.trade.is_some() {
            self.request_full_exit(ExitReason::EndOfData);
        }
        let end = self.now.saturating_add_nanos(settle_nanos.max(0));
        self.advance_venue(end);
        self.now = end;
        self.record_equity();
        (self.recorder, self.counters, self.account)
    }

    /// The venue's clock moves to `now` (arrivals, timeouts, funding); reports are handled.
    fn advance_venue(&mut self, now: UnixNanos) {
        self.venue.advance_to(now, &mut self.reports);
        if !self.reports.is_empty() {
            self.process_reports();
        }
    }

    /// Closes the bars the feature engine produced (nearly always none: the check stays
    /// inline, the work out of line).
    #[inline]
    fn drain_snapshots(&mut self) {
        if !self.snapshots.0.is_empty() {
            self.close_bars();
        }
    }

    #[inline(never)]
    fn close_bars(&mut self) {
        let snapshots = std::mem::take(&mut self.snapshots.0);
        for snapshot in &snapshots {
            self.on_bar(snapshot);
        }
        // Keep the allocation.
        self.snapshots.0 = snapshots;
        self.snapshots.0.clear();
    }

    fn on_bar(&mut self, snapshot: &FeatureSnapshot) {
        // The venue first processes what was due before the close (an exit that arrived
        // before it has filled): the strategy decides on the state at the close. An action
        // due exactly at the close happens with the decisions taken there, after them.
        self.advance_venue(snapshot.ts.saturating_add_nanos(-1));
        // SPEC 3.1: decisions are taken at the bar close (the clock never goes back).
        self.now = self.now.max(snapshot.ts);
        if let Some(spread) = snapshot
            .typical_spread
            .filter(|spread| spread.is_positive())
        {
            self.typical_spread = Some(spread);
        }
        self.counters.bars += 1;
        if snapshot.ts > self.settings.trading_from {
            self.recorder.record_bar(PriceBar {
                ts: snapshot.ts,
                open: snapshot.bar.open,
                high: snapshot.bar.high,
                low: snapshot.bar.low,
                close: snapshot.bar.close,
                vah: snapshot.prior_profile.vah,
                val: snapshot.prior_profile.val,
                poc: snapshot.prior_profile.poc_mid,
            });
        }
        let equity = self.equity();
        self.risk.on_clock(snapshot.ts, equity);
        if self.exit_retry {
            self.exit_retry = false;
            self.send_requested_exit();
        }
        self.check_max_hold(snapshot.ts);
        let context = strategy_context!(self);
        self.strategy.on_bar(snapshot, &context, &mut self.actions);
        if !self.actions.is_empty() {
            self.apply_actions();
        }
        self.record_equity();
    }

    fn position_view(&self) -> PositionView {
        match &self.trade {
            Some(trade) => PositionView {
                quantity: trade.signed_quantity(),
                entry_price: trade.average_entry_price(),
                entry_ts: trade.entry_ts(),
                setup: Some(trade.intent.setup),
                entry_pending: trade.entry_order.is_some(),
            },
            None => PositionView {
                quantity: self.account.position(),
                entry_price: self.account.average_entry(),
                ..PositionView::default()
            },
        }
    }

    fn equity(&self) -> Money {
        match self.venue.mark_price() {
            Some(mark) => self.account.equity(mark),
            None => self.account.cash(),
        }
    }

    fn record_equity(&mut self) {
        if self.now < self.settings.trading_from {
            return;
        }
        let mark = self.venue.mark_price();
        let unrealized = mark.map_or(Money::ZERO, |mark| self.account.unrealized_pnl(mark));
        self.recorder.record_equity(EquityPoint {
            ts: self.now,
            equity: self.account.cash().saturating_add(unrealized),
            cash: self.account.cash(),
            unrealized,
            position: self.account.position(),
        });
    }

    fn apply_actions(&mut self) {
        for signal in self.actions.signals.drain(..) {
            self.recorder.record_signal(signal);
        }
        // Swap the strategy's lists with the (empty) spare ones instead of collecting them, so
        // no allocation per call; the id counter stays in `self.actions`.
        let mut taken = std::mem::take(&mut self.spare_actions);
        std::mem::swap(&mut taken.orders, &mut self.actions.orders);
        std::mem::swap(&mut taken.exits, &mut self.actions.exits);
        std::mem::swap(&mut taken.intents, &mut self.actions.intents);
        for command in taken.orders.drain(..) {
            match command {
                OrderCommand::Submit(request) => self.submit(request, OrderPurpose::Direct),
                OrderCommand::Cancel(order_id) => self.venue.cancel(self.now, order_id),
            }
        }
        for exit in taken.exits.drain(..) {
            if self.trade.is_some() {
                self.request_full_exit(exit.reason);
            }
        }
        for intent in taken.intents.drain(..) {
            self.on_intent(intent);
        }
        self.spare_actions = taken;
    }
}
