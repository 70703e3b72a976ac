//! Recorder framing: one message per line, `<local receive ts> <json>` or `<ts>: <json>`, and
//! the unit of the local timestamp (detected from its magnitude). Only the capture importer
//! reads lines; the live feed hands the decoder whole messages with its own receive time.

use auction_trader_types::{NANOS_PER_MICRO, NANOS_PER_MILLI, NANOS_PER_SECOND, UnixNanos};

use super::decoder::{Fault, Scan};
use super::scanner::parse_integer;
use super::swar::digit_run;

/// Unit of the recorder's local receive timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalTimeUnit {
    Seconds,
    Millis,
    Micros,
    Nanos,
}

impl LocalTimeUnit {
    const fn nanos(self) -> i64 {
        match self {
            Self::Seconds => NANOS_PER_SECOND,
            Self::Millis => NANOS_PER_MILLI,
            Self::Micros => NANOS_PER_MICRO,
            Self::Nanos => 1,
        }
    }

    /// The unit whose epoch range (1973..5138 AD) contains a value with this integer part.
    /// The four ranges are disjoint decades, so the magnitude alone decides.
    pub(super) const fn from_magnitude(integer: u64) -> Option<Self> {
        match integer {
            100_000_000..=99_999_999_999 => Some(Self::Seconds),
            100_000_000_000..=99_999_999_999_999 => Some(Self::Millis),
            100_000_000_000_000..=99_999_999_999_999_999 => Some(Self::Micros),
            100_000_000_000_000_000..=9_223_372_036_854_775_807 => Some(Self::Nanos),
            _ => None,
        }
    }

    pub(super) const fn as_str(self) -> &'static str {
        match self {
            Self::Seconds => "s",
            Self::Millis => "ms",
            Self::Micros => "µs",
            Self::Nanos => "ns",
        }
    }
}

pub(super) fn trim_end(mut line: &[u8]) -> &[u8] {
    while let [rest @ .., last] = line {
        if matches!(last, b'\r' | b' ' | b'\t') {
            line = rest;
        } else {
            break;
        }
    }
    line
}

/// The recorder's local timestamp: integer part and up to nine fractional digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct LocalStamp {
    pub(super) integer: u64,
    fraction: u64,
    fraction_digits: u32,
}

impl LocalStamp {
    pub(super) fn to_nanos(self, unit: LocalTimeUnit) -> Option<UnixNanos> {
        let unit_nanos = i128::from(unit.nanos());
        let whole = i128::from(self.integer) * unit_nanos;
        let part = i128::from(self.fraction) * unit_nanos / 10_i128.pow(self.fraction_digits);
        i64::try_from(whole + part).ok().map(UnixNanos)
    }
}

/// Splits `<ts> <json>` or `<ts>: <json>`; the fraction of `<ts>` beyond nine digits is
/// truncated (cryptofeed prints Python floats).
pub(super) fn split_local_timestamp(line: &[u8]) -> Scan<(LocalStamp, &[u8])> {
    let mut position = digit_run(line);
    if position == 0 {
        return Err(Fault("line does not start with a local timestamp"));
    }
    let integer =
        parse_integer(&line[..position]).map_err(|_| Fault("local timestamp overflows"))?;
    let mut fraction: u64 = 0;
    let mut fraction_digits = 0;
    if line.get(position) == Some(&b'.') {
        position += 1;
        let start = position;
        while let Some(&byte) = line.get(position) {
            if !byte.is_ascii_digit() {
                break;
            }
            if fraction_digits < 9 {
                fraction = fraction * 10 + u64::from(byte - b'0');
                fraction_digits += 1;
            }
            position += 1;
        }
        if position == start {
            return Err(Fault("local timestamp has an empty fraction"));
        }
    }
    if line.get(position) == Some(&b':') {
        position += 1;
    }
    let separator = position;
    while matches!(line.get(position), Some(b' ' | b'\t')) {
        position += 1;
    }
    if position == separator && line.get(position) != Some(&b'{') {
        return Err(Fault("no separator after the local timestamp"));
    }
    if line.get(position) != Some(&b'{') {
        return Err(Fault("no JSON object after the local timestamp"));
    }
    Ok((
        LocalStamp {
            integer,
            fraction,
            fraction_digits,
        },
        &line[position..],
    ))
}
