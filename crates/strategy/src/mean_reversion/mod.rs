//! SPEC 3.3 statistical mean reversion: the z-score of the one-minute close against its EMA or
//! VWAP over 3 × the OU half-life, entries at |z| ≥ 1.5 and exits back at the mean, traded
//! only while the half-life is within 15–240 minutes AND the ADF test rejects a unit root
//! (SPEC 2.6) AND the regime is calm (ADX ≤ 25, volatility at or below its 75th percentile).
//! Risk follows SPEC 4's mean-reversion column through the risk config (single target, no
//! max-hold trail: the 3 × half-life cap is the strategy's, 3-minute cooldown, no flip).
//!
//! Two more entry rules share everything else (`variant`, see `variants`): the
//! imbalance-overshoot fade filtered by VPIN, and the funding-extreme fade.

pub mod config;
pub mod signal;
pub mod strategy;
#[cfg(test)]
mod tests;
pub mod variants;

pub use config::{
    ExecutionStyle, FairValue, FundingExtremeConfig, ImbalanceOvershootConfig, MeanReversionConfig,
    Variant,
};
pub use strategy::{MeanReversionCounters, MeanReversionStrategy};
