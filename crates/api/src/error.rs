//! The one error type of the API. Every failure of a request goes through [`ApiError`] and
//! leaves as JSON `{"error": "..."}` with a 4xx or 5xx status; an internal failure (a corrupt
//! database, an I/O error) is written to the server's log and the client only reads
//! "internal error" (SPEC 8: the page never shows internals).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// Malformed input: a bad run name, an unknown sort key, a bad number (400).
    #[error("{0}")]
    BadRequest(String),
    /// The named run, grid or path does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// Anything else: the message is logged, never sent (500).
    #[error("internal: {0}")]
    Internal(String),
    /// The server could not bind its address (startup, never an HTTP answer).
    #[error("binding {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// A non-loopback address without the explicit opt-in (SPEC 8: no authentication).
    #[error(
        "refusing to serve on {0}: not a loopback address and the dashboard has no \
         authentication (SPEC 8); pass --allow-remote to serve the local network"
    )]
    NonLoopback(std::net::SocketAddr),
}

impl ApiError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Internal(_) | Self::Bind { .. } | Self::NonLoopback(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// The message a client may read.
    pub fn public_message(&self) -> String {
        match self {
            Self::BadRequest(message) | Self::NotFound(message) => message.clone(),
            Self::Internal(_) | Self::Bind { .. } | Self::NonLoopback(_) => {
                "internal error".to_owned()
            }
        }
    }

    pub(crate) fn internal(error: impl std::fmt::Display) -> Self {
        Self::Internal(error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status().is_server_error() {
            // The server's own log; the client gets the public message only.
            eprintln!("serve: {self}");
        }
        (
            self.status(),
            Json(json!({ "error": self.public_message() })),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_details_never_reach_the_client() {
        let error = ApiError::internal("/secret/path/execution.db: disk I/O error");
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(error.public_message(), "internal error");
        let missing = ApiError::NotFound("no run named \"x\"".to_owned());
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert_eq!(missing.public_message(), "no run named \"x\"");
        assert_eq!(
            ApiError::BadRequest("bad".to_owned()).status(),
            StatusCode::BAD_REQUEST
        );
    }
}
