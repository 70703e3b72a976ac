//! Shadow mode's second engine (SPEC 7): the backtest of the recorded events beside the
//! paper engine, and how reconciliation reads a venue's own position.

use std::cell::RefCell;
use std::rc::Rc;

use auction_trader_backtest::{BacktestConfig, build_engine, build_strategy};
use auction_trader_engine::{Engine, EngineRecorder};
use auction_trader_execution::SimulatedExchange;
use auction_trader_strategy::{SignalRecord, SignalRecordKind, Strategy};
use auction_trader_types::{
    ExecutionReport, Instrument, Liquidity, OrderPurpose, OrderRecord, OrderType, Quantity,
    UnixNanos,
};

use crate::LiveError;
use crate::config::LiveSettings;
use crate::gate::{Gate, GatedStrategy};
use crate::gateway_venue::GatewayVenue;
use crate::recorder::{FillKey, SignalKey};
use crate::shadow::ShadowComparator;

/// The shadow mode's backtest engine and the comparison.
pub(super) struct Twin {
    pub(super) engine: Engine<GatedStrategy<Box<dyn Strategy>>, SimulatedExchange, TwinRecorder>,
    pub(super) gate: Gate,
    pub(super) output: Rc<RefCell<TwinOutput>>,
    pub(super) comparator: ShadowComparator,
}

/// What the shadow mode's backtest engine produced since the comparator last looked.
#[derive(Debug, Default)]
pub(super) struct TwinOutput {
    pub(super) signals: Vec<SignalKey>,
    pub(super) fills: Vec<FillKey>,
    pub(super) open_limit_entries: std::collections::BTreeSet<u64>,
    pub(super) limit_entries: u64,
    pub(super) limit_entries_filled: u64,
}

impl Twin {
    pub(super) fn new(
        config: &BacktestConfig,
        instrument: Instrument,
        live: &LiveSettings,
    ) -> Result<Self, LiveError> {
        let gate: Gate = Rc::default();
        let strategy = GatedStrategy::new(build_strategy(config)?, Rc::clone(&gate));
        let output = Rc::default();
        let recorder = TwinRecorder {
            output: Rc::clone(&output),
        };
        let tick = instrument.tick_size;
        let engine = build_engine(config, instrument, strategy, recorder)?;
        Ok(Self {
            engine,
            gate,
            output,
            comparator: ShadowComparator::new(tick, live.shadow_price_ticks, live.shadow_time_ms),
        })
    }
}

#[derive(Debug)]
pub(super) struct TwinRecorder {
    output: Rc<RefCell<TwinOutput>>,
}

impl EngineRecorder for TwinRecorder {
    fn record_signal(&mut self, signal: SignalRecord) {
        if signal.kind == SignalRecordKind::Signal {
            self.output
                .borrow_mut()
                .signals
                .push(SignalKey::of(&signal));
        }
    }

    fn record_order(&mut self, order: OrderRecord) {
        if order.kind == OrderType::Limit && order.purpose == OrderPurpose::Entry {
            let mut output = self.output.borrow_mut();
            output.limit_entries += 1;
            output.open_limit_entries.insert(order.order_id);
        }
    }

    fn record_report(&mut self, report: &ExecutionReport) {
        if let ExecutionReport::Filled(fill) = report {
            let mut output = self.output.borrow_mut();
            if fill.liquidity == Liquidity::Maker
                && output.open_limit_entries.remove(&fill.order_id.0)
            {
                output.limit_entries_filled += 1;
            }
            output.fills.push(FillKey {
                ts: fill.ts,
                side: fill.side,
                price: fill.price,
                quantity: fill.quantity,
            });
        }
    }
}

/// How reconciliation asks a venue for its position.
/// A restart's catch-up around it: the simulated exchange regenerates its reports from the
/// events, a live venue's come from the journal and, for what happened while the process was
/// down, from the venue's records.
pub trait ReconcileVenue {
    /// The venue's own position; `None` for the simulated exchange (paper: the recorded
    /// paper account, the sum of every logged fill, is the venue's record).
    fn venue_position(&self) -> Option<Result<Quantity, String>>;
    /// The catch-up begins.
    fn begin_replay(&mut self) {}
    /// The journaled reports of the entry the catch-up replays next.
    fn load_replayed(&mut self, _reports: Vec<ExecutionReport>) {}
    /// The catch-up is over: recovery from the venue's records (lines for the log), the
    /// reports delivered at the next drain.
    fn end_replay(&mut self, _now: UnixNanos) -> Result<Vec<String>, String> {
        Ok(Vec::new())
    }
}

impl ReconcileVenue for SimulatedExchange {
    fn venue_position(&self) -> Option<Result<Quantity, String>> {
        None
    }
}

impl ReconcileVenue for GatewayVenue {
    fn venue_position(&self) -> Option<Result<Quantity, String>> {
        Some(self.position())
    }

    fn begin_replay(&mut self) {
        GatewayVenue::begin_replay(self);
    }

    fn load_replayed(&mut self, reports: Vec<ExecutionReport>) {
        GatewayVenue::load_replayed(self, reports);
    }

    fn end_replay(&mut self, now: UnixNanos) -> Result<Vec<String>, String> {
        GatewayVenue::end_replay(self, now)
    }
}
