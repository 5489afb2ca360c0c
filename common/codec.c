/* Compression codecs for table data files: a streaming writer that
 * compresses into "<path>.tmp" and publishes the file on close, and a
 * streaming reader that decompresses and treats any truncation or corruption
 * as ERR_FORMAT. Owns the zstd and zlib contexts; files go through fileio. */
#include "codec.h"

#include "checksum.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#define ZLIB_CONST /* next_in becomes const, matching our const input */
#include <zlib.h>
#include <zstd.h>

#include "fileio.h"
#include "util.h"

/* Large buffers keep the write(2) count low for multi-GB tables while the
 * per-worker memory stays small. */
#define WRITE_BUF_SIZE (1024 * 1024)
#define READ_BUF_SIZE (256 * 1024)

static bool codec_valid(CodecType t)
{
    return t == CODEC_NONE || t == CODEC_GZIP || t == CODEC_ZSTD;
}

Error *codec_parse(const char *name, CodecType *out)
{
    static const CodecType all[] = {CODEC_ZSTD, CODEC_GZIP, CODEC_NONE};
    for (size_t i = 0; name && i < sizeof all / sizeof all[0]; i++) {
        if (strcmp(name, codec_name(all[i])) == 0) {
            *out = all[i];
            return NULL;
        }
    }
    return error_hint(ERROR_NEW(ERR_USAGE, "invalid compression type \"%s\"",
                                name ? name : ""),
                      "Valid compression types are \"zstd\", \"gzip\" and \"none\".");
}

const char *codec_name(CodecType t)
{
    switch (t) {
    case CODEC_ZSTD: return "zstd";
    case CODEC_GZIP: return "gzip";
    case CODEC_NONE: return "none";
    }
    return "unknown";
}

const char *codec_suffix(CodecType t)
{
    switch (t) {
    case CODEC_ZSTD: return ".zst";
    case CODEC_GZIP: return ".gz";
    case CODEC_NONE: return "";
    }
    return "";
}

/* Level 1 on both: backups are I/O bound, and gpbackup also defaults to 1. */
int codec_default_level(CodecType t)
{
    switch (t) {
    case CODEC_ZSTD: return 1;
    case CODEC_GZIP: return 1;
    case CODEC_NONE: return 0;
    }
    return 0;
}

void codec_level_range(CodecType t, int *min, int *max)
{
    int lo = 0, hi = 0;
    switch (t) {
    case CODEC_ZSTD: lo = 1; hi = 19; break;
    case CODEC_GZIP: lo = 1; hi = 9; break;
    case CODEC_NONE: break;
    }
    if (min)
        *min = lo;
    if (max)
        *max = hi;
}

/* --------------------------------------------------- per-thread contexts */

/* A zstd context is a few hundred kilobytes whose tables are set up on
 * creation: for ten thousand small tables, creating one per file cost more
 * than compressing the rows. Each thread keeps the last context it
 * finished with and the next file reuses it (reset to the defaults, so a
 * file's parameters never leak into the next). */
static _Thread_local ZSTD_CCtx *spare_cctx;
static _Thread_local ZSTD_DCtx *spare_dctx;

static ZSTD_CCtx *cctx_take(void)
{
    ZSTD_CCtx *c = spare_cctx;
    spare_cctx = NULL;
    return c ? c : ZSTD_createCCtx();
}

static void cctx_give_back(ZSTD_CCtx *c)
{
    if (!c)
        return;
    if (spare_cctx || ZSTD_isError(ZSTD_CCtx_reset(c, ZSTD_reset_session_and_parameters))) {
        ZSTD_freeCCtx(c);
        return;
    }
    spare_cctx = c;
}

static ZSTD_DCtx *dctx_take(void)
{
    ZSTD_DCtx *d = spare_dctx;
    spare_dctx = NULL;
    return d ? d : ZSTD_createDCtx();
}

static void dctx_give_back(ZSTD_DCtx *d)
{
    if (!d)
        return;
    if (spare_dctx || ZSTD_isError(ZSTD_DCtx_reset(d, ZSTD_reset_session_and_parameters))) {
        ZSTD_freeDCtx(d);
        return;
    }
    spare_dctx = d;
}

void codec_thread_done(void)
{
    ZSTD_freeCCtx(spare_cctx);
    ZSTD_freeDCtx(spare_dctx);
    spare_cctx = NULL;
    spare_dctx = NULL;
}

/* ---------------------------------------------------------------- writer */

struct CodecWriter {
    CodecType type;
    char *path;
    char *tmp_path;
    int fd;
    bool failed;          /* a write failed: the stream is unusable */
    bool defer_sync;      /* the caller syncs the whole directory later */
    Checksum *sum;        /* of the bytes written to the file */
    char *sum_out;        /* where close puts the checksum, or NULL */
    uint64_t raw_bytes;
    uint64_t file_bytes;
    /* Parts (codec_writer_end_part): each a compressed stream of its own. */
    Checksum *part_sum;   /* of the current part's file bytes; NULL until asked */
    uint64_t part_start;  /* file offset where the current part starts */
    uint64_t part_raw;    /* raw_bytes when the current part started */
    bool part_open;       /* bytes written since the last part ended */
    bool any_part;        /* a part was ended */
    unsigned char *out;   /* compressed bytes not yet written */
    size_t out_len;
    ZSTD_CCtx *zc;
    z_stream zs;
    bool zs_ready;
};

static Error *writer_flush(CodecWriter *w)
{
    if (w->out_len == 0)
        return NULL;
    Error *err = file_write_all(w->fd, w->out, w->out_len, w->tmp_path);
    if (err)
        return err;
    checksum_update(w->sum, w->out, w->out_len);
    if (w->part_sum)
        checksum_update(w->part_sum, w->out, w->out_len);
    w->file_bytes += w->out_len;
    w->out_len = 0;
    return NULL;
}

static void writer_free(CodecWriter *w)
{
    checksum_free(w->sum);
    checksum_free(w->part_sum);
    cctx_give_back(w->zc);
    if (w->zs_ready)
        deflateEnd(&w->zs);
    free(w->out);
    free(w->path);
    free(w->tmp_path);
    free(w);
}

/* Close the descriptor if still open, drop the temporary file, free w. */
static void writer_discard(CodecWriter *w)
{
    if (w->fd >= 0)
        error_free(file_close(w->fd, w->tmp_path));
    file_remove(w->tmp_path);
    writer_free(w);
}

Error *codec_writer_open(const char *path, CodecType t, int level, CodecWriter **out)
{
    *out = NULL;
    int lo, hi;
    codec_level_range(t, &lo, &hi);
    if (!codec_valid(t))
        return ERROR_NEW(ERR_INTERNAL, "invalid codec type %d", (int)t);
    if (level < lo || level > hi)
        return error_detail(ERROR_NEW(ERR_USAGE, "invalid %s compression level %d",
                                      codec_name(t), level),
                            "Valid levels are %d to %d.", lo, hi);

    CodecWriter *w = xcalloc(1, sizeof *w);
    w->sum = checksum_new();
    w->type = t;
    w->fd = -1;
    w->path = xstrdup(path);
    w->tmp_path = xasprintf("%s.tmp", path);
    w->out = xmalloc(WRITE_BUF_SIZE);

    if (t == CODEC_ZSTD) {
        w->zc = cctx_take();
        if (!w->zc) {
            writer_free(w);
            return ERROR_NEW(ERR_INTERNAL, "could not create zstd compression context");
        }
        size_t r = ZSTD_CCtx_setParameter(w->zc, ZSTD_c_compressionLevel, level);
        /* The frame checksum lets the reader (and zstd -t) detect bit rot,
         * which the compressed format alone does not always catch. */
        if (!ZSTD_isError(r))
            r = ZSTD_CCtx_setParameter(w->zc, ZSTD_c_checksumFlag, 1);
        if (ZSTD_isError(r)) {
            writer_free(w);
            return ERROR_NEW(ERR_INTERNAL, "could not set zstd compression level %d: %s",
                             level, ZSTD_getErrorName(r));
        }
    } else if (t == CODEC_GZIP) {
        /* windowBits 15 + 16 asks zlib for gzip framing (header and CRC-32
         * trailer) instead of a zlib stream, so gzip -d reads the files. */
        int r = deflateInit2(&w->zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
        if (r != Z_OK) {
            writer_free(w);
            return ERROR_NEW(ERR_INTERNAL, "could not initialize gzip compression: %s",
                             zError(r));
        }
        w->zs_ready = true;
    }

    Error *err = file_create(w->tmp_path, &w->fd);
    if (err) {
        w->fd = -1;
        writer_free(w);
        return err;
    }
    *out = w;
    return NULL;
}

static Error *zstd_step(CodecWriter *w, const void *buf, size_t len, ZSTD_EndDirective mode)
{
    ZSTD_inBuffer in = {buf, len, 0};
    for (;;) {
        ZSTD_outBuffer ob = {w->out, WRITE_BUF_SIZE, w->out_len};
        size_t left = ZSTD_compressStream2(w->zc, &ob, &in, mode);
        w->out_len = ob.pos;
        if (ZSTD_isError(left))
            return ERROR_NEW(ERR_INTERNAL, "could not compress data for file \"%s\": %s",
                             w->path, ZSTD_getErrorName(left));
        if (w->out_len == WRITE_BUF_SIZE) {
            Error *err = writer_flush(w);
            if (err)
                return err;
        }
        /* ZSTD_e_continue is done once all input is consumed; ZSTD_e_end
         * only when nothing remains to be flushed out of the context. */
        if (mode == ZSTD_e_continue ? in.pos == in.size : left == 0)
            return NULL;
    }
}

static Error *gzip_step(CodecWriter *w, const void *buf, size_t len, int flush)
{
    const unsigned char *p = buf;
    for (;;) {
        /* avail_in is a uInt, so huge buffers are fed in slices. */
        if (w->zs.avail_in == 0 && len > 0) {
            uInt chunk = len > UINT_MAX ? UINT_MAX : (uInt)len;
            w->zs.next_in = p;
            w->zs.avail_in = chunk;
            p += chunk;
            len -= chunk;
        }
        w->zs.next_out = w->out + w->out_len;
        w->zs.avail_out = (uInt)(WRITE_BUF_SIZE - w->out_len);
        int r = deflate(&w->zs, len > 0 ? Z_NO_FLUSH : flush);
        w->out_len = WRITE_BUF_SIZE - w->zs.avail_out;
        if (r == Z_STREAM_ERROR)
            return ERROR_NEW(ERR_INTERNAL, "could not compress data for file \"%s\": %s",
                             w->path, w->zs.msg ? w->zs.msg : zError(r));
        if (w->out_len == WRITE_BUF_SIZE) {
            Error *err = writer_flush(w);
            if (err)
                return err;
        }
        if (flush == Z_FINISH ? r == Z_STREAM_END : (w->zs.avail_in == 0 && len == 0))
            return NULL;
    }
}

/* End the compressed stream (zstd frame, gzip member) written so far. */
static Error *finish_stream(CodecWriter *w)
{
    if (w->type == CODEC_ZSTD)
        return zstd_step(w, NULL, 0, ZSTD_e_end);
    if (w->type == CODEC_GZIP)
        return gzip_step(w, NULL, 0, Z_FINISH);
    return NULL;
}

Error *codec_writer_end_part(CodecWriter *w, CodecPart *part)
{
    memset(part, 0, sizeof *part);
    Error *err = NULL;
    if (w->failed)
        err = ERROR_NEW(ERR_INTERNAL, "could not write file \"%s\": an earlier write failed",
                        w->tmp_path);
    if (!err)
        err = finish_stream(w);
    if (!err)
        err = writer_flush(w);
    /* The next part's gzip member starts with a fresh header; zstd starts
     * a new frame by itself after ZSTD_e_end. */
    if (!err && w->type == CODEC_GZIP && deflateReset(&w->zs) != Z_OK)
        err = ERROR_NEW(ERR_INTERNAL, "could not reset gzip compression for file \"%s\"",
                        w->tmp_path);
    if (err) {
        w->failed = true;
        return err;
    }
    part->offset = w->part_start;
    part->raw_bytes = w->raw_bytes - w->part_raw;
    part->file_bytes = w->file_bytes - w->part_start;
    /* Until the first part ends, its checksum is the file's so far. */
    checksum_hex(w->part_sum ? w->part_sum : w->sum, part->checksum);
    checksum_free(w->part_sum);
    w->part_sum = checksum_new();
    w->part_start = w->file_bytes;
    w->part_raw = w->raw_bytes;
    w->part_open = false;
    w->any_part = true;
    return NULL;
}

Error *codec_writer_write(CodecWriter *w, const void *buf, size_t len)
{
    if (w->failed)
        return ERROR_NEW(ERR_INTERNAL, "could not write file \"%s\": an earlier write failed",
                         w->tmp_path);
    if (len == 0)
        return NULL;
    w->part_open = true;
    Error *err = NULL;
    switch (w->type) {
    case CODEC_ZSTD:
        err = zstd_step(w, buf, len, ZSTD_e_continue);
        break;
    case CODEC_GZIP:
        err = gzip_step(w, buf, len, Z_NO_FLUSH);
        break;
    case CODEC_NONE:
        /* Small COPY rows are gathered; large writes skip the copy. */
        if (w->out_len + len <= WRITE_BUF_SIZE) {
            memcpy(w->out + w->out_len, buf, len);
            w->out_len += len;
            if (w->out_len == WRITE_BUF_SIZE)
                err = writer_flush(w);
        } else {
            err = writer_flush(w);
            if (!err)
                err = file_write_all(w->fd, buf, len, w->tmp_path);
            if (!err) {
                checksum_update(w->sum, buf, len);
                if (w->part_sum)
                    checksum_update(w->part_sum, buf, len);
                w->file_bytes += len;
            }
        }
        break;
    }
    if (err) {
        w->failed = true;
        return err;
    }
    w->raw_bytes += len;
    return NULL;
}

Error *codec_writer_close(CodecWriter *w, uint64_t *raw_bytes, uint64_t *file_bytes)
{
    Error *err = NULL;
    if (w->failed)
        err = ERROR_NEW(ERR_INTERNAL, "could not finish file \"%s\": an earlier write failed",
                        w->tmp_path);
    else if (w->part_open || !w->any_part)
        err = finish_stream(w);
    if (!err)
        err = writer_flush(w);
    if (!err && !w->defer_sync)
        err = file_fsync_fd(w->fd, w->tmp_path);
    if (!err) {
        err = file_close(w->fd, w->tmp_path);
        w->fd = -1;
    }
    if (!err)
        err = file_rename(w->tmp_path, w->path);
    if (err) {
        writer_discard(w);
        return err;
    }
    if (!w->defer_sync) {
        char *dir = path_dirname(w->path);
        err = file_fsync_dir(dir);
        free(dir);
    }
    if (err) {
        /* Not durable means not written: the caller will fail this table,
         * and the promise is that a failed table leaves no file behind. */
        file_remove(w->path);
        writer_free(w);
        return err;
    }
    if (raw_bytes)
        *raw_bytes = w->raw_bytes;
    if (file_bytes)
        *file_bytes = w->file_bytes;
    if (w->sum_out)
        checksum_hex(w->sum, w->sum_out);
    writer_free(w);
    return NULL;
}

void codec_writer_checksum_to(CodecWriter *w, char *out)
{
    w->sum_out = out;
}

void codec_writer_defer_sync(CodecWriter *w)
{
    w->defer_sync = true;
}

void codec_writer_abort(CodecWriter *w)
{
    if (w)
        writer_discard(w);
}

/* ---------------------------------------------------------------- reader */

struct CodecReader {
    CodecType type;
    char *path;
    int fd;
    unsigned char *in;
    size_t in_len;
    size_t in_pos;
    bool eof;             /* the file has no more bytes */
    bool in_frame;        /* a zstd frame or gzip member is started, not ended */
    bool any_frame;       /* at least one frame or member ended */
    ZSTD_DCtx *dz;
    z_stream zs;
    bool zs_ready;
    Checksum *sum;        /* of the file bytes read so far */
    uint64_t file_bytes;
    uint64_t limit;       /* the most file bytes to read (a range), or UINT64_MAX */
};

Error *codec_reader_open(const char *path, CodecType t, CodecReader **out)
{
    return codec_reader_open_range(path, t, 0, UINT64_MAX, out);
}

Error *codec_reader_open_range(const char *path, CodecType t, uint64_t offset, uint64_t length,
                               CodecReader **out)
{
    *out = NULL;
    if (!codec_valid(t))
        return ERROR_NEW(ERR_INTERNAL, "invalid codec type %d", (int)t);
    CodecReader *r = xcalloc(1, sizeof *r);
    r->type = t;
    r->fd = -1;
    r->path = xstrdup(path);
    r->sum = checksum_new();
    r->limit = length;
    if (t != CODEC_NONE)
        r->in = xmalloc(READ_BUF_SIZE);

    if (t == CODEC_ZSTD) {
        r->dz = dctx_take();
        if (!r->dz) {
            codec_reader_close(r);
            return ERROR_NEW(ERR_INTERNAL, "could not create zstd decompression context");
        }
    } else if (t == CODEC_GZIP) {
        /* 15 + 32: detect gzip or zlib headers automatically. */
        int zr = inflateInit2(&r->zs, 15 + 32);
        if (zr != Z_OK) {
            codec_reader_close(r);
            return ERROR_NEW(ERR_INTERNAL, "could not initialize gzip decompression: %s",
                             zError(zr));
        }
        r->zs_ready = true;
    }

    Error *err = file_open_read_regular(path, &r->fd);
    if (err) {
        r->fd = -1;
        codec_reader_close(r);
        return err;
    }
    if (offset > 0 && (err = file_seek(r->fd, offset, path))) {
        codec_reader_close(r);
        return err;
    }
    *out = r;
    return NULL;
}

/* read(2) of at most cap bytes, and no further than the range's end. */
static Error *read_limited(CodecReader *r, void *buf, size_t cap, size_t *n)
{
    uint64_t left = r->limit - r->file_bytes;
    if (cap > left)
        cap = (size_t)left;
    *n = 0;
    if (cap == 0)
        return NULL;
    Error *err = file_read_some(r->fd, buf, cap, n, r->path);
    if (err)
        return err;
    checksum_update(r->sum, buf, *n);
    r->file_bytes += *n;
    return NULL;
}

static Error *reader_fill(CodecReader *r)
{
    if (r->in_pos < r->in_len || r->eof)
        return NULL;
    size_t n = 0;
    Error *err = read_limited(r, r->in, READ_BUF_SIZE, &n);
    if (err)
        return err;
    r->in_pos = 0;
    r->in_len = n;
    if (n == 0)
        r->eof = true;
    return NULL;
}

static Error *truncated_error(const CodecReader *r)
{
    return error_detail(ERROR_NEW(ERR_FORMAT,
                                  "could not decompress file \"%s\": unexpected end of %s stream",
                                  r->path, codec_name(r->type)),
                        r->any_frame || r->in_frame ? "The file is truncated."
                                                    : "The file is empty.");
}

static Error *zstd_read(CodecReader *r, void *buf, size_t cap, size_t *n)
{
    for (;;) {
        Error *err = reader_fill(r);
        if (err)
            return err;
        if (r->eof && !r->in_frame) {
            if (!r->any_frame)
                return truncated_error(r);
            return NULL;
        }
        ZSTD_inBuffer in = {r->in, r->in_len, r->in_pos};
        ZSTD_outBuffer ob = {buf, cap, 0};
        size_t hint = ZSTD_decompressStream(r->dz, &ob, &in);
        r->in_pos = in.pos;
        if (ZSTD_isError(hint))
            return ERROR_NEW(ERR_FORMAT, "could not decompress file \"%s\": %s",
                             r->path, ZSTD_getErrorName(hint));
        /* 0 means a frame ended and all of it was flushed; anything else
         * means the frame still wants input or holds output for us. */
        r->in_frame = hint != 0;
        if (hint == 0)
            r->any_frame = true;
        if (ob.pos > 0) {
            *n = ob.pos;
            return NULL;
        }
        if (r->eof && r->in_frame)
            return truncated_error(r);
    }
}

static Error *gzip_read(CodecReader *r, void *buf, size_t cap, size_t *n)
{
    uInt room = cap > UINT_MAX ? UINT_MAX : (uInt)cap;
    for (;;) {
        Error *err = reader_fill(r);
        if (err)
            return err;
        if (!r->in_frame) {
            if (r->in_pos == r->in_len) {
                if (!r->any_frame)
                    return truncated_error(r);
                return NULL;
            }
            /* Another member follows (cat a.gz b.gz, as gzip -d accepts):
             * start it with a fresh inflate state. */
            if (r->any_frame && inflateReset(&r->zs) != Z_OK)
                return ERROR_NEW(ERR_INTERNAL, "could not reset gzip decompression");
            r->in_frame = true;
        }
        r->zs.next_in = r->in + r->in_pos;
        r->zs.avail_in = (uInt)(r->in_len - r->in_pos);
        r->zs.next_out = buf;
        r->zs.avail_out = room;
        int zr = inflate(&r->zs, Z_NO_FLUSH);
        r->in_pos = r->in_len - r->zs.avail_in;
        size_t produced = room - r->zs.avail_out;
        switch (zr) {
        case Z_OK:
        case Z_BUF_ERROR:     /* no progress possible: needs more input */
            break;
        case Z_STREAM_END:
            r->in_frame = false;
            r->any_frame = true;
            break;
        case Z_NEED_DICT:
            return ERROR_NEW(ERR_FORMAT, "could not decompress file \"%s\": %s",
                             r->path, "stream needs a preset dictionary");
        case Z_MEM_ERROR:
            return ERROR_NEW(ERR_INTERNAL, "could not decompress file \"%s\": out of memory",
                             r->path);
        default:
            return ERROR_NEW(ERR_FORMAT, "could not decompress file \"%s\": %s",
                             r->path, r->zs.msg ? r->zs.msg : zError(zr));
        }
        if (produced > 0) {
            *n = produced;
            return NULL;
        }
        if (r->eof && r->in_frame && r->in_pos == r->in_len)
            return truncated_error(r);
    }
}

Error *codec_reader_read(CodecReader *r, void *buf, size_t cap, size_t *n)
{
    *n = 0;
    if (cap == 0)
        return NULL;
    switch (r->type) {
    case CODEC_ZSTD:
        return zstd_read(r, buf, cap, n);
    case CODEC_GZIP:
        return gzip_read(r, buf, cap, n);
    case CODEC_NONE:
        return read_limited(r, buf, cap, n);
    }
    return ERROR_NEW(ERR_INTERNAL, "invalid codec type %d", (int)r->type);
}

void codec_reader_checksum(const CodecReader *r, char *out, uint64_t *file_bytes)
{
    checksum_hex(r->sum, out);
    if (file_bytes)
        *file_bytes = r->file_bytes;
}

void codec_reader_close(CodecReader *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        error_free(file_close(r->fd, r->path));
    dctx_give_back(r->dz);
    if (r->zs_ready)
        inflateEnd(&r->zs);
    checksum_free(r->sum);
    free(r->in);
    free(r->path);
    free(r);
}
