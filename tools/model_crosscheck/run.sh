#!/usr/bin/env bash
# Cross-check of auction-trader-model against LightGBM itself (see README.md): builds the
# bitFlyer feature matrix and trains a model with the project's CLI, then LightGBM (Python)
# loads our model.txt, predicts and explains (pred_contrib) sample rows, and trains on the same
# rows with the same parameters for an AUC and timing comparison. Writes
# crates/model/tests/expected_lightgbm_crosscheck.json.
# Usage: tools/model_crosscheck/run.sh [--data-dir DIR] [--out FILE]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
data_dir="$repo/../shared/data"
out="$repo/crates/model/tests/expected_lightgbm_crosscheck.json"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --data-dir) data_dir="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/auction-trader/target}"
(cd "$repo" && cargo build --quiet -p auction-trader)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A private copy: the shared target directory's binary may be rebuilt by other checkouts.
bin="$work/auction-trader"
cp "$CARGO_TARGET_DIR/debug/auction-trader" "$bin"

"$bin" features matrix "$data_dir"/bitflyer/*.csv.gz --features all --horizons 1,5,15 \
  --out "$work/matrix.parquet" >/dev/null
# The model the Rust test re-trains: trained up to 2018-01-25 00:00 UTC (later days out of
# sample), 100 iterations without early stopping so it has many trees to compare.
"$bin" model train "$work/matrix.parquet" --out "$work/model" --until 2018-01-25 \
  --iterations 100 --early-stopping 0 --source "bitflyer/*.csv.gz"

"$here/../run_in_venv.sh" \
  "${MODEL_CROSSCHECK_VENV:-$HOME/.cache/auction-trader/model-crosscheck-venv}" \
  "$here/model_crosscheck.py" \
  "numpy==2.4.6" \
  "pandas==3.1.1" \
  "pyarrow==26.0.1" \
  "scikit-learn==1.9.1" \
  "lightgbm==4.7.0" \
  -- --matrix "$work/matrix.parquet" --model "$work/model" --out "$out"
