use std::path::PathBuf;

use auction_trader_backtest::BacktestError;
use thiserror::Error;

/// Why a live session or one of its tools failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LiveError {
    /// The configuration or a command-line value is unusable.
    #[error("config: {0}")]
    Config(String),
    #[error("{path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    /// execution.db or control.db.
    #[error("database {path}: {message}")]
    Database { path: PathBuf, message: String },
    /// Market data could not be read or decoded.
    #[error("data: {0}")]
    Data(String),
    /// A venue connection or request failed.
    #[error("venue: {0}")]
    Venue(String),
    /// The metrics server could not start.
    #[error("metrics server: {0}")]
    Server(String),
    #[error(transparent)]
    Backtest(#[from] BacktestError),
}

impl LiveError {
    pub(crate) fn io(path: impl Into<PathBuf>, cause: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            cause,
        }
    }
}
