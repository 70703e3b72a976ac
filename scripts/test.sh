#!/usr/bin/env bash
# The whole test suite: formatting, the dashboard page's build check, lints, every crate's
# tests (unit, integration, golden replays over ../shared/data when present), the docs build,
# and the dashboard's browser tests (headless Chromium). `.ci/run` calls exactly this.
# Each stage prints its wall time so the CI budget (45 min cold on 2 cores) stays visible.
set -euo pipefail
cd "$(dirname "$0")/.."

# Cache the build outside the checkout so repeated runs (and fresh clones) are incremental.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/auction-trader/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# No incremental state: the suite is judged from a cold start, where incremental
# compilation only adds work, and its cache was a third of the target dir's size on disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: install the Rust toolchain (https://rustup.rs) and re-run" >&2
  exit 1
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true

# Disk: a CI machine may have little to spare. Incremental state is never used (above), so
# any left by earlier builds goes; a cache grown past 20 GB by older builds starts over.
rm -rf "$CARGO_TARGET_DIR/debug/incremental"
if [[ -d $CARGO_TARGET_DIR ]]; then
  cache_mb=$(du -sm "$CARGO_TARGET_DIR" 2>/dev/null | cut -f1)
  if (( ${cache_mb:-0} > 20000 )); then
    echo "build cache $CARGO_TARGET_DIR is ${cache_mb} MB: removing its debug builds"
    rm -rf "$CARGO_TARGET_DIR/debug"
  fi
fi
disk() { echo "disk: $(df -h "$CARGO_TARGET_DIR" 2>/dev/null | awk 'NR==2 {print $4 " free"}'), build cache $(du -sh "$CARGO_TARGET_DIR" 2>/dev/null | cut -f1)"; }
mkdir -p "$CARGO_TARGET_DIR"
disk

suite_start=$SECONDS
stage() {
  local name=$1
  shift
  echo "== $name"
  local start=$SECONDS
  "$@"
  echo "-- $name: $((SECONDS - start)) s"
}

stage "cargo fmt --check" cargo fmt --all -- --check
# The dashboard page: web/dist is committed (cargo build needs no npm); it must be what
# web/src builds (npm ci from web/package-lock.json, tsc, vite).
stage "web build (web/dist matches web/src)" bash scripts/build-web.sh --check
stage "cargo clippy (all targets, warnings are errors)" \
  cargo clippy --workspace --all-targets --locked -- -D warnings
stage "cargo test" cargo test --workspace --locked
RUSTDOCFLAGS="-D warnings" stage "cargo doc" cargo doc --workspace --no-deps --locked --quiet
# Headless Chromium (Debian's package, installed by the script) against `serve`.
stage "browser tests (dashboard, headless Chromium)" bash scripts/test-browser.sh
# PostgreSQL store: Debian's PostgreSQL 15 (installed by the script), throwaway servers.
stage "postgres (store tests against a local PostgreSQL 15)" bash scripts/test-postgres.sh
# The Python bindings (their own workspace): fmt + clippy, the wheel, a fresh-venv install,
# the demo backtest re-run from Python, and a grid on a local Ray cluster (docs/python.md).
stage "python wheel + ray" bash scripts/test-python.sh
disk
echo "all checks passed in $((SECONDS - suite_start)) s"
