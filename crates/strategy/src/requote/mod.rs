//! A requoting strategy for operating checks (not a SPEC 3 family): when flat it posts a
//! post-only limit at the touch (or `offset_ticks` behind it), lets it rest `requote_ms`, then
//! posts again at the new touch; a fill gets a target and a stop a few ticks away and a time
//! exit. It trades within seconds on any liquid book, so a paper or live session (and the
//! mock exchange that replays captures at ten times their speed) shows orders, fills and
//! P&L at once; it is not an edge.

mod config;
mod strategy;

pub use config::{RequoteConfig, RequoteSides};
pub use strategy::{RequoteCounters, RequoteStrategy};
