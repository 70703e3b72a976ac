//! Research loaders (SPEC 1.5): turn a time-ordered stream of ONE instrument's `MarketEvent`s
//! (e.g. the store's replay filtered to one instrument) into plain tables (`Vec`s of rows,
//! fixed-point values):
//!
//! - [`load_trades`], [`load_quotes`]: the events as they are.
//! - [`load_bars`]: bars of any interval (1 minute by default) from trades, or from bar events
//!   when the stream has no trades (the feature engine's [`BarBuilder`]).
//! - [`load_book_snapshots`]: the top-N levels per side of the reconstructed book at every
//!   interval boundary (see [`BookSampler`]).
//! - [`load_aligned`]: one row per interval with the bar, best bid/ask, mid, spread, top-N
//!   depth sums and imbalance (see [`AlignedBuilder`]).
//! - [`load_all`]: everything above in one pass.
//!
//! The builders are streaming (`on_event`) so a caller can also consume rows without holding
//! the whole stream. Nothing here looks ahead: a row at time t uses events received before t.

mod aligned;
mod book;
#[cfg(test)]
mod real_data_tests;

use auction_trader_book::SequenceRule;
use auction_trader_types::{Bar, MarketEvent, NANOS_PER_MILLI, Price, Quote, Trade};
use serde::{Deserialize, Serialize};

pub use aligned::{AlignedBuilder, AlignedRow, TopSource};
pub use book::{BookRow, BookSampler, BookSamplerCounters};

use crate::ResearchError;
use auction_trader_features::interval_bars::{BarBuilder, BarCounters, MAX_INTERVAL_NANOS};

/// Most levels per side a loader keeps.
pub const MAX_DEPTH_LEVELS: usize = 1_000;

/// Loader parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoaderConfig {
    /// Interval of bars and of the aligned dataset's rows (default 60 000 ms: one minute).
    pub bar_interval_ms: u64,
    /// Interval of the book snapshots (default 1 000 ms).
    pub book_interval_ms: u64,
    /// Levels per side in book rows and depth sums (default 10).
    pub depth_levels: usize,
    /// Depth sequencing rule (default `None`: apply rows as they come after a snapshot); use
    /// [`LoaderConfig::for_venue`] for the venue's rule.
    pub sequence_rule: SequenceRule,
    /// Tick size of the book (raw 10^-9); None infers it from the prices.
    pub tick_size: Option<Price>,
}

impl Default for LoaderConfig {
    fn default() -> Self {
        Self {
            bar_interval_ms: 60_000,
            book_interval_ms: 1_000,
            depth_levels: 10,
            sequence_rule: SequenceRule::None,
            tick_size: None,
        }
    }
}

impl LoaderConfig {
    /// Defaults with the depth sequencing rule of `venue` (e.g. `binance-usdm`).
    pub fn for_venue(venue: &str) -> Self {
        Self {
            sequence_rule: SequenceRule::for_venue(venue),
            ..Self::default()
        }
    }

    pub fn validate(&self) -> Result<(), ResearchError> {
        let max_ms = (MAX_INTERVAL_NANOS / NANOS_PER_MILLI) as u64;
        for (field, value) in [
            ("bar_interval_ms", self.bar_interval_ms),
            ("book_interval_ms", self.book_interval_ms),
        ] {
            if !(1..=max_ms).contains(&value) {
                return Err(ResearchError::InvalidConfig {
                    field,
                    reason: format!("must be 1..={max_ms} ms, got {value}"),
                });
            }
        }
        if !(1..=MAX_DEPTH_LEVELS).contains(&self.depth_levels) {
            return Err(ResearchError::InvalidConfig {
                field: "depth_levels",
                reason: format!("must be 1..={MAX_DEPTH_LEVELS}, got {}", self.depth_levels),
            });
        }
        if self.tick_size.is_some_and(|tick| !tick.is_positive()) {
            return Err(ResearchError::InvalidConfig {
                field: "tick_size",
                reason: "must be positive".to_owned(),
            });
        }
        Ok(())
    }

    pub(crate) fn bar_interval_nanos(&self) -> i64 {
        // validate() bounds the value to one day.
        i64::try_from(self.bar_interval_ms).unwrap_or(i64::MAX / NANOS_PER_MILLI) * NANOS_PER_MILLI
    }

    pub(crate) fn book_interval_nanos(&self) -> i64 {
        i64::try_from(self.book_interval_ms).unwrap_or(i64::MAX / NANOS_PER_MILLI) * NANOS_PER_MILLI
    }
}

/// Every table of one pass.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LoadedData {
    pub trades: Vec<Trade>,
    pub quotes: Vec<Quote>,
    pub bars: Vec<Bar>,
    pub book: Vec<BookRow>,
    pub aligned: Vec<AlignedRow>,
    pub bar_counters: BarCounters,
    pub book_counters: BookSamplerCounters,
}

/// The trades of the stream, in order.
pub fn load_trades(events: impl IntoIterator<Item = MarketEvent>) -> Vec<Trade> {
    events
        .into_iter()
        .filter_map(|event| match event {
            MarketEvent::Trade(trade) => Some(trade),
            _ => None,
        })
        .collect()
}

/// The quotes of the stream, in order.
pub fn load_quotes(events: impl IntoIterator<Item = MarketEvent>) -> Vec<Quote> {
    events
        .into_iter()
        .filter_map(|event| match event {
            MarketEvent::Quote(quote) => Some(quote),
            _ => None,
        })
        .collect()
}

/// Bars of `config.bar_interval_ms` (intervals before the first price have none).
pub fn load_bars(
    events: impl IntoIterator<Item = MarketEvent>,
    config: &LoaderConfig,
) -> Result<Vec<Bar>, ResearchError> {
    config.validate()?;
    let mut builder = BarBuilder::new(config.bar_interval_nanos())?;
    let mut bars = Vec::new();
    for event in events {
        builder.on_event(&event, &mut |interval| bars.extend(interval.bar));
    }
    Ok(bars)
}

/// Book rows every `config.book_interval_ms` with `config.depth_levels` levels per side.
pub fn load_book_snapshots(
    events: impl IntoIterator<Item = MarketEvent>,
    config: &LoaderConfig,
) -> Result<Vec<BookRow>, ResearchError> {
    let mut sampler = BookSampler::new(config)?;
    let mut rows = Vec::new();
    for event in events {
        sampler.on_event(&event, &mut |row| rows.push(row));
    }
    Ok(rows)
}

/// The aligned dataset, one row every `config.bar_interval_ms`.
pub fn load_aligned(
    events: impl IntoIterator<Item = MarketEvent>,
    config: &LoaderConfig,
) -> Result<Vec<AlignedRow>, ResearchError> {
    let mut builder = AlignedBuilder::new(config)?;
    let mut rows = Vec::new();
    for event in events {
        builder.on_event(&event, &mut |row| rows.push(row));
    }
    Ok(rows)
}

/// Trades, quotes, bars, book rows and the aligned dataset in one pass.
pub fn load_all(
    events: impl IntoIterator<Item = MarketEvent>,
    config: &LoaderConfig,
) -> Result<LoadedData, ResearchError> {
    config.validate()?;
    let mut bars = BarBuilder::new(config.bar_interval_nanos())?;
    let mut sampler = BookSampler::new(config)?;
    let mut aligned = AlignedBuilder::new(config)?;
    let mut data = LoadedData::default();
    for event in events {
        bars.on_event(&event, &mut |interval| data.bars.extend(interval.bar));
        sampler.on_event(&event, &mut |row| data.book.push(row));
        aligned.on_event(&event, &mut |row| data.aligned.push(row));
        match event {
            MarketEvent::Trade(trade) => data.trades.push(trade),
            MarketEvent::Quote(quote) => data.quotes.push(quote),
            _ => {}
        }
    }
    data.bar_counters = bars.counters();
    data.book_counters = sampler.counters();
    Ok(data)
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{AggressorSide, BookSide, NANOS_PER_SECOND};

    use super::*;
    use auction_trader_testkit::offsets::{depth, quote, trade};

    #[test]
    fn one_pass_equals_the_separate_loaders() {
        let mut events = depth(
            0,
            &[(BookSide::Bid, "100", "1"), (BookSide::Ask, "101", "1")],
            true,
        );
        events.push(quote(NANOS_PER_SECOND, "100", "1", "101", "1"));
        events.push(trade(2 * NANOS_PER_SECOND, "100", "1", AggressorSide::Sell));
        events.push(trade(61 * NANOS_PER_SECOND, "101", "1", AggressorSide::Buy));
        events.push(trade(
            121 * NANOS_PER_SECOND,
            "101",
            "1",
            AggressorSide::Buy,
        ));
        let config = LoaderConfig::default();
        let all = load_all(events.clone(), &config).unwrap();
        assert_eq!(all.trades, load_trades(events.clone()));
        assert_eq!(all.quotes, load_quotes(events.clone()));
        assert_eq!(all.bars, load_bars(events.clone(), &config).unwrap());
        assert_eq!(
            all.book,
            load_book_snapshots(events.clone(), &config).unwrap()
        );
        assert_eq!(all.aligned, load_aligned(events, &config).unwrap());
        assert_eq!(
            (
                all.trades.len(),
                all.quotes.len(),
                all.bars.len(),
                all.aligned.len()
            ),
            (3, 1, 2, 2)
        );
        // Book rows at 1 s .. 121 s.
        assert_eq!(all.book.len(), 121);
    }

    #[test]
    fn config_is_validated_and_named_by_field() {
        for (config, field) in [
            (
                LoaderConfig {
                    bar_interval_ms: 0,
                    ..LoaderConfig::default()
                },
                "bar_interval_ms",
            ),
            (
                LoaderConfig {
                    book_interval_ms: 86_400_001,
                    ..LoaderConfig::default()
                },
                "book_interval_ms",
            ),
            (
                LoaderConfig {
                    depth_levels: 0,
                    ..LoaderConfig::default()
                },
                "depth_levels",
            ),
            (
                LoaderConfig {
                    tick_size: Some(Price::ZERO),
                    ..LoaderConfig::default()
                },
                "tick_size",
            ),
        ] {
            assert!(matches!(
                load_aligned(Vec::new(), &config),
                Err(ResearchError::InvalidConfig { field: named, .. }) if named == field
            ));
        }
        assert_eq!(
            LoaderConfig::for_venue("binance-usdm").sequence_rule,
            SequenceRule::BinanceFutures
        );
        let parsed: LoaderConfig = serde_json::from_str(r#"{"depth_levels": 5}"#).unwrap();
        assert_eq!(parsed.depth_levels, 5);
        assert!(serde_json::from_str::<LoaderConfig>(r#"{"levels": 5}"#).is_err());
    }
}
