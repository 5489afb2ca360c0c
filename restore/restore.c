/* gprestore as a script of named steps: find and check the backup set,
 * create the database, replay pre-data serially, load the data in
 * parallel (one transaction per table, row count checked before commit),
 * then post-data: sequence values, indexes and constraints in parallel,
 * foreign keys and index attachments last; finally the report. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backupset.h"
#include "checksum.h"
#include "codec.h"
#include "config.h"
#include "fileio.h"
#include "log.h"
#include "manifest.h"
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
    CodecType codec;
    char *target_db;
    Conn *leader;
    StrList error_tables_metadata;
    StrList error_tables_data;
    Error *first_error;         /* the error that stops the run */
    int tables_restored;
    unsigned long long rows_restored;
    int statements_run;
} RestoreState;

static char *restore_file(const RestoreState *s, const char *suffix)
{
    char *name = xasprintf("gprestore_%s_%s_%s", s->opts->timestamp, s->restore_ts, suffix);
    char *p = path_join(s->set_dir, name);
    free(name);
    return p;
}

static bool toc_has_table(const Toc *toc, const char *schema, const char *name)
{
    for (size_t i = 0; i < toc->ndata; i++)
        if (strcmp(toc->data[i].schema, schema) == 0 && strcmp(toc->data[i].name, name) == 0)
            return true;
    for (size_t i = 0; i < toc->nentries[TOC_PREDATA]; i++) {
        const TocEntry *e = &toc->entries[TOC_PREDATA][i];
        if ((strcmp(e->objecttype, "TABLE") == 0 || strcmp(e->objecttype, "VIEW") == 0) &&
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

/* Every data entry names a plain file of the set, listed in the manifest
 * with the TOC's size and checksum, and a well-formed column list. */
static Error *check_data_entries(const RestoreState *s)
{
    for (size_t i = 0; i < s->toc->ndata; i++) {
        const TocDataEntry *d = &s->toc->data[i];
        const ManifestFile *mf = manifest_safe_name(d->file) ? manifest_find(s->manifest, d->file)
                                                             : NULL;
        Error *e = NULL;
        if (!manifest_safe_name(d->file))
            e = ERROR_NEW(ERR_FORMAT, "invalid data file name \"%s\" in the table of contents",
                          d->file);
        else if (!mf)
            e = ERROR_NEW(ERR_FORMAT, "data file \"%s\" is not listed in the manifest", d->file);
        else if (mf->size != d->filebytes || strcmp(mf->checksum, d->checksum) != 0)
            e = ERROR_NEW(ERR_FORMAT, "data file \"%s\": the table of contents and the manifest "
                                      "disagree",
                          d->file);
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
    s->set_dir = backupset_dir(s->opts->backup_dir, ts);
    if (!file_exists(s->set_dir)) {
        Error *e = ERROR_NEW(ERR_NOT_FOUND, "backup %s not found in \"%s\"", ts,
                             s->opts->backup_dir);
        error_detail(e, "directory \"%s\" does not exist", s->set_dir);
        return error_hint(e, "check --timestamp, and give --backup-dir as it was given to gpbackup");
    }
    char *reason = NULL;
    BackupSetStatus st = backupset_status(s->set_dir, ts, &reason);
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
    if (s->opts->data_only && s->config->metadataonly)
        return ERROR_NEW(ERR_USAGE, "backup %s holds no data: it was made with --metadata-only", ts);
    if (s->opts->metadata_only && s->config->dataonly)
        return ERROR_NEW(ERR_USAGE, "backup %s holds no metadata: it was made with --data-only", ts);
    e = codec_parse(s->config->compressiontype, &s->codec);
    if (e)
        return error_prefix(e, "backup %s", ts);
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
    s->target_db = xstrdup(s->opts->redirect_db ? s->opts->redirect_db : s->config->databasename);
    return check_filter_names(s);
}

/* Step 2: the target database, created when asked; then the leader
 * connection to it. */
static Error *step_database(RestoreState *s)
{
    if (s->opts->create_db) {
        Conn *maint;
        const char *maint_db = s->opts->conn.dbname ? NULL : "postgres";
        Error *e = conn_open(&s->opts->conn, maint_db, s->application_name, &maint);
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
        if (!e) {
            char *q = conn_quote_ident(maint, s->target_db);
            char *enc = conn_quote_literal(maint, s->config->databaseencoding
                                                      ? s->config->databaseencoding
                                                      : "UTF8");
            e = conn_execf(maint, "CREATE DATABASE %s TEMPLATE template0 ENCODING %s", q, enc);
            free(q);
            free(enc);
            if (!e)
                log_info("created database \"%s\"", s->target_db);
        }
        conn_close(maint);
        if (e)
            return e;
    }
    return restore_connect(&s->opts->conn, s->target_db, s->application_name,
                           s->config->databaseencoding, &s->leader);
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
    if (strcmp(e->objecttype, "TABLE") == 0 || strcmp(e->objecttype, "VIEW") == 0)
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

/* Run matching entries of a section one after the other on the leader. */
static Error *run_serial(RestoreState *s, TocSection sec, const char *const *types)
{
    for (size_t i = 0; i < s->toc->nentries[sec] && !s->first_error; i++) {
        const TocEntry *e = &s->toc->entries[sec][i];
        bool match = !types;
        for (int k = 0; types && types[k] && !match; k++)
            match = strcmp(types[k], e->objecttype) == 0;
        if (!match || !entry_kept(&s->opts->filter, e))
            continue;
        if (conn_stop_requested())
            return ERROR_NEW(ERR_CANCELED, "restore canceled");
        char *sql = entry_sql(s, e);
        Error *err = conn_exec(s->leader, sql);
        free(sql);
        s->statements_run++;
        if (err && !statement_failed(s, e, err))
            break;
    }
    return NULL;
}

/* --- post-data in parallel -------------------------------------------- */

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
    if (!err)
        return true;
    return statement_failed(sc->s, item, err);
}

static bool type_in(const char *const *types, const char *t)
{
    for (int k = 0; types[k]; k++)
        if (strcmp(types[k], t) == 0)
            return true;
    return false;
}

/* Run the kept post-data entries whose type is (or, with exclude, is not)
 * in types, in parallel as their dependencies allow: an entry's level is one
 * more than the highest level of the entries it depends on among them, and
 * each level runs once the one before it is done. The TOC lists entries
 * after their dependencies, so one pass computes the levels. */
static Error *run_leveled(RestoreState *s, Pool *pool, const char *const *types, bool exclude,
                          const char *what)
{
    TocSection sec = TOC_POSTDATA;
    size_t total = s->toc->nentries[sec];
    TocEntry **items = xcalloc(total + 1, sizeof(TocEntry *));
    int *level = xcalloc(total + 1, sizeof(int));
    uint32_t maxid = 0;
    for (size_t i = 0; i < total; i++)
        if (s->toc->entries[sec][i].dumpid > maxid)
            maxid = s->toc->entries[sec][i].dumpid;
    /* level + 1 of each entry in this run by dumpid; 0: not in this run. */
    int *by_id = xcalloc((size_t)maxid + 1, sizeof(int));
    size_t n = 0;
    int maxlevel = 0;
    for (size_t i = 0; i < total; i++) {
        TocEntry *e = &s->toc->entries[sec][i];
        if (type_in(types, e->objecttype) == exclude || !entry_kept(&s->opts->filter, e))
            continue;
        int lv = 0;
        for (size_t k = 0; k < e->ndependencies; k++) {
            uint32_t d = e->dependencies[k];
            if (d <= maxid && by_id[d] > lv)
                lv = by_id[d];
        }
        items[n] = e;
        level[n++] = lv;
        if (e->dumpid)
            by_id[e->dumpid] = lv + 1;
        if (lv > maxlevel)
            maxlevel = lv;
    }
    free(by_id);
    void **batch = xcalloc(n + 1, sizeof(void *));
    StatementCtx sc = {s};
    for (int lv = 0; lv <= maxlevel && n && !s->first_error && !conn_stop_requested(); lv++) {
        size_t m = 0;
        for (size_t j = 0; j < n; j++)
            if (level[j] == lv)
                batch[m++] = items[j];
        pool_run(pool, batch, m, run_statement, statement_done, &sc, what, NULL);
    }
    free(batch);
    free(items);
    free(level);
    return NULL;
}

/* --- data ------------------------------------------------------------- */

typedef struct LoadSource {
    CodecReader *reader;
    const TocDataEntry *entry;
    const char *path;
} LoadSource;

/* At the end of the file, before COPY is ended (and so before the commit),
 * the file's checksum must be the one the backup recorded: a damaged file
 * makes the server abort the COPY and no row of it is kept. */
static Error *load_source(void *ctx, char *buf, size_t cap, size_t *n)
{
    LoadSource *ls = ctx;
    Error *e = codec_reader_read(ls->reader, buf, cap, n);
    if (e || *n > 0)
        return e;
    char hex[CHECKSUM_HEX_LEN + 1];
    uint64_t bytes;
    codec_reader_checksum(ls->reader, hex, &bytes);
    if (bytes != ls->entry->filebytes || strcmp(hex, ls->entry->checksum) != 0)
        return error_hint(ERROR_NEW(ERR_DATA, "data file \"%s\" is damaged: its %s differs from "
                                              "the backup's record",
                                    ls->path, bytes != ls->entry->filebytes ? "size" : "checksum"),
                          "run gpbackup_manager verify to check the whole backup set");
    return NULL;
}

static Error *load_table(Conn *c, void *item, void *ctx)
{
    RestoreState *s = ((StatementCtx *)ctx)->s;
    const TocDataEntry *d = item;
    char *q = conn_quote_qualified(c, d->schema, d->name);
    if (!d->file || !*d->file || strchr(d->file, '/')) {
        Error *e = ERROR_NEW(ERR_FORMAT, "invalid data file name for table %s in the table of "
                                         "contents", q);
        free(q);
        return e;
    }
    char *path = path_join(s->set_dir, d->file);
    LoadSource ls = {0};
    ls.entry = d;
    ls.path = path;
    Error *e = codec_reader_open(path, s->codec, &ls.reader);
    if (!e)
        e = conn_exec(c, "BEGIN");
    uint64_t rows = 0;
    if (!e) {
        char *sql = xasprintf("COPY %s %s FROM STDIN WITH (FORMAT csv)", q, d->attributestring);
        e = conn_copy_in(c, sql, load_source, &ls, &rows);
        free(sql);
    }
    /* The row count is checked before the commit: a short or damaged file
     * never leaves a partly loaded table behind. */
    if (!e && rows != d->rowscopied)
        e = error_detail(ERROR_NEW(ERR_DATA, "row count mismatch"),
                         "loaded %llu rows, the backup holds %llu",
                         (unsigned long long)rows, (unsigned long long)d->rowscopied);
    if (!e)
        e = conn_exec(c, "COMMIT");
    if (e) {
        error_free(conn_exec(c, "ROLLBACK"));
        error_prefix(e, "could not restore data of table %s", q);
    } else {
        log_verbose("table %s: %llu rows", q, (unsigned long long)rows);
    }
    codec_reader_close(ls.reader);
    free(path);
    free(q);
    return e;
}

static bool load_done(void *item, Error *err, void *ctx)
{
    RestoreState *s = ((StatementCtx *)ctx)->s;
    const TocDataEntry *d = item;
    if (!err) {
        s->tables_restored++;
        s->rows_restored += d->rowscopied;
        return true;
    }
    if (s->opts->on_error_continue) {
        log_error(LOG_WARNING, err);
        char *n = filter_format_table_name(d->schema, d->name);
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

static Error *step_data(RestoreState *s, Pool *pool)
{
    void **items = xcalloc(s->toc->ndata + 1, sizeof(void *));
    size_t n = 0;
    for (size_t i = 0; i < s->toc->ndata; i++)
        if (filter_keeps_table(&s->opts->filter, s->toc->data[i].schema, s->toc->data[i].name))
            items[n++] = &s->toc->data[i];
    /* Largest first, as in the backup. */
    qsort(items, n, sizeof *items, data_order);
    unsigned long long *weights = xcalloc(n + 1, sizeof *weights);
    for (size_t i = 0; i < n; i++)
        weights[i] = ((TocDataEntry *)items[i])->rawbytes;
    log_info("restoring data of %zu tables", n);
    StatementCtx sc = {s};
    pool_run(pool, items, n, load_table, load_done, &sc, "tables restored", weights);
    free(weights);
    free(items);
    return NULL;
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

static const char *const seq_set_types[] = {"SEQUENCE SET", NULL};
/* Post-data runs in four phases, each in parallel as dependencies allow:
 * everything but the three kinds below; index attachments, which complete
 * the unique indexes of partitioned tables that foreign keys may reference;
 * foreign keys; the data of materialized views, once all they read is
 * there. */
static const char *const post_later_types[] = {"SEQUENCE SET", "INDEX ATTACH", "FK CONSTRAINT",
                                               "MATERIALIZED VIEW DATA", NULL};
static const char *const index_attach_types[] = {"INDEX ATTACH", NULL};
static const char *const fk_types[] = {"FK CONSTRAINT", NULL};
static const char *const matview_data_types[] = {"MATERIALIZED VIEW DATA", NULL};

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

    Pool *pool = NULL;
    Error *e = step_open_set(&s);
    bool set_open = e == NULL;
    if (!e) {
        log_info("restoring backup %s of database \"%s\" into \"%s\"", opts->timestamp,
                 s.config->databasename, s.target_db);
        e = step_database(&s);
    }
    if (!e && !opts->data_only) {
        log_info("restoring pre-data objects");
        e = run_serial(&s, TOC_PREDATA, NULL);
    }
    int njobs = opts->jobs;
    if (!e && !s.first_error && (!opts->metadata_only || !opts->data_only))
        e = pool_open(&opts->conn, s.target_db, s.application_name, s.config->databaseencoding,
                      njobs, &pool);
    if (!e && !s.first_error && !opts->metadata_only)
        e = step_data(&s, pool);
    if (!e && !s.first_error && !opts->metadata_only)
        e = run_serial(&s, TOC_POSTDATA, seq_set_types);
    if (!e && !s.first_error && !opts->data_only) {
        log_info("restoring post-data objects");
        e = run_leveled(&s, pool, post_later_types, true, "post-data objects");
        if (!e && !s.first_error)
            e = run_serial(&s, TOC_POSTDATA, index_attach_types);
        if (!e && !s.first_error)
            e = run_leveled(&s, pool, fk_types, false, "foreign keys");
    }
    if (!e && !s.first_error && !opts->metadata_only && !opts->data_only)
        e = run_leveled(&s, pool, matview_data_types, false, "materialized views refreshed");
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
    conn_close(s.leader);
    config_free(s.config);
    manifest_free(s.manifest);
    toc_free(s.toc);
    free(s.metadata);
    free(s.set_dir);
    free(s.target_db);
    free(s.application_name);
    strlist_free(&s.error_tables_metadata);
    strlist_free(&s.error_tables_data);
    error_free(s.first_error);
    return e;
}
