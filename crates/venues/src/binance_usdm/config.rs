//! Settings of the Binance USD-M connections: which market streams, reconnect backoff, REST
//! weight budget, and the API credentials (from the environment only, never shown).

use std::fmt;

use crate::VenueError;

/// Update speed of the diff-depth stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DepthSpeed {
    /// `<symbol>@depth@0ms`: every update (what the shared captures record).
    #[default]
    Realtime,
    /// `<symbol>@depth@100ms`.
    Ms100,
}

/// Which public trade streams to subscribe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TradeStreams {
    /// `<symbol>@trade` only (one print per fill).
    Trade,
    /// `<symbol>@aggTrade` only.
    AggTrade,
    /// Both (the team design's stream list).
    #[default]
    Both,
}

/// Exponential reconnect backoff with jitter (SPEC 7: capped at 60 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffOptions {
    /// Delay before the first retry, ms.
    pub initial_ms: u64,
    /// Cap of every delay, jitter included, ms (at most 60,000).
    pub max_ms: u64,
    /// Seed of the jitter generator (determinism: no unseeded randomness).
    pub jitter_seed: u64,
}

impl Default for BackoffOptions {
    fn default() -> Self {
        Self {
            initial_ms: 250,
            max_ms: 60_000,
            jitter_seed: 0x5EED_B1A5,
        }
    }
}

/// Options of [`super::MarketDataFeed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedOptions {
    pub depth_speed: DepthSpeed,
    pub trades: TradeStreams,
    /// `<symbol>@markPrice@1s` (funding and mark price).
    pub mark_price: bool,
    /// `<symbol>@forceOrder` (liquidations).
    pub liquidations: bool,
    /// Levels of the REST depth snapshot (`limit`: 5..1000; 1000 costs weight 20).
    pub snapshot_limit: u32,
    pub backoff: BackoffOptions,
    /// The feed ends for good ([`crate::FeedMessage::Closed`]) after this many consecutive
    /// connection attempts failed (refused, handshake or snapshot failure) since the last
    /// connection that worked; `None` retries forever. A server that closed its stream and
    /// stopped listening (the mock exchange at the end of its replay) is gone after it.
    pub give_up_after_failures: Option<u32>,
    /// How often a blocked read wakes up to look at the stop flag, ms.
    pub poll_ms: u64,
    /// REST request weight allowed per minute (Binance USD-M: 2,400); requests wait for the
    /// next minute when `X-MBX-USED-WEIGHT-1M` plus their own weight would pass 90% of it.
    pub rest_weight_limit: u32,
}

impl Default for FeedOptions {
    fn default() -> Self {
        Self {
            depth_speed: DepthSpeed::Realtime,
            trades: TradeStreams::Both,
            mark_price: true,
            liquidations: true,
            snapshot_limit: 1000,
            backoff: BackoffOptions::default(),
            give_up_after_failures: Some(5),
            poll_ms: 100,
            rest_weight_limit: 2400,
        }
    }
}

impl FeedOptions {
    /// The combined-stream names for `symbol` (lower case), in the team design's order.
    pub fn stream_names(&self, symbol: &str) -> Vec<String> {
        let symbol = symbol.to_ascii_lowercase();
        let depth = match self.depth_speed {
            DepthSpeed::Realtime => "depth@0ms",
            DepthSpeed::Ms100 => "depth@100ms",
        };
        let mut names = vec![format!("{symbol}@{depth}"), format!("{symbol}@bookTicker")];
        if matches!(self.trades, TradeStreams::Trade | TradeStreams::Both) {
            names.push(format!("{symbol}@trade"));
        }
        if matches!(self.trades, TradeStreams::AggTrade | TradeStreams::Both) {
            names.push(format!("{symbol}@aggTrade"));
        }
        if self.mark_price {
            names.push(format!("{symbol}@markPrice@1s"));
        }
        if self.liquidations {
            names.push(format!("{symbol}@forceOrder"));
        }
        names
    }
}

/// Options of [`super::Gateway`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayOptions {
    /// `recvWindow` of signed requests, ms (Binance default 5,000).
    pub recv_window_ms: u64,
    /// Listen-key keep-alive period, ms (Binance: keys expire after 60 min; every 30 min).
    pub keep_alive_ms: u64,
    pub backoff: BackoffOptions,
    pub poll_ms: u64,
    pub rest_weight_limit: u32,
    /// Prefix of our `newClientOrderId`s (`<prefix><OrderId>`): orders with another prefix
    /// are not ours. A live session uses its own (`at<start>g<generation>-`).
    pub client_id_prefix: String,
}

impl Default for GatewayOptions {
    fn default() -> Self {
        Self {
            recv_window_ms: 5_000,
            keep_alive_ms: 30 * 60 * 1_000,
            backoff: BackoffOptions::default(),
            poll_ms: 100,
            rest_weight_limit: 2400,
            client_id_prefix: "at-".to_owned(),
        }
    }
}

/// Environment variable of the API key.
pub const API_KEY_VARIABLE: &str = "BINANCE_API_KEY";
/// Environment variable of the API secret.
pub const API_SECRET_VARIABLE: &str = "BINANCE_API_SECRET";

/// An API key and its secret. Read only from the environment by the product (STYLE 6);
/// `Debug` shows neither.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    api_key: String,
    secret: String,
}

impl Credentials {
    /// `BINANCE_API_KEY` and `BINANCE_API_SECRET`.
    pub fn from_env() -> Result<Self, VenueError> {
        let read = |variable: &'static str| {
            std::env::var(variable)
                .ok()
                .filter(|value| !value.trim().is_empty())
                .ok_or(VenueError::MissingCredentials { variable })
        };
        Ok(Self::new(
            read(API_KEY_VARIABLE)?,
            read(API_SECRET_VARIABLE)?,
        ))
    }

    /// Explicit values (tests and the mock exchange's test accounts).
    pub fn new(api_key: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            api_key: api_key.into(),
            secret: secret.into(),
        }
    }

    pub(super) fn api_key(&self) -> &str {
        &self.api_key
    }

    pub(super) fn secret(&self) -> &[u8] {
        self.secret.as_bytes()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Credentials")
            .field("api_key", &"<redacted>")
            .field("secret", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_streams_are_the_team_design_url() {
        let names = FeedOptions::default().stream_names("BTCUSDT");
        assert_eq!(
            names.join("/"),
            "btcusdt@depth@0ms/btcusdt@bookTicker/btcusdt@trade/btcusdt@aggTrade/\
             btcusdt@markPrice@1s/btcusdt@forceOrder"
        );
    }

    #[test]
    fn debug_never_shows_the_secrets() {
        let credentials = Credentials::new("my-key-123", "my-secret-456");
        let shown = format!("{credentials:?}");
        assert!(!shown.contains("my-key-123"));
        assert!(!shown.contains("my-secret-456"));
        assert!(shown.contains("redacted"));
    }
}
