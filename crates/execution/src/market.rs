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

    /// Mid of the touches, `None` unless both sides have one.
    pub fn mid(&self, now: UnixNanos) -> Option<Price> {
        let (bid, _) = self.touch(BookSide::Bid, now)?;
        let (ask, _) = self.touch(BookSide::Ask, now)?;
        let sum = i128::from(bid.raw()) + i128::from(ask.raw());
        i64::try_from(sum.div_euclid(2)).ok().map(Price::from_raw)
    }

    /// How a taker order on `side` of the book (the side it takes from) is priced now.
    pub fn taker_source(&self, side: BookSide, now: UnixNanos) -> Option<TakerSource> {
        if self.book_synced && self.book.best(side).is_some() && !self.book_stale(now) {
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
                    .best(BookSide::Bid)
                    .is_some_and(|(bid, _)| price < bid)
                    || self
                        .book
                        .best(BookSide::Ask)
                        .is_some_and(|(ask, _)| price > ask)
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
