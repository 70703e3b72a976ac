//! One managed trade from its entry order to its last exit (SPEC 4 and 5): entry fills,
//! stop and target triggers on every trade print (or on bars, stop first), TP1 partial exit
//! (30 % of the FILLED position: a partly filled entry sizes its targets on what it got) with
//! the stop moved to breakeven, and the accounting that becomes the trade list row, in the
//! settlement currency of the instrument's [`Valuation`] (coin for inverse contracts).

use auction_trader_risk::split_targets;
use auction_trader_strategy::{Direction, ExitReason, TradeIntent};
use auction_trader_types::{
    Crossing, EntryLiquidity, ExitLeg, Fill, Liquidity, Money, OrderId, Price, Quantity, Rate,
    TradeRecord, Trigger, UnixNanos, Valuation,
};

/// Where a managed trade is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TradePhase {
    /// The entry order is working and nothing is filled yet.
    PendingEntry,
    /// Some or all of the position is open.
    Open,
    /// Everything that was filled has been exited (or the entry never filled).
    Closed,
}

/// A trade the engine manages on a strategy's behalf.
#[derive(Debug, Clone)]
pub struct ManagedTrade {
    pub trade_id: u64,
    pub intent: TradeIntent,
    /// Quantity risk approved for the entry.
    pub planned_quantity: Quantity,
    /// SPEC 4: share of the filled position taken at TP1 (zero = no TP1).
    take_profit_1_fraction: Rate,
    lot: Quantity,
    pub entry_order: Option<OrderId>,
    /// A cancel of the working entry has been sent (it is re-sent if the venue rejects it
    /// while the entry still works, e.g. a cancel that overtook its order).
    pub entry_cancel_sent: bool,
    pub exit_order: Option<(OrderId, ExitReason)>,
    /// Current stop (moves to the entry price after TP1).
    pub stop: Price,
    pub take_profit_1_done: bool,
    last_exit: Option<ExitReason>,
    entered: Quantity,
    exited: Quantity,
    entry_notional_raw: i128,
    entry_ts: Option<UnixNanos>,
    entry_fees: Money,
    entry_slippage: Money,
    maker_fills: u32,
    taker_fills: u32,
    exit_notional_raw: i128,
    legs: Vec<ExitLeg>,
    funding: Money,
    gross_pnl_raw: i128,
    valuation: Valuation,
}

impl ManagedTrade {
    /// `take_profit_1_fraction` applies to the filled position (zero or an intent without
    /// TP1: everything exits at TP2); `lot` is the instrument's lot size.
    pub fn new(
        trade_id: u64,
        intent: TradeIntent,
        planned_quantity: Quantity,
        take_profit_1_fraction: Rate,
        lot: Quantity,
        valuation: Valuation,
    ) -> Self {
        Self {
            trade_id,
            stop: intent.stop,
            intent,
            planned_quantity,
            take_profit_1_fraction: if intent.take_profit_1.is_some() {
                take_profit_1_fraction
            } else {
                Rate::ZERO
            },
            lot,
            entry_order: None,
            entry_cancel_sent: false,
            exit_order: None,
            take_profit_1_done: false,
            last_exit: None,
            entered: Quantity::ZERO,
            exited: Quantity::ZERO,
            entry_notional_raw: 0,
            entry_ts: None,
            entry_fees: Money::ZERO,
            entry_slippage: Money::ZERO,
            maker_fills: 0,
            taker_fills: 0,
            exit_notional_raw: 0,
            legs: Vec::new(),
            funding: Money::ZERO,
            gross_pnl_raw: 0,
            valuation,
        }
    }

    /// SPEC 4 / 11.3: TP1 = 30 % of the filled position, whole lots, halves up; a 1-lot
    /// position has none. Measured on what the entry filled, not on what it asked for.
    pub fn take_profit_1_quantity(&self) -> Quantity {
        split_targets(self.entered, self.lot, self.take_profit_1_fraction).take_profit_1
    }

    /// The reason of the latest exit fill.
    pub fn last_exit_reason(&self) -> Option<ExitReason> {
        self.last_exit
    }

    /// Filled entry quantity so far.
    pub fn entered_quantity(&self) -> Quantity {
        self.entered
    }

    pub fn direction(&self) -> Direction {
        self.intent.direction
    }

    pub fn phase(&self) -> TradePhase {
        if self.entered.is_zero() {
            if self.entry_order.is_some() {
                TradePhase::PendingEntry
            } else {
                TradePhase::Closed
            }
        } else if self.open_quantity().is_zero() && self.entry_order.is_none() {
            TradePhase::Closed
        } else {
            TradePhase::Open
        }
    }

    /// Filled and not yet exited (absolute).
    pub fn open_quantity(&self) -> Quantity {
        self.entered.saturating_sub(self.exited)
    }

    /// Signed open position of this trade.
    pub fn signed_quantity(&self) -> Quantity {
        match self.intent.direction {
            Direction::Long => self.open_quantity(),
            Direction::Short => Quantity::from_raw(-self.open_quantity().raw()),
        }
    }

    pub fn entry_ts(&self) -> Option<UnixNanos> {
        self.entry_ts
    }

    pub fn entry_fees(&self) -> Money {
        self.entry_fees
    }

    pub fn funding(&self) -> Money {
        self.funding
    }

    /// Volume-weighted entry price of what has been filled.
    pub fn average_entry_price(&self) -> Option<Price> {
        average_price(self.entry_notional_raw, self.entered)
    }

    /// Applies a fill of the entry order.
    pub fn on_entry_fill(&mut self, fill: &Fill) {
        self.entered = self.entered.saturating_add(fill.quantity);
        self.entry_notional_raw += fill.price.notional_raw(fill.quantity);
        self.entry_ts.get_or_insert(fill.ts);
        self.entry_fees = self.entry_fees.saturating_add(fill.fee);
        self.entry_slippage = self.entry_slippage.saturating_add(self.slippage_of(fill));
        match fill.liquidity {
            Liquidity::Maker => self.maker_fills += 1,
            Liquidity::Taker => self.taker_fills += 1,
        }
        if fill.leaves_quantity.is_zero() {
            self.entry_order = None;
            self.entry_cancel_sent = false;
        }
    }

    /// Applies a fill of an exit order.
    pub fn on_exit_fill(&mut self, fill: &Fill, reason: ExitReason) {
        let quantity = Quantity::from_raw(fill.quantity.raw().min(self.open_quantity().raw()));
        let entry = self.average_entry_price().unwrap_or(fill.price);
        let signed = Quantity::from_raw(quantity.raw() * i128::from(self.sign()));
        self.gross_pnl_raw += self.valuation.pnl_raw(entry, fill.price, signed);
        self.exited = self.exited.saturating_add(quantity);
        self.last_exit = Some(reason);
        self.exit_notional_raw += fill.price.notional_raw(quantity);
        let slippage = self.slippage_of(fill);
        match self.legs.last_mut() {
            // Partial fills of one exit order form one leg.
            Some(leg) if leg.reason == reason && self.exit_order.is_some() => {
                let total = leg.quantity.saturating_add(quantity);
                let notional =
                    leg.price.notional_raw(leg.quantity) + fill.price.notional_raw(quantity);
                leg.price = average_price(notional, total).unwrap_or(fill.price);
                leg.quantity = total;
                leg.fee = leg.fee.saturating_add(fill.fee);
                leg.slippage = leg.slippage.saturating_add(slippage);
                leg.ts = fill.ts;
            }
            _ => self.legs.push(ExitLeg {
                ts: fill.ts,
                price: fill.price,
                quantity,
                reason,
                fee: fill.fee,
                slippage,
            }),
        }
        if fill.leaves_quantity.is_zero() {
            self.exit_order = None;
            if reason == ExitReason::TakeProfit1 {
                // SPEC 4: after TP1 the stop moves to the entry price.
                self.take_profit_1_done = true;
            }
        }
    }

    pub fn on_funding(&mut self, amount: Money) {
        self.funding = self.funding.saturating_add(amount);
    }

    /// Moves the stop to the entry price (SPEC 4, after TP1).
    pub fn move_stop_to_breakeven(&mut self) {
        if let Some(entry) = self.average_entry_price() {
            self.stop = entry;
        }
    }

    /// SPEC 5: stops and targets are triggers evaluated on every trade print (long stop: a
    /// trade <= stop; long target: a trade >= target). Returns the exit to send, if any.
    pub fn trigger_on_trade(&self, price: Price) -> Option<(ExitReason, Quantity)> {
        self.trigger_on_range(price, price)
    }

    /// Bar-only data: the bar's low/high stand for the prints; when a stop and a target fall
    /// in the same bar the stop is assumed first (SPEC 5, worst case).
    pub fn trigger_on_range(&self, low: Price, high: Price) -> Option<(ExitReason, Quantity)> {
        let open = self.open_quantity();
        if open.is_zero() || self.exit_order.is_some() {
            return None;
        }
        let direction = self.intent.direction;
        let adverse = match direction {
            Direction::Long => low <= self.stop,
            Direction::Short => high >= self.stop,
        };
        let favourable = |target: Price| match direction {
            Direction::Long => high >= target,
            Direction::Short => low <= target,
        };
        if adverse {
            let reason = if self.take_profit_1_done {
                ExitReason::BreakevenStop
            } else {
                ExitReason::StopLoss
            };
            return Some((reason, open));
        }
        if favourable(self.intent.take_profit_2) {
            return Some((ExitReason::TakeProfit2, open));
        }
        let take_profit_1 = self.take_profit_1_quantity();
        if let Some(target) = self.intent.take_profit_1
            && !self.take_profit_1_done
            && take_profit_1.is_positive()
            && favourable(target)
        {
            let quantity = Quantity::from_raw(take_profit_1.raw().min(open.raw()));
            return Some((ExitReason::TakeProfit1, quantity));
        }
        None
    }

    /// The level whose crossing triggers `reason` and the direction of that crossing (the
    /// exchange fills bar-only exits at it, SPEC 5); `None` for exits that are not triggers.
    pub fn trigger_level(&self, reason: ExitReason) -> Option<Trigger> {
        let (price, adverse) = match reason {
            ExitReason::StopLoss | ExitReason::BreakevenStop => (self.stop, true),
            ExitReason::TakeProfit1 => (self.intent.take_profit_1?, false),
            ExitReason::TakeProfit2 => (self.intent.take_profit_2, false),
            _ => return None,
        };
        let crossing = match (self.intent.direction, adverse) {
            (Direction::Long, true) | (Direction::Short, false) => Crossing::Falling,
            (Direction::Long, false) | (Direction::Short, true) => Crossing::Rising,
        };
        Some(Trigger { price, crossing })
    }

    /// The trade-list row once the trade is closed (`None` if nothing was ever filled).
    pub fn to_record(&self) -> Option<TradeRecord> {
        let entry_ts = self.entry_ts?;
        let entry_price = self.average_entry_price()?;
        let last_leg = self.legs.last()?;
        let exit_fees = self
            .legs
            .iter()
            .fold(Money::ZERO, |total, leg| total.saturating_add(leg.fee));
        let exit_slippage = self
            .legs
            .iter()
            .fold(Money::ZERO, |total, leg| total.saturating_add(leg.slippage));
        let fees = self.entry_fees.saturating_add(exit_fees);
        let gross = Money::from_raw_i128(self.gross_pnl_raw);
        let net = gross.saturating_sub(fees).saturating_sub(self.funding);
        let entry_liquidity = match (self.maker_fills, self.taker_fills) {
            (_, 0) => EntryLiquidity::Maker,
            (0, _) => EntryLiquidity::Taker,
            _ => EntryLiquidity::Mixed,
        };
        Some(TradeRecord {
            trade_id: self.trade_id,
            setup: self.intent.setup,
            direction: self.intent.direction,
            signal_ts: self.intent.ts,
            entry_ts,
            entry_price,
            quantity: self.entered,
            entry_liquidity,
            stop: self.intent.stop,
            take_profit_1: self.intent.take_profit_1,
            take_profit_2: self.intent.take_profit_2,
            exit_ts: last_leg.ts,
            exit_price: average_price(self.exit_notional_raw, self.exited).unwrap_or(entry_price),
            exit_reason: last_leg.reason,
            legs: self.legs.clone(),
            gross_pnl: gross,
            fees,
            funding: self.funding,
            slippage: self.entry_slippage.saturating_add(exit_slippage),
            net_pnl: net,
        })
    }

    fn sign(&self) -> i64 {
        self.intent.direction.sign()
    }

    /// Cost of a fill against the mid at that moment (positive = paid): minus the P&L of
    /// trading at the fill price and marking at the mid, settlement currency.
    fn slippage_of(&self, fill: &Fill) -> Money {
        let Some(mid) = fill.reference_mid else {
            return Money::ZERO;
        };
        let signed = Quantity::from_raw(fill.quantity.raw() * i128::from(fill.side.sign()));
        Money::from_raw_i128(-self.valuation.pnl_raw(fill.price, mid, signed))
    }
}

/// notional / quantity as a price (None for zero quantity).
fn average_price(notional_raw: i128, quantity: Quantity) -> Option<Price> {
    if quantity.raw() <= 0 {
        return None;
    }
    let raw = notional_raw * i128::from(auction_trader_types::FIXED_SCALE) / quantity.raw();
    Some(Price::from_raw(raw.clamp(0, i128::from(i64::MAX)) as i64))
}

#[cfg(test)]
mod tests {
    use auction_trader_strategy::{EntryOrder, SetupKind};
    use auction_trader_types::OrderSide;

    use super::*;

    fn price(text: &str) -> Price {
        Price::from_decimal_str(text).unwrap_or_default()
    }

    fn quantity(text: &str) -> Quantity {
        Quantity::from_decimal_str(text).unwrap_or_default()
    }

    fn long_trade() -> ManagedTrade {
        let intent = TradeIntent {
            ts: UnixNanos(0),
            setup: SetupKind::BreakIn,
            direction: Direction::Long,
            entry: EntryOrder::Market,
            entry_price: price("100"),
            stop: price("99"),
            take_profit_1: Some(price("101")),
            take_profit_2: price("103"),
            size_factor: Rate::ONE,
        };
        let mut trade = ManagedTrade::new(
            1,
            intent,
            quantity("7"),
            Rate::from_decimal_str("0.3").unwrap_or_default(),
            quantity("1"),
            Valuation::linear(Quantity::ONE),
        );
        trade.entry_order = Some(OrderId(1));
        trade
    }

    fn fill(order: u64, side: OrderSide, at: &str, size: &str, fee: &str, leaves: &str) -> Fill {
        Fill {
            order_id: OrderId(order),
            ts: UnixNanos(10),
            side,
            price: price(at),
            quantity: quantity(size),
            liquidity: Liquidity::Taker,
            fee: Money::from_decimal_str(fee).unwrap_or_default(),
            reference_mid: Some(price(at)),
            leaves_quantity: quantity(leaves),
        }
    }

    #[test]
    fn stop_wins_over_target_in_one_bar() {
        let mut trade = long_trade();
        trade.on_entry_fill(&fill(1, OrderSide::Buy, "100", "7", "0", "0"));
        // SPEC 5: bar-only data, stop 99 and TP2 103 both inside [98, 104] → stop first.
        let (reason, size) = trade
            .trigger_on_range(price("98"), price("104"))
            .unwrap_or((ExitReason::Strategy, Quantity::ZERO));
        assert_eq!(reason, ExitReason::StopLoss);
        assert_eq!(size, quantity("7"));
    }

    #[test]
    fn tp1_then_breakeven_stop_and_pnl() {
        let mut trade = long_trade();
        trade.on_entry_fill(&fill(1, OrderSide::Buy, "100", "7", "0.35", "0"));
        assert_eq!(trade.phase(), TradePhase::Open);
        assert_eq!(trade.trigger_on_trade(price("100.5")), None);
        assert_eq!(
            trade.trigger_on_trade(price("101")),
            Some((ExitReason::TakeProfit1, quantity("2")))
        );
        trade.exit_order = Some((OrderId(2), ExitReason::TakeProfit1));
        trade.on_exit_fill(
            &fill(2, OrderSide::Sell, "101", "2", "0.101", "0"),
            ExitReason::TakeProfit1,
        );
        assert!(trade.take_profit_1_done);
        trade.move_stop_to_breakeven();
        assert_eq!(trade.stop, price("100"));
        assert_eq!(
            trade.trigger_on_trade(price("100")),
            Some((ExitReason::BreakevenStop, quantity("5")))
        );
        trade.exit_order = Some((OrderId(3), ExitReason::BreakevenStop));
        trade.on_exit_fill(
            &fill(3, OrderSide::Sell, "100", "5", "0.25", "0"),
            ExitReason::BreakevenStop,
        );
        assert_eq!(trade.phase(), TradePhase::Closed);
        let record = trade.to_record().unwrap_or_else(|| unreachable!());
        // Gross: 2 × (101 − 100) + 5 × 0 = 2; fees 0.35 + 0.101 + 0.25 = 0.701; net 1.299.
        assert_eq!(
            record.gross_pnl,
            Money::from_decimal_str("2").unwrap_or_default()
        );
        assert_eq!(
            record.fees,
            Money::from_decimal_str("0.701").unwrap_or_default()
        );
        assert_eq!(
            record.net_pnl,
            Money::from_decimal_str("1.299").unwrap_or_default()
        );
        assert_eq!(record.exit_reason, "breakeven_stop");
        // Exit VWAP: (2 × 101 + 5 × 100) / 7 = 702 / 7 = 100.285714285.
        assert_eq!(record.exit_price, price("100.285714285"));
        assert_eq!(record.legs.len(), 2);
    }

    #[test]
    fn short_trade_mirrors_triggers() {
        let mut trade = long_trade();
        trade.intent.direction = Direction::Short;
        trade.intent.stop = price("101");
        trade.stop = price("101");
        trade.intent.take_profit_1 = Some(price("99"));
        trade.intent.take_profit_2 = price("97");
        trade.on_entry_fill(&fill(1, OrderSide::Sell, "100", "7", "0", "0"));
        assert_eq!(trade.signed_quantity(), quantity("-7"));
        assert_eq!(
            trade.trigger_on_trade(price("101")),
            Some((ExitReason::StopLoss, quantity("7")))
        );
        assert_eq!(
            trade.trigger_on_trade(price("97")),
            Some((ExitReason::TakeProfit2, quantity("7")))
        );
        trade.exit_order = Some((OrderId(2), ExitReason::TakeProfit2));
        trade.on_exit_fill(
            &fill(2, OrderSide::Buy, "97", "7", "0", "0"),
            ExitReason::TakeProfit2,
        );
        let record = trade.to_record().unwrap_or_else(|| unreachable!());
        // Short 7 from 100 to 97: +21.
        assert_eq!(
            record.gross_pnl,
            Money::from_decimal_str("21").unwrap_or_default()
        );
    }

    #[test]
    fn trigger_levels_follow_the_direction() {
        let mut trade = long_trade();
        assert_eq!(
            trade.trigger_level(ExitReason::StopLoss),
            Some(Trigger {
                price: price("99"),
                crossing: Crossing::Falling
            })
        );
        assert_eq!(
            trade.trigger_level(ExitReason::TakeProfit2),
            Some(Trigger {
                price: price("103"),
                crossing: Crossing::Rising
            })
        );
        assert_eq!(trade.trigger_level(ExitReason::MaxHold), None);
        trade.intent.direction = Direction::Short;
        assert_eq!(
            trade
                .trigger_level(ExitReason::TakeProfit1)
                .map(|level| level.crossing),
            Some(Crossing::Falling)
        );
    }

    #[test]
    fn take_profit_1_is_thirty_percent_of_the_filled_position() {
        // Planned 10 lots; the limit entry fills 5 and 5 still work. SPEC 4: TP1 = 30 % of
        // the position = 1.5 → 2 lots (half up), not 30 % of the 10 planned (3).
        let mut intent = long_trade().intent;
        intent.take_profit_1 = Some(price("101"));
        let mut trade = ManagedTrade::new(
            1,
            intent,
            quantity("10"),
            Rate::from_decimal_str("0.3").unwrap_or_default(),
            quantity("1"),
            Valuation::linear(Quantity::ONE),
        );
        trade.entry_order = Some(OrderId(1));
        trade.on_entry_fill(&fill(1, OrderSide::Buy, "100", "5", "0", "5"));
        assert_eq!(trade.take_profit_1_quantity(), quantity("2"));
        assert_eq!(
            trade.trigger_on_trade(price("101")),
            Some((ExitReason::TakeProfit1, quantity("2")))
        );
        // The rest fills: 10 lots → 3.
        trade.on_entry_fill(&fill(1, OrderSide::Buy, "100", "5", "0", "0"));
        assert_eq!(trade.take_profit_1_quantity(), quantity("3"));
    }

    #[test]
    fn inverse_trade_books_coin_pnl() {
        // SPEC 5: one BTCUSD_PERP contract (100 USD) long 60,000 → 60,100:
        // 100 × (1/60000 − 1/60100) = 0.0000027731… BTC → 0.000002773 BTC.
        let mut intent = long_trade().intent;
        intent.stop = price("59000");
        intent.take_profit_1 = None;
        intent.take_profit_2 = price("60100");
        let mut trade = ManagedTrade::new(
            1,
            intent,
            quantity("1"),
            Rate::ZERO,
            quantity("1"),
            Valuation::inverse(quantity("100")),
        );
        trade.entry_order = Some(OrderId(1));
        trade.on_entry_fill(&fill(1, OrderSide::Buy, "60000", "1", "0", "0"));
        trade.exit_order = Some((OrderId(2), ExitReason::TakeProfit2));
        trade.on_exit_fill(
            &fill(2, OrderSide::Sell, "60100", "1", "0", "0"),
            ExitReason::TakeProfit2,
        );
        let record = trade.to_record().unwrap_or_else(|| unreachable!());
        assert_eq!(
            record.gross_pnl,
            Money::from_decimal_str("0.000002773").unwrap_or_default()
        );
    }

    #[test]
    fn slippage_is_cost_against_mid() {
        let mut trade = long_trade();
        let mut entry = fill(1, OrderSide::Buy, "100.5", "2", "0", "5");
        entry.reference_mid = Some(price("100"));
        trade.on_entry_fill(&entry);
        // Bought 2 at 100.5 with mid 100: cost 1.0.
        assert_eq!(
            trade.entry_slippage,
            Money::from_decimal_str("1").unwrap_or_default()
        );
        assert_eq!(trade.phase(), TradePhase::Open);
    }
}
