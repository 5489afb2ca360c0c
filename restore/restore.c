/* gprestore as a script of named steps: find and check the backup set,
 * replay the globals (--with-globals), create the database, replay
 * pre-data serially, load the data in parallel (one transaction per table,
 * row count checked before commit) and, as each table is loaded, its
 * indexes and constraints; the rest of post-data once all data is in;
 * sequence values, index attachments and foreign keys last; then statistics (--with-stats) or ANALYZE (--run-analyze), the
 * database's own properties (--create-db or --with-globals); finally the
 * report. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "backupset.h"
#include "checksum.h"
#include "cluster.h"
#include "codec.h"
#include "config.h"
#include "fileio.h"
#include "helper.h"
#include "log.h"
#include "manifest.h"
#include "pack.h"
#include "restore.h"
#include "toc.h"
#include "util.h"

typedef struct RestoreState {
    const RestoreOptions *opts;
    const char *command_line;
    char *set_dir;
    char restore_ts[16];
    char *application_name;
    double start_mono;
    time_t start_time;
    BackupConfig *config;
    Manifest *manifest;
    Toc *toc;
    char *metadata;
    size_t metadata_len;
    char *statistics;           /* the statistics file, with --with-stats */
    size_t statistics_len;
    CodecType codec;
    DataFormat data_format;     /* the set's dataformat (config); entries may name their own */
    char *target_db;
    Conn *leader;
    StrList error_tables_metadata;
    StrList error_tables_data;
    StrList created_tables;     /* table_key() of the tables pre-data created */
    Error *first_error;         /* the error that stops the run */
    int tables_restored;
    unsigned long long rows_restored;
    int statements_run;
    int globals_restored;
    int statistics_restored;
    int tables_analyzed;
    /* The data path: the backup's ("client", "server-side", "segments"). */
    bool server_side;           /* load through gpbackup_helper on the PostgreSQL server */
    bool segments;              /* MPP set: each segment's files */
    bool resize;                /* MPP set onto another segment count */
    char *helper_path;
    ServerInfo server;
    ClusterInfo cluster;
    char *segment_dir_template; /* same segment count: with <SEG_DATA_DIR>/<SEGID> */
} RestoreState;

static char *restore_file(const RestoreState *s, const char *suffix)
{
    char *name = xasprintf("gprestore_%s_%s_%s", s->opts->timestamp, s->restore_ts, suffix);
    char *p = path_join(s->set_dir, name);
    free(name);
    return p;
}

/* Entries that create a relation --include-table and --exclude-table can
 * name. */
static bool is_relation_entry(const char *objecttype)
{
    static const char *const kinds[] = {"TABLE", "VIEW", "MATERIALIZED VIEW", "FOREIGN TABLE",
                                        "EXTERNAL TABLE", NULL};
    for (int i = 0; kinds[i]; i++)
        if (strcmp(kinds[i], objecttype) == 0)
            return true;
    return false;
}

static bool toc_has_table(const Toc *toc, const char *schema, const char *name)
{
    for (size_t i = 0; i < toc->ndata; i++)
        if (strcmp(toc->data[i].schema, schema) == 0 && strcmp(toc->data[i].name, name) == 0)
            return true;
    for (size_t i = 0; i < toc->nentries[TOC_PREDATA]; i++) {
        const TocEntry *e = &toc->entries[TOC_PREDATA][i];
        if (is_relation_entry(e->objecttype) &&
            strcmp(e->schema, schema) == 0 &&
            strcmp(e->name, name) == 0)
            return true;
    }
    return false;
}

static bool toc_has_schema(const Toc *toc, const char *schema)
{
    for (size_t i = 0; i < toc->ndata; i++)
        if (strcmp(toc->data[i].schema, schema) == 0)
            return true;
    for (int sec = 0; sec < TOC_NSECTIONS; sec++)
        for (size_t i = 0; i < toc->nentries[sec]; i++)
            if (strcmp(toc->entries[sec][i].schema, schema) == 0)
                return true;
    return false;
}

/* A name given to --include-table or --include-schema that the backup does
 * not hold is a mistake to report, not a reason to restore nothing. */
static Error *check_filter_names(const RestoreState *s)
{
    const Filter *f = &s->opts->filter;
    for (size_t i = 0; i < f->include_table_schemas.n; i++) {
        if (toc_has_table(s->toc, f->include_table_schemas.items[i], f->include_table_names.items[i]))
            continue;
        char *n = filter_format_table_name(f->include_table_schemas.items[i],
                                           f->include_table_names.items[i]);
        Error *e = ERROR_NEW(ERR_NOT_FOUND, "table \"%s\" given with --include-table is not in "
                                            "backup %s", n, s->opts->timestamp);
        free(n);
        return error_hint(e, "names are case sensitive; the backup's tables are listed in its "
                             "table of contents");
    }
    for (size_t i = 0; i < f->include_schemas.n; i++)
        if (!toc_has_schema(s->toc, f->include_schemas.items[i]))
            return error_hint(ERROR_NEW(ERR_NOT_FOUND,
                                        "schema \"%s\" given with --include-schema is not in "
                                        "backup %s",
                                        f->include_schemas.items[i], s->opts->timestamp),
                              "names are case sensitive");
    return NULL;
}

/* Read one of the set's own files, refusing it unless its size and
 * checksum are those the manifest lists: nothing from a damaged or altered
 * file is parsed, let alone run. */
static Error *read_verified(RestoreState *s, const char *suffix, size_t max, char **text,
                            size_t *len)
{
    char *name = xasprintf("gpbackup_%s_%s", s->opts->timestamp, suffix);
    const ManifestFile *mf = manifest_find(s->manifest, name);
    Error *e = NULL;
    if (!mf)
        e = ERROR_NEW(ERR_FORMAT, "file \"%s\" is not listed in the manifest of backup %s", name,
                      s->opts->timestamp);
    char *path = path_join(s->set_dir, name);
    if (!e)
        e = file_read_all(path, max, text, len);
    if (!e) {
        char hex[CHECKSUM_HEX_LEN + 1];
        checksum_buffer(*text, *len, hex);
        if (*len != mf->size || strcmp(hex, mf->checksum) != 0) {
            e = ERROR_NEW(ERR_FORMAT, "file \"%s\" of backup %s is damaged: its %s differs from "
                                      "the manifest",
                          path, s->opts->timestamp, *len != mf->size ? "size" : "checksum");
            error_hint(e, "run gpbackup_manager verify %s to check the whole set",
                       s->opts->timestamp);
            free(*text);
            *text = NULL;
        }
    }
    free(path);
    free(name);
    return e;
}

/* A column list as gpbackup writes it: "" or ("a", "b""c"), identifiers in
 * double quotes separated by ", ". Anything else could smuggle SQL into the
 * COPY statement, so it is refused. */
static bool valid_attributestring(const char *s)
{
    if (!*s)
        return true;
    if (*s++ != '(')
        return false;
    for (;;) {
        if (*s++ != '"')
            return false;
        bool empty = true;
        for (;;) {
            if (*s == '\0')
                return false;
            if (*s == '"') {
                if (s[1] != '"')
                    break;
                s++;
            }
            s++;
            empty = false;
        }
        s++; /* closing quote */
        if (empty)
            return false;
        if (*s == ')')
            return s[1] == '\0';
        if (s[0] != ',' || s[1] != ' ')
            return false;
        s += 2;
    }
}

/* A symbolic link in a set could make gprestore read a file outside it. */
static bool regular_file_in_set(const RestoreState *s, const char *name)
{
    char *path = path_join(s->set_dir, name);
    struct stat st;
    bool ok = lstat(path, &st) == 0 && S_ISREG(st.st_mode);
    free(path);
    return ok;
}

/* Every data entry names a plain file of the set, listed in the manifest
 * with the TOC's size and checksum, and a well-formed column list. */
static Error *check_segment_entry(const RestoreState *s, const TocDataEntry *d)
{
    char *want = backupset_data_file("<SEGID>", s->opts->timestamp, d->oid, s->codec);
    Error *e = NULL;
    if (strcmp(d->file, want) != 0)
        e = ERROR_NEW(ERR_FORMAT, "invalid data file name \"%s\" in the table of contents",
                      d->file);
    else if ((int)d->nsegments != s->config->segmentcount)
        e = ERROR_NEW(ERR_FORMAT, "table \"%s\" has files of %zu segments in the table of "
                                  "contents, the backup was made on %d",
                      d->name, d->nsegments, s->config->segmentcount);
    else if (!valid_attributestring(d->attributestring))
        e = ERROR_NEW(ERR_FORMAT, "invalid column list for table \"%s\" in the table of "
                                  "contents",
                      d->name);
    free(want);
    return e ? error_prefix(e, "backup %s", s->opts->timestamp) : NULL;
}

/* The format of a table's data: its own (sets of 0.4 on), else the set's. */
static DataFormat entry_format(const RestoreState *s, const TocDataEntry *d)
{
    DataFormat f = s->data_format;
    if (d->dataformat)
        data_format_parse(d->dataformat, &f); /* checked by check_data_entries */
    return f;
}

static Error *check_data_entries(const RestoreState *s)
{
    for (size_t i = 0; i < s->toc->ndata; i++) {
        const TocDataEntry *d = &s->toc->data[i];
        DataFormat f;
        if (d->dataformat && !data_format_parse(d->dataformat, &f))
            return error_hint(ERROR_NEW(ERR_FORMAT, "backup %s: unknown data format \"%s\" of "
                                                    "table \"%s\" in the table of contents",
                                        s->opts->timestamp, d->dataformat, d->name),
                              "the backup may have been written by a newer gpbackup");
        if (d->dataformat && f != DATA_FORMAT_CSV && (s->segments || s->server_side))
            return ERROR_NEW(ERR_FORMAT, "backup %s: table \"%s\" has data format %s in the "
                                         "table of contents, which the %s data path does not "
                                         "write",
                             s->opts->timestamp, d->name, d->dataformat, s->config->datapath);
        if ((d->has_offset || d->nparts) && (s->segments || s->server_side))
            return ERROR_NEW(ERR_FORMAT, "backup %s: table \"%s\" has %s in the table of "
                                         "contents, which the %s data path does not write",
                             s->opts->timestamp, d->name, d->has_offset ? "an offset" : "parts",
                             s->config->datapath);
        if (s->segments) {
            Error *se = check_segment_entry(s, d);
            if (se)
                return se;
            continue;
        }
        const ManifestFile *mf = manifest_safe_name(d->file) ? manifest_find(s->manifest, d->file)
                                                             : NULL;
        Error *e = NULL;
        if (!manifest_safe_name(d->file))
            e = ERROR_NEW(ERR_FORMAT, "invalid data file name \"%s\" in the table of contents",
                          d->file);
        else if (!mf)
            e = ERROR_NEW(ERR_FORMAT, "data file \"%s\" is not listed in the manifest", d->file);
        else if (d->has_offset ? d->filebytes > mf->size || d->offset > mf->size - d->filebytes
                               : mf->size != d->filebytes || strcmp(mf->checksum, d->checksum) != 0)
            /* A part of a shared file must lie inside it; its own checksum
             * is checked as it is read. */
            e = ERROR_NEW(ERR_FORMAT, "data file \"%s\": the table of contents and the manifest "
                                      "disagree",
                          d->file);
        else if (!regular_file_in_set(s, d->file))
            e = ERROR_NEW(ERR_FORMAT, "data file \"%s\" is not a regular file", d->file);
        else if (!valid_attributestring(d->attributestring))
            e = ERROR_NEW(ERR_FORMAT, "invalid column list for table \"%s\" in the table of "
                                      "contents",
                          d->name);
        if (e)
            return error_prefix(e, "backup %s", s->opts->timestamp);
    }
    return NULL;
}

/* Step 1: the backup set exists, is complete, is intact and is of a format
 * we read. Everything is checked before any connection is made. */
static Error *step_open_set(RestoreState *s)
{
    const char *ts = s->opts->timestamp;
    /* An MPP set made with --backup-dir has the coordinator's files under
     * <backup-dir>/<prefix>-1/backups/... */
    char *root = backupset_root(s->opts->backup_dir);
    s->set_dir = backupset_dir(root, ts);
    free(root);
    if (!file_exists(s->set_dir)) {
        Error *e = ERROR_NEW(ERR_NOT_FOUND, "backup %s not found in \"%s\"", ts,
                             s->opts->backup_dir);
        error_detail(e, "directory \"%s\" does not exist", s->set_dir);
        return error_hint(e, "check --timestamp, and give --backup-dir as it was given to gpbackup");
    }
    /* Without the completion marker the set is not whole, whatever its
     * files say; with it, the files are checked against the manifest before
     * any of them is parsed (so a damaged or unsupported config is reported
     * as such, not as an incomplete backup). */
    char *marker = backupset_file(s->set_dir, ts, "complete");
    bool has_marker = file_exists(marker);
    free(marker);
    char *reason = NULL;
    BackupSetStatus st = has_marker ? SET_COMPLETE : backupset_status(s->set_dir, ts, &reason);
    if (st == SET_COMPLETE && !has_marker)
        st = SET_INCOMPLETE;
    if (st != SET_COMPLETE) {
        Error *e = ERROR_NEW(ERR_FORMAT, "backup %s is %s", ts, backupset_status_name(st));
        if (reason)
            error_detail(e, "%s", reason);
        free(reason);
        return error_hint(e, "restore a complete backup; gpbackup_manager list-backups shows "
                             "the status of each");
    }
    free(reason);
    char *path = backupset_file(s->set_dir, ts, "manifest.yaml");
    Error *e = manifest_read(path, &s->manifest);
    free(path);
    if (e)
        return error_prefix(e, "backup %s", ts);
    char *text;
    size_t len;
    e = read_verified(s, "config.yaml", (size_t)64 << 20, &text, &len);
    if (e)
        return e;
    e = config_from_yaml(text, len, &s->config);
    free(text);
    if (e)
        return error_prefix(e, "could not read the configuration of backup %s", ts);
    if (strcmp(s->config->status, BACKUP_STATUS_SUCCESS) != 0)
        return error_detail(ERROR_NEW(ERR_FORMAT, "backup %s is %s", ts,
                                      strcmp(s->config->status, BACKUP_STATUS_FAILURE) == 0
                                          ? "failed"
                                          : "incomplete"),
                            "its configuration says \"%s\"", s->config->status);
    if (s->opts->data_only && s->config->metadataonly)
        return ERROR_NEW(ERR_USAGE, "backup %s holds no data: it was made with --metadata-only", ts);
    if (s->opts->metadata_only && s->config->dataonly)
        return ERROR_NEW(ERR_USAGE, "backup %s holds no metadata: it was made with --data-only", ts);
    if (s->opts->with_globals && s->config->withoutglobals)
        return error_hint(ERROR_NEW(ERR_USAGE, "backup %s holds no globals: it was made with %s", ts,
                                    s->config->dataonly ? "--data-only" : "--without-globals"),
                          "leave out --with-globals, or create the roles and tablespaces first");
    if (s->opts->with_stats && !s->config->withstatistics)
        return error_hint(ERROR_NEW(ERR_USAGE, "backup %s holds no statistics: it was made "
                                               "without --with-stats", ts),
                          "use --run-analyze to compute them after the restore");
    e = codec_parse(s->config->compressiontype, &s->codec);
    if (e)
        return error_prefix(e, "backup %s", ts);
    s->segments = strcmp(s->config->datapath, "segments") == 0;
    s->server_side = strcmp(s->config->datapath, "server-side") == 0;
    if (!data_format_parse(s->config->dataformat, &s->data_format))
        return error_hint(ERROR_NEW(ERR_FORMAT, "backup %s: unknown data format \"%s\" in its "
                                                "configuration",
                                    ts, s->config->dataformat),
                          "the backup may have been written by a newer gpbackup");
    if (s->data_format != DATA_FORMAT_CSV && (s->segments || s->server_side))
        return ERROR_NEW(ERR_FORMAT, "backup %s: data format %s with data path %s in its "
                                     "configuration",
                         ts, s->config->dataformat, s->config->datapath);
    if (s->segments && s->config->segmentcount <= 0)
        return ERROR_NEW(ERR_FORMAT, "backup %s: segmentcount must be positive in its "
                                     "configuration", ts);
    e = read_verified(s, "toc.yaml", (size_t)1 << 30, &text, &len);
    if (e)
        return e;
    e = toc_from_yaml(text, len, &s->toc);
    free(text);
    if (e)
        return error_prefix(e, "could not read the table of contents of backup %s", ts);
    e = check_data_entries(s);
    if (e)
        return e;
    e = read_verified(s, "metadata.sql", (size_t)1 << 34, &s->metadata, &s->metadata_len);
    if (e)
        return e;
    for (int sec = 0; sec < TOC_NSECTIONS; sec++)
        for (size_t i = 0; i < s->toc->nentries[sec]; i++)
            if (s->toc->entries[sec][i].endbyte > s->metadata_len)
                return error_detail(ERROR_NEW(ERR_FORMAT,
                                              "table of contents of backup %s points past the "
                                              "end of the metadata file",
                                              ts),
                                    "entry \"%s\" ends at byte %llu, the file has %zu bytes",
                                    s->toc->entries[sec][i].name,
                                    (unsigned long long)s->toc->entries[sec][i].endbyte,
                                    s->metadata_len);
    if (s->opts->with_stats) {
        e = read_verified(s, "statistics.sql", (size_t)1 << 34, &s->statistics,
                          &s->statistics_len);
        if (e)
            return e;
        for (size_t i = 0; i < s->toc->nstats; i++)
            if (s->toc->stats[i].endbyte > s->statistics_len)
                return error_detail(ERROR_NEW(ERR_FORMAT,
                                              "table of contents of backup %s points past the "
                                              "end of the statistics file",
                                              ts),
                                    "statistics of \"%s\" end at byte %llu, the file has %zu "
                                    "bytes",
                                    s->toc->stats[i].name,
                                    (unsigned long long)s->toc->stats[i].endbyte,
                                    s->statistics_len);
    }
    s->target_db = xstrdup(s->opts->redirect_db ? s->opts->redirect_db : s->config->databasename);
    return check_filter_names(s);
}

static Error *run_globals(RestoreState *s, Conn *c);

/* Step 2b: the server, and for a set written by the server or by MPP
 * segments, the helper and (MPP) the segments: same count, loaded on the
 * segments; another count only with --resize-cluster, through the
 * coordinator. */
static Error *step_cluster(RestoreState *s)
{
    const RestoreOptions *o = s->opts;
    Error *e = snapshot_detect_server(s->leader, &s->server);
    if (e || o->metadata_only || (!s->segments && !s->server_side))
        return e;
    bool mpp = cluster_is_mpp(&s->server);
    if (s->server_side && mpp) {
        /* A PostgreSQL set's files are in its directory here: load them
         * through the coordinator. */
        log_info("backup %s was written by a PostgreSQL server; loading its files through the "
                 "coordinator", o->timestamp);
        s->server_side = false;
        return NULL;
    }
    s->helper_path = o->helper_path ? xstrdup(o->helper_path) : options_default_helper_path();
    if (!s->helper_path)
        return error_hint(ERROR_NEW(ERR_USAGE, "could not find gpbackup_helper"),
                          "Give its path on the database hosts with --helper-path.");
    if (s->server_side)
        return NULL;
    int was = s->config->segmentcount;
    if (mpp) {
        /* The target database, as the leader's: --dbname (or PGDATABASE)
         * names only the maintenance database here. */
        e = cluster_read(&o->conn, s->target_db, s->application_name, &s->server, &s->cluster);
        if (e)
            return e;
    }
    int now = (int)s->cluster.nsegments;
    if (now != was && !o->resize_cluster)
        return error_hint(
            ERROR_NEW(ERR_USAGE, "backup %s was made on %d segments, the target %s %d", o->timestamp,
                      was, mpp ? "cluster has" : "is a PostgreSQL server, not a cluster of", now),
            "Use --resize-cluster to load each segment's files through the coordinator.");
    s->resize = now != was;
    if (s->resize) {
        if (strcmp(s->config->segmentdirs, "datadir") == 0)
            return error_hint(
                ERROR_NEW(ERR_USAGE, "--resize-cluster needs the segments' files of backup %s "
                                     "under one --backup-dir",
                          o->timestamp),
                "The backup was made without --backup-dir, so its files are in the old "
                "segments' data directories: copy them to DIR/<prefix><content>/backups/... "
                "and give --backup-dir DIR.");
        log_info("resizing: backup of %d segments onto %d; every segment's files are loaded "
                 "through the coordinator", was, now);
        return NULL;
    }
    bool datadir = strcmp(s->config->segmentdirs, "datadir") == 0;
    s->segment_dir_template = cluster_segment_dir(
        datadir ? NULL : o->backup_dir, strcmp(s->config->segmentdirs, "single") == 0,
        s->config->segmentdirprefix, "<SEGID>", "<SEG_DATA_DIR>", o->timestamp);
    return NULL;
}

/* Writing pg_statistic and pg_class is for superusers only: find out
 * before anything is restored, not after the data. */
static Error *check_superuser(Conn *c)
{
    Result *r;
    Error *e = conn_query(c, "SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = CURRENT_USER",
                          &r);
    if (e)
        return e;
    bool super = result_rows(r) == 1 && result_bool(r, 0, "rolsuper");
    result_free(r);
    if (super)
        return NULL;
    return error_hint(ERROR_NEW(ERR_USAGE, "--with-stats needs a superuser"),
                      "statistics are written into pg_statistic and pg_class, which only "
                      "superusers may change; connect as one with --username, or use "
                      "--run-analyze instead");
}

/* CREATE DATABASE with the source's encoding and locale (when the backup
 * recorded them), so that text sorts and classifies as it did. */
static char *create_database_sql(const RestoreState *s, Conn *maint, Error **err)
{
    const BackupConfig *c = s->config;
    StrBuf sb;
    sb_init(&sb);
    char *q = conn_quote_ident(maint, s->target_db);
    sb_printf(&sb, "CREATE DATABASE %s TEMPLATE template0", q);
    free(q);
    if (*c->databaseencoding) {
        char *lit = conn_quote_literal(maint, c->databaseencoding);
        sb_printf(&sb, " ENCODING %s", lit);
        free(lit);
    }
    int v = conn_server_version(maint);
    const char *provider = c->databaselocaleprovider;
    if (*provider && v >= 150000) {
        char *lit = conn_quote_literal(maint, provider);
        sb_printf(&sb, " LOCALE_PROVIDER %s", lit);
        free(lit);
    } else if (*provider && strcmp(provider, "libc") != 0) {
        *err = error_hint(ERROR_NEW(ERR_USAGE, "the backed-up database uses the %s locale "
                                               "provider, which server version %s lacks",
                                    provider, conn_server_version_str(maint)),
                          "create the database yourself and leave out --create-db");
        sb_free(&sb);
        return NULL;
    }
    if (*c->databasecollate) {
        char *lit = conn_quote_literal(maint, c->databasecollate);
        sb_printf(&sb, " LC_COLLATE %s", lit);
        free(lit);
    }
    if (*c->databasectype) {
        char *lit = conn_quote_literal(maint, c->databasectype);
        sb_printf(&sb, " LC_CTYPE %s", lit);
        free(lit);
    }
    if (*c->databaselocale && v >= 150000) {
        char *lit = conn_quote_literal(maint, c->databaselocale);
        sb_printf(&sb, " %s %s", strcmp(provider, "builtin") == 0 ? "BUILTIN_LOCALE" : "ICU_LOCALE",
                  lit);
        free(lit);
    }
    if (*c->databaseicurules && v >= 160000) {
        char *lit = conn_quote_literal(maint, c->databaseicurules);
        sb_printf(&sb, " ICU_RULES %s", lit);
        free(lit);
    }
    return sb_steal(&sb);
}

/* Step 2: the globals (--with-globals) and the target database, created
 * when asked; then the leader connection to it. With --create-db the
 * globals come first, on the maintenance connection, so that the roles the
 * database and its objects belong to exist. */
static Error *step_database(RestoreState *s)
{
    const RestoreOptions *o = s->opts;
    Error *e = NULL;
    if (o->create_db) {
        Conn *maint;
        const char *maint_db = o->conn.dbname ? NULL : "postgres";
        e = restore_connect(&o->conn, maint_db, s->application_name, s->config->databaseencoding,
                            &maint);
        if (e)
            return e;
        Result *r;
        const char *params[1] = {s->target_db};
        e = conn_query_params(maint, "SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1", 1,
                              params, &r);
        if (!e) {
            int exists = result_rows(r);
            result_free(r);
            if (exists) {
                e = ERROR_NEW(ERR_USAGE, "database \"%s\" already exists", s->target_db);
                error_hint(e, "drop it first, restore into another name with --redirect-db, or "
                              "leave out --create-db to restore into it");
            }
        }
        if (!e && o->with_stats)
            e = check_superuser(maint);
        if (!e && o->with_globals)
            e = run_globals(s, maint);
        if (!e && s->first_error) {
            e = s->first_error;
            s->first_error = NULL;
        }
        char *sql = NULL;
        if (!e)
            sql = create_database_sql(s, maint, &e);
        if (!e) {
            e = conn_exec(maint, sql);
            if (e && (strcmp(e->sqlstate, "22023") == 0 || strcmp(e->sqlstate, "42809") == 0))
                error_hint(e, "the backup's locale (see its configuration file) must exist on "
                              "the target server; or create the database yourself and leave out "
                              "--create-db");
            if (!e)
                log_info("created database \"%s\"", s->target_db);
        }
        free(sql);
        conn_close(maint);
        if (e)
            return e;
    }
    e = restore_connect(&o->conn, s->target_db, s->application_name, s->config->databaseencoding,
                        &s->leader);
    /* As pg_dump does: function bodies may use objects created later. */
    if (!e)
        e = conn_exec(s->leader, "SET check_function_bodies = off");
    if (!e && o->with_stats && !o->create_db)
        e = check_superuser(s->leader);
    if (!e && o->with_globals && !o->create_db)
        e = run_globals(s, s->leader);
    if (!e && s->first_error) {
        e = s->first_error;
        s->first_error = NULL;
    }
    return e;
}

/* Does the filter keep this metadata entry? An object that belongs to a
 * table goes with the table. */
static bool entry_kept(const Filter *f, const TocEntry *e)
{
    if (e->referenceobject && *e->referenceobject) {
        char *schema, *table;
        Error *err = filter_parse_table_name(e->referenceobject, &schema, &table);
        if (err) {
            error_free(err);
            return filter_keeps_schema(f, e->schema);
        }
        bool keep = filter_keeps_table(f, schema, table);
        free(schema);
        free(table);
        return keep;
    }
    if (is_relation_entry(e->objecttype))
        return filter_keeps_table(f, e->schema, e->name);
    if (strcmp(e->objecttype, "SCHEMA") == 0)
        return filter_keeps_schema(f, e->name);
    /* As in the backup: types go with their schema (tables named by
     * --include-table may use them), free-standing sequences only when no
     * table was named. */
    if (strncmp(e->objecttype, "SEQUENCE", 8) == 0)
        return filter_keeps_schema(f, e->schema) && !filter_has_table_includes(f);
    return filter_keeps_schema(f, e->schema);
}

static char *entry_sql(const RestoreState *s, const TocEntry *e)
{
    return xstrndup(s->metadata + e->startbyte, (size_t)(e->endbyte - e->startbyte));
}

static char *entry_label(const TocEntry *e)
{
    char *n = filter_format_table_name(e->schema, e->name);
    char *l = xasprintf("%s %s", e->objecttype, n);
    free(n);
    return l;
}

/* A failed statement: with --on-error-continue a warning and a line in the
 * error file; otherwise the error that ends the run. Returns false to stop. */
static bool statement_failed(RestoreState *s, const TocEntry *entry, Error *err)
{
    char *label = entry_label(entry);
    error_prefix(err, "could not restore %s", label);
    free(label);
    if (s->opts->on_error_continue) {
        log_error(LOG_WARNING, err);
        const char *table = *entry->referenceobject ? entry->referenceobject : NULL;
        char *n = table ? xstrdup(table) : filter_format_table_name(entry->schema, entry->name);
        if (!strlist_contains(&s->error_tables_metadata, n))
            strlist_push(&s->error_tables_metadata, n);
        free(n);
        error_free(err);
        return true;
    }
    if (!s->first_error)
        s->first_error = err;
    else
        error_free(err);
    return false;
}

/* --- globals ----------------------------------------------------------- */

/* The hash out of "ALTER ROLE <ident> PASSWORD <literal>;" as gpbackup
 * writes it (the literal as PQescapeLiteral makes it: '...' with '' for a
 * quote, or E'...' with \\ for a backslash). NULL when the text is not of
 * that form. Caller owns. */
static char *password_of(const char *sql)
{
    const char *p = sql;
    if (strncmp(p, "ALTER ROLE ", 11) != 0)
        return NULL;
    p += 11;
    if (*p == '"') {
        for (p++; *p && !(*p == '"' && p[1] != '"'); p += *p == '"' ? 2 : 1)
            ;
        if (!*p)
            return NULL;
        p++;
    } else {
        while (*p && *p != ' ')
            p++;
    }
    if (strncmp(p, " PASSWORD ", 10) != 0)
        return NULL;
    p += 10;
    while (*p == ' ')
        p++;
    bool escapes = false;
    if (*p == 'E') {
        escapes = true;
        p++;
    }
    if (*p++ != '\'')
        return NULL;
    StrBuf sb;
    sb_init(&sb);
    for (;;) {
        if (!*p) {
            sb_free(&sb);
            return NULL;
        }
        if (*p == '\'' && p[1] == '\'') {
            sb_append(&sb, "'");
            p += 2;
        } else if (*p == '\'') {
            p++;
            break;
        } else if (escapes && *p == '\\' && p[1]) {
            sb_append_len(&sb, p + 1, 1);
            p += 2;
        } else {
            sb_append_len(&sb, p, 1);
            p++;
        }
    }
    if (*p != ';') {
        sb_free(&sb);
        return NULL;
    }
    if (!sb.data)
        sb_append(&sb, "");
    return sb_steal(&sb);
}

/* Set a role's password without its hash in any statement text, so that
 * no log line of ours (--debug logs every statement) can show it: the name
 * and the hash travel as query parameters into session settings that a DO
 * block reads. */
static Error *restore_password(Conn *c, const TocEntry *entry, const char *sql)
{
    char *hash = password_of(sql);
    if (!hash)
        return ERROR_NEW(ERR_FORMAT, "the password entry of role \"%s\" is not of the form "
                                     "gpbackup writes",
                         entry->name);
    const char *params[2] = {entry->name, hash};
    Result *r = NULL;
    Error *e = conn_query_params(c,
                                 "SELECT pg_catalog.set_config('gprestore.role_name', $1, false), "
                                 "       pg_catalog.set_config('gprestore.role_password', $2, false)",
                                 2, params, &r);
    result_free(r);
    if (!e)
        e = conn_exec(c, "DO $$BEGIN EXECUTE pg_catalog.format('ALTER ROLE %I PASSWORD %L', "
                         "pg_catalog.current_setting('gprestore.role_name'), "
                         "pg_catalog.current_setting('gprestore.role_password')); END$$");
    Error *reset = conn_exec(c, "RESET gprestore.role_name; RESET gprestore.role_password");
    if (!e)
        e = reset;
    else
        error_free(reset);
    memset(hash, 0, strlen(hash));
    free(hash);
    return e;
}

/* Replay the global entries on c, in order. The role gprestore connects as
 * is left as it is (its attributes and password are the target's
 * business); an existing tablespace is kept. */
static Error *run_globals(RestoreState *s, Conn *c)
{
    Result *r;
    Error *e = conn_query(c, "SELECT CURRENT_USER AS u", &r);
    if (e)
        return e;
    char *self = xstrdup(result_str(r, 0, "u"));
    result_free(r);
    size_t n = s->toc->nentries[TOC_GLOBAL];
    log_info("restoring %zu global objects (roles, memberships, tablespaces, settings)", n);
    for (size_t i = 0; i < n && !s->first_error; i++) {
        const TocEntry *entry = &s->toc->entries[TOC_GLOBAL][i];
        if (conn_stop_requested()) {
            e = ERROR_NEW(ERR_CANCELED, "restore canceled");
            break;
        }
        bool password = strcmp(entry->objecttype, "ROLE PASSWORD") == 0;
        if ((password || strcmp(entry->objecttype, "ROLE") == 0) &&
            strcmp(entry->name, self) == 0) {
            log_verbose("role \"%s\" is the one gprestore connects as: left as it is", self);
            continue;
        }
        char *sql = entry_sql(s, entry);
        Error *err = password ? restore_password(c, entry, sql) : conn_exec(c, sql);
        free(sql);
        s->statements_run++;
        if (err && strcmp(entry->objecttype, "TABLESPACE") == 0) {
            if (strcmp(err->sqlstate, "42710") == 0) {
                log_info("tablespace \"%s\" already exists: kept", entry->name);
                error_free(err);
                err = NULL;
            } else {
                error_hint(err, "the tablespace's directory must exist on the database server, "
                                "be empty and belong to the server's operating system user");
            }
        }
        if (!err) {
            s->globals_restored++;
            continue;
        }
        if (!statement_failed(s, entry, err))
            break;
    }
    free(self);
    return e;
}

/* The database's own properties (owner, comment, settings, privileges,
 * its roles' settings), last: a setting such as default_transaction_read_only
 * must not reach the sessions that restore. Filters do not apply: they
 * select objects in the database, not the database. */
static const char *const database_types[] = {"DATABASE METADATA", "DATABASE GUCS",
                                             "DATABASE ROLE GUCS", NULL};

/* "schema<US>name": the key of a table in created_tables. */
typedef struct StrKeyIndex {
    char *key;
    size_t index;
} StrKeyIndex;

static char *table_key(const char *schema, const char *name)
{
    return xasprintf("%s\x1f%s", schema, name);
}

static int key_order(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Was this table created by this restore's pre-data (so it is empty)?
 * created_tables is sorted before the data phase and only read there. */
static bool created_here(const RestoreState *s, const char *schema, const char *name)
{
    if (s->created_tables.n == 0)
        return false;
    char *key = table_key(schema, name);
    bool found = bsearch(&key, s->created_tables.items, s->created_tables.n, sizeof(char *),
                         key_order) != NULL;
    free(key);
    return found;
}

static Error *run_database_entries(RestoreState *s)
{
    for (size_t i = 0; i < s->toc->nentries[TOC_PREDATA] && !s->first_error; i++) {
        const TocEntry *entry = &s->toc->entries[TOC_PREDATA][i];
        bool match = false;
        for (int k = 0; database_types[k] && !match; k++)
            match = strcmp(database_types[k], entry->objecttype) == 0;
        if (!match)
            continue;
        if (conn_stop_requested())
            return ERROR_NEW(ERR_CANCELED, "restore canceled");
        char *sql = entry_sql(s, entry);
        Error *err = conn_exec(s->leader, sql);
        free(sql);
        s->statements_run++;
        if (err && !statement_failed(s, entry, err))
            break;
    }
    return NULL;
}

/* The highest dumpid of a section's entries. */
static uint32_t max_dumpid(const RestoreState *s, TocSection sec)
{
    uint32_t maxid = 0;
    for (size_t i = 0; i < s->toc->nentries[sec]; i++)
        if (s->toc->entries[sec][i].dumpid > maxid)
            maxid = s->toc->entries[sec][i].dumpid;
    return maxid;
}

/* A table created by this restore's pre-data: its data is loaded with
 * TRUNCATE + COPY FREEZE (created_here). */
static void record_created(RestoreState *s, const TocEntry *e)
{
    if (strcmp(e->objecttype, "TABLE") != 0)
        return;
    char *key = table_key(e->schema, e->name);
    strlist_push(&s->created_tables, key);
    free(key);
}

typedef struct StatementCtx {
    RestoreState *s;
} StatementCtx;

static Error *run_statement(Conn *c, void *item, void *ctx)
{
    StatementCtx *sc = ctx;
    const TocEntry *e = item;
    char *sql = entry_sql(sc->s, e);
    Error *err = conn_exec(c, sql);
    free(sql);
    return err;
}

static bool statement_done(void *item, Error *err, void *ctx)
{
    StatementCtx *sc = ctx;
    sc->s->statements_run++;
    if (!err) {
        record_created(sc->s, item);
        return true;
    }
    return statement_failed(sc->s, item, err);
}

/* Can this pre-data entry run on a worker beside the TABLE entries around
 * it? Only a TABLE that depends on no relation entry (no parent, no
 * partitioned table, no other table's row type: those take locks on each
 * other and must run in order), and whose name cannot meet another table's
 * generated array type name: PostgreSQL names a table t's array type _t
 * (cut to 63 bytes), and moves a committed one out of the way of a later
 * table called _t, but two transactions creating them at once would both
 * take the name and one would fail. Nor a table with a PARTITION BY
 * clause: on Greenplum before 7 that clause creates the partitions too,
 * under generated names (and array type names) that the rule above does
 * not see. rel_ids: the dumpids of relation entries, up to maxid. */
static bool parallel_table(const RestoreState *s, const TocEntry *e, const bool *rel_ids,
                           uint32_t maxid)
{
    if (strcmp(e->objecttype, "TABLE") != 0 || e->name[0] == '_' || strlen(e->name) >= 62)
        return false;
    if (memmem(s->metadata + e->startbyte, (size_t)(e->endbyte - e->startbyte), "PARTITION BY", 12))
        return false;
    for (size_t k = 0; k < e->ndependencies; k++)
        if (e->dependencies[k] <= maxid && rel_ids[e->dependencies[k]])
            return false;
    return true;
}

/* Run the kept entries of a section whose type is (exclude: is not) in
 * types, or every kept entry when types is NULL, in the order listed, on
 * the leader. With a pool, the TABLE entries that parallel_table allows are
 * run on its workers, each run of them listed one after the other at once
 * (pg_restore creates them one by one; 10,000 tables take it 10 s on one
 * connection), each run done before the next entry starts. */
static Error *run_serial(RestoreState *s, TocSection sec, const char *const *types, bool exclude,
                         Pool *pool)
{
    size_t total = s->toc->nentries[sec];
    uint32_t maxid = 0;
    bool *rel_ids = NULL;
    void **batch = NULL;
    size_t nbatch = 0;
    /* Without dependencies (a set from a version that did not write them)
     * nothing tells a child from an independent table: all in order. */
    for (size_t i = 0; pool && i < total; i++)
        if (!s->toc->entries[sec][i].dumpid)
            pool = NULL;
    if (pool) {
        maxid = max_dumpid(s, sec);
        rel_ids = xcalloc((size_t)maxid + 1, sizeof(bool));
        for (size_t i = 0; i < total; i++)
            if (is_relation_entry(s->toc->entries[sec][i].objecttype))
                rel_ids[s->toc->entries[sec][i].dumpid] = true;
        batch = xcalloc(total + 1, sizeof(void *));
    }
    StatementCtx sc = {s};
    Error *result = NULL;
    for (size_t i = 0; i <= total && !s->first_error; i++) {
        TocEntry *e = i < total ? &s->toc->entries[sec][i] : NULL;
        if (e) {
            bool match = !types;
            for (int k = 0; types && types[k] && !match; k++)
                match = strcmp(types[k], e->objecttype) == 0;
            if (types && exclude)
                match = !match;
            if (!match || !entry_kept(&s->opts->filter, e))
                continue;
            if (pool && parallel_table(s, e, rel_ids, maxid)) {
                batch[nbatch++] = e;
                continue;
            }
        }
        if (nbatch && conn_stop_requested()) {
            result = ERROR_NEW(ERR_CANCELED, "restore canceled");
            break;
        }
        if (nbatch > 1) {
            pool_run(pool, batch, nbatch, run_statement, statement_done, &sc, "tables created", NULL);
        } else if (nbatch == 1 && !statement_done(batch[0], run_statement(s->leader, batch[0], &sc), &sc)) {
            break;
        }
        nbatch = 0;
        if (!e || s->first_error)
            break;
        if (conn_stop_requested()) {
            result = ERROR_NEW(ERR_CANCELED, "restore canceled");
            break;
        }
        if (!statement_done(e, run_statement(s->leader, e, &sc), &sc))
            break;
    }
    if (!result && !s->first_error && conn_stop_requested())
        result = ERROR_NEW(ERR_CANCELED, "restore canceled");
    free(rel_ids);
    free(batch);
    return result;
}

/* --- post-data in parallel -------------------------------------------- */

static bool type_in(const char *const *types, const char *t)
{
    for (int k = 0; types[k]; k++)
        if (strcmp(types[k], t) == 0)
            return true;
    return false;
}

/* What entry e waits for in a graph: the graph indexes of its dependencies
 * among the entries placed so far (by_id: graph index + 1 by dumpid, 0 for
 * an entry not in the graph), in a new array with room for `extra` more;
 * *n is set to their number. Dependencies outside the graph were met
 * before it runs. */
static size_t *entry_waits(const TocEntry *e, const size_t *by_id, uint32_t maxid, size_t extra,
                           size_t *n)
{
    size_t *w = xcalloc(e->ndependencies + extra + 1, sizeof(size_t));
    *n = 0;
    for (size_t d = 0; d < e->ndependencies; d++) {
        uint32_t id = e->dependencies[d];
        if (id <= maxid && by_id[id])
            w[(*n)++] = by_id[id] - 1;
    }
    return w;
}

/* Run the kept post-data entries whose type is (or, with exclude, is not)
 * in types, in parallel as their dependencies allow: each starts once the
 * entries of this run it depends on are done. The TOC lists entries after
 * their dependencies, so one pass finds them. */
static Error *run_graph(RestoreState *s, Pool *pool, const char *const *types, bool exclude,
                        const char *what)
{
    TocSection sec = TOC_POSTDATA;
    size_t total = s->toc->nentries[sec];
    uint32_t maxid = max_dumpid(s, sec);
    size_t *by_id = xcalloc((size_t)maxid + 1, sizeof *by_id);
    void **items = xcalloc(total + 1, sizeof *items);
    size_t **waits = xcalloc(total + 1, sizeof *waits);
    size_t *nwaits = xcalloc(total + 1, sizeof *nwaits);
    size_t n = 0;
    for (size_t i = 0; i < total; i++) {
        TocEntry *e = &s->toc->entries[sec][i];
        if (type_in(types, e->objecttype) == exclude || !entry_kept(&s->opts->filter, e))
            continue;
        waits[n] = entry_waits(e, by_id, maxid, 0, &nwaits[n]);
        items[n] = e;
        if (e->dumpid)
            by_id[e->dumpid] = n + 1;
        n++;
    }
    StatementCtx sc = {s};
    if (n && !conn_stop_requested())
        pool_run_graph(pool, items, n, (const size_t *const *)waits, nwaits, run_statement,
                       statement_done, &sc, what, NULL);
    for (size_t i = 0; i < n; i++)
        free(waits[i]);
    free(waits);
    free(nwaits);
    free(items);
    free(by_id);
    return NULL;
}

/* --- data ------------------------------------------------------------- */

typedef struct LoadSource {
    CodecReader *reader;
    uint64_t filebytes;         /* what the backup recorded of the file */
    const char *checksum;
    const char *path;
    PackCoder *unpack;          /* packed data: the decoder */
    Conn *conn;                 /* where the decoder sends what it decoded */
} LoadSource;

/* At the end of the file, before COPY is ended (and so before the commit),
 * the file's checksum must be the one the backup recorded: a damaged file
 * makes the server abort the COPY and no row of it is kept. */
static Error *check_whole_file(const LoadSource *ls)
{
    char hex[CHECKSUM_HEX_LEN + 1];
    uint64_t bytes;
    codec_reader_checksum(ls->reader, hex, &bytes);
    if (bytes != ls->filebytes || strcmp(hex, ls->checksum) != 0)
        return error_hint(ERROR_NEW(ERR_DATA, "data file \"%s\" is damaged: its %s differs from "
                                              "the backup's record",
                                    ls->path, bytes != ls->filebytes ? "size" : "checksum"),
                          "run gpbackup_manager verify to check the whole backup set");
    return NULL;
}

static Error *load_source(void *ctx, char *buf, size_t cap, size_t *n)
{
    LoadSource *ls = ctx;
    Error *e = codec_reader_read(ls->reader, buf, cap, n);
    if (e || *n > 0)
        return e;
    return check_whole_file(ls);
}

static Error *send_unpacked(void *ctx, const char *data, size_t len)
{
    LoadSource *ls = ctx;
    return conn_copy_put(ls->conn, data, len);
}

/* Packed data: the file's bytes through the decoder, whose output buffer
 * goes to the server as it fills. The whole file is checked before the
 * decoder's last piece is sent. */
static Error *produce_unpacked(void *ctx, Conn *c)
{
    LoadSource *ls = ctx;
    ls->conn = c;
    size_t cap = 256 * 1024;
    char *buf = xmalloc(cap);
    Error *e;
    for (;;) {
        size_t got = 0;
        e = codec_reader_read(ls->reader, buf, cap, &got);
        if (e)
            break;
        if (!got) {
            e = check_whole_file(ls);
            if (!e)
                e = pack_finish(ls->unpack);
            break;
        }
        if ((e = pack_write(ls->unpack, buf, got)))
            break;
    }
    free(buf);
    if (e && e->code == ERR_FORMAT)
        e = error_prefix(e, "data file \"%s\"", ls->path);
    return e;
}

static void load_source_close(LoadSource *ls)
{
    codec_reader_close(ls->reader);
    pack_free(ls->unpack);
}

/* The helper's error files of a failed load (errpath_tmpl with the server's
 * placeholders resolved per segment), read back through the server and
 * added to e's detail. The transaction must be back at its savepoint. */
static Error *helper_errors(Conn *c, const RestoreState *s, const char *errpath_tmpl, Error *e)
{
    size_t n = s->segments ? s->cluster.nsegments + 1 : 1;
    char **paths = xcalloc(n + 1, sizeof *paths);
    for (size_t k = 0; k < n; k++) {
        char content[16];
        snprintf(content, sizeof content, "%d", (int)k - 1);
        const char *datadir = k == 0 ? s->cluster.coordinator.datadir
                                     : s->cluster.segments[k - 1].datadir;
        char *p1 = str_replace_all(errpath_tmpl, "<SEGID>", content);
        paths[k] = str_replace_all(p1, "<SEG_DATA_DIR>", datadir ? datadir : "");
        free(p1);
    }
    e = cluster_add_helper_errors(c, &s->server, s->helper_path, (const char *const *)paths, n,
                                  e);
    for (size_t k = 0; k < n; k++)
        free(paths[k]);
    free(paths);
    return e;
}

/* --server-side and MPP sets: the server (every segment) runs
 * gpbackup_helper, which checks the file's checksum at its end and fails
 * the COPY, so the transaction, when it does not match. */
static Error *load_on_server(Conn *c, const RestoreState *s, const TocDataEntry *d,
                             const char *q, bool freeze, uint64_t *rows)
{
    bool mpp = s->segments;
    char *path = mpp ? xasprintf("%s/%s", s->segment_dir_template, d->file)
                     : path_join(s->set_dir, d->file);
    size_t n = mpp ? d->nsegments : 1;
    int *contents = xcalloc(n + 1, sizeof *contents);
    char **sums = xcalloc(n + 1, sizeof *sums);
    for (size_t k = 0; k < n; k++) {
        contents[k] = mpp ? d->segments[k].content : -1;
        sums[k] = mpp ? xstrdup(d->segments[k].checksum) : xstrdup(d->checksum);
    }
    /* Next to the data, under a name gpbackup_manager verify knows to be
     * gprestore's own. */
    char *errpath = xasprintf("%s/gprestore_%s_%s_helper_%s_%u.err",
                              mpp ? s->segment_dir_template : s->set_dir, s->opts->timestamp,
                              s->restore_ts, mpp ? "<SEGID>" : "-1", d->oid);
    char *prog = helper_restore_command(s->helper_path, path, s->codec, mpp ? "<SEGID>" : "-1",
                                        contents, sums, n, errpath);
    char *lit = conn_quote_literal(c, prog);
    char *sql = mpp ? cluster_copy_from_sql(&s->server, q, d->attributestring, lit, true)
                    : xasprintf("COPY %s %s FROM PROGRAM %s WITH (FORMAT csv%s)", q,
                                d->attributestring, lit, freeze ? ", FREEZE" : "");
    /* load_table set the savepoint before its TRUNCATE: FREEZE needs the
     * truncation in the COPY's own subtransaction. */
    Error *e = conn_exec_count(c, sql, rows);
    if (e && strcmp(e->sqlstate, "42501") == 0)
        e = error_hint(e, "loading a set written with --server-side needs a superuser, or a "
                          "role with pg_execute_server_program and pg_read_server_files");
    else if (e && !conn_stop_requested()) {
        Error *re = conn_exec(c, "ROLLBACK TO SAVEPOINT gprestore_copy");
        if (re)
            error_free(re);
        else
            e = helper_errors(c, s, errpath, e);
        e = error_hint(e,
                       "gpbackup_helper must be installed at %s on every database host, and "
                       "the backup's files readable by the server's operating system user",
                       s->helper_path);
    }
    free(sql);
    free(lit);
    free(prog);
    free(errpath);
    for (size_t k = 0; k < n; k++)
        free(sums[k]);
    free(sums);
    free(contents);
    free(path);
    return e;
}

/* A table's data in the graph: the whole table, or one part of a table
 * whose parts load on several connections at once (TocPart). */
typedef struct PartGroup {
    size_t left;             /* parts not finished yet */
    bool failed;             /* a part failed: the others are emptied again */
    uint64_t rows;           /* rows of the parts loaded */
} PartGroup;

typedef struct DataItem {
    const TocDataEntry *d;
    int part;                /* -1: the whole table */
    PartGroup *group;        /* the table's parts, or NULL */
} DataItem;

/* COPY of the bytes [offset, offset + length) of the table's file (all of
 * it when whole) into the table, their size and checksum checked at their
 * end before COPY ends. */
static Error *copy_range(Conn *c, const RestoreState *s, const TocDataEntry *d, const char *q,
                         const char *path, bool whole, uint64_t offset, uint64_t length,
                         const char *checksum, bool freeze, uint64_t *rows)
{
    LoadSource ls = {0};
    ls.filebytes = length;
    ls.checksum = checksum;
    ls.path = path;
    Error *e = whole ? codec_reader_open(path, s->codec, &ls.reader)
                     : codec_reader_open_range(path, s->codec, offset, length, &ls.reader);
    if (e)
        return e;
    DataFormat f = entry_format(s, d);
    char *sql = xasprintf("COPY %s %s FROM STDIN WITH (FORMAT %s%s)", q, d->attributestring,
                          f == DATA_FORMAT_CSV ? "csv" : "binary", freeze ? ", FREEZE" : "");
    if (f == DATA_FORMAT_PACKED) {
        ls.unpack = pack_decoder_new(send_unpacked, &ls);
        e = conn_copy_in_from(c, sql, produce_unpacked, &ls, rows);
    } else {
        e = conn_copy_in(c, sql, load_source, &ls, rows);
    }
    free(sql);
    /* The binary form of a value does not fit the column it is loaded
     * into: 22P03 invalid_binary_representation when it is too long,
     * 08P01 ("insufficient data left in message") when too short. */
    if (e && f != DATA_FORMAT_CSV &&
        (strcmp(e->sqlstate, "22P03") == 0 || strcmp(e->sqlstate, "08P01") == 0))
        e = error_hint(e, "the table's data is in binary format, which loads only into "
                          "columns of the backup's types: let gprestore create the table, "
                          "or take the backup with --data-format csv");
    load_source_close(&ls);
    return e;
}

/* --resize-cluster: every segment's file of the backup goes through the
 * coordinator (COPY FROM STDIN), which sends each row to the segment its
 * distribution key picks, so nothing is placed twice. A replicated table is
 * loaded once, from segment 0's copy. */
static Error *load_resized(Conn *c, const RestoreState *s, const TocDataEntry *d, const char *q,
                           uint64_t *rows)
{
    size_t n = d->isreplicated ? 1 : d->nsegments;
    Error *e = NULL;
    *rows = 0;
    for (size_t k = 0; k < n && !e; k++) {
        char *path = cluster_segment_file_under(s->opts->backup_dir, s->config->segmentdirs,
                                                s->config->segmentdirprefix,
                                                d->segments[k].content, s->opts->timestamp,
                                                d->oid, s->codec);
        uint64_t r = 0;
        e = copy_range(c, s, d, q, path, true, 0, d->segments[k].filebytes,
                       d->segments[k].checksum, false, &r);
        *rows += r;
        free(path);
    }
    return e;
}

/* The least data (COPY's bytes) for which load_table truncates a table it
 * created, so that COPY can freeze its rows. */
#define FREEZE_MIN_BYTES ((uint64_t)1 << 20)

static Error *load_table(Conn *c, void *item, void *ctx)
{
    RestoreState *s = ((StatementCtx *)ctx)->s;
    const DataItem *di = item;
    const TocDataEntry *d = di->d;
    char *q = conn_quote_qualified(c, d->schema, d->name);
    if (!d->file || !*d->file || strchr(d->file, '/')) {
        Error *e = ERROR_NEW(ERR_FORMAT, "invalid data file name for table %s in the table of "
                                         "contents", q);
        free(q);
        return e;
    }
    char *path = path_join(s->set_dir, d->file);
    bool local = !s->server_side && !s->segments;
    /* When this restore created the table, it is empty: truncating it in
     * the loading transaction lets COPY write frozen rows (FREEZE), which
     * spares the server the hint-bit writes and the anti-wraparound vacuum
     * of every loaded page later. ONLY, so that an inheritance parent does
     * not empty its children. With --data-only the table holds the user's
     * rows and is left alone. Not on MPP clusters, whose append-optimized
     * tables take no FREEZE. Not for a table of less than FREEZE_MIN_BYTES
     * of data either: the TRUNCATE gives the table and its TOAST table new
     * files and drops the old ones at the commit, which for a few pages
     * costs more than the hint bits it spares (10,000 tables of 10 rows
     * restore in about 0.7 of the time without it). */
    bool freeze = created_here(s, d->schema, d->name) && !cluster_is_mpp(&s->server) &&
                  d->rawbytes >= FREEZE_MIN_BYTES;
    /* A part shares the table with the others loading at the same time:
     * a TRUNCATE would wait for them, and their rows are not frozen. */
    if (di->part >= 0)
        freeze = false;
    Error *e = conn_execf(c, "BEGIN%s%s%s", local || s->resize ? "" : "; SAVEPOINT gprestore_copy",
                          freeze ? "; TRUNCATE ONLY " : "", freeze ? q : "");
    uint64_t rows = 0;
    uint64_t expected = d->rowscopied;
    if (!e && s->resize) {
        e = load_resized(c, s, d, q, &rows);
        if (d->isreplicated && d->nsegments)
            expected = d->segments[0].rows;
    } else if (!e && !local) {
        e = load_on_server(c, s, d, q, freeze, &rows);
    } else if (!e && di->part >= 0) {
        const TocPart *p = &d->parts[di->part];
        e = copy_range(c, s, d, q, path, false, p->offset, p->filebytes, p->checksum, false,
                       &rows);
        expected = p->rows;
    } else if (!e && d->nparts) {
        /* All parts in this transaction, one COPY each. */
        for (size_t k = 0; k < d->nparts && !e; k++) {
            const TocPart *p = &d->parts[k];
            uint64_t r = 0;
            e = copy_range(c, s, d, q, path, false, p->offset, p->filebytes, p->checksum, freeze,
                           &r);
            rows += r;
        }
    } else if (!e) {
        e = copy_range(c, s, d, q, path, !d->has_offset, d->offset, d->filebytes, d->checksum,
                       freeze, &rows);
    }
    /* The row count is checked before the commit: a short or damaged file
     * (or part) is never committed. A table loaded in parts on several
     * connections is emptied again when one fails (finish_parts), with
     * --on-error-continue; otherwise the restore stops, failed. */
    if (!e && rows != expected)
        e = error_detail(ERROR_NEW(ERR_DATA, "row count mismatch"),
                         "loaded %llu rows, the backup holds %llu",
                         (unsigned long long)rows, (unsigned long long)expected);
    if (!e)
        e = conn_exec(c, "COMMIT");
    if (e) {
        error_free(conn_exec(c, "ROLLBACK"));
        if (di->part >= 0)
            error_prefix(e, "could not restore part %d of %zu of the data of table %s",
                         di->part + 1, d->nparts, q);
        else
            error_prefix(e, "could not restore data of table %s", q);
    } else if (di->part >= 0) {
        log_verbose("table %s, part %d of %zu: %llu rows", q, di->part + 1, d->nparts,
                    (unsigned long long)rows);
    } else {
        log_verbose("table %s: %llu rows", q, (unsigned long long)rows);
    }
    free(path);
    free(q);
    return e;
}

/* Once every part of a table is done: when one failed, the rows that the
 * others committed are removed, so that the table is not left partly
 * loaded. */
static Error *finish_parts(Conn *c, void *item, void *ctx)
{
    (void)ctx;
    const DataItem *di = item;
    if (!di->group->failed)
        return NULL;
    char *q = conn_quote_qualified(c, di->d->schema, di->d->name);
    Error *e = conn_execf(c, "TRUNCATE ONLY %s", q);
    if (e)
        error_prefix(e, "could not empty table %s after a part of its data failed to load", q);
    free(q);
    return e;
}

static bool load_done(void *item, Error *err, void *ctx)
{
    RestoreState *s = ((StatementCtx *)ctx)->s;
    const DataItem *di = item;
    const TocDataEntry *d = di->d;
    if (di->group) {
        /* A part: the table is counted once all its parts are in. */
        di->group->left--;
        if (err)
            di->group->failed = true;
        else
            di->group->rows += d->parts[di->part].rows;
        if (!err) {
            if (!di->group->left && !di->group->failed) {
                s->tables_restored++;
                s->rows_restored += di->group->rows;
            }
            return true;
        }
    }
    if (!err) {
        s->tables_restored++;
        s->rows_restored += d->rowscopied;
        return true;
    }
    if (s->opts->on_error_continue) {
        log_error(LOG_WARNING, err);
        char *n = filter_format_table_name(d->schema, d->name);
        if (!strlist_contains(&s->error_tables_data, n))
            strlist_push(&s->error_tables_data, n);
        free(n);
        error_free(err);
        return true;
    }
    if (!s->first_error)
        s->first_error = err;
    else
        error_free(err);
    return false;
}

static int data_order(const void *a, const void *b)
{
    const TocDataEntry *x = *(TocDataEntry *const *)a, *y = *(TocDataEntry *const *)b;
    return x->rawbytes > y->rawbytes ? -1 : x->rawbytes < y->rawbytes;
}

/* Run fn on the pool for every data entry the filters keep, largest first
 * (as in the backup), progress weighted by size; logs "<verb> N tables"
 * first. */
/* The data entries the filters keep, largest first; *n of them. */
static TocDataEntry **kept_tables(const RestoreState *s, size_t *n)
{
    TocDataEntry **items = xcalloc(s->toc->ndata + 1, sizeof *items);
    *n = 0;
    for (size_t i = 0; i < s->toc->ndata; i++)
        if (filter_keeps_table(&s->opts->filter, s->toc->data[i].schema, s->toc->data[i].name))
            items[(*n)++] = &s->toc->data[i];
    qsort(items, *n, sizeof *items, data_order);
    return items;
}

static void run_on_tables(RestoreState *s, Pool *pool, PoolTaskFn fn, PoolDoneFn done,
                          const char *verb, const char *what)
{
    size_t n;
    TocDataEntry **kept = kept_tables(s, &n);
    void **items = xcalloc(n + 1, sizeof *items);
    for (size_t i = 0; i < n; i++)
        items[i] = kept[i];
    free(kept);
    unsigned long long *weights = xcalloc(n + 1, sizeof *weights);
    for (size_t i = 0; i < n; i++)
        weights[i] = ((TocDataEntry *)items[i])->rawbytes;
    log_info("%s %zu tables", verb, n);
    StatementCtx sc = {s};
    pool_run(pool, items, n, fn, done, &sc, what, weights);
    free(weights);
    free(items);
}

/* --- data and post-data as one graph ---------------------------------- */

/* How many kept post-data entries have (exclude: have not) one of types. */
static size_t count_kept(const RestoreState *s, const char *const *types, bool exclude)
{
    size_t n = 0;
    for (size_t i = 0; i < s->toc->nentries[TOC_POSTDATA]; i++) {
        const TocEntry *e = &s->toc->entries[TOC_POSTDATA][i];
        if (type_in(types, e->objecttype) != exclude && entry_kept(&s->opts->filter, e))
            n++;
    }
    return n;
}

static const char *const seq_set_types[] = {"SEQUENCE SET", NULL};
/* Post-data runs in four phases, each in parallel as dependencies allow:
 * everything but the kinds below, with the data (step_data_and_post);
 * index attachments, which complete
 * the unique indexes of partitioned tables that foreign keys may reference;
 * foreign keys; the data of materialized views, once all they read is
 * there. */
static const char *const post_later_types[] = {"SEQUENCE SET", "INDEX ATTACH", "FK CONSTRAINT",
                                               "MATERIALIZED VIEW DATA", "EVENT TRIGGER", NULL};
/* Event triggers last of all, as pg_restore does: one that fires on DDL
 * (or forbids it) must not see the restore's own statements. */
static const char *const event_trigger_types[] = {"EVENT TRIGGER", NULL};
static const char *const index_attach_types[] = {"INDEX ATTACH", NULL};
static const char *const fk_types[] = {"FK CONSTRAINT", NULL};
static const char *const matview_data_types[] = {"MATERIALIZED VIEW DATA", NULL};


/* Post-data objects that only read their own table start as soon as its
 * data is loaded, while other tables still load (as pg_restore does); the
 * rest of the first post-data phase waits for all the data. */
static const char *const post_with_table_types[] = {"INDEX", "CONSTRAINT", NULL};

enum { ITEM_DATA, ITEM_STATEMENT, ITEM_ALL_DATA, ITEM_PARTS_DONE };

typedef struct GraphItem {
    int kind;
    void *ptr;               /* DataItem (ITEM_DATA, ITEM_PARTS_DONE) or TocEntry
                              * (ITEM_STATEMENT) */
} GraphItem;

static Error *graph_task(Conn *c, void *item, void *ctx)
{
    GraphItem *g = item;
    if (g->kind == ITEM_DATA)
        return load_table(c, g->ptr, ctx);
    if (g->kind == ITEM_STATEMENT)
        return run_statement(c, g->ptr, ctx);
    if (g->kind == ITEM_PARTS_DONE)
        return finish_parts(c, g->ptr, ctx);
    return NULL; /* ITEM_ALL_DATA: a milestone, nothing to run */
}

static bool graph_done(void *item, Error *err, void *ctx)
{
    GraphItem *g = item;
    if (g->kind == ITEM_DATA)
        return load_done(g->ptr, err, ctx);
    if (g->kind == ITEM_STATEMENT)
        return statement_done(g->ptr, err, ctx);
    if (g->kind == ITEM_PARTS_DONE && err)
        return load_done(&(DataItem){((DataItem *)g->ptr)->d, -1, NULL}, err, ctx);
    error_free(err);
    return true;
}

static int graph_key_order(const void *a, const void *b)
{
    return strcmp(((const StrKeyIndex *)a)->key, ((const StrKeyIndex *)b)->key);
}

/* The data item of the table an index or constraint entry is on, or
 * otherwise (or when the table has no data item) the all-data milestone. */
static size_t own_table_item(const TocEntry *e, const StrKeyIndex *by_table, size_t ndata,
                             size_t all_data)
{
    char *schema, *name;
    if (!type_in(post_with_table_types, e->objecttype) || !e->referenceobject ||
        !*e->referenceobject)
        return all_data;
    Error *pe = filter_parse_table_name(e->referenceobject, &schema, &name);
    if (pe) {
        error_free(pe);
        return all_data;
    }
    StrKeyIndex want = {table_key(schema, name), 0};
    const StrKeyIndex *hit = bsearch(&want, by_table, ndata, sizeof *by_table, graph_key_order);
    free(want.key);
    free(schema);
    free(name);
    return hit ? hit->index : all_data;
}

/* The data items of the kept tables dv[0, ndata) (*nitems of them), in
 * dv's order (largest first): one per table, or one per part for a table
 * written in parts that would otherwise hold up the end of the load
 * (*nsplit of them, each with a PartGroup). A table is split when --jobs
 * connections times its size exceeds what is left to load from it on:
 * splitting every large table would cost more than it evens out, since
 * parts are not frozen (no TRUNCATE in their transactions) and parts of
 * one table loading at once contend for it. */
static DataItem *plan_data_items(const RestoreState *s, TocDataEntry **dv, size_t ndata,
                                 size_t *nsplit, size_t *nitems)
{
    bool can = s->opts->jobs > 1 && !s->server_side && !s->segments;
    bool *split = xcalloc(ndata + 1, sizeof *split);
    unsigned long long left = 0;
    size_t n = 0;
    *nsplit = 0;
    for (size_t i = ndata; i-- > 0;) {
        left += dv[i]->rawbytes;
        /* Only a table this restore created: a part that fails empties
         * it again, which would also remove the rows that a table given
         * to --data-only held before. */
        split[i] = can && dv[i]->nparts > 1 && created_here(s, dv[i]->schema, dv[i]->name) &&
                   (unsigned long long)dv[i]->rawbytes * (unsigned long long)s->opts->jobs > left;
        n += split[i] ? dv[i]->nparts : 1;
    }
    DataItem *di = xcalloc(n + 1, sizeof *di);
    size_t k = 0;
    for (size_t i = 0; i < ndata; i++) {
        if (!split[i]) {
            di[k++] = (DataItem){dv[i], -1, NULL};
            continue;
        }
        PartGroup *grp = xcalloc(1, sizeof *grp);
        grp->left = dv[i]->nparts;
        for (size_t p = 0; p < dv[i]->nparts; p++)
            di[k++] = (DataItem){dv[i], (int)p, grp};
        (*nsplit)++;
    }
    free(split);
    *nitems = n;
    return di;
}

/* The data of the kept tables (largest first, one transaction each) and,
 * with post, the post-data entries of the first post-data phase (all but
 * post_later_types): each waits for the entries it depends on (the TOC
 * lists them first, so the graph has no cycle) and for its table's data
 * (post_with_table_types) or for all the data (the others). */
static void step_data_and_post(RestoreState *s, Pool *pool, bool data, bool post)
{
    if (s->created_tables.n)
        qsort(s->created_tables.items, s->created_tables.n, sizeof(char *), key_order);
    size_t ndata = 0;
    TocDataEntry **dv = data ? kept_tables(s, &ndata) : xcalloc(1, sizeof *dv);
    TocSection sec = TOC_POSTDATA;
    size_t npost = post ? count_kept(s, post_later_types, true) : 0;
    size_t nsplit = 0, nload = 0; /* nload: the data items before the PARTS_DONE ones */
    DataItem *di = plan_data_items(s, dv, ndata, &nsplit, &nload);
    size_t nitems = nload + nsplit;
    bool milestone = ndata && npost;
    size_t n = nitems + milestone + npost;
    GraphItem *g = xcalloc(n + 1, sizeof *g);
    void **items = xcalloc(n + 1, sizeof *items);
    size_t **waits = xcalloc(n + 1, sizeof *waits);
    size_t *nwaits = xcalloc(n + 1, sizeof *nwaits);
    unsigned long long *weights = xcalloc(n + 1, sizeof *weights);
    /* The last data item of each table (the whole table, or its PARTS_DONE
     * item), by table, to find an entry's table. */
    StrKeyIndex *by_table = xcalloc(ndata + 1, sizeof *by_table);
    size_t nt = 0, kdone = nload;
    for (size_t i = 0; i < nload; i++) {
        const TocDataEntry *d = di[i].d;
        g[i] = (GraphItem){ITEM_DATA, &di[i]};
        weights[i] = di[i].part >= 0 ? d->parts[di[i].part].rawbytes : d->rawbytes;
        if (di[i].part > 0)
            continue;
        by_table[nt].key = table_key(d->schema, d->name);
        by_table[nt].index = i;
        if (di[i].part == 0) {
            /* Its PARTS_DONE item waits for the table's parts, which
             * plan_data_items put in the group's own array. */
            size_t kd = kdone++;
            g[kd] = (GraphItem){ITEM_PARTS_DONE, &di[i]};
            waits[kd] = xcalloc(d->nparts, sizeof(size_t));
            for (size_t j = 0; j < nload; j++)
                if (di[j].group == di[i].group)
                    waits[kd][nwaits[kd]++] = j;
            by_table[nt].index = kd;
        }
        nt++;
    }
    qsort(by_table, ndata, sizeof *by_table, graph_key_order);
    size_t all_data = nitems;
    if (milestone) {
        g[all_data] = (GraphItem){ITEM_ALL_DATA, NULL};
        waits[all_data] = xcalloc(nitems + 1, sizeof(size_t));
        for (size_t i = 0; i < nitems; i++)
            waits[all_data][i] = i;
        nwaits[all_data] = nitems;
    }
    uint32_t maxid = max_dumpid(s, sec);
    /* graph index + 1 of the entries of this run by dumpid; 0: not in it. */
    size_t *by_id = xcalloc((size_t)maxid + 1, sizeof *by_id);
    size_t k = nitems + milestone;
    for (size_t i = 0; npost && i < s->toc->nentries[sec]; i++) {
        TocEntry *e = &s->toc->entries[sec][i];
        if (type_in(post_later_types, e->objecttype) || !entry_kept(&s->opts->filter, e))
            continue;
        g[k] = (GraphItem){ITEM_STATEMENT, e};
        waits[k] = entry_waits(e, by_id, maxid, 1, &nwaits[k]);
        if (milestone) {
            waits[k][nwaits[k]++] = own_table_item(e, by_table, ndata, all_data);
        }
        if (e->dumpid && e->dumpid <= maxid)
            by_id[e->dumpid] = k + 1;
        k++;
    }
    free(by_id);
    for (size_t i = 0; i < n; i++)
        items[i] = &g[i];
    if (nsplit)
        log_info("loading %zu tables in parts on several connections", nsplit);
    if (ndata && npost)
        log_info("restoring data of %zu tables, and %zu post-data objects as their tables are "
                 "loaded", ndata, npost);
    else if (ndata)
        log_info("restoring data of %zu tables", ndata);
    else
        log_info("restoring post-data objects");
    StatementCtx sc = {s};
    pool_run_graph(pool, items, n, (const size_t *const *)waits, nwaits, graph_task, graph_done,
                   &sc, nsplit ? "tables, parts of tables and post-data objects restored"
                        : ndata && npost ? "tables and post-data objects restored"
                        : ndata          ? "tables restored"
                                         : "post-data objects",
                   weights);
    for (size_t i = 0; i < n; i++)
        free(waits[i]);
    for (size_t i = 0; i < ndata; i++)
        free(by_table[i].key);
    free(by_table);
    free(waits);
    free(nwaits);
    free(weights);
    free(items);
    free(g);
    for (size_t i = 0; i < nload; i++)
        if (di[i].part == 0)
            free(di[i].group);
    free(di);
    free(dv);
}

/* --- statistics and ANALYZE ------------------------------------------- */

static Error *restore_statistics_entry(Conn *c, void *item, void *ctx)
{
    RestoreState *s = ((StatementCtx *)ctx)->s;
    const TocEntry *e = item;
    char *sql = xstrndup(s->statistics + e->startbyte, (size_t)(e->endbyte - e->startbyte));
    /* One implicit transaction: a table's statistics are all or nothing. */
    Error *err = conn_exec(c, sql);
    free(sql);
    return err;
}

static bool statistics_done(void *item, Error *err, void *ctx)
{
    RestoreState *s = ((StatementCtx *)ctx)->s;
    s->statements_run++;
    if (!err) {
        s->statistics_restored++;
        return true;
    }
    return statement_failed(s, item, err);
}

/* --with-stats: after the indexes (CREATE INDEX resets the pg_class
 * counters) and the data, each kept table's statistics in parallel. */
static Error *step_statistics(RestoreState *s, Pool *pool)
{
    void **items = xcalloc(s->toc->nstats + 1, sizeof(void *));
    size_t n = 0;
    for (size_t i = 0; i < s->toc->nstats; i++)
        if (filter_keeps_table(&s->opts->filter, s->toc->stats[i].schema, s->toc->stats[i].name))
            items[n++] = &s->toc->stats[i];
    log_info("restoring the statistics of %zu tables", n);
    StatementCtx sc = {s};
    pool_run(pool, items, n, restore_statistics_entry, statistics_done, &sc,
             "tables with statistics", NULL);
    free(items);
    return NULL;
}

static Error *analyze_table(Conn *c, void *item, void *ctx)
{
    const TocDataEntry *d = item;
    char *q = conn_quote_qualified(c, d->schema, d->name);
    Error *e = conn_execf(c, "ANALYZE %s", q);
    if (e)
        error_prefix(e, "could not analyze table %s", q);
    free(q);
    return e;
}

static bool analyze_done(void *item, Error *err, void *ctx)
{
    RestoreState *s = ((StatementCtx *)ctx)->s;
    const TocDataEntry *d = item;
    if (!err) {
        s->tables_analyzed++;
        return true;
    }
    if (s->opts->on_error_continue) {
        log_error(LOG_WARNING, err);
        char *n = filter_format_table_name(d->schema, d->name);
        if (!strlist_contains(&s->error_tables_data, n))
            strlist_push(&s->error_tables_data, n);
        free(n);
        error_free(err);
        return true;
    }
    if (!s->first_error)
        s->first_error = err;
    else
        error_free(err);
    return false;
}

/* --run-analyze: every table whose data was restored, in parallel,
 * largest first as for the data. */
static Error *step_analyze(RestoreState *s, Pool *pool)
{
    run_on_tables(s, pool, analyze_table, analyze_done, "analyzing", "tables analyzed");
    return NULL;
}

/* Every connection commits with synchronous_commit off (restore_connect),
 * so when the last worker is done its last commits may still be in the
 * server's WAL buffers, and a crash in the next moment would lose objects
 * the restore is about to call restored. A transaction that commits
 * synchronously waits until the WAL is on disk up to its own commit record,
 * and so for every commit before it, but only if it wrote WAL of its own
 * (PostgreSQL commits a transaction that wrote nothing asynchronously
 * whatever synchronous_commit says): a temporary table, dropped at the
 * commit, is the write any role with TEMPORARY on the database may do and
 * that leaves nothing behind. On Greenplum it is created on every segment,
 * so the commit is two-phase there too, and those records are always
 * flushed. "local": the restore waits for its own disk, not for a
 * synchronous standby. The leader keeps the setting for the statements
 * that follow (event triggers, the database's properties), whose commits
 * then wait too. A role without TEMPORARY gets a warning: the server still
 * writes the commits within moments (wal_writer_delay), unless it stops
 * first. */
static void step_durable(RestoreState *s)
{
    log_debug("waiting for the restore's WAL to reach the disk");
    Error *e = conn_execf(s->leader,
                          "SET synchronous_commit = local; BEGIN; "
                          "CREATE TEMPORARY TABLE gprestore_durable () ON COMMIT DROP%s; COMMIT",
                          cluster_is_mpp(&s->server) ? " DISTRIBUTED RANDOMLY" : "");
    if (e) {
        error_free(conn_exec(s->leader, "ROLLBACK"));
        e = error_prefix(e, "could not wait for the restore's last commits to reach the disk");
        error_hint(e, "the server writes them within moments unless it stops first; to have gprestore "
                      "wait for them, grant TEMPORARY on the database to the restoring role");
        log_error(LOG_WARNING, e);
        error_free(e);
    }
}

/* --- report ----------------------------------------------------------- */

static Error *write_list(const RestoreState *s, const char *suffix, const StrList *l)
{
    if (!l->n)
        return NULL;
    StrBuf sb;
    sb_init(&sb);
    for (size_t i = 0; i < l->n; i++)
        sb_printf(&sb, "%s\n", l->items[i]);
    char *path = restore_file(s, suffix);
    Error *e = file_write_atomic(path, sb.data, sb.len);
    free(path);
    sb_free(&sb);
    return e;
}

static Error *write_report(RestoreState *s, const Error *failure)
{
    StrBuf sb;
    sb_init(&sb);
    char buf[64];
    struct tm tm;
    sb_append(&sb, "PostgreSQL Database Restore Report\n\n");
    sb_printf(&sb, "%-26s%s\n", "timestamp key:", s->opts->timestamp);
    sb_printf(&sb, "%-26s%s\n", "gprestore version:", GPB_VERSION);
    sb_printf(&sb, "%-26s%s\n", "database name:", s->target_db ? s->target_db : "");
    sb_printf(&sb, "%-26s%s\n", "command line:", s->command_line);
    localtime_r(&s->start_time, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    sb_printf(&sb, "%-26s%s\n", "start time:", buf);
    time_t now = time(NULL);
    localtime_r(&now, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    sb_printf(&sb, "%-26s%s\n", "end time:", buf);
    sb_printf(&sb, "%-26s%s\n", "duration:",
              format_duration(now_monotonic() - s->start_mono, buf, sizeof buf));
    const char *status = failure ? "Failure"
                         : (s->error_tables_data.n || s->error_tables_metadata.n)
                             ? "Success but non-fatal errors occurred"
                             : "Success";
    sb_printf(&sb, "%-26s%s\n", "restore status:", status);
    if (failure)
        sb_printf(&sb, "%-26s%s\n", "restore error:", failure->message);
    sb_printf(&sb, "\n%-26s%d\n", "statements run:", s->statements_run);
    sb_printf(&sb, "%-26s%d\n", "tables with data:", s->tables_restored);
    sb_printf(&sb, "%-26s%llu\n", "rows:", s->rows_restored);
    if (s->opts->with_globals)
        sb_printf(&sb, "%-26s%d\n", "global objects:", s->globals_restored);
    if (s->opts->with_stats)
        sb_printf(&sb, "%-26s%d\n", "tables with statistics:", s->statistics_restored);
    if (s->opts->run_analyze)
        sb_printf(&sb, "%-26s%d\n", "tables analyzed:", s->tables_analyzed);
    for (size_t i = 0; i < s->error_tables_metadata.n; i++)
        sb_printf(&sb, "%-26s%s\n", i ? "" : "metadata errors:", s->error_tables_metadata.items[i]);
    for (size_t i = 0; i < s->error_tables_data.n; i++)
        sb_printf(&sb, "%-26s%s\n", i ? "" : "data errors:", s->error_tables_data.items[i]);
    char *path = restore_file(s, "report");
    Error *e = file_write_atomic(path, sb.data, sb.len);
    free(path);
    sb_free(&sb);
    if (!e)
        e = write_list(s, "error_tables_metadata", &s->error_tables_metadata);
    if (!e)
        e = write_list(s, "error_tables_data", &s->error_tables_data);
    return e;
}

static void open_log(LogLevel level)
{
    const char *home = getenv("HOME");
    if (!home || !*home)
        return;
    char *dir = path_join(home, "gpAdminLogs");
    Error *e = file_mkdir_p(dir);
    if (!e) {
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        char name[64];
        strftime(name, sizeof name, "gprestore_%Y%m%d.log", &tm);
        char *path = path_join(dir, name);
        e = log_init("gprestore", level, path);
        free(path);
    }
    if (e) {
        log_info("not writing a log file: %s", e->message);
        error_free(e);
    }
    free(dir);
}

Error *restore_run(const RestoreOptions *opts, const char *command_line)
{
    RestoreState s = {0};
    s.opts = opts;
    s.command_line = command_line;
    s.start_mono = now_monotonic();
    s.start_time = time(NULL);
    struct tm tm;
    localtime_r(&s.start_time, &tm);
    strftime(s.restore_ts, sizeof s.restore_ts, "%Y%m%d%H%M%S", &tm);
    open_log(opts->log_level);
    s.application_name = xasprintf("gprestore_%s", opts->timestamp);
    log_info("gprestore %s starting: %s", GPB_VERSION, command_line);
    conn_warn_password(&opts->conn);

    Pool *pool = NULL;
    Error *e = step_open_set(&s);
    bool set_open = e == NULL;
    if (!e) {
        log_info("restoring backup %s of database \"%s\" into \"%s\"", opts->timestamp,
                 s.config->databasename, s.target_db);
        e = step_database(&s);
        if (!e)
            e = step_cluster(&s);
    }
    if (!e)
        e = pool_open(&opts->conn, s.target_db, s.application_name, s.config->databaseencoding,
                      opts->jobs, &pool);
    if (!e && !opts->data_only) {
        log_info("restoring pre-data objects");
        e = run_serial(&s, TOC_PREDATA, database_types, true, opts->jobs > 1 ? pool : NULL);
    }
    if (!e && !s.first_error)
        step_data_and_post(&s, pool, !opts->metadata_only, !opts->data_only);
    if (!e && !s.first_error && !opts->metadata_only)
        e = run_serial(&s, TOC_POSTDATA, seq_set_types, false, NULL);
    if (!e && !s.first_error && !opts->data_only) {
        if (count_kept(&s, index_attach_types, false) + count_kept(&s, fk_types, false))
            log_info("restoring the remaining post-data objects: index attachments, foreign keys");
        e = run_serial(&s, TOC_POSTDATA, index_attach_types, false, NULL);
        if (!e && !s.first_error)
            e = run_graph(&s, pool, fk_types, false, "foreign keys");
    }
    if (!e && !s.first_error && !opts->metadata_only && !opts->data_only)
        e = run_graph(&s, pool, matview_data_types, false, "materialized views refreshed");
    if (!e && !s.first_error && opts->with_stats)
        e = step_statistics(&s, pool);
    if (!e && !s.first_error && opts->run_analyze)
        e = step_analyze(&s, pool);
    /* Before the event triggers (which would fire on its table) and the
     * database's properties (which may take TEMPORARY away); the leader
     * commits what follows synchronously. */
    if (!e && !s.first_error && s.leader)
        step_durable(&s);
    if (!e && !s.first_error && !opts->data_only)
        e = run_serial(&s, TOC_POSTDATA, event_trigger_types, false, NULL);
    if (!e && !s.first_error && !opts->data_only && (opts->create_db || opts->with_globals)) {
        log_info("restoring the properties of the database");
        e = run_database_entries(&s);
    }
    pool_close(pool);
    if (!e && s.first_error) {
        e = s.first_error;
        s.first_error = NULL;
    }
    if (!e && conn_stop_requested())
        e = ERROR_NEW(ERR_CANCELED, "restore canceled");
    if (set_open) {
        Error *re = write_report(&s, e);
        if (re) {
            log_error(LOG_WARNING, re);
            error_free(re);
        }
    }
    if (!e) {
        size_t nerr = s.error_tables_data.n + s.error_tables_metadata.n;
        if (nerr)
            log_warning("restore finished with errors in %zu object%s; see the error files in %s",
                        nerr, nerr == 1 ? "" : "s", s.set_dir);
        log_info("restore of backup %s into \"%s\" complete: %d tables, %llu rows, in %.1fs",
                 opts->timestamp, s.target_db, s.tables_restored, s.rows_restored,
                 now_monotonic() - s.start_mono);
    }
    codec_thread_done();
    conn_close(s.leader);
    config_free(s.config);
    manifest_free(s.manifest);
    toc_free(s.toc);
    free(s.metadata);
    free(s.statistics);
    free(s.set_dir);
    free(s.helper_path);
    free(s.segment_dir_template);
    cluster_free(&s.cluster);
    free(s.target_db);
    free(s.application_name);
    strlist_free(&s.error_tables_metadata);
    strlist_free(&s.error_tables_data);
    strlist_free(&s.created_tables);
    error_free(s.first_error);
    return e;
}
