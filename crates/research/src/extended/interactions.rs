//! Interaction features (SPEC 2.6 "imbalance × volatility, VPIN × trade size, spread ×
//! imbalance, squared z-scores"), from the engine snapshot plus two small own estimators:
//! - `qimb_x_sigma`: time-weighted top-of-book imbalance of the minute (`qimb_mean_1m`) ×
//!   `sigma_240`;
//! - `spread_x_qimb`: quoted spread at the close in bps (snapshot bid/ask) × `qimb_close`;
//! - `vpin_x_trade_size`: a bar VPIN × the minute's mean trade size (volume / trades, base
//!   units). The bar VPIN follows Easley, López de Prado and O'Hara (2012) on one-minute
//!   bars: each bar's CLASSIFIED volume (buy + sell from the snapshot: true labels or the
//!   engine's inference) fills equal-volume buckets, split pro rata when it spans several;
//!   VPIN = Σ|V_buy − V_sell| / (n·V) over the last n = 50 buckets. The bucket size V is the
//!   mean classified volume per minute over the first 30 minutes (so ~1 bucket a minute),
//!   then fixed. NaN until 50 buckets are complete (~80 minutes);
//! - `zscore_60_squared`: the squared z-score of the close over 60 minutes.

use std::collections::VecDeque;

use crate::ResearchFeature;
use crate::zscore::RollingZScore;
use auction_trader_features::FeatureSnapshot;

use super::minute::{or_nan, raw_to_f64};

const COLUMNS: [&str; 4] = [
    "qimb_x_sigma",
    "spread_x_qimb",
    "vpin_x_trade_size",
    "zscore_60_squared",
];

/// VPIN over equal-volume buckets filled by one-minute bars (see module doc).
#[derive(Debug, Clone)]
pub struct BarVpin {
    bucket: Option<f64>,
    calibration_minutes: usize,
    calibration: (usize, f64),
    buckets: usize,
    filled: f64,
    buy: f64,
    sell: f64,
    imbalances: VecDeque<f64>,
}

impl BarVpin {
    /// Bucket size calibrated over the first `calibration_minutes` minutes.
    pub fn calibrated(calibration_minutes: usize, buckets: usize) -> Self {
        Self {
            bucket: None,
            calibration_minutes: calibration_minutes.max(1),
            calibration: (0, 0.0),
            buckets: buckets.max(1),
            filled: 0.0,
            buy: 0.0,
            sell: 0.0,
            imbalances: VecDeque::new(),
        }
    }

    /// A fixed bucket size (base units).
    pub fn with_bucket(bucket: f64, buckets: usize) -> Self {
        let mut vpin = Self::calibrated(1, buckets);
        vpin.bucket = (bucket > 0.0).then_some(bucket);
        vpin
    }

    /// Adds one minute's classified buy and sell volume (base units).
    pub fn update(&mut self, buy: f64, sell: f64) {
        let volume = buy + sell;
        let Some(bucket) = self.bucket else {
            self.calibration.0 += 1;
            self.calibration.1 += volume.max(0.0);
            if self.calibration.0 >= self.calibration_minutes && self.calibration.1 > 0.0 {
                self.bucket = Some(self.calibration.1 / self.calibration.0 as f64);
            }
            return;
        };
        if !(volume > 0.0 && buy >= 0.0 && sell >= 0.0) {
            return;
        }
        let buy_share = buy / volume;
        let mut remaining = volume;
        while remaining > 0.0 {
            let taken = remaining.min(bucket - self.filled);
            self.buy += taken * buy_share;
            self.sell += taken * (1.0 - buy_share);
            self.filled += taken;
            remaining -= taken;
            if self.filled >= bucket * (1.0 - 1e-12) {
                if self.imbalances.len() == self.buckets {
                    self.imbalances.pop_front();
                }
                self.imbalances.push_back((self.buy - self.sell).abs());
                (self.filled, self.buy, self.sell) = (0.0, 0.0, 0.0);
            }
            if remaining <= bucket * 1e-12 {
                break;
            }
        }
    }

    /// VPIN once `buckets` buckets are complete.
    pub fn value(&self) -> Option<f64> {
        let bucket = self.bucket?;
        (self.imbalances.len() == self.buckets)
            .then(|| self.imbalances.iter().sum::<f64>() / (self.buckets as f64 * bucket))
    }
}

/// The four interaction columns.
#[derive(Debug, Clone)]
pub struct InteractionFeatures {
    vpin: BarVpin,
    zscore: Option<RollingZScore>,
}

impl Default for InteractionFeatures {
    fn default() -> Self {
        Self {
            vpin: BarVpin::calibrated(30, 50),
            zscore: RollingZScore::new(60).ok(),
        }
    }
}

impl ResearchFeature for InteractionFeatures {
    fn columns(&self) -> &'static [&'static str] {
        &COLUMNS
    }

    fn on_minute(&mut self, snapshot: &FeatureSnapshot, values: &mut [f64]) {
        values[0] = match (snapshot.qimb_mean_1m, snapshot.sigma_240) {
            (Some(qimb), Some(sigma)) => qimb * sigma,
            _ => f64::NAN,
        };
        values[1] = match (snapshot.bid_price, snapshot.ask_price, snapshot.qimb_close) {
            (Some(bid), Some(ask), Some(qimb)) if bid.raw() > 0 && ask.raw() > bid.raw() => {
                let (bid, ask) = (raw_to_f64(bid.raw()), raw_to_f64(ask.raw()));
                1e4 * (ask - bid) / ((ask + bid) / 2.0) * qimb
            }
            _ => f64::NAN,
        };
        let bar = &snapshot.bar;
        self.vpin.update(
            raw_to_f64(bar.buy_volume.raw()),
            raw_to_f64(bar.sell_volume.raw()),
        );
        values[2] = match self.vpin.value() {
            Some(vpin) if bar.trade_count > 0 => {
                vpin * raw_to_f64(bar.volume.raw()) / bar.trade_count as f64
            }
            _ => f64::NAN,
        };
        values[3] = match self.zscore.as_mut() {
            Some(zscore) => {
                zscore.update(raw_to_f64(bar.close.raw()));
                or_nan(zscore.value().map(|value| value * value))
            }
            None => f64::NAN,
        };
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{Price, Quantity};

    use super::*;
    use crate::extended::test_support::close_snapshot;

    #[test]
    fn bar_vpin_splits_bars_pro_rata() {
        // Bucket 10, 2 buckets. Bar A: buy 6, sell 2 (8, 3/4 buy) → bucket 1 holds (6, 2).
        // Bar B: buy 2, sell 10 (12, 1/6 buy): 2 more close bucket 1 → (6 + 1/3, 2 + 5/3),
        // |6.3333 − 3.6667| = 2.6667; the other 10 fill bucket 2 → (1.6667, 8.3333), 6.6667.
        // VPIN = (2.6667 + 6.6667) / (2·10) = 0.466667.
        let mut vpin = BarVpin::with_bucket(10.0, 2);
        vpin.update(6.0, 2.0);
        assert!(vpin.value().is_none());
        vpin.update(2.0, 10.0);
        assert!((vpin.value().unwrap() - 28.0 / 60.0).abs() < 1e-12);
        // Calibration: mean minute volume of the first 2 minutes (4 and 8) = 6.
        let mut calibrated = BarVpin::calibrated(2, 1);
        calibrated.update(3.0, 1.0);
        calibrated.update(2.0, 6.0);
        assert_eq!(calibrated.bucket, Some(6.0));
    }

    #[test]
    fn snapshot_interactions() {
        // qimb_mean 0.5 × sigma 0.002 = 0.001. Bid 99.99 / ask 100.01 → 2 bps × qimb_close
        // −0.25 = −0.5.
        let mut snapshot = close_snapshot(1, 100.0, 0.0);
        snapshot.qimb_mean_1m = Some(0.5);
        snapshot.sigma_240 = Some(0.002);
        snapshot.bid_price = Price::from_decimal_str("99.99").ok();
        snapshot.ask_price = Price::from_decimal_str("100.01").ok();
        snapshot.qimb_close = Some(-0.25);
        snapshot.bar.volume = Quantity::from_units(4).unwrap();
        let mut feature = InteractionFeatures::default();
        let mut values = [0.0; 4];
        feature.on_minute(&snapshot, &mut values);
        assert!((values[0] - 0.001).abs() < 1e-15);
        assert!((values[1] + 0.5).abs() < 1e-9);
        assert!(values[2].is_nan() && values[3].is_nan());
    }

    #[test]
    fn squared_zscore_after_sixty_closes() {
        // Closes 1..=60: mean 30.5, sample var = 60·61/12 = 305, z = 29.5/sqrt(305) = 1.689175,
        // squared = 870.25/305 = 2.853279.
        let mut feature = InteractionFeatures::default();
        let mut values = [0.0; 4];
        for minute in 1..=60 {
            feature.on_minute(&close_snapshot(minute, minute as f64, 0.0), &mut values);
        }
        assert!((values[3] - 870.25 / 305.0).abs() < 1e-9, "{values:?}");
    }
}
