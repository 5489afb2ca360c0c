/* Catalog reads for the backup set: the tables (and the views,
 * materialized views and foreign tables that go with them), their columns
 * and sizes. Queries fetch every relation at once; nothing here runs a
 * query per table. */
#include "catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

static void build_oid_index(TableSet *set);

Error *catalog_list_tables(Conn *c, const Filter *filter, TableSet *out)
{
    memset(out, 0, sizeof *out);
    Result *r;
    /* relispartition came with PostgreSQL 10. */
    char *sql = xasprintf(
        "SELECT c.oid, n.nspname, c.relname, c.relkind, c.relpersistence, c.relfilenode, "
        "       c.relnatts, c.relreplident, %s AS relispartition, c.relispopulated, "
        "       pg_catalog.pg_get_userbyid(c.relowner) AS owner, "
        "       pg_catalog.array_to_string(c.reloptions, ', ') AS reloptions, "
        "       ds.description AS comment, "
        "       CASE WHEN am.amname <> 'heap' THEN am.amname END AS access_method, "
        "       ts.spcname AS tablespace "
        "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam "
        "LEFT JOIN pg_catalog.pg_tablespace ts ON ts.oid = c.reltablespace "
        "LEFT JOIN pg_catalog.pg_description ds ON ds.objoid = c.oid "
        "     AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND ds.objsubid = 0 "
        "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND " CATALOG_USER_SCHEMA("n.nspname")
        " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
        "   WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "
        "   AND d.objid = c.oid AND d.deptype = 'e') "
        "ORDER BY c.relkind NOT IN ('r', 'p'), n.nspname, c.relname",
        conn_server_version(c) >= 100000 ? "c.relispartition" : "false");
    Error *e = conn_query(c, sql, &r);
    free(sql);
    if (e)
        return error_prefix(e, "could not list tables");
    int rows = result_rows(r);
    out->items = xcalloc((size_t)rows + 1, sizeof(TableInfo));
    for (int i = 0; i < rows; i++) {
        const char *schema = result_str(r, i, "nspname");
        const char *name = result_str(r, i, "relname");
        if (!filter_keeps_table(filter, schema, name))
            continue;
        TableInfo *t = &out->items[out->nall++];
        t->oid = (uint32_t)strtoul(result_str(r, i, "oid"), NULL, 10);
        t->schema = xstrdup(schema);
        t->name = xstrdup(name);
        t->qualified = conn_quote_qualified(c, schema, name);
        t->relkind = result_str(r, i, "relkind")[0];
        t->filenode = (uint32_t)strtoul(result_str(r, i, "relfilenode"), NULL, 10);
        t->natts = (int)result_int(r, i, "relnatts");
        t->persistence = result_str(r, i, "relpersistence")[0];
        t->owner = xstrdup(result_str(r, i, "owner"));
        t->reloptions = result_isnull(r, i, "reloptions") || !*result_str(r, i, "reloptions")
                            ? NULL
                            : xstrdup(result_str(r, i, "reloptions"));
        t->comment = result_isnull(r, i, "comment") ? NULL : xstrdup(result_str(r, i, "comment"));
        t->access_method =
            result_isnull(r, i, "access_method") ? NULL : xstrdup(result_str(r, i, "access_method"));
        t->tablespace =
            result_isnull(r, i, "tablespace") ? NULL : xstrdup(result_str(r, i, "tablespace"));
        t->replident = result_str(r, i, "relreplident")[0];
        t->ispartition = result_bool(r, i, "relispartition");
        t->populated = result_bool(r, i, "relispopulated");
        /* The tables come first (ORDER BY). */
        if (t->relkind == 'r' || t->relkind == 'p')
            out->n++;
    }
    result_free(r);
    build_oid_index(out);

    /* Every table asked for by name must exist: a typo must not silently
     * produce a backup without the table. A view, materialized view or
     * foreign table so named is backed up with its definition. */
    for (size_t k = 0; k < filter->include_table_schemas.n; k++) {
        const char *s = filter->include_table_schemas.items[k];
        const char *t = filter->include_table_names.items[k];
        bool found = false;
        for (size_t i = 0; i < out->nall && !found; i++)
            found = strcmp(out->items[i].schema, s) == 0 && strcmp(out->items[i].name, t) == 0;
        if (!found) {
            char *n = filter_format_table_name(s, t);
            e = ERROR_NEW(ERR_NOT_FOUND, "table \"%s\" given with --include-table does not exist",
                          n);
            error_hint(e, "write the name as schema.table, exactly as in the catalog "
                          "(names are case sensitive)");
            free(n);
            return e;
        }
    }
    for (size_t k = 0; k < filter->include_schemas.n; k++) {
        const char *s = filter->include_schemas.items[k];
        Result *sr;
        const char *params[1] = {s};
        e = conn_query_params(c, "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", 1,
                              params, &sr);
        if (e)
            return e;
        int found = result_rows(sr);
        result_free(sr);
        if (!found)
            return error_hint(ERROR_NEW(ERR_NOT_FOUND,
                                        "schema \"%s\" given with --include-schema does not exist",
                                        s),
                              "names are case sensitive");
    }
    return NULL;
}

/* The oids of items [0, n) as an array literal. */
static char *oid_array(const TableSet *set, size_t n)
{
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "{");
    for (size_t i = 0; i < n; i++)
        sb_printf(&sb, "%s%u", i ? "," : "", set->items[i].oid);
    sb_append(&sb, "}");
    return sb_steal(&sb);
}

char *catalog_oid_array(const TableSet *set)
{
    return oid_array(set, set->nall);
}

static const TableSet *sort_set;

static int by_oid_order(const void *a, const void *b)
{
    uint32_t x = sort_set->items[*(const size_t *)a].oid;
    uint32_t y = sort_set->items[*(const size_t *)b].oid;
    return x < y ? -1 : x > y;
}

/* Called once by the leader after listing, before any thread starts. */
static void build_oid_index(TableSet *set)
{
    set->by_oid = xcalloc(set->nall + 1, sizeof(size_t));
    for (size_t i = 0; i < set->nall; i++)
        set->by_oid[i] = i;
    sort_set = set;
    qsort(set->by_oid, set->nall, sizeof(size_t), by_oid_order);
    sort_set = NULL;
}

TableInfo *catalog_find(const TableSet *set, uint32_t oid)
{
    size_t lo = 0, hi = set->nall;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        TableInfo *t = &set->items[set->by_oid[mid]];
        if (t->oid == oid)
            return t;
        if (t->oid < oid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Built-in types of 2, 4 or 8 bytes whose values are numbers (as oids:
 * int2, int4, int8, oid, float4, float8, money, date, time, timestamp,
 * timestamptz). */
#define PACK_DELTA_TYPES "21, 23, 20, 26, 700, 701, 790, 1082, 1083, 1114, 1184"

Error *catalog_load_columns(Conn *c, TableSet *set)
{
    char *oids = catalog_oid_array(set);
    const char *params[1] = {oids};
    Result *r;
    /* attcompression came with PostgreSQL 14, attgenerated with 12,
     * attidentity with 10 (Greenplum 6 is 9.4). */
    int v = conn_server_version(c);
    char *sql = xasprintf(
        "SELECT a.attrelid, a.attnum, a.attname, "
        "       pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, "
        "       a.attnotnull, %s AS attidentity, %s AS attgenerated, "
        "       pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS default_expr, "
        "       CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0 "
        "            THEN cn.nspname END AS coll_schema, "
        "       CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0 "
        "            THEN co.collname END AS coll_name, "
        "       ds.description AS comment, "
        "       a.attislocal, a.attinhcount, a.attstorage, t.typstorage, a.attstattarget, "
        "       %s AS attcompression, "
        /* COPY's binary format only for built-in types (pg_catalog's,
         * below FirstNormalObjectId, so their send/receive forms are those
         * of the server itself), with binary I/O (not aclitem), of a kind
         * whose binary form holds the value itself: base, range and
         * multirange types and arrays of them; not the reg* types, whose
         * binary form is an oid of the source database where their text
         * is a name. Domains, composites, enums and extension types are
         * written as csv. */
        "       (a.atttypid < 16384 AND t.typnamespace = 11 "
        "        AND t.typtype IN ('b', 'r', 'm') AND t.typsend <> 0 AND t.typreceive <> 0 "
        "        AND t.typname !~ '^_?reg' "
        "        AND (t.typelem = 0 OR EXISTS (SELECT 1 FROM pg_catalog.pg_type e "
        "             WHERE e.oid = t.typelem AND e.typsend <> 0 AND e.typreceive <> 0 "
        "             AND e.typtype IN ('b', 'r', 'm')))) AS binary_io, "
        /* The packed format codes fixed-width numbers, dates and times as
         * the difference from the previous row's value, and arrays of them
         * word by word (include/pack.h). */
        "       CASE WHEN a.atttypid IN (%s) THEN 'd' "
        "            WHEN t.typelem IN (%s) AND t.typlen = -1 THEN 'w' "
        "            ELSE '-' END AS pack_mode "
        "FROM pg_catalog.pg_attribute a "
        "JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
        "LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        "LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation "
        "LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace "
        "LEFT JOIN pg_catalog.pg_description ds ON ds.objoid = a.attrelid "
        "     AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND ds.objsubid = a.attnum "
        "WHERE a.attrelid = ANY($1::pg_catalog.oid[]) AND a.attnum > 0 AND NOT a.attisdropped "
        "ORDER BY a.attrelid, a.attnum",
        v >= 100000 ? "a.attidentity" : "''::pg_catalog.char",
        v >= 120000 ? "a.attgenerated" : "''::pg_catalog.char",
        v >= 140000 ? "a.attcompression" : "''::pg_catalog.char", PACK_DELTA_TYPES,
        PACK_DELTA_TYPES);
    Error *e = conn_query_params(c, sql, 1, params, &r);
    free(sql);
    free(oids);
    if (e)
        return error_prefix(e, "could not read table columns");
    int rows = result_rows(r);
    TableInfo *t = NULL;
    size_t cap = 0;
    for (int i = 0; i < rows; i++) {
        uint32_t oid = (uint32_t)strtoul(result_str(r, i, "attrelid"), NULL, 10);
        if (!t || t->oid != oid) {
            t = catalog_find(set, oid);
            cap = 0;
        }
        if (!t)
            continue;
        if (t->ncolumns == cap) {
            cap = cap ? cap * 2 : 8;
            t->columns = xrealloc(t->columns, cap * sizeof(Column));
        }
        Column *col = &t->columns[t->ncolumns++];
        memset(col, 0, sizeof *col);
        col->name = xstrdup(result_str(r, i, "attname"));
        col->attnum = (int)result_int(r, i, "attnum");
        col->type = xstrdup(result_str(r, i, "type"));
        col->notnull = result_bool(r, i, "attnotnull");
        col->identity = result_str(r, i, "attidentity")[0];
        col->generated = result_str(r, i, "attgenerated")[0];
        if (!result_isnull(r, i, "default_expr"))
            col->default_expr = xstrdup(result_str(r, i, "default_expr"));
        if (!result_isnull(r, i, "coll_name"))
            col->collation = conn_quote_qualified(c, result_str(r, i, "coll_schema"),
                                                  result_str(r, i, "coll_name"));
        if (!result_isnull(r, i, "comment"))
            col->comment = xstrdup(result_str(r, i, "comment"));
        col->islocal = result_bool(r, i, "attislocal");
        col->inhcount = (int)result_int(r, i, "attinhcount");
        col->storage = result_str(r, i, "attstorage")[0];
        col->type_storage = result_str(r, i, "typstorage")[0];
        col->compression = result_str(r, i, "attcompression")[0];
        /* PostgreSQL 17 writes NULL for the default target that 15 writes as -1. */
        col->stattarget = result_isnull(r, i, "attstattarget") ? -1
                                                                : (int)result_int(r, i, "attstattarget");
        col->binary_io = result_bool(r, i, "binary_io");
        col->pack_mode = result_str(r, i, "pack_mode")[0];
    }
    result_free(r);

    /* The COPY column list: generated columns are computed on restore. */
    for (size_t k = 0; k < set->nall; k++) {
        TableInfo *ti = &set->items[k];
        StrBuf sb, nums, modes;
        sb_init(&sb);
        sb_init(&nums);
        sb_init(&modes);
        sb_append(&sb, "(");
        int n = 0;
        ti->binary_io = true;
        for (size_t j = 0; j < ti->ncolumns; j++) {
            if (ti->columns[j].generated)
                continue;
            ti->binary_io = ti->binary_io && ti->columns[j].binary_io;
            sb_printf(&modes, "%c", ti->columns[j].pack_mode ? ti->columns[j].pack_mode : '-');
            char *q = conn_quote_ident(c, ti->columns[j].name);
            sb_printf(&nums, "%s%d", n ? "," : "", ti->columns[j].attnum);
            sb_printf(&sb, "%s%s", n++ ? ", " : "", q);
            free(q);
        }
        ti->attnums = xasprintf("{%s}", nums.data);
        ti->pack_modes = sb_steal(&modes);
        sb_free(&nums);
        sb_append(&sb, ")");
        /* No column to name (a table without columns, or with generated
         * ones only): COPY without a list reads the same, an empty list is
         * a syntax error. */
        if (n == 0)
            sb_reset(&sb);
        ti->copy_columns = sb_steal(&sb);
    }
    return NULL;
}

Error *catalog_load_sizes(Conn *c, TableSet *set, bool exact)
{
    if (set->n == 0)
        return NULL;
    char *oids = oid_array(set, set->n);
    const char *params[1] = {oids};
    Result *r;
    Error *e = conn_query_params(
        c,
        exact ? "SELECT c.oid, pg_catalog.pg_table_size(c.oid) AS size "
                "FROM pg_catalog.pg_class c "
                "WHERE c.oid = ANY($1::pg_catalog.oid[])"
              /* relpages is 0 until the first VACUUM or ANALYZE, however many
               * rows were loaded since: the server's row counters (read
               * without a lock too) at an assumed 100 bytes a row stop such
               * a table from being taken for a small one. */
              : "SELECT c.oid, GREATEST((c.relpages::pg_catalog.int8 + COALESCE(t.relpages, 0)) * "
                "       pg_catalog.current_setting('block_size')::pg_catalog.int8, "
                "       pg_catalog.pg_stat_get_live_tuples(c.oid) * 100) AS size "
                "FROM pg_catalog.pg_class c "
                "LEFT JOIN pg_catalog.pg_class t ON t.oid = c.reltoastrelid "
                "WHERE c.oid = ANY($1::pg_catalog.oid[])",
        1, params, &r);
    free(oids);
    if (e)
        return error_prefix(e, "could not read table sizes");
    for (int i = 0; i < result_rows(r); i++) {
        TableInfo *t = catalog_find(set, (uint32_t)strtoul(result_str(r, i, "oid"), NULL, 10));
        if (t)
            t->size = (uint64_t)strtoull(result_str(r, i, "size"), NULL, 10);
    }
    result_free(r);
    return NULL;
}

void catalog_free(TableSet *set)
{
    for (size_t i = 0; i < set->nall; i++) {
        TableInfo *t = &set->items[i];
        for (size_t j = 0; j < t->ncolumns; j++) {
            Column *col = &t->columns[j];
            free(col->name);
            free(col->type);
            free(col->default_expr);
            free(col->collation);
            free(col->comment);
        }
        free(t->columns);
        free(t->schema);
        free(t->name);
        free(t->qualified);
        free(t->owner);
        free(t->reloptions);
        free(t->comment);
        free(t->access_method);
        free(t->tablespace);
        free(t->copy_columns);
        free(t->attnums);
        free(t->pack_modes);
    }
    free(set->items);
    free(set->by_oid);
    set->by_oid = NULL;
    set->items = NULL;
    set->n = set->nall = 0;
}
