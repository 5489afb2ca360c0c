/* The packed data format (include/pack.h): a streaming encoder and decoder
 * sharing one state machine. Each step takes one unit of the input (a
 * header, a field count, a field length, a value), from the caller's chunk
 * when it holds the whole unit, else gathered into a small scratch buffer
 * across calls; values of plain columns are passed through in pieces and
 * never gathered. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pack.h"
#include "util.h"

/* PGCOPY\n\377\r\n\0, then the flags (int32) and the header extension's
 * length (int32). */
static const char copy_signature[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', '\377', '\r', '\n',
                                        '\0'};
#define COPY_HEADER_LEN 19
/* A header extension larger than this is not a server's. */
#define COPY_EXT_MAX (1024 * 1024)
#define VARINT_MAX 5
/* The output buffer's spare bytes past its size: the fast paths copy short
 * values 16 bytes at a time (see copy_value). */
#define COPY_SLACK 16

typedef enum {
    ST_MAGIC,   /* decoder: PACK_MAGIC */
    ST_NCOLS,   /* decoder: varint, the number of modes */
    ST_MODES,   /* decoder: the modes */
    ST_HEADER,  /* the COPY header, passed through */
    ST_EXT,     /* its extension, passed through */
    ST_TUPLE,   /* a field count or the end marker */
    ST_FLEN,    /* a field's length or NULL */
    ST_PLAIN,   /* a value passed through */
    ST_DELTA,   /* a value coded against the previous row's */
    ST_END,     /* after the end marker */
    ST_FAILED
} State;

struct PackCoder {
    bool decode;
    PackOutput out_fn;
    void *out_ctx;
    char *out;
    size_t outlen;
    State state;
    unsigned char scratch[PACK_WORDS_MAX];
    size_t have;             /* bytes of the current unit gathered in scratch */
    uint64_t vacc;           /* decoder: varint being read */
    unsigned vshift;
    char *modes;             /* ncols modes */
    size_t ncols;
    size_t nmodes_read;      /* decoder: modes read so far */
    unsigned char *prev;     /* ncols * PACK_WORDS_MAX: the previous row's value per column */
    int32_t *prev_len;       /* its length, -1 when none to code against */
    uint64_t remaining;      /* bytes left of the current extension or plain value */
    size_t flen;             /* length of the value being gathered (ST_DELTA) */
    int nfields;
    int field;
    uint64_t rows;
};

bool pack_modes_valid(const char *modes)
{
    size_t n = strlen(modes);
    if (n > PACK_MAX_COLUMNS)
        return false;
    for (size_t i = 0; i < n; i++)
        if (modes[i] != PACK_PLAIN && modes[i] != PACK_DELTA && modes[i] != PACK_WORDS)
            return false;
    return true;
}

/* n modes, copied from modes (the decoder's, NULL: read later). */
static void set_modes(PackCoder *p, const char *modes, size_t n)
{
    p->ncols = n;
    p->modes = xcalloc(n + 1, 1);
    if (modes)
        memcpy(p->modes, modes, n);
    p->prev = xmalloc(n ? n * PACK_WORDS_MAX : 1);
    p->prev_len = xmalloc((n ? n : 1) * sizeof *p->prev_len);
    for (size_t i = 0; i < n; i++)
        p->prev_len[i] = -1;
}

static PackCoder *coder_new(bool decode, PackOutput out, void *ctx)
{
    PackCoder *p = xcalloc(1, sizeof *p);
    p->decode = decode;
    p->out_fn = out;
    p->out_ctx = ctx;
    p->out = xmalloc(PACK_OUTPUT_BUFFER + COPY_SLACK);
    return p;
}

static Error *emit(PackCoder *p, const void *data, size_t n);

static size_t put_varint(unsigned char *buf, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        buf[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    buf[n++] = (unsigned char)v;
    return n;
}

static Error *emit_varint(PackCoder *p, uint64_t v)
{
    unsigned char buf[10];
    return emit(p, buf, put_varint(buf, v));
}

PackCoder *pack_encoder_new(const char *modes, PackOutput out, void *ctx)
{
    PackCoder *p = coder_new(false, out, ctx);
    set_modes(p, modes, strlen(modes));
    p->state = ST_HEADER;
    /* The stream's own header, ahead of the COPY header; the output buffer
     * is empty and large enough. */
    memcpy(p->out, PACK_MAGIC, PACK_MAGIC_LEN);
    p->outlen = PACK_MAGIC_LEN + put_varint((unsigned char *)p->out + PACK_MAGIC_LEN, p->ncols);
    memcpy(p->out + p->outlen, p->modes, p->ncols);
    p->outlen += p->ncols;
    return p;
}

PackCoder *pack_decoder_new(PackOutput out, void *ctx)
{
    PackCoder *p = coder_new(true, out, ctx);
    p->state = ST_MAGIC;
    return p;
}

void pack_free(PackCoder *p)
{
    if (!p)
        return;
    free(p->out);
    free(p->modes);
    free(p->prev);
    free(p->prev_len);
    free(p);
}

uint64_t pack_rows(const PackCoder *p)
{
    return p->rows;
}

Error *pack_flush(PackCoder *p)
{
    if (!p->outlen)
        return NULL;
    size_t n = p->outlen;
    p->outlen = 0;
    return p->out_fn(p->out_ctx, p->out, n);
}

static Error *emit(PackCoder *p, const void *data, size_t n)
{
    if (p->outlen + n > PACK_OUTPUT_BUFFER) {
        Error *e = pack_flush(p);
        if (e)
            return e;
        if (n >= PACK_OUTPUT_BUFFER)
            return p->out_fn(p->out_ctx, data, n);
    }
    memcpy(p->out + p->outlen, data, n);
    p->outlen += n;
    return NULL;
}

/* need bytes of the input: a pointer to them (in the input or in scratch),
 * or NULL when the input ended first (what there was is kept in scratch). */
static inline const unsigned char *take(PackCoder *p, const char **data, size_t *len, size_t need)
{
    if (p->have == 0 && *len >= need) {
        const unsigned char *r = (const unsigned char *)*data;
        *data += need;
        *len -= need;
        return r;
    }
    size_t k = need - p->have;
    if (k > *len)
        k = *len;
    memcpy(p->scratch + p->have, *data, k);
    p->have += k;
    *data += k;
    *len -= k;
    if (p->have < need)
        return NULL;
    p->have = 0;
    return p->scratch;
}

/* 1: a varint read into *v; 0: the input ended first; -1: longer than a
 * 32-bit value's. */
static inline int take_varint(PackCoder *p, const char **data, size_t *len, uint64_t *v)
{
    while (*len) {
        unsigned char b = (unsigned char)**data;
        (*data)++;
        (*len)--;
        p->vacc |= (uint64_t)(b & 0x7f) << p->vshift;
        p->vshift += 7;
        if (!(b & 0x80)) {
            *v = p->vacc;
            p->vacc = 0;
            p->vshift = 0;
            return *v > UINT32_MAX ? -1 : 1;
        }
        if (p->vshift >= 7 * VARINT_MAX)
            return -1;
    }
    return 0;
}

static uint32_t be32(const unsigned char *u)
{
    return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

static void put_be32(unsigned char *u, uint32_t v)
{
    u[0] = (unsigned char)(v >> 24);
    u[1] = (unsigned char)(v >> 16);
    u[2] = (unsigned char)(v >> 8);
    u[3] = (unsigned char)v;
}

static uint64_t load_be(const unsigned char *u, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | u[i];
    return v;
}

static void store_be(unsigned char *u, size_t n, uint64_t v)
{
    for (size_t i = n; i-- > 0;) {
        u[i] = (unsigned char)v;
        v >>= 8;
    }
}

static Error *malformed(PackCoder *p, const char *what)
{
    p->state = ST_FAILED;
    return ERROR_NEW(ERR_FORMAT, "%s: %s", p->decode ? "malformed packed data" :
                                                       "unexpected binary COPY data",
                     what);
}

/* A field count (width 2) or a field length (width 4), -1 being the end
 * marker or NULL: in the input, a varint of the value + 1 for the decoder,
 * a big-endian signed integer for the encoder. *got is false when the
 * input ended first. */
static Error *take_count(PackCoder *p, const char **data, size_t *len, size_t width, bool *got,
                         int64_t *out)
{
    const char *what = width == 2 ? "field count" : "field length";
    *got = false;
    if (p->decode) {
        uint64_t v;
        int r = take_varint(p, data, len, &v);
        if (r == 0)
            return NULL;
        if (r < 0 || (v > 0 && v - 1 > (width == 2 ? INT16_MAX : INT32_MAX))) {
            char msg[32];
            snprintf(msg, sizeof msg, "invalid %s", what);
            return malformed(p, msg);
        }
        *out = (int64_t)v - 1;
    } else {
        const unsigned char *u = take(p, data, len, width);
        if (!u)
            return NULL;
        *out = width == 2 ? (int16_t)(uint16_t)(u[0] << 8 | u[1]) : (int32_t)be32(u);
        if (*out < -1) {
            char msg[32];
            snprintf(msg, sizeof msg, "negative %s", what);
            return malformed(p, msg);
        }
    }
    *got = true;
    return NULL;
}

/* The count n of take_count in the output's form: big-endian of width
 * bytes for the decoder, a varint of n + 1 for the encoder. */
static Error *emit_count(PackCoder *p, int64_t n, size_t width)
{
    if (!p->decode)
        return emit_varint(p, (uint64_t)(n + 1));
    unsigned char b[4];
    if (width == 2) {
        b[0] = (unsigned char)((uint16_t)n >> 8);
        b[1] = (unsigned char)n;
    } else {
        put_be32(b, (uint32_t)(int32_t)n);
    }
    return emit(p, b, width);
}

/* Whether the value of length n in the current column is coded against the
 * previous row's. */
static inline bool delta_coded_at(const PackCoder *p, size_t col, int64_t n)
{
    if (col >= p->ncols)
        return false;
    char m = p->modes[col];
    if (m == PACK_DELTA)
        return n == 2 || n == 4 || n == 8;
    if (m == PACK_WORDS)
        return n > 0 && n <= PACK_WORDS_MAX && n % 4 == 0;
    return false;
}

static void next_field(PackCoder *p)
{
    p->field++;
    p->state = p->field < p->nfields ? ST_FLEN : ST_TUPLE;
}

/* A field's length (-1 for NULL) was read: write it and choose how its
 * value is read. */
static Error *field_length(PackCoder *p, int64_t n)
{
    Error *e = emit_count(p, n, 4);
    if (e)
        return e;
    bool tracked = (size_t)p->field < p->ncols && p->modes[p->field] != PACK_PLAIN;
    if (n > 0 && delta_coded_at(p, (size_t)p->field, n)) {
        p->flen = (size_t)n;
        p->state = ST_DELTA;
        return NULL;
    }
    if (tracked)
        p->prev_len[p->field] = -1;
    if (n > 0) {
        p->remaining = (uint64_t)n;
        p->state = ST_PLAIN;
    } else {
        next_field(p);
    }
    return NULL;
}

/* The value u of flen bytes, coded against the previous row's of the same
 * length when there is one; the column's previous value becomes u's
 * original (the encoder's input, the decoder's output). */
static Error *delta_value(PackCoder *p, const unsigned char *u)
{
    size_t n = p->flen, col = (size_t)p->field;
    unsigned char *prev = p->prev + col * PACK_WORDS_MAX;
    unsigned char res[PACK_WORDS_MAX];
    const unsigned char *orig = u, *outv = u;
    if (p->prev_len[col] == (int32_t)n) {
        if (p->modes[col] == PACK_DELTA) {
            uint64_t a = load_be(u, n), b = load_be(prev, n);
            store_be(res, n, p->decode ? a + b : a - b);
        } else {
            for (size_t k = 0; k < n; k += 4) {
                uint32_t a = be32(u + k), b = be32(prev + k);
                put_be32(res + k, p->decode ? a + b : a - b);
            }
        }
        outv = res;
        if (p->decode)
            orig = res;
    }
    Error *e = emit(p, outv, n);
    if (e)
        return e;
    memcpy(prev, orig, n);
    p->prev_len[col] = (int32_t)n;
    next_field(p);
    return NULL;
}

static Error *step(PackCoder *p, const char **data, size_t *len)
{
    const unsigned char *u;
    uint64_t v;
    int r;
    switch (p->state) {
    case ST_MAGIC:
        if (!(u = take(p, data, len, PACK_MAGIC_LEN)))
            return NULL;
        if (memcmp(u, PACK_MAGIC, PACK_MAGIC_LEN) != 0)
            return malformed(p, "it does not start with " PACK_MAGIC);
        p->state = ST_NCOLS;
        return NULL;
    case ST_NCOLS:
        if ((r = take_varint(p, data, len, &v)) <= 0)
            return r < 0 ? malformed(p, "invalid column count") : NULL;
        if (v > PACK_MAX_COLUMNS)
            return malformed(p, "too many columns");
        set_modes(p, NULL, (size_t)v);
        p->state = p->ncols ? ST_MODES : ST_HEADER;
        return NULL;
    case ST_MODES:
        while (*len && p->nmodes_read < p->ncols) {
            char m = **data;
            if (m != PACK_PLAIN && m != PACK_DELTA && m != PACK_WORDS)
                return malformed(p, "invalid column mode");
            p->modes[p->nmodes_read++] = m;
            (*data)++;
            (*len)--;
        }
        if (p->nmodes_read == p->ncols)
            p->state = ST_HEADER;
        return NULL;
    case ST_HEADER: {
        if (!(u = take(p, data, len, COPY_HEADER_LEN)))
            return NULL;
        if (memcmp(u, copy_signature, sizeof copy_signature) != 0)
            return malformed(p, "no binary COPY signature");
        uint32_t ext = be32(u + 15);
        if (ext > COPY_EXT_MAX)
            return malformed(p, "header extension too long");
        Error *e = emit(p, u, COPY_HEADER_LEN);
        if (e)
            return e;
        p->remaining = ext;
        p->state = ext ? ST_EXT : ST_TUPLE;
        return NULL;
    }
    case ST_EXT:
    case ST_PLAIN: {
        size_t n = *len < p->remaining ? *len : (size_t)p->remaining;
        Error *e = emit(p, *data, n);
        if (e)
            return e;
        *data += n;
        *len -= n;
        p->remaining -= n;
        if (!p->remaining) {
            if (p->state == ST_EXT)
                p->state = ST_TUPLE;
            else
                next_field(p);
        }
        return NULL;
    }
    case ST_TUPLE: {
        int64_t nf;
        bool got;
        Error *e = take_count(p, data, len, 2, &got, &nf);
        if (!e && got)
            e = emit_count(p, nf, 2);
        if (e || !got)
            return e;
        if (nf == -1) {
            p->state = ST_END;
            return NULL;
        }
        p->rows++;
        p->nfields = (int)nf;
        p->field = 0;
        p->state = nf ? ST_FLEN : ST_TUPLE;
        return NULL;
    }
    case ST_FLEN: {
        int64_t n;
        bool got;
        Error *e = take_count(p, data, len, 4, &got, &n);
        if (e || !got)
            return e;
        return field_length(p, n);
    }
    case ST_DELTA:
        if (!(u = take(p, data, len, p->flen)))
            return NULL;
        return delta_value(p, u);
    case ST_END:
        return malformed(p, "data after the end marker");
    case ST_FAILED:
        break;
    }
    return ERROR_NEW(ERR_INTERNAL, "pack coder used after an error");
}

/* The fast paths: whole tuples that lie in the caller's chunk (with the
 * backup's COPY, every row arrives whole) are coded in one loop, straight
 * into the output buffer; the state machine (step) takes over at the first
 * tuple that is incomplete, malformed or larger than the buffer, and for
 * the end marker. Each returns the bytes it consumed. */

/* n bytes from in to o, where end is the end of the input: a short value is
 * copied as 16 bytes (two moves instead of a call) when the input has them;
 * the output buffer has COPY_SLACK spare bytes for what lies past it. */
static inline void copy_value(unsigned char *o, const unsigned char *in, size_t n,
                              const unsigned char *end)
{
    if (n <= 16 && (size_t)(end - in) >= 16)
        memcpy(o, in, 16);
    else
        memcpy(o, in, n);
}

/* load_be and store_be for the lengths a PACK_DELTA value has (2, 4, 8),
 * without a loop over the bytes. */
static inline uint64_t load_be_delta(const unsigned char *u, size_t n)
{
    if (n == 8)
        return (uint64_t)be32(u) << 32 | be32(u + 4);
    if (n == 4)
        return be32(u);
    return (uint64_t)u[0] << 8 | u[1];
}

static inline void store_be_delta(unsigned char *u, size_t n, uint64_t v)
{
    if (n == 8) {
        put_be32(u, (uint32_t)(v >> 32));
        put_be32(u + 4, (uint32_t)v);
    } else if (n == 4) {
        put_be32(u, (uint32_t)v);
    } else {
        u[0] = (unsigned char)(v >> 8);
        u[1] = (unsigned char)v;
    }
}

/* The value of n bytes at in, coded into o by column col's mode (not
 * PACK_PLAIN); in and o do not overlap. The column's previous value is
 * written in the same pass (the encoder's input, the decoder's output). */
static void code_value(PackCoder *p, size_t col, const unsigned char *in, size_t n,
                       unsigned char *o)
{
    if (!delta_coded_at(p, col, (int64_t)n)) {
        p->prev_len[col] = -1;
        memcpy(o, in, n);
        return;
    }
    unsigned char *prev = p->prev + col * PACK_WORDS_MAX;
    bool same = p->prev_len[col] == (int32_t)n;
    p->prev_len[col] = (int32_t)n;
    if (p->modes[col] == PACK_DELTA) {
        uint64_t a = load_be_delta(in, n), r = a;
        if (same)
            r = p->decode ? a + load_be_delta(prev, n) : a - load_be_delta(prev, n);
        store_be_delta(o, n, r);
        store_be_delta(prev, n, p->decode ? r : a);
        return;
    }
    for (size_t k = 0; k < n; k += 4) {
        uint32_t a = be32(in + k), r = a;
        if (same)
            r = p->decode ? a + be32(prev + k) : a - be32(prev + k);
        put_be32(o + k, r);
        put_be32(prev + k, p->decode ? r : a);
    }
}

static size_t encode_fast(PackCoder *p, const unsigned char *d, size_t len, Error **err)
{
    size_t pos = 0;
    while (len - pos >= 2) {
        int nf = (int16_t)(uint16_t)(d[pos] << 8 | d[pos + 1]);
        if (nf < 0)
            break;
        size_t q = pos + 2;
        bool whole = true;
        for (int i = 0; i < nf && whole; i++) {
            if (len - q < 4) {
                whole = false;
                break;
            }
            int32_t fl = (int32_t)be32(d + q);
            q += 4;
            if (fl < -1 || (fl > 0 && len - q < (size_t)fl))
                whole = false;
            else if (fl > 0)
                q += (size_t)fl;
        }
        /* Each field's length takes at most one byte more than before. */
        size_t worst = q - pos + (size_t)nf + 3;
        if (!whole || worst > PACK_OUTPUT_BUFFER)
            break;
        if (p->outlen + worst > PACK_OUTPUT_BUFFER && (*err = pack_flush(p)))
            return pos;
        unsigned char *o = (unsigned char *)p->out + p->outlen;
        o += put_varint(o, (uint64_t)nf + 1);
        q = pos + 2;
        for (int i = 0; i < nf; i++) {
            int32_t fl = (int32_t)be32(d + q);
            q += 4;
            o += put_varint(o, (uint64_t)((int64_t)fl + 1));
            size_t n = fl > 0 ? (size_t)fl : 0;
            if ((size_t)i < p->ncols && p->modes[i] != PACK_PLAIN)
                code_value(p, (size_t)i, d + q, n, o);
            else
                copy_value(o, d + q, n, d + len);
            o += n;
            q += n;
        }
        p->outlen = (size_t)(o - (unsigned char *)p->out);
        p->rows++;
        pos = q;
    }
    return pos;
}

/* 1: a varint at d[*pos] read into *v; 0: incomplete; -1: too long. */
static inline int get_varint(const unsigned char *d, size_t len, size_t *pos, uint64_t *v)
{
    if (*pos < len && d[*pos] < 0x80) {
        *v = d[(*pos)++];
        return 1;
    }
    uint64_t acc = 0;
    for (unsigned i = 0; i < VARINT_MAX; i++) {
        if (*pos + i >= len)
            return 0;
        unsigned char b = d[*pos + i];
        acc |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *pos += i + 1;
            *v = acc;
            return acc > UINT32_MAX ? -1 : 1;
        }
    }
    return -1;
}

static size_t decode_fast(PackCoder *p, const unsigned char *d, size_t len, Error **err)
{
    size_t pos = 0;
    while (pos < len) {
        size_t q = pos;
        uint64_t v;
        if (get_varint(d, len, &q, &v) != 1 || v == 0 || v - 1 > INT16_MAX)
            break;
        int nf = (int)(v - 1);
        size_t fields_at = q;
        bool whole = true;
        for (int i = 0; i < nf; i++) {
            if (get_varint(d, len, &q, &v) != 1 || (v > 0 && v - 1 > INT32_MAX) ||
                (v > 1 && len - q < v - 1)) {
                whole = false;
                break;
            }
            if (v > 1)
                q += (size_t)(v - 1);
        }
        /* Each field's length takes 4 bytes, at least one before. */
        size_t worst = q - pos + 3 * (size_t)nf + 2;
        if (!whole || worst > PACK_OUTPUT_BUFFER)
            break;
        if (p->outlen + worst > PACK_OUTPUT_BUFFER && (*err = pack_flush(p)))
            return pos;
        unsigned char *o = (unsigned char *)p->out + p->outlen;
        o[0] = (unsigned char)((unsigned)nf >> 8);
        o[1] = (unsigned char)nf;
        o += 2;
        q = fields_at;
        for (int i = 0; i < nf; i++) {
            get_varint(d, len, &q, &v);
            int64_t fl = (int64_t)v - 1;
            put_be32(o, (uint32_t)(int32_t)fl);
            o += 4;
            size_t n = fl > 0 ? (size_t)fl : 0;
            if ((size_t)i < p->ncols && p->modes[i] != PACK_PLAIN)
                code_value(p, (size_t)i, d + q, n, o);
            else
                copy_value(o, d + q, n, d + len);
            o += n;
            q += n;
        }
        p->outlen = (size_t)(o - (unsigned char *)p->out);
        p->rows++;
        pos = q;
    }
    return pos;
}

Error *pack_write(PackCoder *p, const char *data, size_t len)
{
    while (len) {
        if (p->state == ST_TUPLE && p->have == 0 && p->vshift == 0) {
            Error *e = NULL;
            size_t used = p->decode ? decode_fast(p, (const unsigned char *)data, len, &e)
                                    : encode_fast(p, (const unsigned char *)data, len, &e);
            data += used;
            len -= used;
            if (e) {
                p->state = ST_FAILED;
                return e;
            }
            if (!len)
                break;
        }
        Error *e = step(p, &data, &len);
        if (e) {
            p->state = ST_FAILED;
            return e;
        }
    }
    return NULL;
}

Error *pack_finish(PackCoder *p)
{
    if (p->state == ST_FAILED)
        return ERROR_NEW(ERR_INTERNAL, "pack coder used after an error");
    if (p->state != ST_END) {
        p->state = ST_FAILED;
        return ERROR_NEW(ERR_FORMAT, "%s ends before its end marker",
                         p->decode ? "packed data" : "binary COPY data");
    }
    return pack_flush(p);
}
