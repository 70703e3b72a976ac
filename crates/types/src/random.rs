//! The one seeded pseudo-random generator of the workspace (SplitMix64, Steele, Lea & Flood
//! 2014): the simulated exchange's queue and latency draws, random grid search, reconnect
//! jitter, synthetic benchmark series. Deterministic across platforms and releases, no
//! dependency, never seeded from the clock (STYLE 3).

/// SplitMix64: 64 bits of state, passes BigCrush, trivially seedable from any `u64`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    #[inline]
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut mixed = self.state;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        mixed ^ (mixed >> 31)
    }

    /// Uniform in `[0, 1)` (53 random bits).
    #[allow(clippy::cast_precision_loss)] // 53-bit integers are exact in f64.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1_u64 << 53) as f64
    }

    /// Uniform in `(0, 1]`: never 0 (a logarithm of it is finite).
    #[allow(clippy::cast_precision_loss)] // 53-bit integers are exact in f64.
    pub fn unit_nonzero(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1_u64 << 53) as f64
    }

    /// Uniform integer in `[0, bound)` (Lemire's multiply-high; bias < bound / 2^64);
    /// 0 when `bound` is not positive.
    #[inline]
    pub fn below(&mut self, bound: i64) -> i64 {
        if bound <= 0 {
            return 0;
        }
        let wide = u128::from(self.next_u64()) * u128::from(bound.unsigned_abs());
        // (wide >> 64) < bound <= i64::MAX: the conversion cannot fail.
        i64::try_from(wide >> 64).unwrap_or(0)
    }

    /// [`SplitMix64::below`] for a wide bound (a queue depth beyond the `i64` range): the
    /// same draw as `below` whenever the bound fits an `i64`.
    pub fn below_wide(&mut self, bound: i128) -> i128 {
        if let Ok(narrow) = i64::try_from(bound) {
            return i128::from(self.below(narrow));
        }
        // bound = high × 2^64 + low; (r × bound) >> 64 = r × high + (r × low) >> 64.
        let draw = u128::from(self.next_u64());
        let magnitude = bound.unsigned_abs();
        let (high, low) = (magnitude >> 64, magnitude & u128::from(u64::MAX));
        let scaled = draw * high + ((draw * low) >> 64);
        // scaled < bound <= i128::MAX: the conversion cannot fail.
        i128::try_from(scaled).unwrap_or(0)
    }

    /// Uniform integer in `[low, high]` (inclusive); `low` when `high <= low`.
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        low + self.below(high - low + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_sequence() {
        // Reference values of SplitMix64 seeded with 1234567 (Vigna's splitmix64.c).
        let mut generator = SplitMix64::new(1_234_567);
        assert_eq!(generator.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(generator.next_u64(), 3_203_168_211_198_807_973);
    }

    #[test]
    fn bounded_draws_stay_in_range_and_repeat_per_seed() {
        let mut first = SplitMix64::new(7);
        let mut second = SplitMix64::new(7);
        for _ in 0..1_000 {
            let value = first.between(70, 190);
            assert!((70..=190).contains(&value));
            assert_eq!(value, second.between(70, 190));
        }
        assert_eq!(first.below(0), 0);
        assert_eq!(first.between(5, 5), 5);
    }
}
