//! Risk parameters (SPEC 4, SPEC 10 defaults) and their validation.

use auction_trader_types::{NANOS_PER_MINUTE, Rate};
use serde::{Deserialize, Serialize};

use crate::RiskError;

/// Risk parameters of one strategy family (SPEC 4 table, SPEC 10 defaults). Fractions are exact
/// decimals (`Rate`, 10^-9 resolution) so sizing never touches `f64`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RiskConfig {
    /// Share of available margin risked per trade (SPEC 10: 2%).
    #[serde(with = "crate::decimal_serde")]
    pub risk_per_trade: Rate,
    /// Notional cap as a multiple of available margin (SPEC 10: 10×).
    #[serde(with = "crate::decimal_serde")]
    pub max_leverage: Rate,
    /// Share of the position taken at TP1 (SPEC 10: 30%; the rest at TP2).
    #[serde(with = "crate::decimal_serde")]
    pub tp1_fraction: Rate,
    /// After TP1 the stop moves to the entry price (SPEC 4).
    pub breakeven_after_tp1: bool,
    /// Max hold in minutes, counted from the first bar close after the fill (SPEC 10: 60).
    pub max_hold_minutes: u32,
    /// Past max hold, keep holding while profitable net of fees (SPEC 4); `false` exits at
    /// the first bar close past max hold whatever the P&L.
    pub trail_while_profitable: bool,
    /// No new entry for this long after a full exit, both directions (SPEC 10: 3; 0 = none).
    pub cooldown_minutes: u32,
    /// Daily kill switch: no entries once the UTC day's P&L is below −this × the day's
    /// starting equity (SPEC 10: 3%).
    #[serde(with = "crate::decimal_serde")]
    pub daily_loss_limit: Rate,
    /// An opposite signal while in a position closes it and opens the new trade (SPEC 4).
    pub flip_on_opposite_signal: bool,
    /// The drain circuit breaker (SPEC 4: 2 of 3 breaches halve the size until the session
    /// ends); absent = off (the auction column of SPEC 4).
    pub circuit_breaker: Option<crate::CircuitBreakerConfig>,
}

/// Largest accepted `max_leverage` (a guard against typos; venues cap far lower).
pub const MAX_LEVERAGE_LIMIT: i64 = 1_000;

impl Default for RiskConfig {
    fn default() -> Self {
        Self {
            risk_per_trade: Rate::from_raw(20_000_000),
            max_leverage: Rate::from_raw(10_000_000_000),
            tp1_fraction: Rate::from_raw(300_000_000),
            breakeven_after_tp1: true,
            max_hold_minutes: 60,
            trail_while_profitable: true,
            cooldown_minutes: 3,
            daily_loss_limit: Rate::from_raw(30_000_000),
            flip_on_opposite_signal: true,
            circuit_breaker: None,
        }
    }
}

impl RiskConfig {
    /// Checks every field's range; the error names the first bad field.
    pub fn validate(&self) -> Result<(), RiskError> {
        let invalid = |field, reason| Err(RiskError::InvalidConfig { field, reason });
        if !(self.risk_per_trade.is_positive() && self.risk_per_trade <= Rate::ONE) {
            return invalid("risk_per_trade", "must be in (0, 1]");
        }
        if !(self.max_leverage.is_positive()
            && self.max_leverage.raw() <= MAX_LEVERAGE_LIMIT * Rate::ONE.raw())
        {
            return invalid("max_leverage", "must be in (0, 1000]");
        }
        if self.tp1_fraction.is_negative() || self.tp1_fraction > Rate::ONE {
            return invalid("tp1_fraction", "must be in [0, 1]");
        }
        if self.max_hold_minutes == 0 {
            return invalid("max_hold_minutes", "must be at least 1");
        }
        if !(self.daily_loss_limit.is_positive() && self.daily_loss_limit <= Rate::ONE) {
            return invalid("daily_loss_limit", "must be in (0, 1]");
        }
        Ok(())
    }

    /// Max hold in nanoseconds.
    pub fn max_hold_nanos(&self) -> i64 {
        i64::from(self.max_hold_minutes) * NANOS_PER_MINUTE
    }

    /// Cooldown in nanoseconds (0 = none).
    pub fn cooldown_nanos(&self) -> i64 {
        i64::from(self.cooldown_minutes) * NANOS_PER_MINUTE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_spec_10_numbers_and_valid() {
        let config = RiskConfig::default();
        assert_eq!(config.risk_per_trade.to_string(), "0.02");
        assert_eq!(config.max_leverage.to_string(), "10");
        assert_eq!(config.tp1_fraction.to_string(), "0.3");
        assert_eq!(config.daily_loss_limit.to_string(), "0.03");
        assert_eq!(config.max_hold_nanos(), 3_600_000_000_000);
        assert_eq!(config.cooldown_nanos(), 180_000_000_000);
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn validation_names_the_bad_field() {
        type Breaker = fn(&mut RiskConfig);
        let cases: [(Breaker, &str); 6] = [
            (|c| c.risk_per_trade = Rate::ZERO, "risk_per_trade"),
            (
                |c| c.risk_per_trade = Rate::from_raw(1_000_000_001),
                "risk_per_trade",
            ),
            (|c| c.max_leverage = Rate::ZERO, "max_leverage"),
            (|c| c.tp1_fraction = Rate::from_raw(-1), "tp1_fraction"),
            (|c| c.max_hold_minutes = 0, "max_hold_minutes"),
            (|c| c.daily_loss_limit = Rate::ZERO, "daily_loss_limit"),
        ];
        for (breaker, name) in cases {
            let mut config = RiskConfig::default();
            breaker(&mut config);
            match config.validate() {
                Err(RiskError::InvalidConfig { field, .. }) => assert_eq!(field, name),
                other => panic!("{name}: expected an error, got {other:?}"),
            }
        }
    }

    #[test]
    fn reads_plain_decimals_and_rejects_unknown_keys() {
        let config: RiskConfig = serde_json::from_str(
            r#"{"risk_per_trade": 0.01, "max_leverage": 5, "tp1_fraction": "0.25",
                "cooldown_minutes": 0}"#,
        )
        .unwrap();
        assert_eq!(config.risk_per_trade, Rate::from_raw(10_000_000));
        assert_eq!(config.max_leverage, Rate::from_raw(5_000_000_000));
        assert_eq!(config.tp1_fraction, Rate::from_raw(250_000_000));
        assert_eq!(config.cooldown_minutes, 0);
        assert_eq!(config.max_hold_minutes, 60, "missing keys take the default");
        assert!(serde_json::from_str::<RiskConfig>(r#"{"risk_per_trad": 0.01}"#).is_err());
        assert!(serde_json::from_str::<RiskConfig>(r#"{"risk_per_trade": 1e-10}"#).is_err());
    }

    #[test]
    fn serialization_round_trips_exactly() {
        let config = RiskConfig::default();
        let text = serde_json::to_string(&config).unwrap();
        assert!(text.contains(r#""risk_per_trade":0.02"#), "{text}");
        let back: RiskConfig = serde_json::from_str(&text).unwrap();
        assert_eq!(back, config);
    }
}
