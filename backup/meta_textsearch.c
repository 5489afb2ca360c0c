/* Full text search objects: parsers and templates (no owner in the
 * catalog), dictionaries with their options, configurations with their
 * parser and token mappings (one ADD MAPPING per token type, dictionaries in
 * mapping order, as pg_dump writes them), owners and comments. Pre-data:
 * columns, indexes and functions may name them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metadata.h"

/* Leaves out system schemas and members of extensions (dict_int, ...). */
#define TS_USER_OBJECT(catalog, alias)                                              \
    CATALOG_USER_SCHEMA("n.nspname")                                                \
    " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "                        \
    "   WHERE d.classid = 'pg_catalog." catalog "'::pg_catalog.regclass "           \
    "   AND d.objid = " alias ".oid AND d.deptype = 'e') "

/* Select list and join for the schema and name of the function in column
 * col of alias a (NULL names when the column is 0). */
#define FUNC_COLS(col) " , n_" col ".nspname AS " col "_schema, p_" col ".proname AS " col "_name "
#define FUNC_JOIN(a, col)                                                              \
    " LEFT JOIN pg_catalog.pg_proc p_" col " ON p_" col ".oid = " a "." col            \
    " LEFT JOIN pg_catalog.pg_namespace n_" col " ON n_" col ".oid = p_" col ".pronamespace "

static const char *row_comment(const Result *r, int row)
{
    return result_isnull(r, row, "comment") ? NULL : result_str(r, row, "comment");
}

/* "\n    LABEL = schema.function" (with a leading comma unless first) when
 * the function is set. */
static void append_func(MetaContext *ctx, StrBuf *sb, const Result *r, int row, const char *label,
                        const char *col, bool first)
{
    char sc[64], nm[64];
    snprintf(sc, sizeof sc, "%s_schema", col);
    snprintf(nm, sizeof nm, "%s_name", col);
    if (result_isnull(r, row, nm))
        return;
    char *fn = conn_quote_qualified(ctx->conn, result_str(r, row, sc), result_str(r, row, nm));
    sb_printf(sb, "%s\n    %s = %s", first ? "" : ",", label, fn);
    free(fn);
}

/* Emit one object: its CREATE built by the caller in sb, then owner (parsers
 * and templates have none) and comment. */
static void emit_ts(MetaContext *ctx, StrBuf *sb, const Result *r, int row, const char *kind,
                    const char *qualified, const char *catalog, bool has_owner)
{
    const char *schema = result_str(r, row, "nspname");
    if (has_owner)
        meta_append_owner(ctx, sb, kind, qualified, result_str(r, row, "owner"));
    char *what = xasprintf("%s %s", kind, qualified);
    meta_append_comment(ctx, sb, what, row_comment(r, row));
    free(what);
    meta_emit_obj(ctx, TOC_PREDATA, schema, result_str(r, row, "name"), kind, "", sb->data,
                  catalog, (uint32_t)strtoul(result_str(r, row, "oid"), NULL, 10));
}

static Error *dump_parsers(MetaContext *ctx, StrBuf *sb)
{
    Result *r;
    Error *e = conn_query(
        ctx->conn,
        "SELECT o.oid, n.nspname, o.prsname AS name, "
        "       pg_catalog.obj_description(o.oid, 'pg_ts_parser') AS comment "
        FUNC_COLS("prsstart") FUNC_COLS("prstoken") FUNC_COLS("prsend")
        FUNC_COLS("prsheadline") FUNC_COLS("prslextype")
        "FROM pg_catalog.pg_ts_parser o "
        "JOIN pg_catalog.pg_namespace n ON n.oid = o.prsnamespace "
        FUNC_JOIN("o", "prsstart") FUNC_JOIN("o", "prstoken") FUNC_JOIN("o", "prsend")
        FUNC_JOIN("o", "prsheadline") FUNC_JOIN("o", "prslextype")
        "WHERE " TS_USER_OBJECT("pg_ts_parser", "o")
        "ORDER BY o.oid",
        &r);
    if (e)
        return e;
    for (int i = 0; i < result_rows(r); i++) {
        if (!meta_keep_schema(ctx, result_str(r, i, "nspname")))
            continue;
        char *q = conn_quote_qualified(ctx->conn, result_str(r, i, "nspname"),
                                       result_str(r, i, "name"));
        sb_reset(sb);
        sb_printf(sb, "CREATE TEXT SEARCH PARSER %s (", q);
        append_func(ctx, sb, r, i, "START", "prsstart", true);
        append_func(ctx, sb, r, i, "GETTOKEN", "prstoken", false);
        append_func(ctx, sb, r, i, "END", "prsend", false);
        append_func(ctx, sb, r, i, "HEADLINE", "prsheadline", false);
        append_func(ctx, sb, r, i, "LEXTYPES", "prslextype", false);
        sb_append(sb, "\n);\n");
        emit_ts(ctx, sb, r, i, "TEXT SEARCH PARSER", q, "pg_ts_parser", false);
        free(q);
    }
    result_free(r);
    return NULL;
}

static Error *dump_templates(MetaContext *ctx, StrBuf *sb)
{
    Result *r;
    Error *e = conn_query(
        ctx->conn,
        "SELECT o.oid, n.nspname, o.tmplname AS name, "
        "       pg_catalog.obj_description(o.oid, 'pg_ts_template') AS comment "
        FUNC_COLS("tmplinit") FUNC_COLS("tmpllexize")
        "FROM pg_catalog.pg_ts_template o "
        "JOIN pg_catalog.pg_namespace n ON n.oid = o.tmplnamespace "
        FUNC_JOIN("o", "tmplinit") FUNC_JOIN("o", "tmpllexize")
        "WHERE " TS_USER_OBJECT("pg_ts_template", "o")
        "ORDER BY o.oid",
        &r);
    if (e)
        return e;
    for (int i = 0; i < result_rows(r); i++) {
        if (!meta_keep_schema(ctx, result_str(r, i, "nspname")))
            continue;
        char *q = conn_quote_qualified(ctx->conn, result_str(r, i, "nspname"),
                                       result_str(r, i, "name"));
        sb_reset(sb);
        sb_printf(sb, "CREATE TEXT SEARCH TEMPLATE %s (", q);
        bool init = !result_isnull(r, i, "tmplinit_name");
        append_func(ctx, sb, r, i, "INIT", "tmplinit", true);
        append_func(ctx, sb, r, i, "LEXIZE", "tmpllexize", !init);
        sb_append(sb, "\n);\n");
        emit_ts(ctx, sb, r, i, "TEXT SEARCH TEMPLATE", q, "pg_ts_template", false);
        free(q);
    }
    result_free(r);
    return NULL;
}

static Error *dump_dictionaries(MetaContext *ctx, StrBuf *sb)
{
    Result *r;
    Error *e = conn_query(
        ctx->conn,
        "SELECT o.oid, n.nspname, o.dictname AS name, "
        "       pg_catalog.pg_get_userbyid(o.dictowner) AS owner, "
        "       tn.nspname AS tmpl_schema, t.tmplname AS tmpl_name, o.dictinitoption, "
        "       pg_catalog.obj_description(o.oid, 'pg_ts_dict') AS comment "
        "FROM pg_catalog.pg_ts_dict o "
        "JOIN pg_catalog.pg_namespace n ON n.oid = o.dictnamespace "
        "JOIN pg_catalog.pg_ts_template t ON t.oid = o.dicttemplate "
        "JOIN pg_catalog.pg_namespace tn ON tn.oid = t.tmplnamespace "
        "WHERE " TS_USER_OBJECT("pg_ts_dict", "o")
        "ORDER BY o.oid",
        &r);
    if (e)
        return e;
    for (int i = 0; i < result_rows(r); i++) {
        if (!meta_keep_schema(ctx, result_str(r, i, "nspname")))
            continue;
        char *q = conn_quote_qualified(ctx->conn, result_str(r, i, "nspname"),
                                       result_str(r, i, "name"));
        char *tmpl = conn_quote_qualified(ctx->conn, result_str(r, i, "tmpl_schema"),
                                          result_str(r, i, "tmpl_name"));
        sb_reset(sb);
        sb_printf(sb, "CREATE TEXT SEARCH DICTIONARY %s (\n    TEMPLATE = %s", q, tmpl);
        /* The server keeps the options as the text of an option list
         * ("stopwords = 'english'"), names and values already quoted. */
        if (!result_isnull(r, i, "dictinitoption"))
            sb_printf(sb, ",\n    %s", result_str(r, i, "dictinitoption"));
        sb_append(sb, "\n);\n");
        emit_ts(ctx, sb, r, i, "TEXT SEARCH DICTIONARY", q, "pg_ts_dict", true);
        free(tmpl);
        free(q);
    }
    result_free(r);
    return NULL;
}

static Error *dump_configurations(MetaContext *ctx, StrBuf *sb)
{
    Result *r, *maps = NULL;
    Error *e = conn_query(
        ctx->conn,
        "SELECT o.oid, n.nspname, o.cfgname AS name, "
        "       pg_catalog.pg_get_userbyid(o.cfgowner) AS owner, "
        "       pn.nspname AS prs_schema, p.prsname AS prs_name, "
        "       pg_catalog.obj_description(o.oid, 'pg_ts_config') AS comment "
        "FROM pg_catalog.pg_ts_config o "
        "JOIN pg_catalog.pg_namespace n ON n.oid = o.cfgnamespace "
        "JOIN pg_catalog.pg_ts_parser p ON p.oid = o.cfgparser "
        "JOIN pg_catalog.pg_namespace pn ON pn.oid = p.prsnamespace "
        "WHERE " TS_USER_OBJECT("pg_ts_config", "o")
        "ORDER BY o.oid",
        &r);
    if (e)
        return e;
    /* Token types are numbers in the map; their names come from the
     * parser (ts_token_type), as pg_dump reads them. */
    e = conn_query(
        ctx->conn,
        "SELECT m.mapcfg, m.maptokentype, tt.alias, dn.nspname AS dict_schema, d.dictname "
        "FROM pg_catalog.pg_ts_config_map m "
        "JOIN pg_catalog.pg_ts_config o ON o.oid = m.mapcfg "
        "JOIN pg_catalog.pg_namespace n ON n.oid = o.cfgnamespace "
        "JOIN pg_catalog.pg_ts_dict d ON d.oid = m.mapdict "
        "JOIN pg_catalog.pg_namespace dn ON dn.oid = d.dictnamespace "
        "JOIN LATERAL pg_catalog.ts_token_type(o.cfgparser) tt ON tt.tokid = m.maptokentype "
        "WHERE " TS_USER_OBJECT("pg_ts_config", "o")
        "ORDER BY m.mapcfg, m.maptokentype, m.mapseqno",
        &maps);
    if (e) {
        result_free(r);
        return e;
    }
    RowIndex ix;
    meta_row_index(&ix, maps, "mapcfg");
    for (int i = 0; i < result_rows(r); i++) {
        if (!meta_keep_schema(ctx, result_str(r, i, "nspname")))
            continue;
        char *q = conn_quote_qualified(ctx->conn, result_str(r, i, "nspname"),
                                       result_str(r, i, "name"));
        char *prs = conn_quote_qualified(ctx->conn, result_str(r, i, "prs_schema"),
                                         result_str(r, i, "prs_name"));
        sb_reset(sb);
        sb_printf(sb, "CREATE TEXT SEARCH CONFIGURATION %s (\n    PARSER = %s\n);\n", q, prs);
        int n, first = meta_row_find(&ix, (uint32_t)strtoul(result_str(r, i, "oid"), NULL, 10),
                                     &n);
        for (int k = first; k >= 0 && k < first + n;) {
            const char *tok = result_str(maps, k, "maptokentype");
            char *alias = conn_quote_ident(ctx->conn, result_str(maps, k, "alias"));
            sb_printf(sb, "ALTER TEXT SEARCH CONFIGURATION %s\n    ADD MAPPING FOR %s WITH ", q,
                      alias);
            free(alias);
            int m = k;
            for (; m < first + n && strcmp(result_str(maps, m, "maptokentype"), tok) == 0; m++) {
                char *dict = conn_quote_qualified(ctx->conn, result_str(maps, m, "dict_schema"),
                                                  result_str(maps, m, "dictname"));
                sb_printf(sb, "%s%s", m > k ? ", " : "", dict);
                free(dict);
            }
            sb_append(sb, ";\n");
            k = m;
        }
        emit_ts(ctx, sb, r, i, "TEXT SEARCH CONFIGURATION", q, "pg_ts_config", true);
        free(prs);
        free(q);
    }
    meta_row_index_free(&ix);
    result_free(maps);
    result_free(r);
    return NULL;
}

static Error *dump_text_search(MetaContext *ctx)
{
    StrBuf sb;
    sb_init(&sb);
    Error *e = dump_parsers(ctx, &sb);
    if (!e)
        e = dump_templates(ctx, &sb);
    if (!e)
        e = dump_dictionaries(ctx, &sb);
    if (!e)
        e = dump_configurations(ctx, &sb);
    sb_free(&sb);
    return e;
}

const MetaType meta_text_search = {"text search", dump_text_search};
