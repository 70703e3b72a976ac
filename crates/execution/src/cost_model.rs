//! The dynamic cost model of SPEC 5: `estimate_cost(instrument, quantity, urgency,
//! market_state) → bps`, used for fills where depth is unknown and for research.
//!
//! Every component is in basis points of the order's quote notional at the mid (inverse
//! contracts: their USD face value), positive = a cost:
//! - **commission**: the taker (aggressive) or maker (passive) rate of the tier the trader's
//!   30-day volume reaches ([`CommissionTier`]; no tiers = the instrument's rates);
//! - **spread**: aggressive orders pay half the quoted spread, passive orders earn it
//!   (negative);
//! - **temporary impact** (aggressive only), Almgren–Chriss in the form estimated by Almgren,
//!   Thum, Hauptmann and Li (2005): `η · σ_day · (X / V_T)^β`, where `X / V_T` is the order's
//!   share of the volume traded over its execution horizon, `σ_day` the daily volatility
//!   (`σ_minute · √1440`, markets trading 24 h) and η = 0.142, β = 0.6 their estimates. A
//!   market order executes within about a second (`aggressive_horizon_seconds`), so `V_T` is
//!   one second's volume;
//! - **permanent impact** (aggressive only), Kyle: `λ · X` with λ in bps per million of quote
//!   notional, estimated from the data (the feature library's `kyle_lambda_30m`, passed in
//!   [`MarketState::kyle_lambda_bps_per_million`] so this crate does not depend on features).
//!   Without an estimate: Almgren et al.'s permanent term `γ · σ_day · X / V_day` (γ = 0.314);
//! - **adverse selection** (passive only): when the order fills (probability `p_fill`), the
//!   share VPIN of the flow that filled it is informed and moves the price against it by the
//!   expected absolute move of the horizon, `E|Δ| = σ_h · √(2/π)` with `σ_h = σ_minute ·
//!   √(horizon minutes)`: `p_fill · VPIN · E|Δ|` (no VPIN: the configured prior, 0.3);
//! - **opportunity cost** (passive only): with probability `1 − p_fill` the order does not fill
//!   and the price has moved on: `(1 − p_fill) · E|Δ|`.
//!
//! Statistics, not money: the model works in `f64` bps (SPEC 12 allows `f64` in statistics);
//! whoever turns a cost into a fill price rounds it to the tick in fixed point.

use auction_trader_types::{Instrument, Quantity, Rate};
use serde::{Deserialize, Serialize};

use crate::ExecutionError;

/// Minutes in a day (crypto trades 24 h: daily volatility = σ_minute × √1440).
const MINUTES_PER_DAY: f64 = 1_440.0;

/// How urgently the order must execute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// A market order now: taker fee, half spread, temporary and permanent impact.
    Aggressive,
    /// A limit order at the touch for up to `passive_horizon_seconds`: maker fee, earns half
    /// the spread, pays adverse selection and the opportunity cost of not filling.
    Passive,
}

/// One commission tier: from `min_volume_30d` (quote currency) upward these rates apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommissionTier {
    pub min_volume_30d: f64,
    pub maker_fee_bps: f64,
    pub taker_fee_bps: f64,
}

/// Parameters of the cost model (defaults: the literature's estimates, see the module doc).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CostModelConfig {
    /// Fee tiers by 30-day volume, any order; empty = the instrument's maker/taker rates.
    pub commission_tiers: Vec<CommissionTier>,
    /// Almgren et al. (2005) temporary impact coefficient η.
    pub temporary_eta: f64,
    /// Almgren et al. (2005) temporary impact exponent β.
    pub temporary_beta: f64,
    /// Almgren et al. (2005) permanent coefficient γ (used without a Kyle estimate).
    pub permanent_gamma: f64,
    /// Execution horizon of an aggressive order, seconds.
    pub aggressive_horizon_seconds: f64,
    /// How long a passive order works before it is given up, seconds (SPEC 5: auction
    /// entries convert after 1 minute).
    pub passive_horizon_seconds: f64,
    /// VPIN used when the market state has none.
    pub vpin_prior: f64,
    /// Fill probability of a passive order when the market state has none.
    pub passive_fill_probability_prior: f64,
}

impl Default for CostModelConfig {
    fn default() -> Self {
        Self {
            commission_tiers: Vec::new(),
            temporary_eta: 0.142,
            temporary_beta: 0.6,
            permanent_gamma: 0.314,
            aggressive_horizon_seconds: 1.0,
            passive_horizon_seconds: 60.0,
            vpin_prior: 0.3,
            passive_fill_probability_prior: 0.5,
        }
    }
}

/// What the model needs to know about the market (and the trader's fee tier) now.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct MarketState {
    /// Mid price (quote currency per unit), > 0.
    pub mid: f64,
    /// Quoted (or typical) bid–ask spread, same unit, >= 0.
    pub spread: f64,
    /// Standard deviation of one-minute mid log returns, bps, >= 0.
    pub volatility_bps_per_minute: f64,
    /// Traded quote notional per minute (recent average), > 0.
    pub volume_per_minute: f64,
    /// Kyle's lambda, bps per million of signed quote notional (feature `kyle_lambda_30m`).
    pub kyle_lambda_bps_per_million: Option<f64>,
    /// VPIN in [0, 1] (feature library, volume buckets).
    pub vpin: Option<f64>,
    /// Measured fill rate of passive orders in [0, 1].
    pub passive_fill_probability: Option<f64>,
    /// The trader's 30-day traded quote volume (selects the commission tier).
    pub own_volume_30d: f64,
}

/// The estimate, component by component (bps of the quote notional; positive = cost).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct CostEstimate {
    pub notional: f64,
    pub commission_bps: f64,
    pub spread_bps: f64,
    pub temporary_impact_bps: f64,
    pub permanent_impact_bps: f64,
    pub adverse_selection_bps: f64,
    pub opportunity_bps: f64,
    pub total_bps: f64,
}

impl CostEstimate {
    /// The market-impact part (temporary + permanent), the price concession a fill beyond
    /// the quoted size pays on top of the touch.
    pub fn impact_bps(&self) -> f64 {
        self.temporary_impact_bps + self.permanent_impact_bps
    }
}

/// The cost model with its parameters.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CostModel {
    config: CostModelConfig,
}

fn rate_bps(rate: Rate) -> f64 {
    rate.as_f64() * 1e4
}

fn invalid(field: &'static str, reason: String) -> ExecutionError {
    ExecutionError::InvalidConfig { field, reason }
}

impl CostModel {
    /// Validates the parameters (finite, in range).
    pub fn new(config: CostModelConfig) -> Result<Self, ExecutionError> {
        let positive = [
            ("cost_model.temporary_eta", config.temporary_eta),
            ("cost_model.temporary_beta", config.temporary_beta),
            ("cost_model.permanent_gamma", config.permanent_gamma),
            (
                "cost_model.aggressive_horizon_seconds",
                config.aggressive_horizon_seconds,
            ),
            (
                "cost_model.passive_horizon_seconds",
                config.passive_horizon_seconds,
            ),
        ];
        for (field, value) in positive {
            if !(value.is_finite() && value > 0.0) {
                return Err(invalid(
                    field,
                    format!("must be a positive number, got {value}"),
                ));
            }
        }
        let unit = [
            ("cost_model.vpin_prior", config.vpin_prior),
            (
                "cost_model.passive_fill_probability_prior",
                config.passive_fill_probability_prior,
            ),
        ];
        for (field, value) in unit {
            if !(0.0..=1.0).contains(&value) {
                return Err(invalid(field, format!("must be in [0, 1], got {value}")));
            }
        }
        for tier in &config.commission_tiers {
            if !(tier.min_volume_30d.is_finite()
                && tier.maker_fee_bps.is_finite()
                && tier.taker_fee_bps.is_finite())
            {
                return Err(invalid(
                    "cost_model.commission_tiers",
                    "every tier needs finite volume and fees".to_owned(),
                ));
            }
        }
        Ok(Self { config })
    }

    pub fn config(&self) -> &CostModelConfig {
        &self.config
    }

    /// Maker and taker fee (bps) for a trader with `own_volume_30d`: the highest tier reached,
    /// else the instrument's rates.
    fn commission(&self, instrument: &Instrument, own_volume_30d: f64) -> (f64, f64) {
        self.config
            .commission_tiers
            .iter()
            .filter(|tier| tier.min_volume_30d <= own_volume_30d)
            .max_by(|a, b| a.min_volume_30d.total_cmp(&b.min_volume_30d))
            .map_or(
                (
                    rate_bps(instrument.maker_fee),
                    rate_bps(instrument.taker_fee),
                ),
                |tier| (tier.maker_fee_bps, tier.taker_fee_bps),
            )
    }

    /// SPEC 5 `estimate_cost`: the expected cost of trading `quantity` (absolute) of
    /// `instrument` with `urgency` in `market` (see the module doc for every term).
    pub fn estimate_cost(
        &self,
        instrument: &Instrument,
        quantity: Quantity,
        urgency: Urgency,
        market: &MarketState,
    ) -> Result<CostEstimate, ExecutionError> {
        check_market(market)?;
        let config = &self.config;
        let mid_price =
            auction_trader_types::Price::from_f64_rounded(market.mid).ok_or_else(|| {
                invalid(
                    "market_state.mid",
                    format!("{} is out of range", market.mid),
                )
            })?;
        let notional_raw = instrument
            .valuation()
            .quote_notional_raw(mid_price, quantity.abs());
        let notional = notional_raw as f64 / auction_trader_types::FIXED_SCALE as f64;
        let (maker_bps, taker_bps) = self.commission(instrument, market.own_volume_30d);
        let half_spread_bps = market.spread / market.mid * 1e4 / 2.0;
        let sigma_minute = market.volatility_bps_per_minute;
        let sigma_day = sigma_minute * MINUTES_PER_DAY.sqrt();
        let mut estimate = CostEstimate {
            notional,
            ..CostEstimate::default()
        };
        match urgency {
            Urgency::Aggressive => {
                let horizon_volume =
                    market.volume_per_minute * config.aggressive_horizon_seconds / 60.0;
                let participation = notional / horizon_volume;
                estimate.commission_bps = taker_bps;
                estimate.spread_bps = half_spread_bps;
                estimate.temporary_impact_bps =
                    config.temporary_eta * sigma_day * participation.powf(config.temporary_beta);
                estimate.permanent_impact_bps = match market.kyle_lambda_bps_per_million {
                    // A negative regression slope is noise, not a price improvement.
                    Some(lambda) => lambda.max(0.0) * notional / 1e6,
                    None => {
                        let daily_volume = market.volume_per_minute * MINUTES_PER_DAY;
                        config.permanent_gamma * sigma_day * notional / daily_volume
                    }
                };
            }
            Urgency::Passive => {
                let horizon_minutes = config.passive_horizon_seconds / 60.0;
                let sigma_horizon = sigma_minute * horizon_minutes.sqrt();
                let vpin = market.vpin.unwrap_or(config.vpin_prior);
                let fill_probability = market
                    .passive_fill_probability
                    .unwrap_or(config.passive_fill_probability_prior);
                let expected_move = sigma_horizon * (2.0 / std::f64::consts::PI).sqrt();
                estimate.commission_bps = maker_bps;
                estimate.spread_bps = -half_spread_bps;
                estimate.adverse_selection_bps = fill_probability * vpin * expected_move;
                estimate.opportunity_bps = (1.0 - fill_probability) * expected_move;
            }
        }
        estimate.total_bps = estimate.commission_bps
            + estimate.spread_bps
            + estimate.temporary_impact_bps
            + estimate.permanent_impact_bps
            + estimate.adverse_selection_bps
            + estimate.opportunity_bps;
        Ok(estimate)
    }
}

/// SPEC 5 `estimate_cost(symbol, quantity, urgency, market_state) → bps` with the default
/// parameters: the total in bps (components: [`CostModel::estimate_cost`]).
pub fn estimate_cost(
    instrument: &Instrument,
    quantity: Quantity,
    urgency: Urgency,
    market: &MarketState,
) -> Result<f64, ExecutionError> {
    CostModel::default()
        .estimate_cost(instrument, quantity, urgency, market)
        .map(|estimate| estimate.total_bps)
}

fn check_market(market: &MarketState) -> Result<(), ExecutionError> {
    let checks = [
        ("market_state.mid", market.mid, true),
        (
            "market_state.volume_per_minute",
            market.volume_per_minute,
            true,
        ),
        ("market_state.spread", market.spread, false),
        (
            "market_state.volatility_bps_per_minute",
            market.volatility_bps_per_minute,
            false,
        ),
        ("market_state.own_volume_30d", market.own_volume_30d, false),
    ];
    for (field, value, strictly) in checks {
        let ok = value.is_finite() && if strictly { value > 0.0 } else { value >= 0.0 };
        if !ok {
            let bound = if strictly { "> 0" } else { ">= 0" };
            return Err(invalid(
                field,
                format!("must be finite and {bound}, got {value}"),
            ));
        }
    }
    for (field, value) in [
        ("market_state.vpin", market.vpin),
        (
            "market_state.passive_fill_probability",
            market.passive_fill_probability,
        ),
    ] {
        if let Some(value) = value
            && !(0.0..=1.0).contains(&value)
        {
            return Err(invalid(field, format!("must be in [0, 1], got {value}")));
        }
    }
    if let Some(lambda) = market.kyle_lambda_bps_per_million
        && !lambda.is_finite()
    {
        return Err(invalid(
            "market_state.kyle_lambda_bps_per_million",
            format!("must be finite, got {lambda}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{ContractType, InstrumentKey, MarketKind, Price};

    use super::*;

    fn btcusdt() -> Instrument {
        Instrument {
            key: InstrumentKey::new("binance-usdm", "BTCUSDT", MarketKind::Perpetual),
            tick_size: Price::from_decimal_str("0.1").unwrap(),
            lot_size: Quantity::from_decimal_str("0.001").unwrap(),
            min_size: Quantity::from_decimal_str("0.001").unwrap(),
            contract_multiplier: Quantity::ONE,
            maker_fee: Rate::from_decimal_str("0.0002").unwrap(),
            taker_fee: Rate::from_decimal_str("0.0005").unwrap(),
            contract_type: ContractType::Linear,
        }
    }

    /// Round numbers: mid 50,000, spread 5 (1 bps), σ 10 bps a minute, 60 M a minute (1 M a
    /// second), λ 20 bps per million, VPIN 0.4, fill probability 0.5.
    fn market() -> MarketState {
        MarketState {
            mid: 50_000.0,
            spread: 5.0,
            volatility_bps_per_minute: 10.0,
            volume_per_minute: 60_000_000.0,
            kyle_lambda_bps_per_million: Some(20.0),
            vpin: Some(0.4),
            passive_fill_probability: Some(0.5),
            own_volume_30d: 0.0,
        }
    }

    fn close(actual: f64, expected: f64) {
        assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
    }

    #[test]
    fn aggressive_cost_by_hand() {
        // 2 BTC at 50,000 = 100,000 notional. Commission 5 bps; half spread 0.5 bps;
        // σ_day = 10 × √1440 = 379.4733192; participation = 100,000 / 1,000,000 = 0.1;
        // 0.1^0.6 = 0.2511886432; temporary = 0.142 × 379.4733192 × 0.2511886432
        // = 13.5353531; Kyle = 20 × 0.1 = 2.0. Total 21.0353531 bps.
        let estimate = CostModel::default()
            .estimate_cost(
                &btcusdt(),
                Quantity::from_decimal_str("2").unwrap(),
                Urgency::Aggressive,
                &market(),
            )
            .unwrap();
        close(estimate.notional, 100_000.0);
        close(estimate.commission_bps, 5.0);
        close(estimate.spread_bps, 0.5);
        let temporary = 0.142 * 10.0 * 1440_f64.sqrt() * 0.1_f64.powf(0.6);
        close(estimate.temporary_impact_bps, temporary);
        assert!((temporary - 13.535_353_1).abs() < 1e-6);
        close(estimate.permanent_impact_bps, 2.0);
        close(estimate.total_bps, 5.0 + 0.5 + temporary + 2.0);
    }

    #[test]
    fn passive_cost_by_hand() {
        // Maker 2 bps; earns half the spread −0.5; horizon 1 minute: σ_h = 10, E|Δ| =
        // 10 × √(2/π) = 7.9788456; adverse selection 0.5 × 0.4 × 7.9788456 = 1.5957691;
        // opportunity 0.5 × 7.9788456 = 3.9894228. Total 2 − 0.5 + 1.5957691 + 3.9894228
        // = 7.0851919 bps.
        let total = estimate_cost(
            &btcusdt(),
            Quantity::from_decimal_str("2").unwrap(),
            Urgency::Passive,
            &market(),
        )
        .unwrap();
        let expected_move = 10.0 * (2.0 / std::f64::consts::PI).sqrt();
        close(total, 2.0 - 0.5 + 0.2 * expected_move + 0.5 * expected_move);
        assert!((total - 7.085_191_9).abs() < 1e-6, "{total}");
    }

    #[test]
    fn tiers_priors_and_the_fallback_permanent_term() {
        let model = CostModel::new(CostModelConfig {
            commission_tiers: vec![
                CommissionTier {
                    min_volume_30d: 0.0,
                    maker_fee_bps: 2.0,
                    taker_fee_bps: 5.0,
                },
                CommissionTier {
                    min_volume_30d: 15_000_000.0,
                    maker_fee_bps: 1.6,
                    taker_fee_bps: 4.0,
                },
            ],
            ..CostModelConfig::default()
        })
        .unwrap();
        let mut state = market();
        state.own_volume_30d = 20_000_000.0;
        state.kyle_lambda_bps_per_million = None;
        state.vpin = None;
        state.passive_fill_probability = None;
        let quantity = Quantity::from_decimal_str("2").unwrap();
        let aggressive = model
            .estimate_cost(&btcusdt(), quantity, Urgency::Aggressive, &state)
            .unwrap();
        close(aggressive.commission_bps, 4.0);
        // γ σ_day X / V_day = 0.314 × 379.4733192 × 100,000 / 86,400,000,000 = 0.0001379.
        close(
            aggressive.permanent_impact_bps,
            0.314 * 10.0 * 1440_f64.sqrt() * 100_000.0 / (60_000_000.0 * 1440.0),
        );
        let passive = model
            .estimate_cost(&btcusdt(), quantity, Urgency::Passive, &state)
            .unwrap();
        close(passive.commission_bps, 1.6);
        // Priors: fill 0.5, VPIN 0.3 → 0.5 × 0.3 × 7.9788456 = 1.1968268; opportunity
        // 0.5 × 7.9788456 = 3.9894228.
        close(
            passive.adverse_selection_bps,
            0.15 * 10.0 * (2.0 / std::f64::consts::PI).sqrt(),
        );
        close(
            passive.opportunity_bps,
            5.0 * (2.0 / std::f64::consts::PI).sqrt(),
        );
    }

    #[test]
    fn inverse_contracts_cost_bps_of_their_face_value() {
        // 1,000 BTCUSD_PERP contracts of 100 USD = 100,000 USD face value at any price.
        let mut coinm = btcusdt();
        coinm.contract_type = ContractType::Inverse;
        coinm.contract_multiplier = Quantity::from_decimal_str("100").unwrap();
        let estimate = CostModel::default()
            .estimate_cost(
                &coinm,
                Quantity::from_decimal_str("1000").unwrap(),
                Urgency::Aggressive,
                &market(),
            )
            .unwrap();
        close(estimate.notional, 100_000.0);
    }

    #[test]
    fn bad_inputs_are_errors_naming_the_field() {
        let mut state = market();
        state.volume_per_minute = 0.0;
        let error =
            estimate_cost(&btcusdt(), Quantity::ONE, Urgency::Aggressive, &state).unwrap_err();
        assert!(error.to_string().contains("volume_per_minute"), "{error}");
        let mut state = market();
        state.vpin = Some(1.5);
        assert!(estimate_cost(&btcusdt(), Quantity::ONE, Urgency::Passive, &state).is_err());
        assert!(
            CostModel::new(CostModelConfig {
                temporary_beta: f64::NAN,
                ..CostModelConfig::default()
            })
            .is_err()
        );
    }
}
