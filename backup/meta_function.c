/* Routines and what is built from them: procedural languages, functions
 * and procedures, aggregates, casts, operators, operator families and
 * classes, collations and conversions. Each with its owner, comment and
 * privileges (functions and languages have ACLs). Extension members and
 * objects of the system schemas are left out; pg_depend orders the entries
 * (an operator after its function, a class after its operators). Objects
 * outside any schema (languages, casts) are written only when no schema or
 * table was asked for, as pg_dump does. */
#include <stdlib.h>
#include <string.h>

#include "metadata.h"

/* The condition that leaves out the members of extensions: they come back
 * with CREATE EXTENSION. */
#define NOT_EXTENSION_MEMBER(cat, oid)                                               \
    " NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "                             \
    "   WHERE d.classid = 'pg_catalog." cat "'::pg_catalog.regclass "                \
    "   AND d.objid = " oid " AND d.deptype = 'e') "

static uint32_t row_oid(const Result *r, int i, const char *col)
{
    return (uint32_t)strtoul(result_str(r, i, col), NULL, 10);
}

/* The value of a column, or NULL when it is SQL NULL. */
static const char *opt_str(const Result *r, int i, const char *col)
{
    return result_get(r, i, result_col(r, col));
}

/* Objects that live in no schema belong to the whole database: only a
 * backup of the whole database carries them. */
static bool keep_database_objects(const MetaContext *ctx)
{
    return !ctx->filter ||
           (ctx->filter->include_schemas.n == 0 && !filter_has_table_includes(ctx->filter));
}

/* "schema.name(args)": how CREATE, ALTER, COMMENT and GRANT name a
 * routine. An aggregate without arguments is name(*), except in GRANT,
 * which only takes name(). Caller owns. */
static char *routine_signature(MetaContext *ctx, const char *schema, const char *name,
                               const char *args, bool aggregate)
{
    char *q = conn_quote_qualified(ctx->conn, schema, name);
    char *s = xasprintf("%s(%s)", q, aggregate && !*args ? "*" : args);
    free(q);
    return s;
}

/* Operators are named by symbols, which are never quoted: only the schema
 * is an identifier. "schema.op". Caller owns. */
static char *operator_name(MetaContext *ctx, const char *schema, const char *op)
{
    char *qs = conn_quote_ident(ctx->conn, schema);
    char *s = xasprintf("%s.%s", qs, op);
    free(qs);
    return s;
}

/* --- procedural languages ---------------------------------------------- */

static Error *dump_meta_languages(MetaContext *ctx)
{
    if (!keep_database_objects(ctx))
        return NULL;
    Result *r;
    Error *e = conn_query(
        ctx->conn,
        "SELECT l.oid, l.lanname, l.lanpltrusted, "
        "       pg_catalog.pg_get_userbyid(l.lanowner) AS owner, "
        "       pg_catalog.obj_description(l.oid, 'pg_language') AS comment, "
        "       hn.nspname AS handler_schema, h.proname AS handler, "
        "       inn.nspname AS inline_schema, i.proname AS inline, "
        "       vn.nspname AS validator_schema, v.proname AS validator "
        "FROM pg_catalog.pg_language l "
        "JOIN pg_catalog.pg_proc h ON h.oid = l.lanplcallfoid "
        "JOIN pg_catalog.pg_namespace hn ON hn.oid = h.pronamespace "
        "LEFT JOIN pg_catalog.pg_proc i ON i.oid = l.laninline "
        "LEFT JOIN pg_catalog.pg_namespace inn ON inn.oid = i.pronamespace "
        "LEFT JOIN pg_catalog.pg_proc v ON v.oid = l.lanvalidator "
        "LEFT JOIN pg_catalog.pg_namespace vn ON vn.oid = v.pronamespace "
        "WHERE l.lanispl AND " NOT_EXTENSION_MEMBER("pg_language", "l.oid")
        "ORDER BY l.oid",
        &r);
    if (e)
        return e;
    AclSet *acls;
    e = meta_acl_load(ctx, "pg_catalog.pg_language", "o.oid", "lanacl", "o.lanowner", 'l', NULL,
                      &acls);
    if (e) {
        result_free(r);
        return e;
    }
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < result_rows(r); i++) {
        const char *name = result_str(r, i, "lanname");
        char *q = conn_quote_ident(ctx->conn, name);
        char *handler = conn_quote_qualified(ctx->conn, result_str(r, i, "handler_schema"),
                                             result_str(r, i, "handler"));
        sb_reset(&sb);
        /* OR REPLACE: the language may come with the template database. */
        sb_printf(&sb, "CREATE OR REPLACE %sLANGUAGE %s HANDLER %s",
                  result_bool(r, i, "lanpltrusted") ? "TRUSTED " : "", q, handler);
        if (opt_str(r, i, "inline")) {
            char *f = conn_quote_qualified(ctx->conn, result_str(r, i, "inline_schema"),
                                           result_str(r, i, "inline"));
            sb_printf(&sb, " INLINE %s", f);
            free(f);
        }
        if (opt_str(r, i, "validator")) {
            char *f = conn_quote_qualified(ctx->conn, result_str(r, i, "validator_schema"),
                                           result_str(r, i, "validator"));
            sb_printf(&sb, " VALIDATOR %s", f);
            free(f);
        }
        sb_append(&sb, ";\n");
        meta_append_owner(ctx, &sb, "LANGUAGE", q, result_str(r, i, "owner"));
        char *what = xasprintf("LANGUAGE %s", q);
        meta_append_comment(ctx, &sb, what, opt_str(r, i, "comment"));
        meta_acl_append(ctx, &sb, acls, result_str(r, i, "oid"), "LANGUAGE", q, NULL);
        meta_emit_obj(ctx, TOC_PREDATA, "", name, "LANGUAGE", "", sb.data, "pg_language",
                      row_oid(r, i, "oid"));
        free(what);
        free(handler);
        free(q);
    }
    sb_free(&sb);
    meta_acl_free(acls);
    result_free(r);
    return NULL;
}

const MetaType meta_languages = {"languages", dump_meta_languages};

/* --- functions and procedures ------------------------------------------- */

/* The server writes the whole CREATE (arguments, defaults, RETURNS,
 * LANGUAGE, WINDOW, volatility, STRICT, LEAKPROOF, SECURITY DEFINER,
 * PARALLEL, COST, ROWS, SUPPORT, SET clauses, the body in either form).
 * Functions with an internal dependency (the constructors of range and
 * multirange types) are created with what they belong to. */
const char *meta_prokind_expr(int server_version)
{
    /* prokind came with PostgreSQL 11; before it, proisagg and proiswindow
     * (Greenplum 6). */
    return server_version >= 110000
               ? "p.prokind"
               : "CASE WHEN p.proisagg THEN 'a' WHEN p.proiswindow THEN 'w' ELSE 'f' END";
}

static Error *dump_meta_functions(MetaContext *ctx)
{
    Result *r;
    bool has_prokind = conn_server_version(ctx->conn) >= 110000;
    char *sql = xasprintf(
        "SELECT p.oid, n.nspname, p.proname, %s AS prokind, "
        "       pg_catalog.pg_get_userbyid(p.proowner) AS owner, "
        "       pg_catalog.obj_description(p.oid, 'pg_proc') AS comment, "
        "       pg_catalog.pg_get_function_identity_arguments(p.oid) AS args, "
        "       pg_catalog.pg_get_functiondef(p.oid) AS def "
        "FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
        "WHERE %s AND " CATALOG_USER_SCHEMA("n.nspname")
        " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
        "   WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass "
        "   AND d.objid = p.oid AND d.deptype IN ('e', 'i')) "
        "ORDER BY p.oid",
        meta_prokind_expr(conn_server_version(ctx->conn)),
        has_prokind ? "p.prokind <> 'a'" : "NOT p.proisagg");
    Error *e = conn_query(ctx->conn, sql, &r);
    free(sql);
    if (e)
        return e;
    AclSet *acls;
    e = meta_acl_load(ctx, "pg_catalog.pg_proc", "o.oid", "proacl", "o.proowner", 'f',
                      has_prokind ? "o.prokind <> 'a'" : "NOT o.proisagg", &acls);
    if (e) {
        result_free(r);
        return e;
    }
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < result_rows(r); i++) {
        const char *schema = result_str(r, i, "nspname");
        if (!meta_keep_schema(ctx, schema))
            continue;
        const char *name = result_str(r, i, "proname");
        const char *args = result_str(r, i, "args");
        bool proc = result_str(r, i, "prokind")[0] == 'p';
        const char *kind = proc ? "PROCEDURE" : "FUNCTION";
        char *sig = routine_signature(ctx, schema, name, args, false);
        sb_reset(&sb);
        sb_append(&sb, result_str(r, i, "def"));
        /* pg_get_functiondef ends with a newline and no semicolon. */
        while (sb.len && (sb.data[sb.len - 1] == '\n' || sb.data[sb.len - 1] == ' '))
            sb.data[--sb.len] = '\0';
        sb_append(&sb, ";\n");
        meta_append_owner(ctx, &sb, kind, sig, result_str(r, i, "owner"));
        char *what = xasprintf("%s %s", kind, sig);
        meta_append_comment(ctx, &sb, what, opt_str(r, i, "comment"));
        meta_acl_append(ctx, &sb, acls, result_str(r, i, "oid"), kind, sig, NULL);
        char *label = xasprintf("%s(%s)", name, args);
        meta_emit_obj(ctx, TOC_PREDATA, schema, label, kind, "", sb.data, "pg_proc",
                      row_oid(r, i, "oid"));
        free(label);
        free(what);
        free(sig);
    }
    sb_free(&sb);
    meta_acl_free(acls);
    result_free(r);
    return NULL;
}

const MetaType meta_functions = {"functions", dump_meta_functions};

/* --- aggregates ------------------------------------------------------------ */

static const char *modify_word(char c)
{
    return c == 's' ? "SHAREABLE" : c == 'w' ? "READ_WRITE" : "READ_ONLY";
}

/* "    NAME = value" lines of CREATE AGGREGATE, comma separated. */
static void agg_item(StrBuf *sb, int *n, const char *name, const char *value)
{
    sb_printf(sb, "%s\n    %s", (*n)++ ? "," : "", name);
    if (value)
        sb_printf(sb, " = %s", value);
}

static void agg_literal(MetaContext *ctx, StrBuf *sb, int *n, const char *name, const char *value)
{
    char *lit = conn_quote_literal(ctx->conn, value);
    agg_item(sb, n, name, lit);
    free(lit);
}

#define DEFAULT_MODIFY "CASE WHEN a.aggkind = 'n' THEN 'r' ELSE 'w' END"

static Error *dump_meta_aggregates(MetaContext *ctx)
{
    /* Support functions as regproc: qualified unless in pg_catalog, which
     * every search path holds; CREATE AGGREGATE resolves an overloaded name
     * by the argument types. */
    Result *r;
    /* proparallel came with PostgreSQL 9.6, aggfinalmodify with 11: before,
     * no PARALLEL and the default modify mode of the kind. Greenplum 6 has
     * the combine, serial and deserial functions of 9.6. */
    int v11 = conn_server_version(ctx->conn);
    char *sql = xasprintf(
        "SELECT p.oid, n.nspname, p.proname, %s AS proparallel, "
        "       pg_catalog.pg_get_userbyid(p.proowner) AS owner, "
        "       pg_catalog.obj_description(p.oid, 'pg_proc') AS comment, "
        "       pg_catalog.pg_get_function_identity_arguments(p.oid) AS args, "
        "       a.aggkind, a.aggtransfn::pg_catalog.text AS sfunc, "
        "       pg_catalog.format_type(a.aggtranstype, NULL) AS stype, a.aggtransspace, "
        "       a.agginitval, "
        "       CASE WHEN a.aggfinalfn <> 0 THEN a.aggfinalfn::pg_catalog.text END AS finalfunc, "
        "       a.aggfinalextra, %s AS aggfinalmodify, "
        "       CASE WHEN a.aggcombinefn <> 0 THEN a.aggcombinefn::pg_catalog.text END "
        "         AS combinefunc, "
        "       CASE WHEN a.aggserialfn <> 0 THEN a.aggserialfn::pg_catalog.text END "
        "         AS serialfunc, "
        "       CASE WHEN a.aggdeserialfn <> 0 THEN a.aggdeserialfn::pg_catalog.text END "
        "         AS deserialfunc, "
        "       CASE WHEN a.aggmtransfn <> 0 THEN a.aggmtransfn::pg_catalog.text END AS msfunc, "
        "       CASE WHEN a.aggminvtransfn <> 0 THEN a.aggminvtransfn::pg_catalog.text END "
        "         AS minvfunc, "
        "       CASE WHEN a.aggmtranstype <> 0 "
        "            THEN pg_catalog.format_type(a.aggmtranstype, NULL) END AS mstype, "
        "       a.aggmtransspace, a.aggminitval, "
        "       CASE WHEN a.aggmfinalfn <> 0 THEN a.aggmfinalfn::pg_catalog.text END "
        "         AS mfinalfunc, "
        "       a.aggmfinalextra, %s AS aggmfinalmodify, "
        "       son.nspname AS sortop_schema, so.oprname AS sortop "
        "FROM pg_catalog.pg_aggregate a "
        "JOIN pg_catalog.pg_proc p ON p.oid = a.aggfnoid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
        "LEFT JOIN pg_catalog.pg_operator so ON so.oid = a.aggsortop "
        "LEFT JOIN pg_catalog.pg_namespace son ON son.oid = so.oprnamespace "
        "WHERE " CATALOG_USER_SCHEMA("n.nspname")
        " AND " NOT_EXTENSION_MEMBER("pg_proc", "p.oid")
        "ORDER BY p.oid",
        v11 >= 90600 ? "p.proparallel" : "'u'::pg_catalog.\"char\"",
        v11 >= 110000 ? "a.aggfinalmodify" : DEFAULT_MODIFY,
        v11 >= 110000 ? "a.aggmfinalmodify" : DEFAULT_MODIFY);
    Error *e = conn_query(ctx->conn, sql, &r);
    free(sql);
    if (e)
        return e;
    AclSet *acls;
    e = meta_acl_load(ctx, "pg_catalog.pg_proc", "o.oid", "proacl", "o.proowner", 'f',
                      v11 >= 110000 ? "o.prokind = 'a'" : "o.proisagg", &acls);
    if (e) {
        result_free(r);
        return e;
    }
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < result_rows(r); i++) {
        const char *schema = result_str(r, i, "nspname");
        if (!meta_keep_schema(ctx, schema))
            continue;
        const char *name = result_str(r, i, "proname");
        const char *args = result_str(r, i, "args");
        char aggkind = result_str(r, i, "aggkind")[0];
        /* Ordered-set and hypothetical aggregates default to READ_WRITE. */
        char default_modify = aggkind == 'n' ? 'r' : 'w';
        char *sig = routine_signature(ctx, schema, name, args, true);
        const char *v;
        int n = 0;
        sb_reset(&sb);
        sb_printf(&sb, "CREATE AGGREGATE %s (", sig);
        agg_item(&sb, &n, "SFUNC", result_str(r, i, "sfunc"));
        agg_item(&sb, &n, "STYPE", result_str(r, i, "stype"));
        if (strcmp(result_str(r, i, "aggtransspace"), "0") != 0)
            agg_item(&sb, &n, "SSPACE", result_str(r, i, "aggtransspace"));
        if ((v = opt_str(r, i, "agginitval")))
            agg_literal(ctx, &sb, &n, "INITCOND", v);
        if ((v = opt_str(r, i, "finalfunc")))
            agg_item(&sb, &n, "FINALFUNC", v);
        if (result_bool(r, i, "aggfinalextra"))
            agg_item(&sb, &n, "FINALFUNC_EXTRA", NULL);
        if (result_str(r, i, "aggfinalmodify")[0] != default_modify)
            agg_item(&sb, &n, "FINALFUNC_MODIFY",
                     modify_word(result_str(r, i, "aggfinalmodify")[0]));
        if ((v = opt_str(r, i, "combinefunc")))
            agg_item(&sb, &n, "COMBINEFUNC", v);
        if ((v = opt_str(r, i, "serialfunc")))
            agg_item(&sb, &n, "SERIALFUNC", v);
        if ((v = opt_str(r, i, "deserialfunc")))
            agg_item(&sb, &n, "DESERIALFUNC", v);
        if ((v = opt_str(r, i, "msfunc"))) {
            agg_item(&sb, &n, "MSFUNC", v);
            if ((v = opt_str(r, i, "minvfunc")))
                agg_item(&sb, &n, "MINVFUNC", v);
            if ((v = opt_str(r, i, "mstype")))
                agg_item(&sb, &n, "MSTYPE", v);
            if (strcmp(result_str(r, i, "aggmtransspace"), "0") != 0)
                agg_item(&sb, &n, "MSSPACE", result_str(r, i, "aggmtransspace"));
            if ((v = opt_str(r, i, "aggminitval")))
                agg_literal(ctx, &sb, &n, "MINITCOND", v);
            if ((v = opt_str(r, i, "mfinalfunc")))
                agg_item(&sb, &n, "MFINALFUNC", v);
            if (result_bool(r, i, "aggmfinalextra"))
                agg_item(&sb, &n, "MFINALFUNC_EXTRA", NULL);
            if (result_str(r, i, "aggmfinalmodify")[0] != default_modify)
                agg_item(&sb, &n, "MFINALFUNC_MODIFY",
                         modify_word(result_str(r, i, "aggmfinalmodify")[0]));
        }
        if (opt_str(r, i, "sortop")) {
            char *op = operator_name(ctx, result_str(r, i, "sortop_schema"),
                                     result_str(r, i, "sortop"));
            char *val = xasprintf("OPERATOR(%s)", op);
            agg_item(&sb, &n, "SORTOP", val);
            free(val);
            free(op);
        }
        if (aggkind == 'h')
            agg_item(&sb, &n, "HYPOTHETICAL", NULL);
        v = result_str(r, i, "proparallel");
        if (v[0] == 's' || v[0] == 'r')
            agg_item(&sb, &n, "PARALLEL", v[0] == 's' ? "SAFE" : "RESTRICTED");
        sb_append(&sb, "\n);\n");
        meta_append_owner(ctx, &sb, "AGGREGATE", sig, result_str(r, i, "owner"));
        char *what = xasprintf("AGGREGATE %s", sig);
        meta_append_comment(ctx, &sb, what, opt_str(r, i, "comment"));
        char *grant_sig = routine_signature(ctx, schema, name, args, false);
        meta_acl_append(ctx, &sb, acls, result_str(r, i, "oid"), "FUNCTION", grant_sig, NULL);
        char *label = xasprintf("%s(%s)", name, args);
        meta_emit_obj(ctx, TOC_PREDATA, schema, label, "AGGREGATE", "", sb.data, "pg_proc",
                      row_oid(r, i, "oid"));
        free(label);
        free(grant_sig);
        free(what);
        free(sig);
    }
    sb_free(&sb);
    meta_acl_free(acls);
    result_free(r);
    return NULL;
}

const MetaType meta_aggregates = {"aggregates", dump_meta_aggregates};

/* --- casts ------------------------------------------------------------------ */

/* The casts made by users (the built-in ones have oids below 16384). The
 * cast from a range type to its multirange is made with the type. */
static Error *dump_meta_casts(MetaContext *ctx)
{
    if (!keep_database_objects(ctx))
        return NULL;
    Result *r;
    Error *e = conn_query(
        ctx->conn,
        "SELECT c.oid, pg_catalog.format_type(c.castsource, NULL) AS source, "
        "       pg_catalog.format_type(c.casttarget, NULL) AS target, "
        "       CASE WHEN c.castfunc <> 0 "
        "            THEN c.castfunc::pg_catalog.regprocedure::pg_catalog.text END AS func, "
        "       c.castcontext, c.castmethod, "
        "       pg_catalog.obj_description(c.oid, 'pg_cast') AS comment "
        "FROM pg_catalog.pg_cast c "
        "WHERE c.oid >= 16384 "
        " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
        "   WHERE d.classid = 'pg_catalog.pg_cast'::pg_catalog.regclass "
        "   AND d.objid = c.oid AND d.deptype IN ('e', 'i')) "
        "ORDER BY c.oid",
        &r);
    if (e)
        return e;
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < result_rows(r); i++) {
        char *what = xasprintf("CAST (%s AS %s)", result_str(r, i, "source"),
                               result_str(r, i, "target"));
        sb_reset(&sb);
        sb_printf(&sb, "CREATE %s", what);
        switch (result_str(r, i, "castmethod")[0]) {
        case 'i':
            sb_append(&sb, " WITH INOUT");
            break;
        case 'b':
            sb_append(&sb, " WITHOUT FUNCTION");
            break;
        default:
            sb_printf(&sb, " WITH FUNCTION %s", result_str(r, i, "func"));
            break;
        }
        char context = result_str(r, i, "castcontext")[0];
        if (context == 'a')
            sb_append(&sb, " AS ASSIGNMENT");
        else if (context == 'i')
            sb_append(&sb, " AS IMPLICIT");
        sb_append(&sb, ";\n");
        meta_append_comment(ctx, &sb, what, opt_str(r, i, "comment"));
        meta_emit_obj(ctx, TOC_PREDATA, "", what + strlen("CAST "), "CAST", "", sb.data,
                      "pg_cast", row_oid(r, i, "oid"));
        free(what);
    }
    sb_free(&sb);
    result_free(r);
    return NULL;
}

const MetaType meta_casts = {"casts", dump_meta_casts};

/* --- operators ------------------------------------------------------------- */

/* A COMMUTATOR or NEGATOR names an operator that may not exist yet: it is
 * then created as a shell that points back, and its own CREATE OPERATOR
 * later fills it in with its own links. When it does exist and has no link
 * of that kind, it is made to point back. So where the source's links are
 * one-sided (A names B, B names nothing or another), B must be created
 * after A; where they are mutual, either order gives the same catalog.
 * Shells of the source (operators without a function) are left out, like
 * pg_dump. */
static int find_row_by_oid(const Result *r, uint32_t oid)
{
    int lo = 0, hi = result_rows(r);
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        uint32_t v = row_oid(r, mid, "oid");
        if (v == oid)
            return mid;
        if (v < oid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* Operator i names other (a commutator or negator) through link column
 * col ("oprcom" or "oprnegate"): unless other names i back the same way,
 * other's entry comes after i's. */
static void order_operator_link(MetaContext *ctx, const Result *r, const uint32_t *dumpids, int i,
                                const char *col)
{
    uint32_t self = row_oid(r, i, "oid"), other = row_oid(r, i, col);
    if (other == 0 || other == self)
        return;
    int j = find_row_by_oid(r, other);
    if (j < 0 || !dumpids[j] || row_oid(r, j, col) == self)
        return;
    meta_depend_on(ctx, dumpids[j], "pg_operator", self);
}
static Error *dump_meta_operators(MetaContext *ctx)
{
    Result *r;
    Error *e = conn_query(
        ctx->conn,
        "SELECT o.oid, n.nspname, o.oprname, o.oprcom, o.oprnegate, "
        "       pg_catalog.pg_get_userbyid(o.oprowner) AS owner, "
        "       pg_catalog.obj_description(o.oid, 'pg_operator') AS comment, "
        "       CASE WHEN o.oprleft <> 0 THEN pg_catalog.format_type(o.oprleft, NULL) END "
        "         AS lefttype, "
        "       CASE WHEN o.oprright <> 0 THEN pg_catalog.format_type(o.oprright, NULL) END "
        "         AS righttype, "
        "       o.oprcode::pg_catalog.text AS func, "
        "       cn.nspname AS com_schema, c.oprname AS com_name, "
        "       nn.nspname AS neg_schema, ng.oprname AS neg_name, "
        "       CASE WHEN o.oprrest <> 0 THEN o.oprrest::pg_catalog.text END AS restrict, "
        "       CASE WHEN o.oprjoin <> 0 THEN o.oprjoin::pg_catalog.text END AS join, "
        "       o.oprcanhash, o.oprcanmerge "
        "FROM pg_catalog.pg_operator o "
        "JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace "
        "LEFT JOIN pg_catalog.pg_operator c ON c.oid = o.oprcom "
        "LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = c.oprnamespace "
        "LEFT JOIN pg_catalog.pg_operator ng ON ng.oid = o.oprnegate "
        "LEFT JOIN pg_catalog.pg_namespace nn ON nn.oid = ng.oprnamespace "
        "WHERE o.oprcode <> 0 AND " CATALOG_USER_SCHEMA("n.nspname")
        " AND " NOT_EXTENSION_MEMBER("pg_operator", "o.oid")
        "ORDER BY o.oid",
        &r);
    if (e)
        return e;
    uint32_t *dumpids = xcalloc((size_t)result_rows(r) + 1, sizeof(uint32_t));
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < result_rows(r); i++) {
        const char *schema = result_str(r, i, "nspname");
        if (!meta_keep_schema(ctx, schema))
            continue;
        const char *name = result_str(r, i, "oprname");
        const char *left = opt_str(r, i, "lefttype");
        const char *right = opt_str(r, i, "righttype");
        const char *v;
        char *op = operator_name(ctx, schema, name);
        sb_reset(&sb);
        /* FUNCTION came with PostgreSQL 13; PROCEDURE before (Greenplum 6). */
        sb_printf(&sb, "CREATE OPERATOR %s (\n    %s = %s", op,
                  conn_server_version(ctx->conn) >= 130000 ? "FUNCTION" : "PROCEDURE",
                  result_str(r, i, "func"));
        if (left)
            sb_printf(&sb, ",\n    LEFTARG = %s", left);
        if (right)
            sb_printf(&sb, ",\n    RIGHTARG = %s", right);
        if (opt_str(r, i, "com_name")) {
            char *c = operator_name(ctx, result_str(r, i, "com_schema"),
                                    result_str(r, i, "com_name"));
            sb_printf(&sb, ",\n    COMMUTATOR = OPERATOR(%s)", c);
            free(c);
        }
        if (opt_str(r, i, "neg_name")) {
            char *c = operator_name(ctx, result_str(r, i, "neg_schema"),
                                    result_str(r, i, "neg_name"));
            sb_printf(&sb, ",\n    NEGATOR = OPERATOR(%s)", c);
            free(c);
        }
        if ((v = opt_str(r, i, "restrict")))
            sb_printf(&sb, ",\n    RESTRICT = %s", v);
        if ((v = opt_str(r, i, "join")))
            sb_printf(&sb, ",\n    JOIN = %s", v);
        if (result_bool(r, i, "oprcanhash"))
            sb_append(&sb, ",\n    HASHES");
        if (result_bool(r, i, "oprcanmerge"))
            sb_append(&sb, ",\n    MERGES");
        sb_append(&sb, "\n);\n");
        char *sig = xasprintf("%s (%s, %s)", op, left ? left : "NONE", right ? right : "NONE");
        meta_append_owner(ctx, &sb, "OPERATOR", sig, result_str(r, i, "owner"));
        char *what = xasprintf("OPERATOR %s", sig);
        meta_append_comment(ctx, &sb, what, opt_str(r, i, "comment"));
        char *label = xasprintf("%s(%s, %s)", name, left ? left : "NONE", right ? right : "NONE");
        dumpids[i] = meta_emit_obj(ctx, TOC_PREDATA, schema, label, "OPERATOR", "", sb.data,
                                   "pg_operator", row_oid(r, i, "oid"));
        free(label);
        free(what);
        free(sig);
        free(op);
    }
    for (int i = 0; i < result_rows(r); i++) {
        if (!dumpids[i])
            continue;
        order_operator_link(ctx, r, dumpids, i, "oprcom");
        order_operator_link(ctx, r, dumpids, i, "oprnegate");
    }
    free(dumpids);
    sb_free(&sb);
    result_free(r);
    return NULL;
}

const MetaType meta_operators = {"operators", dump_meta_operators};

/* --- operator families and classes ----------------------------------------- */

/* The operators and support functions of every family, each with what it
 * belongs to: a member a class created has an internal dependency on the
 * class and is written in its CREATE OPERATOR CLASS; one added to the
 * family (ALTER OPERATOR FAMILY ... ADD, or a cross-type member a class
 * handed to its family) has an automatic dependency on the family and is
 * written with ALTER OPERATOR FAMILY. Ordered by that owner. */
static Error *load_opfamily_members(MetaContext *ctx, Result **out)
{
    return conn_query(
        ctx->conn,
        "SELECT d.refobjid AS owner_oid, "
        "       d.refclassid = 'pg_catalog.pg_opclass'::pg_catalog.regclass AS in_class, "
        "       'o' AS kind, ao.amopstrategy AS num, "
        "       ao.amopopr::pg_catalog.regoperator::pg_catalog.text AS item, "
        "       NULL AS lefttype, NULL AS righttype, "
        "       CASE WHEN ao.amoppurpose = 'o' THEN sfn.nspname END AS sortfamily_schema, "
        "       CASE WHEN ao.amoppurpose = 'o' THEN sf.opfname END AS sortfamily "
        "FROM pg_catalog.pg_amop ao "
        "JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_amop'::pg_catalog.regclass "
        "  AND d.objid = ao.oid AND d.deptype IN ('i', 'a') "
        "  AND d.refclassid IN ('pg_catalog.pg_opclass'::pg_catalog.regclass, "
        "                       'pg_catalog.pg_opfamily'::pg_catalog.regclass) "
        "LEFT JOIN pg_catalog.pg_opfamily sf ON sf.oid = ao.amopsortfamily "
        "LEFT JOIN pg_catalog.pg_namespace sfn ON sfn.oid = sf.opfnamespace "
        "WHERE ao.oid >= 16384 "
        "UNION ALL "
        "SELECT d.refobjid, "
        "       d.refclassid = 'pg_catalog.pg_opclass'::pg_catalog.regclass, "
        "       'p', ap.amprocnum, ap.amproc::pg_catalog.regprocedure::pg_catalog.text, "
        "       pg_catalog.format_type(ap.amproclefttype, NULL), "
        "       pg_catalog.format_type(ap.amprocrighttype, NULL), NULL, NULL "
        "FROM pg_catalog.pg_amproc ap "
        "JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_amproc'::pg_catalog.regclass "
        "  AND d.objid = ap.oid AND d.deptype IN ('i', 'a') "
        "  AND d.refclassid IN ('pg_catalog.pg_opclass'::pg_catalog.regclass, "
        "                       'pg_catalog.pg_opfamily'::pg_catalog.regclass) "
        "WHERE ap.oid >= 16384 "
        "ORDER BY 1, 3, 4, 6, 7",
        out);
}

/* Append the members of owner (a class or a family) as a comma separated
 * list of "OPERATOR n op(types)" and "FUNCTION n (types) f(args)". */
static int append_members(MetaContext *ctx, StrBuf *sb, const Result *m, const RowIndex *ix,
                          uint32_t owner, bool in_class)
{
    int count, first = meta_row_find(ix, owner, &count), n = 0;
    for (int j = first; j >= 0 && j < first + count; j++) {
        if (result_bool(m, j, "in_class") != in_class)
            continue;
        sb_append(sb, n++ ? ",\n    " : "\n    ");
        if (result_str(m, j, "kind")[0] == 'o') {
            sb_printf(sb, "OPERATOR %s %s", result_str(m, j, "num"), result_str(m, j, "item"));
            if (opt_str(m, j, "sortfamily")) {
                char *f = conn_quote_qualified(ctx->conn, result_str(m, j, "sortfamily_schema"),
                                               result_str(m, j, "sortfamily"));
                sb_printf(sb, " FOR ORDER BY %s", f);
                free(f);
            }
        } else {
            sb_printf(sb, "FUNCTION %s (%s, %s) %s", result_str(m, j, "num"),
                      result_str(m, j, "lefttype"), result_str(m, j, "righttype"),
                      result_str(m, j, "item"));
        }
    }
    return n;
}

static Error *dump_opfamilies(MetaContext *ctx, StrBuf *sb, const Result *m, const RowIndex *ix)
{
    Result *r;
    Error *e = conn_query(
        ctx->conn,
        "SELECT f.oid, n.nspname, f.opfname, am.amname, "
        "       pg_catalog.pg_get_userbyid(f.opfowner) AS owner, "
        "       pg_catalog.obj_description(f.oid, 'pg_opfamily') AS comment "
        "FROM pg_catalog.pg_opfamily f "
        "JOIN pg_catalog.pg_namespace n ON n.oid = f.opfnamespace "
        "JOIN pg_catalog.pg_am am ON am.oid = f.opfmethod "
        "WHERE " CATALOG_USER_SCHEMA("n.nspname")
        " AND " NOT_EXTENSION_MEMBER("pg_opfamily", "f.oid")
        "ORDER BY f.oid",
        &r);
    if (e)
        return e;
    for (int i = 0; i < result_rows(r); i++) {
        const char *schema = result_str(r, i, "nspname");
        if (!meta_keep_schema(ctx, schema))
            continue;
        char *q = conn_quote_qualified(ctx->conn, schema, result_str(r, i, "opfname"));
        char *am = conn_quote_ident(ctx->conn, result_str(r, i, "amname"));
        char *sig = xasprintf("%s USING %s", q, am);
        sb_reset(sb);
        sb_printf(sb, "CREATE OPERATOR FAMILY %s;\n", sig);
        size_t before = sb->len;
        sb_printf(sb, "ALTER OPERATOR FAMILY %s ADD", sig);
        if (append_members(ctx, sb, m, ix, row_oid(r, i, "oid"), false))
            sb_append(sb, ";\n");
        else
            sb->data[sb->len = before] = '\0';
        meta_append_owner(ctx, sb, "OPERATOR FAMILY", sig, result_str(r, i, "owner"));
        char *what = xasprintf("OPERATOR FAMILY %s", sig);
        meta_append_comment(ctx, sb, what, opt_str(r, i, "comment"));
        char *label = xasprintf("%s USING %s", result_str(r, i, "opfname"),
                                result_str(r, i, "amname"));
        meta_emit_obj(ctx, TOC_PREDATA, schema, label, "OPERATOR FAMILY", "", sb->data,
                      "pg_opfamily", row_oid(r, i, "oid"));
        free(label);
        free(what);
        free(sig);
        free(am);
        free(q);
    }
    result_free(r);
    return NULL;
}

/* Every class names its family: the families were written first, also
 * those a CREATE OPERATOR CLASS made implicitly, which is the same catalog
 * state. */
static Error *dump_opclasses(MetaContext *ctx, StrBuf *sb, const Result *m, const RowIndex *ix)
{
    Result *r;
    Error *e = conn_query(
        ctx->conn,
        "SELECT c.oid, n.nspname, c.opcname, am.amname, c.opcdefault, c.opcfamily, "
        "       pg_catalog.pg_get_userbyid(c.opcowner) AS owner, "
        "       pg_catalog.obj_description(c.oid, 'pg_opclass') AS comment, "
        "       pg_catalog.format_type(c.opcintype, NULL) AS intype, "
        "       CASE WHEN c.opckeytype <> 0 THEN pg_catalog.format_type(c.opckeytype, NULL) END "
        "         AS keytype, "
        "       fn.nspname AS family_schema, f.opfname AS family "
        "FROM pg_catalog.pg_opclass c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.opcnamespace "
        "JOIN pg_catalog.pg_am am ON am.oid = c.opcmethod "
        "JOIN pg_catalog.pg_opfamily f ON f.oid = c.opcfamily "
        "JOIN pg_catalog.pg_namespace fn ON fn.oid = f.opfnamespace "
        "WHERE " CATALOG_USER_SCHEMA("n.nspname")
        " AND " NOT_EXTENSION_MEMBER("pg_opclass", "c.oid")
        "ORDER BY c.oid",
        &r);
    if (e)
        return e;
    for (int i = 0; i < result_rows(r); i++) {
        const char *schema = result_str(r, i, "nspname");
        if (!meta_keep_schema(ctx, schema))
            continue;
        char *q = conn_quote_qualified(ctx->conn, schema, result_str(r, i, "opcname"));
        char *am = conn_quote_ident(ctx->conn, result_str(r, i, "amname"));
        char *fam = conn_quote_qualified(ctx->conn, result_str(r, i, "family_schema"),
                                         result_str(r, i, "family"));
        const char *keytype = opt_str(r, i, "keytype");
        sb_reset(sb);
        sb_printf(sb, "CREATE OPERATOR CLASS %s%s\n    FOR TYPE %s USING %s FAMILY %s AS", q,
                  result_bool(r, i, "opcdefault") ? " DEFAULT" : "", result_str(r, i, "intype"),
                  am, fam);
        int n = append_members(ctx, sb, m, ix, row_oid(r, i, "oid"), true);
        /* The list cannot be empty: STORAGE of the input type means none. */
        if (keytype || n == 0)
            sb_printf(sb, "%s    STORAGE %s", n ? ",\n" : "\n",
                      keytype ? keytype : result_str(r, i, "intype"));
        sb_append(sb, ";\n");
        char *sig = xasprintf("%s USING %s", q, am);
        meta_append_owner(ctx, sb, "OPERATOR CLASS", sig, result_str(r, i, "owner"));
        char *what = xasprintf("OPERATOR CLASS %s", sig);
        meta_append_comment(ctx, sb, what, opt_str(r, i, "comment"));
        char *label = xasprintf("%s USING %s", result_str(r, i, "opcname"),
                                result_str(r, i, "amname"));
        uint32_t id = meta_emit_obj(ctx, TOC_PREDATA, schema, label, "OPERATOR CLASS", "",
                                    sb->data, "pg_opclass", row_oid(r, i, "oid"));
        /* The class's link to its family is an automatic dependency, which
         * does not order entries. */
        meta_depend_on(ctx, id, "pg_opfamily", row_oid(r, i, "opcfamily"));
        free(label);
        free(what);
        free(sig);
        free(fam);
        free(am);
        free(q);
    }
    result_free(r);
    return NULL;
}

static Error *dump_meta_opfamilies(MetaContext *ctx)
{
    Result *m;
    Error *e = load_opfamily_members(ctx, &m);
    if (e)
        return e;
    RowIndex ix;
    meta_row_index(&ix, m, "owner_oid");
    StrBuf sb;
    sb_init(&sb);
    e = dump_opfamilies(ctx, &sb, m, &ix);
    if (!e)
        e = dump_opclasses(ctx, &sb, m, &ix);
    sb_free(&sb);
    meta_row_index_free(&ix);
    result_free(m);
    return e;
}

const MetaType meta_opfamilies = {"opfamilies", dump_meta_opfamilies};

/* --- collations --------------------------------------------------------- */

/* The collation version is not carried: the restored collation records the
 * version of the library it was created with, as pg_dump leaves it. Where
 * the locale of a non-libc provider lives changed over the versions: in
 * collcollate before PostgreSQL 15, colliculocale in 15 and 16, colllocale
 * from 17 (which adds the builtin provider); 16 added ICU rules. */
#define COLLATION_QUERY(locale_cols) COLLATION_QUERY_OF("c.collprovider, c.collisdeterministic", \
                                                      "c.collprovider", locale_cols)
/* Before PostgreSQL 10 (Greenplum 6) every collation is a libc one, and
 * CREATE COLLATION takes neither provider nor deterministic. */
#define COLLATION_QUERY_94                                                           \
    COLLATION_QUERY_OF("'c'::pg_catalog.\"char\" AS collprovider, true AS collisdeterministic", \
                       "'c'::pg_catalog.\"char\"", "NULL AS locale, NULL AS rules")
#define COLLATION_QUERY_OF(provider_cols, provider, locale_cols)                      \
    "SELECT c.oid, n.nspname, c.collname, " provider_cols ", "                       \
    "       c.collcollate, c.collctype, " locale_cols ", "                           \
    "       pg_catalog.pg_get_userbyid(c.collowner) AS owner, "                      \
    "       pg_catalog.obj_description(c.oid, 'pg_collation') AS comment "           \
    "FROM pg_catalog.pg_collation c "                                                \
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace "                     \
    "WHERE " provider " <> 'd' AND " CATALOG_USER_SCHEMA("n.nspname")               \
    " AND " NOT_EXTENSION_MEMBER("pg_collation", "c.oid")                            \
    "ORDER BY c.oid"

static Error *dump_meta_collations(MetaContext *ctx)
{
    int version = conn_server_version(ctx->conn);
    const char *sql =
        version >= 170000   ? COLLATION_QUERY("c.colllocale AS locale, c.collicurules AS rules")
        : version >= 160000 ? COLLATION_QUERY("c.colliculocale AS locale, c.collicurules AS rules")
        : version >= 150000 ? COLLATION_QUERY("c.colliculocale AS locale, NULL AS rules")
        : version >= 100000 ? COLLATION_QUERY("NULL AS locale, NULL AS rules")
                            : COLLATION_QUERY_94;
    bool has_provider = version >= 100000;
    Result *r;
    Error *e = conn_query(ctx->conn, sql, &r);
    if (e)
        return e;
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < result_rows(r); i++) {
        const char *schema = result_str(r, i, "nspname");
        if (!meta_keep_schema(ctx, schema))
            continue;
        const char *name = result_str(r, i, "collname");
        char *q = conn_quote_qualified(ctx->conn, schema, name);
        char provider = result_str(r, i, "collprovider")[0];
        bool libc = provider == 'c';
        sb_reset(&sb);
        if (has_provider)
            sb_printf(&sb, "CREATE COLLATION %s (provider = %s, ", q,
                      libc ? "libc" : provider == 'i' ? "icu" : "builtin");
        else
            sb_printf(&sb, "CREATE COLLATION %s (", q);
        if (!result_bool(r, i, "collisdeterministic"))
            sb_append(&sb, "deterministic = false, ");
        const char *collate = opt_str(r, i, "collcollate");
        const char *ctype = opt_str(r, i, "collctype");
        const char *locale = libc ? NULL : opt_str(r, i, "locale");
        if (!libc && !locale)
            locale = collate;
        if (!libc || (collate && ctype && strcmp(collate, ctype) == 0)) {
            char *lit = conn_quote_literal(ctx->conn, libc ? collate : locale ? locale : "");
            sb_printf(&sb, "locale = %s", lit);
            free(lit);
        } else {
            char *a = conn_quote_literal(ctx->conn, collate ? collate : "");
            char *b = conn_quote_literal(ctx->conn, ctype ? ctype : "");
            sb_printf(&sb, "lc_collate = %s, lc_ctype = %s", a, b);
            free(a);
            free(b);
        }
        if (opt_str(r, i, "rules")) {
            char *lit = conn_quote_literal(ctx->conn, opt_str(r, i, "rules"));
            sb_printf(&sb, ", rules = %s", lit);
            free(lit);
        }
        sb_append(&sb, ");\n");
        meta_append_owner(ctx, &sb, "COLLATION", q, result_str(r, i, "owner"));
        char *what = xasprintf("COLLATION %s", q);
        meta_append_comment(ctx, &sb, what, opt_str(r, i, "comment"));
        meta_emit_obj(ctx, TOC_PREDATA, schema, name, "COLLATION", "", sb.data, "pg_collation",
                      row_oid(r, i, "oid"));
        free(what);
        free(q);
    }
    sb_free(&sb);
    result_free(r);
    return NULL;
}

const MetaType meta_collations = {"collations", dump_meta_collations};

/* --- conversions ---------------------------------------------------------- */

static Error *dump_meta_conversions(MetaContext *ctx)
{
    Result *r;
    Error *e = conn_query(
        ctx->conn,
        "SELECT c.oid, n.nspname, c.conname, c.condefault, "
        "       pg_catalog.pg_encoding_to_char(c.conforencoding) AS source, "
        "       pg_catalog.pg_encoding_to_char(c.contoencoding) AS target, "
        "       c.conproc::pg_catalog.text AS func, "
        "       pg_catalog.pg_get_userbyid(c.conowner) AS owner, "
        "       pg_catalog.obj_description(c.oid, 'pg_conversion') AS comment "
        "FROM pg_catalog.pg_conversion c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace "
        "WHERE " CATALOG_USER_SCHEMA("n.nspname")
        " AND " NOT_EXTENSION_MEMBER("pg_conversion", "c.oid")
        "ORDER BY c.oid",
        &r);
    if (e)
        return e;
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < result_rows(r); i++) {
        const char *schema = result_str(r, i, "nspname");
        if (!meta_keep_schema(ctx, schema))
            continue;
        const char *name = result_str(r, i, "conname");
        char *q = conn_quote_qualified(ctx->conn, schema, name);
        char *src = conn_quote_literal(ctx->conn, result_str(r, i, "source"));
        char *dst = conn_quote_literal(ctx->conn, result_str(r, i, "target"));
        sb_reset(&sb);
        sb_printf(&sb, "CREATE %sCONVERSION %s FOR %s TO %s FROM %s;\n",
                  result_bool(r, i, "condefault") ? "DEFAULT " : "", q, src, dst,
                  result_str(r, i, "func"));
        meta_append_owner(ctx, &sb, "CONVERSION", q, result_str(r, i, "owner"));
        char *what = xasprintf("CONVERSION %s", q);
        meta_append_comment(ctx, &sb, what, opt_str(r, i, "comment"));
        meta_emit_obj(ctx, TOC_PREDATA, schema, name, "CONVERSION", "", sb.data,
                      "pg_conversion", row_oid(r, i, "oid"));
        free(what);
        free(dst);
        free(src);
        free(q);
    }
    sb_free(&sb);
    result_free(r);
    return NULL;
}

const MetaType meta_conversions = {"conversions", dump_meta_conversions};
