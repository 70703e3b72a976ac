#!/usr/bin/env bash
# Installs what the dashboard's browser tests need: Debian's chromium (driven by Playwright
# through playwright-core with executablePath /usr/bin/chromium; no browser download),
# chromium-driver, and sqlite3 (the live test reads the session's execution.db with it).
# Idempotent: does nothing when both exist. Needs apt-get (root, or sudo without a password).
set -euo pipefail
if [ -x /usr/bin/chromium ] && command -v sqlite3 >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: no apt-get; install Chromium so that /usr/bin/chromium exists" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo -n"
fi
export DEBIAN_FRONTEND=noninteractive
timeout 300 $sudo apt-get update -qq
timeout 600 $sudo apt-get install -y -qq --no-install-recommends chromium chromium-driver sqlite3 >/dev/null
/usr/bin/chromium --version
