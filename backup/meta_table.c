/* Relations with columns of their own: tables, foreign tables and
 * materialized views (views are in meta_view.c; wrappers and servers in
 * meta_foreign.c). For each, the CREATE, then by ALTER what the catalog
 * records and the CREATE cannot say: per-column storage, compression,
 * statistics target and options, defaults and NOT NULL that differ from
 * what the parents hand down, replica identity; then owner, comments and
 * privileges (the relation's and its columns'). Partitions are created with
 * PARTITION OF, inheritance children with INHERITS and typed tables with OF
 * type, so that they take their inherited columns and constraints from
 * their parents; only what a child declares itself is written. A partition
 * whose columns are in another order than its parent's (a table attached
 * later) is created as a table and attached. A populated materialized view
 * gets a REFRESH entry, run after the data. CLUSTER ON and REPLICA
 * IDENTITY USING INDEX need the index: they are post-data entries of their
 * own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_ddl.h"
#include "metadata.h"

/* Everything read for the relations of one kind, each query once for all. */
typedef struct RelExtras {
    GpTableStorage *gs; /* Greenplum/Cloudberry storage and distribution; NULL on PostgreSQL */
    Result *checks;    /* conrelid, conname, def, comment */
    Result *identity;  /* attrelid, attname, sequence parameters */
    Result *parts;     /* oid, partkey, bound */
    Result *parents;   /* inhrelid, inhparent, nspname, relname, by inhseqno */
    Result *options;   /* relid, kind (1 relation, 2 TOAST, 3 foreign table), name, value */
    Result *colopts;   /* attrelid, attnum, kind (1 attoptions, 2 FDW options), name, value */
    Result *servers;   /* ftrelid, srvname */
    Result *indexes;   /* indrelid, relname, indexrelid, indisclustered, indisreplident */
    Result *viewdefs;  /* oid, def (materialized views) */
    Result *oftypes;   /* oid, nspname, typname: typed tables (CREATE TABLE ... OF type) */
    RowIndex checks_ix, identity_ix, parts_ix, parents_ix, options_ix, colopts_ix, servers_ix,
        indexes_ix, viewdefs_ix, oftypes_ix;
    AclSet *acls, *colacls;
} RelExtras;

static void extras_free(RelExtras *x)
{
    gp_table_storage_free(x->gs);
    x->gs = NULL;
    Result **rs[] = {&x->checks,  &x->identity, &x->parts,   &x->parents,  &x->options,
                     &x->colopts, &x->servers,  &x->indexes, &x->viewdefs, &x->oftypes};
    RowIndex *ix[] = {&x->checks_ix,  &x->identity_ix, &x->parts_ix,   &x->parents_ix,
                      &x->options_ix, &x->colopts_ix,  &x->servers_ix, &x->indexes_ix,
                      &x->viewdefs_ix, &x->oftypes_ix};
    for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) {
        result_free(*rs[i]);
        *rs[i] = NULL;
        meta_row_index_free(ix[i]);
    }
    meta_acl_free(x->acls);
    meta_acl_free(x->colacls);
    x->acls = x->colacls = NULL;
}

static Error *query_indexed(MetaContext *ctx, const char *sql, const char *oids, Result **out,
                            RowIndex *ix, const char *column)
{
    const char *params[1] = {oids};
    Error *e = conn_query_params(ctx->conn, sql, 1, params, out);
    if (!e)
        meta_row_index(ix, *out, column);
    return e;
}

/* A query with the one column the row index needs and no rows. */
#define NO_ROWS_94(col) \
    "SELECT 0::pg_catalog.oid AS " col " WHERE $1::pg_catalog.oid[] IS NULL AND false"

/* The queries, each for every relation of the kind at once ($1: their oids). */
static Error *load_extras(MetaContext *ctx, const char *oids, const char *relkinds, RelExtras *x)
{
    /* Before PostgreSQL 10 (Greenplum 6) there are no identity columns, no
     * pg_sequence and no PostgreSQL partitioning: those queries find no rows. */
    bool v10 = conn_server_version(ctx->conn) >= 100000;
    Error *e = query_indexed(
        ctx,
        "SELECT c.conrelid, c.conname, pg_catalog.pg_get_constraintdef(c.oid) AS def, "
        "       pg_catalog.obj_description(c.oid, 'pg_constraint') AS comment "
        "FROM pg_catalog.pg_constraint c "
        "WHERE c.contype = 'c' AND c.conislocal AND c.convalidated "
        "  AND c.conrelid = ANY($1::pg_catalog.oid[]) "
        "ORDER BY c.conrelid, c.conname",
        oids, &x->checks, &x->checks_ix, "conrelid");
    if (!e && !v10)
        e = query_indexed(ctx, NO_ROWS_94("attrelid"), oids, &x->identity, &x->identity_ix,
                          "attrelid");
    if (!e && !v10)
        e = query_indexed(ctx, NO_ROWS_94("oid"), oids, &x->parts, &x->parts_ix, "oid");
    if (!e && v10)
        e = query_indexed(
            ctx,
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
            oids, &x->identity, &x->identity_ix, "attrelid");
    if (!e && v10)
        e = query_indexed(
            ctx,
            "SELECT c.oid, "
            "       CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partkey, "
            "       CASE WHEN c.relispartition "
            "            THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS bound "
            "FROM pg_catalog.pg_class c "
            "WHERE c.oid = ANY($1::pg_catalog.oid[]) AND (c.relkind = 'p' OR c.relispartition) "
            "ORDER BY c.oid",
            oids, &x->parts, &x->parts_ix, "oid");
    if (!e)
        e = query_indexed(
            ctx,
            "SELECT i.inhrelid, i.inhparent, n.nspname, p.relname "
            "FROM pg_catalog.pg_inherits i "
            "JOIN pg_catalog.pg_class p ON p.oid = i.inhparent "
            "JOIN pg_catalog.pg_namespace n ON n.oid = p.relnamespace "
            "WHERE i.inhrelid = ANY($1::pg_catalog.oid[]) "
            "ORDER BY i.inhrelid, i.inhseqno",
            oids, &x->parents, &x->parents_ix, "inhrelid");
    /* Options one per row, in the order of their array (the restored array
     * then has the same order), values quoted here with libpq. Rows without
     * options are left out before the function is called: called for each
     * of 10,000 tables' columns it cost more than the rest of the query. */
    if (!e)
        e = query_indexed(
            ctx,
            "SELECT c.oid AS relid, 1 AS kind, o.name, o.value, o.ord "
            "FROM pg_catalog.pg_class c, "
            "     pg_catalog.pg_options_to_table(c.reloptions) WITH ORDINALITY o(name, value, ord) "
            "WHERE c.oid = ANY($1::pg_catalog.oid[]) AND c.reloptions IS NOT NULL "
            "UNION ALL "
            "SELECT c.oid, 2, o.name, o.value, o.ord "
            "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_class tc ON tc.oid = c.reltoastrelid, "
            "     pg_catalog.pg_options_to_table(tc.reloptions) WITH ORDINALITY o(name, value, ord) "
            "WHERE c.oid = ANY($1::pg_catalog.oid[]) AND tc.reloptions IS NOT NULL "
            "UNION ALL "
            "SELECT f.ftrelid, 3, o.name, o.value, o.ord "
            "FROM pg_catalog.pg_foreign_table f, "
            "     pg_catalog.pg_options_to_table(f.ftoptions) WITH ORDINALITY o(name, value, ord) "
            "WHERE f.ftrelid = ANY($1::pg_catalog.oid[]) "
            "ORDER BY 1, 2, 5",
            oids, &x->options, &x->options_ix, "relid");
    if (!e)
        e = query_indexed(
            ctx,
            "SELECT a.attrelid, a.attnum, 1 AS kind, o.name, o.value, o.ord "
            "FROM pg_catalog.pg_attribute a, "
            "     pg_catalog.pg_options_to_table(a.attoptions) WITH ORDINALITY o(name, value, ord) "
            "WHERE a.attrelid = ANY($1::pg_catalog.oid[]) AND a.attnum > 0 AND NOT a.attisdropped "
            "  AND a.attoptions IS NOT NULL "
            "UNION ALL "
            "SELECT a.attrelid, a.attnum, 2, o.name, o.value, o.ord "
            "FROM pg_catalog.pg_attribute a, "
            "     pg_catalog.pg_options_to_table(a.attfdwoptions) WITH ORDINALITY o(name, value, ord) "
            "WHERE a.attrelid = ANY($1::pg_catalog.oid[]) AND a.attnum > 0 AND NOT a.attisdropped "
            "  AND a.attfdwoptions IS NOT NULL "
            "ORDER BY 1, 2, 3, 6",
            oids, &x->colopts, &x->colopts_ix, "attrelid");
    if (!e)
        e = query_indexed(ctx,
                          "SELECT f.ftrelid, s.srvname "
                          "FROM pg_catalog.pg_foreign_table f "
                          "JOIN pg_catalog.pg_foreign_server s ON s.oid = f.ftserver "
                          "WHERE f.ftrelid = ANY($1::pg_catalog.oid[]) "
                          "ORDER BY f.ftrelid",
                          oids, &x->servers, &x->servers_ix, "ftrelid");
    if (!e)
        e = query_indexed(ctx,
                          "SELECT i.indrelid, i.indexrelid, ic.relname, i.indisclustered, "
                          "       i.indisreplident "
                          "FROM pg_catalog.pg_index i "
                          "JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
                          "WHERE i.indrelid = ANY($1::pg_catalog.oid[]) "
                          "  AND (i.indisclustered OR i.indisreplident) "
                          "ORDER BY i.indrelid, ic.relname",
                          oids, &x->indexes, &x->indexes_ix, "indrelid");
    if (!e)
        e = query_indexed(ctx,
                          "SELECT c.oid, pg_catalog.pg_get_viewdef(c.oid) AS def "
                          "FROM pg_catalog.pg_class c "
                          "WHERE c.oid = ANY($1::pg_catalog.oid[]) AND c.relkind = 'm' "
                          "ORDER BY c.oid",
                          oids, &x->viewdefs, &x->viewdefs_ix, "oid");
    if (!e)
        e = query_indexed(ctx,
                          "SELECT c.oid, n.nspname, t.typname "
                          "FROM pg_catalog.pg_class c "
                          "JOIN pg_catalog.pg_type t ON t.oid = c.reloftype "
                          "JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
                          "WHERE c.oid = ANY($1::pg_catalog.oid[]) "
                          "ORDER BY c.oid",
                          oids, &x->oftypes, &x->oftypes_ix, "oid");
    if (!e) {
        char *where = xasprintf("o.relkind = ANY ('{%s}'::pg_catalog.\"char\"[])", relkinds);
        e = meta_acl_load(ctx, "pg_catalog.pg_class", "o.oid", "relacl", "o.relowner", 'r', where,
                          &x->acls);
        free(where);
    }
    if (!e) {
        char *where = xasprintf(
            "o.attnum > 0 AND NOT o.attisdropped AND EXISTS (SELECT 1 FROM pg_catalog.pg_class c "
            "WHERE c.oid = o.attrelid AND c.relkind = ANY ('{%s}'::pg_catalog.\"char\"[]) "
            "AND c.relnamespace <> 11)", /* pg_catalog (no regnamespace before 9.5) */
            relkinds);
        e = meta_acl_load(ctx, "pg_catalog.pg_attribute",
                          "o.attrelid::pg_catalog.text || '.' || o.attnum::pg_catalog.text", "attacl",
                          "(SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = o.attrelid)",
                          'c', where, &x->colacls);
        free(where);
    }
    return e;
}

/* The words naming the relation in ALTER, COMMENT and OWNER statements. */
static const char *kind_word(const TableInfo *t)
{
    switch (t->relkind) {
    case 'f':
        return "FOREIGN TABLE";
    case 'm':
        return "MATERIALIZED VIEW";
    default:
        return "TABLE";
    }
}

/* "ALTER TABLE ONLY q" (no ONLY for materialized views, which have no
 * children and whose ALTER does not take it). Caller owns. */
static char *alter_prefix(const TableInfo *t)
{
    return xasprintf("ALTER %s %s%s", kind_word(t), t->relkind == 'm' ? "" : "ONLY ", t->qualified);
}

/* Options of one kind as "name 'value', ..." (FDW style) or
 * "name='value', ..." (storage parameters, prefixed). */
static void append_options(MetaContext *ctx, StrBuf *sb, const Result *r, int first, int count,
                           const char *kind, bool fdw_style, const char *prefix, int *n)
{
    for (int i = first; i >= 0 && i < first + count; i++) {
        if (strcmp(result_str(r, i, "kind"), kind) != 0)
            continue;
        char *name = conn_quote_ident(ctx->conn, result_str(r, i, "name"));
        char *value = conn_quote_literal(ctx->conn, result_str(r, i, "value"));
        sb_printf(sb, "%s%s%s%s%s", (*n)++ ? ", " : "", prefix, name, fdw_style ? " " : "=", value);
        free(name);
        free(value);
    }
}

/* " WITH (a='1', toast.b='2')" when the relation has storage parameters. */
static void append_storage_params(MetaContext *ctx, StrBuf *sb, const TableInfo *t,
                                  const RelExtras *x, const char *lead)
{
    int count, first = meta_row_find(&x->options_ix, t->oid, &count), n = 0;
    StrBuf opts;
    sb_init(&opts);
    append_options(ctx, &opts, x->options, first, count, "1", false, "", &n);
    append_options(ctx, &opts, x->options, first, count, "2", false, "toast.", &n);
    if (n)
        sb_printf(sb, "%sWITH (%s)", lead, opts.data);
    sb_free(&opts);
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
static int append_checks(MetaContext *ctx, StrBuf *sb, const TableInfo *t, const RelExtras *x,
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

/* What a column inherits at creation, from the first parent (in the set)
 * that has it: PostgreSQL refuses parents that disagree on storage and
 * compression, and takes the first parent's default. */
typedef struct Inherited {
    bool found;
    bool notnull;          /* any parent's */
    const char *default_expr;
    char storage;
    char compression;
} Inherited;

static Inherited inherited_from(const MetaContext *ctx, const TableInfo *t, size_t colno,
                                const RelExtras *x)
{
    const Column *col = &t->columns[colno];
    Inherited in = {false, false, NULL, 0, 0};
    if (col->inhcount == 0)
        return in;
    int count, first = meta_row_find(&x->parents_ix, t->oid, &count);
    for (int i = first; i >= 0 && i < first + count; i++) {
        const TableInfo *p =
            meta_table(ctx, (uint32_t)strtoul(result_str(x->parents, i, "inhparent"), NULL, 10));
        if (!p)
            continue;
        /* A partition's columns are usually its parent's, in the same
         * places: look there before searching by name. */
        size_t start = colno < p->ncolumns ? colno : 0;
        for (size_t k = 0; k < p->ncolumns; k++) {
            const Column *pc = &p->columns[(start + k) % p->ncolumns];
            if (strcmp(pc->name, col->name) != 0)
                continue;
            in.notnull = in.notnull || pc->notnull;
            if (!in.found) {
                in.found = true;
                in.default_expr = pc->default_expr;
                in.storage = pc->storage;
                in.compression = pc->compression;
            }
            break;
        }
    }
    return in;
}

static const char *storage_name(char s)
{
    switch (s) {
    case 'p':
        return "PLAIN";
    case 'e':
        return "EXTERNAL";
    case 'm':
        return "MAIN";
    default:
        return "EXTENDED";
    }
}

static void append_column_definition(MetaContext *ctx, StrBuf *sb, const TableInfo *t,
                                     const Column *col, const RelExtras *x)
{
    char *name = conn_quote_ident(ctx->conn, col->name);
    sb_printf(sb, "\n    %s %s", name, col->type);
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
    sb_append(sb, gp_column_encoding(x->gs, t->oid, col->attnum));
}

/* Which columns a CREATE wrote with their definition. */
typedef enum Listed { LISTED_NONE, LISTED_LOCAL, LISTED_ALL } Listed;

/* The ALTERs that give each column what CREATE could not: properties that
 * differ from what the type or the parents give, and options. */
static void append_column_alters(MetaContext *ctx, StrBuf *sb, const TableInfo *t,
                                 const RelExtras *x, Listed listed)
{
    char *alter = alter_prefix(t);
    int ocount, ofirst = meta_row_find(&x->colopts_ix, t->oid, &ocount);
    for (size_t i = 0; i < t->ncolumns; i++) {
        const Column *col = &t->columns[i];
        char *cn = conn_quote_ident(ctx->conn, col->name);
        /* A table created on its own and attached inherits nothing. */
        Inherited in = listed == LISTED_ALL ? (Inherited){false, false, NULL, 0, 0}
                                            : inherited_from(ctx, t, i, x);
        bool in_create = listed == LISTED_ALL || (listed == LISTED_LOCAL && col->islocal);
        if (t->relkind != 'm' && !col->generated) {
            /* A column written in the CREATE has its own default; one that
             * is only inherited has its parent's. */
            const char *expected = in_create && col->default_expr ? col->default_expr
                                                                  : in.default_expr;
            if (col->default_expr && (!expected || strcmp(expected, col->default_expr) != 0))
                sb_printf(sb, "%s ALTER COLUMN %s SET DEFAULT %s;\n", alter, cn,
                          col->default_expr);
            else if (!col->default_expr && expected)
                sb_printf(sb, "%s ALTER COLUMN %s DROP DEFAULT;\n", alter, cn);
            if (col->notnull && !in_create && !in.notnull)
                sb_printf(sb, "%s ALTER COLUMN %s SET NOT NULL;\n", alter, cn);
        }
        char storage = in.found ? in.storage : col->type_storage;
        if (col->storage && col->storage != storage)
            sb_printf(sb, "%s ALTER COLUMN %s SET STORAGE %s;\n", alter, cn,
                      storage_name(col->storage));
        char compression = in.found ? in.compression : 0;
        if (col->compression != compression && t->relkind != 'f')
            sb_printf(sb, "%s ALTER COLUMN %s SET COMPRESSION %s;\n", alter, cn,
                      col->compression == 'p'   ? "pglz"
                      : col->compression == 'l' ? "lz4"
                                                : "default");
        if (col->stattarget >= 0)
            sb_printf(sb, "%s ALTER COLUMN %s SET STATISTICS %d;\n", alter, cn, col->stattarget);
        StrBuf opts;
        sb_init(&opts);
        int n = 0;
        /* The option rows of this column (attnum is their second sort key). */
        int cfirst = -1, ccount = 0;
        for (int k = ofirst; k >= 0 && k < ofirst + ocount; k++) {
            if (atoi(result_str(x->colopts, k, "attnum")) == col->attnum) {
                if (cfirst < 0)
                    cfirst = k;
                ccount++;
            }
        }
        append_options(ctx, &opts, x->colopts, cfirst, ccount, "1", false, "", &n);
        if (n)
            sb_printf(sb, "%s ALTER COLUMN %s SET (%s);\n", alter, cn, opts.data);
        sb_reset(&opts);
        n = 0;
        append_options(ctx, &opts, x->colopts, cfirst, ccount, "2", true, "", &n);
        if (n)
            sb_printf(sb, "%s ALTER COLUMN %s OPTIONS (%s);\n", alter, cn, opts.data);
        sb_free(&opts);
        free(cn);
    }
    free(alter);
}

/* Do two relations have the same columns in the same order? */
static bool same_columns(const TableInfo *a, const TableInfo *b)
{
    if (a->ncolumns != b->ncolumns)
        return false;
    for (size_t i = 0; i < a->ncolumns; i++)
        if (strcmp(a->columns[i].name, b->columns[i].name) != 0)
            return false;
    return true;
}

/* CREATE [UNLOGGED|FOREIGN] TABLE, for tables and foreign tables. */
static void append_create_table(MetaContext *ctx, StrBuf *sb, const TableInfo *t,
                                const RelExtras *x)
{
    int p = t->relkind == 'p' || t->ispartition ? meta_row_find(&x->parts_ix, t->oid, &(int){0})
                                                 : -1;
    bool partition = p >= 0 && !result_isnull(x->parts, p, "bound");
    int npar, firstpar = meta_row_find(&x->parents_ix, t->oid, &npar);
    int oftype = meta_row_find(&x->oftypes_ix, t->oid, &(int){0});
    char *parent = partition && firstpar >= 0
                       ? conn_quote_qualified(ctx->conn, result_str(x->parents, firstpar, "nspname"),
                                              result_str(x->parents, firstpar, "relname"))
                       : NULL;
    /* A table attached as a partition may have its columns in another
     * order than its parent's, which PARTITION OF would not keep: such a
     * partition is created as a table and attached. */
    bool attach = false;
    if (parent) {
        const TableInfo *pt =
            meta_table(ctx, (uint32_t)strtoul(result_str(x->parents, firstpar, "inhparent"), NULL, 10));
        attach = pt && !same_columns(pt, t);
    }
    sb_printf(sb, "CREATE %sTABLE %s",
              t->relkind == 'f' ? "FOREIGN " : t->persistence == 'u' ? "UNLOGGED " : "",
              t->qualified);
    if (parent && !attach) {
        /* A partition takes its columns and inherited constraints from its
         * parent; only what it declares itself is written here. */
        sb_printf(sb, " PARTITION OF %s", parent);
        StrBuf checks;
        sb_init(&checks);
        if (append_checks(ctx, &checks, t, x, 0))
            sb_printf(sb, " (%s\n)", checks.data);
        sb_free(&checks);
        sb_printf(sb, "\n%s", result_str(x->parts, p, "bound"));
    } else if (oftype >= 0) {
        /* A typed table takes its columns from the type; their defaults
         * and NOT NULL follow as ALTERs. */
        char *type = conn_quote_qualified(ctx->conn, result_str(x->oftypes, oftype, "nspname"),
                                          result_str(x->oftypes, oftype, "typname"));
        sb_printf(sb, " OF %s", type);
        free(type);
        StrBuf checks;
        sb_init(&checks);
        if (append_checks(ctx, &checks, t, x, 0))
            sb_printf(sb, " (%s\n)", checks.data);
        sb_free(&checks);
    } else {
        /* Inherited columns come from the parents (listed again only when
         * the child declared them too, which PostgreSQL merges). */
        sb_append(sb, " (");
        int n = 0;
        for (size_t i = 0; i < t->ncolumns; i++) {
            if (!t->columns[i].islocal && !attach)
                continue;
            sb_append(sb, n++ ? "," : "");
            append_column_definition(ctx, sb, t, &t->columns[i], x);
        }
        append_checks(ctx, sb, t, x, n);
        sb_append(sb, "\n)");
        if (firstpar >= 0 && !attach) {
            sb_append(sb, "\nINHERITS (");
            for (int i = firstpar; i < firstpar + npar; i++) {
                char *q = conn_quote_qualified(ctx->conn, result_str(x->parents, i, "nspname"),
                                               result_str(x->parents, i, "relname"));
                sb_printf(sb, "%s%s", i > firstpar ? ", " : "", q);
                free(q);
            }
            sb_append(sb, ")");
        }
    }
    if (p >= 0 && !result_isnull(x->parts, p, "partkey"))
        sb_printf(sb, "\nPARTITION BY %s", result_str(x->parts, p, "partkey"));
    if (t->relkind == 'f') {
        int s = meta_row_find(&x->servers_ix, t->oid, &(int){0});
        if (s >= 0) {
            char *srv = conn_quote_ident(ctx->conn, result_str(x->servers, s, "srvname"));
            sb_printf(sb, "\nSERVER %s", srv);
            free(srv);
        }
        int count, first = meta_row_find(&x->options_ix, t->oid, &count), n = 0;
        StrBuf opts;
        sb_init(&opts);
        append_options(ctx, &opts, x->options, first, count, "3", true, "", &n);
        if (n)
            sb_printf(sb, "\nOPTIONS (%s)", opts.data);
        sb_free(&opts);
    } else if (x->gs) {
        /* Greenplum and Cloudberry: storage (appendonly / USING), options,
         * TABLESPACE and DISTRIBUTED BY in the server's own syntax. */
        sb_append(sb, gp_table_clause(x->gs, t->oid));
    } else {
        if (t->access_method) {
            char *am = conn_quote_ident(ctx->conn, t->access_method);
            sb_printf(sb, "\nUSING %s", am);
            free(am);
        }
        append_storage_params(ctx, sb, t, x, "\n");
        if (t->tablespace) {
            char *ts = conn_quote_ident(ctx->conn, t->tablespace);
            sb_printf(sb, "\nTABLESPACE %s", ts);
            free(ts);
        }
    }
    sb_append(sb, ";\n");
    if (attach)
        sb_printf(sb, "ALTER TABLE ONLY %s ATTACH PARTITION %s %s;\n", parent, t->qualified,
                  result_str(x->parts, p, "bound"));
    free(parent);
    Listed listed = attach ? LISTED_ALL : partition || oftype >= 0 ? LISTED_NONE : LISTED_LOCAL;
    append_column_alters(ctx, sb, t, x, listed);
    if (t->relkind != 'f' && (t->replident == 'n' || t->replident == 'f'))
        sb_printf(sb, "ALTER TABLE ONLY %s REPLICA IDENTITY %s;\n", t->qualified,
                  t->replident == 'n' ? "NOTHING" : "FULL");
}

/* CREATE MATERIALIZED VIEW ... WITH NO DATA: the rows come with the
 * REFRESH after the data, when the tables it reads are loaded. */
static void append_create_matview(MetaContext *ctx, StrBuf *sb, const TableInfo *t,
                                  const RelExtras *x)
{
    sb_printf(sb, "CREATE MATERIALIZED VIEW %s", t->qualified);
    if (t->access_method) {
        char *am = conn_quote_ident(ctx->conn, t->access_method);
        sb_printf(sb, "\nUSING %s", am);
        free(am);
    }
    append_storage_params(ctx, sb, t, x, "\n");
    if (t->tablespace) {
        char *ts = conn_quote_ident(ctx->conn, t->tablespace);
        sb_printf(sb, "\nTABLESPACE %s", ts);
        free(ts);
    }
    int v = meta_row_find(&x->viewdefs_ix, t->oid, &(int){0});
    /* pg_get_viewdef ends the query with a semicolon. */
    const char *def = v >= 0 ? result_str(x->viewdefs, v, "def") : "";
    size_t len = strlen(def);
    while (len && (def[len - 1] == ';' || def[len - 1] == ' ' || def[len - 1] == '\n'))
        len--;
    sb_append(sb, " AS\n");
    sb_append_len(sb, def, len);
    sb_append(sb, "\n  WITH NO DATA");
    /* Greenplum and Cloudberry: the distribution follows WITH NO DATA. */
    const char *dist = x->gs ? strstr(gp_table_clause(x->gs, t->oid), "\nDISTRIBUTED ") : NULL;
    if (dist)
        sb_append(sb, dist);
    sb_append(sb, ";\n");
    append_column_alters(ctx, sb, t, x, LISTED_NONE);
}

static void relation_sql(MetaContext *ctx, const TableInfo *t, const RelExtras *x, StrBuf *sb)
{
    if (t->relkind == 'm')
        append_create_matview(ctx, sb, t, x);
    else
        append_create_table(ctx, sb, t, x);
    const char *kind = kind_word(t);
    meta_append_owner(ctx, sb, kind, t->qualified, t->owner);
    char *what = xasprintf("%s %s", kind, t->qualified);
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
    char key[16];
    snprintf(key, sizeof key, "%u", t->oid);
    meta_acl_append(ctx, sb, x->acls, key, "TABLE", t->qualified, NULL);
    for (size_t i = 0; i < t->ncolumns; i++) {
        char ckey[32];
        snprintf(ckey, sizeof ckey, "%u.%d", t->oid, t->columns[i].attnum);
        char *cn = conn_quote_ident(ctx->conn, t->columns[i].name);
        meta_acl_append(ctx, sb, x->colacls, ckey, "TABLE", t->qualified, cn);
        free(cn);
    }
}

/* CLUSTER ON and REPLICA IDENTITY USING INDEX, after the index they name
 * (which a constraint may own: pg_depend resolves that). */
static void emit_index_properties(MetaContext *ctx, const TableInfo *t, const RelExtras *x,
                                  StrBuf *sb)
{
    int count, first = meta_row_find(&x->indexes_ix, t->oid, &count);
    char *ref = filter_format_table_name(t->schema, t->name);
    for (int i = first; i >= 0 && i < first + count; i++) {
        uint32_t index = (uint32_t)strtoul(result_str(x->indexes, i, "indexrelid"), NULL, 10);
        char *iname = conn_quote_ident(ctx->conn, result_str(x->indexes, i, "relname"));
        char *alter = xasprintf("ALTER %s %s", kind_word(t), t->qualified);
        if (result_bool(x->indexes, i, "indisreplident") && t->replident == 'i') {
            sb_reset(sb);
            sb_printf(sb, "%s REPLICA IDENTITY USING INDEX %s;\n", alter, iname);
            uint32_t id = meta_emit_obj(ctx, TOC_POSTDATA, t->schema, t->name, "REPLICA IDENTITY",
                                        ref, sb->data, NULL, 0);
            meta_depend_on(ctx, id, "pg_class", index);
        }
        if (result_bool(x->indexes, i, "indisclustered")) {
            sb_reset(sb);
            sb_printf(sb, "%s CLUSTER ON %s;\n", alter, iname);
            uint32_t id = meta_emit_obj(ctx, TOC_POSTDATA, t->schema, t->name, "CLUSTER ON", ref,
                                        sb->data, NULL, 0);
            meta_depend_on(ctx, id, "pg_class", index);
        }
        free(alter);
        free(iname);
    }
    free(ref);
}

/* Partitioned tables before the rest, so that every parent exists before a
 * partition is attached to it; among them, creation (oid) order. Inheritance
 * children follow their parents through pg_depend. */
static int table_order(const void *a, const void *b)
{
    const TableInfo *x = *(const TableInfo *const *)a, *y = *(const TableInfo *const *)b;
    if ((x->relkind == 'p') != (y->relkind == 'p'))
        return x->relkind == 'p' ? -1 : 1;
    return x->oid < y->oid ? -1 : x->oid > y->oid;
}

/* Write every relation of the set whose relkind is in relkinds. */
static Error *dump_relations(MetaContext *ctx, const char *relkinds, const char *objecttype)
{
    const TableSet *set = ctx->tables;
    const TableInfo **order = xcalloc(set->nall + 1, sizeof *order);
    size_t n = 0;
    StrBuf oids;
    sb_init(&oids);
    sb_append(&oids, "{");
    for (size_t i = 0; i < set->nall; i++) {
        if (!strchr(relkinds, set->items[i].relkind))
            continue;
        sb_printf(&oids, "%s%u", n ? "," : "", set->items[i].oid);
        order[n++] = &set->items[i];
    }
    sb_append(&oids, "}");
    Error *e = NULL;
    RelExtras x;
    memset(&x, 0, sizeof x);
    if (n == 0)
        goto done;
    char kinds[16] = "";
    for (size_t i = 0; relkinds[i] && i < 7; i++)
        snprintf(kinds + strlen(kinds), sizeof kinds - strlen(kinds), "%s%c", i ? "," : "",
                 relkinds[i]);
    e = load_extras(ctx, oids.data, kinds, &x);
    /* (Materialized views for their distribution.) */
    if (!e && (strchr(relkinds, 'r') || strchr(relkinds, 'm')))
        e = gp_load_table_storage(ctx, &x.gs);
    if (e)
        goto done;
    qsort(order, n, sizeof *order, table_order);
    StrBuf sb;
    sb_init(&sb);
    for (size_t i = 0; i < n; i++) {
        const TableInfo *t = order[i];
        if (gp_table_skip(x.gs, t->oid))
            continue;
        sb_reset(&sb);
        relation_sql(ctx, t, &x, &sb);
        uint32_t id = meta_emit_obj(ctx, TOC_PREDATA, t->schema, t->name, objecttype, "", sb.data,
                                    "pg_class", t->oid);
        /* A partition depends on its parent only "automatically" in
         * pg_depend, which the ordering does not follow: say it here. */
        int npar, firstpar = meta_row_find(&x.parents_ix, t->oid, &npar);
        for (int k = firstpar; k >= 0 && k < firstpar + npar; k++)
            meta_depend_on(ctx, id, "pg_class",
                           (uint32_t)strtoul(result_str(x.parents, k, "inhparent"), NULL, 10));
        emit_index_properties(ctx, t, &x, &sb);
        if (t->relkind == 'm' && t->populated) {
            sb_reset(&sb);
            sb_printf(&sb, "REFRESH MATERIALIZED VIEW %s;\n", t->qualified);
            char *ref = filter_format_table_name(t->schema, t->name);
            meta_emit_data(ctx, t->schema, t->name, "MATERIALIZED VIEW DATA", ref, sb.data,
                           "pg_class", t->oid);
            free(ref);
        }
    }
    sb_free(&sb);
done:
    extras_free(&x);
    sb_free(&oids);
    free(order);
    return e;
}

static Error *dump_tables(MetaContext *ctx)
{
    return dump_relations(ctx, "rp", "TABLE");
}

static Error *dump_foreign_tables(MetaContext *ctx)
{
    return dump_relations(ctx, "f", "FOREIGN TABLE");
}

static Error *dump_matviews(MetaContext *ctx)
{
    return dump_relations(ctx, "m", "MATERIALIZED VIEW");
}

const MetaType meta_tables = {"tables", dump_tables};
const MetaType meta_foreign_tables = {"foreign tables", dump_foreign_tables};
const MetaType meta_matviews = {"materialized views", dump_matviews};
