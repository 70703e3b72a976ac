//! A binary classifier as a sum of trees: `raw = Σ tree(x)`, `p = 1 / (1 + e^(−σ·raw))`
//! (LightGBM `objective=binary sigmoid:σ`; the init score is folded into the first tree).

use crate::tree::Tree;

/// Observed range of a feature in the training data (LightGBM `feature_infos`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FeatureRange {
    /// `[min:max]` of the non-missing values.
    Range { min: f64, max: f64 },
    /// No usable value (LightGBM writes `none`).
    None,
}

/// A trained (or loaded) gradient-boosted binary classifier.
#[derive(Debug, Clone, PartialEq)]
pub struct Ensemble {
    /// Feature names in model order (a row passed to `predict` follows this order).
    pub feature_names: Vec<String>,
    pub feature_ranges: Vec<FeatureRange>,
    /// LightGBM's `sigmoid` parameter (1 for `binary`).
    pub sigmoid: f64,
    pub trees: Vec<Tree>,
    /// The `parameters:` section written after the trees (`[key: value]` lines), informational.
    pub parameters: Vec<(String, String)>,
}

impl Ensemble {
    pub fn num_features(&self) -> usize {
        self.feature_names.len()
    }

    /// Sum of tree outputs (log-odds).
    pub fn raw_score(&self, row: &[f64]) -> f64 {
        self.trees.iter().map(|tree| tree.predict(row)).sum()
    }

    /// Probability of class 1.
    pub fn probability(&self, row: &[f64]) -> f64 {
        sigmoid(self.sigmoid * self.raw_score(row))
    }

    /// Expected raw score over the training rows (the SHAP base value).
    pub fn expected_value(&self) -> f64 {
        self.trees.iter().map(Tree::expected_value).sum()
    }

    /// Total split gain per feature (LightGBM `importance_type="gain"`).
    pub fn gain_importance(&self) -> Vec<f64> {
        let mut importance = vec![0.0; self.num_features()];
        for tree in &self.trees {
            for split in &tree.splits {
                if let Some(slot) = importance.get_mut(split.feature) {
                    *slot += split.gain;
                }
            }
        }
        importance
    }

    /// Number of splits per feature (LightGBM `importance_type="split"`).
    pub fn split_importance(&self) -> Vec<u64> {
        let mut importance = vec![0; self.num_features()];
        for tree in &self.trees {
            for split in &tree.splits {
                if let Some(slot) = importance.get_mut(split.feature) {
                    *slot += 1;
                }
            }
        }
        importance
    }
}

/// The logistic function.
pub fn sigmoid(value: f64) -> f64 {
    1.0 / (1.0 + (-value).exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::tests::two_level_tree;

    #[test]
    fn probability_is_the_sigmoid_of_the_summed_trees() {
        let mut second = two_level_tree();
        second.leaf_value = vec![0.5, 0.5, 0.5];
        let model = Ensemble {
            feature_names: vec!["a".into(), "b".into()],
            feature_ranges: vec![FeatureRange::None; 2],
            sigmoid: 1.0,
            trees: vec![two_level_tree(), second],
            parameters: Vec::new(),
        };
        // Row (0, 0): 1.0 + 0.5 = 1.5 → 1 / (1 + e^−1.5) = 0.8175744761936437
        assert!((model.raw_score(&[0.0, 0.0]) - 1.5).abs() < 1e-15);
        assert!((model.probability(&[0.0, 0.0]) - 0.817_574_476_193_643_7).abs() < 1e-15);
        assert_eq!(model.split_importance(), [2, 2]);
        assert_eq!(model.gain_importance(), [20.0, 8.0]);
    }
}
