//! Shadow mode (SPEC 7): the paper engine runs on the live events while a second engine, the
//! backtest of the same recorded data (each event as the raw journal recorded it, the
//! backtest's simulated exchange, no gate of its own beyond the operator's), runs beside it.
//! Signals must agree on time, setup and side; fills on side and size, price within
//! `price_ticks` ticks and time within `time_ms`. A divergence is counted and alerted; the
//! session keeps running.

use std::collections::VecDeque;

use auction_trader_types::{Price, UnixNanos};

use crate::recorder::{FillKey, SignalKey};

/// One disagreement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Divergence {
    Signal(String),
    Fill(String),
}

/// Pairs paper and backtest records in order within the tolerances.
#[derive(Debug)]
pub struct ShadowComparator {
    tick: Price,
    price_ticks: i64,
    time_nanos: i64,
    paper_signals: VecDeque<SignalKey>,
    backtest_signals: VecDeque<SignalKey>,
    paper_fills: VecDeque<FillKey>,
    backtest_fills: VecDeque<FillKey>,
    pub matched_signals: u64,
    pub matched_fills: u64,
    pub signal_divergences: u64,
    pub fill_divergences: u64,
}

impl ShadowComparator {
    pub fn new(tick: Price, price_ticks: u32, time_ms: u32) -> Self {
        Self {
            tick,
            price_ticks: i64::from(price_ticks),
            time_nanos: i64::from(time_ms) * 1_000_000,
            paper_signals: VecDeque::new(),
            backtest_signals: VecDeque::new(),
            paper_fills: VecDeque::new(),
            backtest_fills: VecDeque::new(),
            matched_signals: 0,
            matched_fills: 0,
            signal_divergences: 0,
            fill_divergences: 0,
        }
    }

    pub fn add(
        &mut self,
        paper: (Vec<SignalKey>, Vec<FillKey>),
        backtest: (Vec<SignalKey>, Vec<FillKey>),
    ) {
        self.paper_signals.extend(paper.0);
        self.paper_fills.extend(paper.1);
        self.backtest_signals.extend(backtest.0);
        self.backtest_fills.extend(backtest.1);
    }

    fn signals_agree(&self, a: &SignalKey, b: &SignalKey) -> bool {
        a.setup == b.setup
            && a.direction == b.direction
            && (a.ts.0 - b.ts.0).abs() <= self.time_nanos
    }

    fn fills_agree(&self, a: &FillKey, b: &FillKey) -> bool {
        a.side == b.side
            && a.quantity == b.quantity
            && (a.ts.0 - b.ts.0).abs() <= self.time_nanos
            && (a.price.raw() - b.price.raw()).abs() <= self.price_ticks * self.tick.raw()
    }

    /// Compares what can be compared at `now` (a record unmatched for longer than the time
    /// tolerance is a divergence); returns the divergences found.
    pub fn compare(&mut self, now: UnixNanos) -> Vec<Divergence> {
        let mut found = Vec::new();
        let horizon = now.0.saturating_sub(self.time_nanos);
        loop {
            match (
                self.paper_signals.front().copied(),
                self.backtest_signals.front().copied(),
            ) {
                (Some(paper), Some(backtest)) => {
                    self.paper_signals.pop_front();
                    self.backtest_signals.pop_front();
                    if self.signals_agree(&paper, &backtest) {
                        self.matched_signals += 1;
                    } else {
                        self.signal_divergences += 1;
                        let (paper_setup, paper_direction) = paper.names();
                        let (backtest_setup, backtest_direction) = backtest.names();
                        found.push(Divergence::Signal(format!(
                            "paper signal {paper_setup} {paper_direction} at {} vs backtest \
                             {backtest_setup} {backtest_direction} at {}",
                            paper.ts, backtest.ts
                        )));
                    }
                }
                (Some(only), None) | (None, Some(only)) if only.ts.0 < horizon => {
                    let paper_side = self.paper_signals.pop_front().is_some();
                    if !paper_side {
                        self.backtest_signals.pop_front();
                    }
                    self.signal_divergences += 1;
                    let (setup, direction) = only.names();
                    found.push(Divergence::Signal(format!(
                        "{} signal {setup} {direction} at {} has no counterpart",
                        if paper_side { "paper" } else { "backtest" },
                        only.ts
                    )));
                }
                _ => break,
            }
        }
        loop {
            match (
                self.paper_fills.front().copied(),
                self.backtest_fills.front().copied(),
            ) {
                (Some(paper), Some(backtest)) => {
                    self.paper_fills.pop_front();
                    self.backtest_fills.pop_front();
                    if self.fills_agree(&paper, &backtest) {
                        self.matched_fills += 1;
                    } else {
                        self.fill_divergences += 1;
                        found.push(Divergence::Fill(format!(
                            "paper fill {} {} @ {} at {} vs backtest {} {} @ {} at {}",
                            paper.side.as_str(),
                            paper.quantity,
                            paper.price,
                            paper.ts,
                            backtest.side.as_str(),
                            backtest.quantity,
                            backtest.price,
                            backtest.ts
                        )));
                    }
                }
                (Some(only), None) | (None, Some(only)) if only.ts.0 < horizon => {
                    let paper_side = self.paper_fills.pop_front().is_some();
                    if !paper_side {
                        self.backtest_fills.pop_front();
                    }
                    self.fill_divergences += 1;
                    found.push(Divergence::Fill(format!(
                        "{} fill {} {} @ {} at {} has no counterpart",
                        if paper_side { "paper" } else { "backtest" },
                        only.side.as_str(),
                        only.quantity,
                        only.price,
                        only.ts
                    )));
                }
                _ => break,
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_strategy::{Direction, SetupKind};
    use auction_trader_types::{OrderSide, Quantity};

    use super::*;

    const SECOND: i64 = 1_000_000_000;

    fn fill(ts: i64, price: i64) -> FillKey {
        FillKey {
            ts: UnixNanos(ts),
            side: OrderSide::Buy,
            price: Price::from_raw(price),
            quantity: Quantity::from_raw(5),
        }
    }

    fn signal(ts: i64, direction: Direction) -> SignalKey {
        SignalKey {
            ts: UnixNanos(ts),
            setup: Some(SetupKind::Drain),
            direction: Some(direction),
        }
    }

    #[test]
    fn fills_within_a_tick_and_a_second_agree_others_diverge() {
        // Tick 0.1 = 100,000,000 raw.
        let tick = 100_000_000;
        let mut shadow = ShadowComparator::new(Price::from_raw(tick), 1, 1000);
        shadow.add(
            (
                vec![signal(0, Direction::Long)],
                vec![fill(0, 1000 * tick), fill(10 * SECOND, 1000 * tick)],
            ),
            (
                vec![signal(SECOND, Direction::Long)],
                vec![fill(SECOND, 1001 * tick), fill(10 * SECOND, 1002 * tick)],
            ),
        );
        let found = shadow.compare(UnixNanos(11 * SECOND));
        assert_eq!(shadow.matched_signals, 1);
        // 1 tick and 1 s apart: equal; 2 ticks apart: a divergence.
        assert_eq!(shadow.matched_fills, 1);
        assert_eq!(shadow.fill_divergences, 1);
        assert_eq!(found.len(), 1);
        assert!(matches!(&found[0], Divergence::Fill(text) if text.contains("vs backtest")));
    }

    #[test]
    fn a_record_without_counterpart_diverges_after_the_time_tolerance() {
        let mut shadow = ShadowComparator::new(Price::from_raw(1), 1, 1000);
        shadow.add(
            (vec![signal(0, Direction::Short)], Vec::new()),
            (Vec::new(), Vec::new()),
        );
        assert!(shadow.compare(UnixNanos(SECOND / 2)).is_empty());
        let found = shadow.compare(UnixNanos(2 * SECOND));
        assert_eq!(found.len(), 1);
        assert_eq!(shadow.signal_divergences, 1);
    }
}
