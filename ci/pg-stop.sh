#!/bin/sh
# Stops a cluster started by ci/pg-start.sh DIR (pg_ctl -m fast, then harder if
# needed) and removes DIR. Safe to call from a trap: a DIR whose server never
# started is just removed. Refuses to delete a directory pg-start.sh did not set up.
set -eu

prog=pg-stop.sh
die() {
    echo "$prog: error: $*" >&2
    exit 2
}
note() { echo "$prog: $*" >&2; }

[ $# -eq 1 ] || die "usage: ci/pg-stop.sh DIR"
[ -n "$1" ] || die "empty directory argument"
if [ ! -e "$1" ]; then
    note "$1 does not exist, nothing to stop"
    exit 0
fi
[ -d "$1" ] || die "$1 is not a directory"
DIR=$(cd "$1" && pwd -P)
[ "$DIR" != / ] || die "refusing to remove /"

if [ ! -f "$DIR/.pg-start" ]; then
    # An empty directory (pg-start.sh never ran in it) is removed quietly.
    if rmdir "$DIR" 2>/dev/null; then
        exit 0
    fi
    die "$DIR was not set up by ci/pg-start.sh (no .pg-start marker); not touching it"
fi

PG_BINDIR_DEFAULT=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
if [ -f "$DIR/env" ]; then
    PG_BINDIR_DEFAULT=$(sed -n 's/^export PG_BINDIR=//p' "$DIR/env" | tail -n 1)
fi
PG_CTL="${PG_BINDIR_DEFAULT:-/usr/lib/postgresql/15/bin}/pg_ctl"

status=0
if [ -f "$DIR/data/postmaster.pid" ]; then
    owner=$(stat -c %U "$DIR/data")
    as_server() {
        if [ "$(id -u)" -eq 0 ] && [ "$owner" != root ]; then
            (cd "$DIR" && runuser -u "$owner" -- "$@")
        else
            (cd "$DIR" && "$@")
        fi
    }
    if as_server "$PG_CTL" -D "$DIR/data" status >/dev/null 2>&1; then
        if ! as_server "$PG_CTL" -D "$DIR/data" -m fast -w -t 60 stop >/dev/null 2>&1; then
            note "fast shutdown failed, trying immediate"
            if ! as_server "$PG_CTL" -D "$DIR/data" -m immediate -w -t 30 stop >/dev/null 2>&1; then
                pid=$(head -n 1 "$DIR/data/postmaster.pid" 2>/dev/null || true)
                if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
                    note "killing postmaster $pid"
                    kill -KILL "$pid" 2>/dev/null || true
                    sleep 1
                fi
                status=1
            fi
        fi
    fi
fi

rm -rf "$DIR" || die "could not remove $DIR"
[ $status -eq 0 ] || note "the server in $DIR did not shut down cleanly"
exit $status
