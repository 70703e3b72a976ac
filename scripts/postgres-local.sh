#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for tests and benchmarks (never a production setup):
#   scripts/postgres-local.sh start DIR [PORT]   initdb DIR (if new) and start on 127.0.0.1:PORT
#                                                (a free port when omitted); prints the URL
#   scripts/postgres-local.sh stop DIR           stop it (immediate) and keep DIR
#   scripts/postgres-local.sh destroy DIR        stop it and delete DIR
# Trust authentication on 127.0.0.1 only, user `trader`, database `ticks`; durability off
# (fsync, synchronous_commit, full_page_writes) since the data is disposable, and
# wal_level=minimal: COPY into a day partition created by the same import writes no WAL
# (half the disk and I/O of a bulk load). initdb refuses
# to run as root: as root, the cluster belongs to the unprivileged `postgres` user (Debian's
# package creates it) and every server command runs through runuser.
set -euo pipefail
bin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
if [ ! -x "$bin/initdb" ]; then
  echo "postgres-local: $bin/initdb not found (run scripts/install-postgres.sh)" >&2
  exit 1
fi
command=${1:-}
dir=${2:-}
if [ -z "$command" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop|destroy DIR [PORT]" >&2
  exit 2
fi
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}
free_port() {
  # The kernel's pick of a free port; without python3, a random high port (a collision
  # makes pg_ctl fail with the log shown, never a silent reuse).
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
  else
    echo $((20000 + RANDOM % 40000))
  fi
}
case "$command" in
  start)
    port=${3:-$(free_port)}
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ "$(id -u)" -eq 0 ]; then
      chown postgres: "$dir"
    fi
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir" -U trader --auth=trust --encoding=UTF8 --locale=C \
        --no-sync >"$dir.initdb.log" 2>&1 || { cat "$dir.initdb.log" >&2; exit 1; }
    fi
    as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off \
          -c synchronous_commit=off -c full_page_writes=off -c wal_level=minimal \
          -c max_wal_senders=0 -c max_wal_size=1GB -c shared_buffers=256MB \
          -c maintenance_work_mem=256MB -c work_mem=64MB" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    if ! "$bin/psql" -h 127.0.0.1 -p "$port" -U trader -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = 'ticks'" | grep -q 1; then
      "$bin/createdb" -h 127.0.0.1 -p "$port" -U trader ticks
    fi
    echo "postgres://trader@127.0.0.1:$port/ticks"
    ;;
  stop)
    if [ -f "$dir/postmaster.pid" ]; then
      as_owner "$bin/pg_ctl" -D "$dir" -m immediate -w stop >/dev/null
    fi
    ;;
  destroy)
    if [ -f "$dir/postmaster.pid" ]; then
      as_owner "$bin/pg_ctl" -D "$dir" -m immediate -w stop >/dev/null || true
    fi
    rm -rf "$dir" "$dir.initdb.log"
    ;;
  *)
    echo "usage: $0 start|stop|destroy DIR [PORT]" >&2
    exit 2
    ;;
esac
