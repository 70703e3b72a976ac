//! [`ToxicityEngine`]: the streaming toxicity filters of one instrument. Fed with market events
//! in `ts_recv` order, it keeps the L2 book (through the venue's sequencing rule), closes one
//! second at a time and emits one [`ToxicitySecond`] per closed second.

use std::collections::VecDeque;

use auction_trader_book::{AppliedMessage, BookObserver, OrderBook, SequenceRule, SequencedBook};
use auction_trader_types::{
    AggressorSide, BookDelta, BookSide, InstrumentKey, MarketEvent, NANOS_PER_MILLI,
    NANOS_PER_SECOND, Price, Quantity, Trade, UnixNanos,
};
use serde::Serialize;

use super::ToxicityConfig;
use super::ctr::{
    FlowBucket, FlowWindow, TradeSizeMedian, cancel_to_trade_ratio, fallback_epsilon, side_code,
};
use super::decay::{DepthHistory, level_factor, spread_factor, volatility_factor};
use super::drain::{DrainDetector, DrainRegime, DrainVerdict, PendingDrain, absorption_efficiency};
use super::ghost::{Ghost, GhostTracker, price_bucket};
use super::obi::ObiTracker;
use super::stats::{RealizedVolatility, TypicalSpread};
use crate::FeaturesError;

/// A size in the L2 book's 8-byte raw units, the unit every toxicity measure works in. Book
/// sizes always fit (the book refuses larger levels); a trade beyond ±9.2·10^9 units (whose
/// instrument then has no usable L2 book either) counts as that limit.
#[inline]
fn book_units(size: Quantity) -> i64 {
    i64::try_from(size.raw()).unwrap_or(if size.is_negative() {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// Raw units per unit of size (fixed scale 10^9).
const UNIT: f64 = 1e9;
/// A gap longer than this (no events) is skipped instead of closed second by second.
const MAX_FILLED_GAP_SECONDS: i64 = 3_600;

/// The toxicity state of one second (closed at `ts`). Depth and volumes in units of size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ToxicitySecond {
    /// End of the second (`[ts − 1 s, ts)` was observed).
    pub ts: UnixNanos,
    /// Ghosts confirmed during this second, per side.
    pub ghosts_bid: u32,
    pub ghosts_ask: u32,
    /// Depth-weighted mean CTR of the top levels (`None` without depth).
    pub book_ctr_bid: Option<f64>,
    pub book_ctr_ask: Option<f64>,
    /// Top levels with CTR > 4.0.
    pub toxic_levels_bid: u32,
    pub toxic_levels_ask: u32,
    pub obi: Option<f64>,
    pub obi_velocity: Option<f64>,
    pub obi_velocity_std: f64,
    /// High churn; `None` during warm-up.
    pub churn: Option<bool>,
    /// Displayed depth of the top levels.
    pub depth_bid: f64,
    pub depth_ask: f64,
    /// Decay-weighted, ghost-discounted depth of the top levels.
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

#[derive(Debug, Clone, Copy)]
struct PendingRow {
    side: BookSide,
    price: i64,
    last_update_id: u64,
    ts_recv: i64,
    old_size: i64,
}

/// Sees each applied row: size decreases for CTR and level sizes for ghosts.
#[derive(Debug)]
struct RowTracker {
    pending: Option<PendingRow>,
    bucket: FlowBucket,
    ghosts: GhostTracker,
    reset_seen: bool,
}

impl BookObserver for RowTracker {
    #[inline]
    fn on_row(&mut self, row: &BookDelta) {
        if row.flags.is_snapshot() || row.flags.is_clear() || row.flags.is_empty_message() {
            // Resets are compared as a whole after the message (see `after_reset`).
            return;
        }
        let price = row.price.raw();
        let size = book_units(row.size);
        if let Some(pending) = self.pending.take()
            && pending.side == row.side
            && pending.price == price
            && pending.last_update_id == row.last_update_id
            && pending.ts_recv == row.ts_recv.as_i64()
            && pending.old_size > size
        {
            // SPEC 2.5: a reported size decrease at that price.
            self.bucket
                .decreases
                .push((side_code(row.side), price, pending.old_size - size));
        }
        self.ghosts
            .on_level(row.side, price, size, row.ts_recv.as_i64());
    }

    fn on_message(&mut self, message: &AppliedMessage, _book: &OrderBook) {
        if message.reset {
            self.reset_seen = true;
        }
    }
}

/// The streaming toxicity engine of one instrument (see module doc).
#[derive(Debug)]
pub struct ToxicityEngine {
    config: ToxicityConfig,
    book: SequencedBook,
    rows: RowTracker,
    window: FlowWindow,
    history: DepthHistory,
    typical_spread: TypicalSpread,
    volatility: RealizedVolatility,
    trade_sizes: TradeSizeMedian,
    obi: ObiTracker,
    drains: [DrainDetector; 2],
    /// `(second end, mid raw)` for absorption.
    mids: VecDeque<(i64, i64)>,
    /// `(second end, decay depth bid, ask)` for the drain decline.
    decay_depths: VecDeque<(i64, f64, f64)>,
    last_mid: Option<i64>,
    open_second: Option<i64>,
    fallback_epsilon: f64,
    in_reset: bool,
    before_reset: [Vec<(Price, i64)>; 2],
    scratch: Vec<(Price, auction_trader_types::Quantity)>,
    ghosts_found: Vec<Ghost>,
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
        let window_seconds = config.ctr_window_seconds.max(config.drain_window_seconds) as usize;
        Ok(Self {
            config: config.clone(),
            book: SequencedBook::new(SequenceRule::for_venue(&instrument.venue), book),
            rows: RowTracker {
                pending: None,
                bucket: FlowBucket::default(),
                ghosts: GhostTracker::new(config),
                reset_seen: false,
            },
            window: FlowWindow::new(window_seconds + 1),
            history: DepthHistory::new(config.decay_lookback_seconds),
            typical_spread: TypicalSpread::new(config.typical_spread_seconds as usize),
            volatility: RealizedVolatility::new(
                config.volatility_short_seconds as usize,
                config.volatility_long_seconds as usize,
            ),
            trade_sizes: TradeSizeMedian::new(
                i64::from(config.epsilon_median_hours) * 3_600 * NANOS_PER_SECOND,
            ),
            obi: ObiTracker::new(
                config.obi_lag_seconds,
                config.churn_window_samples,
                config.churn_min_samples,
                config.churn_std_multiple,
                config.obi_velocity_baseline_std,
            ),
            drains: [DrainDetector::default(), DrainDetector::default()],
            mids: VecDeque::new(),
            decay_depths: VecDeque::new(),
            last_mid: None,
            open_second: None,
            fallback_epsilon: fallback_epsilon(&instrument.symbol, config.epsilon_default),
            in_reset: false,
            before_reset: [Vec::new(), Vec::new()],
            scratch: Vec::new(),
            ghosts_found: Vec::new(),
            counters: ToxicityCounters::default(),
        })
    }

    pub fn counters(&self) -> &ToxicityCounters {
        &self.counters
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
                self.open_second = Some(ts.div_euclid(NANOS_PER_SECOND) * NANOS_PER_SECOND);
                self.rows.bucket.start = self.open_second.unwrap_or(ts);
            }
            Some(start) if ts >= start + NANOS_PER_SECOND => self.advance_to(UnixNanos(ts), sink),
            Some(start) if ts < start => self.counters.late_events += 1,
            Some(_) => {}
        }
        match event {
            MarketEvent::Depth(row) => self.on_depth(row),
            MarketEvent::Trade(trade) => self.on_trade(trade),
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
                self.rows.bucket.start = start;
            }
        }
        self.open_second = Some(start);
    }

    /// End of input: closes the open (partial) second.
    pub fn finish<S: ToxicitySink + ?Sized>(&mut self, sink: &mut S) {
        self.book.finish_with(&mut self.rows);
        if let Some(start) = self.open_second {
            self.advance_to(UnixNanos(start + NANOS_PER_SECOND), sink);
        }
    }

    #[inline]
    fn on_depth(&mut self, row: &BookDelta) {
        self.counters.depth_rows += 1;
        let reset_row = row.flags.is_snapshot() || row.flags.is_clear();
        if reset_row {
            if !self.in_reset {
                self.in_reset = true;
                self.capture_before_reset();
            }
            self.rows.pending = None;
        } else {
            self.in_reset = false;
            let book = self.book.book();
            self.rows.pending =
                (self.book.is_synced() && !row.flags.is_empty_message()).then(|| PendingRow {
                    side: row.side,
                    price: row.price.raw(),
                    last_update_id: row.last_update_id,
                    ts_recv: row.ts_recv.as_i64(),
                    old_size: book_units(book.depth_at(row.side, row.price)),
                });
        }
        self.book.apply_with(row, &mut self.rows);
        if self.rows.reset_seen {
            self.rows.reset_seen = false;
            self.in_reset = false;
            self.after_reset(row.ts_recv.as_i64());
        }
    }

    fn capture_before_reset(&mut self) {
        let levels = self.config.sample_levels;
        let book = self.book.book();
        for (index, side) in [BookSide::Bid, BookSide::Ask].into_iter().enumerate() {
            let before = &mut self.before_reset[index];
            before.clear();
            if self.book.is_synced() {
                before.extend(
                    book.top_levels(side, levels)
                        .map(|(price, size)| (price, book_units(size))),
                );
            }
        }
    }

    /// SPEC 2.5 with snapshot data: compares the book before and after a reset. Decreases count
    /// only inside the new snapshot's price range: a level that left the window is not a
    /// cancellation.
    fn after_reset(&mut self, ts: i64) {
        let levels = self.config.sample_levels;
        for (index, side) in [BookSide::Bid, BookSide::Ask].into_iter().enumerate() {
            let book = self.book.book();
            self.scratch.clear();
            self.scratch.extend(book.top_levels(side, levels));
            let Some(&(worst, _)) = self.scratch.last() else {
                continue;
            };
            for &(price, old) in &self.before_reset[index] {
                let inside = match side {
                    BookSide::Bid => price >= worst,
                    BookSide::Ask => price <= worst,
                };
                if !inside {
                    continue;
                }
                let new = book_units(book.depth_at(side, price));
                if old > new {
                    self.rows
                        .bucket
                        .decreases
                        .push((side_code(side), price.raw(), old - new));
                }
                if old != new {
                    self.rows.ghosts.on_level(side, price.raw(), new, ts);
                }
            }
            for &(price, size) in &self.scratch {
                let before = self.before_reset[index]
                    .iter()
                    .find(|(old_price, _)| *old_price == price)
                    .map(|&(_, old)| old);
                if before != Some(book_units(size)) {
                    self.rows
                        .ghosts
                        .on_level(side, price.raw(), book_units(size), ts);
                }
            }
            self.before_reset[index].clear();
        }
    }

    #[inline]
    fn on_trade(&mut self, trade: &Trade) {
        self.counters.trades += 1;
        let price = trade.price.raw();
        let size = book_units(trade.size);
        let ts = trade.ts_recv.as_i64();
        self.rows.bucket.traded.push((price, size));
        match trade.aggressor {
            AggressorSide::Buy => {
                self.rows.bucket.taker_buy = self.rows.bucket.taker_buy.saturating_add(size);
                self.drains[1].on_pressure_trade(ts, size);
            }
            AggressorSide::Sell => {
                self.rows.bucket.taker_sell = self.rows.bucket.taker_sell.saturating_add(size);
                self.drains[0].on_pressure_trade(ts, size);
            }
            AggressorSide::Unknown => {}
        }
        self.trade_sizes.push(ts, size);
        self.rows.ghosts.on_trade(price);
    }

    fn close_second<S: ToxicitySink + ?Sized>(&mut self, end: i64, sink: &mut S) {
        self.counters.seconds += 1;
        let mut bucket = self.window.blank(end);
        std::mem::swap(&mut bucket, &mut self.rows.bucket);
        bucket.finish();
        self.window.push(bucket);
        self.trade_sizes.expire(end);
        let tick = self.book.book().tick_size().map_or(0, |tick| tick.raw());
        self.ghosts_found.clear();
        self.rows.ghosts.confirm(end, tick, &mut self.ghosts_found);
        self.counters.ghosts += self.ghosts_found.len() as u64;
        let ghosts_bid = self
            .ghosts_found
            .iter()
            .filter(|ghost| ghost.side == BookSide::Bid)
            .count() as u32;
        let ghosts_ask = self.ghosts_found.len() as u32 - ghosts_bid;

        let book = self.book.book();
        let usable = self.book.is_synced() && !book.is_crossed();
        let (Some((bid, _)), Some((ask, _)), true) = (book.best_bid(), book.best_ask(), usable)
        else {
            self.counters.unusable_seconds += 1;
            self.obi.push(None);
            for detector in &mut self.drains {
                detector.starts(None, self.config.drain_decline);
            }
            self.last_mid = None;
            return;
        };
        let config = &self.config;
        let levels = config.levels;

        // One depth sample per side and level (SPEC 2.5), ghost-discounted forward only.
        let mut sample = self.history.blank(end);
        let ghosts = &self.rows.ghosts;
        let discounting = ghosts.has_discounts();
        for (side, target) in [
            (BookSide::Bid, &mut sample.bids),
            (BookSide::Ask, &mut sample.asks),
        ] {
            target.extend(
                book.top_levels(side, config.sample_levels)
                    .map(|(price, size)| {
                        let raw = book_units(size);
                        let shown = if discounting
                            && ghosts.discounted(price_bucket(price.raw(), tick), end)
                        {
                            (raw as f64 * config.ghost_discount).round() as i64
                        } else {
                            raw
                        };
                        (price.raw(), shown)
                    }),
            );
        }
        // The ghost median reads the displayed (undiscounted) top levels.
        self.scratch.clear();
        self.scratch.extend(book.top_levels(BookSide::Bid, levels));
        let top_bids: Vec<(i64, i64)> = self
            .scratch
            .iter()
            .map(|(price, size)| (price.raw(), book_units(*size)))
            .collect();
        self.scratch.clear();
        self.scratch.extend(book.top_levels(BookSide::Ask, levels));
        let top_asks: Vec<(i64, i64)> = self
            .scratch
            .iter()
            .map(|(price, size)| (price.raw(), book_units(*size)))
            .collect();
        self.rows.ghosts.on_sample(end, &top_bids, &top_asks);

        // Typical spread and realized volatility (one-second mid log returns).
        let spread = ask.raw() - bid.raw();
        self.typical_spread.push(spread);
        let mid = ((i128::from(bid.raw()) + i128::from(ask.raw())) / 2) as i64;
        if let Some(previous) = self.last_mid
            && previous > 0
            && mid > 0
        {
            self.volatility.push((mid as f64 / previous as f64).ln());
        }
        self.last_mid = Some(mid);
        let typical = (self.typical_spread.len() >= config.spread_warmup_samples as usize)
            .then(|| self.typical_spread.mean_raw())
            .flatten();
        let lambda_base = config.base_lambda
            * spread_factor(spread as f64, typical, config.alpha)
            * volatility_factor(self.volatility.pair(), config.beta);
        self.history.push(sample);

        // Decay-weighted depth and CTR over the top levels.
        let epsilon = self
            .trade_sizes
            .median_raw()
            .map_or(self.fallback_epsilon, |median| {
                config.epsilon_fraction * median / UNIT
            });
        let mut decay = [0.0f64; 2];
        let mut displayed = [0.0f64; 2];
        let mut book_ctr = [None; 2];
        let mut toxic = [0u32; 2];
        for (index, (side, top)) in [(BookSide::Bid, &top_bids), (BookSide::Ask, &top_asks)]
            .into_iter()
            .enumerate()
        {
            let best = top.first().map_or(0, |&(price, _)| price);
            let mut weighted_ctr = 0.0;
            for &(price, size) in top {
                let bucket = price_bucket(price, tick);
                let mut lambda =
                    lambda_base * level_factor((price - best).abs() as f64, typical, config.gamma);
                if self.rows.ghosts.has_offenders() && self.rows.ghosts.offender(bucket, end) {
                    lambda *= 2.0; // SPEC 2.5: repeat offender
                }
                decay[index] += self
                    .history
                    .weighted(side, price, lambda, end)
                    .unwrap_or(0.0);
                let flow = self
                    .window
                    .level(side, price, config.ctr_window_seconds, end);
                let ctr = cancel_to_trade_ratio(
                    flow.cancelled() as f64 / UNIT,
                    flow.traded as f64 / UNIT,
                    epsilon,
                );
                if ctr > config.ctr_toxic {
                    toxic[index] += 1;
                }
                weighted_ctr += ctr * size as f64;
                displayed[index] += size as f64;
            }
            book_ctr[index] = (displayed[index] > 0.0).then(|| weighted_ctr / displayed[index]);
            decay[index] /= UNIT;
            displayed[index] /= UNIT;
        }

        let reading = self.obi.push(book.imbalance(levels));

        // Absorption and drain over the drain window.
        let window_nanos = i64::from(config.drain_window_seconds) * NANOS_PER_SECOND;
        let then = end - window_nanos;
        let (taker_buy, taker_sell) = self.window.taker_volume(config.drain_window_seconds, end);
        let (taker_buy, taker_sell) = (taker_buy as f64 / UNIT, taker_sell as f64 / UNIT);
        self.mids.push_back((end, mid));
        while self.mids.front().is_some_and(|&(ts, _)| ts < then) {
            self.mids.pop_front();
        }
        let absorption = self
            .mids
            .front()
            .filter(|&&(ts, _)| ts == then)
            .and_then(|&(_, old)| absorption_efficiency(mid - old, tick, taker_buy + taker_sell));
        self.decay_depths.push_back((end, decay[0], decay[1]));
        while self
            .decay_depths
            .front()
            .is_some_and(|&(ts, _, _)| ts < then)
        {
            self.decay_depths.pop_front();
        }
        let past = self
            .decay_depths
            .front()
            .filter(|&&(ts, _, _)| ts == then)
            .map(|&(_, bid_depth, ask_depth)| [bid_depth, ask_depth]);
        let mut verdicts = [None, None];
        for (index, side) in [BookSide::Bid, BookSide::Ask].into_iter().enumerate() {
            verdicts[index] = self.drains[index].resolve(end, config.drain_ratio, UNIT);
            let decline = past
                .filter(|depths| depths[index] > 0.0)
                .map(|depths| 1.0 - decay[index] / depths[index]);
            if self.drains[index].starts(decline, config.drain_decline) {
                // Bid drains are pressed by taker sells, ask drains by taker buys.
                let (pressure, opposing) = match side {
                    BookSide::Bid => (taker_sell, taker_buy),
                    BookSide::Ask => (taker_buy, taker_sell),
                };
                let passive = self
                    .window
                    .cancelled_side(side, config.drain_window_seconds, end)
                    as f64
                    / UNIT;
                self.drains[index].pending = Some(PendingDrain {
                    verdict: DrainVerdict {
                        side,
                        signal_ts: UnixNanos(end),
                        regime: DrainRegime::SpoofCleanup,
                        decline: decline.unwrap_or(0.0),
                        pressure_volume: pressure,
                        opposing_volume: opposing,
                        follow_through: 0.0,
                        passive_drain: passive,
                        active_drain: pressure,
                        absorption,
                    },
                    due: end + i64::from(config.drain_confirm_ms) * NANOS_PER_MILLI,
                    follow_raw: 0,
                });
            }
        }

        sink.on_second(&ToxicitySecond {
            ts: UnixNanos(end),
            ghosts_bid,
            ghosts_ask,
            book_ctr_bid: book_ctr[0],
            book_ctr_ask: book_ctr[1],
            toxic_levels_bid: toxic[0],
            toxic_levels_ask: toxic[1],
            obi: reading.obi,
            obi_velocity: reading.velocity,
            obi_velocity_std: reading.velocity_std,
            churn: reading.churn,
            depth_bid: displayed[0],
            depth_ask: displayed[1],
            decay_depth_bid: decay[0],
            decay_depth_ask: decay[1],
            lambda_base,
            epsilon,
            absorption,
            drain_bid: verdicts[0],
            drain_ask: verdicts[1],
        });
    }
}
