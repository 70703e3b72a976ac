//! [`DepthMemory`]: what the exchange assumes rests at a price whose depth it cannot see (SPEC 5:
//! a resting limit whose depth at arrival is unknown — a price behind the touch in quote-only
//! data — assumes the larger of the last known size at that price and the median touch size,
//! never 0).
//!
//! - Last known size: the latest size a quote showed at the price while it was the touch, per
//!   side, in a direct-mapped table of 1,024 prices (one store per quote; a price 1,024 ticks
//!   away from another one overwrites it, an old memory the rule can do without).
//! - Median touch size: the median of the last 255 touch sizes quoted (both sides). Without
//!   any quote (trades only), the median of the last 255 trade sizes stands in for it.
//! - Nothing seen at all: one lot (never 0).

use auction_trader_types::{BookSide, Price, Quantity};

const SLOTS: usize = 1_024;
const SAMPLES: usize = 255;

/// A ring of the latest sizes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Samples {
    values: Vec<Quantity>,
    next: usize,
}

impl Samples {
    fn new() -> Self {
        Self {
            values: Vec::with_capacity(SAMPLES),
            next: 0,
        }
    }

    #[inline]
    fn push(&mut self, value: Quantity) {
        if self.values.len() < SAMPLES {
            self.values.push(value);
        } else {
            self.values[self.next] = value;
        }
        self.next = (self.next + 1) % SAMPLES;
    }

    /// The median (the upper one of an even count); `None` when empty.
    fn median(&self) -> Option<Quantity> {
        if self.values.is_empty() {
            return None;
        }
        let mut values = self.values.clone();
        let middle = values.len() / 2;
        let (_, median, _) = values.select_nth_unstable(middle);
        Some(*median)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DepthMemory {
    tick: i64,
    /// (price, size) per side, slot = price in ticks mod `SLOTS`.
    last_known: [Vec<(Price, Quantity)>; 2],
    touch_sizes: Samples,
    trade_sizes: Samples,
}

const fn side_index(side: BookSide) -> usize {
    match side {
        BookSide::Bid => 0,
        BookSide::Ask => 1,
    }
}

impl DepthMemory {
    pub fn new(tick: Price) -> Self {
        Self {
            tick: tick.raw().max(1),
            last_known: [
                vec![(Price::ZERO, Quantity::ZERO); SLOTS],
                vec![(Price::ZERO, Quantity::ZERO); SLOTS],
            ],
            touch_sizes: Samples::new(),
            trade_sizes: Samples::new(),
        }
    }

    #[inline]
    fn slot(&self, price: Price) -> usize {
        usize::try_from((price.raw() / self.tick).rem_euclid(SLOTS as i64)).unwrap_or(0)
    }

    /// A quote showed `size` at the touch `price` of `side`.
    #[inline]
    pub fn on_touch(&mut self, side: BookSide, price: Price, size: Quantity) {
        if !price.is_positive() {
            return;
        }
        let slot = self.slot(price);
        self.last_known[side_index(side)][slot] = (price, size);
        self.touch_sizes.push(size);
    }

    #[inline]
    pub fn on_trade(&mut self, size: Quantity) {
        self.trade_sizes.push(size);
    }

    /// The depth assumed at `price` on `side`: max(last known there, median touch size), at
    /// least `lot`.
    pub fn assumed_depth(&self, side: BookSide, price: Price, lot: Quantity) -> Quantity {
        let (known_price, known_size) = self.last_known[side_index(side)][self.slot(price)];
        let last_known = if known_price == price {
            known_size
        } else {
            Quantity::ZERO
        };
        let median = self
            .touch_sizes
            .median()
            .or_else(|| self.trade_sizes.median())
            .unwrap_or(Quantity::ZERO);
        last_known.max(median).max(lot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn px(text: &str) -> Price {
        Price::from_decimal_str(text).unwrap()
    }

    fn qty(text: &str) -> Quantity {
        Quantity::from_decimal_str(text).unwrap()
    }

    #[test]
    fn the_larger_of_the_last_known_size_and_the_median_touch() {
        let lot = qty("0.001");
        let mut memory = DepthMemory::new(px("0.1"));
        // Nothing seen: one lot.
        assert_eq!(memory.assumed_depth(BookSide::Bid, px("99.8"), lot), lot);
        // Trades only: the median trade size (0.2 of 0.1, 0.2, 0.5).
        for size in ["0.1", "0.5", "0.2"] {
            memory.on_trade(qty(size));
        }
        assert_eq!(
            memory.assumed_depth(BookSide::Bid, px("99.8"), lot),
            qty("0.2")
        );
        // Touches: bid 99.9 × 4, ask 100.0 × 1, bid 99.8 × 0.5, ask 100.0 × 2, bid 99.9 × 3.5
        // -> sizes 4, 1, 0.5, 2, 3.5: median 2.
        memory.on_touch(BookSide::Bid, px("99.9"), qty("4"));
        memory.on_touch(BookSide::Ask, px("100.0"), qty("1"));
        memory.on_touch(BookSide::Bid, px("99.8"), qty("0.5"));
        memory.on_touch(BookSide::Ask, px("100.0"), qty("2"));
        memory.on_touch(BookSide::Bid, px("99.9"), qty("3.5"));
        // 99.9 last showed 3.5 > median 2; 99.8 last showed 0.5 < 2; 99.7 never seen: 2.
        assert_eq!(
            memory.assumed_depth(BookSide::Bid, px("99.9"), lot),
            qty("3.5")
        );
        assert_eq!(
            memory.assumed_depth(BookSide::Bid, px("99.8"), lot),
            qty("2")
        );
        assert_eq!(
            memory.assumed_depth(BookSide::Bid, px("99.7"), lot),
            qty("2")
        );
        // 202.3, 1,024 ticks above 99.9, shares its slot: the memory of 99.9 is replaced
        // (sizes 0.1, 0.5, 1, 2, 3.5, 4: median 2).
        memory.on_touch(BookSide::Bid, px("202.3"), qty("0.1"));
        assert_eq!(
            memory.assumed_depth(BookSide::Bid, px("99.9"), lot),
            qty("2")
        );
    }

    #[test]
    fn the_median_follows_the_last_255_sizes() {
        let mut memory = DepthMemory::new(px("0.1"));
        for _ in 0..255 {
            memory.on_touch(BookSide::Ask, px("100.0"), qty("1"));
        }
        for _ in 0..128 {
            memory.on_touch(BookSide::Ask, px("100.0"), qty("5"));
        }
        // 127 ones and 128 fives remain: median 5.
        assert_eq!(
            memory.assumed_depth(BookSide::Bid, px("90.0"), qty("0.001")),
            qty("5")
        );
    }
}
