//! Real-data smoke test of the auction strategy (SPEC 3.1): two days of the bitFlyer BTC_JPY
//! tape (executions with the taker side, plus the once-a-minute tickers as quotes) through
//! the feature engine and the strategy, in replay order, with a flat position. Checks that
//! the setups produce signals and transitions without panicking and prints the counts. Data
//! is read in place from `../shared/data`; the test SKIPS when it is absent.

use std::collections::BTreeMap;
use std::path::PathBuf;

use auction_trader_data::CollectedEvents;
use auction_trader_data::import::bitflyer::{default_instrument, import_files};
use auction_trader_features::{FeatureConfig, FeatureEngine, FeatureSnapshot};
use auction_trader_strategy::{
    Actions, AuctionConfig, AuctionStrategy, PositionView, SignalRecordKind, Strategy,
    StrategyContext,
};
use auction_trader_types::{Instrument, MarketEvent, Price, Quantity, Rate};

const FILES: [&str; 4] = [
    "bitflyer.execution.20180122.BTC_JPY.csv.gz",
    "bitflyer.execution.20180123.BTC_JPY.csv.gz",
    "bitflyer.ticker.20180122.BTC_JPY.csv.gz",
    "bitflyer.ticker.20180123.BTC_JPY.csv.gz",
];

fn shared(relative: &str) -> Option<PathBuf> {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/"
    ))
    .join(relative);
    if path.exists() {
        Some(path)
    } else {
        println!("SKIP: {} not found", path.display());
        None
    }
}

#[test]
fn auction_strategy_runs_over_two_bitflyer_days() {
    let paths: Option<Vec<PathBuf>> = FILES
        .iter()
        .map(|file| shared(&format!("bitflyer/{file}")))
        .collect();
    let Some(paths) = paths else {
        return;
    };
    let mut collected = CollectedEvents::new();
    import_files(&paths, &mut collected).expect("bitFlyer files import");
    // Replay order (SPEC 1.5): ts_recv, then the stream priority; the sort is stable.
    let mut events: Vec<MarketEvent> = collected.events.iter().map(|tagged| tagged.event).collect();
    events.sort_by_key(|event| (event.ts_recv(), event.kind().priority()));

    let instrument = Instrument {
        key: default_instrument(),
        tick_size: Price::ONE,
        lot_size: Quantity::from_decimal_str("0.00000001").unwrap(),
        min_size: Quantity::from_decimal_str("0.001").unwrap(),
        contract_multiplier: Quantity::ONE,
        maker_fee: Rate::ZERO,
        taker_fee: Rate::ZERO,
    };
    let mut engine = FeatureEngine::new(&FeatureConfig::default(), instrument.tick_size).unwrap();
    let mut strategy = AuctionStrategy::new(AuctionConfig::default()).unwrap();
    let mut snapshots: Vec<FeatureSnapshot> = Vec::new();
    let mut actions = Actions::new(0);
    let mut intents = BTreeMap::new();
    let mut kinds = BTreeMap::new();
    let mut machines = BTreeMap::new();
    let mut check = |actions: &mut Actions| {
        for intent in actions.intents.drain(..) {
            // Every intent has its stop on the losing side and TP2 on the winning side.
            let sign = intent.direction.sign();
            assert!(
                sign * (intent.entry_price.raw() - intent.stop.raw()) > 0,
                "{intent:?}"
            );
            assert!(
                sign * (intent.take_profit_2.raw() - intent.entry_price.raw()) > 0,
                "{intent:?}"
            );
            *intents
                .entry((intent.setup.as_str(), intent.direction.as_str()))
                .or_insert(0u64) += 1;
        }
        for record in actions.signals.drain(..) {
            *kinds.entry(record.kind.as_str()).or_insert(0u64) += 1;
            if record.kind == SignalRecordKind::Transition {
                let reason = record
                    .detail
                    .strip_prefix("reason=")
                    .and_then(|rest| rest.split(' ').next())
                    .unwrap_or("")
                    .to_owned();
                *machines
                    .entry((record.machine, record.from_state, record.to_state, reason))
                    .or_insert(0u64) += 1;
            }
        }
        actions.exits.clear();
    };
    for event in &events {
        engine.on_event(event, &mut snapshots);
        let quote = engine.latest_quote().copied();
        let context = StrategyContext {
            now: event.ts_recv(),
            instrument: &instrument,
            position: PositionView::default(),
            best_bid: quote.map(|quote| quote.bid_price),
            best_ask: quote.map(|quote| quote.ask_price),
            entries_blocked: false,
        };
        for snapshot in snapshots.drain(..) {
            strategy.on_bar(&snapshot, &context, &mut actions);
        }
        strategy.on_market_event(event, &context, &mut actions);
        check(&mut actions);
    }
    let counters = strategy.counters();
    println!("events {}, counters {counters:?}", events.len());
    println!("intents by setup/direction: {intents:?}");
    println!("records by kind: {kinds:?}");
    for ((machine, from, to, reason), count) in &machines {
        println!("  {machine:>20}: {from:>16} -> {to:<16} {reason:<22} {count}");
    }
    assert!(counters.bars > 2_000, "two days of minutes");
    assert!(counters.bars_evaluated > 1_000);
    assert!(counters.intents > 0);
    assert!(counters.transitions > 0);
    assert!(kinds.get("near_miss").copied().unwrap_or(0) > 0);
    assert!(
        machines
            .keys()
            .any(|(machine, ..)| machine.starts_with("breakout"))
    );
    assert!(
        machines
            .keys()
            .any(|(machine, ..)| machine.starts_with("failed_breakout"))
    );
}
