/* Logical replication: publications (FOR ALL TABLES, or their tables with
 * column lists and row filters, and their schemas, as entries of their own
 * so that each goes with its table or schema), and subscriptions, which are
 * restored as pg_dump restores them: with connect = false, so that the
 * restored subscription is disabled, creates no slot and copies nothing
 * until someone enables it. Both belong to the database rather than to a
 * schema: a backup with include filters leaves them out, as pg_dump does.
 * A subscription's connection string may hold a password: it is written to
 * the metadata file (like pg_dump's output) but never logged. Post-data, as
 * in pg_dump. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metadata.h"

static bool filtered(const MetaContext *ctx)
{
    return ctx->filter->include_schemas.n > 0 || filter_has_table_includes(ctx->filter);
}

static uint32_t row_oid(const Result *r, int i, const char *col)
{
    return (uint32_t)strtoul(result_str(r, i, col), NULL, 10);
}

static void append_publish(StrBuf *sb, const Result *r, int i)
{
    static const char *const actions[] = {"insert", "update", "delete", "truncate"};
    static const char *const cols[] = {"pubinsert", "pubupdate", "pubdelete", "pubtruncate"};
    sb_append(sb, " WITH (publish = '");
    int n = 0;
    for (int k = 0; k < 4; k++)
        if (result_bool(r, i, cols[k]))
            sb_printf(sb, "%s%s", n++ ? ", " : "", actions[k]);
    sb_append(sb, "'");
    if (result_bool(r, i, "pubviaroot"))
        sb_append(sb, ", publish_via_partition_root = true");
    sb_append(sb, ");\n");
}

/* "ALTER PUBLICATION p ADD TABLE ONLY t (cols) WHERE (qual)" for every
 * table of a kept publication that is in the backup set. */
static Error *dump_publication_tables(MetaContext *ctx, const Result *pubs, const RowIndex *pub_ix)
{
    int v = conn_server_version(ctx->conn);
    Result *r = NULL, *cols = NULL;
    RowIndex cols_ix = {0};
    /* Row filters and column lists came with PostgreSQL 15. */
    Error *e = conn_query(
        ctx->conn,
        v >= 150000
            ? "SELECT pr.oid, pr.prpubid, pr.prrelid, "
              "       pg_catalog.pg_get_expr(pr.prqual, pr.prrelid) AS qual "
              "FROM pg_catalog.pg_publication_rel pr ORDER BY pr.prpubid, pr.prrelid"
            : "SELECT pr.oid, pr.prpubid, pr.prrelid, NULL AS qual "
              "FROM pg_catalog.pg_publication_rel pr ORDER BY pr.prpubid, pr.prrelid",
        &r);
    if (!e && v >= 150000) {
        e = conn_query(ctx->conn,
                       "SELECT pr.oid, a.attname "
                       "FROM pg_catalog.pg_publication_rel pr, "
                       "     pg_catalog.unnest(pr.prattrs) WITH ORDINALITY u(attnum, ord) "
                       "JOIN pg_catalog.pg_attribute a ON a.attnum = u.attnum "
                       "WHERE a.attrelid = pr.prrelid "
                       "ORDER BY pr.oid, u.ord",
                       &cols);
        if (!e)
            meta_row_index(&cols_ix, cols, "oid");
    }
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; !e && i < result_rows(r); i++) {
        int p = meta_row_find(pub_ix, row_oid(r, i, "prpubid"), &(int){0});
        const TableInfo *t = meta_table(ctx, row_oid(r, i, "prrelid"));
        if (p < 0 || !t)
            continue;
        const char *pubname = result_str(pubs, p, "pubname");
        char *qp = conn_quote_ident(ctx->conn, pubname);
        sb_reset(&sb);
        sb_printf(&sb, "ALTER PUBLICATION %s ADD TABLE ONLY %s", qp, t->qualified);
        int count, first = cols ? meta_row_find(&cols_ix, row_oid(r, i, "oid"), &count) : -1;
        for (int k = first; k >= 0 && k < first + count; k++) {
            char *cn = conn_quote_ident(ctx->conn, result_str(cols, k, "attname"));
            sb_printf(&sb, "%s%s", k == first ? " (" : ", ", cn);
            free(cn);
        }
        if (first >= 0)
            sb_append(&sb, ")");
        if (!result_isnull(r, i, "qual"))
            sb_printf(&sb, " WHERE (%s)", result_str(r, i, "qual"));
        sb_append(&sb, ";\n");
        char *name = xasprintf("%s %s", pubname, t->name);
        char *ref = filter_format_table_name(t->schema, t->name);
        uint32_t id = meta_emit_obj(ctx, TOC_POSTDATA, t->schema, name, "PUBLICATION TABLE", ref,
                                    sb.data, "pg_publication_rel", row_oid(r, i, "oid"));
        meta_depend_on(ctx, id, "pg_publication", row_oid(r, i, "prpubid"));
        meta_depend_on(ctx, id, "pg_class", t->oid);
        free(ref);
        free(name);
        free(qp);
    }
    sb_free(&sb);
    meta_row_index_free(&cols_ix);
    result_free(cols);
    result_free(r);
    if (e || v < 150000)
        return e;

    /* FOR TABLES IN SCHEMA, PostgreSQL 15. */
    e = conn_query(ctx->conn,
                   "SELECT pn.oid, pn.pnpubid, n.nspname "
                   "FROM pg_catalog.pg_publication_namespace pn "
                   "JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid "
                   "ORDER BY pn.pnpubid, n.nspname",
                   &r);
    sb_init(&sb);
    for (int i = 0; !e && i < result_rows(r); i++) {
        int p = meta_row_find(pub_ix, row_oid(r, i, "pnpubid"), &(int){0});
        const char *schema = result_str(r, i, "nspname");
        if (p < 0 || !meta_keep_schema(ctx, schema))
            continue;
        const char *pubname = result_str(pubs, p, "pubname");
        char *qp = conn_quote_ident(ctx->conn, pubname);
        char *qs = conn_quote_ident(ctx->conn, schema);
        sb_reset(&sb);
        sb_printf(&sb, "ALTER PUBLICATION %s ADD TABLES IN SCHEMA %s;\n", qp, qs);
        char *name = xasprintf("%s %s", pubname, schema);
        uint32_t id = meta_emit_obj(ctx, TOC_POSTDATA, schema, name, "PUBLICATION TABLES IN SCHEMA",
                                    "", sb.data, "pg_publication_namespace", row_oid(r, i, "oid"));
        meta_depend_on(ctx, id, "pg_publication", row_oid(r, i, "pnpubid"));
        free(name);
        free(qs);
        free(qp);
    }
    sb_free(&sb);
    result_free(r);
    return e;
}

/* Publications and subscriptions came with PostgreSQL 10: Greenplum 6 has
 * neither. */
static Error *dump_publications(MetaContext *ctx)
{
    if (filtered(ctx) || conn_server_version(ctx->conn) < 100000)
        return NULL;
    int v = conn_server_version(ctx->conn);
    Result *r;
    char *sql = xasprintf(
        "SELECT p.oid, p.pubname, pg_catalog.pg_get_userbyid(p.pubowner) AS owner, "
        "       p.puballtables, p.pubinsert, p.pubupdate, p.pubdelete, p.pubtruncate, "
        "       %s AS pubviaroot, "
        "       pg_catalog.obj_description(p.oid, 'pg_publication') AS comment "
        "FROM pg_catalog.pg_publication p ORDER BY p.oid",
        v >= 130000 ? "p.pubviaroot" : "false");
    Error *e = conn_query(ctx->conn, sql, &r);
    free(sql);
    if (e)
        return e;
    RowIndex ix;
    meta_row_index(&ix, r, "oid");
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < result_rows(r); i++) {
        const char *name = result_str(r, i, "pubname");
        char *q = conn_quote_ident(ctx->conn, name);
        sb_reset(&sb);
        sb_printf(&sb, "CREATE PUBLICATION %s%s", q,
                  result_bool(r, i, "puballtables") ? " FOR ALL TABLES" : "");
        append_publish(&sb, r, i);
        meta_append_owner(ctx, &sb, "PUBLICATION", q, result_str(r, i, "owner"));
        char *what = xasprintf("PUBLICATION %s", q);
        meta_append_comment(ctx, &sb, what,
                            result_isnull(r, i, "comment") ? NULL : result_str(r, i, "comment"));
        free(what);
        meta_emit_obj(ctx, TOC_POSTDATA, "", name, "PUBLICATION", "", sb.data, "pg_publication",
                      row_oid(r, i, "oid"));
        free(q);
    }
    sb_free(&sb);
    e = dump_publication_tables(ctx, r, &ix);
    meta_row_index_free(&ix);
    result_free(r);
    return e;
}

static Error *dump_subscriptions(MetaContext *ctx)
{
    if (filtered(ctx) || conn_server_version(ctx->conn) < 100000)
        return NULL;
    int v = conn_server_version(ctx->conn);
    Result *r;
    /* Only superusers may read a subscription's connection string. */
    Error *e = conn_query(ctx->conn,
                          "SELECT r.rolsuper, (SELECT pg_catalog.count(*) "
                          "  FROM pg_catalog.pg_subscription s, pg_catalog.pg_database d "
                          "  WHERE s.subdbid = d.oid AND d.datname = pg_catalog.current_database()) "
                          "  AS n "
                          "FROM pg_catalog.pg_roles r WHERE r.rolname = CURRENT_USER",
                          &r);
    if (e)
        return e;
    bool super = result_rows(r) > 0 && result_bool(r, 0, "rolsuper");
    long long n = result_rows(r) > 0 ? result_int(r, 0, "n") : 0;
    result_free(r);
    if (n == 0)
        return NULL;
    if (!super) {
        log_warning("%lld subscription%s not backed up: only a superuser can read their "
                    "connection strings",
                    n, n == 1 ? "" : "s");
        return NULL;
    }
    char *sql = xasprintf(
        "SELECT s.oid, s.subname, pg_catalog.pg_get_userbyid(s.subowner) AS owner, "
        "       s.subconninfo, s.subslotname, s.subsynccommit, %s AS subbinary, "
        "       %s AS substream, %s AS subtwophasestate, %s AS subdisableonerr, "
        "       pg_catalog.obj_description(s.oid, 'pg_subscription') AS comment "
        "FROM pg_catalog.pg_subscription s JOIN pg_catalog.pg_database d ON d.oid = s.subdbid "
        "WHERE d.datname = pg_catalog.current_database() ORDER BY s.oid",
        v >= 140000 ? "s.subbinary" : "false", v >= 140000 ? "s.substream" : "false",
        v >= 150000 ? "s.subtwophasestate" : "'d'::pg_catalog.\"char\"",
        v >= 150000 ? "s.subdisableonerr" : "false");
    e = conn_query(ctx->conn, sql, &r);
    free(sql);
    if (e)
        return e;
    Result *pubs;
    e = conn_query(ctx->conn,
                   "SELECT s.oid, p.name FROM pg_catalog.pg_subscription s, "
                   "pg_catalog.unnest(s.subpublications) WITH ORDINALITY p(name, ord) "
                   "ORDER BY s.oid, p.ord",
                   &pubs);
    if (e) {
        result_free(r);
        return e;
    }
    RowIndex ix;
    meta_row_index(&ix, pubs, "oid");
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < result_rows(r); i++) {
        const char *name = result_str(r, i, "subname");
        char *q = conn_quote_ident(ctx->conn, name);
        char *conninfo = conn_quote_literal(ctx->conn, result_str(r, i, "subconninfo"));
        sb_reset(&sb);
        sb_printf(&sb, "CREATE SUBSCRIPTION %s CONNECTION %s PUBLICATION ", q, conninfo);
        free(conninfo);
        int count, first = meta_row_find(&ix, row_oid(r, i, "oid"), &count);
        for (int k = first; k >= 0 && k < first + count; k++) {
            char *pn = conn_quote_ident(ctx->conn, result_str(pubs, k, "name"));
            sb_printf(&sb, "%s%s", k > first ? ", " : "", pn);
            free(pn);
        }
        /* connect = false: no connection, no slot, no copy, and the
         * subscription stays disabled. */
        sb_append(&sb, " WITH (connect = false, slot_name = ");
        if (result_isnull(r, i, "subslotname")) {
            sb_append(&sb, "NONE");
        } else {
            char *slot = conn_quote_literal(ctx->conn, result_str(r, i, "subslotname"));
            sb_append(&sb, slot);
            free(slot);
        }
        if (result_bool(r, i, "subbinary"))
            sb_append(&sb, ", binary = true");
        if (strcmp(result_str(r, i, "substream"), "f") != 0)
            sb_append(&sb, ", streaming = on");
        if (strcmp(result_str(r, i, "subtwophasestate"), "d") != 0)
            sb_append(&sb, ", two_phase = on");
        if (result_bool(r, i, "subdisableonerr"))
            sb_append(&sb, ", disable_on_error = true");
        if (strcmp(result_str(r, i, "subsynccommit"), "off") != 0) {
            char *sc = conn_quote_literal(ctx->conn, result_str(r, i, "subsynccommit"));
            sb_printf(&sb, ", synchronous_commit = %s", sc);
            free(sc);
        }
        sb_append(&sb, ");\n");
        meta_append_owner(ctx, &sb, "SUBSCRIPTION", q, result_str(r, i, "owner"));
        char *what = xasprintf("SUBSCRIPTION %s", q);
        meta_append_comment(ctx, &sb, what,
                            result_isnull(r, i, "comment") ? NULL : result_str(r, i, "comment"));
        free(what);
        meta_emit_obj(ctx, TOC_POSTDATA, "", name, "SUBSCRIPTION", "", sb.data, "pg_subscription",
                      row_oid(r, i, "oid"));
        free(q);
    }
    sb_free(&sb);
    meta_row_index_free(&ix);
    result_free(pubs);
    result_free(r);
    return NULL;
}

const MetaType meta_publications = {"publications", dump_publications};
const MetaType meta_subscriptions = {"subscriptions", dump_subscriptions};
