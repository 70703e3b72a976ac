//! Throughput of the feature engine and cost of the per-minute profile recompute.
//!
//! `cargo run --release -p auction-trader-features --example feature_throughput [repeats]`
//!
//! 1. Engine: the events of `binance/usdm_btcusdt_20240808.gz` (trades, quotes and depth rows of
//!    BTCUSDT, parsed once, in replay order) are fed to one `FeatureEngine` `repeats` times
//!    end to end, each copy shifted by the capture's span rounded up to whole minutes, so the
//!    engine sees one continuous multi-hour stream. Parsing is not timed.
//! 2. Profile: a bitFlyer day (`bitflyer.execution.20180122.BTC_JPY.csv.gz`) goes through the
//!    rolling 240-minute profile at its SPEC width; every minute close (expire + add + POC +
//!    value area) is timed.

use std::time::{Duration, Instant};

use auction_trader_data::CollectedEvents;
use auction_trader_data::import::bitflyer::import_executions;
use auction_trader_features::profile::rolling::RollingProfile;
use auction_trader_features::{FeatureConfig, FeatureEngine, FeatureSink, FeatureSnapshot};
use auction_trader_testkit::{
    busiest_instrument, import_binance_capture, replay_order, shared_path, trades,
};
use auction_trader_types::{MarketEvent, NANOS_PER_MINUTE, Price, StreamKind, UnixNanos};

/// Counts snapshots without keeping them.
#[derive(Default)]
struct Counting {
    snapshots: u64,
    trades: u64,
    checksum: i128,
}

impl FeatureSink for Counting {
    fn on_snapshot(&mut self, snapshot: &FeatureSnapshot) {
        self.snapshots += 1;
        self.checksum = self.checksum.wrapping_add(snapshot.of_1m.raw());
    }
    fn on_trade(&mut self, _trade: &auction_trader_features::ClassifiedTrade) {
        self.trades += 1;
    }
}

#[allow(clippy::disallowed_methods)] // benchmark timing: wall clock on purpose
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let repeats: i64 = std::env::args()
        .nth(1)
        .map(|text| text.parse())
        .transpose()?
        .unwrap_or(50);

    // 1. Engine throughput.
    let collected = import_binance_capture(&[shared_path("binance/usdm_btcusdt_20240808.gz")])?;
    let slot = busiest_instrument(&collected, StreamKind::Trade).ok_or("no instrument")?;
    let events = replay_order(&collected, slot);
    let first = events.first().ok_or("empty capture")?.ts_recv().as_i64();
    let last = events.last().ok_or("empty capture")?.ts_recv().as_i64();
    let shift = ((last - first) / NANOS_PER_MINUTE + 1) * NANOS_PER_MINUTE;
    let shifted: Vec<Vec<MarketEvent>> = (0..repeats)
        .map(|copy| {
            events
                .iter()
                .map(|event| event.shifted(copy * shift))
                .collect()
        })
        .collect();
    let counts = |kind: StreamKind| events.iter().filter(|event| event.kind() == kind).count();
    println!(
        "capture: {} events per copy (trades {}, quotes {}, depth rows {}), {} copies, span {} min",
        events.len(),
        counts(StreamKind::Trade),
        counts(StreamKind::Quote),
        counts(StreamKind::Depth),
        repeats,
        repeats * shift / NANOS_PER_MINUTE
    );
    let config = FeatureConfig::default();
    let no_depth: Vec<Vec<MarketEvent>> = shifted
        .iter()
        .map(|copy| {
            copy.iter()
                .filter(|event| event.kind() != StreamKind::Depth)
                .copied()
                .collect()
        })
        .collect();
    for (label, stream) in [
        ("all events", &shifted),
        ("trades + quotes only", &no_depth),
    ] {
        let mut best = Duration::MAX;
        let mut sink = Counting::default();
        for _round in 0..3 {
            let mut engine = FeatureEngine::new(&config, Price::from_decimal_str("0.1")?)?;
            sink = Counting::default();
            let start = Instant::now();
            for copy in stream {
                for event in copy {
                    engine.on_event(event, &mut sink);
                }
            }
            best = best.min(start.elapsed());
        }
        let total = stream.iter().map(Vec::len).sum::<usize>() as f64;
        println!(
            "engine, {label}: {total:.0} events in {:.3} s (best of 3) = {:.1} M events/s, {:.1} ns/event; \
             {} snapshots, {} trades (checksum {})",
            best.as_secs_f64(),
            total / best.as_secs_f64() / 1e6,
            best.as_secs_f64() * 1e9 / total,
            sink.snapshots,
            sink.trades,
            sink.checksum
        );
    }

    // 2. Profile recompute cost over a real 240-minute window.
    let path = shared_path("bitflyer/bitflyer.execution.20180122.BTC_JPY.csv.gz");
    let mut tape = CollectedEvents::new();
    import_executions(&[path], &mut tape)?;
    let trades = trades(&tape);
    // Fixed sigmas: 0.002 (~0.2% per minute, typical of this tape: ~650 JPY bins) and a
    // hundred times finer (~7 JPY bins) to show how the cost scales with the bin count. The
    // width stays put, so each close is the steady-state incremental path.
    for sigma in [0.002, 0.00002] {
        let mut profile = RollingProfile::new(&config, Price::ONE);
        let mut minute = trades.first().ok_or("empty tape")?.ts_recv.floor_minute();
        let mut closes = Vec::new();
        let mut bins = Vec::new();
        let mut last_close = Price::ZERO;
        for trade in &trades {
            while trade.ts_recv >= UnixNanos(minute.as_i64() + NANOS_PER_MINUTE) {
                let start = Instant::now();
                let levels = profile.close_minute(Some(sigma), last_close, true);
                closes.push(start.elapsed().as_nanos() as f64);
                bins.push(levels.bins_spanned);
                minute = UnixNanos(minute.as_i64() + NANOS_PER_MINUTE);
            }
            profile.add_trade(trade.price, trade.size);
            last_close = trade.price;
        }
        let steady: Vec<f64> = closes.iter().skip(240).copied().collect();
        let mut sorted = steady.clone();
        sorted.sort_by(f64::total_cmp);
        let mean = steady.iter().sum::<f64>() / steady.len().max(1) as f64;
        let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
        let p99 = sorted.get(sorted.len() * 99 / 100).copied().unwrap_or(0.0);
        let mean_bins = bins
            .iter()
            .skip(240)
            .map(|&count| f64::from(count))
            .sum::<f64>()
            / steady.len().max(1) as f64;
        println!(
            "profile (sigma {sigma}): {} trades, {} closes ({} after warm-up), bins spanned ~{:.0}, \
             entries kept {}; per close (expire + add + POC + VA): mean {:.0} ns, median {:.0} ns, \
             p99 {:.0} ns; rebuilds {}",
            trades.len(),
            closes.len(),
            steady.len(),
            mean_bins,
            profile.stored_entries(),
            mean,
            median,
            p99,
            profile.counters.rebuilds
        );
    }
    Ok(())
}
