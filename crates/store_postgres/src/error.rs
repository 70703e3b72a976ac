//! The PostgreSQL store's error type.

use auction_trader_data::DataError;
use auction_trader_storage::StorageError;
use thiserror::Error;

/// Failures of the PostgreSQL store. Row-level problems of inputs are quarantined by the
/// importers; these stop a whole operation.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PgStoreError {
    /// The `--store` / `storage.url` value is not a usable PostgreSQL URL.
    #[error("invalid PostgreSQL URL {url:?}: {message}")]
    InvalidUrl { url: String, message: String },
    /// The server cannot be reached or refused the login.
    #[error(
        "cannot connect to PostgreSQL at {target}: {message} (is the server running? the \
         password comes from the URL or the PGPASSWORD environment variable)"
    )]
    Connect { target: String, message: String },
    /// A statement failed; `what` says which step.
    #[error("PostgreSQL {what}: {message}")]
    Query { what: String, message: String },
    /// A stored row is not what this crate writes.
    #[error("PostgreSQL table {table}: corrupt row: {message}")]
    Corrupt { table: String, message: String },
    /// The thread reading a stream could not start or stopped without a result.
    #[error("PostgreSQL reader thread: {0}")]
    ReadThread(String),
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl PgStoreError {
    /// A failed statement; the cause's full text (rust-postgres puts the server's message in
    /// the error source, which `Display` alone omits).
    pub(crate) fn query(what: impl Into<String>, error: &postgres::Error) -> Self {
        Self::Query {
            what: what.into(),
            message: describe(error),
        }
    }
}

/// The server's message when there is one, else the client's.
pub(crate) fn describe(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_owned(),
        },
        None => match std::error::Error::source(error) {
            Some(cause) => format!("{error}: {cause}"),
            None => error.to_string(),
        },
    }
}

impl From<PgStoreError> for DataError {
    fn from(error: PgStoreError) -> Self {
        DataError::Storage(error.to_string())
    }
}

impl From<PgStoreError> for StorageError {
    fn from(error: PgStoreError) -> Self {
        StorageError::Backend {
            backend: "postgres",
            message: error.to_string(),
        }
    }
}
