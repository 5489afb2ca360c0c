/* Extended statistics objects (CREATE STATISTICS, from
 * pg_get_statisticsobjdef), with their statistics target, owner and
 * comment. Post-data, as in pg_dump. Only the definitions: the statistics
 * themselves are for ANALYZE (or --with-stats) to fill in. */
#include <stdlib.h>
#include <string.h>

#include "metadata.h"

static Error *dump_statistics_ext(MetaContext *ctx)
{
    int version = conn_server_version(ctx->conn);
    if (version < 100000)
        return NULL;
    /* The target is settable since 13; since 17 the default is NULL. */
    char *sql = xasprintf(
        "SELECT s.oid, s.stxrelid, n.nspname, s.stxname, "
        "       pg_catalog.pg_get_userbyid(s.stxowner) AS owner, "
        "       pg_catalog.pg_get_statisticsobjdef(s.oid) AS def, %s AS target, "
        "       pg_catalog.obj_description(s.oid, 'pg_statistic_ext') AS comment, "
        "       c.relkind, cn.nspname AS rel_schema, c.relname "
        "FROM pg_catalog.pg_statistic_ext s "
        "JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace "
        "JOIN pg_catalog.pg_class c ON c.oid = s.stxrelid "
        "JOIN pg_catalog.pg_namespace cn ON cn.oid = c.relnamespace "
        "WHERE " CATALOG_USER_SCHEMA("n.nspname")
        "  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
        "   WHERE d.classid = 'pg_catalog.pg_statistic_ext'::pg_catalog.regclass "
        "   AND d.objid = s.oid AND d.deptype = 'e') "
        "  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
        "   WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "
        "   AND d.objid = c.oid AND d.deptype = 'e') "
        "ORDER BY s.oid",
        version >= 130000 ? "NULLIF(s.stxstattarget, -1)" : "NULL::pg_catalog.int4");
    Result *r;
    Error *e = conn_query(ctx->conn, sql, &r);
    free(sql);
    if (e)
        return e;
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < result_rows(r); i++) {
        const char *schema = result_str(r, i, "nspname");
        const char *name = result_str(r, i, "stxname");
        const char *rel_schema = result_str(r, i, "rel_schema");
        const char *rel_name = result_str(r, i, "relname");
        if (!meta_keep_schema(ctx, schema) ||
            !meta_keep_relation(ctx, (uint32_t)strtoul(result_str(r, i, "stxrelid"), NULL, 10),
                                result_str(r, i, "relkind")[0], rel_schema, rel_name))
            continue;
        char *q = conn_quote_qualified(ctx->conn, schema, name);
        sb_reset(&sb);
        sb_printf(&sb, "%s;\n", result_str(r, i, "def"));
        if (!result_isnull(r, i, "target"))
            sb_printf(&sb, "ALTER STATISTICS %s SET STATISTICS %s;\n", q,
                      result_str(r, i, "target"));
        meta_append_owner(ctx, &sb, "STATISTICS", q, result_str(r, i, "owner"));
        char *what = xasprintf("STATISTICS %s", q);
        meta_append_comment(ctx, &sb, what,
                            result_isnull(r, i, "comment") ? NULL : result_str(r, i, "comment"));
        free(what);
        char *ref = filter_format_table_name(rel_schema, rel_name);
        meta_emit_obj(ctx, TOC_POSTDATA, schema, name, "STATISTICS", ref, sb.data,
                      "pg_statistic_ext", (uint32_t)strtoul(result_str(r, i, "oid"), NULL, 10));
        free(ref);
        free(q);
    }
    sb_free(&sb);
    result_free(r);
    return NULL;
}

const MetaType meta_statistics_ext = {"statistics ext", dump_statistics_ext};
