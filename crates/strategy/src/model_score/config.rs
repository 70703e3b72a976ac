//! `strategy.model_score`: the model file and the decision thresholds.

use serde::{Deserialize, Serialize};

use crate::error::StrategyError;
pub use crate::mean_reversion::ExecutionStyle;

/// Settings of the model-scored strategy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelScoreConfig {
    /// Model directory written by `auction-trader model train` (model.txt + manifest.json).
    pub model: String,
    /// Go long when the model's probability of an up move is at least this.
    pub long_above: f64,
    /// Go short when it is at most this.
    pub short_below: f64,
    pub shorts: bool,
    /// Minutes a position is held (0 = the model's label horizon).
    pub hold_minutes: u32,
    /// Stop distance from the entry in basis points (the risk sizing's distance, SPEC 4).
    pub stop_bps: f64,
    /// Passive (post-only limit at the touch, cancelled after `entry_timeout_seconds`) or
    /// aggressive (market) entries (SPEC 3.3).
    pub execution: ExecutionStyle,
    pub entry_timeout_seconds: u32,
    /// Take-profit distance from the entry in basis points (the hold time usually ends the
    /// trade first).
    pub target_bps: f64,
}

impl Default for ModelScoreConfig {
    fn default() -> Self {
        Self {
            model: String::new(),
            long_above: 0.55,
            short_below: 0.45,
            shorts: true,
            hold_minutes: 0,
            stop_bps: 50.0,
            target_bps: 100.0,
            execution: ExecutionStyle::Passive,
            entry_timeout_seconds: 60,
        }
    }
}

impl ModelScoreConfig {
    pub fn validate(&self) -> Result<(), StrategyError> {
        let invalid = |field: &'static str, reason: String| {
            Err(StrategyError::InvalidConfig { field, reason })
        };
        if !(self.long_above >= 0.5 && self.long_above < 1.0) {
            return invalid(
                "model_score.long_above",
                format!("must be in [0.5, 1), got {}", self.long_above),
            );
        }
        if !(self.short_below > 0.0 && self.short_below <= 0.5) {
            return invalid(
                "model_score.short_below",
                format!("must be in (0, 0.5], got {}", self.short_below),
            );
        }
        for (field, value) in [
            ("model_score.stop_bps", self.stop_bps),
            ("model_score.target_bps", self.target_bps),
        ] {
            if !(value.is_finite() && value > 0.0 && value < 10_000.0) {
                return invalid(field, format!("must be in (0, 10000), got {value}"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_checked() {
        assert!(ModelScoreConfig::default().validate().is_ok());
        let bad = ModelScoreConfig {
            long_above: 0.4,
            ..ModelScoreConfig::default()
        };
        assert!(bad.validate().is_err());
        let bad = ModelScoreConfig {
            stop_bps: 0.0,
            ..ModelScoreConfig::default()
        };
        assert!(bad.validate().is_err());
    }
}
