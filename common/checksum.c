/* XXH3-128 through libxxhash's streaming state. */
#include "checksum.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "fileio.h"
#include "util.h"

struct Checksum {
    XXH3_state_t *state;
};

Checksum *checksum_new(void)
{
    Checksum *c = xcalloc(1, sizeof *c);
    c->state = XXH3_createState();
    if (!c->state) {
        fputs("fatal: out of memory\n", stderr);
        abort();
    }
    XXH3_128bits_reset(c->state);
    return c;
}

void checksum_update(Checksum *c, const void *data, size_t len)
{
    XXH3_128bits_update(c->state, data, len);
}

static void to_hex(XXH128_hash_t h, char *out)
{
    XXH128_canonical_t canon;
    XXH128_canonicalFromHash(&canon, h);
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = digits[canon.digest[i] >> 4];
        out[2 * i + 1] = digits[canon.digest[i] & 15];
    }
    out[CHECKSUM_HEX_LEN] = '\0';
}

void checksum_hex(const Checksum *c, char *out)
{
    to_hex(XXH3_128bits_digest(c->state), out);
}

void checksum_free(Checksum *c)
{
    if (!c)
        return;
    XXH3_freeState(c->state);
    free(c);
}

void checksum_buffer(const void *data, size_t len, char *out)
{
    to_hex(XXH3_128bits(data, len), out);
}

Error *checksum_file(const char *path, char *out, uint64_t *size)
{
    int fd;
    Error *e = file_open_read(path, &fd);
    if (e)
        return e;
    Checksum *c = checksum_new();
    size_t cap = 1024 * 1024;
    char *buf = xmalloc(cap);
    uint64_t total = 0;
    for (;;) {
        size_t n = 0;
        e = file_read_some(fd, buf, cap, &n, path);
        if (e || n == 0)
            break;
        checksum_update(c, buf, n);
        total += n;
    }
    free(buf);
    Error *ce = file_close(fd, path);
    if (!e)
        e = ce;
    else
        error_free(ce);
    if (!e) {
        checksum_hex(c, out);
        if (size)
            *size = total;
    }
    checksum_free(c);
    return e;
}

int checksum_valid_hex(const char *s)
{
    if (!s || strlen(s) != CHECKSUM_HEX_LEN)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}
