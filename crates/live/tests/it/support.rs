//! Shared pieces: the capture, the paper config, a manual clock.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use auction_trader_live::{Mode, SessionConfig, SessionOptions};
use auction_trader_types::UnixNanos;
use auction_trader_venues::Clock;

/// The shared Binance USD-M BTCUSDT capture of 2024-08-08 (None: the data is absent).
pub fn capture() -> Option<PathBuf> {
    auction_trader_testkit::shared_data("binance/usdm_btcusdt_20240808.gz")
}

/// configs/paper-binance-drain.yaml of the repository.
pub fn paper_config() -> SessionConfig {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/paper-binance-drain.yaml");
    SessionConfig::load(&path).unwrap_or_else(|error| panic!("{error}"))
}

/// A clock tests move by hand (wall time only feeds control polls and timestamps).
#[derive(Debug, Default)]
pub struct ManualClock(pub AtomicI64);

impl Clock for ManualClock {
    fn now(&self) -> UnixNanos {
        // Every reading is a millisecond later: housekeeping (control polls, flushes) runs
        // about every thousand events.
        UnixNanos(self.0.fetch_add(1_000_000, Ordering::Relaxed))
    }
}

pub fn options(mode: Mode, data_dir: &Path) -> SessionOptions {
    SessionOptions {
        mode,
        data_dir: data_dir.to_path_buf(),
        clock: Arc::new(ManualClock::default()),
        webhook: None,
        metrics: None,
        gateway: None,
        advance_on_idle: false,
        warmup: Vec::new(),
        shadow_config: None,
        log: Box::new(|_| {}),
    }
}
