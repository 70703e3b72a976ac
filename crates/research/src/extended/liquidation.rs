//! Liquidation intensity and risk score (SPEC 2.6), from the target's `Liquidation` events:
//! - `liquidation_notional_1m`: Σ price × size of the minute's liquidations (both sides), in
//!   quote currency; NaN until the first liquidation event has been received (a feed without
//!   a liquidation stream is unknown, not calm);
//! - `liquidation_zscore_24h`: that minute's notional against the trailing 1,440 minutes
//!   (this one included), sample std; defined from 30 minutes; 0 when the window is flat;
//! - `liquidation_risk_score`: `1 / (1 + exp(−(z_liq + |z_funding| − 2)))` with
//!   `z_funding` the funding-rate z-score of `funding.rs` (0 while undefined): ~0.12 in calm
//!   markets, 0.5 when intensity plus funding stretch reach two standard deviations, → 1
//!   in a cascade.

use auction_trader_types::{MarketEvent, UnixNanos};

use super::funding::FundingRateHistory;
use super::minute::{MinuteRoller, MinuteState, raw_to_f64};
use crate::ResearchFeature;
use crate::window::RollingMoments;
use auction_trader_features::FeatureSnapshot;

const COLUMNS: [&str; 3] = [
    "liquidation_notional_1m",
    "liquidation_zscore_24h",
    "liquidation_risk_score",
];

const MIN_MINUTES: usize = 30;

/// The logistic risk score of the module doc.
pub fn liquidation_risk(intensity_z: f64, funding_z: Option<f64>) -> f64 {
    let funding = funding_z.map_or(0.0, f64::abs);
    1.0 / (1.0 + (-(intensity_z + funding - 2.0)).exp())
}

#[derive(Debug, Clone, Default)]
struct LiquidationState {
    seen: bool,
    notional: f64,
    funding: FundingRateHistory,
}

impl MinuteState for LiquidationState {
    /// (notional of the minute if any liquidation was ever seen, funding z).
    type Closed = (Option<f64>, Option<f64>);

    fn close_minute(&mut self, _end: UnixNanos) -> Self::Closed {
        let notional = std::mem::take(&mut self.notional);
        (self.seen.then_some(notional), self.funding.zscore())
    }
}

/// Liquidated notional per minute, its 24 h z-score and the risk score.
#[derive(Debug, Clone)]
pub struct LiquidationFeatures {
    roller: MinuteRoller<LiquidationState>,
    history: Option<RollingMoments>,
}

impl Default for LiquidationFeatures {
    fn default() -> Self {
        Self::new(1_440)
    }
}

impl LiquidationFeatures {
    /// z-score over `window` minutes (at least 2).
    pub fn new(window: usize) -> Self {
        Self {
            roller: MinuteRoller::new(LiquidationState::default()),
            history: RollingMoments::new(window.max(2)).ok(),
        }
    }
}

impl ResearchFeature for LiquidationFeatures {
    fn columns(&self) -> &'static [&'static str] {
        &COLUMNS
    }

    fn on_event(&mut self, instrument: usize, event: &MarketEvent) {
        if instrument != 0 {
            return;
        }
        match event {
            MarketEvent::Liquidation(liquidation) => {
                self.roller.advance(liquidation.ts_recv);
                let state = &mut self.roller.state;
                state.seen = true;
                state.notional +=
                    raw_to_f64(liquidation.price.raw()) * raw_to_f64(liquidation.size.raw());
            }
            MarketEvent::Funding(funding) => {
                self.roller.advance(funding.ts_recv);
                self.roller.state.funding.on_funding(funding);
            }
            _ => {}
        }
    }

    fn on_minute(&mut self, snapshot: &FeatureSnapshot, values: &mut [f64]) {
        let (notional, funding_z) = self.roller.take(snapshot.ts).unwrap_or((None, None));
        values.fill(f64::NAN);
        let (Some(notional), Some(history)) = (notional, self.history.as_mut()) else {
            return;
        };
        history.update(notional);
        values[0] = notional;
        if history.len() < MIN_MINUTES {
            return;
        }
        let deviation = history.sample_variance().unwrap_or(0.0).sqrt();
        let zscore = if deviation > 0.0 {
            (notional - history.mean().unwrap_or(notional)) / deviation
        } else {
            0.0
        };
        values[1] = zscore;
        values[2] = liquidation_risk(zscore, funding_z);
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{AggressorSide, Liquidation, Price, Quantity};

    use super::*;
    use crate::extended::test_support::{quiet_snapshot, seconds};

    #[test]
    fn risk_score_by_hand() {
        // z_liq 0, no funding: 1/(1 + e²) = 0.119203; z_liq 1, z_funding −1: 0.5.
        assert!((liquidation_risk(0.0, None) - 0.119_202_922).abs() < 1e-9);
        assert!((liquidation_risk(1.0, Some(-1.0)) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn intensity_and_zscore() {
        // Minute 1: liquidations 2 @ 100 and 1 @ 50 → 250. Minutes 2..=30: nothing → 0.
        // Minute 30: window of 30 values {250, 0 × 29}: mean 8.3333, sample std
        // sqrt((241.6667² + 29·8.3333²)/29) = sqrt((58402.78 + 2013.89)/29) = 45.6435;
        // z = (0 − 8.3333)/45.6435 = −0.182574; risk = 1/(1 + e^(2.182574)) = 0.101326.
        let mut feature = LiquidationFeatures::default();
        let mut values = [0.0; 3];
        feature.on_minute(&quiet_snapshot(seconds(0)), &mut values);
        assert!(values.iter().all(|value| value.is_nan()));
        for (at, price, size) in [(10, 100, 2), (20, 50, 1)] {
            feature.on_event(
                0,
                &MarketEvent::Liquidation(Liquidation {
                    ts_event: seconds(at),
                    ts_recv: seconds(at),
                    side: AggressorSide::Sell,
                    price: Price::from_units(price).unwrap(),
                    size: Quantity::from_units(size).unwrap(),
                }),
            );
        }
        feature.on_minute(&quiet_snapshot(seconds(60)), &mut values);
        assert_eq!(values[0], 250.0);
        assert!(values[1].is_nan());
        for minute in 2..=30 {
            feature.on_minute(&quiet_snapshot(seconds(60 * minute)), &mut values);
        }
        assert_eq!(values[0], 0.0);
        assert!((values[1] + 0.182_574).abs() < 1e-5, "{values:?}");
        assert!((values[2] - 0.101_326).abs() < 1e-5, "{values:?}");
    }
}
