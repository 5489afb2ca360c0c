/* Views: CREATE VIEW with its options (security_barrier, security_invoker,
 * check_option, kept in their catalog order) and pg_get_viewdef's query,
 * which also covers recursive views; column defaults (ALTER VIEW ... SET
 * DEFAULT, used by INSERTs through the view); owner, comments and
 * privileges, the view's and its columns'. The views are those of the
 * backup set (catalog.c), in creation order; pg_depend then puts each after
 * what it reads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metadata.h"

static int view_order(const void *a, const void *b)
{
    const TableInfo *x = *(const TableInfo *const *)a, *y = *(const TableInfo *const *)b;
    return x->oid < y->oid ? -1 : x->oid > y->oid;
}

static void view_sql(MetaContext *ctx, const TableInfo *t, const Result *defs, const RowIndex *defs_ix,
                     const Result *opts, const RowIndex *opts_ix, const AclSet *acls,
                     const AclSet *colacls, StrBuf *sb)
{
    sb_printf(sb, "CREATE VIEW %s", t->qualified);
    int count, first = meta_row_find(opts_ix, t->oid, &count);
    for (int i = first; i >= 0 && i < first + count; i++) {
        char *name = conn_quote_ident(ctx->conn, result_str(opts, i, "name"));
        char *value = conn_quote_literal(ctx->conn, result_str(opts, i, "value"));
        sb_printf(sb, "%s%s=%s", i == first ? " WITH (" : ", ", name, value);
        free(name);
        free(value);
    }
    if (first >= 0)
        sb_append(sb, ")");
    int d = meta_row_find(defs_ix, t->oid, &count);
    /* pg_get_viewdef ends with a semicolon. */
    sb_printf(sb, " AS\n%s\n", d >= 0 ? result_str(defs, d, "def") : "");
    for (size_t i = 0; i < t->ncolumns; i++) {
        if (!t->columns[i].default_expr)
            continue;
        char *cn = conn_quote_ident(ctx->conn, t->columns[i].name);
        sb_printf(sb, "ALTER VIEW %s ALTER COLUMN %s SET DEFAULT %s;\n", t->qualified, cn,
                  t->columns[i].default_expr);
        free(cn);
    }
    meta_append_owner(ctx, sb, "VIEW", t->qualified, t->owner);
    char *what = xasprintf("VIEW %s", t->qualified);
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
    char key[16];
    snprintf(key, sizeof key, "%u", t->oid);
    meta_acl_append(ctx, sb, acls, key, "TABLE", t->qualified, NULL);
    for (size_t i = 0; i < t->ncolumns; i++) {
        char ckey[32];
        snprintf(ckey, sizeof ckey, "%u.%d", t->oid, t->columns[i].attnum);
        char *cn = conn_quote_ident(ctx->conn, t->columns[i].name);
        meta_acl_append(ctx, sb, colacls, ckey, "TABLE", t->qualified, cn);
        free(cn);
    }
}

static Error *dump_views(MetaContext *ctx)
{
    const TableSet *set = ctx->tables;
    const TableInfo **views = xcalloc(set->nall + 1, sizeof *views);
    size_t n = 0;
    StrBuf oids;
    sb_init(&oids);
    sb_append(&oids, "{");
    for (size_t i = set->n; i < set->nall; i++) {
        if (set->items[i].relkind != 'v')
            continue;
        sb_printf(&oids, "%s%u", n ? "," : "", set->items[i].oid);
        views[n++] = &set->items[i];
    }
    sb_append(&oids, "}");
    Result *defs = NULL, *opts = NULL;
    RowIndex defs_ix = {0}, opts_ix = {0};
    AclSet *acls = NULL, *colacls = NULL;
    Error *e = NULL;
    if (n == 0)
        goto done;
    const char *params[1] = {oids.data};
    e = conn_query_params(ctx->conn,
                          "SELECT c.oid, pg_catalog.pg_get_viewdef(c.oid) AS def "
                          "FROM pg_catalog.pg_class c WHERE c.oid = ANY($1::pg_catalog.oid[]) "
                          "ORDER BY c.oid",
                          1, params, &defs);
    if (!e)
        e = conn_query_params(
            ctx->conn,
            "SELECT c.oid, o.name, o.value "
            "FROM pg_catalog.pg_class c, "
            "     pg_catalog.pg_options_to_table(c.reloptions) WITH ORDINALITY o(name, value, ord) "
            "WHERE c.oid = ANY($1::pg_catalog.oid[]) ORDER BY c.oid, o.ord",
            1, params, &opts);
    if (!e)
        e = meta_acl_load(ctx, "pg_catalog.pg_class", "o.oid", "relacl", "o.relowner", 'r',
                          "o.relkind = 'v'", &acls);
    if (!e)
        e = meta_acl_load(ctx, "pg_catalog.pg_attribute",
                          "o.attrelid::pg_catalog.text || '.' || o.attnum::pg_catalog.text",
                          "attacl",
                          "(SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = o.attrelid)",
                          'c',
                          "o.attnum > 0 AND EXISTS (SELECT 1 FROM pg_catalog.pg_class c "
                          "WHERE c.oid = o.attrelid AND c.relkind = 'v' "
                          "AND c.relnamespace <> 11)", /* pg_catalog (no regnamespace before 9.5) */
                          &colacls);
    if (e)
        goto done;
    meta_row_index(&defs_ix, defs, "oid");
    meta_row_index(&opts_ix, opts, "oid");
    qsort(views, n, sizeof *views, view_order);
    StrBuf sb;
    sb_init(&sb);
    for (size_t i = 0; i < n; i++) {
        sb_reset(&sb);
        view_sql(ctx, views[i], defs, &defs_ix, opts, &opts_ix, acls, colacls, &sb);
        meta_emit_obj(ctx, TOC_PREDATA, views[i]->schema, views[i]->name, "VIEW", "", sb.data,
                      "pg_class", views[i]->oid);
    }
    sb_free(&sb);
done:
    meta_acl_free(acls);
    meta_acl_free(colacls);
    meta_row_index_free(&defs_ix);
    meta_row_index_free(&opts_ix);
    result_free(defs);
    result_free(opts);
    sb_free(&oids);
    free(views);
    return e;
}

const MetaType meta_views = {"views", dump_views};
