//! Parameters of the liquidity-drain reversal (SPEC 3.2, SPEC 10 defaults) and their checks.

use auction_trader_features::toxicity::ToxicityConfig;
use serde::{Deserialize, Serialize};

use super::sizing::SessionSize;
use crate::error::{StrategyError, invalid};

/// Where the time exit's duration comes from (SPEC 3.2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeExitSource {
    /// The measured signal half-life of the session once `half_life_min_signals` signals
    /// back it; `time_exit_seconds` until then.
    #[default]
    Measured,
    /// Always `time_exit_seconds`.
    Fixed,
}

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
    /// Time exit after the fill when no measured half-life is available (SPEC 10: 30 s).
    pub time_exit_seconds: u32,
    /// Measured half-life (default) or always `time_exit_seconds`.
    pub time_exit: TimeExitSource,
    /// Seconds of mid path measured after each signal for the half-life.
    pub half_life_horizon_seconds: u32,
    /// Completed signal paths a session needs before its half-life is used.
    pub half_life_min_signals: u32,
    /// One-second mids in the ADF test recorded beside each half-life (SPEC 2.6).
    pub adf_window_seconds: u32,
    /// SPEC 3.2 volatility sizing: multiply the size by `volatility_size_factor` when rv_5m
    /// ranks above `volatility_size_percentile` of the last `volatility_history_seconds`.
    pub volatility_sizing: bool,
    pub volatility_size_percentile: f64,
    pub volatility_size_factor: f64,
    pub volatility_history_seconds: u32,
    /// SPEC 3.2 session sizing: a size multiplier per session (1 = unscaled).
    pub session_size: SessionSize,
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
            time_exit: TimeExitSource::Measured,
            half_life_horizon_seconds: 120,
            half_life_min_signals: 10,
            adf_window_seconds: 240,
            volatility_sizing: false,
            volatility_size_percentile: 0.75,
            volatility_size_factor: 0.5,
            volatility_history_seconds: 14_400,
            session_size: SessionSize::default(),
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
        if !(2..=3_600).contains(&self.half_life_horizon_seconds) {
            return Err(invalid(
                "drain.half_life_horizon_seconds",
                "must be 2..=3600",
            ));
        }
        if self.half_life_min_signals == 0 {
            return Err(invalid("drain.half_life_min_signals", "must be at least 1"));
        }
        if !(10..=86_400).contains(&self.adf_window_seconds) {
            return Err(invalid("drain.adf_window_seconds", "must be 10..=86400"));
        }
        if !(self.volatility_size_percentile.is_finite()
            && (0.0..1.0).contains(&self.volatility_size_percentile))
        {
            return Err(invalid(
                "drain.volatility_size_percentile",
                "must lie in [0, 1)",
            ));
        }
        if !(300..=604_800).contains(&self.volatility_history_seconds) {
            return Err(invalid(
                "drain.volatility_history_seconds",
                "must be 300..=604800",
            ));
        }
        for (field, factor) in [
            ("drain.volatility_size_factor", self.volatility_size_factor),
            ("drain.session_size.asia", self.session_size.asia),
            ("drain.session_size.europe", self.session_size.europe),
            ("drain.session_size.us", self.session_size.us),
        ] {
            if !(factor.is_finite() && factor > 0.0 && factor <= 1.0) {
                return Err(invalid(field, "size factors must lie in (0, 1]"));
            }
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
        // Sizing options are off by default; factors must shrink, never grow, the size.
        assert!(!config.volatility_sizing);
        assert_eq!(config.time_exit, TimeExitSource::Measured);
        let mut bad = DrainConfig::default();
        bad.session_size.us = 1.5;
        assert!(bad.validate().is_err());
        let bad = DrainConfig {
            volatility_size_percentile: 1.0,
            ..DrainConfig::default()
        };
        assert!(bad.validate().is_err());
    }
}
