//! Exact path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, "Consistent Individualized
//! Feature Attribution for Tree Ensembles", Algorithm 2), written after LightGBM's
//! `Tree::TreeSHAP` so `predict(pred_contrib=True)` of LightGBM on the same model file gives
//! the same numbers. The conditional expectation of a subtree when a feature is unknown
//! weighs both children by their training-row counts (the cover stored in the model file).
//!
//! Per row: one value per feature plus the base value (the expected raw score); they sum to
//! the raw score exactly (up to rounding): `Σ φ_i + E[f] = f(x)`.

use crate::ensemble::Ensemble;
use crate::tree::{Child, Tree};

/// No feature (the path's root element).
const NO_FEATURE: usize = usize::MAX;

#[derive(Debug, Clone, Copy)]
struct PathElement {
    feature: usize,
    zero_fraction: f64,
    one_fraction: f64,
    weight: f64,
}

const EMPTY: PathElement = PathElement {
    feature: NO_FEATURE,
    zero_fraction: 0.0,
    one_fraction: 0.0,
    weight: 0.0,
};

fn extend_path(path: &mut [PathElement], depth: usize, zero: f64, one: f64, feature: usize) {
    path[depth] = PathElement {
        feature,
        zero_fraction: zero,
        one_fraction: one,
        weight: if depth == 0 { 1.0 } else { 0.0 },
    };
    for i in (0..depth).rev() {
        path[i + 1].weight += one * path[i].weight * (i + 1) as f64 / (depth + 1) as f64;
        path[i].weight = zero * path[i].weight * (depth - i) as f64 / (depth + 1) as f64;
    }
}

fn unwind_path(path: &mut [PathElement], depth: usize, index: usize) {
    let one = path[index].one_fraction;
    let zero = path[index].zero_fraction;
    let mut next_one_portion = path[depth].weight;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let previous = path[i].weight;
            path[i].weight = next_one_portion * (depth + 1) as f64 / ((i + 1) as f64 * one);
            next_one_portion =
                previous - path[i].weight * zero * (depth - i) as f64 / (depth + 1) as f64;
        } else {
            path[i].weight = path[i].weight * (depth + 1) as f64 / (zero * (depth - i) as f64);
        }
    }
    for i in index..depth {
        path[i].feature = path[i + 1].feature;
        path[i].zero_fraction = path[i + 1].zero_fraction;
        path[i].one_fraction = path[i + 1].one_fraction;
    }
}

fn unwound_path_sum(path: &[PathElement], depth: usize, index: usize) -> f64 {
    let one = path[index].one_fraction;
    let zero = path[index].zero_fraction;
    let mut next_one_portion = path[depth].weight;
    let mut total = 0.0;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let part = next_one_portion * (depth + 1) as f64 / ((i + 1) as f64 * one);
            total += part;
            next_one_portion =
                path[i].weight - part * zero * ((depth - i) as f64 / (depth + 1) as f64);
        } else {
            total += (path[i].weight / zero) / ((depth - i) as f64 / (depth + 1) as f64);
        }
    }
    total
}

/// One recursion of Algorithm 2. `paths` holds every level's copy of the path (level
/// `depth` starts at `offset`).
#[allow(clippy::too_many_arguments)]
fn recurse(
    tree: &Tree,
    row: &[f64],
    phi: &mut [f64],
    child: Child,
    paths: &mut Vec<PathElement>,
    parent_offset: usize,
    mut depth: usize,
    zero: f64,
    one: f64,
    feature: usize,
) {
    // This level's path: a copy of the parent's, extended.
    let offset = parent_offset + depth;
    if paths.len() < offset + depth + 2 {
        paths.resize(offset + depth + 2, EMPTY);
    }
    if depth > 0 {
        paths.copy_within(parent_offset..parent_offset + depth, offset);
    }
    extend_path(&mut paths[offset..], depth, zero, one, feature);
    match child {
        Child::Leaf(leaf) => {
            let path = &paths[offset..];
            for i in 1..=depth {
                let weight = unwound_path_sum(path, depth, i);
                let element = path[i];
                phi[element.feature] +=
                    weight * (element.one_fraction - element.zero_fraction) * tree.leaf_value[leaf];
            }
        }
        Child::Node(node) => {
            let split_feature = tree.splits[node].feature;
            let hot = tree.decide(node, row);
            let cold = if hot == tree.left[node] {
                tree.right[node]
            } else {
                tree.left[node]
            };
            let cover = tree.count(Child::Node(node));
            let hot_zero = tree.count(hot) / cover;
            let cold_zero = tree.count(cold) / cover;
            let mut incoming_zero = 1.0;
            let mut incoming_one = 1.0;
            // A feature split on earlier in the path is undone and redone here.
            if let Some(index) = (0..=depth).find(|&i| paths[offset + i].feature == split_feature) {
                incoming_zero = paths[offset + index].zero_fraction;
                incoming_one = paths[offset + index].one_fraction;
                unwind_path(&mut paths[offset..], depth, index);
                depth -= 1;
            }
            recurse(
                tree,
                row,
                phi,
                hot,
                paths,
                offset,
                depth + 1,
                hot_zero * incoming_zero,
                incoming_one,
                split_feature,
            );
            recurse(
                tree,
                row,
                phi,
                cold,
                paths,
                offset,
                depth + 1,
                cold_zero * incoming_zero,
                0.0,
                split_feature,
            );
        }
    }
}

/// Adds one tree's contributions for `row` to `phi` (`num_features + 1` values, the last the
/// base value).
pub fn tree_shap(tree: &Tree, row: &[f64], phi: &mut [f64]) {
    let Some(bias) = phi.last_mut() else {
        return;
    };
    *bias += tree.expected_value();
    if tree.splits.is_empty() {
        return;
    }
    let mut paths = vec![EMPTY; 64];
    recurse(
        tree,
        row,
        phi,
        Child::Node(0),
        &mut paths,
        0,
        0,
        1.0,
        1.0,
        NO_FEATURE,
    );
}

/// SHAP values of one row for the whole model: `num_features` contributions then the base
/// value (expected raw score), in raw-score (log-odds) units.
pub fn shap_values(model: &Ensemble, row: &[f64]) -> Vec<f64> {
    let mut phi = vec![0.0; model.num_features() + 1];
    for tree in &model.trees {
        tree_shap(tree, row, &mut phi);
    }
    phi
}

/// Mean |SHAP| per feature over `rows` (row-major), the global importance SPEC 3.3 asks for.
pub fn mean_abs_shap(model: &Ensemble, rows: &[Vec<f64>]) -> Vec<f64> {
    let mut total = vec![0.0; model.num_features()];
    for row in rows {
        let phi = shap_values(model, row);
        for (sum, value) in total.iter_mut().zip(&phi) {
            *sum += value.abs();
        }
    }
    let count = rows.len().max(1) as f64;
    total.iter().map(|sum| sum / count).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ensemble::FeatureRange;
    use crate::tree::tests::two_level_tree;

    fn single(tree: Tree) -> Ensemble {
        Ensemble {
            feature_names: vec!["a".into(), "b".into()],
            feature_ranges: vec![FeatureRange::None; 2],
            sigmoid: 1.0,
            trees: vec![tree],
            parameters: Vec::new(),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn hand_worked_two_level_tree() {
        // E[f] = 0.8. Row (0, 0) lands in leaf 0 (1.0). Path-dependent expectations:
        // f({}) = 0.8, f({x0}) = (30·1 + 30·3)/60 = 2.0, f({x1}) = 0.6·1 + 0.4·(−1) = 0.2,
        // f({x0,x1}) = 1.0. φ0 = ½[(2.0−0.8) + (1.0−0.2)] = 1.0,
        // φ1 = ½[(0.2−0.8) + (1.0−2.0)] = −0.8; 1.0 − 0.8 = 1.0 − 0.8 (prediction − E[f]).
        let model = single(two_level_tree());
        let phi = shap_values(&model, &[0.0, 0.0]);
        assert!(
            close(phi[0], 1.0) && close(phi[1], -0.8) && close(phi[2], 0.8),
            "{phi:?}"
        );
        // Row (1, 0) lands in leaf 1 (−1): f({x0}) = −1, f({x1}) = 0.2, f({x0,x1}) = −1.
        // φ0 = ½[(−1−0.8) + (−1−0.2)] = −1.5, φ1 = ½[(0.2−0.8) + 0] = −0.3.
        let phi = shap_values(&model, &[1.0, 0.0]);
        assert!(close(phi[0], -1.5) && close(phi[1], -0.3), "{phi:?}");
    }

    #[test]
    fn a_feature_split_twice_on_one_path_is_counted_once() {
        // Root x0 <= 0.5 (100 rows) → left: node 1 x0 <= 0.2 (60 rows: leaves 2.0 / 4.0,
        // 20 / 40 rows); right: leaf −1 (40 rows). Only x0 matters, so φ0 = f(x) − E[f]:
        // E[f] = (20·2 + 40·(−1) + 40·4)/100 = 1.6; row 0.1 → 2.0: φ0 = 0.4, φ1 = 0.
        let mut tree = two_level_tree();
        tree.splits[1].feature = 0;
        tree.splits[1].threshold = 0.2;
        tree.leaf_value = vec![2.0, -1.0, 4.0];
        tree.leaf_count = vec![20, 40, 40];
        let phi = shap_values(&single(tree), &[0.1, 9.0]);
        assert!(
            close(phi[0], 0.4) && close(phi[1], 0.0) && close(phi[2], 1.6),
            "{phi:?}"
        );
    }

    #[test]
    fn values_sum_to_the_prediction_minus_the_expected_value() {
        let mut second = two_level_tree();
        second.splits[0].feature = 1;
        second.splits[1].feature = 0;
        second.leaf_value = vec![0.3, -0.7, 0.1];
        let mut model = single(two_level_tree());
        model.trees.push(second);
        for row in [
            [0.0, 0.0],
            [1.0, 5.0],
            [0.3, 2.5],
            [f64::NAN, 1.0],
            [0.7, f64::NAN],
        ] {
            let phi = shap_values(&model, &row);
            let sum: f64 = phi.iter().sum();
            assert!(close(sum, model.raw_score(&row)), "{row:?}: {sum}");
            assert!(close(phi[2], model.expected_value()));
        }
    }
}
