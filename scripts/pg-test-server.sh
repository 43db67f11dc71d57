#!/usr/bin/env bash
# Throwaway PostgreSQL 15 server for tests and benches.
#
#   scripts/pg-test-server.sh start DIR   # prints a libpq connection string on stdout
#   scripts/pg-test-server.sh stop DIR    # stops the server and deletes DIR
#
# The cluster lives in DIR (created if missing), listens only on a Unix socket in DIR (no
# TCP, so parallel servers never clash) and runs with fsync off: it is for tests, never for
# data. initdb refuses to run as root, so as root everything runs as the `postgres` user
# (runuser) in a DIR that user owns. Fails loudly, with the server's log on stderr.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    if [ ! -x "$PG_BIN/initdb" ]; then
      echo "pg-test-server: $PG_BIN/initdb not found (apt-get install postgresql)" >&2
      exit 1
    fi
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; fi
    if ! as_pg "$PG_BIN/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-sync \
        >"$dir/initdb.log" 2>&1; then
      echo "pg-test-server: initdb failed:" >&2
      cat "$dir/initdb.log" >&2
      exit 1
    fi
    if ! as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-k $dir -c listen_addresses= -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50" \
        start >/dev/null 2>&1; then
      echo "pg-test-server: the server did not start:" >&2
      cat "$dir/server.log" >&2 || true
      exit 1
    fi
    echo "host=$dir user=postgres dbname=postgres"
    ;;
  stop)
    if [ -d "$dir/data" ]; then
      as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
