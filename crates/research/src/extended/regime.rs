//! Volatility regime (SPEC 2.6 "volatility regime (percentile terciles)"):
//! `rv_60 = sqrt(Σ r²)` over the last 60 one-minute log returns (the snapshot's
//! `log_return`), ranked against its own trailing history of `history` minutes (default
//! 43,200 = 30 days; expanding until then, this minute included):
//! `vol_percentile = #{h ≤ rv_60} / n`, `vol_regime` = 0 when the percentile ≤ 1/3, 1 when
//! ≤ 2/3, else 2. Defined once rv_60 is (60 returns) and the history holds `min_history`
//! values (default 30). The history is a sorted vector (binary search, O(log n) rank; insert
//! and evict are O(n) memmoves of ≤ 43,200 floats per minute).

use std::collections::VecDeque;

use crate::ResearchFeature;
use auction_trader_features::FeatureSnapshot;

const COLUMNS: [&str; 2] = ["vol_regime", "vol_percentile"];

/// Realized-volatility percentile and tercile against trailing history.
#[derive(Debug, Clone)]
pub struct VolatilityRegime {
    returns_window: usize,
    history_window: usize,
    min_history: usize,
    returns: VecDeque<f64>,
    sum_squares: f64,
    since_recompute: usize,
    /// History in arrival order (for eviction) and sorted (for ranks).
    history: VecDeque<f64>,
    sorted: Vec<f64>,
}

impl Default for VolatilityRegime {
    fn default() -> Self {
        Self::new(60, 43_200, 30)
    }
}

impl VolatilityRegime {
    pub fn new(returns_window: usize, history_window: usize, min_history: usize) -> Self {
        Self {
            returns_window: returns_window.max(1),
            history_window: history_window.max(1),
            min_history: min_history.max(1),
            returns: VecDeque::new(),
            sum_squares: 0.0,
            since_recompute: 0,
            history: VecDeque::new(),
            sorted: Vec::new(),
        }
    }

    fn realized_volatility(&mut self, log_return: f64) -> Option<f64> {
        let value = if log_return.is_finite() {
            log_return
        } else {
            0.0
        };
        if self.returns.len() == self.returns_window
            && let Some(oldest) = self.returns.pop_front()
        {
            self.sum_squares -= oldest * oldest;
        }
        self.returns.push_back(value);
        self.sum_squares += value * value;
        self.since_recompute += 1;
        if self.since_recompute >= self.returns_window {
            self.since_recompute = 0;
            self.sum_squares = self.returns.iter().map(|r| r * r).sum();
        }
        (self.returns.len() == self.returns_window).then(|| self.sum_squares.max(0.0).sqrt())
    }

    fn rank(&mut self, value: f64) -> Option<f64> {
        if self.history.len() == self.history_window
            && let Some(oldest) = self.history.pop_front()
        {
            let index = self.sorted.partition_point(|&h| h < oldest);
            if index < self.sorted.len() {
                self.sorted.remove(index);
            }
        }
        self.history.push_back(value);
        let index = self.sorted.partition_point(|&h| h < value);
        self.sorted.insert(index, value);
        if self.sorted.len() < self.min_history {
            return None;
        }
        let at_or_below = self.sorted.partition_point(|&h| h <= value);
        Some(at_or_below as f64 / self.sorted.len() as f64)
    }
}

/// Tercile of a percentile in [0, 1].
pub fn tercile(percentile: f64) -> f64 {
    if percentile <= 1.0 / 3.0 {
        0.0
    } else if percentile <= 2.0 / 3.0 {
        1.0
    } else {
        2.0
    }
}

impl ResearchFeature for VolatilityRegime {
    fn columns(&self) -> &'static [&'static str] {
        &COLUMNS
    }

    fn on_minute(&mut self, snapshot: &FeatureSnapshot, values: &mut [f64]) {
        let percentile = self
            .realized_volatility(snapshot.log_return)
            .and_then(|volatility| self.rank(volatility));
        values[0] = percentile.map_or(f64::NAN, tercile);
        values[1] = percentile.unwrap_or(f64::NAN);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extended::test_support::close_snapshot;

    #[test]
    fn percentile_and_tercile_by_hand() {
        // rv over 2 returns, history 4, minimum 3. Returns 0.03, 0.04, 0, 0, 0.06, 0.08:
        // rv after each (from the 2nd): 0.05, 0.04, 0, 0.06, 0.1.
        // Minute 4 (rv 0): history [0.05, 0.04, 0] → #≤0 = 1 → 1/3 → tercile 0.
        // Minute 5 (rv 0.06): history [0.05, 0.04, 0, 0.06] → 4/4 = 1 → tercile 2.
        // Minute 6 (rv 0.1): 0.05 evicted → [0.04, 0, 0.06, 0.1] → 4/4 = 1.
        let mut feature = VolatilityRegime::new(2, 4, 3);
        let mut values = [0.0; 2];
        let mut seen = Vec::new();
        for (minute, log_return) in [0.03, 0.04, 0.0, 0.0, 0.06, 0.08].into_iter().enumerate() {
            feature.on_minute(
                &close_snapshot(minute as i64 + 1, 100.0, log_return),
                &mut values,
            );
            seen.push(values);
        }
        assert!(seen[2][1].is_nan() && seen[2][0].is_nan());
        assert!((seen[3][1] - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(seen[3][0], 0.0);
        assert_eq!(seen[4], [2.0, 1.0]);
        assert_eq!(seen[5], [2.0, 1.0]);
        for (kept, expected) in feature.sorted.iter().zip([0.0, 0.04, 0.06, 0.1]) {
            assert!((kept - expected).abs() < 1e-12, "{:?}", feature.sorted);
        }
        assert_eq!(tercile(0.5), 1.0);
    }
}
