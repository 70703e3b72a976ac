//! The combined, aligned research dataset (SPEC 1.5): one row per interval with the bar, the
//! best bid/ask at the interval's end, mid, spread, top-N depth sums and the depth imbalance.
//!
//! - Rows and bars follow [`BarBuilder`](auction_trader_features::interval_bars::BarBuilder): one row per closed
//!   interval from the interval of the first event on; OHLC are None before the first price.
//! - The book/quote columns are the state when the interval closes, built from events with
//!   `ts_recv` before the interval's end (in bar mode, also those stamped exactly at it; see
//!   `bars`), never later ones.
//! - Best bid/ask come from the latest quote (the venue's best bid/ask stream is the fastest
//!   top-of-book source), or from the reconstructed book when the stream has no quotes
//!   ([`TopSource`] says which). Depth sums and imbalance come from the book only, and only
//!   while it is synced; otherwise None.

use auction_trader_book::SequencedBook;
use auction_trader_types::{BookSide, MarketEvent, Price, Quantity, Quote, UnixNanos};
use serde::Serialize;

use crate::ResearchError;
use crate::loader::LoaderConfig;
use crate::loader::book::{depth_imbalance, sequenced_book};
use auction_trader_features::interval_bars::{BarBuilder, BarCounters, ClosedInterval};

/// Where a row's best bid/ask came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TopSource {
    Quote,
    Book,
}

/// One interval of the aligned dataset.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AlignedRow {
    pub ts_open: UnixNanos,
    /// End of the interval (the instant every other column describes).
    pub ts: UnixNanos,
    pub open: Option<Price>,
    pub high: Option<Price>,
    pub low: Option<Price>,
    pub close: Option<Price>,
    pub vwap: Option<Price>,
    pub volume: Quantity,
    pub buy_volume: Quantity,
    pub sell_volume: Quantity,
    pub trade_count: u64,
    pub best_bid: Option<Price>,
    pub best_bid_size: Option<Quantity>,
    pub best_ask: Option<Price>,
    pub best_ask_size: Option<Quantity>,
    pub top_source: Option<TopSource>,
    /// (bid + ask) / 2, floored to the 10^-9 grid.
    pub mid: Option<Price>,
    /// ask − bid (negative when crossed: reported, not repaired).
    pub spread: Option<Price>,
    /// Sizes of the top-N book levels per side.
    pub bid_depth: Option<Quantity>,
    pub ask_depth: Option<Quantity>,
    /// (bid_depth − ask_depth) / (bid_depth + ask_depth).
    pub imbalance: Option<f64>,
}

/// Builds aligned rows from a time-ordered event stream of one instrument.
#[derive(Debug)]
pub struct AlignedBuilder {
    bars: BarBuilder,
    book: SequencedBook,
    levels: usize,
    latest_quote: Option<Quote>,
}

impl AlignedBuilder {
    pub fn new(config: &LoaderConfig) -> Result<Self, ResearchError> {
        config.validate()?;
        Ok(Self {
            bars: BarBuilder::new(config.bar_interval_nanos())?,
            book: sequenced_book(config)?,
            levels: config.depth_levels,
            latest_quote: None,
        })
    }

    pub fn bar_counters(&self) -> BarCounters {
        self.bars.counters()
    }

    /// Feeds one event: rows of the intervals it closes first (the state before it), then the
    /// event is applied.
    pub fn on_event(&mut self, event: &MarketEvent, rows: &mut impl FnMut(AlignedRow)) {
        let Self {
            bars,
            book,
            levels,
            latest_quote,
        } = self;
        bars.on_event(event, &mut |interval| {
            rows(aligned_row(interval, book, *levels, latest_quote.as_ref()));
        });
        match event {
            MarketEvent::Depth(delta) => book.apply(delta),
            MarketEvent::Quote(quote) => *latest_quote = Some(*quote),
            _ => {}
        }
    }
}

fn positive<T: Copy>(price: Price, size: T) -> Option<(Price, T)> {
    price.is_positive().then_some((price, size))
}

fn aligned_row(
    interval: &ClosedInterval,
    book: &SequencedBook,
    levels: usize,
    quote: Option<&Quote>,
) -> AlignedRow {
    let synced = book.is_synced() && !book.book().is_empty();
    let (bid, ask, top_source) = match quote {
        Some(quote) => (
            positive(quote.bid_price, quote.bid_size),
            positive(quote.ask_price, quote.ask_size),
            Some(TopSource::Quote),
        ),
        None if synced => (
            book.book().best_bid(),
            book.book().best_ask(),
            Some(TopSource::Book),
        ),
        None => (None, None, None),
    };
    let (mid, spread) = match (bid, ask) {
        (Some((bid, _)), Some((ask, _))) => {
            let sum = i128::from(bid.raw()) + i128::from(ask.raw());
            (
                i64::try_from(sum.div_euclid(2)).ok().map(Price::from_raw),
                ask.checked_sub(bid),
            )
        }
        _ => (None, None),
    };
    let (bid_depth, ask_depth) = if synced {
        (
            Some(book.book().volume(BookSide::Bid, levels)),
            Some(book.book().volume(BookSide::Ask, levels)),
        )
    } else {
        (None, None)
    };
    let bar = interval.bar;
    AlignedRow {
        ts_open: interval.ts_open,
        ts: interval.ts_close,
        open: bar.map(|bar| bar.open),
        high: bar.map(|bar| bar.high),
        low: bar.map(|bar| bar.low),
        close: bar.map(|bar| bar.close),
        vwap: bar.map(|bar| bar.vwap),
        volume: bar.map_or(Quantity::ZERO, |bar| bar.volume),
        buy_volume: bar.map_or(Quantity::ZERO, |bar| bar.buy_volume),
        sell_volume: bar.map_or(Quantity::ZERO, |bar| bar.sell_volume),
        trade_count: bar.map_or(0, |bar| bar.trade_count),
        best_bid: bid.map(|(price, _)| price),
        best_bid_size: bid.map(|(_, size)| size),
        best_ask: ask.map(|(price, _)| price),
        best_ask_size: ask.map(|(_, size)| size),
        top_source,
        mid,
        spread,
        bid_depth,
        ask_depth,
        imbalance: match (bid_depth, ask_depth) {
            (Some(bid), Some(ask)) => depth_imbalance(bid, ask),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{AggressorSide, NANOS_PER_SECOND};

    use super::*;
    use auction_trader_testkit::offsets::{BASE, depth, price, quote, trade, units};

    fn run(config: &LoaderConfig, events: &[MarketEvent]) -> Vec<AlignedRow> {
        let mut builder = AlignedBuilder::new(config).unwrap();
        let mut rows = Vec::new();
        for event in events {
            builder.on_event(event, &mut |row| rows.push(row));
        }
        rows
    }

    #[test]
    fn one_row_per_second_with_bar_top_and_depth() {
        // 1 s rows, 2 levels. Book at 0.1 s: bids 100 × 2, 99 × 2 / asks 101 × 1, 102 × 1.
        // Second 0: trades 1 @ 100 (sell), 3 @ 101 (buy) -> O 100 C 101 volume 4,
        //   VWAP 403 / 4 = 100.75; no quote -> top from the book: 100 / 101, mid 100.5,
        //   spread 1; depth 4 / 2 -> imbalance 2 / 6 = 0.3333.
        // Second 1: a quote 100.5 × 1 / 101 × 2 at 1.5 s -> top from the quote; no trade ->
        //   empty bar at 101. Closed by the quote at 2.0 s (which is not in row 1).
        let config = LoaderConfig {
            bar_interval_ms: 1_000,
            depth_levels: 2,
            ..LoaderConfig::default()
        };
        let mut events = depth(
            100_000_000,
            &[
                (BookSide::Bid, "100", "2"),
                (BookSide::Bid, "99", "2"),
                (BookSide::Ask, "101", "1"),
                (BookSide::Ask, "102", "1"),
            ],
            true,
        );
        events.push(trade(200_000_000, "100", "1", AggressorSide::Sell));
        events.push(trade(300_000_000, "101", "3", AggressorSide::Buy));
        events.push(quote(1_500_000_000, "100.5", "1", "101", "2"));
        events.push(quote(2 * NANOS_PER_SECOND, "100.8", "1", "101", "2"));
        let rows = run(&config, &events);
        assert_eq!(rows.len(), 2);
        let first = rows[0];
        assert_eq!(
            (first.ts_open, first.ts),
            (UnixNanos(BASE), UnixNanos(BASE + NANOS_PER_SECOND))
        );
        assert_eq!(
            (first.open, first.close, first.volume, first.vwap),
            (
                Some(price("100")),
                Some(price("101")),
                units("4"),
                Some(price("100.75"))
            )
        );
        assert_eq!(
            (first.buy_volume, first.sell_volume),
            (units("3"), units("1"))
        );
        assert_eq!(first.top_source, Some(TopSource::Book));
        assert_eq!(
            (first.best_bid, first.best_ask, first.mid, first.spread),
            (
                Some(price("100")),
                Some(price("101")),
                Some(price("100.5")),
                Some(price("1"))
            )
        );
        assert_eq!(
            (first.bid_depth, first.ask_depth),
            (Some(units("4")), Some(units("2")))
        );
        assert!((first.imbalance.unwrap() - 1.0 / 3.0).abs() < 1e-12);
        let second = rows[1];
        assert_eq!(second.top_source, Some(TopSource::Quote));
        assert_eq!(
            (second.best_bid, second.best_ask_size, second.mid),
            (
                Some(price("100.5")),
                Some(units("2")),
                Some(price("100.75"))
            )
        );
        assert_eq!(
            (second.close, second.volume),
            (Some(price("101")), Quantity::ZERO)
        );
    }

    #[test]
    fn rows_without_book_or_quotes_have_no_top() {
        let config = LoaderConfig::default();
        let rows = run(
            &config,
            &[
                trade(NANOS_PER_SECOND, "100", "1", AggressorSide::Unknown),
                trade(61 * NANOS_PER_SECOND, "100", "1", AggressorSide::Unknown),
            ],
        );
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].best_bid, rows[0].bid_depth, rows[0].top_source),
            (None, None, None)
        );
    }
}
