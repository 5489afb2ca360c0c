/* User-defined types: enums, composite types and domains (with their
 * defaults, NOT NULL and CHECK constraints). Enums first, because composites
 * and domains may use them; composites and domains in creation order. */
#include <stdlib.h>
#include <string.h>

#include "metadata.h"

static Error *dump_enums(MetaContext *ctx, StrBuf *sb)
{
    Result *r;
    Error *e = conn_query(
        ctx->conn,
        "SELECT t.oid, n.nspname, t.typname, pg_catalog.pg_get_userbyid(t.typowner) AS owner, "
        "       pg_catalog.obj_description(t.oid, 'pg_type') AS comment, e.enumlabel "
        "FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
        "LEFT JOIN pg_catalog.pg_enum e ON e.enumtypid = t.oid "
        "WHERE t.typtype = 'e' AND " CATALOG_USER_SCHEMA("n.nspname")
        " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
        "   WHERE d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass "
        "   AND d.objid = t.oid AND d.deptype = 'e') "
        "ORDER BY t.oid, e.enumsortorder",
        &r);
    if (e)
        return e;
    int rows = result_rows(r);
    for (int i = 0; i < rows;) {
        const char *oid = result_str(r, i, "oid");
        const char *schema = result_str(r, i, "nspname");
        const char *name = result_str(r, i, "typname");
        int j = i;
        bool keep = meta_keep_schema(ctx, schema);
        char *q = conn_quote_qualified(ctx->conn, schema, name);
        sb_reset(sb);
        sb_printf(sb, "CREATE TYPE %s AS ENUM (", q);
        int n = 0;
        for (; j < rows && strcmp(result_str(r, j, "oid"), oid) == 0; j++) {
            if (result_isnull(r, j, "enumlabel"))
                continue;
            char *lit = conn_quote_literal(ctx->conn, result_str(r, j, "enumlabel"));
            sb_printf(sb, "%s\n    %s", n++ ? "," : "", lit);
            free(lit);
        }
        sb_append(sb, n ? "\n);\n" : ");\n");
        meta_append_owner(ctx, sb, "TYPE", q, result_str(r, i, "owner"));
        char *what = xasprintf("TYPE %s", q);
        meta_append_comment(ctx, sb, what,
                            result_isnull(r, i, "comment") ? NULL : result_str(r, i, "comment"));
        if (keep)
            meta_emit_obj(ctx, TOC_PREDATA, schema, name, "TYPE", "", sb->data, "pg_type",
                          (uint32_t)strtoul(oid, NULL, 10));
        free(what);
        free(q);
        i = j;
    }
    result_free(r);
    return NULL;
}

/* Composite types and domains, interleaved in oid order. */
static Error *dump_composites_and_domains(MetaContext *ctx, StrBuf *sb)
{
    Result *r;
    Error *e = conn_query(
        ctx->conn,
        "SELECT t.oid, t.typtype, n.nspname, t.typname, "
        "       pg_catalog.pg_get_userbyid(t.typowner) AS owner, "
        "       pg_catalog.obj_description(t.oid, 'pg_type') AS comment, "
        "       pg_catalog.format_type(t.typbasetype, t.typtypmod) AS basetype, "
        "       t.typnotnull, t.typdefault, t.typrelid, "
        "       CASE WHEN t.typcollation <> bt.typcollation AND t.typcollation <> 0 "
        "            THEN cn.nspname END AS coll_schema, "
        "       CASE WHEN t.typcollation <> bt.typcollation AND t.typcollation <> 0 "
        "            THEN co.collname END AS coll_name "
        "FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
        "LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype "
        "LEFT JOIN pg_catalog.pg_collation co ON co.oid = t.typcollation "
        "LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace "
        "LEFT JOIN pg_catalog.pg_class c ON c.oid = t.typrelid "
        "WHERE (t.typtype = 'd' OR (t.typtype = 'c' AND c.relkind = 'c')) "
        " AND " CATALOG_USER_SCHEMA("n.nspname")
        " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
        "   WHERE d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass "
        "   AND d.objid = t.oid AND d.deptype = 'e') "
        "ORDER BY t.oid",
        &r);
    if (e)
        return e;
    Result *attrs = NULL, *cons = NULL;
    e = conn_query(ctx->conn,
                   "SELECT a.attrelid, a.attname, "
                   "       pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, "
                   "       CASE WHEN a.attcollation <> at.typcollation AND a.attcollation <> 0 "
                   "            THEN cn.nspname END AS coll_schema, "
                   "       CASE WHEN a.attcollation <> at.typcollation AND a.attcollation <> 0 "
                   "            THEN co.collname END AS coll_name "
                   "FROM pg_catalog.pg_attribute a "
                   "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid AND c.relkind = 'c' "
                   "JOIN pg_catalog.pg_type at ON at.oid = a.atttypid "
                   "LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation "
                   "LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace "
                   "WHERE a.attnum > 0 AND NOT a.attisdropped "
                   "ORDER BY a.attrelid, a.attnum",
                   &attrs);
    if (!e)
        e = conn_query(ctx->conn,
                       "SELECT c.contypid, c.conname, c.convalidated, "
                       "       pg_catalog.pg_get_constraintdef(c.oid) AS def, "
                       "       pg_catalog.obj_description(c.oid, 'pg_constraint') AS comment "
                       "FROM pg_catalog.pg_constraint c WHERE c.contypid <> 0 "
                       "ORDER BY c.contypid, c.conname",
                       &cons);
    if (e) {
        result_free(r);
        result_free(attrs);
        return e;
    }
    for (int i = 0; i < result_rows(r); i++) {
        const char *schema = result_str(r, i, "nspname");
        const char *name = result_str(r, i, "typname");
        if (!meta_keep_schema(ctx, schema))
            continue;
        char *q = conn_quote_qualified(ctx->conn, schema, name);
        char *what;
        sb_reset(sb);
        if (result_str(r, i, "typtype")[0] == 'c') {
            const char *relid = result_str(r, i, "typrelid");
            sb_printf(sb, "CREATE TYPE %s AS (", q);
            int n = 0;
            for (int j = 0; j < result_rows(attrs); j++) {
                if (strcmp(result_str(attrs, j, "attrelid"), relid) != 0)
                    continue;
                char *an = conn_quote_ident(ctx->conn, result_str(attrs, j, "attname"));
                sb_printf(sb, "%s\n    %s %s", n++ ? "," : "", an, result_str(attrs, j, "type"));
                if (!result_isnull(attrs, j, "coll_name")) {
                    char *cq = conn_quote_qualified(ctx->conn, result_str(attrs, j, "coll_schema"),
                                                    result_str(attrs, j, "coll_name"));
                    sb_printf(sb, " COLLATE %s", cq);
                    free(cq);
                }
                free(an);
            }
            sb_append(sb, n ? "\n);\n" : ");\n");
            meta_append_owner(ctx, sb, "TYPE", q, result_str(r, i, "owner"));
            what = xasprintf("TYPE %s", q);
        } else {
            sb_printf(sb, "CREATE DOMAIN %s AS %s", q, result_str(r, i, "basetype"));
            if (!result_isnull(r, i, "coll_name")) {
                char *cq = conn_quote_qualified(ctx->conn, result_str(r, i, "coll_schema"),
                                                result_str(r, i, "coll_name"));
                sb_printf(sb, " COLLATE %s", cq);
                free(cq);
            }
            if (!result_isnull(r, i, "typdefault"))
                sb_printf(sb, " DEFAULT %s", result_str(r, i, "typdefault"));
            if (result_bool(r, i, "typnotnull"))
                sb_append(sb, " NOT NULL");
            StrBuf later;
            sb_init(&later);
            const char *oid = result_str(r, i, "oid");
            for (int j = 0; j < result_rows(cons); j++) {
                if (strcmp(result_str(cons, j, "contypid"), oid) != 0)
                    continue;
                char *cn = conn_quote_ident(ctx->conn, result_str(cons, j, "conname"));
                /* A NOT VALID constraint cannot be declared inline. */
                if (result_bool(cons, j, "convalidated"))
                    sb_printf(sb, "\n    CONSTRAINT %s %s", cn, result_str(cons, j, "def"));
                else
                    sb_printf(&later, "ALTER DOMAIN %s ADD CONSTRAINT %s %s;\n", q, cn,
                              result_str(cons, j, "def"));
                if (!result_isnull(cons, j, "comment")) {
                    char *cwhat = xasprintf("CONSTRAINT %s ON DOMAIN %s", cn, q);
                    meta_append_comment(ctx, &later, cwhat, result_str(cons, j, "comment"));
                    free(cwhat);
                }
                free(cn);
            }
            sb_append(sb, ";\n");
            sb_append(sb, later.data);
            sb_free(&later);
            meta_append_owner(ctx, sb, "DOMAIN", q, result_str(r, i, "owner"));
            what = xasprintf("DOMAIN %s", q);
        }
        meta_append_comment(ctx, sb, what,
                            result_isnull(r, i, "comment") ? NULL : result_str(r, i, "comment"));
        meta_emit_obj(ctx, TOC_PREDATA, schema, name,
                      result_str(r, i, "typtype")[0] == 'c' ? "TYPE" : "DOMAIN", "", sb->data,
                      "pg_type", (uint32_t)strtoul(result_str(r, i, "oid"), NULL, 10));
        free(what);
        free(q);
    }
    result_free(r);
    result_free(attrs);
    result_free(cons);
    return NULL;
}

static Error *dump_types(MetaContext *ctx)
{
    StrBuf sb;
    sb_init(&sb);
    Error *e = dump_enums(ctx, &sb);
    if (!e)
        e = dump_composites_and_domains(ctx, &sb);
    sb_free(&sb);
    return e;
}

const MetaType meta_types = {"types", dump_types};
