//! Per-minute rolling baselines (SPEC 2.1, 2.4): a fixed-capacity ring of the last N minute
//! values, the sample standard deviation of 1-minute log returns (sigma_240), the median of
//! |OF_1m|, and the time-weighted typical spread.
//!
//! These run once per minute over at most a few hundred values, so they are recomputed from
//! the window at every close (two-pass, exact and free of accumulated rounding drift) rather
//! than updated with running sums.

use std::collections::VecDeque;

use auction_trader_types::Price;

/// The last `capacity` values pushed, oldest first.
#[derive(Debug, Clone)]
pub struct MinuteWindow<T> {
    values: VecDeque<T>,
    capacity: usize,
}

impl<T: Copy> MinuteWindow<T> {
    pub fn new(capacity: usize) -> Self {
        Self {
            values: VecDeque::with_capacity(capacity + 1),
            capacity: capacity.max(1),
        }
    }

    /// Appends a value, dropping the oldest beyond the capacity.
    pub fn push(&mut self, value: T) {
        self.values.push_back(value);
        if self.values.len() > self.capacity {
            self.values.pop_front();
        }
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.values.iter()
    }
}

/// sigma_240: SAMPLE standard deviation (n − 1 denominator) of the window's 1-minute log
/// returns, missing bars counting as zero return (the engine pushes 0 for them, SPEC 2.1).
/// Sample rather than population: it is the unbiased variance estimator for a mean that is
/// itself estimated from the window, and it is what pandas' `rolling(240).std()` and most
/// research code compute, so cross-checks line up; at n = 240 the two differ by 0.2%.
/// `None` with fewer than two returns.
pub fn sample_std(returns: &MinuteWindow<f64>) -> Option<f64> {
    let count = returns.len();
    if count < 2 {
        return None;
    }
    let mean = returns.iter().sum::<f64>() / count as f64;
    let squares: f64 = returns
        .iter()
        .map(|value| (value - mean) * (value - mean))
        .sum();
    Some((squares / (count - 1) as f64).sqrt())
}

/// Median of the window's values (average of the two middle values for an even count),
/// using `scratch` as working memory (no allocation once it has grown). `None` when empty.
pub fn median(values: &MinuteWindow<i128>, scratch: &mut Vec<i128>) -> Option<f64> {
    scratch.clear();
    scratch.extend(values.iter().copied());
    let count = scratch.len();
    if count == 0 {
        return None;
    }
    let middle = count / 2;
    let (lower, upper, _) = scratch.select_nth_unstable(middle);
    let upper_value = *upper as f64;
    if count % 2 == 1 {
        return Some(upper_value);
    }
    let lower_value = lower
        .iter()
        .copied()
        .max()
        .map_or(upper_value, |value| value as f64);
    Some((lower_value + upper_value) / 2.0)
}

/// One minute of the spread integral: Σ spread × dt (raw × ns) over the covered time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpreadMinute {
    pub area: i128,
    pub nanos: i64,
}

/// Typical spread (SPEC 2.1): time-weighted average quoted spread over the window's minutes,
/// rounded to the nearest raw price unit. `None` when no usable quote covered any time.
pub fn typical_spread(minutes: &MinuteWindow<SpreadMinute>) -> Option<Price> {
    let (area, nanos) = minutes
        .iter()
        .fold((0_i128, 0_i128), |(area, nanos), minute| {
            (area + minute.area, nanos + i128::from(minute.nanos))
        });
    if nanos <= 0 {
        return None;
    }
    let rounded = (2 * area + nanos).div_euclid(2 * nanos);
    i64::try_from(rounded).ok().map(Price::from_raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_std_of_hand_worked_returns_with_a_missing_bar() {
        // Returns 0.01, −0.01, 0 (a missing bar), 0.02: mean 0.005; deviations 0.005,
        // −0.015, −0.005, 0.015; squares 25e-6 + 225e-6 + 25e-6 + 225e-6 = 500e-6;
        // / (4 − 1) = 166.67e-6; sqrt = 0.0129099.
        let mut window = MinuteWindow::new(240);
        for value in [0.01, -0.01, 0.0, 0.02] {
            window.push(value);
        }
        let sigma = sample_std(&window).unwrap();
        assert!((sigma - 0.012_909_944).abs() < 1e-9);
        let mut single = MinuteWindow::new(240);
        single.push(0.01);
        assert_eq!(sample_std(&single), None);
    }

    #[test]
    fn window_keeps_the_last_values_only() {
        // Capacity 3: pushing 1..=5 keeps 3, 4, 5.
        let mut window = MinuteWindow::new(3);
        for value in 1..=5_i64 {
            window.push(value);
        }
        assert_eq!(window.iter().copied().collect::<Vec<_>>(), vec![3, 4, 5]);
    }

    #[test]
    fn median_odd_and_even() {
        let mut scratch = Vec::new();
        let mut window = MinuteWindow::new(10);
        for value in [7_i128, 1, 5] {
            window.push(value);
        }
        // Sorted 1, 5, 7 -> 5.
        assert_eq!(median(&window, &mut scratch), Some(5.0));
        window.push(2);
        // Sorted 1, 2, 5, 7 -> (2 + 5) / 2 = 3.5.
        assert_eq!(median(&window, &mut scratch), Some(3.5));
        assert_eq!(median(&MinuteWindow::new(3), &mut scratch), None);
    }

    #[test]
    fn typical_spread_is_time_weighted_across_minutes() {
        // Minute 1: spread 0.1 for 60 s. Minute 2: spread 0.3 for 20 s (no quote before).
        // (0.1 × 60 + 0.3 × 20) / 80 = 12 / 80 = 0.15.
        let second = 1_000_000_000_i64;
        let mut window = MinuteWindow::new(60);
        window.push(SpreadMinute {
            area: 100_000_000 * i128::from(60 * second),
            nanos: 60 * second,
        });
        window.push(SpreadMinute {
            area: 300_000_000 * i128::from(20 * second),
            nanos: 20 * second,
        });
        assert_eq!(
            typical_spread(&window),
            Some(Price::from_decimal_str("0.15").unwrap())
        );
        assert_eq!(typical_spread(&MinuteWindow::new(60)), None);
    }
}
