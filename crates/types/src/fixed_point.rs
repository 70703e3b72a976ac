//! Fixed-point decimal values with one global scale of 10^9 (nine decimal places).
//!
//! SPEC 1.1 forbids `f64` for prices and sizes. One global scale keeps comparison, hashing and
//! arithmetic trivial and exact: every venue we import quotes at most 8 decimals. Products of a
//! price and a quantity are formed in `i128` so they cannot overflow silently.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::TypesError;

/// Number of decimal places carried by every fixed-point value.
pub const FIXED_PRECISION: u8 = 9;
/// `10^FIXED_PRECISION`: the raw value of 1.0.
pub const FIXED_SCALE: i64 = 1_000_000_000;

/// Parses a decimal string (`"61800.20"`, `"-0.5"`, `"1e-3"` is rejected) into a raw value
/// scaled by [`FIXED_SCALE`]. Exact: a value with non-zero digits beyond the ninth decimal is
/// an error rather than a silent rounding. Trailing zeros beyond nine decimals are accepted.
pub fn parse_fixed(input: &str) -> Result<i64, TypesError> {
    parse_fixed_bytes(input.as_bytes()).map_err(|kind| kind.into_error(input))
}

/// Failure kinds of the byte parser, turned into a [`TypesError`] only on the cold path.
#[derive(Debug, Clone, Copy)]
enum ParseFailure {
    Empty,
    Invalid(u8),
    TooPrecise,
    Overflow,
}

impl ParseFailure {
    #[cold]
    fn into_error(self, input: &str) -> TypesError {
        match self {
            Self::Empty => TypesError::EmptyDecimal,
            Self::Invalid(byte) => TypesError::InvalidDecimal {
                input: input.to_owned(),
                found: byte as char,
            },
            Self::TooPrecise => TypesError::TooPrecise {
                input: input.to_owned(),
                max: FIXED_PRECISION,
            },
            Self::Overflow => TypesError::Overflow {
                input: input.to_owned(),
            },
        }
    }
}

#[inline]
fn parse_fixed_bytes(bytes: &[u8]) -> Result<i64, ParseFailure> {
    let (negative, digits) = match bytes.first() {
        None => return Err(ParseFailure::Empty),
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        Some(_) => (false, bytes),
    };
    if digits.is_empty() || digits == b"." {
        return Err(ParseFailure::Empty);
    }
    let mut integer: i64 = 0;
    let mut fraction: i64 = 0;
    let mut fraction_digits: u8 = 0;
    let mut seen_point = false;
    let mut any_digit = false;
    for &byte in digits {
        match byte {
            b'0'..=b'9' => {
                any_digit = true;
                let digit = i64::from(byte - b'0');
                if seen_point {
                    if fraction_digits < FIXED_PRECISION {
                        fraction = fraction * 10 + digit;
                        fraction_digits += 1;
                    } else if digit != 0 {
                        return Err(ParseFailure::TooPrecise);
                    }
                } else {
                    integer = integer
                        .checked_mul(10)
                        .and_then(|value| value.checked_add(digit))
                        .ok_or(ParseFailure::Overflow)?;
                }
            }
            b'.' if !seen_point => seen_point = true,
            other => return Err(ParseFailure::Invalid(other)),
        }
    }
    if !any_digit {
        return Err(ParseFailure::Empty);
    }
    let fraction_scaled = fraction * 10_i64.pow(u32::from(FIXED_PRECISION - fraction_digits));
    let magnitude = integer
        .checked_mul(FIXED_SCALE)
        .and_then(|value| value.checked_add(fraction_scaled))
        .ok_or(ParseFailure::Overflow)?;
    Ok(if negative { -magnitude } else { magnitude })
}

/// Writes a raw fixed-point value in canonical decimal form: no trailing fractional zeros,
/// no decimal point for whole numbers (`61800.2`, `3`, `-0.001`).
fn format_fixed(raw: i64, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
    let negative = raw < 0;
    let magnitude = raw.unsigned_abs();
    let scale = FIXED_SCALE as u64;
    let integer = magnitude / scale;
    let mut fraction = magnitude % scale;
    if negative {
        formatter.write_str("-")?;
    }
    write!(formatter, "{integer}")?;
    if fraction != 0 {
        let mut width = usize::from(FIXED_PRECISION);
        while fraction.is_multiple_of(10) {
            fraction /= 10;
            width -= 1;
        }
        write!(formatter, ".{fraction:0width$}")?;
    }
    Ok(())
}

macro_rules! fixed_point_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub i64);

        impl $name {
            pub const ZERO: Self = Self(0);
            pub const ONE: Self = Self(FIXED_SCALE);
            pub const MAX: Self = Self(i64::MAX);

            /// Wraps a raw value already scaled by [`FIXED_SCALE`].
            #[inline]
            pub const fn from_raw(raw: i64) -> Self {
                Self(raw)
            }

            /// The raw value scaled by [`FIXED_SCALE`].
            #[inline]
            pub const fn raw(self) -> i64 {
                self.0
            }

            /// Exact parse of a decimal string; see [`parse_fixed`].
            pub fn from_decimal_str(input: &str) -> Result<Self, TypesError> {
                parse_fixed(input).map(Self)
            }

            /// Exact parse of decimal ASCII bytes (hot path of the importers).
            #[inline]
            pub fn from_decimal_bytes(input: &[u8]) -> Result<Self, TypesError> {
                parse_fixed_bytes(input).map(Self).map_err(|kind| {
                    kind.into_error(&String::from_utf8_lossy(input))
                })
            }

            /// A whole number of units.
            pub fn from_units(units: i64) -> Result<Self, TypesError> {
                units
                    .checked_mul(FIXED_SCALE)
                    .map(Self)
                    .ok_or(TypesError::ArithmeticOverflow { operation: "from_units" })
            }

            /// Lossy conversion for feature maths and statistics only (SPEC: f64 only there).
            #[inline]
            pub fn as_f64(self) -> f64 {
                self.0 as f64 / FIXED_SCALE as f64
            }

            /// Nearest fixed-point value of an `f64` (for derived statistics such as a VWAP
            /// that is reported back in price units). `None` when not finite or out of range.
            pub fn from_f64_rounded(value: f64) -> Option<Self> {
                let scaled = (value * FIXED_SCALE as f64).round();
                (scaled.is_finite() && scaled.abs() < i64::MAX as f64).then(|| Self(scaled as i64))
            }

            #[inline]
            pub fn is_zero(self) -> bool {
                self.0 == 0
            }

            #[inline]
            pub fn is_positive(self) -> bool {
                self.0 > 0
            }

            #[inline]
            pub fn is_negative(self) -> bool {
                self.0 < 0
            }

            pub fn checked_add(self, other: Self) -> Option<Self> {
                self.0.checked_add(other.0).map(Self)
            }

            pub fn checked_sub(self, other: Self) -> Option<Self> {
                self.0.checked_sub(other.0).map(Self)
            }

            pub fn saturating_add(self, other: Self) -> Self {
                Self(self.0.saturating_add(other.0))
            }

            pub fn saturating_sub(self, other: Self) -> Self {
                Self(self.0.saturating_sub(other.0))
            }

            pub fn abs(self) -> Self {
                Self(self.0.saturating_abs())
            }

            /// Number of whole `step`s in `self`, rounding toward negative infinity
            /// (e.g. a price in ticks, a size in lots). `None` when `step` is not positive.
            pub fn div_floor_steps(self, step: Self) -> Option<i64> {
                (step.0 > 0).then(|| self.0.div_euclid(step.0))
            }

            /// Nearest whole number of `step`s, halves away from zero: used for
            /// `round(price / tick) × tick` buckets (SPEC 2.5).
            pub fn round_steps(self, step: Self) -> Option<i64> {
                if step.0 <= 0 {
                    return None;
                }
                let quotient = self.0.div_euclid(step.0);
                let remainder = self.0.rem_euclid(step.0);
                Some(if remainder * 2 >= step.0 { quotient + 1 } else { quotient })
            }

            /// `steps × step`, checked.
            pub fn from_steps(steps: i64, step: Self) -> Option<Self> {
                steps.checked_mul(step.0).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                format_fixed(self.0, formatter)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(formatter, concat!(stringify!($name), "({})"), self)
            }
        }

        impl std::str::FromStr for $name {
            type Err = TypesError;
            fn from_str(input: &str) -> Result<Self, Self::Err> {
                Self::from_decimal_str(input)
            }
        }
    };
}

fixed_point_type!(
    /// A price (or a price difference such as a spread or a tick size), 10^-9 resolution.
    #[derive(Serialize, Deserialize)]
    #[serde(transparent)]
    Price
);
fixed_point_type!(
    /// A size, lot size or position quantity, 10^-9 resolution. Signed so that positions and
    /// differences are natural; validation rejects negative sizes in market data.
    #[derive(Serialize, Deserialize)]
    #[serde(transparent)]
    Quantity
);
fixed_point_type!(
    /// An amount of the quote (settlement) currency: cash, P&L, fees, funding, 10^-9
    /// resolution (±9.2 billion units).
    Money
);
fixed_point_type!(
    /// A dimensionless rate such as a fee (2 bps = `0.0002`) or a funding rate, 10^-9 resolution.
    #[derive(Serialize, Deserialize)]
    #[serde(transparent)]
    Rate
);

impl Price {
    /// Notional `price × quantity` in fixed-point raw units (10^-9 of the quote currency),
    /// formed in `i128` so that it never overflows silently.
    #[inline]
    pub fn notional_raw(self, quantity: Quantity) -> i128 {
        i128::from(self.0) * i128::from(quantity.0) / i128::from(FIXED_SCALE)
    }
}

/// Money is written as an exact decimal string (`"-12.5"`) in JSON and YAML reports, so a
/// reader never has to know the fixed-point scale; a bare number is accepted on input.
impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Text {
            Decimal(String),
            Integer(i64),
            Float(f64),
        }
        match Text::deserialize(deserializer)? {
            Text::Decimal(text) => Self::from_decimal_str(&text).map_err(serde::de::Error::custom),
            Text::Integer(units) => Self::from_units(units).map_err(serde::de::Error::custom),
            Text::Float(value) => Self::from_f64_rounded(value)
                .ok_or_else(|| serde::de::Error::custom(format!("{value} is out of range"))),
        }
    }
}

impl Money {
    /// A raw i128 amount (e.g. [`Price::notional_raw`]) as `Money`, saturating at the i64
    /// range instead of wrapping.
    #[inline]
    pub fn from_raw_i128(raw: i128) -> Self {
        Self(raw.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
    }

    /// `price × quantity` in quote currency (saturating).
    #[inline]
    pub fn notional(price: Price, quantity: Quantity) -> Self {
        Self::from_raw_i128(price.notional_raw(quantity))
    }
}

impl Rate {
    /// Applies this rate to a raw notional (`rate × notional`), rounding toward zero.
    pub fn apply_to_raw(self, notional_raw: i128) -> i128 {
        notional_raw * i128::from(self.0) / i128::from(FIXED_SCALE)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn parses_typical_venue_strings_exactly() {
        assert_eq!(parse_fixed("61800.20").unwrap(), 61_800_200_000_000);
        assert_eq!(parse_fixed("0.00056000").unwrap(), 560_000);
        assert_eq!(parse_fixed("1406502.0").unwrap(), 1_406_502_000_000_000);
        assert_eq!(parse_fixed("-0.5").unwrap(), -500_000_000);
        assert_eq!(parse_fixed("3").unwrap(), 3_000_000_000);
        assert_eq!(parse_fixed(".5").unwrap(), 500_000_000);
        assert_eq!(parse_fixed("5.").unwrap(), 5_000_000_000);
        assert_eq!(parse_fixed("0.1234567890000").unwrap(), 123_456_789);
    }

    #[test]
    fn rejects_bad_input_with_a_reason() {
        assert_eq!(parse_fixed(""), Err(TypesError::EmptyDecimal));
        assert_eq!(parse_fixed("-"), Err(TypesError::EmptyDecimal));
        assert_eq!(parse_fixed("."), Err(TypesError::EmptyDecimal));
        assert!(matches!(
            parse_fixed("1e5"),
            Err(TypesError::InvalidDecimal { .. })
        ));
        assert!(matches!(
            parse_fixed("1.2.3"),
            Err(TypesError::InvalidDecimal { .. })
        ));
        assert!(matches!(
            parse_fixed("0.0000000001"),
            Err(TypesError::TooPrecise { .. })
        ));
        assert!(matches!(
            parse_fixed("99999999999"),
            Err(TypesError::Overflow { .. })
        ));
    }

    #[test]
    fn formats_canonically() {
        assert_eq!(Price(61_800_200_000_000).to_string(), "61800.2");
        assert_eq!(Quantity(1_000_000).to_string(), "0.001");
        assert_eq!(Quantity(-1_000_000).to_string(), "-0.001");
        assert_eq!(Price(3 * FIXED_SCALE).to_string(), "3");
        assert_eq!(Price(1).to_string(), "0.000000001");
    }

    #[test]
    fn rounds_to_steps_half_away_from_zero() {
        let tick = Price::from_decimal_str("0.1").unwrap();
        let price = Price::from_decimal_str("100.05").unwrap();
        assert_eq!(price.round_steps(tick), Some(1001));
        assert_eq!(
            Price::from_decimal_str("100.04").unwrap().round_steps(tick),
            Some(1000)
        );
        assert_eq!(price.div_floor_steps(tick), Some(1000));
        assert_eq!(price.div_floor_steps(Price::ZERO), None);
    }

    #[test]
    fn notional_of_two_btc_at_sixty_thousand() {
        // SPEC 11.6: long 2 BTC at mark 60,000, rate 0.0001 -> 12 USDT.
        let mark = Price::from_decimal_str("60000").unwrap();
        let size = Quantity::from_decimal_str("2").unwrap();
        let notional = mark.notional_raw(size);
        assert_eq!(notional, 120_000 * i128::from(FIXED_SCALE));
        let funding = Rate::from_decimal_str("0.0001")
            .unwrap()
            .apply_to_raw(notional);
        assert_eq!(funding, 12 * i128::from(FIXED_SCALE));
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(raw in any::<i64>()) {
            let price = Price(raw);
            prop_assert_eq!(Price::from_decimal_str(&price.to_string()), Ok(price));
        }

        #[test]
        fn decimal_strings_round_trip(integer in 0_i64..9_000_000_000, fraction in 0_u32..1_000_000_000, negative: bool) {
            let text = format!("{}{integer}.{fraction:09}", if negative { "-" } else { "" });
            let parsed = parse_fixed(&text).unwrap();
            let expected = integer * FIXED_SCALE + i64::from(fraction);
            prop_assert_eq!(parsed, if negative { -expected } else { expected });
            let reparsed = parse_fixed(&Price(parsed).to_string()).unwrap();
            prop_assert_eq!(reparsed, parsed);
        }

        #[test]
        fn arbitrary_strings_never_panic(text in ".{0,40}") {
            let _ = parse_fixed(&text);
        }

        #[test]
        fn checked_arithmetic_never_wraps(left in any::<i64>(), right in any::<i64>()) {
            let sum = Quantity(left).checked_add(Quantity(right));
            prop_assert_eq!(sum.map(Quantity::raw), left.checked_add(right));
        }

        #[test]
        fn notional_never_overflows(price in any::<i64>(), size in any::<i64>()) {
            let notional = Price(price).notional_raw(Quantity(size));
            prop_assert_eq!(notional, i128::from(price) * i128::from(size) / i128::from(FIXED_SCALE));
        }
    }
}
