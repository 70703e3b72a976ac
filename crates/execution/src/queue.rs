//! [`QueuePosition`]: how much resting volume is ahead of one of our limit orders at its price,
//! and how much of the order the trades at that price have filled (SPEC 5 queue models).
//!
//! Trades at the price first consume the volume ahead; what trades beyond it fills the order
//! (partial fills: the fillable quantity is the volume beyond the queue, rounded down to lots).
//! The probabilistic model also moves the order up when orders ahead of it are cancelled.

use auction_trader_types::Quantity;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QueuePosition {
    /// Volume still ahead of the order (raw).
    ahead: i128,
    /// Volume traded at the price after the queue ahead was exhausted (raw).
    beyond: i128,
    /// Quantity already filled by the queue rule (raw).
    filled: i128,
    /// Volume traded at the price since the last depth update of the level: the part of the
    /// next depth decrease that trades explain (not cancels).
    traded_since_depth: i128,
}

impl QueuePosition {
    pub fn new(ahead: Quantity) -> Self {
        Self {
            ahead: ahead.raw().max(0),
            beyond: 0,
            filled: 0,
            traded_since_depth: 0,
        }
    }

    pub fn ahead(&self) -> Quantity {
        Quantity::from_raw(self.ahead)
    }

    /// A trade of `size` at the order's price (on the order's side of the book).
    pub fn on_trade(&mut self, size: Quantity) {
        let size = size.raw().max(0);
        self.traded_since_depth = self.traded_since_depth.saturating_add(size);
        let from_queue = size.min(self.ahead);
        self.ahead -= from_queue;
        self.beyond = self.beyond.saturating_add(size - from_queue);
    }

    /// Quantity the queue rule lets fill now: volume beyond the queue rounded down to whole
    /// lots, minus what already filled.
    pub fn fillable(&self, lot: Quantity) -> Quantity {
        let lot = lot.raw().max(1);
        let whole = self.beyond.div_euclid(lot) * lot;
        Quantity::from_raw((whole - self.filled).max(0))
    }

    pub fn record_fill(&mut self, quantity: Quantity) {
        self.filled = self.filled.saturating_add(quantity.raw());
    }

    /// Probabilistic model: the level's visible size went from `old` to `new`. A decrease not
    /// explained by trades since the last update is cancels; the share of them ahead of us is
    /// `ahead / old` (cancels are spread evenly through the queue). The queue ahead never
    /// exceeds what rests at the level.
    pub fn on_depth_change(&mut self, old: Quantity, new: Quantity) {
        let (old, new) = (old.raw().max(0), new.raw().max(0));
        let decrease = old - new;
        let cancels = (decrease - self.traded_since_depth).max(0);
        if cancels > 0 && old > 0 {
            // ahead <= old, so share <= cancels: exact unless cancels × ahead overflows, when
            // the split form below is used.
            let share = cancels
                .checked_mul(self.ahead)
                .map_or_else(|| cancels / old * self.ahead, |product| product / old);
            self.ahead -= share.min(self.ahead);
        }
        self.ahead = self.ahead.min(new);
        self.traded_since_depth = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lots(count: i64) -> Quantity {
        Quantity::from_raw(i128::from(count) * 1_000_000) // lot 0.001
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
        queue.on_trade(Quantity::from_raw(500_000));
        assert_eq!(queue.fillable(lot), Quantity::ZERO);
        queue.on_trade(Quantity::from_raw(500_000));
        assert_eq!(queue.fillable(lot), lots(1));
    }

    #[test]
    fn cancels_ahead_advance_the_order_pro_rata() {
        // 40 ahead of us at a level of 100; 10 trade, then the level shows 70:
        // decrease 30 = 10 traded + 20 cancelled; 20 × (30 / 100) = 6 of them were ahead.
        let mut queue = QueuePosition::new(lots(40));
        queue.on_trade(lots(10));
        assert_eq!(queue.ahead(), lots(30));
        queue.on_depth_change(lots(100), lots(70));
        assert_eq!(queue.ahead(), lots(24));
        // The level drops to 5 (65 cancelled, no trades): 65 × 24 / 70 = 22.285714 ahead
        // cancelled -> 1.714286 lots left.
        queue.on_depth_change(lots(70), lots(5));
        assert_eq!(queue.ahead(), Quantity::from_raw(1_714_286));
        // An increase (orders joining behind us) changes nothing.
        queue.on_depth_change(lots(5), lots(50));
        assert_eq!(queue.ahead(), Quantity::from_raw(1_714_286));
        // 40 ahead at 100; 60 trade, the level shows 30: 10 cancelled, 4 of them ahead -> 36,
        // but only 30 rest there: capped at 30.
        let mut capped = QueuePosition::new(lots(40));
        capped.on_trade(lots(60));
        assert_eq!(capped.ahead(), Quantity::ZERO);
        let mut capped = QueuePosition::new(lots(40));
        capped.traded_since_depth = lots(60).raw();
        capped.on_depth_change(lots(100), lots(30));
        assert_eq!(capped.ahead(), lots(30));
    }
}
