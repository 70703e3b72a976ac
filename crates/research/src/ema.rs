//! Exponential moving average and deviation from it (SPEC 2.6 "deviation from EMA"):
//! `alpha = 2 / (N + 1)`, `ema_t = ema_{t−1} + alpha · (x_t − ema_{t−1})`, SEEDED WITH THE
//! FIRST VALUE (`ema_1 = x_1`, no SMA warm-up), so a value exists from the first sample.
//! The deviation is `x_t − ema_t` (the EMA after including `x_t`).

use super::window::check_window;
use crate::ResearchError;

/// Streaming EMA, O(1) per update.
#[derive(Debug, Clone)]
pub struct Ema {
    alpha: f64,
    average: Option<f64>,
    last: Option<f64>,
}

impl Ema {
    /// An EMA with span `span >= 1` (alpha = 2/(span + 1); span 1 follows the input).
    pub fn new(span: usize) -> Result<Self, ResearchError> {
        check_window("research.ema.span", span, 1)?;
        Ok(Self {
            alpha: 2.0 / (span as f64 + 1.0),
            average: None,
            last: None,
        })
    }

    /// The smoothing factor 2/(N + 1).
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Adds a sample (non-finite values are ignored).
    pub fn update(&mut self, value: f64) {
        if !value.is_finite() {
            return;
        }
        self.average = Some(match self.average {
            None => value,
            Some(average) => average + self.alpha * (value - average),
        });
        self.last = Some(value);
    }

    /// The current EMA (None before the first sample).
    pub fn value(&self) -> Option<f64> {
        self.average
    }

    /// Latest sample minus the EMA (None before the first sample).
    pub fn deviation(&self) -> Option<f64> {
        Some(self.last? - self.average?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked_ema() {
        // N = 3 → alpha = 2/4 = 0.5. Inputs 10, 12, 11, 15:
        // ema = 10 (seed); 10 + 0.5·2 = 11; 11 + 0.5·0 = 11; 11 + 0.5·4 = 13.
        // deviation after 15 = 15 − 13 = 2.
        let mut ema = Ema::new(3).unwrap();
        assert_eq!(ema.value(), None);
        assert_eq!(ema.alpha(), 0.5);
        let expected = [10.0, 11.0, 11.0, 13.0];
        for (value, want) in [10.0, 12.0, 11.0, 15.0].into_iter().zip(expected) {
            ema.update(value);
            assert!((ema.value().unwrap() - want).abs() < 1e-12);
        }
        assert!((ema.deviation().unwrap() - 2.0).abs() < 1e-12);
    }

    #[test]
    fn span_four_alpha() {
        // N = 4 → alpha 0.4; inputs 0, 10: ema = 0 + 0.4·10 = 4; deviation 6.
        let mut ema = Ema::new(4).unwrap();
        ema.update(0.0);
        ema.update(10.0);
        assert!((ema.value().unwrap() - 4.0).abs() < 1e-12);
        assert!((ema.deviation().unwrap() - 6.0).abs() < 1e-12);
        assert!(Ema::new(0).is_err());
    }
}
