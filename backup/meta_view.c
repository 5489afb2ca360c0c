/* Views, in creation order so that a view is created after the views it
 * reads (a later issue replaces this with pg_depend order). */
#include <stdlib.h>
#include <string.h>

#include "metadata.h"

static Error *dump_views(MetaContext *ctx)
{
    Result *r, *cols = NULL;
    Error *e = conn_query(
        ctx->conn,
        "SELECT c.oid, n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner) AS owner, "
        "       pg_catalog.array_to_string(c.reloptions, ', ') AS reloptions, "
        "       pg_catalog.pg_get_viewdef(c.oid) AS def, "
        "       pg_catalog.obj_description(c.oid, 'pg_class') AS comment "
        "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind = 'v' AND " CATALOG_USER_SCHEMA("n.nspname")
        " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
        "   WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "
        "   AND d.objid = c.oid AND d.deptype = 'e') "
        "ORDER BY c.oid",
        &r);
    if (e)
        return e;
    e = conn_query(ctx->conn,
                   "SELECT a.attrelid, a.attname, "
                   "       pg_catalog.col_description(a.attrelid, a.attnum) AS comment "
                   "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
                   "WHERE c.relkind = 'v' AND a.attnum > 0 "
                   "  AND pg_catalog.col_description(a.attrelid, a.attnum) IS NOT NULL "
                   "ORDER BY a.attrelid, a.attnum",
                   &cols);
    if (e) {
        result_free(r);
        return e;
    }
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < result_rows(r); i++) {
        const char *schema = result_str(r, i, "nspname");
        const char *name = result_str(r, i, "relname");
        if (!filter_keeps_table(ctx->filter, schema, name))
            continue;
        char *q = conn_quote_qualified(ctx->conn, schema, name);
        sb_reset(&sb);
        sb_printf(&sb, "CREATE VIEW %s", q);
        const char *opts = result_str(r, i, "reloptions");
        if (*opts)
            sb_printf(&sb, " WITH (%s)", opts);
        /* pg_get_viewdef ends with a semicolon. */
        sb_printf(&sb, " AS\n%s\n", result_str(r, i, "def"));
        meta_append_owner(ctx, &sb, "VIEW", q, result_str(r, i, "owner"));
        char *what = xasprintf("VIEW %s", q);
        meta_append_comment(ctx, &sb, what,
                            result_isnull(r, i, "comment") ? NULL : result_str(r, i, "comment"));
        free(what);
        const char *oid = result_str(r, i, "oid");
        for (int j = 0; j < result_rows(cols); j++) {
            if (strcmp(result_str(cols, j, "attrelid"), oid) != 0)
                continue;
            char *cn = conn_quote_ident(ctx->conn, result_str(cols, j, "attname"));
            char *cwhat = xasprintf("COLUMN %s.%s", q, cn);
            meta_append_comment(ctx, &sb, cwhat, result_str(cols, j, "comment"));
            free(cwhat);
            free(cn);
        }
        meta_emit_obj(ctx, TOC_PREDATA, schema, name, "VIEW", "", sb.data, "pg_class",
                      (uint32_t)strtoul(oid, NULL, 10));
        free(q);
    }
    sb_free(&sb);
    result_free(cols);
    result_free(r);
    return NULL;
}

const MetaType meta_views = {"views", dump_views};
