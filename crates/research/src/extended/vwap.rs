//! Deviation of the close from the rolling 60-minute VWAP (SPEC 2.6 "deviation from VWAP"),
//! in bps: `10⁴ · (close − VWAP₆₀) / VWAP₆₀`, `VWAP₆₀ = Σ vwap_i·volume_i / Σ volume_i` over
//! the last 60 one-minute bars (this one included). Expanding over the first bars; NaN until
//! some volume has traded. Exact integer sums (i128 raw notional), O(1) per minute.

use std::collections::VecDeque;

use auction_trader_types::MarketEvent;

use crate::ResearchFeature;
use auction_trader_features::FeatureSnapshot;

const COLUMNS: [&str; 1] = ["vwap_dev_60_bps"];

/// Close versus the rolling VWAP over `window` minutes.
#[derive(Debug, Clone)]
pub struct VwapDeviation {
    window: usize,
    /// (vwap raw × volume raw, volume raw) per bar.
    bars: VecDeque<(i128, i128)>,
    notional: i128,
    volume: i128,
}

impl Default for VwapDeviation {
    fn default() -> Self {
        Self::new(60)
    }
}

impl VwapDeviation {
    pub fn new(window: usize) -> Self {
        Self {
            window: window.max(1),
            bars: VecDeque::with_capacity(window.max(1) + 1),
            notional: 0,
            volume: 0,
        }
    }
}

impl ResearchFeature for VwapDeviation {
    fn columns(&self) -> &'static [&'static str] {
        &COLUMNS
    }

    fn on_event(&mut self, _instrument: usize, _event: &MarketEvent) {}

    fn on_minute(&mut self, snapshot: &FeatureSnapshot, values: &mut [f64]) {
        let bar = &snapshot.bar;
        let volume = bar.volume.raw().max(0);
        let entry = (i128::from(bar.vwap.raw()) * volume, volume);
        if self.bars.len() == self.window
            && let Some((notional, volume)) = self.bars.pop_front()
        {
            self.notional -= notional;
            self.volume -= volume;
        }
        self.bars.push_back(entry);
        self.notional += entry.0;
        self.volume += entry.1;
        values[0] = if self.volume > 0 {
            let vwap = self.notional as f64 / self.volume as f64;
            1e4 * (bar.close.raw() as f64 - vwap) / vwap
        } else {
            f64::NAN
        };
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{Price, Quantity};

    use super::*;
    use crate::extended::test_support::close_snapshot;

    #[test]
    fn deviation_from_a_two_bar_vwap() {
        // Window 2. Bars (vwap, volume): (100, 1), (102, 3), (101, 0) with closes 100, 102, 99.
        // After bar 2: VWAP = (100 + 306)/4 = 101.5 → close 102: 1e4·0.5/101.5 = 49.2611 bps.
        // After bar 3 (window = bars 2, 3): VWAP = 306/3 = 102 → close 99: −294.1176 bps.
        let mut feature = VwapDeviation::new(2);
        let mut values = [0.0];
        let mut outputs = Vec::new();
        for (minute, (vwap, volume, close)) in [(100, 1, 100.0), (102, 3, 102.0), (101, 0, 99.0)]
            .into_iter()
            .enumerate()
        {
            let mut snapshot = close_snapshot(minute as i64 + 1, close, 0.0);
            snapshot.bar.vwap = Price::from_units(vwap).unwrap();
            snapshot.bar.volume = Quantity::from_units(volume).unwrap();
            feature.on_minute(&snapshot, &mut values);
            outputs.push(values[0]);
        }
        assert!(outputs[0].abs() < 1e-12);
        assert!((outputs[1] - 1e4 * 0.5 / 101.5).abs() < 1e-9);
        assert!((outputs[2] - 1e4 * (99.0 - 102.0) / 102.0).abs() < 1e-9);
    }
}
