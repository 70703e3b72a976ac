//! Cancel-to-trade ratio, SPEC 2.5: per level over a fixed 10 s window,
//! `cancelled = max(0, size decrease at the price − volume traded at the price)` and
//! `CTR = cancelled / (executed + ε)`, with ε = 0.01 × the median trade size of the last 24 h.
//! Also holds the per-second flow buckets (decreases, trades, taker volumes) that the drain
//! regime reads over its 30 s window.

use std::collections::{BTreeMap, VecDeque};

use auction_trader_types::BookSide;

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

const SIDE_BID: u8 = 0;
const SIDE_ASK: u8 = 1;

pub fn side_code(side: BookSide) -> u8 {
    match side {
        BookSide::Bid => SIDE_BID,
        BookSide::Ask => SIDE_ASK,
    }
}

/// What happened during one second, aggregated per price (sorted for binary search).
#[derive(Debug, Clone, Default)]
pub struct FlowBucket {
    /// Second start (ns).
    pub start: i64,
    /// `(side, price raw, summed size decrease raw)`.
    pub decreases: Vec<(u8, i64, i64)>,
    /// `(price raw, summed traded size raw)`, both aggressor sides.
    pub traded: Vec<(i64, i64)>,
    pub taker_buy: i64,
    pub taker_sell: i64,
}

impl FlowBucket {
    /// Sorts and merges the raw rows appended during the second.
    pub fn finish(&mut self) {
        self.decreases.sort_unstable();
        self.decreases.dedup_by(|later, kept| {
            let same = later.0 == kept.0 && later.1 == kept.1;
            if same {
                kept.2 = kept.2.saturating_add(later.2);
            }
            same
        });
        self.traded.sort_unstable();
        self.traded.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 = kept.1.saturating_add(later.1);
            }
            same
        });
    }

    fn decrease_at(&self, side: u8, price: i64) -> i64 {
        self.decreases
            .binary_search_by(|probe| (probe.0, probe.1).cmp(&(side, price)))
            .map_or(0, |index| self.decreases[index].2)
    }

    fn traded_at(&self, price: i64) -> i64 {
        self.traded
            .binary_search_by(|probe| probe.0.cmp(&price))
            .map_or(0, |index| self.traded[index].1)
    }
}

/// Summed flow of one level over a window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LevelFlow {
    pub decrease: i64,
    pub traded: i64,
}

impl LevelFlow {
    pub fn cancelled(self) -> i64 {
        cancelled_volume(self.decrease, self.traded)
    }
}

/// The closed one-second buckets of the last `capacity` seconds.
#[derive(Debug, Clone)]
pub struct FlowWindow {
    buckets: VecDeque<FlowBucket>,
    capacity: usize,
}

impl FlowWindow {
    pub fn new(capacity: usize) -> Self {
        Self {
            buckets: VecDeque::with_capacity(capacity + 1),
            capacity: capacity.max(1),
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
        bucket.traded.clear();
        bucket.taker_buy = 0;
        bucket.taker_sell = 0;
        bucket
    }

    pub fn push(&mut self, bucket: FlowBucket) {
        while self.buckets.len() >= self.capacity {
            self.buckets.pop_front();
        }
        self.buckets.push_back(bucket);
    }

    /// Buckets of the `seconds` seconds ending at `end` (starts in `[end − seconds, end)`).
    fn recent(&self, seconds: u32, end: i64) -> impl Iterator<Item = &FlowBucket> {
        let from = end - i64::from(seconds) * auction_trader_types::NANOS_PER_SECOND;
        self.buckets
            .iter()
            .rev()
            .take_while(move |bucket| bucket.start >= from)
            .filter(move |bucket| bucket.start < end)
    }

    /// Decrease and traded volume at one level over the window.
    pub fn level(&self, side: BookSide, price: i64, seconds: u32, end: i64) -> LevelFlow {
        let code = side_code(side);
        let mut flow = LevelFlow::default();
        for bucket in self.recent(seconds, end) {
            flow.decrease = flow
                .decrease
                .saturating_add(bucket.decrease_at(code, price));
            flow.traded = flow.traded.saturating_add(bucket.traded_at(price));
        }
        flow
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
    /// `max(0, Σ decrease − Σ traded)` (the passive drain of SPEC 2.5).
    pub fn cancelled_side(&self, side: BookSide, seconds: u32, end: i64) -> i64 {
        let code = side_code(side);
        let mut per_price: BTreeMap<i64, LevelFlow> = BTreeMap::new();
        for bucket in self.recent(seconds, end) {
            for &(bucket_side, price, decrease) in &bucket.decreases {
                if bucket_side == code {
                    per_price.entry(price).or_default().decrease += decrease;
                }
            }
        }
        for bucket in self.recent(seconds, end) {
            for &(price, traded) in &bucket.traded {
                if let Some(flow) = per_price.get_mut(&price) {
                    flow.traded += traded;
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
    fn window_sums_buckets_per_price_then_clamps() {
        let second = auction_trader_types::NANOS_PER_SECOND;
        let mut window = FlowWindow::new(30);
        // Second 0: bid 100 decreases 60 (two rows 40 + 20), 20 traded at 100.
        let mut bucket = window.blank(0);
        bucket
            .decreases
            .extend([(0, 100, 40), (0, 100, 20), (1, 105, 7)]);
        bucket.traded.push((100, 20));
        bucket.taker_sell = 20;
        bucket.finish();
        window.push(bucket);
        // Second 1: bid 100 decreases 60 more.
        let mut bucket = window.blank(second);
        bucket.decreases.push((0, 100, 60));
        bucket.taker_buy = 4;
        bucket.finish();
        window.push(bucket);
        let flow = window.level(BookSide::Bid, 100, 10, 2 * second);
        assert_eq!(
            (flow.decrease, flow.traded, flow.cancelled()),
            (120, 20, 100)
        );
        // Only the last second: decrease 60, nothing traded.
        assert_eq!(
            window.level(BookSide::Bid, 100, 1, 2 * second).cancelled(),
            60
        );
        assert_eq!(window.taker_volume(30, 2 * second), (4, 20));
        assert_eq!(window.cancelled_side(BookSide::Bid, 30, 2 * second), 100);
        assert_eq!(window.cancelled_side(BookSide::Ask, 30, 2 * second), 7);
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
