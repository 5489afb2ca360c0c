/* Checksums of backup set files: XXH3-128 (libxxhash), written as 32
 * lower-case hex digits. Streaming, so files are checksummed while they are
 * written and while they are read back. */
#ifndef GPB_CHECKSUM_H
#define GPB_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define CHECKSUM_ALGORITHM "xxh3-128"
#define CHECKSUM_HEX_LEN 32

typedef struct Checksum Checksum;

Checksum *checksum_new(void);
void checksum_update(Checksum *c, const void *data, size_t len);
/* The digest of everything so far, as hex (out holds CHECKSUM_HEX_LEN + 1). */
void checksum_hex(const Checksum *c, char *out);
void checksum_free(Checksum *c);              /* accepts NULL */

/* Digest of a buffer. */
void checksum_buffer(const void *data, size_t len, char *out);

/* Digest and size of a whole file. */
Error *checksum_file(const char *path, char *out, uint64_t *size);

/* Is s 32 lower-case hex digits? */
int checksum_valid_hex(const char *s);

#endif
