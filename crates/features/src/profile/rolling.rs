//! The rolling volume profile of SPEC 2.2: a histogram of the volume traded in the last
//! `window` minutes, recomputed at every minute close.
//!
//! - Bin width = alpha_bin × sigma_240 × close, rounded to whole ticks, at least one tick.
//! - The window's trades are kept (consecutive fills at one price within a minute merged), so
//!   the histogram can be rebuilt from them when the required width moves more than the
//!   rebuild threshold (25%) from the histogram's width; otherwise the width is kept and the
//!   closing minute is added and the expiring minute subtracted (exact integer volumes).
//! - Trades reach the histogram at the minute close, in one batch per minute: per-trade work
//!   is O(1) (append or merge), per-minute work is O(trades of the two minutes + bins).

use std::collections::VecDeque;

use auction_trader_types::{Price, Quantity};
use serde::Serialize;

use crate::config::{FeatureConfig, ValueAreaExpansion};
use crate::profile::compute::bin_edge;
use crate::profile::histogram::{DenseBins, MAX_PROFILE_BINS};
use crate::profile::value_area::{analyze, centre_doubled};

/// The profile's key levels at one minute close (what the snapshot and the strategies use).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ProfileLevels {
    /// SPEC 2.2: at least `min_profile_bins` bins from the lowest to the highest traded
    /// price, and the full window warm-up has passed.
    pub valid: bool,
    /// Lower edge of the POC bin (the bin's label, as in SPEC 11.1).
    pub poc: Option<Price>,
    /// Centre of the POC bin.
    pub poc_mid: Option<Price>,
    pub val: Option<Price>,
    pub vah: Option<Price>,
    /// The histogram's bin width.
    pub bin_width: Option<Price>,
    /// The width SPEC 2.2 asks for at this close (differs from `bin_width` by at most the
    /// rebuild threshold).
    pub required_bin_width: Option<Price>,
    pub bins_spanned: u32,
    /// Window volume (raw units).
    pub volume: Quantity,
    pub value_area_volume: Quantity,
    /// The histogram was rebuilt from raw trades at this close.
    pub rebuilt: bool,
}

impl ProfileLevels {
    /// SPEC 2.2: VAL <= price <= VAH; false without a profile.
    pub fn is_inside_value(&self, price: Price) -> bool {
        matches!((self.val, self.vah), (Some(val), Some(vah)) if val <= price && price <= vah)
    }

    /// Strictly below VAL (SPEC 3.1: touching does not count); false without a profile.
    pub fn is_below_value(&self, price: Price) -> bool {
        self.val.is_some_and(|val| price < val)
    }

    /// Strictly above VAH; false without a profile.
    pub fn is_above_value(&self, price: Price) -> bool {
        self.vah.is_some_and(|vah| price > vah)
    }
}

/// A read-only view of the current histogram (for the dashboard).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistogramView<'a> {
    pub bin_width: Price,
    /// Bin index of `bins[0]`; bin k covers [k × bin_width, (k+1) × bin_width).
    pub first_bin: i64,
    /// Raw volumes from the lowest to the highest traded bin.
    pub bins: &'a [i128],
}

#[derive(Debug, Clone, Copy)]
struct TickVolume {
    tick: i64,
    volume: i128,
}

/// Trades of one minute: how many entries, and their tick range.
#[derive(Debug, Clone, Copy, Default)]
struct MinuteSpan {
    entries: u32,
    low_tick: i64,
    high_tick: i64,
}

/// Counters of the rolling profile.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ProfileCounters {
    pub rebuilds: u64,
    /// Closes where the bins had to be widened beyond the SPEC width to stay within
    /// [`MAX_PROFILE_BINS`] (only on absurd price ranges).
    pub guard_widenings: u64,
}

#[derive(Debug, Clone)]
pub struct RollingProfile {
    window_minutes: usize,
    tick_raw: i64,
    alpha_bin: f64,
    rebuild_threshold: f64,
    fraction_ppm: i64,
    expansion: ValueAreaExpansion,
    min_bins: u32,
    entries: VecDeque<TickVolume>,
    minutes: VecDeque<MinuteSpan>,
    current: MinuteSpan,
    /// Histogram width in ticks; 0 before the first close.
    width_ticks: i64,
    bins: DenseBins,
    /// Traded span of the histogram at the last close (indices into `bins.counts()`).
    span: Option<(usize, usize)>,
    previous_poc_doubled: Option<i128>,
    pub counters: ProfileCounters,
}

impl RollingProfile {
    pub fn new(config: &FeatureConfig, tick_size: Price) -> Self {
        let window_minutes = config.profile_window_minutes as usize;
        Self {
            window_minutes,
            tick_raw: tick_size.raw().max(1),
            alpha_bin: config.alpha_bin,
            rebuild_threshold: config.rebuild_threshold,
            fraction_ppm: config.value_area_ppm(),
            expansion: config.value_area_expansion,
            min_bins: config.min_profile_bins,
            entries: VecDeque::new(),
            minutes: VecDeque::with_capacity(window_minutes + 1),
            current: MinuteSpan::default(),
            width_ticks: 0,
            bins: DenseBins::new(),
            span: None,
            previous_poc_doubled: None,
            counters: ProfileCounters::default(),
        }
    }

    /// Records one fill of the open minute (O(1): appended, or merged into the previous
    /// entry when it is at the same price).
    #[inline]
    pub fn add_trade(&mut self, price: Price, size: Quantity) {
        let tick = price.raw().div_euclid(self.tick_raw);
        let volume = size.raw();
        if self.current.entries > 0 {
            if let Some(last) = self.entries.back_mut()
                && last.tick == tick
            {
                last.volume = last.volume.saturating_add(volume);
                return;
            }
            self.current.low_tick = self.current.low_tick.min(tick);
            self.current.high_tick = self.current.high_tick.max(tick);
        } else {
            self.current.low_tick = tick;
            self.current.high_tick = tick;
        }
        self.current.entries += 1;
        self.entries.push_back(TickVolume { tick, volume });
    }

    /// SPEC 2.2: alpha_bin × sigma × price in whole ticks, at least one.
    fn required_width_ticks(&self, sigma: f64, close: Price) -> i64 {
        let ticks = self.alpha_bin * sigma * close.raw() as f64 / self.tick_raw as f64;
        if ticks.is_finite() && ticks >= 1.0 {
            ticks.round().min((i64::MAX / 4) as f64) as i64
        } else {
            1
        }
    }

    /// Closes the open minute: expires the oldest minute beyond the window, applies the
    /// width rule, and computes POC / value area. `sigma` is sigma_240 at this close (None
    /// before two returns exist), `close` the bar's close, `warmed_up` whether the full
    /// window of bars has been seen.
    pub fn close_minute(
        &mut self,
        sigma: Option<f64>,
        close: Price,
        warmed_up: bool,
    ) -> ProfileLevels {
        let closing = std::mem::take(&mut self.current);
        self.minutes.push_back(closing);
        let expired = if self.minutes.len() > self.window_minutes {
            self.minutes.pop_front()
        } else {
            None
        };

        let required = match (sigma, self.width_ticks) {
            (Some(sigma), _) => self.required_width_ticks(sigma, close),
            (None, 0) => 1,
            (None, width) => width,
        };
        let range = self.window_tick_range();
        let fitted = range.map_or(required, |range| widen_to_fit(required, range));
        if fitted != required {
            self.counters.guard_widenings += 1;
        }
        let current_fits = range
            .is_none_or(|range| widen_to_fit(self.width_ticks.max(1), range) == self.width_ticks);
        // SPEC 2.2: rebuild when the required width differs by MORE than the threshold.
        let rebuild = self.width_ticks == 0
            || !current_fits
            || (fitted - self.width_ticks).abs() as f64
                > self.rebuild_threshold * self.width_ticks as f64;

        let expired_entries = expired.map_or(0, |span| span.entries as usize);
        if rebuild {
            self.entries.drain(..expired_entries);
            self.width_ticks = fitted;
            self.counters.rebuilds += 1;
            self.rebuild_histogram(range);
        } else {
            let width = self.width_ticks;
            for entry in self.entries.drain(..expired_entries) {
                self.bins.add(entry.tick.div_euclid(width), -entry.volume);
            }
            if closing.entries > 0 {
                self.bins.ensure(
                    closing.low_tick.div_euclid(width),
                    closing.high_tick.div_euclid(width),
                );
                let first_new = self.entries.len() - closing.entries as usize;
                for entry in self.entries.range(first_new..) {
                    self.bins.add(entry.tick.div_euclid(width), entry.volume);
                }
            }
        }
        self.levels(required, rebuild, warmed_up)
    }

    fn rebuild_histogram(&mut self, range: Option<(i64, i64)>) {
        let width = self.width_ticks;
        let Some((low, high)) = range else {
            self.bins.reset(0, 0);
            return;
        };
        self.bins
            .reset(low.div_euclid(width), high.div_euclid(width));
        for entry in &self.entries {
            self.bins.add(entry.tick.div_euclid(width), entry.volume);
        }
    }

    /// Lowest and highest traded tick of the window.
    fn window_tick_range(&self) -> Option<(i64, i64)> {
        self.minutes
            .iter()
            .filter(|span| span.entries > 0)
            .fold(None, |range, span| {
                Some(range.map_or(
                    (span.low_tick, span.high_tick),
                    |(low, high): (i64, i64)| (low.min(span.low_tick), high.max(span.high_tick)),
                ))
            })
    }

    fn levels(&mut self, required_ticks: i64, rebuilt: bool, warmed_up: bool) -> ProfileLevels {
        let width_raw = self.width_ticks.saturating_mul(self.tick_raw);
        let mut levels = ProfileLevels {
            bin_width: Some(Price::from_raw(width_raw)),
            required_bin_width: Some(Price::from_raw(
                required_ticks.saturating_mul(self.tick_raw),
            )),
            rebuilt,
            ..ProfileLevels::default()
        };
        self.span = self.bins.traded_span();
        let Some((low, high)) = self.span else {
            return levels;
        };
        self.bins.compact(low, high);
        self.span = self.bins.traded_span();
        let Some((low, high)) = self.span else {
            return levels;
        };
        let first_bin = self.bins.origin() + low as i64;
        let slice = &self.bins.counts()[low..=high];
        let Some(bounds) = analyze(
            slice,
            first_bin,
            width_raw,
            self.previous_poc_doubled,
            self.fraction_ppm,
            self.expansion,
        ) else {
            return levels;
        };
        let poc_bin = first_bin + bounds.poc as i64;
        let poc_doubled = centre_doubled(poc_bin, width_raw);
        self.previous_poc_doubled = Some(poc_doubled);
        levels.bins_spanned = u32::try_from(slice.len()).unwrap_or(u32::MAX);
        levels.valid = warmed_up && levels.bins_spanned >= self.min_bins;
        levels.poc = Some(bin_edge(poc_bin, width_raw));
        levels.poc_mid = Some(Price::from_raw((poc_doubled / 2) as i64));
        levels.val = Some(bin_edge(first_bin + bounds.low as i64, width_raw));
        levels.vah = Some(bin_edge(first_bin + bounds.high as i64 + 1, width_raw));
        levels.volume = saturate(bounds.total_volume);
        levels.value_area_volume = saturate(bounds.value_area_volume);
        levels
    }

    /// The histogram at the last close, from the lowest to the highest traded bin.
    pub fn histogram(&self) -> Option<HistogramView<'_>> {
        let (low, high) = self.span?;
        Some(HistogramView {
            bin_width: Price::from_raw(self.width_ticks.saturating_mul(self.tick_raw)),
            first_bin: self.bins.origin() + low as i64,
            bins: self.bins.counts().get(low..=high)?,
        })
    }

    /// Entries (merged fills) kept for the window, for memory reporting.
    pub fn stored_entries(&self) -> usize {
        self.entries.len()
    }
}

/// Smallest width >= `width` whose histogram over `range` stays within [`MAX_PROFILE_BINS`].
fn widen_to_fit(width: i64, (low, high): (i64, i64)) -> i64 {
    let span = i128::from(high) - i128::from(low) + 1;
    // Bins touched <= span / width + 2.
    let limit = i128::from(MAX_PROFILE_BINS as i64 - 2);
    let width = i128::from(width.max(1));
    if span / width <= limit {
        return width as i64;
    }
    let needed = (span + limit - 1) / limit;
    needed.min(i128::from(i64::MAX / 4)) as i64
}

fn saturate(volume: i128) -> Quantity {
    Quantity::from_raw(volume.max(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::compute::{ProfileOptions, compute_profile_with};

    fn config(window: u32, min_bins: u32) -> FeatureConfig {
        FeatureConfig {
            profile_window_minutes: window,
            min_profile_bins: min_bins,
            ..FeatureConfig::default()
        }
    }

    fn units(value: i64) -> Quantity {
        Quantity::from_units(value).unwrap()
    }

    fn price(value: i64) -> Price {
        Price::from_units(value).unwrap()
    }

    #[test]
    fn spec_11_1_through_the_rolling_profile() {
        // Tick 1, sigma chosen so the width is exactly 1 tick: 0.25 × σ × 100 = 1 -> σ = 0.04.
        let mut profile = RollingProfile::new(&config(3, 7), price(1));
        for (level, volume) in [
            (100, 5),
            (101, 10),
            (102, 30),
            (103, 20),
            (104, 20),
            (105, 5),
            (106, 10),
        ] {
            profile.add_trade(price(level), units(volume));
        }
        let levels = profile.close_minute(Some(0.04), price(100), true);
        assert_eq!(levels.bin_width, Some(price(1)));
        assert_eq!(
            (levels.poc, levels.val, levels.vah),
            (Some(price(102)), Some(price(102)), Some(price(105)))
        );
        assert_eq!(levels.bins_spanned, 7);
        assert!(levels.valid); // 7 bins >= min 7 and warmed up
        assert_eq!(levels.volume, units(100));
        assert_eq!(levels.value_area_volume, units(70));
        assert!(levels.rebuilt); // first close lays the histogram out
    }

    #[test]
    fn validity_needs_min_bins_and_warm_up() {
        let mut profile = RollingProfile::new(&config(3, 8), price(1));
        for level in 100..107 {
            profile.add_trade(price(level), units(1));
        }
        // 7 bins < 8 -> invalid even when warmed up.
        assert!(!profile.close_minute(Some(0.04), price(100), true).valid);
        profile.add_trade(price(107), units(1));
        // 8 bins now, but not warmed up -> invalid.
        assert!(!profile.close_minute(Some(0.04), price(100), false).valid);
        profile.add_trade(price(107), units(1));
        assert!(profile.close_minute(Some(0.04), price(100), true).valid);
    }

    #[test]
    fn minutes_expire_after_the_window() {
        // Window 2 minutes, width 1 (σ = 0.04 at close 100). Minute 1: 10 @ 100. Minute 2:
        // 1 @ 105. Minute 3: 2 @ 103. At the close of minute 3 the window holds minutes 2-3:
        // volume 3, POC 103 (2).
        let mut profile = RollingProfile::new(&config(2, 1), price(1));
        profile.add_trade(price(100), units(10));
        profile.close_minute(Some(0.04), price(100), true);
        profile.add_trade(price(105), units(1));
        let second = profile.close_minute(Some(0.04), price(100), true);
        assert_eq!((second.poc, second.volume), (Some(price(100)), units(11)));
        profile.add_trade(price(103), units(2));
        let third = profile.close_minute(Some(0.04), price(100), true);
        assert!(!third.rebuilt);
        assert_eq!((third.poc, third.volume), (Some(price(103)), units(3)));
        // Histogram view: bins 103..=105 -> [2, 0, 1].
        let view = profile.histogram().unwrap();
        assert_eq!(view.first_bin, 103);
        let unit = Quantity::ONE.raw();
        assert_eq!(view.bins, &[2 * unit, 0, unit]);
    }

    #[test]
    fn rebuilds_only_when_the_width_moves_more_than_25_percent() {
        // Tick 1, close 1000: width = 0.25 × σ × 1000 = 250 σ ticks.
        // σ = 0.04 -> 10 ticks (first close: rebuild). σ = 0.052 -> 13 ticks: change
        // 3/10 = 30% > 25% -> rebuild to 13. σ = 0.0576 -> 14.4 -> 14: 1/13 = 7.7% -> keep 13.
        // σ = 0.0416 -> 10.4 -> 10: 3/13 = 23.1% -> keep 13.
        // σ = 0.036 -> 9 ticks: 4/13 = 30.8% -> rebuild to 9.
        let mut profile = RollingProfile::new(&config(10, 1), price(1));
        let close = |profile: &mut RollingProfile, sigma: f64| {
            profile.add_trade(price(1000), units(1));
            profile.add_trade(price(1037), units(1));
            profile.close_minute(Some(sigma), price(1000), true)
        };
        let steps = [
            (0.04, 10, true),
            (0.052, 13, true),
            (0.0576, 13, false),
            (0.0416, 13, false),
            (0.036, 9, true),
        ];
        for (sigma, width, rebuilt) in steps {
            let levels = close(&mut profile, sigma);
            assert_eq!(levels.bin_width, Some(price(width)), "sigma {sigma}");
            assert_eq!(levels.rebuilt, rebuilt, "sigma {sigma}");
        }
        assert_eq!(profile.counters.rebuilds, 3);
        // Exactly 25% is not "more than 25%": width 8 -> required 10 (+25%) keeps 8.
        let mut exact = RollingProfile::new(&config(10, 1), price(1));
        close(&mut exact, 0.032); // 8 ticks
        assert_eq!(close(&mut exact, 0.04).bin_width, Some(price(8)));
    }

    #[test]
    fn rebuild_rebins_the_window_trades_at_the_new_width() {
        // Minute 1 at width 1: trades 100 (3), 101 (1), 102 (2), 103 (2).
        // Minute 2 at σ doubling the width to 2: bins [100,102): 4, [102,104): 4 + minute 2's
        // trade 103 (1) = 5 -> POC is bin 51 = [102, 104) after the rebuild.
        let mut profile = RollingProfile::new(&config(5, 1), price(1));
        for (level, volume) in [(100, 3), (101, 1), (102, 2), (103, 2)] {
            profile.add_trade(price(level), units(volume));
        }
        let first = profile.close_minute(Some(0.04), price(100), true);
        assert_eq!(first.poc, Some(price(100)));
        profile.add_trade(price(103), units(1));
        let second = profile.close_minute(Some(0.08), price(100), true);
        assert!(second.rebuilt);
        assert_eq!(second.bin_width, Some(price(2)));
        assert_eq!(second.poc, Some(price(102)));
        assert_eq!(second.volume, units(9));
    }

    #[test]
    fn incremental_histogram_equals_the_standalone_profile() {
        // Random-ish walk over 30 minutes, window 7: after each close the rolling levels must
        // equal compute_profile over the window's trades at the same width.
        let mut profile = RollingProfile::new(&config(7, 1), price(1));
        let mut tape: Vec<Vec<(Price, Quantity)>> = Vec::new();
        let mut state: u64 = 7;
        let mut level = 1_000_i64;
        let mut previous_poc_mid: Option<Price> = None;
        for minute in 0..30 {
            let mut fills = Vec::new();
            for _ in 0..(minute % 5) * 3 {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                level += (state >> 61) as i64 - 3;
                let size = Quantity::from_raw(((state >> 20) % 5_000_000_000) as i128 + 1);
                profile.add_trade(price(level), size);
                fills.push((price(level), size));
            }
            tape.push(fills);
            let levels = profile.close_minute(Some(0.02), price(1000), true);
            let window: Vec<(Price, Quantity)> = tape
                .iter()
                .rev()
                .take(7)
                .flat_map(|fills| fills.iter().copied())
                .collect();
            if window.is_empty() {
                assert_eq!(levels.poc, None);
                continue;
            }
            let options = ProfileOptions {
                previous_poc: previous_poc_mid,
                ..ProfileOptions::new(levels.bin_width.unwrap(), ValueAreaExpansion::SingleBin)
            };
            let reference = compute_profile_with(window.iter().copied(), &options).unwrap();
            assert_eq!(levels.poc, Some(reference.poc), "minute {minute}");
            assert_eq!(
                (levels.val, levels.vah),
                (Some(reference.val), Some(reference.vah))
            );
            assert_eq!(levels.bins_spanned as usize, reference.bins_spanned());
            previous_poc_mid = levels.poc_mid;
        }
    }

    #[test]
    fn absurd_ranges_widen_instead_of_exhausting_memory() {
        // Tick 1e-9 and prices 1 and 1,000,000 at width 1 tick would need 1e15 bins.
        let mut profile = RollingProfile::new(&config(3, 1), Price::from_raw(1));
        profile.add_trade(price(1), units(1));
        profile.add_trade(price(1_000_000), units(1));
        let levels = profile.close_minute(None, price(1), true);
        assert_eq!(profile.counters.guard_widenings, 1);
        let width = levels.bin_width.unwrap().raw();
        assert!((1_000_000 * 1_000_000_000_i64) / width < MAX_PROFILE_BINS as i64);
        assert_eq!(levels.volume, units(2));
    }

    #[test]
    fn strict_value_helpers_on_levels() {
        let levels = ProfileLevels {
            val: Some(price(102)),
            vah: Some(price(105)),
            ..ProfileLevels::default()
        };
        assert!(!levels.is_below_value(price(102)));
        assert!(levels.is_below_value(Price::from_raw(price(102).raw() - 1)));
        assert!(levels.is_inside_value(price(105)));
        assert!(levels.is_above_value(Price::from_raw(price(105).raw() + 1)));
        assert!(!ProfileLevels::default().is_below_value(price(1)));
    }
}
