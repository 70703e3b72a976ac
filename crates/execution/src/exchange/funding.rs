//! Funding charges (SPEC 5, 11.6).
//!
//! Every `funding_interval_hours` from 00:00 UTC, the position pays rate × position × mark ×
//! multiplier (longs pay positive rates); mark = latest recorded mark price, else mid, else
//! last trade. The rate is the fixed one or the latest recorded `Funding` event's
//! (`funding_source`); none on spot instruments. Reported only when the position is not flat.

use auction_trader_types::{ExecutionReport, FIXED_SCALE, Funding, FundingPayment, Money};

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
        // SPEC 5: longs pay rate × position × mark (× multiplier) when the rate is positive.
        let notional = mark.notional_raw(position)
            * i128::from(self.instrument.contract_multiplier.raw())
            / i128::from(FIXED_SCALE);
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
