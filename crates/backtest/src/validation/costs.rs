//! Transaction-cost sensitivity (SPEC 6): the same config re-run with its costs scaled by
//! 0.5, 1, 1.5, 2 and 3, and the gate "Sharpe > 1.0 at 2× costs".
//!
//! What a multiplier scales (SPEC 6: fees and each fill's distance from mid), as far as the
//! fill model has a key for it: the effective maker and taker fees (the instrument's, with the
//! config's overrides; a maker rebate is income, not a cost, and stays as it is),
//! `execution.slippage_bps` (market orders priced from a quote or the last trade) and
//! `execution.fallback_half_spread_ticks` (the half spread assumed without a fresh quote,
//! rounded to whole ticks). Prices walked in recorded depth and quoted spreads are the
//! market's and are not scaled. sma_cross fills at the bar close (no distance from mid): only
//! its fees scale.

use auction_trader_analytics::Metrics;
use auction_trader_types::Instrument;

use super::data::ValidationData;
use super::gates::{GATE_COST_MULTIPLIER, Gate, SHARPE_AT_DOUBLE_COSTS};
use super::window::{Window, events_range};
use crate::config::BacktestConfig;
use crate::error::BacktestError;

/// SPEC 6: the cost multipliers.
pub const COST_MULTIPLIERS: [f64; 5] = [0.5, 1.0, 1.5, 2.0, 3.0];

/// A config's costs scaled by one multiplier, and what changed (`key: before -> after`).
#[derive(Debug, Clone)]
pub struct ScaledCosts {
    pub config: BacktestConfig,
    pub changes: Vec<String>,
}

fn bps_of(rate: auction_trader_types::Rate) -> f64 {
    rate.as_f64() * 10_000.0
}

/// `config` with every cost it expresses scaled by `multiplier` (see the module doc).
pub fn scale_costs(
    config: &BacktestConfig,
    instrument: &Instrument,
    multiplier: f64,
) -> Result<ScaledCosts, BacktestError> {
    if !(multiplier.is_finite() && multiplier >= 0.0) {
        return Err(BacktestError::Config(format!(
            "cost multiplier {multiplier} must be a non-negative number"
        )));
    }
    let mut scaled = config.clone();
    let mut changes = Vec::new();
    let mut change = |key: &str, before: f64, after: f64| {
        changes.push(format!("{key}: {before} -> {after}"));
    };
    // The instrument as resolved (venue table + instrument overrides) carries the fees.
    let taker = bps_of(instrument.taker_fee);
    scaled.instrument.taker_fee_bps = Some(taker * multiplier);
    change("instrument.taker_fee_bps", taker, taker * multiplier);
    let maker = bps_of(instrument.maker_fee);
    if maker >= 0.0 {
        scaled.instrument.maker_fee_bps = Some(maker * multiplier);
        scaled.instrument.maker_rebate_bps = None;
        change("instrument.maker_fee_bps", maker, maker * multiplier);
    }
    let execution = &mut scaled.execution;
    if let Some(fee) = execution.taker_fee_bps {
        execution.taker_fee_bps = Some(fee * multiplier);
        change("execution.taker_fee_bps", fee, fee * multiplier);
    }
    if let Some(fee) = execution.maker_fee_bps {
        execution.maker_fee_bps = Some(fee * multiplier);
        change("execution.maker_fee_bps", fee, fee * multiplier);
    }
    let slippage = execution.slippage_bps;
    execution.slippage_bps = slippage * multiplier;
    change("execution.slippage_bps", slippage, slippage * multiplier);
    let half_spread = execution.fallback_half_spread_ticks;
    let scaled_half = (f64::from(half_spread) * multiplier).round();
    if scaled_half > f64::from(u32::MAX) {
        return Err(BacktestError::Config(format!(
            "execution.fallback_half_spread_ticks {half_spread} x {multiplier} is out of range"
        )));
    }
    // Exact: a rounded, range-checked non-negative number.
    execution.fallback_half_spread_ticks = scaled_half as u32;
    change(
        "execution.fallback_half_spread_ticks",
        f64::from(half_spread),
        scaled_half,
    );
    scaled.validate()?;
    Ok(ScaledCosts {
        config: scaled,
        changes,
    })
}

/// One multiplier's run.
#[derive(Debug, Clone)]
pub struct CostRow {
    pub multiplier: f64,
    pub changes: Vec<String>,
    pub metrics: Metrics,
}

/// The cost-sensitivity report.
#[derive(Debug, Clone)]
pub struct CostReport {
    pub run_name: String,
    pub window: Window,
    pub rows: Vec<CostRow>,
    pub gate: Gate,
}

/// Runs `config` at every multiplier of [`COST_MULTIPLIERS`] over the decoded data (the
/// config's own `data.start`/`data.end` range).
pub fn cost_sensitivity(
    config: &BacktestConfig,
    data: &ValidationData,
    workers: usize,
) -> Result<CostReport, BacktestError> {
    let window = trading_window(config, data)?;
    let scaled = COST_MULTIPLIERS
        .iter()
        .map(|&multiplier| scale_costs(config, &data.instrument, multiplier))
        .collect::<Result<Vec<_>, _>>()?;
    let configs: Vec<BacktestConfig> = scaled.iter().map(|item| item.config.clone()).collect();
    let window_data = data.window(config, window);
    let metrics = data.run_all(&configs, &window_data, workers, &|result| result.metrics)?;
    let rows: Vec<CostRow> = scaled
        .into_iter()
        .zip(metrics)
        .zip(COST_MULTIPLIERS)
        .map(|((item, metrics), multiplier)| CostRow {
            multiplier,
            changes: item.changes,
            metrics,
        })
        .collect();
    let gate = cost_gate(&rows);
    Ok(CostReport {
        run_name: config.run.name.clone(),
        window,
        rows,
        gate,
    })
}

/// SPEC 6: Sharpe > 1.0 at 2× costs.
pub fn cost_gate(rows: &[CostRow]) -> Gate {
    let sharpe = rows
        .iter()
        .find(|row| row.multiplier == GATE_COST_MULTIPLIER)
        .and_then(|row| row.metrics.sharpe);
    Gate::new(
        format!("Sharpe at {GATE_COST_MULTIPLIER}x costs"),
        SHARPE_AT_DOUBLE_COSTS,
        sharpe,
    )
}

/// Where the config trades: `data.start`/`data.end` when set, else the decoded data's range.
pub fn trading_window(
    config: &BacktestConfig,
    data: &ValidationData,
) -> Result<Window, BacktestError> {
    let range = events_range(&data.events)
        .ok_or_else(|| BacktestError::NoData("no events to validate on".to_owned()))?;
    let from = config.data.start_time()?.unwrap_or(range.from);
    let to = config.data.end_time()?.unwrap_or(range.to);
    Ok(Window {
        from: from.max(range.from),
        to: to.min(range.to),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use auction_trader_data::instruments::instrument_or_default;
    use auction_trader_types::{InstrumentKey, MarketKind, Rate};

    fn config() -> BacktestConfig {
        BacktestConfig::parse(
            "data:\n  venue: v\n  symbol: S\nexecution:\n  slippage_bps: 1.5\n  \
             fallback_half_spread_ticks: 3\n  taker_fee_bps: 4\n",
        )
        .unwrap()
    }

    fn instrument(maker: &str, taker: &str) -> Instrument {
        let mut instrument =
            instrument_or_default(&InstrumentKey::new("v", "S", MarketKind::Perpetual));
        instrument.maker_fee = Rate::from_decimal_str(maker).unwrap();
        instrument.taker_fee = Rate::from_decimal_str(taker).unwrap();
        instrument
    }

    #[test]
    fn fees_slippage_and_fallback_spread_scale() {
        // maker 2 bps, taker 5 bps; execution overrides taker to 4 bps.
        let scaled = scale_costs(&config(), &instrument("0.0002", "0.0005"), 2.0).unwrap();
        let doubled = &scaled.config;
        assert_eq!(doubled.instrument.taker_fee_bps, Some(10.0));
        assert_eq!(doubled.instrument.maker_fee_bps, Some(4.0));
        assert_eq!(doubled.execution.taker_fee_bps, Some(8.0));
        assert_eq!(doubled.execution.maker_fee_bps, None);
        assert_eq!(doubled.execution.slippage_bps, 3.0);
        assert_eq!(doubled.execution.fallback_half_spread_ticks, 6);
        assert!(
            scaled
                .changes
                .contains(&"execution.slippage_bps: 1.5 -> 3".to_owned())
        );
        // 3 ticks × 0.5 = 1.5 rounds to 2.
        let half = scale_costs(&config(), &instrument("0.0002", "0.0005"), 0.5).unwrap();
        assert_eq!(half.config.execution.fallback_half_spread_ticks, 2);
        assert_eq!(half.config.instrument.taker_fee_bps, Some(2.5));
    }

    #[test]
    fn a_maker_rebate_is_not_scaled_and_bad_multipliers_are_refused() {
        let scaled = scale_costs(&config(), &instrument("-0.00025", "0.0005"), 3.0).unwrap();
        assert_eq!(scaled.config.instrument.maker_fee_bps, None);
        assert_eq!(scaled.config.instrument.taker_fee_bps, Some(15.0));
        assert!(scale_costs(&config(), &instrument("0", "0"), -1.0).is_err());
        assert!(scale_costs(&config(), &instrument("0", "0"), f64::NAN).is_err());
    }
}
