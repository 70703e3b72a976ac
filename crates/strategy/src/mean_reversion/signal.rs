//! The rules of SPEC 3.3 as pure functions: the z-score against the fair value, the entry
//! and exit thresholds, the filters, and the stop/target geometry. The strategy only feeds
//! them; each has hand-worked tests below.

use auction_trader_types::Price;

use super::config::{FairValue, MeanReversionConfig, Variant};
use super::variants::{FundingReading, funding_blocks, imbalance_blocks};
use crate::api::Direction;

/// One closed minute as the z-score reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MinuteClose {
    pub close: f64,
    pub vwap: f64,
    pub volume: f64,
}

/// The z-score of the newest close and what it was measured against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZScore {
    pub z: f64,
    /// The fair value (EMA or VWAP over the lookback).
    pub fair: f64,
    /// Sample standard deviation of the lookback's closes.
    pub sd: f64,
    pub lookback: usize,
}

/// Closes an EMA is seeded before the lookback's end, in lookbacks: the seed's weight is
/// `(1 − 2/(L+1))^(3L) ≈ e^(−6) ≈ 0.25%`.
pub const EMA_SEED_LOOKBACKS: usize = 3;

/// z = (close − fair) / sd over the newest `lookback` minutes of `history` (oldest first):
/// - fair, EMA: span L (α = 2/(L+1)) run over the newest `min(len, 3·L)` closes, seeded with
///   the oldest of them;
/// - fair, VWAP: Σ vwap·volume / Σ volume over the newest L bars (bars without volume add
///   nothing; None when the L bars have none);
/// - sd: the sample standard deviation (n − 1) of the newest L closes.
///
/// None when fewer than L minutes are known, L < 2, or the closes are flat.
pub fn z_score(history: &[MinuteClose], lookback: usize, fair_value: FairValue) -> Option<ZScore> {
    if lookback < 2 || history.len() < lookback {
        return None;
    }
    let window = &history[history.len() - lookback..];
    let close = window[lookback - 1].close;
    let mean = window.iter().map(|minute| minute.close).sum::<f64>() / lookback as f64;
    let squares: f64 = window
        .iter()
        .map(|minute| (minute.close - mean).powi(2))
        .sum();
    let sd = (squares / (lookback - 1) as f64).sqrt();
    if !(sd.is_finite() && sd > 0.0) {
        return None;
    }
    let fair = match fair_value {
        FairValue::Ema => {
            let span = history.len().min(EMA_SEED_LOOKBACKS * lookback);
            let seeded = &history[history.len() - span..];
            let alpha = 2.0 / (lookback as f64 + 1.0);
            seeded[1..].iter().fold(seeded[0].close, |ema, minute| {
                ema + alpha * (minute.close - ema)
            })
        }
        FairValue::Vwap => {
            let (notional, volume) = window.iter().filter(|minute| minute.volume > 0.0).fold(
                (0.0, 0.0),
                |(notional, volume), minute| {
                    (
                        notional + minute.vwap * minute.volume,
                        volume + minute.volume,
                    )
                },
            );
            if volume <= 0.0 {
                return None;
            }
            notional / volume
        }
    };
    Some(ZScore {
        z: (close - fair) / sd,
        fair,
        sd,
        lookback,
    })
}

/// SPEC 3.3 entry: long when z ≤ −entry_z (price below its fair value), short when
/// z ≥ entry_z.
pub fn entry_direction(z: f64, entry_z: f64) -> Option<Direction> {
    if z <= -entry_z {
        Some(Direction::Long)
    } else if z >= entry_z {
        Some(Direction::Short)
    } else {
        None
    }
}

/// SPEC 3.3 exit "at z = 0": a long exits once z ≥ exit_z, a short once z ≤ −exit_z (the
/// z-score crossed back to the mean).
pub fn exit_reached(direction: Direction, z: f64, exit_z: f64) -> bool {
    match direction {
        Direction::Long => z >= exit_z,
        Direction::Short => z <= -exit_z,
    }
}

/// What the filters saw at a candidate entry (None: not known yet).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FilterInputs {
    pub half_life_minutes: Option<f64>,
    pub adf_p_value: Option<f64>,
    pub adx: Option<f64>,
    pub volatility_percentile: Option<f64>,
    /// Imbalance-overshoot variant: order-flow imbalance over its window, and VPIN.
    pub imbalance: Option<f64>,
    pub vpin: Option<f64>,
    /// Funding-extreme variant: the latest funding print.
    pub funding: Option<FundingReading>,
}

/// Filter names (signal log and counters).
pub const FILTER_HALF_LIFE: &str = "half_life";
pub const FILTER_ADF: &str = "adf";
pub const FILTER_ADX: &str = "adx";
pub const FILTER_VOLATILITY: &str = "volatility";

/// The first filter that blocks an entry in `direction`, in SPEC order: the variant's
/// evidence (statistical: the half-life within [min, max] minutes and the ADF test rejecting
/// the unit root, p < level, SPEC 2.6; imbalance overshoot: the pushing imbalance and VPIN;
/// funding extreme: a fresh extreme print on the fade side, see `variants`), then ADX ≤ max
/// and the volatility percentile ≤ max (SPEC 3.3 regime filter, every variant). An unknown
/// input blocks (warm-up): trading needs the evidence, not its absence.
pub fn blocking_filter(
    config: &MeanReversionConfig,
    direction: Direction,
    inputs: &FilterInputs,
) -> Option<&'static str> {
    let within = |value: Option<f64>, check: &dyn Fn(f64) -> bool| value.is_some_and(check);
    match config.variant {
        Variant::Statistical => {
            if !within(inputs.half_life_minutes, &|h| {
                (config.min_half_life_minutes..=config.max_half_life_minutes).contains(&h)
            }) {
                return Some(FILTER_HALF_LIFE);
            }
            if !within(inputs.adf_p_value, &|p| p < config.adf_p_value) {
                return Some(FILTER_ADF);
            }
        }
        Variant::ImbalanceOvershoot => {
            if let Some(filter) =
                imbalance_blocks(&config.imbalance, direction, inputs.imbalance, inputs.vpin)
            {
                return Some(filter);
            }
        }
        Variant::FundingExtreme => {
            if let Some(filter) =
                funding_blocks(&config.funding, direction, inputs.funding.as_ref())
            {
                return Some(filter);
            }
        }
    }
    if !within(inputs.adx, &|adx| adx <= config.max_adx) {
        return Some(FILTER_ADX);
    }
    if !within(inputs.volatility_percentile, &|percentile| {
        percentile <= config.max_volatility_percentile
    }) {
        return Some(FILTER_VOLATILITY);
    }
    None
}

/// Stop and target of a trade entered at `entry` toward `fair` (SPEC 3.3): the expected
/// reversion is R = |fair − entry|; stop = entry ∓ multiple·R rounded to the tick away from
/// the entry; target = the fair value rounded to the tick toward the entry (never promising
/// more than the mean). None when the entry is not on the far side of the fair value by at
/// least one tick after rounding.
pub fn trade_prices(
    direction: Direction,
    entry: Price,
    fair: f64,
    stop_multiple: f64,
    tick: Price,
) -> Option<(Price, Price)> {
    let entry_value = entry.as_f64();
    let reversion = match direction {
        Direction::Long => fair - entry_value,
        Direction::Short => entry_value - fair,
    };
    if !(reversion.is_finite() && reversion > 0.0) {
        return None;
    }
    let (stop, target) = match direction {
        Direction::Long => (
            to_tick(entry_value - stop_multiple * reversion, tick, false)?,
            to_tick(fair, tick, false)?,
        ),
        Direction::Short => (
            to_tick(entry_value + stop_multiple * reversion, tick, true)?,
            to_tick(fair, tick, true)?,
        ),
    };
    let valid = match direction {
        Direction::Long => stop < entry && target > entry,
        Direction::Short => stop > entry && target < entry,
    };
    valid.then_some((stop, target))
}

/// `value` on the tick grid, rounded up or down.
fn to_tick(value: f64, tick: Price, up: bool) -> Option<Price> {
    let price = Price::from_f64_rounded(value)?;
    let floor = price.div_floor_steps(tick)?;
    let on_grid = Price::from_steps(floor, tick)? == price;
    let steps = if up && !on_grid { floor + 1 } else { floor };
    Price::from_steps(steps, tick)
}

/// The holding cap in minutes for a half-life (SPEC 3.3: 3 × half-life), at least 1.
pub fn holding_cap_minutes(half_life_minutes: f64, half_lives: f64) -> i64 {
    ((half_life_minutes * half_lives).round() as i64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minutes(closes: &[f64]) -> Vec<MinuteClose> {
        closes
            .iter()
            .map(|&close| MinuteClose {
                close,
                vwap: close,
                volume: 1.0,
            })
            .collect()
    }

    #[test]
    fn z_score_against_the_ema_hand_worked() {
        // Lookback 3 over closes 10, 10, 10, 10, 10, 10, 13 (7 minutes, seed span 3·3 = 9 →
        // all 7): α = 0.5; EMA stays 10 through six 10s, then 10 + 0.5·3 = 11.5.
        // sd of the last three (10, 10, 13): mean 11, squares 1 + 1 + 4 = 6, /2 = 3 → √3.
        // z = (13 − 11.5)/√3 = 0.8660254.
        let history = minutes(&[10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 13.0]);
        let z = z_score(&history, 3, FairValue::Ema).unwrap();
        assert_eq!(z.fair, 11.5);
        assert!((z.sd - 3f64.sqrt()).abs() < 1e-15);
        assert!((z.z - 0.866_025_4).abs() < 1e-7);
        // The seed is the oldest of the newest 3·L closes: with L = 2 the span is 6
        // (10, 10, 10, 10, 10, 13), α = 2/3 → 10 + 2/3·3 = 12; sd of (10, 13) = 2.1213203;
        // z = (13 − 12)/2.1213203 = 0.4714045.
        let z = z_score(&history, 2, FairValue::Ema).unwrap();
        assert!((z.fair - 12.0).abs() < 1e-12);
        assert!((z.z - 0.471_404_5).abs() < 1e-7);
    }

    #[test]
    fn z_score_against_the_vwap_hand_worked() {
        // Lookback 3: bars (close, vwap, volume) = (100, 100, 0), (102, 101, 1), (98, 99, 3).
        // The first bar has no volume: VWAP = (101·1 + 99·3)/4 = 99.5. sd of the closes
        // 100, 102, 98: mean 100, squares 0 + 4 + 4 = 8, /2 = 4 → 2. z = (98 − 99.5)/2 = −0.75.
        let history = [
            MinuteClose {
                close: 100.0,
                vwap: 100.0,
                volume: 0.0,
            },
            MinuteClose {
                close: 102.0,
                vwap: 101.0,
                volume: 1.0,
            },
            MinuteClose {
                close: 98.0,
                vwap: 99.0,
                volume: 3.0,
            },
        ];
        let z = z_score(&history, 3, FairValue::Vwap).unwrap();
        assert_eq!((z.fair, z.sd, z.z), (99.5, 2.0, -0.75));
        // Not enough history, flat closes, or no volume: no z.
        assert_eq!(z_score(&history, 4, FairValue::Ema), None);
        assert_eq!(z_score(&minutes(&[5.0, 5.0, 5.0]), 3, FairValue::Ema), None);
        let silent = [history[0], history[0], history[0]];
        let mut silent = silent.to_vec();
        silent[2].close = 101.0;
        assert_eq!(z_score(&silent, 3, FairValue::Vwap), None);
    }

    #[test]
    fn entries_at_one_and_a_half_and_exits_at_zero() {
        assert_eq!(entry_direction(-1.5, 1.5), Some(Direction::Long));
        assert_eq!(entry_direction(-1.499_999, 1.5), None);
        assert_eq!(entry_direction(1.5, 1.5), Some(Direction::Short));
        assert_eq!(entry_direction(0.3, 1.5), None);
        // A long (entered below the mean) exits once z is back at 0 or above.
        assert!(!exit_reached(Direction::Long, -0.01, 0.0));
        assert!(exit_reached(Direction::Long, 0.0, 0.0));
        assert!(exit_reached(Direction::Long, 0.7, 0.0));
        assert!(!exit_reached(Direction::Short, 0.01, 0.0));
        assert!(exit_reached(Direction::Short, -0.2, 0.0));
        // exit_z 0.5: through the mean by half a standard deviation.
        assert!(!exit_reached(Direction::Long, 0.4, 0.5));
        assert!(exit_reached(Direction::Short, -0.5, 0.5));
    }

    #[test]
    fn filters_in_spec_order_with_their_bounds() {
        let config = MeanReversionConfig::default();
        let pass = FilterInputs {
            half_life_minutes: Some(30.0),
            adf_p_value: Some(0.05),
            adx: Some(20.0),
            volatility_percentile: Some(0.5),
            ..FilterInputs::default()
        };
        assert_eq!(blocking_filter(&config, Direction::Long, &pass), None);
        let with = |change: fn(&mut FilterInputs)| {
            let mut inputs = pass;
            change(&mut inputs);
            blocking_filter(&config, Direction::Long, &inputs)
        };
        // Half-life bounds are inclusive: 15 and 240 pass, 14.9 and 240.1 block.
        assert_eq!(with(|i| i.half_life_minutes = Some(15.0)), None);
        assert_eq!(with(|i| i.half_life_minutes = Some(240.0)), None);
        assert_eq!(
            with(|i| i.half_life_minutes = Some(14.9)),
            Some(FILTER_HALF_LIFE)
        );
        assert_eq!(
            with(|i| i.half_life_minutes = Some(240.1)),
            Some(FILTER_HALF_LIFE)
        );
        assert_eq!(with(|i| i.half_life_minutes = None), Some(FILTER_HALF_LIFE));
        // ADF must reject at 10%: p = 0.0999 passes, p = 0.10 does not.
        assert_eq!(with(|i| i.adf_p_value = Some(0.0999)), None);
        assert_eq!(with(|i| i.adf_p_value = Some(0.10)), Some(FILTER_ADF));
        assert_eq!(with(|i| i.adf_p_value = None), Some(FILTER_ADF));
        // No entries when ADX > 25 or volatility above its 75th percentile.
        assert_eq!(with(|i| i.adx = Some(25.0)), None);
        assert_eq!(with(|i| i.adx = Some(25.1)), Some(FILTER_ADX));
        assert_eq!(with(|i| i.volatility_percentile = Some(0.75)), None);
        assert_eq!(
            with(|i| i.volatility_percentile = Some(0.76)),
            Some(FILTER_VOLATILITY)
        );
        // The first failing filter is named.
        let all_bad = FilterInputs {
            adx: Some(90.0),
            ..FilterInputs::default()
        };
        assert_eq!(
            blocking_filter(&config, Direction::Long, &all_bad),
            Some(FILTER_HALF_LIFE)
        );
    }

    #[test]
    fn variants_replace_the_half_life_evidence_but_keep_the_regime_filter() {
        use crate::mean_reversion::variants::{FILTER_FUNDING, FILTER_IMBALANCE, FILTER_VPIN};
        // No half-life or ADF evidence at all: the statistical rule blocks, the variants
        // look at their own evidence instead.
        let regime_ok = FilterInputs {
            adx: Some(20.0),
            volatility_percentile: Some(0.5),
            ..FilterInputs::default()
        };
        let imbalance = MeanReversionConfig {
            variant: Variant::ImbalanceOvershoot,
            ..MeanReversionConfig::default()
        };
        let pushed = FilterInputs {
            imbalance: Some(0.45),
            vpin: Some(0.3),
            ..regime_ok
        };
        assert_eq!(blocking_filter(&imbalance, Direction::Short, &pushed), None);
        assert_eq!(
            blocking_filter(&imbalance, Direction::Long, &pushed),
            Some(FILTER_IMBALANCE)
        );
        let informed = FilterInputs {
            vpin: Some(0.7),
            ..pushed
        };
        assert_eq!(
            blocking_filter(&imbalance, Direction::Short, &informed),
            Some(FILTER_VPIN)
        );
        // The regime filter still applies: ADX 30 blocks the pushed, uninformed fade.
        let trending = FilterInputs {
            adx: Some(30.0),
            ..pushed
        };
        assert_eq!(
            blocking_filter(&imbalance, Direction::Short, &trending),
            Some(FILTER_ADX)
        );
        let funding = MeanReversionConfig {
            variant: Variant::FundingExtreme,
            ..MeanReversionConfig::default()
        };
        let crowded_shorts = FilterInputs {
            funding: Some(FundingReading {
                rate: -0.0006,
                zscore: None,
                age_minutes: 30,
            }),
            ..regime_ok
        };
        assert_eq!(
            blocking_filter(&funding, Direction::Long, &crowded_shorts),
            None
        );
        assert_eq!(
            blocking_filter(&funding, Direction::Short, &crowded_shorts),
            Some(FILTER_FUNDING)
        );
        let high_volatility = FilterInputs {
            volatility_percentile: Some(0.9),
            ..crowded_shorts
        };
        assert_eq!(
            blocking_filter(&funding, Direction::Long, &high_volatility),
            Some(FILTER_VOLATILITY)
        );
        assert_eq!(
            blocking_filter(
                &MeanReversionConfig::default(),
                Direction::Long,
                &crowded_shorts
            ),
            Some(FILTER_HALF_LIFE)
        );
    }

    #[test]
    fn stop_at_twice_the_expected_reversion() {
        let tick = Price::from_units(1).unwrap();
        let price = |value: i64| Price::from_units(value).unwrap();
        // Long at 100 with the EMA at 103.6: R = 3.6; stop = 100 − 7.2 = 92.8 → 92 (down);
        // target = 103.6 → 103 (toward the entry).
        assert_eq!(
            trade_prices(Direction::Long, price(100), 103.6, 2.0, tick),
            Some((price(92), price(103)))
        );
        // Short at 100 with the EMA at 96.5: R = 3.5; stop 107 (exact); target 96.5 → 97.
        assert_eq!(
            trade_prices(Direction::Short, price(100), 96.5, 2.0, tick),
            Some((price(107), price(97)))
        );
        // A reversion under one tick leaves no target beyond the entry; the wrong side of
        // the mean is no trade at all.
        assert_eq!(
            trade_prices(Direction::Long, price(100), 100.6, 2.0, tick),
            None
        );
        assert_eq!(
            trade_prices(Direction::Long, price(100), 99.0, 2.0, tick),
            None
        );
    }

    #[test]
    fn holding_cap_is_three_half_lives() {
        // 3 × 22.4 = 67.2 → 67 minutes; a tiny half-life still holds for a minute.
        assert_eq!(holding_cap_minutes(22.4, 3.0), 67);
        assert_eq!(holding_cap_minutes(0.1, 3.0), 1);
    }
}
