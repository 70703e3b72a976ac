//! Daily kill switch (SPEC 4): when the UTC day's P&L (realized + fees + funding, fees and
//! funding as costs) falls below −limit × the day's starting equity, no new entries until the
//! next 00:00 UTC.

use auction_trader_types::{Money, Rate, UnixNanos};

use crate::value::SCALE;

const NANOS_PER_DAY: i64 = 86_400_000_000_000;

/// The day's P&L against its starting equity, for one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyLossGuard {
    limit: Rate,
    /// 00:00 UTC of the day being tracked.
    day_start: Option<UnixNanos>,
    starting_equity: Option<Money>,
    day_pnl: Money,
    halted_until: Option<UnixNanos>,
}

impl DailyLossGuard {
    /// `limit` is the loss share that halts entries (SPEC 10: 0.03).
    pub fn new(limit: Rate) -> Self {
        Self {
            limit,
            day_start: None,
            starting_equity: None,
            day_pnl: Money::ZERO,
            halted_until: None,
        }
    }

    /// Moves to the UTC day of `ts` if it is a new one: P&L back to zero, starting equity
    /// unknown until the next [`on_clock`](Self::on_clock).
    fn roll(&mut self, ts: UnixNanos) {
        let day = ts.floor_day();
        if self.day_start.is_some_and(|current| day <= current) {
            return;
        }
        self.day_start = Some(day);
        self.starting_equity = None;
        self.day_pnl = Money::ZERO;
    }

    /// The engine clock with the account equity (call it at least once a day, e.g. at each
    /// bar close). The first call of a UTC day captures the day's starting equity; if P&L was
    /// already recorded that day, it is taken out (`equity − day P&L`) so the start is the
    /// equity before today's results.
    pub fn on_clock(&mut self, ts: UnixNanos, equity: Money) {
        self.roll(ts);
        if self.starting_equity.is_none() {
            self.starting_equity = Some(equity.saturating_sub(self.day_pnl));
            self.check();
        }
    }

    /// Adds a P&L component at `ts`: realized P&L (signed), fees and funding paid as negative
    /// amounts (received as positive). Events of an earlier day than the tracked one count
    /// in the current day.
    pub fn record(&mut self, ts: UnixNanos, pnl_delta: Money) {
        self.roll(ts);
        self.day_pnl = self.day_pnl.saturating_add(pnl_delta);
        self.check();
    }

    /// SPEC 4: halt when day P&L < −limit × starting equity (strictly below; exactly −3% does
    /// not halt). The halt lasts until the next 00:00 UTC even if P&L recovers.
    fn check(&mut self) {
        let (Some(day_start), Some(starting_equity)) = (self.day_start, self.starting_equity)
        else {
            return;
        };
        if !starting_equity.is_positive() {
            return; // no equity: sizing refuses every entry anyway
        }
        // day_pnl < −limit × equity  ⇔  day_pnl × S < −limit_raw × equity_raw (exact).
        let pnl_scaled = self.day_pnl.raw() * SCALE;
        let threshold = -(i128::from(self.limit.raw()) * starting_equity.raw());
        if pnl_scaled < threshold {
            self.halted_until = Some(day_start.saturating_add_nanos(NANOS_PER_DAY));
        }
    }

    /// Whether new entries are allowed at `ts` (a halt ends exactly at the next 00:00 UTC).
    pub fn entries_allowed(&self, ts: UnixNanos) -> bool {
        self.halted_until.is_none_or(|until| ts >= until)
    }

    /// The end of the current or last halt.
    pub fn halted_until(&self) -> Option<UnixNanos> {
        self.halted_until
    }

    /// The tracked day's P&L so far.
    pub fn day_pnl(&self) -> Money {
        self.day_pnl
    }

    /// The tracked day's starting equity (once known).
    pub fn starting_equity(&self) -> Option<Money> {
        self.starting_equity
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{at, money};

    fn guard() -> DailyLossGuard {
        DailyLossGuard::new(Rate::from_decimal_str("0.03").unwrap())
    }

    #[test]
    fn halts_at_minus_3_01_percent_until_the_next_midnight() {
        // Start 10,000; −3% = −300. A loss of 250 and fees of 51 → −301 = −3.01% → halt.
        let mut guard = guard();
        guard.on_clock(at(60), money("10000"));
        guard.record(at(3_600), money("-250"));
        assert!(guard.entries_allowed(at(3_600)));
        guard.record(at(3_601), money("-51"));
        assert!(!guard.entries_allowed(at(3_601)));
        assert_eq!(guard.halted_until(), Some(at(86_400)));
        // Recovering P&L does not lift it; 23:59:59.999999999 still halted; 00:00 allowed.
        guard.record(at(7_200), money("500"));
        assert!(!guard.entries_allowed(at(86_400).saturating_sub_nanos(1)));
        assert!(guard.entries_allowed(at(86_400)));
        // The new day starts from zero with its own starting equity.
        guard.on_clock(at(86_460), money("10200"));
        assert_eq!(guard.day_pnl(), Money::ZERO);
        assert_eq!(guard.starting_equity(), Some(money("10200")));
        assert!(guard.entries_allowed(at(86_460)));
    }

    #[test]
    fn exactly_minus_3_percent_does_not_halt() {
        let mut guard = guard();
        guard.on_clock(at(0), money("10000"));
        guard.record(at(10), money("-300"));
        assert!(guard.entries_allowed(at(10)));
        guard.record(at(11), Money::from_raw(-1));
        assert!(!guard.entries_allowed(at(11)));
    }

    #[test]
    fn yesterdays_losses_do_not_count_today() {
        let mut guard = guard();
        guard.on_clock(at(0), money("10000"));
        guard.record(at(86_000), money("-200"));
        // Next day: −200 more; the day's P&L is −200 of 9,800 (2.04%): no halt.
        guard.on_clock(at(86_400), money("9800"));
        guard.record(at(86_500), money("-200"));
        assert!(guard.entries_allowed(at(86_500)));
        assert_eq!(guard.day_pnl(), money("-200"));
    }

    #[test]
    fn pnl_before_the_first_clock_of_the_day_is_taken_out_of_the_start() {
        // A fill at 00:00:05 before the first clock at 00:01: equity 9,690 then includes the
        // −310 → start 10,000, P&L −310 = −3.1% → halt.
        let mut guard = guard();
        guard.record(at(5), money("-310"));
        assert!(guard.entries_allowed(at(5)), "no start equity yet");
        guard.on_clock(at(60), money("9690"));
        assert_eq!(guard.starting_equity(), Some(money("10000")));
        assert!(!guard.entries_allowed(at(60)));
    }
}
