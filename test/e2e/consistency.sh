#!/bin/bash
# Snapshot consistency across tables and workers: money moves between 40 tables
# while a --jobs 4 backup runs; every transfer is one transaction touching two
# tables, so the restored total is the invariant only if all workers read the
# same snapshot.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_cluster

NTABLES=40
NROWS=1000
BALANCE=1000
TOTAL=$((NTABLES * NROWS * BALANCE))

make_bank() {
    create_db "$1"
    q_file "$1" >/dev/null <<SQL
DO \$\$
BEGIN
    FOR i IN 0..$((NTABLES - 1)) LOOP
        EXECUTE format('CREATE TABLE %I (id integer PRIMARY KEY, balance bigint NOT NULL)', 'acct_' || i);
        EXECUTE format('INSERT INTO %I SELECT g, $BALANCE FROM generate_series(1, $NROWS) g', 'acct_' || i);
    END LOOP;
END
\$\$;
CREATE SEQUENCE transfer_count;
-- Moves amt from account (ta, ia) to account (tb, ib) in one transaction. Rows are
-- updated in a fixed order, so concurrent transfers cannot deadlock.
CREATE FUNCTION transfer(ta integer, ia integer, tb integer, ib integer, amt integer) RETURNS void
LANGUAGE plpgsql AS \$f\$
BEGIN
    IF (ta, ia) = (tb, ib) THEN
        RETURN;
    END IF;
    IF (ta, ia) < (tb, ib) THEN
        EXECUTE format('UPDATE %I SET balance = balance - \$1 WHERE id = \$2', 'acct_' || ta) USING amt, ia;
        EXECUTE format('UPDATE %I SET balance = balance + \$1 WHERE id = \$2', 'acct_' || tb) USING amt, ib;
    ELSE
        EXECUTE format('UPDATE %I SET balance = balance + \$1 WHERE id = \$2', 'acct_' || tb) USING amt, ib;
        EXECUTE format('UPDATE %I SET balance = balance - \$1 WHERE id = \$2', 'acct_' || ta) USING amt, ia;
    END IF;
    PERFORM nextval('transfer_count');
END
\$f\$;
SQL
}

# bank_total DB: "total|accounts|accounts whose balance changed", read by one
# statement, so in one snapshot. Plain SQL: the restored database is only
# required to hold the tables.
bank_total() {
    local i union=""
    for i in $(seq 0 $((NTABLES - 1))); do
        union="$union${union:+ UNION ALL }SELECT balance FROM public.acct_$i"
    done
    q "$1" "SELECT sum(balance), count(*), count(*) FILTER (WHERE balance <> $BALANCE) FROM ($union) t"
}

test_transfers_during_backup() {
    local dir ts pgb_pid rc before after total accounts moved
    make_bank cons_src
    assert_eq "$TOTAL|$((NTABLES * NROWS))|0" "$(bank_total cons_src)" "the bank before the transfers"
    cat >transfer.pgbench <<EOF
\\set ta random(0, $((NTABLES - 1)))
\\set tb random(0, $((NTABLES - 1)))
\\set ia random(1, $NROWS)
\\set ib random(1, $NROWS)
\\set amt random(1, 100)
SELECT transfer(:ta, :ia, :tb, :ib, :amt);
EOF
    timeout -k 5 60 pgbench -n -c 4 -j 2 -T "${CONSISTENCY_SECONDS:-8}" -f transfer.pgbench cons_src >pgbench.out 2>&1 &
    pgb_pid=$!

    # Wait until the transfers are flowing.
    for _ in $(seq 1 100); do
        [ "$(q cons_src "SELECT last_value > 200 AND is_called FROM transfer_count")" = t ] && break
        kill -0 "$pgb_pid" 2>/dev/null || { cat pgbench.out >&2; fail "pgbench ended early"; }
        sleep 0.1
    done
    before=$(q cons_src "SELECT last_value FROM transfer_count")

    dir=$(new_backup_dir backups)
    ts=$(do_backup backup --dbname cons_src --backup-dir "$dir" --jobs 4)

    after=$(q cons_src "SELECT last_value FROM transfer_count")
    echo "transfers: $before before the backup, $after after it" >&2
    [ "$after" -gt "$before" ] || fail "no transfer ran during the backup ($before before, $after after)"
    kill -0 "$pgb_pid" 2>/dev/null ||
        echo "warning: pgbench finished before the backup did; raise CONSISTENCY_SECONDS" >&2

    rc=0
    wait "$pgb_pid" || rc=$?
    cat pgbench.out >&2
    [ "$rc" -eq 0 ] || fail "pgbench exited $rc"
    grep -Eq 'number of transactions actually processed: [1-9]' pgbench.out || fail "pgbench processed no transactions"
    # The source still holds the invariant (the transfers themselves are sound).
    assert_eq "$TOTAL|$((NTABLES * NROWS))" "$(bank_total cons_src | cut -d'|' -f1,2)" "the source bank after the transfers"

    do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db cons_dst --create-db --jobs 4
    IFS='|' read -r total accounts moved <<<"$(bank_total cons_dst)"
    echo "restored: total $total over $accounts accounts, $moved of them touched by transfers" >&2
    assert_eq "$((NTABLES * NROWS))" "$accounts" "accounts in the restored bank"
    assert_eq "$TOTAL" "$total" "sum of all balances in the restored bank (the invariant)"
    [ "$moved" -gt 0 ] || fail "the restored bank shows no transfers: the snapshot predates them, the test proves nothing"
}

run_test transfers_during_backup test_transfers_during_backup
finish
