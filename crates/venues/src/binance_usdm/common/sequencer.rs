//! Binance USD-M's documented procedure for a correct local order book ("How to manage a
//! local order book correctly"; SPEC 1.2, 1.3: sequence breaks trigger a resync, never
//! continue on a broken book): after the REST snapshot, drop updates with
//! `u < lastUpdateId`; the first applied update has `U <= lastUpdateId <= u`; every later one
//! has `pu` equal to the previous applied update's `u`.

/// What to do with one depth update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepthVerdict {
    /// Older than the snapshot: drop it.
    Stale,
    /// Continues the book: apply it.
    Apply,
    /// Does not continue the book: resync from a fresh snapshot. `expected` is the id the
    /// update should have continued from (the previous `u`, or the snapshot's id for the
    /// first update), `received` what it continued from (`pu`, or `U` for the first).
    Gap { expected: u64, received: u64 },
}

/// The sequencing state of one book.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DepthSequencer {
    snapshot_id: Option<u64>,
    last_applied: Option<u64>,
}

impl DepthSequencer {
    /// A new snapshot with this `lastUpdateId`: the next update must straddle it.
    pub fn on_snapshot(&mut self, last_update_id: u64) {
        self.snapshot_id = Some(last_update_id);
        self.last_applied = None;
    }

    /// Forget everything (a new connection).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Whether a snapshot is in place.
    pub fn has_snapshot(&self) -> bool {
        self.snapshot_id.is_some()
    }

    /// Judges the update `U` = `first`, `u` = `last`, `pu` = `previous` (and applies it to the
    /// state when the verdict is [`DepthVerdict::Apply`]).
    pub fn check(&mut self, first: u64, last: u64, previous: u64) -> DepthVerdict {
        let Some(snapshot) = self.snapshot_id else {
            return DepthVerdict::Gap {
                expected: 0,
                received: first,
            };
        };
        match self.last_applied {
            Some(applied) if previous == applied => {
                self.last_applied = Some(last);
                DepthVerdict::Apply
            }
            Some(applied) => DepthVerdict::Gap {
                expected: applied,
                received: previous,
            },
            None if last < snapshot => DepthVerdict::Stale,
            None if first <= snapshot => {
                self.last_applied = Some(last);
                DepthVerdict::Apply
            }
            // The snapshot is older than the stream: a fresh one is needed.
            None => DepthVerdict::Gap {
                expected: snapshot,
                received: first,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_procedure_on_hand_worked_ids() {
        let mut sequencer = DepthSequencer::default();
        sequencer.on_snapshot(100);
        // u = 95 < 100: stale. u = 99 < 100: stale.
        assert_eq!(sequencer.check(90, 95, 89), DepthVerdict::Stale);
        assert_eq!(sequencer.check(96, 99, 95), DepthVerdict::Stale);
        // U = 100 <= 100 <= u = 104: the first applied update.
        assert_eq!(sequencer.check(100, 104, 99), DepthVerdict::Apply);
        // pu = 104 = previous u: applied.
        assert_eq!(sequencer.check(105, 110, 104), DepthVerdict::Apply);
        // pu = 111 != 110: a gap.
        assert_eq!(
            sequencer.check(112, 115, 111),
            DepthVerdict::Gap {
                expected: 110,
                received: 111
            }
        );
    }

    #[test]
    fn a_snapshot_older_than_the_stream_is_a_gap() {
        let mut sequencer = DepthSequencer::default();
        sequencer.on_snapshot(100);
        // U = 101 > 100: update 100..101 was missed between snapshot and stream.
        assert_eq!(
            sequencer.check(102, 105, 101),
            DepthVerdict::Gap {
                expected: 100,
                received: 102
            }
        );
        // u == lastUpdateId straddles too.
        sequencer.on_snapshot(105);
        assert_eq!(sequencer.check(102, 105, 101), DepthVerdict::Apply);
    }

    #[test]
    fn no_update_is_applied_before_a_snapshot() {
        let mut sequencer = DepthSequencer::default();
        assert!(!sequencer.has_snapshot());
        assert!(matches!(sequencer.check(1, 2, 0), DepthVerdict::Gap { .. }));
    }
}
