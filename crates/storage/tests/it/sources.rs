//! Sources are keyed by content, not by file name: two different `trades.csv` files both stay,
//! the same bytes again replace themselves, and a file stored as part of a group is never
//! stored a second time.

use std::path::Path;

use auction_trader_data::store::{PartitionFilter, TickStore};
use auction_trader_data::{EventSink, ImportSummary, QuarantinedRow};
use auction_trader_storage::{ParquetStore, SourceFile, SourceInfo};
use auction_trader_types::StreamKind;

use crate::common::{DAY, btcusdt, read_all, trade};

/// Writes `content` to `dir/name` and describes it.
fn file(dir: &Path, name: &str, content: &str) -> SourceFile {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    SourceFile::read(&path).unwrap()
}

/// Imports `rows` trades (ids from `first_id`) as the source made of `files`.
fn import(store: &ParquetStore, files: Vec<SourceFile>, first_id: u64, rows: u64) {
    let mut writer = store
        .begin_source_import(SourceInfo::of_files(files))
        .unwrap();
    let slot = writer.instrument(&btcusdt());
    for id in first_id..first_id + rows {
        writer.event(slot, trade(DAY + id as i64 * 1_000, id, 100));
    }
    writer
        .commit_import(ImportSummary {
            records_read: rows,
            events: rows,
            quarantined: 0,
        })
        .unwrap();
}

fn stored_rows(store: &ParquetStore) -> u64 {
    store
        .partitions(&PartitionFilter::default())
        .unwrap()
        .iter()
        .map(|partition| partition.rows)
        .sum()
}

#[test]
fn two_different_files_with_the_same_name_are_both_kept() {
    let directory = tempfile::tempdir().unwrap();
    let store = ParquetStore::open(directory.path().join("data")).unwrap();
    let a = file(&directory.path().join("a"), "trades.csv", "a rows");
    let b = file(&directory.path().join("b"), "trades.csv", "b rows");
    import(&store, vec![a.clone()], 0, 5_000);
    import(&store, vec![b], 10_000, 4_999);
    assert_eq!(stored_rows(&store), 9_999);
    assert_eq!(read_all(&store, &btcusdt(), StreamKind::Trade).len(), 9_999);
    let names: Vec<String> = store
        .sources()
        .unwrap()
        .into_iter()
        .map(|source| source.info.name)
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names[0].ends_with("a/trades.csv") && names[1].ends_with("b/trades.csv"));
    // The same bytes again (under another name) replace themselves: idempotent.
    let again = file(&directory.path().join("c"), "copy.csv", "a rows");
    assert_eq!(again.content_hash, a.content_hash);
    let plan = store.plan_import(std::slice::from_ref(&again)).unwrap();
    assert!(plan.same_content.is_some());
    import(&store, vec![again], 0, 5_000);
    assert_eq!(stored_rows(&store), 9_999);
    assert_eq!(store.sources().unwrap().len(), 2);
}

#[test]
fn a_file_imported_alone_after_its_group_adds_nothing() {
    let directory = tempfile::tempdir().unwrap();
    let store = ParquetStore::open(directory.path().join("data")).unwrap();
    let days: Vec<SourceFile> = (1..=3)
        .map(|day| {
            file(
                directory.path(),
                &format!("day{day}.csv"),
                &format!("day {day}"),
            )
        })
        .collect();
    import(&store, days.clone(), 0, 300);
    let plan = store.plan_import(&days[1..2]).unwrap();
    assert!(plan.files.is_empty(), "{plan:?}");
    assert_eq!(plan.already_stored.len(), 1);
    // A job overlapping the group imports only its new file.
    let day4 = file(directory.path(), "day4.csv", "day 4");
    let plan = store.plan_import(&[days[2].clone(), day4.clone()]).unwrap();
    assert_eq!(plan.files, vec![day4]);
    assert_eq!(stored_rows(&store), 300);
}

#[test]
fn a_group_replaces_the_single_files_it_covers() {
    let directory = tempfile::tempdir().unwrap();
    let store = ParquetStore::open(directory.path().join("data")).unwrap();
    let days: Vec<SourceFile> = (1..=2)
        .map(|day| {
            file(
                directory.path(),
                &format!("day{day}.csv"),
                &format!("day {day}"),
            )
        })
        .collect();
    import(&store, vec![days[1].clone()], 100, 100);
    let plan = store.plan_import(&days).unwrap();
    assert_eq!(plan.files, days);
    assert_eq!(plan.supersedes.len(), 1);
    import(&store, days, 0, 200);
    assert_eq!(stored_rows(&store), 200);
    assert_eq!(store.sources().unwrap().len(), 1);
    assert_eq!(read_all(&store, &btcusdt(), StreamKind::Trade).len(), 200);
}

#[test]
fn quarantined_rows_name_their_file_not_the_job() {
    let directory = tempfile::tempdir().unwrap();
    let store = ParquetStore::open(directory.path().join("data")).unwrap();
    let first = file(directory.path(), "first.csv", "1");
    let second = file(directory.path(), "second.csv", "2");
    let info = SourceInfo::of_files(vec![first, second.clone()]);
    let key = info.key.clone();
    let mut writer = store.begin_source_import(info).unwrap();
    writer.quarantine(QuarantinedRow::new(&second.path, 7, "negative price", b"x"));
    writer.commit_import(ImportSummary::default()).unwrap();
    for selector in [second.path.as_str(), &key[..12]] {
        let rows = store.quarantine_rows(Some(selector)).unwrap();
        assert_eq!(rows.len(), 1, "{selector}");
        assert_eq!(
            (rows[0].file.as_str(), rows[0].line),
            (second.path.as_str(), 7)
        );
        assert!(
            rows[0].source_name.contains("2 files"),
            "{}",
            rows[0].source_name
        );
    }
    assert!(store.quarantine_rows(Some("nothing")).unwrap().is_empty());
    assert_eq!(store.quarantine_rows(None).unwrap().len(), 1);
}
