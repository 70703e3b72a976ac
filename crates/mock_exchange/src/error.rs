//! The crate's error type: what can stop the mock exchange from starting or running.

use std::path::PathBuf;

/// Why the mock exchange could not load its replay or serve.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MockError {
    /// A capture file could not be read or imported.
    #[error("capture {path}: {message}")]
    Capture { path: PathBuf, message: String },
    /// The captures cannot be replayed as one venue stream (no snapshot, several symbols, ...).
    #[error("replay: {0}")]
    Replay(String),
    /// A setting is out of range.
    #[error("invalid setting {setting}: {reason}")]
    InvalidSetting {
        setting: &'static str,
        reason: String,
    },
    /// The simulated exchange refused the instrument or fill-model configuration.
    #[error("fill model: {0}")]
    FillModel(#[from] auction_trader_execution::ExecutionError),
    /// Binding or serving the port failed.
    #[error("server on {address}: {source}")]
    Io {
        address: String,
        #[source]
        source: std::io::Error,
    },
}
