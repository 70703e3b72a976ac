//! The raw journal (SPEC 7 state): everything the session received, in the order it was
//! processed, as gzip-compressed JSON lines under `raw/<YYYY-MM-DD>/` of the data directory,
//! one file per (generation, process start, UTC hour). Besides market events it holds the
//! control changes and clock advances at the position they took effect, and in live mode the
//! venue's execution reports where the engine took them, so a replay of the journal through a
//! fresh engine reproduces the session exactly (the restart's catch-up).
//!
//! Durability against a killed process: the writer flushes (a gzip sync flush, written to the
//! OS) before every execution.db write and at least once per second, so every order and fill
//! in execution.db has its causes in the journal. A torn last line is ignored on reading.
//! Retention: files older than `retention_hours` are purged once per UTC day (48 h default).

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use auction_trader_types::{ExecutionReport, MarketEvent, UnixNanos};
use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};

use crate::LiveError;

/// The journal folder in the data directory.
pub const RAW_DIR: &str = "raw";

const NANOS_PER_HOUR: i64 = 3_600_000_000_000;

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JournalEntry {
    /// A market event, as the engine saw it.
    Event(MarketEvent),
    /// Trading was enabled or disabled before the next event.
    Control { enabled: bool },
    /// The clock moved without an event (a live timer).
    Advance { ts: UnixNanos },
    /// The feed rebuilt its book or lost its connection. `quote_break`: quotes may have been
    /// missed here (a disconnect), so the book check pairs no quote across it.
    Feed {
        ts: UnixNanos,
        note: String,
        #[serde(default)]
        quote_break: bool,
    },
    /// Live mode: the venue's reports the engine took while handling the entry before
    /// (a restart hands them to the engine at the same point instead of asking the venue).
    Reports { reports: Vec<ExecutionReport> },
}

/// Where a journal file sits in the session's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileKey {
    /// Session generation (a clean end starts the next).
    pub generation: u32,
    /// Process start within the data directory.
    pub start: u32,
    /// UTC hour (hours since the epoch) of the events inside.
    pub hour: i64,
}

impl FileKey {
    fn relative_path(self) -> PathBuf {
        let date = date_of_hour(self.hour);
        PathBuf::from(RAW_DIR).join(&date).join(format!(
            "g{:04}-s{:04}-h{}.jsonl.gz",
            self.generation,
            self.start,
            self.hour.rem_euclid(24)
        ))
    }

    fn parse(path: &Path) -> Option<Self> {
        let date = path.parent()?.file_name()?.to_str()?;
        let name = path.file_name()?.to_str()?.strip_suffix(".jsonl.gz")?;
        let mut parts = name.split('-');
        let generation = parts.next()?.strip_prefix('g')?.parse().ok()?;
        let start = parts.next()?.strip_prefix('s')?.parse().ok()?;
        let hour_of_day: i64 = parts.next()?.strip_prefix('h')?.parse().ok()?;
        let day = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
        let days = (day - epoch).num_days();
        Some(Self {
            generation,
            start,
            hour: days * 24 + hour_of_day,
        })
    }
}

fn date_of_hour(hour: i64) -> String {
    let days = hour.div_euclid(24);
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|epoch| epoch.checked_add_signed(chrono::TimeDelta::days(days)))
        .map_or_else(
            || "0000-00-00".to_owned(),
            |day| day.format("%Y-%m-%d").to_string(),
        )
}

/// UTC hour of a time.
pub fn hour_of(ts: UnixNanos) -> i64 {
    ts.0.div_euclid(NANOS_PER_HOUR)
}

/// Appends entries for one process start.
#[derive(Debug)]
pub struct JournalWriter {
    data_dir: PathBuf,
    generation: u32,
    start: u32,
    current: Option<(i64, GzEncoder<BufWriter<File>>)>,
    line: Vec<u8>,
    entries: u64,
}

impl JournalWriter {
    pub fn new(data_dir: &Path, generation: u32, start: u32) -> Self {
        Self {
            data_dir: data_dir.to_path_buf(),
            generation,
            start,
            current: None,
            line: Vec::with_capacity(256),
            entries: 0,
        }
    }

    /// Entries written by this writer.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// Appends one entry; `ts` chooses the hourly file.
    pub fn append(&mut self, ts: UnixNanos, entry: &JournalEntry) -> Result<(), LiveError> {
        let hour = hour_of(ts);
        let rotate = match &self.current {
            Some((current_hour, _)) => hour > *current_hour,
            None => true,
        };
        if rotate {
            self.close()?;
            let key = FileKey {
                generation: self.generation,
                start: self.start,
                hour,
            };
            let path = self.data_dir.join(key.relative_path());
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|cause| LiveError::io(parent, cause))?;
            }
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|cause| LiveError::io(&path, cause))?;
            self.current = Some((
                hour,
                GzEncoder::new(BufWriter::new(file), Compression::fast()),
            ));
        }
        self.line.clear();
        serde_json::to_writer(&mut self.line, entry)
            .map_err(|error| LiveError::Data(format!("journal entry: {error}")))?;
        self.line.push(b'\n');
        if let Some((_, encoder)) = self.current.as_mut() {
            encoder
                .write_all(&self.line)
                .map_err(|cause| LiveError::io(&self.data_dir, cause))?;
        }
        self.entries += 1;
        Ok(())
    }

    /// Pushes everything appended so far to the operating system (survives a killed
    /// process; a torn gzip tail after it is ignored on reading).
    pub fn flush(&mut self) -> Result<(), LiveError> {
        if let Some((_, encoder)) = self.current.as_mut() {
            encoder
                .flush()
                .map_err(|cause| LiveError::io(&self.data_dir, cause))?;
        }
        Ok(())
    }

    /// Finishes the current file (a complete gzip stream).
    pub fn close(&mut self) -> Result<(), LiveError> {
        if let Some((_, encoder)) = self.current.take() {
            let mut inner = encoder
                .finish()
                .map_err(|cause| LiveError::io(&self.data_dir, cause))?;
            inner
                .flush()
                .map_err(|cause| LiveError::io(&self.data_dir, cause))?;
        }
        Ok(())
    }
}

/// The journal files of `generation`, in processing order.
pub fn journal_files(data_dir: &Path, generation: u32) -> Result<Vec<PathBuf>, LiveError> {
    let mut files: Vec<(FileKey, PathBuf)> = Vec::new();
    let root = data_dir.join(RAW_DIR);
    if !root.exists() {
        return Ok(Vec::new());
    }
    for day in std::fs::read_dir(&root).map_err(|cause| LiveError::io(&root, cause))? {
        let day = day.map_err(|cause| LiveError::io(&root, cause))?.path();
        if !day.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&day).map_err(|cause| LiveError::io(&day, cause))? {
            let path = file.map_err(|cause| LiveError::io(&day, cause))?.path();
            if let Some(key) = FileKey::parse(&path)
                && key.generation == generation
            {
                files.push((key, path));
            }
        }
    }
    files.sort();
    Ok(files.into_iter().map(|(_, path)| path).collect())
}

/// Reads every complete entry of `files` in order (a torn or undecodable tail of a file, left
/// by a killed process, ends that file).
pub fn read_entries(
    files: &[PathBuf],
    mut visit: impl FnMut(JournalEntry) -> Result<(), LiveError>,
) -> Result<u64, LiveError> {
    let mut count = 0;
    let mut line = Vec::new();
    for path in files {
        let file = File::open(path).map_err(|cause| LiveError::io(path, cause))?;
        let mut reader = BufReader::new(MultiGzDecoder::new(BufReader::new(file)));
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            if line.last() != Some(&b'\n') {
                break;
            }
            let Ok(entry) = serde_json::from_slice::<JournalEntry>(&line) else {
                break;
            };
            visit(entry)?;
            count += 1;
        }
    }
    Ok(count)
}

/// Removes journal files whose hour ended more than `retention_hours` before `now`, and
/// empty day folders. Returns the number of files removed.
pub fn purge(data_dir: &Path, now: UnixNanos, retention_hours: u32) -> Result<u32, LiveError> {
    let root = data_dir.join(RAW_DIR);
    if !root.exists() {
        return Ok(0);
    }
    let horizon = hour_of(now) - i64::from(retention_hours);
    let mut removed = 0;
    for day in std::fs::read_dir(&root).map_err(|cause| LiveError::io(&root, cause))? {
        let day = day.map_err(|cause| LiveError::io(&root, cause))?.path();
        if !day.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&day).map_err(|cause| LiveError::io(&day, cause))? {
            let path = file.map_err(|cause| LiveError::io(&day, cause))?.path();
            if let Some(key) = FileKey::parse(&path)
                && key.hour < horizon
            {
                std::fs::remove_file(&path).map_err(|cause| LiveError::io(&path, cause))?;
                removed += 1;
            }
        }
        let empty = std::fs::read_dir(&day)
            .map(|mut entries| entries.next().is_none())
            .unwrap_or(false);
        if empty {
            std::fs::remove_dir(&day).map_err(|cause| LiveError::io(&day, cause))?;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{AggressorSide, Price, Quantity, Trade, TradeId};

    use super::*;

    fn trade(ts: i64) -> JournalEntry {
        JournalEntry::Event(MarketEvent::Trade(Trade {
            ts_event: UnixNanos(ts),
            ts_recv: UnixNanos(ts),
            price: Price::from_raw(60_000_000_000_000),
            size: Quantity::from_raw(1_000_000),
            aggressor: AggressorSide::Buy,
            trade_id: TradeId::default(),
        }))
    }

    #[test]
    fn entries_come_back_in_order_across_hours_and_starts() {
        let dir = tempfile::tempdir().unwrap();
        // 2024-08-08T23:59:59Z and 2024-08-09T00:00:01Z: two hours, two day folders.
        let late = 1_723_161_599_000_000_000;
        let early_next = 1_723_161_601_000_000_000;
        let mut first = JournalWriter::new(dir.path(), 0, 1);
        first.append(UnixNanos(late), &trade(late)).unwrap();
        first
            .append(UnixNanos(late), &JournalEntry::Control { enabled: true })
            .unwrap();
        first
            .append(UnixNanos(early_next), &trade(early_next))
            .unwrap();
        first.close().unwrap();
        let mut second = JournalWriter::new(dir.path(), 0, 2);
        second
            .append(UnixNanos(early_next + 1), &trade(early_next + 1))
            .unwrap();
        second.flush().unwrap();
        // Another generation is not part of this one's history.
        let mut other = JournalWriter::new(dir.path(), 1, 3);
        other.append(UnixNanos(late), &trade(late)).unwrap();
        other.close().unwrap();
        let files = journal_files(dir.path(), 0).unwrap();
        assert_eq!(files.len(), 3);
        assert!(
            files[0]
                .to_string_lossy()
                .contains("2024-08-08/g0000-s0001-h23")
        );
        let mut seen = Vec::new();
        let count = read_entries(&files, |entry| {
            seen.push(entry);
            Ok(())
        })
        .unwrap();
        assert_eq!(count, 4);
        assert_eq!(seen[0], trade(late));
        assert_eq!(seen[1], JournalEntry::Control { enabled: true });
        assert_eq!(seen[3], trade(early_next + 1));
    }

    #[test]
    fn a_torn_tail_is_ignored_and_old_files_are_purged() {
        let dir = tempfile::tempdir().unwrap();
        let ts = 1_723_161_599_000_000_000;
        let mut writer = JournalWriter::new(dir.path(), 0, 1);
        writer.append(UnixNanos(ts), &trade(ts)).unwrap();
        writer.flush().unwrap();
        writer.append(UnixNanos(ts), &trade(ts + 1)).unwrap();
        // Killed before the second entry was flushed: the file ends after the sync flush.
        std::mem::forget(writer);
        let files = journal_files(dir.path(), 0).unwrap();
        let count = read_entries(&files, |_| Ok(())).unwrap();
        assert_eq!(count, 1);
        // 47 h later the file (hour 23 of 2024-08-08) is kept; 49 h later it is gone.
        let hour = 3_600_000_000_000;
        assert_eq!(purge(dir.path(), UnixNanos(ts + 47 * hour), 48).unwrap(), 0);
        assert_eq!(purge(dir.path(), UnixNanos(ts + 49 * hour), 48).unwrap(), 1);
        assert!(journal_files(dir.path(), 0).unwrap().is_empty());
    }
}
