//! Funding charges (SPEC 5, 11.6).
//!
//! At each funding time the position pays rate × its value at the mark (linear: position ×
//! mark × multiplier; inverse: in coin, contracts × multiplier / mark; longs pay positive
//! rates); mark = latest recorded mark price, else mid, else last trade. None on spot
//! instruments; reported only when the position is not flat.
//!
//! Funding times: every `funding_interval_hours` from 00:00 UTC until recorded funding says
//! otherwise; then the venue's own times (`funding_source` auto or recorded):
//! - a settlement record (Binance's fundingRate archive: a row without mark or index price,
//!   stamped at the settlement, `next_funding_time` = stamp + the symbol's interval) is the
//!   rate that settles AT its stamp, and sets the interval (4-hour symbols exist);
//! - a live premium-index update (a mark price, `next_funding_time` ahead) is the current
//!   estimate of the rate that settles at `next_funding_time`, which becomes the next time.
//!
//! The rate charged at a time T: the settlement record stamped T, else the latest estimate for
//! T, else (settlement records in use, T's not seen yet: it is stamped T and replays after the
//! exchange reaches T) the charge waits — position and mark as at T — for T's record, which
//! arrives at the same instant; if time moves past T without it, the latest recorded rate is
//! charged. Without any recorded funding: `auto` charges the fixed `funding_rate`,
//! `recorded` charges nothing. `fixed` always charges `funding_rate` every configured interval.

use auction_trader_types::{
    ExecutionReport, Funding, FundingPayment, Money, Price, Quantity, Rate, UnixNanos,
};

use super::SimulatedExchange;
use crate::config::FundingSource;

/// A funding time reached before the rate that settles at it was known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PendingCharge {
    pub(super) time: i64,
    position: Quantity,
    mark: Price,
}

/// The funding schedule and the recorded rates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FundingSchedule {
    /// The next funding time (`None` before the first moment the exchange sees).
    pub(super) next: Option<i64>,
    interval: i64,
    /// Settlement records have been seen: the schedule follows them.
    settlement_records: bool,
    /// Latest settlement record: (settlement time, rate).
    settled: Option<(i64, Rate)>,
    /// Latest estimate: (settlement time it is for, 0 = unknown; rate).
    estimate: Option<(i64, Rate)>,
    /// The last funding time charged (or skipped flat).
    last_charged: i64,
    pub(super) pending: Option<PendingCharge>,
}

impl FundingSchedule {
    pub(super) fn new(interval: i64) -> Self {
        Self {
            next: None,
            interval,
            settlement_records: false,
            settled: None,
            estimate: None,
            last_charged: i64::MIN,
            pending: None,
        }
    }

    /// Earliest time the exchange must wake up for funding: the next funding time, or just
    /// after a waiting charge's time (to charge it with the fallback rate).
    pub(super) fn due(&self) -> i64 {
        let next = self.next.unwrap_or(i64::MAX);
        match self.pending {
            Some(pending) => next.min(pending.time.saturating_add(1)),
            None => next,
        }
    }

    /// The latest recorded rate of any kind.
    fn latest_recorded(&self) -> Option<Rate> {
        match (self.settled, self.estimate) {
            (Some((settled_at, settled)), Some((estimate_for, estimate))) => {
                Some(if estimate_for > settled_at {
                    estimate
                } else {
                    settled
                })
            }
            (settled, estimate) => settled.or(estimate).map(|(_, rate)| rate),
        }
    }
}

/// A settlement record: no mark or index price, the next settlement after its stamp.
fn is_settlement_record(funding: &Funding) -> bool {
    funding.mark_price.is_zero()
        && funding.index_price.is_zero()
        && funding.next_funding_time > funding.ts_event
}

impl SimulatedExchange {
    pub(super) fn on_funding_event(
        &mut self,
        funding: &Funding,
        reports: &mut Vec<ExecutionReport>,
    ) {
        if funding.mark_price.is_positive() {
            self.market.recorded_mark = Some(funding.mark_price);
        }
        if self.settings.funding_source == FundingSource::Fixed
            || self.settings.funding_source == FundingSource::None
        {
            return;
        }
        let now = self.now.as_i64();
        if is_settlement_record(funding) {
            let time = funding.ts_event.as_i64();
            let schedule = &mut self.funding;
            schedule.settlement_records = true;
            schedule.interval = funding.next_funding_time.as_i64() - time;
            schedule.settled = Some((time, funding.rate));
            match schedule.pending {
                Some(pending) if pending.time == time => {
                    schedule.pending = None;
                    self.pay_funding(
                        pending.time,
                        funding.rate,
                        pending.position,
                        pending.mark,
                        reports,
                    );
                }
                // A settlement the configured schedule did not foresee (another interval).
                _ if time > schedule.last_charged && time <= now => {
                    schedule.last_charged = time;
                    self.charge_now(funding.rate, reports);
                }
                _ => {}
            }
            let next = funding.next_funding_time.as_i64();
            if next > now {
                self.funding.next = Some(next);
            }
        } else {
            let time = funding.next_funding_time.as_i64();
            let known = time > now;
            self.funding.estimate = Some((if known { time } else { 0 }, funding.rate));
            if known && !self.funding.settlement_records {
                self.funding.next = Some(time);
            }
        }
        self.refresh_next_due();
    }

    /// Funding time `time` reached (the clock is at it).
    pub(super) fn funding_time(&mut self, time: i64, reports: &mut Vec<ExecutionReport>) {
        let schedule = &mut self.funding;
        schedule.next = Some(time.saturating_add(schedule.interval));
        if time <= schedule.last_charged {
            return;
        }
        schedule.last_charged = time;
        let position = self.account.position();
        if position.is_zero() {
            return;
        }
        let schedule = &self.funding;
        let rate = match self.settings.funding_source {
            FundingSource::None => return,
            FundingSource::Fixed => self.settings.funding_rate,
            source => match (schedule.settled, schedule.estimate) {
                (Some((at, rate)), _) if at == time => rate,
                (_, Some((at, rate))) if at == time => rate,
                _ if schedule.settlement_records => {
                    // T's record replays after the exchange reached T: wait for it.
                    if let Some(mark) = self.mark_price() {
                        self.funding.pending = Some(PendingCharge {
                            time,
                            position,
                            mark,
                        });
                    }
                    return;
                }
                _ => match (schedule.latest_recorded(), source) {
                    (Some(rate), _) => rate,
                    (None, FundingSource::Auto) => self.settings.funding_rate,
                    (None, _) => return,
                },
            },
        };
        self.charge_now(rate, reports);
    }

    /// A waiting charge whose record never came: charged with the latest recorded rate.
    pub(super) fn settle_overdue_funding(&mut self, now: i64, reports: &mut Vec<ExecutionReport>) {
        let Some(pending) = self.funding.pending.filter(|pending| pending.time < now) else {
            return;
        };
        self.funding.pending = None;
        if let Some(rate) = self.funding.latest_recorded() {
            self.pay_funding(pending.time, rate, pending.position, pending.mark, reports);
        }
    }

    fn charge_now(&mut self, rate: Rate, reports: &mut Vec<ExecutionReport>) {
        let position = self.account.position();
        let Some(mark) = self.mark_price() else {
            return;
        };
        if !position.is_zero() {
            self.pay_funding(self.now.as_i64(), rate, position, mark, reports);
        }
    }

    fn pay_funding(
        &mut self,
        time: i64,
        rate: Rate,
        position: Quantity,
        mark: Price,
        reports: &mut Vec<ExecutionReport>,
    ) {
        // SPEC 5: longs pay rate × the position's value at the mark when the rate is positive
        // (inverse contracts: in coin, contracts × multiplier / mark).
        let notional = self.account.valuation().value_raw(mark, position);
        let payment = FundingPayment {
            ts: UnixNanos(time),
            rate,
            mark_price: mark,
            position,
            amount: Money::from_raw_i128(rate.apply_to_raw(notional)),
        };
        self.account.apply_funding(&payment);
        self.counters.funding_payments += 1;
        reports.push(ExecutionReport::Funding(payment));
    }
}
