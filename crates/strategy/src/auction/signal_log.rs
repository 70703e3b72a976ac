//! Helpers for the signal log (SPEC 3.1: every state transition and every near-miss goes to
//! signals.db): machine and outcome names, the stable `key=value` detail strings
//! (fixed-point values through their `Display`, keys in the order they are written), and the
//! logged state change every setup machine makes ([`go`], [`reset`]).

use std::fmt::{Display, Write};

use auction_trader_types::UnixNanos;

use crate::api::{Direction, SetupKind, SignalRecord, SignalRecordKind};

/// Machine names (the `machine` column).
pub const WARM_UP: &str = "warm_up";
pub const BREAK_IN: &str = "break_in";
pub const BREAKOUT_UP: &str = "breakout_up";
pub const BREAKOUT_DOWN: &str = "breakout_down";
pub const FAILED_BREAKOUT_UP: &str = "failed_breakout_up";
pub const FAILED_BREAKOUT_DOWN: &str = "failed_breakout_down";

/// Outcome names (the `to_state` of signal, near-miss and suppressed rows).
pub const OUTCOME_SIGNAL: &str = "signal";
pub const OUTCOME_NEAR_MISS: &str = "near_miss";
pub const OUTCOME_SUPERSEDED: &str = "superseded";
pub const OUTCOME_SUPPRESSED: &str = "suppressed";

/// Builds a `key=value key=value` detail string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detail(String);

impl Detail {
    pub fn new() -> Self {
        Self(String::with_capacity(96))
    }

    /// Appends `key=value`.
    pub fn put(mut self, key: &str, value: impl Display) -> Self {
        self.push(key, value);
        self
    }

    /// Appends `key=value` in place.
    pub fn push(&mut self, key: &str, value: impl Display) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        // Writing to a String cannot fail.
        let _ = write!(self.0, "{key}={value}");
    }

    /// Appends `key=value` when the value is present, `key=none` otherwise.
    pub fn put_option(self, key: &str, value: Option<impl Display>) -> Self {
        match value {
            Some(value) => self.put(key, value),
            None => self.put(key, "none"),
        }
    }

    /// Appends another detail's pairs.
    pub fn push_detail(&mut self, other: &Detail) {
        if other.0.is_empty() {
            return;
        }
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        self.0.push_str(&other.0);
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn finish(self) -> String {
        self.0
    }
}

/// One signal-log row.
#[allow(clippy::too_many_arguments)]
pub fn record(
    ts: UnixNanos,
    kind: SignalRecordKind,
    setup: Option<SetupKind>,
    direction: Option<Direction>,
    machine: &'static str,
    from_state: &'static str,
    to_state: &'static str,
    detail: Detail,
) -> SignalRecord {
    SignalRecord {
        ts,
        kind,
        setup,
        direction,
        machine,
        from_state,
        to_state,
        detail: detail.finish(),
    }
}

/// A state-machine transition row.
pub fn transition(
    ts: UnixNanos,
    machine: &'static str,
    from_state: &'static str,
    to_state: &'static str,
    direction: Option<Direction>,
    detail: Detail,
) -> SignalRecord {
    record(
        ts,
        SignalRecordKind::Transition,
        None,
        direction,
        machine,
        from_state,
        to_state,
        detail,
    )
}

/// The state of a setup machine: its name in the signal log and its idle state.
pub trait MachineState: Copy + PartialEq {
    const IDLE: Self;
    /// The `from_state` / `to_state` name.
    fn state_name(&self) -> &'static str;
}

/// Moves `state` to `to` and logs the transition of `machine` (SPEC 3.1: every transition).
pub fn go<S: MachineState>(
    state: &mut S,
    to: S,
    ts: UnixNanos,
    machine: &'static str,
    direction: Direction,
    detail: Detail,
    log: &mut Vec<SignalRecord>,
) {
    let from = state.state_name();
    *state = to;
    log.push(transition(
        ts,
        machine,
        from,
        to.state_name(),
        Some(direction),
        detail,
    ));
}

/// Back to idle, logging `reason`; nothing when already idle.
pub fn reset<S: MachineState>(
    state: &mut S,
    ts: UnixNanos,
    machine: &'static str,
    direction: Direction,
    reason: &str,
    log: &mut Vec<SignalRecord>,
) {
    if *state != S::IDLE {
        let detail = Detail::new().put("reason", reason);
        go(state, S::IDLE, ts, machine, direction, detail, log);
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::Price;

    use super::*;

    #[test]
    fn details_are_key_value_in_write_order() {
        let detail = Detail::new()
            .put("close", Price::from_decimal_str("104.5").unwrap())
            .put("count", 2)
            .put_option("spread", None::<Price>);
        assert_eq!(detail.as_str(), "close=104.5 count=2 spread=none");
    }
}
