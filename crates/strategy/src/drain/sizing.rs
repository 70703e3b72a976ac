//! Drain sizing options (SPEC 3.2: "sizing may be scaled by volatility (halve above the 75th
//! percentile) and by session (config)"), both off by default.
//!
//! Volatility: `rv_5m = sqrt(Σ r² / n)` over the last 300 one-second mid log returns (the
//! realized volatility of SPEC 2.5); its percentile rank = the share of the last
//! `volatility_history_seconds` (4 h) one-second readings that are ≤ the current one. Above the
//! 75th percentile the size is multiplied by 0.5 (after at least 300 readings; before that the
//! rank is unknown and the size is not scaled). The rank is also recorded with each signal for
//! the research reports (volatility terciles).

use auction_trader_features::toxicity::stats::{RealizedVolatility, RollingSorted};
use auction_trader_types::Session;
use serde::{Deserialize, Serialize};

/// Size multipliers per session (SPEC 3.2 "by session (config)"); 1 = unscaled.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionSize {
    pub asia: f64,
    pub europe: f64,
    pub us: f64,
}

impl Default for SessionSize {
    fn default() -> Self {
        Self {
            asia: 1.0,
            europe: 1.0,
            us: 1.0,
        }
    }
}

impl SessionSize {
    pub fn of(&self, session: Session) -> f64 {
        match session {
            Session::Asia => self.asia,
            Session::Europe => self.europe,
            Session::Us => self.us,
        }
    }
}

/// Short realized volatility of one-second mid returns and its rank among recent readings.
#[derive(Debug, Clone)]
pub struct VolatilityRank {
    min_readings: usize,
    /// The SPEC 2.5 realized volatility (short window only).
    volatility: RealizedVolatility,
    readings: RollingSorted,
    last_mid: Option<f64>,
}

impl VolatilityRank {
    /// `window` returns per reading (300), `history` readings ranked against (14,400), no
    /// rank before `min_readings`.
    pub fn new(window: usize, history: usize, min_readings: usize) -> Self {
        let window = window.max(2);
        Self {
            min_readings: min_readings.max(1),
            volatility: RealizedVolatility::new(window, window),
            readings: RollingSorted::new(history),
            last_mid: None,
        }
    }

    /// A one-second mid (`None`: no mid; the chain of returns restarts).
    pub fn on_second(&mut self, mid: Option<f64>) {
        let Some(mid) = mid.filter(|mid| *mid > 0.0 && mid.is_finite()) else {
            self.last_mid = None;
            return;
        };
        if let Some(previous) = self.last_mid.replace(mid) {
            self.volatility.push((mid / previous).ln());
            if let Some((reading, _)) = self.volatility.pair() {
                self.readings.push(reading);
            }
        }
    }

    /// The latest `rv_5m` reading.
    pub fn current(&self) -> Option<f64> {
        self.readings.last()
    }

    /// Share of the readings ≤ the latest one, once `min_readings` exist.
    pub fn rank(&self) -> Option<f64> {
        let current = self.current()?;
        if self.readings.len() < self.min_readings {
            return None;
        }
        self.readings.rank(current)
    }
}

/// The size factor of a signal: `volatility_factor` when the rank is above `percentile`
/// (and volatility sizing is on), times the session's factor.
pub fn size_factor(
    rank: Option<f64>,
    volatility_sizing: bool,
    percentile: f64,
    volatility_factor: f64,
    session: f64,
) -> f64 {
    let volatility = if volatility_sizing && rank.is_some_and(|rank| rank > percentile) {
        volatility_factor
    } else {
        1.0
    };
    volatility * session
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realized_volatility_and_rank_hand_example() {
        // Window 2 returns, history 4, rank after 2 readings.
        let mut rank = VolatilityRank::new(2, 4, 2);
        let e = std::f64::consts::E;
        // Mids 1, e, e, e²: returns 1, 0, 1 → readings sqrt((1+0)/2) = 0.7071, then
        // sqrt((0+1)/2) = 0.7071.
        for mid in [1.0, e, e, e * e] {
            rank.on_second(Some(mid));
        }
        assert!((rank.current().unwrap() - 0.5f64.sqrt()).abs() < 1e-12);
        assert_eq!(rank.rank(), Some(1.0));
        // Mid e² again: return 0 → sqrt((1 + 0)/2) again; then e^5: return 3 → sqrt(9/2).
        rank.on_second(Some(e * e));
        rank.on_second(Some(e.powi(5)));
        assert!((rank.current().unwrap() - 4.5f64.sqrt()).abs() < 1e-12);
        // Readings 0.707, 0.707, 0.707, 2.121: all four ≤ the latest → rank 1.
        assert_eq!(rank.rank(), Some(1.0));
        // e^5 again: returns 3, 0 → sqrt(4.5) again; history drops the first 0.707.
        rank.on_second(Some(e.powi(5)));
        assert_eq!(rank.rank(), Some(1.0));
        // e^5 again: returns 0, 0 → 0; 1 of 4 readings ≤ 0.
        rank.on_second(Some(e.powi(5)));
        assert_eq!(rank.current(), Some(0.0));
        assert_eq!(rank.rank(), Some(0.25));
        // A missing mid restarts the chain of returns but keeps the readings.
        rank.on_second(None);
        rank.on_second(Some(1.0));
        assert_eq!(rank.current(), Some(0.0));
    }

    #[test]
    fn size_factor_halves_above_the_percentile_and_scales_by_session() {
        assert_eq!(size_factor(Some(0.80), true, 0.75, 0.5, 1.0), 0.5);
        assert_eq!(size_factor(Some(0.75), true, 0.75, 0.5, 1.0), 1.0);
        assert_eq!(size_factor(Some(0.80), false, 0.75, 0.5, 1.0), 1.0);
        assert_eq!(size_factor(None, true, 0.75, 0.5, 0.5), 0.5);
        assert_eq!(size_factor(Some(0.9), true, 0.75, 0.5, 0.5), 0.25);
        let sessions = SessionSize {
            asia: 0.5,
            ..SessionSize::default()
        };
        assert_eq!(
            (sessions.of(Session::Asia), sessions.of(Session::Us)),
            (0.5, 1.0)
        );
    }
}
