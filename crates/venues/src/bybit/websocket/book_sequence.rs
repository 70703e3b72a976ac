//! The Bybit v5 order-book procedure (v5 docs "Orderbook": "process snapshot/delta"): a
//! snapshot (re)starts the book; every delta's `u` must be the previous `u + 1`; `u = 1` means
//! the service restarted and the message is a new snapshot; `orderbook.1` also re-sends a
//! snapshot when the book has not changed for a while. Anything else is a gap: the book is
//! broken and deltas are dropped until the next snapshot (SPEC 1.3: never continue on a
//! broken book).

/// What to do with one book message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookStep {
    /// Emit its rows (a snapshot's rows clear the book first).
    Apply,
    /// Waiting for a snapshot: discard it.
    Drop,
    /// The delta does not continue the book: resync.
    Gap { expected: u64, received: u64 },
}

/// The last applied `u`, or none while waiting for a snapshot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BookSequence {
    last: Option<u64>,
}

impl BookSequence {
    pub fn on_message(&mut self, snapshot: bool, update_id: u64) -> BookStep {
        if snapshot || update_id == 1 {
            self.last = Some(update_id);
            return BookStep::Apply;
        }
        match self.last {
            None => BookStep::Drop,
            Some(last) if update_id == last.wrapping_add(1) => {
                self.last = Some(update_id);
                BookStep::Apply
            }
            Some(last) => {
                self.last = None;
                BookStep::Gap {
                    expected: last.wrapping_add(1),
                    received: update_id,
                }
            }
        }
    }

    /// Forget the book (a reconnect or resubscribe): wait for the next snapshot.
    pub fn reset(&mut self) {
        self.last = None;
    }

    pub fn is_synced(&self) -> bool {
        self.last.is_some()
    }

    /// The `u` the next delta must carry, while synced.
    pub fn expected(&self) -> Option<u64> {
        self.last.map(|last| last.wrapping_add(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_deltas_gap_and_restart() {
        let mut book = BookSequence::default();
        assert_eq!(book.on_message(false, 10), BookStep::Drop);
        assert_eq!(book.on_message(true, 10), BookStep::Apply);
        assert_eq!(book.on_message(false, 11), BookStep::Apply);
        assert_eq!(book.on_message(false, 12), BookStep::Apply);
        assert_eq!(
            book.on_message(false, 14),
            BookStep::Gap {
                expected: 13,
                received: 14
            }
        );
        assert!(!book.is_synced());
        assert_eq!(book.on_message(false, 15), BookStep::Drop);
        // u = 1: the service restarted, the delta is a snapshot.
        assert_eq!(book.on_message(false, 1), BookStep::Apply);
        assert_eq!(book.on_message(false, 2), BookStep::Apply);
        // A repeated u is a gap too (never applied twice).
        assert_eq!(
            book.on_message(false, 2),
            BookStep::Gap {
                expected: 3,
                received: 2
            }
        );
        // orderbook.1 re-snapshots at the same u.
        assert_eq!(book.on_message(true, 2), BookStep::Apply);
        assert_eq!(book.on_message(true, 2), BookStep::Apply);
        book.reset();
        assert_eq!(book.on_message(false, 3), BookStep::Drop);
    }
}
