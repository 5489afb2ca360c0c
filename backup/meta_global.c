/* Globals and the database's own metadata.
 *
 * meta_globals (section TOC_GLOBAL, replayed by gprestore --with-globals):
 * roles with their attributes and comments, their password hashes (entries
 * of their own, "ROLE PASSWORD", so that gprestore can keep them out of
 * every log), memberships, tablespaces and role-wide settings. Role names
 * starting with pg_ are the server's own and are never created. Every
 * statement can be replayed into a cluster that already has the objects:
 * CREATE ROLE is wrapped in a block that ignores duplicate_object, the other
 * statements set the state whatever it was (gprestore tolerates an existing
 * tablespace, whose CREATE cannot be wrapped).
 *
 * meta_database (pre-data entries that gprestore applies last, with
 * --create-db or --with-globals): the database's owner, comment, connection
 * limit, template flag, privileges, settings and the settings of roles in
 * this database. The database may be restored under another name
 * (--redirect-db), so no statement names it: each runs through
 * format('%I', current_database()) in a DO block. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "metadata.h"

/* Append "DO $tag$BEGIN body END$tag$;" with a tag that the body does not
 * contain (names and values may hold any text, "$$" included). */
static void append_do_block(StrBuf *sb, const char *body)
{
    char tag[32] = "$gpb$";
    for (int n = 1; strstr(body, tag); n++)
        snprintf(tag, sizeof tag, "$gpb%d$", n);
    sb_printf(sb, "DO %sBEGIN %s END%s;\n", tag, body, tag);
}

/* Append s with every '%' doubled, for a format() string. */
static void append_format_escaped(StrBuf *sb, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == '%')
            sb_append(sb, "%%");
        else
            sb_append_len(sb, p, 1);
    }
}

/* Append statements that name the database: fmt is their text with %1$I
 * where the name goes and every other '%' doubled; they run against
 * whatever database the session is connected to. */
static void append_db_statements(MetaContext *ctx, StrBuf *sb, const char *fmt)
{
    char *lit = conn_quote_literal(ctx->conn, fmt);
    char *body = xasprintf("EXECUTE pg_catalog.format(%s, pg_catalog.current_database());", lit);
    append_do_block(sb, body);
    free(body);
    free(lit);
}

/* Settings whose value is a list of names, stored quoted as identifiers
 * ("$user", public): each element must be given as a literal of its own,
 * else the whole list would become one name. The server's GUC_LIST_QUOTE
 * variables, as pg_dump lists them. */
static bool guc_list_quote(const char *name)
{
    static const char *const lists[] = {
        "local_preload_libraries", "search_path", "session_preload_libraries",
        "shared_preload_libraries", "temp_tablespaces", "unix_socket_directories",
    };
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        if (strcasecmp(name, lists[i]) == 0)
            return true;
    return false;
}

/* Split a stored list value into its elements: comma-separated, each
 * either "double quoted" (with "" for a quote) or a bare word. False when
 * the text is not of that form. */
static bool split_guc_list(const char *raw, StrList *out)
{
    const char *p = raw;
    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    if (!*p)
        return true; /* an empty list */
    for (;;) {
        StrBuf item;
        sb_init(&item);
        if (*p == '"') {
            p++;
            for (;;) {
                if (!*p) {
                    sb_free(&item);
                    return false;
                }
                if (*p == '"') {
                    if (p[1] != '"')
                        break;
                    p++;
                }
                sb_append_len(&item, p, 1);
                p++;
            }
            p++;
        } else {
            const char *start = p;
            while (*p && *p != ',' && *p != ' ' && *p != '\t' && *p != '\n')
                p++;
            if (p == start) {
                sb_free(&item);
                return false;
            }
            sb_append_len(&item, start, (size_t)(p - start));
        }
        strlist_push(out, item.data ? item.data : "");
        sb_free(&item);
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (!*p)
            return true;
        if (*p != ',')
            return false;
        p++;
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
    }
}

/* "SET name TO value" for one "name=value" item of a setconfig array. */
static char *set_clause(MetaContext *ctx, const char *item)
{
    const char *eq = strchr(item, '=');
    if (!eq)
        return NULL;
    char *name = xstrndup(item, (size_t)(eq - item));
    const char *value = eq + 1;
    StrBuf sb;
    sb_init(&sb);
    char *qname = conn_quote_ident(ctx->conn, name);
    sb_printf(&sb, "SET %s TO ", qname);
    free(qname);
    StrList parts = {0};
    if (guc_list_quote(name) && split_guc_list(value, &parts) && parts.n > 0) {
        for (size_t i = 0; i < parts.n; i++) {
            char *lit = conn_quote_literal(ctx->conn, parts.items[i]);
            sb_printf(&sb, "%s%s", i ? ", " : "", lit);
            free(lit);
        }
    } else {
        char *lit = conn_quote_literal(ctx->conn, value);
        sb_append(&sb, lit);
        free(lit);
    }
    strlist_free(&parts);
    free(name);
    return sb_steal(&sb);
}

static uint32_t row_oid(const Result *r, int row, const char *col)
{
    return (uint32_t)strtoul(result_str(r, row, col), NULL, 10);
}

/* --- roles -------------------------------------------------------------- */

static Error *dump_roles(MetaContext *ctx)
{
    int v = conn_server_version(ctx->conn);
    /* Password hashes are in pg_authid, which only superusers may read;
     * pg_roles shows everything else to everyone. */
    Result *r;
    Error *e = conn_query(ctx->conn,
                          "SELECT pg_catalog.has_table_privilege('pg_catalog.pg_authid', "
                          "'SELECT') AS ok",
                          &r);
    if (e)
        return e;
    bool authid = result_bool(r, 0, "ok");
    result_free(r);
    if (!authid)
        log_info("role passwords are not backed up: reading them needs a superuser");
    char *sql = xasprintf(
        "SELECT a.oid, a.rolname, a.rolsuper, a.rolinherit, a.rolcreaterole, a.rolcreatedb, "
        "       a.rolcanlogin, a.rolreplication, %s AS rolbypassrls, a.rolconnlimit, "
        "       %s AS rolpassword, a.rolvaliduntil::pg_catalog.text AS rolvaliduntil, "
        "       pg_catalog.shobj_description(a.oid, 'pg_authid') AS comment "
        "FROM %s a WHERE a.rolname !~ '^pg_' "
        "ORDER BY a.rolname::pg_catalog.text COLLATE \"C\"",
        v >= 90500 ? "a.rolbypassrls" : "false", authid ? "a.rolpassword" : "NULL::pg_catalog.text",
        authid ? "pg_catalog.pg_authid" : "pg_catalog.pg_roles");
    e = conn_query(ctx->conn, sql, &r);
    free(sql);
    if (e)
        return error_prefix(e, "could not read roles");
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < result_rows(r); i++) {
        const char *name = result_str(r, i, "rolname");
        char *q = conn_quote_ident(ctx->conn, name);
        char *body = xasprintf("CREATE ROLE %s; EXCEPTION WHEN duplicate_object THEN NULL;", q);
        sb_reset(&sb);
        append_do_block(&sb, body);
        free(body);
        sb_printf(&sb, "ALTER ROLE %s WITH %sSUPERUSER %sINHERIT %sCREATEROLE %sCREATEDB %sLOGIN "
                       "%sREPLICATION",
                  q, result_bool(r, i, "rolsuper") ? "" : "NO",
                  result_bool(r, i, "rolinherit") ? "" : "NO",
                  result_bool(r, i, "rolcreaterole") ? "" : "NO",
                  result_bool(r, i, "rolcreatedb") ? "" : "NO",
                  result_bool(r, i, "rolcanlogin") ? "" : "NO",
                  result_bool(r, i, "rolreplication") ? "" : "NO");
        if (v >= 90500)
            sb_printf(&sb, " %sBYPASSRLS", result_bool(r, i, "rolbypassrls") ? "" : "NO");
        sb_printf(&sb, " CONNECTION LIMIT %lld", result_int(r, i, "rolconnlimit"));
        if (!result_isnull(r, i, "rolvaliduntil")) {
            char *lit = conn_quote_literal(ctx->conn, result_str(r, i, "rolvaliduntil"));
            sb_printf(&sb, " VALID UNTIL %s", lit);
            free(lit);
        }
        sb_append(&sb, ";\n");
        char *what = xasprintf("ROLE %s", q);
        meta_append_comment(ctx, &sb, what, result_isnull(r, i, "comment")
                                                ? NULL
                                                : result_str(r, i, "comment"));
        free(what);
        meta_emit_obj(ctx, TOC_GLOBAL, "", name, "ROLE", "", sb.data, "pg_authid",
                      row_oid(r, i, "oid"));
        /* The hash is no clear-text secret, but it is one to guard: it goes
         * to the metadata file (0600) alone, in an entry gprestore runs
         * without logging its text. */
        if (!result_isnull(r, i, "rolpassword")) {
            char *lit = conn_quote_literal(ctx->conn, result_str(r, i, "rolpassword"));
            sb_reset(&sb);
            sb_printf(&sb, "ALTER ROLE %s PASSWORD %s;\n", q, lit);
            free(lit);
            meta_emit(ctx, TOC_GLOBAL, "", name, "ROLE PASSWORD", "", sb.data);
        }
        free(q);
    }
    sb_free(&sb);
    result_free(r);
    return NULL;
}

/* GRANT role TO member, with the grant's options and grantor. Grants of
 * the server's pg_* roles are kept: they are privileges (pg_read_all_data
 * and the like). */
static Error *dump_memberships(MetaContext *ctx)
{
    int v = conn_server_version(ctx->conn);
    char *sql = xasprintf(
        "SELECT ur.rolname AS role, um.rolname AS member, ug.rolname AS grantor, "
        "       m.admin_option, %s AS inherit_option, %s AS set_option "
        "FROM pg_catalog.pg_auth_members m "
        "JOIN pg_catalog.pg_roles ur ON ur.oid = m.roleid "
        "JOIN pg_catalog.pg_roles um ON um.oid = m.member "
        "LEFT JOIN pg_catalog.pg_roles ug ON ug.oid = m.grantor "
        "WHERE um.rolname !~ '^pg_' "
        /* A grant by a superuser first: on PostgreSQL 16 a grantor needs
         * ADMIN on the role, which a later grant may be what gives it. */
        "ORDER BY COALESCE(ug.rolsuper, true) DESC, ur.rolname::pg_catalog.text COLLATE \"C\", "
        "         um.rolname::pg_catalog.text COLLATE \"C\", ug.rolname::pg_catalog.text COLLATE \"C\"",
        v >= 160000 ? "m.inherit_option" : "NULL::pg_catalog.bool",
        v >= 160000 ? "m.set_option" : "NULL::pg_catalog.bool");
    Result *r;
    Error *e = conn_query(ctx->conn, sql, &r);
    free(sql);
    if (e)
        return error_prefix(e, "could not read role memberships");
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < result_rows(r); i++) {
        char *role = conn_quote_ident(ctx->conn, result_str(r, i, "role"));
        char *member = conn_quote_ident(ctx->conn, result_str(r, i, "member"));
        sb_reset(&sb);
        sb_printf(&sb, "GRANT %s TO %s", role, member);
        bool admin = result_bool(r, i, "admin_option");
        if (v >= 160000)
            sb_printf(&sb, " WITH ADMIN %s, INHERIT %s, SET %s", admin ? "TRUE" : "FALSE",
                      result_bool(r, i, "inherit_option") ? "TRUE" : "FALSE",
                      result_bool(r, i, "set_option") ? "TRUE" : "FALSE");
        else if (admin)
            sb_append(&sb, " WITH ADMIN OPTION");
        /* A grantor that was dropped leaves a dangling oid: no GRANTED BY. */
        if (!result_isnull(r, i, "grantor")) {
            char *g = conn_quote_ident(ctx->conn, result_str(r, i, "grantor"));
            sb_printf(&sb, " GRANTED BY %s", g);
            free(g);
        }
        sb_append(&sb, ";\n");
        meta_emit(ctx, TOC_GLOBAL, "", result_str(r, i, "role"), "ROLE GRANT", "", sb.data);
        free(role);
        free(member);
    }
    sb_free(&sb);
    result_free(r);
    return NULL;
}

/* --- tablespaces -------------------------------------------------------- */

/* CREATE TABLESPACE cannot run in a transaction block, so it is an entry
 * of its own; owner, options, comment and privileges follow in a second
 * one, which also brings a tablespace that already existed in line. The
 * directory must exist on the target server (see docs/gprestore.md). */
static Error *dump_tablespaces(MetaContext *ctx)
{
    Result *r;
    Error *e = conn_query(
        ctx->conn,
        "SELECT t.oid, t.spcname, pg_catalog.pg_get_userbyid(t.spcowner) AS owner, "
        "       pg_catalog.pg_tablespace_location(t.oid) AS location, "
        "       pg_catalog.array_to_string(t.spcoptions, ', ') AS options, "
        "       pg_catalog.shobj_description(t.oid, 'pg_tablespace') AS comment "
        "FROM pg_catalog.pg_tablespace t WHERE t.spcname !~ '^pg_' "
        "ORDER BY t.spcname::pg_catalog.text COLLATE \"C\"",
        &r);
    if (e)
        return error_prefix(e, "could not read tablespaces");
    AclSet *acls = NULL;
    e = meta_acl_load(ctx, "pg_catalog.pg_tablespace", "o.oid", "spcacl", "o.spcowner", 't',
                      "o.spcname !~ '^pg_'", &acls);
    if (e) {
        result_free(r);
        return e;
    }
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < result_rows(r); i++) {
        const char *name = result_str(r, i, "spcname");
        char *q = conn_quote_ident(ctx->conn, name);
        char *owner = conn_quote_ident(ctx->conn, result_str(r, i, "owner"));
        char *loc = conn_quote_literal(ctx->conn, result_str(r, i, "location"));
        uint32_t oid = row_oid(r, i, "oid");
        sb_reset(&sb);
        sb_printf(&sb, "CREATE TABLESPACE %s OWNER %s LOCATION %s;\n", q, owner, loc);
        meta_emit_obj(ctx, TOC_GLOBAL, "", name, "TABLESPACE", "", sb.data, "pg_tablespace", oid);
        sb_reset(&sb);
        meta_append_owner(ctx, &sb, "TABLESPACE", q, result_str(r, i, "owner"));
        /* Option names are the server's own keywords and values numbers,
         * as pg_dump writes them. */
        if (*result_str(r, i, "options"))
            sb_printf(&sb, "ALTER TABLESPACE %s SET (%s);\n", q, result_str(r, i, "options"));
        char *what = xasprintf("TABLESPACE %s", q);
        meta_append_comment(ctx, &sb, what,
                            result_isnull(r, i, "comment") ? NULL : result_str(r, i, "comment"));
        free(what);
        meta_acl_append(ctx, &sb, acls, result_str(r, i, "oid"), "TABLESPACE", q, NULL);
        meta_emit(ctx, TOC_GLOBAL, "", name, "TABLESPACE METADATA", "", sb.data);
        free(q);
        free(owner);
        free(loc);
    }
    sb_free(&sb);
    meta_acl_free(acls);
    result_free(r);
    return NULL;
}

/* --- settings ----------------------------------------------------------- */

/* The rows of pg_db_role_setting for every role (setdatabase 0) and for
 * this database, one row per setting, in the order they are stored. */
static Error *load_settings(MetaContext *ctx, Result **out)
{
    Error *e = conn_query(
        ctx->conn,
        "SELECT s.setdatabase <> 0 AS indb, s.setrole, r.rolname, c.item "
        "FROM pg_catalog.pg_db_role_setting s "
        "LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.setrole, "
        "     pg_catalog.unnest(s.setconfig) WITH ORDINALITY c(item, ord) "
        "WHERE s.setdatabase = 0 OR s.setdatabase = (SELECT d.oid FROM pg_catalog.pg_database d "
        "                                            WHERE d.datname = pg_catalog.current_database()) "
        "ORDER BY 1, r.rolname::pg_catalog.text COLLATE \"C\", c.ord",
        out);
    return e ? error_prefix(e, "could not read role and database settings") : NULL;
}

/* ALTER ROLE ... SET for every role-wide setting: one entry per role. */
static void dump_role_settings(MetaContext *ctx, const Result *r)
{
    StrBuf sb;
    sb_init(&sb);
    const char *current = NULL;
    for (int i = 0; i <= result_rows(r); i++) {
        bool row = i < result_rows(r) && !result_bool(r, i, "indb") &&
                   !result_isnull(r, i, "rolname");
        const char *role = row ? result_str(r, i, "rolname") : NULL;
        if (current && (!role || strcmp(role, current) != 0)) {
            meta_emit(ctx, TOC_GLOBAL, "", current, "ROLE GUCS", "", sb.data);
            current = NULL;
        }
        if (!row)
            continue;
        if (!current) {
            sb_reset(&sb);
            current = role;
        }
        char *clause = set_clause(ctx, result_str(r, i, "item"));
        if (clause) {
            char *q = conn_quote_ident(ctx->conn, role);
            sb_printf(&sb, "ALTER ROLE %s %s;\n", q, clause);
            free(q);
            free(clause);
        }
    }
    sb_free(&sb);
}

/* ALTER DATABASE <this> SET and ALTER ROLE ... IN DATABASE <this> SET:
 * one entry for the database's settings, one per role with settings here. */
static void dump_database_settings(MetaContext *ctx, const Result *r, const char *dbname)
{
    StrBuf sb, fmt;
    sb_init(&sb);
    sb_init(&fmt);
    /* The database's own (setrole 0) sort before any role name. */
    const char *current = NULL;
    bool current_db = false;
    for (int i = 0; i <= result_rows(r); i++) {
        bool row = i < result_rows(r) && result_bool(r, i, "indb");
        bool db = row && strcmp(result_str(r, i, "setrole"), "0") == 0;
        if (row && !db && result_isnull(r, i, "rolname"))
            continue; /* a role dropped under the snapshot */
        const char *key = !row ? NULL : db ? "" : result_str(r, i, "rolname");
        if (current && (!key || db != current_db || strcmp(key, current) != 0)) {
            meta_emit(ctx, TOC_PREDATA, "", current_db ? dbname : current,
                      current_db ? "DATABASE GUCS" : "DATABASE ROLE GUCS", "", sb.data);
            current = NULL;
        }
        if (!row)
            continue;
        if (!current) {
            sb_reset(&sb);
            current = key;
            current_db = db;
        }
        char *clause = set_clause(ctx, result_str(r, i, "item"));
        if (!clause)
            continue;
        sb_reset(&fmt);
        if (db) {
            sb_append(&fmt, "ALTER DATABASE %1$I ");
        } else {
            char *q = conn_quote_ident(ctx->conn, key);
            sb_append(&fmt, "ALTER ROLE ");
            append_format_escaped(&fmt, q);
            sb_append(&fmt, " IN DATABASE %1$I ");
            free(q);
        }
        append_format_escaped(&fmt, clause);
        free(clause);
        append_db_statements(ctx, &sb, fmt.data);
    }
    sb_free(&fmt);
    sb_free(&sb);
}

static Error *dump_meta_globals(MetaContext *ctx)
{
    if (ctx->without_globals)
        return NULL;
    Error *e = dump_roles(ctx);
    if (!e)
        e = dump_memberships(ctx);
    if (!e)
        e = dump_tablespaces(ctx);
    Result *r = NULL;
    if (!e)
        e = load_settings(ctx, &r);
    if (!e)
        dump_role_settings(ctx, r);
    result_free(r);
    return e;
}

const MetaType meta_globals = {"globals", dump_meta_globals};

/* --- the database ------------------------------------------------------- */

static Error *dump_meta_database(MetaContext *ctx)
{
    Result *r;
    Error *e = conn_query(
        ctx->conn,
        "SELECT d.oid, d.datname, pg_catalog.pg_get_userbyid(d.datdba) AS owner, "
        "       d.datconnlimit, d.datistemplate, "
        "       pg_catalog.shobj_description(d.oid, 'pg_database') AS comment "
        "FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()",
        &r);
    if (e)
        return error_prefix(e, "could not read the database's properties");
    if (result_rows(r) != 1) {
        result_free(r);
        return ERROR_NEW(ERR_INTERNAL, "the current database is not in pg_database");
    }
    AclSet *acls = NULL;
    e = meta_acl_load(ctx, "pg_catalog.pg_database", "o.oid", "datacl", "o.datdba", 'd',
                      "o.datname = pg_catalog.current_database()", &acls);
    if (e) {
        result_free(r);
        return e;
    }
    const char *dbname = result_str(r, 0, "datname");
    StrBuf sb, fmt;
    sb_init(&sb);
    sb_init(&fmt);
    /* The owner first: the privileges below are relative to its defaults. */
    char *owner = conn_quote_ident(ctx->conn, result_str(r, 0, "owner"));
    sb_append(&fmt, "ALTER DATABASE %1$I OWNER TO ");
    append_format_escaped(&fmt, owner);
    free(owner);
    append_db_statements(ctx, &sb, fmt.data);
    if (!result_isnull(r, 0, "comment")) {
        char *lit = conn_quote_literal(ctx->conn, result_str(r, 0, "comment"));
        sb_reset(&fmt);
        sb_append(&fmt, "COMMENT ON DATABASE %1$I IS ");
        append_format_escaped(&fmt, lit);
        free(lit);
        append_db_statements(ctx, &sb, fmt.data);
    }
    if (result_int(r, 0, "datconnlimit") != -1) {
        sb_reset(&fmt);
        sb_printf(&fmt, "ALTER DATABASE %%1$I CONNECTION LIMIT %lld",
                  result_int(r, 0, "datconnlimit"));
        append_db_statements(ctx, &sb, fmt.data);
    }
    if (result_bool(r, 0, "datistemplate"))
        append_db_statements(ctx, &sb, "ALTER DATABASE %1$I IS_TEMPLATE true");
    /* The ACL statements name the database where the marker is. */
    StrBuf acl;
    sb_init(&acl);
    meta_acl_append(ctx, &acl, acls, result_str(r, 0, "oid"), "DATABASE", "\x01", NULL);
    while (acl.len && acl.data[acl.len - 1] == '\n')
        acl.data[--acl.len] = '\0';
    if (acl.len) {
        sb_reset(&fmt);
        for (const char *p = acl.data; *p; p++) {
            if (*p == '\x01')
                sb_append(&fmt, "%1$I");
            else if (*p == '%')
                sb_append(&fmt, "%%");
            else
                sb_append_len(&fmt, p, 1);
        }
        append_db_statements(ctx, &sb, fmt.data);
    }
    sb_free(&acl);
    meta_emit_obj(ctx, TOC_PREDATA, "", dbname, "DATABASE METADATA", "", sb.data, "pg_database",
                  row_oid(r, 0, "oid"));
    Result *settings = NULL;
    e = load_settings(ctx, &settings);
    if (!e)
        dump_database_settings(ctx, settings, dbname);
    result_free(settings);
    sb_free(&fmt);
    sb_free(&sb);
    meta_acl_free(acls);
    result_free(r);
    return e;
}

const MetaType meta_database = {"database", dump_meta_database};
