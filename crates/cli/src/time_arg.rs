//! Time arguments: `2024-08-08`, `2024-08-08T23:55:00Z` (naive = UTC) or epoch nanoseconds.

use anyhow::Context;
use auction_trader_data::import::timestamp::{ZoneOffset, parse_iso8601};
use auction_trader_types::UnixNanos;

pub fn parse_time(text: &str) -> anyhow::Result<UnixNanos> {
    if !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()) && text.len() >= 17 {
        return Ok(UnixNanos(text.parse().context("epoch nanoseconds")?));
    }
    let expanded = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        text.to_owned()
    };
    parse_iso8601(expanded.as_bytes(), ZoneOffset::UTC)
        .map_err(|error| anyhow::anyhow!("{text:?} is not a time ({})", error.reason()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dates_times_and_epochs() {
        assert_eq!(
            parse_time("1970-01-02").unwrap(),
            UnixNanos(86_400_000_000_000)
        );
        assert_eq!(
            parse_time("2024-08-08T23:54:15.030314667Z").unwrap(),
            UnixNanos(1_723_161_255_030_314_667)
        );
        assert_eq!(
            parse_time("1723161255030314667").unwrap(),
            UnixNanos(1_723_161_255_030_314_667)
        );
        assert!(parse_time("yesterday").is_err());
    }
}
