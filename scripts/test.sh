#!/usr/bin/env bash
# The whole test suite: formatting, lints, every crate's tests (unit, integration, golden
# replays over ../shared/data when present), and the docs build. `.ci/run` calls exactly this.
# Each stage prints its wall time so the CI budget (45 min cold on 2 cores) stays visible.
set -euo pipefail
cd "$(dirname "$0")/.."

# Cache the build outside the checkout so repeated runs (and fresh clones) are incremental.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/auction-trader/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: install the Rust toolchain (https://rustup.rs) and re-run" >&2
  exit 1
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true

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
stage "cargo clippy (all targets, warnings are errors)" \
  cargo clippy --workspace --all-targets --locked -- -D warnings
stage "cargo test" cargo test --workspace --locked
RUSTDOCFLAGS="-D warnings" stage "cargo doc" cargo doc --workspace --no-deps --locked --quiet
echo "all checks passed in $((SECONDS - suite_start)) s"
