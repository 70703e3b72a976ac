//! LightGBM's text model format (`Booster.save_model` / `lgb.Booster(model_file=...)`,
//! version `v4`, as LightGBM 4.x writes it): a header, one `Tree=i` block per tree, `end of
//! trees`, feature importances and the parameters. Only what a numerical binary model needs is
//! read: categorical splits, linear trees and multi-class models are rejected with an error.
//!
//! Numbers are written in Rust's shortest round-trip form, so a threshold or leaf value read
//! back (by this crate or by LightGBM's parser) is the same `f64`. `tree_sizes` holds the
//! byte length of each tree block, as LightGBM uses it to load trees in parallel.

use std::fmt::Write as _;

use crate::ModelError;
use crate::ensemble::{Ensemble, FeatureRange};
use crate::tree::{Child, DEFAULT_LEFT_MASK, MISSING_NAN, Split, Tree};

/// Serializes a model as LightGBM text.
pub fn to_text(model: &Ensemble) -> String {
    let blocks: Vec<String> = model
        .trees
        .iter()
        .enumerate()
        .map(|(index, tree)| tree_block(index, tree))
        .collect();
    let mut text = String::new();
    text.push_str("tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n");
    let _ = writeln!(text, "max_feature_idx={}", model.num_features() as i64 - 1);
    let _ = writeln!(text, "objective=binary sigmoid:{}", model.sigmoid);
    let _ = writeln!(text, "feature_names={}", model.feature_names.join(" "));
    let infos: Vec<String> = model
        .feature_ranges
        .iter()
        .map(|range| match range {
            FeatureRange::Range { min, max } => format!("[{min:?}:{max:?}]"),
            FeatureRange::None => "none".to_owned(),
        })
        .collect();
    let _ = writeln!(text, "feature_infos={}", infos.join(" "));
    let sizes: Vec<String> = blocks.iter().map(|block| block.len().to_string()).collect();
    let _ = writeln!(text, "tree_sizes={}", sizes.join(" "));
    text.push('\n');
    for block in &blocks {
        text.push_str(block);
    }
    text.push_str("end of trees\n\nfeature_importances:\n");
    let splits = model.split_importance();
    let mut order: Vec<usize> = (0..model.num_features())
        .filter(|&index| splits[index] > 0)
        .collect();
    // LightGBM lists features by split count, descending (stable on ties).
    order.sort_by(|a, b| splits[*b].cmp(&splits[*a]));
    for index in order {
        let _ = writeln!(text, "{}={}", model.feature_names[index], splits[index]);
    }
    text.push_str("\nparameters:\n");
    for (key, value) in &model.parameters {
        let _ = writeln!(text, "[{key}: {value}]");
    }
    text.push_str("\nend of parameters\n\npandas_categorical:null\n");
    text
}

fn join<T>(values: &[T], format: impl Fn(&T) -> String) -> String {
    values.iter().map(format).collect::<Vec<_>>().join(" ")
}

fn float(value: &f64) -> String {
    format!("{value:?}")
}

/// `Tree=i` through the blank lines after `shrinkage=` (LightGBM's `tree_sizes` unit).
fn tree_block(index: usize, tree: &Tree) -> String {
    let mut block = String::new();
    let _ = writeln!(block, "Tree={index}");
    let _ = writeln!(block, "num_leaves={}", tree.num_leaves());
    block.push_str("num_cat=0\n");
    let _ = writeln!(
        block,
        "split_feature={}",
        join(&tree.splits, |split| split.feature.to_string())
    );
    let _ = writeln!(
        block,
        "split_gain={}",
        join(&tree.splits, |split| float(&split.gain))
    );
    let _ = writeln!(
        block,
        "threshold={}",
        join(&tree.splits, |split| float(&split.threshold))
    );
    let _ = writeln!(
        block,
        "decision_type={}",
        join(&tree.splits, |split| {
            let left = if split.default_left {
                DEFAULT_LEFT_MASK
            } else {
                0
            };
            (MISSING_NAN | left).to_string()
        })
    );
    let _ = writeln!(
        block,
        "left_child={}",
        join(&tree.left, |child| child.encode().to_string())
    );
    let _ = writeln!(
        block,
        "right_child={}",
        join(&tree.right, |child| child.encode().to_string())
    );
    let _ = writeln!(block, "leaf_value={}", join(&tree.leaf_value, float));
    // LightGBM leaves the weights of a single-leaf tree empty.
    let leaf_weight = if tree.splits.is_empty() {
        String::new()
    } else {
        join(&tree.leaf_weight, float)
    };
    let _ = writeln!(block, "leaf_weight={leaf_weight}");
    let _ = writeln!(
        block,
        "leaf_count={}",
        join(&tree.leaf_count, u64::to_string)
    );
    let _ = writeln!(
        block,
        "internal_value={}",
        join(&tree.internal_value, float)
    );
    let _ = writeln!(
        block,
        "internal_weight={}",
        join(&tree.internal_weight, float)
    );
    let _ = writeln!(
        block,
        "internal_count={}",
        join(&tree.internal_count, u64::to_string)
    );
    block.push_str("is_linear=0\n");
    let _ = writeln!(block, "shrinkage={}", tree.shrinkage);
    block.push_str("\n\n");
    block
}

/// Key/value lines of one section, with their 1-based line numbers.
struct Lines<'a> {
    lines: Vec<(usize, &'a str)>,
    position: usize,
}

impl<'a> Lines<'a> {
    fn next_pair(&mut self) -> Option<(usize, &'a str, &'a str)> {
        while let Some(&(number, line)) = self.lines.get(self.position) {
            self.position += 1;
            let line = line.trim_end_matches('\r');
            if line.is_empty() {
                continue;
            }
            let (key, value) = line.split_once('=').unwrap_or((line, ""));
            return Some((number, key, value));
        }
        None
    }

    fn peek_key(&self) -> Option<&'a str> {
        self.lines[self.position..]
            .iter()
            .map(|(_, line)| line.trim_end_matches('\r'))
            .find(|line| !line.is_empty())
            .map(|line| line.split_once('=').map_or(line, |(key, _)| key))
    }
}

fn format_error(line: usize, reason: impl Into<String>) -> ModelError {
    ModelError::Format {
        line,
        reason: reason.into(),
    }
}

fn parse_list<T: std::str::FromStr>(
    line: usize,
    key: &str,
    value: &str,
) -> Result<Vec<T>, ModelError> {
    value
        .split_whitespace()
        .map(|item| {
            item.parse::<T>()
                .map_err(|_| format_error(line, format!("{key}: cannot parse {item:?}")))
        })
        .collect()
}

/// Parses a LightGBM text model (binary objective, numerical splits).
pub fn from_text(text: &str) -> Result<Ensemble, ModelError> {
    let mut lines = Lines {
        lines: text.lines().enumerate().map(|(i, l)| (i + 1, l)).collect(),
        position: 0,
    };
    let mut feature_names: Option<Vec<String>> = None;
    let mut feature_ranges = Vec::new();
    let mut sigmoid = None;
    let mut max_feature_idx: Option<i64> = None;
    // Header up to the first tree.
    while let Some(key) = lines.peek_key() {
        if key == "Tree" || key == "end of trees" {
            break;
        }
        let Some((line, key, value)) = lines.next_pair() else {
            break;
        };
        match key {
            "tree" | "version" | "label_index" | "tree_sizes" => {}
            "num_class" | "num_tree_per_iteration" if value.trim() != "1" => {
                return Err(format_error(
                    line,
                    format!("{key}={value}: only binary models (one tree per iteration)"),
                ));
            }
            "num_class" | "num_tree_per_iteration" => {}
            "max_feature_idx" => {
                max_feature_idx = Some(value.trim().parse().map_err(|_| {
                    format_error(line, format!("max_feature_idx: cannot parse {value:?}"))
                })?);
            }
            "objective" => {
                let mut parts = value.split_whitespace();
                if parts.next() != Some("binary") {
                    return Err(format_error(
                        line,
                        format!("objective {value:?}: only `binary` models are supported"),
                    ));
                }
                let mut scale = 1.0;
                for part in parts {
                    if let Some(number) = part.strip_prefix("sigmoid:") {
                        scale = number.parse().map_err(|_| {
                            format_error(line, format!("objective: bad sigmoid {number:?}"))
                        })?;
                    }
                }
                sigmoid = Some(scale);
            }
            "feature_names" => {
                feature_names = Some(value.split_whitespace().map(str::to_owned).collect());
            }
            "feature_infos" => {
                feature_ranges = value
                    .split_whitespace()
                    .map(|info| parse_range(line, info))
                    .collect::<Result<_, _>>()?;
            }
            // Other header keys of newer versions (e.g. `monotone_constraints`) are ignored.
            _ => {}
        }
    }
    let feature_names =
        feature_names.ok_or_else(|| format_error(0, "no feature_names line in the header"))?;
    let sigmoid = sigmoid.ok_or_else(|| format_error(0, "no objective line in the header"))?;
    if let Some(max) = max_feature_idx
        && max + 1 != feature_names.len() as i64
    {
        return Err(format_error(
            0,
            format!(
                "max_feature_idx={max} but {} feature names",
                feature_names.len()
            ),
        ));
    }
    if feature_ranges.len() != feature_names.len() {
        feature_ranges = vec![FeatureRange::None; feature_names.len()];
    }
    let mut trees = Vec::new();
    while lines.peek_key() == Some("Tree") {
        let (line, _, _) = lines.next_pair().unwrap_or((0, "", ""));
        let tree = parse_tree(&mut lines, feature_names.len()).map_err(|error| match error {
            ModelError::Format { line: 0, reason } => {
                format_error(line, format!("tree {}: {reason}", trees.len()))
            }
            other => other,
        })?;
        trees.push(tree);
    }
    let mut parameters = Vec::new();
    let mut in_parameters = false;
    for (_, line) in &lines.lines[lines.position..] {
        let line = line.trim_end_matches('\r');
        if line == "parameters:" {
            in_parameters = true;
        } else if line == "end of parameters" {
            in_parameters = false;
        } else if in_parameters
            && let Some(inner) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']'))
            && let Some((key, value)) = inner.split_once(": ")
        {
            parameters.push((key.to_owned(), value.to_owned()));
        }
    }
    if trees.is_empty() {
        return Err(format_error(0, "the model has no trees"));
    }
    Ok(Ensemble {
        feature_names,
        feature_ranges,
        sigmoid,
        trees,
        parameters,
    })
}

fn parse_range(line: usize, info: &str) -> Result<FeatureRange, ModelError> {
    if info == "none" {
        return Ok(FeatureRange::None);
    }
    let inner = info
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .ok_or_else(|| format_error(line, format!("feature_infos: {info:?} is not [min:max]")))?;
    let (min, max) = inner
        .split_once(':')
        .ok_or_else(|| format_error(line, format!("feature_infos: {info:?} is not [min:max]")))?;
    let number = |text: &str| {
        text.parse::<f64>()
            .map_err(|_| format_error(line, format!("feature_infos: bad number {text:?}")))
    };
    Ok(FeatureRange::Range {
        min: number(min)?,
        max: number(max)?,
    })
}

/// The body of one `Tree=` block (errors carry line 0: the caller names the tree).
fn parse_tree(lines: &mut Lines<'_>, features: usize) -> Result<Tree, ModelError> {
    let mut fields: Vec<(usize, &str, &str)> = Vec::new();
    while let Some(key) = lines.peek_key() {
        if key == "Tree" || key == "end of trees" {
            break;
        }
        if let Some(pair) = lines.next_pair() {
            fields.push(pair);
        }
    }
    let field = |name: &str| fields.iter().find(|(_, key, _)| *key == name);
    let required =
        |name: &str| field(name).ok_or_else(|| format_error(0, format!("missing `{name}=`")));
    let (line, _, value) = required("num_leaves")?;
    let num_leaves: usize = value
        .trim()
        .parse()
        .map_err(|_| format_error(*line, format!("num_leaves: cannot parse {value:?}")))?;
    if num_leaves == 0 {
        return Err(format_error(*line, "num_leaves is 0"));
    }
    if let Some((line, _, value)) = field("num_cat")
        && value.trim() != "0"
    {
        return Err(format_error(*line, "categorical splits are not supported"));
    }
    if let Some((line, _, value)) = field("is_linear")
        && value.trim() != "0"
    {
        return Err(format_error(*line, "linear trees are not supported"));
    }
    let list_f64 = |name: &str| -> Result<Vec<f64>, ModelError> {
        match field(name) {
            Some((line, key, value)) => parse_list(*line, key, value),
            None => Ok(Vec::new()),
        }
    };
    let list_i64 = |name: &str| -> Result<Vec<i64>, ModelError> {
        match field(name) {
            Some((line, key, value)) => parse_list(*line, key, value),
            None => Ok(Vec::new()),
        }
    };
    let internal = num_leaves - 1;
    let split_feature = list_i64("split_feature")?;
    let split_gain = list_f64("split_gain")?;
    let threshold = list_f64("threshold")?;
    let decision_type = list_i64("decision_type")?;
    let left = list_i64("left_child")?;
    let right = list_i64("right_child")?;
    let leaf_value = list_f64("leaf_value")?;
    let leaf_weight = list_f64("leaf_weight")?;
    let leaf_count = list_i64("leaf_count")?;
    let internal_value = list_f64("internal_value")?;
    let internal_weight = list_f64("internal_weight")?;
    let internal_count = list_i64("internal_count")?;
    let (line, _, _) = required("leaf_value")?;
    let decision_line = field("decision_type").map_or(*line, |(line, _, _)| *line);
    for (name, length, want) in [
        ("split_feature", split_feature.len(), internal),
        ("threshold", threshold.len(), internal),
        ("decision_type", decision_type.len(), internal),
        ("left_child", left.len(), internal),
        ("right_child", right.len(), internal),
        ("leaf_value", leaf_value.len(), num_leaves),
    ] {
        if length != want {
            return Err(format_error(
                *line,
                format!("{name} has {length} values, num_leaves={num_leaves} needs {want}"),
            ));
        }
    }
    let shrinkage = match field("shrinkage") {
        Some((line, _, value)) => value
            .trim()
            .parse()
            .map_err(|_| format_error(*line, format!("shrinkage: cannot parse {value:?}")))?,
        None => 1.0,
    };
    let mut splits = Vec::with_capacity(internal);
    for node in 0..internal {
        let feature = split_feature[node];
        if feature < 0 || feature as usize >= features {
            return Err(format_error(
                *line,
                format!("split_feature {feature} outside the {features} features"),
            ));
        }
        let kind = decision_type[node];
        if kind & 1 != 0 {
            return Err(format_error(
                decision_line,
                "categorical splits are not supported",
            ));
        }
        let missing = (kind >> 2) & 3;
        if missing != 2 {
            // missing_type None/Zero: LightGBM maps NaN to 0.0 (and Zero treats 0 as
            // missing); only NaN-type models are exact here.
            return Err(format_error(
                decision_line,
                format!(
                    "decision_type {kind}: only missing_type=NaN is supported (train with \
                     use_missing=true and NaN missing values)"
                ),
            ));
        }
        splits.push(Split {
            feature: feature as usize,
            threshold: threshold[node],
            default_left: kind & i64::from(DEFAULT_LEFT_MASK) != 0,
            gain: split_gain.get(node).copied().unwrap_or(0.0),
        });
    }
    let check_child = |value: i64| -> Result<Child, ModelError> {
        let child = Child::decode(value);
        let valid = match child {
            Child::Node(node) => node < internal && node > 0,
            Child::Leaf(leaf) => leaf < num_leaves,
        };
        if valid {
            Ok(child)
        } else {
            Err(format_error(*line, format!("child {value} out of range")))
        }
    };
    let counts = |values: Vec<i64>, want: usize| -> Vec<u64> {
        if values.len() == want {
            values
                .into_iter()
                .map(|count| count.max(0) as u64)
                .collect()
        } else {
            vec![0; want]
        }
    };
    let pad = |values: Vec<f64>, want: usize| {
        if values.len() == want {
            values
        } else {
            vec![0.0; want]
        }
    };
    Ok(Tree {
        splits,
        left: left
            .into_iter()
            .map(check_child)
            .collect::<Result<_, _>>()?,
        right: right
            .into_iter()
            .map(check_child)
            .collect::<Result<_, _>>()?,
        internal_value: pad(internal_value, internal),
        internal_weight: pad(internal_weight, internal),
        internal_count: counts(internal_count, internal),
        leaf_weight: pad(leaf_weight, num_leaves),
        leaf_count: counts(leaf_count, num_leaves),
        leaf_value,
        shrinkage,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::tests::two_level_tree;

    fn two_tree_model() -> Ensemble {
        let mut second = Tree::constant(-0.25, 100);
        second.shrinkage = 0.1;
        Ensemble {
            feature_names: vec!["imbalance".into(), "zscore_60".into()],
            feature_ranges: vec![
                FeatureRange::Range {
                    min: -1.0,
                    max: 1.0,
                },
                FeatureRange::None,
            ],
            sigmoid: 1.0,
            trees: vec![two_level_tree(), second],
            parameters: vec![("learning_rate".into(), "0.1".into())],
        }
    }

    #[test]
    fn a_two_tree_model_round_trips_exactly() {
        let model = two_tree_model();
        let text = to_text(&model);
        let back = from_text(&text).unwrap();
        assert_eq!(back, model);
        // Row (0.2, 5.0): tree 0 → leaf 2 (x0 <= 0.5, x1 > 2) = 3.0; tree 1 → −0.25.
        assert_eq!(back.raw_score(&[0.2, 5.0]), 2.75);
        assert_eq!(to_text(&back), text);
    }

    #[test]
    fn the_text_has_lightgbms_layout() {
        let text = to_text(&two_tree_model());
        let tree0 = "Tree=0\nnum_leaves=3\nnum_cat=0\nsplit_feature=0 1\nsplit_gain=10.0 4.0\n\
                     threshold=0.5 2.0\ndecision_type=8 10\nleft_child=1 -1\nright_child=-2 -3\n\
                     leaf_value=1.0 -1.0 3.0\nleaf_weight=7.5 10.0 7.5\nleaf_count=30 40 30\n\
                     internal_value=0.8 2.0\ninternal_weight=25.0 15.0\n\
                     internal_count=100 60\nis_linear=0\nshrinkage=1\n\n\n";
        assert!(text.contains(tree0), "{text}");
        assert!(text.contains(&format!("tree_sizes={} ", tree0.len())));
        assert!(text.starts_with("tree\nversion=v4\nnum_class=1\n"));
        assert!(text.contains("feature_infos=[-1.0:1.0] none\n"));
        assert!(text.contains("feature_importances:\nimbalance=1\nzscore_60=1\n"));
        assert!(text.contains("[learning_rate: 0.1]"));
    }

    #[test]
    fn reads_a_file_written_by_lightgbm() {
        // Written by LightGBM 4.7.0 (Python, `Booster.save_model`), trimmed to its trees:
        // feature a has no NaN (decision_type 2 = missing None: rejected), so only b's
        // NaN-type split is kept in this fixture.
        let text = "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n\
                    max_feature_idx=1\nobjective=binary sigmoid:1\nfeature_names=a b\n\
                    feature_infos=[-2.7:2.5] [-2.7:3.1]\ntree_sizes=1\n\nTree=0\nnum_leaves=2\n\
                    num_cat=0\nsplit_feature=1\nsplit_gain=41.9217\n\
                    threshold=-0.62230816961985103\ndecision_type=8\nleft_child=-1\n\
                    right_child=-2\nleaf_value=-0.46054688726330961 -0.14415683857161543\n\
                    leaf_weight=5.58 16.75\nleaf_count=23 69\ninternal_value=-0.223254\n\
                    internal_weight=22.3353\ninternal_count=92\nis_linear=0\nshrinkage=1\n\n\n\
                    end of trees\n\nfeature_importances:\nb=1\n\nparameters:\n\
                    [boosting: gbdt]\n\nend of parameters\n\npandas_categorical:null\n";
        let model = from_text(text).unwrap();
        assert_eq!(model.trees.len(), 1);
        assert_eq!(model.raw_score(&[0.0, -1.0]), -0.460_546_887_263_309_6);
        assert_eq!(model.raw_score(&[0.0, f64::NAN]), -0.144_156_838_571_615_43);
        assert_eq!(model.parameters, [("boosting".into(), "gbdt".into())]);
        let with_none = text.replace("decision_type=8", "decision_type=2");
        assert!(matches!(
            from_text(&with_none),
            Err(ModelError::Format { line: 18, .. })
        ));
    }

    #[test]
    fn rejects_what_it_cannot_score() {
        assert!(from_text("").is_err());
        let text = to_text(&two_tree_model());
        let multiclass = text.replace("num_class=1", "num_class=3");
        assert!(from_text(&multiclass).is_err());
        let regression = text.replace("objective=binary sigmoid:1", "objective=regression");
        assert!(from_text(&regression).is_err());
        let bad_child = text.replace("right_child=-2 -3", "right_child=-2 -9");
        assert!(from_text(&bad_child).is_err());
        let short = text.replace("threshold=0.5 2.0", "threshold=0.5");
        assert!(from_text(&short).is_err());
    }
}
