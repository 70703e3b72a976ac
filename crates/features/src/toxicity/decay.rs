//! Survival (decay) weighted depth, SPEC 2.5: one depth sample per second and price level,
//! `Σ w_i·depth_i / Σ w_i` over the lookback with `w_i = exp(−λ_final × age_i)`, summed only
//! over the samples where the price was observed inside the side's sampled book (a price that
//! entered the window after the mid moved is not a drain of the levels it replaced).

use std::collections::VecDeque;

use auction_trader_types::BookSide;

use super::sample::BookSample;

/// `(spread / typical_spread)^α`; 1 without a positive typical spread (warm-up) or spread.
pub fn spread_factor(spread: f64, typical_spread: Option<f64>, alpha: f64) -> f64 {
    match typical_spread {
        Some(typical) if typical > 0.0 && spread > 0.0 => (spread / typical).powf(alpha),
        _ => 1.0,
    }
}

/// `(rv_5m / rv_240m)^β`; 1 before the short window is full or when either is zero.
pub fn volatility_factor(volatility: Option<(f64, f64)>, beta: f64) -> f64 {
    match volatility {
        Some((short, long)) if short > 0.0 && long > 0.0 => (short / long).powf(beta),
        _ => 1.0,
    }
}

/// `(1 + distance_from_best / typical_spread)^γ`; 1 without a typical spread (warm-up).
pub fn level_factor(distance_from_best: f64, typical_spread: Option<f64>, gamma: f64) -> f64 {
    match typical_spread {
        Some(typical) if typical > 0.0 => (1.0 + distance_from_best.max(0.0) / typical).powf(gamma),
        _ => 1.0,
    }
}

/// `Σ w_i·depth_i / Σ w_i`, `w_i = exp(−λ × age_i)`; `None` without samples.
pub fn decay_weighted_depth(samples: impl Iterator<Item = (f64, f64)>, lambda: f64) -> Option<f64> {
    let mut weighted = 0.0;
    let mut weights = 0.0;
    for (age_seconds, depth) in samples {
        let weight = (-lambda * age_seconds).exp();
        weighted += weight * depth;
        weights += weight;
    }
    (weights > 0.0).then(|| weighted / weights)
}

/// The one-second samples inside the lookback, with displayed sizes after the ghost discount
/// (applied when each sample was taken: history is never rewritten).
#[derive(Debug, Clone)]
pub struct DepthHistory {
    samples: VecDeque<BookSample>,
    lookback_nanos: i64,
    spare: Vec<BookSample>,
}

impl DepthHistory {
    pub fn new(lookback_seconds: u32) -> Self {
        Self {
            samples: VecDeque::new(),
            lookback_nanos: i64::from(lookback_seconds) * auction_trader_types::NANOS_PER_SECOND,
            spare: Vec::new(),
        }
    }

    /// A recycled sample to fill (no allocation in steady state).
    pub fn blank(&mut self, ts: i64) -> BookSample {
        let mut sample = self.spare.pop().unwrap_or_default();
        sample.ts = ts;
        for levels in &mut sample.levels {
            levels.clear();
        }
        sample.full = [false, false];
        sample
    }

    /// Adds the newest sample and drops those whose age reaches the lookback.
    pub fn push(&mut self, sample: BookSample) {
        let now = sample.ts;
        self.samples.push_back(sample);
        while self
            .samples
            .front()
            .is_some_and(|oldest| now - oldest.ts >= self.lookback_nanos)
        {
            if let Some(old) = self.samples.pop_front() {
                self.spare.push(old);
            }
        }
    }

    /// Returns a sample's buffers for reuse.
    pub fn recycle(&mut self, sample: BookSample) {
        self.spare.push(sample);
    }

    pub fn clear(&mut self) {
        while let Some(old) = self.samples.pop_front() {
            self.spare.push(old);
        }
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Decay-weighted depth (raw units) at one price as of `now`, over the samples that
    /// observed the price inside the side's sampled book (SPEC 2.5: no zero-filling).
    pub fn weighted(&self, side: BookSide, price: i64, lambda: f64, now: i64) -> Option<f64> {
        decay_weighted_depth(
            self.samples.iter().filter_map(|sample| {
                let size = sample.observed_in_range(side, price)?;
                let age = (now - sample.ts) as f64 / auction_trader_types::NANOS_PER_SECOND as f64;
                Some((age, size as f64))
            }),
            lambda,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_follow_the_spec_forms() {
        // spread 2 ticks vs typical 1 tick, α 0.5 -> sqrt(2)
        assert!((spread_factor(2.0, Some(1.0), 0.5) - 2f64.sqrt()).abs() < 1e-12);
        // rv ratio 0.5^0.6 = 0.659753955...
        assert!((volatility_factor(Some((0.001, 0.002)), 0.6) - 0.5f64.powf(0.6)).abs() < 1e-12);
        // distance 3 ticks, typical 1.5 ticks, γ 1.2 -> 3^1.2 = 3.737192818...
        assert!((level_factor(3.0, Some(1.5), 1.2) - 3.737_192_818_846_552).abs() < 1e-9);
        // Warm-up: every factor is 1.
        assert_eq!(spread_factor(2.0, None, 0.5), 1.0);
        assert_eq!(volatility_factor(None, 0.6), 1.0);
        assert_eq!(level_factor(3.0, None, 1.2), 1.0);
    }

    #[test]
    fn weighted_depth_hand_example() {
        // λ = 0.08; samples (age, depth): (0, 10), (1, 20), (2, 30).
        // w = 1, e^-0.08 = 0.923116346, e^-0.16 = 0.852143789
        // Σw·d = 10 + 18.46232692 + 25.56431367 = 54.02664059; Σw = 2.775260135
        // -> 19.46724...
        let depth = decay_weighted_depth([(0.0, 10.0), (1.0, 20.0), (2.0, 30.0)].into_iter(), 0.08)
            .unwrap();
        assert!(
            (depth - 54.026_640_59 / 2.775_260_135).abs() < 1e-6,
            "{depth}"
        );
        assert_eq!(decay_weighted_depth(std::iter::empty(), 0.08), None);
    }

    #[test]
    fn history_drops_samples_at_the_lookback_and_never_zero_fills() {
        let second = auction_trader_types::NANOS_PER_SECOND;
        let mut history = DepthHistory::new(3);
        // Full 2-level bid samples: t0 {100: 10, 99: 5}, t1 {100: 20, 98: 5},
        // t2 {102: 7, 101: 30} (the mid moved up two ticks), t3 {102: 9, 101: 30}.
        let books: [&[(i64, i64)]; 4] = [
            &[(100, 10), (99, 5)],
            &[(100, 20), (98, 5)],
            &[(102, 7), (101, 30)],
            &[(102, 9), (101, 30)],
        ];
        for (index, levels) in books.iter().enumerate() {
            let mut sample = history.blank(index as i64 * second);
            sample.levels[0].extend_from_slice(levels);
            sample.full = [true, false];
            history.push(sample);
        }
        // Ages 0..2 kept (t0 reaches the lookback of 3 s).
        assert_eq!(history.len(), 3);
        // λ = 0: plain mean over the observations. 102 was above the best at t1 (not an
        // observation of the bid book) -> (7 + 9) / 2 = 8, not (0 + 7 + 9) / 3.
        assert_eq!(
            history.weighted(BookSide::Bid, 102, 0.0, 3 * second),
            Some(8.0)
        );
        // 99 at t1 lies between the best 100 and the deepest 98: observed as 0; at t2 and t3
        // it is past the deepest listed level (101): unobserved -> 0 / 1.
        assert_eq!(
            history.weighted(BookSide::Bid, 99, 0.0, 3 * second),
            Some(0.0)
        );
        // 97 was never inside the window.
        assert_eq!(history.weighted(BookSide::Bid, 97, 0.0, 3 * second), None);
    }
}
