//! Heat: the current risk exposure, always visible (SPEC 4).

use auction_trader_types::{Money, Price, Quantity, Valuation};
use serde::Serialize;

/// One open position as heat sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OpenRisk {
    /// Signed size (negative = short).
    pub quantity: Quantity,
    pub entry_price: Price,
    pub stop: Price,
    /// Price for the notional (mark, mid or last trade).
    pub mark_price: Price,
    pub valuation: Valuation,
}

/// Risk exposure across open positions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Heat {
    /// SPEC 4: Σ |P&L from entry to stop| (linear: |entry − stop| × |size| × multiplier;
    /// zero once a stop sits at the entry), settlement currency.
    pub risk_amount: Money,
    /// Σ |value at mark| (linear: |mark × size × multiplier|).
    pub notional: Money,
    /// `notional / equity` (a display statistic, hence `f64`); +∞ with exposure and no
    /// positive equity, 0 with no exposure.
    pub notional_to_equity: f64,
}

impl Heat {
    pub fn measure(positions: &[OpenRisk], equity: Money) -> Self {
        let mut risk: i128 = 0;
        let mut notional: i128 = 0;
        for position in positions {
            let quantity = position.quantity.abs();
            let valuation = position.valuation;
            let loss = valuation.pnl_raw(position.entry_price, position.stop, quantity);
            risk = risk.saturating_add(loss.abs());
            let value = valuation.value_raw(position.mark_price, quantity);
            notional = notional.saturating_add(value.abs());
        }
        let notional = Money::from_raw_i128(notional);
        let notional_to_equity = if notional.is_zero() {
            0.0
        } else if equity.is_positive() {
            notional.as_f64() / equity.as_f64()
        } else {
            f64::INFINITY
        };
        Self {
            risk_amount: Money::from_raw_i128(risk),
            notional,
            notional_to_equity,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::price;

    #[test]
    fn sums_risk_and_notional_of_long_and_short() {
        // Long 1.666 BTC 60,000 stop 59,940 mark 60,100: risk 99.96, notional 100,126.6.
        // Short 2 ETH 3,000 stop 3,030 mark 2,990: risk 60, notional 5,980.
        // Total risk 159.96, notional 106,106.6; equity 10,000 → 10.61066×.
        let positions = [
            OpenRisk {
                quantity: Quantity::from_decimal_str("1.666").unwrap(),
                entry_price: price("60000"),
                stop: price("59940"),
                mark_price: price("60100"),
                valuation: Valuation::linear(Quantity::ONE),
            },
            OpenRisk {
                quantity: Quantity::from_decimal_str("-2").unwrap(),
                entry_price: price("3000"),
                stop: price("3030"),
                mark_price: price("2990"),
                valuation: Valuation::linear(Quantity::ONE),
            },
        ];
        let heat = Heat::measure(&positions, Money::from_decimal_str("10000").unwrap());
        assert_eq!(heat.risk_amount, Money::from_decimal_str("159.96").unwrap());
        assert_eq!(heat.notional, Money::from_decimal_str("106106.6").unwrap());
        assert!((heat.notional_to_equity - 10.61066).abs() < 1e-12);
        let empty = Heat::measure(&[], Money::ZERO);
        assert_eq!(empty.notional_to_equity, 0.0);
    }
}
