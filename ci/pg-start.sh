#!/bin/sh
# Starts a throwaway PostgreSQL cluster in DIR (an empty directory the caller made,
# usually with mktemp -d) for the tests and the demo.
#
#   ci/pg-start.sh DIR          then:  . DIR/env   ...   ci/pg-stop.sh DIR
#
# Layout: DIR/data (the cluster), DIR/log/postgresql.log (server log), the unix
# socket in DIR, DIR/env (client settings to source). The server listens on
# 127.0.0.1 only, on a free port chosen here, trusts every local connection and
# runs with fsync=off: it is for tests, never for data anyone wants to keep.
#
# Run as root, the server runs as the OS user "postgres" (created by the
# postgresql-15 package) or, if that user is missing, a system user "pgtest"
# created here; DIR is handed to that user. Environment:
#   PG_BINDIR      server binaries (default: /usr/lib/postgresql/15/bin, then pg_config)
#   PG_EXTRA_CONF  extra lines appended to postgresql.conf
set -eu

prog=pg-start.sh
die() {
    echo "$prog: error: $*" >&2
    exit 2
}
note() { echo "$prog: $*" >&2; }

[ $# -eq 1 ] || die "usage: ci/pg-start.sh DIR   (DIR: an empty directory, e.g. from mktemp -d)"
[ -n "$1" ] || die "empty directory argument"
[ -d "$1" ] || die "$1: no such directory (create it first, e.g. with mktemp -d)"
DIR=$(cd "$1" && pwd -P)
[ "$DIR" != / ] || die "refusing to use / as the cluster directory"
[ ! -e "$DIR/data" ] || die "$DIR/data already exists: DIR must be a fresh directory"

# The unix socket path must fit in sun_path (107 bytes): DIR/.s.PGSQL.NNNNN
[ ${#DIR} -le 90 ] || die "$DIR: path too long for a unix socket directory (max 90 bytes)"

# --- server binaries --------------------------------------------------------
if [ -z "${PG_BINDIR:-}" ]; then
    if [ -x /usr/lib/postgresql/15/bin/postgres ]; then
        PG_BINDIR=/usr/lib/postgresql/15/bin
    elif command -v pg_config >/dev/null 2>&1; then
        PG_BINDIR=$(pg_config --bindir)
    else
        die "PostgreSQL server binaries not found (install postgresql-15 with ci/install-deps.sh, or set PG_BINDIR)"
    fi
fi
for b in initdb pg_ctl postgres; do
    [ -x "$PG_BINDIR/$b" ] || die "$PG_BINDIR/$b not found or not executable (set PG_BINDIR)"
done

# The marker lets pg-stop.sh know that it may delete this directory.
: >"$DIR/.pg-start"

# --- the OS user that runs the server ---------------------------------------
RUN_USER=""
if [ "$(id -u)" -eq 0 ]; then
    command -v runuser >/dev/null 2>&1 || die "running as root but runuser(1) is missing (util-linux)"
    if id postgres >/dev/null 2>&1; then
        RUN_USER=postgres
    else
        if ! id pgtest >/dev/null 2>&1; then
            note "creating system user pgtest to run the server (PostgreSQL refuses to run as root)"
            useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin pgtest \
                || die "could not create system user pgtest"
        fi
        RUN_USER=pgtest
    fi
    chown -R "$RUN_USER" "$DIR" || die "could not chown $DIR to $RUN_USER"
    chmod 0700 "$DIR"
    # Every parent directory must be searchable by the server user.
    p=$(dirname "$DIR")
    while :; do
        if ! runuser -u "$RUN_USER" -- test -x "$p" 2>/dev/null; then
            note "making $p searchable (chmod o+x) so that user $RUN_USER can reach $DIR"
            chmod o+x "$p" || die "could not make $p searchable for $RUN_USER"
        fi
        [ "$p" = / ] && break
        p=$(dirname "$p")
    done
fi

# Runs a server binary as the server user, from a directory that user can read.
as_server() {
    if [ -n "$RUN_USER" ]; then
        (cd "$DIR" && runuser -u "$RUN_USER" -- "$@")
    else
        (cd "$DIR" && "$@")
    fi
}

# The server and initdb must not pick up the caller's client or cluster settings.
unset PGDATA PGPORT PGHOST PGHOSTADDR PGUSER PGDATABASE PGOPTIONS PGSERVICE PGSERVICEFILE \
    PGPASSWORD PGPASSFILE PGTZ PGCLIENTENCODING 2>/dev/null || true

as_server mkdir -p "$DIR/log"

# --- initdb -----------------------------------------------------------------
if locale -a 2>/dev/null | grep -qix 'c\.utf-\{0,1\}8'; then
    LOCALE=C.UTF-8
else
    LOCALE=C
fi
if ! as_server "$PG_BINDIR/initdb" -D "$DIR/data" --auth=trust -U postgres --encoding=UTF8 \
    --locale="$LOCALE" --no-sync --no-instructions >"$DIR/log/initdb.log" 2>&1; then
    cat "$DIR/log/initdb.log" >&2
    die "initdb failed (log: $DIR/log/initdb.log)"
fi

# Our settings come first, then PG_EXTRA_CONF, then the port (set per attempt below).
conf="$DIR/data/postgresql.conf"
{
    echo ""
    echo "# --- ci/pg-start.sh: throwaway test cluster ---"
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '$DIR'"
    echo "max_connections = 100"
    echo "fsync = off"
    echo "synchronous_commit = off"
    echo "full_page_writes = off"
    echo "log_line_prefix = '%m [%p] %q%a@%d '"
    echo "log_min_messages = warning"
    if [ -n "${PG_EXTRA_CONF:-}" ]; then
        echo "# --- PG_EXTRA_CONF ---"
        printf '%s\n' "$PG_EXTRA_CONF"
    fi
    echo "include_if_exists = 'pg-start-port.conf'"
} >>"$conf"

# --- pick a free port and start ---------------------------------------------
port_in_use() {
    ss -Hltn 2>/dev/null | awk '{print $4}' | grep -q "[:.]$1\$"
}

# Random base from the process id and the clock, so parallel runs spread out.
seed=$(( ($$ * 7919 + $(date +%s) % 100000 * 104729) % 20000 ))
port=$((20000 + seed))
logfile="$DIR/log/postgresql.log"
attempt=0
started=0
while [ $attempt -lt 20 ]; do
    attempt=$((attempt + 1))
    port=$((port + 1 + attempt * 17))
    [ $port -lt 60000 ] || port=$((20000 + port % 40000))
    if command -v ss >/dev/null 2>&1 && port_in_use "$port"; then
        continue
    fi
    echo "port = $port" | as_server tee "$DIR/data/pg-start-port.conf" >/dev/null
    if as_server "$PG_BINDIR/pg_ctl" -D "$DIR/data" -l "$logfile" -w -t 60 start >"$DIR/log/pg_ctl.log" 2>&1; then
        started=1
        break
    fi
    # Someone else took the port between the check and the bind: try another one.
    if grep -q -e 'Address already in use' -e 'could not create any TCP/IP sockets' "$logfile" 2>/dev/null; then
        note "port $port is taken, trying another one"
        as_server "$PG_BINDIR/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
        mv "$logfile" "$logfile.attempt$attempt" 2>/dev/null || true
        continue
    fi
    cat "$DIR/log/pg_ctl.log" >&2
    tail -n 20 "$logfile" >&2 2>/dev/null || true
    die "the server did not start (log: $logfile)"
done
[ $started -eq 1 ] || die "no free port found after $attempt attempts"

# --- client environment -----------------------------------------------------
cat >"$DIR/env" <<EOF
# Client settings for the throwaway cluster in $DIR (written by ci/pg-start.sh).
unset PGHOSTADDR PGDATABASE PGSERVICE PGOPTIONS PGPASSWORD
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres
export PG_BINDIR=$PG_BINDIR
export PATH="$PG_BINDIR:\$PATH"
EOF
[ -z "$RUN_USER" ] || chown "$RUN_USER" "$DIR/env"
chmod 0644 "$DIR/env"

# A last check with a real client connection.
i=0
until "$PG_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres; do
    i=$((i + 1))
    [ $i -lt 50 ] || die "server started but does not accept connections on 127.0.0.1:$port (log: $logfile)"
    sleep 0.1
done
note "PostgreSQL $("$PG_BINDIR/postgres" --version | awk '{print $3}') running on 127.0.0.1:$port, data in $DIR/data${RUN_USER:+ (as user $RUN_USER)}"
