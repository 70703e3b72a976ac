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
# --workspace (not -p): the same feature set as the "cargo test" stage, so nothing is
# compiled again (a -p build unifies features over fewer crates and rebuilt arrow & co.).
# `--test it` also selects other crates' `it` targets; only ignored tests run, and the
# PostgreSQL ones are the only ignored tests there.
timeout 1200 cargo test --locked --workspace --test it --test postgres_store -- --ignored
