//! The analytics crate's error type.

/// Errors of the analytics crate (only writing outputs can fail; metrics are total).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnalyticsError {
    #[error("cannot write {what}: {source}")]
    Write {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
}
