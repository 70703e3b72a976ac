//! Growing one tree on gradient statistics, leaf-wise (best-first, as LightGBM): the leaf
//! whose best split gains most is split next, until `num_leaves` leaves, no positive gain, or
//! every leaf at `max_depth`.
//!
//! Split gain and leaf values are LightGBM's (`feature_histogram.hpp`) with L1 and L2
//! regularization: `T(G) = sign(G)·max(|G| − λ1, 0)`, leaf score `T(G)² / (H + λ2)`, leaf
//! output `−T(G) / (H + λ2)`, gain = score(left) + score(right) − score(parent). Missing values
//! go to whichever side gains more (both are tried); that side is the split's default.
//! A child's histogram is built from its rows only for the smaller child; the larger one is
//! the parent's minus it.

use super::binning::{BinnedMatrix, NAN_BIN};
use crate::tree::{Child, Split, Tree};

/// Parameters of one tree.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TreeParams {
    pub num_leaves: usize,
    /// Deepest leaf allowed (root = 0); 0 = unlimited.
    pub max_depth: usize,
    pub min_data_in_leaf: usize,
    pub min_sum_hessian_in_leaf: f64,
    pub lambda_l1: f64,
    pub lambda_l2: f64,
    pub min_gain_to_split: f64,
    /// Multiplies every leaf output (the shrinkage written to the model).
    pub learning_rate: f64,
}

/// Gradient, hessian and row count of a set of rows.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stats {
    pub gradient: f64,
    pub hessian: f64,
    pub count: u64,
}

impl Stats {
    fn add(&mut self, other: Stats) {
        self.gradient += other.gradient;
        self.hessian += other.hessian;
        self.count += other.count;
    }

    fn minus(self, other: Stats) -> Stats {
        Stats {
            gradient: self.gradient - other.gradient,
            hessian: self.hessian - other.hessian,
            count: self.count - other.count,
        }
    }
}

/// LightGBM `ThresholdL1`.
pub fn threshold_l1(gradient: f64, lambda_l1: f64) -> f64 {
    let magnitude = (gradient.abs() - lambda_l1).max(0.0);
    magnitude.copysign(gradient)
}

/// Loss reduction of a leaf holding `stats` (larger is better).
pub fn leaf_score(stats: Stats, params: &TreeParams) -> f64 {
    let numerator = threshold_l1(stats.gradient, params.lambda_l1);
    numerator * numerator / (stats.hessian + params.lambda_l2)
}

/// The unshrunk leaf output.
pub fn leaf_output(stats: Stats, params: &TreeParams) -> f64 {
    -threshold_l1(stats.gradient, params.lambda_l1) / (stats.hessian + params.lambda_l2)
}

/// The best split found for a leaf.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SplitCandidate {
    pub feature: usize,
    /// Rows with bins `<= bin` go left.
    pub bin: u8,
    pub default_left: bool,
    /// Gain over the parent's score minus `min_gain_to_split` (LightGBM's `split_gain`).
    pub gain: f64,
    pub left: Stats,
    pub right: Stats,
}

/// Per-feature histograms of one leaf, flattened (`offsets[f]..offsets[f+1]`, NaN last).
#[derive(Debug, Clone)]
struct Histogram(Vec<Stats>);

/// Layout of a histogram over the features.
struct Layout {
    offsets: Vec<usize>,
}

impl Layout {
    fn new(binned: &BinnedMatrix) -> Self {
        let mut offsets = vec![0];
        for mapper in &binned.mappers {
            let last = offsets[offsets.len() - 1];
            offsets.push(last + mapper.bins() + 1);
        }
        Self { offsets }
    }

    fn size(&self) -> usize {
        self.offsets[self.offsets.len() - 1]
    }

    fn build(
        &self,
        binned: &BinnedMatrix,
        features: &[usize],
        rows: &[u32],
        gradients: &[f64],
        hessians: &[f64],
    ) -> Histogram {
        let mut histogram = vec![Stats::default(); self.size()];
        for &feature in features {
            let offset = self.offsets[feature];
            let nan = self.offsets[feature + 1] - 1;
            let column = &binned.bins[feature];
            for &row in rows {
                let row = row as usize;
                let bin = column[row];
                let slot = if bin == NAN_BIN {
                    nan
                } else {
                    offset + bin as usize
                };
                let entry = &mut histogram[slot];
                entry.gradient += gradients[row];
                entry.hessian += hessians[row];
                entry.count += 1;
            }
        }
        Histogram(histogram)
    }
}

/// The best split of a leaf with `total` over the allowed `features`, if any gains.
pub fn best_split(
    histogram: &[Stats],
    offsets: &[usize],
    features: &[usize],
    total: Stats,
    params: &TreeParams,
) -> Option<SplitCandidate> {
    let parent = leaf_score(total, params) + params.min_gain_to_split;
    let mut best: Option<SplitCandidate> = None;
    for &feature in features {
        let bins = &histogram[offsets[feature]..offsets[feature + 1]];
        let (values, nan) = bins.split_at(bins.len() - 1);
        let nan = nan[0];
        let sides: &[bool] = if nan.count > 0 {
            &[false, true]
        } else {
            &[false]
        };
        for &default_left in sides {
            let mut left = if default_left { nan } else { Stats::default() };
            // The last value bin is unbounded: putting it left too is no split.
            for (bin, stats) in values.iter().enumerate().take(values.len() - 1) {
                left.add(*stats);
                let right = total.minus(left);
                if left.count < params.min_data_in_leaf as u64
                    || right.count < params.min_data_in_leaf as u64
                    || left.hessian < params.min_sum_hessian_in_leaf
                    || right.hessian < params.min_sum_hessian_in_leaf
                {
                    continue;
                }
                let gain = leaf_score(left, params) + leaf_score(right, params) - parent;
                if gain > 0.0 && best.is_none_or(|b| gain > b.gain) {
                    best = Some(SplitCandidate {
                        feature,
                        bin: bin as u8,
                        default_left,
                        gain,
                        left,
                        right,
                    });
                }
            }
        }
    }
    best
}

struct Leaf {
    rows: Vec<u32>,
    histogram: Histogram,
    total: Stats,
    depth: usize,
    best: Option<SplitCandidate>,
    /// The internal node pointing at this leaf, and whether as its left child.
    parent: Option<(usize, bool)>,
}

fn sum_stats(rows: &[u32], gradients: &[f64], hessians: &[f64]) -> Stats {
    let mut total = Stats::default();
    for &row in rows {
        total.gradient += gradients[row as usize];
        total.hessian += hessians[row as usize];
        total.count += 1;
    }
    total
}

/// Grows one tree on the in-bag `rows` using the allowed `features` (ascending).
pub fn grow_tree(
    binned: &BinnedMatrix,
    gradients: &[f64],
    hessians: &[f64],
    rows: Vec<u32>,
    features: &[usize],
    params: &TreeParams,
) -> Tree {
    let layout = Layout::new(binned);
    let can_split = |depth: usize| params.max_depth == 0 || depth < params.max_depth;
    let histogram = layout.build(binned, features, &rows, gradients, hessians);
    let total = sum_stats(&rows, gradients, hessians);
    let best = if can_split(0) {
        best_split(&histogram.0, &layout.offsets, features, total, params)
    } else {
        None
    };
    let mut leaves = vec![Leaf {
        rows,
        histogram,
        total,
        depth: 0,
        best,
        parent: None,
    }];
    let mut tree = Tree {
        shrinkage: params.learning_rate,
        ..Tree::default()
    };
    while leaves.len() < params.num_leaves.max(1) {
        let mut chosen: Option<(usize, SplitCandidate)> = None;
        for (index, leaf) in leaves.iter().enumerate() {
            if let Some(candidate) = leaf.best
                && chosen.is_none_or(|(_, best)| candidate.gain > best.gain)
            {
                chosen = Some((index, candidate));
            }
        }
        let Some((index, split)) = chosen else {
            break;
        };
        let node = tree.splits.len();
        let new_leaf = leaves.len();
        let mapper = &binned.mappers[split.feature];
        tree.splits.push(Split {
            feature: split.feature,
            threshold: mapper.upper[split.bin as usize],
            default_left: split.default_left,
            gain: split.gain,
        });
        tree.left.push(Child::Leaf(index));
        tree.right.push(Child::Leaf(new_leaf));
        let parent_total = leaves[index].total;
        tree.internal_value
            .push(leaf_output(parent_total, params) * params.learning_rate);
        tree.internal_weight.push(parent_total.hessian);
        tree.internal_count.push(parent_total.count);
        if let Some((parent, is_left)) = leaves[index].parent {
            if is_left {
                tree.left[parent] = Child::Node(node);
            } else {
                tree.right[parent] = Child::Node(node);
            }
        }
        let leaf = &mut leaves[index];
        let column = &binned.bins[split.feature];
        let (left_rows, right_rows): (Vec<u32>, Vec<u32>) = std::mem::take(&mut leaf.rows)
            .into_iter()
            .partition(|&row| {
                let bin = column[row as usize];
                if bin == NAN_BIN {
                    split.default_left
                } else {
                    bin <= split.bin
                }
            });
        let depth = leaf.depth + 1;
        let mut parent_histogram = std::mem::replace(&mut leaf.histogram, Histogram(Vec::new()));
        let left_is_smaller = left_rows.len() <= right_rows.len();
        let smaller_rows = if left_is_smaller {
            &left_rows
        } else {
            &right_rows
        };
        let smaller = layout.build(binned, features, smaller_rows, gradients, hessians);
        for (entry, small) in parent_histogram.0.iter_mut().zip(&smaller.0) {
            *entry = entry.minus(*small);
        }
        let (left_histogram, right_histogram) = if left_is_smaller {
            (smaller, parent_histogram)
        } else {
            (parent_histogram, smaller)
        };
        let best_of = |histogram: &Histogram, total: Stats| {
            if can_split(depth) {
                best_split(&histogram.0, &layout.offsets, features, total, params)
            } else {
                None
            }
        };
        let left_best = best_of(&left_histogram, split.left);
        let right_best = best_of(&right_histogram, split.right);
        leaves[index] = Leaf {
            rows: left_rows,
            histogram: left_histogram,
            total: split.left,
            depth,
            best: left_best,
            parent: Some((node, true)),
        };
        leaves.push(Leaf {
            rows: right_rows,
            histogram: right_histogram,
            total: split.right,
            depth,
            best: right_best,
            parent: Some((node, false)),
        });
    }
    for leaf in &leaves {
        tree.leaf_value
            .push(leaf_output(leaf.total, params) * params.learning_rate);
        tree.leaf_weight.push(leaf.total.hessian);
        tree.leaf_count.push(leaf.total.count);
    }
    tree
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(lambda_l1: f64) -> TreeParams {
        TreeParams {
            num_leaves: 8,
            max_depth: 3,
            min_data_in_leaf: 1,
            min_sum_hessian_in_leaf: 0.0,
            lambda_l1,
            lambda_l2: 1.0,
            min_gain_to_split: 0.0,
            learning_rate: 1.0,
        }
    }

    fn stats(gradient: f64, hessian: f64) -> Stats {
        Stats {
            gradient,
            hessian,
            count: 1,
        }
    }

    #[test]
    fn leaf_values_with_l1_and_l2() {
        // G = −2, H = 0.5, λ2 = 1: output 2 / 1.5 = 1.3333, score 4 / 1.5 = 2.6667.
        let p = params(0.0);
        assert!((leaf_output(stats(-2.0, 0.5), &p) - 4.0 / 3.0).abs() < 1e-15);
        assert!((leaf_score(stats(-2.0, 0.5), &p) - 8.0 / 3.0).abs() < 1e-15);
        // λ1 = 0.5 shrinks |G| to 1.5: output 1.5 / 1.5 = 1, score 2.25 / 1.5 = 1.5.
        let p = params(0.5);
        assert!((leaf_output(stats(-2.0, 0.5), &p) - 1.0).abs() < 1e-15);
        assert!((leaf_score(stats(-2.0, 0.5), &p) - 1.5).abs() < 1e-15);
        // |G| below λ1: no output at all.
        assert_eq!(leaf_output(stats(0.3, 0.5), &p), 0.0);
    }

    /// Feature values 1, 2, 3, 4 with gradients −1, −1, 1, 1 and hessians 0.25.
    fn four_rows(lambda_l1: f64) -> Tree {
        let binned = BinnedMatrix::new(&[vec![1.0, 2.0, 3.0, 4.0]], 16);
        grow_tree(
            &binned,
            &[-1.0, -1.0, 1.0, 1.0],
            &[0.25; 4],
            vec![0, 1, 2, 3],
            &[0],
            &TreeParams {
                num_leaves: 2,
                ..params(lambda_l1)
            },
        )
    }

    #[test]
    fn split_finding_hand_worked() {
        // Parent G = 0 (score 0). Cuts at 1.5, 2.5, 3.5:
        //   <= 1.5: L(−1, .25) R(1, .75) → 1/1.25 + 1/1.75 = 0.8 + 0.5714 = 1.3714
        //   <= 2.5: L(−2, .5)  R(2, .5)  → 4/1.5 + 4/1.5 = 5.3333 (best)
        //   <= 3.5: L(−1, .75) R(1, .25) → 1.3714
        let tree = four_rows(0.0);
        assert_eq!(tree.splits.len(), 1);
        assert_eq!(tree.splits[0].threshold, 2.5);
        assert!((tree.splits[0].gain - 16.0 / 3.0).abs() < 1e-12);
        // Leaves: −(−2)/1.5 = 1.3333 left, −1.3333 right; two rows each, hessian 0.5.
        assert!((tree.leaf_value[0] - 4.0 / 3.0).abs() < 1e-12);
        assert!((tree.leaf_value[1] + 4.0 / 3.0).abs() < 1e-12);
        assert_eq!(tree.leaf_count, [2, 2]);
        assert_eq!(tree.leaf_weight, [0.5, 0.5]);
        assert_eq!(tree.internal_count, [4]);
        // With λ1 = 0.5: scores 1.5 + 1.5 = 3, leaves ±1.
        let tree = four_rows(0.5);
        assert!((tree.splits[0].gain - 3.0).abs() < 1e-12);
        assert!((tree.leaf_value[0] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn missing_values_go_to_the_side_that_gains_more() {
        // Values 1, 2, NaN, NaN with gradients −1, 1, −1, −1 (hessians 1, λ2 = 1). One cut at
        // 1.5. NaN right: L(−1,1) R(−1,3) → 0.5 + 0.25 = 0.75; NaN left: L(−3,3) R(1,1)
        // → 2.25 + 0.5 = 2.75. Parent (−2, 4) scores 0.8: gain 1.95 with NaN left.
        let binned = BinnedMatrix::new(&[vec![1.0, 2.0, f64::NAN, f64::NAN]], 16);
        let tree = grow_tree(
            &binned,
            &[-1.0, 1.0, -1.0, -1.0],
            &[1.0; 4],
            vec![0, 1, 2, 3],
            &[0],
            &TreeParams {
                num_leaves: 2,
                ..params(0.0)
            },
        );
        assert!(tree.splits[0].default_left);
        assert!((tree.splits[0].gain - 1.95).abs() < 1e-12);
        assert_eq!(tree.leaf_count, [3, 1]);
        assert_eq!(tree.predict(&[f64::NAN]), tree.leaf_value[0]);
    }

    #[test]
    fn depth_and_leaf_limits_hold_and_min_data_blocks_splits() {
        let values: Vec<f64> = (0..64).map(f64::from).collect();
        let gradients: Vec<f64> = (0..64).map(|i| ((i * 7) % 5) as f64 - 2.0).collect();
        let binned = BinnedMatrix::new(&[values], 64);
        let rows: Vec<u32> = (0..64).collect();
        let tree = grow_tree(
            &binned,
            &gradients,
            &[1.0; 64],
            rows.clone(),
            &[0],
            &params(0.0),
        );
        assert!(tree.depth() <= 3 && tree.num_leaves() <= 8);
        let blocked = TreeParams {
            min_data_in_leaf: 40,
            ..params(0.0)
        };
        let tree = grow_tree(&binned, &gradients, &[1.0; 64], rows, &[0], &blocked);
        assert_eq!(tree.num_leaves(), 1);
    }
}
