//! The strategy's flow on hand-built bars (SPEC 3.3): warm-up, the filters blocking with a
//! logged near-miss, the entry with its stop at twice the expected reversion, the exit back
//! at the mean and the holding cap. The series is a seeded AR(1) around 1000 (φ = 0.9, a
//! half-life of ln 2 / −ln 0.9 ≈ 6.6 minutes), so the test config lowers the half-life floor
//! to 1 minute and opens the regime filters; each rule's own numbers are hand-worked in
//! `signal.rs`.

use auction_trader_features::{FeatureSnapshot, OrderFlowSignals, ProfileLevels};
use auction_trader_types::{
    Bar, Instrument, InstrumentKey, MarketKind, NANOS_PER_MINUTE, Price, Quantity, Rate,
    SplitMix64, UnixNanos,
};

use super::config::{ExecutionStyle, MeanReversionConfig};
use super::strategy::MeanReversionStrategy;
use crate::api::{
    Actions, Direction, EntryOrder, ExitReason, PositionView, SignalRecordKind, Strategy,
    StrategyContext, TradeIntent,
};

fn config() -> MeanReversionConfig {
    MeanReversionConfig {
        half_life_window: 60,
        adf_window: 60,
        min_half_life_minutes: 1.0,
        max_adx: 100.0,
        max_volatility_percentile: 1.0,
        volatility_history_minutes: 60,
        ..MeanReversionConfig::default()
    }
}

struct Harness {
    strategy: MeanReversionStrategy,
    instrument: Instrument,
    minute: i64,
    position: PositionView,
    noise: SplitMix64,
    level: f64,
}

impl Harness {
    fn new(config: MeanReversionConfig) -> Self {
        let instrument = Instrument {
            key: InstrumentKey::new("test", "BTCUSDT", MarketKind::Perpetual),
            tick_size: Price::from_decimal_str("0.1").unwrap(),
            lot_size: Quantity::from_decimal_str("0.001").unwrap(),
            min_size: Quantity::from_decimal_str("0.001").unwrap(),
            contract_multiplier: Quantity::ONE,
            maker_fee: Rate::ZERO,
            taker_fee: Rate::ZERO,
            contract_type: auction_trader_types::ContractType::Linear,
        };
        Self {
            strategy: MeanReversionStrategy::new(config).unwrap(),
            instrument,
            minute: 0,
            position: PositionView::default(),
            noise: SplitMix64::new(12_345),
            level: 1000.0,
        }
    }

    /// The next AR(1) close: 1000 + 0.9·(x − 1000) + 4·u, u uniform in [−0.5, 0.5) from
    /// SplitMix64 (a plain LCG's consecutive outputs are too correlated for an AR(1) test).
    fn next_close(&mut self) -> f64 {
        let uniform = self.noise.unit() - 0.5;
        self.level = 1000.0 + 0.9 * (self.level - 1000.0) + 4.0 * uniform;
        (self.level * 10.0).round() / 10.0
    }

    fn snapshot(&self, close: f64) -> FeatureSnapshot {
        let price = Price::from_f64_rounded(close).unwrap();
        let ts = UnixNanos((self.minute + 1) * NANOS_PER_MINUTE);
        FeatureSnapshot {
            ts,
            bar: Bar {
                ts_open: UnixNanos(self.minute * NANOS_PER_MINUTE),
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
            bars_seen: self.minute as u64 + 1,
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

    /// Closes one bar at `close`; quotes at close ∓ 0.1.
    fn bar(&mut self, close: f64) -> Actions {
        let snapshot = self.snapshot(close);
        let tick = self.instrument.tick_size;
        let context = StrategyContext {
            now: snapshot.ts,
            instrument: &self.instrument,
            position: self.position,
            best_bid: Some(snapshot.bar.close.saturating_sub(tick)),
            best_ask: Some(snapshot.bar.close.saturating_add(tick)),
            entries_blocked: false,
        };
        let mut actions = Actions::new(0);
        self.strategy.on_bar(&snapshot, &context, &mut actions);
        self.minute += 1;
        actions
    }

    /// AR(1) bars until one produces a row of `kind` (at most 2,000 bars).
    fn until(&mut self, kind: SignalRecordKind) -> Actions {
        for _ in 0..2_000 {
            let close = self.next_close();
            let actions = self.bar(close);
            if actions.signals.iter().any(|row| row.kind == kind) {
                return actions;
            }
        }
        panic!("no {kind:?} in 2,000 bars: {:?}", self.strategy.counters());
    }

    fn fill(&mut self, direction: Direction, price: Price) {
        self.position = PositionView {
            quantity: match direction {
                Direction::Long => Quantity::ONE,
                Direction::Short => Quantity::ZERO.saturating_sub(Quantity::ONE),
            },
            entry_price: Some(price),
            entry_ts: Some(UnixNanos(self.minute * NANOS_PER_MINUTE)),
            setup: None,
            entry_pending: false,
        };
    }
}

/// `key=value` from a signal detail.
fn field(detail: &str, key: &str) -> f64 {
    detail
        .split(' ')
        .find_map(|pair| pair.strip_prefix(&format!("{key}=")))
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("{key} in {detail}"))
}

#[test]
fn no_signal_before_the_half_life_and_adf_windows_fill() {
    let mut harness = Harness::new(config());
    for _ in 0..59 {
        let close = harness.next_close();
        let actions = harness.bar(close);
        assert!(actions.intents.is_empty() && actions.signals.is_empty());
    }
    // Even a 3 % crash is not traded before 60 pairs (61 closes) exist.
    let actions = harness.bar(970.0);
    assert!(actions.intents.is_empty() && actions.signals.is_empty());
}

/// The first signal of the AR(1) tape: its intent and its detail's z, fair value, close.
fn first_signal(harness: &mut Harness) -> (TradeIntent, String) {
    let actions = harness.until(SignalRecordKind::Signal);
    assert_eq!(actions.intents.len(), 1);
    let row = actions
        .signals
        .iter()
        .find(|row| row.kind == SignalRecordKind::Signal)
        .unwrap();
    (actions.intents[0], row.detail.clone())
}

#[test]
fn entry_beyond_one_and_a_half_with_the_stop_at_twice_the_reversion() {
    let mut harness = Harness::new(config());
    let (intent, detail) = first_signal(&mut harness);
    let (z, fair) = (field(&detail, "z"), field(&detail, "fair"));
    assert!(z.abs() >= 1.5, "{detail}");
    // Below the mean → long, above → short; passive at the touch (close ∓ 0.1).
    let close = harness.strategy.last_close().unwrap();
    let (direction, touch) = if z < 0.0 {
        (Direction::Long, close - 0.1)
    } else {
        (Direction::Short, close + 0.1)
    };
    assert_eq!(intent.direction, direction);
    assert!(
        (intent.entry_price.as_f64() - touch).abs() < 1e-9,
        "{intent:?}"
    );
    assert!(matches!(
        intent.entry,
        EntryOrder::Limit { price, post_only: true, timeout_nanos: 60_000_000_000, .. }
            if price == intent.entry_price
    ));
    // Stop = entry ∓ 2·|fair − entry| on the 0.1 grid away from the entry; target = the fair
    // value on the grid toward the entry; no TP1.
    let entry = intent.entry_price.as_f64();
    let reversion = (fair - entry).abs();
    let sign = direction.sign() as f64;
    let raw_stop = entry - sign * 2.0 * reversion;
    assert!(
        (intent.stop.as_f64() - raw_stop).abs() < 0.1 + 1e-9
            && sign * (raw_stop - intent.stop.as_f64()) >= -1e-9,
        "{intent:?} raw stop {raw_stop}"
    );
    assert!(
        (intent.take_profit_2.as_f64() - fair).abs() < 0.1 + 1e-9
            && sign * (fair - intent.take_profit_2.as_f64()) >= -1e-9,
        "{intent:?} fair {fair}"
    );
    assert_eq!(intent.take_profit_1, None);
    assert_eq!(field(&detail, "lookback_min") as usize, {
        let half_life = field(&detail, "half_life_min");
        ((3.0 * half_life).round() as usize).max(2)
    });
    assert!(field(&detail, "adf_p") < 0.10);
}

#[test]
fn exit_once_z_is_back_at_the_mean() {
    let mut harness = Harness::new(config());
    let (intent, detail) = first_signal(&mut harness);
    let fair = field(&detail, "fair");
    harness.fill(intent.direction, intent.entry_price);
    // One more bar as far from the mean as the entry: no exit.
    let sign = intent.direction.sign() as f64;
    let away = harness.strategy.last_close().unwrap() - sign * 0.5;
    assert!(harness.bar(away).exits.is_empty());
    // A close 20 beyond the old fair value on the other side: z has crossed 0.
    let actions = harness.bar(fair + sign * 20.0);
    assert_eq!(actions.exits.len(), 1);
    assert_eq!(actions.exits[0].reason, ExitReason::Strategy);
    assert_eq!(actions.signals[0].to_state, "z_back_to_mean");
    assert!(sign * field(&actions.signals[0].detail, "z") >= 0.0);
    // Asked once only.
    assert!(harness.bar(fair).exits.is_empty());
    assert_eq!(harness.strategy.counters().exits_mean, 1);
}

#[test]
fn holding_cap_of_three_half_lives_and_aggressive_entries() {
    let mut harness = Harness::new(MeanReversionConfig {
        execution: ExecutionStyle::Aggressive,
        ..config()
    });
    let (intent, detail) = first_signal(&mut harness);
    // Aggressive: a market order sized at the far touch.
    assert_eq!(intent.entry, EntryOrder::Market);
    let sign = intent.direction.sign() as f64;
    let close = harness.strategy.last_close().unwrap();
    assert!((intent.entry_price.as_f64() - (close + sign * 0.1)).abs() < 1e-9);
    let cap = field(&detail, "cap_min") as i64;
    let half_life = field(&detail, "half_life_min");
    assert_eq!(cap, ((3.0 * half_life).round() as i64).max(1));
    harness.fill(intent.direction, intent.entry_price);
    // The price keeps running away from the mean (z keeps its sign): only the cap ends the
    // trade. The fill is stamped at the start of the next minute; bar k closes k minutes later.
    let mut price = close;
    for held in 1..=cap {
        price -= sign * 0.3;
        let actions = harness.bar(price);
        if held < cap {
            assert!(
                actions.exits.is_empty(),
                "exit after {held} of {cap} minutes"
            );
        } else {
            assert_eq!(actions.exits.len(), 1, "no exit after {held} minutes");
            assert_eq!(actions.signals[0].to_state, "holding_cap");
        }
    }
    assert_eq!(harness.strategy.counters().exits_holding_cap, 1);
}

#[test]
fn a_failed_adf_test_blocks_and_is_logged_as_a_near_miss() {
    // A p-value below 1e-12 is never reached by this AR(1) on 60 points: every candidate
    // with a half-life in range stops at the ADF filter.
    let mut harness = Harness::new(MeanReversionConfig {
        adf_p_value: 1e-12,
        ..config()
    });
    for _ in 0..1_000 {
        let close = harness.next_close();
        let actions = harness.bar(close);
        assert!(actions.intents.is_empty());
        for row in &actions.signals {
            assert_eq!(row.kind, SignalRecordKind::NearMiss);
            assert!(
                row.detail.ends_with("blocked_by=adf")
                    || row.detail.ends_with("blocked_by=half_life"),
                "{}",
                row.detail
            );
        }
    }
    let counters = harness.strategy.counters();
    assert!(
        counters.blocked_adf > 0 && counters.signals == 0,
        "{counters:?}"
    );
    assert_eq!(
        counters.candidates,
        counters.blocked_adf + counters.blocked_half_life,
        "{counters:?}"
    );
}

#[test]
fn the_half_life_range_blocks() {
    // The series' half-life (≈ 6.6 minutes) is below a 15-minute floor: no trade.
    let mut harness = Harness::new(MeanReversionConfig {
        min_half_life_minutes: 15.0,
        ..config()
    });
    let actions = harness.until(SignalRecordKind::NearMiss);
    let detail = &actions.signals[0].detail;
    assert!(detail.ends_with("blocked_by=half_life"), "{detail}");
    assert!(field(detail, "half_life_min") < 15.0);
}

#[test]
fn no_shorts_when_disabled() {
    let mut harness = Harness::new(MeanReversionConfig {
        shorts: false,
        ..config()
    });
    for _ in 0..1_000 {
        let close = harness.next_close();
        for intent in harness.bar(close).intents {
            assert_eq!(intent.direction, Direction::Long);
        }
    }
    assert!(harness.strategy.counters().signals > 0);
}
