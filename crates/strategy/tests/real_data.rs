//! Real-data smoke test of the auction strategy (SPEC 3.1): two days of the bitFlyer BTC_JPY
//! tape (executions with the taker side, plus the once-a-minute tickers as quotes) through
//! the feature engine and the strategy, in replay order, with a flat position. Checks that
//! the setups produce signals and transitions without panicking and prints the counts. Data
//! is read in place from `../shared/data`; the test SKIPS when it is absent.

use auction_trader_data::import::bitflyer::default_instrument;
use auction_trader_features::{FeatureConfig, FeatureEngine, FeatureSnapshot};
use auction_trader_strategy::{
    Actions, AuctionConfig, AuctionStrategy, PositionView, SignalRecordKind, Strategy,
    StrategyContext,
};
use auction_trader_testkit::{load_bitflyer_days, replay_order_all};
use auction_trader_types::{Instrument, Price, Quantity, Rate};
use std::collections::BTreeMap;

#[test]
fn auction_strategy_runs_over_two_bitflyer_days() {
    let Some(collected) = load_bitflyer_days(&["20180122", "20180123"]) else {
        return;
    };
    // Replay order (SPEC 1.5): ts_recv, then the stream priority; the sort is stable.
    let events = replay_order_all(&collected);

    let instrument = Instrument {
        key: default_instrument(),
        tick_size: Price::ONE,
        lot_size: Quantity::from_decimal_str("0.00000001").unwrap(),
        min_size: Quantity::from_decimal_str("0.001").unwrap(),
        contract_multiplier: Quantity::ONE,
        maker_fee: Rate::ZERO,
        taker_fee: Rate::ZERO,
        contract_type: auction_trader_types::ContractType::Linear,
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
