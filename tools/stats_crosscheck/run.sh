#!/usr/bin/env bash
# Cross-check of the analytics crate's risk/return statistics against empyrical (see README.md).
# Creates (once) a virtualenv with pinned packages, then runs stats_crosscheck.py in it.
# Usage: tools/stats_crosscheck/run.sh [--data-dir DIR] [--out FILE]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${STATS_CROSSCHECK_VENV:-$HOME/.cache/auction-trader/stats-crosscheck-venv}"
requirements=(
  "empyrical-reloaded==0.7.1"
  "pandas==3.1.1"
  "numpy==2.4.6"
  "scipy==1.17.1"
)

if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
# pip is quick when everything is already installed at the pinned versions.
"$venv/bin/pip" install --quiet --disable-pip-version-check "${requirements[@]}"
exec "$venv/bin/python" "$here/stats_crosscheck.py" "$@"
