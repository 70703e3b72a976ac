//! Gradient-boosted trees on the research feature matrix (SPEC 3.3, the model-scored
//! variant): a deterministic histogram GBDT for binary log-loss (leaf-wise growth, L1/L2,
//! seeded bagging and feature sampling, early stopping) whose models are read and written as
//! LightGBM text model files; exact TreeSHAP; the feature selection discipline (variance and
//! correlation filters, Boruta-style shadow features); honest labels from the matrix's
//! forward returns; purged cross-validation scores; the model manifest and feature-drift
//! (PSI) statistics for live monitoring.
//!
//! Depends on `types` only (plus serde and sha2): it must not depend on the feature engine,
//! storage, the strategy, the engine or the backtest. Callers hand it the matrix's columns and
//! the validation windows (from the backtest crate's purged k-fold and walk-forward code); the
//! strategy crate uses the trained [`Ensemble`] to score its online features.

pub mod dataset;
pub mod drift;
pub mod ensemble;
mod error;
pub mod lightgbm_text;
pub mod manifest;
pub mod metrics;
pub mod pipeline;
pub mod selection;
pub mod shap;
pub mod train;
pub mod tree;
pub mod validation;

pub use ensemble::{Ensemble, FeatureRange};
pub use error::ModelError;
pub use train::{BoostParams, TrainSet, Trained, train_binary};
pub use tree::Tree;
