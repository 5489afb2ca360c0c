# shellcheck shell=bash
# Shared helpers for the end-to-end tests (test/e2e/*.sh), sourced by each of them
# (and by ci/demo.sh for the comparison helpers). Bash only.
#
# A test file defines one function per test case and runs each through
#     run_test NAME FUNCTION [ARGS...]
# which runs FUNCTION ARGS in a subshell with `set -Eeu -o pipefail`, its output in
# $E2E_TMP/NAME/log, the working directory $E2E_TMP/NAME (also in $CASE_DIR).
# The case passes when the function returns 0. One line per case goes to
# $E2E_RESULTS ("PASS<TAB>file/name" or "FAIL<TAB>file/name"); test/run-tests.sh
# counts those lines. A file ends with `finish`, which exits 1 if a case failed.
#
# Assertions (expect_exit, assert_*, compare_dbs) print why they failed and
# return 1, which ends the case through set -e. Do not call them in an if/&&/||
# context unless you mean to handle the failure yourself (set -e is off there).
#
# Environment, set by test/run-tests.sh:
#   E2E_BIN      directory holding gpbackup and gprestore (absolute)
#   E2E_TMP      scratch directory for this test file
#   E2E_RESULTS  results file (one line per case)
#   E2E_CASE     optional: run only cases whose name contains this string
#   E2E_CMD_TIMEOUT  seconds any single command may take (default 120)
#   PGHOST, PGPORT, PGUSER: the throwaway cluster (from ci/pg-start.sh DIR/env)

E2E_FILE=$(basename "${0%.sh}")
E2E_CMD_TIMEOUT=${E2E_CMD_TIMEOUT:-120}
E2E_FAILED=0

# Absolute paths of the binaries under test.
_e2e_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_REPO=${E2E_REPO:-$(cd "$_e2e_lib_dir/../.." && pwd)}
E2E_BIN=${E2E_BIN:-$E2E_REPO/bin}
GPBACKUP_BIN=${GPBACKUP_BIN:-$E2E_BIN/gpbackup}
GPRESTORE_BIN=${GPRESTORE_BIN:-$E2E_BIN/gprestore}

# ---------------------------------------------------------------------------
# Running commands
# ---------------------------------------------------------------------------

# gpbackup/gprestore as the tests call them: with a watchdog, so nothing hangs.
gpbackup() { timeout -k 5 "$E2E_CMD_TIMEOUT" "$GPBACKUP_BIN" "$@"; }
gprestore() { timeout -k 5 "$E2E_CMD_TIMEOUT" "$GPRESTORE_BIN" "$@"; }

# q DB SQL: runs SQL in DB, prints the result unaligned, tuples only, |-separated.
q() {
    local db=$1
    shift
    timeout -k 5 "$E2E_CMD_TIMEOUT" psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" -c "$*"
}

# q_file DB: runs the SQL script on stdin in DB (one session, stops at the first error).
q_file() {
    timeout -k 5 "$E2E_CMD_TIMEOUT" psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -f -
}

# create_db NAME [TEMPLATE]: creates database NAME (dropping a leftover of that name).
create_db() {
    local name=$1 template=${2:-}
    timeout -k 5 "$E2E_CMD_TIMEOUT" psql -X -q -v ON_ERROR_STOP=1 -d postgres \
        -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS \"$name\""
    if [ -n "$template" ]; then
        q postgres "CREATE DATABASE \"$name\" TEMPLATE \"$template\""
    else
        q postgres "CREATE DATABASE \"$name\""
    fi
}

db_exists() {
    [ "$(q postgres "SELECT count(*) FROM pg_database WHERE datname = '$1'")" = 1 ]
}

# new_backup_dir [NAME]: a fresh, absolute, empty --backup-dir for this case.
new_backup_dir() {
    local d
    d="${CASE_DIR:?new_backup_dir needs CASE_DIR}/${1:-backups}"
    rm -rf "$d"
    mkdir -p "$d"
    echo "$d"
}

# backup_ts LOGFILE: the timestamp of the backup whose log (stderr) is in LOGFILE.
backup_ts() {
    local ts
    ts=$(sed -n 's/.*Backup Timestamp = \([0-9]\{14\}\).*/\1/p' "$1" | tail -n 1)
    if [ -z "$ts" ]; then
        echo "backup_ts: no 'Backup Timestamp = YYYYMMDDHHMMSS' line in $1" >&2
        return 1
    fi
    echo "$ts"
}

# backup_set_dir BACKUP_DIR TS: where the files of backup TS live.
backup_set_dir() {
    echo "$1/backups/${2:0:8}/$2"
}

# do_backup LOGNAME gpbackup-args...: runs gpbackup expecting exit 0 with its
# stderr in $CASE_DIR/LOGNAME.log (also copied to the case log), prints the timestamp.
do_backup() {
    local log="$CASE_DIR/$1.log" rc=0
    shift
    echo "+ gpbackup $*" >&2
    gpbackup "$@" >"$log" 2>&1 || rc=$?
    cat "$log" >&2
    if [ "$rc" -ne 0 ]; then
        echo "gpbackup exited $rc, expected 0" >&2
        return 1
    fi
    backup_ts "$log"
}

# do_restore LOGNAME gprestore-args...: runs gprestore expecting exit 0.
do_restore() {
    local log="$CASE_DIR/$1.log" rc=0
    shift
    echo "+ gprestore $*" >&2
    gprestore "$@" >"$log" 2>&1 || rc=$?
    cat "$log" >&2
    if [ "$rc" -ne 0 ]; then
        echo "gprestore exited $rc, expected 0" >&2
        return 1
    fi
}

# ---------------------------------------------------------------------------
# Assertions
# ---------------------------------------------------------------------------

fail() {
    echo "FAIL: $*" >&2
    return 1
}

# expect_exit CODE cmd...: runs cmd, which must exit with CODE. Its stdout and
# stderr are kept in $CASE_DIR/last.out and last.err (and echoed to the log).
expect_exit() {
    local want=$1 rc=0 dir=${CASE_DIR:-${TMPDIR:-/tmp}}
    shift
    echo "+ $* (expect exit $want)" >&2
    "$@" >"$dir/last.out" 2>"$dir/last.err" </dev/null || rc=$?
    sed 's/^/  stdout: /' "$dir/last.out" >&2
    sed 's/^/  stderr: /' "$dir/last.err" >&2
    if [ "$rc" -ne "$want" ]; then
        echo "FAIL: expected exit $want, got $rc: $*" >&2
        return 1
    fi
}

# assert_eq EXPECTED ACTUAL [WHAT]
assert_eq() {
    if [ "$1" != "$2" ]; then
        echo "FAIL: ${3:-value}: expected '$1', got '$2'" >&2
        return 1
    fi
}

# assert_grep FILE ERE [WHAT]: FILE has a line matching ERE (case-insensitive).
assert_grep() {
    if ! grep -Eqi -- "$2" "$1"; then
        echo "FAIL: ${3:-$1}: no line matching /$2/ in $1" >&2
        return 1
    fi
}

# assert_no_grep FILE ERE [WHAT]
assert_no_grep() {
    if grep -Eqi -- "$2" "$1"; then
        echo "FAIL: ${3:-$1}: unexpected line matching /$2/:" >&2
        grep -Ei -- "$2" "$1" | head -n 5 >&2
        return 1
    fi
}

# ---------------------------------------------------------------------------
# Comparing databases
# ---------------------------------------------------------------------------

# table_checksums DB: one line per user table, sorted by name:
#   schema.table <TAB> row count <TAB> md5 of its rows as text, sorted
# Names are quoted as in SQL (format('%I.%I')).
table_checksums() {
    timeout -k 5 "$E2E_CMD_TIMEOUT" psql -X -q -At -F $'\t' -v ON_ERROR_STOP=1 -d "$1" -f - <<'SQL'
SET work_mem = '256MB';
SELECT format($f$SELECT %L, count(*), md5(coalesce(string_agg(t::text, E'\n' ORDER BY t::text), '')) FROM %I.%I t$f$,
              format('%I.%I', n.nspname, c.relname), n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r'
   AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
 ORDER BY format('%I.%I', n.nspname, c.relname) COLLATE "C"
\gexec
SQL
}

# schema_dump DB: pg_dump --schema-only, minus the lines that differ on every run
# (pg_dump 15.18+ brackets the script in \restrict KEY / \unrestrict KEY).
schema_dump() {
    timeout -k 5 "$E2E_CMD_TIMEOUT" pg_dump --schema-only -d "$1" | sed -e '/^\\restrict /d' -e '/^\\unrestrict /d'
}

# compare_dbs SRC DST: table contents and schema dumps must be identical.
# Prints a diff and returns 1 when they are not.
compare_dbs() {
    local src=$1 dst=$2 dir=${CASE_DIR:-${TMPDIR:-/tmp}} ok=0 n pid rc_src=0 rc_dst=0
    # Both sides at once: the sorts dominate and there are two cores.
    table_checksums "$src" >"$dir/$src.sums" &
    pid=$!
    table_checksums "$dst" >"$dir/$dst.sums" || rc_dst=$?
    wait "$pid" || rc_src=$?
    [ $rc_src -eq 0 ] || { echo "compare_dbs: checksums of $src failed" >&2; return 1; }
    [ $rc_dst -eq 0 ] || { echo "compare_dbs: checksums of $dst failed" >&2; return 1; }
    if ! diff -u "$dir/$src.sums" "$dir/$dst.sums" >"$dir/sums.diff"; then
        echo "FAIL: table contents differ between $src and $dst (table, rows, md5):" >&2
        head -n 60 "$dir/sums.diff" >&2
        ok=1
    fi
    schema_dump "$src" >"$dir/$src.schema.sql" || { echo "compare_dbs: pg_dump of $src failed" >&2; return 1; }
    schema_dump "$dst" >"$dir/$dst.schema.sql" || { echo "compare_dbs: pg_dump of $dst failed" >&2; return 1; }
    if ! diff -u "$dir/$src.schema.sql" "$dir/$dst.schema.sql" >"$dir/schema.diff"; then
        echo "FAIL: schema dumps differ between $src and $dst:" >&2
        head -n 80 "$dir/schema.diff" >&2
        ok=1
    fi
    if [ $ok -eq 0 ]; then
        n=$(wc -l <"$dir/$src.sums")
        echo "compare_dbs: $src and $dst identical ($n tables, schema dump $(wc -l <"$dir/$src.schema.sql") lines)" >&2
    fi
    return $ok
}

# ---------------------------------------------------------------------------
# Running cases
# ---------------------------------------------------------------------------

_e2e_on_err() {
    local rc=$? src=${BASH_SOURCE[1]:-?} line=${BASH_LINENO[0]:-?}
    echo "error: ${src##*/}:$line: '$BASH_COMMAND' exited $rc" >&2
}

# Kills what the case left running in the background (gpbackup, psql, pgbench).
_e2e_case_cleanup() {
    local pids
    pids=$(jobs -p)
    if [ -n "$pids" ]; then
        # shellcheck disable=SC2086
        kill $pids 2>/dev/null || true
        sleep 0.2
        # shellcheck disable=SC2086
        kill -KILL $pids 2>/dev/null || true
    fi
}

# run_test NAME FUNCTION [ARGS...]: runs one case and records its result.
run_test() {
    local name=$1 fn=$2 log rc start end secs errexit
    shift 2
    if [ -n "${E2E_CASE:-}" ] && [[ $name != *"$E2E_CASE"* ]]; then
        return 0
    fi
    CASE_DIR="${E2E_TMP:?run_test needs E2E_TMP (run through test/run-tests.sh)}/$name"
    rm -rf "$CASE_DIR"
    mkdir -p "$CASE_DIR"
    log="$CASE_DIR/log"
    start=$(date +%s%N)
    # Not "( ... ) || rc=$?": bash turns set -e off inside a subshell whose status
    # is tested, and every assertion relies on set -e.
    case $- in *e*) errexit=1 ;; *) errexit=0 ;; esac
    set +e
    (
        set -Eeu -o pipefail
        shopt -s inherit_errexit
        trap _e2e_on_err ERR
        trap _e2e_case_cleanup EXIT
        cd "$CASE_DIR" || exit 1
        "$fn" "$@"
    ) >"$log" 2>&1 </dev/null
    rc=$?
    [ "$errexit" -eq 0 ] || set -e
    end=$(date +%s%N)
    secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
    if [ $rc -eq 0 ]; then
        printf 'ok   %s/%s (%ss)\n' "$E2E_FILE" "$name" "$secs"
        printf 'PASS\t%s/%s\n' "$E2E_FILE" "$name" >>"${E2E_RESULTS:-/dev/null}"
    else
        E2E_FAILED=$((E2E_FAILED + 1))
        printf 'FAIL %s/%s (exit %s, %ss; log %s)\n' "$E2E_FILE" "$name" "$rc" "$secs" "$log"
        tail -n "${E2E_LOG_TAIL:-40}" "$log" | sed 's/^/    | /'
        printf 'FAIL\t%s/%s\n' "$E2E_FILE" "$name" >>"${E2E_RESULTS:-/dev/null}"
    fi
}

# finish: the last line of a test file.
finish() {
    [ "$E2E_FAILED" -eq 0 ]
}

# Checks done once per file, before any case runs.
e2e_require_cluster() {
    if [ -z "${PGPORT:-}" ] || ! pg_isready -q; then
        echo "$E2E_FILE: no PostgreSQL server at ${PGHOST:-?}:${PGPORT:-?}; run through test/run-tests.sh" >&2
        exit 2
    fi
}
