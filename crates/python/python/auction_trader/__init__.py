"""auction-trader from Python: stores, loaders, backtests and grids as pandas DataFrames.

Every computation is the Rust library's (the native module ``auction_trader._native``);
this package only turns its Arrow tables into pyarrow / pandas / polars objects.

>>> import auction_trader as at
>>> store = at.Store("data")
>>> bars = store.bars("bitflyer", "BTC_JPY", "spot")            # pandas DataFrame
>>> run = at.run_backtest("configs/bitflyer-auction.yaml")
>>> run.metrics["net_pnl"], len(run.trades)
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence, Union

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.ipc as pa_ipc

from . import _native
from ._native import AuctionTraderError

__all__ = [
    "AuctionTraderError",
    "GridResult",
    "Run",
    "Store",
    "config_text",
    "grid_rows",
    "read_feature_matrix",
    "read_run",
    "run_backtest",
    "run_grid",
]

__version__ = _native.__version__

Config = Union[str, os.PathLike, Mapping[str, Any]]


def _table(ipc: bytes) -> pa.Table:
    return pa_ipc.open_stream(pa.py_buffer(ipc)).read_all()


def _frame(table: pa.Table, as_: str):
    if as_ == "arrow":
        return table
    if as_ == "polars":
        import polars  # optional

        return polars.from_arrow(table)
    if as_ == "pandas":
        return table.to_pandas()
    raise ValueError(f"as_ must be 'pandas', 'polars' or 'arrow', got {as_!r}")


def config_text(config: Config) -> str:
    """YAML text of a config given as a path to a YAML file, YAML text, or a dict.

    A dict is passed as JSON (JSON is YAML), so keys and values are those of the YAML file
    (``{"strategy": {"kind": "sma_cross"}}``).
    """
    if isinstance(config, Mapping):
        return json.dumps(config)
    if isinstance(config, os.PathLike):
        with open(config, encoding="utf-8") as file:
            return file.read()
    if isinstance(config, str):
        if "\n" not in config and os.path.isfile(config):
            with open(config, encoding="utf-8") as file:
                return file.read()
        return config
    raise TypeError(f"a config is a path, YAML text or a dict, not {type(config).__name__}")


class Store:
    """A tick store, read-only from here: an embedded data directory (Parquet ticks + SQLite
    catalog), or a PostgreSQL store given as ``postgres://USER@HOST:PORT/DB`` (password from
    ``PGPASSWORD``), the same as the CLI's ``--store``.

    Times are UTC text (``2018-01-21``, ``2018-01-21T09:00:00Z``); ``start`` inclusive,
    ``end`` exclusive. Prices and sizes are floats unless ``exact=True`` (raw fixed-point
    INT64 prices, value = raw / 1e9, and DECIMAL(38, 9) sizes, as stored).
    """

    def __init__(self, data_dir: Union[str, os.PathLike] = "data"):
        self._native = _native.Store(os.fspath(data_dir))

    @property
    def data_dir(self) -> str:
        return str(self._native.data_dir)

    def partitions(self):
        """What the store holds: one row per (instrument, kind, date) partition."""
        import pandas

        return pandas.DataFrame(self._native.partitions())

    def events(self, kind, venue, symbol, market, start=None, end=None, exact=False, as_="pandas"):
        """Stored events of one kind: trades, quotes, depth, funding, liquidations or bars."""
        return _frame(_table(self._native.events(kind, venue, symbol, market, start, end, exact)), as_)

    def trades(self, venue, symbol, market, start=None, end=None, exact=False, as_="pandas"):
        return self.events("trades", venue, symbol, market, start, end, exact, as_)

    def quotes(self, venue, symbol, market, start=None, end=None, exact=False, as_="pandas"):
        return self.events("quotes", venue, symbol, market, start, end, exact, as_)

    def bars(self, venue, symbol, market, interval_ms=60_000, start=None, end=None, exact=False, as_="pandas"):
        """Bars of ``interval_ms`` from the stored trades (or the stored bars)."""
        return _frame(
            _table(self._native.bars(venue, symbol, market, interval_ms, start, end, exact)), as_
        )

    def book_snapshots(self, venue, symbol, market, interval_ms=1_000, levels=10, start=None, end=None, as_="pandas"):
        """The reconstructed book's top ``levels`` per side every ``interval_ms``, one row per
        (ts, side, level); side 1 = bid, -1 = ask; level 0 is the best."""
        return _frame(
            _table(self._native.book_snapshots(venue, symbol, market, interval_ms, levels, start, end)),
            as_,
        )

    def __repr__(self) -> str:
        return f"Store({self.data_dir!r})"


def read_feature_matrix(path: Union[str, os.PathLike], as_: str = "pandas"):
    """A feature matrix written by ``auction-trader features matrix --out FILE``."""
    return _frame(_table(_native.read_feature_matrix(os.fspath(path))), as_)


def _csv(data: bytes) -> pa.Table:
    return pa_csv.read_csv(io.BytesIO(data))


@dataclass
class Run:
    """A finished backtest: its metrics (dict, as metrics.json), trade list and equity curve
    (the run directory's trades.csv / equity.csv columns), and its directory if written."""

    metrics: dict
    trades: Any
    equity: Any
    run_dir: Optional[str]


def _run(native: dict, as_: str) -> Run:
    return Run(
        metrics=json.loads(native["metrics_json"]),
        trades=_frame(_csv(native["trades_csv"]), as_),
        equity=_frame(_csv(native["equity_csv"]), as_),
        run_dir=None if native["run_dir"] is None else str(native["run_dir"]),
    )


def run_backtest(config: Config, write_run: bool = True, as_: str = "pandas") -> Run:
    """Runs a backtest as ``auction-trader backtest -c`` does (the same run API): ``config``
    is a YAML path, YAML text or a dict. Relative paths in it are relative to the working
    directory. With ``write_run`` the run directory is written too."""
    return _run(_native.run_backtest(config_text(config), write_run), as_)


def read_run(run_dir: Union[str, os.PathLike], as_: str = "pandas") -> Run:
    """A run directory written earlier (by the CLI or :func:`run_backtest`)."""
    return _run(_native.read_run(os.fspath(run_dir)), as_)


@dataclass
class GridResult:
    grid_id: str
    rows: Any


def grid_rows(db_path: Union[str, os.PathLike], grid_id: Optional[str] = None) -> GridResult:
    """A grid's stored rows in sweep order: run_id, seq, params and metrics (dicts) and the
    effective config (YAML), plus one column per parameter and metric."""
    import pandas

    grid_id, rows = _native.grid_rows(os.fspath(db_path), grid_id)
    frame = pandas.DataFrame(rows, columns=["run_id", "seq", "params", "metrics", "config"])
    params = [json.loads(text) for text in frame["params"]]
    metrics = [json.loads(text) for text in frame["metrics"]]
    frame = pandas.concat(
        [frame, pandas.DataFrame(params), pandas.DataFrame(metrics)], axis=1
    )
    return GridResult(grid_id=grid_id, rows=frame)


def run_grid(
    base: Config,
    sweep: Config,
    db_path: Union[str, os.PathLike] = "grid.db",
    workers: Optional[int] = None,
    force_priors: bool = False,
) -> GridResult:
    """Runs (or resumes) a grid on this machine, as ``auction-trader grid run``; returns its rows."""
    summary = _native.run_grid(
        config_text(base), config_text(sweep), os.fspath(db_path), workers, force_priors
    )
    return grid_rows(db_path, summary["grid_id"])
