//! A setup that fired on a bar (with or without its confirmation), before priority, the
//! position rule and the order are applied by the strategy.

use auction_trader_types::Price;

use super::levels::beyond;
use super::signal_log::Detail;
use crate::api::{Direction, SetupKind};

/// Which machine produced a candidate (so the strategy can resolve its state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    BreakIn,
    /// The breakout machine of this side (up = long).
    Breakout(Direction),
    /// The failed-breakout watch of this excursion side (up excursion → short trade).
    FailedBreakout(Direction),
}

/// A setup's trade proposal at one bar close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub setup: SetupKind,
    /// Trade direction.
    pub direction: Direction,
    pub origin: Origin,
    /// Signal-log machine and the state it was in when the setup fired.
    pub machine: &'static str,
    pub from_state: &'static str,
    /// SPEC 2.4 confirmation in the trade direction (a candidate without it is a near-miss).
    pub confirmed: bool,
    pub stop: Price,
    pub take_profit_1: Price,
    pub take_profit_2: Price,
    /// Levels and evidence, `key=value`.
    pub detail: Detail,
}

impl Candidate {
    /// SPEC 3.1: Break-in > Failed breakout > Breakout (lower ranks first).
    pub fn rank(&self) -> u8 {
        match self.setup {
            SetupKind::BreakIn => 0,
            SetupKind::FailedBreakout => 1,
            SetupKind::Breakout
            | SetupKind::BreakoutRetest
            | SetupKind::Drain
            | SetupKind::MeanReversion
            | SetupKind::Other => 2,
        }
    }
}

/// Why a fired setup could not become an intent with these prices.
pub const INVALID_STOP: &str = "stop_not_beyond_entry";
pub const INVALID_TARGET: &str = "target_not_beyond_entry";

/// Checks the trade's price geometry at the entry price: the stop must be strictly on the
/// losing side and TP2 strictly on the winning side (else sizing and the exits are
/// meaningless). TP1 is kept only when strictly beyond the entry and not beyond TP2 (e.g. a
/// break-in long that closed above the POC has its POC target behind it: the trade then has
/// the single target TP2). Returns the TP1 to use.
pub fn check_geometry(
    direction: Direction,
    entry: Price,
    stop: Price,
    take_profit_1: Price,
    take_profit_2: Price,
) -> Result<Option<Price>, &'static str> {
    if !beyond(direction, entry, stop) {
        return Err(INVALID_STOP);
    }
    if !beyond(direction, take_profit_2, entry) {
        return Err(INVALID_TARGET);
    }
    let keep =
        beyond(direction, take_profit_1, entry) && !beyond(direction, take_profit_1, take_profit_2);
    Ok(keep.then_some(take_profit_1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(units: i64) -> Price {
        Price::from_units(units).unwrap()
    }

    #[test]
    fn geometry_keeps_or_drops_tp1() {
        // Long at 100, stop 97, TP1 101, TP2 104: valid, TP1 kept.
        assert_eq!(
            check_geometry(
                Direction::Long,
                price(100),
                price(97),
                price(101),
                price(104)
            ),
            Ok(Some(price(101)))
        );
        // TP1 99 is behind the entry: dropped.
        assert_eq!(
            check_geometry(
                Direction::Long,
                price(100),
                price(97),
                price(99),
                price(104)
            ),
            Ok(None)
        );
        // Short at 100 with the stop below: invalid.
        assert_eq!(
            check_geometry(
                Direction::Short,
                price(100),
                price(97),
                price(99),
                price(95)
            ),
            Err(INVALID_STOP)
        );
        // Long whose TP2 equals the entry: invalid.
        assert_eq!(
            check_geometry(
                Direction::Long,
                price(104),
                price(97),
                price(101),
                price(104)
            ),
            Err(INVALID_TARGET)
        );
    }
}
