//! The storage crate's error type.

use std::path::{Path, PathBuf};

use auction_trader_data::DataError;
use thiserror::Error;

/// Failures of the embedded store. Row-level problems of foreign files are quarantined by
/// the importers instead; these stop a whole operation.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StorageError {
    /// Causes are part of the message, not a separate `source()`: the CLI prints the chain,
    /// which would otherwise say them twice.
    #[error("{path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{path}: parquet: {cause}")]
    Parquet {
        path: PathBuf,
        cause: parquet::errors::ParquetError,
    },
    #[error("{path}: arrow: {cause}")]
    Arrow {
        path: PathBuf,
        cause: arrow::error::ArrowError,
    },
    #[error("catalog: {0}")]
    Catalog(#[from] rusqlite::Error),
    /// A stored file or catalog row is not what this crate wrote.
    #[error("{path}: corrupt: {message}")]
    Corrupt { path: PathBuf, message: String },
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A failure of another backend behind the same import flow (the PostgreSQL store);
    /// `message` names the backend itself.
    #[error("{message}")]
    Backend {
        backend: &'static str,
        message: String,
    },
    /// An import failed while events were pushed; nothing of it became visible.
    #[error("import of {source_name} failed: {message}")]
    ImportFailed {
        source_name: String,
        message: String,
    },
}

impl StorageError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            cause: source,
        }
    }

    pub(crate) fn parquet(path: &Path, source: parquet::errors::ParquetError) -> Self {
        Self::Parquet {
            path: path.to_owned(),
            cause: source,
        }
    }

    pub(crate) fn arrow(path: &Path, source: arrow::error::ArrowError) -> Self {
        Self::Arrow {
            path: path.to_owned(),
            cause: source,
        }
    }

    pub(crate) fn corrupt(path: &Path, message: impl Into<String>) -> Self {
        Self::Corrupt {
            path: path.to_owned(),
            message: message.into(),
        }
    }
}

impl From<StorageError> for DataError {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::Io { path, cause } => DataError::Io { path, cause },
            other => DataError::Storage(other.to_string()),
        }
    }
}
