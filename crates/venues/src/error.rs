use thiserror::Error;

/// Why a venue connection or request failed.
#[derive(Debug, Error)]
pub enum VenueError {
    /// The endpoint given by the user or config is not a usable URL.
    #[error("endpoint {endpoint:?}: {reason}")]
    Endpoint { endpoint: String, reason: String },
}
