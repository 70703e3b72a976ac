//! The error type of the research crate.

use auction_trader_features::FeaturesError;
use thiserror::Error;

/// Errors of the research estimators, the feature matrix and the loaders: invalid
/// configurations and requests (bad market data is counted and skipped, not an error).
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ResearchError {
    #[error("invalid research config: {field} {reason}")]
    InvalidConfig { field: &'static str, reason: String },
    /// The feature engine (or the bar builder) refused its configuration.
    #[error(transparent)]
    Features(#[from] FeaturesError),
}
