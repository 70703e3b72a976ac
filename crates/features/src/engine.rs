//! The streaming feature engine of one instrument (SPEC 2): consumes `MarketEvent`s in
//! `ts_recv` order (replay or live, same interface) and emits a [`FeatureSnapshot`] at every
//! UTC minute close plus every classified trade.
//!
//! Time only moves with the events (or [`FeatureEngine::advance_to`] from a live timer):
//! minute `[M, M+1)` closes when the first event with `ts_recv >= M+1` arrives, so every value
//! of a snapshot depends only on events received before its close. Trades are bucketed into
//! bars by `ts_recv` (the moment the engine knew them). Per-event work is O(1) and allocation
//! free in steady state; per-minute work is bounded by the window sizes.
//!
//! Bar-only input (see `bar_input` for every choice): a `MarketEvent::Bar` inside one UTC
//! minute is added to that minute as if its trades had arrived (OHLC from the bar, volume
//! spread uniformly over the ticks of its range in the profile, order flow from its labels or
//! a tick rule on closes), then the minute closes at the bar's `ts_recv`. Bars are ignored
//! once a trade has been seen (no double counting in mixed streams).

use auction_trader_types::{
    AggressorSide, Bar, Instrument, MarketEvent, Price, Quantity, Quote, Trade, UnixNanos,
};
use serde::Serialize;

use crate::FeaturesError;
use crate::bar_input::{BarFlow, BarTickRule, bar_flow, distribute_volume};
use crate::baselines::{MinuteWindow, SpreadMinute, median, sample_std, typical_spread};
use crate::config::{FeatureConfig, SideInference};
use crate::interval_bars::{Admitted, BarBuilder, ClosedInterval};
use crate::order_flow::{OrderFlowInputs, evaluate, order_flow_norm};
use crate::profile::rolling::{HistogramView, ProfileCounters, ProfileLevels, RollingProfile};
use crate::quotes::{QuoteTracker, TopOfBook};
use crate::side::aggregation::TradeAggregator;
use crate::side::bvc;
use crate::side::classifier::{ClassifiedTrade, SideClassifier};
use crate::snapshot::FeatureSnapshot;

/// Receives what the engine produces.
pub trait FeatureSink {
    /// One snapshot per closed minute (from the first minute with a trade on).
    fn on_snapshot(&mut self, snapshot: &FeatureSnapshot);
    /// Every aggregated, classified trade (event-level values), when it is complete.
    fn on_trade(&mut self, _trade: &ClassifiedTrade) {}
}

impl FeatureSink for Vec<FeatureSnapshot> {
    fn on_snapshot(&mut self, snapshot: &FeatureSnapshot) {
        self.push(snapshot.clone());
    }
}

/// Counters of an engine run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EngineCounters {
    pub events: u64,
    pub quotes: u64,
    pub fills: u64,
    pub aggregated_trades: u64,
    /// Trades with a non-positive price or size (skipped; validation reports them).
    pub invalid_trades: u64,
    /// Events whose `ts_recv` was before the open minute (processed in the open minute).
    pub late_events: u64,
    pub stale_quote_trades: u64,
    pub quote_lookup_misses: u64,
    pub snapshots: u64,
    pub profile: ProfileCounters,
    /// Bars added to their minute (bar-only input).
    pub bars: u64,
    /// Bars ignored because trades were seen (mixed streams: no double counting).
    pub ignored_bars: u64,
    /// Bars with non-positive or inconsistent prices or volumes (skipped).
    pub invalid_bars: u64,
    /// Bars not inside one UTC minute (longer or misaligned; skipped).
    pub unsupported_bars: u64,
    /// Bars without volume (empty minutes: only the clock moves).
    pub empty_bars: u64,
}

/// Order-flow accumulators of the open minute (its OHLCV is the [`BarBuilder`]'s).
#[derive(Debug, Clone, Copy, Default)]
struct MinuteAccumulator {
    /// Volumes by the side used for order flow.
    buy_volume: i128,
    sell_volume: i128,
    unknown_volume: i128,
    /// Volume the quote rule could not classify (labels ignored).
    quote_ambiguous_volume: i128,
    /// ... of which the side did not come from a venue label either.
    effective_ambiguous_volume: i128,
    /// Unlabelled volume left for BVC to split at the close.
    bvc_volume: i128,
    aggregated_trades: u64,
    stale_quote_trades: u64,
    labelled_trades: u64,
    inference_correct: u64,
}

impl MinuteAccumulator {
    /// Adds the order flow of a valid bar of this minute (see `bar_input`): signed as by
    /// `flow`; no quote rule ran on its volume.
    fn add_bar_flow(&mut self, bar: &Bar, flow: &BarFlow) {
        let volume = bar.volume.raw();
        self.buy_volume = self.buy_volume.saturating_add(flow.buy);
        self.sell_volume = self.sell_volume.saturating_add(flow.sell);
        self.unknown_volume = self.unknown_volume.saturating_add(flow.unknown);
        // SPEC 2.3: ambiguous = what the quote rule could not classify: all of a bar.
        self.quote_ambiguous_volume = self.quote_ambiguous_volume.saturating_add(volume);
        self.effective_ambiguous_volume = self
            .effective_ambiguous_volume
            .saturating_add(flow.unlabelled);
        self.bvc_volume = self.bvc_volume.saturating_add(flow.bvc);
    }

    #[inline]
    fn record(&mut self, trade: &ClassifiedTrade, labels_used: bool, bvc: bool) {
        let size = trade.size.raw();
        self.aggregated_trades += 1;
        match trade.side {
            AggressorSide::Buy => self.buy_volume = self.buy_volume.saturating_add(size),
            AggressorSide::Sell => self.sell_volume = self.sell_volume.saturating_add(size),
            AggressorSide::Unknown => {
                self.unknown_volume = self.unknown_volume.saturating_add(size)
            }
        }
        let labelled = labels_used && trade.venue_side != AggressorSide::Unknown;
        if trade.quote_rule == AggressorSide::Unknown {
            self.quote_ambiguous_volume = self.quote_ambiguous_volume.saturating_add(size);
            if !labelled {
                self.effective_ambiguous_volume =
                    self.effective_ambiguous_volume.saturating_add(size);
            }
        }
        if bvc && !labelled {
            self.bvc_volume = self.bvc_volume.saturating_add(size);
        }
        self.stale_quote_trades += u64::from(trade.stale_quote);
        if let Some(correct) = trade.inference_correct() {
            self.labelled_trades += 1;
            self.inference_correct += u64::from(correct);
        }
    }
}

/// The feature engine of one instrument.
#[derive(Debug, Clone)]
pub struct FeatureEngine {
    config: FeatureConfig,
    tick_size: Price,
    /// The minute clock and the minute's OHLCV (the workspace's one bar builder).
    bars: BarBuilder,
    quotes: QuoteTracker,
    aggregator: TradeAggregator,
    classifier: SideClassifier,
    minute: MinuteAccumulator,
    bars_seen: u64,
    bar_tick_rule: BarTickRule,
    returns: MinuteWindow<f64>,
    abs_order_flow: MinuteWindow<i128>,
    spreads: MinuteWindow<SpreadMinute>,
    scratch: Vec<i128>,
    profile: RollingProfile,
    levels: ProfileLevels,
    counters: EngineCounters,
}

impl FeatureEngine {
    /// An engine for an instrument with the given tick size (bins are whole ticks).
    pub fn new(config: &FeatureConfig, tick_size: Price) -> Result<Self, FeaturesError> {
        config.validate()?;
        if !tick_size.is_positive() {
            return Err(FeaturesError::InvalidTickSize(tick_size.to_string()));
        }
        let bvc = config.side_inference == SideInference::Bvc;
        Ok(Self {
            config: config.clone(),
            tick_size,
            bars: BarBuilder::minutes(),
            quotes: QuoteTracker::new(),
            aggregator: TradeAggregator::with_timing(config.quote_timing()),
            classifier: SideClassifier::new(
                config.stale_quote_nanos(),
                config.use_venue_aggressor,
                !bvc,
            ),
            minute: MinuteAccumulator::default(),
            bars_seen: 0,
            bar_tick_rule: BarTickRule::default(),
            returns: MinuteWindow::new(config.sigma_window_minutes as usize),
            abs_order_flow: MinuteWindow::new(config.of_median_minutes as usize),
            spreads: MinuteWindow::new(config.typical_spread_minutes as usize),
            scratch: Vec::with_capacity(config.of_median_minutes as usize),
            profile: RollingProfile::new(config, tick_size),
            levels: ProfileLevels::default(),
            counters: EngineCounters::default(),
        })
    }

    /// An engine for `instrument` (its tick size).
    pub fn for_instrument(
        config: &FeatureConfig,
        instrument: &Instrument,
    ) -> Result<Self, FeaturesError> {
        Self::new(config, instrument.tick_size)
    }

    pub fn config(&self) -> &FeatureConfig {
        &self.config
    }

    pub fn tick_size(&self) -> Price {
        self.tick_size
    }

    pub fn counters(&self) -> EngineCounters {
        let bars = self.bars.counters();
        EngineCounters {
            quote_lookup_misses: self.quotes.lookup_misses,
            profile: self.profile.counters,
            fills: bars.trades,
            invalid_trades: bars.invalid_trades,
            late_events: bars.late_events,
            bars: bars.bars,
            ignored_bars: bars.ignored_bars,
            invalid_bars: bars.invalid_bars,
            unsupported_bars: bars.unsupported_bars,
            empty_bars: bars.empty_bars,
            ..self.counters
        }
    }

    /// The profile computed at the last minute close.
    pub fn profile_levels(&self) -> &ProfileLevels {
        &self.levels
    }

    /// The histogram at the last minute close (dashboard view).
    pub fn histogram(&self) -> Option<HistogramView<'_>> {
        self.profile.histogram()
    }

    /// The most recent quote received.
    pub fn latest_quote(&self) -> Option<&TopOfBook> {
        self.quotes.latest()
    }

    /// Feeds one event (events of this instrument, in `ts_recv` order). Minutes that ended at
    /// or before the event's `ts_recv` are closed first (the bar builder's clock: bar mode
    /// keeps an event stamped exactly at a boundary in the minute it ends, see
    /// `interval_bars`).
    #[inline]
    pub fn on_event(&mut self, event: &MarketEvent, sink: &mut impl FeatureSink) {
        self.counters.events += 1;
        let admitted = self.bars.admit(event);
        self.close_due(sink);
        match (admitted, event) {
            (_, MarketEvent::Quote(quote)) => self.on_quote(quote),
            (Admitted::Trade, MarketEvent::Trade(trade)) => self.on_trade(trade, sink),
            (Admitted::Bar, MarketEvent::Bar(bar)) => self.on_bar(bar, sink),
            // Depth, funding, liquidations and skipped trades or bars only move the clock.
            _ => {}
        }
    }

    /// Bar-only input (see `bar_input`): the builder closed the minutes before the bar's; the
    /// bar's order flow and profile volume join its minute, then the builder closes the minute
    /// when the bar ends it. A late bar is kept in the open minute and counted.
    fn on_bar(&mut self, bar: &Bar, sink: &mut impl FeatureSink) {
        let tick_side = self.bar_tick_rule.classify(bar.close);
        let flow = bar_flow(
            bar,
            self.config.use_venue_aggressor,
            self.config.side_inference == SideInference::Bvc,
            tick_side,
        );
        self.minute.add_bar_flow(bar, &flow);
        let profile = &mut self.profile;
        distribute_volume(
            bar.low,
            bar.high,
            bar.volume,
            self.tick_size.raw(),
            |price, size| profile.add_trade(price, size),
        );
        self.bars.add_bar(bar);
        self.close_due(sink);
    }

    /// Closes every minute that ended at or before `now` (live: call from a timer so quiet
    /// minutes close on time).
    #[inline]
    pub fn advance_to(&mut self, now: UnixNanos, sink: &mut impl FeatureSink) {
        self.bars.advance_to(now);
        self.close_due(sink);
    }

    /// Closes the minutes the bar builder found due.
    #[inline]
    fn close_due(&mut self, sink: &mut impl FeatureSink) {
        while let Some(closed) = self.bars.close_due() {
            self.close_minute(&closed, sink);
        }
    }

    #[inline]
    fn on_quote(&mut self, quote: &Quote) {
        self.counters.quotes += 1;
        self.quotes.on_quote(quote);
    }

    /// A valid trade (the builder checked it): into the minute's bar, profile and order flow.
    #[inline]
    fn on_trade(&mut self, trade: &Trade, sink: &mut impl FeatureSink) {
        self.bars.add_trade(trade);
        self.profile.add_trade(trade.price, trade.size);
        let labels_used = self.config.use_venue_aggressor;
        let bvc = self.config.side_inference == SideInference::Bvc;
        let classifier = &mut self.classifier;
        let minute = &mut self.minute;
        self.aggregator
            .push(trade, &mut self.quotes, &mut |aggregate| {
                let classified = classifier.classify(&aggregate);
                minute.record(&classified, labels_used, bvc);
                sink.on_trade(&classified);
            });
    }

    /// Emits the pending aggregated trade into the open minute.
    fn flush_trades(&mut self, sink: &mut impl FeatureSink) {
        let labels_used = self.config.use_venue_aggressor;
        let bvc = self.config.side_inference == SideInference::Bvc;
        let classifier = &mut self.classifier;
        let minute = &mut self.minute;
        self.aggregator.flush(&mut |aggregate| {
            let classified = classifier.classify(&aggregate);
            minute.record(&classified, labels_used, bvc);
            sink.on_trade(&classified);
        });
    }

    fn close_minute(&mut self, closed: &ClosedInterval, sink: &mut impl FeatureSink) {
        let end = closed.ts_close;
        // A same-timestamp aggregate still open at the close belongs to this minute.
        self.flush_trades(sink);
        let integrals = self.quotes.take_integrals(end);
        self.spreads.push(SpreadMinute {
            area: integrals.spread_area,
            nanos: integrals.spread_nanos,
        });
        let mut minute = std::mem::take(&mut self.minute);
        self.counters.aggregated_trades += minute.aggregated_trades;
        self.counters.stale_quote_trades += minute.stale_quote_trades;

        // SPEC 2.1: an empty minute is a bar with no volume, OHLC = previous close, return 0.
        // Before the first trade there is no close: no bar, no snapshot.
        let Some(mut bar) = closed.bar else {
            return;
        };
        let close = bar.close;
        let log_return = match closed.previous_close {
            Some(previous) if closed.traded && previous.is_positive() => {
                (close.raw() as f64 / previous.raw() as f64).ln()
            }
            _ => 0.0,
        };
        if closed.previous_close.is_some() {
            self.returns.push(log_return);
        }
        let sigma = sample_std(&self.returns);

        if minute.bvc_volume > 0 {
            // SPEC 2.3: BVC only when configured; it splits the unlabelled volume of the bar.
            let (buy, sell) =
                bvc::split_volume(minute.bvc_volume, bvc::buy_fraction(log_return, sigma));
            minute.buy_volume = minute.buy_volume.saturating_add(buy);
            minute.sell_volume = minute.sell_volume.saturating_add(sell);
            minute.unknown_volume = minute.unknown_volume.saturating_sub(minute.bvc_volume);
        }
        let order_flow = minute.buy_volume.saturating_sub(minute.sell_volume);
        // Baseline of the previous minutes, then this minute joins it.
        let median_abs = median(&self.abs_order_flow, &mut self.scratch);
        self.abs_order_flow.push(order_flow.saturating_abs());
        let volume = bar.volume.raw();
        let fraction = |part: i128| {
            if volume > 0 {
                part as f64 / volume as f64
            } else {
                0.0
            }
        };
        let ambiguous_trade_frac_1m = fraction(minute.effective_ambiguous_volume);
        let qimb_mean_1m = integrals.qimb_mean();
        let signals = evaluate(
            &OrderFlowInputs {
                order_flow,
                volume,
                median_abs_order_flow: median_abs,
                qimb_mean: qimb_mean_1m,
                ambiguous_trade_frac: ambiguous_trade_frac_1m,
            },
            &self.config,
        );

        self.bars_seen += 1;
        let warmed_up = self.bars_seen >= u64::from(self.config.profile_window_minutes);
        let prior_profile = self.levels;
        self.levels = self.profile.close_minute(sigma, close, warmed_up);

        // The builder's bar carries the venue labels; the snapshot's sides are the engine's.
        bar.buy_volume = Quantity::from_raw(minute.buy_volume);
        bar.sell_volume = Quantity::from_raw(minute.sell_volume);
        let latest = self.quotes.latest();
        let snapshot = FeatureSnapshot {
            ts: end,
            bar,
            bars_seen: self.bars_seen,
            warmed_up,
            log_return,
            sigma_240: sigma,
            bid_price: latest.map(|quote| quote.bid_price),
            bid_size: latest.map(|quote| quote.bid_size),
            ask_price: latest.map(|quote| quote.ask_price),
            ask_size: latest.map(|quote| quote.ask_size),
            quote_ts_recv: latest.map(|quote| quote.ts_recv),
            spread: latest.and_then(TopOfBook::spread),
            typical_spread: typical_spread(&self.spreads),
            of_1m: Quantity::from_raw(order_flow),
            of_norm: order_flow_norm(order_flow, volume),
            of_abs_median: median_abs.map(|raw| raw / Quantity::ONE.raw() as f64),
            qimb_close: latest.and_then(TopOfBook::qimb),
            qimb_mean_1m,
            signals,
            ambiguous_trade_frac_1m,
            quote_rule_ambiguous_frac_1m: fraction(minute.quote_ambiguous_volume),
            unclassified_volume: Quantity::from_raw(minute.unknown_volume),
            aggregated_trades: minute.aggregated_trades,
            stale_quote_trades: minute.stale_quote_trades,
            labelled_trades: minute.labelled_trades,
            inference_correct: minute.inference_correct,
            profile: self.levels,
            prior_profile,
        };
        self.counters.snapshots += 1;
        sink.on_snapshot(&snapshot);
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{QuoteFlags, TradeId};

    use super::*;
    use crate::config::ValueAreaExpansion;
    use crate::side::bvc::normal_cdf;
    use auction_trader_testkit::offsets::{self, BASE, price, quote, trade, trade_at, units};

    const SECOND: i64 = 1_000_000_000;
    const MINUTE: i64 = 60 * SECOND;

    #[derive(Default)]
    struct Collector {
        snapshots: Vec<FeatureSnapshot>,
        trades: Vec<ClassifiedTrade>,
    }

    impl FeatureSink for Collector {
        fn on_snapshot(&mut self, snapshot: &FeatureSnapshot) {
            self.snapshots.push(snapshot.clone());
        }
        fn on_trade(&mut self, trade: &ClassifiedTrade) {
            self.trades.push(*trade);
        }
    }

    /// A non-trading event that only moves the clock.
    fn tick(at: i64) -> MarketEvent {
        MarketEvent::Funding(auction_trader_types::Funding {
            ts_event: UnixNanos(BASE + at),
            ts_recv: UnixNanos(BASE + at),
            rate: auction_trader_types::Rate::ZERO,
            next_funding_time: UnixNanos(0),
            mark_price: Price::ZERO,
            index_price: Price::ZERO,
        })
    }

    fn run(config: &FeatureConfig, events: &[MarketEvent]) -> Collector {
        let mut engine = FeatureEngine::new(config, price("0.1")).unwrap();
        let mut sink = Collector::default();
        for event in events {
            engine.on_event(event, &mut sink);
        }
        sink
    }

    use AggressorSide::{Buy, Sell, Unknown};

    #[test]
    fn bars_on_utc_minutes_with_an_empty_minute() {
        // Minute 0: 1 @ 100 (buy), 3 @ 102 (sell), 1 @ 101 (buy): O 100 H 102 L 100 C 101,
        //   volume 5, VWAP (100 + 306 + 101) / 5 = 101.4, buy 2, sell 3, 3 prints.
        // Minute 1: no trade -> volume 0, OHLC = VWAP = 101, return 0.
        // Minute 2: 2 @ 103 -> return ln(103 / 101).
        // The event at exactly 3:00 belongs to minute 3 and closes minute 2.
        let sink = run(
            &FeatureConfig::default(),
            &[
                trade(SECOND, "100", "1", Buy),
                trade(2 * SECOND, "102", "3", Sell),
                trade(3 * SECOND, "101", "1", Buy),
                trade(2 * MINUTE + 10 * SECOND, "103", "2", Buy),
                tick(3 * MINUTE),
            ],
        );
        assert_eq!(sink.snapshots.len(), 3);
        let first = &sink.snapshots[0];
        assert_eq!(first.ts, UnixNanos(BASE + MINUTE));
        assert_eq!(
            (first.bar.ts_open, first.bar.ts_event),
            (UnixNanos(BASE), UnixNanos(BASE + MINUTE))
        );
        assert_eq!(
            (
                first.bar.open,
                first.bar.high,
                first.bar.low,
                first.bar.close
            ),
            (price("100"), price("102"), price("100"), price("101"))
        );
        assert_eq!(
            (first.bar.volume, first.bar.vwap, first.bar.trade_count),
            (units("5"), price("101.4"), 3)
        );
        assert_eq!(
            (first.bar.buy_volume, first.bar.sell_volume),
            (units("2"), units("3"))
        );
        assert_eq!(first.of_1m, units("-1"));
        assert_eq!(first.of_norm, Some(-0.2));
        assert_eq!(first.log_return, 0.0);
        assert_eq!(first.sigma_240, None);
        let empty = &sink.snapshots[1];
        assert_eq!(
            (
                empty.bar.open,
                empty.bar.high,
                empty.bar.low,
                empty.bar.close,
                empty.bar.vwap
            ),
            (
                price("101"),
                price("101"),
                price("101"),
                price("101"),
                price("101")
            )
        );
        assert_eq!(
            (empty.bar.volume, empty.bar.trade_count, empty.log_return),
            (Quantity::ZERO, 0, 0.0)
        );
        assert_eq!(empty.of_norm, None);
        let third = &sink.snapshots[2];
        let expected_return = (103.0_f64 / 101.0).ln();
        assert!((third.log_return - expected_return).abs() < 1e-12);
        // sigma over returns [0 (missing bar), ln(103/101)]: sample std of two values is
        // |a − b| / √2 = 0.0196104 / 1.4142136 = 0.0138667.
        let sigma = third.sigma_240.unwrap();
        assert!((sigma - expected_return / 2_f64.sqrt()).abs() < 1e-12);
        assert_eq!(third.bars_seen, 3);
    }

    #[test]
    fn quotes_give_spread_qimb_and_confirmation() {
        // Minute 0: quote 100 × 3 / 101 × 1 from 0 s (spread 1, qimb 0.5), quote 100 × 1 /
        // 102 × 1 from 30 s (spread 2, qimb 0). Trade 1 @ 102 at 40 s: >= ask -> buy.
        //   spread mean (1 × 30 + 2 × 30) / 60 = 1.5; qimb mean (0.5 × 30 + 0 × 30) / 60 = 0.25
        //   -> aligned buy; OF +1, OF_norm 1 -> initiative buy; confirmed buy.
        // Minute 1: trade 1 @ 101 = mid of 100/102 -> quote rule ambiguous -> tick rule: down
        //   from 102 -> sell. ambiguous_trade_frac 1.0 > 35% -> dual confirmation: initiative
        //   sell (OF_norm −1) but qimb mean 0 -> not confirmed. Typical spread over both
        //   minutes (90 + 120) / 120 = 1.75.
        let sink = run(
            &FeatureConfig::default(),
            &[
                quote(0, "100", "3", "101", "1"),
                quote(30 * SECOND, "100", "1", "102", "1"),
                trade(40 * SECOND, "102", "1", Unknown),
                trade(MINUTE + 5 * SECOND, "101", "1", Unknown),
                tick(2 * MINUTE),
            ],
        );
        let first = &sink.snapshots[0];
        assert_eq!(first.spread, Some(price("2")));
        assert_eq!(first.typical_spread, Some(price("1.5")));
        assert_eq!(
            (first.qimb_mean_1m, first.qimb_close),
            (Some(0.25), Some(0.0))
        );
        assert_eq!(
            (first.bid_price, first.ask_size),
            (Some(price("100")), Some(units("1")))
        );
        assert!(
            first.signals.initiative_buy
                && first.signals.qimb_aligned_buy
                && first.signals.confirmed_buy
        );
        assert!(!first.signals.dual_confirmation);
        assert_eq!(first.ambiguous_trade_frac_1m, 0.0);
        let second = &sink.snapshots[1];
        assert_eq!(second.bar.sell_volume, units("1"));
        assert_eq!(
            (
                second.ambiguous_trade_frac_1m,
                second.quote_rule_ambiguous_frac_1m
            ),
            (1.0, 1.0)
        );
        assert!(second.signals.dual_confirmation && second.signals.initiative_sell);
        assert!(!second.signals.confirmed_sell);
        assert_eq!(second.typical_spread, Some(price("1.75")));
        assert_eq!(sink.trades.len(), 2);
        assert_eq!(
            (sink.trades[1].quote_rule, sink.trades[1].tick_rule),
            (Unknown, Sell)
        );
    }

    #[test]
    fn venue_labels_trade_and_zero_the_ambiguous_fraction() {
        // Quote 100/102; a labelled sell at the mid 101: the label trades (sell volume 2), the
        // effective ambiguous fraction is 0 (SPEC 2.3), the quote-rule-alone fraction is 1,
        // and the inference (tick rule: first trade -> unclassified) is scored wrong.
        let sink = run(
            &FeatureConfig::default(),
            &[
                quote(0, "100", "1", "102", "1"),
                trade(SECOND, "101", "2", Sell),
                tick(MINUTE),
            ],
        );
        let snapshot = &sink.snapshots[0];
        assert_eq!(snapshot.bar.sell_volume, units("2"));
        assert_eq!(
            (
                snapshot.ambiguous_trade_frac_1m,
                snapshot.quote_rule_ambiguous_frac_1m
            ),
            (0.0, 1.0)
        );
        assert_eq!(
            (snapshot.labelled_trades, snapshot.inference_correct),
            (1, 0)
        );
        assert!(!snapshot.signals.dual_confirmation);
    }

    #[test]
    fn initiative_against_the_median_of_previous_minutes() {
        // OF per minute (labelled): m0 +2 of 20 (norm 0.1), m1 +2 of 40, m2 +4 of 44, m3 −3 of 43.
        // m0: no baseline, norm 0.1 < 0.2 -> no initiative.
        // m1: median(2) = 2 -> 2 < 2 × 2 -> no.  m2: median(2, 2) = 2 -> 4 >= 4 -> buy.
        // m3: median(2, 2, 4) = 2 -> 3 < 4 -> no.
        let minutes = [("11", "9"), ("21", "19"), ("24", "20"), ("20", "23")];
        let mut events = Vec::new();
        for (index, (buy, sell)) in minutes.iter().enumerate() {
            let at = index as i64 * MINUTE;
            events.push(trade(at + SECOND, "100", buy, Buy));
            events.push(trade(at + 2 * SECOND, "100", sell, Sell));
        }
        events.push(tick(4 * MINUTE));
        let sink = run(&FeatureConfig::default(), &events);
        let medians: Vec<_> = sink
            .snapshots
            .iter()
            .map(|snapshot| snapshot.of_abs_median)
            .collect();
        assert_eq!(medians, vec![None, Some(2.0), Some(2.0), Some(2.0)]);
        let initiative: Vec<_> = sink
            .snapshots
            .iter()
            .map(|snapshot| snapshot.signals.initiative_buy)
            .collect();
        assert_eq!(initiative, vec![false, false, true, false]);
        assert!(
            sink.snapshots
                .iter()
                .all(|snapshot| !snapshot.signals.initiative_sell)
        );
    }

    #[test]
    fn warm_up_validity_and_the_prior_profile() {
        // Window 3 minutes, min 1 bin: bars 1 and 2 are not warmed up, bar 3 is; each
        // snapshot's prior_profile is the previous snapshot's profile (SPEC 2.2: bar t is
        // judged against the profile computed at the close of bar t − 1).
        let config = FeatureConfig {
            profile_window_minutes: 3,
            min_profile_bins: 1,
            ..FeatureConfig::default()
        };
        let mut events = Vec::new();
        for (index, level) in ["100", "100.5", "101", "100.2"].iter().enumerate() {
            events.push(trade(index as i64 * MINUTE + SECOND, level, "1", Buy));
        }
        events.push(tick(4 * MINUTE));
        let sink = run(&config, &events);
        let warmed: Vec<_> = sink
            .snapshots
            .iter()
            .map(|snapshot| snapshot.warmed_up)
            .collect();
        assert_eq!(warmed, vec![false, false, true, true]);
        let valid: Vec<_> = sink
            .snapshots
            .iter()
            .map(|snapshot| snapshot.profile.valid)
            .collect();
        assert_eq!(valid, vec![false, false, true, true]);
        assert_eq!(sink.snapshots[0].prior_profile, ProfileLevels::default());
        for pair in sink.snapshots.windows(2) {
            assert_eq!(pair[1].prior_profile, pair[0].profile);
        }
        // Bar 4's window is minutes 2-4 (100.5, 101, 100.2): the 100 of minute 1 expired.
        assert_eq!(sink.snapshots[3].profile.volume, units("3"));
    }

    #[test]
    fn snapshots_start_with_the_first_trade_but_spreads_count_before() {
        // Quotes only in minutes 0 and 1 (spread 1 for 120 s); first trade in minute 2.
        let sink = run(
            &FeatureConfig::default(),
            &[
                quote(0, "100", "1", "101", "1"),
                quote(MINUTE + SECOND, "100", "1", "101", "1"),
                trade(2 * MINUTE + SECOND, "101", "1", Unknown),
                tick(3 * MINUTE),
            ],
        );
        assert_eq!(sink.snapshots.len(), 1);
        assert_eq!(sink.snapshots[0].ts, UnixNanos(BASE + 3 * MINUTE));
        assert_eq!(sink.snapshots[0].typical_spread, Some(price("1")));
        assert_eq!(sink.snapshots[0].bars_seen, 1);
    }

    #[test]
    fn bvc_splits_unlabelled_volume_by_the_standardized_return() {
        // Closes 100, 101, 100 (10 units unlabelled each minute).
        // m0: first bar, σ undefined -> half/half: 5 / 5.
        // m1: one return only -> σ undefined -> 5 / 5.
        // m2: returns r1 = ln 1.01, r2 = −r1: mean 0, σ = sqrt(2 r1² / 1) = √2 r1;
        //     z = r2 / σ = −1/√2 -> buy share Φ(−0.7071) = 0.23975 -> 2.3975 buy of 10.
        let config = FeatureConfig {
            side_inference: SideInference::Bvc,
            ..FeatureConfig::default()
        };
        let sink = run(
            &config,
            &[
                trade(SECOND, "100", "10", Unknown),
                trade(MINUTE + SECOND, "101", "10", Unknown),
                trade(2 * MINUTE + SECOND, "100", "10", Unknown),
                tick(3 * MINUTE),
            ],
        );
        assert_eq!(sink.snapshots[0].bar.buy_volume, units("5"));
        assert_eq!(sink.snapshots[1].bar.sell_volume, units("5"));
        let last = &sink.snapshots[2];
        let share = normal_cdf(-std::f64::consts::FRAC_1_SQRT_2);
        assert!((share - 0.239_750).abs() < 1e-5);
        let expected_buy = (10e9 * share).round() as i128;
        assert!((last.bar.buy_volume.raw() - expected_buy).abs() <= 1);
        assert_eq!(
            last.bar.buy_volume.raw() + last.bar.sell_volume.raw(),
            10_000_000_000
        );
        assert_eq!(last.unclassified_volume, Quantity::ZERO);
        // Trades still carry the quote/tick inference, but trade with side Unknown.
        assert!(sink.trades.iter().all(|trade| trade.side == Unknown));
    }

    #[test]
    fn an_open_aggregate_is_closed_with_its_minute() {
        // Two fills share exchange time 59.9 s; one arrives at 59.95 s, the other at 60.05 s.
        // The first forms minute 0's aggregate (flushed at the close); the second is a new
        // aggregate in minute 1.
        let at = 59 * SECOND + 900_000_000;
        let sink = run(
            &FeatureConfig::default(),
            &[
                trade_at(at, at + 50_000_000, "100", "1", Buy),
                trade_at(at, at + 150_000_000, "100", "1", Buy),
                tick(2 * MINUTE),
            ],
        );
        assert_eq!(sink.snapshots[0].aggregated_trades, 1);
        assert_eq!(sink.snapshots[1].aggregated_trades, 1);
        assert_eq!(sink.trades.len(), 2);
    }

    #[test]
    fn same_timestamp_fills_are_classified_once() {
        // Quote 100/101. Three fills at one exchange time (2 @ 101, 2 @ 101.2, 1 @ 100):
        // one aggregated trade of 5, VWAP (202 + 202.4 + 100) / 5 = 100.88 -> inside
        // the spread nearer the ask (101) -> buy.
        let sink = run(
            &FeatureConfig::default(),
            &[
                quote(0, "100", "1", "101", "1"),
                trade_at(SECOND, SECOND, "101", "2", Unknown),
                trade_at(SECOND, SECOND + 1, "101.2", "2", Unknown),
                trade_at(SECOND, SECOND + 2, "100", "1", Unknown),
                tick(MINUTE),
            ],
        );
        assert_eq!(sink.trades.len(), 1);
        assert_eq!(
            (
                sink.trades[0].price,
                sink.trades[0].size,
                sink.trades[0].fills
            ),
            (price("100.88"), units("5"), 3)
        );
        assert_eq!(sink.trades[0].side, Buy);
        let snapshot = &sink.snapshots[0];
        assert_eq!(
            (snapshot.aggregated_trades, snapshot.bar.trade_count),
            (1, 3)
        );
        assert_eq!(snapshot.bar.buy_volume, units("5"));
    }

    #[test]
    fn stale_quotes_are_counted_per_minute() {
        // Quote at 0 s; trade at the ask 1 s later -> classified buy with a 1 s old quote.
        let sink = run(
            &FeatureConfig::default(),
            &[
                quote(0, "100", "1", "101", "1"),
                trade(SECOND, "101", "1", Unknown),
                tick(MINUTE),
            ],
        );
        assert_eq!(sink.snapshots[0].stale_quote_trades, 1);
        assert_eq!(sink.snapshots[0].bar.buy_volume, units("1"));
    }

    #[test]
    fn late_events_are_counted_and_kept_in_the_open_minute() {
        let mut engine = FeatureEngine::new(&FeatureConfig::default(), price("0.1")).unwrap();
        let mut sink = Collector::default();
        engine.on_event(&trade(MINUTE + SECOND, "100", "1", Buy), &mut sink);
        engine.on_event(&trade(SECOND, "99", "1", Buy), &mut sink);
        engine.on_event(&tick(2 * MINUTE), &mut sink);
        assert_eq!(engine.counters().late_events, 1);
        assert_eq!(sink.snapshots.len(), 1);
        assert_eq!(sink.snapshots[0].bar.volume, units("2"));
        assert_eq!(sink.snapshots[0].bar.close, price("99"));
    }

    proptest::proptest! {
        /// Arbitrary event sequences (crossed and one-sided quotes, zero and negative sizes,
        /// gaps, late events) never panic, and every snapshot is internally consistent.
        #[test]
        fn arbitrary_streams_keep_snapshot_invariants(
            steps in proptest::collection::vec(
                (0_u8..4, -2 * SECOND..90 * SECOND, -2_i64..60, -1_i64..6, 0_u8..3, 0_i64..60, 0_i64..60),
                1..300,
            ),
            two_bin: bool,
        ) {
            let config = FeatureConfig {
                profile_window_minutes: 5,
                sigma_window_minutes: 5,
                of_median_minutes: 5,
                min_profile_bins: 3,
                value_area_expansion: if two_bin { ValueAreaExpansion::TwoBin } else { ValueAreaExpansion::SingleBin },
                ..FeatureConfig::default()
            };
            let mut engine = FeatureEngine::new(&config, price("0.5")).unwrap();
            let mut sink = Collector::default();
            let mut clock = 0_i64;
            for (kind, step, level, size, side, bid_size, ask_size) in steps {
                clock += step;
                let at = BASE + clock;
                let value = Price::from_raw(level * 500_000_000 + 100 * 1_000_000_000);
                let event = match kind {
                    0 | 1 => MarketEvent::Trade(Trade {
                        ts_event: UnixNanos(at - (step % 3)),
                        ts_recv: UnixNanos(at),
                        price: value,
                        size: Quantity::from_raw(i128::from(size) * 1_000_000),
                        aggressor: [Buy, Sell, Unknown][usize::from(side)],
                        trade_id: TradeId(0),
                    }),
                    2 => MarketEvent::Quote(Quote {
                        ts_event: UnixNanos(at),
                        ts_recv: UnixNanos(at),
                        bid_price: value,
                        bid_size: Quantity::from_raw(i128::from(bid_size)),
                        ask_price: Price::from_raw(value.raw() + (ask_size - 20) * 100_000_000),
                        ask_size: Quantity::from_raw(i128::from(ask_size)),
                        update_id: 0,
                        flags: QuoteFlags(side % 2),
                    }),
                    _ => tick(clock),
                };
                engine.on_event(&event, &mut sink);
            }
            for pair in sink.snapshots.windows(2) {
                proptest::prop_assert_eq!(pair[1].prior_profile, pair[0].profile);
                proptest::prop_assert_eq!(pair[1].ts.as_i64() - pair[0].ts.as_i64(), MINUTE);
            }
            for snapshot in &sink.snapshots {
                let bar = snapshot.bar;
                proptest::prop_assert!(bar.low <= bar.open && bar.open <= bar.high);
                proptest::prop_assert!(bar.low <= bar.close && bar.close <= bar.high);
                proptest::prop_assert_eq!(
                    bar.volume.raw(),
                    bar.buy_volume.raw() + bar.sell_volume.raw() + snapshot.unclassified_volume.raw()
                );
                proptest::prop_assert!((0.0..=1.0).contains(&snapshot.ambiguous_trade_frac_1m));
                proptest::prop_assert!(snapshot.ambiguous_trade_frac_1m <= snapshot.quote_rule_ambiguous_frac_1m);
                proptest::prop_assert!(snapshot.sigma_240.is_none_or(|sigma| sigma.is_finite() && sigma >= 0.0));
                if let (Some(val), Some(poc), Some(vah)) = (snapshot.profile.val, snapshot.profile.poc, snapshot.profile.vah) {
                    proptest::prop_assert!(val <= poc && poc < vah);
                }
                proptest::prop_assert!(!snapshot.profile.valid || snapshot.warmed_up);
            }
        }
    }

    #[test]
    fn rejects_bad_construction() {
        assert!(matches!(
            FeatureEngine::new(&FeatureConfig::default(), Price::ZERO),
            Err(FeaturesError::InvalidTickSize(_))
        ));
        let config = FeatureConfig {
            qimb_min: 2.0,
            ..FeatureConfig::default()
        };
        assert!(FeatureEngine::new(&config, price("0.1")).is_err());
    }

    /// A bar of the minute starting `minute` minutes after BASE, known at its close (no VWAP,
    /// no trade count).
    fn bar_event(minute: i64, ohlc: [&str; 4], volume: &str, buy: &str, sell: &str) -> MarketEvent {
        MarketEvent::Bar(Bar {
            sell_volume: units(sell),
            ..offsets::bar(minute, ohlc, volume, "0", buy, 0)
        })
    }

    fn run_with_engine(
        config: &FeatureConfig,
        events: &[MarketEvent],
    ) -> (FeatureEngine, Collector) {
        let mut engine = FeatureEngine::new(config, price("0.1")).unwrap();
        let mut sink = Collector::default();
        for event in events {
            engine.on_event(event, &mut sink);
        }
        (engine, sink)
    }

    #[test]
    fn bars_close_their_minutes_like_trades() {
        // m0: O 100 H 102 L 99 C 101, 4 units, no labels: first bar -> tick rule undecided ->
        //   4 unclassified; quote rule never ran -> both ambiguous fractions 1.0.
        //   VWAP = typical (102 + 99 + 101) / 3 = 100.666666666 (raw floor).
        // m1: C 103 > 101 -> uptick: the whole 2 units buy; OF +2, OF_norm 1 -> initiative buy,
        //   but ambiguous 1.0 > 0.35 -> dual confirmation, qimb None -> not confirmed.
        // m2: no bar -> empty minute at 103, return 0.   m3: C 103 unchanged -> still buy.
        let (engine, sink) = run_with_engine(
            &FeatureConfig::default(),
            &[
                bar_event(0, ["100", "102", "99", "101"], "4", "0", "0"),
                bar_event(1, ["101", "103.5", "100.5", "103"], "2", "0", "0"),
                bar_event(3, ["103", "103", "103", "103"], "1", "0", "0"),
            ],
        );
        assert_eq!(sink.snapshots.len(), 4);
        assert!(sink.trades.is_empty());
        let first = &sink.snapshots[0];
        assert_eq!(first.ts, UnixNanos(BASE + MINUTE));
        assert_eq!(
            (
                first.bar.open,
                first.bar.high,
                first.bar.low,
                first.bar.close
            ),
            (price("100"), price("102"), price("99"), price("101"))
        );
        assert_eq!(
            (first.bar.volume, first.bar.vwap, first.bar.trade_count),
            (units("4"), Price::from_raw(100_666_666_666), 0)
        );
        assert_eq!(first.unclassified_volume, units("4"));
        assert_eq!(
            (
                first.ambiguous_trade_frac_1m,
                first.quote_rule_ambiguous_frac_1m
            ),
            (1.0, 1.0)
        );
        assert_eq!(first.profile.volume, units("4"));
        assert_eq!(
            (first.bid_price, first.typical_spread, first.qimb_mean_1m),
            (None, None, None)
        );
        let second = &sink.snapshots[1];
        assert_eq!(
            (second.bar.buy_volume, second.of_1m),
            (units("2"), units("2"))
        );
        assert!((second.log_return - (103.0_f64 / 101.0).ln()).abs() < 1e-12);
        assert!(second.signals.initiative_buy && second.signals.dual_confirmation);
        // No quote exists in bar-only data: `confirm_without_quotes` (default) lets the
        // initiative alone confirm; SPEC 2.4 as written would never confirm here.
        assert!(second.signals.confirmed_buy);
        assert_eq!(second.profile.volume, units("6"));
        let empty = &sink.snapshots[2];
        assert_eq!(
            (empty.bar.volume, empty.bar.close, empty.log_return),
            (Quantity::ZERO, price("103"), 0.0)
        );
        assert_eq!(sink.snapshots[3].bar.buy_volume, units("1"));
        // sigma over returns [ln(103/101), 0, 0]: defined from the second return on.
        assert!(sink.snapshots[3].sigma_240.is_some_and(|sigma| sigma > 0.0));
        let counters = engine.counters();
        assert_eq!(
            (counters.bars, counters.snapshots, counters.late_events),
            (3, 4, 0)
        );
    }

    #[test]
    fn bar_labels_sign_the_flow_and_set_the_ambiguous_share() {
        // 5 units, labelled buy 3 / sell 1: 1 unit unlabelled, first bar -> unclassified.
        // Ambiguous = 1 / 5 = 0.2 <= 0.35 -> single confirmation; OF +2, norm 0.4 -> confirmed.
        let events = [bar_event(0, ["100", "101", "100", "101"], "5", "3", "1")];
        let (_, sink) = run_with_engine(&FeatureConfig::default(), &events);
        let snapshot = &sink.snapshots[0];
        assert_eq!(
            (
                snapshot.bar.buy_volume,
                snapshot.bar.sell_volume,
                snapshot.unclassified_volume
            ),
            (units("3"), units("1"), units("1"))
        );
        assert!((snapshot.ambiguous_trade_frac_1m - 0.2).abs() < 1e-12);
        assert_eq!(snapshot.quote_rule_ambiguous_frac_1m, 1.0);
        assert!(!snapshot.signals.dual_confirmation && snapshot.signals.confirmed_buy);
        // Labels off: the whole bar is inferred (undecided on the first bar) -> ambiguous 1.
        let config = FeatureConfig {
            use_venue_aggressor: false,
            ..FeatureConfig::default()
        };
        let (_, sink) = run_with_engine(&config, &events);
        assert_eq!(sink.snapshots[0].ambiguous_trade_frac_1m, 1.0);
        assert_eq!(sink.snapshots[0].unclassified_volume, units("5"));
    }

    #[test]
    fn bar_volume_is_spread_over_the_ticks_of_its_range() {
        // Window 1 minute, min 1 bin, tick 0.1: a bar 100 .. 100.4 of 5 units puts 1 unit on
        // each of 5 ticks; no sigma yet -> 1-tick bins -> 5 bins, VA 70% = 3.5 -> POC + 3 more.
        let config = FeatureConfig {
            profile_window_minutes: 1,
            min_profile_bins: 1,
            ..FeatureConfig::default()
        };
        let (_, sink) = run_with_engine(
            &config,
            &[bar_event(
                0,
                ["100", "100.4", "100", "100.2"],
                "5",
                "0",
                "0",
            )],
        );
        let profile = sink.snapshots[0].profile;
        assert!(profile.valid);
        assert_eq!((profile.volume, profile.bins_spanned), (units("5"), 5));
        assert_eq!(profile.bin_width, Some(price("0.1")));
    }

    #[test]
    fn bars_are_ignored_once_trades_were_seen() {
        let (engine, sink) = run_with_engine(
            &FeatureConfig::default(),
            &[
                trade(SECOND, "100", "1", Buy),
                bar_event(0, ["100", "100", "100", "100"], "7", "0", "0"),
                tick(2 * MINUTE),
            ],
        );
        assert_eq!(sink.snapshots[0].bar.volume, units("1"));
        assert_eq!(
            (engine.counters().ignored_bars, engine.counters().bars),
            (1, 0)
        );
    }

    #[test]
    fn a_quote_at_the_bar_close_is_the_close_quote() {
        // LEAN-like: the quote bar and the trade bar of minute 0 both arrive at 1:00 (quote
        // first on the tie). The trade bar still lands in minute 0, and the 1:00 quote is the
        // quote at its close. Minute 1 likewise; no late events.
        let (engine, sink) = run_with_engine(
            &FeatureConfig::default(),
            &[
                quote(MINUTE, "100", "3", "101", "1"),
                bar_event(0, ["100", "101", "100", "100.5"], "2", "0", "0"),
                quote(2 * MINUTE, "101", "1", "102", "1"),
                bar_event(1, ["100.5", "102", "100.5", "101.5"], "2", "0", "0"),
            ],
        );
        assert_eq!(sink.snapshots.len(), 2);
        assert_eq!(engine.counters().late_events, 0);
        assert_eq!(
            (
                sink.snapshots[0].bar.volume,
                sink.snapshots[0].bid_price,
                sink.snapshots[0].qimb_close
            ),
            (units("2"), Some(price("100")), Some(0.5))
        );
        assert_eq!(sink.snapshots[1].bid_price, Some(price("101")));
        // Minute 1 was quoted 100/101 all minute: spread 1, qimb 0.5.
        assert_eq!(sink.snapshots[1].qimb_mean_1m, Some(0.5));
    }

    #[test]
    fn sub_minute_bars_add_up_and_long_bars_are_refused() {
        // Two 30 s bars: O 100 (first) C 99.5 (last), H 101, L 99.5, volume 3, VWAP from the
        // bars' own VWAPs (100.5 × 1 + 100 × 2) / 3 = 100.1666666666... -> 100.166666667.
        let half = |offset: i64, ohlc: [&str; 4], volume: &str, vwap: &str| {
            let start = BASE + offset;
            MarketEvent::Bar(Bar {
                ts_open: UnixNanos(start),
                ts_event: UnixNanos(start + 30 * SECOND),
                ts_recv: UnixNanos(start + 30 * SECOND),
                open: price(ohlc[0]),
                high: price(ohlc[1]),
                low: price(ohlc[2]),
                close: price(ohlc[3]),
                volume: units(volume),
                vwap: price(vwap),
                buy_volume: Quantity::ZERO,
                sell_volume: Quantity::ZERO,
                trade_count: 4,
            })
        };
        let five_minutes = MarketEvent::Bar(Bar {
            ts_open: UnixNanos(BASE + MINUTE),
            ts_event: UnixNanos(BASE + 6 * MINUTE),
            ts_recv: UnixNanos(BASE + 6 * MINUTE),
            open: price("100"),
            high: price("100"),
            low: price("100"),
            close: price("100"),
            volume: units("9"),
            vwap: price("100"),
            buy_volume: Quantity::ZERO,
            sell_volume: Quantity::ZERO,
            trade_count: 0,
        });
        let (engine, sink) = run_with_engine(
            &FeatureConfig::default(),
            &[
                half(0, ["100", "101", "100", "101"], "1", "100.5"),
                half(30 * SECOND, ["101", "101", "99.5", "99.5"], "2", "100"),
                five_minutes,
            ],
        );
        let bar = sink.snapshots[0].bar;
        assert_eq!(
            (
                bar.open,
                bar.high,
                bar.low,
                bar.close,
                bar.volume,
                bar.trade_count
            ),
            (
                price("100"),
                price("101"),
                price("99.5"),
                price("99.5"),
                units("3"),
                8
            )
        );
        assert_eq!(bar.vwap, Price::from_raw(100_166_666_667));
        // m0: first bar undecided (1 unknown), second closes lower -> 2 sell.
        assert_eq!(
            (bar.sell_volume, sink.snapshots[0].unclassified_volume),
            (units("2"), units("1"))
        );
        assert_eq!(engine.counters().unsupported_bars, 1);
        // The refused bar still moved the clock: minutes 1 .. 5 closed empty.
        assert_eq!(sink.snapshots.len(), 6);
    }

    #[test]
    fn bvc_splits_bar_volume_at_the_close() {
        // Same closes as the trade BVC test (100, 101, 100; 10 units each): identical splits.
        let config = FeatureConfig {
            side_inference: SideInference::Bvc,
            ..FeatureConfig::default()
        };
        let (_, sink) = run_with_engine(
            &config,
            &[
                bar_event(0, ["100", "100", "100", "100"], "10", "0", "0"),
                bar_event(1, ["101", "101", "101", "101"], "10", "0", "0"),
                bar_event(2, ["100", "100", "100", "100"], "10", "0", "0"),
            ],
        );
        assert_eq!(sink.snapshots[0].bar.buy_volume, units("5"));
        let last = &sink.snapshots[2];
        let expected_buy = (10e9 * normal_cdf(-std::f64::consts::FRAC_1_SQRT_2)).round() as i128;
        assert!((last.bar.buy_volume.raw() - expected_buy).abs() <= 1);
        assert_eq!(last.unclassified_volume, Quantity::ZERO);
        assert_eq!(last.ambiguous_trade_frac_1m, 1.0);
    }

    #[test]
    fn bad_bars_are_counted_and_skipped() {
        let (engine, sink) = run_with_engine(
            &FeatureConfig::default(),
            &[
                bar_event(0, ["100", "99", "98", "100"], "1", "0", "0"),
                bar_event(1, ["100", "100", "100", "100"], "0", "0", "0"),
            ],
        );
        assert!(sink.snapshots.is_empty());
        let counters = engine.counters();
        assert_eq!(
            (counters.invalid_bars, counters.empty_bars, counters.bars),
            (1, 1, 0)
        );
    }

    proptest::proptest! {
        /// Arbitrary bar streams (misaligned, long, inconsistent, labelled, mixed with quotes
        /// and trades) never panic and keep the snapshot invariants.
        #[test]
        fn arbitrary_bar_streams_keep_snapshot_invariants(
            steps in proptest::collection::vec(
                (0_u8..6, 0_i64..3, -2_i64..40, 0_i64..8, 0_i64..8, -1_i64..20, 0_i64..10, 0_i64..10, 1_i64..70),
                1..200,
            ),
            bvc: bool,
        ) {
            let config = FeatureConfig {
                profile_window_minutes: 5,
                sigma_window_minutes: 5,
                of_median_minutes: 5,
                min_profile_bins: 3,
                side_inference: if bvc { SideInference::Bvc } else { SideInference::QuoteTick },
                ..FeatureConfig::default()
            };
            let mut engine = FeatureEngine::new(&config, price("0.5")).unwrap();
            let mut sink = Collector::default();
            let mut minute = 0_i64;
            for (kind, advance, level, up, down, volume, buy, sell, seconds) in steps {
                minute += advance;
                let start = BASE + minute * MINUTE;
                let low = Price::from_raw(100_000_000_000 + level * 250_000_000);
                let high = Price::from_raw(low.raw() + up * 250_000_000);
                let event = match kind {
                    0..=3 => MarketEvent::Bar(Bar {
                        ts_open: UnixNanos(start + if kind == 3 { 30 * SECOND } else { 0 }),
                        ts_event: UnixNanos(start + seconds * SECOND),
                        ts_recv: UnixNanos(start + seconds * SECOND),
                        open: Price::from_raw(low.raw() + down.min(up) * 250_000_000),
                        high,
                        low,
                        close: Price::from_raw(high.raw() - down * 250_000_000),
                        volume: Quantity::from_raw(i128::from(volume) * 1_000_000),
                        vwap: Price::ZERO,
                        buy_volume: Quantity::from_raw(i128::from(buy) * 1_000_000),
                        sell_volume: Quantity::from_raw(i128::from(sell) * 1_000_000),
                        trade_count: 0,
                    }),
                    4 => quote(minute * MINUTE + seconds * SECOND, "100", "1", "101", "2"),
                    _ => trade(minute * MINUTE + seconds * SECOND, "100", "1", Buy),
                };
                engine.on_event(&event, &mut sink);
            }
            for pair in sink.snapshots.windows(2) {
                proptest::prop_assert_eq!(pair[1].ts.as_i64() - pair[0].ts.as_i64(), MINUTE);
            }
            for snapshot in &sink.snapshots {
                let bar = snapshot.bar;
                proptest::prop_assert!(bar.low <= bar.open && bar.open <= bar.high);
                proptest::prop_assert!(bar.low <= bar.close && bar.close <= bar.high);
                proptest::prop_assert_eq!(
                    bar.volume.raw(),
                    bar.buy_volume.raw() + bar.sell_volume.raw() + snapshot.unclassified_volume.raw()
                );
                proptest::prop_assert!(snapshot.ambiguous_trade_frac_1m <= snapshot.quote_rule_ambiguous_frac_1m);
                proptest::prop_assert!(snapshot.log_return.is_finite());
                proptest::prop_assert!(!snapshot.profile.valid || snapshot.warmed_up);
            }
        }
    }
}
