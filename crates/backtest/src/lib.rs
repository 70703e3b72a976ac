//! The backtest runner of auction-trader (SPEC 6, 9): the YAML run configuration with every
//! default and unknown keys rejected, instrument overrides, the choice of strategy, and the
//! deterministic replay of a time-ordered event stream through the engine with the
//! simulated exchange, and the fill-model comparison (the same run under each queue model,
//! [`fills_compare`]) and the look-ahead audit (the same run truncated at random cuts,
//! [`lookahead`]). Results come back as records and metrics; writing them (execution.db,
//! signals.db, CSV, HTML) is the caller's job.
//!
//! Depends on the engine and the crates below it; it must not depend on storage or the CLI
//! (events arrive as an iterator) and never reads the wall clock.

pub mod config;
mod error;
pub mod fills_compare;
pub mod lookahead;
pub mod quote_ladder;
mod runner;
pub mod time_text;

pub use config::{BacktestConfig, secret_from_env};
pub use error::BacktestError;
pub use quote_ladder::QuoteLadder;
pub use runner::{
    BacktestResult, build_engine, build_strategy, initial_equity, resolve_instrument, run_backtest,
};
