//! The public-archive downloader (SPEC 1.2): Binance public data (`data.binance.vision`) and
//! Bybit public trade dumps (`public.bybit.com`), by venue, symbol and day.
//!
//! Files land under a target directory that mirrors the archive layout. Each is written to a
//! `.part` file, synced and renamed on success, so a final path never holds a half-written
//! file. Binance `.CHECKSUM` files are verified when present. Files already on disk with a
//! matching checksum (or, without one, a matching size) are skipped. Non-terminal errors are
//! retried a bounded number of times with exponential backoff through an injected sleep
//! function. The result lists every day (present / missing / failed) and a coverage summary
//! that flags more than 1% missing days. On a machine without internet the download fails
//! with a message saying the archive host could not be reached and suggesting a local import.
//!
//! Single recordings at pinned URLs with known hashes (depth captures no archive offers) come
//! through [`fetch_pinned`].
//!
//! The library draws nothing: progress goes to a callback (the CLI draws a bar from it).

mod layout;
mod pinned;
mod report;
mod transfer;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;

pub use layout::{
    BINANCE_ARCHIVE_URL, BYBIT_ARCHIVE_URL, BinanceKind, BinanceMarket, BybitMarket, Dataset,
    DownloadRequest, PlannedDay, plan,
};
pub use pinned::{BINANCE_USDM_BTCUSDT_20240808_DEPTH, PinnedFile, PinnedOutcome, fetch_pinned};
pub use report::{Coverage, DayOutcome, DayResult, DownloadReport, MAX_MISSING_SHARE};

use crate::DataError;
use transfer::{FetchError, Http, HttpOptions, parse_checksum, sha256_of_file, to_hex};

/// Retry, timeout and proxy settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadSettings {
    /// Replaces the dataset's archive host (`http(s)://host[:port][/prefix]`), e.g. a mirror
    /// or a local test server.
    pub base_url: Option<String>,
    /// Attempts per request, the first included (at least 1).
    pub max_attempts: u32,
    /// Pause before the second attempt; doubled before each further one.
    pub initial_backoff: Duration,
    /// Longest pause between attempts.
    pub max_backoff: Duration,
    /// Name resolution and TCP connect timeout.
    pub connect_timeout: Duration,
    /// Wait for the response headers.
    pub response_timeout: Duration,
    /// Longest silence while reading a body.
    pub read_timeout: Duration,
    /// Honour `HTTP(S)_PROXY` / `ALL_PROXY` / `NO_PROXY` from the environment.
    pub use_environment_proxy: bool,
}

impl Default for DownloadSettings {
    fn default() -> Self {
        Self {
            base_url: None,
            max_attempts: 4,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(15),
            response_timeout: Duration::from_secs(60),
            read_timeout: Duration::from_secs(60),
            use_environment_proxy: true,
        }
    }
}

impl DownloadSettings {
    /// Pause after failed attempt number `attempt` (1-based): `initial × 2^(attempt−1)`,
    /// capped at `max_backoff`. Deterministic (no jitter).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1_u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.initial_backoff
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }
}

/// What the downloader reports while it works.
#[derive(Debug, Clone, Copy)]
pub enum DownloadProgress<'a> {
    /// Day `index` (0-based) of `days` begins.
    DayStarted {
        date: NaiveDate,
        index: usize,
        days: usize,
    },
    /// Bytes of the day's file received so far (`total` when the server announced it).
    Bytes {
        date: NaiveDate,
        received: u64,
        total: Option<u64>,
    },
    /// A request failed and will be tried again after `delay`.
    Retrying {
        date: NaiveDate,
        attempt: u32,
        delay: Duration,
        reason: &'a str,
    },
    /// The day is done.
    DayFinished { result: &'a DayResult },
}

type SleepFn<'a> = Box<dyn FnMut(Duration) + 'a>;
type ProgressFn<'a> = Box<dyn FnMut(&DownloadProgress<'_>) + 'a>;

/// Why a whole run stops early.
enum Abort {
    /// No connection could be made to the archive host.
    Unreachable { url: String, detail: String },
    /// The local file system failed.
    Local(DataError),
}

/// Downloads daily archive files. Reusable for several requests.
pub struct Downloader<'a> {
    settings: DownloadSettings,
    http: Http,
    sleep: SleepFn<'a>,
    progress: ProgressFn<'a>,
    /// Some request of this run got an HTTP answer.
    host_reached: bool,
}

impl fmt::Debug for Downloader<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Downloader")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl<'a> Downloader<'a> {
    /// A downloader that sleeps with `std::thread::sleep` and reports no progress.
    pub fn new(settings: DownloadSettings) -> Self {
        let http = Http::new(HttpOptions {
            connect_timeout: settings.connect_timeout,
            response_timeout: settings.response_timeout,
            read_timeout: settings.read_timeout,
            use_environment_proxy: settings.use_environment_proxy,
        });
        Self {
            settings,
            http,
            sleep: Box::new(std::thread::sleep),
            progress: Box::new(|_| {}),
            host_reached: false,
        }
    }

    /// Replaces the pause between attempts (tests record it instead of waiting).
    pub fn with_sleep(mut self, sleep: impl FnMut(Duration) + 'a) -> Self {
        self.sleep = Box::new(sleep);
        self
    }

    /// Receives progress events.
    pub fn with_progress(mut self, progress: impl FnMut(&DownloadProgress<'_>) + 'a) -> Self {
        self.progress = Box::new(progress);
        self
    }

    pub fn settings(&self) -> &DownloadSettings {
        &self.settings
    }

    /// Downloads every day of `request`. Per-day problems (404, failed transfers, checksum
    /// mismatches) are results, not errors; the error cases are an invalid request, a local
    /// file-system failure, and an archive host that cannot be reached at all.
    pub fn download(&mut self, request: &DownloadRequest) -> Result<DownloadReport, DataError> {
        let planned = plan(request, self.settings.base_url.as_deref())?;
        self.host_reached = false;
        let days = planned.len();
        let mut results = Vec::with_capacity(days);
        let mut stopped: Option<String> = None;
        for (index, day) in planned.iter().enumerate() {
            (self.progress)(&DownloadProgress::DayStarted {
                date: day.date,
                index,
                days,
            });
            let outcome = match &stopped {
                Some(reason) => DayOutcome::Failed {
                    message: format!("not attempted: {reason}"),
                    attempts: 0,
                },
                None => match self.download_day(day) {
                    Ok(outcome) => outcome,
                    Err(Abort::Local(error)) => return Err(error),
                    Err(Abort::Unreachable { url, detail }) => {
                        let message = unreachable_message(&url, &detail);
                        if !self.host_reached {
                            return Err(DataError::Download {
                                url,
                                message,
                                terminal: true,
                            });
                        }
                        stopped = Some(message.clone());
                        DayOutcome::Failed {
                            message,
                            attempts: self.settings.max_attempts.max(1),
                        }
                    }
                },
            };
            let result = DayResult {
                date: day.date,
                url: day.url.clone(),
                outcome,
            };
            (self.progress)(&DownloadProgress::DayFinished { result: &result });
            results.push(result);
        }
        Ok(DownloadReport::new(results))
    }

    /// Runs `operation` until it succeeds, fails for good, or runs out of attempts. Returns
    /// the last error with the number of attempts made.
    fn with_retries<T>(
        &mut self,
        date: NaiveDate,
        mut operation: impl FnMut(&Http, &mut ProgressFn<'a>) -> Result<T, FetchError>,
    ) -> Result<T, (FetchError, u32)> {
        let max_attempts = self.settings.max_attempts.max(1);
        let mut attempt = 1;
        loop {
            let result = operation(&self.http, &mut self.progress);
            match &result {
                Ok(_) => self.host_reached = true,
                Err(error) if error.reached_host() => self.host_reached = true,
                Err(_) => {}
            }
            match result {
                Ok(value) => return Ok(value),
                Err(error) if error.is_retryable() && attempt < max_attempts => {
                    let delay = self.settings.backoff(attempt);
                    let reason = error.describe();
                    (self.progress)(&DownloadProgress::Retrying {
                        date,
                        attempt,
                        delay,
                        reason: &reason,
                    });
                    (self.sleep)(delay);
                    attempt += 1;
                }
                Err(error) => return Err((error, attempt)),
            }
        }
    }

    fn download_day(&mut self, day: &PlannedDay) -> Result<DayOutcome, Abort> {
        // 1. The published checksum, if the venue has one and it exists for this day.
        let expected = match &day.checksum_url {
            None => None,
            Some(checksum_url) => {
                match self.with_retries(day.date, |http, _| http.get_text(checksum_url)) {
                    Ok(text) => match parse_checksum(&text) {
                        Some(hash) => Some(hash),
                        None => {
                            return Ok(DayOutcome::Failed {
                                message: format!("unreadable checksum file {checksum_url}"),
                                attempts: 1,
                            });
                        }
                    },
                    Err((FetchError::NotFound, _)) => None,
                    Err((error, attempts)) => return failure(checksum_url, error, attempts),
                }
            }
        };

        // 2. Skip a file already present and intact.
        if let Some(outcome) = self.already_present(day, expected.as_deref())? {
            return Ok(outcome);
        }

        // 3. Fetch into `.part`, verify, rename.
        let part_path = part_path_of(&day.local_path);
        if let Some(parent) = day.local_path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|error| Abort::Local(DataError::io(parent, error)))?;
        }
        let date = day.date;
        let transfer = self.with_retries(date, |http, progress| {
            http.get_to_file(&day.url, &part_path, &mut |received, total| {
                progress(&DownloadProgress::Bytes {
                    date,
                    received,
                    total,
                });
            })
        });
        let (bytes, digest) = match transfer {
            Ok(done) => done,
            Err((error, attempts)) => {
                remove_if_present(&part_path);
                return match error {
                    FetchError::NotFound => Ok(DayOutcome::Missing),
                    error => failure(&day.url, error, attempts),
                };
            }
        };
        let actual = to_hex(&digest);
        if let Some(expected) = &expected
            && *expected != actual
        {
            remove_if_present(&part_path);
            // The archive's bytes do not match its published checksum: a retry fetches the
            // same bytes, so this is a failed day, never a silently kept file.
            return Ok(DayOutcome::Failed {
                message: format!(
                    "sha256 mismatch: the .CHECKSUM says {expected}, the file is {actual}"
                ),
                attempts: 1,
            });
        }
        std::fs::rename(&part_path, &day.local_path)
            .map_err(|error| Abort::Local(DataError::io(&day.local_path, error)))?;
        Ok(DayOutcome::Downloaded {
            path: day.local_path.clone(),
            bytes,
            verified: expected.is_some(),
        })
    }

    /// `Some(AlreadyPresent)` when the local file matches the published checksum or, without
    /// one, the size the server announces.
    fn already_present(
        &mut self,
        day: &PlannedDay,
        expected: Option<&str>,
    ) -> Result<Option<DayOutcome>, Abort> {
        let Ok(metadata) = std::fs::metadata(&day.local_path) else {
            return Ok(None);
        };
        let bytes = metadata.len();
        let present = |verified| {
            Some(DayOutcome::AlreadyPresent {
                path: day.local_path.clone(),
                bytes,
                verified,
            })
        };
        if let Some(expected) = expected {
            let matches =
                sha256_of_file(&day.local_path).is_some_and(|digest| to_hex(&digest) == expected);
            return Ok(if matches { present(true) } else { None });
        }
        match self.with_retries(day.date, |http, _| http.head_length(&day.url)) {
            Ok(Some(length)) if length == bytes => Ok(present(false)),
            Ok(_) => Ok(None),
            // The archive no longer has it, but we do: keep and report it.
            Err((FetchError::NotFound, _)) => Ok(present(false)),
            Err((error, attempts)) => match failure(&day.url, error, attempts)? {
                // Cannot compare sizes now: fetch again (the rename replaces the old file).
                DayOutcome::Failed { .. } => Ok(None),
                other => Ok(Some(other)),
            },
        }
    }
}

/// A failed day, or the whole run stopped when the host cannot be reached or the disk fails.
fn failure(url: &str, error: FetchError, attempts: u32) -> Result<DayOutcome, Abort> {
    match error {
        FetchError::Unreachable(detail) => Err(Abort::Unreachable {
            url: url.to_owned(),
            detail,
        }),
        FetchError::Local(error) => Err(Abort::Local(error)),
        FetchError::NotFound => Ok(DayOutcome::Missing),
        other => Ok(DayOutcome::Failed {
            message: format!("{url}: {}", other.describe()),
            attempts,
        }),
    }
}

fn unreachable_message(url: &str, detail: &str) -> String {
    format!(
        "could not reach the archive host {} ({detail}). This machine may have no internet \
         access: download the files where there is, then import the local files instead \
         (`auction-trader import <file>`)",
        host_of(url)
    )
}

/// `scheme://host[:port]` of a URL.
fn host_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |index| index + 3);
    let end = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |index| after_scheme + index);
    &url[..end]
}

fn part_path_of(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    path.with_file_name(name)
}

fn remove_if_present(path: &Path) {
    // Best effort: a leftover `.part` is never mistaken for a finished file.
    let _ = std::fs::remove_file(path);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        // 1 s, 2 s, 4 s, 8 s, then capped at 10 s.
        let settings = DownloadSettings {
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(10),
            ..DownloadSettings::default()
        };
        let pauses: Vec<u64> = (1..=6)
            .map(|attempt| settings.backoff(attempt).as_secs())
            .collect();
        assert_eq!(pauses, [1, 2, 4, 8, 10, 10]);
        assert_eq!(settings.backoff(200), Duration::from_secs(10));
    }

    #[test]
    fn hosts_and_part_paths() {
        assert_eq!(
            host_of("https://data.binance.vision/data/spot/daily/x.zip"),
            "https://data.binance.vision"
        );
        assert_eq!(host_of("http://127.0.0.1:9"), "http://127.0.0.1:9");
        assert_eq!(
            part_path_of(Path::new("/a/b/BTCUSDT-trades-2024-08-08.zip")),
            PathBuf::from("/a/b/BTCUSDT-trades-2024-08-08.zip.part")
        );
    }
}
