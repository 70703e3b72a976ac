//! Throughput of the toxicity engine (SPEC 2.5) over the 20-level book.
//!
//! `cargo run --release -p auction-trader-features --example toxicity_throughput [repeats]`
//!
//! The events of `binance/usdm_btcusdt_20240808.gz` (depth rows, trades, quotes of BTCUSDT,
//! parsed once, in replay order) are fed to one `ToxicityEngine` `repeats` times, each copy
//! shifted by the capture's span rounded up to whole minutes (the book resyncs on each copy's
//! snapshot). Parsing is not timed. Prints events/s and the per-second table of every capture.

use std::time::{Duration, Instant};

use auction_trader_features::toxicity::{
    ToxicityConfig, ToxicityEngine, ToxicitySecond, ToxicitySink, toxicity_table,
};
use auction_trader_testkit::{
    busiest_instrument, import_binance_capture, replay_order, shared_files, shared_path,
};
use auction_trader_types::{MarketEvent, NANOS_PER_MINUTE, StreamKind};

#[derive(Default)]
struct Counting {
    seconds: u64,
    checksum: f64,
}

impl ToxicitySink for Counting {
    fn on_second(&mut self, record: &ToxicitySecond) {
        self.seconds += 1;
        self.checksum += record.decay_depth_bid;
    }
}

#[allow(clippy::disallowed_methods)] // benchmark timing: wall clock on purpose
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let repeats: i64 = std::env::args()
        .nth(1)
        .map(|text| text.parse())
        .transpose()?
        .unwrap_or(20);
    let collected = import_binance_capture(&[shared_path("binance/usdm_btcusdt_20240808.gz")])?;
    let slot = busiest_instrument(&collected, StreamKind::Depth).ok_or("no instrument")?;
    let instrument = collected.instruments[slot.0 as usize].clone();
    let events = replay_order(&collected, slot);
    let first = events.first().ok_or("empty")?.ts_recv().as_i64();
    let last = events.last().ok_or("empty")?.ts_recv().as_i64();
    let shift = ((last - first) / NANOS_PER_MINUTE + 1) * NANOS_PER_MINUTE;
    let stream: Vec<MarketEvent> = (0..repeats)
        .flat_map(|copy| events.iter().map(move |event| event.shifted(copy * shift)))
        .collect();
    let config = ToxicityConfig::default();
    let mut best = Duration::MAX;
    let mut sink = Counting::default();
    for _round in 0..3 {
        let mut engine = ToxicityEngine::new(&config, &instrument, None)?;
        sink = Counting::default();
        let start = Instant::now();
        for event in &stream {
            engine.on_event(event, &mut sink);
        }
        engine.finish(&mut sink);
        best = best.min(start.elapsed());
    }
    let total = stream.len() as f64;
    println!(
        "toxicity engine: {total:.0} events ({} copies of {}) in {:.3} s (best of 3) = {:.2} M events/s, \
         {:.1} ns/event; {} seconds emitted (checksum {:.3})",
        repeats,
        events.len(),
        best.as_secs_f64(),
        total / best.as_secs_f64() / 1e6,
        best.as_secs_f64() * 1e9 / total,
        sink.seconds,
        sink.checksum
    );

    for files in [
        &["usdm_btcusdt_20240808.gz"][..],
        &["usdm_ethusdt_20240808.gz"],
        &["usdm_btcusdt_20240718.gz", "usdm_btcusdt_20240719.gz"],
        &["spot_btcusdt_20240808.gz", "spot_btcusdt_20240809.gz"],
        &["cm_btcusd_perp_20240808.gz", "cm_btcusd_perp_20240809.gz"],
    ] {
        let Some(paths) = shared_files("binance", files) else {
            continue;
        };
        let capture = import_binance_capture(&paths)?;
        let tables = toxicity_table(
            &config,
            &capture.instruments,
            capture
                .events
                .iter()
                .map(|tagged| (tagged.instrument.0 as usize, &tagged.event)),
        )?;
        println!("== {files:?}");
        for table in tables {
            println!("{table}");
        }
    }
    Ok(())
}
