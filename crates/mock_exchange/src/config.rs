//! What the mock exchange is asked to do: the venue whose protocol it speaks, the captures it
//! replays, the pace, the port, the account keys and the starting balance.

use std::fmt;
use std::path::PathBuf;

use auction_trader_execution::FillModelConfig;
use auction_trader_types::Money;

use crate::MockError;

/// The test key pair used when none is given (`--api-key/--api-secret` or the environment
/// variables `MOCK_API_KEY` / `MOCK_API_SECRET`). Public on purpose: it guards nothing.
pub const DEFAULT_API_KEY: &str = "mock-api-key";
pub const DEFAULT_API_SECRET: &str = "mock-api-secret";

/// Starting balance of every account, in the quote currency (USDT).
pub const DEFAULT_BALANCE_UNITS: i64 = 10_000;

/// The protocol the mock speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Venue {
    /// Binance USD-M futures (`/stream`, `/fapi/...`, `/ws/<listenKey>`).
    BinanceUsdm,
    /// Bybit v5 linear (`/v5/public/linear`, `/v5/private`, `/v5/...`).
    Bybit,
}

impl Venue {
    /// Parses the CLI spelling: `binance-usdm` or `bybit`.
    pub fn parse(text: &str) -> Result<Self, MockError> {
        match text {
            "binance-usdm" => Ok(Self::BinanceUsdm),
            "bybit" => Ok(Self::Bybit),
            other => Err(MockError::InvalidSetting {
                setting: "venue",
                reason: format!("{other:?}: expected binance-usdm or bybit"),
            }),
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BinanceUsdm => "binance-usdm",
            Self::Bybit => "bybit",
        }
    }
}

/// How fast the capture is replayed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// Recorded local time divided by this factor (1 = real time, 10 = ten times faster).
    Factor(f64),
    /// No pacing: each frame is handed to every subscribed connection as soon as that
    /// connection has taken the previous one ("as fast as the client reads"; the slowest
    /// subscriber sets the pace). For tests.
    AsFastAsRead,
}

impl Speed {
    /// Parses `--speed`: a positive number, or `max` for [`Speed::AsFastAsRead`].
    pub fn parse(text: &str) -> Result<Self, MockError> {
        if text.eq_ignore_ascii_case("max") {
            return Ok(Self::AsFastAsRead);
        }
        match text.parse::<f64>() {
            Ok(factor) if factor.is_finite() && factor > 0.0 => Ok(Self::Factor(factor)),
            _ => Err(MockError::InvalidSetting {
                setting: "speed",
                reason: format!("{text:?}: expected a positive number or `max`"),
            }),
        }
    }
}

/// One account's API key pair. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub api_key: String,
    pub api_secret: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Credentials")
            .field("api_key", &self.api_key)
            .field("api_secret", &"<redacted>")
            .finish()
    }
}

impl Default for Credentials {
    fn default() -> Self {
        Self {
            api_key: DEFAULT_API_KEY.to_owned(),
            api_secret: DEFAULT_API_SECRET.to_owned(),
        }
    }
}

/// Everything the mock exchange needs to run.
#[derive(Debug, Clone)]
pub struct MockConfig {
    pub venue: Venue,
    /// Binance USD-M capture files (plain or `.gz`), one continuous capture in this order.
    pub replay: Vec<PathBuf>,
    pub speed: Speed,
    /// Port on 127.0.0.1 (0: any free port, reported by [`crate::MockServer::address`]).
    pub port: u16,
    /// One account per key pair.
    pub accounts: Vec<Credentials>,
    /// Starting balance of each account (quote currency).
    pub balance: Money,
    /// The simulated exchange's fill model (the backtest's defaults unless changed).
    pub fill_model: FillModelConfig,
    /// Start the replay clock at the first market-data subscription (true, the default: a
    /// test or a trading process sees the capture from its first frame) or at once.
    pub wait_for_client: bool,
}

impl MockConfig {
    /// A configuration with the defaults: speed 1, the default key pair, 10,000 USDT, the
    /// default fill model, waiting for the first client.
    pub fn new(venue: Venue, replay: Vec<PathBuf>, port: u16) -> Self {
        Self {
            venue,
            replay,
            speed: Speed::Factor(1.0),
            port,
            accounts: vec![Credentials::default()],
            balance: Money::from_units(DEFAULT_BALANCE_UNITS).unwrap_or(Money::ZERO),
            fill_model: FillModelConfig::default(),
            wait_for_client: true,
        }
    }
}
