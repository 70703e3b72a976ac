//! [`DueQueue`]: the exchange's pending actions in due order (earliest due first, then the
//! order they were scheduled in).
//!
//! Why not a plain binary heap: with a fixed latency (the SPEC 5 default) actions are scheduled
//! in due order almost always, and a heap of order-sized items spends its time moving them
//! through `log n` levels on every pop. Items scheduled no earlier than the last queued one go
//! to a FIFO (O(1), each item moved once); only an item due before that (a shorter cancel
//! latency, a random latency draw, a timeout) goes to the heap. `pop` takes the smaller head of
//! the two, so the order is exactly that of one heap keyed by (due, sequence).

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

/// One queued item with its due time and scheduling sequence (unique, increasing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry<T> {
    due: i64,
    sequence: u64,
    item: T,
}

impl<T> Entry<T> {
    fn key(&self) -> (i64, u64) {
        (self.due, self.sequence)
    }
}

/// Heap order reversed (the std heap is a max-heap): earliest key on top. Keys are unique, so
/// ordering by key alone is a total order on the entries of one queue.
impl<T: Eq> Ord for Entry<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        other.key().cmp(&self.key())
    }
}

impl<T: Eq> PartialOrd for Entry<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A priority queue by (due, scheduling order), fast when items come in due order.
#[derive(Debug, Clone)]
pub(super) struct DueQueue<T> {
    /// Items in increasing (due, sequence) order.
    in_order: VecDeque<Entry<T>>,
    /// Items that were due before the FIFO's last item when scheduled.
    early: BinaryHeap<Entry<T>>,
    sequence: u64,
}

impl<T: Eq> Default for DueQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Eq> DueQueue<T> {
    pub(super) fn new() -> Self {
        Self {
            in_order: VecDeque::new(),
            early: BinaryHeap::new(),
            sequence: 0,
        }
    }

    /// Queues `item` due at `due`; items due at the same time leave in scheduling order.
    #[inline]
    pub(super) fn push(&mut self, due: i64, item: T) {
        self.sequence += 1;
        let entry = Entry {
            due,
            sequence: self.sequence,
            item,
        };
        match self.in_order.back() {
            Some(last) if due < last.due => self.early.push(entry),
            _ => self.in_order.push_back(entry),
        }
    }

    /// True when the next item comes from the heap rather than the FIFO.
    #[inline]
    fn early_first(&self) -> bool {
        match (self.early.peek(), self.in_order.front()) {
            (Some(early), Some(in_order)) => early.key() < in_order.key(),
            (Some(_), None) => true,
            (None, _) => false,
        }
    }

    /// Due time of the next item.
    #[inline]
    pub(super) fn earliest_due(&self) -> Option<i64> {
        if self.early_first() {
            self.early.peek().map(|entry| entry.due)
        } else {
            self.in_order.front().map(|entry| entry.due)
        }
    }

    /// Removes the next item with its due time.
    #[inline]
    pub(super) fn pop(&mut self) -> Option<(i64, T)> {
        let entry = if self.early_first() {
            self.early.pop()
        } else {
            self.in_order.pop_front()
        }?;
        Some((entry.due, entry.item))
    }

    pub(super) fn len(&self) -> usize {
        self.in_order.len() + self.early.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference the queue must match: one heap keyed by (due, sequence).
    fn reference_order(pushes: &[(i64, u32)]) -> Vec<(i64, u32)> {
        let mut keyed: Vec<(i64, usize, u32)> = pushes
            .iter()
            .enumerate()
            .map(|(index, &(due, item))| (due, index, item))
            .collect();
        keyed.sort();
        keyed
            .into_iter()
            .map(|(due, _, item)| (due, item))
            .collect()
    }

    fn drain(queue: &mut DueQueue<u32>) -> Vec<(i64, u32)> {
        std::iter::from_fn(|| queue.pop()).collect()
    }

    #[test]
    fn in_order_items_leave_in_order_and_ties_keep_scheduling_order() {
        let mut queue = DueQueue::new();
        for (due, item) in [(10, 1), (10, 2), (20, 3), (30, 4)] {
            queue.push(due, item);
        }
        assert_eq!(queue.len(), 4);
        assert_eq!(queue.earliest_due(), Some(10));
        assert_eq!(drain(&mut queue), [(10, 1), (10, 2), (20, 3), (30, 4)]);
        assert_eq!(queue.earliest_due(), None);
    }

    #[test]
    fn an_earlier_item_scheduled_later_leaves_first() {
        // A cancel with a shorter latency than the order before it: due 15 after due 20.
        let mut queue = DueQueue::new();
        queue.push(20, 1);
        queue.push(15, 2);
        queue.push(20, 3);
        queue.push(15, 4);
        assert_eq!(queue.earliest_due(), Some(15));
        assert_eq!(drain(&mut queue), [(15, 2), (15, 4), (20, 1), (20, 3)]);
    }

    #[test]
    fn a_tie_between_the_heap_and_the_fifo_goes_to_the_earlier_scheduled() {
        let mut queue = DueQueue::new();
        queue.push(10, 1); // FIFO
        queue.push(30, 2); // FIFO
        queue.push(10, 3); // heap: due before 30, ties with item 1 which was scheduled first
        assert_eq!(drain(&mut queue), [(10, 1), (10, 3), (30, 2)]);
    }

    #[test]
    fn interleaved_pushes_and_pops_match_a_single_heap() {
        // Deterministic pseudo-random schedule (xorshift), pops interleaved with pushes.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..50 {
            let mut queue = DueQueue::new();
            let mut reference = std::collections::BTreeMap::new();
            let mut sequence = 0_u64;
            let mut now = 0_i64;
            for step in 0..400_u32 {
                if next() % 3 == 0 {
                    let expected = reference.pop_first().map(|((due, _), item)| (due, item));
                    assert_eq!(queue.pop(), expected);
                } else {
                    now += (next() % 5) as i64;
                    let due = now + (next() % 40) as i64;
                    sequence += 1;
                    reference.insert((due, sequence), step);
                    queue.push(due, step);
                }
                assert_eq!(queue.len(), reference.len());
                assert_eq!(
                    queue.earliest_due(),
                    reference.first_key_value().map(|((due, _), _)| *due)
                );
            }
            let rest: Vec<(i64, u32)> = std::iter::from_fn(|| queue.pop()).collect();
            let expected: Vec<(i64, u32)> = reference
                .into_iter()
                .map(|((due, _), item)| (due, item))
                .collect();
            assert_eq!(rest, expected);
        }
    }

    #[test]
    fn the_reference_order_is_due_then_scheduling_order() {
        let pushes = [(5, 1), (3, 2), (5, 3), (1, 4)];
        let mut queue = DueQueue::new();
        for (due, item) in pushes {
            queue.push(due, item);
        }
        assert_eq!(drain(&mut queue), reference_order(&pushes));
    }
}
