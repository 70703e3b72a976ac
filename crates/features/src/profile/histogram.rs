//! A dense histogram of integer volumes over a contiguous range of bin indices, growing at
//! either end as needed (amortized: no allocation in steady state) and compacted when the
//! traded range has moved away from its edges.

/// Largest number of bins a profile may span. The rolling profile widens its bins rather
/// than exceed it (bad prices must not exhaust memory); the standalone profile refuses.
pub const MAX_PROFILE_BINS: u64 = 1 << 20;

/// Margin of empty bins kept on each side when the histogram is (re)laid out.
const MARGIN: usize = 64;

#[derive(Debug, Clone, Default)]
pub struct DenseBins {
    /// Bin index of `counts[0]`.
    origin: i64,
    counts: Vec<i128>,
}

impl DenseBins {
    pub fn new() -> Self {
        Self::default()
    }

    /// Empties the histogram and lays it out for bins `low..=high` (capacity is reused).
    pub fn reset(&mut self, low: i64, high: i64) {
        self.counts.clear();
        let span = usize::try_from(high.saturating_sub(low)).unwrap_or(0) + 1;
        self.origin = low.saturating_sub(MARGIN as i64);
        self.counts.resize(span + 2 * MARGIN, 0);
    }

    /// Makes bins `low..=high` addressable.
    pub fn ensure(&mut self, low: i64, high: i64) {
        if self.counts.is_empty() {
            self.reset(low, high);
            return;
        }
        if low < self.origin {
            let missing = usize::try_from(self.origin - low).unwrap_or(0);
            let extra = missing.max(self.counts.len() / 2).max(MARGIN);
            self.counts.splice(0..0, std::iter::repeat_n(0, extra));
            self.origin -= extra as i64;
        }
        let end = self.origin + self.counts.len() as i64;
        if high >= end {
            let missing = usize::try_from(high - end).unwrap_or(0) + 1;
            let extra = missing.max(self.counts.len() / 2).max(MARGIN);
            self.counts.resize(self.counts.len() + extra, 0);
        }
    }

    /// Adds `volume` (negative to expire) to bin `bin`, which must be addressable
    /// ([`Self::ensure`]); an out-of-range bin is laid out first.
    #[inline]
    pub fn add(&mut self, bin: i64, volume: i128) {
        let offset = bin - self.origin;
        if offset < 0 || offset >= self.counts.len() as i64 {
            self.ensure(bin, bin);
        }
        let index = (bin - self.origin) as usize;
        self.counts[index] += volume;
    }

    /// Bin index of the first element of [`Self::counts`].
    pub fn origin(&self) -> i64 {
        self.origin
    }

    pub fn counts(&self) -> &[i128] {
        &self.counts
    }

    /// Indices (into [`Self::counts`]) of the lowest and highest bins with volume.
    pub fn traded_span(&self) -> Option<(usize, usize)> {
        let low = self.counts.iter().position(|&volume| volume != 0)?;
        let high = self.counts.iter().rposition(|&volume| volume != 0)?;
        Some((low, high))
    }

    /// Drops empty edges when they dwarf the traded span (memory stays proportional to it).
    pub fn compact(&mut self, low: usize, high: usize) {
        let span = high - low + 1;
        if self.counts.len() <= 4 * span + 4 * MARGIN {
            return;
        }
        let start = low.saturating_sub(MARGIN);
        let end = (high + 1 + MARGIN).min(self.counts.len());
        self.counts.truncate(end);
        self.counts.drain(..start);
        self.origin += start as i64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_both_ways_and_reports_the_traded_span() {
        let mut bins = DenseBins::new();
        bins.add(100, 5);
        bins.add(40, 7); // far below: grows left
        bins.add(300, 1); // far above: grows right
        let (low, high) = bins.traded_span().unwrap();
        assert_eq!(bins.origin() + low as i64, 40);
        assert_eq!(bins.origin() + high as i64, 300);
        assert_eq!(bins.counts()[(100 - bins.origin()) as usize], 5);
        // Expire the extremes: the span shrinks back to bin 100.
        bins.add(40, -7);
        bins.add(300, -1);
        let (low, high) = bins.traded_span().unwrap();
        assert_eq!(
            (bins.origin() + low as i64, bins.origin() + high as i64),
            (100, 100)
        );
    }

    #[test]
    fn compaction_keeps_the_volumes() {
        let mut bins = DenseBins::new();
        bins.reset(0, 10_000);
        bins.add(5_000, 3);
        bins.add(5_002, 4);
        let (low, high) = bins.traded_span().unwrap();
        bins.compact(low, high);
        assert!(bins.counts().len() < 1_000);
        let (low, high) = bins.traded_span().unwrap();
        assert_eq!(bins.origin() + low as i64, 5_000);
        assert_eq!(bins.origin() + high as i64, 5_002);
        assert_eq!(bins.counts()[high], 4);
    }

    #[test]
    fn empty_histogram_has_no_span() {
        let mut bins = DenseBins::new();
        assert!(bins.traded_span().is_none());
        bins.add(3, 2);
        bins.add(3, -2);
        assert!(bins.traded_span().is_none());
    }
}
