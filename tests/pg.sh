#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: initdb into a fresh temp dir,
# a server listening only on a Unix socket in that dir, stopped and deleted
# afterwards. Installs Debian's `postgresql` package if no server binaries are
# found.
#
# Usage:
#   eval "$(tests/pg.sh start)"     # prints `export CUTOVER_PG=…` and
#                                   # `export CUTOVER_PG_DIR=…` on stdout
#   tests/pg.sh stop [DIR]          # DIR defaults to $CUTOVER_PG_DIR
#
# CUTOVER_PG is a libpq connection string (host=DIR port=… user=cutover
# dbname=postgres) that tests/support/postgres.rs reads. Progress and errors
# go to stderr. Optional: CUTOVER_PG_BINDIR (server binaries to use),
# CUTOVER_PG_PORT (the socket's port number, default 54329).
#
# initdb and postgres refuse to run as root: as root, they run as the
# `postgres` system user, which owns the temp dir.
set -euo pipefail

port="${CUTOVER_PG_PORT:-54329}"
marker=".cutover-throwaway-cluster"

say() { printf 'pg.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# Runs a command as the cluster's owner: `postgres` when we are root.
as_owner() {
  if ! is_root; then
    "$@"
  elif command -v runuser >/dev/null 2>&1; then
    runuser -u postgres -- "$@"
  else
    su -s /bin/sh postgres -c "$(printf '%q ' "$@")"
  fi
}

# The directory holding initdb, pg_ctl and postgres, or nothing.
find_bindir() {
  local d
  if [ -n "${CUTOVER_PG_BINDIR:-}" ]; then
    echo "$CUTOVER_PG_BINDIR"
    return
  fi
  # Debian and Ubuntu: /usr/lib/postgresql/<major>/bin, newest first.
  while IFS= read -r d; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
      echo "$d"
      return
    fi
  done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -rV)
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    d="$(dirname "$(readlink -f "$(command -v initdb)")")"
    if [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
      echo "$d"
      return
    fi
  fi
}

install_server() {
  command -v apt-get >/dev/null 2>&1 \
    || die "no PostgreSQL server binaries found and no apt-get to install them; set CUTOVER_PG_BINDIR"
  local sudo=()
  if ! is_root; then
    command -v sudo >/dev/null 2>&1 \
      || die "no PostgreSQL server binaries found; installing them needs root or sudo"
    sudo=(sudo -n)
  fi
  say "installing PostgreSQL (apt-get install postgresql)"
  {
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
      && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
           apt-get install -y -qq --no-install-recommends postgresql
  } >&2 || die "apt-get install postgresql failed"
}

ensure_owner_user() {
  is_root || return 0
  getent passwd postgres >/dev/null && return 0
  say "creating the system user postgres"
  useradd --system --user-group --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin postgres >&2 \
    || die "could not create the system user postgres"
}

# A fresh temp dir the cluster's owner can write, short enough for the
# socket path (at most 107 bytes on Linux).
make_dir() {
  local base dir
  for base in "${TMPDIR:-/tmp}" /tmp; do
    dir="$(mktemp -d "$base/cutover-pg.XXXXXX" 2>/dev/null)" || continue
    touch "$dir/$marker"
    if is_root; then
      chown -R postgres: "$dir"
    fi
    # Plain characters only: the path goes into postgresql.conf and into a
    # libpq connection string unquoted.
    if [ "${#dir}" -le 80 ] && [[ "$dir" =~ ^[A-Za-z0-9/._-]+$ ]] \
        && as_owner test -w "$dir"; then
      echo "$dir"
      return
    fi
    rm -rf "$dir"
  done
  die "could not create a temp dir for the cluster"
}

start() {
  local bindir dir log
  bindir="$(find_bindir)"
  if [ -z "$bindir" ]; then
    install_server
    bindir="$(find_bindir)"
    [ -n "$bindir" ] || die "PostgreSQL was installed but its server binaries were not found"
  fi
  ensure_owner_user
  dir="$(make_dir)"
  log="$dir/server.log"
  echo "$bindir" >"$dir/bindir"

  # On any failure from here: show the log, stop what started, delete the dir.
  fail() {
    say "$1"
    local f
    for f in "${@:2}"; do
      if [ -s "$f" ]; then
        say "---- $f"
        cat "$f" >&2
      fi
    done
    as_owner "$bindir/pg_ctl" stop -D "$dir/data" -m immediate >/dev/null 2>&1 || true
    rm -rf "$dir"
    exit 1
  }

  trap 'fail "interrupted"' INT TERM

  say "initdb with $bindir into $dir"
  (cd "$dir" && as_owner "$bindir/initdb" -D "$dir/data" -E UTF8 --locale=C \
      --auth=trust -U cutover --no-sync >"$dir/initdb.log" 2>&1) \
    || fail "initdb failed" "$dir/initdb.log"
  cat >>"$dir/data/postgresql.conf" <<EOF

# tests/pg.sh: a throwaway cluster, reachable only through its socket
listen_addresses = ''
unix_socket_directories = '$dir'
unix_socket_permissions = 0700
port = $port
max_connections = 256
fsync = off
synchronous_commit = off
full_page_writes = off
timezone = 'UTC'
EOF

  (cd "$dir" && as_owner "$bindir/pg_ctl" start -D "$dir/data" -l "$log" -w -t 60 \
      >/dev/null 2>&1) \
    || fail "the server did not start" "$log"

  local isready="$bindir/pg_isready" i
  [ -x "$isready" ] || isready="$(command -v pg_isready || true)"
  if [ -n "$isready" ]; then
    for i in $(seq 1 60); do
      if "$isready" -q -h "$dir" -p "$port" -U cutover -d postgres -t 1; then
        break
      fi
      [ "$i" -lt 60 ] || fail "pg_isready: the server is not accepting connections" "$log"
      sleep 1
    done
  fi

  say "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') ready on $dir/.s.PGSQL.$port"
  printf "export CUTOVER_PG='host=%s port=%s user=cutover dbname=postgres'\n" "$dir" "$port"
  printf "export CUTOVER_PG_DIR='%s'\n" "$dir"
}

stop() {
  local dir="${1:-${CUTOVER_PG_DIR:-}}" bindir
  [ -n "$dir" ] || die "stop: no cluster dir given and CUTOVER_PG_DIR is not set"
  [ -d "$dir" ] || { say "stop: $dir is already gone"; return 0; }
  [ -f "$dir/$marker" ] || die "stop: $dir is not a cluster made by tests/pg.sh; not touching it"
  bindir="$(cat "$dir/bindir" 2>/dev/null || find_bindir)"
  if [ -n "$bindir" ] && [ -f "$dir/data/postmaster.pid" ]; then
    (cd "$dir" && as_owner "$bindir/pg_ctl" stop -D "$dir/data" -m fast -w -t 60 >/dev/null 2>&1) \
      || (cd "$dir" && as_owner "$bindir/pg_ctl" stop -D "$dir/data" -m immediate >/dev/null 2>&1) \
      || say "stop: pg_ctl stop failed"
  fi
  rm -rf "$dir"
  say "stopped and removed $dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop [DIR]" >&2; exit 2 ;;
esac
