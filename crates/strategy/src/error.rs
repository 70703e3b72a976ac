//! The error type of the strategy crate.

use thiserror::Error;

/// Errors of strategy construction. Market data is never an error here: a strategy that
/// cannot evaluate a bar (no profile yet, missing levels) logs that and waits.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum StrategyError {
    #[error("invalid strategy config: {field} {reason}")]
    InvalidConfig { field: &'static str, reason: String },
}

/// Shorthand for an [`StrategyError::InvalidConfig`].
pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> StrategyError {
    StrategyError::InvalidConfig {
        field,
        reason: reason.into(),
    }
}
