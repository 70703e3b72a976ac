//! Purged k-fold cross-validation (SPEC 6): for each of `k` contiguous time folds, "train" =
//! run the sweep's grid on the other folds (purged before the test fold, embargoed after it;
//! see [`super::purged`]) and choose the combination with the best objective over those
//! windows together; the chosen parameters then run on the test fold. Every part of the
//! range is tested once: the test folds' daily returns together are the out-of-sample
//! result, gated by SPEC 6's "out-of-sample Sharpe > 1.5".

use auction_trader_analytics::{Metrics, ReturnStatistics, RunRecords};
use auction_trader_types::NANOS_PER_MINUTE;

use super::costs::trading_window;
use super::data::ValidationData;
use super::gates::{Gate, OUT_OF_SAMPLE_SHARPE};
use super::purged::{PurgedFold, purged_folds};
use super::walk_forward::{best_index, check_objective, daily_returns_of, mean, objective_value};
use crate::config::BacktestConfig;
use crate::error::BacktestError;
use crate::grid::{GridOptions, Sweep, plan_grid};

/// How a purged k-fold runs.
#[derive(Debug, Clone, PartialEq)]
pub struct KFoldOptions {
    /// Contiguous time folds, each tested once.
    pub folds: usize,
    /// Minutes of training data left out before each test fold (the label horizon).
    pub purge_minutes: u32,
    /// Minutes of training data left out after each test fold.
    pub embargo_minutes: u32,
    /// The metric the train step maximizes (one of [`OBJECTIVES`](super::OBJECTIVES)).
    pub objective: String,
    pub workers: usize,
    /// Allow sweeping the toxicity priors (the report says so).
    pub force_priors: bool,
}

/// What a run over one train window adds to the train objective.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrainPart {
    pub daily_returns: Vec<f64>,
    pub net_pnl: f64,
    /// `net_pnl / initial_equity` of the window's run.
    pub return_fraction: f64,
    /// Σ net P&L of winning trades and |Σ| of losing trades.
    pub gross_win: f64,
    pub gross_loss: f64,
    pub wins: usize,
    pub trades: usize,
}

impl TrainPart {
    pub fn of(metrics: &Metrics, records: &RunRecords) -> Self {
        let pnls = records.trades.iter().map(|trade| trade.net_pnl.as_f64());
        let initial = metrics.initial_equity.as_f64();
        Self {
            daily_returns: daily_returns_of(records),
            net_pnl: metrics.net_pnl.as_f64(),
            return_fraction: if initial > 0.0 {
                metrics.net_pnl.as_f64() / initial
            } else {
                f64::NAN
            },
            gross_win: pnls.clone().filter(|pnl| *pnl > 0.0).sum(),
            gross_loss: -pnls.filter(|pnl| *pnl < 0.0).sum::<f64>(),
            wins: metrics.wins,
            trades: metrics.trade_count,
        }
    }
}

/// The objective `name` over train windows run separately, taken together: Sharpe and
/// Sortino of their daily returns together, net P&L summed, returns compounded, profit
/// factor and win rate over their trades together. `None` when undefined.
pub fn pooled_objective(parts: &[TrainPart], name: &str) -> Option<f64> {
    let returns = || {
        let all: Vec<f64> = parts
            .iter()
            .flat_map(|part| part.daily_returns.iter().copied())
            .collect();
        ReturnStatistics::of(&all)
    };
    let trades: usize = parts.iter().map(|part| part.trades).sum();
    let value = match name {
        "sharpe" => returns().sharpe,
        "sortino" => returns().sortino,
        "net_pnl" => Some(parts.iter().map(|part| part.net_pnl).sum()),
        "return_pct" => Some(
            (parts
                .iter()
                .map(|part| 1.0 + part.return_fraction)
                .product::<f64>()
                - 1.0)
                * 100.0,
        ),
        "profit_factor" => {
            let loss: f64 = parts.iter().map(|part| part.gross_loss).sum();
            (loss > 0.0).then(|| parts.iter().map(|part| part.gross_win).sum::<f64>() / loss)
        }
        "win_rate_pct" => (trades > 0).then(|| {
            parts.iter().map(|part| part.wins).sum::<usize>() as f64 * 100.0 / trades as f64
        }),
        _ => None,
    };
    value.filter(|value| value.is_finite())
}

/// One fold's outcome.
#[derive(Debug, Clone)]
pub struct KFoldResult {
    pub fold: PurgedFold,
    /// The chosen combination's parameters (JSON), `None` when no combination had a defined
    /// objective on the train windows (the fold then has no test run).
    pub chosen: Option<String>,
    pub train_objective: Option<f64>,
    pub test_objective: Option<f64>,
    pub test: Option<Metrics>,
    /// Simple daily returns of the test run.
    pub test_daily_returns: Vec<f64>,
}

/// The purged k-fold report.
#[derive(Debug, Clone)]
pub struct KFoldReport {
    pub run_name: String,
    pub options: KFoldOptions,
    pub combinations: usize,
    /// Why the sweep is labelled (forced toxicity priors), empty otherwise.
    pub label: String,
    /// The configured warm-up in minutes (an embargo shorter than it lets the first train
    /// run after a test fold warm its features on the fold's data; the report says so).
    pub warmup_minutes: u32,
    pub folds: Vec<KFoldResult>,
    /// Out of sample: every test fold's daily returns together.
    pub out_of_sample: ReturnStatistics,
    pub out_of_sample_net_pnl: f64,
    pub out_of_sample_trades: usize,
    pub mean_train_objective: Option<f64>,
    pub mean_test_objective: Option<f64>,
    pub gate: Gate,
}

/// Runs the purged k-fold of `sweep` over `base` on the decoded data.
pub fn purged_kfold(
    base: &BacktestConfig,
    sweep: &Sweep,
    data: &ValidationData,
    options: &KFoldOptions,
    progress: &mut dyn FnMut(&KFoldResult),
) -> Result<KFoldReport, BacktestError> {
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
    let minutes = |value: u32| i64::from(value) * NANOS_PER_MINUTE;
    let folds = purged_folds(
        range,
        options.folds,
        minutes(options.purge_minutes),
        minutes(options.embargo_minutes),
    )?;
    let objective = options.objective.as_str();
    let mut results = Vec::with_capacity(folds.len());
    for fold in folds {
        // parts[window][combination]
        let mut parts: Vec<Vec<TrainPart>> = Vec::with_capacity(fold.train.len());
        for window in &fold.train {
            let train = data.window(base, *window);
            parts.push(
                data.run_all(&plan.configs, &train, options.workers, &|result| {
                    TrainPart::of(&result.metrics, &result.records)
                })?,
            );
        }
        let values: Vec<Option<f64>> = (0..plan.configs.len())
            .map(|index| {
                let of_combination: Vec<TrainPart> =
                    parts.iter().map(|window| window[index].clone()).collect();
                pooled_objective(&of_combination, objective)
            })
            .collect();
        let result = match best_index(&values) {
            None => KFoldResult {
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
                KFoldResult {
                    chosen: Some(plan.combinations[index].params_json()),
                    train_objective: values[index],
                    test_objective: objective_value(&test.metrics, objective),
                    test_daily_returns: daily_returns_of(&test.records),
                    test: Some(test.metrics),
                    fold,
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
    let paired = || {
        results
            .iter()
            .filter_map(|fold| fold.train_objective.zip(fold.test_objective))
    };
    Ok(KFoldReport {
        run_name: base.run.name.clone(),
        options: options.clone(),
        combinations: plan.configs.len(),
        label: plan.label,
        warmup_minutes: base.data.warmup_minutes,
        out_of_sample_net_pnl: tested().map(|metrics| metrics.net_pnl.as_f64()).sum(),
        out_of_sample_trades: tested().map(|metrics| metrics.trade_count).sum(),
        mean_train_objective: mean(paired().map(|(train, _)| train)),
        mean_test_objective: mean(paired().map(|(_, test)| test)),
        gate: Gate::new(
            "purged k-fold out-of-sample Sharpe",
            OUT_OF_SAMPLE_SHARPE,
            out_of_sample.sharpe,
        ),
        out_of_sample,
        folds: results,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(
        returns: &[f64],
        net: f64,
        fraction: f64,
        win: f64,
        loss: f64,
        wins: usize,
        trades: usize,
    ) -> TrainPart {
        TrainPart {
            daily_returns: returns.to_vec(),
            net_pnl: net,
            return_fraction: fraction,
            gross_win: win,
            gross_loss: loss,
            wins,
            trades,
        }
    }

    #[test]
    fn train_windows_are_pooled_by_hand() {
        // Window A: days +1%, +3%; 100 net, 10% return, trades +150 / -50, 2 of 4 won.
        // Window B: day -1%; -20 net, -2% return, trades +30 / -50, 1 of 3 won.
        let parts = [
            part(&[0.01, 0.03], 100.0, 0.10, 150.0, 50.0, 2, 4),
            part(&[-0.01], -20.0, -0.02, 30.0, 50.0, 1, 3),
        ];
        // Returns 0.01, 0.03, -0.01: mean 0.01, sample std 0.02, Sharpe 0.5 × √365.
        let sharpe = pooled_objective(&parts, "sharpe").unwrap();
        assert!((sharpe - 0.5 * 365f64.sqrt()).abs() < 1e-12, "{sharpe}");
        // Downside deviation sqrt((0 + 0 + 0.0001) / 3) = 0.0057735: Sortino 1.7320508 × √365.
        let sortino = pooled_objective(&parts, "sortino").unwrap();
        assert!(
            (sortino - 3f64.sqrt() * 365f64.sqrt()).abs() < 1e-9,
            "{sortino}"
        );
        assert_eq!(pooled_objective(&parts, "net_pnl"), Some(80.0));
        // 1.10 × 0.98 = 1.078: 7.8 %.
        let compounded = pooled_objective(&parts, "return_pct").unwrap();
        assert!((compounded - 7.8).abs() < 1e-9, "{compounded}");
        // (150 + 30) / (50 + 50) = 1.8; 3 of 7 trades won.
        assert_eq!(pooled_objective(&parts, "profit_factor"), Some(1.8));
        let win_rate = pooled_objective(&parts, "win_rate_pct").unwrap();
        assert!((win_rate - 300.0 / 7.0).abs() < 1e-12);
        assert_eq!(pooled_objective(&parts, "nope"), None);
    }

    #[test]
    fn undefined_objectives_stay_undefined() {
        let flat = [part(&[0.01], 0.0, 0.0, 0.0, 0.0, 0, 0)];
        assert_eq!(pooled_objective(&flat, "sharpe"), None, "one day");
        assert_eq!(pooled_objective(&flat, "profit_factor"), None, "no loss");
        assert_eq!(pooled_objective(&flat, "win_rate_pct"), None, "no trade");
        assert_eq!(pooled_objective(&[], "net_pnl"), Some(0.0));
    }
}
