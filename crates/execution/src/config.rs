//! [`FillModelConfig`]: every setting of the simulated exchange (SPEC 5), with the SPEC 10
//! defaults, loaded from the `execution:` section of the YAML config (SPEC 9: unknown keys are
//! errors). Fractions and milliseconds are plain numbers in the file; they are turned into
//! fixed-point values once, when the exchange is built.

use auction_trader_types::{FIXED_SCALE, Money, NANOS_PER_MILLI, Rate};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::ExecutionError;
use crate::cost_model::{CostModel, CostModelConfig};
use crate::queue::{ProbabilityShape, QueueRule};
use crate::recorded_latency::RecordedLatency;

/// Where a resting limit order stands in the queue at its price (SPEC 5: the default 0.3 rule
/// and the two families peers use). The YAML names are the snake_case variant names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueModelKind {
    /// SPEC 5 default: `queue_fraction` × the depth resting at the price on arrival is ahead;
    /// only trades at the price move the order.
    #[default]
    #[serde(alias = "fraction")]
    QueueFraction,
    /// Behind the whole level on arrival; only trades at the price advance the order, and a
    /// shrinking level caps the queue ahead at its new size.
    RiskAverse,
    /// Behind the whole level; a decrease trades do not explain advances the order by
    /// (1 − p) of it, p = f(back) / (f(back) + f(front)), f(x) = x².
    ProbPower2,
    /// Same with f(x) = x³ (hftbacktest's usual choice).
    ProbPower3,
    /// Same with f(x) = x^n, n = `queue_power`.
    ProbPower,
    /// Same with f(x) = ln(1 + x).
    ProbLog,
    /// Seeded: the position is drawn uniformly in `[0, depth)` on arrival, then advanced by
    /// trades at the price and by cancels ahead (pro rata of depth decreases).
    #[serde(alias = "probabilistic")]
    RandomPosition,
}

impl QueueModelKind {
    /// Every model with its own name, default first (a fill-model report runs each).
    /// `ProbPower` is left out: it is one of the power models with a configured exponent.
    pub const ALL: [Self; 6] = [
        Self::QueueFraction,
        Self::RiskAverse,
        Self::ProbPower2,
        Self::ProbPower3,
        Self::ProbLog,
        Self::RandomPosition,
    ];

    /// The configuration name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::QueueFraction => "queue_fraction",
            Self::RiskAverse => "risk_averse",
            Self::ProbPower2 => "prob_power2",
            Self::ProbPower3 => "prob_power3",
            Self::ProbPower => "prob_power",
            Self::ProbLog => "prob_log",
            Self::RandomPosition => "random_position",
        }
    }

    /// The model named `name` (configuration names and the aliases `fraction`,
    /// `probabilistic`).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "fraction" => Some(Self::QueueFraction),
            "probabilistic" => Some(Self::RandomPosition),
            _ => [Self::ProbPower]
                .into_iter()
                .chain(Self::ALL)
                .find(|kind| kind.as_str() == name),
        }
    }
}

impl std::fmt::Display for QueueModelKind {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl std::str::FromStr for QueueModelKind {
    type Err = ExecutionError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::parse(name).ok_or_else(|| {
            let known: Vec<&str> = Self::ALL.iter().map(|kind| kind.as_str()).collect();
            invalid(
                "queue_model",
                format!(
                    "unknown queue model `{name}` (known: {}, prob_power)",
                    known.join(", ")
                ),
            )
        })
    }
}

/// How order-entry and cancel latencies are drawn (SPEC 5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LatencyModel {
    /// `entry_ms` and `cancel_ms` every time (SPEC 10: 130 ms).
    #[default]
    Fixed,
    /// Seeded, uniform in `[min_ms, max_ms]` for entries and cancels alike.
    Uniform,
    /// Interpolated from recorded order round trips (`file`, see `recorded_latency`), for
    /// entries and cancels alike.
    Interpolated,
}

/// How the part of a quote-only market order beyond the quoted size is priced (SPEC 5: "the
/// rest pays the dynamic cost model's impact").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BeyondTouchPricing {
    /// The touch worsened by the cost model's temporary + permanent impact of the whole
    /// order, from the market state the exchange has seen (at least one tick); one tick while
    /// it has seen less than a minute of trading.
    #[default]
    CostModel,
    /// One tick beyond the touch (the fixed choice; `slippage_bps` applies on top either way).
    OneTick,
}

/// Which funding rate is charged at the funding times (SPEC 5, SPEC 11.6).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FundingSource {
    /// Recorded rates once a `Funding` event has been seen, the fixed rate before that.
    #[default]
    Auto,
    /// Always `funding_rate` (SPEC 10: 0.01% per 8 h).
    Fixed,
    /// Only recorded rates: no payment until a `Funding` event has been seen.
    Recorded,
    /// No funding at all (spot markets; the backtest runner selects it for them).
    None,
}

/// Order-entry and cancel latency (SPEC 5: "order-entry and cancel latency default 130 ms fixed
/// (the measured range was 70–190 ms), optionally a seeded distribution").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LatencyConfig {
    pub model: LatencyModel,
    pub entry_ms: f64,
    pub cancel_ms: f64,
    /// Bounds of the uniform model.
    pub min_ms: f64,
    pub max_ms: f64,
    /// CSV of recorded round trips for the interpolated model
    /// (`request_ns,exchange_ns,response_ns`), relative to the working directory.
    pub file: Option<PathBuf>,
}

impl Default for LatencyConfig {
    fn default() -> Self {
        Self {
            model: LatencyModel::Fixed,
            entry_ms: 130.0,
            cancel_ms: 130.0,
            min_ms: 70.0,
            max_ms: 190.0,
            file: None,
        }
    }
}

/// Every setting of the fill model (SPEC 5; defaults from SPEC 10).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FillModelConfig {
    pub queue_model: QueueModelKind,
    /// SPEC 10: 0.3 ("assume mid-queue").
    pub queue_fraction: f64,
    /// Exponent n of `prob_power` (f(x) = x^n).
    pub queue_power: f64,
    /// Seed of the probabilistic queue and latency draws.
    pub seed: u64,
    pub latency: LatencyConfig,
    /// A quote older than this no longer prices market orders (SPEC 10 quote staleness 250 ms).
    pub stale_quote_ms: f64,
    /// An L2 book with no update for this long, while the tape has printed outside its touch,
    /// no longer prices market orders (they fall back to a fresh quote, else the last trade ±
    /// half the typical spread): a recorder gap or a halted depth stream must not fill at
    /// levels the market has left.
    pub stale_book_ms: f64,
    /// Extra slippage of market orders priced from a quote or the last trade (not when walking
    /// L2 depth, where the levels are the cost), in basis points.
    pub slippage_bps: f64,
    /// How the size beyond the quoted touch is priced without depth.
    pub beyond_touch: BeyondTouchPricing,
    /// Parameters of the dynamic cost model (SPEC 5) that prices it.
    pub cost_model: CostModelConfig,
    /// Half the typical spread around the last trade when quotes are absent or stale, in ticks.
    pub fallback_half_spread_ticks: u32,
    /// Overrides of the instrument's maker/taker fee, in basis points; never negative.
    pub maker_fee_bps: Option<f64>,
    pub taker_fee_bps: Option<f64>,
    /// A maker rebate the venue pays, in basis points (≥ 0; the maker fee becomes −rebate):
    /// the only way to configure a negative fee, so a sign slip in a fee cannot pass.
    pub maker_rebate_bps: Option<f64>,
    pub funding_source: FundingSource,
    /// Fixed funding rate per funding interval (SPEC 10: 0.01% per 8 h).
    pub funding_rate: f64,
    /// Funding times are every this many hours from 00:00 UTC (SPEC 5: 00:00/08:00/16:00).
    pub funding_interval_hours: u32,
}

impl Default for FillModelConfig {
    fn default() -> Self {
        Self {
            queue_model: QueueModelKind::QueueFraction,
            queue_fraction: 0.3,
            queue_power: 3.0,
            seed: 1,
            latency: LatencyConfig::default(),
            stale_quote_ms: 250.0,
            stale_book_ms: 5_000.0,
            slippage_bps: 0.0,
            beyond_touch: BeyondTouchPricing::CostModel,
            cost_model: CostModelConfig::default(),
            fallback_half_spread_ticks: 1,
            maker_fee_bps: None,
            taker_fee_bps: None,
            maker_rebate_bps: None,
            funding_source: FundingSource::Auto,
            funding_rate: 0.0001,
            funding_interval_hours: 8,
        }
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> ExecutionError {
    ExecutionError::InvalidConfig {
        field,
        reason: reason.into(),
    }
}

/// Milliseconds as nanoseconds; finite, non-negative, below a day.
fn millis_to_nanos(field: &'static str, millis: f64) -> Result<i64, ExecutionError> {
    if !millis.is_finite() || !(0.0..=86_400_000.0).contains(&millis) {
        return Err(invalid(
            field,
            format!("{millis} ms is not in [0, 86400000]"),
        ));
    }
    Ok((millis * NANOS_PER_MILLI as f64).round() as i64)
}

/// A fraction as a fixed-point [`Rate`]; finite and within `range`.
fn to_rate(
    field: &'static str,
    value: f64,
    range: std::ops::RangeInclusive<f64>,
) -> Result<Rate, ExecutionError> {
    if !value.is_finite() || !range.contains(&value) {
        return Err(invalid(
            field,
            format!("{value} is not in [{}, {}]", range.start(), range.end()),
        ));
    }
    Rate::from_f64_rounded(value).ok_or_else(|| invalid(field, "out of range"))
}

/// Basis points as a fraction.
fn bps_to_rate(field: &'static str, bps: f64) -> Result<Rate, ExecutionError> {
    to_rate(field, bps / 10_000.0, -0.1..=0.1)
}

/// A fee in basis points: never negative (a rebate has its own key).
fn fee_to_rate(field: &'static str, bps: f64) -> Result<Rate, ExecutionError> {
    if bps < 0.0 {
        return Err(invalid(field, negative_fee_reason(bps)));
    }
    bps_to_rate(field, bps)
}

/// Why a negative fee is refused, pointing at the explicit rebate key.
fn negative_fee_reason(bps: f64) -> String {
    format!(
        "{bps} bps is negative; fees are never negative: configure a venue's maker rebate \
         explicitly as maker_rebate_bps (a positive number)"
    )
}

/// The maker fee from `maker_fee_bps` or `maker_rebate_bps` (at most one of them).
fn maker_fee(
    fee_bps: Option<f64>,
    rebate_bps: Option<f64>,
) -> Result<Option<Rate>, ExecutionError> {
    match (fee_bps, rebate_bps) {
        (Some(_), Some(_)) => Err(invalid(
            "maker_rebate_bps",
            "set either maker_fee_bps or maker_rebate_bps, not both",
        )),
        (Some(fee), None) => fee_to_rate("maker_fee_bps", fee).map(Some),
        (None, Some(rebate)) if rebate < 0.0 => Err(invalid(
            "maker_rebate_bps",
            format!("{rebate} is negative: the rebate the venue pays is a positive number"),
        )),
        (None, Some(rebate)) => bps_to_rate("maker_rebate_bps", -rebate).map(Some),
        (None, None) => Ok(None),
    }
}

/// The validated, fixed-point form the exchange runs on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FillSettings {
    pub queue_model: QueueModelKind,
    /// How depth changes move resting orders (from `queue_model`).
    pub queue_rule: QueueRule,
    pub queue_fraction: Rate,
    pub seed: u64,
    pub latency_model: LatencyModel,
    pub entry_latency: i64,
    pub cancel_latency: i64,
    pub latency_min: i64,
    pub latency_max: i64,
    /// The interpolated model's round trips.
    pub recorded_latency: Option<RecordedLatency>,
    pub stale_quote: i64,
    pub stale_book: i64,
    pub slippage: Rate,
    pub beyond_touch: BeyondTouchPricing,
    pub cost_model: CostModel,
    pub fallback_half_spread_ticks: i64,
    pub maker_fee: Option<Rate>,
    pub taker_fee: Option<Rate>,
    pub funding_source: FundingSource,
    pub funding_rate: Rate,
    pub funding_interval: i64,
}

impl FillModelConfig {
    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<(), ExecutionError> {
        self.settings().map(|_| ())
    }

    pub(crate) fn settings(&self) -> Result<FillSettings, ExecutionError> {
        let latency = &self.latency;
        let latency_min = millis_to_nanos("latency.min_ms", latency.min_ms)?;
        let latency_max = millis_to_nanos("latency.max_ms", latency.max_ms)?;
        if latency.model == LatencyModel::Uniform && latency_max < latency_min {
            return Err(invalid("latency.max_ms", "below latency.min_ms"));
        }
        let recorded_latency = match (latency.model, &latency.file) {
            (LatencyModel::Interpolated, Some(path)) => Some(RecordedLatency::load(path)?),
            (LatencyModel::Interpolated, None) => {
                return Err(invalid(
                    "latency.file",
                    "the interpolated latency model needs a file of recorded round trips",
                ));
            }
            (_, Some(_)) => {
                return Err(invalid(
                    "latency.file",
                    "only the interpolated latency model reads a file (set latency.model: interpolated)",
                ));
            }
            (_, None) => None,
        };
        let hours = self.funding_interval_hours;
        if hours == 0 || 24 % hours != 0 {
            return Err(invalid(
                "funding_interval_hours",
                format!("{hours} does not divide 24 hours"),
            ));
        }
        if self.fallback_half_spread_ticks > 1_000_000 {
            return Err(invalid(
                "fallback_half_spread_ticks",
                "above 1,000,000 ticks",
            ));
        }
        let queue_fraction = to_rate("queue_fraction", self.queue_fraction, 0.0..=1.0)?;
        if !self.queue_power.is_finite() || !(0.1..=10.0).contains(&self.queue_power) {
            return Err(invalid(
                "queue_power",
                format!("{} is not in [0.1, 10]", self.queue_power),
            ));
        }
        let queue_rule = match self.queue_model {
            QueueModelKind::QueueFraction => QueueRule::Fraction,
            QueueModelKind::RiskAverse => QueueRule::RiskAverse,
            QueueModelKind::ProbPower2 => QueueRule::Probabilistic(ProbabilityShape::Power(2.0)),
            QueueModelKind::ProbPower3 => QueueRule::Probabilistic(ProbabilityShape::Power(3.0)),
            QueueModelKind::ProbPower => {
                QueueRule::Probabilistic(ProbabilityShape::Power(self.queue_power))
            }
            QueueModelKind::ProbLog => QueueRule::Probabilistic(ProbabilityShape::Log),
            QueueModelKind::RandomPosition => QueueRule::ProRata,
        };
        Ok(FillSettings {
            queue_model: self.queue_model,
            queue_rule,
            queue_fraction,
            seed: self.seed,
            latency_model: latency.model,
            entry_latency: millis_to_nanos("latency.entry_ms", latency.entry_ms)?,
            cancel_latency: millis_to_nanos("latency.cancel_ms", latency.cancel_ms)?,
            latency_min,
            latency_max,
            recorded_latency,
            stale_quote: millis_to_nanos("stale_quote_ms", self.stale_quote_ms)?,
            stale_book: millis_to_nanos("stale_book_ms", self.stale_book_ms)?,
            slippage: to_rate("slippage_bps", self.slippage_bps / 10_000.0, 0.0..=0.1)?,
            beyond_touch: self.beyond_touch,
            cost_model: CostModel::new(self.cost_model.clone())?,
            fallback_half_spread_ticks: i64::from(self.fallback_half_spread_ticks),
            maker_fee: maker_fee(self.maker_fee_bps, self.maker_rebate_bps)?,
            taker_fee: self
                .taker_fee_bps
                .map(|bps| fee_to_rate("taker_fee_bps", bps))
                .transpose()?,
            funding_source: self.funding_source,
            funding_rate: to_rate("funding_rate", self.funding_rate, -0.1..=0.1)?,
            funding_interval: i64::from(hours) * 3_600 * auction_trader_types::NANOS_PER_SECOND,
        })
    }
}

/// `value × rate` on raw fixed-point units, rounding toward zero, for a rate in [0, 1] (a
/// queue fraction): the product is then no larger than `value`, so it cannot overflow.
#[inline]
pub(crate) fn scale_by_rate(value: i128, rate: Rate) -> i128 {
    debug_assert!((0..=FIXED_SCALE).contains(&rate.raw()));
    rate.apply(Money::from_raw(value), "queue share")
        .map_or(value, Money::raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_spec_10_values() {
        let config = FillModelConfig::default();
        let settings = config.settings().unwrap();
        // SPEC 10: latency 130 ms, queue fraction 0.3, staleness 250 ms, funding 0.01%.
        assert_eq!(settings.entry_latency, 130_000_000);
        assert_eq!(settings.cancel_latency, 130_000_000);
        assert_eq!(
            settings.queue_fraction,
            Rate::from_decimal_str("0.3").unwrap()
        );
        assert_eq!(settings.stale_quote, 250_000_000);
        assert_eq!(
            settings.funding_rate,
            Rate::from_decimal_str("0.0001").unwrap()
        );
        assert_eq!(settings.funding_interval, 8 * 3_600 * 1_000_000_000);
        assert_eq!(settings.maker_fee, None);
    }

    #[test]
    fn bad_fields_are_named() {
        let mut config = FillModelConfig {
            queue_fraction: 1.5,
            ..FillModelConfig::default()
        };
        assert!(matches!(
            config.validate(),
            Err(ExecutionError::InvalidConfig {
                field: "queue_fraction",
                ..
            })
        ));
        config.queue_fraction = 0.3;
        config.funding_interval_hours = 5;
        assert!(matches!(
            config.validate(),
            Err(ExecutionError::InvalidConfig {
                field: "funding_interval_hours",
                ..
            })
        ));
        config.funding_interval_hours = 8;
        config.latency.entry_ms = f64::NAN;
        assert!(matches!(
            config.validate(),
            Err(ExecutionError::InvalidConfig {
                field: "latency.entry_ms",
                ..
            })
        ));
        config.latency = LatencyConfig {
            model: LatencyModel::Uniform,
            min_ms: 200.0,
            max_ms: 100.0,
            ..LatencyConfig::default()
        };
        assert!(matches!(
            config.validate(),
            Err(ExecutionError::InvalidConfig {
                field: "latency.max_ms",
                ..
            })
        ));
    }

    #[test]
    fn reads_partial_config_and_refuses_unknown_keys() {
        let text = r#"{"queue_model": "probabilistic", "seed": 9,
                       "latency": {"model": "uniform", "min_ms": 70, "max_ms": 190}}"#;
        let config: FillModelConfig = serde_json::from_str(text).unwrap();
        assert_eq!(config.queue_model, QueueModelKind::RandomPosition);
        assert_eq!(config.latency.model, LatencyModel::Uniform);
        assert_eq!(config.latency.entry_ms, 130.0);
        assert_eq!(config.queue_fraction, 0.3);
        assert!(serde_json::from_str::<FillModelConfig>(r#"{"queue_fractoin": 0.5}"#).is_err());
        assert!(serde_json::from_str::<FillModelConfig>(r#"{"latency": {"entry": 5}}"#).is_err());
    }

    #[test]
    fn negative_fees_are_refused_unless_configured_as_a_rebate() {
        let taker = FillModelConfig {
            taker_fee_bps: Some(-50.0),
            ..FillModelConfig::default()
        };
        let error = taker.settings().unwrap_err();
        assert!(matches!(
            error,
            ExecutionError::InvalidConfig {
                field: "taker_fee_bps",
                ..
            }
        ));
        assert!(error.to_string().contains("maker_rebate_bps"), "{error}");
        let maker = FillModelConfig {
            maker_fee_bps: Some(-0.5),
            ..FillModelConfig::default()
        };
        assert!(matches!(
            maker.settings(),
            Err(ExecutionError::InvalidConfig {
                field: "maker_fee_bps",
                ..
            })
        ));
        let both = FillModelConfig {
            maker_fee_bps: Some(1.0),
            maker_rebate_bps: Some(0.5),
            ..FillModelConfig::default()
        };
        assert!(both.settings().is_err());
        let negative_rebate = FillModelConfig {
            maker_rebate_bps: Some(-0.5),
            ..FillModelConfig::default()
        };
        assert!(negative_rebate.settings().is_err());
    }

    #[test]
    fn fee_overrides_are_basis_points() {
        let config = FillModelConfig {
            maker_rebate_bps: Some(0.5),
            taker_fee_bps: Some(4.5),
            ..FillModelConfig::default()
        };
        let settings = config.settings().unwrap();
        // -0.5 bp = -0.00005; 4.5 bp = 0.00045.
        assert_eq!(
            settings.maker_fee,
            Some(Rate::from_decimal_str("-0.00005").unwrap())
        );
        assert_eq!(
            settings.taker_fee,
            Some(Rate::from_decimal_str("0.00045").unwrap())
        );
    }

    #[test]
    fn scale_by_rate_rounds_toward_zero() {
        // 15 lots × 0.3 = 4.5 lots; raw 1e9 scale.
        let fraction = Rate::from_decimal_str("0.3").unwrap();
        assert_eq!(
            scale_by_rate(i128::from(15 * FIXED_SCALE), fraction),
            4_500_000_000
        );
        assert_eq!(scale_by_rate(-7, fraction), -2);
    }
}
