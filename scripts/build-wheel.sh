#!/usr/bin/env bash
# Builds the Python wheel of auction-trader (crates/python: PyO3 + maturin) into
# $WHEEL_DIR (default target/wheels under the build cache) and prints its path.
# Installs maturin from PyPI into a venv under ~/.cache/auction-trader (idempotent); needs
# python3 (3.9+) with venv and the Rust toolchain. The crate is its own workspace, so this
# is the only build that compiles PyO3. Not --locked: crates/python/Cargo.lock keeps the
# main Cargo.lock's versions and takes in what a change of the library crates adds.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/auction-trader/target}"
tools="${AT_PYTHON_TOOLS:-$HOME/.cache/auction-trader/python-tools}"
wheel_dir="${WHEEL_DIR:-$CARGO_TARGET_DIR/wheels}"
python="${PYTHON:-python3}"

if ! "$python" -c 'import sys; assert sys.version_info >= (3, 9)' 2>/dev/null; then
  echo "build-wheel: python3 >= 3.9 is needed" >&2
  exit 1
fi
if [[ ! -x "$tools/bin/maturin" ]]; then
  "$python" -m venv "$tools"
  "$tools/bin/pip" install --quiet --upgrade pip
  "$tools/bin/pip" install --quiet "maturin>=1.16,<2"
fi
rm -f "$wheel_dir"/auction_trader-*.whl
# AT_WHEEL_PROFILE: a Cargo profile of crates/python (default release; the test suite uses
# wheel-check, release without LTO).
"$tools/bin/maturin" build --profile "${AT_WHEEL_PROFILE:-release}" \
  --manifest-path crates/python/Cargo.toml \
  --interpreter "$tools/bin/python" --out "$wheel_dir" >&2
ls "$wheel_dir"/auction_trader-*.whl
