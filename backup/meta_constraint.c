/* Table constraints built after the data: primary keys, unique and
 * exclusion constraints, NOT VALID checks, then foreign keys (which need the
 * referenced keys). Foreign keys a partition inherits from its parent are
 * recreated by the parent's and are skipped. */
#include <stdlib.h>
#include <string.h>

#include "metadata.h"

static Error *dump_constraints(MetaContext *ctx)
{
    /* The whole set: foreign tables have constraints too. */
    if (ctx->tables->nall == 0)
        return NULL;
    char *oids = catalog_oid_array(ctx->tables);
    const char *params[1] = {oids};
    Result *r;
    Error *e = conn_query_params(
        ctx->conn,
        "SELECT c.oid, c.conrelid, c.conname, c.contype, c.conparentid, c.convalidated, "
        "       pg_catalog.pg_get_constraintdef(c.oid) AS def, "
        "       pg_catalog.obj_description(c.oid, 'pg_constraint') AS comment "
        "FROM pg_catalog.pg_constraint c "
        "WHERE c.conrelid = ANY($1::pg_catalog.oid[]) "
        "  AND (c.contype IN ('p', 'u', 'x', 'f') OR (c.contype = 'c' AND NOT c.convalidated "
        "       AND c.conislocal)) "
        "ORDER BY c.contype = 'f', c.conrelid, c.conname",
        1, params, &r);
    free(oids);
    if (e)
        return e;
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < result_rows(r); i++) {
        const TableInfo *t =
            meta_table(ctx, (uint32_t)strtoul(result_str(r, i, "conrelid"), NULL, 10));
        char type = result_str(r, i, "contype")[0];
        bool inherited = strcmp(result_str(r, i, "conparentid"), "0") != 0;
        if (!t || (type == 'f' && inherited))
            continue;
        const char *name = result_str(r, i, "conname");
        char *cn = conn_quote_ident(ctx->conn, name);
        sb_reset(&sb);
        /* A foreign key on a partitioned table cannot be added with ONLY;
         * nor can a CHECK constraint on a table with children or partitions,
         * which take it too (as inherited, not local, constraints: they
         * have no entry of their own). */
        sb_printf(&sb, "ALTER TABLE %s%s ADD CONSTRAINT %s %s;\n",
                  (type == 'f' && t->relkind == 'p') || type == 'c' ? "" : "ONLY ", t->qualified,
                  cn, result_str(r, i, "def"));
        if (!result_isnull(r, i, "comment")) {
            char *what = xasprintf("CONSTRAINT %s ON %s", cn, t->qualified);
            meta_append_comment(ctx, &sb, what, result_str(r, i, "comment"));
            free(what);
        }
        char *ref = filter_format_table_name(t->schema, t->name);
        meta_emit_obj(ctx, TOC_POSTDATA, t->schema, name,
                      type == 'f' ? "FK CONSTRAINT" : "CONSTRAINT", ref, sb.data, "pg_constraint",
                      (uint32_t)strtoul(result_str(r, i, "oid"), NULL, 10));
        free(ref);
        free(cn);
    }
    sb_free(&sb);
    result_free(r);
    return NULL;
}

const MetaType meta_constraints = {"constraints", dump_constraints};
