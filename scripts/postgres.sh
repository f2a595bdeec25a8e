#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for packages/db's tests and prints the one line
#   export DATABASE_URL=postgres://forno:forno@127.0.0.1:<port>/forno
# on stdout for the caller to eval: `eval "$(bash scripts/postgres.sh)"`. Everything else goes to stderr.
#
# Works on a fresh Debian machine without systemd: installs Debian's `postgresql` if it is missing, then runs
# its own cluster with initdb + pg_ctl in $FORNO_PG_DIR (default /tmp/forno-pg), as the `postgres` user when
# run as root, listening on 127.0.0.1 only, on $FORNO_PG_PORT (default 55432, or the next free port). The
# distribution's own cluster (pg_lsclusters) is left alone. Idempotent: a second run finds the server up and
# prints the same URL. Stop it with: pg_ctl -D "$FORNO_PG_DIR/data" stop (as the same user).
# The test user may create databases: the tests make a fresh database per test and drop it afterwards.
set -euo pipefail

dir="${FORNO_PG_DIR:-/tmp/forno-pg}"
port="${FORNO_PG_PORT:-55432}"
log() { echo "postgres.sh: $*" >&2; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [[ -z "$(pg_bin)" || ! -x "$(pg_bin)/initdb" ]]; then
  log "installing Debian's postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
bin="$(pg_bin)"

# Run a PostgreSQL tool as the cluster owner: `postgres` when we are root (initdb refuses root), else ourselves.
if [[ $EUID -eq 0 ]]; then
  as_owner() { runuser -u postgres -- "$@"; }
else
  as_owner() { "$@"; }
fi

mkdir -p "$dir"
[[ $EUID -eq 0 ]] && chown postgres:postgres "$dir"
chmod 700 "$dir"

if [[ ! -f "$dir/data/PG_VERSION" ]]; then
  log "initdb in $dir/data"
  as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >&2
fi

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  port="$(cat "$dir/port")"
  log "server already running on port $port"
else
  while port_taken "$port"; do port=$((port + 1)); done
  echo "$port" >"$dir/port"
  log "starting server on 127.0.0.1:$port"
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off" >&2 ||
    { cat "$dir/server.log" >&2; exit 1; }
fi

psql_admin() { as_owner "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
if [[ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'forno'")" != 1 ]]; then
  psql_admin -c "CREATE ROLE forno LOGIN CREATEDB PASSWORD 'forno'" >&2
fi
if [[ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'forno'")" != 1 ]]; then
  psql_admin -c "CREATE DATABASE forno OWNER forno" >&2
fi

echo "export DATABASE_URL=postgres://forno:forno@127.0.0.1:$port/forno"
