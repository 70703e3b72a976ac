//! Cooldown after a full exit (SPEC 4: 3 min, both directions, per symbol; not after TP1; a
//! flip bypasses it).

use auction_trader_types::UnixNanos;

/// The cooldown of one symbol. One instance per instrument gives "per symbol"; it blocks
/// entries in both directions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cooldown {
    duration_nanos: i64,
    until: Option<UnixNanos>,
}

impl Cooldown {
    /// `duration_nanos` ≤ 0 disables the cooldown (SPEC 4: none for the drain strategy).
    pub fn new(duration_nanos: i64) -> Self {
        Self {
            duration_nanos,
            until: None,
        }
    }

    /// The position went fully flat at `ts` (call it for full exits only, not for TP1, and
    /// not for the close of a flip when the flip's new entry follows at once).
    pub fn on_full_exit(&mut self, ts: UnixNanos) {
        if self.duration_nanos > 0 {
            self.until = Some(ts.saturating_add_nanos(self.duration_nanos));
        }
    }

    /// When entries are allowed again, if a cooldown is running at `ts`. The end is
    /// exclusive: an entry exactly `duration` after the exit is allowed.
    pub fn blocked_until(&self, ts: UnixNanos) -> Option<UnixNanos> {
        self.until.filter(|until| ts < *until)
    }

    pub fn allows(&self, ts: UnixNanos) -> bool {
        self.blocked_until(ts).is_none()
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::NANOS_PER_MINUTE;

    use super::*;

    #[test]
    fn three_minutes_exactly_is_allowed() {
        // Exit at t; t + 2:59.999999999 blocked; t + 3:00 allowed.
        let exit = UnixNanos(1_722_470_400_000_000_000);
        let mut cooldown = Cooldown::new(3 * NANOS_PER_MINUTE);
        assert!(cooldown.allows(exit));
        cooldown.on_full_exit(exit);
        let end = exit.saturating_add_nanos(3 * NANOS_PER_MINUTE);
        assert_eq!(cooldown.blocked_until(exit), Some(end));
        assert!(!cooldown.allows(end.saturating_sub_nanos(1)));
        assert!(cooldown.allows(end));
        // A second exit restarts it.
        cooldown.on_full_exit(end);
        assert!(!cooldown.allows(end));
    }

    #[test]
    fn zero_duration_disables_it() {
        let mut cooldown = Cooldown::new(0);
        cooldown.on_full_exit(UnixNanos(5));
        assert!(cooldown.allows(UnixNanos(5)));
    }
}
