//! `model train` end to end: labelled rows of the matrix up to the training end, the
//! variance / correlation filters, shadow-feature selection, purged k-fold and walk-forward
//! scores, the final early-stopped model, TreeSHAP importances and drift references, and the
//! manifest. Deterministic: the same matrix and options give byte-identical files.

use serde::{Deserialize, Serialize};

use crate::ModelError;
use crate::dataset::{Dataset, LabelSpec, Matrix};
use crate::drift::DriftReference;
use crate::manifest::{Importance, MANIFEST_FORMAT, Manifest, ModelBundle, TrainingData};
use crate::selection::{SelectionOptions, SelectionReport, filter_features, shadow_select};
use crate::shap::mean_abs_shap;
use crate::train::BoostParams;
use crate::validation::{Split, TimeWindow, cross_validate, train_with_holdout};

/// Fewest labelled rows worth training on.
pub const MIN_TRAINING_ROWS: usize = 500;
/// Most rows TreeSHAP importances are averaged over (evenly spaced).
const SHAP_ROWS: usize = 2000;

/// Options of a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    pub label: LabelSpec,
    pub params: BoostParams,
    pub selection: SelectionOptions,
    /// Share of the training rows (the latest) held out for early stopping.
    pub validation_share: f64,
    /// Train only on rows whose label ends at or before this time (UTC ns): later data stays
    /// out of sample for backtests.
    pub until: Option<i64>,
    /// Input files, recorded in the manifest.
    pub sources: Vec<String>,
}

/// The validation windows over the training range (from the backtest crate's purged
/// k-fold and walk-forward code).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Splits {
    pub purged_kfold: Vec<Split>,
    pub walk_forward: Vec<Split>,
}

/// What the pipeline reports while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress<'a> {
    /// A stage starts with this many steps.
    Stage { name: &'a str, steps: u64 },
    /// Steps done in the current stage.
    Step(u64),
}

/// Trains a model on `matrix`. `splits_for(range)` gives the validation windows over the
/// training rows' time range.
pub fn train_model(
    matrix: &Matrix,
    options: &TrainOptions,
    splits_for: &dyn Fn(TimeWindow) -> Result<Splits, String>,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<ModelBundle, ModelError> {
    options.label.validate()?;
    options.params.validate()?;
    if !(0.0..0.9).contains(&options.validation_share) {
        return Err(ModelError::config(
            "validation_share",
            format!("must be in [0, 0.9), got {}", options.validation_share),
        ));
    }
    let horizon = options.label.horizon_nanos();
    let until = options.until;
    let all_features = matrix.feature_names();
    let data = Dataset::from_matrix(matrix, &all_features, &options.label, |ts| {
        until.is_none_or(|end| ts + horizon <= end)
    })?;
    if data.rows() < MIN_TRAINING_ROWS {
        return Err(ModelError::Data(format!(
            "{} labelled rows before the training end (need {MIN_TRAINING_ROWS}): a longer \
             matrix, a later --until or a smaller --cost",
            data.rows()
        )));
    }
    let (candidates, dropped) = filter_features(&data.names, &data.columns, &options.selection);
    if candidates.is_empty() {
        return Err(ModelError::Data(
            "every feature was dropped by the variance / missing-value filters".into(),
        ));
    }
    progress(Progress::Stage {
        name: "shadow features",
        steps: options.selection.shadow_rounds as u64,
    });
    let (shadow, mean_best_shadow_gain) = shadow_select(
        &data.names,
        &data.columns,
        &data.labels,
        &candidates,
        &options.params,
        &options.selection,
        &mut |round| progress(Progress::Step(round as u64)),
    )?;
    let selected: Vec<String> = shadow
        .iter()
        .filter(|record| record.selected)
        .map(|record| record.feature.clone())
        .collect();
    let selected_index: Vec<usize> = selected
        .iter()
        .filter_map(|name| data.names.iter().position(|n| n == name))
        .collect();
    let data = data.select_features(&selected_index);
    let range = TimeWindow {
        from: data.ts.iter().copied().min().unwrap_or(0),
        to: data.ts.iter().copied().max().unwrap_or(0) + 1,
    };
    let splits = splits_for(range).map_err(ModelError::Data)?;
    let mut scores = Vec::new();
    for (name, list) in [
        ("purged k-fold", &splits.purged_kfold),
        ("walk-forward", &splits.walk_forward),
    ] {
        progress(Progress::Stage {
            name,
            steps: list.len() as u64,
        });
        let mut done = 0;
        scores.push(cross_validate(
            &data,
            list,
            &options.params,
            options.validation_share,
            horizon,
            &mut |_| {
                done += 1;
                progress(Progress::Step(done));
            },
        )?);
    }
    let walk_forward = scores.pop().unwrap_or_default();
    let purged_kfold = scores.pop().unwrap_or_default();
    progress(Progress::Stage {
        name: "final model",
        steps: options.params.num_iterations as u64,
    });
    let trained = train_with_holdout(
        &data,
        &options.params,
        options.validation_share,
        horizon,
        &mut |iteration| progress(Progress::Step(iteration as u64)),
    )?;
    let model = trained.model;
    let step = data.rows().div_ceil(SHAP_ROWS).max(1);
    let shap_rows: Vec<Vec<f64>> = (0..data.rows())
        .step_by(step)
        .map(|row| data.row(row))
        .collect();
    let shap = mean_abs_shap(&model, &shap_rows);
    let gain = model.gain_importance();
    let splits_used = model.split_importance();
    let mut importance: Vec<Importance> = (0..model.num_features())
        .map(|index| Importance {
            feature: model.feature_names[index].clone(),
            mean_abs_shap: shap[index],
            gain: gain[index],
            splits: splits_used[index],
        })
        .collect();
    importance.sort_by(|a, b| {
        b.mean_abs_shap
            .total_cmp(&a.mean_abs_shap)
            .then(a.feature.cmp(&b.feature))
    });
    let drift = data
        .names
        .iter()
        .zip(&data.columns)
        .map(|(name, column)| DriftReference::fit(name, column))
        .collect();
    let last_ts = range.to - 1;
    let manifest = Manifest {
        format: MANIFEST_FORMAT.to_owned(),
        program_version: env!("CARGO_PKG_VERSION").to_owned(),
        features: model.feature_names.clone(),
        label: options.label,
        data: TrainingData {
            sources: options.sources.clone(),
            matrix_sha256: matrix.content_hash(),
            matrix_rows: matrix.ts.len(),
            training_rows: data.rows(),
            first_ts: range.from,
            last_ts,
            label_end_ts: last_ts + horizon,
            positive_share: data.base_rate(),
        },
        params: options.params,
        validation_share: options.validation_share,
        best_iteration: trained.best_iteration,
        trees: model.trees.len(),
        expected_value: model.expected_value(),
        selection: SelectionReport {
            dropped,
            shadow,
            mean_best_shadow_gain,
            selected,
        },
        purged_kfold,
        walk_forward,
        importance,
        drift,
        model_sha256: String::new(),
    };
    Ok(ModelBundle { model, manifest })
}
