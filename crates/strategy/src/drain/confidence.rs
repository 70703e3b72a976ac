//! SPEC 3.2 confidence score and adaptive placement of the liquidity-drain reversal.
//!
//! `confidence = 100 × (0.35·s_drain + 0.35·s_active + 0.20·s_clean + 0.10·s_calm)` with
//! `s_drain = clamp((decline − 0.30) / 0.40)`, `s_active = clamp((sell/buy − 1.8) / 1.8)`,
//! `s_clean = (1 − clamp(book CTR / 8)) × (0.5 if a ghost was seen on that side in the last
//! 60 s else 1)`, `s_calm = 0 if OBI churn is high else 1`, clamp to [0, 1]. Conventions where
//! the SPEC is silent: no opposing volume makes `sell/buy` infinite (s_active = 1); an undefined
//! book CTR (nothing executed on that side in the 10 s window) counts as 0; churn during its
//! warm-up (no signal) counts as calm.

use auction_trader_types::Price;

use crate::api::Direction;

/// `clamp(x)` to [0, 1] (NaN → 0).
pub fn unit_clamp(value: f64) -> f64 {
    if value.is_nan() {
        0.0
    } else {
        value.clamp(0.0, 1.0)
    }
}

/// The four inputs of the score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConfidenceInputs {
    /// Decline of decay-weighted depth over the window (0.35 = 35%).
    pub decline: f64,
    /// Aggressive volume against the drained side over the window.
    pub pressure: f64,
    /// Aggressive volume the other way.
    pub opposing: f64,
    /// Book CTR of the drained side at the signal (`None`: undefined).
    pub book_ctr: Option<f64>,
    /// A ghost was confirmed on the drained side in the last 60 s.
    pub recent_ghost: bool,
    /// High OBI churn at the signal (`None`: warm-up, no signal).
    pub high_churn: Option<bool>,
}

/// The score and its parts (for signals.db).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Confidence {
    pub score: f64,
    pub s_drain: f64,
    pub s_active: f64,
    pub s_clean: f64,
    pub s_calm: f64,
}

/// SPEC 3.2 confidence, exactly as written (see the module doc for the undefined cases).
pub fn confidence(inputs: &ConfidenceInputs, decline_min: f64, ratio_min: f64) -> Confidence {
    let s_drain = unit_clamp((inputs.decline - decline_min) / 0.40);
    let ratio = if inputs.opposing > 0.0 {
        inputs.pressure / inputs.opposing
    } else if inputs.pressure > 0.0 {
        f64::INFINITY
    } else {
        0.0
    };
    let s_active = if ratio.is_infinite() {
        1.0
    } else {
        unit_clamp((ratio - ratio_min) / ratio_min)
    };
    let ctr = inputs.book_ctr.unwrap_or(0.0);
    let ghost_factor = if inputs.recent_ghost { 0.5 } else { 1.0 };
    let s_clean = (1.0 - unit_clamp(ctr / 8.0)) * ghost_factor;
    let s_calm = if inputs.high_churn == Some(true) {
        0.0
    } else {
        1.0
    };
    Confidence {
        score: 100.0 * (0.35 * s_drain + 0.35 * s_active + 0.20 * s_clean + 0.10 * s_calm),
        s_drain,
        s_active,
        s_clean,
        s_calm,
    }
}

/// Where the entry goes (SPEC 3.2 placement).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// One tick inside the spread (bid + 1 tick for a long).
    Improve(Price),
    /// At the touch (the best bid for a long).
    Touch(Price),
    /// Confidence too low: no trade.
    Skip,
}

impl Placement {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Improve(_) => "improve",
            Self::Touch(_) => "touch",
            Self::Skip => "skip",
        }
    }

    pub const fn price(self) -> Option<Price> {
        match self {
            Self::Improve(price) | Self::Touch(price) => Some(price),
            Self::Skip => None,
        }
    }
}

/// SPEC 3.2: confidence > `improve_above` → post-only one tick better than the touch (at the
/// touch if that would reach the other side); > `touch_above` → at the touch; else skip.
pub fn placement(
    direction: Direction,
    score: f64,
    best_bid: Price,
    best_ask: Price,
    tick: Price,
    improve_above: f64,
    touch_above: f64,
) -> Placement {
    let (touch, improved) = match direction {
        Direction::Long => (best_bid, best_bid.checked_add(tick)),
        Direction::Short => (best_ask, best_ask.checked_sub(tick)),
    };
    if score > improve_above {
        // Never cross: one tick inside must stay strictly inside the spread.
        let inside = improved.filter(|&price| match direction {
            Direction::Long => price < best_ask,
            Direction::Short => price > best_bid,
        });
        match inside {
            Some(price) => Placement::Improve(price),
            None => Placement::Touch(touch),
        }
    } else if score > touch_above {
        Placement::Touch(touch)
    } else {
        Placement::Skip
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(value: i64) -> Price {
        Price::from_raw(value * 100_000_000) // tenths
    }

    #[test]
    fn hand_worked_confidence() {
        // decline 0.50 -> s_drain = 0.20 / 0.40 = 0.5; sell/buy = 90/20 = 4.5 ->
        // (4.5 − 1.8) / 1.8 = 1.5 -> 1; CTR 2 -> 1 − 0.25 = 0.75, ghost -> 0.375; calm 1.
        // 100 × (0.175 + 0.35 + 0.075 + 0.10) = 70.
        let inputs = ConfidenceInputs {
            decline: 0.50,
            pressure: 90.0,
            opposing: 20.0,
            book_ctr: Some(2.0),
            recent_ghost: true,
            high_churn: Some(false),
        };
        let score = confidence(&inputs, 0.30, 1.8);
        assert!((score.s_drain - 0.5).abs() < 1e-12);
        assert_eq!(score.s_active, 1.0);
        assert!((score.s_clean - 0.375).abs() < 1e-12);
        assert!((score.score - 70.0).abs() < 1e-9, "{}", score.score);
        // decline 0.34, ratio 2.7 -> s_active 0.5, CTR 10 -> s_clean 0, high churn:
        // 100 × (0.35 × 0.1 + 0.35 × 0.5) = 21.
        let inputs = ConfidenceInputs {
            decline: 0.34,
            pressure: 27.0,
            opposing: 10.0,
            book_ctr: Some(10.0),
            recent_ghost: false,
            high_churn: Some(true),
        };
        let score = confidence(&inputs, 0.30, 1.8);
        assert!((score.score - 21.0).abs() < 1e-9, "{}", score.score);
        // No opposing volume: s_active = 1; undefined CTR and churn warm-up count as clean,
        // calm: decline 0.70 -> 100.
        let inputs = ConfidenceInputs {
            decline: 0.70,
            pressure: 5.0,
            opposing: 0.0,
            book_ctr: None,
            recent_ghost: false,
            high_churn: None,
        };
        assert!((confidence(&inputs, 0.30, 1.8).score - 100.0).abs() < 1e-9);
    }

    #[test]
    fn placement_never_crosses() {
        let tick = price(1);
        // Spread 3 ticks: > 85 -> bid + 1 tick.
        assert_eq!(
            placement(
                Direction::Long,
                90.0,
                price(100),
                price(103),
                tick,
                85.0,
                60.0
            ),
            Placement::Improve(price(101))
        );
        // One-tick spread: bid + 1 would be the ask -> at the bid.
        assert_eq!(
            placement(
                Direction::Long,
                90.0,
                price(100),
                price(101),
                tick,
                85.0,
                60.0
            ),
            Placement::Touch(price(100))
        );
        // Exactly 85 is not > 85: at the bid; 60 is not > 60: skip.
        assert_eq!(
            placement(
                Direction::Long,
                85.0,
                price(100),
                price(103),
                tick,
                85.0,
                60.0
            ),
            Placement::Touch(price(100))
        );
        assert_eq!(
            placement(
                Direction::Long,
                60.0,
                price(100),
                price(103),
                tick,
                85.0,
                60.0
            ),
            Placement::Skip
        );
        // Shorts mirror at the ask.
        assert_eq!(
            placement(
                Direction::Short,
                90.0,
                price(100),
                price(103),
                tick,
                85.0,
                60.0
            ),
            Placement::Improve(price(102))
        );
        assert_eq!(
            placement(
                Direction::Short,
                70.0,
                price(100),
                price(103),
                tick,
                85.0,
                60.0
            ),
            Placement::Touch(price(103))
        );
    }
}
