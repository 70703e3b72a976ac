//! The one parser of user-given times: config `data.start`/`data.end` and every command-line
//! `--from`/`--to` (SPEC 9). A range is always inclusive start, exclusive end.
//!
//! Accepted: RFC 3339 with any offset (`2024-08-08T23:54:15.03Z`, `...+09:00`), a naive
//! `YYYY-MM-DDTHH:MM:SS[.f]` or `YYYY-MM-DD HH:MM:SS[.f]` (UTC), a date `YYYY-MM-DD` (UTC
//! midnight), epoch milliseconds (11 to 14 digits) or epoch nanoseconds (17 to 19 digits).
//! Ten-digit epoch seconds and sixteen-digit microseconds are refused rather than guessed.

use auction_trader_types::UnixNanos;

const NANOS_PER_MILLI: i64 = 1_000_000;

/// Parses a time in one of the accepted forms (see the module doc).
pub fn parse_utc_time(text: &str) -> Result<UnixNanos, String> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()) {
        return parse_epoch(text);
    }
    let nanos = if let Ok(time) = chrono::DateTime::parse_from_rfc3339(text) {
        time.timestamp_nanos_opt()
    } else if let Ok(time) = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
    {
        time.and_utc().timestamp_nanos_opt()
    } else if let Ok(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        date.and_hms_opt(0, 0, 0)
            .and_then(|time| time.and_utc().timestamp_nanos_opt())
    } else {
        return Err(format!(
            "{text:?} is not a time (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[Z|+HH:MM], epoch ms or \
             epoch ns; UTC unless an offset is given)"
        ));
    };
    nanos
        .map(UnixNanos)
        .ok_or_else(|| format!("{text:?} is out of range"))
}

fn parse_epoch(digits: &str) -> Result<UnixNanos, String> {
    let value: i64 = digits
        .parse()
        .map_err(|_| format!("{digits:?} is out of range"))?;
    match digits.len() {
        11..=14 => value
            .checked_mul(NANOS_PER_MILLI)
            .map(UnixNanos)
            .ok_or_else(|| format!("{digits:?} is out of range")),
        17..=19 => Ok(UnixNanos(value)),
        length => Err(format!(
            "{digits:?} ({length} digits) is ambiguous: epoch times are milliseconds (13 \
             digits, e.g. 1723161255030) or nanoseconds (19 digits)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_times_offsets_and_epochs_by_hand() {
        // 1970-01-02 = 86,400 s.
        assert_eq!(
            parse_utc_time("1970-01-02"),
            Ok(UnixNanos(86_400_000_000_000))
        );
        // 2024-08-08T23:54:15.030314667Z = 1,723,161,255.030314667 s.
        let stamp = UnixNanos(1_723_161_255_030_314_667);
        assert_eq!(parse_utc_time("2024-08-08T23:54:15.030314667Z"), Ok(stamp));
        assert_eq!(parse_utc_time("2024-08-08T23:54:15.030314667"), Ok(stamp));
        assert_eq!(parse_utc_time("2024-08-08 23:54:15.030314667"), Ok(stamp));
        assert_eq!(
            parse_utc_time("2024-08-09T08:54:15.030314667+09:00"),
            Ok(stamp)
        );
        assert_eq!(parse_utc_time("1723161255030314667"), Ok(stamp));
        // Epoch ms: 1,723,161,255,030 ms = the same time truncated to the millisecond.
        assert_eq!(
            parse_utc_time("1723161255030"),
            Ok(UnixNanos(1_723_161_255_030_000_000))
        );
        for refused in [
            "1723161255",
            "1723161255030314",
            "yesterday",
            "",
            "2024-13-01",
        ] {
            assert!(parse_utc_time(refused).is_err(), "{refused}");
        }
    }
}
