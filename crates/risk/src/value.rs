//! Exact settlement-currency value of a size at a price (SPEC 1.1 fixed point, formed in
//! `i128`): linear contracts `price × size × contract_multiplier` in the quote currency,
//! inverse contracts `size × multiplier / price` in coin (SPEC 5), by the instrument's
//! [`Valuation`].

use auction_trader_types::{FIXED_SCALE, Money, Price, Quantity, Valuation};

pub(crate) const SCALE: i128 = FIXED_SCALE as i128;

/// Signed value of `quantity` at `price` (negative for a short quantity), in the settlement
/// currency (quote for linear, coin for inverse contracts).
pub fn position_value(price: Price, quantity: Quantity, valuation: Valuation) -> Money {
    valuation.value(price, quantity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_and_multiplied_values() {
        // 1.666 BTC × 60,000 × 1 = 99,960 USDT.
        let value = position_value(
            Price::from_decimal_str("60000").unwrap(),
            Quantity::from_decimal_str("1.666").unwrap(),
            Valuation::linear(Quantity::ONE),
        );
        assert_eq!(value, Money::from_decimal_str("99960").unwrap());
        // −3 units × 50 × multiplier 0.1 = −15.
        let short = position_value(
            Price::from_decimal_str("50").unwrap(),
            Quantity::from_decimal_str("-3").unwrap(),
            Valuation::linear(Quantity::from_decimal_str("0.1").unwrap()),
        );
        assert_eq!(short, Money::from_decimal_str("-15").unwrap());
        // Inverse: 3 contracts of 100 USD at 60,000 are worth 300 / 60,000 = 0.005 BTC.
        let coin = position_value(
            Price::from_decimal_str("60000").unwrap(),
            Quantity::from_decimal_str("3").unwrap(),
            Valuation::inverse(Quantity::from_decimal_str("100").unwrap()),
        );
        assert_eq!(coin, Money::from_decimal_str("0.005").unwrap());
    }
}
