//! The pass/fail gates of SPEC 6 (of the strategy, not of the software) with their
//! thresholds, and the verdict of one measured value against one gate.

/// SPEC 6: out-of-sample Sharpe > 1.5.
pub const OUT_OF_SAMPLE_SHARPE: f64 = 1.5;
/// SPEC 6: Sharpe > 1.0 at 2× costs.
pub const SHARPE_AT_DOUBLE_COSTS: f64 = 1.0;
/// SPEC 6: Sharpe > 0.5 in every volatility regime.
pub const SHARPE_IN_EVERY_REGIME: f64 = 0.5;
/// SPEC 6: second-symbol Sharpe > 70% of the first's (the ratio of the two).
pub const SECOND_SYMBOL_SHARPE_RATIO: f64 = 0.7;
/// The cost multiplier of the cost gate.
pub const GATE_COST_MULTIPLIER: f64 = 2.0;

/// One gate's verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    /// What is measured, e.g. "out-of-sample Sharpe".
    pub name: String,
    /// The value must be strictly greater than this.
    pub threshold: f64,
    /// `None` when the value is undefined (no trades, fewer than two days): a fail.
    pub value: Option<f64>,
}

impl Gate {
    pub fn new(name: impl Into<String>, threshold: f64, value: Option<f64>) -> Self {
        Self {
            name: name.into(),
            threshold,
            value,
        }
    }

    /// Strictly above the threshold; an undefined or non-finite value fails.
    pub fn passed(&self) -> bool {
        self.value
            .is_some_and(|value| value.is_finite() && value > self.threshold)
    }

    /// `PASS  out-of-sample Sharpe 1.62 > 1.5`.
    pub fn line(&self) -> String {
        let verdict = if self.passed() { "PASS" } else { "FAIL" };
        let value = self
            .value
            .map_or_else(|| "undefined".to_owned(), |value| format!("{value:.3}"));
        format!("{verdict}  {} {value} > {}", self.name, self.threshold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gates_pass_only_strictly_above_their_threshold() {
        assert!(Gate::new("s", 1.5, Some(1.51)).passed());
        assert!(!Gate::new("s", 1.5, Some(1.5)).passed());
        assert!(!Gate::new("s", 1.5, Some(-3.0)).passed());
        assert!(!Gate::new("s", 1.5, None).passed());
        assert!(!Gate::new("s", 1.5, Some(f64::NAN)).passed());
        assert_eq!(
            Gate::new("Sharpe at 2x costs", 1.0, Some(1.25)).line(),
            "PASS  Sharpe at 2x costs 1.250 > 1"
        );
        assert_eq!(
            Gate::new("out-of-sample Sharpe", 1.5, None).line(),
            "FAIL  out-of-sample Sharpe undefined > 1.5"
        );
    }
}
