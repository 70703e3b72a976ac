//! UTC time as integer nanoseconds since the Unix epoch (SPEC 1.1).

use std::fmt;

use serde::{Deserialize, Serialize};

pub const NANOS_PER_MICRO: i64 = 1_000;
pub const NANOS_PER_MILLI: i64 = 1_000_000;
pub const NANOS_PER_SECOND: i64 = 1_000_000_000;
pub const NANOS_PER_MINUTE: i64 = 60 * NANOS_PER_SECOND;
const NANOS_PER_DAY: i64 = 86_400 * NANOS_PER_SECOND;

/// A UTC timestamp in nanoseconds since 1970-01-01T00:00:00Z. Signed so that differences
/// between timestamps are plain subtractions.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnixNanos(pub i64);

impl UnixNanos {
    pub const ZERO: Self = Self(0);
    pub const MAX: Self = Self(i64::MAX);

    #[inline]
    pub const fn new(nanos: i64) -> Self {
        Self(nanos)
    }

    #[inline]
    pub const fn as_i64(self) -> i64 {
        self.0
    }

    pub const fn from_seconds(seconds: i64) -> Self {
        Self(seconds.saturating_mul(NANOS_PER_SECOND))
    }

    pub const fn from_millis(millis: i64) -> Self {
        Self(millis.saturating_mul(NANOS_PER_MILLI))
    }

    pub const fn from_micros(micros: i64) -> Self {
        Self(micros.saturating_mul(NANOS_PER_MICRO))
    }

    /// Start of the UTC minute containing `self` (SPEC 2.1: bars on UTC minute boundaries).
    #[inline]
    pub const fn floor_minute(self) -> Self {
        Self(self.0 - self.0.rem_euclid(NANOS_PER_MINUTE))
    }

    /// Start of the UTC day containing `self`.
    #[inline]
    pub const fn floor_day(self) -> Self {
        Self(self.0 - self.0.rem_euclid(NANOS_PER_DAY))
    }

    /// Floors to a multiple of `interval_nanos` (must be positive).
    #[inline]
    pub const fn floor_to(self, interval_nanos: i64) -> Self {
        Self(self.0 - self.0.rem_euclid(interval_nanos))
    }

    /// Days since 1970-01-01 of the UTC date containing `self`.
    pub const fn days_since_epoch(self) -> i64 {
        self.0.div_euclid(NANOS_PER_DAY)
    }

    /// The UTC calendar date `(year, month, day)`.
    pub fn date(self) -> (i64, u32, u32) {
        civil_from_days(self.days_since_epoch())
    }

    /// `YYYY-MM-DD` of the UTC date (used for storage partitions).
    pub fn date_string(self) -> String {
        let (year, month, day) = self.date();
        format!("{year:04}-{month:02}-{day:02}")
    }

    pub const fn saturating_add_nanos(self, nanos: i64) -> Self {
        Self(self.0.saturating_add(nanos))
    }

    pub const fn saturating_sub_nanos(self, nanos: i64) -> Self {
        Self(self.0.saturating_sub(nanos))
    }

    /// Builds a timestamp from a UTC calendar date and time of day.
    pub fn from_civil(year: i64, month: u32, day: u32, seconds_of_day: i64) -> Self {
        Self(days_from_civil(year, month, day) * NANOS_PER_DAY + seconds_of_day * NANOS_PER_SECOND)
    }
}

/// Days since the epoch of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Inverse of [`days_from_civil`] (H. Hinnant's `civil_from_days`).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl fmt::Display for UnixNanos {
    /// RFC 3339 with nanoseconds, e.g. `2024-08-08T23:54:15.030314667Z`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = self.date();
        let nanos_of_day = self.0.rem_euclid(NANOS_PER_DAY);
        let seconds_of_day = nanos_of_day / NANOS_PER_SECOND;
        let nanos = nanos_of_day % NANOS_PER_SECOND;
        write!(
            formatter,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{nanos:09}Z",
            seconds_of_day / 3600,
            (seconds_of_day / 60) % 60,
            seconds_of_day % 60
        )
    }
}

impl fmt::Debug for UnixNanos {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "UnixNanos({self})")
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn formats_a_binance_capture_timestamp() {
        let stamp = UnixNanos(1_723_161_255_030_314_667);
        assert_eq!(stamp.to_string(), "2024-08-08T23:54:15.030314667Z");
        assert_eq!(stamp.date_string(), "2024-08-08");
    }

    #[test]
    fn floors_to_minute_and_day() {
        let stamp = UnixNanos(1_723_161_255_030_314_667);
        assert_eq!(
            stamp.floor_minute().to_string(),
            "2024-08-08T23:54:00.000000000Z"
        );
        assert_eq!(
            stamp.floor_day().to_string(),
            "2024-08-08T00:00:00.000000000Z"
        );
        assert_eq!(UnixNanos(-1).floor_minute(), UnixNanos(-NANOS_PER_MINUTE));
    }

    #[test]
    fn civil_dates_round_trip_known_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(19_943), (2024, 8, 8));
        assert_eq!(
            UnixNanos::from_civil(2018, 1, 21, 0).to_string(),
            "2018-01-21T00:00:00.000000000Z"
        );
    }

    proptest! {
        #[test]
        fn civil_conversion_round_trips(days in -1_000_000_i64..1_000_000) {
            let (year, month, day) = civil_from_days(days);
            prop_assert_eq!(days_from_civil(year, month, day), days);
        }
    }
}
