#!/usr/bin/env bash
# The dashboard's browser tests (web/tests): headless Debian Chromium driven by playwright-core
# against `auction-trader serve` on a loopback port over a backtest run and a grid made in the
# test, and over a paper session against the mock exchange (tests/live.test.mjs). Installs Chromium first (scripts/install-browser.sh) and the npm packages (web/
# package-lock.json). Screenshots land in $SCREENSHOT_DIR (default: under the cargo target
# dir; `SCREENSHOT_DIR=docs/dashboard bash scripts/test-browser.sh` refreshes the docs'
# pictures). Bounded: 10 minutes at most.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/auction-trader/target}"
bash scripts/install-browser.sh
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  (cd web && timeout 300 npm ci --no-audit --no-fund --loglevel=error)
fi
# The binary `cargo test` builds for the CLI's integration tests (same profile as the test
# stage before: nothing to compile again there).
cargo test --locked -p auction-trader --no-run --quiet
export AUCTION_TRADER_BIN="$CARGO_TARGET_DIR/debug/auction-trader"
cd web
started=$SECONDS
timeout 600 node --test --test-reporter=spec tests/
echo "browser stage: $((SECONDS - started)) s (dashboard and live-session tests)"
