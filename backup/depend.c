/* Ordering the metadata by dependencies. Every entry that creates a catalog
 * object is keyed by (catalog, oid). One query reads pg_depend for all user
 * objects: "normal" rows become dependencies between entries; internal,
 * extension and automatic rows tell which entry stands for an object that
 * has none of its own (a view's rewrite rule stands for the view, an array
 * type for its element type, a column default or a CHECK constraint for its
 * table, an extension's member for the extension). Each section is then
 * sorted topologically, ties kept in emission order. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metadata.h"

/* Catalogs that objects can live in; the index is the code used in keys. */
static const char *const catalogs[] = {
    "pg_class", "pg_type", "pg_proc", "pg_namespace", "pg_constraint", "pg_rewrite",
    "pg_attrdef", "pg_trigger", "pg_collation", "pg_operator", "pg_opclass", "pg_opfamily",
    "pg_cast", "pg_language", "pg_extension", "pg_ts_config", "pg_ts_dict", "pg_ts_parser",
    "pg_ts_template", "pg_conversion", "pg_foreign_data_wrapper", "pg_foreign_server",
    "pg_user_mapping", "pg_policy", "pg_event_trigger", "pg_publication", "pg_publication_rel",
    "pg_subscription", "pg_statistic_ext", "pg_am", "pg_transform", "pg_default_acl",
    "pg_publication_namespace", "pg_amop", "pg_amproc", "pg_database", "pg_authid",
    "pg_tablespace",
};
#define NCATALOGS (sizeof catalogs / sizeof catalogs[0])

static int catalog_code(const char *name)
{
    if (!name)
        return -1;
    for (size_t i = 0; i < NCATALOGS; i++)
        if (strcmp(catalogs[i], name) == 0)
            return (int)i;
    return -1;
}

static uint64_t make_key(int code, uint32_t objid, int sub)
{
    return ((uint64_t)(code + 1) << 40) | ((uint64_t)sub << 32) | objid;
}

/* An open-addressing map from keys to ints. */
typedef struct KeyMap {
    uint64_t *keys;
    long *vals;
    size_t cap;
} KeyMap;

static void map_init(KeyMap *m, size_t n)
{
    m->cap = 64;
    while (m->cap < n * 2 + 16)
        m->cap *= 2;
    m->keys = xcalloc(m->cap, sizeof(uint64_t));
    m->vals = xcalloc(m->cap, sizeof(long));
}

static size_t map_slot(const KeyMap *m, uint64_t key)
{
    uint64_t h = key * 0x9E3779B97F4A7C15ULL;
    size_t i = (size_t)(h >> 17) & (m->cap - 1);
    while (m->keys[i] && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    return i;
}

/* Maps are sized for their content up front (map_init), so they never
 * fill: at most half of the slots are used. */
static void map_put(KeyMap *m, uint64_t key, long val)
{
    size_t i = map_slot(m, key);
    m->keys[i] = key;
    m->vals[i] = val;
}

static bool map_get(const KeyMap *m, uint64_t key, long *val)
{
    size_t i = map_slot(m, key);
    if (!m->keys[i])
        return false;
    *val = m->vals[i];
    return true;
}

static void map_free(KeyMap *m)
{
    free(m->keys);
    free(m->vals);
}

typedef struct Node {
    TocSection section;
    size_t index;          /* in the section's array at emission */
    uint32_t dumpid;
    long *deps;            /* node numbers */
    size_t ndeps, capdeps;
} Node;

static void node_add_dep(Node *n, long dep)
{
    for (size_t i = 0; i < n->ndeps; i++)
        if (n->deps[i] == dep)
            return;
    if (n->ndeps == n->capdeps) {
        n->capdeps = n->capdeps ? n->capdeps * 2 : 4;
        n->deps = xrealloc(n->deps, n->capdeps * sizeof(long));
    }
    n->deps[n->ndeps++] = dep;
}

typedef struct Resolver {
    KeyMap entries;   /* key -> node */
    KeyMap aliases;   /* key -> key it stands for (as long) */
    KeyMap alias_rank;
} Resolver;

static long resolve(const Resolver *r, uint64_t key)
{
    for (int hop = 0; hop < 8; hop++) {
        long v;
        if (map_get(&r->entries, key, &v))
            return v;
        if (!map_get(&r->aliases, key, &v))
            return -1;
        key = (uint64_t)v;
    }
    return -1;
}

/* Among the entries that are ready, which goes first? In pre-data and
 * post-data: by the module that wrote them (registry order), then by name
 * (schema, name, type, owning object) of the entry or of the keyed entry it
 * travels with, then in emission order. Not by emission order alone, since
 * modules read the catalog in OID order and a restore creates objects in
 * another OID order: the TOC of a backup of a restored database would then
 * differ from the first one. Globals keep emission order. */
typedef struct SortCtx {
    const MetaContext *ctx;
    TocEntry *const *old;  /* the sections' arrays at emission */
} SortCtx;

static const TocEntry *key_entry(const SortCtx *sc, size_t k)
{
    const MetaKey *mk = &sc->ctx->keys[k];
    return &sc->old[mk->section][mk->index];
}

static int strcmp0(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

static int node_before(const SortCtx *sc, long x, long y)
{
    const MetaKey *a = &sc->ctx->keys[x], *b = &sc->ctx->keys[y];
    if (a->section != TOC_GLOBAL) {
        if (a->module != b->module)
            return a->module < b->module ? -1 : 1;
        const TocEntry *ea = key_entry(sc, a->anchor), *eb = key_entry(sc, b->anchor);
        int c = strcmp0(ea->schema, eb->schema);
        if (!c)
            c = strcmp0(ea->name, eb->name);
        if (!c)
            c = strcmp0(ea->objecttype, eb->objecttype);
        if (!c)
            c = strcmp0(ea->referenceobject, eb->referenceobject);
        if (c)
            return c;
        if (a->anchor != b->anchor)
            return a->anchor < b->anchor ? -1 : 1;
    }
    return x < y ? -1 : x > y;
}

typedef struct Heap {
    long *v;
    size_t n;
    const SortCtx *sc;
} Heap;

static void heap_swap(Heap *h, size_t i, size_t j)
{
    long t = h->v[i];
    h->v[i] = h->v[j];
    h->v[j] = t;
}

static void heap_push(Heap *h, long x)
{
    size_t i = h->n++;
    h->v[i] = x;
    while (i > 0 && node_before(h->sc, h->v[i], h->v[(i - 1) / 2]) < 0) {
        heap_swap(h, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static long heap_pop(Heap *h)
{
    long top = h->v[0];
    h->v[0] = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && node_before(h->sc, h->v[l], h->v[m]) < 0)
            m = l;
        if (r < h->n && node_before(h->sc, h->v[r], h->v[m]) < 0)
            m = r;
        if (m == i)
            break;
        heap_swap(h, i, m);
        i = m;
    }
    return top;
}

/* Topological order of the nodes of one section (Kahn's algorithm, ties in
 * emission order). A cycle cannot be ordered: its entries keep emission
 * order, with a warning. */
static size_t order_section(Node *nodes, size_t nnodes, TocSection sec, long *out,
                            const SortCtx *sc)
{
    size_t *pending = xcalloc(nnodes + 1, sizeof(size_t));
    long **dependents = xcalloc(nnodes + 1, sizeof(long *));
    size_t *ndependents = xcalloc(nnodes + 1, sizeof(size_t));
    size_t total = 0;
    for (size_t i = 0; i < nnodes; i++) {
        if (nodes[i].section != sec)
            continue;
        total++;
        for (size_t k = 0; k < nodes[i].ndeps; k++) {
            long d = nodes[i].deps[k];
            if (nodes[d].section != sec)
                continue;
            pending[i]++;
            dependents[d] = xrealloc(dependents[d], (ndependents[d] + 1) * sizeof(long));
            dependents[d][ndependents[d]++] = (long)i;
        }
    }
    Heap h = {xcalloc(nnodes + 1, sizeof(long)), 0, sc};
    bool *done = xcalloc(nnodes + 1, sizeof(bool));
    for (size_t i = 0; i < nnodes; i++)
        if (nodes[i].section == sec && pending[i] == 0)
            heap_push(&h, (long)i);
    size_t n = 0;
    while (n < total) {
        if (h.n == 0) {
            /* A cycle: release the earliest entry still waiting. */
            for (size_t i = 0; i < nnodes; i++) {
                if (nodes[i].section == sec && !done[i] && pending[i] > 0) {
                    log_warning("circular dependency among metadata objects: entry %u is "
                                "written before some of what it depends on",
                                nodes[i].dumpid);
                    pending[i] = 0;
                    heap_push(&h, (long)i);
                    break;
                }
            }
        }
        long x = heap_pop(&h);
        if (done[x])
            continue;
        done[x] = true;
        out[n++] = x;
        for (size_t k = 0; k < ndependents[x]; k++) {
            long y = dependents[x][k];
            if (!done[y] && pending[y] > 0 && --pending[y] == 0)
                heap_push(&h, y);
        }
    }
    for (size_t i = 0; i < nnodes; i++)
        free(dependents[i]);
    free(dependents);
    free(ndependents);
    free(pending);
    free(h.v);
    free(done);
    return n;
}

Error *metadata_order(MetaContext *ctx)
{
    size_t nn = ctx->nkeys;
    if (nn == 0)
        return NULL;
    Node *nodes = xcalloc(nn, sizeof(Node));
    Resolver r;
    map_init(&r.entries, nn);
    for (size_t i = 0; i < nn; i++) {
        const MetaKey *k = &ctx->keys[i];
        nodes[i].section = k->section;
        nodes[i].index = k->index;
        nodes[i].dumpid = ctx->toc->entries[k->section][k->index].dumpid;
        int code = catalog_code(k->catalog);
        if (code >= 0 && k->objid)
            map_put(&r.entries, make_key(code, k->objid, k->sub), (long)i);
    }

    Result *res;
    Error *e = conn_query(
        ctx->conn,
        "SELECT d.classid::pg_catalog.regclass::pg_catalog.text AS classid, d.objid, "
        "       d.refclassid::pg_catalog.regclass::pg_catalog.text AS refclassid, d.refobjid, "
        "       d.deptype "
        "FROM pg_catalog.pg_depend d "
        "WHERE d.objid >= 16384 AND d.refobjid >= 16384 AND d.deptype IN ('n', 'a', 'i', 'e')",
        &res);
    if (e) {
        map_free(&r.entries);
        free(nodes);
        return e;
    }
    int rows = result_rows(res);
    map_init(&r.aliases, (size_t)rows);
    map_init(&r.alias_rank, (size_t)rows);
    int c_cls = result_col(res, "classid"), c_obj = result_col(res, "objid");
    int c_rcls = result_col(res, "refclassid"), c_ref = result_col(res, "refobjid");
    int c_type = result_col(res, "deptype");
    /* Aliases first: internal beats extension beats automatic. */
    for (int i = 0; i < rows; i++) {
        char t = result_get(res, i, c_type)[0];
        if (t == 'n')
            continue;
        int a = catalog_code(result_get(res, i, c_cls));
        int b = catalog_code(result_get(res, i, c_rcls));
        if (a < 0 || b < 0)
            continue;
        uint64_t from = make_key(a, (uint32_t)strtoul(result_get(res, i, c_obj), NULL, 10), 0);
        uint64_t to = make_key(b, (uint32_t)strtoul(result_get(res, i, c_ref), NULL, 10), 0);
        long rank = t == 'i' ? 3 : t == 'e' ? 2 : 1, old;
        if (map_get(&r.alias_rank, from, &old) && old >= rank)
            continue;
        map_put(&r.alias_rank, from, rank);
        map_put(&r.aliases, from, (long)to);
    }
    for (int i = 0; i < rows; i++) {
        if (result_get(res, i, c_type)[0] != 'n')
            continue;
        int a = catalog_code(result_get(res, i, c_cls));
        int b = catalog_code(result_get(res, i, c_rcls));
        if (a < 0 || b < 0)
            continue;
        long x = resolve(&r, make_key(a, (uint32_t)strtoul(result_get(res, i, c_obj), NULL, 10), 0));
        long y = resolve(&r, make_key(b, (uint32_t)strtoul(result_get(res, i, c_ref), NULL, 10), 0));
        if (x >= 0 && y >= 0 && x != y)
            node_add_dep(&nodes[x], y);
    }
    result_free(res);

    /* Explicit dependencies declared by the modules. */
    KeyMap by_dumpid;
    map_init(&by_dumpid, nn);
    for (size_t i = 0; i < nn; i++)
        map_put(&by_dumpid, nodes[i].dumpid + 1, (long)i);
    for (size_t i = 0; i < ctx->nexplicit; i++) {
        const MetaExplicitDep *d = &ctx->explicit_deps[i];
        long x, y = resolve(&r, make_key(catalog_code(d->catalog), d->objid, 0));
        if (catalog_code(d->catalog) >= 0 && map_get(&by_dumpid, d->dumpid + 1, &x) && y >= 0 &&
            x != y)
            node_add_dep(&nodes[x], y);
    }
    /* The data of an object (a REFRESH) comes after the object and after
     * the data of the objects it reads. */
    for (size_t i = 0; i < nn; i++) {
        const MetaKey *k = &ctx->keys[i];
        int code = catalog_code(k->catalog);
        if (k->sub != META_SUB_DATA || code < 0)
            continue;
        long create;
        if (!map_get(&r.entries, make_key(code, k->objid, 0), &create))
            continue;
        node_add_dep(&nodes[i], create);
        for (size_t j = 0; j < nodes[create].ndeps; j++) {
            const MetaKey *dk = &ctx->keys[nodes[create].deps[j]];
            int dc = catalog_code(dk->catalog);
            long data;
            if (dc >= 0 && map_get(&r.entries, make_key(dc, dk->objid, META_SUB_DATA), &data))
                node_add_dep(&nodes[i], data);
        }
    }
    map_free(&by_dumpid);
    map_free(&r.entries);
    map_free(&r.aliases);
    map_free(&r.alias_rank);

    /* A pre-data entry cannot wait for post-data: what it needs moves up
     * (a view that relies on a primary key for GROUP BY needs that key). */
    bool moved = true;
    while (moved) {
        moved = false;
        for (size_t i = 0; i < nn; i++) {
            if (nodes[i].section != TOC_PREDATA)
                continue;
            for (size_t k = 0; k < nodes[i].ndeps; k++) {
                Node *d = &nodes[nodes[i].deps[k]];
                if (d->section == TOC_POSTDATA) {
                    d->section = TOC_PREDATA;
                    moved = true;
                }
            }
        }
    }

    /* Record the dependencies and rebuild each section in order. */
    long *order = xcalloc(nn, sizeof(long));
    TocEntry *old[TOC_NSECTIONS];
    for (int s = 0; s < TOC_NSECTIONS; s++)
        old[s] = ctx->toc->entries[s];
    for (size_t i = 0; i < nn; i++) {
        TocEntry *te = &old[ctx->keys[i].section][nodes[i].index];
        for (size_t k = 0; k < nodes[i].ndeps; k++)
            toc_add_dependency(te, nodes[nodes[i].deps[k]].dumpid);
    }
    SortCtx sc = {ctx, old};
    for (int s = 0; s < TOC_NSECTIONS; s++) {
        size_t n = order_section(nodes, nn, (TocSection)s, order, &sc);
        TocEntry *arr = xcalloc(n + 1, sizeof(TocEntry));
        for (size_t j = 0; j < n; j++)
            arr[j] = old[ctx->keys[order[j]].section][nodes[order[j]].index];
        ctx->toc->entries[s] = arr;
        ctx->toc->nentries[s] = n;
        ctx->toc->capentries[s] = n + 1;
    }
    for (int s = 0; s < TOC_NSECTIONS; s++)
        free(old[s]);
    /* The metadata file follows the TOC's order too, so that two backups of
     * equal databases have equal files whatever the OIDs. */
    StrBuf sql;
    sb_init(&sql);
    for (int s = 0; s < TOC_NSECTIONS; s++) {
        for (size_t j = 0; j < ctx->toc->nentries[s]; j++) {
            TocEntry *te = &ctx->toc->entries[s][j];
            uint64_t start = sql.len;
            sb_append_len(&sql, ctx->sql.data + te->startbyte, (size_t)(te->endbyte - te->startbyte));
            te->startbyte = start;
            te->endbyte = sql.len;
        }
    }
    sb_free(&ctx->sql);
    ctx->sql = sql;
    /* Keys now point nowhere useful; the order is final. */
    ctx->nkeys = 0;
    free(order);
    for (size_t i = 0; i < nn; i++)
        free(nodes[i].deps);
    free(nodes);
    return NULL;
}
