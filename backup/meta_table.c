/* Tables: CREATE TABLE with columns, types, collations, defaults, NOT NULL,
 * identity (with its sequence's name and parameters) and generated columns,
 * validated CHECK constraints, UNLOGGED, storage parameters, partitioning;
 * then owner and comments. Partitions are created with PARTITION OF, so
 * that they inherit their parent's columns and constraints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metadata.h"

typedef struct TableExtras {
    Result *checks;    /* conrelid, conname, def, comment */
    Result *identity;  /* attrelid, attname, sequence parameters */
    Result *parts;     /* oid, partkey, parent_schema, parent_name, bound */
    RowIndex checks_ix, identity_ix, parts_ix;
} TableExtras;

static Error *load_extras(MetaContext *ctx, TableExtras *x)
{
    char *oids = catalog_oid_array(ctx->tables);
    const char *params[1] = {oids};
    Error *e = conn_query_params(
        ctx->conn,
        "SELECT c.conrelid, c.conname, pg_catalog.pg_get_constraintdef(c.oid) AS def, "
        "       pg_catalog.obj_description(c.oid, 'pg_constraint') AS comment "
        "FROM pg_catalog.pg_constraint c "
        "WHERE c.contype = 'c' AND c.conislocal AND c.convalidated "
        "  AND c.conrelid = ANY($1::pg_catalog.oid[]) "
        "ORDER BY c.conrelid, c.conname",
        1, params, &x->checks);
    if (!e)
        e = conn_query_params(
            ctx->conn,
            "SELECT d.refobjid AS attrelid, a.attname, n.nspname, c.relname, "
            "       s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle, "
            "       pg_catalog.format_type(s.seqtypid, NULL) AS type "
            "FROM pg_catalog.pg_depend d "
            "JOIN pg_catalog.pg_class c ON c.oid = d.objid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid "
            "JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
            "WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "
            "  AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass "
            "  AND d.deptype = 'i' AND d.refobjid = ANY($1::pg_catalog.oid[]) "
            "ORDER BY d.refobjid",
            1, params, &x->identity);
    if (!e)
        e = conn_query_params(
            ctx->conn,
            "SELECT c.oid, "
            "       CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partkey, "
            "       pn.nspname AS parent_schema, p.relname AS parent_name, "
            "       CASE WHEN c.relispartition "
            "            THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS bound "
            "FROM pg_catalog.pg_class c "
            "LEFT JOIN pg_catalog.pg_inherits i ON i.inhrelid = c.oid AND c.relispartition "
            "LEFT JOIN pg_catalog.pg_class p ON p.oid = i.inhparent "
            "LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace "
            "WHERE c.oid = ANY($1::pg_catalog.oid[]) AND (c.relkind = 'p' OR c.relispartition) "
            "ORDER BY c.oid",
            1, params, &x->parts);
    free(oids);
    if (e)
        return e;
    meta_row_index(&x->checks_ix, x->checks, "conrelid");
    meta_row_index(&x->identity_ix, x->identity, "attrelid");
    meta_row_index(&x->parts_ix, x->parts, "oid");
    return NULL;
}

static void append_identity(MetaContext *ctx, StrBuf *sb, const TableInfo *t, const Column *col,
                            const Result *ident, const RowIndex *ix)
{
    /* The sequence's type is the column's: naming it again is an error. */
    sb_printf(sb, " GENERATED %s AS IDENTITY", col->identity == 'a' ? "ALWAYS" : "BY DEFAULT");
    int n;
    int first = meta_row_find(ix, t->oid, &n);
    for (int i = first; i >= 0 && i < first + n; i++) {
        if (strcmp(result_str(ident, i, "attname"), col->name) != 0)
            continue;
        char *seq = conn_quote_qualified(ctx->conn, result_str(ident, i, "nspname"),
                                         result_str(ident, i, "relname"));
        sb_printf(sb,
                  " (\n        SEQUENCE NAME %s\n        START WITH %s\n"
                  "        INCREMENT BY %s\n        MINVALUE %s\n        MAXVALUE %s\n"
                  "        CACHE %s%s\n    )",
                  seq, result_str(ident, i, "seqstart"),
                  result_str(ident, i, "seqincrement"), result_str(ident, i, "seqmin"),
                  result_str(ident, i, "seqmax"), result_str(ident, i, "seqcache"),
                  result_bool(ident, i, "seqcycle") ? "\n        CYCLE" : "");
        free(seq);
        break;
    }
}

/* The CHECK constraints declared on the table itself, as list items. */
static int append_checks(MetaContext *ctx, StrBuf *sb, const TableInfo *t, const TableExtras *x,
                         int n)
{
    int count;
    int first = meta_row_find(&x->checks_ix, t->oid, &count);
    for (int i = first; i >= 0 && i < first + count; i++) {
        char *cn = conn_quote_ident(ctx->conn, result_str(x->checks, i, "conname"));
        sb_printf(sb, "%s\n    CONSTRAINT %s %s", n++ ? "," : "", cn,
                  result_str(x->checks, i, "def"));
        free(cn);
    }
    return n;
}

static void table_sql(MetaContext *ctx, const TableInfo *t, const TableExtras *x, StrBuf *sb)
{
    int nparts;
    int p = meta_row_find(&x->parts_ix, t->oid, &nparts);
    bool partition = p >= 0 && !result_isnull(x->parts, p, "bound");
    sb_printf(sb, "CREATE %sTABLE %s", t->persistence == 'u' ? "UNLOGGED " : "", t->qualified);
    if (partition) {
        /* A partition takes its columns and inherited constraints from its
         * parent; only what it declares itself is written here. */
        char *parent = conn_quote_qualified(ctx->conn, result_str(x->parts, p, "parent_schema"),
                                            result_str(x->parts, p, "parent_name"));
        sb_printf(sb, " PARTITION OF %s", parent);
        free(parent);
        StrBuf checks;
        sb_init(&checks);
        if (append_checks(ctx, &checks, t, x, 0))
            sb_printf(sb, " (%s\n)", checks.data);
        sb_free(&checks);
        sb_printf(sb, "\n%s", result_str(x->parts, p, "bound"));
    } else {
        sb_append(sb, " (");
        int n = 0;
        for (size_t i = 0; i < t->ncolumns; i++) {
            const Column *col = &t->columns[i];
            char *name = conn_quote_ident(ctx->conn, col->name);
            sb_printf(sb, "%s\n    %s %s", n++ ? "," : "", name, col->type);
            free(name);
            if (col->collation)
                sb_printf(sb, " COLLATE %s", col->collation);
            if (col->generated && col->default_expr)
                sb_printf(sb, " GENERATED ALWAYS AS (%s) STORED", col->default_expr);
            else if (col->default_expr)
                sb_printf(sb, " DEFAULT %s", col->default_expr);
            if (col->notnull)
                sb_append(sb, " NOT NULL");
            if (col->identity)
                append_identity(ctx, sb, t, col, x->identity, &x->identity_ix);
        }
        append_checks(ctx, sb, t, x, n);
        sb_append(sb, "\n)");
    }
    if (p >= 0 && !result_isnull(x->parts, p, "partkey"))
        sb_printf(sb, "\nPARTITION BY %s", result_str(x->parts, p, "partkey"));
    if (t->reloptions)
        sb_printf(sb, "\nWITH (%s)", t->reloptions);
    sb_append(sb, ";\n");
    meta_append_owner(ctx, sb, "TABLE", t->qualified, t->owner);
    char *what = xasprintf("TABLE %s", t->qualified);
    meta_append_comment(ctx, sb, what, t->comment);
    free(what);
    for (size_t i = 0; i < t->ncolumns; i++) {
        if (!t->columns[i].comment)
            continue;
        char *cn = conn_quote_ident(ctx->conn, t->columns[i].name);
        char *cwhat = xasprintf("COLUMN %s.%s", t->qualified, cn);
        meta_append_comment(ctx, sb, cwhat, t->columns[i].comment);
        free(cwhat);
        free(cn);
    }
    int count;
    int first = meta_row_find(&x->checks_ix, t->oid, &count);
    for (int i = first; i >= 0 && i < first + count; i++) {
        if (result_isnull(x->checks, i, "comment"))
            continue;
        char *cn = conn_quote_ident(ctx->conn, result_str(x->checks, i, "conname"));
        char *cwhat = xasprintf("CONSTRAINT %s ON %s", cn, t->qualified);
        meta_append_comment(ctx, sb, cwhat, result_str(x->checks, i, "comment"));
        free(cwhat);
        free(cn);
    }
}

/* Partitioned tables before the rest, so that every parent exists before a
 * partition is attached to it; among them, creation (oid) order. */
static int table_order(const void *a, const void *b)
{
    const TableInfo *x = *(const TableInfo *const *)a, *y = *(const TableInfo *const *)b;
    if ((x->relkind == 'p') != (y->relkind == 'p'))
        return x->relkind == 'p' ? -1 : 1;
    return x->oid < y->oid ? -1 : x->oid > y->oid;
}

static Error *dump_tables(MetaContext *ctx)
{
    if (ctx->tables->n == 0)
        return NULL;
    TableExtras x = {0};
    Error *e = load_extras(ctx, &x);
    if (e)
        goto done;
    const TableInfo **order = xcalloc(ctx->tables->n, sizeof *order);
    for (size_t i = 0; i < ctx->tables->n; i++)
        order[i] = &ctx->tables->items[i];
    qsort(order, ctx->tables->n, sizeof *order, table_order);
    StrBuf sb;
    sb_init(&sb);
    for (size_t i = 0; i < ctx->tables->n; i++) {
        sb_reset(&sb);
        table_sql(ctx, order[i], &x, &sb);
        meta_emit_obj(ctx, TOC_PREDATA, order[i]->schema, order[i]->name, "TABLE", "", sb.data,
                      "pg_class", order[i]->oid);
    }
    sb_free(&sb);
    free(order);
done:
    result_free(x.checks);
    result_free(x.identity);
    result_free(x.parts);
    meta_row_index_free(&x.checks_ix);
    meta_row_index_free(&x.identity_ix);
    meta_row_index_free(&x.parts_ix);
    return e;
}

const MetaType meta_tables = {"tables", dump_tables};
