//! The one YAML file of a run (SPEC 9): every parameter with its SPEC 10 default, unknown keys
//! rejected, secrets never in the file (only environment variables, see `secret_from_env`).
//! The effective configuration (defaults filled in) is saved with every run.

use std::path::{Path, PathBuf};

use auction_trader_execution::FillModelConfig;
use auction_trader_features::FeatureConfig;
use auction_trader_risk::RiskConfig;
use auction_trader_strategy::{
    AuctionConfig, DrainConfig, MeanReversionConfig, ModelScoreConfig, RequoteConfig,
};
use auction_trader_types::{ContractType, NANOS_PER_MINUTE, UnixNanos};
use serde::{Deserialize, Serialize};

use crate::error::BacktestError;
use crate::sma_cross::SmaCrossConfig;

/// A backtest run configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BacktestConfig {
    #[serde(default)]
    pub run: RunConfig,
    pub data: DataConfig,
    #[serde(default)]
    pub instrument: InstrumentOverrides,
    #[serde(default)]
    pub account: AccountConfig,
    #[serde(default)]
    pub features: FeatureConfig,
    #[serde(default)]
    pub strategy: StrategyConfig,
    #[serde(default)]
    pub risk: RiskConfig,
    #[serde(default)]
    pub execution: FillModelConfig,
    /// Where the ticks are stored when not in `data.dir` (SPEC 1.4: PostgreSQL). Left out
    /// of the effective config when unset, so embedded runs keep their config text.
    #[serde(default, skip_serializing_if = "StorageConfig::is_embedded")]
    pub storage: StorageConfig,
}

/// The tick store of a run: the embedded `data.dir` (default), or a PostgreSQL database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// `postgres://USER@HOST:PORT/DATABASE`; the password comes from `PGPASSWORD`, never
    /// from the file. Imports listed under `data.import` go there too.
    pub url: Option<String>,
}

impl StorageConfig {
    pub fn is_embedded(&self) -> bool {
        self.url.is_none()
    }

    /// A PostgreSQL URL without a password, or nothing.
    pub fn validate(&self) -> Result<(), String> {
        let Some(url) = &self.url else {
            return Ok(());
        };
        let location = auction_trader_store_postgres::PgLocation::parse(url, None)
            .map_err(|error| format!("url: {error}"))?;
        if location.password_in_url() {
            return Err(format!(
                "url: {location} carries a password; secrets never go in the config file: \
                 remove it and set the PGPASSWORD environment variable"
            ));
        }
        Ok(())
    }
}

/// Where results go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    /// Run name: the run directory is `<output_dir>/<name>`.
    pub name: String,
    pub output_dir: PathBuf,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            name: "backtest".to_owned(),
            output_dir: PathBuf::from("runs"),
        }
    }
}

/// Which stored data the run replays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// The embedded data directory (Parquet + catalog); default `data`.
    #[serde(default = "default_data_dir")]
    pub dir: PathBuf,
    /// Files imported into `dir` before the run when their source is not there yet.
    #[serde(default)]
    pub import: Vec<PathBuf>,
    /// OHLCV CSV files among `import`: do row timestamps name the bar's `open` or `close`?
    #[serde(default = "default_bar_label")]
    pub bar_label: String,
    pub venue: String,
    pub symbol: String,
    /// perp, spot or future.
    #[serde(default = "default_market")]
    pub market: String,
    /// Inclusive start / exclusive end (RFC 3339, `YYYY-MM-DDTHH:MM:SS`, `YYYY-MM-DD`, epoch
    /// ms or ns; naive times UTC; see [`crate::time_text`]); the whole store when absent.
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub end: Option<String>,
    /// Minutes of data before `start` replayed only to warm the engine up (features and
    /// strategy state; no trades, no records). SPEC 7: recorded data may be used to warm up.
    /// Default 240 (the profile window).
    #[serde(default = "default_warmup_minutes")]
    pub warmup_minutes: u32,
    /// Stream kinds to replay (depth, quotes, trades, liquidations, funding, bars: the stored
    /// streams' names); all when empty.
    #[serde(default)]
    pub kinds: Vec<String>,
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}

fn default_warmup_minutes() -> u32 {
    240
}

fn default_bar_label() -> String {
    "open".to_owned()
}

fn default_market() -> String {
    "perp".to_owned()
}

impl DataConfig {
    /// `start` as a time (`None` when absent).
    pub fn start_time(&self) -> Result<Option<UnixNanos>, BacktestError> {
        self.start
            .as_deref()
            .map(|text| {
                crate::time_text::parse_utc_time(text)
                    .map_err(|message| config_error("data.start", &message))
            })
            .transpose()
    }

    /// `end` as a time (`None` when absent).
    pub fn end_time(&self) -> Result<Option<UnixNanos>, BacktestError> {
        self.end
            .as_deref()
            .map(|text| {
                crate::time_text::parse_utc_time(text)
                    .map_err(|message| config_error("data.end", &message))
            })
            .transpose()
    }

    /// Where the replay starts: `warmup_minutes` before `start`.
    pub fn replay_from(&self) -> Result<Option<UnixNanos>, BacktestError> {
        Ok(self.start_time()?.map(|start| {
            start.saturating_add_nanos(-i64::from(self.warmup_minutes) * NANOS_PER_MINUTE)
        }))
    }
}

fn config_error(field: &str, message: &str) -> BacktestError {
    BacktestError::Config(format!("{field}: {message}"))
}

/// Instrument metadata overrides (the venue table supplies the defaults).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InstrumentOverrides {
    pub tick_size: Option<f64>,
    pub lot_size: Option<f64>,
    pub min_size: Option<f64>,
    pub contract_multiplier: Option<f64>,
    /// Fees in basis points (2 = 0.02%); never negative.
    pub maker_fee_bps: Option<f64>,
    pub taker_fee_bps: Option<f64>,
    /// A maker rebate the venue pays, in basis points (≥ 0; the maker fee becomes −rebate):
    /// the only way to configure a negative fee.
    pub maker_rebate_bps: Option<f64>,
    /// `linear` or `inverse` (SPEC 5); the venue's when absent. Required for venues whose
    /// contracts may be coin-margined (BitMEX, Deribit, ...): they are never valued as linear
    /// silently.
    pub contract_type: Option<ContractType>,
}

impl InstrumentOverrides {
    /// Fees are costs: a negative `maker_fee_bps`/`taker_fee_bps` is refused (a sign slip
    /// would otherwise run as a rebate); a venue's rebate is `maker_rebate_bps`, alone.
    pub fn validate(&self) -> Result<(), String> {
        for (key, value) in [
            ("maker_fee_bps", self.maker_fee_bps),
            ("taker_fee_bps", self.taker_fee_bps),
        ] {
            if let Some(bps) = value
                && bps < 0.0
            {
                return Err(format!(
                    "{key}: {bps} bps is negative; fees are never negative: configure a \
                     venue's maker rebate explicitly as instrument.maker_rebate_bps (a \
                     positive number)"
                ));
            }
        }
        match (self.maker_fee_bps, self.maker_rebate_bps) {
            (Some(_), Some(_)) => Err(
                "maker_rebate_bps: set either maker_fee_bps or maker_rebate_bps, not both"
                    .to_owned(),
            ),
            (None, Some(rebate)) if rebate.is_nan() || rebate < 0.0 => Err(format!(
                "maker_rebate_bps: {rebate} is not a positive number (the rebate the venue pays)"
            )),
            _ => Ok(()),
        }
    }
}

/// The simulated account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountConfig {
    /// Starting equity in the settlement currency: the quote currency (linear contracts) or
    /// the base coin (inverse contracts, e.g. BTC for BTCUSD_PERP).
    pub initial_equity: f64,
}

impl Default for AccountConfig {
    fn default() -> Self {
        Self {
            initial_equity: 10_000.0,
        }
    }
}

/// Which strategy runs (SPEC 0: one family per engine instance).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrategyKind {
    #[default]
    Auction,
    /// SPEC 3.2 liquidity-drain reversal (needs depth and trades).
    Drain,
    /// Dual moving-average crossover over one-minute bars (`strategy.sma_cross`).
    SmaCross,
    /// SPEC 3.3 statistical mean reversion at one-minute closes (`strategy.mean_reversion`).
    MeanReversion,
    /// Quotes at the touch and trades within seconds (`strategy.requote`): an operating
    /// check for paper and live sessions, not an edge.
    Requote,
    /// SPEC 3.3 model-scored variant: a gradient-boosted model trained by `model train`
    /// scores the research features at one-minute closes (`strategy.model_score`).
    ModelScore,
}

impl StrategyKind {
    /// The config spelling (`strategy.kind`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Auction => "auction",
            Self::Drain => "drain",
            Self::SmaCross => "sma_cross",
            Self::MeanReversion => "mean_reversion",
            Self::Requote => "requote",
            Self::ModelScore => "model_score",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StrategyConfig {
    pub kind: StrategyKind,
    pub auction: AuctionConfig,
    pub drain: DrainConfig,
    pub sma_cross: SmaCrossConfig,
    pub mean_reversion: MeanReversionConfig,
    pub requote: RequoteConfig,
    pub model_score: ModelScoreConfig,
}

impl BacktestConfig {
    /// Reads, parses and validates a YAML file.
    pub fn load(path: &Path) -> Result<Self, BacktestError> {
        let text = std::fs::read_to_string(path).map_err(|source| BacktestError::Io {
            path: path.to_path_buf(),
            cause: source,
        })?;
        Self::parse(&text).map_err(|error| match error {
            BacktestError::Config(message) => {
                BacktestError::Config(format!("{}: {message}", path.display()))
            }
            other => other,
        })
    }

    /// Parses and validates YAML text (unknown keys are errors, with their location).
    pub fn parse(text: &str) -> Result<Self, BacktestError> {
        let config: Self =
            yaml_serde::from_str(text).map_err(|error| BacktestError::Config(error.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Every section's own checks, plus the run-level ones.
    pub fn validate(&self) -> Result<(), BacktestError> {
        let section = |name: &str, result: Result<(), String>| {
            result.map_err(|message| BacktestError::Config(format!("{name}: {message}")))
        };
        section("storage", self.storage.validate())?;
        section(
            "features",
            self.features.validate().map_err(|error| error.to_string()),
        )?;
        // The message starts with the key: "instrument.taker_fee_bps: ...".
        self.instrument
            .validate()
            .map_err(|message| BacktestError::Config(format!("instrument.{message}")))?;
        section(
            "risk",
            self.risk.validate().map_err(|error| error.to_string()),
        )?;
        section(
            "execution",
            self.execution.validate().map_err(|error| error.to_string()),
        )?;
        section(
            "strategy.auction",
            self.strategy
                .auction
                .validate()
                .map_err(|error| error.to_string()),
        )?;
        section(
            "strategy.mean_reversion",
            self.strategy
                .mean_reversion
                .validate()
                .map_err(|error| error.to_string()),
        )?;
        section(
            "strategy.requote",
            self.strategy
                .requote
                .validate()
                .map_err(|error| error.to_string()),
        )?;
        if self.strategy.kind == StrategyKind::SmaCross {
            section("strategy.sma_cross", self.strategy.sma_cross.validate())?;
        }
        if self.strategy.kind == StrategyKind::ModelScore {
            section(
                "strategy.model_score",
                self.strategy
                    .model_score
                    .validate()
                    .map_err(|error| error.to_string()),
            )?;
            if self.strategy.model_score.model.is_empty() {
                return Err(BacktestError::Config(
                    "strategy.model_score.model: the model directory (from `auction-trader \
                     model train --out DIR`) is required"
                        .to_owned(),
                ));
            }
        }
        if !(self.account.initial_equity.is_finite() && self.account.initial_equity > 0.0) {
            return Err(BacktestError::Config(format!(
                "account.initial_equity: must be a positive number, got {}",
                self.account.initial_equity
            )));
        }
        if let (Some(start), Some(end)) = (self.data.start_time()?, self.data.end_time()?)
            && end <= start
        {
            return Err(BacktestError::Config(format!(
                "data.end ({end}) must be after data.start ({start})"
            )));
        }
        if !matches!(self.data.bar_label.as_str(), "open" | "close") {
            return Err(BacktestError::Config(format!(
                "data.bar_label: must be open or close, got {:?}",
                self.data.bar_label
            )));
        }
        if self.run.name.is_empty()
            || self
                .run
                .name
                .chars()
                .any(|character| matches!(character, '/' | '\\' | '\0'))
        {
            return Err(BacktestError::Config(format!(
                "run.name: must be a non-empty file name, got {:?}",
                self.run.name
            )));
        }
        let overrides = [
            ("instrument.tick_size", self.instrument.tick_size),
            ("instrument.lot_size", self.instrument.lot_size),
            ("instrument.min_size", self.instrument.min_size),
            (
                "instrument.contract_multiplier",
                self.instrument.contract_multiplier,
            ),
        ];
        for (name, value) in overrides {
            if let Some(value) = value
                && !(value.is_finite() && value > 0.0)
            {
                return Err(BacktestError::Config(format!(
                    "{name}: must be a positive number, got {value}"
                )));
            }
        }
        Ok(())
    }

    /// The effective configuration as YAML (every default written out).
    pub fn to_yaml(&self) -> Result<String, BacktestError> {
        yaml_serde::to_string(self).map_err(|error| BacktestError::Config(error.to_string()))
    }

    /// The run directory.
    pub fn run_dir(&self) -> PathBuf {
        self.run.output_dir.join(&self.run.name)
    }
}

/// SPEC 9: secrets (API keys, webhook URLs) come only from environment variables, never from
/// the YAML file. Returns `None` when the variable is unset or empty.
pub fn secret_from_env(variable: &str) -> Option<String> {
    std::env::var(variable)
        .ok()
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "data:\n  venue: bitflyer\n  symbol: BTC_JPY\n  market: spot\n";

    #[test]
    fn negative_fees_are_refused_naming_the_key_unless_a_rebate() {
        for key in ["taker_fee_bps", "maker_fee_bps"] {
            let text = format!("{MINIMAL}instrument:\n  {key}: -50\n");
            let message = BacktestConfig::parse(&text)
                .err()
                .map(|error| error.to_string())
                .unwrap_or_default();
            assert!(message.contains(&format!("instrument.{key}")), "{message}");
            assert!(message.contains("maker_rebate_bps"), "{message}");
        }
        let rebate = format!("{MINIMAL}instrument:\n  maker_rebate_bps: 0.5\n  taker_fee_bps: 5\n");
        let config = BacktestConfig::parse(&rebate).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(config.instrument.maker_rebate_bps, Some(0.5));
        let both = format!("{MINIMAL}instrument:\n  maker_rebate_bps: 0.5\n  maker_fee_bps: 1\n");
        assert!(BacktestConfig::parse(&both).is_err());
        let negative_rebate = format!("{MINIMAL}instrument:\n  maker_rebate_bps: -1\n");
        assert!(BacktestConfig::parse(&negative_rebate).is_err());
        // The fill model's overrides follow the same rule.
        let execution = format!("{MINIMAL}execution:\n  taker_fee_bps: -50\n");
        let message = BacktestConfig::parse(&execution)
            .err()
            .map(|error| error.to_string())
            .unwrap_or_default();
        assert!(message.contains("taker_fee_bps"), "{message}");
    }

    #[test]
    fn minimal_file_gets_every_default() {
        let config = BacktestConfig::parse(MINIMAL).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(config.data.dir, PathBuf::from("data"));
        assert_eq!(config.account.initial_equity, 10_000.0);
        assert_eq!(config.features.profile_window_minutes, 240);
        assert_eq!(config.run_dir(), PathBuf::from("runs/backtest"));
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_name() {
        let text = format!("{MINIMAL}risk:\n  risk_per_trad: 0.01\n");
        let error = BacktestConfig::parse(&text)
            .err()
            .map(|error| error.to_string());
        let message = error.unwrap_or_default();
        assert!(message.contains("risk_per_trad"), "{message}");
        let text = format!("{MINIMAL}colour: blue\n");
        let message = BacktestConfig::parse(&text)
            .err()
            .map(|error| error.to_string())
            .unwrap_or_default();
        assert!(message.contains("colour"), "{message}");
    }

    #[test]
    fn effective_config_round_trips() {
        let config = BacktestConfig::parse(MINIMAL).unwrap_or_else(|error| panic!("{error}"));
        let yaml = config.to_yaml().unwrap_or_else(|error| panic!("{error}"));
        let back = BacktestConfig::parse(&yaml).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(back, config);
    }

    #[test]
    fn bad_values_name_the_field() {
        let text = format!("{MINIMAL}account:\n  initial_equity: -5\n");
        let message = BacktestConfig::parse(&text)
            .err()
            .map(|error| error.to_string())
            .unwrap_or_default();
        assert!(message.contains("account.initial_equity"), "{message}");
        let text = format!("{MINIMAL}run:\n  name: a/b\n");
        assert!(BacktestConfig::parse(&text).is_err());
    }

    #[test]
    fn times_parse_in_three_forms_and_warm_up_precedes_the_start() {
        let text = format!("{MINIMAL}  start: 2018-01-22\n  end: 2018-01-22T06:00:00\n");
        let config = BacktestConfig::parse(&text).unwrap_or_else(|error| panic!("{error}"));
        // 2018-01-22T00:00:00Z = 1,516,579,200 s.
        assert_eq!(
            config.data.start_time().ok().flatten(),
            Some(UnixNanos(1_516_579_200_000_000_000))
        );
        assert_eq!(
            config.data.end_time().ok().flatten(),
            Some(UnixNanos(1_516_600_800_000_000_000))
        );
        // 240 minutes earlier: 2018-01-21T20:00:00Z.
        assert_eq!(
            config.data.replay_from().ok().flatten(),
            Some(UnixNanos(1_516_564_800_000_000_000))
        );
        let offset = format!("{MINIMAL}  start: 2018-01-22T09:00:00+09:00\n");
        let config = BacktestConfig::parse(&offset).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            config.data.start_time().ok().flatten(),
            Some(UnixNanos(1_516_579_200_000_000_000))
        );
        let backwards = format!("{MINIMAL}  start: 2018-01-22\n  end: 2018-01-21\n");
        assert!(BacktestConfig::parse(&backwards).is_err());
        let nonsense = format!("{MINIMAL}  start: yesterday\n");
        let message = BacktestConfig::parse(&nonsense)
            .err()
            .map(|error| error.to_string())
            .unwrap_or_default();
        assert!(message.contains("data.start"), "{message}");
    }

    #[test]
    fn an_unset_secret_is_none() {
        // SPEC 9: secrets come only from the environment; unset or empty means absent.
        assert_eq!(
            secret_from_env("AUCTION_TRADER_TEST_SURELY_UNSET_SECRET"),
            None
        );
    }

    #[test]
    fn missing_data_section_is_an_error() {
        assert!(BacktestConfig::parse("run:\n  name: x\n").is_err());
    }
}
