//! [`StoredStream`]: the events of one instrument and kind read back in `ts_recv` order, one
//! day at a time. A day with several part files (several sources) is merged by `ts_recv`
//! with ties in source-name order then row order, skipping exact duplicates between sources
//! (SPEC 1.4, SPEC 1.5). Memory: one decoded batch per part file of the current day.

use std::path::PathBuf;

use auction_trader_types::{MarketEvent, StreamKind};

use crate::StorageError;
use crate::merge::{MergedRuns, RunSource};

/// A lazily opened, time-ordered stream over stored partitions.
#[derive(Debug)]
pub struct StoredStream {
    kind: StreamKind,
    /// Part files per day, days ascending, files in source-name order.
    days: std::vec::IntoIter<Vec<PathBuf>>,
    current: Option<MergedRuns>,
    from: i64,
    to: i64,
    duplicates_skipped: u64,
    failed: bool,
}

impl StoredStream {
    pub(crate) fn new(kind: StreamKind, days: Vec<Vec<PathBuf>>, from: i64, to: i64) -> Self {
        Self {
            kind,
            days: days.into_iter(),
            current: None,
            from,
            to,
            duplicates_skipped: 0,
            failed: false,
        }
    }

    /// Rows skipped so far as exact duplicates of another source's rows.
    pub fn duplicates_skipped(&self) -> u64 {
        self.duplicates_skipped
            + self
                .current
                .as_ref()
                .map_or(0, MergedRuns::duplicates_skipped)
    }

    fn next_event(&mut self) -> Result<Option<MarketEvent>, StorageError> {
        loop {
            if let Some(current) = &mut self.current {
                if let Some(event) = current.next().transpose()? {
                    return Ok(Some(event));
                }
                self.duplicates_skipped += current.duplicates_skipped();
                self.current = None;
            }
            let Some(files) = self.days.next() else {
                return Ok(None);
            };
            let runs: Vec<RunSource> = files
                .into_iter()
                .map(|path| RunSource {
                    path,
                    row_groups: None,
                })
                .collect();
            self.current = Some(MergedRuns::open(
                self.kind, &runs, self.from, self.to, true,
            )?);
        }
    }
}

impl Iterator for StoredStream {
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
