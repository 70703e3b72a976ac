//! [`QueuePosition`]: how much resting volume is ahead of one of our limit orders at its price,
//! and how much of the order the trades at that price have filled (SPEC 5 queue models).
//!
//! Trades at the price first consume the volume ahead; what trades beyond it fills the order
//! (partial fills: the fillable quantity is the volume beyond the queue, rounded down to lots).
//! What the venue's book shows at the level moves the order too, depending on the model
//! ([`QueueRule`]):
//! - `Fraction` (SPEC 5 default): nothing but trades moves the order;
//! - `RiskAverse`: only trades advance it; a level that shrinks below the venue volume ahead
//!   caps it at the new size (hftbacktest's `RiskAdverseQueueModel`);
//! - `Probabilistic(f)`: a size decrease that trades at the price do not explain is a cancel
//!   somewhere in the queue; `p = f(back) / (f(back) + f(front))` is the probability that it
//!   was behind the order, so the order advances by `(1 − p) × decrease`, plus whatever of the
//!   decrease exceeds `p × decrease` beyond the volume behind it (hftbacktest's
//!   `ProbQueueModel`; f(x) = x^n or ln(1 + x), x in instrument units);
//! - `ProRata`: cancels are spread evenly through the queue: `decrease × front / old size`.
//!
//! The volume ahead counts our own earlier orders at the price too (SPEC 5: our resting orders
//! at one price queue behind each other). The venue's book does not show them, so every cap
//! or probability uses the venue part only (`ahead − own_ahead`, passed in by the exchange).
//!
//! Quantities stay fixed-point; `f64` is used only for the probability weight (a statistic).

use auction_trader_types::Quantity;

/// How depth changes at the level move the order (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum QueueRule {
    Fraction,
    RiskAverse,
    Probabilistic(ProbabilityShape),
    ProRata,
}

/// The weight `f` of the probabilistic queue models.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ProbabilityShape {
    /// f(x) = x^n.
    Power(f64),
    /// f(x) = ln(1 + x).
    Log,
}

impl ProbabilityShape {
    fn weight(self, x: f64) -> f64 {
        match self {
            // Small whole powers multiply exactly (bit-identical on every platform).
            Self::Power(2.0) => x * x,
            Self::Power(3.0) => x * x * x,
            Self::Power(n) => x.powf(n),
            Self::Log => x.ln_1p(),
        }
    }

    /// Probability that a cancel at the level was behind the order (hftbacktest's `prob`):
    /// `f(back) / (f(back) + f(front))`; 1 when both weights are 0 (nothing to tell).
    pub fn behind(self, front: Quantity, back: Quantity) -> f64 {
        let (front, back) = (self.weight(front.as_f64()), self.weight(back.as_f64()));
        let total = front + back;
        if total > 0.0 && total.is_finite() {
            back / total
        } else {
            1.0
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QueuePosition {
    /// Volume still ahead of the order: the venue's and our own earlier orders'.
    ahead: Quantity,
    /// Volume traded at the price after the queue ahead was exhausted.
    beyond: Quantity,
    /// Quantity already filled by the queue rule.
    filled: Quantity,
    /// Volume traded at the price since the last depth update of the level: the part of the
    /// next depth decrease that trades explain (not cancels).
    traded_since_depth: Quantity,
}

impl QueuePosition {
    pub fn new(ahead: Quantity) -> Self {
        Self {
            ahead: ahead.max(Quantity::ZERO),
            beyond: Quantity::ZERO,
            filled: Quantity::ZERO,
            traded_since_depth: Quantity::ZERO,
        }
    }

    pub fn ahead(&self) -> Quantity {
        self.ahead
    }

    /// A trade of `size` at the order's price (on the order's side of the book).
    pub fn on_trade(&mut self, size: Quantity) {
        let size = size.max(Quantity::ZERO);
        self.traded_since_depth = self.traded_since_depth.saturating_add(size);
        let from_queue = size.min(self.ahead);
        self.ahead = self.ahead.saturating_sub(from_queue);
        self.beyond = self.beyond.saturating_add(size.saturating_sub(from_queue));
    }

    /// Quantity the queue rule lets fill now: volume beyond the queue rounded down to whole
    /// lots, minus what already filled.
    pub fn fillable(&self, lot: Quantity) -> Quantity {
        let whole = match self.beyond.div_floor_steps(lot) {
            Some(lots) => Quantity::from_steps(lots, lot).unwrap_or(self.beyond),
            None => self.beyond,
        };
        whole.saturating_sub(self.filled).max(Quantity::ZERO)
    }

    pub fn record_fill(&mut self, quantity: Quantity) {
        self.filled = self.filled.saturating_add(quantity);
    }

    /// One of our orders ahead of this one at the price left the queue unfilled (cancelled,
    /// timed out): the `quantity` it still had no longer stands ahead.
    pub fn own_order_left(&mut self, quantity: Quantity) {
        self.ahead = self.ahead.saturating_sub(quantity).max(Quantity::ZERO);
    }

    /// The level's visible size went from `old` to `new`; `own_ahead` of the volume ahead is
    /// our own orders (not in the venue's book).
    pub fn on_depth_change(
        &mut self,
        rule: QueueRule,
        old: Quantity,
        new: Quantity,
        own_ahead: Quantity,
    ) {
        let (old, new) = (old.max(Quantity::ZERO), new.max(Quantity::ZERO));
        let own_ahead = own_ahead.min(self.ahead);
        let front = self.ahead.saturating_sub(own_ahead);
        let traded = std::mem::replace(&mut self.traded_since_depth, Quantity::ZERO);
        // The part of the decrease trades do not explain: cancels (negative = orders joined).
        let cancels = old.saturating_sub(new).saturating_sub(traded);
        let front = match rule {
            QueueRule::Fraction => return,
            QueueRule::RiskAverse => front.min(new),
            QueueRule::ProRata => {
                let share = if cancels.is_positive() && old.is_positive() {
                    scale(cancels, front.as_f64() / old.as_f64())
                } else {
                    Quantity::ZERO
                };
                front.saturating_sub(share.min(front)).min(new)
            }
            QueueRule::Probabilistic(shape) => {
                if !cancels.is_positive() {
                    front.min(new)
                } else {
                    let back = old.saturating_sub(front).max(Quantity::ZERO);
                    let behind = shape.behind(front, back);
                    // hftbacktest: front − (1 − p)·chg + min(back − p·chg, 0).
                    let ahead_part = scale(cancels, 1.0 - behind);
                    let overflow = scale(cancels, behind).saturating_sub(back);
                    let overflow = overflow.max(Quantity::ZERO);
                    front
                        .saturating_sub(ahead_part)
                        .saturating_sub(overflow)
                        .max(Quantity::ZERO)
                        .min(new)
                }
            }
        };
        self.ahead = front.saturating_add(own_ahead);
    }
}

/// `quantity × factor` rounded to the nearest raw unit (factor in [0, 1]).
fn scale(quantity: Quantity, factor: f64) -> Quantity {
    let factor = if factor.is_finite() {
        factor.clamp(0.0, 1.0)
    } else {
        1.0
    };
    Quantity::from_f64_rounded(quantity.as_f64() * factor).unwrap_or(quantity)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lots(count: i64) -> Quantity {
        Quantity::from_decimal_str(&format!("{}", count as f64 / 1000.0)).unwrap()
    }

    fn units(text: &str) -> Quantity {
        Quantity::from_decimal_str(text).unwrap()
    }

    #[test]
    fn volume_beyond_the_queue_fills_whole_lots() {
        let lot = lots(1);
        let mut queue = QueuePosition::new(lots(10));
        queue.on_trade(lots(9));
        assert_eq!(queue.fillable(lot), Quantity::ZERO);
        // 9 + 3 = 12 traded: 2 lots beyond the 10 ahead.
        queue.on_trade(lots(3));
        assert_eq!(queue.fillable(lot), lots(2));
        queue.record_fill(lots(2));
        assert_eq!(queue.fillable(lot), Quantity::ZERO);
        // Half a lot more: still nothing whole; the next half makes one lot.
        queue.on_trade(units("0.0005"));
        assert_eq!(queue.fillable(lot), Quantity::ZERO);
        queue.on_trade(units("0.0005"));
        assert_eq!(queue.fillable(lot), lots(1));
    }

    #[test]
    fn pro_rata_cancels_ahead_advance_the_order() {
        // 40 ahead of us at a level of 100; 10 trade, then the level shows 70:
        // decrease 30 = 10 traded + 20 cancelled; 20 × (30 / 100) = 6 of them were ahead.
        let rule = QueueRule::ProRata;
        let mut queue = QueuePosition::new(lots(40));
        queue.on_trade(lots(10));
        assert_eq!(queue.ahead(), lots(30));
        queue.on_depth_change(rule, lots(100), lots(70), Quantity::ZERO);
        assert_eq!(queue.ahead(), lots(24));
        // The level drops to 5 (65 cancelled, no trades): 65 × 24 / 70 = 22.285714 ahead
        // cancelled -> 1.714286 lots left.
        queue.on_depth_change(rule, lots(70), lots(5), Quantity::ZERO);
        assert_eq!(queue.ahead(), Quantity::from_raw(1_714_286));
        // An increase (orders joining behind us) changes nothing.
        queue.on_depth_change(rule, lots(5), lots(50), Quantity::ZERO);
        assert_eq!(queue.ahead(), Quantity::from_raw(1_714_286));
        // 40 ahead at 100; 60 traded (explained), the level shows 30: 10 cancelled, 4 of them
        // ahead -> 36, but only 30 rest there: capped at 30.
        let mut capped = QueuePosition::new(lots(40));
        capped.traded_since_depth = lots(60);
        capped.on_depth_change(rule, lots(100), lots(30), Quantity::ZERO);
        assert_eq!(capped.ahead(), lots(30));
    }

    #[test]
    fn risk_averse_moves_only_on_trades_and_caps_at_a_shrinking_level() {
        let rule = QueueRule::RiskAverse;
        let mut queue = QueuePosition::new(lots(40));
        // 30 cancelled at a level of 100 -> 70: 40 ahead still fit, no advance.
        queue.on_depth_change(rule, lots(100), lots(70), Quantity::ZERO);
        assert_eq!(queue.ahead(), lots(40));
        // The level shrinks to 25: at most 25 can be ahead.
        queue.on_depth_change(rule, lots(70), lots(25), Quantity::ZERO);
        assert_eq!(queue.ahead(), lots(25));
        // Growth does not push us back.
        queue.on_depth_change(rule, lots(25), lots(90), Quantity::ZERO);
        assert_eq!(queue.ahead(), lots(25));
        // With 5 lots of our own ahead (40 = 35 venue + 5 own), a shrink to 20 caps the venue
        // part: 20 + 5 = 25.
        let mut own = QueuePosition::new(lots(40));
        own.on_depth_change(rule, lots(100), lots(20), lots(5));
        assert_eq!(own.ahead(), lots(25));
    }

    #[test]
    fn probabilistic_power_and_log_weights() {
        // front 2, back 6 (BTC), level 8 -> 6: 2 cancelled, no trades.
        // power 2: p = 36 / (36 + 4) = 0.9 -> ahead part (1 − 0.9) × 2 = 0.2 -> front 1.8.
        let front = units("2");
        let mut queue = QueuePosition::new(front);
        let power2 = QueueRule::Probabilistic(ProbabilityShape::Power(2.0));
        queue.on_depth_change(power2, units("8"), units("6"), Quantity::ZERO);
        assert_eq!(queue.ahead(), units("1.8"));
        // power 3: p = 216 / (216 + 8) = 0.964286 -> 2 × 0.035714 = 0.071429 -> 1.928571.
        let mut queue = QueuePosition::new(front);
        let power3 = QueueRule::Probabilistic(ProbabilityShape::Power(3.0));
        queue.on_depth_change(power3, units("8"), units("6"), Quantity::ZERO);
        assert_eq!(queue.ahead(), units("1.928571429"));
        // log: p = ln 7 / (ln 7 + ln 3) = 1.945910 / 3.044522 = 0.639151
        // -> 2 × 0.360849 = 0.721698 -> 1.278302.
        let mut queue = QueuePosition::new(front);
        let log = QueueRule::Probabilistic(ProbabilityShape::Log);
        queue.on_depth_change(log, units("8"), units("6"), Quantity::ZERO);
        let ahead = queue.ahead().as_f64();
        assert!((ahead - 1.278302).abs() < 1e-6, "{ahead}");
        // Trades explain the decrease: 2 traded at the price (front 2 -> 0, 2 beyond),
        // then the level shows 6: nothing cancelled, nothing more moves.
        let mut queue = QueuePosition::new(front);
        queue.on_trade(units("2"));
        queue.on_depth_change(power2, units("8"), units("6"), Quantity::ZERO);
        assert_eq!(queue.ahead(), Quantity::ZERO);
        assert_eq!(queue.fillable(lots(1)), Quantity::ZERO);
    }

    #[test]
    fn probabilistic_cancels_beyond_the_back_come_from_the_front() {
        // front 6, back 1, level 7 -> 2: 5 cancelled. power 2: p = 1 / (1 + 36) = 0.027027;
        // ahead part 5 × 0.972973 = 4.864865; p × 5 = 0.135135 <= back 1: no overflow
        // -> 1.135135.
        let rule = QueueRule::Probabilistic(ProbabilityShape::Power(2.0));
        let mut queue = QueuePosition::new(units("6"));
        queue.on_depth_change(rule, units("7"), units("2"), Quantity::ZERO);
        assert_eq!(queue.ahead(), units("1.135135135"));
        // front 1, back 1, level 2 -> 0: 2 cancelled, p = 0.5: ahead part 1, p × 2 = 1
        // = back: the front is gone, and the level is empty anyway.
        let mut queue = QueuePosition::new(units("1"));
        queue.on_depth_change(rule, units("2"), Quantity::ZERO, Quantity::ZERO);
        assert_eq!(queue.ahead(), Quantity::ZERO);
    }

    #[test]
    fn our_own_orders_ahead_stay_ahead_until_they_leave() {
        // 10 venue lots + 3 of our own ahead; a shrink of the venue level to 4 (power 2 with
        // back 0: p = 0 -> all 6 cancels were ahead) leaves 4 venue + 3 own = 7.
        let rule = QueueRule::Probabilistic(ProbabilityShape::Power(2.0));
        let mut queue = QueuePosition::new(lots(13));
        queue.on_depth_change(rule, lots(10), lots(4), lots(3));
        assert_eq!(queue.ahead(), lots(7));
        // Our earlier order (3 lots) is cancelled: 4 remain ahead.
        queue.own_order_left(lots(3));
        assert_eq!(queue.ahead(), lots(4));
    }
}
