//! Parameters of the liquidity-drain reversal (SPEC 3.2, SPEC 10 defaults) and their checks.

use auction_trader_features::toxicity::ToxicityConfig;
use serde::{Deserialize, Serialize};

use crate::error::{StrategyError, invalid};

/// Drain strategy parameters. The drain detection itself (30 s window, 30% decline, 1.8×
/// taker ratio, 1.5 s trailing check, ghost and CTR filters) lives in `toxicity` (SPEC 2.5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DrainConfig {
    pub toxicity: ToxicityConfig,
    /// Entry delay after the signal in ms (SPEC 10: 1.5 s) ...
    pub entry_delay_ms: u32,
    /// ... skipped if the mid moved more than this many bps during it (SPEC 10: 5).
    pub stability_bps: u32,
    /// Confidence above this: post-only one tick inside the spread (SPEC 3.2: 85).
    pub improve_above: f64,
    /// Confidence above this: post-only at the touch; below: no trade (SPEC 3.2: 60).
    pub touch_above: f64,
    /// Unfilled entries are cancelled after this many ms (SPEC 10: 1 s).
    pub entry_timeout_ms: u32,
    /// Take profit and stop in bps of the entry price (SPEC 10: 8 / 12).
    pub take_profit_bps: u32,
    pub stop_bps: u32,
    /// Time exit after the fill, the signal half-life (SPEC 10: 30 s).
    pub time_exit_seconds: u32,
    /// A ghost on the drained side within this many seconds halves s_clean (SPEC 3.2: 60).
    pub ghost_memory_seconds: u32,
    /// Trade ask drains (shorts) as well as bid drains (longs).
    pub shorts: bool,
}

impl Default for DrainConfig {
    fn default() -> Self {
        Self {
            toxicity: ToxicityConfig::default(),
            entry_delay_ms: 1_500,
            stability_bps: 5,
            improve_above: 85.0,
            touch_above: 60.0,
            entry_timeout_ms: 1_000,
            take_profit_bps: 8,
            stop_bps: 12,
            time_exit_seconds: 30,
            ghost_memory_seconds: 60,
            shorts: true,
        }
    }
}

impl DrainConfig {
    pub fn validate(&self) -> Result<(), StrategyError> {
        self.toxicity
            .validate()
            .map_err(|error| invalid("drain.toxicity", error.to_string()))?;
        if self.entry_delay_ms == 0 || self.entry_delay_ms > 60_000 {
            return Err(invalid("drain.entry_delay_ms", "must be 1..=60000"));
        }
        if self.entry_delay_ms > self.toxicity.drain_confirm_ms.max(1) * 10 {
            return Err(invalid(
                "drain.entry_delay_ms",
                "far beyond the trailing check",
            ));
        }
        if self.stability_bps == 0 || self.stability_bps > 10_000 {
            return Err(invalid("drain.stability_bps", "must be 1..=10000"));
        }
        let finite = |value: f64| value.is_finite() && (0.0..=100.0).contains(&value);
        if !finite(self.improve_above) || !finite(self.touch_above) {
            return Err(invalid(
                "drain.improve_above",
                "thresholds must lie in [0, 100]",
            ));
        }
        if self.improve_above < self.touch_above {
            return Err(invalid(
                "drain.improve_above",
                "must not be below touch_above",
            ));
        }
        if self.entry_timeout_ms == 0 || self.entry_timeout_ms > 600_000 {
            return Err(invalid("drain.entry_timeout_ms", "must be 1..=600000"));
        }
        for (field, bps) in [
            ("drain.take_profit_bps", self.take_profit_bps),
            ("drain.stop_bps", self.stop_bps),
        ] {
            if bps == 0 || bps >= 10_000 {
                return Err(invalid(field, "must be 1..=9999"));
            }
        }
        if self.time_exit_seconds == 0 || self.time_exit_seconds > 86_400 {
            return Err(invalid("drain.time_exit_seconds", "must be 1..=86400"));
        }
        if self.ghost_memory_seconds > 86_400 {
            return Err(invalid(
                "drain.ghost_memory_seconds",
                "must be at most 86400",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_spec_10_and_valid() {
        let config = DrainConfig::default();
        assert_eq!(
            (
                config.entry_delay_ms,
                config.stability_bps,
                config.entry_timeout_ms
            ),
            (1_500, 5, 1_000)
        );
        assert_eq!(
            (
                config.take_profit_bps,
                config.stop_bps,
                config.time_exit_seconds
            ),
            (8, 12, 30)
        );
        assert!(config.validate().is_ok());
        let bad = DrainConfig {
            touch_above: 90.0,
            ..DrainConfig::default()
        };
        assert!(bad.validate().is_err());
        // The toxicity priors are validated through the strategy config too.
        let mut bad = DrainConfig::default();
        bad.toxicity.base_lambda = 0.2;
        assert!(bad.validate().is_err());
    }
}
