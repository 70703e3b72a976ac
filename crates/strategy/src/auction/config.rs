//! Every parameter of the auction setups (SPEC 3.1), with the SPEC 10 defaults. Deserialized
//! from the `auction:` section of the YAML config (unknown keys are errors, SPEC 9) and
//! validated once when the strategy is built.

use auction_trader_features::config::require_positive_finite;
use auction_trader_types::{NANOS_PER_SECOND, Price};
use serde::{Deserialize, Serialize};

use crate::error::{StrategyError, invalid};

/// Largest accepted `acceptance_closes` (the signal log names counting states up to it).
pub const MAX_ACCEPTANCE_CLOSES: u32 = 10;

/// How a breakout is entered once accepted (SPEC 3.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakoutEntry {
    /// At the acceptance close; stop = the k bars' extreme low (high) − (+) buffer.
    #[default]
    Immediate,
    /// Wait for a pullback bar to the locked level that closes beyond it.
    Retest,
}

/// How the entry order is placed (SPEC 5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryOrderMode {
    /// Limit at the best bid (long) / best ask (short) at the bar close, converted to a
    /// market order after `entry_timeout_seconds`.
    #[default]
    Limit,
    Market,
}

/// A price distance measured in typical spreads or in ticks. YAML:
/// `{spread_multiple: 1.0}` or `{ticks: 2}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PriceDistance {
    /// This multiple of the typical spread (SPEC 2.1); `spread_fallback_ticks` ticks stand in
    /// for the spread while it is unknown (no quotes yet, bar-only data).
    SpreadMultiple(f64),
    /// A fixed number of ticks.
    Ticks(u32),
}

impl Default for PriceDistance {
    /// SPEC 3.1: N default = 1× typical spread.
    fn default() -> Self {
        Self::SpreadMultiple(1.0)
    }
}

impl PriceDistance {
    /// The distance in price units given the typical spread (if known) and the tick size.
    pub fn resolve(self, typical_spread: Option<Price>, tick: Price, fallback_ticks: u32) -> Price {
        match self {
            Self::Ticks(ticks) => ticks_price(ticks, tick),
            Self::SpreadMultiple(multiple) => {
                let spread = typical_spread
                    .filter(|spread| spread.is_positive())
                    .unwrap_or_else(|| ticks_price(fallback_ticks, tick));
                scale(spread, multiple)
            }
        }
    }
}

/// `ticks × tick`, saturating.
pub fn ticks_price(ticks: u32, tick: Price) -> Price {
    Price::from_raw(i64::from(ticks).saturating_mul(tick.raw()))
}

/// `price × multiple` rounded to the nearest raw unit (10^-9); the multiple is a config
/// ratio, so this is the one place a float touches a price.
pub fn scale(price: Price, multiple: f64) -> Price {
    let scaled = (price.raw() as f64 * multiple).round();
    if scaled.is_finite() && scaled.abs() < i64::MAX as f64 {
        Price::from_raw(scaled as i64)
    } else {
        Price::MAX
    }
}

/// Auction-setup parameters (SPEC 3.1, defaults from SPEC 10).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuctionConfig {
    /// Setup switches (all on by default).
    pub enable_break_in: bool,
    pub enable_breakout: bool,
    pub enable_failed_breakout: bool,
    /// k consecutive closes beyond the locked edge (SPEC 10: 3).
    pub acceptance_closes: u32,
    /// Stop buffer beyond the reference extreme (SPEC 3.1: 1 × typical spread, because a stop
    /// inside the bid/ask bounce is taken by noise; a fixed tick count may be configured).
    pub stop_buffer: PriceDistance,
    /// Breakout entry mode (SPEC 3.1: immediate by default).
    pub breakout_entry: BreakoutEntry,
    /// Retest mode: bars to wait for the pullback after acceptance (SPEC 3.1: 15).
    pub retest_max_bars: u32,
    /// Retest mode: the pullback's low must come within this many typical spreads of the
    /// locked level (SPEC 3.1: 1×).
    pub retest_distance_spreads: f64,
    /// Gap rule: a trade within N of the locked level is required during the sequence
    /// (SPEC 3.1: 1× typical spread, or a fixed tick count).
    pub touch_distance: PriceDistance,
    /// Ticks standing in for the typical spread while it is unknown (no quotes: bar-only
    /// data, or the first minutes of a tape).
    pub spread_fallback_ticks: u32,
    /// Failed breakout: the close back inside must come within this many bars of the first
    /// close outside (SPEC 3.1: 5).
    pub failed_breakout_max_bars: u32,
    /// Breakout TP1 / TP2 = locked edge ± this multiple of the value-area height
    /// (SPEC 3.1: 0.5 / 1.0).
    pub breakout_tp1_va_multiple: f64,
    pub breakout_tp2_va_multiple: f64,
    /// Limit (default) or market entries (SPEC 5).
    pub entry_order: EntryOrderMode,
    /// A limit entry still unfilled after this long becomes a market order (SPEC 10: 60 s).
    pub entry_timeout_seconds: u32,
}

impl Default for AuctionConfig {
    fn default() -> Self {
        Self {
            enable_break_in: true,
            enable_breakout: true,
            enable_failed_breakout: true,
            acceptance_closes: 3,
            stop_buffer: PriceDistance::SpreadMultiple(1.0),
            breakout_entry: BreakoutEntry::Immediate,
            retest_max_bars: 15,
            retest_distance_spreads: 1.0,
            touch_distance: PriceDistance::default(),
            spread_fallback_ticks: 1,
            failed_breakout_max_bars: 5,
            breakout_tp1_va_multiple: 0.5,
            breakout_tp2_va_multiple: 1.0,
            entry_order: EntryOrderMode::Limit,
            entry_timeout_seconds: 60,
        }
    }
}

impl AuctionConfig {
    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<(), StrategyError> {
        if !(1..=MAX_ACCEPTANCE_CLOSES).contains(&self.acceptance_closes) {
            return Err(invalid(
                "acceptance_closes",
                format!(
                    "must be 1..={MAX_ACCEPTANCE_CLOSES}, got {}",
                    self.acceptance_closes
                ),
            ));
        }
        if self.retest_max_bars == 0 {
            return Err(invalid("retest_max_bars", "must be at least 1"));
        }
        if self.failed_breakout_max_bars == 0 {
            return Err(invalid("failed_breakout_max_bars", "must be at least 1"));
        }
        if self.entry_timeout_seconds == 0 || self.entry_timeout_seconds > 86_400 {
            return Err(invalid(
                "entry_timeout_seconds",
                format!("must be 1..=86400, got {}", self.entry_timeout_seconds),
            ));
        }
        positive_finite("retest_distance_spreads", self.retest_distance_spreads)?;
        positive_finite("breakout_tp1_va_multiple", self.breakout_tp1_va_multiple)?;
        positive_finite("breakout_tp2_va_multiple", self.breakout_tp2_va_multiple)?;
        if self.breakout_tp1_va_multiple > self.breakout_tp2_va_multiple {
            return Err(invalid(
                "breakout_tp1_va_multiple",
                format!(
                    "must not exceed breakout_tp2_va_multiple ({} > {})",
                    self.breakout_tp1_va_multiple, self.breakout_tp2_va_multiple
                ),
            ));
        }
        for (field, distance) in [
            ("touch_distance", self.touch_distance),
            ("stop_buffer", self.stop_buffer),
        ] {
            if let PriceDistance::SpreadMultiple(multiple) = distance {
                positive_finite(field, multiple)?;
            }
        }
        if self.spread_fallback_ticks == 0 {
            return Err(invalid("spread_fallback_ticks", "must be at least 1"));
        }
        Ok(())
    }

    /// The entry timeout in nanoseconds.
    pub fn entry_timeout_nanos(&self) -> i64 {
        i64::from(self.entry_timeout_seconds) * NANOS_PER_SECOND
    }
}

fn positive_finite(field: &'static str, value: f64) -> Result<(), StrategyError> {
    require_positive_finite(value).map_err(|reason| invalid(field, reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_spec_values_and_valid() {
        let config = AuctionConfig::default();
        config.validate().unwrap();
        assert_eq!(config.acceptance_closes, 3);
        assert_eq!(config.stop_buffer, PriceDistance::SpreadMultiple(1.0));
        assert_eq!(config.breakout_entry, BreakoutEntry::Immediate);
        assert_eq!(config.retest_max_bars, 15);
        assert_eq!(config.failed_breakout_max_bars, 5);
        assert_eq!(config.touch_distance, PriceDistance::SpreadMultiple(1.0));
        assert_eq!(config.entry_order, EntryOrderMode::Limit);
        assert_eq!(config.entry_timeout_nanos(), 60_000_000_000);
    }

    #[test]
    fn unknown_keys_are_errors_and_partial_configs_take_defaults() {
        let parsed: AuctionConfig = serde_json::from_str(
            r#"{"acceptance_closes": 4, "touch_distance": {"ticks": 2}, "breakout_entry": "retest"}"#,
        )
        .unwrap();
        assert_eq!(parsed.acceptance_closes, 4);
        assert_eq!(parsed.touch_distance, PriceDistance::Ticks(2));
        assert_eq!(parsed.breakout_entry, BreakoutEntry::Retest);
        assert_eq!(parsed.retest_max_bars, 15);
        assert!(serde_json::from_str::<AuctionConfig>(r#"{"acceptance_close": 4}"#).is_err());
        let spread: AuctionConfig =
            serde_json::from_str(r#"{"touch_distance": {"spread_multiple": 0.5}}"#).unwrap();
        assert_eq!(spread.touch_distance, PriceDistance::SpreadMultiple(0.5));
    }

    #[test]
    fn validation_names_the_field() {
        let cases: [(&str, AuctionConfig); 5] = [
            (
                "acceptance_closes",
                AuctionConfig {
                    acceptance_closes: 0,
                    ..AuctionConfig::default()
                },
            ),
            (
                "retest_distance_spreads",
                AuctionConfig {
                    retest_distance_spreads: f64::NAN,
                    ..AuctionConfig::default()
                },
            ),
            (
                "touch_distance",
                AuctionConfig {
                    touch_distance: PriceDistance::SpreadMultiple(-1.0),
                    ..AuctionConfig::default()
                },
            ),
            (
                "breakout_tp1_va_multiple",
                AuctionConfig {
                    breakout_tp1_va_multiple: 2.0,
                    ..AuctionConfig::default()
                },
            ),
            (
                "entry_timeout_seconds",
                AuctionConfig {
                    entry_timeout_seconds: 0,
                    ..AuctionConfig::default()
                },
            ),
        ];
        for (field, config) in cases {
            match config.validate() {
                Err(StrategyError::InvalidConfig { field: named, .. }) => {
                    assert_eq!(named, field)
                }
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn distances_resolve_in_price_units() {
        let tick = Price::from_decimal_str("0.5").unwrap();
        let spread = Price::from_decimal_str("1.5").unwrap();
        // 2 ticks × 0.5 = 1.0
        assert_eq!(
            PriceDistance::Ticks(2).resolve(Some(spread), tick, 1),
            Price::from_decimal_str("1").unwrap()
        );
        // 1.0 × 1.5 = 1.5; without a spread: 3 fallback ticks × 0.5 = 1.5, × 2.0 = 3.0
        assert_eq!(
            PriceDistance::default().resolve(Some(spread), tick, 1),
            spread
        );
        assert_eq!(
            PriceDistance::SpreadMultiple(2.0).resolve(None, tick, 3),
            Price::from_decimal_str("3").unwrap()
        );
        // 0.5 × 1.5 = 0.75
        assert_eq!(scale(spread, 0.5), Price::from_decimal_str("0.75").unwrap());
    }
}
