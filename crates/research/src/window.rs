//! Rolling mean and variance over the last `window` samples, O(1) per update (Welford's
//! add/remove updates), shared by the z-score and Bollinger estimators.

use std::collections::VecDeque;

use crate::ResearchError;

/// Checks a window length against a minimum (configuration error otherwise).
pub(crate) fn check_window(
    field: &'static str,
    window: usize,
    minimum: usize,
) -> Result<(), ResearchError> {
    if window < minimum {
        return Err(ResearchError::InvalidConfig {
            field,
            reason: format!("must be at least {minimum}, got {window}"),
        });
    }
    Ok(())
}

/// Mean and variance of the last `window` finite samples. Uses Welford's running update for
/// insertions and its inverse for evictions, which keeps the centred sum of squares `m2`
/// stable for large levels (prices ~1e5) where `Σx² − n·mean²` would cancel catastrophically.
#[derive(Debug, Clone)]
pub struct RollingMoments {
    window: usize,
    samples: VecDeque<f64>,
    mean: f64,
    /// Σ (x − mean)² over the samples in the window.
    m2: f64,
}

impl RollingMoments {
    /// A window of `window >= 2` samples.
    pub fn new(window: usize) -> Result<Self, ResearchError> {
        check_window("research.window", window, 2)?;
        Ok(Self {
            window,
            samples: VecDeque::with_capacity(window + 1),
            mean: 0.0,
            m2: 0.0,
        })
    }

    /// Adds a sample, evicting the oldest once the window is full. Non-finite samples are
    /// ignored (they would poison every later value).
    pub fn update(&mut self, value: f64) {
        if !value.is_finite() {
            return;
        }
        if self.samples.len() == self.window
            && let Some(oldest) = self.samples.pop_front()
        {
            self.remove(oldest);
        }
        self.samples.push_back(value);
        let count = self.samples.len() as f64;
        let delta = value - self.mean;
        self.mean += delta / count;
        self.m2 += delta * (value - self.mean);
    }

    fn remove(&mut self, value: f64) {
        // Inverse Welford step; `samples` already excludes `value`.
        let count = self.samples.len() as f64;
        if count == 0.0 {
            self.mean = 0.0;
            self.m2 = 0.0;
            return;
        }
        let delta = value - self.mean;
        self.mean -= delta / count;
        self.m2 -= delta * (value - self.mean);
        self.m2 = self.m2.max(0.0);
    }

    /// True once `window` samples have been seen.
    pub fn is_full(&self) -> bool {
        self.samples.len() == self.window
    }

    /// Samples currently in the window.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// True before the first sample.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The most recent sample.
    pub fn last(&self) -> Option<f64> {
        self.samples.back().copied()
    }

    /// Mean of the window (None when empty).
    pub fn mean(&self) -> Option<f64> {
        (!self.samples.is_empty()).then_some(self.mean)
    }

    /// Sample variance, divisor n − 1 (None below two samples).
    pub fn sample_variance(&self) -> Option<f64> {
        let count = self.samples.len();
        (count >= 2).then(|| self.m2 / (count - 1) as f64)
    }

    /// Population variance, divisor n (None when empty).
    pub fn population_variance(&self) -> Option<f64> {
        let count = self.samples.len();
        (count >= 1).then(|| self.m2 / count as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_over_a_sliding_window() {
        // window 3 over 1, 2, 3, 4, 10: final window [3, 4, 10].
        // mean = 17/3 = 5.6667; deviations −2.6667, −1.6667, 4.3333;
        // squares 7.1111 + 2.7778 + 18.7778 = 28.6667; sample var = 14.3333, pop var = 9.5556.
        let mut moments = RollingMoments::new(3).unwrap();
        for value in [1.0, 2.0, 3.0, 4.0, 10.0] {
            moments.update(value);
        }
        assert!(moments.is_full());
        assert!((moments.mean().unwrap() - 17.0 / 3.0).abs() < 1e-12);
        assert!((moments.sample_variance().unwrap() - 43.0 / 3.0).abs() < 1e-12);
        assert!((moments.population_variance().unwrap() - 86.0 / 9.0).abs() < 1e-12);
    }

    #[test]
    fn stable_at_price_levels() {
        // 90000 + [0.5, 1.0, 1.5] after many evictions: mean 90001.0, sample var 0.25.
        let mut moments = RollingMoments::new(3).unwrap();
        for step in 0..10_000 {
            moments.update(90_000.0 + f64::from(step % 7) * 13.0);
        }
        for value in [90_000.5, 90_001.0, 90_001.5] {
            moments.update(value);
        }
        assert!((moments.mean().unwrap() - 90_001.0).abs() < 1e-9);
        assert!((moments.sample_variance().unwrap() - 0.25).abs() < 1e-6);
    }

    #[test]
    fn rejects_short_window_and_ignores_nan() {
        assert!(RollingMoments::new(1).is_err());
        let mut moments = RollingMoments::new(2).unwrap();
        moments.update(f64::NAN);
        assert!(moments.is_empty());
    }
}
