//! Kyle's lambda (SPEC 2.6): price impact per unit of signed order flow.
//!
//! Estimator: over the trailing `window_seconds` (default 1,800 = 30 minutes) of one-second
//! intervals of the target, ordinary least squares with intercept of
//! `Δm_t = α + λ · q_t + ε_t`, where `Δm_t = 10⁴ · ln(mid_end / mid_start)` (bps) and `q_t` is
//! the signed traded notional of the second in millions of quote currency (see `seconds.rs`
//! for the mid and the signs). `λ = Σ(q − q̄)(Δm − Δm̄) / Σ(q − q̄)²`, in bps per million.
//! Seconds without trades count (q = 0). Defined with at least `min_seconds` (default 120)
//! samples and non-zero flow variance. Sums are updated in O(1) per second and recomputed from
//! the window once per window length (no drift).

use std::collections::VecDeque;

use auction_trader_types::MarketEvent;

use super::minute::MinuteRoller;
use super::seconds::{SampledSeconds, SecondEstimator, SecondSample};
use crate::ResearchFeature;
use auction_trader_features::FeatureSnapshot;

const COLUMNS: [&str; 1] = ["kyle_lambda_30m"];

/// Rolling simple regression `y = α + β x` over the last `window` points.
#[derive(Debug, Clone)]
pub(crate) struct RollingRegression {
    window: usize,
    points: VecDeque<(f64, f64)>,
    sums: [f64; 5],
    since_recompute: usize,
}

impl RollingRegression {
    pub(crate) fn new(window: usize) -> Self {
        Self {
            window: window.max(2),
            points: VecDeque::with_capacity(window.max(2) + 1),
            sums: [0.0; 5],
            since_recompute: 0,
        }
    }

    fn add_to_sums(sums: &mut [f64; 5], (x, y): (f64, f64), sign: f64) {
        sums[0] += sign * x;
        sums[1] += sign * y;
        sums[2] += sign * x * x;
        sums[3] += sign * x * y;
        sums[4] += sign * y * y;
    }

    pub(crate) fn push(&mut self, x: f64, y: f64) {
        if !(x.is_finite() && y.is_finite()) {
            return;
        }
        if self.points.len() == self.window
            && let Some(oldest) = self.points.pop_front()
        {
            Self::add_to_sums(&mut self.sums, oldest, -1.0);
        }
        self.points.push_back((x, y));
        Self::add_to_sums(&mut self.sums, (x, y), 1.0);
        self.since_recompute += 1;
        if self.since_recompute >= self.window {
            self.since_recompute = 0;
            let mut sums = [0.0; 5];
            for &point in &self.points {
                Self::add_to_sums(&mut sums, point, 1.0);
            }
            self.sums = sums;
        }
    }

    /// OLS slope, None below two points or with (numerically) constant x.
    pub(crate) fn slope(&self) -> Option<f64> {
        let count = self.points.len() as f64;
        if count < 2.0 {
            return None;
        }
        let [sum_x, sum_y, sum_xx, sum_xy, _] = self.sums;
        let sxx = sum_xx - sum_x * sum_x / count;
        let sxy = sum_xy - sum_x * sum_y / count;
        (sxx > 1e-12 * sum_xx.max(f64::MIN_POSITIVE)).then(|| sxy / sxx)
    }
}

/// Kyle's regression on the one-second samples: x = signed notional in millions, y = mid
/// log return in bps (seconds without a return are skipped).
impl SecondEstimator for RollingRegression {
    fn push_sample(&mut self, sample: &SecondSample) {
        if let Some(log_return) = sample.log_return() {
            self.push(sample.signed_notional / 1e6, log_return * 1e4);
        }
    }

    fn clear(&mut self) {
        self.points.clear();
        self.sums = [0.0; 5];
        self.since_recompute = 0;
    }

    fn len(&self) -> usize {
        self.points.len()
    }

    fn estimate(&self) -> Option<f64> {
        self.slope()
    }
}

/// Kyle's lambda of instrument 0 (see module doc).
#[derive(Debug, Clone)]
pub struct KyleLambda {
    roller: MinuteRoller<SampledSeconds<RollingRegression>>,
}

impl Default for KyleLambda {
    fn default() -> Self {
        Self::new(1_800, 120)
    }
}

impl KyleLambda {
    /// Trailing `window_seconds` one-second intervals, defined from `min_seconds` samples.
    pub fn new(window_seconds: usize, min_seconds: usize) -> Self {
        let regression = RollingRegression::new(window_seconds);
        Self {
            roller: MinuteRoller::new(SampledSeconds::new(
                window_seconds,
                regression,
                min_seconds.max(2),
            )),
        }
    }
}

impl ResearchFeature for KyleLambda {
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
    use auction_trader_types::{AggressorSide, UnixNanos};

    use super::*;
    use crate::extended::test_support::{quiet_snapshot, quote, seconds, trade};

    #[test]
    fn regression_slope_by_hand() {
        // Points (0,1), (1,3), (2,5), (3,4) with window 3 → last three (1,3), (2,5), (3,4):
        // x̄ = 2, ȳ = 4; Sxy = (−1)(−1) + 0·1 + 1·0 = 1; Sxx = 1 + 0 + 1 = 2; slope = 0.5.
        let mut regression = RollingRegression::new(3);
        for (x, y) in [(0.0, 1.0), (1.0, 3.0), (2.0, 5.0), (3.0, 4.0)] {
            regression.push(x, y);
        }
        assert!((regression.slope().unwrap() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn lambda_over_one_second_intervals() {
        // Quotes give mid 100 at 0.5 s. Second [1,2): buy 1,000 @ 100 → q = +100,000 =
        // +0.1 M; mid moves to 100.1 → Δm = 1e4·ln(100.1/100) = 9.995 bps.
        // Second [2,3): sell 2,000 @ 100.1 → q = −0.2002 M; mid to 99.9 →
        // Δm = 1e4·ln(99.9/100.1) = −20.000 bps. Second [3,4): no trade, mid unchanged → (0, 0).
        // Second [0,1) has no start mid (skipped). Window 3 holds the three points:
        // x̄ = −0.0334, ȳ = −3.3350; dx = 0.1334, −0.1668, 0.0334; dy = 13.3300, −16.6650,
        // 3.3350; Sxy = 1.7782 + 2.7797 + 0.1114 = 4.6693; Sxx = 0.017796 + 0.027822 +
        // 0.001116 = 0.046734; λ = 4.6693 / 0.046734 = 99.91 bps per million.
        let millis = |value: i64| UnixNanos(value * 1_000_000);
        let events = [
            quote(millis(500), 99.95, 100.05),
            trade(millis(1_200), 100.0, 1_000.0, AggressorSide::Buy),
            quote(millis(1_500), 100.05, 100.15),
            trade(millis(2_200), 100.1, 2_000.0, AggressorSide::Sell),
            quote(millis(2_500), 99.85, 99.95),
        ];
        let mut small = KyleLambda::new(3, 3);
        for event in &events {
            small.on_event(0, event);
        }
        small.roller.state.advance(seconds(4));
        let slope = small.roller.state.estimator.slope().unwrap();
        assert!((slope - 99.914).abs() < 0.001, "{slope}");
        // The 30-minute feature at the first minute close adds 56 empty seconds (0, 0):
        // still defined and positive.
        let mut feature = KyleLambda::new(1_800, 3);
        for event in &events {
            feature.on_event(0, event);
        }
        let mut values = [0.0];
        feature.on_minute(&quiet_snapshot(seconds(60)), &mut values);
        assert!(values[0] > 0.0, "{}", values[0]);
    }
}
