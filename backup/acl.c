/* Privileges as GRANT and REVOKE statements. The server does the set
 * arithmetic: aclexplode() of the object's ACL against aclexplode() of
 * acldefault() for its kind and owner gives what to revoke from the default
 * and what to grant, item by item in ACL order, so that replaying the
 * statements yields the same ACL array (pg_dump prints it in array order). */
#include <stdlib.h>
#include <string.h>

#include "metadata.h"

typedef struct AclRow {
    const char *key;
    bool revoke;
    const char *grantee;     /* role name, or NULL for PUBLIC */
    const char *privilege;
    bool grantable;
} AclRow;

struct AclSet {
    Result *res;
    AclRow *rows;
    size_t n;
};

Error *meta_acl_load(MetaContext *ctx, const char *catalog, const char *key_expr,
                     const char *acl_col, const char *owner_expr, char objtype, const char *where,
                     AclSet **out)
{
    *out = NULL;
    char *sql = xasprintf(
        "SELECT * FROM (WITH o AS (SELECT %s AS key, %s AS owner, o.%s AS acl FROM %s o "
        "           WHERE o.%s IS NOT NULL%s%s) "
        "SELECT o.key::pg_catalog.text AS key, 0 AS action, 0::pg_catalog.int8 AS ord, "
        "       CASE WHEN d.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(d.grantee) END "
        "         AS grantee, d.privilege_type, d.is_grantable "
        "FROM o, pg_catalog.aclexplode(pg_catalog.acldefault('%c', o.owner)) d "
        "WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.aclexplode(o.acl) a "
        "  WHERE a.grantee = d.grantee AND a.privilege_type = d.privilege_type "
        "  AND a.is_grantable = d.is_grantable) "
        "UNION ALL "
        "SELECT o.key::pg_catalog.text, 1, a.ord, "
        "       CASE WHEN a.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(a.grantee) END, "
        "       a.privilege_type, a.is_grantable "
        "FROM o, pg_catalog.aclexplode(o.acl) WITH ORDINALITY "
        "       a(grantor, grantee, privilege_type, is_grantable, ord) "
        "WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.aclexplode(pg_catalog.acldefault('%c', o.owner)) d "
        "  WHERE d.grantee = a.grantee AND d.privilege_type = a.privilege_type "
        "  AND d.is_grantable = a.is_grantable) "
        ") u ORDER BY u.key COLLATE \"C\", 2, 3",
        key_expr, owner_expr, acl_col, catalog, acl_col, where ? " AND " : "", where ? where : "",
        objtype, objtype);
    Result *r;
    Error *e = conn_query(ctx->conn, sql, &r);
    free(sql);
    if (e)
        return error_prefix(e, "could not read privileges from %s", catalog);
    AclSet *set = xcalloc(1, sizeof *set);
    set->res = r;
    set->n = (size_t)result_rows(r);
    set->rows = xcalloc(set->n + 1, sizeof(AclRow));
    int ck = result_col(r, "key"), ca = result_col(r, "action"), cg = result_col(r, "grantee");
    int cp = result_col(r, "privilege_type"), cgr = result_col(r, "is_grantable");
    for (size_t i = 0; i < set->n; i++) {
        AclRow *row = &set->rows[i];
        row->key = result_get(r, (int)i, ck);
        row->revoke = strcmp(result_get(r, (int)i, ca), "0") == 0;
        row->grantee = result_get(r, (int)i, cg);
        row->privilege = result_get(r, (int)i, cp);
        row->grantable = strcmp(result_get(r, (int)i, cgr), "t") == 0;
    }
    *out = set;
    return NULL;
}

static const AclRow *first_row(const AclSet *set, const char *key, size_t *count)
{
    /* Rows are sorted by key (as text): binary search the first. */
    size_t lo = 0, hi = set->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(set->rows[mid].key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    while (lo + n < set->n && strcmp(set->rows[lo + n].key, key) == 0)
        n++;
    *count = n;
    return n ? &set->rows[lo] : NULL;
}

void meta_acl_append(MetaContext *ctx, StrBuf *sb, const AclSet *acls, const char *key,
                     const char *kind, const char *object, const char *column)
{
    if (!acls)
        return;
    size_t n;
    const AclRow *rows = first_row(acls, key, &n);
    for (size_t i = 0; i < n;) {
        const AclRow *r = &rows[i];
        /* One statement for consecutive rows of the same grantee, action
         * and grant option: one ACL item. */
        size_t j = i + 1;
        while (j < n && rows[j].revoke == r->revoke && rows[j].grantable == r->grantable &&
               ((!rows[j].grantee && !r->grantee) ||
                (rows[j].grantee && r->grantee && strcmp(rows[j].grantee, r->grantee) == 0)))
            j++;
        char *who = r->grantee ? conn_quote_ident(ctx->conn, r->grantee) : xstrdup("PUBLIC");
        sb_append(sb, r->revoke ? (r->grantable ? "REVOKE GRANT OPTION FOR " : "REVOKE ") : "GRANT ");
        for (size_t k = i; k < j; k++) {
            sb_printf(sb, "%s%s", k > i ? ", " : "", rows[k].privilege);
            if (column)
                sb_printf(sb, " (%s)", column);
        }
        sb_printf(sb, " ON %s %s %s %s%s;\n", kind, object, r->revoke ? "FROM" : "TO", who,
                  !r->revoke && r->grantable ? " WITH GRANT OPTION" : "");
        free(who);
        i = j;
    }
}

void meta_acl_free(AclSet *acls)
{
    if (!acls)
        return;
    result_free(acls->res);
    free(acls->rows);
    free(acls);
}
