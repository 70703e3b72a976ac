//! The boosting loop for binary log-loss (LightGBM `objective=binary`): the init score is the
//! log-odds of the training labels' mean (`boost_from_average`, folded into the first tree),
//! each iteration fits a tree to the gradients `p − y` and hessians `p(1 − p)` of the in-bag
//! rows (seeded row bagging and per-tree feature sampling), and early stopping keeps the
//! iteration with the lowest validation log-loss.

use auction_trader_types::SplitMix64;
use serde::{Deserialize, Serialize};

use super::binning::{BinnedMatrix, MAX_BINS};
use super::grow::{TreeParams, grow_tree};
use crate::ModelError;
use crate::ensemble::{Ensemble, FeatureRange, sigmoid};
use crate::metrics::log_loss;

/// Boosting parameters; the defaults are SPEC 3.3's "conservative" set: shallow trees
/// (depth 4), few leaves, L1 and L2, a small learning rate, bagging and feature sampling,
/// early stopping.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BoostParams {
    pub num_iterations: usize,
    pub learning_rate: f64,
    pub num_leaves: usize,
    pub max_depth: usize,
    pub min_data_in_leaf: usize,
    pub min_sum_hessian_in_leaf: f64,
    pub lambda_l1: f64,
    pub lambda_l2: f64,
    pub min_gain_to_split: f64,
    /// Share of features each tree may use.
    pub feature_fraction: f64,
    /// Share of rows each bag holds (1 = no bagging).
    pub bagging_fraction: f64,
    /// Re-draw the bag every this many iterations (0 = no bagging).
    pub bagging_freq: usize,
    pub max_bin: usize,
    /// Stop after this many iterations without a better validation log-loss and keep the
    /// best iteration (0 = off: every iteration is kept).
    pub early_stopping_rounds: usize,
    pub seed: u64,
}

impl Default for BoostParams {
    fn default() -> Self {
        Self {
            num_iterations: 400,
            learning_rate: 0.03,
            num_leaves: 15,
            max_depth: 4,
            min_data_in_leaf: 100,
            min_sum_hessian_in_leaf: 1e-3,
            lambda_l1: 0.1,
            lambda_l2: 1.0,
            min_gain_to_split: 0.0,
            feature_fraction: 0.8,
            bagging_fraction: 0.8,
            bagging_freq: 1,
            max_bin: 63,
            early_stopping_rounds: 50,
            seed: 0x5eed_0003_0003,
        }
    }
}

impl BoostParams {
    pub fn validate(&self) -> Result<(), ModelError> {
        let bad = |field, reason: String| Err(ModelError::config(field, reason));
        if self.num_iterations == 0 {
            return bad("num_iterations", "must be at least 1".into());
        }
        if !(self.learning_rate > 0.0 && self.learning_rate <= 1.0) {
            return bad(
                "learning_rate",
                format!("must be in (0, 1], got {}", self.learning_rate),
            );
        }
        if self.num_leaves < 2 {
            return bad(
                "num_leaves",
                format!("must be >= 2, got {}", self.num_leaves),
            );
        }
        if self.min_data_in_leaf == 0 {
            return bad("min_data_in_leaf", "must be at least 1".into());
        }
        for (field, value) in [
            ("lambda_l1", self.lambda_l1),
            ("lambda_l2", self.lambda_l2),
            ("min_gain_to_split", self.min_gain_to_split),
            ("min_sum_hessian_in_leaf", self.min_sum_hessian_in_leaf),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return bad(field, format!("must be >= 0, got {value}"));
            }
        }
        for (field, value) in [
            ("feature_fraction", self.feature_fraction),
            ("bagging_fraction", self.bagging_fraction),
        ] {
            if !(value > 0.0 && value <= 1.0) {
                return bad(field, format!("must be in (0, 1], got {value}"));
            }
        }
        if !(2..=MAX_BINS).contains(&self.max_bin) {
            return bad(
                "max_bin",
                format!("must be in 2..={MAX_BINS}, got {}", self.max_bin),
            );
        }
        Ok(())
    }

    fn tree_params(&self) -> TreeParams {
        TreeParams {
            num_leaves: self.num_leaves,
            max_depth: self.max_depth,
            min_data_in_leaf: self.min_data_in_leaf,
            min_sum_hessian_in_leaf: self.min_sum_hessian_in_leaf,
            lambda_l1: self.lambda_l1,
            lambda_l2: self.lambda_l2,
            min_gain_to_split: self.min_gain_to_split,
            learning_rate: self.learning_rate,
        }
    }

    /// The parameters in LightGBM's own names, for the model file's `parameters:` section
    /// (and for training LightGBM itself with the same settings).
    pub fn lightgbm_parameters(&self) -> Vec<(String, String)> {
        let mut list: Vec<(&str, String)> = vec![
            ("boosting", "gbdt".into()),
            ("objective", "binary".into()),
            ("num_iterations", self.num_iterations.to_string()),
            ("learning_rate", self.learning_rate.to_string()),
            ("num_leaves", self.num_leaves.to_string()),
            ("max_depth", self.max_depth.to_string()),
            ("min_data_in_leaf", self.min_data_in_leaf.to_string()),
            (
                "min_sum_hessian_in_leaf",
                self.min_sum_hessian_in_leaf.to_string(),
            ),
            ("lambda_l1", self.lambda_l1.to_string()),
            ("lambda_l2", self.lambda_l2.to_string()),
            ("min_gain_to_split", self.min_gain_to_split.to_string()),
            ("feature_fraction", self.feature_fraction.to_string()),
            ("bagging_fraction", self.bagging_fraction.to_string()),
            ("bagging_freq", self.bagging_freq.to_string()),
            ("max_bin", self.max_bin.to_string()),
            (
                "early_stopping_round",
                self.early_stopping_rounds.to_string(),
            ),
            ("seed", self.seed.to_string()),
            ("use_missing", "1".into()),
            ("boost_from_average", "1".into()),
        ];
        list.sort_by_key(|(key, _)| *key);
        list.into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect()
    }
}

/// Training rows: feature columns (model order) and 0/1 labels.
#[derive(Debug, Clone, Copy)]
pub struct TrainSet<'a> {
    pub columns: &'a [Vec<f64>],
    pub labels: &'a [f64],
}

impl TrainSet<'_> {
    pub fn rows(&self) -> usize {
        self.labels.len()
    }

    /// Row-major copy of the features.
    pub fn row_major(&self) -> Vec<Vec<f64>> {
        (0..self.rows())
            .map(|row| self.columns.iter().map(|column| column[row]).collect())
            .collect()
    }
}

/// A trained model and how training went.
#[derive(Debug, Clone)]
pub struct Trained {
    pub model: Ensemble,
    /// Iterations kept (the best one under early stopping).
    pub best_iteration: usize,
    /// Validation log-loss per iteration (empty without a validation set).
    pub valid_loss: Vec<f64>,
}

fn check_set(set: &TrainSet<'_>, features: usize, what: &str) -> Result<(), ModelError> {
    if set.columns.len() != features {
        return Err(ModelError::Data(format!(
            "{what}: {} feature columns, expected {features}",
            set.columns.len()
        )));
    }
    if let Some(column) = set.columns.iter().find(|c| c.len() != set.rows()) {
        return Err(ModelError::Data(format!(
            "{what}: a column has {} values for {} labels",
            column.len(),
            set.rows()
        )));
    }
    if set
        .labels
        .iter()
        .any(|label| *label != 0.0 && *label != 1.0)
    {
        return Err(ModelError::Data(format!("{what}: labels must be 0 or 1")));
    }
    Ok(())
}

/// Trains a binary classifier on `train` (feature names in column order), early-stopping
/// on `valid` when given. `progress` is called after each iteration with its number.
pub fn train_binary(
    names: &[String],
    train: TrainSet<'_>,
    valid: Option<TrainSet<'_>>,
    params: &BoostParams,
    progress: &mut dyn FnMut(usize),
) -> Result<Trained, ModelError> {
    params.validate()?;
    check_set(&train, names.len(), "train")?;
    if let Some(valid) = &valid {
        check_set(valid, names.len(), "validation")?;
    }
    let rows = train.rows();
    let positives: f64 = train.labels.iter().sum();
    if rows < 2 * params.min_data_in_leaf || positives == 0.0 || positives == rows as f64 {
        return Err(ModelError::Data(format!(
            "{rows} training rows with {positives} positives: need both classes and at least \
             2 × min_data_in_leaf ({}) rows",
            params.min_data_in_leaf
        )));
    }
    let mean = positives / rows as f64;
    let init_score = (mean / (1.0 - mean)).ln();
    let binned = BinnedMatrix::new(train.columns, params.max_bin);
    let train_rows = train.row_major();
    let valid_rows = valid.map(|set| set.row_major());
    let tree_params = params.tree_params();
    let mut random = SplitMix64::new(params.seed);
    let mut scores = vec![init_score; rows];
    let mut valid_scores = vec![init_score; valid_rows.as_ref().map_or(0, Vec::len)];
    let mut gradients = vec![0.0; rows];
    let mut hessians = vec![0.0; rows];
    let mut bag: Vec<u32> = (0..rows as u32).collect();
    let mut trees = Vec::new();
    let mut valid_loss = Vec::new();
    let mut best = (0usize, f64::INFINITY);
    let all_features: Vec<usize> = (0..names.len()).collect();
    let feature_count =
        ((params.feature_fraction * names.len() as f64).round() as usize).clamp(1, names.len());
    for iteration in 0..params.num_iterations {
        for row in 0..rows {
            let probability = sigmoid(scores[row]);
            gradients[row] = probability - train.labels[row];
            hessians[row] = (probability * (1.0 - probability)).max(1e-16);
        }
        if params.bagging_freq > 0
            && params.bagging_fraction < 1.0
            && iteration % params.bagging_freq == 0
        {
            bag = (0..rows as u32)
                .filter(|_| random.unit() < params.bagging_fraction)
                .collect();
        }
        let mut features = all_features.clone();
        if feature_count < features.len() {
            // Partial Fisher–Yates: the first `feature_count` are a uniform sample.
            for index in 0..feature_count {
                let pick = index + random.below((features.len() - index) as i64) as usize;
                features.swap(index, pick);
            }
            features.truncate(feature_count);
            features.sort_unstable();
        }
        let mut tree = grow_tree(
            &binned,
            &gradients,
            &hessians,
            bag.clone(),
            &features,
            &tree_params,
        );
        for (score, row) in scores.iter_mut().zip(&train_rows) {
            *score += tree.predict(row);
        }
        if let Some(valid_rows) = &valid_rows {
            for (score, row) in valid_scores.iter_mut().zip(valid_rows) {
                *score += tree.predict(row);
            }
            let labels = valid.map_or(&[][..], |set| set.labels);
            let probabilities: Vec<f64> = valid_scores.iter().map(|s| sigmoid(*s)).collect();
            let loss = log_loss(labels, &probabilities);
            valid_loss.push(loss);
            if loss < best.1 {
                best = (iteration, loss);
            }
        }
        if iteration == 0 {
            tree.add_bias(init_score);
        }
        trees.push(tree);
        progress(iteration + 1);
        if valid_rows.is_some()
            && params.early_stopping_rounds > 0
            && iteration - best.0 >= params.early_stopping_rounds
        {
            break;
        }
    }
    let best_iteration = if valid_rows.is_some() && params.early_stopping_rounds > 0 {
        best.0 + 1
    } else {
        trees.len()
    };
    trees.truncate(best_iteration);
    let feature_ranges = train
        .columns
        .iter()
        .map(|column| {
            let finite = column.iter().copied().filter(|v| !v.is_nan());
            let (min, max) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
            if min <= max {
                FeatureRange::Range { min, max }
            } else {
                FeatureRange::None
            }
        })
        .collect();
    Ok(Trained {
        model: Ensemble {
            feature_names: names.to_vec(),
            feature_ranges,
            sigmoid: 1.0,
            trees,
            parameters: params.lightgbm_parameters(),
        },
        best_iteration,
        valid_loss,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// y = 1 exactly when x0 > 0.5; x1 is noise.
    fn separable(rows: usize) -> (Vec<Vec<f64>>, Vec<f64>) {
        let mut random = SplitMix64::new(7);
        let x0: Vec<f64> = (0..rows).map(|_| random.unit()).collect();
        let x1: Vec<f64> = (0..rows).map(|_| random.unit()).collect();
        let labels = x0.iter().map(|v| f64::from(u8::from(*v > 0.5))).collect();
        (vec![x0, x1], labels)
    }

    #[test]
    fn learns_a_threshold_and_is_deterministic() {
        let (columns, labels) = separable(400);
        let names = vec!["x0".to_owned(), "x1".to_owned()];
        let params = BoostParams {
            num_iterations: 30,
            learning_rate: 0.3,
            min_data_in_leaf: 10,
            ..BoostParams::default()
        };
        let set = TrainSet {
            columns: &columns,
            labels: &labels,
        };
        let first = train_binary(&names, set, None, &params, &mut |_| {}).unwrap();
        let second = train_binary(&names, set, None, &params, &mut |_| {}).unwrap();
        assert_eq!(first.model, second.model);
        assert_eq!(first.model.trees.len(), 30);
        assert!(first.model.probability(&[0.9, 0.5]) > 0.9);
        assert!(first.model.probability(&[0.1, 0.5]) < 0.1);
        let importance = first.model.gain_importance();
        assert!(importance[0] > 10.0 * importance[1], "{importance:?}");
    }

    #[test]
    fn the_first_tree_carries_the_init_score() {
        // 1 positive in 4: init = ln(0.25 / 0.75) = −1.0986; with no usable split the only
        // tree answers init + lr · (−T(G)/(H + λ2)).
        let columns = vec![vec![1.0, 1.0, 1.0, 1.0]];
        let labels = [1.0, 0.0, 0.0, 0.0];
        let params = BoostParams {
            num_iterations: 1,
            learning_rate: 0.5,
            min_data_in_leaf: 1,
            lambda_l1: 0.0,
            lambda_l2: 0.0,
            bagging_freq: 0,
            feature_fraction: 1.0,
            ..BoostParams::default()
        };
        let set = TrainSet {
            columns: &columns,
            labels: &labels,
        };
        let trained = train_binary(&["c".into()], set, None, &params, &mut |_| {}).unwrap();
        // p = 0.25 everywhere: G = 4·0.25 − 1 = 0, so the leaf adds 0.
        let init = (0.25_f64 / 0.75).ln();
        assert!((trained.model.raw_score(&[1.0]) - init).abs() < 1e-12);
    }

    #[test]
    fn early_stopping_keeps_the_best_iteration() {
        let (columns, labels) = separable(600);
        let names = vec!["x0".to_owned(), "x1".to_owned()];
        // Validation labels are the opposite: every tree makes validation worse.
        let flipped: Vec<f64> = labels.iter().map(|l| 1.0 - l).collect();
        let params = BoostParams {
            num_iterations: 100,
            learning_rate: 0.3,
            min_data_in_leaf: 10,
            early_stopping_rounds: 5,
            ..BoostParams::default()
        };
        let set = TrainSet {
            columns: &columns,
            labels: &labels,
        };
        let valid = TrainSet {
            columns: &columns,
            labels: &flipped,
        };
        let trained = train_binary(&names, set, Some(valid), &params, &mut |_| {}).unwrap();
        assert_eq!(trained.best_iteration, 1);
        assert_eq!(trained.model.trees.len(), 1);
        assert_eq!(trained.valid_loss.len(), 6);
    }

    #[test]
    fn rejects_one_class_and_bad_parameters() {
        let columns = vec![vec![0.0; 300]];
        let labels = vec![1.0; 300];
        let set = TrainSet {
            columns: &columns,
            labels: &labels,
        };
        let params = BoostParams::default();
        assert!(matches!(
            train_binary(&["c".into()], set, None, &params, &mut |_| {}),
            Err(ModelError::Data(_))
        ));
        let bad = BoostParams {
            learning_rate: 0.0,
            ..params
        };
        assert!(bad.validate().is_err());
    }
}
