//! `Store`: an embedded data directory (Parquet + SQLite catalog) seen from Python: what it
//! holds, and one instrument's stored events, bars and book snapshots as Arrow IPC streams.

use std::path::PathBuf;

use auction_trader_data::replay::ReplayMerge;
use auction_trader_data::store::PartitionFilter;
use auction_trader_data::store_replay::ReplaySelection;
use auction_trader_storage::{NumberForm, events_batch};
use auction_trader_store_postgres::{StoreBackend, is_postgres_url};
use auction_trader_types::{InstrumentKey, MarketEvent, MarketKind, StreamKind};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::errors::to_py;
use crate::research_paths::{LoaderConfig, load_bars, load_book_snapshots};
use crate::tables::{book_batch, ipc_bytes};

/// A tick store: an embedded data directory (a `--data-dir`) or a `postgres://` URL (a
/// `--store`); opened again by every call, so a `Store` can be shared with other processes
/// that import into the same store.
#[pyclass(module = "auction_trader._native", frozen)]
#[derive(Debug)]
pub(crate) struct Store {
    data_dir: PathBuf,
}

/// Which events of one instrument a call reads.
struct Wanted {
    key: InstrumentKey,
    from: Option<auction_trader_types::UnixNanos>,
    /// Inclusive (the `end` argument is exclusive).
    to: Option<auction_trader_types::UnixNanos>,
}

impl Wanted {
    fn new(
        venue: &str,
        symbol: &str,
        market: &str,
        start: Option<&str>,
        end: Option<&str>,
    ) -> Result<Self, String> {
        let market = MarketKind::parse(market).map_err(|error| format!("market: {error}"))?;
        let time = |text: Option<&str>| {
            text.map(auction_trader_backtest::time_text::parse_utc_time)
                .transpose()
        };
        Ok(Self {
            key: InstrumentKey::new(venue, symbol, market),
            from: time(start).map_err(|error| format!("start: {error}"))?,
            to: time(end)
                .map_err(|error| format!("end: {error}"))?
                .map(|end| end.saturating_add_nanos(-1)),
        })
    }
}

impl Store {
    fn open(&self) -> Result<StoreBackend, String> {
        let location = self.data_dir.to_string_lossy();
        if is_postgres_url(&location) {
            return StoreBackend::open(&self.data_dir, Some(&location))
                .map_err(|error| error.to_string());
        }
        if !self.data_dir.is_dir() {
            return Err(format!(
                "{} is not a data directory (import into it first)",
                self.data_dir.display()
            ));
        }
        StoreBackend::open(&self.data_dir, None).map_err(|error| error.to_string())
    }

    /// The instrument's stored events of `kinds`, merged in replay order.
    fn read(&self, wanted: &Wanted, kinds: &[StreamKind]) -> Result<Vec<MarketEvent>, String> {
        let store = self.open()?;
        let selection = ReplaySelection::instrument(wanted.key.clone())
            .with_kinds(kinds.to_vec())
            .with_range(wanted.from, wanted.to);
        let replay = ReplayMerge::from_store(&store, &selection).map_err(|e| e.to_string())?;
        if replay.streams.is_empty() {
            return Err(format!(
                "no stored {} for {} ({})",
                kinds
                    .iter()
                    .map(|kind| kind.as_str())
                    .collect::<Vec<_>>()
                    .join("/"),
                wanted.key,
                store.describe()
            ));
        }
        replay
            .merge
            .map(|item| item.map(|replayed| replayed.event))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| error.to_string())
    }
}

fn numbers(exact: bool) -> NumberForm {
    if exact {
        NumberForm::Exact
    } else {
        NumberForm::Float
    }
}

fn bytes(py: Python<'_>, result: Result<Vec<u8>, String>) -> PyResult<Py<PyBytes>> {
    let bytes = result.map_err(to_py)?;
    Ok(PyBytes::new(py, &bytes).unbind())
}

#[pymethods]
impl Store {
    #[new]
    fn new(data_dir: PathBuf) -> Self {
        Self { data_dir }
    }

    #[getter]
    fn data_dir(&self) -> PathBuf {
        self.data_dir.clone()
    }

    /// Every stored partition: venue, symbol, market, kind, date, rows, files.
    fn partitions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let partitions = py
            .detach(|| {
                self.open()?
                    .list_partitions(&PartitionFilter::default())
                    .map_err(|error| error.to_string())
            })
            .map_err(to_py)?;
        let list = PyList::empty(py);
        for partition in partitions {
            let row = PyDict::new(py);
            row.set_item("venue", partition.instrument.venue.to_string())?;
            row.set_item("symbol", partition.instrument.symbol.to_string())?;
            row.set_item("market", partition.instrument.market.as_str())?;
            row.set_item("kind", partition.kind.as_str())?;
            row.set_item("date", partition.date)?;
            row.set_item("rows", partition.rows)?;
            row.set_item("files", partition.files)?;
            list.append(row)?;
        }
        Ok(list)
    }

    /// Stored events of one kind (trades, quotes, depth, funding, liquidations, bars) in replay
    /// order; `start` inclusive, `end` exclusive (UTC text); `exact` keeps raw fixed-point.
    #[pyo3(signature = (kind, venue, symbol, market, start=None, end=None, exact=false))]
    #[allow(clippy::too_many_arguments)] // the Python signature
    fn events(
        &self,
        py: Python<'_>,
        kind: &str,
        venue: &str,
        symbol: &str,
        market: &str,
        start: Option<&str>,
        end: Option<&str>,
        exact: bool,
    ) -> PyResult<Py<PyBytes>> {
        let result = py.detach(|| {
            let kind = StreamKind::parse(kind).ok_or_else(|| {
                format!(
                    "unknown stream kind {kind:?} (trades, quotes, depth, funding, \
                     liquidations, bars)"
                )
            })?;
            let wanted = Wanted::new(venue, symbol, market, start, end)?;
            let events = self.read(&wanted, &[kind])?;
            events_batch(kind, &events, numbers(exact))
                .map_err(|error| error.to_string())
                .and_then(|batch| ipc_bytes(&batch).map_err(|error| error.to_string()))
        });
        bytes(py, result)
    }

    /// Bars of `interval_ms` built from the stored trades (or the stored bars when there are
    /// no trades), by the loader the research code uses.
    #[pyo3(signature = (venue, symbol, market, interval_ms=60_000, start=None, end=None, exact=false))]
    #[allow(clippy::too_many_arguments)] // the Python signature
    fn bars(
        &self,
        py: Python<'_>,
        venue: &str,
        symbol: &str,
        market: &str,
        interval_ms: u64,
        start: Option<&str>,
        end: Option<&str>,
        exact: bool,
    ) -> PyResult<Py<PyBytes>> {
        let result = py.detach(|| {
            let wanted = Wanted::new(venue, symbol, market, start, end)?;
            let mut events = self.read(&wanted, &[StreamKind::Trade]);
            if events.is_err() {
                events = self.read(&wanted, &[StreamKind::Bar]);
            }
            let config = LoaderConfig {
                bar_interval_ms: interval_ms,
                ..LoaderConfig::default()
            };
            let bars: Vec<MarketEvent> = load_bars(events?, &config)
                .map_err(|error| error.to_string())?
                .into_iter()
                .map(MarketEvent::Bar)
                .collect();
            events_batch(StreamKind::Bar, &bars, numbers(exact))
                .map_err(|error| error.to_string())
                .and_then(|batch| ipc_bytes(&batch).map_err(|error| error.to_string()))
        });
        bytes(py, result)
    }

    /// The reconstructed book's top `levels` per side every `interval_ms`, from the stored
    /// depth with the venue's sequencing rule: one row per (ts, side, level).
    #[pyo3(signature = (venue, symbol, market, interval_ms=1_000, levels=10, start=None, end=None))]
    #[allow(clippy::too_many_arguments)] // the Python signature
    fn book_snapshots(
        &self,
        py: Python<'_>,
        venue: &str,
        symbol: &str,
        market: &str,
        interval_ms: u64,
        levels: usize,
        start: Option<&str>,
        end: Option<&str>,
    ) -> PyResult<Py<PyBytes>> {
        let result = py.detach(|| {
            let wanted = Wanted::new(venue, symbol, market, start, end)?;
            let events = self.read(&wanted, &[StreamKind::Depth])?;
            let config = LoaderConfig {
                book_interval_ms: interval_ms,
                depth_levels: levels,
                ..LoaderConfig::for_venue(venue)
            };
            let rows = load_book_snapshots(events, &config).map_err(|error| error.to_string())?;
            book_batch(&rows)
                .and_then(|batch| ipc_bytes(&batch))
                .map_err(|error| error.to_string())
        });
        bytes(py, result)
    }

    fn __repr__(&self) -> String {
        format!("Store({:?})", self.data_dir.display().to_string())
    }
}
