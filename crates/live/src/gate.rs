//! The trading gate between the strategy and the engine: observe mode (SPEC 7: every session
//! starts with trading disabled), dry-run, and the kill switches act here, so the strategy
//! never knows the mode. While closed, new entries (intents and opening direct orders) are
//! dropped; exits, cancels and reduce-only orders always pass (closing risk is always
//! allowed). The gate can also halve entry sizes (slippage kill switch) and request a
//! flatten at the strategy's next call (data-gap and drawdown kill switches).

use std::cell::RefCell;
use std::rc::Rc;

use auction_trader_features::FeatureSnapshot;
use auction_trader_strategy::{
    Actions, ExitReason, ExitRequest, SignalRecordKind, Strategy, StrategyContext,
};
use auction_trader_types::{ExecutionReport, MarketEvent, OrderCommand, Price, Rate, UnixNanos};

/// The gate's state, shared with the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateState {
    pub trading_enabled: bool,
    /// Multiplies every entry's size (1, or 0.5 after the slippage kill switch).
    pub size_factor: Rate,
    /// Close the whole position at the strategy's next call.
    pub flatten_requested: bool,
    /// Entries dropped while closed.
    pub blocked_entries: u64,
    /// The stop of the newest entry that passed (for heat).
    pub last_stop: Option<Price>,
    /// Strategy signals (SPEC 3.1 signal records) seen.
    pub signals: u64,
}

impl Default for GateState {
    fn default() -> Self {
        Self {
            trading_enabled: false,
            size_factor: Rate::ONE,
            flatten_requested: false,
            blocked_entries: 0,
            last_stop: None,
            signals: 0,
        }
    }
}

/// Shared handle to the gate.
pub type Gate = Rc<RefCell<GateState>>;

/// A strategy behind the gate.
#[derive(Debug)]
pub struct GatedStrategy<S> {
    inner: S,
    gate: Gate,
}

impl<S: Strategy> GatedStrategy<S> {
    pub fn new(inner: S, gate: Gate) -> Self {
        Self { inner, gate }
    }

    /// Filters what the inner strategy added after `from` (lengths before the call).
    fn filter(
        &self,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
        from: (usize, usize, usize),
    ) {
        let mut gate = self.gate.borrow_mut();
        gate.signals += actions.signals[from.2..]
            .iter()
            .filter(|signal| signal.kind == SignalRecordKind::Signal)
            .count() as u64;
        if gate.trading_enabled {
            let factor = gate.size_factor;
            for intent in &mut actions.intents[from.0..] {
                if factor < Rate::ONE {
                    let own = if intent.size_factor.raw() > 0 && intent.size_factor < Rate::ONE {
                        intent.size_factor
                    } else {
                        Rate::ONE
                    };
                    intent.size_factor = scale(own, factor);
                }
            }
            if let Some(intent) = actions.intents[from.0..].last() {
                gate.last_stop = Some(intent.stop);
            }
        } else {
            let before = actions.intents.len() + actions.orders.len();
            actions.intents.truncate(from.0);
            let mut index = 0;
            actions.orders.retain(|command| {
                let keep = index < from.1
                    || match command {
                        OrderCommand::Submit(request) => request.reduce_only,
                        OrderCommand::Cancel(_) => true,
                    };
                index += 1;
                keep
            });
            gate.blocked_entries += (before - actions.intents.len() - actions.orders.len()) as u64;
        }
        if gate.flatten_requested && !context.position.is_flat() {
            gate.flatten_requested = false;
            actions.exits.push(ExitRequest {
                ts: context.now,
                reason: ExitReason::Strategy,
            });
        }
    }
}

/// `a × b` of two rates in [0, 1].
fn scale(a: Rate, b: Rate) -> Rate {
    let raw = i128::from(a.raw()) * i128::from(b.raw()) / i128::from(Rate::ONE.raw());
    Rate::from_raw(i64::try_from(raw).unwrap_or(0))
}

fn marks(actions: &Actions) -> (usize, usize, usize) {
    (
        actions.intents.len(),
        actions.orders.len(),
        actions.signals.len(),
    )
}

impl<S: Strategy> Strategy for GatedStrategy<S> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn wants_market_events(&self) -> bool {
        self.inner.wants_market_events()
    }

    fn on_market_event(
        &mut self,
        event: &MarketEvent,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        let from = marks(actions);
        self.inner.on_market_event(event, context, actions);
        self.filter(context, actions, from);
    }

    fn on_bar(
        &mut self,
        snapshot: &FeatureSnapshot,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        let from = marks(actions);
        self.inner.on_bar(snapshot, context, actions);
        self.filter(context, actions, from);
    }

    fn on_execution(
        &mut self,
        report: &ExecutionReport,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        let from = marks(actions);
        self.inner.on_execution(report, context, actions);
        self.filter(context, actions, from);
    }

    fn on_position_closed(
        &mut self,
        reason: ExitReason,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        let from = marks(actions);
        self.inner.on_position_closed(reason, context, actions);
        self.filter(context, actions, from);
    }
}

/// The time a gate change takes effect is the engine's; this only names it for logs.
pub fn describe(state: &GateState, now: UnixNanos) -> String {
    format!(
        "at {now}: trading {} (size factor {}, {} entries blocked so far)",
        if state.trading_enabled {
            "enabled"
        } else {
            "disabled"
        },
        state.size_factor,
        state.blocked_entries
    )
}

#[cfg(test)]
mod tests {
    use auction_trader_strategy::{Direction, EntryOrder, SetupKind, TradeIntent};
    use auction_trader_types::{OrderKind, OrderSide, Quantity};

    use super::*;

    /// Emits one intent and one opening direct order at every event.
    #[derive(Debug)]
    struct Eager;

    impl Strategy for Eager {
        fn name(&self) -> &'static str {
            "eager"
        }

        fn wants_market_events(&self) -> bool {
            true
        }

        fn on_bar(&mut self, _: &FeatureSnapshot, _: &StrategyContext<'_>, _: &mut Actions) {}

        fn on_market_event(
            &mut self,
            _: &MarketEvent,
            context: &StrategyContext<'_>,
            actions: &mut Actions,
        ) {
            actions.intents.push(TradeIntent {
                ts: context.now,
                setup: SetupKind::Drain,
                direction: Direction::Long,
                entry: EntryOrder::Market,
                entry_price: Price::from_raw(100),
                stop: Price::from_raw(90),
                take_profit_1: None,
                take_profit_2: Price::from_raw(120),
                size_factor: Rate::ZERO,
            });
            actions.submit(
                OrderSide::Buy,
                Quantity::from_raw(1),
                OrderKind::Market,
                None,
            );
            actions.cancel(auction_trader_types::OrderId(7));
        }
    }

    fn call(strategy: &mut GatedStrategy<Eager>) -> Actions {
        let instrument = auction_trader_testkit::events::btcusdt_perp();
        let context = StrategyContext {
            now: UnixNanos(5),
            instrument: &instrument,
            position: auction_trader_strategy::PositionView::default(),
            best_bid: None,
            best_ask: None,
            entries_blocked: false,
        };
        let mut actions = Actions::new(1);
        let event = auction_trader_testkit::events::trade(
            UnixNanos(5),
            "100",
            "1",
            auction_trader_types::AggressorSide::Buy,
        );
        strategy.on_market_event(&event, &context, &mut actions);
        actions
    }

    #[test]
    fn a_closed_gate_drops_entries_keeps_cancels_and_an_open_one_scales_sizes() {
        let gate: Gate = Rc::default();
        let mut strategy = GatedStrategy::new(Eager, Rc::clone(&gate));
        let actions = call(&mut strategy);
        assert!(actions.intents.is_empty());
        assert_eq!(
            actions.orders,
            vec![OrderCommand::Cancel(auction_trader_types::OrderId(7))]
        );
        assert_eq!(gate.borrow().blocked_entries, 2);
        gate.borrow_mut().trading_enabled = true;
        gate.borrow_mut().size_factor = Rate::from_raw(Rate::ONE.raw() / 2);
        let actions = call(&mut strategy);
        assert_eq!(actions.intents.len(), 1);
        assert_eq!(actions.orders.len(), 2);
        // No own factor (0 = none) × the gate's 0.5 = 0.5.
        assert_eq!(
            actions.intents[0].size_factor,
            Rate::from_raw(Rate::ONE.raw() / 2)
        );
        assert_eq!(gate.borrow().last_stop, Some(Price::from_raw(90)));
    }
}
