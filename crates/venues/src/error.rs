use thiserror::Error;

/// Why a venue connection or request failed.
#[derive(Debug, Error)]
pub enum VenueError {
    /// The endpoint given by the user or config is not a usable URL.
    #[error("endpoint {endpoint:?}: {reason}")]
    Endpoint { endpoint: String, reason: String },
    /// Adapter options that cannot work (a depth the venue does not offer, a bad id prefix).
    #[error("configuration: {0}")]
    Config(String),
    /// API credentials missing from the environment, or refused by the venue.
    #[error("credentials: {0}")]
    Credentials(String),
    /// The venue could not be reached or the connection broke; `terminal` = retrying the same
    /// request cannot help (bad URL, unknown host, a 4xx answer).
    #[error("transport: {message}")]
    Transport { message: String, terminal: bool },
    /// The venue refused the request with its own error code (Bybit `retCode`).
    #[error("venue error {code}: {message}")]
    Api { code: i64, message: String },
    /// The venue's rate limiter refused the request (Bybit retCode 10006, HTTP 403/429):
    /// back off, then retry.
    #[error("rate limited: {0}")]
    RateLimited(String),
    /// An answer we could not decode.
    #[error("undecodable venue answer: {0}")]
    Decode(String),
}

impl VenueError {
    /// Whether retrying (after a backoff) cannot help.
    pub fn is_terminal(&self) -> bool {
        match self {
            Self::Endpoint { .. } | Self::Config(_) | Self::Credentials(_) => true,
            Self::Transport { terminal, .. } => *terminal,
            Self::Api { .. } | Self::Decode(_) => true,
            Self::RateLimited(_) => false,
        }
    }

    pub fn is_rate_limit(&self) -> bool {
        matches!(self, Self::RateLimited(_))
    }
}
