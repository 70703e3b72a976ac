//! Deterministic time-ordered merge of any number of event streams (SPEC 1.5).
//!
//! Order: `ts_recv`, then the fixed stream-kind priority
//! ([`auction_trader_types::StreamKind::priority`]: depth before quote before trade ...), then the stream's registration order, then the order within the
//! stream. Every key is a total order on data we control, so two replays of the same inputs
//! give the same sequence. Memory is bounded by one pending event per stream: streams are pulled
//! lazily (a storage stream reads one partition file at a time).

use std::cmp::{Ordering, Reverse};
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

/// Merge key of a stream's pending head event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HeadKey {
    ts_recv: UnixNanos,
    priority: u8,
    stream: u32,
}

impl Ord for HeadKey {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.ts_recv, self.priority, self.stream).cmp(&(
            other.ts_recv,
            other.priority,
            other.stream,
        ))
    }
}

impl PartialOrd for HeadKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
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
        /// Index of the next event to pull; the head is the one before it.
        pulled: usize,
    },
    /// Events pulled from an iterator (storage); the pending head is held here.
    Pulled {
        stream: EventStream<'a>,
        head: Option<MarketEvent>,
    },
}

impl Source<'_> {
    /// Moves to the stream's next event and returns it (`None` at the end).
    #[inline]
    fn advance(&mut self) -> Option<Result<&MarketEvent, DataError>> {
        match self {
            Self::Memory { events, pulled } => {
                let position = *pulled;
                *pulled = position.saturating_add(1);
                events.get(position).map(Ok)
            }
            Self::Pulled { stream, head } => match stream.next() {
                None => {
                    *head = None;
                    None
                }
                Some(Err(error)) => Some(Err(error)),
                Some(Ok(event)) => Some(Ok(head.insert(event))),
            },
        }
    }

    /// The event last returned by `advance`.
    #[inline]
    fn head(&self) -> Option<&MarketEvent> {
        match self {
            Self::Memory { events, pulled } => {
                pulled.checked_sub(1).and_then(|index| events.get(index))
            }
            Self::Pulled { head, .. } => head.as_ref(),
        }
    }
}

/// A k-way merge of event streams.
pub struct ReplayMerge<'a> {
    sources: Vec<Source<'a>>,
    last_ts: Vec<UnixNanos>,
    heap: BinaryHeap<Reverse<HeadKey>>,
    /// The smallest pending key when it is not in the heap: a stream that keeps winning (a
    /// depth message's rows, a burst of trades) skips the heap push and pop.
    front: Option<HeadKey>,
    /// The stream whose head event was lent out last and must be refilled next.
    lent: Option<usize>,
    counters: ReplayCounters,
    started: bool,
    failed: bool,
}

impl std::fmt::Debug for ReplayMerge<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ReplayMerge")
            .field("streams", &self.sources.len())
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
            sources: Vec::new(),
            last_ts: Vec::new(),
            heap: BinaryHeap::new(),
            front: None,
            lent: None,
            counters: ReplayCounters::default(),
            started: false,
            failed: false,
        }
    }

    /// Adds a stream; its id is its registration index. Must be called before iterating.
    pub fn add_stream(&mut self, stream: EventStream<'a>) -> StreamId {
        self.add_source(Source::Pulled { stream, head: None })
    }

    /// Adds an in-memory stream (its events are lent in place during the replay).
    pub fn add_events(&mut self, events: Vec<MarketEvent>) -> StreamId {
        self.add_source(Source::Memory { events, pulled: 0 })
    }

    fn add_source(&mut self, source: Source<'a>) -> StreamId {
        debug_assert!(
            !self.started,
            "streams must be added before the replay starts"
        );
        self.sources.push(source);
        self.last_ts.push(UnixNanos(i64::MIN));
        StreamId((self.sources.len() - 1) as u32)
    }

    pub fn counters(&self) -> &ReplayCounters {
        &self.counters
    }

    /// Pulls the next event of stream `index` into its head slot; returns its merge key.
    #[inline]
    fn refill(&mut self, index: usize) -> Result<Option<HeadKey>, DataError> {
        match self.sources[index].advance() {
            None => Ok(None),
            Some(Err(error)) => Err(error),
            Some(Ok(event)) => {
                let ts_recv = event.ts_recv();
                let previous = self.last_ts[index];
                if ts_recv < previous {
                    self.counters.out_of_order += 1;
                }
                // A late event keeps its place in its own stream: it is merged with the
                // previous event's timestamp so the stream's order is never changed.
                let merge_ts = ts_recv.max(previous);
                self.last_ts[index] = merge_ts;
                Ok(Some(HeadKey {
                    ts_recv: merge_ts,
                    priority: event.kind().priority(),
                    stream: index as u32,
                }))
            }
        }
    }

    fn start(&mut self) -> Result<(), DataError> {
        self.started = true;
        for index in 0..self.sources.len() {
            if let Some(key) = self.refill(index)? {
                self.heap.push(Reverse(key));
            }
        }
        Ok(())
    }
}

impl ReplayMerge<'_> {
    /// Advances the merge and lends the next event (no copy of it): the hot-path form of the
    /// iterator. The stream it came from is refilled on the following call, so a read error
    /// of that stream surfaces then, after its last good event was delivered.
    pub fn next_ref(&mut self) -> Option<Result<(StreamId, &MarketEvent), DataError>> {
        if self.failed {
            return None;
        }
        if !self.started
            && let Err(error) = self.start()
        {
            self.failed = true;
            return Some(Err(error));
        }
        if let Some(index) = self.lent.take() {
            match self.refill(index) {
                Ok(Some(key)) => match self.heap.peek() {
                    // Another stream's head comes first: the new key waits in the heap.
                    Some(Reverse(other)) if *other < key => self.heap.push(Reverse(key)),
                    _ => self.front = Some(key),
                },
                Ok(None) => {}
                Err(error) => {
                    self.failed = true;
                    return Some(Err(error));
                }
            }
        }
        let head = match self.front.take() {
            Some(key) => key,
            None => self.heap.pop()?.0,
        };
        let index = head.stream as usize;
        self.lent = Some(index);
        self.counters.events += 1;
        self.sources[index]
            .head()
            .map(|event| Ok((StreamId(head.stream), event)))
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
