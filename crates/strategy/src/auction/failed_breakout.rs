//! The failed-breakout watch of one excursion side (SPEC 3.1): "after at least one close
//! outside the value area, a close back inside within 5 bars with initiative in the opposite
//! direction → trade back toward POC (TP1) and the opposite VA edge (TP2); stop = the
//! breakout's extreme since the first close outside + buffer."
//!
//! ```text
//! idle ─ close beyond the edge ─→ watching ─ close back inside within max bars ─→ idle (candidate)
//!                                    │ still outside after max bars
//!                                    └──→ expired ─ close back inside ─→ idle (no candidate)
//! ```
//!
//! * The window counts bars after the first close outside: that bar is bar 0, a close back
//!   inside on bars 1..=5 qualifies, on bar 6 it does not.
//! * "Outside" and "back inside" are measured against the edge locked at the first close
//!   outside (as the breakout machine does); the candidate also needs the close inside the
//!   value area of the profile judging the bar (VAL <= close <= VAH): a close through the
//!   whole value area ends the watch without a candidate (its opposite edge target would lie
//!   behind the entry).
//! * An expired watch waits for a close no longer beyond the locked edge or the current one
//!   (the rolling value area may migrate to the price) before it can watch a new excursion,
//!   so a long stay outside never re-arms itself every `max` bars.
//! * The confirmation, priority and the retest-failure path are applied by the strategy.

use auction_trader_types::{Bar, Price, UnixNanos};

use super::levels::{Levels, bar_extreme, beyond, further};
use super::signal_log::{self, Detail, FAILED_BREAKOUT_DOWN, FAILED_BREAKOUT_UP, MachineState};
use crate::api::{Direction, SignalRecord};

pub const IDLE: &str = "idle";
pub const WATCHING: &str = "watching";
pub const EXPIRED: &str = "expired";

/// Where the watch is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchState {
    Idle,
    Watching {
        /// The edge at the first close outside.
        level: Price,
        /// Bars since the first close outside (that bar is 0).
        bars: u32,
        /// The breakout's extreme since the first close outside (high up, low down).
        extreme: Price,
    },
    Expired {
        level: Price,
    },
}

impl WatchState {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Idle => IDLE,
            Self::Watching { .. } => WATCHING,
            Self::Expired { .. } => EXPIRED,
        }
    }
}

impl MachineState for WatchState {
    const IDLE: Self = Self::Idle;

    fn state_name(&self) -> &'static str {
        self.name()
    }
}

/// A close back inside within the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchHit {
    pub level: Price,
    pub bars: u32,
    pub extreme: Price,
}

/// The watch of one excursion side (up: closes above VAH, the trade is short).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedBreakoutWatch {
    excursion: Direction,
    state: WatchState,
}

impl FailedBreakoutWatch {
    pub fn new(excursion: Direction) -> Self {
        Self {
            excursion,
            state: WatchState::Idle,
        }
    }

    pub fn state(&self) -> WatchState {
        self.state
    }

    pub fn name(&self) -> &'static str {
        match self.excursion {
            Direction::Long => FAILED_BREAKOUT_UP,
            Direction::Short => FAILED_BREAKOUT_DOWN,
        }
    }

    pub fn is_active(&self) -> bool {
        self.state != WatchState::Idle
    }

    fn go(&mut self, to: WatchState, ts: UnixNanos, detail: Detail, log: &mut Vec<SignalRecord>) {
        let machine = self.name();
        signal_log::go(
            &mut self.state,
            to,
            ts,
            machine,
            self.excursion,
            detail,
            log,
        );
    }

    /// Back to idle, logging `reason`.
    pub fn reset(&mut self, ts: UnixNanos, reason: &str, log: &mut Vec<SignalRecord>) {
        let machine = self.name();
        signal_log::reset(&mut self.state, ts, machine, self.excursion, reason, log);
    }

    /// Advances the watch by one bar close judged against `levels` (SPEC 2.2).
    pub fn step(
        &mut self,
        ts: UnixNanos,
        bar: &Bar,
        levels: &Levels,
        max_bars: u32,
        log: &mut Vec<SignalRecord>,
    ) -> Option<WatchHit> {
        let side = self.excursion;
        let close = bar.close;
        match self.state {
            WatchState::Idle => {
                let edge = levels.edge(side);
                if beyond(side, close, edge) {
                    self.go(
                        WatchState::Watching {
                            level: edge,
                            bars: 0,
                            extreme: bar_extreme(side, bar),
                        },
                        ts,
                        Detail::new().put("close", close).put("level", edge),
                        log,
                    );
                }
                None
            }
            WatchState::Watching {
                level,
                bars,
                extreme,
            } => {
                let bars = bars + 1;
                let extreme = further(side, extreme, bar_extreme(side, bar));
                if beyond(side, close, level) {
                    if bars >= max_bars {
                        self.go(
                            WatchState::Expired { level },
                            ts,
                            Detail::new().put("level", level).put("bars", bars),
                            log,
                        );
                    } else {
                        self.state = WatchState::Watching {
                            level,
                            bars,
                            extreme,
                        };
                    }
                    return None;
                }
                let inside = levels.is_inside(close);
                let reason = if inside {
                    "closed_inside"
                } else {
                    "not_inside_value"
                };
                self.go(
                    WatchState::Idle,
                    ts,
                    Detail::new()
                        .put("reason", reason)
                        .put("close", close)
                        .put("level", level)
                        .put("bars", bars)
                        .put("extreme", extreme),
                    log,
                );
                inside.then_some(WatchHit {
                    level,
                    bars,
                    extreme,
                })
            }
            WatchState::Expired { level } => {
                // Over once the close is no longer beyond the locked edge nor the current one
                // (the rolling value area may have migrated to the price).
                if !beyond(side, close, level) || !beyond(side, close, levels.edge(side)) {
                    self.go(
                        WatchState::Idle,
                        ts,
                        Detail::new()
                            .put("reason", "back_inside_late")
                            .put("close", close)
                            .put("level", level),
                        log,
                    );
                }
                None
            }
        }
    }
}
