//! [`SequencedBook`]: an [`OrderBook`] fed through a venue's [`SequenceRule`].
//!
//! Works on message boundaries: rows with the same ids (and receive time) up to a row with the
//! `LAST` flag form one venue message, decided on as a whole (apply, buffer or drop). An
//! `EMPTY` message advances the ids without touching a level.
//!
//! Diffs that arrive before the first snapshot are buffered (Binance's documented procedure; in
//! our captures the REST snapshot line arrives after the first diffs) and bridged once the
//! snapshot is in. SPEC 1.3: a sequence break never continues silently: the gap is counted,
//! the book cleared and the state becomes [`SyncState::Resyncing`] until the next snapshot.

use std::collections::VecDeque;
use std::fmt;

use auction_trader_types::{BookDelta, UnixNanos};
use serde::Serialize;

use crate::{BookError, OrderBook, SequenceRule};

/// Rows kept at most while waiting for a snapshot (the oldest whole messages go first).
pub const DEFAULT_BUFFER_ROWS: usize = 1_000_000;

/// Whether the book can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SyncState {
    /// No snapshot yet: diffs are buffered.
    AwaitingSnapshot,
    /// The book reflects the venue's book after the last applied message.
    Synced,
    /// A sequence break was detected: the book is empty and diffs are buffered until the next
    /// snapshot.
    Resyncing,
}

/// Counts of what the sequencer did, by message (a message is all rows of one venue event).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SequenceCounters {
    /// Snapshots and diffs applied to the book.
    pub messages_applied: u64,
    /// Of which snapshots (or other resets: Bybit `u = 1`, Tardis snapshot runs).
    pub snapshots_applied: u64,
    /// Diffs the book already covered (`u` not past the last applied id).
    pub dropped_stale: u64,
    /// Diffs of id-less rules (Tardis, none) seen before a snapshot or during a resync.
    pub dropped_unsynced: u64,
    /// Binance snapshots older than the synced book (it is already more recent).
    pub snapshots_ignored: u64,
    /// Diffs that waited in the buffer for a snapshot.
    pub buffered: u64,
    /// Buffered diffs discarded because the buffer was full.
    pub buffer_overflow: u64,
    /// Sequence breaks (each one clears the book and starts a resync).
    pub gaps: u64,
    /// Snapshots that re-established sync after a gap.
    pub resyncs: u64,
    /// Rows the book refused (non-positive price, negative size); each one is also a gap.
    pub rejected_rows: u64,
    /// Applied messages after which the book was crossed (SPEC 1.3: reported, not repaired).
    pub crossed_messages: u64,
}

/// One applied message, as passed to the callback of [`SequencedBook::apply_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppliedMessage {
    pub ts_event: UnixNanos,
    pub ts_recv: UnixNanos,
    /// Venue ids of the message (`U`, `u`, `pu`; for a snapshot first = last = its id).
    pub first_update_id: u64,
    pub last_update_id: u64,
    pub prev_update_id: u64,
    /// Level rows applied (0 for an empty message).
    pub rows: u32,
    /// The book was rebuilt from this message (snapshot or reset): no earlier state carries on.
    pub reset: bool,
}

/// Sees what a [`SequencedBook`] applies. Closures `FnMut(&AppliedMessage, &OrderBook)`
/// implement it (message ends only).
pub trait BookObserver {
    /// A row was applied to the book (its message is not complete yet).
    #[inline]
    fn on_row(&mut self, _row: &BookDelta) {}
    /// A message was applied in full: the book is consistent.
    fn on_message(&mut self, message: &AppliedMessage, book: &OrderBook);
}

impl<F> BookObserver for F
where
    F: FnMut(&AppliedMessage, &OrderBook),
{
    #[inline]
    fn on_message(&mut self, message: &AppliedMessage, book: &OrderBook) {
        self(message, book);
    }
}

/// Where and why the sequence broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceGap {
    pub ts_recv: UnixNanos,
    /// Last update id applied before the break.
    pub previous_update_id: u64,
    pub first_update_id: u64,
    pub last_update_id: u64,
    pub prev_update_id: u64,
    /// Set when the break is a row the book refused rather than an id mismatch.
    pub rejected: Option<BookError>,
}

impl fmt::Display for SequenceGap {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "gap at ts_recv {}: after id {} got U={} u={} pu={}",
            self.ts_recv.0,
            self.previous_update_id,
            self.first_update_id,
            self.last_update_id,
            self.prev_update_id
        )?;
        if let Some(error) = &self.rejected {
            write!(formatter, " (rejected row: {error})")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    AwaitingSnapshot,
    /// Binance: snapshot applied, the first diff must straddle its id.
    Bridging,
    Synced,
    Resyncing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Apply,
    Buffer,
    DropStale,
    DropUnsynced,
    IgnoreSnapshot,
    /// A row of this message was refused: the rest of it is skipped.
    Rejected,
}

/// What identifies the rows of one message when the `LAST` flag is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MessageKey {
    first: u64,
    last: u64,
    prev: u64,
    ts_recv: UnixNanos,
    snapshot: bool,
}

impl MessageKey {
    #[inline]
    fn of(row: &BookDelta) -> Self {
        let snapshot = row.flags.is_snapshot();
        Self {
            first: row.first_update_id,
            last: row.last_update_id,
            prev: row.prev_update_id,
            // A Tardis snapshot run spans several receive times but is one message.
            ts_recv: if snapshot { UnixNanos(0) } else { row.ts_recv },
            snapshot,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct OpenMessage {
    key: MessageKey,
    action: Action,
    message: AppliedMessage,
}

/// An order book kept in sync with a venue's depth stream (see module doc).
#[derive(Debug, Clone)]
pub struct SequencedBook {
    book: OrderBook,
    rule: SequenceRule,
    phase: Phase,
    /// Id of the last applied message (`u`; a snapshot's `lastUpdateId`).
    last_update_id: u64,
    counters: SequenceCounters,
    buffer: VecDeque<BookDelta>,
    buffer_limit: usize,
    open: Option<OpenMessage>,
    previous_was_snapshot: bool,
    last_gap: Option<SequenceGap>,
}

impl SequencedBook {
    pub fn new(rule: SequenceRule, book: OrderBook) -> Self {
        Self {
            book,
            rule,
            // Without sequencing there is nothing to wait for.
            phase: if rule == SequenceRule::None {
                Phase::Synced
            } else {
                Phase::AwaitingSnapshot
            },
            last_update_id: 0,
            counters: SequenceCounters::default(),
            buffer: VecDeque::new(),
            buffer_limit: DEFAULT_BUFFER_ROWS,
            open: None,
            previous_was_snapshot: false,
            last_gap: None,
        }
    }

    /// The rule of a venue name (see [`SequenceRule::for_venue`]) on a tick-inferring book.
    pub fn for_venue(venue: &str) -> Self {
        Self::new(
            SequenceRule::for_venue(venue),
            OrderBook::with_inferred_tick(),
        )
    }

    /// Caps the rows buffered while waiting for a snapshot (at least one message is kept).
    pub fn with_buffer_limit(mut self, rows: usize) -> Self {
        self.buffer_limit = rows.max(1);
        self
    }

    pub fn book(&self) -> &OrderBook {
        &self.book
    }

    pub fn rule(&self) -> SequenceRule {
        self.rule
    }

    pub fn state(&self) -> SyncState {
        match self.phase {
            Phase::AwaitingSnapshot => SyncState::AwaitingSnapshot,
            Phase::Bridging | Phase::Synced => SyncState::Synced,
            Phase::Resyncing => SyncState::Resyncing,
        }
    }

    /// True when the book reflects the venue's book after [`Self::last_update_id`].
    pub fn is_synced(&self) -> bool {
        self.state() == SyncState::Synced
    }

    pub fn counters(&self) -> &SequenceCounters {
        &self.counters
    }

    /// Id of the last applied message (0 for id-less rules).
    pub fn last_update_id(&self) -> u64 {
        self.last_update_id
    }

    /// The most recent sequence break, for diagnosis.
    pub fn last_gap(&self) -> Option<&SequenceGap> {
        self.last_gap.as_ref()
    }

    /// Rows waiting for a snapshot.
    pub fn buffered_rows(&self) -> usize {
        self.buffer.len()
    }

    /// Feeds one row.
    #[inline(always)]
    pub fn apply(&mut self, row: &BookDelta) {
        self.apply_with(row, &mut |_: &AppliedMessage, _: &OrderBook| {});
    }

    /// Feeds one row; `observer` sees every applied row and the book after each applied
    /// message (including buffered diffs replayed when a snapshot arrives).
    /// Always inlined into the replay loop (with `process_row` and the ladder update): the
    /// common row continues an applied message and costs less than the calls around it.
    #[inline(always)]
    pub fn apply_with<O>(&mut self, row: &BookDelta, observer: &mut O)
    where
        O: BookObserver + ?Sized,
    {
        let key = MessageKey::of(row);
        if self.open.is_some_and(|open| open.key != key) {
            // A new message without a LAST flag on the previous one.
            self.finish_message(observer);
        }
        if self.open.is_none() {
            self.start_message(row, key);
        }
        self.process_row(row, observer);
        if row.flags.is_last() {
            self.finish_message(observer);
        }
    }

    /// Completes a message whose `LAST` row never came (end of input).
    pub fn finish_with<O>(&mut self, observer: &mut O)
    where
        O: BookObserver + ?Sized,
    {
        self.finish_message(observer);
    }

    fn start_message(&mut self, row: &BookDelta, key: MessageKey) {
        let snapshot = key.snapshot;
        let reset = row.flags.is_clear()
            || match self.rule {
                SequenceRule::BinanceFutures | SequenceRule::BinanceSpot => snapshot,
                SequenceRule::BybitV5 => snapshot || row.last_update_id == 1,
                // A run of snapshot rows is one snapshot (Tardis: reset on the first one).
                SequenceRule::TardisIncremental | SequenceRule::None => {
                    snapshot && !self.previous_was_snapshot
                }
            };
        let action = if reset {
            self.decide_reset(row)
        } else if snapshot && !self.rule.has_update_ids() {
            // Continuation of a Tardis snapshot run.
            if self.phase == Phase::Synced {
                Action::Apply
            } else {
                Action::DropUnsynced
            }
        } else {
            self.decide_delta(row)
        };
        self.previous_was_snapshot = snapshot;
        let reset_applied = reset && action == Action::Apply;
        if reset_applied {
            self.book.clear();
        }
        self.open = Some(OpenMessage {
            key,
            action,
            message: AppliedMessage {
                ts_event: row.ts_event,
                ts_recv: row.ts_recv,
                first_update_id: if reset_applied {
                    row.last_update_id
                } else {
                    row.first_update_id
                },
                last_update_id: row.last_update_id,
                prev_update_id: row.prev_update_id,
                rows: 0,
                reset: reset_applied,
            },
        });
    }

    fn decide_reset(&mut self, row: &BookDelta) -> Action {
        let snapshot_id = row.last_update_id;
        let binance = matches!(
            self.rule,
            SequenceRule::BinanceFutures | SequenceRule::BinanceSpot
        );
        if binance
            && matches!(self.phase, Phase::Bridging | Phase::Synced)
            && snapshot_id <= self.last_update_id
        {
            // The book already reflects a later state than this (late REST) snapshot.
            return Action::IgnoreSnapshot;
        }
        if self.phase == Phase::Resyncing {
            self.counters.resyncs += 1;
        }
        self.last_update_id = snapshot_id;
        self.phase = if binance {
            Phase::Bridging
        } else {
            Phase::Synced
        };
        Action::Apply
    }

    fn decide_delta(&mut self, row: &BookDelta) -> Action {
        let (first, last, prev) = (row.first_update_id, row.last_update_id, row.prev_update_id);
        let previous = self.last_update_id;
        match self.phase {
            Phase::AwaitingSnapshot | Phase::Resyncing => {
                return if self.rule.has_update_ids() {
                    Action::Buffer
                } else {
                    Action::DropUnsynced
                };
            }
            Phase::Bridging => {
                let (stale, bridges) = match self.rule {
                    // Futures: drop u < lastUpdateId; first event has U <= lastUpdateId <= u.
                    SequenceRule::BinanceFutures => (last < previous, first <= previous),
                    // Spot: drop u <= lastUpdateId; first event has U <= lastUpdateId + 1 <= u.
                    _ => (last <= previous, first <= previous.saturating_add(1)),
                };
                if stale {
                    return Action::DropStale;
                }
                if !bridges {
                    return self.gap(row, None);
                }
            }
            Phase::Synced => {
                let chained = match self.rule {
                    SequenceRule::TardisIncremental | SequenceRule::None => return Action::Apply,
                    // Anything the book already covers is a duplicate, not a break.
                    _ if last <= previous => return Action::DropStale,
                    // Futures: pu == previous u.
                    SequenceRule::BinanceFutures => prev == previous,
                    // Spot: U == previous u + 1.
                    SequenceRule::BinanceSpot => first == previous.saturating_add(1),
                    // Bybit: u == previous u + 1 (u = 1 resets, handled as a snapshot).
                    SequenceRule::BybitV5 => last == previous.saturating_add(1),
                };
                if !chained {
                    return self.gap(row, None);
                }
            }
        }
        self.last_update_id = last;
        self.phase = Phase::Synced;
        Action::Apply
    }

    /// SPEC 1.3: a sequence break triggers a resync from the next snapshot.
    fn gap(&mut self, row: &BookDelta, rejected: Option<BookError>) -> Action {
        self.counters.gaps += 1;
        self.last_gap = Some(SequenceGap {
            ts_recv: row.ts_recv,
            previous_update_id: self.last_update_id,
            first_update_id: row.first_update_id,
            last_update_id: row.last_update_id,
            prev_update_id: row.prev_update_id,
            rejected,
        });
        self.phase = Phase::Resyncing;
        self.book.clear();
        self.buffer.clear();
        if self.rule.has_update_ids() {
            Action::Buffer
        } else {
            Action::DropUnsynced
        }
    }

    #[inline(always)]
    fn process_row<O>(&mut self, row: &BookDelta, observer: &mut O)
    where
        O: BookObserver + ?Sized,
    {
        let Some(open) = self.open.as_mut() else {
            return;
        };
        match open.action {
            Action::Apply => {
                if row.flags.is_empty_message() {
                    return;
                }
                match self.book.apply(row) {
                    Ok(()) => {
                        open.message.rows += 1;
                        observer.on_row(row);
                    }
                    Err(error) => {
                        self.counters.rejected_rows += 1;
                        self.gap(row, Some(error));
                        if let Some(open) = self.open.as_mut() {
                            open.action = Action::Rejected;
                        }
                    }
                }
            }
            Action::Buffer => self.buffer_row(*row),
            Action::DropStale
            | Action::DropUnsynced
            | Action::IgnoreSnapshot
            | Action::Rejected => {}
        }
    }

    fn buffer_row(&mut self, row: BookDelta) {
        self.buffer.push_back(row);
        if self.buffer.len() <= self.buffer_limit {
            return;
        }
        // Drop the oldest whole message.
        let Some(oldest) = self.buffer.front().map(MessageKey::of) else {
            return;
        };
        while self
            .buffer
            .front()
            .is_some_and(|front| MessageKey::of(front) == oldest)
        {
            self.buffer.pop_front();
        }
        self.counters.buffer_overflow += 1;
    }

    fn finish_message<O>(&mut self, observer: &mut O)
    where
        O: BookObserver + ?Sized,
    {
        let Some(open) = self.open.take() else {
            return;
        };
        match open.action {
            Action::Apply => {
                self.counters.messages_applied += 1;
                if open.message.reset {
                    self.counters.snapshots_applied += 1;
                }
                if self.book.is_crossed() {
                    self.counters.crossed_messages += 1;
                }
                observer.on_message(&open.message, &self.book);
                if open.message.reset && !self.buffer.is_empty() {
                    self.replay_buffer(observer);
                }
            }
            Action::Buffer => self.counters.buffered += 1,
            Action::DropStale => self.counters.dropped_stale += 1,
            Action::DropUnsynced => self.counters.dropped_unsynced += 1,
            Action::IgnoreSnapshot => self.counters.snapshots_ignored += 1,
            Action::Rejected => {}
        }
    }

    /// Feeds the buffered diffs through the rule again, now that a snapshot is in.
    fn replay_buffer<O>(&mut self, observer: &mut O)
    where
        O: BookObserver + ?Sized,
    {
        let mut buffered = std::mem::take(&mut self.buffer);
        for row in &buffered {
            self.apply_with(row, observer);
        }
        // The last buffered message may lack its LAST row: leave it open, live rows continue it.
        buffered.clear();
        if self.buffer.is_empty() {
            // Keep the allocation for the next resync.
            self.buffer = buffered;
        }
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{BookSide, DeltaFlags, Price, Quantity};

    use super::*;
    use crate::test_support::{diff, rows, snapshot};

    fn feed(
        book: &mut SequencedBook,
        message: &crate::test_support::Message,
    ) -> Vec<AppliedMessage> {
        let mut applied = Vec::new();
        for row in rows(message) {
            book.apply_with(&row, &mut |message: &AppliedMessage, _: &OrderBook| {
                applied.push(*message)
            });
        }
        applied
    }

    /// A level in whole units (price, size).
    type Level = Option<(i64, i128)>;

    fn top(book: &SequencedBook) -> (Level, Level) {
        let units = |level: Option<(Price, Quantity)>| {
            level.map(|(price, size)| (price.raw() / 1_000_000_000, size.raw() / 1_000_000_000))
        };
        (units(book.book().best_bid()), units(book.book().best_ask()))
    }

    const BID: BookSide = BookSide::Bid;
    const ASK: BookSide = BookSide::Ask;

    fn futures() -> SequencedBook {
        SequencedBook::new(
            SequenceRule::BinanceFutures,
            OrderBook::with_inferred_tick(),
        )
    }

    #[test]
    fn futures_buffer_diffs_before_the_snapshot_and_bridge_them() {
        let mut book = futures();
        // Diffs arrive first (as in our captures): U..u = 90..95 (stale), 96..105, 106..110.
        assert!(feed(&mut book, &diff(90, 95, 80, &[(BID, 99, 7)])).is_empty());
        feed(&mut book, &diff(96, 105, 95, &[(BID, 100, 3)]));
        feed(
            &mut book,
            &diff(106, 110, 105, &[(ASK, 101, 0), (ASK, 102, 4)]),
        );
        assert_eq!(book.state(), SyncState::AwaitingSnapshot);
        assert_eq!(book.counters().buffered, 3);
        assert_eq!(top(&book), (None, None));
        // Snapshot at lastUpdateId 100: drop u=95 < 100, apply 96..105 (U <= 100 <= u), then
        // 106..110 (pu 105 == previous u).
        let applied = feed(&mut book, &snapshot(100, &[(BID, 100, 1), (ASK, 101, 2)]));
        let ids: Vec<_> = applied
            .iter()
            .map(|message| message.last_update_id)
            .collect();
        assert_eq!(ids, vec![100, 105, 110]);
        assert!(applied[0].reset && !applied[1].reset);
        assert_eq!(book.state(), SyncState::Synced);
        assert_eq!(book.last_update_id(), 110);
        assert_eq!(book.counters().dropped_stale, 1);
        assert_eq!(book.counters().messages_applied, 3);
        // Bid 100 is 3 (diff 96..105), ask 101 removed, ask 102 = 4.
        assert_eq!(top(&book), (Some((100, 3)), Some((102, 4))));
        assert_eq!(book.counters().gaps, 0);
    }

    #[test]
    fn futures_gap_resyncs_and_recovers_on_the_next_snapshot() {
        let mut book = futures();
        feed(&mut book, &snapshot(100, &[(BID, 100, 1), (ASK, 101, 2)]));
        feed(&mut book, &diff(98, 104, 97, &[(BID, 100, 5)]));
        // Duplicate of an applied message: stale, not a gap.
        feed(&mut book, &diff(98, 104, 97, &[(BID, 100, 9)]));
        assert_eq!(book.counters().dropped_stale, 1);
        // pu 106 != previous u 104: a break.
        feed(&mut book, &diff(107, 110, 106, &[(BID, 100, 6)]));
        assert_eq!(book.state(), SyncState::Resyncing);
        assert_eq!(book.counters().gaps, 1);
        assert_eq!(top(&book), (None, None));
        let gap = book.last_gap().unwrap();
        assert_eq!((gap.previous_update_id, gap.prev_update_id), (104, 106));
        // Diffs after the break wait for the next snapshot.
        feed(&mut book, &diff(111, 115, 110, &[(ASK, 101, 8)]));
        assert_eq!(book.counters().buffered, 2);
        feed(&mut book, &snapshot(112, &[(BID, 100, 6), (ASK, 101, 3)]));
        // 107..110 is stale (u < 112); 111..115 bridges (111 <= 112 <= 115).
        assert_eq!(book.state(), SyncState::Synced);
        assert_eq!(book.counters().resyncs, 1);
        assert_eq!(book.last_update_id(), 115);
        assert_eq!(top(&book), (Some((100, 6)), Some((101, 8))));
        // A snapshot older than the synced book is ignored.
        feed(&mut book, &snapshot(113, &[(BID, 50, 1)]));
        assert_eq!(book.counters().snapshots_ignored, 1);
        assert_eq!(top(&book), (Some((100, 6)), Some((101, 8))));
    }

    #[test]
    fn futures_snapshot_older_than_every_buffered_diff_is_a_gap() {
        let mut book = futures();
        feed(&mut book, &diff(120, 130, 119, &[(BID, 100, 1)]));
        feed(&mut book, &snapshot(100, &[(BID, 100, 2), (ASK, 101, 2)]));
        // 120 > 100: updates 101..119 are missing.
        assert_eq!(book.state(), SyncState::Resyncing);
        assert_eq!(book.counters().gaps, 1);
    }

    #[test]
    fn spot_requires_contiguous_ids() {
        let mut book = SequencedBook::new(SequenceRule::BinanceSpot, OrderBook::default());
        feed(&mut book, &diff(95, 100, 0, &[(BID, 99, 1)]));
        feed(&mut book, &diff(101, 103, 0, &[(BID, 100, 2)]));
        // Spot drops u <= lastUpdateId (95..100) and bridges with U <= 101 <= u (101..103).
        feed(&mut book, &snapshot(100, &[(BID, 99, 5), (ASK, 101, 1)]));
        assert_eq!(book.counters().dropped_stale, 1);
        assert_eq!(book.last_update_id(), 103);
        feed(&mut book, &diff(104, 104, 0, &[(ASK, 101, 4)]));
        assert_eq!(top(&book), (Some((100, 2)), Some((101, 4))));
        // 106 != 104 + 1.
        feed(&mut book, &diff(106, 107, 0, &[(ASK, 101, 5)]));
        assert_eq!(book.counters().gaps, 1);
        assert_eq!(book.state(), SyncState::Resyncing);
    }

    #[test]
    fn spot_snapshot_one_before_the_first_diff_bridges() {
        // U = lastUpdateId + 1 is the first event (spot, unlike futures, accepts it).
        let mut book = SequencedBook::new(SequenceRule::BinanceSpot, OrderBook::default());
        feed(&mut book, &snapshot(100, &[(BID, 99, 5), (ASK, 101, 1)]));
        feed(&mut book, &diff(101, 102, 0, &[(BID, 100, 2)]));
        assert_eq!(book.counters().gaps, 0);
        assert_eq!(book.last_update_id(), 102);
    }

    #[test]
    fn empty_messages_advance_the_ids_without_touching_levels() {
        let mut book = futures();
        feed(&mut book, &snapshot(100, &[(BID, 100, 1), (ASK, 101, 2)]));
        let applied = feed(&mut book, &diff(100, 104, 99, &[]));
        assert_eq!(applied.len(), 1);
        assert_eq!(applied[0].rows, 0);
        assert_eq!(book.last_update_id(), 104);
        feed(&mut book, &diff(105, 108, 104, &[(BID, 100, 7)]));
        assert_eq!(book.counters().gaps, 0);
        assert_eq!(top(&book), (Some((100, 7)), Some((101, 2))));
    }

    #[test]
    fn bybit_deltas_chain_by_u_and_u_one_resets() {
        let mut book = SequencedBook::new(SequenceRule::BybitV5, OrderBook::default());
        // A delta before the snapshot is buffered, then found stale (u 20 <= snapshot u 20).
        feed(&mut book, &diff(20, 20, 900, &[(BID, 99, 1)]));
        feed(&mut book, &snapshot(20, &[(BID, 100, 1), (ASK, 101, 1)]));
        assert_eq!(book.counters().dropped_stale, 1);
        feed(&mut book, &diff(21, 21, 905, &[(BID, 100, 3)]));
        assert_eq!(top(&book), (Some((100, 3)), Some((101, 1))));
        // u = 1 in a delta: the service restarted; the message is a full book.
        let applied = feed(&mut book, &diff(1, 1, 10, &[(BID, 90, 1), (ASK, 95, 1)]));
        assert!(applied[0].reset);
        assert_eq!(top(&book), (Some((90, 1)), Some((95, 1))));
        feed(&mut book, &diff(2, 2, 11, &[(ASK, 95, 0), (ASK, 96, 2)]));
        assert_eq!(top(&book), (Some((90, 1)), Some((96, 2))));
        // u jumps from 2 to 4: gap.
        feed(&mut book, &diff(4, 4, 13, &[(ASK, 96, 1)]));
        assert_eq!(book.counters().gaps, 1);
        assert_eq!(book.state(), SyncState::Resyncing);
        // A Bybit snapshot recovers.
        feed(&mut book, &snapshot(5, &[(BID, 91, 1), (ASK, 92, 1)]));
        assert_eq!(book.state(), SyncState::Synced);
        assert_eq!(book.counters().resyncs, 1);
        assert_eq!(book.counters().snapshots_applied, 3);
    }

    #[test]
    fn tardis_snapshot_runs_replace_the_book() {
        let mut book = SequencedBook::new(SequenceRule::TardisIncremental, OrderBook::default());
        // A delta before any snapshot cannot be placed: dropped.
        feed(&mut book, &diff(0, 0, 0, &[(BID, 50, 1)]));
        assert_eq!(book.counters().dropped_unsynced, 1);
        // A snapshot run of two messages (rows of two timestamps): one reset.
        let mut first = snapshot(0, &[(BID, 100, 1)]);
        first.last = 0;
        let mut rows_of_run = rows(&first);
        let mut second = rows(&snapshot(0, &[(ASK, 101, 1)]));
        second[0].flags = DeltaFlags(DeltaFlags::SNAPSHOT | DeltaFlags::LAST);
        second[0].ts_recv = UnixNanos(1);
        rows_of_run.extend(second);
        for row in &rows_of_run {
            book.apply(row);
        }
        assert_eq!(top(&book), (Some((100, 1)), Some((101, 1))));
        feed(&mut book, &diff(0, 0, 0, &[(BID, 100, 0), (BID, 99, 2)]));
        assert_eq!(top(&book), (Some((99, 2)), Some((101, 1))));
        // A new run after deltas resets.
        feed(&mut book, &snapshot(0, &[(BID, 10, 1), (ASK, 11, 1)]));
        assert_eq!(top(&book), (Some((10, 1)), Some((11, 1))));
        assert_eq!(book.counters().snapshots_applied, 2);
    }

    #[test]
    fn rules_without_sequencing_apply_everything() {
        let mut book = SequencedBook::new(SequenceRule::None, OrderBook::default());
        feed(&mut book, &diff(0, 0, 0, &[(BID, 50, 1), (ASK, 60, 1)]));
        assert!(book.is_synced());
        assert_eq!(top(&book), (Some((50, 1)), Some((60, 1))));
    }

    #[test]
    fn messages_without_a_last_flag_end_when_the_ids_change() {
        let mut book = futures();
        feed(&mut book, &snapshot(100, &[(BID, 100, 1), (ASK, 101, 2)]));
        let mut first = rows(&diff(100, 104, 99, &[(BID, 100, 2), (BID, 99, 1)]));
        first[1].flags = DeltaFlags(0);
        for row in &first {
            book.apply(row);
        }
        assert_eq!(book.counters().messages_applied, 1);
        feed(&mut book, &diff(105, 106, 104, &[(ASK, 101, 3)]));
        assert_eq!(book.counters().messages_applied, 3);
        assert_eq!(book.counters().gaps, 0);
    }

    #[test]
    fn a_full_buffer_drops_its_oldest_messages() {
        let mut book = futures().with_buffer_limit(2);
        feed(&mut book, &diff(90, 95, 80, &[(BID, 99, 7), (BID, 98, 1)]));
        feed(&mut book, &diff(96, 105, 95, &[(BID, 100, 3)]));
        assert_eq!(book.counters().buffer_overflow, 1);
        assert_eq!(book.buffered_rows(), 1);
        feed(&mut book, &snapshot(100, &[(BID, 100, 1), (ASK, 101, 2)]));
        assert_eq!(book.last_update_id(), 105);
    }

    #[test]
    fn a_refused_row_is_a_gap() {
        let mut book = futures();
        feed(&mut book, &snapshot(100, &[(BID, 100, 1), (ASK, 101, 2)]));
        feed(
            &mut book,
            &diff(99, 104, 98, &[(BID, 100, 2), (ASK, 101, -1), (ASK, 102, 1)]),
        );
        assert_eq!(book.counters().rejected_rows, 1);
        assert_eq!(book.counters().gaps, 1);
        assert_eq!(book.state(), SyncState::Resyncing);
        assert!(book.last_gap().unwrap().rejected.is_some());
        assert!(book.book().is_empty());
    }

    #[test]
    fn crossed_books_are_counted() {
        let mut book = futures();
        feed(&mut book, &snapshot(100, &[(BID, 100, 1), (ASK, 101, 2)]));
        feed(&mut book, &diff(100, 104, 99, &[(BID, 102, 1)]));
        assert_eq!(book.counters().crossed_messages, 1);
    }
}
