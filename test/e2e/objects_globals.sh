#!/bin/bash
# Globals and the database's own metadata: roles with attributes, password
# hashes, comments, memberships and settings, a tablespace, recreated by
# gprestore --with-globals after they were dropped, and replayed a second
# time over existing ones (idempotent); the database's owner, comment,
# settings, role settings, connection limit and privileges through
# --create-db --redirect-db; the source's locale for --create-db;
# --without-globals; planner statistics with --with-stats (stale on
# purpose, so that only a restore of them can match) and --run-analyze.
#
# The cluster is shared with the other test files: every role, database and
# tablespace made here is named gt_* and dropped by the case that made it.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_cluster

ROLES="gt_owner gt_reader gt_group gt_nologin"

# quiet SQL...: each statement on its own (DROP DATABASE runs in no
# transaction block), notices off.
quiet() {
    local args=() sql
    for sql in "$@"; do
        args+=(-c "$sql")
    done
    timeout -k 5 "$E2E_CMD_TIMEOUT" psql -X -q -v ON_ERROR_STOP=1 -d postgres \
        -c "SET client_min_messages = warning" "${args[@]}"
}

drop_roles() {
    local r
    for r in $ROLES; do
        quiet "DROP ROLE IF EXISTS $r"
    done
}

drop_dbs() {
    local d
    for d in "$@"; do
        quiet "DROP DATABASE IF EXISTS \"$d\""
    done
}

# The server's data directory's parent is the server user's: a tablespace
# directory there is usable (our own case directory is not readable by it).
tablespace_dir() {
    local dd
    dd=$(q postgres "SHOW data_directory")
    echo "$(dirname "$dd")/gt_ts_dir"
}

make_tablespace_dir() {
    local dir owner
    dir=$(tablespace_dir)
    owner=$(stat -c %U "$(dirname "$dir")")
    rm -rf "$dir"
    mkdir -p "$dir" && chown "$owner" "$dir" 2>/dev/null
}

# Everything about the gt_* roles and tablespace that --with-globals restores.
globals_state() {
    q postgres "SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin,
                       rolreplication, rolbypassrls, rolconnlimit, rolvaliduntil, rolpassword,
                       shobj_description(oid, 'pg_authid')
                FROM pg_authid WHERE rolname LIKE 'gt\_%' ORDER BY 1"
    q postgres "SELECT r.rolname, m.rolname, g.rolname, a.admin_option
                FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid
                JOIN pg_roles m ON m.oid = a.member LEFT JOIN pg_roles g ON g.oid = a.grantor
                WHERE r.rolname LIKE 'gt\_%' OR m.rolname LIKE 'gt\_%' ORDER BY 1, 2"
    q postgres "SELECT r.rolname, s.setconfig FROM pg_db_role_setting s
                JOIN pg_roles r ON r.oid = s.setrole
                WHERE s.setdatabase = 0 AND r.rolname LIKE 'gt\_%' ORDER BY 1"
    q postgres "SELECT spcname, pg_get_userbyid(spcowner), spcacl, spcoptions,
                       pg_tablespace_location(oid), shobj_description(oid, 'pg_tablespace')
                FROM pg_tablespace WHERE spcname LIKE 'gt\_%' ORDER BY 1"
}

# The database's own properties, without its name.
database_state() {
    local db=$1
    q postgres "SELECT pg_get_userbyid(datdba), datconnlimit, datistemplate, datacl,
                       shobj_description(oid, 'pg_database'), pg_encoding_to_char(encoding),
                       datcollate, datctype, datlocprovider, daticulocale
                FROM pg_database WHERE datname = '$db'"
    q postgres "SELECT coalesce(r.rolname, '-'), s.setconfig FROM pg_db_role_setting s
                LEFT JOIN pg_roles r ON r.oid = s.setrole
                WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = '$db')
                ORDER BY 1"
}

# pg_dump --schema-only --create with the database's name taken out.
create_dump() {
    pg_dump --schema-only --create -d "$1" |
        sed -e '/^\\restrict /d' -e '/^\\unrestrict /d' -e "s/\b$1\b/DBNAME/g"
}

setup_globals() {
    local tsdir=$1
    q_file postgres <<SQL
SET client_min_messages = warning;
CREATE ROLE gt_owner LOGIN CREATEDB PASSWORD 'owner secret' CONNECTION LIMIT 7
    VALID UNTIL '2099-01-02 03:04:05+00';
CREATE ROLE gt_reader LOGIN PASSWORD 'md5 or scram' NOINHERIT;
CREATE ROLE gt_group NOLOGIN;
CREATE ROLE gt_nologin;
COMMENT ON ROLE gt_owner IS 'owns the test database';
GRANT gt_group TO gt_reader WITH ADMIN OPTION;
GRANT gt_group TO gt_owner;
GRANT pg_read_all_stats TO gt_reader;
ALTER ROLE gt_owner SET search_path TO "\$user", public, "odd name";
ALTER ROLE gt_owner SET work_mem = '3MB';
ALTER ROLE gt_reader SET statement_timeout = '7s';
CREATE TABLESPACE gt_space OWNER gt_owner LOCATION '$tsdir';
ALTER TABLESPACE gt_space SET (random_page_cost = 1.5);
COMMENT ON TABLESPACE gt_space IS 'test tablespace';
GRANT CREATE ON TABLESPACE gt_space TO gt_reader;
SQL
}

setup_database() {
    local db=$1
    q_file postgres <<SQL
SET client_min_messages = warning;
ALTER DATABASE $db OWNER TO gt_owner;
COMMENT ON DATABASE $db IS 'the "test" database, 100% real, \$gpb\$ inside';
ALTER DATABASE $db SET work_mem = '5MB';
ALTER DATABASE $db SET search_path TO public, "\$\$weird";
ALTER DATABASE $db CONNECTION LIMIT 20;
ALTER ROLE gt_reader IN DATABASE $db SET work_mem = '6MB';
REVOKE TEMPORARY ON DATABASE $db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE $db TO gt_reader WITH GRANT OPTION;
SQL
    q_file "$db" <<'SQL'
SET client_min_messages = warning;
CREATE SCHEMA gs AUTHORIZATION gt_owner;
CREATE TABLE gs.t (id int PRIMARY KEY, v text) TABLESPACE gt_space;
ALTER TABLE gs.t OWNER TO gt_owner;
GRANT SELECT ON gs.t TO gt_reader;
INSERT INTO gs.t SELECT g, 'v' || g FROM generate_series(1, 50) g;
-- A function whose body uses a table created after it: restorable only
-- with check_function_bodies off.
SET check_function_bodies = off;
CREATE FUNCTION gs.a_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM gs.z_later';
CREATE TABLE gs.z_later (x int);
SQL
}

test_globals_roundtrip() {
    local dir ts tsdir before after
    drop_dbs gt_src gt_dst gt_dst2 gt_plain gt_plain2
    quiet "DROP TABLESPACE IF EXISTS gt_space"
    drop_roles
    tsdir=$(tablespace_dir)
    make_tablespace_dir || { echo "cannot make a tablespace directory here: skipped" >&2; return 0; }
    setup_globals "$tsdir"
    create_db gt_src
    setup_database gt_src
    dir=$(new_backup_dir)
    ts=$(do_backup backup --dbname gt_src --backup-dir "$dir" --jobs 2)
    before=$(globals_state)
    create_dump gt_src >"$CASE_DIR/src.dump"
    database_state gt_src >"$CASE_DIR/db.src"
    # The password hashes are in the metadata file (mode 0600) and nowhere else.
    local set
    set=$(backup_set_dir "$dir" "$ts")
    assert_grep "$set/gpbackup_${ts}_metadata.sql" "ALTER ROLE \"gt_owner\" PASSWORD 'SCRAM-SHA-256"
    assert_eq "600" "$(stat -c %a "$set/gpbackup_${ts}_metadata.sql")" "mode of the metadata file"
    assert_no_grep "$set/gpbackup_${ts}_report" "SCRAM-SHA-256"
    assert_grep "$set/gpbackup_${ts}_config.yaml" "^withoutglobals: false"

    # Everything goes: the database, the tablespace, the roles.
    drop_dbs gt_src
    q postgres "DROP TABLESPACE gt_space"
    drop_roles
    assert_eq "0" "$(q postgres "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'gt\_%'")" "roles dropped"

    # --debug logs every statement: still no hash in the output.
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --create-db --redirect-db gt_dst \
        --with-globals --jobs 2 --debug
    assert_no_grep "$CASE_DIR/restore.log" "SCRAM-SHA-256"
    for f in "$set"/gprestore_*; do
        assert_no_grep "$f" "SCRAM-SHA-256"
    done
    after=$(globals_state)
    if [ "$before" != "$after" ]; then
        diff <(echo "$before") <(echo "$after") >&2 || true
        fail "globals differ after --with-globals"
    fi
    database_state gt_dst >"$CASE_DIR/db.dst"
    diff -u "$CASE_DIR/db.src" "$CASE_DIR/db.dst" >&2 || fail "database properties differ"
    create_dump gt_dst >"$CASE_DIR/dst.dump"
    diff -u "$CASE_DIR/src.dump" "$CASE_DIR/dst.dump" >&2 || fail "pg_dump --create output differs"
    assert_eq "50" "$(q gt_dst "SELECT count(*) FROM gs.t")" "rows restored"
    assert_eq "gt_space" "$(q gt_dst "SELECT spcname FROM pg_class c JOIN pg_tablespace t ON t.oid = c.reltablespace WHERE c.oid = 'gs.t'::regclass")" "table's tablespace"

    # Again, over existing roles and tablespace: nothing fails, nothing changes.
    do_restore restore2 --timestamp "$ts" --backup-dir "$dir" --create-db --redirect-db gt_dst2 \
        --with-globals
    assert_grep "$CASE_DIR/restore2.log" 'tablespace "gt_space" already exists'
    after=$(globals_state)
    assert_eq "$before" "$after" "globals after a second --with-globals"
    database_state gt_dst2 >"$CASE_DIR/db.dst2"
    diff -u "$CASE_DIR/db.src" "$CASE_DIR/db.dst2" >&2 || fail "database properties differ (second restore)"

    # Without --create-db and --with-globals the database's own properties
    # are left alone.
    create_db gt_plain
    do_restore restore3 --timestamp "$ts" --backup-dir "$dir" --redirect-db gt_plain
    assert_eq "" "$(q postgres "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = 'gt_plain'")" "comment of a database restored into"
    # With --with-globals they are, and the globals run on the connection to
    # the existing database.
    create_db gt_plain2
    do_restore restore4 --timestamp "$ts" --backup-dir "$dir" --redirect-db gt_plain2 --with-globals
    database_state gt_plain2 >"$CASE_DIR/db.plain2"
    diff -u "$CASE_DIR/db.src" "$CASE_DIR/db.plain2" >&2 || fail "database properties differ (--with-globals, no --create-db)"
    assert_eq "$before" "$(globals_state)" "globals after --with-globals into an existing database"

    drop_dbs gt_dst gt_dst2 gt_plain gt_plain2
    q postgres "DROP TABLESPACE gt_space"
    drop_roles
    rm -rf "$tsdir"
}

test_without_globals() {
    local dir ts set
    create_db gt_wg_src
    q postgres "COMMENT ON DATABASE gt_wg_src IS 'kept without globals'"
    q gt_wg_src "CREATE TABLE t (a int); INSERT INTO t VALUES (1)"
    dir=$(new_backup_dir)
    ts=$(do_backup backup --dbname gt_wg_src --backup-dir "$dir" --without-globals)
    set=$(backup_set_dir "$dir" "$ts")
    assert_grep "$set/gpbackup_${ts}_toc.yaml" '^globalentries: \[\]'
    assert_grep "$set/gpbackup_${ts}_config.yaml" '^withoutglobals: true'
    assert_no_grep "$set/gpbackup_${ts}_metadata.sql" 'CREATE ROLE|PASSWORD'
    # The database's own metadata is not a global: it is still there.
    assert_grep "$set/gpbackup_${ts}_toc.yaml" 'objecttype: DATABASE METADATA'
    expect_exit 2 "$GPRESTORE_BIN" --timestamp "$ts" --backup-dir "$dir" --create-db \
        --redirect-db gt_wg_none --with-globals
    assert_grep "$CASE_DIR/last.err" 'holds no globals.*--without-globals'
    db_exists gt_wg_none && fail "no database should be created"
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --create-db --redirect-db gt_wg_dst
    compare_dbs gt_wg_src gt_wg_dst
    assert_eq "kept without globals" "$(q postgres "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = 'gt_wg_dst'")" "database comment"
    drop_dbs gt_wg_src gt_wg_dst
}

# A database in another locale than the cluster's default keeps it through
# --create-db.
test_locale() {
    local dir ts default other
    default=$(q postgres "SELECT datcollate FROM pg_database WHERE datname = 'template1'")
    drop_dbs gt_loc_src gt_loc_dst gt_icu_src gt_icu_dst
    if [ "$default" != "C" ]; then
        other=C
    elif locale -a 2>/dev/null | grep -qix 'c\.utf-\{0,1\}8'; then
        other=C.UTF-8
    fi
    if [ -n "${other:-}" ]; then
        q postgres "CREATE DATABASE gt_loc_src TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE '$other' LC_CTYPE '$other'"
        q gt_loc_src "CREATE TABLE t (s text); INSERT INTO t VALUES ('a'), ('B'), ('é')"
        dir=$(new_backup_dir loc)
        ts=$(do_backup backup --dbname gt_loc_src --backup-dir "$dir")
        do_restore restore --timestamp "$ts" --backup-dir "$dir" --create-db --redirect-db gt_loc_dst
        assert_eq "$(database_state gt_loc_src)" "$(database_state gt_loc_dst)" "locale and encoding"
        diff -u <(create_dump gt_loc_src) <(create_dump gt_loc_dst) >&2 || fail "pg_dump --create output differs"
        assert_eq "$(q gt_loc_src "SELECT string_agg(s, ',' ORDER BY s) FROM t")" \
            "$(q gt_loc_dst "SELECT string_agg(s, ',' ORDER BY s) FROM t")" "sort order"
    else
        echo "only the C locale here: libc case skipped" >&2
    fi
    # ICU, where the server has it.
    if q postgres "CREATE DATABASE gt_icu_src TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LC_COLLATE 'C' LC_CTYPE 'C'" 2>/dev/null; then
        dir=$(new_backup_dir icu)
        ts=$(do_backup backup_icu --dbname gt_icu_src --backup-dir "$dir")
        assert_grep "$(backup_set_dir "$dir" "$ts")/gpbackup_${ts}_config.yaml" '^databaselocaleprovider: icu'
        do_restore restore_icu --timestamp "$ts" --backup-dir "$dir" --create-db --redirect-db gt_icu_dst
        assert_eq "$(database_state gt_icu_src)" "$(database_state gt_icu_dst)" "ICU locale"
        diff -u <(create_dump gt_icu_src) <(create_dump gt_icu_dst) >&2 || fail "pg_dump --create output differs (ICU)"
    else
        echo "no ICU in this server: ICU case skipped" >&2
    fi
    drop_dbs gt_loc_src gt_loc_dst gt_icu_src gt_icu_dst
}

stats_sql() {
    cat <<'SQL'
SET client_min_messages = warning;
CREATE SCHEMA gs;
CREATE DOMAIN gs.posint AS int CHECK (VALUE > 0);
-- A dropped column: the restored table numbers its columns differently.
-- ucs_basic is a collation whose oid is not fixed: found by name.
CREATE TABLE gs.t (dropme int, id int PRIMARY KEY, n gs.posint, s text, c text COLLATE "C",
                   u text COLLATE ucs_basic, arr int[], doc tsvector, r int4range, f float8)
    WITH (autovacuum_enabled = false);
ALTER TABLE gs.t DROP COLUMN dropme;
INSERT INTO gs.t SELECT g, g % 17 + 1, 'word' || (g % 23), 'c' || (g % 5), 'u' || (g % 11),
                        ARRAY[g % 3, g % 7], to_tsvector('simple', 'alpha beta g' || (g % 9)),
                        int4range(g % 10, g % 10 + 5), g / 7.0
                 FROM generate_series(1, 3000) g;
CREATE INDEX t_s ON gs.t (s);
CREATE TABLE gs.p (k int, v text) PARTITION BY RANGE (k);
CREATE TABLE gs.p1 PARTITION OF gs.p FOR VALUES FROM (0) TO (500) WITH (autovacuum_enabled = false);
CREATE TABLE gs.p2 PARTITION OF gs.p FOR VALUES FROM (500) TO (1000) WITH (autovacuum_enabled = false);
INSERT INTO gs.p SELECT g % 1000, 'v' || (g % 13) FROM generate_series(1, 2000) g;
CREATE TABLE gs.never (a int) WITH (autovacuum_enabled = false);
INSERT INTO gs.never VALUES (1), (2);
ANALYZE gs.t, gs.p, gs.p1, gs.p2;
-- Stale on purpose: a fresh ANALYZE would now give other numbers.
DELETE FROM gs.t WHERE id % 3 = 0;
DELETE FROM gs.p WHERE k < 300;
SQL
}

stats_state() {
    q "$1" "SELECT tablename, attname, inherited, null_frac, avg_width, n_distinct,
                   most_common_vals::text, most_common_freqs::text, histogram_bounds::text,
                   correlation, most_common_elems::text, most_common_elem_freqs::text,
                   elem_count_histogram::text
            FROM pg_stats WHERE schemaname = 'gs' ORDER BY 1, 2, 3"
    q "$1" "SELECT c.relname, c.relpages, c.reltuples, c.relallvisible
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'gs' AND c.relkind IN ('r', 'p') ORDER BY 1"
}

test_statistics() {
    local dir ts set
    drop_dbs gt_st_src gt_st_dst gt_st_plain gt_st_ns
    quiet "DROP ROLE IF EXISTS gt_nosuper"
    create_db gt_st_src
    stats_sql | q_file gt_st_src
    dir=$(new_backup_dir)
    ts=$(do_backup backup --dbname gt_st_src --backup-dir "$dir" --jobs 2 --with-stats)
    set=$(backup_set_dir "$dir" "$ts")
    [ -f "$set/gpbackup_${ts}_statistics.sql" ] || fail "no statistics file"
    assert_grep "$set/gpbackup_${ts}_manifest.yaml" "gpbackup_${ts}_statistics.sql"
    assert_grep "$set/gpbackup_${ts}_config.yaml" '^withstatistics: true'
    assert_grep "$set/gpbackup_${ts}_toc.yaml" 'objecttype: STATISTICS'
    assert_grep "$set/gpbackup_${ts}_statistics.sql" "a.attname = 'arr'"
    assert_grep "$set/gpbackup_${ts}_statistics.sql" "c.collname = 'ucs_basic'"

    do_restore restore --timestamp "$ts" --backup-dir "$dir" --create-db --redirect-db gt_st_dst \
        --jobs 3 --with-stats
    stats_state gt_st_src >"$CASE_DIR/stats.src"
    # The same collations, whatever their oids.
    assert_eq "$(q gt_st_src "SELECT string_agg(coalesce(c.collname, '-'), ',' ORDER BY a.attname) FROM pg_statistic s JOIN pg_attribute a ON a.attrelid = s.starelid AND a.attnum = s.staattnum LEFT JOIN pg_collation c ON c.oid = s.stacoll1 WHERE s.starelid = 'gs.t'::regclass")" \
        "$(q gt_st_dst "SELECT string_agg(coalesce(c.collname, '-'), ',' ORDER BY a.attname) FROM pg_statistic s JOIN pg_attribute a ON a.attrelid = s.starelid AND a.attnum = s.staattnum LEFT JOIN pg_collation c ON c.oid = s.stacoll1 WHERE s.starelid = 'gs.t'::regclass")" "collations of the statistics"
    stats_state gt_st_dst >"$CASE_DIR/stats.dst"
    [ -s "$CASE_DIR/stats.src" ] || fail "no statistics in the source"
    diff -u "$CASE_DIR/stats.src" "$CASE_DIR/stats.dst" >&2 || fail "statistics differ"
    compare_dbs gt_st_src gt_st_dst

    # Only a superuser may write statistics: refused before anything is restored.
    q postgres "CREATE ROLE gt_nosuper LOGIN"
    create_db gt_st_plain
    expect_exit 2 "$GPRESTORE_BIN" --timestamp "$ts" --backup-dir "$dir" --redirect-db gt_st_plain \
        --username gt_nosuper --with-stats
    assert_grep "$CASE_DIR/last.err" 'with-stats needs a superuser'
    assert_eq "0" "$(q gt_st_plain "SELECT count(*) FROM pg_namespace WHERE nspname = 'gs'")" "nothing restored"
    # Nor read them: a backup by another user fails with a hint; without
    # --with-stats it goes on, without role passwords.
    q postgres "CREATE DATABASE gt_st_ns OWNER gt_nosuper"
    expect_exit 2 "$GPBACKUP_BIN" --dbname gt_st_ns --username gt_nosuper --backup-dir "$dir" --with-stats
    assert_grep "$CASE_DIR/last.err" 'only superusers may read pg_statistic'
    expect_exit 0 "$GPBACKUP_BIN" --dbname gt_st_ns --username gt_nosuper --backup-dir "$dir"
    assert_grep "$CASE_DIR/last.err" 'role passwords are not backed up'
    drop_dbs gt_st_ns
    # A backup without statistics cannot give any; the two options exclude each other.
    local ts2
    ts2=$(do_backup backup2 --dbname gt_st_src --backup-dir "$dir" --metadata-only)
    expect_exit 2 "$GPRESTORE_BIN" --timestamp "$ts2" --backup-dir "$dir" --redirect-db gt_st_plain \
        --with-stats
    assert_grep "$CASE_DIR/last.err" 'holds no statistics'
    expect_exit 2 "$GPRESTORE_BIN" --timestamp "$ts" --backup-dir "$dir" --redirect-db gt_st_plain \
        --with-stats --run-analyze --port 1
    assert_grep "$CASE_DIR/last.err" 'options --with-stats and --run-analyze cannot be used together'
    drop_dbs gt_st_src gt_st_dst gt_st_plain
    q postgres "DROP ROLE gt_nosuper"
}

test_run_analyze() {
    local dir ts n i
    drop_dbs gt_an_src gt_an_dst
    create_db gt_an_src
    stats_sql | q_file gt_an_src
    dir=$(new_backup_dir)
    ts=$(do_backup backup --dbname gt_an_src --backup-dir "$dir")
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --create-db --redirect-db gt_an_dst \
        --jobs 2 --run-analyze
    assert_grep "$CASE_DIR/restore.log" 'analyzing 4 tables'
    # Statistics reach the views when the backends report them.
    for i in 1 2 3 4 5 6 7 8 9 10; do
        n=$(q gt_an_dst "SELECT count(*) FROM pg_stat_user_tables WHERE schemaname = 'gs' AND last_analyze IS NOT NULL")
        [ "$n" = 4 ] && break
        sleep 0.5
    done
    assert_eq "4" "$n" "tables analyzed (pg_stat_user_tables.last_analyze)"
    # Fresh statistics: the estimate is the real count.
    assert_eq "2000" "$(q gt_an_dst "SELECT reltuples::int FROM pg_class WHERE oid = 'gs.t'::regclass")" "reltuples after ANALYZE"
    compare_dbs gt_an_src gt_an_dst
    drop_dbs gt_an_src gt_an_dst
}

run_test globals_roundtrip test_globals_roundtrip
run_test without_globals test_without_globals
run_test locale test_locale
run_test statistics test_statistics
run_test run_analyze test_run_analyze
finish
