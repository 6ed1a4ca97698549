#!/usr/bin/env bash
# Starts, or reuses, a local PostgreSQL built from the machine's own binaries, with its data in
# .data/postgres (git-ignored), and makes sure the given databases exist.
#
#   scripts/postgres.sh [database ...]      prints the base connection string on stdout
#   scripts/postgres.sh --stop              stops it
#
# Environment: LORA_PG_PORT (default 54329). PostgreSQL refuses to run as root, so when this
# script runs as root the server runs as the `postgres` system user.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
port="${LORA_PG_PORT:-54329}"
base="$root/.data/postgres"
data="$base/data"
sock="$base/run"
logfile="$base/postgres.log"

log() { echo "[postgres] $*" >&2; }

find_bin() {
  local name="$1"
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  local candidate
  candidate=$(ls -d /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$candidate" ]; then echo "$candidate"; return; fi
  log "cannot find '$name': install PostgreSQL (Debian: apt-get install postgresql) or set ConnectionStrings__Postgres / LORA_TEST_POSTGRES to a server you run yourself"
  exit 1
}

as_pg() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_ctl_bin=$(find_bin pg_ctl)
initdb_bin=$(find_bin initdb)
psql_bin=$(find_bin psql)

if [ "${1:-}" = "--stop" ]; then
  [ -f "$data/PG_VERSION" ] && as_pg "$pg_ctl_bin" -D "$data" stop -m fast >&2 || true
  exit 0
fi

mkdir -p "$base" "$sock"
if [ "$(id -u)" = "0" ]; then
  # the postgres user must be able to reach and own its folders
  chmod o+x "$root/.data" "$base" 2>/dev/null || true
  chown postgres "$base" "$sock"
fi

if [ ! -f "$data/PG_VERSION" ]; then
  log "initialising a new cluster in $data"
  mkdir -p "$data"
  [ "$(id -u)" = "0" ] && chown postgres "$data"
  as_pg "$initdb_bin" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
fi

if as_pg "$pg_ctl_bin" -D "$data" status >/dev/null 2>&1; then
  log "reusing the server already running on port $port"
else
  log "starting on 127.0.0.1:$port (log: $logfile)"
  touch "$logfile" && { [ "$(id -u)" = "0" ] && chown postgres "$logfile" || true; }
  as_pg "$pg_ctl_bin" -D "$data" -l "$logfile" -w -t 60 start \
    -o "-p $port -k $sock -c listen_addresses=127.0.0.1 -c max_connections=1000 -c shared_buffers=256MB -c fsync=${LORA_PG_FSYNC:-on}" >&2 \
    || { log "PostgreSQL did not start (see $logfile). Is port $port taken by another server? Set LORA_PG_PORT, or ConnectionStrings__Postgres."; exit 1; }
fi

for db in "$@"; do
  exists=$("$psql_bin" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc "select 1 from pg_database where datname = '$db'")
  if [ "$exists" != "1" ]; then
    log "creating database $db"
    "$psql_bin" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "create database \"$db\"" >&2
  fi
done

echo "Host=127.0.0.1;Port=$port;Username=postgres;Keepalive=30;Tcp Keepalive=true"
