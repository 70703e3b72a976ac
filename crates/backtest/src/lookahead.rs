//! The look-ahead audit of SPEC 6: re-run a strategy on the same data truncated at random
//! points; every decision made before a cut must be identical to the full run's.
//!
//! - **Cuts** fall between two events with different receive times (a cut never splits events
//!   of one timestamp, which a causal engine may see together); the truncated run replays every
//!   event up to and including the cut time `T`. They are drawn from `seed` with the stable
//!   FNV-1a hash (no generator state, the same cuts on every platform).
//! - **Decisions** are the strategy's signal records, the orders as submitted (id, time, side,
//!   kind, purpose, limit price, quantity: not their later status or filled size) and the
//!   fills; those stamped at or before `T` are compared. A decision stamped at or before `T`
//!   that changes when later data is added was made with data from after `T`: look-ahead. The
//!   end-of-data handling of the truncated run acts after `T` and is not compared.
//! - A strategy that reads the data it is given one event ahead decides differently at the
//!   last event before a cut (the next event is absent there): it is caught.

use auction_trader_analytics::{FillRecord, RunRecords};
use auction_trader_strategy::SignalRecord;
use auction_trader_types::{
    Instrument, MarketEvent, OrderPurpose, OrderSide, OrderType, Price, Quantity, UnixNanos,
    fnv1a_64,
};

use crate::config::BacktestConfig;
use crate::error::BacktestError;
use crate::runner::{BacktestResult, run_backtest};

/// An order as the strategy and engine decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderDecision {
    pub order_id: u64,
    pub ts_submit: UnixNanos,
    pub side: OrderSide,
    pub kind: OrderType,
    pub purpose: OrderPurpose,
    pub limit_price: Option<Price>,
    pub quantity: Quantity,
}

/// Every decision of one run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decisions {
    pub signals: Vec<SignalRecord>,
    pub orders: Vec<OrderDecision>,
    pub fills: Vec<FillRecord>,
}

impl Decisions {
    /// The decisions of a run's records and signal log.
    pub fn of_records(records: &RunRecords, signals: &[SignalRecord]) -> Self {
        Self {
            signals: signals.to_vec(),
            orders: records
                .orders
                .iter()
                .map(|order| OrderDecision {
                    order_id: order.order_id,
                    ts_submit: order.ts_submit,
                    side: order.side,
                    kind: order.kind,
                    purpose: order.purpose,
                    limit_price: order.limit_price,
                    quantity: order.quantity,
                })
                .collect(),
            fills: records.fills.clone(),
        }
    }

    /// The decisions of a run without its end-of-data flatten: the engine's `finish` closes a
    /// trade still open at the last event with a market exit stamped at that event's time,
    /// which is the cut time `T` of a truncated run; it is the truncation's doing, not a
    /// decision made with the data (module doc: end-of-data handling is not compared).
    pub fn of_result(result: &BacktestResult) -> Self {
        let mut decisions = Self::of_records(&result.records, &result.signals);
        let flattened =
            result.records.trades.last().is_some_and(|trade| {
                trade.exit_reason == auction_trader_types::ExitReason::EndOfData
            });
        let last_order = decisions.orders.iter().map(|order| order.order_id).max();
        if flattened
            && let Some(last) = last_order
            && decisions.orders.iter().any(|order| {
                order.order_id == last
                    && order.purpose == OrderPurpose::Exit
                    && order.kind == OrderType::Market
            })
        {
            decisions.orders.retain(|order| order.order_id != last);
            decisions.fills.retain(|fill| fill.order_id != last);
        }
        decisions
    }

    /// How many decisions are stamped at or before `cut`.
    fn count_until(&self, cut: UnixNanos) -> usize {
        self.signals
            .iter()
            .filter(|signal| signal.ts <= cut)
            .count()
            + self
                .orders
                .iter()
                .filter(|order| order.ts_submit <= cut)
                .count()
            + self.fills.iter().filter(|fill| fill.ts <= cut).count()
    }

    /// The first difference between the decisions of `self` and `other` stamped at or before
    /// `cut`, described; `None` when they agree.
    fn first_difference(&self, other: &Self, cut: UnixNanos) -> Option<String> {
        first_difference("signal", &self.signals, &other.signals, |signal| {
            signal.ts <= cut
        })
        .or_else(|| {
            first_difference("order", &self.orders, &other.orders, |order| {
                order.ts_submit <= cut
            })
        })
        .or_else(|| first_difference("fill", &self.fills, &other.fills, |fill| fill.ts <= cut))
    }
}

fn first_difference<T: PartialEq + std::fmt::Debug>(
    what: &str,
    full: &[T],
    truncated: &[T],
    before_cut: impl Fn(&T) -> bool,
) -> Option<String> {
    let full: Vec<&T> = full.iter().filter(|item| before_cut(item)).collect();
    let truncated: Vec<&T> = truncated.iter().filter(|item| before_cut(item)).collect();
    let count = full.len().max(truncated.len());
    (0..count).find_map(|index| match (full.get(index), truncated.get(index)) {
        (Some(a), Some(b)) if a == b => None,
        (a, b) => Some(format!(
            "{what} #{}: full run {}, truncated run {}",
            index + 1,
            a.map_or_else(|| "none".to_owned(), |item| format!("{item:?}")),
            b.map_or_else(|| "none".to_owned(), |item| format!("{item:?}")),
        )),
    })
}

/// One truncated run, compared.
#[derive(Debug, Clone, PartialEq)]
pub struct CutOutcome {
    /// Events replayed by the truncated run.
    pub events: usize,
    /// The cut time: the last replayed event's receive time.
    pub cut: UnixNanos,
    /// Decisions of the full run stamped at or before the cut.
    pub decisions: usize,
    /// The first decision that differs, `None` when all are identical.
    pub difference: Option<String>,
}

/// The audit of one strategy on one data set.
#[derive(Debug, Clone, PartialEq)]
pub struct LookaheadAudit {
    /// Decisions of the full run.
    pub full_decisions: usize,
    pub cuts: Vec<CutOutcome>,
}

impl LookaheadAudit {
    /// True when every truncated run agrees with the full run before its cut.
    pub fn passed(&self) -> bool {
        self.cuts.iter().all(|cut| cut.difference.is_none())
    }
}

/// Up to `count` cut positions of `events` (replay order), drawn from `seed`: indices `c` in
/// `1..len` with `events[c]` later than `events[c − 1]` (the truncated run replays
/// `events[..c]`), ascending and distinct. Fewer when the data have fewer timestamp changes.
pub fn cut_points(events: &[MarketEvent], count: usize, seed: u64) -> Vec<usize> {
    let boundaries: Vec<usize> = (1..events.len())
        .filter(|&index| events[index].ts_recv() > events[index - 1].ts_recv())
        .collect();
    let mut cuts = Vec::new();
    if boundaries.is_empty() {
        return cuts;
    }
    let mut draw = 0_u64;
    // Enough draws to find `count` distinct boundaries unless there are few of them.
    while cuts.len() < count.min(boundaries.len()) && draw < 64 * count as u64 + 64 {
        let mut bytes = [0_u8; 16];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        bytes[8..].copy_from_slice(&draw.to_le_bytes());
        let pick = boundaries[(fnv1a_64(&bytes) % boundaries.len() as u64) as usize];
        if !cuts.contains(&pick) {
            cuts.push(pick);
        }
        draw += 1;
    }
    cuts.sort_unstable();
    cuts
}

/// Runs `run` on all of `events`, then on `events[..c]` for each cut `c`, and compares the
/// decisions stamped at or before each cut time (see the module doc).
pub fn audit_lookahead(
    events: &[MarketEvent],
    cuts: &[usize],
    run: &mut dyn FnMut(&[MarketEvent]) -> Result<Decisions, BacktestError>,
) -> Result<LookaheadAudit, BacktestError> {
    let full = run(events)?;
    let mut outcomes = Vec::with_capacity(cuts.len());
    for &cut in cuts {
        let Some(last) = cut.checked_sub(1).and_then(|index| events.get(index)) else {
            continue;
        };
        let cut_ts = last.ts_recv();
        let truncated = run(&events[..cut])?;
        outcomes.push(CutOutcome {
            events: cut,
            cut: cut_ts,
            decisions: full.count_until(cut_ts),
            difference: full.first_difference(&truncated, cut_ts),
        });
    }
    Ok(LookaheadAudit {
        full_decisions: full.signals.len() + full.orders.len() + full.fills.len(),
        cuts: outcomes,
    })
}

/// The audit of `config`'s strategy on `events` at `cuts` cut points drawn from `seed`.
pub fn audit_config(
    config: &BacktestConfig,
    instrument: &Instrument,
    events: &[MarketEvent],
    cuts: usize,
    seed: u64,
) -> Result<LookaheadAudit, BacktestError> {
    let cuts = cut_points(events, cuts, seed);
    audit_lookahead(events, &cuts, &mut |slice| {
        let result = run_backtest(
            config,
            instrument.clone(),
            slice
                .iter()
                .map(|event| Ok::<_, std::convert::Infallible>(*event)),
            &mut |_, _| {},
        )?;
        Ok(Decisions::of_result(&result))
    })
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{AggressorSide, MarketEvent, Trade, TradeId};

    use super::*;

    fn trade(ts: i64) -> MarketEvent {
        MarketEvent::Trade(Trade {
            ts_event: UnixNanos(ts),
            ts_recv: UnixNanos(ts),
            price: Price::from_raw(1),
            size: Quantity::from_raw(1),
            aggressor: AggressorSide::Buy,
            trade_id: TradeId(0),
        })
    }

    #[test]
    fn cuts_fall_between_timestamps_and_are_reproducible() {
        // Times 1, 1, 2, 3, 3, 4: boundaries at indices 2 (1→2), 3 (2→3) and 5 (3→4).
        let events: Vec<MarketEvent> = [1, 1, 2, 3, 3, 4].into_iter().map(trade).collect();
        let all = cut_points(&events, 10, 7);
        assert_eq!(all, [2, 3, 5]);
        let two = cut_points(&events, 2, 7);
        assert_eq!(two.len(), 2);
        assert_eq!(two, cut_points(&events, 2, 7));
        assert!(two.iter().all(|cut| all.contains(cut)));
        assert!(cut_points(&events[..2], 3, 7).is_empty());
    }

    #[test]
    fn only_decisions_up_to_the_cut_are_compared() {
        let order = |id: u64, ts: i64| OrderDecision {
            order_id: id,
            ts_submit: UnixNanos(ts),
            side: OrderSide::Buy,
            kind: OrderType::Limit,
            purpose: OrderPurpose::Entry,
            limit_price: None,
            quantity: Quantity::ONE,
        };
        let full = Decisions {
            orders: vec![order(1, 10), order(2, 20)],
            ..Decisions::default()
        };
        let truncated = Decisions {
            orders: vec![order(1, 10)],
            ..Decisions::default()
        };
        // Cut at 15: order 2 (at 20) is after it.
        assert_eq!(full.first_difference(&truncated, UnixNanos(15)), None);
        assert_eq!(full.count_until(UnixNanos(15)), 1);
        // Cut at 20: the truncated run lacks order 2.
        let difference = full.first_difference(&truncated, UnixNanos(20)).unwrap();
        assert!(difference.starts_with("order #2: full run"), "{difference}");
        assert!(difference.ends_with("truncated run none"), "{difference}");
    }
}
