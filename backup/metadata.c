/* The metadata registry and what every type module shares: emitting TOC
 * entries into the metadata SQL, comments and owners, filter decisions. */
#include "metadata.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Registry order is the fallback creation order; pg_depend then moves
 * each entry after what it needs (metadata_order). Schemas and extensions
 * first, then what tables use (types, functions, operators), tables,
 * what depends on tables, post-data; globals are a section of their own. */
static const MetaType *const registry[] = {
    &meta_globals,
    &meta_database,
    &meta_schemas,
    &meta_extensions,
    &meta_languages,
    &meta_collations,
    &meta_conversions,
    &meta_types,
    &meta_functions,
    &meta_aggregates,
    &meta_operators,
    &meta_opfamilies,
    &meta_casts,
    &meta_text_search,
    &meta_foreign_data,
    &meta_sequences,
    &meta_tables,
    &meta_sequence_owners,
    &meta_foreign_tables,
    &meta_views,
    &meta_matviews,
    &meta_constraints,
    &meta_indexes,
    &meta_triggers,
    &meta_rules,
    &meta_policies,
    &meta_event_triggers,
    &meta_statistics_ext,
    &meta_publications,
    &meta_subscriptions,
    &meta_default_privileges,
    &meta_security_labels,
    &meta_gp_objects,
};

Error *metadata_dump_all(MetaContext *ctx)
{
    if (!ctx->sql.data)
        sb_init(&ctx->sql);
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++) {
        double t0 = now_monotonic();
        ctx->current_module = (int)i;
        ctx->last_keyed = SIZE_MAX;
        Error *e = registry[i]->dump(ctx);
        if (e)
            return error_prefix(e, "could not back up %s", registry[i]->name);
        log_verbose("metadata: %s written in %.2fs", registry[i]->name, now_monotonic() - t0);
    }
    double t0 = now_monotonic();
    Error *e = metadata_order(ctx);
    if (e)
        return error_prefix(e, "could not order the metadata by dependencies");
    log_verbose("metadata: ordered by dependencies in %.2fs", now_monotonic() - t0);
    return NULL;
}

static void count_object(MetaContext *ctx, const char *objecttype)
{
    for (size_t i = 0; i < ctx->counts_n; i++) {
        if (strcmp(ctx->count_names[i], objecttype) == 0) {
            ctx->counts[i]++;
            return;
        }
    }
    ctx->count_names = xrealloc(ctx->count_names, (ctx->counts_n + 1) * sizeof(char *));
    ctx->counts = xrealloc(ctx->counts, (ctx->counts_n + 1) * sizeof(int));
    ctx->count_names[ctx->counts_n] = xstrdup(objecttype);
    ctx->counts[ctx->counts_n++] = 1;
}

static uint32_t emit(MetaContext *ctx, TocSection section, const char *schema, const char *name,
                     const char *objecttype, const char *referenceobject, const char *sql,
                     const char *catalog, uint32_t objid, int sub, bool follows_previous)
{
    if (!ctx->sql.data)
        sb_init(&ctx->sql);
    uint64_t start = ctx->sql.len;
    sb_append(&ctx->sql, sql);
    /* Statements are separated by a blank line, as in gpbackup's file. */
    sb_append(&ctx->sql, "\n");
    TocEntry *e = toc_add_entry(ctx->toc, section, schema, name, objecttype, referenceobject,
                                start, ctx->sql.len);
    e->dumpid = ++ctx->next_dumpid;
    if (ctx->nkeys == ctx->capkeys) {
        ctx->capkeys = ctx->capkeys ? ctx->capkeys * 2 : 256;
        ctx->keys = xrealloc(ctx->keys, ctx->capkeys * sizeof(MetaKey));
    }
    MetaKey k = {section, ctx->toc->nentries[section] - 1, catalog, objid, sub,
                 ctx->current_module, ctx->nkeys};
    /* An entry that creates no catalog object of its own (an ownership, a
     * property) travels with the keyed entry its module wrote before it. */
    if (catalog)
        ctx->last_keyed = ctx->nkeys;
    else if (follows_previous && ctx->last_keyed != SIZE_MAX)
        k.anchor = ctx->last_keyed;
    ctx->keys[ctx->nkeys++] = k;
    count_object(ctx, objecttype);
    return e->dumpid;
}

void meta_emit(MetaContext *ctx, TocSection section, const char *schema, const char *name,
               const char *objecttype, const char *referenceobject, const char *sql)
{
    emit(ctx, section, schema, name, objecttype, referenceobject, sql, NULL, 0, 0, true);
}

uint32_t meta_emit_obj(MetaContext *ctx, TocSection section, const char *schema,
                       const char *name, const char *objecttype, const char *referenceobject,
                       const char *sql, const char *catalog, uint32_t objid)
{
    return emit(ctx, section, schema, name, objecttype, referenceobject, sql, catalog, objid, 0,
                false);
}

uint32_t meta_emit_data(MetaContext *ctx, const char *schema, const char *name,
                        const char *objecttype, const char *referenceobject, const char *sql,
                        const char *catalog, uint32_t objid)
{
    return emit(ctx, TOC_POSTDATA, schema, name, objecttype, referenceobject, sql, catalog, objid,
                META_SUB_DATA, false);
}

void meta_depend_on(MetaContext *ctx, uint32_t dumpid, const char *catalog, uint32_t objid)
{
    if (ctx->nexplicit == ctx->capexplicit) {
        ctx->capexplicit = ctx->capexplicit ? ctx->capexplicit * 2 : 64;
        ctx->explicit_deps = xrealloc(ctx->explicit_deps, ctx->capexplicit * sizeof(MetaExplicitDep));
    }
    MetaExplicitDep d = {dumpid, catalog, objid};
    ctx->explicit_deps[ctx->nexplicit++] = d;
}

void meta_append_comment(MetaContext *ctx, StrBuf *sb, const char *what, const char *comment)
{
    if (!comment)
        return;
    char *lit = conn_quote_literal(ctx->conn, comment);
    sb_printf(sb, "COMMENT ON %s IS %s;\n", what, lit);
    free(lit);
}

void meta_append_owner(MetaContext *ctx, StrBuf *sb, const char *kind, const char *qualified,
                       const char *owner)
{
    if (!owner || !*owner)
        return;
    char *role = conn_quote_ident(ctx->conn, owner);
    sb_printf(sb, "ALTER %s %s OWNER TO %s;\n", kind, qualified, role);
    free(role);
}

bool meta_keep_schema(const MetaContext *ctx, const char *schema)
{
    return filter_keeps_schema(ctx->filter, schema);
}

const TableInfo *meta_table(const MetaContext *ctx, uint32_t oid)
{
    return catalog_find(ctx->tables, oid);
}

bool meta_keep_relation(const MetaContext *ctx, uint32_t oid, char relkind, const char *schema,
                        const char *name)
{
    if (relkind == 'r' || relkind == 'p')
        return meta_table(ctx, oid) != NULL;
    return filter_keeps_table(ctx->filter, schema, name);
}

void meta_row_index(RowIndex *ix, const Result *r, const char *column)
{
    memset(ix, 0, sizeof *ix);
    int rows = result_rows(r);
    ix->oids = xcalloc((size_t)rows + 1, sizeof(uint32_t));
    ix->first = xcalloc((size_t)rows + 1, sizeof(int));
    ix->count = xcalloc((size_t)rows + 1, sizeof(int));
    int col = result_col(r, column);
    for (int i = 0; i < rows; i++) {
        const char *v = result_get(r, i, col);
        uint32_t oid = (uint32_t)strtoul(v ? v : "0", NULL, 10);
        if (ix->n && ix->oids[ix->n - 1] == oid) {
            ix->count[ix->n - 1]++;
            continue;
        }
        ix->oids[ix->n] = oid;
        ix->first[ix->n] = i;
        ix->count[ix->n] = 1;
        ix->n++;
    }
}

int meta_row_find(const RowIndex *ix, uint32_t oid, int *count)
{
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->oids[mid] == oid) {
            *count = ix->count[mid];
            return ix->first[mid];
        }
        if (ix->oids[mid] < oid)
            lo = mid + 1;
        else
            hi = mid;
    }
    *count = 0;
    return -1;
}

void meta_row_index_free(RowIndex *ix)
{
    free(ix->oids);
    free(ix->first);
    free(ix->count);
    memset(ix, 0, sizeof *ix);
}

void metadata_context_free(MetaContext *ctx)
{
    sb_free(&ctx->sql);
    for (size_t i = 0; i < ctx->counts_n; i++)
        free(ctx->count_names[i]);
    free(ctx->count_names);
    free(ctx->counts);
    free(ctx->keys);
    free(ctx->explicit_deps);
    ctx->keys = NULL;
    ctx->explicit_deps = NULL;
    ctx->nkeys = ctx->nexplicit = 0;
    ctx->count_names = NULL;
    ctx->counts = NULL;
    ctx->counts_n = 0;
}
