#!/bin/bash
# Hostile input. Object names, comments and values full of quotes, newlines,
# backslashes, semicolons, psql meta-commands and shell metacharacters
# round-trip exactly and run nothing. Hand-edited backup sets (path
# traversal and NUL bytes in data file names, malformed YAML, an unknown
# format version, absurd byte ranges and sizes, SQL in a column list, a
# manifest naming a file outside the set or with a wrong self checksum) are
# refused with exit 2 before any SQL runs: the database that --create-db
# would make does not exist afterwards, and nothing is written into the set.
# A password given in --dbname ends up in no file.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_cluster

# --- names that try to inject ------------------------------------------------

# The source schema. @R@ is replaced by a random tag: any of the files
# /tmp/pwned_<tag>_* existing afterwards means something ran a command.
hostile_sql() {
    cat <<'SQL'
SET client_min_messages = warning;
CREATE SCHEMA "Sch'ema""; DROP SCHEMA public CASCADE; --";
CREATE SCHEMA "\! touch /tmp/pwned_@R@_1";
CREATE SCHEMA "new
line $(touch /tmp/pwned_@R@_2) `touch /tmp/pwned_@R@_3`";
COMMENT ON SCHEMA "Sch'ema""; DROP SCHEMA public CASCADE; --" IS $c$'; DROP SCHEMA public CASCADE; --
\! touch /tmp/pwned_@R@_4$c$;

CREATE TABLE public.x (i integer);
INSERT INTO public.x VALUES (42);

CREATE TYPE "Sch'ema""; DROP SCHEMA public CASCADE; --"."ty'pe""
\! touch /tmp/pwned_@R@_5" AS ENUM ($l$a'b$l$, $l$c"d$l$, $l$\! touch /tmp/pwned_@R@_6$l$, $l$e
f;--$l$);
CREATE DOMAIN "\! touch /tmp/pwned_@R@_1"."dom;ain /* x */" AS text
    CONSTRAINT "chk'""; DROP TABLE public.x; --" CHECK (VALUE <> $v$'); DROP TABLE public.x; --$v$);

CREATE TABLE "Sch'ema""; DROP SCHEMA public CASCADE; --"."tab'le""
with newline; \! touch /tmp/pwned_@R@_7" (
    "id'" integer PRIMARY KEY,
    "col""2" text,
    "back\slash\" text,
    "semi;colon -- x /* y" text,
    "new
line" text,
    "$(touch /tmp/pwned_@R@_8)" text,
    "`touch /tmp/pwned_@R@_9`" text,
    ";rm -rf x" text,
    "ünï 表 🎉" text,
    "e'num" "Sch'ema""; DROP SCHEMA public CASCADE; --"."ty'pe""
\! touch /tmp/pwned_@R@_5",
    "d;om" "\! touch /tmp/pwned_@R@_1"."dom;ain /* x */",
    CONSTRAINT "con'""; DROP TABLE public.x; --" CHECK ("id'" > 0)
);
ALTER TABLE "Sch'ema""; DROP SCHEMA public CASCADE; --"."tab'le""
with newline; \! touch /tmp/pwned_@R@_7"
    ADD CONSTRAINT "uq /* c */ -- \
q" UNIQUE ("semi;colon -- x /* y");
CREATE INDEX "idx'""; \! touch /tmp/pwned_@R@_10" ON "Sch'ema""; DROP SCHEMA public CASCADE; --"."tab'le""
with newline; \! touch /tmp/pwned_@R@_7" ("col""2", "back\slash\");
COMMENT ON TABLE "Sch'ema""; DROP SCHEMA public CASCADE; --"."tab'le""
with newline; \! touch /tmp/pwned_@R@_7" IS $c$'); DROP TABLE public.x; -- \! touch /tmp/pwned_@R@_11
$(touch /tmp/pwned_@R@_12) `touch /tmp/pwned_@R@_13` \ \\ "dq" /* c$c$;
COMMENT ON COLUMN "Sch'ema""; DROP SCHEMA public CASCADE; --"."tab'le""
with newline; \! touch /tmp/pwned_@R@_7"."new
line" IS E'tab\there \\ backslash ''quote'' "dq"\n\\! touch /tmp/pwned_@R@_14';
COMMENT ON INDEX "Sch'ema""; DROP SCHEMA public CASCADE; --"."idx'""; \! touch /tmp/pwned_@R@_10" IS $c$;\! touch /tmp/pwned_@R@_15$c$;
COMMENT ON CONSTRAINT "con'""; DROP TABLE public.x; --" ON "Sch'ema""; DROP SCHEMA public CASCADE; --"."tab'le""
with newline; \! touch /tmp/pwned_@R@_7" IS $c$'; DROP TABLE public.x; --$c$;

INSERT INTO "Sch'ema""; DROP SCHEMA public CASCADE; --"."tab'le""
with newline; \! touch /tmp/pwned_@R@_7" VALUES
 (1, $v$\! touch /tmp/pwned_@R@_16$v$, E'back\\slash\\', $v$'); DROP TABLE public.x; --$v$, E'line1\nline2\r\n\\.\n', $v$$(touch /tmp/pwned_@R@_17)$v$, $v$`touch /tmp/pwned_@R@_18`$v$, ';rm -rf x', 'ünï 表 🎉', $l$a'b$l$, 'fine'),
 (2, '\.', E'\\', '"', E'\n', '', NULL, ',', E'\t', $l$c"d$l$, NULL),
 (3, $v$/* -- */ \copy public.x to '/tmp/pwned_@R@_19'$v$, NULL, 'a;b', NULL, NULL, '\N', 'NULL', NULL, $l$e
f;--$l$, $v$\g /tmp/pwned_@R@_20$v$);

-- A serial column: its sequence is named after the table and column.
CREATE TABLE public."we'ird;tab" ("i""d" serial PRIMARY KEY, "v'" text);
INSERT INTO public."we'ird;tab" ("v'") SELECT $v$\! touch /tmp/pwned_@R@_21 $v$ || g FROM generate_series(1, 1000) g;
CREATE SEQUENCE "\! touch /tmp/pwned_@R@_1"."seq'""
;\! touch /tmp/pwned_@R@_22" START 5;
SELECT nextval(format('%I.%I', $s$\! touch /tmp/pwned_@R@_1$s$, $s$seq'"
;\! touch /tmp/pwned_@R@_22$s$)::regclass) FROM generate_series(1, 3);
COMMENT ON SEQUENCE "\! touch /tmp/pwned_@R@_1"."seq'""
;\! touch /tmp/pwned_@R@_22" IS $c$\! touch /tmp/pwned_@R@_23$c$;

CREATE VIEW "\! touch /tmp/pwned_@R@_1"."view'""; \! touch /tmp/pwned_@R@_24" AS
    SELECT "id'", "new
line", 'lit''eral; \! touch /tmp/pwned_@R@_25'::text AS "c;ol"
      FROM "Sch'ema""; DROP SCHEMA public CASCADE; --"."tab'le""
with newline; \! touch /tmp/pwned_@R@_7";
COMMENT ON VIEW "\! touch /tmp/pwned_@R@_1"."view'""; \! touch /tmp/pwned_@R@_24" IS $c$`touch /tmp/pwned_@R@_26`$c$;
SQL
}

test_hostile_names() {
    local tag dir ts pwned
    tag="$$_$RANDOM"
    create_db h_names_src
    hostile_sql | sed "s/@R@/$tag/g" | q_file h_names_src >/dev/null
    # The script itself ran nothing (psql does not read meta-commands inside
    # quotes): the baseline for the checks below.
    pwned=$(ls /tmp/pwned_"${tag}"_* 2>/dev/null || true)
    [ -z "$pwned" ] || fail "the setup script itself created $pwned"
    assert_eq 3 "$(q h_names_src "SELECT count(*) FROM pg_namespace WHERE nspname LIKE '%pwned_${tag}%' OR nspname LIKE 'Sch''ema%'")" \
        "hostile schemas in the source"
    mkdir -p "$CASE_DIR/x" # what ';rm -rf x' would remove, in the working directory
    dir=$(new_backup_dir)
    ts=$(do_backup backup --dbname h_names_src --backup-dir "$dir" --jobs 2)
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db h_names_dst --create-db --jobs 2
    compare_dbs h_names_src h_names_dst
    # What compare_dbs does not see: sequence values, comments, enum labels.
    assert_eq "$(q h_names_src "SELECT last_value FROM \"\\! touch /tmp/pwned_${tag}_1\".\"seq'\"\"
;\\! touch /tmp/pwned_${tag}_22\"")" \
        "$(q h_names_dst "SELECT last_value FROM \"\\! touch /tmp/pwned_${tag}_1\".\"seq'\"\"
;\\! touch /tmp/pwned_${tag}_22\"")" "value of the hostile sequence"
    local catalog="SELECT string_agg(d, E'\\n' ORDER BY d COLLATE \"C\") FROM (
        SELECT format('%s|%s|%s', objoid::regclass, objsubid, description) AS d
          FROM pg_description WHERE classoid = 'pg_class'::regclass) s"
    assert_eq "$(q h_names_src "$catalog")" "$(q h_names_dst "$catalog")" "comments on relations"
    catalog="SELECT string_agg(enumlabel, E'\\n' ORDER BY enumsortorder) FROM pg_enum"
    assert_eq "$(q h_names_src "$catalog")" "$(q h_names_dst "$catalog")" "enum labels"
    assert_eq 42 "$(q h_names_dst 'SELECT i FROM public.x')" "public.x in the target"
    assert_eq 42 "$(q h_names_src 'SELECT i FROM public.x')" "public.x in the source"
    pwned=$(ls /tmp/pwned_"${tag}"_* 2>/dev/null || true)
    [ -z "$pwned" ] || fail "a name or value ran a command: $pwned"
    [ -d "$CASE_DIR/x" ] || fail "'rm -rf x' ran"
    [ -n "$(q h_names_dst "SELECT 1 FROM pg_namespace WHERE nspname = 'public'")" ] || fail "schema public was dropped"
}

# --- hand-edited backup sets ---------------------------------------------------

# The good set that every case copies, made once.
ensure_base() {
    local base="$E2E_TMP/base" ts
    [ -f "$base/ts" ] && return 0
    create_db h_base_src
    q h_base_src "CREATE TABLE public.t (id integer PRIMARY KEY, v text);
                  INSERT INTO public.t SELECT g, 'v' || g FROM generate_series(1, 100) g;
                  CREATE TABLE public.x (i integer);
                  INSERT INTO public.x VALUES (42)"
    mkdir -p "$base/backups"
    ts=$(do_backup base --dbname h_base_src --backup-dir "$base/backups" --jobs 2)
    echo "$ts" >"$base/ts"
}

# The XXH3-128 checksum, as the manifest writes it, through libxxhash.
XXH_PY='
import ctypes, ctypes.util
class H128(ctypes.Structure):
    _fields_ = [("low64", ctypes.c_uint64), ("high64", ctypes.c_uint64)]
_lib = ctypes.CDLL(ctypes.util.find_library("xxhash") or "libxxhash.so.0")
_lib.XXH3_128bits.restype = H128
_lib.XXH3_128bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
def xxh128(data):
    h = _lib.XXH3_128bits(data, len(data))
    return "%016x%016x" % (h.high64, h.low64)
'

# resign SET TS: what an attacker who rewrites the manifest does: the size and
# checksum of every listed file that exists are recomputed, then the self
# checksum and the marker. An entry whose name is quoted (put there by a
# case) is kept as it is.
resign() {
    python3 - "$1" "$2" <<PY
$XXH_PY
import os, re, sys
setdir, ts = sys.argv[1], sys.argv[2]
path = os.path.join(setdir, "gpbackup_%s_manifest.yaml" % ts)
body, current = [], None
for line in open(path, "rb").read().split(b"\n"):
    if line.startswith(b"manifestchecksum:") or line == b"":
        continue
    m = re.match(rb"^- name: (.*)$", line)
    if m:
        name = m.group(1)
        current = None if name.startswith(b'"') else os.path.join(setdir.encode(), name)
    elif current and os.path.isfile(current):
        data = open(current, "rb").read()
        if line.startswith(b"  size: "):
            line = b"  size: %d" % len(data)
        elif line.startswith(b"  checksum: "):
            line = b'  checksum: "%s"' % xxh128(data).encode()
    body.append(line)
text = b"\n".join(body) + b"\n"
text += b'manifestchecksum: "%s"\n' % xxh128(text).encode()
open(path, "wb").write(text)
marker = os.path.join(setdir, "gpbackup_%s_complete" % ts)
if os.path.exists(marker):
    m = re.sub(rb"[0-9a-f]{32}", xxh128(text).encode(), open(marker, "rb").read())
    open(marker, "wb").write(m)
PY
}

# set_key FILE KEY VALUE [SKIP]: the (SKIP+1)-th line "KEY: ..." (at any
# indentation, also as "- KEY: ...") becomes "KEY: VALUE", VALUE being YAML.
set_key() {
    python3 - "$@" <<'PY'
import re, sys
path, key, value = sys.argv[1], sys.argv[2], sys.argv[3]
skip = int(sys.argv[4]) if len(sys.argv) > 4 else 0
lines = open(path, "rb").read().decode().split("\n")
pat = re.compile(r"^(\s*(?:- )?)" + re.escape(key) + r": .*$")
for i, line in enumerate(lines):
    m = pat.match(line)
    if m:
        if skip == 0:
            lines[i] = m.group(1) + key + ": " + value
            break
        skip -= 1
else:
    sys.exit("set_key: no line %r in %s" % (key, path))
open(path, "wb").write("\n".join(lines).encode())
PY
}

# The edits: each gets the set directory and the timestamp.
toc() { echo "$1/gpbackup_$2_toc.yaml"; }
edit_none() { :; }
edit_file_dotdot() { set_key "$(toc "$@")" file '"../../etc/passwd"'; }
edit_file_absolute() { set_key "$(toc "$@")" file '"/etc/passwd"'; }
edit_file_inner_dotdot() { set_key "$(toc "$@")" file '"a/../b"'; }
edit_file_nul() { set_key "$(toc "$@")" file "\"gpbackup_-1_$2_1\\0.zst\""; }
edit_file_empty() { set_key "$(toc "$@")" file '""'; }
edit_file_dot() { set_key "$(toc "$@")" file '".."'; }
edit_file_other() { set_key "$(toc "$@")" file "gpbackup_$2_config.yaml"; }
edit_toc_malformed() { sed -i 's/^predataentries:$/predataentries: [/' "$(toc "$@")"; }
edit_toc_tab() { sed -i '0,/^  name: /s/^  name: /\tname: /' "$(toc "$@")"; }
edit_toc_version() { set_key "$(toc "$@")" formatversion 99; }
edit_config_version() { set_key "$1/gpbackup_$2_config.yaml" formatversion 99; }
edit_endbyte_huge() { set_key "$(toc "$@")" endbyte 18446744073709551615; }
edit_endbyte_overflow() { set_key "$(toc "$@")" endbyte 99999999999999999999999; }
edit_startbyte_past_end() { set_key "$(toc "$@")" startbyte 1000000; }
edit_filebytes_huge() { set_key "$(toc "$@")" filebytes 18446744073709551615; }
edit_rowscopied() { set_key "$(toc "$@")" rowscopied 7; }
edit_attr_injection() { set_key "$(toc "$@")" attributestring '"(a); DROP TABLE x; --"'; }
edit_attr_injection2() { set_key "$(toc "$@")" attributestring '"(\"id\") FROM STDIN; DROP TABLE public.x; --"'; }
edit_attr_unbalanced() { set_key "$(toc "$@")" attributestring '"(\"id\", \"v)"'; }
edit_dataformat_unknown() { set_key "$(toc "$@")" dataformat '"parquet"'; }
edit_config_dataformat_unknown() { set_key "$1/gpbackup_$2_config.yaml" dataformat '"text"'; }
# Binary data where the server's helper would read it: never written so.
edit_dataformat_server_side() { set_key "$1/gpbackup_$2_config.yaml" datapath '"server-side"'; }
edit_metadata_appended() { printf 'DROP TABLE public.x;\n' >>"$1/gpbackup_$2_metadata.sql"; }
edit_manifest_dotdot() {
    sed -i "s|^- name: gpbackup_$2_report\$|- name: \"../../../etc/passwd\"|" "$1/gpbackup_$2_manifest.yaml"
    grep -q 'etc/passwd' "$1/gpbackup_$2_manifest.yaml"
}
edit_manifest_absolute() {
    sed -i "s|^- name: gpbackup_$2_report\$|- name: \"/etc/passwd\"|" "$1/gpbackup_$2_manifest.yaml"
    grep -q 'etc/passwd' "$1/gpbackup_$2_manifest.yaml"
}
edit_manifest_nul() {
    sed -i "s|^- name: gpbackup_$2_report\$|- name: \"gpbackup_$2_report\\\\0/../x\"|" "$1/gpbackup_$2_manifest.yaml"
    grep -q 'report\\0' "$1/gpbackup_$2_manifest.yaml"
}
edit_manifest_self_checksum() {
    set_key "$1/gpbackup_$2_manifest.yaml" manifestchecksum '"0123456789abcdef0123456789abcdef"'
}
edit_manifest_size() {
    sed -i '0,/^  size: /s/^  size: \([0-9]*\)/  size: 1\1/' "$1/gpbackup_$2_manifest.yaml"
}
edit_manifest_missing() { rm "$1/gpbackup_$2_manifest.yaml"; }

# test_edited_set EDIT SIGN ERE: a copy of the good set, changed by the function
# EDIT, then re-signed (SIGN=resign: the manifest and the marker recomputed,
# so that only the check aimed at is left to catch it), signed before the
# edit (SIGN=before) or not (SIGN=none), must be refused with exit 2 and a
# message matching ERE, before anything is created or written.
test_edited_set() {
    local edit=$1 sign=$2 want=$3 dir ts set db before after
    ensure_base
    ts=$(cat "$E2E_TMP/base/ts")
    cp -a "$E2E_TMP/base/backups" "$CASE_DIR/backups"
    dir="$CASE_DIR/backups"
    set=$(backup_set_dir "$dir" "$ts")
    [ "$sign" != before ] || resign "$set" "$ts"
    "$edit" "$set" "$ts"
    [ "$sign" != resign ] || resign "$set" "$ts"
    before=$(cd "$set" && stat -c '%n %s %Y' -- * | sort)
    db="h_never_$RANDOM"
    expect_exit 2 gprestore --timestamp "$ts" --backup-dir "$dir" --redirect-db "$db" --create-db --jobs 2
    assert_grep "$CASE_DIR/last.err" '^[-0-9]+ [0-9:.]+ gprestore P00 ERROR: '
    assert_grep "$CASE_DIR/last.err" "$want"
    assert_grep "$CASE_DIR/last.err" 'INFO: restore failed'
    assert_no_grep "$CASE_DIR/last.err" 'created database|restoring pre-data'
    ! db_exists "$db" || fail "gprestore created database $db from a hostile set"
    after=$(cd "$set" && stat -c '%n %s %Y' -- * | sort)
    assert_eq "$before" "$after" "files of the set after the refused restore"
    assert_eq 42 "$(q h_base_src 'SELECT i FROM public.x')" "public.x in the source"
}

# The copy, re-signed without an edit, restores: the refusals above are the
# edits' doing, not the re-signing's.
test_resigned_control() {
    local dir ts set
    ensure_base
    ts=$(cat "$E2E_TMP/base/ts")
    cp -a "$E2E_TMP/base/backups" "$CASE_DIR/backups"
    dir="$CASE_DIR/backups"
    set=$(backup_set_dir "$dir" "$ts")
    resign "$set" "$ts"
    ! cmp -s "$set/gpbackup_${ts}_manifest.yaml" "$E2E_TMP/base/backups/${set#"$dir"/}/gpbackup_${ts}_manifest.yaml" ||
        echo "note: the re-signed manifest is byte for byte the original"
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db h_control_dst --create-db --jobs 2
    compare_dbs h_base_src h_control_dst
}

# A packed data file cut short, or with a value's length rewritten past the
# end of the data (its size and checksum in the TOC and the manifest
# rewritten to match, so that only the decoder can tell): the restore names
# the file and what is wrong with it, and loads nothing of the table.
test_packed_damaged() {
    local how=$1 want=$2 dir ts set f
    create_db "h_pk_src_$how"
    q "h_pk_src_$how" "CREATE TABLE public.t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 1000) g"
    dir=$(new_backup_dir)
    ts=$(do_backup backup --dbname "h_pk_src_$how" --backup-dir "$dir" --no-compression)
    set=$(backup_set_dir "$dir" "$ts")
    f=$(ls "$set"/gpbackup_-1_"$ts"_*)
    case $how in
    truncated) truncate -s -3 "$f" ;;
    # The first row's second field (after the magic, the column count, two
    # modes, the COPY header, the field count and the first field's length
    # and 4-byte value): its length becomes 2^28.
    long_field) printf '\x81\x80\x80\x80\x01' | dd of="$f" bs=1 seek=$((8 + 1 + 2 + 19 + 1 + 1 + 4)) conv=notrunc 2>/dev/null ;;
    esac
    python3 - "$f" "$(toc "$set" "$ts")" <<PY
$XXH_PY
import os, re, sys
data = open(sys.argv[1], "rb").read()
toc = open(sys.argv[2]).read()
toc = re.sub(r"(?m)^  filebytes: .*$", "  filebytes: %d" % len(data), toc)
toc = re.sub(r'(?m)^  checksum: .*$', '  checksum: "%s"' % xxh128(data), toc)
open(sys.argv[2], "w").write(toc)
PY
    resign "$set" "$ts"
    expect_exit 2 gprestore --timestamp "$ts" --backup-dir "$dir" --redirect-db "h_pk_dst_$how" --create-db
    assert_grep "$CASE_DIR/last.err" "could not restore data of table \"public\".\"t\": data file \".*gpbackup_-1_${ts}_[0-9]+\": $want"
    assert_eq 0 "$(q "h_pk_dst_$how" 'SELECT count(*) FROM public.t')" "rows loaded"
}

# A TOC without dumpid and dependencies (as a set of an older version
# writes it) gives no way to tell an inheritance child or a partition from
# an independent table: with --jobs 4 gprestore must still create the
# tables in order, not in parallel runs (where a child could start before
# its parent).
test_toc_without_dumpids() {
    local dir ts set
    create_db h_nd_src
    q_file h_nd_src <<'SQL'
SELECT format('CREATE TABLE public.p%s (id int, v text)', g) FROM generate_series(1, 12) g \gexec
SELECT format('CREATE TABLE public.c%s (extra int) INHERITS (public.p%s)', g, g) FROM generate_series(1, 12) g \gexec
SELECT format('CREATE TABLE public.q%s (id int, k int) PARTITION BY RANGE (k)', g) FROM generate_series(1, 6) g \gexec
SELECT format('CREATE TABLE public.q%s_a PARTITION OF public.q%s FOR VALUES FROM (0) TO (10)', g, g) FROM generate_series(1, 6) g \gexec
SELECT format('INSERT INTO public.c%s VALUES (%s, ''v'', 1)', g, g) FROM generate_series(1, 12) g \gexec
SELECT format('INSERT INTO public.q%s VALUES (%s, 5)', g, g) FROM generate_series(1, 6) g \gexec
SQL
    dir=$(new_backup_dir)
    ts=$(do_backup backup --dbname h_nd_src --backup-dir "$dir" --jobs 2)
    set=$(backup_set_dir "$dir" "$ts")
    sed -i -E '/^  (dumpid|dependencies):/d; /^  - [0-9]+$/d' "$(toc "$set" "$ts")"
    ! grep -q -E 'dumpid|dependencies' "$(toc "$set" "$ts")" || fail "the TOC still has dumpids"
    resign "$set" "$ts"
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db h_nd_dst --create-db --jobs 4
    compare_dbs h_nd_src h_nd_dst
}

# Ten small tables in one shared file (--jobs 1: one batch), csv and
# uncompressed so that a changed byte is still valid data. Each edit is
# re-signed (manifest and marker recomputed from the files), so only the
# check aimed at is left: a part moved past the end of its file and an
# offset on the server-side data path are refused before anything is
# created; a byte changed inside one table's part fails that table's load on
# its own checksum, and nothing of it is kept.
test_shared_file() {
    local how=$1 want=$2 dir ts set f db
    create_db "h_sh_src_$how"
    q "h_sh_src_$how" "DO \$\$ BEGIN FOR i IN 1..10 LOOP
        EXECUTE format('CREATE TABLE public.t%s AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 50) g', i);
        END LOOP; END \$\$"
    dir=$(new_backup_dir)
    ts=$(do_backup backup --dbname "h_sh_src_$how" --backup-dir "$dir" --jobs 1 --data-format csv --no-compression)
    set=$(backup_set_dir "$dir" "$ts")
    assert_eq 10 "$(grep -c '^  offset: ' "$(toc "$set" "$ts")")" "tables in the shared file"
    f=$(ls "$set"/gpbackup_-1_"$ts"_*)
    case $how in
    offset_past_end) set_key "$(toc "$set" "$ts")" offset "$(stat -c %s "$f")" 2 ;;
    server_side) set_key "$set/gpbackup_${ts}_config.yaml" datapath '"server-side"' ;;
    # A digit of the fourth part's rows; its table's name in $CASE_DIR/damaged.
    damaged_part)
        python3 - "$f" "$(toc "$set" "$ts")" >"$CASE_DIR/damaged" <<'PY'
import re, sys
toc = open(sys.argv[2]).read().split("\ndataentries:")[1]
parts = sorted((int(re.search(r"(?m)^  offset: (\d+)$", e).group(1)),
                re.search(r"(?m)^  name: (.*)$", e).group(1))
               for e in toc.split("\n- ")[1:])
data = bytearray(open(sys.argv[1], "rb").read())
at = parts[3][0] + 10
data[at] = ord("7") if data[at] != ord("7") else ord("8")
open(sys.argv[1], "wb").write(data)
print(parts[3][1])
PY
        ;;
    esac
    resign "$set" "$ts"
    db="h_sh_dst_$how"
    expect_exit 2 gprestore --timestamp "$ts" --backup-dir "$dir" --redirect-db "$db" --create-db --jobs 2
    assert_grep "$CASE_DIR/last.err" "$want"
    if [ "$how" = damaged_part ]; then
        assert_grep "$CASE_DIR/last.err" "could not restore data of table \"public\".\"$(cat "$CASE_DIR/damaged")\""
        assert_eq 0 "$(q "$db" "SELECT count(*) FROM public.$(cat "$CASE_DIR/damaged")")" "rows of the damaged table"
    else
        ! db_exists "$db" || fail "gprestore created database $db from a hostile set"
    fi
}

# A table written in parts (GPBACKUP_PART_BYTES), csv and uncompressed: a
# digit changed in its second part (re-signed) fails that part's load with
# --jobs 2, naming the part; with --on-error-continue the parts that did
# load are removed again, so the table is empty rather than partly loaded.
# Parts that do not follow each other in the TOC are refused before
# anything is created.
test_parts_damaged() {
    local how=$1 dir ts set toc db
    create_db "h_pt_src_$how"
    q "h_pt_src_$how" "CREATE TABLE public.big AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 20000) g;
        CREATE TABLE public.small AS SELECT 1 AS x"
    dir=$(new_backup_dir)
    export GPBACKUP_PART_BYTES=100000
    ts=$(do_backup backup --dbname "h_pt_src_$how" --backup-dir "$dir" --data-format csv --no-compression)
    unset GPBACKUP_PART_BYTES
    set=$(backup_set_dir "$dir" "$ts")
    toc="$set/gpbackup_${ts}_toc.yaml"
    [ "$(grep -c '^  - offset: ' "$toc")" -ge 3 ] || fail "big was not written in parts"
    db="h_pt_dst_$how"
    case $how in
    gap)
        set_key "$toc" offset 1 1
        resign "$set" "$ts"
        expect_exit 2 gprestore --timestamp "$ts" --backup-dir "$dir" --redirect-db "$db" --create-db --jobs 2
        assert_grep "$CASE_DIR/last.err" 'invalid part 2 of table "big" in the table of contents: not where the previous part ends'
        ! db_exists "$db" || fail "gprestore created database $db from a hostile set"
        return
        ;;
    esac
    # The whole file's checksum in the TOC follows the change (as the
    # manifest's does when re-signed): only the part's own can tell.
    python3 - "$set/gpbackup_-1_${ts}_$(q "h_pt_src_$how" "SELECT 'public.big'::regclass::oid")" "$toc" <<PY
$XXH_PY
import re, sys
toc = open(sys.argv[2]).read()
second = int(re.findall(r"(?m)^  - offset: (\\d+)$", toc)[1])
data = bytearray(open(sys.argv[1], "rb").read())
before = xxh128(bytes(data))
at = data.index(b"\\n", second) + 2
data[at] = ord("7") if data[at] != ord("7") else ord("8")
open(sys.argv[1], "wb").write(data)
assert toc.count(before) == 1
open(sys.argv[2], "w").write(toc.replace(before, xxh128(bytes(data))))
PY
    resign "$set" "$ts"
    case $how in
    stop)
        expect_exit 2 gprestore --timestamp "$ts" --backup-dir "$dir" --redirect-db "$db" --create-db --jobs 2
        assert_grep "$CASE_DIR/last.err" 'could not restore part 2 of [0-9]+ of the data of table "public"."big": data file ".*" is damaged: its checksum differs'
        ;;
    continue)
        expect_exit 1 gprestore --timestamp "$ts" --backup-dir "$dir" --redirect-db "$db" --create-db --jobs 2 --on-error-continue
        assert_grep "$CASE_DIR/last.err" 'could not restore part 2 of [0-9]+ of the data of table "public"."big"'
        assert_eq 0 "$(q "$db" 'SELECT count(*) FROM public.big')" "rows of big after a failed part"
        assert_eq 1 "$(q "$db" 'SELECT count(*) FROM public.small')" "rows of small"
        ;;
    esac
}

# --- secrets -----------------------------------------------------------------

test_password_not_written() {
    local dir secret ts rc=0 set
    secret="s3cr3t_value_$RANDOM$RANDOM"
    create_db h_pw_src
    q h_pw_src "CREATE TABLE public.t AS SELECT g AS id FROM generate_series(1, 100) g"
    dir=$(new_backup_dir)
    # The cluster trusts local connections: the password is not checked.
    expect_exit 1 gpbackup --dbname "host=127.0.0.1 port=$PGPORT dbname=h_pw_src password=$secret" --backup-dir "$dir"
    assert_grep "$CASE_DIR/last.err" 'WARNING: a password given in --dbname is visible to other users'
    cat "$CASE_DIR/last.out" "$CASE_DIR/last.err" >"$CASE_DIR/outputs"
    ts=$(backup_ts "$CASE_DIR/last.err")
    expect_exit 1 gpbackup --dbname "postgresql://postgres:$secret@127.0.0.1:$PGPORT/h_pw_src?password=$secret" \
        --backup-dir "$dir"
    assert_grep "$CASE_DIR/last.err" 'WARNING: a password given in --dbname'
    cat "$CASE_DIR/last.out" "$CASE_DIR/last.err" >>"$CASE_DIR/outputs"
    set=$(backup_set_dir "$dir" "$ts")
    assert_grep "$set/gpbackup_${ts}_report" 'password=\*+'
    assert_eq Success "$(sed -n 's/^status: *//p' "$set/gpbackup_${ts}_config.yaml")" "status of the backup"
    # gprestore connects for --create-db with --dbname's settings.
    echo "+ gprestore --dbname '... password=***' ..." >&2
    gprestore --timestamp "$ts" --backup-dir "$dir" --redirect-db h_pw_dst --create-db \
        --dbname "host=127.0.0.1 port=$PGPORT dbname=postgres password=$secret" >>"$CASE_DIR/outputs" 2>&1 || rc=$?
    cat "$CASE_DIR/outputs"
    # A warning, as for gpbackup: the restore succeeds and exits 1.
    [ "$rc" = 1 ] || fail "gprestore with a password in --dbname exited $rc, expected 1"
    assert_grep "$CASE_DIR/outputs" 'gprestore .*WARNING: a password given in --dbname is visible to other users'
    assert_eq 100 "$(q h_pw_dst 'SELECT count(*) FROM public.t')" "rows restored"
    if grep -rlF -- "$secret" "$dir" "$HOME/gpAdminLogs" "$CASE_DIR/outputs"; then
        fail "the password appears in the files above"
    fi
}

run_test hostile_names test_hostile_names
run_test resigned_control test_resigned_control
run_test toc_file_dotdot test_edited_set edit_file_dotdot resign 'invalid data file name "\.\./\.\./etc/passwd"'
run_test toc_file_absolute test_edited_set edit_file_absolute resign 'invalid data file name "/etc/passwd"'
run_test toc_file_inner_dotdot test_edited_set edit_file_inner_dotdot resign 'invalid data file name "a/\.\./b"'
run_test toc_file_nul test_edited_set edit_file_nul resign '"file".*null character'
run_test toc_file_empty test_edited_set edit_file_empty resign 'invalid data file name ""|"file"'
run_test toc_file_dotdot_only test_edited_set edit_file_dot resign 'invalid data file name "\.\."'
run_test toc_file_other_set_file test_edited_set edit_file_other resign 'table of contents and the manifest disagree'
run_test toc_malformed_yaml test_edited_set edit_toc_malformed resign 'could not read the table of contents'
run_test toc_tab_indent test_edited_set edit_toc_tab resign 'could not read the table of contents'
run_test toc_format_version_99 test_edited_set edit_toc_version resign 'unsupported format version 99'
run_test config_format_version_99 test_edited_set edit_config_version resign 'unsupported format version 99'
run_test toc_endbyte_huge test_edited_set edit_endbyte_huge resign 'past the end of the metadata file'
run_test toc_endbyte_overflow test_edited_set edit_endbyte_overflow resign '"endbyte"'
run_test toc_startbyte_past_end test_edited_set edit_startbyte_past_end resign 'invalid byte range|past the end'
run_test toc_filebytes_huge test_edited_set edit_filebytes_huge resign 'table of contents and the manifest disagree'
run_test toc_attributestring_injection test_edited_set edit_attr_injection resign 'invalid column list'
run_test toc_attributestring_injection2 test_edited_set edit_attr_injection2 resign 'invalid column list'
run_test toc_attributestring_unbalanced test_edited_set edit_attr_unbalanced resign 'invalid column list'
run_test toc_dataformat_unknown test_edited_set edit_dataformat_unknown resign 'unknown data format "parquet" of table'
run_test config_dataformat_unknown test_edited_set edit_config_dataformat_unknown resign 'unknown data format "text" in its configuration'
run_test config_binary_server_side test_edited_set edit_dataformat_server_side resign 'data format packed with data path server-side'
run_test toc_edited_unsigned test_edited_set edit_rowscopied none 'toc\.yaml.* is damaged'
run_test metadata_edited_unsigned test_edited_set edit_metadata_appended none 'metadata\.sql.* is damaged'
run_test config_edited_unsigned test_edited_set edit_config_version none 'unsupported format version 99|config\.yaml.* is damaged'
run_test manifest_dotdot_name test_edited_set edit_manifest_dotdot resign 'invalid file name "\.\./\.\./\.\./etc/passwd"'
run_test manifest_absolute_name test_edited_set edit_manifest_absolute resign 'invalid file name "/etc/passwd"'
run_test manifest_nul_name test_edited_set edit_manifest_nul resign 'null character|invalid file name'
run_test manifest_wrong_self_checksum test_edited_set edit_manifest_self_checksum before 'manifest checksum mismatch'
run_test manifest_edited_unsigned test_edited_set edit_manifest_size before 'manifest checksum mismatch'
run_test manifest_missing test_edited_set edit_manifest_missing none 'manifest'
run_test packed_truncated test_packed_damaged truncated 'packed data ends before its end marker'
run_test packed_long_field test_packed_damaged long_field 'packed data ends before its end marker'
run_test shared_offset_past_end test_shared_file offset_past_end 'data file ".*": the table of contents and the manifest disagree'
run_test shared_offset_server_side test_shared_file server_side 'has an offset in the table of contents, which the server-side data path does not write'
run_test shared_damaged_part test_shared_file damaged_part 'data file ".*gpbackup_-1_[0-9]+_[0-9]+" is damaged: its checksum differs'
run_test parts_damaged_stop test_parts_damaged stop
run_test parts_damaged_continue test_parts_damaged continue
run_test parts_gap test_parts_damaged gap
run_test password_not_written test_password_not_written
run_test toc_without_dumpids test_toc_without_dumpids
finish
