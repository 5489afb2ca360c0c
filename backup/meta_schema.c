/* Schemas: CREATE SCHEMA with owner and comment. The public schema exists
 * in every new database, so only its comment is carried over. */
#include <stdlib.h>
#include <string.h>

#include "metadata.h"

static Error *dump_schemas(MetaContext *ctx)
{
    Result *r;
    Error *e = conn_query(
        ctx->conn,
        "SELECT n.oid, n.nspname, pg_catalog.pg_get_userbyid(n.nspowner) AS owner, "
        "       pg_catalog.obj_description(n.oid, 'pg_namespace') AS comment "
        "FROM pg_catalog.pg_namespace n "
        "WHERE " CATALOG_USER_SCHEMA("n.nspname")
        " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
        "   WHERE d.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass "
        "   AND d.objid = n.oid AND d.deptype = 'e') "
        "ORDER BY n.nspname",
        &r);
    if (e)
        return e;
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < result_rows(r); i++) {
        const char *name = result_str(r, i, "nspname");
        if (!meta_keep_schema(ctx, name))
            continue;
        const char *comment = result_isnull(r, i, "comment") ? NULL : result_str(r, i, "comment");
        char *q = conn_quote_ident(ctx->conn, name);
        char *what = xasprintf("SCHEMA %s", q);
        sb_reset(&sb);
        if (strcmp(name, "public") == 0) {
            if (comment && strcmp(comment, "standard public schema") == 0) {
                free(q);
                free(what);
                continue;
            }
            if (comment)
                meta_append_comment(ctx, &sb, what, comment);
            else
                sb_append(&sb, "COMMENT ON SCHEMA public IS NULL;\n");
        } else {
            sb_printf(&sb, "CREATE SCHEMA %s;\n", q);
            meta_append_owner(ctx, &sb, "SCHEMA", q, result_str(r, i, "owner"));
            meta_append_comment(ctx, &sb, what, comment);
        }
        meta_emit_obj(ctx, TOC_PREDATA, name, name, "SCHEMA", "", sb.data, "pg_namespace",
                      (uint32_t)strtoul(result_str(r, i, "oid"), NULL, 10));
        free(q);
        free(what);
    }
    sb_free(&sb);
    result_free(r);
    return NULL;
}

const MetaType meta_schemas = {"schemas", dump_schemas};
