#!/bin/bash
# The test suite runner (make check): every unit test binary, then every
# end-to-end test file against one throwaway PostgreSQL cluster.
#
#   test/run-tests.sh BUILD BIN
#
# BUILD/test/*_test are cmocka binaries; their cases are counted from cmocka's
# summary lines ("[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)"), and a
# binary that crashes, times out or prints no summary counts as (at least) one
# failure. test/e2e/*.sh record one line per case in a results file (see
# test/e2e/lib.sh); a file that dies without recording a failure counts as one.
# The last line of output is always "N passed, N failed"; the exit status is 1
# if anything failed.
#
# Environment:
#   UNIT_ONLY=1 / E2E_ONLY=1   run only the unit tests / only the e2e tests
#   E2E_FILTER=word            run only e2e files whose name contains word
#   E2E_CASE=word              run only e2e cases whose name contains word
#   UNIT_TIMEOUT, E2E_FILE_TIMEOUT   watchdogs in seconds (300, 600)
#   KEEP_TMP=1                 keep the scratch directory (logs, backups)
#   PG_EXTRA_CONF              extra postgresql.conf lines for the test cluster
#   E2E_DIR=test/mpp E2E_EXTERNAL=1   run the files of E2E_DIR against the server
#                              PGHOST/PGPORT/PGUSER name instead of a throwaway
#                              cluster (make check-mpp; see docs/mpp.md)
set -u

if [ $# -ne 2 ]; then
    echo "usage: test/run-tests.sh BUILD_DIR BIN_DIR" >&2
    exit 2
fi

REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO" || exit 2
abspath() { case $1 in /*) echo "$1" ;; *) echo "$REPO/$1" ;; esac; }
BUILD=$(abspath "$1")
BIN=$(abspath "$2")

passed=0
failed=0
WORK=""
PGDIR=""

cleanup() {
    if [ -n "$PGDIR" ]; then
        "$REPO/ci/pg-stop.sh" "$PGDIR" >>"${WORK:-/tmp}/pg-stop.log" 2>&1 ||
            echo "warning: could not stop the test cluster in $PGDIR" >&2
        PGDIR=""
    fi
    if [ -n "$WORK" ] && [ -d "$WORK" ]; then
        if [ "${KEEP_TMP:-0}" = 1 ]; then
            echo "scratch directory kept: $WORK" >&2
        else
            rm -rf "$WORK"
        fi
        WORK=""
    fi
}
# On INT/TERM, stop the running test file (it runs in the background so that
# the signal is handled at once, not when the file ends), then clean up.
CHILD=""
on_signal() {
    echo "interrupted" >&2
    if [ -n "$CHILD" ]; then
        kill -TERM "$CHILD" 2>/dev/null
        wait "$CHILD" 2>/dev/null
    fi
    exit 130
}
trap cleanup EXIT
trap on_signal INT TERM

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gpb-test.XXXXXX") || { echo "mktemp failed" >&2; exit 2; }
# Logs that the binaries write under $HOME (gpAdminLogs) go to the scratch area.
export HOME="$WORK/home"
mkdir -p "$HOME"

show_tail() { # FILE: the end of a log, indented
    tail -n "${LOG_TAIL:-40}" "$1" | sed 's/^/    | /'
}

# --- unit tests --------------------------------------------------------------

run_unit() { # BINARY
    local t=$1 name log rc p f why line crashed_in
    name=$(basename "$t")
    log="$WORK/unit/$name.log"
    mkdir -p "$WORK/unit/$name.tmp"
    rc=0
    # (The outer 2>/dev/null silences bash's own "Segmentation fault" notice.)
    {
        CMOCKA_MESSAGE_OUTPUT=stdout TMPDIR="$WORK/unit/$name.tmp" \
            timeout -k 10 "${UNIT_TIMEOUT:-300}" "$t" >"$log" 2>&1 </dev/null
    } 2>/dev/null || rc=$?

    # cmocka prints one summary per group; add them up.
    p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test(s)\..*/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
    f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test(s).*/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
    crashed_in=""
    if ! grep -q '^\[  PASSED  \] [0-9]* test(s)' "$log"; then
        # No summary: the binary died. Count what it finished, plus the crash.
        p=$(grep -c '^\[       OK \]' "$log")
        f=$(($(grep '^\[  FAILED  \]' "$log" | grep -vc 'test(s)') + 1))
        crashed_in=$(awk '/^\[ RUN      \] / { t = substr($0, 14) }
                          /^\[(       OK |  FAILED  )\] / { t = "" }
                          END { print t }' "$log")
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1 # crashed, timed out or failed outside any test
    fi

    # One line per case, then the binary's verdict.
    while IFS= read -r line; do
        case $line in
        "[       OK ] "*) printf 'ok   unit/%s/%s\n' "$name" "${line#\[       OK \] }" ;;
        "[  FAILED  ] "*" test(s)"*) ;;
        "[  FAILED  ] "*) printf 'FAIL unit/%s/%s\n' "$name" "${line#\[  FAILED  \] }" ;;
        esac
    done < <(grep -E '^\[(       OK |  FAILED  )\] ' "$log" | awk '!seen[$0]++')
    [ -z "$crashed_in" ] || printf 'FAIL unit/%s/%s (did not finish)\n' "$name" "$crashed_in"
    if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then
        case $rc in
        124 | 137) why="timed out after ${UNIT_TIMEOUT:-300}s" ;;
        0) why="exit 0" ;;
        *) if [ "$rc" -gt 128 ]; then why="killed by signal $((rc - 128))"; else why="exit $rc"; fi ;;
        esac
        printf 'FAIL unit/%s: %d passed, %d failed (%s)\n' "$name" "$p" "$f" "$why"
        show_tail "$log"
    else
        printf 'ok   unit/%s: %d passed\n' "$name" "$p"
    fi
    passed=$((passed + p))
    failed=$((failed + f))
}

if [ "${E2E_ONLY:-0}" != 1 ]; then
    echo "== unit tests ($BUILD/test)"
    mkdir -p "$WORK/unit"
    n=0
    for t in "$BUILD"/test/*_test; do
        if [ ! -f "$t" ] || [ ! -x "$t" ]; then continue; fi
        n=$((n + 1))
        run_unit "$t"
    done
    [ $n -gt 0 ] || echo "(no unit test binaries in $BUILD/test)"
fi

# --- end-to-end tests --------------------------------------------------------

record_fail() { # NAME REASON: one failure that no test file recorded
    printf 'FAIL %s: %s\n' "$1" "$2"
    failed=$((failed + 1))
}

run_e2e() {
    local files=() f name rc nfail results
    for f in "$REPO/${E2E_DIR:-test/e2e}"/*.sh; do
        [ -f "$f" ] || continue
        [ "$(basename "$f")" = lib.sh ] && continue
        if [ -n "${E2E_FILTER:-}" ] && [[ $(basename "$f") != *"$E2E_FILTER"* ]]; then
            continue
        fi
        files+=("$f")
    done
    if [ ${#files[@]} -eq 0 ]; then
        echo "(no end-to-end tests selected)"
        return
    fi
    for b in gpbackup gprestore; do
        if [ ! -x "$BIN/$b" ]; then
            record_fail "e2e" "$BIN/$b not found or not executable (run make first)"
            return
        fi
    done

    if [ "${E2E_EXTERNAL:-0}" = 1 ]; then
        # A server of the caller's (an MPP cluster): never started or stopped here.
        if [ -z "${PGPORT:-}" ] || ! pg_isready -q; then
            record_fail "e2e" "E2E_EXTERNAL=1 but no server answers at ${PGHOST:-?}:${PGPORT:-?} (set PGHOST, PGPORT, PGUSER)"
            return
        fi
        echo "== end-to-end tests (${E2E_DIR:-test/e2e}, external server $PGHOST:$PGPORT, binaries in $BIN)"
    else
        PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/gpb-pg.XXXXXX") || { record_fail e2e "mktemp failed"; return; }
        if ! "$REPO/ci/pg-start.sh" "$PGDIR" >"$WORK/pg-start.log" 2>&1; then
            record_fail "e2e" "could not start the test cluster"
            show_tail "$WORK/pg-start.log"
            return
        fi
        # shellcheck disable=SC1091
        . "$PGDIR/env"
        echo "== end-to-end tests (PostgreSQL on $PGHOST:$PGPORT, binaries in $BIN)"
    fi

    results="$WORK/e2e-results"
    : >"$results"
    for f in "${files[@]}"; do
        name=$(basename "$f" .sh)
        mkdir -p "$WORK/e2e/$name"
        echo "-- e2e/$name"
        rc=0
        E2E_BIN="$BIN" E2E_REPO="$REPO" E2E_TMP="$WORK/e2e/$name" E2E_RESULTS="$results" \
            timeout -k 10 "${E2E_FILE_TIMEOUT:-600}" bash "$f" </dev/null &
        CHILD=$!
        wait "$CHILD" || rc=$?
        CHILD=""
        nfail=$(grep -c "^FAIL	$name/" "$results")
        if [ "$rc" -ne 0 ] && [ "$nfail" -eq 0 ]; then
            case $rc in
            124 | 137) record_fail "e2e/$name" "timed out after ${E2E_FILE_TIMEOUT:-600}s" ;;
            *) record_fail "e2e/$name" "the test file failed outside a test case (exit $rc)" ;;
            esac
        elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
            record_fail "e2e/$name" "timed out after ${E2E_FILE_TIMEOUT:-600}s"
        fi
    done
    passed=$((passed + $(grep -c '^PASS	' "$results")))
    failed=$((failed + $(grep -c '^FAIL	' "$results")))
}

if [ "${UNIT_ONLY:-0}" != 1 ]; then
    run_e2e
fi

# Stop the cluster before the summary, so that the summary is the last line.
if [ "$failed" -ne 0 ] && [ "${KEEP_TMP:-0}" != 1 ]; then
    echo "(logs and backups are deleted; rerun with KEEP_TMP=1 to keep them, E2E_FILTER/E2E_CASE to narrow down)"
fi
cleanup
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
