/* Default privileges (pg_default_acl): ALTER DEFAULT PRIVILEGES FOR ROLE r
 * [IN SCHEMA s] GRANT/REVOKE ... ON TABLES|SEQUENCES|FUNCTIONS|TYPES|
 * SCHEMAS. As pg_dump does, a database-wide entry is the difference from
 * the built-in default (acldefault for the kind and role), a per-schema
 * entry the difference from nothing, since it can only add to the
 * database-wide one. The server does the set arithmetic (aclexplode), and
 * grants come in the order of the ACL's items so that the restored ACL
 * lists them in the same order. Post-data, after every object: the
 * defaults must not change the privileges of what the restore creates. */
#include <stdlib.h>
#include <string.h>

#include "metadata.h"

static const char *defacl_kind(char objtype)
{
    switch (objtype) {
    case 'r':
        return "TABLES";
    case 'S':
        return "SEQUENCES";
    case 'f':
        return "FUNCTIONS";
    case 'T':
        return "TYPES";
    case 'n':
        return "SCHEMAS";
    default:
        return NULL;
    }
}

static Error *dump_default_privileges(MetaContext *ctx)
{
    Result *r;
    Error *e = conn_query(
        ctx->conn,
        "WITH o AS ("
        "  SELECT a.oid, a.defaclrole, a.defaclnamespace, a.defaclobjtype, a.defaclacl AS acl, "
        "         CASE WHEN a.defaclnamespace = 0 "
        "              THEN pg_catalog.acldefault(CASE WHEN a.defaclobjtype = 'S' "
        "                                              THEN 's'::pg_catalog.\"char\" "
        "                                              ELSE a.defaclobjtype END, a.defaclrole) "
        /* No base for a per-schema entry: NULL, which aclexplode reads as
         * empty (an empty array literal is an error to it). */
        "              END AS base "
        "  FROM pg_catalog.pg_default_acl a), "
        "c AS ("
        "  SELECT o.oid, 0 AS action, b.ord, b.grantee, b.privilege_type, b.is_grantable "
        "  FROM o, pg_catalog.aclexplode(o.base) WITH ORDINALITY "
        "         b(grantor, grantee, privilege_type, is_grantable, ord) "
        "  WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.aclexplode(o.acl) x "
        "    WHERE x.grantee = b.grantee AND x.privilege_type = b.privilege_type "
        "    AND x.is_grantable = b.is_grantable) "
        "  UNION ALL "
        "  SELECT o.oid, 1, x.ord, x.grantee, x.privilege_type, x.is_grantable "
        "  FROM o, pg_catalog.aclexplode(o.acl) WITH ORDINALITY "
        "         x(grantor, grantee, privilege_type, is_grantable, ord) "
        "  WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.aclexplode(o.base) b "
        "    WHERE b.grantee = x.grantee AND b.privilege_type = x.privilege_type "
        "    AND b.is_grantable = x.is_grantable)) "
        "SELECT o.oid, pg_catalog.pg_get_userbyid(o.defaclrole) AS role, n.nspname, "
        "       o.defaclobjtype, c.action, "
        "       CASE WHEN c.grantee = 0 THEN NULL "
        "            ELSE pg_catalog.pg_get_userbyid(c.grantee) END AS grantee, "
        "       c.privilege_type, c.is_grantable "
        "FROM o JOIN c ON c.oid = o.oid "
        "LEFT JOIN pg_catalog.pg_namespace n ON n.oid = o.defaclnamespace "
        "ORDER BY o.oid, c.action, c.ord",
        &r);
    if (e)
        return e;
    /* Database-wide defaults come only with a backup of the whole
     * database, as in pg_dump; per-schema ones with their schema. */
    bool whole = ctx->filter->include_schemas.n == 0 && !filter_has_table_includes(ctx->filter);
    StrBuf sb;
    sb_init(&sb);
    int rows = result_rows(r);
    for (int i = 0; i < rows;) {
        const char *oid = result_str(r, i, "oid");
        int j = i + 1;
        while (j < rows && strcmp(result_str(r, j, "oid"), oid) == 0)
            j++;
        bool in_schema = !result_isnull(r, i, "nspname");
        const char *schema = result_str(r, i, "nspname");
        const char *kind = defacl_kind(result_str(r, i, "defaclobjtype")[0]);
        if (!kind || (in_schema ? !meta_keep_schema(ctx, schema) : !whole)) {
            i = j;
            continue;
        }
        char *role = conn_quote_ident(ctx->conn, result_str(r, i, "role"));
        StrBuf prefix;
        sb_init(&prefix);
        sb_printf(&prefix, "ALTER DEFAULT PRIVILEGES FOR ROLE %s", role);
        if (in_schema) {
            char *qs = conn_quote_ident(ctx->conn, schema);
            sb_printf(&prefix, " IN SCHEMA %s", qs);
            free(qs);
        }
        sb_reset(&sb);
        for (int k = i; k < j;) {
            bool revoke = strcmp(result_str(r, k, "action"), "0") == 0;
            bool grantable = result_bool(r, k, "is_grantable");
            const char *grantee = result_isnull(r, k, "grantee") ? NULL
                                                                  : result_str(r, k, "grantee");
            /* One statement per ACL item: consecutive rows of the same
             * grantee, action and grant option. */
            int m = k + 1;
            while (m < j && (strcmp(result_str(r, m, "action"), "0") == 0) == revoke &&
                   result_bool(r, m, "is_grantable") == grantable &&
                   result_isnull(r, m, "grantee") == (grantee == NULL) &&
                   (!grantee || strcmp(result_str(r, m, "grantee"), grantee) == 0))
                m++;
            char *who = grantee ? conn_quote_ident(ctx->conn, grantee) : xstrdup("PUBLIC");
            sb_printf(&sb, "%s %s ", prefix.data, revoke ? "REVOKE" : "GRANT");
            for (int p = k; p < m; p++)
                sb_printf(&sb, "%s%s", p > k ? ", " : "", result_str(r, p, "privilege_type"));
            /* The built-in defaults hold no grant options: a revoke is of
             * the privilege itself. */
            sb_printf(&sb, " ON %s %s %s%s;\n", kind, revoke ? "FROM" : "TO", who,
                      !revoke && grantable ? " WITH GRANT OPTION" : "");
            free(who);
            k = m;
        }
        char *name = xasprintf("DEFAULT PRIVILEGES FOR %s", kind);
        meta_emit_obj(ctx, TOC_POSTDATA, in_schema ? schema : "", name, "DEFAULT PRIVILEGES", "",
                      sb.data, "pg_default_acl", (uint32_t)strtoul(oid, NULL, 10));
        free(name);
        sb_free(&prefix);
        free(role);
        i = j;
    }
    sb_free(&sb);
    result_free(r);
    return NULL;
}

const MetaType meta_default_privileges = {"default privileges", dump_default_privileges};
