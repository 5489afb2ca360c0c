#!/bin/bash
# make bench: our backup and restore against the limit (raw parallel COPY)
# and against pg_dump -Fd / pg_restore, in one run, on a throwaway cluster.
#
#   bench/bench.sh            about 1 GB: pgbench scale 30 + four mixed-type tables
#   SCALE=10 MIXED_ROWS=500000 RUNS=3 JOBS=2 bench/bench.sh
#   LARGE=0 RUNS=5 bench/bench.sh          only the 10,000 small tables
#   SMALL_TABLES=0 bench/bench.sh          only the large tables
#   LARGE=0 SMALL_RESTORE=0 bench/bench.sh  small tables, backups only
#   OTHER_FORMATS="" bench/bench.sh        only the default data format (packed)
#   WARMUP=0 bench/bench.sh                no uncounted round 0 (see below)
#
# The output of the previous run is removed before each backup but outside
# the timed region. For the small tables each backup writes into a directory
# of its own and the outputs are removed at the end (SMALL_FRESH=1, the
# default): on ext4 without a journal (the machine of docs/performance.md),
# creating a file while many inodes of its block group were freed in the
# last minute scans past every one of them, which made 10,000 files cost
# seconds of kernel time, for pg_dump as for gpbackup. SMALL_FRESH=0 removes
# the previous run's output (untimed) just before each backup instead, as
# this script did before, to show that effect.
#
# Each measurement is the median of RUNS runs, the commands alternating
# within each round so that they share the machine's state (ours and the
# peer's in turn first: ours first in odd rounds); before each
# timed command the file system is synced and the server checkpointed
# (settle, untimed), so that no command pays for what another left behind. Prints the
# figures and the ratios against the targets of docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/bin}
JOBS=${JOBS:-2}
RUNS=${RUNS:-3}
WARMUP=${WARMUP:-1}
SCALE=${SCALE:-30}
MIXED_ROWS=${MIXED_ROWS:-1500000}
SMALL_TABLES=${SMALL_TABLES:-10000}
LARGE=${LARGE:-1}
SMALL_FRESH=${SMALL_FRESH:-1}
SMALL_RESTORE=${SMALL_RESTORE:-1}

command -v /usr/bin/time >/dev/null || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 2; }
tmp=$(mktemp -d /tmp/gpb-bench.XXXXXX)
trap 'ci/pg-stop.sh "$tmp/pg" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
mkdir "$tmp/pg"
PG_EXTRA_CONF="shared_buffers = 512MB
max_wal_size = 4GB
checkpoint_timeout = 30min
max_locks_per_transaction = 256" ci/pg-start.sh "$tmp/pg" >/dev/null
# shellcheck disable=SC1091
. "$tmp/pg/env"
export HOME=$tmp

now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
size_of() { du -sb "$1" | cut -f1; }
# peak_kb CMD...: runs CMD, prints its peak RSS in kB on fd 3.
peak() { /usr/bin/time -f '%M' -o "$tmp/peak" "$@"; cat "$tmp/peak" >&3; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r <= t) ? "ok" : "MISSED" }'; }

# Every timed command starts from the same state: what the previous one
# left to write (its output, the pages of a restored or dropped database)
# is written out, and the server's checkpoint is done, untimed. Otherwise a
# command pays for its predecessor's write-back, or for a checkpoint that
# another command's WAL made due, and which one does depends on the order.
settle() {
    sync
    psql -X -q -d postgres -c CHECKPOINT
}

# ours first in odd rounds, the peer first in even rounds: neither always
# runs after the same command.
pair() { # round, "ours" command, "peer" command
    if (($1 % 2)); then eval "$2"; eval "$3"; else eval "$3"; eval "$2"; fi
}

# cpu_ticks: the machine's busy and idle clock ticks so far (/proc/stat).
cpu_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat; }
declare -A T C
run() { # name, command...
    local name=$1 t0 t1 b0 i0 b1 i1
    shift
    settle
    read -r b0 i0 < <(cpu_ticks)
    t0=$(now)
    "$@"
    t1=$(now)
    read -r b1 i1 < <(cpu_ticks)
    ((r >= 1)) || return 0 # the warm-up round is not counted
    T[$name]+="$(secs "$t0" "$t1") "
    # what the whole machine spent meanwhile: busy/idle CPU seconds
    C[$name]+="$(awk -v b=$((b1 - b0)) -v i=$((i1 - i0)) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f/%.1f", b / hz, i / hz }') "
}
# m NAME: the median of NAME's counted runs.
m() { echo "${T[$1]}" | tr ' ' '\n' | grep . | median; }
# per_round A B: A's run of each round over B's of the same round (the two
# ran one after the other), and the median of these: a second view of a
# ratio, less sensitive to the machine's speed drifting between rounds than
# the ratio of the medians, which stays the one held against the target.
per_round() {
    local -a a b
    local out="" i
    read -ra a <<<"${T[$1]}"
    read -ra b <<<"${T[$2]}"
    for ((i = 0; i < ${#a[@]} && i < ${#b[@]}; i++)); do out+="$(ratio "${a[i]}" "${b[i]}") "; done
    echo "${out}(median $(echo "$out" | tr ' ' '\n' | grep . | median))"
}
# every_run PATTERN: each counted run of the measures named PATTERN.
every_run() {
    echo "every run, in seconds, in round order (the medians above are of these),"
    echo "and the machine's busy/idle CPU seconds during each run:"
    for k in "${!T[@]}"; do
        # shellcheck disable=SC2053
        if [[ $k == $1 ]]; then printf '   %-28s %-24s %s\n' "$k" "${T[$k]}" "${C[$k]}"; fi
    done | sort
}

if [ "$LARGE" != 0 ]; then
echo "== building the data set (pgbench scale $SCALE, 4 x $MIXED_ROWS mixed rows)"
createdb bench
pgbench -q -i -s "$SCALE" bench >/dev/null 2>&1
for i in 1 2 3 4; do
    psql -X -q -d bench -c "CREATE TABLE mixed_$i AS
        SELECT g AS id, md5(g::text) AS t, g * 1.5 AS n, now() - g * interval '1 second' AS ts,
               (g % 2 = 0) AS b, ARRAY[g, g + 1] AS a, jsonb_build_object('k', g, 'v', md5(g::text)) AS j,
               CASE WHEN g % 10 = 0 THEN NULL ELSE repeat('x', g % 50) END AS s
        FROM generate_series(1, $MIXED_ROWS) g"
done
psql -X -q -d bench -c "VACUUM ANALYZE"
dbsize=$(psql -X -At -d bench -c "SELECT pg_size_pretty(pg_database_size('bench'))")
echo "   database size: $dbsize"

# Raw parallel COPY: the tables in JOBS streams, largest first to the least
# loaded stream, each COPY ... TO STDOUT into /dev/null.
raw_copy() {
    local -a load streams
    local i t sz best
    for ((i = 0; i < JOBS; i++)); do load[i]=0; streams[i]=""; done
    while read -r t sz; do
        best=0
        for ((i = 1; i < JOBS; i++)); do [ "${load[i]}" -lt "${load[best]}" ] && best=$i; done
        load[best]=$((load[best] + sz))
        streams[best]="${streams[best]} $t"
    done < <(psql -X -At -F' ' -d bench -c "SELECT quote_ident(relname), pg_table_size(oid) FROM pg_class
              WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY 2 DESC")
    for ((i = 0; i < JOBS; i++)); do
        ( for t in ${streams[i]}; do psql -X -q -d bench -c "COPY $t TO STDOUT" >/dev/null; done ) &
    done
    wait
}


ours_backup() { peak "$BIN/gpbackup" --dbname bench --backup-dir "$tmp/ours" --jobs "$JOBS" --quiet 3>>"$tmp/peak_backup"; }
# The other data formats (--data-format binary, csv; OTHER_FORMATS="" skips
# them), beside the default (packed): what each costs and gains.
OTHER_FORMATS=${OTHER_FORMATS-binary csv}
ours_fmt_backup() { "$BIN/gpbackup" --dbname bench --backup-dir "$tmp/ours_$1" --jobs "$JOBS" --data-format "$1" --quiet; }
pgdump_backup() { pg_dump -Fd -j "$JOBS" -f "$tmp/pgd" bench; }
ours_restore() {
    local ts
    ts=$(ls "$tmp/ours/backups/"*/ | sort | tail -n 1)
    "$BIN/gprestore" --timestamp "$ts" --backup-dir "$tmp/ours" --create-db --redirect-db bench_r --jobs "$JOBS" --quiet
}
ours_fmt_restore() {
    local ts
    ts=$(ls "$tmp/ours_$1/backups/"*/ | sort | tail -n 1)
    "$BIN/gprestore" --timestamp "$ts" --backup-dir "$tmp/ours_$1" --create-db --redirect-db "bench_r$1" --jobs "$JOBS" --quiet
}
pg_restore_run() { createdb bench_p; pg_restore -j "$JOBS" -d bench_p "$tmp/pgd"; }

echo "== large tables, $RUNS rounds (after $WARMUP uncounted warm-up round), --jobs $JOBS"
: >"$tmp/peak_backup"
# A restored database is dropped (untimed) right after its restore, so that
# every restore starts from the same state: the one before it restored and
# dropped a database of the same size.
restore_then_drop() { # name, database, command...
    local name=$1 db=$2
    shift 2
    run "$name" "$@"
    dropdb --if-exists "$db" 2>/dev/null
}
# Round 0 (WARMUP=1, the default) runs every command once, uncounted: the
# first command that writes a database's worth of new pages pays for the
# machine's fresh memory (on the VM of docs/performance.md, the first
# restore of a run took 34 busy CPU seconds where the same restore took
# 22-25 in the later rounds), and which command that is should not decide
# a ratio.
for ((r = 1 - WARMUP; r <= RUNS; r++)); do
    run raw raw_copy
    rm -rf "$tmp/ours" "$tmp/pgd" "$tmp"/ours_*
    pair "$r" "run ours ours_backup" "run pgdump pgdump_backup"
    for f in $OTHER_FORMATS; do run "ours_$f" ours_fmt_backup "$f"; done
    pair "$r" "restore_then_drop ours_restore bench_r ours_restore" \
        "restore_then_drop pg_restore bench_p pg_restore_run"
    for f in $OTHER_FORMATS; do restore_then_drop "ours_${f}_restore" "bench_r$f" ours_fmt_restore "$f"; done
done
# Peak memory with --jobs 8, whatever the table sizes.
rm -rf "$tmp/ours8"
/usr/bin/time -f '%M' -o "$tmp/peak8" "$BIN/gpbackup" --dbname bench --backup-dir "$tmp/ours8" --jobs 8 --quiet
peak8=$(cat "$tmp/peak8")

raw=$(m raw); ours=$(m ours); pgd=$(m pgdump); ores=$(m ours_restore); pres=$(m pg_restore)
osize=$(size_of "$tmp/ours"); psize=$(size_of "$tmp/pgd")
peak=$(median <"$tmp/peak_backup")
printf '\n%-44s %10s\n' "measure (median of $RUNS, --jobs $JOBS)" "value"
printf '%-44s %9ss\n' "raw parallel COPY to /dev/null" "$raw"
printf '%-44s %9ss\n' "gpbackup (zstd, packed data: the default)" "$ours"
for f in $OTHER_FORMATS; do printf '%-44s %9ss\n' "gpbackup --data-format $f" "$(m "ours_$f")"; done
printf '%-44s %9ss\n' "pg_dump -Fd -j$JOBS" "$pgd"
printf '%-44s %9ss\n' "gprestore" "$ores"
for f in $OTHER_FORMATS; do printf '%-44s %9ss\n' "gprestore of the $f set" "$(m "ours_${f}_restore")"; done
printf '%-44s %9ss\n' "pg_restore -j$JOBS" "$pres"
printf '%-44s %10s\n' "gpbackup output" "$(numfmt --to=iec "$osize")"
for f in $OTHER_FORMATS; do printf '%-44s %10s\n' "gpbackup --data-format $f output" "$(numfmt --to=iec "$(size_of "$tmp/ours_$f")")"; done
printf '%-44s %10s\n' "pg_dump -Fd output" "$(numfmt --to=iec "$psize")"
printf '%-44s %8s kB\n' "gpbackup peak RSS, --jobs $JOBS" "$peak"
printf '%-44s %8s kB\n' "gpbackup peak RSS, --jobs 8" "$peak8"
echo
printf '%-44s %6s  target %-6s %s\n' "backup / raw COPY" "$(ratio "$ours" "$raw")" "<=1.3" "$(verdict "$(ratio "$ours" "$raw")" 1.3)"
printf '%-44s %6s  target %-6s %s\n' "backup / pg_dump -Fd" "$(ratio "$ours" "$pgd")" "<=0.4" "$(verdict "$(ratio "$ours" "$pgd")" 0.4)"
printf '%-44s %s\n' "   per round" "$(per_round ours pgdump)"
printf '%-44s %6s  target %-6s %s\n' "output / pg_dump's" "$(ratio "$osize" "$psize")" "<=0.85" "$(verdict "$(ratio "$osize" "$psize")" 0.85)"
printf '%-44s %6s  target %-6s %s\n' "restore / pg_restore" "$(ratio "$ores" "$pres")" "<=0.6" "$(verdict "$(ratio "$ores" "$pres")" 0.6)"
printf '%-44s %s\n' "   per round" "$(per_round ours_restore pg_restore)"
for f in $OTHER_FORMATS; do
    printf '%-44s %6s\n' "$f: backup / pg_dump -Fd" "$(ratio "$(m "ours_$f")" "$pgd")"
    printf '%-44s %6s\n' "$f: output / pg_dump's" "$(ratio "$(size_of "$tmp/ours_$f")" "$psize")"
    printf '%-44s %6s\n' "$f: restore / pg_restore" "$(ratio "$(m "ours_${f}_restore")" "$pres")"
done
printf '%-44s %6s  target %-6s %s\n' "peak memory --jobs 8 (MiB)" "$((peak8 / 1024))" "<=64" "$(verdict "$((peak8 / 1024))" 64)"
echo
every_run "*"
fi

if [ "$SMALL_TABLES" -gt 0 ]; then
    echo
    echo "== $SMALL_TABLES small tables"
    createdb small
    psql -X -q -d small -c "DO \$\$ BEGIN FOR i IN 1..$SMALL_TABLES LOOP
        EXECUTE format('CREATE TABLE public.t%s (id int PRIMARY KEY, v text)', i);
        EXECUTE format('INSERT INTO public.t%s SELECT g, md5(g::text) FROM generate_series(1, 10) g', i);
        IF i % 500 = 0 THEN COMMIT; END IF; END LOOP; END \$\$"
    # Round r writes $tmp/sours.r and $tmp/spgd.r (see SMALL_FRESH above).
    s_ours() { "$BIN/gpbackup" --dbname small --backup-dir "$tmp/sours.$r" --jobs "$JOBS" --no-lock --quiet; }
    s_pgd() { pg_dump -Fd -j "$JOBS" -f "$tmp/spgd.$r" small 2>/dev/null || { rm -rf "$tmp/spgd.$r"; pg_dump -Fd -f "$tmp/spgd.$r" small; }; }
    # Restored databases are dropped untimed, as for the large tables.
    s_ores() { "$BIN/gprestore" --timestamp "$(ls "$tmp/sours.$r/backups/"*/ | sort | tail -n 1)" --backup-dir "$tmp/sours.$r" --create-db --redirect-db small_r --jobs "$JOBS" --quiet; }
    s_pres() { createdb small_p; pg_restore -j "$JOBS" -d small_p "$tmp/spgd.$r"; }
    for ((r = 1 - WARMUP; r <= RUNS; r++)); do
        if [ "$SMALL_FRESH" = 0 ] && [ "$r" -gt 1 ]; then
            rm -rf "$tmp/sours.$((r - 1))" "$tmp/spgd.$((r - 1))"
        fi
        pair "$r" "run small_ours s_ours" "run small_pgd s_pgd"
        if [ "$SMALL_RESTORE" != 0 ]; then
            pair "$r" "run small_ores s_ores; dropdb small_r" "run small_pres s_pres; dropdb small_p"
        fi
    done
    rm -rf "$tmp"/sours.* "$tmp"/spgd.*
    sm() { m "small_$1"; }
    printf '%-44s %9ss\n' "gpbackup --no-lock" "$(sm ours)"
    printf '%-44s %9ss\n' "pg_dump -Fd (-j$JOBS, or one job if that fails)" "$(sm pgd)"
    printf '%-44s %6s  target %-6s %s\n' "backup / pg_dump" "$(ratio "$(sm ours)" "$(sm pgd)")" "<=0.5" "$(verdict "$(ratio "$(sm ours)" "$(sm pgd)")" 0.5)"
    if [ "$SMALL_RESTORE" != 0 ]; then
        printf '%-44s %9ss\n' "gprestore" "$(sm ores)"
        printf '%-44s %9ss\n' "pg_restore -j$JOBS" "$(sm pres)"
        printf '%-44s %6s\n' "restore / pg_restore" "$(ratio "$(sm ores)" "$(sm pres)")"
    fi
    every_run "small_*"
fi
