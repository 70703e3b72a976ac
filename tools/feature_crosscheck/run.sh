#!/usr/bin/env bash
# Independent cross-checks of the research estimators (OU half-life, Hurst R/S, VPIN) on real
# data; writes crates/features/tests/expected_crosscheck.json (see README.md).
# Creates (once) a virtualenv with pinned packages OUTSIDE the repository, then runs
# feature_crosscheck.py in it.
# Usage: tools/feature_crosscheck/run.sh [--data-dir DIR] [--out FILE]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${FEATURE_CROSSCHECK_VENV:-$HOME/.cache/auction-trader/feature-crosscheck-venv}"
requirements=(
  "numpy==2.4.6"
  "pandas==3.1.1"
  "scipy==1.17.1"
  "statsmodels==0.15.0"
  "hurst==0.0.5"
)

if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
# pip is quick when everything is already installed at the pinned versions.
"$venv/bin/pip" install --quiet --disable-pip-version-check "${requirements[@]}"
exec "$venv/bin/python" "$here/feature_crosscheck.py" "$@"
