//! `--from`/`--to`: one meaning on every command, the config's `data.start`/`data.end`:
//! inclusive start, exclusive end, parsed by the one time parser
//! ([`auction_trader_backtest::time_text`]: dates, ISO times, epoch ms or ns; UTC).

use auction_trader_backtest::time_text::parse_utc_time;
use auction_trader_types::UnixNanos;
use clap::Args;

/// Parses one time argument; `flag` names it in the error.
pub fn parse_time(flag: &str, text: &str) -> anyhow::Result<UnixNanos> {
    parse_utc_time(text).map_err(|message| anyhow::anyhow!("{flag}: {message}"))
}

/// The time range of a command (`--from` inclusive, `--to` exclusive, like `data.start/end`).
#[derive(Debug, Clone, Default, Args)]
pub struct TimeRangeArgs {
    /// Start, inclusive: YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[Z|+HH:MM] (UTC unless an offset is
    /// given), epoch ms (13 digits) or epoch ns (19 digits).
    #[arg(long)]
    pub from: Option<String>,
    /// End, exclusive (same forms as --from): `--from 2024-08-08 --to 2024-08-09` is one day.
    #[arg(long)]
    pub to: Option<String>,
}

impl TimeRangeArgs {
    /// The first and the last nanosecond of the range (both inclusive, as the store's range
    /// reads want them); `None` for an open end.
    pub fn bounds(&self) -> anyhow::Result<(Option<UnixNanos>, Option<UnixNanos>)> {
        let from = self
            .from
            .as_deref()
            .map(|text| parse_time("--from", text))
            .transpose()?;
        let end = self
            .to
            .as_deref()
            .map(|text| parse_time("--to", text))
            .transpose()?;
        if let (Some(from), Some(end)) = (from, end) {
            anyhow::ensure!(end > from, "--to ({end}) must be after --from ({from})");
        }
        Ok((from, end.map(|end| end.saturating_add_nanos(-1))))
    }

    /// As [`Self::bounds`] with open ends at the extremes of time.
    pub fn closed_bounds(&self) -> anyhow::Result<(UnixNanos, UnixNanos)> {
        let (from, last) = self.bounds()?;
        Ok((
            from.unwrap_or(UnixNanos(i64::MIN)),
            last.unwrap_or(UnixNanos::MAX),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(from: Option<&str>, to: Option<&str>) -> TimeRangeArgs {
        TimeRangeArgs {
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
        }
    }

    #[test]
    fn to_is_exclusive_like_data_end() {
        // 1970-01-02 = 86,400 s; the last included nanosecond of [01-01, 01-02) is one before.
        let (from, last) = range(Some("1970-01-01"), Some("1970-01-02"))
            .bounds()
            .unwrap();
        assert_eq!(from, Some(UnixNanos(0)));
        assert_eq!(last, Some(UnixNanos(86_400_000_000_000 - 1)));
        // Epoch ms: 86,400,000 ms is too short (8 digits): refused, not guessed.
        assert!(range(Some("86400000"), None).bounds().is_err());
        assert_eq!(
            range(None, None).closed_bounds().unwrap(),
            (UnixNanos(i64::MIN), UnixNanos::MAX)
        );
        let backwards = range(Some("1970-01-02"), Some("1970-01-01")).bounds();
        assert!(backwards.unwrap_err().to_string().contains("must be after"));
        let bad = range(Some("yesterday"), None).bounds().unwrap_err();
        assert!(bad.to_string().starts_with("--from:"), "{bad}");
    }
}
