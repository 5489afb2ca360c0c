/* Foreign data: wrappers (handler, validator, options), servers (type,
 * version, options) and user mappings, with owners, comments and
 * privileges. Foreign tables are relations with columns: meta_table.c
 * writes them. Wrappers and servers belong to no schema: a backup without
 * include filters takes them all, a filtered one only those its foreign
 * tables use. A user mapping's "password" option is a secret: it is left
 * out, with a warning naming the mapping (the restored mapping must be
 * given its password again). */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metadata.h"

#define NOT_EXTENSION_MEMBER(catalog, oid)                                       \
    "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "                          \
    "  WHERE d.classid = '" catalog "'::pg_catalog.regclass AND d.objid = " oid \
    "  AND d.deptype = 'e')"

/* Options of every object of a catalog, one per row in array order. */
static Error *load_options(MetaContext *ctx, const char *sql, Result **r, RowIndex *ix)
{
    Error *e = conn_query(ctx->conn, sql, r);
    if (!e)
        meta_row_index(ix, *r, "oid");
    return e;
}

/* " OPTIONS (\n    name 'value',\n ...)" when the object has options;
 * skip names an option left out (NULL: none). Returns how many were left
 * out. */
static int append_options(MetaContext *ctx, StrBuf *sb, const Result *r, const RowIndex *ix,
                          uint32_t oid, const char *skip)
{
    int count, first = meta_row_find(ix, oid, &count), n = 0, skipped = 0;
    for (int i = first; i >= 0 && i < first + count; i++) {
        const char *name = result_str(r, i, "name");
        if (skip && strcmp(name, skip) == 0) {
            skipped++;
            continue;
        }
        char *qn = conn_quote_ident(ctx->conn, name);
        char *qv = conn_quote_literal(ctx->conn, result_str(r, i, "value"));
        sb_printf(sb, "%s\n    %s %s", n++ ? "," : " OPTIONS (", qn, qv);
        free(qn);
        free(qv);
    }
    if (n)
        sb_append(sb, "\n)");
    return skipped;
}

static uint32_t row_oid(const Result *r, int i, const char *col)
{
    return (uint32_t)strtoul(result_str(r, i, col), NULL, 10);
}

static bool filtered(const MetaContext *ctx)
{
    return ctx->filter->include_schemas.n > 0 || filter_has_table_includes(ctx->filter);
}

/* The servers the kept foreign tables use, as an oid array literal. */
static Error *used_servers(MetaContext *ctx, Result **out)
{
    char *oids = catalog_oid_array(ctx->tables);
    const char *params[1] = {oids};
    Error *e = conn_query_params(ctx->conn,
                                 "SELECT DISTINCT f.ftserver AS oid, s.srvfdw "
                                 "FROM pg_catalog.pg_foreign_table f "
                                 "JOIN pg_catalog.pg_foreign_server s ON s.oid = f.ftserver "
                                 "WHERE f.ftrelid = ANY($1::pg_catalog.oid[]) ORDER BY 1",
                                 1, params, out);
    free(oids);
    return e;
}

static bool used(const Result *r, const char *col, uint32_t oid)
{
    for (int i = 0; r && i < result_rows(r); i++)
        if (row_oid(r, i, col) == oid)
            return true;
    return false;
}

static Error *dump_wrappers(MetaContext *ctx, const Result *keep)
{
    Result *r = NULL, *opts = NULL;
    RowIndex ix = {0};
    AclSet *acls = NULL;
    Error *e = conn_query(
        ctx->conn,
        "SELECT w.oid, w.fdwname, pg_catalog.pg_get_userbyid(w.fdwowner) AS owner, "
        "       hn.nspname AS handler_schema, h.proname AS handler, "
        "       vn.nspname AS validator_schema, v.proname AS validator, "
        "       pg_catalog.obj_description(w.oid, 'pg_foreign_data_wrapper') AS comment "
        "FROM pg_catalog.pg_foreign_data_wrapper w "
        "LEFT JOIN pg_catalog.pg_proc h ON h.oid = w.fdwhandler "
        "LEFT JOIN pg_catalog.pg_namespace hn ON hn.oid = h.pronamespace "
        "LEFT JOIN pg_catalog.pg_proc v ON v.oid = w.fdwvalidator "
        "LEFT JOIN pg_catalog.pg_namespace vn ON vn.oid = v.pronamespace "
        "WHERE " NOT_EXTENSION_MEMBER("pg_catalog.pg_foreign_data_wrapper", "w.oid")
        " ORDER BY w.fdwname",
        &r);
    if (!e)
        e = load_options(ctx,
                         "SELECT w.oid, o.name, o.value FROM pg_catalog.pg_foreign_data_wrapper w, "
                         "pg_catalog.pg_options_to_table(w.fdwoptions) WITH ORDINALITY "
                         "o(name, value, ord) ORDER BY w.oid, o.ord",
                         &opts, &ix);
    if (!e)
        e = meta_acl_load(ctx, "pg_catalog.pg_foreign_data_wrapper", "o.oid", "fdwacl",
                          "o.fdwowner", 'F', NULL, &acls);
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; !e && i < result_rows(r); i++) {
        uint32_t oid = row_oid(r, i, "oid");
        if (filtered(ctx) && !used(keep, "srvfdw", oid))
            continue;
        const char *name = result_str(r, i, "fdwname");
        char *q = conn_quote_ident(ctx->conn, name);
        sb_reset(&sb);
        sb_printf(&sb, "CREATE FOREIGN DATA WRAPPER %s", q);
        if (!result_isnull(r, i, "handler")) {
            char *h = conn_quote_qualified(ctx->conn, result_str(r, i, "handler_schema"),
                                           result_str(r, i, "handler"));
            sb_printf(&sb, " HANDLER %s", h);
            free(h);
        }
        if (!result_isnull(r, i, "validator")) {
            char *v = conn_quote_qualified(ctx->conn, result_str(r, i, "validator_schema"),
                                           result_str(r, i, "validator"));
            sb_printf(&sb, " VALIDATOR %s", v);
            free(v);
        }
        append_options(ctx, &sb, opts, &ix, oid, NULL);
        sb_append(&sb, ";\n");
        meta_append_owner(ctx, &sb, "FOREIGN DATA WRAPPER", q, result_str(r, i, "owner"));
        char *what = xasprintf("FOREIGN DATA WRAPPER %s", q);
        meta_append_comment(ctx, &sb, what,
                            result_isnull(r, i, "comment") ? NULL : result_str(r, i, "comment"));
        free(what);
        meta_acl_append(ctx, &sb, acls, result_str(r, i, "oid"), "FOREIGN DATA WRAPPER", q, NULL);
        meta_emit_obj(ctx, TOC_PREDATA, "", name, "FOREIGN DATA WRAPPER", "", sb.data,
                      "pg_foreign_data_wrapper", oid);
        free(q);
    }
    sb_free(&sb);
    meta_acl_free(acls);
    meta_row_index_free(&ix);
    result_free(opts);
    result_free(r);
    return e;
}

static Error *dump_user_mappings(MetaContext *ctx, const Result *servers, const bool *keep)
{
    Result *r = NULL, *opts = NULL;
    RowIndex ix = {0};
    /* pg_user_mappings shows the options to those allowed to see them (the
     * server's owner, the mapped user, superusers). */
    Error *e = conn_query(ctx->conn,
                          "SELECT m.umid, m.srvid, m.umuser, m.usename "
                          "FROM pg_catalog.pg_user_mappings m ORDER BY m.srvid, m.usename",
                          &r);
    if (!e)
        e = load_options(ctx,
                         "SELECT m.umid AS oid, o.name, o.value FROM pg_catalog.pg_user_mappings m, "
                         "pg_catalog.pg_options_to_table(m.umoptions) WITH ORDINALITY "
                         "o(name, value, ord) ORDER BY m.umid, o.ord",
                         &opts, &ix);
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; !e && i < result_rows(r); i++) {
        uint32_t srvid = row_oid(r, i, "srvid");
        int s = -1;
        for (int k = 0; k < result_rows(servers) && s < 0; k++)
            if (keep[k] && row_oid(servers, k, "oid") == srvid)
                s = k;
        if (s < 0)
            continue;
        bool public_ = strcmp(result_str(r, i, "umuser"), "0") == 0;
        const char *user = result_str(r, i, "usename");
        char *who = public_ ? xstrdup("PUBLIC") : conn_quote_ident(ctx->conn, user);
        char *srv = conn_quote_ident(ctx->conn, result_str(servers, s, "srvname"));
        sb_reset(&sb);
        sb_printf(&sb, "CREATE USER MAPPING FOR %s SERVER %s", who, srv);
        uint32_t umid = row_oid(r, i, "umid");
        if (append_options(ctx, &sb, opts, &ix, umid, "password"))
            log_warning("user mapping for %s on server \"%s\": its password is not backed up; "
                        "set it again after the restore (ALTER USER MAPPING ... OPTIONS (ADD "
                        "password '...'))",
                        public_ ? "PUBLIC" : user, result_str(servers, s, "srvname"));
        sb_append(&sb, ";\n");
        char *name = xasprintf("USER MAPPING %s SERVER %s", public_ ? "public" : user,
                               result_str(servers, s, "srvname"));
        meta_emit_obj(ctx, TOC_PREDATA, "", name, "USER MAPPING", "", sb.data, "pg_user_mapping",
                      umid);
        free(name);
        free(srv);
        free(who);
    }
    sb_free(&sb);
    meta_row_index_free(&ix);
    result_free(opts);
    result_free(r);
    return e;
}

static Error *dump_servers(MetaContext *ctx, const Result *used_by_tables)
{
    Result *r = NULL, *opts = NULL;
    RowIndex ix = {0};
    AclSet *acls = NULL;
    bool *keep = NULL;
    Error *e = conn_query(
        ctx->conn,
        "SELECT s.oid, s.srvname, pg_catalog.pg_get_userbyid(s.srvowner) AS owner, s.srvtype, "
        "       s.srvversion, w.fdwname, "
        "       pg_catalog.obj_description(s.oid, 'pg_foreign_server') AS comment "
        "FROM pg_catalog.pg_foreign_server s "
        "JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw "
        "WHERE " NOT_EXTENSION_MEMBER("pg_catalog.pg_foreign_server", "s.oid")
        " ORDER BY s.srvname",
        &r);
    if (!e)
        e = load_options(ctx,
                         "SELECT s.oid, o.name, o.value FROM pg_catalog.pg_foreign_server s, "
                         "pg_catalog.pg_options_to_table(s.srvoptions) WITH ORDINALITY "
                         "o(name, value, ord) ORDER BY s.oid, o.ord",
                         &opts, &ix);
    if (!e)
        e = meta_acl_load(ctx, "pg_catalog.pg_foreign_server", "o.oid", "srvacl", "o.srvowner", 'S',
                          NULL, &acls);
    if (!e)
        keep = xcalloc((size_t)result_rows(r) + 1, sizeof(bool));
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; !e && i < result_rows(r); i++) {
        uint32_t oid = row_oid(r, i, "oid");
        if (filtered(ctx) && !used(used_by_tables, "oid", oid))
            continue;
        keep[i] = true;
        const char *name = result_str(r, i, "srvname");
        char *q = conn_quote_ident(ctx->conn, name);
        sb_reset(&sb);
        sb_printf(&sb, "CREATE SERVER %s", q);
        if (!result_isnull(r, i, "srvtype")) {
            char *v = conn_quote_literal(ctx->conn, result_str(r, i, "srvtype"));
            sb_printf(&sb, " TYPE %s", v);
            free(v);
        }
        if (!result_isnull(r, i, "srvversion")) {
            char *v = conn_quote_literal(ctx->conn, result_str(r, i, "srvversion"));
            sb_printf(&sb, " VERSION %s", v);
            free(v);
        }
        char *fdw = conn_quote_ident(ctx->conn, result_str(r, i, "fdwname"));
        sb_printf(&sb, " FOREIGN DATA WRAPPER %s", fdw);
        free(fdw);
        append_options(ctx, &sb, opts, &ix, oid, NULL);
        sb_append(&sb, ";\n");
        meta_append_owner(ctx, &sb, "SERVER", q, result_str(r, i, "owner"));
        char *what = xasprintf("SERVER %s", q);
        meta_append_comment(ctx, &sb, what,
                            result_isnull(r, i, "comment") ? NULL : result_str(r, i, "comment"));
        free(what);
        meta_acl_append(ctx, &sb, acls, result_str(r, i, "oid"), "FOREIGN SERVER", q, NULL);
        meta_emit_obj(ctx, TOC_PREDATA, "", name, "SERVER", "", sb.data, "pg_foreign_server", oid);
        free(q);
    }
    sb_free(&sb);
    if (!e)
        e = dump_user_mappings(ctx, r, keep);
    free(keep);
    meta_acl_free(acls);
    meta_row_index_free(&ix);
    result_free(opts);
    result_free(r);
    return e;
}

static Error *dump_foreign_data(MetaContext *ctx)
{
    Result *keep = NULL;
    Error *e = filtered(ctx) ? used_servers(ctx, &keep) : NULL;
    if (!e)
        e = dump_wrappers(ctx, keep);
    if (!e)
        e = dump_servers(ctx, keep);
    result_free(keep);
    return e;
}

const MetaType meta_foreign_data = {"foreign data", dump_foreign_data};
