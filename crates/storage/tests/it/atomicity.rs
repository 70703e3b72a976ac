//! Atomic commit and abort (SPEC 1.3: a failed import never half-writes a partition) and
//! replace-on-reimport.

use auction_trader_data::store::{PartitionFilter, TickStore};
use auction_trader_data::{DataError, EventSink, ImportSummary};
use auction_trader_storage::{ParquetStore, SourceInfo};
use auction_trader_types::{InstrumentKey, MarketKind, StreamKind, UnixNanos};

use crate::common::{DAY, NANOS_PER_DAY, btcusdt, parquet_files, read_all, tiny_tuning, trade};

/// An importer that dies after `rows` events (a corrupt archive member, a full disk, ...).
fn failing_importer(sink: &mut dyn EventSink, rows: i64) -> Result<ImportSummary, DataError> {
    let slot = sink.instrument(&btcusdt());
    for index in 0..rows {
        // Three days of data so several partitions are in flight.
        sink.event(
            slot,
            trade(DAY + index * NANOS_PER_DAY / 20, index as u64, 5),
        );
    }
    Err(DataError::InvalidOption(
        "simulated failure midway".to_owned(),
    ))
}

/// The caller pattern of the CLI: commit on success, abort on failure.
fn import_with(store: &ParquetStore, source: &str, rows: i64) -> Result<(), DataError> {
    let mut writer = store.begin_import(source)?;
    match failing_importer(&mut *writer, rows) {
        Ok(summary) => writer.commit(summary).map(|_| ()),
        Err(error) => {
            writer.abort();
            Err(error)
        }
    }
}

fn assert_nothing_visible(store: &ParquetStore) {
    assert!(
        store
            .partitions(&PartitionFilter::default())
            .unwrap()
            .is_empty()
    );
    assert!(parquet_files(&store.data_dir().join("raw")).is_empty());
    assert!(read_all(store, &btcusdt(), StreamKind::Trade).is_empty());
    assert!(
        std::fs::read_dir(store.data_dir().join("staging"))
            .unwrap()
            .next()
            .is_none()
    );
    assert!(store.sources().unwrap().is_empty());
}

#[test]
fn an_import_failing_midway_leaves_nothing_visible() {
    let directory = tempfile::tempdir().unwrap();
    let store = ParquetStore::open_with(directory.path(), tiny_tuning()).unwrap();
    assert!(import_with(&store, "broken.gz", 57).is_err());
    assert_nothing_visible(&store);
}

#[test]
fn a_writer_dropped_without_commit_leaves_nothing_visible() {
    let directory = tempfile::tempdir().unwrap();
    let store = ParquetStore::open_with(directory.path(), tiny_tuning()).unwrap();
    {
        let mut writer = store.begin_import("dropped.gz").unwrap();
        let _ = failing_importer(&mut *writer, 40);
        // An early return or a panic unwinding past the writer ends up here.
    }
    assert_nothing_visible(&store);
}

#[test]
fn a_writer_side_failure_fails_the_commit_and_leaves_nothing() {
    let directory = tempfile::tempdir().unwrap();
    let store = ParquetStore::open(directory.path()).unwrap();
    let mut writer = store.begin_import("bad-slot").unwrap();
    let slot = writer.instrument(&btcusdt());
    writer.event(slot, trade(DAY, 1, 5));
    // A slot this writer never handed out: the sink records the error, commit reports it.
    writer.event(auction_trader_data::InstrumentSlot(9), trade(DAY + 1, 2, 5));
    let error = writer.commit(ImportSummary::default()).unwrap_err();
    assert!(
        error.to_string().contains("unregistered instrument slot"),
        "{error}"
    );
    assert_nothing_visible(&store);
}

#[test]
fn a_failed_reimport_keeps_the_previous_version() {
    let directory = tempfile::tempdir().unwrap();
    let store = ParquetStore::open_with(directory.path(), tiny_tuning()).unwrap();
    let mut writer = store.begin_import("capture.gz").unwrap();
    let slot = writer.instrument(&btcusdt());
    writer.event(slot, trade(DAY + 5, 1, 100));
    writer.commit(ImportSummary::default()).unwrap();
    assert!(import_with(&store, "capture.gz", 30).is_err());
    assert_eq!(
        read_all(&store, &btcusdt(), StreamKind::Trade),
        vec![trade(DAY + 5, 1, 100)]
    );
}

#[test]
fn reimporting_a_source_replaces_its_parts_and_keeps_other_sources() {
    let directory = tempfile::tempdir().unwrap();
    let store = ParquetStore::open_with(directory.path(), tiny_tuning()).unwrap();
    let key = btcusdt();
    let other = InstrumentKey::new("bybit-linear", "BTCUSDT", MarketKind::Perpetual);
    let import = |source: SourceInfo, key: &InstrumentKey, days: &[i64], price: i64| {
        let mut writer = store.begin_source_import(source).unwrap();
        let slot = writer.instrument(key);
        for (index, day) in days.iter().enumerate() {
            writer.event(
                slot,
                trade(DAY + day * NANOS_PER_DAY + 7, index as u64, price),
            );
        }
        writer
            .commit_import(ImportSummary {
                records_read: days.len() as u64,
                events: days.len() as u64,
                quarantined: 0,
            })
            .unwrap()
    };
    // Version 1 of "a": days 0 and 1. Source "b" (another instrument): day 1.
    import(SourceInfo::named("a"), &key, &[0, 1], 100);
    import(SourceInfo::named("b"), &other, &[1], 300);
    // Version 2 of "a": days 1 and 2 with new prices, recorded with size, hash and time.
    let described = SourceInfo {
        key: "a".to_owned(),
        name: "a".to_owned(),
        size_bytes: Some(1234),
        content_hash: Some("sha256:00".to_owned()),
        imported_at: Some(UnixNanos(42)),
        files: Vec::new(),
    };
    let report = import(described.clone(), &key, &[1, 2], 200);
    assert_eq!((report.partitions_written, report.rows_written), (2, 2));

    let dates: Vec<(String, String)> = store
        .partitions(&PartitionFilter::default())
        .unwrap()
        .into_iter()
        .map(|partition| (partition.instrument.venue, partition.date))
        .collect();
    assert_eq!(
        dates,
        vec![
            ("binance-usdm".to_owned(), "2024-08-09".to_owned()),
            ("binance-usdm".to_owned(), "2024-08-10".to_owned()),
            ("bybit-linear".to_owned(), "2024-08-09".to_owned()),
        ]
    );
    assert_eq!(
        read_all(&store, &key, StreamKind::Trade),
        vec![
            trade(DAY + NANOS_PER_DAY + 7, 0, 200),
            trade(DAY + 2 * NANOS_PER_DAY + 7, 1, 200)
        ]
    );
    assert_eq!(read_all(&store, &other, StreamKind::Trade).len(), 1);
    // The day-0 directory of "a" is gone, not just its catalog row.
    assert_eq!(parquet_files(&directory.path().join("raw")).len(), 3);
    assert!(
        !directory
            .path()
            .join("raw/venue=binance-usdm/symbol=BTCUSDT/market=perp/kind=trades/date=2024-08-08")
            .exists()
    );
    let sources = store.sources().unwrap();
    assert_eq!(sources.len(), 2);
    assert_eq!(sources[0].info, described);
    assert_eq!(
        (
            sources[0].rows_written,
            sources[0].partitions,
            sources[0].summary.records_read
        ),
        (2, 2, 2)
    );
}

#[test]
fn quarantined_rows_and_source_details_are_recorded() {
    let directory = tempfile::tempdir().unwrap();
    let store = ParquetStore::open(directory.path()).unwrap();
    let file = directory.path().join("source.csv");
    std::fs::write(&file, b"a").unwrap();
    let info = SourceInfo::of_file("source.csv", &file)
        .unwrap()
        .with_imported_at(UnixNanos(7));
    // SHA-256 of "a".
    assert_eq!(
        info.content_hash.as_deref(),
        Some("sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb")
    );
    assert_eq!(info.size_bytes, Some(1));
    let mut writer = store.begin_source_import(info).unwrap();
    writer.quarantine(auction_trader_data::QuarantinedRow::new(
        "source.csv",
        3,
        "negative size",
        b"x,-1",
    ));
    writer.warn("ambiguous unit".to_owned());
    writer
        .commit_import(ImportSummary {
            records_read: 3,
            events: 0,
            quarantined: 1,
        })
        .unwrap();
    let rows = store.quarantined("source.csv").unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (
            rows[0].line,
            rows[0].reason.as_str(),
            rows[0].content.as_str()
        ),
        (3, "negative size", "x,-1")
    );
    assert_eq!(
        store.sources().unwrap()[0].info.imported_at,
        Some(UnixNanos(7))
    );
}
