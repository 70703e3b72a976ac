//! Streaming feature engine of auction-trader (SPEC 2.1–2.5): 1-minute bars on UTC
//! boundaries, sigma_240 and the typical spread, the rolling volume profile and value area,
//! trade-side inference (same-timestamp aggregation, quote rule, tick rule, BVC), order flow,
//! quote imbalance and the confirmation tests, emitted as one [`FeatureSnapshot`] per minute;
//! and the order-book toxicity filters of SPEC 2.5 ([`toxicity`]).
//!
//! Entry points:
//! - [`FeatureEngine::on_event`]: the incremental engine, one per instrument, identical in
//!   replay and live; no wall clock, no look-ahead.
//! - [`interval_bars`]: the workspace's one bar builder (the engine's minutes, the research
//!   loaders' interval bars and the research features' minute clock).
//! - [`compute_profile`]: a volume profile over any trade slice with a fixed bin width.
//! - [`side_accuracy`]: accuracy of every side-inference rule against true labels.
//! - [`toxicity::ToxicityEngine`]: decay-weighted, ghost-filtered depth, CTR, OBI
//!   churn and the drain regime on one-second book samples.
//!
//! Bar-only data (no ticks) feeds the same engine: a one-minute `MarketEvent::Bar` closes its
//! minute as if its trades had arrived (see `bar_input` for the conventions).
//!
//! Prices and sizes stay fixed-point (`Price`, `Quantity`, integer histogram volumes);
//! `f64` appears only in statistics (returns, sigma, ratios, qimb).
//!
//! This crate depends on `auction-trader-types` and `auction-trader-book` only at run time;
//! it must not depend on storage, strategies, execution or the research library (SPEC 2.6
//! estimators, feature matrix and loaders live in `auction-trader-research`, which consumes
//! its snapshots).

mod bar_input;
mod baselines;
pub mod config;
mod engine;
mod error;
pub mod interval_bars;
pub mod order_flow;
pub mod profile;
pub mod quotes;
pub mod side;
pub mod snapshot;
pub mod toxicity;

pub use bar_input::MAX_BAR_LEVELS;
pub use config::{FeatureConfig, SideInference, ValueAreaExpansion};
pub use engine::{EngineCounters, FeatureEngine, FeatureSink};
pub use error::FeaturesError;
pub use order_flow::OrderFlowSignals;
pub use profile::compute::{Profile, ProfileOptions, compute_profile, compute_profile_with};
pub use profile::histogram::MAX_PROFILE_BINS;
pub use profile::rolling::{HistogramView, ProfileLevels};
pub use side::accuracy::{
    RuleAccuracy, SideAccuracyReport, side_accuracy, side_accuracy_configured, side_accuracy_with,
};
pub use side::classifier::ClassifiedTrade;
pub use side::quote_timing::UntimedQuotePolicy;
pub use snapshot::{COLUMN_COUNT, COLUMNS, Column, ColumnKind, ColumnValue, FeatureSnapshot};
