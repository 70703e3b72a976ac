//! The real-data backtest of the determinism and golden tests: bitFlyer BTC_JPY executions
//! and tickers (/work/shared/data/bitflyer) imported into memory, merged in replay order, and
//! run with the default configuration of the brief.

#![allow(dead_code)] // each test file uses a subset

use std::path::PathBuf;

use auction_trader_backtest::{BacktestConfig, BacktestResult, resolve_instrument, run_backtest};
use auction_trader_data::CollectedEvents;
use auction_trader_data::import::bitflyer;
use auction_trader_data::instruments::known_instrument;
use auction_trader_data::replay::ReplayMerge;
use auction_trader_types::{Instrument, MarketEvent, StreamKind};

pub const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/bitflyer");

/// The run configuration: bitFlyer BTC_JPY spot, 1,000,000 JPY, maker 2 bps / taker 5 bps,
/// every other value the SPEC 10 default.
pub const CONFIG: &str = "\
run:
  name: golden_bitflyer
data:
  venue: bitflyer
  symbol: BTC_JPY
  market: spot
account:
  initial_equity: 1000000
instrument:
  maker_fee_bps: 2
  taker_fee_bps: 5
";

pub fn config() -> BacktestConfig {
    BacktestConfig::parse(CONFIG).unwrap()
}

pub fn instrument(config: &BacktestConfig) -> Instrument {
    let key = bitflyer::default_instrument();
    let defaults = known_instrument(&key).unwrap();
    resolve_instrument(defaults, &config.instrument).unwrap()
}

/// Executions and tickers of the given JST file days (`YYYYMMDD`), merged by the replay
/// order (`ts_recv`, then depth < quote < trade); `None` (with a note) when a file is absent.
pub fn bitflyer_events(days: &[&str]) -> Option<Vec<MarketEvent>> {
    let mut executions = Vec::new();
    let mut tickers = Vec::new();
    for day in days {
        let execution =
            PathBuf::from(DATA).join(format!("bitflyer.execution.{day}.BTC_JPY.csv.gz"));
        let ticker = PathBuf::from(DATA).join(format!("bitflyer.ticker.{day}.BTC_JPY.csv.gz"));
        if !execution.exists() || !ticker.exists() {
            eprintln!(
                "note: {} or its ticker file is absent: test skipped",
                execution.display()
            );
            return None;
        }
        executions.push(execution);
        tickers.push(ticker);
    }
    let mut sink = CollectedEvents::new();
    bitflyer::import_executions(&executions, &mut sink).unwrap();
    bitflyer::import_tickers(&tickers, &mut sink).unwrap();
    let slot = sink.slot_of(&bitflyer::default_instrument()).unwrap();
    let trades: Vec<MarketEvent> = sink.of_kind(slot, StreamKind::Trade).copied().collect();
    let quotes: Vec<MarketEvent> = sink.of_kind(slot, StreamKind::Quote).copied().collect();
    let mut merge = ReplayMerge::new();
    merge.add_events(quotes);
    merge.add_events(trades);
    Some(merge.map(|item| item.unwrap().event).collect())
}

/// One backtest over `events`.
pub fn run(config: &BacktestConfig, events: &[MarketEvent]) -> BacktestResult {
    let instrument = instrument(config);
    run_backtest::<String>(
        config,
        instrument,
        events.iter().map(|event| Ok(*event)),
        &mut |_, _| {},
    )
    .unwrap()
}
