/* Schemas: CREATE SCHEMA with owner, comment and privileges. The public
 * schema exists in every new database, owned by pg_database_owner with the
 * ACL {pg_database_owner=UC/pg_database_owner,=U/pg_database_owner}: only
 * what differs from that is carried over (owner, comment, privileges). */
#include <stdlib.h>
#include <string.h>

#include "metadata.h"

/* The public schema's initial ACL: recorded in pg_init_privs since
 * PostgreSQL 9.6; before (Greenplum 6) it is always the bootstrap
 * superuser's default plus USAGE and CREATE for PUBLIC. */
#define INITIAL_ACL_INIT_PRIVS                                                   \
    "(SELECT i.initprivs FROM pg_catalog.pg_init_privs i "                       \
    "         WHERE i.objoid = n.oid "                                           \
    "         AND i.classoid = 'pg_catalog.pg_namespace'::pg_catalog.regclass " \
    "         AND i.objsubid = 0)"
#define INITIAL_ACL_94                                                                     \
    "pg_catalog.array_append(pg_catalog.acldefault('n', 10), "                             \
    "('=UC/' || pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(10)))::pg_catalog.aclitem)"

static Error *dump_schemas(MetaContext *ctx)
{
    Result *r;
    /* The public schema's initial owner: pg_database_owner since
     * PostgreSQL 15, the bootstrap superuser before. */
    char *sql = xasprintf(
        "SELECT n.oid, n.nspname, pg_catalog.pg_get_userbyid(n.nspowner) AS owner, "
        "       n.nspowner = %s AS initial_owner, "
        "       pg_catalog.obj_description(n.oid, 'pg_namespace') AS comment, "
        "       COALESCE(n.nspacl = %s, false) AS initial_acl "
        "FROM pg_catalog.pg_namespace n "
        "WHERE " CATALOG_USER_SCHEMA("n.nspname")
        " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
        "   WHERE d.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass "
        "   AND d.objid = n.oid AND d.deptype = 'e') "
        "ORDER BY n.nspname",
        conn_server_version(ctx->conn) >= 150000 ? "6171" : "10",
        conn_server_version(ctx->conn) >= 90600 ? INITIAL_ACL_INIT_PRIVS : INITIAL_ACL_94);
    Error *e = conn_query(ctx->conn, sql, &r);
    free(sql);
    if (e)
        return e;
    AclSet *acls;
    e = meta_acl_load(ctx, "pg_catalog.pg_namespace", "o.oid", "nspacl", "o.nspowner", 'n', NULL,
                      &acls);
    if (e) {
        result_free(r);
        return e;
    }
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < result_rows(r); i++) {
        const char *name = result_str(r, i, "nspname");
        if (!meta_keep_schema(ctx, name))
            continue;
        const char *comment = result_isnull(r, i, "comment") ? NULL : result_str(r, i, "comment");
        char *q = conn_quote_ident(ctx->conn, name);
        char *what = xasprintf("SCHEMA %s", q);
        sb_reset(&sb);
        if (strcmp(name, "public") == 0) {
            if (!result_bool(r, i, "initial_owner"))
                meta_append_owner(ctx, &sb, "SCHEMA", q, result_str(r, i, "owner"));
            if (!comment)
                sb_append(&sb, "COMMENT ON SCHEMA public IS NULL;\n");
            else if (strcmp(comment, "standard public schema") != 0)
                meta_append_comment(ctx, &sb, what, comment);
            /* From the initial ACL (with the owner of the moment) back to
             * the default one, which the privileges are written against. */
            if (!result_bool(r, i, "initial_acl")) {
                sb_printf(&sb, "REVOKE ALL ON SCHEMA %s FROM PUBLIC;\n", q);
                meta_acl_append(ctx, &sb, acls, result_str(r, i, "oid"), "SCHEMA", q, NULL);
            }
            if (sb.len == 0) {
                free(q);
                free(what);
                continue;
            }
        } else {
            sb_printf(&sb, "CREATE SCHEMA %s;\n", q);
            meta_append_owner(ctx, &sb, "SCHEMA", q, result_str(r, i, "owner"));
            meta_append_comment(ctx, &sb, what, comment);
            meta_acl_append(ctx, &sb, acls, result_str(r, i, "oid"), "SCHEMA", q, NULL);
        }
        meta_emit_obj(ctx, TOC_PREDATA, name, name, "SCHEMA", "", sb.data, "pg_namespace",
                      (uint32_t)strtoul(result_str(r, i, "oid"), NULL, 10));
        free(q);
        free(what);
    }
    sb_free(&sb);
    meta_acl_free(acls);
    result_free(r);
    return NULL;
}

const MetaType meta_schemas = {"schemas", dump_schemas};
