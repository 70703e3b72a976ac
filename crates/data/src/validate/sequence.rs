//! A simple per-venue check of depth sequence ids (SPEC 1.3: "sequence-number breaks in depth
//! deltas"). It only counts breaks; the order book crate owns the authoritative resync logic
//! (buffering, snapshot alignment).

use auction_trader_types::{BookDelta, UnixNanos};
use serde::Serialize;

/// Which continuity rule a depth stream's sequence ids follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SequenceRule {
    /// Binance futures (USD-M, COIN-M): a diff's `pu` equals the previous diff's `u`.
    /// Snapshot rows are not part of the diff chain and are skipped.
    BinanceFutures,
    /// Binance spot: a diff's `U` equals the previous diff's `u + 1`. Snapshots skipped.
    BinanceSpot,
    /// Bybit v5: `u` increases by one per message; a snapshot (including the `u = 1` restart)
    /// starts a new chain.
    Bybit,
    /// No sequence ids known for this venue: nothing checked.
    None,
}

impl SequenceRule {
    /// The rule of a venue name (`crate::instruments` names, plus Tardis exchange ids).
    pub fn for_venue(venue: &str) -> Self {
        match venue {
            // Binance docs: "each new event's pu should be equal to the previous event's u".
            "binance-usdm" | "binance-coinm" | "binance-futures" | "binance-delivery" => {
                Self::BinanceFutures
            }
            // Binance spot docs: "each new event's U should be equal to the previous event's u+1".
            "binance-spot" | "binance" | "binance-us" => Self::BinanceSpot,
            // Bybit v5 orderbook docs: `u` is the update id, a sequence; `u = 1` is a restart.
            venue if venue.starts_with("bybit") => Self::Bybit,
            _ => Self::None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BinanceFutures => "binance-futures",
            Self::BinanceSpot => "binance-spot",
            Self::Bybit => "bybit",
            Self::None => "none",
        }
    }
}

/// One detected break: what the rule expected and what the message carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SequenceBreak {
    pub ts_recv: UnixNanos,
    /// Binance futures: the previous `u`; spot and Bybit: the previous `u + 1`.
    pub expected: u64,
    /// Binance futures: the message's `pu`; spot and Bybit: its first update id.
    pub found: u64,
}

/// Sequence-check results of one depth stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SequenceReport {
    pub rule: SequenceRule,
    /// Venue messages seen (rows grouped by their shared ids / `LAST` flag).
    pub messages: u64,
    /// Messages compared with their predecessor.
    pub checked: u64,
    pub breaks: u64,
    /// The first breaks, in stream order (capped by the settings).
    pub first_breaks: Vec<SequenceBreak>,
}

/// Identity of one venue message: the ids every row of it repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MessageIds {
    first: u64,
    last: u64,
    previous: u64,
}

impl MessageIds {
    const fn of(row: &BookDelta) -> Self {
        Self {
            first: row.first_update_id,
            last: row.last_update_id,
            previous: row.prev_update_id,
        }
    }
}

/// Streaming checker over the rows of one depth stream.
#[derive(Debug, Clone)]
pub(crate) struct SequenceChecker {
    rule: SequenceRule,
    max_listed: usize,
    current: Option<MessageIds>,
    current_ended: bool,
    /// Last update id of the previous message of the chain (`None` = chain not started).
    chain_last: Option<u64>,
    report: SequenceReport,
}

impl SequenceChecker {
    pub(crate) fn new(rule: SequenceRule, max_listed: usize) -> Self {
        Self {
            rule,
            max_listed,
            current: None,
            current_ended: false,
            chain_last: None,
            report: SequenceReport {
                rule,
                messages: 0,
                checked: 0,
                breaks: 0,
                first_breaks: Vec::new(),
            },
        }
    }

    pub(crate) fn report(&self) -> SequenceReport {
        self.report.clone()
    }

    /// Feeds one row. A row starts a new message when the previous row carried `LAST` or the
    /// ids differ from the current message's.
    pub(crate) fn observe(&mut self, row: &BookDelta) {
        let ids = MessageIds::of(row);
        let new_message = self.current_ended || self.current != Some(ids);
        self.current = Some(ids);
        self.current_ended = row.flags.is_last();
        if new_message {
            self.report.messages += 1;
            self.on_message(ids, row.flags.is_snapshot(), row.ts_recv);
        }
    }

    fn on_message(&mut self, ids: MessageIds, snapshot: bool, ts_recv: UnixNanos) {
        if ids.last == 0 {
            // Zero = absent (types: BookDelta): nothing to chain.
            return;
        }
        match self.rule {
            SequenceRule::None => {}
            SequenceRule::BinanceFutures => {
                if snapshot {
                    return;
                }
                if let Some(previous_last) = self.chain_last
                    && ids.previous != 0
                {
                    self.compare(previous_last, ids.previous, ts_recv);
                }
                self.chain_last = Some(ids.last);
            }
            SequenceRule::BinanceSpot => {
                if snapshot {
                    return;
                }
                if let Some(previous_last) = self.chain_last
                    && ids.first != 0
                {
                    self.compare(previous_last.saturating_add(1), ids.first, ts_recv);
                }
                self.chain_last = Some(ids.last);
            }
            SequenceRule::Bybit => {
                if !snapshot && let Some(previous_last) = self.chain_last {
                    self.compare(previous_last.saturating_add(1), ids.first, ts_recv);
                }
                self.chain_last = Some(ids.last);
            }
        }
    }

    fn compare(&mut self, expected: u64, found: u64, ts_recv: UnixNanos) {
        self.report.checked += 1;
        if expected != found {
            self.report.breaks += 1;
            if self.report.first_breaks.len() < self.max_listed {
                self.report.first_breaks.push(SequenceBreak {
                    ts_recv,
                    expected,
                    found,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{BookSide, DeltaFlags, Price, Quantity};

    use super::*;

    fn row(first: u64, last: u64, previous: u64, flags: u8) -> BookDelta {
        BookDelta {
            ts_event: UnixNanos(1),
            ts_recv: UnixNanos(2),
            side: BookSide::Bid,
            price: Price::ONE,
            size: Quantity::ONE,
            first_update_id: first,
            last_update_id: last,
            prev_update_id: previous,
            flags: DeltaFlags(flags),
        }
    }

    const LAST: u8 = DeltaFlags::LAST;
    const SNAPSHOT_LAST: u8 = DeltaFlags::SNAPSHOT | DeltaFlags::LAST;

    #[test]
    fn binance_futures_chains_pu_to_the_previous_u() {
        let mut checker = SequenceChecker::new(SequenceRule::BinanceFutures, 10);
        // Message U=10 u=12 pu=9 with two rows, then U=13 u=15 pu=12 (ok),
        // a snapshot (skipped), then U=20 u=22 pu=17 (expected pu 15: a break).
        checker.observe(&row(10, 12, 9, 0));
        checker.observe(&row(10, 12, 9, LAST));
        checker.observe(&row(13, 15, 12, LAST));
        checker.observe(&row(0, 14, 0, SNAPSHOT_LAST));
        checker.observe(&row(20, 22, 17, LAST));
        let report = checker.report();
        assert_eq!(report.messages, 4);
        assert_eq!(report.checked, 2);
        assert_eq!(report.breaks, 1);
        assert_eq!(report.first_breaks[0].expected, 15);
        assert_eq!(report.first_breaks[0].found, 17);
    }

    #[test]
    fn binance_spot_needs_u_plus_one() {
        let mut checker = SequenceChecker::new(SequenceRule::BinanceSpot, 10);
        // 100..=105, then 106..=110 (ok), then 112..=115 (expected 111: break).
        checker.observe(&row(100, 105, 0, LAST));
        checker.observe(&row(106, 110, 0, LAST));
        checker.observe(&row(112, 115, 0, LAST));
        let report = checker.report();
        assert_eq!((report.checked, report.breaks), (2, 1));
        assert_eq!(
            (
                report.first_breaks[0].expected,
                report.first_breaks[0].found
            ),
            (111, 112)
        );
    }

    #[test]
    fn bybit_restarts_the_chain_on_a_snapshot() {
        let mut checker = SequenceChecker::new(SequenceRule::Bybit, 10);
        // Snapshot u=500, deltas 501, 502; restart snapshot u=1, delta 2; then delta 4 (break).
        checker.observe(&row(500, 500, 7, SNAPSHOT_LAST));
        checker.observe(&row(501, 501, 8, LAST));
        checker.observe(&row(502, 502, 9, LAST));
        checker.observe(&row(1, 1, 10, SNAPSHOT_LAST));
        checker.observe(&row(2, 2, 11, LAST));
        checker.observe(&row(4, 4, 12, LAST));
        let report = checker.report();
        assert_eq!(report.messages, 6);
        assert_eq!((report.checked, report.breaks), (4, 1));
    }

    #[test]
    fn absent_ids_and_unknown_venues_are_not_checked() {
        let mut checker = SequenceChecker::new(SequenceRule::BinanceFutures, 10);
        checker.observe(&row(0, 0, 0, LAST));
        checker.observe(&row(0, 0, 0, LAST));
        assert_eq!(checker.report().checked, 0);
        assert_eq!(SequenceRule::for_venue("deribit"), SequenceRule::None);
        assert_eq!(SequenceRule::for_venue("bybit-linear"), SequenceRule::Bybit);
        assert_eq!(
            SequenceRule::for_venue("binance-coinm"),
            SequenceRule::BinanceFutures
        );
    }
}
