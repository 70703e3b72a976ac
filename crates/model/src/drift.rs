//! Feature-drift statistics for live monitoring: each model feature's training distribution
//! as decile bins (plus a missing-value bin), and the population stability index of new
//! values against it: `PSI = Σ (a_i − e_i) · ln(a_i / e_i)` over the bins' shares (shares
//! floored at 1e-4 so an empty bin does not give infinity). Rule of thumb: < 0.1 stable,
//! 0.1–0.25 moderate shift, > 0.25 a shift the model was not trained on.

use serde::{Deserialize, Serialize};

/// Bins (deciles).
const QUANTILE_BINS: usize = 10;
/// Share floor in the PSI sum.
const SHARE_FLOOR: f64 = 1e-4;

/// One feature's training distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReference {
    pub feature: String,
    /// Upper bounds (inclusive) of the first bins; values above the last are in the last bin.
    pub edges: Vec<f64>,
    /// Share of training values per bin, then the share of missing values (last).
    pub shares: Vec<f64>,
}

impl DriftReference {
    /// The reference of `values` (NaN = missing): decile edges of the non-missing values.
    pub fn fit(feature: &str, values: &[f64]) -> Self {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        sorted.sort_by(f64::total_cmp);
        let mut edges: Vec<f64> = Vec::new();
        if !sorted.is_empty() {
            for bin in 1..QUANTILE_BINS {
                let edge = sorted[(sorted.len() * bin / QUANTILE_BINS).min(sorted.len() - 1)];
                // Ties (e.g. a flag feature) collapse into one edge.
                if edges.last().is_none_or(|last| edge > *last) {
                    edges.push(edge);
                }
            }
        }
        let mut reference = Self {
            feature: feature.to_owned(),
            edges,
            shares: Vec::new(),
        };
        reference.shares = reference.distribution(values);
        reference
    }

    fn bin(&self, value: f64) -> usize {
        if value.is_nan() {
            self.edges.len() + 1
        } else {
            self.edges.partition_point(|edge| *edge < value)
        }
    }

    /// Shares of `values` in this reference's bins (missing last).
    pub fn distribution(&self, values: &[f64]) -> Vec<f64> {
        let mut counts = vec![0usize; self.edges.len() + 2];
        for value in values {
            counts[self.bin(*value)] += 1;
        }
        let total = values.len().max(1) as f64;
        counts.iter().map(|count| *count as f64 / total).collect()
    }

    /// Population stability index of `values` against the training distribution.
    pub fn psi(&self, values: &[f64]) -> f64 {
        self.distribution(values)
            .iter()
            .zip(&self.shares)
            .map(|(actual, expected)| {
                let actual = actual.max(SHARE_FLOOR);
                let expected = expected.max(SHARE_FLOOR);
                (actual - expected) * (actual / expected).ln()
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psi_hand_worked() {
        // Training 0..100: decile edges 10, 20, …, 90 (values <= edge in the lower bin),
        // shares 0.11, 0.10 × 8, 0.09 and no missing.
        let training: Vec<f64> = (0..100).map(f64::from).collect();
        let reference = DriftReference::fit("x", &training);
        assert_eq!(
            reference.edges,
            [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0]
        );
        assert!((reference.shares[0] - 0.11).abs() < 1e-12);
        assert!((reference.shares[9] - 0.09).abs() < 1e-12);
        assert!(reference.psi(&training).abs() < 1e-12);
        // All new values in the top bin: (1 − 0.09)·ln(1/0.09) + Σ over the other nine bins
        // (1e-4 − e)·ln(1e-4/e); computed term by term below.
        let moved = vec![95.0; 50];
        let mut expected = (1.0 - 0.09) * (1.0 / 0.09_f64).ln();
        for share in [0.11_f64, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1] {
            expected += (1e-4 - share) * (1e-4 / share).ln();
        }
        assert!((reference.psi(&moved) - expected).abs() < 1e-9);
        assert!(reference.psi(&moved) > 0.25);
    }

    #[test]
    fn missing_values_have_their_own_bin() {
        let reference = DriftReference::fit("x", &[1.0, 1.0, f64::NAN, f64::NAN]);
        assert_eq!(reference.edges, [1.0]);
        assert_eq!(reference.shares, [0.5, 0.0, 0.5]);
        assert!(reference.psi(&[f64::NAN; 4]) > 1.0);
    }
}
