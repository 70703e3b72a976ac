#!/usr/bin/env python3
"""Expected ADF tests and Hurst exponents (classical and Anis-Lloyd corrected) on real data.

ADF: statsmodels `adfuller(x)` with its defaults (regression "c", autolag "AIC",
maxlag = ceil(12 (n/100)^(1/4)) capped at n//2 - 2, MacKinnon p-values), on windows of 240
one-minute ln closes ending every 500th bar of
`nautilus/btc-perp_1m_20211231-20220201.csv`, and on the whole month. Also `mackinnonp` on a
grid of statistics.

Hurst: `nolds.hurst_rs(returns, nvals, fit="poly", unbiased=False, corrected=...)` on windows
of 240 one-minute log returns ending at the same bars (nvals 15, 30, 60, 120, 240) and on one
window of 32,768 returns ending at the last bar (nvals 16 ... 32768, powers of two). Every
nval divides the window, so nolds' oldest-aligned chunks are the crate's newest-aligned ones;
`unbiased=False` is the crate's population standard deviation. corrected=True is the
Anis-Lloyd-Peters correction: H = 0.5 + slope of ln(R/S) - ln E[R/S]_n on ln n.

Writes crates/research/tests/expected_diagnostics_crosscheck.json, read by
crates/research/tests/diagnostics_crosscheck.rs.
"""

import argparse
import json
import math
from importlib.metadata import version
from pathlib import Path

import nolds
import numpy as np
import pandas as pd
from statsmodels.tsa.adfvalues import mackinnonp
from statsmodels.tsa.stattools import adfuller

REPO = Path(__file__).resolve().parents[2]
BARS = "nautilus/btc-perp_1m_20211231-20220201.csv"
WINDOW = 240
STRIDE = 500
HURST_SIZES = [15, 30, 60, 120, 240]
LONG_WINDOW = 32_768


def adf_point(series):
    statistic, p_value, lags, observations, _, _ = adfuller(series, result_object=False)
    return {
        "statistic": float(statistic),
        "p_value": float(p_value),
        "lags": int(lags),
        "observations": int(observations),
    }


def hurst_pair(returns, sizes):
    return {
        "classical": float(
            nolds.hurst_rs(returns, nvals=sizes, fit="poly", corrected=False, unbiased=False)
        ),
        "corrected": float(
            nolds.hurst_rs(returns, nvals=sizes, fit="poly", corrected=True, unbiased=False)
        ),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument(
        "--out", type=Path, default=REPO / "crates/research/tests/expected_diagnostics_crosscheck.json"
    )
    args = parser.parse_args()

    closes = pd.read_csv(args.data_dir / BARS)["close"].to_numpy(dtype="float64")
    logs = np.log(closes)
    returns = np.diff(logs)

    windows = []
    for end in range(WINDOW - 1, len(logs), STRIDE):
        point = {"index": end}
        point["adf"] = adf_point(logs[end - WINDOW + 1 : end + 1])
        # Returns ending at bar `end`: ln(c_end / c_{end-1}) is returns[end - 1].
        if end >= WINDOW:
            point["hurst"] = hurst_pair(returns[end - WINDOW : end], HURST_SIZES)
        windows.append(point)

    long_sizes = [LONG_WINDOW >> k for k in range(0, 12)][::-1]
    result = {
        "source": BARS,
        "generated_by": "tools/diagnostics_crosscheck/run.sh",
        "packages": {name: version(name) for name in ["statsmodels", "nolds", "numpy", "pandas"]},
        "bars": int(len(closes)),
        "window": WINDOW,
        "stride": STRIDE,
        "hurst_sizes": HURST_SIZES,
        "tolerance": {
            "adf_statistic_relative": 1e-8,
            "adf_p_value_absolute": 1e-9,
            "hurst_absolute": 1e-10,
        },
        "windows": windows,
        "whole_month_adf": adf_point(logs),
        "long_hurst": {
            "returns": LONG_WINDOW,
            "sizes": long_sizes,
            **hurst_pair(returns[-LONG_WINDOW:], long_sizes),
        },
        "mackinnon": [
            [tau, float(mackinnonp(tau, regression="c", N=1))]
            for tau in [-20.0, -6.0, -4.0, -3.43, -2.86, -2.57, -1.62, -1.61, -1.0, 0.0, 1.5, 2.7, 3.0]
        ],
    }
    adf_windows = [w["adf"] for w in windows]
    rejected = sum(1 for w in adf_windows if w["p_value"] < 0.10)
    print(f"{len(windows)} windows; ADF rejects at 10% in {rejected}; lags used "
          f"{sorted({w['lags'] for w in adf_windows})}")
    print(f"whole month: {result['whole_month_adf']}")
    print(f"long Hurst: classical {result['long_hurst']['classical']:.4f} corrected "
          f"{result['long_hurst']['corrected']:.4f}")
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
