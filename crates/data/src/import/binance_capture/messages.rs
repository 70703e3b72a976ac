//! The per-kind decoders of the Binance market streams: `trade`/`aggTrade` -> `Trade`,
//! `bookTicker` -> `Quote`, `depthUpdate` -> `BookDelta` rows, `markPriceUpdate` -> `Funding`,
//! `forceOrder` -> `Liquidation`, a closed `kline` -> `Bar` (SPEC 1.1, 1.2).

use auction_trader_types::{
    AggressorSide, Bar, BookDelta, BookSide, DeltaFlags, Funding, Liquidation, MarketEvent,
    NANOS_PER_MILLI, Price, Quantity, Quote, QuoteFlags, Rate, Trade, TradeId, UnixNanos,
};

use super::decoder::{BinanceDecoder, Fault, Scan};
use super::scanner::{
    Fields, Scanner, boolean, decimal, decimal_value, exchange_time, integer, integer_value,
    symbol_of, text,
};
use super::snapshot::{check_level_arrays, emit_rows};
use super::venue::Family;
use crate::EventSink;

impl BinanceDecoder {
    pub(super) fn trade(
        &mut self,
        fields: &Fields<'_>,
        stream: Option<&[u8]>,
        ts_recv: UnixNanos,
        aggregated: bool,
        sink: &mut dyn EventSink,
    ) -> Scan<()> {
        if aggregated {
            self.stats.agg_trades += 1;
        } else {
            self.stats.trades += 1;
        }
        // Futures trades carry `X` (execution type); only MARKET prints are the public tape
        // (Binance: insurance-fund and ADL trades are not market trades).
        if let Some(execution) = fields.x_upper {
            let execution = text(execution)?;
            if execution != b"MARKET" {
                self.skip("trade (non-MARKET execution)", sink);
                return Ok(());
            }
        }
        let hint = if fields.m_upper.is_some() {
            Some(Family::Spot)
        } else if fields.x_upper.is_some() || aggregated {
            Some(Family::Futures)
        } else {
            None
        };
        let symbol = symbol_of(fields, stream)?;
        let price = decimal::<Price>(fields.p, "trade without price p")?;
        let size = decimal::<Quantity>(fields.q, "trade without quantity q")?;
        let id_field = if aggregated { fields.a } else { fields.t };
        let trade_id = integer(id_field, "trade without id")?;
        let buyer_is_maker = boolean(fields.m, "trade without buyer-maker flag m")?;
        let ts_event = exchange_time(fields.t_upper.or(fields.e_upper), "trade without time T")?;
        let slot = self.slot(symbol, hint, sink)?;
        self.check_clock(ts_recv, ts_event, sink);
        // Binance: m = true means the buyer is the maker, so the aggressor SOLD.
        let aggressor = if buyer_is_maker {
            AggressorSide::Sell
        } else {
            AggressorSide::Buy
        };
        self.output.emit(
            slot,
            MarketEvent::Trade(Trade {
                ts_event,
                ts_recv,
                price,
                size,
                aggressor,
                trade_id: TradeId(trade_id),
            }),
            sink,
        )
    }

    pub(super) fn book_ticker(
        &mut self,
        fields: &Fields<'_>,
        stream: Option<&[u8]>,
        ts_recv: UnixNanos,
        sink: &mut dyn EventSink,
    ) -> Scan<()> {
        self.stats.book_tickers += 1;
        let symbol = symbol_of(fields, stream)?;
        let bid_price = decimal::<Price>(fields.b, "bookTicker without bid price b")?;
        let bid_size = decimal::<Quantity>(fields.b_upper, "bookTicker without bid size B")?;
        let ask_price = decimal::<Price>(fields.a, "bookTicker without ask price a")?;
        let ask_size = decimal::<Quantity>(fields.a_upper, "bookTicker without ask size A")?;
        let update_id = integer(fields.u, "bookTicker without update id u")?;
        // Futures bookTicker has T (transaction) and E; spot has neither: ts_event = ts_recv.
        let exchange = fields.t_upper.or(fields.e_upper);
        let hint = if exchange.is_some() || fields.e.is_some() {
            Family::Futures
        } else {
            Family::Spot
        };
        let (ts_event, flags) = match exchange {
            Some(raw) => (exchange_time(Some(raw), "")?, QuoteFlags::default()),
            None => (ts_recv, QuoteFlags(QuoteFlags::NO_EXCHANGE_TIME)),
        };
        let slot = self.slot(symbol, Some(hint), sink)?;
        if exchange.is_some() {
            self.check_clock(ts_recv, ts_event, sink);
        }
        self.output.emit(
            slot,
            MarketEvent::Quote(Quote {
                ts_event,
                ts_recv,
                bid_price,
                bid_size,
                ask_price,
                ask_size,
                update_id,
                flags,
            }),
            sink,
        )
    }

    pub(super) fn depth(
        &mut self,
        fields: &Fields<'_>,
        stream: Option<&[u8]>,
        ts_recv: UnixNanos,
        sink: &mut dyn EventSink,
    ) -> Scan<()> {
        self.stats.depth_updates += 1;
        let symbol = symbol_of(fields, stream)?;
        let first_update_id = integer(fields.u_upper, "depthUpdate without first id U")?;
        let last_update_id = integer(fields.u, "depthUpdate without last id u")?;
        // Futures depth has `pu` (previous final id); spot has none (0 = absent).
        let prev_update_id = match fields.pu {
            Some(value) => integer_value(value)?,
            None => 0,
        };
        let ts_event = exchange_time(fields.e_upper.or(fields.t_upper), "depthUpdate without E")?;
        check_level_arrays(
            fields.b,
            fields.a,
            &self.levels,
            "depthUpdate without b or a",
        )?;
        // The first depth message identifies a snapshot that came before any depth message;
        // it is emitted first, in its own right (it was a valid line of its own).
        if let Some(deferred) = self.file.deferred.take() {
            self.replay_deferred(deferred, symbol, sink);
        }
        let hint = if fields.pu.is_some() {
            Family::Futures
        } else {
            Family::Spot
        };
        let slot = self.slot(symbol, Some(hint), sink)?;
        self.check_clock(ts_recv, ts_event, sink);
        if !self
            .file
            .depth_symbols
            .iter()
            .any(|known| known.eq_ignore_ascii_case(symbol))
        {
            self.file.depth_symbols.push(symbol.to_ascii_uppercase());
        }
        let template = BookDelta {
            ts_event,
            ts_recv,
            side: BookSide::Bid,
            price: Price::ZERO,
            size: Quantity::ZERO,
            first_update_id,
            last_update_id,
            prev_update_id,
            flags: DeltaFlags::default(),
        };
        emit_rows(&mut self.output, slot, template, &self.levels, 0, sink)
    }

    pub(super) fn mark_price(
        &mut self,
        fields: &Fields<'_>,
        stream: Option<&[u8]>,
        ts_recv: UnixNanos,
        sink: &mut dyn EventSink,
    ) -> Scan<()> {
        self.stats.mark_prices += 1;
        let symbol = symbol_of(fields, stream)?;
        let ts_event = exchange_time(fields.e_upper, "markPriceUpdate without E")?;
        let mark_price = decimal::<Price>(fields.p, "markPriceUpdate without mark price p")?;
        let index_price = match fields.i {
            Some(value) if !text(value)?.is_empty() => decimal_value::<Price>(value)?,
            _ => Price::ZERO,
        };
        // Dated COIN-M contracts send `"r":""`: no funding print.
        let rate = match fields.r {
            Some(value) if !text(value)?.is_empty() => decimal_value::<Rate>(value)?,
            Some(_) => {
                self.skip("markPriceUpdate without funding rate", sink);
                return Ok(());
            }
            None => return Err(Fault("markPriceUpdate without funding rate r")),
        };
        let next_funding_time = exchange_time(fields.t_upper, "markPriceUpdate without T")?;
        let slot = self.slot(symbol, Some(Family::Futures), sink)?;
        self.check_clock(ts_recv, ts_event, sink);
        self.output.emit(
            slot,
            MarketEvent::Funding(Funding {
                ts_event,
                ts_recv,
                rate,
                next_funding_time,
                mark_price,
                index_price,
            }),
            sink,
        )
    }

    pub(super) fn force_order(
        &mut self,
        fields: &Fields<'_>,
        stream: Option<&[u8]>,
        ts_recv: UnixNanos,
        sink: &mut dyn EventSink,
    ) -> Scan<()> {
        self.stats.liquidations += 1;
        let order_raw = fields.o.ok_or(Fault("forceOrder without order o"))?;
        let mut scanner = Scanner::new(order_raw.raw);
        let order = Fields::parse(&mut scanner)?;
        let symbol = symbol_of(&order, stream)?;
        let side = match order.s_upper.map(text).transpose()? {
            Some(b"BUY") => AggressorSide::Buy,
            Some(b"SELL") => AggressorSide::Sell,
            _ => return Err(Fault("forceOrder without side S")),
        };
        // Price: the average fill price `ap` when filled, else the order price `p`;
        // size: the accumulated filled quantity `z` when non-zero, else the order quantity `q`.
        let order_price = decimal::<Price>(order.p, "forceOrder without price p")?;
        let average = match order.ap {
            Some(value) => decimal_value::<Price>(value)?,
            None => Price::ZERO,
        };
        let price = if average.is_positive() {
            average
        } else {
            order_price
        };
        let order_size = decimal::<Quantity>(order.q, "forceOrder without quantity q")?;
        let filled = match order.z {
            Some(value) => decimal_value::<Quantity>(value)?,
            None => Quantity::ZERO,
        };
        let size = if filled.is_positive() {
            filled
        } else {
            order_size
        };
        let ts_event = exchange_time(order.t_upper.or(fields.e_upper), "forceOrder without time")?;
        let slot = self.slot(symbol, Some(Family::Futures), sink)?;
        self.output.emit(
            slot,
            MarketEvent::Liquidation(Liquidation {
                ts_event,
                ts_recv,
                side,
                price,
                size,
            }),
            sink,
        )
    }

    pub(super) fn kline(
        &mut self,
        fields: &Fields<'_>,
        stream: Option<&[u8]>,
        ts_recv: UnixNanos,
        sink: &mut dyn EventSink,
    ) -> Scan<()> {
        let bar_raw = fields.k.ok_or(Fault("kline without k"))?;
        let mut scanner = Scanner::new(bar_raw.raw);
        let bar = Fields::parse(&mut scanner)?;
        let closed = boolean(bar.x, "kline without closed flag x")?;
        if !closed {
            // An in-progress kline is an update of a bar not yet known: importing it would
            // be look-ahead (Bar doc: a bar is only known at its close).
            self.skip("kline (open bar)", sink);
            return Ok(());
        }
        self.stats.klines += 1;
        let symbol = match fields.s {
            Some(_) => symbol_of(fields, stream)?,
            None => symbol_of(&bar, stream)?,
        };
        let ts_open = exchange_time(bar.t, "kline without open time t")?;
        // Binance kline close time T is the bar's last millisecond.
        let close_time = exchange_time(bar.t_upper, "kline without close time T")?;
        let ts_event = close_time.saturating_add_nanos(NANOS_PER_MILLI);
        let open = decimal::<Price>(bar.o, "kline without open o")?;
        let high = decimal::<Price>(bar.h, "kline without high h")?;
        let low = decimal::<Price>(bar.l, "kline without low l")?;
        let close = decimal::<Price>(bar.c, "kline without close c")?;
        let volume = decimal::<Quantity>(bar.v, "kline without volume v")?;
        let quote_volume = decimal::<Quantity>(bar.q, "kline without quote volume q")?;
        let buy_volume = decimal::<Quantity>(bar.v_upper, "kline without taker buy volume V")?;
        let trade_count = integer(bar.n, "kline without trade count n")?;
        // VWAP = quote volume / base volume, in i128 fixed point; close when no volume.
        let vwap = if volume.is_positive() {
            let raw = quote_volume
                .raw()
                .checked_mul(i128::from(auction_trader_types::FIXED_SCALE))
                .ok_or(Fault("kline quote volume overflows"))?
                / volume.raw();
            Price::from_raw(i64::try_from(raw).map_err(|_| Fault("kline vwap overflows"))?)
        } else {
            close
        };
        let sell_volume = Quantity::from_raw((volume.raw() - buy_volume.raw()).max(0));
        let slot = self.slot(symbol, None, sink)?;
        self.output.emit(
            slot,
            MarketEvent::Bar(Bar {
                ts_open,
                ts_event,
                ts_recv,
                open,
                high,
                low,
                close,
                volume,
                vwap,
                buy_volume,
                sell_volume,
                trade_count,
            }),
            sink,
        )
    }
}
