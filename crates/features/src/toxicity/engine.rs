//! [`ToxicityEngine`]: the streaming toxicity filters of one instrument. Fed with market events
//! in `ts_recv` order, it keeps the L2 book (through the venue's sequencing rule), reads one
//! book sample at each second close and hands it with the second's trades to
//! [`SecondFilters`], which emits one [`ToxicitySecond`] per closed second.

use auction_trader_book::{AppliedMessage, OrderBook, SequenceRule, SequencedBook};
use auction_trader_types::{
    BookDelta, BookSide, InstrumentKey, MarketEvent, NANOS_PER_SECOND, Price, UnixNanos,
};
use serde::Serialize;

use super::ToxicityConfig;
use super::drain::DrainVerdict;
use super::filters::SecondFilters;
use super::sample::{BookSample, SIDES, raw_i64, side_index};
use crate::FeaturesError;

/// A gap longer than this (no events) is skipped instead of closed second by second.
const MAX_FILLED_GAP_SECONDS: i64 = 3_600;

/// The toxicity state of one second (closed at `ts`). Depth and volumes in units of size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ToxicitySecond {
    /// End of the second (`[ts − 1 s, ts)` was observed; the book sample was read at `ts`).
    pub ts: UnixNanos,
    /// Ghosts confirmed at this sample, per side.
    pub ghosts_bid: u32,
    pub ghosts_ask: u32,
    /// Book CTR over the active levels of the 10 s window (`None`: nothing executed).
    pub book_ctr_bid: Option<f64>,
    pub book_ctr_ask: Option<f64>,
    /// Active levels with executed volume and CTR above the toxic threshold.
    pub toxic_levels_bid: u32,
    pub toxic_levels_ask: u32,
    /// The toxic threshold of this second per side: `ctr_toxic` (4.0), or the rolling
    /// percentile of the percentile option.
    pub ctr_threshold_bid: f64,
    pub ctr_threshold_ask: f64,
    pub obi: Option<f64>,
    /// Signed `OBI[t] − OBI[t − 2 s]`.
    pub obi_velocity: Option<f64>,
    pub obi_velocity_std: f64,
    /// High churn; `None` during warm-up.
    pub churn: Option<bool>,
    /// Displayed depth of the top levels.
    pub depth_bid: f64,
    pub depth_ask: f64,
    /// Part of that displayed depth at (side, bucket)s under the ghost discount.
    pub discounted_depth_bid: f64,
    pub discounted_depth_ask: f64,
    /// Decay-weighted, ghost-discounted depth of the top levels (the displayed depth under
    /// `drain_depth: raw`).
    pub decay_depth_bid: f64,
    pub decay_depth_ask: f64,
    /// `base_λ × spread_factor × volatility_factor` (before level factor and offender doubling).
    pub lambda_base: f64,
    /// CTR ε in units of size.
    pub epsilon: f64,
    /// Ticks of mid move per unit of aggressive volume over the drain window.
    pub absorption: Option<f64>,
    /// Drain verdicts that became known at this second (signal 1.5 s or more earlier).
    pub drain_bid: Option<DrainVerdict>,
    pub drain_ask: Option<DrainVerdict>,
}

/// Receives the engine's records.
pub trait ToxicitySink {
    fn on_second(&mut self, record: &ToxicitySecond);
}

impl ToxicitySink for Vec<ToxicitySecond> {
    fn on_second(&mut self, record: &ToxicitySecond) {
        self.push(*record);
    }
}

/// What the engine saw and skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ToxicityCounters {
    pub events: u64,
    pub depth_rows: u64,
    pub trades: u64,
    pub seconds: u64,
    /// Seconds closed without a usable (synced, two-sided, uncrossed) book: no record.
    pub unusable_seconds: u64,
    /// Seconds skipped inside gaps longer than an hour.
    pub skipped_seconds: u64,
    pub ghosts: u64,
    /// Events older than the open second (kept in it).
    pub late_events: u64,
}

/// Reads the best `levels` of each side of `book` into `sample` (sizes raw, best first).
pub fn read_sample(book: &OrderBook, levels: usize, sample: &mut BookSample) {
    for side in SIDES {
        let slot = side_index(side);
        let target = &mut sample.levels[slot];
        target.clear();
        target.extend(
            book.top_levels(side, levels)
                .map(|(price, size)| (price.raw(), raw_i64(size.raw())))
                .filter(|&(_, size)| size > 0),
        );
        sample.full[slot] = book.level_count(side) >= levels;
    }
}

/// The streaming toxicity engine of one instrument (see the module doc of `toxicity`).
#[derive(Debug)]
pub struct ToxicityEngine {
    sample_levels: usize,
    book: SequencedBook,
    filters: SecondFilters,
    open_second: Option<i64>,
    counters: ToxicityCounters,
}

impl ToxicityEngine {
    /// An engine for `instrument` on `tick_size` (`None`: inferred from the book data).
    pub fn new(
        config: &ToxicityConfig,
        instrument: &InstrumentKey,
        tick_size: Option<Price>,
    ) -> Result<Self, FeaturesError> {
        config.validate()?;
        let book = match tick_size {
            Some(tick) => OrderBook::new(tick)
                .map_err(|_| FeaturesError::InvalidTickSize(tick.to_string()))?,
            None => OrderBook::with_inferred_tick(),
        };
        Ok(Self {
            sample_levels: config.sample_levels,
            book: SequencedBook::new(SequenceRule::for_venue(&instrument.venue), book),
            filters: SecondFilters::new(config, &instrument.symbol),
            open_second: None,
            counters: ToxicityCounters::default(),
        })
    }

    pub fn counters(&self) -> ToxicityCounters {
        ToxicityCounters {
            ghosts: self.filters.ghosts(),
            ..self.counters
        }
    }

    pub fn book(&self) -> &SequencedBook {
        &self.book
    }

    /// Feeds one event (in `ts_recv` order); closes every second that ended before it first.
    #[inline]
    pub fn on_event<S: ToxicitySink + ?Sized>(&mut self, event: &MarketEvent, sink: &mut S) {
        let ts = event.ts_recv().as_i64();
        self.counters.events += 1;
        match self.open_second {
            None => {
                let start = ts.div_euclid(NANOS_PER_SECOND) * NANOS_PER_SECOND;
                self.open_second = Some(start);
                self.filters.open_second(start);
            }
            Some(start) if ts >= start + NANOS_PER_SECOND => self.advance_to(UnixNanos(ts), sink),
            Some(start) if ts < start => self.counters.late_events += 1,
            Some(_) => {}
        }
        match event {
            MarketEvent::Depth(row) => self.on_depth(row),
            MarketEvent::Trade(trade) => {
                self.counters.trades += 1;
                self.filters.on_trade(trade);
            }
            _ => {}
        }
    }

    /// Closes every second that ends at or before `now` (live: call on a timer).
    pub fn advance_to<S: ToxicitySink + ?Sized>(&mut self, now: UnixNanos, sink: &mut S) {
        let now = now.as_i64();
        let Some(mut start) = self.open_second else {
            return;
        };
        while start + NANOS_PER_SECOND <= now {
            let end = start + NANOS_PER_SECOND;
            self.close_second(end, sink);
            start = end;
            let remaining = (now - start) / NANOS_PER_SECOND;
            if remaining > MAX_FILLED_GAP_SECONDS {
                let jump = now.div_euclid(NANOS_PER_SECOND) * NANOS_PER_SECOND;
                self.counters.skipped_seconds +=
                    u64::try_from((jump - start) / NANOS_PER_SECOND).unwrap_or(0);
                start = jump;
            }
            self.filters.open_second(start);
        }
        self.open_second = Some(start);
    }

    /// End of input: closes the open (partial) second.
    pub fn finish<S: ToxicitySink + ?Sized>(&mut self, sink: &mut S) {
        self.book
            .finish_with(&mut |_: &AppliedMessage, _: &OrderBook| {});
        if let Some(start) = self.open_second {
            self.advance_to(UnixNanos(start + NANOS_PER_SECOND), sink);
        }
    }

    #[inline]
    fn on_depth(&mut self, row: &BookDelta) {
        self.counters.depth_rows += 1;
        self.book.apply(row);
    }

    fn close_second<S: ToxicitySink + ?Sized>(&mut self, end: i64, sink: &mut S) {
        self.counters.seconds += 1;
        let book = self.book.book();
        let usable = self.book.is_synced()
            && !book.is_crossed()
            && book.best(BookSide::Bid).is_some()
            && book.best(BookSide::Ask).is_some();
        let tick = book.tick_size().map_or(0, |tick| tick.raw());
        let sample = usable.then(|| {
            let mut sample = self.filters.blank_sample(end);
            read_sample(book, self.sample_levels, &mut sample);
            sample
        });
        if sample.is_none() {
            self.counters.unusable_seconds += 1;
        }
        self.filters.close_second(end, sample, tick, sink);
    }
}
