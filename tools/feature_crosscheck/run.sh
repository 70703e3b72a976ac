#!/usr/bin/env bash
# Independent cross-checks of the research estimators (OU half-life, Hurst R/S, VPIN) on real
# data; writes crates/research/tests/expected_crosscheck.json (see README.md).
# Creates (once) a virtualenv with pinned packages OUTSIDE the repository, then runs
# feature_crosscheck.py in it (tools/run_in_venv.sh).
# Usage: tools/feature_crosscheck/run.sh [--data-dir DIR] [--out FILE]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec "$here/../run_in_venv.sh" \
  "${FEATURE_CROSSCHECK_VENV:-$HOME/.cache/auction-trader/feature-crosscheck-venv}" \
  "$here/feature_crosscheck.py" \
  "numpy==2.4.6" \
  "pandas==3.1.1" \
  "scipy==1.17.1" \
  "statsmodels==0.15.0" \
  "hurst==0.0.5" \
  -- "$@"
