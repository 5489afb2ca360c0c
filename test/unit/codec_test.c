/* Unit tests of common/codec.c: round trips of every codec through odd write
 * and read sizes, interoperation with the gzip and zstd programs, concatenated
 * streams, detection of truncated, corrupt and trailing-garbage files, file
 * modes, and that no temporary file outlives a close or an abort. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checksum.h"
#include "codec.h"
#include "fileio.h"
#include "util.h"

static char scratch[64];
static int file_seq;

static const CodecType all_codecs[] = {CODEC_ZSTD, CODEC_GZIP, CODEC_NONE};
#define NCODECS (sizeof all_codecs / sizeof all_codecs[0])

#define ASSERT_OK(expr)                                                         \
    do {                                                                        \
        Error *e_ = (expr);                                                     \
        if (e_) {                                                               \
            print_error("unexpected error: %s\n", e_->message);                 \
            error_free(e_);                                                     \
            fail();                                                             \
        }                                                                       \
    } while (0)

static void expect_error(Error *err, ErrorCode code, const char *want)
{
    assert_non_null(err);
    int code_ok = err->code == code;
    int msg_ok = strstr(err->message, want) != NULL;
    if (!code_ok || !msg_ok)
        print_error("got code %d message \"%s\", wanted code %d containing \"%s\"\n",
                    (int)err->code, err->message, (int)code, want);
    error_free(err);
    assert_true(code_ok);
    assert_true(msg_ok);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int setup(void **state)
{
    strcpy(scratch, "/tmp/gpb_codec_XXXXXX");
    if (!mkdtemp(scratch))
        return -1;
    umask(0);
    return 0;
}

static int teardown(void **state)
{
    return nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh file name in the scratch directory with t's suffix. */
static char *new_path(CodecType t)
{
    return xasprintf("%s/f%d%s", scratch, ++file_seq, codec_suffix(t));
}

static int mode_of(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (int)(st.st_mode & 07777);
}

static long long size_of(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (long long)st.st_size;
}

static int tmp_exists(const char *path)
{
    char *tmp = xasprintf("%s.tmp", path);
    int e = file_exists(tmp);
    free(tmp);
    return e;
}

static unsigned char *random_data(size_t len, uint64_t seed)
{
    unsigned char *p = xmalloc(len);
    uint64_t x = seed | 1;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (unsigned char)(x >> 24);
    }
    return p;
}

/* COPY-like text: very compressible but not trivially so. */
static unsigned char *text_data(size_t len)
{
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; sb.len < len; i++)
        sb_printf(&sb, "%d\tcustomer %d\t%d.%02d\t2024-01-%02d\tsome repeated comment text\n",
                  i, i % 977, i % 10000, i % 100, i % 28 + 1);
    unsigned char *p = xmalloc(len);
    memcpy(p, sb.data, len);
    sb_free(&sb);
    return p;
}

/* Write data in the odd chunk sizes below; returns the file size reported. */
static uint64_t write_file(const char *path, CodecType t, int level, const unsigned char *data,
                           size_t len)
{
    static const size_t chunks[] = {1, 7, 4093, 65537, 1500007, 13, 1000003};
    CodecWriter *w = NULL;
    ASSERT_OK(codec_writer_open(path, t, level, &w));
    assert_true(tmp_exists(path));
    size_t off = 0;
    for (size_t i = 0; off < len; i++) {
        size_t n = chunks[i % (sizeof chunks / sizeof chunks[0])];
        if (n > len - off)
            n = len - off;
        ASSERT_OK(codec_writer_write(w, data + off, n));
        off += n;
    }
    ASSERT_OK(codec_writer_write(w, data, 0));
    uint64_t raw = 0, file = 0;
    ASSERT_OK(codec_writer_close(w, &raw, &file));
    assert_int_equal(raw, len);
    assert_int_equal(file, (uint64_t)size_of(path));
    assert_int_equal(mode_of(path), 0600);
    assert_false(tmp_exists(path));
    return file;
}

/* Read r to its end of stream with odd read sizes; caller owns *out. */
static Error *read_to_end(CodecReader *r, unsigned char **out, size_t *len)
{
    static const size_t caps[] = {3, 8191, 131071, (1 << 20) + 5, 1};
    Error *err = NULL;
    size_t cap = 1 << 16, used = 0;
    unsigned char *buf = xmalloc(cap);
    for (size_t i = 0;; i++) {
        size_t want = caps[i % (sizeof caps / sizeof caps[0])];
        if (used + want > cap) {
            cap = (used + want) * 2;
            buf = xrealloc(buf, cap);
        }
        size_t n = 99;
        err = codec_reader_read(r, buf + used, want, &n);
        if (err)
            break;
        assert_true(n <= want);
        if (n == 0) {
            /* End of stream stays the end. */
            err = codec_reader_read(r, buf, 10, &n);
            assert_int_equal(n, 0);
            break;
        }
        used += n;
    }
    if (err) {
        free(buf);
        return err;
    }
    *out = buf;
    *len = used;
    return NULL;
}

/* Read all of path; caller owns the result. */
static Error *read_file(const char *path, CodecType t, unsigned char **out, size_t *len)
{
    CodecReader *r = NULL;
    *out = NULL;
    *len = 0;
    Error *err = codec_reader_open(path, t, &r);
    if (!err)
        err = read_to_end(r, out, len);
    codec_reader_close(r);
    return err;
}

static uint64_t roundtrip(CodecType t, int level, const unsigned char *data, size_t len)
{
    char *path = new_path(t);
    uint64_t file = write_file(path, t, level, data, len);
    unsigned char *back;
    size_t back_len;
    ASSERT_OK(read_file(path, t, &back, &back_len));
    assert_int_equal(back_len, len);
    if (len)
        assert_memory_equal(back, data, len);
    free(back);
    free(path);
    return file;
}

static void test_parse_and_names(void **state)
{
    CodecType t = CODEC_NONE;
    ASSERT_OK(codec_parse("zstd", &t));
    assert_int_equal(t, CODEC_ZSTD);
    ASSERT_OK(codec_parse("gzip", &t));
    assert_int_equal(t, CODEC_GZIP);
    ASSERT_OK(codec_parse("none", &t));
    assert_int_equal(t, CODEC_NONE);
    expect_error(codec_parse("lz4", &t), ERR_USAGE, "invalid compression type \"lz4\"");
    expect_error(codec_parse("ZSTD", &t), ERR_USAGE, "\"ZSTD\"");
    expect_error(codec_parse("", &t), ERR_USAGE, "invalid compression type");
    expect_error(codec_parse(NULL, &t), ERR_USAGE, "invalid compression type");

    assert_string_equal(codec_name(CODEC_ZSTD), "zstd");
    assert_string_equal(codec_name(CODEC_GZIP), "gzip");
    assert_string_equal(codec_name(CODEC_NONE), "none");
    assert_string_equal(codec_suffix(CODEC_ZSTD), ".zst");
    assert_string_equal(codec_suffix(CODEC_GZIP), ".gz");
    assert_string_equal(codec_suffix(CODEC_NONE), "");
    assert_int_equal(codec_default_level(CODEC_ZSTD), 1);
    assert_int_equal(codec_default_level(CODEC_GZIP), 1);
    assert_int_equal(codec_default_level(CODEC_NONE), 0);
    int lo, hi;
    codec_level_range(CODEC_ZSTD, &lo, &hi);
    assert_int_equal(lo, 1);
    assert_int_equal(hi, 19);
    codec_level_range(CODEC_GZIP, &lo, &hi);
    assert_int_equal(lo, 1);
    assert_int_equal(hi, 9);
    codec_level_range(CODEC_NONE, &lo, &hi);
    assert_int_equal(lo, 0);
    assert_int_equal(hi, 0);
}

static void test_invalid_level(void **state)
{
    static const struct { CodecType t; int level; } bad[] = {
        {CODEC_ZSTD, 0}, {CODEC_ZSTD, 20}, {CODEC_GZIP, 0}, {CODEC_GZIP, 10}, {CODEC_NONE, 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *path = new_path(bad[i].t);
        CodecWriter *w = (CodecWriter *)&w;
        expect_error(codec_writer_open(path, bad[i].t, bad[i].level, &w), ERR_USAGE,
                     "compression level");
        assert_null(w);
        assert_false(file_exists(path));
        assert_false(tmp_exists(path));
        free(path);
    }
}

static void test_roundtrip_empty(void **state)
{
    for (size_t i = 0; i < NCODECS; i++) {
        uint64_t size = roundtrip(all_codecs[i], codec_default_level(all_codecs[i]), NULL, 0);
        /* Even an empty table gets a complete frame / member. */
        if (all_codecs[i] == CODEC_NONE)
            assert_int_equal(size, 0);
        else
            assert_true(size > 0);
    }
}

static void test_roundtrip_small(void **state)
{
    static const unsigned char small[] = "1\tone\n2\ttwo\n3\t\\N\n";
    for (size_t i = 0; i < NCODECS; i++) {
        CodecType t = all_codecs[i];
        roundtrip(t, codec_default_level(t), small, sizeof small - 1);
        int lo, hi;
        codec_level_range(t, &lo, &hi);
        roundtrip(t, hi, small, sizeof small - 1);
    }
}

static void test_roundtrip_random(void **state)
{
    size_t len = 3 * 1024 * 1024 + 17;
    unsigned char *data = random_data(len, 42);
    for (size_t i = 0; i < NCODECS; i++) {
        uint64_t size = roundtrip(all_codecs[i], codec_default_level(all_codecs[i]), data, len);
        if (all_codecs[i] == CODEC_NONE)
            assert_int_equal(size, len);
        else
            assert_true(size < len + len / 100);  /* stored blocks: small overhead */
    }
    free(data);
}

static void test_roundtrip_compressible(void **state)
{
    size_t len = 8 * 1024 * 1024 + 5;
    unsigned char *data = text_data(len);
    for (size_t i = 0; i < NCODECS; i++) {
        CodecType t = all_codecs[i];
        uint64_t size = roundtrip(t, codec_default_level(t), data, len);
        if (t == CODEC_NONE)
            assert_int_equal(size, len);
        else
            assert_true(size < len / 4);
    }
    /* One huge write call as well. */
    char *path = new_path(CODEC_ZSTD);
    CodecWriter *w;
    ASSERT_OK(codec_writer_open(path, CODEC_ZSTD, 3, &w));
    ASSERT_OK(codec_writer_write(w, data, len));
    ASSERT_OK(codec_writer_close(w, NULL, NULL));
    unsigned char *back;
    size_t back_len;
    ASSERT_OK(read_file(path, CODEC_ZSTD, &back, &back_len));
    assert_int_equal(back_len, len);
    assert_memory_equal(back, data, len);
    free(back);
    free(path);
    free(data);
}

static void test_roundtrip_near_buffer_size(void **state)
{
    /* Sizes around the 1 MiB output buffer, so that the buffer fills up at
     * every point of a stream, including in the middle of finishing it. */
    const size_t mib = 1024 * 1024;
    size_t lens[64], nlens = 0;
    for (size_t len = mib - 256 * 1024; len <= mib + 256 * 1024; len += 12289)
        lens[nlens++] = len;
    /* Stored blocks of random data make these end just past 1 MiB. */
    static const size_t near[] = {64, 30, 10, 1, 0};
    for (size_t k = 0; k < sizeof near / sizeof near[0]; k++)
        lens[nlens++] = mib - near[k];
    lens[nlens++] = mib + 1;
    unsigned char *data = random_data(mib + 256 * 1024, 11);
    for (size_t n = 0; n < nlens; n++) {
        size_t len = lens[n];
        for (size_t i = 0; i < NCODECS; i++) {
            CodecType t = all_codecs[i];
            char *path = new_path(t);
            CodecWriter *w;
            ASSERT_OK(codec_writer_open(path, t, codec_default_level(t), &w));
            ASSERT_OK(codec_writer_write(w, data, len));
            ASSERT_OK(codec_writer_close(w, NULL, NULL));
            unsigned char *back;
            size_t back_len;
            ASSERT_OK(read_file(path, t, &back, &back_len));
            assert_int_equal(back_len, len);
            assert_memory_equal(back, data, len);
            free(back);
            unlink(path);
            free(path);
        }
    }
    free(data);
}

static int have_program(const char *name)
{
    char *cmd = xasprintf("command -v %s >/dev/null 2>&1", name);
    int ok = system(cmd) == 0;
    free(cmd);
    return ok;
}

/* Decompress path with an external program and compare with data. */
static void check_with_program(const char *prog, const char *path, const unsigned char *data,
                               size_t len)
{
    char *out = xasprintf("%s.out", path);
    char *cmd = xasprintf("%s -dc '%s' > '%s'", prog, path, out);
    assert_int_equal(system(cmd), 0);
    char *back;
    size_t back_len;
    ASSERT_OK(file_read_all(out, len + 1, &back, &back_len));
    assert_int_equal(back_len, len);
    assert_memory_equal(back, data, len);
    free(back);
    unlink(out);
    free(out);
    free(cmd);
}

static void test_gzip_program_reads_output(void **state)
{
    if (!have_program("gzip"))
        skip();
    size_t len = 2 * 1024 * 1024 + 3;
    unsigned char *data = text_data(len);
    char *path = new_path(CODEC_GZIP);
    write_file(path, CODEC_GZIP, 6, data, len);
    check_with_program("gzip", path, data, len);
    char *empty = new_path(CODEC_GZIP);
    write_file(empty, CODEC_GZIP, 1, NULL, 0);
    check_with_program("gzip", empty, NULL, 0);

    /* And the other way: a file made by gzip itself. */
    char *plain = xasprintf("%s/plain%d", scratch, ++file_seq);
    ASSERT_OK(file_write_atomic(plain, data, len));
    char *cmd = xasprintf("gzip -9 '%s'", plain);
    assert_int_equal(system(cmd), 0);
    char *gz = xasprintf("%s.gz", plain);
    unsigned char *back;
    size_t back_len;
    ASSERT_OK(read_file(gz, CODEC_GZIP, &back, &back_len));
    assert_int_equal(back_len, len);
    assert_memory_equal(back, data, len);
    free(back), free(gz), free(cmd), free(plain), free(empty), free(path), free(data);
}

static void test_zstd_program_reads_output(void **state)
{
    if (!have_program("zstd"))
        skip();
    size_t len = 2 * 1024 * 1024 + 3;
    unsigned char *data = text_data(len);
    char *path = new_path(CODEC_ZSTD);
    write_file(path, CODEC_ZSTD, 1, data, len);
    check_with_program("zstd -q", path, data, len);
    free(path), free(data);
}

/* cat a b > out, through fileio. */
static char *concat_files(const char *a, const char *b, CodecType t)
{
    char *da, *db;
    size_t la, lb;
    ASSERT_OK(file_read_all(a, 1 << 26, &da, &la));
    ASSERT_OK(file_read_all(b, 1 << 26, &db, &lb));
    char *both = xmalloc(la + lb + 1);
    memcpy(both, da, la);
    memcpy(both + la, db, lb);
    char *out = new_path(t);
    ASSERT_OK(file_write_atomic(out, both, la + lb));
    free(da), free(db), free(both);
    return out;
}

static void test_concatenated_streams(void **state)
{
    size_t la = 700 * 1024 + 1, lb = 300 * 1024 + 9;
    unsigned char *a = text_data(la);
    unsigned char *b = random_data(lb, 7);
    unsigned char *ab = xmalloc(la + lb);
    memcpy(ab, a, la);
    memcpy(ab + la, b, lb);
    for (size_t i = 0; i < NCODECS; i++) {
        CodecType t = all_codecs[i];
        int level = codec_default_level(t);
        char *pa = new_path(t), *pb = new_path(t), *pe = new_path(t);
        write_file(pa, t, level, a, la);
        write_file(pb, t, level, b, lb);
        write_file(pe, t, level, NULL, 0);
        /* a + empty + b */
        char *pae = concat_files(pa, pe, t);
        char *paeb = concat_files(pae, pb, t);
        unsigned char *back;
        size_t back_len;
        ASSERT_OK(read_file(paeb, t, &back, &back_len));
        assert_int_equal(back_len, la + lb);
        assert_memory_equal(back, ab, la + lb);
        free(back), free(pa), free(pb), free(pe), free(pae), free(paeb);
    }
    free(a), free(b), free(ab);
}

/* Copy the first keep bytes of src to a new file, with byte flip_at XORed
 * (when flip_at < keep) and extra appended. */
static char *damaged_copy(const char *src, CodecType t, size_t keep, size_t flip_at,
                          const char *extra)
{
    char *d;
    size_t len;
    ASSERT_OK(file_read_all(src, 1 << 26, &d, &len));
    assert_true(keep <= len);
    if (flip_at < keep)
        d[flip_at] ^= 0x5a;
    size_t elen = extra ? strlen(extra) : 0;
    char *buf = xmalloc(keep + elen + 1);
    memcpy(buf, d, keep);
    if (elen)
        memcpy(buf + keep, extra, elen);
    char *out = new_path(t);
    ASSERT_OK(file_write_atomic(out, buf, keep + elen));
    free(d), free(buf);
    return out;
}

static void expect_read_format_error(const char *path, CodecType t, const char *want)
{
    unsigned char *back;
    size_t back_len;
    Error *err = read_file(path, t, &back, &back_len);
    if (!err)
        print_error("no error reading damaged %s\n", path);
    assert_non_null(err);
    int ok = err->code == ERR_FORMAT && strstr(err->message, path) &&
             strstr(err->message, want);
    if (!ok)
        print_error("reading %s: code %d \"%s\"\n", path, (int)err->code, err->message);
    error_free(err);
    assert_true(ok);
}

static void test_truncated_detected(void **state)
{
    size_t len = 1024 * 1024;
    unsigned char *data = text_data(len);
    CodecType lossy[] = {CODEC_ZSTD, CODEC_GZIP};
    for (size_t i = 0; i < 2; i++) {
        CodecType t = lossy[i];
        char *path = new_path(t);
        size_t size = (size_t)write_file(path, t, 1, data, len);
        /* 0: empty file; 1, 10: inside the header; size-4, size-8: inside
         * the gzip trailer (zstd: its checksum) */
        size_t cuts[] = {0, 1, 10, size / 2, size - 8, size - 4, size - 1};
        for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
            char *bad = damaged_copy(path, t, cuts[c], SIZE_MAX, NULL);
            expect_read_format_error(bad, t, "could not decompress file");
            free(bad);
        }
        char *empty = damaged_copy(path, t, 0, SIZE_MAX, NULL);
        expect_read_format_error(empty, t, "unexpected end of");
        /* A complete stream followed by a truncated one: the first end of
         * frame must not make the second truncation look like EOF. */
        char *half = damaged_copy(path, t, size / 2, SIZE_MAX, NULL);
        char *whole_half = concat_files(path, half, t);
        expect_read_format_error(whole_half, t, "unexpected end of");
        free(half), free(whole_half);
        free(empty);
        free(path);
    }
    free(data);
}

static void test_truncated_exact_message(void **state)
{
    for (size_t i = 0; i < 2; i++) {
        CodecType t = i == 0 ? CODEC_ZSTD : CODEC_GZIP;
        char *path = new_path(t);
        size_t size = (size_t)write_file(path, t, 1, (const unsigned char *)"hello world\n", 12);
        char *bad = damaged_copy(path, t, size - 1, SIZE_MAX, NULL);
        unsigned char *back;
        size_t back_len;
        Error *err = read_file(bad, t, &back, &back_len);
        assert_non_null(err);
        char *want = xasprintf("could not decompress file \"%s\": unexpected end of %s stream",
                               bad, codec_name(t));
        assert_string_equal(err->message, want);
        assert_int_equal(err->code, ERR_FORMAT);
        assert_non_null(err->detail);
        error_free(err);
        free(want), free(bad), free(path);
    }
}

static void test_corrupt_detected(void **state)
{
    size_t len = 512 * 1024;
    unsigned char *text = text_data(len);
    unsigned char *rnd = random_data(len, 99);
    CodecType lossy[] = {CODEC_ZSTD, CODEC_GZIP};
    for (size_t i = 0; i < 2; i++) {
        CodecType t = lossy[i];
        const unsigned char *inputs[] = {text, rnd};
        for (size_t k = 0; k < 2; k++) {
            char *path = new_path(t);
            size_t size = (size_t)write_file(path, t, 1, inputs[k], len);
            size_t flips[] = {size / 3, size / 2, size - 2};
            for (size_t f = 0; f < sizeof flips / sizeof flips[0]; f++) {
                char *bad = damaged_copy(path, t, size, flips[f], NULL);
                expect_read_format_error(bad, t, "could not decompress file");
                free(bad);
            }
            char *garbage = damaged_copy(path, t, size, SIZE_MAX, "garbage after the end");
            expect_read_format_error(garbage, t, "could not decompress file");
            free(garbage);
            free(path);
        }
    }
    /* A plain file is not a compressed one. */
    char *plain = new_path(CODEC_NONE);
    ASSERT_OK(file_write_atomic(plain, "id\tname\n1\tx\n", 12));
    expect_read_format_error(plain, CODEC_ZSTD, "could not decompress file");
    expect_read_format_error(plain, CODEC_GZIP, "could not decompress file");
    free(plain), free(text), free(rnd);
}

static void test_abort_leaves_nothing(void **state)
{
    for (size_t i = 0; i < NCODECS; i++) {
        CodecType t = all_codecs[i];
        char *path = new_path(t);
        CodecWriter *w;
        ASSERT_OK(codec_writer_open(path, t, codec_default_level(t), &w));
        assert_true(tmp_exists(path));
        assert_false(file_exists(path));
        unsigned char *data = random_data(3 * 1024 * 1024, 5);
        ASSERT_OK(codec_writer_write(w, data, 3 * 1024 * 1024));
        codec_writer_abort(w);
        assert_false(tmp_exists(path));
        assert_false(file_exists(path));

        /* An aborted rewrite leaves the previous file as it was. */
        ASSERT_OK(file_write_atomic(path, "previous", 8));
        ASSERT_OK(codec_writer_open(path, t, codec_default_level(t), &w));
        ASSERT_OK(codec_writer_write(w, data, 1000));
        codec_writer_abort(w);
        char *s;
        size_t n;
        ASSERT_OK(file_read_all(path, 100, &s, &n));
        assert_string_equal(s, "previous");
        assert_false(tmp_exists(path));
        free(s), free(data), free(path);
    }
    codec_writer_abort(NULL);
    codec_reader_close(NULL);
}

static void test_tmp_mode_and_replace(void **state)
{
    char *path = new_path(CODEC_GZIP);
    ASSERT_OK(file_write_atomic(path, "old", 3));
    assert_int_equal(chmod(path, 0644), 0);
    umask(0277);
    CodecWriter *w;
    Error *err = codec_writer_open(path, CODEC_GZIP, 1, &w);
    umask(0);
    ASSERT_OK(err);
    char *tmp = xasprintf("%s.tmp", path);
    assert_int_equal(mode_of(tmp), 0600);
    ASSERT_OK(codec_writer_write(w, "new data\n", 9));
    ASSERT_OK(codec_writer_close(w, NULL, NULL));
    assert_int_equal(mode_of(path), 0600);
    assert_false(file_exists(tmp));
    unsigned char *back;
    size_t len;
    ASSERT_OK(read_file(path, CODEC_GZIP, &back, &len));
    assert_int_equal(len, 9);
    assert_memory_equal(back, "new data\n", 9);
    free(back), free(tmp), free(path);
}

static void test_open_errors(void **state)
{
    char *nodir = xasprintf("%s/missing/t.zst", scratch);
    CodecWriter *w = (CodecWriter *)&w;
    expect_error(codec_writer_open(nodir, CODEC_ZSTD, 1, &w), ERR_IO,
                 "could not create file \"");
    assert_null(w);
    CodecReader *r = (CodecReader *)&r;
    char *want = xasprintf("could not open file \"%s\"", nodir);
    expect_error(codec_reader_open(nodir, CODEC_ZSTD, &r), ERR_IO, want);
    assert_null(r);
    free(want), free(nodir);
}

static void test_write_error_cleans_up(void **state)
{
    /* A file size limit makes write(2) fail with EFBIG part way through,
     * standing in for a full disk. */
    struct rlimit old;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    size_t len = 4 * 1024 * 1024;
    unsigned char *data = random_data(len, 3);
    for (size_t i = 0; i < NCODECS; i++) {
        CodecType t = all_codecs[i];
        char *path = new_path(t);
        CodecWriter *w;
        ASSERT_OK(codec_writer_open(path, t, codec_default_level(t), &w));
        struct rlimit lim = old;
        lim.rlim_cur = 256 * 1024;
        signal(SIGXFSZ, SIG_IGN);
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
        Error *err = NULL;
        for (size_t off = 0; off < len && !err; off += 65536)
            err = codec_writer_write(w, data + off, 65536);
        Error *again = codec_writer_write(w, data, 10);
        setrlimit(RLIMIT_FSIZE, &old);
        signal(SIGXFSZ, SIG_DFL);

        char *want = xasprintf("could not write file \"%s.tmp\": File too large", path);
        assert_non_null(err);
        assert_string_equal(err->message, want);
        assert_int_equal(err->code, ERR_IO);
        error_free(err);
        assert_non_null(again);
        error_free(again);
        /* Closing a failed writer must not publish a partial file. */
        uint64_t raw = 12345;
        err = codec_writer_close(w, &raw, NULL);
        assert_non_null(err);
        error_free(err);
        assert_int_equal(raw, 12345);
        assert_false(tmp_exists(path));
        assert_false(file_exists(path));
        free(want), free(path);
    }
    free(data);
}

/* ---- Parts: several streams in one file (codec_writer_end_part) -------- */

/* Write each of the n buffers as a part of its own (in the odd chunk sizes
 * of write_file, so that the buffer fills in the middle of a part), ending
 * each with end_part, then close. Checks what close reports against the
 * file and returns its size. */
static uint64_t write_parts(const char *path, CodecType t, const unsigned char *const *data,
                            const size_t *lens, size_t n, CodecPart *parts, char *file_sum)
{
    static const size_t chunks[] = {1, 7, 4093, 65537, 1500007, 13, 1000003};
    CodecWriter *w = NULL;
    ASSERT_OK(codec_writer_open(path, t, codec_default_level(t), &w));
    codec_writer_checksum_to(w, file_sum);
    uint64_t total_raw = 0;
    for (size_t k = 0; k < n; k++) {
        size_t off = 0;
        for (size_t i = 0; off < lens[k]; i++) {
            size_t c = chunks[(i + k) % (sizeof chunks / sizeof chunks[0])];
            if (c > lens[k] - off)
                c = lens[k] - off;
            ASSERT_OK(codec_writer_write(w, data[k] + off, c));
            off += c;
        }
        memset(&parts[k], 0x5a, sizeof parts[k]);
        ASSERT_OK(codec_writer_end_part(w, &parts[k]));
        total_raw += lens[k];
    }
    uint64_t raw = 0, file = 0;
    ASSERT_OK(codec_writer_close(w, &raw, &file));
    assert_int_equal(raw, total_raw);
    assert_int_equal(file, (uint64_t)size_of(path));
    assert_int_equal(mode_of(path), 0600);
    assert_false(tmp_exists(path));
    return file;
}

/* Read the range [offset, offset + length) of path to its end of stream;
 * reports the reader's checksum and byte count. Caller owns *out. */
static Error *read_range(const char *path, CodecType t, uint64_t offset, uint64_t length,
                         unsigned char **out, size_t *len, char *sum, uint64_t *file_bytes)
{
    CodecReader *r = NULL;
    *out = NULL;
    *len = 0;
    Error *err = codec_reader_open_range(path, t, offset, length, &r);
    if (!err)
        err = read_to_end(r, out, len);
    if (!err)
        codec_reader_checksum(r, sum, file_bytes);
    codec_reader_close(r);
    return err;
}

static void test_parts_roundtrip(void **state)
{
    /* Text, an empty part, random data bigger than both the 1 MiB write
     * buffer and the 256 KiB read buffer, another empty part, a short
     * tail. A leading empty part too, where no part has ended yet. */
    size_t ltext = 50 * 1024 + 3, lbig = 1024 * 1024 + 300 * 1024 + 11;
    unsigned char *text = text_data(ltext);
    unsigned char *big = random_data(lbig, 1234);
    static const unsigned char tail[] = "42\tthe end\n";
    const unsigned char *data[] = {NULL, text, NULL, big, NULL, tail};
    const size_t lens[] = {0, ltext, 0, lbig, 0, sizeof tail - 1};
    enum { NPARTS = sizeof lens / sizeof lens[0] };
    size_t total = 0;
    for (size_t k = 0; k < NPARTS; k++)
        total += lens[k];
    unsigned char *all = xmalloc(total);
    for (size_t k = 0, at = 0; k < NPARTS; at += lens[k], k++)
        if (lens[k])
            memcpy(all + at, data[k], lens[k]);

    for (size_t i = 0; i < NCODECS; i++) {
        CodecType t = all_codecs[i];
        char *path = new_path(t);
        CodecPart parts[NPARTS];
        char file_sum[CHECKSUM_HEX_LEN + 1] = "";
        uint64_t size = write_parts(path, t, data, lens, NPARTS, parts, file_sum);

        /* The whole file: its checksum, and the parts' bytes in it. */
        char *bytes;
        size_t nbytes;
        ASSERT_OK(file_read_all(path, 1 << 26, &bytes, &nbytes));
        assert_int_equal(nbytes, size);
        char sum[CHECKSUM_HEX_LEN + 1];
        checksum_buffer(bytes, nbytes, sum);
        assert_string_equal(file_sum, sum);

        /* Contiguous from 0, nothing before, between or after them. */
        uint64_t next = 0;
        for (size_t k = 0; k < NPARTS; k++) {
            const CodecPart *p = &parts[k];
            assert_int_equal(p->offset, next);
            assert_int_equal(p->raw_bytes, lens[k]);
            if (t == CODEC_NONE)
                assert_int_equal(p->file_bytes, lens[k]);
            else
                assert_true(p->file_bytes > 0); /* even an empty part is a whole stream */
            assert_true(p->offset + p->file_bytes <= size);
            /* The part's checksum is that of its bytes in the file. */
            assert_true(checksum_valid_hex(p->checksum));
            checksum_buffer(bytes + p->offset, p->file_bytes, sum);
            assert_string_equal(p->checksum, sum);
            next = p->offset + p->file_bytes;
        }
        assert_int_equal(next, size);
        /* Different contents, different checksums (the two empty parts of
         * none are both the empty string). */
        assert_string_not_equal(parts[1].checksum, parts[3].checksum);
        assert_string_not_equal(parts[3].checksum, parts[5].checksum);

        /* Each part alone, read through its range. */
        for (size_t k = 0; k < NPARTS; k++) {
            const CodecPart *p = &parts[k];
            unsigned char *back;
            size_t back_len;
            uint64_t read_bytes = 12345;
            sum[0] = '\0';
            ASSERT_OK(read_range(path, t, p->offset, p->file_bytes, &back, &back_len, sum,
                                 &read_bytes));
            assert_int_equal(back_len, lens[k]);
            if (lens[k])
                assert_memory_equal(back, data[k], lens[k]);
            assert_string_equal(sum, p->checksum);
            assert_int_equal(read_bytes, p->file_bytes);
            free(back);
        }
        /* Two neighbouring parts as one range: streams follow each other. */
        {
            unsigned char *back;
            size_t back_len;
            uint64_t read_bytes = 0;
            ASSERT_OK(read_range(path, t, parts[1].offset,
                                 parts[1].file_bytes + parts[2].file_bytes + parts[3].file_bytes,
                                 &back, &back_len, sum, &read_bytes));
            assert_int_equal(back_len, ltext + lbig);
            assert_memory_equal(back, text, ltext);
            assert_memory_equal(back + ltext, big, lbig);
            assert_int_equal(read_bytes,
                             parts[1].file_bytes + parts[2].file_bytes + parts[3].file_bytes);
            free(back);
        }

        /* The whole file is the concatenation of the parts. */
        unsigned char *back;
        size_t back_len;
        ASSERT_OK(read_file(path, t, &back, &back_len));
        assert_int_equal(back_len, total);
        assert_memory_equal(back, all, total);
        free(back);
        /* And the programs read it so as well. */
        if (t == CODEC_GZIP && have_program("gzip"))
            check_with_program("gzip", path, all, total);
        if (t == CODEC_ZSTD && have_program("zstd"))
            check_with_program("zstd -q", path, all, total);
        free(bytes);
        free(path);
    }
    free(all), free(big), free(text);
}

static void test_part_range_truncated(void **state)
{
    size_t la = 200 * 1024 + 5, lb = 300 * 1024 + 1;
    unsigned char *a = text_data(la);
    unsigned char *b = random_data(lb, 77);
    const unsigned char *data[] = {a, b};
    const size_t lens[] = {la, lb};
    CodecType lossy[] = {CODEC_ZSTD, CODEC_GZIP};
    for (size_t i = 0; i < 2; i++) {
        CodecType t = lossy[i];
        char *path = new_path(t);
        CodecPart parts[2];
        char file_sum[CHECKSUM_HEX_LEN + 1];
        write_parts(path, t, data, lens, 2, parts, file_sum);
        for (size_t k = 0; k < 2; k++) {
            unsigned char *back = NULL;
            size_t back_len = 0;
            char sum[CHECKSUM_HEX_LEN + 1];
            uint64_t nb = 0;
            /* One byte short: the next part's first byte (k == 0) or the
             * end of the file (k == 1) must not make up for it. */
            Error *err = read_range(path, t, parts[k].offset, parts[k].file_bytes - 1, &back,
                                    &back_len, sum, &nb);
            assert_null(back);
            char *want = xasprintf("could not decompress file \"%s\": unexpected end of %s "
                                   "stream",
                                   path, codec_name(t));
            expect_error(err, ERR_FORMAT, want);
            free(want);
            /* A range that starts one byte late is not a stream either. */
            err = read_range(path, t, parts[k].offset + 1, parts[k].file_bytes - 1, &back,
                             &back_len, sum, &nb);
            assert_null(back);
            expect_error(err, ERR_FORMAT, "could not decompress file");
            /* An empty range is no stream. */
            err = read_range(path, t, parts[k].offset, 0, &back, &back_len, sum, &nb);
            expect_error(err, ERR_FORMAT, "unexpected end of");
        }
        free(path);
    }
    free(a), free(b);
}

static void test_part_range_past_end(void **state)
{
    size_t la = 10 * 1024 + 7, lb = 333;
    unsigned char *a = random_data(la, 5);
    unsigned char *b = text_data(lb);
    const unsigned char *data[] = {a, b};
    const size_t lens[] = {la, lb};
    for (size_t i = 0; i < NCODECS; i++) {
        CodecType t = all_codecs[i];
        char *path = new_path(t);
        CodecPart parts[2];
        char file_sum[CHECKSUM_HEX_LEN + 1];
        uint64_t size = write_parts(path, t, data, lens, 2, parts, file_sum);
        unsigned char *back;
        size_t back_len;
        char sum[CHECKSUM_HEX_LEN + 1];
        uint64_t nb = 0;
        /* The last part with a length running past the end of the file:
         * the reader stops at the end, and says how much it read. */
        ASSERT_OK(read_range(path, t, parts[1].offset, parts[1].file_bytes + 4096, &back,
                             &back_len, sum, &nb));
        assert_int_equal(back_len, lb);
        assert_memory_equal(back, b, lb);
        assert_int_equal(nb, parts[1].file_bytes);
        assert_true(nb < parts[1].file_bytes + 4096);
        assert_string_equal(sum, parts[1].checksum);
        free(back);
        /* A range wholly past the end of the file: no bytes at all. */
        if (t == CODEC_NONE) {
            nb = 99;
            ASSERT_OK(read_range(path, t, size + 100, 50, &back, &back_len, sum, &nb));
            assert_int_equal(back_len, 0);
            assert_int_equal(nb, 0);
            free(back);
        } else {
            Error *err = read_range(path, t, size + 100, 50, &back, &back_len, sum, &nb);
            expect_error(err, ERR_FORMAT, "unexpected end of");
        }
        /* For none, a range shorter than a part gives just those bytes. */
        if (t == CODEC_NONE) {
            ASSERT_OK(read_range(path, t, 3, 10, &back, &back_len, sum, &nb));
            assert_int_equal(back_len, 10);
            assert_memory_equal(back, a + 3, 10);
            assert_int_equal(nb, 10);
            char want[CHECKSUM_HEX_LEN + 1];
            checksum_buffer(a + 3, 10, want);
            assert_string_equal(sum, want);
            free(back);
        }
        free(path);
    }
    free(a), free(b);
}

static void test_single_part_no_extra_stream(void **state)
{
    size_t len = 1024 * 1024 + 99;
    unsigned char *data = text_data(len);
    for (size_t i = 0; i < NCODECS; i++) {
        CodecType t = all_codecs[i];
        /* One part, with data and without. */
        for (int empty = 0; empty < 2; empty++) {
            char *path = new_path(t);
            const unsigned char *d[] = {empty ? NULL : data};
            const size_t l[] = {empty ? 0 : len};
            CodecPart part;
            char file_sum[CHECKSUM_HEX_LEN + 1] = "";
            uint64_t size = write_parts(path, t, d, l, 1, &part, file_sum);
            assert_int_equal(part.offset, 0);
            assert_int_equal(part.file_bytes, size);
            assert_int_equal(part.raw_bytes, l[0]);
            assert_string_equal(part.checksum, file_sum);
            char sum[CHECKSUM_HEX_LEN + 1];
            uint64_t fsize = 0;
            ASSERT_OK(checksum_file(path, sum, &fsize));
            assert_int_equal(fsize, size);
            assert_string_equal(part.checksum, sum);
            /* The same as a file written without parts. */
            char *plain = new_path(t);
            uint64_t plain_size = write_file(plain, t, codec_default_level(t), d[0], l[0]);
            assert_int_equal(plain_size, size);
            if (t == CODEC_NONE || empty) {
                char other[CHECKSUM_HEX_LEN + 1];
                ASSERT_OK(checksum_file(plain, other, NULL));
                assert_string_equal(other, sum);
            }
            free(plain);
            free(path);
        }

        /* Writes after the last end_part make a stream of their own, which
         * close finishes: the file is then the part plus that stream. */
        char *path = new_path(t);
        CodecWriter *w;
        ASSERT_OK(codec_writer_open(path, t, codec_default_level(t), &w));
        ASSERT_OK(codec_writer_write(w, data, 1000));
        CodecPart part;
        ASSERT_OK(codec_writer_end_part(w, &part));
        ASSERT_OK(codec_writer_write(w, data + 1000, 500));
        uint64_t raw = 0, file = 0;
        ASSERT_OK(codec_writer_close(w, &raw, &file));
        assert_int_equal(raw, 1500);
        assert_int_equal(part.raw_bytes, 1000);
        assert_int_equal(file, (uint64_t)size_of(path));
        if (t == CODEC_NONE)
            assert_int_equal(file, 1500);
        assert_true(file > part.file_bytes);
        unsigned char *back;
        size_t back_len;
        ASSERT_OK(read_file(path, t, &back, &back_len));
        assert_int_equal(back_len, 1500);
        assert_memory_equal(back, data, 1500);
        free(back);
        char sum[CHECKSUM_HEX_LEN + 1];
        uint64_t nb = 0;
        ASSERT_OK(read_range(path, t, part.offset + part.file_bytes, file - part.file_bytes,
                             &back, &back_len, sum, &nb));
        assert_int_equal(back_len, 500);
        assert_memory_equal(back, data + 1000, 500);
        assert_int_equal(nb, file - part.file_bytes);
        free(back);
        free(path);
    }
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_names),
        cmocka_unit_test(test_invalid_level),
        cmocka_unit_test(test_roundtrip_empty),
        cmocka_unit_test(test_roundtrip_small),
        cmocka_unit_test(test_roundtrip_random),
        cmocka_unit_test(test_roundtrip_compressible),
        cmocka_unit_test(test_roundtrip_near_buffer_size),
        cmocka_unit_test(test_gzip_program_reads_output),
        cmocka_unit_test(test_zstd_program_reads_output),
        cmocka_unit_test(test_concatenated_streams),
        cmocka_unit_test(test_truncated_detected),
        cmocka_unit_test(test_truncated_exact_message),
        cmocka_unit_test(test_corrupt_detected),
        cmocka_unit_test(test_abort_leaves_nothing),
        cmocka_unit_test(test_tmp_mode_and_replace),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_write_error_cleans_up),
        cmocka_unit_test(test_parts_roundtrip),
        cmocka_unit_test(test_part_range_truncated),
        cmocka_unit_test(test_part_range_past_end),
        cmocka_unit_test(test_single_part_no_extra_stream),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
