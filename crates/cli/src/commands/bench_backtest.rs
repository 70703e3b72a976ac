//! `bench backtest`: engine throughput with the simulated exchange, events held in memory so
//! the figure is the engine's (features + strategy + risk + order management + exchange), not
//! the disk's. Two workloads:
//! - `quotes`: a Binance capture with a strategy that keeps 10 resting limit orders and
//!   requotes all of them every 10 ms of event time;
//! - `auction`: the auction strategy over bitFlyer trade files.
//!
//! The last line ends with the account's net P&L and its settlement currency
//! (`net_pnl=<x> ccy=<CCY>`: BTC for a COIN-M capture, SPEC 5).
//!
//! Benchmarks are the one place that reads a clock: they measure, they never decide.
#![allow(clippy::disallowed_methods)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use auction_trader_analytics::display::settlement_currency;
use auction_trader_backtest::{
    BacktestConfig, QuoteLadder, build_engine, build_strategy, resolve_instrument,
};
use auction_trader_data::CollectedEvents;
use auction_trader_data::instruments::valued_instrument;
use auction_trader_data::replay::ReplayMerge;
use auction_trader_engine::{CountingRecorder, Engine};
use auction_trader_execution::SimulatedExchange;
use auction_trader_strategy::Strategy;
use auction_trader_types::{Instrument, MarketEvent, Money, NANOS_PER_MILLI};
use clap::{Args, ValueEnum};

use super::features::collect;
use super::inputs::InputArgs;
use crate::output::outln;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Workload {
    /// 10 resting limit orders requoted every 10 ms.
    Quotes,
    /// The auction strategy with its default config.
    Auction,
}

#[derive(Debug, Args)]
pub struct BacktestBenchArgs {
    /// What the engine runs: `quotes` (10 resting orders requoted every 10 ms) or `auction`.
    #[arg(long, value_enum)]
    pub workload: Workload,
    /// Input files (any importable format); the instrument with the most events is used.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Run the whole replay this many times (the best pass is reported too).
    #[arg(long, default_value_t = 3)]
    pub repeat: u32,
}

pub fn run(args: &BacktestBenchArgs) -> anyhow::Result<ExitCode> {
    let collected = collect(&InputArgs::for_files(args.files.clone()))?;
    let (instrument, events) = busiest_instrument(&collected)?;
    outln!(
        "{}: {} events in memory, workload {:?}",
        instrument.key,
        events.len(),
        args.workload
    );
    // The committed demo config's costs (SPEC 5 example fees) on the replayed instrument;
    // equity in the settlement currency (coin for inverse contracts).
    let equity = if instrument.valuation().is_inverse() {
        100
    } else {
        1_000_000
    };
    let config = BacktestConfig::parse(&format!(
        "data:\n  venue: {}\n  symbol: {}\n  market: {}\ninstrument:\n  maker_fee_bps: 2\n  \
         taker_fee_bps: 5\naccount:\n  initial_equity: {equity}\n",
        instrument.key.venue,
        instrument.key.symbol,
        instrument.key.market.as_str()
    ))?;
    let instrument = resolve_instrument(instrument, &config.instrument)?;
    let mut best = f64::MAX;
    let mut total_seconds = 0.0;
    let mut net_pnl = Money::ZERO;
    for pass in 0..args.repeat.max(1) {
        let (seconds, summary, pass_pnl) = match args.workload {
            Workload::Quotes => {
                let strategy = QuoteLadder::new(5, 10 * NANOS_PER_MILLI, instrument.lot_size);
                one_pass(&config, &instrument, &events, strategy)?
            }
            Workload::Auction => {
                let strategy = build_strategy(&config)?;
                one_pass(&config, &instrument, &events, strategy)?
            }
        };
        outln!(
            "pass {}: {:.3} s, {:.2} M events/s ({summary})",
            pass + 1,
            seconds,
            events.len() as f64 / seconds / 1e6
        );
        best = best.min(seconds);
        total_seconds += seconds;
        net_pnl = pass_pnl;
    }
    let passes = f64::from(args.repeat.max(1));
    outln!(
        "backtest_{:?} events={} mean_events_per_s={:.0} best_events_per_s={:.0} net_pnl={} \
         ccy={}",
        args.workload,
        events.len(),
        events.len() as f64 * passes / total_seconds,
        events.len() as f64 / best,
        net_pnl,
        settlement_currency(&instrument.key.symbol, instrument.contract_type)
    );
    Ok(ExitCode::SUCCESS)
}

/// One timed replay: seconds, a summary, and the account's net P&L at the end (realized −
/// fees − funding + the open position at the mark).
fn one_pass<S: Strategy>(
    config: &BacktestConfig,
    instrument: &Instrument,
    events: &[MarketEvent],
    strategy: S,
) -> anyhow::Result<(f64, String, Money)> {
    let mut engine = build_engine(
        config,
        instrument.clone(),
        strategy,
        CountingRecorder::default(),
    )?;
    let start = Instant::now();
    run_events(&mut engine, events);
    let seconds = start.elapsed().as_secs_f64();
    let mark = engine.venue().mark_price();
    let (recorder, counters, account) = engine.finish(0);
    Ok((
        seconds,
        format!(
            "orders {} fills {} trades {} signals {}",
            counters.orders, counters.fills, counters.trades, recorder.signals
        ),
        account.net_pnl(mark),
    ))
}

/// The instrument with the most events, its events merged in replay order.
fn busiest_instrument(
    collected: &CollectedEvents,
) -> anyhow::Result<(Instrument, Vec<MarketEvent>)> {
    let (slot, key) = collected
        .instruments_with_slots()
        .max_by_key(|(slot, _)| collected.events_of(*slot).count())
        .context("the inputs hold no events")?;
    let mut merge = ReplayMerge::new();
    let mut by_kind: Vec<Vec<MarketEvent>> = Vec::new();
    let mut kinds = Vec::new();
    for event in collected.events_of(slot) {
        let kind = event.kind();
        match kinds.iter().position(|known| *known == kind) {
            Some(index) => by_kind[index].push(*event),
            None => {
                kinds.push(kind);
                by_kind.push(vec![*event]);
            }
        }
    }
    for events in by_kind {
        merge.add_events(events);
    }
    let mut events = Vec::new();
    for item in merge {
        events.push(item?.event);
    }
    Ok((valued_instrument(key, None)?, events))
}

/// The timed loop of `bench backtest`: every event through the engine. Kept out of line so a
/// profiler can count exactly this work
/// (`valgrind --tool=callgrind --toggle-collect='*run_events*'`).
#[inline(never)]
fn run_events<S: Strategy>(
    engine: &mut Engine<S, SimulatedExchange, CountingRecorder>,
    events: &[MarketEvent],
) {
    for event in events {
        engine.on_event(event);
    }
}
