//! [`MarketView`]: the simulated exchange's own picture of the market (L2 book, latest quote,
//! last trade, recorded mark price and funding rate), and where a taker order would trade.
//!
//! Top of book: when depth is known (a snapshot has been applied) the book's best level is the
//! touch, unless a fresh quote (not older than `stale_quote`) arrived after the last depth row:
//! Binance's bookTicker is real time while depth comes every 100 ms, so the newer of the two
//! wins. Without depth, a fresh quote is the touch. Otherwise there is no touch and takers are
//! priced from the last trade (SPEC 5).

use auction_trader_book::OrderBook;
use auction_trader_types::{
    BookDelta, BookSide, NANOS_PER_MINUTE, Price, Quantity, Quote, Trade, UnixNanos,
};

use crate::cost_model::MarketState;
use crate::own_liquidity::ConsumedLevels;
use crate::recent_market::RecentMarket;
use crate::typical_spread::TypicalSpread;
use crate::unknown_depth::DepthMemory;

/// SPEC 2.1 / 10: the typical spread is the time-weighted spread of the last 60 minutes.
const TYPICAL_SPREAD_WINDOW_NANOS: i64 = 60 * NANOS_PER_MINUTE;

/// One level a taker order can take: price and size available to it.
pub(crate) type Level = (Price, Quantity);

/// Where a taker order is priced from (SPEC 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TakerSource {
    /// Walk the L2 levels (depth known).
    Depth,
    /// The best opposite price from a fresh quote, for at most its size net of what our orders
    /// took there (the rest pays impact).
    Quote { price: Price, size: Quantity },
    /// The last trade ± half the typical spread, plus slippage, for the whole size.
    LastTrade(Price),
}

#[derive(Debug, Clone)]
pub(crate) struct MarketView {
    pub book: OrderBook,
    /// A snapshot (or clear) row has been applied: the book is a full picture.
    pub book_synced: bool,
    pub last_depth_ts: UnixNanos,
    pub book_errors: u64,
    pub quote: Option<Quote>,
    pub last_trade: Option<(Price, UnixNanos)>,
    /// Latest recorded mark price (Funding events with a mark).
    pub recorded_mark: Option<Price>,
    /// Trades have been seen: bars are then ignored (no double counting). Quotes and depth do
    /// not count: bars that arrive with quotes (LEAN trade + quote files) stand for the prints,
    /// as they do for the engine's stops and targets.
    pub trades_seen: bool,
    /// Sizes seen at touches (and trades), for depth the exchange cannot see.
    pub depth_memory: DepthMemory,
    /// What our taker orders took from the venue's levels and have not seen refilled.
    pub consumed: ConsumedLevels,
    tick: Price,
    stale_quote: i64,
    /// An L2 book older than this no longer prices takers.
    stale_book: i64,
    /// Half spread in ticks used from the last trade while no quote has given a spread.
    fallback_ticks: i64,
    /// Time-weighted quoted spread of the last hour (SPEC 5: last trade ± half of it).
    typical_spread: TypicalSpread,
    /// Volume, volatility and Kyle's lambda of the last 30 minutes (the cost model's inputs).
    recent: RecentMarket,
}

impl MarketView {
    pub fn new(
        book: OrderBook,
        tick: Price,
        stale_quote: i64,
        stale_book: i64,
        fallback_ticks: i64,
        recent: RecentMarket,
    ) -> Self {
        Self {
            book,
            book_synced: false,
            last_depth_ts: UnixNanos(i64::MIN),
            book_errors: 0,
            quote: None,
            last_trade: None,
            recorded_mark: None,
            trades_seen: false,
            depth_memory: DepthMemory::new(tick),
            consumed: ConsumedLevels::default(),
            tick,
            stale_quote,
            stale_book,
            fallback_ticks,
            typical_spread: TypicalSpread::new(TYPICAL_SPREAD_WINDOW_NANOS),
            recent,
        }
    }

    pub fn apply_depth(&mut self, delta: &BookDelta) {
        if delta.flags.is_snapshot() || delta.flags.is_clear() {
            self.book_synced = true;
        }
        if delta.flags.is_clear() {
            self.consumed.clear();
        }
        if self.book.apply(delta).is_err() {
            self.book_errors += 1;
        }
        self.last_depth_ts = delta.ts_recv;
        if !self.consumed.is_empty() {
            self.consumed.on_level(delta.side, delta.price, delta.size);
        }
    }

    pub fn apply_quote(&mut self, quote: &Quote) {
        self.roll_recent(quote.ts_recv);
        if !self.book_synced {
            self.depth_memory
                .on_touch(BookSide::Bid, quote.bid_price, quote.bid_size);
            self.depth_memory
                .on_touch(BookSide::Ask, quote.ask_price, quote.ask_size);
        }
        self.quote = Some(*quote);
        let spread = (quote.ask_price > quote.bid_price && quote.bid_price.is_positive())
            .then(|| Price::from_raw(quote.ask_price.raw() - quote.bid_price.raw()));
        self.typical_spread.on_quote(quote.ts_recv, spread);
        if !self.consumed.is_empty() {
            self.consumed
                .on_touch(BookSide::Bid, quote.bid_price, quote.bid_size);
            self.consumed
                .on_touch(BookSide::Ask, quote.ask_price, quote.ask_size);
        }
    }

    /// A trade print: the last trade, and its flow for the cost model's market state.
    #[inline]
    pub fn apply_trade(&mut self, trade: &Trade) {
        self.roll_recent(trade.ts_recv);
        self.recent.on_trade(trade);
        self.last_trade = Some((trade.price, trade.ts_recv));
    }

    #[inline]
    fn roll_recent(&mut self, ts: UnixNanos) {
        if self.recent.due(ts) {
            let mid = self.latest_mid();
            self.recent.close_seconds(ts, mid);
        }
    }

    /// The latest mid whatever its age (the cost model's samples): the latest two-sided
    /// quote, else the book, else the last trade.
    fn latest_mid(&self) -> Option<f64> {
        let two_sided = |bid: Price, ask: Price| {
            (bid.is_positive() && ask >= bid).then(|| (bid.as_f64() + ask.as_f64()) / 2.0)
        };
        self.quote
            .and_then(|quote| two_sided(quote.bid_price, quote.ask_price))
            .or_else(|| {
                let (bid, _) = self.book.best(BookSide::Bid)?;
                let (ask, _) = self.book.best(BookSide::Ask)?;
                two_sided(bid, ask)
            })
            .or_else(|| self.last_trade.map(|(price, _)| price.as_f64()))
    }

    /// The cost model's market state now (SPEC 5), `None` until the exchange has seen enough
    /// trading (see `recent_market`): the mid slippage is measured against, the quoted spread
    /// (else the typical spread) and the trailing volume, volatility and Kyle's lambda.
    pub fn cost_state(&self, now: UnixNanos) -> Option<MarketState> {
        let recent = self.recent.estimate()?;
        let mid = self.reference_price(now)?.as_f64();
        let spread = match self.quote {
            Some(quote) if quote.ask_price > quote.bid_price && quote.bid_price.is_positive() => {
                quote.ask_price.as_f64() - quote.bid_price.as_f64()
            }
            _ => 2.0 * Price::from_raw(self.half_typical_spread(now)).as_f64(),
        };
        Some(MarketState {
            mid,
            spread,
            volatility_bps_per_minute: recent.volatility_bps_per_minute,
            volume_per_minute: recent.volume_per_minute,
            kyle_lambda_bps_per_million: recent.kyle_lambda_bps_per_million,
            vpin: None,
            passive_fill_probability: None,
            own_volume_30d: 0.0,
        })
    }

    /// Records that a taker order took `quantity` at a level (SPEC 5 own liquidity).
    pub fn consume(&mut self, side: BookSide, price: Price, quantity: Quantity, now: UnixNanos) {
        let shown = match self
            .quote_leads(now)
            .and_then(|quote| Self::quote_level(quote, side))
        {
            Some((touch, size)) if touch == price => size,
            _ => self.book.depth_at(side, price),
        };
        self.consumed.take(side, price, quantity, shown);
    }

    fn fresh_quote(&self, now: UnixNanos) -> Option<&Quote> {
        self.quote
            .as_ref()
            .filter(|quote| quote.ts_recv.as_i64().saturating_add(self.stale_quote) >= now.as_i64())
    }

    /// The quote's level of one side, when it has one.
    fn quote_level(quote: &Quote, side: BookSide) -> Option<Level> {
        let level = match side {
            BookSide::Bid => (quote.bid_price, quote.bid_size),
            BookSide::Ask => (quote.ask_price, quote.ask_size),
        };
        level.0.is_positive().then_some(level)
    }

    /// True when a fresh quote is newer than the book (it then defines the touch).
    fn quote_leads(&self, now: UnixNanos) -> Option<&Quote> {
        self.fresh_quote(now)
            .filter(|quote| !self.book_synced || quote.ts_recv >= self.last_depth_ts)
    }

    /// Best level of one side (see the module doc), `None` without depth or a fresh quote.
    pub fn touch(&self, side: BookSide, now: UnixNanos) -> Option<Level> {
        if let Some(quote) = self.quote_leads(now)
            && let Some(level) = Self::quote_level(quote, side)
        {
            return Some(level);
        }
        if self.book_synced {
            return self.book.best(side);
        }
        None
    }

    /// Price of [`Self::touch`] without its size (per-event strategy context).
    #[inline]
    pub fn touch_price(&self, side: BookSide, now: UnixNanos) -> Option<Price> {
        if let Some(quote) = self.quote_leads(now)
            && let Some((price, _)) = Self::quote_level(quote, side)
        {
            return Some(price);
        }
        if self.book_synced {
            return self.book.best_price(side);
        }
        None
    }

    /// [`Self::touch_price`] of both sides, `(bid, ask)`, deciding once whether the quote
    /// leads (the per-event strategy context).
    #[inline]
    pub fn touch_prices(&self, now: UnixNanos) -> (Option<Price>, Option<Price>) {
        let quote = self.quote_leads(now);
        let price = |side: BookSide| {
            if let Some(quote) = quote
                && let Some((price, _)) = Self::quote_level(quote, side)
            {
                return Some(price);
            }
            if self.book_synced {
                return self.book.best_price(side);
            }
            None
        };
        (price(BookSide::Bid), price(BookSide::Ask))
    }

    /// Mid of the touches, `None` unless both sides have one.
    pub fn mid(&self, now: UnixNanos) -> Option<Price> {
        let (bid, _) = self.touch(BookSide::Bid, now)?;
        let (ask, _) = self.touch(BookSide::Ask, now)?;
        let sum = i128::from(bid.raw()) + i128::from(ask.raw());
        i64::try_from(sum.div_euclid(2)).ok().map(Price::from_raw)
    }

    /// How a taker order on `side` of the book (the side it takes from) is priced now.
    pub fn taker_source(&self, side: BookSide, now: UnixNanos) -> Option<TakerSource> {
        if self.book_synced && self.book.best_price(side).is_some() && !self.book_stale(now) {
            return Some(TakerSource::Depth);
        }
        if let Some(quote) = self.fresh_quote(now)
            && let Some((price, size)) = Self::quote_level(quote, side)
        {
            let size = size.saturating_sub(self.consumed.taken_at(side, price));
            return Some(TakerSource::Quote { price, size });
        }
        let (last, _) = self.last_trade?;
        // SPEC 5: quotes absent or stale -> last trade ± half the typical spread (rounded up
        // to whole ticks); the configured ticks while no quote has shown a spread.
        let half_spread = self.half_typical_spread(now);
        let price = match side {
            BookSide::Ask => last.raw().saturating_add(half_spread),
            BookSide::Bid => last.raw().saturating_sub(half_spread).max(self.tick.raw()),
        };
        Some(TakerSource::LastTrade(Price::from_raw(price)))
    }

    /// The L2 book no longer prices takers (a recorder gap, a halted depth stream): no update
    /// for `stale_book`, and the tape has since printed outside the book's touch (the market
    /// moved away from it). A quiet book the tape still agrees with stays valid: a level that
    /// does not change sends no update.
    fn book_stale(&self, now: UnixNanos) -> bool {
        if self.last_depth_ts.as_i64().saturating_add(self.stale_book) >= now.as_i64() {
            return false;
        }
        match self.last_trade {
            Some((price, ts)) if ts > self.last_depth_ts => {
                self.book
                    .best_price(BookSide::Bid)
                    .is_some_and(|bid| price < bid)
                    || self
                        .book
                        .best_price(BookSide::Ask)
                        .is_some_and(|ask| price > ask)
            }
            _ => false,
        }
    }

    /// Half the typical spread in whole ticks (at least `fallback_ticks` ticks).
    pub fn half_typical_spread(&self, now: UnixNanos) -> i64 {
        let tick = self.tick.raw().max(1);
        let fallback = tick.saturating_mul(self.fallback_ticks);
        match self.typical_spread.value(now) {
            Some(spread) => {
                let half = spread.raw().div_euclid(2);
                let ticks = half.saturating_add(tick - 1).div_euclid(tick);
                ticks.saturating_mul(tick).max(fallback)
            }
            None => fallback,
        }
    }

    /// The price slippage is measured against: the mid of the touches, else the last trade.
    pub fn reference_price(&self, now: UnixNanos) -> Option<Price> {
        self.mid(now).or(self.last_trade.map(|(price, _)| price))
    }

    /// Price of the first level [`Self::depth_levels`] would return (the best level a taker
    /// order on `side` can take from, net of our consumption), without building the list: the
    /// touch of a fresh quote newer than the book unless our orders took all of it, else the
    /// best book level behind that touch with size left for us. `None` when nothing is left.
    #[inline]
    pub fn first_depth_price(&self, side: BookSide, now: UnixNanos) -> Option<Price> {
        let mut floor: Option<Price> = None;
        if let Some(quote) = self.quote_leads(now)
            && let Some((price, size)) = Self::quote_level(quote, side)
        {
            if size
                .saturating_sub(self.consumed.taken_at(side, price))
                .is_positive()
            {
                return Some(price);
            }
            floor = Some(price);
        }
        if floor.is_none() && self.consumed.is_empty() {
            // Every book level has a positive size and none is reduced by our orders: the
            // first one is the best.
            return self.book.best_price(side);
        }
        self.book
            .top_levels(side, usize::MAX)
            .find(|&(price, size)| {
                let behind_floor = floor.is_none_or(|touch| match side {
                    BookSide::Ask => price > touch,
                    BookSide::Bid => price < touch,
                });
                behind_floor
                    && size
                        .saturating_sub(self.consumed.taken_at(side, price))
                        .is_positive()
            })
            .map(|(price, _)| price)
    }

    /// The levels a taker order walks on `side`, best first, net of our earlier consumption,
    /// until their sizes add up to `needed`: a fresh quote newer than the book supplies the
    /// touch and hides book levels at or better than it (they are already gone). Replaces
    /// the content of `levels`.
    pub fn depth_levels(
        &self,
        side: BookSide,
        now: UnixNanos,
        needed: Quantity,
        levels: &mut Vec<Level>,
    ) {
        levels.clear();
        let mut total = Quantity::ZERO;
        let mut floor: Option<Price> = None;
        if let Some(quote) = self.quote_leads(now)
            && let Some((price, size)) = Self::quote_level(quote, side)
        {
            let available = size.saturating_sub(self.consumed.taken_at(side, price));
            if available.is_positive() {
                levels.push((price, available));
                total = total.saturating_add(available);
            }
            floor = Some(price);
        }
        if total >= needed {
            return;
        }
        for (price, size) in self.book.top_levels(side, usize::MAX) {
            if let Some(touch) = floor {
                let worse = match side {
                    BookSide::Ask => price > touch,
                    BookSide::Bid => price < touch,
                };
                if !worse {
                    continue;
                }
            }
            let available = size.saturating_sub(self.consumed.taken_at(side, price));
            if available.is_positive() {
                levels.push((price, available));
                total = total.saturating_add(available);
                if total >= needed {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{ContractType, DeltaFlags, QuoteFlags};

    use super::*;
    use crate::recent_market::RecentMarket;

    fn price(text: &str) -> Price {
        Price::from_decimal_str(text).unwrap()
    }

    fn size(text: &str) -> Quantity {
        Quantity::from_decimal_str(text).unwrap()
    }

    fn row(ts: i64, side: BookSide, level: &str, flags: u8) -> BookDelta {
        BookDelta {
            ts_event: UnixNanos(ts),
            ts_recv: UnixNanos(ts),
            side,
            price: price(level),
            size: size("2"),
            first_update_id: 1,
            last_update_id: 1,
            prev_update_id: 0,
            flags: DeltaFlags(flags),
        }
    }

    fn assert_prices_match_touch(market: &MarketView, now: i64) {
        for side in [BookSide::Bid, BookSide::Ask] {
            let now = UnixNanos(now);
            assert_eq!(
                market.touch_price(side, now),
                market.touch(side, now).map(|(price, _)| price)
            );
        }
        let now = UnixNanos(now);
        assert_eq!(
            market.touch_prices(now),
            (
                market.touch_price(BookSide::Bid, now),
                market.touch_price(BookSide::Ask, now)
            )
        );
    }

    /// `first_depth_price` is the first of `depth_levels` (asked for one raw unit), and the
    /// expected price.
    fn assert_first_depth(market: &MarketView, side: BookSide, now: i64, expected: &str) {
        let mut levels = Vec::new();
        market.depth_levels(side, UnixNanos(now), Quantity::from_raw(1), &mut levels);
        let first = market.first_depth_price(side, UnixNanos(now));
        assert_eq!(first, levels.first().map(|&(price, _)| price));
        assert_eq!(first, Some(price(expected)));
    }

    #[test]
    fn first_depth_price_skips_what_our_orders_took() {
        let book = OrderBook::new(price("0.1")).unwrap();
        let recent = RecentMarket::new(1_800, 60, ContractType::Linear, 1.0);
        let mut market = MarketView::new(book, price("0.1"), 250_000_000, 5_000_000_000, 1, recent);
        // Asks 100.5, 100.6, 100.7 and a bid at 100.0, 2 each.
        for level in ["100.5", "100.6", "100.7"] {
            market.apply_depth(&row(10, BookSide::Ask, level, DeltaFlags::SNAPSHOT));
        }
        market.apply_depth(&row(10, BookSide::Bid, "100.0", DeltaFlags::SNAPSHOT));
        assert_first_depth(&market, BookSide::Ask, 20, "100.5");
        assert_first_depth(&market, BookSide::Bid, 20, "100.0");
        // We take all 2 at 100.5: the next level is the first left for us.
        market.consume(BookSide::Ask, price("100.5"), size("2"), UnixNanos(20));
        assert_first_depth(&market, BookSide::Ask, 20, "100.6");
        // A fresher quote: ask 100.6 for 1 (the touch moved past 100.5), bid 100.1 for 1.
        market.apply_quote(&Quote {
            ts_event: UnixNanos(30),
            ts_recv: UnixNanos(30),
            bid_price: price("100.1"),
            bid_size: size("1"),
            ask_price: price("100.6"),
            ask_size: size("1"),
            update_id: 0,
            flags: QuoteFlags::default(),
        });
        assert_first_depth(&market, BookSide::Ask, 40, "100.6");
        assert_first_depth(&market, BookSide::Bid, 40, "100.1");
        // We take the quote's 1 at 100.6: book levels behind the touch, 100.7 first.
        market.consume(BookSide::Ask, price("100.6"), size("1"), UnixNanos(40));
        assert_first_depth(&market, BookSide::Ask, 40, "100.7");
        // Once the quote is stale the book leads: 100.5 (forgotten when the touch moved
        // past it) shows its 2 again; 100.6 has 1 of its 2 left for us.
        assert_first_depth(&market, BookSide::Ask, 1_000_000_000, "100.5");
    }

    #[test]
    fn touch_price_is_the_touch_without_its_size() {
        let book = OrderBook::new(price("0.1")).unwrap();
        let recent = RecentMarket::new(1_800, 60, ContractType::Linear, 1.0);
        let mut market = MarketView::new(book, price("0.1"), 250_000_000, 5_000_000_000, 1, recent);
        assert_prices_match_touch(&market, 0);
        assert_eq!(market.touch_price(BookSide::Bid, UnixNanos(0)), None);
        // Depth only: the book's best levels.
        market.apply_depth(&row(10, BookSide::Bid, "100.0", DeltaFlags::SNAPSHOT));
        market.apply_depth(&row(10, BookSide::Ask, "100.5", DeltaFlags::SNAPSHOT));
        assert_prices_match_touch(&market, 20);
        assert_eq!(
            market.touch_price(BookSide::Ask, UnixNanos(20)),
            Some(price("100.5"))
        );
        // A fresher quote leads; once stale, the book again.
        market.apply_quote(&Quote {
            ts_event: UnixNanos(30),
            ts_recv: UnixNanos(30),
            bid_price: price("100.2"),
            bid_size: size("1"),
            ask_price: price("100.3"),
            ask_size: size("1"),
            update_id: 0,
            flags: QuoteFlags::default(),
        });
        assert_prices_match_touch(&market, 40);
        assert_eq!(
            market.touch_price(BookSide::Bid, UnixNanos(40)),
            Some(price("100.2"))
        );
        assert_prices_match_touch(&market, 1_000_000_000);
        assert_eq!(
            market.touch_price(BookSide::Bid, UnixNanos(1_000_000_000)),
            Some(price("100.0"))
        );
    }
}
