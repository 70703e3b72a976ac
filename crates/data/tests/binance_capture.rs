//! Integration tests of the Binance capture importer over the real captures in
//! `shared/data/binance` and `shared/data/cryptofeed` (skipped when the data is absent).

use std::io::Read;
use std::path::{Path, PathBuf};

use auction_trader_data::import::binance_capture::{
    CaptureImporter, CaptureOptions, import_capture_files,
};
use auction_trader_data::{CollectedEvents, InstrumentSlot};
use auction_trader_types::{DeltaFlags, MarketEvent, StreamKind};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");

fn data_file(relative: &str) -> Option<PathBuf> {
    let path = Path::new(DATA).join(relative);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("SKIP: {} is absent", path.display());
        None
    }
}

fn decompressed(path: &Path) -> Vec<u8> {
    let raw = std::fs::read(path).expect("read");
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut text = Vec::new();
        flate2::read::MultiGzDecoder::new(raw.as_slice())
            .read_to_end(&mut text)
            .expect("inflate");
        text
    } else {
        raw
    }
}

/// An independent count: lines containing `needle` (what `zcat f | grep -c needle` prints).
fn count_lines(text: &[u8], needle: &str) -> u64 {
    text.split(|&byte| byte == b'\n')
        .filter(|line| {
            line.windows(needle.len())
                .any(|window| window == needle.as_bytes())
        })
        .count() as u64
}

/// Independent count of depth rows: one per `["p","q"]` pair, one for a message without any.
fn count_depth_rows(text: &[u8]) -> u64 {
    text.split(|&byte| byte == b'\n')
        .filter(|line| {
            let line = String::from_utf8_lossy(line);
            line.contains("\"depthUpdate\"") || line.contains("{\"lastUpdateId\"")
        })
        .map(|line| {
            let line = String::from_utf8_lossy(line);
            let pairs = line.matches("[\"").count() as u64;
            pairs.max(1)
        })
        .sum()
}

struct Expected {
    trades: u64,
    quotes: u64,
    depth_messages: u64,
    snapshots: u64,
    depth_rows: u64,
}

fn expected_counts(paths: &[PathBuf]) -> Expected {
    let mut expected = Expected {
        trades: 0,
        quotes: 0,
        depth_messages: 0,
        snapshots: 0,
        depth_rows: 0,
    };
    for path in paths {
        let text = decompressed(path);
        expected.trades += count_lines(&text, "@trade\"");
        expected.quotes += count_lines(&text, "@bookTicker\"");
        expected.depth_messages += count_lines(&text, "\"depthUpdate\"");
        expected.snapshots += count_lines(&text, "{\"lastUpdateId\"");
        expected.depth_rows += count_depth_rows(&text);
    }
    expected
}

fn check_capture(files: &[&str], venue: &str, symbol: &str) {
    let Some(paths) = files
        .iter()
        .map(|file| data_file(&format!("binance/{file}")))
        .collect::<Option<Vec<_>>>()
    else {
        return;
    };
    let expected = expected_counts(&paths);
    let mut sink = CollectedEvents::new();
    let summary =
        import_capture_files(&paths, &CaptureOptions::default(), &mut sink).expect("import");

    assert_eq!(summary.quarantined, 0, "{:?}", sink.quarantined.first());
    assert!(sink.quarantined.is_empty());
    assert_eq!(sink.instruments.len(), 1, "{:?}", sink.instruments);
    assert_eq!(sink.instruments[0].venue, venue);
    assert_eq!(sink.instruments[0].symbol, symbol);
    assert_eq!(summary.events, sink.events.len() as u64);

    assert_eq!(
        sink.count_of_kind(StreamKind::Trade) as u64,
        expected.trades
    );
    assert_eq!(
        sink.count_of_kind(StreamKind::Quote) as u64,
        expected.quotes
    );
    assert_eq!(
        sink.count_of_kind(StreamKind::Depth) as u64,
        expected.depth_rows
    );
    let depth_messages = sink
        .events
        .iter()
        .filter(|tagged| {
            matches!(tagged.event, MarketEvent::Depth(row)
                if row.flags.is_last() && !row.flags.is_snapshot())
        })
        .count() as u64;
    let snapshots = sink
        .events
        .iter()
        .filter(|tagged| {
            matches!(tagged.event, MarketEvent::Depth(row)
                if row.flags.is_clear() && row.flags.is_snapshot())
        })
        .count() as u64;
    assert_eq!(depth_messages, expected.depth_messages);
    assert_eq!(snapshots, expected.snapshots);

    // Local receive times are monotonic in source order, per stream and overall.
    let slot = InstrumentSlot(0);
    for kind in [StreamKind::Trade, StreamKind::Quote, StreamKind::Depth] {
        let times: Vec<_> = sink.of_kind(slot, kind).map(MarketEvent::ts_recv).collect();
        assert!(
            times.windows(2).all(|pair| pair[0] <= pair[1]),
            "{kind:?} ts_recv"
        );
    }
    let all: Vec<_> = sink
        .events
        .iter()
        .map(|tagged| tagged.event.ts_recv())
        .collect();
    assert!(
        all.windows(2).all(|pair| pair[0] <= pair[1]),
        "ts_recv overall"
    );
    // Trade exchange times are monotonic too (trade ids increase with T).
    let trade_times: Vec<_> = sink
        .of_kind(slot, StreamKind::Trade)
        .map(MarketEvent::ts_event)
        .collect();
    assert!(
        trade_times.windows(2).all(|pair| pair[0] <= pair[1]),
        "trade ts_event"
    );

    eprintln!(
        "{files:?}: {} events, trades {} quotes {} depth rows {} (messages {}, snapshots {}), \
         warnings {:?}",
        summary.events,
        expected.trades,
        expected.quotes,
        expected.depth_rows,
        expected.depth_messages,
        expected.snapshots,
        sink.warnings
    );
}

#[test]
fn usdm_btcusdt_20240808() {
    check_capture(&["usdm_btcusdt_20240808.gz"], "binance-usdm", "BTCUSDT");
}

#[test]
fn usdm_ethusdt_20240808() {
    check_capture(&["usdm_ethusdt_20240808.gz"], "binance-usdm", "ETHUSDT");
}

#[test]
fn usdm_btcusdt_20240718_and_19_as_one_capture() {
    check_capture(
        &["usdm_btcusdt_20240718.gz", "usdm_btcusdt_20240719.gz"],
        "binance-usdm",
        "BTCUSDT",
    );
}

#[test]
fn spot_btcusdt_20240808_and_09_as_one_capture() {
    check_capture(
        &["spot_btcusdt_20240808.gz", "spot_btcusdt_20240809.gz"],
        "binance-spot",
        "BTCUSDT",
    );
}

#[test]
fn spot_btcusdt_20230405_microsecond_capture() {
    check_capture(&["spot_btcusdt_20230405.dat.gz"], "binance-spot", "BTCUSDT");
}

#[test]
fn coinm_btcusd_perp_20240808_and_09_as_one_capture() {
    check_capture(
        &["cm_btcusd_perp_20240808.gz", "cm_btcusd_perp_20240809.gz"],
        "binance-coinm",
        "BTCUSD_PERP",
    );
}

#[test]
fn usdm_btcusdt_20240808_has_the_readme_figures() {
    let Some(path) = data_file("binance/usdm_btcusdt_20240808.gz") else {
        return;
    };
    let mut sink = CollectedEvents::new();
    let mut importer = CaptureImporter::new(&CaptureOptions::default()).unwrap();
    importer.read_path(&path, &mut sink).unwrap();
    let stats = importer.stats();
    // README: trade 21k, bookTicker 66k, depth 6.5k, one snapshot (exact: grep -c).
    assert_eq!(stats.trades, 21_313);
    assert_eq!(stats.book_tickers, 66_089);
    assert_eq!(stats.depth_updates, 6_551);
    assert_eq!(stats.snapshots, 1);
    assert_eq!(stats.skipped_total(), 0);
    // The first line: `1723161255030314667 {"stream":"btcusdt@depth@0ms","data":{"e":
    // "depthUpdate","E":1723161256299,"T":1723161256298,...,"U":5123107832006,
    // "u":5123107837557,"pu":5123107831937,"b":[["58710.20","0.014"],...`
    let MarketEvent::Depth(first) = sink.events[0].event else {
        panic!("first event is not depth");
    };
    assert_eq!(first.ts_recv.as_i64(), 1_723_161_255_030_314_667);
    assert_eq!(first.ts_event.as_i64(), 1_723_161_256_299 * 1_000_000);
    assert_eq!(first.first_update_id, 5_123_107_832_006);
    assert_eq!(first.last_update_id, 5_123_107_837_557);
    assert_eq!(first.prev_update_id, 5_123_107_831_937);
    assert_eq!(first.price.raw(), 58_710_200_000_000);
    assert_eq!(first.size.raw(), 14_000_000);
    assert_eq!(first.flags, DeltaFlags::default());
    // The snapshot: 1000 bids and 1000 asks under lastUpdateId 5123107852948.
    let snapshot: Vec<_> = sink
        .events
        .iter()
        .filter_map(|tagged| match tagged.event {
            MarketEvent::Depth(row) if row.flags.is_snapshot() => Some(row),
            _ => None,
        })
        .collect();
    assert_eq!(snapshot.len(), 2000);
    assert!(
        snapshot
            .iter()
            .all(|row| row.last_update_id == 5_123_107_852_948)
    );
    assert!(snapshot[0].flags.is_clear() && !snapshot[1].flags.is_clear());
    assert!(snapshot[1999].flags.is_last());
    assert_eq!(snapshot[0].price.raw(), 61_800_200_000_000);
    assert_eq!(snapshot[0].ts_event.as_i64(), 1_723_161_256_501 * 1_000_000);
}

#[test]
fn cryptofeed_futures_sample() {
    let Some(path) = data_file("cryptofeed/BINANCE_FUTURES.ws.1.0.txt") else {
        return;
    };
    let text = decompressed(&path);
    let mut sink = CollectedEvents::new();
    let mut importer = CaptureImporter::new(&CaptureOptions::default()).unwrap();
    importer.read_path(&path, &mut sink).unwrap();
    let stats = importer.stats().clone();
    assert!(
        sink.quarantined.is_empty(),
        "{:?}",
        sink.quarantined.first()
    );
    assert_eq!(stats.metadata_lines, 1);
    assert_eq!(stats.agg_trades, count_lines(&text, "\"e\":\"aggTrade\""));
    assert_eq!(
        stats.book_tickers,
        count_lines(&text, "\"e\":\"bookTicker\"")
    );
    assert_eq!(
        stats.depth_updates,
        count_lines(&text, "\"e\":\"depthUpdate\"")
    );
    let closed = count_lines(&text, "\"x\":true");
    assert_eq!(stats.klines, closed);
    assert_eq!(
        stats.skipped_of("kline (open bar)"),
        count_lines(&text, "\"e\":\"kline\"") - closed
    );
    assert_eq!(sink.count_of_kind(StreamKind::Bar) as u64, closed);
    // Four symbols, all USD-M (the header names fstream.binance.com).
    assert_eq!(sink.instruments.len(), 4);
    assert!(
        sink.instruments
            .iter()
            .all(|key| key.venue == "binance-usdm")
    );
    // `1626992741.06217: {...bookTicker...}`: fractional seconds to exact nanoseconds.
    let first_quote = sink
        .events
        .iter()
        .find_map(|tagged| match tagged.event {
            MarketEvent::Quote(quote) => Some(quote),
            _ => None,
        })
        .unwrap();
    assert_eq!(first_quote.ts_recv.as_i64(), 1_626_992_741_062_170_000);
    assert_eq!(first_quote.ts_event.as_i64(), 1_626_992_741_012_000_000);
    assert_eq!(first_quote.bid_price.raw(), 7_611_000_000);
}

/// A sink that only counts: measures the importer, not the consumer.
#[derive(Debug, Default)]
struct CountingSink {
    events: u64,
    checksum: i64,
}

impl auction_trader_data::EventSink for CountingSink {
    fn instrument(&mut self, _key: &auction_trader_types::InstrumentKey) -> InstrumentSlot {
        InstrumentSlot(0)
    }

    fn event(&mut self, _instrument: InstrumentSlot, event: MarketEvent) {
        self.events += 1;
        self.checksum = self.checksum.wrapping_add(event.ts_recv().as_i64());
    }

    fn quarantine(&mut self, _row: auction_trader_data::QuarantinedRow) {}

    fn warn(&mut self, _message: String) {}
}

/// Throughput figures (run in release: `cargo test --release -p auction-trader-data --test
/// binance_capture -- --ignored --nocapture throughput`).
#[test]
#[ignore = "benchmark: run explicitly in release"]
#[allow(clippy::disallowed_methods)] // benches opt out of the injected clock
fn throughput() {
    use auction_trader_data::import::binance_capture::import_capture_bytes;
    use std::time::Instant;

    // CAPTURE_BENCH_ROUNDS / CAPTURE_BENCH_FILE narrow the run (e.g. one round under callgrind).
    let rounds: usize = std::env::var("CAPTURE_BENCH_ROUNDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(20);
    let only = std::env::var("CAPTURE_BENCH_FILE").ok();
    for file in [
        "usdm_btcusdt_20240808.gz",
        "spot_btcusdt_20240809.gz",
        "cm_btcusd_perp_20240808.gz",
    ] {
        if only.as_deref().is_some_and(|name| name != file) {
            continue;
        }
        // CAPTURE_BENCH_PATH: any capture file instead (e.g. one message type only).
        let path = match std::env::var("CAPTURE_BENCH_PATH") {
            Ok(path) => PathBuf::from(path),
            Err(_) => match data_file(&format!("binance/{file}")) {
                Some(path) => path,
                None => continue,
            },
        };
        let text = decompressed(&path);
        let messages = count_lines(&text, "{") as f64;
        let mut best = f64::MAX;
        let mut events = 0;
        for _ in 0..rounds {
            let mut sink = CountingSink::default();
            let start = Instant::now();
            import_capture_bytes(&text, file, &CaptureOptions::default(), &mut sink)
                .expect("parse");
            best = best.min(start.elapsed().as_secs_f64());
            events = sink.events;
        }
        let mut best_inflate = f64::MAX;
        for _ in 0..rounds.div_ceil(4) {
            let mut sink = CountingSink::default();
            let start = Instant::now();
            import_capture_files(&[&path], &CaptureOptions::default(), &mut sink).expect("import");
            best_inflate = best_inflate.min(start.elapsed().as_secs_f64());
        }
        eprintln!(
            "{file}: {messages} messages, {events} events, {:.1} MB: parse only {:.2} M msg/s \
             ({:.0} MB/s, {:.1} M events/s); inflate+parse {:.2} M msg/s",
            text.len() as f64 / 1e6,
            messages / best / 1e6,
            text.len() as f64 / best / 1e6,
            events as f64 / best / 1e6,
            messages / best_inflate / 1e6
        );
    }
}
