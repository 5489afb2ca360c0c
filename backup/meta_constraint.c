/* Table constraints built after the data: primary keys, unique and
 * exclusion constraints, NOT VALID checks, then foreign keys (which need the
 * referenced keys). Foreign keys a partition inherits from its parent are
 * recreated by the parent's and are skipped. The index of a primary key,
 * unique or exclusion constraint keeps its storage parameters, tablespace
 * and statistics targets. */
#include <stdlib.h>
#include <string.h>

#include "metadata.h"

/* def with clause inserted before tail, the text def must end with; NULL
 * when it does not. */
static char *insert_before(const char *def, const char *tail, const char *clause)
{
    size_t len = strlen(def), n = strlen(tail);
    if (len < n || strcmp(def + len - n, tail) != 0)
        return NULL;
    return xasprintf("%.*s%s%s", (int)(len - n), def, clause, tail);
}

/* pg_get_constraintdef leaves out two clauses of a key or exclusion
 * constraint: WITH (...) the index's storage parameters, for PRIMARY KEY and
 * UNIQUE (an exclusion constraint has them, from pg_get_indexdef), and USING
 * INDEX TABLESPACE. Both go after the columns and INCLUDE, before the WHERE
 * of an exclusion constraint, which the server writes as " WHERE (pred)",
 * and before DEFERRABLE and INITIALLY DEFERRED, written last. Returns the
 * definition with them, or NULL when it has no such clause to take or does
 * not end as expected; then the ALTER INDEX statements that set what is
 * missing are appended to after. A partitioned index (no storage) is always
 * moved with ALTER INDEX: USING INDEX TABLESPACE naming the database's
 * default tablespace is an error for it. */
static char *index_clauses(MetaContext *ctx, const Result *r, int i, char type, StrBuf *after)
{
    if (result_isnull(r, i, "index_name"))
        return NULL;
    const char *options = type != 'x' && !result_isnull(r, i, "index_options")
                              ? result_str(r, i, "index_options")
                              : NULL;
    char *ts = result_isnull(r, i, "index_tablespace")
                   ? NULL
                   : conn_quote_ident(ctx->conn, result_str(r, i, "index_tablespace"));
    bool partitioned = result_str(r, i, "index_kind")[0] != 'i';
    StrBuf clause, tail;
    sb_init(&clause);
    sb_init(&tail);
    if (options)
        sb_printf(&clause, " WITH (%s)", options);
    if (ts && !partitioned)
        sb_printf(&clause, " USING INDEX TABLESPACE %s", ts);
    if (type == 'x' && !result_isnull(r, i, "index_pred"))
        sb_printf(&tail, " WHERE (%s)", result_str(r, i, "index_pred"));
    if (result_bool(r, i, "condeferrable"))
        sb_append(&tail, " DEFERRABLE");
    if (result_bool(r, i, "condeferred"))
        sb_append(&tail, " INITIALLY DEFERRED");
    char *def = clause.len ? insert_before(result_str(r, i, "def"), tail.data, clause.data) : NULL;
    if ((ts && (partitioned || !def)) || (options && !def)) {
        char *iq = conn_quote_qualified(ctx->conn, result_str(r, i, "index_schema"),
                                        result_str(r, i, "index_name"));
        if (options && !def)
            sb_printf(after, "ALTER INDEX %s SET (%s);\n", iq, options);
        if (ts && (partitioned || !def))
            sb_printf(after, "ALTER INDEX %s SET TABLESPACE %s;\n", iq, ts);
        free(iq);
    }
    sb_free(&clause);
    sb_free(&tail);
    free(ts);
    return def;
}

static Error *dump_constraints(MetaContext *ctx)
{
    /* The whole set: foreign tables have constraints too. */
    if (ctx->tables->nall == 0)
        return NULL;
    char *oids = catalog_oid_array(ctx->tables);
    const char *params[1] = {oids};
    Result *r;
    /* conparentid came with PostgreSQL 11. Before (Greenplum 6), the key
     * constraints of legacy partitions are inherited (not local) ones that
     * their root's constraint makes: "1" marks them. */
    bool v11 = conn_server_version(ctx->conn) >= 110000;
    char *sql = xasprintf(
        "SELECT c.oid, c.conrelid, c.conname, c.contype, %s AS conparentid, c.convalidated, "
        "       pg_catalog.pg_get_constraintdef(c.oid) AS def, "
        "       ds.description AS comment, "
        "       c.condeferrable, c.condeferred, c.conindid, ic.relkind AS index_kind, "
        "       icn.nspname AS index_schema, ic.relname AS index_name, "
        "       CASE WHEN ic.reltablespace <> 0 THEN ts.spcname END AS index_tablespace, "
        /* The subquery only where there are options: run for every row it
         * cost more than the rest of the query. */
        "       CASE WHEN ic.reloptions IS NOT NULL THEN "
        "       (SELECT pg_catalog.string_agg(o.option_name || '=' || "
        "               pg_catalog.quote_literal(o.option_value), ', ' ORDER BY o.n) "
        "        FROM pg_catalog.pg_options_to_table(ic.reloptions) "
        "             WITH ORDINALITY AS o(option_name, option_value, n)) END AS index_options, "
        "       pg_catalog.pg_get_expr(i.indpred, i.indrelid) AS index_pred "
        "FROM pg_catalog.pg_constraint c "
        /* conindid of a foreign key is the referenced key's index. */
        "LEFT JOIN pg_catalog.pg_class ic ON ic.oid = c.conindid AND c.contype IN ('p', 'u', 'x') "
        "LEFT JOIN pg_catalog.pg_namespace icn ON icn.oid = ic.relnamespace "
        "LEFT JOIN pg_catalog.pg_tablespace ts ON ts.oid = ic.reltablespace "
        "LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = ic.oid "
        "LEFT JOIN pg_catalog.pg_description ds ON ds.objoid = c.oid "
        "     AND ds.classoid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND ds.objsubid = 0 "
        "WHERE c.conrelid = ANY($1::pg_catalog.oid[]) "
        "  AND (c.contype IN ('p', 'u', 'x', 'f') OR (c.contype = 'c' AND NOT c.convalidated "
        "       AND c.conislocal)) "
        "ORDER BY c.contype = 'f', c.conrelid, c.conname",
        v11 ? "c.conparentid" : "CASE WHEN c.conislocal THEN 0 ELSE 1 END");
    Error *e = conn_query_params(ctx->conn, sql, 1, params, &r);
    free(sql);
    /* Statistics targets set on the columns of these indexes (expression
     * columns of exclusion constraints only): -1 (NULL from PostgreSQL 17
     * on) is the default. */
    Result *stats = NULL;
    if (!e)
        e = conn_query_params(ctx->conn,
                              "SELECT a.attrelid, a.attnum, a.attstattarget "
                              "FROM pg_catalog.pg_constraint c "
                              "JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conindid "
                              "WHERE c.conrelid = ANY($1::pg_catalog.oid[]) "
                              "  AND c.contype IN ('p', 'u', 'x') AND a.attstattarget >= 0 AND a.attnum > 0 "
                              "ORDER BY a.attrelid, a.attnum",
                              1, params, &stats);
    free(oids);
    if (e) {
        result_free(r);
        return e;
    }
    RowIndex stats_ix;
    meta_row_index(&stats_ix, stats, "attrelid");
    StrBuf sb, after;
    sb_init(&after);
    sb_init(&sb);
    for (int i = 0; i < result_rows(r); i++) {
        const TableInfo *t =
            meta_table(ctx, (uint32_t)strtoul(result_str(r, i, "conrelid"), NULL, 10));
        char type = result_str(r, i, "contype")[0];
        bool inherited = strcmp(result_str(r, i, "conparentid"), "0") != 0;
        if (!t || (type == 'f' && inherited) || (!v11 && inherited))
            continue;
        const char *name = result_str(r, i, "conname");
        char *cn = conn_quote_ident(ctx->conn, name);
        sb_reset(&sb);
        sb_reset(&after);
        char *def = NULL;
        if (type == 'p' || type == 'u' || type == 'x')
            def = index_clauses(ctx, r, i, type, &after);
        /* A foreign key on a partitioned table cannot be added with ONLY;
         * nor can a CHECK constraint on a table with children or partitions,
         * which take it too (as inherited, not local, constraints: they
         * have no entry of their own). */
        /* (On Greenplum 6 a key constraint on a partitioned table must
         * recurse to make its partitions' own: no ONLY before 11.) */
        sb_printf(&sb, "ALTER TABLE %s%s ADD CONSTRAINT %s %s;\n",
                  (type == 'f' && t->relkind == 'p') || type == 'c' || (!v11 && type != 'f')
                      ? ""
                      : "ONLY ",
                  t->qualified,
                  cn, def ? def : result_str(r, i, "def"));
        sb_append(&sb, after.data);
        free(def);
        if (type == 'p' || type == 'u' || type == 'x') {
            char *iq = conn_quote_qualified(ctx->conn, result_str(r, i, "index_schema"),
                                            result_str(r, i, "index_name"));
            int count, first = meta_row_find(
                &stats_ix, (uint32_t)strtoul(result_str(r, i, "conindid"), NULL, 10), &count);
            for (int j = first; j >= 0 && j < first + count; j++)
                sb_printf(&sb, "ALTER INDEX %s ALTER COLUMN %s SET STATISTICS %s;\n", iq,
                          result_str(stats, j, "attnum"), result_str(stats, j, "attstattarget"));
            free(iq);
        }
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
    sb_free(&after);
    meta_row_index_free(&stats_ix);
    result_free(stats);
    result_free(r);
    return NULL;
}

const MetaType meta_constraints = {"constraints", dump_constraints};
