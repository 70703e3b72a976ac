//! [`ConsumedLevels`]: the liquidity our own taker orders took from the venue's levels (SPEC 5:
//! size our orders took from a level, walking depth or at the touch, is not available to our
//! later orders until the venue's book shows the level refilled).
//!
//! The recorded book never shows our trades, so after we take `taken` from a level that showed
//! `shown`, our later orders see `size − taken` there. The venue's later updates of the level:
//! - a size above what it showed (orders joined) refills what we took by the increase;
//! - a smaller size (others traded or cancelled) leaves what we took gone;
//! - an empty level, a level the touch moved past (quotes) or a cleared book forgets it.
//!
//! A handful of levels at most are remembered at a time (those our orders just took), so a
//! small vector is the whole structure.

use auction_trader_types::{BookSide, Price, Quantity};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Consumed {
    side: BookSide,
    price: Price,
    /// Still missing from the venue's size for us.
    taken: Quantity,
    /// The venue's size at the latest update we saw.
    shown: Quantity,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ConsumedLevels {
    levels: Vec<Consumed>,
}

impl ConsumedLevels {
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.levels.is_empty()
    }

    pub fn clear(&mut self) {
        self.levels.clear();
    }

    /// Our order took `quantity` from a level showing `shown`.
    pub fn take(&mut self, side: BookSide, price: Price, quantity: Quantity, shown: Quantity) {
        match self
            .levels
            .iter_mut()
            .find(|level| level.side == side && level.price == price)
        {
            Some(level) => level.taken = level.taken.saturating_add(quantity),
            None => self.levels.push(Consumed {
                side,
                price,
                taken: quantity,
                shown,
            }),
        }
    }

    /// What our orders took at the level and have not seen refilled.
    #[inline]
    pub fn taken_at(&self, side: BookSide, price: Price) -> Quantity {
        self.levels
            .iter()
            .find(|level| level.side == side && level.price == price)
            .map_or(Quantity::ZERO, |level| level.taken)
    }

    /// The venue's size of the level is now `size` (a depth row, or the quote's touch).
    /// Out of line: the exchange calls it only while something is remembered.
    #[inline(never)]
    pub fn on_level(&mut self, side: BookSide, price: Price, size: Quantity) {
        self.levels.retain_mut(|level| {
            if level.side != side || level.price != price {
                return true;
            }
            if !size.is_positive() {
                return false;
            }
            if size > level.shown {
                level.taken = level.taken.saturating_sub(size.saturating_sub(level.shown));
            }
            level.shown = size;
            level.taken.is_positive()
        });
    }

    /// A quote shows the touch of `side` at `price` with `size`: levels better than it are gone
    /// (the touch moved past them), the level at it updates.
    pub fn on_touch(&mut self, side: BookSide, price: Price, size: Quantity) {
        if !price.is_positive() {
            return;
        }
        self.levels.retain(|level| {
            level.side != side
                || match side {
                    BookSide::Ask => level.price >= price,
                    BookSide::Bid => level.price <= price,
                }
        });
        self.on_level(side, price, size);
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
    fn a_level_we_took_is_back_only_as_far_as_it_refills() {
        let mut consumed = ConsumedLevels::default();
        // We take 2 of 2 at 100.1, then 1 more of 5 at 100.2.
        consumed.take(BookSide::Ask, px("100.1"), qty("2"), qty("2"));
        consumed.take(BookSide::Ask, px("100.2"), qty("1"), qty("5"));
        assert_eq!(consumed.taken_at(BookSide::Ask, px("100.1")), qty("2"));
        // 100.1 shows 2 again (a cancel and a new order of the same size): not refilled.
        consumed.on_level(BookSide::Ask, px("100.1"), qty("2"));
        assert_eq!(consumed.taken_at(BookSide::Ask, px("100.1")), qty("2"));
        // 100.1 shows 1 (others took 1): what we took is still gone.
        consumed.on_level(BookSide::Ask, px("100.1"), qty("1"));
        assert_eq!(consumed.taken_at(BookSide::Ask, px("100.1")), qty("2"));
        // 100.1 grows to 2.5: 1.5 joined, refilling 1.5 of our 2 -> 0.5 still taken.
        consumed.on_level(BookSide::Ask, px("100.1"), qty("2.5"));
        assert_eq!(consumed.taken_at(BookSide::Ask, px("100.1")), qty("0.5"));
        // Grows to 4: fully refilled, forgotten.
        consumed.on_level(BookSide::Ask, px("100.1"), qty("4"));
        assert_eq!(
            consumed.taken_at(BookSide::Ask, px("100.1")),
            Quantity::ZERO
        );
        // 100.2 empties: forgotten.
        consumed.on_level(BookSide::Ask, px("100.2"), Quantity::ZERO);
        assert!(consumed.is_empty());
    }

    #[test]
    fn a_touch_that_moved_past_a_level_forgets_it() {
        let mut consumed = ConsumedLevels::default();
        consumed.take(BookSide::Bid, px("99.9"), qty("1"), qty("3"));
        // The bid moves up to 100.0: 99.9 is behind the touch, still remembered.
        consumed.on_touch(BookSide::Bid, px("100.0"), qty("1"));
        assert_eq!(consumed.taken_at(BookSide::Bid, px("99.9")), qty("1"));
        // The bid drops to 99.8: 99.9 emptied.
        consumed.on_touch(BookSide::Bid, px("99.8"), qty("4"));
        assert!(consumed.is_empty());
    }
}
