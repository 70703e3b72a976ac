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
