#!/bin/bash
# Idempotence: one database holding at least one object of every kind the
# tool backs up (adapted from objects_functions.sh, objects_triggers.sh,
# objects_tables.sh, objects_globals.sh and partitions.sh, in one database),
# then
#
#   backup (--jobs 2) -> restore into a new database (--create-db)
#   -> backup of the restored database -> restore of that into a third one
#
# The two metadata files (gpbackup_<TS>_metadata.sql) must be identical and
# the two TOCs must list the same entries (section, schema, name,
# objecttype, referenceobject) in the same order, once the database's name
# is replaced. Only the TOC holds that name (as the name of the DATABASE
# METADATA and DATABASE GUCS entries: their SQL uses current_database());
# OIDs and timestamps appear in neither file. pg_dump --schema-only of the
# three databases, and their rows, must be identical too. Nothing else is
# normalised: a difference is a bug (an order that follows OIDs, which a
# restore does not reproduce; a property lost or changed on the way).
#
# A filtered case: --include-schema on backup and --exclude-table on restore
# give exactly the expected objects, checked on pg_dump -s output.
#
# Left out: security labels (they need a label provider, which a stock
# server does not load) and a subscription that connects (connect = false).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_cluster

SRC=idem_src_db
DST1=idem_dst1_db
DST2=idem_dst2_db

# Roles and the tablespace are cluster-wide and the cluster is shared by
# every test file: created only when missing, never dropped.
globals_setup() {
    q_file postgres <<'SQL'
SET client_min_messages = warning;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'idem_owner') THEN
        CREATE ROLE idem_owner;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'idem_reader') THEN
        CREATE ROLE idem_reader LOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'Idem Mixed') THEN
        CREATE ROLE "Idem Mixed";
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'idem_group') THEN
        CREATE ROLE idem_group NOLOGIN;
        GRANT idem_group TO idem_reader WITH ADMIN OPTION;
        ALTER ROLE idem_owner SET work_mem = '3MB';
        COMMENT ON ROLE idem_group IS 'a group';
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- created by someone else at the same moment
END
$$;
SQL
    if [ "$(q postgres "SELECT count(*) FROM pg_tablespace WHERE spcname = 'idem_space'")" = 0 ]; then
        # The directory must belong to the server's OS user: the server makes it.
        local dir
        dir="$(dirname "$(q postgres 'SHOW data_directory')")/idem_space"
        q postgres "COPY (SELECT 1) TO PROGRAM 'mkdir -p $dir'"
        q postgres "CREATE TABLESPACE idem_space LOCATION '$dir'"
    fi
}

# A database holding a subscription cannot be dropped: its subscriptions
# (without a slot: connect = false) go first.
drop_db() {
    local db=$1 sub
    db_exists "$db" || return 0
    for sub in $(q "$db" "SELECT quote_ident(subname) FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid WHERE d.datname = current_database()"); do
        q "$db" "ALTER SUBSCRIPTION $sub DISABLE" >/dev/null
        q "$db" "ALTER SUBSCRIPTION $sub SET (slot_name = NONE)" >/dev/null
        q "$db" "DROP SUBSCRIPTION $sub" >/dev/null
    done
    q postgres "DROP DATABASE \"$db\""
}

# The database's own properties (run from postgres, the name substituted).
database_sql() {
    local db=$1
    cat <<SQL
SET client_min_messages = warning;
COMMENT ON DATABASE $db IS 'every kind of object';
ALTER DATABASE $db SET work_mem = '5MB';
ALTER DATABASE $db SET search_path TO public, "\$\$weird";
ALTER DATABASE $db CONNECTION LIMIT 20;
ALTER ROLE idem_reader IN DATABASE $db SET statement_timeout = '7s';
REVOKE TEMPORARY ON DATABASE $db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE $db TO idem_reader WITH GRANT OPTION;
SQL
}

source_sql() {
    cat <<'SQL'
-- (Not warning: publications warn that wal_level is not logical.)
SET client_min_messages = error;
-- ===== Schemas, extensions =============================================
CREATE SCHEMA fx;
COMMENT ON SCHEMA fx IS 'routines and friends';
CREATE SCHEMA "Fx Schema";
CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'application';
GRANT USAGE ON SCHEMA app TO idem_reader;
GRANT ALL ON SCHEMA app TO "Idem Mixed" WITH GRANT OPTION;
CREATE SCHEMA tb AUTHORIZATION idem_owner;
CREATE SCHEMA "Odd Schema";
CREATE SCHEMA ext;
CREATE SCHEMA pt;
REVOKE CREATE ON SCHEMA public FROM pg_database_owner;
GRANT CREATE ON SCHEMA public TO "Idem Mixed";
COMMENT ON SCHEMA public IS 'the public schema, commented';
CREATE EXTENSION hstore WITH SCHEMA ext;
COMMENT ON EXTENSION hstore IS 'key/value pairs, commented';
CREATE EXTENSION pg_trgm WITH SCHEMA ext VERSION '1.5';
COMMENT ON EXTENSION pg_trgm IS NULL;
CREATE EXTENSION btree_gist WITH SCHEMA ext;

-- ===== Types, domains, routines (objects_functions.sh) =================
CREATE FUNCTION fx.is_even(i int) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT i % 2 = 0 $$;
CREATE DOMAIN fx.even AS int CHECK (fx.is_even(VALUE));
GRANT USAGE ON DOMAIN fx.even TO idem_reader;
CREATE DOMAIN fx.posdom AS int;
CREATE FUNCTION fx.positive(int, fx.posdom[] DEFAULT NULL) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS 'SELECT $1 > 0';
ALTER DOMAIN fx.posdom ADD CONSTRAINT posdom_check CHECK (fx.positive(VALUE));
COMMENT ON CONSTRAINT posdom_check ON DOMAIN fx.posdom IS 'positive';
ALTER DOMAIN fx.posdom ADD CONSTRAINT posdom_small CHECK (fx.positive(100 - VALUE)) NOT VALID;
CREATE DOMAIN fx.nn_text AS text COLLATE "C" DEFAULT 'x' NOT NULL
    CONSTRAINT nn_text_len CHECK (length(VALUE) < 100);
COMMENT ON DOMAIN fx.nn_text IS 'a domain with everything';
ALTER DOMAIN fx.nn_text OWNER TO idem_owner;
CREATE TYPE fx.color AS ENUM ('red', 'green');
ALTER TYPE fx.color ADD VALUE 'blue' BEFORE 'green';
REVOKE USAGE ON TYPE fx.color FROM PUBLIC;
COMMENT ON TYPE fx.color IS 'an enum';
CREATE TYPE fx.pt AS (x int, y int);
GRANT USAGE ON TYPE fx.pt TO idem_reader;
COMMENT ON COLUMN fx.pt.x IS 'abscissa';

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
GRANT EXECUTE ON FUNCTION "Fx Schema"."Mixed Case"(int) TO idem_reader WITH GRANT OPTION;
CREATE FUNCTION fx.myrank() RETURNS bigint LANGUAGE internal WINDOW IMMUTABLE AS 'window_rank';
CREATE FUNCTION fx.mylike(text, text) RETURNS boolean LANGUAGE internal STRICT IMMUTABLE
    SUPPORT textlike_support AS 'textlike';
CREATE PROCEDURE fx.bump(INOUT n int) LANGUAGE plpgsql AS $$ BEGIN n := n + 1; END $$;
COMMENT ON PROCEDURE fx.bump(int) IS 'a procedure';
ALTER PROCEDURE fx.bump(int) OWNER TO idem_owner;
GRANT EXECUTE ON PROCEDURE fx.bump(int) TO idem_reader;
CREATE FUNCTION fx.trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.v := coalesce(NEW.v, 0) + 1; RETURN NEW; END $$;
CREATE FUNCTION fx.secret() RETURNS text LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp SET work_mem = '8MB'
    AS $$ BEGIN RETURN current_user; END $$;
ALTER FUNCTION fx.secret() OWNER TO idem_owner;
REVOKE EXECUTE ON FUNCTION fx.secret() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fx.secret() TO idem_reader;

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
GRANT EXECUTE ON FUNCTION fx.my_avg(numeric) TO idem_reader;
CREATE FUNCTION fx.isum(int8, int) RETURNS int8 LANGUAGE sql IMMUTABLE AS $$ SELECT $1 + $2 $$;
CREATE FUNCTION fx.isub(int8, int) RETURNS int8 LANGUAGE sql IMMUTABLE AS $$ SELECT $1 - $2 $$;
CREATE FUNCTION fx.mfin(int8) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT $1::numeric $$;
CREATE AGGREGATE fx.msum(int) (SFUNC = fx.isum, STYPE = int8, INITCOND = '0', FINALFUNC = fx.mfin,
    MSFUNC = fx.isum, MINVFUNC = fx.isub, MSTYPE = int8, MSSPACE = 16, MINITCOND = '0',
    MFINALFUNC = fx.mfin, MFINALFUNC_MODIFY = SHAREABLE);
CREATE AGGREGATE fx.mymax(int) (SFUNC = int4larger, STYPE = int, SORTOP = >);
CREATE AGGREGATE fx.cnt(*) (SFUNC = int8inc, STYPE = int8, INITCOND = '0');
REVOKE ALL ON FUNCTION fx.cnt() FROM PUBLIC;
CREATE AGGREGATE fx.my_pct(float8 ORDER BY anyelement) (SFUNC = ordered_set_transition,
    STYPE = internal, FINALFUNC = percentile_disc_final, FINALFUNC_EXTRA);
CREATE AGGREGATE fx.my_rank(VARIADIC "any" ORDER BY VARIADIC "any") (
    SFUNC = ordered_set_transition_multi, STYPE = internal, FINALFUNC = rank_final,
    FINALFUNC_EXTRA, HYPOTHETICAL);

-- Operators, operator classes and families.
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
ALTER OPERATOR fx.! (NONE, int) OWNER TO idem_owner;
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
ALTER OPERATOR CLASS fx.code_ops USING btree OWNER TO idem_owner;
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

-- Casts, collations, conversions, range and multirange types, languages.
CREATE TYPE fx.money2 AS (amount numeric);
CREATE FUNCTION fx.to_money2(numeric) RETURNS fx.money2 LANGUAGE sql IMMUTABLE
    AS $$ SELECT ROW($1)::fx.money2 $$;
CREATE CAST (numeric AS fx.money2) WITH FUNCTION fx.to_money2(numeric) AS ASSIGNMENT;
COMMENT ON CAST (numeric AS fx.money2) IS 'numbers to money';
CREATE CAST (fx.money2 AS text) WITH INOUT;
CREATE CAST (bool AS "char") WITHOUT FUNCTION AS IMPLICIT;
CREATE COLLATION fx.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
COMMENT ON COLLATION fx.ci IS 'case insensitive';
CREATE COLLATION fx.c2 (lc_collate = 'C', lc_ctype = 'C');
CREATE COLLATION fx.mixed (lc_collate = 'C', lc_ctype = 'POSIX');
ALTER COLLATION fx.mixed OWNER TO idem_owner;
CREATE CONVERSION fx.myconv FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;
COMMENT ON CONVERSION fx.myconv IS 'a conversion';
CREATE DEFAULT CONVERSION fx.defconv FOR 'LATIN2' TO 'UTF8' FROM iso8859_to_utf8;
CREATE FUNCTION fx.f8diff(float8, float8) RETURNS float8 LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT $1 - $2 $$;
CREATE TYPE fx.floatrange AS RANGE (subtype = float8, subtype_diff = fx.f8diff);
COMMENT ON TYPE fx.floatrange IS 'float range';
ALTER TYPE fx.floatrange OWNER TO idem_owner;
GRANT USAGE ON TYPE fx.floatrange TO idem_reader;
CREATE TYPE fx.textrange AS RANGE (subtype = text, collation = fx.c2,
    multirange_type_name = fx.textmultirange);
CREATE TYPE fx.int_range AS RANGE (subtype = int4, subtype_opclass = fx.int_ops);
CREATE TRUSTED LANGUAGE mylang HANDLER plpgsql_call_handler VALIDATOR plpgsql_validator;
COMMENT ON LANGUAGE mylang IS 'custom language';
REVOKE USAGE ON LANGUAGE mylang FROM PUBLIC;
GRANT USAGE ON LANGUAGE mylang TO idem_reader;
CREATE TRUSTED LANGUAGE inl HANDLER plpgsql_call_handler INLINE plpgsql_inline_handler
    VALIDATOR plpgsql_validator;
ALTER LANGUAGE inl OWNER TO idem_owner;
CREATE FUNCTION fx.in_mylang() RETURNS int LANGUAGE mylang AS $$ BEGIN RETURN 1; END $$;

CREATE TABLE fx.t (id int PRIMARY KEY, v int, e fx.even, c fx.code, r fx.floatrange,
    n text COLLATE fx.ci, p point, pd fx.posdom, nt fx.nn_text, col fx.color,
    tm fx.textmultirange, ir fx.int_range);
CREATE TRIGGER t_trg BEFORE INSERT ON fx.t FOR EACH ROW EXECUTE FUNCTION fx.trg();
CREATE INDEX t_c_idx ON fx.t (c);
CREATE INDEX t_p_idx ON fx.t USING gist (p fx.mypoint_ops);
INSERT INTO fx.t VALUES (1, 1, 2, 'Ab', '[1,2)', 'x', '(1,1)', 5, 'a', 'red', '{[a,b)}', '[1,3)'),
    (2, NULL, 4, 'cd', '[3,5)', 'Y', '(2,2)', NULL, 'b', 'blue', '{}', NULL);
CREATE FUNCTION fx.count_t() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM fx.t $$;
CREATE FUNCTION fx.uses_table(fx.t) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT ($1).id; END;
CREATE TABLE fx.uses_default (id int, k bigint DEFAULT fx.twice(3));
INSERT INTO fx.uses_default (id) VALUES (1);

-- ===== Triggers, rules, policies, text search (objects_triggers.sh) =====
CREATE TABLE app.t (id int PRIMARY KEY, v text, n int);
CREATE TABLE app.audit (op text, lvl text);
CREATE TABLE app.log (id int, v text);
CREATE FUNCTION app.trg_fn() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO app.audit VALUES (TG_OP, TG_LEVEL);
    IF TG_LEVEL = 'ROW' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER t_before BEFORE INSERT OR UPDATE OF v ON app.t
    FOR EACH ROW WHEN (NEW.n IS DISTINCT FROM 42) EXECUTE FUNCTION app.trg_fn();
COMMENT ON TRIGGER t_before ON app.t IS 'before, row, when';
CREATE TRIGGER t_after_stmt AFTER DELETE ON app.t
    FOR EACH STATEMENT EXECUTE FUNCTION app.trg_fn();
CREATE TRIGGER t_transition AFTER UPDATE ON app.t
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION app.trg_fn();
CREATE TRIGGER t_disabled AFTER INSERT ON app.t FOR EACH ROW EXECUTE FUNCTION app.trg_fn();
ALTER TABLE app.t DISABLE TRIGGER t_disabled;
CREATE TRIGGER t_replica AFTER INSERT ON app.t FOR EACH ROW EXECUTE FUNCTION app.trg_fn();
ALTER TABLE app.t ENABLE REPLICA TRIGGER t_replica;
CREATE TRIGGER t_always AFTER INSERT ON app.t FOR EACH ROW EXECUTE FUNCTION app.trg_fn();
ALTER TABLE app.t ENABLE ALWAYS TRIGGER t_always;
CREATE CONSTRAINT TRIGGER t_constraint AFTER INSERT ON app.t
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION app.trg_fn();
CREATE VIEW app.tv AS SELECT id, v FROM app.t;
CREATE TRIGGER tv_instead INSTEAD OF INSERT ON app.tv FOR EACH ROW EXECUTE FUNCTION app.trg_fn();
CREATE RULE tv_delete AS ON DELETE TO app.tv DO INSTEAD DELETE FROM app.t WHERE id = OLD.id;
CREATE RULE t_log AS ON UPDATE TO app.t DO ALSO INSERT INTO app.log VALUES (NEW.id, NEW.v);
COMMENT ON RULE t_log ON app.t IS 'also log updates';
CREATE RULE log_nothing AS ON DELETE TO app.log DO INSTEAD NOTHING;
ALTER TABLE app.log DISABLE RULE log_nothing;

CREATE FUNCTION "Odd Schema"."Trg Fn"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEW;
END
$$;
CREATE TABLE "Odd Schema"."Part" (id int, "Val" text) PARTITION BY LIST (id);
CREATE TABLE "Odd Schema"."Part 1" PARTITION OF "Odd Schema"."Part"
    FOR VALUES IN (1, 2) PARTITION BY LIST (id);
CREATE TABLE "Odd Schema"."Part 1a" PARTITION OF "Odd Schema"."Part 1" FOR VALUES IN (1);
CREATE TABLE "Odd Schema"."Part 1b" PARTITION OF "Odd Schema"."Part 1" FOR VALUES IN (2);
CREATE TABLE "Odd Schema"."Part 2" PARTITION OF "Odd Schema"."Part" FOR VALUES IN (3);
CREATE TRIGGER "Trg ""Q""" BEFORE INSERT ON "Odd Schema"."Part"
    FOR EACH ROW EXECUTE FUNCTION "Odd Schema"."Trg Fn"();
ALTER TABLE "Odd Schema"."Part" DISABLE TRIGGER "Trg ""Q""";
ALTER TABLE "Odd Schema"."Part 1" ENABLE TRIGGER "Trg ""Q""";
ALTER TABLE "Odd Schema"."Part 1b" ENABLE REPLICA TRIGGER "Trg ""Q""";
COMMENT ON TRIGGER "Trg ""Q""" ON "Odd Schema"."Part 2" IS 'a clone''s comment';
CREATE TRIGGER part2_own BEFORE UPDATE ON "Odd Schema"."Part 2"
    FOR EACH ROW EXECUTE FUNCTION "Odd Schema"."Trg Fn"();

CREATE FUNCTION app.evt_fn() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
    NULL;
END
$$;
CREATE EVENT TRIGGER idem_evt_ddl ON ddl_command_end
    WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE') EXECUTE FUNCTION app.evt_fn();
COMMENT ON EVENT TRIGGER idem_evt_ddl IS 'after DDL';
CREATE EVENT TRIGGER idem_evt_drop ON sql_drop EXECUTE FUNCTION app.evt_fn();
ALTER EVENT TRIGGER idem_evt_drop DISABLE;
CREATE EVENT TRIGGER "Idem Evt Replica" ON ddl_command_start EXECUTE FUNCTION app.evt_fn();
ALTER EVENT TRIGGER "Idem Evt Replica" ENABLE REPLICA;

CREATE TABLE app.docs (id int, owner name, secret bool);
ALTER TABLE app.docs ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.docs FORCE ROW LEVEL SECURITY;
CREATE POLICY docs_own ON app.docs USING (owner = current_user);
COMMENT ON POLICY docs_own ON app.docs IS 'own rows';
CREATE POLICY docs_insert ON app.docs AS RESTRICTIVE FOR INSERT WITH CHECK (NOT secret);
CREATE POLICY "Docs ""Upd""" ON app.docs FOR UPDATE TO idem_reader, "Idem Mixed"
    USING (id > 0) WITH CHECK (id < 100);
CREATE POLICY docs_delete ON app.docs FOR DELETE TO idem_reader USING (true);
CREATE TABLE app.rls_forced (id int);
ALTER TABLE app.rls_forced FORCE ROW LEVEL SECURITY;

CREATE TEXT SEARCH DICTIONARY app.simple_all (TEMPLATE = pg_catalog.simple, ACCEPT = false);
COMMENT ON TEXT SEARCH DICTIONARY app.simple_all IS 'no stop words';
CREATE TEXT SEARCH CONFIGURATION app.cfg (PARSER = pg_catalog."default");
ALTER TEXT SEARCH CONFIGURATION app.cfg
    ADD MAPPING FOR asciiword, word WITH app.simple_all, pg_catalog.simple;
ALTER TEXT SEARCH CONFIGURATION app.cfg ADD MAPPING FOR int, uint WITH pg_catalog.simple;
COMMENT ON TEXT SEARCH CONFIGURATION app.cfg IS 'mapped by hand';
CREATE TEXT SEARCH CONFIGURATION "Odd Schema"."English Copy" (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION "Odd Schema"."English Copy" OWNER TO "Idem Mixed";
CREATE TEXT SEARCH PARSER app.prs (START = prsd_start, GETTOKEN = prsd_nexttoken,
    END = prsd_end, LEXTYPES = prsd_lextype, HEADLINE = prsd_headline);
COMMENT ON TEXT SEARCH PARSER app.prs IS 'the default parser again';
CREATE TEXT SEARCH TEMPLATE app.tmpl (INIT = dsimple_init, LEXIZE = dsimple_lexize);
COMMENT ON TEXT SEARCH TEMPLATE app.tmpl IS 'the simple template again';
CREATE TEXT SEARCH DICTIONARY app.tmpl_dict (TEMPLATE = app.tmpl, STOPWORDS = english);
ALTER TEXT SEARCH DICTIONARY app.tmpl_dict OWNER TO idem_owner;
CREATE TEXT SEARCH CONFIGURATION app.cfg_prs (PARSER = app.prs);
ALTER TEXT SEARCH CONFIGURATION app.cfg_prs ADD MAPPING FOR word WITH app.tmpl_dict;
CREATE TABLE app.docs_fts (id int, body text,
    tsv tsvector GENERATED ALWAYS AS (to_tsvector('app.cfg'::regconfig, body)) STORED);
CREATE INDEX docs_fts_tsv ON app.docs_fts USING gin (tsv);
CREATE TABLE app.kv (id int, attrs ext.hstore);
CREATE INDEX t_v_trgm ON app.t USING gin (v ext.gin_trgm_ops);

CREATE STATISTICS app.st_dep (dependencies, ndistinct) ON id, n FROM app.t;
COMMENT ON STATISTICS app.st_dep IS 'functional dependencies';
ALTER STATISTICS app.st_dep OWNER TO idem_owner;
CREATE STATISTICS app.st_expr ON (n + 1), v FROM app.t;
ALTER STATISTICS app.st_expr SET STATISTICS 500;
CREATE STATISTICS "Odd Schema"."St Mcv" (mcv) ON id, "Val" FROM "Odd Schema"."Part";

ALTER DEFAULT PRIVILEGES FOR ROLE idem_owner GRANT SELECT ON TABLES TO idem_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE idem_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE idem_owner REVOKE USAGE ON TYPES FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE idem_owner IN SCHEMA app
    GRANT EXECUTE ON FUNCTIONS TO idem_reader WITH GRANT OPTION;
ALTER DEFAULT PRIVILEGES FOR ROLE "Idem Mixed" IN SCHEMA "Odd Schema"
    GRANT SELECT, UPDATE ON TABLES TO PUBLIC;

INSERT INTO app.t VALUES (1, 'one', 1), (2, 'two', 42), (3, 'three', 3);
UPDATE app.t SET v = 'THREE' WHERE id = 3;
INSERT INTO app.docs VALUES (1, 'postgres', false), (2, 'nobody', true);
INSERT INTO "Odd Schema"."Part" VALUES (1, 'a'), (2, 'b'), (3, 'c');
INSERT INTO app.docs_fts (id, body) VALUES (1, 'The quick brown fox'), (2, 'jumps over 42 dogs');
INSERT INTO app.kv VALUES (1, 'a=>1, b=>2');

-- ===== Relations (objects_tables.sh) ====================================
CREATE TABLE tb.p1 (id int NOT NULL, a text, CONSTRAINT p1_pos CHECK (id > 0),
    CONSTRAINT p1_ni CHECK (a <> 'x') NO INHERIT);
CREATE TABLE tb.p2 (b int DEFAULT 7, id int, d text DEFAULT 'dd', e text);
ALTER TABLE tb.p2 ALTER COLUMN e SET STORAGE MAIN;
CREATE TABLE tb.child (c date, a text NOT NULL, CONSTRAINT child_own CHECK (c > '2000-01-01'))
    INHERITS (tb.p1, tb.p2);
ALTER TABLE ONLY tb.child ALTER COLUMN b SET DEFAULT 8;
ALTER TABLE ONLY tb.child ALTER COLUMN d DROP DEFAULT;
ALTER TABLE tb.child ALTER COLUMN b SET NOT NULL;
CREATE TABLE "Odd Schema"."Grand ""Child""" ("Extra Col" int) INHERITS (tb.child);
INSERT INTO tb.p1 VALUES (1, 'p1');
INSERT INTO tb.p2 VALUES (1, 1, 'p2', 'e');
INSERT INTO tb.child VALUES (2, 'c', 3, 'd', 'e', '2020-01-01');
INSERT INTO "Odd Schema"."Grand ""Child""" VALUES (4, 'g', 5, 'd', 'e', '2021-01-01', 9);

CREATE TABLE tb.cols (
    id int GENERATED BY DEFAULT AS IDENTITY (START WITH 10 INCREMENT BY 2) PRIMARY KEY,
    t text COLLATE "C",
    j jsonb,
    n numeric,
    u text UNIQUE NOT NULL,
    g int GENERATED ALWAYS AS (id * 2) STORED
) WITH (fillfactor = 80, toast.autovacuum_enabled = false);
ALTER TABLE tb.cols ALTER COLUMN t SET STORAGE EXTERNAL;
ALTER TABLE tb.cols ALTER COLUMN j SET COMPRESSION pglz;
ALTER TABLE tb.cols ALTER COLUMN n SET STATISTICS 500;
ALTER TABLE tb.cols ALTER COLUMN n SET (n_distinct = 100);
ALTER TABLE tb.cols REPLICA IDENTITY USING INDEX cols_u_key;
CREATE INDEX cols_t_idx ON tb.cols (t);
ALTER TABLE tb.cols CLUSTER ON cols_t_idx;
INSERT INTO tb.cols (t, j, n, u)
    SELECT 't' || g, '{"a": 1}', g, 'u' || g FROM generate_series(1, 20) g;
COMMENT ON TABLE tb.cols IS 'columns';
COMMENT ON COLUMN tb.cols.t IS 'text column';
CREATE UNLOGGED TABLE tb.ul (x int);
ALTER TABLE tb.ul REPLICA IDENTITY FULL;
INSERT INTO tb.ul VALUES (1), (2);
CREATE TABLE tb.in_space (a int) TABLESPACE idem_space;
INSERT INTO tb.in_space VALUES (42);
ALTER TABLE tb.cols OWNER TO idem_owner;
GRANT SELECT, INSERT ON tb.cols TO idem_reader;
GRANT SELECT (t, n), UPDATE (t) ON tb.cols TO "Idem Mixed";
GRANT ALL ON tb.child TO "Idem Mixed" WITH GRANT OPTION;
REVOKE ALL ON tb.ul FROM PUBLIC;
REVOKE DELETE ON tb.ul FROM CURRENT_USER;
GRANT SELECT, UPDATE ON SEQUENCE tb.cols_id_seq TO "Idem Mixed";
CREATE SEQUENCE tb.s1 INCREMENT 5 MINVALUE -100 MAXVALUE 1000 START 7 CACHE 3 CYCLE;
SELECT nextval('tb.s1'), nextval('tb.s1');
GRANT USAGE ON SEQUENCE tb.s1 TO idem_reader;
COMMENT ON SEQUENCE tb.s1 IS 'standalone';
CREATE SEQUENCE tb.unused AS smallint;
CREATE TABLE tb.serial_owner (id serial, big bigserial);
INSERT INTO tb.serial_owner DEFAULT VALUES;
INSERT INTO tb.serial_owner DEFAULT VALUES;

CREATE FOREIGN DATA WRAPPER plain_wrapper OPTIONS (debug 'true');
COMMENT ON FOREIGN DATA WRAPPER plain_wrapper IS 'a wrapper';
CREATE SERVER plain_server FOREIGN DATA WRAPPER plain_wrapper;
CREATE TABLE tb.pt (id int, v text DEFAULT 'p') PARTITION BY LIST (id);
CREATE TABLE tb.pt1 PARTITION OF tb.pt (v DEFAULT 'local', CONSTRAINT v_set CHECK (v <> ''))
    FOR VALUES IN (1);
CREATE FOREIGN TABLE tb.pt2 PARTITION OF tb.pt FOR VALUES IN (2)
    SERVER plain_server OPTIONS (remote_name 'it''s');
CREATE TABLE tb.pt3 (v text NOT NULL, id int);
ALTER TABLE tb.pt ATTACH PARTITION tb.pt3 FOR VALUES IN (3);
INSERT INTO tb.pt VALUES (1, 'a'), (3, 'c');
GRANT SELECT ON tb.pt TO idem_reader;
CREATE TYPE tb.pair AS (a int, b text);
CREATE TABLE tb.typed OF tb.pair (a WITH OPTIONS NOT NULL DEFAULT 3,
    CONSTRAINT typed_a CHECK (a > 0));
INSERT INTO tb.typed (b) VALUES ('x');

CREATE VIEW tb.v_sb WITH (security_barrier) AS SELECT id, t FROM tb.cols WHERE id > 2;
CREATE VIEW tb.v_chk AS SELECT id, a FROM tb.p1 WHERE id > 0 WITH CASCADED CHECK OPTION;
CREATE VIEW tb.v_inv WITH (security_invoker = true, check_option = local) AS
    SELECT id, t FROM tb.cols;
ALTER VIEW tb.v_chk ALTER COLUMN a SET DEFAULT 'dflt';
CREATE RECURSIVE VIEW tb.nums (n) AS VALUES (1) UNION ALL SELECT n + 1 FROM nums WHERE n < 10;
CREATE VIEW "Odd Schema"."V w" ("X", y) AS SELECT 1, 'two'::text;
COMMENT ON VIEW tb.v_sb IS 'barrier';
COMMENT ON COLUMN "Odd Schema"."V w"."X" IS 'x';
GRANT SELECT ON tb.v_sb TO idem_reader;
GRANT SELECT (id) ON tb.v_chk TO idem_reader;

CREATE MATERIALIZED VIEW tb.mv AS SELECT id, t FROM tb.cols WHERE id < 30;
CREATE UNIQUE INDEX mv_id ON tb.mv (id);
CREATE MATERIALIZED VIEW tb.mv_empty WITH (fillfactor = 50) AS SELECT id FROM tb.cols
    WITH NO DATA;
CREATE MATERIALIZED VIEW tb.mv2 TABLESPACE idem_space AS SELECT count(*) AS c FROM tb.mv;
ALTER MATERIALIZED VIEW tb.mv2 ALTER COLUMN c SET STATISTICS 77;
GRANT SELECT ON tb.mv TO idem_reader;
GRANT SELECT (c) ON tb.mv2 TO "Idem Mixed";
COMMENT ON MATERIALIZED VIEW tb.mv IS 'mat';
COMMENT ON COLUMN tb.mv.t IS 'mat col';

CREATE EXTENSION postgres_fdw;
CREATE EXTENSION file_fdw;
CREATE SERVER remote FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host 'localhost', dbname 'nowhere');
CREATE SERVER files TYPE 'file' VERSION '1.0' FOREIGN DATA WRAPPER file_fdw;
CREATE USER MAPPING FOR idem_reader SERVER remote OPTIONS (user 'bob');
CREATE USER MAPPING FOR PUBLIC SERVER remote OPTIONS (user 'anon');
CREATE USER MAPPING FOR "Idem Mixed" SERVER files;
CREATE FOREIGN TABLE tb.ft (id int OPTIONS (column_name 'rid') NOT NULL, v text DEFAULT 'q',
    CONSTRAINT ft_pos CHECK (id > 0))
    SERVER remote OPTIONS (schema_name 'public', table_name 'remote_t');
CREATE FOREIGN TABLE tb.ffile (line text) SERVER files OPTIONS (filename '/dev/null');
GRANT SELECT ON tb.ft TO idem_reader;
GRANT SELECT (line) ON tb.ffile TO "Idem Mixed";
GRANT USAGE ON FOREIGN SERVER remote TO idem_reader;
GRANT USAGE ON FOREIGN DATA WRAPPER plain_wrapper TO "Idem Mixed";
COMMENT ON SERVER remote IS 'remote server';
COMMENT ON FOREIGN TABLE tb.ft IS 'foreign';

CREATE PUBLICATION pub_t FOR TABLE tb.cols (id, t) WHERE (id > 1), tb.p1
    WITH (publish = 'insert, update');
CREATE PUBLICATION pub_all FOR ALL TABLES WITH (publish_via_partition_root = true);
CREATE PUBLICATION "Pub Schema" FOR TABLES IN SCHEMA tb, pt;
COMMENT ON PUBLICATION pub_t IS 'pub';
CREATE SUBSCRIPTION idem_sub CONNECTION 'host=localhost dbname=nowhere'
    PUBLICATION pub_t, pub_all
    WITH (connect = false, slot_name = 'idem_sub_slot', binary = true, streaming = on);
COMMENT ON SUBSCRIPTION idem_sub IS 'never connects';

-- ===== Partitioning, keys, constraints, indexes (partitions.sh) =========
CREATE TYPE pt.mood AS ENUM ('a', 'b');
CREATE TABLE pt.pp (id int PRIMARY KEY, v int CHECK (v > 0), m pt.mood)
    PARTITION BY RANGE (id);
CREATE TABLE pt.pp1 PARTITION OF pt.pp FOR VALUES FROM (0) TO (100);
CREATE TABLE pt.pp2 PARTITION OF pt.pp (CONSTRAINT own CHECK (v < 1000))
    FOR VALUES FROM (100) TO (200) PARTITION BY LIST (id);
CREATE TABLE pt.pp2a PARTITION OF pt.pp2 FOR VALUES IN (100, 101, 102);
CREATE TABLE pt.pp2d PARTITION OF pt.pp2 DEFAULT;
CREATE TABLE pt.ppd PARTITION OF pt.pp DEFAULT;
CREATE INDEX pp_v_idx ON pt.pp (v);
CREATE TRIGGER pp_trg AFTER INSERT ON pt.pp FOR EACH ROW EXECUTE FUNCTION app.trg_fn();
CREATE TABLE pt.h (id int, k text, PRIMARY KEY (id, k)) PARTITION BY HASH (id);
CREATE TABLE pt.h0 PARTITION OF pt.h FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE pt.h1 PARTITION OF pt.h FOR VALUES WITH (MODULUS 2, REMAINDER 1)
    PARTITION BY LIST (k);
CREATE TABLE pt.h1x PARTITION OF pt.h1 FOR VALUES IN ('x');
CREATE TABLE pt.h1d PARTITION OF pt.h1 DEFAULT;
-- An index on a partitioned table attached to an index made on its own.
CREATE INDEX h_k_idx ON ONLY pt.h (k);
CREATE INDEX h0_k_idx ON pt.h0 (k);
ALTER INDEX pt.h_k_idx ATTACH PARTITION pt.h0_k_idx;
CREATE TABLE pt.ref (x int REFERENCES pt.pp (id) ON DELETE CASCADE ON UPDATE RESTRICT);
CREATE TABLE pt.nocols ();
CREATE TABLE pt.onlygen (a int GENERATED ALWAYS AS (1) STORED);

CREATE TABLE pt.parent (id int, code text NOT NULL UNIQUE NULLS NOT DISTINCT,
    CONSTRAINT parent_pkey PRIMARY KEY (id) USING INDEX TABLESPACE idem_space);
CREATE TABLE pt.kid (
    id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_id int DEFAULT 1 REFERENCES pt.parent (id) ON DELETE SET DEFAULT ON UPDATE CASCADE,
    parent_code text,
    other int,
    span int4range,
    during tsrange,
    tags text[],
    loc point,
    CONSTRAINT kid_code_fk FOREIGN KEY (parent_code) REFERENCES pt.parent (code)
        ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT kid_span_excl EXCLUDE USING gist (span WITH &&),
    CONSTRAINT kid_eq_excl EXCLUDE USING gist (other WITH =, during WITH &&),
    CONSTRAINT kid_other_chk CHECK (other >= 0) NOT VALID
);
COMMENT ON CONSTRAINT kid_code_fk ON pt.kid IS 'deferred';
ALTER TABLE pt.kid ALTER COLUMN id RESTART WITH 100;
CREATE INDEX kid_hash ON pt.kid USING hash (parent_code);
CREATE INDEX kid_brin ON pt.kid USING brin (id) WITH (pages_per_range = 16);
CREATE INDEX kid_spgist ON pt.kid USING spgist (loc);
CREATE INDEX kid_tags ON pt.kid USING gin (tags);
CREATE INDEX kid_partial ON pt.kid (parent_id) WHERE other IS NOT NULL;
CREATE INDEX kid_expr ON pt.kid (lower(parent_code), (other + 1) DESC NULLS LAST);
CREATE UNIQUE INDEX kid_incl ON pt.kid (id) INCLUDE (parent_code) TABLESPACE idem_space;
COMMENT ON INDEX pt.kid_incl IS 'covering';
ALTER INDEX pt.kid_expr ALTER COLUMN 2 SET STATISTICS 50;

INSERT INTO pt.pp SELECT g, g % 5 + 1, 'a' FROM generate_series(0, 250) g;
INSERT INTO pt.h SELECT g, CASE WHEN g % 3 = 0 THEN 'x' ELSE 'y' || g END FROM generate_series(1, 40) g;
INSERT INTO pt.ref VALUES (5), (150), (101);
INSERT INTO pt.nocols DEFAULT VALUES;
INSERT INTO pt.onlygen DEFAULT VALUES;
INSERT INTO pt.parent SELECT g, 'c' || g FROM generate_series(1, 10) g;
INSERT INTO pt.kid (parent_id, parent_code, other, span, during, tags, loc)
    SELECT 1 + g % 10, 'c' || (1 + g % 10), g, int4range(g * 10, g * 10 + 5),
           tsrange('2020-01-01'::timestamp + g * interval '1 day', '2020-01-01'::timestamp + g * interval '1 day' + interval '1 hour'),
           ARRAY['t' || g], point(g, g)
    FROM generate_series(1, 30) g;
-- Not valid: rows 11 to 30 break it.
ALTER TABLE pt.kid ADD CONSTRAINT kid_other_fk FOREIGN KEY (other) REFERENCES pt.parent (id) NOT VALID;
SQL
}

# The objects as pg_dump lists them ("Type|Schema|Name" of its "-- Name:" headers), sorted.
dump_objects() {
    schema_dump "$1" | sed -n 's/^-- Name: \(.*\); Type: \(.*\); Schema: \(.*\); Owner: .*$/\2|\3|\1/p' | LC_ALL=C sort
}

# toc_entries TOC: "section|schema|name|objecttype|referenceobject" of every
# metadata entry, in the TOC's order.
toc_entries() {
    awk '
        /^[a-z]+entries:/ { section = $1; sub(/:.*/, "", section); next }
        /^  *- schema:/ || /^- schema:/ { v = $0; sub(/^ *- schema: */, "", v); schema = v; next }
        /^ +name:/ { v = $0; sub(/^ +name: */, "", v); name = v; next }
        /^ +objecttype:/ { v = $0; sub(/^ +objecttype: */, "", v); type = v; next }
        /^ +referenceobject:/ { v = $0; sub(/^ +referenceobject: */, "", v)
                                print section "|" schema "|" name "|" type "|" v }
    ' "$1"
}

# same_file WHAT FILE1 FILE2: prints a diff and returns 1 when they differ,
# saying whether only the order differs (same lines, sorted).
same_file() {
    local what=$1 a=$2 b=$3
    diff -u "$a" "$b" >"$a.diff" && return 0
    echo "FAIL: $what differ ($(grep -c '^[-+][^-+]' "$a.diff") lines; full diff in $a.diff):" >&2
    if diff -q <(LC_ALL=C sort "$a") <(LC_ALL=C sort "$b") >/dev/null; then
        echo "  (the same lines, in another order)" >&2
    fi
    head -n 60 "$a.diff" >&2
    return 1
}

test_backup_restore_backup() {
    local dir1 dir2 ts1 ts2 set1 set2 failed=()
    globals_setup
    drop_db "$SRC"
    drop_db "$DST1"
    drop_db "$DST2"
    create_db "$SRC"
    source_sql | q_file "$SRC" >/dev/null
    database_sql "$SRC" | q_file postgres

    # Every comparison runs, whatever the previous ones found.
    dir1=$(new_backup_dir backups1)
    ts1=$(do_backup backup1 --dbname "$SRC" --backup-dir "$dir1" --jobs 2)
    do_restore restore1 --timestamp "$ts1" --backup-dir "$dir1" --redirect-db "$DST1" --create-db --jobs 2
    compare_dbs "$SRC" "$DST1" || failed+=("source and first restore differ (rows or pg_dump -s)")

    dir2=$(new_backup_dir backups2)
    ts2=$(do_backup backup2 --dbname "$DST1" --backup-dir "$dir2" --jobs 2)
    do_restore restore2 --timestamp "$ts2" --backup-dir "$dir2" --redirect-db "$DST2" --create-db --jobs 2
    compare_dbs "$DST1" "$DST2" || failed+=("first and second restore differ (rows or pg_dump -s)")

    set1=$(backup_set_dir "$dir1" "$ts1")
    set2=$(backup_set_dir "$dir2" "$ts2")
    # The database's name is the only thing that may differ.
    sed "s/\b$SRC\b/DBNAME/g" "$set1/gpbackup_${ts1}_metadata.sql" >"$CASE_DIR/metadata1.sql"
    sed "s/\b$DST1\b/DBNAME/g" "$set2/gpbackup_${ts2}_metadata.sql" >"$CASE_DIR/metadata2.sql"
    toc_entries "$set1/gpbackup_${ts1}_toc.yaml" | sed "s/\b$SRC\b/DBNAME/g" >"$CASE_DIR/toc1"
    toc_entries "$set2/gpbackup_${ts2}_toc.yaml" | sed "s/\b$DST1\b/DBNAME/g" >"$CASE_DIR/toc2"
    [ "$(grep -c . "$CASE_DIR/toc1")" -gt 300 ] || fail "only $(grep -c . "$CASE_DIR/toc1") TOC entries read from $set1"
    same_file "TOC entries of the two backups" "$CASE_DIR/toc1" "$CASE_DIR/toc2" ||
        failed+=("the TOC entries of the two backups differ: toc1.diff")
    same_file "metadata files of the two backups" "$CASE_DIR/metadata1.sql" "$CASE_DIR/metadata2.sql" ||
        failed+=("the metadata files of the two backups differ: metadata1.sql.diff")

    # What pg_dump --schema-only does not show.
    assert_eq "10" "$(q "$DST2" 'SELECT count(*) FROM tb.mv')" "rows of the materialized view"
    assert_eq "f" "$(q "$DST2" "SELECT relispopulated FROM pg_class WHERE oid = 'tb.mv_empty'::regclass")" \
        "materialized view created WITH NO DATA"
    assert_eq "idem_sub|f|idem_sub_slot" \
        "$(q "$DST2" "SELECT subname, subenabled, subslotname FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid WHERE d.datname = current_database()")" \
        "restored subscription"
    assert_eq "Idem Evt Replica:R,idem_evt_ddl:O,idem_evt_drop:D" \
        "$(q "$DST2" "SELECT string_agg(evtname || ':' || evtenabled::text, ',' ORDER BY evtname COLLATE \"C\") FROM pg_event_trigger")" \
        "event triggers and their states"
    local db_state
    db_state="SELECT datconnlimit, datacl, shobj_description(oid, 'pg_database'),
                     (SELECT setconfig FROM pg_db_role_setting WHERE setdatabase = d.oid AND setrole = 0),
                     (SELECT setconfig FROM pg_db_role_setting WHERE setdatabase = d.oid AND setrole <> 0)
              FROM pg_database d WHERE datname ="
    assert_eq "$(q postgres "$db_state '$SRC'")" "$(q postgres "$db_state '$DST2'")" "the database's properties"
    if [ ${#failed[@]} -gt 0 ]; then
        printf 'FAIL: %s\n' "${failed[@]}" >&2
        return 1
    fi

    drop_db "$SRC"
    drop_db "$DST1"
    drop_db "$DST2"
}

filter_sql() {
    cat <<'SQL'
SET client_min_messages = warning;
CREATE SCHEMA keep;
COMMENT ON SCHEMA keep IS 'kept';
CREATE SCHEMA other;
CREATE TYPE keep.kind AS ENUM ('x', 'y');
CREATE DOMAIN keep.pos AS int CHECK (VALUE > 0);
CREATE FUNCTION keep.trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE FUNCTION other.f() RETURNS int LANGUAGE sql RETURN 1;
CREATE SEQUENCE keep.free_seq;
CREATE TABLE keep.a (id serial PRIMARY KEY, k keep.kind, p keep.pos, v text);
CREATE INDEX a_v_idx ON keep.a (v);
CREATE TRIGGER a_trg BEFORE INSERT ON keep.a FOR EACH ROW EXECUTE FUNCTION keep.trg();
ALTER TABLE keep.a ENABLE ROW LEVEL SECURITY;
CREATE POLICY a_pol ON keep.a USING (id > 0);
COMMENT ON TABLE keep.a IS 'kept table';
CREATE TABLE keep.b (id int PRIMARY KEY, a_id int REFERENCES keep.a (id));
CREATE TABLE keep.gone (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, s serial, v text);
CREATE INDEX gone_v_idx ON keep.gone (v);
CREATE TRIGGER gone_trg BEFORE INSERT ON keep.gone FOR EACH ROW EXECUTE FUNCTION keep.trg();
COMMENT ON TABLE keep.gone IS 'excluded on restore';
CREATE VIEW keep.v AS SELECT id, v FROM keep.a;
CREATE TABLE other.t (id int PRIMARY KEY);
CREATE VIEW other.v AS SELECT id FROM other.t;
CREATE TABLE public.pub_t (id int);
CREATE TEXT SEARCH CONFIGURATION other.cfg (COPY = pg_catalog.simple);
CREATE LANGUAGE flt_lang HANDLER plpgsql_call_handler;
CREATE FUNCTION keep.evt() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN NULL; END $$;
CREATE EVENT TRIGGER flt_evt ON ddl_command_end EXECUTE FUNCTION keep.evt();
CREATE PUBLICATION flt_pub FOR TABLE keep.a;
SQL
}

test_filtered() {
    local dir ts
    drop_db idem_flt_src
    drop_db idem_flt_dst
    create_db idem_flt_src
    filter_sql | q_file idem_flt_src
    q_file idem_flt_src <<'SQL'
INSERT INTO keep.a (k, p, v) VALUES ('x', 1, 'one'), ('y', 2, 'two');
INSERT INTO keep.b VALUES (1, 1), (2, NULL);
INSERT INTO keep.gone (v) VALUES ('g');
INSERT INTO other.t VALUES (1);
SQL
    dir=$(new_backup_dir)
    ts=$(do_backup backup --dbname idem_flt_src --backup-dir "$dir" --include-schema keep --jobs 2)
    do_restore restore --timestamp "$ts" --backup-dir "$dir" --redirect-db idem_flt_dst --create-db \
        --exclude-table keep.gone --jobs 2
    dump_objects idem_flt_dst >"$CASE_DIR/restored.objects"
    # Exactly these: the schema and its types, functions and free sequence,
    # the two tables with their sequences, keys, index, trigger, policy and
    # comment, the view; nothing of keep.gone, of other or public.
    LC_ALL=C sort >"$CASE_DIR/expected.objects" <<'EOF'
SCHEMA|-|keep
COMMENT|-|SCHEMA keep
TYPE|keep|kind
DOMAIN|keep|pos
FUNCTION|keep|trg()
FUNCTION|keep|evt()
SEQUENCE|keep|free_seq
TABLE|keep|a
COMMENT|keep|TABLE a
SEQUENCE|keep|a_id_seq
SEQUENCE OWNED BY|keep|a_id_seq
DEFAULT|keep|a id
CONSTRAINT|keep|a a_pkey
INDEX|keep|a_v_idx
TRIGGER|keep|a a_trg
POLICY|keep|a a_pol
ROW SECURITY|keep|a
TABLE|keep|b
CONSTRAINT|keep|b b_pkey
FK CONSTRAINT|keep|b b_a_id_fkey
VIEW|keep|v
EOF
    if ! diff -u "$CASE_DIR/expected.objects" "$CASE_DIR/restored.objects" >&2; then
        fail "the filtered restore holds other objects than expected"
    fi
    # The same objects, defined the same way, as pg_dump's own filters give
    # (pg_dump -T leaves out the table but not the sequence its serial owns).
    timeout -k 5 "$E2E_CMD_TIMEOUT" pg_dump --schema-only -n keep -T keep.gone -T keep.gone_s_seq -d idem_flt_src |
        sed -e '/^\\restrict /d' -e '/^\\unrestrict /d' >"$CASE_DIR/src.keep.sql"
    timeout -k 5 "$E2E_CMD_TIMEOUT" pg_dump --schema-only -n keep -d idem_flt_dst |
        sed -e '/^\\restrict /d' -e '/^\\unrestrict /d' >"$CASE_DIR/dst.keep.sql"
    diff -u "$CASE_DIR/src.keep.sql" "$CASE_DIR/dst.keep.sql" >&2 ||
        fail "the kept objects differ from the source's"
    assert_eq "one,two" "$(q idem_flt_dst "SELECT string_agg(v, ',' ORDER BY id) FROM keep.a")" "rows of keep.a"
    assert_eq "3" "$(q idem_flt_dst "SELECT nextval('keep.a_id_seq')")" "value of an owned sequence"
    drop_db idem_flt_src
    drop_db idem_flt_dst
}

run_test backup_restore_backup test_backup_restore_backup
run_test filtered test_filtered
finish
