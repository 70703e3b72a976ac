//! Cross-symbol validation (SPEC 6: "train BTC, test SOL/ETH"): the same parameters on the
//! data of other symbols or venues. Each other config lends its `data`, `instrument` and
//! `account` sections (where and what to replay, the instrument's tick, lot and fees, the
//! equity in its currency); everything else (features, strategy, risk, execution) is the
//! base config's. With a sweep, the parameters are first chosen on the base config's data by
//! the grid objective. Gate (SPEC 6): second-symbol Sharpe > 70% of the first's.

use auction_trader_analytics::Metrics;

use super::costs::trading_window;
use super::data::ValidationData;
use super::gates::{Gate, SECOND_SYMBOL_SHARPE_RATIO};
use super::walk_forward::{best_index, check_objective, objective_value};
use super::window::Window;
use crate::config::BacktestConfig;
use crate::error::BacktestError;
use crate::grid::{GridOptions, Sweep, plan_grid};
use crate::run_config::{RunObserver, instrument_key};

/// How a cross-symbol validation runs.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossSymbolOptions {
    /// The metric the sweep's train step maximizes on the first symbol.
    pub objective: String,
    pub workers: usize,
    /// Allow sweeping the toxicity priors (the report says so).
    pub force_priors: bool,
}

/// One symbol's run of the parameters.
#[derive(Debug, Clone)]
pub struct SymbolRow {
    /// `venue:symbol:market`.
    pub instrument: String,
    pub window: Window,
    pub metrics: Metrics,
}

/// The cross-symbol report: the first row is the base config's data.
#[derive(Debug, Clone)]
pub struct CrossSymbolReport {
    pub run_name: String,
    /// With a sweep: its size, the chosen parameters (JSON) and their objective on the
    /// first symbol.
    pub combinations: usize,
    pub objective: String,
    pub chosen: Option<String>,
    pub train_objective: Option<f64>,
    /// Why the sweep is labelled (forced toxicity priors), empty otherwise.
    pub label: String,
    pub rows: Vec<SymbolRow>,
    /// One gate per other symbol.
    pub gates: Vec<Gate>,
}

/// `base` on `other`'s data: `other`'s `data`, `instrument` and `account` sections, the
/// rest of `base`.
pub fn on_other_data(base: &BacktestConfig, other: &BacktestConfig) -> BacktestConfig {
    let mut config = base.clone();
    config.data = other.data.clone();
    config.instrument = other.instrument.clone();
    config.account = other.account.clone();
    config
}

/// SPEC 6: the second symbol's Sharpe over the first's must exceed 0.7; undefined (a fail)
/// when either is undefined or the first is not positive (a share of a loss means nothing).
pub fn second_symbol_gate(
    first: &str,
    first_sharpe: Option<f64>,
    second: &str,
    second_sharpe: Option<f64>,
) -> Gate {
    let ratio = match (first_sharpe, second_sharpe) {
        (Some(first), Some(second)) if first > 0.0 && first.is_finite() => Some(second / first),
        _ => None,
    };
    Gate::new(
        format!("{second} Sharpe / {first} Sharpe"),
        SECOND_SYMBOL_SHARPE_RATIO,
        ratio,
    )
}

fn run_whole(config: &BacktestConfig, data: &ValidationData) -> Result<SymbolRow, BacktestError> {
    let window = trading_window(config, data)?;
    let result = data.run(config, &data.window(config, window))?;
    Ok(SymbolRow {
        instrument: instrument_key(config)?.to_string(),
        window,
        metrics: result.metrics,
    })
}

/// Runs `base` (or, with a sweep, its best combination on the base data) over the base data
/// and over each of `others`' data, decoding one data set at a time.
pub fn cross_symbol(
    base: &BacktestConfig,
    others: &[BacktestConfig],
    sweep: Option<&Sweep>,
    options: &CrossSymbolOptions,
    observer: &mut dyn RunObserver,
) -> Result<CrossSymbolReport, BacktestError> {
    if others.is_empty() {
        return Err(BacktestError::Config(
            "cross-symbol needs at least one other data set".to_owned(),
        ));
    }
    check_objective(&options.objective)?;
    let grid_options = GridOptions {
        workers: options.workers,
        force_priors: options.force_priors,
    };
    let data = super::decode_validation_data(base, "cross-symbol", observer)?;
    let mut report = CrossSymbolReport {
        run_name: base.run.name.clone(),
        combinations: 0,
        objective: options.objective.clone(),
        chosen: None,
        train_objective: None,
        label: String::new(),
        rows: Vec::new(),
        gates: Vec::new(),
    };
    let chosen_config = match sweep {
        None => base.clone(),
        Some(sweep) => {
            let plan = plan_grid(base, sweep, &grid_options)?;
            let window = data.window(base, trading_window(base, &data)?);
            let objective = options.objective.as_str();
            let values = data.run_all(&plan.configs, &window, options.workers, &|result| {
                objective_value(&result.metrics, objective)
            })?;
            let index = best_index(&values).ok_or_else(|| {
                BacktestError::NoData(format!(
                    "cross-symbol: no combination has a defined {objective} on the first data set"
                ))
            })?;
            report.combinations = plan.configs.len();
            report.label = plan.label;
            report.chosen = Some(plan.combinations[index].params_json());
            report.train_objective = values[index];
            plan.configs[index].clone()
        }
    };
    report.rows.push(run_whole(&chosen_config, &data)?);
    drop(data);
    for other in others {
        let mut config = on_other_data(base, other);
        if let (Some(sweep), Some(chosen)) = (sweep, &report.chosen) {
            // The same combination applied to this data set's config.
            let plan = plan_grid(&config, sweep, &grid_options)?;
            let index = plan
                .combinations
                .iter()
                .position(|combination| &combination.params_json() == chosen)
                .ok_or_else(|| {
                    BacktestError::Config(format!(
                        "cross-symbol: the chosen combination {chosen} is not in the sweep \
                         over {}'s config (a constraint reads a key that differs)",
                        other.data.symbol
                    ))
                })?;
            config = plan.configs[index].clone();
        }
        let data = super::decode_validation_data(&config, "cross-symbol", observer)?;
        report.rows.push(run_whole(&config, &data)?);
    }
    let first = &report.rows[0];
    report.gates = report.rows[1..]
        .iter()
        .map(|row| {
            second_symbol_gate(
                &first.instrument,
                first.metrics.sharpe,
                &row.instrument,
                row.metrics.sharpe,
            )
        })
        .collect();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_second_symbol_keeps_more_than_seventy_percent() {
        // 1.5 / 2.0 = 0.75 > 0.7.
        let gate = second_symbol_gate("A", Some(2.0), "B", Some(1.5));
        assert_eq!(gate.value, Some(0.75));
        assert!(gate.passed());
        assert_eq!(gate.line(), "PASS  B Sharpe / A Sharpe 0.750 > 0.7");
        // 1.4 / 2.0 = 0.7 exactly: not above.
        assert!(!second_symbol_gate("A", Some(2.0), "B", Some(1.4)).passed());
        // A better second symbol passes; a negative one fails.
        assert!(second_symbol_gate("A", Some(1.0), "B", Some(3.0)).passed());
        assert!(!second_symbol_gate("A", Some(1.0), "B", Some(-0.5)).passed());
        // A losing first symbol has no share to keep: undefined, a fail.
        assert_eq!(
            second_symbol_gate("A", Some(-2.0), "B", Some(-1.0)).value,
            None
        );
        assert_eq!(
            second_symbol_gate("A", Some(0.0), "B", Some(1.0)).value,
            None
        );
        assert_eq!(second_symbol_gate("A", None, "B", Some(1.0)).value, None);
        assert_eq!(second_symbol_gate("A", Some(1.0), "B", None).value, None);
    }

    #[test]
    fn the_other_config_lends_only_data_instrument_and_account() {
        let base = BacktestConfig::parse(
            "data:\n  venue: a\n  symbol: X\ninstrument:\n  taker_fee_bps: 5\naccount:\n  \
             initial_equity: 10000\nrisk:\n  max_hold_minutes: 17\n",
        )
        .unwrap();
        let other = BacktestConfig::parse(
            "data:\n  venue: b\n  symbol: Y\n  warmup_minutes: 7\ninstrument:\n  \
             taker_fee_bps: 9\naccount:\n  initial_equity: 1000000\nrisk:\n  \
             max_hold_minutes: 99\n",
        )
        .unwrap();
        let config = on_other_data(&base, &other);
        assert_eq!(config.data, other.data);
        assert_eq!(config.instrument, other.instrument);
        assert_eq!(config.account, other.account);
        assert_eq!(config.risk.max_hold_minutes, 17, "the base's parameters");
        assert_eq!(config.run, base.run);
    }
}
