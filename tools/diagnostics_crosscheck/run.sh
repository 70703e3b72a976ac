#!/usr/bin/env bash
# Cross-check of the ADF test (statsmodels adfuller defaults) and of the classical and
# Anis-Lloyd corrected Hurst exponents (nolds) on real data; writes
# crates/research/tests/expected_diagnostics_crosscheck.json (see README.md).
# Creates (once) a virtualenv with pinned packages OUTSIDE the repository, then runs
# diagnostics_crosscheck.py in it (tools/run_in_venv.sh).
# Usage: tools/diagnostics_crosscheck/run.sh [--data-dir DIR] [--out FILE]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec "$here/../run_in_venv.sh" \
  "${DIAGNOSTICS_CROSSCHECK_VENV:-$HOME/.cache/auction-trader/diagnostics-crosscheck-venv}" \
  "$here/diagnostics_crosscheck.py" \
  "numpy==2.4.6" \
  "pandas==3.1.1" \
  "scipy==1.17.1" \
  "statsmodels==0.15.0" \
  "nolds==0.5.2" \
  -- "$@"
