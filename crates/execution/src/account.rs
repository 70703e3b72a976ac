//! [`Account`]: the cash and position ledger of one instrument's trading, shared by the
//! simulated exchange and the engine. Linear contracts only: P&L = (exit − entry) × quantity ×
//! contract multiplier, in the quote currency (inverse contracts are not modelled).

use auction_trader_types::{Fill, FundingPayment, Money, Price, Quantity, TypesError};
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

/// `(exit − entry) × quantity × multiplier` in the quote currency, checked: an overflow is an
/// error naming the operands, never a saturated P&L.
fn pnl(
    entry: Price,
    exit: Price,
    quantity: Quantity,
    multiplier: Quantity,
) -> Result<Money, TypesError> {
    let difference = i128::from(exit.raw()) - i128::from(entry.raw());
    // A price difference fits an i64 unless the prices are absurd; then it is an error too.
    let difference = i64::try_from(difference)
        .map(Price::from_raw)
        .map_err(|_| TypesError::ArithmeticOverflow {
            operation: "P&L price difference",
            values: format!("{exit} - {entry}"),
        })?;
    Money::notional(difference, quantity)?.try_mul_quantity(multiplier, "P&L × contract multiplier")
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
    pub fn deposit(&mut self, amount: Money) -> Result<(), TypesError> {
        self.cash = self.cash.try_add(amount, "account cash")?;
        Ok(())
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
    /// closed part and opens the rest at its price). Every sum is checked: on an overflow the
    /// account is left unchanged and the error names the value.
    pub fn apply_fill(&mut self, fill: &Fill) -> Result<Money, TypesError> {
        let signed = match fill.side.sign() {
            1 => fill.quantity,
            _ => fill.quantity.try_neg("fill quantity")?,
        };
        let old = self.position;
        let new_position = old.try_add(signed, "position")?;
        let mut realized = Money::ZERO;
        let mut average_entry = self.average_entry;
        let entry = self.average_entry.unwrap_or(fill.price);
        if old.is_zero() || old.is_positive() == signed.is_positive() {
            // Opening or increasing: weighted average, rounded half up to the 10^-9 grid.
            let total = new_position.abs().raw();
            if total > 0 {
                // Σ price × size in raw² units, exact in i128 for any realistic account.
                let product = |price: Price, size: Quantity| {
                    i128::from(price.raw()).checked_mul(size.abs().raw())
                };
                let average = product(entry, old)
                    .zip(product(fill.price, signed))
                    .and_then(|(held, added)| held.checked_add(added))
                    .and_then(|weighted| weighted.checked_add(total / 2))
                    .map(|weighted| weighted / total)
                    .ok_or_else(|| TypesError::ArithmeticOverflow {
                        operation: "average entry",
                        values: format!("{entry} × {old} + {} × {signed}", fill.price),
                    })?;
                average_entry = i64::try_from(average).ok().map(Price::from_raw);
            }
        } else {
            // Reducing, closing or flipping.
            let closed = old.abs().min(signed.abs());
            // A long closes with a sell: P&L = (exit − entry) × closed; a short: the opposite.
            realized = pnl(entry, fill.price, closed, self.contract_multiplier)?;
            if old.is_negative() {
                realized = realized.try_neg("realized P&L")?;
            }
            if new_position.is_zero() {
                average_entry = None;
            } else if new_position.is_positive() != old.is_positive() {
                average_entry = Some(fill.price);
            }
        }
        let realized_pnl = self.realized_pnl.try_add(realized, "realized P&L")?;
        let fees_paid = self.fees_paid.try_add(fill.fee, "fees paid")?;
        let cash = self
            .cash
            .try_add(realized, "account cash")?
            .try_sub(fill.fee, "account cash")?;
        self.position = new_position;
        self.average_entry = average_entry;
        self.realized_pnl = realized_pnl;
        self.fees_paid = fees_paid;
        self.cash = cash;
        self.fills += 1;
        Ok(realized)
    }

    /// Books a funding payment (positive amount = paid by the account).
    pub fn apply_funding(&mut self, payment: &FundingPayment) -> Result<(), TypesError> {
        let funding_paid = self.funding_paid.try_add(payment.amount, "funding paid")?;
        self.cash = self.cash.try_sub(payment.amount, "account cash")?;
        self.funding_paid = funding_paid;
        Ok(())
    }

    /// P&L of the open position at `mark`.
    pub fn unrealized_pnl(&self, mark: Price) -> Result<Money, TypesError> {
        match self.average_entry {
            Some(entry) => pnl(entry, mark, self.position, self.contract_multiplier),
            None => Ok(Money::ZERO),
        }
    }

    /// Cash plus unrealized P&L at `mark`.
    pub fn equity(&self, mark: Price) -> Result<Money, TypesError> {
        self.cash.try_add(self.unrealized_pnl(mark)?, "equity")
    }

    /// Initial margin of the open position: |position| × mark × multiplier / leverage
    /// (leverage 0 is treated as 1).
    pub fn initial_margin(&self, mark: Price, leverage: u32) -> Result<Money, TypesError> {
        let notional = Money::notional(mark, self.position.abs())?
            .try_mul_quantity(self.contract_multiplier, "initial margin")?;
        Ok(Money::from_raw(
            notional.raw() / i128::from(leverage.max(1)),
        ))
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
        account
            .apply_fill(&fill(OrderSide::Buy, "100", "1", "0.1"))
            .unwrap();
        account
            .apply_fill(&fill(OrderSide::Buy, "104", "3", "0.3"))
            .unwrap();
        assert_eq!(account.position(), quantity("4"));
        assert_eq!(account.average_entry(), Some(price("103")));
        // Unrealized at 105: (105 − 103) × 4 = 8.
        assert_eq!(account.unrealized_pnl(price("105")).unwrap(), money("8"));
        // Sell 1 @ 106: realizes (106 − 103) × 1 = 3; average unchanged.
        assert_eq!(
            account
                .apply_fill(&fill(OrderSide::Sell, "106", "1", "0.2"))
                .unwrap(),
            money("3")
        );
        assert_eq!(account.average_entry(), Some(price("103")));
        // Cash: 10000 + 3 − (0.1 + 0.3 + 0.2) = 10002.4.
        assert_eq!(account.cash(), money("10002.4"));
        assert_eq!(account.fees_paid(), money("0.6"));
        // Equity at 105: 10002.4 + (105 − 103) × 3 = 10008.4.
        assert_eq!(account.equity(price("105")).unwrap(), money("10008.4"));
        // Initial margin at 10×: 3 × 105 / 10 = 31.5.
        assert_eq!(
            account.initial_margin(price("105"), 10).unwrap(),
            money("31.5")
        );
    }

    #[test]
    fn a_flip_realizes_the_closed_part_and_opens_the_rest_at_its_price() {
        let mut account = Account::new(Quantity::ONE, Money::ZERO);
        account
            .apply_fill(&fill(OrderSide::Sell, "200", "2", "0"))
            .unwrap();
        assert_eq!(account.position(), quantity("-2"));
        // Buy 5 @ 190: closes 2 (short gains (200 − 190) × 2 = 20), opens 3 long @ 190.
        assert_eq!(
            account
                .apply_fill(&fill(OrderSide::Buy, "190", "5", "0"))
                .unwrap(),
            money("20")
        );
        assert_eq!(account.position(), quantity("3"));
        assert_eq!(account.average_entry(), Some(price("190")));
        account
            .apply_fill(&fill(OrderSide::Sell, "191", "3", "0"))
            .unwrap();
        assert_eq!(account.average_entry(), None);
        // 20 + (191 − 190) × 3 = 23.
        assert_eq!(account.realized_pnl(), money("23"));
    }

    #[test]
    fn a_billion_yen_account_books_large_fills_exactly() {
        // 1e9 JPY; buy 2,000 BTC at 9,000,000 (1.8e10 JPY notional, beyond the former i64
        // money range), sell them at 9,000,500: +1,000,000 JPY realized, fees 9,000,000 each.
        let mut account = Account::new(Quantity::ONE, money("1000000000"));
        account
            .apply_fill(&fill(OrderSide::Buy, "9000000", "2000", "9000000"))
            .unwrap();
        assert_eq!(
            account.unrealized_pnl(price("9000500")).unwrap(),
            money("1000000")
        );
        assert_eq!(
            account.initial_margin(price("9000000"), 1).unwrap(),
            money("18000000000")
        );
        let realized = account
            .apply_fill(&fill(OrderSide::Sell, "9000500", "2000", "9000225"))
            .unwrap();
        assert_eq!(realized, money("1000000"));
        assert_eq!(account.fees_paid(), money("18000225"));
        // 1e9 + 1e6 − 18,000,225 = 982,999,775.
        assert_eq!(account.cash(), money("982999775"));
    }

    #[test]
    fn an_overflowing_balance_is_an_error_naming_it_and_changes_nothing() {
        let mut account = Account::new(Quantity::ONE, Money::MAX);
        let error = account
            .apply_fill(&fill(OrderSide::Buy, "1", "1", "-1"))
            .unwrap_err();
        assert!(error.to_string().contains("account cash"), "{error}");
        assert_eq!(account.position(), Quantity::ZERO);
        assert_eq!(account.fees_paid(), Money::ZERO);
        assert_eq!(account.fill_count(), 0);
        let error = account.deposit(Money::ONE).unwrap_err();
        assert!(error.to_string().contains("account cash"), "{error}");
    }

    #[test]
    fn contract_multiplier_scales_pnl_and_funding_moves_cash() {
        let mut account = Account::new(quantity("100"), Money::ZERO);
        account
            .apply_fill(&fill(OrderSide::Buy, "1.5", "2", "0"))
            .unwrap();
        // (1.6 − 1.5) × 2 × 100 = 20.
        assert_eq!(account.unrealized_pnl(price("1.6")).unwrap(), money("20"));
        account
            .apply_funding(&FundingPayment {
                ts: UnixNanos(0),
                rate: Rate::from_decimal_str("0.0001").unwrap(),
                mark_price: price("1.6"),
                position: quantity("2"),
                amount: money("0.032"),
            })
            .unwrap();
        assert_eq!(account.cash(), money("-0.032"));
        assert_eq!(account.funding_paid(), money("0.032"));
    }
}
