//! [`OrderBook`]: an L2 book keyed on integer ticks (`price.raw / tick_raw`).
//!
//! The tick is given by the caller or inferred from the data as the greatest common divisor of
//! the prices seen. A price that is not a multiple of the current tick refines the tick to the
//! GCD and re-grids the book (never a rounded, corrupted level). Each side is a
//! [`Ladder`](crate::ladder): a dense window of slots plus a sorted store for far levels.

use auction_trader_types::{BookDelta, BookSide, Price, Quantity};

use crate::BookError;
use crate::ladder::{DEFAULT_WINDOW_TICKS, Ladder, MIN_WINDOW_TICKS};
use crate::tick_divisor::TickDivisor;

/// An integer-tick L2 order book (SPEC 1.1 depth, SPEC 1.5 book reconstruction).
#[derive(Debug, Clone)]
pub struct OrderBook {
    /// Raw tick (10^-9 units); 0 until the first price when inferring.
    tick: i64,
    /// Divides raw prices by `tick` (kept equal to it).
    divisor: TickDivisor,
    /// How many times a price forced a finer tick (re-grids).
    tick_refinements: u64,
    bids: Ladder,
    asks: Ladder,
}

impl Default for OrderBook {
    fn default() -> Self {
        Self::with_inferred_tick()
    }
}

/// Greatest common divisor of two positive raw values.
fn gcd(mut left: i64, mut right: i64) -> i64 {
    while right != 0 {
        (left, right) = (right, left % right);
    }
    left.abs()
}

impl OrderBook {
    /// A book whose tick is inferred from the data (GCD of the prices seen).
    pub fn with_inferred_tick() -> Self {
        Self {
            tick: 0,
            divisor: TickDivisor::new(0),
            tick_refinements: 0,
            bids: Ladder::new(DEFAULT_WINDOW_TICKS),
            asks: Ladder::new(DEFAULT_WINDOW_TICKS),
        }
    }

    /// A book on a known tick. A price off this grid later refines the tick (see module doc).
    pub fn new(tick_size: Price) -> Result<Self, BookError> {
        Self::with_window(Some(tick_size), DEFAULT_WINDOW_TICKS)
    }

    /// A book with an explicit dense-window width in ticks per side (memory/speed trade-off;
    /// `None` tick = inferred).
    pub fn with_window(tick_size: Option<Price>, window_ticks: usize) -> Result<Self, BookError> {
        if window_ticks < MIN_WINDOW_TICKS {
            return Err(BookError::WindowTooSmall(window_ticks));
        }
        let tick = match tick_size {
            Some(tick) if !tick.is_positive() => return Err(BookError::NonPositiveTick(tick)),
            Some(tick) => tick.raw(),
            None => 0,
        };
        Ok(Self {
            tick,
            divisor: TickDivisor::new(tick as u64),
            tick_refinements: 0,
            bids: Ladder::new(window_ticks),
            asks: Ladder::new(window_ticks),
        })
    }

    /// The current tick, `None` before the first price when inferring.
    pub fn tick_size(&self) -> Option<Price> {
        (self.tick > 0).then(|| Price::from_raw(self.tick))
    }

    /// Number of re-grids forced by prices off the tick grid.
    pub fn tick_refinements(&self) -> u64 {
        self.tick_refinements
    }

    /// Applies one flattened L2 row: `CLEAR` empties the book first, an `EMPTY` row changes no
    /// level, otherwise the level is set to the row's absolute size (0 removes it). Sequencing
    /// is not checked here (see [`crate::SequencedBook`]).
    /// Always inlined, like the rest of the per-row replay path: an out-of-line call with its
    /// `Result` written through memory cost as much as the update.
    #[inline(always)]
    pub fn apply(&mut self, delta: &BookDelta) -> Result<(), BookError> {
        if delta.flags.is_clear() {
            self.clear();
        }
        if delta.flags.is_empty_message() {
            return Ok(());
        }
        self.set_level(delta.side, delta.price, delta.size)
    }

    /// Sets the absolute size of one level; zero removes it (SPEC 1.1). Removing a level that
    /// does not exist is normal (Binance: "can happen and is normal") and changes nothing.
    #[inline(always)]
    pub fn set_level(
        &mut self,
        side: BookSide,
        price: Price,
        size: Quantity,
    ) -> Result<(), BookError> {
        let raw = price.raw();
        // SPEC 1.3: no negative or zero prices, no negative sizes.
        if raw <= 0 {
            return Err(BookError::NonPositivePrice { side, price });
        }
        if size.is_negative() {
            return Err(BookError::NegativeSize { side, price, size });
        }
        let size_raw = size.raw();
        // raw > 0; a remainder also means "no tick yet" (the divisor of tick 0).
        let ticks = match self.divisor.div_rem(raw as u64) {
            (ticks, 0) => ticks as i64,
            _ => self.refine_tick(raw),
        };
        match side {
            BookSide::Bid => self.bids.set(-ticks, size_raw),
            BookSide::Ask => self.asks.set(ticks, size_raw),
        }
        Ok(())
    }

    /// Makes `raw` a multiple of the tick: tick = gcd(tick, raw), and re-grids existing levels.
    /// Returns `raw` in ticks of the new grid.
    #[cold]
    fn refine_tick(&mut self, raw: i64) -> i64 {
        if self.tick <= 0 {
            self.set_tick(raw);
            return 1;
        }
        let old_tick = self.tick;
        let new_tick = gcd(old_tick, raw);
        let factor = old_tick / new_tick;
        self.set_tick(new_tick);
        self.tick_refinements += 1;
        for ladder in [&mut self.bids, &mut self.asks] {
            let levels = ladder.drain_levels();
            for (key, size) in levels {
                // |key| * factor = price.raw / new_tick <= i64::MAX: no overflow.
                ladder.set(key * factor, size);
            }
        }
        raw / new_tick
    }

    /// The tick and its divisor, always together.
    fn set_tick(&mut self, tick: i64) {
        self.tick = tick;
        self.divisor = TickDivisor::new(tick as u64);
    }

    /// Removes every level (the tick is kept).
    pub fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
    }

    fn ladder(&self, side: BookSide) -> &Ladder {
        match side {
            BookSide::Bid => &self.bids,
            BookSide::Ask => &self.asks,
        }
    }

    /// Ladder key of a price on the current grid, `None` when the price is off the grid (no
    /// level can exist there).
    fn key_of(&self, side: BookSide, price: Price) -> Option<i64> {
        let raw = price.raw();
        if raw <= 0 {
            return None;
        }
        let ticks = match self.divisor.div_rem(raw as u64) {
            (ticks, 0) => ticks as i64,
            _ => return None,
        };
        Some(match side {
            BookSide::Bid => -ticks,
            BookSide::Ask => ticks,
        })
    }

    #[inline]
    fn level_of(
        &self,
        side: BookSide,
        key: i64,
        size: crate::ladder::RawSize,
    ) -> (Price, Quantity) {
        let ticks = match side {
            BookSide::Bid => -key,
            BookSide::Ask => key,
        };
        (Price::from_raw(ticks * self.tick), Quantity::from_raw(size))
    }

    /// Best level of one side.
    #[inline]
    pub fn best(&self, side: BookSide) -> Option<(Price, Quantity)> {
        self.ladder(side)
            .best()
            .map(|(key, size)| self.level_of(side, key, size))
    }

    /// Best price of one side, without its size (the cheap form of [`Self::best`]).
    #[inline]
    pub fn best_price(&self, side: BookSide) -> Option<Price> {
        let key = self.ladder(side).best_key()?;
        let ticks = match side {
            BookSide::Bid => -key,
            BookSide::Ask => key,
        };
        Some(Price::from_raw(ticks * self.tick))
    }

    /// Highest bid and its size.
    #[inline]
    pub fn best_bid(&self) -> Option<(Price, Quantity)> {
        self.best(BookSide::Bid)
    }

    /// Lowest ask and its size.
    #[inline]
    pub fn best_ask(&self) -> Option<(Price, Quantity)> {
        self.best(BookSide::Ask)
    }

    /// Resting size at `price` (zero when there is no level).
    pub fn depth_at(&self, side: BookSide, price: Price) -> Quantity {
        let size = self
            .key_of(side, price)
            .map_or(0, |key| self.ladder(side).size_at(key));
        Quantity::from_raw(size)
    }

    /// The best `n` levels of one side, best first.
    pub fn top_levels(
        &self,
        side: BookSide,
        n: usize,
    ) -> impl Iterator<Item = (Price, Quantity)> + '_ {
        self.ladder(side)
            .iter()
            .take(n)
            .map(move |(key, size)| self.level_of(side, key, size))
    }

    /// Clears `buffer` and fills it with the best `n` levels of one side (no allocation once
    /// the buffer has grown).
    pub fn fill_top_levels(&self, side: BookSide, n: usize, buffer: &mut Vec<(Price, Quantity)>) {
        buffer.clear();
        buffer.extend(self.top_levels(side, n));
    }

    /// Total size of the best `n` levels of one side (exact: summed in `i128`).
    pub fn volume(&self, side: BookSide, n: usize) -> Quantity {
        Quantity::from_raw(self.ladder(side).volume(n))
    }

    /// SPEC 2.5 order-book imbalance over the best `n_levels` of each side:
    /// `(bid_vol - ask_vol) / (bid_vol + ask_vol)`, in [-1, 1]; `None` when both are empty.
    pub fn imbalance(&self, n_levels: usize) -> Option<f64> {
        let bid = self.bids.volume(n_levels);
        let ask = self.asks.volume(n_levels);
        let total = bid + ask;
        (total > 0).then(|| (bid - ask) as f64 / total as f64)
    }

    /// SPEC 1.3: best bid >= best ask.
    pub fn is_crossed(&self) -> bool {
        match (self.bids.best(), self.asks.best()) {
            // Bid key is -ticks: crossed when bid ticks >= ask ticks.
            (Some((bid_key, _)), Some((ask_key, _))) => -bid_key >= ask_key,
            _ => false,
        }
    }

    /// Number of levels on one side.
    pub fn level_count(&self, side: BookSide) -> usize {
        self.ladder(side).len()
    }

    /// Levels on both sides.
    pub fn total_levels(&self) -> usize {
        self.bids.len() + self.asks.len()
    }

    /// True when neither side has a level.
    pub fn is_empty(&self) -> bool {
        self.bids.is_empty() && self.asks.is_empty()
    }

    /// Mid price `(bid + ask) / 2`, rounded down to the 10^-9 grid when the sum is odd in raw
    /// units (never on a 10^-8 or coarser tick); `None` unless both sides exist.
    pub fn mid(&self) -> Option<Price> {
        let (bid, _) = self.best_bid()?;
        let (ask, _) = self.best_ask()?;
        let sum = i128::from(bid.raw()) + i128::from(ask.raw());
        i64::try_from(sum.div_euclid(2)).ok().map(Price::from_raw)
    }

    /// Best ask minus best bid (negative when crossed); `None` unless both sides exist.
    pub fn spread(&self) -> Option<Price> {
        let (bid, _) = self.best_bid()?;
        let (ask, _) = self.best_ask()?;
        ask.checked_sub(bid)
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{DeltaFlags, UnixNanos};

    use super::*;

    fn price(text: &str) -> Price {
        Price::from_decimal_str(text).unwrap()
    }

    fn size(text: &str) -> Quantity {
        Quantity::from_decimal_str(text).unwrap()
    }

    fn set(book: &mut OrderBook, side: BookSide, px: &str, qty: &str) {
        book.set_level(side, price(px), size(qty)).unwrap();
    }

    #[test]
    fn best_levels_depth_and_mid() {
        let mut book = OrderBook::new(price("0.1")).unwrap();
        set(&mut book, BookSide::Bid, "61800.2", "2.507");
        set(&mut book, BookSide::Bid, "61800.1", "0.696");
        set(&mut book, BookSide::Ask, "61800.3", "2.510");
        set(&mut book, BookSide::Ask, "61800.5", "1");
        assert_eq!(book.best_bid(), Some((price("61800.2"), size("2.507"))));
        assert_eq!(book.best_ask(), Some((price("61800.3"), size("2.510"))));
        assert_eq!(
            book.depth_at(BookSide::Bid, price("61800.1")),
            size("0.696")
        );
        assert_eq!(
            book.depth_at(BookSide::Bid, price("61800.15")),
            Quantity::ZERO
        );
        // (61800.2 + 61800.3) / 2 = 61800.25; spread 0.1.
        assert_eq!(book.mid(), Some(price("61800.25")));
        assert_eq!(book.spread(), Some(price("0.1")));
        assert!(!book.is_crossed());
        assert_eq!(book.level_count(BookSide::Bid), 2);
        assert_eq!(book.total_levels(), 4);
    }

    #[test]
    fn meme_coin_level_sizes_fit_exactly() {
        // PEPE-sized depth: 10^13 units at one level (beyond an 8-byte slot's 1.8·10^10
        // units) and 1.2·10^10 at the next, kept exactly in window and far store alike.
        let mut book = OrderBook::with_window(Some(price("0.000000001")), 16).unwrap();
        set(&mut book, BookSide::Bid, "0.000007120", "10000000000000");
        set(&mut book, BookSide::Bid, "0.000007119", "12000000000");
        set(&mut book, BookSide::Bid, "0.000006000", "10000000000000.5");
        assert_eq!(
            book.best_bid(),
            Some((price("0.000007120"), size("10000000000000")))
        );
        let levels: Vec<_> = book.top_levels(BookSide::Bid, 3).collect();
        assert_eq!(levels[1], (price("0.000007119"), size("12000000000")));
        assert_eq!(levels[2], (price("0.000006000"), size("10000000000000.5")));
        assert_eq!(book.volume(BookSide::Bid, 3), size("20012000000000.5"));
    }

    #[test]
    fn imbalance_follows_spec_2_5() {
        let mut book = OrderBook::new(price("1")).unwrap();
        set(&mut book, BookSide::Bid, "100", "3");
        set(&mut book, BookSide::Bid, "99", "5");
        set(&mut book, BookSide::Ask, "101", "1");
        set(&mut book, BookSide::Ask, "102", "1");
        // Two levels: bid 8, ask 2 -> (8 - 2) / (8 + 2) = 0.6.
        assert!((book.imbalance(2).unwrap() - 0.6).abs() < 1e-12);
        // One level: bid 3, ask 1 -> (3 - 1) / 4 = 0.5.
        assert!((book.imbalance(1).unwrap() - 0.5).abs() < 1e-12);
        assert_eq!(OrderBook::with_inferred_tick().imbalance(20), None);
    }

    #[test]
    fn top_levels_are_best_first_and_include_far_levels() {
        let mut book = OrderBook::with_window(Some(price("0.1")), 16).unwrap();
        set(&mut book, BookSide::Bid, "61800.2", "1");
        set(&mut book, BookSide::Bid, "58710.2", "0.014"); // 30,900 ticks away
        set(&mut book, BookSide::Bid, "61799.0", "2");
        let levels: Vec<_> = book.top_levels(BookSide::Bid, 10).collect();
        assert_eq!(
            levels,
            vec![
                (price("61800.2"), size("1")),
                (price("61799"), size("2")),
                (price("58710.2"), size("0.014")),
            ]
        );
        let mut buffer = Vec::new();
        book.fill_top_levels(BookSide::Bid, 2, &mut buffer);
        assert_eq!(buffer.len(), 2);
        assert_eq!(book.volume(BookSide::Bid, 3), size("3.014"));
    }

    #[test]
    fn the_tick_is_inferred_and_refined_without_losing_levels() {
        let mut book = OrderBook::with_inferred_tick();
        assert_eq!(book.tick_size(), None);
        set(&mut book, BookSide::Bid, "61800", "1");
        assert_eq!(book.tick_size(), Some(price("61800")));
        set(&mut book, BookSide::Ask, "61800.1", "2");
        // gcd(618000, 618001) tenths = 1 tenth: tick 0.1.
        assert_eq!(book.tick_size(), Some(price("0.1")));
        // A price off the grid refines it: gcd(10, 6180025) hundredths = 5 -> tick 0.05.
        set(&mut book, BookSide::Ask, "61800.25", "3");
        assert_eq!(book.tick_size(), Some(price("0.05")));
        assert_eq!(book.tick_refinements(), 2);
        assert_eq!(book.best_bid(), Some((price("61800"), size("1"))));
        assert_eq!(book.best_ask(), Some((price("61800.1"), size("2"))));
        assert_eq!(book.depth_at(BookSide::Ask, price("61800.1")), size("2"));
    }

    #[test]
    fn crossed_books_are_reported_not_repaired() {
        let mut book = OrderBook::new(price("1")).unwrap();
        set(&mut book, BookSide::Bid, "101", "1");
        set(&mut book, BookSide::Ask, "101", "1");
        assert!(book.is_crossed());
        assert_eq!(book.spread(), Some(price("0")));
    }

    #[test]
    fn bad_rows_are_refused_and_leave_the_book_unchanged() {
        let mut book = OrderBook::new(price("1")).unwrap();
        set(&mut book, BookSide::Bid, "100", "1");
        assert!(matches!(
            book.set_level(BookSide::Bid, price("0"), size("1")),
            Err(BookError::NonPositivePrice { .. })
        ));
        assert!(matches!(
            book.set_level(BookSide::Ask, price("101"), size("-1")),
            Err(BookError::NegativeSize { .. })
        ));
        assert_eq!(book.total_levels(), 1);
        assert!(OrderBook::new(price("0")).is_err());
        assert!(OrderBook::with_window(None, 1).is_err());
    }

    #[test]
    fn apply_honours_clear_and_empty_flags() {
        let mut book = OrderBook::new(price("1")).unwrap();
        set(&mut book, BookSide::Bid, "100", "1");
        let row = |flags: u8, px: &str, qty: &str| BookDelta {
            ts_event: UnixNanos(0),
            ts_recv: UnixNanos(0),
            side: BookSide::Ask,
            price: price(px),
            size: size(qty),
            first_update_id: 0,
            last_update_id: 0,
            prev_update_id: 0,
            flags: DeltaFlags(flags),
        };
        book.apply(&row(DeltaFlags::EMPTY | DeltaFlags::LAST, "0", "0"))
            .unwrap();
        assert_eq!(book.total_levels(), 1);
        book.apply(&row(DeltaFlags::CLEAR | DeltaFlags::SNAPSHOT, "105", "2"))
            .unwrap();
        assert_eq!(book.best_bid(), None);
        assert_eq!(book.best_ask(), Some((price("105"), size("2"))));
    }
}

/// Property tests: the book equals a naive `BTreeMap` model after any sequence of updates.
#[cfg(test)]
mod properties {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Operation {
        Set {
            side: BookSide,
            ticks: i64,
            size: i128,
        },
        Clear,
    }

    /// Mostly levels near 61,800.0 on a 0.1 tick, some far away (thousands of ticks), a few
    /// removals of absent levels, rare clears; some sizes beyond an 8-byte slot (meme coins).
    fn operation() -> impl Strategy<Value = Operation> {
        let side = prop_oneof![Just(BookSide::Bid), Just(BookSide::Ask)];
        let ticks = prop_oneof![
            8 => -40_i64..40,
            1 => -40_000_i64..40_000,
        ];
        let wide = i128::from(u64::MAX);
        let size = prop_oneof![
            20 => Just(0_i128),
            50 => (1_i128..1_000).prop_map(|lots| lots * 1_000_000),
            1 => prop_oneof![Just(wide - 1), Just(wide), Just(wide + 1), wide..10_i128.pow(23)],
        ];
        prop_oneof![
            60 => (side, ticks, size)
                .prop_map(|(side, ticks, size)| Operation::Set { side, ticks: 618_000 + ticks, size }),
            1 => Just(Operation::Clear),
        ]
    }

    #[derive(Default)]
    struct Model {
        bids: BTreeMap<i64, i128>,
        asks: BTreeMap<i64, i128>,
    }

    impl Model {
        fn side(&self, side: BookSide) -> &BTreeMap<i64, i128> {
            match side {
                BookSide::Bid => &self.bids,
                BookSide::Ask => &self.asks,
            }
        }

        /// Levels best first as (raw price, raw size).
        fn levels(&self, side: BookSide) -> Vec<(i64, i128)> {
            let levels = self.side(side).iter().map(|(&price, &size)| (price, size));
            match side {
                BookSide::Bid => levels.rev().collect(),
                BookSide::Ask => levels.collect(),
            }
        }
    }

    fn raw_levels(book: &OrderBook, side: BookSide, n: usize) -> Vec<(i64, i128)> {
        book.top_levels(side, n)
            .map(|(price, size)| (price.raw(), size.raw()))
            .collect()
    }

    fn check(book: &OrderBook, model: &Model) -> Result<(), TestCaseError> {
        for side in [BookSide::Bid, BookSide::Ask] {
            let expected = model.levels(side);
            let actual = raw_levels(book, side, usize::MAX);
            prop_assert_eq!(&actual, &expected);
            prop_assert_eq!(book.level_count(side), expected.len());
            let best = book
                .best(side)
                .map(|(price, size)| (price.raw(), size.raw()));
            prop_assert_eq!(best, expected.first().copied());
            prop_assert_eq!(
                book.best_price(side).map(Price::raw),
                best.map(|(price, _)| price)
            );
            // Sizes are positive, prices strictly ordered best first.
            prop_assert!(actual.iter().all(|&(_, size)| size > 0));
            let ordered = actual.windows(2).all(|pair| match side {
                BookSide::Bid => pair[0].0 > pair[1].0,
                BookSide::Ask => pair[0].0 < pair[1].0,
            });
            prop_assert!(ordered, "levels out of order: {:?}", actual);
            prop_assert_eq!(
                raw_levels(book, side, 5),
                expected.iter().take(5).copied().collect::<Vec<_>>()
            );
            for &(price, size) in expected.iter().take(3) {
                prop_assert_eq!(book.depth_at(side, Price::from_raw(price)).raw(), size);
            }
        }
        let crossed = match (model.bids.keys().next_back(), model.asks.keys().next()) {
            (Some(bid), Some(ask)) => bid >= ask,
            _ => false,
        };
        prop_assert_eq!(book.is_crossed(), crossed);
        Ok(())
    }

    fn run(book: &mut OrderBook, tick: i64, operations: &[Operation]) -> Result<(), TestCaseError> {
        let mut model = Model::default();
        for operation in operations {
            match *operation {
                Operation::Set { side, ticks, size } => {
                    let price = ticks * tick;
                    book.set_level(side, Price::from_raw(price), Quantity::from_raw(size))
                        .map_err(|error| TestCaseError::fail(error.to_string()))?;
                    let levels = match side {
                        BookSide::Bid => &mut model.bids,
                        BookSide::Ask => &mut model.asks,
                    };
                    if size == 0 {
                        levels.remove(&price);
                    } else {
                        levels.insert(price, size);
                    }
                }
                Operation::Clear => {
                    book.clear();
                    model = Model::default();
                }
            }
            check(book, &model)?;
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn book_equals_the_reference_model(
            operations in prop::collection::vec(operation(), 1..300),
            window in prop_oneof![Just(4_usize), Just(16), Just(256), Just(DEFAULT_WINDOW_TICKS)],
        ) {
            let tick = 100_000_000; // 0.1
            let mut book = OrderBook::with_window(Some(Price::from_raw(tick)), window).unwrap();
            run(&mut book, tick, &operations)?;
        }

        #[test]
        fn an_inferred_tick_gives_the_same_book(
            operations in prop::collection::vec(operation(), 1..200),
            tick in prop_oneof![Just(1_i64), Just(10_000_000), Just(100_000_000), Just(500_000_000)],
        ) {
            let mut book = OrderBook::with_window(None, 64).unwrap();
            run(&mut book, tick, &operations)?;
            if let Some(inferred) = book.tick_size() {
                // The inferred tick divides every price seen.
                prop_assert_eq!(tick % inferred.raw() == 0 || inferred.raw() % tick == 0, true);
            }
        }

        #[test]
        fn imbalance_stays_within_bounds(
            operations in prop::collection::vec(operation(), 1..100),
            levels in 1_usize..30,
        ) {
            let mut book = OrderBook::with_window(None, 16).unwrap();
            run(&mut book, 100_000_000, &operations)?;
            if let Some(imbalance) = book.imbalance(levels) {
                prop_assert!((-1.0..=1.0).contains(&imbalance));
            }
        }
    }
}
