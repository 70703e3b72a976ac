//! Interval bars from trades or from bar events (SPEC 1.5 loader; SPEC 2.1 conventions).
//!
//! - Intervals are `[k × interval, (k+1) × interval)` in UTC nanoseconds (whole minutes for
//!   the default 60 s). Trades are bucketed by `ts_recv`, like the feature engine, so the
//!   loader's one-minute bars equal the engine's.
//! - An interval closes when the first event with `ts_recv` at or after its end arrives
//!   (nothing is known about it before); the last, still open interval is not emitted.
//! - An interval without prices is a bar with no volume whose OHLC and VWAP are the previous
//!   close (SPEC 2.1); intervals before the first price have no bar (`None`).
//! - Buy/sell volume come from the venue's aggressor labels only (no inference here).
//! - Bar events: bars inside one interval are merged into it (sub-interval bars add up); a bar
//!   spanning more than one interval is refused (counted). As in the feature engine, bars are
//!   ignored once a trade was seen, and in bar mode an event stamped exactly at a boundary
//!   stays in the interval it ends, so the bar ending there (ordered last on the replay's tie)
//!   still finds its interval open.

use auction_trader_types::{AggressorSide, Bar, MarketEvent, Price, Quantity, Trade, UnixNanos};
use serde::Serialize;

use crate::FeaturesError;
use crate::side::aggregation::vwap;

/// Longest accepted interval: one day.
pub const MAX_INTERVAL_NANOS: i64 = 86_400 * 1_000_000_000;

/// One closed interval: its bounds and its bar (None before the first price).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClosedInterval {
    pub ts_open: UnixNanos,
    pub ts_close: UnixNanos,
    pub bar: Option<Bar>,
}

/// What the bar builder did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BarBuilderCounters {
    pub trades: u64,
    /// Trades with a non-positive price or size (skipped).
    pub invalid_trades: u64,
    pub bars_used: u64,
    /// Bar events ignored because trades were seen.
    pub bars_ignored: u64,
    /// Bar events refused: inconsistent, or not inside one interval.
    pub bars_refused: u64,
    /// Events received before the open interval (kept in it).
    pub late_events: u64,
    pub intervals: u64,
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

/// Builds interval bars from a time-ordered event stream of one instrument.
#[derive(Debug, Clone)]
pub struct BarBuilder {
    interval: i64,
    /// Start of the open interval; None before the first event.
    start: Option<UnixNanos>,
    open: Accumulator,
    last_close: Option<Price>,
    trades_seen: bool,
    bars_seen: bool,
    counters: BarBuilderCounters,
}

impl BarBuilder {
    /// Bars of `interval_nanos` (0 < interval <= one day).
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
            open: Accumulator::default(),
            last_close: None,
            trades_seen: false,
            bars_seen: false,
            counters: BarBuilderCounters::default(),
        })
    }

    pub fn interval_nanos(&self) -> i64 {
        self.interval
    }

    pub fn counters(&self) -> BarBuilderCounters {
        self.counters
    }

    /// Feeds one event; `closed` receives every interval the event closes, in order, before
    /// the event itself is applied.
    pub fn on_event(&mut self, event: &MarketEvent, closed: &mut impl FnMut(&ClosedInterval)) {
        match event {
            MarketEvent::Bar(bar) => self.on_bar(bar, closed),
            MarketEvent::Trade(trade) => {
                self.trades_seen = true;
                self.advance_to(trade.ts_recv, closed);
                self.on_trade(trade);
            }
            other => {
                let now = other.ts_recv();
                if self.bars_seen && !self.trades_seen {
                    // Bar mode: an event exactly at a boundary stays in the interval it ends.
                    if self.start != Some(now) {
                        self.advance_to(now.saturating_sub_nanos(1), closed);
                    }
                } else {
                    self.advance_to(now, closed);
                }
            }
        }
    }

    /// Closes every interval that ended at or before `now`.
    pub fn advance_to(&mut self, now: UnixNanos, closed: &mut impl FnMut(&ClosedInterval)) {
        let Some(mut start) = self.start else {
            self.start = Some(now.floor_to(self.interval));
            return;
        };
        if now < start {
            self.counters.late_events += 1;
            return;
        }
        while now.as_i64() - start.as_i64() >= self.interval {
            let end = start.saturating_add_nanos(self.interval);
            let interval = self.close(start, end);
            closed(&interval);
            start = end;
            self.start = Some(start);
        }
    }

    fn on_trade(&mut self, trade: &Trade) {
        if !(trade.price.is_positive() && trade.size.is_positive()) {
            self.counters.invalid_trades += 1;
            return;
        }
        self.counters.trades += 1;
        let open = &mut self.open;
        open.add_prices(trade.price, trade.price, trade.price, trade.price);
        let size = trade.size.raw();
        open.volume = open.volume.saturating_add(size);
        open.notional += i128::from(trade.price.raw()) * size;
        match trade.aggressor {
            AggressorSide::Buy => open.buy = open.buy.saturating_add(size),
            AggressorSide::Sell => open.sell = open.sell.saturating_add(size),
            AggressorSide::Unknown => {}
        }
        open.count += 1;
    }

    fn on_bar(&mut self, bar: &Bar, closed: &mut impl FnMut(&ClosedInterval)) {
        if self.trades_seen {
            self.counters.bars_ignored += 1;
            self.advance_to(bar.ts_recv, closed);
            return;
        }
        let first = bar.ts_open.floor_to(self.interval);
        let last = UnixNanos(bar.ts_event.as_i64().saturating_sub(1)).floor_to(self.interval);
        let consistent = [bar.open, bar.high, bar.low, bar.close]
            .iter()
            .all(|price| price.is_positive())
            && bar.low <= bar.open.min(bar.close)
            && bar.high >= bar.open.max(bar.close)
            && !bar.volume.is_negative();
        if !consistent || bar.ts_event <= bar.ts_open || first != last {
            self.counters.bars_refused += 1;
            self.advance_to(bar.ts_recv, closed);
            return;
        }
        match self.start {
            None => self.start = Some(first),
            // Only non-trading events started the clock and no interval closed yet.
            Some(start) if first < start && self.counters.intervals == 0 => {
                self.start = Some(first);
            }
            Some(start) if first < start => self.counters.late_events += 1,
            Some(_) => self.advance_to(first, closed),
        }
        self.bars_seen = true;
        self.counters.bars_used += 1;
        let open = &mut self.open;
        if bar.volume.is_positive() {
            open.add_prices(bar.open, bar.high, bar.low, bar.close);
            let volume = bar.volume.raw();
            open.volume = open.volume.saturating_add(volume);
            let price = if bar.low <= bar.vwap && bar.vwap <= bar.high {
                bar.vwap
            } else {
                bar.close
            };
            open.notional += i128::from(price.raw()) * volume;
            open.buy = open.buy.saturating_add(bar.buy_volume.raw().max(0));
            open.sell = open.sell.saturating_add(bar.sell_volume.raw().max(0));
            open.count = open.count.saturating_add(bar.trade_count);
        }
        if self.start.is_none_or(|start| bar.ts_recv >= start) {
            self.advance_to(bar.ts_recv, closed);
        }
    }

    fn close(&mut self, start: UnixNanos, end: UnixNanos) -> ClosedInterval {
        let open = std::mem::take(&mut self.open);
        self.counters.intervals += 1;
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
            self.last_close.map(|close| Bar {
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
        }
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{NANOS_PER_MINUTE, NANOS_PER_SECOND, TradeId};

    use super::*;
    use crate::test_support::{BASE, bar_event, price, quote, trade, units};

    fn run(interval: i64, events: &[MarketEvent]) -> (Vec<ClosedInterval>, BarBuilderCounters) {
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
        assert_eq!(counters.bars_used, 2);
        // A 1-minute bar cannot be cut into 1-second intervals.
        let (_, counters) = run(
            NANOS_PER_SECOND,
            &[bar_event(0, ["1", "1", "1", "1"], "1", "1", "0", 1)],
        );
        assert_eq!(counters.bars_refused, 1);
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
