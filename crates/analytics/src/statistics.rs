//! Plain `f64` statistics used by the metrics: mean, sample standard deviation, downside
//! deviation, percentiles, and the daily-return ratios (SPEC 6: Sharpe and Sortino on daily
//! returns annualized with √365).
//!
//! Estimators (chosen to match the documented definitions of `empyrical`, the statistics
//! library of Quantopian's zipline/pyfolio, which `tools/stats_crosscheck` runs):
//! - mean: arithmetic mean;
//! - standard deviation: sample, `ddof = 1` (`np.std(r, ddof=1)`, empyrical `sharpe_ratio`);
//! - downside deviation: `sqrt(mean(min(r, 0)²))` over ALL days, zero days included, with a
//!   required return of 0 (empyrical `downside_risk`);
//! - Sharpe: `mean / std × √365`, risk-free rate 0;
//! - Sortino: `mean × 365 / (downside × √365) = mean / downside × √365`;
//! - annual volatility: `std × √365`;
//! - percentiles: linear interpolation between order statistics (`numpy.percentile` default,
//!   Hyndman–Fan type 7).

use serde::{Deserialize, Serialize};

/// Days per year for annualization (SPEC 6: crypto trades every day, √365).
pub const DAYS_PER_YEAR: f64 = 365.0;

/// Arithmetic mean; `None` for an empty slice.
pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Sample standard deviation (`ddof = 1`); `None` with fewer than two values.
pub fn sample_std(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let average = mean(values)?;
    // Identical values have a zero deviation exactly (the float mean may differ from them in
    // the last bit, which would turn a "no deviation" into a ratio near 1e15).
    if values.iter().all(|value| *value == values[0]) {
        return Some(0.0);
    }
    let squares: f64 = values.iter().map(|value| (value - average).powi(2)).sum();
    Some((squares / (values.len() - 1) as f64).sqrt())
}

/// Downside deviation below 0: `sqrt(mean(min(r, 0)²))` over all values; `None` when empty.
pub fn downside_deviation(values: &[f64]) -> Option<f64> {
    let squares: Vec<f64> = values.iter().map(|value| value.min(0.0).powi(2)).collect();
    mean(&squares).map(f64::sqrt)
}

/// Percentile `fraction ∈ [0, 1]` of `sorted` (ascending) by linear interpolation between
/// order statistics (numpy's default): position `h = (n − 1) × fraction`.
pub fn percentile_sorted(sorted: &[f64], fraction: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let position = last as f64 * fraction.clamp(0.0, 1.0);
    let lower = position.floor() as usize;
    let upper = (lower + 1).min(last);
    let weight = position - lower as f64;
    Some(sorted[lower] + (sorted[upper] - sorted[lower]) * weight)
}

/// Summary of a sample: count, mean and the 5/25/50/75/95th percentiles.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    pub count: usize,
    pub mean: f64,
    pub p5: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
}

impl Distribution {
    /// The distribution of `values` (non-finite values are dropped); `None` when none remain.
    pub fn of(values: &[f64]) -> Option<Self> {
        let mut sorted: Vec<f64> = values
            .iter()
            .copied()
            .filter(|value| value.is_finite())
            .collect();
        sorted.sort_by(f64::total_cmp);
        Some(Self {
            count: sorted.len(),
            mean: mean(&sorted)?,
            p5: percentile_sorted(&sorted, 0.05)?,
            p25: percentile_sorted(&sorted, 0.25)?,
            p50: percentile_sorted(&sorted, 0.50)?,
            p75: percentile_sorted(&sorted, 0.75)?,
            p95: percentile_sorted(&sorted, 0.95)?,
        })
    }
}

/// Risk/return ratios of a series of daily returns (see the module doc for each estimator).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReturnStatistics {
    /// Number of daily returns.
    pub days: usize,
    pub mean: Option<f64>,
    /// Sample standard deviation (`ddof = 1`).
    pub std: Option<f64>,
    /// `sqrt(mean(min(r, 0)²))`.
    pub downside_deviation: Option<f64>,
    /// `mean / std × √365`; `None` with < 2 days or a zero deviation.
    pub sharpe: Option<f64>,
    /// `mean / downside_deviation × √365`; `None` with < 2 days or a zero deviation.
    pub sortino: Option<f64>,
    /// `std × √365`; `None` with < 2 days.
    pub annual_volatility: Option<f64>,
}

impl ReturnStatistics {
    pub fn of(daily_returns: &[f64]) -> Self {
        let annualization = DAYS_PER_YEAR.sqrt();
        let enough = daily_returns.len() >= 2;
        let average = mean(daily_returns);
        let std = sample_std(daily_returns);
        let downside = downside_deviation(daily_returns);
        let ratio = |deviation: Option<f64>| match (average, deviation) {
            (Some(average), Some(deviation)) if enough && deviation > 0.0 => {
                Some(average / deviation * annualization)
            }
            _ => None,
        };
        Self {
            days: daily_returns.len(),
            mean: average,
            std,
            downside_deviation: downside,
            sharpe: ratio(std),
            sortino: ratio(downside),
            annual_volatility: std.map(|std| std * annualization),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: Option<f64>, expected: f64) {
        let actual = actual.expect("value");
        assert!(
            (actual - expected).abs() <= 1e-12 * expected.abs().max(1.0),
            "{actual} vs {expected}"
        );
    }

    #[test]
    fn three_daily_returns_by_hand() {
        // r = [+2%, −1%, +0.5%]: mean = 0.015 / 3 = 0.005.
        // deviations 0.015, −0.015, 0 → squares 2.25e-4 + 2.25e-4 + 0 = 4.5e-4;
        // sample variance 4.5e-4 / 2 = 2.25e-4 → std = 0.015.
        // Sharpe = 0.005 / 0.015 × √365 = √365 / 3 = 6.368324...
        // downside: min(r, 0)² = [0, 1e-4, 0] → mean 1e-4 / 3 → sqrt = 0.0057735...
        // Sortino = 0.005 / 0.0057735 × √365 = 0.866025 × 19.104973 = 16.545392
        // annual vol = 0.015 × √365 = 0.286574...
        let stats = ReturnStatistics::of(&[0.02, -0.01, 0.005]);
        assert_eq!(stats.days, 3);
        close(stats.mean, 0.005);
        close(stats.std, 0.015);
        close(stats.sharpe, 365f64.sqrt() / 3.0);
        close(stats.downside_deviation, (1e-4f64 / 3.0).sqrt());
        close(
            stats.sortino,
            0.005 / (1e-4f64 / 3.0).sqrt() * 365f64.sqrt(),
        );
        close(stats.annual_volatility, 0.015 * 365f64.sqrt());
        close(stats.sortino, 16.545_392_107_774_294);
    }

    #[test]
    fn ratios_are_none_without_enough_days_or_deviation() {
        let one = ReturnStatistics::of(&[0.01]);
        assert_eq!(
            (one.sharpe, one.sortino, one.annual_volatility),
            (None, None, None)
        );
        // Two equal gains: zero std and no downside → no ratio, zero volatility.
        let flat = ReturnStatistics::of(&[0.01, 0.01]);
        assert_eq!((flat.sharpe, flat.sortino), (None, None));
        close(flat.annual_volatility.map(|v| v + 1.0), 1.0);
        assert_eq!(ReturnStatistics::of(&[]).mean, None);
    }

    #[test]
    fn percentiles_interpolate_like_numpy() {
        // [1, 2, 3, 4, 5]: p25 at h = 4 × 0.25 = 1 → 2; p5 at h = 0.2 → 1 + 0.2 = 1.2;
        // p95 at h = 3.8 → 4.8; mean 3.
        let distribution = Distribution::of(&[5.0, 3.0, 1.0, 4.0, 2.0, f64::NAN]).unwrap();
        assert_eq!(distribution.count, 5);
        close(Some(distribution.p5), 1.2);
        close(Some(distribution.p25), 2.0);
        close(Some(distribution.p50), 3.0);
        close(Some(distribution.p75), 4.0);
        close(Some(distribution.p95), 4.8);
        close(Some(distribution.mean), 3.0);
        assert_eq!(Distribution::of(&[]), None);
        let single = Distribution::of(&[7.0]).unwrap();
        assert_eq!((single.p5, single.p95), (7.0, 7.0));
    }
}
