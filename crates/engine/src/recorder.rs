//! What the engine reports about a run. The backtest collects everything
//! ([`RunCollector`]); benchmarks and live hot paths may count only ([`CountingRecorder`]).

use auction_trader_strategy::SignalRecord;
use auction_trader_types::{
    EquityPoint, ExecutionReport, FillRecord, Money, OrderRecord, OrderStatus, PriceBar, Quantity,
    RunRecords, TradeRecord,
};

/// Receives the engine's records, in the order they happen.
pub trait EngineRecorder {
    fn record_signal(&mut self, _signal: SignalRecord) {}
    fn record_order(&mut self, _order: OrderRecord) {}
    /// Every execution report (order status changes, fills, funding).
    fn record_report(&mut self, _report: &ExecutionReport) {}
    fn record_trade(&mut self, _trade: TradeRecord) {}
    fn record_equity(&mut self, _point: EquityPoint) {}
    fn record_bar(&mut self, _bar: PriceBar) {}
}

/// Counts only (no allocation per record).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CountingRecorder {
    pub signals: u64,
    pub orders: u64,
    pub reports: u64,
    pub fills: u64,
    pub trades: u64,
}

impl EngineRecorder for CountingRecorder {
    fn record_signal(&mut self, _signal: SignalRecord) {
        self.signals += 1;
    }

    fn record_order(&mut self, _order: OrderRecord) {
        self.orders += 1;
    }

    fn record_report(&mut self, report: &ExecutionReport) {
        self.reports += 1;
        if matches!(report, ExecutionReport::Filled(_)) {
            self.fills += 1;
        }
    }

    fn record_trade(&mut self, _trade: TradeRecord) {
        self.trades += 1;
    }
}

/// Keeps every record of a run: the input of the analytics, execution.db and signals.db.
#[derive(Debug)]
pub struct RunCollector {
    pub records: RunRecords,
    pub signals: Vec<SignalRecord>,
    /// Position of each order in `records.orders`, by order id (ids are dense from 1).
    order_index: Vec<u32>,
}

impl RunCollector {
    pub fn new(title: String, symbol: String, initial_equity: Money) -> Self {
        Self {
            records: RunRecords::new(title, symbol, initial_equity),
            signals: Vec::new(),
            order_index: Vec::new(),
        }
    }

    fn order_mut(&mut self, order_id: u64) -> Option<&mut OrderRecord> {
        let slot = *self.order_index.get(usize::try_from(order_id).ok()?)?;
        if slot == u32::MAX {
            return None;
        }
        self.records.orders.get_mut(slot as usize)
    }
}

impl EngineRecorder for RunCollector {
    fn record_signal(&mut self, signal: SignalRecord) {
        self.signals.push(signal);
    }

    fn record_order(&mut self, order: OrderRecord) {
        let Ok(index) = usize::try_from(order.order_id) else {
            return;
        };
        if self.order_index.len() <= index {
            self.order_index.resize(index + 1, u32::MAX);
        }
        self.order_index[index] = self.records.orders.len() as u32;
        self.records.orders.push(order);
    }

    fn record_report(&mut self, report: &ExecutionReport) {
        match report {
            ExecutionReport::Filled(fill) => {
                if let Some(order) = self.order_mut(fill.order_id.0) {
                    // Fills never exceed the order's quantity, so the sum stays in range.
                    order.filled_quantity =
                        Quantity::from_raw(order.filled_quantity.raw() + fill.quantity.raw());
                    // A converted limit keeps its status: fill-rate statistics need it.
                    order.status = if order.status == OrderStatus::Converted {
                        OrderStatus::Converted
                    } else if fill.leaves_quantity.is_zero() {
                        OrderStatus::Filled
                    } else {
                        OrderStatus::PartiallyFilled
                    };
                }
                self.records.fills.push(FillRecord {
                    order_id: fill.order_id.0,
                    ts: fill.ts,
                    side: fill.side,
                    price: fill.price,
                    quantity: fill.quantity,
                    liquidity: fill.liquidity,
                    fee: fill.fee,
                    reference_mid: fill.reference_mid,
                });
            }
            ExecutionReport::Canceled { order_id, .. } => {
                if let Some(order) = self.order_mut(order_id.0) {
                    order.status = OrderStatus::Canceled;
                }
            }
            ExecutionReport::Rejected { order_id, .. } => {
                if let Some(order) = self.order_mut(order_id.0) {
                    order.status = OrderStatus::Rejected;
                }
            }
            ExecutionReport::ConvertedToMarket { order_id, .. } => {
                if let Some(order) = self.order_mut(order_id.0) {
                    order.status = OrderStatus::Converted;
                }
            }
            ExecutionReport::Funding(payment) => self.records.funding.push(*payment),
            ExecutionReport::Accepted { .. } | ExecutionReport::CancelRejected { .. } => {}
        }
    }

    fn record_trade(&mut self, trade: TradeRecord) {
        self.records.trades.push(trade);
    }

    fn record_equity(&mut self, point: EquityPoint) {
        self.records.equity.push(point);
    }

    fn record_bar(&mut self, bar: PriceBar) {
        self.records.bars.push(bar);
    }
}
