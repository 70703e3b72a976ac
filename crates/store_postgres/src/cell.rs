//! One stored value of the tick tables: every column is an integer raw value (the storage
//! crate's `Row`), in the format of the column it goes to:
//! - `bigint` (timestamps in ns, fixed-point prices and rates, ids), `integer`, `smallint`;
//! - `numeric(38,9)` for sizes and volumes: the `i128` raw quantity is `value × 10^9`, so
//!   SQL sees the quantity itself (`sum(size)` works) and the round trip is exact.
//!
//! Written by [`Cell`] (binary COPY in), read by [`decode_value`] (binary COPY out).
//!
//! PostgreSQL's binary NUMERIC is: digit count, weight (of the first base-10000 digit), sign
//! (0x0000 positive, 0x4000 negative, 0xC000 NaN), display scale, then base-10000 digits.

use std::error::Error;

use auction_trader_storage::schema::ColumnClass;
use bytes::BytesMut;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};

/// Display scale of the size columns: raw = value × 10^9 (the types crate's fixed scale).
const SCALE_DIGITS: i32 = 9;
/// 10^0 ..= 10^38, every power of ten an `i128` holds (a table: reads decode a numeric
/// per row).
const POWERS_OF_TEN: [i128; 39] = {
    let mut powers = [1_i128; 39];
    let mut index = 1;
    while index < powers.len() {
        powers[index] = powers[index - 1] * 10;
        index += 1;
    }
    powers
};
const POSITIVE: u16 = 0x0000;
const NEGATIVE: u16 = 0x4000;

/// A raw integer value bound for one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cell(pub i128);

type BoxError = Box<dyn Error + Sync + Send>;

impl ToSql for Cell {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match *ty {
            Type::INT2 => i16::try_from(self.0)?.to_sql(ty, out),
            Type::INT4 => i32::try_from(self.0)?.to_sql(ty, out),
            Type::INT8 => i64::try_from(self.0)?.to_sql(ty, out),
            Type::NUMERIC => {
                out.extend_from_slice(&encode_numeric(self.0));
                Ok(IsNull::No)
            }
            _ => Err(format!("no integer encoding for column type {ty}").into()),
        }
    }

    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::INT2 | Type::INT4 | Type::INT8 | Type::NUMERIC)
    }

    to_sql_checked!();
}

/// The raw value of one stored column from its binary form; an error names what is wrong.
/// Integer columns take any integer width (as [`Cell`] writes any of them); `u64` ids come
/// back from their bit pattern in a `bigint`.
#[inline]
pub(crate) fn decode_value(class: ColumnClass, bytes: &[u8]) -> Result<i128, String> {
    match class {
        ColumnClass::Wide => decode_numeric(bytes),
        ColumnClass::Unsigned => decode_integer(bytes).map(|value| i128::from(value as i64 as u64)),
        _ => decode_integer(bytes),
    }
}

/// A binary `smallint`, `integer` or `bigint`, told apart by width.
#[inline]
pub(crate) fn decode_integer(bytes: &[u8]) -> Result<i128, String> {
    Ok(match *bytes {
        [a, b] => i128::from(i16::from_be_bytes([a, b])),
        [a, b, c, d] => i128::from(i32::from_be_bytes([a, b, c, d])),
        [a, b, c, d, e, f, g, h] => i128::from(i64::from_be_bytes([a, b, c, d, e, f, g, h])),
        _ => return Err(format!("a {}-byte value is no integer", bytes.len())),
    })
}

/// The binary NUMERIC of `raw / 10^9` with display scale 9.
pub(crate) fn encode_numeric(raw: i128) -> Vec<u8> {
    let magnitude = raw.unsigned_abs();
    let mut whole = magnitude / 1_000_000_000;
    // Nine fraction digits padded to twelve: three base-10000 digits.
    let fraction = (magnitude % 1_000_000_000) * 1000;
    let mut whole_digits: Vec<i16> = Vec::new();
    while whole > 0 {
        whole_digits.push((whole % 10_000) as i16);
        whole /= 10_000;
    }
    whole_digits.reverse();
    let mut weight = whole_digits.len() as i16 - 1;
    let mut digits = whole_digits;
    digits.extend([
        (fraction / 100_000_000) as i16,
        (fraction / 10_000 % 10_000) as i16,
        (fraction % 10_000) as i16,
    ]);
    // Normal form: no leading zero digits (each one lowers the weight), no trailing ones.
    let leading = digits.iter().take_while(|&&digit| digit == 0).count();
    digits.drain(..leading);
    weight -= leading as i16;
    while digits.last() == Some(&0) {
        digits.pop();
    }
    let sign = if raw < 0 && !digits.is_empty() {
        NEGATIVE
    } else {
        POSITIVE
    };
    if digits.is_empty() {
        weight = 0;
    }
    let mut out = Vec::with_capacity(8 + 2 * digits.len());
    out.extend_from_slice(&(digits.len() as i16).to_be_bytes());
    out.extend_from_slice(&weight.to_be_bytes());
    out.extend_from_slice(&sign.to_be_bytes());
    out.extend_from_slice(&(SCALE_DIGITS as i16).to_be_bytes());
    for digit in digits {
        out.extend_from_slice(&digit.to_be_bytes());
    }
    out
}

/// The raw value (× 10^9) of a binary NUMERIC; an error when it is NaN, has more than nine
/// decimals or does not fit an `i128`.
pub(crate) fn decode_numeric(raw: &[u8]) -> Result<i128, String> {
    let word = |index: usize| -> Result<i16, String> {
        raw.get(2 * index..2 * index + 2)
            .map(|bytes| i16::from_be_bytes([bytes[0], bytes[1]]))
            .ok_or_else(|| "truncated numeric".to_owned())
    };
    let count = word(0)?;
    let weight = i32::from(word(1)?);
    let sign = word(2)? as u16;
    if sign != POSITIVE && sign != NEGATIVE {
        return Err("numeric NaN or infinity is not a quantity".to_owned());
    }
    let mut value: i128 = 0;
    let count = usize::try_from(count).map_err(|_| format!("numeric of {count} digits"))?;
    for index in 0..count {
        let digit = i128::from(word(4 + index)?);
        // This digit's power of ten in the raw (× 10^9) value.
        let exponent = 4 * (weight - index as i32) + SCALE_DIGITS;
        let term = if exponent >= 0 {
            POWERS_OF_TEN
                .get(exponent as usize)
                .and_then(|&power| digit.checked_mul(power))
        } else {
            let power = POWERS_OF_TEN[(exponent.unsigned_abs() as usize).min(38)];
            (digit % power == 0).then_some(digit / power)
        };
        value = term
            .and_then(|term| value.checked_add(term))
            .ok_or("numeric out of the quantity range or with more than 9 decimals")?;
    }
    Ok(if sign == NEGATIVE { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(bytes: &[u8]) -> Vec<i16> {
        bytes
            .chunks(2)
            .map(|pair| i16::from_be_bytes([pair[0], pair[1]]))
            .collect()
    }

    #[test]
    fn numerics_are_in_postgres_normal_form() {
        // 12345.6789 = raw 12_345_678_900_000: digits 1|2345.6789 -> weight 1.
        assert_eq!(
            words(&encode_numeric(12_345_678_900_000)),
            vec![3, 1, 0, 9, 1, 2345, 6789]
        );
        // 0.000000001 (raw 1): the third fraction digit 0001|000 -> 1000 at weight -3.
        assert_eq!(words(&encode_numeric(1)), vec![1, -3, 0, 9, 1000]);
        // -2 and 0.
        assert_eq!(
            words(&encode_numeric(-2_000_000_000)),
            vec![1, 0, 0x4000, 9, 2]
        );
        assert_eq!(words(&encode_numeric(0)), vec![0, 0, 0, 9]);
    }

    #[test]
    fn encode_then_decode_is_the_identity() {
        for raw in [
            0,
            1,
            -1,
            999_999_999,
            1_000_000_000,
            12_345_678_900_000,
            -7_000_000_000_123,
            // 1.2e10 PEPE with nine decimals: beyond the i64 raw range.
            12_000_000_000_000_000_001,
            i128::MAX / 10,
            -(i128::MAX / 10),
        ] {
            assert_eq!(decode_numeric(&encode_numeric(raw)).unwrap(), raw, "{raw}");
        }
    }

    #[test]
    fn ten_decimals_and_nan_are_refused() {
        // 10^-12: one digit 1 at weight -3, a thousandth of a raw unit.
        let too_fine = [0, 1, 0xFF, 0xFD, 0, 0, 0, 10, 0, 1];
        assert!(decode_numeric(&too_fine).is_err());
        let nan = [0, 0, 0, 0, 0xC0, 0, 0, 0];
        assert!(decode_numeric(&nan).is_err());
    }

    #[test]
    fn integers_of_every_width_decode_and_odd_widths_are_refused() {
        assert_eq!(decode_integer(&(-2_i16).to_be_bytes()), Ok(-2));
        assert_eq!(decode_integer(&70_000_i32.to_be_bytes()), Ok(70_000));
        assert_eq!(
            decode_integer(&i64::MIN.to_be_bytes()),
            Ok(i128::from(i64::MIN))
        );
        assert_eq!(
            decode_integer(&[0, 0, 1]),
            Err("a 3-byte value is no integer".to_owned())
        );
        // A u64 id stored by its bit pattern: -1 in the bigint is u64::MAX.
        assert_eq!(
            decode_value(ColumnClass::Unsigned, &(-1_i64).to_be_bytes()),
            Ok(i128::from(u64::MAX))
        );
        assert_eq!(decode_value(ColumnClass::Wide, &encode_numeric(-5)), Ok(-5));
        assert!(decode_value(ColumnClass::Fixed, &[]).is_err());
    }
}
