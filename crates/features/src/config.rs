//! Every parameter of the feature engine, with the SPEC 10 defaults. Deserialized from the
//! `features:` section of the YAML config (unknown keys are errors, SPEC 9) and validated once
//! when an engine is built.

use serde::{Deserialize, Serialize};

use crate::FeaturesError;
use crate::side::quote_timing::{QuoteTiming, UntimedQuotePolicy};

/// How the value area grows from the POC (SPEC 2.2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueAreaExpansion {
    /// One bin at a time toward the side whose next bin has more volume; both on a tie.
    #[default]
    SingleBin,
    /// The classic variant: compare the next two bins on each side, add the larger pair; both
    /// pairs on a tie.
    TwoBin,
}

/// Which classification fills buy/sell volume for trades the venue did not label (SPEC 2.3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SideInference {
    /// Quote rule first, tick rule with zero-tick continuation as the fallback.
    #[default]
    QuoteTick,
    /// Bulk Volume Classification of each minute's unlabeled volume (only when configured).
    Bvc,
}

/// Feature-engine parameters (SPEC 2.1–2.4, defaults from SPEC 10).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeatureConfig {
    /// Rolling volume-profile window in minutes (SPEC 10: 240).
    pub profile_window_minutes: u32,
    /// Share of the window volume in the value area (SPEC 10: 70%). Resolved to 1e-6.
    pub value_area_fraction: f64,
    /// Minimum bins from the lowest to the highest traded price for a valid profile (20).
    pub min_profile_bins: u32,
    /// bin_width = alpha_bin × sigma_240 × price (SPEC 10: 0.25).
    pub alpha_bin: f64,
    /// Rebuild the histogram when the required width moves more than this (SPEC 10: 25%).
    pub rebuild_threshold: f64,
    pub value_area_expansion: ValueAreaExpansion,
    /// Window of the 1-minute log-return standard deviation (SPEC 2.1: 240).
    pub sigma_window_minutes: u32,
    /// Window of the time-weighted typical spread (SPEC 10: 60).
    pub typical_spread_minutes: u32,
    /// Initiative: |OF_1m| >= of_abs_mult × median(|OF_1m|) (SPEC 10: 2.0) ...
    pub of_abs_mult: f64,
    /// ... or |OF_norm| >= of_norm_min (SPEC 10: 0.20).
    pub of_norm_min: f64,
    /// Window of the |OF_1m| median (SPEC 2.4: 240 minutes), taken over the minutes BEFORE
    /// the one tested (a baseline never contains the value it judges).
    pub of_median_minutes: u32,
    /// qimb alignment threshold (SPEC 10: 0.10).
    pub qimb_min: f64,
    /// A quote older than this is stale (SPEC 10: 250 ms); it is still used, and counted.
    pub stale_quote_ms: u64,
    /// Above this ambiguous_trade_frac_1m, confirmation needs both tests (SPEC 10: 35%).
    pub ambiguous_threshold: f64,
    /// When a minute has no quote at all (bar-only or trades-only data), qimb does not exist
    /// and the dual rule could never confirm: let initiative alone confirm (default true;
    /// false = SPEC 2.4 as written, which then never confirms such minutes).
    pub confirm_without_quotes: bool,
    pub side_inference: SideInference,
    /// Trade on the venue's aggressor label when it has one (SPEC 2.3); inference still runs.
    pub use_venue_aggressor: bool,
    /// Quote selection for quotes WITHOUT an exchange time (SPEC 2.3 extension, see
    /// `side::quote_timing`): `clock_offset` (default) or `receive_order` (SPEC as written).
    pub untimed_quote_policy: UntimedQuotePolicy,
    /// Trailing window of the causal recorder-clock offset estimate (default 60 000 ms).
    pub clock_offset_window_ms: u64,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        Self {
            profile_window_minutes: 240,
            value_area_fraction: 0.70,
            min_profile_bins: 20,
            alpha_bin: 0.25,
            rebuild_threshold: 0.25,
            value_area_expansion: ValueAreaExpansion::SingleBin,
            sigma_window_minutes: 240,
            typical_spread_minutes: 60,
            of_abs_mult: 2.0,
            of_norm_min: 0.20,
            of_median_minutes: 240,
            qimb_min: 0.10,
            stale_quote_ms: 250,
            ambiguous_threshold: 0.35,
            confirm_without_quotes: true,
            side_inference: SideInference::QuoteTick,
            use_venue_aggressor: true,
            untimed_quote_policy: UntimedQuotePolicy::ClockOffset,
            clock_offset_window_ms: 60_000,
        }
    }
}

/// Longest rolling window accepted (one week of minutes): bounds the engine's memory.
pub const MAX_WINDOW_MINUTES: u32 = 7 * 24 * 60;

impl FeatureConfig {
    /// Checks every parameter; the engine calls this before it starts.
    pub fn validate(&self) -> Result<(), FeaturesError> {
        let windows = [
            ("profile_window_minutes", self.profile_window_minutes),
            ("sigma_window_minutes", self.sigma_window_minutes),
            ("typical_spread_minutes", self.typical_spread_minutes),
            ("of_median_minutes", self.of_median_minutes),
        ];
        for (field, minutes) in windows {
            if minutes == 0 || minutes > MAX_WINDOW_MINUTES {
                return Err(invalid(
                    field,
                    format!("must be 1..={MAX_WINDOW_MINUTES} minutes, got {minutes}"),
                ));
            }
        }
        unit_interval("value_area_fraction", self.value_area_fraction, false)?;
        unit_interval("of_norm_min", self.of_norm_min, true)?;
        unit_interval("qimb_min", self.qimb_min, true)?;
        unit_interval("ambiguous_threshold", self.ambiguous_threshold, true)?;
        positive_finite("alpha_bin", self.alpha_bin)?;
        positive_finite("rebuild_threshold", self.rebuild_threshold)?;
        if !(self.of_abs_mult.is_finite() && self.of_abs_mult >= 0.0) {
            return Err(invalid(
                "of_abs_mult",
                format!("must be finite and >= 0, got {}", self.of_abs_mult),
            ));
        }
        if self.clock_offset_window_ms == 0 || self.clock_offset_window_ms > 86_400_000 {
            return Err(invalid(
                "clock_offset_window_ms",
                format!(
                    "must be 1..=86400000 ms, got {}",
                    self.clock_offset_window_ms
                ),
            ));
        }
        if self.min_profile_bins == 0 {
            return Err(invalid("min_profile_bins", "must be at least 1".to_owned()));
        }
        Ok(())
    }

    /// The value-area fraction in parts per million (exact integer comparisons).
    pub(crate) fn value_area_ppm(&self) -> i64 {
        (self.value_area_fraction * 1e6).round() as i64
    }

    /// The quote selection of side inference (SPEC 2.3 with the untimed-quote extension).
    pub(crate) fn quote_timing(&self) -> QuoteTiming {
        let window = i64::try_from(self.clock_offset_window_ms)
            .unwrap_or(i64::MAX / 1_000_000)
            .saturating_mul(1_000_000);
        QuoteTiming::new(self.untimed_quote_policy, window)
    }

    /// The stale-quote threshold in nanoseconds.
    pub(crate) fn stale_quote_nanos(&self) -> i64 {
        i64::try_from(self.stale_quote_ms)
            .unwrap_or(i64::MAX / 1_000_000)
            .saturating_mul(1_000_000)
    }
}

/// Shorthand for a [`FeaturesError::InvalidConfig`].
pub(crate) fn invalid(field: &'static str, reason: String) -> FeaturesError {
    FeaturesError::InvalidConfig { field, reason }
}

/// The rule of every positive real parameter (feature, toxicity and strategy configs):
/// finite and > 0. `Err` holds the reason, for the caller's error type naming the field.
pub fn require_positive_finite(value: f64) -> Result<(), String> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(format!("must be finite and > 0, got {value}"))
    }
}

/// `value` must lie in (0, 1], or [0, 1] when `zero_allowed`.
fn unit_interval(field: &'static str, value: f64, zero_allowed: bool) -> Result<(), FeaturesError> {
    let lower_ok = if zero_allowed {
        value >= 0.0
    } else {
        value > 0.0
    };
    if value.is_finite() && lower_ok && value <= 1.0 {
        Ok(())
    } else {
        let range = if zero_allowed { "[0, 1]" } else { "(0, 1]" };
        Err(invalid(field, format!("must lie in {range}, got {value}")))
    }
}

pub(crate) fn positive_finite(field: &'static str, value: f64) -> Result<(), FeaturesError> {
    require_positive_finite(value).map_err(|reason| invalid(field, reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_spec_10_numbers() {
        let config = FeatureConfig::default();
        assert_eq!(config.profile_window_minutes, 240);
        assert_eq!(config.value_area_ppm(), 700_000);
        assert_eq!(config.min_profile_bins, 20);
        assert_eq!(config.alpha_bin, 0.25);
        assert_eq!(config.rebuild_threshold, 0.25);
        assert_eq!(
            (config.of_abs_mult, config.of_norm_min, config.qimb_min),
            (2.0, 0.20, 0.10)
        );
        assert_eq!(config.stale_quote_nanos(), 250_000_000);
        assert_eq!(config.ambiguous_threshold, 0.35);
        assert_eq!(config.typical_spread_minutes, 60);
        assert!(config.validate().is_ok());
    }

    #[test]
    fn partial_config_fills_defaults_and_unknown_keys_fail() {
        let config: FeatureConfig =
            serde_json::from_str(r#"{"alpha_bin": 0.5, "value_area_expansion": "two_bin"}"#)
                .unwrap();
        assert_eq!(config.alpha_bin, 0.5);
        assert_eq!(config.value_area_expansion, ValueAreaExpansion::TwoBin);
        assert_eq!(config.profile_window_minutes, 240);
        let unknown = serde_json::from_str::<FeatureConfig>(r#"{"alpha_bins": 0.5}"#);
        assert!(unknown.is_err());
    }

    #[test]
    fn rejects_out_of_range_values() {
        let mut config = FeatureConfig {
            value_area_fraction: 1.5,
            ..FeatureConfig::default()
        };
        assert!(matches!(
            config.validate(),
            Err(FeaturesError::InvalidConfig {
                field: "value_area_fraction",
                ..
            })
        ));
        config.value_area_fraction = 0.7;
        config.profile_window_minutes = 0;
        assert!(config.validate().is_err());
        config.profile_window_minutes = 240;
        config.alpha_bin = f64::NAN;
        assert!(config.validate().is_err());
    }
}
