/* The data phase: a pool of worker connections, each table in a
 * transaction of its own under the leader's snapshot, NOWAIT locks, and the
 * deferred queue that the leader drains while the workers run. Workers
 * report through the results queue; only the leader touches the TOC. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "backupset.h"
#include "cluster.h"
#include "codec.h"
#include "fileio.h"
#include "helper.h"
#include "filter.h"
#include "jobq.h"
#include "log.h"
#include "pack.h"
#include "progress.h"
#include "snapshot.h"
#include "util.h"

/* JOB_GONE: the table disappeared (dropped or renamed) after the snapshot;
 * it has no data in the backup. */
enum { JOB_DONE = 1, JOB_DEFERRED, JOB_FAILED, JOB_SKIPPED, JOB_GONE };

typedef struct DataJob {
    const TableInfo *table;
    int status;
    Error *err;
    char *change;       /* what DDL changed since the snapshot, or NULL */
    uint64_t rows;
    uint64_t raw_bytes;
    uint64_t file_bytes;
    char *file;
    char checksum[40];
    int has_offset;     /* file is shared with other tables: this one's part */
    uint64_t offset;
    SharedDataFile *shared; /* the shared file, on the first job that wrote to it */
    TocPart *parts;     /* the parts of a large table's own file */
    size_t nparts;
    DataFormat format;  /* what the file holds */
    int worker;
    TocSegmentFile *segments;   /* DATA_SEGMENTS: one per primary, by content */
    size_t nsegments;
} DataJob;

typedef struct Worker {
    int id;
    int nworkers;
    size_t batch_max;   /* tables per transaction at most */
    Conn *conn;
    pthread_t thread;
    const DataPhaseInput *in;
    JobQueue *work;
    JobQueue *results;
} Worker;

/* COPY hands over one row at a time; writing each to the codec would mean a
 * compressor call (or a write(2) without compression) per row. */
#define SINK_BUFFER (1024 * 1024)

/* Batches of small tables: see run_batch_once. */
#define BATCH_MAX_TABLES 64
#define BATCH_SMALL_TABLE (1024 * 1024)
#define BATCH_MAX_BYTES (8 * 1024 * 1024)
#define BATCH_MAX_SECONDS 0.2

/* A large table's file is cut into parts of about this many bytes of COPY
 * output, each loadable alone (TocPart), so that gprestore can load one
 * table on several connections. GPBACKUP_PART_BYTES overrides it (tests). */
#define PART_BYTES (64ULL * 1024 * 1024)
/* COPY's binary header: signature, flags, header extension length 0. */
#define BINARY_HEADER_LEN 19

typedef struct Sink {
    CodecWriter *writer;
    char *buf;
    size_t len;
    PackCoder *pack;    /* packed format: the rows go through the encoder, whose
                         * own buffer gathers them for the codec */
    const char *pack_modes;
    /* Parts (see PART_BYTES): 0 when the file is one stream. COPY sends
     * one message per row (the binary header comes with the first row and
     * the trailer alone), so a part can end between any two messages. */
    uint64_t part_limit;
    uint64_t part_in;         /* COPY bytes in the current part */
    uint64_t part_rows;       /* rows in the current part */
    bool binary;              /* binary or packed: a header and trailer per part */
    char header[BINARY_HEADER_LEN];
    bool have_header;
    TocPart *parts;
    size_t nparts;
} Sink;

static Error *codec_output(void *ctx, const char *data, size_t len)
{
    return codec_writer_write(ctx, data, len);
}

static Error *sink_flush(Sink *s)
{
    if (!s->len)
        return NULL;
    Error *e = codec_writer_write(s->writer, s->buf, s->len);
    s->len = 0;
    return e;
}

static Error *sink_put(Sink *s, const char *data, size_t len)
{
    if (s->pack)
        return pack_write(s->pack, data, len);
    if (s->len + len > SINK_BUFFER) {
        Error *e = sink_flush(s);
        if (e)
            return e;
        if (len >= SINK_BUFFER)
            return codec_writer_write(s->writer, data, len);
    }
    memcpy(s->buf + s->len, data, len);
    s->len += len;
    return NULL;
}

/* End the current part: its trailer (binary, packed; not for the last
 * part, whose trailer came from COPY), its encoder's end (packed), its
 * compressed stream; note where it lies. */
static Error *sink_end_part(Sink *s, bool last)
{
    Error *e = s->binary && !last ? sink_put(s, "\xff\xff", 2) : NULL;
    if (!e && s->pack) {
        e = pack_finish(s->pack);
        if (!e && pack_rows(s->pack) != s->part_rows)
            e = ERROR_NEW(ERR_DATA, "packed %llu rows of a part, COPY sent %llu",
                          (unsigned long long)pack_rows(s->pack),
                          (unsigned long long)s->part_rows);
        pack_free(s->pack);
        s->pack = NULL;
    } else if (!e) {
        e = sink_flush(s);
    }
    CodecPart cp;
    if (!e)
        e = codec_writer_end_part(s->writer, &cp);
    if (e)
        return e;
    s->parts = xrealloc(s->parts, (s->nparts + 1) * sizeof *s->parts);
    TocPart *p = &s->parts[s->nparts++];
    p->offset = cp.offset;
    p->filebytes = cp.file_bytes;
    p->rawbytes = cp.raw_bytes;
    p->rows = s->part_rows;
    memcpy(p->checksum, cp.checksum, sizeof p->checksum);
    s->part_in = 0;
    s->part_rows = 0;
    return NULL;
}

/* The next part starts as a file of its own would: a new encoder, the
 * binary header. */
static Error *sink_start_part(Sink *s)
{
    if (s->pack_modes)
        s->pack = pack_encoder_new(s->pack_modes, codec_output, s->writer);
    return s->binary ? sink_put(s, s->header, BINARY_HEADER_LEN) : NULL;
}

static Error *sink_write(void *ctx, const char *data, size_t len)
{
    Sink *s = ctx;
    /* After a signal or another worker's failure, compressing what is still
     * buffered in the socket only delays the exit (seconds at high levels). */
    if (conn_stop_requested())
        return ERROR_NEW(ERR_CANCELED, "canceled");
    bool trailer = s->binary && len == 2 && (unsigned char)data[0] == 0xff &&
                   (unsigned char)data[1] == 0xff;
    if (s->part_limit) {
        if (s->binary && !s->have_header) {
            /* A header with an extension (none today) is not repeated:
             * such a table is written as one stream. */
            static const char no_ext[4] = {0, 0, 0, 0};
            if (len > BINARY_HEADER_LEN && memcmp(data + 15, no_ext, 4) == 0) {
                memcpy(s->header, data, BINARY_HEADER_LEN);
                s->have_header = true;
            } else {
                s->part_limit = 0;
            }
        }
        /* The last part takes the rest once the TOC's limit is near. */
        if (s->part_limit && s->part_in >= s->part_limit && !trailer &&
            s->nparts + 1 < TOC_MAX_PARTS) {
            Error *e = sink_end_part(s, false);
            if (!e)
                e = sink_start_part(s);
            if (e)
                return e;
        }
        s->part_in += len;
        if (!trailer)
            s->part_rows++;
    }
    return sink_put(s, data, len);
}

static uint64_t part_limit(void)
{
    const char *v = getenv("GPBACKUP_PART_BYTES");
    char *end = NULL;
    unsigned long long n = v && *v >= '1' && *v <= '9' ? strtoull(v, &end, 10) : 0;
    return n > 0 && end && !*end ? (uint64_t)n : PART_BYTES;
}

/* Before a copy the catalog of now is compared with the snapshot's: a
 * table changed by DDL in between is still copied (its rows are then those
 * after the change) but never silently. */
static TableIdentity table_identity(const TableInfo *t)
{
    TableIdentity id = {t->oid, t->qualified, t->filenode, t->natts, t->attnums};
    return id;
}

/* --server-side and MPP: the server (every segment) runs gpbackup_helper,
 * which writes the file and a sidecar with its rows, sizes and checksum;
 * the sidecars are read back through the server and must add up to the
 * row count COPY reported. A failing helper leaves its message in an
 * error file, read back the same way so that the error says what broke. */
/* The helpers' files of table t with suffix (sidecar or error file), one
 * per entry of in->segment_dirs: [0] the coordinator's (content -1, the
 * only one with --server-side), [c + 1] content c's. */
static void helper_file_paths(const DataPhaseInput *in, const TableInfo *t, const char *suffix,
                              StrList *out)
{
    for (size_t k = 0; k < in->nsegment_dirs; k++) {
        char *fname = backupset_segment_data_file((int)k - 1, in->timestamp, t->oid,
                                                  in->opts->compression);
        char *path = xasprintf("%s/%s%s", in->segment_dirs[k], fname, suffix);
        strlist_push(out, path);
        free(path);
        free(fname);
    }
}

static Error *helper_messages(Conn *c, const DataPhaseInput *in, const TableInfo *t, Error *e)
{
    StrList paths = {0};
    helper_file_paths(in, t, HELPER_ERROR_SUFFIX, &paths);
    e = cluster_add_helper_errors(c, in->server, in->helper_path,
                                  (const char *const *)paths.items, paths.n, e);
    strlist_free(&paths);
    return e;
}

static Error *copy_table_on_server(Conn *c, const DataPhaseInput *in, DataJob *job)
{
    const TableInfo *t = job->table;
    bool mpp = in->data_path == DATA_SEGMENTS;
    CodecType codec = in->opts->compression;
    char *name_tmpl = backupset_data_file(mpp ? "<SEGID>" : "-1", in->timestamp, t->oid, codec);
    char *path = xasprintf("%s/%s", in->segment_dir_template, name_tmpl);
    char *errpath = xasprintf("%s%s", path, HELPER_ERROR_SUFFIX);
    char *prog = helper_backup_command(in->helper_path, path, codec, in->opts->compression_level,
                                       mpp ? "<SEGID>" : "-1", errpath);
    char *lit = conn_quote_literal(c, prog);
    char *copy = cluster_copy_to_sql(in->server, t->qualified, t->copy_columns, lit, mpp);
    char *sql = xasprintf("SAVEPOINT gpbackup_copy; %s", copy);
    uint64_t rows = 0;
    Error *e = conn_exec_count(c, sql, &rows);
    free(sql);
    free(copy);
    free(lit);
    free(prog);
    free(errpath);
    free(path);
    if (e) {
        free(name_tmpl);
        if (strcmp(e->sqlstate, "42501") == 0)
            return error_hint(error_prefix(e, "could not back up table %s", t->qualified),
                              "--server-side needs a superuser, or a role with "
                              "pg_execute_server_program and pg_read_server_files and EXECUTE on "
                              "pg_catalog.pg_read_file(text, bigint, bigint, boolean)");
        if (!conn_stop_requested()) {
            Error *re = conn_exec(c, "ROLLBACK TO SAVEPOINT gpbackup_copy");
            if (re)
                error_free(re);
            else
                e = helper_messages(c, in, t, e);
        }
        return error_hint(error_prefix(e, "could not back up table %s", t->qualified),
                          "gpbackup_helper must be installed at %s on every database host, "
                          "and the backup directory writable by the server's operating system "
                          "user",
                          in->helper_path);
    }
    /* Each segment's sidecar: <segment dir>/<name with its content>.meta */
    StrList paths = {0};
    helper_file_paths(in, t, HELPER_SIDECAR_SUFFIX, &paths);
    size_t n = paths.n;
    StrList bodies = {0};
    e = cluster_read_helper_files(c, in->server, in->helper_path,
                                  (const char *const *)paths.items, n, false, &bodies);
    strlist_free(&paths);
    size_t first = mpp ? 1 : 0; /* on MPP the coordinator writes no data */
    if (!e && bodies.n != n - first)
        e = ERROR_NEW(ERR_INTERNAL, "expected %zu sidecar files, read %zu", n - first, bodies.n);
    uint64_t sum_rows = 0;
    if (!e && mpp) {
        job->segments = xcalloc(bodies.n + 1, sizeof *job->segments);
        job->nsegments = bodies.n;
    }
    for (size_t k = 0; !e && k < bodies.n; k++) {
        HelperSidecar sc;
        e = helper_sidecar_from_text(bodies.items[k], strlen(bodies.items[k]), &sc);
        if (!e && sc.content != (mpp ? (int)k : -1))
            e = ERROR_NEW(ERR_DATA, "sidecar of segment %zu names content %d", k, sc.content);
        if (e)
            break;
        sum_rows += sc.rows;
        job->raw_bytes += sc.rawbytes;
        job->file_bytes += sc.filebytes;
        if (mpp) {
            TocSegmentFile *sf = &job->segments[k];
            sf->content = sc.content;
            sf->rows = sc.rows;
            sf->rawbytes = sc.rawbytes;
            sf->filebytes = sc.filebytes;
            memcpy(sf->checksum, sc.checksum, sizeof sf->checksum);
        } else {
            memcpy(job->checksum, sc.checksum, sizeof sc.checksum);
        }
    }
    strlist_free(&bodies);
    if (!e && sum_rows != rows)
        e = error_detail(ERROR_NEW(ERR_DATA, "the helpers counted %llu rows, COPY reported %llu",
                                   (unsigned long long)sum_rows, (unsigned long long)rows),
                         "A data file may be incomplete.");
    if (!e && mpp)
        memset(job->checksum, '0', CHECKSUM_HEX_LEN);
    job->rows = rows;
    job->file = name_tmpl;
    if (e)
        return error_prefix(e, "could not back up table %s", t->qualified);
    return conn_exec(c, "RELEASE SAVEPOINT gpbackup_copy");
}

/* The file that the tables of a batch share (run_batch_once): with
 * thousands of small tables, creating, renaming and later syncing a file
 * per table costs more than their rows. Each table is a part of it, a
 * compressed stream of its own that can be read alone (its offset and
 * length in the TOC). The file is named after its first table, and a
 * file that ends up with one table is simply that table's file. */
typedef struct Bundle {
    CodecWriter *writer;    /* NULL until the first table is copied */
    char *file;
    char checksum[CHECKSUM_HEX_LEN + 1];
    DataJob *jobs[BATCH_MAX_TABLES];
    size_t n;
} Bundle;

static Error *open_data_file(const DataPhaseInput *in, const TableInfo *t, char **file,
                             char *checksum, CodecWriter **w)
{
    *file = backupset_data_file("-1", in->timestamp, t->oid, in->opts->compression);
    char *path = path_join(in->set_dir, *file);
    Error *e = codec_writer_open(path, in->opts->compression, in->opts->compression_level, w);
    free(path);
    if (e)
        return e;
    /* Made durable all at once before the backup is declared complete. */
    codec_writer_defer_sync(*w);
    codec_writer_checksum_to(*w, checksum);
    return NULL;
}

/* Close b's file once its tables are copied: one table keeps the file as
 * its own; several become parts of a shared file. */
static Error *bundle_close(Bundle *b)
{
    if (!b->writer)
        return NULL;
    uint64_t bytes = 0;
    Error *e = codec_writer_close(b->writer, NULL, &bytes);
    b->writer = NULL;
    if (e || b->n < 2)
        return e;
    SharedDataFile *f = xcalloc(1, sizeof *f);
    f->name = xstrdup(b->file);
    f->bytes = bytes;
    memcpy(f->checksum, b->checksum, sizeof f->checksum);
    b->jobs[0]->shared = f;
    for (size_t i = 0; i < b->n; i++)
        b->jobs[i]->has_offset = 1;
    return NULL;
}

static void bundle_discard(Bundle *b)
{
    codec_writer_abort(b->writer);
    b->writer = NULL;
    free(b->file);
    b->file = NULL;
}

/* Copy one table into its data file, or into the batch's shared file b;
 * the caller's transaction holds the snapshot and the table's lock, and
 * has checked the table for changes. */
static Error *copy_table(Conn *c, const DataPhaseInput *in, DataJob *job, Bundle *b)
{
    const TableInfo *t = job->table;
    Error *e;
    if (in->data_path != DATA_CLIENT)
        return copy_table_on_server(c, in, job);
    Sink sink = {0};
    if (!b)
        e = open_data_file(in, t, &job->file, job->checksum, &sink.writer);
    else if (!b->writer)
        e = open_data_file(in, t, &b->file, b->checksum, &b->writer);
    else
        e = NULL;
    if (e)
        return e;
    if (b)
        sink.writer = b->writer;
    /* Binary (or packed) where every column's type allows it
     * (catalog_load_columns): the server skips the text conversion of
     * every value, and the restore its parsing. */
    job->format = t->binary_io ? in->data_format : DATA_FORMAT_CSV;
    if (job->format == DATA_FORMAT_PACKED) {
        sink.pack_modes = t->pack_modes ? t->pack_modes : "";
        sink.pack = pack_encoder_new(sink.pack_modes, codec_output, sink.writer);
    } else {
        sink.buf = xmalloc(SINK_BUFFER);
    }
    /* Only a table's own file is cut into parts (a shared one holds small
     * tables). */
    sink.part_limit = b ? 0 : part_limit();
    sink.binary = job->format != DATA_FORMAT_CSV;
    char *sql = xasprintf("COPY %s %s TO STDOUT WITH (FORMAT %s)", t->qualified, t->copy_columns,
                          job->format == DATA_FORMAT_CSV ? "csv" : "binary");
    e = conn_copy_out(c, sql, sink_write, &sink, &job->rows);
    free(sql);
    if (!e && sink.nparts) {
        e = sink_end_part(&sink, true);
        uint64_t rows = 0;
        for (size_t i = 0; i < sink.nparts; i++)
            rows += sink.parts[i].rows;
        if (!e && rows != job->rows)
            e = ERROR_NEW(ERR_DATA, "the parts of the file hold %llu rows, COPY reported %llu",
                          (unsigned long long)rows, (unsigned long long)job->rows);
    } else if (!e && sink.pack) {
        e = pack_finish(sink.pack);
        if (!e && pack_rows(sink.pack) != job->rows)
            e = ERROR_NEW(ERR_DATA, "packed %llu rows, COPY reported %llu",
                          (unsigned long long)pack_rows(sink.pack),
                          (unsigned long long)job->rows);
    } else if (!e) {
        e = sink_flush(&sink);
    }
    pack_free(sink.pack);
    free(sink.buf);
    if (!e && sink.nparts) {
        job->parts = sink.parts;
        job->nparts = sink.nparts;
        sink.parts = NULL;
    }
    free(sink.parts);
    if (e) {
        /* A shared file is dropped by the batch, which fails. */
        if (!b)
            codec_writer_abort(sink.writer);
        return error_prefix(e, "could not back up table %s", t->qualified);
    }
    if (!b) {
        e = codec_writer_close(sink.writer, &job->raw_bytes, &job->file_bytes);
        return e ? error_prefix(e, "could not back up table %s", t->qualified) : NULL;
    }
    CodecPart part;
    e = codec_writer_end_part(b->writer, &part);
    if (e)
        return error_prefix(e, "could not back up table %s", t->qualified);
    job->file = xstrdup(b->file);
    job->offset = part.offset;
    job->raw_bytes = part.raw_bytes;
    job->file_bytes = part.file_bytes;
    memcpy(job->checksum, part.checksum, sizeof part.checksum);
    b->jobs[b->n++] = job;
    return NULL;
}

/* One table in a transaction of its own, importing the snapshot (also for
 * the first table): every table is read as of the same instant. */
static void run_single(Worker *w, DataJob *job)
{
    job->worker = w->id;
    if (conn_stop_requested()) {
        job->status = JOB_SKIPPED;
        return;
    }
    bool busy = false, gone = false;
    TableIdentity id = table_identity(job->table);
    Error *e = snapshot_begin_table(w->conn, w->in->snapshot_id, w->in->server, &id, &busy, &gone,
                                    &job->change);
    if (!e && (busy || gone)) {
        e = snapshot_rollback(w->conn);
        job->status = e ? JOB_FAILED : busy ? JOB_DEFERRED : JOB_GONE;
        job->err = e;
        return;
    }
    if (!e) {
        log_verbose("copying table %s", job->table->qualified);
        e = copy_table(w->conn, w->in, job, NULL);
    }
    if (!e)
        e = snapshot_commit(w->conn);
    if (e) {
        error_free(snapshot_rollback(w->conn));
        job->status = JOB_FAILED;
        job->err = e;
    } else {
        job->status = JOB_DONE;
    }
}

/* Small tables are copied several to a transaction: with thousands of
 * tables of a few rows, a transaction, a snapshot import, a lock statement
 * and a check per table cost more than the rows. The batch imports the same
 * snapshot as every other transaction, locks all its tables NOWAIT in one
 * statement and checks each for DDL changes, in one round trip; then each
 * table is copied as it would be alone. When one of them is busy (or gone)
 * the batch is rolled back before anything was copied and each of its
 * tables starts on its own, so that only the busy one is deferred.
 * Large tables keep a transaction each. Batches are bounded in tables (the
 * locks a worker holds at once), in bytes, and in time: a batch that runs
 * longer than BATCH_MAX_SECONDS (a table larger than its size estimate)
 * commits after the table at hand and its remaining tables start again, so
 * that no table stays locked long before its copy. Batches shrink towards
 * the end so that the workers finish together. The tables of a batch
 * share one data file (Bundle). */

/* One transaction for batch[0, n): returns how many tables it copied
 * (the rest start a transaction of their own), all n when it is done with
 * the batch (copied, deferred, failed or skipped). */
static size_t run_batch_once(Worker *w, DataJob **batch, size_t n)
{
    if (conn_stop_requested()) {
        for (size_t i = 0; i < n; i++) {
            batch[i]->worker = w->id;
            batch[i]->status = JOB_SKIPPED;
        }
        return n;
    }
    TableIdentity *ids = xcalloc(n, sizeof *ids);
    char **changes = xcalloc(n, sizeof *changes);
    for (size_t i = 0; i < n; i++)
        ids[i] = table_identity(batch[i]->table);
    bool retry = false;
    Error *e = snapshot_begin_batch(w->conn, w->in->snapshot_id, w->in->server, ids, n, &retry,
                                    changes);
    free(ids);
    if (e || retry) {
        free(changes);
        if (e) {
            log_verbose("%s; starting its %zu tables one by one", e->message, n);
            error_free(e);
        } else {
            log_verbose("a table of a batch of %zu is locked or gone; starting them one by one",
                        n);
        }
        e = snapshot_rollback(w->conn);
        if (e) {
            batch[0]->worker = w->id;
            batch[0]->status = JOB_FAILED;
            batch[0]->err = e;
            for (size_t i = 1; i < n; i++) {
                batch[i]->worker = w->id;
                batch[i]->status = JOB_SKIPPED;
            }
            return n;
        }
        for (size_t i = 0; i < n; i++)
            run_single(w, batch[i]);
        return n;
    }
    double t0 = now_monotonic();
    DataJob *failed = NULL;
    size_t copied = n;
    Bundle bundle = {0};
    for (size_t i = 0; i < n; i++) {
        DataJob *job = batch[i];
        job->worker = w->id;
        job->change = changes[i];
        changes[i] = NULL;
        if (failed || conn_stop_requested()) {
            job->status = JOB_SKIPPED;
            continue;
        }
        log_verbose("copying table %s", job->table->qualified);
        e = copy_table(w->conn, w->in, job, &bundle);
        if (e) {
            job->status = JOB_FAILED;
            job->err = e;
            failed = job;
        } else {
            job->status = JOB_DONE;
        }
        /* A table larger than its estimate: the others of the batch are
         * not kept locked for longer; they start again, in a transaction
         * of their own that locks and checks them anew. */
        if (!failed && i + 1 < n && now_monotonic() - t0 > BATCH_MAX_SECONDS) {
            copied = i + 1;
            break;
        }
    }
    for (size_t i = copied; i < n; i++)
        free(changes[i]);
    free(changes);
    if (failed) {
        /* Their shared file is gone with the batch, which fails. */
        for (size_t i = 0; i < n && batch[i] != failed; i++)
            batch[i]->status = JOB_SKIPPED;
        bundle_discard(&bundle);
        error_free(snapshot_rollback(w->conn));
        return n;
    }
    e = bundle_close(&bundle);
    free(bundle.file);
    if (!e)
        e = snapshot_commit(w->conn);
    if (e) {
        error_free(snapshot_rollback(w->conn));
        /* The copies are complete, but the backup fails with the error. */
        batch[0]->status = JOB_FAILED;
        batch[0]->err = e;
        for (size_t i = 1; i < n; i++) {
            batch[i]->worker = w->id;
            batch[i]->status = JOB_SKIPPED;
        }
        return n;
    }
    return copied;
}

static void run_batch(Worker *w, DataJob **batch, size_t n)
{
    while (n > 1) {
        size_t done = run_batch_once(w, batch, n);
        batch += done;
        n -= done;
    }
    if (n == 1)
        run_single(w, batch[0]);
}

static bool batchable(const DataJob *job)
{
    return job->table->size <= BATCH_SMALL_TABLE;
}

static void *worker_main(void *arg)
{
    Worker *w = arg;
    log_set_process(w->id);
    DataJob *batch[BATCH_MAX_TABLES];
    DataJob *next = NULL;
    for (;;) {
        DataJob *job = next ? next : jobq_pop(w->work);
        next = NULL;
        if (!job)
            break;
        size_t n = 1;
        batch[0] = job;
        if (batchable(job) && !conn_stop_requested()) {
            /* The queue is complete before the workers start and ordered
             * largest first: what follows a small table is small. At most
             * an equal share of what is left, so that no worker sits idle
             * at the end while another copies a long batch. */
            size_t share = jobq_len(w->work) / (size_t)w->nworkers + 1;
            size_t limit = share < w->batch_max ? share : w->batch_max;
            uint64_t bytes = job->table->size;
            while (n < limit) {
                DataJob *more = jobq_try_pop(w->work);
                if (!more)
                    break;
                if (!batchable(more) || bytes + more->table->size > BATCH_MAX_BYTES) {
                    next = more;
                    break;
                }
                bytes += more->table->size;
                batch[n++] = more;
            }
        }
        if (n == 1)
            run_single(w, job);
        else
            run_batch(w, batch, n);
        for (size_t i = 0; i < n; i++)
            jobq_push(w->results, batch[i]);
    }
    codec_thread_done();
    return NULL;
}

/* Largest first: the long tables start at once and the small ones fill the
 * gaps at the end, instead of one big table running alone at the end. */
static int job_order(const void *a, const void *b)
{
    const DataJob *x = *(DataJob *const *)a, *y = *(DataJob *const *)b;
    if (x->table->size != y->table->size)
        return x->table->size > y->table->size ? -1 : 1;
    return x->table->oid < y->table->oid ? -1 : x->table->oid > y->table->oid;
}

/* A batch holds the locks of all its tables at once: at most
 * max_locks_per_transaction of them, the share of the server's lock table
 * that a transaction is sized for, so that batches never crowd out the
 * locks of other sessions (or of the leader, which in the default mode
 * holds one per table). */
static Error *batch_limit(Conn *leader, size_t *limit)
{
    *limit = 1;
    Result *r;
    Error *e = conn_query(leader, "SELECT pg_catalog.current_setting('max_locks_per_transaction')",
                          &r);
    if (e)
        return error_prefix(e, "could not read max_locks_per_transaction");
    long v = strtol(result_get(r, 0, 0), NULL, 10);
    result_free(r);
    if (v > 1)
        *limit = (size_t)v < BATCH_MAX_TABLES ? (size_t)v : BATCH_MAX_TABLES;
    return NULL;
}

static Error *open_workers(const DataPhaseInput *in, Worker *workers, int n, JobQueue *work,
                           JobQueue *results)
{
    size_t batch_max;
    Error *le = batch_limit(in->leader, &batch_max);
    if (le)
        return le;
    for (int i = 0; i < n; i++) {
        Worker *w = &workers[i];
        w->id = i + 1;
        w->nworkers = n;
        w->batch_max = batch_max;
        w->in = in;
        w->work = work;
        w->results = results;
        Error *e = conn_open(&in->opts->conn, NULL, in->application_name, &w->conn);
        if (!e)
            e = conn_set_session_defaults(w->conn);
        if (!e && in->data_path == DATA_SEGMENTS)
            e = cluster_prepare_session(w->conn, in->server);
        if (!e && in->encoding) {
            char *lit = conn_quote_literal(w->conn, in->encoding);
            e = conn_execf(w->conn, "SET client_encoding = %s", lit);
            free(lit);
        }
        if (e)
            return error_prefix(e, "could not open worker connection %d", w->id);
    }
    return NULL;
}

/* The leader copies a table a worker could not lock. In the default mode it
 * holds every lock already. With --no-lock it must take this one, waiting at
 * most --lock-wait-timeout, inside a savepoint so that a timeout costs the
 * table, not the snapshot. */
static void leader_copy(const DataPhaseInput *in, DataJob *job)
{
    Conn *c = in->leader;
    job->worker = 0;
    Error *e = NULL;
    if (in->no_lock) {
        e = conn_exec(c, "SAVEPOINT gpbackup_deferred");
        if (!e && in->opts->lock_wait_timeout > 0)
            e = conn_execf(c, "SET LOCAL lock_timeout = %d", in->opts->lock_wait_timeout * 1000);
        if (!e) {
            char *names[1] = {job->table->qualified};
            char *sql = snapshot_lock_statement(in->server, names, 1, false);
            e = conn_exec(c, sql);
            free(sql);
        }
        if (e && (strcmp(e->sqlstate, "55P03") == 0 || strcmp(e->sqlstate, "42P01") == 0)) {
            bool gone = strcmp(e->sqlstate, "42P01") == 0;
            error_free(e);
            e = conn_exec(c, "ROLLBACK TO SAVEPOINT gpbackup_deferred");
            if (!e) {
                job->status = JOB_GONE;
                job->change = xstrdup(gone ? "dropped or renamed during the backup"
                                           : "still locked by another session when "
                                             "--lock-wait-timeout ran out");
                return;
            }
        }
        if (!e)
            e = conn_exec(c, "SET LOCAL lock_timeout = 0");
        if (!e)
            e = conn_exec(c, "RELEASE SAVEPOINT gpbackup_deferred");
    }
    TableIdentity id = table_identity(job->table);
    if (!e)
        e = snapshot_check_table(c, &id, &job->change);
    if (!e)
        e = copy_table(c, in, job, NULL);
    job->status = e ? JOB_FAILED : JOB_DONE;
    job->err = e;
}

static void note_change(DataPhaseStats *st, const DataJob *job)
{
    if (!job->change)
        return;
    char *name = filter_format_table_name(job->table->schema, job->table->name);
    if (job->status == JOB_GONE)
        log_warning("table %s was not backed up: %s", job->table->qualified, job->change);
    else
        log_warning("table %s changed during the backup: %s; its data is from after the "
                    "change, not from the snapshot",
                    job->table->qualified, job->change);
    strlist_push(&st->changed_tables, name);
    char *what = job->status == JOB_GONE ? xasprintf("not backed up: %s", job->change)
                                         : xstrdup(job->change);
    strlist_push(&st->changes, what);
    free(what);
    free(name);
}

static void record_done(Toc *toc, DataFormat set_format, DataPhaseStats *st, DataJob *job)
{
    const TableInfo *t = job->table;
    TocDataEntry de = {0};
    de.schema = t->schema;
    de.name = t->name;
    de.oid = t->oid;
    de.isreplicated = t->replicated;
    de.attributestring = t->copy_columns;
    de.rowscopied = job->rows;
    char empty[1] = "";
    de.partitionroot = empty;
    de.file = job->file;
    de.rawbytes = job->raw_bytes;
    de.filebytes = job->file_bytes;
    memcpy(de.checksum, job->checksum, sizeof de.checksum);
    de.has_offset = job->has_offset;
    de.offset = job->offset;
    de.parts = job->parts;
    de.nparts = job->nparts;
    de.segments = job->segments;
    de.nsegments = job->nsegments;
    /* Named per table only in a binary or packed set: every table of a csv
     * set follows its dataformat. */
    char fmt[16];
    snprintf(fmt, sizeof fmt, "%s", data_format_name(job->format));
    if (set_format != DATA_FORMAT_CSV)
        de.dataformat = fmt;
    if (set_format != DATA_FORMAT_CSV && job->format == DATA_FORMAT_CSV)
        st->tables_csv++;
    toc_add_data(toc, &de);
    if (job->has_offset)
        st->tables_shared++;
    if (job->shared) {
        st->shared_files = xrealloc(st->shared_files,
                                    (st->nshared_files + 1) * sizeof *st->shared_files);
        st->shared_files[st->nshared_files++] = *job->shared;
        free(job->shared);
        job->shared = NULL;
    }
    st->tables_done++;
    st->rows += job->rows;
    st->raw_bytes += job->raw_bytes;
    st->file_bytes += job->file_bytes;
    log_verbose("table %s: %llu rows, %llu bytes (worker %d)", t->qualified,
                (unsigned long long)job->rows, (unsigned long long)job->raw_bytes, job->worker);
}

struct DataPhase {
    const DataPhaseInput *in;
    DataJob **jobs;
    size_t njobs;
    uint64_t total_work;
    int nworkers;
    int started;
    JobQueue *work;
    JobQueue *results;
    Worker *workers;
    Error *err;
};

DataPhase *backup_data_start(const DataPhaseInput *in)
{
    DataPhase *ph = xcalloc(1, sizeof *ph);
    ph->in = in;
    size_t n = in->tables->n;
    /* Partitioned tables hold no rows of their own: their partitions are
     * copied as tables. */
    ph->jobs = xcalloc(n + 1, sizeof *ph->jobs);
    for (size_t i = 0; i < n; i++) {
        if (in->tables->items[i].relkind != 'r' || in->tables->items[i].no_data)
            continue;
        DataJob *j = xcalloc(1, sizeof *j);
        j->table = &in->tables->items[i];
        ph->jobs[ph->njobs++] = j;
        ph->total_work += j->table->size + 8192;
    }
    qsort(ph->jobs, ph->njobs, sizeof *ph->jobs, job_order);

    ph->nworkers = in->opts->jobs < (int)ph->njobs ? in->opts->jobs : (int)ph->njobs;
    ph->work = jobq_new();
    ph->results = jobq_new();
    ph->workers = xcalloc((size_t)ph->nworkers + 1, sizeof *ph->workers);
    Error *err = open_workers(in, ph->workers, ph->nworkers, ph->work, ph->results);
    if (!err) {
        for (size_t i = 0; i < ph->njobs; i++)
            jobq_push(ph->work, ph->jobs[i]);
        jobq_close(ph->work);
        for (; ph->started < ph->nworkers; ph->started++) {
            if (pthread_create(&ph->workers[ph->started].thread, NULL, worker_main,
                               &ph->workers[ph->started])) {
                err = ERROR_NEW(ERR_INTERNAL, "could not start worker thread");
                break;
            }
        }
    }
    if (err) {
        /* Nothing was handed out, or the started workers drain the queue. */
        conn_request_stop();
        ph->err = err;
        return ph;
    }
    log_info("backing up %zu tables with %d worker%s", ph->njobs, ph->nworkers,
             ph->nworkers == 1 ? "" : "s");
    return ph;
}

void backup_data_abort(DataPhase *ph)
{
    (void)ph;
    conn_request_stop();
    conn_cancel_all();
}

Error *backup_data_finish(DataPhase *ph, Toc *toc, DataPhaseStats *st)
{
    memset(st, 0, sizeof *st);
    const DataPhaseInput *in = ph->in;
    size_t njobs = ph->njobs;
    DataJob **jobs = ph->jobs;
    Error *err = ph->err;
    ph->err = NULL;
    Progress *prog = progress_new("tables backed up", (int)njobs, ph->total_work, true);
    size_t pending = ph->started ? njobs : 0;
    uint64_t work_done = 0;
    DataJob **deferred = xcalloc(njobs + 1, sizeof *deferred);
    size_t ndeferred = 0, next_deferred = 0;
    double last_ping = now_monotonic();
    JobQueue *results = ph->results;
    while (pending > 0) {
        DataJob *job = NULL;
        if (next_deferred < ndeferred && !conn_stop_requested()) {
            /* The leader holds every lock already, so it cannot be stuck
             * behind a queued ACCESS EXCLUSIVE request: copy it here. */
            job = deferred[next_deferred++];
            log_info("copying deferred table %s on connection 0", job->table->qualified);
            leader_copy(in, job);
            if (job->status == JOB_DONE)
                st->tables_deferred++;
        } else if (next_deferred < ndeferred) {
            job = deferred[next_deferred++];
            job->status = JOB_SKIPPED;
        } else {
            job = jobq_pop_timeout(results, 200);
            if (!job) {
                progress_update(prog, st->tables_done, work_done, st->raw_bytes);
                /* The leader's session holds the snapshot and the locks: if
                 * the server ended it, the backup cannot be consistent. Find
                 * out within seconds, not at the final commit. */
                if (!err && now_monotonic() - last_ping > 5.0) {
                    last_ping = now_monotonic();
                    Error *pe = conn_exec(in->leader, "SELECT 1");
                    if (pe) {
                        err = error_prefix(pe, "the leader connection (connection 0) failed");
                        conn_request_stop();
                        conn_cancel_all();
                    }
                }
                continue;
            }
        }
        switch (job->status) {
        case JOB_DEFERRED:
            log_info("table %s is locked by another session: deferred to connection 0",
                     job->table->qualified);
            deferred[ndeferred++] = job;
            continue; /* still pending */
        case JOB_DONE:
            note_change(st, job);
            record_done(toc, in->data_format, st, job);
            work_done += job->table->size + 8192;
            break;
        case JOB_GONE:
            if (!job->change)
                job->change = xstrdup("dropped or renamed during the backup");
            note_change(st, job);
            work_done += job->table->size + 8192;
            break;
        case JOB_FAILED:
            if (!err) {
                err = job->err;
                job->err = NULL;
                /* Fail fast: the other workers' statements are canceled and
                 * they take no new table. */
                conn_request_stop();
                conn_cancel_all();
            }
            break;
        default:
            break;
        }
        pending--;
        progress_update(prog, st->tables_done, work_done, st->raw_bytes);
    }
    progress_finish(prog);
    for (int i = 0; i < ph->started; i++)
        pthread_join(ph->workers[i].thread, NULL);
    for (int i = 0; i < ph->nworkers; i++)
        conn_close(ph->workers[i].conn);
    if (!err && conn_stop_requested())
        err = ERROR_NEW(ERR_CANCELED, "backup canceled");
    for (size_t i = 0; i < njobs; i++) {
        error_free(jobs[i]->err);
        free(jobs[i]->file);
        free(jobs[i]->segments);
        free(jobs[i]->parts);
        free(jobs[i]->change);
        if (jobs[i]->shared)
            free(jobs[i]->shared->name);
        free(jobs[i]->shared);
        free(jobs[i]);
    }
    free(jobs);
    free(deferred);
    free(ph->workers);
    jobq_free(ph->work);
    jobq_free(ph->results);
    free(ph);
    return err;
}

void data_phase_stats_free(DataPhaseStats *st)
{
    strlist_free(&st->changed_tables);
    strlist_free(&st->changes);
    for (size_t i = 0; i < st->nshared_files; i++)
        free(st->shared_files[i].name);
    free(st->shared_files);
    st->shared_files = NULL;
    st->nshared_files = 0;
}

Error *backup_data_run(const DataPhaseInput *in, Toc *toc, DataPhaseStats *st)
{
    return backup_data_finish(backup_data_start(in), toc, st);
}
