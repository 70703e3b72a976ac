//! Funding charges (SPEC 5, 11.6).
//!
//! Every `funding_interval_hours` from 00:00 UTC, the position pays rate × its value at the
//! mark (linear: position × mark × multiplier; inverse: in coin, contracts × multiplier /
//! mark; longs pay positive rates); mark = latest recorded mark price, else mid, else
//! last trade. The rate is the fixed one or the latest recorded `Funding` event's
//! (`funding_source`); none on spot instruments. Reported only when the position is not flat.

use auction_trader_types::{ExecutionReport, Funding, FundingPayment, Money};

use super::SimulatedExchange;
use crate::config::FundingSource;

impl SimulatedExchange {
    pub(super) fn on_funding_event(&mut self, funding: &Funding) {
        if funding.mark_price.is_positive() {
            self.market.recorded_mark = Some(funding.mark_price);
        }
        self.market.recorded_rate = Some(funding.rate);
    }

    pub(super) fn charge_funding(&mut self, reports: &mut Vec<ExecutionReport>) {
        let position = self.account.position();
        if position.is_zero() {
            return;
        }
        let rate = match self.settings.funding_source {
            FundingSource::Fixed => Some(self.settings.funding_rate),
            FundingSource::Recorded => self.market.recorded_rate,
            FundingSource::None => None,
            FundingSource::Auto => self
                .market
                .recorded_rate
                .or(Some(self.settings.funding_rate)),
        };
        let (Some(rate), Some(mark)) = (rate, self.mark_price()) else {
            return;
        };
        // SPEC 5: longs pay rate × the position's value at the mark when the rate is positive
        // (inverse contracts: in coin, contracts × multiplier / mark).
        let notional = self.account.valuation().value_raw(mark, position);
        let payment = FundingPayment {
            ts: self.now,
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
