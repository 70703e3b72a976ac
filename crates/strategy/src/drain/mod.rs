//! The liquidity-drain reversal of SPEC 3.2: the toxicity filters of SPEC 2.5 find a drain of
//! decay-weighted, ghost-discounted depth with real taker pressure behind it; after the entry
//! delay and its stability check, the confidence score places a post-only entry one tick
//! inside the spread or at the touch (or skips), with TP / stop in bps and a time exit at the
//! signal half-life measured per session from past signals ([`half_life`]), sized by the
//! optional volatility and session factors ([`sizing`]).

pub mod confidence;
mod config;
pub mod half_life;
mod measures;
pub mod sizing;
mod strategy;

pub use confidence::{Confidence, ConfidenceInputs, Placement, confidence, placement};
pub use config::{DrainConfig, TimeExitSource};
pub use strategy::{
    DrainCounters, DrainStrategy, MACHINE_HALF_LIFE, MACHINE_LONG, MACHINE_SHORT, exits,
};
