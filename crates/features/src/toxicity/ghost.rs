//! Ghost orders, SPEC 2.5, on the one-second samples. A candidate is an increase of displayed
//! size at one (side, absolute price) inside the top 20 levels between two consecutive samples
//! that is larger than 5 × the median non-zero level size (that side, top 20, last 5 minutes).
//! It is a ghost when, within 10 s of the sample where it appeared, a sample shows the size at
//! that price back at its level before the increase (or lower), with no trade at that price
//! from the sample before it appeared to 1 s after it went, and it was not a re-quote (no
//! increase of at least 50% of it on the same side within ±5 ticks in the sample where it
//! went). A candidate's life is fixed at its birth: later updates never restart it, and a level
//! that outlived the 10 s is settled as real (pulling it later is a decrease, not a ghost).
//!
//! Forward only: displayed depth at the ghost's (side, price bucket), bucket =
//! `round(price / tick) × tick`, is multiplied by 0.15 in the samples of the next 60 s from
//! the confirmation; a (side, bucket) with ≥ 3 ghosts within 10 minutes is a repeat offender
//! whose λ is doubled for 10 minutes.

use std::collections::{BTreeMap, VecDeque};

use auction_trader_types::{BookSide, NANOS_PER_MILLI, NANOS_PER_SECOND};

use super::ToxicityConfig;
use super::ctr::FlowBucket;
use super::sample::{BookSample, LevelChange, SIDES, side_index};
use super::stats::median_raw;

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
    pub price: i64,
    /// Absolute price bucket (raw).
    pub bucket: i64,
    /// Sample at which the increase was seen.
    pub born: i64,
    /// Sample at which the size was back at (or below) its level before the increase.
    pub went: i64,
    /// When it was confirmed (the sample 1 s after it went): the penalty starts here.
    pub confirmed: i64,
    /// The increase (raw size).
    pub increase: i64,
}

#[derive(Debug, Clone, Copy)]
struct Candidate {
    side: BookSide,
    price: i64,
    born: i64,
    /// Size before the increase.
    base: i64,
    increase: i64,
    went: Option<i64>,
    traded: bool,
    /// Outlived the maximum life: real liquidity. Kept (blocking new candidates at its price)
    /// until its size is back at `base` or its price leaves the sampled window.
    settled: bool,
}

type SideBucket = (u8, i64);

/// Tracks candidates, confirms ghosts, and keeps the forward penalties.
#[derive(Debug, Clone)]
pub struct GhostTracker {
    size_multiple: f64,
    levels: usize,
    median_nanos: i64,
    min_history_nanos: i64,
    max_life_nanos: i64,
    requote_ticks: i64,
    requote_share: f64,
    penalty_nanos: i64,
    repeat_ghosts: usize,
    repeat_window_nanos: i64,
    repeat_penalty_nanos: i64,
    /// Raw size threshold per side; `None` during warm-up.
    thresholds: [Option<i64>; 2],
    /// Top-level non-zero sizes of each side per sample, for the median.
    history: [VecDeque<(i64, Vec<i64>)>; 2],
    scratch: Vec<i64>,
    candidates: Vec<Candidate>,
    /// (side, bucket) -> (start, end) of its discount.
    discounts: BTreeMap<SideBucket, (i64, i64)>,
    /// (side, bucket) -> confirmation times of its recent ghosts.
    ghost_times: BTreeMap<SideBucket, VecDeque<i64>>,
    /// (side, bucket) -> end of its doubled λ.
    offenders: BTreeMap<SideBucket, i64>,
}

impl GhostTracker {
    pub fn new(config: &ToxicityConfig) -> Self {
        let seconds = |value: u32| i64::from(value) * NANOS_PER_SECOND;
        Self {
            size_multiple: config.ghost_size_multiple,
            levels: config.levels,
            median_nanos: seconds(config.ghost_median_seconds),
            min_history_nanos: seconds(config.ghost_min_history_seconds),
            max_life_nanos: i64::from(config.ghost_max_life_ms) * NANOS_PER_MILLI,
            requote_ticks: i64::from(config.ghost_requote_ticks),
            requote_share: config.ghost_requote_share,
            penalty_nanos: seconds(config.ghost_penalty_seconds),
            repeat_ghosts: config.repeat_offender_ghosts as usize,
            repeat_window_nanos: seconds(config.repeat_window_seconds),
            repeat_penalty_nanos: seconds(config.repeat_penalty_seconds),
            thresholds: [None, None],
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
        self.thresholds[side_index(side)]
    }

    /// Candidates being watched (settled walls included).
    pub fn candidates(&self) -> usize {
        self.candidates.len()
    }

    /// A second without a usable sample: lives in progress cannot be followed.
    pub fn on_gap(&mut self) {
        self.candidates.clear();
    }

    /// One sample at `now`. `changes` are the observed size changes per side since the
    /// previous sample (empty without one), `flow` the trades of the second that just closed
    /// (`[now − 1 s, now)`). Ghosts confirmed at this sample are appended to `out`.
    pub fn on_sample(
        &mut self,
        sample: &BookSample,
        changes: &[Vec<LevelChange>; 2],
        flow: &FlowBucket,
        tick: i64,
        out: &mut Vec<Ghost>,
    ) {
        let now = sample.ts;
        // Trades of the second just closed, at a candidate's price.
        for candidate in &mut self.candidates {
            if flow.traded_at(candidate.price) {
                candidate.traded = true;
            }
        }
        let mut index = 0;
        while index < self.candidates.len() {
            let candidate = self.candidates[index];
            let keep = match candidate.went {
                // It went at an earlier sample: the trade check has covered 1 s after it went.
                Some(went) => {
                    if !candidate.traded {
                        let ghost = Ghost {
                            side: candidate.side,
                            price: candidate.price,
                            bucket: price_bucket(candidate.price, tick),
                            born: candidate.born,
                            went,
                            confirmed: now,
                            increase: candidate.increase,
                        };
                        self.register(ghost);
                        out.push(ghost);
                    }
                    false
                }
                None if candidate.settled => sample
                    .known_size(candidate.side, candidate.price)
                    .is_some_and(|size| size > candidate.base),
                None if now - candidate.born > self.max_life_nanos => {
                    // Real liquidity; it stays one wall until it is gone.
                    self.candidates[index].settled = true;
                    sample
                        .known_size(candidate.side, candidate.price)
                        .is_some_and(|size| size > candidate.base)
                }
                None => match sample.known_size(candidate.side, candidate.price) {
                    Some(size) if size <= candidate.base => {
                        if candidate.traded
                            || self.requoted(&candidate, &changes[side_index(candidate.side)], tick)
                        {
                            false
                        } else {
                            self.candidates[index].went = Some(now);
                            true
                        }
                    }
                    _ => true,
                },
            };
            if keep {
                index += 1;
            } else {
                self.candidates.swap_remove(index);
            }
        }
        // New candidates: increases above the threshold inside the top levels.
        for side in SIDES {
            let side_slot = side_index(side);
            let Some(threshold) = self.thresholds[side_slot] else {
                continue;
            };
            let levels = sample.side(side);
            let Some(&(limit, _)) = levels.get(self.levels.min(levels.len()).saturating_sub(1))
            else {
                continue;
            };
            for change in &changes[side_slot] {
                let increase = change.after - change.before;
                if increase <= threshold || super::sample::better(side, limit, change.price) {
                    continue;
                }
                if self
                    .candidates
                    .iter()
                    .any(|candidate| candidate.side == side && candidate.price == change.price)
                {
                    continue; // later updates never restart a candidate's life
                }
                self.candidates.push(Candidate {
                    side,
                    price: change.price,
                    born: now,
                    base: change.before,
                    increase,
                    went: None,
                    traded: flow.traded_at(change.price),
                    settled: false,
                });
            }
        }
        self.record_sizes(sample);
        self.discounts.retain(|_, (_, until)| *until > now);
        self.offenders.retain(|_, until| *until > now);
    }

    /// SPEC 2.5 re-quote: a comparable increase (≥ 50% of the candidate's) on the same side
    /// within ±5 ticks in the sample where the candidate went.
    fn requoted(&self, candidate: &Candidate, changes: &[LevelChange], tick: i64) -> bool {
        let reach = self.requote_ticks.saturating_mul(tick.max(0));
        changes.iter().any(|change| {
            change.price != candidate.price
                && (change.price - candidate.price).abs() <= reach
                && (change.after - change.before) as f64
                    >= self.requote_share * candidate.increase as f64
        })
    }

    /// Records the top non-zero sizes of each side and refreshes the thresholds (the median
    /// reads samples up to and including this one, used from the next sample on).
    fn record_sizes(&mut self, sample: &BookSample) {
        let now = sample.ts;
        for side in SIDES {
            let slot = side_index(side);
            let history = &mut self.history[slot];
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
                sample
                    .side(side)
                    .iter()
                    .take(self.levels)
                    .map(|&(_, size)| size)
                    .filter(|&size| size > 0),
            );
            history.push_back((now, sizes));
            let span = history.front().map_or(0, |(first, _)| now - first);
            self.thresholds[slot] = if span + NANOS_PER_SECOND >= self.min_history_nanos {
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

    fn register(&mut self, ghost: Ghost) {
        let key = (side_index(ghost.side) as u8, ghost.bucket);
        // SPEC 2.5: forward only, from confirmation for the penalty time.
        let until = ghost.confirmed + self.penalty_nanos;
        let entry = self
            .discounts
            .entry(key)
            .or_insert((ghost.confirmed, until));
        entry.1 = entry.1.max(until);
        // SPEC 2.5: repeat offenders by (side, absolute price bucket), never by level index.
        let times = self.ghost_times.entry(key).or_default();
        times.push_back(ghost.confirmed);
        while times
            .front()
            .is_some_and(|&time| ghost.confirmed - time >= self.repeat_window_nanos)
        {
            times.pop_front();
        }
        if times.len() >= self.repeat_ghosts {
            self.offenders
                .insert(key, ghost.confirmed + self.repeat_penalty_nanos);
        }
        let window = self.repeat_window_nanos;
        let now = ghost.confirmed;
        self.ghost_times
            .retain(|_, times| times.back().is_some_and(|&last| now - last < window));
    }

    /// True while (side, bucket) carries the ghost discount at `now`.
    #[inline]
    pub fn discounted(&self, side: BookSide, bucket: i64, now: i64) -> bool {
        !self.discounts.is_empty()
            && self
                .discounts
                .get(&(side_index(side) as u8, bucket))
                .is_some_and(|&(from, until)| from <= now && now < until)
    }

    /// True while (side, bucket) is a repeat offender at `now` (its λ is doubled).
    #[inline]
    pub fn offender(&self, side: BookSide, bucket: i64, now: i64) -> bool {
        !self.offenders.is_empty()
            && self
                .offenders
                .get(&(side_index(side) as u8, bucket))
                .is_some_and(|&until| now < until)
    }

    pub fn has_discounts(&self) -> bool {
        !self.discounts.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::toxicity::sample::side_changes;

    const S: i64 = NANOS_PER_SECOND;

    /// Drives a tracker with samples: bids 100..81 and asks 101..120 of size 10 (threshold
    /// 50 after warm-up), with `edit` changing the bid sizes at each second.
    struct Harness {
        tracker: GhostTracker,
        previous: Option<BookSample>,
        ghosts: Vec<Ghost>,
    }

    impl Harness {
        fn warmed() -> Self {
            let mut harness = Self {
                tracker: GhostTracker::new(&ToxicityConfig::default()),
                previous: None,
                ghosts: Vec::new(),
            };
            for second in 0..30 {
                harness.step(second, &[], &[]);
            }
            assert_eq!(harness.tracker.threshold(BookSide::Bid), Some(50));
            harness
        }

        /// Sample at `second` with bid sizes overridden by `bids` and trades at `traded`.
        fn step(&mut self, second: i64, bids: &[(i64, i64)], traded: &[i64]) {
            let mut levels: Vec<(i64, i64)> = (0..20).map(|level| (100 - level, 10)).collect();
            for &(price, size) in bids {
                match levels.iter_mut().find(|(p, _)| *p == price) {
                    Some(level) => level.1 = size,
                    None => levels.push((price, size)),
                }
            }
            levels.retain(|&(_, size)| size > 0);
            levels.sort_by_key(|level| std::cmp::Reverse(level.0));
            let sample = BookSample {
                ts: second * S,
                levels: [levels, (0..20).map(|level| (101 + level, 10)).collect()],
                full: [false, false],
            };
            let mut changes = [Vec::new(), Vec::new()];
            if let Some(previous) = &self.previous {
                for side in SIDES {
                    side_changes(previous, &sample, side, &mut changes[side_index(side)]);
                }
            }
            let mut flow = FlowBucket::default();
            for &price in traded {
                flow.on_trade(price, 1, auction_trader_types::AggressorSide::Sell);
            }
            flow.finish();
            self.tracker
                .on_sample(&sample, &changes, &flow, 1, &mut self.ghosts);
            self.previous = Some(sample);
        }
    }

    #[test]
    fn bucket_rounds_to_the_tick() {
        assert_eq!(price_bucket(104, 10), 100);
        assert_eq!(price_bucket(105, 10), 110);
        assert_eq!(price_bucket(100, 10), 100);
        assert_eq!(price_bucket(7, 0), 7);
    }

    #[test]
    fn increase_that_reverts_untraded_is_a_ghost_penalized_forward() {
        let mut harness = Harness::warmed();
        // 95 goes 10 -> 70 at 30 s (increase 60 > 50), back to 10 at 33 s, no trade.
        harness.step(30, &[(95, 70)], &[]);
        harness.step(31, &[(95, 70)], &[]);
        harness.step(32, &[(95, 70)], &[]);
        harness.step(33, &[], &[]);
        assert!(
            harness.ghosts.is_empty(),
            "waits 1 s after it went for trades"
        );
        harness.step(34, &[], &[]);
        assert_eq!(harness.ghosts.len(), 1);
        let ghost = harness.ghosts[0];
        assert_eq!(
            (
                ghost.price,
                ghost.born,
                ghost.went,
                ghost.confirmed,
                ghost.increase
            ),
            (95, 30 * S, 33 * S, 34 * S, 60)
        );
        let tracker = &harness.tracker;
        // Discount for 60 s from confirmation, never before it, only on the bid side.
        assert!(!tracker.discounted(BookSide::Bid, 95, 33 * S));
        assert!(tracker.discounted(BookSide::Bid, 95, 34 * S));
        assert!(tracker.discounted(BookSide::Bid, 95, 93 * S));
        assert!(!tracker.discounted(BookSide::Bid, 95, 94 * S));
        assert!(!tracker.discounted(BookSide::Ask, 95, 40 * S));
        assert!(!tracker.offender(BookSide::Bid, 95, 40 * S));
    }

    #[test]
    fn traded_requoted_small_or_long_lived_increases_are_not_ghosts() {
        let mut harness = Harness::warmed();
        // Traded in the second before the sample where it went.
        harness.step(30, &[(97, 80)], &[]);
        harness.step(31, &[], &[97]);
        harness.step(32, &[], &[]);
        // Traded within 1 s after it went.
        harness.step(40, &[(98, 80)], &[]);
        harness.step(41, &[], &[]);
        harness.step(42, &[], &[98]);
        // Traded in the second before it appeared.
        harness.step(50, &[(96, 80)], &[96]);
        harness.step(51, &[], &[]);
        harness.step(52, &[], &[]);
        // Re-quoted 2 ticks away with 60% of its size in the sample where it went.
        harness.step(60, &[(94, 80)], &[]);
        harness.step(61, &[(92, 10 + 42)], &[]);
        harness.step(62, &[(92, 10 + 42)], &[]);
        // An increase of 40 (not > 50) that reverts.
        harness.step(70, &[(93, 50)], &[]);
        harness.step(71, &[], &[]);
        harness.step(72, &[], &[]);
        // Lives 11 s, then pulled: real liquidity (it outlived 10 s).
        for second in 80..=91 {
            harness.step(second, &[(91, 90)], &[]);
        }
        harness.step(92, &[(91, 0)], &[]);
        harness.step(93, &[], &[]);
        assert!(harness.ghosts.is_empty(), "{:?}", harness.ghosts);
    }

    #[test]
    fn later_updates_never_restart_a_candidate() {
        let mut harness = Harness::warmed();
        // A wall of 200 appears at 30 s and keeps growing by 60 every second (each step an
        // increase above the threshold) for 20 s, then is pulled: its life started at 30 s, it
        // outlived 10 s, so it is never a ghost.
        for second in 30..50 {
            harness.step(second, &[(90, 200 + 60 * (second - 30))], &[]);
        }
        harness.step(50, &[(90, 0)], &[]);
        harness.step(51, &[], &[]);
        assert!(harness.ghosts.is_empty(), "{:?}", harness.ghosts);
    }

    #[test]
    fn three_ghosts_in_ten_minutes_make_a_repeat_offender() {
        let mut harness = Harness::warmed();
        for start in [30, 100, 200] {
            harness.step(start, &[(96, 80)], &[]);
            harness.step(start + 1, &[], &[]);
            harness.step(start + 2, &[], &[]);
        }
        assert_eq!(harness.ghosts.len(), 3);
        // Third confirmed at 202 s: λ doubled until 802 s, by (side, price), not level index.
        let tracker = &harness.tracker;
        assert!(tracker.offender(BookSide::Bid, 96, 202 * S));
        assert!(tracker.offender(BookSide::Bid, 96, 801 * S));
        assert!(!tracker.offender(BookSide::Bid, 96, 802 * S));
        assert!(!tracker.offender(BookSide::Bid, 95, 300 * S));
        assert!(!tracker.offender(BookSide::Ask, 96, 300 * S));
    }
}
