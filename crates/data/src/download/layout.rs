//! URL layouts of the venues' public daily archives (SPEC 1.2).
//!
//! Binance (`https://data.binance.vision`):
//! `data/{futures/um|futures/cm|spot}/daily/{kind}/{SYMBOL}/{SYMBOL}-{kind}-{YYYY-MM-DD}.zip`,
//! klines `data/.../daily/klines/{SYMBOL}/{interval}/{SYMBOL}-{interval}-{YYYY-MM-DD}.zip`, each
//! with a `.CHECKSUM` beside it (`<sha256>  <file name>`).
//! Bybit (`https://public.bybit.com`): derivatives trades
//! `trading/{SYMBOL}/{SYMBOL}{YYYY-MM-DD}.csv.gz`, spot trades
//! `spot/{SYMBOL}/{SYMBOL}_{YYYY-MM-DD}.csv.gz`; no checksums.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;

use crate::DataError;
use crate::instruments::{
    BINANCE_COINM, BINANCE_SPOT, BINANCE_USDM, BYBIT_INVERSE, BYBIT_LINEAR, BYBIT_SPOT,
};

pub const BINANCE_ARCHIVE_URL: &str = "https://data.binance.vision";
pub const BYBIT_ARCHIVE_URL: &str = "https://public.bybit.com";

/// Longest date range one request may cover (about 30 years of days): a typo guard.
const MAX_DAYS: i64 = 11_000;

/// Binance market folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BinanceMarket {
    /// USD-M futures: `futures/um`.
    UsdMargined,
    /// COIN-M futures: `futures/cm`.
    CoinMargined,
    Spot,
}

impl BinanceMarket {
    const fn folder(self) -> &'static str {
        match self {
            Self::UsdMargined => "futures/um",
            Self::CoinMargined => "futures/cm",
            Self::Spot => "spot",
        }
    }
}

/// Daily Binance file kinds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum BinanceKind {
    Trades,
    AggTrades,
    BookTicker,
    BookDepth,
    Metrics,
    /// Candles of one interval (`1m`, `5m`, `1h`, ...).
    Klines {
        interval: String,
    },
}

impl BinanceKind {
    fn folder(&self) -> &str {
        match self {
            Self::Trades => "trades",
            Self::AggTrades => "aggTrades",
            Self::BookTicker => "bookTicker",
            Self::BookDepth => "bookDepth",
            Self::Metrics => "metrics",
            Self::Klines { .. } => "klines",
        }
    }
}

/// Bybit dump folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BybitMarket {
    /// Linear and inverse contracts' trades: `trading/`.
    Derivatives,
    /// Spot trades: `spot/`.
    Spot,
}

/// One downloadable daily dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Dataset {
    Binance {
        market: BinanceMarket,
        kind: BinanceKind,
    },
    BybitTrades {
        market: BybitMarket,
    },
}

impl Dataset {
    /// Parses the CLI's venue name (`crate::instruments`) and kind: Binance `trades`,
    /// `aggTrades`, `bookTicker`, `bookDepth`, `metrics`, `klines` (1m) or `klines-<interval>`;
    /// Bybit `trades`.
    pub fn parse(venue: &str, kind: &str) -> Result<Self, DataError> {
        let binance = |market| -> Result<Self, DataError> {
            let kind = match kind.to_ascii_lowercase().as_str() {
                "trades" => BinanceKind::Trades,
                "aggtrades" => BinanceKind::AggTrades,
                "bookticker" => BinanceKind::BookTicker,
                "bookdepth" => BinanceKind::BookDepth,
                "metrics" => BinanceKind::Metrics,
                "klines" => BinanceKind::Klines {
                    interval: "1m".to_owned(),
                },
                other => match other.strip_prefix("klines-") {
                    Some(interval) if is_interval(interval) => BinanceKind::Klines {
                        // Binance spells the month interval `1M`.
                        interval: kind["klines-".len()..].to_owned(),
                    },
                    _ => {
                        return Err(DataError::InvalidOption(format!(
                            "unknown Binance daily archive kind '{kind}' (expected trades, \
                             aggTrades, bookTicker, bookDepth, metrics, klines or klines-<interval>)"
                        )));
                    }
                },
            };
            Ok(Self::Binance { market, kind })
        };
        let bybit = |market| -> Result<Self, DataError> {
            if kind.eq_ignore_ascii_case("trades") {
                Ok(Self::BybitTrades { market })
            } else {
                Err(DataError::InvalidOption(format!(
                    "Bybit public dumps hold only trades, not '{kind}'"
                )))
            }
        };
        match venue {
            BINANCE_USDM => binance(BinanceMarket::UsdMargined),
            BINANCE_COINM => binance(BinanceMarket::CoinMargined),
            BINANCE_SPOT => binance(BinanceMarket::Spot),
            BYBIT_LINEAR | BYBIT_INVERSE => bybit(BybitMarket::Derivatives),
            BYBIT_SPOT => bybit(BybitMarket::Spot),
            other => Err(DataError::InvalidOption(format!(
                "no public archive known for venue '{other}' (expected {BINANCE_USDM}, \
                 {BINANCE_COINM}, {BINANCE_SPOT}, {BYBIT_LINEAR}, {BYBIT_INVERSE} or {BYBIT_SPOT})"
            ))),
        }
    }

    /// The venue's public archive host.
    pub const fn default_base_url(&self) -> &'static str {
        match self {
            Self::Binance { .. } => BINANCE_ARCHIVE_URL,
            Self::BybitTrades { .. } => BYBIT_ARCHIVE_URL,
        }
    }

    /// Binance publishes a `.CHECKSUM` beside every file; Bybit does not.
    pub const fn has_checksums(&self) -> bool {
        matches!(self, Self::Binance { .. })
    }

    /// Path of one day's file relative to the archive root (also its place under the target
    /// directory, which mirrors the archive layout).
    pub fn relative_path(&self, symbol: &str, date: NaiveDate) -> String {
        let day = date.format("%Y-%m-%d");
        match self {
            Self::Binance { market, kind } => {
                let folder = market.folder();
                match kind {
                    BinanceKind::Klines { interval } => format!(
                        "data/{folder}/daily/klines/{symbol}/{interval}/{symbol}-{interval}-{day}.zip"
                    ),
                    other => {
                        let kind = other.folder();
                        format!("data/{folder}/daily/{kind}/{symbol}/{symbol}-{kind}-{day}.zip")
                    }
                }
            }
            Self::BybitTrades {
                market: BybitMarket::Derivatives,
            } => format!("trading/{symbol}/{symbol}{day}.csv.gz"),
            Self::BybitTrades {
                market: BybitMarket::Spot,
            } => format!("spot/{symbol}/{symbol}_{day}.csv.gz"),
        }
    }
}

fn is_interval(text: &str) -> bool {
    if !text.is_ascii() {
        return false;
    }
    let (digits, unit) = text.split_at(text.len().saturating_sub(1));
    !digits.is_empty()
        && digits.bytes().all(|byte| byte.is_ascii_digit())
        && matches!(unit, "s" | "m" | "h" | "d" | "w" | "M")
}

/// What to download: one dataset, one symbol, an inclusive range of UTC days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadRequest {
    pub dataset: Dataset,
    /// Venue symbol, e.g. `BTCUSDT`, `BTCUSD_PERP` (upper-cased).
    pub symbol: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    /// Files land under `target_dir/<relative path>`.
    pub target_dir: PathBuf,
}

/// One day's planned transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedDay {
    #[serde(serialize_with = "super::report::serialize_date")]
    pub date: NaiveDate,
    pub url: String,
    /// `url.CHECKSUM` for Binance; `None` where the venue publishes none.
    pub checksum_url: Option<String>,
    pub local_path: PathBuf,
}

/// Lists the days of a request with their URLs and local paths, without any network access.
pub fn plan(
    request: &DownloadRequest,
    base_url: Option<&str>,
) -> Result<Vec<PlannedDay>, DataError> {
    let symbol = request.symbol.to_ascii_uppercase();
    let symbol_ok = !symbol.is_empty()
        && symbol
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-');
    if !symbol_ok {
        return Err(DataError::InvalidOption(format!(
            "symbol '{}' must be letters, digits, '_' or '-'",
            request.symbol
        )));
    }
    let days = (request.last_day - request.first_day).num_days() + 1;
    if days < 1 {
        return Err(DataError::InvalidOption(format!(
            "first day {} is after last day {}",
            request.first_day, request.last_day
        )));
    }
    if days > MAX_DAYS {
        return Err(DataError::InvalidOption(format!(
            "{days} days requested; at most {MAX_DAYS} per download"
        )));
    }
    let base = normalized_base(base_url.unwrap_or(request.dataset.default_base_url()))?;
    let mut planned = Vec::with_capacity(days as usize);
    let mut date = request.first_day;
    loop {
        let relative = request.dataset.relative_path(&symbol, date);
        let url = format!("{base}/{relative}");
        planned.push(PlannedDay {
            date,
            checksum_url: request
                .dataset
                .has_checksums()
                .then(|| format!("{url}.CHECKSUM")),
            url,
            local_path: local_path(&request.target_dir, &relative),
        });
        if date >= request.last_day {
            break;
        }
        match date.succ_opt() {
            Some(next) => date = next,
            None => break,
        }
    }
    Ok(planned)
}

/// `http(s)://host[:port][/prefix]` without a trailing slash.
fn normalized_base(base: &str) -> Result<String, DataError> {
    let trimmed = base.trim().trim_end_matches('/');
    let valid = (trimmed.starts_with("http://") || trimmed.starts_with("https://"))
        && trimmed
            .split("://")
            .nth(1)
            .is_some_and(|rest| !rest.is_empty());
    if !valid {
        return Err(DataError::InvalidOption(format!(
            "archive base URL '{base}' must start with http:// or https://"
        )));
    }
    Ok(trimmed.to_owned())
}

fn local_path(target_dir: &Path, relative: &str) -> PathBuf {
    relative
        .split('/')
        .fold(target_dir.to_path_buf(), |path, part| path.join(part))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn dataset_names_never_panic(venue in ".{0,20}", kind in ".{0,20}") {
            let _ = Dataset::parse(&venue, &kind);
            let _ = Dataset::parse("binance-usdm", &kind);
            let _ = Dataset::parse("binance-spot", &format!("klines-{kind}"));
        }
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn binance_paths_follow_the_public_data_layout() {
        let trades = Dataset::parse("binance-usdm", "trades").unwrap();
        assert_eq!(
            trades.relative_path("BTCUSDT", day("2024-08-08")),
            "data/futures/um/daily/trades/BTCUSDT/BTCUSDT-trades-2024-08-08.zip"
        );
        let klines = Dataset::parse("binance-spot", "klines").unwrap();
        assert_eq!(
            klines.relative_path("BTCUSDT", day("2024-01-01")),
            "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-01.zip"
        );
        let agg = Dataset::parse("binance-coinm", "aggTrades").unwrap();
        assert_eq!(
            agg.relative_path("BTCUSD_PERP", day("2024-08-09")),
            "data/futures/cm/daily/aggTrades/BTCUSD_PERP/BTCUSD_PERP-aggTrades-2024-08-09.zip"
        );
        assert!(matches!(
            Dataset::parse("binance-usdm", "klines-1h").unwrap(),
            Dataset::Binance {
                kind: BinanceKind::Klines { .. },
                ..
            }
        ));
        assert!(Dataset::parse("binance-usdm", "fundingRate").is_err());
    }

    #[test]
    fn bybit_paths_follow_the_public_dump_layout() {
        let linear = Dataset::parse("bybit-linear", "trades").unwrap();
        assert_eq!(
            linear.relative_path("BTCUSDT", day("2024-08-08")),
            "trading/BTCUSDT/BTCUSDT2024-08-08.csv.gz"
        );
        let spot = Dataset::parse("bybit-spot", "trades").unwrap();
        assert_eq!(
            spot.relative_path("1INCHUSDT", day("2025-05-19")),
            "spot/1INCHUSDT/1INCHUSDT_2025-05-19.csv.gz"
        );
        assert!(!spot.has_checksums());
        assert!(Dataset::parse("bybit-linear", "quotes").is_err());
        assert!(Dataset::parse("kraken", "trades").is_err());
    }

    #[test]
    fn a_plan_lists_every_day_inclusive() {
        // 2024-02-28 ..= 2024-03-01 in a leap year: 28, 29, 1 = 3 days.
        let request = DownloadRequest {
            dataset: Dataset::parse("binance-usdm", "trades").unwrap(),
            symbol: "btcusdt".to_owned(),
            first_day: day("2024-02-28"),
            last_day: day("2024-03-01"),
            target_dir: PathBuf::from("/tmp/archive"),
        };
        let planned = plan(&request, Some("http://127.0.0.1:8080/")).unwrap();
        assert_eq!(planned.len(), 3);
        assert_eq!(planned[1].date, day("2024-02-29"));
        assert_eq!(
            planned[2].url,
            "http://127.0.0.1:8080/data/futures/um/daily/trades/BTCUSDT/BTCUSDT-trades-2024-03-01.zip"
        );
        assert_eq!(
            planned[2].checksum_url.as_deref(),
            Some(
                "http://127.0.0.1:8080/data/futures/um/daily/trades/BTCUSDT/BTCUSDT-trades-2024-03-01.zip.CHECKSUM"
            )
        );
        assert!(
            planned[0]
                .local_path
                .ends_with("BTCUSDT/BTCUSDT-trades-2024-02-28.zip")
        );
        assert!(
            planned[0]
                .local_path
                .starts_with("/tmp/archive/data/futures/um")
        );
    }

    #[test]
    fn bad_requests_are_refused() {
        let mut request = DownloadRequest {
            dataset: Dataset::parse("bybit-linear", "trades").unwrap(),
            symbol: "../etc".to_owned(),
            first_day: day("2024-01-02"),
            last_day: day("2024-01-01"),
            target_dir: PathBuf::from("/tmp/archive"),
        };
        assert!(plan(&request, None).is_err());
        request.symbol = "BTCUSDT".to_owned();
        assert!(plan(&request, None).is_err(), "reversed range");
        request.last_day = day("2024-01-02");
        assert!(plan(&request, Some("ftp://host")).is_err());
        assert_eq!(
            plan(&request, None).unwrap()[0].url,
            format!("{BYBIT_ARCHIVE_URL}/trading/BTCUSDT/BTCUSDT2024-01-02.csv.gz")
        );
    }
}
