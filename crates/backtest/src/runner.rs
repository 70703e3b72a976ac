//! Runs one configured backtest over a time-ordered event stream: builds the feature engine,
//! the strategy, risk and the simulated exchange from the config, drives the engine, and
//! returns every record of the run with its metrics. No I/O here: the caller supplies events
//! (from the store's replay) and writes the outputs.

use auction_trader_analytics::{Metrics, RunRecords, compute_metrics};
use auction_trader_engine::{
    Engine, EngineCounters, EngineRecorder, EngineSettings, FeatureFeed, RunCollector,
};
use auction_trader_execution::{Account, SimulatedExchange};
use auction_trader_features::FeatureEngine;
use auction_trader_model::manifest::ModelBundle;
use auction_trader_risk::RiskManager;
use auction_trader_strategy::{
    AuctionStrategy, DrainStrategy, MeanReversionStrategy, ModelScoreStrategy, RequoteStrategy,
    ScoringWindow, SignalRecord, Strategy,
};
use auction_trader_types::{
    Instrument, MarketEvent, Money, NANOS_PER_SECOND, Price, Quantity, Rate, UnixNanos,
};

use crate::config::{BacktestConfig, InstrumentOverrides, StrategyKind};
use crate::error::BacktestError;

/// Everything a run produced.
#[derive(Debug)]
pub struct BacktestResult {
    pub records: RunRecords,
    pub signals: Vec<SignalRecord>,
    pub metrics: Metrics,
    pub counters: EngineCounters,
    pub final_account: Account,
    pub first_event: Option<UnixNanos>,
    pub last_event: Option<UnixNanos>,
}

/// Applies the config's overrides to the venue's instrument defaults.
pub fn resolve_instrument(
    mut instrument: Instrument,
    overrides: &InstrumentOverrides,
) -> Result<Instrument, BacktestError> {
    let positive = |name: &str, value: f64| {
        Price::from_f64_rounded(value)
            .filter(|price| price.is_positive())
            .ok_or_else(|| {
                BacktestError::Config(format!("instrument.{name}: {value} is out of range"))
            })
    };
    if let Some(value) = overrides.tick_size {
        instrument.tick_size = positive("tick_size", value)?;
    }
    if let Some(value) = overrides.lot_size {
        instrument.lot_size = Quantity::from_raw(i128::from(positive("lot_size", value)?.raw()));
    }
    if let Some(value) = overrides.min_size {
        instrument.min_size = Quantity::from_raw(i128::from(positive("min_size", value)?.raw()));
    }
    if let Some(value) = overrides.contract_multiplier {
        instrument.contract_multiplier =
            Quantity::from_raw(i128::from(positive("contract_multiplier", value)?.raw()));
    }
    let bps = |name: &str, value: f64| {
        Rate::from_f64_rounded(value / 10_000.0).ok_or_else(|| {
            BacktestError::Config(format!("instrument.{name}: {value} is out of range"))
        })
    };
    if let Some(value) = overrides.maker_fee_bps {
        instrument.maker_fee = bps("maker_fee_bps", value)?;
    }
    if let Some(value) = overrides.taker_fee_bps {
        instrument.taker_fee = bps("taker_fee_bps", value)?;
    }
    if let Some(value) = overrides.maker_rebate_bps {
        instrument.maker_fee = bps("maker_rebate_bps", -value)?;
    }
    if let Some(contract_type) = overrides.contract_type {
        instrument.contract_type = contract_type;
    }
    Ok(instrument)
}

/// The configured strategy.
pub fn build_strategy(config: &BacktestConfig) -> Result<Box<dyn Strategy>, BacktestError> {
    match config.strategy.kind {
        StrategyKind::Auction => {
            let strategy = AuctionStrategy::new(config.strategy.auction.clone())
                .map_err(|error| BacktestError::Setup(format!("strategy.auction: {error}")))?;
            Ok(Box::new(strategy))
        }
        StrategyKind::Drain => {
            let strategy = DrainStrategy::new(config.strategy.drain.clone())
                .map_err(|error| BacktestError::Setup(format!("strategy.drain: {error}")))?;
            Ok(Box::new(strategy))
        }
        StrategyKind::MeanReversion => {
            let strategy = MeanReversionStrategy::new(config.strategy.mean_reversion.clone())
                .map_err(|error| {
                    BacktestError::Setup(format!("strategy.mean_reversion: {error}"))
                })?;
            Ok(Box::new(strategy))
        }
        StrategyKind::Requote => {
            let strategy = RequoteStrategy::new(config.strategy.requote.clone())
                .map_err(|error| BacktestError::Setup(format!("strategy.requote: {error}")))?;
            Ok(Box::new(strategy))
        }
        StrategyKind::ModelScore => {
            let config = &config.strategy.model_score;
            let path = std::path::Path::new(&config.model);
            let bundle = ModelBundle::load(path).map_err(|error| {
                BacktestError::Setup(format!("strategy.model_score.model: {error}"))
            })?;
            let window = ScoringWindow {
                from_ts: bundle.manifest.data.label_end_ts,
                horizon_minutes: bundle.manifest.label.horizon_minutes,
            };
            let strategy = ModelScoreStrategy::new(config.clone(), bundle.model, window)
                .map_err(|error| BacktestError::Setup(format!("strategy.model_score: {error}")))?;
            Ok(Box::new(strategy))
        }
        StrategyKind::SmaCross => Err(BacktestError::Config(
            "strategy.kind sma_cross is a bar loop, not an engine strategy (run it with \
             run_backtest)"
                .to_owned(),
        )),
    }
}

/// The configured starting equity as money.
pub fn initial_equity(config: &BacktestConfig) -> Result<Money, BacktestError> {
    Money::from_f64_rounded(config.account.initial_equity).ok_or_else(|| {
        BacktestError::Config(format!(
            "account.initial_equity: {} is out of range",
            config.account.initial_equity
        ))
    })
}

/// The configured feature engine of `instrument` (fresh: no event seen).
pub fn feature_engine(
    config: &BacktestConfig,
    instrument: &Instrument,
) -> Result<FeatureEngine, BacktestError> {
    FeatureEngine::for_instrument(&config.features, instrument)
        .map_err(|error| BacktestError::Setup(format!("features: {error}")))
}

/// An engine with the configured features, risk and simulated exchange around `strategy`
/// (the runner's and the benchmarks' one way to build it).
pub fn build_engine<S: Strategy, R: EngineRecorder>(
    config: &BacktestConfig,
    instrument: Instrument,
    strategy: S,
    recorder: R,
) -> Result<Engine<S, SimulatedExchange, R>, BacktestError> {
    let features = feature_engine(config, &instrument)?;
    build_engine_with(config, instrument, features.into(), strategy, recorder)
}

/// [`build_engine`] with the minute snapshots from `features` (the feature engine, or a
/// recording of it shared by a grid).
fn build_engine_with<S: Strategy, R: EngineRecorder>(
    config: &BacktestConfig,
    instrument: Instrument,
    features: FeatureFeed,
    strategy: S,
    recorder: R,
) -> Result<Engine<S, SimulatedExchange, R>, BacktestError> {
    let initial_equity = initial_equity(config)?;
    let risk = RiskManager::new(config.risk.clone(), instrument.clone())
        .map_err(|error| BacktestError::Setup(format!("risk: {error}")))?;
    let exchange = SimulatedExchange::new(instrument.clone(), config.execution.clone())
        .map_err(|error| BacktestError::Setup(format!("execution: {error}")))?;
    let settings = EngineSettings {
        initial_equity,
        max_leverage: config.risk.max_leverage,
        trading_from: config.data.start_time()?.unwrap_or(UnixNanos(i64::MIN)),
    };
    Ok(Engine::new(
        instrument, settings, features, strategy, risk, exchange, recorder,
    ))
}

/// Runs the configured strategy over `events` (one instrument, `ts_recv` order). `progress`
/// is called every 65,536 events with the event time and the count so far.
pub fn run_backtest<E: std::fmt::Display>(
    config: &BacktestConfig,
    instrument: Instrument,
    events: impl IntoIterator<Item = Result<MarketEvent, E>>,
    progress: &mut dyn FnMut(UnixNanos, u64),
) -> Result<BacktestResult, BacktestError> {
    if config.strategy.kind == StrategyKind::SmaCross {
        return crate::sma_cross::run_sma_cross(config, instrument, events, progress);
    }
    let features = feature_engine(config, &instrument)?;
    run_engine(config, instrument, features.into(), events, progress)
}

/// [`run_backtest`] of an engine strategy with its minute snapshots from `features`: a
/// [`auction_trader_engine::FeatureRecording`] of this config's feature engine over the
/// same `events` gives the same run as the feature engine itself (a grid records the
/// features once per feature configuration and replays them in every combination).
pub fn run_backtest_with_features<E: std::fmt::Display>(
    config: &BacktestConfig,
    instrument: Instrument,
    features: FeatureFeed,
    events: impl IntoIterator<Item = Result<MarketEvent, E>>,
    progress: &mut dyn FnMut(UnixNanos, u64),
) -> Result<BacktestResult, BacktestError> {
    run_engine(config, instrument, features, events, progress)
}

fn run_engine<E: std::fmt::Display>(
    config: &BacktestConfig,
    instrument: Instrument,
    features: FeatureFeed,
    events: impl IntoIterator<Item = Result<MarketEvent, E>>,
    progress: &mut dyn FnMut(UnixNanos, u64),
) -> Result<BacktestResult, BacktestError> {
    let mut run = EngineRun::new(config, instrument, features)?;
    for event in events {
        let event = event.map_err(|error| BacktestError::Data(error.to_string()))?;
        run.on_event(&event)?;
        if run.events().is_multiple_of(65_536) {
            progress(event.ts_recv(), run.events());
        }
    }
    progress(run.last_event.unwrap_or_default(), run.events());
    Ok(run.finish())
}

/// One engine run fed an event at a time: what [`run_backtest`] loops over, and what a grid
/// steps in lock-step with the other combinations of a batch (each chunk of the shared
/// events is read from memory once for all of them).
pub struct EngineRun {
    engine: Engine<Box<dyn Strategy>, SimulatedExchange, RunCollector>,
    first_event: Option<UnixNanos>,
    last_event: Option<UnixNanos>,
    events: u64,
}

impl std::fmt::Debug for EngineRun {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("EngineRun")
            .field("events", &self.events)
            .field("first_event", &self.first_event)
            .field("last_event", &self.last_event)
            .finish_non_exhaustive()
    }
}

impl EngineRun {
    /// A run of the configured engine strategy with its minute snapshots from `features`
    /// (the feature engine, or a recording of it over the same events).
    pub fn new(
        config: &BacktestConfig,
        instrument: Instrument,
        features: FeatureFeed,
    ) -> Result<Self, BacktestError> {
        if config.strategy.kind == StrategyKind::SmaCross {
            return Err(BacktestError::Config(
                "strategy.kind sma_cross is a bar loop: it has no feature engine to replace"
                    .to_owned(),
            ));
        }
        let strategy = build_strategy(config)?;
        let mut recorder = RunCollector::new(
            config.run.name.clone(),
            instrument.key.symbol.to_string(),
            initial_equity(config)?,
        );
        recorder.records.valuation = instrument.valuation();
        let engine = build_engine_with(config, instrument, features, strategy, recorder)?;
        Ok(Self {
            engine,
            first_event: None,
            last_event: None,
            events: 0,
        })
    }

    /// The next event (`ts_recv` order, else an error).
    #[inline]
    pub fn on_event(&mut self, event: &MarketEvent) -> Result<(), BacktestError> {
        let ts = event.ts_recv();
        if let Some(last) = self.last_event
            && ts < last
        {
            return Err(BacktestError::Data(format!(
                "events out of time order: {ts} after {last} (replay must be merged by ts_recv)"
            )));
        }
        self.first_event.get_or_insert(ts);
        self.last_event = Some(ts);
        self.engine.on_event(event);
        self.events += 1;
        Ok(())
    }

    /// Events taken so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Ends the run (an end-of-data exit gets five seconds to reach the exchange and fill)
    /// and computes its metrics.
    pub fn finish(self) -> BacktestResult {
        let (collector, counters, final_account) = self.engine.finish(NANOS_PER_SECOND * 5);
        let metrics = compute_metrics(&collector.records);
        BacktestResult {
            records: collector.records,
            signals: collector.signals,
            metrics,
            counters,
            final_account,
            first_event: self.first_event,
            last_event: self.last_event,
        }
    }
}
