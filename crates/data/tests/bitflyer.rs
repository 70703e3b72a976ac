//! Real-data acceptance of the bitFlyer preset: the eight execution days and their tickers in
//! /work/shared/data/bitflyer (skipped with a note when the data is absent).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use auction_trader_data::import::bitflyer;
use auction_trader_data::input::read_all;
use auction_trader_data::{CollectedEvents, ImportSummary};
use auction_trader_types::{AggressorSide, MarketEvent, UnixNanos};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/bitflyer");

fn files(kind: &str) -> Option<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(DATA)
        .ok()?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.file_name().is_some_and(|name| {
                name.to_string_lossy()
                    .starts_with(&format!("bitflyer.{kind}."))
            })
        })
        .collect();
    paths.sort();
    if paths.is_empty() {
        eprintln!("note: {DATA} has no bitflyer.{kind}.* files: test skipped");
        return None;
    }
    Some(paths)
}

/// An independent count by plain line splitting: (data rows, blank exec_date rows,
/// distinct ids among dated rows).
fn independent_execution_counts(paths: &[PathBuf]) -> (u64, u64, usize) {
    let mut rows = 0;
    let mut blank = 0;
    let mut ids = BTreeSet::new();
    for path in paths {
        let content = read_all(path).expect("readable bitFlyer file");
        for line in content.split(|&byte| byte == b'\n').skip(1) {
            if line.is_empty() {
                continue;
            }
            rows += 1;
            let fields: Vec<&[u8]> = line.split(|&byte| byte == b',').collect();
            if fields[4] == b"\"\"" {
                blank += 1;
            } else {
                ids.insert(fields[3].to_vec());
            }
        }
    }
    (rows, blank, ids.len())
}

#[test]
fn eight_execution_days_import_to_one_ordered_unique_tape() {
    let Some(paths) = files("execution") else {
        return;
    };
    let mut sink = CollectedEvents::new();
    let summary = bitflyer::import_executions(&paths, &mut sink).unwrap();

    let (rows, blank, unique) = independent_execution_counts(&paths);
    let duplicates = rows - blank - unique as u64;
    assert_eq!(
        summary,
        ImportSummary {
            records_read: rows + paths.len() as u64,
            events: unique as u64,
            quarantined: blank + duplicates,
        }
    );
    let blank_quarantined = sink
        .quarantined
        .iter()
        .filter(|row| row.reason == "timestamp: blank timestamp")
        .count() as u64;
    let duplicate_quarantined = sink
        .quarantined
        .iter()
        .filter(|row| row.reason.starts_with("duplicate trade id"))
        .count() as u64;
    assert_eq!(
        (blank_quarantined, duplicate_quarantined),
        (blank, duplicates)
    );
    if paths.len() == 8 {
        // Figures of the shared copy (counted independently with Python's csv module).
        assert_eq!(
            (rows, blank, unique, duplicates),
            (1_049_121, 3_477, 1_045_501, 143)
        );
    }

    let mut previous = UnixNanos(i64::MIN);
    let mut unknown_side = 0;
    let mut ids = BTreeSet::new();
    for tagged in &sink.events {
        let MarketEvent::Trade(trade) = tagged.event else {
            panic!("bitFlyer executions are trades only")
        };
        assert!(
            trade.ts_recv >= previous,
            "time order broken at {}",
            trade.ts_recv
        );
        previous = trade.ts_recv;
        assert!(trade.price.is_positive() && trade.size.is_positive());
        unknown_side += u64::from(trade.aggressor == AggressorSide::Unknown);
        assert!(
            ids.insert(trade.trade_id),
            "duplicate id {:?}",
            trade.trade_id
        );
    }
    if paths.len() == 8 {
        let first = sink.events.first().unwrap().event.ts_recv();
        // README: 2018-01-20 15:00 -> 2018-01-28 15:00 UTC.
        assert_eq!(first.date_string(), "2018-01-20");
        assert_eq!(previous.date_string(), "2018-01-28");
        // README: "a few dozen blank = auction fills" per day (344 in all eight files).
        assert!(unknown_side > 100 && unknown_side < 1_000, "{unknown_side}");
    }
    eprintln!(
        "bitflyer executions: {} files, {rows} rows, {} trades, {blank} blank exec_date, \
         {duplicates} duplicate ids, {unknown_side} unknown side",
        paths.len(),
        summary.events
    );
}

#[test]
fn ticker_days_import_as_ordered_quotes() {
    let Some(paths) = files("ticker") else { return };
    let mut sink = CollectedEvents::new();
    let summary = bitflyer::import_tickers(&paths, &mut sink).unwrap();
    assert_eq!(
        summary.records_read,
        summary.events + summary.quarantined + paths.len() as u64
    );
    let mut previous = UnixNanos(i64::MIN);
    for tagged in &sink.events {
        let MarketEvent::Quote(quote) = tagged.event else {
            panic!("tickers are quotes only")
        };
        assert!(quote.ts_recv >= previous);
        assert!(quote.bid_price.is_positive() && quote.bid_price < quote.ask_price);
        previous = quote.ts_recv;
    }
    // Every quarantined row is explained: venue not running, blank poll time, repeated tick.
    for row in &sink.quarantined {
        assert!(
            row.reason == bitflyer::VENUE_CLOSED
                || row.reason == "timestamp: blank timestamp"
                || row.reason.starts_with("duplicate tick_id"),
            "{row}"
        );
    }
    let closed = sink
        .quarantined
        .iter()
        .filter(|row| row.reason == bitflyer::VENUE_CLOSED)
        .count();
    // Independent: rows whose status is not RUNNING or whose best bid is blank.
    let mut expected_closed = 0;
    for path in &paths {
        let content = read_all(Path::new(path)).unwrap();
        for line in content
            .split(|&byte| byte == b'\n')
            .skip(1)
            .filter(|line| !line.is_empty())
        {
            let fields: Vec<&[u8]> = line.split(|&byte| byte == b',').collect();
            expected_closed += usize::from(fields[3] != b"\"RUNNING\"" || fields[7] == b"\"\"");
        }
    }
    assert_eq!(closed, expected_closed);
    eprintln!(
        "bitflyer tickers: {} quotes, {} quarantined ({closed} venue closed)",
        summary.events, summary.quarantined
    );
}

/// Throughput of the preset: `cargo test --release -p auction-trader-data --test bitflyer --
/// --ignored --nocapture`. Inflate and parse are timed separately.
#[test]
#[ignore = "benchmark: run explicitly in release"]
#[allow(clippy::disallowed_methods)] // a benchmark reads the wall clock (STYLE 3 opt-out)
fn throughput_of_the_execution_preset() {
    use auction_trader_data::import::generic_csv::TradeImport;
    let Some(paths) = files("execution") else {
        return;
    };
    let started = std::time::Instant::now();
    let contents: Vec<Vec<u8>> = paths
        .iter()
        .map(|path| read_all(path).expect("readable"))
        .collect();
    let inflate = started.elapsed();
    let bytes: usize = contents.iter().map(Vec::len).sum();
    let mapping = bitflyer::execution_mapping();
    let instrument = bitflyer::default_instrument();
    let mut best = std::time::Duration::MAX;
    let mut events = 0;
    for _ in 0..3 {
        let mut sink = CollectedEvents::new();
        let started = std::time::Instant::now();
        let mut job = TradeImport::new(&mapping, &instrument);
        for (path, content) in paths.iter().zip(&contents) {
            job.read(&mut content.as_slice(), &path.to_string_lossy(), &mut sink)
                .expect("import");
        }
        events = job.finish(&mut sink).events;
        best = best.min(started.elapsed());
    }
    let rows: usize = contents
        .iter()
        .map(|content| content.iter().filter(|&&byte| byte == b'\n').count())
        .sum();
    eprintln!(
        "bitflyer executions: {rows} rows, {:.1} MB decompressed; inflate {:.2} s; \
         parse+sort+dedup {:.3} s = {:.2} M rows/s ({:.0} MB/s); {events} trades",
        bytes as f64 / 1e6,
        inflate.as_secs_f64(),
        best.as_secs_f64(),
        rows as f64 / best.as_secs_f64() / 1e6,
        bytes as f64 / best.as_secs_f64() / 1e6,
    );
}
