//! The execution crate's error type.

use thiserror::Error;

/// Why a simulated exchange or its configuration could not be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ExecutionError {
    /// A fill-model setting is out of range; `field` is its YAML name.
    #[error("invalid fill model setting `{field}`: {reason}")]
    InvalidConfig { field: &'static str, reason: String },
    /// The recorded order latency file cannot be used; `line` is 1-based (0: the file itself).
    #[error("order latency file {path}, line {line}: {reason}")]
    LatencyFile {
        path: String,
        line: usize,
        reason: String,
    },
    /// The instrument's trading rules cannot be simulated (e.g. a non-positive tick).
    #[error("invalid instrument `{instrument}`: {reason}")]
    InvalidInstrument { instrument: String, reason: String },
}
