/* pack: the packed data format's encoder and decoder. Round trips of
 * generated binary COPY streams fed in chunks of every size, the gain on
 * increasing keys, and the refusal of malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pack.h"
#include "util.h"

typedef struct Buf {
    char *data;
    size_t len, cap;
    size_t calls;
    size_t max_piece;
} Buf;

static void buf_put(Buf *b, const void *d, size_t n)
{
    if (n == 0)
        return;
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->data = realloc(b->data, b->cap);
        assert_non_null(b->data);
    }
    memcpy(b->data + b->len, d, n);
    b->len += n;
}

static Error *collect(void *ctx, const char *data, size_t len)
{
    Buf *b = ctx;
    b->calls++;
    if (len > b->max_piece)
        b->max_piece = len;
    buf_put(b, data, len);
    return NULL;
}

static void put16(Buf *b, int v)
{
    unsigned char u[2] = {(unsigned char)((unsigned)v >> 8), (unsigned char)v};
    buf_put(b, u, 2);
}

static void put32(Buf *b, int64_t v)
{
    uint32_t x = (uint32_t)v;
    unsigned char u[4] = {(unsigned char)(x >> 24), (unsigned char)(x >> 16),
                          (unsigned char)(x >> 8), (unsigned char)x};
    buf_put(b, u, 4);
}

static void copy_header(Buf *b, uint32_t extlen)
{
    buf_put(b, "PGCOPY\n\377\r\n\0", 11);
    put32(b, 0);
    put32(b, extlen);
    for (uint32_t i = 0; i < extlen; i++)
        buf_put(b, "x", 1);
}

static void field(Buf *b, const void *d, int64_t n)
{
    put32(b, n);
    if (n > 0)
        buf_put(b, d, (size_t)n);
}

static void field_be(Buf *b, uint64_t v, size_t n)
{
    unsigned char u[8];
    for (size_t i = n; i-- > 0;) {
        u[i] = (unsigned char)v;
        v >>= 8;
    }
    field(b, u, (int64_t)n);
}

/* A stream with every kind of field: deltas of 2, 4 and 8 bytes, NULLs in
 * between, lengths that change from row to row, arrays (word columns) of
 * several lengths and one above PACK_WORDS_MAX, empty values, a value
 * larger than the output buffer, and rows with more fields than modes. */
static void sample_stream(Buf *b, unsigned seed, size_t rows)
{
    copy_header(b, seed % 3 == 0 ? 7 : 0);
    srand(seed);
    for (size_t r = 0; r < rows; r++) {
        put16(b, 7);
        field_be(b, 1000 + r, 4);                                   /* d: increasing */
        if (r % 5 == 3)
            field(b, NULL, -1);                                     /* d: NULL */
        else
            field_be(b, (uint64_t)rand() * 977u, r % 7 == 0 ? 2 : 8); /* d: varying length */
        char text[64];
        size_t tl = (size_t)(rand() % 40);
        for (size_t i = 0; i < tl; i++)
            text[i] = (char)('a' + rand() % 26);
        field(b, text, (int64_t)tl);                                /* -: text, maybe empty */
        unsigned char arr[300];
        size_t al = r % 11 == 0 ? 300 : (size_t)(4 * (1 + rand() % 6));
        for (size_t i = 0; i < al; i++)
            arr[i] = (unsigned char)(r + i * 3);
        field(b, arr, (int64_t)al);                                 /* w */
        field_be(b, 5, 3);                                          /* d: 3 bytes, not coded */
        if (r == rows / 2) {
            size_t big = PACK_OUTPUT_BUFFER + 12345;
            char *v = malloc(big);
            assert_non_null(v);
            for (size_t i = 0; i < big; i++)
                v[i] = (char)(i * 7);
            field(b, v, (int64_t)big);                              /* beyond the modes */
            free(v);
        } else {
            field_be(b, r, 4);
        }
        field_be(b, r * 3, 4);                                      /* beyond the modes */
    }
    put16(b, -1);
}

static const char *MODES = "dd-wd";

static void encode(const Buf *in, const char *modes, size_t chunk, Buf *out)
{
    PackCoder *p = pack_encoder_new(modes, collect, out);
    for (size_t off = 0; off < in->len;) {
        size_t n = chunk ? chunk : 1 + (size_t)rand() % 97;
        if (n > in->len - off)
            n = in->len - off;
        Error *e = pack_write(p, in->data + off, n);
        assert_null(e);
        off += n;
    }
    assert_null(pack_finish(p));
    pack_free(p);
}

static Error *decode(const Buf *in, size_t chunk, Buf *out, uint64_t *rows)
{
    PackCoder *p = pack_decoder_new(collect, out);
    Error *e = NULL;
    for (size_t off = 0; off < in->len && !e;) {
        size_t n = chunk ? chunk : 1 + (size_t)rand() % 97;
        if (n > in->len - off)
            n = in->len - off;
        e = pack_write(p, in->data + off, n);
        off += n;
    }
    if (!e)
        e = pack_finish(p);
    if (rows)
        *rows = pack_rows(p);
    pack_free(p);
    return e;
}

/* in, encoded with modes and decoded again (both fed in pieces of chunk
 * bytes), is in again, with want_rows rows; the largest piece the encoder
 * handed over goes to *max_piece. */
static void check_round_trip(const Buf *in, const char *modes, size_t chunk, uint64_t want_rows,
                             size_t *max_piece)
{
    Buf packed = {0}, back = {0};
    encode(in, modes, chunk, &packed);
    assert_memory_equal(packed.data, PACK_MAGIC, PACK_MAGIC_LEN);
    uint64_t rows = 0;
    assert_null(decode(&packed, chunk, &back, &rows));
    assert_int_equal(rows, want_rows);
    assert_int_equal(back.len, in->len);
    assert_memory_equal(back.data, in->data, in->len);
    *max_piece = packed.max_piece;
    free(packed.data);
    free(back.data);
}

static void test_round_trip(void **state)
{
    (void)state;
    const size_t chunks[] = {0, 1, 2, 3, 19, 4096, 1 << 22};
    for (unsigned seed = 1; seed <= 3; seed++) {
        Buf in = {0};
        sample_stream(&in, seed, 200);
        for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
            size_t max_piece;
            check_round_trip(&in, MODES, chunks[c], 200, &max_piece);
            assert_true(max_piece <= in.len);
        }
        /* The same bytes from the state machine (one byte at a time) and
         * from the fast path (the whole stream at once): both write the
         * one format. */
        Buf slow = {0}, fast = {0};
        encode(&in, MODES, 1, &slow);
        encode(&in, MODES, 1 << 22, &fast);
        assert_int_equal(slow.len, fast.len);
        assert_memory_equal(slow.data, fast.data, slow.len);
        free(slow.data);
        free(fast.data);
        free(in.data);
    }
}

/* No modes at all (a table without columns, or plain ones only), and no
 * rows: the stream still round-trips. */
static void test_empty_and_plain(void **state)
{
    (void)state;
    Buf in = {0};
    copy_header(&in, 0);
    put16(&in, 0);
    put16(&in, 0);
    put16(&in, -1);
    const char *modes[] = {"", "---"};
    for (size_t m = 0; m < 2; m++) {
        size_t max_piece;
        check_round_trip(&in, modes[m], 0, 2, &max_piece);
    }
    free(in.data);
}

/* An increasing key and a timestamp that ticks by a second: the packed
 * form repeats the same bytes in every row (the compressor's gain), and is
 * shorter than the binary form (varint lengths). */
static void test_deltas_repeat(void **state)
{
    (void)state;
    Buf in = {0};
    copy_header(&in, 0);
    for (int r = 0; r < 1000; r++) {
        put16(&in, 2);
        field_be(&in, (uint64_t)(123456 + r), 4);
        field_be(&in, 800000000000000ull + (uint64_t)r * 1000000u, 8);
    }
    put16(&in, -1);
    Buf packed = {0};
    encode(&in, "dd", 4096, &packed);
    assert_true(packed.len < in.len * 7 / 10);
    /* After the first row every row is: count 3, length 5, delta 1, length
     * 9, delta 1000000, all but the first in its own 15 bytes. */
    size_t head = PACK_MAGIC_LEN + 1 + 2 + 19;
    const char *row2 = packed.data + head + 15;
    const char *row3 = row2 + 15;
    assert_memory_equal(row2, row3, 15);
    const unsigned char want[15] = {3, 5, 0, 0, 0, 1, 9, 0, 0, 0, 0, 0, 0x0f, 0x42, 0x40};
    assert_memory_equal(row2, want, 15);
    free(packed.data);
    free(in.data);
}

static void expect_format_error(Error *e, const char *part)
{
    assert_non_null(e);
    assert_int_equal(e->code, ERR_FORMAT);
    assert_non_null(strstr(e->message, part));
    error_free(e);
}

static void test_malformed_input(void **state)
{
    (void)state;
    Buf good = {0}, packed = {0}, out = {0};
    sample_stream(&good, 2, 5);
    encode(&good, MODES, 0, &packed);

    /* Encoder: no signature; negative lengths and counts; data after the
     * end; an unfinished stream. */
    PackCoder *p = pack_encoder_new("d", collect, &out);
    expect_format_error(pack_write(p, "PGCOPX\n\377\r\n\0\0\0\0\0\0\0\0\0", 19), "signature");
    pack_free(p);
    Buf bad = {0};
    copy_header(&bad, 0);
    put16(&bad, 1);
    put32(&bad, -2);
    p = pack_encoder_new("d", collect, &out);
    expect_format_error(pack_write(p, bad.data, bad.len), "negative field length");
    pack_free(p);
    bad.len = 0;
    copy_header(&bad, 0);
    put16(&bad, -3);
    p = pack_encoder_new("d", collect, &out);
    expect_format_error(pack_write(p, bad.data, bad.len), "negative field count");
    pack_free(p);
    p = pack_encoder_new(MODES, collect, &out);
    assert_null(pack_write(p, good.data, good.len));
    expect_format_error(pack_write(p, "x", 1), "after the end marker");
    pack_free(p);
    p = pack_encoder_new(MODES, collect, &out);
    assert_null(pack_write(p, good.data, good.len - 3));
    expect_format_error(pack_finish(p), "before its end marker");
    pack_free(p);

    /* Decoder: a wrong magic, a bad mode, a truncated stream at every
     * length, an overlong varint. */
    Buf b2 = {0};
    buf_put(&b2, packed.data, packed.len);
    b2.data[0] = 'X';
    expect_format_error(decode(&b2, 0, &out, NULL), "does not start with");
    memcpy(b2.data, packed.data, packed.len);
    b2.data[PACK_MAGIC_LEN + 1] = 'z';
    expect_format_error(decode(&b2, 0, &out, NULL), "invalid column mode");
    for (size_t cut = 0; cut < packed.len; cut += 1 + cut / 8) {
        Buf t = {0};
        buf_put(&t, packed.data, cut);
        out.len = 0;
        Error *e = decode(&t, 0, &out, NULL);
        assert_non_null(e);
        assert_int_equal(e->code, ERR_FORMAT);
        error_free(e);
        free(t.data);
    }
    Buf ov = {0};
    buf_put(&ov, PACK_MAGIC, PACK_MAGIC_LEN);
    buf_put(&ov, "\xff\xff\xff\xff\xff\x01", 6);
    expect_format_error(decode(&ov, 0, &out, NULL), "invalid column count");
    pack_free(NULL);
    assert_true(pack_modes_valid("dw-"));
    assert_true(pack_modes_valid(""));
    assert_false(pack_modes_valid("dx"));
    free(ov.data);
    free(b2.data);
    free(bad.data);
    free(good.data);
    free(packed.data);
    free(out.data);
}

/* An error of the output callback stops the coder and is returned. */
static Error *refuse(void *ctx, const char *data, size_t len)
{
    (void)ctx;
    (void)data;
    (void)len;
    return ERROR_NEW(ERR_IO, "disk full");
}

static void test_output_error(void **state)
{
    (void)state;
    Buf in = {0};
    sample_stream(&in, 1, 10);
    PackCoder *p = pack_encoder_new(MODES, refuse, NULL);
    Error *e = pack_write(p, in.data, in.len);
    if (!e)
        e = pack_finish(p);
    assert_non_null(e);
    assert_int_equal(e->code, ERR_IO);
    error_free(e);
    e = pack_write(p, "x", 1);
    assert_non_null(e);
    error_free(e);
    pack_free(p);
    free(in.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_empty_and_plain),
        cmocka_unit_test(test_deltas_repeat),
        cmocka_unit_test(test_malformed_input),
        cmocka_unit_test(test_output_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
