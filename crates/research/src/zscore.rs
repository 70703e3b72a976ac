//! Rolling z-score of price over the last N samples (SPEC 2.6 "price z-scores"):
//! `z = (x_last − mean) / s`, with the mean and the sample standard deviation (divisor N − 1)
//! over the window that includes `x_last`.

use super::window::RollingMoments;
use crate::ResearchError;

/// Streaming z-score over a fixed window, O(1) per update.
#[derive(Debug, Clone)]
pub struct RollingZScore {
    moments: RollingMoments,
}

impl RollingZScore {
    /// A window of `window >= 2` samples.
    pub fn new(window: usize) -> Result<Self, ResearchError> {
        Ok(Self {
            moments: RollingMoments::new(window)?,
        })
    }

    /// Adds a price (non-finite values are ignored).
    pub fn update(&mut self, price: f64) {
        self.moments.update(price);
    }

    /// The z-score of the latest price; None until the window is full or when the window is
    /// flat (zero standard deviation).
    pub fn value(&self) -> Option<f64> {
        if !self.moments.is_full() {
            return None;
        }
        let deviation = self.moments.sample_variance()?.sqrt();
        if deviation <= 0.0 {
            return None;
        }
        Some((self.moments.last()? - self.moments.mean()?) / deviation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked_z_score() {
        // N = 5, prices 10, 11, 12, 13, 14, 20 → window [11, 12, 13, 14, 20].
        // mean = 70/5 = 14; deviations −3, −2, −1, 0, 6; squares 9 + 4 + 1 + 0 + 36 = 50;
        // sample var = 50/4 = 12.5; s = 3.5355339; z = (20 − 14)/3.5355339 = 1.6970563.
        let mut zscore = RollingZScore::new(5).unwrap();
        for price in [10.0, 11.0, 12.0, 13.0] {
            zscore.update(price);
            assert_eq!(zscore.value(), None);
        }
        zscore.update(14.0);
        // window [10..14]: mean 12, s = sqrt(10/4) = 1.5811388, z = 2/1.5811388 = 1.2649111.
        assert!((zscore.value().unwrap() - 1.264_911_064_067_351_7).abs() < 1e-12);
        zscore.update(20.0);
        assert!((zscore.value().unwrap() - 1.697_056_274_847_714).abs() < 1e-12);
    }

    #[test]
    fn flat_window_has_no_z_score() {
        let mut zscore = RollingZScore::new(3).unwrap();
        for _ in 0..3 {
            zscore.update(100.0);
        }
        assert_eq!(zscore.value(), None);
    }
}
