#!/bin/bash
# Faults: what gpbackup and gprestore do when things go wrong. SIGINT and
# SIGTERM mid-copy (exit 2 within 10 s, config Failure, no temporary file,
# no marker, no session or lock left, the set refused); SIGINT to gprestore
# mid-load; kill -9 (the set is incomplete and refused); a worker or the
# leader session terminated by the server; a server with 1 s timeouts; a full
# disk; two backups started at once; damaged data files (never partly
# loaded); file modes under umask 000.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_cluster

# A high zstd level makes gpbackup copy the 3M-row table for seconds (level
# 12) or tens of seconds (level 15), CPU-bound in the client, so a signal or
# a termination always lands mid-copy, whatever the speed of the machine.
# (After a cancel, the data already in the socket is still compressed: the
# higher the level, the longer the way out.)
SLOW_COPY=(--compression-level 12)
SLOWER_COPY=(--compression-level 15)

# The source database of the fault cases, made once: public.big (3M rows)
# and two small tables.
ensure_fault_src() {
    db_exists f_src && return 0
    create_db f_src_build
    q_file f_src_build <<'SQL'
CREATE TABLE public.big (id integer, t text);
INSERT INTO public.big SELECT g, md5(g::text) FROM generate_series(1, 3000000) g;
CREATE TABLE public.small1 (id integer PRIMARY KEY, v text);
INSERT INTO public.small1 SELECT g, 'v' || g FROM generate_series(1, 1000) g;
CREATE TABLE public.small2 (id integer);
INSERT INTO public.small2 SELECT g FROM generate_series(1, 100) g;
ANALYZE;
SQL
    q postgres "ALTER DATABASE f_src_build RENAME TO f_src"
}

# proc_alive PID: the process exists and is not a zombie.
proc_alive() {
    local st
    st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# start_bg LOG CMD...: CMD in the background, stdout and stderr in LOG; its
# pid in BG_PID. (Not in $(...): BG_PID must reach the caller.)
start_bg() {
    local log=$1
    shift
    echo "+ $* &" >&2
    "$@" >"$log" 2>&1 </dev/null &
    BG_PID=$!
}

# wait_exit PID MAX_SECONDS: waits for PID to end; WAIT_RC is its exit code and
# WAIT_MS the time it took. Fails (after kill -9) when it does not end in time.
wait_exit() {
    local pid=$1 max=$2 start
    start=$(date +%s%N)
    while proc_alive "$pid"; do
        if [ $(($(date +%s%N) - start)) -gt $((max * 1000000000)) ]; then
            kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
            fail "process $pid did not exit within ${max}s"
        fi
        sleep 0.05
    done
    WAIT_RC=0
    wait "$pid" || WAIT_RC=$?
    WAIT_MS=$((($(date +%s%N) - start) / 1000000))
    echo "process $pid exited $WAIT_RC after ${WAIT_MS}ms" >&2
}

# wait_ts LOG PID: the backup timestamp, once gpbackup has logged it.
wait_ts() {
    local ts
    for _ in $(seq 1 200); do
        ts=$(sed -n 's/.*Backup Timestamp = \([0-9]\{14\}\).*/\1/p' "$1" | head -n 1)
        if [ -n "$ts" ]; then
            echo "$ts"
            return 0
        fi
        proc_alive "$2" || { cat "$1" >&2; fail "gpbackup ended before logging its timestamp"; }
        sleep 0.05
    done
    cat "$1" >&2
    fail "no 'Backup Timestamp' in $1 after 10s"
}

# wait_copy APPNAME TABLE PID LOG: until a session of APPNAME runs a COPY of
# TABLE (in either direction); fails if PID ends first.
wait_copy() {
    for _ in $(seq 1 600); do
        if [ "$(q postgres "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$1'
                AND state = 'active' AND query ILIKE 'COPY %$2%'")" != 0 ]; then
            return 0
        fi
        proc_alive "$3" || { cat "$4" >&2; fail "$1 ended before copying $2"; }
        sleep 0.05
    done
    cat "$4" >&2
    fail "no COPY of $2 by $1 after 30s"
}

# no_sessions_left APPNAME: within 5 s, no session of that name and no lock
# held by one.
no_sessions_left() {
    local n
    for _ in $(seq 1 100); do
        n=$(q postgres "SELECT (SELECT count(*) FROM pg_stat_activity WHERE application_name = '$1')
                     + (SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                         WHERE a.application_name = '$1')")
        [ "$n" = 0 ] && return 0
        sleep 0.05
    done
    q postgres "SELECT pid, state, left(query, 80) FROM pg_stat_activity WHERE application_name = '$1'" >&2
    fail "sessions or locks of $1 left on the server after it exited"
}

config_status() {
    sed -n 's/^status: *//p' "$(backup_set_dir "$1" "$2")/gpbackup_$2_config.yaml"
}

# check_refused DIR TS STATUS: gprestore refuses the set (exit 2, "backup TS
# is STATUS") before creating anything.
check_refused() {
    local db="refused_$RANDOM"
    expect_exit 2 gprestore --timestamp "$2" --backup-dir "$1" --redirect-db "$db" --create-db
    assert_grep "$CASE_DIR/last.err" "backup $2 is $3"
    assert_grep "$CASE_DIR/last.err" '^DETAIL: '
    ! db_exists "$db" || fail "gprestore of a $3 set created database $db"
}

# check_failed_set DIR TS: what a backup that failed leaves: status Failure,
# no temporary file, no completion marker, and gprestore refuses it.
check_failed_set() {
    local set tmps
    set=$(backup_set_dir "$1" "$2")
    assert_eq Failure "$(config_status "$1" "$2")" "status in the config"
    tmps=$(find "$set" -name '*.tmp')
    [ -z "$tmps" ] || fail "temporary files left in the set: $tmps"
    [ ! -e "$set/gpbackup_$2_complete" ] || fail "a failed set has the completion marker"
    check_refused "$1" "$2" failed
}

# --- signals -----------------------------------------------------------------

test_signal_backup() {
    local sig=$1 dir log ts
    ensure_fault_src
    dir=$(new_backup_dir)
    log="$CASE_DIR/backup.log"
    start_bg "$log" "$GPBACKUP_BIN" --dbname f_src --backup-dir "$dir" --jobs 2 "${SLOW_COPY[@]}"
    ts=$(wait_ts "$log" "$BG_PID")
    wait_copy "gpbackup_$ts" big "$BG_PID" "$log"
    sleep 0.3
    echo "+ kill -$sig gpbackup" >&2
    kill -s "$sig" "$BG_PID"
    wait_exit "$BG_PID" 10
    cat "$log"
    assert_eq 2 "$WAIT_RC" "gpbackup exit code after SIG$sig"
    assert_grep "$log" 'WARNING: received signal [0-9]+'
    assert_grep "$log" 'ERROR: '
    assert_grep "$log" "INFO: backup $ts failed"
    no_sessions_left "gpbackup_$ts"
    check_failed_set "$dir" "$ts"
}

test_sigint_restore() {
    local dir ts log
    ensure_fault_src
    dir=$(new_backup_dir)
    ts=$(do_backup backup --dbname f_src --backup-dir "$dir" --jobs 2)
    # A target whose big table has a costly CHECK: the load takes seconds.
    create_db f_sigrest_dst
    q f_sigrest_dst "CREATE TABLE public.big (id integer, t text CHECK (length(repeat(t, 60)) > 0));
                     CREATE TABLE public.small1 (id integer PRIMARY KEY, v text);
                     CREATE TABLE public.small2 (id integer)"
    log="$CASE_DIR/restore.log"
    start_bg "$log" "$GPRESTORE_BIN" --timestamp "$ts" --backup-dir "$dir" --redirect-db f_sigrest_dst \
        --data-only --jobs 2
    wait_copy "gprestore_$ts" big "$BG_PID" "$log"
    sleep 0.3
    echo "+ kill -INT gprestore" >&2
    kill -INT "$BG_PID"
    wait_exit "$BG_PID" 10
    cat "$log"
    assert_eq 2 "$WAIT_RC" "gprestore exit code after SIGINT"
    assert_grep "$log" 'WARNING: received signal [0-9]+'
    assert_grep "$log" 'INFO: restore failed'
    no_sessions_left "gprestore_$ts"
    assert_eq 0 "$(q f_sigrest_dst 'SELECT count(*) FROM public.big')" "rows of the interrupted table"
    assert_grep "$(ls "$(backup_set_dir "$dir" "$ts")"/gprestore_"${ts}"_*_report)" 'restore status: *Failure'
}

test_kill9_backup() {
    local dir log ts
    ensure_fault_src
    dir=$(new_backup_dir)
    log="$CASE_DIR/backup.log"
    start_bg "$log" "$GPBACKUP_BIN" --dbname f_src --backup-dir "$dir" --jobs 2 "${SLOW_COPY[@]}"
    ts=$(wait_ts "$log" "$BG_PID")
    wait_copy "gpbackup_$ts" big "$BG_PID" "$log"
    echo "+ kill -9 gpbackup" >&2
    kill -KILL "$BG_PID"
    wait_exit "$BG_PID" 5
    cat "$log"
    assert_eq 137 "$WAIT_RC" "exit status after kill -9"
    [ ! -e "$(backup_set_dir "$dir" "$ts")/gpbackup_${ts}_complete" ] || fail "killed backup has a marker"
    assert_eq "In Progress" "$(config_status "$dir" "$ts")" "status in the config of the killed backup"
    check_refused "$dir" "$ts" incomplete
    assert_grep "$CASE_DIR/last.err" 'DETAIL: .*(marker|did not finish|killed)'
    # The server ends the orphaned sessions itself once it notices; help it
    # so that they do not linger into the next cases.
    for _ in $(seq 1 100); do
        [ "$(q postgres "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'gpbackup_$ts'")" = 0 ] && break
        sleep 0.1
    done
    q postgres "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'gpbackup_$ts'" >/dev/null
}

# --- sessions terminated by the server -----------------------------------------

test_terminate_worker() {
    local dir log ts
    ensure_fault_src
    dir=$(new_backup_dir)
    log="$CASE_DIR/backup.log"
    start_bg "$log" "$GPBACKUP_BIN" --dbname f_src --backup-dir "$dir" --jobs 2 "${SLOW_COPY[@]}"
    ts=$(wait_ts "$log" "$BG_PID")
    wait_copy "gpbackup_$ts" big "$BG_PID" "$log"
    sleep 0.3
    assert_eq 1 "$(q postgres "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = 'gpbackup_$ts' AND state = 'active' AND query ILIKE 'COPY %big%') t")" \
        "worker sessions terminated"
    wait_exit "$BG_PID" 10
    cat "$log"
    assert_eq 2 "$WAIT_RC" "gpbackup exit code after its worker session was terminated"
    [ "$WAIT_MS" -le 6000 ] || fail "gpbackup took ${WAIT_MS}ms to notice the terminated worker session"
    assert_grep "$log" 'ERROR: .*could not back up table "public"\."big"'
    # The server cannot send its FATAL message to a session blocked writing
    # COPY data: the client sees the connection closed.
    assert_grep "$log" 'ERROR: .*(terminat|server closed the connection)'
    no_sessions_left "gpbackup_$ts"
    check_failed_set "$dir" "$ts"
}

test_terminate_leader() {
    local dir log ts leader
    ensure_fault_src
    dir=$(new_backup_dir)
    log="$CASE_DIR/backup.log"
    start_bg "$log" "$GPBACKUP_BIN" --dbname f_src --backup-dir "$dir" --jobs 2 "${SLOWER_COPY[@]}"
    ts=$(wait_ts "$log" "$BG_PID")
    wait_copy "gpbackup_$ts" big "$BG_PID" "$log"
    sleep 0.5
    # The leader: the first session of the backup, idle in its transaction
    # (it holds the exported snapshot and the locks), not running a COPY.
    for _ in $(seq 1 40); do
        leader=$(q postgres "SELECT pid FROM pg_stat_activity WHERE application_name = 'gpbackup_$ts'
            AND state = 'idle in transaction' AND query NOT ILIKE 'COPY %' ORDER BY backend_start LIMIT 1")
        [ -z "$leader" ] || break
        sleep 0.05
    done
    [ -n "$leader" ] || fail "no leader session found"
    assert_eq t "$(q postgres "SELECT pg_terminate_backend($leader)")" "leader terminated"
    wait_exit "$BG_PID" 15
    cat "$log"
    assert_eq 2 "$WAIT_RC" "gpbackup exit code after its leader session was terminated"
    assert_grep "$log" 'ERROR: .*(leader|connection 0)'
    no_sessions_left "gpbackup_$ts"
    check_failed_set "$dir" "$ts"
}

# --- a server with 1-second timeouts -------------------------------------------

# since LOG ERE1 ERE2: seconds between the first log lines matching ERE1 and ERE2.
since() {
    local a b
    a=$(grep -E -m1 -- "$2" "$1" | awk '{ split($2, t, ":"); print t[1] * 3600 + t[2] * 60 + t[3] }')
    b=$(grep -E -m1 -- "$3" "$1" | awk '{ split($2, t, ":"); print t[1] * 3600 + t[2] * 60 + t[3] }')
    awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f\n", b - a }'
}

# longer_than MIN SECONDS WHAT
longer_than() {
    echo "$3: ${2}s" >&2
    awk -v x="$2" -v m="$1" 'BEGIN { exit !(x != "" && x + 0 >= m) }' ||
        fail "$3 took ${2}s, less than ${1}s: the case no longer outlasts the 1s timeouts"
}

# A cluster of its own whose every timeout is 1 second: a backup whose big
# table takes seconds to copy, while another session holds a lock for longer
# than lock_timeout, and a restore whose load and index take more than a
# second each, still complete.
test_server_timeouts() {
    local cdir
    cdir=$(mktemp -d "${TMPDIR:-/tmp}/gpb-tmo.XXXXXX")
    PG_EXTRA_CONF="statement_timeout = '1s'
idle_in_transaction_session_timeout = '1s'
idle_session_timeout = '1s'
lock_timeout = '1s'" "$E2E_REPO/ci/pg-start.sh" "$cdir" >/dev/null 2>&1 ||
        { rm -rf "$cdir"; fail "could not start the cluster with 1s timeouts"; }
    (
        # shellcheck disable=SC1091
        . "$cdir/env"
        # The test's own sessions opt out of the timeouts; gpbackup and
        # gprestore must not get this from the environment.
        local no_tmo="-c statement_timeout=0 -c idle_in_transaction_session_timeout=0 -c idle_session_timeout=0 -c lock_timeout=0"
        local dir ts holder log rc=0
        assert_eq 1s "$(q postgres 'SHOW statement_timeout')" "statement_timeout of the cluster"
        PGOPTIONS=$no_tmo createdb tmo_src
        PGOPTIONS=$no_tmo q_file tmo_src <<'SQL'
CREATE TABLE public.big (id integer PRIMARY KEY, t text CHECK (length(repeat(t, 40)) > 0));
INSERT INTO public.big SELECT g, md5(g::text) FROM generate_series(1, 1000000) g;
CREATE INDEX big_t_idx ON public.big (t);
CREATE TABLE public.held (id integer);
INSERT INTO public.held VALUES (1), (2);
SQL
        dir=$(new_backup_dir)
        # Holds ACCESS EXCLUSIVE on a table for 2.5 s: gpbackup's LOCK TABLE
        # waits for it, longer than lock_timeout.
        PGOPTIONS=$no_tmo PGAPPNAME=holder psql -X -q -d tmo_src \
            -c "BEGIN" -c "LOCK TABLE public.held IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(2.5)" -c "COMMIT" &
        holder=$!
        for _ in $(seq 1 200); do
            [ "$(PGOPTIONS=$no_tmo q tmo_src "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                WHERE a.application_name = 'holder' AND l.mode = 'AccessExclusiveLock' AND l.granted")" != 0 ] && break
            sleep 0.02
        done
        log="$CASE_DIR/backup.log"
        echo "+ gpbackup --dbname tmo_src --backup-dir $dir --jobs 2 --compression-level 12" >&2
        gpbackup --dbname tmo_src --backup-dir "$dir" --jobs 2 --compression-level 12 >"$log" 2>&1 || rc=$?
        cat "$log"
        wait "$holder" || true
        assert_eq 0 "$rc" "gpbackup exit code on a server with 1s timeouts"
        ts=$(backup_ts "$log")
        do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db tmo_dst --create-db --jobs 2
        PGOPTIONS=$no_tmo compare_dbs tmo_src tmo_dst
        # The case proves something only if each wait outlasted its timeout.
        longer_than 1.5 "$(sed -n 's/.*locked [0-9]* tables in \([0-9.]*\)s.*/\1/p' "$log")" "the lock wait of gpbackup"
        longer_than 1.5 "$(since "$log" 'INFO: backing up' "INFO: backup $ts complete")" "the data phase of gpbackup"
        longer_than 1.2 "$(since "$CASE_DIR/restore.log" 'INFO: restoring data of' 'INFO: restore of backup')" \
            "the data phase of gprestore"
    ) || { "$E2E_REPO/ci/pg-stop.sh" "$cdir" >/dev/null 2>&1; return 1; }
    "$E2E_REPO/ci/pg-stop.sh" "$cdir" >/dev/null 2>&1
}

# --- disk full ---------------------------------------------------------------

test_disk_full() {
    local mnt dir ts set
    if [ "$(id -u)" -ne 0 ]; then
        echo "SKIP: the disk full case mounts a 2 MB tmpfs, which needs root (id -u = $(id -u))"
        [ "$(id -u)" -ne 0 ] # never skipped as root
        return 0
    fi
    ensure_fault_src
    mnt="$CASE_DIR/mnt"
    mkdir -p "$mnt"
    mount -t tmpfs -o size=2m,mode=0700 tmpfs "$mnt" ||
        fail "running as root, but could not mount a 2 MB tmpfs on $mnt (no CAP_SYS_ADMIN in this container?)"
    # shellcheck disable=SC2064
    trap "_e2e_case_cleanup; umount '$mnt' 2>/dev/null || umount -l '$mnt'" EXIT
    dir="$mnt/backups"
    expect_exit 2 gpbackup --dbname f_src --backup-dir "$dir" --no-compression --jobs 2
    assert_grep "$CASE_DIR/last.err" 'No space left on device'
    # The workers copy while the leader writes the metadata: whichever write
    # finds the disk full first is named (a data file or the metadata file).
    assert_grep "$CASE_DIR/last.err" "ERROR: .*\"$dir/backups/[0-9]{8}/[0-9]{14}/gpbackup_(-1_[0-9]{14}_[0-9]+|[0-9]{14}_metadata\\.sql)(\\.tmp)?\""
    ts=$(backup_ts "$CASE_DIR/last.err")
    assert_grep "$CASE_DIR/last.err" "INFO: backup $ts failed"
    set=$(backup_set_dir "$dir" "$ts")
    # The failed copy's temporary file is removed, so the final config fits.
    if [ -e "$set/gpbackup_${ts}_config.yaml" ]; then
        assert_eq Failure "$(config_status "$dir" "$ts")" "status in the config"
    else
        echo "note: the config could not be written on the full file system"
    fi
    [ ! -e "$set/gpbackup_${ts}_complete" ] || fail "a failed set has the completion marker"
    [ -z "$(find "$set" -name '*.tmp')" ] || fail "temporary files left: $(find "$set" -name '*.tmp')"
    check_refused "$dir" "$ts" failed
    umount "$mnt"
    trap _e2e_case_cleanup EXIT
}

# --- two backups at once -------------------------------------------------------

test_concurrent_backups() {
    local dir p1 p2 rc1=0 rc2=0 ts1 ts2 ts
    create_db f_cc_src
    q f_cc_src "CREATE TABLE public.t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 20000) g"
    dir=$(new_backup_dir)
    gpbackup --dbname f_cc_src --backup-dir "$dir" --jobs 2 >"$CASE_DIR/b1.log" 2>&1 &
    p1=$!
    gpbackup --dbname f_cc_src --backup-dir "$dir" --jobs 2 >"$CASE_DIR/b2.log" 2>&1 &
    p2=$!
    wait "$p1" || rc1=$?
    wait "$p2" || rc2=$?
    cat "$CASE_DIR/b1.log" "$CASE_DIR/b2.log"
    assert_eq 0 "$rc1" "exit code of the first backup"
    assert_eq 0 "$rc2" "exit code of the second backup"
    ts1=$(backup_ts "$CASE_DIR/b1.log")
    ts2=$(backup_ts "$CASE_DIR/b2.log")
    [ "$ts1" != "$ts2" ] || fail "both backups got timestamp $ts1"
    for ts in "$ts1" "$ts2"; do
        assert_eq Success "$(config_status "$dir" "$ts")" "status of backup $ts"
        [ -f "$(backup_set_dir "$dir" "$ts")/gpbackup_${ts}_complete" ] || fail "backup $ts has no marker"
        assert_grep "$(backup_set_dir "$dir" "$ts")/gpbackup_${ts}_manifest.yaml" "gpbackup_${ts}_toc.yaml"
    done
    do_restore restore2 --timestamp "$ts2" --backup-dir "$dir" --redirect-db f_cc_dst --create-db
    compare_dbs f_cc_src f_cc_dst
}

# --- damaged data files --------------------------------------------------------

# corrupt_case NAME COMPRESSION-ARGS MUTATION [--on-error-continue]
# MUTATION: flip (one byte in the middle), digit (one digit in the middle of
# a plain CSV file changed to another digit: still valid CSV), truncate.
test_corrupt_data() {
    local mutation=$1 continue=${2:-} dir ts set file oid db size
    create_db "f_cd_src_$mutation"
    q "f_cd_src_$mutation" "CREATE TABLE public.victim (id integer, v text);
        INSERT INTO public.victim SELECT g, md5(g::text) FROM generate_series(1, 200000) g;
        CREATE TABLE public.other (id integer PRIMARY KEY, w text);
        INSERT INTO public.other SELECT g, 'w' || g FROM generate_series(1, 1000) g"
    oid=$(q "f_cd_src_$mutation" "SELECT 'public.victim'::regclass::oid")
    dir=$(new_backup_dir)
    if [ "$mutation" = digit ]; then
        ts=$(do_backup backup --dbname "f_cd_src_$mutation" --backup-dir "$dir" --no-compression)
    else
        ts=$(do_backup backup --dbname "f_cd_src_$mutation" --backup-dir "$dir")
    fi
    set=$(backup_set_dir "$dir" "$ts")
    file=$(cd "$set" && ls "gpbackup_-1_${ts}_${oid}"*)
    size=$(stat -c %s "$set/$file")
    case $mutation in
    flip)
        python3 - "$set/$file" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0xFF
open(p, "wb").write(b)
PY
        ;;
    digit)
        python3 - "$set/$file" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = len(b) // 2
while not chr(b[i]).isdigit():
    i += 1
b[i] = ord("0") + (b[i] - ord("0") + 1) % 10
open(p, "wb").write(b)
PY
        ;;
    truncate) truncate -s $((size / 2)) "$set/$file" ;;
    esac
    db="f_cd_dst_${mutation}${continue:+_cont}"
    if [ -z "$continue" ]; then
        expect_exit 2 gprestore --timestamp "$ts" --backup-dir "$dir" --redirect-db "$db" --create-db --jobs 2
        assert_grep "$CASE_DIR/last.err" "ERROR: .*$file"
        assert_grep "$CASE_DIR/last.err" 'INFO: restore failed'
    else
        expect_exit 1 gprestore --timestamp "$ts" --backup-dir "$dir" --redirect-db "$db" --create-db --jobs 2 \
            --on-error-continue
        assert_grep "$CASE_DIR/last.err" "WARNING: .*$file"
        assert_grep "$CASE_DIR/last.err" 'WARNING: restore finished with errors in 1 object'
        local errfile report
        errfile=$(ls "$set"/gprestore_"${ts}"_*_error_tables_data)
        assert_eq public.victim "$(cat "$errfile")" "content of $errfile"
        report=$(ls "$set"/gprestore_"${ts}"_*_report)
        assert_grep "$report" 'data errors: *public\.victim'
        assert_eq 1000 "$(q "$db" 'SELECT count(*) FROM public.other')" "rows of the undamaged table"
    fi
    # No partial data: the damaged table was rolled back as a whole.
    assert_eq 0 "$(q "$db" 'SELECT count(*) FROM public.victim')" "rows of the table with the damaged file"
}

# --- file modes ----------------------------------------------------------------

test_file_modes() {
    local base dir ts set bad home rc=0
    create_db f_fm_src
    q f_fm_src "CREATE TABLE public.t (id integer PRIMARY KEY, v text);
                INSERT INTO public.t SELECT g, 'v' || g FROM generate_series(1, 1000) g"
    base="$CASE_DIR/new"
    dir="$base/parent/backups"
    home="$CASE_DIR/home"
    mkdir -p "$home"
    ts=$(umask 000 && HOME=$home do_backup backup --dbname f_fm_src --backup-dir "$dir" --jobs 2)
    (umask 000 && HOME=$home do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db f_fm_dst --create-db)
    # A second restore into the same database fails on every object and row:
    # it writes the error files too.
    (umask 000 && HOME=$home gprestore --timestamp "$ts" --backup-dir "$dir" --redirect-db f_fm_dst \
        --on-error-continue >"$CASE_DIR/restore2.log" 2>&1) || rc=$?
    cat "$CASE_DIR/restore2.log"
    assert_eq 1 "$rc" "exit code of the second restore"
    set=$(backup_set_dir "$dir" "$ts")
    for f in config.yaml toc.yaml metadata.sql report manifest.yaml complete; do
        [ -f "$set/gpbackup_${ts}_$f" ] || fail "missing gpbackup_${ts}_$f"
    done
    ls "$set"/gpbackup_-1_"${ts}"_*.zst >/dev/null
    ls "$set"/gprestore_"${ts}"_*_report "$set"/gprestore_"${ts}"_*_error_tables_metadata \
        "$set"/gprestore_"${ts}"_*_error_tables_data >/dev/null
    ls -laR "$base" "$home"
    bad=$(find "$base" "$home/gpAdminLogs" -type f ! -perm 0600)
    [ -z "$bad" ] || fail "files not 0600 under umask 000: $bad"
    bad=$(find "$base" "$home/gpAdminLogs" -type d ! -perm 0700)
    [ -z "$bad" ] || fail "directories not 0700 under umask 000: $bad"
}

run_test sigint_backup test_signal_backup INT
run_test sigterm_backup test_signal_backup TERM
run_test sigint_restore test_sigint_restore
run_test kill9_backup test_kill9_backup
run_test terminate_worker test_terminate_worker
run_test terminate_leader test_terminate_leader
run_test server_timeouts test_server_timeouts
run_test disk_full test_disk_full
run_test concurrent_backups test_concurrent_backups
run_test corrupt_zstd_flip test_corrupt_data flip
run_test corrupt_zstd_truncate test_corrupt_data truncate
run_test corrupt_csv_digit test_corrupt_data digit
run_test corrupt_zstd_flip_continue test_corrupt_data flip continue
run_test corrupt_csv_digit_continue test_corrupt_data digit continue
run_test file_modes test_file_modes
finish
