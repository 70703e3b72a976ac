//! The auction (value-area) setups of SPEC 3.1, evaluated at one-minute bar closes: break-in
//! (mean reversion into value), breakout acceptance (continuation, immediate or retest entry)
//! and failed breakout (reversal toward the POC), with the priority, warm-up gating, entry
//! orders (SPEC 5) and the signal log of every transition and near-miss.
//!
//! One file per responsibility: [`config`] (parameters), [`levels`] (levels and mirrored
//! geometry), [`touch`] (the gap rule's trade touches), [`confirmation`] (SPEC 2.4 as read by
//! the setups), [`break_in`], [`breakout`] and [`failed_breakout`] (the setups and their
//! machines), [`candidate`] (a fired setup and its price checks), [`signal_log`] (record
//! helpers) and [`strategy`] (the [`AuctionStrategy`] that ties them together).

pub mod break_in;
pub mod breakout;
pub mod candidate;
pub mod config;
pub mod confirmation;
pub mod failed_breakout;
pub mod levels;
pub mod signal_log;
pub mod strategy;
pub mod touch;

#[cfg(test)]
mod scenario_tests;

pub use config::{AuctionConfig, BreakoutEntry, EntryOrderMode, PriceDistance};
pub use strategy::{AuctionCounters, AuctionStrategy};
