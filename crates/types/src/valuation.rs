//! How a size at a price is valued in the settlement currency (SPEC 5): linear contracts in the
//! quote currency, inverse (coin-margined) contracts in the base coin. The one implementation
//! used by the account, the simulated exchange (fees, funding), risk (sizing, margin, max hold)
//! and the engine's trade list.
//!
//! - Linear (USDT-margined perps, spot): value = price × size × multiplier, P&L =
//!   (exit − entry) × size × multiplier, quote currency.
//! - Inverse (Binance COIN-M, Bybit inverse): size in contracts of `multiplier` USD each;
//!   value = size × multiplier / price, P&L (long) = size × multiplier × (1/entry − 1/exit),
//!   base coin. Fees and funding are rates of that coin value.
//!
//! Fixed point only: `1/price` is never formed on its own; every quotient is one `i128`
//! division of exact integer products, rounded as each function documents.

use serde::{Deserialize, Serialize};

use crate::{FIXED_SCALE, Money, Price, Quantity, Rate};

const SCALE: i128 = FIXED_SCALE as i128;

/// Linear (quote-settled) or inverse (coin-settled) contract (SPEC 5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractType {
    /// Value, P&L, fees and funding in the quote currency (USDT perps, spot, bitFlyer).
    #[default]
    Linear,
    /// Contracts of a fixed quote value (the multiplier, e.g. 100 USD); value, P&L, margin,
    /// fees and funding in the base coin; the account's equity is in coin.
    Inverse,
}

impl ContractType {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Linear => "linear",
            Self::Inverse => "inverse",
        }
    }
}

/// The valuation rules of one instrument: its contract type and multiplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Valuation {
    pub contract_type: ContractType,
    /// Linear: quote value of one unit of size per unit of price (1 for USDT perps). Inverse:
    /// quote (USD) face value of one contract (100 for BTCUSD_PERP).
    pub multiplier: Quantity,
}

impl Valuation {
    pub const fn linear(multiplier: Quantity) -> Self {
        Self {
            contract_type: ContractType::Linear,
            multiplier,
        }
    }

    pub const fn inverse(multiplier: Quantity) -> Self {
        Self {
            contract_type: ContractType::Inverse,
            multiplier,
        }
    }

    pub const fn is_inverse(self) -> bool {
        matches!(self.contract_type, ContractType::Inverse)
    }

    /// Signed settlement-currency value of `quantity` at `price`, raw (10^-9) units, rounded
    /// toward zero. Linear: `price × quantity × multiplier` (each product truncated, as the
    /// ledger always did). Inverse: `quantity × multiplier / price` in one division
    /// (`q_raw × m_raw / p_raw` is exactly the raw coin value). A non-positive price has no
    /// inverse value (0).
    pub fn value_raw(self, price: Price, quantity: Quantity) -> i128 {
        let price = i128::from(price.raw());
        let quantity = i128::from(quantity.raw());
        let multiplier = i128::from(self.multiplier.raw());
        match self.contract_type {
            ContractType::Linear => price.saturating_mul(quantity) / SCALE * multiplier / SCALE,
            ContractType::Inverse => {
                if price <= 0 {
                    return 0;
                }
                quantity.saturating_mul(multiplier) / price
            }
        }
    }

    /// [`value_raw`](Self::value_raw) as [`Money`] (saturating).
    pub fn value(self, price: Price, quantity: Quantity) -> Money {
        Money::from_raw_i128(self.value_raw(price, quantity))
    }

    /// Quote-currency notional of `quantity` at `price`, raw: linear as
    /// [`value_raw`](Self::value_raw); inverse: the contracts' face value `quantity ×
    /// multiplier` (USD), whatever the price. Cost models express bps of this.
    pub fn quote_notional_raw(self, price: Price, quantity: Quantity) -> i128 {
        match self.contract_type {
            ContractType::Linear => self.value_raw(price, quantity),
            ContractType::Inverse => {
                i128::from(quantity.raw()).saturating_mul(i128::from(self.multiplier.raw())) / SCALE
            }
        }
    }

    /// P&L of a signed position (`quantity` > 0 long) from `entry` to `exit`, raw settlement
    /// units. Linear: `(exit − entry) × quantity × multiplier`, truncated toward zero.
    /// Inverse: `quantity × multiplier × (1/entry − 1/exit) = q × m × (exit − entry) /
    /// (entry × exit)`, one exact division rounded toward negative infinity (a profit is
    /// never overstated by the rounding); should the product not fit `i128`, the difference
    /// of the two coin values (each truncated; at most one raw unit off).
    pub fn pnl_raw(self, entry: Price, exit: Price, quantity: Quantity) -> i128 {
        let entry_raw = i128::from(entry.raw());
        let exit_raw = i128::from(exit.raw());
        match self.contract_type {
            ContractType::Linear => {
                let difference = exit_raw - entry_raw;
                difference.saturating_mul(i128::from(quantity.raw())) / SCALE
                    * i128::from(self.multiplier.raw())
                    / SCALE
            }
            ContractType::Inverse => {
                if entry_raw <= 0 || exit_raw <= 0 {
                    return 0;
                }
                let exact = i128::from(quantity.raw())
                    .checked_mul(i128::from(self.multiplier.raw()))
                    .and_then(|face| face.checked_mul(exit_raw - entry_raw))
                    .zip(entry_raw.checked_mul(exit_raw));
                match exact {
                    Some((numerator, denominator)) => numerator.div_euclid(denominator),
                    None => self.value_raw(entry, quantity) - self.value_raw(exit, quantity),
                }
            }
        }
    }

    /// [`pnl_raw`](Self::pnl_raw) as [`Money`] (saturating).
    pub fn pnl(self, entry: Price, exit: Price, quantity: Quantity) -> Money {
        Money::from_raw_i128(self.pnl_raw(entry, exit, quantity))
    }

    /// A fee or funding amount: `rate × |value|` of `quantity` at `price`, raw settlement units
    /// (rounded toward zero; the sign follows the rate).
    pub fn rate_of_value_raw(self, rate: Rate, price: Price, quantity: Quantity) -> i128 {
        rate.apply_to_raw(self.value_raw(price, quantity).abs())
    }

    /// The average entry after adding `added` (absolute) at `price` to `held` (absolute) at
    /// `average`, rounded half up to the price grid. Linear: the size-weighted mean of prices.
    /// Inverse: the size-weighted harmonic mean (`total / Σ size/price`), the price at which
    /// the whole position has the coin value of its parts (so P&L from it is exact), formed
    /// as one exact `i128` fraction (coin values at 10^-18 if the products overflow).
    pub fn average_entry(
        self,
        average: Price,
        held: Quantity,
        price: Price,
        added: Quantity,
    ) -> Option<Price> {
        let held = i128::from(held.raw().abs());
        let added = i128::from(added.raw().abs());
        let total = held + added;
        if total == 0 {
            return None;
        }
        let average_raw = i128::from(average.raw());
        let price_raw = i128::from(price.raw());
        let raw = match self.contract_type {
            ContractType::Linear => {
                let weighted = average_raw
                    .saturating_mul(held)
                    .saturating_add(price_raw.saturating_mul(added));
                (weighted + total / 2) / total
            }
            ContractType::Inverse => {
                if price_raw <= 0 || (held > 0 && average_raw <= 0) {
                    return None;
                }
                if held == 0 {
                    return Some(price);
                }
                // total / (held/average + added/price) = total × average × price /
                // (held × price + added × average), exact while it fits i128.
                let exact = total
                    .checked_mul(average_raw)
                    .and_then(|value| value.checked_mul(price_raw))
                    .zip(
                        held.checked_mul(price_raw)
                            .zip(added.checked_mul(average_raw))
                            .and_then(|(a, b)| a.checked_add(b)),
                    );
                match exact {
                    Some((numerator, denominator)) => (numerator + denominator / 2) / denominator,
                    None => {
                        // Coin values at 10^-18 per contract-unit: at most a raw unit off.
                        let fine = SCALE * SCALE;
                        let value = held.saturating_mul(fine) / average_raw
                            + added.saturating_mul(fine) / price_raw;
                        if value <= 0 {
                            return None;
                        }
                        (total.saturating_mul(fine) + value / 2) / value
                    }
                }
            }
        };
        i64::try_from(raw).ok().map(Price::from_raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(text: &str) -> Price {
        Price::from_decimal_str(text).unwrap()
    }

    fn quantity(text: &str) -> Quantity {
        Quantity::from_decimal_str(text).unwrap()
    }

    fn btcusd_perp() -> Valuation {
        Valuation::inverse(quantity("100"))
    }

    #[test]
    fn inverse_pnl_of_one_btcusd_perp_contract() {
        // One 100 USD contract long 60,000 → 60,100: 100 × (1/60000 − 1/60100) BTC
        // = 100 × 100 / (60,000 × 60,100) = 10,000 / 3,606,000,000 = 0.0000027731558… BTC
        // → floor to the 10^-9 grid: 0.000002773 BTC (raw 2,773).
        let valuation = btcusd_perp();
        let long = valuation.pnl(price("60000"), price("60100"), quantity("1"));
        assert_eq!(long, Money::from_decimal_str("0.000002773").unwrap());
        // The short loses it: −2,773.16 raw → floor → −2,774 (never a smaller loss).
        let short = valuation.pnl(price("60000"), price("60100"), quantity("-1"));
        assert_eq!(short.raw(), -2_774);
        // Coin value of that contract at 60,000: 100 / 60,000 = 0.001666666 BTC (truncated).
        assert_eq!(
            valuation.value(price("60000"), quantity("1")),
            Money::from_decimal_str("0.001666666").unwrap()
        );
        // Its quote notional is its face value, 100 USD, at any price.
        assert_eq!(
            valuation.quote_notional_raw(price("60000"), quantity("1")),
            100 * SCALE
        );
    }

    #[test]
    fn inverse_fees_are_coin_rates_of_the_coin_value() {
        // Taker 5 bps on 10 contracts at 50,000: 10 × 100 / 50,000 = 0.02 BTC × 0.0005
        // = 0.00001 BTC.
        let fee = btcusd_perp().rate_of_value_raw(
            Rate::from_decimal_str("0.0005").unwrap(),
            price("50000"),
            quantity("10"),
        );
        assert_eq!(fee, 10_000);
    }

    #[test]
    fn inverse_average_entry_is_the_harmonic_mean() {
        // 1 contract at 50,000 + 1 at 60,000: 2 / (1/50,000 + 1/60,000) = 54,545.4545…
        // → 54,545.454545455 (half up on the 10^-9 grid). Linear: 55,000.
        let inverse = btcusd_perp()
            .average_entry(price("50000"), quantity("1"), price("60000"), quantity("1"))
            .unwrap();
        assert_eq!(inverse, price("54545.454545455"));
        let linear = Valuation::linear(Quantity::ONE)
            .average_entry(price("50000"), quantity("1"), price("60000"), quantity("1"))
            .unwrap();
        assert_eq!(linear, price("55000"));
        // From that average, closing at 60,000 books the parts' P&L: the 50,000 contract
        // gains 100 × (1/50,000 − 1/60,000) = 0.000333333… BTC, the other nothing.
        let pnl = btcusd_perp().pnl(inverse, price("60000"), quantity("2"));
        assert!((pnl.raw() - 333_333).abs() <= 1, "{pnl}");
    }

    #[test]
    fn linear_matches_the_old_ledger() {
        let linear = Valuation::linear(quantity("100"));
        // (1.6 − 1.5) × 2 × 100 = 20.
        assert_eq!(
            linear.pnl(price("1.5"), price("1.6"), quantity("2")),
            Money::from_decimal_str("20").unwrap()
        );
        assert_eq!(
            linear.value(price("1.5"), quantity("-2")),
            Money::from_decimal_str("-300").unwrap()
        );
    }
}
