//! Validation of imported and live market data (SPEC 1.3): a report, never a silent repair.
//!
//! [`Validator`] is an [`EventSink`]: put it behind any importer directly, or wrap another sink
//! with [`ValidatingSink`] so events are checked on their way into storage. For events already
//! collected in memory use [`validate_collected`] or [`validate_events`]. The result is a
//! [`ValidationReport`]: per instrument and stream kind, counts, first/last `ts_recv`, bad
//! values, crossed quotes, out-of-order timestamps, duplicate trade ids, gaps, depth sequence
//! breaks and aggressor coverage, plus the importer's quarantined rows by reason. It serializes
//! to deterministic JSON and renders as text (`Display`).

mod render;
mod report;
mod sequence;
mod stream;
pub(crate) mod trade_ids;

use std::collections::BTreeMap;

use auction_trader_types::{InstrumentKey, MarketEvent, MarketKind, NANOS_PER_MINUTE, StreamKind};
use serde::Serialize;

pub use report::{
    AggressorCoverage, Gap, QuarantineReport, StreamReport, TradeIdCheck, ValidationReport,
    VolumeSum, WarningReport,
};
pub use sequence::{SequenceBreak, SequenceReport, SequenceRule};

use crate::{CollectedEvents, EventSink, InstrumentSlot, QuarantinedRow, TaggedEvent};
use stream::StreamState;

/// SPEC 1.3: default gap threshold for history, 10 minutes.
pub const DEFAULT_GAP_THRESHOLD_NANOS: i64 = 10 * NANOS_PER_MINUTE;

/// Number of stream kinds (the per-instrument stride of the stream table).
const KINDS: usize = StreamKind::ALL.len();
/// Distinct quarantine reasons / sources kept before the rest are pooled.
const MAX_DISTINCT_KEYS: usize = 256;
const OTHER_KEY: &str = "(other)";

/// What the validator checks and how much it keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationSettings {
    /// Gaps in a stream longer than this are listed (SPEC 1.3: configurable, 10 min default).
    pub gap_threshold_nanos: i64,
    /// Id ranges kept per trade stream for duplicate detection (see the `trade_ids` module:
    /// consecutive ids share one range); beyond it the least recently extended range is
    /// evicted and counted in the report.
    pub trade_id_capacity: usize,
    /// Sequence breaks listed per depth stream (all are counted).
    pub max_sequence_breaks_listed: usize,
    /// Quarantined rows kept as examples (all are counted).
    pub max_quarantine_examples: usize,
    /// Warnings kept (all are counted).
    pub max_warnings_kept: usize,
}

impl Default for ValidationSettings {
    fn default() -> Self {
        Self {
            gap_threshold_nanos: DEFAULT_GAP_THRESHOLD_NANOS,
            trade_id_capacity: 1 << 18,
            max_sequence_breaks_listed: 20,
            max_quarantine_examples: 20,
            max_warnings_kept: 50,
        }
    }
}

impl ValidationSettings {
    /// Default settings with another gap threshold.
    pub fn with_gap_threshold_nanos(gap_threshold_nanos: i64) -> Self {
        Self {
            gap_threshold_nanos,
            ..Self::default()
        }
    }
}

/// Checks every event it receives and builds a [`ValidationReport`]. Memory is bounded per
/// stream (trade-id ranges up to the capacity, listed gaps and capped example lists).
#[derive(Debug)]
pub struct Validator {
    settings: ValidationSettings,
    instruments: Vec<InstrumentKey>,
    /// Indexed by `slot * KINDS + kind priority`.
    streams: Vec<Option<Box<StreamState>>>,
    quarantine: QuarantineReport,
    warnings: WarningReport,
}

impl Default for Validator {
    fn default() -> Self {
        Self::new(ValidationSettings::default())
    }
}

impl Validator {
    pub fn new(settings: ValidationSettings) -> Self {
        Self {
            settings,
            instruments: Vec::new(),
            streams: Vec::new(),
            quarantine: QuarantineReport::default(),
            warnings: WarningReport::default(),
        }
    }

    pub fn settings(&self) -> &ValidationSettings {
        &self.settings
    }

    /// Checks one event of a registered instrument (the same as [`EventSink::event`]).
    pub fn check(&mut self, instrument: InstrumentSlot, event: &MarketEvent) {
        self.stream_mut(instrument, event.kind()).observe(event);
    }

    /// Hook for the order book: adds `count` crossed reconstructed books (SPEC 1.3: "no
    /// crossed book in reconstructed books") to the instrument's depth stream.
    pub fn record_crossed_books(&mut self, instrument: InstrumentSlot, count: u64) {
        self.stream_mut(instrument, StreamKind::Depth)
            .add_crossed_books(count);
    }

    /// The report as of now (for live streams); the validator keeps running.
    pub fn report(&self) -> ValidationReport {
        let mut streams: Vec<StreamReport> = self
            .streams
            .iter()
            .flatten()
            .map(|state| state.report())
            .collect();
        streams.sort_by(|left, right| {
            (&left.instrument, left.kind).cmp(&(&right.instrument, right.kind))
        });
        ValidationReport {
            gap_threshold_nanos: self.settings.gap_threshold_nanos,
            streams,
            quarantine: self.quarantine.clone(),
            warnings: self.warnings.clone(),
        }
    }

    /// The final report.
    pub fn finish(self) -> ValidationReport {
        self.report()
    }

    fn stream_mut(&mut self, instrument: InstrumentSlot, kind: StreamKind) -> &mut StreamState {
        let slot = instrument.0 as usize;
        while self.instruments.len() <= slot {
            // An importer bug (event of an unregistered slot) is still reported, under a
            // placeholder key, rather than dropped.
            let placeholder = InstrumentKey::new(
                "unregistered",
                format!("slot{}", self.instruments.len()),
                MarketKind::Perpetual,
            );
            self.instruments.push(placeholder);
        }
        let index = slot * KINDS + usize::from(kind.priority());
        if self.streams.len() <= index {
            self.streams.resize_with(index + 1, || None);
        }
        let instruments = &self.instruments;
        let settings = &self.settings;
        self.streams[index].get_or_insert_with(|| {
            Box::new(StreamState::new(instruments[slot].clone(), kind, settings))
        })
    }
}

impl EventSink for Validator {
    fn instrument(&mut self, key: &InstrumentKey) -> InstrumentSlot {
        if let Some(index) = self.instruments.iter().position(|known| known == key) {
            return InstrumentSlot(index as u32);
        }
        self.instruments.push(key.clone());
        InstrumentSlot((self.instruments.len() - 1) as u32)
    }

    #[inline]
    fn event(&mut self, instrument: InstrumentSlot, event: MarketEvent) {
        self.check(instrument, &event);
    }

    fn quarantine(&mut self, row: QuarantinedRow) {
        let tally = &mut self.quarantine;
        tally.total += 1;
        count_key(&mut tally.by_reason, reason_category(&row.reason));
        count_key(&mut tally.by_source, &row.source);
        if tally.examples.len() < self.settings.max_quarantine_examples {
            tally.examples.push(row);
        }
    }

    fn warn(&mut self, message: String) {
        self.warnings.total += 1;
        if self.warnings.messages.len() < self.settings.max_warnings_kept {
            self.warnings.messages.push(message);
        }
    }
}

/// The reason's category: the text before its first `:` (importers write
/// `"bad price: '-1'"`-style reasons), trimmed and at most 80 bytes.
fn reason_category(reason: &str) -> &str {
    let category = reason.split(':').next().unwrap_or(reason).trim();
    let mut end = category.len().min(80);
    while !category.is_char_boundary(end) {
        end -= 1;
    }
    &category[..end]
}

fn count_key(counts: &mut BTreeMap<String, u64>, key: &str) {
    if let Some(count) = counts.get_mut(key) {
        *count += 1;
    } else if counts.len() < MAX_DISTINCT_KEYS {
        counts.insert(key.to_owned(), 1);
    } else {
        *counts.entry(OTHER_KEY.to_owned()).or_insert(0) += 1;
    }
}

/// Wraps another sink: every call is forwarded to it unchanged and also checked. The inner
/// sink's slots are returned to the importer, so it sees no difference.
#[derive(Debug)]
pub struct ValidatingSink<'a, S: EventSink + ?Sized> {
    inner: &'a mut S,
    validator: Validator,
    /// Inner slot number -> the validator's slot.
    slots: BTreeMap<InstrumentSlot, InstrumentSlot>,
    /// Fast path for runs of events of one instrument.
    last: Option<(InstrumentSlot, InstrumentSlot)>,
}

impl<'a, S: EventSink + ?Sized> ValidatingSink<'a, S> {
    pub fn new(inner: &'a mut S, settings: ValidationSettings) -> Self {
        Self {
            inner,
            validator: Validator::new(settings),
            slots: BTreeMap::new(),
            last: None,
        }
    }

    pub fn inner(&self) -> &S {
        self.inner
    }

    pub fn validator(&self) -> &Validator {
        &self.validator
    }

    pub fn validator_mut(&mut self) -> &mut Validator {
        &mut self.validator
    }

    /// The final report; the inner sink stays with its owner.
    pub fn finish(self) -> ValidationReport {
        self.validator.finish()
    }

    fn own_slot(&mut self, outer: InstrumentSlot) -> InstrumentSlot {
        if let Some((known_outer, own)) = self.last
            && known_outer == outer
        {
            return own;
        }
        let own = match self.slots.get(&outer) {
            Some(&own) => own,
            None => {
                // An importer bug (a slot it never registered) is reported, not dropped.
                let placeholder = InstrumentKey::new(
                    "unregistered",
                    format!("inner-slot{}", outer.0),
                    MarketKind::Perpetual,
                );
                let own = self.validator.instrument(&placeholder);
                self.slots.insert(outer, own);
                own
            }
        };
        self.last = Some((outer, own));
        own
    }
}

impl<S: EventSink + ?Sized> EventSink for ValidatingSink<'_, S> {
    fn instrument(&mut self, key: &InstrumentKey) -> InstrumentSlot {
        let outer = self.inner.instrument(key);
        let own = self.validator.instrument(key);
        self.slots.insert(outer, own);
        self.last = None;
        outer
    }

    #[inline]
    fn event(&mut self, instrument: InstrumentSlot, event: MarketEvent) {
        let own = self.own_slot(instrument);
        self.validator.check(own, &event);
        self.inner.event(instrument, event);
    }

    fn quarantine(&mut self, row: QuarantinedRow) {
        self.validator.quarantine(row.clone());
        self.inner.quarantine(row);
    }

    fn warn(&mut self, message: String) {
        self.validator.warn(message.clone());
        self.inner.warn(message);
    }
}

/// Validates events already collected in memory (with their quarantined rows and warnings).
pub fn validate_collected(
    collected: &CollectedEvents,
    settings: &ValidationSettings,
) -> ValidationReport {
    let mut validator = Validator::new(settings.clone());
    for key in &collected.instruments {
        validator.instrument(key);
    }
    for tagged in &collected.events {
        validator.check(tagged.instrument, &tagged.event);
    }
    for row in &collected.quarantined {
        validator.quarantine(row.clone());
    }
    for message in &collected.warnings {
        validator.warn(message.clone());
    }
    validator.finish()
}

/// Validates tagged events whose slots index `instruments`.
pub fn validate_events<'e>(
    instruments: &[InstrumentKey],
    events: impl IntoIterator<Item = &'e TaggedEvent>,
    settings: &ValidationSettings,
) -> ValidationReport {
    let mut validator = Validator::new(settings.clone());
    for key in instruments {
        validator.instrument(key);
    }
    for tagged in events {
        validator.check(tagged.instrument, &tagged.event);
    }
    validator.finish()
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{
        AggressorSide, BookDelta, BookSide, DeltaFlags, MarketKind, Price, Quantity, Quote,
        QuoteFlags, Trade, TradeId, UnixNanos,
    };

    use super::*;

    const MINUTE: i64 = NANOS_PER_MINUTE;

    fn key() -> InstrumentKey {
        InstrumentKey::new("binance-usdm", "BTCUSDT", MarketKind::Perpetual)
    }

    fn price(units: i64) -> Price {
        Price::from_raw(units * 1_000_000_000)
    }

    fn size(units: i64) -> Quantity {
        Quantity::from_raw(units * 1_000_000_000)
    }

    fn trade(
        ts_recv: i64,
        ts_event: i64,
        px: i64,
        qty: i64,
        side: AggressorSide,
        id: u64,
    ) -> MarketEvent {
        MarketEvent::Trade(Trade {
            ts_event: UnixNanos(ts_event),
            ts_recv: UnixNanos(ts_recv),
            price: price(px),
            size: size(qty),
            aggressor: side,
            trade_id: TradeId(id),
        })
    }

    fn quote(ts: i64, bid: i64, ask: i64, bid_size: i64, flags: u8) -> MarketEvent {
        MarketEvent::Quote(Quote {
            ts_event: UnixNanos(ts),
            ts_recv: UnixNanos(ts),
            bid_price: price(bid),
            bid_size: size(bid_size),
            ask_price: price(ask),
            ask_size: size(1),
            update_id: 0,
            flags: QuoteFlags(flags),
        })
    }

    fn delta(ts: i64, px: i64, qty: i64, flags: u8) -> MarketEvent {
        MarketEvent::Depth(BookDelta {
            ts_event: UnixNanos(ts),
            ts_recv: UnixNanos(ts),
            side: BookSide::Ask,
            price: price(px),
            size: size(qty),
            first_update_id: 0,
            last_update_id: 0,
            prev_update_id: 0,
            flags: DeltaFlags(flags),
        })
    }

    /// The worked example: four trades, four quotes, three depth rows, three quarantined rows.
    fn worked_example() -> Validator {
        let mut validator = Validator::default();
        let slot = validator.instrument(&key());
        // Trades: t2 has a zero price; t3 steps back 500 ns in ts_recv and ts_event and
        // repeats id 2; t4 arrives 11 minutes after the latest ts_recv (2_000): one gap of
        // 660 s > 600 s.
        let events = [
            trade(1_000, 900, 100, 1, AggressorSide::Buy, 1),
            trade(2_000, 1_900, 0, 2, AggressorSide::Sell, 2),
            trade(1_500, 1_400, 101, 1, AggressorSide::Unknown, 2),
            trade(
                2_000 + 11 * MINUTE,
                2_000 + 11 * MINUTE,
                102,
                3,
                AggressorSide::Buy,
                3,
            ),
            // Quotes: fine; crossed (bid == ask counts); zero bid (not crossed); negative bid
            // price and size, without exchange time.
            quote(10, 100, 101, 1, 0),
            quote(20, 101, 101, 1, 0),
            quote(30, 0, 101, 1, 0),
            quote(40, -1, 100, -2, QuoteFlags::NO_EXCHANGE_TIME),
            // Depth: a zero size removes a level (fine); a zero price is not; an EMPTY row's
            // zero price is by design.
            delta(50, 100, 0, 0),
            delta(60, 0, 1, 0),
            delta(70, 0, 0, DeltaFlags::EMPTY | DeltaFlags::LAST),
        ];
        for event in events {
            validator.event(slot, event);
        }
        validator.quarantine(QuarantinedRow::new("a.csv", 3, "bad price: '-1'", b"x,-1"));
        validator.quarantine(QuarantinedRow::new(
            "a.csv",
            9,
            "bad price: 'abc'",
            b"x,abc",
        ));
        validator.quarantine(QuarantinedRow::new("b.csv", 2, "missing column", b"x"));
        validator.warn("timestamp unit inferred as ms".to_owned());
        validator
    }

    #[test]
    fn the_worked_example_counts_every_issue() {
        let report = worked_example().finish();
        let trades = report.stream(&key(), StreamKind::Trade).unwrap();
        assert_eq!(trades.events, 4);
        assert_eq!(trades.first_ts_recv, Some(UnixNanos(1_000)));
        assert_eq!(trades.last_ts_recv, Some(UnixNanos(2_000 + 11 * MINUTE)));
        assert_eq!(
            (trades.zero_prices, trades.zero_sizes, trades.negative_sizes),
            (1, 0, 0)
        );
        assert_eq!(trades.out_of_order_ts_recv, 1);
        assert_eq!(trades.largest_ts_recv_step_back_nanos, 500);
        assert_eq!(trades.out_of_order_ts_event, 1);
        assert_eq!(trades.trade_ids.as_ref().unwrap().duplicates, 1);
        assert_eq!(
            trades.gaps,
            vec![Gap {
                start: UnixNanos(2_000),
                end: UnixNanos(2_000 + 11 * MINUTE),
                duration_nanos: 11 * MINUTE,
            }]
        );
        // Issues: zero price 1 + out of order 1 + 1 + duplicate 1 + gap 1 = 5.
        assert_eq!(trades.issues_count(), 5);
        // Volume: buy 1 + 3 = 4, sell 2, unknown 1; given share = 6 / 7.
        let coverage = trades.aggressor.as_ref().unwrap();
        assert_eq!(
            (
                coverage.buy_trades,
                coverage.sell_trades,
                coverage.unknown_trades
            ),
            (2, 1, 1)
        );
        assert_eq!(coverage.buy_volume.to_string(), "4");
        assert!((coverage.given_volume_share.unwrap() - 6.0 / 7.0).abs() < 1e-12);

        let quotes = report.stream(&key(), StreamKind::Quote).unwrap();
        assert_eq!(quotes.crossed_quotes, 1);
        // Zero bid in q3; negative bid in q4 is not zero.
        assert_eq!(
            (
                quotes.zero_prices,
                quotes.negative_prices,
                quotes.negative_sizes
            ),
            (1, 1, 1)
        );
        assert_eq!(quotes.without_exchange_time, 1);
        assert_eq!(quotes.issues_count(), 4);

        let depth = report.stream(&key(), StreamKind::Depth).unwrap();
        assert_eq!(
            (depth.zero_prices, depth.zero_sizes, depth.issues_count()),
            (1, 0, 1)
        );
        assert_eq!(
            depth.sequence.as_ref().unwrap().rule,
            SequenceRule::BinanceFutures
        );

        assert_eq!(report.quarantine.total, 3);
        assert_eq!(report.quarantine.by_reason["bad price"], 2);
        assert_eq!(report.quarantine.by_reason["missing column"], 1);
        assert_eq!(report.quarantine.by_source["a.csv"], 2);
        assert_eq!(report.warnings.total, 1);
        // 5 + 4 + 1 stream issues + 3 quarantined rows = 13.
        assert_eq!(report.issues_count(), 13);
        assert!(!report.is_clean());
        assert_eq!(report.events(), 11);
        // Streams are sorted by instrument then kind priority: depth, quotes, trades.
        let kinds: Vec<StreamKind> = report.streams.iter().map(|stream| stream.kind).collect();
        assert_eq!(
            kinds,
            [StreamKind::Depth, StreamKind::Quote, StreamKind::Trade]
        );
    }

    #[test]
    fn clean_data_gives_a_clean_report_and_a_summary_line() {
        let mut validator = Validator::default();
        let slot = validator.instrument(&key());
        for index in 0..10 {
            let ts = index * MINUTE;
            validator.event(
                slot,
                trade(ts, ts, 100, 1, AggressorSide::Buy, 1_000 + index as u64),
            );
        }
        let report = validator.finish();
        assert!(report.is_clean());
        let text = report.to_string();
        assert!(
            text.contains("Summary: CLEAN: 0 issues in 1 streams, 10 events"),
            "{text}"
        );
        assert!(text.contains("binance-usdm:BTCUSDT:perp  trades"), "{text}");
        assert!(text.contains("100.000% of volume"), "{text}");
    }

    #[test]
    fn the_json_form_is_deterministic_and_ordered() {
        let first = worked_example().finish().to_json();
        let second = worked_example().finish().to_json();
        assert_eq!(first, second);
        let position = |needle: &str| first.find(needle).unwrap();
        assert!(position("\"gap_threshold_nanos\"") < position("\"streams\""));
        assert!(position("\"streams\"") < position("\"quarantine\""));
        assert!(position("\"bad price\"") < position("\"missing column\""));
        let value: serde_json::Value = serde_json::from_str(&first).unwrap();
        assert_eq!(value["streams"][2]["aggressor"]["buy_volume"], "4");
        assert_eq!(
            value["streams"][2]["gaps"][0]["duration_nanos"],
            660_000_000_000_i64
        );
        let text = worked_example().finish().to_string();
        assert!(text.contains("Summary: NOT CLEAN: 13 issues"), "{text}");
        assert!(text.contains("11m 00.000s"), "{text}");
        println!("{text}");
    }

    #[test]
    fn the_validating_sink_forwards_everything_with_the_inner_slots() {
        let other = InstrumentKey::new("bybit-linear", "ETHUSDT", MarketKind::Perpetual);
        let mut inner = CollectedEvents::new();
        inner.instrument(&other);
        let mut sink = ValidatingSink::new(&mut inner, ValidationSettings::default());
        let slot = sink.instrument(&key());
        assert_eq!(
            slot,
            InstrumentSlot(1),
            "the importer sees the inner sink's slot"
        );
        sink.event(slot, trade(1, 1, 100, 1, AggressorSide::Buy, 7));
        sink.event(slot, trade(2, 2, 100, 1, AggressorSide::Buy, 7));
        sink.quarantine(QuarantinedRow::new("c.csv", 1, "bad size", b""));
        sink.warn("note".to_owned());
        sink.validator_mut()
            .record_crossed_books(InstrumentSlot(0), 2);
        let report = sink.finish();
        assert_eq!(inner.events.len(), 2);
        assert_eq!(inner.events[0].instrument, InstrumentSlot(1));
        assert_eq!((inner.quarantined.len(), inner.warnings.len()), (1, 1));
        let trades = report.stream(&key(), StreamKind::Trade).unwrap();
        assert_eq!(trades.trade_ids.as_ref().unwrap().duplicates, 1);
        assert_eq!(
            report
                .stream(&key(), StreamKind::Depth)
                .unwrap()
                .crossed_books,
            2
        );
        assert!(report.stream(&other, StreamKind::Trade).is_none());
        // Duplicate 1 + crossed books 2 + quarantined 1 = 4.
        assert_eq!(report.issues_count(), 4);
    }

    #[test]
    fn collected_events_validate_the_same_way() {
        let mut collected = CollectedEvents::new();
        let slot = collected.instrument(&key());
        collected.event(slot, trade(5, 5, 100, 1, AggressorSide::Sell, 1));
        collected.event(slot, trade(4, 4, 100, 1, AggressorSide::Sell, 2));
        let report = validate_collected(&collected, &ValidationSettings::default());
        let trades = report.stream(&key(), StreamKind::Trade).unwrap();
        assert_eq!((trades.events, trades.out_of_order_ts_recv), (2, 1));
        let again = validate_events(
            &collected.instruments,
            &collected.events,
            &ValidationSettings::default(),
        );
        assert_eq!(report, again);
    }

    #[test]
    fn crossed_books_can_be_added_to_a_finished_report() {
        let mut report = Validator::default().finish();
        report.add_crossed_books(&key(), 3);
        report.add_crossed_books(&key(), 1);
        assert_eq!(
            report
                .stream(&key(), StreamKind::Depth)
                .unwrap()
                .crossed_books,
            4
        );
        assert_eq!(report.issues_count(), 4);
    }

    #[test]
    fn gaps_use_the_configured_threshold_and_events_of_unknown_slots_are_kept() {
        // Events 0, 30 s, 100 s: with a 60 s threshold only the 70 s interval is a gap.
        let second = 1_000_000_000;
        let mut validator =
            Validator::new(ValidationSettings::with_gap_threshold_nanos(60 * second));
        validator.event(InstrumentSlot(2), trade(0, 0, 1, 1, AggressorSide::Buy, 1));
        validator.event(
            InstrumentSlot(2),
            trade(30 * second, 0, 1, 1, AggressorSide::Buy, 2),
        );
        validator.event(
            InstrumentSlot(2),
            trade(100 * second, 0, 1, 1, AggressorSide::Buy, 3),
        );
        let report = validator.finish();
        assert_eq!(report.streams.len(), 1);
        assert_eq!(report.streams[0].instrument.venue, "unregistered");
        assert_eq!(report.streams[0].gaps.len(), 1);
        assert_eq!(report.streams[0].gaps[0].duration_nanos, 70 * second);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_trades_never_panic_and_order_counts_match_a_model(
            rows in proptest::collection::vec(
                (proptest::prelude::any::<i64>(), proptest::prelude::any::<i64>(), proptest::prelude::any::<i64>(), proptest::prelude::any::<u64>(), 0_u8..3),
                0..200,
            ),
        ) {
            let mut validator = Validator::default();
            let slot = validator.instrument(&key());
            let mut expected_out_of_order = 0;
            let mut previous: Option<i64> = None;
            for &(ts, price_raw, size_raw, id, side) in &rows {
                if previous.is_some_and(|before| ts < before) {
                    expected_out_of_order += 1;
                }
                previous = Some(ts);
                let aggressor = AggressorSide::from_code(side as i8 - 1);
                validator.event(slot, MarketEvent::Trade(Trade {
                    ts_event: UnixNanos(ts),
                    ts_recv: UnixNanos(ts),
                    price: Price::from_raw(price_raw),
                    size: Quantity::from_raw(size_raw),
                    aggressor,
                    trade_id: TradeId(id),
                }));
            }
            let report = validator.finish();
            let _ = report.to_string();
            let _ = report.to_json();
            if let Some(trades) = report.stream(&key(), StreamKind::Trade) {
                proptest::prop_assert_eq!(trades.out_of_order_ts_recv, expected_out_of_order);
                proptest::prop_assert_eq!(trades.events, rows.len() as u64);
            }
        }

        #[test]
        fn reason_categories_never_panic(reason in ".*") {
            proptest::prop_assert!(reason_category(&reason).len() <= 80);
        }
    }

    #[test]
    fn quarantine_reasons_are_grouped_by_category() {
        assert_eq!(reason_category("bad price: '-1'"), "bad price");
        assert_eq!(reason_category("  missing column  "), "missing column");
        let long = "é".repeat(100);
        assert!(reason_category(&long).len() <= 80);
    }
}
