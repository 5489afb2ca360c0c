/* Greenplum and Cloudberry objects read from the catalog: resource queues
 * and groups and the roles' resource assignments (globals), external
 * tables (pre-data), and, for the tables module, the clauses a Greenplum
 * CREATE TABLE needs beyond PostgreSQL's (storage, distribution, column
 * encodings, GP6 legacy partitioning). Runs only when the server is not
 * PostgreSQL; the SQL text comes from the pure builders of gp_ddl.c. */
#include <stdlib.h>
#include <string.h>

#include "gp_ddl.h"
#include "log.h"

static uint32_t row_oid(const Result *r, int i, const char *col)
{
    return (uint32_t)strtoul(result_str(r, i, col), NULL, 10);
}

static const char *nullable(const Result *r, int i, const char *col)
{
    return result_isnull(r, i, col) ? NULL : result_str(r, i, col);
}

/* Strings made while filling builder structs, freed together. */
typedef struct Pool {
    char **p;
    size_t n, cap;
} Pool;

static char *keep(Pool *pool, char *s)
{
    if (!s)
        return NULL;
    if (pool->n == pool->cap) {
        pool->cap = pool->cap ? pool->cap * 2 : 64;
        pool->p = xrealloc(pool->p, pool->cap * sizeof(char *));
    }
    pool->p[pool->n++] = s;
    return s;
}

static void pool_free(Pool *pool)
{
    for (size_t i = 0; i < pool->n; i++)
        free(pool->p[i]);
    free(pool->p);
    memset(pool, 0, sizeof *pool);
}

static char *oid_array(const uint32_t *oids, size_t n)
{
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "{");
    for (size_t i = 0; i < n; i++)
        sb_printf(&sb, "%s%u", i ? "," : "", oids[i]);
    sb_append(&sb, "}");
    return sb_steal(&sb);
}

/* System schemas of Greenplum (gp_toolkit holds external web tables of its
 * own) on top of PostgreSQL's. */
#define GP_USER_SCHEMA(n)                                                              \
    CATALOG_USER_SCHEMA(n) " AND " n " NOT IN ('gp_toolkit', 'pg_aoseg', 'pg_bitmapindex')"

/* ---- distribution policies ---- */

typedef struct DistRow {
    uint32_t oid;
    GpDistribution dist;
    const char **keys;        /* the arrays dist points to, owned */
    const char **opclasses;
} DistRow;

typedef struct DistSet {
    DistRow *rows;        /* sorted by oid */
    size_t n;
    Pool pool;
} DistSet;

static void dist_set_free(DistSet *ds)
{
    for (size_t i = 0; i < ds->n; i++) {
        free(ds->rows[i].keys);
        free(ds->rows[i].opclasses);
    }
    free(ds->rows);
    pool_free(&ds->pool);
    memset(ds, 0, sizeof *ds);
}

static const GpDistribution *dist_find(const DistSet *ds, uint32_t oid)
{
    size_t lo = 0, hi = ds->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ds->rows[mid].oid < oid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ds->n && ds->rows[lo].oid == oid ? &ds->rows[lo].dist : NULL;
}

/* One query for the policies of the relations in oids ("{1,2}"). An
 * operator class is named only when it is not the default one, as
 * pg_get_table_distributedby does. */
static Error *load_distribution(MetaContext *ctx, const char *oids, DistSet *ds)
{
    memset(ds, 0, sizeof *ds);
    const char *params[1] = {oids};
    Result *r;
    Error *e = conn_query_params(
        ctx->conn,
        "SELECT d.localoid AS oid, d.policytype, k.pos, a.attname, "
        "       oc.opcname, ocn.nspname AS opcnsp, oc.opcdefault "
        "FROM pg_catalog.gp_distribution_policy d "
        "LEFT JOIN LATERAL ROWS FROM (pg_catalog.unnest(d.distkey::pg_catalog.int2[]), "
        "                             pg_catalog.unnest(d.distclass::pg_catalog.oid[])) "
        "     WITH ORDINALITY AS k(attnum, opclass, pos) ON true "
        "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = d.localoid AND a.attnum = k.attnum "
        "LEFT JOIN pg_catalog.pg_opclass oc ON oc.oid = k.opclass "
        "LEFT JOIN pg_catalog.pg_namespace ocn ON ocn.oid = oc.opcnamespace "
        "WHERE d.localoid = ANY($1::pg_catalog.oid[]) "
        "ORDER BY d.localoid, k.pos",
        1, params, &r);
    if (e)
        return error_prefix(e, "could not read distribution policies");
    int rows = result_rows(r);
    ds->rows = xcalloc((size_t)rows + 1, sizeof(DistRow));
    for (int i = 0; i < rows;) {
        uint32_t oid = row_oid(r, i, "oid");
        int j = i;
        while (j < rows && row_oid(r, j, "oid") == oid)
            j++;
        DistRow *d = &ds->rows[ds->n++];
        d->oid = oid;
        d->dist.policytype = result_str(r, i, "policytype")[0];
        const char **keys = xcalloc((size_t)(j - i) + 1, sizeof(char *));
        const char **opcs = xcalloc((size_t)(j - i) + 1, sizeof(char *));
        for (int k = i; k < j; k++) {
            if (result_isnull(r, k, "attname"))
                continue;
            keys[d->dist.nkeys] = keep(&ds->pool, conn_quote_ident(ctx->conn,
                                                                   result_str(r, k, "attname")));
            if (!result_isnull(r, k, "opcname") && !result_bool(r, k, "opcdefault"))
                opcs[d->dist.nkeys] = keep(
                    &ds->pool, conn_quote_qualified(ctx->conn, result_str(r, k, "opcnsp"),
                                                    result_str(r, k, "opcname")));
            d->dist.nkeys++;
        }
        d->keys = keys;
        d->opclasses = opcs;
        d->dist.keys = keys;
        d->dist.opclasses = opcs;
        i = j;
    }
    result_free(r);
    return NULL;
}

/* ---- storage of the tables of the backup set ---- */

typedef struct GpTableEntry {
    uint32_t oid;
    char *clause;
    bool skip;
} GpTableEntry;

typedef struct GpEncodingEntry {
    uint32_t oid;
    int attnum;
    char *text;
} GpEncodingEntry;

struct GpTableStorage {
    GpTableEntry *tables;      /* sorted by oid */
    size_t ntables;
    GpEncodingEntry *encodings; /* sorted by oid, attnum */
    size_t nencodings;
};

static bool ao_key(const char *key)
{
    return strcmp(key, "appendonly") == 0 || strcmp(key, "orientation") == 0 ||
           strcmp(key, "compresstype") == 0 || strcmp(key, "compresslevel") == 0 ||
           strcmp(key, "blocksize") == 0 || strcmp(key, "checksum") == 0;
}

/* Fill s from a row of the storage query: the append-optimized options the
 * user gave (pg_class.reloptions) when there are any, else those of
 * pg_appendonly that are not the defaults, so that a table made
 * append-optimized by gp_default_storage_options keeps its settings. */
static void fill_storage(MetaContext *ctx, const Result *r, int i, GpStorage *s, Pool *pool)
{
    bool gp7 = gp_catalog_is_gp7(ctx->server);
    memset(s, 0, sizeof *s);
    bool ao = !result_isnull(r, i, "aorelid");
    if (gp7) {
        if (!result_isnull(r, i, "amname"))
            s->amname = keep(pool, conn_quote_ident(ctx->conn, result_str(r, i, "amname")));
    } else {
        char st = result_str(r, i, "relstorage")[0];
        s->appendonly = st == 'a' || st == 'c';
        s->column = st == 'c';
    }
    StrList items = {0};
    if (!result_isnull(r, i, "reloptions"))
        gp_ddl_parse_text_array(result_str(r, i, "reloptions"), &items);
    StrBuf other;
    sb_init(&other);
    bool given = false;
    for (size_t k = 0; k < items.n; k++) {
        char *eq = strchr(items.items[k], '=');
        char *key = eq ? xstrndup(items.items[k], (size_t)(eq - items.items[k]))
                       : xstrdup(items.items[k]);
        const char *v = eq ? eq + 1 : "";
        if (!ao_key(key)) {
            sb_printf(&other, "%s%s", other.len ? ", " : "", items.items[k]);
        } else if (strcmp(key, "orientation") == 0) {
            s->row_explicit = strcmp(v, "row") == 0;
        } else if (strcmp(key, "compresstype") == 0) {
            s->compresstype = keep(pool, xstrdup(v));
            given = true;
        } else if (strcmp(key, "compresslevel") == 0) {
            s->compresslevel = keep(pool, xstrdup(v));
            given = true;
        } else if (strcmp(key, "blocksize") == 0) {
            s->blocksize = keep(pool, xstrdup(v));
            given = true;
        } else if (strcmp(key, "checksum") == 0) {
            s->checksum = keep(pool, xstrdup(v));
            given = true;
        }
        free(key);
    }
    strlist_free(&items);
    if (other.len)
        s->options = keep(pool, sb_steal(&other));
    sb_free(&other);
    if (ao && !given) {
        const char *ct = nullable(r, i, "compresstype");
        if (ct && *ct && strcmp(ct, "none") != 0) {
            s->compresstype = keep(pool, xstrdup(ct));
            s->compresslevel = keep(pool, xstrdup(result_str(r, i, "compresslevel")));
        }
        if (strcmp(result_str(r, i, "blocksize"), "32768") != 0)
            s->blocksize = keep(pool, xstrdup(result_str(r, i, "blocksize")));
        if (!result_bool(r, i, "checksum"))
            s->checksum = keep(pool, xstrdup("false"));
    }
}

/* GP6 legacy partitioning of the roots in oids: one query for the levels,
 * one for the rules; each root's clause goes to clauses (parallel to
 * roots), each member's oid to members. */
typedef struct PartNode {
    uint32_t oid;
    uint32_t parent;
    int level;
    GpPartRule rule;
    GpPartRule *kids;
    size_t nkids, capkids;
} PartNode;

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static PartNode *node_find(PartNode *nodes, size_t n, uint32_t oid)
{
    for (size_t i = 0; i < n; i++)
        if (nodes[i].oid == oid)
            return &nodes[i];
    return NULL;
}

static void fill_rule(MetaContext *ctx, const Result *r, int i, bool tmpl, GpPartRule *rule,
                      Pool *pool)
{
    memset(rule, 0, sizeof *rule);
    const char *name = nullable(r, i, "parname");
    if (name && *name)
        rule->name = keep(pool, conn_quote_ident(ctx->conn, name));
    rule->is_default = result_bool(r, i, "parisdefault");
    /* pg_get_expr prints an absent bound as "" */
    const char *v = nullable(r, i, "rstart");
    if (v && *v) {
        rule->start = v;
        rule->start_exclusive = !result_bool(r, i, "parrangestartincl");
    }
    v = nullable(r, i, "rend");
    if (v && *v) {
        rule->end = v;
        rule->end_inclusive = result_bool(r, i, "parrangeendincl");
    }
    v = nullable(r, i, "listvalues");
    if (v && *v)
        rule->values = v;
    v = nullable(r, i, "options");
    if (v && *v)
        rule->options = v;
    if (!tmpl && !result_isnull(r, i, "childname"))
        rule->tablename = keep(pool, conn_quote_literal(ctx->conn, result_str(r, i, "childname")));
    if (!result_isnull(r, i, "tablespace"))
        rule->tablespace = keep(pool, conn_quote_ident(ctx->conn, result_str(r, i, "tablespace")));
}

/* The clause of one root from its level rows [lb, le) and rule rows
 * [rb, re). EVERY is never written: each partition is written with its
 * own bounds and table name, which Greenplum would rename if it came from
 * an EVERY clause. */
static char *partition_clause(MetaContext *ctx, const Result *lv, int lb, int le,
                              const Result *ru, int rb, int re, Pool *pool)
{
    for (int i = lb; i < le; i++)
        if (!result_isnull(lv, i, "serverdef"))
            return xstrdup(result_str(lv, i, "serverdef"));
    size_t nlevels = 0;
    for (int i = lb; i < le; i++)
        if (!result_bool(lv, i, "paristemplate"))
            nlevels++;
    GpPartLevel *levels = xcalloc(nlevels + 1, sizeof *levels);
    for (int i = lb; i < le; i++) {
        size_t level = (size_t)result_int(lv, i, "parlevel");
        if (level >= nlevels || result_bool(lv, i, "paristemplate"))
            continue;
        levels[level].kind = result_str(lv, i, "parkind")[0];
        StrList names = {0};
        gp_ddl_parse_text_array(result_str(lv, i, "keys"), &names);
        StrBuf keys;
        sb_init(&keys);
        for (size_t k = 0; k < names.n; k++) {
            char *q = conn_quote_ident(ctx->conn, names.items[k]);
            sb_printf(&keys, "%s%s", k ? ", " : "", q);
            free(q);
        }
        strlist_free(&names);
        levels[level].keys = keep(pool, sb_steal(&keys));
    }
    size_t n = (size_t)(re - rb);
    PartNode *nodes = xcalloc(n + 1, sizeof *nodes);
    GpPartRule **tmpls = xcalloc(nlevels + 1, sizeof *tmpls);
    size_t *ntmpls = xcalloc(nlevels + 1, sizeof *ntmpls);
    size_t nn = 0;
    int maxlevel = 0;
    for (int i = rb; i < re; i++) {
        size_t level = (size_t)result_int(ru, i, "parlevel");
        if (level >= nlevels)
            continue;
        if (result_bool(ru, i, "paristemplate")) {
            tmpls[level] = xrealloc(tmpls[level], (ntmpls[level] + 1) * sizeof(GpPartRule));
            fill_rule(ctx, ru, i, true, &tmpls[level][ntmpls[level]++], pool);
            continue;
        }
        PartNode *nd = &nodes[nn++];
        nd->oid = row_oid(ru, i, "oid");
        nd->parent = row_oid(ru, i, "parparentrule");
        nd->level = (int)level;
        if (nd->level > maxlevel)
            maxlevel = nd->level;
        fill_rule(ctx, ru, i, false, &nd->rule, pool);
    }
    for (size_t l = 0; l < nlevels; l++) {
        levels[l].tmpl = tmpls[l];
        levels[l].ntmpl = ntmpls[l];
    }
    /* Deepest level first, so that a partition copied into its parent's
     * list already has its own subpartitions. Rows come in parruleord
     * order, which each list keeps. */
    for (int level = maxlevel; level >= 1; level--) {
        for (size_t i = 0; i < nn; i++) {
            if (nodes[i].level != level)
                continue;
            nodes[i].rule.children = nodes[i].kids;
            nodes[i].rule.nchildren = nodes[i].nkids;
            PartNode *parent = node_find(nodes, nn, nodes[i].parent);
            if (!parent)
                continue;
            if (parent->nkids == parent->capkids) {
                parent->capkids = parent->capkids ? parent->capkids * 2 : 8;
                parent->kids = xrealloc(parent->kids, parent->capkids * sizeof(GpPartRule));
            }
            parent->kids[parent->nkids++] = nodes[i].rule;
        }
    }
    GpPartRule *top = xcalloc(nn + 1, sizeof *top);
    size_t ntop = 0;
    for (size_t i = 0; i < nn; i++) {
        if (nodes[i].level != 0)
            continue;
        nodes[i].rule.children = nodes[i].kids;
        nodes[i].rule.nchildren = nodes[i].nkids;
        top[ntop++] = nodes[i].rule;
    }
    GpPartition part = {levels, nlevels, top, ntop};
    char *clause = gp_ddl_partition(&part);
    free(top);
    for (size_t i = 0; i < nn; i++)
        free(nodes[i].kids);
    free(nodes);
    for (size_t l = 0; l < nlevels; l++)
        free(tmpls[l]);
    free(tmpls);
    free(ntmpls);
    free(levels);
    return clause;
}

/* Partitioning of Greenplum 6: results for the roots among oids. */
typedef struct LegacyParts {
    Result *levels;
    Result *rules;
    RowIndex levels_ix, rules_ix;
    uint32_t *members;        /* sorted */
    size_t nmembers;
} LegacyParts;

static Error *load_legacy_partitions(MetaContext *ctx, const char *oids, LegacyParts *lp)
{
    memset(lp, 0, sizeof *lp);
    const char *params[1] = {oids};
    /* Multi-column LIST keys print their values as one flat list through
     * pg_get_expr; for those the server's own pg_get_partition_def is used. */
    Error *e = conn_query_params(
        ctx->conn,
        "SELECT p.oid, p.parrelid, p.parkind, p.parlevel, p.paristemplate, "
        "       ARRAY(SELECT a.attname FROM pg_catalog.unnest(p.paratts::pg_catalog.int2[]) "
        "               WITH ORDINALITY AS k(attnum, pos) "
        "             JOIN pg_catalog.pg_attribute a "
        "               ON a.attrelid = p.parrelid AND a.attnum = k.attnum "
        "             ORDER BY k.pos)::pg_catalog.text AS keys, "
        "       CASE WHEN p.parlevel = 0 AND NOT p.paristemplate AND EXISTS ("
        "              SELECT 1 FROM pg_catalog.pg_partition p2 WHERE p2.parrelid = p.parrelid "
        "              AND (p2.parkind NOT IN ('r', 'l') OR (p2.parkind = 'l' AND p2.parnatts > 1))) "
        "            THEN pg_catalog.pg_get_partition_def(p.parrelid, true, true) END AS serverdef "
        "FROM pg_catalog.pg_partition p "
        "WHERE p.parrelid = ANY($1::pg_catalog.oid[]) "
        "ORDER BY p.parrelid, p.parlevel, p.paristemplate",
        1, params, &lp->levels);
    if (!e)
        e = conn_query_params(
            ctx->conn,
            "SELECT p.parrelid, p.parlevel, p.paristemplate, pr.oid, pr.parparentrule, "
            "       pr.parchildrelid, pr.parname, pr.parisdefault, "
            "       pr.parrangestartincl, pr.parrangeendincl, "
            "       pg_catalog.pg_get_expr(pr.parrangestart, p.parrelid) AS rstart, "
            "       pg_catalog.pg_get_expr(pr.parrangeend, p.parrelid) AS rend, "
            "       pg_catalog.pg_get_expr(pr.parlistvalues, p.parrelid) AS listvalues, "
            "       pg_catalog.array_to_string(pr.parreloptions, ', ') AS options, "
            "       c.relname AS childname, "
            "       CASE WHEN c.reltablespace <> r.reltablespace THEN t.spcname END AS tablespace "
            "FROM pg_catalog.pg_partition_rule pr "
            "JOIN pg_catalog.pg_partition p ON p.oid = pr.paroid "
            "JOIN pg_catalog.pg_class r ON r.oid = p.parrelid "
            "LEFT JOIN pg_catalog.pg_class c ON c.oid = pr.parchildrelid "
            "LEFT JOIN pg_catalog.pg_tablespace t ON t.oid = c.reltablespace "
            "WHERE p.parrelid = ANY($1::pg_catalog.oid[]) "
            "ORDER BY p.parrelid, p.parlevel, pr.parruleord",
            1, params, &lp->rules);
    if (e)
        return error_prefix(e, "could not read partitions");
    meta_row_index(&lp->levels_ix, lp->levels, "parrelid");
    meta_row_index(&lp->rules_ix, lp->rules, "parrelid");
    int rows = result_rows(lp->rules);
    lp->members = xcalloc((size_t)rows + 1, sizeof(uint32_t));
    for (int i = 0; i < rows; i++) {
        uint32_t child = row_oid(lp->rules, i, "parchildrelid");
        if (child)
            lp->members[lp->nmembers++] = child;
    }
    qsort(lp->members, lp->nmembers, sizeof(uint32_t), cmp_u32);
    return NULL;
}

static void legacy_parts_free(LegacyParts *lp)
{
    result_free(lp->levels);
    result_free(lp->rules);
    meta_row_index_free(&lp->levels_ix);
    meta_row_index_free(&lp->rules_ix);
    free(lp->members);
    memset(lp, 0, sizeof *lp);
}

static int cmp_entry(const void *a, const void *b)
{
    return cmp_u32(&((const GpTableEntry *)a)->oid, &((const GpTableEntry *)b)->oid);
}

static int cmp_encoding(const void *a, const void *b)
{
    const GpEncodingEntry *x = a, *y = b;
    if (x->oid != y->oid)
        return x->oid < y->oid ? -1 : 1;
    return (x->attnum > y->attnum) - (x->attnum < y->attnum);
}

static Error *load_encodings(MetaContext *ctx, const char *oids, const uint32_t *column_tables,
                             size_t ncolumn_tables, GpTableStorage *gs)
{
    if (ncolumn_tables == 0)
        return NULL;
    const char *params[1] = {oids};
    Result *r;
    Error *e = conn_query_params(ctx->conn,
                                 "SELECT e.attrelid, e.attnum, "
                                 "       e.attoptions::pg_catalog.text AS attoptions "
                                 "FROM pg_catalog.pg_attribute_encoding e "
                                 "WHERE e.attrelid = ANY($1::pg_catalog.oid[]) "
                                 "  AND e.attoptions IS NOT NULL "
                                 "ORDER BY e.attrelid, e.attnum",
                                 1, params, &r);
    if (e)
        return error_prefix(e, "could not read column encodings");
    int rows = result_rows(r);
    gs->encodings = xcalloc((size_t)rows + 1, sizeof(GpEncodingEntry));
    for (int i = 0; i < rows; i++) {
        uint32_t oid = row_oid(r, i, "attrelid");
        /* ENCODING is refused on anything but column-oriented tables */
        if (!bsearch(&oid, column_tables, ncolumn_tables, sizeof(uint32_t), cmp_u32))
            continue;
        StrList items = {0};
        gp_ddl_parse_text_array(result_str(r, i, "attoptions"), &items);
        GpEncodingEntry *en = &gs->encodings[gs->nencodings++];
        en->oid = oid;
        en->attnum = (int)result_int(r, i, "attnum");
        en->text = gp_ddl_column_encoding((const char *const *)items.items, items.n);
        strlist_free(&items);
    }
    result_free(r);
    qsort(gs->encodings, gs->nencodings, sizeof(GpEncodingEntry), cmp_encoding);
    return NULL;
}

Error *gp_load_table_storage(MetaContext *ctx, GpTableStorage **out)
{
    *out = NULL;
    if (!ctx->server || ctx->server->flavor == SERVER_POSTGRES)
        return NULL;
    bool gp7 = gp_catalog_is_gp7(ctx->server);
    GpTableStorage *gs = xcalloc(1, sizeof *gs);
    if (!ctx->tables || ctx->tables->n == 0) {
        *out = gs;
        return NULL;
    }
    char *oids = catalog_oid_array(ctx->tables);
    const char *params[1] = {oids};
    DistSet ds = {0};
    LegacyParts lp = {0};
    Result *r = NULL;
    Pool pool = {0};
    uint32_t *column_tables = NULL;
    size_t ncolumn_tables = 0;
    Error *e = load_distribution(ctx, oids, &ds);
    if (!e && !gp7)
        e = load_legacy_partitions(ctx, oids, &lp);
    if (!e)
        e = conn_query_params(
            ctx->conn,
            gp7 ? "SELECT c.oid, c.reloptions::pg_catalog.text AS reloptions, t.spcname, "
                  "       am.amname, ao.relid AS aorelid, ao.compresstype, ao.compresslevel, "
                  "       ao.blocksize, ao.checksum, i.inhparent AS parent "
                  "FROM pg_catalog.pg_class c "
                  "LEFT JOIN pg_catalog.pg_tablespace t ON t.oid = c.reltablespace "
                  "LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam "
                  "LEFT JOIN pg_catalog.pg_appendonly ao ON ao.relid = c.oid "
                  "LEFT JOIN pg_catalog.pg_inherits i ON c.relispartition AND i.inhrelid = c.oid "
                  "WHERE c.oid = ANY($1::pg_catalog.oid[]) ORDER BY c.oid"
                : "SELECT c.oid, c.relstorage, c.reloptions::pg_catalog.text AS reloptions, "
                  "       t.spcname, ao.relid AS aorelid, ao.compresstype, ao.compresslevel, "
                  "       ao.blocksize, ao.checksum, NULL::pg_catalog.oid AS parent "
                  "FROM pg_catalog.pg_class c "
                  "LEFT JOIN pg_catalog.pg_tablespace t ON t.oid = c.reltablespace "
                  "LEFT JOIN pg_catalog.pg_appendonly ao ON ao.relid = c.oid "
                  "WHERE c.oid = ANY($1::pg_catalog.oid[]) ORDER BY c.oid",
            1, params, &r);
    if (e)
        goto done;
    int rows = result_rows(r);
    gs->tables = xcalloc((size_t)rows + 1, sizeof(GpTableEntry));
    column_tables = xcalloc((size_t)rows + 1, sizeof(uint32_t));
    for (int i = 0; i < rows; i++) {
        uint32_t oid = row_oid(r, i, "oid");
        GpTableEntry *te = &gs->tables[gs->ntables++];
        te->oid = oid;
        if (!gp7) {
            char st = result_str(r, i, "relstorage")[0];
            if (st == 'x' || bsearch(&oid, lp.members, lp.nmembers, sizeof(uint32_t), cmp_u32)) {
                te->skip = true;
                te->clause = xstrdup("");
                continue;
            }
            if (st == 'c')
                column_tables[ncolumn_tables++] = oid;
        } else if (!result_isnull(r, i, "amname") &&
                   strcmp(result_str(r, i, "amname"), "ao_column") == 0) {
            column_tables[ncolumn_tables++] = oid;
        }
        GpStorage st;
        fill_storage(ctx, r, i, &st, &pool);
        GpTableDef def = {0};
        def.storage = &st;
        if (!result_isnull(r, i, "spcname"))
            def.tablespace = keep(&pool, conn_quote_ident(ctx->conn, result_str(r, i, "spcname")));
        def.dist = dist_find(&ds, oid);
        /* A GP7 partition takes its parent's policy; say it only when it
         * differs. */
        if (def.dist && !result_isnull(r, i, "parent")) {
            const GpDistribution *pd = dist_find(&ds, row_oid(r, i, "parent"));
            if (pd) {
                char *a = gp_ddl_distribution(ctx->server, def.dist);
                char *b = gp_ddl_distribution(ctx->server, pd);
                if (strcmp(a, b) == 0)
                    def.dist = NULL;
                free(a);
                free(b);
            }
        }
        char *partdef = NULL;
        if (!gp7) {
            int nl, nr;
            int lb = meta_row_find(&lp.levels_ix, oid, &nl);
            int rb = meta_row_find(&lp.rules_ix, oid, &nr);
            if (lb >= 0)
                partdef = partition_clause(ctx, lp.levels, lb, lb + nl, lp.rules,
                                           rb >= 0 ? rb : 0, rb >= 0 ? rb + nr : 0, &pool);
        }
        def.partition_def = partdef;
        te->clause = gp_ddl_table_clause(ctx->server, &def);
        free(partdef);
    }
    qsort(gs->tables, gs->ntables, sizeof(GpTableEntry), cmp_entry);
    qsort(column_tables, ncolumn_tables, sizeof(uint32_t), cmp_u32);
    e = load_encodings(ctx, oids, column_tables, ncolumn_tables, gs);
done:
    result_free(r);
    dist_set_free(&ds);
    legacy_parts_free(&lp);
    pool_free(&pool);
    free(column_tables);
    free(oids);
    if (e) {
        gp_table_storage_free(gs);
        return e;
    }
    *out = gs;
    return NULL;
}

static const GpTableEntry *entry_find(const GpTableStorage *gs, uint32_t oid)
{
    if (!gs)
        return NULL;
    GpTableEntry key = {oid, NULL, false};
    return bsearch(&key, gs->tables, gs->ntables, sizeof(GpTableEntry), cmp_entry);
}

const char *gp_table_clause(const GpTableStorage *gs, uint32_t oid)
{
    const GpTableEntry *te = entry_find(gs, oid);
    return te ? te->clause : "";
}

const char *gp_column_encoding(const GpTableStorage *gs, uint32_t oid, int attnum)
{
    if (!gs || !gs->nencodings)
        return "";
    GpEncodingEntry key = {oid, attnum, NULL};
    const GpEncodingEntry *en =
        bsearch(&key, gs->encodings, gs->nencodings, sizeof(GpEncodingEntry), cmp_encoding);
    return en ? en->text : "";
}

bool gp_table_skip(const GpTableStorage *gs, uint32_t oid)
{
    const GpTableEntry *te = entry_find(gs, oid);
    return te && te->skip;
}

void gp_table_storage_free(GpTableStorage *gs)
{
    if (!gs)
        return;
    for (size_t i = 0; i < gs->ntables; i++)
        free(gs->tables[i].clause);
    for (size_t i = 0; i < gs->nencodings; i++)
        free(gs->encodings[i].text);
    free(gs->tables);
    free(gs->encodings);
    free(gs);
}

/* ---- resource queues ---- */

static Error *dump_resource_queues(MetaContext *ctx)
{
    Result *r;
    /* Costs rounded to two decimals, as pg_dumpall does. */
    Error *e = conn_query(
        ctx->conn,
        "SELECT q.oid, q.rsqname, "
        "       pg_catalog.round(q.rsqcountlimit::pg_catalog.numeric)::pg_catalog.text "
        "         AS active_statements, "
        "       pg_catalog.round(q.rsqcostlimit::pg_catalog.numeric, 2)::pg_catalog.text "
        "         AS max_cost, "
        "       q.rsqovercommit, "
        "       pg_catalog.round(q.rsqignorecostlimit::pg_catalog.numeric, 2)::pg_catalog.text "
        "         AS min_cost, "
        "       (SELECT c.ressetting::pg_catalog.text FROM pg_catalog.pg_resqueuecapability c "
        "        WHERE c.resqueueid = q.oid AND c.restypid = 5) AS priority, "
        "       (SELECT c.ressetting::pg_catalog.text FROM pg_catalog.pg_resqueuecapability c "
        "        WHERE c.resqueueid = q.oid AND c.restypid = 6) AS memory_limit, "
        "       pg_catalog.shobj_description(q.oid, 'pg_resqueue') AS comment "
        "FROM pg_catalog.pg_resqueue q ORDER BY q.oid",
        &r);
    if (e)
        return error_prefix(e, "could not read resource queues");
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < result_rows(r); i++) {
        const char *name = result_str(r, i, "rsqname");
        char *q = conn_quote_ident(ctx->conn, name);
        const char *mem = nullable(r, i, "memory_limit");
        char *memq = mem && strcmp(mem, "-1") != 0 ? conn_quote_literal(ctx->conn, mem) : NULL;
        GpResQueue rq = {q,
                         result_str(r, i, "active_statements"),
                         result_str(r, i, "max_cost"),
                         result_bool(r, i, "rsqovercommit"),
                         result_str(r, i, "min_cost"),
                         nullable(r, i, "priority"),
                         memq};
        char *sql = gp_ddl_resource_queue(&rq);
        sb_reset(&sb);
        if (sql)
            sb_append(&sb, sql);
        char *what = xasprintf("RESOURCE QUEUE %s", q);
        meta_append_comment(ctx, &sb, what, nullable(r, i, "comment"));
        if (sb.len)
            meta_emit(ctx, TOC_GLOBAL, "", name, "RESOURCE QUEUE", "", sb.data);
        free(what);
        free(sql);
        free(memq);
        free(q);
    }
    sb_free(&sb);
    result_free(r);
    return NULL;
}

/* ---- resource groups ---- */

static Error *dump_resource_groups(MetaContext *ctx)
{
    bool gp7 = gp_catalog_is_gp7(ctx->server);
    Result *r;
    /* pg_resgroupcapability holds one row per limit type; the numbering
     * changed with Greenplum 7. */
    Error *e = conn_query(
        ctx->conn,
        gp7 ? "SELECT g.oid, g.rsgname, "
              "  max(CASE WHEN c.reslimittype = 1 THEN c.value::pg_catalog.text END) AS concurrency, "
              "  max(CASE WHEN c.reslimittype = 2 THEN c.value::pg_catalog.text END) AS cpu, "
              "  max(CASE WHEN c.reslimittype = 3 THEN c.value::pg_catalog.text END) AS cpu_weight, "
              "  max(CASE WHEN c.reslimittype = 4 THEN c.value::pg_catalog.text END) AS cpuset, "
              "  max(CASE WHEN c.reslimittype = 5 THEN c.value::pg_catalog.text END) AS memory, "
              "  max(CASE WHEN c.reslimittype = 6 THEN c.value::pg_catalog.text END) AS min_cost, "
              "  max(CASE WHEN c.reslimittype = 7 THEN c.value::pg_catalog.text END) AS io_limit, "
              "  NULL::pg_catalog.text AS memory_shared_quota, "
              "  NULL::pg_catalog.text AS memory_spill_ratio, "
              "  NULL::pg_catalog.text AS memory_auditor, "
              "  pg_catalog.shobj_description(g.oid, 'pg_resgroup') AS comment "
              "FROM pg_catalog.pg_resgroup g "
              "LEFT JOIN pg_catalog.pg_resgroupcapability c ON c.resgroupid = g.oid "
              "GROUP BY g.oid, g.rsgname ORDER BY g.oid"
            : "SELECT g.oid, g.rsgname, "
              "  max(CASE WHEN c.reslimittype = 1 THEN c.value::pg_catalog.text END) AS concurrency, "
              "  max(CASE WHEN c.reslimittype = 2 THEN c.value::pg_catalog.text END) AS cpu, "
              "  max(CASE WHEN c.reslimittype = 3 THEN c.value::pg_catalog.text END) AS memory, "
              "  max(CASE WHEN c.reslimittype = 4 THEN c.value::pg_catalog.text END) "
              "    AS memory_shared_quota, "
              "  max(CASE WHEN c.reslimittype = 5 THEN c.value::pg_catalog.text END) "
              "    AS memory_spill_ratio, "
              "  max(CASE WHEN c.reslimittype = 6 THEN c.value::pg_catalog.text END) "
              "    AS memory_auditor, "
              "  max(CASE WHEN c.reslimittype = 7 THEN c.value::pg_catalog.text END) AS cpuset, "
              "  NULL::pg_catalog.text AS cpu_weight, NULL::pg_catalog.text AS min_cost, "
              "  NULL::pg_catalog.text AS io_limit, "
              "  pg_catalog.shobj_description(g.oid, 'pg_resgroup') AS comment "
              "FROM pg_catalog.pg_resgroup g "
              "LEFT JOIN pg_catalog.pg_resgroupcapability c ON c.resgroupid = g.oid "
              "GROUP BY g.oid, g.rsgname ORDER BY g.oid",
        &r);
    if (e)
        return error_prefix(e, "could not read resource groups");
    int rows = result_rows(r);
    if (rows == 0) {
        result_free(r);
        return NULL;
    }
    char *reset = gp_ddl_resource_group_reset(ctx->server);
    if (reset)
        meta_emit(ctx, TOC_GLOBAL, "", "admin_group", "RESOURCE GROUP", "", reset);
    free(reset);
    StrBuf sb;
    sb_init(&sb);
    /* Created groups first, the built-in ones (altered) after, so that on
     * GP6 their shares grow back only once the others exist. */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < rows; i++) {
            const char *name = result_str(r, i, "rsgname");
            char *q = conn_quote_ident(ctx->conn, name);
            bool builtin = strcmp(name, "default_group") == 0 ||
                           strcmp(name, "admin_group") == 0 ||
                           (gp7 && strcmp(name, "system_group") == 0);
            if (builtin != (pass == 1)) {
                free(q);
                continue;
            }
            const char *cpuset = nullable(r, i, "cpuset");
            const char *io = nullable(r, i, "io_limit");
            char *cpusetq = cpuset && strcmp(cpuset, "-1") != 0 && *cpuset
                                ? conn_quote_literal(ctx->conn, cpuset)
                                : NULL;
            char *ioq = io && *io && strcmp(io, "-1") != 0 ? conn_quote_literal(ctx->conn, io)
                                                          : NULL;
            GpResGroup g = {q,
                            nullable(r, i, "concurrency"),
                            nullable(r, i, "cpu"),
                            cpusetq,
                            nullable(r, i, "cpu_weight"),
                            nullable(r, i, "memory"),
                            nullable(r, i, "memory_shared_quota"),
                            nullable(r, i, "memory_spill_ratio"),
                            nullable(r, i, "memory_auditor"),
                            nullable(r, i, "min_cost"),
                            ioq};
            char *sql = gp_ddl_resource_group(ctx->server, &g);
            sb_reset(&sb);
            if (sql)
                sb_append(&sb, sql);
            char *what = xasprintf("RESOURCE GROUP %s", q);
            meta_append_comment(ctx, &sb, what, nullable(r, i, "comment"));
            if (sb.len)
                meta_emit(ctx, TOC_GLOBAL, "", name, "RESOURCE GROUP", "", sb.data);
            free(what);
            free(sql);
            free(cpusetq);
            free(ioq);
            free(q);
        }
    }
    sb_free(&sb);
    result_free(r);
    return NULL;
}

/* A role's queue and group, written here rather than with the role: the
 * roles come first among the globals, the queues and groups after them. */
static Error *dump_role_resources(MetaContext *ctx)
{
    Result *r;
    Error *e = conn_query(ctx->conn,
                          "SELECT r.rolname, q.rsqname, g.rsgname "
                          "FROM pg_catalog.pg_roles r "
                          "LEFT JOIN pg_catalog.pg_resqueue q ON q.oid = r.rolresqueue "
                          "LEFT JOIN pg_catalog.pg_resgroup g ON g.oid = r.rolresgroup "
                          "WHERE r.rolname !~ '^pg_' "
                          "  AND (q.rsqname IS NOT NULL OR g.rsgname IS NOT NULL) "
                          "ORDER BY r.rolname",
                          &r);
    if (e)
        return error_prefix(e, "could not read the resource queues and groups of roles");
    for (int i = 0; i < result_rows(r); i++) {
        const char *name = result_str(r, i, "rolname");
        char *role = conn_quote_ident(ctx->conn, name);
        char *queue = result_isnull(r, i, "rsqname")
                          ? NULL
                          : conn_quote_ident(ctx->conn, result_str(r, i, "rsqname"));
        char *group = result_isnull(r, i, "rsgname")
                          ? NULL
                          : conn_quote_ident(ctx->conn, result_str(r, i, "rsgname"));
        char *sql = gp_ddl_role_resources(role, queue, group);
        if (sql)
            meta_emit(ctx, TOC_GLOBAL, "", name, "ROLE RESOURCES", "", sql);
        free(sql);
        free(role);
        free(queue);
        free(group);
    }
    result_free(r);
    return NULL;
}

/* ---- external tables ---- */

static Error *dump_external_tables(MetaContext *ctx)
{
    bool gp7 = gp_catalog_is_gp7(ctx->server);
    Result *r;
    /* GP6 keeps external tables in pg_exttable; GP7 and Cloudberry make
     * them foreign tables of gp_exttable_fdw, their definition in ftoptions.
     * GP6 external partitions (exchanged into a legacy partitioned table)
     * are left out. */
    Error *e = conn_query(
        ctx->conn,
        gp7 ? "SELECT c.oid, n.nspname, c.relname, "
              "       pg_catalog.pg_get_userbyid(c.relowner) AS owner, "
              "       pg_catalog.obj_description(c.oid, 'pg_class') AS comment, "
              "       ft.ftoptions::pg_catalog.text AS ftoptions, "
              "       (SELECT pg_catalog.pg_encoding_to_char("
              "                 pg_catalog.substr(o, 10)::pg_catalog.int4) "
              "        FROM pg_catalog.unnest(ft.ftoptions) o WHERE o LIKE 'encoding=%') "
              "         AS encoding, "
              "       pi.inhparent AS parent, "
              "       CASE WHEN c.relispartition "
              "            THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS bound, "
              "       pn.nspname AS parent_schema, pc.relname AS parent_name "
              "FROM pg_catalog.pg_foreign_table ft "
              "JOIN pg_catalog.pg_class c ON c.oid = ft.ftrelid "
              "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
              "JOIN pg_catalog.pg_foreign_server s ON s.oid = ft.ftserver "
              "JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw "
              "LEFT JOIN pg_catalog.pg_inherits pi ON c.relispartition AND pi.inhrelid = c.oid "
              "LEFT JOIN pg_catalog.pg_class pc ON pc.oid = pi.inhparent "
              "LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace "
              "WHERE w.fdwname = 'gp_exttable_fdw' AND " GP_USER_SCHEMA("n.nspname")
              " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
              "   WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "
              "   AND d.objid = c.oid AND d.deptype = 'e') "
              "ORDER BY c.oid"
            : "SELECT c.oid, n.nspname, c.relname, "
              "       pg_catalog.pg_get_userbyid(c.relowner) AS owner, "
              "       pg_catalog.obj_description(c.oid, 'pg_class') AS comment, "
              "       e.urilocation::pg_catalog.text AS urilocation, "
              "       pg_catalog.array_to_string(e.execlocation, ',') AS execlocation, "
              "       e.fmttype, e.fmtopts, e.command, e.rejectlimit, e.rejectlimittype, "
              "       e.logerrors, e.options::pg_catalog.text AS options, "
              "       pg_catalog.pg_encoding_to_char(e.encoding) AS encoding, e.writable "
              "FROM pg_catalog.pg_exttable e "
              "JOIN pg_catalog.pg_class c ON c.oid = e.reloid "
              "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
              "WHERE " GP_USER_SCHEMA("n.nspname")
              " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
              "   WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "
              "   AND d.objid = c.oid AND d.deptype = 'e') "
              " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_partition_rule pr "
              "   WHERE pr.parchildrelid = c.oid) "
              "ORDER BY c.oid",
        &r);
    if (e)
        return error_prefix(e, "could not read external tables");
    int rows = result_rows(r);
    uint32_t *oids = xcalloc((size_t)rows + 1, sizeof(uint32_t));
    size_t noids = 0;
    for (int i = 0; i < rows; i++) {
        const char *schema = result_str(r, i, "nspname");
        if (meta_keep_schema(ctx, schema) &&
            filter_keeps_table(ctx->filter, schema, result_str(r, i, "relname")))
            oids[noids++] = row_oid(r, i, "oid");
    }
    if (noids == 0) {
        free(oids);
        result_free(r);
        return NULL;
    }
    char *arr = oid_array(oids, noids);
    const char *params[1] = {arr};
    Result *cols = NULL;
    DistSet ds = {0};
    AclSet *acls = NULL;
    RowIndex cols_ix = {0};
    e = conn_query_params(ctx->conn,
                          "SELECT a.attrelid, a.attname, "
                          "       pg_catalog.format_type(a.atttypid, a.atttypmod) AS type "
                          "FROM pg_catalog.pg_attribute a "
                          "WHERE a.attrelid = ANY($1::pg_catalog.oid[]) "
                          "  AND a.attnum > 0 AND NOT a.attisdropped "
                          "ORDER BY a.attrelid, a.attnum",
                          1, params, &cols);
    if (!e)
        e = load_distribution(ctx, arr, &ds);
    if (!e)
        e = meta_acl_load(ctx, "pg_catalog.pg_class", "o.oid", "relacl", "o.relowner", 'r',
                          gp7 ? "o.relkind = 'f'" : "o.relstorage = 'x'", &acls);
    if (e) {
        e = error_prefix(e, "could not read external tables");
        goto done;
    }
    meta_row_index(&cols_ix, cols, "attrelid");
    StrBuf sb;
    sb_init(&sb);
    size_t next = 0;
    for (int i = 0; i < rows && next < noids; i++) {
        uint32_t oid = row_oid(r, i, "oid");
        if (oid != oids[next])
            continue;
        next++;
        const char *schema = result_str(r, i, "nspname");
        const char *name = result_str(r, i, "relname");
        Pool pool = {0};
        GpExtTable t = {0};
        t.qualified = keep(&pool, conn_quote_qualified(ctx->conn, schema, name));
        int ncols;
        int c0 = meta_row_find(&cols_ix, oid, &ncols);
        const char **colnames = xcalloc((size_t)(ncols > 0 ? ncols : 0) + 1, sizeof(char *));
        const char **coltypes = xcalloc((size_t)(ncols > 0 ? ncols : 0) + 1, sizeof(char *));
        for (int k = 0; k < ncols; k++) {
            colnames[k] =
                keep(&pool, conn_quote_ident(ctx->conn, result_str(cols, c0 + k, "attname")));
            coltypes[k] = result_str(cols, c0 + k, "type");
        }
        t.ncolumns = (size_t)(ncols > 0 ? ncols : 0);
        t.colnames = colnames;
        t.coltypes = coltypes;

        StrList locations = {0}, optlist = {0};
        GpFmtTokens tokens = {0};
        GpExtOptions xo = {0};
        const char *execloc = NULL;
        GpOption *opts = NULL;
        size_t nopts = 0;
        if (gp7) {
            StrList items = {0};
            gp_ddl_parse_text_array(result_str(r, i, "ftoptions"), &items);
            gp_ddl_split_ftoptions((const char *const *)items.items, items.n, &xo);
            strlist_free(&items);
            for (size_t k = 0; k < xo.locations.n; k++)
                strlist_push(&locations, xo.locations.items[k]);
            t.fmttype = xo.fmttype;
            tokens = xo.fmt;
            memset(&xo.fmt, 0, sizeof xo.fmt);
            t.writable = xo.writable;
            if (xo.command)
                t.command = keep(&pool, conn_quote_literal(ctx->conn, xo.command));
            execloc = xo.execute_on;
            t.log_errors = xo.log_errors == 't' || xo.log_errors == 'p';
            t.log_persistently = xo.log_errors == 'p';
            t.reject_limit = xo.reject_limit;
            t.reject_limit_type = xo.reject_limit_type;
            opts = xcalloc(xo.option_names.n + 1, sizeof(GpOption));
            for (size_t k = 0; k < xo.option_names.n; k++) {
                opts[nopts].name =
                    keep(&pool, conn_quote_ident(ctx->conn, xo.option_names.items[k]));
                opts[nopts++].value =
                    keep(&pool, conn_quote_literal(ctx->conn, xo.option_values.items[k]));
            }
        } else {
            if (!result_isnull(r, i, "urilocation"))
                gp_ddl_parse_text_array(result_str(r, i, "urilocation"), &locations);
            t.fmttype = result_str(r, i, "fmttype")[0];
            gp_ddl_split_fmtopts(nullable(r, i, "fmtopts"), &tokens);
            t.writable = result_bool(r, i, "writable");
            if (!result_isnull(r, i, "command"))
                t.command = keep(&pool, conn_quote_literal(ctx->conn, result_str(r, i, "command")));
            execloc = nullable(r, i, "execlocation");
            t.log_errors = result_bool(r, i, "logerrors");
            t.reject_limit =
                result_isnull(r, i, "rejectlimit") ? 0 : (int)result_int(r, i, "rejectlimit");
            t.reject_limit_type = result_isnull(r, i, "rejectlimittype")
                                      ? 'r'
                                      : result_str(r, i, "rejectlimittype")[0];
            /* pg_exttable.options: "name=value" items of OPTIONS, and
             * LOG ERRORS PERSISTENTLY as error_log_persistent=true */
            if (!result_isnull(r, i, "options"))
                gp_ddl_parse_text_array(result_str(r, i, "options"), &optlist);
            opts = xcalloc(optlist.n + 1, sizeof(GpOption));
            for (size_t k = 0; k < optlist.n; k++) {
                const char *item = optlist.items[k];
                if (strcmp(item, "error_log_persistent=true") == 0) {
                    t.log_persistently = true;
                    continue;
                }
                const char *eq = strchr(item, '=');
                char *key = eq ? xstrndup(item, (size_t)(eq - item)) : xstrdup(item);
                opts[nopts].name = keep(&pool, conn_quote_ident(ctx->conn, key));
                opts[nopts++].value = keep(&pool, conn_quote_literal(ctx->conn, eq ? eq + 1 : ""));
                free(key);
            }
        }
        const char **locq = xcalloc(locations.n + 1, sizeof(char *));
        for (size_t k = 0; k < locations.n; k++)
            locq[k] = keep(&pool, conn_quote_literal(ctx->conn, locations.items[k]));
        t.nlocations = locations.n;
        t.locations = locq;
        /* Web tables run a command or read http(s) locations. */
        t.web = t.command || (locations.n && strncmp(locations.items[0], "http", 4) == 0);
        char *arg = NULL;
        if (!gp_ddl_parse_exec_location(execloc, &t.exec_on, &arg))
            log_warning("external table %s: unknown execution location \"%s\"", t.qualified,
                        execloc);
        if (arg)
            t.exec_arg = t.exec_on == GP_EXEC_HOST ? keep(&pool, conn_quote_literal(ctx->conn, arg))
                                                   : keep(&pool, xstrdup(arg));
        free(arg);
        const char **fmt = xcalloc(tokens.n + 1, sizeof(char *));
        for (size_t k = 0; k < tokens.n; k++)
            fmt[k] = tokens.literal[k] ? keep(&pool, conn_quote_literal(ctx->conn, tokens.text[k]))
                                       : tokens.text[k];
        t.nfmt = tokens.n;
        t.fmt = fmt;
        t.noptions = nopts;
        t.options = opts;
        if (!result_isnull(r, i, "encoding"))
            t.encoding = keep(&pool, conn_quote_literal(ctx->conn, result_str(r, i, "encoding")));
        if (t.writable)
            t.dist = dist_find(&ds, oid);

        char *sql = gp_ddl_external_table(ctx->server, &t);
        sb_reset(&sb);
        sb_append(&sb, sql);
        free(sql);
        const char *kind = gp7 ? "FOREIGN TABLE" : "TABLE";
        char *parent = NULL;
        if (gp7 && !result_isnull(r, i, "bound")) {
            parent = conn_quote_qualified(ctx->conn, result_str(r, i, "parent_schema"),
                                          result_str(r, i, "parent_name"));
            sb_printf(&sb, "ALTER TABLE ONLY %s ATTACH PARTITION %s %s;\n", parent, t.qualified,
                      result_str(r, i, "bound"));
        }
        meta_append_owner(ctx, &sb, kind, t.qualified, result_str(r, i, "owner"));
        char *what = xasprintf("%s %s", kind, t.qualified);
        meta_append_comment(ctx, &sb, what, nullable(r, i, "comment"));
        free(what);
        meta_acl_append(ctx, &sb, acls, result_str(r, i, "oid"), "TABLE", t.qualified, NULL);
        uint32_t id = meta_emit_obj(ctx, TOC_PREDATA, schema, name, "EXTERNAL TABLE", "", sb.data,
                                    "pg_class", oid);
        if (parent)
            meta_depend_on(ctx, id, "pg_class", row_oid(r, i, "parent"));
        free(parent);
        free(colnames);
        free(coltypes);
        free(locq);
        free(fmt);
        free(opts);
        strlist_free(&locations);
        strlist_free(&optlist);
        gp_fmt_tokens_free(&tokens);
        gp_ext_options_free(&xo);
        pool_free(&pool);
    }
    sb_free(&sb);
done:
    meta_row_index_free(&cols_ix);
    meta_acl_free(acls);
    dist_set_free(&ds);
    result_free(cols);
    free(arr);
    free(oids);
    result_free(r);
    return e;
}

static Error *dump_meta_gp_objects(MetaContext *ctx)
{
    if (!ctx->server || ctx->server->flavor == SERVER_POSTGRES || ctx->values_only)
        return NULL;
    Error *e = dump_resource_queues(ctx);
    if (!e)
        e = dump_resource_groups(ctx);
    if (!e)
        e = dump_role_resources(ctx);
    if (!e)
        e = dump_external_tables(ctx);
    return e;
}

const MetaType meta_gp_objects = {"gp objects", dump_meta_gp_objects};
