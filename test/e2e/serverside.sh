#!/bin/bash
# The server-side data path (gpbackup --server-side): the PostgreSQL server
# runs gpbackup_helper through COPY ... TO PROGRAM / FROM PROGRAM, which
# writes (reads) each data file and a .meta sidecar; the coordinator reads
# the sidecars and the helper's error files back through pg_read_file.
#
# The server's OS user must execute the helper and write the backup
# directory, so the helper is copied into a temporary directory that user
# can reach, every backup directory is owned by that user, and gpbackup and
# gprestore run as that user (runuser): the files the server writes are 0600
# and owned by it.
#
# Cases: round trips with --jobs 1 and 3 of hostile names and values; a
# damaged data file (never partly loaded, found by gpbackup_manager verify);
# a missing helper and a failing helper (its message reaches the user, on
# backup and on restore); a role without pg_execute_server_program (and one
# with it); --single-backup-dir refused on PostgreSQL.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_cluster

MANAGER_BIN=${MANAGER_BIN:-$E2E_BIN/gpbackup_manager}
HELPER_BIN=${HELPER_BIN:-$E2E_BIN/gpbackup_helper}
gpbackup_manager() { timeout -k 5 "$E2E_CMD_TIMEOUT" "$MANAGER_BIN" "$@"; }

# --- the server's OS user and a directory it can use -------------------------

# The OS user that runs the server owns its data directory.
SRV_USER=$(stat -c %U "$(q postgres 'SHOW data_directory')")
if [ "$(id -u)" -ne 0 ] && [ "$SRV_USER" != "$(id -un)" ]; then
    echo "$E2E_FILE: the server runs as $SRV_USER; run the tests as root (runuser) or as $SRV_USER" >&2
    exit 2
fi

# as_user cmd...: cmd as the server's OS user (directly when we are that user).
as_user() {
    if [ "$(id -un)" = "$SRV_USER" ]; then
        "$@"
    else
        runuser -u "$SRV_USER" -- "$@"
    fi
}

# SRV_TMP: outside the suite's scratch area (0700, root's), reachable by the
# server's OS user: the helper, its wrappers, every backup directory.
SRV_TMP=$(mktemp -d "${TMPDIR:-/tmp}/gpb-srv.XXXXXX") || exit 2
chmod 755 "$SRV_TMP"
touch "$SRV_TMP/.start"
cleanup_srv_tmp() {
    # Nothing may be left in /tmp: the helper's error files of failed loads
    # go into the set directory.
    if find /tmp -maxdepth 1 -name 'gpbackup_helper_*.err' -newer "$SRV_TMP/.start" | grep -q .; then
        echo "$E2E_FILE: helper error files left in /tmp" >&2
    fi
    if [ "${KEEP_TMP:-0}" = 1 ]; then
        echo "$E2E_FILE: kept $SRV_TMP" >&2
    else
        rm -rf "$SRV_TMP"
    fi
}
trap cleanup_srv_tmp EXIT
if ! as_user test -x "$SRV_TMP"; then
    echo "$E2E_FILE: $SRV_TMP is not reachable by $SRV_USER (set TMPDIR to a directory it can reach)" >&2
    exit 2
fi

# The helper, where the server can execute it.
mkdir -p "$SRV_TMP/bin"
chmod 755 "$SRV_TMP/bin"
HELPER="$SRV_TMP/bin/gpbackup_helper"
if [ -x "$HELPER_BIN" ]; then
    cp "$HELPER_BIN" "$HELPER"
    chmod 755 "$HELPER"
fi
# gpbackup and gprestore run as the server's user too: from the bin
# directory when it can, else from copies.
SRV_BIN=$E2E_BIN
if ! as_user test -x "$E2E_BIN/gpbackup"; then
    for b in gpbackup gprestore gpbackup_manager; do
        cp "$E2E_BIN/$b" "$SRV_TMP/bin/$b"
        chmod 755 "$SRV_TMP/bin/$b"
    done
    SRV_BIN=$SRV_TMP/bin
fi
# gpAdminLogs go under $HOME, which must be the user's to write.
SRV_HOME="$SRV_TMP/home"
mkdir -p "$SRV_HOME"
chown "$SRV_USER" "$SRV_HOME" 2>/dev/null || true

# A helper that fails: prints its message to stderr and to --error-file.
BOOM="$SRV_TMP/bin/boom_helper"
cat >"$BOOM" <<'SH'
#!/bin/sh
errfile=""
while [ $# -gt 0 ]; do
    case $1 in
    --error-file) errfile=$2; shift 2 ;;
    *) shift ;;
    esac
done
echo "boom: disk on fire" >&2
if [ -n "$errfile" ]; then
    printf 'boom: disk on fire\n' >"$errfile"
fi
exit 1
SH
chmod 755 "$BOOM"

# run_as_srv PROGRAM args...: a program of the suite as the server's OS user,
# against the test cluster (PGUSER overridable with AS_PGUSER), from a
# directory it can read, with a watchdog.
run_as_srv() {
    local prog=$1
    shift
    (cd "$SRV_TMP" && timeout -k 5 "$E2E_CMD_TIMEOUT" \
        runuser -u "$SRV_USER" -- env HOME="$SRV_HOME" PGHOST="$PGHOST" PGPORT="$PGPORT" \
        PGUSER="${AS_PGUSER:-$PGUSER}" "$SRV_BIN/$prog" "$@")
}
srv_gpbackup() { run_as_srv gpbackup "$@"; }
srv_gprestore() { run_as_srv gprestore "$@"; }

# srv_backup_dir NAME: a fresh backup directory owned by the server's user.
srv_backup_dir() {
    local d="$SRV_TMP/${CASE_DIR##*/}/${1:-backups}"
    rm -rf "$d"
    mkdir -p "$d"
    chmod 755 "$(dirname "$d")"
    chown "$SRV_USER" "$d"
    chmod 700 "$d"
    echo "$d"
}

# srv_do_backup LOGNAME gpbackup-args...: as do_backup, as the server's user.
srv_do_backup() {
    local log="$CASE_DIR/$1.log" rc=0
    shift
    echo "+ gpbackup $* (as $SRV_USER)" >&2
    srv_gpbackup "$@" >"$log" 2>&1 || rc=$?
    cat "$log" >&2
    [ "$rc" -eq 0 ] || fail "gpbackup exited $rc, expected 0"
    backup_ts "$log"
}

srv_do_restore() {
    local log="$CASE_DIR/$1.log" rc=0
    shift
    echo "+ gprestore $* (as $SRV_USER)" >&2
    srv_gprestore "$@" >"$log" 2>&1 || rc=$?
    cat "$log" >&2
    [ "$rc" -eq 0 ] || fail "gprestore exited $rc, expected 0"
}

drop_db() {
    timeout -k 5 "$E2E_CMD_TIMEOUT" psql -X -q -v ON_ERROR_STOP=1 -d postgres \
        -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)"
}

require_binaries() {
    [ -x "$HELPER" ] || fail "$HELPER_BIN not found (make bin/gpbackup_helper)"
    [ -x "$MANAGER_BIN" ] || fail "$MANAGER_BIN not found (make bin/gpbackup_manager)"
}

# --- the source database -----------------------------------------------------

# ss_src, made once: names that need quoting, values with quotes, commas,
# newlines, carriage returns, backslashes, NULLs next to empty strings, a
# lone \. line inside a value, a generated and a dropped column, an empty
# table, and one big enough for several workers to matter.
ensure_src() {
    db_exists ss_src && return 0
    create_db ss_src_build
    q_file ss_src_build <<'SQL'
CREATE SCHEMA "Odd ""Schema""";
CREATE TABLE public.big (id integer PRIMARY KEY, v text, n numeric, ts timestamptz, b bytea);
INSERT INTO public.big
SELECT g, md5(g::text), g * 1.5, '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 minute',
       decode(md5(g::text), 'hex')
  FROM generate_series(1, 60000) g;
CREATE TABLE "Odd ""Schema"""."Mixed ""Quoted"" Name" ("Col, A" text, "select" integer, "new
line" text);
INSERT INTO "Odd ""Schema"""."Mixed ""Quoted"" Name" VALUES
    ('a,b', 1, 'x'),
    ('quote " inside', 2, NULL),
    ('', 3, ''),
    (NULL, NULL, NULL),
    (E'new\nline', 5, E'cr\r\nlf'),
    (E'back\\slash', 6, E'\\N'),
    (E'tab\there', 7, '\.'),
    (E'a\n\\.\nb', 8, E'\\.\n'),
    ('"', 9, '""'),
    ('ünïcödé 日本', 10, 'NULL'),
    (E'trailing\\', 11, ',');
CREATE TABLE public."with space" (id bigint, j jsonb, arr text[]);
INSERT INTO public."with space" VALUES
    (1, '{"k": "v \"q\" \\ x", "n": null}', ARRAY['a', NULL, 'b"c', E'd\\e', '']),
    (2, NULL, NULL),
    (3, '[]', '{}');
CREATE TABLE public.empty_t (id integer);
CREATE TABLE public.gen (id integer, dropme text, doubled integer GENERATED ALWAYS AS (id * 2) STORED,
                         note text);
INSERT INTO public.gen (id, dropme, note) SELECT g, 'x', E'line\n' || g FROM generate_series(1, 500) g;
ALTER TABLE public.gen DROP COLUMN dropme;
CREATE TABLE public.victim (id integer, v text);
INSERT INTO public.victim SELECT g, md5(g::text) FROM generate_series(1, 20000) g;
ANALYZE;
SQL
    q postgres "ALTER DATABASE ss_src_build RENAME TO ss_src"
}

# sidecar_checks SET TS: every data entry of the TOC has its file and a
# sidecar whose rows and checksum are the TOC's; the manifest lists both;
# no entry has per-segment files.
sidecar_checks() {
    python3 - "$1" "$2" <<'PY'
import os, sys, yaml
set_dir, ts = sys.argv[1], sys.argv[2]
toc = yaml.safe_load(open(os.path.join(set_dir, f"gpbackup_{ts}_toc.yaml")))
manifest_text = open(os.path.join(set_dir, f"gpbackup_{ts}_manifest.yaml")).read()
bad = []
if not toc["dataentries"]:
    bad.append("the TOC has no data entries")
for d in toc["dataentries"]:
    f = d["file"]
    if not f.startswith(f"gpbackup_-1_{ts}_"):
        bad.append(f"unexpected data file name {f}")
    if "segments" in d:
        bad.append(f"{f}: a server-side entry has segments")
    path = os.path.join(set_dir, f)
    meta = path + ".meta"
    if not os.path.isfile(path):
        bad.append(f"{f}: missing")
        continue
    if not os.path.isfile(meta):
        bad.append(f"{f}.meta: missing")
        continue
    if os.path.getsize(path) != d["filebytes"]:
        bad.append(f"{f}: {os.path.getsize(path)} bytes, the TOC says {d['filebytes']}")
    sc = yaml.safe_load(open(meta))
    for key, want in (("content", -1), ("rows", d["rowscopied"]), ("rawbytes", d["rawbytes"]),
                      ("filebytes", d["filebytes"]), ("checksum", d["checksum"])):
        if sc.get(key) != want:
            bad.append(f"{f}.meta: {key} {sc.get(key)!r}, expected {want!r}")
    for name in (f, f + ".meta"):
        if name not in manifest_text:
            bad.append(f"{name} is not listed in the manifest")
    if os.path.exists(path + ".err"):
        bad.append(f"{f}.err left behind")
for b in bad:
    print("FAIL:", b, file=sys.stderr)
print(f"{len(toc['dataentries'])} data entries checked", file=sys.stderr)
sys.exit(1 if bad else 0)
PY
}

data_file_of() { # SET TS OID: the data file name of table OID
    (cd "$1" && ls "gpbackup_-1_${2}_${3}".zst)
}

# --- (a) round trips -----------------------------------------------------------

test_round_trip() {
    local jobs=$1 dir ts set dst="ss_dst_j$1"
    require_binaries
    ensure_src
    dir=$(srv_backup_dir)
    ts=$(srv_do_backup backup --dbname ss_src --backup-dir "$dir" --server-side --jobs "$jobs" \
        --helper-path "$HELPER")
    set=$(backup_set_dir "$dir" "$ts")
    ls -la "$set" >&2
    [ -f "$set/gpbackup_${ts}_complete" ] || fail "no completion marker"
    assert_grep "$set/gpbackup_${ts}_config.yaml" '^datapath: server-side$' "config"
    assert_grep "$set/gpbackup_${ts}_config.yaml" '^status: Success$' "config"
    assert_grep "$set/gpbackup_${ts}_config.yaml" "^jobs: $jobs\$" "config"
    sidecar_checks "$set" "$ts"
    # Six tables, six data files, six sidecars.
    assert_eq 6 "$(find "$set" -name "gpbackup_-1_${ts}_*.zst" | wc -l)" "data files"
    assert_eq 6 "$(find "$set" -name "gpbackup_-1_${ts}_*.zst.meta" | wc -l)" "sidecars"
    expect_exit 0 gpbackup_manager verify "$ts" --backup-dir "$dir"

    drop_db "$dst"
    srv_do_restore restore --timestamp "$ts" --backup-dir "$dir" --create-db --redirect-db "$dst" \
        --jobs "$jobs" --helper-path "$HELPER"
    compare_dbs ss_src "$dst"
    # The empty table and the hostile one came back as they were.
    assert_eq 0 "$(q "$dst" 'SELECT count(*) FROM public.empty_t')" "rows of empty_t"
    assert_eq 11 "$(q "$dst" 'SELECT count(*) FROM "Odd ""Schema"""."Mixed ""Quoted"" Name"')" "rows"
    assert_eq 1 "$(q "$dst" "SELECT count(*) FROM \"Odd \"\"Schema\"\"\".\"Mixed \"\"Quoted\"\" Name\"
                          WHERE \"Col, A\" IS NULL AND \"select\" IS NULL")" "the all-NULL row"
    assert_eq 1 "$(q "$dst" "SELECT count(*) FROM \"Odd \"\"Schema\"\"\".\"Mixed \"\"Quoted\"\" Name\"
                          WHERE \"Col, A\" = '' AND \"new
line\" = ''")" "the empty-string row"
    assert_eq t "$(q "$dst" 'SELECT count(*) = 500 AND sum(doubled) = 2 * sum(id) FROM public.gen')" \
        "generated column"
    # The restore report is the set's, written by the server's user.
    assert_grep "$(ls "$set"/gprestore_"${ts}"_*_report)" 'restore status: *Success'
    drop_db "$dst"
}

# --- (b) a damaged data file ---------------------------------------------------

test_corrupt_file() {
    local dir ts set oid file db
    require_binaries
    ensure_src
    oid=$(q ss_src "SELECT 'public.victim'::regclass::oid")
    dir=$(srv_backup_dir)
    ts=$(srv_do_backup backup --dbname ss_src --backup-dir "$dir" --server-side --jobs 2 \
        --helper-path "$HELPER")
    set=$(backup_set_dir "$dir" "$ts")
    file=$(data_file_of "$set" "$ts" "$oid")
    # One byte in the middle, the size kept; nothing else is touched.
    python3 - "$set/$file" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0xFF
open(p, "wb").write(b)
PY

    db=ss_corrupt_dst
    drop_db "$db"
    expect_exit 2 srv_gprestore --timestamp "$ts" --backup-dir "$dir" --create-db --redirect-db "$db" \
        --jobs 2 --helper-path "$HELPER"
    assert_grep "$CASE_DIR/last.err" 'ERROR: could not restore data of table "public"\."victim"' "gprestore names the table"
    assert_grep "$CASE_DIR/last.err" 'checksum|damaged' "gprestore says the file is damaged"
    assert_grep "$CASE_DIR/last.err" 'INFO: restore failed'
    # Never partly loaded.
    assert_eq 0 "$(q "$db" 'SELECT count(*) FROM public.victim')" "rows of the damaged table"
    drop_db "$db"

    expect_exit 1 srv_gprestore --timestamp "$ts" --backup-dir "$dir" --create-db --redirect-db "$db" \
        --jobs 2 --helper-path "$HELPER" --on-error-continue
    assert_grep "$CASE_DIR/last.err" 'WARNING: could not restore data of table "public"\."victim"' "gprestore names the table"
    assert_grep "$CASE_DIR/last.err" 'checksum|damaged' "gprestore says the file is damaged"
    assert_eq 0 "$(q "$db" 'SELECT count(*) FROM public.victim')" "rows of the damaged table"
    assert_eq 60000 "$(q "$db" 'SELECT count(*) FROM public.big')" "rows of an undamaged table"
    assert_eq public.victim "$(cat "$(ls "$set"/gprestore_"${ts}"_*_error_tables_data | tail -n 1)")" \
        "error_tables_data"
    drop_db "$db"

    expect_exit 2 gpbackup_manager verify "$ts" --backup-dir "$dir"
    cat "$CASE_DIR/last.out" "$CASE_DIR/last.err" >"$CASE_DIR/verify.all"
    assert_grep "$CASE_DIR/verify.all" "$file" "verify names the damaged file"
    assert_grep "$CASE_DIR/last.err" 'failed verification' "verify's verdict"
}

# --- (c) the helper fails ------------------------------------------------------

test_helper_missing() {
    local dir ts missing="$SRV_TMP/no such dir/gpbackup_helper"
    require_binaries
    ensure_src
    dir=$(srv_backup_dir)
    expect_exit 2 srv_gpbackup --dbname ss_src --backup-dir "$dir" --server-side \
        --include-table public.victim --helper-path "$missing"
    assert_grep "$CASE_DIR/last.err" 'ERROR: could not back up table "public"\."victim"' "names the table"
    assert_grep "$CASE_DIR/last.err" "^HINT: .*$missing" "the hint names the helper path"
    ts=$(backup_ts "$CASE_DIR/last.err")
    assert_grep "$(backup_set_dir "$dir" "$ts")/gpbackup_${ts}_config.yaml" '^status: Failure$'
    [ ! -e "$(backup_set_dir "$dir" "$ts")/gpbackup_${ts}_complete" ] || fail "a failed set has its marker"

    # gprestore of a good set with a missing helper fails the same way.
    ts=$(srv_do_backup backup --dbname ss_src --backup-dir "$dir" --server-side \
        --include-table public.victim --helper-path "$HELPER")
    drop_db ss_nohelper_dst
    expect_exit 2 srv_gprestore --timestamp "$ts" --backup-dir "$dir" --create-db \
        --redirect-db ss_nohelper_dst --helper-path "$missing"
    assert_grep "$CASE_DIR/last.err" 'ERROR: could not restore data of table "public"\."victim"' "names the table"
    assert_grep "$CASE_DIR/last.err" "^HINT: .*$missing" "the hint names the helper path"
    assert_eq 0 "$(q ss_nohelper_dst 'SELECT count(*) FROM public.victim')" "rows loaded"
    drop_db ss_nohelper_dst
}

test_helper_fails() {
    local dir ts
    require_binaries
    ensure_src
    dir=$(srv_backup_dir)
    expect_exit 2 srv_gpbackup --dbname ss_src --backup-dir "$dir" --server-side \
        --include-table public.victim --helper-path "$BOOM"
    assert_grep "$CASE_DIR/last.err" 'ERROR: could not back up table "public"\."victim"' "names the table"
    # The helper's own words, read back from its error file by the server.
    assert_grep "$CASE_DIR/last.err" 'boom: disk on fire' "the helper's message"
    assert_grep "$CASE_DIR/last.err" "^HINT: .*$BOOM" "the hint names the helper path"
    ts=$(backup_ts "$CASE_DIR/last.err")
    assert_grep "$(backup_set_dir "$dir" "$ts")/gpbackup_${ts}_config.yaml" '^status: Failure$'

    # The same on restore: the helper's error file is read back too.
    ts=$(srv_do_backup backup --dbname ss_src --backup-dir "$dir" --server-side \
        --include-table public.victim --helper-path "$HELPER")
    drop_db ss_boom_dst
    expect_exit 2 srv_gprestore --timestamp "$ts" --backup-dir "$dir" --create-db \
        --redirect-db ss_boom_dst --helper-path "$BOOM"
    assert_grep "$CASE_DIR/last.err" 'ERROR: could not restore data of table "public"\."victim"' "names the table"
    assert_grep "$CASE_DIR/last.err" 'boom: disk on fire' "the helper's message"
    assert_eq 0 "$(q ss_boom_dst 'SELECT count(*) FROM public.victim')" "rows loaded"
    drop_db ss_boom_dst
}

# --- (d) permissions -----------------------------------------------------------

NP_ROLE=ss_nosuper
np_setup() {
    np_cleanup
    q postgres "CREATE ROLE $NP_ROLE LOGIN"
    q postgres "CREATE DATABASE ss_np OWNER $NP_ROLE"
    PGUSER=$NP_ROLE q ss_np "CREATE TABLE public.mine (id integer, v text);
        INSERT INTO public.mine SELECT g, 'v' || g FROM generate_series(1, 100) g"
}
np_cleanup() {
    drop_db ss_np
    drop_db ss_np_dst
    q postgres "DROP ROLE IF EXISTS $NP_ROLE"
}

test_not_privileged() {
    local dir
    require_binaries
    np_setup
    dir=$(srv_backup_dir)
    # A normal backup works for this role: only the server-side path needs more.
    AS_PGUSER=$NP_ROLE srv_do_backup plain --dbname ss_np --backup-dir "$dir" --without-globals >/dev/null
    AS_PGUSER=$NP_ROLE expect_exit 2 srv_gpbackup --dbname ss_np --backup-dir "$dir" --server-side \
        --without-globals --helper-path "$HELPER"
    assert_grep "$CASE_DIR/last.err" 'ERROR: could not back up table "public"\."mine"' "an error"
    assert_grep "$CASE_DIR/last.err" 'permission denied|pg_execute_server_program|superuser' \
        "a permission message"
    np_cleanup
}

test_privileged_role() {
    local dir ts
    require_binaries
    np_setup
    q postgres "GRANT pg_execute_server_program, pg_read_server_files TO $NP_ROLE"
    # The sidecars are read back with pg_read_file, which PostgreSQL revokes
    # from PUBLIC: pg_read_server_files alone does not grant EXECUTE on it.
    # (A grant in the database backed up; pg_proc is per database.)
    q ss_np "GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_file(text, bigint, bigint, boolean) TO $NP_ROLE"
    dir=$(srv_backup_dir)
    ts=$(AS_PGUSER=$NP_ROLE srv_do_backup backup --dbname ss_np --backup-dir "$dir" --server-side \
        --without-globals --helper-path "$HELPER")
    sidecar_checks "$(backup_set_dir "$dir" "$ts")" "$ts"
    drop_db ss_np_dst
    q postgres "CREATE DATABASE ss_np_dst OWNER $NP_ROLE"
    AS_PGUSER=$NP_ROLE srv_do_restore restore --timestamp "$ts" --backup-dir "$dir" \
        --redirect-db ss_np_dst --helper-path "$HELPER"
    assert_eq 100 "$(q ss_np_dst 'SELECT count(*) FROM public.mine')" "rows restored"
    np_cleanup
}

# --- (e) --single-backup-dir ---------------------------------------------------

test_single_backup_dir() {
    local dir
    require_binaries
    ensure_src
    dir=$(srv_backup_dir)
    expect_exit 2 srv_gpbackup --dbname ss_src --backup-dir "$dir" --server-side --single-backup-dir \
        --helper-path "$HELPER"
    assert_grep "$CASE_DIR/last.err" 'single-backup-dir.*(Greenplum|Cloudberry)'
    [ ! -e "$dir/backups" ] || fail "a refused backup created $dir/backups"
    # Without --server-side too.
    expect_exit 2 srv_gpbackup --dbname ss_src --backup-dir "$dir" --single-backup-dir
    assert_grep "$CASE_DIR/last.err" 'single-backup-dir.*(Greenplum|Cloudberry)'
}

run_test roundtrip_jobs1 test_round_trip 1
run_test roundtrip_jobs3 test_round_trip 3
run_test corrupt_file test_corrupt_file
run_test helper_missing test_helper_missing
run_test helper_fails test_helper_fails
run_test not_privileged test_not_privileged
run_test privileged_role test_privileged_role
run_test single_backup_dir test_single_backup_dir
finish
