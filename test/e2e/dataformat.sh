#!/bin/bash
# The data format of a backup set (gpbackup --data-format): COPY's binary
# format packed for compression (include/pack.h) by default for tables whose
# columns are all of built-in types, csv for the others; COPY's binary
# format as it is with --data-format binary; every table csv with
# --data-format csv.
#
# Cases: a packed set of every kind of built-in value (edge values, NULLs,
# arrays, ranges, runs of values whose differences wrap around) restores
# equal, with --jobs 1 and 3, the same as a binary set, and its tables with
# other types (domain, enum, composite, extension-free user types, reg*,
# aclitem) are written as csv and restore equal too, reg* values by name
# into a database where the oids differ; --data-format csv writes every
# table as csv; a binary table restored with --data-only into a column of
# another type fails with the reason and a hint, and loads nothing. (Sets
# naming an unknown format, or binary data on the server-side path, are
# refused in hostile.sh.)
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_cluster

fixture() {
    q_file "$1" <<'SQL'
CREATE SCHEMA "Fmt";
CREATE TABLE "Fmt".builtin (
    id int PRIMARY KEY, i2 smallint, i8 bigint, n numeric, n2 numeric(12,3), f4 real, f8 double precision,
    b boolean, t text, vc varchar(10), c char(5), "by" bytea, d date, ts timestamp, tz timestamptz,
    tm time, ttz timetz, iv interval, u uuid, j json, jb jsonb, x xml, ip inet, cidr_ cidr, mac macaddr,
    bits bit(4), vb varbit, pt point, bx box, mon money, ia int[], ta text[], na numeric[],
    r int4range, tr tstzrange, mr int4multirange, tv tsvector, oid_ oid, nm name, "char" "char",
    l pg_lsn, a2 int[][]);
INSERT INTO "Fmt".builtin VALUES
 (1, 32767, 9223372036854775807, 'NaN', 123456789.123, 'Infinity', -0.0, true, E'tab\there\nnew "q" \\ back', 'ten chars!',
  'ab', '\x00ff10', 'infinity', '-infinity', '2001-02-03 04:05:06.789+05', '24:00:00', '23:59:59+14',
  '-178000000 years', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2.50]}', '{"k": null, "b": [true]}',
  '<a x="1">é</a>', '192.168.1.2/24', '10.0.0.0/8', '08:00:2b:01:02:03', B'1010', B'101', '(1.5,-2)',
  '((0,0),(1,1))', '-92233720368547758.08', '{1,NULL,3}', '{"a,b","",NULL,"\""}', '{1.5,NaN}',
  '[1,10)', '[2020-01-01,infinity)', '{[1,3),[5,7)}', 'a fat:2 cat', 4294967295, 'name with space', 'x',
  '16/B374D848', '{{1,2},{3,4}}'),
 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (3, -32768, -9223372036854775808, '-1e-300', 0, '-Infinity', 1e308, false, '', '', '', '', '4713-01-01 BC',
  '294276-12-31 23:59:59.999999', '1999-12-31 23:59:59+00', '00:00', '00:00:00-15:59', '1 mon -2 days 00:00:00.000001',
  '00000000-0000-0000-0000-000000000000', '[]', '[]', '', '::1', '::/0', 'ff:ff:ff:ff:ff:ff', B'0000', B'',
  '(0,0)', '((-1,-1),(-1,-1))', '0', '{}', '{}', '{}', 'empty', 'empty', '{}', '', 0, '', E'\001', '0/0', '{}');
INSERT INTO "Fmt".builtin (id, t, n, jb) SELECT g, repeat(md5(g::text), g % 7), g * 1.5, jsonb_build_object('g', g)
  FROM generate_series(10, 5000) g;

-- Tables with a column of another kind of type: csv.
CREATE DOMAIN "Fmt".posint AS int CHECK (VALUE > 0);
CREATE TYPE "Fmt".mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE "Fmt".pair AS (a int, b text);
CREATE TABLE "Fmt".with_domain (id int, v "Fmt".posint);
INSERT INTO "Fmt".with_domain VALUES (1, 5), (2, NULL);
CREATE TABLE "Fmt".with_enum (id int, m "Fmt".mood, ms "Fmt".mood[]);
INSERT INTO "Fmt".with_enum VALUES (1, 'happy', '{sad,ok}');
CREATE TABLE "Fmt".with_composite (id int, p "Fmt".pair);
INSERT INTO "Fmt".with_composite VALUES (1, ROW(1, 'a,"b"')), (2, NULL);
CREATE TABLE "Fmt".with_reg (id int, rc regclass, rt regtype, rp regproc, rn regnamespace, ra regclass[]);
INSERT INTO "Fmt".with_reg VALUES (1, '"Fmt".with_enum', '"Fmt".mood', 'pg_catalog.now', '"Fmt"',
                                   ARRAY['"Fmt".with_domain'::regclass, '"Fmt".builtin'::regclass]);
CREATE TABLE "Fmt".with_acl (id int, acl aclitem[]);
INSERT INTO "Fmt".with_acl VALUES (1, '{postgres=arwdDxt/postgres}');
-- Generated columns are not copied: the table stays binary.
CREATE TABLE "Fmt".generated (id int, g int GENERATED ALWAYS AS (id * 2) STORED);
INSERT INTO "Fmt".generated (id) VALUES (1), (2);
-- Runs for the packed format's differences from the previous row: steps up
-- and down, across the ends of each type's range (the difference wraps),
-- NULLs and lengths that change between rows (arrays of 1 to 3 elements,
-- of 2 and 3 dimensions, with NULL elements), long arrays past the word
-- coding's limit, and floats' special values.
CREATE TABLE "Fmt".series (id int, i2 smallint, i4 int, i8 bigint, f4 real, f8 float8, d date,
    ts timestamp, tz timestamptz, tm time, m money, o oid, ia int[], la bigint[], da date[], fa float8[]);
INSERT INTO "Fmt".series
SELECT g,
       CASE WHEN g % 13 = 0 THEN NULL ELSE ((g * 7919) % 65536 - 32768)::smallint END,
       CASE g % 4 WHEN 0 THEN 2147483647 WHEN 1 THEN -2147483648 ELSE g * 3 END,
       CASE g % 5 WHEN 0 THEN 9223372036854775807 WHEN 1 THEN -9223372036854775808 ELSE g::bigint * 1000003 END,
       CASE g % 6 WHEN 0 THEN 'NaN'::real WHEN 1 THEN '-Infinity' ELSE g / 7.0 END,
       CASE g % 7 WHEN 0 THEN -0.0 WHEN 1 THEN 1e-308 ELSE g * 1.25e100 END,
       date '2000-01-01' + (g * 37) % 5000 - 2500,
       timestamp '2001-01-01' + g * interval '1 second' * CASE WHEN g % 3 = 0 THEN -1000 ELSE 1 END,
       CASE WHEN g % 11 = 0 THEN NULL ELSE timestamptz '2020-02-29 12:00+00' + g * interval '1 hour' END,
       time '00:00' + g * interval '17 minutes',
       (g * 12.34)::numeric::money,
       (4294967295 - g)::oid,
       CASE g % 4 WHEN 0 THEN ARRAY[g] WHEN 1 THEN ARRAY[g, g + 1] WHEN 2 THEN ARRAY[g, NULL, -g]
                  ELSE NULL END,
       CASE WHEN g % 9 = 0 THEN array_fill(g::bigint, ARRAY[40]) ELSE ARRAY[g::bigint << 32, -g] END,
       CASE WHEN g % 2 = 0 THEN ARRAY[[date '2000-01-01' + g, NULL], [date '1999-12-31', date '1999-12-31' - g]]
            ELSE ARRAY[date '2000-01-01'] END,
       ARRAY[g * 0.5, 'Infinity', -g]
FROM generate_series(1, 3000) g;
SQL
}

# toc_formats DIR TS: "table format" lines of the set's TOC, sorted
# ("-" where an entry names no format).
toc_formats() {
    local toc
    toc=$(ls "$(backup_set_dir "$1" "$2")"/*_toc.yaml)
    awk '/^dataentries:/ { on = 1; next }
         on && /^- schema:/ { if (name != "") print name, fmt; name = ""; fmt = "-" }
         on && /^  name:/ { name = $2 }
         on && /^  dataformat:/ { fmt = $2 }
         END { if (name != "") print name, fmt }' "$toc" | tr -d '"' | sort
}

config_format() {
    sed -n 's/^dataformat: *"\{0,1\}\([a-z]*\)"\{0,1\}$/\1/p' "$(backup_set_dir "$1" "$2")"/*_config.yaml
}

# case_binary_round_trip JOBS FORMAT [gpbackup options]: FORMAT is what the
# options give (the default: packed).
case_binary_round_trip() {
    local jobs=$1 fmt=$2 dir ts
    shift 2
    create_db fmt_src
    # Make the oids of the restored objects differ from the source's.
    q postgres "DROP DATABASE IF EXISTS fmt_dst"
    fixture fmt_src
    dir=$(new_backup_dir)
    ts=$(do_backup backup --dbname fmt_src --backup-dir "$dir" --jobs "$jobs" "$@")
    assert_eq "$fmt" "$(config_format "$dir" "$ts")" "config dataformat"
    toc_formats "$dir" "$ts" >"$CASE_DIR/formats"
    cat "$CASE_DIR/formats" >&2
    assert_eq "builtin $fmt
generated $fmt
series $fmt
with_acl csv
with_composite csv
with_domain csv
with_enum csv
with_reg csv" "$(cat "$CASE_DIR/formats")" "formats in the TOC"
    assert_grep "$(backup_set_dir "$dir" "$ts")/gpbackup_${ts}_report" "data file format: +$fmt, one file per table( except [0-9]+ small tables in [0-9]+ shared files)? \(5 tables csv" "report"
    # 4 once small tables share a file (TOC key offset), else by format.
    assert_eq "$(if grep -q '^  offset: ' "$(backup_set_dir "$dir" "$ts")"/*_toc.yaml; then echo 4; elif [ "$fmt" = packed ]; then echo 3; else echo 2; fi)" \
        "$(sed -n 's/^formatversion: *//p' "$(backup_set_dir "$dir" "$ts")"/*_config.yaml)" "config formatversion"
    create_db fmt_dst
    q fmt_dst "CREATE TABLE filler AS SELECT 1 AS x; CREATE TYPE filler_t AS (a int)"
    q fmt_dst "DROP TABLE filler; DROP TYPE filler_t"
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db fmt_dst --jobs "$jobs"
    compare_dbs fmt_src fmt_dst
    # The reg* values name the same objects, whose oids differ.
    assert_eq '"Fmt".with_enum|"Fmt".mood|now|"Fmt"' \
        "$(q fmt_dst 'SELECT rc, rt, rp, rn FROM "Fmt".with_reg')" "reg* values"
    [ "$(q fmt_src "SELECT '\"Fmt\".with_enum'::regclass::oid")" != \
      "$(q fmt_dst "SELECT '\"Fmt\".with_enum'::regclass::oid")" ] || fail "the oids did not differ"
}

case_csv_format() {
    local dir ts
    create_db fmt_csv_src
    fixture fmt_csv_src
    dir=$(new_backup_dir)
    ts=$(do_backup backup --dbname fmt_csv_src --backup-dir "$dir" --jobs 2 --data-format csv)
    assert_eq csv "$(config_format "$dir" "$ts")" "config dataformat"
    assert_no_grep "$(ls "$(backup_set_dir "$dir" "$ts")"/*_toc.yaml)" "^  dataformat:" "TOC"
    assert_grep "$(backup_set_dir "$dir" "$ts")/gpbackup_${ts}_report" "data file format: +CSV, one file per table" "report"
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db fmt_csv_dst --create-db --jobs 2
    compare_dbs fmt_csv_src fmt_csv_dst
}

# --data-only into a table whose column has another type than the backup's:
# binary data does not convert; the error says so and nothing is loaded.
case_data_only_other_type() {
    local dir ts
    create_db fmt_do_src
    q fmt_do_src "CREATE TABLE t (id int, v int); INSERT INTO t SELECT g, g FROM generate_series(1, 100) g"
    dir=$(new_backup_dir)
    ts=$(do_backup backup --dbname fmt_do_src --backup-dir "$dir")
    create_db fmt_do_dst
    q fmt_do_dst "CREATE TABLE t (id int, v bigint)"
    expect_exit 2 gprestore --timestamp "$ts" --backup-dir "$dir" --redirect-db fmt_do_dst --data-only
    assert_grep "$CASE_DIR/last.err" 'could not restore data of table "public"."t"' "error"
    assert_grep "$CASE_DIR/last.err" "binary format, which loads only into columns of the backup's types" "hint"
    assert_eq 0 "$(q fmt_do_dst "SELECT count(*) FROM t")" "rows loaded"
    # The same with a csv backup converts, as COPY's text does.
    ts=$(do_backup backup2 --dbname fmt_do_src --backup-dir "$dir" --data-format csv)
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db fmt_do_dst --data-only
    assert_eq 100 "$(q fmt_do_dst "SELECT count(*) FROM t")" "rows loaded from csv"
}

# A packed file read by hand: gpbackup_helper --restore-file --unpack gives
# the binary COPY stream, which psql loads; the same file damaged is refused
# with its name.
case_packed_by_hand() {
    local dir ts set f
    create_db fmt_hand_src
    fixture fmt_hand_src
    dir=$(new_backup_dir)
    ts=$(do_backup backup --dbname fmt_hand_src --backup-dir "$dir" --include-table '"Fmt".series')
    set=$(backup_set_dir "$dir" "$ts")
    f=$(ls "$set"/gpbackup_-1_"$ts"_*.zst)
    create_db fmt_hand_dst
    q fmt_hand_dst 'CREATE SCHEMA "Fmt"'
    pg_dump -s -t '"Fmt".series' fmt_hand_src | psql -X -q -v ON_ERROR_STOP=1 -d fmt_hand_dst >/dev/null ||
        fail "could not create the table"
    "$E2E_BIN/gpbackup_helper" --restore-file "$f" --compression zstd --unpack |
        psql -X -q -v ON_ERROR_STOP=1 -d fmt_hand_dst -c 'COPY "Fmt".series FROM STDIN WITH (FORMAT binary)' ||
        fail "the unpacked file did not load"
    assert_eq "$(q fmt_hand_src 'SELECT md5(string_agg(s::text, $$|$$ ORDER BY id)) FROM "Fmt".series s')" \
        "$(q fmt_hand_dst 'SELECT md5(string_agg(s::text, $$|$$ ORDER BY id)) FROM "Fmt".series s')" "rows loaded by hand"
    zstd -q -dc "$f" >"$CASE_DIR/whole"
    head -c 1000 "$CASE_DIR/whole" | zstd -q -c >"$CASE_DIR/cut.zst"
    expect_exit 1 "$E2E_BIN/gpbackup_helper" --restore-file "$CASE_DIR/cut.zst" --compression zstd --unpack
    assert_grep "$CASE_DIR/last.err" "data file \"$CASE_DIR/cut.zst\": packed data ends before its end marker" "error"
    expect_exit 2 "$E2E_BIN/gpbackup_helper" --backup-file "$CASE_DIR/x" --unpack
    assert_grep "$CASE_DIR/last.err" "option --unpack can only be used with --restore-file" "usage error"
}

# Small tables copied in one transaction share a data file: each table is a
# compressed stream of its own at its offset, listed with the part's size and
# checksum in the TOC, the file as a whole in the manifest. With every
# codec: fewer files than tables, formatversion 4, the report says so,
# gpbackup_manager verify passes, one table's part read by hand is its COPY
# output, and the restore is equal to the source.
case_shared_files() {
    local dir ts set toc n files comp part
    create_db shr_src
    q shr_src "DO \$\$ BEGIN FOR i IN 1..120 LOOP
        EXECUTE format('CREATE TABLE public.s%s (id int PRIMARY KEY, v text)', i);
        EXECUTE format('INSERT INTO public.s%s SELECT g, md5((g * %s)::text) FROM generate_series(1, %s) g', i, i, i % 7);
        END LOOP; END \$\$"
    for comp in zstd gzip none; do
        dir=$(new_backup_dir "backups_$comp")
        ts=$(do_backup "backup_$comp" --dbname shr_src --backup-dir "$dir" --jobs 2 --data-format csv --compression-type "$comp")
        set=$(backup_set_dir "$dir" "$ts")
        toc="$set/gpbackup_${ts}_toc.yaml"
        n=$(grep -c '^  offset: ' "$toc")
        files=$(find "$set" -name "gpbackup_-1_${ts}_*" | wc -l)
        echo "$comp: $n tables in shared files, $files data files" >&2
        [ "$n" -ge 100 ] || fail "$comp: only $n of 120 tables share a file"
        [ "$files" -lt 30 ] || fail "$comp: $files data files for 120 tables"
        assert_eq 4 "$(sed -n 's/^formatversion: *//p' "$set/gpbackup_${ts}_config.yaml")" "config formatversion"
        assert_grep "$set/gpbackup_${ts}_report" "data file format: +CSV, one file per table except $n small tables in [0-9]+ shared files" "report"
        "$E2E_BIN/gpbackup_manager" verify "$ts" --backup-dir "$dir" >"$CASE_DIR/verify.out" 2>&1 ||
            fail "$comp: verify failed: $(cat "$CASE_DIR/verify.out")"
        # Table s77's part alone, cut out of its file by offset and length.
        read -r file off len <<<"$(python3 - "$toc" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
for entry in text.split("\ndataentries:")[1].split("\n- ")[1:]:
    if re.search(r"(?m)^  name: s77$", entry):
        get = lambda k: re.search(r"(?m)^  %s: (.*)$" % k, entry).group(1).strip('"')
        print(get("file"), get("offset"), get("filebytes"))
PY
)"
        [ -n "$len" ] || fail "$comp: table s77 has no offset in the TOC"
        part=$(dd if="$set/$file" iflag=skip_bytes,count_bytes skip="$off" count="$len" status=none | case $comp in
            zstd) zstd -q -dc ;;
            gzip) gzip -dc ;;
            none) cat ;;
            esac | md5sum)
        assert_eq "$(q shr_src 'COPY public.s77 TO STDOUT WITH (FORMAT csv)' | md5sum)" "$part" "$comp: s77's part by hand"
        do_restore "restore_$comp" --timestamp "$ts" --backup-dir "$dir" --redirect-db "shr_dst_$comp" --create-db --jobs 2
        compare_dbs shr_src "shr_dst_$comp"
    done
}

# part_of TOC TABLE K: "offset filebytes rows" of part K (from 0) of TABLE.
part_of() {
    python3 - "$1" "$2" "$3" <<'PY'
import re, sys
text = open(sys.argv[1]).read().split("\ndataentries:")[1]
for entry in text.split("\n- ")[1:]:
    if re.search(r"(?m)^  name: %s$" % re.escape(sys.argv[2]), entry):
        parts = entry.split("\n  parts:")[1].split("\n  - ")[1:]
        p = parts[int(sys.argv[3])]
        get = lambda k: re.search(r"(?m)^\s*%s: (\d+)$" % k, p).group(1)
        print(get("offset"), get("filebytes"), get("rows"))
PY
}

# A large table's file is written in parts (GPBACKUP_PART_BYTES makes them
# small here), each a stream that loads on its own. With --jobs 2 the
# largest table, which would otherwise load alone at the end, loads in parts
# on both connections; with --jobs 1 in one transaction, part after part.
# In each data format the restored database equals the source, and the
# second part, cut out of the file by hand, loads alone with psql.
case_parts() {
    local fmt=$1 dir ts set toc n off len rows
    create_db "pt_src_$fmt"
    q "pt_src_$fmt" "CREATE TABLE public.big AS
        SELECT g AS id, md5(g::text) AS t, g * 1.5 AS n, now() - g * interval '1 second' AS ts,
               ARRAY[g, g + 1] AS a, CASE WHEN g % 7 = 0 THEN NULL ELSE jsonb_build_object('k', g) END AS j
        FROM generate_series(1, 20000) g;
        ALTER TABLE public.big ADD PRIMARY KEY (id);
        CREATE INDEX ON public.big (t);
        CREATE TABLE public.small AS SELECT 1 AS x"
    dir=$(new_backup_dir)
    export GPBACKUP_PART_BYTES=200000
    ts=$(do_backup backup --dbname "pt_src_$fmt" --backup-dir "$dir" --data-format "$fmt")
    unset GPBACKUP_PART_BYTES
    set=$(backup_set_dir "$dir" "$ts")
    toc="$set/gpbackup_${ts}_toc.yaml"
    n=$(grep -c '^  - offset: ' "$toc")
    echo "$fmt: $n parts" >&2
    [ "$n" -ge 3 ] || fail "$fmt: $n parts for a table of about 2 MB in parts of 200 kB"
    do_restore restore2 --timestamp "$ts" --backup-dir "$dir" --redirect-db "pt_dst2_$fmt" --create-db --jobs 2
    assert_grep "$CASE_DIR/restore2.log" "loading 1 tables in parts on several connections" "restore log"
    compare_dbs "pt_src_$fmt" "pt_dst2_$fmt"
    do_restore restore1 --timestamp "$ts" --backup-dir "$dir" --redirect-db "pt_dst1_$fmt" --create-db --jobs 1
    assert_no_grep "$CASE_DIR/restore1.log" "in parts" "restore log with --jobs 1"
    compare_dbs "pt_src_$fmt" "pt_dst1_$fmt"
    # --data-only into tables of the user's: whole, in one transaction each
    # (a failed part would otherwise be undone by emptying the table).
    q "pt_dst1_$fmt" "TRUNCATE big, small"
    do_restore restore_do --timestamp "$ts" --backup-dir "$dir" --redirect-db "pt_dst1_$fmt" --data-only --jobs 2
    assert_no_grep "$CASE_DIR/restore_do.log" "in parts" "restore log with --data-only"
    compare_dbs "pt_src_$fmt" "pt_dst1_$fmt"
    read -r off len rows <<<"$(part_of "$toc" big 1)"
    [ -n "$rows" ] && [ "$rows" -gt 0 ] || fail "$fmt: no second part of big"
    create_db "pt_hand_$fmt"
    q "pt_hand_$fmt" "CREATE TABLE big (id int, t text, n numeric, ts timestamptz, a int[], j jsonb)"
    dd if="$set/gpbackup_-1_${ts}_$(q "pt_src_$fmt" "SELECT 'public.big'::regclass::oid").zst" of="$CASE_DIR/part.zst" \
        iflag=skip_bytes,count_bytes skip="$off" count="$len" status=none
    case $fmt in
    packed) "$E2E_BIN/gpbackup_helper" --restore-file "$CASE_DIR/part.zst" --compression zstd --unpack ;;
    *) zstd -q -dc "$CASE_DIR/part.zst" ;;
    esac | psql -X -q -v ON_ERROR_STOP=1 -d "pt_hand_$fmt" -c "COPY big FROM STDIN WITH (FORMAT $([ "$fmt" = csv ] && echo csv || echo binary))" ||
        fail "$fmt: the second part did not load alone"
    assert_eq "$rows" "$(q "pt_hand_$fmt" "SELECT count(*) FROM big")" "$fmt: rows of the second part"
}

run_test packed_round_trip_jobs1 case_binary_round_trip 1 packed
run_test packed_round_trip_jobs3 case_binary_round_trip 3 packed
run_test binary_round_trip_jobs2 case_binary_round_trip 2 binary --data-format binary
run_test packed_by_hand case_packed_by_hand
run_test csv_format case_csv_format
run_test data_only_other_type case_data_only_other_type
run_test shared_files case_shared_files
run_test parts_packed case_parts packed
run_test parts_binary case_parts binary
run_test parts_csv case_parts csv
finish
