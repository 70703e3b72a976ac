//! The model-scored strategy at one-minute closes: features online, the model's probability
//! of an up move beyond costs over its label horizon, thresholds, a market entry at the touch
//! with a stop `stop_bps` away (the risk sizing distance), and an exit after the hold time.

use auction_trader_features::FeatureSnapshot;
use auction_trader_model::Ensemble;
use auction_trader_types::{
    MarketEvent, NANOS_PER_MINUTE, NANOS_PER_SECOND, Price, Rate, TimeoutAction,
};
use serde::Serialize;

use super::config::{ExecutionStyle, ModelScoreConfig};
use super::online::OnlineFeatures;
use crate::api::{
    Actions, Direction, EntryOrder, ExitReason, ExitRequest, SetupKind, SignalRecord,
    SignalRecordKind, Strategy, StrategyContext, TradeIntent,
};
use crate::auction::signal_log::Detail;
use crate::error::StrategyError;

/// The signal-log machine name.
pub const MACHINE: &str = "model_score";

/// When the model may score: only decisions after `from_ts` (the end of its training labels,
/// from its manifest), and what its label horizon is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScoringWindow {
    /// Closes at or before this (UTC ns) are never scored.
    pub from_ts: i64,
    pub horizon_minutes: u32,
}

/// What the strategy did over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ModelScoreCounters {
    pub bars: u64,
    /// Flat closes not scored because the model was trained on their future.
    pub in_sample: u64,
    pub scored: u64,
    pub signals: u64,
    pub exits_hold: u64,
}

/// SPEC 3.3 model-scored variant.
#[derive(Debug)]
pub struct ModelScoreStrategy {
    config: ModelScoreConfig,
    model: Ensemble,
    window: ScoringWindow,
    features: OnlineFeatures,
    hold_minutes: i64,
    exit_requested: bool,
    counters: ModelScoreCounters,
}

impl ModelScoreStrategy {
    pub fn new(
        config: ModelScoreConfig,
        model: Ensemble,
        window: ScoringWindow,
    ) -> Result<Self, StrategyError> {
        config.validate()?;
        let features = OnlineFeatures::new(&model.feature_names)?;
        let hold = if config.hold_minutes == 0 {
            window.horizon_minutes
        } else {
            config.hold_minutes
        };
        Ok(Self {
            config,
            model,
            window,
            features,
            hold_minutes: i64::from(hold.max(1)),
            exit_requested: false,
            counters: ModelScoreCounters::default(),
        })
    }

    pub fn counters(&self) -> ModelScoreCounters {
        self.counters
    }

    fn manage_position(&mut self, context: &StrategyContext<'_>, actions: &mut Actions) {
        if self.exit_requested || context.position.quantity.is_zero() {
            return;
        }
        let Some(entry) = context.position.entry_ts else {
            return;
        };
        let held = (context.now.as_i64() - entry.as_i64()) / NANOS_PER_MINUTE;
        if held < self.hold_minutes {
            return;
        }
        self.exit_requested = true;
        self.counters.exits_hold += 1;
        actions.exits.push(ExitRequest {
            ts: context.now,
            reason: ExitReason::Strategy,
        });
        actions.signals.push(row(
            context,
            SignalRecordKind::Transition,
            context.position.direction(),
            "in_position",
            "hold_elapsed",
            Detail::new().put("held_min", held),
        ));
    }

    fn evaluate_entry(
        &mut self,
        probability: f64,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        let direction = if probability >= self.config.long_above {
            Direction::Long
        } else if probability <= self.config.short_below && self.config.shorts {
            Direction::Short
        } else {
            return;
        };
        // Passive: join the own side's touch; aggressive: cross to the other side's.
        let touch = match (self.config.execution, direction) {
            (ExecutionStyle::Passive, Direction::Long)
            | (ExecutionStyle::Aggressive, Direction::Short) => context.best_bid,
            (ExecutionStyle::Passive, Direction::Short)
            | (ExecutionStyle::Aggressive, Direction::Long) => context.best_ask,
        };
        let Some(entry_price) = touch else {
            return;
        };
        let entry = match self.config.execution {
            ExecutionStyle::Passive => EntryOrder::Limit {
                price: entry_price,
                post_only: true,
                timeout_nanos: i64::from(self.config.entry_timeout_seconds) * NANOS_PER_SECOND,
                on_timeout: TimeoutAction::Cancel,
            },
            ExecutionStyle::Aggressive => EntryOrder::Market,
        };
        let tick = context.instrument.tick_size;
        let entry_value = entry_price.as_f64();
        let away = |bps: f64, loss: bool| {
            let distance = entry_value * bps / 10_000.0;
            let price = match (direction, loss) {
                (Direction::Long, true) | (Direction::Short, false) => entry_value - distance,
                (Direction::Long, false) | (Direction::Short, true) => entry_value + distance,
            };
            // On the tick grid, rounded away from the entry.
            let price = Price::from_f64_rounded(price)?;
            let floor = price.div_floor_steps(tick)?;
            let on_grid = Price::from_steps(floor, tick)? == price;
            let up = price > entry_price && !on_grid;
            Price::from_steps(if up { floor + 1 } else { floor }, tick)
        };
        let (Some(stop), Some(target)) = (
            away(self.config.stop_bps, true),
            away(self.config.target_bps, false),
        ) else {
            return;
        };
        let valid = match direction {
            Direction::Long => stop < entry_price && stop.as_f64() > 0.0 && target > entry_price,
            Direction::Short => stop > entry_price && target < entry_price,
        };
        if !valid {
            return;
        }
        actions.intents.push(TradeIntent {
            ts: context.now,
            setup: SetupKind::MeanReversion,
            direction,
            entry,
            entry_price,
            stop,
            take_profit_1: None,
            take_profit_2: target,
            size_factor: Rate::ONE,
        });
        actions.signals.push(row(
            context,
            SignalRecordKind::Signal,
            Some(direction),
            "flat",
            "signal",
            Detail::new()
                .put("p_up", format!("{probability:.4}"))
                .put("entry", entry_price)
                .put("stop", stop)
                .put("target", target)
                .put("hold_min", self.hold_minutes),
        ));
        self.counters.signals += 1;
        self.exit_requested = false;
    }
}

fn row(
    context: &StrategyContext<'_>,
    kind: SignalRecordKind,
    direction: Option<Direction>,
    from_state: &'static str,
    to_state: &'static str,
    detail: Detail,
) -> SignalRecord {
    SignalRecord {
        ts: context.now,
        kind,
        setup: Some(SetupKind::MeanReversion),
        direction,
        machine: MACHINE,
        from_state,
        to_state,
        detail: detail.finish(),
    }
}

impl Strategy for ModelScoreStrategy {
    fn name(&self) -> &'static str {
        "model_score"
    }

    fn wants_market_events(&self) -> bool {
        true
    }

    fn on_market_event(
        &mut self,
        event: &MarketEvent,
        _context: &StrategyContext<'_>,
        _actions: &mut Actions,
    ) {
        self.features.on_event(event);
    }

    fn on_bar(
        &mut self,
        snapshot: &FeatureSnapshot,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        self.counters.bars += 1;
        // Every close updates the features, scored or not (their state must not depend on
        // the position).
        let row = self.features.on_minute(snapshot);
        if !context.position.is_flat() {
            self.manage_position(context, actions);
            return;
        }
        if snapshot.ts.as_i64() <= self.window.from_ts {
            self.counters.in_sample += 1;
            return;
        }
        let probability = self.model.probability(row);
        self.counters.scored += 1;
        self.evaluate_entry(probability, context, actions);
    }

    fn on_position_closed(
        &mut self,
        _reason: ExitReason,
        _context: &StrategyContext<'_>,
        _actions: &mut Actions,
    ) {
        self.exit_requested = false;
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_features::{FeatureSnapshot, OrderFlowSignals, ProfileLevels};
    use auction_trader_model::FeatureRange;
    use auction_trader_model::tree::{Child, Split, Tree};
    use auction_trader_types::{
        Bar, ContractType, Instrument, InstrumentKey, MarketKind, Quantity, UnixNanos,
    };

    use super::*;
    use crate::api::PositionView;

    /// One split on `hour_of_day` at 11.5: morning closes score raw +1 (p = 0.7311),
    /// afternoon closes raw −1 (p = 0.2689).
    fn hour_model() -> Ensemble {
        Ensemble {
            feature_names: vec!["hour_of_day".into()],
            feature_ranges: vec![FeatureRange::None],
            sigmoid: 1.0,
            trees: vec![Tree {
                splits: vec![Split {
                    feature: 0,
                    threshold: 11.5,
                    default_left: false,
                    gain: 1.0,
                }],
                left: vec![Child::Leaf(0)],
                right: vec![Child::Leaf(1)],
                internal_value: vec![0.0],
                internal_weight: vec![1.0],
                internal_count: vec![2],
                leaf_value: vec![1.0, -1.0],
                leaf_weight: vec![0.5, 0.5],
                leaf_count: vec![1, 1],
                shrinkage: 1.0,
            }],
            parameters: Vec::new(),
        }
    }

    fn instrument() -> Instrument {
        Instrument {
            key: InstrumentKey::new("test", "BTCJPY", MarketKind::Spot),
            tick_size: Price::from_decimal_str("1").unwrap(),
            lot_size: Quantity::from_decimal_str("0.001").unwrap(),
            min_size: Quantity::from_decimal_str("0.001").unwrap(),
            contract_multiplier: Quantity::ONE,
            maker_fee: Rate::ZERO,
            taker_fee: Rate::ZERO,
            contract_type: ContractType::Linear,
        }
    }

    fn snapshot(minute: i64, close: i64) -> FeatureSnapshot {
        let price = Price::from_units(close).unwrap();
        let ts = UnixNanos(minute * NANOS_PER_MINUTE);
        FeatureSnapshot {
            ts,
            bar: Bar {
                ts_open: UnixNanos((minute - 1) * NANOS_PER_MINUTE),
                ts_event: ts,
                ts_recv: ts,
                open: price,
                high: price,
                low: price,
                close: price,
                volume: Quantity::ONE,
                vwap: price,
                buy_volume: Quantity::ZERO,
                sell_volume: Quantity::ZERO,
                trade_count: 1,
            },
            bars_seen: minute as u64,
            warmed_up: true,
            log_return: 0.0,
            sigma_240: None,
            bid_price: None,
            bid_size: None,
            ask_price: None,
            ask_size: None,
            quote_ts_recv: None,
            spread: None,
            typical_spread: None,
            of_1m: Quantity::ZERO,
            of_norm: None,
            of_abs_median: None,
            qimb_close: None,
            qimb_mean_1m: None,
            signals: OrderFlowSignals::default(),
            ambiguous_trade_frac_1m: 0.0,
            quote_rule_ambiguous_frac_1m: 0.0,
            unclassified_volume: Quantity::ZERO,
            aggregated_trades: 1,
            stale_quote_trades: 0,
            labelled_trades: 0,
            inference_correct: 0,
            profile: ProfileLevels::default(),
            prior_profile: ProfileLevels::default(),
        }
    }

    fn bar(strategy: &mut ModelScoreStrategy, minute: i64, position: PositionView) -> Actions {
        let snapshot = snapshot(minute, 1_000_000);
        let instrument = instrument();
        let context = StrategyContext {
            now: snapshot.ts,
            instrument: &instrument,
            position,
            best_bid: Some(Price::from_units(999_999).unwrap()),
            best_ask: Some(Price::from_units(1_000_001).unwrap()),
            entries_blocked: false,
        };
        let mut actions = Actions::new(0);
        strategy.on_bar(&snapshot, &context, &mut actions);
        actions
    }

    const HOUR: i64 = 60;

    #[test]
    fn thresholds_in_sample_guard_stop_and_hold() {
        // Scoring from 09:00 (minute 540); horizon 15 minutes; stop 50 bps.
        let window = ScoringWindow {
            from_ts: 9 * HOUR * NANOS_PER_MINUTE,
            horizon_minutes: 15,
        };
        let config = ModelScoreConfig {
            execution: ExecutionStyle::Aggressive,
            ..ModelScoreConfig::default()
        };
        let mut strategy = ModelScoreStrategy::new(config, hour_model(), window).unwrap();
        let flat = PositionView::default();
        // 08:30: p = 0.73 but the model was trained on this time's future: no signal.
        assert!(bar(&mut strategy, 8 * HOUR + 30, flat).intents.is_empty());
        assert_eq!(strategy.counters().in_sample, 1);
        // 10:00: p = 0.7311 >= 0.55 → long at the ask 1,000,001; stop 50 bps below:
        // 1,000,001 − 5,000.005 = 995,000.995 → 995,000 on the 1-yen grid; target 100 bps
        // above: 1,000,001 + 10,000.01 = 1,010,001.01 → 1,010,002.
        let actions = bar(&mut strategy, 10 * HOUR, flat);
        let intent = actions.intents[0];
        assert_eq!(intent.direction, Direction::Long);
        assert_eq!(intent.entry, EntryOrder::Market);
        assert_eq!(intent.entry_price, Price::from_units(1_000_001).unwrap());
        assert_eq!(intent.stop, Price::from_units(995_000).unwrap());
        assert_eq!(intent.take_profit_2, Price::from_units(1_010_002).unwrap());
        assert!(actions.signals[0].detail.contains("p_up=0.7311"));
        // In position since 10:01: no exit at 10:15 (14 minutes), exit at 10:16 (15).
        let held = PositionView {
            quantity: Quantity::from_decimal_str("0.01").unwrap(),
            entry_price: Some(intent.entry_price),
            entry_ts: Some(UnixNanos((10 * HOUR + 1) * NANOS_PER_MINUTE)),
            setup: Some(SetupKind::MeanReversion),
            entry_pending: false,
        };
        assert!(bar(&mut strategy, 10 * HOUR + 15, held).exits.is_empty());
        assert_eq!(bar(&mut strategy, 10 * HOUR + 16, held).exits.len(), 1);
        assert!(bar(&mut strategy, 10 * HOUR + 17, held).exits.is_empty());
        // 14:00: p = 0.2689 <= 0.45 → short at the bid, stop above: 999,999 + 4,999.995 =
        // 1,004,998.995 → 1,004,999; target 999,999 − 9,999.99 = 989,999.01 → 989,999.
        let actions = bar(&mut strategy, 14 * HOUR, flat);
        assert_eq!(actions.intents[0].direction, Direction::Short);
        assert_eq!(
            actions.intents[0].stop,
            Price::from_units(1_004_999).unwrap()
        );
        assert_eq!(
            actions.intents[0].take_profit_2,
            Price::from_units(989_999).unwrap()
        );
        let counters = strategy.counters();
        assert_eq!(
            (counters.scored, counters.signals, counters.exits_hold),
            (2, 2, 1)
        );
    }

    #[test]
    fn passive_entries_join_the_own_touch() {
        // Default config: passive. 10:00 long → post-only limit at the bid 999,999 for 60 s.
        let window = ScoringWindow {
            from_ts: 0,
            horizon_minutes: 15,
        };
        let mut strategy =
            ModelScoreStrategy::new(ModelScoreConfig::default(), hour_model(), window).unwrap();
        let intent = bar(&mut strategy, 10 * HOUR, PositionView::default()).intents[0];
        assert_eq!(intent.entry_price, Price::from_units(999_999).unwrap());
        assert_eq!(
            intent.entry,
            EntryOrder::Limit {
                price: Price::from_units(999_999).unwrap(),
                post_only: true,
                timeout_nanos: 60 * NANOS_PER_SECOND,
                on_timeout: TimeoutAction::Cancel,
            }
        );
    }

    #[test]
    fn probabilities_between_the_thresholds_do_nothing() {
        let window = ScoringWindow {
            from_ts: 0,
            horizon_minutes: 15,
        };
        let config = ModelScoreConfig {
            long_above: 0.75,
            short_below: 0.25,
            ..ModelScoreConfig::default()
        };
        let mut strategy = ModelScoreStrategy::new(config, hour_model(), window).unwrap();
        for minute in [10 * HOUR, 14 * HOUR] {
            assert!(
                bar(&mut strategy, minute, PositionView::default())
                    .intents
                    .is_empty()
            );
        }
        assert_eq!(strategy.counters().scored, 2);
    }
}
