//! Margin helpers for sizing (SPEC 4: cross margin, available margin = equity − initial margin
//! of open positions).

use auction_trader_types::{Money, Price, Quantity, Rate, TypesError};

use crate::value::{SCALE, value_or_error};

/// Initial margin of an open position: `|price × size × multiplier| / leverage`, rounded up
/// (conservative). The account leverage is the configured `max_leverage`. A non-positive
/// leverage gives the full notional.
pub fn initial_margin(
    price: Price,
    quantity: Quantity,
    contract_multiplier: Quantity,
    leverage: Rate,
) -> Result<Money, TypesError> {
    let notional = value_or_error(
        i128::from(price.raw()),
        quantity.raw(),
        contract_multiplier.raw(),
        "initial margin",
    )?
    .abs();
    if !leverage.is_positive() {
        return Ok(notional);
    }
    let leverage = i128::from(leverage.raw());
    let scaled = notional
        .raw()
        .checked_mul(SCALE)
        .and_then(|scaled| scaled.checked_add(leverage - 1))
        .ok_or_else(|| TypesError::ArithmeticOverflow {
            operation: "initial margin",
            values: format!("{notional} / {}", Rate::from_raw(leverage as i64)),
        })?;
    Ok(Money::from_raw(scaled / leverage))
}

/// SPEC 4: available margin = equity − initial margin of open positions (may be negative).
pub fn available_margin(equity: Money, used_margin: Money) -> Result<Money, TypesError> {
    equity.try_sub(used_margin, "available margin")
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
            Quantity::ONE,
            Rate::from_decimal_str("10").unwrap(),
        )
        .unwrap();
        assert_eq!(used, Money::from_decimal_str("3000").unwrap());
        let equity = Money::from_decimal_str("13000").unwrap();
        assert_eq!(
            available_margin(equity, used).unwrap(),
            Money::from_decimal_str("10000").unwrap()
        );
    }

    #[test]
    fn initial_margin_rounds_up() {
        // 1 unit at 1 with leverage 3: 1/3 = 0.333333333… → 0.333333334.
        let margin = initial_margin(
            Price::ONE,
            Quantity::ONE,
            Quantity::ONE,
            Rate::from_decimal_str("3").unwrap(),
        )
        .unwrap();
        assert_eq!(margin, Money::from_raw(333_333_334));
    }
}
