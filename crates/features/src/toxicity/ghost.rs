//! Ghost orders, SPEC 2.5: a resting size above `5 ×` the median non-zero level size (top 20
//! levels of that side, last 5 minutes) that lives less than 10 s and vanishes with no trade at
//! its price. Forward only: depth sampled at the ghost's absolute price bucket
//! (`round(price / tick) × tick`) is multiplied by 0.15 for the next 60 s; a bucket with >= 3
//! ghosts in 10 minutes is a repeat offender whose λ is doubled for 10 minutes.

use std::collections::{BTreeMap, VecDeque};

use auction_trader_types::{BookSide, NANOS_PER_MILLI, NANOS_PER_SECOND};

use super::ToxicityConfig;
use super::stats::median_raw;

/// After a candidate vanishes, trades at its price are still awaited this long before it is
/// called a ghost: the trade and depth streams are separate feeds and a fill can be received
/// after the depth update that shows the level shrinking.
pub const TRADE_GRACE_NANOS: i64 = NANOS_PER_SECOND;

/// `round(price / tick) × tick` (half away from zero), raw units; the price itself without a tick.
pub fn price_bucket(price: i64, tick: i64) -> i64 {
    if tick <= 0 {
        return price;
    }
    let ticks = (i128::from(price) + i128::from(tick) / 2).div_euclid(i128::from(tick));
    i64::try_from(ticks * i128::from(tick)).unwrap_or(price)
}

/// A confirmed ghost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ghost {
    pub side: BookSide,
    /// Absolute price bucket (raw).
    pub bucket: i64,
    pub born: i64,
    pub vanished: i64,
    /// When it was confirmed (vanished + trade grace): the penalty starts here.
    pub confirmed: i64,
    pub peak_size: i64,
}

#[derive(Debug, Clone, Copy)]
struct Candidate {
    side: BookSide,
    price: i64,
    born: i64,
    threshold: i64,
    peak_size: i64,
    vanished: Option<i64>,
    traded: bool,
}

/// Tracks large levels, confirms ghosts, and keeps the forward penalties.
#[derive(Debug, Clone)]
pub struct GhostTracker {
    size_multiple: f64,
    median_nanos: i64,
    min_history_nanos: i64,
    max_life_nanos: i64,
    penalty_nanos: i64,
    repeat_ghosts: usize,
    repeat_window_nanos: i64,
    repeat_penalty_nanos: i64,
    /// Raw size threshold per side (bid, ask); `None` during warm-up.
    thresholds: [Option<i64>; 2],
    /// Worst price of the top levels at the last sample per side: candidates must lie inside.
    limits: [Option<i64>; 2],
    history: [VecDeque<(i64, Vec<i64>)>; 2],
    scratch: Vec<i64>,
    candidates: Vec<Candidate>,
    /// Bucket -> (start, end) of its 0.15 discount.
    discounts: BTreeMap<i64, (i64, i64)>,
    /// Bucket -> confirmation times of its recent ghosts.
    ghost_times: BTreeMap<i64, VecDeque<i64>>,
    /// Bucket -> end of its doubled λ.
    offenders: BTreeMap<i64, i64>,
}

fn index(side: BookSide) -> usize {
    match side {
        BookSide::Bid => 0,
        BookSide::Ask => 1,
    }
}

impl GhostTracker {
    pub fn new(config: &ToxicityConfig) -> Self {
        let seconds = |value: u32| i64::from(value) * NANOS_PER_SECOND;
        Self {
            size_multiple: config.ghost_size_multiple,
            median_nanos: seconds(config.ghost_median_seconds),
            min_history_nanos: seconds(config.ghost_min_history_seconds),
            max_life_nanos: i64::from(config.ghost_max_life_ms) * NANOS_PER_MILLI,
            penalty_nanos: seconds(config.ghost_penalty_seconds),
            repeat_ghosts: config.repeat_offender_ghosts as usize,
            repeat_window_nanos: seconds(config.repeat_window_seconds),
            repeat_penalty_nanos: seconds(config.repeat_penalty_seconds),
            thresholds: [None, None],
            limits: [None, None],
            history: [VecDeque::new(), VecDeque::new()],
            scratch: Vec::new(),
            candidates: Vec::new(),
            discounts: BTreeMap::new(),
            ghost_times: BTreeMap::new(),
            offenders: BTreeMap::new(),
        }
    }

    /// Current raw size threshold of one side (`None` during warm-up).
    pub fn threshold(&self, side: BookSide) -> Option<i64> {
        self.thresholds[index(side)]
    }

    /// A level's new absolute size (hot path: one comparison when nothing is tracked).
    #[inline]
    pub fn on_level(&mut self, side: BookSide, price: i64, size: i64, ts: i64) {
        if !self.candidates.is_empty()
            && let Some(candidate) = self.candidates.iter_mut().find(|candidate| {
                candidate.vanished.is_none() && candidate.side == side && candidate.price == price
            })
        {
            if size <= candidate.threshold {
                candidate.vanished = Some(ts);
            } else {
                candidate.peak_size = candidate.peak_size.max(size);
            }
            return;
        }
        let Some(threshold) = self.thresholds[index(side)] else {
            return;
        };
        if size <= threshold {
            return;
        }
        let inside = match (side, self.limits[index(side)]) {
            (BookSide::Bid, Some(limit)) => price >= limit,
            (BookSide::Ask, Some(limit)) => price <= limit,
            (_, None) => false,
        };
        if inside {
            self.candidates.push(Candidate {
                side,
                price,
                born: ts,
                threshold,
                peak_size: size,
                vanished: None,
                traded: false,
            });
        }
    }

    /// A trade at `price` clears every tracked order there (it was real liquidity).
    #[inline]
    pub fn on_trade(&mut self, price: i64) {
        for candidate in &mut self.candidates {
            if candidate.price == price {
                candidate.traded = true;
            }
        }
    }

    /// The book was rebuilt: lives in progress are unknown.
    pub fn on_reset(&mut self) {
        self.candidates.clear();
    }

    /// Once a second: records the top non-zero level sizes of each side (best first; the last
    /// price bounds where candidates are watched) and refreshes the thresholds.
    pub fn on_sample(&mut self, now: i64, bids: &[(i64, i64)], asks: &[(i64, i64)]) {
        for (side, levels) in [(0usize, bids), (1, asks)] {
            let history = &mut self.history[side];
            let mut recycled = None;
            while history
                .front()
                .is_some_and(|(ts, _)| now - ts >= self.median_nanos)
            {
                recycled = history.pop_front().map(|(_, sizes)| sizes);
            }
            let mut sizes = recycled.unwrap_or_default();
            sizes.clear();
            sizes.extend(
                levels
                    .iter()
                    .map(|&(_, size)| size)
                    .filter(|&size| size > 0),
            );
            history.push_back((now, sizes));
            self.limits[side] = levels.last().map(|&(price, _)| price);
            let span = history.front().map_or(0, |(first, _)| now - first);
            self.thresholds[side] = if span + NANOS_PER_SECOND >= self.min_history_nanos {
                self.scratch.clear();
                for (_, sizes) in history.iter() {
                    self.scratch.extend_from_slice(sizes);
                }
                median_raw(&mut self.scratch)
                    .map(|median| (median * self.size_multiple).round() as i64)
            } else {
                None
            };
        }
    }

    /// Once a second at `now`: drops candidates that lived >= the max life (real liquidity) and
    /// confirms vanished ones whose grace passed without a trade. Confirmed ghosts start their
    /// penalties and are appended to `out`.
    pub fn confirm(&mut self, now: i64, tick: i64, out: &mut Vec<Ghost>) {
        let max_life = self.max_life_nanos;
        let mut index = 0;
        while index < self.candidates.len() {
            let candidate = self.candidates[index];
            let decided = match candidate.vanished {
                None => now - candidate.born >= max_life,
                Some(vanished) if vanished - candidate.born >= max_life || candidate.traded => true,
                Some(vanished) if vanished + TRADE_GRACE_NANOS <= now => {
                    let ghost = Ghost {
                        side: candidate.side,
                        bucket: price_bucket(candidate.price, tick),
                        born: candidate.born,
                        vanished,
                        confirmed: vanished + TRADE_GRACE_NANOS,
                        peak_size: candidate.peak_size,
                    };
                    self.register(ghost);
                    out.push(ghost);
                    true
                }
                Some(_) => false,
            };
            if decided {
                self.candidates.swap_remove(index);
            } else {
                index += 1;
            }
        }
        self.discounts.retain(|_, (_, until)| *until > now);
        self.offenders.retain(|_, until| *until > now);
    }

    fn register(&mut self, ghost: Ghost) {
        // SPEC 2.5: forward only, from confirmation for the penalty time.
        let until = ghost.confirmed + self.penalty_nanos;
        let entry = self
            .discounts
            .entry(ghost.bucket)
            .or_insert((ghost.confirmed, until));
        entry.1 = entry.1.max(until);
        // SPEC 2.5: repeat offenders by absolute price bucket, never by level index.
        let times = self.ghost_times.entry(ghost.bucket).or_default();
        times.push_back(ghost.confirmed);
        while times
            .front()
            .is_some_and(|&time| ghost.confirmed - time >= self.repeat_window_nanos)
        {
            times.pop_front();
        }
        if times.len() >= self.repeat_ghosts {
            self.offenders
                .insert(ghost.bucket, ghost.confirmed + self.repeat_penalty_nanos);
        }
        let window = self.repeat_window_nanos;
        let now = ghost.confirmed;
        self.ghost_times
            .retain(|_, times| times.back().is_some_and(|&last| now - last < window));
    }

    /// True while `bucket` carries the ghost discount at `now`.
    pub fn discounted(&self, bucket: i64, now: i64) -> bool {
        self.discounts
            .get(&bucket)
            .is_some_and(|&(from, until)| from <= now && now < until)
    }

    /// True while `bucket` is a repeat offender at `now` (its λ is doubled).
    pub fn offender(&self, bucket: i64, now: i64) -> bool {
        self.offenders
            .get(&bucket)
            .is_some_and(|&until| now < until)
    }

    pub fn has_discounts(&self) -> bool {
        !self.discounts.is_empty()
    }

    pub fn has_offenders(&self) -> bool {
        !self.offenders.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = NANOS_PER_SECOND;

    /// A tracker warmed with top levels of size 10 on both sides (threshold 50), bids from 100
    /// down to 81 and asks from 101 up to 120 (raw units, tick 1).
    fn warmed() -> GhostTracker {
        let mut tracker = GhostTracker::new(&ToxicityConfig::default());
        let bids: Vec<(i64, i64)> = (0..20).map(|level| (100 - level, 10)).collect();
        let asks: Vec<(i64, i64)> = (0..20).map(|level| (101 + level, 10)).collect();
        for second in 0..30 {
            tracker.on_sample(second * S, &bids, &asks);
        }
        tracker
    }

    #[test]
    fn bucket_rounds_to_the_tick() {
        assert_eq!(price_bucket(104, 10), 100);
        assert_eq!(price_bucket(105, 10), 110);
        assert_eq!(price_bucket(100, 10), 100);
        assert_eq!(price_bucket(7, 0), 7);
    }

    #[test]
    fn threshold_is_five_times_the_median_after_warm_up() {
        let mut tracker = GhostTracker::new(&ToxicityConfig::default());
        let levels = [(100, 10), (99, 30), (98, 20)];
        tracker.on_sample(0, &levels, &levels);
        assert_eq!(tracker.threshold(BookSide::Bid), None);
        let tracker = warmed();
        // median of 10s = 10 -> 50
        assert_eq!(tracker.threshold(BookSide::Bid), Some(50));
    }

    #[test]
    fn big_short_untraded_level_is_a_ghost_and_penalizes_forward() {
        let mut tracker = warmed();
        let mut ghosts = Vec::new();
        // 60 > 50 appears at 95 at t = 30 s, pulled at 33 s, no trade.
        tracker.on_level(BookSide::Bid, 95, 60, 30 * S);
        tracker.on_level(BookSide::Bid, 95, 10, 33 * S);
        tracker.confirm(33 * S + S / 2, 1, &mut ghosts);
        assert!(ghosts.is_empty(), "still within the trade grace");
        tracker.confirm(34 * S, 1, &mut ghosts);
        assert_eq!(ghosts.len(), 1);
        assert_eq!((ghosts[0].bucket, ghosts[0].confirmed), (95, 34 * S));
        // Discount for 60 s from confirmation, never before it.
        assert!(!tracker.discounted(95, 33 * S));
        assert!(tracker.discounted(95, 34 * S));
        assert!(tracker.discounted(95, 93 * S));
        assert!(!tracker.discounted(95, 94 * S));
        assert!(!tracker.offender(95, 40 * S));
    }

    #[test]
    fn traded_or_long_lived_levels_are_not_ghosts() {
        let mut tracker = warmed();
        let mut ghosts = Vec::new();
        // Eaten by trades.
        tracker.on_level(BookSide::Ask, 103, 80, 30 * S);
        tracker.on_trade(103);
        tracker.on_level(BookSide::Ask, 103, 0, 31 * S);
        // Lived 12 s.
        tracker.on_level(BookSide::Bid, 97, 80, 30 * S);
        tracker.confirm(35 * S, 1, &mut ghosts);
        tracker.on_level(BookSide::Bid, 97, 0, 42 * S);
        tracker.confirm(44 * S, 1, &mut ghosts);
        // Outside the top-20 range (bids stop at 81).
        tracker.on_level(BookSide::Bid, 70, 80, 45 * S);
        tracker.on_level(BookSide::Bid, 70, 0, 46 * S);
        // Trade received after the vanish but within the grace.
        tracker.on_level(BookSide::Bid, 99, 80, 50 * S);
        tracker.on_level(BookSide::Bid, 99, 10, 51 * S);
        tracker.on_trade(99);
        tracker.confirm(53 * S, 1, &mut ghosts);
        assert!(ghosts.is_empty(), "{ghosts:?}");
    }

    #[test]
    fn three_ghosts_in_ten_minutes_make_a_repeat_offender() {
        let mut tracker = warmed();
        let mut ghosts = Vec::new();
        for start in [30, 100, 200] {
            tracker.on_level(BookSide::Bid, 96, 70, start * S);
            tracker.on_level(BookSide::Bid, 96, 0, (start + 2) * S);
            tracker.confirm((start + 5) * S, 1, &mut ghosts);
        }
        assert_eq!(ghosts.len(), 3);
        // Third confirmed at 203 s: λ doubled until 803 s, by price, not level index.
        assert!(tracker.offender(96, 203 * S));
        assert!(tracker.offender(96, 802 * S));
        assert!(!tracker.offender(96, 803 * S));
        assert!(!tracker.offender(95, 300 * S));
    }
}
