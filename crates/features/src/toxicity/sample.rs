//! The one-second book sample every toxicity filter reads (SPEC 2.5: "the toxicity filters
//! observe the book through the once-a-second samples, never through individual diff
//! messages"), and the comparison of two consecutive samples.
//!
//! A sample holds the best `N` levels of each side (`sample_levels`, default 50). What a sample
//! says about a price of one side:
//! - a listed price: its size;
//! - an unlisted price between the side's best and its deepest listed level (or anywhere past
//!   the best when the side has fewer than `N` levels): size 0, observed;
//! - a price past the deepest listed level of a full sample: not observed (the book there was
//!   outside the sampled window; a level that leaves it because the price moved is not a
//!   decrease, and a level that enters it is not an increase);
//! - a price on the other side of the side's best (a bid above the best bid): size 0.
//!
//! Decay-weighted depth uses a stricter notion ([`BookSample::observed_in_range`]): a bid above
//! the best bid was not part of the bid book at that moment, so it is not an observation of it
//! (no zero-filling after the mid moves).

use auction_trader_types::BookSide;

/// Side index used in arrays: bid 0, ask 1.
pub fn side_index(side: BookSide) -> usize {
    match side {
        BookSide::Bid => 0,
        BookSide::Ask => 1,
    }
}

/// The two sides in index order.
pub const SIDES: [BookSide; 2] = [BookSide::Bid, BookSide::Ask];

/// `true` when `price` is strictly better than `reference` for `side` (higher bid, lower ask).
#[inline]
pub fn better(side: BookSide, price: i64, reference: i64) -> bool {
    match side {
        BookSide::Bid => price > reference,
        BookSide::Ask => price < reference,
    }
}

/// A quantity's raw value as i64 (saturating), whatever the raw width of the fixed-point type.
#[inline]
pub fn raw_i64<T: TryInto<i64> + PartialOrd + Default>(raw: T) -> i64 {
    let negative = raw < T::default();
    raw.try_into()
        .unwrap_or(if negative { i64::MIN } else { i64::MAX })
}

/// The best levels of both sides at one second close. Prices and sizes raw, best first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BookSample {
    /// The second close (ns) at which the book was read.
    pub ts: i64,
    /// `[bids, asks]`, best first, sizes > 0.
    pub levels: [Vec<(i64, i64)>; 2],
    /// Whether each side had at least the sampled number of levels (then prices past the last
    /// listed one are unobserved).
    pub full: [bool; 2],
}

impl BookSample {
    pub fn side(&self, side: BookSide) -> &[(i64, i64)] {
        &self.levels[side_index(side)]
    }

    pub fn best(&self, side: BookSide) -> Option<i64> {
        self.side(side).first().map(|&(price, _)| price)
    }

    /// Mid price (raw, rounded toward negative infinity) when both sides exist.
    pub fn mid(&self) -> Option<i64> {
        let bid = self.best(BookSide::Bid)?;
        let ask = self.best(BookSide::Ask)?;
        Some(((i128::from(bid) + i128::from(ask)).div_euclid(2)) as i64)
    }

    /// Deepest listed price of a full side (`None`: the whole side is in view).
    fn deep_limit(&self, side: BookSide) -> Option<i64> {
        let index = side_index(side);
        if self.full[index] {
            self.levels[index].last().map(|&(price, _)| price)
        } else {
            None
        }
    }

    /// `true` when `price` lies past the deepest listed level of a full side.
    #[inline]
    fn beyond_window(&self, side: BookSide, price: i64) -> bool {
        self.deep_limit(side)
            .is_some_and(|deepest| better(side, deepest, price))
    }

    /// Binary search of `price` in one side (bids descending, asks ascending).
    #[inline]
    pub fn listed(&self, side: BookSide, price: i64) -> Option<i64> {
        let levels = self.side(side);
        let found = match side {
            BookSide::Bid => levels.binary_search_by(|probe| price.cmp(&probe.0)),
            BookSide::Ask => levels.binary_search_by(|probe| probe.0.cmp(&price)),
        };
        found.ok().map(|index| levels[index].1)
    }

    /// The size this sample shows at `price` for the comparison of consecutive samples:
    /// `None` when the price was outside the sampled window (past the deepest listed level).
    #[inline]
    pub fn known_size(&self, side: BookSide, price: i64) -> Option<i64> {
        if self.beyond_window(side, price) {
            return None;
        }
        Some(self.listed(side, price).unwrap_or(0))
    }

    /// The size at `price` if this sample observed that price as part of the side's book:
    /// between the best and the deepest listed level (inclusive). Decay-weighted depth only
    /// averages such observations (SPEC 2.5: no zero-filling).
    #[inline]
    pub fn observed_in_range(&self, side: BookSide, price: i64) -> Option<i64> {
        let best = self.best(side)?;
        if better(side, price, best) || self.beyond_window(side, price) {
            return None;
        }
        Some(self.listed(side, price).unwrap_or(0))
    }

    /// Sum of the sizes of the best `levels` levels of one side (raw, i128).
    pub fn volume(&self, side: BookSide, levels: usize) -> i128 {
        self.side(side)
            .iter()
            .take(levels)
            .map(|&(_, size)| i128::from(size))
            .sum()
    }

    /// SPEC 2.5 OBI over the best `levels` of each side; `None` when both are empty.
    pub fn imbalance(&self, levels: usize) -> Option<f64> {
        let bid = self.volume(BookSide::Bid, levels);
        let ask = self.volume(BookSide::Ask, levels);
        let total = bid + ask;
        (total > 0).then(|| (bid - ask) as f64 / total as f64)
    }
}

/// A size change of one (side, price) between two consecutive samples, raw units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LevelChange {
    pub price: i64,
    /// Size before (in the earlier sample).
    pub before: i64,
    /// Size after (in the later sample).
    pub after: i64,
}

/// The observed changes of one side between `earlier` and `later`: every price listed in
/// either sample whose size is known in both and differs. Appended to `out` in the order of
/// the side (best first in the merged walk is not guaranteed; callers sort if they need to).
pub fn side_changes(
    earlier: &BookSample,
    later: &BookSample,
    side: BookSide,
    out: &mut Vec<LevelChange>,
) {
    let old = earlier.side(side);
    let new = later.side(side);
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        // Merge walk from the best price outward.
        let take_old = match (old.get(i), new.get(j)) {
            (Some(&(p_old, _)), Some(&(p_new, _))) => {
                if p_old == p_new {
                    let (price, before) = old[i];
                    let after = new[j].1;
                    if before != after {
                        out.push(LevelChange {
                            price,
                            before,
                            after,
                        });
                    }
                    i += 1;
                    j += 1;
                    continue;
                }
                better(side, p_old, p_new)
            }
            (Some(_), None) => true,
            (None, _) => false,
        };
        if take_old {
            let (price, before) = old[i];
            i += 1;
            // Gone from the later sample: a change only when the later sample still sees it.
            if let Some(after) = later.known_size(side, price) {
                out.push(LevelChange {
                    price,
                    before,
                    after,
                });
            }
        } else {
            let (price, after) = new[j];
            j += 1;
            if let Some(before) = earlier.known_size(side, price) {
                out.push(LevelChange {
                    price,
                    before,
                    after,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(ts: i64, bids: &[(i64, i64)], asks: &[(i64, i64)], full: [bool; 2]) -> BookSample {
        BookSample {
            ts,
            levels: [bids.to_vec(), asks.to_vec()],
            full,
        }
    }

    #[test]
    fn known_and_observed_sizes() {
        // Full 3-level bid sample 100, 98, 97: 99 is a gap (0), 96 is outside the window,
        // 101 is above the best (0 for comparisons, not observed for decay depth).
        let s = sample(0, &[(100, 5), (98, 2), (97, 1)], &[(101, 4)], [true, false]);
        assert_eq!(s.known_size(BookSide::Bid, 98), Some(2));
        assert_eq!(s.known_size(BookSide::Bid, 99), Some(0));
        assert_eq!(s.known_size(BookSide::Bid, 96), None);
        assert_eq!(s.known_size(BookSide::Bid, 101), Some(0));
        assert_eq!(s.observed_in_range(BookSide::Bid, 101), None);
        assert_eq!(s.observed_in_range(BookSide::Bid, 99), Some(0));
        assert_eq!(s.observed_in_range(BookSide::Bid, 96), None);
        // The ask side is not full: every price past its best is in view.
        assert_eq!(s.known_size(BookSide::Ask, 150), Some(0));
        assert_eq!(s.mid(), Some(100));
        // (5 + 2 + 1 − 4) / 12
        assert!((s.imbalance(20).unwrap() - 4.0 / 12.0).abs() < 1e-12);
    }

    #[test]
    fn level_leaving_the_window_is_not_a_change() {
        // The bid side moves up one level: 97 drops out of the full 3-level window (unknown
        // afterwards), 101 enters at the top (known 0 before: it was above the best).
        let earlier = sample(0, &[(100, 5), (99, 2), (97, 1)], &[], [true, false]);
        let later = sample(1, &[(101, 3), (100, 4), (99, 2)], &[], [true, false]);
        let mut changes = Vec::new();
        side_changes(&earlier, &later, BookSide::Bid, &mut changes);
        changes.sort();
        assert_eq!(
            changes,
            vec![
                LevelChange {
                    price: 100,
                    before: 5,
                    after: 4
                },
                LevelChange {
                    price: 101,
                    before: 0,
                    after: 3
                },
            ]
        );
        // Moving down: the best 100 is gone (known 0: a decrease), 96 enters from outside
        // the earlier window (not an increase).
        let later = sample(1, &[(99, 2), (97, 1), (96, 8)], &[], [true, false]);
        changes.clear();
        side_changes(&earlier, &later, BookSide::Bid, &mut changes);
        assert_eq!(
            changes,
            vec![LevelChange {
                price: 100,
                before: 5,
                after: 0
            }]
        );
    }

    #[test]
    fn raw_i64_saturates() {
        assert_eq!(raw_i64(5i64), 5);
        assert_eq!(raw_i64(i128::MAX), i64::MAX);
        assert_eq!(raw_i64(i128::MIN), i64::MIN);
    }
}
