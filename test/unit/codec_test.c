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

/* Read all of path with odd read sizes; caller owns the result. */
static Error *read_file(const char *path, CodecType t, unsigned char **out, size_t *len)
{
    static const size_t caps[] = {3, 8191, 131071, (1 << 20) + 5, 1};
    CodecReader *r = NULL;
    *out = NULL;
    *len = 0;
    Error *err = codec_reader_open(path, t, &r);
    if (err)
        return err;
    size_t cap = 1 << 20;
    size_t used = 0;
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
    codec_reader_close(r);
    if (err) {
        free(buf);
        return err;
    }
    *out = buf;
    *len = used;
    return NULL;
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
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
