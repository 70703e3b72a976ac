//! Out-of-sample scores of the model over time splits (SPEC 6: purged k-fold and
//! walk-forward with an embargo). The windows come from the caller — the backtest crate's
//! `purged_folds` / `expanding_folds`, one implementation of the purge and embargo — with the
//! purge at least the label horizon, so no training label reaches into a test fold.
//!
//! Inside each fold, early stopping needs data the test fold has not seen: the last
//! `validation_share` of the fold's training rows (in time) is held out for it, and training
//! rows whose label reaches into that hold-out are purged.

use serde::{Deserialize, Serialize};

use crate::ModelError;
use crate::dataset::Dataset;
use crate::ensemble::Ensemble;
use crate::metrics::{auc, log_loss};
use crate::train::{BoostParams, TrainSet, Trained, train_binary};

/// A half-open time window `[from, to)` in UTC ns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeWindow {
    pub from: i64,
    pub to: i64,
}

impl TimeWindow {
    pub fn contains(&self, ts: i64) -> bool {
        ts >= self.from && ts < self.to
    }
}

/// One split: train on `train`, score on `test`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Split {
    pub number: usize,
    pub train: Vec<TimeWindow>,
    pub test: TimeWindow,
}

/// Scores of one fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldScore {
    pub number: usize,
    pub test: TimeWindow,
    pub train_rows: usize,
    pub test_rows: usize,
    pub best_iteration: usize,
    pub auc: f64,
    pub log_loss: f64,
    /// Log-loss of always predicting the training base rate (the bar to beat).
    pub base_log_loss: f64,
    /// Share of positive labels in the test fold.
    pub test_base_rate: f64,
}

/// Mean AUC over folds (NaN folds skipped).
pub fn mean_auc(scores: &[FoldScore]) -> f64 {
    let finite: Vec<f64> = scores
        .iter()
        .map(|s| s.auc)
        .filter(|a| a.is_finite())
        .collect();
    finite.iter().sum::<f64>() / finite.len().max(1) as f64
}

/// Trains on `data` holding out its last `validation_share` rows (by time) for early
/// stopping; rows whose label (`horizon` ns ahead) reaches into the hold-out are purged.
pub fn train_with_holdout(
    data: &Dataset,
    params: &BoostParams,
    validation_share: f64,
    horizon: i64,
    progress: &mut dyn FnMut(usize),
) -> Result<Trained, ModelError> {
    let mut order: Vec<usize> = (0..data.rows()).collect();
    order.sort_by_key(|&i| data.ts[i]);
    let cut = ((1.0 - validation_share) * order.len() as f64).round() as usize;
    let cut = cut.min(order.len());
    if cut == order.len() || validation_share <= 0.0 {
        let set = TrainSet {
            columns: &data.columns,
            labels: &data.labels,
        };
        return train_binary(&data.names, set, None, params, progress);
    }
    let holdout_start = data.ts[order[cut]];
    let train_index: Vec<usize> = order[..cut]
        .iter()
        .copied()
        .filter(|&i| data.ts[i] + horizon < holdout_start)
        .collect();
    let train = data.subset(&train_index);
    let valid = data.subset(&order[cut..]);
    train_binary(
        &data.names,
        TrainSet {
            columns: &train.columns,
            labels: &train.labels,
        },
        Some(TrainSet {
            columns: &valid.columns,
            labels: &valid.labels,
        }),
        params,
        progress,
    )
}

/// Probabilities of every row of `data` (columns in the model's order).
pub fn predict_all(model: &Ensemble, data: &Dataset) -> Vec<f64> {
    (0..data.rows())
        .map(|row| model.probability(&data.row(row)))
        .collect()
}

/// Trains and scores each split; `progress(fold)` after each.
pub fn cross_validate(
    data: &Dataset,
    splits: &[Split],
    params: &BoostParams,
    validation_share: f64,
    horizon: i64,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<FoldScore>, ModelError> {
    let mut scores = Vec::with_capacity(splits.len());
    for split in splits {
        let train_index: Vec<usize> = (0..data.rows())
            .filter(|&i| split.train.iter().any(|w| w.contains(data.ts[i])))
            .collect();
        let test_index: Vec<usize> = (0..data.rows())
            .filter(|&i| split.test.contains(data.ts[i]))
            .collect();
        let train = data.subset(&train_index);
        let test = data.subset(&test_index);
        let trained = train_with_holdout(&train, params, validation_share, horizon, &mut |_| {})
            .map_err(|error| match error {
                ModelError::Data(message) => {
                    ModelError::Data(format!("fold {}: {message}", split.number))
                }
                other => other,
            })?;
        let probabilities = predict_all(&trained.model, &test);
        let base = train.base_rate();
        scores.push(FoldScore {
            number: split.number,
            test: split.test,
            train_rows: train.rows(),
            test_rows: test.rows(),
            best_iteration: trained.best_iteration,
            auc: auc(&test.labels, &probabilities),
            log_loss: log_loss(&test.labels, &probabilities),
            base_log_loss: log_loss(&test.labels, &vec![base; test.rows()]),
            test_base_rate: test.base_rate(),
        });
        progress(split.number);
    }
    Ok(scores)
}

#[cfg(test)]
mod tests {
    use auction_trader_types::SplitMix64;

    use super::*;

    /// 2,000 minutes; label = x0 > 0.5 (10% flipped); x1 noise.
    fn data() -> Dataset {
        let mut random = SplitMix64::new(3);
        let rows = 2000;
        let x0: Vec<f64> = (0..rows).map(|_| random.unit()).collect();
        let x1: Vec<f64> = (0..rows).map(|_| random.unit()).collect();
        let labels: Vec<f64> = x0
            .iter()
            .map(|v| f64::from(u8::from((*v > 0.5) != (random.unit() < 0.1))))
            .collect();
        Dataset {
            names: vec!["x0".into(), "x1".into()],
            columns: vec![x0, x1],
            ts: (0..rows as i64).map(|m| m * 60).collect(),
            forward: labels.clone(),
            labels,
        }
    }

    #[test]
    fn folds_train_only_on_their_windows_and_score_out_of_sample() {
        let data = data();
        let splits = vec![
            Split {
                number: 1,
                train: vec![TimeWindow {
                    from: 60_000,
                    to: 120_000,
                }],
                test: TimeWindow {
                    from: 0,
                    to: 54_000,
                },
            },
            Split {
                number: 2,
                train: vec![TimeWindow {
                    from: 0,
                    to: 54_000,
                }],
                test: TimeWindow {
                    from: 60_000,
                    to: 120_000,
                },
            },
        ];
        let params = BoostParams {
            min_data_in_leaf: 20,
            num_iterations: 60,
            learning_rate: 0.2,
            ..BoostParams::default()
        };
        let scores = cross_validate(&data, &splits, &params, 0.2, 300, &mut |_| {}).unwrap();
        assert_eq!(scores[0].test_rows, 900);
        assert_eq!(scores[0].train_rows, 1000);
        assert_eq!(scores[1].train_rows, 900);
        for score in &scores {
            // 10% label noise: the best possible AUC is about 0.9.
            assert!(score.auc > 0.85 && score.auc < 0.95, "{score:?}");
            assert!(score.log_loss < score.base_log_loss);
        }
        assert!(mean_auc(&scores) > 0.85);
    }

    #[test]
    fn the_holdout_is_purged_by_the_horizon() {
        // 100 rows a minute apart; hold-out = the last 20 (from ts 4800); horizon 5 minutes
        // purges train rows with ts + 300 >= 4800, i.e. ts 4500..4740: 75 rows train.
        let mut data = data();
        data = data.subset(&(0..100).collect::<Vec<_>>());
        let params = BoostParams {
            min_data_in_leaf: 5,
            num_iterations: 3,
            ..BoostParams::default()
        };
        let mut seen = 0;
        let trained = train_with_holdout(&data, &params, 0.2, 300, &mut |i| seen = i).unwrap();
        assert_eq!(trained.valid_loss.len(), seen);
        let root_rows: u64 = trained.model.trees[0]
            .internal_count
            .first()
            .copied()
            .unwrap_or(0);
        // Bagging (0.8) draws from the 75 purged training rows only.
        assert!(root_rows <= 75 && root_rows > 40, "{root_rows}");
    }
}
