//! Byte scans eight bytes at a time (SWAR: SIMD within a register) for the JSON scanner and
//! the recorder framing: the first quote or escape of a string, runs of digits, and the
//! compact depth level `["price","size"]`.

use auction_trader_types::scan_plain_decimal as plain_decimal;

/// Eight bytes of `bytes` from `offset` as a little-endian word, when there are eight.
#[inline]
pub(super) fn word_at(bytes: &[u8], offset: usize) -> Option<u64> {
    bytes
        .get(offset..offset + 8)
        .and_then(|chunk| <[u8; 8]>::try_from(chunk).ok())
        .map(u64::from_le_bytes)
}

pub(super) const LOW_BYTES: u64 = 0x0101_0101_0101_0101;
pub(super) const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// High bit set in each byte of `word` equal to `byte`; exact for the lowest such byte
/// (the classic has-zero-byte test; borrows can only flag bytes above a true match).
#[inline]
pub(super) fn bytes_equal(word: u64, byte: u8) -> u64 {
    let difference = word ^ (LOW_BYTES * u64::from(byte));
    difference.wrapping_sub(LOW_BYTES) & !difference & HIGH_BITS
}

/// Index of the first `"` or `\` (eight bytes at a time).
#[inline]
pub(super) fn find_quote_or_escape(bytes: &[u8]) -> Option<usize> {
    let mut offset = 0;
    while let Some(word) = word_at(bytes, offset) {
        let mask = bytes_equal(word, b'"') | bytes_equal(word, b'\\');
        if mask != 0 {
            return Some(offset + (mask.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    bytes[offset..]
        .iter()
        .position(|&byte| byte == b'"' || byte == b'\\')
        .map(|found| offset + found)
}

/// Length of the run of ASCII digits at the start of `bytes` (eight bytes at a time).
#[inline]
pub(super) fn digit_run(bytes: &[u8]) -> usize {
    let mut offset = 0;
    while let Some(word) = word_at(bytes, offset) {
        // byte ^ 0x30 is 0..=9 exactly for digits; adding 0x76 to its low seven bits sets
        // the high bit from 10 up, without carries between bytes (0x7F + 0x76 < 0x100).
        let shifted = word ^ (LOW_BYTES * 0x30);
        let non_digits = (((shifted & !HIGH_BITS) + LOW_BYTES * 0x76) | shifted) & HIGH_BITS;
        if non_digits != 0 {
            return offset + (non_digits.trailing_zeros() / 8) as usize;
        }
        offset += 8;
    }
    offset
        + bytes[offset..]
            .iter()
            .position(|byte| !byte.is_ascii_digit())
            .unwrap_or(bytes.len() - offset)
}

/// The value of a run of at most 19 ASCII digits.
#[inline]
pub(super) fn digits_value(digits: &[u8]) -> u64 {
    digits.iter().fold(0, |value, &digit| {
        value * 10 + u64::from(digit.wrapping_sub(b'0'))
    })
}

/// A compact depth level `["price","size"]` at the start of `bytes`: both raw values and the
/// level's length; `None` for anything else (the general path then decides).
#[inline]
pub(super) fn compact_level(bytes: &[u8]) -> Option<(i64, i64, usize)> {
    let [b'[', b'"', tail @ ..] = bytes else {
        return None;
    };
    let (price, price_length) = plain_decimal(tail)?;
    let tail = tail.get(price_length..)?;
    let [b'"', b',', b'"', tail @ ..] = tail else {
        return None;
    };
    let (size, size_length) = plain_decimal(tail)?;
    match tail.get(size_length..size_length + 2) {
        Some(b"\"]") => Some((price, size, 2 + price_length + 3 + size_length + 2)),
        _ => None,
    }
}
