//! Integration tests of the simulated exchange: the SPEC 5 / 11 golden cases with hand-worked
//! numbers, a real Binance capture replay (skipped when the data is absent) and property tests.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions parse literals

mod bars;
mod funding;
mod golden;
mod latency;
mod properties;
mod queue_models;
mod real_capture;
mod support;
mod takers;
