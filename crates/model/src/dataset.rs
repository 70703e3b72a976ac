//! Training data from a research feature matrix, and the label definition.
//!
//! LABEL (SPEC 3.3, "honest"): for a decision at the minute close `t`, the forward log
//! return `r = fwd_ret_<h>m[t] = ln(close[t+h] / close[t])` (the matrix's only look-ahead
//! column). The row is labelled 1 when `r > cost`, 0 when `r < −cost`, and left out when
//! `|r| <= cost` (a move a round trip's costs would eat: neither side was worth trading) or
//! when `r` is missing (the tail, gaps). `cost` is a log-return, e.g. 0.0014 for 2 × 5 bps
//! taker fees plus 2 × 2 bps of slippage. Features at `t` are causal (computed before the
//! event that closed the minute, see the features crate's matrix); the forward-return
//! columns and `close` are never features.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ModelError;

/// Prefix of the matrix's forward-return columns (look-ahead: never a feature).
pub const FORWARD_RETURN_PREFIX: &str = "fwd_ret_";
/// The matrix's close column (a price level: not a feature).
pub const CLOSE_COLUMN: &str = "close";

/// A feature matrix as read from its Parquet file: minute-close timestamps (UTC ns) and
/// named columns (NaN = missing).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Matrix {
    pub ts: Vec<i64>,
    pub columns: Vec<(String, Vec<f64>)>,
}

impl Matrix {
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        self.columns
            .iter()
            .find(|(column, _)| column == name)
            .map(|(_, values)| values.as_slice())
    }

    /// `sha256:<hex>` of the timestamps and every column (names and the bit patterns of the
    /// values, in order, NaN canonical): the data a model was trained on, independent of the file encoding.
    pub fn content_hash(&self) -> String {
        let mut hasher = Sha256::new();
        for stamp in &self.ts {
            hasher.update(stamp.to_le_bytes());
        }
        for (name, values) in &self.columns {
            hasher.update((name.len() as u64).to_le_bytes());
            hasher.update(name.as_bytes());
            for value in values {
                // Every NaN hashes alike (a Parquet NULL reads back as the canonical NaN).
                let bits = if value.is_nan() {
                    f64::NAN.to_bits()
                } else {
                    value.to_bits()
                };
                hasher.update(bits.to_le_bytes());
            }
        }
        let digest = hasher.finalize();
        let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
        format!("sha256:{hex}")
    }

    /// Names of the feature columns (everything but `close` and the forward returns).
    pub fn feature_names(&self) -> Vec<String> {
        self.columns
            .iter()
            .map(|(name, _)| name.clone())
            .filter(|name| name != CLOSE_COLUMN && !name.starts_with(FORWARD_RETURN_PREFIX))
            .collect()
    }
}

/// What a row's label is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelSpec {
    /// Forward horizon in minutes (the matrix must hold `fwd_ret_<h>m`).
    pub horizon_minutes: u32,
    /// Round-trip cost as a log return; moves within ±cost are not labelled.
    pub cost: f64,
}

impl LabelSpec {
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.horizon_minutes == 0 {
            return Err(ModelError::config("label.horizon_minutes", "must be >= 1"));
        }
        if !(self.cost.is_finite() && self.cost >= 0.0) {
            return Err(ModelError::config(
                "label.cost",
                format!("must be a non-negative log return, got {}", self.cost),
            ));
        }
        Ok(())
    }

    pub fn column(&self) -> String {
        format!("{FORWARD_RETURN_PREFIX}{}m", self.horizon_minutes)
    }

    /// Nanoseconds a label looks ahead.
    pub fn horizon_nanos(&self) -> i64 {
        i64::from(self.horizon_minutes) * auction_trader_types::NANOS_PER_MINUTE
    }

    /// The label of a forward return (None: not labelled).
    pub fn label(&self, forward: f64) -> Option<f64> {
        if forward > self.cost {
            Some(1.0)
        } else if forward < -self.cost {
            Some(0.0)
        } else {
            None
        }
    }
}

/// The labelled rows of a matrix over chosen features, column-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub names: Vec<String>,
    /// `columns[feature][row]`.
    pub columns: Vec<Vec<f64>>,
    pub labels: Vec<f64>,
    /// Minute close (UTC ns) of each row.
    pub ts: Vec<i64>,
    /// The forward return each label came from.
    pub forward: Vec<f64>,
}

impl Dataset {
    /// The labelled rows of `matrix` with `features` (in that order); `keep(ts)` chooses
    /// rows by time. An error names a missing column.
    pub fn from_matrix(
        matrix: &Matrix,
        features: &[String],
        label: &LabelSpec,
        keep: impl Fn(i64) -> bool,
    ) -> Result<Self, ModelError> {
        label.validate()?;
        let forward_name = label.column();
        let forward = matrix.column(&forward_name).ok_or_else(|| {
            ModelError::Data(format!(
                "the matrix has no {forward_name} column (build it with --horizons including \
                 {})",
                label.horizon_minutes
            ))
        })?;
        let sources: Vec<&[f64]> = features
            .iter()
            .map(|name| {
                matrix
                    .column(name)
                    .ok_or_else(|| ModelError::Data(format!("the matrix has no column {name}")))
            })
            .collect::<Result<_, _>>()?;
        let mut dataset = Self {
            names: features.to_vec(),
            columns: vec![Vec::new(); features.len()],
            labels: Vec::new(),
            ts: Vec::new(),
            forward: Vec::new(),
        };
        for (row, (&stamp, &value)) in matrix.ts.iter().zip(forward).enumerate() {
            let Some(label) = label.label(value) else {
                continue;
            };
            if !keep(stamp) {
                continue;
            }
            dataset.labels.push(label);
            dataset.ts.push(stamp);
            dataset.forward.push(value);
            for (column, source) in dataset.columns.iter_mut().zip(&sources) {
                column.push(source[row]);
            }
        }
        Ok(dataset)
    }

    pub fn rows(&self) -> usize {
        self.labels.len()
    }

    /// The rows at `indices`, all columns.
    pub fn subset(&self, indices: &[usize]) -> Self {
        Self {
            names: self.names.clone(),
            columns: self
                .columns
                .iter()
                .map(|column| indices.iter().map(|&i| column[i]).collect())
                .collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            ts: indices.iter().map(|&i| self.ts[i]).collect(),
            forward: indices.iter().map(|&i| self.forward[i]).collect(),
        }
    }

    /// The given feature columns (by index), all rows.
    pub fn select_features(&self, features: &[usize]) -> Self {
        Self {
            names: features.iter().map(|&f| self.names[f].clone()).collect(),
            columns: features.iter().map(|&f| self.columns[f].clone()).collect(),
            labels: self.labels.clone(),
            ts: self.ts.clone(),
            forward: self.forward.clone(),
        }
    }

    /// Row `index` in model order.
    pub fn row(&self, index: usize) -> Vec<f64> {
        self.columns.iter().map(|column| column[index]).collect()
    }

    /// Share of positive labels.
    pub fn base_rate(&self) -> f64 {
        self.labels.iter().sum::<f64>() / self.rows().max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix() -> Matrix {
        Matrix {
            ts: vec![60, 120, 180, 240],
            columns: vec![
                ("close".into(), vec![100.0, 101.0, 102.0, 103.0]),
                ("zscore_60".into(), vec![f64::NAN, 0.5, -0.5, 1.0]),
                ("fwd_ret_5m".into(), vec![0.002, -0.0005, -0.003, f64::NAN]),
            ],
        }
    }

    #[test]
    fn labels_are_signs_of_moves_beyond_the_cost() {
        let spec = LabelSpec {
            horizon_minutes: 5,
            cost: 0.001,
        };
        // +0.2% → 1; −0.05% is within the cost → dropped; −0.3% → 0; NaN → dropped.
        let data = Dataset::from_matrix(&matrix(), &["zscore_60".into()], &spec, |_| true).unwrap();
        assert_eq!(data.labels, [1.0, 0.0]);
        assert_eq!(data.ts, [60, 180]);
        assert!(data.columns[0][0].is_nan() && data.columns[0][1] == -0.5);
        let early =
            Dataset::from_matrix(&matrix(), &["zscore_60".into()], &spec, |t| t < 100).unwrap();
        assert_eq!(early.rows(), 1);
    }

    #[test]
    fn features_exclude_close_and_forward_returns_and_missing_columns_are_errors() {
        assert_eq!(matrix().feature_names(), ["zscore_60"]);
        let spec = LabelSpec {
            horizon_minutes: 15,
            cost: 0.0,
        };
        assert!(Dataset::from_matrix(&matrix(), &[], &spec, |_| true).is_err());
        let spec = LabelSpec {
            horizon_minutes: 5,
            cost: 0.0,
        };
        assert!(Dataset::from_matrix(&matrix(), &["nope".into()], &spec, |_| true).is_err());
    }

    #[test]
    fn the_content_hash_changes_with_any_value() {
        let mut other = matrix();
        assert_eq!(other.content_hash(), matrix().content_hash());
        other.columns[1].1[1] = 0.6;
        assert_ne!(other.content_hash(), matrix().content_hash());
    }
}
