//! Where things live in the data directory (SPEC 1.4):
//!
//! ```text
//! <data_dir>/catalog.db
//! <data_dir>/raw/venue=binance-usdm/symbol=BTCUSDT/market=perp/kind=trades/date=2024-08-08/part-<source-hash>.parquet
//! <data_dir>/features/<table>/venue=…/symbol=…/market=…/date=…/part-0.parquet
//! <data_dir>/staging/import-<id>/…   (never read by queries; removed on commit or abort)
//! ```
//!
//! Directories are hive-style `name=value` so DuckDB, Polars and pandas derive the partition
//! columns themselves. Characters outside `[A-Za-z0-9._-]` in a value are percent-encoded
//! (Hive's own escaping), so a symbol such as `BTC/USDT` cannot create a directory level.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use auction_trader_types::{InstrumentKey, StreamKind, UnixNanos, fnv1a_64};

pub(crate) const RAW_DIR: &str = "raw";
pub(crate) const FEATURES_DIR: &str = "features";
pub(crate) const STAGING_DIR: &str = "staging";
pub(crate) const CATALOG_FILE: &str = "catalog.db";

/// One stored partition: instrument, kind and UTC date of `ts_recv`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct PartitionKey {
    pub instrument: InstrumentKey,
    pub kind: StreamKind,
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
}

impl PartitionKey {
    /// `YYYY-MM-DD` of the partition's day.
    pub(crate) fn date(&self) -> String {
        date_of_day(self.day)
    }

    /// Directory of the partition relative to the data directory.
    pub(crate) fn relative_dir(&self) -> PathBuf {
        instrument_dir(Path::new(RAW_DIR), &self.instrument)
            .join(format!("kind={}", self.kind.as_str()))
            .join(format!("date={}", self.date()))
    }
}

/// `YYYY-MM-DD` of a day number.
pub(crate) fn date_of_day(day: i64) -> String {
    UnixNanos::from_seconds(day.saturating_mul(86_400)).date_string()
}

/// `<base>/venue=…/symbol=…/market=…`.
pub(crate) fn instrument_dir(base: &Path, instrument: &InstrumentKey) -> PathBuf {
    base.join(format!("venue={}", escape(&instrument.venue)))
        .join(format!("symbol={}", escape(&instrument.symbol)))
        .join(format!("market={}", instrument.market.as_str()))
}

/// Percent-encodes every byte outside `[A-Za-z0-9._-]`.
pub(crate) fn escape(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-') {
            escaped.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(escaped, "%{byte:02X}");
        }
    }
    escaped
}

/// 16 hex digits identifying a source (FNV-1a 64 of its catalog key): the part-file name of
/// every partition the source wrote, so re-importing the source replaces the same files.
pub(crate) fn source_hash(source: &str) -> String {
    format!("{:016x}", fnv1a_64(source.as_bytes()))
}

/// `part-<source-hash>.parquet`.
pub(crate) fn part_file_name(source: &str) -> String {
    format!("part-{}.parquet", source_hash(source))
}

#[cfg(test)]
mod tests {
    use auction_trader_types::MarketKind;

    use super::*;

    #[test]
    fn partition_directories_are_hive_style() {
        let key = PartitionKey {
            instrument: InstrumentKey::new("binance-usdm", "BTCUSDT", MarketKind::Perpetual),
            kind: StreamKind::Trade,
            // 2024-08-08 is day 19_943 since the epoch.
            day: 19_943,
        };
        assert_eq!(
            key.relative_dir(),
            PathBuf::from(
                "raw/venue=binance-usdm/symbol=BTCUSDT/market=perp/kind=trades/date=2024-08-08"
            )
        );
        assert_eq!(date_of_day(-1), "1969-12-31");
    }

    #[test]
    fn unsafe_characters_are_percent_encoded() {
        assert_eq!(escape("BTC/USDT"), "BTC%2FUSDT");
        assert_eq!(escape("a=b c"), "a%3Db%20c");
        assert_eq!(escape("XBT-PERP_1.0"), "XBT-PERP_1.0");
    }

    #[test]
    fn part_names_hash_the_source_name() {
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c (types crate reference value).
        assert_eq!(part_file_name("a"), "part-af63dc4c8601ec8c.parquet");
    }
}
