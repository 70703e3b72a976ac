//! `model train|evaluate|explain`: gradient-boosted trees on a research feature matrix
//! (SPEC 3.3 model-scored variant). Glue only: the matrix is read with the storage crate,
//! validation windows come from the backtest crate's purged k-fold and walk-forward code, and
//! everything else is `auction_trader_model`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use auction_trader_backtest::validation::{Window, expanding_folds, purged_folds};
use auction_trader_model::BoostParams;
use auction_trader_model::dataset::{Dataset, LabelSpec, Matrix};
use auction_trader_model::manifest::ModelBundle;
use auction_trader_model::metrics::{auc, log_loss};
use auction_trader_model::pipeline::{Progress, Splits, TrainOptions, train_model};
use auction_trader_model::selection::SelectionOptions;
use auction_trader_model::shap::{mean_abs_shap, shap_values};
use auction_trader_model::validation::{FoldScore, Split, TimeWindow, mean_auc, predict_all};
use auction_trader_storage::read_matrix;
use auction_trader_types::{NANOS_PER_MINUTE, UnixNanos};
use clap::{Args, Subcommand};
use indicatif::ProgressBar;

use crate::output::outln;
use crate::progress::items_bar;
use crate::time_arg::parse_time;

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Train on a feature matrix (`features matrix ... --out m.parquet`): filters, shadow
    /// selection, purged k-fold and walk-forward scores, the final model (LightGBM text) and
    /// its manifest in --out.
    Train(TrainArgs),
    /// Score a model on a matrix: AUC and log-loss out of sample, and per-feature drift (PSI).
    Evaluate(EvaluateArgs),
    /// TreeSHAP importances over a matrix, or the contributions of one minute (--at).
    Explain(ExplainArgs),
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The feature matrix (Parquet, from `features matrix`).
    pub matrix: PathBuf,
    /// Output directory (model.txt + manifest.json).
    #[arg(long, default_value = "models/model")]
    pub out: PathBuf,
    /// Label horizon in minutes (the matrix needs `fwd_ret_<h>m`).
    #[arg(long, default_value_t = 15)]
    pub horizon: u32,
    /// Round-trip cost as a log return: moves within ±cost are not labelled (0.0014 = two
    /// 5 bps taker fees and 2 bps of slippage each way).
    #[arg(long, default_value_t = 0.0014)]
    pub cost: f64,
    /// Train only on rows whose label ends by this time (later rows stay out of sample).
    #[arg(long)]
    pub until: Option<String>,
    /// Purged k-fold folds.
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Walk-forward segments (segments − 1 folds).
    #[arg(long, default_value_t = 5)]
    pub segments: usize,
    /// Embargo after each test fold, minutes (at least the horizon).
    #[arg(long, default_value_t = 240)]
    pub embargo_minutes: i64,
    /// Fewest features the shadow selection keeps (the best-ranked fill up to it).
    #[arg(long, default_value_t = 30)]
    pub min_features: usize,
    /// Most features the shadow selection keeps.
    #[arg(long, default_value_t = 50)]
    pub max_features: usize,
    /// Rounds of shadow-feature (Boruta-style) selection.
    #[arg(long, default_value_t = 5)]
    pub shadow_rounds: usize,
    /// Deepest a tree grows (SPEC 3.3: conservative, 4–6).
    #[arg(long, default_value_t = BoostParams::default().max_depth)]
    pub max_depth: usize,
    /// Most leaves per tree.
    #[arg(long, default_value_t = BoostParams::default().num_leaves)]
    pub num_leaves: usize,
    /// Shrinkage of each tree.
    #[arg(long, default_value_t = BoostParams::default().learning_rate)]
    pub learning_rate: f64,
    /// Boosting iterations at most (early stopping usually ends sooner).
    #[arg(long, default_value_t = BoostParams::default().num_iterations)]
    pub iterations: usize,
    /// Fewest training rows in a leaf.
    #[arg(long, default_value_t = BoostParams::default().min_data_in_leaf)]
    pub min_data_in_leaf: usize,
    /// L1 regularization of the leaf values.
    #[arg(long, default_value_t = BoostParams::default().lambda_l1)]
    pub lambda_l1: f64,
    /// L2 regularization of the leaf values.
    #[arg(long, default_value_t = BoostParams::default().lambda_l2)]
    pub lambda_l2: f64,
    /// Stop after this many iterations without a better validation loss (0: keep every tree).
    #[arg(long, default_value_t = BoostParams::default().early_stopping_rounds)]
    pub early_stopping: usize,
    /// Seed of bagging, feature sampling and the shadow shuffles.
    #[arg(long, default_value_t = BoostParams::default().seed)]
    pub seed: u64,
    /// Input files the matrix was built from, recorded in the manifest.
    #[arg(long = "source")]
    pub sources: Vec<String>,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Model directory (or its model.txt).
    pub model: PathBuf,
    /// The feature matrix to score.
    pub matrix: PathBuf,
    /// Also score rows the model was trained on (default: only decisions after its
    /// training labels ended).
    #[arg(long)]
    pub in_sample: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Model directory (or its model.txt).
    pub model: PathBuf,
    /// The feature matrix.
    pub matrix: PathBuf,
    /// Explain the one row of this minute close (UTC) instead of averaging.
    #[arg(long)]
    pub at: Option<String>,
    /// Features to print.
    #[arg(long, default_value_t = 20)]
    pub top: usize,
}

pub fn run(command: ModelCommand) -> anyhow::Result<ExitCode> {
    match command {
        ModelCommand::Train(args) => train(&args),
        ModelCommand::Evaluate(args) => evaluate(&args),
        ModelCommand::Explain(args) => explain(&args),
    }
}

fn load_matrix(path: &Path) -> anyhow::Result<Matrix> {
    // The storage error names the file already.
    let file = read_matrix(path)?;
    anyhow::ensure!(
        !file.ts.is_empty(),
        "{}: the matrix has no rows",
        path.display()
    );
    Ok(Matrix {
        ts: file.ts.iter().map(|stamp| stamp.as_i64()).collect(),
        columns: file.columns,
    })
}

fn load_model(path: &Path) -> anyhow::Result<ModelBundle> {
    ModelBundle::load(path).with_context(|| format!("loading the model {}", path.display()))
}

fn time_text(ns: i64) -> String {
    UnixNanos(ns).to_string()
}

/// The backtest crate's windows, as the model crate's splits.
fn splits(
    range: TimeWindow,
    folds: usize,
    segments: usize,
    purge: i64,
    embargo: i64,
) -> Result<Splits, String> {
    let window = Window {
        from: UnixNanos(range.from),
        to: UnixNanos(range.to),
    };
    let convert = |window: &Window| TimeWindow {
        from: window.from.as_i64(),
        to: window.to.as_i64(),
    };
    let purged = purged_folds(window, folds, purge, embargo).map_err(|e| e.to_string())?;
    let forward = expanding_folds(window, segments, embargo).map_err(|e| e.to_string())?;
    Ok(Splits {
        purged_kfold: purged
            .iter()
            .map(|fold| Split {
                number: fold.number,
                train: fold.train.iter().map(convert).collect(),
                test: convert(&fold.test),
            })
            .collect(),
        walk_forward: forward
            .iter()
            .map(|fold| Split {
                number: fold.number,
                train: vec![convert(&fold.train)],
                test: convert(&fold.test),
            })
            .collect(),
    })
}

fn fold_table(title: &str, scores: &[FoldScore]) -> anyhow::Result<()> {
    outln!("{title}: mean AUC {:.4}", mean_auc(scores));
    outln!(
        "  fold  test from                      train   test   iters  AUC     logloss  base_ll  up%"
    );
    for score in scores {
        outln!(
            "  {:>4}  {:<29} {:>6} {:>6} {:>6}  {:.4}  {:.4}   {:.4}   {:.1}",
            score.number,
            time_text(score.test.from),
            score.train_rows,
            score.test_rows,
            score.best_iteration,
            score.auc,
            score.log_loss,
            score.base_log_loss,
            100.0 * score.test_base_rate
        );
    }
    Ok(())
}

// The elapsed wall time is printed for the user only; it never reaches the model files.
#[allow(clippy::disallowed_methods)]
fn train(args: &TrainArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let matrix = load_matrix(&args.matrix)?;
    let horizon = i64::from(args.horizon) * NANOS_PER_MINUTE;
    let embargo = args.embargo_minutes * NANOS_PER_MINUTE;
    anyhow::ensure!(
        embargo >= horizon,
        "--embargo-minutes ({}) must be at least the label horizon ({} min): a walk-forward \
         training label must not reach into its test segment",
        args.embargo_minutes,
        args.horizon
    );
    let until = args
        .until
        .as_deref()
        .map(|text| parse_time("--until", text).map(|t| t.as_i64()))
        .transpose()?;
    let params = BoostParams {
        num_iterations: args.iterations,
        learning_rate: args.learning_rate,
        num_leaves: args.num_leaves,
        max_depth: args.max_depth,
        min_data_in_leaf: args.min_data_in_leaf,
        lambda_l1: args.lambda_l1,
        lambda_l2: args.lambda_l2,
        early_stopping_rounds: args.early_stopping,
        seed: args.seed,
        ..BoostParams::default()
    };
    let mut sources = args.sources.clone();
    if sources.is_empty() {
        sources.push(args.matrix.display().to_string());
    }
    let options = TrainOptions {
        label: LabelSpec {
            horizon_minutes: args.horizon,
            cost: args.cost,
        },
        params,
        selection: SelectionOptions {
            shadow_rounds: args.shadow_rounds,
            min_features: args.min_features,
            max_features: args.max_features,
            seed: args.seed ^ 0x5ad0,
            ..SelectionOptions::default()
        },
        validation_share: 0.2,
        until,
        sources,
    };
    let (folds, segments) = (args.folds, args.segments);
    let split_windows = move |range| splits(range, folds, segments, horizon, embargo);
    let mut bar: Option<ProgressBar> = None;
    // (stage, its start): the wall time of each stage, printed at the end.
    let mut stages: Vec<(String, Instant)> = Vec::new();
    let bundle = train_model(
        &matrix,
        &options,
        &split_windows,
        &mut |event| match event {
            Progress::Stage { name, steps } => {
                if let Some(done) = bar.take() {
                    done.finish_and_clear();
                }
                stages.push((name.to_owned(), Instant::now()));
                bar = Some(items_bar(steps, name));
            }
            Progress::Step(done) => {
                if let Some(bar) = &bar {
                    bar.set_position(done);
                }
            }
        },
    )?;
    if let Some(done) = bar.take() {
        done.finish_and_clear();
    }
    let finished = Instant::now();
    let timings: Vec<String> = stages
        .iter()
        .enumerate()
        .map(|(index, (name, start))| {
            let end = stages.get(index + 1).map_or(finished, |next| next.1);
            format!("{name} {:.2} s", end.duration_since(*start).as_secs_f64())
        })
        .collect();
    bundle
        .save(&args.out)
        .with_context(|| format!("writing the model to {}", args.out.display()))?;
    let manifest = &bundle.manifest;
    outln!(
        "trained on {} labelled rows of {} ({} .. {}), {:.1}% up moves beyond ±{}",
        manifest.data.training_rows,
        manifest.data.matrix_rows,
        time_text(manifest.data.first_ts),
        time_text(manifest.data.last_ts),
        100.0 * manifest.data.positive_share,
        manifest.label.cost
    );
    outln!(
        "features: {} dropped by the filters, {} confirmed by the shadows, {} selected",
        manifest.selection.dropped.len(),
        manifest
            .selection
            .shadow
            .iter()
            .filter(|r| r.confirmed)
            .count(),
        manifest.selection.selected.len()
    );
    fold_table("purged k-fold", &manifest.purged_kfold)?;
    fold_table("walk-forward", &manifest.walk_forward)?;
    outln!(
        "final model: {} trees (best iteration {}), top features by mean |SHAP|:",
        manifest.trees,
        manifest.best_iteration
    );
    for importance in manifest.importance.iter().take(10) {
        outln!(
            "  {:<28} {:.5}  gain {:.2}",
            importance.feature,
            importance.mean_abs_shap,
            importance.gain
        );
    }
    outln!("stage times: {}", timings.join(", "));
    outln!(
        "wrote {} (decisions after {} may be scored) in {:.1} s",
        args.out.display(),
        time_text(manifest.data.label_end_ts),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

fn evaluate(args: &EvaluateArgs) -> anyhow::Result<ExitCode> {
    let bundle = load_model(&args.model)?;
    let matrix = load_matrix(&args.matrix)?;
    let manifest = &bundle.manifest;
    let end = manifest.data.label_end_ts;
    let in_sample = args.in_sample;
    let data = Dataset::from_matrix(&matrix, &manifest.features, &manifest.label, |ts| {
        in_sample || ts > end
    })?;
    anyhow::ensure!(
        data.rows() > 0,
        "no labelled row of the matrix is after the model's training end {} (use --in-sample \
         to score the training rows)",
        time_text(end)
    );
    let probabilities = predict_all(&bundle.model, &data);
    let base = manifest.data.positive_share;
    outln!(
        "{} labelled rows{} ({:.1}% up), horizon {} min, cost ±{}",
        data.rows(),
        if in_sample {
            " (in-sample rows included)"
        } else {
            " after the training end"
        },
        100.0 * data.base_rate(),
        manifest.label.horizon_minutes,
        manifest.label.cost
    );
    outln!(
        "AUC {:.4}  log-loss {:.4} (training base rate {:.4})",
        auc(&data.labels, &probabilities),
        log_loss(&data.labels, &probabilities),
        log_loss(&data.labels, &vec![base; data.rows()])
    );
    let mut drift: Vec<(f64, &str)> = manifest
        .drift
        .iter()
        .zip(&data.columns)
        .map(|(reference, column)| (reference.psi(column), reference.feature.as_str()))
        .collect();
    drift.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    outln!("feature drift (PSI vs training; > 0.25 = shifted):");
    for (psi, feature) in drift.iter().take(10) {
        outln!("  {feature:<28} {psi:.4}");
    }
    Ok(ExitCode::SUCCESS)
}

fn explain(args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    let bundle = load_model(&args.model)?;
    let matrix = load_matrix(&args.matrix)?;
    let model = &bundle.model;
    let columns: Vec<&[f64]> = model
        .feature_names
        .iter()
        .map(|name| {
            matrix
                .column(name)
                .with_context(|| format!("the matrix has no column {name}"))
        })
        .collect::<anyhow::Result<_>>()?;
    let row_at = |index: usize| -> Vec<f64> { columns.iter().map(|c| c[index]).collect() };
    if let Some(at) = &args.at {
        let stamp = parse_time("--at", at)?.as_i64();
        let index = matrix
            .ts
            .iter()
            .position(|ts| *ts == stamp)
            .with_context(|| format!("no matrix row at {} (rows are minute closes)", at))?;
        let row = row_at(index);
        let phi = shap_values(model, &row);
        let base = phi[phi.len() - 1];
        outln!(
            "{}: raw score {:.5} = base {:.5} + contributions; p(up) = {:.4}",
            time_text(stamp),
            model.raw_score(&row),
            base,
            model.probability(&row)
        );
        let mut order: Vec<usize> = (0..model.num_features()).collect();
        order.sort_by(|a, b| phi[*b].abs().total_cmp(&phi[*a].abs()));
        for index in order.into_iter().take(args.top) {
            outln!(
                "  {:<28} {:>+.5}  (value {})",
                model.feature_names[index],
                phi[index],
                row[index]
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<f64>> = (0..matrix.ts.len()).map(row_at).collect();
    let importance = mean_abs_shap(model, &rows);
    let mut order: Vec<usize> = (0..model.num_features()).collect();
    order.sort_by(|a, b| importance[*b].total_cmp(&importance[*a]));
    outln!(
        "mean |SHAP| (log-odds) over {} rows, {} trees, base value {:.5}:",
        rows.len(),
        model.trees.len(),
        model.expected_value()
    );
    for index in order.into_iter().take(args.top) {
        outln!(
            "  {:<28} {:.5}",
            model.feature_names[index],
            importance[index]
        );
    }
    Ok(ExitCode::SUCCESS)
}
