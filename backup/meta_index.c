/* Indexes that no constraint owns (those come with their constraint), with
 * comments; an index of a partition is attached to its parent's index once
 * both exist ("INDEX ATTACH", run after every index is built). */
#include <stdlib.h>
#include <string.h>

#include "metadata.h"

static Error *dump_indexes(MetaContext *ctx)
{
    /* The whole set: materialized views have indexes too. */
    if (ctx->tables->nall == 0)
        return NULL;
    char *oids = catalog_oid_array(ctx->tables);
    const char *params[1] = {oids};
    Result *r;
    Error *e = conn_query_params(
        ctx->conn,
        "SELECT i.indrelid, i.indexrelid, h.inhparent, ic.relname, n.nspname, "
        "       pg_catalog.pg_get_indexdef(i.indexrelid) AS def, "
        "       pg_catalog.obj_description(i.indexrelid, 'pg_class') AS comment, "
        "       EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c "
        "               WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x') "
        "               AND c.conrelid = i.indrelid) AS constraint_index, "
        "       pn.nspname AS parent_schema, pc.relname AS parent_name "
        "FROM pg_catalog.pg_index i "
        "JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace "
        "LEFT JOIN pg_catalog.pg_inherits h ON h.inhrelid = i.indexrelid "
        "LEFT JOIN pg_catalog.pg_class pc ON pc.oid = h.inhparent "
        "LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace "
        "WHERE i.indrelid = ANY($1::pg_catalog.oid[]) "
        "ORDER BY i.indrelid, ic.relname",
        1, params, &r);
    free(oids);
    if (e)
        return e;
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < result_rows(r); i++) {
        const TableInfo *t =
            meta_table(ctx, (uint32_t)strtoul(result_str(r, i, "indrelid"), NULL, 10));
        if (!t)
            continue;
        const char *schema = result_str(r, i, "nspname");
        const char *name = result_str(r, i, "relname");
        char *q = conn_quote_qualified(ctx->conn, schema, name);
        char *ref = filter_format_table_name(t->schema, t->name);
        if (!result_bool(r, i, "constraint_index")) {
            sb_reset(&sb);
            sb_printf(&sb, "%s;\n", result_str(r, i, "def"));
            char *what = xasprintf("INDEX %s", q);
            meta_append_comment(ctx, &sb, what,
                                result_isnull(r, i, "comment") ? NULL : result_str(r, i, "comment"));
            free(what);
            meta_emit_obj(ctx, TOC_POSTDATA, schema, name, "INDEX", ref, sb.data, "pg_class",
                          (uint32_t)strtoul(result_str(r, i, "indexrelid"), NULL, 10));
        }
        if (!result_isnull(r, i, "parent_name")) {
            char *parent = conn_quote_qualified(ctx->conn, result_str(r, i, "parent_schema"),
                                                result_str(r, i, "parent_name"));
            sb_reset(&sb);
            sb_printf(&sb, "ALTER INDEX %s ATTACH PARTITION %s;\n", parent, q);
            uint32_t id = meta_emit_obj(ctx, TOC_POSTDATA, schema, name, "INDEX ATTACH", ref,
                                        sb.data, NULL, 0);
            /* Both indexes (or the constraints that own them) first. */
            meta_depend_on(ctx, id, "pg_class",
                           (uint32_t)strtoul(result_str(r, i, "indexrelid"), NULL, 10));
            meta_depend_on(ctx, id, "pg_class",
                           (uint32_t)strtoul(result_str(r, i, "inhparent"), NULL, 10));
            free(parent);
        }
        free(ref);
        free(q);
    }
    sb_free(&sb);
    result_free(r);
    return NULL;
}

const MetaType meta_indexes = {"indexes", dump_indexes};
