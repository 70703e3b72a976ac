//! The validator on real recorded data from `shared/data` (skipped when absent). The events are
//! built here with minimal parsers of our own, so these tests do not depend on the importers;
//! the expected figures were computed independently (Python over the same files).

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns: a panic is a failed test.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use auction_trader_data::input::for_each_input;
use auction_trader_data::validate::{
    SequenceRule, ValidatingSink, ValidationSettings, Validator, validate_collected,
};
use auction_trader_data::{CollectedEvents, EventSink, InstrumentSlot, QuarantinedRow};
use auction_trader_types::{
    AggressorSide, BookDelta, BookSide, DeltaFlags, InstrumentKey, MarketEvent, MarketKind,
    NANOS_PER_MILLI, NANOS_PER_MINUTE, Price, Quantity, StreamKind, Trade, TradeId, UnixNanos,
};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");

/// The path of a shared data file, or `None` (with a note) when it is absent.
fn shared(relative: &str) -> Option<PathBuf> {
    let path = Path::new(SHARED).join(relative);
    if path.is_file() {
        Some(path)
    } else {
        println!("SKIP: {} is absent", path.display());
        None
    }
}

fn lines(path: &Path, mut visit: impl FnMut(&str)) {
    for_each_input(path, |_, reader| {
        for line in reader.lines() {
            visit(&line.expect("utf-8 line"));
        }
        Ok(())
    })
    .expect("readable input");
}

#[test]
fn bybit_spot_dump_gaps_match_an_independent_count() {
    let Some(path) = shared("bybit/1INCHUSDT_2025-05-19.csv") else {
        return;
    };
    let key = InstrumentKey::new("bybit-spot", "1INCHUSDT", MarketKind::Spot);
    let mut collected = CollectedEvents::new();
    let slot = collected.instrument(&key);
    let mut header = true;
    lines(&path, |line| {
        if std::mem::take(&mut header) {
            return;
        }
        // id,timestamp(ms),price,volume,side,rpi
        let fields: Vec<&str> = line.split(',').collect();
        let ts = UnixNanos::from_millis(fields[1].parse().unwrap());
        let aggressor = match fields[4] {
            "buy" => AggressorSide::Buy,
            "sell" => AggressorSide::Sell,
            _ => AggressorSide::Unknown,
        };
        collected.event(
            slot,
            MarketEvent::Trade(Trade {
                ts_event: ts,
                ts_recv: ts,
                price: Price::from_decimal_str(fields[2]).unwrap(),
                size: Quantity::from_decimal_str(fields[3]).unwrap(),
                aggressor,
                trade_id: TradeId::from_venue_str(fields[0]),
            }),
        );
    });

    // Python: 6,682 trades in order, unique ids; one gap > 10 min, 813.046 s from
    // 1747689135138 ms; buy volume 1088360.31, sell 1124502.71.
    let report = validate_collected(&collected, &ValidationSettings::default());
    let trades = report.stream(&key, StreamKind::Trade).unwrap();
    assert_eq!(trades.events, 6_682);
    assert_eq!(
        trades.first_ts_recv,
        Some(UnixNanos::from_millis(1_747_612_836_878))
    );
    assert_eq!(
        trades.last_ts_recv,
        Some(UnixNanos::from_millis(1_747_699_165_968))
    );
    assert_eq!(trades.out_of_order_ts_recv, 0);
    assert_eq!(trades.trade_ids.as_ref().unwrap().duplicates, 0);
    assert_eq!(trades.trade_ids.as_ref().unwrap().evicted_ranges, 0);
    assert_eq!(trades.gaps.len(), 1);
    assert_eq!(
        trades.gaps[0].start,
        UnixNanos::from_millis(1_747_689_135_138)
    );
    assert_eq!(trades.gaps[0].duration_nanos, 813_046 * NANOS_PER_MILLI);
    let coverage = trades.aggressor.as_ref().unwrap();
    assert_eq!(coverage.buy_volume.to_string(), "1088360.31");
    assert_eq!(coverage.sell_volume.to_string(), "1124502.71");
    assert_eq!(coverage.given_volume_share, Some(1.0));
    assert_eq!(report.issues_count(), 1);

    // The README's figure for this thin market: 436 gaps longer than one minute.
    let minute = ValidationSettings::with_gap_threshold_nanos(NANOS_PER_MINUTE);
    let report = validate_collected(&collected, &minute);
    assert_eq!(
        report.stream(&key, StreamKind::Trade).unwrap().gaps.len(),
        436
    );
}

/// bitFlyer writes some sizes in scientific notation (`2E-7`, `1.2E-7`: 146 rows over
/// 2018-01-21/22); exact: mantissa 1.2 = raw 1_200_000_000, / 10^7 = raw 120 = 0.00000012.
fn bitflyer_size(text: &str) -> Option<Quantity> {
    let Some((mantissa, exponent)) = text.split_once(['E', 'e']) else {
        return Quantity::from_decimal_str(text).ok();
    };
    let raw = Quantity::from_decimal_str(mantissa).ok()?.raw();
    let exponent: i32 = exponent.parse().ok()?;
    let scale = 10_i128.checked_pow(exponent.unsigned_abs())?;
    let value = if exponent < 0 {
        (raw % scale == 0).then(|| raw / scale)?
    } else {
        raw.checked_mul(scale)?
    };
    Some(Quantity::from_raw(value))
}

/// Minimal bitFlyer execution row parser: `(id, exec_date, side, price, size, loaded)`.
fn bitflyer_trade(line: &str) -> Result<Trade, &'static str> {
    let fields: Vec<&str> = line
        .split(',')
        .map(|field| field.trim_matches('"'))
        .collect();
    let stamp = |text: &str| -> Result<UnixNanos, &'static str> {
        let parsed = chrono::DateTime::parse_from_rfc3339(text).map_err(|_| "bad timestamp")?;
        parsed
            .timestamp_nanos_opt()
            .map(UnixNanos)
            .ok_or("timestamp out of range")
    };
    if fields[4].is_empty() {
        return Err("blank exec_date");
    }
    Ok(Trade {
        ts_event: stamp(fields[4])?,
        ts_recv: stamp(fields[2])?,
        price: Price::from_decimal_str(fields[6]).map_err(|_| "bad price")?,
        size: bitflyer_size(fields[7]).ok_or("bad size")?,
        aggressor: match fields[5] {
            "BUY" => AggressorSide::Buy,
            "SELL" => AggressorSide::Sell,
            _ => AggressorSide::Unknown,
        },
        trade_id: TradeId::from_venue_str(fields[3]),
    })
}

#[test]
fn two_bitflyer_days_through_a_validating_sink() {
    let days = ["20180121", "20180122"];
    let paths: Option<Vec<PathBuf>> = days
        .iter()
        .map(|day| shared(&format!("bitflyer/bitflyer.execution.{day}.BTC_JPY.csv.gz")))
        .collect();
    let Some(paths) = paths else {
        return;
    };
    let key = InstrumentKey::new("bitflyer", "BTC_JPY", MarketKind::Spot);
    let mut stored = CollectedEvents::new();
    let mut sink = ValidatingSink::new(&mut stored, ValidationSettings::default());
    let slot = sink.instrument(&key);
    for path in &paths {
        let source = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut number = 0;
        lines(path, |line| {
            number += 1;
            if number == 1 {
                return;
            }
            match bitflyer_trade(line) {
                Ok(trade) => sink.event(slot, MarketEvent::Trade(trade)),
                Err(reason) => sink.quarantine(QuarantinedRow::new(
                    &source,
                    number,
                    reason,
                    line.as_bytes(),
                )),
            }
        });
    }
    let report = sink.finish();
    assert_eq!(stored.events.len(), 332_058);

    // Python over the same rows (ts_recv = `loaded`, ts_event = `exec_date`): 1,085 blank
    // exec_dates; ts_recv in order; 179,380 ts_event steps back (descending batches); 96 ids
    // repeated across the day boundary; two maintenance gaps of 755.42 s and 752.104 s; 29
    // trades without a side, 1.39384809 BTC.
    let trades = report.stream(&key, StreamKind::Trade).unwrap();
    assert_eq!(trades.events, 332_058);
    assert_eq!(trades.out_of_order_ts_recv, 0);
    assert_eq!(trades.out_of_order_ts_event, 179_380);
    let ids = trades.trade_ids.as_ref().unwrap();
    assert_eq!(ids.duplicates, 96);
    println!("bitFlyer trade-id ranges evicted: {}", ids.evicted_ranges);
    let gaps: Vec<i64> = trades.gaps.iter().map(|gap| gap.duration_nanos).collect();
    assert_eq!(gaps, [755_420 * NANOS_PER_MILLI, 752_104 * NANOS_PER_MILLI]);
    assert_eq!(
        trades.first_ts_recv,
        Some(UnixNanos(1_516_460_412_289_000_000))
    );
    assert_eq!(
        trades.last_ts_recv,
        Some(UnixNanos(1_516_633_179_287_000_000))
    );
    let coverage = trades.aggressor.as_ref().unwrap();
    assert_eq!(coverage.unknown_trades, 29);
    assert_eq!(coverage.unknown_volume.to_string(), "1.39384809");
    assert_eq!(coverage.buy_volume.to_string(), "16901.65086988");
    assert_eq!(coverage.sell_volume.to_string(), "19283.46962426");
    assert_eq!(report.quarantine.total, 1_085);
    assert_eq!(report.quarantine.by_reason["blank exec_date"], 1_085);
    // 179,380 + 96 + 2 gaps + 1,085 quarantined rows.
    assert_eq!(report.issues_count(), 179_380 + 96 + 2 + 1_085);
    assert_eq!(bitflyer_size("1.2E-7"), Some(Quantity::from_raw(120)));
    let text = report.to_string();
    assert!(text.contains("12m 35.420s"), "{text}");
    println!("{text}");
}

/// Depth rows of one Binance capture's `@depth` messages (one row per level, `LAST` on the
/// final row), in file order. `skip` drops the message with that 0-based index.
fn binance_depth(path: &Path, futures: bool, skip: Option<usize>) -> Vec<BookDelta> {
    let mut rows = Vec::new();
    let mut message_index = 0;
    lines(path, |line| {
        let Some((stamp, json)) = line.split_once(' ') else {
            return;
        };
        if !json.contains("@depth") {
            return;
        }
        let envelope: serde_json::Value = serde_json::from_str(json).unwrap();
        let data = &envelope["data"];
        let index = message_index;
        message_index += 1;
        if skip == Some(index) {
            return;
        }
        let ts_recv = UnixNanos(stamp.parse().unwrap());
        let id = |name: &str| data[name].as_u64().unwrap_or(0);
        let mut levels = Vec::new();
        for (side, name) in [(BookSide::Bid, "b"), (BookSide::Ask, "a")] {
            for level in data[name].as_array().unwrap() {
                levels.push((side, level[0].as_str().unwrap(), level[1].as_str().unwrap()));
            }
        }
        let count = levels.len();
        for (position, (side, price, size)) in levels.into_iter().enumerate() {
            rows.push(BookDelta {
                ts_event: UnixNanos::from_millis(data["E"].as_i64().unwrap()),
                ts_recv,
                side,
                price: Price::from_decimal_str(price).unwrap(),
                size: Quantity::from_decimal_str(size).unwrap(),
                first_update_id: id("U"),
                last_update_id: id("u"),
                prev_update_id: if futures { id("pu") } else { 0 },
                flags: DeltaFlags(if position + 1 == count {
                    DeltaFlags::LAST
                } else {
                    0
                }),
            });
        }
    });
    rows
}

fn validate_depth(
    venue: &str,
    symbol: &str,
    rows: &[BookDelta],
) -> auction_trader_data::validate::StreamReport {
    let key = InstrumentKey::new(venue, symbol, MarketKind::Perpetual);
    let mut validator = Validator::default();
    let slot = validator.instrument(&key);
    assert_eq!(slot, InstrumentSlot(0));
    for row in rows {
        validator.check(slot, &MarketEvent::Depth(*row));
    }
    validator
        .finish()
        .stream(&key, StreamKind::Depth)
        .unwrap()
        .clone()
}

#[test]
fn binance_futures_depth_capture_has_no_sequence_break() {
    let Some(path) = shared("binance/usdm_btcusdt_20240808.gz") else {
        return;
    };
    // Python: 6,551 depth messages, 443,521 levels, every pu equal to the previous u.
    let rows = binance_depth(&path, true, None);
    assert_eq!(rows.len(), 443_521);
    let depth = validate_depth("binance-usdm", "BTCUSDT", &rows);
    let sequence = depth.sequence.as_ref().unwrap();
    assert_eq!(sequence.rule, SequenceRule::BinanceFutures);
    assert_eq!(
        (sequence.messages, sequence.checked, sequence.breaks),
        (6_551, 6_550, 0)
    );
    assert_eq!(
        (
            depth.negative_prices,
            depth.zero_prices,
            depth.out_of_order_ts_recv
        ),
        (0, 0, 0)
    );

    // Dropping message 100 breaks the chain exactly once.
    let rows = binance_depth(&path, true, Some(100));
    let depth = validate_depth("binance-usdm", "BTCUSDT", &rows);
    let sequence = depth.sequence.as_ref().unwrap();
    assert_eq!((sequence.messages, sequence.breaks), (6_550, 1));
}

#[test]
fn binance_spot_depth_capture_has_no_sequence_break() {
    let (Some(first), Some(second)) = (
        shared("binance/spot_btcusdt_20240808.gz"),
        shared("binance/spot_btcusdt_20240809.gz"),
    ) else {
        return;
    };
    // Python: 6,495 depth@100ms messages over both files, every U equal to the previous u + 1.
    let mut rows = binance_depth(&first, false, None);
    rows.extend(binance_depth(&second, false, None));
    let depth = validate_depth("binance-spot", "BTCUSDT", &rows);
    let sequence = depth.sequence.as_ref().unwrap();
    assert_eq!(sequence.rule, SequenceRule::BinanceSpot);
    assert_eq!(
        (sequence.messages, sequence.checked, sequence.breaks),
        (6_495, 6_494, 0)
    );
    assert!(depth.gaps.is_empty());
}

/// Throughput figure (run: `cargo test --release -p auction-trader-data --test validate
/// throughput -- --ignored --nocapture`): the USD-M depth capture's 443,521 rows replayed 10
/// times end to end (each copy shifted by the capture's span) plus one synthetic trade per row.
#[test]
#[ignore = "benchmark"]
#[allow(clippy::disallowed_methods)] // Benchmarks read the wall clock (STYLE 3 opt-out).
fn throughput() {
    let Some(path) = shared("binance/usdm_btcusdt_20240808.gz") else {
        return;
    };
    let rows = binance_depth(&path, true, None);
    let span = rows.last().unwrap().ts_recv.as_i64() - rows[0].ts_recv.as_i64() + 1;
    let mut events = Vec::with_capacity(rows.len() * 20);
    for copy in 0..10_i64 {
        for (index, row) in rows.iter().enumerate() {
            let shifted = MarketEvent::Depth(*row).shifted(copy * span);
            events.push(shifted);
            events.push(MarketEvent::Trade(Trade {
                ts_event: shifted.ts_event(),
                ts_recv: shifted.ts_recv(),
                price: row.price,
                size: Quantity::from_raw(1_000_000),
                aggressor: AggressorSide::Buy,
                trade_id: TradeId((copy as u64) * 1_000_000 + index as u64 + 1),
            }));
        }
    }
    let key = InstrumentKey::new("binance-usdm", "BTCUSDT", MarketKind::Perpetual);
    let mut validator = Validator::default();
    let slot = validator.instrument(&key);
    let started = std::time::Instant::now();
    for event in &events {
        validator.check(slot, event);
    }
    let report = validator.finish();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "validated {} events in {seconds:.3} s = {:.1} M events/s ({} sequence breaks)",
        events.len(),
        events.len() as f64 / seconds / 1e6,
        report
            .stream(&key, StreamKind::Depth)
            .unwrap()
            .sequence
            .as_ref()
            .unwrap()
            .breaks
    );
}
