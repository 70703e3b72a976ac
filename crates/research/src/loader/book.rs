//! Book snapshots resampled at a fixed interval (SPEC 1.5): the top-N levels per side of the
//! reconstructed book (snapshots + deltas through the venue's sequencing rule) at every
//! interval boundary.
//!
//! - The row at boundary `t` is the book after every depth message with `ts_recv < t` (a
//!   message stamped exactly `t` belongs to the interval starting at `t`, like the feature
//!   engine's minutes); it is emitted when the first event at or after `t` arrives, so the
//!   last boundary after the stream's end is not emitted.
//! - Boundaries are whole multiples of the interval in UTC (e.g. every whole second).
//! - Rows exist only while the book is synced (after a snapshot, no sequence gap) and has a
//!   level; boundaries without a trustworthy book are counted, not filled.
//! - A crossed book is reported as it is (SPEC 1.3: never repaired) and counted.
//! - Quiet stretches repeat the last book at every boundary (that is what resampling means).

use auction_trader_book::{OrderBook, SequencedBook};
use auction_trader_types::{BookDelta, BookSide, MarketEvent, Price, Quantity, UnixNanos};
use serde::Serialize;

use crate::ResearchError;
use crate::loader::LoaderConfig;

/// The top of the book at one boundary, best level first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BookRow {
    pub ts: UnixNanos,
    pub bids: Vec<(Price, Quantity)>,
    pub asks: Vec<(Price, Quantity)>,
}

impl BookRow {
    /// The top `levels` of `book` at `ts`.
    pub fn from_book(ts: UnixNanos, book: &OrderBook, levels: usize) -> Self {
        Self {
            ts,
            bids: book.top_levels(BookSide::Bid, levels).collect(),
            asks: book.top_levels(BookSide::Ask, levels).collect(),
        }
    }

    pub fn best_bid(&self) -> Option<(Price, Quantity)> {
        self.bids.first().copied()
    }

    pub fn best_ask(&self) -> Option<(Price, Quantity)> {
        self.asks.first().copied()
    }

    /// Best bid >= best ask.
    pub fn is_crossed(&self) -> bool {
        matches!((self.best_bid(), self.best_ask()), (Some((bid, _)), Some((ask, _))) if bid >= ask)
    }

    /// Total size of the row's levels on one side (saturating).
    pub fn depth(&self, side: BookSide) -> Quantity {
        let levels = match side {
            BookSide::Bid => &self.bids,
            BookSide::Ask => &self.asks,
        };
        Quantity::from_raw(
            levels
                .iter()
                .fold(0_i128, |total, (_, size)| total.saturating_add(size.raw())),
        )
    }

    /// (bid depth − ask depth) / (bid depth + ask depth) over the row's levels.
    pub fn imbalance(&self) -> Option<f64> {
        depth_imbalance(self.depth(BookSide::Bid), self.depth(BookSide::Ask))
    }
}

/// (bid − ask) / (bid + ask); None when both are zero.
pub(crate) fn depth_imbalance(bid: Quantity, ask: Quantity) -> Option<f64> {
    let total = bid.raw() + ask.raw();
    (total > 0).then(|| (bid.raw() - ask.raw()) as f64 / total as f64)
}

/// What the sampler did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BookSamplerCounters {
    pub depth_rows: u64,
    pub rows: u64,
    /// Boundaries passed while the book was not synced or empty (no row).
    pub unsynced_boundaries: u64,
    /// Rows whose book was crossed (reported, not repaired).
    pub crossed_rows: u64,
}

/// A sequenced book built from the config (its tick size, or inferred).
pub(crate) fn sequenced_book(config: &LoaderConfig) -> Result<SequencedBook, ResearchError> {
    let book = match config.tick_size {
        Some(tick) => OrderBook::new(tick).map_err(|error| ResearchError::InvalidConfig {
            field: "tick_size",
            reason: error.to_string(),
        })?,
        None => OrderBook::with_inferred_tick(),
    };
    Ok(SequencedBook::new(config.sequence_rule, book))
}

/// Resamples the reconstructed book of one instrument at a fixed interval.
#[derive(Debug)]
pub struct BookSampler {
    interval: i64,
    levels: usize,
    book: SequencedBook,
    /// The next boundary to emit; None before the first event.
    next: Option<UnixNanos>,
    counters: BookSamplerCounters,
}

impl BookSampler {
    pub fn new(config: &LoaderConfig) -> Result<Self, ResearchError> {
        config.validate()?;
        Ok(Self {
            interval: config.book_interval_nanos(),
            levels: config.depth_levels,
            book: sequenced_book(config)?,
            next: None,
            counters: BookSamplerCounters::default(),
        })
    }

    pub fn counters(&self) -> BookSamplerCounters {
        self.counters
    }

    pub fn book(&self) -> &SequencedBook {
        &self.book
    }

    /// Feeds one event: rows for the boundaries at or before its `ts_recv` first (the book as
    /// it was), then the event's depth row is applied.
    pub fn on_event(&mut self, event: &MarketEvent, rows: &mut impl FnMut(BookRow)) {
        let now = event.ts_recv();
        match self.next {
            None => {
                self.next = Some(
                    now.floor_to(self.interval)
                        .saturating_add_nanos(self.interval),
                )
            }
            Some(mut boundary) => {
                while boundary <= now {
                    self.emit(boundary, rows);
                    boundary = boundary.saturating_add_nanos(self.interval);
                }
                self.next = Some(boundary);
            }
        }
        if let MarketEvent::Depth(delta) = event {
            self.apply(delta);
        }
    }

    fn apply(&mut self, delta: &BookDelta) {
        self.counters.depth_rows += 1;
        self.book.apply(delta);
    }

    fn emit(&mut self, boundary: UnixNanos, rows: &mut impl FnMut(BookRow)) {
        let book = self.book.book();
        if !self.book.is_synced() || book.is_empty() {
            self.counters.unsynced_boundaries += 1;
            return;
        }
        let row = BookRow::from_book(boundary, book, self.levels);
        self.counters.rows += 1;
        self.counters.crossed_rows += u64::from(row.is_crossed());
        rows(row);
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::NANOS_PER_SECOND;

    use super::*;
    use auction_trader_testkit::offsets::{BASE, depth, price, units};

    fn config() -> LoaderConfig {
        LoaderConfig {
            book_interval_ms: 1_000,
            depth_levels: 2,
            ..LoaderConfig::default()
        }
    }

    fn run(events: &[MarketEvent]) -> (Vec<BookRow>, BookSamplerCounters) {
        run_with(&config(), events)
    }

    fn run_with(
        config: &LoaderConfig,
        events: &[MarketEvent],
    ) -> (Vec<BookRow>, BookSamplerCounters) {
        let mut sampler = BookSampler::new(config).unwrap();
        let mut rows = Vec::new();
        for event in events {
            sampler.on_event(event, &mut |row| rows.push(row));
        }
        (rows, sampler.counters())
    }

    #[test]
    fn rows_at_whole_seconds_from_the_book_before_the_boundary() {
        // 0.2 s: snapshot bids 100 × 1, 99 × 2, 98 × 5 / asks 101 × 3, 102 × 1.
        // 1.0 s exactly: bid 100 -> 4 (belongs to the second starting at 1 s).
        // 3.5 s: an event closes boundaries 2 s and 3 s (the 1 s update is in both).
        let snapshot = [
            (BookSide::Bid, "100", "1"),
            (BookSide::Bid, "99", "2"),
            (BookSide::Bid, "98", "5"),
            (BookSide::Ask, "101", "3"),
            (BookSide::Ask, "102", "1"),
        ];
        let mut events = depth(200_000_000, &snapshot, true);
        events.extend(depth(
            NANOS_PER_SECOND,
            &[(BookSide::Bid, "100", "4")],
            false,
        ));
        events.extend(depth(
            3 * NANOS_PER_SECOND + 500_000_000,
            &[(BookSide::Ask, "101", "0")],
            false,
        ));
        let (rows, counters) = run(&events);
        let times: Vec<_> = rows.iter().map(|row| row.ts.as_i64() - BASE).collect();
        assert_eq!(
            times,
            vec![NANOS_PER_SECOND, 2 * NANOS_PER_SECOND, 3 * NANOS_PER_SECOND]
        );
        assert_eq!(
            rows[0].bids,
            vec![(price("100"), units("1")), (price("99"), units("2"))]
        );
        assert_eq!(rows[1].best_bid(), Some((price("100"), units("4"))));
        // Top 2: bids 4 + 2 = 6, asks 3 + 1 = 4 -> imbalance 2 / 10 = 0.2.
        assert_eq!(
            (rows[2].depth(BookSide::Bid), rows[2].depth(BookSide::Ask)),
            (units("6"), units("4"))
        );
        assert!((rows[2].imbalance().unwrap() - 0.2).abs() < 1e-12);
        assert_eq!((counters.rows, counters.crossed_rows), (3, 0));
    }

    #[test]
    fn no_rows_before_a_snapshot() {
        // Binance futures rule: diffs before the snapshot are buffered, the book is not synced.
        let config = LoaderConfig {
            sequence_rule: auction_trader_book::SequenceRule::BinanceFutures,
            ..config()
        };
        let mut events = depth(100, &[(BookSide::Bid, "100", "1")], false);
        events.extend(depth(
            2 * NANOS_PER_SECOND + 1,
            &[(BookSide::Bid, "100", "1")],
            false,
        ));
        let (rows, counters) = run_with(&config, &events);
        assert!(rows.is_empty());
        assert_eq!(counters.unsynced_boundaries, 2);
    }
}
