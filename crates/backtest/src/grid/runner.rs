//! Running a grid: every combination of a sweep over one decoded data set, in parallel, each
//! finished combination committed to grid.db at once (a killed grid resumes where it stopped
//! and never runs a finished combination twice). Rows do not depend on the number of
//! workers: each combination is a pure function of its config and the shared data.
//!
//! Shared work (SPEC 6): the events are decoded once; engine combinations are grouped by
//! what their feature engine depends on (the `features` keys and the instrument's tick
//! size), and each group's feature stream is recorded once, by the first worker that needs
//! it, then replayed by every combination of the group through the same engine loop (see
//! `auction_trader_engine::feature_feed`). A combination alone in its group runs its own
//! feature engine. A worker takes a batch of combinations and steps their engines in
//! lock-step over chunks of the events, so the events stream from memory once per batch.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};

use auction_trader_analytics::Metrics;
use auction_trader_engine::{FeatureFeed, FeatureRecording};
use auction_trader_features::FeatureEngine;
use auction_trader_storage::{GridInfo, GridRow, GridStore};
use auction_trader_types::{MarketEvent, fnv1a_64};

use super::apply::{apply, check_key, config_tree, is_toxicity_prior, lookup};
use super::sweep::{Combination, Sweep};
use crate::config::{BacktestConfig, StrategyKind};
use crate::error::BacktestError;
use crate::manifest::run_manifest;
use crate::run_config::{
    RunObserver, Silent, configured_instrument, decode_run_data, import_missing, open_store,
};
use crate::runner::{EngineRun, feature_engine};
use crate::sma_cross::{BarSeries, EquityDetail, sma_cross_result};

/// How a grid runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridOptions {
    /// Worker threads (at least 1).
    pub workers: usize,
    /// Allow sweeping the toxicity priors (the grid is labelled so).
    pub force_priors: bool,
}

/// The default worker count: half the CPU cores (SPEC 6), at least one.
pub fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map(|cores| cores.get() / 2)
        .unwrap_or(1)
        .max(1)
}

/// What a grid says while it runs.
pub trait GridObserver: RunObserver {
    /// `total` combinations, `already` of them finished by an earlier run.
    fn grid_started(&mut self, _total: u64, _already: u64) {}
    /// One more combination finished (`finished` so far in this run). Returning false stops
    /// the grid after the rows already stored (an interruption).
    fn combination_finished(&mut self, _finished: u64) -> bool {
        true
    }
}

impl GridObserver for Silent {}

/// What a grid run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridSummary {
    pub grid_id: String,
    pub combinations: u64,
    /// Finished before this run (resumed).
    pub already_finished: u64,
    /// Finished by this run.
    pub ran: u64,
    /// The observer stopped the grid before every combination was finished.
    pub stopped: bool,
    /// Feature configurations computed once and shared by two or more of the combinations
    /// this run had to run.
    pub shared_feature_sets: u64,
}

/// The data every combination reads, decoded once per grid.
struct SharedData {
    events: Vec<MarketEvent>,
    bars: BarSeries,
    features: FeatureSets,
}

/// The engine combinations grouped by feature configuration.
struct FeatureSets {
    sets: Vec<FeatureSet>,
    /// The set of each combination (by index in the plan) that replays a shared recording.
    set_of: Vec<Option<usize>>,
}

/// One feature configuration: a fresh engine of it, and its recording while members still
/// need it (made by the first, let go once the last has its replay).
struct FeatureSet {
    engine: FeatureEngine,
    members: usize,
    recording: Mutex<Option<Arc<FeatureRecording>>>,
    /// Members that have not taken their replay yet.
    waiting: AtomicUsize,
}

impl FeatureSets {
    /// Groups the combinations still to run (`remaining`) by feature engine configuration;
    /// only groups of two or more share a recording.
    fn group(plan: &GridPlan, remaining: &[usize]) -> Result<Self, BacktestError> {
        let mut grouped = Self {
            sets: Vec::new(),
            set_of: vec![None; plan.configs.len()],
        };
        for &index in remaining {
            let config = &plan.configs[index];
            if config.strategy.kind == StrategyKind::SmaCross {
                continue;
            }
            let engine = configured_instrument(config, &mut Silent)
                .and_then(|instrument| feature_engine(config, &instrument))
                .map_err(|error| combination_error(plan, index, &error))?;
            let set = match grouped.sets.iter().position(|set| {
                set.engine.config() == engine.config()
                    && set.engine.tick_size() == engine.tick_size()
            }) {
                Some(set) => set,
                None => {
                    grouped.sets.push(FeatureSet {
                        engine,
                        members: 0,
                        recording: Mutex::new(None),
                        waiting: AtomicUsize::new(0),
                    });
                    grouped.sets.len() - 1
                }
            };
            grouped.sets[set].members += 1;
            *grouped.sets[set].waiting.get_mut() += 1;
            grouped.set_of[index] = Some(set);
        }
        for slot in &mut grouped.set_of {
            if slot.is_some_and(|set| grouped.sets[set].members < 2) {
                *slot = None;
            }
        }
        Ok(grouped)
    }

    fn shared(&self) -> usize {
        self.sets.iter().filter(|set| set.members >= 2).count()
    }

    /// The feed of combination `index`: a replay of its set's recording (made now when it
    /// is the set's first), or `None` to run its own feature engine.
    fn feed(
        &self,
        index: usize,
        own: &FeatureEngine,
        events: &[MarketEvent],
    ) -> Result<Option<FeatureFeed>, BacktestError> {
        let Some(set) = self.set_of.get(index).copied().flatten() else {
            return Ok(None);
        };
        let set = &self.sets[set];
        let recording = {
            // Other members wait here while the first one records.
            let mut slot = set.recording.lock().unwrap_or_else(PoisonError::into_inner);
            let recording = slot.get_or_insert_with(|| {
                Arc::new(FeatureRecording::record(set.engine.clone(), events))
            });
            let recording = Arc::clone(recording);
            if set.waiting.fetch_sub(1, Ordering::AcqRel) == 1 {
                // The last member: its replay holds the recording from here.
                *slot = None;
            }
            recording
        };
        FeatureFeed::replay(recording, own)
            .map(Some)
            .ok_or_else(|| {
                BacktestError::Setup(
                    "grid: a feature recording of another feature configuration".to_owned(),
                )
            })
    }
}

fn combination_error(plan: &GridPlan, index: usize, error: &BacktestError) -> BacktestError {
    BacktestError::Config(format!(
        "combination {}: {error}",
        plan.combinations[index].params_json()
    ))
}

/// The metrics of a grid row (name → number, `null` when undefined).
pub fn metrics_row(metrics: &Metrics) -> serde_json::Value {
    serde_json::json!({
        "net_pnl": metrics.net_pnl.as_f64(),
        "return_pct": metrics.return_pct,
        "sharpe": metrics.sharpe,
        "sortino": metrics.sortino,
        "max_drawdown_pct": metrics.max_drawdown.map(|drawdown| drawdown.percent),
        "trades": metrics.trade_count,
        "win_rate_pct": metrics.win_rate_pct,
        "profit_factor": metrics.profit_factor.filter(|value| value.is_finite()),
        "fees": metrics.total_fees.as_f64(),
        "final_equity": metrics.final_equity.as_f64(),
    })
}

/// A prepared grid: its combinations and their configs.
#[derive(Debug)]
pub struct GridPlan {
    pub grid_id: String,
    pub label: String,
    pub combinations: Vec<Combination>,
    pub configs: Vec<BacktestConfig>,
}

/// Expands and checks a sweep against the base config (every combination's config is
/// parsed and validated before anything runs).
pub fn plan_grid(
    base: &BacktestConfig,
    sweep: &Sweep,
    options: &GridOptions,
) -> Result<GridPlan, BacktestError> {
    let specs = sweep.specs()?;
    let mut forced = Vec::new();
    for (key, _) in &specs {
        check_key(key, options.force_priors)?;
        if is_toxicity_prior(key) {
            forced.push(key.clone());
        }
    }
    let tree = config_tree(base)?;
    let combinations =
        sweep.combinations(&|key| lookup(&tree, key).and_then(yaml_serde::Value::as_f64))?;
    if combinations.is_empty() {
        return Err(BacktestError::Config(
            "sweep: no combination satisfies the constraints".to_owned(),
        ));
    }
    let configs = combinations
        .iter()
        .map(|combination| apply(&tree, combination))
        .collect::<Result<Vec<_>, _>>()?;
    let mut identity = base.to_yaml()?;
    for combination in &combinations {
        identity.push('\n');
        identity.push_str(&combination.params_json());
    }
    let label = if forced.is_empty() {
        String::new()
    } else {
        format!("toxicity priors forced: {}", forced.join(", "))
    };
    Ok(GridPlan {
        grid_id: format!("{:016x}", fnv1a_64(identity.as_bytes())),
        label,
        combinations,
        configs,
    })
}

/// Events stepped through every run of a batch before the next chunk: small enough to stay
/// in the core's cache while each run of the batch reads it (32 kB of events).
const LOCKSTEP_CHUNK: usize = 256;

/// At most this many engine runs step together (each holds its own engine and records).
const MAX_BATCH: usize = 16;

/// Runs the combinations `indices` of the plan: bar loops one by one, engine runs in
/// lock-step over the shared events, so that each chunk of the events comes from memory once
/// per batch rather than once per combination. Every run sees exactly the events it would
/// see alone (in order, whole), so its result does not depend on its batch.
fn run_batch(
    indices: &[usize],
    plan: &GridPlan,
    shared: &SharedData,
) -> Vec<(usize, Result<Metrics, BacktestError>)> {
    let mut results = Vec::with_capacity(indices.len());
    let mut runs = Vec::with_capacity(indices.len());
    for &index in indices {
        match start_combination(index, &plan.configs[index], shared) {
            Ok(Started::Finished(metrics)) => results.push((index, Ok(*metrics))),
            Ok(Started::Engine(run)) => runs.push((index, Ok(run))),
            Err(error) => results.push((index, Err(error))),
        }
    }
    for chunk in shared.events.chunks(LOCKSTEP_CHUNK) {
        for (_, run) in &mut runs {
            if let Ok(engine_run) = run {
                for event in chunk {
                    if let Err(error) = engine_run.on_event(event) {
                        *run = Err(error);
                        break;
                    }
                }
            }
        }
    }
    for (index, run) in runs {
        results.push((index, run.map(|run| run.finish().metrics)));
    }
    results
}

/// A combination set up to run.
enum Started {
    /// A bar loop, already run.
    Finished(Box<Metrics>),
    /// An engine run waiting for the events.
    Engine(Box<EngineRun>),
}

fn start_combination(
    index: usize,
    config: &BacktestConfig,
    shared: &SharedData,
) -> Result<Started, BacktestError> {
    let instrument = configured_instrument(config, &mut Silent)?;
    if config.strategy.kind == StrategyKind::SmaCross {
        let result = sma_cross_result(config, &instrument, &shared.bars, EquityDetail::Changes)?;
        return Ok(Started::Finished(Box::new(result.metrics)));
    }
    let own = feature_engine(config, &instrument)?;
    let features = match shared.features.feed(index, &own, &shared.events)? {
        Some(feed) => feed,
        None => own.into(),
    };
    Ok(Started::Engine(Box::new(EngineRun::new(
        config, instrument, features,
    )?)))
}

/// How many combinations a worker takes at once: batches of at most [`MAX_BATCH`], as many
/// per worker as keeps the workers evenly loaded (a multiple of the worker count).
fn batch_size(remaining: usize, workers: usize) -> usize {
    let workers = workers.max(1);
    let rounds = remaining.div_ceil(workers * MAX_BATCH).max(1);
    remaining.div_ceil(workers * rounds).max(1)
}

/// A grid recorded in grid.db and what is left of it to run.
#[derive(Debug)]
pub struct GridStart {
    pub plan: GridPlan,
    /// Indexes of the combinations not finished yet, in sweep order.
    pub remaining: Vec<usize>,
}

/// Plans a grid, imports what the base config lists and the store lacks, records the grid
/// in `db` (nothing changes for a grid already there) and finds what is left to run. The
/// first half of [`run_grid`]; a distributed grid's driver calls it once, then hands parts
/// to [`run_grid_part`] on its workers and stores their rows.
pub fn start_grid(
    base: &BacktestConfig,
    sweep: &Sweep,
    sweep_text: &str,
    db: &mut dyn GridStore,
    options: &GridOptions,
    observer: &mut dyn GridObserver,
) -> Result<GridStart, BacktestError> {
    let plan = plan_grid(base, sweep, options)?;
    let store = open_store(base)?;
    import_missing(&store, base, observer)?;
    let manifest = run_manifest(base, &store)?;
    db.begin_grid(&GridInfo {
        grid_id: plan.grid_id.clone(),
        base_config: base.to_yaml()?,
        sweep: sweep_text.to_owned(),
        combinations: plan.combinations.len() as u64,
        label: plan.label.clone(),
        manifest: manifest.to_json()?,
        finished: 0,
    })?;
    let finished = db.finished_run_ids(&plan.grid_id)?;
    let run_ids: Vec<String> = plan.combinations.iter().map(run_id).collect();
    let remaining: Vec<usize> = (0..plan.combinations.len())
        .filter(|index| finished.binary_search(&run_ids[*index]).is_err())
        .collect();
    Ok(GridStart { plan, remaining })
}

/// The run id of a combination: a hash of its parameters.
fn run_id(combination: &Combination) -> String {
    format!("{:016x}", fnv1a_64(combination.params_json().as_bytes()))
}

/// The grid.db row of a finished combination.
fn grid_row(plan: &GridPlan, index: usize, metrics: &Metrics) -> Result<GridRow, BacktestError> {
    let combination = &plan.combinations[index];
    Ok(GridRow {
        run_id: run_id(combination),
        seq: combination.seq,
        params: combination.params_json(),
        metrics: metrics_row(metrics).to_string(),
        config: plan.configs[index].to_yaml()?,
    })
}

/// Runs the combinations `indices` of `plan` in this thread (in lock-step batches, as a grid
/// worker does) and returns their rows (in the order run; nothing is written): one part of a
/// distributed grid. The data is decoded once per call and the feature streams are shared within the part as in
/// [`run_grid`], so a row is the same whichever part, process or machine ran it. Expects the
/// store to hold the data already ([`start_grid`] imports it); a part never imports.
pub fn run_grid_part(
    base: &BacktestConfig,
    plan: &GridPlan,
    indices: &[usize],
) -> Result<Vec<GridRow>, BacktestError> {
    if let Some(&bad) = indices
        .iter()
        .find(|&&index| index >= plan.combinations.len())
    {
        return Err(BacktestError::Config(format!(
            "grid part: combination {bad} is out of range (the grid has {})",
            plan.combinations.len()
        )));
    }
    let features = FeatureSets::group(plan, indices)?;
    let mut order = indices.to_vec();
    order.sort_by_key(|&index| (features.set_of[index], index));
    let store = open_store(base)?;
    let without_imports = BacktestConfig {
        data: crate::config::DataConfig {
            import: Vec::new(),
            ..base.data.clone()
        },
        ..base.clone()
    };
    let (_, events) = decode_run_data(&without_imports, &store, "grid part", &mut Silent)?;
    let bars = BarSeries::from_events(&events);
    let shared = SharedData {
        events,
        bars,
        features,
    };
    let mut rows = Vec::with_capacity(order.len());
    for batch in order.chunks(MAX_BATCH) {
        let mut results = run_batch(batch, plan, &shared);
        // Rows in the part's order, whatever order the batch finished them in.
        results.sort_by_key(|(index, _)| batch.iter().position(|member| member == index));
        for (index, result) in results {
            let row = result.and_then(|metrics| grid_row(plan, index, &metrics));
            rows.push(row.map_err(|error| combination_error(plan, index, &error))?);
        }
    }
    Ok(rows)
}

/// Runs (or resumes) a grid into `db` (grid.db, or the PostgreSQL grid tables).
pub fn run_grid(
    base: &BacktestConfig,
    sweep: &Sweep,
    sweep_text: &str,
    db: &mut dyn GridStore,
    options: &GridOptions,
    observer: &mut dyn GridObserver,
) -> Result<GridSummary, BacktestError> {
    let GridStart { plan, remaining } = start_grid(base, sweep, sweep_text, db, options, observer)?;
    let store = open_store(base)?;
    let mut summary = GridSummary {
        grid_id: plan.grid_id.clone(),
        combinations: plan.combinations.len() as u64,
        already_finished: (plan.combinations.len() - remaining.len()) as u64,
        ran: 0,
        stopped: false,
        shared_feature_sets: 0,
    };
    observer.grid_started(summary.combinations, summary.already_finished);
    if remaining.is_empty() {
        return Ok(summary);
    }
    // Shared work: import and decode the data once for every combination, features once
    // per feature configuration.
    let features = FeatureSets::group(&plan, &remaining)?;
    summary.shared_feature_sets = features.shared() as u64;
    // The members of a feature set run one after another, so that few recordings are held
    // at once (each is let go after its last member; rows do not depend on the order).
    let mut remaining = remaining;
    remaining.sort_by_key(|&index| (features.set_of[index], index));
    let (_, events) = decode_run_data(base, &store, "grid", observer)?;
    let bars = BarSeries::from_events(&events);
    let shared = SharedData {
        events,
        bars,
        features,
    };
    observer.note(&format!(
        "grid {}: {} combinations ({} finished before), {} events decoded once, {} feature \
         configuration(s) computed once and shared, {} worker(s)",
        plan.grid_id,
        summary.combinations,
        summary.already_finished,
        shared.events.len(),
        summary.shared_feature_sets,
        options.workers.max(1)
    ))?;
    let batch = batch_size(remaining.len(), options.workers);
    let next = AtomicUsize::new(0);
    let cancel = AtomicBool::new(false);
    let mut first_error: Option<(usize, BacktestError)> = None;
    std::thread::scope(|scope| -> Result<(), BacktestError> {
        let (sender, receiver) = mpsc::channel::<(usize, Result<Metrics, BacktestError>)>();
        for _ in 0..options.workers.max(1) {
            let sender = sender.clone();
            let (next, cancel, shared, plan, remaining) =
                (&next, &cancel, &shared, &plan, &remaining);
            scope.spawn(move || {
                loop {
                    if cancel.load(Ordering::Relaxed) {
                        break;
                    }
                    let start = next.fetch_add(batch, Ordering::Relaxed);
                    let Some(indices) = remaining.get(start..(start + batch).min(remaining.len()))
                    else {
                        break;
                    };
                    if indices.is_empty() {
                        break;
                    }
                    for result in run_batch(indices, plan, shared) {
                        if sender.send(result).is_err() {
                            return;
                        }
                    }
                }
            });
        }
        drop(sender);
        for (index, result) in receiver {
            match result {
                Ok(metrics) => {
                    if first_error.is_some() || summary.stopped {
                        continue;
                    }
                    let row = grid_row(&plan, index, &metrics)?;
                    if let Err(error) = db.insert_rows(&plan.grid_id, std::slice::from_ref(&row)) {
                        cancel.store(true, Ordering::Relaxed);
                        first_error = Some((index, error.into()));
                        continue;
                    }
                    summary.ran += 1;
                    if !observer.combination_finished(summary.ran) {
                        summary.stopped = true;
                        cancel.store(true, Ordering::Relaxed);
                    }
                }
                Err(error) => {
                    cancel.store(true, Ordering::Relaxed);
                    // The earliest failing combination is reported, whatever the workers.
                    if first_error.as_ref().is_none_or(|(first, _)| index < *first) {
                        first_error = Some((index, error));
                    }
                }
            }
        }
        Ok(())
    })?;
    if let Some((index, error)) = first_error {
        return Err(combination_error(&plan, index, &error));
    }
    Ok(summary)
}
