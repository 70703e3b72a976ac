//! The one decimal → fixed-point parser of the workspace (SPEC 1.1: prices and sizes are
//! fixed-point, never `f64`). Three entries share it, from strict to lenient:
//! - [`scan_plain_decimal`]: the hot-path prefix scan of a plain `123.456` (at most nine
//!   digits on each side of the point), used by the venue-message scanners on bytes still
//!   inside a JSON document, and as the first step of the two below;
//! - the exact parser behind [`crate::parse_fixed`] and `from_decimal_bytes` (signs, any
//!   number of integer digits, an error for non-zero digits beyond the ninth decimal);
//! - [`parse_decimal_lenient`]: CSV fields as other tools write them (scientific notation,
//!   float noise beyond nine decimals rounded half away from zero, flagged).
//!
//! Every entry agrees with the exact parser wherever both accept an input (property tests
//! below and in `fixed_point`).

/// Why a lenient decimal field could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecimalError {
    #[error("blank value")]
    Blank,
    #[error("not a decimal number")]
    Invalid,
    #[error("number out of range")]
    Overflow,
}

/// `123.456` at the start of `bytes` as a fixed-point raw value and its length, when it has
/// at most nine digits on each side of the point (the exact generic parser handles the
/// rest). Scaling: raw = integer * 10^9 + fraction * 10^(9 - fraction digits).
#[inline]
pub fn scan_plain_decimal(bytes: &[u8]) -> Option<(i64, usize)> {
    const SCALE: [u64; 10] = [
        1_000_000_000,
        100_000_000,
        10_000_000,
        1_000_000,
        100_000,
        10_000,
        1_000,
        100,
        10,
        1,
    ];
    // Short strings: a plain loop beats word tricks here. `value` collects every digit, so
    // value * 10^(9 - fraction digits) = integer * 10^9 + fraction * 10^(9 - fraction digits).
    let length = bytes.len();
    let mut value: u64 = 0;
    let mut index = 0;
    while index < length {
        let digit = bytes[index].wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        value = value * 10 + u64::from(digit);
        index += 1;
        if index > 9 {
            return None;
        }
    }
    let integer_digits = index;
    let mut fraction_digits = 0;
    if index < length && bytes[index] == b'.' {
        index += 1;
        let start = index;
        while index < length {
            let digit = bytes[index].wrapping_sub(b'0');
            if digit > 9 {
                break;
            }
            value = value * 10 + u64::from(digit);
            index += 1;
            if index - start > 9 {
                return None;
            }
        }
        fraction_digits = index - start;
    }
    if integer_digits + fraction_digits == 0 {
        return None;
    }
    // At most 18 digits: below 10^18 < i64::MAX.
    Some(((value * SCALE[fraction_digits]) as i64, index))
}

/// Parses a decimal into a raw fixed-point value (10^-9 units, see [`crate::FIXED_SCALE`]);
/// surrounding ASCII whitespace is ignored. The common case (plain decimal, at most nine
/// decimals) is exact and allocation-free. Also read: scientific notation (`1e-05`, as pandas
/// writes small floats) and more than nine decimals (float noise such as
/// `0.30000000000000004`), rounded half away from zero; the flag says a value was rounded.
#[inline]
pub fn parse_decimal_lenient(text: &[u8]) -> Result<(i128, bool), DecimalError> {
    let text = text.trim_ascii();
    if text.is_empty() {
        return Err(DecimalError::Blank);
    }
    if let Ok(value) = crate::Quantity::from_decimal_bytes(text) {
        return Ok((value.raw(), false));
    }
    parse_lenient_slow(text)
}

#[cold]
fn parse_lenient_slow(text: &[u8]) -> Result<(i128, bool), DecimalError> {
    let (negative, rest) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa_text, exponent) = match rest.iter().position(|&byte| byte == b'e' || byte == b'E')
    {
        Some(split) => {
            let exponent_text =
                std::str::from_utf8(&rest[split + 1..]).map_err(|_| DecimalError::Invalid)?;
            let exponent: i32 = exponent_text.parse().map_err(|_| DecimalError::Invalid)?;
            (&rest[..split], exponent)
        }
        None => (rest, 0),
    };
    let mut mantissa: u128 = 0;
    let mut fraction_digits: i32 = 0;
    let mut any_digit = false;
    let mut seen_point = false;
    for &byte in mantissa_text {
        match byte {
            b'0'..=b'9' => {
                any_digit = true;
                // Digits beyond 36 significant ones cannot matter at 10^-9 resolution unless
                // the value overflows anyway.
                if mantissa < 10_u128.pow(36) {
                    mantissa = mantissa * 10 + u128::from(byte - b'0');
                    fraction_digits += i32::from(seen_point);
                } else if !seen_point {
                    return Err(DecimalError::Overflow);
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => return Err(DecimalError::Invalid),
        }
    }
    if !any_digit || !(-400..=400).contains(&exponent) {
        return Err(DecimalError::Invalid);
    }
    // value = mantissa × 10^(exponent − fraction_digits); raw = value × 10^9.
    let scale = exponent - fraction_digits + 9;
    let (magnitude, rounded) = if scale >= 0 {
        let factor = 10_u128
            .checked_pow(scale as u32)
            .ok_or(DecimalError::Overflow)?;
        (
            mantissa.checked_mul(factor).ok_or(DecimalError::Overflow)?,
            false,
        )
    } else if -scale > 38 {
        (0, mantissa != 0)
    } else {
        let divisor = 10_u128.pow((-scale) as u32);
        let quotient = mantissa / divisor;
        let remainder = mantissa % divisor;
        let rounded_up = quotient + u128::from(remainder * 2 >= divisor);
        (rounded_up, remainder != 0)
    };
    let magnitude = i128::try_from(magnitude).map_err(|_| DecimalError::Overflow)?;
    Ok((if negative { -magnitude } else { magnitude }, rounded))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn plain_prefix_scan() {
        // 61800.20 -> 61800 * 10^9 + 20 * 10^7; length 8.
        assert_eq!(
            scan_plain_decimal(b"61800.20\""),
            Some((61_800_200_000_000, 8))
        );
        assert_eq!(scan_plain_decimal(b"0.00056000"), Some((560_000, 10)));
        assert_eq!(scan_plain_decimal(b"."), None);
        assert_eq!(scan_plain_decimal(b"1234567890.5"), None);
        assert_eq!(scan_plain_decimal(b"1.0000000001"), None);
    }

    #[test]
    fn lenient_forms_are_read_and_flagged() {
        assert_eq!(
            parse_decimal_lenient(b" 1406502.0 "),
            Ok((1_406_502_000_000_000, false))
        );
        assert_eq!(parse_decimal_lenient(b"1e-05"), Ok((10_000, false)));
        assert_eq!(
            parse_decimal_lenient(b"-2.5E+3"),
            Ok((-2_500_000_000_000, false))
        );
        assert_eq!(
            parse_decimal_lenient(b"0.1234567895"),
            Ok((123_456_790, true))
        );
        assert_eq!(parse_decimal_lenient(b""), Err(DecimalError::Blank));
        assert_eq!(parse_decimal_lenient(b"1,5"), Err(DecimalError::Invalid));
        assert_eq!(parse_decimal_lenient(b"1e30"), Err(DecimalError::Overflow));
    }

    /// The archive importer's former parser (kept here only as the reference): non-negative,
    /// digits beyond the ninth decimal dropped.
    fn truncating_reference(text: &[u8]) -> Option<i128> {
        let mut integer: i128 = 0;
        let mut fraction: i128 = 0;
        let mut fraction_digits = 0;
        let mut seen_point = false;
        let mut any_digit = false;
        for &byte in text {
            match byte {
                b'0'..=b'9' if seen_point => {
                    any_digit = true;
                    if fraction_digits < 9 {
                        fraction = fraction * 10 + i128::from(byte - b'0');
                        fraction_digits += 1;
                    }
                }
                b'0'..=b'9' => {
                    any_digit = true;
                    integer = integer
                        .checked_mul(10)?
                        .checked_add(i128::from(byte - b'0'))?;
                }
                b'.' if !seen_point => seen_point = true,
                _ => return None,
            }
        }
        for _ in fraction_digits..9 {
            fraction *= 10;
        }
        any_digit.then(|| integer.checked_mul(1_000_000_000)?.checked_add(fraction))?
    }

    proptest! {
        #[test]
        fn prefix_scan_agrees_with_the_exact_parser(text in "[0-9.]{0,22}") {
            if let Some((raw, length)) = scan_plain_decimal(text.as_bytes()) {
                prop_assert_eq!(crate::parse_fixed(&text[..length]), Ok(raw));
            }
        }

        /// The unified parser gives the old archive parser's value on every plain decimal
        /// with at most nine decimals (where truncation and rounding cannot differ).
        #[test]
        fn lenient_agrees_with_the_old_truncating_parser(
            integer in 0_u64..100_000_000_000_000,
            fraction in 0_u32..1_000_000_000,
            digits in 0_usize..=9,
        ) {
            let fraction = format!("{fraction:09}");
            let text = if digits == 0 {
                format!("{integer}")
            } else {
                format!("{integer}.{}", &fraction[..digits])
            };
            let old = truncating_reference(text.as_bytes());
            prop_assert_eq!(parse_decimal_lenient(text.as_bytes()).ok().map(|(raw, _)| raw), old);
        }
    }
}
