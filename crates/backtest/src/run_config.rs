//! The one run API: a validated config in, a finished run out. It opens the data directory,
//! imports the configured files the store lacks (idempotent runs), resolves the instrument,
//! replays its stored streams in time order through the engine with the simulated exchange,
//! and writes the run directory. Callers (the CLI, the grid runner) only parse arguments and
//! print; what a run says along the way goes to a [`RunObserver`].

use std::path::PathBuf;

use auction_trader_data::import::bars_csv::BarLabel;
use auction_trader_data::import::format::{ImportFormat, ImportOptions};
use auction_trader_data::instruments::{known_instrument, valued_instrument};
use auction_trader_data::replay::ReplayMerge;
use auction_trader_data::store_replay::{ReplaySelection, StoreReplay};
use auction_trader_storage::plan_jobs;
use auction_trader_store_postgres::{RunEntry, StoreBackend};
use auction_trader_types::{
    Instrument, InstrumentKey, MarketEvent, MarketKind, StreamKind, UnixNanos,
};

use crate::config::BacktestConfig;
use crate::error::BacktestError;
use crate::manifest::{RunManifest, run_manifest};
use crate::run_dir::write_run;
use crate::runner::{BacktestResult, resolve_instrument, run_backtest};

/// What a run says while it works. Every method has a silent default.
pub trait RunObserver {
    /// A line of progress notes (imports, the replay's header). An error stops the run
    /// (e.g. the reader of stdout went away).
    fn note(&mut self, _line: &str) -> Result<(), BacktestError> {
        Ok(())
    }
    /// Something the user should fix (an instrument missing from the venue table, too
    /// little data for the warm-up).
    fn warning(&mut self, _line: &str) {}
    /// The replay starts over `rows` stored events.
    fn replay_started(&mut self, _rows: u64) {}
    /// Event time and count so far (every 65,536 events and at the end).
    fn progress(&mut self, _ts: UnixNanos, _count: u64) {}
    /// The replay ended (the run's outputs are written next).
    fn replay_finished(&mut self) {}
}

/// An observer that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl RunObserver for Silent {}

/// What a finished run left behind.
#[derive(Debug)]
pub struct RunOutcome {
    pub run_dir: PathBuf,
    pub report: PathBuf,
    pub result: BacktestResult,
    pub manifest: RunManifest,
}

/// Runs a validated config end to end and writes its run directory.
pub fn run_config(
    config: &BacktestConfig,
    observer: &mut dyn RunObserver,
) -> Result<RunOutcome, BacktestError> {
    let store = open_store(config)?;
    let result = run_on_store(config, &store, observer)?;
    let manifest = run_manifest(config, &store)?;
    let run_dir = config.run_dir();
    let report = write_run(&run_dir, config, &result, Some(&manifest))?;
    // Runs over the PostgreSQL store are recorded there too (SPEC 1.4 run tables).
    if store.is_postgres() {
        let entry = RunEntry {
            run_id: format!("{}-{}", config.run.name, manifest.identity),
            name: config.run.name.clone(),
            config: config.to_yaml()?,
            manifest: manifest.to_json()?,
            metrics: crate::grid::metrics_row(&result.metrics).to_string(),
        };
        store.record_run(&entry, &run_dir)?;
        observer.note(&format!(
            "run recorded in the {} as {}",
            store.describe(),
            entry.run_id
        ))?;
    }
    Ok(RunOutcome {
        run_dir,
        report,
        result,
        manifest,
    })
}

/// Opens the config's tick store: `storage.url` (PostgreSQL) when set, else the data
/// directory (created when missing).
pub fn open_store(config: &BacktestConfig) -> Result<StoreBackend, BacktestError> {
    StoreBackend::open(&config.data.dir, config.storage.url.as_deref()).map_err(|error| {
        BacktestError::Data(match &config.storage.url {
            Some(_) => format!("opening storage.url: {error}"),
            None => format!(
                "opening data directory {}: {error}",
                config.data.dir.display()
            ),
        })
    })
}

/// The config's instrument key.
pub fn instrument_key(config: &BacktestConfig) -> Result<InstrumentKey, BacktestError> {
    let market = MarketKind::parse(&config.data.market)
        .map_err(|error| BacktestError::Config(format!("data.market: {error}")))?;
    Ok(InstrumentKey::new(
        &config.data.venue,
        &config.data.symbol,
        market,
    ))
}

/// The venue's instrument with the config's overrides; warns when the venue table does not
/// know it and the config leaves tick or lot to the defaults.
pub fn configured_instrument(
    config: &BacktestConfig,
    observer: &mut dyn RunObserver,
) -> Result<Instrument, BacktestError> {
    let key = instrument_key(config)?;
    if known_instrument(&key).is_none()
        && (config.instrument.tick_size.is_none() || config.instrument.lot_size.is_none())
    {
        observer.warning(&format!(
            "{key} is not in the venue table: tick and lot default to 1e-9 and fees to \
             2/5 bps; set instrument.tick_size, lot_size, min_size and fees in the config"
        ));
    }
    let defaults = valued_instrument(&key, config.instrument.contract_type)?;
    resolve_instrument(defaults, &config.instrument)
}

/// The stored streams a run replays: the instrument's `data.kinds` (all when empty) from
/// `warmup_minutes` before `data.start` to just before `data.end`.
pub fn replay_selection(config: &BacktestConfig) -> Result<ReplaySelection, BacktestError> {
    // The replay starts `warmup_minutes` before `start`: those events only warm up.
    let from = config.data.replay_from()?;
    // `end` is exclusive; the store's range reads include both ends.
    let to = config
        .data
        .end_time()?
        .map(|end| end.saturating_add_nanos(-1));
    Ok(ReplaySelection::instrument(instrument_key(config)?)
        .with_kinds(wanted_kinds(&config.data.kinds)?)
        .with_range(from, to))
}

/// The configured instrument and its events decoded once into memory (import-if-missing
/// first; `purpose` names the command in the first note): for work that replays one data set
/// many times (grids, the fill-model comparison).
pub fn decode_run_data(
    config: &BacktestConfig,
    store: &StoreBackend,
    purpose: &str,
    observer: &mut dyn RunObserver,
) -> Result<(Instrument, Vec<MarketEvent>), BacktestError> {
    import_missing(store, config, observer)?;
    let instrument = configured_instrument(config, observer)?;
    let replay = open_replay(config, store)?;
    observer.note(&replay_header(purpose, config, &instrument, &replay))?;
    let events = replay
        .merge
        .map(|item| item.map(|replayed| replayed.event))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((instrument, events))
}

fn replay_header(
    purpose: &str,
    config: &BacktestConfig,
    instrument: &Instrument,
    replay: &StoreReplay<'_>,
) -> String {
    format!(
        "{purpose} {:?}: {} on {}, streams {}, {} stored events",
        config.run.name,
        config.strategy.kind.as_str(),
        instrument.key,
        replay
            .kinds()
            .iter()
            .map(|kind| kind.as_str())
            .collect::<Vec<_>>()
            .join("+"),
        replay.rows()
    )
}

/// Imports what is missing, then replays the configured streams through the engine (no
/// outputs written).
pub fn run_on_store(
    config: &BacktestConfig,
    store: &StoreBackend,
    observer: &mut dyn RunObserver,
) -> Result<BacktestResult, BacktestError> {
    import_missing(store, config, observer)?;
    let instrument = configured_instrument(config, observer)?;
    let replay = open_replay(config, store)?;
    observer.note(&replay_header("backtest", config, &instrument, &replay))?;
    observer.replay_started(replay.rows());
    let events = replay.merge.map(|item| item.map(|replayed| replayed.event));
    let result = run_backtest(config, instrument, events, &mut |ts, count| {
        observer.progress(ts, count);
    })?;
    observer.replay_finished();
    let window = u64::from(config.features.profile_window_minutes);
    if result.counters.bars <= window
        && config.data.warmup_minutes < config.features.profile_window_minutes
    {
        observer.warning(&format!(
            "only {} one-minute bars: no signal can fire before the {window}-minute \
             profile warm-up (SPEC 3.1); widen data.start/data.end",
            result.counters.bars
        ));
    }
    Ok(result)
}

/// The configured replay; an error when the store holds nothing for it.
pub fn open_replay<'a>(
    config: &BacktestConfig,
    store: &'a StoreBackend,
) -> Result<StoreReplay<'a>, BacktestError> {
    let selection = replay_selection(config)?;
    let replay = ReplayMerge::from_store(store, &selection)?;
    if replay.streams.is_empty() {
        return Err(BacktestError::NoData(format!(
            "no stored data for {} ({}): import it first, or list files under data.import \
             (see `auction-trader catalog`)",
            instrument_key(config)?,
            store.describe()
        )));
    }
    Ok(replay)
}

fn wanted_kinds(names: &[String]) -> Result<Vec<StreamKind>, BacktestError> {
    names
        .iter()
        .map(|name| {
            StreamKind::parse(name).ok_or_else(|| {
                // The names the parser takes (the stored streams' names), not a copy of them.
                let known: Vec<&str> = StreamKind::ALL.iter().map(|kind| kind.as_str()).collect();
                BacktestError::Config(format!(
                    "data.kinds: unknown stream kind {name:?} (one of: {})",
                    known.join(", ")
                ))
            })
        })
        .collect()
}

/// Imports the listed files whose source is not in the catalog yet (idempotent runs).
/// Files whose format does not name the instrument are imported as the configured one.
pub fn import_missing(
    store: &StoreBackend,
    config: &BacktestConfig,
    observer: &mut dyn RunObserver,
) -> Result<(), BacktestError> {
    let files = &config.data.import;
    if files.is_empty() {
        return Ok(());
    }
    let known: Vec<String> = store
        .sources()?
        .into_iter()
        .map(|source| source.info.name)
        .collect();
    let bar_label = BarLabel::parse(&config.data.bar_label).ok_or_else(|| {
        BacktestError::Config(format!(
            "data.bar_label: must be open or close, got {:?}",
            config.data.bar_label
        ))
    })?;
    let plain = ImportOptions {
        bar_label,
        ..ImportOptions::default()
    };
    // Formats whose files may not name their instrument (bars, generic CSV, Binance archive
    // files renamed outside the archive layout) are imported as the configured one; the
    // others keep what their files say.
    let named = ImportOptions {
        venue: Some(config.data.venue.clone()),
        symbol: Some(config.data.symbol.clone()),
        market: Some(instrument_key(config)?.market),
        ..plain.clone()
    };
    for job in plan_jobs(files, None, &plain)? {
        if known.contains(&job.source_name()) {
            continue;
        }
        let options = match job.format {
            ImportFormat::OhlcvBars | ImportFormat::GenericCsv | ImportFormat::BinanceArchive => {
                &named
            }
            _ => &plain,
        };
        let outcome = store.import_job(&job, options)?;
        if outcome.skipped {
            continue;
        }
        observer.note(&format!(
            "imported {} ({} events, {} quarantined)",
            outcome.source, outcome.report.summary.events, outcome.report.summary.quarantined
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_stream_kinds_list_the_names_that_parse() {
        let error = wanted_kinds(&["trade".to_owned()]).unwrap_err().to_string();
        assert!(
            error.contains("(one of: depth, quotes, trades, liquidations, funding, bars)"),
            "{error}"
        );
        // Every listed name is accepted.
        let names: Vec<String> = StreamKind::ALL
            .iter()
            .map(|kind| kind.as_str().to_owned())
            .collect();
        assert_eq!(wanted_kinds(&names).unwrap(), StreamKind::ALL.to_vec());
    }
}
