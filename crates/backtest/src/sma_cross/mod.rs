//! `strategy.kind: sma_cross`, the classic dual moving-average crossover over one-minute bars,
//! as one bar loop shared by `backtest` (which records every order, fill, trade and equity
//! point) and the grid runner (which needs only the records for metrics).
//!
//! Rules (the common textbook form, as vectorbt's `MA.run` + `crossed_above`): the fast and
//! slow simple moving averages of the closes, defined once a full window is seen. A cross above
//! happens at a bar whose fast average is above the slow one while it was not above at the
//! previous bar; a cross below mirrors it. Long: enter at a cross above, exit at a cross below;
//! short: the mirror; both: always hold the side of the last cross (a flip is two trades).
//! The signal is known at the bar's close and filled there as a market order (taker fee, no
//! spread or slippage: the bar-close fill the comparison with vectorbt asks for), sized with
//! all the cash: `floor_lot(cash / (close × (1 + fee)))`. A position open at the end is
//! closed at the last close (exit reason `end_of_data`). Averages are compared exactly on
//! integer sums (`sum_fast × slow` against `sum_slow × fast`), never on rounded floats.

mod config;
mod records;
mod run;

pub use config::{SmaCrossConfig, SmaDirection};
pub use records::{BarSeries, EquityDetail, simulate_records};
pub(crate) use run::run_sma_cross;
pub use run::sma_cross_result;

use auction_trader_types::{Price, Quantity, Rate};

/// What the loop does at a bar: nothing, or a market fill at its close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Open a position: +1 long, −1 short.
    Enter(i8),
    /// Close the open position.
    Exit,
}

/// Cross state of the two averages at one bar.
#[inline]
fn above(sum_fast: i128, sum_slow: i128, fast: i128, slow: i128) -> std::cmp::Ordering {
    // fast_avg > slow_avg  <=>  sum_fast / fast > sum_slow / slow  <=>  sum_fast·slow > sum_slow·fast
    (sum_fast * slow).cmp(&(sum_slow * fast))
}

/// Walks the bars and calls `on_action(bar index, action)` at every fill the rules ask for;
/// bars before `first_tradable` only warm the averages up.
pub(crate) fn crossings(
    series: &BarSeries,
    config: &SmaCrossConfig,
    first_tradable: usize,
    mut on_action: impl FnMut(usize, Action),
) {
    use std::cmp::Ordering::{Greater, Less};
    let fast = config.fast as usize;
    let slow = config.slow as usize;
    let longest = fast.max(slow);
    let prefix = series.prefix_sums();
    let (fast_i, slow_i) = (fast as i128, slow as i128);
    let mut previous: Option<std::cmp::Ordering> = None;
    let mut position: i8 = 0;
    for index in longest.saturating_sub(1)..series.len() {
        let end = index + 1;
        let sum_fast = prefix[end] - prefix[end - fast];
        let sum_slow = prefix[end] - prefix[end - slow];
        let now = above(sum_fast, sum_slow, fast_i, slow_i);
        let crossed_up = now == Greater && previous.is_some_and(|before| before != Greater);
        let crossed_down = now == Less && previous.is_some_and(|before| before != Less);
        previous = Some(now);
        if index < first_tradable || !(crossed_up || crossed_down) {
            continue;
        }
        let wanted: i8 = match (config.direction, crossed_up) {
            (SmaDirection::Long, true) | (SmaDirection::Both, true) => 1,
            (SmaDirection::Short, false) | (SmaDirection::Both, false) => -1,
            _ => 0,
        };
        if position != 0 && position != wanted {
            on_action(index, Action::Exit);
            position = 0;
        }
        if wanted != 0 && position == 0 {
            on_action(index, Action::Enter(wanted));
            position = wanted;
        }
    }
    if position != 0 && !series.is_empty() {
        on_action(series.len() - 1, Action::Exit);
    }
}

/// The all-cash size at `price`: `floor_lot(cash / (price × (1 + fee)))`, shrunk by a lot
/// while the notional plus fee would exceed the cash (the fee rounds toward zero).
pub(crate) fn all_cash_size(cash_raw: i128, price: Price, fee: Rate, lot: Quantity) -> Quantity {
    const SCALE: i128 = 1_000_000_000;
    if cash_raw <= 0 || !price.is_positive() || !lot.is_positive() {
        return Quantity::ZERO;
    }
    let denominator = i128::from(price.raw()) * (SCALE + i128::from(fee.raw()));
    let raw = cash_raw.saturating_mul(SCALE).saturating_mul(SCALE) / denominator.max(1);
    let lot_raw = lot.raw();
    let mut size = raw - raw % lot_raw;
    while size > 0 {
        let notional = price.notional_raw(Quantity::from_raw(size));
        if notional + fee.apply_to_raw(notional) <= cash_raw {
            break;
        }
        size -= lot_raw;
    }
    Quantity::from_raw(size.max(0))
}

#[cfg(test)]
mod tests;
