//! Average directional index with Wilder's smoothing (SPEC 2.6 "ADX"), period 14 by default,
//! fed one bar (high, low, close) at a time.
//!
//! Per bar after the first: `up = H − H_prev`, `down = L_prev − L`; `+DM = up` if
//! `up > down and up > 0` else 0; `−DM = down` if `down > up and down > 0` else 0;
//! `TR = max(H − L, |H − C_prev|, |L − C_prev|)`. TR, +DM and −DM are Wilder-smoothed: the
//! first value is the simple mean of the first `period` bars' values, then
//! `avg = (avg·(n − 1) + x)/n` (the same ratios as Wilder's running sums).
//! `±DI = 100 · ±DM_avg / TR_avg`; `DX = 100 · |+DI − −DI| / (+DI + −DI)` (0 when both are 0).
//! ADX seeds as the mean of the first `period` DX values, then Wilder-smooths DX. The first
//! ADX therefore needs `2 · period` bars.

use super::window::check_window;
use crate::ResearchError;

/// Wilder's default period.
pub const DEFAULT_ADX_PERIOD: usize = 14;

/// Wilder average: simple mean over the first `period` values, then recursive smoothing.
#[derive(Debug, Clone, Default)]
struct WilderAverage {
    count: usize,
    sum: f64,
    average: Option<f64>,
}

impl WilderAverage {
    fn update(&mut self, value: f64, period: usize) {
        let length = period as f64;
        match self.average {
            Some(average) => self.average = Some((average * (length - 1.0) + value) / length),
            None => {
                self.sum += value;
                self.count += 1;
                if self.count == period {
                    self.average = Some(self.sum / length);
                }
            }
        }
    }
}

/// Streaming ADX and directional indicators, O(1) per bar.
#[derive(Debug, Clone)]
pub struct Adx {
    period: usize,
    previous: Option<(f64, f64, f64)>,
    true_range: WilderAverage,
    plus_movement: WilderAverage,
    minus_movement: WilderAverage,
    index: WilderAverage,
    plus_indicator: Option<f64>,
    minus_indicator: Option<f64>,
}

impl Adx {
    /// An ADX over `period >= 1` bars.
    pub fn new(period: usize) -> Result<Self, ResearchError> {
        check_window("research.adx.period", period, 1)?;
        Ok(Self {
            period,
            previous: None,
            true_range: WilderAverage::default(),
            plus_movement: WilderAverage::default(),
            minus_movement: WilderAverage::default(),
            index: WilderAverage::default(),
            plus_indicator: None,
            minus_indicator: None,
        })
    }

    /// Adds a bar; bars with non-finite values or `high < low` are ignored.
    pub fn update(&mut self, high: f64, low: f64, close: f64) {
        if !(high.is_finite() && low.is_finite() && close.is_finite()) || high < low {
            return;
        }
        let Some((previous_high, previous_low, previous_close)) =
            self.previous.replace((high, low, close))
        else {
            return;
        };
        let up = high - previous_high;
        let down = previous_low - low;
        let plus = if up > down && up > 0.0 { up } else { 0.0 };
        let minus = if down > up && down > 0.0 { down } else { 0.0 };
        let range = (high - low)
            .max((high - previous_close).abs())
            .max((low - previous_close).abs());
        self.true_range.update(range, self.period);
        self.plus_movement.update(plus, self.period);
        self.minus_movement.update(minus, self.period);
        let (Some(range), Some(plus), Some(minus)) = (
            self.true_range.average,
            self.plus_movement.average,
            self.minus_movement.average,
        ) else {
            return;
        };
        let (plus_indicator, minus_indicator) = if range > 0.0 {
            (100.0 * plus / range, 100.0 * minus / range)
        } else {
            (0.0, 0.0)
        };
        self.plus_indicator = Some(plus_indicator);
        self.minus_indicator = Some(minus_indicator);
        let total = plus_indicator + minus_indicator;
        let directional = if total > 0.0 {
            100.0 * (plus_indicator - minus_indicator).abs() / total
        } else {
            0.0
        };
        self.index.update(directional, self.period);
    }

    /// +DI in [0, 100]; None until `period + 1` bars.
    pub fn plus_indicator(&self) -> Option<f64> {
        self.plus_indicator
    }

    /// −DI in [0, 100]; None until `period + 1` bars.
    pub fn minus_indicator(&self) -> Option<f64> {
        self.minus_indicator
    }

    /// ADX in [0, 100]; None until `2 · period` bars.
    pub fn value(&self) -> Option<f64> {
        self.index.average
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked_adx_period_two() {
        // Bars (H, L, C): (10, 8, 9), (11, 9, 10), (12, 10, 11), (11, 8, 9), (10, 7, 8); n = 2.
        // b1: up 1, down −1 → +DM 1, −DM 0; TR = max(2, 2, 0) = 2.
        // b2: up 1, down −1 → +DM 1, −DM 0; TR = max(2, 2, 1) = 2.
        //   seed: TR 2, +DM 1, −DM 0 → +DI 50, −DI 0, DX 100.
        // b3: up −1, down 2 → −DM 2; TR = max(3, 0, 3) = 3.
        //   TR (2 + 3)/2 = 2.5, +DM (1 + 0)/2 = 0.5, −DM (0 + 2)/2 = 1 → +DI 20, −DI 40;
        //   DX = 100·20/60 = 33.3333; ADX seed = (100 + 33.3333)/2 = 66.6667.
        // b4: up −1, down 1 → −DM 1; TR = max(3, 1, 2) = 3.
        //   TR 2.75, +DM 0.25, −DM 1 → +DI 9.0909, −DI 36.3636; DX = 100·27.2727/45.4545 = 60;
        //   ADX = (66.6667 + 60)/2 = 63.3333.
        let mut adx = Adx::new(2).unwrap();
        adx.update(10.0, 8.0, 9.0);
        adx.update(11.0, 9.0, 10.0);
        assert_eq!(adx.plus_indicator(), None);
        adx.update(12.0, 10.0, 11.0);
        assert!((adx.plus_indicator().unwrap() - 50.0).abs() < 1e-12);
        assert_eq!(adx.value(), None);
        adx.update(11.0, 8.0, 9.0);
        assert!((adx.plus_indicator().unwrap() - 20.0).abs() < 1e-12);
        assert!((adx.minus_indicator().unwrap() - 40.0).abs() < 1e-12);
        assert!((adx.value().unwrap() - 200.0 / 3.0).abs() < 1e-9);
        adx.update(10.0, 7.0, 8.0);
        assert!((adx.plus_indicator().unwrap() - 100.0 / 11.0).abs() < 1e-9);
        assert!((adx.minus_indicator().unwrap() - 400.0 / 11.0).abs() < 1e-9);
        assert!((adx.value().unwrap() - 190.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn default_period_needs_twenty_eight_bars() {
        // Steady uptrend: +DM 1 and TR 2 every bar → +DI 50, −DI 0, DX 100, ADX 100.
        let mut adx = Adx::new(DEFAULT_ADX_PERIOD).unwrap();
        for bar in 0..2 * DEFAULT_ADX_PERIOD {
            assert_eq!(adx.value(), None);
            let base = bar as f64;
            adx.update(base + 2.0, base, base + 1.0);
        }
        assert!((adx.value().unwrap() - 100.0).abs() < 1e-12);
        assert!(Adx::new(0).is_err());
    }
}
