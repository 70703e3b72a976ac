//! One trading account on the mock exchange: its own [`SimulatedExchange`] (the backtest's fill
//! model, SPEC 5: queue, latency, fees) fed with every replayed event, the venue-side order
//! records (ids, client ids, status, cumulative fills) built from the simulated exchange's
//! reports, and the REST requests waiting for their order to reach the exchange.
//!
//! Timing (SPEC 5 latency): an order or cancel is handed to the simulated exchange at the
//! replay time of the last processed frame; it reaches the book after the fill model's entry
//! or cancel latency, in replay time, when a later frame is processed. The REST answer waits
//! for that arrival, so a client sees the venue's round trip scaled by the replay speed.

use std::collections::BTreeMap;

use auction_trader_execution::{Account, FillModelConfig, SimulatedExchange};
use auction_trader_types::{
    CancelReason, ExecutionReport, Fill, Instrument, Money, OrderId, OrderKind, OrderRequest,
    OrderSide, Price, Quantity, RejectReason, UnixNanos,
};
use tokio::sync::oneshot;

use crate::{Credentials, MockError};

/// Time in force as the venues name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeInForce {
    GoodTillCancel,
    /// Immediate or cancel: the simulated order times out 0 ns after arrival.
    ImmediateOrCancel,
    /// Post-only (Binance `GTX`, Bybit `PostOnly`).
    PostOnly,
}

/// Order status (the venues' life cycle).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    /// Sent, not yet at the exchange (entry latency).
    PendingNew,
    New,
    PartiallyFilled,
    Filled,
    Canceled,
    /// Left without a request: IOC remainder, timeout, reduce-only remainder.
    Expired,
    Rejected(RejectReason),
}

impl OrderStatus {
    /// Whether the order can still fill.
    pub const fn is_open(self) -> bool {
        matches!(self, Self::PendingNew | Self::New | Self::PartiallyFilled)
    }
}

/// What happened to an order (an execution report, venue side).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecType {
    New,
    Trade,
    Canceled,
    Expired,
}

/// The venue's record of one order.
#[derive(Debug, Clone)]
pub struct OrderRecord {
    pub order_id: u64,
    pub client_id: String,
    pub side: OrderSide,
    /// `None` for market orders.
    pub price: Option<Price>,
    pub time_in_force: TimeInForce,
    pub quantity: Quantity,
    pub filled: Quantity,
    /// Σ price × quantity of the fills (quote currency, raw 10^-9).
    pub filled_value: i128,
    pub reduce_only: bool,
    pub status: OrderStatus,
    /// Replay time of the request and of the last change.
    pub created: UnixNanos,
    pub updated: UnixNanos,
}

impl OrderRecord {
    /// Average fill price (0 without fills), on the instrument's tick precision of 10^-9.
    pub fn average_price(&self) -> Price {
        if self.filled.is_zero() {
            return Price::ZERO;
        }
        let scale = 1_000_000_000_i128;
        let average = self.filled_value.saturating_mul(scale) / self.filled.raw();
        Price::from_raw(i64::try_from(average).unwrap_or(i64::MAX))
    }

    /// Quote value filled (`cumQuote`).
    pub fn filled_quote(&self) -> Money {
        Money::from_raw_i128(self.filled_value)
    }
}

/// One fill as the venue reports it.
#[derive(Debug, Clone, Copy)]
pub struct FillInfo {
    pub fill: Fill,
    /// P&L the fill realized (quote currency).
    pub realized: Money,
    pub trade_id: u64,
}

/// A change of an order, for the user-data streams.
#[derive(Debug, Clone)]
pub struct OrderUpdate {
    pub order: OrderRecord,
    pub exec: ExecType,
    pub fill: Option<FillInfo>,
    pub ts: UnixNanos,
}

/// A trading account on the mock exchange.
#[derive(Debug)]
pub struct MockAccount {
    pub credentials: Credentials,
    pub exchange: SimulatedExchange,
    pub orders: BTreeMap<u64, OrderRecord>,
    by_client_id: BTreeMap<String, u64>,
    submit_waiters: BTreeMap<u64, oneshot::Sender<()>>,
    cancel_waiters: BTreeMap<u64, oneshot::Sender<()>>,
    /// Every fill of the account, in order: `(order id, fill)` (Bybit `/v5/execution/list`).
    pub executions: Vec<(u64, FillInfo)>,
    /// Added to the position the venue reports (`/mock/position`: a forced mismatch).
    pub position_offset: Quantity,
    next_trade_id: u64,
    /// Fills booked again, for the realized P&L of each one.
    realized_ledger: Account,
    /// Replay time of the last balance or position change.
    pub updated: UnixNanos,
}

impl MockAccount {
    pub fn new(
        credentials: Credentials,
        instrument: Instrument,
        fill_model: FillModelConfig,
        balance: Money,
    ) -> Result<Self, MockError> {
        let realized_ledger = Account::with_valuation(instrument.valuation(), Money::ZERO);
        let mut exchange = SimulatedExchange::new(instrument, fill_model)?;
        exchange.deposit(balance);
        Ok(Self {
            credentials,
            exchange,
            orders: BTreeMap::new(),
            by_client_id: BTreeMap::new(),
            submit_waiters: BTreeMap::new(),
            cancel_waiters: BTreeMap::new(),
            executions: Vec::new(),
            position_offset: Quantity::ZERO,
            next_trade_id: 1,
            realized_ledger,
            updated: UnixNanos(0),
        })
    }

    /// The order id of a client order id.
    pub fn order_of_client_id(&self, client_id: &str) -> Option<u64> {
        self.by_client_id.get(client_id).copied()
    }

    /// Whether a client order id is used by an order.
    pub fn client_id_in_use(&self, client_id: &str) -> bool {
        self.by_client_id.contains_key(client_id)
    }

    /// Records an order and hands it to the simulated exchange at `now`; the receiver fires
    /// once the order reached the exchange (accepted, filled or rejected).
    #[allow(clippy::too_many_arguments)] // an order has that many fields
    pub fn submit(
        &mut self,
        now: UnixNanos,
        order_id: u64,
        client_id: String,
        side: OrderSide,
        price: Option<Price>,
        time_in_force: TimeInForce,
        quantity: Quantity,
        reduce_only: bool,
    ) -> oneshot::Receiver<()> {
        let kind = match price {
            Some(price) => OrderKind::Limit {
                price,
                post_only: time_in_force == TimeInForce::PostOnly,
            },
            None => OrderKind::Market,
        };
        let timeout = match time_in_force {
            TimeInForce::ImmediateOrCancel => {
                Some((0, auction_trader_types::TimeoutAction::Cancel))
            }
            _ => None,
        };
        let request = OrderRequest {
            id: OrderId(order_id),
            side,
            quantity,
            kind,
            reduce_only,
            timeout,
            trigger: None,
        };
        self.by_client_id.insert(client_id.clone(), order_id);
        self.orders.insert(
            order_id,
            OrderRecord {
                order_id,
                client_id,
                side,
                price,
                time_in_force,
                quantity,
                filled: Quantity::ZERO,
                filled_value: 0,
                reduce_only,
                status: OrderStatus::PendingNew,
                created: now,
                updated: now,
            },
        );
        let (sender, receiver) = oneshot::channel();
        self.submit_waiters.insert(order_id, sender);
        self.exchange.submit(now, request);
        receiver
    }

    /// Sends a cancel of an open order; the receiver fires when the cancel reached the
    /// exchange (the order is then canceled, or had filled before).
    pub fn cancel(&mut self, now: UnixNanos, order_id: u64) -> oneshot::Receiver<()> {
        let (sender, receiver) = oneshot::channel();
        self.cancel_waiters.insert(order_id, sender);
        self.exchange.cancel(now, OrderId(order_id));
        receiver
    }

    /// Applies the simulated exchange's reports to the order records; returns the changes
    /// for the user-data streams and wakes the REST requests that waited for them.
    pub fn apply_reports(&mut self, reports: &[ExecutionReport]) -> Vec<OrderUpdate> {
        let mut updates = Vec::new();
        let mut woken_submits = Vec::new();
        let mut woken_cancels = Vec::new();
        for report in reports {
            match *report {
                ExecutionReport::Accepted { order_id, ts } => {
                    woken_submits.push(order_id.0);
                    if let Some(order) = self.orders.get_mut(&order_id.0) {
                        order.status = OrderStatus::New;
                        order.updated = ts;
                        updates.push(OrderUpdate {
                            order: order.clone(),
                            exec: ExecType::New,
                            fill: None,
                            ts,
                        });
                    }
                }
                ExecutionReport::Rejected {
                    order_id,
                    ts,
                    reason,
                } => {
                    woken_submits.push(order_id.0);
                    if let Some(order) = self.orders.get_mut(&order_id.0) {
                        let was_accepted = order.status != OrderStatus::PendingNew;
                        order.status = OrderStatus::Rejected(reason);
                        order.updated = ts;
                        if was_accepted {
                            // A conversion that found no liquidity: the order expires.
                            order.status = OrderStatus::Expired;
                            updates.push(OrderUpdate {
                                order: order.clone(),
                                exec: ExecType::Expired,
                                fill: None,
                                ts,
                            });
                        }
                    }
                }
                ExecutionReport::Filled(fill) => {
                    let realized = self.book_fill(&fill);
                    let trade_id = self.next_trade_id;
                    self.next_trade_id += 1;
                    self.updated = fill.ts;
                    let info = FillInfo {
                        fill,
                        realized,
                        trade_id,
                    };
                    self.executions.push((fill.order_id.0, info));
                    if let Some(order) = self.orders.get_mut(&fill.order_id.0) {
                        order.filled = order.filled.saturating_add(fill.quantity);
                        order.filled_value = order
                            .filled_value
                            .saturating_add(fill.price.notional_raw(fill.quantity));
                        order.status = if fill.leaves_quantity.is_zero() {
                            OrderStatus::Filled
                        } else {
                            OrderStatus::PartiallyFilled
                        };
                        order.updated = fill.ts;
                        updates.push(OrderUpdate {
                            order: order.clone(),
                            exec: ExecType::Trade,
                            fill: Some(info),
                            ts: fill.ts,
                        });
                    }
                }
                ExecutionReport::Canceled {
                    order_id,
                    ts,
                    reason,
                } => {
                    woken_cancels.push(order_id.0);
                    if let Some(order) = self.orders.get_mut(&order_id.0) {
                        let (status, exec) = match reason {
                            CancelReason::Requested => (OrderStatus::Canceled, ExecType::Canceled),
                            _ => (OrderStatus::Expired, ExecType::Expired),
                        };
                        order.status = status;
                        order.updated = ts;
                        updates.push(OrderUpdate {
                            order: order.clone(),
                            exec,
                            fill: None,
                            ts,
                        });
                    }
                }
                ExecutionReport::CancelRejected { order_id, .. } => {
                    woken_cancels.push(order_id.0);
                }
                ExecutionReport::ConvertedToMarket { .. } | ExecutionReport::Funding(_) => {}
            }
        }
        for id in woken_submits {
            if let Some(sender) = self.submit_waiters.remove(&id) {
                let _ = sender.send(());
            }
        }
        for id in woken_cancels {
            if let Some(sender) = self.cancel_waiters.remove(&id) {
                let _ = sender.send(());
            }
        }
        updates
    }

    /// The P&L a fill realized. The simulated exchange books fills on its own account without
    /// returning that figure per fill, so a ledger of the same valuation replays each fill.
    fn book_fill(&mut self, fill: &Fill) -> Money {
        self.realized_ledger.apply_fill(fill)
    }

    /// Forgets the requests still waiting (the replay is over: they will never arrive).
    pub fn abandon_waiters(&mut self) {
        self.submit_waiters.clear();
        self.cancel_waiters.clear();
    }

    /// Position the venue reports (simulated position + the forced offset).
    pub fn reported_position(&self) -> Quantity {
        self.exchange
            .account()
            .position()
            .saturating_add(self.position_offset)
    }
}
