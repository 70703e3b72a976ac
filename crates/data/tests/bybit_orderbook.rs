//! Integration tests of the Bybit order-book importer over the real dump in
//! `shared/data/nautilus` and the v5 message shapes in `shared/data/protocol_examples`
//! (skipped when the data is absent).

use std::io::Read;
use std::path::{Path, PathBuf};

use auction_trader_data::CollectedEvents;
use auction_trader_data::import::bybit_orderbook::{
    BybitOrderbookImporter, BybitOrderbookOptions, import_orderbook_file,
};
use auction_trader_types::{BookDelta, BookSide, DeltaFlags, MarketEvent, UnixNanos};

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

fn rows(sink: &CollectedEvents) -> Vec<BookDelta> {
    sink.events
        .iter()
        .filter_map(|tagged| match tagged.event {
            MarketEvent::Depth(row) => Some(row),
            _ => None,
        })
        .collect()
}

/// Independent counts from the raw text: messages per type and `["p","q"]` pairs.
fn independent_counts(path: &Path) -> (u64, u64, u64) {
    let file = std::fs::File::open(path).expect("open");
    let mut archive = zip::ZipArchive::new(file).expect("zip");
    let mut text = String::new();
    archive
        .by_index(0)
        .expect("member")
        .read_to_string(&mut text)
        .expect("read");
    let snapshots = text.matches("\"type\":\"snapshot\"").count() as u64;
    let deltas = text.matches("\"type\":\"delta\"").count() as u64;
    let levels = text.matches("[\"").count() as u64;
    (snapshots, deltas, levels)
}

#[test]
fn xrpusdt_ob500_dump_is_one_snapshot_and_49_deltas() {
    let Some(path) = data_file("nautilus/bybit_linear_XRPUSDT_ob500_2024-12-01.data.zip") else {
        return;
    };
    let (snapshots, deltas, levels) = independent_counts(&path);
    assert_eq!((snapshots, deltas), (1, 49));
    let mut sink = CollectedEvents::new();
    let summary =
        import_orderbook_file(&path, &BybitOrderbookOptions::default(), &mut sink).expect("import");
    assert_eq!(summary.records_read, 50);
    assert_eq!(summary.quarantined, 0, "{:?}", sink.quarantined.first());
    assert_eq!(summary.events, levels);
    assert_eq!(sink.instruments.len(), 1);
    assert_eq!(sink.instruments[0].venue, "bybit-linear");
    assert_eq!(sink.instruments[0].symbol, "XRPUSDT");
    let rows = rows(&sink);
    // 500 bids + 500 asks in the snapshot, the first clears the book.
    let snapshot: Vec<_> = rows.iter().filter(|row| row.flags.is_snapshot()).collect();
    assert_eq!(snapshot.len(), 1000);
    assert!(snapshot[0].flags.is_clear() && snapshot[999].flags.is_last());
    assert_eq!(snapshot[0].side, BookSide::Bid);
    assert_eq!(snapshot[500].side, BookSide::Ask);
    // First line: "u":20254869,"seq":130020238981, ts 1733011200691, cts 1733011200589,
    // best bid ["1.9531","6203"].
    assert_eq!(snapshot[0].last_update_id, 20_254_869);
    assert_eq!(snapshot[0].prev_update_id, 130_020_238_981);
    assert_eq!(snapshot[0].ts_recv, UnixNanos(1_733_011_200_691_000_000));
    assert_eq!(snapshot[0].ts_event, UnixNanos(1_733_011_200_589_000_000));
    assert_eq!(snapshot[0].price.raw(), 1_953_100_000);
    assert_eq!(snapshot[0].size.raw(), 6_203_000_000_000);
    // Update ids advance by one per message; seq and both times never go back.
    let messages: Vec<_> = rows.iter().filter(|row| row.flags.is_last()).collect();
    assert_eq!(messages.len(), 50);
    for pair in messages.windows(2) {
        assert_eq!(pair[1].last_update_id, pair[0].last_update_id + 1);
        assert!(pair[1].prev_update_id > pair[0].prev_update_id);
        assert!(pair[1].ts_recv >= pair[0].ts_recv);
        assert!(pair[1].ts_event >= pair[0].ts_event);
    }
    assert!(rows.iter().all(|row| row.ts_event <= row.ts_recv));
}

#[test]
fn live_v5_orderbook_messages_parse() {
    let (Some(snapshot_path), Some(delta_path)) = (
        data_file("protocol_examples/bybit_ws_orderbook_snapshot.json"),
        data_file("protocol_examples/bybit_ws_orderbook_delta.json"),
    ) else {
        return;
    };
    let mut importer = BybitOrderbookImporter::new(&BybitOrderbookOptions::default()).expect("new");
    let mut sink = CollectedEvents::new();
    for path in [&snapshot_path, &delta_path] {
        let json = std::fs::read(path).expect("read");
        importer.message(&json, &path.display().to_string(), 1, &mut sink);
    }
    assert!(sink.quarantined.is_empty(), "{:?}", sink.quarantined);
    let rows = rows(&sink);
    // Snapshot: 2 bids + 2 asks; delta: 1 bid + 1 ask.
    assert_eq!(rows.len(), 6);
    let flags: Vec<u8> = rows.iter().map(|row| row.flags.0).collect();
    assert_eq!(
        flags,
        [
            DeltaFlags::SNAPSHOT | DeltaFlags::CLEAR,
            DeltaFlags::SNAPSHOT,
            DeltaFlags::SNAPSHOT,
            DeltaFlags::SNAPSHOT | DeltaFlags::LAST,
            0,
            DeltaFlags::LAST
        ]
    );
    // "b": [["27450.00", "0.500"], ...], "u": 123456789, "seq": 987654321, "ts": 1709891679000
    assert_eq!(rows[0].price.raw(), 27_450_000_000_000);
    assert_eq!(rows[0].size.raw(), 500_000_000);
    assert_eq!(rows[0].last_update_id, 123_456_789);
    assert_eq!(rows[0].prev_update_id, 987_654_321);
    assert_eq!(rows[0].ts_event, UnixNanos(1_709_891_679_000_000_000));
    // The delta removes the 27451.00 ask (size "0").
    assert_eq!(rows[5].side, BookSide::Ask);
    assert!(rows[5].size.is_zero());
    assert_eq!(rows[5].last_update_id, 123_456_790);
    assert_eq!(sink.instruments[0].symbol, "BTCUSDT");

    // The other v5 shapes are valid but not order books: skipped, not quarantined.
    for other in [
        "bybit_ws_public_trade.json",
        "bybit_ws_subscription_ack.json",
        "bybit_ws_ticker_linear.json",
    ] {
        let Some(path) = data_file(&format!("protocol_examples/{other}")) else {
            continue;
        };
        let json = std::fs::read(&path).expect("read");
        importer.message(&json, other, 1, &mut sink);
    }
    assert!(sink.quarantined.is_empty(), "{:?}", sink.quarantined);
    assert_eq!(
        importer.stats().skipped.len(),
        3,
        "{:?}",
        importer.stats().skipped
    );
}
