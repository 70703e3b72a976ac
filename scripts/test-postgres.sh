#!/usr/bin/env bash
# The PostgreSQL store's tests (the "postgres" stage of scripts/test.sh): installs Debian's
# PostgreSQL 15 if missing, then runs the tests that start throwaway local servers
# (scripts/postgres-local.sh: initdb + pg_ctl on a temp dir and a free port, stopped and
# deleted at the end of each test): the store against the embedded one on shared captures,
# and the CLI's `import/catalog/replay/book verify --store postgres://...`.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/auction-trader/target}"
bash scripts/install-postgres.sh
# Bounded: each server lives for one test; a stuck server cannot hold the suite.
timeout 1200 cargo test --locked -p auction-trader-store-postgres --test it -- --ignored
timeout 1200 cargo test --locked -p auction-trader --test postgres_store -- --ignored
