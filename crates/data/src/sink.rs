//! The push interface between importers and whatever consumes their events.

use std::fmt;

use auction_trader_types::{InstrumentKey, MarketEvent, StreamKind};
use serde::Serialize;

/// Index of an instrument registered with a sink during one import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct InstrumentSlot(pub u32);

/// An event tagged with the instrument it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaggedEvent {
    pub instrument: InstrumentSlot,
    pub event: MarketEvent,
}

/// A row an importer could not accept, with where it came from and why (SPEC 1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuarantinedRow {
    pub source: String,
    /// 1-based line (or record) number in the source.
    pub line: u64,
    pub reason: String,
    /// The offending text, truncated to [`QuarantinedRow::MAX_CONTENT`] bytes.
    pub content: String,
}

impl QuarantinedRow {
    pub const MAX_CONTENT: usize = 256;

    pub fn new(source: &str, line: u64, reason: impl Into<String>, content: &[u8]) -> Self {
        let end = content.len().min(Self::MAX_CONTENT);
        Self {
            source: source.to_owned(),
            line,
            reason: reason.into(),
            content: String::from_utf8_lossy(&content[..end]).into_owned(),
        }
    }
}

impl fmt::Display for QuarantinedRow {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}:{}: {}", self.source, self.line, self.reason)
    }
}

/// Receives what an importer reads, in source order.
pub trait EventSink {
    /// Registers an instrument (idempotent: the same key returns the same slot).
    fn instrument(&mut self, key: &InstrumentKey) -> InstrumentSlot;
    /// One normalized event.
    fn event(&mut self, instrument: InstrumentSlot, event: MarketEvent);
    /// A row that could not be imported.
    fn quarantine(&mut self, row: QuarantinedRow);
    /// A non-fatal observation (ambiguous timestamp unit, inferred venue, ...).
    fn warn(&mut self, message: String);
}

/// Counts of one import, returned by every importer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// Source lines or records read (including header and quarantined ones).
    pub records_read: u64,
    /// Events emitted (a depth message of N levels counts N).
    pub events: u64,
    pub quarantined: u64,
}

impl ImportSummary {
    /// Adds another import's counts (several files of one job).
    pub fn add(&mut self, other: &ImportSummary) {
        self.records_read += other.records_read;
        self.events += other.events;
        self.quarantined += other.quarantined;
    }
}

/// An in-memory sink: keeps everything in source order. For tests, verification and
/// benchmarks over a capture; imports of large histories stream into storage instead.
#[derive(Debug, Default, Clone)]
pub struct CollectedEvents {
    pub instruments: Vec<InstrumentKey>,
    pub events: Vec<TaggedEvent>,
    pub quarantined: Vec<QuarantinedRow>,
    pub warnings: Vec<String>,
}

impl CollectedEvents {
    pub fn new() -> Self {
        Self::default()
    }

    /// Events of one instrument and kind, in source order.
    pub fn of_kind(
        &self,
        instrument: InstrumentSlot,
        kind: StreamKind,
    ) -> impl Iterator<Item = &MarketEvent> + '_ {
        self.events
            .iter()
            .filter(move |tagged| tagged.instrument == instrument && tagged.event.kind() == kind)
            .map(|tagged| &tagged.event)
    }

    /// Every event of one instrument, in source order.
    pub fn events_of(&self, instrument: InstrumentSlot) -> impl Iterator<Item = &MarketEvent> + '_ {
        self.events
            .iter()
            .filter(move |tagged| tagged.instrument == instrument)
            .map(|tagged| &tagged.event)
    }

    /// The instruments with their slots, in registration order.
    pub fn instruments_with_slots(
        &self,
    ) -> impl Iterator<Item = (InstrumentSlot, &InstrumentKey)> + '_ {
        self.instruments
            .iter()
            .enumerate()
            .map(|(index, key)| (InstrumentSlot(index as u32), key))
    }

    pub fn count_of_kind(&self, kind: StreamKind) -> usize {
        self.events
            .iter()
            .filter(|tagged| tagged.event.kind() == kind)
            .count()
    }

    /// The slot of an instrument, if it was seen.
    pub fn slot_of(&self, key: &InstrumentKey) -> Option<InstrumentSlot> {
        self.instruments
            .iter()
            .position(|known| known == key)
            .map(|index| InstrumentSlot(index as u32))
    }
}

impl EventSink for CollectedEvents {
    fn instrument(&mut self, key: &InstrumentKey) -> InstrumentSlot {
        if let Some(slot) = self.slot_of(key) {
            return slot;
        }
        self.instruments.push(key.clone());
        InstrumentSlot((self.instruments.len() - 1) as u32)
    }

    #[inline]
    fn event(&mut self, instrument: InstrumentSlot, event: MarketEvent) {
        self.events.push(TaggedEvent { instrument, event });
    }

    fn quarantine(&mut self, row: QuarantinedRow) {
        self.quarantined.push(row);
    }

    fn warn(&mut self, message: String) {
        self.warnings.push(message);
    }
}
