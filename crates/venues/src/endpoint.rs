//! Where a venue is reached: its production hosts, or one override (`--endpoint
//! http://127.0.0.1:P`, the local mock exchange) that serves REST and WebSocket on one port.

use crate::VenueError;

/// The REST base URL and the WebSocket base URL of a venue connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// e.g. `https://fapi.binance.com` (no trailing slash).
    pub rest: String,
    /// e.g. `wss://fstream.binance.com` (no trailing slash).
    pub websocket: String,
}

impl Endpoints {
    /// Binance USD-M futures production: REST `https://fapi.binance.com`, WebSocket
    /// `wss://fstream.binance.com`.
    pub fn binance_usdm_production() -> Self {
        Self {
            rest: "https://fapi.binance.com".to_owned(),
            websocket: "wss://fstream.binance.com".to_owned(),
        }
    }

    /// One override for both protocols (`--endpoint http://127.0.0.1:P`, the local mock
    /// exchange): REST at the URL itself, WebSocket at the same host and port (`http` ->
    /// `ws`, `https` -> `wss`), same paths as production.
    pub fn from_override(url: &str) -> Result<Self, VenueError> {
        let url = url.trim().trim_end_matches('/');
        let invalid = |reason: &str| VenueError::Endpoint {
            endpoint: url.to_owned(),
            reason: reason.to_owned(),
        };
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| invalid("expected http://host:port or https://host:port"))?;
        let websocket_scheme = match scheme {
            "http" => "ws",
            "https" => "wss",
            _ => return Err(invalid("the scheme must be http or https")),
        };
        if rest.is_empty() || rest.contains('/') {
            return Err(invalid("expected a host (and port) without a path"));
        }
        Ok(Self {
            rest: url.to_owned(),
            websocket: format!("{websocket_scheme}://{rest}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_override_serves_rest_and_websocket_on_one_port() {
        let endpoints = Endpoints::from_override("http://127.0.0.1:8123/").unwrap();
        assert_eq!(endpoints.rest, "http://127.0.0.1:8123");
        assert_eq!(endpoints.websocket, "ws://127.0.0.1:8123");
        let secure = Endpoints::from_override("https://example.invalid").unwrap();
        assert_eq!(secure.websocket, "wss://example.invalid");
        assert!(Endpoints::from_override("127.0.0.1:8123").is_err());
        assert!(Endpoints::from_override("ftp://127.0.0.1:1").is_err());
        assert!(Endpoints::from_override("http://127.0.0.1:1/fapi").is_err());
    }

    #[test]
    fn binance_production_hosts() {
        let endpoints = Endpoints::binance_usdm_production();
        assert_eq!(endpoints.rest, "https://fapi.binance.com");
        assert_eq!(endpoints.websocket, "wss://fstream.binance.com");
    }
}
