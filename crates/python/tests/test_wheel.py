"""The installed wheel against the CLI, on real data (run by scripts/test-python.sh in a
fresh venv with only the wheel and its dependencies):

- the CLI runs the demo backtest (configs/bitflyer-auction.yaml: eight days of bitFlyer
  BTC/JPY executions and tickers); Python loads that run's trades and metrics and the
  store's bitFlyer bars into pandas, then re-runs the same config and gets identical metrics
  and trades;
- bars agree with the stored trades; book snapshots of a Binance USD-M capture are never
  crossed and their best levels are the stored depth's; a feature matrix written by the CLI
  reads back equal to pandas' own Parquet reader; a config given as a dict runs; a local
  grid run from Python stores the rows of `auction-trader grid run`;
- bad input raises AuctionTraderError with the library's message.

Environment: AT_CLI (the auction-trader binary), AT_REPO (the repository), AT_SHARED_DATA
(the shared data directory), AT_WORK (an empty scratch directory).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

import auction_trader as at

CLI = os.environ["AT_CLI"]
REPO = Path(os.environ["AT_REPO"])
SHARED = Path(os.environ["AT_SHARED_DATA"])
WORK = Path(os.environ["AT_WORK"])
DATA = WORK / "data"


def cli(*args):
    subprocess.run([CLI, *map(str, args)], check=True, cwd=WORK, stdout=subprocess.DEVNULL)


def demo_config(output_dir: str) -> str:
    text = (REPO / "configs" / "bitflyer-auction.yaml").read_text()
    text = text.replace("../shared/data", str(SHARED))
    text = text.replace("  dir: data\n", f"  dir: {DATA}\n", 1)
    return text.replace("  output_dir: runs\n", f"  output_dir: {WORK / output_dir}\n", 1)


def check_demo_backtest():
    config = WORK / "bitflyer-auction.yaml"
    config.write_text(demo_config("runs-cli"))
    cli("backtest", "-c", config)
    run_dir = WORK / "runs-cli" / "bitflyer-auction"
    cli_metrics = json.loads((run_dir / "metrics.json").read_text())

    # A run's trades, from its execution.db, into pandas.
    cli_run = at.read_run(run_dir)
    assert isinstance(cli_run.trades, pd.DataFrame)
    assert len(cli_run.trades) == cli_metrics["trade_count"] > 0, (len(cli_run.trades), cli_metrics)
    assert cli_run.metrics == cli_metrics
    csv = pd.read_csv(run_dir / "trades.csv")
    assert list(cli_run.trades.columns) == list(csv.columns)
    assert cli_run.trades["net_pnl"].tolist() == csv["net_pnl"].tolist()

    # The bitFlyer bars into pandas: one-minute bars built from the stored trades.
    store = at.Store(DATA)
    bars = store.bars("bitflyer", "BTC_JPY", "spot")
    trades = store.trades("bitflyer", "BTC_JPY", "spot")
    assert len(bars) > 10_000, len(bars)
    # Bars are emitted when their minute closes: the last, open minute has none.
    closed = trades[trades["ts_recv"] < bars["ts_event"].max()]
    assert 0 < len(trades) - len(closed) < 1_000
    assert int(bars["trade_count"].sum()) == len(closed)
    assert (bars["low"] <= bars["close"]).all() and (bars["close"] <= bars["high"]).all()
    assert abs(bars["volume"].sum() - closed["size"].sum()) < 1e-6 * closed["size"].sum()
    exact = store.trades("bitflyer", "BTC_JPY", "spot", start="2018-01-22", end="2018-01-23", exact=True)
    assert 0 < len(exact) < len(trades)
    assert str(exact["price"].dtype) == "int64"
    assert exact["ts_recv"].min() >= pd.Timestamp("2018-01-22", tz="UTC")
    assert exact["ts_recv"].max() < pd.Timestamp("2018-01-23", tz="UTC")

    # The demo backtest re-run from Python: the same metrics and trades as the CLI's.
    rerun = at.run_backtest(demo_config("runs-py"))
    assert rerun.metrics == cli_metrics, "metrics differ from the CLI's"
    pd.testing.assert_frame_equal(rerun.trades, cli_run.trades)
    pd.testing.assert_frame_equal(rerun.equity, cli_run.equity)
    assert rerun.run_dir and Path(rerun.run_dir, "report.html").is_file()
    print(
        f"demo backtest: {len(rerun.trades)} trades, net P&L {rerun.metrics['net_pnl']}, "
        f"{len(bars)} bars; identical to the CLI's"
    )


def check_book_snapshots():
    cli("import", "--data-dir", DATA, SHARED / "binance" / "usdm_btcusdt_20240718.gz")
    store = at.Store(DATA)
    depth = store.partitions().query("kind == 'depth' and venue == 'binance-usdm'")
    assert len(depth) > 0, store.partitions()
    venue, symbol, market = depth.iloc[0][["venue", "symbol", "market"]]
    book = store.book_snapshots(venue, symbol, market, interval_ms=1_000, levels=5)
    assert len(book) > 0
    assert set(book["level"]) <= set(range(5))
    best = book[book["level"] == 0].pivot(index="ts", columns="side", values="price").dropna()
    assert len(best) > 0
    assert (best[1] < best[-1]).all(), "a crossed snapshot"
    quotes = store.quotes(venue, symbol, market)
    assert len(quotes) > 0
    print(f"book snapshots: {best.shape[0]} one-second snapshots of {symbol}, never crossed")


def check_feature_matrix():
    out = WORK / "matrix.parquet"
    cli(
        "features", "matrix", SHARED / "bitflyer" / "bitflyer.execution.20180121.BTC_JPY.csv.gz",
        "--features", "all", "--horizons", "1,5", "--out", out,
    )
    matrix = at.read_feature_matrix(out)
    expected = pq.read_table(out).to_pandas()
    assert list(matrix.columns) == list(expected.columns)
    assert len(matrix) == len(expected) > 1_000
    pd.testing.assert_frame_equal(matrix, expected, check_dtype=False)
    print(f"feature matrix: {len(matrix)} rows x {len(matrix.columns)} columns, as pandas reads it")


def check_dict_config_and_errors():
    config = {
        "run": {"name": "sma-dict", "output_dir": str(WORK / "runs-py")},
        "data": {
            "dir": str(WORK / "nautilus-data"),
            "import": [str(SHARED / "nautilus" / "btc-perp_1m_20211231-20220201.csv")],
            "bar_label": "close", "venue": "nautilus", "symbol": "BTC-PERP", "market": "perp",
        },
        "instrument": {"tick_size": 1, "lot_size": 1e-9, "min_size": 1e-9, "taker_fee_bps": 5},
        "account": {"initial_equity": 10000},
        "strategy": {"kind": "sma_cross", "sma_cross": {"fast": 10, "slow": 30}},
    }
    run = at.run_backtest(config, write_run=False)
    assert run.run_dir is None and len(run.trades) > 0
    assert len(run.equity) > 0
    for bad, words in [
        (lambda: at.Store(WORK / "missing").trades("x", "y", "spot"), "not a data directory"),
        (lambda: at.run_backtest({"strategy": {"kind": "nope"}}), "nope"),
        (lambda: at.Store(DATA).events("candles", "bitflyer", "BTC_JPY", "spot"), "unknown stream kind"),
        (lambda: at.Store(DATA).trades("bitflyer", "BTC_JPY", "moon"), "market"),
        (lambda: at.grid_rows(WORK / "none.db"), "no such grid database"),
    ]:
        try:
            bad()
        except at.AuctionTraderError as error:
            assert words in str(error), (words, str(error))
        else:
            raise AssertionError(f"no error for {words}")
    print("dict config and errors: ok")


def check_local_grid():
    base = (REPO / "configs" / "nautilus-sma.yaml").read_text()
    base = base.replace("../shared/data", str(SHARED)).replace("  dir: data\n", f"  dir: {WORK / 'nautilus-data'}\n", 1)
    (WORK / "sma.yaml").write_text(base)
    sweep = (
        "parameters:\n"
        "  strategy.sma_cross.fast: {values: [5, 10, 20]}\n"
        "  strategy.sma_cross.slow: {values: [30, 60]}\n"
    )
    (WORK / "sweep.yaml").write_text(sweep)
    cli("grid", "run", "-c", WORK / "sma.yaml", "--sweep", WORK / "sweep.yaml", "--db", WORK / "cli-grid.db")
    grid = at.run_grid(WORK / "sma.yaml", sweep, WORK / "py-grid.db", workers=2)
    columns = ["run_id", "seq", "params", "metrics", "config"]
    expected = at.grid_rows(WORK / "cli-grid.db")
    assert grid.grid_id == expected.grid_id
    assert len(grid.rows) == 6 and grid.rows[columns].equals(expected.rows[columns])
    assert {"strategy.sma_cross.fast", "net_pnl", "sharpe"} <= set(grid.rows.columns)
    print(f"local grid: {len(grid.rows)} rows, identical to `auction-trader grid run`")


if __name__ == "__main__":
    WORK.mkdir(parents=True, exist_ok=True)
    check_demo_backtest()
    check_book_snapshots()
    check_feature_matrix()
    check_dict_config_and_errors()
    check_local_grid()
    print(f"python wheel tests passed (auction_trader {at.__version__}, Python {sys.version.split()[0]})")
