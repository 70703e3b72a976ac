//! Bulk Volume Classification (Easley, López de Prado and O'Hara, 2012), used only when
//! configured (SPEC 2.3): the buy share of a bar's volume is Φ(r / σ), with r the bar's
//! 1-minute log return and σ the standard deviation of those returns (sigma_240).

/// Standard normal CDF Φ(x) = erfc(−x/√2) / 2.
pub fn normal_cdf(value: f64) -> f64 {
    0.5 * erfc(-value / std::f64::consts::SQRT_2)
}

/// Complementary error function, Chebyshev fit with fractional error below 1.2e-7 everywhere
/// (Press et al., Numerical Recipes, `erfcc`).
fn erfc(value: f64) -> f64 {
    let z = value.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let polynomial = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let result = t * polynomial.exp();
    if value >= 0.0 { result } else { 2.0 - result }
}

/// Buy share of a bar's volume: Φ(log_return / sigma); one half when σ is unknown or zero
/// (no information about direction).
pub fn buy_fraction(log_return: f64, sigma: Option<f64>) -> f64 {
    match sigma {
        Some(sigma) if sigma > 0.0 && sigma.is_finite() && log_return.is_finite() => {
            normal_cdf(log_return / sigma)
        }
        _ => 0.5,
    }
}

/// Splits a raw volume into (buy, sell) with `buy = round(volume × fraction)`, `sell = rest`
/// (integer volumes stay exact: buy + sell = volume).
pub fn split_volume(volume_raw: i128, fraction: f64) -> (i128, i128) {
    let buy = ((volume_raw as f64) * fraction.clamp(0.0, 1.0)).round() as i128;
    let buy = buy.clamp(0, volume_raw.max(0));
    (buy, volume_raw - buy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cdf_matches_tables() {
        // Φ(0) = 0.5, Φ(1) = 0.8413447, Φ(−1.96) = 0.0249979, Φ(2.5) = 0.9937903.
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.0) - 0.841_344_7).abs() < 1e-6);
        assert!((normal_cdf(-1.96) - 0.024_997_9).abs() < 1e-6);
        assert!((normal_cdf(2.5) - 0.993_790_3).abs() < 1e-6);
    }

    #[test]
    fn bvc_split_of_a_one_sigma_up_bar() {
        // r = σ -> buy share Φ(1) = 0.8413; 10 units -> 8.413447 buy, 1.586553 sell (raw
        // units of 1e-9, rounded; buy + sell is exactly the volume).
        let fraction = buy_fraction(0.002, Some(0.002));
        let (buy, sell) = split_volume(10_000_000_000, fraction);
        assert!((buy - 8_413_447_000).abs() < 2_000);
        assert_eq!(buy + sell, 10_000_000_000);
        assert_eq!(buy_fraction(0.01, None), 0.5);
        assert_eq!(buy_fraction(0.01, Some(0.0)), 0.5);
    }
}
