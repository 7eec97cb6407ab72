#!/usr/bin/env bash
# A throw-away PostgreSQL 15 cluster for tests and local runs, in a folder of its own.
#
#   scripts/postgres.sh start DIR     initialise DIR/data if needed, start the server on a free
#                                     loopback port (the same port again when DIR was used before),
#                                     print postgres://postgres:PASSWORD@127.0.0.1:PORT/postgres and write it to DIR/url
#   scripts/postgres.sh stop DIR      stop it (fast shutdown: open sessions are ended)
#   scripts/postgres.sh restart DIR   stop, then start on the same port (an outage for tests)
#
# The server asks for a password over TCP (scram-sha-256; a random one, kept in DIR/password
# and put in the URL) and trusts its Unix socket; it listens on 127.0.0.1 and DIR/socket only;
# fsync is off. Never point it at data you want to keep.
# Debian's postgresql-15 is installed when missing. Run as root, the server runs as the system
# user dailypapers-pg (created when missing), which then owns DIR.
# Only the URL goes to stdout; everything else goes to stderr.
set -euo pipefail

PG_BIN=/usr/lib/postgresql/15/bin
PG_USER=dailypapers-pg

die() { echo "postgres.sh: $*" >&2; exit 1; }
say() { echo "postgres.sh: $*" >&2; }

usage() {
    echo "usage: scripts/postgres.sh start|stop|restart DIR" >&2
    exit 2
}

[ $# -eq 2 ] || usage
command=$1
dir=$2
case "$command" in start|stop|restart) ;; *) usage ;; esac
[ -n "$dir" ] || usage

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else die "need root (or sudo) to run: $*"
    fi
}

install_postgres() {
    [ -x "$PG_BIN/initdb" ] && return 0
    say "installing Debian's postgresql-15 (apt-get)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 \
        || die "apt-get update failed"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 >&2 \
        || die "apt-get install postgresql-15 failed"
    [ -x "$PG_BIN/initdb" ] || die "postgresql-15 is installed but $PG_BIN/initdb is missing"
}

# Runs a command as the user that owns the cluster: dailypapers-pg when we are root (the
# server refuses to run as root), ourselves otherwise.
if [ "$(id -u)" -eq 0 ]; then
    as_pg() { runuser -u "$PG_USER" -- "$@"; }
else
    as_pg() { "$@"; }
fi

ensure_user() {
    [ "$(id -u)" -eq 0 ] || return 0
    if ! id -u "$PG_USER" >/dev/null 2>&1; then
        say "creating the system user $PG_USER"
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_USER" \
            || die "cannot create the system user $PG_USER"
    fi
}

free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
    else
        die "python3 is needed to pick a free port"
    fi
}

is_running() {
    [ -f "$dir/data/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

start() {
    install_postgres
    ensure_user
    mkdir -p "$dir" || die "cannot create $dir"
    dir=$(cd "$dir" && pwd)
    mkdir -p "$dir/socket"
    if [ "$(id -u)" -eq 0 ]; then
        chown "$PG_USER" "$dir" "$dir/socket"
        [ -d "$dir/data" ] && chown -R "$PG_USER" "$dir/data"
        chmod 755 "$dir"
        as_pg test -x "$dir" -a -w "$dir" \
            || die "$PG_USER cannot enter or write $dir: a folder above it is closed to other users (chmod o+x that folder, or pass a folder whose parents are open, such as a fresh mktemp -d)"
    fi
    local socket_path="$dir/socket/.s.PGSQL.65535"
    [ ${#socket_path} -le 107 ] || die "$dir is too long a path for a Unix socket (at most about 80 characters)"

    if [ ! -f "$dir/data/PG_VERSION" ]; then
        say "initialising a cluster in $dir/data"
        python3 -c 'import secrets; print(secrets.token_hex(16))' >"$dir/password"
        chmod 600 "$dir/password"
        if [ "$(id -u)" -eq 0 ]; then chown "$PG_USER" "$dir/password"; fi
        as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
            --pwfile="$dir/password" --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; die "initdb failed (see above)"; }
    fi

    if is_running; then
        [ -f "$dir/url" ] || die "a server is running in $dir/data but $dir/url is missing; stop it first"
        say "already running"
        cat "$dir/url"
        return 0
    fi

    local port
    if [ -f "$dir/port" ]; then
        port=$(cat "$dir/port")
    else
        port=$(free_port)
        echo "$port" >"$dir/port"
    fi
    [[ "$port" =~ ^[0-9]+$ ]] || die "$dir/port does not hold a port number"

    say "starting on 127.0.0.1:$port (log: $dir/server.log)"
    if [ "$(id -u)" -eq 0 ]; then touch "$dir/server.log" && chown "$PG_USER" "$dir/server.log"; fi
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/socket -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >&2 \
        || { tail -n 20 "$dir/server.log" >&2 || true; die "the server did not start (log above; is port $port taken? remove $dir/port to pick another)"; }
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -t 30 \
        || die "the server started but does not answer on 127.0.0.1:$port"

    local url="postgres://postgres:$(cat "$dir/password")@127.0.0.1:$port/postgres"
    (umask 077; echo "$url" >"$dir/url")
    echo "$url"
}

stop() {
    [ -d "$dir/data" ] || die "$dir/data does not exist: nothing to stop"
    if is_running; then
        say "stopping the server in $dir/data"
        as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >&2 || die "pg_ctl stop failed"
    else
        say "not running"
    fi
}

case "$command" in
    start) start ;;
    stop) [ -x "$PG_BIN/pg_ctl" ] || die "PostgreSQL 15 is not installed: nothing to stop"; stop ;;
    restart) stop; start ;;
esac
