//! Research feature library, second slice (SPEC 2.6): microstructure,
//! funding/basis, liquidation, cross-asset, calendar and interaction features, each a
//! [`ResearchFeature`].
//!
//! Instrument 0 is the target; instrument 1, when fed, is the reference (spot for the basis,
//! BTC for the cross-asset features). Event-driven features close their minutes through
//! one minute roller (`minute::MinuteRoller`), so their values are the same whether the caller hands a feature
//! the event that closed a minute before or after `on_minute`.

mod basis;
mod calendar;
mod cross_asset;
mod depth;
mod funding;
mod interactions;
mod kernel;
mod kyle;
mod liquidation;
mod minute;
#[cfg(test)]
mod real_data_tests;
mod regime;
mod seconds;
mod spread;
#[cfg(test)]
mod test_support;
mod vwap;

pub use basis::SpotPerpBasis;
pub use calendar::{CalendarFeatures, calendar_of};
pub use cross_asset::{CrossAssetFeatures, pearson};
pub use depth::{DepthFeatures, IMBALANCE_LEVELS, infer_rule};
pub use funding::{FundingFeatures, minutes_to_funding};
pub use interactions::{BarVpin, InteractionFeatures};
pub use kernel::{RealizedKernelVolatility, parzen};
pub use kyle::KyleLambda;
pub use liquidation::{LiquidationFeatures, liquidation_risk};
pub use regime::{VolatilityRegime, tercile};
pub use spread::SpreadFeatures;
pub use vwap::VwapDeviation;

use super::ResearchFeature;

/// Every feature of this slice with default parameters, in a fixed order.
pub fn extended_features() -> Vec<Box<dyn ResearchFeature>> {
    vec![
        Box::new(DepthFeatures::default()),
        Box::new(KyleLambda::default()),
        Box::new(RealizedKernelVolatility::default()),
        Box::new(SpreadFeatures::default()),
        Box::new(VwapDeviation::default()),
        Box::new(VolatilityRegime::default()),
        Box::new(FundingFeatures::default()),
        Box::new(SpotPerpBasis::default()),
        Box::new(LiquidationFeatures::default()),
        Box::new(CrossAssetFeatures::default()),
        Box::new(CalendarFeatures),
        Box::new(InteractionFeatures::default()),
    ]
}
