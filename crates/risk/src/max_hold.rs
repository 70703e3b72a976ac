//! Max hold with trailing while profitable net of fees (SPEC 4, SPEC 11.7).

use auction_trader_types::{Money, Price, Quantity, Rate, UnixNanos, Valuation};
use serde::Serialize;

use crate::RiskConfig;

/// What to do with a position at a bar close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldDecision {
    Hold,
    /// Close it now with [`ExitReason::MaxHold`](auction_trader_types::ExitReason::MaxHold).
    Exit,
}

/// SPEC 4: the position is "profitable net of fees" when its unrealized P&L at the exit-side
/// best price (bid for a long, ask for a short), minus the entry fee paid, the estimated taker
/// exit fee and accrued funding, is > 0. Returns the verdict and that net amount.
///
/// `position` is signed (negative = short); `accrued_funding` is what the position paid
/// (negative = received), as in `FundingPayment::amount`. The exit fee is `taker_fee ×
/// |value at exit_price|`, rounded toward zero — the exchange's own fee rule. Amounts are in
/// the settlement currency of `valuation` (coin for inverse contracts).
pub fn profitable_net_of_fees(
    position: Quantity,
    entry_price: Price,
    exit_price: Price,
    entry_fee_paid: Money,
    taker_fee: Rate,
    accrued_funding: Money,
    valuation: Valuation,
) -> (bool, Money) {
    let unrealized = valuation.pnl_raw(entry_price, exit_price, position);
    let exit_fee = valuation.rate_of_value_raw(taker_fee, exit_price, position);
    let net = unrealized - entry_fee_paid.raw() - exit_fee - accrued_funding.raw();
    (net > 0, Money::from_raw_i128(net))
}

/// The max-hold clock of one position (SPEC 4): it starts at the first bar close strictly
/// after the fill; at every bar close at or after start + max hold, the position is kept while
/// profitable net of fees (when trailing is on) and closed at the first close where it is not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaxHoldTimer {
    max_hold_nanos: i64,
    trail_while_profitable: bool,
    filled_at: Option<UnixNanos>,
    started_at: Option<UnixNanos>,
}

impl MaxHoldTimer {
    pub fn new(config: &RiskConfig) -> Self {
        Self::with_duration(config.max_hold_nanos(), config.trail_while_profitable)
    }

    pub fn with_duration(max_hold_nanos: i64, trail_while_profitable: bool) -> Self {
        Self {
            max_hold_nanos,
            trail_while_profitable,
            filled_at: None,
            started_at: None,
        }
    }

    /// The entry filled at `ts`. Later fills of the same position (partials, adds) do not
    /// restart the clock; call [`reset`](Self::reset) when the position is flat.
    pub fn on_fill(&mut self, ts: UnixNanos) {
        if self.filled_at.is_none() {
            self.filled_at = Some(ts);
        }
    }

    /// Forgets the position (flat).
    pub fn reset(&mut self) {
        self.filled_at = None;
        self.started_at = None;
    }

    /// When max hold is reached (`None` until the clock has started).
    pub fn deadline(&self) -> Option<UnixNanos> {
        self.started_at
            .map(|start| start.saturating_add_nanos(self.max_hold_nanos))
    }

    /// Whether a bar close at `ts` needs the profitability verdict (max hold reached). The
    /// engine may skip computing it otherwise.
    pub fn is_due(&self, ts: UnixNanos) -> bool {
        self.deadline().is_some_and(|deadline| ts >= deadline)
    }

    /// A bar closed at `ts`; `profitable` is the [`profitable_net_of_fees`] verdict at this
    /// close (ignored before max hold).
    pub fn on_bar_close(&mut self, ts: UnixNanos, profitable: bool) -> HoldDecision {
        let Some(filled_at) = self.filled_at else {
            return HoldDecision::Hold;
        };
        if self.started_at.is_none() {
            // SPEC 4: the timer starts at the first bar close after the fill (strictly after:
            // a fill stamped at the close itself belongs to the next bar).
            if ts > filled_at {
                self.started_at = Some(ts);
            }
            return HoldDecision::Hold;
        }
        if !self.is_due(ts) {
            return HoldDecision::Hold;
        }
        if self.trail_while_profitable && profitable {
            HoldDecision::Hold
        } else {
            HoldDecision::Exit
        }
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::NANOS_PER_MINUTE;

    use super::*;
    use crate::test_support::{money, price};

    fn minute(count: i64) -> UnixNanos {
        UnixNanos(1_722_470_400_000_000_000 + count * NANOS_PER_MINUTE)
    }

    #[test]
    fn spec_11_7_profitable_net_of_fees() {
        // Long 1 BTC at 60,000 (maker 2 bps = 12 paid); bid 60,020: +20 − 12 − 30.01 − 0
        // = −22.01 → not profitable.
        let (profitable, net) = profitable_net_of_fees(
            Quantity::ONE,
            price("60000"),
            price("60020"),
            money("12"),
            Rate::from_decimal_str("0.0005").unwrap(),
            Money::ZERO,
            Valuation::linear(Quantity::ONE),
        );
        assert!(!profitable);
        assert_eq!(net, money("-22.01"));
    }

    #[test]
    fn short_mirror_and_funding() {
        // Short 1 BTC at 60,000, ask 59,900: +100 − 12 − 0.0005 × 59,900 (29.95) − 5 funding
        // paid = 53.05 → profitable. Funding received (−5) adds: 63.05.
        let short = |funding: &str| {
            profitable_net_of_fees(
                Quantity::from_decimal_str("-1").unwrap(),
                price("60000"),
                price("59900"),
                money("12"),
                Rate::from_decimal_str("0.0005").unwrap(),
                money(funding),
                Valuation::linear(Quantity::ONE),
            )
        };
        assert_eq!(short("5"), (true, money("53.05")));
        assert_eq!(short("-5"), (true, money("63.05")));
        // Exactly zero net is not profitable (SPEC 4: > 0): long 1 at 100, exit 100, no fees.
        let flat = profitable_net_of_fees(
            Quantity::ONE,
            price("100"),
            price("100"),
            Money::ZERO,
            Rate::ZERO,
            Money::ZERO,
            Valuation::linear(Quantity::ONE),
        );
        assert_eq!(flat, (false, Money::ZERO));
    }

    #[test]
    fn spec_11_7_exit_at_the_sixty_minute_close() {
        // Fill at 12:00:30 → the timer starts at the 12:01 close → due at 13:01.
        let mut timer = MaxHoldTimer::new(&RiskConfig::default());
        timer.on_fill(minute(0).saturating_add_nanos(30_000_000_000));
        assert_eq!(timer.on_bar_close(minute(1), false), HoldDecision::Hold);
        assert_eq!(timer.deadline(), Some(minute(61)));
        assert!(!timer.is_due(minute(60)));
        assert_eq!(timer.on_bar_close(minute(60), false), HoldDecision::Hold);
        assert!(timer.is_due(minute(61)));
        assert_eq!(timer.on_bar_close(minute(61), false), HoldDecision::Exit);
    }

    #[test]
    fn keeps_holding_while_profitable_then_exits() {
        let mut timer = MaxHoldTimer::new(&RiskConfig::default());
        timer.on_fill(minute(0));
        // A fill stamped at the 12:00 close itself starts the clock at the next close.
        assert_eq!(timer.on_bar_close(minute(0), true), HoldDecision::Hold);
        assert_eq!(timer.deadline(), None);
        assert_eq!(timer.on_bar_close(minute(1), true), HoldDecision::Hold);
        assert_eq!(timer.on_bar_close(minute(61), true), HoldDecision::Hold);
        assert_eq!(timer.on_bar_close(minute(62), true), HoldDecision::Hold);
        assert_eq!(timer.on_bar_close(minute(63), false), HoldDecision::Exit);
        // Without trailing: exit at max hold whatever the P&L.
        let mut strict = MaxHoldTimer::with_duration(60 * NANOS_PER_MINUTE, false);
        strict.on_fill(minute(0));
        strict.on_bar_close(minute(1), true);
        assert_eq!(strict.on_bar_close(minute(61), true), HoldDecision::Exit);
        // Flat: nothing to do.
        strict.reset();
        assert_eq!(strict.on_bar_close(minute(200), false), HoldDecision::Hold);
    }

    #[test]
    fn later_fills_do_not_restart_the_clock() {
        let mut timer = MaxHoldTimer::new(&RiskConfig::default());
        timer.on_fill(minute(0).saturating_add_nanos(1));
        timer.on_fill(minute(5));
        timer.on_bar_close(minute(1), false);
        assert_eq!(timer.deadline(), Some(minute(61)));
    }
}
