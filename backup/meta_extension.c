/* Extensions: CREATE EXTENSION IF NOT EXISTS with the schema and version
 * they have, and their comment; never their member objects (every other
 * module leaves those out: pg_depend deptype 'e'), which the extension's
 * script creates again. Extensions created with the database (plpgsql,
 * oid below FirstNormalObjectId) are left out, as pg_dump does; one
 * re-created by a user is written, and IF NOT EXISTS keeps that harmless.
 * Not covered: the rows of an extension's configuration tables
 * (pg_extension_config_dump) and changes made to member objects after
 * CREATE EXTENSION (privileges recorded in pg_init_privs, ...). */
#include <stdlib.h>
#include <string.h>

#include "metadata.h"

static Error *dump_extensions(MetaContext *ctx)
{
    Result *r;
    Error *e = conn_query(
        ctx->conn,
        "SELECT e.oid, e.extname, n.nspname, e.extversion, "
        "       pg_catalog.obj_description(e.oid, 'pg_extension') AS comment "
        "FROM pg_catalog.pg_extension e "
        "JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.oid >= 16384 "
        "ORDER BY e.extname",
        &r);
    if (e)
        return e;
    bool whole = ctx->filter->include_schemas.n == 0 && !filter_has_table_includes(ctx->filter);
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < result_rows(r); i++) {
        const char *schema = result_str(r, i, "nspname");
        const char *name = result_str(r, i, "extname");
        /* An extension goes with its schema; those that must live in
         * pg_catalog (plpgsql, adminpack) with the whole database. */
        bool keep = strcmp(schema, "pg_catalog") == 0 ? whole : meta_keep_schema(ctx, schema);
        if (!keep)
            continue;
        char *q = conn_quote_ident(ctx->conn, name);
        char *qs = conn_quote_ident(ctx->conn, schema);
        char *version = conn_quote_literal(ctx->conn, result_str(r, i, "extversion"));
        sb_reset(&sb);
        sb_printf(&sb, "CREATE EXTENSION IF NOT EXISTS %s WITH SCHEMA %s VERSION %s;\n", q, qs,
                  version);
        /* CREATE EXTENSION sets the comment of its control file: a comment
         * removed in the source is removed again. */
        char *what = xasprintf("EXTENSION %s", q);
        if (result_isnull(r, i, "comment"))
            sb_printf(&sb, "COMMENT ON %s IS NULL;\n", what);
        else
            meta_append_comment(ctx, &sb, what, result_str(r, i, "comment"));
        free(what);
        meta_emit_obj(ctx, TOC_PREDATA, schema, name, "EXTENSION", "", sb.data, "pg_extension",
                      (uint32_t)strtoul(result_str(r, i, "oid"), NULL, 10));
        free(version);
        free(qs);
        free(q);
    }
    sb_free(&sb);
    result_free(r);
    return NULL;
}

const MetaType meta_extensions = {"extensions", dump_extensions};
