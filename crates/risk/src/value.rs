//! Exact quote-currency value of a size at a price for a linear contract:
//! `price × size × contract_multiplier` (SPEC 1.1 fixed point, formed in `i128`).
//!
//! The contract multiplier is the quote-currency value of one unit of size per unit of price
//! (1 for USDT-margined perps). Inverse (coin-margined) contracts, whose P&L is not linear in
//! price, are not modelled by these rules.

use auction_trader_types::{FIXED_SCALE, Money, Price, Quantity};

pub(crate) const SCALE: i128 = FIXED_SCALE as i128;

/// `price × size × multiplier` in raw money units (10^-9), each product rounded toward zero;
/// saturates instead of wrapping for absurd inputs.
pub(crate) fn value_raw(price_raw: i128, quantity_raw: i128, multiplier_raw: i128) -> i128 {
    let notional = price_raw.saturating_mul(quantity_raw) / SCALE;
    notional.saturating_mul(multiplier_raw) / SCALE
}

/// Signed value of `quantity` at `price` (negative for a short quantity), in quote currency.
pub fn position_value(price: Price, quantity: Quantity, contract_multiplier: Quantity) -> Money {
    Money::from_raw_i128(value_raw(
        i128::from(price.raw()),
        i128::from(quantity.raw()),
        i128::from(contract_multiplier.raw()),
    ))
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
            Quantity::ONE,
        );
        assert_eq!(value, Money::from_decimal_str("99960").unwrap());
        // −3 units × 50 × multiplier 0.1 = −15.
        let short = position_value(
            Price::from_decimal_str("50").unwrap(),
            Quantity::from_decimal_str("-3").unwrap(),
            Quantity::from_decimal_str("0.1").unwrap(),
        );
        assert_eq!(short, Money::from_decimal_str("-15").unwrap());
    }
}
