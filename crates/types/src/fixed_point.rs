//! Fixed-point decimal values with one global scale of 10^9 (nine decimal places).
//!
//! SPEC 1.1 forbids `f64` for prices and sizes. One global scale keeps comparison, hashing and
//! arithmetic trivial and exact: every venue we import quotes at most 8 decimals.
//!
//! Two raw widths share one implementation (the `fixed_point_type!` macro takes the raw
//! integer as a parameter):
//! - [`Price`] and [`Rate`] hold an `i64` raw value (±9.2·10^9 units): prices and rates fit,
//!   and the order book's hot path keeps its 8-byte keys;
//! - [`Quantity`] and [`Money`] hold an `i128` raw value (±1.7·10^29 units, 8-byte aligned
//!   with `repr(C, packed(8))` so market events stay compact for replay): sizes reach
//!   meme-coin quantities (10^13 units and beyond) and money accumulators (notional, P&L,
//!   fees, funding, turnover, equity) hold a 10^12 quote-unit account over years of turnover.
//!
//! Checked arithmetic for sizes and money: the `try_*` methods and the products
//! [`Money::notional`] and [`Rate::apply`] return [`TypesError::ArithmeticOverflow`] naming
//! the operation and the operands, never a saturated or wrapped value. The saturating forms
//! (`saturating_*`, [`Price::notional_raw`], [`Rate::apply_to_raw`]) clamp only at the `i128`
//! range (±1.7·10^29 units) and remain for the valuation, account and engine sums until those
//! move to the checked forms.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::TypesError;

/// Number of decimal places carried by every fixed-point value.
pub const FIXED_PRECISION: u8 = 9;
/// `10^FIXED_PRECISION`: the raw value of 1.0.
pub const FIXED_SCALE: i64 = 1_000_000_000;

/// `FIXED_SCALE` as `i128`, for the wide types' arithmetic.
const WIDE_SCALE: i128 = FIXED_SCALE as i128;

/// Parses a decimal string (`"61800.20"`, `"-0.5"`, `"1e-3"` is rejected) into an `i64` raw
/// value scaled by [`FIXED_SCALE`] (the raw width of [`Price`] and [`Rate`]). Exact: a value
/// with non-zero digits beyond the ninth decimal is an error rather than a silent rounding.
/// Trailing zeros beyond nine decimals are accepted.
pub fn parse_fixed(input: &str) -> Result<i64, TypesError> {
    parse_fixed_bytes::<i64>(input.as_bytes()).map_err(|kind| kind.into_error(input))
}

/// [`parse_fixed`] into an `i128` raw value (the raw width of [`Quantity`] and [`Money`]).
pub fn parse_fixed_wide(input: &str) -> Result<i128, TypesError> {
    parse_fixed_bytes::<i128>(input.as_bytes()).map_err(|kind| kind.into_error(input))
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

/// The raw integer of a fixed-point type (`i64` or `i128`): what the shared parser, formatter
/// and macro need from it. Monomorphized, so the `i64` path is as fast as a hand-written one.
trait RawInteger: Copy + Ord + fmt::Display {
    const ZERO: Self;
    const SCALE: Self;
    fn from_digit(digit: u8) -> Self;
    fn checked_mul(self, other: Self) -> Option<Self>;
    fn checked_add(self, other: Self) -> Option<Self>;
    fn pow10(exponent: u32) -> Self;
    fn from_i64(value: i64) -> Self;
    fn negate(self) -> Self;
    /// Magnitude split into whole units and the fractional raw remainder.
    fn split_magnitude(self) -> (u128, u64);
}

macro_rules! raw_integer {
    ($raw:ty) => {
        impl RawInteger for $raw {
            const ZERO: Self = 0;
            const SCALE: Self = FIXED_SCALE as $raw;
            #[inline]
            fn from_digit(digit: u8) -> Self {
                Self::from(digit)
            }
            #[inline]
            fn checked_mul(self, other: Self) -> Option<Self> {
                <$raw>::checked_mul(self, other)
            }
            #[inline]
            fn checked_add(self, other: Self) -> Option<Self> {
                <$raw>::checked_add(self, other)
            }
            #[inline]
            fn pow10(exponent: u32) -> Self {
                (10 as $raw).pow(exponent)
            }
            #[inline]
            fn from_i64(value: i64) -> Self {
                Self::from(value)
            }
            #[inline]
            fn negate(self) -> Self {
                -self
            }
            #[inline]
            fn split_magnitude(self) -> (u128, u64) {
                let magnitude = self.unsigned_abs() as u128;
                let scale = FIXED_SCALE as u128;
                (magnitude / scale, (magnitude % scale) as u64)
            }
        }
    };
}

raw_integer!(i64);
raw_integer!(i128);

#[inline]
fn parse_fixed_bytes<R: RawInteger>(bytes: &[u8]) -> Result<R, ParseFailure> {
    // Fast path: a plain decimal with at most nine digits on each side of the point (the
    // venues' prices and sizes); the general loop below gives the same value for it.
    if let Some((raw, length)) = crate::scan_plain_decimal(bytes)
        && length == bytes.len()
    {
        return Ok(R::from_i64(raw));
    }
    let (negative, digits) = match bytes.first() {
        None => return Err(ParseFailure::Empty),
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        Some(_) => (false, bytes),
    };
    if digits.is_empty() || digits == b"." {
        return Err(ParseFailure::Empty);
    }
    let ten = R::from_digit(10);
    let mut integer = R::ZERO;
    let mut fraction = R::ZERO;
    let mut fraction_digits: u8 = 0;
    let mut seen_point = false;
    let mut any_digit = false;
    for &byte in digits {
        match byte {
            b'0'..=b'9' => {
                any_digit = true;
                let digit = R::from_digit(byte - b'0');
                if seen_point {
                    if fraction_digits < FIXED_PRECISION {
                        // At most nine digits: cannot overflow either width.
                        fraction = fraction
                            .checked_mul(ten)
                            .and_then(|value| value.checked_add(digit))
                            .ok_or(ParseFailure::Overflow)?;
                        fraction_digits += 1;
                    } else if byte != b'0' {
                        return Err(ParseFailure::TooPrecise);
                    }
                } else {
                    integer = integer
                        .checked_mul(ten)
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
    let fraction_scaled = fraction
        .checked_mul(R::pow10(u32::from(FIXED_PRECISION - fraction_digits)))
        .ok_or(ParseFailure::Overflow)?;
    let magnitude = integer
        .checked_mul(R::SCALE)
        .and_then(|value| value.checked_add(fraction_scaled))
        .ok_or(ParseFailure::Overflow)?;
    Ok(if negative {
        magnitude.negate()
    } else {
        magnitude
    })
}

/// Writes a raw fixed-point value in canonical decimal form: no trailing fractional zeros,
/// no decimal point for whole numbers (`61800.2`, `3`, `-0.001`).
fn format_fixed<R: RawInteger>(raw: R, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
    let negative = raw < R::ZERO;
    let (integer, mut fraction) = raw.split_magnitude();
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

/// The overflow error of a binary operation, naming both operands.
#[cold]
fn overflow(
    operation: &'static str,
    left: &dyn fmt::Display,
    sign: &str,
    right: &dyn fmt::Display,
) -> TypesError {
    TypesError::ArithmeticOverflow {
        operation,
        values: format!("{left} {sign} {right}"),
    }
}

macro_rules! fixed_point_type {
    ($(#[$meta:meta])* $name:ident, $raw:ty) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub $raw);

        impl $name {
            pub const ZERO: Self = Self(0);
            pub const ONE: Self = Self(FIXED_SCALE as $raw);
            pub const MAX: Self = Self(<$raw>::MAX);

            /// Wraps a raw value already scaled by [`FIXED_SCALE`].
            #[inline]
            pub const fn from_raw(raw: $raw) -> Self {
                Self(raw)
            }

            /// The raw value scaled by [`FIXED_SCALE`].
            #[inline]
            pub const fn raw(self) -> $raw {
                self.0
            }

            /// Exact parse of a decimal string; see [`parse_fixed`].
            pub fn from_decimal_str(input: &str) -> Result<Self, TypesError> {
                parse_fixed_bytes::<$raw>(input.as_bytes())
                    .map(Self)
                    .map_err(|kind| kind.into_error(input))
            }

            /// Exact parse of decimal ASCII bytes (hot path of the importers).
            #[inline]
            pub fn from_decimal_bytes(input: &[u8]) -> Result<Self, TypesError> {
                parse_fixed_bytes::<$raw>(input).map(Self).map_err(|kind| {
                    kind.into_error(&String::from_utf8_lossy(input))
                })
            }

            /// A whole number of units.
            pub fn from_units(units: i64) -> Result<Self, TypesError> {
                <$raw>::from(units)
                    .checked_mul(FIXED_SCALE as $raw)
                    .map(Self)
                    .ok_or_else(|| TypesError::ArithmeticOverflow {
                        operation: concat!(stringify!($name), " from whole units"),
                        values: units.to_string(),
                    })
            }

            /// Lossy conversion for feature maths and statistics only (SPEC: f64 only there).
            #[inline]
            pub fn as_f64(self) -> f64 {
                self.raw_f64() / FIXED_SCALE as f64
            }

            /// The raw value (units of 10^-9) as the nearest `f64`, for statistics that scale
            /// once at the end instead of per value.
            #[inline]
            pub fn raw_f64(self) -> f64 {
                // A raw value that fits in an i64 converts in one instruction instead of the
                // i128 routine; the result is the same (one integer, rounded to nearest).
                // `black_box` keeps the optimizer from merging the two arms back into the
                // routine (it sees they are equal).
                #[allow(unreachable_patterns)]
                match i64::try_from(self.0) {
                    Ok(small) => small as f64,
                    Err(_) => std::hint::black_box(self.0) as f64,
                }
            }

            /// Nearest fixed-point value of an `f64` (for derived statistics such as a VWAP
            /// that is reported back in price units). `None` when not finite or out of range.
            pub fn from_f64_rounded(value: f64) -> Option<Self> {
                let scaled = (value * FIXED_SCALE as f64).round();
                (scaled.is_finite() && scaled.abs() < <$raw>::MAX as f64)
                    .then(|| Self(scaled as $raw))
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

            #[inline]
            pub fn checked_add(self, other: Self) -> Option<Self> {
                self.0.checked_add(other.0).map(Self)
            }

            #[inline]
            pub fn checked_sub(self, other: Self) -> Option<Self> {
                self.0.checked_sub(other.0).map(Self)
            }

            /// `self + other`, or an overflow error naming `operation` and both operands.
            #[inline]
            pub fn try_add(self, other: Self, operation: &'static str) -> Result<Self, TypesError> {
                self.checked_add(other)
                    .ok_or_else(|| overflow(operation, &self, "+", &other))
            }

            /// `self − other`, or an overflow error naming `operation` and both operands.
            #[inline]
            pub fn try_sub(self, other: Self, operation: &'static str) -> Result<Self, TypesError> {
                self.checked_sub(other)
                    .ok_or_else(|| overflow(operation, &self, "-", &other))
            }

            /// `−self`, or an overflow error (only the most negative raw value has none).
            #[inline]
            pub fn try_neg(self, operation: &'static str) -> Result<Self, TypesError> {
                self.0.checked_neg().map(Self).ok_or_else(|| TypesError::ArithmeticOverflow {
                    operation,
                    values: format!("-({self})"),
                })
            }

            /// `|self|` (the most negative raw value, which has no positive counterpart,
            /// maps to `MAX`).
            #[inline]
            pub fn abs(self) -> Self {
                Self(self.0.saturating_abs())
            }

            /// Number of whole `step`s in `self`, rounding toward negative infinity
            /// (e.g. a price in ticks, a size in lots). `None` when `step` is not positive
            /// or the count does not fit an `i64`.
            pub fn div_floor_steps(self, step: Self) -> Option<i64> {
                if step.0 <= 0 {
                    return None;
                }
                i64::try_from(self.0.div_euclid(step.0)).ok()
            }

            /// Nearest whole number of `step`s, halves away from zero: used for
            /// `round(price / tick) × tick` buckets (SPEC 2.5). `None` when `step` is not
            /// positive or the count does not fit an `i64`.
            pub fn round_steps(self, step: Self) -> Option<i64> {
                if step.0 <= 0 {
                    return None;
                }
                let quotient = self.0.div_euclid(step.0);
                let remainder = self.0.rem_euclid(step.0);
                let rounded = if remainder >= step.0 - remainder { quotient + 1 } else { quotient };
                i64::try_from(rounded).ok()
            }

            /// `steps × step`, checked.
            pub fn from_steps(steps: i64, step: Self) -> Option<Self> {
                <$raw>::from(steps).checked_mul(step.0).map(Self)
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

/// Saturating helpers for prices and rates (a level ± a distance is bounded by the price range)
/// and for quantities in book and queue arithmetic (level sizes, queue positions: bounded by
/// what rests at a level, far inside the `i128` range). Never for money, and size totals
/// (positions, traded sizes) use the checked `try_add` instead.
macro_rules! saturating_helpers {
    ($name:ident) => {
        impl $name {
            pub fn saturating_add(self, other: Self) -> Self {
                Self(self.0.saturating_add(other.0))
            }

            pub fn saturating_sub(self, other: Self) -> Self {
                Self(self.0.saturating_sub(other.0))
            }
        }
    };
}

fixed_point_type!(
    /// A price (or a price difference such as a spread or a tick size), 10^-9 resolution,
    /// `i64` raw (±9.2·10^9).
    #[derive(Serialize, Deserialize)]
    #[serde(transparent)]
    Price,
    i64
);
fixed_point_type!(
    /// A size, lot size or position quantity, 10^-9 resolution, `i128` raw (±1.7·10^29 units:
    /// meme-coin sizes). Signed so that positions and differences are natural; validation
    /// rejects negative sizes in market data.
    #[repr(C, packed(8))]
    Quantity,
    i128
);
fixed_point_type!(
    /// An amount of the quote (settlement) currency: cash, P&L, fees, funding, turnover,
    /// 10^-9 resolution, `i128` raw (±1.7·10^29 units).
    #[repr(C, packed(8))]
    Money,
    i128
);
fixed_point_type!(
    /// A dimensionless rate such as a fee (2 bps = `0.0002`) or a funding rate, 10^-9
    /// resolution, `i64` raw.
    #[derive(Serialize, Deserialize)]
    #[serde(transparent)]
    Rate,
    i64
);
saturating_helpers!(Price);
saturating_helpers!(Rate);
saturating_helpers!(Quantity);
// The valuation, account and engine paths still use these at the i128 range (±1.7·10^29
// units, far beyond any account); converting them to the checked `try_*` forms is pending.
saturating_helpers!(Money);

/// `wide × narrow / FIXED_SCALE` rounded toward zero, exact whenever the result fits: the
/// wide factor is split into whole units and a sub-unit remainder so that no intermediate
/// product overflows before the result does.
#[inline]
fn scaled_product(wide: i128, narrow: i64) -> Option<i128> {
    if let Ok(small) = i64::try_from(wide) {
        return Some(scaled_product_small(small, narrow));
    }
    let narrow = i128::from(narrow);
    let units = wide / WIDE_SCALE;
    let remainder = wide % WIDE_SCALE;
    // Both parts carry the sign of `wide`, so truncating each is truncating the sum.
    let whole = units.checked_mul(narrow)?;
    let fraction = remainder * narrow / WIDE_SCALE;
    whole.checked_add(fraction)
}

/// [`scaled_product`] for a wide factor that fits `i64` (every realistic size and amount):
/// the same truncated result with only `i64` divisions by the constant scale, which compile to
/// multiplications, where the `i128` form calls a 128-bit division routine. Never overflows:
/// |result| < 2^63 × 2^63 / 10^9.
#[inline]
fn scaled_product_small(wide: i64, narrow: i64) -> i128 {
    let (units, remainder) = (wide / FIXED_SCALE, wide % FIXED_SCALE);
    let (narrow_units, narrow_remainder) = (narrow / FIXED_SCALE, narrow % FIXED_SCALE);
    // wide × narrow / S = units × narrow + remainder × narrow_units
    //                   + remainder × narrow_remainder / S.
    // The first two terms are whole; every term carries the sign of wide × narrow (a
    // remainder has its dividend's sign), so truncating the last one truncates the sum.
    // |remainder × narrow_remainder| < 10^18 fits i64.
    i128::from(units) * i128::from(narrow)
        + i128::from(remainder) * i128::from(narrow_units)
        + i128::from(remainder * narrow_remainder / FIXED_SCALE)
}

impl Price {
    /// Notional `price × quantity` in raw money units (10^-9), saturating at the `i128` range
    /// (±1.7·10^29 units); the checked form is [`Money::notional`].
    #[inline]
    pub fn notional_raw(self, quantity: Quantity) -> i128 {
        scaled_product(quantity.0, self.0).unwrap_or(if (quantity.0 < 0) == (self.0 < 0) {
            i128::MAX
        } else {
            i128::MIN
        })
    }
}

impl Quantity {
    /// Whether `self` is a whole number of `step`s (e.g. whole lots); false for a zero step.
    /// Sizes that fit `i64` skip the 128-bit remainder routine.
    #[inline]
    pub fn is_multiple_of(self, step: Self) -> bool {
        match (i64::try_from(self.0), i64::try_from(step.0)) {
            (Ok(value), Ok(step)) => value.checked_rem(step) == Some(0),
            _ => self.0.checked_rem(step.0) == Some(0),
        }
    }

    /// `self × multiplier` (a contract multiplier or a fraction of a size), rounding toward
    /// zero, or an overflow error naming `operation` and both operands.
    pub fn try_mul(self, multiplier: Self, operation: &'static str) -> Result<Self, TypesError> {
        self.0
            .checked_mul(multiplier.0)
            .map(|product| Self(product / WIDE_SCALE))
            .or_else(|| {
                // Exact fallback when the raw product overflows but the result may not.
                let narrow = i64::try_from(multiplier.0).ok()?;
                scaled_product(self.0, narrow).map(Self)
            })
            .ok_or_else(|| overflow(operation, &self, "×", &multiplier))
    }
}

impl Money {
    /// A raw `i128` amount as `Money` (the identity since `Money` is `i128`; kept for the
    /// valuation paths that form raw sums).
    #[inline]
    pub const fn from_raw_i128(raw: i128) -> Self {
        Self(raw)
    }

    /// Notional `price × quantity` in quote currency, rounding toward zero; exact, or an
    /// overflow error naming both operands.
    #[inline]
    pub fn notional(price: Price, quantity: Quantity) -> Result<Self, TypesError> {
        scaled_product(quantity.0, price.0)
            .map(Self)
            .ok_or_else(|| overflow("notional", &price, "×", &quantity))
    }

    /// `self × quantity` (e.g. a value per unit times a contract multiplier), rounding toward
    /// zero, or an overflow error naming `operation` and both operands.
    pub fn try_mul_quantity(
        self,
        quantity: Quantity,
        operation: &'static str,
    ) -> Result<Self, TypesError> {
        Quantity(self.0)
            .try_mul(quantity, operation)
            .map(|product| Self(product.0))
            .map_err(|_| overflow(operation, &self, "×", &quantity))
    }
}

/// Quantities are written as their raw integer (scale 10^9) in JSON and YAML, as before the
/// widening: an `i64` number when it fits, a wider integer otherwise.
impl Serialize for Quantity {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match i64::try_from(self.0) {
            Ok(narrow) => serializer.serialize_i64(narrow),
            Err(_) => serializer.serialize_i128(self.0),
        }
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RawVisitor;
        impl serde::de::Visitor<'_> for RawVisitor {
            type Value = Quantity;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a raw fixed-point integer (scale 10^9)")
            }
            fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Quantity, E> {
                Ok(Quantity(i128::from(value)))
            }
            fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Quantity, E> {
                Ok(Quantity(i128::from(value)))
            }
            fn visit_i128<E: serde::de::Error>(self, value: i128) -> Result<Quantity, E> {
                Ok(Quantity(value))
            }
            fn visit_u128<E: serde::de::Error>(self, value: u128) -> Result<Quantity, E> {
                i128::try_from(value)
                    .map(Quantity)
                    .map_err(|_| E::custom(format!("quantity {value} out of range")))
            }
        }
        deserializer.deserialize_i128(RawVisitor)
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

impl Rate {
    /// `rate × notional_raw` on raw units, rounding toward zero, saturating at the `i128`
    /// range (±1.7·10^29 units); the checked form is [`Rate::apply`].
    pub fn apply_to_raw(self, notional_raw: i128) -> i128 {
        scaled_product(notional_raw, self.0).unwrap_or(if (notional_raw < 0) == (self.0 < 0) {
            i128::MAX
        } else {
            i128::MIN
        })
    }

    /// `rate × amount` (a fee or a funding payment on a notional), rounding toward zero;
    /// exact, or an overflow error naming `operation` and both operands.
    #[inline]
    pub fn apply(self, amount: Money, operation: &'static str) -> Result<Money, TypesError> {
        scaled_product(amount.0, self.0)
            .map(Money)
            .ok_or_else(|| overflow(operation, &self, "×", &amount))
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
        assert!(matches!(
            Quantity::from_decimal_str("999999999999999999999999999999"),
            Err(TypesError::Overflow { .. })
        ));
    }

    #[test]
    fn meme_coin_sizes_parse_exactly() {
        // A PEPE-sized trade: 12,000,000,000 units = 1.2·10^19 raw, beyond i64 (9.2·10^18).
        let pepe = Quantity::from_decimal_str("12000000000").unwrap();
        assert_eq!(pepe.raw(), 12_000_000_000 * 1_000_000_000);
        assert_eq!(pepe.to_string(), "12000000000");
        let huge = Quantity::from_decimal_bytes(b"10000000000000.5").unwrap();
        assert_eq!(huge.raw(), 10_000_000_000_000_500_000_000);
        assert_eq!(huge.to_string(), "10000000000000.5");
        assert_eq!(parse_fixed_wide("-0.000000001"), Ok(-1));
        // A price stays i64: the same text overflows it.
        assert!(matches!(
            Price::from_decimal_str("12000000000"),
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
        assert_eq!(
            Money(i128::MIN).to_string(),
            "-170141183460469231731687303715.884105728"
        );
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
        // 10^13 units in lots of 10^-9: 10^22 lots, beyond i64.
        let huge = Quantity::from_units(10_000_000_000_000).unwrap();
        assert_eq!(huge.div_floor_steps(Quantity(1)), None);
        assert_eq!(
            huge.div_floor_steps(Quantity::ONE),
            Some(10_000_000_000_000)
        );
    }

    #[test]
    fn notional_of_two_btc_at_sixty_thousand() {
        // SPEC 11.6: long 2 BTC at mark 60,000, rate 0.0001 -> 12 USDT.
        let mark = Price::from_decimal_str("60000").unwrap();
        let size = Quantity::from_decimal_str("2").unwrap();
        let notional = Money::notional(mark, size).unwrap();
        assert_eq!(notional, Money::from_units(120_000).unwrap());
        let funding = Rate::from_decimal_str("0.0001")
            .unwrap()
            .apply(notional, "funding")
            .unwrap();
        assert_eq!(funding, Money::from_units(12).unwrap());
    }

    #[test]
    fn notional_of_a_pepe_trade_and_a_billion_yen_account_is_exact() {
        // 12,000,000,000 PEPE at 0.00001234 = 148,080 USDT exactly.
        let pepe = Money::notional(
            Price::from_decimal_str("0.00001234").unwrap(),
            Quantity::from_decimal_str("12000000000").unwrap(),
        )
        .unwrap();
        assert_eq!(pepe, Money::from_units(148_080).unwrap());
        // 1,000 BTC at 9,000,000 JPY = 9·10^9 JPY, beyond the former i64 money range.
        let yen = Money::notional(
            Price::from_decimal_str("9000000").unwrap(),
            Quantity::from_units(1_000).unwrap(),
        )
        .unwrap();
        assert_eq!(yen.to_string(), "9000000000");
        // Rounding toward zero, also for sells (negative sizes).
        let third = Money::notional(Price(1), Quantity(-999_999_999)).unwrap();
        assert_eq!(third, Money(0));
        let small = Money::notional(Price(3 * FIXED_SCALE), Quantity(-1)).unwrap();
        assert_eq!(small, Money(-3));
    }

    #[test]
    fn overflow_is_an_error_naming_the_values() {
        let error = Money::MAX.try_add(Money::ONE, "fees paid").unwrap_err();
        assert_eq!(
            error,
            TypesError::ArithmeticOverflow {
                operation: "fees paid",
                values: "170141183460469231731687303715.884105727 + 1".to_owned(),
            }
        );
        assert!(error.to_string().contains("fees paid"));
        assert!(Money::notional(Price::MAX, Quantity::MAX).is_err());
        assert!(Rate::ONE.apply(Money::MAX, "fee").is_ok());
        assert!(Rate(2 * FIXED_SCALE).apply(Money::MAX, "fee").is_err());
        assert!(Money(i128::MIN).try_neg("rebate").is_err());
        assert!(
            Quantity::MAX
                .try_mul(Quantity::from_units(2).unwrap(), "size")
                .is_err()
        );
    }

    #[test]
    fn quantities_serialize_as_raw_integers_of_either_width() {
        let small = Quantity(1_500_000_000);
        assert_eq!(serde_json::to_string(&small).unwrap(), "1500000000");
        let pepe = Quantity(12_000_000_000_000_000_000);
        let text = serde_json::to_string(&pepe).unwrap();
        assert_eq!(text, "12000000000000000000");
        assert_eq!(serde_json::from_str::<Quantity>(&text).unwrap(), pepe);
        assert_eq!(
            serde_json::from_str::<Quantity>("-7").unwrap(),
            Quantity(-7)
        );
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(raw in any::<i64>()) {
            let price = Price(raw);
            prop_assert_eq!(Price::from_decimal_str(&price.to_string()), Ok(price));
        }

        #[test]
        fn wide_display_then_parse_round_trips(raw in (i128::MIN + 1)..=i128::MAX) {
            let money = Money(raw);
            prop_assert_eq!(Money::from_decimal_str(&money.to_string()), Ok(money));
            let size = Quantity(raw);
            prop_assert_eq!(size.to_string().parse::<Quantity>(), Ok(size));
        }

        #[test]
        fn decimal_strings_round_trip(integer in 0_i64..9_000_000_000, fraction in 0_u32..1_000_000_000, negative: bool) {
            let text = format!("{}{integer}.{fraction:09}", if negative { "-" } else { "" });
            let parsed = parse_fixed(&text).unwrap();
            let expected = integer * FIXED_SCALE + i64::from(fraction);
            prop_assert_eq!(parsed, if negative { -expected } else { expected });
            let reparsed = parse_fixed(&Price(parsed).to_string()).unwrap();
            prop_assert_eq!(reparsed, parsed);
            prop_assert_eq!(parse_fixed_wide(&text), Ok(i128::from(parsed)));
        }

        #[test]
        fn wide_as_f64_is_the_i128_conversion(raw in any::<i128>(), small in any::<i64>()) {
            // The i64 shortcut of `as_f64` gives the value of the plain i128 conversion.
            for value in [raw, i128::from(small)] {
                let expected = value as f64 / FIXED_SCALE as f64;
                prop_assert_eq!(Quantity(value).as_f64().to_bits(), expected.to_bits());
                prop_assert_eq!(Money(value).as_f64().to_bits(), expected.to_bits());
            }
        }

        #[test]
        fn arbitrary_strings_never_panic(text in ".{0,40}") {
            let _ = parse_fixed(&text);
            let _ = parse_fixed_wide(&text);
        }

        #[test]
        fn checked_arithmetic_never_wraps(left in any::<i64>(), right in any::<i64>()) {
            let sum = Price(left).checked_add(Price(right));
            prop_assert_eq!(sum.map(Price::raw), left.checked_add(right));
        }

        /// Fixed-point add and multiply are exact or an overflow error: compared with the
        /// exact result computed in a wider domain (two i128 halves via i128 → f64 check
        /// for the range, and exact i128 arithmetic where it fits).
        #[test]
        fn wide_add_is_exact_or_an_overflow_error(left in any::<i128>(), right in any::<i128>()) {
            match Money(left).try_add(Money(right), "sum") {
                Ok(sum) => prop_assert_eq!(Some(sum.raw()), left.checked_add(right)),
                Err(error) => {
                    prop_assert!(left.checked_add(right).is_none());
                    let is_overflow = matches!(error, TypesError::ArithmeticOverflow { operation: "sum", .. });
                    prop_assert!(is_overflow);
                }
            }
            match Quantity(left).try_sub(Quantity(right), "difference") {
                Ok(difference) => prop_assert_eq!(Some(difference.raw()), left.checked_sub(right)),
                Err(_) => prop_assert!(left.checked_sub(right).is_none()),
            }
        }

        #[test]
        fn notional_is_exact_or_an_overflow_error(price in any::<i64>(), size in any::<i128>()) {
            // Exact reference: |price × size| / 10^9 in 256 bits, as (high, low) u128 halves.
            let exact = exact_scaled_product(size, price);
            match Money::notional(Price(price), Quantity(size)) {
                Ok(notional) => prop_assert_eq!(Some(notional.raw()), exact),
                Err(error) => {
                    prop_assert_eq!(exact, None);
                    let is_overflow = matches!(error, TypesError::ArithmeticOverflow { operation: "notional", .. });
                    prop_assert!(is_overflow);
                }
            }
        }

        #[test]
        fn products_of_i64_sized_values_are_exact(price in any::<i64>(), size in any::<i64>(), rate in -FIXED_SCALE..=FIXED_SCALE) {
            // The i64 fast path against the 256-bit reference, over the whole i64 range.
            let size = i128::from(size);
            prop_assert_eq!(Money::notional(Price(price), Quantity(size)).ok().map(Money::raw), exact_scaled_product(size, price));
            prop_assert_eq!(Rate(rate).apply(Money(size), "fee").ok().map(Money::raw), exact_scaled_product(size, rate));
            prop_assert_eq!(Some(scaled_product_small(i64::MIN, price)), exact_scaled_product(i128::from(i64::MIN), price));
        }

        #[test]
        fn whole_multiples_match_the_wide_remainder(value in any::<i128>(), small in any::<i64>(), step in 1_i64..=i64::MAX) {
            for value in [value, i128::from(small)] {
                prop_assert_eq!(Quantity(value).is_multiple_of(Quantity(i128::from(step))), value % i128::from(step) == 0);
            }
        }

        #[test]
        fn realistic_notionals_never_overflow(price in 1_i64..10_000_000_000_000_000, size in -(10_i128.pow(22))..=10_i128.pow(22)) {
            // Prices up to 10^7 units (BTC in JPY), sizes up to 10^13 units: exact.
            prop_assert_eq!(
                Money::notional(Price(price), Quantity(size)).map(Money::raw),
                Ok(i128::from(price) * size / WIDE_SCALE)
            );
        }

        #[test]
        fn quantity_multiply_is_exact_or_an_overflow_error(left in any::<i128>(), right in any::<i64>()) {
            let exact = exact_scaled_product(left, right);
            match Quantity(left).try_mul(Quantity(i128::from(right)), "scaled") {
                Ok(product) => prop_assert_eq!(Some(product.raw()), exact),
                Err(_) => prop_assert_eq!(exact, None),
            }
        }
    }

    #[test]
    fn whole_lots() {
        let lot = Quantity(1_000_000); // 0.001
        assert!(Quantity(5_000_000).is_multiple_of(lot));
        assert!(!Quantity(5_500_000).is_multiple_of(lot));
        assert!(Quantity(-3_000_000).is_multiple_of(lot));
        // 10^13 units in lots of 1,000: beyond i64 raw, the wide path.
        assert!(Quantity(10_i128.pow(22)).is_multiple_of(Quantity(10_i128.pow(12))));
        assert!(!Quantity(10_i128.pow(22) + 1).is_multiple_of(Quantity(10_i128.pow(12))));
        assert!(!Quantity(5_000_000).is_multiple_of(Quantity::ZERO));
    }

    #[test]
    fn small_products_by_hand() {
        // 0.3 × 4.5 = 1.35; −7 raw × 0.3 = −2.1 raw → −2 (toward zero); 61800.2 × 0.015.
        assert_eq!(
            scaled_product_small(4_500_000_000, 300_000_000),
            1_350_000_000
        );
        assert_eq!(scaled_product_small(-7, 300_000_000), -2);
        assert_eq!(
            scaled_product_small(15_000_000, 61_800_200_000_000),
            927_003_000_000
        );
    }

    /// `trunc(wide × narrow / 10^9)` computed in 256-bit magnitude arithmetic, `None` when
    /// it does not fit an `i128`: an independent reference for the split product.
    fn exact_scaled_product(wide: i128, narrow: i64) -> Option<i128> {
        let negative = (wide < 0) != (narrow < 0);
        let (a, b) = (wide.unsigned_abs(), u128::from(narrow.unsigned_abs()));
        // a × b as a 256-bit (high, low) pair, via 64-bit limbs.
        let (a_high, a_low) = (a >> 64, a & u128::from(u64::MAX));
        let low_product = a_low * b;
        let high_product = a_high * b; // b < 2^64, a_high < 2^64: fits.
        let low = low_product.wrapping_add(high_product << 64);
        let carry = u128::from(low < low_product);
        let high = (high_product >> 64) + carry;
        // Long division of (high, low) by 10^9, bit by bit.
        let divisor = WIDE_SCALE as u128;
        let mut remainder: u128 = 0;
        let mut quotient_high: u128 = 0;
        let mut quotient_low: u128 = 0;
        for bit in (0..256).rev() {
            let next = if bit >= 128 {
                (high >> (bit - 128)) & 1
            } else {
                (low >> bit) & 1
            };
            remainder = (remainder << 1) | next;
            if remainder >= divisor {
                remainder -= divisor;
                if bit >= 128 {
                    quotient_high |= 1 << (bit - 128);
                } else {
                    quotient_low |= 1 << bit;
                }
            }
        }
        if quotient_high != 0 {
            return None;
        }
        if negative {
            if quotient_low <= i128::MAX.unsigned_abs() + 1 {
                Some((quotient_low as i128).wrapping_neg())
            } else {
                None
            }
        } else {
            i128::try_from(quotient_low).ok()
        }
    }
}
