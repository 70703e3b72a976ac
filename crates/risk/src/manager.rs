//! [`RiskManager`]: the risk rules of one instrument, as the engine uses them (SPEC 4).
//! Pure and deterministic: time comes in as arguments.

use auction_trader_types::{Direction, TradeIntent};
use auction_trader_types::{Instrument, Money, Price, Quantity, Rate, UnixNanos};
use serde::Serialize;
use thiserror::Error;

use crate::{
    CircuitBreaker, Cooldown, DailyLossGuard, MaxHoldTimer, RiskConfig, RiskError, SignalDecision,
    Sizing, SizingRejection, available_margin, decide_on_signal, position_value,
    profitable_net_of_fees, scale_quantity, size_position, split_targets, stop_after_take_profit_1,
};

/// An accepted entry: the size and its split between the two targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EntryPlan {
    pub quantity: Quantity,
    /// Zero when the intent has no TP1 or the position is too small for one.
    pub take_profit_1_quantity: Quantity,
    pub take_profit_2_quantity: Quantity,
    pub sizing: Sizing,
}

/// Why an entry was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EntryRejection {
    /// SPEC 4: cooldown after a full exit.
    #[error("cooldown until {until}")]
    Cooldown { until: UnixNanos },
    /// SPEC 4: daily kill switch, until the next 00:00 UTC.
    #[error("daily loss limit reached: no entries until {until}")]
    KillSwitch { until: UnixNanos },
    /// The stop is on the wrong side of the entry for the direction.
    #[error("stop {stop} is on the wrong side of entry {entry} for a {direction:?}")]
    StopOnWrongSide {
        direction: Direction,
        entry: Price,
        stop: Price,
    },
    #[error("sizing: {0}")]
    Sizing(SizingRejection),
}

/// The risk rules of one instrument: one per symbol, so the cooldown is per symbol. The daily
/// kill switch is an account rule: with several symbols the engine feeds every manager the
/// account's P&L (or shares one [`DailyLossGuard`]).
#[derive(Debug, Clone)]
pub struct RiskManager {
    config: RiskConfig,
    instrument: Instrument,
    cooldown: Cooldown,
    daily_loss: DailyLossGuard,
    circuit_breaker: Option<CircuitBreaker>,
}

impl RiskManager {
    /// Validates the config and that the instrument has a positive lot and multiplier.
    pub fn new(config: RiskConfig, instrument: Instrument) -> Result<Self, RiskError> {
        config.validate()?;
        let invalid = |field, reason| Err(RiskError::InvalidInstrument { field, reason });
        if !instrument.lot_size.is_positive() {
            return invalid("lot_size", "must be positive");
        }
        if !instrument.contract_multiplier.is_positive() {
            return invalid("contract_multiplier", "must be positive");
        }
        if instrument.min_size.is_negative() {
            return invalid("min_size", "must not be negative");
        }
        let circuit_breaker = config
            .circuit_breaker
            .as_ref()
            .map(|breaker| CircuitBreaker::new(breaker, &instrument.key.symbol))
            .transpose()?;
        Ok(Self {
            circuit_breaker,
            cooldown: Cooldown::new(config.cooldown_nanos()),
            daily_loss: DailyLossGuard::new(config.daily_loss_limit),
            config,
            instrument,
        })
    }

    pub fn config(&self) -> &RiskConfig {
        &self.config
    }

    pub fn instrument(&self) -> &Instrument {
        &self.instrument
    }

    /// Checks the kill switch and the cooldown, then sizes the intent (SPEC 4).
    /// `used_margin` is the initial margin of open positions
    /// ([`initial_margin`](crate::initial_margin)).
    pub fn evaluate_entry(
        &mut self,
        intent: &TradeIntent,
        equity: Money,
        used_margin: Money,
        now: UnixNanos,
    ) -> Result<EntryPlan, EntryRejection> {
        // SPEC 4 breach (a) counts the signals that reach risk, blocked or not.
        if let Some(breaker) = &mut self.circuit_breaker {
            breaker.on_signal(now);
        }
        if let Some(block) = self.entry_block(now) {
            return Err(block);
        }
        self.plan(intent, equity, used_margin, now)
    }

    /// The new trade of a flip (SPEC 4: a flip bypasses the cooldown; the kill switch still
    /// applies). Call it after the opposite position is closed.
    pub fn evaluate_flip_entry(
        &self,
        intent: &TradeIntent,
        equity: Money,
        used_margin: Money,
        now: UnixNanos,
    ) -> Result<EntryPlan, EntryRejection> {
        if let Some(until) = self.kill_switch_until(now) {
            return Err(EntryRejection::KillSwitch { until });
        }
        self.plan(intent, equity, used_margin, now)
    }

    fn plan(
        &self,
        intent: &TradeIntent,
        equity: Money,
        used_margin: Money,
        now: UnixNanos,
    ) -> Result<EntryPlan, EntryRejection> {
        let signed_distance = intent.entry_price.raw().saturating_sub(intent.stop.raw());
        let wrong_side = match intent.direction {
            Direction::Long => signed_distance < 0,
            Direction::Short => signed_distance > 0,
        };
        if wrong_side {
            return Err(EntryRejection::StopOnWrongSide {
                direction: intent.direction,
                entry: intent.entry_price,
                stop: intent.stop,
            });
        }
        let available = available_margin(equity, used_margin);
        let mut sizing = size_position(
            available,
            intent.entry_price,
            intent.stop,
            &self.instrument,
            &self.config,
        )
        .map_err(EntryRejection::Sizing)?;
        // SPEC 4 circuit breaker: half size until the end of the session once tripped; SPEC 3.2
        // drain volatility / session sizing: the intent's own factor. Both multiply.
        let breaker_factor = self
            .circuit_breaker
            .as_ref()
            .filter(|b| b.is_tripped(now))
            .map(|breaker| breaker.size_factor(now));
        let intent_factor = (intent.size_factor.raw() > 0 && intent.size_factor < Rate::ONE)
            .then_some(intent.size_factor);
        if breaker_factor.is_some() || intent_factor.is_some() {
            for factor in [breaker_factor, intent_factor].into_iter().flatten() {
                sizing.quantity = scale_quantity(sizing.quantity, factor, self.instrument.lot_size);
            }
            if sizing.quantity < self.instrument.min_size || sizing.quantity.is_zero() {
                return Err(EntryRejection::Sizing(SizingRejection::BelowMinimumSize {
                    quantity: sizing.quantity,
                    minimum: self.instrument.min_size,
                }));
            }
            let valuation = self.instrument.valuation();
            sizing.risk_amount = Money::from_raw_i128(
                valuation
                    .pnl_raw(intent.entry_price, intent.stop, sizing.quantity)
                    .abs(),
            );
            sizing.notional = position_value(intent.entry_price, sizing.quantity, valuation);
        }
        // SPEC 4: TP1 30% / TP2 70% only for intents with two targets.
        let split = if intent.take_profit_1.is_some() {
            split_targets(
                sizing.quantity,
                self.instrument.lot_size,
                self.config.tp1_fraction,
            )
        } else {
            split_targets(sizing.quantity, self.instrument.lot_size, Rate::ZERO)
        };
        Ok(EntryPlan {
            quantity: sizing.quantity,
            take_profit_1_quantity: split.take_profit_1,
            take_profit_2_quantity: split.take_profit_2,
            sizing,
        })
    }

    fn kill_switch_until(&self, now: UnixNanos) -> Option<UnixNanos> {
        if self.daily_loss.entries_allowed(now) {
            None
        } else {
            self.daily_loss.halted_until()
        }
    }

    /// What blocks a normal entry at `now`, if anything (the kill switch first).
    pub fn entry_block(&self, now: UnixNanos) -> Option<EntryRejection> {
        if let Some(until) = self.kill_switch_until(now) {
            return Some(EntryRejection::KillSwitch { until });
        }
        self.cooldown
            .blocked_until(now)
            .map(|until| EntryRejection::Cooldown { until })
    }

    /// Entries blocked by the cooldown or the kill switch (`StrategyContext::entries_blocked`).
    pub fn entries_blocked(&self, now: UnixNanos) -> bool {
        self.entry_block(now).is_some()
    }

    /// The position went fully flat (not TP1). Do not call it for the close of a flip whose
    /// new entry follows; if that entry is then refused, call it so the cooldown runs.
    pub fn on_full_exit(&mut self, ts: UnixNanos) {
        self.cooldown.on_full_exit(ts);
        if let Some(breaker) = &mut self.circuit_breaker {
            breaker.on_full_exit(ts);
        }
    }

    /// Realized trading P&L (signed) for the daily kill switch.
    pub fn on_realized(&mut self, ts: UnixNanos, pnl: Money) {
        self.daily_loss.record(ts, pnl);
        self.on_trade_pnl(pnl);
    }

    /// A fee paid (negative = rebate); counts as a cost.
    pub fn on_fee(&mut self, ts: UnixNanos, fee: Money) {
        let cost = Money::from_raw(fee.raw().saturating_neg());
        self.daily_loss.record(ts, cost);
        self.on_trade_pnl(cost);
    }

    /// Funding paid (negative = received), as `FundingPayment::amount`; counts as a cost.
    pub fn on_funding(&mut self, ts: UnixNanos, amount: Money) {
        let cost = Money::from_raw(amount.raw().saturating_neg());
        self.daily_loss.record(ts, cost);
        self.on_trade_pnl(cost);
    }

    fn on_trade_pnl(&mut self, pnl: Money) {
        if let Some(breaker) = &mut self.circuit_breaker {
            breaker.on_trade_pnl(pnl);
        }
    }

    /// The engine clock with account equity: rolls the UTC day and captures its starting
    /// equity at the first call of the day (and feeds the circuit breaker's day drawdown).
    pub fn on_clock(&mut self, ts: UnixNanos, equity: Money) {
        self.daily_loss.on_clock(ts, equity);
        if let Some(breaker) = &mut self.circuit_breaker {
            breaker.on_equity(ts, equity);
        }
    }

    /// The drain circuit breaker, when configured.
    pub fn circuit_breaker(&self) -> Option<&CircuitBreaker> {
        self.circuit_breaker.as_ref()
    }

    /// SPEC 4: enter, flip or ignore, by config.
    pub fn decide_on_signal(
        &self,
        position: Option<Direction>,
        intent: Direction,
    ) -> SignalDecision {
        decide_on_signal(position, intent, self.config.flip_on_opposite_signal)
    }

    /// A max-hold clock for a new position.
    pub fn max_hold_timer(&self) -> MaxHoldTimer {
        MaxHoldTimer::new(&self.config)
    }

    /// The stop after TP1 (breakeven when enabled).
    pub fn stop_after_take_profit_1(
        &self,
        direction: Direction,
        entry: Price,
        stop: Price,
    ) -> Price {
        stop_after_take_profit_1(direction, entry, stop, self.config.breakeven_after_tp1)
    }

    /// [`profitable_net_of_fees`] with this instrument's taker fee and multiplier.
    pub fn profitable_net_of_fees(
        &self,
        position: Quantity,
        entry_price: Price,
        exit_price: Price,
        entry_fee_paid: Money,
        accrued_funding: Money,
    ) -> (bool, Money) {
        profitable_net_of_fees(
            position,
            entry_price,
            exit_price,
            entry_fee_paid,
            self.instrument.taker_fee,
            accrued_funding,
            self.instrument.valuation(),
        )
    }

    pub fn cooldown_until(&self, now: UnixNanos) -> Option<UnixNanos> {
        self.cooldown.blocked_until(now)
    }

    pub fn halted_until(&self) -> Option<UnixNanos> {
        self.daily_loss.halted_until()
    }

    pub fn daily_loss(&self) -> &DailyLossGuard {
        &self.daily_loss
    }
}

#[cfg(test)]
mod circuit_breaker_tests {
    use auction_trader_types::{EntryOrder, SetupKind};
    use auction_trader_types::{InstrumentKey, MarketKind};

    use super::*;
    use crate::CircuitBreakerConfig;

    const HOUR: i64 = 3_600_000_000_000;
    /// 2024-08-08 09:00 UTC (Europe session).
    const NINE: i64 = 1_723_107_600_000_000_000;

    fn units(value: i64) -> Money {
        Money::from_raw(i128::from(value) * 1_000_000_000)
    }

    #[test]
    fn a_tripped_breaker_halves_the_size_until_the_session_ends() {
        let instrument = Instrument {
            key: InstrumentKey::new("binance-usdm", "BTCUSDT", MarketKind::Perpetual),
            tick_size: Price::from_raw(100_000_000),
            lot_size: Quantity::from_raw(1_000_000),
            min_size: Quantity::from_raw(1_000_000),
            contract_multiplier: Quantity::ONE,
            contract_type: auction_trader_types::ContractType::Linear,
            maker_fee: Rate::from_raw(200_000),
            taker_fee: Rate::from_raw(500_000),
        };
        let config = RiskConfig {
            cooldown_minutes: 0,
            circuit_breaker: Some(CircuitBreakerConfig::default()),
            ..RiskConfig::default()
        };
        let mut risk = RiskManager::new(config, instrument).unwrap();
        // Long 60,000 stop 59,928 (12 bps): 2% of 10,000 = 200 / 72 = 2.777 BTC, capped at
        // 10× = 100,000 notional -> 1.666 BTC.
        let intent = TradeIntent {
            ts: UnixNanos(NINE),
            setup: SetupKind::Drain,
            direction: Direction::Long,
            entry: EntryOrder::Market,
            entry_price: Price::from_raw(60_000_000_000_000),
            stop: Price::from_raw(59_928_000_000_000),
            take_profit_1: None,
            take_profit_2: Price::from_raw(60_048_000_000_000),
            size_factor: Rate::ONE,
        };
        let full = risk
            .evaluate_entry(&intent, units(10_000), Money::ZERO, UnixNanos(NINE))
            .unwrap();
        assert_eq!(full.quantity, Quantity::from_raw(1_666_000_000));
        // Drawdown 3.5% of the day's 10,000 and 70 more signals in the Europe session
        // (baseline 35: 71 > 70) -> two breaches -> tripped.
        risk.on_clock(UnixNanos(NINE - 9 * HOUR), units(10_000));
        risk.on_clock(UnixNanos(NINE + 60_000_000_000), units(9_650));
        for minute in 0..70 {
            let now = UnixNanos(NINE + (minute + 2) * 60_000_000_000);
            let _ = risk.evaluate_entry(&intent, units(9_650), Money::ZERO, now);
        }
        let now = UnixNanos(NINE + 2 * HOUR);
        assert!(risk.circuit_breaker().unwrap().is_tripped(now));
        let half = risk
            .evaluate_entry(&intent, units(10_000), Money::ZERO, now)
            .unwrap();
        assert_eq!(half.quantity, Quantity::from_raw(833_000_000));
        assert_eq!(half.take_profit_2_quantity, half.quantity);
        // 60,000 × 0.833 = 49,980 notional; risk 72 × 0.833 = 59.976.
        assert_eq!(half.sizing.notional, units(49_980));
        assert_eq!(half.sizing.risk_amount, Money::from_raw(59_976_000_000));
        // The US session starts at 16:00: full size again.
        let later = risk
            .evaluate_entry(
                &intent,
                units(10_000),
                Money::ZERO,
                UnixNanos(NINE + 7 * HOUR),
            )
            .unwrap();
        assert_eq!(later.quantity, full.quantity);
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::NANOS_PER_MINUTE;
    use auction_trader_types::{EntryOrder, SetupKind};

    use super::*;
    use crate::test_support::{at, btc_perp, money, price, quantity};

    fn intent(direction: Direction, entry: &str, stop: &str, two_targets: bool) -> TradeIntent {
        TradeIntent {
            ts: at(0),
            setup: SetupKind::BreakIn,
            direction,
            entry: EntryOrder::Market,
            entry_price: price(entry),
            stop: price(stop),
            take_profit_1: two_targets.then(|| price(entry)),
            take_profit_2: price(entry),
            size_factor: Rate::ONE,
        }
    }

    fn manager() -> RiskManager {
        RiskManager::new(RiskConfig::default(), btc_perp()).unwrap()
    }

    #[test]
    fn spec_11_2_through_the_manager_with_the_tp_split() {
        // Equity 13,000, 3,000 margin in use → 10,000 available → 1.666 BTC (SPEC 11.2).
        // 1,666 lots × 0.3 = 499.8 → 500 lots: TP1 0.5, TP2 1.166. Short mirror: same.
        let mut risk = manager();
        let long = intent(Direction::Long, "60000", "59940", true);
        let short = intent(Direction::Short, "60000", "60060", true);
        for trade in [long, short] {
            let plan = risk
                .evaluate_entry(&trade, money("13000"), money("3000"), at(60))
                .unwrap();
            assert_eq!(plan.quantity, quantity("1.666"));
            assert_eq!(plan.take_profit_1_quantity, quantity("0.5"));
            assert_eq!(plan.take_profit_2_quantity, quantity("1.166"));
            assert!(plan.sizing.leverage_capped);
        }
        // A single-target intent puts everything at TP2.
        let single = intent(Direction::Long, "60000", "59940", false);
        let plan = risk
            .evaluate_entry(&single, money("10000"), Money::ZERO, at(60))
            .unwrap();
        assert_eq!(plan.take_profit_1_quantity, Quantity::ZERO);
        assert_eq!(plan.take_profit_2_quantity, quantity("1.666"));
    }

    #[test]
    fn intent_size_factor_scales_the_capped_size_down_to_lots() {
        // SPEC 11.2 size 1.666 BTC (1,666 lots of 0.001); factor 0.5 → 833 lots = 0.833 BTC;
        // factor 0.25 → 416.5 → 416 lots (rounded down) = 0.416 BTC.
        let mut risk = manager();
        let mut single = intent(Direction::Long, "60000", "59940", false);
        for (factor, expected) in [("0.5", "0.833"), ("0.25", "0.416"), ("1", "1.666")] {
            single.size_factor = Rate::from_decimal_str(factor).unwrap();
            let plan = risk
                .evaluate_entry(&single, money("10000"), Money::ZERO, at(60))
                .unwrap();
            assert_eq!(plan.quantity, quantity(expected), "factor {factor}");
            assert_eq!(plan.take_profit_2_quantity, quantity(expected));
        }
    }

    #[test]
    fn refuses_a_stop_on_the_wrong_side_and_unsizable_trades() {
        let mut risk = manager();
        let wrong = intent(Direction::Short, "60000", "59940", true);
        assert!(matches!(
            risk.evaluate_entry(&wrong, money("10000"), Money::ZERO, at(0)),
            Err(EntryRejection::StopOnWrongSide { .. })
        ));
        let flat = intent(Direction::Long, "60000", "60000", true);
        assert_eq!(
            risk.evaluate_entry(&flat, money("10000"), Money::ZERO, at(0)),
            Err(EntryRejection::Sizing(SizingRejection::ZeroStopDistance))
        );
        // All equity already used as margin.
        assert!(matches!(
            risk.evaluate_entry(&flat, money("10000"), money("10000"), at(0)),
            Err(EntryRejection::Sizing(_))
        ));
    }

    #[test]
    fn cooldown_blocks_both_directions_for_three_minutes_and_a_flip_bypasses_it() {
        // Full exit at 00:10:00 → blocked until 00:13:00 (exclusive): 00:12:59 refused,
        // 00:13:00 allowed.
        let mut risk = manager();
        risk.on_full_exit(at(600));
        let until = at(600 + 3 * 60);
        for direction in [Direction::Long, Direction::Short] {
            let stop = if direction == Direction::Long {
                "59940"
            } else {
                "60060"
            };
            let trade = intent(direction, "60000", stop, true);
            assert_eq!(
                risk.evaluate_entry(&trade, money("10000"), Money::ZERO, at(779)),
                Err(EntryRejection::Cooldown { until })
            );
            assert!(
                risk.evaluate_entry(&trade, money("10000"), Money::ZERO, at(780))
                    .is_ok()
            );
            assert!(
                risk.evaluate_flip_entry(&trade, money("10000"), Money::ZERO, at(601))
                    .is_ok()
            );
        }
        assert!(risk.entries_blocked(at(779)));
        assert!(!risk.entries_blocked(at(780)));
        assert_eq!(risk.cooldown_until(at(700)), Some(until));
        assert_eq!(risk.config().cooldown_nanos(), 3 * NANOS_PER_MINUTE);
    }

    #[test]
    fn kill_switch_halts_every_entry_until_the_next_utc_midnight() {
        // Start equity 10,000 (limit −300). Realized −250, fee 40, funding 11 paid → −301
        // (−3.01%) → halted until 2024-08-02 00:00, flips included.
        let mut risk = manager();
        risk.on_clock(at(60), money("10000"));
        risk.on_realized(at(3_600), money("-250"));
        risk.on_fee(at(3_600), money("40"));
        assert!(!risk.entries_blocked(at(3_600)));
        risk.on_funding(at(28_800), money("11"));
        let until = at(86_400);
        let trade = intent(Direction::Long, "60000", "59940", true);
        assert_eq!(
            risk.evaluate_entry(&trade, money("9699"), Money::ZERO, at(28_800)),
            Err(EntryRejection::KillSwitch { until })
        );
        assert_eq!(
            risk.evaluate_flip_entry(&trade, money("9699"), Money::ZERO, at(86_399)),
            Err(EntryRejection::KillSwitch { until })
        );
        // The kill switch is reported before a running cooldown.
        risk.on_full_exit(at(86_300));
        assert_eq!(
            risk.entry_block(at(86_350)),
            Some(EntryRejection::KillSwitch { until })
        );
        assert_eq!(risk.halted_until(), Some(until));
        // At 00:00 UTC the halt ends (the cooldown from 23:58:20 runs to 00:01:20).
        risk.on_clock(at(86_400), money("9699"));
        assert_eq!(
            risk.entry_block(at(86_400)),
            Some(EntryRejection::Cooldown { until: at(86_480) })
        );
        assert!(
            risk.evaluate_entry(&trade, money("9699"), Money::ZERO, at(86_480))
                .is_ok()
        );
        // A rebate (a negative fee) counts as income: the new day is at +1.
        risk.on_fee(at(90_000), money("-1"));
        assert_eq!(risk.daily_loss().day_pnl(), money("1"));
    }

    #[test]
    fn signal_decisions_breakeven_and_max_hold_use_the_config() {
        let risk = manager();
        assert_eq!(
            risk.decide_on_signal(Some(Direction::Long), Direction::Short),
            SignalDecision::Flip
        );
        let no_flip = RiskConfig {
            flip_on_opposite_signal: false,
            ..RiskConfig::default()
        };
        let strict = RiskManager::new(no_flip, btc_perp()).unwrap();
        assert_eq!(
            strict.decide_on_signal(Some(Direction::Long), Direction::Short),
            SignalDecision::Ignore
        );
        assert_eq!(
            risk.stop_after_take_profit_1(Direction::Long, price("60000"), price("59940")),
            price("60000")
        );
        // SPEC 11.7 with the instrument's 5 bps taker fee.
        let verdict = risk.profitable_net_of_fees(
            Quantity::ONE,
            price("60000"),
            price("60020"),
            money("12"),
            Money::ZERO,
        );
        assert_eq!(verdict, (false, money("-22.01")));
        let timer = risk.max_hold_timer();
        assert_eq!(timer.deadline(), None);
    }

    #[test]
    fn construction_validates_config_and_instrument() {
        let bad = RiskConfig {
            max_hold_minutes: 0,
            ..RiskConfig::default()
        };
        assert!(matches!(
            RiskManager::new(bad, btc_perp()),
            Err(RiskError::InvalidConfig {
                field: "max_hold_minutes",
                ..
            })
        ));
        let mut instrument = btc_perp();
        instrument.lot_size = Quantity::ZERO;
        assert!(matches!(
            RiskManager::new(RiskConfig::default(), instrument),
            Err(RiskError::InvalidInstrument {
                field: "lot_size",
                ..
            })
        ));
    }
}
