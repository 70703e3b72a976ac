//! The one bar builder of the workspace (SPEC 2.1 bars, SPEC 1.5 loader bars): the feature
//! engine's one-minute bars, the research loader's interval bars and the research library's
//! per-minute feature state all close their intervals here, so they cannot drift apart.
//!
//! - [`IntervalClock`]: the interval boundaries. Intervals are `[k × interval, (k+1) ×
//!   interval)` in UTC nanoseconds; the first event opens its interval, and interval `[M, M+1)`
//!   closes when the first event with `ts_recv >= M+1` arrives (SPEC 2: a value at t depends
//!   only on events received before t). An event before the open interval is late (kept in it).
//! - [`BarBuilder`]: the clock plus the OHLCV of the open interval, from trades (bucketed by
//!   `ts_recv`) or from bar events (bar-only data, see `bar_input`): an interval without
//!   prices is a bar with no volume whose OHLC and VWAP are the previous close (SPEC 2.1);
//!   intervals before the first price have no bar. Bar events are ignored once a trade was
//!   seen (bars are derived from trades), and in bar mode a non-trade event stamped exactly at
//!   a boundary stays in the interval it ends, so the bar ending there (ordered last on the
//!   replay's tie) still finds its interval open.
//!
//! A consumer with its own per-interval state (the feature engine's order flow and profile)
//! drives the builder in steps: [`BarBuilder::admit`] moves the clock target for an event and
//! says what to apply, [`BarBuilder::close_due`] hands out the intervals that closed (one at a
//! time, so the consumer can close its own state in between), then [`BarBuilder::add_trade`]
//! or [`BarBuilder::add_bar`] applies the event. [`BarBuilder::on_event`] does all three.

use auction_trader_types::{Bar, MarketEvent, Price, Quantity, Trade, UnixNanos};
use serde::Serialize;

use crate::FeaturesError;
use crate::bar_input::{BarRejection, bar_interval, bar_vwap};
use crate::side::aggregation::vwap;

/// Longest accepted interval: one day.
pub const MAX_INTERVAL_NANOS: i64 = 86_400 * 1_000_000_000;

/// Interval boundaries driven by event times (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntervalClock {
    interval: i64,
    /// Start of the open interval; None before the first event.
    start: Option<UnixNanos>,
}

impl IntervalClock {
    /// A clock of `interval_nanos` (0 < interval <= one day).
    pub fn new(interval_nanos: i64) -> Result<Self, FeaturesError> {
        if !(1..=MAX_INTERVAL_NANOS).contains(&interval_nanos) {
            return Err(FeaturesError::InvalidConfig {
                field: "bar_interval",
                reason: format!("must be 1 ns ..= 1 day, got {interval_nanos} ns"),
            });
        }
        Ok(Self {
            interval: interval_nanos,
            start: None,
        })
    }

    /// A one-minute clock.
    pub const fn minutes() -> Self {
        Self {
            interval: auction_trader_types::NANOS_PER_MINUTE,
            start: None,
        }
    }

    pub fn interval_nanos(&self) -> i64 {
        self.interval
    }

    /// Start of the open interval; None before the first event.
    pub fn open_start(&self) -> Option<UnixNanos> {
        self.start
    }

    /// Restarts the clock at `start` (the first bar of a stream whose earlier events were
    /// stamped later, see [`BarBuilder::admit`]).
    fn restart(&mut self, start: UnixNanos) {
        self.start = Some(start.floor_to(self.interval));
    }

    /// Opens the first interval at `now` when none is open; true when it did (nothing closes).
    fn open_at(&mut self, now: UnixNanos) -> bool {
        if self.start.is_none() {
            self.start = Some(now.floor_to(self.interval));
            return true;
        }
        false
    }

    /// Whether `now` is before the open interval (a late event).
    pub fn is_late(&self, now: UnixNanos) -> bool {
        self.start.is_some_and(|start| now < start)
    }

    /// Closes the open interval when it ended at or before `now`: returns its `(start, end)`
    /// and opens the next. Call until `None` to close every interval due; the first call
    /// opens the first interval (and closes nothing).
    pub fn close_next(&mut self, now: UnixNanos) -> Option<(UnixNanos, UnixNanos)> {
        if self.open_at(now) {
            return None;
        }
        let start = self.start?;
        if now.as_i64().saturating_sub(start.as_i64()) < self.interval {
            return None;
        }
        let end = start.saturating_add_nanos(self.interval);
        self.start = Some(end);
        Some((start, end))
    }
}

/// One closed interval: its bounds, its bar (None before the first price) and whether it had
/// prices of its own (trades or a bar; an empty interval's bar repeats the previous close).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClosedInterval {
    pub ts_open: UnixNanos,
    pub ts_close: UnixNanos,
    pub bar: Option<Bar>,
    pub traded: bool,
    /// The close of the previous bar (None before the first).
    pub previous_close: Option<Price>,
}

/// What the bar builder did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BarCounters {
    /// Valid trades added.
    pub trades: u64,
    /// Trades with a non-positive price or size (skipped).
    pub invalid_trades: u64,
    /// Bar events added to their interval.
    pub bars: u64,
    /// Bar events ignored because trades were seen (no double counting in mixed streams).
    pub ignored_bars: u64,
    /// Bar events with non-positive or inconsistent prices or volumes (skipped).
    pub invalid_bars: u64,
    /// Bar events not inside one interval (longer or misaligned; skipped).
    pub unsupported_bars: u64,
    /// Bar events without volume (empty intervals: only the clock moves).
    pub empty_bars: u64,
    /// Events received before the open interval (kept in it).
    pub late_events: u64,
    pub intervals: u64,
}

/// What [`BarBuilder::admit`] found an event to be; apply it after [`BarBuilder::close_due`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admitted {
    /// A valid trade: apply with [`BarBuilder::add_trade`].
    Trade,
    /// A valid bar of the open interval: apply with [`BarBuilder::add_bar`].
    Bar,
    /// Nothing to add (quotes, depth, funding, ..., skipped trades and bars): only the clock.
    ClockOnly,
}

#[derive(Debug, Clone, Copy, Default)]
struct Accumulator {
    priced: bool,
    open: Price,
    high: Price,
    low: Price,
    close: Price,
    volume: i128,
    notional: i128,
    buy: i128,
    sell: i128,
    count: u64,
}

impl Accumulator {
    fn add_prices(&mut self, open: Price, high: Price, low: Price, close: Price) {
        if self.priced {
            self.high = self.high.max(high);
            self.low = self.low.min(low);
        } else {
            (self.open, self.high, self.low) = (open, high, low);
            self.priced = true;
        }
        self.close = close;
    }
}

/// Builds interval bars from a time-ordered event stream of one instrument (module doc).
#[derive(Debug, Clone)]
pub struct BarBuilder {
    clock: IntervalClock,
    /// Where the clock must move before the admitted event is applied.
    target: Option<UnixNanos>,
    open: Accumulator,
    last_close: Option<Price>,
    trades_seen: bool,
    counters: BarCounters,
}

impl BarBuilder {
    /// Bars of `interval_nanos` (0 < interval <= one day).
    pub fn new(interval_nanos: i64) -> Result<Self, FeaturesError> {
        Ok(Self::with_clock(IntervalClock::new(interval_nanos)?))
    }

    /// One-minute bars (SPEC 2.1).
    pub fn minutes() -> Self {
        Self::with_clock(IntervalClock::minutes())
    }

    fn with_clock(clock: IntervalClock) -> Self {
        Self {
            clock,
            target: None,
            open: Accumulator::default(),
            last_close: None,
            trades_seen: false,
            counters: BarCounters::default(),
        }
    }

    pub fn interval_nanos(&self) -> i64 {
        self.clock.interval_nanos()
    }

    pub fn counters(&self) -> BarCounters {
        self.counters
    }

    /// Start of the open interval; None before the first event.
    pub fn open_start(&self) -> Option<UnixNanos> {
        self.clock.open_start()
    }

    /// Feeds one event; `closed` receives every interval the event closes, in order (those
    /// before the event is applied, then, for a bar event, the interval it ends).
    pub fn on_event(&mut self, event: &MarketEvent, closed: &mut impl FnMut(&ClosedInterval)) {
        let admitted = self.admit(event);
        while let Some(interval) = self.close_due() {
            closed(&interval);
        }
        match (admitted, event) {
            (Admitted::Trade, MarketEvent::Trade(trade)) => self.add_trade(trade),
            (Admitted::Bar, MarketEvent::Bar(bar)) => {
                self.add_bar(bar);
                while let Some(interval) = self.close_due() {
                    closed(&interval);
                }
            }
            _ => {}
        }
    }

    /// Step 1: moves the clock target for `event` (close every interval due with
    /// [`Self::close_due`] next) and says whether the event adds to the open interval.
    pub fn admit(&mut self, event: &MarketEvent) -> Admitted {
        match event {
            MarketEvent::Bar(bar) => self.admit_bar(bar),
            MarketEvent::Trade(trade) => {
                self.trades_seen = true;
                self.advance_to(trade.ts_recv);
                if trade.price.is_positive() && trade.size.is_positive() {
                    Admitted::Trade
                } else {
                    self.counters.invalid_trades += 1;
                    Admitted::ClockOnly
                }
            }
            other => {
                let now = other.ts_recv();
                if self.counters.bars > 0 && !self.trades_seen {
                    // Bar mode: an event exactly at a boundary stays in the interval it ends.
                    if self.clock.open_start() != Some(now) {
                        self.advance_to(now.saturating_sub_nanos(1));
                    }
                } else {
                    self.advance_to(now);
                }
                Admitted::ClockOnly
            }
        }
    }

    fn admit_bar(&mut self, bar: &Bar) -> Admitted {
        if self.trades_seen {
            self.counters.ignored_bars += 1;
            self.advance_to(bar.ts_recv);
            return Admitted::ClockOnly;
        }
        let first = match bar_interval(bar, self.clock.interval_nanos()) {
            Ok(first) => first,
            Err(rejection) => {
                match rejection {
                    BarRejection::Invalid => self.counters.invalid_bars += 1,
                    BarRejection::NotWithinInterval => self.counters.unsupported_bars += 1,
                    BarRejection::Empty => self.counters.empty_bars += 1,
                }
                self.advance_to(bar.ts_recv);
                return Admitted::ClockOnly;
            }
        };
        match self.clock.open_start() {
            None => self.clock.restart(first),
            // Only non-trading events started the clock (e.g. a quote stamped at this bar's
            // close, ordered first on the tie): no interval had prices, so the clock restarts
            // at the bar's interval.
            Some(start) if first < start && self.last_close.is_none() && !self.open.priced => {
                self.clock.restart(first);
            }
            Some(start) if first < start => self.counters.late_events += 1,
            Some(_) => self.advance_to(first),
        }
        Admitted::Bar
    }

    /// Moves the clock target to `now` (a live timer: quiet intervals close on time); an
    /// event before the open interval is counted late and moves nothing.
    pub fn advance_to(&mut self, now: UnixNanos) {
        if self.clock.is_late(now) {
            self.counters.late_events += 1;
            return;
        }
        self.target = Some(now);
    }

    /// Step 2: the next interval the target closes (call until `None`).
    pub fn close_due(&mut self) -> Option<ClosedInterval> {
        let now = self.target?;
        match self.clock.close_next(now) {
            Some((start, end)) => Some(self.close(start, end)),
            None => {
                self.target = None;
                None
            }
        }
    }

    /// Step 3 for [`Admitted::Trade`]: adds a valid trade to the open interval.
    pub fn add_trade(&mut self, trade: &Trade) {
        self.counters.trades += 1;
        let open = &mut self.open;
        open.add_prices(trade.price, trade.price, trade.price, trade.price);
        let size = trade.size.raw();
        open.volume = open.volume.saturating_add(size);
        open.notional += i128::from(trade.price.raw()) * size;
        match trade.aggressor {
            auction_trader_types::AggressorSide::Buy => open.buy = open.buy.saturating_add(size),
            auction_trader_types::AggressorSide::Sell => open.sell = open.sell.saturating_add(size),
            auction_trader_types::AggressorSide::Unknown => {}
        }
        open.count += 1;
    }

    /// Step 3 for [`Admitted::Bar`]: adds a valid bar to the open interval (OHLC merged in
    /// arrival order, volume at the bar's VWAP, its venue buy/sell labels) and moves the clock
    /// target to the bar's `ts_recv` (closing the interval when the bar ends it); call
    /// [`Self::close_due`] again after it.
    pub fn add_bar(&mut self, bar: &Bar) {
        self.counters.bars += 1;
        let open = &mut self.open;
        open.add_prices(bar.open, bar.high, bar.low, bar.close);
        let volume = bar.volume.raw();
        open.volume = open.volume.saturating_add(volume);
        open.notional += i128::from(bar_vwap(bar).raw()) * volume;
        open.buy = open.buy.saturating_add(bar.buy_volume.raw());
        open.sell = open.sell.saturating_add(bar.sell_volume.raw());
        open.count = open.count.saturating_add(bar.trade_count);
        // A late bar must not count as late twice: move the clock only when it is ahead.
        if self
            .clock
            .open_start()
            .is_none_or(|start| bar.ts_recv >= start)
        {
            self.advance_to(bar.ts_recv);
        }
    }

    fn close(&mut self, start: UnixNanos, end: UnixNanos) -> ClosedInterval {
        let open = std::mem::take(&mut self.open);
        self.counters.intervals += 1;
        let previous_close = self.last_close;
        let bar = if open.priced {
            self.last_close = Some(open.close);
            Some(Bar {
                ts_open: start,
                ts_event: end,
                ts_recv: end,
                open: open.open,
                high: open.high,
                low: open.low,
                close: open.close,
                volume: Quantity::from_raw(open.volume),
                vwap: if open.volume > 0 {
                    vwap(open.notional, open.volume)
                } else {
                    open.close
                },
                buy_volume: Quantity::from_raw(open.buy),
                sell_volume: Quantity::from_raw(open.sell),
                trade_count: open.count,
            })
        } else {
            // SPEC 2.1: no trades -> no volume, OHLC = previous close.
            previous_close.map(|close| Bar {
                ts_open: start,
                ts_event: end,
                ts_recv: end,
                open: close,
                high: close,
                low: close,
                close,
                volume: Quantity::ZERO,
                vwap: close,
                buy_volume: Quantity::ZERO,
                sell_volume: Quantity::ZERO,
                trade_count: 0,
            })
        };
        ClosedInterval {
            ts_open: start,
            ts_close: end,
            bar,
            traded: open.priced,
            previous_close,
        }
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{AggressorSide, NANOS_PER_MINUTE, NANOS_PER_SECOND, TradeId};

    use super::*;
    use auction_trader_testkit::offsets::{BASE, bar_event, price, quote, trade, units};

    fn run(interval: i64, events: &[MarketEvent]) -> (Vec<ClosedInterval>, BarCounters) {
        let mut builder = BarBuilder::new(interval).unwrap();
        let mut out = Vec::new();
        for event in events {
            builder.on_event(event, &mut |interval| out.push(*interval));
        }
        (out, builder.counters())
    }

    #[test]
    fn minute_bars_from_trades_with_an_empty_minute() {
        // m0: 1 @ 100 buy, 3 @ 102 sell, 1 @ 101 unlabelled -> O 100 H 102 L 100 C 101,
        //   volume 5, VWAP 507 / 5 = 101.4, buy 1, sell 3, 3 trades.
        // m1: empty -> OHLC 101, volume 0.   m2: 2 @ 103; closed by the trade at 3:00.
        use AggressorSide::{Buy, Sell, Unknown};
        let (out, counters) = run(
            NANOS_PER_MINUTE,
            &[
                trade(NANOS_PER_SECOND, "100", "1", Buy),
                trade(2 * NANOS_PER_SECOND, "102", "3", Sell),
                trade(3 * NANOS_PER_SECOND, "101", "1", Unknown),
                trade(2 * NANOS_PER_MINUTE + 1, "103", "2", Buy),
                trade(3 * NANOS_PER_MINUTE, "104", "1", Buy),
            ],
        );
        assert_eq!(out.len(), 3);
        let first = out[0].bar.unwrap();
        assert_eq!(
            (first.open, first.high, first.low, first.close),
            (price("100"), price("102"), price("100"), price("101"))
        );
        assert_eq!(
            (
                first.volume,
                first.vwap,
                first.buy_volume,
                first.sell_volume,
                first.trade_count
            ),
            (units("5"), price("101.4"), units("1"), units("3"), 3)
        );
        assert_eq!(
            (out[0].ts_open, out[0].ts_close),
            (UnixNanos(BASE), UnixNanos(BASE + NANOS_PER_MINUTE))
        );
        let empty = out[1].bar.unwrap();
        assert_eq!(
            (empty.open, empty.close, empty.volume),
            (price("101"), price("101"), Quantity::ZERO)
        );
        assert_eq!(out[2].bar.unwrap().close, price("103"));
        assert_eq!((counters.trades, counters.intervals), (5, 3));
    }

    #[test]
    fn intervals_before_the_first_price_have_no_bar() {
        // A quote at 0 starts the clock; the first trade is in second 2 (1 s bars).
        let (out, _) = run(
            NANOS_PER_SECOND,
            &[
                quote(0, "100", "1", "101", "1"),
                trade(2 * NANOS_PER_SECOND + 5, "100", "1", AggressorSide::Buy),
                quote(3 * NANOS_PER_SECOND, "100", "1", "101", "1"),
            ],
        );
        assert_eq!(out.len(), 3);
        assert!(out[0].bar.is_none() && out[1].bar.is_none());
        assert_eq!(out[2].bar.unwrap().volume, units("1"));
    }

    #[test]
    fn bar_events_pass_through_and_merge_into_longer_intervals() {
        // Two 1-minute bars into one 2-minute interval: O 100, H 103, L 99, C 102, volume
        // 1 + 3 = 4, VWAP (100.5 × 1 + 102 × 3) / 4 = 101.625, buy 2, counts 5 + 7.
        let (out, counters) = run(
            2 * NANOS_PER_MINUTE,
            &[
                bar_event(0, ["100", "101", "99", "101"], "1", "100.5", "1", 5),
                bar_event(1, ["101", "103", "101", "102"], "3", "102", "1", 7),
            ],
        );
        assert_eq!(out.len(), 1);
        let bar = out[0].bar.unwrap();
        assert_eq!(
            (bar.open, bar.high, bar.low, bar.close, bar.volume, bar.vwap),
            (
                price("100"),
                price("103"),
                price("99"),
                price("102"),
                units("4"),
                price("101.625")
            )
        );
        assert_eq!((bar.buy_volume, bar.trade_count), (units("2"), 12));
        assert_eq!(counters.bars, 2);
        // A 1-minute bar cannot be cut into 1-second intervals.
        let (_, counters) = run(
            NANOS_PER_SECOND,
            &[bar_event(0, ["1", "1", "1", "1"], "1", "1", "0", 1)],
        );
        assert_eq!(counters.unsupported_bars, 1);
    }

    #[test]
    fn a_boundary_quote_does_not_close_the_bar_interval() {
        let (out, counters) = run(
            NANOS_PER_MINUTE,
            &[
                quote(NANOS_PER_MINUTE, "100", "1", "101", "1"),
                bar_event(0, ["100", "101", "99", "100"], "2", "100", "0", 1),
                quote(2 * NANOS_PER_MINUTE, "100", "1", "101", "1"),
                bar_event(1, ["100", "101", "99", "101"], "2", "100", "0", 1),
            ],
        );
        assert_eq!(out.len(), 2);
        assert!(
            out.iter()
                .all(|interval| interval.bar.is_some_and(|bar| bar.volume == units("2")))
        );
        assert_eq!(counters.late_events, 0);
    }

    #[test]
    fn rejects_bad_intervals_and_skips_bad_trades() {
        assert!(BarBuilder::new(0).is_err());
        assert!(BarBuilder::new(MAX_INTERVAL_NANOS + 1).is_err());
        let bad = MarketEvent::Trade(Trade {
            ts_event: UnixNanos(BASE),
            ts_recv: UnixNanos(BASE),
            price: Price::ZERO,
            size: units("1"),
            aggressor: AggressorSide::Buy,
            trade_id: TradeId(0),
        });
        let (_, counters) = run(NANOS_PER_MINUTE, &[bad]);
        assert_eq!((counters.invalid_trades, counters.trades), (1, 0));
    }
}

/// The feature engine's minute bars are this builder's on real data (trades with quotes, and
/// bar-only), apart from the order-flow sides the engine infers. Skips when the files are absent.
#[cfg(test)]
mod real_data_tests {
    use auction_trader_data::CollectedEvents;
    use auction_trader_data::import::bars_csv::{BarLabel, OhlcvOptions, import_ohlcv_file};
    use auction_trader_testkit::{
        NAUTILUS_BTC_PERP_MONTH, busiest_instrument, load_bitflyer_days, replay_order, shared_data,
    };
    use auction_trader_types::{InstrumentKey, MarketKind, StreamKind};

    use super::*;
    use crate::{FeatureConfig, FeatureEngine, FeatureSnapshot};

    fn assert_engine_bars_are_the_builders(events: &[MarketEvent], tick: Price) -> usize {
        let mut engine = FeatureEngine::new(&FeatureConfig::default(), tick).unwrap();
        let mut snapshots: Vec<FeatureSnapshot> = Vec::new();
        let mut builder = BarBuilder::minutes();
        let mut built = Vec::new();
        for event in events {
            engine.on_event(event, &mut snapshots);
            builder.on_event(event, &mut |closed| built.extend(closed.bar));
        }
        assert_eq!(snapshots.len(), built.len());
        for (snapshot, bar) in snapshots.iter().zip(&built) {
            let engine_bar = Bar {
                buy_volume: bar.buy_volume,
                sell_volume: bar.sell_volume,
                ..snapshot.bar
            };
            assert_eq!(&engine_bar, bar);
        }
        let engine = engine.counters();
        let counters = builder.counters();
        assert_eq!(
            (engine.fills, engine.bars, engine.late_events),
            (counters.trades, counters.bars, counters.late_events)
        );
        built.len()
    }

    #[test]
    fn bitflyer_days_and_the_nautilus_month() {
        if let Some(collected) = load_bitflyer_days(&["20180122", "20180123"]) {
            let slot = busiest_instrument(&collected, StreamKind::Trade).unwrap();
            let bars = assert_engine_bars_are_the_builders(
                &replay_order(&collected, slot),
                Price::from_raw(1_000_000_000),
            );
            assert_eq!(bars, 2_880);
        }
        if let Some(path) = shared_data(NAUTILUS_BTC_PERP_MONTH) {
            let key = InstrumentKey::new("ftx", "BTC-PERP", MarketKind::Perpetual);
            let options = OhlcvOptions {
                label: BarLabel::Close,
                ..OhlcvOptions::default()
            };
            let mut sink = CollectedEvents::new();
            import_ohlcv_file(&path, &key, &options, &mut sink).unwrap();
            let events: Vec<MarketEvent> = sink.events.iter().map(|tagged| tagged.event).collect();
            let bars = assert_engine_bars_are_the_builders(&events, Price::from_raw(1_000_000_000));
            assert_eq!(bars, 45_031);
        }
    }
}
