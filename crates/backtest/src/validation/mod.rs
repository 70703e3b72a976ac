//! Validation of a strategy (SPEC 6): transaction-cost sensitivity, expanding walk-forward
//! with an embargo, purged k-fold, cross-symbol and the split by volatility regime, each with
//! the SPEC 6 gate, a text report and an HTML page; and every gate of several strategies in
//! one GO / NO-GO report (`gate_report`). The data is
//! decoded once per validation; every run reads windows of it.

mod costs;
mod cross_symbol;
mod data;
mod gate_report;
mod gates;
mod kfold;
mod purged;
mod regimes;
mod report;
mod walk_forward;
mod window;

use std::path::{Path, PathBuf};

pub use costs::{
    COST_MULTIPLIERS, CostReport, CostRow, ScaledCosts, cost_gate, cost_sensitivity, scale_costs,
    trading_window,
};
pub use cross_symbol::{
    CrossSymbolOptions, CrossSymbolReport, SymbolRow, cross_symbol, on_other_data,
    second_symbol_gate,
};
pub use data::{ValidationData, WindowData};
pub use gate_report::{
    GateOptions, GateReport, NOT_EVALUATED, SecondSymbol, StrategyGates, evaluate_gates,
    gates_json, strategy_label, verdict,
};
pub use gates::{
    GATE_COST_MULTIPLIER, Gate, OUT_OF_SAMPLE_SHARPE, SECOND_SYMBOL_SHARPE_RATIO,
    SHARPE_AT_DOUBLE_COSTS, SHARPE_IN_EVERY_REGIME,
};
pub use kfold::{
    KFoldOptions, KFoldReport, KFoldResult, TrainPart, pooled_objective, purged_kfold,
};
pub use purged::{PurgedFold, purged_folds};
pub use regimes::{REGIMES, RegimeReport, RegimeRow, daily_volatility, regime_split, terciles};
pub use report::{
    cost_html, cost_text, cross_symbol_html, cross_symbol_text, gates_html, gates_text, kfold_html,
    kfold_text, regime_html, regime_text, walk_forward_html, walk_forward_text,
};
pub use walk_forward::{
    FoldResult, OBJECTIVES, WalkForwardOptions, WalkForwardReport, best_index, objective_value,
    walk_forward,
};
pub use window::{Fold, Window, events_range, expanding_folds, window_events};

use crate::config::BacktestConfig;
use crate::error::BacktestError;
use crate::run_config::{RunObserver, decode_run_data, open_store};
use crate::run_dir::write_file;

/// Imports what is missing and decodes the config's instrument and events once.
pub fn decode_validation_data(
    config: &BacktestConfig,
    purpose: &str,
    observer: &mut dyn RunObserver,
) -> Result<ValidationData, BacktestError> {
    let store = open_store(config)?;
    let (instrument, events) = decode_run_data(config, &store, purpose, observer)?;
    if events.is_empty() {
        return Err(BacktestError::NoData(format!(
            "no events to validate on for {:?}",
            config.run.name
        )));
    }
    Ok(ValidationData { instrument, events })
}

/// Writes `report.txt` and `report.html` into `dir` (created when missing); returns the
/// HTML page's path.
pub fn write_report(dir: &Path, text: &str, html: &str) -> Result<PathBuf, BacktestError> {
    std::fs::create_dir_all(dir).map_err(|source| BacktestError::Io {
        path: dir.to_path_buf(),
        cause: source,
    })?;
    write_file(&dir.join("report.txt"), text.as_bytes())?;
    let page = dir.join("report.html");
    write_file(&page, html.as_bytes())?;
    Ok(page)
}
