#!/usr/bin/env python3
"""Expected risk/return statistics of a buy-and-hold equity curve, computed by empyrical.

Input: the one-minute bars `nautilus/btc-perp_1m_20211231-20220201.csv` of the shared data
(45,031 bars, FTX BTC-PERP era). The equity curve is a buy-and-hold of 1 unit: equity = close
at each bar's timestamp, initial equity = the first close.

Daily returns follow the analytics crate's definition (crates/analytics/src/daily.rs): the
equity at each UTC midnight strictly after the first point is that of the last point at or
before it (pandas `resample("1D", closed="right", label="right").last()`, empty days carried
forward), the final partial day ends with the final equity, and the first return is measured
from the initial equity.

Statistics from empyrical-reloaded (the maintained fork of Quantopian's empyrical, used by
zipline-reloaded and pyfolio-reloaded), with `annualization=365` (SPEC 6: sqrt(365)):
  sharpe_ratio       mean(r) / std(r, ddof=1) * sqrt(365)          (risk-free 0)
  sortino_ratio      mean(r) * 365 / downside_risk                 (required return 0)
  downside_risk      sqrt(mean(min(r, 0)^2)) * sqrt(365)           (over all days)
  annual_volatility  std(r, ddof=1) * sqrt(365)
  max_drawdown       min over the compounded curve (start 100) of value / running max - 1
max_drawdown is reported on the daily returns AND on the one-minute returns (the crate's
intraday maximum drawdown over every equity point); pandas' direct
`(close / close.cummax() - 1).min()` is written alongside as a second opinion.

Writes crates/analytics/tests/expected_stats.json (read by crates/analytics/tests/real_data.rs).
"""

import argparse
import json
import sys
from importlib.metadata import version
from pathlib import Path

import empyrical
import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "crates" / "analytics" / "tests" / "expected_stats.json"
BARS = "nautilus/btc-perp_1m_20211231-20220201.csv"
ANNUALIZATION = 365


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    arguments = parser.parse_args()

    path = arguments.data_dir / BARS
    frame = pd.read_csv(path, usecols=["timestamp", "close"], dtype={"close": "float64"})
    index = pd.to_datetime(frame["timestamp"], format="%Y-%m-%d %H:%M:%S.%f", utc=True)
    close = pd.Series(frame["close"].to_numpy(), index=index)
    if not close.index.is_monotonic_increasing or close.index.has_duplicates:
        sys.exit("bars are not strictly increasing in time")

    first_ts = close.index[0]
    initial = float(close.iloc[0])
    day_ends = close.resample("1D", closed="right", label="right").last().ffill()
    day_ends = day_ends[day_ends.index > first_ts]
    equity = np.concatenate([[initial], day_ends.to_numpy()])
    daily_returns = pd.Series(equity[1:] / equity[:-1] - 1.0, index=day_ends.index)
    minute_returns = close.pct_change().iloc[1:]

    def number(value) -> float:
        return float(value)

    result = {
        "source": BARS,
        "generated_by": "tools/stats_crosscheck/run.sh",
        "packages": {name: version(name) for name in ["empyrical-reloaded", "pandas", "numpy"]},
        "annualization": ANNUALIZATION,
        "bars": int(close.size),
        "first_ts": first_ts.isoformat(),
        "last_ts": close.index[-1].isoformat(),
        "initial_equity": initial,
        "final_equity": float(close.iloc[-1]),
        "days": int(daily_returns.size),
        "day_ends": [ts.isoformat() for ts in day_ends.index],
        "daily_equity": [float(value) for value in day_ends.to_numpy()],
        "daily_returns": [float(value) for value in daily_returns.to_numpy()],
        "sharpe": number(empyrical.sharpe_ratio(daily_returns, annualization=ANNUALIZATION)),
        "sortino": number(empyrical.sortino_ratio(daily_returns, annualization=ANNUALIZATION)),
        "downside_risk_annualized": number(
            empyrical.downside_risk(daily_returns, annualization=ANNUALIZATION)
        ),
        "annual_volatility": number(
            empyrical.annual_volatility(daily_returns, annualization=ANNUALIZATION)
        ),
        "max_drawdown_daily": number(empyrical.max_drawdown(daily_returns)),
        "max_drawdown_minute": number(empyrical.max_drawdown(minute_returns)),
        "max_drawdown_minute_pandas": float((close / close.cummax() - 1.0).min()),
        "max_drawdown_minute_trough_ts": (close / close.cummax() - 1.0).idxmin().isoformat(),
        "max_drawdown_minute_peak_ts": close.loc[
            : (close / close.cummax() - 1.0).idxmin()
        ].idxmax().isoformat(),
    }
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(json.dumps(result, indent=1) + "\n")
    for key in [
        "days",
        "sharpe",
        "sortino",
        "annual_volatility",
        "max_drawdown_daily",
        "max_drawdown_minute",
        "max_drawdown_minute_pandas",
    ]:
        print(f"{key:28} {result[key]}")
    print(f"wrote {arguments.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
