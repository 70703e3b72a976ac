//! The session's L2 book, kept from the feed's depth rows with the book crate exactly as
//! `book verify` does, and checked against every quote (SPEC 1.3, 7): checks and mismatches
//! are counted as they happen; a new mismatch is reported once with its description.

use auction_trader_book::{BookVerifier, SequenceRule};
use auction_trader_types::MarketEvent;

/// What one event changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookCheckDelta {
    pub new_checks: u64,
    pub new_mismatches: u64,
    pub new_gaps: u64,
    pub new_resyncs: u64,
    /// The newest mismatch description, when one was added.
    pub detail: Option<String>,
}

/// The book and its running checks.
#[derive(Debug)]
pub struct BookCheck {
    verifier: BookVerifier,
    checks: u64,
    mismatches: u64,
    gaps: u64,
    resyncs: u64,
    details: usize,
}

impl BookCheck {
    /// The book of a venue (its sequencing rule: Binance futures `pu`, Bybit `u`/`seq`).
    pub fn for_venue(venue: &str) -> Self {
        Self {
            verifier: BookVerifier::for_rule(SequenceRule::for_venue(venue)),
            checks: 0,
            mismatches: 0,
            gaps: 0,
            resyncs: 0,
            details: 0,
        }
    }

    /// Feeds one event; depth rows and quotes matter.
    pub fn on_event(&mut self, event: &MarketEvent) -> BookCheckDelta {
        if !matches!(event, MarketEvent::Depth(_) | MarketEvent::Quote(_)) {
            return BookCheckDelta::default();
        }
        self.verifier.on_event(event);
        let report = self.verifier.running_report();
        let counters = self.verifier.book().counters();
        let mut delta = BookCheckDelta {
            new_checks: report.checks - self.checks,
            new_mismatches: report.mismatches - self.mismatches,
            new_gaps: counters.gaps - self.gaps,
            new_resyncs: counters.resyncs - self.resyncs,
            detail: None,
        };
        if report.first_mismatches.len() > self.details {
            delta.detail = report.first_mismatches.last().cloned();
            self.details = report.first_mismatches.len();
        }
        self.checks = report.checks;
        self.mismatches = report.mismatches;
        self.gaps = counters.gaps;
        self.resyncs = counters.resyncs;
        delta
    }

    /// The feed's connection was lost: quotes sent meanwhile never arrived, so no quote
    /// before this point is paired with a book state after it (and the reverse).
    pub fn on_quote_stream_break(&mut self) {
        self.verifier.on_quote_stream_break();
    }

    pub fn checks(&self) -> u64 {
        self.checks
    }

    pub fn mismatches(&self) -> u64 {
        self.mismatches
    }

    pub fn gaps(&self) -> u64 {
        self.gaps
    }

    pub fn resyncs(&self) -> u64 {
        self.resyncs
    }
}
