//! What a new signal means for an open position (SPEC 4: flip on an opposite signal, as two
//! trades: close with `ExitReason::Flip`, then open the new trade).

use auction_trader_types::Direction;
use serde::Serialize;

/// The engine's action on a trade intent given the current position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalDecision {
    /// Flat: evaluate the entry (cooldown, kill switch, sizing).
    Enter,
    /// Opposite position: close it (`ExitReason::Flip`), then evaluate the new entry with
    /// the cooldown bypassed (the kill switch still applies).
    Flip,
    /// Same direction as the position, or flips disabled: keep the position, drop the intent.
    Ignore,
}

/// SPEC 4: flat → enter; an opposite signal → flip when enabled; otherwise ignore (no
/// pyramiding).
pub fn decide_on_signal(
    position: Option<Direction>,
    intent: Direction,
    flip_on_opposite_signal: bool,
) -> SignalDecision {
    match position {
        None => SignalDecision::Enter,
        Some(current) if current == intent => SignalDecision::Ignore,
        Some(_) if flip_on_opposite_signal => SignalDecision::Flip,
        Some(_) => SignalDecision::Ignore,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_for_every_case() {
        use Direction::{Long, Short};
        assert_eq!(decide_on_signal(None, Long, true), SignalDecision::Enter);
        assert_eq!(decide_on_signal(None, Short, false), SignalDecision::Enter);
        assert_eq!(
            decide_on_signal(Some(Long), Long, true),
            SignalDecision::Ignore
        );
        assert_eq!(
            decide_on_signal(Some(Short), Short, true),
            SignalDecision::Ignore
        );
        assert_eq!(
            decide_on_signal(Some(Long), Short, true),
            SignalDecision::Flip
        );
        assert_eq!(
            decide_on_signal(Some(Short), Long, true),
            SignalDecision::Flip
        );
        assert_eq!(
            decide_on_signal(Some(Short), Long, false),
            SignalDecision::Ignore
        );
    }
}
