#!/usr/bin/env bash
# Install (once), start and stop a private PostgreSQL cluster on 127.0.0.1 for Reach.
#
#   infra/postgres/postgres.sh start         install Debian's postgresql if missing, initdb once,
#                                            start, wait until ready, ensure role and databases
#   infra/postgres/postgres.sh stop          stop the cluster this script started
#   infra/postgres/postgres.sh status        exit 0 when a server answers on the port
#   infra/postgres/postgres.sh url SERVICE   print the DATABASE_URL of one service
#
# The cluster is our own (not Debian's `main` cluster): role reach/reach (LOGIN, CREATEDB) owns
# reach_profile, reach_segmenter, reach_campaign, reach_notifier and reach_analytics.
# The server refuses to run as root, so as root the cluster belongs to the `postgres` OS user;
# as any other user it belongs to that user.
#
# Settings (environment):
#   PG_PORT     (55432)                        TCP port, on 127.0.0.1 only
#   PG_DATA_DIR (.local/postgres-$PG_PORT)     the cluster (PGDATA); also server.log and the socket
#   PG_BIN      (newest /usr/lib/postgresql/*/bin)  where initdb, pg_ctl, psql, pg_isready are
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
port=${PG_PORT:-55432}
data=${PG_DATA_DIR:-$root/.local/postgres-$port}
services=(profile segmenter campaign notifier analytics)
if [ "$(id -u)" = 0 ]; then owner=postgres; else owner=$(id -un); fi

log() { echo "postgres: $*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

# Run a command as the cluster's owner, from / so a private working directory does not matter.
as_owner() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u "$owner" -- "$@"); else (cd / && "$@"); fi
}

find_bin() {
  local version
  bin=${PG_BIN:-}
  # An existing cluster must be run by the major version that created it.
  if [ -z "$bin" ] && [ -f "$data/PG_VERSION" ]; then
    version=$(cat "$data/PG_VERSION")
    if [ -x "/usr/lib/postgresql/$version/bin/pg_ctl" ]; then
      bin=/usr/lib/postgresql/$version/bin; return 0
    fi
  fi
  [ -n "$bin" ] || bin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bin" ] && command -v pg_ctl >/dev/null; then bin=$(dirname "$(command -v pg_ctl)"); fi
  [ -n "$bin" ] && [ -x "$bin/initdb" ] && [ -x "$bin/pg_ctl" ]
}

install() {
  if find_bin; then return 0; fi
  [ "$(id -u)" = 0 ] || { log "PostgreSQL is missing: run as root, or apt-get install postgresql"; exit 1; }
  log "installing Debian's postgresql package"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  find_bin || { log "no initdb/pg_ctl under /usr/lib/postgresql/*/bin after installing"; exit 1; }
}

init_cluster() {
  if [ -f "$data/PG_VERSION" ]; then return 0; fi
  id "$owner" >/dev/null 2>&1 || { log "OS user $owner does not exist"; exit 1; }
  mkdir -p "$data"
  if [ "$(id -u)" = 0 ]; then chown "$owner:" "$data"; fi
  chmod 700 "$data"
  if ! as_owner test -w "$data"; then
    log "$owner cannot reach $data (a parent folder is closed to it);"
    log "set PG_DATA_DIR, for example PG_DATA_DIR=/var/tmp/reach/postgres-$port"
    exit 1
  fi
  log "creating a cluster in $data (owner $owner, PostgreSQL $("$bin/pg_ctl" --version | awk '{print $3}'))"
  # The superuser is the owner, reached only through the socket in $data (peer auth);
  # TCP logins need a password, and only the reach role has one.
  as_owner "$bin/initdb" -D "$data" -U "$owner" -E UTF8 --no-locale \
    --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  echo "include_if_exists = 'reach.conf'" | as_owner tee -a "$data/postgresql.conf" >/dev/null
}

write_config() {
  # Unix sockets have a path limit of 107 bytes; the socket lives in $data so only its owner
  # can use it.
  if [ $((${#data} + 13 + ${#port})) -gt 107 ]; then
    log "PG_DATA_DIR is too long for the socket inside it; choose a shorter path"; exit 1
  fi
  as_owner tee "$data/reach.conf" >/dev/null <<CONF
# Written by infra/postgres/postgres.sh on every start; edits here are overwritten.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$data'
max_connections = 200
shared_buffers = 128MB
# fsync and synchronous_commit stay on: fault tests rely on commits surviving a crash.
timezone = 'UTC'
log_timezone = 'UTC'
CONF
}

ours_running() { as_owner "$bin/pg_ctl" status -D "$data" >/dev/null 2>&1; }

superuser_psql() {
  as_owner "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$data" -p "$port" -U "$owner" -d postgres
}

provision() {
  local db sql
  sql="DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'reach') THEN
    CREATE ROLE reach LOGIN CREATEDB PASSWORD 'reach';
  END IF;
END \$\$;"
  for db in "${services[@]}"; do
    sql+="
SELECT 'CREATE DATABASE reach_$db OWNER reach'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'reach_$db')\\gexec"
  done
  superuser_psql <<<"$sql"
}

wait_ready() {
  for _ in $(seq 1 120); do
    if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then return 0; fi
    sleep 0.5
  done
  log "server did not accept connections in 60 s; last lines of $data/server.log:"
  tail -20 "$data/server.log" >&2 || true
  exit 1
}

start() {
  install
  if ours_running; then
    wait_ready; provision; log "already running from $data on 127.0.0.1:$port; reusing it"; return 0
  fi
  if port_open; then log "another server already answers on 127.0.0.1:$port; reusing it"; return 0; fi
  init_cluster
  write_config
  log "starting on 127.0.0.1:$port (log: $data/server.log)"
  if ! as_owner "$bin/pg_ctl" start -D "$data" -l "$data/server.log" -w -t 60 </dev/null >/dev/null; then
    log "server did not start; last lines of $data/server.log:"; tail -20 "$data/server.log" >&2 || true
    exit 1
  fi
  wait_ready
  provision
  log "ready"
}

stop() {
  if ! find_bin || ! ours_running; then log "no server running from $data"; return 0; fi
  as_owner "$bin/pg_ctl" stop -D "$data" -m fast -w -t 60 >/dev/null
  log "stopped"
}

status() {
  if find_bin && [ -x "$bin/pg_isready" ]; then
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"
  else
    port_open
  fi
}

url() {
  local service=${1:-}
  if [[ " ${services[*]} " != *" $service "* ]]; then
    (IFS='|'; echo "usage: $0 url ${services[*]}" >&2); exit 2
  fi
  echo "postgresql+asyncpg://reach:reach@127.0.0.1:$port/reach_$service"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  url) url "${2:-}" ;;
  *) echo "usage: $0 start|stop|status|url SERVICE" >&2; exit 2 ;;
esac
