//! POC and value area of a histogram (SPEC 2.2), shared by the standalone profile and the
//! rolling engine so both apply exactly the same rules.
//!
//! The histogram is a slice of volumes from the lowest to the highest traded bin inclusive
//! (zero-volume bins inside count as part of the range, SPEC 2.2: strictly contiguous).

use serde::Serialize;

use crate::config::ValueAreaExpansion;

/// Result of [`analyze`]: indices into the analysed slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ValueAreaBounds {
    pub poc: usize,
    /// Lowest and highest bin of the value area (inclusive).
    pub low: usize,
    pub high: usize,
    pub total_volume: i128,
    pub value_area_volume: i128,
}

/// Parts-per-million scale of the value-area fraction.
const PPM: i128 = 1_000_000;

/// POC, then value area. `bins` must be non-empty with positive total volume.
/// `previous_poc_doubled` is twice the price (raw) of the previous POC's bin centre, and
/// `first_bin`/`bin_width_raw` place the slice on the price axis (for the tie rule).
pub fn analyze(
    bins: &[i128],
    first_bin: i64,
    bin_width_raw: i64,
    previous_poc_doubled: Option<i128>,
    fraction_ppm: i64,
    expansion: ValueAreaExpansion,
) -> Option<ValueAreaBounds> {
    let total_volume: i128 = bins.iter().sum();
    if total_volume <= 0 {
        return None;
    }
    let poc = point_of_control(bins, first_bin, bin_width_raw, previous_poc_doubled)?;
    let target = total_volume * i128::from(fraction_ppm);
    let (low, high, value_area_volume) = match expansion {
        ValueAreaExpansion::SingleBin => expand_single(bins, poc, target),
        ValueAreaExpansion::TwoBin => expand_pairs(bins, poc, target),
    };
    Some(ValueAreaBounds {
        poc,
        low,
        high,
        total_volume,
        value_area_volume,
    })
}

/// SPEC 2.2 POC: the bin with the highest volume; tie → the one nearest the previous POC
/// (bin centres compared on the price axis), then the lower price.
pub fn point_of_control(
    bins: &[i128],
    first_bin: i64,
    bin_width_raw: i64,
    previous_poc_doubled: Option<i128>,
) -> Option<usize> {
    let maximum = *bins.iter().max()?;
    let distance = |index: usize| -> i128 {
        previous_poc_doubled.map_or(0, |previous| {
            (centre_doubled(first_bin + index as i64, bin_width_raw) - previous).abs()
        })
    };
    // Iterating upward and replacing only on a strictly smaller distance keeps the lower
    // price among equally near candidates.
    let mut best: Option<(usize, i128)> = None;
    for (index, &volume) in bins.iter().enumerate() {
        if volume != maximum {
            continue;
        }
        let candidate = distance(index);
        if best.is_none_or(|(_, nearest)| candidate < nearest) {
            best = Some((index, candidate));
        }
    }
    best.map(|(index, _)| index)
}

/// Twice the centre price (raw) of bin `bin`: (2k + 1) × w.
pub fn centre_doubled(bin: i64, bin_width_raw: i64) -> i128 {
    (2 * i128::from(bin) + 1) * i128::from(bin_width_raw)
}

#[inline]
fn reached(accumulated: i128, target: i128) -> bool {
    accumulated * PPM >= target
}

/// SPEC 2.2: one bin at a time toward the side whose next bin has more volume; on a tie add
/// both; stop as soon as the accumulated volume reaches the target.
fn expand_single(bins: &[i128], poc: usize, target: i128) -> (usize, usize, i128) {
    let (mut low, mut high, mut accumulated) = (poc, poc, bins[poc]);
    while !reached(accumulated, target) {
        let below = (low > 0).then(|| bins[low - 1]);
        let above = bins.get(high + 1).copied();
        match (below, above) {
            (None, None) => break,
            (Some(volume), None) => {
                low -= 1;
                accumulated += volume;
            }
            (None, Some(volume)) => {
                high += 1;
                accumulated += volume;
            }
            (Some(below), Some(above)) => {
                if above >= below {
                    high += 1;
                    accumulated += above;
                }
                if below >= above {
                    low -= 1;
                    accumulated += below;
                }
            }
        }
    }
    (low, high, accumulated)
}

/// The classic variant: compare the sums of the next two bins on each side (fewer at the
/// edge of the range), add the larger pair, both pairs on a tie; stop once the target is
/// reached (after the whole step).
fn expand_pairs(bins: &[i128], poc: usize, target: i128) -> (usize, usize, i128) {
    let (mut low, mut high, mut accumulated) = (poc, poc, bins[poc]);
    while !reached(accumulated, target) {
        let below_count = low.min(2);
        let above_count = (bins.len() - 1 - high).min(2);
        if below_count == 0 && above_count == 0 {
            break;
        }
        let below: i128 = bins[low - below_count..low].iter().sum();
        let above: i128 = bins[high + 1..high + 1 + above_count].iter().sum();
        let take_above = above_count > 0 && (below_count == 0 || above >= below);
        let take_below = below_count > 0 && (above_count == 0 || below >= above);
        if take_above {
            high += above_count;
            accumulated += above;
        }
        if take_below {
            low -= below_count;
            accumulated += below;
        }
    }
    (low, high, accumulated)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEVENTY: i64 = 700_000;

    /// SPEC 11.1: bins 100..=106 with volumes 5, 10, 30, 20, 20, 5, 10.
    const SPEC_11_1: [i128; 7] = [5, 10, 30, 20, 20, 5, 10];

    #[test]
    fn spec_11_1_single_bin() {
        // POC = 102 (index 2, 30). Below 101 (10) vs above 103 (20) -> add 103 (50).
        // 101 (10) vs 104 (20) -> add 104 (70) -> 70 of 100 reached: VA = 102..104.
        let bounds = analyze(
            &SPEC_11_1,
            100,
            1,
            None,
            SEVENTY,
            ValueAreaExpansion::SingleBin,
        )
        .unwrap();
        assert_eq!((bounds.poc, bounds.low, bounds.high), (2, 2, 4));
        assert_eq!((bounds.total_volume, bounds.value_area_volume), (100, 70));
    }

    #[test]
    fn spec_11_1_two_bin() {
        // Below 101+100 = 15 vs above 103+104 = 40 -> add 103 and 104 (70): same VA.
        let bounds = analyze(
            &SPEC_11_1,
            100,
            1,
            None,
            SEVENTY,
            ValueAreaExpansion::TwoBin,
        )
        .unwrap();
        assert_eq!(
            (
                bounds.poc,
                bounds.low,
                bounds.high,
                bounds.value_area_volume
            ),
            (2, 2, 4, 70)
        );
    }

    #[test]
    fn single_bin_tie_adds_both_sides() {
        // Volumes 10, 20, 40, 20, 10 (total 100, target 70). POC index 2 (40).
        // Next bins 20 vs 20 -> tie -> add both -> 80 >= 70: VA = 1..3 (80), not 70 exactly.
        let bounds = analyze(
            &[10, 20, 40, 20, 10],
            0,
            1,
            None,
            SEVENTY,
            ValueAreaExpansion::SingleBin,
        )
        .unwrap();
        assert_eq!(
            (bounds.low, bounds.high, bounds.value_area_volume),
            (1, 3, 80)
        );
    }

    #[test]
    fn zero_volume_bins_inside_the_range_count() {
        // Volumes 30, 0, 0, 50, 0, 20 (total 100). POC index 3 (50).
        // Below 0 vs above 0 -> tie -> both (50). Below 0 (idx 1) vs above 20 (idx 5) -> add 5
        // (70) -> reached: VA = 2..5, containing the empty bins 2 and 4.
        let bounds = analyze(
            &[30, 0, 0, 50, 0, 20],
            0,
            1,
            None,
            SEVENTY,
            ValueAreaExpansion::SingleBin,
        )
        .unwrap();
        assert_eq!(
            (bounds.low, bounds.high, bounds.value_area_volume),
            (2, 5, 70)
        );
    }

    #[test]
    fn expansion_stops_at_the_range_edge() {
        // POC at the top edge: volumes 10, 20, 30, 40 -> 40, then only below: +30 (70) -> stop.
        let bounds = analyze(
            &[10, 20, 30, 40],
            0,
            1,
            None,
            SEVENTY,
            ValueAreaExpansion::SingleBin,
        )
        .unwrap();
        assert_eq!((bounds.poc, bounds.low, bounds.high), (3, 2, 3));
        // Two-bin from the edge: below pair 20+30 = 50 -> 90 -> VA 1..3.
        let pairs = analyze(
            &[10, 20, 30, 40],
            0,
            1,
            None,
            SEVENTY,
            ValueAreaExpansion::TwoBin,
        )
        .unwrap();
        assert_eq!((pairs.low, pairs.high, pairs.value_area_volume), (1, 3, 90));
    }

    #[test]
    fn two_bin_tie_adds_both_pairs_and_short_pairs_at_edges() {
        // Volumes 5, 15, 30, 10, 10, 0 (total 70, target 49). POC index 2 (30).
        // Below pair: only 2 bins (5 + 15 = 20); above pair 10 + 10 = 20 -> tie -> both: 70.
        let bounds = analyze(
            &[5, 15, 30, 10, 10, 0],
            0,
            1,
            None,
            SEVENTY,
            ValueAreaExpansion::TwoBin,
        )
        .unwrap();
        assert_eq!(
            (bounds.low, bounds.high, bounds.value_area_volume),
            (0, 4, 70)
        );
        // Single-bin on the same: 15 vs 10 -> below (45); 5 vs 10 -> above (55) -> reached 49.
        let single = analyze(
            &[5, 15, 30, 10, 10, 0],
            0,
            1,
            None,
            SEVENTY,
            ValueAreaExpansion::SingleBin,
        )
        .unwrap();
        assert_eq!(
            (single.low, single.high, single.value_area_volume),
            (1, 3, 55)
        );
    }

    #[test]
    fn poc_tie_prefers_the_previous_poc_then_the_lower_price() {
        // Bins 10..=14 (width 1), volumes 30, 5, 30, 5, 30: three maxima at 10, 12, 14.
        let bins = [30, 5, 30, 5, 30];
        // No previous POC -> lower price -> index 0 (bin 10).
        assert_eq!(point_of_control(&bins, 10, 1, None), Some(0));
        // Width 1 raw: doubled centres (2k + 1) are bin 10 -> 21, bin 12 -> 25, bin 14 -> 29.
        // Previous POC centre 14 (doubled 28) -> distances 7, 3, 1 -> bin 14 (index 4).
        assert_eq!(point_of_control(&bins, 10, 1, Some(28)), Some(4));
        // Previous centre 13.5 (doubled 27): distances 6, 2, 2 -> tie between 12 and 14 -> lower: 12.
        assert_eq!(point_of_control(&bins, 10, 1, Some(27)), Some(2));
    }

    proptest::proptest! {
        #[test]
        fn value_area_invariants(bins in proptest::collection::vec(0_i128..1_000, 1..60), two_bin: bool) {
            let expansion = if two_bin { ValueAreaExpansion::TwoBin } else { ValueAreaExpansion::SingleBin };
            let total: i128 = bins.iter().sum();
            let Some(bounds) = analyze(&bins, -7, 3, None, SEVENTY, expansion) else {
                proptest::prop_assert_eq!(total, 0);
                return Ok(());
            };
            // POC is a maximum, inside a contiguous VA holding at least 70% of the volume.
            proptest::prop_assert_eq!(bins[bounds.poc], *bins.iter().max().unwrap());
            proptest::prop_assert!(bounds.low <= bounds.poc && bounds.poc <= bounds.high);
            let inside: i128 = bins[bounds.low..=bounds.high].iter().sum();
            proptest::prop_assert_eq!(inside, bounds.value_area_volume);
            proptest::prop_assert!(inside * 10 >= total * 7);
            proptest::prop_assert_eq!(bounds.total_volume, total);
        }
    }

    #[test]
    fn empty_histogram_has_no_profile() {
        assert!(analyze(&[0, 0], 0, 1, None, SEVENTY, ValueAreaExpansion::SingleBin).is_none());
        assert!(analyze(&[], 0, 1, None, SEVENTY, ValueAreaExpansion::SingleBin).is_none());
    }
}
