#!/usr/bin/env bash
# Builds the dashboard page (web/, TypeScript + Vite + lightweight-charts) into web/dist, which
# crates/api embeds in the binary. web/dist is committed, so `cargo build` never needs npm;
# run this after changing web/src and commit the result. With --check it rebuilds and fails
# when the committed web/dist differs from what the sources build (what CI runs).
# Needs Node.js >= 20.19 and npm; the packages come from web/package-lock.json (`npm ci`).
set -euo pipefail
cd "$(dirname "$0")/../web"
if ! command -v npm >/dev/null 2>&1; then
  echo "npm not found: install Node.js 20 or later with npm, then re-run" >&2
  exit 1
fi
# playwright-core (the browser tests' driver) never downloads a browser; say so anyway.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  timeout 300 npm ci --no-audit --no-fund --loglevel=error
fi
timeout 300 npm run --silent build
if [ "${1:-}" = "--check" ]; then
  if ! git diff --quiet -- dist || [ -n "$(git ls-files --others --exclude-standard -- dist)" ]; then
    git status --short -- dist >&2
    echo "web/dist differs from what web/src builds: run scripts/build-web.sh and commit web/dist" >&2
    exit 1
  fi
fi
