//! [`Account`]: the cash and position ledger of one instrument's trading, shared by the
//! simulated exchange and the engine, in the settlement currency of its [`Valuation`]
//! (SPEC 5): linear contracts in the quote currency, P&L = (exit − entry) × quantity ×
//! multiplier; inverse contracts in the base coin, P&L = contracts × multiplier ×
//! (1/entry − 1/exit) for a long, with the harmonic average entry. Cash and equity are in
//! that currency.

use auction_trader_types::{Fill, FundingPayment, Money, Price, Quantity, Valuation};
use serde::{Deserialize, Serialize};

/// Cash balance, signed position, average entry, realized P&L, fees and funding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    valuation: Valuation,
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

impl Account {
    /// A flat account of a linear instrument with `contract_multiplier`, holding
    /// `initial_cash` of the quote currency.
    pub fn new(contract_multiplier: Quantity, initial_cash: Money) -> Self {
        Self::with_valuation(Valuation::linear(contract_multiplier), initial_cash)
    }

    /// A flat account valued by `valuation` (inverse: cash in coin), holding `initial_cash`.
    pub fn with_valuation(valuation: Valuation, initial_cash: Money) -> Self {
        Self {
            valuation,
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
        self.valuation.multiplier
    }

    pub fn valuation(&self) -> Valuation {
        self.valuation
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
            // Opening or increasing: weighted (inverse: harmonic) average, half up.
            self.average_entry =
                self.valuation
                    .average_entry(entry, self.position, fill.price, fill.quantity);
        } else {
            // Reducing, closing or flipping.
            let closed = old.unsigned_abs().min(signed.unsigned_abs());
            let closed = i64::try_from(closed).unwrap_or(i64::MAX);
            // The closed part keeps the sign of the old position (a long closes with a sell).
            let closed = Quantity::from_raw(if old > 0 { closed } else { -closed });
            realized = self.valuation.pnl_raw(entry, fill.price, closed);
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
            Some(entry) => self.valuation.pnl(entry, mark, self.position),
            None => Money::ZERO,
        }
    }

    /// Net P&L of the account's trading: realized − fees − funding, plus the open position
    /// at `mark` (none without a mark), settlement currency.
    pub fn net_pnl(&self, mark: Option<Price>) -> Money {
        let unrealized = mark.map_or(Money::ZERO, |mark| self.unrealized_pnl(mark));
        self.realized_pnl
            .saturating_sub(self.fees_paid)
            .saturating_sub(self.funding_paid)
            .saturating_add(unrealized)
    }

    /// Cash plus unrealized P&L at `mark`.
    pub fn equity(&self, mark: Price) -> Money {
        self.cash.saturating_add(self.unrealized_pnl(mark))
    }

    /// Initial margin of the open position: its value at `mark` / leverage (leverage 0 is
    /// treated as 1), in the settlement currency.
    pub fn initial_margin(&self, mark: Price, leverage: u32) -> Money {
        let value = self.valuation.value_raw(mark, self.position.abs());
        Money::from_raw_i128(value / i128::from(leverage.max(1)))
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

    #[test]
    fn inverse_contracts_book_coin_pnl() {
        // SPEC 5: one BTCUSD_PERP contract (100 USD) long 60,000 → 60,100 books
        // 100 × (1/60000 − 1/60100) = 0.0000027731558… BTC → 0.000002773 BTC (floor).
        let mut account = Account::with_valuation(Valuation::inverse(quantity("100")), money("1"));
        account.apply_fill(&fill(OrderSide::Buy, "60000", "1", "0"));
        // Coin margin at 10×: 100 / 60,000 / 10 = 0.000166666 BTC (truncated).
        assert_eq!(
            account.initial_margin(price("60000"), 10),
            money("0.000166666")
        );
        assert_eq!(account.unrealized_pnl(price("60100")), money("0.000002773"));
        let realized = account.apply_fill(&fill(OrderSide::Sell, "60100", "1", "0.00000001"));
        assert_eq!(realized, money("0.000002773"));
        // Equity in BTC: 1 + 0.000002773 − 0.00000001 fee.
        assert_eq!(account.cash(), money("1.000002763"));
        // A short of 2 contracts from 60,100 to 60,000 gains 200 × (1/60000 − 1/60100).
        account.apply_fill(&fill(OrderSide::Sell, "60100", "2", "0"));
        let realized = account.apply_fill(&fill(OrderSide::Buy, "60000", "2", "0"));
        assert_eq!(realized, money("0.000005546"));
    }
}
