//! The backtest runner of auction-trader (SPEC 6, 9): the YAML run configuration with every
//! default and unknown keys rejected, instrument overrides, the choice of strategy, and the
//! deterministic replay of a time-ordered event stream through the engine with the
//! simulated exchange ([`run_backtest`], pure: events in, records and metrics out), the
//! fill-model comparison (the same run under each queue model, [`fills_compare`]) and the
//! look-ahead audit (the same run truncated at random cuts, [`lookahead`]).
//!
//! [`run_config()`] is the one run API above it: a validated config in, a finished run out
//! (import-if-missing into the data directory, the store's replay, the engine, and the run
//! directory with execution.db, signals.db, CSV and the HTML report). [`rerun`] re-makes a
//! run from its manifest and checks it byte for byte. The CLI and the grid runner only parse
//! arguments and print. Never reads the wall clock.

pub mod config;
mod error;
pub mod fills_compare;
pub mod grid;
pub mod lookahead;
pub mod manifest;
pub mod quote_ladder;
pub mod rerun;
pub mod run_config;
pub mod run_dir;
mod runner;
pub mod sma_cross;
pub mod time_text;
pub mod validation;

pub use config::{BacktestConfig, secret_from_env};
pub use error::BacktestError;
pub use manifest::{RunManifest, run_manifest};
pub use quote_ladder::QuoteLadder;
pub use run_config::{
    RunObserver, RunOutcome, Silent, decode_run_data, open_store, run_config, run_on_store,
};
pub use run_dir::{write_file, write_run, write_tables_and_report};
pub use runner::{
    BacktestResult, EngineRun, build_engine, build_strategy, feature_engine, initial_equity,
    resolve_instrument, run_backtest, run_backtest_with_features,
};
