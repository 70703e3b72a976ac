//! Timestamp parsing and unit auto-detection for the CSV-family importers (SPEC 1.2).
//!
//! Owns: the [`TimestampFormat`]s we read (epoch seconds / milliseconds / microseconds /
//! nanoseconds, integer or decimal, and ISO-8601 with or without a zone), the allocation-free
//! row parsers, and [`detect_format`], which chooses a format from a sample of values and
//! cross-checks the result against the sample's time span. SPEC 1.2: "detection is best effort:
//! warn when ambiguous, never silently guess a wrong unit (cross-check the span)".

use std::fmt;

use auction_trader_types::{NANOS_PER_SECOND, UnixNanos};
use thiserror::Error;

/// How the values of a timestamp column are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimestampFormat {
    /// Seconds since the Unix epoch; a decimal fraction is allowed (`1582329601.096`).
    EpochSeconds,
    EpochMillis,
    EpochMicros,
    EpochNanos,
    /// `YYYY-MM-DD[T| ]HH:MM[:SS[.fffffffff]][Z|±HH:MM|±HHMM|±HH| UTC]`; `/` or no date
    /// separator is also read (`2018/01/21`, `20201229 00:00:00`). Naive times are in the
    /// configured [`ZoneOffset`].
    Iso8601,
}

impl TimestampFormat {
    /// Every epoch unit, coarsest first.
    pub const EPOCH_UNITS: [Self; 4] = [
        Self::EpochSeconds,
        Self::EpochMillis,
        Self::EpochMicros,
        Self::EpochNanos,
    ];

    /// Nanoseconds per unit of an epoch format; `None` for ISO-8601.
    pub const fn unit_nanos(self) -> Option<i64> {
        match self {
            Self::EpochSeconds => Some(NANOS_PER_SECOND),
            Self::EpochMillis => Some(1_000_000),
            Self::EpochMicros => Some(1_000),
            Self::EpochNanos => Some(1),
            Self::Iso8601 => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::EpochSeconds => "epoch seconds",
            Self::EpochMillis => "epoch milliseconds",
            Self::EpochMicros => "epoch microseconds",
            Self::EpochNanos => "epoch nanoseconds",
            Self::Iso8601 => "ISO-8601",
        }
    }

    /// Parses one value (surrounding ASCII whitespace ignored).
    #[inline]
    pub fn parse(self, text: &[u8], naive_offset: ZoneOffset) -> Result<UnixNanos, TimestampError> {
        match self.unit_nanos() {
            Some(unit) => parse_epoch(text, unit),
            None => parse_iso8601(text, naive_offset),
        }
    }
}

impl fmt::Display for TimestampFormat {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A fixed UTC offset, used for ISO-8601 values written without a zone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ZoneOffset {
    seconds_east: i32,
}

impl ZoneOffset {
    pub const UTC: Self = Self { seconds_east: 0 };
    const MAX_SECONDS: i32 = 24 * 3600 - 1;

    /// An offset east of UTC (`+09:00` = 32 400 s); `None` beyond ±23:59:59.
    pub const fn from_seconds(seconds_east: i32) -> Option<Self> {
        if seconds_east.abs() <= Self::MAX_SECONDS {
            Some(Self { seconds_east })
        } else {
            None
        }
    }

    pub const fn seconds_east(self) -> i32 {
        self.seconds_east
    }

    /// Parses `Z`, `UTC`, `+09:00`, `+0900`, `+09`, `-05:30`.
    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        let bytes = trim_ascii(text.as_bytes());
        let mut cursor = Cursor { bytes, position: 0 };
        let offset = cursor.zone()?.ok_or(TimestampError::InvalidZone)?;
        if cursor.position != bytes.len() {
            return Err(TimestampError::InvalidZone);
        }
        Ok(Self {
            seconds_east: offset,
        })
    }
}

impl fmt::Display for ZoneOffset {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.seconds_east < 0 { '-' } else { '+' };
        let minutes = self.seconds_east.unsigned_abs() / 60;
        write!(
            formatter,
            "UTC{sign}{:02}:{:02}",
            minutes / 60,
            minutes % 60
        )
    }
}

/// Why one timestamp value could not be read. Small and `Copy`: the row hot path never
/// allocates; the importers turn [`TimestampError::reason`] into a quarantine reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TimestampError {
    #[error("blank timestamp")]
    Blank,
    #[error("invalid character in timestamp")]
    InvalidCharacter,
    #[error("invalid calendar date")]
    InvalidDate,
    #[error("invalid time of day")]
    InvalidTime,
    #[error("invalid zone offset")]
    InvalidZone,
    #[error("timestamp out of the representable range (years 1678..2261)")]
    Overflow,
    #[error("timestamp outside the plausible range for the detected unit (mixed units?)")]
    Implausible,
}

impl TimestampError {
    /// The quarantine reason of this error.
    pub fn reason(self) -> String {
        self.to_string()
    }
}

/// First instant treated as plausible by the epoch detector: 2009-01-01T00:00:00Z (the first
/// crypto trade). Brief: "plausible range 2009..2100".
pub const PLAUSIBLE_FROM: UnixNanos = UnixNanos(1_230_768_000 * NANOS_PER_SECOND);
/// End of the plausible range: 2100-01-01T00:00:00Z.
pub const PLAUSIBLE_TO: UnixNanos = UnixNanos(4_102_444_800 * NANOS_PER_SECOND);

const NANOS_PER_YEAR: i64 = 31_556_952 * NANOS_PER_SECOND;
/// A sample spanning more than this is suspicious (brief: "> 10 years").
const SUSPICIOUS_LONG_SPAN: i64 = 10 * NANOS_PER_YEAR;
/// ... and so is a sample of many rows spanning less than one second.
const SUSPICIOUS_SHORT_SPAN: i64 = NANOS_PER_SECOND;
/// "Many rows" for the short-span check.
const MANY_ROWS: usize = 100;

/// A parser configured once per file: format, zone for naive times, and (for auto-detected
/// epoch units) the plausible range outside which a row is rejected rather than misread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimestampParser {
    pub format: TimestampFormat,
    pub naive_offset: ZoneOffset,
    /// Inclusive-exclusive range a parsed value must fall in; `None` accepts any value.
    pub plausible: Option<(UnixNanos, UnixNanos)>,
}

impl TimestampParser {
    /// A parser for an explicitly configured format (no range check).
    pub const fn new(format: TimestampFormat, naive_offset: ZoneOffset) -> Self {
        Self {
            format,
            naive_offset,
            plausible: None,
        }
    }

    /// A parser for a detected format. Epoch units were chosen because the sample fell in
    /// 2009..2100, so rows outside that range are rejected: a file mixing ms and µs rows
    /// then quarantines the minority instead of placing it centuries away.
    pub fn from_detection(detection: &Detection, naive_offset: ZoneOffset) -> Self {
        let plausible = detection
            .format
            .unit_nanos()
            .map(|_| (PLAUSIBLE_FROM, PLAUSIBLE_TO));
        Self {
            format: detection.format,
            naive_offset,
            plausible,
        }
    }

    #[inline]
    pub fn parse(&self, text: &[u8]) -> Result<UnixNanos, TimestampError> {
        let stamp = match self.format.parse(text, self.naive_offset) {
            // A value too large for the detected unit is a unit mismatch, not a bad number.
            Err(TimestampError::Overflow) if self.plausible.is_some() => {
                return Err(TimestampError::Implausible);
            }
            other => other?,
        };
        match self.plausible {
            Some((from, to)) if stamp < from || stamp >= to => Err(TimestampError::Implausible),
            _ => Ok(stamp),
        }
    }
}

/// Parses an epoch value in units of `unit_nanos` (1 for ns ... 10^9 for s): an optional sign,
/// digits, and an optional decimal fraction. Fraction digits finer than a nanosecond are
/// dropped (truncated toward zero).
#[inline]
pub fn parse_epoch(text: &[u8], unit_nanos: i64) -> Result<UnixNanos, TimestampError> {
    let bytes = trim_ascii(text);
    let (negative, digits) = match bytes.first() {
        None => return Err(TimestampError::Blank),
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        Some(_) => (false, bytes),
    };
    let mut integer: i64 = 0;
    let mut any_digit = false;
    let mut index = 0;
    while index < digits.len() {
        let byte = digits[index];
        if !byte.is_ascii_digit() {
            break;
        }
        any_digit = true;
        integer = integer
            .checked_mul(10)
            .and_then(|value| value.checked_add(i64::from(byte - b'0')))
            .ok_or(TimestampError::Overflow)?;
        index += 1;
    }
    let mut fraction_nanos: i64 = 0;
    if index < digits.len() {
        if digits[index] != b'.' {
            return Err(TimestampError::InvalidCharacter);
        }
        index += 1;
        // Each fraction digit is worth unit/10, unit/100, ... nanoseconds.
        let mut place = unit_nanos;
        for &byte in &digits[index..] {
            if !byte.is_ascii_digit() {
                return Err(TimestampError::InvalidCharacter);
            }
            any_digit = true;
            place /= 10;
            fraction_nanos += i64::from(byte - b'0') * place;
        }
    }
    if !any_digit {
        return Err(TimestampError::InvalidCharacter);
    }
    let nanos = integer
        .checked_mul(unit_nanos)
        .and_then(|value| value.checked_add(fraction_nanos))
        .ok_or(TimestampError::Overflow)?;
    Ok(UnixNanos(if negative { -nanos } else { nanos }))
}

/// Parses an ISO-8601 date-time (see [`TimestampFormat::Iso8601`]). A value without a zone is
/// read in `naive_offset`.
#[inline]
pub fn parse_iso8601(text: &[u8], naive_offset: ZoneOffset) -> Result<UnixNanos, TimestampError> {
    parse_iso8601_with_zone(text, naive_offset).map(|(stamp, _)| stamp)
}

/// As [`parse_iso8601`], also saying whether the value carried its own zone.
fn parse_iso8601_with_zone(
    text: &[u8],
    naive_offset: ZoneOffset,
) -> Result<(UnixNanos, bool), TimestampError> {
    let bytes = trim_ascii(text);
    if bytes.is_empty() {
        return Err(TimestampError::Blank);
    }
    let mut cursor = Cursor { bytes, position: 0 };
    let year = cursor.digits(4).ok_or(TimestampError::InvalidCharacter)?;
    let separator = match cursor.peek() {
        Some(byte @ (b'-' | b'/')) => {
            cursor.position += 1;
            Some(byte)
        }
        _ => None,
    };
    let month = cursor.digits(2).ok_or(TimestampError::InvalidDate)?;
    if let Some(expected) = separator
        && !cursor.eat(expected)
    {
        return Err(TimestampError::InvalidDate);
    }
    let day = cursor.digits(2).ok_or(TimestampError::InvalidDate)?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return Err(TimestampError::InvalidDate);
    }
    // Year range in which nanoseconds since 1970 fit an i64.
    if !(1678..=2261).contains(&year) {
        return Err(TimestampError::Overflow);
    }

    let mut seconds_of_day: i64 = 0;
    let mut nanos: i64 = 0;
    if matches!(cursor.peek(), Some(b'T' | b't' | b' ')) {
        cursor.position += 1;
        let hour = cursor.digits(2).ok_or(TimestampError::InvalidTime)?;
        if !cursor.eat(b':') {
            return Err(TimestampError::InvalidTime);
        }
        let minute = cursor.digits(2).ok_or(TimestampError::InvalidTime)?;
        let mut second = 0;
        if cursor.eat(b':') {
            second = cursor.digits(2).ok_or(TimestampError::InvalidTime)?;
            if matches!(cursor.peek(), Some(b'.' | b',')) {
                cursor.position += 1;
                nanos = cursor.fraction_nanos().ok_or(TimestampError::InvalidTime)?;
            }
        }
        if hour > 23 || minute > 59 || second > 59 {
            return Err(TimestampError::InvalidTime);
        }
        seconds_of_day = i64::from(hour * 3600 + minute * 60 + second);
    }

    let own_zone = cursor.zone()?;
    if cursor.position != bytes.len() {
        return Err(TimestampError::InvalidCharacter);
    }
    let offset_seconds = own_zone.unwrap_or(naive_offset.seconds_east);
    let midnight = UnixNanos::from_civil(i64::from(year), month, day, 0).as_i64();
    let stamp = midnight
        .checked_add((seconds_of_day - i64::from(offset_seconds)) * NANOS_PER_SECOND)
        .and_then(|value| value.checked_add(nanos))
        .ok_or(TimestampError::Overflow)?;
    Ok((UnixNanos(stamp), own_zone.is_some()))
}

const fn is_leap_year(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

const fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Trims ASCII whitespace (and a UTF-8 byte-order mark) at both ends.
#[inline]
pub(crate) fn trim_ascii(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes.trim_ascii()
}

/// A read position in one value.
struct Cursor<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl Cursor<'_> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.position).copied()
    }

    #[inline]
    fn eat(&mut self, expected: u8) -> bool {
        if self.peek() == Some(expected) {
            self.position += 1;
            true
        } else {
            false
        }
    }

    /// Exactly `count` ASCII digits as a number.
    #[inline]
    fn digits(&mut self, count: usize) -> Option<u32> {
        let end = self.position.checked_add(count)?;
        let slice = self.bytes.get(self.position..end)?;
        let mut value: u32 = 0;
        for &byte in slice {
            if !byte.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u32::from(byte - b'0');
        }
        self.position = end;
        Some(value)
    }

    /// One or more fraction digits as nanoseconds (digits beyond the ninth are dropped).
    fn fraction_nanos(&mut self) -> Option<i64> {
        let mut nanos: i64 = 0;
        let mut count = 0;
        while let Some(byte) = self.peek().filter(u8::is_ascii_digit) {
            if count < 9 {
                nanos = nanos * 10 + i64::from(byte - b'0');
            }
            count += 1;
            self.position += 1;
        }
        if count == 0 {
            return None;
        }
        for _ in count..9 {
            nanos *= 10;
        }
        Some(nanos)
    }

    /// An optional zone designator: `Z`, `UTC`, `GMT`, `±HH[:MM]`, `±HHMM`, optionally after
    /// one space. Returns the offset east of UTC in seconds.
    fn zone(&mut self) -> Result<Option<i32>, TimestampError> {
        let start = self.position;
        self.eat(b' ');
        let rest = &self.bytes[self.position..];
        if rest.is_empty() {
            self.position = start;
            return Ok(None);
        }
        if rest[0] == b'Z' || rest[0] == b'z' {
            self.position += 1;
            return Ok(Some(0));
        }
        if rest.len() >= 3
            && (rest[..3].eq_ignore_ascii_case(b"UTC") || rest[..3].eq_ignore_ascii_case(b"GMT"))
        {
            self.position += 3;
            if self.position == self.bytes.len() {
                return Ok(Some(0));
            }
        }
        let sign = match self.peek() {
            Some(b'+') => 1,
            Some(b'-') => -1,
            _ => return Err(TimestampError::InvalidZone),
        };
        self.position += 1;
        let hours = self.digits(2).ok_or(TimestampError::InvalidZone)?;
        let minutes = if self.eat(b':') {
            self.digits(2).ok_or(TimestampError::InvalidZone)?
        } else {
            self.digits(2).unwrap_or(0)
        };
        if hours > 23 || minutes > 59 {
            return Err(TimestampError::InvalidZone);
        }
        Ok(Some(sign * (hours * 3600 + minutes * 60) as i32))
    }
}

/// The outcome of [`detect_format`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub format: TimestampFormat,
    /// True when the choice is not certain: read [`Detection::warning`] and consider setting
    /// the format explicitly.
    pub ambiguous: bool,
    /// A message for the import report (ambiguity, suspicious span, naive times read in a zone).
    pub warning: Option<String>,
    /// Sample values considered (blanks excluded).
    pub samples: usize,
    /// Earliest and latest sample instants under the chosen format.
    pub earliest: UnixNanos,
    pub latest: UnixNanos,
}

/// Why no format could be chosen: the caller must set one explicitly.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DetectionError {
    #[error("no non-blank timestamp values to detect a format from")]
    NoSamples,
    #[error(
        "timestamp column mixes numbers ({numeric} values) and text ({textual} values): set the format explicitly"
    )]
    Mixed { numeric: usize, textual: usize },
    #[error(
        "numbers like {example:?} are not epoch seconds, ms, µs or ns between 2009 and 2100: set the format explicitly"
    )]
    NoPlausibleUnit { example: String },
    #[error("value {example:?} is neither an epoch number nor ISO-8601: set the format explicitly")]
    Unparsable { example: String },
}

/// Chooses the format of a timestamp column from sample values (blank values are skipped).
///
/// Epoch numbers: each unit maps the integer part to an instant; the unit under which every
/// sample falls in 2009..2100 wins (10 digits s, 13 ms, 16 µs, 19 ns; these ranges cannot
/// overlap: one unit step is ×1000, the range only ×3.3). If only a majority fits, the unit is
/// still chosen but flagged ambiguous; if no unit fits a majority, detection fails rather than
/// guessing. ISO-8601 text is recognized by parsing. Finally the sample's span is
/// cross-checked: more than 10 years, or less than 1 s over 100+ rows, is flagged ambiguous.
pub fn detect_format<'a, I>(
    samples: I,
    naive_offset: ZoneOffset,
) -> Result<Detection, DetectionError>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let mut numeric: Vec<&[u8]> = Vec::new();
    let mut textual: Vec<&[u8]> = Vec::new();
    for sample in samples {
        let value = trim_ascii(sample);
        if value.is_empty() {
            continue;
        }
        if is_epoch_number(value) {
            numeric.push(value);
        } else {
            textual.push(value);
        }
    }
    let total = numeric.len() + textual.len();
    // A stray value of the other shape (a `NaN`, a repeated header) must not block the import:
    // a 90 % majority decides, the minority is flagged and later quarantined row by row.
    let decisive = |count: usize| count * 10 >= total * 9;
    let mut detection = if total == 0 {
        return Err(DetectionError::NoSamples);
    } else if decisive(numeric.len()) {
        detect_epoch(&numeric)?
    } else if decisive(textual.len()) {
        detect_iso(&textual, naive_offset)?
    } else {
        return Err(DetectionError::Mixed {
            numeric: numeric.len(),
            textual: textual.len(),
        });
    };
    let minority = numeric.len().min(textual.len());
    if minority > 0 {
        detection.flag(format!(
            "{minority} of {total} sampled timestamps do not look like the others ({}): \
             their rows will be quarantined",
            detection.format
        ));
    }
    Ok(detection)
}

fn is_epoch_number(value: &[u8]) -> bool {
    let digits = value.strip_prefix(b"-").unwrap_or(value);
    let mut points = 0;
    for &byte in digits {
        match byte {
            b'0'..=b'9' => {}
            b'.' => points += 1,
            _ => return false,
        }
    }
    points <= 1 && digits.first().is_some_and(u8::is_ascii_digit)
}

fn detect_epoch(values: &[&[u8]]) -> Result<Detection, DetectionError> {
    let example = || String::from_utf8_lossy(values[values.len() / 2]).into_owned();
    let mut best: Option<(TimestampFormat, usize)> = None;
    for unit in TimestampFormat::EPOCH_UNITS {
        let unit_nanos = unit.unit_nanos().unwrap_or(1);
        let plausible = values
            .iter()
            .filter(|value| {
                parse_epoch(value, unit_nanos)
                    .is_ok_and(|stamp| stamp >= PLAUSIBLE_FROM && stamp < PLAUSIBLE_TO)
            })
            .count();
        if plausible > best.map_or(0, |(_, count)| count) {
            best = Some((unit, plausible));
        }
    }
    let Some((format, plausible)) = best.filter(|&(_, count)| count * 2 > values.len()) else {
        return Err(DetectionError::NoPlausibleUnit { example: example() });
    };
    let unit_nanos = format.unit_nanos().unwrap_or(1);
    let stamps: Vec<UnixNanos> = values
        .iter()
        .filter_map(|value| parse_epoch(value, unit_nanos).ok())
        .filter(|stamp| *stamp >= PLAUSIBLE_FROM && *stamp < PLAUSIBLE_TO)
        .collect();
    let mut detection = finish(format, &stamps);
    if plausible < values.len() {
        detection.flag(format!(
            "only {plausible} of {} sampled timestamps are plausible as {format} (2009..2100); \
             the others will be quarantined",
            values.len()
        ));
    }
    Ok(detection)
}

fn detect_iso(values: &[&[u8]], naive_offset: ZoneOffset) -> Result<Detection, DetectionError> {
    let mut stamps = Vec::with_capacity(values.len());
    let mut zoned = 0;
    let mut failed: Option<&[u8]> = None;
    for value in values {
        match parse_iso8601_with_zone(value, naive_offset) {
            Ok((stamp, has_zone)) => {
                stamps.push(stamp);
                zoned += usize::from(has_zone);
            }
            Err(_) => failed = failed.or(Some(value)),
        }
    }
    let example = |value: &[u8]| String::from_utf8_lossy(value).into_owned();
    if stamps.len() * 2 <= values.len() {
        return Err(DetectionError::Unparsable {
            example: example(failed.unwrap_or(values[0])),
        });
    }
    let mut detection = finish(TimestampFormat::Iso8601, &stamps);
    if stamps.len() < values.len() {
        detection.flag(format!(
            "{} of {} sampled timestamps are not ISO-8601 (e.g. {:?})",
            values.len() - stamps.len(),
            values.len(),
            example(failed.unwrap_or_default())
        ));
    }
    let naive = stamps.len() - zoned;
    if naive > 0 && zoned > 0 {
        detection.flag(format!(
            "{naive} sampled timestamps have no zone while {zoned} have one; \
             the naive ones are read as {naive_offset}"
        ));
    } else if naive > 0 {
        // Not ambiguous (the zone is configured), but the report must say how it was read.
        detection.note(format!("timestamps carry no zone: read as {naive_offset}"));
    }
    Ok(detection)
}

/// Builds a detection from the parsed sample and applies the span cross-check.
fn finish(format: TimestampFormat, stamps: &[UnixNanos]) -> Detection {
    let earliest = stamps.iter().copied().min().unwrap_or_default();
    let latest = stamps.iter().copied().max().unwrap_or_default();
    let mut detection = Detection {
        format,
        ambiguous: false,
        warning: None,
        samples: stamps.len(),
        earliest,
        latest,
    };
    let span = latest.as_i64().saturating_sub(earliest.as_i64());
    if span > SUSPICIOUS_LONG_SPAN {
        detection.flag(format!(
            "sampled timestamps read as {format} span {:.1} years ({earliest} .. {latest}): \
             mixed units or the wrong column?",
            span as f64 / NANOS_PER_YEAR as f64
        ));
    } else if span < SUSPICIOUS_SHORT_SPAN && distinct_count(stamps) >= MANY_ROWS {
        // Many DISTINCT instants inside one second (a snapshot file repeating one instant is
        // normal).
        detection.flag(format!(
            "{} sampled timestamps read as {format} span only {span} ns: wrong unit?",
            stamps.len()
        ));
    }
    detection
}

fn distinct_count(stamps: &[UnixNanos]) -> usize {
    let mut sorted = stamps.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    sorted.len()
}

impl Detection {
    /// Marks the detection ambiguous and appends a warning.
    fn flag(&mut self, message: String) {
        self.ambiguous = true;
        self.note(message);
    }

    fn note(&mut self, message: String) {
        self.warning = Some(match self.warning.take() {
            Some(previous) => format!("{previous}; {message}"),
            None => message,
        });
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDateTime};
    use proptest::prelude::*;

    use super::*;

    const JST: ZoneOffset = ZoneOffset {
        seconds_east: 9 * 3600,
    };

    fn iso(text: &str) -> Result<UnixNanos, TimestampError> {
        parse_iso8601(text.as_bytes(), ZoneOffset::UTC)
    }

    #[test]
    fn epoch_units_and_decimal_seconds() {
        // 1582329601.096 s = 1_582_329_601 s + 0.096 s = 1_582_329_601_096_000_000 ns.
        assert_eq!(
            parse_epoch(b"1582329601.096", NANOS_PER_SECOND),
            Ok(UnixNanos(1_582_329_601_096_000_000))
        );
        assert_eq!(
            parse_epoch(b"1582329601096", 1_000_000),
            Ok(UnixNanos(1_582_329_601_096_000_000))
        );
        assert_eq!(
            parse_epoch(b"1582329601096000", 1_000),
            Ok(UnixNanos(1_582_329_601_096_000_000))
        );
        assert_eq!(
            parse_epoch(b"1582329601096000123", 1),
            Ok(UnixNanos(1_582_329_601_096_000_123))
        );
        // Bybit derivatives: 1585180700.0647 s -> .0647 s = 64_700_000 ns.
        assert_eq!(
            parse_epoch(b" 1585180700.0647 ", NANOS_PER_SECOND),
            Ok(UnixNanos(1_585_180_700_064_700_000))
        );
        // Sub-nanosecond digits are dropped: 1.0000000019 s -> 1_000_000_001 ns.
        assert_eq!(
            parse_epoch(b"1.0000000019", NANOS_PER_SECOND),
            Ok(UnixNanos(1_000_000_001))
        );
        // A millisecond value with a µs fraction: 1667346579146.5 ms = ...146_500_000 ns.
        assert_eq!(
            parse_epoch(b"1667346579146.5", 1_000_000),
            Ok(UnixNanos(1_667_346_579_146_500_000))
        );
        assert_eq!(
            parse_epoch(b"-1.5", NANOS_PER_SECOND),
            Ok(UnixNanos(-1_500_000_000))
        );
        assert_eq!(parse_epoch(b"", 1), Err(TimestampError::Blank));
        assert_eq!(
            parse_epoch(b"12a", 1),
            Err(TimestampError::InvalidCharacter)
        );
        assert_eq!(parse_epoch(b".", 1), Err(TimestampError::InvalidCharacter));
        assert_eq!(
            parse_epoch(b"99999999999999999999", 1),
            Err(TimestampError::Overflow)
        );
        assert_eq!(
            parse_epoch(b"9999999999999", NANOS_PER_SECOND),
            Err(TimestampError::Overflow)
        );
    }

    #[test]
    fn iso_with_zones_and_separators() {
        // bitFlyer: 2018-01-21T00:00:11.173+09:00 = 2018-01-20T15:00:11.173Z.
        // 2018-01-20 is day 17_551 since 1970: 17_551 × 86_400 = 1_516_406_400 s;
        // + 15 h 11 s = 54_011 s -> 1_516_460_411.173 s.
        let expected = UnixNanos(1_516_460_411_173_000_000);
        assert_eq!(iso("2018-01-21T00:00:11.173+09:00"), Ok(expected));
        assert_eq!(iso("2018-01-21T00:00:11.173+0900"), Ok(expected));
        assert_eq!(iso("2018-01-21T00:00:11.173+09"), Ok(expected));
        assert_eq!(iso("2018-01-20T15:00:11.173Z"), Ok(expected));
        assert_eq!(iso("2018-01-20 15:00:11.173000"), Ok(expected));
        assert_eq!(iso("2018/01/20 15:00:11.173"), Ok(expected));
        assert_eq!(iso("2018-01-20 15:00:11.173 UTC"), Ok(expected));
        assert_eq!(parse_iso8601(b"2018-01-21 00:00:11.173", JST), Ok(expected));
        // An explicit zone wins over the configured one.
        assert_eq!(
            parse_iso8601(b"2018-01-20T15:00:11.173Z", JST),
            Ok(expected)
        );
        // Nine fraction digits, and a tenth dropped.
        assert_eq!(
            iso("1970-01-01T00:00:00.123456789Z"),
            Ok(UnixNanos(123_456_789))
        );
        assert_eq!(
            iso("1970-01-01T00:00:00.1234567891Z"),
            Ok(UnixNanos(123_456_789))
        );
        // Minutes only, date only, compact LEAN style and negative offsets.
        assert_eq!(
            iso("1970-01-01T01:02"),
            Ok(UnixNanos(3_720 * NANOS_PER_SECOND))
        );
        assert_eq!(iso("1970-01-02"), Ok(UnixNanos(86_400 * NANOS_PER_SECOND)));
        assert_eq!(
            iso("19700102 00:00:01"),
            Ok(UnixNanos(86_401 * NANOS_PER_SECOND))
        );
        assert_eq!(
            iso("1970-01-01T00:00:00-05:30"),
            Ok(UnixNanos(19_800 * NANOS_PER_SECOND))
        );
    }

    #[test]
    fn iso_rejects_impossible_values() {
        assert_eq!(iso(""), Err(TimestampError::Blank));
        assert_eq!(
            iso("2018-02-29T00:00:00Z"),
            Err(TimestampError::InvalidDate)
        );
        assert_eq!(iso("2018-13-01"), Err(TimestampError::InvalidDate));
        assert_eq!(
            iso("2018-01-21T24:00:00Z"),
            Err(TimestampError::InvalidTime)
        );
        assert_eq!(
            iso("2018-01-21T00:00:00+25:00"),
            Err(TimestampError::InvalidZone)
        );
        assert_eq!(
            iso("2018-01-21T00:00:00Q"),
            Err(TimestampError::InvalidZone)
        );
        assert_eq!(
            iso("2018-01-21T00:00:00Zjunk"),
            Err(TimestampError::InvalidCharacter)
        );
        assert_eq!(iso("2018-01/21"), Err(TimestampError::InvalidDate));
        assert_eq!(iso("9999-01-01"), Err(TimestampError::Overflow));
        assert_eq!(
            iso("2016-02-29T00:00:00Z").map(|stamp| stamp.date()),
            Ok((2016, 2, 29))
        );
    }

    #[test]
    fn zone_offsets_parse_and_print() {
        assert_eq!(ZoneOffset::parse("+09:00"), Ok(JST));
        assert_eq!(ZoneOffset::parse("UTC"), Ok(ZoneOffset::UTC));
        assert_eq!(
            ZoneOffset::parse("-0530").map(ZoneOffset::seconds_east),
            Ok(-19_800)
        );
        assert!(ZoneOffset::parse("nine").is_err());
        assert_eq!(JST.to_string(), "UTC+09:00");
        assert_eq!(ZoneOffset::from_seconds(86_400), None);
    }

    fn detect(values: &[&str]) -> Result<Detection, DetectionError> {
        detect_format(values.iter().map(|value| value.as_bytes()), ZoneOffset::UTC)
    }

    #[test]
    fn detects_each_epoch_unit_by_magnitude() {
        let cases = [
            (["1582329602", "1582329603"], TimestampFormat::EpochSeconds),
            (
                ["1582329602111", "1582329602116"],
                TimestampFormat::EpochMillis,
            ),
            (
                ["1582329602111000", "1582329602116000"],
                TimestampFormat::EpochMicros,
            ),
            (
                ["1582329602111000000", "1582329602116000000"],
                TimestampFormat::EpochNanos,
            ),
            (
                ["1582329601.096", "1582329603.4"],
                TimestampFormat::EpochSeconds,
            ),
        ];
        for (values, expected) in cases {
            let detection = detect(&values).unwrap();
            assert_eq!(detection.format, expected, "{values:?}");
            assert!(!detection.ambiguous, "{values:?}: {:?}", detection.warning);
        }
    }

    #[test]
    fn detects_iso_and_reports_naive_zones() {
        let zoned = detect(&[
            "2018-01-21T00:00:11.173+09:00",
            "",
            "2018-01-21T00:00:10.097+09:00",
        ])
        .unwrap();
        assert_eq!(zoned.format, TimestampFormat::Iso8601);
        assert_eq!(zoned.samples, 2);
        assert!(!zoned.ambiguous && zoned.warning.is_none());
        let naive = detect(&["2021-12-31 23:01:00.000000", "2021-12-31 23:02:00.000000"]).unwrap();
        assert!(!naive.ambiguous);
        assert_eq!(
            naive.warning.as_deref(),
            Some("timestamps carry no zone: read as UTC+00:00")
        );
        let mixed = detect(&["2021-12-31 23:01:00", "2021-12-31T23:02:00Z"]).unwrap();
        assert!(mixed.ambiguous);
    }

    #[test]
    fn refuses_to_guess_without_a_plausible_unit() {
        // LEAN minute files: milliseconds since midnight fit no epoch unit in 2009..2100.
        assert!(matches!(
            detect(&["0", "60000", "120000"]),
            Err(DetectionError::NoPlausibleUnit { .. })
        ));
        assert!(matches!(
            detect(&["1", "2", "3"]),
            Err(DetectionError::NoPlausibleUnit { .. })
        ));
        assert!(matches!(
            detect(&["1582329602", "2018-01-21"]),
            Err(DetectionError::Mixed { .. })
        ));
        // Ten numbers and one `NaN`: epoch seconds, flagged.
        let mut values = vec!["1582329602"; 10];
        values.push("NaN");
        let detection = detect(&values).unwrap();
        assert_eq!(detection.format, TimestampFormat::EpochSeconds);
        assert!(detection.ambiguous && detection.warning.unwrap().contains("1 of 11"));
        assert!(matches!(
            detect(&["buy", "sell"]),
            Err(DetectionError::Unparsable { .. })
        ));
        assert_eq!(detect(&["", "  "]), Err(DetectionError::NoSamples));
    }

    #[test]
    fn flags_mixed_units_and_suspicious_spans() {
        // Two ms values and one µs value: ms wins the majority, flagged, µs row rejected later.
        let mixed = detect(&["1735689600000", "1735689600001", "1735689600000002"]).unwrap();
        assert_eq!(mixed.format, TimestampFormat::EpochMillis);
        assert!(mixed.ambiguous);
        let parser = TimestampParser::from_detection(&mixed, ZoneOffset::UTC);
        assert_eq!(
            parser.parse(b"1735689600000002"),
            Err(TimestampError::Implausible)
        );
        assert_eq!(
            parser.parse(b"1735689600001"),
            Ok(UnixNanos(1_735_689_600_001_000_000))
        );
        // 2010 and 2090 in seconds: each plausible, but an 80-year span is suspicious.
        let long = detect(&["1262304000", "3786912000"]).unwrap();
        assert!(long.ambiguous);
        assert!(long.warning.unwrap().contains("years"));
        // 200 distinct milliseconds inside one second: suspicious.
        let burst: Vec<String> = (0..200)
            .map(|index| format!("{}", 1_582_329_602_000_i64 + index))
            .collect();
        let burst: Vec<&str> = burst.iter().map(String::as_str).collect();
        let detection = detect(&burst).unwrap();
        assert!(detection.ambiguous);
        assert!(detection.warning.unwrap().contains("span only"));
        // 200 rows of one instant (a book snapshot file): normal.
        let snapshot: Vec<&str> = (0..200).map(|_| "1667346579146").collect();
        assert!(!detect(&snapshot).unwrap().ambiguous);
    }

    #[test]
    fn explicit_parsers_do_not_range_check() {
        let parser = TimestampParser::new(TimestampFormat::EpochMillis, ZoneOffset::UTC);
        assert_eq!(parser.parse(b"60000"), Ok(UnixNanos(60_000_000_000)));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..48)) {
            let _ = parse_iso8601(&bytes, JST);
            for unit in TimestampFormat::EPOCH_UNITS {
                let _ = unit.parse(&bytes, ZoneOffset::UTC);
            }
            let _ = detect_format([bytes.as_slice()], ZoneOffset::UTC);
        }

        #[test]
        fn iso_matches_chrono(seconds in 0_i64..7_258_118_400, nanos in 0_u32..1_000_000_000, offset_minutes in -839_i32..839) {
            // Format a random instant with a random offset and compare with chrono's reading.
            let instant = DateTime::from_timestamp(seconds, nanos).unwrap();
            let zone = chrono::FixedOffset::east_opt(offset_minutes * 60).unwrap();
            let text = instant.with_timezone(&zone).format("%Y-%m-%dT%H:%M:%S%.9f%:z").to_string();
            let expected = seconds * NANOS_PER_SECOND + i64::from(nanos);
            prop_assert_eq!(iso(&text), Ok(UnixNanos(expected)));
            let naive: NaiveDateTime = instant.naive_utc();
            let naive_text = naive.format("%Y-%m-%d %H:%M:%S%.f").to_string();
            prop_assert_eq!(iso(&naive_text), Ok(UnixNanos(expected)));
        }
    }
}
