/* gpbackup as a script of named steps: start (backup set directory, config
 * "In Progress"), connect and export the snapshot, choose and lock the
 * tables, write the metadata (globals included unless --without-globals)
 * and with --with-stats the planner statistics, copy the data, write the
 * TOC, finish (report, config "Success" or "Failure"). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "codec.h"
#include "config.h"
#include "checksum.h"
#include "fileio.h"
#include "gp_ddl.h"
#include "manifest.h"
#include "log.h"
#include "metadata.h"
#include "snapshot.h"
#include "cluster.h"
#include "helper.h"
#include "statistics.h"
#include "util.h"

typedef struct BackupState {
    const BackupOptions *opts;
    const char *command_line;
    char timestamp[16];
    char *set_dir;
    char *root_dir;             /* the set is <root_dir>/backups/YYYYMMDD/<TS> */
    char *application_name;
    time_t start_time;
    double start_mono;
    BackupConfig *config;
    Conn *leader;
    ServerInfo server;
    ClusterInfo cluster;
    DataPath data_path;
    DataFormat data_format;      /* of the tables whose columns allow it; the rest are csv */
    char *helper_path;
    char *segment_dir_template;  /* data directories with the server's placeholders */
    StrList segment_dirs;        /* [0] coordinator, [c + 1] content c */
    char *prefix;                /* MPP: directory prefix of the segments */
    char *snapshot_id;
    char *snapshot_time;    /* the leader's transaction start, for pg_stat_last_operation */
    char *encoding;
    TableSet tables;
    Toc *toc;
    MetaContext meta;
    DataPhaseStats stats;
    DataPhaseInput data_in;     /* lives while the data phase runs */
    DataPhase *data_phase;      /* running workers, from step_data_start */
    bool wrote_statistics;   /* statistics.sql is part of the set */
    size_t statistics_tables;
} BackupState;

/* YYYYMMDDHHMMSS (human = 0) or "YYYY-MM-DD HH:MM:SS" (human = 1), local time. */
static void format_time(time_t t, char *buf, size_t n, int human)
{
    struct tm tm;
    localtime_r(&t, &tm);
    if (human)
        strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
    else
        strftime(buf, n, "%Y%m%d%H%M%S", &tm);
}

static char *set_file(const BackupState *s, const char *suffix)
{
    char *name = xasprintf("gpbackup_%s_%s", s->timestamp, suffix);
    char *p = path_join(s->set_dir, name);
    free(name);
    return p;
}

/* Step 1: a new backup set directory. Two backups started in the same
 * second must not share one: the directory is created exclusively and the
 * later backup takes the next second. */
static Error *step_create_set(BackupState *s)
{
    for (int attempt = 0; attempt < 10; attempt++) {
        time_t now = time(NULL);
        format_time(now, s->timestamp, sizeof s->timestamp, 0);
        char day[9];
        memcpy(day, s->timestamp, 8);
        day[8] = '\0';
        char *backups = path_join(s->root_dir, "backups");
        char *daydir = path_join(backups, day);
        free(backups);
        Error *e = file_mkdir_p(daydir);
        if (e) {
            free(daydir);
            return error_hint(e, "check that --backup-dir is writable");
        }
        free(s->set_dir);
        s->set_dir = path_join(daydir, s->timestamp);
        free(daydir);
        int existed = 0;
        e = file_mkdir_excl(s->set_dir, &existed);
        if (e)
            return e;
        if (!existed) {
            s->start_time = now;
            return NULL;
        }
        while (time(NULL) == now)
            usleep(50 * 1000);
    }
    return ERROR_NEW(ERR_IO, "could not create a new backup directory under \"%s\"",
                     s->root_dir);
}

/* Step 0: which server this is, what it can do with the options asked, and
 * on MPP its segments, read on short connections of their own before the
 * set exists (its directory depends on them). */
static Error *step_server(BackupState *s)
{
    const BackupOptions *o = s->opts;
    Conn *c;
    Error *e = conn_open(&o->conn, NULL, s->application_name, &c);
    if (e)
        return e;
    e = snapshot_detect_server(c, &s->server);
    if (!e)
        e = cluster_check_server(&s->server, conn_server_version(c), o->jobs);
    conn_close(c);
    if (e)
        return e;
    bool mpp = cluster_is_mpp(&s->server);
    if (o->single_backup_dir && !mpp)
        return error_hint(ERROR_NEW(ERR_USAGE, "--single-backup-dir applies to Greenplum and "
                                               "Cloudberry clusters only"),
                          "On PostgreSQL every file is under --backup-dir already.");
    s->data_path = mpp ? DATA_SEGMENTS : o->server_side ? DATA_SERVER_SIDE : DATA_CLIENT;
    if (o->metadata_only && !mpp)
        s->data_path = DATA_CLIENT;
    /* The segments' helpers write and count csv rows. */
    if (mpp && o->data_format_given && o->data_format != DATA_FORMAT_CSV)
        return error_hint(ERROR_NEW(ERR_USAGE, "option --data-format %s cannot be used on "
                                               "Greenplum and Cloudberry clusters",
                                    data_format_name(o->data_format)),
                          "The segments write csv data; leave out --data-format.");
    s->data_format = s->data_path == DATA_CLIENT ? o->data_format : DATA_FORMAT_CSV;
    if (s->data_path != DATA_CLIENT) {
        s->helper_path = o->helper_path ? xstrdup(o->helper_path) : options_default_helper_path();
        if (!s->helper_path)
            return error_hint(ERROR_NEW(ERR_USAGE, "could not find gpbackup_helper"),
                              "Give its path on the database hosts with --helper-path.");
    }
    if (mpp) {
        e = cluster_read(&o->conn, NULL, s->application_name, &s->server, &s->cluster);
        if (e)
            return e;
        s->prefix = cluster_dir_prefix(&s->cluster);
        log_info("%s %d.%d, %zu primary segments",
                 s->server.flavor == SERVER_CLOUDBERRY ? "Cloudberry" : "Greenplum",
                 s->server.gp_major, s->server.gp_minor, s->cluster.nsegments);
        /* The coordinator's files go where content -1's would. */
        char *dir = cluster_segment_dir(o->backup_dir_given ? o->backup_dir : NULL,
                                        o->single_backup_dir, s->prefix, "-1",
                                        s->cluster.coordinator.datadir, "00000000000000");
        /* strip "/backups/00000000/00000000000000": the root of the set dirs */
        char *cut = strstr(dir, "/backups/00000000/");
        if (cut)
            *cut = '\0';
        s->root_dir = dir;
    } else {
        s->root_dir = xstrdup(o->backup_dir);
    }
    return NULL;
}

/* The directories the server writes the data files into. */
static void plan_segment_dirs(BackupState *s)
{
    const BackupOptions *o = s->opts;
    if (s->data_path == DATA_SERVER_SIDE) {
        s->segment_dir_template = xstrdup(s->set_dir);
        strlist_push(&s->segment_dirs, s->set_dir);
        return;
    }
    if (s->data_path != DATA_SEGMENTS)
        return;
    const char *bd = o->backup_dir_given ? o->backup_dir : NULL;
    s->segment_dir_template = cluster_segment_dir(bd, o->single_backup_dir, s->prefix, "<SEGID>",
                                                  "<SEG_DATA_DIR>", s->timestamp);
    strlist_push(&s->segment_dirs, s->set_dir);
    for (size_t k = 0; k < s->cluster.nsegments; k++) {
        char content[16];
        snprintf(content, sizeof content, "%d", s->cluster.segments[k].content);
        char *d = cluster_segment_dir(bd, o->single_backup_dir, s->prefix, content,
                                      s->cluster.segments[k].datadir, s->timestamp);
        strlist_push(&s->segment_dirs, d);
        free(d);
    }
}

static void fill_config(BackupState *s)
{
    const BackupOptions *o = s->opts;
    BackupConfig *c = s->config;
    c->formatversion = s->data_format == DATA_FORMAT_PACKED   ? CONFIG_FORMAT_VERSION_PACKED
                       : s->data_format == DATA_FORMAT_BINARY ? CONFIG_FORMAT_VERSION_BINARY
                                                              : CONFIG_FORMAT_VERSION_CSV;
    config_set(&c->backupdir, o->backup_dir);
    config_set(&c->backupversion, GPB_VERSION);
    c->compressed = o->compression != CODEC_NONE;
    config_set(&c->compressiontype, codec_name(o->compression));
    c->compressionlevel = o->compression_level;
    c->dataonly = o->data_only;
    c->metadataonly = o->metadata_only;
    /* A data-only backup writes no metadata, globals included. */
    c->withoutglobals = o->without_globals || o->data_only;
    c->withstatistics = o->with_stats;
    c->jobs = o->jobs;
    config_set(&c->dataformat, data_format_name(s->data_format));
    config_set(&c->datapath, s->data_path == DATA_SEGMENTS      ? "segments"
                             : s->data_path == DATA_SERVER_SIDE ? "server-side"
                                                                : "client");
    if (s->data_path == DATA_SEGMENTS) {
        c->segmentcount = (int)s->cluster.nsegments;
        c->singledatafile = 0;
        config_set(&c->segmentdirs, !o->backup_dir_given     ? "datadir"
                                    : o->single_backup_dir ? "single"
                                                           : "prefixed");
        config_set(&c->segmentdirprefix,
                   o->backup_dir_given && !o->single_backup_dir ? s->prefix : "");
    }
    config_set(&c->timestamp, s->timestamp);
    char buf[16];
    format_time(s->start_time, buf, sizeof buf, 0);
    config_set(&c->starttime, buf);
    config_set(&c->endtime, "");
    config_set(&c->status, BACKUP_STATUS_IN_PROGRESS);
    config_set(&c->error, "");
    const Filter *f = &o->filter;
    for (size_t i = 0; i < f->include_schemas.n; i++)
        strlist_push(&c->includeschemas, f->include_schemas.items[i]);
    for (size_t i = 0; i < f->exclude_schemas.n; i++)
        strlist_push(&c->excludeschemas, f->exclude_schemas.items[i]);
    for (size_t i = 0; i < f->include_table_schemas.n; i++) {
        char *n = filter_format_table_name(f->include_table_schemas.items[i],
                                           f->include_table_names.items[i]);
        strlist_push(&c->includerelations, n);
        free(n);
    }
    for (size_t i = 0; i < f->exclude_table_schemas.n; i++) {
        char *n = filter_format_table_name(f->exclude_table_schemas.items[i],
                                           f->exclude_table_names.items[i]);
        strlist_push(&c->excluderelations, n);
        free(n);
    }
}

static Error *write_config(BackupState *s)
{
    char *path = set_file(s, "config.yaml");
    Error *e = config_write(s->config, path);
    free(path);
    return e;
}

/* Step 2: the leader connection, its exporting transaction, session
 * settings, server facts. */
static Error *step_connect(BackupState *s)
{
    Error *e = conn_open(&s->opts->conn, NULL, s->application_name, &s->leader);
    if (e)
        return e;
    e = conn_set_session_defaults(s->leader);
    if (e)
        return e;
    Result *r;
    /* The locale goes into the config so that gprestore --create-db makes
     * a database that sorts and classifies text as the source did. */
    int v = conn_server_version(s->leader);
    char *sql = xasprintf(
        "SELECT pg_catalog.pg_encoding_to_char(encoding) AS enc, "
        "       pg_catalog.current_database() AS db, "
        "       datcollate, datctype, %s AS provider, %s AS locale, %s AS icurules "
        "FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()",
        v >= 150000 ? "CASE datlocprovider WHEN 'c' THEN 'libc' WHEN 'i' THEN 'icu' "
                      "WHEN 'b' THEN 'builtin' ELSE datlocprovider::pg_catalog.text END"
                    : "'libc'",
        v >= 170000 ? "datlocale" : v >= 150000 ? "daticulocale" : "NULL::pg_catalog.text",
        v >= 160000 ? "daticurules" : "NULL::pg_catalog.text");
    e = conn_query(s->leader, sql, &r);
    free(sql);
    if (e)
        return e;
    s->encoding = xstrdup(result_str(r, 0, "enc"));
    config_set(&s->config->databasename, result_str(r, 0, "db"));
    config_set(&s->config->databaselocaleprovider, result_str(r, 0, "provider"));
    config_set(&s->config->databasecollate, result_str(r, 0, "datcollate"));
    config_set(&s->config->databasectype, result_str(r, 0, "datctype"));
    config_set(&s->config->databaselocale, result_str(r, 0, "locale"));
    config_set(&s->config->databaseicurules, result_str(r, 0, "icurules"));
    result_free(r);
    config_set(&s->config->databaseversion, conn_server_version_str(s->leader));
    config_set(&s->config->databaseencoding, s->encoding);
    char *lit = conn_quote_literal(s->leader, s->encoding);
    e = conn_execf(s->leader, "SET client_encoding = %s", lit);
    free(lit);
    if (e)
        return e;
    /* At most --jobs + 1 connections: the leader and the workers. */
    if (!s->opts->metadata_only) {
        e = snapshot_check_connections(s->leader, s->opts->jobs);
        if (e)
            return e;
    }
    /* The leader copies the tables the workers could not lock. */
    if (!s->opts->metadata_only && cluster_is_mpp(&s->server)) {
        e = cluster_prepare_session(s->leader, &s->server);
        if (e)
            return e;
    }
    e = snapshot_export(s->leader, &s->snapshot_id);
    if (e)
        return e;
    e = conn_query(s->leader, "SELECT pg_catalog.now()::pg_catalog.text", &r);
    if (e)
        return e;
    s->snapshot_time = xstrdup(result_get(r, 0, 0));
    result_free(r);
    log_info("exported snapshot %s", s->snapshot_id);
    return NULL;
}

/* Greenplum 6+ / Cloudberry: DISTRIBUTED REPLICATED tables, whose every
 * segment holds all rows (gp_distribution_policy.policytype 'r'). */
static Error *mark_replicated(BackupState *s)
{
    Result *r;
    Error *e = conn_query(s->leader,
                          "SELECT localoid::pg_catalog.int8 AS oid FROM "
                          "pg_catalog.gp_distribution_policy WHERE policytype = 'r'",
                          &r);
    if (e)
        return e;
    for (int i = 0; i < result_rows(r); i++) {
        uint32_t oid = (uint32_t)result_int(r, i, "oid");
        for (size_t k = 0; k < s->tables.n; k++)
            if (s->tables.items[k].oid == oid)
                s->tables.items[k].replicated = true;
    }
    result_free(r);
    return NULL;
}

/* Greenplum 6: the tables without rows of their own to copy. External
 * tables have none (reading one reads its source). A legacy partitioned
 * table's COPY TO copies every leaf (external leaves left out by IGNORE
 * EXTERNAL PARTITIONS), so either the root or the members must be copied,
 * never both: the root is, and its members (pg_partition_rule) are not.
 * The restore then loads the root's file into the root, which routes
 * each row to its partition by the restored table's own rules, the same
 * as the metadata (CREATE TABLE ... PARTITION BY) made them; and one file
 * per root serves a restore onto any segment count alike. */
static Error *mark_gp6_no_data(BackupState *s)
{
    if (s->server.flavor != SERVER_GREENPLUM || gp_catalog_is_gp7(&s->server))
        return NULL;
    Result *r;
    Error *e = conn_query(s->leader,
                          "SELECT c.oid::pg_catalog.int8 AS oid FROM pg_catalog.pg_class c "
                          "WHERE c.relstorage = 'x' "
                          "UNION SELECT r.parchildrelid::pg_catalog.int8 "
                          "FROM pg_catalog.pg_partition_rule r",
                          &r);
    if (e)
        return error_prefix(e, "could not read external tables and partitions");
    for (int i = 0; i < result_rows(r); i++) {
        TableInfo *t = catalog_find(&s->tables, (uint32_t)result_int(r, i, "oid"));
        if (t)
            t->no_data = true;
    }
    result_free(r);
    return NULL;
}

static void lock_progress(size_t done, size_t total)
{
    log_verbose("locks acquired: %zu/%zu", done, total);
}

/* Step 3: the tables in the backup set, locked so that no DDL can change
 * them before they are copied; then their columns and sizes. */
static Error *step_tables(BackupState *s)
{
    Error *e = catalog_list_tables(s->leader, &s->opts->filter, &s->tables);
    if (e)
        return e;
    if (s->opts->no_lock) {
        log_info("--no-lock: %zu tables, each locked only while it is copied", s->tables.n);
    } else {
        /* Fail in seconds, with the setting to change, rather than after
         * minutes of locking with "out of shared memory". */
        e = snapshot_check_lock_capacity(s->leader, s->tables.n);
        if (e)
            return e;
        char **names = xcalloc(s->tables.n + 1, sizeof(char *));
        uint32_t *oids = xcalloc(s->tables.n + 1, sizeof(uint32_t));
        for (size_t i = 0; i < s->tables.n; i++) {
            names[i] = s->tables.items[i].qualified;
            oids[i] = s->tables.items[i].oid;
        }
        double t0 = now_monotonic();
        e = snapshot_lock_tables(s->leader, &s->server, names, oids, s->tables.n, 100,
                                 s->opts->lock_wait_timeout, &s->opts->conn, lock_progress);
        free(names);
        free(oids);
        if (e)
            return e;
        log_info("locked %zu tables in %.2fs", s->tables.n, now_monotonic() - t0);
    }
    if (cluster_is_mpp(&s->server))
        e = mark_replicated(s);
    if (!e)
        e = mark_gp6_no_data(s);
    if (!e)
        e = catalog_load_columns(s->leader, &s->tables);
    /* Sizes only schedule the data phase and estimate its end. */
    if (!e && !s->opts->metadata_only)
        e = catalog_load_sizes(s->leader, &s->tables, !s->opts->no_lock);
    return e;
}

/* Step 4: the metadata SQL and its TOC entries. */
static Error *step_metadata(BackupState *s)
{
    s->meta.conn = s->leader;
    s->meta.server = &s->server;
    s->meta.filter = &s->opts->filter;
    s->meta.tables = &s->tables;
    s->meta.toc = s->toc;
    sb_init(&s->meta.sql);
    /* A data-only backup still carries the sequence values, as the data
     * they number would be useless without them (pg_dump does the same). */
    s->meta.values_only = s->opts->data_only;
    s->meta.without_globals = s->opts->without_globals;
    Error *e = s->opts->data_only ? meta_sequences.dump(&s->meta) : metadata_dump_all(&s->meta);
    if (e)
        return e;
    char *path = set_file(s, "metadata.sql");
    e = file_write_atomic(path, s->meta.sql.data, s->meta.sql.len);
    free(path);
    if (!e)
        log_info("metadata written: %zu objects, %zu global objects",
                 s->toc->nentries[TOC_PREDATA] + s->toc->nentries[TOC_POSTDATA],
                 s->toc->nentries[TOC_GLOBAL]);
    return e;
}

/* Step 4b (--with-stats): the planner statistics, read under the snapshot
 * like the metadata, into a file of their own. */
static Error *step_statistics(BackupState *s)
{
    if (!s->opts->with_stats)
        return NULL;
    StrBuf sql;
    sb_init(&sql);
    int dropped = 0;
    double t0 = now_monotonic();
    Error *e = statistics_dump(s->leader, &s->tables, &sql, s->toc, &dropped);
    if (!e) {
        char *path = set_file(s, "statistics.sql");
        e = file_write_atomic(path, sql.data ? sql.data : "", sql.len);
        free(path);
    }
    sb_free(&sql);
    if (e)
        return error_prefix(e, "could not back up statistics");
    s->wrote_statistics = true;
    s->statistics_tables = s->toc->nstats;
    if (dropped)
        log_info("statistics: %d slot%s of kinds this tool does not know left out", dropped,
                 dropped == 1 ? "" : "s");
    log_info("statistics written: %zu tables in %.2fs", s->toc->nstats, now_monotonic() - t0);
    return NULL;
}

/* Greenplum keeps the last DDL per table in pg_stat_last_operation: a
 * second opinion for --no-lock, read on a connection of its own because the
 * leader's snapshot would hide what happened after it. */
static Error *check_last_operations(BackupState *s)
{
    Conn *c;
    Error *e = conn_open(&s->opts->conn, NULL, s->application_name, &c);
    if (e)
        return e;
    char *oids = catalog_oid_array(&s->tables);
    const char *params[2] = {oids, s->snapshot_time};
    Result *r;
    e = conn_query_params(c, snapshot_last_operation_sql(), 2, params, &r);
    free(oids);
    if (!e) {
        for (int i = 0; i < result_rows(r); i++) {
            char *name = filter_format_table_name(result_str(r, i, "nspname"),
                                                  result_str(r, i, "relname"));
            char *what = xasprintf("%s %s at %s (pg_stat_last_operation)",
                                   result_str(r, i, "staactionname"),
                                   result_str(r, i, "stasubtype"), result_str(r, i, "statime"));
            log_warning("table %s changed during the backup: %s", name, what);
            strlist_push(&s->stats.changed_tables, name);
            strlist_push(&s->stats.changes, what);
            free(what);
            free(name);
        }
        result_free(r);
    }
    conn_close(c);
    return e;
}

/* Step 5: the data. The workers start as soon as the tables are known and
 * copy while the leader writes the metadata (step 4): the leader's
 * connection is not theirs, and the leader takes over the deferred tables
 * and the TOC once the metadata is written. */
static void step_data_start(BackupState *s)
{
    if (s->opts->metadata_only)
        return;
    s->data_in = (DataPhaseInput){
        .opts = s->opts,
        .leader = s->leader,
        .snapshot_id = s->snapshot_id,
        .application_name = s->application_name,
        .encoding = s->encoding,
        .set_dir = s->set_dir,
        .timestamp = s->timestamp,
        .tables = &s->tables,
        .server = &s->server,
        .no_lock = s->opts->no_lock,
        .data_path = s->data_path,
        .data_format = s->data_format,
        .helper_path = s->helper_path,
        .segment_dir_template = s->segment_dir_template,
        .segment_dirs = s->segment_dirs.items,
        .nsegment_dirs = s->segment_dirs.n,
    };
    s->data_phase = backup_data_start(&s->data_in);
}

static Error *step_data_finish(BackupState *s, Error *before)
{
    if (!s->data_phase)
        return before;
    /* The metadata failed: stop the workers, keep that error. */
    if (before)
        backup_data_abort(s->data_phase);
    Error *e = backup_data_finish(s->data_phase, s->toc, &s->stats);
    s->data_phase = NULL;
    if (before) {
        error_free(e);
        return before;
    }
    if (!e && s->opts->no_lock && s->server.flavor != SERVER_POSTGRES)
        e = check_last_operations(s);
    return e;
}

static Error *step_toc(BackupState *s)
{
    /* The data files were written without a sync each: one for all now,
     * before the TOC that lists them and the status that declares them. */
    Error *e = file_sync_dir_tree(s->set_dir);
    if (e)
        return e;
    char *path = set_file(s, "toc.yaml");
    e = toc_write(s->toc, path);
    free(path);
    return e;
}

static void append_kv(StrBuf *sb, const char *key, const char *value)
{
    sb_printf(sb, "%-26s%s\n", key, value);
}

static Error *write_report(BackupState *s, const Error *failure)
{
    const BackupOptions *o = s->opts;
    StrBuf sb;
    sb_init(&sb);
    char buf[128], b2[32];
    sb_append(&sb, "PostgreSQL Database Backup Report\n\n");
    append_kv(&sb, "timestamp key:", s->timestamp);
    append_kv(&sb, "database version:", s->config->databaseversion ? s->config->databaseversion : "");
    append_kv(&sb, "gpbackup version:", GPB_VERSION);
    append_kv(&sb, "database name:", s->config->databasename ? s->config->databasename : "");
    append_kv(&sb, "command line:", s->command_line);
    snprintf(buf, sizeof buf, "%s", codec_name(o->compression));
    if (o->compression != CODEC_NONE)
        snprintf(buf, sizeof buf, "%s (level %d)", codec_name(o->compression), o->compression_level);
    append_kv(&sb, "compression:", buf);
    append_kv(&sb, "backup section:",
              o->data_only ? "Data Only" : o->metadata_only ? "Metadata Only" : "All Sections");
    const Filter *f = &o->filter;
    append_kv(&sb, "object filtering:",
              f->include_table_schemas.n || f->exclude_table_schemas.n   ? "Table Filter"
              : f->include_schemas.n || f->exclude_schemas.n ? "Schema Filter"
                                                             : "None");
    StrBuf fmt;
    sb_init(&fmt);
    sb_printf(&fmt, "%s, one file per table",
              s->data_format != DATA_FORMAT_CSV ? data_format_name(s->data_format) : "CSV");
    if (s->stats.nshared_files)
        sb_printf(&fmt, " except %d small tables in %zu shared files", s->stats.tables_shared,
                  s->stats.nshared_files);
    if (s->data_format != DATA_FORMAT_CSV && s->stats.tables_csv)
        sb_printf(&fmt, " (%d tables csv: columns of non-built-in types)", s->stats.tables_csv);
    append_kv(&sb, "data file format:", fmt.data);
    sb_free(&fmt);
    append_kv(&sb, "globals:", o->without_globals || o->data_only ? "not included"
                                                                  : "roles and tablespaces included");
    if (o->with_stats) {
        snprintf(buf, sizeof buf, "%zu tables", s->statistics_tables);
        append_kv(&sb, "statistics:", buf);
    }
    snprintf(buf, sizeof buf, "%d", o->jobs);
    append_kv(&sb, "jobs:", buf);
    append_kv(&sb, "table locks:", o->no_lock ? "none up front (--no-lock)"
                                              : "ACCESS SHARE on every table until the end");
    format_time(s->start_time, buf, sizeof buf, 1);
    append_kv(&sb, "start time:", buf);
    format_time(time(NULL), buf, sizeof buf, 1);
    append_kv(&sb, "end time:", buf);
    append_kv(&sb, "duration:", format_duration(now_monotonic() - s->start_mono, b2, sizeof b2));
    append_kv(&sb, "backup status:", failure ? BACKUP_STATUS_FAILURE : BACKUP_STATUS_SUCCESS);
    if (failure)
        append_kv(&sb, "backup error:", failure->message);
    if (!o->metadata_only) {
        sb_append(&sb, "\n");
        snprintf(buf, sizeof buf, "%d", s->stats.tables_done);
        append_kv(&sb, "tables with data:", buf);
        snprintf(buf, sizeof buf, "%d", s->stats.tables_deferred);
        append_kv(&sb, "deferred to connection 0:", buf);
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)s->stats.rows);
        append_kv(&sb, "rows:", buf);
        append_kv(&sb, "data (uncompressed):", format_bytes(s->stats.raw_bytes, b2, sizeof b2));
        append_kv(&sb, "data files:", format_bytes(s->stats.file_bytes, b2, sizeof b2));
    }
    if (s->stats.changed_tables.n) {
        sb_append(&sb, "\ntables changed during the backup (their data is not as of the "
                       "snapshot):\n");
        for (size_t i = 0; i < s->stats.changed_tables.n; i++)
            sb_printf(&sb, "  %s: %s\n", s->stats.changed_tables.items[i],
                      s->stats.changes.items[i]);
    }
    if (s->meta.counts_n) {
        sb_append(&sb, "\ncount of database objects in backup:\n");
        for (size_t i = 0; i < s->meta.counts_n; i++) {
            char key[64];
            snprintf(key, sizeof key, "%s:", s->meta.count_names[i]);
            snprintf(buf, sizeof buf, "%d", s->meta.counts[i]);
            sb_printf(&sb, "  %-24s%s\n", key, buf);
        }
    }
    char *path = set_file(s, "report");
    Error *e = file_write_atomic(path, sb.data, sb.len);
    free(path);
    sb_free(&sb);
    return e;
}

/* A set is complete only once its manifest (every file, size, checksum) and
 * then its completion marker are durable; the marker is written last. */
static Error *step_complete(BackupState *s)
{
    Manifest *m = manifest_new();
    Error *e = NULL;
    static const char *const own[] = {"config.yaml", "toc.yaml", "metadata.sql", "report",
                                      "statistics.sql"};
    for (size_t i = 0; i < sizeof own / sizeof own[0] && !e; i++) {
        if (strcmp(own[i], "statistics.sql") == 0 && !s->wrote_statistics)
            continue;
        char *name = xasprintf("gpbackup_%s_%s", s->timestamp, own[i]);
        e = manifest_add_file(m, s->set_dir, name);
        free(name);
    }
    /* The data files were checksummed while they were written. */
    for (size_t i = 0; i < s->toc->ndata && !e; i++) {
        const TocDataEntry *d = &s->toc->data[i];
        /* On MPP the files are in the segments' directories, each listed
         * with its checksum in the TOC, which the manifest covers. */
        if (d->nsegments || d->has_offset)
            continue;
        e = manifest_add(m, d->file, d->filebytes, d->checksum);
        if (!e && s->data_path == DATA_SERVER_SIDE) {
            char *meta = xasprintf("%s%s", d->file, HELPER_SIDECAR_SUFFIX);
            e = manifest_add_file(m, s->set_dir, meta);
            free(meta);
        }
    }
    /* A file several tables share, as a whole; the TOC has each part. */
    for (size_t i = 0; i < s->stats.nshared_files && !e; i++) {
        const SharedDataFile *f = &s->stats.shared_files[i];
        e = manifest_add(m, f->name, f->bytes, f->checksum);
    }
    char *path = set_file(s, "manifest.yaml");
    if (!e)
        e = manifest_write(m, path);
    manifest_free(m);
    char *sum = NULL;
    if (!e) {
        char hex[CHECKSUM_HEX_LEN + 1];
        e = checksum_file(path, hex, NULL);
        sum = xasprintf("backup %s complete\nmanifest %s\n", s->timestamp, hex);
    }
    free(path);
    if (!e)
        e = file_sync_dir_tree(s->set_dir);
    if (!e) {
        path = set_file(s, "complete");
        e = file_write_atomic(path, sum, strlen(sum));
        free(path);
    }
    free(sum);
    return e;
}

/* Last step, on success and on failure alike: the report and the final
 * status in the config. A failed backup is never left "In Progress". */
static Error *step_finish(BackupState *s, const Error *failure)
{
    char buf[16];
    format_time(time(NULL), buf, sizeof buf, 0);
    config_set(&s->config->endtime, buf);
    config_set(&s->config->status, failure ? BACKUP_STATUS_FAILURE : BACKUP_STATUS_SUCCESS);
    /* A reader that knows neither shared files (TOC key offset) nor parts
     * (parts) would take a shared file for one table's, or a file in
     * parts for one stream. */
    bool parts = false;
    for (size_t i = 0; i < s->toc->ndata && !parts; i++)
        parts = s->toc->data[i].nparts > 0;
    if (s->stats.nshared_files || parts)
        s->config->formatversion = CONFIG_FORMAT_VERSION;
    config_set(&s->config->error, failure ? failure->message : "");
    Error *e = write_report(s, failure);
    Error *e2 = write_config(s);
    if (e) {
        error_free(e2);
        return e;
    }
    if (e2 || failure)
        return e2;
    e = step_complete(s);
    if (e) {
        /* The config said Success a moment ago: a set that could not be
         * completed is a failed one, not one that looks still running. */
        config_set(&s->config->status, BACKUP_STATUS_FAILURE);
        config_set(&s->config->error, e->message);
        error_free(write_config(s));
    }
    return e;
}

static void open_log(const char *timestamp, LogLevel level)
{
    const char *home = getenv("HOME");
    if (!home || !*home)
        return;
    char *dir = path_join(home, "gpAdminLogs");
    Error *e = file_mkdir_p(dir);
    if (!e) {
        char name[64];
        snprintf(name, sizeof name, "gpbackup_%.8s.log", timestamp);
        char *path = path_join(dir, name);
        e = log_init("gpbackup", level, path);
        free(path);
    }
    if (e) {
        log_info("not writing a log file: %s", e->message);
        error_free(e);
    }
    free(dir);
}

Error *backup_run(const BackupOptions *opts, const char *command_line, char **timestamp)
{
    BackupState s = {0};
    s.opts = opts;
    s.command_line = command_line;
    s.start_mono = now_monotonic();
    s.config = config_new();
    s.toc = toc_new();
    *timestamp = NULL;

    s.application_name = xstrdup("gpbackup");
    Error *e = step_server(&s);
    if (!e)
        e = step_create_set(&s);
    if (e)
        goto out;
    *timestamp = xstrdup(s.timestamp);
    plan_segment_dirs(&s);
    open_log(s.timestamp, opts->log_level);
    free(s.application_name);
    s.application_name = xasprintf("gpbackup_%s", s.timestamp);
    char *where = conn_describe(&opts->conn);
    log_info("gpbackup %s starting: %s", GPB_VERSION, command_line);
    log_info("Backup Timestamp = %s", s.timestamp);
    log_info("connecting to %s; backup directory %s", where, s.set_dir);
    free(where);
    conn_warn_password(&opts->conn);
    fill_config(&s);
    e = write_config(&s);
    if (!e)
        e = step_connect(&s);
    if (!e)
        e = write_config(&s);
    if (!e)
        e = step_tables(&s);
    if (!e)
        step_data_start(&s);
    if (!e)
        e = step_metadata(&s);
    if (!e)
        e = step_statistics(&s);
    e = step_data_finish(&s, e);
    if (!e)
        e = step_toc(&s);
    if (!e && s.leader)
        e = snapshot_commit(s.leader);
    Error *fin = step_finish(&s, e);
    if (!e)
        e = fin;
    else
        error_free(fin);
    if (!e) {
        char b1[32], b2[32], b3[32];
        log_info("backup %s complete: %d tables, %llu rows, %s of data in %s of files, in %s",
                 s.timestamp, s.stats.tables_done, (unsigned long long)s.stats.rows,
                 format_bytes(s.stats.raw_bytes, b1, sizeof b1),
                 format_bytes(s.stats.file_bytes, b2, sizeof b2),
                 format_duration(now_monotonic() - s.start_mono, b3, sizeof b3));
    }
out:
    codec_thread_done();
    conn_close(s.leader);
    catalog_free(&s.tables);
    metadata_context_free(&s.meta);
    toc_free(s.toc);
    config_free(s.config);
    free(s.set_dir);
    free(s.root_dir);
    free(s.helper_path);
    free(s.segment_dir_template);
    free(s.prefix);
    strlist_free(&s.segment_dirs);
    cluster_free(&s.cluster);
    free(s.application_name);
    free(s.snapshot_id);
    free(s.snapshot_time);
    data_phase_stats_free(&s.stats);
    free(s.encoding);
    return e;
}
