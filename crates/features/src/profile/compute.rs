//! A volume profile over any slice of trades with a FIXED bin width (research, the CLI's
//! `profile` command and cross-checks against other implementations). The rolling engine
//! applies the same rules through [`super::value_area::analyze`].

use auction_trader_types::{Price, Quantity, Trade};
use serde::Serialize;

use crate::FeaturesError;
use crate::config::ValueAreaExpansion;
use crate::profile::histogram::MAX_PROFILE_BINS;
use crate::profile::value_area::{analyze, centre_doubled};

/// Options of [`compute_profile_with`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProfileOptions {
    /// Bin k covers [k × bin_width, (k+1) × bin_width) (SPEC 2.2).
    pub bin_width: Price,
    pub expansion: ValueAreaExpansion,
    /// Share of the volume in the value area (SPEC 10: 0.70), resolved to 1e-6.
    pub value_area_fraction: f64,
    /// Centre price of the previous POC bin, for the POC tie rule (none: lower price wins).
    pub previous_poc: Option<Price>,
}

impl ProfileOptions {
    pub fn new(bin_width: Price, expansion: ValueAreaExpansion) -> Self {
        Self {
            bin_width,
            expansion,
            value_area_fraction: 0.70,
            previous_poc: None,
        }
    }
}

/// A computed volume profile. Volumes are raw fixed-point units (10^-9 of the size unit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Profile {
    pub bin_width: Price,
    /// Bin index k of `bins[0]`.
    pub first_bin: i64,
    /// Volume per bin from the lowest to the highest traded bin, inclusive.
    pub bins: Vec<i128>,
    pub total_volume: i128,
    pub poc_bin: i64,
    /// Lowest and highest bins of the value area.
    pub value_area_low_bin: i64,
    pub value_area_high_bin: i64,
    pub value_area_volume: i128,
    /// Lower edge of the POC bin (the bin's label, as in SPEC 11.1).
    pub poc: Price,
    /// VAL = lower edge of the lowest value-area bin (SPEC 2.2).
    pub val: Price,
    /// VAH = upper edge of the highest value-area bin (SPEC 2.2).
    pub vah: Price,
}

impl Profile {
    /// Bins from the lowest to the highest traded price, inclusive (the SPEC 2.2 validity
    /// count).
    pub fn bins_spanned(&self) -> usize {
        self.bins.len()
    }

    /// Lower edge of bin `bin`.
    pub fn bin_low(&self, bin: i64) -> Price {
        bin_edge(bin, self.bin_width.raw())
    }

    /// Centre of the POC bin.
    pub fn poc_mid(&self) -> Price {
        Price::from_raw((centre_doubled(self.poc_bin, self.bin_width.raw()) / 2) as i64)
    }

    /// Volume of bin `bin` (zero outside the traded range).
    pub fn volume_of_bin(&self, bin: i64) -> i128 {
        usize::try_from(bin - self.first_bin)
            .ok()
            .and_then(|index| self.bins.get(index).copied())
            .unwrap_or(0)
    }

    /// SPEC 2.2: "inside the value area" means VAL <= price <= VAH.
    pub fn is_inside_value(&self, price: Price) -> bool {
        self.val <= price && price <= self.vah
    }

    /// Strictly below VAL (SPEC 3.1: touching does not count).
    pub fn is_below_value(&self, price: Price) -> bool {
        price < self.val
    }

    /// Strictly above VAH.
    pub fn is_above_value(&self, price: Price) -> bool {
        price > self.vah
    }
}

/// Lower edge of bin `bin` for a width in raw units (saturating on absurd inputs).
pub(crate) fn bin_edge(bin: i64, bin_width_raw: i64) -> Price {
    let edge = i128::from(bin) * i128::from(bin_width_raw);
    Price::from_raw(edge.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}

/// Profile of `trades` with a fixed bin width and the default 70% value area.
pub fn compute_profile(
    trades: &[Trade],
    bin_width: Price,
    expansion: ValueAreaExpansion,
) -> Result<Profile, FeaturesError> {
    compute_profile_with(
        trades.iter().map(|trade| (trade.price, trade.size)),
        &ProfileOptions::new(bin_width, expansion),
    )
}

/// Profile of `(price, size)` pairs (read twice: once for the range, once for the volumes).
pub fn compute_profile_with<I>(fills: I, options: &ProfileOptions) -> Result<Profile, FeaturesError>
where
    I: IntoIterator<Item = (Price, Quantity)> + Clone,
{
    let width = options.bin_width.raw();
    if width <= 0 {
        return Err(FeaturesError::InvalidBinWidth(
            options.bin_width.to_string(),
        ));
    }
    if !(options.value_area_fraction > 0.0 && options.value_area_fraction <= 1.0) {
        return Err(FeaturesError::InvalidConfig {
            field: "value_area_fraction",
            reason: format!("must lie in (0, 1], got {}", options.value_area_fraction),
        });
    }
    let mut range: Option<(i64, i64)> = None;
    for (price, size) in fills.clone() {
        if size.is_positive() {
            let bin = price.raw().div_euclid(width);
            range = Some(range.map_or((bin, bin), |(low, high)| (low.min(bin), high.max(bin))));
        }
    }
    let (low, high) = range.ok_or(FeaturesError::EmptyProfile)?;
    let span = u64::try_from(i128::from(high) - i128::from(low) + 1).unwrap_or(u64::MAX);
    if span > MAX_PROFILE_BINS {
        return Err(FeaturesError::TooManyBins {
            bins: span,
            max: MAX_PROFILE_BINS,
        });
    }
    let mut bins = vec![0_i128; span as usize];
    for (price, size) in fills {
        if size.is_positive() {
            let bin = price.raw().div_euclid(width);
            bins[(bin - low) as usize] += size.raw();
        }
    }
    let previous = options
        .previous_poc
        .map(|price| 2 * i128::from(price.raw()));
    let ppm = (options.value_area_fraction * 1e6).round() as i64;
    let bounds = analyze(&bins, low, width, previous, ppm, options.expansion)
        .ok_or(FeaturesError::EmptyProfile)?;
    let poc_bin = low + bounds.poc as i64;
    let value_area_low_bin = low + bounds.low as i64;
    let value_area_high_bin = low + bounds.high as i64;
    Ok(Profile {
        bin_width: options.bin_width,
        first_bin: low,
        total_volume: bounds.total_volume,
        poc_bin,
        value_area_low_bin,
        value_area_high_bin,
        value_area_volume: bounds.value_area_volume,
        poc: bin_edge(poc_bin, width),
        val: bin_edge(value_area_low_bin, width),
        vah: bin_edge(value_area_high_bin + 1, width),
        bins,
    })
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{AggressorSide, TradeId, UnixNanos};

    use super::*;

    fn trade(price: &str, size: i64) -> Trade {
        Trade {
            ts_event: UnixNanos(0),
            ts_recv: UnixNanos(0),
            price: Price::from_decimal_str(price).unwrap(),
            size: Quantity::from_units(size).unwrap(),
            aggressor: AggressorSide::Unknown,
            trade_id: TradeId(0),
        }
    }

    /// SPEC 11.1 as trades: 100:5, 101:10, 102:30, 103:20, 104:20, 105:5, 106:10, with prices
    /// anywhere inside each unit bin (bin k covers [k, k+1)).
    fn spec_11_1_trades() -> Vec<Trade> {
        vec![
            trade("100.0", 5),
            trade("101.9", 10),
            trade("102.0", 10),
            trade("102.5", 20),
            trade("103.3", 20),
            trade("104.99", 20),
            trade("105.0", 5),
            trade("106.7", 10),
        ]
    }

    #[test]
    fn spec_11_1_through_compute_profile_both_variants() {
        let width = Price::ONE;
        for expansion in [ValueAreaExpansion::SingleBin, ValueAreaExpansion::TwoBin] {
            let profile = compute_profile(&spec_11_1_trades(), width, expansion).unwrap();
            // POC = 102, VA bins 102..104: VAL = 102, VAH = 105 (upper edge of bin 104).
            assert_eq!(profile.poc, Price::from_units(102).unwrap());
            assert_eq!(profile.val, Price::from_units(102).unwrap());
            assert_eq!(profile.vah, Price::from_units(105).unwrap());
            assert_eq!(profile.poc_mid(), Price::from_decimal_str("102.5").unwrap());
            assert_eq!(profile.total_volume, 100 * Quantity::ONE.raw());
            assert_eq!(profile.value_area_volume, 70 * Quantity::ONE.raw());
            assert_eq!(profile.bins_spanned(), 7);
        }
    }

    #[test]
    fn value_helpers_are_strict_outside_and_inclusive_inside() {
        let profile = compute_profile(
            &spec_11_1_trades(),
            Price::ONE,
            ValueAreaExpansion::SingleBin,
        )
        .unwrap();
        let val = Price::from_units(102).unwrap();
        let vah = Price::from_units(105).unwrap();
        assert!(profile.is_inside_value(val) && profile.is_inside_value(vah));
        // Touching VAL is not below it; one nano under is.
        assert!(!profile.is_below_value(val));
        assert!(profile.is_below_value(Price::from_raw(val.raw() - 1)));
        assert!(!profile.is_above_value(vah));
        assert!(profile.is_above_value(Price::from_raw(vah.raw() + 1)));
    }

    #[test]
    fn bins_are_floor_aligned_multiples_of_the_width() {
        // Width 0.5: 100.49 -> bin 200 [100.0, 100.5); 100.5 -> bin 201 [100.5, 101.0).
        let profile = compute_profile(
            &[trade("100.49", 1), trade("100.5", 3)],
            Price::from_decimal_str("0.5").unwrap(),
            ValueAreaExpansion::SingleBin,
        )
        .unwrap();
        assert_eq!(profile.first_bin, 200);
        assert_eq!(profile.poc_bin, 201);
        assert_eq!(profile.poc, Price::from_decimal_str("100.5").unwrap());
        // Total 4, target 2.8: POC 3 (75%) alone reaches it: VA = [100.5, 101.0).
        assert_eq!(
            (profile.val, profile.vah),
            (profile.poc, Price::from_units(101).unwrap())
        );
        assert_eq!(profile.volume_of_bin(200), Quantity::ONE.raw());
        assert_eq!(profile.volume_of_bin(199), 0);
    }

    #[test]
    fn rejects_bad_requests() {
        assert_eq!(
            compute_profile(&[], Price::ONE, ValueAreaExpansion::SingleBin),
            Err(FeaturesError::EmptyProfile)
        );
        assert!(matches!(
            compute_profile(&[trade("1", 1)], Price::ZERO, ValueAreaExpansion::SingleBin),
            Err(FeaturesError::InvalidBinWidth(_))
        ));
        let wide = [trade("1", 1), trade("9000000", 1)];
        assert!(matches!(
            compute_profile(
                &wide,
                Price::from_decimal_str("0.01").unwrap(),
                ValueAreaExpansion::SingleBin
            ),
            Err(FeaturesError::TooManyBins { .. })
        ));
    }
}
