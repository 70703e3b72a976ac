//! Cancel-to-trade ratio, SPEC 2.5: per side and absolute price over a fixed 10 s window of
//! one-second samples, `cancelled = max(0, Σ size decreases between consecutive samples −
//! volume executed at the price)`, `CTR_level = cancelled / (executed + ε)` (no verdict where
//! nothing executed), and the book's CTR per side `Σ cancelled / Σ (executed + ε)` over the
//! active levels, with ε = 0.01 × the median trade size of the last 24 h. Also holds the
//! per-second flow buckets (decreases, executions, taker volumes, bests) that the drain regime
//! reads over its 30 s window.

use std::collections::{BTreeMap, VecDeque};

use auction_trader_types::{AggressorSide, BookSide, NANOS_PER_SECOND};

use super::sample::side_index;

/// `max(0, decrease − traded)` (SPEC 2.5), raw units.
pub fn cancelled_volume(decrease: i64, traded: i64) -> i64 {
    decrease.saturating_sub(traded).max(0)
}

/// `cancelled / (executed + ε)`, sizes in units (SPEC 2.5).
pub fn cancel_to_trade_ratio(cancelled: f64, executed: f64, epsilon: f64) -> f64 {
    let denominator = executed + epsilon;
    if denominator > 0.0 {
        cancelled / denominator
    } else {
        0.0
    }
}

/// SPEC 2.5 ε fallbacks (in units) before any trade: BTC 0.001, ETH 0.01, SOL 1.0, matched on
/// the symbol's base asset; `default` for other symbols.
pub fn fallback_epsilon(symbol: &str, default: f64) -> f64 {
    let upper = symbol.to_ascii_uppercase();
    let base = upper.trim_start_matches(['1', '0']);
    if base.starts_with("BTC") || base.starts_with("XBT") {
        0.001
    } else if base.starts_with("ETH") {
        0.01
    } else if base.starts_with("SOL") {
        1.0
    } else {
        default
    }
}

/// What happened during one second `[start, start + 1 s)`, aggregated per price (sorted for
/// binary search): the size decreases between the samples at both ends of the second, the
/// volume executed per (side, price), taker volumes, and each side's best at the closing
/// sample.
#[derive(Debug, Clone, Default)]
pub struct FlowBucket {
    /// Second start (ns).
    pub start: i64,
    /// `(side index, price raw, size decrease raw)` between the sample at `start` and the one
    /// at `start + 1 s` (SPEC 2.5: on the one-second samples only).
    pub decreases: Vec<(u8, i64, i64)>,
    /// `(side index, price raw, executed size raw)`: a taker sell executes against the bid at
    /// its price, a taker buy against the ask; a trade without aggressor counts on both sides.
    pub executed: Vec<(u8, i64, i64)>,
    pub taker_buy: i64,
    pub taker_sell: i64,
    /// Best bid and ask of the sample that closed the second (`None`: no usable sample).
    pub best: [Option<i64>; 2],
}

impl FlowBucket {
    /// Records one trade.
    #[inline]
    pub fn on_trade(&mut self, price: i64, size: i64, aggressor: AggressorSide) {
        match aggressor {
            AggressorSide::Sell => {
                self.taker_sell = self.taker_sell.saturating_add(size);
                self.executed.push((0, price, size));
            }
            AggressorSide::Buy => {
                self.taker_buy = self.taker_buy.saturating_add(size);
                self.executed.push((1, price, size));
            }
            AggressorSide::Unknown => {
                self.executed.push((0, price, size));
                self.executed.push((1, price, size));
            }
        }
    }

    /// Sorts and merges the rows appended during the second.
    pub fn finish(&mut self) {
        merge_sorted(&mut self.decreases);
        merge_sorted(&mut self.executed);
    }

    fn decrease_at(&self, side: u8, price: i64) -> i64 {
        lookup(&self.decreases, side, price)
    }

    pub fn executed_at(&self, side: u8, price: i64) -> i64 {
        lookup(&self.executed, side, price)
    }

    /// Volume traded at `price` on either side this second.
    pub fn traded_at(&self, price: i64) -> bool {
        self.executed_at(0, price) > 0 || self.executed_at(1, price) > 0
    }
}

fn merge_sorted(rows: &mut Vec<(u8, i64, i64)>) {
    rows.sort_unstable();
    rows.dedup_by(|later, kept| {
        let same = later.0 == kept.0 && later.1 == kept.1;
        if same {
            kept.2 = kept.2.saturating_add(later.2);
        }
        same
    });
}

fn lookup(rows: &[(u8, i64, i64)], side: u8, price: i64) -> i64 {
    rows.binary_search_by(|probe| (probe.0, probe.1).cmp(&(side, price)))
        .map_or(0, |index| rows[index].2)
}

/// Summed flow of one level over a window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LevelFlow {
    pub decrease: i64,
    pub executed: i64,
}

impl LevelFlow {
    pub fn cancelled(self) -> i64 {
        cancelled_volume(self.decrease, self.executed)
    }
}

/// The CTR reading of one side over the window (SPEC 2.5).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BookCtr {
    /// `Σ cancelled / Σ (executed + ε)` over the active levels; `None` when nothing executed.
    pub ratio: Option<f64>,
    /// Active levels with executed volume whose own CTR exceeds the threshold.
    pub toxic_levels: u32,
    /// Active levels (best at some sample in the window, or executed at).
    pub active_levels: u32,
}

/// SPEC 2.5 book CTR from per-level `(cancelled, executed)` in units: `Σ cancelled /
/// Σ (executed + ε)`, undefined when nothing executed; levels with executed volume and a ratio
/// above `toxic` are counted (a level without executed volume gets no verdict).
pub fn book_ctr(levels: &[(f64, f64)], epsilon: f64, toxic: f64) -> BookCtr {
    let mut cancelled = 0.0;
    let mut denominator = 0.0;
    let mut executed_any = false;
    let mut toxic_levels = 0;
    for &(level_cancelled, executed) in levels {
        cancelled += level_cancelled;
        denominator += executed + epsilon;
        if executed > 0.0 {
            executed_any = true;
            if cancel_to_trade_ratio(level_cancelled, executed, epsilon) > toxic {
                toxic_levels += 1;
            }
        }
    }
    BookCtr {
        ratio: (executed_any && denominator > 0.0).then(|| cancelled / denominator),
        toxic_levels,
        active_levels: levels.len() as u32,
    }
}

/// The closed one-second buckets of the last `capacity` seconds.
#[derive(Debug, Clone)]
pub struct FlowWindow {
    buckets: VecDeque<FlowBucket>,
    capacity: usize,
    active: Vec<i64>,
    levels: Vec<(f64, f64)>,
}

impl FlowWindow {
    pub fn new(capacity: usize) -> Self {
        Self {
            buckets: VecDeque::with_capacity(capacity + 1),
            capacity: capacity.max(1),
            active: Vec::new(),
            levels: Vec::new(),
        }
    }

    /// An empty bucket to fill for the second starting at `start` (recycled).
    pub fn blank(&mut self, start: i64) -> FlowBucket {
        let mut bucket = if self.buckets.len() >= self.capacity {
            self.buckets.pop_front().unwrap_or_default()
        } else {
            FlowBucket::default()
        };
        bucket.start = start;
        bucket.decreases.clear();
        bucket.executed.clear();
        bucket.taker_buy = 0;
        bucket.taker_sell = 0;
        bucket.best = [None, None];
        bucket
    }

    pub fn push(&mut self, bucket: FlowBucket) {
        while self.buckets.len() >= self.capacity {
            self.buckets.pop_front();
        }
        self.buckets.push_back(bucket);
    }

    /// The newest closed bucket.
    pub fn last(&self) -> Option<&FlowBucket> {
        self.buckets.back()
    }

    /// Buckets of the `seconds` seconds ending at `end` (starts in `[end − seconds, end)`).
    fn recent(&self, seconds: u32, end: i64) -> impl Iterator<Item = &FlowBucket> {
        let from = end - i64::from(seconds) * NANOS_PER_SECOND;
        self.buckets
            .iter()
            .rev()
            .take_while(move |bucket| bucket.start >= from)
            .filter(move |bucket| bucket.start < end)
    }

    /// Decrease and executed volume at one level over the window.
    pub fn level(&self, side: BookSide, price: i64, seconds: u32, end: i64) -> LevelFlow {
        let code = side_index(side) as u8;
        let mut flow = LevelFlow::default();
        for bucket in self.recent(seconds, end) {
            flow.decrease = flow
                .decrease
                .saturating_add(bucket.decrease_at(code, price));
            flow.executed = flow
                .executed
                .saturating_add(bucket.executed_at(code, price));
        }
        flow
    }

    /// SPEC 2.5 CTR of one side over the `seconds` window ending at `end`. Active levels are
    /// the prices that were the side's best at a sample of the window (the samples at
    /// `end − seconds` … `end`) or executed at in it. Sizes are converted with `unit` raw
    /// units per unit; `epsilon` is in units.
    pub fn book_ctr(
        &mut self,
        side: BookSide,
        seconds: u32,
        end: i64,
        epsilon: f64,
        toxic: f64,
        unit: f64,
    ) -> BookCtr {
        let code = side_index(side) as u8;
        let mut active = std::mem::take(&mut self.active);
        active.clear();
        // Bests at the window's samples: the buckets ending at end − seconds … end.
        for bucket in self.recent(seconds + 1, end) {
            if let Some(best) = bucket.best[code as usize] {
                active.push(best);
            }
        }
        for bucket in self.recent(seconds, end) {
            active.extend(
                bucket
                    .executed
                    .iter()
                    .filter(|row| row.0 == code && row.2 > 0)
                    .map(|row| row.1),
            );
        }
        active.sort_unstable();
        active.dedup();
        let mut levels = std::mem::take(&mut self.levels);
        levels.clear();
        for &price in &active {
            let flow = self.level(side, price, seconds, end);
            levels.push((flow.cancelled() as f64 / unit, flow.executed as f64 / unit));
        }
        let reading = book_ctr(&levels, epsilon, toxic);
        self.active = active;
        self.levels = levels;
        reading
    }

    /// `(taker buy, taker sell)` volume over the window (raw).
    pub fn taker_volume(&self, seconds: u32, end: i64) -> (i64, i64) {
        self.recent(seconds, end)
            .fold((0, 0), |(buy, sell), bucket| {
                (
                    buy.saturating_add(bucket.taker_buy),
                    sell.saturating_add(bucket.taker_sell),
                )
            })
    }

    /// Cancelled volume of one side over the window: Σ over prices of
    /// `max(0, Σ decrease − Σ executed)` (the passive drain of SPEC 2.5).
    pub fn cancelled_side(&self, side: BookSide, seconds: u32, end: i64) -> i64 {
        let code = side_index(side) as u8;
        let mut per_price: BTreeMap<i64, LevelFlow> = BTreeMap::new();
        for bucket in self.recent(seconds, end) {
            for &(bucket_side, price, decrease) in &bucket.decreases {
                if bucket_side == code {
                    per_price.entry(price).or_default().decrease += decrease;
                }
            }
        }
        for bucket in self.recent(seconds, end) {
            for &(bucket_side, price, executed) in &bucket.executed {
                if bucket_side == code
                    && let Some(flow) = per_price.get_mut(&price)
                {
                    flow.executed += executed;
                }
            }
        }
        per_price.values().map(|flow| flow.cancelled()).sum()
    }
}

/// Median trade size over a rolling window (a count per distinct size, so exact and cheap).
#[derive(Debug, Clone)]
pub struct TradeSizeMedian {
    window_nanos: i64,
    trades: VecDeque<(i64, i64)>,
    counts: BTreeMap<i64, u64>,
}

impl TradeSizeMedian {
    pub fn new(window_nanos: i64) -> Self {
        Self {
            window_nanos,
            trades: VecDeque::new(),
            counts: BTreeMap::new(),
        }
    }

    pub fn push(&mut self, ts: i64, size_raw: i64) {
        if size_raw <= 0 {
            return;
        }
        self.trades.push_back((ts, size_raw));
        *self.counts.entry(size_raw).or_insert(0) += 1;
    }

    /// Drops trades older than the window as of `now`.
    pub fn expire(&mut self, now: i64) {
        while let Some(&(ts, size)) = self.trades.front() {
            if now - ts < self.window_nanos {
                break;
            }
            self.trades.pop_front();
            if let Some(count) = self.counts.get_mut(&size) {
                *count -= 1;
                if *count == 0 {
                    self.counts.remove(&size);
                }
            }
        }
    }

    /// Median size (raw; mean of the two middle sizes on an even count).
    pub fn median_raw(&self) -> Option<f64> {
        let total = self.trades.len() as u64;
        if total == 0 {
            return None;
        }
        // 0-based ranks of the middle element(s).
        let (low_rank, high_rank) = ((total - 1) / 2, total / 2);
        let mut seen = 0u64;
        let mut low = None;
        for (&size, &count) in &self.counts {
            seen += count;
            if low.is_none() && seen > low_rank {
                low = Some(size);
            }
            if seen > high_rank {
                return Some((low.unwrap_or(size) as f64 + size as f64) / 2.0);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNIT: f64 = 1e9;

    #[test]
    fn spec_11_4_worked_example() {
        // SPEC 11.4: size 100 -> 40 -> 70 -> 10 in 10 s, trades at the price total 20.
        // Decreases 60 + 60 = 120 (the rise to 70 is not a decrease); cancelled 120 - 20 = 100;
        // CTR = 100 / (20 + ε) ≈ 5.0 -> toxic (> 4.0).
        let sizes = [100i64, 40, 70, 10];
        let decrease: i64 = sizes
            .windows(2)
            .map(|pair| (pair[0] - pair[1]).max(0))
            .sum();
        assert_eq!(decrease, 120);
        let cancelled = cancelled_volume(decrease, 20);
        assert_eq!(cancelled, 100);
        let epsilon = 0.01 * 0.5; // median trade size 0.5 lots
        let ctr = cancel_to_trade_ratio(cancelled as f64, 20.0, epsilon);
        assert!((ctr - 5.0).abs() < 0.01, "{ctr}");
        assert!(ctr > 4.0);
    }

    #[test]
    fn cancelled_twice_the_traded_size_gives_ctr_two() {
        // Issue example: traded 3, cancelled 6 (decrease 9) over 10 s, ε = 0.001 -> 6 / 3.001.
        let cancelled = cancelled_volume(9, 3);
        let ctr = cancel_to_trade_ratio(cancelled as f64, 3.0, 0.001);
        assert!((ctr - 2.0).abs() < 1e-3, "{ctr}");
    }

    #[test]
    fn traded_more_than_decreased_is_not_negative() {
        assert_eq!(cancelled_volume(5, 8), 0);
        assert_eq!(cancel_to_trade_ratio(0.0, 0.0, 0.001), 0.0);
    }

    #[test]
    fn fallbacks_by_base_asset() {
        assert_eq!(fallback_epsilon("BTCUSDT", 0.5), 0.001);
        assert_eq!(fallback_epsilon("ethusdt", 0.5), 0.01);
        assert_eq!(fallback_epsilon("SOL-PERP", 0.5), 1.0);
        assert_eq!(fallback_epsilon("1000PEPEUSDT", 0.5), 0.5);
    }

    #[test]
    fn spec_11_4b_book_ctr() {
        // SPEC 11.4b: active bid levels (cancelled 100, executed 20) and (cancelled 10,
        // executed 0), ε = 0.005 -> 110 / (20.005 + 0.005) = 5.4973 -> toxic. Only the first
        // level gets a per-level verdict (100 / 20.005 = 4.999 > 4); the second has none.
        let reading = book_ctr(&[(100.0, 20.0), (10.0, 0.0)], 0.005, 4.0);
        let ratio = reading.ratio.unwrap();
        assert!((ratio - 110.0 / 20.01).abs() < 1e-12, "{ratio}");
        assert!(ratio > 4.0);
        assert_eq!((reading.toxic_levels, reading.active_levels), (1, 2));
        // A second level that executed 5 and cancelled 30 (CTR 6) gets its own verdict.
        let reading = book_ctr(&[(100.0, 20.0), (30.0, 5.0)], 0.005, 4.0);
        assert_eq!(reading.toxic_levels, 2);
        // Nothing executed anywhere: undefined, not infinite.
        let reading = book_ctr(&[(10.0, 0.0), (3.0, 0.0)], 0.005, 4.0);
        assert_eq!((reading.ratio, reading.toxic_levels), (None, 0));
    }

    #[test]
    fn window_sums_buckets_per_price_then_clamps() {
        let second = NANOS_PER_SECOND;
        let mut window = FlowWindow::new(30);
        // Second 0: bid 100 decreased 60 between the samples, 20 sold into it; the bid was
        // best at 100 at the closing sample.
        let mut bucket = window.blank(0);
        bucket.decreases.extend([(0, 100, 60), (1, 105, 7)]);
        bucket.on_trade(100, 20, AggressorSide::Sell);
        bucket.best = [Some(100), Some(101)];
        bucket.finish();
        window.push(bucket);
        // Second 1: bid 100 decreases 60 more; a taker buy at 101 executes on the ask.
        let mut bucket = window.blank(second);
        bucket.decreases.push((0, 100, 60));
        bucket.on_trade(101, 4, AggressorSide::Buy);
        bucket.best = [Some(99), Some(101)];
        bucket.finish();
        window.push(bucket);
        let flow = window.level(BookSide::Bid, 100, 10, 2 * second);
        assert_eq!(
            (flow.decrease, flow.executed, flow.cancelled()),
            (120, 20, 100)
        );
        // Only the last second: decrease 60, nothing executed.
        assert_eq!(
            window.level(BookSide::Bid, 100, 1, 2 * second).cancelled(),
            60
        );
        assert_eq!(window.taker_volume(30, 2 * second), (4, 20));
        assert_eq!(window.cancelled_side(BookSide::Bid, 30, 2 * second), 100);
        assert_eq!(window.cancelled_side(BookSide::Ask, 30, 2 * second), 7);
        // Book CTR (unit 1, ε 0): bid active levels 100 (best, executed) and 99 (best):
        // (100 + 0) / (20 + 0) = 5. The ask's 105 was never best nor executed: not active;
        // 101 executed 4, cancelled 0 -> 0.
        let bid = window.book_ctr(BookSide::Bid, 10, 2 * second, 0.0, 4.0, 1.0);
        assert_eq!(
            (bid.ratio, bid.active_levels, bid.toxic_levels),
            (Some(5.0), 2, 1)
        );
        let ask = window.book_ctr(BookSide::Ask, 10, 2 * second, 0.0, 4.0, 1.0);
        assert_eq!((ask.ratio, ask.active_levels), (Some(0.0), 1));
    }

    #[test]
    fn unknown_aggressor_executes_on_both_sides() {
        let mut bucket = FlowBucket::default();
        bucket.on_trade(100, 3, AggressorSide::Unknown);
        bucket.finish();
        assert_eq!(
            (bucket.executed_at(0, 100), bucket.executed_at(1, 100)),
            (3, 3)
        );
        assert_eq!((bucket.taker_buy, bucket.taker_sell), (0, 0));
        assert!(bucket.traded_at(100) && !bucket.traded_at(101));
    }

    #[test]
    fn trade_size_median_expires() {
        let mut median = TradeSizeMedian::new(10);
        for (ts, size) in [(0, 5), (1, 1), (2, 3), (3, 9)] {
            median.push(ts, (size as f64 * UNIT) as i64);
        }
        // 1 3 5 9 -> (3 + 5) / 2 = 4
        assert_eq!(median.median_raw(), Some(4.0 * UNIT));
        median.expire(11); // drops ts 0 and 1 -> 3 9 -> 6
        assert_eq!(median.median_raw(), Some(6.0 * UNIT));
        median.expire(100);
        assert_eq!(median.median_raw(), None);
    }
}
