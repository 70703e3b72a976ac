//! Research feature library, first slice (SPEC 2.6): streaming, incremental estimators in
//! `f64` for mean-reversion research and ML. Each estimator is a small struct fed one sample
//! at a time through `update(...)`, answering `value() -> Option<f64>` (`None` during warm-up
//! or when the statistic is undefined). No wall clock, no look-ahead.
//!
//! Owns: rolling moments (shared helper), z-score, EMA and deviation, RSI (Wilder), Bollinger
//! position, realized volatility with bipower variation and a jump flag, OU half-life, VPIN,
//! Hurst exponent (rescaled range, classical and Anis–Lloyd corrected), ADX (Wilder), the
//! augmented Dickey–Fuller test that must stand beside any half-life (statsmodels `adfuller`
//! defaults) and its random-walk benchmark.

pub mod adf;
pub mod adx;
pub mod benchmark;
pub mod bollinger;
pub mod diagnostics;
pub mod ema;
pub mod extended;
pub mod feature;
pub mod half_life;
pub mod hurst;
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
