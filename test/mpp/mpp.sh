#!/bin/bash
# The MPP suite: gpbackup and gprestore against a real multi-segment
# Greenplum / Cloudberry cluster (opt-in: make check-mpp, never in CI).
#
#   PGHOST=127.0.0.1 PGPORT=7000 PGUSER=gpadmin make check-mpp
#   MPP_RESIZE_PORT=7100   a second cluster (same host and user) with another
#                          number of segments, for the --resize-cluster cases
#
# Runs as root on the cluster's host (backup directories are handed to the
# cluster's OS user, who runs the helper). Cases: per-segment files in each
# layout, per-segment row counts and contents equal after restore, a
# corrupted segment file refused, a TRUNCATE during a --no-lock backup
# reported, and a restore onto another segment count.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../e2e/lib.sh"
e2e_require_cluster

if [ "$(q postgres "SELECT count(*) FROM pg_catalog.pg_proc WHERE proname = 'gp_dist_random' OR proname = 'gp_execution_segment'")" = 0 ] &&
    [ "$(q postgres "SELECT count(*) FROM pg_catalog.pg_class WHERE relname = 'gp_segment_configuration'")" = 0 ]; then
    echo "$E2E_FILE: the server at $PGHOST:$PGPORT is not a Greenplum-family cluster" >&2
    exit 2
fi

COORD_DIR=$(q postgres "SELECT datadir FROM gp_segment_configuration WHERE content = -1 AND role = 'p'")
OS_USER=$(stat -c %U "$COORD_DIR")
NSEG=$(q postgres "SELECT count(*) FROM gp_segment_configuration WHERE content >= 0 AND role = 'p'")
# The tools name every database they use (gprestore once read the segments
# from PGDATABASE's database, and failed where it did not exist); the
# databases of a case that failed before its end are dropped again.
unset PGDATABASE
q postgres "DROP DATABASE IF EXISTS mpp_dst" 2>/dev/null
q postgres "DROP DATABASE IF EXISTS mpp_bad" 2>/dev/null

# The helper, where the cluster's OS user can run it.
MPP_TMP=$(mktemp -d "${TMPDIR:-/tmp}/gpb-mpp.XXXXXX") || exit 2
chmod 755 "$MPP_TMP"
mkdir -p "$MPP_TMP/bin"
cp "$E2E_BIN/gpbackup_helper" "$MPP_TMP/bin/"
chmod 755 "$MPP_TMP/bin" "$MPP_TMP/bin/gpbackup_helper"
HELPER="$MPP_TMP/bin/gpbackup_helper"
trap '[ "${KEEP_TMP:-0}" = 1 ] || rm -rf "$MPP_TMP"' EXIT

# gpbackup and gprestore run as the cluster's OS user, as they do in real
# use: with --single-backup-dir the coordinator's files and the segments'
# share one directory, which a root-owned run would make unwritable for
# the segments (directories are created 0700).
if [ "$(id -u)" = 0 ] && [ "$OS_USER" != root ]; then
    mkdir -p "$MPP_TMP/home"
    chown "$OS_USER" "$MPP_TMP/home"
    for b in gpbackup gprestore; do
        cat >"$MPP_TMP/bin/as-os-user-$b" <<EOF
#!/bin/sh
exec runuser -u '$OS_USER' -- env HOME='$MPP_TMP/home' '$E2E_BIN/$b' "\$@"
EOF
        chmod 755 "$MPP_TMP/bin/as-os-user-$b"
    done
    GPBACKUP_BIN="$MPP_TMP/bin/as-os-user-gpbackup"
    GPRESTORE_BIN="$MPP_TMP/bin/as-os-user-gprestore"
fi

# A --backup-dir the segments (the cluster's OS user) can write.
shared_dir() {
    local d="$MPP_TMP/$1"
    rm -rf "$d"
    mkdir -p "$d"
    chown "$OS_USER" "$d"
    chmod 755 "$d"
    echo "$d"
}

source_sql() {
    cat <<'SQL'
SET client_min_messages = warning;
CREATE SCHEMA "Odd ""Schema""";
CREATE TABLE public.hashed (id int, t text, n numeric, ts timestamptz) DISTRIBUTED BY (id);
INSERT INTO public.hashed
  SELECT g, CASE g % 5 WHEN 0 THEN NULL WHEN 1 THEN 'quote "q" and, comma' WHEN 2 THEN E'line\nbreak'
                   WHEN 3 THEN E'back\\slash' ELSE md5(g::text) END,
         g * 1.25, '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 minute'
  FROM generate_series(1, 100000) g;
CREATE TABLE public.randomly (id int, v text) DISTRIBUTED RANDOMLY;
INSERT INTO public.randomly SELECT g, md5(g::text) FROM generate_series(1, 20000) g;
CREATE TABLE public.repl (id int, v text) DISTRIBUTED REPLICATED;
INSERT INTO public.repl SELECT g, 'r' || g FROM generate_series(1, 1000) g;
CREATE TABLE public.ao_row (id int, v text) WITH (appendonly=true) DISTRIBUTED BY (id);
INSERT INTO public.ao_row SELECT g, md5(g::text) FROM generate_series(1, 30000) g;
CREATE TABLE public.ao_col (id int, v text) WITH (appendonly=true, orientation=column, compresstype=zlib, compresslevel=1) DISTRIBUTED BY (id);
INSERT INTO public.ao_col SELECT g, md5(g::text) FROM generate_series(1, 30000) g;
CREATE TABLE public.parts (id int, d date, v text) DISTRIBUTED BY (id)
  PARTITION BY RANGE (d) (START (date '2024-01-01') INCLUSIVE END (date '2024-04-01') EXCLUSIVE EVERY (interval '1 month'));
INSERT INTO public.parts SELECT g, date '2024-01-01' + (g % 90), 'p' || g FROM generate_series(1, 9000) g;
CREATE TABLE "Odd ""Schema"""."Mixed Case" ("Col A" int, "b""c" text) DISTRIBUTED BY ("Col A");
INSERT INTO "Odd ""Schema"""."Mixed Case" SELECT g, 'x' || g FROM generate_series(1, 500) g;
CREATE TABLE public.empty_t (id int) DISTRIBUTED BY (id);
SQL
}

make_source() {
    create_db "$1"
    source_sql | q_file "$1"
}

# run_generated DB: runs in DB the queries that the query on stdin generates,
# one per row (psql's \gexec came with 9.6; Greenplum 6's psql is 9.4).
run_generated() {
    local queries
    queries=$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -f -)
    [ -n "$queries" ] || return 0
    printf '%s\n' "$queries" | psql -X -q -At -F ' ' -v ON_ERROR_STOP=1 -d "$1" -f -
}

# seg_counts DB: per table (leaves and plain tables), the rows on each segment.
# A replicated table has no gp_segment_id: its rows over all segments.
seg_counts() {
    run_generated "$1" <<'SQL'
SELECT CASE WHEN p.policytype = 'r'
       THEN format($f$SELECT %L, 'all', count(*) FROM gp_dist_random(%L);$f$,
                   format('%I.%I', n.nspname, c.relname), format('%I.%I', n.nspname, c.relname))
       ELSE format($f$SELECT %L, gp_segment_id, count(*) FROM gp_dist_random(%L) GROUP BY 2 ORDER BY 2;$f$,
                   format('%I.%I', n.nspname, c.relname), format('%I.%I', n.nspname, c.relname)) END
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN gp_distribution_policy p ON p.localoid = c.oid
 WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'gp_toolkit')
   AND n.nspname !~ '^pg_'
 ORDER BY 1
SQL
}

# contents DB: per table, the row count and an md5 of its rows.
contents() {
    run_generated "$1" <<'SQL'
SELECT format($f$SELECT %L, count(*), md5(coalesce(string_agg(t::text, E'\n' ORDER BY t::text), '')) FROM %I.%I t;$f$,
              format('%I.%I', n.nspname, c.relname), n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'gp_toolkit')
   AND n.nspname !~ '^pg_'
 ORDER BY 1
SQL
}

same_output() { # WHAT FILE1 FILE2
    if ! diff -u "$2" "$3" >"$CASE_DIR/$1.diff"; then
        fail "$1 differ:"
        head -n 40 "$CASE_DIR/$1.diff" >&2
        return 1
    fi
}

# Every data entry of the TOC has a file and a sidecar in each segment's directory.
check_segment_files() { # TOC SEGDIR_OF_CONTENT_FN
    local toc=$1 fn=$2 oid c d f missing=0
    for oid in $(sed -n 's/^  oid: \([0-9]*\)$/\1/p' "$toc"); do
        for ((c = 0; c < NSEG; c++)); do
            d=$($fn "$c")
            f="$d/gpbackup_${c}_${TS}_${oid}.zst"
            if [ ! -f "$f" ] || [ ! -f "$f.meta" ]; then
                echo "missing: $f (or its .meta)" >&2
                missing=1
            fi
        done
    done
    [ "$missing" -eq 0 ] || fail "segment files missing"
}

datadir_of() { q postgres "SELECT datadir FROM gp_segment_configuration WHERE content = $1 AND role = 'p'"; }

# A set in the default layout lives in the cluster's data directories:
# remove it (and the day directory once empty) when the case is done.
remove_default_set() { # TS
    local c d
    for ((c = -1; c < NSEG; c++)); do
        d=$(datadir_of "$c")/backups/${1:0:8}
        rm -rf "${d:?}/$1"
        rmdir "$d" "$(dirname "$d")" 2>/dev/null || true
    done
}
seg_dir_default() { echo "$(datadir_of "$1")/backups/${TS:0:8}/$TS"; }
seg_dir_prefixed() { echo "$BDIR/gpseg$1/backups/${TS:0:8}/$TS"; }

roundtrip() { # LAYOUT
    local layout=$1 args=() rargs=() setdir
    make_source mpp_src
    case $layout in
    default) ;;
    prefixed) BDIR=$(shared_dir "bd_$layout"); args=(--backup-dir "$BDIR"); rargs=(--backup-dir "$BDIR") ;;
    single) BDIR=$(shared_dir "bd_$layout"); args=(--backup-dir "$BDIR" --single-backup-dir); rargs=(--backup-dir "$BDIR") ;;
    esac
    TS=$(do_backup backup --dbname mpp_src --jobs 3 --helper-path "$HELPER" "${args[@]}")
    case $layout in
    default) setdir="$COORD_DIR/backups/${TS:0:8}/$TS"
        check_segment_files "$setdir/gpbackup_${TS}_toc.yaml" seg_dir_default ;;
    prefixed) setdir="$BDIR/gpseg-1/backups/${TS:0:8}/$TS"
        check_segment_files "$setdir/gpbackup_${TS}_toc.yaml" seg_dir_prefixed ;;
    single) setdir="$BDIR/backups/${TS:0:8}/$TS"
        ls "$setdir"/gpbackup_0_"$TS"_*.zst >/dev/null ;;
    esac
    assert_grep "$setdir/gpbackup_${TS}_config.yaml" '^datapath: segments'
    assert_grep "$setdir/gpbackup_${TS}_config.yaml" "^segmentcount: $NSEG"
    assert_grep "$setdir/gpbackup_${TS}_toc.yaml" 'isreplicated: true'
    if [ "$layout" != default ]; then
        # every segment's file checked against the TOC
        expect_exit 0 "$E2E_BIN/gpbackup_manager" verify "$TS" --backup-dir "$BDIR"
        assert_grep last.out "backup $TS is intact"
        assert_list_backups "$TS"
    fi
    do_restore restore --timestamp "$TS" --jobs 3 --create-db --redirect-db mpp_dst \
        --helper-path "$HELPER" "${rargs[@]}"
    seg_counts mpp_src >"$CASE_DIR/src.counts"
    seg_counts mpp_dst >"$CASE_DIR/dst.counts"
    same_output "per-segment row counts" "$CASE_DIR/src.counts" "$CASE_DIR/dst.counts"
    contents mpp_src >"$CASE_DIR/src.sums"
    contents mpp_dst >"$CASE_DIR/dst.sums"
    same_output "table contents" "$CASE_DIR/src.sums" "$CASE_DIR/dst.sums"
    q postgres "DROP DATABASE mpp_dst"
    [ "$layout" != default ] || remove_default_set "$TS"
}

# list-backups finds an MPP set under --backup-dir (<prefix>-1 or not).
assert_list_backups() {
    expect_exit 0 "$E2E_BIN/gpbackup_manager" list-backups --backup-dir "$BDIR"
    assert_grep last.out "$1"
}

test_roundtrip_default() { roundtrip default; }
test_roundtrip_prefixed() { roundtrip prefixed; }
test_roundtrip_single() { roundtrip single; }

test_corrupt_segment_file() {
    make_source mpp_src
    BDIR=$(shared_dir bd_corrupt)
    TS=$(do_backup backup --dbname mpp_src --helper-path "$HELPER" --backup-dir "$BDIR" --include-table public.hashed)
    local f
    f=$(ls "$BDIR/gpseg1/backups/${TS:0:8}/$TS"/gpbackup_1_"${TS}"_*.zst)
    # flip one byte in the middle of segment 1's file
    python3 - "$f" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
b[len(b) // 2] ^= 0xFF
open(p, 'wb').write(bytes(b))
PY
    expect_exit 2 "$E2E_BIN/gpbackup_manager" verify "$TS" --backup-dir "$BDIR"
    assert_grep last.out "gpseg1/.*gpbackup_1_${TS}_.*checksum differs"
    expect_exit 2 gprestore --timestamp "$TS" --backup-dir "$BDIR" --create-db --redirect-db mpp_bad --helper-path "$HELPER"
    assert_grep last.err 'could not restore data of table "public"."hashed"'
    assert_grep last.err 'checksum|decompress'
    assert_eq 0 "$(q mpp_bad 'SELECT count(*) FROM public.hashed')" "rows loaded from a damaged set"
    q postgres "DROP DATABASE mpp_bad"
}

test_nolock_truncate() {
    create_db mpp_nl
    q_file mpp_nl <<'SQL'
CREATE TABLE public.big AS SELECT g AS id, md5(g::text) AS t FROM generate_series(1, 3000000) g DISTRIBUTED BY (id);
CREATE TABLE public.t_trunc AS SELECT g AS id FROM generate_series(1, 10) g DISTRIBUTED BY (id);
CREATE TABLE public.t_same AS SELECT g AS id FROM generate_series(1, 10) g DISTRIBUTED BY (id);
SQL
    local log="$CASE_DIR/nolock.log" rc=0 i
    gpbackup --dbname mpp_nl --jobs 1 --no-lock --helper-path "$HELPER" >"$log" 2>&1 &
    local pid=$!
    for i in $(seq 1 1500); do
        # (The statement is "SAVEPOINT ...; COPY ...".)
        [ "$(q mpp_nl "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'gpbackup%' AND query LIKE '%COPY%big%'")" != 0 ] && break
        sleep 0.02
    done
    q mpp_nl "TRUNCATE public.t_trunc"
    wait "$pid" || rc=$?
    cat "$log"
    local ts
    ts=$(backup_ts "$log") && remove_default_set "$ts"
    assert_eq 1 "$rc" "gpbackup exit code with a TRUNCATE during a --no-lock backup"
    assert_grep "$log" 't_trunc'
    assert_no_grep "$log" 't_same.*changed'
}

test_segment_count_mismatch_refused() {
    [ -n "${MPP_RESIZE_PORT:-}" ] || { echo "MPP_RESIZE_PORT not set: nothing to check against" >&2; return 0; }
    make_source mpp_src
    BDIR=$(shared_dir bd_mismatch)
    TS=$(do_backup backup --dbname mpp_src --helper-path "$HELPER" --backup-dir "$BDIR")
    # (An mpp_rs left by an earlier run would be refused first, for existing.)
    PGPORT=$MPP_RESIZE_PORT q postgres "DROP DATABASE IF EXISTS mpp_rs" 2>/dev/null
    PGPORT=$MPP_RESIZE_PORT expect_exit 2 gprestore --timestamp "$TS" --backup-dir "$BDIR" --create-db --redirect-db mpp_rs --helper-path "$HELPER"
    assert_grep last.err "was made on $NSEG segments"
    assert_grep last.err 'resize-cluster'
}

test_resize_cluster() {
    [ -n "${MPP_RESIZE_PORT:-}" ] || { echo "MPP_RESIZE_PORT not set: resize not tested" >&2; return 0; }
    make_source mpp_src
    BDIR=$(shared_dir bd_resize)
    TS=$(do_backup backup --dbname mpp_src --jobs 2 --helper-path "$HELPER" --backup-dir "$BDIR")
    PGPORT=$MPP_RESIZE_PORT create_db mpp_rs_probe
    PGPORT=$MPP_RESIZE_PORT q postgres "DROP DATABASE mpp_rs_probe"
    PGPORT=$MPP_RESIZE_PORT q postgres "DROP DATABASE IF EXISTS mpp_rs"
    PGPORT=$MPP_RESIZE_PORT do_restore restore --timestamp "$TS" --backup-dir "$BDIR" --create-db \
        --redirect-db mpp_rs --jobs 2 --resize-cluster --helper-path "$HELPER"
    contents mpp_src >"$CASE_DIR/src.sums"
    PGPORT=$MPP_RESIZE_PORT contents mpp_rs >"$CASE_DIR/dst.sums"
    same_output "table contents after resize" "$CASE_DIR/src.sums" "$CASE_DIR/dst.sums"
    # Every replicated row on every new segment, and nothing lost or doubled.
    local nseg2
    nseg2=$(PGPORT=$MPP_RESIZE_PORT q postgres "SELECT count(*) FROM gp_segment_configuration WHERE content >= 0 AND role = 'p'")
    assert_eq "$((1000 * nseg2))" "$(PGPORT=$MPP_RESIZE_PORT q mpp_rs 'SELECT count(*) FROM gp_dist_random($$public.repl$$)')" "replicated rows over the new segments"
    PGPORT=$MPP_RESIZE_PORT q postgres "DROP DATABASE mpp_rs"
}

echo "cluster: $NSEG primary segments, coordinator $COORD_DIR (OS user $OS_USER)" >&2
run_test roundtrip_default test_roundtrip_default
run_test roundtrip_prefixed test_roundtrip_prefixed
run_test roundtrip_single test_roundtrip_single
run_test corrupt_segment_file test_corrupt_segment_file
run_test nolock_truncate test_nolock_truncate
run_test segment_count_mismatch_refused test_segment_count_mismatch_refused
run_test resize_cluster test_resize_cluster
finish
