//! The YAML file of a session (SPEC 9): a backtest run configuration (the same keys, the same
//! defaults, unknown keys rejected) plus an optional `live:` section with the session's own
//! settings. Secrets never appear here: API keys and the webhook URL come only from the
//! environment.

use std::path::Path;

use auction_trader_backtest::BacktestConfig;
use serde::{Deserialize, Serialize};

use crate::LiveError;

/// The settings of a live session (SPEC 7, 10 defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LiveSettings {
    /// A full state snapshot every this many minutes of event time (SPEC 7: 5).
    pub snapshot_minutes: u32,
    /// Raw journal retention in hours (48), purged once per UTC day.
    pub retention_hours: u32,
    /// Feed latency (local receive − exchange time) above which an alert fires (SPEC 7: 100).
    pub feed_latency_alert_ms: u32,
    /// Kill switch: a data gap longer than this flattens the position (SPEC 7: 10 min).
    pub data_gap_flatten_minutes: u32,
    /// Kill switch: drawdown from peak equity above this fraction stops trading for
    /// `drawdown_stop_hours`, then the session resumes in observe mode (SPEC 7: 20%, 24 h).
    pub drawdown_stop_fraction: f64,
    pub drawdown_stop_hours: u32,
    /// Kill switch: slippage above this multiple of the estimate halves the size (SPEC 7: 3).
    pub slippage_halve_multiple: f64,
    /// Fills compared before the slippage switch may trip.
    pub slippage_min_fills: u32,
    /// Shadow mode: fill prices within this many ticks and times within this many
    /// milliseconds are equal (SPEC 7: 1 tick, 1 s).
    pub shadow_price_ticks: u32,
    pub shadow_time_ms: u32,
    /// Simulated modes only (dry-run, paper, shadow): a fresh data directory starts with
    /// trading enabled instead of in observe mode, so an unattended paper session trades
    /// without `control enable`. Live mode ignores it (SPEC 7: live trading starts in observe
    /// mode, the operator enables it); a directory whose control row was ever written (an
    /// operator's `disable`, a halt) keeps what that row says.
    pub paper_trading_on_start: bool,
}

impl Default for LiveSettings {
    fn default() -> Self {
        Self {
            snapshot_minutes: 5,
            retention_hours: 48,
            feed_latency_alert_ms: 100,
            data_gap_flatten_minutes: 10,
            drawdown_stop_fraction: 0.20,
            drawdown_stop_hours: 24,
            slippage_halve_multiple: 3.0,
            slippage_min_fills: 10,
            shadow_price_ticks: 1,
            shadow_time_ms: 1000,
            paper_trading_on_start: false,
        }
    }
}

impl LiveSettings {
    pub fn validate(&self) -> Result<(), String> {
        if self.snapshot_minutes == 0 {
            return Err("live.snapshot_minutes: must be at least 1".to_owned());
        }
        if self.retention_hours == 0 {
            return Err("live.retention_hours: must be at least 1".to_owned());
        }
        if !(self.drawdown_stop_fraction > 0.0 && self.drawdown_stop_fraction < 1.0) {
            return Err(format!(
                "live.drawdown_stop_fraction: must be in (0, 1), got {}",
                self.drawdown_stop_fraction
            ));
        }
        if !(self.slippage_halve_multiple.is_finite() && self.slippage_halve_multiple > 1.0) {
            return Err(format!(
                "live.slippage_halve_multiple: must be above 1, got {}",
                self.slippage_halve_multiple
            ));
        }
        Ok(())
    }
}

/// A session's configuration: the run configuration and the live section.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionConfig {
    pub run: BacktestConfig,
    pub live: LiveSettings,
}

impl SessionConfig {
    pub fn load(path: &Path) -> Result<Self, LiveError> {
        let text = std::fs::read_to_string(path).map_err(|cause| LiveError::io(path, cause))?;
        Self::parse(&text).map_err(|error| match error {
            LiveError::Config(message) => {
                LiveError::Config(format!("{}: {message}", path.display()))
            }
            other => other,
        })
    }

    /// Parses YAML: the `live:` key is taken out, the rest is a backtest configuration.
    pub fn parse(text: &str) -> Result<Self, LiveError> {
        let mut document: yaml_serde::Value =
            yaml_serde::from_str(text).map_err(|error| LiveError::Config(error.to_string()))?;
        let live = match document.as_mapping_mut() {
            Some(mapping) => mapping.remove("live"),
            None => None,
        };
        let live: LiveSettings = match live {
            Some(value) => yaml_serde::from_value(value)
                .map_err(|error| LiveError::Config(format!("live: {error}")))?,
            None => LiveSettings::default(),
        };
        live.validate().map_err(LiveError::Config)?;
        let rest = yaml_serde::to_string(&document)
            .map_err(|error| LiveError::Config(error.to_string()))?;
        let run = BacktestConfig::parse(&rest)?;
        Ok(Self { run, live })
    }

    /// The effective configuration (every default written out), as stored in the data
    /// directory with the session (SPEC 9).
    pub fn to_yaml(&self) -> Result<String, LiveError> {
        let mut text = self.run.to_yaml()?;
        let live = yaml_serde::to_string(&LiveSettingsSection { live: &self.live })
            .map_err(|error| LiveError::Config(error.to_string()))?;
        text.push_str(&live);
        Ok(text)
    }
}

#[derive(Serialize)]
struct LiveSettingsSection<'a> {
    live: &'a LiveSettings,
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "data:\n  venue: binance-usdm\n  symbol: BTCUSDT\n";

    #[test]
    fn the_live_section_is_optional_and_checked() {
        let config = SessionConfig::parse(MINIMAL).unwrap();
        assert_eq!(config.live, LiveSettings::default());
        assert_eq!(config.live.snapshot_minutes, 5);
        let text = format!("{MINIMAL}live:\n  snapshot_minutes: 1\n");
        assert_eq!(
            SessionConfig::parse(&text).unwrap().live.snapshot_minutes,
            1
        );
        let unknown = format!("{MINIMAL}live:\n  api_key: x\n");
        let message = SessionConfig::parse(&unknown).unwrap_err().to_string();
        assert!(message.contains("api_key"), "{message}");
        let outside = format!("{MINIMAL}colour: blue\n");
        assert!(SessionConfig::parse(&outside).is_err());
    }

    #[test]
    fn the_effective_config_round_trips() {
        let config = SessionConfig::parse(MINIMAL).unwrap();
        let again = SessionConfig::parse(&config.to_yaml().unwrap()).unwrap();
        assert_eq!(again, config);
    }
}
