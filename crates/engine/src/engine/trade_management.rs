//! Order and trade management of the engine (SPEC 4 and 5): intents become sized entries,
//! entries become [`ManagedTrade`]s, stops and targets become market exits, execution reports
//! move trades through their life, and max hold, flips and full exits close them.
//!
//! Rules beyond the loop (each cites its source):
//! - Entry guards (SPEC 3.1): an entry whose expected fill (a limit's price, a market entry's
//!   touch) leaves less than one typical spread between the fill and the stop is not sent,
//!   and a limit entry converts to market at its timeout only while the price a market order
//!   would get is still inside (stop + one typical spread, first target) — otherwise the
//!   venue cancels it. Both are logged to signals.db (`machine = engine`).
//! - A partly filled entry (SPEC 4): targets use the filled size; any exit (a trigger, a
//!   strategy exit, max hold, a flip, the end of data) cancels the entry's unfilled rest, and
//!   a full exit also closes whatever that rest still fills before its cancel lands.
//! - A cancel the venue rejects while the entry still works (a cancel that overtook its
//!   order under random latency) is sent again.
//! - A rejected full exit (max hold, strategy, flip, end of data) is sent again at the next
//!   bar close; a rejected stop or target is sent again by the next trigger.
//! - Max hold (SPEC 4, 11.7): "profitable net of fees" at the price an exit would get now
//!   (the venue's taker price: exit-side best price, or the last trade ∓ half the typical
//!   spread with stale quotes) and the venue's own taker fee.

use auction_trader_risk::{HoldDecision, SignalDecision};
use auction_trader_strategy::{
    Direction, EntryOrder, ExitReason, SignalRecord, SignalRecordKind, Strategy, TradeIntent,
};
use auction_trader_types::{
    CancelReason, ExecutionReport, Fill, OrderId, OrderKind, OrderPurpose, OrderRecord,
    OrderRequest, OrderSide, OrderStatus, Price, Quantity, TimeoutAction,
};

use super::Engine;
use crate::managed_trade::{ManagedTrade, TradePhase};
use crate::recorder::EngineRecorder;
use crate::venue::Venue;

impl<S: Strategy, V: Venue, R: EngineRecorder> Engine<S, V, R> {
    /// SPEC 4: after the max hold, keep the position only while it is profitable net of fees
    /// (SPEC 11.7: at the exit-side price, with the venue's taker fee).
    pub(super) fn check_max_hold(&mut self, ts: auction_trader_types::UnixNanos) {
        let (Some(trade), Some(timer)) = (self.trade.as_ref(), self.hold_timer.as_mut()) else {
            return;
        };
        if trade.open_quantity().is_zero() || trade.exit_order.is_some() {
            return;
        }
        let exit_side = trade.direction().entry_side().opposite();
        let Some(exit_price) = self.venue.taker_price(exit_side) else {
            return;
        };
        let entry = trade.average_entry_price().unwrap_or(exit_price);
        let (profitable, _net) = auction_trader_risk::profitable_net_of_fees(
            trade.signed_quantity(),
            entry,
            exit_price,
            trade.entry_fees(),
            self.venue.taker_fee(),
            trade.funding(),
            self.instrument.valuation(),
        );
        if timer.on_bar_close(ts, profitable) == HoldDecision::Exit {
            self.request_full_exit(ExitReason::MaxHold);
        }
    }

    pub(super) fn on_intent(&mut self, intent: TradeIntent) {
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
        self.record_engine_signal(
            intent.direction,
            intent,
            "refused",
            format!("reason={reason}"),
        );
    }

    /// A signals.db row of the engine about `intent` (SPEC 3.1: refusals and cancelled
    /// entries are counted there).
    fn record_engine_signal(
        &mut self,
        direction: Direction,
        intent: &TradeIntent,
        to_state: &'static str,
        detail: String,
    ) {
        self.recorder.record_signal(SignalRecord {
            ts: self.now,
            kind: SignalRecordKind::Suppressed,
            setup: Some(intent.setup),
            direction: Some(direction),
            machine: "engine",
            from_state: "signal",
            to_state,
            detail,
        });
    }

    /// SPEC 3.1: the room an entry's fill must leave to its stop (one typical spread), when
    /// the spread is known.
    fn stop_room(&self) -> Option<Price> {
        self.typical_spread
    }

    /// The price the entry is expected to fill at: a limit's price, else the touch a market
    /// order would take (else the intent's reference price).
    fn expected_entry_fill(&self, intent: &TradeIntent) -> Price {
        match intent.entry {
            EntryOrder::Limit { price, .. } => price,
            EntryOrder::Market => self
                .venue
                .taker_price(intent.direction.entry_side())
                .unwrap_or(intent.entry_price),
        }
    }

    fn open_trade(&mut self, intent: TradeIntent, flip: bool) {
        let mark = self.venue.mark_price().unwrap_or(intent.entry_price);
        let equity = self.account.equity(mark);
        let used_margin = auction_trader_risk::initial_margin(
            mark,
            self.account.position().abs(),
            self.instrument.valuation(),
            self.settings.max_leverage,
        );
        // SPEC 3.1: an entry filling closer than one typical spread to its stop is cancelled
        // instead (the stop would sit inside the bid/ask bounce).
        let fill = self.expected_entry_fill(&intent);
        if let Some(room) = self.stop_room() {
            let distance = match intent.direction {
                Direction::Long => fill.raw().saturating_sub(intent.stop.raw()),
                Direction::Short => intent.stop.raw().saturating_sub(fill.raw()),
            };
            if distance < room.raw() {
                if flip {
                    self.risk.on_full_exit(self.now);
                }
                self.counters.intents_refused += 1;
                self.record_engine_signal(
                    intent.direction,
                    &intent,
                    "entry_cancelled",
                    format!(
                        "reason=stop_within_buffer fill={fill} stop={} typical_spread={room}",
                        intent.stop
                    ),
                );
                return;
            }
        }
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
            self.risk.config().tp1_fraction,
            self.instrument.lot_size,
            self.instrument.valuation(),
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
                Some((timeout_nanos, self.guarded_timeout(&intent, on_timeout))),
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
            OrderPurpose::Entry,
        );
    }

    /// SPEC 3.1: a conversion to market goes ahead only while the market price leaves one
    /// typical spread to the stop and has not reached the first target.
    fn guarded_timeout(&self, intent: &TradeIntent, action: TimeoutAction) -> TimeoutAction {
        if action != TimeoutAction::ConvertToMarket {
            return action;
        }
        let tick = self.instrument.tick_size.raw();
        let room = self.stop_room().map_or(0, Price::raw);
        let target = intent.take_profit_1.unwrap_or(intent.take_profit_2).raw();
        let (floor, ceiling) = match intent.direction {
            Direction::Long => (
                intent.stop.raw().saturating_add(room),
                target.saturating_sub(tick),
            ),
            Direction::Short => (
                target.saturating_add(tick),
                intent.stop.raw().saturating_sub(room),
            ),
        };
        TimeoutAction::ConvertToMarketWithin {
            floor: Price::from_raw(floor),
            ceiling: Price::from_raw(ceiling),
        }
    }

    pub(super) fn submit(&mut self, request: OrderRequest, purpose: OrderPurpose) {
        self.counters.orders += 1;
        let (bid, ask) = (self.venue.best_bid(), self.venue.best_ask());
        let (spread, mid) = match (bid, ask) {
            (Some(bid), Some(ask)) if ask > bid => (
                Some(Price::from_raw(ask.raw() - bid.raw())),
                Some(Price::from_raw(bid.raw() + (ask.raw() - bid.raw()) / 2)),
            ),
            _ => (None, None),
        };
        let limit_price = match request.kind {
            OrderKind::Market => None,
            OrderKind::Limit { price, .. } => Some(price),
        };
        self.recorder.record_order(OrderRecord {
            order_id: request.id.0,
            ts_submit: self.now,
            side: request.side,
            kind: request.kind.order_type(),
            purpose,
            limit_price,
            quantity: request.quantity,
            filled_quantity: Quantity::ZERO,
            status: OrderStatus::Open,
            spread_at_submit: spread,
            mid_at_submit: mid,
        });
        self.venue.submit(self.now, request);
    }

    /// Sends a cancel of the trade's working entry (once; again only if the venue rejects it
    /// while the entry still works).
    fn cancel_entry(&mut self) {
        let Some(trade) = self.trade.as_mut() else {
            return;
        };
        if let Some(entry) = trade.entry_order
            && !trade.entry_cancel_sent
        {
            trade.entry_cancel_sent = true;
            self.venue.cancel(self.now, entry);
        }
    }

    /// Closes the whole managed trade: cancels a working entry, sends a market exit for what
    /// is open (now, or once the exit already working completes).
    pub(super) fn request_full_exit(&mut self, reason: ExitReason) {
        if self.trade.is_none() {
            return;
        }
        self.cancel_entry();
        self.exit_requested = Some(reason);
        self.send_requested_exit();
    }

    /// Sends the requested full exit for the open quantity, unless an exit order is working;
    /// closes the trade once nothing is open and no entry works.
    pub(super) fn send_requested_exit(&mut self) {
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
            OrderPurpose::Exit,
        );
    }

    #[inline]
    pub(super) fn check_triggers(&mut self, low: Price, high: Price) {
        let Some(trade) = self.trade.as_ref() else {
            return;
        };
        if let Some((reason, quantity)) = trade.trigger_on_range(low, high) {
            // SPEC 4: the trade is exiting; the entry's unfilled rest is cancelled, never
            // converted to market into a new position.
            let full = quantity == trade.open_quantity() && reason != ExitReason::TakeProfit1;
            let entry_working = trade.entry_order.is_some();
            self.cancel_entry();
            if full && entry_working {
                // Fills of the rest before its cancel lands are exited too.
                self.exit_requested = Some(reason);
            }
            self.send_exit(reason, quantity);
        }
    }

    pub(super) fn process_reports(&mut self) {
        let mut reports = std::mem::take(&mut self.reports);
        for report in reports.drain(..) {
            self.recorder.record_report(&report);
            match report {
                ExecutionReport::Filled(fill) => self.on_fill(&fill),
                ExecutionReport::Canceled {
                    order_id, reason, ..
                } => {
                    if reason == CancelReason::ConversionRefused {
                        self.log_refused_conversion(order_id);
                    }
                    self.on_order_gone(order_id, false);
                }
                ExecutionReport::Rejected { order_id, .. } => self.on_order_gone(order_id, true),
                ExecutionReport::CancelRejected { order_id, .. } => {
                    self.on_cancel_rejected(order_id);
                }
                ExecutionReport::Funding(payment) => {
                    self.account.apply_funding(&payment);
                    self.risk.on_funding(payment.ts, payment.amount);
                    if let Some(trade) = self.trade.as_mut() {
                        trade.on_funding(payment.amount);
                    }
                }
                ExecutionReport::Accepted { .. } | ExecutionReport::ConvertedToMarket { .. } => {}
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

    /// SPEC 3.1: the venue refused to convert the entry (the price was beyond the first
    /// target or within a typical spread of the stop): logged to signals.db.
    fn log_refused_conversion(&mut self, order_id: OrderId) {
        let Some(trade) = self.trade.as_ref() else {
            return;
        };
        if trade.entry_order != Some(order_id) {
            return;
        }
        let intent = trade.intent;
        let side = intent.direction.entry_side();
        let price = self.venue.taker_price(side);
        let target = intent.take_profit_1.unwrap_or(intent.take_profit_2);
        let beyond_target = price.is_some_and(|price| match side {
            OrderSide::Buy => price >= target,
            OrderSide::Sell => price <= target,
        });
        let reason = if beyond_target {
            "price_beyond_target"
        } else {
            "stop_within_buffer"
        };
        let price = price.map_or_else(|| "none".to_owned(), |price| price.to_string());
        self.record_engine_signal(
            intent.direction,
            &intent,
            "entry_cancelled",
            format!(
                "reason={reason} at=conversion price={price} stop={} target={target}",
                intent.stop
            ),
        );
    }

    fn on_fill(&mut self, fill: &Fill) {
        self.counters.fills += 1;
        let realized = self.account.apply_fill(fill);
        // SPEC 4: the daily kill switch counts realized P&L, fees and funding.
        self.risk.on_realized(fill.ts, realized);
        self.risk.on_fee(fill.ts, fill.fee);
        let Some(trade) = self.trade.as_mut() else {
            self.record_equity();
            return;
        };
        if trade.entry_order == Some(fill.order_id) {
            let first = trade.entry_ts().is_none();
            trade.on_entry_fill(fill);
            if first && let Some(timer) = self.hold_timer.as_mut() {
                timer.on_fill(fill.ts);
            }
        } else if let Some((order_id, reason)) = trade.exit_order
            && order_id == fill.order_id
        {
            trade.on_exit_fill(fill, reason);
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

    /// An order left the venue without (further) fills: cancelled, timed out or rejected.
    fn on_order_gone(&mut self, order_id: OrderId, rejected: bool) {
        let Some(trade) = self.trade.as_mut() else {
            return;
        };
        if trade.entry_order == Some(order_id) {
            trade.entry_order = None;
            trade.entry_cancel_sent = false;
            if trade.entered_quantity().is_zero() {
                // The entry never filled: no trade, no cooldown.
                self.trade = None;
                self.hold_timer = None;
                self.exit_requested = None;
                self.exit_retry = false;
                if let Some(intent) = self.pending_flip.take() {
                    self.open_trade(intent, true);
                }
                return;
            }
        } else if trade.exit_order.map(|(id, _)| id) == Some(order_id) {
            // A rejected exit: a requested full exit is retried at the next bar close (not at
            // once: the venue would reject it again); a trigger exit by the next trigger.
            trade.exit_order = None;
            if rejected && self.exit_requested.is_some() {
                self.exit_retry = true;
                return;
            }
        }
        if self.exit_requested.is_none()
            && let Some(trade) = self.trade.as_ref()
            && trade.phase() == TradePhase::Closed
            && let Some(reason) = trade.last_exit_reason()
        {
            // The entry's rest was cancelled after the exits had closed what it filled.
            self.close_trade(reason);
            return;
        }
        self.send_requested_exit();
    }

    /// A cancel reached the venue before its order (random latency) or after it left: while
    /// the entry still works and we want it gone, the cancel is sent again.
    fn on_cancel_rejected(&mut self, order_id: OrderId) {
        let Some(trade) = self.trade.as_ref() else {
            return;
        };
        if trade.entry_order == Some(order_id) && trade.entry_cancel_sent {
            self.venue.cancel(self.now, order_id);
        }
    }

    fn close_trade(&mut self, reason: ExitReason) {
        let Some(trade) = self.trade.take() else {
            return;
        };
        self.hold_timer = None;
        self.exit_requested = None;
        self.exit_retry = false;
        if let Some(record) = trade.to_record() {
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
