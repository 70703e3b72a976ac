//! Several sources covering the same day (e.g. two capture files spanning midnight): merged
//! by ts_recv with ties in source-name order then row order, exact duplicates skipped.

use auction_trader_data::store::{PartitionFilter, TickStore};
use auction_trader_storage::ParquetStore;
use auction_trader_types::{MarketEvent, StreamKind, UnixNanos};

use crate::common::{DAY, btcusdt, read_all, trade};

fn import(store: &ParquetStore, source: &str, events: &[MarketEvent]) {
    let mut writer = store.begin_import(source).unwrap();
    let slot = writer.instrument(&btcusdt());
    for event in events {
        writer.event(slot, *event);
    }
    writer.commit(Default::default()).unwrap();
}

#[test]
fn overlapping_sources_merge_stably_without_duplicates() {
    let directory = tempfile::tempdir().unwrap();
    let store = ParquetStore::open(directory.path()).unwrap();
    // Source "b" is imported first: the tie order must follow source NAMES, not import order.
    let b = [
        trade(DAY + 3, 3, 50),
        trade(DAY + 3, 30, 51),
        trade(DAY + 5, 5, 50),
    ];
    let a = [
        trade(DAY + 1, 1, 50),
        trade(DAY + 2, 2, 50),
        trade(DAY + 3, 3, 50),
        trade(DAY + 4, 4, 50),
    ];
    import(&store, "capture-b", &b);
    import(&store, "capture-a", &a);
    // t=3: trade 3 is in both (a's copy wins, b's is skipped); b's trade 30 follows a's rows.
    let expected = vec![
        trade(DAY + 1, 1, 50),
        trade(DAY + 2, 2, 50),
        trade(DAY + 3, 3, 50),
        trade(DAY + 3, 30, 51),
        trade(DAY + 4, 4, 50),
        trade(DAY + 5, 5, 50),
    ];
    assert_eq!(read_all(&store, &btcusdt(), StreamKind::Trade), expected);
    let mut stream = store
        .stream(&btcusdt(), StreamKind::Trade, UnixNanos(0), UnixNanos::MAX)
        .unwrap();
    assert_eq!(stream.by_ref().count(), 6);
    assert_eq!(stream.duplicates_skipped(), 1);
    let partitions = store.partitions(&PartitionFilter::default()).unwrap();
    assert_eq!(partitions.len(), 1);
    // The catalog counts stored rows (4 + 3), not the merged stream.
    assert_eq!((partitions[0].files, partitions[0].rows), (2, 7));
    assert_eq!(
        (partitions[0].first_ts_recv, partitions[0].last_ts_recv),
        (UnixNanos(DAY + 1), UnixNanos(DAY + 5))
    );
}
