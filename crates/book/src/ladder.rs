//! One side of the book: sizes indexed by an integer key in "depth order" (the smaller the
//! key, the better the level; the book maps ask ticks to `tick` and bid ticks to `-tick`).
//!
//! Memory layout (the hot path of replay, SPEC 1.5 book reconstruction):
//! - a dense window of `window` slots covering keys `origin .. origin + window`, one `u64`
//!   raw size per tick (0 = no level). A size too large for a slot (above 1.8·10^10 units,
//!   meme-coin depth) is kept exactly in a small map keyed by its key and its slot holds a
//!   marker, so the common slot stays 8 bytes (half the cache footprint of an `i128` slot).
//!   The window is placed so the best level sits `window / 8` slots from its start, leaving
//!   room for the price to improve;
//! - a sorted side store (`BTreeMap`) for the few levels beyond the window's far end
//!   (e.g. a bid at 58710.2 when the best bid is 61800 on a 0.1 tick).
//!
//! Invariant: when the side has any level, the best level is inside the window, so every key in
//! the side store is past the window's end. Memory is therefore bounded by `window` slots plus
//! one map entry per far level, however far apart the prices are. Moving the window (when the
//! best level leaves it) costs O(window) and is rare: the best must travel `window / 8` ticks
//! up or `window / 2` ticks down first.

use std::collections::BTreeMap;

/// Default width of the dense window in ticks: 32,768 slots (256 KiB) covers ±300 USD of
/// BTCUSDT spot at a 0.01 tick, more than a 1,000-level REST snapshot spans.
pub const DEFAULT_WINDOW_TICKS: usize = 1 << 15;
/// The smallest window accepted (tests use tiny windows to exercise the side store).
pub const MIN_WINDOW_TICKS: usize = 4;

/// A level's raw size (the `Quantity` raw value): `i128`, like `Quantity`, so any size the
/// importers accept fits a level.
pub(crate) type RawSize = i128;

/// A dense slot: the raw size when it fits below [`WIDE_SLOT`], else [`WIDE_SLOT`].
type Slot = u64;
/// Marks a slot whose size is in [`Ladder::wide`].
const WIDE_SLOT: Slot = u64::MAX;

#[derive(Debug, Clone)]
pub(crate) struct Ladder {
    /// Slots of keys `origin .. origin + levels.len()`; empty until the first level.
    levels: Vec<Slot>,
    window: usize,
    origin: i64,
    /// Index of the best level in `levels`; meaningful only when `window_count > 0`.
    best: usize,
    /// Non-zero slots in `levels`.
    window_count: usize,
    /// Levels beyond the window's end, by key.
    far: BTreeMap<i64, RawSize>,
    /// Sizes of window slots marked [`WIDE_SLOT`], by key.
    wide: BTreeMap<i64, RawSize>,
}

impl Ladder {
    pub(crate) fn new(window: usize) -> Self {
        Self {
            levels: Vec::new(),
            window: window.max(MIN_WINDOW_TICKS),
            origin: 0,
            best: 0,
            window_count: 0,
            far: BTreeMap::new(),
            wide: BTreeMap::new(),
        }
    }

    /// The size a slot stands for.
    #[inline]
    fn decode(&self, key: i64, slot: Slot) -> RawSize {
        if slot == WIDE_SLOT {
            self.wide_size(key)
        } else {
            RawSize::from(slot)
        }
    }

    #[cold]
    fn wide_size(&self, key: i64) -> RawSize {
        self.wide.get(&key).copied().unwrap_or(0)
    }

    /// Writes `size` into slot `index`; returns the slot it replaced (only compared with 0).
    #[inline(always)]
    fn store(&mut self, index: usize, size: RawSize) -> Slot {
        let slot = match Slot::try_from(size) {
            Ok(slot) if slot != WIDE_SLOT => slot,
            _ => self.store_wide(index, size),
        };
        let old = std::mem::replace(&mut self.levels[index], slot);
        if old == WIDE_SLOT && slot != WIDE_SLOT {
            self.wide.remove(&self.key_of(index));
        }
        old
    }

    #[cold]
    fn store_wide(&mut self, index: usize, size: RawSize) -> Slot {
        self.wide.insert(self.key_of(index), size);
        WIDE_SLOT
    }

    /// Empties slot `index` and returns the size it held.
    #[inline]
    fn take(&mut self, index: usize) -> RawSize {
        match std::mem::take(&mut self.levels[index]) {
            WIDE_SLOT => self.wide.remove(&self.key_of(index)).unwrap_or(0),
            slot => RawSize::from(slot),
        }
    }

    /// Slots kept in front of the best level for the price to improve into.
    #[inline]
    fn margin(&self) -> i64 {
        (self.window / 8) as i64
    }

    /// Index of `key` in the window, if it falls inside it.
    #[inline]
    fn slot_of(&self, key: i64) -> Option<usize> {
        // Wrapping difference read as unsigned: negative offsets become huge and fail the test.
        // Keys of one side share a sign, so the difference never wraps around into range.
        let offset = key.wrapping_sub(self.origin) as u64;
        (offset < self.levels.len() as u64).then_some(offset as usize)
    }

    #[inline]
    fn key_of(&self, index: usize) -> i64 {
        self.origin.wrapping_add(index as i64)
    }

    pub(crate) fn len(&self) -> usize {
        self.window_count + self.far.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.window_count == 0
    }

    /// Best level as `(key, raw size)`.
    #[inline]
    pub(crate) fn best(&self) -> Option<(i64, RawSize)> {
        (self.window_count > 0).then(|| {
            let key = self.key_of(self.best);
            (key, self.decode(key, self.levels[self.best]))
        })
    }

    /// Key of the best level (no size lookup).
    #[inline]
    pub(crate) fn best_key(&self) -> Option<i64> {
        (self.window_count > 0).then(|| self.key_of(self.best))
    }

    /// Raw size at `key` (0 when there is no level).
    pub(crate) fn size_at(&self, key: i64) -> RawSize {
        match self.slot_of(key) {
            Some(index) => self.decode(key, self.levels[index]),
            None => self.far.get(&key).copied().unwrap_or(0),
        }
    }

    /// Sets the raw size at `key`; 0 removes the level. `size` must not be negative.
    /// Inlined into both sides' callers: a call per depth row cost a register save and
    /// restore as large as the update itself.
    #[inline(always)]
    pub(crate) fn set(&mut self, key: i64, size: RawSize) {
        let Some(index) = self.slot_of(key) else {
            self.set_outside_window(key, size);
            return;
        };
        let old = self.store(index, size);
        if size != 0 {
            if old == 0 {
                self.window_count += 1;
                if index < self.best || self.window_count == 1 {
                    self.best = index;
                }
            }
        } else if old != 0 {
            self.window_count -= 1;
            if index == self.best {
                self.advance_best();
            }
        }
    }

    #[cold]
    fn set_outside_window(&mut self, key: i64, size: RawSize) {
        if self.window_count == 0 || key < self.origin {
            // An empty side, or a level better than every slot of the window: by the invariant
            // no level exists there, so a removal is a no-op and an insertion is the new best.
            if size == 0 {
                return;
            }
            self.move_window(key.saturating_sub(self.margin()));
            if let Some(index) = self.slot_of(key) {
                self.store(index, size);
                self.window_count += 1;
                if index < self.best || self.window_count == 1 {
                    self.best = index;
                }
            }
            return;
        }
        // Past the window's end: the side store.
        if size == 0 {
            self.far.remove(&key);
        } else {
            self.far.insert(key, size);
        }
    }

    /// The best level was removed: find the next one.
    fn advance_best(&mut self) {
        if self.window_count > 0 {
            let start = self.best + 1;
            // Nothing precedes the old best, so the next level lies after it; a full scan is
            // the defensive fallback should that ever not hold.
            self.best = match self.levels[start..].iter().position(|&size| size != 0) {
                Some(offset) => start + offset,
                None => self.levels.iter().position(|&size| size != 0).unwrap_or(0),
            };
            if self.best > self.window / 2 {
                // The best drifted deep into the window: re-centre so depth stays dense.
                self.move_window(self.key_of(self.best).saturating_sub(self.margin()));
            }
        } else if let Some((&key, _)) = self.far.first_key_value() {
            self.move_window(key.saturating_sub(self.margin()));
        } else {
            self.best = 0;
        }
    }

    /// Places the window at `new_origin`: levels that fall outside go to the side store, side
    /// store levels that fall inside come back, and the best index is recomputed.
    fn move_window(&mut self, new_origin: i64) {
        if self.levels.is_empty() {
            self.levels = vec![0; self.window];
        }
        let window = self.levels.len();
        let shift = i128::from(new_origin) - i128::from(self.origin);
        if self.window_count > 0 {
            if shift.unsigned_abs() >= window as u128 {
                for index in 0..window {
                    let size = self.take(index);
                    if size != 0 {
                        self.far.insert(self.key_of(index), size);
                    }
                }
                self.window_count = 0;
            } else if shift > 0 {
                // Origin moves up: slots [0, shift) leave the front. They are empty by the
                // invariant (they precede the best level), but stay defensive.
                let shift = shift as usize;
                for index in 0..shift {
                    let size = self.take(index);
                    if size != 0 {
                        self.far.insert(self.key_of(index), size);
                        self.window_count -= 1;
                    }
                }
                self.levels.copy_within(shift.., 0);
                self.levels[window - shift..].fill(0);
            } else if shift < 0 {
                // Origin moves down: slots [window - shift, window) leave at the back.
                let shift = shift.unsigned_abs() as usize;
                for index in window - shift..window {
                    let size = self.take(index);
                    if size != 0 {
                        self.far.insert(self.key_of(index), size);
                        self.window_count -= 1;
                    }
                }
                self.levels.copy_within(..window - shift, shift);
                self.levels[..shift].fill(0);
            }
        } else {
            self.levels.fill(0);
            self.wide.clear();
        }
        self.origin = new_origin;
        // Bring side-store levels that now fall inside the window back into it.
        while let Some((&key, &size)) = self.far.first_key_value() {
            let Some(index) = self.slot_of(key) else {
                break;
            };
            self.far.remove(&key);
            self.store(index, size);
            self.window_count += 1;
        }
        self.best = if self.window_count > 0 {
            self.levels.iter().position(|&size| size != 0).unwrap_or(0)
        } else {
            0
        };
    }

    /// Removes every level, keeping the allocation.
    pub(crate) fn clear(&mut self) {
        if self.window_count > 0 {
            self.levels.fill(0);
        }
        self.window_count = 0;
        self.best = 0;
        self.far.clear();
        self.wide.clear();
    }

    /// Levels from the best outward as `(key, raw size)`.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (i64, RawSize)> + '_ {
        let dense = if self.window_count > 0 {
            &self.levels[self.best..]
        } else {
            &[][..]
        };
        let best = self.best;
        dense
            .iter()
            .enumerate()
            .filter(|(_, slot)| **slot != 0)
            .map(move |(offset, &slot)| {
                let key = self.key_of(best + offset);
                (key, self.decode(key, slot))
            })
            .chain(self.far.iter().map(|(&key, &size)| (key, size)))
    }

    /// Sum of raw sizes of the best `levels` levels, in `i128` so it cannot overflow.
    pub(crate) fn volume(&self, levels: usize) -> i128 {
        self.iter().take(levels).map(|(_, size)| size).sum()
    }

    /// Every level, for re-gridding (order irrelevant).
    pub(crate) fn drain_levels(&mut self) -> Vec<(i64, RawSize)> {
        let levels: Vec<(i64, RawSize)> = self.iter().collect();
        self.clear();
        levels
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(ladder: &Ladder) -> Vec<(i64, RawSize)> {
        ladder.iter().collect()
    }

    #[test]
    fn best_tracks_insertions_and_removals() {
        let mut ladder = Ladder::new(64);
        ladder.set(100, 5);
        ladder.set(103, 7);
        ladder.set(98, 1);
        assert_eq!(ladder.best(), Some((98, 1)));
        ladder.set(98, 0);
        assert_eq!(ladder.best(), Some((100, 5)));
        ladder.set(100, 0);
        assert_eq!(ladder.best(), Some((103, 7)));
        ladder.set(103, 0);
        assert_eq!(ladder.best(), None);
        assert_eq!(ladder.len(), 0);
    }

    #[test]
    fn far_levels_live_in_the_side_store_and_return_when_the_best_moves() {
        // Window of 8 slots, margin 1: inserting key 100 places the window at 99..107.
        let mut ladder = Ladder::new(8);
        ladder.set(100, 1);
        ladder.set(105, 2);
        ladder.set(1_000, 3); // far beyond the window: side store
        assert_eq!(ladder.far.len(), 1);
        assert_eq!(ladder.size_at(1_000), 3);
        assert_eq!(keys(&ladder), vec![(100, 1), (105, 2), (1_000, 3)]);
        // Removing both dense levels leaves only the far one, which becomes the best.
        ladder.set(100, 0);
        ladder.set(105, 0);
        assert_eq!(ladder.best(), Some((1_000, 3)));
        assert!(ladder.far.is_empty());
        // A much better level moves the window back; 1,000 returns to the side store.
        ladder.set(10, 4);
        assert_eq!(ladder.best(), Some((10, 4)));
        assert_eq!(keys(&ladder), vec![(10, 4), (1_000, 3)]);
        assert_eq!(ladder.len(), 2);
    }

    #[test]
    fn sizes_beyond_a_slot_stay_exact_through_window_moves() {
        let big = RawSize::from(u64::MAX); // the marker value itself: kept in the wide map
        let bigger = 10_i128.pow(22); // 10^13 units at 10^-9
        let mut ladder = Ladder::new(8);
        ladder.set(100, big);
        ladder.set(101, bigger);
        ladder.set(102, big - 1); // fits a slot
        assert_eq!(ladder.wide.len(), 2);
        assert_eq!(ladder.best(), Some((100, big)));
        assert_eq!(ladder.size_at(101), bigger);
        assert_eq!(ladder.volume(3), big + bigger + big - 1);
        // A better level moves the window down by one: slots shift, sizes follow their keys.
        ladder.set(98, 5);
        assert_eq!(
            keys(&ladder),
            vec![(98, 5), (100, big), (101, bigger), (102, big - 1)]
        );
        // Far better: every window level leaves for the side store, then returns.
        ladder.set(10, 1);
        assert!(ladder.wide.is_empty());
        assert_eq!(ladder.size_at(101), bigger);
        ladder.set(10, 0);
        assert_eq!(ladder.best(), Some((98, 5)));
        assert_eq!(ladder.wide.len(), 2);
        assert_eq!(ladder.size_at(100), big);
        // Overwriting a wide size with a small one, and removing one, drops its map entry.
        ladder.set(100, 7);
        ladder.set(101, 0);
        assert!(ladder.wide.is_empty());
        assert_eq!(keys(&ladder), vec![(98, 5), (100, 7), (102, big - 1)]);
        ladder.set(103, bigger);
        ladder.clear();
        assert!(ladder.wide.is_empty());
        assert_eq!(ladder.best(), None);
    }

    #[test]
    fn removing_an_absent_level_is_a_no_op() {
        let mut ladder = Ladder::new(8);
        ladder.set(50, 0);
        assert_eq!(ladder.best(), None);
        ladder.set(50, 2);
        ladder.set(10, 0);
        ladder.set(5_000, 0);
        assert_eq!(keys(&ladder), vec![(50, 2)]);
    }

    #[test]
    fn negative_keys_of_the_bid_side_work_like_positive_ones() {
        let mut ladder = Ladder::new(16);
        ladder.set(-618_002, 10);
        ladder.set(-618_001, 20);
        ladder.set(-587_102, 30); // 58710.2 under a best of 61800.2: far level
        assert_eq!(ladder.best(), Some((-618_002, 10)));
        assert_eq!(ladder.volume(2), 30);
        assert_eq!(ladder.volume(10), 60);
    }
}
