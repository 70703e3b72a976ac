//! The volume profile of a run's instrument over a time range (SPEC 2.2), from the stored
//! trades of the data directory: fixed-width bins, POC and value area computed by the
//! features crate's one profile implementation with the run's value-area settings. A
//! bar-only run has no stored trades and therefore no profile (a 404 that says so).

use std::path::PathBuf;

use auction_trader_backtest::BacktestConfig;
use auction_trader_backtest::run_config::instrument_key;
use auction_trader_data::replay::ReplayMerge;
use auction_trader_data::store_replay::ReplaySelection;
use auction_trader_features::{ProfileOptions, compute_profile_with};
use auction_trader_storage::ParquetStore;
use auction_trader_types::{AggressorSide, MarketEvent, Price, Quantity, StreamKind, UnixNanos};
use serde::Serialize;

use crate::error::ApiError;
use crate::library::Library;
use crate::runs::{RunCache, Time};

/// Default number of bins when the request gives no bin width.
pub const DEFAULT_BINS: u32 = 60;
/// Most bins a request may ask for.
pub const MAX_BINS: u32 = 1_000;
/// Most trades one profile reads (a bound on the work of one request).
pub const MAX_TRADES: usize = 20_000_000;

/// What a profile request asks for.
#[derive(Debug, Clone, Default)]
pub struct ProfileRequest {
    /// Inclusive range in UTC nanoseconds (default: the run's first bar to one minute after
    /// its last).
    pub from: Option<UnixNanos>,
    pub to: Option<UnixNanos>,
    /// Bin width (decimal price); without it the range of traded prices is cut into `bins`.
    pub bin_width: Option<Price>,
    pub bins: Option<u32>,
}

/// One bin of the histogram.
#[derive(Debug, Serialize)]
pub struct BinJson {
    /// Lower edge of the bin.
    pub low: String,
    /// Volume traded in [low, low + width), exact decimal.
    pub volume: String,
}

/// A computed profile.
#[derive(Debug, Serialize)]
pub struct ProfileJson {
    pub from: Time,
    pub to: Time,
    pub trades: usize,
    pub bin_width: String,
    pub total_volume: String,
    pub poc: String,
    pub val: String,
    pub vah: String,
    /// From the lowest to the highest traded bin.
    pub bins: Vec<BinJson>,
}

/// The answer of a profile request: the profile, or why the run has none (a bar-only run, no
/// data directory) — not an error: the page shows the reason.
#[derive(Debug, Serialize)]
pub struct ProfileAnswer {
    pub profile: Option<ProfileJson>,
    pub unavailable: Option<String>,
}

/// The profile of run `name` over the request's range.
pub fn run_profile(
    library: &Library,
    cache: &RunCache,
    name: &str,
    request: &ProfileRequest,
) -> Result<ProfileAnswer, ApiError> {
    match compute(library, cache, name, request)? {
        Ok(profile) => Ok(ProfileAnswer {
            profile: Some(profile),
            unavailable: None,
        }),
        Err(reason) => Ok(ProfileAnswer {
            profile: None,
            unavailable: Some(reason),
        }),
    }
}

/// The profile, or (inner error) why there is none.
fn compute(
    library: &Library,
    cache: &RunCache,
    name: &str,
    request: &ProfileRequest,
) -> Result<Result<ProfileJson, String>, ApiError> {
    if let Some(bins) = request.bins
        && !(1..=MAX_BINS).contains(&bins)
    {
        return Err(ApiError::BadRequest(format!(
            "bins must lie in 1..={MAX_BINS}"
        )));
    }
    if request.bin_width.is_some_and(|width| !width.is_positive()) {
        return Err(ApiError::BadRequest("bin must be positive".to_owned()));
    }
    let records = cache.load(library, name)?;
    let dir = library.run_dir(name)?;
    let Ok(config_text) = std::fs::read_to_string(dir.join("config.yaml")) else {
        return Ok(Err("the run has no config.yaml".to_owned()));
    };
    let config = BacktestConfig::parse(&config_text).map_err(ApiError::internal)?;
    let first = records.bars.first().map(|bar| bar.ts);
    // The last bar's minute is inside the range.
    let last = records
        .bars
        .last()
        .map(|bar| bar.ts.saturating_add_nanos(60_000_000_000));
    let (Some(from), Some(to)) = (request.from.or(first), request.to.or(last)) else {
        return Ok(Err("the run has no bars".to_owned()));
    };
    if to < from {
        return Err(ApiError::BadRequest("from must not be after to".to_owned()));
    }
    let Some(data_dir) = data_dir(library, &config) else {
        return Ok(Err(
            "no data directory with the run's trades (start serve with --data-dir)".to_owned(),
        ));
    };
    let trades: Vec<(Price, Quantity)> = stored_trades(&data_dir, &config, from, to)?
        .into_iter()
        .map(|(_, price, size, _)| (price, size))
        .collect();
    if trades.is_empty() {
        return Ok(Err(
            "no stored trades in the run's range (a bar-only run has no profile)".to_owned(),
        ));
    }
    let bin_width = match request.bin_width {
        Some(width) => width,
        None => auto_bin_width(&trades, request.bins.unwrap_or(DEFAULT_BINS)),
    };
    let mut options = ProfileOptions::new(bin_width, config.features.value_area_expansion);
    options.value_area_fraction = config.features.value_area_fraction;
    let profile = compute_profile_with(trades.iter().copied(), &options)
        .map_err(|error| ApiError::BadRequest(format!("profile: {error}")))?;
    Ok(Ok(ProfileJson {
        from: from.into(),
        to: to.into(),
        trades: trades.len(),
        bin_width: profile.bin_width.to_string(),
        total_volume: Quantity::from_raw(profile.total_volume).to_string(),
        poc: profile.poc.to_string(),
        val: profile.val.to_string(),
        vah: profile.vah.to_string(),
        bins: profile
            .bins
            .iter()
            .enumerate()
            .map(|(offset, volume)| BinJson {
                low: profile
                    .bin_low(profile.first_bin + offset as i64)
                    .to_string(),
                volume: Quantity::from_raw(*volume).to_string(),
            })
            .collect(),
    }))
}

/// `--data-dir` when given, else the run config's `data.dir`; it must hold a store (its
/// catalog): the server never creates one.
pub(crate) fn data_dir(library: &Library, config: &BacktestConfig) -> Option<PathBuf> {
    let dir = library
        .data_dir
        .clone()
        .unwrap_or_else(|| config.data.dir.clone());
    dir.join("catalog.db").is_file().then_some(dir)
}

/// A stored trade: receive time (the engine builds its bars by it), price, size, aggressor.
pub(crate) type StoredTrade = (UnixNanos, Price, Quantity, AggressorSide);

/// Every stored trade of the config's instrument in [from, to], in time order.
pub(crate) fn stored_trades(
    data_dir: &std::path::Path,
    config: &BacktestConfig,
    from: UnixNanos,
    to: UnixNanos,
) -> Result<Vec<StoredTrade>, ApiError> {
    let store = ParquetStore::open(data_dir).map_err(ApiError::internal)?;
    let key = instrument_key(config).map_err(ApiError::internal)?;
    let selection = ReplaySelection::instrument(key)
        .with_kinds(vec![StreamKind::Trade])
        .with_range(Some(from), Some(to));
    let replay = ReplayMerge::from_store(&store, &selection).map_err(ApiError::internal)?;
    let mut trades = Vec::new();
    for item in replay.merge {
        if let MarketEvent::Trade(trade) = item.map_err(ApiError::internal)?.event {
            trades.push((trade.ts_recv, trade.price, trade.size, trade.aggressor));
            if trades.len() > MAX_TRADES {
                return Err(ApiError::BadRequest(format!(
                    "more than {MAX_TRADES} trades in the range: choose a shorter one"
                )));
            }
        }
    }
    Ok(trades)
}

/// A bin width that cuts the traded range into about `bins` bins: the raw span over `bins`,
/// rounded up to 1, 2 or 5 times a power of ten (raw units of 10^-9).
pub fn auto_bin_width(trades: &[(Price, Quantity)], bins: u32) -> Price {
    auto_width_of_prices(trades.iter().map(|(price, _)| *price), bins)
}

/// [`auto_bin_width`] over any prices.
pub fn auto_width_of_prices(prices: impl Iterator<Item = Price>, bins: u32) -> Price {
    let (low, high) = prices.fold((i64::MAX, i64::MIN), |(low, high), price| {
        (low.min(price.raw()), high.max(price.raw()))
    });
    let span = i128::from(high) - i128::from(low);
    let target = (span / i128::from(bins.max(1))).max(1);
    let mut power: i128 = 1;
    loop {
        for step in [1, 2, 5] {
            let width = step * power;
            if width >= target {
                return Price::from_raw(i64::try_from(width).unwrap_or(i64::MAX));
            }
        }
        power = power.saturating_mul(10);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(text: &str) -> Price {
        Price::from_decimal_str(text).unwrap_or_default()
    }

    #[test]
    fn auto_width_rounds_up_to_one_two_or_five() {
        let trades =
            |low: &str, high: &str| vec![(price(low), Quantity::ONE), (price(high), Quantity::ONE)];
        // 1 000 000 JPY span / 60 bins = 16 666.6 -> 20 000.
        assert_eq!(
            auto_bin_width(&trades("1200000", "2200000"), 60),
            price("20000")
        );
        // 30 / 60 = 0.5 exactly -> 0.5.
        assert_eq!(auto_bin_width(&trades("100", "130"), 60), price("0.5"));
        // One price: the smallest width, 1e-9.
        assert_eq!(
            auto_bin_width(&trades("100", "100"), 60),
            Price::from_raw(1)
        );
    }
}
