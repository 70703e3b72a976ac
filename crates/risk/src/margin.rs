//! Margin helpers for sizing (SPEC 4: cross margin, available margin = equity − initial margin
//! of open positions).

use auction_trader_types::{Money, Price, Quantity, Rate, Valuation};

use crate::value::SCALE;

/// Initial margin of an open position: `|value| / leverage` in the settlement currency
/// (linear `price × size × multiplier`; inverse `size × multiplier / price`, in coin), rounded
/// up (conservative). The account leverage is the configured `max_leverage`. A non-positive
/// leverage gives the full notional.
pub fn initial_margin(
    price: Price,
    quantity: Quantity,
    valuation: Valuation,
    leverage: Rate,
) -> Money {
    let notional = valuation.value_raw(price, quantity).saturating_abs();
    if !leverage.is_positive() {
        return Money::from_raw_i128(notional);
    }
    let leverage = i128::from(leverage.raw());
    let scaled = notional.saturating_mul(SCALE);
    Money::from_raw_i128((scaled + leverage - 1) / leverage)
}

/// SPEC 4: available margin = equity − initial margin of open positions (may be negative).
pub fn available_margin(equity: Money, used_margin: Money) -> Money {
    equity.saturating_sub(used_margin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn available_margin_subtracts_open_positions_initial_margin() {
        // 0.5 BTC open at 60,000 with 10× leverage: 30,000 / 10 = 3,000 initial margin.
        let used = initial_margin(
            Price::from_decimal_str("60000").unwrap(),
            Quantity::from_decimal_str("-0.5").unwrap(),
            Valuation::linear(Quantity::ONE),
            Rate::from_decimal_str("10").unwrap(),
        );
        assert_eq!(used, Money::from_decimal_str("3000").unwrap());
        let equity = Money::from_decimal_str("13000").unwrap();
        assert_eq!(
            available_margin(equity, used),
            Money::from_decimal_str("10000").unwrap()
        );
    }

    #[test]
    fn initial_margin_rounds_up() {
        // 1 unit at 1 with leverage 3: 1/3 = 0.333333333… → 0.333333334.
        let margin = initial_margin(
            Price::ONE,
            Quantity::ONE,
            Valuation::linear(Quantity::ONE),
            Rate::from_decimal_str("3").unwrap(),
        );
        assert_eq!(margin, Money::from_raw(333_333_334));
        // Inverse: 10 contracts of 100 USD at 50,000 = 0.02 BTC; at 10× 0.002 BTC.
        let coin = initial_margin(
            Price::from_decimal_str("50000").unwrap(),
            Quantity::from_decimal_str("10").unwrap(),
            Valuation::inverse(Quantity::from_decimal_str("100").unwrap()),
            Rate::from_decimal_str("10").unwrap(),
        );
        assert_eq!(coin, Money::from_decimal_str("0.002").unwrap());
    }
}
