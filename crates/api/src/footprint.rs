//! The footprint of a run's last bars (SPEC 8): for each one-minute bar, the volume traded at
//! each price bin split by the aggressor — sells hit the bid, buys lift the ask — from the
//! stored trades of the data directory. Exact decimal strings; trades whose aggressor the venue
//! does not give are counted apart, never guessed.

use auction_trader_backtest::BacktestConfig;
use auction_trader_types::{AggressorSide, Price, Quantity, UnixNanos};
use serde::Serialize;

use crate::error::ApiError;
use crate::library::Library;
use crate::profile::{auto_width_of_prices, data_dir, stored_trades};
use crate::runs::{RunCache, Time};

/// Bars drawn by default (the run's last ones).
pub const DEFAULT_BARS: usize = 30;
/// Most bars one request may cover.
pub const MAX_BARS: usize = 240;
/// Price bins over the whole range when no bin width is given.
pub const DEFAULT_BINS: u32 = 24;

const NANOS_PER_MINUTE: i64 = 60_000_000_000;

/// Volume at one price bin of one bar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FootprintCell {
    pub buy: Quantity,
    pub sell: Quantity,
    pub unknown: Quantity,
}

/// One bar's cells, lowest bin first (only bins with volume).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FootprintBar {
    /// Start of the minute.
    pub ts: UnixNanos,
    /// `(bin index, cell)`; the bin's low edge is `index × width`.
    pub cells: Vec<(i64, FootprintCell)>,
}

/// The footprint of `trades` (time, price, size, aggressor; in time order) in one-minute bars
/// and price bins of `width` (> 0). Bars without trades are left out.
pub fn footprint(
    trades: &[(UnixNanos, Price, Quantity, AggressorSide)],
    width: Price,
) -> Vec<FootprintBar> {
    let mut bars: Vec<FootprintBar> = Vec::new();
    let width = width.raw().max(1);
    for &(ts, price, size, aggressor) in trades {
        let minute = ts.floor_to(NANOS_PER_MINUTE);
        if bars.last().is_none_or(|bar| bar.ts != minute) {
            bars.push(FootprintBar {
                ts: minute,
                cells: Vec::new(),
            });
        }
        let Some(bar) = bars.last_mut() else {
            continue;
        };
        let bin = price.raw().div_euclid(width);
        let index = match bar.cells.binary_search_by_key(&bin, |(index, _)| *index) {
            Ok(index) => index,
            Err(index) => {
                bar.cells.insert(index, (bin, FootprintCell::default()));
                index
            }
        };
        let cell = &mut bar.cells[index].1;
        let side = match aggressor {
            AggressorSide::Buy => &mut cell.buy,
            AggressorSide::Sell => &mut cell.sell,
            AggressorSide::Unknown => &mut cell.unknown,
        };
        *side = side.saturating_add(size);
    }
    bars
}

/// One cell as the API answers it.
#[derive(Debug, Serialize)]
pub struct CellJson {
    pub low: String,
    pub buy: String,
    pub sell: String,
    pub unknown: String,
}

/// One bar as the API answers it.
#[derive(Debug, Serialize)]
pub struct BarJson {
    pub time: i64,
    pub cells: Vec<CellJson>,
}

/// The API form of a footprint.
pub fn footprint_json(bars: &[FootprintBar], width: Price) -> Vec<BarJson> {
    bars.iter()
        .map(|bar| BarJson {
            time: crate::runs::seconds(bar.ts),
            cells: bar
                .cells
                .iter()
                .map(|(index, cell)| CellJson {
                    low: Price::from_raw(index.saturating_mul(width.raw())).to_string(),
                    buy: cell.buy.to_string(),
                    sell: cell.sell.to_string(),
                    unknown: cell.unknown.to_string(),
                })
                .collect(),
        })
        .collect()
}

/// What a footprint request asks for.
#[derive(Debug, Clone, Default)]
pub struct FootprintRequest {
    /// Inclusive range (default: the run's last [`DEFAULT_BARS`] bars).
    pub from: Option<UnixNanos>,
    pub to: Option<UnixNanos>,
    /// Bin width; without it the traded range is cut into about [`DEFAULT_BINS`] bins.
    pub bin_width: Option<Price>,
}

/// A footprint answer, or why the run has none (as the profile's).
#[derive(Debug, Serialize)]
pub struct FootprintAnswer {
    pub from: Option<Time>,
    pub to: Option<Time>,
    pub bin_width: Option<String>,
    pub bars: Vec<BarJson>,
    pub unavailable: Option<String>,
}

impl FootprintAnswer {
    fn unavailable(reason: &str) -> Self {
        Self {
            from: None,
            to: None,
            bin_width: None,
            bars: Vec::new(),
            unavailable: Some(reason.to_owned()),
        }
    }
}

/// The footprint of run `name` over the request's range.
pub fn run_footprint(
    library: &Library,
    cache: &RunCache,
    name: &str,
    request: &FootprintRequest,
) -> Result<FootprintAnswer, ApiError> {
    if request.bin_width.is_some_and(|width| !width.is_positive()) {
        return Err(ApiError::BadRequest("bin must be positive".to_owned()));
    }
    let records = cache.load(library, name)?;
    let dir = library.run_dir(name)?;
    let Ok(config_text) = std::fs::read_to_string(dir.join("config.yaml")) else {
        return Ok(FootprintAnswer::unavailable("the run has no config.yaml"));
    };
    let config = BacktestConfig::parse(&config_text).map_err(ApiError::internal)?;
    let Some(last) = records.bars.last().map(|bar| bar.ts) else {
        return Ok(FootprintAnswer::unavailable("the run has no bars"));
    };
    let bars = i64::try_from(DEFAULT_BARS).unwrap_or(30);
    let from = request
        .from
        .unwrap_or(last.saturating_sub_nanos((bars - 1) * NANOS_PER_MINUTE));
    let to = request
        .to
        .unwrap_or(last.saturating_add_nanos(NANOS_PER_MINUTE - 1));
    if to < from {
        return Err(ApiError::BadRequest("from must not be after to".to_owned()));
    }
    let max_bars = i64::try_from(MAX_BARS).unwrap_or(240);
    if (to.0 - from.0) / NANOS_PER_MINUTE >= max_bars {
        return Err(ApiError::BadRequest(format!(
            "a footprint covers at most {MAX_BARS} minutes: choose a shorter range"
        )));
    }
    let Some(data_dir) = data_dir(library, &config) else {
        return Ok(FootprintAnswer::unavailable(
            "no data directory with the run's trades (start serve with --data-dir)",
        ));
    };
    let trades = stored_trades(&data_dir, &config, from, to)?;
    if trades.is_empty() {
        return Ok(FootprintAnswer::unavailable(
            "no stored trades in the range (a bar-only run has no footprint)",
        ));
    }
    let width = request.bin_width.unwrap_or_else(|| {
        auto_width_of_prices(trades.iter().map(|(_, price, _, _)| *price), DEFAULT_BINS)
    });
    Ok(FootprintAnswer {
        from: Some(from.into()),
        to: Some(to.into()),
        bin_width: Some(width.to_string()),
        bars: footprint_json(&footprint(&trades, width), width),
        unavailable: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(text: &str) -> Price {
        Price::from_decimal_str(text).unwrap_or_default()
    }

    fn size(text: &str) -> Quantity {
        Quantity::from_decimal_str(text).unwrap_or_default()
    }

    #[test]
    fn trades_split_by_minute_bin_and_aggressor() {
        let minute = NANOS_PER_MINUTE;
        let trades = [
            // Minute 0: 100.2 and 100.9 share bin [100, 101); 101.0 is the next bin.
            (
                UnixNanos(5),
                price("100.2"),
                size("1.5"),
                AggressorSide::Buy,
            ),
            (
                UnixNanos(6),
                price("100.9"),
                size("0.5"),
                AggressorSide::Sell,
            ),
            (UnixNanos(7), price("101"), size("2"), AggressorSide::Buy),
            (
                UnixNanos(8),
                price("100.5"),
                size("0.25"),
                AggressorSide::Buy,
            ),
            // Minute 2 (minute 1 has no trades): an unknown aggressor stays apart.
            (
                UnixNanos(2 * minute + 1),
                price("99.99"),
                size("3"),
                AggressorSide::Unknown,
            ),
        ];
        let bars = footprint(&trades, price("1"));
        assert_eq!(bars.len(), 2);
        assert_eq!(bars[0].ts, UnixNanos(0));
        let json = footprint_json(&bars, price("1"));
        let cells: Vec<(&str, &str, &str, &str)> = json[0]
            .cells
            .iter()
            .map(|cell| {
                (
                    cell.low.as_str(),
                    cell.buy.as_str(),
                    cell.sell.as_str(),
                    cell.unknown.as_str(),
                )
            })
            .collect();
        assert_eq!(cells, [("100", "1.75", "0.5", "0"), ("101", "2", "0", "0")]);
        assert_eq!(json[1].time, 120);
        assert_eq!(json[1].cells[0].low, "99");
        assert_eq!(json[1].cells[0].unknown, "3");
    }
}
