//! Realized kernel volatility (SPEC 2.6; Barndorff-Nielsen, Hansen, Lunde and Shephard 2008,
//! "Designing realized kernels to measure the ex post variation of equity prices in the
//! presence of noise", Econometrica 76(6)), on one-second mid log returns of the target over
//! the trailing `window` seconds (default 3,600):
//!
//! `RK = γ₀ + 2 · Σ_{h=1..H} k(h / (H + 1)) · γ_h`, `γ_h = Σ_j r_j · r_{j−h}` (pairs inside the
//! window), with the Parzen kernel `k(x) = 1 − 6x² + 6x³` for `x ≤ 1/2`, `2(1 − x)³` for
//! `1/2 ≤ x ≤ 1` (non-negative RK). Bandwidth: FIXED `H = 60` lags (one minute of one-second
//! returns), not the data-driven `H* = c*·ξ^{4/5}·n^{3/5}` of BNHLS 2009 (it needs a noise
//! variance estimate); no end-point jittering. Column `realized_kernel_vol_60m` =
//! `sqrt(RK · window / n)` (n returns in the window, so a partly filled window is scaled to
//! the full horizon), defined from `min_returns` (default 120). O(H) per second; the
//! autocovariances are recomputed from the window once per window length (no drift).

use std::collections::VecDeque;

use auction_trader_types::MarketEvent;

use super::minute::MinuteRoller;
use super::seconds::{SampledSeconds, SecondEstimator, SecondSample};
use crate::ResearchFeature;
use auction_trader_features::FeatureSnapshot;

const COLUMNS: [&str; 1] = ["realized_kernel_vol_60m"];

/// Parzen kernel weight.
pub fn parzen(x: f64) -> f64 {
    let x = x.abs();
    if x <= 0.5 {
        1.0 - 6.0 * x * x + 6.0 * x * x * x
    } else if x <= 1.0 {
        2.0 * (1.0 - x).powi(3)
    } else {
        0.0
    }
}

/// Streaming realized kernel over the last `window` returns.
#[derive(Debug, Clone)]
pub(crate) struct RealizedKernel {
    window: usize,
    weights: Vec<f64>,
    returns: VecDeque<f64>,
    /// γ_h for h = 0..=H.
    gammas: Vec<f64>,
    since_recompute: usize,
}

impl RealizedKernel {
    pub(crate) fn new(window: usize, bandwidth: usize) -> Self {
        let weights = (0..=bandwidth)
            .map(|lag| parzen(lag as f64 / (bandwidth as f64 + 1.0)))
            .collect();
        Self {
            window: window.max(1),
            weights,
            returns: VecDeque::with_capacity(window.max(1) + 1),
            gammas: vec![0.0; bandwidth + 1],
            since_recompute: 0,
        }
    }

    pub(crate) fn push(&mut self, value: f64) {
        if !value.is_finite() {
            return;
        }
        if self.returns.len() == self.window {
            let oldest = self.returns[0];
            for (lag, gamma) in self.gammas.iter_mut().enumerate() {
                if let Some(&later) = self.returns.get(lag) {
                    *gamma -= oldest * later;
                }
            }
            self.returns.pop_front();
        }
        self.returns.push_back(value);
        let newest = self.returns.len() - 1;
        for (lag, gamma) in self.gammas.iter_mut().enumerate() {
            if lag <= newest {
                *gamma += value * self.returns[newest - lag];
            }
        }
        self.since_recompute += 1;
        if self.since_recompute >= self.window {
            self.since_recompute = 0;
            self.recompute();
        }
    }

    fn recompute(&mut self) {
        for (lag, gamma) in self.gammas.iter_mut().enumerate() {
            *gamma = (lag..self.returns.len())
                .map(|index| self.returns[index] * self.returns[index - lag])
                .sum();
        }
    }

    /// RK over the returns in the window (not scaled).
    pub(crate) fn value(&self) -> Option<f64> {
        if self.returns.is_empty() {
            return None;
        }
        let rest: f64 = self
            .gammas
            .iter()
            .zip(&self.weights)
            .skip(1)
            .map(|(gamma, weight)| weight * gamma)
            .sum();
        Some((self.gammas[0] + 2.0 * rest).max(0.0))
    }

    /// `sqrt(RK · window / n)`.
    pub(crate) fn volatility(&self) -> Option<f64> {
        let scale = self.window as f64 / self.returns.len() as f64;
        self.value().map(|value| (value * scale).sqrt())
    }
}

/// The realized kernel of the one-second log returns (seconds without a return are skipped).
impl SecondEstimator for RealizedKernel {
    fn push_sample(&mut self, sample: &SecondSample) {
        if let Some(value) = sample.log_return() {
            self.push(value);
        }
    }

    fn clear(&mut self) {
        self.returns.clear();
        self.gammas.iter_mut().for_each(|gamma| *gamma = 0.0);
        self.since_recompute = 0;
    }

    fn len(&self) -> usize {
        self.returns.len()
    }

    fn estimate(&self) -> Option<f64> {
        self.volatility()
    }
}

/// Realized kernel volatility of instrument 0 (see module doc).
#[derive(Debug, Clone)]
pub struct RealizedKernelVolatility {
    roller: MinuteRoller<SampledSeconds<RealizedKernel>>,
}

impl Default for RealizedKernelVolatility {
    fn default() -> Self {
        Self::new(3_600, 60, 120)
    }
}

impl RealizedKernelVolatility {
    /// `window` one-second returns, Parzen bandwidth `bandwidth` lags, defined from
    /// `min_returns` returns.
    pub fn new(window: usize, bandwidth: usize, min_returns: usize) -> Self {
        let kernel = RealizedKernel::new(window, bandwidth);
        Self {
            roller: MinuteRoller::new(SampledSeconds::new(window, kernel, min_returns.max(1))),
        }
    }
}

impl ResearchFeature for RealizedKernelVolatility {
    fn columns(&self) -> &'static [&'static str] {
        &COLUMNS
    }

    fn on_event(&mut self, instrument: usize, event: &MarketEvent) {
        SampledSeconds::on_event(&mut self.roller, instrument, event);
    }

    fn on_minute(&mut self, snapshot: &FeatureSnapshot, values: &mut [f64]) {
        values[0] = SampledSeconds::minute_value(&mut self.roller, snapshot.ts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parzen_weights() {
        // k(0) = 1; k(0.25) = 1 − 6/16 + 6/64 = 0.71875; k(0.5) = 1 − 1.5 + 0.75 = 0.25;
        // k(0.75) = 2·0.25³ = 0.03125; k(1) = 0.
        assert_eq!(parzen(0.0), 1.0);
        assert!((parzen(0.25) - 0.71875).abs() < 1e-15);
        assert!((parzen(0.5) - 0.25).abs() < 1e-15);
        assert!((parzen(0.75) - 0.03125).abs() < 1e-15);
        assert_eq!(parzen(1.0), 0.0);
    }

    #[test]
    fn kernel_by_hand_with_sliding_window() {
        // H = 1 → weight k(1/2) = 0.25. Window 3 over returns 0.05, 0.01, −0.01, 0.02:
        // the window keeps 0.01, −0.01, 0.02.
        // γ0 = 0.0001 + 0.0001 + 0.0004 = 0.0006; γ1 = 0.01·(−0.01) + (−0.01)·0.02 = −0.0003.
        // RK = 0.0006 + 2·0.25·(−0.0003) = 0.00045; vol = sqrt(0.00045) = 0.0212132.
        let mut kernel = RealizedKernel::new(3, 1);
        for value in [0.05, 0.01, -0.01, 0.02] {
            kernel.push(value);
        }
        assert!((kernel.value().unwrap() - 0.00045).abs() < 1e-15);
        assert!((kernel.volatility().unwrap() - 0.000_45_f64.sqrt()).abs() < 1e-12);
        // Recompute (after `window` pushes) agrees with the streaming sums.
        let streamed = kernel.value().unwrap();
        kernel.recompute();
        assert!((kernel.value().unwrap() - streamed).abs() < 1e-15);
    }

    #[test]
    fn bid_ask_bounce_is_filtered_out() {
        // Alternating ±0.001 (pure bid-ask bounce), n = 100, H = 5: γ_h = (−1)^h·(100 − h)·1e-6;
        // weights k(h/6) = 0.8611, 0.5556, 0.25, 0.0741, 0.0093 →
        // RK = 1e-6·(100 + 2·(−85.250 + 54.444 − 24.250 + 7.111 − 0.880)) = 2.352e-6, against a
        // realized variance of 100e-6.
        let mut kernel = RealizedKernel::new(100, 5);
        for index in 0..100 {
            kernel.push(if index % 2 == 0 { 0.001 } else { -0.001 });
        }
        let realized = 100.0 * 1e-6;
        let value = kernel.value().unwrap();
        assert!((value - 2.352e-6).abs() < 0.001e-6, "{value}");
        assert!(value < 0.05 * realized);
    }
}
