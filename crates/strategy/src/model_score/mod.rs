//! SPEC 3.3 model-scored variant: at each one-minute close the research features the model
//! was trained on are computed online — the same estimators, fed in the same order as the
//! feature matrix (the close's snapshot before the event that closed the minute, then every
//! event) — and the gradient-boosted model's probability of an up move beyond costs decides:
//! long at p ≥ `long_above`, short at p ≤ `short_below`, passive or aggressive entries, a
//! stop `stop_bps` and a target `target_bps` away, out after the label horizon. The model scores only decisions after its training labels ended: a model
//! fitted on data after a decision never scores that decision.

pub mod config;
pub mod online;
pub mod strategy;

pub use config::{ExecutionStyle, ModelScoreConfig};
pub use online::OnlineFeatures;
pub use strategy::{ModelScoreCounters, ModelScoreStrategy, ScoringWindow};
