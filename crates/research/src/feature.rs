//! The uniform interface of research features sampled at minute closes, so the feature
//! matrix (`matrix`) can run any set of them over one replay without knowing each estimator.

use auction_trader_types::MarketEvent;

use auction_trader_features::FeatureSnapshot;

/// A research feature computed from the event stream and sampled at each minute close.
/// Implementations must be causal: values written at a close depend only on events with
/// `ts_recv` <= that close (SPEC 2).
pub trait ResearchFeature {
    /// Column names this feature writes, in order (stable: they are Parquet column names).
    fn columns(&self) -> &'static [&'static str];

    /// Every market event, in `ts_recv` order. `instrument` is 0 for the instrument the
    /// matrix is built for, 1.. for reference instruments (e.g. BTC for alt lead-lag).
    fn on_event(&mut self, _instrument: usize, _event: &MarketEvent) {}

    /// At each minute close of the target instrument, after its [`FeatureSnapshot`] is built:
    /// write one value per column into `values` (same length as `columns()`); `f64::NAN`
    /// means missing (warm-up or undefined).
    fn on_minute(&mut self, snapshot: &FeatureSnapshot, values: &mut [f64]);
}
