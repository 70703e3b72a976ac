//! The analytics crate's error type.

/// Errors of the analytics crate: writing outputs, or a money sum of the records that leaves
/// the fixed-point range (named, never saturated).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnalyticsError {
    #[error("cannot write {what}: {source}")]
    Write {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("metrics: {0}")]
    Arithmetic(#[from] auction_trader_types::TypesError),
}
