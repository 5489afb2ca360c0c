#!/bin/bash
# Backup and restore of N small tables (default 1000 10000 100000), each with
# a primary key and two rows, on a throwaway cluster with default settings:
# gpbackup --no-lock, gpbackup in the default mode (which fails its lock
# pre-flight when N exceeds the lock table), gprestore. Prints one line per N.
#
#   bench/many-tables.sh [N...]          (after `make`)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
JOBS=${JOBS:-2}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000 100000)

tmp=$(mktemp -d /tmp/gpb-many.XXXXXX)
trap 'ci/pg-stop.sh "$tmp/pg" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
mkdir "$tmp/pg"
ci/pg-start.sh "$tmp/pg" >/dev/null
# shellcheck disable=SC1091
. "$tmp/pg/env"
export HOME=$tmp

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }

printf '%-8s %-12s %-14s %-24s %-12s %s\n' tables create_s backup_nolock_s backup_default gprestore_s pg_dump_Fd_s
for n in "${sizes[@]}"; do
    db=many_$n
    createdb "$db"
    t0=$(date +%s%N)
    psql -X -q -d "$db" -c "DO \$\$ BEGIN FOR i IN 1..$n LOOP
        EXECUTE format('CREATE TABLE public.t%s (id int PRIMARY KEY, v text)', i);
        EXECUTE format('INSERT INTO public.t%s VALUES (1, ''x''), (2, ''y'')', i);
        IF i % 500 = 0 THEN COMMIT; END IF; END LOOP; END \$\$"
    t1=$(date +%s%N)
    "$BIN/gpbackup" --dbname "$db" --backup-dir "$tmp/b" --jobs "$JOBS" --no-lock --quiet
    t2=$(date +%s%N)
    rc=0
    "$BIN/gpbackup" --dbname "$db" --backup-dir "$tmp/b2" --jobs "$JOBS" --quiet 2>"$tmp/default.err" || rc=$?
    t3=$(date +%s%N)
    if [ $rc -eq 0 ]; then default="ok $(secs "$t2" "$t3")s"; else default="exit $rc in $(secs "$t2" "$t3")s"; fi
    ts=$(ls "$tmp/b/backups/"*/ | sort | tail -n 1)
    t4=$(date +%s%N)
    "$BIN/gprestore" --timestamp "$ts" --backup-dir "$tmp/b" --create-db --redirect-db "${db}_r" --jobs "$JOBS" --quiet
    t5=$(date +%s%N)
    restored=$(psql -X -At -d "${db}_r" -c "SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace")
    [ "$restored" = "$n" ] || { echo "restored $restored tables of $n" >&2; exit 1; }
    rc=0
    pg_dump -Fd -f "$tmp/pgd_$n" "$db" 2>/dev/null || rc=$?
    t6=$(date +%s%N)
    if [ $rc -eq 0 ]; then pgd=$(secs "$t5" "$t6"); else pgd="exit $rc"; fi
    printf '%-8s %-12s %-14s %-24s %-12s %s\n' "$n" "$(secs "$t0" "$t1")" "$(secs "$t1" "$t2")" \
        "$default" "$(secs "$t4" "$t5")" "$pgd"
    dropdb "$db"; dropdb "${db}_r"; rm -rf "$tmp/b" "$tmp/b2" "$tmp/pgd_$n"
done
