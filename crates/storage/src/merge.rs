//! K-way merge of sorted runs by `ts_recv` with a stable tie order (run order, then row
//! order), used twice:
//! - on import, to turn an out-of-order source into one sorted part file (an external merge
//!   sort over row groups, several passes when there are more than [`MERGE_FAN_IN`] runs);
//! - on read, to merge the part files of several sources covering the same day, skipping the
//!   exact duplicate rows overlapping sources produce.
//!
//! Memory is one decoded batch per open run.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::ops::Range;
use std::path::PathBuf;

use auction_trader_types::{MarketEvent, StreamKind};

use crate::StorageError;
use crate::columns::EventColumns;
use crate::part_file::{PartWriter, RunReader};
use crate::schema::{self, MAX_COLUMNS, Row};

/// Default most runs merged in one pass (bounds open files and decoded batches).
pub const MERGE_FAN_IN: usize = 64;

/// A sorted run: some consecutive row groups of one file (all of them when `None`).
#[derive(Debug, Clone)]
pub(crate) struct RunSource {
    pub path: PathBuf,
    pub row_groups: Option<Range<usize>>,
}

/// Merges runs lazily; runs earlier in the list win ties.
pub(crate) struct MergedRuns {
    readers: Vec<RunReader>,
    heap: BinaryHeap<Reverse<(i64, usize)>>,
    started: bool,
    failed: bool,
    duplicates: Option<DuplicateFilter>,
}

impl std::fmt::Debug for MergedRuns {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("MergedRuns")
            .field("runs", &self.readers.len())
            .finish()
    }
}

impl MergedRuns {
    /// `skip_duplicates`: drop a row equal to one already emitted at the same `ts_recv` by a
    /// different run (see [`DuplicateFilter`]).
    pub(crate) fn open(
        kind: StreamKind,
        runs: &[RunSource],
        from: i64,
        to: i64,
        skip_duplicates: bool,
    ) -> Result<Self, StorageError> {
        let readers = runs
            .iter()
            .map(|run| RunReader::open(&run.path, kind, run.row_groups.clone(), from, to))
            .collect::<Result<Vec<_>, _>>()?;
        let duplicates = (skip_duplicates && readers.len() > 1).then(DuplicateFilter::default);
        Ok(Self {
            heap: BinaryHeap::with_capacity(readers.len()),
            readers,
            started: false,
            failed: false,
            duplicates,
        })
    }

    /// Rows skipped as duplicates so far.
    pub(crate) fn duplicates_skipped(&self) -> u64 {
        self.duplicates.as_ref().map_or(0, |filter| filter.skipped)
    }

    fn push_head(&mut self, run: usize) -> Result<(), StorageError> {
        if let Some(event) = self.readers[run].peek()? {
            self.heap.push(Reverse((event.ts_recv().0, run)));
        }
        Ok(())
    }

    fn next_event(&mut self) -> Result<Option<MarketEvent>, StorageError> {
        if !self.started {
            self.started = true;
            for run in 0..self.readers.len() {
                self.push_head(run)?;
            }
        }
        while let Some(Reverse((_, run))) = self.heap.pop() {
            let Some(event) = self.readers[run].next_event()? else {
                continue;
            };
            self.push_head(run)?;
            if let Some(filter) = &mut self.duplicates
                && filter.is_duplicate(&event, run)
            {
                continue;
            }
            return Ok(Some(event));
        }
        Ok(None)
    }
}

impl Iterator for MergedRuns {
    type Item = Result<MarketEvent, StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.next_event() {
            Ok(event) => event.map(Ok),
            Err(error) => {
                self.failed = true;
                Some(Err(error))
            }
        }
    }
}

/// Skips exact duplicates between runs (sources) at one `ts_recv`: a trade with a venue id
/// is a duplicate of another run's trade with the same id and both timestamps; any other row
/// when every field is equal. Each emitted row absorbs at most one duplicate per other run,
/// so a row a source legitimately holds twice is kept twice.
/// Both backends' read paths use it (the PostgreSQL store orders rows the same way).
#[derive(Debug, Default)]
pub struct DuplicateFilter {
    ts_recv: i64,
    /// Key -> rows emitted at `ts_recv` with that key: (run, runs it absorbed a copy from).
    emitted: BTreeMap<Row, Vec<(usize, Vec<usize>)>>,
    skipped: u64,
}

impl DuplicateFilter {
    fn key(event: &MarketEvent) -> Row {
        let mut row: Row = [0; MAX_COLUMNS];
        schema::encode(event, &mut row);
        if let MarketEvent::Trade(trade) = event
            && trade.trade_id.0 != 0
        {
            // Same trade id and timestamps (SPEC 1.3 duplicate trade ids); the rest is ignored.
            return [
                i128::from(trade.ts_event.0),
                i128::from(trade.ts_recv.0),
                i128::from(trade.trade_id.0),
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
            ];
        }
        row
    }

    /// Rows skipped so far.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Whether `event`, read from `run` (any stable id of its source) in merge order, is a
    /// copy of a row another run already emitted at the same `ts_recv`.
    pub fn is_duplicate(&mut self, event: &MarketEvent, run: usize) -> bool {
        let ts_recv = event.ts_recv().0;
        if ts_recv != self.ts_recv {
            self.emitted.clear();
            self.ts_recv = ts_recv;
        }
        let entries = self.emitted.entry(Self::key(event)).or_default();
        for (owner, absorbed) in entries.iter_mut() {
            if *owner != run && !absorbed.contains(&run) {
                absorbed.push(run);
                self.skipped += 1;
                return true;
            }
        }
        entries.push((run, Vec::new()));
        false
    }
}

/// Merges `runs` (in stable order) into `writer`, in as many passes as a fan-in of
/// `fan_in` runs needs, writing row groups of `row_group_rows`. `scratch` names intermediate
/// files; they are deleted before returning.
pub(crate) fn merge_into(
    kind: StreamKind,
    mut runs: Vec<RunSource>,
    writer: &mut PartWriter,
    scratch: &mut dyn FnMut() -> PathBuf,
    fan_in: usize,
    row_group_rows: usize,
) -> Result<(), StorageError> {
    let fan_in = fan_in.max(2);
    let mut intermediates: Vec<PathBuf> = Vec::new();
    let result = (|| {
        while runs.len() > fan_in {
            let mut next = Vec::with_capacity(runs.len().div_ceil(fan_in));
            for group in runs.chunks(fan_in) {
                let path = scratch();
                intermediates.push(path.clone());
                let mut pass = PartWriter::create(&path, kind, Vec::new(), row_group_rows)?;
                copy_merged(kind, group, &mut pass, row_group_rows)?;
                pass.finish()?;
                next.push(RunSource {
                    path,
                    row_groups: None,
                });
            }
            runs = next;
        }
        copy_merged(kind, &runs, writer, row_group_rows)
    })();
    for path in intermediates {
        // Best effort: scratch files live in the import's staging directory, which is removed
        // as a whole afterwards anyway.
        let _ = std::fs::remove_file(path);
    }
    result
}

fn copy_merged(
    kind: StreamKind,
    runs: &[RunSource],
    writer: &mut PartWriter,
    row_group_rows: usize,
) -> Result<(), StorageError> {
    let mut chunk = EventColumns::new(kind);
    for event in MergedRuns::open(kind, runs, i64::MIN, i64::MAX, false)? {
        chunk.push(&event?);
        if chunk.len() >= row_group_rows {
            writer.write_chunk(&mut chunk)?;
        }
    }
    writer.write_chunk(&mut chunk)
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{AggressorSide, Price, Quantity, Trade, TradeId, UnixNanos};

    use super::*;

    fn trade(ts_recv: i64, id: u64, price: i64) -> MarketEvent {
        MarketEvent::Trade(Trade {
            ts_event: UnixNanos(ts_recv),
            ts_recv: UnixNanos(ts_recv),
            price: Price(price),
            size: Quantity(1),
            aggressor: AggressorSide::Unknown,
            trade_id: TradeId(id),
        })
    }

    #[test]
    fn duplicates_between_runs_are_absorbed_once_per_run() {
        let mut filter = DuplicateFilter::default();
        // t=10: run 0 emits trade 7; run 1's copy is a duplicate (same id and stamps, even
        // with another price); a second copy in run 1 is kept (run 0 had one so far); a
        // second copy in run 0 is then absorbed by it: both sources hold it twice -> 2 kept.
        assert!(!filter.is_duplicate(&trade(10, 7, 100), 0));
        assert!(filter.is_duplicate(&trade(10, 7, 101), 1));
        assert!(!filter.is_duplicate(&trade(10, 7, 100), 1));
        assert!(filter.is_duplicate(&trade(10, 7, 100), 0));
        // t=11: a run repeating a row is never a duplicate of itself.
        assert!(!filter.is_duplicate(&trade(11, 7, 100), 0));
        assert!(!filter.is_duplicate(&trade(11, 7, 100), 0));
        // t=12, id 0 (absent): whole-row equality decides.
        assert!(!filter.is_duplicate(&trade(12, 0, 100), 0));
        assert!(!filter.is_duplicate(&trade(12, 0, 105), 1));
        assert!(filter.is_duplicate(&trade(12, 0, 100), 1));
        assert_eq!(filter.skipped, 3);
    }
}
