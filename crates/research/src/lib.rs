//! Research library of auction-trader (SPEC 2.6 and the SPEC 1.5 loaders): what research and
//! machine learning read, on top of the streaming feature engine's minute snapshots.
//!
//! Owns:
//! - the estimators (streaming, incremental, `f64`; `update(...)` then `value() -> Option<f64>`,
//!   `None` during warm-up or when undefined): rolling moments, z-score, EMA and deviation, RSI
//!   (Wilder), Bollinger position, realized volatility with bipower variation and a jump flag,
//!   OU half-life, VPIN, Hurst exponent (rescaled range, classical and Anis–Lloyd corrected),
//!   ADX (Wilder), the augmented Dickey–Fuller test that must stand beside any half-life
//!   (statsmodels `adfuller` defaults) and its random-walk benchmark;
//! - the [`extended`] event-driven features (depth, queues, spread, Kyle's lambda, funding,
//!   basis, liquidations, cross-asset, calendar, interactions), the [`registry`] of every
//!   column, the aligned [`matrix`] with forward returns and the [`diagnostics`] report;
//! - the [`loader`]s of SPEC 1.5 (trades, quotes, interval bars, book rows resampled at an
//!   interval, and a combined aligned dataset) from any event stream.
//!
//! No wall clock, no look-ahead: a value at a minute close uses only events received before
//! it. Bars come from the feature engine's one bar builder (`auction_trader_features::
//! interval_bars`), never a copy.
//!
//! Depends on `auction-trader-types`, `auction-trader-book` and `auction-trader-features` at
//! run time; it must not depend on storage, strategies, execution or the engine (they consume
//! its values).

pub mod adf;
pub mod adx;
pub mod benchmark;
pub mod bollinger;
pub mod diagnostics;
pub mod ema;
mod error;
pub mod extended;
pub mod feature;
pub mod half_life;
pub mod hurst;
pub mod loader;
pub mod matrix;
pub mod registry;
pub mod rsi;
pub mod volatility;
pub mod vpin;
pub mod window;
pub mod zscore;

pub use adf::{AdfResult, adf_autolag, adf_test, adfuller, default_max_lag, mackinnon_p_value};
pub use adx::Adx;
pub use bollinger::BollingerPosition;
pub use ema::Ema;
pub use error::ResearchError;
pub use feature::ResearchFeature;
pub use half_life::OuHalfLife;
pub use hurst::HurstExponent;
pub use rsi::Rsi;
pub use volatility::RealizedVolatility;
pub use vpin::Vpin;
pub use window::RollingMoments;
pub use zscore::RollingZScore;

#[cfg(test)]
mod real_data_tests;
