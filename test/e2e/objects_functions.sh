#!/bin/bash
# Routines and what is built from them: procedural languages, functions and
# procedures (defaults, OUT, VARIADIC, SETOF, RETURNS TABLE, SQL-standard
# bodies, SECURITY DEFINER with SET, window and support functions),
# aggregates (combine, serial, moving, ordered-set, hypothetical, zero
# arguments), casts, operators with one-sided and mutual commutators,
# operator families and classes (btree over a domain, gist with STORAGE and
# ordering operators, loose family members), collations, conversions and
# range types; with owners, comments and privileges. Round trip with
# --jobs 2 must give the same pg_dump --schema-only; the restored objects
# must work. A schema filter leaves out the objects of no schema.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_cluster

# Roles are cluster-wide and the cluster is shared by every test file.
roles_sql() {
    cat <<'SQL'
SET client_min_messages = warning;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fn_owner') THEN
        CREATE ROLE fn_owner;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fn_user') THEN
        CREATE ROLE fn_user;
    END IF;
END $$;
SQL
}

source_sql() {
    cat <<'SQL'
SET client_min_messages = warning;
CREATE SCHEMA fx;
COMMENT ON SCHEMA fx IS 'routines and friends';
CREATE SCHEMA "Fx Schema";

-- A domain whose CHECK calls a function; privileges on types.
CREATE FUNCTION fx.is_even(i int) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT i % 2 = 0 $$;
CREATE DOMAIN fx.even AS int CHECK (fx.is_even(VALUE));
GRANT USAGE ON DOMAIN fx.even TO fn_user;
-- A cycle: the function takes the domain its CHECK calls it from.
CREATE DOMAIN fx.posdom AS int;
CREATE FUNCTION fx.positive(int, fx.posdom[] DEFAULT NULL) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS 'SELECT $1 > 0';
ALTER DOMAIN fx.posdom ADD CONSTRAINT posdom_check CHECK (fx.positive(VALUE));
COMMENT ON CONSTRAINT posdom_check ON DOMAIN fx.posdom IS 'positive';
ALTER DOMAIN fx.posdom ADD CONSTRAINT posdom_small CHECK (fx.positive(100 - VALUE)) NOT VALID;
CREATE TYPE fx.color AS ENUM ('red', 'green');
REVOKE USAGE ON TYPE fx.color FROM PUBLIC;
CREATE TYPE fx.pt AS (x int, y int);
GRANT USAGE ON TYPE fx.pt TO fn_user;

-- Defaults, OUT, VARIADIC, SETOF, RETURNS TABLE, overloads, bodies.
CREATE FUNCTION fx.add(a int, b int DEFAULT 10, OUT s int, OUT p int)
    LANGUAGE sql AS 'SELECT a + b, a * b';
COMMENT ON FUNCTION fx.add(int, int) IS 'adds and multiplies';
CREATE FUNCTION fx.total(VARIADIC xs numeric[]) RETURNS numeric LANGUAGE sql
    AS $$ SELECT sum(x) FROM unnest(xs) x $$;
CREATE FUNCTION fx.series(n int) RETURNS SETOF int LANGUAGE sql ROWS 42 COST 7
    AS $$ SELECT generate_series(1, n) $$;
CREATE FUNCTION fx.pairs(n int) RETURNS TABLE (i int, sq bigint) LANGUAGE sql
    AS $$ SELECT g, g::bigint * g FROM generate_series(1, n) g $$;
CREATE FUNCTION fx.twice(x int) RETURNS int LANGUAGE sql IMMUTABLE LEAKPROOF RETURN x * 2;
CREATE FUNCTION fx.twice(x text) RETURNS text LANGUAGE sql AS $$ SELECT x || x $$;
CREATE FUNCTION fx.std_body(x int) RETURNS int LANGUAGE sql
BEGIN ATOMIC
    SELECT fx.twice(x) + 1;
END;
CREATE FUNCTION "Fx Schema"."Mixed Case"("Arg" int DEFAULT 1) RETURNS int LANGUAGE sql RETURN "Arg";
COMMENT ON FUNCTION "Fx Schema"."Mixed Case"(int) IS 'it''s quoted';
GRANT EXECUTE ON FUNCTION "Fx Schema"."Mixed Case"(int) TO fn_user WITH GRANT OPTION;
CREATE FUNCTION fx.myrank() RETURNS bigint LANGUAGE internal WINDOW IMMUTABLE AS 'window_rank';
CREATE FUNCTION fx.mylike(text, text) RETURNS boolean LANGUAGE internal STRICT IMMUTABLE
    SUPPORT textlike_support AS 'textlike';

-- A procedure, a trigger function, SECURITY DEFINER with SET.
CREATE PROCEDURE fx.bump(INOUT n int) LANGUAGE plpgsql AS $$ BEGIN n := n + 1; END $$;
COMMENT ON PROCEDURE fx.bump(int) IS 'a procedure';
ALTER PROCEDURE fx.bump(int) OWNER TO fn_owner;
GRANT EXECUTE ON PROCEDURE fx.bump(int) TO fn_user;
CREATE FUNCTION fx.trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.v := coalesce(NEW.v, 0) + 1; RETURN NEW; END $$;
CREATE FUNCTION fx.secret() RETURNS text LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp SET work_mem = '8MB'
    AS $$ BEGIN RETURN current_user; END $$;
ALTER FUNCTION fx.secret() OWNER TO fn_owner;
REVOKE EXECUTE ON FUNCTION fx.secret() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fx.secret() TO fn_user;
COMMENT ON FUNCTION fx.secret() IS 'runs as its owner';

-- Aggregates.
CREATE FUNCTION fx.avg_acc(state numeric[], x numeric) RETURNS numeric[] LANGUAGE sql IMMUTABLE
    AS $$ SELECT ARRAY[state[1] + x, state[2] + 1] $$;
CREATE FUNCTION fx.avg_comb(a numeric[], b numeric[]) RETURNS numeric[] LANGUAGE sql IMMUTABLE
    AS $$ SELECT ARRAY[a[1] + b[1], a[2] + b[2]] $$;
CREATE FUNCTION fx.avg_fin(state numeric[]) RETURNS numeric LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN state[2] = 0 THEN NULL ELSE state[1] / state[2] END $$;
CREATE AGGREGATE fx.my_avg(numeric) (
    SFUNC = fx.avg_acc, STYPE = numeric[], FINALFUNC = fx.avg_fin,
    COMBINEFUNC = fx.avg_comb, INITCOND = '{0,0}', PARALLEL = SAFE);
COMMENT ON AGGREGATE fx.my_avg(numeric) IS 'an average';
GRANT EXECUTE ON FUNCTION fx.my_avg(numeric) TO fn_user;
CREATE FUNCTION fx.isum(int8, int) RETURNS int8 LANGUAGE sql IMMUTABLE AS $$ SELECT $1 + $2 $$;
CREATE FUNCTION fx.isub(int8, int) RETURNS int8 LANGUAGE sql IMMUTABLE AS $$ SELECT $1 - $2 $$;
CREATE FUNCTION fx.mfin(int8) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT $1::numeric $$;
CREATE AGGREGATE fx.msum(int) (SFUNC = fx.isum, STYPE = int8, INITCOND = '0', FINALFUNC = fx.mfin,
    MSFUNC = fx.isum, MINVFUNC = fx.isub, MSTYPE = int8, MSSPACE = 16, MINITCOND = '0',
    MFINALFUNC = fx.mfin, MFINALFUNC_MODIFY = SHAREABLE);
CREATE AGGREGATE fx.mymax(int) (SFUNC = int4larger, STYPE = int, SORTOP = >);
CREATE AGGREGATE fx.my_sum(numeric) (SFUNC = numeric_avg_accum, STYPE = internal, SSPACE = 128,
    FINALFUNC = numeric_sum, FINALFUNC_MODIFY = SHAREABLE, COMBINEFUNC = numeric_avg_combine,
    SERIALFUNC = numeric_avg_serialize, DESERIALFUNC = numeric_avg_deserialize,
    PARALLEL = RESTRICTED);
CREATE AGGREGATE fx.cnt(*) (SFUNC = int8inc, STYPE = int8, INITCOND = '0');
COMMENT ON AGGREGATE fx.cnt(*) IS 'counts';
REVOKE ALL ON FUNCTION fx.cnt() FROM PUBLIC;
CREATE AGGREGATE fx.my_pct(float8 ORDER BY anyelement) (SFUNC = ordered_set_transition,
    STYPE = internal, FINALFUNC = percentile_disc_final, FINALFUNC_EXTRA);
CREATE AGGREGATE fx.my_rank(VARIADIC "any" ORDER BY VARIADIC "any") (
    SFUNC = ordered_set_transition_multi, STYPE = internal, FINALFUNC = rank_final,
    FINALFUNC_EXTRA, HYPOTHETICAL);

-- Operators: a mutual commutator pair, one-sided links, a prefix operator.
CREATE FUNCTION fx.pt_lt(fx.pt, fx.pt) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS $$ SELECT ($1.x + $1.y) < ($2.x + $2.y) $$;
CREATE FUNCTION fx.pt_gt(fx.pt, fx.pt) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS $$ SELECT ($1.x + $1.y) > ($2.x + $2.y) $$;
CREATE OPERATOR fx.<<< (LEFTARG = fx.pt, RIGHTARG = fx.pt, FUNCTION = fx.pt_lt,
    COMMUTATOR = OPERATOR(fx.>>>), RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR fx.>>> (LEFTARG = fx.pt, RIGHTARG = fx.pt, FUNCTION = fx.pt_gt,
    COMMUTATOR = OPERATOR(fx.<<<));
COMMENT ON OPERATOR fx.<<< (fx.pt, fx.pt) IS 'less by sum';
CREATE OPERATOR fx.! (RIGHTARG = int, FUNCTION = int4um);
ALTER OPERATOR fx.! (NONE, int) OWNER TO fn_owner;

-- A btree operator class over a domain: the later operators are created
-- as shells by the first ones' links, then filled in without links.
CREATE DOMAIN fx.code AS text;
CREATE FUNCTION fx.code_cmp(fx.code, fx.code) RETURNS int LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN lower($1) < lower($2) THEN -1 WHEN lower($1) > lower($2) THEN 1 ELSE 0 END $$;
CREATE FUNCTION fx.code_lt(fx.code, fx.code) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT fx.code_cmp($1, $2) < 0 $$;
CREATE FUNCTION fx.code_le(fx.code, fx.code) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT fx.code_cmp($1, $2) <= 0 $$;
CREATE FUNCTION fx.code_eq(fx.code, fx.code) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT fx.code_cmp($1, $2) = 0 $$;
CREATE FUNCTION fx.code_ge(fx.code, fx.code) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT fx.code_cmp($1, $2) >= 0 $$;
CREATE FUNCTION fx.code_gt(fx.code, fx.code) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT fx.code_cmp($1, $2) > 0 $$;
CREATE OPERATOR fx.< (LEFTARG = fx.code, RIGHTARG = fx.code, FUNCTION = fx.code_lt,
    COMMUTATOR = OPERATOR(fx.>), NEGATOR = OPERATOR(fx.>=));
CREATE OPERATOR fx.<= (LEFTARG = fx.code, RIGHTARG = fx.code, FUNCTION = fx.code_le,
    COMMUTATOR = OPERATOR(fx.>=), NEGATOR = OPERATOR(fx.>));
CREATE OPERATOR fx.= (LEFTARG = fx.code, RIGHTARG = fx.code, FUNCTION = fx.code_eq,
    COMMUTATOR = OPERATOR(fx.=), HASHES, MERGES);
CREATE OPERATOR fx.>= (LEFTARG = fx.code, RIGHTARG = fx.code, FUNCTION = fx.code_ge);
CREATE OPERATOR fx.> (LEFTARG = fx.code, RIGHTARG = fx.code, FUNCTION = fx.code_gt);
CREATE OPERATOR CLASS fx.code_ops DEFAULT FOR TYPE fx.code USING btree AS
    OPERATOR 1 fx.<, OPERATOR 2 fx.<=, OPERATOR 3 fx.=, OPERATOR 4 fx.>=, OPERATOR 5 fx.>,
    FUNCTION 1 fx.code_cmp(fx.code, fx.code);
COMMENT ON OPERATOR CLASS fx.code_ops USING btree IS 'case-insensitive codes';
ALTER OPERATOR CLASS fx.code_ops USING btree OWNER TO fn_owner;

-- Families: loose members, two classes sharing one with a cross-type
-- member, a class without members, a gist class with STORAGE and an
-- ordering operator (members the access method makes optional go to the
-- family).
CREATE OPERATOR FAMILY fx.loose USING hash;
ALTER OPERATOR FAMILY fx.loose USING hash ADD FUNCTION 1 (int4, int4) hashint4(int4);
ALTER OPERATOR FAMILY fx.loose USING hash ADD OPERATOR 1 = (int4, int4);
COMMENT ON OPERATOR FAMILY fx.loose USING hash IS 'a loose family';
CREATE OPERATOR FAMILY fx.int_fam USING btree;
CREATE OPERATOR CLASS fx.int_ops FOR TYPE int4 USING btree FAMILY fx.int_fam AS
    OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >,
    OPERATOR 1 < (int4, int8), FUNCTION 1 btint4cmp(int4, int4), FUNCTION 1 btint48cmp(int4, int8);
CREATE OPERATOR CLASS fx.int8_ops FOR TYPE int8 USING btree FAMILY fx.int_fam AS
    OPERATOR 1 <, OPERATOR 3 =, FUNCTION 1 btint8cmp(int8, int8);
CREATE OPERATOR CLASS fx.empty_ops FOR TYPE int2 USING hash AS STORAGE int2;
CREATE OPERATOR CLASS fx.mypoint_ops FOR TYPE point USING gist AS
    OPERATOR 1 <<, OPERATOR 5 >>, OPERATOR 15 <-> (point, point) FOR ORDER BY pg_catalog.float_ops,
    OPERATOR 28 <@ (point, box),
    FUNCTION 1 gist_point_consistent(internal, point, smallint, oid, internal),
    FUNCTION 2 gist_box_union(internal, internal),
    FUNCTION 3 gist_point_compress(internal),
    FUNCTION 5 gist_box_penalty(internal, internal, internal),
    FUNCTION 6 gist_box_picksplit(internal, internal),
    FUNCTION 7 gist_box_same(box, box, internal),
    FUNCTION 8 gist_point_distance(internal, point, smallint, oid, internal),
    FUNCTION 9 gist_point_fetch(internal),
    STORAGE box;

-- Casts.
CREATE TYPE fx.money2 AS (amount numeric);
CREATE FUNCTION fx.to_money2(numeric) RETURNS fx.money2 LANGUAGE sql IMMUTABLE
    AS $$ SELECT ROW($1)::fx.money2 $$;
CREATE CAST (numeric AS fx.money2) WITH FUNCTION fx.to_money2(numeric) AS ASSIGNMENT;
COMMENT ON CAST (numeric AS fx.money2) IS 'numbers to money';
CREATE CAST (fx.money2 AS text) WITH INOUT;
CREATE CAST (bool AS "char") WITHOUT FUNCTION AS IMPLICIT;

-- Collations and conversions.
CREATE COLLATION fx.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
COMMENT ON COLLATION fx.ci IS 'case insensitive';
CREATE COLLATION fx.c2 (lc_collate = 'C', lc_ctype = 'C');
CREATE COLLATION fx.mixed (lc_collate = 'C', lc_ctype = 'POSIX');
ALTER COLLATION fx.mixed OWNER TO fn_owner;
CREATE COLLATION fx.copy FROM "C";
CREATE CONVERSION fx.myconv FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;
COMMENT ON CONVERSION fx.myconv IS 'a conversion';
CREATE DEFAULT CONVERSION fx.defconv FOR 'LATIN2' TO 'UTF8' FROM iso8859_to_utf8;

-- Range types: subtype_diff, a collation, a named multirange, a
-- non-default operator class of the subtype.
CREATE FUNCTION fx.f8diff(float8, float8) RETURNS float8 LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT $1 - $2 $$;
CREATE TYPE fx.floatrange AS RANGE (subtype = float8, subtype_diff = fx.f8diff);
COMMENT ON TYPE fx.floatrange IS 'float range';
ALTER TYPE fx.floatrange OWNER TO fn_owner;
GRANT USAGE ON TYPE fx.floatrange TO fn_user;
CREATE TYPE fx.textrange AS RANGE (subtype = text, collation = fx.c2,
    multirange_type_name = fx.textmultirange);
CREATE TYPE fx.int_range AS RANGE (subtype = int4, subtype_opclass = fx.int_ops);

-- Procedural languages that are not extensions.
CREATE TRUSTED LANGUAGE mylang HANDLER plpgsql_call_handler VALIDATOR plpgsql_validator;
COMMENT ON LANGUAGE mylang IS 'custom language';
REVOKE USAGE ON LANGUAGE mylang FROM PUBLIC;
GRANT USAGE ON LANGUAGE mylang TO fn_user;
CREATE TRUSTED LANGUAGE inl HANDLER plpgsql_call_handler INLINE plpgsql_inline_handler
    VALIDATOR plpgsql_validator;
ALTER LANGUAGE inl OWNER TO fn_owner;
CREATE LANGUAGE untrusted_lang HANDLER plpgsql_call_handler;
CREATE FUNCTION fx.in_mylang() RETURNS int LANGUAGE mylang AS $$ BEGIN RETURN 1; END $$;

-- Tables that use them; functions that read tables created after them.
CREATE TABLE fx.t (id int PRIMARY KEY, v int, e fx.even, c fx.code, r fx.floatrange,
    n text COLLATE fx.ci, p point, pd fx.posdom);
CREATE TRIGGER t_trg BEFORE INSERT ON fx.t FOR EACH ROW EXECUTE FUNCTION fx.trg();
CREATE INDEX t_c_idx ON fx.t (c);
CREATE INDEX t_p_idx ON fx.t USING gist (p fx.mypoint_ops);
INSERT INTO fx.t VALUES (1, 1, 2, 'Ab', '[1,2)', 'x', '(1,1)', 5),
    (2, NULL, 4, 'cd', '[3,5)', 'Y', '(2,2)', NULL);
CREATE FUNCTION fx.count_t() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM fx.t $$;
CREATE FUNCTION fx.uses_table(fx.t) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT ($1).id; END;
CREATE TABLE fx.uses_default (id int, k bigint DEFAULT fx.twice(3));
INSERT INTO fx.uses_default (id) VALUES (1);
SQL
}

test_functions_roundtrip() {
    local dir ts
    roles_sql | q_file postgres
    create_db fn_src
    source_sql | q_file fn_src
    dir=$(new_backup_dir)
    ts=$(do_backup backup --dbname fn_src --backup-dir "$dir" --jobs 2)
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db fn_dst --create-db --jobs 2
    compare_dbs fn_src fn_dst
    assert_no_grep "$CASE_DIR/backup.log" 'circular dependency' "dependency cycles"
    # The restored objects work.
    assert_eq "(11,10)" "$(q fn_dst 'SELECT fx.add(1)')" "a function with a default and OUT arguments"
    assert_eq "6" "$(q fn_dst 'SELECT fx.total(1, 2, 3)')" "a VARIADIC function"
    assert_eq "7" "$(q fn_dst 'SELECT fx.std_body(3)')" "a SQL-standard body"
    assert_eq "3" "$(q fn_dst 'CALL fx.bump(2)')" "a procedure"
    assert_eq "fn_owner" "$(q fn_dst 'SELECT fx.secret()')" "SECURITY DEFINER"
    assert_eq "2.0000000000000000|4|2" \
        "$(q fn_dst 'SELECT fx.my_avg(x), fx.msum(x::int), fx.cnt(*) FROM (VALUES (1.0), (3.0)) v(x)')" \
        "aggregates"
    assert_eq "t|f" "$(q fn_dst "SELECT 'AB'::fx.code OPERATOR(fx.=) 'ab'::fx.code,
        ROW(1, 1)::fx.pt OPERATOR(fx.>>>) ROW(2, 2)::fx.pt")" "operators"
    assert_eq "1" "$(q fn_dst 'SELECT fx.in_mylang()')" "a function in a restored language"
    assert_eq "t|f" "$(q fn_dst "SELECT has_function_privilege('fn_user', 'fx.secret()', 'EXECUTE'),
        has_function_privilege('public', 'fx.secret()', 'EXECUTE')")" "function privileges"
    assert_eq "t|f" "$(q fn_dst "SELECT has_language_privilege('fn_user', 'mylang', 'USAGE'),
        has_type_privilege('public', 'fx.color', 'USAGE')")" "language and type privileges"
    assert_eq "2" "$(q fn_dst 'SELECT fx.count_t()')" "a function reading a table"
    expect_exit 1 psql -X -q -v ON_ERROR_STOP=1 -d fn_dst -c 'SELECT (-1)::fx.posdom'
    assert_grep "$CASE_DIR/last.err" 'violates check constraint "posdom_check"'
    expect_exit 1 psql -X -q -v ON_ERROR_STOP=1 -d fn_dst -c 'SELECT 200::fx.posdom'
    assert_grep "$CASE_DIR/last.err" 'violates check constraint "posdom_small"'
    expect_exit 1 psql -X -q -v ON_ERROR_STOP=1 -d fn_dst -c 'SELECT 3::fx.even'
    assert_grep "$CASE_DIR/last.err" 'violates check constraint "even_check"' 
    assert_eq "1" "$(q fn_dst "SET enable_seqscan = off; SELECT id FROM fx.t WHERE c OPERATOR(fx.=) 'AB'")" \
        "an index with a custom operator class"
}

# Objects of no schema (languages, casts) belong to a whole-database backup
# only; the routines of the schema asked for come without them.
test_functions_schema_filter() {
    local dir ts
    roles_sql | q_file postgres
    create_db fn_flt_src
    source_sql | q_file fn_flt_src
    dir=$(new_backup_dir)
    ts=$(do_backup backup --dbname fn_flt_src --backup-dir "$dir" --include-schema "Fx Schema" \
        --metadata-only)
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db fn_flt_dst --create-db
    assert_eq "1" "$(q fn_flt_dst 'SELECT "Fx Schema"."Mixed Case"()')" "the routine of the schema asked for"
    assert_eq "0" "$(q fn_flt_dst "SELECT count(*) FROM pg_language WHERE lanname IN ('mylang', 'inl')")" \
        "languages"
    assert_eq "0" "$(q fn_flt_dst 'SELECT count(*) FROM pg_cast WHERE oid >= 16384')" "casts"
    assert_eq "0" "$(q fn_flt_dst "SELECT count(*) FROM pg_namespace WHERE nspname = 'fx'")" "other schemas"
}

run_test functions_roundtrip test_functions_roundtrip
run_test functions_schema_filter test_functions_schema_filter
finish
