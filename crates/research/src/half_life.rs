//! Ornstein–Uhlenbeck half-life (SPEC 2.6 "OU half-life").
//!
//! Estimator: ordinary least squares of `Δx_t = x_t − x_{t−1}` on `x_{t−1}` with an intercept,
//! `Δx_t = a + b·x_{t−1} + ε`, over the last N pairs; `b = S_xy / S_xx` with centred sums.
//! The discrete AR(1) coefficient is `1 + b`, so the half-life in samples is
//! `−ln 2 / ln(1 + b)`. None when `b >= 0` (no mean reversion), when `b <= −1` (the AR(1)
//! coefficient is not positive: oscillation, no half-life) or when `x_{t−1}` is constant.
//!
//! Sums are kept about a shift `K` (the oldest `x_{t−1}` at the last refresh) so prices
//! ~1e5 do not cancel, updated in O(1) and recomputed every N updates (amortized O(1)).

use std::collections::VecDeque;

use super::window::check_window;
use crate::ResearchError;

/// Streaming OU half-life over a rolling window of N (x_{t−1}, Δx_t) pairs.
#[derive(Debug, Clone)]
pub struct OuHalfLife {
    window: usize,
    previous: Option<f64>,
    /// (x_{t−1}, Δx_t) pairs in the window.
    pairs: VecDeque<(f64, f64)>,
    shift: f64,
    /// Σ u, Σ y, Σ u², Σ u·y with u = x_{t−1} − shift, y = Δx_t.
    sum_u: f64,
    sum_y: f64,
    sum_uu: f64,
    sum_uy: f64,
    updates_since_refresh: usize,
}

impl OuHalfLife {
    /// A window of `window >= 3` pairs (two points always fit a line exactly).
    pub fn new(window: usize) -> Result<Self, ResearchError> {
        check_window("research.half_life.window", window, 3)?;
        Ok(Self {
            window,
            previous: None,
            pairs: VecDeque::with_capacity(window + 1),
            shift: 0.0,
            sum_u: 0.0,
            sum_y: 0.0,
            sum_uu: 0.0,
            sum_uy: 0.0,
            updates_since_refresh: 0,
        })
    }

    /// Adds a sample (non-finite values are ignored).
    pub fn update(&mut self, value: f64) {
        if !value.is_finite() {
            return;
        }
        let Some(previous) = self.previous.replace(value) else {
            self.shift = value;
            return;
        };
        if self.pairs.len() == self.window
            && let Some((lagged, change)) = self.pairs.pop_front()
        {
            self.accumulate(lagged, change, -1.0);
        }
        let change = value - previous;
        self.pairs.push_back((previous, change));
        self.accumulate(previous, change, 1.0);
        self.updates_since_refresh += 1;
        if self.updates_since_refresh >= self.window {
            self.refresh();
        }
    }

    fn accumulate(&mut self, lagged: f64, change: f64, sign: f64) {
        let shifted = lagged - self.shift;
        self.sum_u += sign * shifted;
        self.sum_y += sign * change;
        self.sum_uu += sign * shifted * shifted;
        self.sum_uy += sign * shifted * change;
    }

    fn refresh(&mut self) {
        self.updates_since_refresh = 0;
        self.shift = self.pairs.front().map_or(self.shift, |pair| pair.0);
        self.sum_u = 0.0;
        self.sum_y = 0.0;
        self.sum_uu = 0.0;
        self.sum_uy = 0.0;
        let pairs = std::mem::take(&mut self.pairs);
        for &(lagged, change) in &pairs {
            self.accumulate(lagged, change, 1.0);
        }
        self.pairs = pairs;
    }

    /// OLS slope b of Δx on x_{t−1}; None until N pairs or when x_{t−1} is constant.
    pub fn slope(&self) -> Option<f64> {
        if self.pairs.len() < self.window {
            return None;
        }
        let count = self.pairs.len() as f64;
        let centred_uu = self.sum_uu - self.sum_u * self.sum_u / count;
        let centred_uy = self.sum_uy - self.sum_u * self.sum_y / count;
        (centred_uu > 0.0).then(|| centred_uy / centred_uu)
    }

    /// Half-life in samples, −ln 2 / ln(1 + b); None unless −1 < b < 0.
    pub fn value(&self) -> Option<f64> {
        let slope = self.slope()?;
        if slope >= 0.0 || slope <= -1.0 {
            return None;
        }
        Some(-std::f64::consts::LN_2 / (1.0 + slope).ln())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked_half_life() {
        // N = 4; samples 100, 10, 11, 11.5, 11.5, 11. The first pair (100, −90) is evicted;
        // the window holds (10, 1), (11, 0.5), (11.5, 0), (11.5, −0.5).
        // mean x = 44/4 = 11, mean Δ = 1/4 = 0.25; dx = −1, 0, 0.5, 0.5;
        // dΔ = 0.75, 0.25, −0.25, −0.75. S_xy = −0.75 + 0 − 0.125 − 0.375 = −1.25;
        // S_xx = 1 + 0 + 0.25 + 0.25 = 1.5; b = −5/6; 1 + b = 1/6;
        // half-life = −ln 2 / ln(1/6) = 0.693147 / 1.791759 = 0.386853 samples.
        let mut estimator = OuHalfLife::new(4).unwrap();
        for value in [100.0, 10.0, 11.0, 11.5] {
            estimator.update(value);
            assert_eq!(estimator.value(), None);
        }
        estimator.update(11.5);
        estimator.update(11.0);
        assert!((estimator.slope().unwrap() + 5.0 / 6.0).abs() < 1e-12);
        assert!((estimator.value().unwrap() - 0.386_852_807_234_541_6).abs() < 1e-12);
    }

    #[test]
    fn exact_ar1_and_non_reverting() {
        // x_t = 0.5·x_{t−1} + 45000 around 90000 (shifted geometric): 90016, 90008, 90004,
        // 90002 → Δ = −0.5·(x − 90000) exactly; b = −0.5; half-life = −ln2/ln 0.5 = 1 sample.
        let mut reverting = OuHalfLife::new(3).unwrap();
        for value in [90_016.0, 90_008.0, 90_004.0, 90_002.0] {
            reverting.update(value);
        }
        assert!((reverting.value().unwrap() - 1.0).abs() < 1e-9);
        // Doubling series 1, 2, 4, 8: Δ = x, b = 1 ≥ 0 → no half-life.
        let mut trending = OuHalfLife::new(3).unwrap();
        for value in [1.0, 2.0, 4.0, 8.0] {
            trending.update(value);
        }
        assert!((trending.slope().unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(trending.value(), None);
        assert!(OuHalfLife::new(2).is_err());
    }
}
