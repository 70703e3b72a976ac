//! Order flow, quote imbalance and setup confirmation (SPEC 2.4), per direction.

use serde::Serialize;

use crate::config::FeatureConfig;

/// Inputs of one minute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrderFlowInputs {
    /// OF_1m = buy volume − sell volume (raw units).
    pub order_flow: i128,
    /// Total traded volume of the minute (raw units).
    pub volume: i128,
    /// median(|OF_1m|) over the previous minutes of the window (raw units).
    pub median_abs_order_flow: Option<f64>,
    /// Time-weighted qimb over the minute.
    pub qimb_mean: Option<f64>,
    pub ambiguous_trade_frac: f64,
}

/// The per-direction tests of SPEC 2.4.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OrderFlowSignals {
    /// Initiative passes in this direction: OF_1m has its sign and |OF_1m| >= of_abs_mult ×
    /// median(|OF_1m|), or |OF_norm| >= of_norm_min.
    pub initiative_buy: bool,
    pub initiative_sell: bool,
    /// The minute-average qimb has this direction's sign and |qimb| >= qimb_min.
    pub qimb_aligned_buy: bool,
    pub qimb_aligned_sell: bool,
    /// ambiguous_trade_frac_1m > threshold: confirmation needs both tests.
    pub dual_confirmation: bool,
    /// Confirmation of a setup in this direction: initiative OR qimb alignment (AND when dual).
    pub confirmed_buy: bool,
    pub confirmed_sell: bool,
}

/// OF_norm = OF_1m / total volume; `None` for a minute without volume.
pub fn order_flow_norm(order_flow: i128, volume: i128) -> Option<f64> {
    (volume > 0).then(|| order_flow as f64 / volume as f64)
}

/// Evaluates the SPEC 2.4 tests of one minute.
pub fn evaluate(inputs: &OrderFlowInputs, config: &FeatureConfig) -> OrderFlowSignals {
    let magnitude = inputs.order_flow.unsigned_abs() as f64;
    let strong_vs_median = inputs
        .median_abs_order_flow
        .is_some_and(|median| magnitude >= config.of_abs_mult * median);
    let strong_share = order_flow_norm(inputs.order_flow, inputs.volume)
        .is_some_and(|norm| norm.abs() >= config.of_norm_min);
    let strong = strong_vs_median || strong_share;
    // A zero OF has no direction: it never passes in either.
    let initiative_buy = inputs.order_flow > 0 && strong;
    let initiative_sell = inputs.order_flow < 0 && strong;
    let qimb_aligned_buy = inputs
        .qimb_mean
        .is_some_and(|qimb| qimb > 0.0 && qimb >= config.qimb_min);
    let qimb_aligned_sell = inputs
        .qimb_mean
        .is_some_and(|qimb| qimb < 0.0 && -qimb >= config.qimb_min);
    let dual_confirmation = inputs.ambiguous_trade_frac > config.ambiguous_threshold;
    // Without any quote in the minute (bar-only or trades-only data) qimb does not exist and
    // "both" can never hold; `confirm_without_quotes` then lets initiative alone confirm
    // (a documented extension of SPEC 2.4, on by default; false = SPEC as written).
    let quotes_missing = inputs.qimb_mean.is_none() && config.confirm_without_quotes;
    let confirm = |initiative: bool, aligned: bool| {
        if dual_confirmation && !quotes_missing {
            initiative && aligned
        } else {
            initiative || aligned
        }
    };
    OrderFlowSignals {
        initiative_buy,
        initiative_sell,
        qimb_aligned_buy,
        qimb_aligned_sell,
        dual_confirmation,
        confirmed_buy: confirm(initiative_buy, qimb_aligned_buy),
        confirmed_sell: confirm(initiative_sell, qimb_aligned_sell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(
        order_flow: i128,
        volume: i128,
        median: Option<f64>,
        qimb: Option<f64>,
        ambiguous: f64,
    ) -> OrderFlowInputs {
        OrderFlowInputs {
            order_flow,
            volume,
            median_abs_order_flow: median,
            qimb_mean: qimb,
            ambiguous_trade_frac: ambiguous,
        }
    }

    #[test]
    fn initiative_by_median_multiple_or_by_share() {
        let config = FeatureConfig::default();
        // OF +30 of volume 200 (OF_norm 0.15 < 0.20), median 15: 30 >= 2 × 15 -> passes.
        assert!(evaluate(&inputs(30, 200, Some(15.0), None, 0.0), &config).initiative_buy);
        // Median 16: 30 < 32 and 0.15 < 0.20 -> fails.
        let weak = evaluate(&inputs(30, 200, Some(16.0), None, 0.0), &config);
        assert!(!weak.initiative_buy && !weak.initiative_sell);
        // OF −40 of 200 = −0.20 -> |OF_norm| >= 0.20 -> sell initiative, not buy.
        let sell = evaluate(&inputs(-40, 200, Some(1e9), None, 0.0), &config);
        assert!(sell.initiative_sell && !sell.initiative_buy);
        // Zero OF passes nothing, even against a zero median.
        let flat = evaluate(&inputs(0, 200, Some(0.0), None, 0.0), &config);
        assert!(!flat.initiative_buy && !flat.initiative_sell);
    }

    #[test]
    fn qimb_alignment_needs_sign_and_size() {
        let config = FeatureConfig::default();
        assert!(evaluate(&inputs(0, 0, None, Some(0.10), 0.0), &config).qimb_aligned_buy);
        assert!(!evaluate(&inputs(0, 0, None, Some(0.09), 0.0), &config).qimb_aligned_buy);
        let sell = evaluate(&inputs(0, 0, None, Some(-0.25), 0.0), &config);
        assert!(sell.qimb_aligned_sell && !sell.qimb_aligned_buy);
        assert!(!evaluate(&inputs(0, 0, None, None, 0.0), &config).qimb_aligned_sell);
    }

    #[test]
    fn confirmation_is_or_then_and_above_35_percent_ambiguity() {
        let config = FeatureConfig::default();
        // Initiative buy (OF_norm 0.5) without qimb alignment.
        let clear = evaluate(&inputs(100, 200, None, Some(0.0), 0.35), &config);
        assert!(!clear.dual_confirmation && clear.confirmed_buy); // 35% is not > 35%
        let murky = evaluate(&inputs(100, 200, None, Some(0.0), 0.36), &config);
        assert!(murky.dual_confirmation && !murky.confirmed_buy);
        let both = evaluate(&inputs(100, 200, None, Some(0.2), 0.36), &config);
        assert!(both.confirmed_buy && !both.confirmed_sell);
    }

    #[test]
    fn without_quotes_initiative_alone_confirms_unless_disabled() {
        // Bar-only data: ambiguity 100%, no qimb. OF_norm 0.5 → initiative buy.
        let config = FeatureConfig::default();
        let bars = evaluate(&inputs(100, 200, None, None, 1.0), &config);
        assert!(bars.dual_confirmation && bars.confirmed_buy && !bars.confirmed_sell);
        let strict = FeatureConfig {
            confirm_without_quotes: false,
            ..FeatureConfig::default()
        };
        assert!(!evaluate(&inputs(100, 200, None, None, 1.0), &strict).confirmed_buy);
        // With a quote (qimb 0.0) the dual rule applies as written.
        assert!(!evaluate(&inputs(100, 200, None, Some(0.0), 1.0), &config).confirmed_buy);
    }
}
