//! Small statistics helpers of the toxicity filters: medians, percentiles, sample std, and
//! rolling one-second windows (typical spread, realized volatility, a sorted window for
//! rolling percentiles).

use std::collections::VecDeque;

/// Median of raw integer values (mean of the two middle values on an even count); `None` when
/// empty. Reorders `values`.
pub fn median_raw(values: &mut [i64]) -> Option<f64> {
    let count = values.len();
    if count == 0 {
        return None;
    }
    let (_, upper, _) = values.select_nth_unstable(count / 2);
    let upper = *upper as f64;
    if count % 2 == 1 {
        return Some(upper);
    }
    let lower = values[..count / 2].iter().copied().max().unwrap_or(0) as f64;
    Some((lower + upper) / 2.0)
}

/// Linear-interpolation percentile (`fraction` in [0, 1]) of sorted values; `None` when empty.
pub fn percentile_sorted(sorted: &[f64], fraction: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let position = fraction.clamp(0.0, 1.0) * last as f64;
    let below = position.floor() as usize;
    let above = position.ceil() as usize;
    let weight = position - below as f64;
    Some(sorted[below] * (1.0 - weight) + sorted[above.min(last)] * weight)
}

/// Sample standard deviation (n − 1), two-pass; `None` below two values.
pub fn sample_std(values: impl Iterator<Item = f64> + Clone) -> Option<f64> {
    let count = values.clone().count();
    if count < 2 {
        return None;
    }
    let mean = values.clone().sum::<f64>() / count as f64;
    let squares: f64 = values.map(|value| (value - mean) * (value - mean)).sum();
    Some((squares / (count - 1) as f64).sqrt())
}

/// Mean of the last `capacity` one-second spread samples, exact in raw units (i128 sum).
#[derive(Debug, Clone)]
pub struct TypicalSpread {
    samples: VecDeque<i64>,
    sum: i128,
    capacity: usize,
}

impl TypicalSpread {
    pub fn new(capacity: usize) -> Self {
        Self {
            samples: VecDeque::with_capacity(capacity.min(4_096)),
            sum: 0,
            capacity,
        }
    }

    pub fn push(&mut self, spread_raw: i64) {
        if self.samples.len() == self.capacity
            && let Some(old) = self.samples.pop_front()
        {
            self.sum -= i128::from(old);
        }
        self.samples.push_back(spread_raw);
        self.sum += i128::from(spread_raw);
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Mean spread in raw units; `None` when empty.
    pub fn mean_raw(&self) -> Option<f64> {
        (!self.samples.is_empty()).then(|| self.sum as f64 / self.samples.len() as f64)
    }
}

/// Realized volatility of one-second mid log returns over a short and a long window, as the
/// root mean square return of each window (so the two are comparable per second).
#[derive(Debug, Clone)]
pub struct RealizedVolatility {
    squares: VecDeque<f64>,
    short: usize,
    long: usize,
    long_sum: f64,
    short_sum: f64,
    pushes_since_rebuild: usize,
}

impl RealizedVolatility {
    pub fn new(short: usize, long: usize) -> Self {
        Self {
            squares: VecDeque::with_capacity(long.min(16_384)),
            short,
            long,
            long_sum: 0.0,
            short_sum: 0.0,
            pushes_since_rebuild: 0,
        }
    }

    pub fn push(&mut self, log_return: f64) {
        let square = log_return * log_return;
        if self.squares.len() >= self.short {
            let leaving = self.squares[self.squares.len() - self.short];
            self.short_sum -= leaving;
        }
        if self.squares.len() == self.long
            && let Some(old) = self.squares.pop_front()
        {
            self.long_sum -= old;
        }
        self.squares.push_back(square);
        self.short_sum += square;
        self.long_sum += square;
        self.pushes_since_rebuild += 1;
        if self.pushes_since_rebuild >= self.long {
            // Recompute from the window so the running sums never drift.
            self.pushes_since_rebuild = 0;
            self.long_sum = self.squares.iter().sum();
            let start = self.squares.len().saturating_sub(self.short);
            self.short_sum = self.squares.iter().skip(start).sum();
        }
    }

    pub fn len(&self) -> usize {
        self.squares.len()
    }

    pub fn is_empty(&self) -> bool {
        self.squares.is_empty()
    }

    /// `(rv_short, rv_long)` once the short window is full; `None` before.
    pub fn pair(&self) -> Option<(f64, f64)> {
        if self.squares.len() < self.short {
            return None;
        }
        let short = (self.short_sum.max(0.0) / self.short as f64).sqrt();
        let long = (self.long_sum.max(0.0) / self.squares.len() as f64).sqrt();
        Some((short, long))
    }
}

/// The last `capacity` values kept both in arrival order and sorted: percentiles and ranks of
/// a rolling window in O(capacity) per push (a memmove), O(log n) per query.
#[derive(Debug, Clone)]
pub struct RollingSorted {
    capacity: usize,
    arrivals: VecDeque<f64>,
    sorted: Vec<f64>,
}

impl RollingSorted {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            arrivals: VecDeque::new(),
            sorted: Vec::new(),
        }
    }

    /// Adds a finite value (others are ignored), dropping the oldest beyond the capacity.
    pub fn push(&mut self, value: f64) {
        if !value.is_finite() {
            return;
        }
        self.arrivals.push_back(value);
        let at = self.sorted.partition_point(|held| *held < value);
        self.sorted.insert(at, value);
        if self.arrivals.len() > self.capacity
            && let Some(old) = self.arrivals.pop_front()
        {
            let at = self.sorted.partition_point(|held| *held < old);
            if self.sorted.get(at) == Some(&old) {
                self.sorted.remove(at);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// The newest value.
    pub fn last(&self) -> Option<f64> {
        self.arrivals.back().copied()
    }

    /// Linear-interpolation percentile ([`percentile_sorted`]) of the window.
    pub fn percentile(&self, fraction: f64) -> Option<f64> {
        percentile_sorted(&self.sorted, fraction)
    }

    /// Share of the window's values that are <= `value`.
    pub fn rank(&self, value: f64) -> Option<f64> {
        (!self.sorted.is_empty()).then(|| {
            self.sorted.partition_point(|held| *held <= value) as f64 / self.sorted.len() as f64
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolling_sorted_window_percentile_and_rank() {
        let mut window = RollingSorted::new(4);
        for value in [5.0, 1.0, f64::NAN, 3.0, 2.0, 4.0] {
            window.push(value);
        }
        // 5 dropped: window 1, 3, 2, 4 → sorted 1 2 3 4; p50 = 2.5, p90 = 3.7.
        assert_eq!((window.len(), window.last()), (4, Some(4.0)));
        assert_eq!(window.percentile(0.5), Some(2.5));
        assert!((window.percentile(0.9).unwrap() - 3.7).abs() < 1e-12);
        assert_eq!(window.rank(3.0), Some(0.75));
        assert_eq!(RollingSorted::new(3).rank(1.0), None);
    }

    #[test]
    fn median_odd_and_even() {
        assert_eq!(median_raw(&mut [5, 1, 3]), Some(3.0));
        // 1 2 | 3 4 -> (2 + 3) / 2
        assert_eq!(median_raw(&mut [4, 1, 3, 2]), Some(2.5));
        assert_eq!(median_raw(&mut []), None);
    }

    #[test]
    fn percentiles_interpolate() {
        let sorted = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(percentile_sorted(&sorted, 0.5), Some(3.0));
        // position 0.9 * 4 = 3.6 -> 4 + 0.6 * (5 - 4)
        assert!((percentile_sorted(&sorted, 0.9).unwrap() - 4.6).abs() < 1e-12);
        assert_eq!(percentile_sorted(&[], 0.5), None);
    }

    #[test]
    fn sample_std_of_known_values() {
        // 2 4 4 4 5 5 7 9: mean 5, squares 32, / 7 -> sqrt(32/7)
        let values = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let std = sample_std(values.iter().copied()).unwrap();
        assert!((std - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        assert_eq!(sample_std([1.0].iter().copied()), None);
    }

    #[test]
    fn typical_spread_rolls() {
        let mut spread = TypicalSpread::new(3);
        for value in [10, 20, 30, 40] {
            spread.push(value);
        }
        // Window 20 30 40 -> 30.
        assert_eq!(spread.mean_raw(), Some(30.0));
        assert_eq!(spread.len(), 3);
    }

    #[test]
    fn realized_volatility_is_rms_per_window() {
        let mut volatility = RealizedVolatility::new(2, 4);
        volatility.push(0.01);
        assert_eq!(volatility.pair(), None);
        for value in [0.01, 0.03, -0.03] {
            volatility.push(value);
        }
        // short: sqrt((0.0009 + 0.0009) / 2) = 0.03;
        // long: sqrt((0.0001 + 0.0001 + 0.0009 + 0.0009) / 4) = sqrt(0.0005)
        let (short, long) = volatility.pair().unwrap();
        assert!((short - 0.03).abs() < 1e-12);
        assert!((long - 0.0005f64.sqrt()).abs() < 1e-12);
        volatility.push(0.0);
        // long window drops the first 0.01: (0.0001 + 0.0009 + 0.0009 + 0) / 4
        let (short, long) = volatility.pair().unwrap();
        assert!((short - (0.0009f64 / 2.0).sqrt()).abs() < 1e-12);
        assert!((long - (0.0019f64 / 4.0).sqrt()).abs() < 1e-12);
    }
}
