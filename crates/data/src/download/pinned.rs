//! One recording at a fixed URL with a known SHA-256 (e.g. a raw WebSocket depth capture
//! published in a public repository, which no venue archive offers): fetched into a
//! directory through a `.part` file, verified, renamed; a present file with the right hash
//! is not fetched again. Retries and timeouts follow [`DownloadSettings`]; its `base_url`
//! replaces the host (a mirror, or a local test server).

use std::path::{Path, PathBuf};

use super::DownloadSettings;
use super::transfer::{Http, HttpOptions, sha256_of_file, to_hex};
use crate::DataError;

/// A file at `host` + `path` whose content hashes to `sha256` (lower-case hex), saved as
/// `local_name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinnedFile {
    pub host: &'static str,
    pub path: &'static str,
    pub sha256: &'static str,
    pub local_name: &'static str,
}

impl PinnedFile {
    /// The URL with the settings' host override.
    pub fn url(&self, settings: &DownloadSettings) -> String {
        let host = settings.base_url.as_deref().unwrap_or(self.host);
        format!("{}{}", host.trim_end_matches('/'), self.path)
    }
}

/// What [`fetch_pinned`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinnedOutcome {
    Downloaded { path: PathBuf, bytes: u64 },
    AlreadyPresent { path: PathBuf },
}

impl PinnedOutcome {
    pub fn path(&self) -> &Path {
        match self {
            Self::Downloaded { path, .. } | Self::AlreadyPresent { path } => path,
        }
    }
}

/// Fetches `file` into `dir` (created if needed), verifying its SHA-256; `sleep` waits
/// between attempts.
pub fn fetch_pinned(
    file: &PinnedFile,
    dir: &Path,
    settings: &DownloadSettings,
    sleep: &mut dyn FnMut(std::time::Duration),
) -> Result<PinnedOutcome, DataError> {
    let target = dir.join(file.local_name);
    if sha256_of_file(&target).is_some_and(|digest| to_hex(&digest) == file.sha256) {
        return Ok(PinnedOutcome::AlreadyPresent { path: target });
    }
    std::fs::create_dir_all(dir).map_err(|error| DataError::io(dir, error))?;
    let url = file.url(settings);
    let part = dir.join(format!("{}.part", file.local_name));
    let http = Http::new(HttpOptions {
        connect_timeout: settings.connect_timeout,
        response_timeout: settings.response_timeout,
        read_timeout: settings.read_timeout,
        use_environment_proxy: settings.use_environment_proxy,
    });
    let attempts = settings.max_attempts.max(1);
    let mut attempt = 1;
    loop {
        match http.get_to_file(&url, &part, &mut |_, _| {}) {
            Ok((bytes, digest)) => {
                let got = to_hex(&digest);
                if got != file.sha256 {
                    std::fs::remove_file(&part).ok();
                    return Err(DataError::Download {
                        url,
                        message: format!("sha256 mismatch: expected {}, got {got}", file.sha256),
                        terminal: true,
                    });
                }
                std::fs::rename(&part, &target).map_err(|error| DataError::io(&target, error))?;
                return Ok(PinnedOutcome::Downloaded {
                    path: target,
                    bytes,
                });
            }
            Err(error) => {
                std::fs::remove_file(&part).ok();
                if !error.is_retryable() || attempt >= attempts {
                    return Err(DataError::Download {
                        url,
                        message: format!("{} (attempt {attempt} of {attempts})", error.describe()),
                        terminal: !error.is_retryable(),
                    });
                }
                sleep(settings.backoff(attempt));
                attempt += 1;
            }
        }
    }
}

/// The Binance USD-M BTCUSDT depth capture of 2024-08-08 23:54–00:00 UTC (raw WebSocket
/// messages with a REST snapshot; the `usdm_btcusdt_20240808.gz` of the shared data set),
/// as published in nkaz001/hftbacktest's examples.
pub const BINANCE_USDM_BTCUSDT_20240808_DEPTH: PinnedFile = PinnedFile {
    host: "https://raw.githubusercontent.com",
    path: "/nkaz001/hftbacktest/5c56046470ced38797906e3c457cacd5b7e7aedb/examples/usdm/btcusdt_20240808.gz",
    sha256: "0ad7b3a0f5cff220761ea890cfd6e3c15f6899edc7f94637ec915043d7a72251",
    local_name: "usdm_btcusdt_20240808.gz",
};
