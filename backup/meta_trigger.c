/* What runs when rows or DDL change: triggers (with their ENABLE/DISABLE
 * state, including the clones of a partitioned table's triggers whose state
 * differs from their parent's), event triggers, rules other than views'
 * _RETURN rules, and row level security (the ENABLE/FORCE switches of
 * tables and their policies). All of it is post-data, as in pg_dump: data
 * is loaded before any of it can fire or filter rows. */
#include <stdlib.h>
#include <string.h>

#include "metadata.h"

static uint32_t row_oid(const Result *r, int row, const char *column)
{
    return (uint32_t)strtoul(result_str(r, row, column), NULL, 10);
}

static const char *row_comment(const Result *r, int row)
{
    return result_isnull(r, row, "comment") ? NULL : result_str(r, row, "comment");
}

/* Relations that belong to an extension are the extension's business. */
#define NOT_EXTENSION_RELATION(c)                                        \
    " NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "                 \
    "   WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "   \
    "   AND d.objid = " c " AND d.deptype = 'e') "

/* --- triggers ----------------------------------------------------------- */

/* "DISABLE", "ENABLE REPLICA", ... for a tgenabled / ev_enabled value. */
static const char *enable_state(char state)
{
    switch (state) {
    case 'D':
        return "DISABLE";
    case 'R':
        return "ENABLE REPLICA";
    case 'A':
        return "ENABLE ALWAYS";
    default:
        return "ENABLE";
    }
}

static const char *alter_relation(char relkind)
{
    return relkind == 'f' ? "ALTER FOREIGN TABLE" : relkind == 'v' ? "ALTER VIEW" : "ALTER TABLE";
}

static Error *dump_triggers(MetaContext *ctx)
{
    /* Before 13 there is no tgparentid: the clones on partitions are
     * internal triggers, left out with the others. */
    bool has_parent = conn_server_version(ctx->conn) >= 130000;
    char *sql = xasprintf(
        "SELECT t.oid, t.tgrelid, t.tgname, t.tgenabled, %s AS tgparentid, "
        "       %s AS parent_enabled, "
        "       pg_catalog.pg_get_triggerdef(t.oid, false) AS def, "
        "       pg_catalog.obj_description(t.oid, 'pg_trigger') AS comment, "
        "       c.relkind, n.nspname, c.relname "
        "FROM pg_catalog.pg_trigger t "
        "JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "%s"
        "WHERE NOT t.tgisinternal AND " CATALOG_USER_SCHEMA("n.nspname")
        " AND " NOT_EXTENSION_RELATION("c.oid")
        "ORDER BY t.oid",
        has_parent ? "t.tgparentid" : "0::pg_catalog.oid",
        has_parent ? "u.tgenabled" : "NULL::pg_catalog.\"char\"",
        has_parent ? "LEFT JOIN pg_catalog.pg_trigger u ON u.oid = t.tgparentid " : "");
    Result *r;
    Error *e = conn_query(ctx->conn, sql, &r);
    free(sql);
    if (e)
        return e;
    /* Rows by trigger oid: a clone finds its parent (and the parent's
     * table) in the same result. */
    RowIndex by_oid;
    meta_row_index(&by_oid, r, "oid");
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < result_rows(r); i++) {
        const char *schema = result_str(r, i, "nspname");
        const char *table = result_str(r, i, "relname");
        char relkind = result_str(r, i, "relkind")[0];
        if (!meta_keep_relation(ctx, row_oid(r, i, "tgrelid"), relkind, schema, table))
            continue;
        const char *name = result_str(r, i, "tgname");
        char state = result_str(r, i, "tgenabled")[0];
        uint32_t parent = row_oid(r, i, "tgparentid");
        /* A clone exists as soon as its parent trigger does, unless the
         * parent's table is not in the backup: then it stands alone. */
        bool clone = false;
        if (parent) {
            int n, p = meta_row_find(&by_oid, parent, &n);
            clone = p >= 0 && meta_keep_relation(ctx, row_oid(r, p, "tgrelid"),
                                                 result_str(r, p, "relkind")[0],
                                                 result_str(r, p, "nspname"),
                                                 result_str(r, p, "relname"));
        }
        const char *comment = row_comment(r, i);
        char *rel = conn_quote_qualified(ctx->conn, schema, table);
        char *qname = conn_quote_ident(ctx->conn, name);
        sb_reset(&sb);
        if (!clone) {
            sb_printf(&sb, "%s;\n", result_str(r, i, "def"));
            if (state != 'O')
                sb_printf(&sb, "%s %s %s TRIGGER %s;\n", alter_relation(relkind), rel,
                          enable_state(state), qname);
        } else if (state != result_str(r, i, "parent_enabled")[0]) {
            /* The parent's ALTER ... TRIGGER recurses to its partitions:
             * this one runs after it (see the dependencies below). */
            sb_printf(&sb, "%s %s %s TRIGGER %s;\n", alter_relation(relkind), rel,
                      enable_state(state), qname);
        } else if (!comment) {
            free(rel);
            free(qname);
            continue;
        }
        char *what = xasprintf("TRIGGER %s ON %s", qname, rel);
        meta_append_comment(ctx, &sb, what, comment);
        free(what);
        char *ref = filter_format_table_name(schema, table);
        uint32_t id = meta_emit_obj(ctx, TOC_POSTDATA, schema, name, "TRIGGER", ref, sb.data,
                                    "pg_trigger", row_oid(r, i, "oid"));
        /* pg_depend ties a clone to its parent with a partition dependency,
         * which does not order entries: after every ancestor explicitly
         * (an intermediate level may have no entry of its own). */
        for (int hops = 0; clone && parent && hops < 64; hops++) {
            meta_depend_on(ctx, id, "pg_trigger", parent);
            int n, p = meta_row_find(&by_oid, parent, &n);
            parent = p >= 0 ? row_oid(r, p, "tgparentid") : 0;
        }
        free(ref);
        free(rel);
        free(qname);
    }
    sb_free(&sb);
    meta_row_index_free(&by_oid);
    result_free(r);
    return NULL;
}

const MetaType meta_triggers = {"triggers", dump_triggers};

/* --- event triggers ----------------------------------------------------- */

/* Event triggers belong to the whole database, so they come only with a
 * backup of all of it (as with pg_dump), and only when the schema of their
 * function is kept. */
static bool whole_database(const MetaContext *ctx)
{
    return ctx->filter->include_schemas.n == 0 && !filter_has_table_includes(ctx->filter);
}

static Error *dump_event_triggers(MetaContext *ctx)
{
    if (!whole_database(ctx))
        return NULL;
    Result *r;
    Error *e = conn_query(
        ctx->conn,
        "SELECT e.oid, e.evtname, e.evtevent, e.evtenabled, "
        "       pg_catalog.pg_get_userbyid(e.evtowner) AS owner, "
        "       pn.nspname AS fn_schema, p.proname AS fn_name, tag.t AS tag, "
        "       pg_catalog.obj_description(e.oid, 'pg_event_trigger') AS comment "
        "FROM pg_catalog.pg_event_trigger e "
        "JOIN pg_catalog.pg_proc p ON p.oid = e.evtfoid "
        "JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace "
        "LEFT JOIN LATERAL pg_catalog.unnest(e.evttags) WITH ORDINALITY AS tag(t, o) ON true "
        "WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
        "   WHERE d.classid = 'pg_catalog.pg_event_trigger'::pg_catalog.regclass "
        "   AND d.objid = e.oid AND d.deptype = 'e') "
        "ORDER BY e.oid, tag.o",
        &r);
    if (e)
        return e;
    const char *execute = conn_server_version(ctx->conn) >= 110000 ? "FUNCTION" : "PROCEDURE";
    StrBuf sb;
    sb_init(&sb);
    int rows = result_rows(r);
    for (int i = 0; i < rows;) {
        const char *oid = result_str(r, i, "oid");
        int j = i + 1;
        while (j < rows && strcmp(result_str(r, j, "oid"), oid) == 0)
            j++;
        const char *name = result_str(r, i, "evtname");
        if (!meta_keep_schema(ctx, result_str(r, i, "fn_schema"))) {
            i = j;
            continue;
        }
        char *q = conn_quote_ident(ctx->conn, name);
        char *event = conn_quote_ident(ctx->conn, result_str(r, i, "evtevent"));
        char *fn = conn_quote_qualified(ctx->conn, result_str(r, i, "fn_schema"),
                                        result_str(r, i, "fn_name"));
        sb_reset(&sb);
        sb_printf(&sb, "CREATE EVENT TRIGGER %s ON %s", q, event);
        int ntags = 0;
        for (int k = i; k < j; k++) {
            if (result_isnull(r, k, "tag"))
                continue;
            char *lit = conn_quote_literal(ctx->conn, result_str(r, k, "tag"));
            sb_printf(&sb, "%s%s", ntags++ ? ", " : "\n    WHEN TAG IN (", lit);
            free(lit);
        }
        if (ntags)
            sb_append(&sb, ")");
        sb_printf(&sb, "\n    EXECUTE %s %s();\n", execute, fn);
        char state = result_str(r, i, "evtenabled")[0];
        if (state != 'O')
            sb_printf(&sb, "ALTER EVENT TRIGGER %s %s;\n", q, enable_state(state));
        meta_append_owner(ctx, &sb, "EVENT TRIGGER", q, result_str(r, i, "owner"));
        char *what = xasprintf("EVENT TRIGGER %s", q);
        meta_append_comment(ctx, &sb, what, row_comment(r, i));
        free(what);
        meta_emit_obj(ctx, TOC_POSTDATA, "", name, "EVENT TRIGGER", "", sb.data,
                      "pg_event_trigger", (uint32_t)strtoul(oid, NULL, 10));
        free(q);
        free(event);
        free(fn);
        i = j;
    }
    sb_free(&sb);
    result_free(r);
    return NULL;
}

const MetaType meta_event_triggers = {"event triggers", dump_event_triggers};

/* --- rules -------------------------------------------------------------- */

static Error *dump_rules(MetaContext *ctx)
{
    Result *r;
    Error *e = conn_query(
        ctx->conn,
        "SELECT r.oid, r.ev_class, r.rulename, r.ev_enabled, "
        "       pg_catalog.pg_get_ruledef(r.oid) AS def, "
        "       pg_catalog.obj_description(r.oid, 'pg_rewrite') AS comment, "
        "       c.relkind, n.nspname, c.relname "
        "FROM pg_catalog.pg_rewrite r "
        "JOIN pg_catalog.pg_class c ON c.oid = r.ev_class "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        /* A view's _RETURN rule is the view itself. */
        "WHERE NOT (r.rulename = '_RETURN' AND c.relkind IN ('v', 'm')) "
        "  AND " CATALOG_USER_SCHEMA("n.nspname") " AND " NOT_EXTENSION_RELATION("c.oid")
        "ORDER BY r.oid",
        &r);
    if (e)
        return e;
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < result_rows(r); i++) {
        const char *schema = result_str(r, i, "nspname");
        const char *table = result_str(r, i, "relname");
        char relkind = result_str(r, i, "relkind")[0];
        if (!meta_keep_relation(ctx, row_oid(r, i, "ev_class"), relkind, schema, table))
            continue;
        const char *name = result_str(r, i, "rulename");
        char *rel = conn_quote_qualified(ctx->conn, schema, table);
        char *qname = conn_quote_ident(ctx->conn, name);
        sb_reset(&sb);
        /* pg_get_ruledef ends with a semicolon. */
        sb_printf(&sb, "%s\n", result_str(r, i, "def"));
        char state = result_str(r, i, "ev_enabled")[0];
        if (state != 'O')
            sb_printf(&sb, "%s %s %s RULE %s;\n", alter_relation(relkind), rel,
                      enable_state(state), qname);
        char *what = xasprintf("RULE %s ON %s", qname, rel);
        meta_append_comment(ctx, &sb, what, row_comment(r, i));
        free(what);
        char *ref = filter_format_table_name(schema, table);
        meta_emit_obj(ctx, TOC_POSTDATA, schema, name, "RULE", ref, sb.data, "pg_rewrite",
                      row_oid(r, i, "oid"));
        free(ref);
        free(rel);
        free(qname);
    }
    sb_free(&sb);
    result_free(r);
    return NULL;
}

const MetaType meta_rules = {"rules", dump_rules};

/* --- row level security ------------------------------------------------- */

/* ENABLE and FORCE ROW LEVEL SECURITY, an entry of its own per table
 * ("ROW SECURITY"), after the data: a table owner that is not a superuser
 * could not COPY into a table that forces row security. */
static Error *dump_row_security(MetaContext *ctx, const char *oids, StrBuf *sb)
{
    const char *params[1] = {oids};
    Result *r;
    Error *e = conn_query_params(
        ctx->conn,
        "SELECT c.oid, c.relrowsecurity, c.relforcerowsecurity "
        "FROM pg_catalog.pg_class c "
        "WHERE c.oid = ANY($1::pg_catalog.oid[]) "
        "  AND (c.relrowsecurity OR c.relforcerowsecurity) "
        "ORDER BY c.oid",
        1, params, &r);
    if (e)
        return e;
    for (int i = 0; i < result_rows(r); i++) {
        const TableInfo *t = meta_table(ctx, row_oid(r, i, "oid"));
        if (!t)
            continue;
        sb_reset(sb);
        if (result_bool(r, i, "relrowsecurity"))
            sb_printf(sb, "ALTER TABLE %s ENABLE ROW LEVEL SECURITY;\n", t->qualified);
        if (result_bool(r, i, "relforcerowsecurity"))
            sb_printf(sb, "ALTER TABLE %s FORCE ROW LEVEL SECURITY;\n", t->qualified);
        char *ref = filter_format_table_name(t->schema, t->name);
        uint32_t id = meta_emit_obj(ctx, TOC_POSTDATA, t->schema, t->name, "ROW SECURITY", ref,
                                    sb->data, NULL, 0);
        meta_depend_on(ctx, id, "pg_class", t->oid);
        free(ref);
    }
    result_free(r);
    return NULL;
}

static const char *policy_command(char cmd)
{
    switch (cmd) {
    case 'r':
        return "SELECT";
    case 'a':
        return "INSERT";
    case 'w':
        return "UPDATE";
    case 'd':
        return "DELETE";
    default:
        return NULL; /* '*': ALL, the default */
    }
}

static Error *dump_policies(MetaContext *ctx)
{
    /* Row level security arrived in 9.5 (Greenplum 6 is 9.4). */
    if (ctx->tables->nall == 0 || conn_server_version(ctx->conn) < 90500)
        return NULL;
    char *oids = catalog_oid_array(ctx->tables);
    StrBuf sb;
    sb_init(&sb);
    Error *e = dump_row_security(ctx, oids, &sb);
    const char *params[1] = {oids};
    Result *r = NULL;
    /* AS RESTRICTIVE arrived in 10. */
    char *sql = xasprintf(
        "SELECT p.oid, p.polrelid, p.polname, p.polcmd, %s AS polpermissive, "
        "       pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS qual, "
        "       pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS withcheck, "
        "       pg_catalog.obj_description(p.oid, 'pg_policy') AS comment, "
        "       pg_catalog.pg_get_userbyid(u.roleid) AS role "
        "FROM pg_catalog.pg_policy p "
        "LEFT JOIN LATERAL pg_catalog.unnest(p.polroles) WITH ORDINALITY "
        "     AS u(roleid, ord) ON u.roleid <> 0 "
        "WHERE p.polrelid = ANY($1::pg_catalog.oid[]) "
        "ORDER BY p.oid, u.ord",
        conn_server_version(ctx->conn) >= 100000 ? "p.polpermissive" : "true");
    if (!e)
        e = conn_query_params(ctx->conn, sql, 1, params, &r);
    free(sql);
    free(oids);
    if (e) {
        sb_free(&sb);
        return e;
    }
    int rows = result_rows(r);
    for (int i = 0; i < rows;) {
        const char *oid = result_str(r, i, "oid");
        int j = i + 1;
        while (j < rows && strcmp(result_str(r, j, "oid"), oid) == 0)
            j++;
        const TableInfo *t = meta_table(ctx, row_oid(r, i, "polrelid"));
        if (!t) {
            i = j;
            continue;
        }
        const char *name = result_str(r, i, "polname");
        char *qname = conn_quote_ident(ctx->conn, name);
        sb_reset(&sb);
        sb_printf(&sb, "CREATE POLICY %s ON %s", qname, t->qualified);
        if (!result_bool(r, i, "polpermissive"))
            sb_append(&sb, " AS RESTRICTIVE");
        const char *cmd = policy_command(result_str(r, i, "polcmd")[0]);
        if (cmd)
            sb_printf(&sb, " FOR %s", cmd);
        /* No role rows: the policy applies to PUBLIC, the default. */
        for (int k = i, nroles = 0; k < j; k++) {
            if (result_isnull(r, k, "role"))
                continue;
            char *role = conn_quote_ident(ctx->conn, result_str(r, k, "role"));
            sb_printf(&sb, "%s%s", nroles++ ? ", " : " TO ", role);
            free(role);
        }
        if (!result_isnull(r, i, "qual"))
            sb_printf(&sb, " USING (%s)", result_str(r, i, "qual"));
        if (!result_isnull(r, i, "withcheck"))
            sb_printf(&sb, " WITH CHECK (%s)", result_str(r, i, "withcheck"));
        sb_append(&sb, ";\n");
        char *what = xasprintf("POLICY %s ON %s", qname, t->qualified);
        meta_append_comment(ctx, &sb, what, row_comment(r, i));
        free(what);
        char *ref = filter_format_table_name(t->schema, t->name);
        meta_emit_obj(ctx, TOC_POSTDATA, t->schema, name, "POLICY", ref, sb.data, "pg_policy",
                      (uint32_t)strtoul(oid, NULL, 10));
        free(ref);
        free(qname);
        i = j;
    }
    sb_free(&sb);
    result_free(r);
    return NULL;
}

const MetaType meta_policies = {"policies", dump_policies};
