//! Errors of the backtest runner.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The configuration is invalid (the message names the key).
    #[error("config: {0}")]
    Config(String),
    /// A part of the engine refused its settings.
    #[error("setup: {0}")]
    Setup(String),
    /// The event source failed mid-run.
    #[error("data: {0}")]
    Data(String),
}
