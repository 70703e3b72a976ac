//! One managed trade from its entry order to its last exit (SPEC 4 and 5): entry fills,
//! stop and target triggers on every trade print (or on bars, stop first), TP1 partial exit
//! with the stop moved to breakeven, and the accounting that becomes the trade list row.

use auction_trader_analytics::{ExitLeg, TradeRecord};
use auction_trader_strategy::{Direction, ExitReason, TradeIntent};
use auction_trader_types::{
    Crossing, Fill, Liquidity, Money, OrderId, Price, Quantity, Trigger, TypesError, UnixNanos,
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
    /// TP1 share of the planned quantity (zero = no TP1, SPEC 4's 1-lot rule).
    pub take_profit_1_quantity: Quantity,
    pub entry_order: Option<OrderId>,
    pub exit_order: Option<(OrderId, ExitReason)>,
    /// Current stop (moves to the entry price after TP1).
    pub stop: Price,
    pub take_profit_1_done: bool,
    entered: Quantity,
    exited: Quantity,
    entry_notional: Money,
    entry_ts: Option<UnixNanos>,
    entry_fees: Money,
    entry_slippage: Money,
    maker_fills: u32,
    taker_fills: u32,
    exit_notional: Money,
    legs: Vec<ExitLeg>,
    funding: Money,
    gross_pnl: Money,
    contract_multiplier: Quantity,
}

impl ManagedTrade {
    pub fn new(
        trade_id: u64,
        intent: TradeIntent,
        planned_quantity: Quantity,
        take_profit_1_quantity: Quantity,
        contract_multiplier: Quantity,
    ) -> Self {
        Self {
            trade_id,
            stop: intent.stop,
            intent,
            planned_quantity,
            take_profit_1_quantity,
            entry_order: None,
            exit_order: None,
            take_profit_1_done: false,
            entered: Quantity::ZERO,
            exited: Quantity::ZERO,
            entry_notional: Money::ZERO,
            entry_ts: None,
            entry_fees: Money::ZERO,
            entry_slippage: Money::ZERO,
            maker_fills: 0,
            taker_fills: 0,
            exit_notional: Money::ZERO,
            legs: Vec::new(),
            funding: Money::ZERO,
            gross_pnl: Money::ZERO,
            contract_multiplier,
        }
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
        // exited <= entered (exit fills are capped by the open quantity).
        Quantity::from_raw(self.entered.raw() - self.exited.raw())
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
        average_price(self.entry_notional, self.entered)
    }

    /// Applies a fill of the entry order; an overflow of a size or money sum is an error
    /// naming the value (the trade is then left as it was).
    pub fn on_entry_fill(&mut self, fill: &Fill) -> Result<(), TypesError> {
        let entered = self.entered.try_add(fill.quantity, "trade entry size")?;
        let entry_notional = self.entry_notional.try_add(
            Money::notional(fill.price, fill.quantity)?,
            "trade entry notional",
        )?;
        let entry_fees = self.entry_fees.try_add(fill.fee, "trade entry fees")?;
        let entry_slippage = self
            .entry_slippage
            .try_add(self.slippage_of(fill)?, "trade entry slippage")?;
        self.entered = entered;
        self.entry_notional = entry_notional;
        self.entry_ts.get_or_insert(fill.ts);
        self.entry_fees = entry_fees;
        self.entry_slippage = entry_slippage;
        match fill.liquidity {
            Liquidity::Maker => self.maker_fills += 1,
            Liquidity::Taker => self.taker_fills += 1,
        }
        if fill.leaves_quantity.is_zero() {
            self.entry_order = None;
        }
        Ok(())
    }

    /// Applies a fill of an exit order; an overflow of a size or money sum is an error naming
    /// the value.
    pub fn on_exit_fill(&mut self, fill: &Fill, reason: ExitReason) -> Result<(), TypesError> {
        let quantity = Quantity::from_raw(fill.quantity.raw().min(self.open_quantity().raw()));
        let entry = self.average_entry_price().unwrap_or(fill.price);
        let per_unit = (fill.price.raw() - entry.raw()) * self.sign();
        self.gross_pnl = self.gross_pnl.try_add(
            linear_value(
                per_unit,
                quantity,
                self.contract_multiplier,
                "trade gross P&L",
            )?,
            "trade gross P&L",
        )?;
        self.exited = self.exited.try_add(quantity, "trade exit size")?;
        self.exit_notional = self.exit_notional.try_add(
            Money::notional(fill.price, quantity)?,
            "trade exit notional",
        )?;
        let slippage = self.slippage_of(fill)?;
        match self.legs.last_mut() {
            // Partial fills of one exit order form one leg.
            Some(leg) if leg.reason == reason.as_str() && self.exit_order.is_some() => {
                let total = leg.quantity.try_add(quantity, "exit leg size")?;
                let notional = Money::notional(leg.price, leg.quantity)?
                    .try_add(Money::notional(fill.price, quantity)?, "exit leg notional")?;
                leg.price = average_price(notional, total).unwrap_or(fill.price);
                leg.quantity = total;
                leg.fee = leg.fee.try_add(fill.fee, "exit leg fee")?;
                leg.slippage = leg.slippage.try_add(slippage, "exit leg slippage")?;
                leg.ts = fill.ts;
            }
            _ => self.legs.push(ExitLeg {
                ts: fill.ts,
                price: fill.price,
                quantity,
                reason: reason.as_str().to_owned(),
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
        Ok(())
    }

    pub fn on_funding(&mut self, amount: Money) -> Result<(), TypesError> {
        self.funding = self.funding.try_add(amount, "trade funding")?;
        Ok(())
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
        if let Some(target) = self.intent.take_profit_1
            && !self.take_profit_1_done
            && self.take_profit_1_quantity.is_positive()
            && favourable(target)
        {
            let quantity = Quantity::from_raw(self.take_profit_1_quantity.raw().min(open.raw()));
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

    /// The trade-list row once the trade is closed (`None` if nothing was ever filled); an
    /// overflow of the fee or P&L sums is an error naming the value.
    pub fn to_record(&self) -> Result<Option<TradeRecord>, TypesError> {
        let (Some(entry_ts), Some(entry_price), Some(last_leg)) =
            (self.entry_ts, self.average_entry_price(), self.legs.last())
        else {
            return Ok(None);
        };
        let mut exit_fees = Money::ZERO;
        let mut exit_slippage = Money::ZERO;
        for leg in &self.legs {
            exit_fees = exit_fees.try_add(leg.fee, "trade exit fees")?;
            exit_slippage = exit_slippage.try_add(leg.slippage, "trade exit slippage")?;
        }
        let fees = self.entry_fees.try_add(exit_fees, "trade fees")?;
        let gross = self.gross_pnl;
        let net = gross
            .try_sub(fees, "trade net P&L")?
            .try_sub(self.funding, "trade net P&L")?;
        let entry_liquidity = match (self.maker_fills, self.taker_fills) {
            (_, 0) => "maker",
            (0, _) => "taker",
            _ => "mixed",
        };
        Ok(Some(TradeRecord {
            trade_id: self.trade_id,
            setup: self.intent.setup.as_str().to_owned(),
            direction: self.intent.direction.as_str().to_owned(),
            signal_ts: self.intent.ts,
            entry_ts,
            entry_price,
            quantity: self.entered,
            entry_liquidity: entry_liquidity.to_owned(),
            stop: self.intent.stop,
            take_profit_1: self.intent.take_profit_1,
            take_profit_2: self.intent.take_profit_2,
            exit_ts: last_leg.ts,
            exit_price: average_price(self.exit_notional, self.exited).unwrap_or(entry_price),
            exit_reason: last_leg.reason.clone(),
            legs: self.legs.clone(),
            gross_pnl: gross,
            fees,
            funding: self.funding,
            slippage: self
                .entry_slippage
                .try_add(exit_slippage, "trade slippage")?,
            net_pnl: net,
        }))
    }

    fn sign(&self) -> i64 {
        self.intent.direction.sign()
    }

    /// Cost of a fill against the mid at that moment (positive = paid), quote currency.
    fn slippage_of(&self, fill: &Fill) -> Result<Money, TypesError> {
        let Some(mid) = fill.reference_mid else {
            return Ok(Money::ZERO);
        };
        let per_unit = (fill.price.raw() - mid.raw()) * fill.side.sign();
        linear_value(
            per_unit,
            fill.quantity,
            self.contract_multiplier,
            "fill slippage",
        )
    }
}

/// `per_unit × quantity × multiplier` in quote currency, each product rounded toward zero.
fn linear_value(
    per_unit_raw: i64,
    quantity: Quantity,
    multiplier: Quantity,
    operation: &'static str,
) -> Result<Money, TypesError> {
    Money::notional(Price::from_raw(per_unit_raw), quantity)?
        .try_mul_quantity(multiplier, operation)
}

/// notional / quantity as a price (None for zero quantity, or a notional too large for the
/// division; a price average never exceeds the prices it averages otherwise).
fn average_price(notional: Money, quantity: Quantity) -> Option<Price> {
    if quantity.raw() <= 0 {
        return None;
    }
    let raw = notional
        .raw()
        .checked_mul(i128::from(auction_trader_types::FIXED_SCALE))?
        / quantity.raw();
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
        };
        let mut trade = ManagedTrade::new(1, intent, quantity("7"), quantity("2"), Quantity::ONE);
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
        trade
            .on_entry_fill(&fill(1, OrderSide::Buy, "100", "7", "0", "0"))
            .unwrap();
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
        trade
            .on_entry_fill(&fill(1, OrderSide::Buy, "100", "7", "0.35", "0"))
            .unwrap();
        assert_eq!(trade.phase(), TradePhase::Open);
        assert_eq!(trade.trigger_on_trade(price("100.5")), None);
        assert_eq!(
            trade.trigger_on_trade(price("101")),
            Some((ExitReason::TakeProfit1, quantity("2")))
        );
        trade.exit_order = Some((OrderId(2), ExitReason::TakeProfit1));
        trade
            .on_exit_fill(
                &fill(2, OrderSide::Sell, "101", "2", "0.101", "0"),
                ExitReason::TakeProfit1,
            )
            .unwrap();
        assert!(trade.take_profit_1_done);
        trade.move_stop_to_breakeven();
        assert_eq!(trade.stop, price("100"));
        assert_eq!(
            trade.trigger_on_trade(price("100")),
            Some((ExitReason::BreakevenStop, quantity("5")))
        );
        trade.exit_order = Some((OrderId(3), ExitReason::BreakevenStop));
        trade
            .on_exit_fill(
                &fill(3, OrderSide::Sell, "100", "5", "0.25", "0"),
                ExitReason::BreakevenStop,
            )
            .unwrap();
        assert_eq!(trade.phase(), TradePhase::Closed);
        let record = trade.to_record().unwrap().unwrap();
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
        trade
            .on_entry_fill(&fill(1, OrderSide::Sell, "100", "7", "0", "0"))
            .unwrap();
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
        trade
            .on_exit_fill(
                &fill(2, OrderSide::Buy, "97", "7", "0", "0"),
                ExitReason::TakeProfit2,
            )
            .unwrap();
        let record = trade.to_record().unwrap().unwrap();
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
    fn slippage_is_cost_against_mid() {
        let mut trade = long_trade();
        let mut entry = fill(1, OrderSide::Buy, "100.5", "2", "0", "5");
        entry.reference_mid = Some(price("100"));
        trade.on_entry_fill(&entry).unwrap();
        // Bought 2 at 100.5 with mid 100: cost 1.0.
        assert_eq!(
            trade.entry_slippage,
            Money::from_decimal_str("1").unwrap_or_default()
        );
        assert_eq!(trade.phase(), TradePhase::Open);
    }
}
