//! Real-data integration tests of the CSV-family importers over /work/shared/data (each test
//! skips with a note when its file is absent): counts computed independently from the files,
//! zero unexpected quarantines, and time-ordered output.

use std::path::{Path, PathBuf};

use auction_trader_data::import::bars_csv::{self, OhlcvOptions};
use auction_trader_data::import::binance_archive::{self, ArchiveOptions};
use auction_trader_data::import::bybit::{self, BybitOptions};
use auction_trader_data::import::generic_csv::{self, CsvMapping};
use auction_trader_data::import::tardis::{self, TardisOptions};
use auction_trader_data::input::read_all;
use auction_trader_data::{CollectedEvents, ImportSummary};
use auction_trader_types::{
    AggressorSide, DeltaFlags, InstrumentKey, MarketEvent, MarketKind, StreamKind, UnixNanos,
};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");

fn shared(relative: &str) -> Option<PathBuf> {
    let path = Path::new(DATA).join(relative);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("note: {} is absent: test skipped", path.display());
        None
    }
}

/// Data lines (header excluded) of a text file, counted by plain splitting.
fn data_lines(path: &Path) -> u64 {
    let content = read_all(path).expect("readable file");
    content
        .split(|&byte| byte == b'\n')
        .skip(1)
        .filter(|line| !line.is_empty())
        .count() as u64
}

/// Non-empty `*.price` cells of a Tardis book snapshot file: the expected level rows.
fn snapshot_levels(path: &Path) -> u64 {
    let content = String::from_utf8(read_all(path).expect("readable file")).expect("UTF-8");
    let mut lines = content.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    lines
        .map(|line| {
            line.split(',')
                .zip(&header)
                .filter(|(value, name)| name.ends_with(".price") && !value.is_empty())
                .count() as u64
        })
        .sum()
}

fn assert_time_ordered(sink: &CollectedEvents) {
    let mut previous = UnixNanos(i64::MIN);
    for tagged in &sink.events {
        let stamp = tagged.event.ts_recv();
        assert!(
            stamp >= previous,
            "ts_recv went back from {previous} to {stamp}"
        );
        previous = stamp;
    }
}

fn assert_clean(name: &str, sink: &CollectedEvents, summary: &ImportSummary, expected_events: u64) {
    assert!(
        sink.quarantined.is_empty(),
        "{name}: {:?}",
        sink.quarantined.first()
    );
    assert_eq!(summary.events, expected_events, "{name}");
    assert_eq!(summary.events, sink.events.len() as u64, "{name}");
    assert_time_ordered(sink);
}

#[test]
fn tardis_samples_import_cleanly() {
    let files = [
        (
            "tardis/binance-futures_BTCUSDT_trades_2020-02-22_sample.csv",
            StreamKind::Trade,
        ),
        (
            "tardis/binance-futures_BTCUSDT_quotes_2020-02-22_sample.csv",
            StreamKind::Quote,
        ),
        ("tardis/bitmex_trades_XBTUSD.csv", StreamKind::Trade),
        ("tardis/huobi-dm-swap_quotes_BTC-USD.csv", StreamKind::Quote),
        (
            "tardis/deribit_incremental_book_L2_BTC-PERPETUAL.csv",
            StreamKind::Depth,
        ),
        (
            "tardis/binance-futures_BTCUSDT_book_snapshot_25_2020-09-01_sample.csv",
            StreamKind::Depth,
        ),
        (
            "tardis/binance-futures_book_snapshot_5_BTCUSDT.csv",
            StreamKind::Depth,
        ),
    ];
    for (relative, kind) in files {
        let Some(path) = shared(relative) else {
            continue;
        };
        let mut sink = CollectedEvents::new();
        let summary = tardis::import_file(&path, &TardisOptions::default(), &mut sink).unwrap();
        let rows = data_lines(&path);
        let expected = if relative.contains("book_snapshot") {
            snapshot_levels(&path)
        } else {
            rows
        };
        assert_clean(relative, &sink, &summary, expected);
        assert_eq!(summary.records_read, rows + 1, "{relative}");
        assert_eq!(sink.count_of_kind(kind), expected as usize, "{relative}");
        assert_eq!(sink.instruments.len(), 1, "{relative}");
        assert_eq!(
            sink.instruments[0].market,
            MarketKind::Perpetual,
            "{relative}"
        );
        if kind == StreamKind::Depth {
            let flags: Vec<DeltaFlags> = sink
                .events
                .iter()
                .map(|tagged| match tagged.event {
                    MarketEvent::Depth(delta) => delta.flags,
                    _ => unreachable!(),
                })
                .collect();
            assert!(flags[0].is_snapshot() && flags[0].is_clear(), "{relative}");
            assert!(flags[flags.len() - 1].is_last(), "{relative}");
            let messages = flags.iter().filter(|flag| flag.is_last()).count() as u64;
            let clears = flags.iter().filter(|flag| flag.is_clear()).count() as u64;
            if relative.contains("book_snapshot") {
                // One full snapshot message per row.
                assert_eq!((messages, clears), (rows, rows), "{relative}");
            } else {
                // Deribit sample: 15 snapshot rows at one local time = one message.
                assert_eq!((messages, clears), (1, 1), "{relative}");
            }
        }
        eprintln!("{relative}: {} events", summary.events);
    }
}

#[test]
fn tardis_trades_keep_both_clocks_and_sides() {
    let Some(path) = shared("tardis/binance-futures_BTCUSDT_trades_2020-02-22_sample.csv") else {
        return;
    };
    let mut sink = CollectedEvents::new();
    tardis::import_file(&path, &TardisOptions::default(), &mut sink).unwrap();
    let MarketEvent::Trade(first) = sink.events[0].event else {
        panic!("trade expected")
    };
    // First row: 1582329602111000 µs exchange, 1582329602418379 µs local, id 42377944, buy.
    assert_eq!(first.ts_event, UnixNanos(1_582_329_602_111_000_000));
    assert_eq!(first.ts_recv, UnixNanos(1_582_329_602_418_379_000));
    assert_eq!(first.trade_id.0, 42_377_944);
    assert_eq!(first.aggressor, AggressorSide::Buy);
    let last = sink.events.last().unwrap().event.ts_recv();
    // README: 9,999 trades over 2 h 06 min: 1582337147.852384 − 1582329602.418379 s
    // = 7545.434005 s = 125.76 min.
    assert_eq!(last.as_i64() - first.ts_recv.as_i64(), 7_545_434_005_000);
}

#[test]
fn generic_csv_reads_the_tardis_trades_with_detected_microseconds() {
    let Some(path) = shared("tardis/binance-futures_BTCUSDT_trades_2020-02-22_sample.csv") else {
        return;
    };
    let mapping = CsvMapping::new("timestamp", "price", "amount")
        .with_receive_timestamp("local_timestamp")
        .with_side("side")
        .with_id("id");
    let key = InstrumentKey::new("binance-futures", "BTCUSDT", MarketKind::Perpetual);
    let mut generic = CollectedEvents::new();
    let summary = generic_csv::import_trade_files(&[&path], &mapping, &key, &mut generic).unwrap();
    assert_clean(
        "generic tardis trades",
        &generic,
        &summary,
        data_lines(&path),
    );
    assert!(generic.warnings.is_empty(), "{:?}", generic.warnings);
    // The generic path and the Tardis importer agree event for event.
    let mut dedicated = CollectedEvents::new();
    tardis::import_file(&path, &TardisOptions::default(), &mut dedicated).unwrap();
    let events = |sink: &CollectedEvents| {
        sink.events
            .iter()
            .map(|tagged| tagged.event)
            .collect::<Vec<_>>()
    };
    assert_eq!(events(&generic), events(&dedicated));
}

#[test]
fn generic_csv_reads_freqtrade_trades_by_epoch_or_iso_column() {
    let Some(path) = shared("freqtrade/orderflow_public_trades_list.csv") else {
        return;
    };
    let key = InstrumentKey::new("binance-usdm", "ETHUSDT", MarketKind::Perpetual);
    let mut by_epoch = CollectedEvents::new();
    let mapping = CsvMapping::new("timestamp", "price", "amount")
        .with_side("side")
        .with_id("id");
    let summary = generic_csv::import_trade_files(&[&path], &mapping, &key, &mut by_epoch).unwrap();
    assert_clean(
        "freqtrade by epoch ms",
        &by_epoch,
        &summary,
        data_lines(&path),
    );
    // `date` is ISO-8601 with a space, microseconds and +00:00: the same instants.
    let mut by_iso = CollectedEvents::new();
    let mapping = CsvMapping::new("date", "price", "amount")
        .with_side("side")
        .with_id("id");
    let summary = generic_csv::import_trade_files(&[&path], &mapping, &key, &mut by_iso).unwrap();
    assert_clean(
        "freqtrade by ISO date",
        &by_iso,
        &summary,
        data_lines(&path),
    );
    let events = |sink: &CollectedEvents| {
        sink.events
            .iter()
            .map(|tagged| tagged.event)
            .collect::<Vec<_>>()
    };
    assert_eq!(events(&by_epoch), events(&by_iso));
}

#[test]
fn binance_t_depth_files_group_into_messages() {
    for (relative, snapshot) in [
        (
            "nautilus/binance_usdm_btcusdt_depth_snapshot_20221102.csv",
            true,
        ),
        (
            "nautilus/binance_usdm_btcusdt_depth_updates_20221102.csv",
            false,
        ),
    ] {
        let Some(path) = shared(relative) else {
            continue;
        };
        let mut sink = CollectedEvents::new();
        let summary =
            binance_archive::import_file(&path, &ArchiveOptions::default(), &mut sink).unwrap();
        assert_clean(relative, &sink, &summary, data_lines(&path));
        assert_eq!(
            sink.instruments[0],
            InstrumentKey::new("binance-usdm", "BTCUSDT", MarketKind::Perpetual)
        );
        assert!(sink.warnings.is_empty(), "{:?}", sink.warnings);
        let rows: Vec<_> = sink
            .events
            .iter()
            .map(|tagged| match tagged.event {
                MarketEvent::Depth(delta) => delta,
                _ => unreachable!(),
            })
            .collect();
        // Each file holds one message (all rows share first/last update ids).
        assert_eq!(rows.iter().filter(|row| row.flags.is_last()).count(), 1);
        assert!(rows.last().unwrap().flags.is_last());
        assert_eq!(rows[0].flags.is_clear(), snapshot);
        assert!(rows.iter().all(|row| row.flags.is_snapshot() == snapshot));
        if !snapshot {
            assert_eq!(rows[0].prev_update_id, 2_098_041_693_400);
            assert_eq!(rows[0].first_update_id, 2_098_041_693_435);
            assert_eq!(rows[0].last_update_id, 2_098_041_696_700);
        }
    }
}

#[test]
fn bybit_spot_dump_imports_cleanly() {
    let Some(path) = shared("bybit/1INCHUSDT_2025-05-19.csv") else {
        return;
    };
    let mut sink = CollectedEvents::new();
    let summary = bybit::import_file(&path, &BybitOptions::default(), &mut sink).unwrap();
    assert_clean("bybit spot", &sink, &summary, data_lines(&path));
    assert_eq!(
        sink.instruments[0],
        InstrumentKey::new("bybit-spot", "1INCHUSDT", MarketKind::Spot)
    );
    let content = String::from_utf8(read_all(&path).unwrap()).unwrap();
    let expected_buys = content
        .lines()
        .filter(|line| line.contains(",buy,"))
        .count();
    let buys = sink
        .events
        .iter()
        .filter(|tagged| matches!(tagged.event, MarketEvent::Trade(trade) if trade.aggressor == AggressorSide::Buy))
        .count();
    assert_eq!(buys, expected_buys);
    // The thin market spans the whole UTC day of 2025-05-19.
    assert_eq!(sink.events[0].event.ts_recv().date_string(), "2025-05-19");
}

#[test]
fn lean_zips_import_as_bars_and_quotes() {
    let files = [
        (
            "lean/crypto_binance_minute_btcbusd_20221213_trade.zip",
            "binance-spot",
            "BTCBUSD",
        ),
        (
            "lean/crypto_bybit_minute_btcusdt_20221213_trade.zip",
            "bybit-spot",
            "BTCUSDT",
        ),
        (
            "lean/cryptofuture_binance_minute_btcusd_20221213_trade.zip",
            "binance-coinm",
            "BTCUSD_PERP",
        ),
        (
            "lean/cryptofuture_bybit_minute_btcusdt_20221213_trade.zip",
            "bybit-linear",
            "BTCUSDT",
        ),
        (
            "lean/cryptofuture_bybit_minute_btcusdt_20221213_quote.zip",
            "bybit-linear",
            "BTCUSDT",
        ),
    ];
    for (relative, venue, symbol) in files {
        let Some(path) = shared(relative) else {
            continue;
        };
        let mut sink = CollectedEvents::new();
        let summary = bars_csv::import_lean_file(&path, &mut sink).unwrap();
        let rows = read_all(&path)
            .unwrap()
            .split(|&byte| byte == b'\n')
            .filter(|line| !line.is_empty())
            .count() as u64;
        assert_clean(relative, &sink, &summary, rows);
        assert_eq!(
            (
                sink.instruments[0].venue.as_str(),
                sink.instruments[0].symbol.as_str()
            ),
            (venue, symbol)
        );
        let kind = if relative.contains("quote") {
            StreamKind::Quote
        } else {
            StreamKind::Bar
        };
        assert_eq!(sink.count_of_kind(kind), rows as usize, "{relative}");
        let first = sink.events[0].event;
        // Every file starts with the bar opening at 2022-12-13 00:00 UTC, known at 00:01.
        assert_eq!(
            first.ts_recv().to_string(),
            "2022-12-13T00:01:00.000000000Z",
            "{relative}"
        );
    }
}

#[test]
fn nautilus_minute_bars_import_cleanly() {
    let Some(path) = shared("nautilus/btc-perp_1m_20211231-20220201.csv") else {
        return;
    };
    let key = InstrumentKey::new("ftx", "BTC-PERP", MarketKind::Perpetual);
    let mut sink = CollectedEvents::new();
    let summary =
        bars_csv::import_ohlcv_file(&path, &key, &OhlcvOptions::default(), &mut sink).unwrap();
    assert_clean("nautilus 1m bars", &sink, &summary, data_lines(&path));
    assert_eq!(summary.events, 45_031);
    let MarketEvent::Bar(first) = sink.events[0].event else {
        panic!("bar expected")
    };
    assert_eq!(first.ts_open.to_string(), "2021-12-31T23:01:00.000000000Z");
    assert_eq!(first.ts_event.to_string(), "2021-12-31T23:02:00.000000000Z");
}

#[test]
fn every_real_csv_fuzzed_by_truncation_never_panics() {
    // Cut real files at arbitrary byte offsets: importers must quarantine or error, never panic.
    let Some(path) = shared("tardis/deribit_incremental_book_L2_BTC-PERPETUAL.csv") else {
        return;
    };
    let content = read_all(&path).unwrap();
    for cut in (0..content.len()).step_by(7) {
        let mut sink = CollectedEvents::new();
        let _ = tardis::import_reader(
            &mut &content[..cut],
            "cut.csv",
            &TardisOptions::default(),
            &mut sink,
        );
    }
}

/// Parse throughput of the Tardis and generic paths over the real trades sample repeated 100
/// times in memory (about 1 M rows; the repetition is stated with the figure):
/// `cargo test --release -p auction-trader-data --test csv_importers -- --ignored --nocapture`.
#[test]
#[ignore = "benchmark: run explicitly in release"]
#[allow(clippy::disallowed_methods)] // a benchmark reads the wall clock (STYLE 3 opt-out)
fn throughput_of_tardis_and_generic_trades() {
    let Some(path) = shared("tardis/binance-futures_BTCUSDT_trades_2020-02-22_sample.csv") else {
        return;
    };
    let content = read_all(&path).unwrap();
    let header_end = content.iter().position(|&byte| byte == b'\n').unwrap() + 1;
    let mut big = content[..header_end].to_vec();
    for _ in 0..100 {
        big.extend_from_slice(&content[header_end..]);
    }
    let rows = 100 * data_lines(&path);
    let time = |label: &str, run: &mut dyn FnMut() -> u64| {
        let mut best = std::time::Duration::MAX;
        let mut events = 0;
        for _ in 0..3 {
            let started = std::time::Instant::now();
            events = run();
            best = best.min(started.elapsed());
        }
        eprintln!(
            "{label}: {rows} rows ({:.1} MB) in {:.3} s = {:.2} M rows/s; {events} events",
            big.len() as f64 / 1e6,
            best.as_secs_f64(),
            rows as f64 / best.as_secs_f64() / 1e6
        );
    };
    time("tardis trades (sample x100)", &mut || {
        let mut sink = CollectedEvents::new();
        tardis::import_reader(
            &mut big.as_slice(),
            "trades.csv",
            &TardisOptions::default(),
            &mut sink,
        )
        .unwrap()
        .events
    });
    let key = InstrumentKey::new("binance-futures", "BTCUSDT", MarketKind::Perpetual);
    // Ids repeat 100 times here, so de-duplication is off; sorting is on (the copies overlap).
    let mut mapping = CsvMapping::new("timestamp", "price", "amount")
        .with_side("side")
        .with_id("id");
    mapping.dedup_on_id = false;
    time("generic csv, detect + sort (sample x100)", &mut || {
        let mut sink = CollectedEvents::new();
        generic_csv::import_trades(&mut big.as_slice(), "trades.csv", &mapping, &key, &mut sink)
            .unwrap()
            .events
    });
}
