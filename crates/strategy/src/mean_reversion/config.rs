//! Parameters of the statistical mean-reversion strategy (SPEC 3.3 defaults) and their checks.

use serde::{Deserialize, Serialize};

use crate::error::{StrategyError, invalid};

/// The fair value the z-score measures against (SPEC 3.3 "EMA/VWAP").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FairValue {
    /// EMA of the one-minute closes with span = the lookback.
    #[default]
    Ema,
    /// Volume-weighted average price of the lookback's bars.
    Vwap,
}

/// How the entry is placed (SPEC 3.3 "passive (limit) or aggressive (market) by config").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecutionStyle {
    /// Post-only limit at the best bid (long) / best ask (short), cancelled after
    /// `entry_timeout_seconds`.
    #[default]
    Passive,
    /// Market order.
    Aggressive,
}

/// Which SPEC 3.3 mean-reversion rule opens a trade (exits, stop, target, holding cap and
/// the regime filter are shared).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    /// |z| ≥ entry_z with the half-life within range and the ADF test rejecting a unit root.
    #[default]
    Statistical,
    /// |z| ≥ entry_z pushed by a one-sided order-flow imbalance, faded only while VPIN is low
    /// (uninformed flow overshoots; informed flow does not revert).
    ImbalanceOvershoot,
    /// |z| ≥ entry_z on the side the funding rate says is crowded (an extreme rate), faded.
    FundingExtreme,
}

/// The imbalance-overshoot variant's parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImbalanceOvershootConfig {
    /// Minutes of order flow in the imbalance Σ(buy − sell) / Σ volume.
    pub window_minutes: usize,
    /// The imbalance must reach this (same sign as the stretch) for a fade.
    pub min_imbalance: f64,
    /// No fade while the bar VPIN (50 buckets of about a minute's volume) is above this.
    pub max_vpin: f64,
    /// Minutes of classified volume that size the VPIN buckets (then fixed).
    pub vpin_calibration_minutes: usize,
    pub vpin_buckets: usize,
}

impl Default for ImbalanceOvershootConfig {
    fn default() -> Self {
        Self {
            window_minutes: 15,
            min_imbalance: 0.3,
            max_vpin: 0.5,
            vpin_calibration_minutes: 30,
            vpin_buckets: 50,
        }
    }
}

/// The funding-extreme variant's parameters. A print is extreme when its rate reaches
/// `min_rate_bps` in absolute value, or when its z-score against the settled rates of the
/// previous periods (SPEC 2.6 `funding_rate_zscore`) reaches `min_rate_zscore`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FundingExtremeConfig {
    pub min_rate_bps: f64,
    pub min_rate_zscore: f64,
    /// A print older than this no longer counts (one funding interval by default).
    pub max_print_age_minutes: i64,
}

impl Default for FundingExtremeConfig {
    fn default() -> Self {
        Self {
            // 5× the common 1 bps per 8 h baseline rate.
            min_rate_bps: 5.0,
            min_rate_zscore: 2.0,
            max_print_age_minutes: 480,
        }
    }
}

/// Statistical mean-reversion parameters (SPEC 3.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MeanReversionConfig {
    pub variant: Variant,
    /// Parameters of `variant: imbalance_overshoot`.
    pub imbalance: ImbalanceOvershootConfig,
    /// Parameters of `variant: funding_extreme`.
    pub funding: FundingExtremeConfig,
    pub fair_value: FairValue,
    /// The z-score lookback in half-lives (SPEC 3.3: 3).
    pub lookback_half_lives: f64,
    /// Enter when |z| reaches this (SPEC 3.3: 1.5) ...
    pub entry_z: f64,
    /// ... and exit when z crosses this level back toward (and through) the mean (SPEC 3.3: 0).
    pub exit_z: f64,
    /// One-minute (x_{t−1}, Δx_t) pairs of ln(close) in the OU half-life (SPEC 2.6: 240).
    pub half_life_window: usize,
    /// Trade only when the half-life is within this range, in minutes (SPEC 3.3: 15–240).
    pub min_half_life_minutes: f64,
    pub max_half_life_minutes: f64,
    /// One-minute ln closes in the ADF test (statsmodels `adfuller` defaults; SPEC 2.6: 240).
    pub adf_window: usize,
    /// Trade only when the ADF p-value is below this (SPEC 2.6: 10%).
    pub adf_p_value: f64,
    /// Regime filter: no entry when ADX(`adx_period`) is above `max_adx` (SPEC 3.3: 14, 25).
    pub adx_period: usize,
    pub max_adx: f64,
    /// Regime filter: no entry when the 60-minute realized volatility ranks above this
    /// percentile of its trailing `volatility_history_minutes` (SPEC 3.3: 75th).
    pub max_volatility_percentile: f64,
    pub volatility_history_minutes: usize,
    /// Stop at this multiple of the expected reversion (|entry − fair value|) beyond the entry
    /// (SPEC 3.3: 2).
    pub stop_reversion_multiple: f64,
    /// Holding period cap in half-lives at entry (SPEC 3.3: 3).
    pub max_hold_half_lives: f64,
    pub execution: ExecutionStyle,
    /// A passive entry not filled within this is cancelled.
    pub entry_timeout_seconds: u32,
    /// Trade shorts (price above its fair value) as well as longs.
    pub shorts: bool,
}

impl Default for MeanReversionConfig {
    fn default() -> Self {
        Self {
            variant: Variant::Statistical,
            imbalance: ImbalanceOvershootConfig::default(),
            funding: FundingExtremeConfig::default(),
            fair_value: FairValue::Ema,
            lookback_half_lives: 3.0,
            entry_z: 1.5,
            exit_z: 0.0,
            half_life_window: 240,
            min_half_life_minutes: 15.0,
            max_half_life_minutes: 240.0,
            adf_window: 240,
            adf_p_value: 0.10,
            adx_period: 14,
            max_adx: 25.0,
            max_volatility_percentile: 0.75,
            volatility_history_minutes: 43_200,
            stop_reversion_multiple: 2.0,
            max_hold_half_lives: 3.0,
            execution: ExecutionStyle::Passive,
            entry_timeout_seconds: 60,
            shorts: true,
        }
    }
}

impl MeanReversionConfig {
    /// The longest z-score lookback the config allows, in minutes.
    pub fn max_lookback_minutes(&self) -> usize {
        lookback_minutes(self.max_half_life_minutes, self.lookback_half_lives)
    }

    /// Checks every field's range; the error names the first bad field.
    pub fn validate(&self) -> Result<(), StrategyError> {
        let positive = |value: f64| value.is_finite() && value > 0.0;
        if !(positive(self.lookback_half_lives) && self.lookback_half_lives <= 20.0) {
            return Err(invalid(
                "mean_reversion.lookback_half_lives",
                "must be in (0, 20]",
            ));
        }
        if !(positive(self.entry_z) && self.entry_z <= 10.0) {
            return Err(invalid("mean_reversion.entry_z", "must be in (0, 10]"));
        }
        if !(self.exit_z.is_finite() && self.exit_z.abs() < self.entry_z) {
            return Err(invalid(
                "mean_reversion.exit_z",
                "must be finite with |exit_z| < entry_z",
            ));
        }
        if !(3..=10_080).contains(&self.half_life_window) {
            return Err(invalid(
                "mean_reversion.half_life_window",
                "must be 3..=10080",
            ));
        }
        if !(positive(self.min_half_life_minutes)
            && self.min_half_life_minutes < self.max_half_life_minutes
            && self.max_half_life_minutes <= 1_440.0)
        {
            return Err(invalid(
                "mean_reversion.min_half_life_minutes",
                "needs 0 < min < max <= 1440",
            ));
        }
        if !(20..=10_080).contains(&self.adf_window) {
            return Err(invalid("mean_reversion.adf_window", "must be 20..=10080"));
        }
        if !(self.adf_p_value > 0.0 && self.adf_p_value <= 1.0) {
            return Err(invalid("mean_reversion.adf_p_value", "must be in (0, 1]"));
        }
        if !(2..=1_000).contains(&self.adx_period) {
            return Err(invalid("mean_reversion.adx_period", "must be 2..=1000"));
        }
        if !(self.max_adx > 0.0 && self.max_adx <= 100.0) {
            return Err(invalid("mean_reversion.max_adx", "must be in (0, 100]"));
        }
        if !(self.max_volatility_percentile > 0.0 && self.max_volatility_percentile <= 1.0) {
            return Err(invalid(
                "mean_reversion.max_volatility_percentile",
                "must be in (0, 1]",
            ));
        }
        if !(60..=525_600).contains(&self.volatility_history_minutes) {
            return Err(invalid(
                "mean_reversion.volatility_history_minutes",
                "must be 60..=525600",
            ));
        }
        if !(positive(self.stop_reversion_multiple) && self.stop_reversion_multiple <= 20.0) {
            return Err(invalid(
                "mean_reversion.stop_reversion_multiple",
                "must be in (0, 20]",
            ));
        }
        if !(positive(self.max_hold_half_lives) && self.max_hold_half_lives <= 100.0) {
            return Err(invalid(
                "mean_reversion.max_hold_half_lives",
                "must be in (0, 100]",
            ));
        }
        let imbalance = &self.imbalance;
        if !(1..=1_440).contains(&imbalance.window_minutes) {
            return Err(invalid(
                "mean_reversion.imbalance.window_minutes",
                "must be 1..=1440",
            ));
        }
        if !(imbalance.min_imbalance > 0.0 && imbalance.min_imbalance <= 1.0) {
            return Err(invalid(
                "mean_reversion.imbalance.min_imbalance",
                "must be in (0, 1]",
            ));
        }
        if !(imbalance.max_vpin > 0.0 && imbalance.max_vpin <= 1.0) {
            return Err(invalid(
                "mean_reversion.imbalance.max_vpin",
                "must be in (0, 1]",
            ));
        }
        if !(1..=1_440).contains(&imbalance.vpin_calibration_minutes)
            || !(1..=1_000).contains(&imbalance.vpin_buckets)
        {
            return Err(invalid(
                "mean_reversion.imbalance.vpin_buckets",
                "needs calibration 1..=1440 minutes and 1..=1000 buckets",
            ));
        }
        let funding = &self.funding;
        if !(positive(funding.min_rate_bps) && positive(funding.min_rate_zscore)) {
            return Err(invalid(
                "mean_reversion.funding.min_rate_bps",
                "min_rate_bps and min_rate_zscore must be positive",
            ));
        }
        if !(1..=10_080).contains(&funding.max_print_age_minutes) {
            return Err(invalid(
                "mean_reversion.funding.max_print_age_minutes",
                "must be 1..=10080",
            ));
        }
        if self.entry_timeout_seconds == 0 {
            return Err(invalid(
                "mean_reversion.entry_timeout_seconds",
                "must be at least 1",
            ));
        }
        Ok(())
    }
}

/// The z-score lookback in whole minutes for a half-life: `round(half_lives × half-life)`,
/// at least 2 (a standard deviation needs two closes).
pub fn lookback_minutes(half_life_minutes: f64, half_lives: f64) -> usize {
    ((half_life_minutes * half_lives).round() as usize).max(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_spec_numbers_and_valid() {
        let config = MeanReversionConfig::default();
        assert_eq!((config.entry_z, config.exit_z), (1.5, 0.0));
        assert_eq!(config.lookback_half_lives, 3.0);
        assert_eq!(
            (config.min_half_life_minutes, config.max_half_life_minutes),
            (15.0, 240.0)
        );
        assert_eq!((config.adf_p_value, config.max_adx), (0.10, 25.0));
        assert_eq!(config.max_volatility_percentile, 0.75);
        assert_eq!(
            (config.stop_reversion_multiple, config.max_hold_half_lives),
            (2.0, 3.0)
        );
        assert_eq!(config.validate(), Ok(()));
        // 3 × 240 minutes.
        assert_eq!(config.max_lookback_minutes(), 720);
    }

    #[test]
    fn lookback_rounds_and_has_a_floor() {
        // 3 × 20.4 = 61.2 → 61; 3 × 20.5 = 61.5 → 62 (half away from zero); 3 × 0.2 → 2.
        assert_eq!(lookback_minutes(20.4, 3.0), 61);
        assert_eq!(lookback_minutes(20.5, 3.0), 62);
        assert_eq!(lookback_minutes(0.2, 3.0), 2);
    }

    #[test]
    fn validation_names_the_bad_field() {
        type Breaker = fn(&mut MeanReversionConfig);
        let cases: [(Breaker, &str); 6] = [
            (|c| c.entry_z = 0.0, "mean_reversion.entry_z"),
            (|c| c.exit_z = 1.5, "mean_reversion.exit_z"),
            (
                |c| c.min_half_life_minutes = 300.0,
                "mean_reversion.min_half_life_minutes",
            ),
            (|c| c.adf_p_value = 0.0, "mean_reversion.adf_p_value"),
            (
                |c| c.max_volatility_percentile = 1.5,
                "mean_reversion.max_volatility_percentile",
            ),
            (
                |c| c.entry_timeout_seconds = 0,
                "mean_reversion.entry_timeout_seconds",
            ),
        ];
        for (breaker, name) in cases {
            let mut config = MeanReversionConfig::default();
            breaker(&mut config);
            match config.validate() {
                Err(StrategyError::InvalidConfig { field, .. }) => assert_eq!(field, name),
                other => panic!("{name}: expected an error, got {other:?}"),
            }
        }
        let yaml: Result<MeanReversionConfig, _> =
            serde_json::from_str(r#"{"entry_z": 2.0, "nope": 1}"#);
        assert!(yaml.is_err());
    }
}
