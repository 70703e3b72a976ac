//! Builders for the engine's golden scenarios: a scripted strategy, the test instrument,
//! hand-written market events and a runner that returns every record of a run.

#![allow(dead_code)] // each test file uses a subset

use auction_trader_analytics::{FillRecord, RunRecords, TradeRecord};
use auction_trader_engine::{Engine, EngineCounters, EngineSettings, RunCollector};
use auction_trader_execution::{FillModelConfig, SimulatedExchange};
use auction_trader_features::{FeatureConfig, FeatureEngine, FeatureSnapshot};
use auction_trader_risk::{RiskConfig, RiskManager};
use auction_trader_strategy::{
    Actions, Direction, EntryOrder, ExitReason, ExitRequest, SetupKind, SignalRecord, Strategy,
    StrategyContext, TradeIntent,
};
use auction_trader_types::{
    AggressorSide, Bar, BookDelta, BookSide, DeltaFlags, Instrument, InstrumentKey, MarketEvent,
    MarketKind, Money, NANOS_PER_MILLI, NANOS_PER_SECOND, Price, Quantity, Rate, TimeoutAction,
    Trade, TradeId, UnixNanos,
};

pub const SECOND: i64 = 1_000;
pub const MINUTE: i64 = 60 * SECOND;

/// 2024-08-01 00:00:00 UTC in seconds.
pub const MIDNIGHT_2024_08_01: i64 = 1_722_470_400;
/// 2024-08-01 01:00:00 UTC: far from the 00/08/16 funding times.
pub const BASE: i64 = MIDNIGHT_2024_08_01 + 3_600;

pub fn price(text: &str) -> Price {
    Price::from_decimal_str(text).unwrap()
}

pub fn qty(text: &str) -> Quantity {
    Quantity::from_decimal_str(text).unwrap()
}

pub fn money(text: &str) -> Money {
    Money::from_decimal_str(text).unwrap()
}

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
    Instrument {
        key: InstrumentKey::new("test", "BTCUSDT", MarketKind::Perpetual),
        tick_size: price("0.1"),
        lot_size: qty("0.001"),
        min_size: qty("0.001"),
        contract_multiplier: Quantity::ONE,
        maker_fee: Rate::from_decimal_str("0.0002").unwrap(),
        taker_fee: Rate::from_decimal_str("0.0005").unwrap(),
    }
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

fn row(ts: UnixNanos, side: BookSide, px: &str, size: &str, flags: u8) -> MarketEvent {
    MarketEvent::Depth(BookDelta {
        ts_event: ts,
        ts_recv: ts,
        side,
        price: price(px),
        size: qty(size),
        first_update_id: 0,
        last_update_id: 0,
        prev_update_id: 0,
        flags: DeltaFlags(flags),
    })
}

/// A full book snapshot as flattened rows (CLEAR on the first, LAST on the final row).
pub fn book(ts: UnixNanos, bids: &[(&str, &str)], asks: &[(&str, &str)]) -> Vec<MarketEvent> {
    let levels: Vec<(BookSide, &str, &str)> = bids
        .iter()
        .map(|&(px, size)| (BookSide::Bid, px, size))
        .chain(asks.iter().map(|&(px, size)| (BookSide::Ask, px, size)))
        .collect();
    let count = levels.len();
    levels
        .into_iter()
        .enumerate()
        .map(|(index, (side, px, size))| {
            let mut flags = DeltaFlags::SNAPSHOT;
            if index == 0 {
                flags |= DeltaFlags::CLEAR;
            }
            if index + 1 == count {
                flags |= DeltaFlags::LAST;
            }
            row(ts, side, px, size, flags)
        })
        .collect()
}

/// The usual book: bid `bid` × 500, ask `ask` × 500.
pub fn touch(ts: UnixNanos, bid: &str, ask: &str) -> Vec<MarketEvent> {
    book(ts, &[(bid, "500")], &[(ask, "500")])
}

/// One incremental level update (a whole message).
pub fn level(ts: UnixNanos, side: BookSide, px: &str, size: &str) -> MarketEvent {
    row(ts, side, px, size, DeltaFlags::LAST)
}

pub fn trade(ts: UnixNanos, px: &str, size: &str, aggressor: AggressorSide) -> MarketEvent {
    MarketEvent::Trade(Trade {
        ts_event: ts,
        ts_recv: ts,
        price: price(px),
        size: qty(size),
        aggressor,
        trade_id: TradeId(0),
    })
}

/// A 1-lot seller-initiated print (keeps the minutes closing).
pub fn tick(ts: UnixNanos, px: &str) -> MarketEvent {
    trade(ts, px, "0.001", AggressorSide::Sell)
}

/// A one-minute bar closing at `close_ts`.
pub fn bar(close_ts: UnixNanos, open: &str, high: &str, low: &str, close: &str) -> MarketEvent {
    MarketEvent::Bar(Bar {
        ts_open: close_ts.saturating_sub_nanos(60 * NANOS_PER_SECOND),
        ts_event: close_ts,
        ts_recv: close_ts,
        open: price(open),
        high: price(high),
        low: price(low),
        close: price(close),
        volume: qty("10"),
        vwap: price(close),
        buy_volume: Quantity::ZERO,
        sell_volume: Quantity::ZERO,
        trade_count: 10,
    })
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
    pub fn fills(&self) -> Vec<(u64, UnixNanos, String, Price, Quantity, String, Money)> {
        self.records
            .fills
            .iter()
            .map(|fill: &FillRecord| {
                (
                    fill.order_id,
                    fill.ts,
                    fill.side.clone(),
                    fill.price,
                    fill.quantity,
                    fill.liquidity.clone(),
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
) -> (u64, UnixNanos, String, Price, Quantity, String, Money) {
    (
        order_id,
        ts,
        side.to_owned(),
        price(px),
        qty(size),
        liquidity.to_owned(),
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
    let instrument = instrument();
    let features = FeatureEngine::for_instrument(&feature_config(), &instrument).unwrap();
    let risk = RiskManager::new(RiskConfig::default(), instrument.clone()).unwrap();
    let exchange = SimulatedExchange::new(instrument.clone(), FillModelConfig::default()).unwrap();
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
