//! VPIN, volume-synchronized probability of informed trading (SPEC 2.6 "VPIN (volume buckets,
//! with BVC or true labels)"), here with TRUE aggressor labels.
//!
//! Trades fill equal-volume buckets of size V in arrival order; a trade that crosses a
//! bucket boundary is split, its remainder opening the next bucket (and possibly filling
//! several). Over the last n completed buckets, `VPIN = Σ |V_buy − V_sell| / (n · V)`.
//! Volumes stay in raw fixed-point units (exact integer bucket arithmetic); only the final
//! ratio is `f64`. Trades with an unknown aggressor are skipped and counted.

use std::collections::VecDeque;

use auction_trader_types::{AggressorSide, Quantity};

use super::window::check_window;
use crate::ResearchError;

/// Streaming VPIN over volume buckets, O(1) per bucket filled.
#[derive(Debug, Clone)]
pub struct Vpin {
    bucket_size: i128,
    bucket_count: usize,
    buy: i128,
    sell: i128,
    /// |V_buy − V_sell| of each completed bucket in the window.
    imbalances: VecDeque<i128>,
    imbalance_sum: i128,
    unlabelled_trades: u64,
}

impl Vpin {
    /// Buckets of `bucket_size > 0` volume and a window of `bucket_count >= 1` buckets.
    pub fn new(bucket_size: Quantity, bucket_count: usize) -> Result<Self, ResearchError> {
        check_window("research.vpin.bucket_count", bucket_count, 1)?;
        if bucket_size.raw() <= 0 {
            return Err(ResearchError::InvalidConfig {
                field: "research.vpin.bucket_size",
                reason: format!("must be positive, got raw {}", bucket_size.raw()),
            });
        }
        Ok(Self {
            bucket_size: bucket_size.raw(),
            bucket_count,
            buy: 0,
            sell: 0,
            imbalances: VecDeque::with_capacity(bucket_count + 1),
            imbalance_sum: 0,
            unlabelled_trades: 0,
        })
    }

    /// Adds a trade with its true aggressor side. Non-positive sizes are ignored; unknown
    /// sides are skipped and counted in [`Vpin::unlabelled_trades`].
    pub fn update(&mut self, quantity: Quantity, side: AggressorSide) {
        let mut remaining = quantity.raw();
        if remaining <= 0 {
            return;
        }
        let is_buy = match side {
            AggressorSide::Buy => true,
            AggressorSide::Sell => false,
            AggressorSide::Unknown => {
                self.unlabelled_trades += 1;
                return;
            }
        };
        while remaining > 0 {
            let space = self.bucket_size - self.buy - self.sell;
            let taken = remaining.min(space);
            if is_buy {
                self.buy += taken;
            } else {
                self.sell += taken;
            }
            remaining -= taken;
            if self.buy + self.sell == self.bucket_size {
                self.close_bucket();
            }
        }
    }

    fn close_bucket(&mut self) {
        let imbalance = (self.buy - self.sell).abs();
        self.buy = 0;
        self.sell = 0;
        self.imbalances.push_back(imbalance);
        self.imbalance_sum += imbalance;
        if self.imbalances.len() > self.bucket_count
            && let Some(oldest) = self.imbalances.pop_front()
        {
            self.imbalance_sum -= oldest;
        }
    }

    /// Trades skipped for lack of an aggressor label.
    pub fn unlabelled_trades(&self) -> u64 {
        self.unlabelled_trades
    }

    /// VPIN in [0, 1]; None until n buckets are complete.
    pub fn value(&self) -> Option<f64> {
        if self.imbalances.len() < self.bucket_count {
            return None;
        }
        let denominator = self.bucket_count as f64 * self.bucket_size as f64;
        Some(self.imbalance_sum as f64 / denominator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(value: i64) -> Quantity {
        Quantity::from_raw(i128::from(value))
    }

    #[test]
    fn hand_worked_vpin_with_splits() {
        // V = 10, n = 2. Trades: buy 4, sell 8, buy 15, sell 3.
        // Bucket 1: buy 4 + sell 6 (of 8) → |4 − 6| = 2; sell 2 carries over.
        // Bucket 2: sell 2 + buy 8 (of 15) → |8 − 2| = 6; buy 7 carries over.
        // Bucket 3: buy 7 + sell 3 → |7 − 3| = 4.
        // After bucket 2: (2 + 6)/(2·10) = 0.4; after bucket 3: (6 + 4)/20 = 0.5.
        let mut vpin = Vpin::new(raw(10), 2).unwrap();
        vpin.update(raw(4), AggressorSide::Buy);
        vpin.update(raw(8), AggressorSide::Sell);
        assert_eq!(vpin.value(), None);
        vpin.update(raw(15), AggressorSide::Buy);
        assert!((vpin.value().unwrap() - 0.4).abs() < 1e-12);
        vpin.update(raw(3), AggressorSide::Sell);
        assert!((vpin.value().unwrap() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn one_trade_fills_several_buckets() {
        // V = 5, n = 3: a buy of 15 fills three one-sided buckets → (5 + 5 + 5)/15 = 1.
        // An unknown-side trade is skipped.
        let mut vpin = Vpin::new(raw(5), 3).unwrap();
        vpin.update(raw(7), AggressorSide::Unknown);
        vpin.update(raw(15), AggressorSide::Buy);
        assert_eq!(vpin.value(), Some(1.0));
        assert_eq!(vpin.unlabelled_trades(), 1);
        assert!(Vpin::new(raw(0), 3).is_err());
        assert!(Vpin::new(raw(5), 0).is_err());
    }
}
