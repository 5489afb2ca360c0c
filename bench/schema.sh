#!/bin/bash
# Metadata speed at scale: the schema of N tables, each with a primary key,
# one more index, a CHECK constraint, a comment and a column default, backed
# up and restored by our tools and by pg_dump/psql, on a throwaway cluster.
#
#   bench/schema.sh                      N=10000, median of 3 (after `make`)
#   N=2000 RUNS=5 RESTORE_JOBS="1 2 4" bench/schema.sh
#
# Measured, each the median of RUNS rounds, the commands alternating within
# each round so that they share the machine's state:
#   gpbackup --metadata-only (default mode: every table locked)
#     vs pg_dump --schema-only -f FILE                    (same database)
#   gprestore of that backup into a new database (--create-db), per --jobs
#     vs createdb + psql -f FILE of pg_dump's output
# Every restored database is checked (tables, indexes, constraints, comments
# and defaults counted) before its time is believed.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/bin}
N=${N:-10000}
RUNS=${RUNS:-3}
RESTORE_JOBS=${RESTORE_JOBS:-1 2}

for b in gpbackup gprestore; do
    [ -x "$BIN/$b" ] || { echo "bench: $BIN/$b missing (run make first)" >&2; exit 2; }
done
tmp=$(mktemp -d /tmp/gpb-schema.XXXXXX)
trap 'ci/pg-stop.sh "$tmp/pg" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
mkdir "$tmp/pg"
# The default mode locks every table in one transaction: the lock table
# (max_locks_per_transaction x max_connections slots) must hold N of them.
locks=$((N / 25 + 256))
PG_EXTRA_CONF="max_locks_per_transaction = $locks
shared_buffers = 256MB
max_wal_size = 4GB
checkpoint_timeout = 30min" ci/pg-start.sh "$tmp/pg" >"$tmp/pg-start.log" 2>&1 ||
    { cat "$tmp/pg-start.log" >&2; exit 2; }
# shellcheck disable=SC1091
. "$tmp/pg/env"
export HOME=$tmp

now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
drop() { psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1"; }

echo "== bench/schema.sh: N=$N RUNS=$RUNS RESTORE_JOBS=\"$RESTORE_JOBS\""
echo "   $(nproc) cores, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" \
    "(other processes may be running: figures are wall-clock times)"
echo "   server $(q postgres 'SHOW server_version'), $(pg_dump --version), max_locks_per_transaction = $locks"

echo "== creating $N tables (primary key, index, CHECK, comment, default each)"
t0=$(now)
createdb src
q src "DO \$\$ BEGIN FOR i IN 1..$N LOOP
    EXECUTE format('CREATE TABLE public.t%s (id int PRIMARY KEY, v text DEFAULT ''none'',
                    n int NOT NULL DEFAULT 0 CONSTRAINT t%s_n_check CHECK (n >= 0),
                    created timestamptz DEFAULT now())', i, i);
    EXECUTE format('CREATE INDEX t%s_v_idx ON public.t%s (v)', i, i);
    EXECUTE format('COMMENT ON TABLE public.t%s IS %L', i, 'table number ' || i);
    IF i % 500 = 0 THEN COMMIT; END IF; END LOOP; END \$\$"
q src "VACUUM ANALYZE" >/dev/null
echo "   done in $(secs "$t0" "$(now)")s"

# What every restored database must hold, from the source.
shape_sql="SELECT (SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace),
       (SELECT count(*) FROM pg_class WHERE relkind = 'i' AND relnamespace = 'public'::regnamespace),
       (SELECT count(*) FROM pg_constraint WHERE connamespace = 'public'::regnamespace),
       (SELECT count(*) FROM pg_description d JOIN pg_class c ON c.oid = d.objoid
         WHERE d.classoid = 'pg_class'::regclass AND c.relnamespace = 'public'::regnamespace),
       (SELECT count(*) FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid
         WHERE c.relnamespace = 'public'::regnamespace)"
shape=$(q src "$shape_sql")
echo "   source: tables|indexes|constraints|comments|defaults = $shape"
check() {
    local got
    got=$(q "$1" "$shape_sql")
    [ "$got" = "$shape" ] || { echo "bench: $1 holds $got, the source $shape" >&2; exit 1; }
}

CMD_BACKUP=("$BIN/gpbackup" --dbname src --backup-dir "$tmp/ours" --metadata-only --quiet)
CMD_DUMP=(pg_dump --schema-only -f "$tmp/dump.sql" src)
echo "== commands (before each restore, DROP DATABASE IF EXISTS of its target, not timed)"
echo "   ${CMD_BACKUP[*]}"
echo "   ${CMD_DUMP[*]}"
for j in $RESTORE_JOBS; do
    echo "   $BIN/gprestore --timestamp TS --backup-dir $tmp/ours --create-db --redirect-db dst_ours --jobs $j --quiet"
done
echo "   createdb dst_pg && psql -X -q -v ON_ERROR_STOP=1 -d dst_pg -f $tmp/dump.sql >/dev/null"

declare -A T
timed() { # NAME COMMAND...
    local name=$1 t0 t1
    shift
    t0=$(now)
    "$@"
    t1=$(now)
    T[$name]+="$(secs "$t0" "$t1") "
}
last() { echo "${T[$1]}" | awk '{ print $NF }'; }
ours_backup() { rm -rf "$tmp/ours"; "${CMD_BACKUP[@]}"; }
pg_backup() { rm -f "$tmp/dump.sql"; "${CMD_DUMP[@]}"; }
ours_restore() {
    local ts
    ts=$(find "$tmp/ours/backups" -mindepth 2 -maxdepth 2 -type d -printf '%f\n' | sort | tail -n 1)
    "$BIN/gprestore" --timestamp "$ts" --backup-dir "$tmp/ours" --create-db --redirect-db dst_ours \
        --jobs "$1" --quiet
}
pg_restore_psql() { createdb dst_pg && psql -X -q -v ON_ERROR_STOP=1 -d dst_pg -f "$tmp/dump.sql" >/dev/null; }

for ((r = 1; r <= RUNS; r++)); do
    timed backup_ours ours_backup
    timed backup_pg pg_backup
    line="gpbackup $(last backup_ours)s, pg_dump $(last backup_pg)s"
    for j in $RESTORE_JOBS; do
        drop dst_ours
        timed "restore_ours_$j" ours_restore "$j"
        check dst_ours
        line+=", gprestore -j$j $(last "restore_ours_$j")s"
    done
    drop dst_pg
    timed restore_pg pg_restore_psql
    check dst_pg
    echo "   round $r: $line, psql -f $(last restore_pg)s"
done

m() { echo "${T[$1]}" | tr ' ' '\n' | grep . | median; }
meta=$(find "$tmp/ours/backups" -name "gpbackup_*_metadata.sql")
echo
printf '%-34s %10s %-28s %10s %7s\n' "median of $RUNS, N=$N tables" "ours (s)" "pg" "pg (s)" "ratio"
printf '%-34s %10s %-28s %10s %7s\n' "gpbackup --metadata-only" "$(m backup_ours)" "pg_dump --schema-only -f" "$(m backup_pg)" \
    "$(ratio "$(m backup_ours)" "$(m backup_pg)")"
for j in $RESTORE_JOBS; do
    printf '%-34s %10s %-28s %10s %7s\n' "gprestore --create-db --jobs $j" "$(m "restore_ours_$j")" "createdb + psql -f" \
        "$(m restore_pg)" "$(ratio "$(m "restore_ours_$j")" "$(m restore_pg)")"
done
printf '%-34s %10s %-28s %10s\n' "output size (bytes)" "$(stat -c %s "$meta")" "pg_dump file" "$(stat -c %s "$tmp/dump.sql")"
echo "(ratio = ours / pg: below 1 means faster; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
