/* Indexes that no constraint owns (those come with their constraint), with
 * tablespace, statistics targets and comments; an index of a partition is
 * attached to its parent's index once both exist ("INDEX ATTACH", run after
 * every index is built). */
#include <stdlib.h>
#include <string.h>

#include "metadata.h"

/* def (pg_get_indexdef) with " TABLESPACE ts" where the grammar wants it:
 * after WITH (...), before WHERE, which pg_get_indexdef writes last as
 * " WHERE " and the predicate (deparsed as pg_get_expr does). NULL when def
 * does not end that way: the caller moves the index afterwards instead. */
static char *with_tablespace(const char *def, const char *pred, const char *ts)
{
    size_t len = strlen(def), tail = 0;
    if (pred) {
        tail = strlen(" WHERE ") + strlen(pred);
        if (len < tail || strncmp(def + len - tail, " WHERE ", 7) != 0 ||
            strcmp(def + len - tail + 7, pred) != 0)
            return NULL;
    }
    return xasprintf("%.*s TABLESPACE %s%s", (int)(len - tail), def, ts, def + len - tail);
}

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
        /* The definition only of the indexes written here: deparsing
         * costs more than the rest of the row, and with a primary key per
         * table most indexes are a constraint's. */
        "SELECT i.indrelid, i.indexrelid, h.inhparent, ic.relname, n.nspname, "
        "       CASE WHEN NOT x.constraint_index "
        "            THEN pg_catalog.pg_get_indexdef(i.indexrelid) END AS def, "
        "       ds.description AS comment, x.constraint_index, "
        "       pn.nspname AS parent_schema, pc.relname AS parent_name, ic.relkind, "
        "       CASE WHEN ic.reltablespace <> 0 THEN ts.spcname END AS tablespace, "
        "       CASE WHEN NOT x.constraint_index "
        "            THEN pg_catalog.pg_get_expr(i.indpred, i.indrelid) END AS pred "
        "FROM pg_catalog.pg_index i "
        "CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c "
        "       WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x') "
        "       AND c.conrelid = i.indrelid) AS constraint_index) x "
        "JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace "
        "LEFT JOIN pg_catalog.pg_tablespace ts ON ts.oid = ic.reltablespace "
        "LEFT JOIN pg_catalog.pg_inherits h ON h.inhrelid = i.indexrelid "
        "LEFT JOIN pg_catalog.pg_class pc ON pc.oid = h.inhparent "
        "LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace "
        "LEFT JOIN pg_catalog.pg_description ds ON ds.objoid = i.indexrelid "
        "     AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND ds.objsubid = 0 "
        "WHERE i.indrelid = ANY($1::pg_catalog.oid[]) "
        "ORDER BY i.indrelid, ic.relname",
        1, params, &r);
    /* Statistics targets set on index columns (expression columns only):
     * -1 (NULL from PostgreSQL 17 on) is the default. */
    Result *stats = NULL;
    if (!e)
        e = conn_query_params(ctx->conn,
                              "SELECT a.attrelid, a.attnum, a.attstattarget "
                              "FROM pg_catalog.pg_index i "
                              "JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indexrelid "
                              "WHERE i.indrelid = ANY($1::pg_catalog.oid[]) "
                              "  AND a.attstattarget >= 0 AND a.attnum > 0 "
                              "ORDER BY a.attrelid, a.attnum",
                              1, params, &stats);
    free(oids);
    if (e) {
        result_free(r);
        return e;
    }
    RowIndex stats_ix;
    meta_row_index(&stats_ix, stats, "attrelid");
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < result_rows(r); i++) {
        const TableInfo *t =
            meta_table(ctx, (uint32_t)strtoul(result_str(r, i, "indrelid"), NULL, 10));
        if (!t)
            continue;
        /* Greenplum 6 (before PostgreSQL 11 there is no ATTACH PARTITION):
         * a partition's index is made by its root's CREATE INDEX or key
         * constraint, which recurses. */
        if (!result_isnull(r, i, "parent_name") && conn_server_version(ctx->conn) < 110000)
            continue;
        const char *schema = result_str(r, i, "nspname");
        const char *name = result_str(r, i, "relname");
        char *q = conn_quote_qualified(ctx->conn, schema, name);
        char *ref = filter_format_table_name(t->schema, t->name);
        uint32_t indexrelid = (uint32_t)strtoul(result_str(r, i, "indexrelid"), NULL, 10);
        if (!result_bool(r, i, "constraint_index")) {
            sb_reset(&sb);
            /* pg_get_indexdef leaves the tablespace out. A partitioned
             * index (no storage) is moved afterwards: TABLESPACE naming the
             * database's default is an error for it, ALTER INDEX is not. */
            char *ts = result_isnull(r, i, "tablespace")
                           ? NULL
                           : conn_quote_ident(ctx->conn, result_str(r, i, "tablespace"));
            char *def = ts && result_str(r, i, "relkind")[0] == 'i'
                            ? with_tablespace(result_str(r, i, "def"),
                                              result_isnull(r, i, "pred")
                                                  ? NULL
                                                  : result_str(r, i, "pred"),
                                              ts)
                            : NULL;
            sb_printf(&sb, "%s;\n", def ? def : result_str(r, i, "def"));
            if (ts && !def)
                sb_printf(&sb, "ALTER INDEX %s SET TABLESPACE %s;\n", q, ts);
            free(def);
            free(ts);
            int count, first = meta_row_find(&stats_ix, indexrelid, &count);
            for (int j = first; j >= 0 && j < first + count; j++)
                sb_printf(&sb, "ALTER INDEX %s ALTER COLUMN %s SET STATISTICS %s;\n", q,
                          result_str(stats, j, "attnum"), result_str(stats, j, "attstattarget"));
            char *what = xasprintf("INDEX %s", q);
            meta_append_comment(ctx, &sb, what,
                                result_isnull(r, i, "comment") ? NULL : result_str(r, i, "comment"));
            free(what);
            meta_emit_obj(ctx, TOC_POSTDATA, schema, name, "INDEX", ref, sb.data, "pg_class",
                          indexrelid);
        }
        if (!result_isnull(r, i, "parent_name")) {
            char *parent = conn_quote_qualified(ctx->conn, result_str(r, i, "parent_schema"),
                                                result_str(r, i, "parent_name"));
            sb_reset(&sb);
            sb_printf(&sb, "ALTER INDEX %s ATTACH PARTITION %s;\n", parent, q);
            uint32_t id = meta_emit_obj(ctx, TOC_POSTDATA, schema, name, "INDEX ATTACH", ref,
                                        sb.data, NULL, 0);
            /* Both indexes (or the constraints that own them) first. */
            meta_depend_on(ctx, id, "pg_class", indexrelid);
            meta_depend_on(ctx, id, "pg_class",
                           (uint32_t)strtoul(result_str(r, i, "inhparent"), NULL, 10));
            free(parent);
        }
        free(ref);
        free(q);
    }
    sb_free(&sb);
    meta_row_index_free(&stats_ix);
    result_free(stats);
    result_free(r);
    return NULL;
}

const MetaType meta_indexes = {"indexes", dump_indexes};
