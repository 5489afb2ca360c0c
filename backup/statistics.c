/* Planner statistics (gpbackup --with-stats): pg_class.relpages, reltuples
 * and relallvisible, and the pg_statistic rows of every table in the
 * backup set, written as SQL that a superuser replays after the data and
 * the indexes (CREATE INDEX would overwrite the pg_class counters).
 *
 * Nothing in the file depends on the source's oids or attribute numbers:
 * tables are named ('schema.table'::regclass), columns are matched by name
 * (a table whose columns were dropped and re-added has other numbers on
 * the target), operators by signature (regoperator), collations by name.
 *
 * stavaluesN is of type anyarray: its element type is not visible from
 * SQL, so it is derived from the slot's kind as ANALYZE fills them: most
 * common values and histograms hold the column's type, most common
 * elements the element type (text for tsvector), range length histograms
 * float8, range bounds histograms the range type. A slot of another kind
 * with values is left out (counted, logged); the others are copied. */
#include "statistics.h"

#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "log.h"
#include "metadata.h"

#define NSLOTS 5

/* The type of the values of slot n, by the slot's kind; NULL when the kind
 * is not one of the server's own. */
static void append_slot_type(StrBuf *q, int n, int version)
{
    sb_printf(q,
              "pg_catalog.format_type(CASE s.stakind%d "
              "  WHEN 1 THEN a.atttypid WHEN 2 THEN a.atttypid "
              "  WHEN 4 THEN CASE WHEN bt.oid = 'pg_catalog.tsvector'::pg_catalog.regtype "
              "                   THEN 'pg_catalog.text'::pg_catalog.regtype::pg_catalog.oid "
              "                   WHEN bt.typlen = -1 AND bt.typelem <> 0 THEN bt.typelem END "
              "  WHEN 6 THEN 'pg_catalog.float8'::pg_catalog.regtype::pg_catalog.oid ",
              n);
    if (version >= 140000)
        sb_append(q, "  WHEN 7 THEN CASE WHEN bt.typtype = 'm' THEN (SELECT r.rngtypid "
                     "    FROM pg_catalog.pg_range r WHERE r.rngmultitypid = bt.oid) ELSE bt.oid END ");
    else
        sb_append(q, "  WHEN 7 THEN bt.oid ");
    sb_printf(q, "END, NULL) AS valtype%d, ", n);
}

static char *column_stats_sql(int version)
{
    StrBuf q;
    sb_init(&q);
    sb_append(&q, "SELECT s.starelid, a.attname, s.stainherit, "
                  "       s.stanullfrac::pg_catalog.text AS stanullfrac, s.stawidth, "
                  "       s.stadistinct::pg_catalog.text AS stadistinct, ");
    for (int n = 1; n <= NSLOTS; n++) {
        sb_printf(&q,
                  "s.stakind%d, "
                  "CASE WHEN s.staop%d = 0 THEN NULL "
                  "     ELSE s.staop%d::pg_catalog.regoperator::pg_catalog.text END AS staop%d, "
                  "s.stanumbers%d::pg_catalog.text AS stanumbers%d, "
                  "s.stavalues%d::pg_catalog.text AS stavalues%d, ",
                  n, n, n, n, n, n, n, n);
        if (version >= 120000)
            sb_printf(&q, "s.stacoll%d AS stacoll%d, c%d.collname AS collname%d, "
                          "cn%d.nspname AS collnsp%d, ",
                      n, n, n, n, n, n);
        append_slot_type(&q, n, version);
    }
    sb_append(&q, "a.attnum "
                  "FROM pg_catalog.pg_statistic s "
                  "JOIN pg_catalog.pg_attribute a ON a.attrelid = s.starelid "
                  "  AND a.attnum = s.staattnum AND NOT a.attisdropped "
                  "JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
                  /* A domain's statistics are those of its base type
                   * (two levels of domains over domains are followed). */
                  "LEFT JOIN pg_catalog.pg_type t2 ON t2.oid = t.typbasetype "
                  "JOIN pg_catalog.pg_type bt ON bt.oid = CASE WHEN t.typtype <> 'd' THEN t.oid "
                  "  WHEN t2.typtype <> 'd' THEN t2.oid ELSE t2.typbasetype END ");
    if (version >= 120000)
        for (int n = 1; n <= NSLOTS; n++)
            sb_printf(&q,
                      "LEFT JOIN pg_catalog.pg_collation c%d ON c%d.oid = s.stacoll%d "
                      "LEFT JOIN pg_catalog.pg_namespace cn%d ON cn%d.oid = c%d.collnamespace ",
                      n, n, n, n, n, n);
    sb_append(&q, "WHERE s.starelid = ANY($1::pg_catalog.oid[]) "
                  "ORDER BY s.starelid, a.attnum, s.stainherit");
    return sb_steal(&q);
}

/* A float4 value as a typed literal: its text is exact (extra_float_digits
 * is 3 in our sessions) and may be NaN or Infinity. */
static void append_float4(Conn *c, StrBuf *sb, const char *text)
{
    char *lit = conn_quote_literal(c, text);
    sb_printf(sb, "%s::pg_catalog.float4", lit);
    free(lit);
}

/* The collation of a slot: the three built in with fixed oids by number,
 * others by schema and name (their oids differ between clusters). */
static char *collation_expr(Conn *c, const Result *r, int row, int n)
{
    char col[32];
    snprintf(col, sizeof col, "stacoll%d", n);
    const char *oid = result_str(r, row, col);
    if (strcmp(oid, "0") == 0 || strcmp(oid, "100") == 0 || strcmp(oid, "950") == 0 ||
        strcmp(oid, "951") == 0)
        return xstrdup(oid);
    snprintf(col, sizeof col, "collname%d", n);
    if (result_isnull(r, row, col))
        return xstrdup("0"); /* dropped under the snapshot */
    char *name = conn_quote_literal(c, result_str(r, row, col));
    snprintf(col, sizeof col, "collnsp%d", n);
    char *nsp = conn_quote_literal(c, result_str(r, row, col));
    char *expr = xasprintf("(SELECT c.oid FROM pg_catalog.pg_collation c "
                           "JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace "
                           "WHERE n.nspname = %s AND c.collname = %s AND c.collencoding IN "
                           "(-1, pg_catalog.pg_char_to_encoding(pg_catalog.getdatabaseencoding())))",
                           nsp, name);
    free(name);
    free(nsp);
    return expr;
}

/* Append one line of the SELECT list: the five slots' expressions. */
static void append_slot_line(StrBuf *sb, char *const exprs[NSLOTS], bool last, bool one_per_line)
{
    for (int n = 0; n < NSLOTS; n++) {
        const char *sep = n == NSLOTS - 1 ? (last ? "\n" : ",\n") : one_per_line ? ",\n  " : ", ";
        sb_printf(sb, "%s%s", exprs[n], sep);
    }
}

static void free_exprs(char *exprs[NSLOTS])
{
    for (int n = 0; n < NSLOTS; n++) {
        free(exprs[n]);
        exprs[n] = NULL;
    }
}

/* One INSERT for one pg_statistic row. Returns the number of slots left
 * out. */
static int append_column_insert(Conn *c, StrBuf *sb, const char *regclass, const Result *r,
                                int row, int version)
{
    bool keep[NSLOTS];
    int dropped = 0;
    char col[32];
    for (int n = 0; n < NSLOTS; n++) {
        snprintf(col, sizeof col, "stavalues%d", n + 1);
        bool has_values = !result_isnull(r, row, col);
        snprintf(col, sizeof col, "valtype%d", n + 1);
        keep[n] = !has_values || !result_isnull(r, row, col);
        if (!keep[n])
            dropped++;
    }
    sb_append(sb, "INSERT INTO pg_catalog.pg_statistic (starelid, staattnum, stainherit, "
                  "stanullfrac, stawidth, stadistinct");
    static const char *const groups[] = {"stakind", "staop", "stacoll", "stanumbers", "stavalues"};
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        if (g == 2 && version < 120000)
            continue;
        for (int n = 1; n <= NSLOTS; n++)
            sb_printf(sb, ", %s%d", groups[g], n);
    }
    char *nullfrac = conn_quote_literal(c, result_str(r, row, "stanullfrac"));
    char *distinct = conn_quote_literal(c, result_str(r, row, "stadistinct"));
    /* float4 text is exact (extra_float_digits is 3 in our sessions) and
     * may be NaN or Infinity: typed literals. */
    sb_printf(sb,
              ")\nSELECT a.attrelid, a.attnum, %s, %s::pg_catalog.float4, %lld, "
              "%s::pg_catalog.float4,\n  ",
              result_bool(r, row, "stainherit") ? "true" : "false", nullfrac,
              result_int(r, row, "stawidth"), distinct);
    free(nullfrac);
    free(distinct);
    char *exprs[NSLOTS] = {0};
    for (int n = 0; n < NSLOTS; n++) {
        snprintf(col, sizeof col, "stakind%d", n + 1);
        exprs[n] = xasprintf("%lld", keep[n] ? result_int(r, row, col) : 0);
    }
    append_slot_line(sb, exprs, false, false);
    free_exprs(exprs);
    sb_append(sb, "  ");
    for (int n = 0; n < NSLOTS; n++) {
        snprintf(col, sizeof col, "staop%d", n + 1);
        if (!keep[n] || result_isnull(r, row, col)) {
            exprs[n] = xstrdup("0");
            continue;
        }
        char *lit = conn_quote_literal(c, result_str(r, row, col));
        exprs[n] = xasprintf("%s::pg_catalog.regoperator", lit);
        free(lit);
    }
    append_slot_line(sb, exprs, false, false);
    free_exprs(exprs);
    if (version >= 120000) {
        sb_append(sb, "  ");
        for (int n = 0; n < NSLOTS; n++)
            exprs[n] = keep[n] ? collation_expr(c, r, row, n + 1) : xstrdup("0");
        append_slot_line(sb, exprs, false, false);
        free_exprs(exprs);
    }
    sb_append(sb, "  ");
    for (int n = 0; n < NSLOTS; n++) {
        snprintf(col, sizeof col, "stanumbers%d", n + 1);
        if (!keep[n] || result_isnull(r, row, col)) {
            exprs[n] = xstrdup("NULL");
            continue;
        }
        char *lit = conn_quote_literal(c, result_str(r, row, col));
        exprs[n] = xasprintf("%s::pg_catalog.float4[]", lit);
        free(lit);
    }
    append_slot_line(sb, exprs, false, false);
    free_exprs(exprs);
    sb_append(sb, "  ");
    for (int n = 0; n < NSLOTS; n++) {
        snprintf(col, sizeof col, "stavalues%d", n + 1);
        if (!keep[n] || result_isnull(r, row, col)) {
            exprs[n] = xstrdup("NULL");
            continue;
        }
        char *values = conn_quote_literal(c, result_str(r, row, col));
        snprintf(col, sizeof col, "valtype%d", n + 1);
        char *type = conn_quote_literal(c, result_str(r, row, col));
        exprs[n] = xasprintf("pg_catalog.array_in(%s, %s::pg_catalog.regtype, -1)", values, type);
        free(values);
        free(type);
    }
    append_slot_line(sb, exprs, true, true);
    free_exprs(exprs);
    char *attname = conn_quote_literal(c, result_str(r, row, "attname"));
    sb_printf(sb,
              "FROM pg_catalog.pg_attribute a WHERE a.attrelid = %s::pg_catalog.regclass "
              "AND a.attname = %s AND NOT a.attisdropped;\n",
              regclass, attname);
    free(attname);
    return dropped;
}

Error *statistics_dump(Conn *c, const TableSet *tables, StrBuf *sql, Toc *toc,
                       int *slots_dropped)
{
    *slots_dropped = 0;
    int version = conn_server_version(c);
    char *oids = catalog_oid_array(tables);
    const char *params[1] = {oids};
    Result *rel;
    Error *e = conn_query_params(c,
                                 "SELECT c.oid, c.relpages, c.reltuples::pg_catalog.text AS reltuples, "
                                 "       c.relallvisible "
                                 "FROM pg_catalog.pg_class c "
                                 "WHERE c.oid = ANY($1::pg_catalog.oid[]) ORDER BY c.oid",
                                 1, params, &rel);
    if (e) {
        free(oids);
        return error_prefix(e, "could not read table statistics");
    }
    char *q = column_stats_sql(version);
    Result *cols;
    e = conn_query_params(c, q, 1, params, &cols);
    free(q);
    free(oids);
    if (e) {
        result_free(rel);
        if (strcmp(e->sqlstate, "42501") == 0)
            error_hint(e, "--with-stats needs a superuser: only superusers may read pg_statistic");
        return error_prefix(e, "could not read column statistics");
    }
    RowIndex rix, cix;
    meta_row_index(&rix, rel, "oid");
    meta_row_index(&cix, cols, "starelid");
    for (size_t t = 0; t < tables->n; t++) {
        const TableInfo *ti = &tables->items[t];
        int nrel, ncol;
        int first_rel = meta_row_find(&rix, ti->oid, &nrel);
        if (first_rel < 0)
            continue; /* dropped under the snapshot: nothing to restore it into */
        int first_col = meta_row_find(&cix, ti->oid, &ncol);
        uint64_t start = sql->len;
        char *regclass = conn_quote_literal(c, ti->qualified);
        sb_printf(sql, "UPDATE pg_catalog.pg_class SET relpages = %lld, reltuples = ",
                  result_int(rel, first_rel, "relpages"));
        append_float4(c, sql, result_str(rel, first_rel, "reltuples"));
        sb_printf(sql, ", relallvisible = %lld WHERE oid = %s::pg_catalog.regclass;\n",
                  result_int(rel, first_rel, "relallvisible"), regclass);
        sb_printf(sql, "DELETE FROM pg_catalog.pg_statistic WHERE starelid = %s::pg_catalog.regclass;\n",
                  regclass);
        for (int k = 0; k < ncol; k++)
            *slots_dropped += append_column_insert(c, sql, regclass, cols, first_col + k, version);
        sb_append(sql, "\n");
        char *ref = filter_format_table_name(ti->schema, ti->name);
        toc_add_statistics_entry(toc, ti->schema, ti->name, "STATISTICS", ref, start, sql->len);
        free(ref);
        free(regclass);
    }
    meta_row_index_free(&rix);
    meta_row_index_free(&cix);
    result_free(rel);
    result_free(cols);
    return NULL;
}
