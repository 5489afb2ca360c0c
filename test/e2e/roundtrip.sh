#!/bin/bash
# Round trips: back up a database full of awkward names, types, values and
# constraints, restore it into a new database, and require that both are the
# same (per-table checksums and pg_dump --schema-only), with --jobs 1 and 4,
# each compression, metadata-only, data-only and the include/exclude filters.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_cluster

TEMPLATE=rt_template

# The source database, built once as a template; every case copies it.
source_sql() {
    cat <<'SQL'
SET client_min_messages = warning;

CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy', 'it''s "complicated"');
CREATE DOMAIN public.posint AS integer CONSTRAINT posint_check CHECK (VALUE > 0);

CREATE SCHEMA "Weird ""Schema"" Name";
CREATE SCHEMA "café";
CREATE SCHEMA "select";
CREATE SCHEMA s;
COMMENT ON SCHEMA "café" IS 'a schema with a unicode name';
COMMENT ON SCHEMA s IS 'excluded by --exclude-schema s';

-- Every type, and the values that break naive COPY/CSV/quoting code.
CREATE TABLE public.types (
    id serial PRIMARY KEY,
    i integer NOT NULL DEFAULT 0,
    dropme integer,
    b bigint,
    n numeric(20,5),
    nn numeric,
    f8 double precision,
    f4 real,
    t text,
    vc varchar(20),
    ch char(5),
    by bytea,
    bo boolean,
    d date,
    ts timestamp,
    tstz timestamptz,
    iv interval,
    u uuid,
    j json,
    jb jsonb,
    ia integer[],
    ta text[],
    m public.mood,
    p public.posint,
    ip inet,
    CONSTRAINT types_vc_key UNIQUE (vc)
);
ALTER TABLE public.types DROP COLUMN dropme;
INSERT INTO public.types (i, b, n, nn, f8, f4, t, vc, ch, by, bo, d, ts, tstz, iv, u, j, jb, ia, ta, m, p, ip) VALUES
 (1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (2, 0, 0, 0, 0, 0, '', '', '', '', false, '2000-01-01', '2000-01-01 00:00', '2000-01-01 00:00+00', '0', '00000000-0000-0000-0000-000000000000', '""', '""', '{}', '{}', 'sad', 1, '0.0.0.0'),
 (3, 9223372036854775807, 123456789012345.12345, 'NaN', 'NaN', 'NaN', E'tab\there', 'tab	vc', 'a', '\x00ff5c0a0d'::bytea, true, 'infinity', 'infinity', 'infinity', '1 year 2 mons -3 days 04:05:06.789', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a" : [1, 2,  "x\ty"], "b": null}', '{"a": [1, 2, "x\ty"], "b": null}', '{1,NULL,-3}', ARRAY['a,b', 'c"d', NULL, '', E'e\\f', ' sp ', 'NULL'], 'happy', 2147483647, '::1'),
 (4, -9223372036854775808, -99999.99999, 'Infinity', 'Infinity', 'Infinity', E'new\nline', E'cr\rlf\r\n', 'ab', '\x'::bytea, NULL, '-infinity', '-infinity', '-infinity', '-178000000 years', NULL, '[]', '[]', '{{1,2},{3,4}}', '{"{}","\\"}', 'it''s "complicated"', 3, '192.168.1.0/24'),
 (5, 5, 0.00001, '-Infinity', '-Infinity', '-Infinity', E'back\\slash \\N \\. \\\\', E'\\N', E'\\.', E'\\\\x00'::bytea, true, '0001-01-01 BC', '0001-01-01 00:00:00 BC', '1970-01-01 00:00:00.000001+00', '-1 microseconds', NULL, 'null', 'null', '{2147483647}', ARRAY[E'x\ny', E'tab\t', E'\\'], 'ok', 4, NULL),
 (6, 6, 1e-20, 1.0e100, -0.0, '1e-45', E'line1\n\\.\nline3', 'NULL', 'NULL', NULL, false, '2024-02-29', '2024-02-29 23:59:59.999999', '2024-02-29 23:59:59.999999-12', '23:59:59.999999', gen_random_uuid(), '{"nested": {"deep": ["\u00e9", "\\n"]}}', '{"nested": {"deep": ["\u00e9", "\\n"]}}', NULL, ARRAY[NULL, NULL]::text[], NULL, 5, '10.0.0.1'),
 (7, 7, 3.14159, 0.1, 0.1, 0.1, E'quotes '' " `, commas ,,, semicolons ;', 'a,b;c', '"x"', 'abc'::bytea, true, '1999-12-31', '1999-12-31 23:59:59', '1999-12-31 23:59:59+14', '-1 days +02:03', NULL, '{"k": "v, \"w\""}', '{"k": "v, \"w\""}', '{0}', ARRAY['"', '''', ',', '{', '}', ' '], NULL, 6, NULL),
 (8, 8, 1.5, 2.5, 1e308, 3.4e38, 'héllo wörld ✓ 表 🎉', 'ünï', 'ß', convert_to('ünï', 'UTF8'), false, '2038-01-19', '2038-01-19 03:14:08', '2038-01-19 03:14:08+00', '1000000 hours', NULL, '{"emoji": "🎉"}', '{"emoji": "🎉"}', '{}', ARRAY['表', '🎉'], 'happy', 7, NULL),
 (9, 9, NULL, NULL, 4.9e-324, NULL, E'ends with backslash\\', E'\t', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (10, 10, NULL, NULL, NULL, NULL, '\.', '\', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
CREATE INDEX types_lower_t_idx ON public.types (lower(t));
COMMENT ON TABLE public.types IS 'kitchen sink: every type, awkward values';
COMMENT ON COLUMN public.types.t IS 'text with ''quotes'' and "double quotes"';
COMMENT ON INDEX public.types_lower_t_idx IS 'expression index';

-- Identity, generated column, defaults, checks.
CREATE TABLE public.gen (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    a integer NOT NULL,
    b integer NOT NULL DEFAULT 7,
    total integer GENERATED ALWAYS AS (a * 2 + b) STORED,
    note text DEFAULT 'n/a' CHECK (note <> 'forbidden')
);
INSERT INTO public.gen (a, note) SELECT g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'row ' || g END FROM generate_series(1, 1000) g;

-- Keys, foreign keys (with ON DELETE CASCADE, self-reference, across quoted names).
CREATE TABLE public.parent (
    id integer PRIMARY KEY,
    code text NOT NULL UNIQUE,
    CONSTRAINT parent_code_check CHECK (length(code) > 0)
);
CREATE TABLE public.child (
    id integer PRIMARY KEY,
    parent_id integer NOT NULL REFERENCES public.parent (id) ON DELETE CASCADE,
    parent_code text REFERENCES public.parent (code),
    qty integer CHECK (qty >= 0),
    created date DEFAULT '2020-01-01'
);
INSERT INTO public.parent SELECT g, 'P' || g FROM generate_series(1, 500) g;
INSERT INTO public.child SELECT g, 1 + g % 500, CASE WHEN g % 2 = 0 THEN 'P' || (1 + g % 500) END, g % 17
  FROM generate_series(1, 20000) g;
CREATE INDEX child_parent_qty_idx ON public.child (parent_id, qty DESC);
CREATE TABLE public.tree (id integer PRIMARY KEY, up integer REFERENCES public.tree (id));
INSERT INTO public.tree SELECT g, NULLIF(g / 2, 0) FROM generate_series(1, 1000) g;

-- Names that need quoting.
CREATE TABLE "Weird ""Schema"" Name"."Mixed Case ""Table""" (
    "Id" integer PRIMARY KEY,
    "select" text,
    "col with space" text,
    "naïve" numeric,
    "from" date
);
INSERT INTO "Weird ""Schema"" Name"."Mixed Case ""Table"""
  SELECT g, 'sel' || g, 'sp ace ' || g, g / 7.0, date '2020-01-01' + g FROM generate_series(1, 300) g;
COMMENT ON TABLE "Weird ""Schema"" Name"."Mixed Case ""Table""" IS E'multi\nline comment with ''quotes''';
COMMENT ON COLUMN "Weird ""Schema"" Name"."Mixed Case ""Table"""."col with space" IS 'column comment';
CREATE TABLE "café"."résumé" ("clé" integer PRIMARY KEY, "valeur" text NOT NULL);
INSERT INTO "café"."résumé" SELECT g, 'valeur ' || g FROM generate_series(1, 100) g;
CREATE TABLE "café"."commande" ("id" integer PRIMARY KEY, "clé" integer REFERENCES "café"."résumé" ("clé") ON DELETE CASCADE);
INSERT INTO "café"."commande" SELECT g, 1 + g % 100 FROM generate_series(1, 400) g;
CREATE TABLE "select"."table" ("column" integer, "user" text, "order" integer);
INSERT INTO "select"."table" SELECT g, 'u' || g, g % 3 FROM generate_series(1, 100) g;
CREATE TABLE public."UPPER" ("ID" integer, "Value" text);
INSERT INTO public."UPPER" VALUES (1, 'one'), (2, NULL), (3, '');
CREATE TABLE public."it's" ("a,b" integer, "c.d" text);
INSERT INTO public."it's" VALUES (1, 'x'), (2, 'y');
CREATE TABLE public."a,b.c" (x integer);
INSERT INTO public."a,b.c" VALUES (1), (NULL);
CREATE TABLE public.empty_table (id integer PRIMARY KEY, v text);

-- Views and sequences.
CREATE VIEW public.child_summary AS
  SELECT p.code, count(c.id) AS n, sum(c.qty) AS total
    FROM public.parent p LEFT JOIN public.child c ON c.parent_id = p.id GROUP BY p.code;
COMMENT ON VIEW public.child_summary IS 'per parent totals';
CREATE VIEW "select"."view" AS SELECT "column", "user" FROM "select"."table" WHERE "order" > 0;
CREATE SEQUENCE public.standalone_seq START 100 INCREMENT 5;
SELECT count(nextval('public.standalone_seq')) FROM generate_series(1, 7);
CREATE SEQUENCE public.unused_seq;
CREATE SEQUENCE "café"."séq" MINVALUE -10 MAXVALUE 10 START -10 CYCLE;
SELECT count(nextval('"café"."séq"')) FROM generate_series(1, 25);

-- The table --include-table public.a selects (built-in types only, no dependencies).
CREATE TABLE public.a (id integer PRIMARY KEY, v text);
INSERT INTO public.a SELECT g, 'a' || g FROM generate_series(1, 1000) g;

-- The schema --exclude-schema s drops.
CREATE TABLE s.t1 (id integer PRIMARY KEY, v text);
INSERT INTO s.t1 SELECT g, 's' || g FROM generate_series(1, 500) g;
CREATE TABLE s.t2 (id integer, w jsonb);
INSERT INTO s.t2 SELECT g, jsonb_build_object('g', g) FROM generate_series(1, 500) g;

-- Big tables, so that --jobs has something to share out.
CREATE TABLE public.big1 (id bigint PRIMARY KEY, val integer NOT NULL, payload text, ts timestamptz, amount numeric(12,2));
INSERT INTO public.big1
  SELECT g, g % 1000, md5(g::text), timestamptz '2020-01-01 00:00+00' + g * interval '1 second', (g % 100000) / 100.0
    FROM generate_series(1, 300000) g;
CREATE INDEX big1_partial_idx ON public.big1 (val) WHERE val > 900;
CREATE TABLE public.big2 (id integer NOT NULL, tags text[], doc jsonb, flag boolean);
INSERT INTO public.big2
  SELECT g, ARRAY['t' || g % 10, 'x,y'], jsonb_build_object('id', g, 's', E'q"\\' || g), g % 2 = 0
    FROM generate_series(1, 200000) g;
CREATE TABLE "select"."big3" ("from" integer, "to" text);
INSERT INTO "select"."big3" SELECT g, E'a\tb\\c\nd\r' || g FROM generate_series(1, 100000) g;
ANALYZE;
SQL
}

ensure_template() {
    if db_exists "$TEMPLATE"; then
        return 0
    fi
    create_db "${TEMPLATE}_build"
    source_sql | q_file "${TEMPLATE}_build" >/dev/null
    q postgres "ALTER DATABASE ${TEMPLATE}_build RENAME TO $TEMPLATE"
}

# new_source NAME: a fresh copy of the source database.
new_source() {
    ensure_template
    create_db "$1" "$TEMPLATE"
}

# The next value of every sequence, as "name value" lines (advances them).
sequence_nextvals() {
    q "$1" "SELECT line FROM (SELECT format('%I.%I', schemaname, sequencename) || ' '
                     || nextval(format('%I.%I', schemaname, sequencename)) AS line FROM pg_sequences) s
             ORDER BY line COLLATE \"C\""
}

# roundtrip CASE [gpbackup/gprestore options...]: full backup and restore, compare.
roundtrip() {
    local name=$1 src dst dir ts jobs=1
    shift
    src="rt_${name}_src"
    dst="rt_${name}_dst"
    [ "${1:-}" != --jobs ] || jobs=$2
    new_source "$src"
    dir=$(new_backup_dir backups)
    ts=$(do_backup backup --dbname "$src" --backup-dir "$dir" "$@")
    test -f "$(backup_set_dir "$dir" "$ts")/gpbackup_${ts}_toc.yaml" || fail "no toc.yaml in $(backup_set_dir "$dir" "$ts")"
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db "$dst" --create-db --jobs "$jobs"
    compare_dbs "$src" "$dst"
    # Sequences continue where they were (standalone, serial, identity, cycling).
    sequence_nextvals "$src" >src.seq
    sequence_nextvals "$dst" >dst.seq
    diff -u src.seq dst.seq || fail "sequences continue differently"
    grep -q '^public.standalone_seq 135$' src.seq || fail "standalone_seq: unexpected nextval $(cat src.seq)"
}

test_jobs1_zstd() {
    roundtrip j1 --jobs 1
    # zstd is the default: the data files end in .zst
    find "$CASE_DIR/backups" -name 'gpbackup_*.zst' | grep -q . || fail "no .zst data files with the default compression"
}

test_jobs4_zstd() {
    roundtrip j4 --jobs 4
    find "$CASE_DIR/backups" -name 'gpbackup_*.zst' | grep -q . || fail "no .zst data files with the default compression"
}

test_gzip() {
    roundtrip gz --jobs 2 --compression-type gzip
    find "$CASE_DIR/backups" -name 'gpbackup_*.gz' | grep -q . || fail "no .gz data files with --compression-type gzip"
    if find "$CASE_DIR/backups" -name 'gpbackup_*.zst' | grep -q .; then fail "zstd files in a gzip backup"; fi
}

test_no_compression() {
    roundtrip nc --jobs 2 --no-compression
    if find "$CASE_DIR/backups" -name 'gpbackup_*.gz' -o -name 'gpbackup_*.zst' | grep -q .; then
        fail "compressed data files with --no-compression"
    fi
}

test_metadata_only() {
    local dir ts
    new_source rt_meta_src
    dir=$(new_backup_dir backups)
    ts=$(do_backup backup --dbname rt_meta_src --backup-dir "$dir" --metadata-only)
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db rt_meta_dst --create-db
    schema_dump rt_meta_src >src.sql
    schema_dump rt_meta_dst >dst.sql
    diff -u src.sql dst.sql || fail "schema dumps differ after a --metadata-only round trip"
    # Same tables, all empty.
    table_checksums rt_meta_src | cut -f1 >src.tables
    table_checksums rt_meta_dst >dst.sums
    cut -f1 dst.sums | diff -u src.tables - || fail "different tables after a --metadata-only round trip"
    awk -F'\t' '$2 != 0 { print; bad = 1 } END { exit bad }' dst.sums || fail "a --metadata-only restore loaded rows"
}

test_data_only() {
    local dir ts
    new_source rt_data_src
    create_db rt_data_dst
    # The schema comes from pg_dump: tables first, constraints and indexes after the
    # data (as a full restore does), which also proves the data satisfies them.
    timeout 120 pg_dump --schema-only --section=pre-data -d rt_data_src | q_file rt_data_dst >/dev/null
    dir=$(new_backup_dir backups)
    ts=$(do_backup backup --dbname rt_data_src --backup-dir "$dir" --data-only --jobs 2)
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db rt_data_dst --data-only --jobs 2
    timeout 120 pg_dump --schema-only --section=post-data -d rt_data_src | q_file rt_data_dst >/dev/null
    compare_dbs rt_data_src rt_data_dst
}

test_full_backup_data_only_restore() {
    local dir ts
    new_source rt_fdata_src
    create_db rt_fdata_dst
    timeout 120 pg_dump --schema-only --section=pre-data -d rt_fdata_src | q_file rt_fdata_dst >/dev/null
    dir=$(new_backup_dir backups)
    ts=$(do_backup backup --dbname rt_fdata_src --backup-dir "$dir" --jobs 2)
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db rt_fdata_dst --data-only --jobs 2
    timeout 120 pg_dump --schema-only --section=post-data -d rt_fdata_src | q_file rt_fdata_dst >/dev/null
    compare_dbs rt_fdata_src rt_fdata_dst
}

test_include_table() {
    local dir ts
    new_source rt_incl_src
    dir=$(new_backup_dir backups)
    ts=$(do_backup backup --dbname rt_incl_src --backup-dir "$dir" --include-table public.a)
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db rt_incl_dst --create-db
    table_checksums rt_incl_src | grep -P '^public\.a\t' >src.sums
    table_checksums rt_incl_dst >dst.sums
    diff -u src.sums dst.sums || fail "--include-table public.a: the restored database should hold exactly public.a"
    assert_eq "1000" "$(q rt_incl_dst 'SELECT count(*) FROM public.a')" "rows in public.a"
}

test_exclude_schema() {
    local dir ts
    new_source rt_excl_src
    dir=$(new_backup_dir backups)
    ts=$(do_backup backup --dbname rt_excl_src --backup-dir "$dir" --exclude-schema s --jobs 2)
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db rt_excl_dst --create-db --jobs 2
    table_checksums rt_excl_src | grep -v -P '^s\.' >src.sums
    table_checksums rt_excl_dst >dst.sums
    diff -u src.sums dst.sums || fail "--exclude-schema s: other tables should be restored unchanged, s not at all"
    assert_eq 0 "$(q rt_excl_dst "SELECT count(*) FROM pg_namespace WHERE nspname = 's'")" "schema s in the restored database"
    grep -q '^"café"\."résumé"' dst.sums || fail "quoted schemas missing from the restore"
}

# gprestore commits with synchronous_commit off; before it says the restore is
# complete, its last commits must be on disk. With the WAL writer made slow
# (it flushes an async commit's partial page only every wal_writer_delay) and
# autovacuum off, no commit record may lie between the flush position and
# the insert position the moment gprestore exits. (Other records may: the
# background writer logs the running transactions every 15 s.) The records
# in between are read with pg_walinspect once a CHECKPOINT has flushed them.
durable_settings() {
    q postgres "ALTER SYSTEM $1"
    q postgres "SELECT pg_reload_conf()" >/dev/null
    sleep 0.5
}
test_durable() {
    local dir ts flush insert commits
    create_db rt_dur_wal
    q rt_dur_wal "CREATE EXTENSION pg_walinspect"
    create_db rt_dur_src
    q_file rt_dur_src <<'SQL'
SELECT format('CREATE TABLE public.d%s (id int PRIMARY KEY, v text)', g) FROM generate_series(1, 20) g \gexec
SELECT format('INSERT INTO public.d%s SELECT g, md5(g::text) FROM generate_series(1, 100) g', g) FROM generate_series(1, 20) g \gexec
SQL
    dir=$(new_backup_dir backups)
    ts=$(do_backup backup --dbname rt_dur_src --backup-dir "$dir" --jobs 2)
    durable_settings "SET wal_writer_delay = '10s'"
    durable_settings "SET autovacuum = off"
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db rt_dur_dst --create-db --jobs 2
    IFS='|' read -r flush insert < <(q postgres "SELECT pg_current_wal_flush_lsn(), pg_current_wal_insert_lsn()")
    durable_settings "RESET wal_writer_delay"
    durable_settings "RESET autovacuum"
    q postgres "CHECKPOINT"
    commits=$(q rt_dur_wal "SELECT CASE WHEN '$flush'::pg_lsn < '$insert'::pg_lsn THEN (SELECT count(*) FROM pg_get_wal_records_info('$flush', '$insert') WHERE resource_manager = 'Transaction') ELSE 0 END")
    [ "$commits" = 0 ] || fail "gprestore exited with $commits transaction records in its WAL not yet flushed to disk (flushed to $flush, written to $insert)"
    assert_eq 20 "$(q rt_dur_dst "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" "restored tables"
}

# A role without TEMPORARY on the target database cannot run that wait: the
# restore completes with a warning that says so (exit 1), its data all there.
test_durable_no_temp() {
    local dir ts
    q postgres "DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rt_dur_role') THEN CREATE ROLE rt_dur_role LOGIN; END IF; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END \$\$"
    create_db rt_dur_nt_src
    create_db rt_dur_nt_dst
    q postgres "ALTER DATABASE rt_dur_nt_src OWNER TO rt_dur_role"
    q postgres "ALTER DATABASE rt_dur_nt_dst OWNER TO rt_dur_role"
    q postgres "REVOKE TEMPORARY ON DATABASE rt_dur_nt_dst FROM PUBLIC, rt_dur_role"
    PGUSER=rt_dur_role q rt_dur_nt_src "CREATE TABLE public.t AS SELECT g AS id FROM generate_series(1, 500) g"
    dir=$(new_backup_dir backups)
    ts=$(PGUSER=rt_dur_role do_backup backup --dbname rt_dur_nt_src --backup-dir "$dir")
    PGUSER=rt_dur_role expect_exit 1 "$GPRESTORE_BIN" --timestamp "$ts" --backup-dir "$dir" --redirect-db rt_dur_nt_dst
    assert_grep last.err "WARNING: could not wait for the restore's last commits to reach the disk" "the warning"
    assert_grep last.err "HINT: .*grant TEMPORARY on the database" "its hint"
    assert_eq 500 "$(q rt_dur_nt_dst "SELECT count(*) FROM public.t")" "rows restored"
}

# The wait runs before the event triggers are restored: an event trigger
# that refuses every CREATE TABLE would otherwise refuse the wait's
# temporary table (a warning, exit 1).
test_durable_event_trigger() {
    local dir ts
    create_db rt_dur_et_src
    q_file rt_dur_et_src <<'SQL'
CREATE TABLE public.t AS SELECT g AS id FROM generate_series(1, 100) g;
CREATE FUNCTION public.no_tables() RETURNS event_trigger LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'no new tables here'; END $$;
CREATE EVENT TRIGGER no_tables ON ddl_command_start WHEN TAG IN ('CREATE TABLE')
    EXECUTE FUNCTION public.no_tables();
SQL
    dir=$(new_backup_dir backups)
    ts=$(do_backup backup --dbname rt_dur_et_src --backup-dir "$dir" --jobs 2)
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db rt_dur_et_dst --create-db --jobs 2
    ! grep -q "could not wait" restore.log || fail "a warning about the wait: the event trigger fired on it"
    assert_eq 1 "$(q rt_dur_et_dst "SELECT count(*) FROM pg_event_trigger WHERE evtname = 'no_tables'")" "the restored event trigger"
    assert_eq 100 "$(q rt_dur_et_dst "SELECT count(*) FROM public.t")" "rows restored"
}

# With --jobs > 1 the pre-data's runs of independent TABLE entries are
# created on the workers at once; what must stay in order does: inheritance
# children and partitions after their parents, a table using another's row
# type after it, and the names PostgreSQL derives array type names from
# (x and _x; two 63-byte names alike in their first 62 bytes).
test_predata_parallel() {
    local dir ts
    create_db rt_pp_src
    q_file rt_pp_src <<'SQL'
SELECT format('CREATE TABLE public.p%s (id int, v text)', g) FROM generate_series(1, 60) g \gexec
SELECT format('INSERT INTO public.p%s VALUES (%s, ''v'')', g, g) FROM generate_series(1, 60) g \gexec
CREATE TABLE public.x (a int);
CREATE TABLE public._x (a int);
CREATE TABLE public.__x (a int);
CREATE TABLE public.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1 (a int);
CREATE TABLE public.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2 (a int);
CREATE TABLE public.parent (id int, note text);
CREATE TABLE public.child1 (extra int) INHERITS (public.parent);
CREATE TABLE public.child2 () INHERITS (public.parent);
CREATE TABLE public.child3 (c int) INHERITS (public.child1);
CREATE TABLE public.part (id int, k int) PARTITION BY RANGE (k);
CREATE TABLE public.part_a PARTITION OF public.part FOR VALUES FROM (0) TO (10);
CREATE TABLE public.part_b PARTITION OF public.part FOR VALUES FROM (10) TO (20);
CREATE TABLE public.holder (p public.p1, q public.parent[]);
INSERT INTO public.x VALUES (1);
INSERT INTO public._x VALUES (2);
INSERT INTO public.child3 VALUES (1, 'c3', 2, 3);
INSERT INTO public.part VALUES (1, 5), (2, 15);
INSERT INTO public.holder VALUES (ROW(1, 'v'), ARRAY[ROW(1, 'n')::public.parent]);
SQL
    dir=$(new_backup_dir backups)
    ts=$(do_backup backup --dbname rt_pp_src --backup-dir "$dir" --jobs 2)
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db rt_pp_dst --create-db --jobs 4 --verbose
    assert_grep restore.log "tables created: [0-9]+/[0-9]+" "the log of tables created on the workers"
    compare_dbs rt_pp_src rt_pp_dst
}

# A table the restore created is truncated and loaded with COPY FREEZE when
# it holds 1 MiB of data or more (every page all-frozen in the visibility
# map); a smaller one, and a table given to --data-only, are loaded as they
# are, without the TRUNCATE that would cost more than it spares.
test_freeze_threshold() {
    local dir ts
    create_db rt_fz_src
    q rt_fz_src "CREATE TABLE public.big AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 40000) g"
    q rt_fz_src "CREATE TABLE public.small AS SELECT g AS id FROM generate_series(1, 100) g"
    dir=$(new_backup_dir backups)
    ts=$(do_backup backup --dbname rt_fz_src --backup-dir "$dir" --jobs 2)
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db rt_fz_dst --create-db --jobs 2
    q rt_fz_dst "CREATE EXTENSION pg_visibility"
    frozen() { q rt_fz_dst "SELECT all_frozen || '/' || pg_relation_size('public.$1') / current_setting('block_size')::int FROM pg_visibility_map_summary('public.$1')"; }
    local big small
    big=$(frozen big)
    small=$(frozen small)
    [ "${big%/*}" = "${big#*/}" ] && [ "${big%/*}" -gt 0 ] || fail "public.big (over 1 MiB): frozen pages/pages $big, all expected"
    assert_eq "0/1" "$small" "public.small (under 1 MiB): frozen pages/pages"
    q rt_fz_dst "TRUNCATE public.big"
    do_restore restore2 --timestamp "$ts" --backup-dir "$dir" --redirect-db rt_fz_dst --data-only --include-table public.big
    assert_eq "0" "$(frozen big | cut -d/ -f1)" "public.big after --data-only: frozen pages"
    assert_eq 40000 "$(q rt_fz_dst "SELECT count(*) FROM public.big")" "rows of public.big"
}

run_test jobs1_zstd test_jobs1_zstd
run_test jobs4_zstd test_jobs4_zstd
run_test gzip test_gzip
run_test no_compression test_no_compression
run_test metadata_only test_metadata_only
run_test data_only test_data_only
run_test full_backup_data_only_restore test_full_backup_data_only_restore
run_test include_table test_include_table
run_test exclude_schema test_exclude_schema
run_test durable test_durable
run_test durable_no_temp test_durable_no_temp
run_test durable_event_trigger test_durable_event_trigger
run_test predata_parallel test_predata_parallel
run_test freeze_threshold test_freeze_threshold
finish
