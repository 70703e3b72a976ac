//! Position sizing (SPEC 4): size = available margin × risk per trade / |entry − stop|, capped
//! so the notional is at most `max_leverage × available margin`, rounded down to whole lots,
//! skipped below the minimum size. Exact fixed-point maths in `i128`; no `f64`.

use auction_trader_types::{ContractType, Instrument, Money, Price, Quantity};
use serde::Serialize;
use thiserror::Error;

use crate::RiskConfig;
use crate::value::SCALE;

/// A sized entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sizing {
    /// Whole lots, at least the instrument's minimum size.
    pub quantity: Quantity,
    /// Money lost if the stop is hit: `|entry − stop| × quantity × multiplier` (≤ the budget).
    pub risk_amount: Money,
    /// The risk budget: available margin × risk per trade.
    pub risk_budget: Money,
    /// `entry × quantity × multiplier` (≤ max_leverage × available margin).
    pub notional: Money,
    /// The risk-based size had a notional above `max_leverage × available margin` and was
    /// reduced to the cap (SPEC 4).
    pub leverage_capped: bool,
}

/// Why no size could be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SizingRejection {
    #[error("entry and stop are the same price: the risk per unit is zero")]
    ZeroStopDistance,
    #[error("entry or stop price is not positive")]
    NonPositivePrice,
    #[error("no available margin ({available})")]
    NoAvailableMargin { available: Money },
    #[error("size {quantity} is below the minimum size {minimum}")]
    BelowMinimumSize {
        quantity: Quantity,
        minimum: Quantity,
    },
    #[error("instrument lot size or contract multiplier is not positive")]
    InvalidInstrument,
    #[error("size overflows the fixed-point range")]
    Overflow,
}

/// `floor(numerator / denominator)` for a non-negative numerator and positive denominator;
/// `None` when the denominator is not positive.
fn floor_div(numerator: i128, denominator: i128) -> Option<i128> {
    (denominator > 0).then(|| numerator.div_euclid(denominator))
}

/// Whole lots whose value `lots × lot × price_like × multiplier` fits in `amount_raw`:
/// `floor(amount × S² / (price_like × multiplier × lot))`. A denominator too large for `i128`
/// means not even one lot fits; a numerator too large saturates.
fn lots_within(
    amount_raw: i128,
    price_like_raw: i128,
    multiplier_raw: i128,
    lot_raw: i128,
) -> i128 {
    let Some(denominator) = price_like_raw
        .checked_mul(multiplier_raw)
        .and_then(|value| value.checked_mul(lot_raw))
    else {
        return 0;
    };
    let numerator = amount_raw.saturating_mul(SCALE).saturating_mul(SCALE);
    floor_div(numerator, denominator).unwrap_or(0)
}

/// `floor(a × b / c)` for non-negative `a`, `b` and positive `c`, exact when `a × b` fits
/// `i128`, else `floor(a / c) × b` (only for absurd sizes; never more than the exact value).
fn mul_div_floor(a: i128, b: i128, c: i128) -> i128 {
    if c <= 0 {
        return 0;
    }
    match a.checked_mul(b) {
        Some(product) => product.div_euclid(c),
        None => a.div_euclid(c).saturating_mul(b),
    }
}

/// Sizes an entry at `entry` with its stop at `stop` (SPEC 4, SPEC 11.2).
///
/// `available_margin` is equity minus the initial margin of open positions
/// ([`available_margin`](crate::available_margin)), in the settlement currency: quote for
/// linear contracts, coin for inverse ones (SPEC 5: sizing in coin terms). The size is the
/// smaller of the risk-based size and the leverage cap, each rounded down to whole lots
/// (rounding both down, then taking the smaller, equals rounding the smaller down).
///
/// Inverse contracts: one lot loses `lot × multiplier × |1/entry − 1/stop|` coin at the stop
/// and is worth `lot × multiplier / entry` coin, so
/// `lots_by_risk = ⌊budget × entry × stop / (lot × multiplier × |entry − stop|)⌋` and
/// `lots_by_cap = ⌊cap × entry / (lot × multiplier)⌋` (raw integers, one division each).
pub fn size_position(
    available_margin: Money,
    entry: Price,
    stop: Price,
    instrument: &Instrument,
    config: &RiskConfig,
) -> Result<Sizing, SizingRejection> {
    if !entry.is_positive() || !stop.is_positive() {
        return Err(SizingRejection::NonPositivePrice);
    }
    if entry == stop {
        return Err(SizingRejection::ZeroStopDistance);
    }
    if !available_margin.is_positive() {
        return Err(SizingRejection::NoAvailableMargin {
            available: available_margin,
        });
    }
    let lot = i128::from(instrument.lot_size.raw());
    let multiplier = i128::from(instrument.contract_multiplier.raw());
    if lot <= 0 || multiplier <= 0 {
        return Err(SizingRejection::InvalidInstrument);
    }
    let valuation = instrument.valuation();
    let available = i128::from(available_margin.raw());
    let entry_raw = i128::from(entry.raw());
    let stop_raw = i128::from(stop.raw());
    let distance = (entry_raw - stop_raw).abs();
    // SPEC 4: risk budget = available margin × 2%.
    let budget = available * i128::from(config.risk_per_trade.raw()) / SCALE;
    // SPEC 4: notional cap = 10 × available margin.
    let cap = available * i128::from(config.max_leverage.raw()) / SCALE;
    let (lots_by_risk, lots_by_cap, leverage_capped) = match valuation.contract_type {
        ContractType::Linear => {
            // Capped when the unrounded risk size's notional exceeds the cap:
            // budget / distance × entry > cap  ⇔  budget × entry > cap × distance.
            let capped = match cap.checked_mul(distance) {
                Some(cap_times_distance) => budget.saturating_mul(entry_raw) > cap_times_distance,
                None => false,
            };
            (
                lots_within(budget, distance, multiplier, lot),
                lots_within(cap, entry_raw, multiplier, lot),
                capped,
            )
        }
        ContractType::Inverse => {
            let unit = lot.saturating_mul(multiplier);
            let by_risk = mul_div_floor(
                budget,
                entry_raw.saturating_mul(stop_raw),
                unit.saturating_mul(distance),
            );
            let by_cap = mul_div_floor(cap, entry_raw, unit);
            // budget / risk_per_unit × value_per_unit > cap ⇔ budget × stop > cap × distance.
            let capped = budget.saturating_mul(stop_raw) > cap.saturating_mul(distance);
            (by_risk, by_cap, capped)
        }
    };
    let lots = lots_by_risk.min(lots_by_cap);
    let quantity_raw = lots
        .checked_mul(lot)
        .and_then(|raw| i64::try_from(raw).ok())
        .ok_or(SizingRejection::Overflow)?;
    let quantity = Quantity::from_raw(quantity_raw);
    // SPEC 4: skip the trade if below the minimum size (a zero size is always skipped).
    if quantity < instrument.min_size || quantity.is_zero() {
        return Err(SizingRejection::BelowMinimumSize {
            quantity,
            minimum: instrument.min_size,
        });
    }
    Ok(Sizing {
        quantity,
        risk_amount: Money::from_raw_i128(valuation.pnl_raw(entry, stop, quantity).abs()),
        risk_budget: Money::from_raw_i128(budget),
        notional: valuation.value(entry, quantity),
        leverage_capped,
    })
}

#[cfg(test)]
mod tests {
    use auction_trader_types::Rate;
    use proptest::prelude::*;

    use super::*;
    use crate::test_support::{btc_perp, money, price};

    #[test]
    fn spec_11_2_sizing_with_the_leverage_cap() {
        // Available 10,000; risk 2% = 200; long 60,000 stop 59,940 (60 away) → 3.333 BTC,
        // notional 200,000 = 20× → reduced to 10× = 100,000 → 1.6666… BTC → lot 0.001 → 1.666.
        let sizing = size_position(
            money("10000"),
            price("60000"),
            price("59940"),
            &btc_perp(),
            &RiskConfig::default(),
        )
        .unwrap();
        assert_eq!(
            sizing.quantity,
            Quantity::from_decimal_str("1.666").unwrap()
        );
        assert!(sizing.leverage_capped);
        assert_eq!(sizing.risk_budget, money("200"));
        // 1.666 × 60,000 = 99,960 ≤ 100,000; risk 1.666 × 60 = 99.96.
        assert_eq!(sizing.notional, money("99960"));
        assert_eq!(sizing.risk_amount, money("99.96"));
    }

    #[test]
    fn uncapped_size_is_budget_over_distance_rounded_down() {
        // 200 / 300 = 0.6666… BTC → 0.666; notional 39,960 = 4× (no cap). Short mirror: stop
        // above the entry gives the same size.
        for stop in ["59700", "60300"] {
            let sizing = size_position(
                money("10000"),
                price("60000"),
                price(stop),
                &btc_perp(),
                &RiskConfig::default(),
            )
            .unwrap();
            assert_eq!(
                sizing.quantity,
                Quantity::from_decimal_str("0.666").unwrap()
            );
            assert!(!sizing.leverage_capped);
            assert_eq!(sizing.risk_amount, money("199.8"));
        }
    }

    #[test]
    fn contract_multiplier_scales_the_size() {
        // Multiplier 10, lot 1: each unit loses 60 × 10 = 600 at the stop; budget 2% of
        // 100,000 = 2,000 → 3.33 units, notional 3.33 × 600,000 = 2 M > cap 10 × 100,000
        // = 1 M → 1,000,000 / 600,000 = 1.66 → 1 unit (capped); risk 600, notional 600,000.
        let mut instrument = btc_perp();
        instrument.contract_multiplier = Quantity::from_decimal_str("10").unwrap();
        instrument.lot_size = Quantity::ONE;
        instrument.min_size = Quantity::ONE;
        let sizing = size_position(
            money("100000"),
            price("60000"),
            price("59940"),
            &instrument,
            &RiskConfig::default(),
        )
        .unwrap();
        assert_eq!(sizing.quantity, Quantity::ONE);
        assert!(sizing.leverage_capped);
        assert_eq!(sizing.notional, money("600000"));
        assert_eq!(sizing.risk_amount, money("600"));
    }

    #[test]
    fn inverse_contracts_are_sized_in_coin() {
        // BTCUSD_PERP (100 USD contracts, lot 1): available 0.1 BTC, risk 2% = 0.002 BTC.
        // Long 60,000, stop 59,400: one contract loses 100 × (1/59,400 − 1/60,000)
        // = 100 × 600 / (59,400 × 60,000) = 0.0000168350… BTC → 0.002 / 0.000016835 = 118.8
        // → 118 contracts. Cap: 10 × 0.1 = 1 BTC = 60,000 USD = 600 contracts (not reached).
        let mut coinm = btc_perp();
        coinm.contract_type = ContractType::Inverse;
        coinm.contract_multiplier = Quantity::from_decimal_str("100").unwrap();
        coinm.lot_size = Quantity::ONE;
        coinm.min_size = Quantity::ONE;
        let sizing = size_position(
            money("0.1"),
            price("60000"),
            price("59400"),
            &coinm,
            &RiskConfig::default(),
        )
        .unwrap();
        assert_eq!(sizing.quantity, Quantity::from_decimal_str("118").unwrap());
        assert!(!sizing.leverage_capped);
        // Risk 118 × 0.0000168350… = 0.00198653199 BTC (a loss, floored: 0.001986532);
        // value 11,800 / 60,000
        // = 0.196666666 BTC.
        assert_eq!(sizing.risk_amount, money("0.001986532"));
        assert_eq!(sizing.notional, money("0.196666666"));
        // A stop 60 away (SPEC 11.2's distance): 0.002 / (100 × 60 / (59,940 × 60,000))
        // = 1,198.8 contracts by risk, capped at 600 (1 BTC × 60,000 / 100).
        let capped = size_position(
            money("0.1"),
            price("60000"),
            price("59940"),
            &coinm,
            &RiskConfig::default(),
        )
        .unwrap();
        assert_eq!(capped.quantity, Quantity::from_decimal_str("600").unwrap());
        assert!(capped.leverage_capped);
        // With linear valuation the same 0.1 of equity sizes to nothing: the defect.
        coinm.contract_type = ContractType::Linear;
        assert!(matches!(
            size_position(
                money("0.1"),
                price("60000"),
                price("59400"),
                &coinm,
                &RiskConfig::default()
            ),
            Err(SizingRejection::BelowMinimumSize { .. })
        ));
    }

    #[test]
    fn typed_rejections() {
        let config = RiskConfig::default();
        let instrument = btc_perp();
        let size = |margin: &str, entry: &str, stop: &str| {
            size_position(
                money(margin),
                price(entry),
                price(stop),
                &instrument,
                &config,
            )
        };
        assert_eq!(
            size("10000", "60000", "60000"),
            Err(SizingRejection::ZeroStopDistance)
        );
        assert_eq!(
            size("10000", "0", "1"),
            Err(SizingRejection::NonPositivePrice)
        );
        assert_eq!(
            size("0", "60000", "59940"),
            Err(SizingRejection::NoAvailableMargin {
                available: Money::ZERO
            })
        );
        // 2% of 1 = 0.02 / 60 = 0.00033 BTC → 0 lots → below the minimum.
        assert_eq!(
            size("1", "60000", "59940"),
            Err(SizingRejection::BelowMinimumSize {
                quantity: Quantity::ZERO,
                minimum: instrument.min_size
            })
        );
        // 1.666 BTC (SPEC 11.2) is below a 2 BTC minimum.
        let mut big_minimum = instrument.clone();
        big_minimum.min_size = Quantity::from_decimal_str("2").unwrap();
        assert!(matches!(
            size_position(
                money("10000"),
                price("60000"),
                price("59940"),
                &big_minimum,
                &config
            ),
            Err(SizingRejection::BelowMinimumSize { .. })
        ));
        let mut no_lot = instrument.clone();
        no_lot.lot_size = Quantity::ZERO;
        assert_eq!(
            size_position(
                money("10000"),
                price("60000"),
                price("59940"),
                &no_lot,
                &config
            ),
            Err(SizingRejection::InvalidInstrument)
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn sized_positions_respect_cap_lots_and_budget(
            margin_cents in 1_i64..10_000_000_000,
            entry_ticks in 1_i64..2_000_000,
            distance_ticks in 1_i64..100_000,
            short: bool,
            lot_exponent in 0_u32..9,
            multiplier_tenths in 1_i64..1_000,
            risk_bps in 1_i64..10_000,
            leverage_tenths in 1_i64..1_000,
        ) {
            let tick = 10_000_000_i64; // 0.01
            let entry = Price::from_raw(entry_ticks * tick);
            let stop_raw = if short { entry.raw() + distance_ticks * tick }
                           else { entry.raw() - distance_ticks * tick };
            prop_assume!(stop_raw > 0);
            let stop = Price::from_raw(stop_raw);
            let mut instrument = btc_perp();
            instrument.lot_size = Quantity::from_raw(10_i64.pow(lot_exponent));
            instrument.min_size = instrument.lot_size;
            instrument.contract_multiplier = Quantity::from_raw(multiplier_tenths * 100_000_000);
            let config = RiskConfig {
                risk_per_trade: Rate::from_raw(risk_bps * 100_000),
                max_leverage: Rate::from_raw(leverage_tenths * 100_000_000),
                ..RiskConfig::default()
            };
            let available = Money::from_raw(margin_cents * 10_000_000);
            if let Ok(sizing) = size_position(available, entry, stop, &instrument, &config) {
                let quantity = i128::from(sizing.quantity.raw());
                let lot = i128::from(instrument.lot_size.raw());
                let multiplier = i128::from(instrument.contract_multiplier.raw());
                prop_assert_eq!(quantity % lot, 0, "whole lots");
                prop_assert!(sizing.quantity >= instrument.min_size);
                let entry_raw = i128::from(entry.raw());
                let distance = (entry_raw - i128::from(stop.raw())).abs();
                let available_raw = i128::from(available.raw());
                // Exact products of raw values (scale S³ for a value, S² for margin × rate).
                let product = |values: &[i128]| {
                    values.iter().try_fold(1_i128, |acc, value| acc.checked_mul(*value))
                };
                let (Some(notional), Some(risk), Some(cap), Some(budget)) = (
                    product(&[entry_raw, quantity, multiplier]),
                    product(&[distance, quantity, multiplier]),
                    product(&[available_raw, i128::from(config.max_leverage.raw()), SCALE]),
                    product(&[available_raw, i128::from(config.risk_per_trade.raw()), SCALE]),
                ) else {
                    return Ok(());
                };
                prop_assert!(notional <= cap, "leverage cap: notional ≤ leverage × margin");
                prop_assert!(risk <= budget, "risk ≤ risk_per_trade × margin");
                prop_assert!(sizing.risk_amount <= sizing.risk_budget);
                // Maximal: one more lot breaks the (raw-rounded) cap or budget.
                let cap_rounded = available_raw * i128::from(config.max_leverage.raw()) / SCALE;
                let budget_rounded =
                    available_raw * i128::from(config.risk_per_trade.raw()) / SCALE;
                let more = quantity + lot;
                if let (Some(notional_more), Some(risk_more), Some(cap_s2), Some(budget_s2)) = (
                    product(&[entry_raw, more, multiplier]),
                    product(&[distance, more, multiplier]),
                    product(&[cap_rounded, SCALE, SCALE]),
                    product(&[budget_rounded, SCALE, SCALE]),
                ) {
                    prop_assert!(notional_more > cap_s2 || risk_more > budget_s2, "maximal");
                }
            }
        }
    }
}
