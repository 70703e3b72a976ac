//! The contract between a strategy and the engine.

use auction_trader_features::FeatureSnapshot;
use auction_trader_types::{
    ExecutionReport, Instrument, MarketEvent, OrderCommand, OrderId, OrderKind, OrderRequest,
    OrderSide, Price, Quantity, TimeoutAction, UnixNanos,
};
// The trading vocabulary lives in the types crate (risk and storage read it too); strategies
// keep importing it from here.
pub use auction_trader_types::{Direction, EntryOrder, ExitReason, SetupKind, TradeIntent};
use serde::Serialize;

/// A strategy's request to close its whole position with a market order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ExitRequest {
    pub ts: UnixNanos,
    pub reason: ExitReason,
}

/// The strategy's view of its position (flat: zero quantity, no entry).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PositionView {
    /// Signed: positive long, negative short.
    pub quantity: Quantity,
    pub entry_price: Option<Price>,
    pub entry_ts: Option<UnixNanos>,
    pub setup: Option<SetupKind>,
    /// An entry order is working (sent, not yet filled or cancelled).
    pub entry_pending: bool,
}

impl PositionView {
    pub fn is_flat(&self) -> bool {
        self.quantity.is_zero() && !self.entry_pending
    }

    pub fn direction(&self) -> Option<Direction> {
        if self.quantity.is_positive() {
            Some(Direction::Long)
        } else if self.quantity.is_negative() {
            Some(Direction::Short)
        } else {
            None
        }
    }
}

/// What the engine tells a strategy with each call.
#[derive(Debug, Clone, Copy)]
pub struct StrategyContext<'a> {
    /// The engine clock (the event's receive time): never the wall clock.
    pub now: UnixNanos,
    pub instrument: &'a Instrument,
    pub position: PositionView,
    /// Latest best bid / ask known to the engine.
    pub best_bid: Option<Price>,
    pub best_ask: Option<Price>,
    /// Entries are blocked by risk right now (cooldown or daily kill switch): a strategy may
    /// still log its signals, the engine will refuse the intent anyway.
    pub entries_blocked: bool,
}

/// Kind of signal-log record (SPEC 3.1: every transition and every near-miss).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalRecordKind {
    /// A state machine moved from one state to another.
    Transition,
    /// A setup fired and produced a trade intent.
    Signal,
    /// A setup met every condition except its confirmation.
    NearMiss,
    /// A signal the engine could not act on (e.g. blocked), logged by the engine.
    Suppressed,
}

impl SignalRecordKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Transition => "transition",
            Self::Signal => "signal",
            Self::NearMiss => "near_miss",
            Self::Suppressed => "suppressed",
        }
    }
}

/// One row of signals.db.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignalRecord {
    pub ts: UnixNanos,
    pub kind: SignalRecordKind,
    pub setup: Option<SetupKind>,
    pub direction: Option<Direction>,
    /// State machine name (e.g. "breakout_up") and states before/after.
    pub machine: &'static str,
    pub from_state: &'static str,
    pub to_state: &'static str,
    /// Human-readable key=value details (levels, counts, the failed condition), stable order.
    pub detail: String,
}

/// What a strategy answers; the engine drains it after every call.
#[derive(Debug, Default)]
pub struct Actions {
    pub intents: Vec<TradeIntent>,
    pub exits: Vec<ExitRequest>,
    pub orders: Vec<OrderCommand>,
    pub signals: Vec<SignalRecord>,
    next_order_id: u64,
}

impl Actions {
    /// `first_order_id`: ids of direct orders start here (the engine owns the id space).
    pub fn new(first_order_id: u64) -> Self {
        Self {
            next_order_id: first_order_id,
            ..Self::default()
        }
    }

    /// The next id the engine will hand out.
    pub fn next_order_id(&self) -> u64 {
        self.next_order_id
    }

    /// Takes an id from the engine's id space (order management uses the same counter).
    pub fn allocate_order_id(&mut self) -> OrderId {
        let id = OrderId(self.next_order_id);
        self.next_order_id += 1;
        id
    }

    /// A direct order (strategies that manage their own quotes); returns its id for cancels.
    pub fn submit(
        &mut self,
        side: OrderSide,
        quantity: Quantity,
        kind: OrderKind,
        timeout: Option<(i64, TimeoutAction)>,
    ) -> OrderId {
        let id = self.allocate_order_id();
        self.orders.push(OrderCommand::Submit(OrderRequest {
            id,
            side,
            quantity,
            kind,
            reduce_only: false,
            timeout,
            trigger: None,
        }));
        id
    }

    pub fn cancel(&mut self, id: OrderId) {
        self.orders.push(OrderCommand::Cancel(id));
    }

    pub fn is_empty(&self) -> bool {
        self.intents.is_empty()
            && self.exits.is_empty()
            && self.orders.is_empty()
            && self.signals.is_empty()
    }
}

/// A trading strategy. The same value runs in every mode; all time comes from `context.now`.
pub trait Strategy {
    /// Stable name (reports, signals.db).
    fn name(&self) -> &'static str;

    /// Whether [`Strategy::on_market_event`] should be called (bar-driven strategies return
    /// false and the engine skips the per-event call).
    fn wants_market_events(&self) -> bool {
        false
    }

    /// Every market event of the instrument, after the engine's book and features saw it.
    fn on_market_event(
        &mut self,
        _event: &MarketEvent,
        _context: &StrategyContext<'_>,
        _actions: &mut Actions,
    ) {
    }

    /// Each closed one-minute bar with its feature snapshot (SPEC 3.1: setups are evaluated
    /// at bar closes).
    fn on_bar(
        &mut self,
        snapshot: &FeatureSnapshot,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    );

    /// Reports about the strategy's own orders (direct orders and managed entries/exits).
    fn on_execution(
        &mut self,
        _report: &ExecutionReport,
        _context: &StrategyContext<'_>,
        _actions: &mut Actions,
    ) {
    }

    /// The position went flat (after `reason`); state machines reset their trade state here.
    fn on_position_closed(
        &mut self,
        _reason: ExitReason,
        _context: &StrategyContext<'_>,
        _actions: &mut Actions,
    ) {
    }
}

/// A boxed strategy is a strategy (runners choose the strategy from the config at run time).
impl<T: Strategy + ?Sized> Strategy for Box<T> {
    fn name(&self) -> &'static str {
        (**self).name()
    }

    fn wants_market_events(&self) -> bool {
        (**self).wants_market_events()
    }

    fn on_market_event(
        &mut self,
        event: &MarketEvent,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        (**self).on_market_event(event, context, actions);
    }

    fn on_bar(
        &mut self,
        snapshot: &FeatureSnapshot,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        (**self).on_bar(snapshot, context, actions);
    }

    fn on_execution(
        &mut self,
        report: &ExecutionReport,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        (**self).on_execution(report, context, actions);
    }

    fn on_position_closed(
        &mut self,
        reason: ExitReason,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        (**self).on_position_closed(reason, context, actions);
    }
}
