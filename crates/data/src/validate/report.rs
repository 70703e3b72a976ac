//! The validation report (SPEC 1.3): plain data with a deterministic JSON form (structs in
//! declaration order, `Vec` and `BTreeMap` only) and issue counting for the CLI's `--strict`.

use std::collections::BTreeMap;
use std::fmt;

use auction_trader_types::{FIXED_SCALE, InstrumentKey, StreamKind, UnixNanos};
use serde::{Serialize, Serializer};

use super::sequence::SequenceReport;
use crate::QuarantinedRow;

/// A sum of fixed-point quantities in `i128` (a long history can exceed `i64` raw units).
/// Serialized as an exact decimal string.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct VolumeSum(pub i128);

impl VolumeSum {
    /// The sum as a float, for shares and display only.
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / FIXED_SCALE as f64
    }
}

impl fmt::Display for VolumeSum {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scale = FIXED_SCALE.unsigned_abs() as u128;
        let magnitude = self.0.unsigned_abs();
        if self.0 < 0 {
            formatter.write_str("-")?;
        }
        write!(formatter, "{}", magnitude / scale)?;
        let mut fraction = magnitude % scale;
        if fraction != 0 {
            let mut width = 9_usize;
            while fraction.is_multiple_of(10) {
                fraction /= 10;
                width -= 1;
            }
            write!(formatter, ".{fraction:0width$}")?;
        }
        Ok(())
    }
}

impl Serialize for VolumeSum {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// One interval without events longer than the gap threshold (on `ts_recv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// Latest `ts_recv` seen before the gap.
    pub start: UnixNanos,
    /// `ts_recv` of the event that ended it.
    pub end: UnixNanos,
    pub duration_nanos: i64,
}

/// Who initiated the trades, by count and by volume (SPEC 1.3: every trade classified).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AggressorCoverage {
    pub buy_trades: u64,
    pub sell_trades: u64,
    pub unknown_trades: u64,
    pub buy_volume: VolumeSum,
    pub sell_volume: VolumeSum,
    pub unknown_volume: VolumeSum,
    /// Share of traded volume with a known aggressor, in [0, 1]; `None` without volume.
    pub given_volume_share: Option<f64>,
}

/// Duplicate trade-id detection of one trade stream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TradeIdCheck {
    /// Trades whose id had been seen before in the same stream.
    pub duplicates: u64,
    /// Trades without an id (id 0 = absent): not checked.
    pub without_id: u64,
    /// Id ranges forgotten to bound memory; 0 means detection was exact over the stream.
    pub evicted_ranges: u64,
}

/// Everything measured on one instrument's stream of one kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamReport {
    pub instrument: InstrumentKey,
    pub kind: StreamKind,
    pub events: u64,
    /// Earliest `ts_recv` seen (the first event's when the stream is in order).
    pub first_ts_recv: Option<UnixNanos>,
    /// Latest `ts_recv` seen.
    pub last_ts_recv: Option<UnixNanos>,
    /// Events with a negative price (any price field of the event).
    pub negative_prices: u64,
    /// Events with a negative size or volume.
    pub negative_sizes: u64,
    /// Trades, quotes, liquidations and depth levels with a zero price.
    pub zero_prices: u64,
    /// Trades and liquidations with a zero size (zero is valid only as a depth-delta size).
    pub zero_sizes: u64,
    /// Quotes with both prices positive and bid >= ask.
    pub crossed_quotes: u64,
    /// Crossed reconstructed books, reported by the order book (see
    /// [`super::Validator::record_crossed_books`]); 0 until it reports.
    pub crossed_books: u64,
    /// Events whose `ts_recv` is earlier than the previous event's.
    pub out_of_order_ts_recv: u64,
    /// Events whose `ts_event` is earlier than the previous event's.
    pub out_of_order_ts_event: u64,
    /// Largest backward step of `ts_recv` between consecutive events (0 when in order).
    pub largest_ts_recv_step_back_nanos: i64,
    /// Quotes without an exchange timestamp (`QuoteFlags::NO_EXCHANGE_TIME`).
    pub without_exchange_time: u64,
    pub trade_ids: Option<TradeIdCheck>,
    pub aggressor: Option<AggressorCoverage>,
    pub sequence: Option<SequenceReport>,
    pub gaps: Vec<Gap>,
}

impl StreamReport {
    pub(crate) fn empty(instrument: InstrumentKey, kind: StreamKind) -> Self {
        Self {
            instrument,
            kind,
            events: 0,
            first_ts_recv: None,
            last_ts_recv: None,
            negative_prices: 0,
            negative_sizes: 0,
            zero_prices: 0,
            zero_sizes: 0,
            crossed_quotes: 0,
            crossed_books: 0,
            out_of_order_ts_recv: 0,
            out_of_order_ts_event: 0,
            largest_ts_recv_step_back_nanos: 0,
            without_exchange_time: 0,
            trade_ids: None,
            aggressor: None,
            sequence: None,
            gaps: Vec::new(),
        }
    }

    /// Problems found in this stream: every bad value, crossed quote or book, out-of-order
    /// event, duplicate id, sequence break and gap counts one. Unknown aggressors and quotes
    /// without exchange time are coverage facts, not issues (aggressors are inferred later,
    /// SPEC 2.3).
    pub fn issues_count(&self) -> u64 {
        let duplicates = self.trade_ids.as_ref().map_or(0, |check| check.duplicates);
        let breaks = self.sequence.as_ref().map_or(0, |sequence| sequence.breaks);
        self.negative_prices
            + self.negative_sizes
            + self.zero_prices
            + self.zero_sizes
            + self.crossed_quotes
            + self.crossed_books
            + self.out_of_order_ts_recv
            + self.out_of_order_ts_event
            + duplicates
            + breaks
            + self.gaps.len() as u64
    }

    /// Total time inside the listed gaps.
    pub fn gap_time_nanos(&self) -> i64 {
        self.gaps
            .iter()
            .fold(0_i64, |total, gap| total.saturating_add(gap.duration_nanos))
    }
}

/// Rows the importers quarantined, counted by reason and by source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct QuarantineReport {
    pub total: u64,
    /// Reason category (the text before the first `:`) -> rows.
    pub by_reason: BTreeMap<String, u64>,
    /// Source file -> rows.
    pub by_source: BTreeMap<String, u64>,
    /// The first quarantined rows, in arrival order (capped by the settings).
    pub examples: Vec<QuarantinedRow>,
}

/// Non-fatal importer observations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WarningReport {
    pub total: u64,
    /// The first warnings, in arrival order (capped by the settings).
    pub messages: Vec<String>,
}

/// The full validation report of one import or capture (SPEC 1.3: a report, never repair).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidationReport {
    /// Gaps longer than this are listed.
    pub gap_threshold_nanos: i64,
    /// One entry per instrument and stream kind, sorted by instrument then kind.
    pub streams: Vec<StreamReport>,
    pub quarantine: QuarantineReport,
    pub warnings: WarningReport,
}

impl ValidationReport {
    /// All issues: the streams' issues plus every quarantined row.
    pub fn issues_count(&self) -> u64 {
        self.streams
            .iter()
            .map(StreamReport::issues_count)
            .sum::<u64>()
            + self.quarantine.total
    }

    /// True when nothing at all was found (the CLI's `--strict` exits non-zero otherwise).
    pub fn is_clean(&self) -> bool {
        self.issues_count() == 0
    }

    /// Total events over all streams.
    pub fn events(&self) -> u64 {
        self.streams.iter().map(|stream| stream.events).sum()
    }

    /// Earliest and latest `ts_recv` over all streams.
    pub fn span(&self) -> Option<(UnixNanos, UnixNanos)> {
        let first = self
            .streams
            .iter()
            .filter_map(|stream| stream.first_ts_recv)
            .min()?;
        let last = self
            .streams
            .iter()
            .filter_map(|stream| stream.last_ts_recv)
            .max()?;
        Some((first, last))
    }

    /// The stream of one instrument and kind, if it was seen.
    pub fn stream(&self, instrument: &InstrumentKey, kind: StreamKind) -> Option<&StreamReport> {
        self.streams
            .iter()
            .find(|stream| stream.kind == kind && &stream.instrument == instrument)
    }

    /// Adds crossed reconstructed books counted by the order book to an instrument's depth
    /// stream (created empty if the report has none).
    pub fn add_crossed_books(&mut self, instrument: &InstrumentKey, count: u64) {
        match self
            .streams
            .iter_mut()
            .find(|stream| stream.kind == StreamKind::Depth && &stream.instrument == instrument)
        {
            Some(stream) => stream.crossed_books += count,
            None => {
                let mut stream = StreamReport::empty(instrument.clone(), StreamKind::Depth);
                stream.crossed_books = count;
                self.streams.push(stream);
                self.streams.sort_by(|left, right| {
                    (&left.instrument, left.kind).cmp(&(&right.instrument, right.kind))
                });
            }
        }
    }

    /// Deterministic pretty JSON.
    pub fn to_json(&self) -> String {
        // Serializing plain structs, strings, integers and finite floats cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_sums_print_exact_decimals() {
        // 12.5 + 0.000000001 = 12.500000001; i128 keeps sums beyond i64 (9.2e9 units).
        assert_eq!(VolumeSum(12_500_000_001).to_string(), "12.500000001");
        assert_eq!(VolumeSum(3_000_000_000).to_string(), "3");
        assert_eq!(VolumeSum(-1_000_000).to_string(), "-0.001");
        let huge = VolumeSum(i128::from(i64::MAX) * 4);
        assert_eq!(huge.to_string(), "36893488147.419103228");
        assert_eq!(
            serde_json::to_string(&VolumeSum(1_500_000_000)).unwrap(),
            "\"1.5\""
        );
    }
}
