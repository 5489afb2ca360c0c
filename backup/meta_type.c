/* User-defined types: enums, composite types, domains (with their
 * defaults, NOT NULL and CHECK constraints) and range types (whose
 * multirange and constructor functions come with them), each with owner,
 * comment and privileges (and, for composite types, their columns'
 * comments). Enums first, because composites and domains may use them;
 * composites and domains in creation order; ranges last, pg_depend moves
 * them before what uses them. Base types and shell types are not written:
 * their input and output functions are written in C. */
#include <stdlib.h>
#include <string.h>

#include "metadata.h"

static Error *dump_enums(MetaContext *ctx, StrBuf *sb, const AclSet *acls)
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
        meta_acl_append(ctx, sb, acls, oid, "TYPE", q, NULL);
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

static void append_constraint_comment(MetaContext *ctx, StrBuf *sb, const Result *cons, int j,
                                      const char *quoted_name, const char *quoted_domain)
{
    if (result_isnull(cons, j, "comment"))
        return;
    char *what = xasprintf("CONSTRAINT %s ON DOMAIN %s", quoted_name, quoted_domain);
    meta_append_comment(ctx, sb, what, result_str(cons, j, "comment"));
    free(what);
}

/* Composite types and domains, interleaved in oid order. A domain's CHECK
 * constraint that calls a user function is an entry of its own, after the
 * domain and the function: the function may well take or return the domain
 * (pg_dump splits such cycles the same way). */
static Error *dump_composites_and_domains(MetaContext *ctx, StrBuf *sb, const AclSet *acls)
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
                   "            THEN co.collname END AS coll_name, "
                   "       pg_catalog.col_description(a.attrelid, a.attnum) AS comment "
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
                       "SELECT c.oid, c.contypid, c.conname, c.contype, c.convalidated, "
                       "       pg_catalog.pg_get_constraintdef(c.oid) AS def, "
                       "       pg_catalog.obj_description(c.oid, 'pg_constraint') AS comment, "
                       "       EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
                       "         WHERE d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass "
                       "         AND d.objid = c.oid AND d.deptype = 'n' AND d.refobjid >= 16384 "
                       "         AND d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass) "
                       "         AS calls_function "
                       "FROM pg_catalog.pg_constraint c WHERE c.contypid <> 0 "
                       "ORDER BY c.contypid, c.conname",
                       &cons);
    if (e) {
        result_free(r);
        result_free(attrs);
        return e;
    }
    RowIndex attrs_ix, cons_ix;
    meta_row_index(&attrs_ix, attrs, "attrelid");
    meta_row_index(&cons_ix, cons, "contypid");
    for (int i = 0; i < result_rows(r); i++) {
        const char *schema = result_str(r, i, "nspname");
        const char *name = result_str(r, i, "typname");
        if (!meta_keep_schema(ctx, schema))
            continue;
        char *q = conn_quote_qualified(ctx->conn, schema, name);
        uint32_t oid = (uint32_t)strtoul(result_str(r, i, "oid"), NULL, 10);
        char *what;
        sb_reset(sb);
        if (result_str(r, i, "typtype")[0] == 'c') {
            sb_printf(sb, "CREATE TYPE %s AS (", q);
            int n = 0, count;
            int first = meta_row_find(&attrs_ix,
                                      (uint32_t)strtoul(result_str(r, i, "typrelid"), NULL, 10),
                                      &count);
            for (int j = first; j >= 0 && j < first + count; j++) {
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
            for (int j = first; j >= 0 && j < first + count; j++) {
                if (result_isnull(attrs, j, "comment"))
                    continue;
                char *an = conn_quote_ident(ctx->conn, result_str(attrs, j, "attname"));
                char *col = xasprintf("COLUMN %s.%s", q, an);
                meta_append_comment(ctx, sb, col, result_str(attrs, j, "comment"));
                free(col);
                free(an);
            }
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
            StrBuf later;
            sb_init(&later);
            int count, first = meta_row_find(&cons_ix, oid, &count);
            bool named_not_null = false;
            for (int j = first; j >= 0 && j < first + count; j++)
                named_not_null |= result_str(cons, j, "contype")[0] == 'n';
            /* PostgreSQL 17 gives a domain's NOT NULL a constraint row. */
            if (result_bool(r, i, "typnotnull") && !named_not_null)
                sb_append(sb, " NOT NULL");
            for (int j = first; j >= 0 && j < first + count; j++) {
                if (result_bool(cons, j, "calls_function"))
                    continue;
                char *cn = conn_quote_ident(ctx->conn, result_str(cons, j, "conname"));
                /* A NOT VALID constraint cannot be declared inline. */
                if (result_bool(cons, j, "convalidated"))
                    sb_printf(sb, "\n    CONSTRAINT %s %s", cn, result_str(cons, j, "def"));
                else
                    sb_printf(&later, "ALTER DOMAIN %s ADD CONSTRAINT %s %s;\n", q, cn,
                              result_str(cons, j, "def"));
                append_constraint_comment(ctx, &later, cons, j, cn, q);
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
        meta_acl_append(ctx, sb, acls, result_str(r, i, "oid"),
                        result_str(r, i, "typtype")[0] == 'c' ? "TYPE" : "DOMAIN", q, NULL);
        meta_emit_obj(ctx, TOC_PREDATA, schema, name,
                      result_str(r, i, "typtype")[0] == 'c' ? "TYPE" : "DOMAIN", "", sb->data,
                      "pg_type", oid);
        /* The constraints that call functions, each after the domain (an
         * automatic dependency, which does not order entries by itself). */
        int count, first = meta_row_find(&cons_ix, oid, &count);
        for (int j = first; j >= 0 && j < first + count; j++) {
            if (!result_bool(cons, j, "calls_function"))
                continue;
            const char *conname = result_str(cons, j, "conname");
            char *cn = conn_quote_ident(ctx->conn, conname);
            sb_reset(sb);
            sb_printf(sb, "ALTER DOMAIN %s ADD CONSTRAINT %s %s;\n", q, cn,
                      result_str(cons, j, "def"));
            append_constraint_comment(ctx, sb, cons, j, cn, q);
            char *label = xasprintf("%s %s", name, conname);
            uint32_t id = meta_emit_obj(ctx, TOC_PREDATA, schema, label, "DOMAIN CONSTRAINT", "",
                                        sb->data, "pg_constraint",
                                        (uint32_t)strtoul(result_str(cons, j, "oid"), NULL, 10));
            meta_depend_on(ctx, id, "pg_type", oid);
            free(label);
            free(cn);
        }
        free(what);
        free(q);
    }
    meta_row_index_free(&attrs_ix);
    meta_row_index_free(&cons_ix);
    result_free(r);
    result_free(attrs);
    result_free(cons);
    return NULL;
}

/* Range types. The subtype's operator class is always named (the default
 * one is the same catalog state); the collation only when it is not the
 * subtype's. PostgreSQL 14 and later name the multirange type. A canonical
 * function takes the range type itself, which only C code can do before
 * the type exists: such a range restores only where that function does. */
static Error *dump_ranges(MetaContext *ctx, StrBuf *sb, const AclSet *acls)
{
    Result *r;
    Error *e = conn_query(
        ctx->conn,
        conn_server_version(ctx->conn) >= 140000
            ? "SELECT t.oid, n.nspname, t.typname, "
              "       pg_catalog.pg_get_userbyid(t.typowner) AS owner, "
              "       pg_catalog.obj_description(t.oid, 'pg_type') AS comment, "
              "       pg_catalog.format_type(rg.rngsubtype, NULL) AS subtype, "
              "       ocn.nspname AS opc_schema, oc.opcname AS opc_name, "
              "       CASE WHEN rg.rngcollation <> st.typcollation AND rg.rngcollation <> 0 "
              "            THEN cn.nspname END AS coll_schema, "
              "       CASE WHEN rg.rngcollation <> st.typcollation AND rg.rngcollation <> 0 "
              "            THEN co.collname END AS coll_name, "
              "       CASE WHEN rg.rngcanonical <> 0 THEN rg.rngcanonical::pg_catalog.text END "
              "         AS canonical, "
              "       CASE WHEN rg.rngsubdiff <> 0 THEN rg.rngsubdiff::pg_catalog.text END "
              "         AS subdiff, "
              "       mn.nspname AS multi_schema, mt.typname AS multi_name "
              "FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
              "JOIN pg_catalog.pg_range rg ON rg.rngtypid = t.oid "
              "JOIN pg_catalog.pg_type st ON st.oid = rg.rngsubtype "
              "JOIN pg_catalog.pg_opclass oc ON oc.oid = rg.rngsubopc "
              "JOIN pg_catalog.pg_namespace ocn ON ocn.oid = oc.opcnamespace "
              "LEFT JOIN pg_catalog.pg_collation co ON co.oid = rg.rngcollation "
              "LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace "
              "LEFT JOIN pg_catalog.pg_type mt ON mt.oid = rg.rngmultitypid "
              "LEFT JOIN pg_catalog.pg_namespace mn ON mn.oid = mt.typnamespace "
              "WHERE t.typtype = 'r' AND " CATALOG_USER_SCHEMA("n.nspname")
              " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
              "   WHERE d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass "
              "   AND d.objid = t.oid AND d.deptype = 'e') "
              "ORDER BY t.oid"
            : "SELECT t.oid, n.nspname, t.typname, "
              "       pg_catalog.pg_get_userbyid(t.typowner) AS owner, "
              "       pg_catalog.obj_description(t.oid, 'pg_type') AS comment, "
              "       pg_catalog.format_type(rg.rngsubtype, NULL) AS subtype, "
              "       ocn.nspname AS opc_schema, oc.opcname AS opc_name, "
              "       CASE WHEN rg.rngcollation <> st.typcollation AND rg.rngcollation <> 0 "
              "            THEN cn.nspname END AS coll_schema, "
              "       CASE WHEN rg.rngcollation <> st.typcollation AND rg.rngcollation <> 0 "
              "            THEN co.collname END AS coll_name, "
              "       CASE WHEN rg.rngcanonical <> 0 THEN rg.rngcanonical::pg_catalog.text END "
              "         AS canonical, "
              "       CASE WHEN rg.rngsubdiff <> 0 THEN rg.rngsubdiff::pg_catalog.text END "
              "         AS subdiff, "
              "       NULL AS multi_schema, NULL AS multi_name "
              "FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
              "JOIN pg_catalog.pg_range rg ON rg.rngtypid = t.oid "
              "JOIN pg_catalog.pg_type st ON st.oid = rg.rngsubtype "
              "JOIN pg_catalog.pg_opclass oc ON oc.oid = rg.rngsubopc "
              "JOIN pg_catalog.pg_namespace ocn ON ocn.oid = oc.opcnamespace "
              "LEFT JOIN pg_catalog.pg_collation co ON co.oid = rg.rngcollation "
              "LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace "
              "WHERE t.typtype = 'r' AND " CATALOG_USER_SCHEMA("n.nspname")
              " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
              "   WHERE d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass "
              "   AND d.objid = t.oid AND d.deptype = 'e') "
              "ORDER BY t.oid",
        &r);
    if (e)
        return e;
    for (int i = 0; i < result_rows(r); i++) {
        const char *schema = result_str(r, i, "nspname");
        const char *name = result_str(r, i, "typname");
        if (!meta_keep_schema(ctx, schema))
            continue;
        char *q = conn_quote_qualified(ctx->conn, schema, name);
        char *opc = conn_quote_qualified(ctx->conn, result_str(r, i, "opc_schema"),
                                         result_str(r, i, "opc_name"));
        sb_reset(sb);
        sb_printf(sb, "CREATE TYPE %s AS RANGE (\n    subtype = %s,\n    subtype_opclass = %s", q,
                  result_str(r, i, "subtype"), opc);
        if (!result_isnull(r, i, "coll_name")) {
            char *cq = conn_quote_qualified(ctx->conn, result_str(r, i, "coll_schema"),
                                            result_str(r, i, "coll_name"));
            sb_printf(sb, ",\n    collation = %s", cq);
            free(cq);
        }
        /* Functions as regproc: qualified unless in pg_catalog. */
        if (!result_isnull(r, i, "canonical"))
            sb_printf(sb, ",\n    canonical = %s", result_str(r, i, "canonical"));
        if (!result_isnull(r, i, "subdiff"))
            sb_printf(sb, ",\n    subtype_diff = %s", result_str(r, i, "subdiff"));
        if (!result_isnull(r, i, "multi_name")) {
            char *mq = conn_quote_qualified(ctx->conn, result_str(r, i, "multi_schema"),
                                            result_str(r, i, "multi_name"));
            sb_printf(sb, ",\n    multirange_type_name = %s", mq);
            free(mq);
        }
        sb_append(sb, "\n);\n");
        meta_append_owner(ctx, sb, "TYPE", q, result_str(r, i, "owner"));
        char *what = xasprintf("TYPE %s", q);
        meta_append_comment(ctx, sb, what,
                            result_isnull(r, i, "comment") ? NULL : result_str(r, i, "comment"));
        meta_acl_append(ctx, sb, acls, result_str(r, i, "oid"), "TYPE", q, NULL);
        meta_emit_obj(ctx, TOC_PREDATA, schema, name, "TYPE", "", sb->data, "pg_type",
                      (uint32_t)strtoul(result_str(r, i, "oid"), NULL, 10));
        free(what);
        free(opc);
        free(q);
    }
    result_free(r);
    return NULL;
}

static Error *dump_types(MetaContext *ctx)
{
    /* One ACL query for every kind (array and multirange types have ACLs
     * of their own that GRANT cannot reach: not loaded). */
    AclSet *acls;
    Error *e = meta_acl_load(ctx, "pg_catalog.pg_type", "o.oid", "typacl", "o.typowner", 'T',
                             "o.typtype IN ('e', 'c', 'd', 'r')", &acls);
    if (e)
        return e;
    StrBuf sb;
    sb_init(&sb);
    e = dump_enums(ctx, &sb, acls);
    if (!e)
        e = dump_composites_and_domains(ctx, &sb, acls);
    if (!e)
        e = dump_ranges(ctx, &sb, acls);
    sb_free(&sb);
    meta_acl_free(acls);
    return e;
}

const MetaType meta_types = {"types", dump_types};
