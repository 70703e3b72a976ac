//! The event loop. Per market event, in this order:
//! 1. minutes that ended before the event close (features → strategy at the bar close, with
//!    the clock at the close: orders decided there leave at the close time);
//! 2. the venue sees the event (arrivals, timeouts, funding, fills), reports come back;
//! 3. stops and targets are checked against the print (SPEC 5: every trade; bars: stop first);
//! 4. the feature engine takes the event (a bar-only stream closes its minute here);
//! 5. strategies that asked for raw events get it.
//!
//! All time comes from the events (the injected clock of a backtest) or from
//! [`Engine::advance_to`] (a live timer); nothing reads the wall clock.

use auction_trader_analytics::{EquityPoint, OrderRecord, PriceBar};
use auction_trader_execution::{Account, ExecutionError};
use auction_trader_features::{FeatureEngine, FeatureSnapshot};
use auction_trader_risk::{HoldDecision, MaxHoldTimer, RiskManager, SignalDecision};
use auction_trader_strategy::{
    Actions, Direction, EntryOrder, ExitReason, PositionView, SignalRecord, SignalRecordKind,
    Strategy, StrategyContext, TradeIntent,
};
use auction_trader_types::{
    ExecutionReport, Fill, Instrument, MarketEvent, Money, OrderCommand, OrderId, OrderKind,
    OrderRequest, Price, Quantity, Rate, TypesError, UnixNanos,
};

use crate::managed_trade::{ManagedTrade, TradePhase};
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
    ($engine:ident) => {
        StrategyContext {
            now: $engine.now,
            position: $engine.position_view(),
            best_bid: $engine.venue.best_bid(),
            best_ask: $engine.venue.best_ask(),
            entries_blocked: $engine.risk.entries_blocked($engine.now),
            instrument: &$engine.instrument,
        }
    };
}

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
    features: FeatureEngine,
    strategy: S,
    risk: RiskManager,
    venue: V,
    recorder: R,
    account: Account,
    trade: Option<ManagedTrade>,
    hold_timer: Option<MaxHoldTimer>,
    /// An opposite signal waiting for the current trade to close (SPEC 4: flip as two trades).
    pending_flip: Option<TradeIntent>,
    /// A full exit requested while another exit order was still working.
    exit_requested: Option<ExitReason>,
    actions: Actions,
    reports: Vec<ExecutionReport>,
    snapshots: SnapshotBuffer,
    next_trade_id: u64,
    wants_market_events: bool,
    /// Bar-only input so far (a Bar seen, no trade yet): the feature engine closes minutes
    /// itself when it takes the event (step 4), mirroring its bar-mode clock.
    bar_mode: bool,
    trades_seen: bool,
    now: UnixNanos,
    counters: EngineCounters,
    /// The first overflow of a money or size sum (engine account, trade, risk, or the
    /// venue's); once set, the engine processes nothing more.
    failure: Option<ExecutionError>,
}

impl<S: Strategy, V: Venue, R: EngineRecorder> Engine<S, V, R> {
    pub fn new(
        instrument: Instrument,
        settings: EngineSettings,
        features: FeatureEngine,
        strategy: S,
        risk: RiskManager,
        venue: V,
        recorder: R,
    ) -> Self {
        let wants_market_events = strategy.wants_market_events();
        Self {
            account: Account::new(instrument.contract_multiplier, settings.initial_equity),
            instrument,
            settings,
            features,
            strategy,
            risk,
            venue,
            recorder,
            trade: None,
            hold_timer: None,
            pending_flip: None,
            exit_requested: None,
            actions: Actions::new(1),
            reports: Vec::new(),
            snapshots: SnapshotBuffer::default(),
            next_trade_id: 1,
            wants_market_events,
            bar_mode: false,
            trades_seen: false,
            now: UnixNanos(i64::MIN),
            counters: EngineCounters::default(),
            failure: None,
        }
    }

    /// The first arithmetic overflow of the run (a fee, P&L, funding, equity or size sum out
    /// of the fixed-point range, naming the value). Once set, events are ignored: the caller
    /// stops the run with this error rather than report saturated figures.
    pub fn failure(&self) -> Option<&ExecutionError> {
        self.failure.as_ref()
    }

    /// Latches the first failure; `None` tells the caller to stop what it was doing.
    fn checked<T>(&mut self, result: Result<T, TypesError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.failure
                    .get_or_insert(ExecutionError::Arithmetic(error));
                None
            }
        }
    }

    /// Copies the venue's failure, if any; true when the engine has failed.
    fn failed(&mut self) -> bool {
        if self.failure.is_none()
            && let Some(error) = self.venue.failure()
        {
            self.failure = Some(error.clone());
        }
        self.failure.is_some()
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

    pub fn now(&self) -> UnixNanos {
        self.now
    }

    /// Feeds one market event of the instrument (in `ts_recv` order).
    #[inline]
    pub fn on_event(&mut self, event: &MarketEvent) {
        if self.failure.is_some() {
            return;
        }
        let now = event.ts_recv();
        self.counters.events += 1;
        // 1. Minutes that ended at or before this event close first, each at its own close
        // time (the engine clock is still at the previous event: orders decided at a close
        // are sent at the close, SPEC 3.1). A bar closes its own minute in step 4: closing
        // here would close the bar's minute empty before its data arrives.
        let features_close_minutes = match event {
            MarketEvent::Bar(_) => {
                self.bar_mode = !self.trades_seen;
                true
            }
            MarketEvent::Trade(_) => {
                self.trades_seen = true;
                self.bar_mode = false;
                false
            }
            _ => self.bar_mode,
        };
        if !features_close_minutes {
            self.features.advance_to(now, &mut self.snapshots);
            self.drain_snapshots();
        }
        if now > self.now {
            self.now = now;
        }
        // 2. The venue.
        self.venue.on_market_event(event, &mut self.reports);
        if !self.reports.is_empty() {
            self.process_reports();
        }
        if self.failed() {
            return;
        }
        // 3. Stops and targets on the print.
        match event {
            MarketEvent::Trade(trade) => self.check_triggers(trade.price, trade.price),
            // Bars stand for the prints only in bar-only data: once trades flow they are
            // the truth and a bar's range (partly before the entry) must not trigger.
            MarketEvent::Bar(bar) if !self.trades_seen => self.check_triggers(bar.low, bar.high),
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
        if self.failure.is_some() {
            return;
        }
        // Bar closes first, each at its own time (as in `on_event`).
        self.features.advance_to(now, &mut self.snapshots);
        self.drain_snapshots();
        if now > self.now {
            self.now = now;
        }
        self.advance_venue(now);
    }

    /// Ends the run: an open trade is closed at market (`EndOfData`), the venue gets
    /// `settle_nanos` to execute it, and the recorder is returned; or the run's first
    /// arithmetic overflow ([`Engine::failure`]).
    pub fn finish(
        mut self,
        settle_nanos: i64,
    ) -> Result<(R, EngineCounters, Account), ExecutionError> {
        if self.failure.is_none() {
            if self.trade.is_some() {
                self.request_full_exit(ExitReason::EndOfData);
            }
            let end = self.now.saturating_add_nanos(settle_nanos.max(0));
            self.advance_venue(end);
            self.now = end;
            self.record_equity();
        }
        if self.failed()
            && let Some(error) = self.failure
        {
            return Err(error);
        }
        Ok((self.recorder, self.counters, self.account))
    }

    /// The venue's clock moves to `now` (arrivals, timeouts, funding); reports are handled.
    fn advance_venue(&mut self, now: UnixNanos) {
        self.venue.advance_to(now, &mut self.reports);
        if !self.reports.is_empty() {
            self.process_reports();
        }
    }

    fn drain_snapshots(&mut self) {
        if self.snapshots.0.is_empty() {
            return;
        }
        let snapshots = std::mem::take(&mut self.snapshots.0);
        for snapshot in &snapshots {
            self.on_bar(snapshot);
        }
        // Keep the allocation.
        self.snapshots.0 = snapshots;
        self.snapshots.0.clear();
    }

    fn on_bar(&mut self, snapshot: &FeatureSnapshot) {
        // SPEC 3.1: decisions are taken at the bar close (the clock never goes back).
        self.now = self.now.max(snapshot.ts);
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
        let Some(equity) = self.equity() else {
            return;
        };
        let clock = self.risk.on_clock(snapshot.ts, equity);
        if self.checked(clock).is_none() {
            return;
        }
        self.check_max_hold(snapshot.ts);
        let context = strategy_context!(self);
        self.strategy.on_bar(snapshot, &context, &mut self.actions);
        if !self.actions.is_empty() {
            self.apply_actions();
        }
        self.record_equity();
    }

    /// SPEC 4: after the max hold, keep the position only while it is profitable net of fees.
    fn check_max_hold(&mut self, ts: UnixNanos) {
        let (Some(trade), Some(timer)) = (self.trade.as_ref(), self.hold_timer.as_mut()) else {
            return;
        };
        if trade.open_quantity().is_zero() || trade.exit_order.is_some() {
            return;
        }
        let exit_price = match trade.direction() {
            Direction::Long => self.venue.best_bid(),
            Direction::Short => self.venue.best_ask(),
        }
        .or_else(|| self.venue.mark_price());
        let Some(exit_price) = exit_price else {
            return;
        };
        let entry = trade.average_entry_price().unwrap_or(exit_price);
        let verdict = auction_trader_risk::profitable_net_of_fees(
            trade.signed_quantity(),
            entry,
            exit_price,
            trade.entry_fees(),
            self.instrument.taker_fee,
            trade.funding(),
            self.instrument.contract_multiplier,
        );
        let profitable = match verdict {
            Ok((profitable, _net)) => profitable,
            Err(error) => {
                self.checked::<()>(Err(error));
                return;
            }
        };
        if timer.on_bar_close(ts, profitable) == HoldDecision::Exit {
            self.request_full_exit(ExitReason::MaxHold);
        }
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

    /// Equity at the venue's mark (`None` after an overflow, which is latched).
    fn equity(&mut self) -> Option<Money> {
        match self.venue.mark_price() {
            Some(mark) => {
                let equity = self.account.equity(mark);
                self.checked(equity)
            }
            None => Some(self.account.cash()),
        }
    }

    fn record_equity(&mut self) {
        if self.now < self.settings.trading_from {
            return;
        }
        let mark = self.venue.mark_price();
        let unrealized = match mark {
            Some(mark) => self.account.unrealized_pnl(mark),
            None => Ok(Money::ZERO),
        };
        let Some(unrealized) = self.checked(unrealized) else {
            return;
        };
        let equity = self.account.cash().try_add(unrealized, "equity");
        let Some(equity) = self.checked(equity) else {
            return;
        };
        self.recorder.record_equity(EquityPoint {
            ts: self.now,
            equity,
            cash: self.account.cash(),
            unrealized,
            position: self.account.position(),
        });
    }

    fn apply_actions(&mut self) {
        let mut actions = std::mem::replace(&mut self.actions, Actions::new(0));
        for signal in actions.signals.drain(..) {
            self.recorder.record_signal(signal);
        }
        let exits: Vec<_> = actions.exits.drain(..).collect();
        let intents: Vec<_> = actions.intents.drain(..).collect();
        let orders: Vec<_> = actions.orders.drain(..).collect();
        // The id counter continues from what the strategy allocated.
        self.actions = actions;
        for command in orders {
            match command {
                OrderCommand::Submit(request) => self.submit(request, "direct"),
                OrderCommand::Cancel(order_id) => self.venue.cancel(self.now, order_id),
            }
        }
        for exit in exits {
            if self.trade.is_some() {
                self.request_full_exit(exit.reason);
            }
        }
        for intent in intents {
            self.on_intent(intent);
        }
    }

    fn on_intent(&mut self, intent: TradeIntent) {
        self.counters.intents += 1;
        if self.now < self.settings.trading_from {
            self.refuse(&intent, "warm-up period before the run's start".to_owned());
            return;
        }
        let current = self
            .trade
            .as_ref()
            .filter(|trade| trade.phase() != TradePhase::Closed)
            .map(ManagedTrade::direction);
        match self.risk.decide_on_signal(current, intent.direction) {
            SignalDecision::Enter => self.open_trade(intent, false),
            SignalDecision::Flip => {
                // SPEC 4: flip = close (reason Flip), then open the new trade as a second trade.
                self.pending_flip = Some(intent);
                self.request_full_exit(ExitReason::Flip);
                // A flat engine with only a working entry cancels it; the flip entry follows
                // when the cancel (or the fills) come back.
            }
            SignalDecision::Ignore => self.refuse(
                &intent,
                "position already open in this direction".to_owned(),
            ),
        }
    }

    fn refuse(&mut self, intent: &TradeIntent, reason: String) {
        self.counters.intents_refused += 1;
        self.recorder.record_signal(SignalRecord {
            ts: self.now,
            kind: SignalRecordKind::Suppressed,
            setup: Some(intent.setup),
            direction: Some(intent.direction),
            machine: "engine",
            from_state: "signal",
            to_state: "refused",
            detail: format!("reason={reason}"),
        });
    }

    fn open_trade(&mut self, intent: TradeIntent, flip: bool) {
        let mark = self.venue.mark_price().unwrap_or(intent.entry_price);
        let equity = self.account.equity(mark);
        let Some(equity) = self.checked(equity) else {
            return;
        };
        let used_margin = auction_trader_risk::initial_margin(
            mark,
            self.account.position().abs(),
            self.instrument.contract_multiplier,
            self.settings.max_leverage,
        );
        let Some(used_margin) = self.checked(used_margin) else {
            return;
        };
        // SPEC 4: a flip's second trade bypasses the cooldown (not the kill switch).
        let evaluation = if flip {
            self.risk
                .evaluate_flip_entry(&intent, equity, used_margin, self.now)
        } else {
            self.risk
                .evaluate_entry(&intent, equity, used_margin, self.now)
        };
        let plan = match evaluation {
            Ok(plan) => plan,
            Err(rejection) => {
                if flip {
                    // The flip's close did not start the cooldown; a refused re-entry does.
                    self.risk.on_full_exit(self.now);
                }
                self.refuse(&intent, rejection.to_string());
                return;
            }
        };
        let trade_id = self.next_trade_id;
        self.next_trade_id += 1;
        let mut trade = ManagedTrade::new(
            trade_id,
            intent,
            plan.quantity,
            plan.take_profit_1_quantity,
            self.instrument.contract_multiplier,
        );
        let (kind, timeout) = match intent.entry {
            EntryOrder::Market => (OrderKind::Market, None),
            EntryOrder::Limit {
                price,
                post_only,
                timeout_nanos,
                on_timeout,
            } => (
                OrderKind::Limit { price, post_only },
                Some((timeout_nanos, on_timeout)),
            ),
        };
        let id = self.actions.allocate_order_id();
        trade.entry_order = Some(id);
        self.trade = Some(trade);
        self.hold_timer = Some(self.risk.max_hold_timer());
        self.submit(
            OrderRequest {
                id,
                side: intent.direction.entry_side(),
                quantity: plan.quantity,
                kind,
                reduce_only: false,
                timeout,
                trigger: None,
            },
            "entry",
        );
    }

    fn submit(&mut self, request: OrderRequest, purpose: &str) {
        self.counters.orders += 1;
        let (bid, ask) = (self.venue.best_bid(), self.venue.best_ask());
        let (spread, mid) = match (bid, ask) {
            (Some(bid), Some(ask)) if ask > bid => (
                Some(Price::from_raw(ask.raw() - bid.raw())),
                Some(Price::from_raw(bid.raw() + (ask.raw() - bid.raw()) / 2)),
            ),
            _ => (None, None),
        };
        let (kind, limit_price) = match request.kind {
            OrderKind::Market => ("market", None),
            OrderKind::Limit { price, .. } => ("limit", Some(price)),
        };
        self.recorder.record_order(OrderRecord {
            order_id: request.id.0,
            ts_submit: self.now,
            side: request.side.as_str().to_owned(),
            kind: kind.to_owned(),
            purpose: purpose.to_owned(),
            limit_price,
            quantity: request.quantity,
            filled_quantity: Quantity::ZERO,
            status: "open".to_owned(),
            spread_at_submit: spread,
            mid_at_submit: mid,
        });
        self.venue.submit(self.now, request);
    }

    /// Closes the whole managed trade: cancels a working entry, sends a market exit for what
    /// is open (now, or once the exit already working completes).
    fn request_full_exit(&mut self, reason: ExitReason) {
        let Some(trade) = self.trade.as_mut() else {
            return;
        };
        if let Some(entry) = trade.entry_order {
            self.venue.cancel(self.now, entry);
        }
        self.exit_requested = Some(reason);
        self.send_requested_exit();
    }

    fn send_requested_exit(&mut self) {
        let Some(reason) = self.exit_requested else {
            return;
        };
        let Some(trade) = self.trade.as_ref() else {
            self.exit_requested = None;
            return;
        };
        if trade.exit_order.is_some() {
            return;
        }
        let open = trade.open_quantity();
        if open.is_zero() {
            if trade.entry_order.is_none() {
                self.close_trade(reason);
            }
            return;
        }
        if trade.entry_order.is_none() {
            self.exit_requested = None;
        }
        self.send_exit(reason, open);
    }

    fn send_exit(&mut self, reason: ExitReason, quantity: Quantity) {
        let Some(trade) = self.trade.as_mut() else {
            return;
        };
        let trigger = trade.trigger_level(reason);
        let id = self.actions.allocate_order_id();
        trade.exit_order = Some((id, reason));
        let side = trade.direction().entry_side().opposite();
        self.submit(
            OrderRequest {
                id,
                side,
                quantity,
                kind: OrderKind::Market,
                reduce_only: true,
                timeout: None,
                trigger,
            },
            "exit",
        );
    }

    #[inline]
    fn check_triggers(&mut self, low: Price, high: Price) {
        let Some(trade) = self.trade.as_ref() else {
            return;
        };
        if let Some((reason, quantity)) = trade.trigger_on_range(low, high) {
            if matches!(reason, ExitReason::StopLoss | ExitReason::BreakevenStop) {
                // A stop also kills a still-working entry remainder.
                if let Some(entry) = trade.entry_order {
                    self.venue.cancel(self.now, entry);
                    self.exit_requested = Some(reason);
                }
            }
            self.send_exit(reason, quantity);
        }
    }

    fn process_reports(&mut self) {
        let mut reports = std::mem::take(&mut self.reports);
        for report in reports.drain(..) {
            self.recorder.record_report(&report);
            match report {
                ExecutionReport::Filled(fill) => self.on_fill(&fill),
                ExecutionReport::Canceled { order_id, .. }
                | ExecutionReport::Rejected { order_id, .. } => self.on_order_gone(order_id),
                ExecutionReport::Funding(payment) => {
                    let booked = self
                        .account
                        .apply_funding(&payment)
                        .and_then(|()| self.risk.on_funding(payment.ts, payment.amount))
                        .and_then(|()| match self.trade.as_mut() {
                            Some(trade) => trade.on_funding(payment.amount),
                            None => Ok(()),
                        });
                    if self.checked(booked).is_none() {
                        return;
                    }
                }
                ExecutionReport::Accepted { .. }
                | ExecutionReport::ConvertedToMarket { .. }
                | ExecutionReport::CancelRejected { .. } => {}
            }
            if self.wants_market_events || self.is_direct_report(&report) {
                let context = strategy_context!(self);
                self.strategy
                    .on_execution(&report, &context, &mut self.actions);
            }
        }
        self.reports = reports;
        if !self.actions.is_empty() {
            self.apply_actions();
        }
    }

    fn is_direct_report(&self, report: &ExecutionReport) -> bool {
        let Some(order_id) = report.order_id() else {
            return false;
        };
        match &self.trade {
            Some(trade) => {
                trade.entry_order != Some(order_id)
                    && trade.exit_order.map(|(id, _)| id) != Some(order_id)
            }
            None => true,
        }
    }

    fn on_fill(&mut self, fill: &Fill) {
        self.counters.fills += 1;
        // SPEC 4: the daily kill switch counts realized P&L, fees and funding.
        let booked = self.account.apply_fill(fill).and_then(|realized| {
            self.risk.on_realized(fill.ts, realized)?;
            self.risk.on_fee(fill.ts, fill.fee)
        });
        if self.checked(booked).is_none() {
            return;
        }
        let Some(trade) = self.trade.as_mut() else {
            self.record_equity();
            return;
        };
        if trade.entry_order == Some(fill.order_id) {
            let first = trade.entry_ts().is_none();
            let booked = trade.on_entry_fill(fill);
            if self.checked(booked).is_none() {
                return;
            }
            if first && let Some(timer) = self.hold_timer.as_mut() {
                timer.on_fill(fill.ts);
            }
        } else if let Some((order_id, reason)) = trade.exit_order
            && order_id == fill.order_id
        {
            let booked = trade.on_exit_fill(fill, reason);
            if self.checked(booked).is_none() {
                return;
            }
            let Some(trade) = self.trade.as_mut() else {
                return;
            };
            if reason == ExitReason::TakeProfit1
                && trade.take_profit_1_done
                && self.risk.config().breakeven_after_tp1
            {
                // SPEC 4: after TP1 the stop moves to the entry price (configurable).
                trade.move_stop_to_breakeven();
            }
            if trade.exit_order.is_none() && trade.phase() == TradePhase::Closed {
                self.close_trade(reason);
                self.record_equity();
                return;
            }
        }
        self.send_requested_exit();
        self.record_equity();
    }

    fn on_order_gone(&mut self, order_id: OrderId) {
        let Some(trade) = self.trade.as_mut() else {
            return;
        };
        if trade.entry_order == Some(order_id) {
            trade.entry_order = None;
            if trade.open_quantity().is_zero() {
                // The entry never filled: no trade, no cooldown.
                self.trade = None;
                self.hold_timer = None;
                self.exit_requested = None;
                if let Some(intent) = self.pending_flip.take() {
                    self.open_trade(intent, true);
                }
                return;
            }
        } else if trade.exit_order.map(|(id, _)| id) == Some(order_id) {
            // A rejected exit (e.g. nothing to reduce) is retried by the next trigger.
            trade.exit_order = None;
        }
        self.send_requested_exit();
    }

    fn close_trade(&mut self, reason: ExitReason) {
        let Some(trade) = self.trade.take() else {
            return;
        };
        self.hold_timer = None;
        self.exit_requested = None;
        let record = trade.to_record();
        let Some(record) = self.checked(record) else {
            return;
        };
        if let Some(record) = record {
            self.counters.trades += 1;
            self.recorder.record_trade(record);
            if reason != ExitReason::Flip {
                // SPEC 4: cooldown starts at a full exit; a flip bypasses it.
                self.risk.on_full_exit(self.now);
            }
        }
        let context = strategy_context!(self);
        self.strategy
            .on_position_closed(reason, &context, &mut self.actions);
        if let Some(intent) = self.pending_flip.take() {
            self.open_trade(intent, true);
        }
        if !self.actions.is_empty() {
            self.apply_actions();
        }
    }
}
