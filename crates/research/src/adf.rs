//! Augmented Dickey–Fuller unit-root test (SPEC 2.6: a half-life is evidence of mean reversion
//! only next to a test that rejects a unit root), with statsmodels' `adfuller` defaults.
//!
//! Regression with a constant and `k` lagged differences, over `t = k + 1 .. n − 1`:
//! `Δx_t = a + b·x_{t−1} + Σ_{j=1..k} c_j·Δx_{t−j} + ε`. The statistic is the t-ratio of `b`,
//! `τ = b / se(b)` with `se(b)² = s²·[(XᵀX)⁻¹]_bb` and `s² = SSR / (m − p)` (m rows, p
//! regressors). Least squares by Householder QR of the design (no normal equations), the level
//! centred on its first value (a shift of `x_{t−1}` only moves the intercept).
//!
//! Lag order ([`adfuller`]): as statsmodels' `adfuller(x)` (regression `"c"`, `autolag="AIC"`):
//! `maxlag = min(⌈12·(n/100)^¼⌉, n/2 − 2)` (integer division); every k in `0..=maxlag` is fitted
//! on the SAME rows `t = maxlag + 1 .. n − 1`, the smallest
//! `AIC = m·(ln 2π + ln(SSR/m) + 1) + 2p` wins (the smaller k on a tie), and the chosen k is
//! refitted on its own, longer sample `t = k + 1 .. n − 1`. The fits for the lag search share
//! one QR: with the columns ordered (constant, level, Δx_{t−1}, …), the SSR of the first p
//! columns is the squared norm of `(Qᵀy)[p..]`.
//!
//! The p-value is MacKinnon's (1994) response-surface approximation for the constant-only
//! case, one variable (statsmodels' `mackinnonp(τ, "c", N=1)`):
//! `p = Φ(2.1659 + 1.4412·τ + 0.038269·τ²)` for `τ ≤ −1.61`,
//! `p = Φ(1.7339 + 0.93202·τ − 0.12745·τ² − 0.010368·τ³)` above; 0 below −18.83, 1 above 2.74.
//! It is asymptotic: on short windows it is not exact, which is why the diagnostics also run
//! the test on a random walk with the data's volatility.

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

/// statsmodels' default maximum lag for `n` points: `min(⌈12·(n/100)^¼⌉, n/2 − 2)`
/// (Schwert 1989; the second bound keeps the regression over-determined). None below 4 points.
pub fn default_max_lag(points: usize) -> Option<usize> {
    let schwert = (12.0 * (points as f64 / 100.0).powf(0.25)).ceil() as usize;
    let bound = (points / 2).checked_sub(2)?;
    Some(schwert.min(bound))
}

/// The ADF test with statsmodels' `adfuller` defaults: constant, lag order by AIC up to
/// [`default_max_lag`], MacKinnon p-value. None when the series is too short, not finite or
/// degenerate (a constant series).
pub fn adfuller(series: &[f64]) -> Option<AdfResult> {
    adf_autolag(series, default_max_lag(series.len())?)
}

/// The ADF test with the lag order chosen by AIC among `0..=max_lags` (see the module docs).
pub fn adf_autolag(series: &[f64], max_lags: usize) -> Option<AdfResult> {
    if series.iter().any(|value| !value.is_finite()) {
        return None;
    }
    let first = max_lags + 1;
    let rows = series.len().checked_sub(first)?;
    if rows < max_lags + 3 {
        return None;
    }
    let shift = series[0];
    let diff = |t: usize| series[t] - series[t - 1];
    let mut columns = vec![vec![1.0; rows], vec![0.0; rows]];
    columns.extend((0..max_lags).map(|_| vec![0.0; rows]));
    let mut y = vec![0.0; rows];
    for (row, t) in (first..series.len()).enumerate() {
        columns[1][row] = series[t - 1] - shift;
        for j in 1..=max_lags {
            columns[j + 1][row] = diff(t - j);
        }
        y[row] = diff(t);
    }
    let usable = householder(&mut columns, &mut y);
    let m = rows as f64;
    let mut best: Option<(f64, usize)> = None;
    for lags in 0..=max_lags {
        let regressors = lags + 2;
        if regressors > usable {
            break;
        }
        let ssr: f64 = y[regressors..].iter().map(|value| value * value).sum();
        if ssr.is_nan() || ssr <= 0.0 {
            continue;
        }
        let aic = m * ((2.0 * std::f64::consts::PI).ln() + (ssr / m).ln() + 1.0)
            + 2.0 * regressors as f64;
        if best.is_none_or(|(lowest, _)| aic < lowest) {
            best = Some((aic, lags));
        }
    }
    adf_test(series, best?.1)
}

/// The ADF test of `series` with exactly `lags` lagged differences; `None` when the series is
/// too short (fewer than `lags + 2` + 3 rows), not finite, or the regression is singular (a
/// constant series).
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
    let shift = series[first - 1];
    let diff = |t: usize| series[t] - series[t - 1];
    // Columns (constant, Δx_{t−1}, …, Δx_{t−k}, level): with the level LAST, its coefficient
    // is z_p / R_pp and (XᵀX)⁻¹ at the level is 1 / R_pp², so τ = sign(R_pp)·z_p / s.
    let mut columns = vec![vec![1.0; rows]];
    columns.extend((0..lags).map(|_| vec![0.0; rows]));
    columns.push(vec![0.0; rows]);
    let mut y = vec![0.0; rows];
    for (row, t) in (first..series.len()).enumerate() {
        for (j, column) in columns.iter_mut().enumerate().take(lags + 1).skip(1) {
            column[row] = diff(t - j);
        }
        columns[lags + 1][row] = series[t - 1] - shift;
        y[row] = diff(t);
    }
    if householder(&mut columns, &mut y) < regressors {
        return None;
    }
    let level = regressors - 1;
    let ssr: f64 = y[regressors..].iter().map(|value| value * value).sum();
    let s = (ssr / (rows - regressors) as f64).sqrt();
    let r = columns[level][level];
    if !(s.is_finite() && s > 0.0) {
        return None;
    }
    let statistic = r.signum() * y[level] / s;
    Some(AdfResult {
        statistic,
        p_value: mackinnon_p_value(statistic),
        observations: rows,
        lags,
    })
}

/// Householder QR in place: afterwards column j holds R's column j in rows `0..=j` (zeros
/// below) and `y` holds Qᵀy. Returns how many leading columns are linearly independent (a
/// column whose remaining norm is below 1e-10 of its original norm, or exactly zero, stops
/// the factorization there).
fn householder(columns: &mut [Vec<f64>], y: &mut [f64]) -> usize {
    let rows = y.len();
    for j in 0..columns.len().min(rows) {
        let original = norm(&columns[j]);
        let (head, tail) = columns.split_at_mut(j + 1);
        let v = &mut head[j];
        let remaining = norm(&v[j..]);
        if !(original > 0.0 && remaining > original * 1e-10) {
            return j;
        }
        let alpha = if v[j] > 0.0 { -remaining } else { remaining };
        v[j] -= alpha;
        let v_norm_squared: f64 = v[j..].iter().map(|value| value * value).sum();
        let reflect = |target: &mut [f64]| {
            let dot: f64 = v[j..].iter().zip(&target[j..]).map(|(a, b)| a * b).sum();
            let factor = 2.0 * dot / v_norm_squared;
            for (value, direction) in target[j..].iter_mut().zip(&v[j..]) {
                *value -= factor * direction;
            }
        };
        for other in tail.iter_mut() {
            reflect(other);
        }
        reflect(y);
        v[j] = alpha;
        v[j + 1..].fill(0.0);
    }
    columns.len().min(rows)
}

fn norm(values: &[f64]) -> f64 {
    values.iter().map(|value| value * value).sum::<f64>().sqrt()
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

/// Standard normal CDF, `½·erfc(−x/√2)` with musl's `erfc` (libm: within about 1 ulp, as
/// scipy's `norm.cdf` that statsmodels calls).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dickey_fuller_hand_example() {
        // x = 1, 3, 2, 4, 2: pairs (x_{t−1}, Δx) = (1, 2), (3, −1), (2, 2), (4, −2).
        // The regression needs 5 rows for 2 regressors; repeat the pattern.
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
        assert!((a.statistic - b.statistic).abs() < 1e-9);
        assert_eq!(a.observations, 6);
    }

    #[test]
    fn constant_or_non_finite_series_has_no_test() {
        assert_eq!(adf_test(&[5.0; 20], 0), None);
        assert_eq!(adfuller(&[5.0; 20]), None);
        assert_eq!(adf_test(&[1.0, f64::NAN, 2.0, 3.0, 1.0, 2.0, 4.0], 0), None);
    }

    #[test]
    fn default_max_lag_is_statsmodels_schwert_bound() {
        // n = 240: 12·2.4^¼ = 12·1.24467 = 14.936 → 15; n/2 − 2 = 118 → 15.
        assert_eq!(default_max_lag(240), Some(15));
        // n = 100: 12 exactly; n = 20: ⌈12·0.2^¼⌉ = ⌈8.025⌉ = 9 but 20/2 − 2 = 8.
        assert_eq!(default_max_lag(100), Some(12));
        assert_eq!(default_max_lag(20), Some(8));
        assert_eq!(default_max_lag(3), None);
    }

    #[test]
    fn aic_picks_the_lag_of_an_ar2_in_differences() {
        // Δx_t = 0.6·Δx_{t−1} + noise on a stationary level: the AIC search over 0..=4
        // must pick at least one lag, and the chosen fit equals the fixed-lag test.
        let mut state: u64 = 7;
        let mut noise = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        };
        let mut x = vec![0.0, 0.0];
        for _ in 0..400 {
            let last = x[x.len() - 1];
            let change = x[x.len() - 1] - x[x.len() - 2];
            x.push(last + 0.6 * change - 0.05 * last + noise());
        }
        let chosen = adf_autolag(&x, 4).unwrap();
        assert!(chosen.lags >= 1, "{chosen:?}");
        assert_eq!(Some(chosen), adf_test(&x, chosen.lags));
        assert_eq!(chosen.observations, x.len() - chosen.lags - 1);
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
        assert_eq!(normal_cdf(0.0), 0.5);
        assert!((normal_cdf(1.959_963_984_540_054) - 0.975).abs() < 1e-15);
        assert!((normal_cdf(-1.644_853_626_951_472_2) - 0.05).abs() < 1e-15);
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
        assert!(adfuller(&ar).unwrap().p_value < 0.01);
        assert!(!adfuller(&walk).unwrap().rejects_unit_root(0.01));
    }
}
