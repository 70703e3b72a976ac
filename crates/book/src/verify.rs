//! `book verify`: rebuild a capture's book and compare its top of book (price AND size, both
//! sides, exact fixed-point equality) with the venue's own best bid/ask stream.
//!
//! A quote with update id `u_b` (Binance bookTicker `u`) shows the book after every update with
//! id <= `u_b`. A depth message covers ids `U..=u` and the book is known only at message ends.
//! Two kinds of comparison pair a known book state with a known quote state:
//!
//! 1. **Quote checks**: the quote's state is identified by its id when `u_b` equals a message's
//!    `u` (the book after that message), or falls strictly between two consecutive applied
//!    messages (`u_prev < u_b < U_next`: the book after the earlier one; no update of the book
//!    carries an id in between). A quote strictly inside a message's `U..u` range shows an
//!    intermediate state the diff stream never reveals: skipped.
//! 2. **Message checks** (bookTicker completeness): Binance pushes "any update to the best bid
//!    or ask's price or quantity in real-time", so the quote in force at id `u` (the last
//!    quote with `u_b < u` when a later quote has `u_b > u`) shows the top of book after the
//!    message ending at `u`. If the quote stream ever missed a change this can only produce
//!    a mismatch, never hide one. Messages whose `u` equals a quote id are already quote
//!    checks and are not counted twice.
//!
//! **Settled states.** A depth message is not always the exact book at its `u`: Binance spot
//! `depth@100ms` sometimes defers a level that changed inside the message's range, and changed
//! again just after `u` before publication, to the next message (seen in
//! `spot_btcusdt_20240808/09`: bid 61556.11 x 0.002 rests from id 50093480488 to a trade that
//! prints at that price, yet the message `U..u` = 50093480055..50093480542 omits it and the
//! next message removes it). A deferred level necessarily appears in the next message, and is
//! absent from the message it was deferred from. So the top of book after message `m` is
//! confirmed ("settled") when message `m + 1` lists no price at or better than `m`'s best bid /
//! best ask that `m` did not list itself. Only settled states count in `checks`; comparisons
//! against unconfirmed states are still made and reported apart (`unsettled_checks`,
//! `unsettled_mismatches`), never hidden. The decision uses depth data only, never the quotes.
//!
//! **Bybit v5** has no ids shared by its book deltas (`u`, per topic) and its tickers: the
//! join there is on the cross sequence, the book message's `seq` and the ticker's `cs` (v5
//! docs: "cross sequence ... compare different levels orderbook data"). A message with `seq`
//! S after one with S' covers `S' + 1..=S` (the first after a reset covers S alone), so the
//! same two checks apply with the quote's `cs` as its id.
//!
//! Quotes and depth may arrive in either order (a bookTicker often precedes the depth message
//! that covers it), so both sides wait in small pending queues and bounded histories.

use std::collections::VecDeque;
use std::fmt;

use auction_trader_types::{BookDelta, BookSide, MarketEvent, Price, Quantity, Quote, UnixNanos};
use serde::Serialize;

use crate::{
    AppliedMessage, BookObserver, OrderBook, SequenceCounters, SequenceRule, SequencedBook,
};

/// Mismatch descriptions kept in the report.
const KEPT_MISMATCHES: usize = 10;
/// Messages and quotes kept for late lookups.
const HISTORY: usize = 1 << 16;
/// Quotes kept waiting for the depth message that covers them.
const MAX_PENDING_QUOTES: usize = 1 << 20;

/// Result of a verification run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Comparisons against settled book states: `quote_checks + message_checks`.
    pub checks: u64,
    /// Quotes whose state was identified by id (kind 1 of the module doc).
    pub quote_checks: u64,
    /// Depth messages compared with the quote in force at their last id (kind 2).
    pub message_checks: u64,
    /// Checks where price or size differed on either side.
    pub mismatches: u64,
    /// Sequence breaks of the depth stream.
    pub gaps: u64,
    /// Quotes not compared: inside a message's id range, before the first snapshot, without
    /// an update id, out of id order, or never covered by a depth message.
    pub skipped: u64,
    /// Quotes seen.
    pub quotes: u64,
    /// Comparisons (either kind) against states the next message did not confirm; reported
    /// apart from `checks`.
    pub unsettled_checks: u64,
    /// Of which differed (venue-side deferred levels; see the module doc).
    pub unsettled_mismatches: u64,
    /// Everything the sequencer counted.
    pub sequence: SequenceCounters,
    /// A few mismatches (settled or not, tagged) and the last gap, for diagnosis.
    pub first_mismatches: Vec<String>,
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "checks={} (quote={} message={}) mismatches={} gaps={} skipped={} quotes={} \
             unsettled={} (mismatches {}) messages_applied={} resyncs={} crossed={}",
            self.checks,
            self.quote_checks,
            self.message_checks,
            self.mismatches,
            self.gaps,
            self.skipped,
            self.quotes,
            self.unsettled_checks,
            self.unsettled_mismatches,
            self.sequence.messages_applied,
            self.sequence.resyncs,
            self.sequence.crossed_messages
        )
    }
}

/// Top of book: best bid and best ask, each `None` when the side is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Top {
    bid: Option<(Price, Quantity)>,
    ask: Option<(Price, Quantity)>,
}

impl Top {
    fn of_book(book: &OrderBook) -> Self {
        Self {
            bid: book.best_bid(),
            ask: book.best_ask(),
        }
    }

    fn of_quote(quote: &Quote) -> Self {
        let side = |price: Price, size: Quantity| {
            (price.is_positive() || !size.is_zero()).then_some((price, size))
        };
        Self {
            bid: side(quote.bid_price, quote.bid_size),
            ask: side(quote.ask_price, quote.ask_size),
        }
    }

    /// At or better than this top's best level of `side` (everything when the side is empty).
    fn covers(&self, side: BookSide, price: Price) -> bool {
        match side {
            BookSide::Bid => self.bid.is_none_or(|(best, _)| price >= best),
            BookSide::Ask => self.ask.is_none_or(|(best, _)| price <= best),
        }
    }
}

fn write_level(
    formatter: &mut fmt::Formatter<'_>,
    name: &str,
    level: Option<(Price, Quantity)>,
) -> fmt::Result {
    match level {
        Some((price, size)) => write!(formatter, "{name} {price} x {size}"),
        None => write!(formatter, "{name} none"),
    }
}

impl fmt::Display for Top {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_level(formatter, "bid", self.bid)?;
        formatter.write_str(", ")?;
        write_level(formatter, "ask", self.ask)
    }
}

/// Whether the next message confirmed a message's top of book (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settled {
    Unknown,
    Yes,
    No,
}

#[derive(Debug, Clone, Copy)]
struct MessageTop {
    first: u64,
    last: u64,
    reset: bool,
    ts_recv: UnixNanos,
    top: Top,
    settled: Settled,
}

#[derive(Debug, Clone, Copy)]
struct QuoteTop {
    id: u64,
    ts_recv: UnixNanos,
    top: Top,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CheckKind {
    Quote,
    Message,
}

/// The id join between applied depth messages and quotes.
#[derive(Debug, Default)]
struct QuoteJoin {
    messages: VecDeque<MessageTop>,
    quotes: VecDeque<QuoteTop>,
    pending_quotes: VecDeque<QuoteTop>,
    /// Settled-known messages waiting for a quote past their last id.
    pending_messages: VecDeque<MessageTop>,
    /// Last id of the newest message whose settledness is known.
    settled_until: Option<u64>,
    /// Levels (side, price) applied by the message in progress.
    current_rows: Vec<(BookSide, Price)>,
    /// Levels the newest complete message listed at or better than its own top.
    newest_own_levels: Vec<(BookSide, Price)>,
    /// Bybit v5: join on the cross sequence (`seq` of messages, `cs` of quotes).
    cross_sequence: bool,
    /// The cross sequence of the newest applied message (Bybit v5).
    last_sequence: Option<u64>,
    report: VerifyReport,
}

impl BookObserver for QuoteJoin {
    #[inline]
    fn on_row(&mut self, row: &BookDelta) {
        self.current_rows.push((row.side, row.price));
    }

    fn on_message(&mut self, message: &AppliedMessage, book: &OrderBook) {
        let top = Top::of_book(book);
        let rows = std::mem::take(&mut self.current_rows);
        // Settle the previous message with this one's levels.
        if let Some(previous) = self.messages.back_mut()
            && previous.settled == Settled::Unknown
        {
            let disturbed = message.reset
                || rows.iter().any(|&(side, price)| {
                    previous.top.covers(side, price)
                        && !self.newest_own_levels.contains(&(side, price))
                });
            previous.settled = if disturbed { Settled::No } else { Settled::Yes };
            self.settled_until = Some(previous.last);
            self.pending_messages.push_back(*previous);
        }
        self.newest_own_levels.clear();
        self.newest_own_levels.extend(
            rows.iter()
                .copied()
                .filter(|&(side, price)| top.covers(side, price)),
        );
        self.current_rows = rows;
        self.current_rows.clear();

        let (first, last) = if self.cross_sequence {
            // SequencedBook keeps Bybit's `seq` in `prev_update_id`.
            let seq = message.prev_update_id;
            let first = match self.last_sequence {
                Some(previous) if !message.reset && previous < seq => previous + 1,
                _ => seq,
            };
            self.last_sequence = Some(seq);
            (first, seq)
        } else {
            (message.first_update_id, message.last_update_id)
        };
        let entry = MessageTop {
            first,
            last,
            reset: message.reset,
            ts_recv: message.ts_recv,
            top,
            settled: Settled::Unknown,
        };
        if self
            .messages
            .back()
            .is_some_and(|back| back.last > entry.last)
        {
            // Ids went backwards (a venue restart): earlier states cannot be looked up by id.
            self.messages.clear();
            self.pending_messages.clear();
            self.settled_until = None;
        }
        if self.messages.len() == HISTORY {
            self.messages.pop_front();
        }
        self.messages.push_back(entry);
        self.resolve_pending();
    }
}

impl QuoteJoin {
    fn on_stream_break(&mut self) {
        self.resolve_pending();
        self.report.skipped += self.pending_quotes.len() as u64;
        self.pending_quotes.clear();
        self.pending_messages.clear();
        self.quotes.clear();
        self.messages.clear();
        self.settled_until = None;
        self.last_sequence = None;
        self.newest_own_levels.clear();
    }

    fn on_quote(&mut self, quote: &Quote) {
        self.report.quotes += 1;
        let entry = QuoteTop {
            id: quote.update_id,
            ts_recv: quote.ts_recv,
            top: Top::of_quote(quote),
        };
        if entry.id == 0 || self.quotes.back().is_some_and(|back| back.id > entry.id) {
            // No id, or out of id order: its place in the book's history is unknown.
            self.report.skipped += 1;
            return;
        }
        if self.quotes.len() == HISTORY {
            self.quotes.pop_front();
        }
        self.quotes.push_back(entry);
        if self.pending_quotes.len() == MAX_PENDING_QUOTES {
            self.pending_quotes.pop_front();
            self.report.skipped += 1;
        }
        self.pending_quotes.push_back(entry);
        self.resolve_pending();
    }

    /// Runs every check whose inputs are now known.
    fn resolve_pending(&mut self) {
        if let Some(settled_until) = self.settled_until {
            while let Some(quote) = self.pending_quotes.front().copied() {
                if quote.id > settled_until {
                    break;
                }
                self.pending_quotes.pop_front();
                self.quote_check(quote);
            }
        }
        let newest_quote = self.quotes.back().map_or(0, |quote| quote.id);
        while let Some(message) = self.pending_messages.front().copied() {
            if message.last >= newest_quote {
                break;
            }
            self.pending_messages.pop_front();
            self.message_check(message);
        }
    }

    /// Kind 1: the quote's id pins a book state, or the quote is skipped.
    fn quote_check(&mut self, quote: QuoteTop) {
        let index = self
            .messages
            .partition_point(|message| message.last < quote.id);
        let Some(&message) = self.messages.get(index) else {
            self.report.skipped += 1;
            return;
        };
        if message.last == quote.id {
            self.compare(CheckKind::Quote, quote, message, "quote u = message u");
        } else if quote.id < message.first && !message.reset && index > 0 {
            let previous = self.messages[index - 1];
            self.compare(
                CheckKind::Quote,
                quote,
                previous,
                "quote u between messages",
            );
        } else {
            // Inside the message's U..u range, or before a reset whose predecessor is unknown.
            self.report.skipped += 1;
        }
    }

    /// Kind 2: the quote in force at the message's last id.
    fn message_check(&mut self, message: MessageTop) {
        let count = self
            .quotes
            .partition_point(|quote| quote.id <= message.last);
        if count == 0 || count == self.quotes.len() {
            return;
        }
        let quote = self.quotes[count - 1];
        if quote.id == message.last {
            // Already a quote check.
            return;
        }
        self.compare(
            CheckKind::Message,
            quote,
            message,
            "quote in force at message u",
        );
    }

    fn compare(&mut self, kind: CheckKind, quote: QuoteTop, message: MessageTop, label: &str) {
        let settled = message.settled == Settled::Yes;
        let matched = quote.top == message.top;
        if settled {
            self.report.checks += 1;
            match kind {
                CheckKind::Quote => self.report.quote_checks += 1,
                CheckKind::Message => self.report.message_checks += 1,
            }
            if !matched {
                self.report.mismatches += 1;
            }
        } else {
            self.report.unsettled_checks += 1;
            if !matched {
                self.report.unsettled_mismatches += 1;
            }
        }
        if !matched && self.report.first_mismatches.len() < KEPT_MISMATCHES {
            self.report.first_mismatches.push(format!(
                "{}{label}: quote u={} ts_recv={} [{}] vs book after U={} u={} ts_recv={} [{}]",
                if settled { "" } else { "(unsettled) " },
                quote.id,
                quote.ts_recv.0,
                quote.top,
                message.first,
                message.last,
                message.ts_recv.0,
                message.top
            ));
        }
    }

    /// End of input: the newest message can no longer be confirmed.
    fn finish(&mut self) {
        if let Some(newest) = self.messages.back_mut()
            && newest.settled == Settled::Unknown
        {
            newest.settled = Settled::No;
            self.settled_until = Some(newest.last);
            self.pending_messages.push_back(*newest);
        }
        self.resolve_pending();
        self.report.skipped += self.pending_quotes.len() as u64;
        self.pending_quotes.clear();
    }
}

/// Rebuilds a book from a capture's events in source order and checks it against the quotes.
#[derive(Debug)]
pub struct BookVerifier {
    book: SequencedBook,
    join: QuoteJoin,
}

impl BookVerifier {
    pub fn new(book: SequencedBook) -> Self {
        let join = QuoteJoin {
            cross_sequence: book.rule() == SequenceRule::BybitV5,
            ..QuoteJoin::default()
        };
        Self { book, join }
    }

    /// A verifier for a sequencing rule with an inferred tick.
    pub fn for_rule(rule: SequenceRule) -> Self {
        Self::new(SequencedBook::new(rule, OrderBook::with_inferred_tick()))
    }

    /// Feeds one depth row.
    #[inline]
    pub fn on_depth(&mut self, row: &BookDelta) {
        self.book.apply_with(row, &mut self.join);
    }

    /// The quote stream broke (a disconnect: quotes may be missing from here back): checks
    /// whose inputs are complete are made, the rest are dropped (pending quotes counted as
    /// skipped), and no state before the break is paired with a quote after it.
    pub fn on_quote_stream_break(&mut self) {
        self.join.on_stream_break();
    }

    /// Feeds one quote.
    pub fn on_quote(&mut self, quote: &Quote) {
        self.join.on_quote(quote);
    }

    /// Feeds any event; only depth rows and quotes matter.
    pub fn on_event(&mut self, event: &MarketEvent) {
        match event {
            MarketEvent::Depth(row) => self.on_depth(row),
            MarketEvent::Quote(quote) => self.on_quote(quote),
            MarketEvent::Trade(_)
            | MarketEvent::Liquidation(_)
            | MarketEvent::Funding(_)
            | MarketEvent::Bar(_) => {}
        }
    }

    /// The report so far: checks, mismatches, skips and the kept descriptions are counted as
    /// they happen (a live session reads them after every quote); `sequence` and `gaps` are
    /// filled in by [`BookVerifier::finish`] (live: [`SequencedBook::counters`]).
    pub fn running_report(&self) -> &VerifyReport {
        &self.join.report
    }

    /// The book being rebuilt.
    pub fn book(&self) -> &SequencedBook {
        &self.book
    }

    /// Completes the run (quotes never covered by a depth message count as skipped).
    pub fn finish(mut self) -> VerifyReport {
        self.book.finish_with(&mut self.join);
        self.join.finish();
        let mut report = std::mem::take(&mut self.join.report);
        report.sequence = *self.book.counters();
        report.gaps = report.sequence.gaps;
        if let Some(gap) = self.book.last_gap() {
            report.first_mismatches.push(format!("last {gap}"));
        }
        report
    }
}

/// Verifies one instrument's events (in source order) under `rule`, inferring the tick.
pub fn verify_events<'a>(
    rule: SequenceRule,
    events: impl IntoIterator<Item = &'a MarketEvent>,
) -> VerifyReport {
    let mut verifier = BookVerifier::for_rule(rule);
    for event in events {
        verifier.on_event(event);
    }
    verifier.finish()
}

#[cfg(test)]
mod tests {
    use auction_trader_types::QuoteFlags;

    use super::*;
    use crate::test_support::{Message, diff, rows, snapshot};

    const BID: BookSide = BookSide::Bid;
    const ASK: BookSide = BookSide::Ask;

    fn quote(id: u64, bid: (i64, i64), ask: (i64, i64)) -> Quote {
        let units = |value: i64| value * 1_000_000_000;
        Quote {
            ts_event: UnixNanos(0),
            ts_recv: UnixNanos(id as i64),
            bid_price: Price::from_raw(units(bid.0)),
            bid_size: Quantity::from_raw(i128::from(units(bid.1))),
            ask_price: Price::from_raw(units(ask.0)),
            ask_size: Quantity::from_raw(i128::from(units(ask.1))),
            update_id: id,
            flags: QuoteFlags::default(),
        }
    }

    fn depth(verifier: &mut BookVerifier, message: &Message) {
        for row in rows(message) {
            verifier.on_depth(&row);
        }
    }

    /// Snapshot 100 (bid 100 x 1, ask 101 x 2), then three diffs that only touch levels behind
    /// the top, so every state is confirmed by its successor.
    fn quiet_book(verifier: &mut BookVerifier) {
        depth(verifier, &snapshot(100, &[(BID, 100, 1), (ASK, 101, 2)]));
        // A: 99..104, bid 100 -> 3 (the snapshot listed bid 100 itself: still settled).
        depth(verifier, &diff(99, 104, 98, &[(BID, 100, 3)]));
        // B: 106..110, ask 102 -> 5 (behind the best ask 101).
        depth(verifier, &diff(106, 110, 104, &[(ASK, 102, 5)]));
        // C: 111..115, bid 99 -> 1 (behind the best bid 100).
        depth(verifier, &diff(111, 115, 110, &[(BID, 99, 1)]));
    }

    #[test]
    fn quotes_pinned_by_id_are_compared_and_others_skipped() {
        let mut verifier = BookVerifier::for_rule(SequenceRule::BinanceFutures);
        // The bookTicker for u = 104 arrives before the depth message that covers it.
        verifier.on_quote(&quote(104, (100, 3), (101, 2)));
        quiet_book(&mut verifier);
        // u = 105 lies between A (u 104) and B (U 106): the book after A.
        verifier.on_quote(&quote(105, (100, 3), (101, 2)));
        // u = 108 is inside B's range 106..110: skipped.
        verifier.on_quote(&quote(108, (100, 3), (101, 2)));
        // u = 120: never covered by a depth message.
        verifier.on_quote(&quote(120, (100, 3), (101, 2)));
        let report = verifier.finish();
        assert_eq!(report.quote_checks, 2, "{report}");
        // B (u 110) against the quote in force (u 108, next 120); C (u 115) is the newest
        // message and stays unconfirmed: compared apart.
        assert_eq!(report.message_checks, 1, "{report}");
        assert_eq!(report.checks, 3);
        assert_eq!(report.unsettled_checks, 1);
        assert_eq!(
            report.mismatches + report.unsettled_mismatches,
            0,
            "{report:?}"
        );
        assert_eq!(report.skipped, 2);
        assert_eq!(report.quotes, 4);
        assert_eq!(report.gaps, 0);
    }

    /// A Bybit v5 message: `u` per topic, `seq` the cross sequence (kept as `prev`).
    fn bybit(u: u64, seq: u64, snapshot: bool, levels: &[(BookSide, i64, i64)]) -> Message {
        Message {
            first: u,
            last: u,
            prev: seq,
            snapshot,
            levels: levels.to_vec(),
        }
    }

    #[test]
    fn bybit_tickers_join_the_book_on_the_cross_sequence() {
        let mut verifier = BookVerifier::for_rule(SequenceRule::BybitV5);
        depth(
            &mut verifier,
            &bybit(1, 1000, true, &[(BID, 100, 1), (ASK, 101, 2)]),
        );
        // seq 1005 covers 1001..=1005, 1010 covers 1006..=1010 (both behind the top).
        depth(&mut verifier, &bybit(2, 1005, false, &[(BID, 99, 1)]));
        depth(&mut verifier, &bybit(3, 1010, false, &[(ASK, 102, 5)]));
        // A ticker `cs` equal to a message's seq: the book after it.
        verifier.on_quote(&quote(1005, (100, 1), (101, 2)));
        // Inside 1006..=1010: a state the deltas never show, skipped.
        verifier.on_quote(&quote(1007, (100, 9), (101, 2)));
        verifier.on_quote(&quote(1010, (100, 1), (101, 2)));
        // The next message settles 1010; its ticker says a wrong size: a mismatch.
        depth(&mut verifier, &bybit(4, 1020, false, &[(BID, 98, 1)]));
        verifier.on_quote(&quote(1020, (100, 1), (101, 3)));
        depth(&mut verifier, &bybit(5, 1030, false, &[(BID, 97, 1)]));
        let report = verifier.finish();
        assert_eq!(report.quote_checks, 3, "{report}");
        assert_eq!(report.mismatches, 1, "{report:?}");
        assert_eq!(report.skipped, 1, "{report}");
        assert_eq!(report.gaps, 0);
    }

    #[test]
    fn no_quote_pairs_across_a_stream_break() {
        let mut verifier = BookVerifier::for_rule(SequenceRule::BinanceFutures);
        quiet_book(&mut verifier);
        verifier.on_quote(&quote(104, (100, 3), (101, 2)));
        // The connection drops: the quotes that moved the top to bid 100 x 7 were lost.
        verifier.on_quote_stream_break();
        depth(
            &mut verifier,
            &snapshot(200, &[(BID, 100, 7), (ASK, 101, 2)]),
        );
        depth(&mut verifier, &diff(199, 205, 198, &[(ASK, 103, 1)]));
        depth(&mut verifier, &diff(206, 210, 205, &[(ASK, 104, 1)]));
        // Without the break, quote 104 would be "in force" at 200 and 205 (a later quote is
        // past them): two false mismatches.
        verifier.on_quote(&quote(205, (100, 7), (101, 2)));
        verifier.on_quote(&quote(230, (100, 7), (101, 2)));
        let report = verifier.finish();
        assert_eq!(
            report.mismatches + report.unsettled_mismatches,
            0,
            "{report:?}"
        );
        assert!(report.quote_checks >= 2, "{report}");
    }

    #[test]
    fn a_size_difference_is_a_mismatch() {
        let mut verifier = BookVerifier::for_rule(SequenceRule::BinanceFutures);
        quiet_book(&mut verifier);
        // The book after A has bid 100 x 3; this quote says 2.
        verifier.on_quote(&quote(104, (100, 2), (101, 2)));
        let report = verifier.finish();
        assert_eq!(report.checks, 1);
        assert_eq!(report.mismatches, 1);
        assert!(
            report.first_mismatches[0].contains("bid 100 x 2"),
            "{report:?}"
        );
    }

    #[test]
    fn a_state_the_next_message_revises_is_unsettled() {
        let mut verifier = BookVerifier::for_rule(SequenceRule::BinanceFutures);
        quiet_book(&mut verifier);
        // D lists bid 101, better than C's best bid 100, and C did not list it:
        // C's top is unconfirmed (a deferred level would look exactly like this).
        depth(&mut verifier, &diff(116, 120, 115, &[(BID, 101, 4)]));
        depth(&mut verifier, &diff(121, 125, 120, &[(ASK, 103, 1)]));
        // The venue's quote at u = 115 shows bid 101 x 4: the depth stream had deferred it.
        verifier.on_quote(&quote(115, (101, 4), (101, 2)));
        let report = verifier.finish();
        assert_eq!(report.mismatches, 0, "{report}");
        assert_eq!(report.unsettled_mismatches, 1, "{report}");
        assert!(report.first_mismatches[0].starts_with("(unsettled)"));
    }

    #[test]
    fn quotes_before_a_resync_snapshot_are_not_pinned_to_older_states() {
        let mut verifier = BookVerifier::for_rule(SequenceRule::BinanceFutures);
        quiet_book(&mut verifier);
        // pu 117 != 115: gap; the next snapshot (130) resyncs.
        depth(&mut verifier, &diff(118, 122, 117, &[(BID, 100, 9)]));
        depth(
            &mut verifier,
            &snapshot(130, &[(BID, 100, 9), (ASK, 101, 2)]),
        );
        depth(&mut verifier, &diff(128, 135, 127, &[(ASK, 104, 1)]));
        // u = 125 falls between C and the snapshot, across the gap: unknown state.
        verifier.on_quote(&quote(125, (100, 3), (101, 2)));
        // u = 130 is the snapshot itself.
        verifier.on_quote(&quote(130, (100, 9), (101, 2)));
        let report = verifier.finish();
        assert_eq!(report.gaps, 1);
        assert_eq!(report.sequence.resyncs, 1);
        assert_eq!(report.quote_checks, 1, "{report}");
        assert_eq!(report.mismatches, 0, "{report:?}");
        assert!(
            report
                .first_mismatches
                .iter()
                .any(|line| line.starts_with("last gap"))
        );
    }

    #[test]
    fn quotes_without_ids_or_out_of_order_are_skipped() {
        let mut verifier = BookVerifier::for_rule(SequenceRule::BinanceFutures);
        quiet_book(&mut verifier);
        verifier.on_quote(&quote(0, (100, 3), (101, 2)));
        verifier.on_quote(&quote(110, (100, 3), (101, 2)));
        verifier.on_quote(&quote(104, (100, 3), (101, 2)));
        let report = verifier.finish();
        assert_eq!(report.skipped, 2);
        assert_eq!(report.quote_checks, 1);
    }

    #[test]
    fn verify_events_reads_market_events() {
        let mut events: Vec<MarketEvent> = Vec::new();
        events.extend(
            rows(&snapshot(100, &[(BID, 100, 1), (ASK, 101, 2)]))
                .into_iter()
                .map(MarketEvent::Depth),
        );
        events.extend(
            rows(&diff(99, 104, 98, &[(BID, 99, 3)]))
                .into_iter()
                .map(MarketEvent::Depth),
        );
        events.extend(
            rows(&diff(105, 108, 104, &[(ASK, 103, 3)]))
                .into_iter()
                .map(MarketEvent::Depth),
        );
        events.push(MarketEvent::Quote(quote(104, (100, 1), (101, 2))));
        let report = verify_events(SequenceRule::BinanceFutures, &events);
        assert_eq!(report.checks, 1, "{report}");
        assert_eq!(report.mismatches, 0);
    }
}
