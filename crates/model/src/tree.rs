//! One regression tree in LightGBM's own layout (`src/io/tree.cpp`), so the text model file is
//! a plain dump of these arrays: internal nodes `0..num_leaves-1` with their split, children
//! encoded as a node index (>= 0) or `!leaf` (< 0, i.e. `-(leaf + 1)`), and per-leaf values
//! and data counts (the counts are the cover TreeSHAP weighs paths by).
//!
//! Decisions follow LightGBM's `NumericalDecision` with `missing_type = NaN` (the only kind
//! this crate writes): a NaN feature value goes to the node's default side, anything else
//! goes left when `value <= threshold`.

/// `decision_type` bit: NaN goes left (LightGBM `kDefaultLeftMask`).
pub const DEFAULT_LEFT_MASK: u8 = 2;
/// `decision_type` bits 2–3 = 2: missing values are NaN (LightGBM `MissingType::NaN`).
pub const MISSING_NAN: u8 = 2 << 2;

/// A numerical split of an internal node.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Split {
    /// Column index into the model's feature list.
    pub feature: usize,
    /// `value <= threshold` goes left.
    pub threshold: f64,
    /// NaN goes left (else right).
    pub default_left: bool,
    /// Loss reduction of the split (informational; LightGBM's `split_gain`).
    pub gain: f64,
}

/// A node reference: an internal node or a leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Child {
    Node(usize),
    Leaf(usize),
}

impl Child {
    /// LightGBM's encoding: node index, or `!leaf` (negative).
    pub fn encode(self) -> i64 {
        match self {
            Self::Node(node) => node as i64,
            Self::Leaf(leaf) => !(leaf as i64),
        }
    }

    pub fn decode(value: i64) -> Self {
        if value >= 0 {
            Self::Node(value as usize)
        } else {
            Self::Leaf((!value) as usize)
        }
    }
}

/// A tree: `splits.len() == num_leaves - 1` internal nodes (node 0 the root when any).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tree {
    pub splits: Vec<Split>,
    pub left: Vec<Child>,
    pub right: Vec<Child>,
    /// Output of each internal node before it was split (shrunk, informational).
    pub internal_value: Vec<f64>,
    /// Sum of hessians (LightGBM `internal_weight`).
    pub internal_weight: Vec<f64>,
    /// Training rows through each internal node (TreeSHAP cover).
    pub internal_count: Vec<u64>,
    /// Leaf outputs, already multiplied by the shrinkage.
    pub leaf_value: Vec<f64>,
    pub leaf_weight: Vec<f64>,
    pub leaf_count: Vec<u64>,
    /// The learning rate the leaves were multiplied by (1 for a tree holding the init score).
    pub shrinkage: f64,
}

impl Tree {
    /// A tree that answers `value` everywhere.
    pub fn constant(value: f64, count: u64) -> Self {
        Self {
            leaf_value: vec![value],
            leaf_weight: vec![0.0],
            leaf_count: vec![count],
            shrinkage: 1.0,
            ..Self::default()
        }
    }

    pub fn num_leaves(&self) -> usize {
        self.leaf_value.len()
    }

    /// The child a row takes at internal node `node`.
    pub fn decide(&self, node: usize, row: &[f64]) -> Child {
        let split = &self.splits[node];
        let value = row.get(split.feature).copied().unwrap_or(f64::NAN);
        let go_left = if value.is_nan() {
            split.default_left
        } else {
            value <= split.threshold
        };
        if go_left {
            self.left[node]
        } else {
            self.right[node]
        }
    }

    /// The leaf a row lands in.
    pub fn leaf_index(&self, row: &[f64]) -> usize {
        if self.splits.is_empty() {
            return 0;
        }
        let mut node = 0;
        loop {
            match self.decide(node, row) {
                Child::Node(next) => node = next,
                Child::Leaf(leaf) => return leaf,
            }
        }
    }

    /// The tree's output for one row (features in model order; NaN = missing).
    pub fn predict(&self, row: &[f64]) -> f64 {
        self.leaf_value[self.leaf_index(row)]
    }

    /// Adds `bias` to every output (LightGBM `Tree::AddBias`: the init score lives in the
    /// first tree, so a model file needs no separate base score).
    pub fn add_bias(&mut self, bias: f64) {
        for value in self.leaf_value.iter_mut().chain(&mut self.internal_value) {
            *value += bias;
        }
    }

    /// Rows through a node or leaf (TreeSHAP cover).
    pub fn count(&self, child: Child) -> f64 {
        match child {
            Child::Node(node) => self.internal_count[node] as f64,
            Child::Leaf(leaf) => self.leaf_count[leaf] as f64,
        }
    }

    /// Mean output over the training rows (LightGBM `Tree::ExpectedValue`).
    pub fn expected_value(&self) -> f64 {
        if self.splits.is_empty() {
            return self.leaf_value[0];
        }
        let total = self.internal_count[0] as f64;
        self.leaf_value
            .iter()
            .zip(&self.leaf_count)
            .map(|(value, count)| value * (*count as f64 / total))
            .sum()
    }

    /// Depth of the deepest leaf (root alone = 0).
    pub fn depth(&self) -> usize {
        fn walk(tree: &Tree, child: Child, depth: usize) -> usize {
            match child {
                Child::Leaf(_) => depth,
                Child::Node(node) => walk(tree, tree.left[node], depth + 1).max(walk(
                    tree,
                    tree.right[node],
                    depth + 1,
                )),
            }
        }
        if self.splits.is_empty() {
            0
        } else {
            walk(self, Child::Node(0), 0)
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Hand-built: root splits feature 0 at 0.5 (NaN right); its left child splits feature 1
    /// at 2.0 (NaN left). Leaves: 0 = (x0 <= 0.5, x1 <= 2) → 1.0 (30 rows), 1 = x0 > 0.5 →
    /// −1.0 (40 rows), 2 = (x0 <= 0.5, x1 > 2) → 3.0 (30 rows).
    pub(crate) fn two_level_tree() -> Tree {
        Tree {
            splits: vec![
                Split {
                    feature: 0,
                    threshold: 0.5,
                    default_left: false,
                    gain: 10.0,
                },
                Split {
                    feature: 1,
                    threshold: 2.0,
                    default_left: true,
                    gain: 4.0,
                },
            ],
            left: vec![Child::Node(1), Child::Leaf(0)],
            right: vec![Child::Leaf(1), Child::Leaf(2)],
            internal_value: vec![0.8, 2.0],
            internal_weight: vec![25.0, 15.0],
            internal_count: vec![100, 60],
            leaf_value: vec![1.0, -1.0, 3.0],
            leaf_weight: vec![7.5, 10.0, 7.5],
            leaf_count: vec![30, 40, 30],
            shrinkage: 1.0,
        }
    }

    #[test]
    fn decisions_follow_thresholds_and_default_sides() {
        let tree = two_level_tree();
        assert_eq!(tree.predict(&[0.5, 2.0]), 1.0); // both `<=` → left, left
        assert_eq!(tree.predict(&[0.6, 0.0]), -1.0);
        assert_eq!(tree.predict(&[0.0, 2.1]), 3.0);
        assert_eq!(tree.predict(&[f64::NAN, 0.0]), -1.0); // NaN at root → right
        assert_eq!(tree.predict(&[0.0, f64::NAN]), 1.0); // NaN at node 1 → left
        assert_eq!(tree.depth(), 2);
    }

    #[test]
    fn expected_value_weighs_leaves_by_count() {
        // (30·1 + 40·(−1) + 30·3) / 100 = 0.8
        assert!((two_level_tree().expected_value() - 0.8).abs() < 1e-15);
    }

    #[test]
    fn child_encoding_is_lightgbms() {
        assert_eq!(Child::Leaf(0).encode(), -1);
        assert_eq!(Child::Leaf(2).encode(), -3);
        assert_eq!(Child::decode(-3), Child::Leaf(2));
        assert_eq!(Child::decode(4), Child::Node(4));
    }
}
