#!/bin/bash
# --no-lock and the checks around locking: DDL committed during a --no-lock
# backup (TRUNCATE, a rewriting ALTER TABLE, ADD COLUMN, DROP TABLE) is
# reported by name, exit 1, never copied silently; the lock capacity
# pre-flight with a lowered max_locks_per_transaction; a lock wait timeout
# names the blocking session; the connection pre-flight.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_cluster

# wait_for DB SQL: polls (20 ms) until SQL returns a non-zero count.
wait_for() {
    local i
    for i in $(seq 1 1500); do
        [ "$(q "$1" "$2")" != 0 ] && return 0
        sleep 0.02
    done
    fail "timed out waiting for: $2"
}

test_ddl_races() {
    local dir log rc=0 ts
    create_db nl_src
    q_file nl_src <<'SQL'
CREATE TABLE public.big AS SELECT g AS id, md5(g::text) AS t FROM generate_series(1, 2000000) g;
CREATE TABLE public.t_trunc AS SELECT g AS id FROM generate_series(1, 10) g;
CREATE TABLE public.t_rewrite AS SELECT g AS id FROM generate_series(1, 10) g;
CREATE TABLE public.t_add AS SELECT g AS id FROM generate_series(1, 10) g;
CREATE TABLE public.t_drop AS SELECT g AS id FROM generate_series(1, 10) g;
CREATE TABLE public.t_same AS SELECT g AS id FROM generate_series(1, 10) g;
SQL
    dir=$(new_backup_dir)
    log="$CASE_DIR/backup.log"
    # One worker: it copies the big table first (largest first) while the DDL
    # commits; the small tables are copied after it.
    gpbackup --dbname nl_src --backup-dir "$dir" --jobs 1 --no-lock >"$log" 2>&1 &
    local pid=$!
    wait_for nl_src "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'gpbackup%' AND query LIKE 'COPY%big%'"
    q nl_src "TRUNCATE public.t_trunc"
    q nl_src "ALTER TABLE public.t_rewrite ALTER COLUMN id TYPE bigint"
    q nl_src "ALTER TABLE public.t_add ADD COLUMN x integer"
    q nl_src "DROP TABLE public.t_drop"
    wait "$pid" || rc=$?
    cat "$log"
    assert_eq 1 "$rc" "gpbackup exit code with DDL during a --no-lock backup"
    assert_grep "$log" 'WARNING: table "public"."t_trunc" changed during the backup: truncated'
    assert_grep "$log" 'WARNING: table "public"."t_rewrite" changed during the backup: truncated or rewritten'
    assert_grep "$log" 'WARNING: table "public"."t_add" changed during the backup: columns added'
    assert_grep "$log" 'WARNING: table "public"."t_drop" was not backed up: dropped'
    assert_no_grep "$log" 't_same.*changed'
    ts=$(backup_ts "$log")
    local report
    report="$(backup_set_dir "$dir" "$ts")/gpbackup_${ts}_report"
    assert_grep "$report" 'tables changed during the backup'
    for t in t_trunc t_rewrite t_add t_drop; do
        assert_grep "$report" "public\\.$t: "
    done
    # The set still restores; the unchanged tables are as of the snapshot.
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db nl_dst --create-db
    assert_eq 10 "$(q nl_dst 'SELECT count(*) FROM public.t_same')" "rows of the unchanged table"
    assert_eq 2000000 "$(q nl_dst 'SELECT count(*) FROM public.big')" "rows of big"
}

test_nolock_roundtrip() {
    local dir ts
    create_db nl_rt_src
    q_file nl_rt_src <<'SQL'
CREATE TABLE public.a (id int PRIMARY KEY, v text);
CREATE TABLE public.b (id int REFERENCES public.a (id), w numeric);
INSERT INTO public.a SELECT g, 'v' || g FROM generate_series(1, 20000) g;
INSERT INTO public.b SELECT g, g / 3.0 FROM generate_series(1, 20000) g;
SQL
    dir=$(new_backup_dir)
    ts=$(do_backup backup --dbname nl_rt_src --backup-dir "$dir" --jobs 2 --no-lock)
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db nl_rt_dst --create-db --jobs 2
    compare_dbs nl_rt_src nl_rt_dst
}

test_lock_timeout_names_blocker() {
    local dir holder
    create_db nl_lt_src
    q nl_lt_src "CREATE TABLE public.held (id int)"
    dir=$(new_backup_dir)
    # A session that holds ACCESS EXCLUSIVE on the table for a while.
    PGAPPNAME=the_blocker psql -X -q -d nl_lt_src \
        -c "BEGIN" -c "LOCK TABLE public.held IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(30)" &
    holder=$!
    wait_for nl_lt_src "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'the_blocker' AND l.mode = 'AccessExclusiveLock' AND l.granted"
    local start end
    start=$(date +%s)
    expect_exit 2 "$GPBACKUP_BIN" --dbname nl_lt_src --backup-dir "$dir" --lock-wait-timeout 2
    end=$(date +%s)
    kill "$holder" 2>/dev/null || true
    [ $((end - start)) -lt 20 ] || fail "the lock wait was not bounded: $((end - start))s"
    assert_grep "$CASE_DIR/last.err" 'could not lock the tables to back up within 2 seconds'
    assert_grep "$CASE_DIR/last.err" 'application "the_blocker"'
    assert_grep "$CASE_DIR/last.err" 'holds an ACCESS EXCLUSIVE lock on'
    assert_grep "$CASE_DIR/last.err" 'pg_sleep'
}

test_connection_preflight() {
    local dir
    create_db nl_conn_src
    q nl_conn_src "CREATE TABLE public.t (id int)"
    dir=$(new_backup_dir)
    expect_exit 2 "$GPBACKUP_BIN" --dbname nl_conn_src --backup-dir "$dir" --jobs 300
    assert_grep "$CASE_DIR/last.err" 'not enough free connections on the server: 300 needed'
    assert_grep "$CASE_DIR/last.err" 'HINT:.*lower --jobs'
}

# A cluster of its own with the smallest lock table the server accepts.
test_lock_capacity_preflight() {
    local cdir dir start end
    cdir=$(mktemp -d "${TMPDIR:-/tmp}/gpb-locks.XXXXXX")
    PG_EXTRA_CONF="max_locks_per_transaction = 10" "$E2E_REPO/ci/pg-start.sh" "$cdir" >/dev/null
    (
        # shellcheck disable=SC1091
        . "$cdir/env"
        createdb locks
        q locks "DO \$\$ BEGIN FOR i IN 1..2000 LOOP EXECUTE format('CREATE TABLE public.t%s (id int)', i); END LOOP; END \$\$"
        dir=$(new_backup_dir)
        start=$(date +%s)
        expect_exit 2 "$GPBACKUP_BIN" --dbname locks --backup-dir "$dir"
        end=$(date +%s)
        [ $((end - start)) -lt 30 ] || fail "the pre-flight took $((end - start))s"
        assert_grep "$CASE_DIR/last.err" 'too many tables to lock: 2000 tables'
        assert_grep "$CASE_DIR/last.err" 'max_locks_per_transaction to at least [0-9]+'
        assert_grep "$CASE_DIR/last.err" -- '--no-lock'
        expect_exit 0 "$GPBACKUP_BIN" --dbname locks --backup-dir "$dir" --no-lock --jobs 2
    ) || { "$E2E_REPO/ci/pg-stop.sh" "$cdir" >/dev/null 2>&1; return 1; }
    "$E2E_REPO/ci/pg-stop.sh" "$cdir" >/dev/null 2>&1
}

# 10,000 tables on a server with default settings: the default mode fails its
# pre-flight within seconds naming max_locks_per_transaction (or completes,
# should the server's lock table be large enough), --no-lock completes and
# the set restores.
test_ten_thousand_tables() {
    local dir ts rc=0 start end
    create_db nl_10k_src
    q nl_10k_src "DO \$\$ BEGIN FOR i IN 1..10000 LOOP
        EXECUTE format('CREATE TABLE public.t%s (id int PRIMARY KEY, v text)', i);
        EXECUTE format('INSERT INTO public.t%s VALUES (%s, ''x'')', i, i);
        IF i % 500 = 0 THEN COMMIT; END IF; END LOOP; END \$\$"
    dir=$(new_backup_dir)
    start=$(date +%s)
    "$GPBACKUP_BIN" --dbname nl_10k_src --backup-dir "$dir" --jobs 2 --quiet 2>"$CASE_DIR/default.err" || rc=$?
    end=$(date +%s)
    cat "$CASE_DIR/default.err"
    if [ "$rc" -ne 0 ]; then
        assert_eq 2 "$rc" "exit code of the default mode"
        [ $((end - start)) -lt 30 ] || fail "the default mode took $((end - start))s to fail"
        assert_grep "$CASE_DIR/default.err" 'max_locks_per_transaction'
    fi
    dir=$(new_backup_dir nolock)
    ts=$(do_backup backup --dbname nl_10k_src --backup-dir "$dir" --jobs 2 --no-lock)
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db nl_10k_dst --create-db --jobs 2 --quiet
    assert_eq 10000 "$(q nl_10k_dst "SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace")" "tables restored"
    assert_eq 15001 "$(q nl_10k_dst "SELECT sum(id) FROM (SELECT id FROM public.t1 UNION ALL SELECT id FROM public.t5000 UNION ALL SELECT id FROM public.t10000) s")" "rows of sampled tables"
    assert_eq 10000 "$(q nl_10k_dst "SELECT count(*) FROM pg_constraint WHERE contype = 'p' AND connamespace = 'public'::regnamespace")" "primary keys restored"
}

run_test ddl_races test_ddl_races
run_test nolock_roundtrip test_nolock_roundtrip
run_test lock_timeout_names_blocker test_lock_timeout_names_blocker
run_test connection_preflight test_connection_preflight
run_test lock_capacity_preflight test_lock_capacity_preflight
run_test ten_thousand_tables test_ten_thousand_tables
finish
