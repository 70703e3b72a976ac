//! The P&L of each exit leg of a trade, so a partial exit (a take-profit leg before the final
//! stop) shows what it earned instead of vanishing into the trade's total.
//!
//! A leg's net P&L is its price P&L against the trade's average entry (the run's
//! [`Valuation`]: `(leg price − entry) × signed quantity × multiplier` for linear contracts,
//! the coin P&L for inverse ones), less its own exit fees and its share of the entry fees and
//! funding (shared by quantity). The legs of a trade sum exactly to its `net_pnl`: any
//! rounding remainder is carried by the final leg.

use auction_trader_types::{Direction, Money, Quantity, Valuation};

use crate::TradeRecord;

/// Net P&L of each leg of `trade` valued by `valuation`, in leg order (empty for a trade
/// without legs).
pub fn leg_net_pnls(trade: &TradeRecord, valuation: Valuation) -> Vec<Money> {
    if trade.legs.is_empty() {
        return Vec::new();
    }
    let short = trade.direction == Direction::Short;
    let leg_fees: i128 = trade.legs.iter().map(|leg| leg.fee.raw()).sum();
    let shared = trade.fees.raw() - leg_fees + trade.funding.raw();
    let total_quantity: i128 = trade.legs.iter().map(|leg| leg.quantity.raw()).sum();
    let mut nets: Vec<i128> = trade
        .legs
        .iter()
        .map(|leg| {
            let signed = if short {
                Quantity::ZERO.saturating_sub(leg.quantity)
            } else {
                leg.quantity
            };
            let gross = valuation.pnl_raw(trade.entry_price, leg.price, signed);
            let share = if total_quantity > 0 {
                shared * leg.quantity.raw() / total_quantity
            } else {
                0
            };
            gross - leg.fee.raw() - share
        })
        .collect();
    let remainder = trade.net_pnl.raw() - nets.iter().sum::<i128>();
    if let Some(last) = nets.last_mut() {
        *last += remainder;
    }
    nets.into_iter().map(Money::from_raw_i128).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{money, sample_records};
    use auction_trader_types::{ExitReason, Price};

    fn linear() -> Valuation {
        Valuation::linear(Quantity::ONE)
    }

    #[test]
    fn a_take_profit_leg_shows_its_profit_and_the_legs_sum_to_the_trade() {
        let mut trade = sample_records().trades[0].clone();
        // A long of 10 from 100: TP1 sells 4 at 110 (fee 0.4), the stop sells 6 at 95
        // (fee 0.6); entry fee 1.0, funding 0.5 → fees 2.0, shared costs 1.5 (0.6 / 0.9).
        // TP1: 4 × 10 − 0.4 − 0.6 = 39; stop: 6 × −5 − 0.6 − 0.9 = −31.5; net 7.5.
        trade.direction = Direction::Long;
        trade.entry_price = Price::from_decimal_str("100").unwrap();
        trade.legs.truncate(1);
        let mut take_profit = trade.legs[0].clone();
        take_profit.price = Price::from_decimal_str("110").unwrap();
        take_profit.quantity = auction_trader_types::Quantity::from_units(4).unwrap();
        take_profit.fee = money("0.4");
        take_profit.reason = ExitReason::TakeProfit1;
        let mut stop = take_profit.clone();
        stop.price = Price::from_decimal_str("95").unwrap();
        stop.quantity = auction_trader_types::Quantity::from_units(6).unwrap();
        stop.fee = money("0.6");
        stop.reason = ExitReason::StopLoss;
        trade.legs = vec![take_profit, stop];
        trade.fees = money("2");
        trade.funding = money("0.5");
        trade.net_pnl = money("7.5");
        assert_eq!(
            leg_net_pnls(&trade, linear()),
            vec![money("39"), money("-31.5")]
        );
        // A short mirrors the sign: the same prices lose on TP1's leg.
        trade.direction = Direction::Short;
        trade.net_pnl = money("-11.5");
        // TP1: 4 × −10 − 1 = −41; stop: 6 × 5 − 1.5 = 28.5 + the remainder (−11.5 − −12.5).
        assert_eq!(
            leg_net_pnls(&trade, linear()),
            vec![money("-41"), money("29.5")]
        );
        trade.legs.clear();
        assert!(leg_net_pnls(&trade, linear()).is_empty());
    }
}
