//! Expanding-window walk-forward with an embargo (SPEC 6): for each test segment, "train" =
//! run the sweep's grid on everything before it (minus the embargo) and choose the
//! combination with the best objective; the chosen parameters then run on the test segment.
//! The out-of-sample result is the test segments' daily returns taken together, gated by
//! SPEC 6's "out-of-sample Sharpe > 1.5".

use auction_trader_analytics::{
    Metrics, ReturnStatistics, RunRecords, daily_equity, daily_returns,
};
use auction_trader_types::NANOS_PER_MINUTE;

use super::costs::trading_window;
use super::data::ValidationData;
use super::gates::{Gate, OUT_OF_SAMPLE_SHARPE};
use super::window::{Fold, expanding_folds};
use crate::config::BacktestConfig;
use crate::error::BacktestError;
use crate::grid::{GridOptions, Sweep, metrics_row, plan_grid};

/// Metrics a walk-forward may choose by (larger is better).
pub const OBJECTIVES: [&str; 6] = [
    "sharpe",
    "sortino",
    "net_pnl",
    "return_pct",
    "profit_factor",
    "win_rate_pct",
];

/// Refuses an objective that is not one of [`OBJECTIVES`] (every validation that chooses
/// parameters by one).
pub(super) fn check_objective(objective: &str) -> Result<(), BacktestError> {
    if OBJECTIVES.contains(&objective) {
        return Ok(());
    }
    Err(BacktestError::Config(format!(
        "objective {objective:?}: choose one of {}",
        OBJECTIVES.join(", ")
    )))
}

/// How a walk-forward runs.
#[derive(Debug, Clone, PartialEq)]
pub struct WalkForwardOptions {
    /// Equal time segments of the range (the first only trains): `segments - 1` folds.
    pub segments: usize,
    /// Minutes left out between each train window and its test segment.
    pub embargo_minutes: u32,
    /// The metric the train step maximizes (one of [`OBJECTIVES`]).
    pub objective: String,
    pub workers: usize,
    /// Allow sweeping the toxicity priors (the report says so).
    pub force_priors: bool,
}

/// One fold's outcome.
#[derive(Debug, Clone)]
pub struct FoldResult {
    pub fold: Fold,
    /// The chosen combination's parameters (JSON), `None` when no combination had a defined
    /// objective on the train window (the fold then has no test run).
    pub chosen: Option<String>,
    pub train_objective: Option<f64>,
    pub test_objective: Option<f64>,
    pub test: Option<Metrics>,
    /// Simple daily returns of the test run.
    pub test_daily_returns: Vec<f64>,
}

/// The walk-forward report.
#[derive(Debug, Clone)]
pub struct WalkForwardReport {
    pub run_name: String,
    pub options: WalkForwardOptions,
    pub combinations: usize,
    /// Why the sweep is labelled (forced toxicity priors), empty otherwise.
    pub label: String,
    pub folds: Vec<FoldResult>,
    /// Out of sample: every test segment's daily returns together.
    pub out_of_sample: ReturnStatistics,
    pub out_of_sample_net_pnl: f64,
    pub out_of_sample_trades: usize,
    /// Mean train objective and mean test objective over folds where both are defined.
    pub mean_train_objective: Option<f64>,
    pub mean_test_objective: Option<f64>,
    pub gate: Gate,
}

/// The objective `name` of `metrics` (`None` when undefined or not a number).
pub fn objective_value(metrics: &Metrics, name: &str) -> Option<f64> {
    metrics_row(metrics)
        .get(name)
        .and_then(serde_json::Value::as_f64)
        .filter(|value| value.is_finite())
}

/// The index of the largest defined value; ties go to the earliest (sweep order).
pub fn best_index(values: &[Option<f64>]) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (index, value) in values.iter().enumerate() {
        if let Some(value) = *value
            && best.is_none_or(|(_, top)| value > top)
        {
            best = Some((index, value));
        }
    }
    best.map(|(index, _)| index)
}

pub(super) fn daily_returns_of(records: &RunRecords) -> Vec<f64> {
    daily_returns(records.initial_equity, &daily_equity(&records.equity))
        .into_iter()
        .filter(|value| value.is_finite())
        .collect()
}

pub(super) fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, count) = values.fold((0.0, 0usize), |(sum, count), value| {
        (sum + value, count + 1)
    });
    (count > 0).then(|| sum / count as f64)
}

/// Runs the walk-forward of `sweep` over `base` on the decoded data.
pub fn walk_forward(
    base: &BacktestConfig,
    sweep: &Sweep,
    data: &ValidationData,
    options: &WalkForwardOptions,
    progress: &mut dyn FnMut(&FoldResult),
) -> Result<WalkForwardReport, BacktestError> {
    check_objective(&options.objective)?;
    let plan = plan_grid(
        base,
        sweep,
        &GridOptions {
            workers: options.workers,
            force_priors: options.force_priors,
        },
    )?;
    let range = trading_window(base, data)?;
    let embargo = i64::from(options.embargo_minutes) * NANOS_PER_MINUTE;
    let folds = expanding_folds(range, options.segments, embargo)?;
    let objective = options.objective.as_str();
    let mut results = Vec::with_capacity(folds.len());
    for fold in folds {
        let train = data.window(base, fold.train);
        let values = data.run_all(&plan.configs, &train, options.workers, &|result| {
            objective_value(&result.metrics, objective)
        })?;
        let result = match best_index(&values) {
            None => FoldResult {
                fold,
                chosen: None,
                train_objective: None,
                test_objective: None,
                test: None,
                test_daily_returns: Vec::new(),
            },
            Some(index) => {
                let chosen = &plan.configs[index];
                let test_data = data.window(chosen, fold.test);
                let test = data.run(chosen, &test_data)?;
                FoldResult {
                    fold,
                    chosen: Some(plan.combinations[index].params_json()),
                    train_objective: values[index],
                    test_objective: objective_value(&test.metrics, objective),
                    test_daily_returns: daily_returns_of(&test.records),
                    test: Some(test.metrics),
                }
            }
        };
        progress(&result);
        results.push(result);
    }
    let all_returns: Vec<f64> = results
        .iter()
        .flat_map(|fold| fold.test_daily_returns.iter().copied())
        .collect();
    let out_of_sample = ReturnStatistics::of(&all_returns);
    let tested = || results.iter().filter_map(|fold| fold.test.as_ref());
    let out_of_sample_net_pnl = tested().map(|metrics| metrics.net_pnl.as_f64()).sum();
    let out_of_sample_trades = tested().map(|metrics| metrics.trade_count).sum();
    let paired = || {
        results
            .iter()
            .filter_map(|fold| fold.train_objective.zip(fold.test_objective))
    };
    let gate = Gate::new(
        "out-of-sample Sharpe",
        OUT_OF_SAMPLE_SHARPE,
        out_of_sample.sharpe,
    );
    let mean_train_objective = mean(paired().map(|(train, _)| train));
    let mean_test_objective = mean(paired().map(|(_, test)| test));
    Ok(WalkForwardReport {
        run_name: base.run.name.clone(),
        options: options.clone(),
        combinations: plan.configs.len(),
        label: plan.label,
        folds: results,
        out_of_sample,
        out_of_sample_net_pnl,
        out_of_sample_trades,
        mean_train_objective,
        mean_test_objective,
        gate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_is_the_largest_defined_value_and_ties_go_first() {
        assert_eq!(
            best_index(&[Some(1.0), None, Some(3.0), Some(2.0)]),
            Some(2)
        );
        assert_eq!(best_index(&[Some(2.0), Some(2.0)]), Some(0));
        assert_eq!(best_index(&[None, Some(-5.0)]), Some(1));
        assert_eq!(best_index(&[None, None]), None);
        assert_eq!(best_index(&[]), None);
    }

    #[test]
    fn means_skip_nothing_and_are_none_when_empty() {
        assert_eq!(mean([1.0, 2.0, 6.0].into_iter()), Some(3.0));
        assert_eq!(mean(std::iter::empty()), None);
    }
}
