//! The fill-model report (SPEC 5): runs one configured strategy over the same decoded events
//! once per queue model (`execution.queue_model` replaced, every other setting kept, so the
//! seeded models draw the same numbers in every run) and summarizes each run
//! ([`FillModelComparison`]). The baseline is the SPEC 5 default model (`queue_fraction`): it
//! is always run, first, and the differences are taken to it.

use auction_trader_analytics::{FillModelComparison, FillModelRow, display::run_currency};
use auction_trader_execution::QueueModelKind;
use auction_trader_types::{Instrument, MarketEvent};

use crate::config::BacktestConfig;
use crate::error::BacktestError;
use crate::runner::run_backtest;

/// The models to run: the baseline first, then `requested` in order, each once (empty: every
/// named model, [`QueueModelKind::ALL`]).
pub fn models_to_compare(requested: &[QueueModelKind]) -> Vec<QueueModelKind> {
    let requested = if requested.is_empty() {
        &QueueModelKind::ALL[..]
    } else {
        requested
    };
    let mut models = vec![QueueModelKind::default()];
    for &model in requested {
        if !models.contains(&model) {
            models.push(model);
        }
    }
    models
}

/// Runs `config`'s strategy over `events` (one instrument, replay order) under each model of
/// [`models_to_compare`]`(requested)`; `on_model` is called before each run.
pub fn compare_fill_models(
    config: &BacktestConfig,
    instrument: &Instrument,
    events: &[MarketEvent],
    requested: &[QueueModelKind],
    on_model: &mut dyn FnMut(QueueModelKind),
) -> Result<FillModelComparison, BacktestError> {
    let mut rows = Vec::new();
    let mut currency = String::new();
    for model in models_to_compare(requested) {
        on_model(model);
        let mut run_config = config.clone();
        run_config.execution.queue_model = model;
        let result = run_backtest(
            &run_config,
            instrument.clone(),
            events
                .iter()
                .map(|event| Ok::<_, std::convert::Infallible>(*event)),
            &mut |_, _| {},
        )?;
        currency = run_currency(&result.records);
        rows.push(FillModelRow::of(
            model.as_str(),
            &result.records,
            &result.metrics,
        ));
    }
    Ok(FillModelComparison {
        title: format!("{}: fill models", config.run.name),
        symbol: instrument.key.to_string(),
        currency,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_baseline_runs_first_and_once() {
        use QueueModelKind::*;
        assert_eq!(models_to_compare(&[]), QueueModelKind::ALL.to_vec());
        assert_eq!(
            models_to_compare(&[ProbLog, RiskAverse, ProbLog, QueueFraction]),
            [QueueFraction, ProbLog, RiskAverse]
        );
    }
}
