#!/usr/bin/env bash
# Installs what the PostgreSQL store's tests and benchmarks need: Debian's PostgreSQL 15
# server and client (initdb, pg_ctl, postgres, psql under /usr/lib/postgresql/15/bin). No
# cluster is created or started here: scripts/postgres-local.sh starts throwaway servers.
# Idempotent: does nothing when the server binaries exist. Needs apt-get (root, or sudo
# without a password).
set -euo pipefail
if [ -x /usr/lib/postgresql/15/bin/initdb ] && [ -x /usr/lib/postgresql/15/bin/pg_ctl ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-postgres: no apt-get; install PostgreSQL 15 so that /usr/lib/postgresql/15/bin/initdb exists" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo -n"
fi
export DEBIAN_FRONTEND=noninteractive
timeout 300 $sudo apt-get update -qq
# postgresql-15 only (not the `postgresql` meta-package's service setup beyond what Debian
# does by default); the packaged cluster, if Debian creates one, is left alone.
timeout 600 $sudo apt-get install -y -qq --no-install-recommends postgresql-15 postgresql-client-15 >/dev/null
/usr/lib/postgresql/15/bin/postgres --version
