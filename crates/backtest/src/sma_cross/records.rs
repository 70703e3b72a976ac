//! The bars an sma_cross run reads, and the run's records (orders, fills, trades, equity)
//! built from the crossings.

use auction_trader_analytics::{
    EquityPoint, ExitLeg, FillRecord, OrderRecord, PriceBar, RunRecords, TradeRecord,
};
use auction_trader_types::{
    Direction, EntryLiquidity, ExitReason, Instrument, Liquidity, MarketEvent, Money, OrderPurpose,
    OrderSide, OrderStatus, OrderType, Price, Quantity, SetupKind, UnixNanos,
};

use super::{Action, SmaCrossConfig, all_cash_size, crossings};
use crate::error::BacktestError;

/// One-minute bars in time order with the prefix sums of their closes (computed once and
/// shared by every window and every grid combination).
#[derive(Debug, Clone, Default)]
pub struct BarSeries {
    pub bars: Vec<auction_trader_types::Bar>,
    /// `prefix[i]` = sum of the raw closes of bars `0..i` (exact, `i128`).
    prefix: Vec<i128>,
}

impl BarSeries {
    /// The bar events of `events` (other kinds are ignored), in the given order.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a MarketEvent>) -> Self {
        let bars: Vec<_> = events
            .into_iter()
            .filter_map(|event| match event {
                MarketEvent::Bar(bar) => Some(*bar),
                _ => None,
            })
            .collect();
        Self::from_bars(bars)
    }

    pub fn from_bars(bars: Vec<auction_trader_types::Bar>) -> Self {
        let mut prefix = Vec::with_capacity(bars.len() + 1);
        let mut sum: i128 = 0;
        prefix.push(sum);
        for bar in &bars {
            sum += i128::from(bar.close.raw());
            prefix.push(sum);
        }
        Self { bars, prefix }
    }

    pub fn len(&self) -> usize {
        self.bars.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bars.is_empty()
    }

    pub(crate) fn prefix_sums(&self) -> &[i128] {
        &self.prefix
    }

    /// Index of the first bar at or after `from` (the first bar that may trade).
    pub fn first_at_or_after(&self, from: UnixNanos) -> usize {
        self.bars.partition_point(|bar| bar.ts_recv < from)
    }
}

/// How many equity points the records keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EquityDetail {
    /// One per bar close plus one per fill, and the price bars (a `backtest` run directory).
    Full,
    /// Only the points where equity can change (fills and bars in a position): the same
    /// metrics, a fraction of the work (grid rows).
    Changes,
}

/// Runs the crossover over `series` for `instrument` and records it. Bars before
/// `trading_from` only warm the averages up.
pub fn simulate_records(
    series: &BarSeries,
    config: &SmaCrossConfig,
    instrument: &Instrument,
    mut records: RunRecords,
    trading_from: UnixNanos,
    detail: EquityDetail,
) -> Result<RunRecords, BacktestError> {
    config
        .validate()
        .map_err(|message| BacktestError::Config(format!("strategy.sma_cross: {message}")))?;
    if instrument.valuation().is_inverse() {
        return Err(BacktestError::Config(
            "strategy.sma_cross trades linear contracts only (cash-sized market orders)".to_owned(),
        ));
    }
    let first_tradable = series.first_at_or_after(trading_from);
    let mut actions: Vec<(usize, Action)> = Vec::new();
    crossings(series, config, first_tradable, |index, action| {
        actions.push((index, action));
    });
    let mut book = Book {
        cash: records.initial_equity.raw(),
        open: None,
        next_order: 1,
        next_trade: 1,
    };
    let fee = instrument.taker_fee;
    let mut pending = actions.iter().peekable();
    for (index, bar) in series.bars.iter().enumerate().skip(first_tradable) {
        while let Some((_, action)) = pending.next_if(|(at, _)| *at == index) {
            let filled = match *action {
                Action::Enter(sign) => {
                    let size = all_cash_size(book.cash, bar.close, fee, instrument.lot_size);
                    if size.is_zero() || size < instrument.min_size {
                        false
                    } else {
                        book.enter(&mut records, sign, size, bar, fee);
                        true
                    }
                }
                Action::Exit => book.exit(&mut records, bar, fee, index + 1 == series.len()),
            };
            if filled {
                records.equity.push(book.point(bar));
            }
        }
        if detail == EquityDetail::Full || book.open.is_some() {
            records.equity.push(book.point(bar));
        }
        if detail == EquityDetail::Full {
            records.bars.push(PriceBar {
                ts: bar.ts_recv,
                open: bar.open,
                high: bar.high,
                low: bar.low,
                close: bar.close,
                vah: None,
                val: None,
                poc: None,
            });
        }
    }
    Ok(records)
}

/// The open position of the loop.
#[derive(Debug)]
struct Open {
    sign: i8,
    size: Quantity,
    entry_ts: UnixNanos,
    entry_price: Price,
    entry_notional: i128,
    entry_fee: i128,
}

#[derive(Debug)]
struct Book {
    /// Cash in raw money units.
    cash: i128,
    open: Option<Open>,
    next_order: u64,
    next_trade: u64,
}

fn order_side(sign: i8) -> OrderSide {
    if sign > 0 {
        OrderSide::Buy
    } else {
        OrderSide::Sell
    }
}

impl Book {
    fn point(&self, bar: &auction_trader_types::Bar) -> EquityPoint {
        let (unrealized, position, value) = match &self.open {
            Some(open) => {
                let mark = bar.close.notional_raw(open.size);
                let sign = i128::from(open.sign);
                (
                    sign * (mark - open.entry_notional),
                    if open.sign > 0 {
                        open.size
                    } else {
                        Quantity::from_raw(-open.size.raw())
                    },
                    sign * mark,
                )
            }
            None => (0, Quantity::ZERO, 0),
        };
        EquityPoint {
            ts: bar.ts_recv,
            equity: Money::from_raw_i128(self.cash + value),
            cash: Money::from_raw_i128(self.cash),
            unrealized: Money::from_raw_i128(unrealized),
            position,
        }
    }

    fn order(
        &mut self,
        records: &mut RunRecords,
        sign: i8,
        purpose: OrderPurpose,
        size: Quantity,
        bar: &auction_trader_types::Bar,
        fee: i128,
    ) {
        let order_id = self.next_order;
        self.next_order += 1;
        records.orders.push(OrderRecord {
            order_id,
            ts_submit: bar.ts_recv,
            side: order_side(sign),
            kind: OrderType::Market,
            purpose,
            limit_price: None,
            quantity: size,
            filled_quantity: size,
            status: OrderStatus::Filled,
            spread_at_submit: None,
            mid_at_submit: None,
        });
        records.fills.push(FillRecord {
            order_id,
            ts: bar.ts_recv,
            side: order_side(sign),
            price: bar.close,
            quantity: size,
            liquidity: Liquidity::Taker,
            fee: Money::from_raw_i128(fee),
            reference_mid: None,
        });
    }

    fn enter(
        &mut self,
        records: &mut RunRecords,
        sign: i8,
        size: Quantity,
        bar: &auction_trader_types::Bar,
        rate: auction_trader_types::Rate,
    ) {
        let notional = bar.close.notional_raw(size);
        let fee = rate.apply_to_raw(notional);
        self.cash += -i128::from(sign) * notional - fee;
        self.order(records, sign, OrderPurpose::Entry, size, bar, fee);
        self.open = Some(Open {
            sign,
            size,
            entry_ts: bar.ts_recv,
            entry_price: bar.close,
            entry_notional: notional,
            entry_fee: fee,
        });
    }

    fn exit(
        &mut self,
        records: &mut RunRecords,
        bar: &auction_trader_types::Bar,
        rate: auction_trader_types::Rate,
        end_of_data: bool,
    ) -> bool {
        let Some(open) = self.open.take() else {
            return false;
        };
        let notional = bar.close.notional_raw(open.size);
        let fee = rate.apply_to_raw(notional);
        let sign = i128::from(open.sign);
        self.cash += sign * notional - fee;
        self.order(records, -open.sign, OrderPurpose::Exit, open.size, bar, fee);
        let gross = sign * (notional - open.entry_notional);
        let fees = open.entry_fee + fee;
        let reason = if end_of_data {
            ExitReason::EndOfData
        } else {
            ExitReason::Strategy
        };
        records.trades.push(TradeRecord {
            trade_id: self.next_trade,
            setup: SetupKind::Other,
            direction: if open.sign > 0 {
                Direction::Long
            } else {
                Direction::Short
            },
            signal_ts: open.entry_ts,
            entry_ts: open.entry_ts,
            entry_price: open.entry_price,
            quantity: open.size,
            entry_liquidity: EntryLiquidity::Taker,
            stop: Price::from_raw(0),
            take_profit_1: None,
            take_profit_2: Price::from_raw(0),
            exit_ts: bar.ts_recv,
            exit_price: bar.close,
            exit_reason: reason,
            legs: vec![ExitLeg {
                ts: bar.ts_recv,
                price: bar.close,
                quantity: open.size,
                reason,
                fee: Money::from_raw_i128(fee),
                slippage: Money::ZERO,
            }],
            gross_pnl: Money::from_raw_i128(gross),
            fees: Money::from_raw_i128(fees),
            funding: Money::ZERO,
            slippage: Money::ZERO,
            net_pnl: Money::from_raw_i128(gross - fees),
        });
        self.next_trade += 1;
        true
    }
}
