//! Parameters of the toxicity filters (SPEC 2.5) with their defaults, and the validation that
//! keeps the four decay priors inside their fixed bands.

use serde::{Deserialize, Serialize};

use crate::FeaturesError;
use crate::config::{invalid, positive_finite};

/// Which depth the drain signal watches (SPEC 6 toxicity-filter validation: the same strategy
/// on raw depth and on decay-weighted, ghost-filtered depth).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrainDepth {
    /// Decay-weighted, ghost-discounted depth (SPEC 2.5 / 3.2): the strategy's depth.
    #[default]
    Filtered,
    /// The displayed top-level depth of the one-second sample, no decay and no ghost
    /// discount: the baseline of the validation run only.
    Raw,
}

/// Toxicity-filter parameters (SPEC 2.5). The decay priors (`base_lambda`, `alpha`, `beta`,
/// `gamma`) are regularization priors: fixed, never optimized on P&L.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ToxicityConfig {
    /// SPEC 2.5 prior, allowed [0.05, 0.12]: decay rate per second before the factors.
    pub base_lambda: f64,
    /// SPEC 2.5 prior, allowed [0.3, 0.7]: exponent of spread / typical_spread.
    pub alpha: f64,
    /// SPEC 2.5 prior, allowed [0.4, 0.8]: exponent of rv_5m / rv_240m.
    pub beta: f64,
    /// SPEC 2.5 prior, allowed [0.8, 1.5]: exponent of 1 + distance / typical_spread.
    pub gamma: f64,
    /// Levels per side for depth, CTR, OBI and the ghost median (SPEC 2.5: 20).
    pub levels: usize,
    /// Levels per side kept in each one-second book sample (>= `levels`): the "sampled top-N"
    /// of SPEC 2.5 (a level leaving it because the price moved is not a decrease), deep enough
    /// that a price climbing into the top `levels` still has its earlier depth.
    pub sample_levels: usize,
    /// Decay-weighted depth lookback in seconds (SPEC 2.5: 30).
    pub decay_lookback_seconds: u32,
    /// Window of the typical spread, in one-second samples (SPEC 2.1: 60 minutes).
    pub typical_spread_seconds: u32,
    /// Spread and level factors stay 1 until the typical spread has this many samples.
    pub spread_warmup_samples: u32,
    /// Short and long realized-volatility windows in one-second returns (SPEC 2.5: 5, 240 min).
    pub volatility_short_seconds: u32,
    pub volatility_long_seconds: u32,
    /// Ghost: size > this multiple of the median non-zero level size (SPEC 2.5: 5).
    pub ghost_size_multiple: f64,
    /// Window of that median in seconds (SPEC 2.5: 5 minutes).
    pub ghost_median_seconds: u32,
    /// No ghost detection before this many seconds of median history.
    pub ghost_min_history_seconds: u32,
    /// A ghost goes within this of the sample where it appeared (SPEC 2.5: 10 s).
    pub ghost_max_life_ms: u32,
    /// Re-quote: an increase within this many ticks of a candidate in the sample where it
    /// went ... (SPEC 2.5: ±5 ticks)
    pub ghost_requote_ticks: u32,
    /// ... of at least this share of the candidate's increase (SPEC 2.5: 50%).
    pub ghost_requote_share: f64,
    /// Displayed depth at a ghost's bucket is multiplied by this (SPEC 2.5: 0.15) ...
    pub ghost_discount: f64,
    /// ... for this long after the ghost was confirmed (SPEC 2.5: 60 s).
    pub ghost_penalty_seconds: u32,
    /// Ghosts in one bucket within `repeat_window_seconds` that make it a repeat offender (3).
    pub repeat_offender_ghosts: u32,
    pub repeat_window_seconds: u32,
    /// How long an offender's lambda stays doubled (SPEC 2.5: 10 minutes).
    pub repeat_penalty_seconds: u32,
    /// CTR window in seconds (SPEC 2.5: fixed 10 s).
    pub ctr_window_seconds: u32,
    /// A level (and the book) is toxic when CTR exceeds this (SPEC 2.5: 4.0).
    pub ctr_toxic: f64,
    /// SPEC 2.5 option (the seeds' week-2 review), off by default: the toxic threshold is this
    /// percentile (e.g. 0.9) of the side's earlier book-CTR readings over
    /// `ctr_percentile_seconds`, once `ctr_percentile_min_samples` exist (`ctr_toxic` before).
    pub ctr_toxic_percentile: Option<f64>,
    pub ctr_percentile_seconds: u32,
    pub ctr_percentile_min_samples: u32,
    /// epsilon = this fraction of the median trade size (SPEC 2.5: 0.01) ...
    pub epsilon_fraction: f64,
    /// ... over this many hours of trades (SPEC 2.5: 24).
    pub epsilon_median_hours: u32,
    /// epsilon (in units of size) before the first trade, for symbols other than BTC, ETH, SOL
    /// (whose SPEC 2.5 fallbacks are 0.001, 0.01 and 1.0).
    pub epsilon_default: f64,
    /// OBI velocity lag in seconds (SPEC 2.5: 2).
    pub obi_lag_seconds: u32,
    /// High churn when velocity > this multiple of its std (SPEC 2.5: 2) ...
    pub churn_std_multiple: f64,
    /// ... over this many samples (SPEC 2.5: 300) ...
    pub churn_window_samples: u32,
    /// ... and no churn signal with fewer samples (SPEC 2.5: 100).
    pub churn_min_samples: u32,
    /// The symbol's historical OBI-velocity std, reported as the baseline during warm-up.
    pub obi_velocity_baseline_std: f64,
    /// Drain window in seconds (SPEC 2.5 / 3.2: 30).
    pub drain_window_seconds: u32,
    /// Decay-weighted top depth falling by at least this share over the window is a drain
    /// signal (SPEC 3.2: 30%).
    pub drain_decline: f64,
    /// REAL_PRESSURE needs taker_sell_30s > this × taker_buy_30s (SPEC 2.5: 1.8).
    pub drain_ratio: f64,
    /// ... and taker selling within this many ms after the signal (SPEC 2.5: 1.5 s).
    pub drain_confirm_ms: u32,
    /// Depth the drain decline is measured on (default filtered; raw for the SPEC 6
    /// validation run only).
    pub drain_depth: DrainDepth,
}

impl Default for ToxicityConfig {
    fn default() -> Self {
        Self {
            base_lambda: 0.08,
            alpha: 0.5,
            beta: 0.6,
            gamma: 1.2,
            levels: 20,
            sample_levels: 50,
            decay_lookback_seconds: 30,
            typical_spread_seconds: 3_600,
            spread_warmup_samples: 60,
            volatility_short_seconds: 300,
            volatility_long_seconds: 14_400,
            ghost_size_multiple: 5.0,
            ghost_median_seconds: 300,
            ghost_min_history_seconds: 30,
            ghost_max_life_ms: 10_000,
            ghost_requote_ticks: 5,
            ghost_requote_share: 0.5,
            ghost_discount: 0.15,
            ghost_penalty_seconds: 60,
            repeat_offender_ghosts: 3,
            repeat_window_seconds: 600,
            repeat_penalty_seconds: 600,
            ctr_window_seconds: 10,
            ctr_toxic: 4.0,
            ctr_toxic_percentile: None,
            ctr_percentile_seconds: 3_600,
            ctr_percentile_min_samples: 100,
            epsilon_fraction: 0.01,
            epsilon_median_hours: 24,
            epsilon_default: 0.001,
            obi_lag_seconds: 2,
            churn_std_multiple: 2.0,
            churn_window_samples: 300,
            churn_min_samples: 100,
            obi_velocity_baseline_std: 0.05,
            drain_window_seconds: 30,
            drain_decline: 0.30,
            drain_ratio: 1.8,
            drain_confirm_ms: 1_500,
            drain_depth: DrainDepth::Filtered,
        }
    }
}

/// Longest window accepted in seconds (one day): bounds memory.
pub const MAX_WINDOW_SECONDS: u32 = 86_400;

impl ToxicityConfig {
    /// Checks every parameter; the engine calls this before it starts.
    pub fn validate(&self) -> Result<(), FeaturesError> {
        // SPEC 2.5: the priors' fixed bands.
        within("base_lambda", self.base_lambda, 0.05, 0.12)?;
        within("alpha", self.alpha, 0.3, 0.7)?;
        within("beta", self.beta, 0.4, 0.8)?;
        within("gamma", self.gamma, 0.8, 1.5)?;
        if self.levels == 0 || self.levels > 1_000 {
            return Err(invalid(
                "levels",
                format!("must be 1..=1000, got {}", self.levels),
            ));
        }
        if self.sample_levels < self.levels || self.sample_levels > 1_000 {
            return Err(invalid(
                "sample_levels",
                format!("must be levels..=1000, got {}", self.sample_levels),
            ));
        }
        let windows = [
            ("decay_lookback_seconds", self.decay_lookback_seconds),
            ("typical_spread_seconds", self.typical_spread_seconds),
            ("volatility_short_seconds", self.volatility_short_seconds),
            ("volatility_long_seconds", self.volatility_long_seconds),
            ("ghost_median_seconds", self.ghost_median_seconds),
            ("ghost_penalty_seconds", self.ghost_penalty_seconds),
            ("repeat_window_seconds", self.repeat_window_seconds),
            ("repeat_penalty_seconds", self.repeat_penalty_seconds),
            ("ctr_window_seconds", self.ctr_window_seconds),
            ("obi_lag_seconds", self.obi_lag_seconds),
            ("churn_window_samples", self.churn_window_samples),
            ("drain_window_seconds", self.drain_window_seconds),
            ("ctr_percentile_seconds", self.ctr_percentile_seconds),
        ];
        for (field, seconds) in windows {
            if seconds == 0 || seconds > MAX_WINDOW_SECONDS {
                return Err(invalid(
                    field,
                    format!("must be 1..={MAX_WINDOW_SECONDS}, got {seconds}"),
                ));
            }
        }
        if self.volatility_short_seconds > self.volatility_long_seconds {
            return Err(invalid(
                "volatility_short_seconds",
                "must not exceed volatility_long_seconds".to_owned(),
            ));
        }
        if self.epsilon_median_hours == 0 || self.epsilon_median_hours > 24 * 7 {
            return Err(invalid(
                "epsilon_median_hours",
                "must be 1..=168".to_owned(),
            ));
        }
        if self.ghost_max_life_ms == 0 || self.drain_confirm_ms == 0 {
            return Err(invalid(
                "ghost_max_life_ms",
                "durations must be positive".to_owned(),
            ));
        }
        if let Some(percentile) = self.ctr_toxic_percentile
            && !(percentile.is_finite() && percentile > 0.0 && percentile < 1.0)
        {
            return Err(invalid(
                "ctr_toxic_percentile",
                format!("must lie in (0, 1), got {percentile}"),
            ));
        }
        within("ghost_discount", self.ghost_discount, 0.0, 1.0)?;
        within("ghost_requote_share", self.ghost_requote_share, 0.0, 1.0)?;
        within("drain_decline", self.drain_decline, 0.0, 1.0)?;
        within("epsilon_fraction", self.epsilon_fraction, 0.0, 1.0)?;
        for (field, value) in [
            ("ghost_size_multiple", self.ghost_size_multiple),
            ("ctr_toxic", self.ctr_toxic),
            ("epsilon_default", self.epsilon_default),
            ("churn_std_multiple", self.churn_std_multiple),
            ("obi_velocity_baseline_std", self.obi_velocity_baseline_std),
            ("drain_ratio", self.drain_ratio),
        ] {
            positive_finite(field, value)?;
        }
        if self.repeat_offender_ghosts == 0 {
            return Err(invalid(
                "repeat_offender_ghosts",
                "must be at least 1".to_owned(),
            ));
        }
        Ok(())
    }
}

fn within(field: &'static str, value: f64, low: f64, high: f64) -> Result<(), FeaturesError> {
    if value.is_finite() && (low..=high).contains(&value) {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("must lie in [{low}, {high}], got {value}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_spec_priors_and_valid() {
        let config = ToxicityConfig::default();
        assert_eq!(
            (config.base_lambda, config.alpha, config.beta, config.gamma),
            (0.08, 0.5, 0.6, 1.2)
        );
        assert_eq!((config.levels, config.decay_lookback_seconds), (20, 30));
        assert_eq!((config.ghost_discount, config.ctr_toxic), (0.15, 4.0));
        assert!(config.validate().is_ok());
    }

    #[test]
    fn priors_outside_their_bands_are_rejected() {
        type Setter = fn(&mut ToxicityConfig, f64);
        let cases: [(&str, Setter, f64, f64); 4] = [
            ("base_lambda", |c, v| c.base_lambda = v, 0.049, 0.121),
            ("alpha", |c, v| c.alpha = v, 0.29, 0.71),
            ("beta", |c, v| c.beta = v, 0.39, 0.81),
            ("gamma", |c, v| c.gamma = v, 0.79, 1.51),
        ];
        for (name, set, below, above) in cases {
            for value in [below, above, f64::NAN] {
                let mut config = ToxicityConfig::default();
                set(&mut config, value);
                assert!(
                    matches!(config.validate(), Err(FeaturesError::InvalidConfig { field, .. }) if field == name),
                    "{name} = {value} must be rejected"
                );
            }
        }
        // The band edges themselves are allowed.
        let edges = ToxicityConfig {
            base_lambda: 0.12,
            alpha: 0.3,
            beta: 0.8,
            gamma: 0.8,
            ..ToxicityConfig::default()
        };
        assert!(edges.validate().is_ok());
    }

    #[test]
    fn unknown_keys_fail_and_partial_configs_fill_defaults() {
        let config: ToxicityConfig = serde_json::from_str(r#"{"base_lambda": 0.1}"#).unwrap();
        assert_eq!((config.base_lambda, config.alpha), (0.1, 0.5));
        assert!(serde_json::from_str::<ToxicityConfig>(r#"{"lambda": 0.1}"#).is_err());
    }
}
