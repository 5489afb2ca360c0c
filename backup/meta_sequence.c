/* Sequences: CREATE SEQUENCE with every parameter, owner, comment and
 * privileges, ownership by a column (OWNED BY, emitted once the tables
 * exist) and the current value (SEQUENCE SET, replayed after the data).
 * Identity sequences are created by their table; their comment and
 * privileges follow the table (IDENTITY SEQUENCE), their value the data. */
#include <stdlib.h>
#include <string.h>

#include "metadata.h"

#define SEQUENCE_QUERY                                                                    \
    SEQUENCE_QUERY_OF("pg_catalog.format_type(s.seqtypid, NULL) AS type, s.seqstart, "    \
                      "s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle",        \
                      "JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid ")
/* Before PostgreSQL 10 (Greenplum 6) there is no pg_sequence: the
 * parameters are columns of the sequence relation itself, read afterwards
 * (sequence_params_94), and every sequence is a bigint one. */
#define SEQUENCE_QUERY_94 SEQUENCE_QUERY_OF("'bigint' AS type", "")
#define SEQUENCE_QUERY_OF(params, join)                                                    \
    "SELECT c.oid, n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner) AS owner, " \
    "       " params ", "                                                                    \
    "       pg_catalog.obj_description(c.oid, 'pg_class') AS comment, "                      \
    "       d.refobjid AS owner_table, d.deptype AS owner_deptype, a.attname AS owner_column " \
    "FROM pg_catalog.pg_class c "                                                            \
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "                              \
    join                                                                                     \
    "LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass " \
    "     AND d.objid = c.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass "  \
    "     AND d.deptype IN ('a', 'i') "                                                     \
    "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid " \
    "WHERE c.relkind = 'S' AND " CATALOG_USER_SCHEMA("n.nspname")                           \
    " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x "                                \
    "   WHERE x.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "                      \
    "   AND x.objid = c.oid AND x.deptype = 'e') "                                          \
    "ORDER BY n.nspname, c.relname"

char *meta_sequence_create_sql(int server_version, const char *qualified, const char *type,
                               const char *start, const char *increment, const char *min,
                               const char *max, const char *cache, bool cycle)
{
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "CREATE SEQUENCE %s", qualified);
    /* AS came with PostgreSQL 10. */
    if (server_version >= 100000)
        sb_printf(&sb, "\n    AS %s", type);
    sb_printf(&sb,
              "\n    START WITH %s\n    INCREMENT BY %s\n"
              "    MINVALUE %s\n    MAXVALUE %s\n    CACHE %s%s;\n",
              start, increment, min, max, cache, cycle ? "\n    CYCLE" : "");
    return sb_steal(&sb);
}

static const char *sequence_query(const MetaContext *ctx)
{
    return conn_server_version(ctx->conn) >= 100000 ? SEQUENCE_QUERY : SEQUENCE_QUERY_94;
}

/* The parameters of one sequence: from pg_sequence, or (before
 * PostgreSQL 10) from the sequence relation. */
typedef struct SeqParams {
    const char *start, *increment, *min, *max, *cache;
    bool cycle;
} SeqParams;

static SeqParams sequence_params(const Result *r, int i)
{
    SeqParams p = {result_str(r, i, "seqstart"), result_str(r, i, "seqincrement"),
                   result_str(r, i, "seqmin"),   result_str(r, i, "seqmax"),
                   result_str(r, i, "seqcache"), result_bool(r, i, "seqcycle")};
    return p;
}

/* Before PostgreSQL 10: the parameters of the kept sequences (keep[i]),
 * read from the sequence relations in batches of one UNION ALL query.
 * *out is indexed like r (caller frees the array and the result). */
static Error *sequence_params_94(MetaContext *ctx, const Result *r, const bool *keep,
                                 SeqParams **out, Result ***results, size_t *nresults)
{
    int rows = result_rows(r);
    *out = xcalloc((size_t)rows + 1, sizeof **out);
    *results = xcalloc((size_t)rows / 200 + 2, sizeof **results);
    *nresults = 0;
    StrBuf q;
    sb_init(&q);
    Error *e = NULL;
    for (int start = 0; start < rows && !e; start += 200) {
        int end = start + 200 < rows ? start + 200 : rows;
        sb_reset(&q);
        int n = 0;
        for (int i = start; i < end; i++) {
            if (!keep[i])
                continue;
            char *qn = conn_quote_qualified(ctx->conn, result_str(r, i, "nspname"),
                                            result_str(r, i, "relname"));
            sb_printf(&q,
                      "%sSELECT %d AS i, start_value AS seqstart, increment_by AS seqincrement, "
                      "min_value AS seqmin, max_value AS seqmax, cache_value AS seqcache, "
                      "is_cycled AS seqcycle FROM %s",
                      n++ ? " UNION ALL " : "", i, qn);
            free(qn);
        }
        if (!n)
            continue;
        Result *v;
        e = conn_query(ctx->conn, q.data, &v);
        if (e)
            break;
        (*results)[(*nresults)++] = v;
        for (int k = 0; k < result_rows(v); k++)
            (*out)[result_int(v, k, "i")] = sequence_params(v, k);
    }
    sb_free(&q);
    return e ? error_prefix(e, "could not read sequence parameters") : NULL;
}

/* A sequence goes with its owning table; a free-standing one with its
 * schema, unless only some tables were asked for. */
static bool keep_sequence(const MetaContext *ctx, const Result *r, int i)
{
    if (!result_isnull(r, i, "owner_table"))
        return meta_table(ctx, (uint32_t)strtoul(result_str(r, i, "owner_table"), NULL, 10)) != NULL;
    return meta_keep_schema(ctx, result_str(r, i, "nspname")) &&
           !filter_has_table_includes(ctx->filter);
}

/* The owning table as a TOC reference object ("" for a free-standing
 * sequence), so that restore filters keep a sequence with its table. */
static char *owner_ref(const MetaContext *ctx, const Result *r, int i)
{
    if (result_isnull(r, i, "owner_table"))
        return xstrdup("");
    const TableInfo *t =
        meta_table(ctx, (uint32_t)strtoul(result_str(r, i, "owner_table"), NULL, 10));
    return t ? filter_format_table_name(t->schema, t->name) : xstrdup("");
}

/* Current values of the kept sequences, read in batches of one UNION ALL
 * query rather than one query per sequence. */
static Error *emit_sequence_values(MetaContext *ctx, const Result *r, const bool *keep)
{
    int rows = result_rows(r);
    StrBuf q, sb;
    sb_init(&q);
    sb_init(&sb);
    Error *e = NULL;
    for (int start = 0; start < rows && !e; start += 200) {
        int end = start + 200 < rows ? start + 200 : rows;
        sb_reset(&q);
        int n = 0;
        for (int i = start; i < end; i++) {
            if (!keep[i])
                continue;
            char *qn = conn_quote_qualified(ctx->conn, result_str(r, i, "nspname"),
                                            result_str(r, i, "relname"));
            sb_printf(&q, "%sSELECT %d AS i, last_value::text, is_called FROM %s",
                      n++ ? " UNION ALL " : "", i, qn);
            free(qn);
        }
        if (!n)
            continue;
        Result *v;
        e = conn_query(ctx->conn, q.data, &v);
        if (e)
            break;
        for (int k = 0; k < result_rows(v); k++) {
            int i = (int)result_int(v, k, "i");
            const char *schema = result_str(r, i, "nspname");
            const char *name = result_str(r, i, "relname");
            char *qn = conn_quote_qualified(ctx->conn, schema, name);
            char *lit = conn_quote_literal(ctx->conn, qn);
            sb_reset(&sb);
            sb_printf(&sb, "SELECT pg_catalog.setval(%s, %s, %s);\n", lit,
                      result_str(v, k, "last_value"),
                      result_bool(v, k, "is_called") ? "true" : "false");
            char *ref = owner_ref(ctx, r, i);
            meta_emit(ctx, TOC_POSTDATA, schema, name, "SEQUENCE SET", ref, sb.data);
            free(ref);
            free(lit);
            free(qn);
        }
        result_free(v);
    }
    sb_free(&q);
    sb_free(&sb);
    return e;
}

/* What an identity sequence has beyond what its table's CREATE gives it:
 * a comment and privileges, once the table (and so the sequence) exists. */
static void emit_identity_extras(MetaContext *ctx, const Result *r, int i, const AclSet *acls)
{
    const char *schema = result_str(r, i, "nspname");
    const char *name = result_str(r, i, "relname");
    char *q = conn_quote_qualified(ctx->conn, schema, name);
    StrBuf sb;
    sb_init(&sb);
    char *what = xasprintf("SEQUENCE %s", q);
    meta_append_comment(ctx, &sb, what,
                        result_isnull(r, i, "comment") ? NULL : result_str(r, i, "comment"));
    meta_acl_append(ctx, &sb, acls, result_str(r, i, "oid"), "SEQUENCE", q, NULL);
    if (sb.len) {
        char *ref = owner_ref(ctx, r, i);
        uint32_t id = meta_emit_obj(ctx, TOC_PREDATA, schema, name, "IDENTITY SEQUENCE", ref,
                                    sb.data, NULL, 0);
        meta_depend_on(ctx, id, "pg_class",
                       (uint32_t)strtoul(result_str(r, i, "owner_table"), NULL, 10));
        free(ref);
    }
    free(what);
    sb_free(&sb);
    free(q);
}

static Error *dump_sequences(MetaContext *ctx)
{
    Result *r;
    Error *e = conn_query(ctx->conn, sequence_query(ctx), &r);
    if (e)
        return e;
    AclSet *acls = NULL;
    if (!ctx->values_only) {
        e = meta_acl_load(ctx, "pg_catalog.pg_class", "o.oid", "relacl", "o.relowner", 's',
                          "o.relkind = 'S'", &acls);
        if (e) {
            result_free(r);
            return e;
        }
    }
    int rows = result_rows(r);
    bool *keep = xcalloc((size_t)rows + 1, sizeof(bool));
    for (int i = 0; i < rows; i++)
        keep[i] = keep_sequence(ctx, r, i);
    bool has_type = conn_server_version(ctx->conn) >= 100000;
    SeqParams *params94 = NULL;
    Result **res94 = NULL;
    size_t nres94 = 0;
    if (!has_type && !ctx->values_only)
        e = sequence_params_94(ctx, r, keep, &params94, &res94, &nres94);
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < rows && !e; i++) {
        if (!keep[i] || ctx->values_only)
            continue;
        if (strcmp(result_str(r, i, "owner_deptype"), "i") == 0) {
            emit_identity_extras(ctx, r, i, acls);
            continue;
        }
        const char *schema = result_str(r, i, "nspname");
        const char *name = result_str(r, i, "relname");
        char *q = conn_quote_qualified(ctx->conn, schema, name);
        sb_reset(&sb);
        SeqParams p = has_type ? sequence_params(r, i) : params94[i];
        char *create = meta_sequence_create_sql(conn_server_version(ctx->conn), q,
                                                result_str(r, i, "type"), p.start, p.increment,
                                                p.min, p.max, p.cache, p.cycle);
        sb_append(&sb, create);
        free(create);
        meta_append_owner(ctx, &sb, "SEQUENCE", q, result_str(r, i, "owner"));
        char *what = xasprintf("SEQUENCE %s", q);
        meta_append_comment(ctx, &sb, what,
                            result_isnull(r, i, "comment") ? NULL : result_str(r, i, "comment"));
        meta_acl_append(ctx, &sb, acls, result_str(r, i, "oid"), "SEQUENCE", q, NULL);
        char *ref = owner_ref(ctx, r, i);
        meta_emit_obj(ctx, TOC_PREDATA, schema, name, "SEQUENCE", ref, sb.data, "pg_class",
                      (uint32_t)strtoul(result_str(r, i, "oid"), NULL, 10));
        free(ref);
        free(what);
        free(q);
    }
    sb_free(&sb);
    meta_acl_free(acls);
    for (size_t k = 0; k < nres94; k++)
        result_free(res94[k]);
    free(res94);
    free(params94);
    if (!e)
        e = emit_sequence_values(ctx, r, keep);
    free(keep);
    result_free(r);
    return e;
}

static Error *dump_sequence_owners(MetaContext *ctx)
{
    Result *r;
    Error *e = conn_query(ctx->conn, sequence_query(ctx), &r);
    if (e)
        return e;
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < result_rows(r); i++) {
        if (strcmp(result_str(r, i, "owner_deptype"), "a") != 0 || !keep_sequence(ctx, r, i))
            continue;
        const TableInfo *t =
            meta_table(ctx, (uint32_t)strtoul(result_str(r, i, "owner_table"), NULL, 10));
        const char *schema = result_str(r, i, "nspname");
        const char *name = result_str(r, i, "relname");
        char *q = conn_quote_qualified(ctx->conn, schema, name);
        char *col = conn_quote_ident(ctx->conn, result_str(r, i, "owner_column"));
        sb_reset(&sb);
        sb_printf(&sb, "ALTER SEQUENCE %s OWNED BY %s.%s;\n", q, t->qualified, col);
        char *ref = filter_format_table_name(t->schema, t->name);
        meta_emit(ctx, TOC_PREDATA, schema, name, "SEQUENCE OWNER", ref, sb.data);
        free(ref);
        free(col);
        free(q);
    }
    sb_free(&sb);
    result_free(r);
    return NULL;
}

const MetaType meta_sequences = {"sequences", dump_sequences};
const MetaType meta_sequence_owners = {"sequence ownership", dump_sequence_owners};
