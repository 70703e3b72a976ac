//! [`Account`]: the cash and position ledger of one instrument's trading, shared by the
//! simulated exchange and the engine. Linear contracts only: P&L = (exit − entry) × quantity ×
//! contract multiplier, in the quote currency (inverse contracts are not modelled).

use auction_trader_types::{FIXED_SCALE, Fill, FundingPayment, Money, Price, Quantity};
use serde::{Deserialize, Serialize};

/// Cash balance, signed position, average entry, realized P&L, fees and funding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    contract_multiplier: Quantity,
    /// Wallet balance: deposits + realized P&L − fees − funding.
    cash: Money,
    /// Signed: positive long, negative short.
    position: Quantity,
    /// Average entry price of the open position (`None` when flat).
    average_entry: Option<Price>,
    realized_pnl: Money,
    fees_paid: Money,
    funding_paid: Money,
    fills: u64,
}

/// `(exit − entry) × quantity × multiplier` in raw money units (10^-9), i128.
fn pnl_raw(entry: Price, exit: Price, quantity: Quantity, multiplier: Quantity) -> i128 {
    let scale = i128::from(FIXED_SCALE);
    let difference = i128::from(exit.raw()) - i128::from(entry.raw());
    difference * i128::from(quantity.raw()) / scale * i128::from(multiplier.raw()) / scale
}

impl Account {
    /// A flat account holding `initial_cash`.
    pub fn new(contract_multiplier: Quantity, initial_cash: Money) -> Self {
        Self {
            contract_multiplier,
            cash: initial_cash,
            position: Quantity::ZERO,
            average_entry: None,
            realized_pnl: Money::ZERO,
            fees_paid: Money::ZERO,
            funding_paid: Money::ZERO,
            fills: 0,
        }
    }

    /// Adds cash (negative withdraws).
    pub fn deposit(&mut self, amount: Money) {
        self.cash = self.cash.saturating_add(amount);
    }

    pub fn cash(&self) -> Money {
        self.cash
    }

    pub fn position(&self) -> Quantity {
        self.position
    }

    pub fn average_entry(&self) -> Option<Price> {
        self.average_entry
    }

    pub fn realized_pnl(&self) -> Money {
        self.realized_pnl
    }

    pub fn fees_paid(&self) -> Money {
        self.fees_paid
    }

    pub fn funding_paid(&self) -> Money {
        self.funding_paid
    }

    pub fn fill_count(&self) -> u64 {
        self.fills
    }

    pub fn contract_multiplier(&self) -> Quantity {
        self.contract_multiplier
    }

    /// Books one fill and returns the P&L it realized. Average entry: weighted on increases,
    /// unchanged on reductions, reset on a flip through zero (the crossing fill realizes the
    /// closed part and opens the rest at its price).
    pub fn apply_fill(&mut self, fill: &Fill) -> Money {
        let signed = fill.quantity.raw().saturating_mul(fill.side.sign());
        let old = self.position.raw();
        let mut realized: i128 = 0;
        let entry = self.average_entry.unwrap_or(fill.price);
        if old == 0 || (old > 0) == (signed > 0) {
            // Opening or increasing: weighted average, rounded half up to the 10^-9 grid.
            let old_size = i128::from(old.unsigned_abs());
            let added = i128::from(signed.unsigned_abs());
            let total = old_size + added;
            if total > 0 {
                let weighted =
                    i128::from(entry.raw()) * old_size + i128::from(fill.price.raw()) * added;
                let average = (weighted + total / 2) / total;
                self.average_entry = i64::try_from(average).ok().map(Price::from_raw);
            }
        } else {
            // Reducing, closing or flipping.
            let closed = old.unsigned_abs().min(signed.unsigned_abs());
            let closed = Quantity::from_raw(i64::try_from(closed).unwrap_or(i64::MAX));
            // A long closes with a sell: P&L = (exit − entry) × closed; a short: the opposite.
            let direction = if old > 0 { 1 } else { -1 };
            realized = pnl_raw(entry, fill.price, closed, self.contract_multiplier) * direction;
            let new_position = old.saturating_add(signed);
            if new_position == 0 {
                self.average_entry = None;
            } else if (new_position > 0) != (old > 0) {
                self.average_entry = Some(fill.price);
            }
        }
        self.position = Quantity::from_raw(old.saturating_add(signed));
        let realized = Money::from_raw_i128(realized);
        self.realized_pnl = self.realized_pnl.saturating_add(realized);
        self.fees_paid = self.fees_paid.saturating_add(fill.fee);
        self.cash = self.cash.saturating_add(realized).saturating_sub(fill.fee);
        self.fills += 1;
        realized
    }

    /// Books a funding payment (positive amount = paid by the account).
    pub fn apply_funding(&mut self, payment: &FundingPayment) {
        self.funding_paid = self.funding_paid.saturating_add(payment.amount);
        self.cash = self.cash.saturating_sub(payment.amount);
    }

    /// P&L of the open position at `mark`.
    pub fn unrealized_pnl(&self, mark: Price) -> Money {
        match self.average_entry {
            Some(entry) => Money::from_raw_i128(pnl_raw(
                entry,
                mark,
                self.position,
                self.contract_multiplier,
            )),
            None => Money::ZERO,
        }
    }

    /// Cash plus unrealized P&L at `mark`.
    pub fn equity(&self, mark: Price) -> Money {
        self.cash.saturating_add(self.unrealized_pnl(mark))
    }

    /// Initial margin of the open position: |position| × mark × multiplier / leverage
    /// (leverage 0 is treated as 1).
    pub fn initial_margin(&self, mark: Price, leverage: u32) -> Money {
        let notional = mark.notional_raw(self.position.abs())
            * i128::from(self.contract_multiplier.raw())
            / i128::from(FIXED_SCALE);
        Money::from_raw_i128(notional / i128::from(leverage.max(1)))
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{Liquidity, OrderId, OrderSide, Rate, UnixNanos};

    use super::*;

    fn price(text: &str) -> Price {
        Price::from_decimal_str(text).unwrap()
    }

    fn quantity(text: &str) -> Quantity {
        Quantity::from_decimal_str(text).unwrap()
    }

    fn money(text: &str) -> Money {
        Money::from_decimal_str(text).unwrap()
    }

    fn fill(side: OrderSide, px: &str, qty: &str, fee: &str) -> Fill {
        Fill {
            order_id: OrderId(1),
            ts: UnixNanos(0),
            side,
            price: price(px),
            quantity: quantity(qty),
            liquidity: Liquidity::Taker,
            fee: money(fee),
            reference_mid: None,
            leaves_quantity: Quantity::ZERO,
        }
    }

    #[test]
    fn averages_on_increases_and_realizes_on_reductions() {
        let mut account = Account::new(Quantity::ONE, money("10000"));
        // Buy 1 @ 100 then 3 @ 104: average (100 + 312) / 4 = 103.
        account.apply_fill(&fill(OrderSide::Buy, "100", "1", "0.1"));
        account.apply_fill(&fill(OrderSide::Buy, "104", "3", "0.3"));
        assert_eq!(account.position(), quantity("4"));
        assert_eq!(account.average_entry(), Some(price("103")));
        // Unrealized at 105: (105 − 103) × 4 = 8.
        assert_eq!(account.unrealized_pnl(price("105")), money("8"));
        // Sell 1 @ 106: realizes (106 − 103) × 1 = 3; average unchanged.
        assert_eq!(
            account.apply_fill(&fill(OrderSide::Sell, "106", "1", "0.2")),
            money("3")
        );
        assert_eq!(account.average_entry(), Some(price("103")));
        // Cash: 10000 + 3 − (0.1 + 0.3 + 0.2) = 10002.4.
        assert_eq!(account.cash(), money("10002.4"));
        assert_eq!(account.fees_paid(), money("0.6"));
        // Equity at 105: 10002.4 + (105 − 103) × 3 = 10008.4.
        assert_eq!(account.equity(price("105")), money("10008.4"));
        // Initial margin at 10×: 3 × 105 / 10 = 31.5.
        assert_eq!(account.initial_margin(price("105"), 10), money("31.5"));
    }

    #[test]
    fn a_flip_realizes_the_closed_part_and_opens_the_rest_at_its_price() {
        let mut account = Account::new(Quantity::ONE, Money::ZERO);
        account.apply_fill(&fill(OrderSide::Sell, "200", "2", "0"));
        assert_eq!(account.position(), quantity("-2"));
        // Buy 5 @ 190: closes 2 (short gains (200 − 190) × 2 = 20), opens 3 long @ 190.
        assert_eq!(
            account.apply_fill(&fill(OrderSide::Buy, "190", "5", "0")),
            money("20")
        );
        assert_eq!(account.position(), quantity("3"));
        assert_eq!(account.average_entry(), Some(price("190")));
        account.apply_fill(&fill(OrderSide::Sell, "191", "3", "0"));
        assert_eq!(account.average_entry(), None);
        // 20 + (191 − 190) × 3 = 23.
        assert_eq!(account.realized_pnl(), money("23"));
    }

    #[test]
    fn contract_multiplier_scales_pnl_and_funding_moves_cash() {
        let mut account = Account::new(quantity("100"), Money::ZERO);
        account.apply_fill(&fill(OrderSide::Buy, "1.5", "2", "0"));
        // (1.6 − 1.5) × 2 × 100 = 20.
        assert_eq!(account.unrealized_pnl(price("1.6")), money("20"));
        account.apply_funding(&FundingPayment {
            ts: UnixNanos(0),
            rate: Rate::from_decimal_str("0.0001").unwrap(),
            mark_price: price("1.6"),
            position: quantity("2"),
            amount: money("0.032"),
        });
        assert_eq!(account.cash(), money("-0.032"));
        assert_eq!(account.funding_paid(), money("0.032"));
    }
}
