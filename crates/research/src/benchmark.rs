//! The honest half of the mean-reversion diagnostics (SPEC 2.6): the OU half-life and ADF
//! test of every 240-minute window, summarized beside the SAME estimators on a simulated
//! random walk with the data's volatility.
//!
//! On 240-point windows a pure random walk also yields finite half-lives with a median near
//! 35 minutes (the Dickey–Fuller small-sample bias of the AR(1) slope), so a half-life
//! distribution "within 15–60 minutes" is not evidence of mean reversion by itself; the ADF
//! rejection rate is (a random walk rejects at 10% in about 10% of windows, by construction).
//!
//! The walk: `ln p_t = ln p_{t−1} + σ·ε_t`, ε standard normal from a seeded SplitMix64 through
//! Box–Muller (deterministic: the same seed gives the same report), σ = the sample standard
//! deviation of the data's one-minute log returns, as many minutes as the data has rows.
//! Windows: half-life over 240 (x_{t−1}, Δx_t) pairs (`ou_half_life_240`), ADF over the last
//! 240 log closes with statsmodels' `adfuller` defaults (`adf_pvalue_240`).

use std::collections::VecDeque;

use auction_trader_types::SplitMix64;
use serde::Serialize;

use super::OuHalfLife;
use super::adf::adfuller;
use super::diagnostics::{HALF_LIFE_QUANTILES, quantile_sorted};

/// Window of the ADF columns and of the benchmark (one-minute log closes).
pub const ADF_WINDOW: usize = 240;
/// Window of the half-life column (pairs).
pub const HALF_LIFE_WINDOW: usize = 240;
/// Seed of the benchmark walk.
pub const BENCHMARK_SEED: u64 = 0x5EED_2026_0014_0240;

/// Half-life and ADF statistics over the windows of one series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowEvidence {
    /// Windows with an ADF result (the series' rows from the 240th on).
    pub windows: usize,
    /// Windows whose half-life is defined (a mean-reverting slope).
    pub half_life_defined: usize,
    /// (quantile, minutes) of the defined half-lives.
    pub half_life_quantiles: Vec<(f64, f64)>,
    /// Share of defined half-lives within 15–60 minutes.
    pub half_life_share_15_to_60: Option<f64>,
    /// Share of ADF windows rejecting the unit root at 10% and at 5%.
    pub adf_reject_10: Option<f64>,
    pub adf_reject_5: Option<f64>,
    /// Share of ADF windows with a half-life in 15–240 minutes AND a rejection at 10% (the
    /// SPEC 3.3 filter's pass rate).
    pub filter_pass_rate: Option<f64>,
}

impl WindowEvidence {
    /// From per-row half-lives (minutes, NaN when undefined) and ADF p-values (NaN when not
    /// computed), aligned by row.
    pub fn from_rows(half_lives: &[f64], p_values: &[f64]) -> Self {
        let mut defined: Vec<f64> = half_lives
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        defined.sort_by(f64::total_cmp);
        let inside = defined
            .iter()
            .filter(|&&minutes| (15.0..=60.0).contains(&minutes))
            .count();
        let tested: Vec<(f64, f64)> = half_lives
            .iter()
            .zip(p_values)
            .filter(|(_, p)| p.is_finite())
            .map(|(h, p)| (*h, *p))
            .collect();
        let share = |count: usize, total: usize| (total > 0).then(|| count as f64 / total as f64);
        let rejecting = |level: f64| tested.iter().filter(|(_, p)| *p < level).count();
        let passing = tested
            .iter()
            .filter(|(h, p)| *p < 0.10 && (15.0..=240.0).contains(h))
            .count();
        Self {
            windows: tested.len(),
            half_life_defined: defined.len(),
            half_life_quantiles: HALF_LIFE_QUANTILES
                .iter()
                .filter_map(|&q| Some((q, quantile_sorted(&defined, q)?)))
                .collect(),
            half_life_share_15_to_60: share(inside, defined.len()),
            adf_reject_10: share(rejecting(0.10), tested.len()),
            adf_reject_5: share(rejecting(0.05), tested.len()),
            filter_pass_rate: share(passing, tested.len()),
        }
    }

    /// One line: quantiles, shares.
    pub fn to_text(&self) -> String {
        let percent = |value: Option<f64>| {
            value.map_or_else(|| "-".to_owned(), |v| format!("{:.1}%", v * 100.0))
        };
        let mut text = format!(
            "windows {} half-life defined {}",
            self.windows, self.half_life_defined
        );
        for (q, minutes) in &self.half_life_quantiles {
            text.push_str(&format!(" q{:.0}={minutes:.1}", q * 100.0));
        }
        text.push_str(&format!(
            "; 15-60 min {}; ADF rejects at 10% {} at 5% {}; half-life 15-240 AND ADF 10% {}",
            percent(self.half_life_share_15_to_60),
            percent(self.adf_reject_10),
            percent(self.adf_reject_5),
            percent(self.filter_pass_rate)
        ));
        text
    }
}

/// The data's windows beside the random walk's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RandomWalkBenchmark {
    /// σ of the data's one-minute log returns (the walk's step).
    pub sigma: f64,
    pub seed: u64,
    pub minutes: usize,
    pub data: WindowEvidence,
    pub random_walk: WindowEvidence,
}

impl RandomWalkBenchmark {
    /// The benchmark of a series of one-minute closes with its per-row half-life and ADF
    /// p-value columns; None below two positive closes.
    pub fn new(closes: &[f64], half_lives: &[f64], p_values: &[f64], seed: u64) -> Option<Self> {
        let logs: Vec<f64> = closes
            .iter()
            .filter(|close| close.is_finite() && **close > 0.0)
            .map(|close| close.ln())
            .collect();
        let returns: Vec<f64> = logs.windows(2).map(|pair| pair[1] - pair[0]).collect();
        if returns.len() < 2 {
            return None;
        }
        let mean = returns.iter().sum::<f64>() / returns.len() as f64;
        let variance = returns.iter().map(|r| (r - mean) * (r - mean)).sum::<f64>()
            / (returns.len() - 1) as f64;
        let sigma = variance.sqrt();
        let walk = random_walk(logs[0], sigma, closes.len(), seed);
        let (walk_half_lives, walk_p_values) = rolling_tests(&walk);
        Some(Self {
            sigma,
            seed,
            minutes: closes.len(),
            data: WindowEvidence::from_rows(half_lives, p_values),
            random_walk: WindowEvidence::from_rows(&walk_half_lives, &walk_p_values),
        })
    }

    pub fn to_text(&self) -> String {
        format!(
            "mean-reversion evidence (240-minute windows of ln close; ADF = statsmodels adfuller defaults)\n  \
             data:        {}\n  random walk: {} (sigma {:.3e} per minute, seed {:#x}, {} minutes)\n",
            self.data.to_text(),
            self.random_walk.to_text(),
            self.sigma,
            self.seed,
            self.minutes
        )
    }
}

/// Per-row half-life (minutes) and ADF p-value of a log-price series, exactly as the
/// `ou_half_life_240` and `adf_pvalue_240` columns compute them (NaN when undefined).
pub fn rolling_tests(log_prices: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut half_life = OuHalfLife::new(HALF_LIFE_WINDOW).expect("constant window is valid");
    let mut window: VecDeque<f64> = VecDeque::with_capacity(ADF_WINDOW + 1);
    let mut half_lives = Vec::with_capacity(log_prices.len());
    let mut p_values = Vec::with_capacity(log_prices.len());
    for &value in log_prices {
        half_life.update(value);
        half_lives.push(half_life.value().unwrap_or(f64::NAN));
        if window.len() == ADF_WINDOW {
            window.pop_front();
        }
        window.push_back(value);
        let p = if window.len() == ADF_WINDOW {
            adfuller(window.make_contiguous()).map(|result| result.p_value)
        } else {
            None
        };
        p_values.push(p.unwrap_or(f64::NAN));
    }
    (half_lives, p_values)
}

/// A Gaussian random walk of `length` points from `start` with step `sigma`.
pub fn random_walk(start: f64, sigma: f64, length: usize, seed: u64) -> Vec<f64> {
    let mut generator = SplitMix64::new(seed);
    let mut spare: Option<f64> = None;
    let mut value = start;
    let mut walk = Vec::with_capacity(length);
    for index in 0..length {
        if index > 0 {
            let shock = match spare.take() {
                Some(shock) => shock,
                None => {
                    let (a, b) = normal_pair(&mut generator);
                    spare = Some(b);
                    a
                }
            };
            value += sigma * shock;
        }
        walk.push(value);
    }
    walk
}

/// Two independent standard normals (Box–Muller).
fn normal_pair(generator: &mut SplitMix64) -> (f64, f64) {
    let radius = (-2.0 * generator.unit_nonzero().ln()).sqrt();
    let angle = 2.0 * std::f64::consts::PI * generator.unit_nonzero();
    (radius * angle.cos(), radius * angle.sin())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_evidence_hand_worked() {
        // Half-lives 10, 20, 30, NaN, 50, 300; p-values NaN, 0.04, 0.08, 0.2, 0.5, 0.01.
        // Defined half-lives 10, 20, 30, 50, 300 → median 30; within 15–60: 20, 30, 50 = 3/5.
        // Tested rows 2..6 (5): rejects at 10%: 0.04, 0.08, 0.01 → 3/5; at 5%: 2/5.
        // Filter (p < 0.10 and 15 ≤ h ≤ 240): (20, 0.04), (30, 0.08) → 2/5 ((300, 0.01) fails h).
        let nan = f64::NAN;
        let evidence = WindowEvidence::from_rows(
            &[10.0, 20.0, 30.0, nan, 50.0, 300.0],
            &[nan, 0.04, 0.08, 0.2, 0.5, 0.01],
        );
        assert_eq!((evidence.windows, evidence.half_life_defined), (5, 5));
        assert_eq!(evidence.half_life_quantiles[3], (0.5, 30.0));
        assert_eq!(evidence.half_life_share_15_to_60, Some(0.6));
        assert_eq!(evidence.adf_reject_10, Some(0.6));
        assert_eq!(evidence.adf_reject_5, Some(0.4));
        assert_eq!(evidence.filter_pass_rate, Some(0.4));
    }

    #[test]
    fn the_walk_is_seeded_and_has_the_asked_volatility() {
        let a = random_walk(10.0, 0.001, 20_001, 42);
        assert_eq!(a, random_walk(10.0, 0.001, 20_001, 42));
        assert_ne!(a, random_walk(10.0, 0.001, 20_001, 43));
        assert_eq!(a[0], 10.0);
        let steps: Vec<f64> = a.windows(2).map(|p| p[1] - p[0]).collect();
        let mean = steps.iter().sum::<f64>() / steps.len() as f64;
        let sd = (steps.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (steps.len() - 1) as f64)
            .sqrt();
        // 20,000 normal steps: the sample sd is within 2% of σ (its own sd is ≈ 0.5%).
        assert!((sd / 0.001 - 1.0).abs() < 0.02, "{sd}");
        assert!(mean.abs() < 0.001 * 4.0 / (20_000f64).sqrt());
    }

    #[test]
    fn a_random_walk_shows_the_small_sample_bias_and_a_calibrated_adf() {
        // The SPEC 2.6 warning, measured: on 240-point windows a random walk has a median
        // half-life in the tens of minutes, yet ADF rejects at 10% in roughly 10% of windows.
        let walk = random_walk(0.0, 0.001, 3_000, BENCHMARK_SEED);
        let (half_lives, p_values) = rolling_tests(&walk);
        assert!(p_values[ADF_WINDOW - 2].is_nan() && p_values[ADF_WINDOW - 1].is_finite());
        let evidence = WindowEvidence::from_rows(&half_lives, &p_values);
        assert_eq!(evidence.windows, 3_000 - ADF_WINDOW + 1);
        let median = evidence.half_life_quantiles[3].1;
        assert!((10.0..200.0).contains(&median), "{median}");
        let rejects = evidence.adf_reject_10.unwrap();
        assert!(rejects < 0.35, "{rejects}");
    }
}
