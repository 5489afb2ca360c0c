#!/bin/bash
# Partitioned tables and other table shapes that trip simple DDL generation:
# multi-level partitioning with a default partition, CHECK constraints
# inherited by partitions, an index on the partitioned table attached to its
# partitions' indexes, a foreign key referencing a partitioned table, tables
# without columns or with generated columns only. Plus restore filters: an
# included table brings the types of its schema; a name that is not in the
# backup is an error.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_cluster

source_sql() {
    cat <<'SQL'
SET client_min_messages = warning;
CREATE TYPE public.mood AS ENUM ('a', 'b');
CREATE TABLE public.pp (id int PRIMARY KEY, v int CHECK (v > 0), m public.mood)
    PARTITION BY RANGE (id);
CREATE TABLE public.pp1 PARTITION OF public.pp FOR VALUES FROM (0) TO (100);
CREATE TABLE public.pp2 PARTITION OF public.pp (CONSTRAINT own CHECK (v < 1000))
    FOR VALUES FROM (100) TO (200) PARTITION BY LIST (id);
CREATE TABLE public.pp2a PARTITION OF public.pp2 FOR VALUES IN (100, 101, 102);
CREATE TABLE public.pp2d PARTITION OF public.pp2 DEFAULT;
CREATE INDEX pp_v_idx ON public.pp (v);
CREATE TABLE public.ref (x int REFERENCES public.pp (id));
CREATE TABLE public.nocols ();
CREATE TABLE public.onlygen (a int GENERATED ALWAYS AS (1) STORED);
CREATE TABLE public.uses_enum (m public.mood);
INSERT INTO public.pp SELECT g, g % 5 + 1, 'a' FROM generate_series(0, 199) g;
INSERT INTO public.ref VALUES (5), (150), (101);
INSERT INTO public.nocols DEFAULT VALUES;
INSERT INTO public.nocols DEFAULT VALUES;
INSERT INTO public.onlygen DEFAULT VALUES;
INSERT INTO public.uses_enum VALUES ('b'), (NULL);
SQL
}

test_partitions_roundtrip() {
    local dir ts
    create_db pt_src
    source_sql | q_file pt_src
    dir=$(new_backup_dir)
    ts=$(do_backup backup --dbname pt_src --backup-dir "$dir" --jobs 3)
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db pt_dst --create-db --jobs 3
    compare_dbs pt_src pt_dst
    assert_eq "2" "$(q pt_dst 'SELECT count(*) FROM public.nocols')" "rows of a table without columns"
    assert_eq "1" "$(q pt_dst 'SELECT count(*) FROM public.onlygen')" "rows of a table with generated columns only"
    assert_eq "3" "$(q pt_dst 'SELECT count(*) FROM public.pp2a')" "rows of a second-level partition"
}

test_restore_include_table_brings_types() {
    local dir ts
    create_db pt_inc_src
    source_sql | q_file pt_inc_src
    dir=$(new_backup_dir)
    ts=$(do_backup backup --dbname pt_inc_src --backup-dir "$dir")
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db pt_inc_dst --create-db \
        --include-table public.uses_enum
    assert_eq "b|" "$(q pt_inc_dst "SELECT string_agg(coalesce(m::text, ''), '|' ORDER BY m) FROM public.uses_enum")" "restored rows"
    assert_eq "0" "$(q pt_inc_dst "SELECT count(*) FROM pg_class WHERE relname = 'pp'")" "tables not asked for"
    # A name the backup does not hold is an error, not an empty restore.
    expect_exit 2 "$GPRESTORE_BIN" --timestamp "$ts" --backup-dir "$dir" --redirect-db pt_inc_none \
        --create-db --include-table public.nope
    assert_grep "$CASE_DIR/last.err" 'public\.nope.*not in backup'
    db_exists pt_inc_none && fail "no database should be created for a filter that matches nothing"
    return 0
}

run_test partitions_roundtrip test_partitions_roundtrip
run_test restore_include_table_brings_types test_restore_include_table_brings_types
finish
