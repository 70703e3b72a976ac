//! Builders for the engine's golden scenarios: a scripted strategy, the test instrument,
//! hand-written market events and a runner that returns every record of a run.

#![allow(dead_code)] // each test file uses a subset

use auction_trader_engine::{Engine, EngineCounters, EngineSettings, RunCollector};
use auction_trader_execution::{FillModelConfig, SimulatedExchange};
use auction_trader_features::{FeatureConfig, FeatureEngine, FeatureSnapshot};
use auction_trader_risk::{RiskConfig, RiskManager};
use auction_trader_strategy::{
    Actions, Direction, EntryOrder, ExitReason, ExitRequest, SetupKind, SignalRecord, Strategy,
    StrategyContext, TradeIntent,
};
#[allow(unused_imports)] // each test file uses a subset
pub use auction_trader_testkit::events::{
    bar, book_level, book_snapshot, btcusdt_perp, money, price, qty, quote, trade,
};
use auction_trader_types::{
    AggressorSide, BookSide, Instrument, MarketEvent, Money, NANOS_PER_MILLI, NANOS_PER_SECOND,
    Price, Quantity, Rate, TimeoutAction, UnixNanos,
};
use auction_trader_types::{FillRecord, Liquidity, OrderSide, RunRecords, TradeRecord};

pub const SECOND: i64 = 1_000;
pub const MINUTE: i64 = 60 * SECOND;

/// 2024-08-01 00:00:00 UTC in seconds.
pub const MIDNIGHT_2024_08_01: i64 = 1_722_470_400;
/// 2024-08-01 01:00:00 UTC: far from the 00/08/16 funding times.
pub const BASE: i64 = MIDNIGHT_2024_08_01 + 3_600;

/// `base_seconds` + `millis`.
pub fn at_from(base_seconds: i64, millis: i64) -> UnixNanos {
    UnixNanos(base_seconds * NANOS_PER_SECOND + millis * NANOS_PER_MILLI)
}

/// [`BASE`] + `millis`.
pub fn at(millis: i64) -> UnixNanos {
    at_from(BASE, millis)
}

/// The brief's instrument: tick 0.1, lot 0.001, min 0.001, maker 2 bps, taker 5 bps,
/// multiplier 1, perpetual.
pub fn instrument() -> Instrument {
    btcusdt_perp()
}

// ----- the scripted strategy -----

#[derive(Debug, Clone, Copy)]
pub enum Scripted {
    Intent(TradeIntent),
    Exit(ExitReason),
}

/// Emits the given intents / exit requests at the given bar closes, ignores every feature.
#[derive(Debug, Default)]
pub struct ScriptedStrategy {
    script: Vec<(UnixNanos, Scripted)>,
    /// Every bar close seen, with `entries_blocked` at that close.
    pub closes: Vec<(UnixNanos, bool)>,
    /// `(close ts, high, low, close)` of every bar the strategy saw.
    pub bars: Vec<(UnixNanos, Price, Price, Price)>,
    /// `on_position_closed` calls.
    pub closed: Vec<ExitReason>,
}

impl ScriptedStrategy {
    pub fn new(script: Vec<(UnixNanos, Scripted)>) -> Self {
        Self {
            script,
            ..Self::default()
        }
    }
}

impl Strategy for ScriptedStrategy {
    fn name(&self) -> &'static str {
        "scripted"
    }

    fn on_bar(
        &mut self,
        snapshot: &FeatureSnapshot,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        self.closes.push((snapshot.ts, context.entries_blocked));
        let bar = &snapshot.bar;
        self.bars.push((snapshot.ts, bar.high, bar.low, bar.close));
        for (ts, item) in &self.script {
            if *ts != snapshot.ts {
                continue;
            }
            match *item {
                Scripted::Intent(intent) => actions.intents.push(intent),
                Scripted::Exit(reason) => actions.exits.push(ExitRequest {
                    ts: snapshot.ts,
                    reason,
                }),
            }
        }
    }

    fn on_position_closed(
        &mut self,
        reason: ExitReason,
        _context: &StrategyContext<'_>,
        _actions: &mut Actions,
    ) {
        self.closed.push(reason);
    }
}

/// A market entry intent at bar close `ts`.
pub fn market_intent(
    ts: UnixNanos,
    direction: Direction,
    entry: &str,
    stop: &str,
    take_profit_1: Option<&str>,
    take_profit_2: &str,
) -> TradeIntent {
    TradeIntent {
        ts,
        setup: SetupKind::BreakIn,
        direction,
        entry: EntryOrder::Market,
        entry_price: price(entry),
        stop: price(stop),
        take_profit_1: take_profit_1.map(price),
        take_profit_2: price(take_profit_2),
        size_factor: Rate::ONE,
    }
}

/// [`limit_intent`] with a first target.
pub fn limit_intent_with_targets(
    ts: UnixNanos,
    direction: Direction,
    entry: &str,
    stop: &str,
    take_profit_1: &str,
    take_profit_2: &str,
) -> TradeIntent {
    TradeIntent {
        take_profit_1: Some(price(take_profit_1)),
        ..limit_intent(ts, direction, entry, stop, take_profit_2)
    }
}

/// A limit entry at `entry`, converted to market after 60 s (SPEC 10 auction timeout).
pub fn limit_intent(
    ts: UnixNanos,
    direction: Direction,
    entry: &str,
    stop: &str,
    take_profit_2: &str,
) -> TradeIntent {
    TradeIntent {
        entry: EntryOrder::Limit {
            price: price(entry),
            post_only: false,
            timeout_nanos: 60 * NANOS_PER_SECOND,
            on_timeout: TimeoutAction::ConvertToMarket,
        },
        ..market_intent(ts, direction, entry, stop, None, take_profit_2)
    }
}

// ----- events -----

/// A full book snapshot as flattened rows.
pub fn book(ts: UnixNanos, bids: &[(&str, &str)], asks: &[(&str, &str)]) -> Vec<MarketEvent> {
    book_snapshot(ts, bids, asks)
}

/// The usual book: bid `bid` × 500, ask `ask` × 500.
pub fn touch(ts: UnixNanos, bid: &str, ask: &str) -> Vec<MarketEvent> {
    book(ts, &[(bid, "500")], &[(ask, "500")])
}

/// One incremental level update (a whole message).
pub fn level(ts: UnixNanos, side: BookSide, px: &str, size: &str) -> MarketEvent {
    book_level(ts, side, px, size)
}

/// A 1-lot seller-initiated print (keeps the minutes closing).
pub fn tick(ts: UnixNanos, px: &str) -> MarketEvent {
    trade(ts, px, "0.001", AggressorSide::Sell)
}

// ----- running -----

/// Everything a scripted run produced.
#[derive(Debug)]
pub struct Outcome {
    pub records: RunRecords,
    pub signals: Vec<SignalRecord>,
    pub counters: EngineCounters,
    pub closes: Vec<(UnixNanos, bool)>,
    pub bars: Vec<(UnixNanos, Price, Price, Price)>,
    pub closed: Vec<ExitReason>,
}

impl Outcome {
    /// `(order id, ts, side, price, quantity, liquidity, fee)` of every fill.
    pub fn fills(&self) -> Vec<(u64, UnixNanos, OrderSide, Price, Quantity, Liquidity, Money)> {
        self.records
            .fills
            .iter()
            .map(|fill: &FillRecord| {
                (
                    fill.order_id,
                    fill.ts,
                    fill.side,
                    fill.price,
                    fill.quantity,
                    fill.liquidity,
                    fill.fee,
                )
            })
            .collect()
    }

    pub fn trade(&self, index: usize) -> &TradeRecord {
        &self.records.trades[index]
    }

    /// Signals the engine refused (signals.db kind `suppressed`).
    pub fn suppressed(&self) -> Vec<&SignalRecord> {
        self.signals
            .iter()
            .filter(|signal| signal.kind == auction_trader_strategy::SignalRecordKind::Suppressed)
            .collect()
    }
}

/// A fill tuple as [`Outcome::fills`] lists it.
pub fn fill(
    order_id: u64,
    ts: UnixNanos,
    side: &str,
    px: &str,
    size: &str,
    liquidity: &str,
    fee: &str,
) -> (u64, UnixNanos, OrderSide, Price, Quantity, Liquidity, Money) {
    (
        order_id,
        ts,
        side.parse().unwrap(),
        price(px),
        qty(size),
        liquidity.parse().unwrap(),
        money(fee),
    )
}

/// Features with tiny windows (the scripted strategy ignores them).
pub fn feature_config() -> FeatureConfig {
    FeatureConfig {
        profile_window_minutes: 5,
        sigma_window_minutes: 5,
        typical_spread_minutes: 5,
        of_median_minutes: 5,
        min_profile_bins: 1,
        ..FeatureConfig::default()
    }
}

/// Runs the script over `events` with SPEC 10 risk and fill-model defaults (latency 130 ms,
/// queue fraction 0.3, funding 0.0001 per 8 h) from `equity`, then ends the run (5 s settle).
pub fn run(equity: &str, script: Vec<(UnixNanos, Scripted)>, events: &[MarketEvent]) -> Outcome {
    run_with(FillModelConfig::default(), equity, script, events)
}

/// [`run`] with another fill model.
pub fn run_with(
    fill_model: FillModelConfig,
    equity: &str,
    script: Vec<(UnixNanos, Scripted)>,
    events: &[MarketEvent],
) -> Outcome {
    let instrument = instrument();
    let features = FeatureEngine::for_instrument(&feature_config(), &instrument).unwrap();
    let risk = RiskManager::new(RiskConfig::default(), instrument.clone()).unwrap();
    let exchange = SimulatedExchange::new(instrument.clone(), fill_model).unwrap();
    let recorder = RunCollector::new("golden".to_owned(), "BTCUSDT".to_owned(), money(equity));
    let settings = EngineSettings {
        initial_equity: money(equity),
        max_leverage: RiskConfig::default().max_leverage,
        trading_from: UnixNanos(i64::MIN),
    };
    let mut engine = Engine::new(
        instrument,
        settings,
        features,
        ScriptedStrategy::new(script),
        risk,
        exchange,
        recorder,
    );
    let mut last = UnixNanos(i64::MIN);
    for event in events {
        assert!(event.ts_recv() >= last, "events must be in ts_recv order");
        last = event.ts_recv();
        engine.on_event(event);
    }
    let closes = engine.strategy().closes.clone();
    let closed = engine.strategy().closed.clone();
    let bars = engine.strategy().bars.clone();
    let (collector, counters, _account) = engine.finish(5 * NANOS_PER_SECOND);
    Outcome {
        records: collector.records,
        signals: collector.signals,
        counters,
        closes,
        bars,
        closed,
    }
}
