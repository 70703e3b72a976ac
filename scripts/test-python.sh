#!/usr/bin/env bash
# The Python stage of the suite (scripts/test.sh "python wheel + ray"): lints the bindings
# crate (its own workspace, so the main stages do not see it), builds the wheel
# (scripts/build-wheel.sh), installs it with pip into a FRESH venv and runs
# crates/python/tests/test_wheel.py (the CLI's demo backtest re-run from Python, loaders),
# then starts a local Ray cluster (2 CPUs) and a throwaway PostgreSQL and runs
# crates/python/tests/ray_grid_check.py (a 120-combination grid on Ray gives the local
# grid's rows, from the shared Parquet directory and from the PostgreSQL store), and stops
# both.
# Installs what it needs (python3 venv via apt-get when missing; pip packages into venvs
# under ~/.cache/auction-trader), idempotently. Each step prints its time.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/auction-trader/target}"
cache="$HOME/.cache/auction-trader"
shared_data="${AT_SHARED_DATA:-$repo/../shared/data}"
python="${PYTHON:-python3}"

step() {
  local name=$1
  shift
  local start=$SECONDS
  "$@"
  echo "   $name: $((SECONDS - start)) s"
}

if ! "$python" -m venv --help >/dev/null 2>&1 || ! "$python" -c 'import ensurepip' 2>/dev/null; then
  apt-get update -qq && apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
fi
if [[ ! -d "$shared_data/bitflyer" || ! -d "$shared_data/nautilus" ]]; then
  echo "test-python: $shared_data has no bitflyer/ and nautilus/ data: skipped" >&2
  exit 0
fi
shared_data=$(cd "$shared_data" && pwd)

lint() {
  cargo fmt --manifest-path crates/python/Cargo.toml -- --check
  cargo clippy --manifest-path crates/python/Cargo.toml --all-targets --quiet -- -D warnings
}
step "fmt + clippy (crates/python)" lint
wheel=
build() { wheel=$(bash scripts/build-wheel.sh 2>"$work/build.log" | tail -1) || { cat "$work/build.log" >&2; return 1; }; }
# A copy of the binary: the build cache may be shared with other checkouts.
# The binary the "cargo test" stage built for the CLI's integration tests (a no-op here in
# the suite; `cargo build -p auction-trader` would unify features differently and compile
# dependencies again).
cli_build() {
  cargo test --workspace --locked --no-run --quiet
  cp "$CARGO_TARGET_DIR/debug/auction-trader" "$work/auction-trader"
}
work=$(mktemp -d)
ray_up=
pg_url=
# Directly under /tmp: as root the cluster belongs to the `postgres` user, who cannot enter
# the private $work.
pg_dir="${TMPDIR:-/tmp}/auction-trader-pg-python-$$"
cleanup() {
  if [[ -n $ray_up ]]; then "$cache/python-ray/bin/ray" stop --force >/dev/null 2>&1 || true; fi
  if [[ -d $pg_dir ]]; then bash scripts/postgres-local.sh destroy "$pg_dir" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
# The wheel-check profile: release optimisation without LTO (the checks need a correct
# wheel, not the last 10% of speed; LTO made this the suite's longest compile).
export AT_WHEEL_PROFILE="${AT_WHEEL_PROFILE:-wheel-check}"
step "wheel (maturin, profile $AT_WHEEL_PROFILE)" build
echo "   wheel: $wheel"
step "CLI (debug)" cli_build
export AT_CLI="$work/auction-trader" AT_REPO="$repo" AT_SHARED_DATA="$shared_data"

fresh_venv() {
  "$python" -m venv "$work/venv"
  "$work/venv/bin/pip" install --quiet --disable-pip-version-check "$wheel"
}
step "pip install the wheel into a fresh venv" fresh_venv
wheel_tests() { AT_WORK="$work/wheel" "$work/venv/bin/python" crates/python/tests/test_wheel.py; }
step "wheel tests (demo backtest vs CLI, loaders)" wheel_tests

ray_venv() {
  local venv="$cache/python-ray"
  if [[ ! -x $venv/bin/ray ]]; then
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "ray>=2.9" pyarrow pandas
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheel"
}
step "Ray venv (~/.cache/auction-trader/python-ray)" ray_venv
port="${AT_RAY_PORT:-6389}"
ray_start() {
  RAY_USAGE_STATS_ENABLED=0 "$cache/python-ray/bin/ray" start --head --num-cpus 2 --port "$port" \
    --include-dashboard false --disable-usage-stats >"$work/ray-start.log" 2>&1 \
    || { cat "$work/ray-start.log" >&2; return 1; }
  ray_up=1
}
step "ray start --head (2 CPUs)" ray_start
# A throwaway PostgreSQL for the Ray grid over the PostgreSQL store (skipped, with a note,
# where the server packages cannot be installed).
pg_start() {
  if bash scripts/install-postgres.sh >"$work/pg-install.log" 2>&1; then
    pg_url=$(bash scripts/postgres-local.sh start "$pg_dir")
  else
    echo "   PostgreSQL not installable here: the Ray grid over PostgreSQL is skipped" >&2
  fi
}
step "PostgreSQL (throwaway, for the Ray grid over it)" pg_start
ray_tests() {
  RAY_ADDRESS="127.0.0.1:$port" AT_WORK="$work" AT_PG_URL="$pg_url" \
    "$cache/python-ray/bin/python" crates/python/tests/ray_grid_check.py
}
step "Ray grid vs local grid" ray_tests
ray_stop() { "$cache/python-ray/bin/ray" stop --force >/dev/null 2>&1; ray_up=; }
step "ray stop" ray_stop
