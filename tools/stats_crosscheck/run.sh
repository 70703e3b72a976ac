#!/usr/bin/env bash
# Cross-check of the analytics crate's risk/return statistics against empyrical (see README.md).
# Creates (once) a virtualenv with pinned packages, then runs stats_crosscheck.py in it
# (tools/run_in_venv.sh).
# Usage: tools/stats_crosscheck/run.sh [--data-dir DIR] [--out FILE]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec "$here/../run_in_venv.sh" \
  "${STATS_CROSSCHECK_VENV:-$HOME/.cache/auction-trader/stats-crosscheck-venv}" \
  "$here/stats_crosscheck.py" \
  "empyrical-reloaded==0.7.1" \
  "pandas==3.1.1" \
  "numpy==2.4.6" \
  "scipy==1.17.1" \
  -- "$@"
