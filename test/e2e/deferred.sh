#!/bin/bash
# The deferred queue (DESIGN.md §1, steps 4-5): a TRUNCATE (or ALTER TABLE)
# queued behind the leader's ACCESS SHARE lock makes the worker's NOWAIT lock
# fail; the table must go to the leader, the backup must succeed with the
# pre-TRUNCATE rows, and nothing may deadlock.
#
# Timeline, with --jobs 1 (one worker, tables largest first):
#   gpbackup leader locks big and small -> the worker copies big (a few seconds)
#   -> meanwhile TRUNCATE small queues behind the leader's lock
#   -> the worker's LOCK small NOWAIT fails -> small is deferred to the leader
#   -> the leader copies small, commits; only then does the TRUNCATE run.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_cluster

BIG_ROWS=${DEFERRED_BIG_ROWS:-3000000}

make_source() {
    create_db "$1"
    q_file "$1" <<SQL
CREATE TABLE public.big (id integer, grp integer, payload text, ts timestamptz);
INSERT INTO public.big
  SELECT g, g % 100, lpad(g::text, 48, 'x'), timestamptz '2020-01-01 00:00+00' + g * interval '1 second'
    FROM generate_series(1, $BIG_ROWS) g;
CREATE TABLE public.small (id integer PRIMARY KEY, label text NOT NULL);
INSERT INTO public.small VALUES (1, 'one'), (2, 'two'), (3, 'three'), (4, E'four\twith tab'), (5, 'five');
DO \$\$
BEGIN
    -- small tables that share a worker transaction (a batch) with small
    FOR i IN 1..${EXTRA_SMALL:-0} LOOP
        EXECUTE format('CREATE TABLE public.s_%s AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, %s) g', i, i);
    END LOOP;
END
\$\$;
ANALYZE;
SQL
}

# The SQL run by a background psql: wait until a gpbackup session holds ACCESS
# SHARE on both big and small (that is the leader: with --jobs 1 the worker is
# still busy with big), then run DDL, which queues behind the leader's lock.
# Polling inside the server avoids the start-up latency of one psql per poll.
ddl_after_leader_lock_sql() {
    cat <<SQL
\set ON_ERROR_STOP 1
SET lock_timeout = 0;
SET statement_timeout = 0;
DO \$\$
DECLARE
    tries integer := 0;
BEGIN
    LOOP
        PERFORM pg_stat_clear_snapshot();  -- pg_stat_activity is cached per transaction
        EXIT WHEN EXISTS (
            SELECT 1
              FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
             WHERE a.application_name LIKE 'gpbackup%'
               AND l.locktype = 'relation' AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND l.relation = 'public.small'::regclass AND l.mode = 'AccessShareLock' AND l.granted
               AND EXISTS (SELECT 1 FROM pg_locks l2
                            WHERE l2.pid = l.pid AND l2.locktype = 'relation' AND l2.database = l.database
                              AND l2.relation = 'public.big'::regclass AND l2.granted));
        tries := tries + 1;
        IF tries > 9000 THEN
            RAISE EXCEPTION 'no gpbackup session locked public.small and public.big within 90 s';
        END IF;
        PERFORM pg_sleep(0.01);
    END LOOP;
END
\$\$;
SELECT 'leader lock seen at ' || clock_timestamp();
$1;
SELECT 'ddl done at ' || clock_timestamp();
SQL
}

# wait_for_waiting_ddl DB: until an ACCESS EXCLUSIVE request on small is queued.
wait_for_waiting_ddl() {
    local i n
    for i in $(seq 1 600); do
        n=$(q "$1" "SELECT count(*) FROM pg_locks
                     WHERE locktype = 'relation' AND relation = 'public.small'::regclass
                       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                       AND mode = 'AccessExclusiveLock' AND NOT granted")
        if [ "$n" -ge 1 ]; then
            echo "DDL on small is waiting (after $i polls)" >&2
            return 0
        fi
        if [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; then
            echo "the DDL session ended before it was seen waiting:" >&2
            cat ddl.out >&2
            return 1
        fi
        sleep 0.1
    done
    echo "the DDL never queued behind the leader's lock" >&2
    return 1
}

# deferred_case NAME DDL: the whole scenario; leaves the restored database in NAME_dst.
deferred_case() {
    local name=$1 ddl=$2 src dst dir ddl_pid backup_pid rc ts
    src="${name}_src"
    dst="${name}_dst"
    make_source "$src"
    q "$src" "SELECT md5(string_agg(t::text, E'\n' ORDER BY t::text)) FROM public.small t" >small.before
    dir=$(new_backup_dir backups)

    ddl_after_leader_lock_sql "$ddl" >ddl.sql
    timeout -k 5 120 psql -X -q -At -d "$src" -f ddl.sql >ddl.out 2>&1 &
    ddl_pid=$!

    echo "+ gpbackup --dbname $src --backup-dir $dir --jobs 1 --verbose (background)" >&2
    gpbackup --dbname "$src" --backup-dir "$dir" --jobs 1 --verbose >backup.log 2>&1 &
    backup_pid=$!

    wait_for_waiting_ddl "$src" "$ddl_pid" || {
        cat backup.log >&2
        return 1
    }

    rc=0
    wait "$backup_pid" || rc=$?
    cat backup.log >&2
    [ "$rc" -eq 0 ] || fail "gpbackup exited $rc, expected 0 (124 = hung, killed by the watchdog)"

    # The DDL was released by the leader's commit and must now finish.
    rc=0
    wait "$ddl_pid" || rc=$?
    cat ddl.out >&2
    [ "$rc" -eq 0 ] || fail "the concurrent '$ddl' failed (exit $rc)"
    grep -q '^ddl done at' ddl.out || fail "the concurrent '$ddl' did not complete"

    # The log says that small went to the leader.
    grep -i 'defer' backup.log | grep -q 'small' ||
        fail "the gpbackup log does not say that public.small was deferred"

    ts=$(backup_ts backup.log)
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db "$dst" --create-db --jobs 2
    assert_eq "$(cat small.before)" \
        "$(q "$dst" "SELECT md5(string_agg(t::text, E'\n' ORDER BY t::text)) FROM public.small t")" \
        "checksum of the restored small (must hold the rows from before the concurrent DDL)"
    assert_eq 5 "$(q "$dst" 'SELECT count(*) FROM public.small')" "rows in the restored small"
    assert_eq "$BIG_ROWS" "$(q "$dst" 'SELECT count(*) FROM public.big')" "rows in the restored big"
}

test_truncate_deferred() {
    deferred_case def_trunc "TRUNCATE public.small"
    # The TRUNCATE ran after the backup released its lock: the source is now empty.
    assert_eq 0 "$(q def_trunc_src 'SELECT count(*) FROM public.small')" "rows in the source small after the TRUNCATE"
}

test_alter_deferred() {
    deferred_case def_alter "ALTER TABLE public.small ADD COLUMN extra integer NOT NULL DEFAULT 42"
    # The source has the new column; the backup was taken before it existed.
    assert_eq "id,label,extra" "$(q def_alter_src "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute
                                                    WHERE attrelid = 'public.small'::regclass AND attnum > 0 AND NOT attisdropped")" \
        "columns of the source small after the ALTER"
    assert_eq "id,label" "$(q def_alter_dst "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute
                                               WHERE attrelid = 'public.small'::regclass AND attnum > 0 AND NOT attisdropped")" \
        "columns of the restored small"
}

# Small tables are copied in batches that share one transaction: the busy
# table must still go to the leader alone, and its batch-mates be copied by
# the worker, with their rows.
test_batch_fallback() {
    EXTRA_SMALL=40 deferred_case def_batch "TRUNCATE public.small"
    grep -q 'one by one' backup.log || fail "the log does not say that the batch fell back to one table at a time"
    local t
    for t in 1 17 40; do
        assert_eq "$t" "$(q def_batch_dst "SELECT count(*) FROM public.s_$t")" "rows of the restored s_$t"
    done
    assert_eq 40 "$(q def_batch_dst "SELECT count(*) FROM pg_class WHERE relname LIKE 's\_%' AND relkind = 'r'")" "restored batch-mates"
    # None of the batch-mates went to the leader.
    if grep -i 'defer' backup.log | grep -q 's_[0-9]'; then
        fail "a table that was not busy was deferred"
    fi
}

run_test truncate_deferred test_truncate_deferred
run_test batch_fallback test_batch_fallback
run_test alter_deferred test_alter_deferred
finish
