//! The breakout-acceptance state machine of one side (SPEC 3.1), up (closes above VAH, long)
//! or down (closes below VAL, short):
//!
//! ```text
//! idle → counting_1 → … → counting_k → accepted ─ immediate ─→ in_position → idle
//!   ↑         │ close back inside                      └ retest ─→ awaiting_retest
//!   └─────────┘ (or no touch at the k-th close: gap)                 │ pullback bar → retest_entry → in_position
//!                                                                    │ close inside → idle (failed breakout candidate)
//!                                                                    └ 15 bars → idle
//! ```
//!
//! * Acceptance counting is close-only (SPEC 3.1: wicks ignored). The level is LOCKED at the
//!   first close of the sequence (the edge of the profile that judged that bar, SPEC 2.2) and
//!   all counting is against it until the sequence completes or resets; one close back at or
//!   inside the locked level resets the count to 0.
//! * Gap rule: at least one trade within N of the locked level during the sequence; a
//!   sequence that reaches k closes without one is discarded (`reason=no_touch`).
//! * The confirmation test applies to the acceptance bar (the k-th close); the strategy
//!   resolves the `accepted` state (intent, near-miss, retest wait or superseded).
//! * Retest mode: up to `retest_max_bars` bars after acceptance, the first bar whose low comes
//!   within the retest distance of the locked VAH (low <= VAH + distance: reaching or
//!   piercing the level counts) while closing above it is the entry bar; a bar closing back
//!   at or inside the locked level ends the wait and becomes a failed-breakout candidate.
//! * In a breakout position the strategy exits at a bar close back inside value
//!   (close <= locked VAH for a long) with `ExitReason::CloseInsideValue`.

use auction_trader_types::{Bar, Price, UnixNanos};

use super::config::MAX_ACCEPTANCE_CLOSES;
use super::levels::{Levels, bar_extreme, beyond, further, offset};
use super::signal_log::{self, BREAKOUT_DOWN, BREAKOUT_UP, Detail, MachineState};
use crate::api::{Direction, SignalRecord};

/// State names (the log's `from_state`/`to_state`).
pub const IDLE: &str = "idle";
pub const ACCEPTED: &str = "accepted";
pub const AWAITING_RETEST: &str = "awaiting_retest";
pub const RETEST_ENTRY: &str = "retest_entry";
pub const IN_POSITION: &str = "in_position";
const COUNTING: [&str; MAX_ACCEPTANCE_CLOSES as usize] = [
    "counting_1",
    "counting_2",
    "counting_3",
    "counting_4",
    "counting_5",
    "counting_6",
    "counting_7",
    "counting_8",
    "counting_9",
    "counting_10",
];

/// Where the machine is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakoutState {
    Idle,
    /// `count` consecutive closes beyond `locked`.
    Counting {
        locked: Price,
        count: u32,
        /// A trade came within N of the locked level during the sequence.
        touched: bool,
        /// Lowest low (up) / highest high (down) of the sequence: the immediate-entry stop.
        adverse: Price,
        /// Highest high (up) / lowest low (down) since the first close outside.
        favourable: Price,
    },
    /// k closes reached with a touch; the strategy resolves it on the same bar.
    Accepted {
        locked: Price,
        adverse: Price,
        favourable: Price,
    },
    AwaitingRetest {
        locked: Price,
        bars: u32,
        favourable: Price,
    },
    /// The retest bar fired; the strategy resolves it on the same bar.
    RetestEntry {
        locked: Price,
    },
    /// An entry was sent; the close-inside-value exit watches `locked`.
    InPosition {
        locked: Price,
    },
}

impl BreakoutState {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Idle => IDLE,
            Self::Counting { count, .. } => counting_name(*count),
            Self::Accepted { .. } => ACCEPTED,
            Self::AwaitingRetest { .. } => AWAITING_RETEST,
            Self::RetestEntry { .. } => RETEST_ENTRY,
            Self::InPosition { .. } => IN_POSITION,
        }
    }
}

impl MachineState for BreakoutState {
    const IDLE: Self = Self::Idle;

    fn state_name(&self) -> &'static str {
        self.name()
    }
}

fn counting_name(count: u32) -> &'static str {
    let index = (count.clamp(1, MAX_ACCEPTANCE_CLOSES) - 1) as usize;
    COUNTING[index]
}

/// What one bar did to the machine that the strategy must act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakoutStep {
    Nothing,
    /// The k-th close with a touch: test the confirmation on this bar.
    Accepted {
        locked: Price,
        adverse: Price,
        favourable: Price,
    },
    /// Retest mode: this bar is the pullback entry; stop from `pullback` (its low / high).
    RetestEntry {
        locked: Price,
        pullback: Price,
    },
    /// Retest mode: this bar closed back inside; a failed-breakout candidate with the
    /// breakout's extreme since the first close outside.
    RetestFailed {
        locked: Price,
        favourable: Price,
    },
}

/// The inputs of one bar.
#[derive(Debug, Clone, Copy)]
pub struct BreakoutBar<'a> {
    pub ts: UnixNanos,
    pub bar: &'a Bar,
    /// The profile judging this bar (SPEC 2.2).
    pub levels: Levels,
    /// A trade within N of this side's candidate edge (`levels.edge(side)`) during the bar.
    pub touched_candidate: bool,
    /// A trade within N of the locked level during the bar (meaningful while counting).
    pub touched_locked: bool,
    /// N, for the log.
    pub touch_distance: Price,
    /// Retest distance (1× typical spread by default).
    pub retest_distance: Price,
}

/// Settings the machine needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakoutRules {
    pub acceptance_closes: u32,
    pub retest_max_bars: u32,
}

/// The machine of one side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakoutMachine {
    side: Direction,
    state: BreakoutState,
}

impl BreakoutMachine {
    pub fn new(side: Direction) -> Self {
        Self {
            side,
            state: BreakoutState::Idle,
        }
    }

    pub fn side(&self) -> Direction {
        self.side
    }

    pub fn state(&self) -> BreakoutState {
        self.state
    }

    pub fn name(&self) -> &'static str {
        match self.side {
            Direction::Long => BREAKOUT_UP,
            Direction::Short => BREAKOUT_DOWN,
        }
    }

    /// The locked level of a sequence being counted (watched by the touch tracker).
    pub fn counting_level(&self) -> Option<Price> {
        match self.state {
            BreakoutState::Counting { locked, .. } => Some(locked),
            _ => None,
        }
    }

    /// The locked level while a breakout entry or position is held.
    pub fn position_level(&self) -> Option<Price> {
        match self.state {
            BreakoutState::InPosition { locked } => Some(locked),
            _ => None,
        }
    }

    /// Machines that are watching price (not idle, not holding a position).
    pub fn is_active(&self) -> bool {
        !matches!(
            self.state,
            BreakoutState::Idle | BreakoutState::InPosition { .. }
        )
    }

    fn go(
        &mut self,
        to: BreakoutState,
        ts: UnixNanos,
        detail: Detail,
        log: &mut Vec<SignalRecord>,
    ) {
        let machine = self.name();
        signal_log::go(&mut self.state, to, ts, machine, self.side, detail, log);
    }

    /// Back to idle, logging `reason`.
    pub fn reset(&mut self, ts: UnixNanos, reason: &str, log: &mut Vec<SignalRecord>) {
        let machine = self.name();
        signal_log::reset(&mut self.state, ts, machine, self.side, reason, log);
    }

    /// Resolves `accepted` / `retest_entry` after an entry intent was emitted.
    pub fn enter_position(&mut self, ts: UnixNanos, log: &mut Vec<SignalRecord>) {
        let locked = match self.state {
            BreakoutState::Accepted { locked, .. } | BreakoutState::RetestEntry { locked } => {
                locked
            }
            _ => return,
        };
        self.go(
            BreakoutState::InPosition { locked },
            ts,
            Detail::new().put("locked", locked),
            log,
        );
    }

    /// Resolves `accepted` in retest mode: wait for the pullback.
    pub fn await_retest(&mut self, ts: UnixNanos, log: &mut Vec<SignalRecord>) {
        if let BreakoutState::Accepted {
            locked, favourable, ..
        } = self.state
        {
            self.go(
                BreakoutState::AwaitingRetest {
                    locked,
                    bars: 0,
                    favourable,
                },
                ts,
                Detail::new().put("locked", locked),
                log,
            );
        }
    }

    /// Advances the machine by one bar close.
    pub fn step(
        &mut self,
        input: &BreakoutBar<'_>,
        rules: BreakoutRules,
        log: &mut Vec<SignalRecord>,
    ) -> BreakoutStep {
        let side = self.side;
        let against = side.opposite();
        let close = input.bar.close;
        match self.state {
            BreakoutState::Idle => self.start(input, rules, log),
            BreakoutState::Counting {
                locked,
                count,
                touched,
                adverse,
                favourable,
            } => {
                if !beyond(side, close, locked) {
                    // SPEC 3.1: one close back inside resets the count to 0.
                    self.go(
                        BreakoutState::Idle,
                        input.ts,
                        Detail::new()
                            .put("reason", "close_inside")
                            .put("close", close)
                            .put("locked", locked)
                            .put("count", count),
                        log,
                    );
                    // The same close may start a new sequence against the current edge.
                    return self.start(input, rules, log);
                }
                let next = BreakoutState::Counting {
                    locked,
                    count: count + 1,
                    touched: touched || input.touched_locked,
                    adverse: further(against, adverse, bar_extreme(against, input.bar)),
                    favourable: further(side, favourable, bar_extreme(side, input.bar)),
                };
                self.count_close(next, locked, input.touched_locked, input, rules, log)
            }
            BreakoutState::AwaitingRetest {
                locked,
                bars,
                favourable,
            } => {
                let bars = bars + 1;
                let favourable = further(side, favourable, bar_extreme(side, input.bar));
                let pullback = bar_extreme(against, input.bar);
                if !beyond(side, close, locked) {
                    // SPEC 3.1: a retest that closes back inside becomes a failed breakout.
                    self.go(
                        BreakoutState::Idle,
                        input.ts,
                        Detail::new()
                            .put("reason", "retest_closed_inside")
                            .put("close", close)
                            .put("locked", locked)
                            .put("bars", bars),
                        log,
                    );
                    return BreakoutStep::RetestFailed { locked, favourable };
                }
                let reach = offset(side, locked, input.retest_distance);
                if !beyond(side, pullback, reach) {
                    self.go(
                        BreakoutState::RetestEntry { locked },
                        input.ts,
                        Detail::new()
                            .put("close", close)
                            .put("pullback", pullback)
                            .put("locked", locked)
                            .put("retest_distance", input.retest_distance)
                            .put("bars", bars),
                        log,
                    );
                    return BreakoutStep::RetestEntry { locked, pullback };
                }
                if bars >= rules.retest_max_bars {
                    self.go(
                        BreakoutState::Idle,
                        input.ts,
                        Detail::new()
                            .put("reason", "retest_timeout")
                            .put("locked", locked)
                            .put("bars", bars),
                        log,
                    );
                } else {
                    self.state = BreakoutState::AwaitingRetest {
                        locked,
                        bars,
                        favourable,
                    };
                }
                BreakoutStep::Nothing
            }
            // Resolved by the strategy on the bar they arose; in a position the strategy
            // watches the exit rule.
            BreakoutState::Accepted { .. }
            | BreakoutState::RetestEntry { .. }
            | BreakoutState::InPosition { .. } => BreakoutStep::Nothing,
        }
    }

    /// Idle: a close beyond the edge of the profile judging this bar starts a sequence and
    /// locks that edge (SPEC 3.1).
    fn start(
        &mut self,
        input: &BreakoutBar<'_>,
        rules: BreakoutRules,
        log: &mut Vec<SignalRecord>,
    ) -> BreakoutStep {
        let side = self.side;
        let edge = input.levels.edge(side);
        let close = input.bar.close;
        if !beyond(side, close, edge) {
            return BreakoutStep::Nothing;
        }
        let next = BreakoutState::Counting {
            locked: edge,
            count: 1,
            touched: input.touched_candidate,
            adverse: bar_extreme(side.opposite(), input.bar),
            favourable: bar_extreme(side, input.bar),
        };
        self.count_close(next, edge, input.touched_candidate, input, rules, log)
    }

    /// A counted close beyond `locked` (`touched`: a trade came within N of it on this bar):
    /// logs the count, then tests acceptance.
    fn count_close(
        &mut self,
        next: BreakoutState,
        locked: Price,
        touched: bool,
        input: &BreakoutBar<'_>,
        rules: BreakoutRules,
        log: &mut Vec<SignalRecord>,
    ) -> BreakoutStep {
        self.go(
            next,
            input.ts,
            Detail::new()
                .put("close", input.bar.close)
                .put("locked", locked)
                .put("touched", touched)
                .put("touch_distance", input.touch_distance),
            log,
        );
        self.check_acceptance(input, rules, log)
    }

    /// At the k-th close: accepted when the gap rule is met, else the sequence is discarded.
    fn check_acceptance(
        &mut self,
        input: &BreakoutBar<'_>,
        rules: BreakoutRules,
        log: &mut Vec<SignalRecord>,
    ) -> BreakoutStep {
        let BreakoutState::Counting {
            locked,
            count,
            touched,
            adverse,
            favourable,
        } = self.state
        else {
            return BreakoutStep::Nothing;
        };
        if count < rules.acceptance_closes {
            return BreakoutStep::Nothing;
        }
        if !touched {
            // SPEC 3.1: price that gaps through the boundary does not count.
            self.go(
                BreakoutState::Idle,
                input.ts,
                Detail::new()
                    .put("reason", "no_touch")
                    .put("locked", locked)
                    .put("count", count)
                    .put("touch_distance", input.touch_distance),
                log,
            );
            return BreakoutStep::Nothing;
        }
        self.go(
            BreakoutState::Accepted {
                locked,
                adverse,
                favourable,
            },
            input.ts,
            Detail::new()
                .put("locked", locked)
                .put("count", count)
                .put("adverse", adverse)
                .put("favourable", favourable),
            log,
        );
        BreakoutStep::Accepted {
            locked,
            adverse,
            favourable,
        }
    }
}
