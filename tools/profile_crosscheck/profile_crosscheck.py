#!/usr/bin/env python3
"""Cross-check of the volume profile / value area (SPEC 2.2, 11.1) on a real trade tape.

Computes fixed-width volume profiles of one bitFlyer BTC_JPY day over six consecutive
240-minute windows, at three bin widths, with both value-area expansions, and writes the
numbers the Rust test `crates/features/tests/real_data.rs` asserts against
(`crates/features/tests/data/profile_crosscheck.json`).

Two independent computations:
1. A reference written here in plain Python/numpy/pandas, following SPEC 2.2 literally:
   bin k = floor(price / w) covers [k w, (k+1) w); histogram over every bin from the lowest to
   the highest traded bin (zero bins included); POC = highest volume, tie -> lower price (no
   previous POC in a standalone profile); value area grown one bin at a time toward the larger
   next bin, both on a tie, or two bins at a time (classic variant), stopping as soon as the
   accumulated volume reaches 70 %; VAL = lower edge of the lowest VA bin, VAH = upper edge of
   the highest. Volumes are exact integers (sizes x 10^9), as in the Rust crate.
2. The PyPI package `MarketProfile` (0.2.0, github.com/bfolkens/py-market-profile), the most
   used open-source market-profile library. It does NOT implement the same value-area rule
   (its histogram holds only non-empty rows, ties go to the upper side, and it stops only
   once the value area EXCEEDS 70 %), so it is used as a second opinion on what both rules
   share: the histogram (every bin's volume) and the POC; its VAL/VAH are compared and the
   differences explained, not asserted.

Usage: python3 tools/profile_crosscheck/profile_crosscheck.py [--data-dir DIR] [--out FILE]
The script creates (once) a virtualenv under ~/.cache/auction-trader/profile-crosscheck-venv,
installs pandas, numpy, scipy and MarketProfile==0.2.0 with pip, and re-runs itself inside it.
"""

import argparse
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

VENV = Path.home() / ".cache" / "auction-trader" / "profile-crosscheck-venv"
REQUIREMENTS = ["pandas>=2", "numpy>=1.24", "scipy>=1.10", "MarketProfile==0.2.0"]
REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "crates" / "features" / "tests" / "data" / "profile_crosscheck.json"

TAPE = "bitflyer/bitflyer.execution.20180122.BTC_JPY.csv.gz"
# The JST day 2018-01-22 is 2018-01-21T15:00Z .. 2018-01-22T15:00Z: six 240-minute windows.
FIRST_WINDOW_START = "2018-01-21T15:00:00Z"
WINDOW_MINUTES = 240
WINDOWS = 6
# Bin widths in JPY (tick 1 JPY): 137 does not divide round prices (checks floor alignment);
# 500 and 2000 bracket the SPEC width (0.25 x sigma_240 x price ~ 0.25 x 0.002 x 1.3M ~ 650).
BIN_WIDTHS_JPY = [137, 500, 2000]
VALUE_AREA_PPM = 700_000
SCALE = 10**9


def ensure_venv():
    """Re-executes this script inside the project's virtualenv (created on first use)."""
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"creating virtualenv {VENV}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    # Idempotent: pip only downloads what is missing.
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *REQUIREMENTS], check=True)
    os.execv(str(python), [str(python), *sys.argv])


def fixed(text):
    """Exact decimal string -> integer at 10^-9 (as the Rust `parse_fixed`)."""
    value = Decimal(text) * SCALE
    if value != value.to_integral_value():
        raise ValueError(f"more than 9 decimals: {text}")
    return int(value)


def load_tape(path):
    import pandas as pd

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows = len(frame)
    frame = frame[frame["exec_date"].str.strip() != ""]
    blank = rows - len(frame)
    frame = frame.assign(
        ts=pd.to_datetime(frame["exec_date"], format="ISO8601", utc=True).dt.as_unit("ns").astype("int64"),
        id_number=frame["id"].astype("int64"),
        price_raw=frame["price"].map(fixed).astype("int64"),
        size_raw=frame["size"].map(fixed).astype("int64"),
    )
    duplicates = int(frame.duplicated("id_number").sum())
    conflicting = int(
        frame.drop_duplicates(["id_number", "ts", "price_raw", "size_raw"]).duplicated("id_number").sum()
    )
    frame = frame.drop_duplicates("id_number").sort_values(["ts", "id_number"], kind="mergesort")
    info = {"rows": rows, "blank_exec_date": blank, "duplicate_ids": duplicates, "conflicting_duplicates": conflicting}
    return frame.reset_index(drop=True), info


def histogram(prices, sizes, width):
    """Dense integer histogram from the lowest to the highest traded bin."""
    import numpy as np

    bins = prices // width  # floor division: bin k covers [k w, (k+1) w)
    low, high = int(bins.min()), int(bins.max())
    volumes = [0] * (high - low + 1)
    for bin_index, size in zip(bins.tolist(), sizes.tolist()):
        volumes[bin_index - low] += int(size)
    return low, np.array(volumes, dtype=object)


def reached(accumulated, total):
    return accumulated * 1_000_000 >= total * VALUE_AREA_PPM


def value_area(volumes, poc, two_bin):
    """SPEC 2.2 expansion (indices into `volumes`)."""
    total = sum(volumes)
    low = high = poc
    accumulated = volumes[poc]
    last = len(volumes) - 1
    while not reached(accumulated, total):
        if two_bin:
            below_bins = list(range(max(low - 2, 0), low))
            above_bins = list(range(high + 1, min(high + 2, last) + 1))
        else:
            below_bins = [low - 1] if low > 0 else []
            above_bins = [high + 1] if high < last else []
        if not below_bins and not above_bins:
            break
        below = sum(volumes[i] for i in below_bins)
        above = sum(volumes[i] for i in above_bins)
        take_above = bool(above_bins) and (not below_bins or above >= below)
        take_below = bool(below_bins) and (not above_bins or below >= above)
        if take_above:
            high = above_bins[-1]
            accumulated += above
        if take_below:
            low = below_bins[0]
            accumulated += below
    return low, high, accumulated


def reference_profile(prices, sizes, width, two_bin):
    low, volumes = histogram(prices, sizes, width)
    maximum = max(volumes)
    poc = next(index for index, volume in enumerate(volumes) if volume == maximum)  # lower price
    va_low, va_high, va_volume = value_area(list(volumes), poc, two_bin)
    return {
        "first_bin": low,
        "bins_spanned": len(volumes),
        "total_volume": int(sum(volumes)),
        "poc_bin": low + poc,
        "value_area_low_bin": low + va_low,
        "value_area_high_bin": low + va_high,
        "value_area_volume": int(va_volume),
        "poc": (low + poc) * width,
        "val": (low + va_low) * width,
        "vah": (low + va_high + 1) * width,
    }, volumes, low


def package_profile(window, width):
    """MarketProfile over the same bins: Close = bin index, row size 1 (ceil(k) = k)."""
    import pandas as pd
    from market_profile import MarketProfile

    bins = (window["price_raw"] // width).astype("float64")
    frame = pd.DataFrame(
        {
            "Open": bins,
            "High": bins,
            "Low": bins,
            "Close": bins,
            "Volume": window["size_raw"].astype("float64") / SCALE,
        }
    )
    profile = MarketProfile(frame, tick_size=1, prices_per_row=1, value_area_pct=0.70, mode="vol")
    sliced = profile[0 : len(frame)]
    return sliced


def sigma_checks(tape):
    """1-minute bars and sigma_240 with pandas, as an independent check of SPEC 2.1: bars on
    UTC minutes from the first trade's minute, an empty minute closes at the previous close
    (zero return), sigma = rolling 240-minute SAMPLE std (ddof 1) of log returns (the first
    bar has no return). Returned every 97 minutes (not a divisor of anything) + the last one."""
    import numpy as np
    import pandas as pd

    minute = 60 * SCALE
    frame = tape.assign(minute=(tape["ts"] // minute) * minute)
    closes = frame.groupby("minute")["price_raw"].last()
    volumes = frame.groupby("minute")["size_raw"].sum()
    counts = frame.groupby("minute")["size_raw"].count()
    index = np.arange(closes.index.min(), closes.index.max() + minute, minute)
    closes = closes.reindex(index).ffill()
    volumes = volumes.reindex(index).fillna(0).astype("int64")
    counts = counts.reindex(index).fillna(0).astype("int64")
    returns = np.log(closes.astype("float64") / SCALE).diff()
    sigma = returns.rolling(240, min_periods=2).std(ddof=1)
    picks = list(range(96, len(index), 97)) + [len(index) - 1]
    empty_minutes = int((counts == 0).sum())
    print(f"bars: {len(index)} minutes, {empty_minutes} without trades", file=sys.stderr)
    return [
        {
            "bar_close_ns": int(index[i] + minute),
            "close": int(closes.iloc[i]),
            "volume": int(volumes.iloc[i]),
            "trade_count": int(counts.iloc[i]),
            "sigma_240": float(sigma.iloc[i]),
        }
        for i in picks
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    ensure_venv()
    import numpy as np
    import pandas as pd

    tape_path = args.data_dir / TAPE
    tape, info = load_tape(tape_path)
    print(f"{TAPE}: {info}, {len(tape)} trades kept", file=sys.stderr)
    first = pd.Timestamp(FIRST_WINDOW_START).as_unit("ns").value
    minute = 60 * SCALE
    cases = []
    package_summary = {"histograms_equal": 0, "poc_equal": 0, "poc_compared": 0, "va_equal": 0, "va_compared": 0}
    for window_index in range(WINDOWS):
        start = first + window_index * WINDOW_MINUTES * minute
        end = start + WINDOW_MINUTES * minute
        window = tape[(tape["ts"] >= start) & (tape["ts"] < end)]
        prices = window["price_raw"].to_numpy()
        sizes = window["size_raw"].to_numpy()
        for width_jpy in BIN_WIDTHS_JPY:
            width = width_jpy * SCALE
            package = package_profile(window, width)
            for expansion in ["single_bin", "two_bin"]:
                reference, volumes, low = reference_profile(prices, sizes, width, expansion == "two_bin")
                case = {
                    "start_ns": int(start),
                    "end_ns": int(end),
                    "bin_width_raw": width,
                    "expansion": expansion,
                    "trades": int(len(window)),
                    **reference,
                }
                cases.append(case)
                if expansion != "single_bin":
                    continue
                # Second opinion: the package's histogram holds the non-empty bins only.
                nonzero = {low + index: volume for index, volume in enumerate(volumes) if volume != 0}
                theirs = {int(round(key)): float(value) for key, value in package.profile.items()}
                same_keys = set(theirs) == set(nonzero)
                same_volumes = same_keys and all(
                    abs(theirs[key] - nonzero[key] / SCALE) <= 1e-9 * max(1.0, nonzero[key] / SCALE) for key in nonzero
                )
                package_summary["histograms_equal"] += int(same_volumes)
                unique_max = sum(1 for volume in volumes if volume == max(volumes)) == 1
                if unique_max and package.poc_price is not None:
                    package_summary["poc_compared"] += 1
                    package_summary["poc_equal"] += int(int(round(package.poc_price)) == reference["poc_bin"])
                val_bin, vah_bin = (int(round(value)) for value in package.value_area)
                package_summary["va_compared"] += 1
                agree = (val_bin, vah_bin) == (reference["value_area_low_bin"], reference["value_area_high_bin"])
                package_summary["va_equal"] += int(agree)
                print(
                    f"window {window_index} width {width_jpy:>4} JPY: {len(window):>6} trades, "
                    f"{reference['bins_spanned']:>4} bins, POC {reference['poc'] // SCALE} "
                    f"VA [{reference['val'] // SCALE}, {reference['vah'] // SCALE}) | package: histogram "
                    f"{'equal' if same_volumes else 'DIFFERENT'}, POC bin {int(round(package.poc_price))} "
                    f"VA bins {val_bin}..{vah_bin} {'same' if agree else 'differs (rule)'}",
                    file=sys.stderr,
                )
    output = {
        "tape": TAPE,
        "sigma_checks": sigma_checks(tape),
        "tape_info": info,
        "value_area_fraction": VALUE_AREA_PPM / 1e6,
        "reference": "independent numpy implementation of SPEC 2.2 (see script docstring)",
        "package": "MarketProfile 0.2.0 (PyPI)",
        "package_agreement": package_summary,
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "pandas": pd.__version__},
        "cases": cases,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(output, indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {args.out}; package agreement {package_summary}", file=sys.stderr)


if __name__ == "__main__":
    main()
