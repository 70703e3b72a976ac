//! Drain regime, SPEC 2.5: when decay-weighted, ghost-discounted top depth of a side falls by
//! at least 30% over the 30 s window (SPEC 3.2), the drain is REAL_PRESSURE iff the aggressive
//! volume against that side over the same 30 s exceeds 1.8 × the opposite aggressive volume AND the
//! same aggression continues in the 1.5 s after the signal; otherwise SPOOF_CLEANUP. The verdict
//! needs those 1.5 s, so it is emitted at the first second close after them (no look-ahead).

use serde::Serialize;

use auction_trader_types::{BookSide, UnixNanos};

/// The two drain regimes of SPEC 2.5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum DrainRegime {
    RealPressure,
    SpoofCleanup,
}

/// SPEC 2.5: REAL_PRESSURE iff `pressure > ratio × opposing` and `follow_through > 0`.
pub fn classify_drain(
    pressure: f64,
    opposing: f64,
    follow_through: f64,
    ratio: f64,
) -> DrainRegime {
    if pressure > ratio * opposing && follow_through > 0.0 {
        DrainRegime::RealPressure
    } else {
        DrainRegime::SpoofCleanup
    }
}

/// A drain of one side and its verdict. Volumes in units of size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DrainVerdict {
    /// The side whose depth drained (bid: sellers press; ask: buyers press).
    pub side: BookSide,
    /// Second close at which the decline was seen.
    pub signal_ts: UnixNanos,
    pub regime: DrainRegime,
    /// `1 − depth_now / depth_30s_ago` of the decay-weighted top depth.
    pub decline: f64,
    /// Aggressive volume against the side over the 30 s window (taker sells for the bid).
    pub pressure_volume: f64,
    /// Aggressive volume the other way over the same window.
    pub opposing_volume: f64,
    /// Aggressive volume against the side in the 1.5 s after the signal.
    pub follow_through: f64,
    /// Passive drain: cancelled volume of the side over the window.
    pub passive_drain: f64,
    /// Active drain: aggressive volume against the side (= `pressure_volume`).
    pub active_drain: f64,
    /// Absorption efficiency over the window (ticks of mid move per unit of aggressive volume).
    pub absorption: Option<f64>,
}

/// A signal waiting for its follow-through window.
#[derive(Debug, Clone, Copy)]
pub struct PendingDrain {
    pub verdict: DrainVerdict,
    /// End of the follow-through window (inclusive), ns.
    pub due: i64,
    pub follow_raw: i64,
}

/// Edge-triggered drain detection of one side: a new signal only after the decline condition
/// has been false for at least one second, and one pending verdict at a time.
#[derive(Debug, Clone, Default)]
pub struct DrainDetector {
    pub pending: Option<PendingDrain>,
    triggered: bool,
}

impl DrainDetector {
    /// Whether `decline` starts a new signal now (updates the edge state).
    pub fn starts(&mut self, decline: Option<f64>, threshold: f64) -> bool {
        let active = decline.is_some_and(|value| value >= threshold);
        let starts = active && !self.triggered && self.pending.is_none();
        self.triggered = active;
        starts
    }

    /// A trade against this side received at `ts` (raw size).
    #[inline]
    pub fn on_pressure_trade(&mut self, ts: i64, size: i64) {
        if let Some(pending) = &mut self.pending
            && ts <= pending.due
        {
            pending.follow_raw = pending.follow_raw.saturating_add(size);
        }
    }

    /// The verdict, once the follow-through window ended before `now`.
    pub fn resolve(&mut self, now: i64, ratio: f64, unit: f64) -> Option<DrainVerdict> {
        let pending = self.pending.filter(|pending| pending.due < now)?;
        self.pending = None;
        let mut verdict = pending.verdict;
        verdict.follow_through = pending.follow_raw as f64 / unit;
        verdict.regime = classify_drain(
            verdict.pressure_volume,
            verdict.opposing_volume,
            verdict.follow_through,
            ratio,
        );
        Some(verdict)
    }
}

/// Ticks of price movement per unit of aggressive volume (`None` without volume or tick).
pub fn absorption_efficiency(
    price_move_raw: i64,
    tick_raw: i64,
    aggressive_volume: f64,
) -> Option<f64> {
    (tick_raw > 0 && aggressive_volume > 0.0)
        .then(|| (price_move_raw.unsigned_abs() as f64 / tick_raw as f64) / aggressive_volume)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict() -> DrainVerdict {
        DrainVerdict {
            side: BookSide::Bid,
            signal_ts: UnixNanos(0),
            regime: DrainRegime::SpoofCleanup,
            decline: 0.4,
            pressure_volume: 10.0,
            opposing_volume: 5.0,
            follow_through: 0.0,
            passive_drain: 3.0,
            active_drain: 10.0,
            absorption: None,
        }
    }

    #[test]
    fn classification_rule() {
        // 10 > 1.8 × 5 = 9 and follow-through 0.2 > 0 -> real pressure.
        assert_eq!(
            classify_drain(10.0, 5.0, 0.2, 1.8),
            DrainRegime::RealPressure
        );
        // 9 is not > 9.
        assert_eq!(
            classify_drain(9.0, 5.0, 0.2, 1.8),
            DrainRegime::SpoofCleanup
        );
        // No selling after the signal.
        assert_eq!(
            classify_drain(10.0, 5.0, 0.0, 1.8),
            DrainRegime::SpoofCleanup
        );
    }

    #[test]
    fn verdict_waits_for_the_follow_through_window() {
        let second = 1_000_000_000;
        let mut detector = DrainDetector::default();
        assert!(detector.starts(Some(0.35), 0.30));
        detector.pending = Some(PendingDrain {
            verdict: verdict(),
            due: 1_500_000_000,
            follow_raw: 0,
        });
        detector.on_pressure_trade(1_400_000_000, 200_000_000); // 0.2 inside the window
        detector.on_pressure_trade(1_600_000_000, 5_000_000_000); // after: ignored
        assert_eq!(detector.resolve(second, 1.8, 1e9), None);
        let resolved = detector.resolve(2 * second, 1.8, 1e9).unwrap();
        assert_eq!(resolved.regime, DrainRegime::RealPressure);
        assert!((resolved.follow_through - 0.2).abs() < 1e-12);
        // Still declining: no new signal until the condition clears.
        assert!(!detector.starts(Some(0.4), 0.30));
        assert!(!detector.starts(Some(0.1), 0.30));
        assert!(detector.starts(Some(0.31), 0.30));
    }

    #[test]
    fn absorption_in_ticks_per_unit() {
        // mid moved 0.5 with tick 0.1 (5 ticks) on 2.5 units -> 2 ticks per unit.
        assert_eq!(
            absorption_efficiency(-500_000_000, 100_000_000, 2.5),
            Some(2.0)
        );
        assert_eq!(absorption_efficiency(5, 1, 0.0), None);
    }
}
