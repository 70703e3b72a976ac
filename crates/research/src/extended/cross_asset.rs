//! Cross-asset features against the reference instrument 1 (e.g. BTC when the target is an
//! alt; SPEC 2.6 "cross-asset lead-lag, rolling correlation and relative strength"):
//! - `ref_return_corr_60m`: Pearson correlation of the 1-minute log returns of the target
//!   (snapshot `log_return`) and of the reference (its last trade price, else quote mid, at
//!   each close) over the last 60 minutes; defined from 30 pairs;
//! - `ref_lead_lag_minutes` / `ref_lead_lag_corr`: over the same window, the lag k in
//!   −5..=5 maximising |corr(target_t, reference_{t−k})| (k > 0: the reference LEADS by k
//!   minutes), and that correlation (signed); ties keep the smaller |k|, then the negative k;
//!   each lag needs 30 overlapping pairs;
//! - `ref_ratio_zscore_240m`: z-score of `ln(target close / reference price)` over 240
//!   minutes (relative strength, alt/BTC ratio).
//!
//! Per-minute cost: O(window × lags) = 660 multiply-adds.

use std::collections::VecDeque;

use auction_trader_types::{MarketEvent, UnixNanos};

use super::basis::LatestPrice;
use super::minute::{MinuteRoller, MinuteState, or_nan, raw_to_f64};
use crate::ResearchFeature;
use crate::zscore::RollingZScore;
use auction_trader_features::FeatureSnapshot;

const COLUMNS: [&str; 4] = [
    "ref_return_corr_60m",
    "ref_lead_lag_minutes",
    "ref_lead_lag_corr",
    "ref_ratio_zscore_240m",
];

/// Pearson correlation of paired samples; None below 2 pairs or with a constant series.
pub fn pearson(pairs: impl Iterator<Item = (f64, f64)> + Clone) -> Option<f64> {
    let (mut count, mut sum_x, mut sum_y) = (0.0, 0.0, 0.0);
    for (x, y) in pairs.clone() {
        count += 1.0;
        sum_x += x;
        sum_y += y;
    }
    if count < 2.0 {
        return None;
    }
    let (mean_x, mean_y) = (sum_x / count, sum_y / count);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        sxy += (x - mean_x) * (y - mean_y);
        sxx += (x - mean_x) * (x - mean_x);
        syy += (y - mean_y) * (y - mean_y);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

#[derive(Debug, Clone, Copy, Default)]
struct ReferenceState {
    price: LatestPrice,
}

impl MinuteState for ReferenceState {
    type Closed = Option<f64>;

    fn close_minute(&mut self, _end: UnixNanos) -> Option<f64> {
        self.price.last_trade()
    }
}

/// Correlation, lead-lag and relative strength against instrument 1.
#[derive(Debug, Clone)]
pub struct CrossAssetFeatures {
    roller: MinuteRoller<ReferenceState>,
    window: usize,
    max_lag: usize,
    min_pairs: usize,
    previous_reference: Option<f64>,
    /// (target return, reference return), oldest first; window + max_lag long.
    returns: VecDeque<(f64, f64)>,
    ratio: Option<RollingZScore>,
}

impl Default for CrossAssetFeatures {
    fn default() -> Self {
        Self::new(60, 5, 30, 240)
    }
}

impl CrossAssetFeatures {
    /// Correlation over `window` minutes, lags up to ±`max_lag`, `min_pairs` per estimate,
    /// ratio z-score over `ratio_window` minutes (at least 2).
    pub fn new(window: usize, max_lag: usize, min_pairs: usize, ratio_window: usize) -> Self {
        Self {
            roller: MinuteRoller::new(ReferenceState::default()),
            window: window.max(2),
            max_lag,
            min_pairs: min_pairs.max(2),
            previous_reference: None,
            returns: VecDeque::new(),
            ratio: RollingZScore::new(ratio_window.max(2)).ok(),
        }
    }

    /// corr(target_t, reference_{t−lag}) over the pairs whose target is in the last
    /// `window` minutes; None below `min_pairs`.
    fn lagged_correlation(&self, lag: i64) -> Option<f64> {
        let length = self.returns.len();
        let start = length.saturating_sub(self.window);
        let pairs = (start..length).filter_map(move |index| {
            let source = index as i64 - lag;
            (source >= 0 && (source as usize) < length)
                .then(|| (self.returns[index].0, self.returns[source as usize].1))
        });
        if pairs.clone().count() < self.min_pairs {
            return None;
        }
        pearson(pairs)
    }
}

impl ResearchFeature for CrossAssetFeatures {
    fn columns(&self) -> &'static [&'static str] {
        &COLUMNS
    }

    fn on_event(&mut self, instrument: usize, event: &MarketEvent) {
        if instrument != 1 || !matches!(event, MarketEvent::Quote(_) | MarketEvent::Trade(_)) {
            return;
        }
        self.roller.advance(event.ts_recv());
        self.roller.state.price.apply(event);
    }

    fn on_minute(&mut self, snapshot: &FeatureSnapshot, values: &mut [f64]) {
        values.fill(f64::NAN);
        let Some(reference) = self.roller.take(snapshot.ts).flatten() else {
            return;
        };
        if let Some(previous) = self.previous_reference.replace(reference)
            && previous > 0.0
            && reference > 0.0
        {
            if self.returns.len() == self.window + self.max_lag {
                self.returns.pop_front();
            }
            self.returns
                .push_back((snapshot.log_return, (reference / previous).ln()));
        }
        let close = raw_to_f64(snapshot.bar.close.raw());
        if let Some(ratio) = self.ratio.as_mut()
            && close > 0.0
            && reference > 0.0
        {
            ratio.update((close / reference).ln());
            values[3] = or_nan(ratio.value());
        }
        values[0] = or_nan(self.lagged_correlation(0));
        let mut best: Option<(i64, f64)> = None;
        let max_lag = self.max_lag as i64;
        for distance in 0..=max_lag {
            for lag in if distance == 0 {
                vec![0]
            } else {
                vec![-distance, distance]
            } {
                if let Some(value) = self.lagged_correlation(lag)
                    && best.is_none_or(|(_, kept)| value.abs() > kept.abs())
                {
                    best = Some((lag, value));
                }
            }
        }
        if let Some((lag, value)) = best {
            values[1] = lag as f64;
            values[2] = value;
        }
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{AggressorSide, Price, Quantity, Trade, TradeId};

    use super::*;
    use crate::extended::test_support::{close_snapshot, seconds};

    #[test]
    fn pearson_by_hand() {
        // x = 1, 2, 3; y = 2, 4, 5: x̄ = 2, ȳ = 11/3; Sxy = (−1)(−5/3) + 0 + 1·(4/3) = 3;
        // Sxx = 2; Syy = 25/9 + 1/9 + 16/9 = 42/9; r = 3 / sqrt(2·42/9) = 0.981981.
        let value = pearson([(1.0, 2.0), (2.0, 4.0), (3.0, 5.0)].into_iter()).unwrap();
        assert!((value - 3.0 / (2.0_f64 * 42.0 / 9.0).sqrt()).abs() < 1e-12);
        assert!((value - 0.981_981).abs() < 1e-6);
    }

    #[test]
    fn reference_leading_by_one_minute_is_found() {
        // Reference log returns follow a fixed pattern; the target repeats the reference's
        // return one minute later (reference leads by 1). Window 6, lags ±1, 4 pairs minimum.
        // At lag +1 the pairs are identical series → corr = 1 exactly.
        let pattern = [0.01, -0.02, 0.015, 0.0, -0.01, 0.03, -0.005, 0.02, -0.015];
        let mut feature = CrossAssetFeatures::new(6, 1, 4, 3);
        let mut reference = 100.0_f64;
        let mut target = 50.0_f64;
        let mut previous_reference_return = 0.0;
        let mut values = [0.0; 4];
        for (minute, &reference_return) in pattern.iter().enumerate() {
            let at = seconds(60 * minute as i64 + 30);
            reference *= f64::exp(reference_return);
            target *= f64::exp(previous_reference_return);
            feature.on_event(
                1,
                &MarketEvent::Trade(Trade {
                    ts_event: at,
                    ts_recv: at,
                    price: Price::from_f64_rounded(reference).unwrap(),
                    size: Quantity::ONE,
                    aggressor: AggressorSide::Buy,
                    trade_id: TradeId(minute as u64),
                }),
            );
            let snapshot = close_snapshot(minute as i64 + 1, target, previous_reference_return);
            feature.on_minute(&snapshot, &mut values);
            previous_reference_return = reference_return;
        }
        assert_eq!(values[1], 1.0, "{values:?}");
        assert!((values[2] - 1.0).abs() < 1e-6, "{values:?}");
        assert!(values[0].abs() < 0.9, "{values:?}");
        assert!(values[3].is_finite());
    }
}
