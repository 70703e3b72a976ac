//! Diagnostics of a feature matrix (SPEC 2.6): per feature the non-NaN count, mean, standard
//! deviation and the Pearson and Spearman correlations with every forward return, plus the
//! distribution of the OU half-life over the run (SPEC: "for BTC on 1-minute data typically
//! 15–60 minutes"; this report prints what is measured, whatever it is), and beside it the
//! ADF rejection rate and the same estimators on a seeded random walk with the data's
//! volatility ([`RandomWalkBenchmark`]: a half-life alone is not evidence). Text and JSON
//! (`Serialize`).
//!
//! Correlations use the rows where both the feature and the return are finite (pairwise
//! complete). Spearman is the Pearson correlation of the ranks, ties getting their average
//! rank. Standard deviation is the sample one (divisor n − 1). Quantiles interpolate linearly
//! between order statistics (Hyndman–Fan type 7, the numpy/pandas default).

use serde::Serialize;

use super::benchmark::{BENCHMARK_SEED, RandomWalkBenchmark};
use super::matrix::{ColumnRole, FeatureMatrix};

/// Column holding the OU half-life (minutes) whose distribution is reported.
pub const HALF_LIFE_COLUMN: &str = "ou_half_life_240";
/// Column holding the ADF p-value of the same windows.
pub const ADF_P_VALUE_COLUMN: &str = "adf_pvalue_240";
/// Quantiles of the half-life distribution.
pub const HALF_LIFE_QUANTILES: [f64; 7] = [0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95];

/// Correlation of one feature with one forward return.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReturnCorrelation {
    /// Forward-return column, e.g. `fwd_ret_5m`.
    pub target: String,
    /// Rows where both are finite.
    pub pairs: usize,
    pub pearson: Option<f64>,
    pub spearman: Option<f64>,
}

/// Summary of one feature column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureDiagnostics {
    pub name: String,
    /// Finite values.
    pub count: usize,
    pub mean: Option<f64>,
    pub std: Option<f64>,
    pub correlations: Vec<ReturnCorrelation>,
}

/// The OU half-life over the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HalfLifeDistribution {
    pub column: String,
    /// Rows of the run, and rows where a half-life was defined (mean-reverting window).
    pub rows: usize,
    pub defined: usize,
    /// (quantile, minutes).
    pub quantiles: Vec<(f64, f64)>,
    /// Share of the defined values within 15–60 minutes (the SPEC's typical BTC range).
    pub share_15_to_60: Option<f64>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiagnosticsReport {
    pub rows: usize,
    pub features: Vec<FeatureDiagnostics>,
    pub half_life: Option<HalfLifeDistribution>,
    /// The half-life and ADF evidence beside a random walk's (SPEC 2.6); present when the
    /// matrix has the close, `ou_half_life_240` and `adf_pvalue_240` columns.
    pub mean_reversion: Option<RandomWalkBenchmark>,
}

/// One feature/target pair of [`DiagnosticsReport::top_correlations`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankedCorrelation {
    pub feature: String,
    pub target: String,
    pub pairs: usize,
    pub spearman: f64,
    pub pearson: Option<f64>,
}

fn finite_values(values: &[f64]) -> Vec<f64> {
    values
        .iter()
        .copied()
        .filter(|value| value.is_finite())
        .collect()
}

/// Mean and sample standard deviation (two-pass); None below 1 (mean) or 2 (std) values.
fn mean_and_std(values: &[f64]) -> (Option<f64>, Option<f64>) {
    if values.is_empty() {
        return (None, None);
    }
    let count = values.len() as f64;
    let mean = values.iter().sum::<f64>() / count;
    if values.len() < 2 {
        return (Some(mean), None);
    }
    let squares = values
        .iter()
        .map(|value| (value - mean) * (value - mean))
        .sum::<f64>();
    (Some(mean), Some((squares / (count - 1.0)).sqrt()))
}

/// Pearson correlation (two-pass, centred); None below 3 pairs or when either side is flat.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 3 {
        return None;
    }
    let count = x.len() as f64;
    let mean_x = x.iter().sum::<f64>() / count;
    let mean_y = y.iter().sum::<f64>() / count;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        let (dx, dy) = (a - mean_x, b - mean_y);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    (sxx > 0.0 && syy > 0.0).then(|| (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// Ranks 1..n with ties sharing their average rank.
pub fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Positions start..end hold ranks start+1 ..= end: their mean is (start + 1 + end)/2.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &index in &order[start..end] {
            ranks[index] = rank;
        }
        start = end;
    }
    ranks
}

/// Spearman rank correlation (Pearson of average ranks).
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() {
        return None;
    }
    pearson(&average_ranks(x), &average_ranks(y))
}

/// Quantile `q` of sorted values, linear interpolation (type 7).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let position = q * (sorted.len() - 1) as f64;
    let lower = position.floor() as usize;
    let upper = position.ceil() as usize;
    let weight = position - lower as f64;
    Some(sorted[lower] + (sorted.get(upper)? - sorted[lower]) * weight)
}

impl DiagnosticsReport {
    /// Diagnoses every feature column of `matrix` against every forward-return column.
    pub fn from_matrix(matrix: &FeatureMatrix) -> Self {
        let targets: Vec<_> = matrix
            .columns_with(|role| matches!(role, ColumnRole::ForwardReturn { .. }))
            .collect();
        let features = matrix
            .columns_with(|role| role == ColumnRole::Feature)
            .map(|feature| {
                let finite = finite_values(&feature.values);
                let (mean, std) = mean_and_std(&finite);
                let correlations = targets
                    .iter()
                    .map(|target| {
                        let (x, y): (Vec<f64>, Vec<f64>) = feature
                            .values
                            .iter()
                            .zip(&target.values)
                            .filter(|(a, b)| a.is_finite() && b.is_finite())
                            .map(|(a, b)| (*a, *b))
                            .unzip();
                        ReturnCorrelation {
                            target: target.name.clone(),
                            pairs: x.len(),
                            pearson: pearson(&x, &y),
                            spearman: spearman(&x, &y),
                        }
                    })
                    .collect();
                FeatureDiagnostics {
                    name: feature.name.clone(),
                    count: finite.len(),
                    mean,
                    std,
                    correlations,
                }
            })
            .collect();
        let half_life = matrix.column(HALF_LIFE_COLUMN).map(|values| {
            let mut defined = finite_values(values);
            defined.sort_by(f64::total_cmp);
            let quantiles = HALF_LIFE_QUANTILES
                .iter()
                .filter_map(|&q| Some((q, quantile_sorted(&defined, q)?)))
                .collect();
            let inside = defined
                .iter()
                .filter(|&&minutes| (15.0..=60.0).contains(&minutes))
                .count();
            HalfLifeDistribution {
                column: HALF_LIFE_COLUMN.to_owned(),
                rows: values.len(),
                defined: defined.len(),
                quantiles,
                share_15_to_60: (!defined.is_empty()).then(|| inside as f64 / defined.len() as f64),
            }
        });
        let closes = matrix
            .columns_with(|role| role == ColumnRole::Close)
            .next()
            .map(|column| column.values.as_slice());
        let mean_reversion = match (
            closes,
            matrix.column(HALF_LIFE_COLUMN),
            matrix.column(ADF_P_VALUE_COLUMN),
        ) {
            (Some(closes), Some(half_lives), Some(p_values)) => {
                RandomWalkBenchmark::new(closes, half_lives, p_values, BENCHMARK_SEED)
            }
            _ => None,
        };
        Self {
            rows: matrix.rows(),
            features,
            half_life,
            mean_reversion,
        }
    }

    /// The `count` largest |Spearman| correlations over all feature/return pairs (ties and
    /// order by name, deterministic).
    pub fn top_correlations(&self, count: usize) -> Vec<RankedCorrelation> {
        let mut ranked: Vec<RankedCorrelation> = self
            .features
            .iter()
            .flat_map(|feature| {
                feature.correlations.iter().filter_map(|correlation| {
                    Some(RankedCorrelation {
                        feature: feature.name.clone(),
                        target: correlation.target.clone(),
                        pairs: correlation.pairs,
                        spearman: correlation.spearman?,
                        pearson: correlation.pearson,
                    })
                })
            })
            .collect();
        ranked.sort_by(|a, b| {
            b.spearman
                .abs()
                .total_cmp(&a.spearman.abs())
                .then_with(|| a.feature.cmp(&b.feature))
                .then_with(|| a.target.cmp(&b.target))
        });
        ranked.truncate(count);
        ranked
    }

    /// A plain-text table.
    pub fn to_text(&self) -> String {
        let number =
            |value: Option<f64>| value.map_or_else(|| "-".to_owned(), |v| format!("{v:.4}"));
        let mut text = format!("rows {}\n", self.rows);
        let targets: Vec<&str> = self
            .features
            .first()
            .map(|feature| {
                feature
                    .correlations
                    .iter()
                    .map(|correlation| correlation.target.as_str())
                    .collect()
            })
            .unwrap_or_default();
        text.push_str(&format!(
            "{:<28} {:>8} {:>12} {:>12}",
            "feature", "count", "mean", "std"
        ));
        for target in &targets {
            text.push_str(&format!(
                " {:>14} {:>14}",
                format!("P {target}"),
                format!("S {target}")
            ));
        }
        text.push('\n');
        for feature in &self.features {
            text.push_str(&format!(
                "{:<28} {:>8} {:>12} {:>12}",
                feature.name,
                feature.count,
                feature
                    .mean
                    .map_or_else(|| "-".to_owned(), |v| format!("{v:.6}")),
                feature
                    .std
                    .map_or_else(|| "-".to_owned(), |v| format!("{v:.6}")),
            ));
            for correlation in &feature.correlations {
                text.push_str(&format!(
                    " {:>14} {:>14}",
                    number(correlation.pearson),
                    number(correlation.spearman)
                ));
            }
            text.push('\n');
        }
        match &self.half_life {
            Some(distribution) => {
                text.push_str(&format!(
                    "OU half-life ({}, minutes): defined in {} of {} rows",
                    distribution.column, distribution.defined, distribution.rows
                ));
                for (q, minutes) in &distribution.quantiles {
                    text.push_str(&format!(" q{:.0}={minutes:.1}", q * 100.0));
                }
                text.push_str(&format!(
                    "; share within 15-60 min: {}\n",
                    distribution
                        .share_15_to_60
                        .map_or_else(|| "-".to_owned(), |share| format!("{:.1}%", share * 100.0))
                ));
            }
            None => text.push_str("OU half-life: column not in the matrix\n"),
        }
        match &self.mean_reversion {
            Some(benchmark) => text.push_str(&benchmark.to_text()),
            None => text.push_str(&format!(
                "mean-reversion evidence: needs the close, {HALF_LIFE_COLUMN} and \
                 {ADF_P_VALUE_COLUMN} columns\n"
            )),
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::UnixNanos;

    use super::*;
    use crate::matrix::MatrixColumn;

    #[test]
    fn hand_worked_correlations() {
        // x = 1, 2, 3, 4; y = 2, 4, 5, 9: mean x 2.5, mean y 5; dx = −1.5, −0.5, 0.5, 1.5;
        // dy = −3, −1, 0, 4; Sxy = 4.5 + 0.5 + 0 + 6 = 11; Sxx = 5; Syy = 9 + 1 + 0 + 16 = 26;
        // r = 11/sqrt(130) = 0.9647638. Ranks of y are 1, 2, 3, 4 → Spearman 1.
        let x = [1.0, 2.0, 3.0, 4.0];
        let y = [2.0, 4.0, 5.0, 9.0];
        assert!((pearson(&x, &y).unwrap() - 11.0 / 130.0_f64.sqrt()).abs() < 1e-12);
        assert!((pearson(&x, &y).unwrap() - 0.964_763_8).abs() < 1e-7);
        assert!((spearman(&x, &y).unwrap() - 1.0).abs() < 1e-12);
        // Ties: 10, 20, 20, 30 → ranks 1, 2.5, 2.5, 4.
        assert_eq!(
            average_ranks(&[10.0, 20.0, 20.0, 30.0]),
            [1.0, 2.5, 2.5, 4.0]
        );
        // Spearman with ties: ranks x 1, 2.5, 2.5, 4 vs y = 1, 2, 3, 4: dx = −1.5, 0, 0, 1.5;
        // dy = −1.5, −0.5, 0.5, 1.5; Sxy = 4.5; Sxx = 4.5; Syy = 5 → 4.5/sqrt(22.5) = 0.9486833.
        let rho = spearman(&[10.0, 20.0, 20.0, 30.0], &[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert!((rho - 0.948_683_3).abs() < 1e-7);
        assert_eq!(pearson(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None);
    }

    #[test]
    fn quantiles_type_seven() {
        // Sorted 10, 20, 30, 40: q = 0.5 → position 1.5 → 25; q = 0.9 → 2.7 → 37.
        let sorted = [10.0, 20.0, 30.0, 40.0];
        assert_eq!(quantile_sorted(&sorted, 0.5), Some(25.0));
        assert!((quantile_sorted(&sorted, 0.9).unwrap() - 37.0).abs() < 1e-12);
        assert_eq!(quantile_sorted(&[], 0.5), None);
    }

    #[test]
    fn report_over_a_small_matrix() {
        // Feature f = 1, NaN, 3, 4, 5 vs fwd_ret_1m = 0.1, 0.2, 0.3, 0.5, NaN:
        // pairs (1, 0.1), (3, 0.3), (4, 0.5) → 3 pairs; f mean over 4 finite = 13/4 = 3.25.
        // half-life 10, 20, 30, NaN, 50: defined 4; median 25; within 15–60: 3 of 4.
        let column = |name: &str, role, values: Vec<f64>| MatrixColumn {
            name: name.to_owned(),
            role,
            values,
        };
        let matrix = FeatureMatrix {
            ts: (1..=5).map(UnixNanos).collect(),
            columns: vec![
                column("close", ColumnRole::Close, vec![1.0; 5]),
                column("f", ColumnRole::Feature, vec![1.0, f64::NAN, 3.0, 4.0, 5.0]),
                column(
                    HALF_LIFE_COLUMN,
                    ColumnRole::Feature,
                    vec![10.0, 20.0, 30.0, f64::NAN, 50.0],
                ),
                column(
                    "fwd_ret_1m",
                    ColumnRole::ForwardReturn { minutes: 1 },
                    vec![0.1, 0.2, 0.3, 0.5, f64::NAN],
                ),
            ],
        };
        let report = DiagnosticsReport::from_matrix(&matrix);
        assert_eq!(report.features.len(), 2);
        let feature = &report.features[0];
        assert_eq!((feature.count, feature.mean), (4, Some(3.25)));
        assert_eq!(feature.correlations[0].pairs, 3);
        assert!((feature.correlations[0].spearman.unwrap() - 1.0).abs() < 1e-12);
        let half_life = report.half_life.as_ref().unwrap();
        assert_eq!(half_life.defined, 4);
        assert_eq!(half_life.quantiles[3], (0.5, 25.0));
        assert_eq!(half_life.share_15_to_60, Some(0.75));
        let top = report.top_correlations(1);
        assert_eq!(top[0].feature, "f");
        let text = report.to_text();
        assert!(
            text.contains("OU half-life") && text.contains("fwd_ret_1m"),
            "{text}"
        );
    }
}
