//! SPEC 3.3's feature-selection discipline, in order:
//! 1. variance filter: drop features with (almost) no variance or too many missing values;
//! 2. correlation filter: of two features with |Pearson r| > 0.95 (pairwise-complete rows)
//!    keep the earlier in matrix order;
//! 3. Boruta-style shadow features (Kursa & Rudnicki 2010): each round every feature gets a
//!    shadow copy, circularly shifted in time by a seeded offset (a time-series null that
//!    keeps serial correlation; Boruta's row shuffle does not), a GBDT is trained on features + shadows, and
//!    a feature scores a hit when its gain importance beats the best shadow's. Features with
//!    hits in more than half of the rounds are confirmed; the selection is the confirmed
//!    features by mean importance, capped at `max_features`, and — when fewer than
//!    `min_features` are confirmed — filled up with the next best by importance (the manifest
//!    says which were confirmed and which only filled the quota).

use auction_trader_types::SplitMix64;
use serde::{Deserialize, Serialize};

use crate::ModelError;
use crate::train::{BoostParams, TrainSet, train_binary};

/// Options of the three filters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SelectionOptions {
    /// Features with a variance at or below this are dropped.
    pub min_variance: f64,
    /// Features missing in a larger share of rows are dropped.
    pub max_missing_share: f64,
    /// |r| above this drops the later feature of the pair.
    pub max_correlation: f64,
    pub shadow_rounds: usize,
    /// Boosting iterations of each shadow round (no early stopping).
    pub shadow_iterations: usize,
    pub min_features: usize,
    pub max_features: usize,
    pub seed: u64,
}

impl Default for SelectionOptions {
    fn default() -> Self {
        Self {
            min_variance: 1e-12,
            max_missing_share: 0.5,
            max_correlation: 0.95,
            shadow_rounds: 5,
            shadow_iterations: 100,
            min_features: 30,
            max_features: 50,
            seed: 0x5eed_0003_5ad0,
        }
    }
}

/// Why a feature was left out before the shadow rounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dropped {
    pub feature: String,
    pub reason: String,
}

/// One feature's shadow-round record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShadowRecord {
    pub feature: String,
    /// Rounds in which it beat the best shadow.
    pub hits: usize,
    /// Mean gain importance over the rounds.
    pub mean_gain: f64,
    pub confirmed: bool,
    pub selected: bool,
}

/// The outcome of selection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectionReport {
    pub dropped: Vec<Dropped>,
    pub shadow: Vec<ShadowRecord>,
    /// Mean over rounds of the best shadow's gain.
    pub mean_best_shadow_gain: f64,
    /// Selected features, best first.
    pub selected: Vec<String>,
}

fn moments(values: &[f64]) -> (f64, f64, usize) {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let count = finite.len();
    if count == 0 {
        return (f64::NAN, 0.0, 0);
    }
    let mean = finite.iter().sum::<f64>() / count as f64;
    let variance = finite.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / count as f64;
    (mean, variance, count)
}

/// Pearson correlation over the rows where both values are finite (NaN under 3 rows).
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let pairs: Vec<(f64, f64)> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(x, y)| (*x, *y))
        .collect();
    if pairs.len() < 3 {
        return f64::NAN;
    }
    let n = pairs.len() as f64;
    let mean_a = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_b = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in &pairs {
        ab += (x - mean_a) * (y - mean_b);
        aa += (x - mean_a).powi(2);
        bb += (y - mean_b).powi(2);
    }
    if aa == 0.0 || bb == 0.0 {
        return f64::NAN;
    }
    ab / (aa * bb).sqrt()
}

/// Steps 1 and 2: the indices kept (matrix order) and what was dropped.
pub fn filter_features(
    names: &[String],
    columns: &[Vec<f64>],
    options: &SelectionOptions,
) -> (Vec<usize>, Vec<Dropped>) {
    let mut dropped = Vec::new();
    let mut candidates = Vec::new();
    for (index, (name, column)) in names.iter().zip(columns).enumerate() {
        let (_, variance, count) = moments(column);
        let missing = 1.0 - count as f64 / column.len().max(1) as f64;
        if missing > options.max_missing_share {
            dropped.push(Dropped {
                feature: name.clone(),
                reason: format!("missing in {:.1}% of rows", 100.0 * missing),
            });
        } else if variance <= options.min_variance {
            dropped.push(Dropped {
                feature: name.clone(),
                reason: format!("variance {variance:.3e} <= {:.0e}", options.min_variance),
            });
        } else {
            candidates.push(index);
        }
    }
    let mut kept: Vec<usize> = Vec::new();
    for index in candidates {
        let partner = kept.iter().find_map(|&other| {
            let r = pearson(&columns[index], &columns[other]);
            (r.abs() > options.max_correlation).then_some((other, r))
        });
        match partner {
            Some((other, r)) => dropped.push(Dropped {
                feature: names[index].clone(),
                reason: format!("|r| = {:.4} with {} (kept)", r.abs(), names[other]),
            }),
            None => kept.push(index),
        }
    }
    (kept, dropped)
}

/// Step 3 over the `candidates` (indices into `columns`); `progress` gets each finished
/// round's number.
pub fn shadow_select(
    names: &[String],
    columns: &[Vec<f64>],
    labels: &[f64],
    candidates: &[usize],
    params: &BoostParams,
    options: &SelectionOptions,
    progress: &mut dyn FnMut(usize),
) -> Result<(Vec<ShadowRecord>, f64), ModelError> {
    if options.min_features > options.max_features || options.max_features == 0 {
        return Err(ModelError::config(
            "selection",
            format!(
                "min_features ({}) must be <= max_features ({}) and max_features >= 1",
                options.min_features, options.max_features
            ),
        ));
    }
    let rows = labels.len();
    let mut random = SplitMix64::new(options.seed);
    let mut hits = vec![0usize; candidates.len()];
    let mut gains = vec![0.0; candidates.len()];
    let mut best_shadow_total = 0.0;
    let round_params = BoostParams {
        num_iterations: options.shadow_iterations.max(1),
        early_stopping_rounds: 0,
        ..*params
    };
    let mut round_names: Vec<String> = candidates.iter().map(|&i| names[i].clone()).collect();
    round_names.extend(candidates.iter().map(|&i| format!("shadow_{}", names[i])));
    for round in 0..options.shadow_rounds {
        let mut round_columns: Vec<Vec<f64>> =
            candidates.iter().map(|&i| columns[i].clone()).collect();
        for &index in candidates {
            // A circular shift by 10–90% of the rows: the shadow keeps the feature's
            // distribution AND its serial correlation (regimes, slow drifts) and loses its
            // alignment with the label. A row shuffle would destroy the serial structure, and
            // with overlapping forward-return labels real features could then beat their
            // shadows in sample by memorising regimes alone.
            let column = &columns[index];
            let offset = rows / 10 + random.below((rows * 8 / 10).max(1) as i64) as usize;
            let shadow: Vec<f64> = (0..rows).map(|i| column[(i + offset) % rows]).collect();
            round_columns.push(shadow);
        }
        let seeded = BoostParams {
            seed: params.seed ^ (round as u64 + 1),
            ..round_params
        };
        let set = TrainSet {
            columns: &round_columns,
            labels,
        };
        let trained = train_binary(&round_names, set, None, &seeded, &mut |_| {})?;
        let importance = trained.model.gain_importance();
        let (real, shadow) = importance.split_at(candidates.len());
        let best_shadow = shadow.iter().copied().fold(0.0, f64::max);
        best_shadow_total += best_shadow;
        for (slot, gain) in real.iter().enumerate() {
            gains[slot] += gain;
            if *gain > best_shadow {
                hits[slot] += 1;
            }
        }
        progress(round + 1);
    }
    let rounds = options.shadow_rounds.max(1) as f64;
    let mut records: Vec<ShadowRecord> = candidates
        .iter()
        .enumerate()
        .map(|(slot, &index)| ShadowRecord {
            feature: names[index].clone(),
            hits: hits[slot],
            mean_gain: gains[slot] / rounds,
            confirmed: 2 * hits[slot] > options.shadow_rounds,
            selected: false,
        })
        .collect();
    // Best first: confirmed, then by mean gain (name breaks exact ties).
    records.sort_by(|a, b| {
        b.confirmed
            .cmp(&a.confirmed)
            .then(b.mean_gain.total_cmp(&a.mean_gain))
            .then(a.feature.cmp(&b.feature))
    });
    let confirmed = records.iter().filter(|r| r.confirmed).count();
    let take = confirmed
        .clamp(options.min_features, options.max_features)
        .min(records.len());
    for record in records.iter_mut().take(take) {
        record.selected = true;
    }
    Ok((records, best_shadow_total / rounds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pearson_hand_worked() {
        // x = 1, 2, 3; y = 2, 4, 7: means 2 and 4.333; Σdxdy = 5, Σdx² = 2, Σdy² = 12.667
        // → r = 5 / √(25.333) = 0.99340.
        let r = pearson(&[1.0, 2.0, 3.0, f64::NAN], &[2.0, 4.0, 7.0, 1.0]);
        assert!((r - 5.0 / (2.0_f64 * 38.0 / 3.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn filters_drop_constant_sparse_and_correlated_features() {
        let names: Vec<String> = ["a", "constant", "sparse", "a_copy", "b"]
            .map(String::from)
            .to_vec();
        let a: Vec<f64> = (0..10).map(f64::from).collect();
        let copy: Vec<f64> = a.iter().map(|v| 2.0 * v + 1.0).collect();
        let b = vec![1.0, -1.0, 2.0, 0.0, 3.0, -2.0, 1.0, 0.5, -1.0, 2.0];
        let mut sparse = vec![f64::NAN; 10];
        sparse[0] = 1.0;
        sparse[1] = 2.0;
        let columns = vec![a, vec![5.0; 10], sparse, copy, b];
        let (kept, dropped) = filter_features(&names, &columns, &SelectionOptions::default());
        assert_eq!(kept, [0, 4]);
        let why: Vec<(&str, &str)> = dropped
            .iter()
            .map(|d| (d.feature.as_str(), d.reason.as_str()))
            .collect();
        assert_eq!(why[0], ("constant", "variance 0.000e0 <= 1e-12"));
        assert_eq!(why[1], ("sparse", "missing in 80.0% of rows"));
        assert_eq!(why[2], ("a_copy", "|r| = 1.0000 with a (kept)"));
    }

    #[test]
    fn shadows_confirm_the_informative_feature_only() {
        // Label = x0 > 0.5 with 10% flipped; x1..x3 pure noise.
        let mut random = SplitMix64::new(11);
        let rows = 1500;
        let columns: Vec<Vec<f64>> = (0..4)
            .map(|_| (0..rows).map(|_| random.unit()).collect())
            .collect();
        let labels: Vec<f64> = columns[0]
            .iter()
            .map(|v| {
                let flip = random.unit() < 0.1;
                f64::from(u8::from((*v > 0.5) != flip))
            })
            .collect();
        let names: Vec<String> = (0..4).map(|i| format!("x{i}")).collect();
        let params = BoostParams {
            min_data_in_leaf: 20,
            ..BoostParams::default()
        };
        let options = SelectionOptions {
            shadow_rounds: 3,
            shadow_iterations: 30,
            min_features: 1,
            max_features: 2,
            ..SelectionOptions::default()
        };
        let (records, _) = shadow_select(
            &names,
            &columns,
            &labels,
            &[0, 1, 2, 3],
            &params,
            &options,
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(records[0].feature, "x0");
        assert!(records[0].confirmed && records[0].hits == 3 && records[0].selected);
        let confirmed: Vec<&str> = records
            .iter()
            .filter(|r| r.confirmed)
            .map(|r| r.feature.as_str())
            .collect();
        assert_eq!(confirmed, ["x0"]);
        // min_features = 1: only the confirmed feature is selected.
        assert_eq!(records.iter().filter(|r| r.selected).count(), 1);
    }
}
