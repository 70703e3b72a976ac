//! The REST client: blocking `ureq` (already the workspace's HTTP client; the gateway calls it
//! from its own worker thread, so nothing here needs an async runtime). Signed requests carry
//! `X-BAPI-API-KEY`, `X-BAPI-TIMESTAMP` (ms, from the injected clock), `X-BAPI-RECV-WINDOW`
//! and `X-BAPI-SIGN` ([`crate::bybit::common::signing`]). Every answer goes through
//! [`check_status`]: `retCode` 0 passes; 10006 (too many visits) and HTTP 403/429 are
//! [`VenueError::RateLimited`], retried after a backoff `rate_limit_retries` times; anything
//! else is [`VenueError::Rejected`].

use std::sync::Arc;

use serde::Deserialize;

use crate::bybit::common::backoff::Backoff;
use crate::bybit::common::credentials::{API_KEY_VAR, Credentials};
use crate::bybit::common::signing::rest_signature;
use crate::bybit::config::GatewayOptions;
use crate::bybit::http::models::protocol;
use crate::{Clock, Endpoints, VenueError};

/// Bybit's "too many visits" code (the API rate limit).
pub const RATE_LIMIT_CODE: i64 = 10006;

/// GET or POST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// A Bybit v5 REST connection.
pub struct HttpClient {
    agent: ureq::Agent,
    base: String,
    credentials: Option<Credentials>,
    recv_window_ms: u64,
    rate_limit_retries: u32,
    backoff: Backoff,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("HttpClient")
            .field("base", &self.base)
            .field("credentials", &self.credentials)
            .field("recv_window_ms", &self.recv_window_ms)
            .finish_non_exhaustive()
    }
}

/// The status fields of every response.
#[derive(Debug, Deserialize)]
struct Status {
    #[serde(rename = "retCode")]
    ret_code: i64,
    #[serde(rename = "retMsg", default)]
    ret_msg: String,
}

impl HttpClient {
    /// A client of `endpoints.rest`; `credentials` are needed for the signed calls only.
    pub fn new(
        endpoints: &Endpoints,
        credentials: Option<Credentials>,
        clock: Arc<dyn Clock>,
        options: &GatewayOptions,
    ) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(options.request_timeout))
            .http_status_as_error(false)
            .build()
            .into();
        Self {
            agent,
            base: endpoints.rest.trim_end_matches('/').to_owned(),
            credentials,
            recv_window_ms: options.recv_window_ms,
            rate_limit_retries: options.rate_limit_retries,
            backoff: options.rate_limit_backoff,
            clock,
        }
    }

    /// An unsigned GET (market data); returns the body once `retCode` is 0.
    pub fn public_get(&self, path: &str, query: &str) -> Result<String, VenueError> {
        self.request(Method::Get, path, query, false)
    }

    /// A signed GET (account data); `query` is signed exactly as sent.
    pub fn signed_get(&self, path: &str, query: &str) -> Result<String, VenueError> {
        self.request(Method::Get, path, query, true)
    }

    /// A signed POST with a JSON body (order entry); the body is signed exactly as sent.
    pub fn signed_post(&self, path: &str, body: &str) -> Result<String, VenueError> {
        self.request(Method::Post, path, body, true)
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        payload: &str,
        signed: bool,
    ) -> Result<String, VenueError> {
        let mut attempt = 0;
        loop {
            let answer = self
                .send_once(method, path, payload, signed)
                .and_then(|body| check_status(&body).map(|()| body));
            match answer {
                Err(VenueError::RateLimited { .. }) if attempt < self.rate_limit_retries => {
                    std::thread::sleep(self.backoff.delay(attempt));
                    attempt += 1;
                }
                Err(VenueError::RateLimited { context, .. }) => {
                    let wait = self.backoff.delay(attempt);
                    return Err(VenueError::RateLimited {
                        context,
                        retry_after_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    });
                }
                Err(error) => return Err(error),
                Ok(body) => return Ok(body),
            }
        }
    }

    fn send_once(
        &self,
        method: Method,
        path: &str,
        payload: &str,
        signed: bool,
    ) -> Result<String, VenueError> {
        let url = match (method, payload.is_empty()) {
            (Method::Get, false) => format!("{}{path}?{payload}", self.base),
            _ => format!("{}{path}", self.base),
        };
        let headers = if signed {
            let credentials = self
                .credentials
                .as_ref()
                .ok_or(VenueError::MissingCredentials {
                    variable: API_KEY_VAR,
                })?;
            let timestamp = self.clock.now().0.max(0) as u64 / 1_000_000;
            let signature = rest_signature(credentials, timestamp, self.recv_window_ms, payload);
            vec![
                ("X-BAPI-API-KEY", credentials.api_key().to_owned()),
                ("X-BAPI-TIMESTAMP", timestamp.to_string()),
                ("X-BAPI-RECV-WINDOW", self.recv_window_ms.to_string()),
                ("X-BAPI-SIGN", signature),
            ]
        } else {
            Vec::new()
        };
        let result = match method {
            Method::Get => {
                let mut request = self.agent.get(&url);
                for (name, value) in &headers {
                    request = request.header(*name, value);
                }
                request.call()
            }
            Method::Post => {
                let mut request = self
                    .agent
                    .post(&url)
                    .header("Content-Type", "application/json");
                for (name, value) in &headers {
                    request = request.header(*name, value);
                }
                request.send(payload)
            }
        };
        let mut response = result.map_err(|error| transport(&url, path, error))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .read_to_string()
            .map_err(|error| transport(&url, path, error))?;
        match status {
            200..=299 => Ok(body),
            // Bybit answers an IP over its rate limit with 403 (or 429): back off.
            403 | 429 => Err(VenueError::RateLimited {
                context: format!("bybit {path}: HTTP {status}"),
                retry_after_ms: 0,
            }),
            // A JSON answer with a retCode says more than the status.
            _ => match check_status(&body) {
                Err(VenueError::Rejected {
                    context,
                    code,
                    message,
                    ..
                }) => Err(VenueError::Rejected {
                    context,
                    status,
                    code,
                    message,
                }),
                _ => Err(VenueError::Rejected {
                    context: format!("bybit {path}"),
                    status,
                    code: 0,
                    message: body.chars().take(200).collect(),
                }),
            },
        }
    }
}

/// `retCode` 0 passes; 10006 is [`VenueError::RateLimited`]; anything else is
/// [`VenueError::Rejected`] (a body without one is [`VenueError::Protocol`]).
pub fn check_status(body: &str) -> Result<(), VenueError> {
    let status: Status = serde_json::from_str(body)
        .map_err(|error| protocol("bybit", format!("answer without retCode: {error}")))?;
    match status.ret_code {
        0 => Ok(()),
        RATE_LIMIT_CODE => Err(VenueError::RateLimited {
            context: format!("bybit retCode {RATE_LIMIT_CODE} {}", status.ret_msg),
            retry_after_ms: 0,
        }),
        code => Err(VenueError::Rejected {
            context: "bybit".to_owned(),
            status: 200,
            code,
            message: status.ret_msg,
        }),
    }
}

fn transport(url: &str, path: &str, error: ureq::Error) -> VenueError {
    match error {
        ureq::Error::BadUri(reason) => VenueError::Endpoint {
            endpoint: url.to_owned(),
            reason,
        },
        other => VenueError::Transport {
            context: format!("bybit {path}"),
            reason: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_become_typed_errors() {
        assert!(check_status(r#"{"retCode":0,"retMsg":"OK","result":{}}"#).is_ok());
        let error = check_status(r#"{"retCode":10006,"retMsg":"Too many visits!"}"#).unwrap_err();
        assert!(matches!(error, VenueError::RateLimited { .. }));
        assert!(!error.is_terminal());
        let error = check_status(r#"{"retCode":110007,"retMsg":"ab not enough"}"#).unwrap_err();
        assert!(matches!(
            error,
            VenueError::Rejected {
                code: 110_007,
                ref message,
                ..
            } if message == "ab not enough"
        ));
        assert!(error.is_terminal());
        assert!(matches!(
            check_status("<html>"),
            Err(VenueError::Protocol { .. })
        ));
    }
}
