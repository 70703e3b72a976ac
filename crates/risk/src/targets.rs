//! The TP1 / TP2 split of a position (SPEC 4, SPEC 11.3) and the stop after TP1 (breakeven).

use auction_trader_types::{Direction, ExitReason};
use auction_trader_types::{Price, Quantity, Rate};
use serde::Serialize;

use crate::value::SCALE;

/// Quantities for the two take-profit orders; they sum to the position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TargetSplit {
    /// Zero when the position is too small for a TP1 (then everything exits at TP2).
    pub take_profit_1: Quantity,
    pub take_profit_2: Quantity,
}

/// Splits `quantity` between TP1 and TP2 (SPEC 4): TP1 = `tp1_fraction` of the position in
/// whole lots, rounded to the nearest lot with halves up (7 lots → 2.1 → 2; 5 → 1.5 → 2).
///
/// Decisions (documented, SPEC 4 is silent beyond the 1-lot case):
/// - TP2 always keeps at least one lot: a TP1 that would round to the whole position is
///   reduced to `lots − 1` (only possible with `tp1_fraction` ≥ 0.5, or for 1 lot, which SPEC 4
///   sends entirely to TP2). With 0.30: 2 lots → 0.6 → 1 / 1; 3 lots → 0.9 → 1 / 2.
/// - A TP1 that rounds to zero lots (a 1-lot position, or a small fraction) means no TP1 order:
///   the whole position exits at TP2.
/// - A quantity that is not a whole number of lots keeps its remainder at TP2; a
///   non-positive quantity or lot yields no TP1.
pub fn split_targets(quantity: Quantity, lot: Quantity, tp1_fraction: Rate) -> TargetSplit {
    let everything_at_tp2 = TargetSplit {
        take_profit_1: Quantity::ZERO,
        take_profit_2: quantity,
    };
    if !quantity.is_positive() || !lot.is_positive() || !tp1_fraction.is_positive() {
        return everything_at_tp2;
    }
    let lots = quantity.raw() / lot.raw();
    // round_half_up(lots × fraction) = floor((2 × lots × fraction_raw + S) / (2 × S)).
    let Some(nearest) = lots
        .checked_mul(2 * i128::from(tp1_fraction.raw()))
        .and_then(|doubled| doubled.checked_add(SCALE))
        .map(|doubled| doubled / (2 * SCALE))
    else {
        return everything_at_tp2;
    };
    // SPEC 4: a 1-lot position skips TP1; TP2 always keeps at least one lot.
    let tp1_lots = nearest.min(lots - 1).max(0);
    // tp1_lots < lots, so the product is at most the quantity.
    let take_profit_1 = Quantity::from_raw(tp1_lots * lot.raw());
    TargetSplit {
        take_profit_1,
        take_profit_2: Quantity::from_raw(quantity.raw() - take_profit_1.raw()),
    }
}

/// The stop once TP1 has filled (SPEC 4: it moves to the entry price). Never loosens a stop:
/// a long keeps the higher of the two, a short the lower. With `breakeven_after_tp1` off the
/// stop is unchanged.
pub fn stop_after_take_profit_1(
    direction: Direction,
    entry_price: Price,
    stop: Price,
    breakeven_after_tp1: bool,
) -> Price {
    if !breakeven_after_tp1 {
        return stop;
    }
    match direction {
        Direction::Long => stop.max(entry_price),
        Direction::Short => stop.min(entry_price),
    }
}

/// The exit reason of a stop hit: [`ExitReason::BreakevenStop`] once the stop sits at the
/// entry after TP1, else [`ExitReason::StopLoss`].
pub fn stop_exit_reason(moved_to_breakeven: bool) -> ExitReason {
    if moved_to_breakeven {
        ExitReason::BreakevenStop
    } else {
        ExitReason::StopLoss
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn lots(count: i64) -> Quantity {
        Quantity::from_raw(i128::from(count) * 1_000_000)
    }

    fn split(count: i64) -> (i128, i128) {
        let result = split_targets(lots(count), lots(1), Rate::from_raw(300_000_000));
        (
            result.take_profit_1.raw() / 1_000_000,
            result.take_profit_2.raw() / 1_000_000,
        )
    }

    #[test]
    fn spec_11_3_tp1_rounding() {
        // 7 × 0.3 = 2.1 → 2 / 5; 5 × 0.3 = 1.5 → 2 (half up) / 3; 1 lot → no TP1.
        assert_eq!(split(7), (2, 5));
        assert_eq!(split(5), (2, 3));
        assert_eq!(split(1), (0, 1));
    }

    #[test]
    fn small_positions_and_edge_fractions() {
        // 2 × 0.3 = 0.6 → 1 / 1; 3 × 0.3 = 0.9 → 1 / 2; 10 × 0.3 = 3 / 7.
        assert_eq!(split(2), (1, 1));
        assert_eq!(split(3), (1, 2));
        assert_eq!(split(10), (3, 7));
        // Fraction 1.0 would take everything: TP2 keeps one lot. Fraction 0: no TP1.
        let all = split_targets(lots(4), lots(1), Rate::ONE);
        assert_eq!((all.take_profit_1, all.take_profit_2), (lots(3), lots(1)));
        let none = split_targets(lots(4), lots(1), Rate::ZERO);
        assert_eq!(
            (none.take_profit_1, none.take_profit_2),
            (Quantity::ZERO, lots(4))
        );
        // A half-lot remainder stays at TP2: 7.5 lots → 7 whole → TP1 2 lots, TP2 5.5 lots.
        let odd = split_targets(
            Quantity::from_raw(7_500_000),
            lots(1),
            Rate::from_raw(300_000_000),
        );
        assert_eq!(odd.take_profit_1, lots(2));
        assert_eq!(odd.take_profit_2, Quantity::from_raw(5_500_000));
    }

    #[test]
    fn breakeven_moves_the_stop_to_entry_for_both_sides() {
        let entry = Price::from_raw(60_000);
        // Long: stop 59,940 → 60,000 after TP1. Short: stop 60,060 → 60,000.
        assert_eq!(
            stop_after_take_profit_1(Direction::Long, entry, Price::from_raw(59_940), true),
            entry
        );
        assert_eq!(
            stop_after_take_profit_1(Direction::Short, entry, Price::from_raw(60_060), true),
            entry
        );
        // Disabled: unchanged. Never loosens a stop already past the entry.
        assert_eq!(
            stop_after_take_profit_1(Direction::Long, entry, Price::from_raw(59_940), false),
            Price::from_raw(59_940)
        );
        assert_eq!(
            stop_after_take_profit_1(Direction::Short, entry, Price::from_raw(59_990), true),
            Price::from_raw(59_990)
        );
        assert_eq!(stop_exit_reason(true), ExitReason::BreakevenStop);
        assert_eq!(stop_exit_reason(false), ExitReason::StopLoss);
    }

    proptest! {
        #[test]
        fn split_sums_to_the_position_in_whole_lots(count in 1_i64..1_000_000, fraction in 0_i64..=1_000_000_000) {
            let result = split_targets(lots(count), lots(1), Rate::from_raw(fraction));
            prop_assert_eq!(result.take_profit_1.raw() + result.take_profit_2.raw(), lots(count).raw());
            prop_assert_eq!(result.take_profit_1.raw() % 1_000_000, 0);
            prop_assert!(result.take_profit_2 >= lots(1));
        }
    }
}
