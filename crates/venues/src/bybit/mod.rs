//! Bybit v5 (linear perpetuals, the unified trading account): public and private WebSocket streams and the `X-BAPI-*`-signed REST endpoints.
