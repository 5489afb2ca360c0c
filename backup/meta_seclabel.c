/* Security labels (SECURITY LABEL FOR provider ON ... IS ...) of the
 * objects of this database that the backup holds, read from pg_seclabels
 * (whose objname is not usable as is: column names are not quoted and
 * functions carry argument names and defaults). One post-data entry per
 * label, after its object.
 * Labels exist only where a label provider (sepgsql, ...) is loaded, and
 * the restore needs the same provider. Left out: labels of shared objects
 * (roles, tablespaces, databases: globals, and a database label would name
 * the source database) and of large objects, which are not backed up. */
#include <stdlib.h>
#include <string.h>

#include "metadata.h"

/* The entries' explicit dependencies keep the catalog name until the
 * metadata is ordered, long after the query result is gone: the names of
 * the catalogs whose objects can carry labels, as constants. */
static const char *catalog_constant(const char *name)
{
    static const char *const names[] = {
        "pg_class", "pg_proc", "pg_type", "pg_namespace", "pg_event_trigger",
        "pg_language", "pg_publication", "pg_subscription", "pg_collation",
        "pg_ts_config", "pg_ts_dict", "pg_conversion", "pg_operator", "pg_foreign_data_wrapper",
        "pg_foreign_server", "pg_extension", "pg_ts_parser", "pg_ts_template",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i], name) == 0)
            return names[i];
    return NULL;
}

static Error *dump_security_labels(MetaContext *ctx)
{
    Result *r;
    Error *e = conn_query(
        ctx->conn,
        "SELECT l.classoid::pg_catalog.regclass::pg_catalog.text AS catalog, l.objoid, "
        "       l.objsubid, pg_catalog.upper(l.objtype) AS objtype, l.provider, l.label, "
        "       n.nspname, sn.nspname AS schema_name, c.relkind, c.relname, "
        "       cn.nspname AS rel_schema, a.attname, "
        "       (pg_catalog.pg_identify_object(l.classoid, l.objoid, l.objsubid)).identity "
        "FROM pg_catalog.pg_seclabels l "
        "LEFT JOIN pg_catalog.pg_namespace n ON n.oid = l.objnamespace "
        "LEFT JOIN pg_catalog.pg_namespace sn "
        "       ON l.classoid = 'pg_catalog.pg_namespace'::pg_catalog.regclass "
        "      AND sn.oid = l.objoid "
        "LEFT JOIN pg_catalog.pg_class c "
        "       ON l.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND c.oid = l.objoid "
        "LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = c.relnamespace "
        "LEFT JOIN pg_catalog.pg_attribute a "
        "       ON a.attrelid = c.oid AND a.attnum = l.objsubid AND l.objsubid > 0 "
        /* Relations that cannot carry labels (indexes, ...) have no type. */
        "WHERE l.objtype IS NOT NULL "
        "  AND l.objtype NOT IN ('database', 'tablespace', 'role', 'large object') "
        "  AND (n.nspname IS NULL OR " CATALOG_USER_SCHEMA("n.nspname") ") "
        "  AND (sn.nspname IS NULL OR " CATALOG_USER_SCHEMA("sn.nspname") ") "
        "  AND (n.nspname IS NOT NULL OR sn.nspname IS NOT NULL OR l.objoid >= 16384) "
        "  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
        "    WHERE d.classid = l.classoid AND d.objid = l.objoid AND d.deptype = 'e') "
        "ORDER BY l.classoid, l.objoid, l.objsubid, l.provider",
        &r);
    if (e)
        return e;
    bool whole = ctx->filter->include_schemas.n == 0 && !filter_has_table_includes(ctx->filter);
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < result_rows(r); i++) {
        const char *catalog = result_str(r, i, "catalog");
        uint32_t objoid = (uint32_t)strtoul(result_str(r, i, "objoid"), NULL, 10);
        const char *schema = "";
        char *ref = xstrdup("");
        bool keep;
        if (!result_isnull(r, i, "relname")) {
            schema = result_str(r, i, "rel_schema");
            keep = meta_keep_relation(ctx, objoid, result_str(r, i, "relkind")[0], schema,
                                      result_str(r, i, "relname"));
            free(ref);
            ref = filter_format_table_name(schema, result_str(r, i, "relname"));
        } else if (!result_isnull(r, i, "schema_name")) {
            schema = result_str(r, i, "schema_name");
            keep = meta_keep_schema(ctx, schema);
        } else if (!result_isnull(r, i, "nspname")) {
            schema = result_str(r, i, "nspname");
            keep = meta_keep_schema(ctx, schema);
        } else {
            /* Event triggers, languages, publications, subscriptions:
             * objects of the whole database. */
            keep = whole;
        }
        if (!keep) {
            free(ref);
            continue;
        }
        /* Relations, their columns and schemas are named here; other
         * objects by the server's identity of them (quoted, qualified,
         * functions with their argument types). */
        char *object;
        if (!result_isnull(r, i, "relname")) {
            object = conn_quote_qualified(ctx->conn, schema, result_str(r, i, "relname"));
            if (!result_isnull(r, i, "attname")) {
                char *col = conn_quote_ident(ctx->conn, result_str(r, i, "attname"));
                char *full = xasprintf("%s.%s", object, col);
                free(col);
                free(object);
                object = full;
            }
        } else if (!result_isnull(r, i, "schema_name")) {
            object = conn_quote_ident(ctx->conn, schema);
        } else {
            object = xstrdup(result_str(r, i, "identity"));
        }
        char *provider = conn_quote_ident(ctx->conn, result_str(r, i, "provider"));
        char *label = conn_quote_literal(ctx->conn, result_str(r, i, "label"));
        sb_reset(&sb);
        sb_printf(&sb, "SECURITY LABEL FOR %s ON %s %s IS %s;\n", provider,
                  result_str(r, i, "objtype"), object, label);
        uint32_t id = meta_emit_obj(ctx, TOC_POSTDATA, schema, object, "SECURITY LABEL", ref,
                                    sb.data, NULL, 0);
        if (catalog_constant(catalog))
            meta_depend_on(ctx, id, catalog_constant(catalog), objoid);
        free(label);
        free(provider);
        free(object);
        free(ref);
    }
    sb_free(&sb);
    result_free(r);
    return NULL;
}

const MetaType meta_security_labels = {"security labels", dump_security_labels};
