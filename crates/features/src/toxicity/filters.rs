//! [`SecondFilters`]: every toxicity filter of SPEC 2.5 computed at one second close from the
//! one-second book sample and the trades of the second. Nothing here sees a diff message, so
//! the answer does not depend on how often the venue publishes.

use std::collections::VecDeque;

use auction_trader_types::{
    AggressorSide, BookSide, NANOS_PER_MILLI, NANOS_PER_SECOND, Trade, UnixNanos,
};

use super::ToxicityConfig;
use super::config::DrainDepth;
use super::ctr::{BookCtr, FlowBucket, FlowWindow, TradeSizeMedian, fallback_epsilon};
use super::decay::{DepthHistory, level_factor, spread_factor, volatility_factor};
use super::drain::{DrainDetector, DrainRegime, DrainVerdict, PendingDrain, absorption_efficiency};
use super::engine::{ToxicitySecond, ToxicitySink};
use super::ghost::{Ghost, GhostTracker, price_bucket};
use super::obi::ObiTracker;
use super::sample::{BookSample, LevelChange, SIDES, raw_i64, side_index};
use super::stats::{RealizedVolatility, RollingSorted, TypicalSpread};

/// Raw units per unit of size (fixed scale 10^9).
pub const UNIT: f64 = 1e9;

/// The per-second filter state of one instrument.
#[derive(Debug)]
pub struct SecondFilters {
    config: ToxicityConfig,
    /// Trades of the open second.
    open: FlowBucket,
    window: FlowWindow,
    history: DepthHistory,
    previous: Option<BookSample>,
    changes: [Vec<LevelChange>; 2],
    ghosts: GhostTracker,
    found: Vec<Ghost>,
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
    /// Earlier book-CTR readings per side (the percentile option of SPEC 2.5).
    ctr_history: [RollingSorted; 2],
    fallback_epsilon: f64,
    ghost_count: u64,
}

impl SecondFilters {
    /// Filters for `symbol` (its ε fallback); `config` must be valid.
    pub fn new(config: &ToxicityConfig, symbol: &str) -> Self {
        let window_seconds = config.ctr_window_seconds.max(config.drain_window_seconds) as usize;
        Self {
            config: config.clone(),
            open: FlowBucket::default(),
            window: FlowWindow::new(window_seconds + 2),
            history: DepthHistory::new(config.decay_lookback_seconds),
            previous: None,
            changes: [Vec::new(), Vec::new()],
            ghosts: GhostTracker::new(config),
            found: Vec::new(),
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
            ctr_history: [
                RollingSorted::new(config.ctr_percentile_seconds as usize),
                RollingSorted::new(config.ctr_percentile_seconds as usize),
            ],
            fallback_epsilon: fallback_epsilon(symbol, config.epsilon_default),
            ghost_count: 0,
        }
    }

    /// Ghosts confirmed so far.
    pub fn ghosts(&self) -> u64 {
        self.ghost_count
    }

    /// The ghosts confirmed at the last closed second.
    pub fn last_ghosts(&self) -> &[Ghost] {
        &self.found
    }

    /// Starts the open second at `start` (ns).
    pub fn open_second(&mut self, start: i64) {
        self.open.start = start;
    }

    /// A trade received in the open second.
    #[inline]
    pub fn on_trade(&mut self, trade: &Trade) {
        let price = trade.price.raw();
        let size = raw_i64(trade.size.raw());
        let ts = trade.ts_recv.as_i64();
        self.open.on_trade(price, size, trade.aggressor);
        match trade.aggressor {
            AggressorSide::Buy => self.drains[1].on_pressure_trade(ts, size),
            AggressorSide::Sell => self.drains[0].on_pressure_trade(ts, size),
            AggressorSide::Unknown => {}
        }
        self.trade_sizes.push(ts, size);
    }

    /// Closes the second ending at `end` with the book `sample` read at `end` (`None`: the
    /// book was not usable — not synced, one-sided or crossed) on a tick of `tick` raw.
    /// Emits one record when there is a sample. The next second starts at `end`.
    pub fn close_second<S: ToxicitySink + ?Sized>(
        &mut self,
        end: i64,
        sample: Option<BookSample>,
        tick: i64,
        sink: &mut S,
    ) {
        let mut bucket = self.window.blank(end);
        std::mem::swap(&mut bucket, &mut self.open);
        self.trade_sizes.expire(end);
        self.found.clear();
        let Some(sample) = sample else {
            bucket.finish();
            self.window.push(bucket);
            self.ghosts.on_gap();
            self.obi.push(None);
            for detector in &mut self.drains {
                detector.starts(None, self.config.drain_decline);
            }
            self.last_mid = None;
            if let Some(old) = self.previous.take() {
                self.history.recycle(old);
            }
            return;
        };

        // Changes since the previous sample, one second earlier (SPEC 2.5: consecutive
        // samples only; a level that left the sampled window is not a change).
        for changes in &mut self.changes {
            changes.clear();
        }
        if let Some(previous) = self
            .previous
            .as_ref()
            .filter(|previous| previous.ts == end - NANOS_PER_SECOND)
        {
            for side in SIDES {
                let slot = side_index(side);
                super::sample::side_changes(previous, &sample, side, &mut self.changes[slot]);
                bucket.decreases.extend(
                    self.changes[slot]
                        .iter()
                        .filter(|change| change.after < change.before)
                        .map(|change| (slot as u8, change.price, change.before - change.after)),
                );
            }
        }
        bucket.best = [sample.best(BookSide::Bid), sample.best(BookSide::Ask)];
        bucket.finish();
        self.window.push(bucket);

        // Ghosts (confirmed now) and the forward discount of this sample.
        self.found.clear();
        if let Some(flow) = self.window.last() {
            self.ghosts
                .on_sample(&sample, &self.changes, flow, tick, &mut self.found);
        }
        self.ghost_count += self.found.len() as u64;
        let ghosts_bid = self
            .found
            .iter()
            .filter(|ghost| ghost.side == BookSide::Bid)
            .count() as u32;
        let ghosts_ask = self.found.len() as u32 - ghosts_bid;

        let config = &self.config;
        let levels = config.levels;
        let mut shown = self.history.blank(end);
        shown.full = sample.full;
        let mut displayed = [0.0f64; 2];
        let mut discounted = [0.0f64; 2];
        for side in SIDES {
            let slot = side_index(side);
            for (rank, &(price, size)) in sample.levels[slot].iter().enumerate() {
                let under_discount = self.ghosts.has_discounts()
                    && self.ghosts.discounted(side, price_bucket(price, tick), end);
                let value = if under_discount {
                    (size as f64 * config.ghost_discount).round() as i64
                } else {
                    size
                };
                shown.levels[slot].push((price, value));
                if rank < levels {
                    displayed[slot] += size as f64;
                    if under_discount {
                        discounted[slot] += size as f64;
                    }
                }
            }
        }

        // Typical spread and realized volatility (one-second mid log returns).
        let (bid, ask) = (
            sample.best(BookSide::Bid).unwrap_or(0),
            sample.best(BookSide::Ask).unwrap_or(0),
        );
        let spread = ask - bid;
        self.typical_spread.push(spread);
        let mid = sample.mid().unwrap_or(0);
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
        self.history.push(shown);

        // Decay-weighted depth over the current top levels.
        let mut decay = [0.0f64; 2];
        for side in SIDES {
            let slot = side_index(side);
            let top = &sample.levels[slot];
            let best = top.first().map_or(0, |&(price, _)| price);
            for &(price, _) in top.iter().take(levels) {
                let mut lambda =
                    lambda_base * level_factor((price - best).abs() as f64, typical, config.gamma);
                if self.ghosts.offender(side, price_bucket(price, tick), end) {
                    lambda *= 2.0; // SPEC 2.5: repeat offender
                }
                decay[slot] += self
                    .history
                    .weighted(side, price, lambda, end)
                    .unwrap_or(0.0);
            }
            decay[slot] /= UNIT;
        }
        if config.drain_depth == DrainDepth::Raw {
            // SPEC 6 validation baseline: the drain watches the displayed depth as it is.
            decay = [displayed[0] / UNIT, displayed[1] / UNIT];
        }

        // CTR over the active levels of the 10 s window.
        let epsilon = self
            .trade_sizes
            .median_raw()
            .map_or(self.fallback_epsilon, |median| {
                config.epsilon_fraction * median / UNIT
            });
        // The toxic threshold: fixed, or the percentile of the side's EARLIER readings.
        let thresholds: [f64; 2] = [0, 1].map(|slot| {
            config
                .ctr_toxic_percentile
                .filter(|_| {
                    self.ctr_history[slot].len() >= config.ctr_percentile_min_samples as usize
                })
                .and_then(|fraction| self.ctr_history[slot].percentile(fraction))
                .unwrap_or(config.ctr_toxic)
        });
        let ctr: [BookCtr; 2] = SIDES.map(|side| {
            self.window.book_ctr(
                side,
                config.ctr_window_seconds,
                end,
                epsilon,
                thresholds[side_index(side)],
                UNIT,
            )
        });
        if config.ctr_toxic_percentile.is_some() {
            for (history, reading) in self.ctr_history.iter_mut().zip(&ctr) {
                if let Some(ratio) = reading.ratio {
                    history.push(ratio);
                }
            }
        }

        let reading = self.obi.push(sample.imbalance(levels));

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
        for side in SIDES {
            let slot = side_index(side);
            verdicts[slot] = self.drains[slot].resolve(end, config.drain_ratio, UNIT);
            let decline = past
                .filter(|depths| depths[slot] > 0.0)
                .map(|depths| 1.0 - decay[slot] / depths[slot]);
            if self.drains[slot].starts(decline, config.drain_decline) {
                // Bid drains are pressed by taker sells, ask drains by taker buys, both over
                // the same window as the decline (selling before it does not count).
                let (pressure, opposing) = match side {
                    BookSide::Bid => (taker_sell, taker_buy),
                    BookSide::Ask => (taker_buy, taker_sell),
                };
                let passive = self
                    .window
                    .cancelled_side(side, config.drain_window_seconds, end)
                    as f64
                    / UNIT;
                self.drains[slot].pending = Some(PendingDrain {
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
        if let Some(old) = self.previous.replace(sample) {
            self.history.recycle(old);
        }

        sink.on_second(&ToxicitySecond {
            ts: UnixNanos(end),
            ghosts_bid,
            ghosts_ask,
            book_ctr_bid: ctr[0].ratio,
            book_ctr_ask: ctr[1].ratio,
            toxic_levels_bid: ctr[0].toxic_levels,
            toxic_levels_ask: ctr[1].toxic_levels,
            ctr_threshold_bid: thresholds[0],
            ctr_threshold_ask: thresholds[1],
            obi: reading.obi,
            obi_velocity: reading.velocity,
            obi_velocity_std: reading.velocity_std,
            churn: reading.churn,
            depth_bid: displayed[0] / UNIT,
            depth_ask: displayed[1] / UNIT,
            discounted_depth_bid: discounted[0] / UNIT,
            discounted_depth_ask: discounted[1] / UNIT,
            decay_depth_bid: decay[0],
            decay_depth_ask: decay[1],
            lambda_base,
            epsilon,
            absorption,
            drain_bid: verdicts[0],
            drain_ask: verdicts[1],
        });
    }

    /// A spare sample buffer for the next read (no allocation in steady state).
    pub fn blank_sample(&mut self, ts: i64) -> BookSample {
        self.history.blank(ts)
    }
}
