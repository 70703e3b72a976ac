//! Where a venue is reached: its production hosts, or one override (`--endpoint
//! http://127.0.0.1:P`, the local mock exchange) that serves REST and WebSocket on one port.

/// The REST base URL and the WebSocket base URL of a venue connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// e.g. `https://fapi.binance.com` (no trailing slash).
    pub rest: String,
    /// e.g. `wss://fstream.binance.com` (no trailing slash).
    pub websocket: String,
}

impl Endpoints {
    /// Bybit v5 production hosts.
    pub fn bybit_production() -> Self {
        Self {
            rest: "https://api.bybit.com".to_owned(),
            websocket: "wss://stream.bybit.com".to_owned(),
        }
    }

    /// One override for both protocols (`--endpoint http://127.0.0.1:P`): REST at the URL,
    /// WebSocket at the same host and port (`http` → `ws`, `https` → `wss`).
    pub fn from_override(endpoint: &str) -> Result<Self, crate::VenueError> {
        let trimmed = endpoint.trim().trim_end_matches('/');
        let invalid = |reason: &str| crate::VenueError::Endpoint {
            endpoint: endpoint.to_owned(),
            reason: reason.to_owned(),
        };
        let (websocket_scheme, host) = if let Some(host) = trimmed.strip_prefix("http://") {
            ("ws://", host)
        } else if let Some(host) = trimmed.strip_prefix("https://") {
            ("wss://", host)
        } else {
            return Err(invalid("expected http://HOST:PORT or https://HOST:PORT"));
        };
        if host.is_empty() || host.contains('/') {
            return Err(invalid("expected a host and port without a path"));
        }
        Ok(Self {
            rest: trimmed.to_owned(),
            websocket: format!("{websocket_scheme}{host}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_serves_rest_and_websocket_on_one_port() {
        let endpoints = Endpoints::from_override("http://127.0.0.1:8123/").unwrap();
        assert_eq!(endpoints.rest, "http://127.0.0.1:8123");
        assert_eq!(endpoints.websocket, "ws://127.0.0.1:8123");
        let secure = Endpoints::from_override("https://example.invalid").unwrap();
        assert_eq!(secure.websocket, "wss://example.invalid");
        assert!(Endpoints::from_override("127.0.0.1:8123").is_err());
        assert!(Endpoints::from_override("http://127.0.0.1:8123/v5").is_err());
        assert_eq!(Endpoints::bybit_production().rest, "https://api.bybit.com");
    }
}
