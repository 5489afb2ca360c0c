/* Server gates, cluster topology, segment directories and the COPY ...
 * PROGRAM statements of the MPP and server-side data paths. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "backupset.h"
#include "cluster.h"
#include "fileio.h"
#include "helper.h"
#include "log.h"

/* The temporary table the segments' files are loaded into (MPP). */
#define HELPER_FILES_TABLE "pg_temp.gpbackup_helper_files"
#define HELPER_FILES_CREATE                                                             \
    "CREATE TEMPORARY TABLE IF NOT EXISTS " HELPER_FILES_TABLE " (content pg_catalog.int4, " \
    "body pg_catalog.text) DISTRIBUTED RANDOMLY"

Error *cluster_prepare_session(Conn *c, const ServerInfo *srv)
{
    if (!cluster_is_mpp(srv))
        return NULL;
    Error *e = conn_exec(c, "SET client_min_messages = warning; " HELPER_FILES_CREATE
                            "; RESET client_min_messages");
    return e ? error_prefix(e, "could not prepare the session for reading the helpers' files")
             : NULL;
}
#include "util.h"

bool cluster_is_mpp(const ServerInfo *srv)
{
    return srv && (srv->flavor == SERVER_GREENPLUM || srv->flavor == SERVER_CLOUDBERRY);
}

Error *cluster_check_server(const ServerInfo *srv, int server_version_num, int jobs)
{
    if (srv->flavor == SERVER_GREENPLUM && srv->gp_major < 6)
        return error_hint(ERROR_NEW(ERR_CONNECT, "Greenplum %d.%d is not supported",
                                    srv->gp_major, srv->gp_minor),
                          "Greenplum 6.21 or later, Greenplum 7 or Apache Cloudberry is required");
    if (srv->flavor == SERVER_GREENPLUM && srv->gp_major == 6 && srv->gp_minor < 21 && jobs > 1)
        return error_hint(
            error_detail(ERROR_NEW(ERR_USAGE,
                                   "--jobs %d needs Greenplum 6.21 or later, the server is %d.%d",
                                   jobs, srv->gp_major, srv->gp_minor),
                         "Before 6.21 a Greenplum session cannot import another session's "
                         "snapshot, so parallel workers would not read the tables as of one "
                         "instant."),
            "Run with --jobs 1, or upgrade the cluster to 6.21 or later.");
    if (!cluster_is_mpp(srv) && server_version_num < 120000)
        return error_hint(ERROR_NEW(ERR_CONNECT, "PostgreSQL server version %d.%d is not supported",
                                    server_version_num / 10000,
                                    server_version_num >= 100000 ? server_version_num % 10000
                                                                 : server_version_num / 100 % 100),
                          "PostgreSQL 12 or later is required");
    return NULL;
}

bool cluster_copy_ignores_external_partitions(const ServerInfo *srv)
{
    /* Greenplum 6 and 7 have the clause; Cloudberry kept it. */
    return cluster_is_mpp(srv);
}

static void segment_free(SegmentInfo *s)
{
    free(s->hostname);
    free(s->address);
    free(s->datadir);
}

void cluster_free(ClusterInfo *c)
{
    if (!c)
        return;
    segment_free(&c->coordinator);
    for (size_t i = 0; i < c->nsegments; i++)
        segment_free(&c->segments[i]);
    free(c->segments);
    memset(c, 0, sizeof *c);
}

static void segment_from_row(const Result *r, int row, SegmentInfo *s)
{
    s->content = (int)result_int(r, row, "content");
    s->dbid = (int)result_int(r, row, "dbid");
    s->hostname = xstrdup(result_str(r, row, "hostname"));
    s->address = xstrdup(result_str(r, row, "address"));
    s->port = (int)result_int(r, row, "port");
    s->datadir = xstrdup(result_str(r, row, "datadir"));
}

Error *cluster_read(const ConnOptions *opts, const char *dbname, const char *application_name,
                    const ServerInfo *srv, ClusterInfo *out)
{
    memset(out, 0, sizeof *out);
    Conn *c;
    Error *e = conn_open(opts, dbname, application_name, &c);
    if (e)
        return error_prefix(e, "could not read the cluster's segments");
    Result *r = NULL;
    if (cluster_is_mpp(srv)) {
        /* Greenplum 6 and 7 and Cloudberry all have datadir here (6 moved it
         * from pg_filespace_entry). Primaries that are up only: a down
         * primary means its mirror acts and has role 'p'. */
        e = conn_query(c,
                       "SELECT content, dbid, hostname, address, port, datadir "
                       "FROM pg_catalog.gp_segment_configuration "
                       "WHERE role = 'p' ORDER BY content",
                       &r);
        if (!e) {
            int n = result_rows(r);
            out->segments = xcalloc((size_t)n + 1, sizeof *out->segments);
            for (int i = 0; i < n; i++) {
                int content = (int)result_int(r, i, "content");
                if (content < 0) {
                    segment_from_row(r, i, &out->coordinator);
                    continue;
                }
                if (content != (int)out->nsegments) {
                    e = error_detail(ERROR_NEW(ERR_SQL,
                                               "gp_segment_configuration lists no primary "
                                               "segment with content %zu",
                                               out->nsegments),
                                     "Primary segments must be numbered 0 to N-1.");
                    break;
                }
                segment_from_row(r, i, &out->segments[out->nsegments++]);
            }
            if (!e && out->nsegments == 0)
                e = ERROR_NEW(ERR_SQL, "gp_segment_configuration lists no primary segment");
        }
    } else {
        /* data_directory is readable by superusers and pg_read_all_settings;
         * without it the server-side mode needs --backup-dir. */
        e = conn_query(c,
                       "SELECT -1 AS content, 1 AS dbid, '' AS hostname, '' AS address, "
                       "pg_catalog.current_setting('port')::int AS port, "
                       "COALESCE(pg_catalog.current_setting('data_directory', true), '') "
                       "AS datadir",
                       &r);
        if (!e)
            segment_from_row(r, 0, &out->coordinator);
    }
    result_free(r);
    conn_close(c);
    if (e) {
        cluster_free(out);
        return error_prefix(e, "could not read the cluster's segments");
    }
    return NULL;
}

char *cluster_dir_prefix(const ClusterInfo *c)
{
    if (!c || c->nsegments == 0 || !c->segments[0].datadir)
        return xstrdup("gpseg");
    const char *d = c->segments[0].datadir;
    size_t len = strlen(d);
    while (len > 1 && d[len - 1] == '/')
        len--;
    size_t start = len;
    while (start > 0 && d[start - 1] != '/')
        start--;
    size_t end = len;
    while (end > start && isdigit((unsigned char)d[end - 1]))
        end--;
    /* No digits, or nothing but digits: no usable prefix. */
    if (end == len || end == start)
        return xstrdup("gpseg");
    return xstrndup(d + start, end - start);
}

char *cluster_segment_dir(const char *backup_dir, bool single_dir, const char *prefix,
                          const char *content_text, const char *datadir, const char *ts)
{
    char day[9];
    snprintf(day, sizeof day, "%.8s", ts);
    if (!backup_dir)
        return xasprintf("%s/backups/%s/%s", datadir, day, ts);
    if (single_dir)
        return xasprintf("%s/backups/%s/%s", backup_dir, day, ts);
    return xasprintf("%s/%s%s/backups/%s/%s", backup_dir, prefix, content_text, day, ts);
}

char *cluster_segment_file_under(const char *backup_dir, const char *segmentdirs,
                                 const char *prefix, int content, const char *ts, uint32_t oid,
                                 CodecType codec)
{
    char text[16];
    snprintf(text, sizeof text, "%d", content);
    char *dir = cluster_segment_dir(backup_dir, strcmp(segmentdirs, "single") == 0, prefix, text,
                                    "", ts);
    char *name = backupset_segment_data_file(content, ts, oid, codec);
    char *path = path_join(dir, name);
    free(name);
    free(dir);
    return path;
}

static char *copy_sql(const ServerInfo *srv, const char *qualified, const char *columns,
                      const char *dir, const char *program_literal, bool on_segment)
{
    if (!on_segment)
        return xasprintf("COPY %s %s %s PROGRAM %s WITH (FORMAT csv)", qualified, columns, dir,
                         program_literal);
    /* The option syntax every Greenplum release parses (6 is PostgreSQL
     * 9.4 underneath); ON SEGMENT runs the program on each primary. */
    bool out = strcmp(dir, "TO") == 0;
    return xasprintf("COPY %s %s %s PROGRAM %s WITH CSV DELIMITER ',' ON SEGMENT%s", qualified,
                     columns, dir, program_literal,
                     out && cluster_copy_ignores_external_partitions(srv)
                         ? " IGNORE EXTERNAL PARTITIONS"
                         : "");
}

char *cluster_copy_to_sql(const ServerInfo *srv, const char *qualified, const char *columns,
                          const char *program_literal, bool on_segment)
{
    return copy_sql(srv, qualified, columns, "TO", program_literal, on_segment);
}

char *cluster_copy_from_sql(const ServerInfo *srv, const char *qualified, const char *columns,
                            const char *program_literal, bool on_segment)
{
    return copy_sql(srv, qualified, columns, "FROM", program_literal, on_segment);
}

const char *cluster_read_files_sql(const ServerInfo *srv)
{
    /* The four-argument form (offset, length, missing_ok) exists on every
     * supported server, Greenplum 6's PostgreSQL 9.4 included. */
    if (!cluster_is_mpp(srv))
        return "SELECT -1 AS content, pg_catalog.pg_read_file(($1::pg_catalog.text[])[1], 0, "
               "1048576, $2::pg_catalog.bool) AS body";
    /* gp_id has one row on every segment: gp_dist_random reads it there, so
     * the function runs once per primary, on its own host. */
    return "SELECT gp_segment_id AS content, "
           "pg_catalog.pg_read_file(($1::pg_catalog.text[])[gp_segment_id + 2], 0, 1048576, "
           "$2::pg_catalog.bool) AS body "
           "FROM pg_catalog.gp_dist_random('gp_id') ORDER BY 1";
}

/* A text[] literal: every element double-quoted, with " and \ escaped. */
static char *array_literal(const char *const *items, size_t n)
{
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "{");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sb_append(&sb, ",");
        sb_append(&sb, "\"");
        for (const char *p = items[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                sb_append(&sb, "\\");
            sb_append_len(&sb, p, 1);
        }
        sb_append(&sb, "\"");
    }
    sb_append(&sb, "}");
    return sb.data;
}

/* MPP: pg_read_file cannot read a segment's files (before PostgreSQL 11,
 * Greenplum 6's 9.4 included, it refuses absolute paths outside the data
 * directory, and --backup-dir is outside). Every segment runs the helper
 * in its print mode instead, through COPY ... FROM PROGRAM ON SEGMENT into
 * a temporary table made for the purpose, inside a savepoint that is
 * rolled back: nothing is left behind, and a READ ONLY transaction may
 * write a temporary table. */
static Error *read_files_on_segments(Conn *c, const char *helper_path, const char *const *paths,
                                     size_t n, bool missing_ok, StrList *out)
{
    char *prog = helper_print_command(helper_path, "<SEGID>", paths, n, missing_ok);
    char *lit = conn_quote_literal(c, prog);
    char *sql = xasprintf("SAVEPOINT gpbackup_read_files; "
                          "SET LOCAL client_min_messages = warning; " HELPER_FILES_CREATE "; "
                          "COPY " HELPER_FILES_TABLE " FROM PROGRAM %s WITH CSV ON SEGMENT",
                          lit);
    free(lit);
    free(prog);
    Error *e = conn_exec(c, sql);
    free(sql);
    Result *r = NULL;
    if (!e)
        e = conn_query(c, "SELECT content, body FROM " HELPER_FILES_TABLE " ORDER BY content", &r);
    if (!e) {
        for (int i = 0; i < result_rows(r); i++)
            strlist_push(out, result_str(r, i, "body"));
    }
    result_free(r);
    Error *re = conn_exec(c, "ROLLBACK TO SAVEPOINT gpbackup_read_files; "
                             "RELEASE SAVEPOINT gpbackup_read_files");
    if (!e)
        e = re;
    else
        error_free(re);
    return e;
}

Error *cluster_read_helper_files(Conn *c, const ServerInfo *srv, const char *helper_path,
                                 const char *const *paths, size_t n, bool missing_ok,
                                 StrList *out)
{
    if (cluster_is_mpp(srv)) {
        Error *e = read_files_on_segments(c, helper_path, paths, n, missing_ok, out);
        return e ? error_prefix(e, "could not read gpbackup_helper's files") : NULL;
    }
    char *arr = array_literal(paths, n);
    const char *params[2] = {arr, missing_ok ? "true" : "false"};
    Result *r;
    Error *e = conn_query_params(c, cluster_read_files_sql(srv), 2, params, &r);
    free(arr);
    if (e)
        return error_prefix(e, "could not read gpbackup_helper's files");
    for (int i = 0; i < result_rows(r); i++)
        if (!result_isnull(r, i, "body"))
            strlist_push(out, result_str(r, i, "body"));
    result_free(r);
    return NULL;
}

Error *cluster_add_helper_errors(Conn *c, const ServerInfo *srv, const char *helper_path,
                                 const char *const *paths, size_t n, Error *e)
{
    StrList msgs = {0};
    Error *re = cluster_read_helper_files(c, srv, helper_path, paths, n, true, &msgs);
    if (re) {
        log_debug("could not read the helpers' error files: %s", re->message);
        error_free(re);
    }
    if (msgs.n) {
        StrBuf sb;
        sb_init(&sb);
        if (e->detail && *e->detail)
            sb_printf(&sb, "%s\n", e->detail);
        for (size_t k = 0; k < msgs.n; k++) {
            size_t len = strlen(msgs.items[k]);
            while (len && (msgs.items[k][len - 1] == '\n' || msgs.items[k][len - 1] == '\r'))
                len--;
            if (k)
                sb_append(&sb, "\n");
            sb_append_len(&sb, msgs.items[k], len);
        }
        error_detail(e, "%s", sb.data);
        sb_free(&sb);
    }
    strlist_free(&msgs);
    return e;
}
