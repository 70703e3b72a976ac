//! Bollinger position (SPEC 2.6): `(x − mean) / (k · σ)` over the last N samples, k = 2 by
//! default. σ is the population standard deviation (divisor N), as in Bollinger's definition
//! and TA-Lib's BBANDS; +1 is the upper band, −1 the lower band.

use super::window::RollingMoments;
use crate::ResearchError;

/// Default band width in standard deviations.
pub const DEFAULT_BAND_WIDTH: f64 = 2.0;

/// Streaming Bollinger position, O(1) per update.
#[derive(Debug, Clone)]
pub struct BollingerPosition {
    moments: RollingMoments,
    band_width: f64,
}

impl BollingerPosition {
    /// A window of `window >= 2` samples and bands `band_width > 0` deviations wide.
    pub fn new(window: usize, band_width: f64) -> Result<Self, ResearchError> {
        if !(band_width.is_finite() && band_width > 0.0) {
            return Err(ResearchError::InvalidConfig {
                field: "research.bollinger.band_width",
                reason: format!("must be positive and finite, got {band_width}"),
            });
        }
        Ok(Self {
            moments: RollingMoments::new(window)?,
            band_width,
        })
    }

    /// Adds a price (non-finite values are ignored).
    pub fn update(&mut self, price: f64) {
        self.moments.update(price);
    }

    /// Position of the latest price inside the bands; None until the window is full or when
    /// the window is flat.
    pub fn value(&self) -> Option<f64> {
        if !self.moments.is_full() {
            return None;
        }
        let deviation = self.moments.population_variance()?.sqrt();
        if deviation <= 0.0 {
            return None;
        }
        Some((self.moments.last()? - self.moments.mean()?) / (self.band_width * deviation))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked_position() {
        // N = 4, k = 2, prices 2, 4, 4, 6: mean 4; deviations −2, 0, 0, 2; Σ² = 8;
        // population var = 8/4 = 2; σ = 1.4142136; position = (6 − 4)/(2 · 1.4142136) = 0.7071068.
        let mut bollinger = BollingerPosition::new(4, DEFAULT_BAND_WIDTH).unwrap();
        for price in [2.0, 4.0, 4.0] {
            bollinger.update(price);
            assert_eq!(bollinger.value(), None);
        }
        bollinger.update(6.0);
        assert!((bollinger.value().unwrap() - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12);
        // Next price 0 → window [4, 4, 6, 0]: mean 3.5; deviations 0.5, 0.5, 2.5, −3.5;
        // Σ² = 0.25 + 0.25 + 6.25 + 12.25 = 19; var = 4.75; σ = 2.1794495;
        // position = −3.5/(2 · 2.1794495) = −0.8029551.
        bollinger.update(0.0);
        assert!((bollinger.value().unwrap() + 3.5 / (2.0 * 4.75_f64.sqrt())).abs() < 1e-12);
        assert!((bollinger.value().unwrap() + 0.802_955_1).abs() < 1e-6);
    }

    #[test]
    fn rejects_bad_band_width() {
        assert!(BollingerPosition::new(5, 0.0).is_err());
        assert!(BollingerPosition::new(5, f64::NAN).is_err());
    }
}
