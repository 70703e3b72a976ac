//! Hurst exponent by rescaled range (SPEC 2.6 "Hurst exponent"), fed with returns
//! (increments, e.g. one-minute log returns), not price levels.
//!
//! Estimator (classical R/S, Hurst 1951 / Mandelbrot–Wallis): over the last N returns, for
//! chunk sizes n = N, N/2, N/4, … down to `min_chunk` (integer halving), the newest
//! ⌊N/n⌋·n returns are cut into non-overlapping chunks of n. For each chunk:
//! `Z_k = Σ_{i<=k} (r_i − mean)`, `R = max Z_k − min Z_k` (k = 1..n), `S` = population
//! standard deviation; chunks with S = 0 are skipped. `H` is the OLS slope of
//! `ln(mean R/S)` on `ln n`. The classical H is biased upward for short chunks (≈ 0.55 on a
//! random walk with chunks of 15–240).
//!
//! Corrected (Anis–Lloyd 1976 with Peters' 1994 factor, SPEC 2.6 "Anis–Lloyd corrected R/S
//! beside the classical one"): `H = 0.5 + slope of ln(mean R/S) − ln E[R/S]_n on ln n`, with
//! the expected R/S of white noise `E[R/S]_n = ((n − ½)/n) · g(n) · Σ_{i=1}^{n−1} √((n − i)/i)`,
//! `g(n) = Γ((n − 1)/2) / (√π · Γ(n/2))` for n ≤ 340 and `1/√(nπ/2)` above (where the gamma
//! functions overflow); the same formula as `nolds.expected_rs`. Updates are O(1); the values
//! recompute in O(N log N) (R/S has no known incremental form).

use std::collections::VecDeque;

use super::window::check_window;
use crate::ResearchError;

/// Streaming Hurst exponent over a rolling window of returns.
#[derive(Debug, Clone)]
pub struct HurstExponent {
    window: usize,
    min_chunk: usize,
    returns: VecDeque<f64>,
}

impl HurstExponent {
    /// A window of N returns and a smallest chunk `min_chunk >= 2`; N must allow at least two
    /// chunk sizes (`N >= 2 · min_chunk`).
    pub fn new(window: usize, min_chunk: usize) -> Result<Self, ResearchError> {
        check_window("research.hurst.min_chunk", min_chunk, 2)?;
        check_window("research.hurst.window", window, 2 * min_chunk)?;
        Ok(Self {
            window,
            min_chunk,
            returns: VecDeque::with_capacity(window + 1),
        })
    }

    /// Adds a return (non-finite values are ignored).
    pub fn update(&mut self, value: f64) {
        if !value.is_finite() {
            return;
        }
        if self.returns.len() == self.window {
            self.returns.pop_front();
        }
        self.returns.push_back(value);
    }

    /// Classical H; None until N returns, or when fewer than two chunk sizes have a defined
    /// R/S.
    pub fn value(&self) -> Option<f64> {
        ols_slope(&self.points()?)
    }

    /// Anis–Lloyd–Peters corrected H (module docs); None as [`HurstExponent::value`].
    pub fn corrected_value(&self) -> Option<f64> {
        let points = self.points()?;
        let corrected: Vec<(f64, f64)> = points
            .iter()
            .map(|&(ln_size, ln_ratio)| {
                let size = ln_size.exp().round() as usize;
                (ln_size, ln_ratio - expected_rescaled_range(size).ln())
            })
            .collect();
        ols_slope(&corrected).map(|slope| 0.5 + slope)
    }

    /// (ln n, ln mean R/S) per chunk size with a defined R/S; None until N returns.
    fn points(&self) -> Option<Vec<(f64, f64)>> {
        if self.returns.len() < self.window {
            return None;
        }
        let (series, _) = self.returns.as_slices();
        let contiguous: Vec<f64>;
        let series = if series.len() == self.returns.len() {
            series
        } else {
            contiguous = self.returns.iter().copied().collect();
            &contiguous
        };
        let mut points = Vec::new();
        let mut size = self.window;
        while size >= self.min_chunk {
            let chunks = self.window / size;
            let start = self.window - chunks * size;
            if let Some(ratio) = mean_rescaled_range(&series[start..], size) {
                points.push(((size as f64).ln(), ratio.ln()));
            }
            size /= 2;
        }
        Some(points)
    }
}

/// Expected R/S of `size` white-noise values (Anis–Lloyd with Peters' factor, module docs).
pub fn expected_rescaled_range(size: usize) -> f64 {
    let n = size as f64;
    let sum: f64 = (1..size).map(|i| ((n - i as f64) / i as f64).sqrt()).sum();
    let gamma_ratio = if size <= 340 {
        libm::tgamma((n - 1.0) * 0.5) / std::f64::consts::PI.sqrt() / libm::tgamma(n * 0.5)
    } else {
        1.0 / (n * std::f64::consts::PI * 0.5).sqrt()
    };
    (n - 0.5) / n * gamma_ratio * sum
}

/// Mean R/S over the consecutive chunks of `size` in `series` (None if every chunk is flat).
fn mean_rescaled_range(series: &[f64], size: usize) -> Option<f64> {
    let mut total = 0.0;
    let mut counted = 0usize;
    for chunk in series.chunks_exact(size) {
        let mean = chunk.iter().sum::<f64>() / size as f64;
        let mut cumulative = 0.0_f64;
        let mut highest = f64::NEG_INFINITY;
        let mut lowest = f64::INFINITY;
        let mut squares = 0.0;
        for value in chunk {
            let deviation = value - mean;
            cumulative += deviation;
            highest = highest.max(cumulative);
            lowest = lowest.min(cumulative);
            squares += deviation * deviation;
        }
        let deviation = (squares / size as f64).sqrt();
        if deviation > 0.0 {
            total += (highest - lowest) / deviation;
            counted += 1;
        }
    }
    (counted > 0).then(|| total / counted as f64)
}

/// Slope of y on x by ordinary least squares (None below two distinct x).
fn ols_slope(points: &[(f64, f64)]) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let count = points.len() as f64;
    let mean_x = points.iter().map(|point| point.0).sum::<f64>() / count;
    let mean_y = points.iter().map(|point| point.1).sum::<f64>() / count;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (x, y) in points {
        sxy += (x - mean_x) * (y - mean_y);
        sxx += (x - mean_x) * (x - mean_x);
    }
    (sxx > 0.0).then(|| sxy / sxx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked_hurst() {
        // N = 4, min chunk 2, returns 1, 2, 3, 4.
        // n = 4: mean 2.5, deviations −1.5, −0.5, 0.5, 1.5; Z = −1.5, −2, −1.5, 0; R = 2;
        //   S = sqrt((2.25 + 0.25 + 0.25 + 2.25)/4) = sqrt(1.25) = 1.1180340; R/S = 1.7888544.
        // n = 2: [1, 2] → Z = −0.5, 0; R = 0.5; S = 0.5; R/S = 1; [3, 4] likewise → mean 1.
        // H = (ln 1.7888544 − ln 1)/(ln 4 − ln 2) = 0.5815754/0.6931472 = 0.8390360.
        let mut hurst = HurstExponent::new(4, 2).unwrap();
        for value in [9.0, 1.0, 2.0, 3.0] {
            hurst.update(value);
        }
        // window [9, 1, 2, 3] is full but not yet the example; slide it by one.
        assert!(hurst.value().is_some());
        hurst.update(4.0);
        let expected = (2.0 / 1.25_f64.sqrt()).ln() / 2.0_f64.ln();
        assert!((hurst.value().unwrap() - expected).abs() < 1e-12);
        assert!((hurst.value().unwrap() - 0.839_036).abs() < 1e-6);
    }

    #[test]
    fn expected_rescaled_range_hand_worked() {
        // n = 2: (1.5/2) · Γ(½)/(√π·Γ(1)) · √(1/1) = 0.75 · 1 · 1 = 0.75.
        assert!((expected_rescaled_range(2) - 0.75).abs() < 1e-15);
        // n = 3: (2.5/3) · Γ(1)/(√π·Γ(1.5)) · (√2 + √½) = 0.8333333 · 2/π · 2.1213203
        //   = 0.8333333 · 0.6366198 · 2.1213203 = 1.1253954.
        assert!((expected_rescaled_range(3) - 1.125_395_4).abs() < 1e-7);
        // Above 340 the asymptotic g(n) = 1/√(nπ/2) takes over: 21.9607455 at 340 (gamma
        // form), 21.9462670 at 341 (a 0.07% step down, as in nolds).
        assert!((expected_rescaled_range(340) - 21.960_745_6).abs() < 1e-6);
        assert!((expected_rescaled_range(341) - 21.946_267_0).abs() < 1e-6);
    }

    #[test]
    fn corrected_hurst_hand_worked() {
        // The classical example above (returns 1, 2, 3, 4; chunks 4 and 2): ln R/S =
        // ln 1.7888544 at n = 4 and ln 1 at n = 2. E[R/S]_2 = 0.75; E[R/S]_4 =
        // (3.5/4) · Γ(1.5)/(√π·Γ(2)) · (√3 + 1 + √(1/3)) = 0.875 · 0.5 · 3.3094011 = 1.4478630.
        // Corrected slope = (0.5815754 − ln 1.4478630 − (0 − ln 0.75)) / ln 2
        //   = (0.5815754 − 0.3700887 − 0.2876821) / 0.6931472 = −0.1099266; H = 0.3900734
        //   (nolds 0.5.2 `hurst_rs(.., nvals=[2, 4], fit='poly', unbiased=False)`: 0.3900734).
        let mut hurst = HurstExponent::new(4, 2).unwrap();
        for value in [1.0, 2.0, 3.0, 4.0] {
            hurst.update(value);
        }
        assert!((expected_rescaled_range(4) - 1.447_863_0).abs() < 1e-7);
        assert!((hurst.corrected_value().unwrap() - 0.390_073_4).abs() < 1e-6);
        let mut flat = HurstExponent::new(4, 2).unwrap();
        for _ in 0..4 {
            flat.update(0.5);
        }
        assert_eq!(flat.corrected_value(), None);
    }

    #[test]
    fn alternating_series_is_anti_persistent_and_flat_is_none() {
        // Returns 1, −1, 1, −1: every chunk (n = 2 and n = 4) has R = 1, S = 1 → R/S = 1 at
        // both sizes → slope 0 → H = 0.
        let mut alternating = HurstExponent::new(4, 2).unwrap();
        for value in [1.0, -1.0, 1.0, -1.0] {
            alternating.update(value);
        }
        assert!(alternating.value().unwrap().abs() < 1e-12);
        let mut flat = HurstExponent::new(4, 2).unwrap();
        for _ in 0..4 {
            flat.update(0.5);
        }
        assert_eq!(flat.value(), None);
        assert!(HurstExponent::new(3, 2).is_err());
        assert!(HurstExponent::new(8, 1).is_err());
    }
}
