//! Real files from the shared data directory (skipped with a note when absent): the foreign
//! Parquet importers, and two Binance capture files spanning midnight imported as two
//! sources whose day partitions overlap.

use std::path::{Path, PathBuf};

use auction_trader_data::import::binance_capture::{CaptureOptions, import_capture_files};
use auction_trader_data::store::{PartitionFilter, TickStore};
use auction_trader_data::{CollectedEvents, EventSink, ImportSummary};
use auction_trader_storage::foreign::hyperliquid::{HyperliquidOptions, import_hyperliquid_trades};
use auction_trader_storage::foreign::nautilus::{import_nautilus_quotes, import_nautilus_trades};
use auction_trader_storage::{ParquetStore, SourceInfo};
use auction_trader_types::{
    AggressorSide, InstrumentKey, MarketEvent, MarketKind, Price, Quantity, StreamKind, UnixNanos,
};

use crate::common::{read_all, stable_sorted};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/");

fn shared(relative: &str) -> Option<PathBuf> {
    let path = Path::new(SHARED).join(relative);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("SKIP: {} not found", path.display());
        None
    }
}

/// Runs `importer` twice: into memory, and into the store under `source`. Returns the
/// collected events.
fn import_both(
    store: &ParquetStore,
    source: &str,
    importer: &dyn Fn(&mut dyn EventSink) -> ImportSummary,
) -> CollectedEvents {
    let mut collected = CollectedEvents::new();
    let summary = importer(&mut collected);
    let mut writer = store
        .begin_source_import(SourceInfo::named(source))
        .unwrap();
    let again = importer(&mut writer);
    assert_eq!(summary, again);
    let report = writer.commit_import(summary).unwrap();
    assert_eq!(report.rows_written, collected.events.len() as u64);
    collected
}

/// Every (instrument, kind) of `collected` reads back as its stable ts_recv sort.
fn assert_round_trip(store: &ParquetStore, collected: &CollectedEvents) {
    for (index, key) in collected.instruments.iter().enumerate() {
        for kind in StreamKind::ALL {
            let slot = auction_trader_data::InstrumentSlot(index as u32);
            let expected = stable_sorted(collected.of_kind(slot, kind).copied().collect());
            if expected.is_empty() {
                continue;
            }
            // Compare without printing a megabyte of events on failure.
            let stored = read_all(store, key, kind);
            assert_eq!(stored.len(), expected.len(), "{key} {kind:?}");
            assert!(stored == expected, "{key} {kind:?} differs");
        }
    }
}

#[test]
fn hyperliquid_fills_import_and_round_trip() {
    let Some(path) = shared("hyperliquid/BTC_trades_20260126.parquet") else {
        return;
    };
    let directory = tempfile::tempdir().unwrap();
    let store = ParquetStore::open(directory.path()).unwrap();
    let collected = import_both(&store, "BTC_trades_20260126.parquet", &|sink| {
        import_hyperliquid_trades(&path, HyperliquidOptions::default(), sink).unwrap()
    });
    // 684,664 rows, one per counterparty: about half as many trades.
    let trades = collected.events.len();
    assert!(
        collected.quarantined.is_empty(),
        "{:?}",
        collected.quarantined.first()
    );
    assert!((342_000..=343_000).contains(&trades), "{trades} trades");
    eprintln!("hyperliquid: {trades} trades; {:?}", collected.warnings);
    assert_eq!(
        collected.instruments,
        vec![InstrumentKey::new(
            "hyperliquid",
            "BTC",
            MarketKind::Perpetual
        )]
    );
    // First row: naive 2026-01-26T01:59:59.811 local (UTC+2) = 2026-01-25T23:59:59.811Z,
    // price 86637.0, size 0.01154.
    let MarketEvent::Trade(first) = collected.events[0].event else {
        panic!("trade")
    };
    assert_eq!(first.ts_recv.to_string(), "2026-01-25T23:59:59.811000000Z");
    assert_eq!(
        (first.price, first.size),
        (Price(86_637_000_000_000), Quantity(11_540_000))
    );
    assert_eq!(first.aggressor, AggressorSide::Unknown);
    assert_round_trip(&store, &collected);
    let partitions = store.partitions(&PartitionFilter::default()).unwrap();
    assert_eq!(
        partitions
            .iter()
            .map(|partition| partition.rows)
            .sum::<u64>(),
        trades as u64
    );
}

#[test]
fn nautilus_binance_spot_tables_import_and_round_trip() {
    let (Some(trades), Some(quotes)) = (
        shared("nautilus/binance_spot_btcusdt_trades_20210108.parquet"),
        shared("nautilus/binance_spot_btcusdt_quotes_20210108.parquet"),
    ) else {
        return;
    };
    let directory = tempfile::tempdir().unwrap();
    let store = ParquetStore::open(directory.path()).unwrap();
    let key = InstrumentKey::new("binance-spot", "BTCUSDT", MarketKind::Spot);
    let collected_trades = import_both(&store, "nautilus-trades", &|sink| {
        import_nautilus_trades(&trades, &key, sink).unwrap()
    });
    let collected_quotes = import_both(&store, "nautilus-quotes", &|sink| {
        import_nautilus_quotes(&quotes, &key, sink).unwrap()
    });
    assert_eq!(
        (collected_trades.events.len(), collected_quotes.events.len()),
        (2_001, 451)
    );
    assert!(collected_trades.quarantined.is_empty() && collected_quotes.quarantined.is_empty());
    // Row 1: 2021-01-08T00:00:00.278Z, id 553287559, 39432.48 x 0.000263, buyer_maker "True"
    // -> the aggressor sold. Row 3's 0.00031099999999999997 is float noise for 0.000311.
    let MarketEvent::Trade(first) = collected_trades.events[0].event else {
        panic!("trade")
    };
    assert_eq!(first.ts_recv.to_string(), "2021-01-08T00:00:00.278000000Z");
    assert_eq!(
        (first.price, first.size, first.aggressor),
        (
            Price(39_432_480_000_000),
            Quantity(263_000),
            AggressorSide::Sell
        )
    );
    assert_eq!(first.trade_id.0, 553_287_559);
    let MarketEvent::Trade(third) = collected_trades.events[2].event else {
        panic!("trade")
    };
    assert_eq!(
        (third.size, third.aggressor),
        (Quantity(311_000), AggressorSide::Buy)
    );
    assert!(
        collected_trades
            .warnings
            .iter()
            .any(|warning| warning.contains("float noise"))
    );
    let MarketEvent::Quote(quote) = collected_quotes.events[0].event else {
        panic!("quote")
    };
    assert_eq!(
        (quote.bid_price, quote.ask_price),
        (Price(39_432_990_000_000), Price(39_433_620_000_000))
    );
    assert!(!quote.flags.has_exchange_time());
    assert_round_trip(&store, &collected_trades);
    assert_round_trip(&store, &collected_quotes);
}

/// Reference merge of two sources' events of one stream: ts_recv, then source, then row;
/// a row equal (trades: same id and stamps) to an unabsorbed row of the other source at the
/// same ts_recv is dropped.
fn reference_merge(first: Vec<MarketEvent>, second: Vec<MarketEvent>) -> Vec<MarketEvent> {
    let mut tagged: Vec<(usize, MarketEvent)> = first
        .into_iter()
        .map(|event| (0, event))
        .chain(second.into_iter().map(|event| (1, event)))
        .collect();
    tagged.sort_by_key(|(source, event)| (event.ts_recv(), *source));
    let same = |left: &MarketEvent, right: &MarketEvent| match (left, right) {
        (MarketEvent::Trade(a), MarketEvent::Trade(b)) if a.trade_id.0 != 0 => {
            (a.trade_id, a.ts_event, a.ts_recv) == (b.trade_id, b.ts_event, b.ts_recv)
        }
        _ => left == right,
    };
    let mut merged = Vec::new();
    let mut group: Vec<(usize, MarketEvent, bool)> = Vec::new();
    for (source, event) in tagged {
        if group
            .first()
            .is_some_and(|(_, head, _)| head.ts_recv() != event.ts_recv())
        {
            group.clear();
        }
        if let Some(entry) = group
            .iter_mut()
            .find(|(owner, kept, absorbed)| *owner != source && !*absorbed && same(kept, &event))
        {
            entry.2 = true;
            continue;
        }
        group.push((source, event, false));
        merged.push(event);
    }
    merged
}

#[test]
fn two_capture_files_spanning_midnight_merge_by_ts_recv() {
    let (Some(before), Some(after)) = (
        shared("binance/usdm_btcusdt_20240718.gz"),
        shared("binance/usdm_btcusdt_20240719.gz"),
    ) else {
        return;
    };
    let directory = tempfile::tempdir().unwrap();
    let store = ParquetStore::open(directory.path()).unwrap();
    let capture = |path: &Path, sink: &mut dyn EventSink| {
        import_capture_files(&[path], &CaptureOptions::default(), sink).unwrap()
    };
    let first = import_both(&store, "usdm_btcusdt_20240718.gz", &|sink| {
        capture(&before, sink)
    });
    let second = import_both(&store, "usdm_btcusdt_20240719.gz", &|sink| {
        capture(&after, sink)
    });
    // The recorder rotated its files at midnight, so each day has one file here; a second
    // copy of the first file under another name makes every 07-18 row an exact duplicate of
    // another source's row (the overlapping-sources case): the stream must not change.
    let copy = import_both(&store, "usdm_btcusdt_20240718.copy.gz", &|sink| {
        capture(&before, sink)
    });
    let partitions = store.partitions(&PartitionFilter::default()).unwrap();
    assert!(
        partitions
            .iter()
            .all(|partition| partition.files == if partition.date == "2024-07-18" { 2 } else { 1 })
    );
    let mut compared = 0;
    for key in &first.instruments {
        for kind in StreamKind::ALL {
            let of = |collected: &CollectedEvents| -> Vec<MarketEvent> {
                match collected.slot_of(key) {
                    Some(slot) => collected.of_kind(slot, kind).copied().collect(),
                    None => Vec::new(),
                }
            };
            let expected = reference_merge(of(&first), of(&second));
            let mut stream = store
                .stream(key, kind, UnixNanos(i64::MIN), UnixNanos::MAX)
                .unwrap();
            let stored: Vec<MarketEvent> = stream.by_ref().collect::<Result<_, _>>().unwrap();
            assert_eq!(
                stream.duplicates_skipped(),
                of(&copy).len() as u64,
                "{key} {kind:?}"
            );
            assert!(
                stored
                    .windows(2)
                    .all(|pair| pair[0].ts_recv() <= pair[1].ts_recv())
            );
            assert_eq!(stored.len(), expected.len(), "{key} {kind:?}");
            assert!(
                stored == expected,
                "{key} {kind:?} differs from the reference merge"
            );
            compared += stored.len();
        }
    }
    eprintln!(
        "midnight captures: {compared} events compared over {} partitions",
        partitions.len()
    );
    assert!(compared > 50_000);
    // A window across midnight reads both days in order.
    let key = &first.instruments[0];
    let midnight = UnixNanos::from_civil(2024, 7, 19, 0);
    let window: Vec<MarketEvent> = store
        .read_stream(
            key,
            StreamKind::Trade,
            midnight.saturating_sub_nanos(60_000_000_000),
            midnight.saturating_add_nanos(60_000_000_000),
        )
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        window
            .first()
            .is_some_and(|event| event.ts_recv() < midnight)
    );
    assert!(
        window
            .last()
            .is_some_and(|event| event.ts_recv() >= midnight)
    );
}
