//! Depth imbalance at 5/10/20 levels and queue dynamics at the best levels (SPEC 2.6), from
//! the L2 depth stream of the target instrument rebuilt by a [`SequencedBook`].
//!
//! - `depth_imbalance_{5,10,20}_close` / `_mean`: `(bid_vol − ask_vol) / (bid_vol + ask_vol)`
//!   over the best N levels of each side (SPEC 2.5 OBI formula), at the minute close and
//!   time-weighted over the minute (time while the book is synced only).
//! - `queue_{depletion,replenishment}_{bid,ask}`: at each applied depth message, when the best
//!   price of a side is unchanged, a size decrease adds to depletion and an increase to
//!   replenishment (executions and cancellations both deplete: L2 cannot tell them apart); a
//!   change of best price starts a new queue and counts neither. Rates are in base units per
//!   second of synced time in the minute.
//!
//! Cost: one pass over the best 20 levels per side at the end of each depth MESSAGE (not per
//! row); rows are applied in O(1) by the book.
//!
//! The sequencing rule is given or inferred from the first diff row (module doc of
//! [`infer_rule`]); until the book is synced every value is NaN.

use auction_trader_book::{AppliedMessage, OrderBook, SequenceRule, SequencedBook};
use auction_trader_types::{BookDelta, BookSide, MarketEvent, Price, Quantity, UnixNanos};

use super::minute::{MinuteRoller, MinuteState, TimeWeightedMean, or_nan, raw_to_f64};
use crate::ResearchFeature;
use auction_trader_features::FeatureSnapshot;

/// Level counts of the imbalance columns.
pub const IMBALANCE_LEVELS: [usize; 3] = [5, 10, 20];

pub(super) const COLUMNS: [&str; 10] = [
    "depth_imbalance_5_close",
    "depth_imbalance_10_close",
    "depth_imbalance_20_close",
    "depth_imbalance_5_mean",
    "depth_imbalance_10_mean",
    "depth_imbalance_20_mean",
    "queue_depletion_bid",
    "queue_replenishment_bid",
    "queue_depletion_ask",
    "queue_replenishment_ask",
];

/// Rows kept while the rule is still unknown (snapshot rows before the first diff).
const MAX_WAITING_ROWS: usize = 200_000;

/// Infers the venue sequencing rule from one diff row's ids (how the importers store them,
/// see [`SequenceRule`]): no ids → unsequenced; `prev_update_id` set and `first == last`
/// → Bybit v5 (`u` in both, `seq` in prev); `prev_update_id` set otherwise → Binance futures
/// (`pu`); only `U`/`u` → Binance spot. A Binance futures message with `U == u` as the very
/// first diff would be misread as Bybit: pass the rule explicitly when the venue is known.
pub fn infer_rule(row: &BookDelta) -> SequenceRule {
    match (row.first_update_id, row.last_update_id, row.prev_update_id) {
        (0, 0, 0) => SequenceRule::None,
        (first, last, prev) if prev != 0 && first == last => SequenceRule::BybitV5,
        (_, _, prev) if prev != 0 => SequenceRule::BinanceFutures,
        _ => SequenceRule::BinanceSpot,
    }
}

/// Imbalances at the three level counts, `None` when both sides are empty over those levels.
fn imbalances(book: &OrderBook) -> [Option<f64>; 3] {
    let mut sums = [[0_i128; 3]; 2];
    for (side_index, side) in [BookSide::Bid, BookSide::Ask].into_iter().enumerate() {
        for (level, (_, size)) in book.top_levels(side, IMBALANCE_LEVELS[2]).enumerate() {
            for (slot, &levels) in IMBALANCE_LEVELS.iter().enumerate() {
                if level < levels {
                    sums[side_index][slot] += size.raw();
                }
            }
        }
    }
    std::array::from_fn(|slot| {
        let (bid, ask) = (sums[0][slot], sums[1][slot]);
        let total = bid + ask;
        (total > 0).then(|| (bid - ask) as f64 / total as f64)
    })
}

/// Accumulators of the open minute (everything but the book).
#[derive(Debug, Clone, Default)]
struct DepthAccumulators {
    now: UnixNanos,
    imbalance: [TimeWeightedMean; 3],
    /// 1.0 while synced, to measure synced time.
    synced: TimeWeightedMean,
    /// Best (price, size) of bid and ask after the last applied message.
    best: [Option<(Price, Quantity)>; 2],
    /// Raw size units depleted / replenished, per side (bid, ask).
    depleted: [i128; 2],
    replenished: [i128; 2],
}

impl DepthAccumulators {
    fn on_message(&mut self, message: &AppliedMessage, book: &OrderBook) {
        let values = imbalances(book);
        for (mean, value) in self.imbalance.iter_mut().zip(values) {
            mean.set(self.now, value);
        }
        self.synced.set(self.now, Some(1.0));
        for (index, side) in [BookSide::Bid, BookSide::Ask].into_iter().enumerate() {
            let best = book.best(side);
            if !message.reset
                && let (Some((old_price, old_size)), Some((new_price, new_size))) =
                    (self.best[index], best)
                && old_price == new_price
            {
                let change = new_size.raw() - old_size.raw();
                if change < 0 {
                    self.depleted[index] -= change;
                } else {
                    self.replenished[index] += change;
                }
            }
            self.best[index] = best;
        }
    }

    fn mark_unsynced(&mut self) {
        for mean in &mut self.imbalance {
            mean.set(self.now, None);
        }
        self.synced.set(self.now, None);
        self.best = [None, None];
    }
}

/// The closed values of one minute, in column order.
type DepthValues = [f64; 10];

#[derive(Debug, Clone)]
struct DepthState {
    book: Option<SequencedBook>,
    rule: Option<SequenceRule>,
    waiting: Vec<BookDelta>,
    accumulators: DepthAccumulators,
}

impl DepthState {
    fn apply(&mut self, row: &BookDelta) {
        if self.book.is_none() {
            let rule = match self.rule {
                Some(rule) => rule,
                None if row.flags.is_snapshot() || row.flags.is_empty_message() => {
                    if self.waiting.len() < MAX_WAITING_ROWS {
                        self.waiting.push(*row);
                    }
                    return;
                }
                None => infer_rule(row),
            };
            self.book = Some(SequencedBook::new(rule, OrderBook::with_inferred_tick()));
            for waiting in std::mem::take(&mut self.waiting) {
                self.apply_to_book(&waiting);
            }
        }
        self.apply_to_book(row);
    }

    fn apply_to_book(&mut self, row: &BookDelta) {
        let Some(book) = self.book.as_mut() else {
            return;
        };
        let accumulators = &mut self.accumulators;
        book.apply_with(row, &mut |message: &AppliedMessage, book: &OrderBook| {
            accumulators.on_message(message, book);
        });
        if !book.is_synced() && accumulators.synced.current().is_some() {
            accumulators.mark_unsynced();
        }
    }
}

impl MinuteState for DepthState {
    type Closed = DepthValues;

    fn close_minute(&mut self, end: UnixNanos) -> DepthValues {
        let accumulators = &mut self.accumulators;
        let mut values = [f64::NAN; 10];
        for (slot, mean) in accumulators.imbalance.iter_mut().enumerate() {
            values[slot] = or_nan(mean.current());
            values[3 + slot] = or_nan(mean.close(end).0);
        }
        let (_, synced_seconds) = accumulators.synced.close(end);
        for index in 0..2 {
            let (depleted, replenished) = (
                std::mem::take(&mut accumulators.depleted[index]),
                std::mem::take(&mut accumulators.replenished[index]),
            );
            if synced_seconds > 0.0 {
                // Raw sums fit i64 over one minute; convert through f64 units.
                values[6 + 2 * index] = raw_to_f64(depleted as i64) / synced_seconds;
                values[7 + 2 * index] = raw_to_f64(replenished as i64) / synced_seconds;
            }
        }
        values
    }
}

/// Depth imbalance (close and time-weighted, 5/10/20 levels) and best-level queue dynamics of
/// instrument 0.
#[derive(Debug, Clone)]
pub struct DepthFeatures {
    roller: MinuteRoller<DepthState>,
}

impl Default for DepthFeatures {
    fn default() -> Self {
        Self::new(None)
    }
}

impl DepthFeatures {
    /// `rule`: the venue's sequencing rule (`SequenceRule::for_venue`), or `None` to infer it
    /// from the first diff row ([`infer_rule`]).
    pub fn new(rule: Option<SequenceRule>) -> Self {
        Self {
            roller: MinuteRoller::new(DepthState {
                book: None,
                rule,
                waiting: Vec::new(),
                accumulators: DepthAccumulators::default(),
            }),
        }
    }

    /// The rebuilt book (None before the first depth row).
    pub fn book(&self) -> Option<&SequencedBook> {
        self.roller.state.book.as_ref()
    }
}

impl ResearchFeature for DepthFeatures {
    fn columns(&self) -> &'static [&'static str] {
        &COLUMNS
    }

    fn on_event(&mut self, instrument: usize, event: &MarketEvent) {
        if instrument != 0 {
            return;
        }
        let MarketEvent::Depth(row) = event else {
            return;
        };
        self.roller.advance(row.ts_recv);
        let state = &mut self.roller.state;
        state.accumulators.now = state.accumulators.now.max(row.ts_recv);
        state.apply(row);
    }

    fn on_minute(&mut self, snapshot: &FeatureSnapshot, values: &mut [f64]) {
        let closed = self.roller.take(snapshot.ts).unwrap_or([f64::NAN; 10]);
        values.copy_from_slice(&closed);
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{DeltaFlags, NANOS_PER_SECOND};

    use super::*;
    use crate::extended::test_support::{quiet_snapshot, seconds};

    fn row(ts: i64, side: BookSide, price: i64, size: i64, flags: u8) -> MarketEvent {
        MarketEvent::Depth(BookDelta {
            ts_event: seconds(ts),
            ts_recv: seconds(ts),
            side,
            price: Price::from_units(price).unwrap(),
            size: Quantity::from_units(size).unwrap(),
            first_update_id: 0,
            last_update_id: 0,
            prev_update_id: 0,
            flags: DeltaFlags(flags),
        })
    }

    #[test]
    fn imbalance_and_queue_rates_over_one_minute() {
        // Unsequenced rows (no ids), one row per message (LAST).
        // t=0: bid 100 ×3, bid 99 ×1, ask 101 ×1 (two messages first: only the last state
        //      at t=0 matters for time weighting).
        // Imbalance at t=0 (all levels within 5): bid 4, ask 1 → (4−1)/5 = 0.6.
        // t=30: bid 100 → 1 (same best price: depletion 2); bids 2, ask 1 → 1/3.
        // t=45: ask 101 → 4 (replenishment 3); bids 2, ask 4 → −2/6 = −1/3.
        // Time-weighted over [0, 60): (0.6·30 + (1/3)·15 + (−1/3)·15) / 60 = 18/60 = 0.3.
        // Close: −1/3. Rates per synced second (60 s): bid depletion 2/60, ask
        // replenishment 3/60; the others 0.
        let last = DeltaFlags::LAST;
        let mut feature = DepthFeatures::new(Some(SequenceRule::None));
        for event in [
            row(0, BookSide::Bid, 100, 3, last),
            row(0, BookSide::Bid, 99, 1, last),
            row(0, BookSide::Ask, 101, 1, last),
            row(30, BookSide::Bid, 100, 1, last),
            row(45, BookSide::Ask, 101, 4, last),
        ] {
            feature.on_event(0, &event);
        }
        let mut values = [0.0; 10];
        feature.on_minute(&quiet_snapshot(seconds(60)), &mut values);
        for close in &values[0..3] {
            assert!((close + 1.0 / 3.0).abs() < 1e-12);
        }
        for mean in &values[3..6] {
            assert!((mean - 0.3).abs() < 1e-12, "{mean}");
        }
        assert!((values[6] - 2.0 / 60.0).abs() < 1e-12);
        assert_eq!(values[7], 0.0);
        assert_eq!(values[8], 0.0);
        assert!((values[9] - 3.0 / 60.0).abs() < 1e-12);
        // A quiet minute: imbalance stays −1/3, rates 0.
        feature.on_minute(&quiet_snapshot(seconds(120)), &mut values);
        assert!((values[4] + 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(values[6], 0.0);
        let _ = NANOS_PER_SECOND;
    }

    #[test]
    fn levels_beyond_five_only_move_the_deeper_imbalances() {
        // Bids: 6 levels of 1 (100..95); asks: one level of 2 at 101.
        // 5 levels: (5 − 2)/7 = 3/7; 10 and 20 levels: (6 − 2)/8 = 0.5.
        let mut book = OrderBook::with_inferred_tick();
        for price in 95..=100 {
            book.set_level(
                BookSide::Bid,
                Price::from_units(price).unwrap(),
                Quantity::from_units(1).unwrap(),
            )
            .unwrap();
        }
        book.set_level(
            BookSide::Ask,
            Price::from_units(101).unwrap(),
            Quantity::from_units(2).unwrap(),
        )
        .unwrap();
        let values = imbalances(&book);
        assert!((values[0].unwrap() - 3.0 / 7.0).abs() < 1e-12);
        assert!((values[1].unwrap() - 0.5).abs() < 1e-12);
        assert!((values[2].unwrap() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn rule_inference_from_ids() {
        let mut delta = match row(0, BookSide::Bid, 1, 1, 0) {
            MarketEvent::Depth(delta) => delta,
            _ => unreachable!(),
        };
        assert_eq!(infer_rule(&delta), SequenceRule::None);
        (
            delta.first_update_id,
            delta.last_update_id,
            delta.prev_update_id,
        ) = (5, 9, 4);
        assert_eq!(infer_rule(&delta), SequenceRule::BinanceFutures);
        delta.prev_update_id = 0;
        assert_eq!(infer_rule(&delta), SequenceRule::BinanceSpot);
        (
            delta.first_update_id,
            delta.last_update_id,
            delta.prev_update_id,
        ) = (7, 7, 70);
        assert_eq!(infer_rule(&delta), SequenceRule::BybitV5);
    }
}
