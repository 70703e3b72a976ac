//! Decimal text as the venues write it: a fixed number of decimals (Binance writes BTCUSDT
//! prices as `"63943.90"`), from the raw fixed-point values (10^-9 units).

const SCALE_DIGITS: u32 = 9;

/// Decimals needed to write multiples of `step_raw` exactly (0.1 -> 1, 0.001 -> 3).
pub fn decimals_of_step(step_raw: i128) -> u32 {
    let mut decimals = SCALE_DIGITS;
    let mut step = step_raw.unsigned_abs();
    while decimals > 0 && step.is_multiple_of(10) && step != 0 {
        step /= 10;
        decimals -= 1;
    }
    decimals
}

/// `raw` (10^-9 units) with exactly `decimals` decimals, truncated toward zero.
pub fn fixed(raw: i128, decimals: u32) -> String {
    let decimals = decimals.min(SCALE_DIGITS);
    let negative = raw < 0;
    let magnitude = raw.unsigned_abs();
    let unit = 10_u128.pow(SCALE_DIGITS);
    let integer = magnitude / unit;
    let fraction = (magnitude % unit) / 10_u128.pow(SCALE_DIGITS - decimals);
    let sign = if negative && (integer != 0 || fraction != 0) {
        "-"
    } else {
        ""
    };
    if decimals == 0 {
        format!("{sign}{integer}")
    } else {
        format!(
            "{sign}{integer}.{fraction:0width$}",
            width = decimals as usize
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_and_fixed_text() {
        assert_eq!(decimals_of_step(100_000_000), 1);
        assert_eq!(decimals_of_step(1_000_000), 3);
        assert_eq!(decimals_of_step(1_000_000_000), 0);
        assert_eq!(fixed(63_943_900_000_000, 2), "63943.90");
        assert_eq!(fixed(46_372_000_000, 3), "46.372");
        assert_eq!(fixed(-1_500_000_000, 3), "-1.500");
        assert_eq!(fixed(-1, 3), "0.000");
        assert_eq!(fixed(7_000_000_000, 0), "7");
    }
}
