//! Exact quote-currency value of a size at a price for a linear contract:
//! `price × size × contract_multiplier` (SPEC 1.1 fixed point, formed in `i128`).
//!
//! The contract multiplier is the quote-currency value of one unit of size per unit of price
//! (1 for USDT-margined perps). Inverse (coin-margined) contracts, whose P&L is not linear in
//! price, are not modelled by these rules.

use auction_trader_types::{FIXED_SCALE, Money, Price, Quantity, TypesError};

pub(crate) const SCALE: i128 = FIXED_SCALE as i128;

/// `price × size × multiplier` in raw money units (10^-9), each product rounded toward zero;
/// `None` when a product leaves the `i128` range (never a saturated value).
pub(crate) fn value_raw(price_raw: i128, quantity_raw: i128, multiplier_raw: i128) -> Option<i128> {
    let notional = price_raw.checked_mul(quantity_raw)? / SCALE;
    Some(notional.checked_mul(multiplier_raw)? / SCALE)
}

/// [`value_raw`] as a typed error naming `operation` and the operands.
pub(crate) fn value_or_error(
    price_raw: i128,
    quantity_raw: i128,
    multiplier_raw: i128,
    operation: &'static str,
) -> Result<Money, TypesError> {
    value_raw(price_raw, quantity_raw, multiplier_raw)
        .map(Money::from_raw)
        .ok_or_else(|| TypesError::ArithmeticOverflow {
            operation,
            values: format!(
                "{} × {} × {}",
                Money::from_raw(price_raw),
                Quantity::from_raw(quantity_raw),
                Quantity::from_raw(multiplier_raw)
            ),
        })
}

/// Signed value of `quantity` at `price` (negative for a short quantity), in quote currency.
pub fn position_value(
    price: Price,
    quantity: Quantity,
    contract_multiplier: Quantity,
) -> Result<Money, TypesError> {
    value_or_error(
        i128::from(price.raw()),
        quantity.raw(),
        contract_multiplier.raw(),
        "position value",
    )
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
        )
        .unwrap();
        assert_eq!(value, Money::from_decimal_str("99960").unwrap());
        // −3 units × 50 × multiplier 0.1 = −15.
        let short = position_value(
            Price::from_decimal_str("50").unwrap(),
            Quantity::from_decimal_str("-3").unwrap(),
            Quantity::from_decimal_str("0.1").unwrap(),
        )
        .unwrap();
        assert_eq!(short, Money::from_decimal_str("-15").unwrap());
        // A meme-coin position: 10^13 PEPE at 0.00001 = 10^8 USDT, exact.
        let pepe = position_value(
            Price::from_decimal_str("0.00001").unwrap(),
            Quantity::from_units(10_000_000_000_000).unwrap(),
            Quantity::ONE,
        )
        .unwrap();
        assert_eq!(pepe, Money::from_units(100_000_000).unwrap());
        assert!(position_value(Price::MAX, Quantity::MAX, Quantity::ONE).is_err());
    }
}
