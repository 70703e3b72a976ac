use std::path::PathBuf;

use thiserror::Error;

/// Errors of the data layer. Row-level problems are not errors: they are quarantined
/// ([`crate::QuarantinedRow`]); these are the failures that stop a whole operation.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DataError {
    /// The I/O error is part of the message, not a separate `source()`: error reports that
    /// print the chain would otherwise say it twice.
    #[error("cannot read {path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("cannot open archive {path}: {message}")]
    Archive { path: PathBuf, message: String },
    #[error("{path}: unrecognized input format ({hint})")]
    UnknownFormat { path: PathBuf, hint: String },
    #[error("{path}: {message}")]
    InvalidInput { path: PathBuf, message: String },
    #[error("invalid option: {0}")]
    InvalidOption(String),
    #[error("download of {url} failed: {message}")]
    Download {
        url: String,
        message: String,
        /// False when retrying could help (timeouts, 5xx); true for 404 or no network.
        terminal: bool,
    },
    #[error("storage: {0}")]
    Storage(String),
    /// SPEC 5: a contract the engine cannot value is refused, never valued as linear.
    #[error(
        "{instrument}: {venue} contracts are coin-margined (inverse) or quanto and cannot be \
         valued as linear; set instrument.contract_type to inverse (contracts of \
         contract_multiplier USD, P&L in coin) or linear if that is what they are (quanto \
         contracts are not supported)"
    )]
    UnvaluedContract { instrument: String, venue: String },
}

impl DataError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            cause: source,
        }
    }
}
