//! The risk crate's errors: an invalid configuration or instrument, named by field.

use thiserror::Error;

/// Errors raised when building the risk rules from configuration.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RiskError {
    /// A [`RiskConfig`](crate::RiskConfig) field is out of its allowed range.
    #[error("risk config field `{field}`: {reason}")]
    InvalidConfig {
        field: &'static str,
        reason: &'static str,
    },
    /// The instrument cannot be traded by these rules (e.g. a non-positive lot size).
    #[error("instrument field `{field}`: {reason}")]
    InvalidInstrument {
        field: &'static str,
        reason: &'static str,
    },
}
