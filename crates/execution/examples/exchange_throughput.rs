//! Throughput of the simulated exchange on real data.
//!
//! `cargo run --release -p auction-trader-execution --example exchange_throughput [repeats]`
//!
//! The events of `binance/usdm_btcusdt_20240808.gz` (BTCUSDT depth rows, bookTicker quotes and
//! trades, parsed once, in replay order) are replayed `repeats` times end to end, each copy
//! shifted by the capture's span rounded up to whole minutes. Every 10 ms of data time the
//! "strategy" cancels its 10 resting limit orders and submits 10 new ones around the mid
//! (5 bids at mid − 1..5 ticks, 5 asks at mid + 1..5 ticks, 0.001 BTC each), so the exchange
//! carries about 10 resting orders plus the orders and cancels in flight (130 ms latency).
//! Parsing is not timed; the requoting logic is.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use auction_trader_data::import::binance_capture::{CaptureOptions, import_capture_files};
use auction_trader_data::{CollectedEvents, InstrumentSlot};
use auction_trader_execution::{FillModelConfig, SimulatedExchange};
use auction_trader_types::{
    ExecutionReport, Instrument, InstrumentKey, MarketEvent, MarketKind, NANOS_PER_MILLI,
    NANOS_PER_MINUTE, OrderId, OrderKind, OrderRequest, OrderSide, Price, Quantity, Rate,
    StreamKind,
};

fn shared(relative: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/"
    ))
    .join(relative)
}

fn instrument() -> Result<Instrument, Box<dyn std::error::Error>> {
    Ok(Instrument {
        key: InstrumentKey::new("binance-usdm", "BTCUSDT", MarketKind::Perpetual),
        tick_size: Price::from_decimal_str("0.1")?,
        lot_size: Quantity::from_decimal_str("0.001")?,
        min_size: Quantity::from_decimal_str("0.001")?,
        contract_multiplier: Quantity::ONE,
        maker_fee: Rate::from_decimal_str("0.0002")?,
        taker_fee: Rate::from_decimal_str("0.0005")?,
        contract_type: auction_trader_types::ContractType::Linear,
    })
}

#[derive(Debug, Default)]
struct Outcome {
    reports: u64,
    fills: u64,
    submitted: u64,
}

/// One full replay with requoting; returns what happened.
fn replay(
    copies: &[Vec<MarketEvent>],
    instrument: &Instrument,
    requote: bool,
) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut exchange = SimulatedExchange::new(instrument.clone(), FillModelConfig::default())?;
    let tick = instrument.tick_size.raw();
    let size = Quantity::from_decimal_str("0.001")?;
    let interval = 10 * NANOS_PER_MILLI;
    let mut reports: Vec<ExecutionReport> = Vec::with_capacity(1024);
    let mut outcome = Outcome::default();
    let mut working: Vec<OrderId> = Vec::with_capacity(10);
    let mut next_id = 1_u64;
    let mut next_requote = i64::MIN;
    for copy in copies {
        for event in copy {
            let ts = event.ts_recv();
            if requote && ts.as_i64() >= next_requote {
                if let Some(mid) = exchange.mid() {
                    for id in working.drain(..) {
                        exchange.cancel(ts, id);
                    }
                    let mid_ticks = mid.raw() / tick;
                    for level in 1..=5_i64 {
                        for (side, ticks) in [
                            (OrderSide::Buy, mid_ticks - level),
                            (OrderSide::Sell, mid_ticks + level),
                        ] {
                            let id = OrderId(next_id);
                            next_id += 1;
                            exchange.submit(
                                ts,
                                OrderRequest {
                                    id,
                                    side,
                                    quantity: size,
                                    kind: OrderKind::Limit {
                                        price: Price::from_raw(ticks * tick),
                                        post_only: true,
                                    },
                                    reduce_only: false,
                                    timeout: None,
                                    trigger: None,
                                },
                            );
                            working.push(id);
                            outcome.submitted += 1;
                        }
                    }
                }
                next_requote = ts.as_i64() - ts.as_i64().rem_euclid(interval) + interval;
            }
            exchange.on_market_event(event, &mut reports);
            if !reports.is_empty() {
                outcome.reports += reports.len() as u64;
                outcome.fills += reports
                    .iter()
                    .filter(|report| matches!(report, ExecutionReport::Filled(_)))
                    .count() as u64;
                reports.clear();
            }
        }
    }
    Ok(outcome)
}

#[allow(clippy::disallowed_methods)] // benchmark timing: wall clock on purpose
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let repeats: i64 = std::env::args()
        .nth(1)
        .map(|text| text.parse())
        .transpose()?
        .unwrap_or(20);
    let mut collected = CollectedEvents::new();
    import_capture_files(
        &[shared("binance/usdm_btcusdt_20240808.gz")],
        &CaptureOptions::default(),
        &mut collected,
    )?;
    let slot = (0..collected.instruments.len() as u32)
        .map(InstrumentSlot)
        .max_by_key(|slot| collected.of_kind(*slot, StreamKind::Trade).count())
        .ok_or("no instrument")?;
    let mut events: Vec<MarketEvent> = collected.events_of(slot).copied().collect();
    events.sort_by_key(|event| (event.ts_recv(), event.kind().priority()));
    let first = events.first().ok_or("empty capture")?.ts_recv().as_i64();
    let last = events.last().ok_or("empty capture")?.ts_recv().as_i64();
    let shift = ((last - first) / NANOS_PER_MINUTE + 1) * NANOS_PER_MINUTE;
    let copies: Vec<Vec<MarketEvent>> = (0..repeats)
        .map(|copy| {
            events
                .iter()
                .map(|event| event.shifted(copy * shift))
                .collect()
        })
        .collect();
    let total = (events.len() as i64 * repeats) as f64;
    println!(
        "capture: {} events per copy, {repeats} copies, {:.1} M events, span {} min",
        events.len(),
        total / 1e6,
        repeats * shift / NANOS_PER_MINUTE
    );
    let instrument = instrument()?;
    for (label, requote) in [
        ("exchange, no orders", false),
        ("exchange + requoting", true),
    ] {
        let mut best = Duration::MAX;
        let mut outcome = Outcome::default();
        for _round in 0..3 {
            let start = Instant::now();
            outcome = replay(&copies, &instrument, requote)?;
            best = best.min(start.elapsed());
        }
        println!(
            "{label}: {:.3} s (best of 3) = {:.1} M events/s, {:.1} ns/event; \
         {} orders submitted, {} reports, {} fills",
            best.as_secs_f64(),
            total / best.as_secs_f64() / 1e6,
            best.as_secs_f64() * 1e9 / total,
            outcome.submitted,
            outcome.reports,
            outcome.fills
        );
    }
    Ok(())
}
