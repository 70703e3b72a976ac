//! The SPEC 6 gates of several strategies in one report: for each config, the cost
//! sensitivity (0.5–3×), the volatility-regime split and, against each other data set given,
//! the second-symbol ratio, each measured with the functions of the other validation reports,
//! then one GO / NO-GO per gate and per strategy (GO only when every evaluated gate passes).
//!
//! - Out-of-sample Sharpe > 1.5: the configs' parameters are fixed (SPEC defaults or written
//!   by hand before the run), nothing is fitted on the data, so every day of the run is out of
//!   sample and the gate reads the 1× run's daily Sharpe. (With a sweep to choose parameters,
//!   `validate-strategy walk-forward` / `kfold` measure it properly.)
//! - Sharpe > 1.0 at 2× costs, Sharpe > 0.5 in every volatility regime: as `costs` and
//!   `regimes`.
//! - Second-symbol Sharpe > 70% of the first: the config's parameters on each other data set
//!   (its `data`, `instrument`, `account`) whose instrument differs from the config's own.
//! - Not evaluated here (listed in the report with the reason): the research proof-of-concept
//!   gates (feature correlation > 0.05, microstructure features adding ≥ 0.5 Sharpe) and the
//!   paper-trading gates.
//!
//! Any strategy kind the engine runs is evaluated the same way (the label is the kind's
//! config spelling plus, for mean reversion, its variant): a new kind needs no change here.
//! Data sets are decoded once and shared by the configs that read them.

use std::collections::BTreeMap;

use super::costs::{COST_MULTIPLIERS, CostReport, cost_sensitivity};
use super::cross_symbol::{on_other_data, second_symbol_gate};
use super::data::ValidationData;
use super::gates::{Gate, OUT_OF_SAMPLE_SHARPE};
use super::regimes::{RegimeReport, regime_split};
use crate::config::{BacktestConfig, StrategyKind};
use crate::error::BacktestError;
use crate::run_config::{RunObserver, instrument_key};

/// Gates SPEC 6 names that a backtest cannot measure, with the reason.
pub const NOT_EVALUATED: [(&str, &str); 2] = [
    (
        "research proof of concept: feature correlation with returns > 0.05 and \
         microstructure features adding >= 0.5 Sharpe",
        "needs the feature matrix's correlations and an ablation run without the \
         microstructure features (features matrix --diagnostics gives the correlations)",
    ),
    (
        "paper trading: 30 consecutive profitable days, Sharpe > 1.0, slippage < 2x the \
         backtest estimate",
        "needs a paper session of at least 30 days",
    ),
];

/// Options of [`evaluate_gates`].
#[derive(Debug, Clone)]
pub struct GateOptions {
    /// Other data sets (configs lending `data`, `instrument`, `account`) for the
    /// second-symbol gate.
    pub second: Vec<BacktestConfig>,
    pub workers: usize,
}

/// The second-symbol measurement of one strategy on one other data set.
#[derive(Debug, Clone)]
pub struct SecondSymbol {
    pub instrument: String,
    pub sharpe: Option<f64>,
    pub trades: usize,
    pub net_pnl: f64,
    pub gate: Gate,
    /// Why the data set could not be run (e.g. sma_cross on a tape without bars): the gate
    /// is then undefined, a NO-GO.
    pub note: Option<String>,
}

/// One strategy's gates.
#[derive(Debug, Clone)]
pub struct StrategyGates {
    pub run_name: String,
    /// Strategy kind (and mean-reversion variant).
    pub strategy: String,
    pub instrument: String,
    pub costs: CostReport,
    pub regimes: RegimeReport,
    pub second: Vec<SecondSymbol>,
    /// Every evaluated gate, in SPEC 6 order.
    pub gates: Vec<Gate>,
}

impl StrategyGates {
    /// GO only when every evaluated gate passes.
    pub fn go(&self) -> bool {
        !self.gates.is_empty() && self.gates.iter().all(Gate::passed)
    }
}

/// The report over every strategy.
#[derive(Debug, Clone)]
pub struct GateReport {
    pub strategies: Vec<StrategyGates>,
}

/// The label of a config's strategy: its kind's config spelling, with the variant for mean
/// reversion (a kind added later is labelled by its spelling, with no change here).
pub fn strategy_label(config: &BacktestConfig) -> String {
    let kind = config.strategy.kind;
    match kind {
        StrategyKind::MeanReversion => {
            let variant = serde_json::to_value(config.strategy.mean_reversion.variant)
                .ok()
                .and_then(|value| value.as_str().map(str::to_owned))
                .unwrap_or_default();
            format!("{}/{variant}", kind.as_str())
        }
        _ => kind.as_str().to_owned(),
    }
}

/// The data sets decoded so far, keyed by their `data` section (a key, never iterated into
/// the output).
#[derive(Default)]
struct DataCache {
    decoded: BTreeMap<String, ValidationData>,
}

impl DataCache {
    fn get(
        &mut self,
        config: &BacktestConfig,
        observer: &mut dyn RunObserver,
    ) -> Result<&ValidationData, BacktestError> {
        let key = serde_json::to_string(&config.data)
            .map_err(|error| BacktestError::Config(format!("data section: {error}")))?;
        if !self.decoded.contains_key(&key) {
            let data = super::decode_validation_data(config, "gates", observer)?;
            self.decoded.insert(key.clone(), data);
        }
        self.decoded
            .get(&key)
            .ok_or_else(|| BacktestError::NoData("decoded data vanished".to_owned()))
    }
}

/// Evaluates the SPEC 6 gates of every config (see the module doc).
pub fn evaluate_gates(
    configs: &[BacktestConfig],
    options: &GateOptions,
    observer: &mut dyn RunObserver,
) -> Result<GateReport, BacktestError> {
    if configs.is_empty() {
        return Err(BacktestError::Config(
            "gates needs at least one config".to_owned(),
        ));
    }
    let mut cache = DataCache::default();
    let mut strategies = Vec::with_capacity(configs.len());
    for config in configs {
        let instrument = instrument_key(config)?.to_string();
        let data = cache.get(config, observer)?;
        let costs = cost_sensitivity(config, data, options.workers)?;
        let regimes = regime_split(config, data)?;
        let base_sharpe = costs
            .rows
            .iter()
            .find(|row| row.multiplier == 1.0)
            .and_then(|row| row.metrics.sharpe);
        let mut gates = vec![
            Gate::new(
                "out-of-sample Sharpe (fixed parameters: every day out of sample)",
                OUT_OF_SAMPLE_SHARPE,
                base_sharpe,
            ),
            costs.gate.clone(),
        ];
        gates.extend(regimes.rows.iter().map(|row| row.gate.clone()));
        let mut second = Vec::new();
        for other in &options.second {
            let other_instrument = instrument_key(other)?.to_string();
            if other_instrument == instrument {
                continue;
            }
            let moved = on_other_data(config, other);
            let other_data = cache.get(&moved, observer)?;
            let window = super::costs::trading_window(&moved, other_data)?;
            let (metrics, note) = match other_data.run(&moved, &other_data.window(&moved, window)) {
                Ok(result) => (Some(result.metrics), None),
                Err(BacktestError::NoData(reason)) => (None, Some(reason)),
                Err(error) => return Err(error),
            };
            let sharpe = metrics.as_ref().and_then(|metrics| metrics.sharpe);
            let gate = second_symbol_gate(&instrument, base_sharpe, &other_instrument, sharpe);
            gates.push(gate.clone());
            second.push(SecondSymbol {
                instrument: other_instrument,
                sharpe,
                trades: metrics.as_ref().map_or(0, |metrics| metrics.trade_count),
                net_pnl: metrics
                    .as_ref()
                    .map_or(0.0, |metrics| metrics.net_pnl.as_f64()),
                gate,
                note,
            });
        }
        strategies.push(StrategyGates {
            run_name: config.run.name.clone(),
            strategy: strategy_label(config),
            instrument,
            costs,
            regimes,
            second,
            gates,
        });
    }
    Ok(GateReport { strategies })
}

/// `GO` or `NO-GO`.
pub fn verdict(go: bool) -> &'static str {
    if go { "GO" } else { "NO-GO" }
}

/// The report as JSON (numbers as measured; null when undefined).
pub fn gates_json(report: &GateReport) -> serde_json::Value {
    let gate_json = |gate: &Gate| {
        serde_json::json!({
            "gate": gate.name,
            "threshold": gate.threshold,
            "value": gate.value.filter(|value| value.is_finite()),
            "verdict": verdict(gate.passed()),
        })
    };
    let strategies: Vec<serde_json::Value> = report
        .strategies
        .iter()
        .map(|strategy| {
            let costs: Vec<serde_json::Value> = strategy
                .costs
                .rows
                .iter()
                .map(|row| {
                    serde_json::json!({
                        "multiplier": row.multiplier,
                        "net_pnl": row.metrics.net_pnl.as_f64(),
                        "fees": row.metrics.total_fees.as_f64(),
                        "trades": row.metrics.trade_count,
                        "sharpe": row.metrics.sharpe.filter(|value| value.is_finite()),
                    })
                })
                .collect();
            serde_json::json!({
                "run": strategy.run_name,
                "strategy": strategy.strategy,
                "instrument": strategy.instrument,
                "verdict": verdict(strategy.go()),
                "gates": strategy.gates.iter().map(gate_json).collect::<Vec<_>>(),
                "costs": costs,
                "second_symbol": strategy.second.iter().map(|second| serde_json::json!({
                    "instrument": second.instrument,
                    "sharpe": second.sharpe.filter(|value| value.is_finite()),
                    "trades": second.trades,
                    "net_pnl": second.net_pnl,
                    "note": second.note,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::json!({
        "cost_multipliers": COST_MULTIPLIERS,
        "strategies": strategies,
        "not_evaluated": NOT_EVALUATED
            .iter()
            .map(|(gate, reason)| serde_json::json!({"gate": gate, "reason": reason}))
            .collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_the_kind_and_the_mean_reversion_variant() {
        let mut config =
            BacktestConfig::parse("data:\n  venue: bitflyer\n  symbol: BTC_JPY\n  market: spot\n")
                .unwrap();
        assert_eq!(strategy_label(&config), "auction");
        config.strategy.kind = StrategyKind::MeanReversion;
        assert_eq!(strategy_label(&config), "mean_reversion/statistical");
        config.strategy.mean_reversion.variant =
            auction_trader_strategy::mean_reversion::Variant::ImbalanceOvershoot;
        assert_eq!(
            strategy_label(&config),
            "mean_reversion/imbalance_overshoot"
        );
        assert_eq!((verdict(true), verdict(false)), ("GO", "NO-GO"));
    }
}
