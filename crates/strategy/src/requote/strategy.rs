//! The requoting state machine: flat → quoting (an entry resting at the touch) → in position
//! (target, stop, time exit) → flat.

use auction_trader_types::{
    ExecutionReport, MarketEvent, NANOS_PER_MILLI, NANOS_PER_SECOND, Price, Rate, TimeoutAction,
    UnixNanos,
};

use super::{RequoteConfig, RequoteSides};
use crate::api::{
    Actions, Direction, EntryOrder, ExitReason, ExitRequest, SetupKind, SignalRecord,
    SignalRecordKind, Strategy, StrategyContext, TradeIntent,
};
use crate::auction::signal_log::Detail;
use crate::error::StrategyError;

const MACHINE: &str = "requote";
/// Least wait before quoting again after a refused or cancelled entry.
const MIN_REQUOTE_PAUSE_MS: u32 = 250;

/// What the strategy did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequoteCounters {
    /// Entries posted (each requote is a new entry).
    pub quotes: u64,
    /// Positions closed by the time exit.
    pub time_exits: u64,
}

/// See the module documentation.
#[derive(Debug)]
pub struct RequoteStrategy {
    config: RequoteConfig,
    next: Direction,
    /// No new entry before this time: the last one's rest, or the pause after a close.
    quiet_until: UnixNanos,
    exit_requested: bool,
    counters: RequoteCounters,
}

impl RequoteStrategy {
    pub fn new(config: RequoteConfig) -> Result<Self, StrategyError> {
        config.validate()?;
        let next = match config.sides {
            RequoteSides::Alternate | RequoteSides::Long => Direction::Long,
            RequoteSides::Short => Direction::Short,
        };
        Ok(Self {
            config,
            next,
            quiet_until: UnixNanos(i64::MIN),
            exit_requested: false,
            counters: RequoteCounters::default(),
        })
    }

    pub fn counters(&self) -> RequoteCounters {
        self.counters
    }

    fn step(&mut self, context: &StrategyContext<'_>, actions: &mut Actions) {
        if !context.position.quantity.is_zero() {
            self.check_time_exit(context, actions);
            return;
        }
        if !context.position.is_flat() || context.entries_blocked || context.now < self.quiet_until
        {
            return;
        }
        let (Some(bid), Some(ask)) = (context.best_bid, context.best_ask) else {
            return;
        };
        if bid >= ask {
            return; // a crossed or locked top is no place to post
        }
        let instrument = context.instrument;
        let ticks = |count: u32| instrument.ticks_to_price(i64::from(count));
        let direction = self.next;
        let (entry, stop, target) = match direction {
            Direction::Long => {
                let entry = bid.saturating_sub(ticks(self.config.offset_ticks));
                (
                    entry,
                    entry.saturating_sub(ticks(self.config.stop_ticks)),
                    entry.saturating_add(ticks(self.config.take_profit_ticks)),
                )
            }
            Direction::Short => {
                let entry = ask.saturating_add(ticks(self.config.offset_ticks));
                (
                    entry,
                    entry.saturating_add(ticks(self.config.stop_ticks)),
                    entry.saturating_sub(ticks(self.config.take_profit_ticks)),
                )
            }
        };
        if entry <= Price::ZERO || stop <= Price::ZERO || target <= Price::ZERO {
            return;
        }
        let rest = i64::from(self.config.requote_ms) * NANOS_PER_MILLI;
        self.quiet_until = UnixNanos(context.now.as_i64().saturating_add(rest));
        self.counters.quotes += 1;
        actions.intents.push(TradeIntent {
            ts: context.now,
            setup: SetupKind::Other,
            direction,
            entry: EntryOrder::Limit {
                price: entry,
                post_only: true,
                timeout_nanos: rest,
                on_timeout: TimeoutAction::Cancel,
            },
            entry_price: entry,
            stop,
            take_profit_1: None,
            take_profit_2: target,
            size_factor: Rate::ONE,
        });
        actions.signals.push(record(
            context.now,
            SignalRecordKind::Signal,
            Some(direction),
            "flat",
            "quoting",
            Detail::new()
                .put("entry", entry)
                .put("stop", stop)
                .put("target", target)
                .finish(),
        ));
    }

    fn check_time_exit(&mut self, context: &StrategyContext<'_>, actions: &mut Actions) {
        if self.exit_requested {
            return;
        }
        let Some(entry_ts) = context.position.entry_ts else {
            return;
        };
        let due = entry_ts
            .as_i64()
            .saturating_add(i64::from(self.config.hold_seconds) * NANOS_PER_SECOND);
        if context.now.as_i64() < due {
            return;
        }
        self.exit_requested = true;
        self.counters.time_exits += 1;
        actions.exits.push(ExitRequest {
            ts: context.now,
            reason: ExitReason::Strategy,
        });
        actions.signals.push(record(
            context.now,
            SignalRecordKind::Transition,
            context.position.direction(),
            "in_position",
            "time_exit",
            Detail::new().put("entry_ts", entry_ts.as_i64()).finish(),
        ));
    }
}

fn record(
    ts: UnixNanos,
    kind: SignalRecordKind,
    direction: Option<Direction>,
    from_state: &'static str,
    to_state: &'static str,
    detail: String,
) -> SignalRecord {
    SignalRecord {
        ts,
        kind,
        setup: Some(SetupKind::Other),
        direction,
        machine: MACHINE,
        from_state,
        to_state,
        detail,
    }
}

impl Strategy for RequoteStrategy {
    fn name(&self) -> &'static str {
        "requote"
    }

    fn wants_market_events(&self) -> bool {
        true
    }

    fn on_market_event(
        &mut self,
        _event: &MarketEvent,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        self.step(context, actions);
    }

    fn on_bar(
        &mut self,
        _snapshot: &auction_trader_features::FeatureSnapshot,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        self.step(context, actions);
    }

    fn on_execution(
        &mut self,
        report: &ExecutionReport,
        context: &StrategyContext<'_>,
        _actions: &mut Actions,
    ) {
        // An entry refused (post-only would cross) or cancelled unfilled: quote again after
        // the pause instead of waiting out the rest (never at once: a venue that refuses
        // every order would get a storm of them).
        let ended = matches!(
            report,
            ExecutionReport::Rejected { .. } | ExecutionReport::Canceled { .. }
        );
        let pause = i64::from(self.config.pause_ms.max(MIN_REQUOTE_PAUSE_MS)) * NANOS_PER_MILLI;
        let again = UnixNanos(context.now.as_i64().saturating_add(pause));
        if ended && context.position.quantity.is_zero() && again < self.quiet_until {
            self.quiet_until = again;
        }
    }

    fn on_position_closed(
        &mut self,
        reason: ExitReason,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        self.exit_requested = false;
        if self.config.sides == RequoteSides::Alternate {
            self.next = match self.next {
                Direction::Long => Direction::Short,
                Direction::Short => Direction::Long,
            };
        }
        let pause = i64::from(self.config.pause_ms) * NANOS_PER_MILLI;
        self.quiet_until = UnixNanos(context.now.as_i64().saturating_add(pause));
        actions.signals.push(record(
            context.now,
            SignalRecordKind::Transition,
            None,
            "in_position",
            "flat",
            Detail::new().put("reason", reason.as_str()).finish(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{
        ContractType, Instrument, InstrumentKey, MarketKind, Quantity, Rate,
    };

    use super::*;
    use crate::api::PositionView;

    fn instrument() -> Instrument {
        Instrument {
            key: InstrumentKey::new("test", "BTCUSDT", MarketKind::Perpetual),
            tick_size: Price::from_decimal_str("0.1").unwrap(),
            lot_size: Quantity::from_decimal_str("0.001").unwrap(),
            min_size: Quantity::from_decimal_str("0.001").unwrap(),
            contract_multiplier: Quantity::ONE,
            maker_fee: Rate::ZERO,
            taker_fee: Rate::ZERO,
            contract_type: ContractType::Linear,
        }
    }

    fn price(text: &str) -> Price {
        Price::from_decimal_str(text).unwrap()
    }

    fn context(
        instrument: &Instrument,
        now_ms: i64,
        position: PositionView,
    ) -> StrategyContext<'_> {
        StrategyContext {
            now: UnixNanos(now_ms * NANOS_PER_MILLI),
            instrument,
            position,
            best_bid: Some(price("60000.0")),
            best_ask: Some(price("60000.1")),
            entries_blocked: false,
        }
    }

    fn entry_of(actions: &Actions) -> (Direction, Price, Price, Price, i64) {
        let intent = &actions.intents[0];
        let EntryOrder::Limit {
            price,
            post_only,
            timeout_nanos,
            ..
        } = intent.entry
        else {
            panic!("a limit entry");
        };
        assert!(post_only);
        (
            intent.direction,
            price,
            intent.stop,
            intent.take_profit_2,
            timeout_nanos,
        )
    }

    #[test]
    fn posts_at_the_touch_rests_then_requotes() {
        let instrument = instrument();
        let mut strategy = RequoteStrategy::new(RequoteConfig::default()).unwrap();
        let mut actions = Actions::new(1);
        strategy.step(
            &context(&instrument, 1_000, PositionView::default()),
            &mut actions,
        );
        // Long at the bid 60,000.0; stop 20 ticks (2.0) below, target 5 ticks (0.5) above.
        assert_eq!(
            entry_of(&actions),
            (
                Direction::Long,
                price("60000.0"),
                price("59998.0"),
                price("60000.5"),
                2_000 * NANOS_PER_MILLI
            )
        );
        // While it rests (2 s) nothing new is posted, even if the engine shows it as gone.
        let mut quiet = Actions::new(1);
        strategy.step(
            &context(&instrument, 2_999, PositionView::default()),
            &mut quiet,
        );
        assert!(quiet.intents.is_empty());
        // Pending entries are not doubled after the rest either.
        let pending = PositionView {
            entry_pending: true,
            ..PositionView::default()
        };
        strategy.step(&context(&instrument, 3_000, pending), &mut quiet);
        assert!(quiet.intents.is_empty());
        // Cancelled at its timeout and flat: the next event posts again.
        strategy.step(
            &context(&instrument, 3_000, PositionView::default()),
            &mut quiet,
        );
        assert_eq!(quiet.intents.len(), 1);
        assert_eq!(strategy.counters().quotes, 2);
    }

    #[test]
    fn a_refused_entry_is_quoted_again_after_the_pause() {
        let instrument = instrument();
        let mut strategy = RequoteStrategy::new(RequoteConfig {
            requote_ms: 60_000,
            ..RequoteConfig::default()
        })
        .unwrap();
        let mut actions = Actions::new(1);
        strategy.step(
            &context(&instrument, 1_000, PositionView::default()),
            &mut actions,
        );
        let rejected = ExecutionReport::Rejected {
            order_id: auction_trader_types::OrderId(1),
            ts: UnixNanos(1_010 * NANOS_PER_MILLI),
            reason: auction_trader_types::RejectReason::PostOnlyWouldCross,
        };
        strategy.on_execution(
            &rejected,
            &context(&instrument, 1_010, PositionView::default()),
            &mut actions,
        );
        // Not at once (the pause, 1 s) ...
        strategy.step(
            &context(&instrument, 1_020, PositionView::default()),
            &mut actions,
        );
        assert_eq!(actions.intents.len(), 1);
        // ... but long before the 60 s rest is over.
        strategy.step(
            &context(&instrument, 2_010, PositionView::default()),
            &mut actions,
        );
        assert_eq!(actions.intents.len(), 2);
    }

    #[test]
    fn a_closed_position_turns_the_side_and_pauses() {
        let instrument = instrument();
        let config = RequoteConfig {
            offset_ticks: 3,
            ..RequoteConfig::default()
        };
        let mut strategy = RequoteStrategy::new(config).unwrap();
        let mut actions = Actions::new(1);
        strategy.on_position_closed(
            ExitReason::TakeProfit2,
            &context(&instrument, 10_000, PositionView::default()),
            &mut actions,
        );
        // The pause (1 s) holds the next entry back.
        strategy.step(
            &context(&instrument, 10_999, PositionView::default()),
            &mut actions,
        );
        assert!(actions.intents.is_empty());
        strategy.step(
            &context(&instrument, 11_000, PositionView::default()),
            &mut actions,
        );
        // Short 3 ticks above the ask 60,000.1 = 60,000.4; stop 60,002.4; target 59,999.9.
        let (direction, entry, stop, target, _) = entry_of(&actions);
        assert_eq!(direction, Direction::Short);
        assert_eq!(
            (entry, stop, target),
            (price("60000.4"), price("60002.4"), price("59999.9"))
        );
    }

    #[test]
    fn the_time_exit_comes_once_after_the_hold() {
        let instrument = instrument();
        let mut strategy = RequoteStrategy::new(RequoteConfig::default()).unwrap();
        let long = PositionView {
            quantity: Quantity::from_decimal_str("0.5").unwrap(),
            entry_price: Some(price("60000.0")),
            entry_ts: Some(UnixNanos(5_000 * NANOS_PER_MILLI)),
            setup: Some(SetupKind::Other),
            entry_pending: false,
        };
        let mut actions = Actions::new(1);
        strategy.step(&context(&instrument, 24_999, long), &mut actions);
        assert!(actions.exits.is_empty() && actions.intents.is_empty());
        strategy.step(&context(&instrument, 25_000, long), &mut actions);
        strategy.step(&context(&instrument, 25_001, long), &mut actions);
        assert_eq!(actions.exits.len(), 1);
        assert_eq!(actions.exits[0].reason, ExitReason::Strategy);
        assert_eq!(strategy.counters().time_exits, 1);
    }

    #[test]
    fn no_entry_on_a_crossed_or_missing_top_or_while_blocked() {
        let instrument = instrument();
        let mut strategy = RequoteStrategy::new(RequoteConfig::default()).unwrap();
        let mut actions = Actions::new(1);
        let mut crossed = context(&instrument, 0, PositionView::default());
        crossed.best_ask = Some(price("60000.0"));
        strategy.step(&crossed, &mut actions);
        let mut blocked = context(&instrument, 0, PositionView::default());
        blocked.entries_blocked = true;
        strategy.step(&blocked, &mut actions);
        let mut empty = context(&instrument, 0, PositionView::default());
        empty.best_bid = None;
        strategy.step(&empty, &mut actions);
        assert!(actions.intents.is_empty());
    }

    #[test]
    fn zero_distances_are_refused() {
        let config = RequoteConfig {
            stop_ticks: 0,
            ..RequoteConfig::default()
        };
        assert!(RequoteStrategy::new(config).is_err());
    }
}
