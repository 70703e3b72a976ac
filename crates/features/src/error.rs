//! The error type of the features crate.

use thiserror::Error;

/// Errors of the feature engine and the standalone computations. Bad market data is not an
/// error here (the engine counts and skips it); these are invalid configurations and requests.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum FeaturesError {
    #[error("invalid feature config: {field} {reason}")]
    InvalidConfig { field: &'static str, reason: String },
    #[error("tick size must be positive, got {0}")]
    InvalidTickSize(String),
    #[error("bin width must be positive, got {0}")]
    InvalidBinWidth(String),
    #[error("no traded volume to build a profile from")]
    EmptyProfile,
    #[error("profile would span {bins} bins (more than {max}): widen the bins")]
    TooManyBins { bins: u64, max: u64 },
}
