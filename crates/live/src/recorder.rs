//! The session's [`EngineRecorder`]: the engine reports every order before it reaches the
//! venue (write-ahead: the row is committed to execution.db, after the raw journal is
//! flushed, before `Venue::submit` runs), every execution report, signal, trade and equity
//! point. Rows a restart regenerates are checked against the log instead of written again;
//! an order already in the log is marked so the live venue does not send it twice.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::sync::Arc;

use auction_trader_engine::EngineRecorder;
use auction_trader_strategy::{Direction, SetupKind, SignalRecord, SignalRecordKind};
use auction_trader_types::{
    EquityPoint, ExecutionReport, Liquidity, Money, OrderPurpose, OrderRecord, OrderSide,
    OrderType, Price, Quantity, TradeRecord, UnixNanos,
};
use auction_trader_venues::Clock;

use crate::LiveError;
use crate::execution_log::{ExecutionLog, FillRow, Logged, OrderRow};
use crate::raw_journal::JournalWriter;

/// What the session remembers of an order.
#[derive(Debug, Clone)]
struct OrderInfo {
    client_id: String,
    ts_submit: UnixNanos,
    limit: bool,
    entry: bool,
    mid_at_submit: Option<Price>,
    spread_at_submit: Option<Price>,
    fills: u32,
    maker_filled: bool,
    acknowledged: bool,
}

/// A signal as shadow mode compares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignalKey {
    pub ts: UnixNanos,
    pub setup: Option<SetupKind>,
    pub direction: Option<Direction>,
}

impl SignalKey {
    pub fn of(signal: &SignalRecord) -> Self {
        Self {
            ts: signal.ts,
            setup: signal.setup,
            direction: signal.direction,
        }
    }

    /// `setup direction` for messages and storage.
    pub fn names(&self) -> (&'static str, &'static str) {
        (
            self.setup.map_or("none", SetupKind::as_str),
            self.direction.map_or("none", Direction::as_str),
        )
    }
}

/// A fill as shadow mode compares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FillKey {
    pub ts: UnixNanos,
    pub side: OrderSide,
    pub price: Price,
    pub quantity: Quantity,
}

/// The execution side of a session: the log, the journal it flushes first, and the running
/// figures the metrics and kill switches read.
pub struct Ledger {
    pub log: ExecutionLog,
    pub journal: JournalWriter,
    pub generation: u32,
    pub start: u32,
    /// Client order id prefix of this generation.
    pub tag: String,
    clock: Arc<dyn Clock>,
    /// "simulated" (paper: exchange time) or "venue" (live: wall clock).
    latency_source: &'static str,
    orders: BTreeMap<u64, OrderInfo>,
    /// Orders found in the log (a restart's regeneration): never sent again.
    pub known_orders: BTreeSet<u64>,
    pub position: Quantity,
    pub orders_new: u64,
    pub orders_replayed: u64,
    pub fills: u64,
    pub fills_replayed: u64,
    pub limit_entries: u64,
    pub limit_entries_filled: u64,
    pub slippage_bps_sum: f64,
    pub estimate_bps_sum: f64,
    pub slippage_samples: u64,
    pub realized_pnl: Money,
    pub trades: u64,
    pub equity: Option<EquityPoint>,
    pub peak_equity: Option<Money>,
    pub signals: u64,
    /// Replay divergences found since the session last looked.
    pub divergences: Vec<String>,
    /// The first storage error (the session stops on it).
    pub error: Option<LiveError>,
    /// The engine is warming up on recorded data: nothing it does is recorded.
    pub warming_up: bool,
    /// Shadow mode: what the paper engine did since the comparator last looked.
    pub collect_for_shadow: bool,
    pub shadow_signals: Vec<SignalKey>,
    pub shadow_fills: Vec<FillKey>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Ledger")
            .field("generation", &self.generation)
            .field("start", &self.start)
            .field("tag", &self.tag)
            .field("position", &self.position)
            .field("fills", &self.fills)
            .finish_non_exhaustive()
    }
}

impl Ledger {
    pub fn new(
        log: ExecutionLog,
        journal: JournalWriter,
        generation: u32,
        start: u32,
        tag: String,
        clock: Arc<dyn Clock>,
        simulated: bool,
    ) -> Self {
        Self {
            log,
            journal,
            generation,
            start,
            tag,
            clock,
            latency_source: if simulated { "simulated" } else { "venue" },
            orders: BTreeMap::new(),
            known_orders: BTreeSet::new(),
            position: Quantity::ZERO,
            orders_new: 0,
            orders_replayed: 0,
            fills: 0,
            fills_replayed: 0,
            limit_entries: 0,
            limit_entries_filled: 0,
            slippage_bps_sum: 0.0,
            estimate_bps_sum: 0.0,
            slippage_samples: 0,
            realized_pnl: Money::ZERO,
            trades: 0,
            equity: None,
            peak_equity: None,
            signals: 0,
            divergences: Vec::new(),
            error: None,
            warming_up: false,
            collect_for_shadow: false,
            shadow_signals: Vec::new(),
            shadow_fills: Vec::new(),
        }
    }

    /// The client order id of an engine order id.
    pub fn client_id(&self, order_id: u64) -> String {
        format!("{}-{order_id}", self.tag)
    }

    fn keep_error(&mut self, result: Result<(), LiveError>) {
        if let Err(error) = result
            && self.error.is_none()
        {
            self.error = Some(error);
        }
    }

    fn wall_ns(&self) -> i64 {
        self.clock.now().0
    }

    fn on_order(&mut self, order: &OrderRecord) {
        if self.warming_up {
            return;
        }
        let client_id = self.client_id(order.order_id);
        let row = OrderRow {
            client_id: client_id.clone(),
            order_id: order.order_id,
            ts_submit: order.ts_submit,
            side: order.side,
            kind: order.kind.as_str().to_owned(),
            purpose: order.purpose.as_str().to_owned(),
            limit_price: order.limit_price,
            quantity: order.quantity,
        };
        // Write-ahead: the journal holds the order's causes, then the row is committed.
        let flushed = self.journal.flush();
        self.keep_error(flushed);
        let wall = self.wall_ns();
        match self
            .log
            .record_order(self.generation, self.start, &row, wall)
        {
            Ok(Logged::New) => self.orders_new += 1,
            Ok(Logged::Known) => {
                self.orders_replayed += 1;
                self.known_orders.insert(order.order_id);
            }
            Ok(Logged::Differs) => {
                self.orders_replayed += 1;
                self.known_orders.insert(order.order_id);
                self.divergences.push(format!(
                    "order {client_id} regenerated differently from execution.db ({} {} {} at {})",
                    order.side.as_str(),
                    order.quantity,
                    order.kind.as_str(),
                    order.ts_submit
                ));
            }
            Err(error) => self.keep_error(Err(error)),
        }
        let limit = order.kind == OrderType::Limit;
        let entry = order.purpose == OrderPurpose::Entry;
        if limit && entry {
            self.limit_entries += 1;
        }
        self.orders.insert(
            order.order_id,
            OrderInfo {
                client_id,
                ts_submit: order.ts_submit,
                limit,
                entry,
                mid_at_submit: order.mid_at_submit,
                spread_at_submit: order.spread_at_submit,
                fills: 0,
                maker_filled: false,
                acknowledged: false,
            },
        );
    }

    fn on_report(&mut self, report: &ExecutionReport) {
        if self.warming_up {
            return;
        }
        let Some(order_id) = report.order_id() else {
            return;
        };
        let Some(info) = self.orders.get_mut(&order_id.0) else {
            return;
        };
        let client_id = info.client_id.clone();
        match report {
            ExecutionReport::Accepted { ts, .. } => {
                if !info.acknowledged {
                    info.acknowledged = true;
                    let submit = info.ts_submit;
                    let source = self.latency_source;
                    let result = self
                        .log
                        .record_latency(
                            &client_id,
                            submit,
                            *ts,
                            ts.0.saturating_sub(submit.0),
                            source,
                        )
                        .and_then(|()| self.log.set_order_status(&client_id, "accepted", *ts));
                    self.keep_error(result);
                }
            }
            ExecutionReport::Filled(fill) => {
                info.fills += 1;
                let seq = info.fills;
                let maker = fill.liquidity == Liquidity::Maker;
                if maker && info.limit && info.entry && !info.maker_filled {
                    info.maker_filled = true;
                    self.limit_entries_filled += 1;
                }
                if !maker
                    && let (Some(mid), Some(spread)) = (info.mid_at_submit, info.spread_at_submit)
                    && mid.is_positive()
                {
                    let mid_f = mid.as_f64();
                    let slippage = match fill.side {
                        OrderSide::Buy => fill.price.as_f64() - mid_f,
                        OrderSide::Sell => mid_f - fill.price.as_f64(),
                    };
                    self.slippage_bps_sum += slippage / mid_f * 10_000.0;
                    self.estimate_bps_sum += spread.as_f64() / 2.0 / mid_f * 10_000.0;
                    self.slippage_samples += 1;
                }
                let signed = match fill.side {
                    OrderSide::Buy => fill.quantity,
                    OrderSide::Sell => Quantity::from_raw(fill.quantity.raw().saturating_neg()),
                };
                self.position = self.position.saturating_add(signed);
                self.fills += 1;
                let row = FillRow {
                    seq,
                    ts: fill.ts,
                    side: fill.side,
                    price: fill.price,
                    quantity: fill.quantity,
                    maker,
                    fee: fill.fee,
                    reference_mid: fill.reference_mid,
                };
                if self.collect_for_shadow {
                    self.shadow_fills.push(FillKey {
                        ts: fill.ts,
                        side: fill.side,
                        price: fill.price,
                        quantity: fill.quantity,
                    });
                }
                let flushed = self.journal.flush();
                self.keep_error(flushed);
                let status = if fill.leaves_quantity.is_zero() {
                    "filled"
                } else {
                    "partially_filled"
                };
                match self.log.record_fill(
                    self.generation,
                    self.start,
                    &client_id,
                    &row,
                    self.position,
                ) {
                    Ok(Logged::New) => {}
                    Ok(Logged::Known) => self.fills_replayed += 1,
                    Ok(Logged::Differs) => {
                        self.fills_replayed += 1;
                        self.divergences.push(format!(
                            "fill {client_id}#{seq} regenerated differently from execution.db \
                             ({} {} @ {} at {})",
                            fill.side.as_str(),
                            fill.quantity,
                            fill.price,
                            fill.ts
                        ));
                    }
                    Err(error) => self.keep_error(Err(error)),
                }
                let result = self.log.set_order_status(&client_id, status, fill.ts);
                self.keep_error(result);
            }
            ExecutionReport::Canceled { ts, .. } => {
                let result = self.log.set_order_status(&client_id, "canceled", *ts);
                self.keep_error(result);
            }
            ExecutionReport::Rejected { ts, .. } => {
                let result = self.log.set_order_status(&client_id, "rejected", *ts);
                self.keep_error(result);
            }
            ExecutionReport::ConvertedToMarket { ts, .. } => {
                let result = self.log.set_order_status(&client_id, "converted", *ts);
                self.keep_error(result);
            }
            ExecutionReport::CancelRejected { .. } | ExecutionReport::Funding(_) => {}
        }
    }

    fn on_signal(&mut self, signal: &SignalRecord) {
        if self.warming_up {
            return;
        }
        if signal.kind != SignalRecordKind::Signal {
            return;
        }
        self.signals += 1;
        let key = SignalKey::of(signal);
        let (setup, direction) = key.names();
        if self.collect_for_shadow {
            self.shadow_signals.push(key);
        }
        let result = self
            .log
            .record_signal(self.generation, signal.ts, setup, direction);
        self.keep_error(result);
    }

    fn on_trade(&mut self, trade: &TradeRecord) {
        if self.warming_up {
            return;
        }
        self.trades += 1;
        let net = trade
            .gross_pnl
            .saturating_sub(trade.fees)
            .saturating_sub(trade.funding);
        self.realized_pnl = self.realized_pnl.saturating_add(net);
    }

    fn on_equity(&mut self, point: EquityPoint) {
        if self.warming_up {
            return;
        }
        if self.peak_equity.is_none_or(|peak| point.equity > peak) {
            self.peak_equity = Some(point.equity);
        }
        self.equity = Some(point);
    }

    /// Drawdown from peak equity, as a fraction.
    pub fn drawdown(&self) -> f64 {
        match (self.equity, self.peak_equity) {
            (Some(point), Some(peak)) if peak.is_positive() => {
                ((peak.as_f64() - point.equity.as_f64()) / peak.as_f64()).max(0.0)
            }
            _ => 0.0,
        }
    }

    /// Mean slippage / mean estimate of the taker fills (None before any).
    pub fn slippage_ratio(&self) -> Option<f64> {
        (self.slippage_samples > 0 && self.estimate_bps_sum > 0.0)
            .then(|| self.slippage_bps_sum / self.estimate_bps_sum)
    }
}

/// Shared handle to the ledger.
pub type SharedLedger = Rc<RefCell<Ledger>>;

/// The engine's recorder: everything goes to the ledger.
#[derive(Debug)]
pub struct SessionRecorder {
    ledger: SharedLedger,
}

impl SessionRecorder {
    pub fn new(ledger: SharedLedger) -> Self {
        Self { ledger }
    }
}

impl EngineRecorder for SessionRecorder {
    fn record_signal(&mut self, signal: SignalRecord) {
        self.ledger.borrow_mut().on_signal(&signal);
    }

    fn record_order(&mut self, order: OrderRecord) {
        self.ledger.borrow_mut().on_order(&order);
    }

    fn record_report(&mut self, report: &ExecutionReport) {
        self.ledger.borrow_mut().on_report(report);
    }

    fn record_trade(&mut self, trade: TradeRecord) {
        self.ledger.borrow_mut().on_trade(&trade);
    }

    fn record_equity(&mut self, point: EquityPoint) {
        self.ledger.borrow_mut().on_equity(point);
    }
}
