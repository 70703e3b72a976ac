//! Options of the Bybit adapter and the paths it speaks (Bybit v5 API; `--endpoint` replaces
//! only the hosts, see [`crate::Endpoints`]).

use std::time::Duration;

use crate::{Endpoints, VenueError};

use super::common::backoff::Backoff;

/// Public WebSocket path of linear (USDT/USDC) contracts.
pub const PUBLIC_LINEAR_PATH: &str = "/v5/public/linear";
/// Private WebSocket path (order, execution, position, wallet topics).
pub const PRIVATE_PATH: &str = "/v5/private";
/// The `category` of every REST request: linear perpetuals.
pub const CATEGORY: &str = "linear";
/// Order-book depths of the linear public stream.
pub const BOOK_DEPTHS: [u32; 4] = [1, 50, 200, 500];
/// Bybit asks clients to ping every 20 s to keep a connection alive.
pub const PING_INTERVAL: Duration = Duration::from_secs(20);

// The Bybit hosts live here, beside the Bybit paths (an inherent impl may sit in any module of
// the crate), so `endpoint.rs` stays venue-neutral.
impl Endpoints {
    /// Bybit v5 production: REST `https://api.bybit.com`, WebSocket `wss://stream.bybit.com`
    /// (paths `/v5/public/linear`, `/v5/private`).
    pub fn bybit_production() -> Self {
        Self {
            rest: "https://api.bybit.com".to_owned(),
            websocket: "wss://stream.bybit.com".to_owned(),
        }
    }
}

/// Options of the public market-data feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedOptions {
    /// `orderbook.<depth>` subscribed (1, 50, 200 or 500). One book topic per feed: two
    /// depths would be two independent books.
    pub depth: u32,
    /// Subscribe `publicTrade.<symbol>`.
    pub trades: bool,
    /// Subscribe `tickers.<symbol>` (quotes and funding).
    pub tickers: bool,
    /// Subscribe `allLiquidation.<symbol>`.
    pub liquidations: bool,
    /// `{"op":"ping"}` interval.
    pub ping_interval: Duration,
    /// Reconnect delays (exponential, capped at 60 s, jittered).
    pub backoff: Backoff,
    /// Seed of the jitter generator (deterministic delays in tests).
    pub seed: u64,
    /// The feed closes for good after this many consecutive connection attempts without a
    /// book (refused, unreachable, a failed handshake, or a connection lost before its first
    /// snapshot); a connection that delivered a snapshot resets the count.
    pub give_up_after: u32,
    /// After a resubscribe for a book resync, reconnect when no snapshot came within this time.
    pub resync_timeout: Duration,
    /// Reconnect when nothing at all (not even a pong) arrived for this long.
    pub idle_timeout: Duration,
    /// TCP connect / handshake timeout.
    pub connect_timeout: Duration,
}

impl Default for FeedOptions {
    fn default() -> Self {
        Self {
            depth: 50,
            trades: true,
            tickers: true,
            liquidations: true,
            ping_interval: PING_INTERVAL,
            backoff: Backoff::default(),
            seed: 0x5eed_b1b1,
            give_up_after: 5,
            resync_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(45),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

impl FeedOptions {
    pub fn validate(&self) -> Result<(), VenueError> {
        if !BOOK_DEPTHS.contains(&self.depth) {
            return Err(VenueError::Config(format!(
                "bybit order-book depth {}: expected one of {BOOK_DEPTHS:?}",
                self.depth
            )));
        }
        if self.ping_interval.is_zero() || self.give_up_after == 0 {
            return Err(VenueError::Config(
                "bybit feed: ping interval and give_up_after must be positive".to_owned(),
            ));
        }
        Ok(())
    }

    /// The order-book topic of `symbol`.
    pub fn book_topic(&self, symbol: &str) -> String {
        format!("orderbook.{}.{symbol}", self.depth)
    }

    /// Every topic subscribed for `symbol`, the book first.
    pub fn topics(&self, symbol: &str) -> Vec<String> {
        let mut topics = vec![self.book_topic(symbol)];
        if self.trades {
            topics.push(format!("publicTrade.{symbol}"));
        }
        if self.tickers {
            topics.push(format!("tickers.{symbol}"));
        }
        if self.liquidations {
            topics.push(format!("allLiquidation.{symbol}"));
        }
        topics
    }
}

/// Options of the trading gateway (REST order entry + private stream).
#[derive(Debug, Clone, PartialEq)]
pub struct GatewayOptions {
    /// `X-BAPI-RECV-WINDOW` in milliseconds (Bybit default 5000).
    pub recv_window_ms: u64,
    /// Prefix of our `orderLinkId`s (`<prefix><OrderId>`): orders with another prefix are not
    /// ours and are ignored. Use a per-session prefix when order ids restart.
    pub order_link_prefix: String,
    /// Retries of a request refused by the rate limiter (retCode 10006) before giving up.
    pub rate_limit_retries: u32,
    /// Waits between those retries (exponential from `base`, capped).
    pub rate_limit_backoff: Backoff,
    /// Order requests (create, amend, cancel) sent per second at most, evenly spaced (Bybit
    /// allows 10 per second per endpoint on linear contracts by default).
    pub max_orders_per_second: u32,
    /// Private-stream ping interval.
    pub ping_interval: Duration,
    /// Private-stream reconnect delays.
    pub backoff: Backoff,
    pub seed: u64,
    /// REST request timeout.
    pub request_timeout: Duration,
}

impl Default for GatewayOptions {
    fn default() -> Self {
        Self {
            recv_window_ms: 5000,
            order_link_prefix: "at-".to_owned(),
            rate_limit_retries: 3,
            rate_limit_backoff: Backoff {
                base: Duration::from_millis(500),
                cap: Duration::from_secs(10),
            },
            max_orders_per_second: 10,
            ping_interval: PING_INTERVAL,
            backoff: Backoff::default(),
            seed: 0x5eed_9a7e,
            request_timeout: Duration::from_secs(10),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_hosts() {
        let endpoints = Endpoints::bybit_production();
        assert_eq!(endpoints.rest, "https://api.bybit.com");
        assert_eq!(endpoints.websocket, "wss://stream.bybit.com");
    }

    #[test]
    fn topics_and_validation() {
        let options = FeedOptions::default();
        assert_eq!(
            options.topics("BTCUSDT"),
            [
                "orderbook.50.BTCUSDT",
                "publicTrade.BTCUSDT",
                "tickers.BTCUSDT",
                "allLiquidation.BTCUSDT"
            ]
        );
        assert!(options.validate().is_ok());
        let bad = FeedOptions {
            depth: 25,
            ..FeedOptions::default()
        };
        assert!(bad.validate().is_err());
    }
}
