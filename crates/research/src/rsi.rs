//! Relative strength index with Wilder's smoothing (SPEC 2.6 "RSI"), period 14 by default.
//!
//! Seeding (Wilder 1978): the first `period` price changes are averaged with a simple mean,
//! `avg_gain = Σ gains / n`, `avg_loss = Σ losses / n`; afterwards
//! `avg = (avg · (n − 1) + current) / n`. `RSI = 100 − 100 / (1 + avg_gain / avg_loss)`,
//! 100 when `avg_loss = 0` and 50 when both averages are 0 (a flat series). The first value
//! therefore needs `period + 1` prices.

use super::window::check_window;
use crate::ResearchError;

/// Wilder's default period.
pub const DEFAULT_RSI_PERIOD: usize = 14;

/// Streaming RSI, O(1) per update.
#[derive(Debug, Clone)]
pub struct Rsi {
    period: usize,
    previous: Option<f64>,
    /// Changes seen so far, capped at `period` (the seeding count).
    seeded_changes: usize,
    gain_sum: f64,
    loss_sum: f64,
    average_gain: f64,
    average_loss: f64,
}

impl Rsi {
    /// An RSI over `period >= 1` changes.
    pub fn new(period: usize) -> Result<Self, ResearchError> {
        check_window("research.rsi.period", period, 1)?;
        Ok(Self {
            period,
            previous: None,
            seeded_changes: 0,
            gain_sum: 0.0,
            loss_sum: 0.0,
            average_gain: 0.0,
            average_loss: 0.0,
        })
    }

    /// Adds a price (non-finite values are ignored).
    pub fn update(&mut self, price: f64) {
        if !price.is_finite() {
            return;
        }
        let Some(previous) = self.previous.replace(price) else {
            return;
        };
        let change = price - previous;
        let gain = change.max(0.0);
        let loss = (-change).max(0.0);
        let period = self.period as f64;
        if self.seeded_changes < self.period {
            self.gain_sum += gain;
            self.loss_sum += loss;
            self.seeded_changes += 1;
            if self.seeded_changes == self.period {
                self.average_gain = self.gain_sum / period;
                self.average_loss = self.loss_sum / period;
            }
        } else {
            self.average_gain = (self.average_gain * (period - 1.0) + gain) / period;
            self.average_loss = (self.average_loss * (period - 1.0) + loss) / period;
        }
    }

    /// RSI in [0, 100]; None until `period` changes have been seen.
    pub fn value(&self) -> Option<f64> {
        if self.seeded_changes < self.period {
            return None;
        }
        if self.average_loss == 0.0 {
            return Some(if self.average_gain == 0.0 {
                50.0
            } else {
                100.0
            });
        }
        let strength = self.average_gain / self.average_loss;
        Some(100.0 - 100.0 / (1.0 + strength))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked_rsi_period_three() {
        // Prices 10, 11, 12, 11, 13, 12 → changes +1, +1, −1, +2, −1; period 3.
        // Seed: gain = (1 + 1 + 0)/3 = 2/3, loss = 1/3; RS = 2; RSI = 100 − 100/3 = 66.6667.
        // +2: gain = (2/3·2 + 2)/3 = 10/9, loss = (1/3·2)/3 = 2/9; RS = 5; RSI = 83.3333.
        // −1: gain = (10/9·2)/3 = 20/27, loss = (2/9·2 + 1)/3 = 13/27; RS = 20/13;
        //     RSI = 100 − 100·13/33 = 60.6061.
        let mut rsi = Rsi::new(3).unwrap();
        for price in [10.0, 11.0, 12.0] {
            rsi.update(price);
            assert_eq!(rsi.value(), None);
        }
        rsi.update(11.0);
        assert!((rsi.value().unwrap() - 200.0 / 3.0).abs() < 1e-9);
        rsi.update(13.0);
        assert!((rsi.value().unwrap() - 250.0 / 3.0).abs() < 1e-9);
        rsi.update(12.0);
        assert!((rsi.value().unwrap() - (100.0 - 1300.0 / 33.0)).abs() < 1e-9);
    }

    #[test]
    fn extremes_and_flat() {
        // Only gains → 100; flat → 50; default period needs 15 prices.
        let mut rising = Rsi::new(2).unwrap();
        for price in [1.0, 2.0, 3.0] {
            rising.update(price);
        }
        assert_eq!(rising.value(), Some(100.0));
        let mut flat = Rsi::new(DEFAULT_RSI_PERIOD).unwrap();
        for _ in 0..DEFAULT_RSI_PERIOD {
            flat.update(5.0);
        }
        assert_eq!(flat.value(), None);
        flat.update(5.0);
        assert_eq!(flat.value(), Some(50.0));
    }
}
