//! Errors of the backtest runner.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    /// The I/O error is part of the message, not a separate `source()`: the CLI prints the
    /// chain, which would otherwise say it twice.
    #[error("{path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
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
    /// A money or size sum of the run left the fixed-point range (the message names the
    /// value): the run stops instead of reporting saturated figures.
    #[error("run stopped: {0}")]
    Execution(#[from] auction_trader_execution::ExecutionError),
    /// A metric's money sum left the fixed-point range.
    #[error("{0}")]
    Metrics(#[from] auction_trader_analytics::AnalyticsError),
    /// Reading, importing or replaying market data failed.
    #[error(transparent)]
    Input(#[from] auction_trader_data::DataError),
    /// The data directory or a run database failed.
    #[error(transparent)]
    Storage(#[from] auction_trader_storage::StorageError),
    /// The store holds nothing the run could replay (the message says what is missing).
    #[error("{0}")]
    NoData(String),
    /// A run cannot be re-made from its manifest: another program version, an edited
    /// manifest, changed inputs or outputs that differ (the message names which).
    #[error("not reproducible: {0}")]
    NotReproducible(String),
    /// The caller's observer stopped the run (e.g. its output went away).
    #[error("stopped: {0}")]
    Stopped(String),
}

#[cfg(test)]
mod tests {
    use std::error::Error;

    use super::*;

    #[test]
    fn an_io_error_names_its_cause_once() {
        // Regression: `rerun <missing dir>` printed "…: No such file or directory (os error 2):
        // No such file or directory (os error 2)" (message and source both printed).
        let error = BacktestError::Io {
            path: PathBuf::from("/no/such"),
            cause: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        assert_eq!(error.to_string(), "/no/such: entity not found");
        assert!(error.source().is_none());
    }
}
