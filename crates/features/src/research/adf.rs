//! Augmented Dickey–Fuller unit-root test (SPEC 2.6: a half-life is evidence of mean reversion
//! only next to a test that rejects a unit root).
//!
//! Regression with a constant and `k` lagged differences, over `t = k + 1 .. n − 1`:
//! `Δx_t = a + b·x_{t−1} + Σ_{j=1..k} c_j·Δx_{t−j} + ε`. The statistic is the t-ratio of `b`,
//! `τ = b / se(b)` with `se(b)² = s²·[(XᵀX)⁻¹]_bb` and `s² = SSR / (m − p)` (m rows, p
//! regressors). The p-value is MacKinnon's (1994) response-surface approximation for the
//! constant-only case, one variable (the same coefficients as statsmodels' `mackinnonp`):
//! `p = Φ(2.1659 + 1.4412·τ + 0.038269·τ²)` for `τ ≤ −1.61`,
//! `p = Φ(1.7339 + 0.93202·τ − 0.12745·τ² − 0.010368·τ³)` above; 0 below −18.83, 1 above 2.74.
//! It is asymptotic: on short windows the test is conservative in neither direction, which is
//! why the diagnostics also show the estimator on a random walk.

/// One ADF test result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdfResult {
    /// τ, the t-ratio of the coefficient on `x_{t−1}` (more negative = stronger rejection).
    pub statistic: f64,
    /// MacKinnon approximate p-value of τ.
    pub p_value: f64,
    /// Regression rows used.
    pub observations: usize,
    /// Lagged differences in the regression.
    pub lags: usize,
}

impl AdfResult {
    /// Whether the unit root is rejected at `level` (e.g. 0.10).
    pub fn rejects_unit_root(&self, level: f64) -> bool {
        self.p_value < level
    }
}

/// The ADF test of `series` with `lags` lagged differences; `None` when the series is too short
/// (fewer than `lags + 2` + 3 rows), not finite, or the regression is singular (a constant
/// series).
pub fn adf_test(series: &[f64], lags: usize) -> Option<AdfResult> {
    if series.iter().any(|value| !value.is_finite()) {
        return None;
    }
    let regressors = lags + 2;
    let first = lags + 1;
    let rows = series.len().checked_sub(first)?;
    if rows < regressors + 3 {
        return None;
    }
    let diff = |t: usize| series[t] - series[t - 1];
    let row = |t: usize, out: &mut Vec<f64>| {
        out.clear();
        out.push(1.0);
        out.push(series[t - 1]);
        out.extend((1..=lags).map(|j| diff(t - j)));
    };
    // Normal equations, centred at the first level so prices ~1e5 keep their precision (a
    // shift of x_{t−1} only moves the intercept, not b or its standard error).
    let shift = series[first - 1];
    let mut xtx = vec![vec![0.0; regressors]; regressors];
    let mut xty = vec![0.0; regressors];
    let mut x = Vec::with_capacity(regressors);
    for t in first..series.len() {
        row(t, &mut x);
        x[1] -= shift;
        let y = diff(t);
        for i in 0..regressors {
            xty[i] += x[i] * y;
            for j in 0..regressors {
                xtx[i][j] += x[i] * x[j];
            }
        }
    }
    let inverse = invert(xtx)?;
    let beta: Vec<f64> = (0..regressors)
        .map(|i| (0..regressors).map(|j| inverse[i][j] * xty[j]).sum())
        .collect();
    let mut ssr = 0.0;
    for t in first..series.len() {
        row(t, &mut x);
        x[1] -= shift;
        let fitted: f64 = x.iter().zip(&beta).map(|(a, b)| a * b).sum();
        ssr += (diff(t) - fitted).powi(2);
    }
    let variance = ssr / (rows - regressors) as f64;
    let se = (variance * inverse[1][1]).sqrt();
    if !(se.is_finite() && se > 0.0) {
        return None;
    }
    let statistic = beta[1] / se;
    Some(AdfResult {
        statistic,
        p_value: mackinnon_p_value(statistic),
        observations: rows,
        lags,
    })
}

/// MacKinnon (1994) approximate p-value of an ADF τ, constant-only case, one variable.
pub fn mackinnon_p_value(tau: f64) -> f64 {
    const TAU_MAX: f64 = 2.74;
    const TAU_MIN: f64 = -18.83;
    const TAU_STAR: f64 = -1.61;
    if tau.is_nan() {
        return f64::NAN;
    }
    if tau > TAU_MAX {
        return 1.0;
    }
    if tau < TAU_MIN {
        return 0.0;
    }
    let z = if tau <= TAU_STAR {
        2.1659 + 1.4412 * tau + 0.038269 * tau * tau
    } else {
        1.7339 + 0.93202 * tau - 0.12745 * tau * tau - 0.010368 * tau * tau * tau
    };
    normal_cdf(z)
}

/// Standard normal CDF through the complementary error function (Numerical Recipes `erfcc`,
/// fractional error below 1.2e-7 everywhere).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let value = t * poly.exp();
    if x >= 0.0 { value } else { 2.0 - value }
}

/// Gauss–Jordan inverse with partial pivoting; `None` when singular.
fn invert(mut matrix: Vec<Vec<f64>>) -> Option<Vec<Vec<f64>>> {
    let size = matrix.len();
    let mut inverse: Vec<Vec<f64>> = (0..size)
        .map(|i| (0..size).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    let scale = matrix
        .iter()
        .flatten()
        .fold(0.0f64, |largest, value| largest.max(value.abs()));
    for column in 0..size {
        let pivot = (column..size)
            .max_by(|&a, &b| matrix[a][column].abs().total_cmp(&matrix[b][column].abs()))?;
        if matrix[pivot][column].abs() <= scale * 1e-12 {
            return None;
        }
        matrix.swap(column, pivot);
        inverse.swap(column, pivot);
        let divisor = matrix[column][column];
        for j in 0..size {
            matrix[column][j] /= divisor;
            inverse[column][j] /= divisor;
        }
        for row in 0..size {
            if row != column {
                let factor = matrix[row][column];
                if factor != 0.0 {
                    for j in 0..size {
                        matrix[row][j] -= factor * matrix[column][j];
                        inverse[row][j] -= factor * inverse[column][j];
                    }
                }
            }
        }
    }
    Some(inverse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dickey_fuller_hand_example() {
        // x = 1, 3, 2, 4, 2: pairs (x_{t−1}, Δx) = (1, 2), (3, −1), (2, 2), (4, −2).
        // mean u 2.5, mean y 0.25, Sxx = 5, Sxy = −7.5 → b = −1.5, a = 4.0; residuals
        // −0.5, −0.5, 1, 0 → SSR 1.5, s² = 1.5 / 2 = 0.75, se(b) = √(0.75 / 5) = 0.387298;
        // τ = −3.872983. The regression needs 5 rows for 2 regressors; repeat the pattern.
        let short = adf_test(&[1.0, 3.0, 2.0, 4.0, 2.0], 0);
        assert_eq!(short, None, "4 rows < 2 regressors + 3");
        let series = [1.0, 3.0, 2.0, 4.0, 2.0, 3.0];
        // Pairs add (2, 1): u = 1,3,2,4,2 mean 2.4; y = 2,−1,2,−2,1 mean 0.4.
        // Sxx = 1.96+0.36+0.16+2.56+0.16 = 5.2; Sxy = −1.4·1.6 + 0.6·−1.4 + −0.4·1.6 +
        // 1.6·−2.4 + −0.4·0.6 = −2.24 − 0.84 − 0.64 − 3.84 − 0.24 = −7.8 → b = −1.5,
        // a = 0.4 + 1.5·2.4 = 4.0; residuals −0.5, −0.5, 1, 0, 0 → SSR 1.5, s² = 0.5,
        // se = √(0.5 / 5.2) = 0.310087, τ = −4.837351.
        let result = adf_test(&series, 0).unwrap();
        assert!((result.statistic - (-4.837_351)).abs() < 1e-5, "{result:?}");
        assert_eq!((result.observations, result.lags), (5, 0));
        // p = Φ(2.1659 + 1.4412·τ + 0.038269·τ²) = Φ(−3.9102) ≈ 4.611e-5.
        let z = 2.1659 + 1.4412 * result.statistic + 0.038269 * result.statistic.powi(2);
        assert!((z - (-3.910_197)).abs() < 1e-5);
        assert!(
            (result.p_value - 4.61e-5).abs() < 0.2e-5,
            "{}",
            result.p_value
        );
        assert!(result.rejects_unit_root(0.10));
    }

    #[test]
    fn shifting_the_level_does_not_change_the_statistic() {
        let base = [1.0, 3.0, 2.0, 4.0, 2.0, 3.0, 2.5, 3.5];
        let shifted: Vec<f64> = base.iter().map(|value| value + 100_000.0).collect();
        let (a, b) = (adf_test(&base, 1).unwrap(), adf_test(&shifted, 1).unwrap());
        assert!((a.statistic - b.statistic).abs() < 1e-6);
        assert_eq!(a.observations, 6);
    }

    #[test]
    fn constant_or_non_finite_series_has_no_test() {
        assert_eq!(adf_test(&[5.0; 20], 0), None);
        assert_eq!(adf_test(&[1.0, f64::NAN, 2.0, 3.0, 1.0, 2.0, 4.0], 0), None);
    }

    #[test]
    fn mackinnon_critical_values_and_normal_cdf() {
        // The asymptotic 5% and 10% critical values of the constant case (−2.86, −2.57).
        assert!((mackinnon_p_value(-2.86) - 0.050).abs() < 0.002);
        assert!((mackinnon_p_value(-2.57) - 0.099).abs() < 0.002);
        // The two branches meet at τ* = −1.61 (p ≈ 0.478).
        let (below, above) = (mackinnon_p_value(-1.610_001), mackinnon_p_value(-1.609_999));
        assert!((below - above).abs() < 1e-3 && (below - 0.478).abs() < 0.002);
        assert_eq!(
            (mackinnon_p_value(3.0), mackinnon_p_value(-20.0)),
            (1.0, 0.0)
        );
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
        assert!((normal_cdf(-1.644_854) - 0.05).abs() < 1e-6);
    }

    #[test]
    fn a_random_walk_rarely_rejects_and_a_stationary_series_does() {
        // Deterministic pseudo-random steps (a 64-bit LCG, fixed seed).
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut step = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        };
        let mut walk = vec![0.0];
        let mut ar = vec![0.0];
        for _ in 0..2_000 {
            let shock = step();
            walk.push(walk[walk.len() - 1] + shock);
            ar.push(0.5 * ar[ar.len() - 1] + shock);
        }
        let stationary = adf_test(&ar, 1).unwrap();
        assert!(stationary.statistic < -10.0 && stationary.p_value < 0.01);
        assert!(!adf_test(&walk, 1).unwrap().rejects_unit_root(0.01));
    }
}
