//! The one deterministic event loop of auction-trader (SPEC 0, 5, 7): market events feed the
//! feature engine, the strategy, risk and order management, and the venue; execution reports
//! flow back. Backtest, paper, shadow and live differ only in the [`Venue`] and in where
//! events come from; the strategy never knows which.
//!
//! Owns: [`Engine`] (the loop), [`FeatureFeed`] (the feature engine, or a
//! [`FeatureRecording`] of it that a grid shares between runs of one feature configuration),
//! [`ManagedTrade`] (entry → stop/targets → exits, the trade list row), the [`Venue`] trait
//! (implemented here for the simulated exchange) and the [`EngineRecorder`] outputs (the run
//! record types of the types crate). Depends on types, features, strategy, risk and
//! execution; it must not depend on analytics (the report), storage, I/O, the CLI or a wall
//! clock.

mod engine;
pub mod feature_feed;
pub mod managed_trade;
pub mod recorder;
pub mod venue;

pub use engine::{Engine, EngineCounters, EngineSettings};
pub use feature_feed::{FeatureFeed, FeatureRecording};
pub use managed_trade::{ManagedTrade, TradePhase};
pub use recorder::{CountingRecorder, EngineRecorder, RunCollector};
pub use venue::Venue;
