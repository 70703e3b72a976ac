//! The histogram GBDT: binning, one tree's growth, the boosting loop.

pub mod binning;
pub mod boost;
pub mod grow;

pub use boost::{BoostParams, TrainSet, Trained, train_binary};
