//! Realized volatility and bipower variation over the last N log returns, with a jump flag
//! (SPEC 2.6 "realized volatility", "jump detection (bipower variation)").
//!
//! - `r_t = ln(p_t / p_{t−1})`; realized variance `RV = Σ r_t²` over the N returns in the
//!   window; realized volatility `= sqrt(RV)` (not annualized).
//! - Bipower variation `BV = π/2 · Σ |r_t|·|r_{t−1}|` over the N − 1 adjacent pairs inside
//!   the window (Barndorff-Nielsen & Shephard 2004, without the N/(N − 1) small-sample factor).
//! - Jump flag: `RV > BV · (1 + threshold)`, comparing variance with variance.
//!
//! The sums are updated in O(1) and recomputed from the window every N updates so
//! floating-point drift from the subtractions cannot accumulate (amortized O(1)).

use std::collections::VecDeque;
use std::f64::consts::FRAC_PI_2;

use super::window::check_window;
use crate::ResearchError;

/// Streaming realized volatility, bipower variation and jump flag.
#[derive(Debug, Clone)]
pub struct RealizedVolatility {
    window: usize,
    jump_threshold: f64,
    previous_price: Option<f64>,
    returns: VecDeque<f64>,
    squared_sum: f64,
    /// Σ |r_t|·|r_{t−1}| over adjacent pairs in the window.
    product_sum: f64,
    updates_since_refresh: usize,
}

impl RealizedVolatility {
    /// A window of `window >= 2` returns and a jump threshold `>= 0`.
    pub fn new(window: usize, jump_threshold: f64) -> Result<Self, ResearchError> {
        check_window("research.realized_volatility.window", window, 2)?;
        if !(jump_threshold.is_finite() && jump_threshold >= 0.0) {
            return Err(ResearchError::InvalidConfig {
                field: "research.realized_volatility.jump_threshold",
                reason: format!("must be finite and >= 0, got {jump_threshold}"),
            });
        }
        Ok(Self {
            window,
            jump_threshold,
            previous_price: None,
            returns: VecDeque::with_capacity(window + 1),
            squared_sum: 0.0,
            product_sum: 0.0,
            updates_since_refresh: 0,
        })
    }

    /// Adds a price; non-finite or non-positive prices are ignored (no log return).
    pub fn update(&mut self, price: f64) {
        if !(price.is_finite() && price > 0.0) {
            return;
        }
        let Some(previous) = self.previous_price.replace(price) else {
            return;
        };
        let log_return = (price / previous).ln();
        if self.returns.len() == self.window
            && let Some(oldest) = self.returns.pop_front()
        {
            self.squared_sum -= oldest * oldest;
            if let Some(&next) = self.returns.front() {
                self.product_sum -= oldest.abs() * next.abs();
            }
        }
        if let Some(&last) = self.returns.back() {
            self.product_sum += last.abs() * log_return.abs();
        }
        self.squared_sum += log_return * log_return;
        self.returns.push_back(log_return);
        self.updates_since_refresh += 1;
        if self.updates_since_refresh >= self.window {
            self.refresh();
        }
    }

    fn refresh(&mut self) {
        self.updates_since_refresh = 0;
        self.squared_sum = self.returns.iter().map(|value| value * value).sum();
        self.product_sum = self
            .returns
            .iter()
            .zip(self.returns.iter().skip(1))
            .map(|(earlier, later)| earlier.abs() * later.abs())
            .sum();
    }

    fn is_full(&self) -> bool {
        self.returns.len() == self.window
    }

    /// Realized variance Σ r² over the window; None until N returns.
    pub fn realized_variance(&self) -> Option<f64> {
        self.is_full().then(|| self.squared_sum.max(0.0))
    }

    /// Realized volatility sqrt(Σ r²); None until N returns.
    pub fn value(&self) -> Option<f64> {
        self.realized_variance().map(f64::sqrt)
    }

    /// Bipower variation π/2 · Σ |r_t||r_{t−1}|; None until N returns.
    pub fn bipower_variation(&self) -> Option<f64> {
        self.is_full()
            .then(|| FRAC_PI_2 * self.product_sum.max(0.0))
    }

    /// True when RV > BV · (1 + threshold); None until N returns.
    pub fn jump(&self) -> Option<bool> {
        Some(self.realized_variance()? > self.bipower_variation()? * (1.0 + self.jump_threshold))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked_rv_and_bipower() {
        // Prices 100, 101, 100, 102 with N = 3 returns:
        // r1 = ln(1.01) = 0.00995033, r2 = ln(100/101) = −0.00995033, r3 = ln(1.02) = 0.01980263.
        // RV = r1² + r2² + r3² = 0.0000990091 + 0.0000990091 + 0.0003921440 = 0.0005901622;
        // realized vol = sqrt(0.0005901622) = 0.0242933.
        // BV = π/2 · (|r1||r2| + |r2||r3|) = π/2 · (0.0000990091 + 0.0001970424)
        //    = 1.5707963 · 0.0002960515 = 0.0004650370.
        // RV / BV = 1.2691: jump with threshold 0.2, none with threshold 0.3.
        let prices = [100.0, 101.0, 100.0, 102.0];
        let mut low = RealizedVolatility::new(3, 0.2).unwrap();
        let mut high = RealizedVolatility::new(3, 0.3).unwrap();
        for (index, price) in prices.into_iter().enumerate() {
            low.update(price);
            high.update(price);
            if index < 3 {
                assert_eq!(low.value(), None);
            }
        }
        let r1 = 1.01_f64.ln();
        let r3 = 1.02_f64.ln();
        let rv = 2.0 * r1 * r1 + r3 * r3;
        let bv = FRAC_PI_2 * (r1 * r1 + r1 * r3);
        assert!((low.realized_variance().unwrap() - rv).abs() < 1e-15);
        assert!((low.realized_variance().unwrap() - 0.000_590_162_2).abs() < 1e-10);
        assert!((low.value().unwrap() - 0.024_293_3).abs() < 1e-7);
        assert!((low.bipower_variation().unwrap() - bv).abs() < 1e-15);
        assert!((low.bipower_variation().unwrap() - 0.000_465_037_0).abs() < 1e-10);
        assert_eq!(low.jump(), Some(true));
        assert_eq!(high.jump(), Some(false));
    }

    #[test]
    fn window_slides_and_refreshes() {
        // N = 2 over 100, 101, 100, 102: window keeps r2, r3 (r1 evicted).
        // RV = r2² + r3²; BV = π/2·|r2||r3|.
        let mut estimator = RealizedVolatility::new(2, 0.0).unwrap();
        for price in [100.0, 101.0, 100.0, 102.0] {
            estimator.update(price);
        }
        let r2 = (100.0_f64 / 101.0).ln();
        let r3 = 1.02_f64.ln();
        assert!((estimator.realized_variance().unwrap() - (r2 * r2 + r3 * r3)).abs() < 1e-15);
        assert!((estimator.bipower_variation().unwrap() - FRAC_PI_2 * r2.abs() * r3).abs() < 1e-15);
        assert!(RealizedVolatility::new(1, 0.0).is_err());
        assert!(RealizedVolatility::new(5, -1.0).is_err());
    }
}
