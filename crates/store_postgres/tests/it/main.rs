//! The PostgreSQL store against the embedded one on real captures: the same files imported
//! into both replay the same events in the same order (so the same digest and dump), the
//! content-keyed source rules hold, and an abandoned import leaves nothing.
//!
//! These tests need a local PostgreSQL 15 (`scripts/install-postgres.sh`); they are ignored
//! in the default `cargo test` and run by the "postgres" stage of `scripts/test.sh`
//! (`cargo test -p auction-trader-store-postgres -- --ignored`). Each test starts its own
//! throwaway server (`auction_trader_testkit::postgres::LocalPostgres`).
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::PathBuf;

use auction_trader_data::ImportSummary;
use auction_trader_data::import::format::ImportOptions;
use auction_trader_data::replay::ReplayMerge;
use auction_trader_data::store::{PartitionFilter, TickStore};
use auction_trader_data::store_replay::ReplaySelection;
use auction_trader_storage::{ParquetStore, SourceStore, import_job, plan_jobs};
use auction_trader_store_postgres::{PgStore, PgStoreError, TimeLayout};
use auction_trader_testkit::postgres::LocalPostgres;
use auction_trader_testkit::shared_data;
use auction_trader_types::{InstrumentKey, MarketEvent, MarketKind, StreamKind, UnixNanos};

fn server() -> LocalPostgres {
    LocalPostgres::start().expect("a local PostgreSQL starts (scripts/install-postgres.sh)")
}

/// Imports `files` (planned into jobs as the CLI does) into `store`.
fn import(store: &dyn SourceStore, files: &[PathBuf]) -> Vec<u64> {
    let options = ImportOptions::default();
    plan_jobs(files, None, &options)
        .expect("jobs plan")
        .iter()
        .map(|job| {
            import_job(store, job, &options)
                .expect("job imports")
                .report
                .rows_written
        })
        .collect()
}

/// Every stored stream replayed: (stream id, event) in replay order.
fn replay(store: &dyn TickStore) -> Vec<(u32, MarketEvent)> {
    let replay = ReplayMerge::from_store(store, &ReplaySelection::default()).expect("replay opens");
    replay
        .merge
        .map(|item| {
            let item = item.expect("event reads");
            (item.stream.0, item.event)
        })
        .collect()
}

fn assert_same_store(parquet: &ParquetStore, postgres: &PgStore) {
    let filter = PartitionFilter::default();
    assert_eq!(
        postgres.partitions(&filter).unwrap(),
        parquet.partitions(&filter).unwrap(),
        "catalogs differ"
    );
    let expected = replay(parquet);
    let got = replay(postgres);
    assert!(!expected.is_empty());
    assert_eq!(got.len(), expected.len());
    for (index, (left, right)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(left, right, "event {index} differs");
    }
}

#[test]
#[ignore = "needs PostgreSQL 15: scripts/test.sh runs it in its postgres stage"]
fn shared_captures_replay_identically_from_postgres_and_parquet() {
    let files: Vec<PathBuf> = [
        "binance/usdm_btcusdt_20240808.gz",
        "binance/spot_btcusdt_20240808.gz",
        // Two consecutive days of one capture: one job, one source, two day partitions.
        "binance/cm_btcusd_perp_20240808.gz",
        "binance/cm_btcusd_perp_20240809.gz",
        "bybit/1INCHUSDT_2025-05-19.csv",
        "tardis/binance-futures_BTCUSDT_trades_2020-02-22_sample.csv",
        "tardis/deribit_incremental_book_L2_BTC-PERPETUAL.csv",
    ]
    .iter()
    .map(|relative| shared_data(relative))
    .collect::<Option<_>>()
    .unwrap_or_default();
    if files.is_empty() {
        return;
    }
    let server = server();
    let postgres = PgStore::open_url(server.url()).unwrap();
    assert_eq!(postgres.layout(), TimeLayout::Partitioned);
    let directory = tempfile::tempdir().unwrap();
    let parquet = ParquetStore::open(directory.path()).unwrap();
    assert_eq!(import(&postgres, &files), import(&parquet, &files));
    assert_same_store(&parquet, &postgres);
    // Importing the same files again changes nothing on either side.
    assert!(import(&postgres, &files).iter().all(|rows| *rows == 0));
    assert_eq!(postgres.sources().unwrap(), parquet.sources().unwrap());
    // Reopening finds the layout recorded at creation.
    let reopened = PgStore::open_url(server.url()).unwrap();
    assert_same_store(&parquet, &reopened);
}

#[test]
#[ignore = "needs PostgreSQL 15: scripts/test.sh runs it in its postgres stage"]
fn a_job_covering_a_stored_source_replaces_it() {
    let (Some(first), Some(second)) = (
        shared_data("binance/cm_btcusd_perp_20240808.gz"),
        shared_data("binance/cm_btcusd_perp_20240809.gz"),
    ) else {
        return;
    };
    let server = server();
    let postgres = PgStore::open_url(server.url()).unwrap();
    let directory = tempfile::tempdir().unwrap();
    let parquet = ParquetStore::open(directory.path()).unwrap();
    for store in [&postgres as &dyn SourceStore, &parquet] {
        import(store, std::slice::from_ref(&first));
        import(store, &[first.clone(), second.clone()]);
    }
    let sources = postgres.sources().unwrap();
    assert_eq!(
        sources.len(),
        1,
        "the two-file job replaced the one-file source"
    );
    assert_eq!(sources, parquet.sources().unwrap());
    assert_same_store(&parquet, &postgres);
}

fn trade(ts: i64, id: u64, price: i64) -> MarketEvent {
    MarketEvent::Trade(auction_trader_types::Trade {
        ts_event: UnixNanos(ts),
        ts_recv: UnixNanos(ts),
        price: auction_trader_types::Price::from_raw(price),
        size: auction_trader_types::Quantity::from_raw(12_000_000_000_000_000_001),
        aggressor: auction_trader_types::AggressorSide::Sell,
        trade_id: auction_trader_types::TradeId(id),
    })
}

/// Writes `events` under the source name `source` through the `TickStore` import API.
fn write(store: &dyn TickStore, source: &str, key: &InstrumentKey, events: &[MarketEvent]) {
    let mut writer = store.begin_import(source).unwrap();
    let slot = writer.instrument(key);
    for event in events {
        writer.event(slot, *event);
    }
    writer
        .commit(ImportSummary {
            events: events.len() as u64,
            ..ImportSummary::default()
        })
        .unwrap();
}

#[test]
#[ignore = "needs PostgreSQL 15: scripts/test.sh runs it in its postgres stage"]
fn overlapping_sources_merge_and_skip_duplicates_like_the_embedded_store() {
    let server = server();
    let postgres = PgStore::open_url(server.url()).unwrap();
    let directory = tempfile::tempdir().unwrap();
    let parquet = ParquetStore::open(directory.path()).unwrap();
    let key = InstrumentKey::new("test", "PEPEUSDT", MarketKind::Perpetual);
    let day = 86_400_000_000_000_i64;
    // Source "b": out of order, crossing midnight, with a repeated trade; source "a" (read
    // first at equal ts_recv) overlaps it with one copy of trade 2 and its own trade 9.
    let later = [
        trade(day + 5, 3, 30),
        trade(day - 1, 1, 10),
        trade(day + 2, 2, 20),
        trade(day + 2, 2, 20),
        trade(day + 2, 0, 21),
        trade(u64::MAX as i64 & i64::MAX, u64::MAX, -7),
    ];
    let earlier = [
        trade(day + 2, 2, 20),
        trade(day + 2, 9, 25),
        trade(day + 2, 0, 21),
    ];
    for store in [&postgres as &dyn TickStore, &parquet] {
        write(store, "b", &key, &later);
        write(store, "a", &key, &earlier);
    }
    assert_same_store(&parquet, &postgres);
    // Two sources, two days plus the far future: rows per partition add up.
    let partitions = postgres.partitions(&PartitionFilter::default()).unwrap();
    assert_eq!(partitions.iter().map(|p| p.rows).sum::<u64>(), 9);
    // A range read is bounded on both ends (inclusive).
    let ranged: Vec<MarketEvent> = postgres
        .read_stream(&key, StreamKind::Trade, UnixNanos(day), UnixNanos(day + 2))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let stamps: Vec<i64> = ranged.iter().map(|event| event.ts_recv().0 - day).collect();
    // At day+2: a's trade 2 (b's first copy is its duplicate, b's second is kept), a's 9,
    // a's id-0 row (b's equal row is its duplicate), then b's second trade 2.
    assert_eq!(stamps, vec![2, 2, 2, 2]);
}

#[test]
#[ignore = "needs PostgreSQL 15: scripts/test.sh runs it in its postgres stage"]
fn an_abandoned_import_leaves_nothing() {
    let server = server();
    let postgres = PgStore::open_url(server.url()).unwrap();
    let key = InstrumentKey::new("test", "BTCUSDT", MarketKind::Perpetual);
    {
        let mut writer = postgres.begin_import("dropped").unwrap();
        let slot = writer.instrument(&key);
        for index in 0..250_000 {
            // More than one COPY batch, so rows did reach the server before the drop.
            writer.event(slot, trade(1_000 + index, index as u64 + 1, 100));
        }
        writer.abort();
    }
    assert!(
        postgres
            .partitions(&PartitionFilter::default())
            .unwrap()
            .is_empty()
    );
    assert!(postgres.sources().unwrap().is_empty());
    assert_eq!(
        postgres
            .read_stream(&key, StreamKind::Trade, UnixNanos(i64::MIN), UnixNanos::MAX)
            .unwrap()
            .count(),
        0
    );
}

/// Writes `count` trades one nanosecond apart under the source name `source`.
fn write_trades(
    store: &PgStore,
    source: &str,
    key: &InstrumentKey,
    count: i64,
) -> Vec<MarketEvent> {
    let events: Vec<MarketEvent> = (0..count)
        .map(|index| trade(1_000 + index, index as u64 + 1, 100))
        .collect();
    write(store, source, key, &events);
    events
}

/// Reader COPYs the server is running now.
fn running_copies(admin: &mut postgres::Client) -> i64 {
    admin
        .query_one(
            "SELECT count(*) FROM pg_stat_activity
             WHERE state = 'active' AND query LIKE 'COPY (SELECT%'",
            &[],
        )
        .unwrap()
        .get(0)
}

#[test]
#[ignore = "needs PostgreSQL 15: scripts/test.sh runs it in its postgres stage"]
fn a_stream_dropped_mid_read_stops_its_copy() {
    let server = server();
    let postgres = PgStore::open_url(server.url()).unwrap();
    let key = InstrumentKey::new("test", "BTCUSDT", MarketKind::Perpetual);
    // Far more rows than the reader thread buffers, so the COPY is still running.
    let events = write_trades(&postgres, "many", &key, 300_000);
    let mut stream = postgres
        .stream(&key, StreamKind::Trade, UnixNanos(i64::MIN), UnixNanos::MAX)
        .unwrap();
    assert_eq!(stream.next().unwrap().unwrap(), events[0]);
    drop(stream);
    // The reader thread notices and cancels its COPY on the server.
    let mut admin = postgres::Client::connect(server.url(), postgres::NoTls).unwrap();
    let mut polls = 0;
    while running_copies(&mut admin) > 0 {
        polls += 1;
        assert!(
            polls < 200,
            "the dropped stream's COPY still runs after 20 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // The store reads on, to the end.
    let again = postgres
        .stream(&key, StreamKind::Trade, UnixNanos(i64::MIN), UnixNanos::MAX)
        .unwrap();
    assert_eq!(again.map(Result::unwrap).count(), events.len());
}

#[test]
#[ignore = "needs PostgreSQL 15: scripts/test.sh runs it in its postgres stage"]
fn a_corrupt_row_is_an_error_item_then_the_stream_ends() {
    let server = server();
    let postgres = PgStore::open_url(server.url()).unwrap();
    let key = InstrumentKey::new("test", "BTCUSDT", MarketKind::Perpetual);
    // The first row is read before the bad second one: it comes first, then the error.
    let events = write_trades(&postgres, "three", &key, 3);
    let mut admin = postgres::Client::connect(server.url(), postgres::NoTls).unwrap();
    admin
        .execute(
            "UPDATE auction_trader.trades SET size = 'NaN' WHERE trade_id = 2",
            &[],
        )
        .unwrap();
    let items: Vec<_> = postgres
        .stream(&key, StreamKind::Trade, UnixNanos(i64::MIN), UnixNanos::MAX)
        .unwrap()
        .collect();
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0].as_ref().unwrap(), &events[0]);
    let error = items[1].as_ref().unwrap_err();
    assert!(matches!(error, PgStoreError::Corrupt { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "PostgreSQL table trades: corrupt row: size: numeric NaN or infinity is not a quantity"
    );
}

#[test]
fn an_unreachable_server_is_a_clear_error() {
    // Port 1 on the loopback: nothing listens there.
    let error = PgStore::open_url("postgres://trader@127.0.0.1:1/ticks").unwrap_err();
    assert!(matches!(error, PgStoreError::Connect { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("cannot connect to PostgreSQL at postgres://trader@127.0.0.1:1/ticks")
    );
    assert!(message.contains("is the server running?"), "{message}");
    let error = PgStore::open_url("postgres://127.0.0.1/ticks").unwrap_err();
    assert!(
        matches!(error, PgStoreError::InvalidUrl { .. }),
        "{error:?}"
    );
}
