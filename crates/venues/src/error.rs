use thiserror::Error;

/// Why a venue connection or request failed.
#[derive(Debug, Error)]
pub enum VenueError {
    /// The endpoint given by the user or config is not a usable URL.
    #[error("endpoint {endpoint:?}: {reason}")]
    Endpoint { endpoint: String, reason: String },
    /// The network failed (refused, reset, timed out): retrying later may succeed.
    #[error("{context}: {reason}")]
    Transport { context: String, reason: String },
    /// The venue answered with an error (HTTP status and the venue's own code and message).
    #[error("{context}: HTTP {status}, venue code {code}: {message}")]
    Rejected {
        context: String,
        status: u16,
        code: i64,
        message: String,
    },
    /// The venue asks us to slow down (HTTP 429, or 418 after ignoring 429s).
    #[error("{context}: rate limited, retry after {retry_after_ms} ms")]
    RateLimited {
        context: String,
        retry_after_ms: u64,
    },
    /// An answer that does not have the documented shape.
    #[error("{context}: unexpected answer: {reason}")]
    Protocol { context: String, reason: String },
    /// A required credential is missing from the environment (its value is never shown).
    #[error("environment variable {variable} is not set")]
    MissingCredentials { variable: &'static str },
    /// The connection or gateway was stopped.
    #[error("{context}: stopped")]
    Stopped { context: String },
    /// Adapter options that cannot work (a depth the venue does not offer, a bad client-id
    /// prefix).
    #[error("configuration: {0}")]
    Config(String),
}

impl VenueError {
    /// Whether retrying the same thing cannot help (a bad endpoint, missing credentials, a
    /// request the venue rejected, a stopped gateway); network failures and rate limits are
    /// not terminal.
    pub fn is_terminal(&self) -> bool {
        !matches!(self, Self::Transport { .. } | Self::RateLimited { .. })
    }
}
