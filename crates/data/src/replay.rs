//! Deterministic time-ordered merge of any number of event streams (SPEC 1.5).
//!
//! Order: `ts_recv`, then the fixed stream-kind priority
//! ([`auction_trader_types::StreamKind::priority`]: depth before quote before trade ...), then the stream's registration order, then the order within the
//! stream. Every key is a total order on data we control, so two replays of the same inputs
//! give the same sequence. Memory is bounded by one pending event per stream: streams are pulled
//! lazily (a storage stream reads one partition file at a time).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use auction_trader_types::{MarketEvent, UnixNanos};

use crate::DataError;

/// Index of a stream in a [`ReplayMerge`], in registration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId(pub u32);

/// A stream of events in `ts_recv` order.
pub type EventStream<'a> = Box<dyn Iterator<Item = Result<MarketEvent, DataError>> + 'a>;

/// An event with the stream it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayEvent {
    pub stream: StreamId,
    pub event: MarketEvent,
}

/// Merge key of a stream's pending head event, packed into one integer so that ordering two
/// heads is one 128-bit comparison: `ts_recv` with its sign bit flipped (unsigned order equals
/// signed order) in bits 64..128, the kind priority in bits 32..40 and the stream index in bits
/// 0..32. The integer order is exactly the order of the tuple `(ts_recv, priority, stream)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct HeadKey(u128);

impl HeadKey {
    /// Above every key of an event (bits 40..64 of an event's key are zero).
    const END: Self = Self(u128::MAX);

    #[inline]
    fn new(ts_recv: UnixNanos, priority: u8, stream: u32) -> Self {
        let time = (ts_recv.0 as u64) ^ (1 << 63);
        Self((u128::from(time) << 64) | (u128::from(priority) << 32) | u128::from(stream))
    }

    #[inline]
    fn stream(self) -> u32 {
        self.0 as u32
    }
}

/// Counters of a replay, for `replay --stats` and the validation of stream order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayCounters {
    pub events: u64,
    /// Events whose `ts_recv` was earlier than the previous event of the same stream. They are
    /// replayed in stream order (never reordered, never dropped) and counted here.
    pub out_of_order: u64,
}

/// Where a stream's events come from.
enum Source<'a> {
    /// Events already in memory: the head is lent in place, never copied.
    Memory {
        events: Vec<MarketEvent>,
        /// Index of the head event (`usize::MAX` before the first one is pulled).
        head: usize,
    },
    /// Events pulled from an iterator (storage); the pending head is held here.
    Pulled {
        stream: EventStream<'a>,
        head: Option<MarketEvent>,
    },
}

impl Source<'_> {
    /// Moves to the stream's next event and returns it (`None` at the end).
    #[inline(always)]
    fn advance(&mut self) -> Option<Result<&MarketEvent, DataError>> {
        match self {
            Self::Memory { events, head } => {
                *head = head.wrapping_add(1);
                events.get(*head).map(Ok)
            }
            Self::Pulled { stream, head } => Self::pull(stream, head),
        }
    }

    fn pull<'h>(
        stream: &mut EventStream<'_>,
        head: &'h mut Option<MarketEvent>,
    ) -> Option<Result<&'h MarketEvent, DataError>> {
        match stream.next() {
            None => {
                *head = None;
                None
            }
            Some(Err(error)) => Some(Err(error)),
            Some(Ok(event)) => Some(Ok(head.insert(event))),
        }
    }

    /// The event last returned by `advance`.
    #[inline(always)]
    fn head(&self) -> Option<&MarketEvent> {
        match self {
            Self::Memory { events, head } => events.get(*head),
            Self::Pulled { head, .. } => head.as_ref(),
        }
    }
}

/// One registered stream: its source and the merge time of its last pulled event.
struct Stream<'a> {
    source: Source<'a>,
    /// A late event is merged at this time, so the stream's own order is never changed.
    last_ts: UnixNanos,
}

/// A k-way merge of event streams.
///
/// The stream of the event lent last (the winner) is kept out of the heap: after it is
/// refilled, its new head is compared with the heap's smallest key only. While it stays
/// smaller (the rows of one depth message, a burst of trades) no heap work is done; when it is
/// not, it replaces the heap's top (one sift) and the top's stream becomes the winner.
pub struct ReplayMerge<'a> {
    streams: Vec<Stream<'a>>,
    /// Pending head keys of every stream except the winner's, smallest on top.
    heap: BinaryHeap<Reverse<HeadKey>>,
    /// The heap's smallest key (`HeadKey::END` when the heap is empty): the bound the winner's
    /// next head must stay below to win again.
    runner_up: HeadKey,
    /// The stream whose head event was lent out last and must be refilled next.
    lent: Option<usize>,
    /// A stream's read error, kept until the call that reports it.
    error: Option<DataError>,
    counters: ReplayCounters,
    started: bool,
}

impl std::fmt::Debug for ReplayMerge<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ReplayMerge")
            .field("streams", &self.streams.len())
            .field("counters", &self.counters)
            .finish()
    }
}

impl Default for ReplayMerge<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> ReplayMerge<'a> {
    pub fn new() -> Self {
        Self {
            streams: Vec::new(),
            heap: BinaryHeap::new(),
            runner_up: HeadKey::END,
            lent: None,
            error: None,
            counters: ReplayCounters::default(),
            started: false,
        }
    }

    /// Adds a stream; its id is its registration index. Must be called before iterating.
    pub fn add_stream(&mut self, stream: EventStream<'a>) -> StreamId {
        self.add_source(Source::Pulled { stream, head: None })
    }

    /// Adds an in-memory stream (its events are lent in place during the replay).
    pub fn add_events(&mut self, events: Vec<MarketEvent>) -> StreamId {
        self.add_source(Source::Memory {
            events,
            head: usize::MAX,
        })
    }

    fn add_source(&mut self, source: Source<'a>) -> StreamId {
        debug_assert!(
            !self.started,
            "streams must be added before the replay starts"
        );
        self.streams.push(Stream {
            source,
            last_ts: UnixNanos(i64::MIN),
        });
        StreamId((self.streams.len() - 1) as u32)
    }

    pub fn counters(&self) -> &ReplayCounters {
        &self.counters
    }

    /// Pulls the next event of stream `index` into its head slot and returns its merge key;
    /// `None` at the stream's end or on a read error (kept in `self.error`).
    #[inline(always)]
    fn refill(&mut self, index: usize) -> Option<HeadKey> {
        let (key, _) = refill_stream(
            &mut self.streams[index],
            index,
            &mut self.counters,
            &mut self.error,
        )?;
        Some(key)
    }

    /// The heap's smallest key becomes the winner (`None` when every stream is done).
    #[inline]
    fn pop_winner(&mut self) -> Option<HeadKey> {
        let Reverse(winner) = self.heap.pop()?;
        self.runner_up = self.heap.peek().map_or(HeadKey::END, |top| top.0);
        Some(winner)
    }

    /// The winner's new head `key` lost to the runner-up: swap them (one sift of the heap).
    #[cold]
    fn swap_winner(&mut self, key: HeadKey) -> HeadKey {
        let winner = match self.heap.peek_mut() {
            Some(mut top) => std::mem::replace(&mut top.0, key),
            None => key,
        };
        self.runner_up = self.heap.peek().map_or(HeadKey::END, |top| top.0);
        winner
    }

    /// First call: pulls every stream's first event and returns the first winner. Later
    /// calls (the replay ended or failed) return `Ok(None)`.
    #[cold]
    fn start(&mut self) -> Result<Option<HeadKey>, DataError> {
        if self.started {
            return Ok(None);
        }
        self.started = true;
        for index in 0..self.streams.len() {
            match self.refill(index) {
                Some(key) => self.heap.push(Reverse(key)),
                None => self.take_error()?,
            }
        }
        Ok(self.pop_winner())
    }

    /// Reports a stream's read error once; the replay ends with it.
    fn take_error(&mut self) -> Result<(), DataError> {
        match self.error.take() {
            Some(error) => {
                self.heap.clear();
                Err(error)
            }
            None => Ok(()),
        }
    }

    /// The refilled stream ended or failed: the error is reported, else the next winner
    /// comes from the heap (`None` when every stream is done).
    #[cold]
    fn after_stream_end(&mut self) -> Result<Option<HeadKey>, DataError> {
        self.lent = None;
        self.take_error()?;
        Ok(self.pop_winner())
    }
}

/// Pulls the next event of `stream` (registered as `index`) and returns its merge key and
/// the event; `None` at the stream's end or on a read error (stored in `error`).
#[inline(always)]
fn refill_stream<'s>(
    stream: &'s mut Stream<'_>,
    index: usize,
    counters: &mut ReplayCounters,
    error: &mut Option<DataError>,
) -> Option<(HeadKey, &'s MarketEvent)> {
    let event = match stream.source.advance()? {
        Ok(event) => event,
        Err(failure) => {
            *error = Some(failure);
            return None;
        }
    };
    let ts_recv = event.ts_recv();
    let previous = stream.last_ts;
    if ts_recv < previous {
        counters.out_of_order += 1;
    }
    // A late event keeps its place in its own stream: it is merged with the previous event's
    // timestamp so the stream's order is never changed.
    let merge_ts = ts_recv.max(previous);
    stream.last_ts = merge_ts;
    let key = HeadKey::new(merge_ts, event.kind().priority(), index as u32);
    Some((key, event))
}

impl ReplayMerge<'_> {
    /// Advances the merge and lends the next event (no copy of it): the hot-path form of the
    /// iterator. The stream it came from is refilled on the following call, so a read error
    /// of that stream surfaces then, after its last good event was delivered.
    /// Always inlined into the consuming loop: out of line, its result went through memory
    /// and the call cost more than a merge step.
    #[inline(always)]
    pub fn next_ref(&mut self) -> Option<Result<(StreamId, &MarketEvent), DataError>> {
        let next = match self.lent {
            Some(index) => match self.refill(index) {
                Some(key) if key < self.runner_up => Ok(Some(key)),
                Some(key) => Ok(Some(self.swap_winner(key))),
                None => self.after_stream_end(),
            },
            None => self.start(),
        };
        let winner = match next {
            Ok(winner) => winner?,
            Err(error) => return Some(Err(error)),
        };
        let stream = winner.stream();
        let index = stream as usize;
        self.lent = Some(index);
        self.counters.events += 1;
        self.streams[index]
            .source
            .head()
            .map(|event| Ok((StreamId(stream), event)))
    }
}

impl Iterator for ReplayMerge<'_> {
    type Item = Result<ReplayEvent, DataError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_ref().map(|item| {
            item.map(|(stream, event)| ReplayEvent {
                stream,
                event: *event,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{AggressorSide, Price, Quantity, Quote, QuoteFlags, Trade, TradeId};

    use super::*;

    fn trade(ts: i64, id: u64) -> MarketEvent {
        MarketEvent::Trade(Trade {
            ts_event: UnixNanos(ts),
            ts_recv: UnixNanos(ts),
            price: Price::ONE,
            size: Quantity::ONE,
            aggressor: AggressorSide::Buy,
            trade_id: TradeId(id),
        })
    }

    fn quote(ts: i64, id: u64) -> MarketEvent {
        MarketEvent::Quote(Quote {
            ts_event: UnixNanos(ts),
            ts_recv: UnixNanos(ts),
            bid_price: Price::ONE,
            bid_size: Quantity::ONE,
            ask_price: Price::ONE,
            ask_size: Quantity::ONE,
            update_id: id,
            flags: QuoteFlags::default(),
        })
    }

    fn order(merge: ReplayMerge<'_>) -> Vec<(u32, i64)> {
        merge
            .map(|item| item.unwrap())
            .map(|replayed| (replayed.stream.0, replayed.event.ts_recv().0))
            .collect()
    }

    #[test]
    fn merges_by_time_then_kind_priority_then_stream() {
        let mut merge = ReplayMerge::new();
        merge.add_events(vec![trade(1, 1), trade(5, 2), trade(9, 3)]); // stream 0
        merge.add_events(vec![quote(5, 1), quote(7, 2)]); // stream 1
        merge.add_events(vec![trade(5, 9)]); // stream 2
        // At ts 5: the quote (priority 1) precedes both trades; the trades keep stream order.
        assert_eq!(
            order(merge),
            [(0, 1), (1, 5), (0, 5), (2, 5), (1, 7), (0, 9)]
        );
    }

    #[test]
    fn a_late_event_keeps_its_stream_position_and_is_counted() {
        let mut merge = ReplayMerge::new();
        merge.add_events(vec![trade(10, 1), trade(4, 2), trade(12, 3)]);
        merge.add_events(vec![quote(11, 1)]);
        let mut collected = Vec::new();
        for item in merge.by_ref() {
            let replayed = item.unwrap();
            collected.push((replayed.stream.0, replayed.event.ts_recv().0));
        }
        assert_eq!(collected, [(0, 10), (0, 4), (1, 11), (0, 12)]);
        assert_eq!(merge.counters().out_of_order, 1);
        assert_eq!(merge.counters().events, 4);
    }

    #[test]
    fn an_error_stops_the_replay_once() {
        let mut merge = ReplayMerge::new();
        merge.add_stream(Box::new(
            vec![
                Ok(trade(1, 1)),
                Err(DataError::Storage("broken partition".into())),
            ]
            .into_iter(),
        ));
        // The good event is delivered first; the stream's error surfaces on the next call.
        assert!(merge.next().unwrap().is_ok());
        assert!(merge.next().unwrap().is_err());
        assert!(merge.next().is_none());
    }

    #[test]
    fn in_memory_and_pulled_streams_replay_identically() {
        // In-memory streams are lent in place, pulled ones through a held head: same order,
        // same events, same counters, also with a late event and an exhausted stream.
        let first = vec![trade(10, 1), trade(4, 2), trade(12, 3), trade(12, 4)];
        let second = vec![quote(4, 1), quote(11, 2), quote(12, 3)];
        let third = vec![trade(1, 9)];
        let run = |pulled: bool| {
            let mut merge = ReplayMerge::new();
            for events in [first.clone(), second.clone(), third.clone()] {
                if pulled {
                    merge.add_stream(Box::new(events.into_iter().map(Ok)));
                } else {
                    merge.add_events(events);
                }
            }
            let mut replayed = Vec::new();
            while let Some(item) = merge.next_ref() {
                let (stream, event) = item.unwrap();
                replayed.push((stream, *event));
            }
            assert!(merge.next_ref().is_none());
            (replayed, merge.counters().clone())
        };
        let (memory, memory_counters) = run(false);
        let (pulled, pulled_counters) = run(true);
        assert_eq!(memory, pulled);
        assert_eq!(memory_counters, pulled_counters);
        assert_eq!(memory_counters.events, 8);
        assert_eq!(memory_counters.out_of_order, 1);
        let order: Vec<(u32, i64)> = memory
            .iter()
            .map(|(stream, event)| (stream.0, event.ts_recv().0))
            .collect();
        assert_eq!(
            order,
            [
                (2, 1),
                (1, 4),
                (0, 10),
                (0, 4),
                (1, 11),
                (1, 12),
                (0, 12),
                (0, 12)
            ]
        );
    }

    #[test]
    fn packed_keys_order_like_the_tuple_they_pack() {
        let stamps = [i64::MIN, -5, -1, 0, 1, 7, i64::MAX];
        let mut keys = Vec::new();
        for &ts in &stamps {
            for priority in [0_u8, 1, 5] {
                for stream in [0_u32, 1, u32::MAX] {
                    keys.push((
                        (ts, priority, stream),
                        HeadKey::new(UnixNanos(ts), priority, stream),
                    ));
                }
            }
        }
        for (left_tuple, left) in &keys {
            assert_eq!(left.stream(), left_tuple.2);
            for (right_tuple, right) in &keys {
                assert_eq!(left.cmp(right), left_tuple.cmp(right_tuple));
            }
        }
    }

    /// An event of `kind` (0 depth, 1 quote, 2 trade) received at `ts`; `id` tells it apart.
    fn event_of_kind(kind: u8, ts: i64, id: u64) -> MarketEvent {
        match kind {
            0 => MarketEvent::Depth(auction_trader_types::BookDelta {
                ts_event: UnixNanos(ts),
                ts_recv: UnixNanos(ts),
                side: auction_trader_types::BookSide::Bid,
                price: Price::ONE,
                size: Quantity::ONE,
                first_update_id: id,
                last_update_id: id,
                prev_update_id: 0,
                flags: auction_trader_types::DeltaFlags::default(),
            }),
            1 => quote(ts, id),
            _ => trade(ts, id),
        }
    }

    /// The SPEC 1.5 rule written out naively: at every step, of the streams' next events take
    /// the one with the smallest (merge time, kind priority, stream), where a stream's merge
    /// time is the running maximum of its `ts_recv` (a late event keeps its place in its
    /// stream). Returns the order and the number of late events.
    fn reference_order(streams: &[Vec<MarketEvent>]) -> (Vec<(u32, MarketEvent)>, u64) {
        let mut positions = vec![0_usize; streams.len()];
        let mut merge_ts = vec![i64::MIN; streams.len()];
        let mut order = Vec::new();
        let mut late = 0;
        loop {
            let mut best: Option<((i64, u8, u32), usize)> = None;
            for (stream, events) in streams.iter().enumerate() {
                if let Some(event) = events.get(positions[stream]) {
                    let ts = merge_ts[stream].max(event.ts_recv().0);
                    let key = (ts, event.kind().priority(), stream as u32);
                    if best.is_none_or(|(known, _)| key < known) {
                        best = Some((key, stream));
                    }
                }
            }
            let Some(((ts, _, _), stream)) = best else {
                return (order, late);
            };
            let event = streams[stream][positions[stream]];
            if event.ts_recv().0 < merge_ts[stream] {
                late += 1;
            }
            merge_ts[stream] = ts;
            positions[stream] += 1;
            order.push((stream as u32, event));
        }
    }

    proptest::proptest! {
        #[test]
        fn the_merge_follows_the_ordering_rule(
            streams in proptest::collection::vec(
                proptest::collection::vec((0_u8..3, 0_i64..40), 0..60),
                1..9,
            ),
            pulled in proptest::collection::vec(proptest::bool::ANY, 9),
        ) {
            // Streams of mixed kinds with ties, late events and empty streams, some in memory
            // and some pulled through an iterator.
            let streams: Vec<Vec<MarketEvent>> = streams
                .iter()
                .enumerate()
                .map(|(stream, events)| {
                    events
                        .iter()
                        .enumerate()
                        .map(|(position, &(kind, ts))| {
                            event_of_kind(kind, ts, (stream * 1_000 + position) as u64)
                        })
                        .collect()
                })
                .collect();
            let mut merge = ReplayMerge::new();
            for (events, pulled) in streams.iter().zip(&pulled) {
                if *pulled {
                    merge.add_stream(Box::new(events.clone().into_iter().map(Ok)));
                } else {
                    merge.add_events(events.clone());
                }
            }
            let mut replayed = Vec::new();
            while let Some(item) = merge.next_ref() {
                let (stream, event) = item.unwrap();
                replayed.push((stream.0, *event));
            }
            let (expected, late) = reference_order(&streams);
            proptest::prop_assert_eq!(&replayed, &expected);
            proptest::prop_assert_eq!(merge.counters().events, expected.len() as u64);
            proptest::prop_assert_eq!(merge.counters().out_of_order, late);
            proptest::prop_assert!(merge.next_ref().is_none());
        }
    }

    #[test]
    fn replaying_twice_gives_the_same_sequence() {
        let build = || {
            let mut merge = ReplayMerge::new();
            merge.add_events(
                (0..100)
                    .map(|index| trade(index * 3 % 17, index as u64))
                    .collect(),
            );
            merge.add_events((0..50).map(|index| quote(index, index as u64)).collect());
            order(merge)
        };
        assert_eq!(build(), build());
    }
}
