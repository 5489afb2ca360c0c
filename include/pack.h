/* The packed data format: COPY's binary format re-encoded, row by row, so
 * that it compresses better and faster. The stream stays in row order (what
 * repeats within a row still lies close together for the compressor); per
 * tuple, the 2-byte field count and each 4-byte field length become
 * variable-length integers, and the values of columns whose type is an
 * integer, a date or time or a float (mode 'd'), or an array of such (mode
 * 'w'), are written as the difference from the same column's value in the
 * previous row when both have the same length: an increasing key or
 * timestamp becomes the same few bytes in every row. The column modes are
 * chosen at backup from the column types and written at the start of the
 * stream, so the decoder needs nothing else. Layout: docs/backup-set-format.md
 * (section 7.3).
 *
 * Both directions are streaming coders: input in chunks of any size, output
 * handed to a callback in pieces of at most PACK_OUTPUT_BUFFER bytes (a
 * field larger than that is handed over directly). Memory is bounded
 * whatever the size of a row or a field. */
#ifndef GPB_PACK_H
#define GPB_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define PACK_MAGIC "GPBPACK1"
#define PACK_MAGIC_LEN 8
#define PACK_OUTPUT_BUFFER (1024 * 1024)
/* Column modes. */
#define PACK_PLAIN '-'  /* the value as it is */
#define PACK_DELTA 'd'  /* 2-, 4- or 8-byte value: minus the previous row's, modulo 2^bits */
#define PACK_WORDS 'w'  /* up to PACK_WORDS_MAX bytes, a multiple of 4: word by word */
#define PACK_WORDS_MAX 256
/* At most this many columns carry a mode (COPY's field count is an int16). */
#define PACK_MAX_COLUMNS 32767

typedef Error *(*PackOutput)(void *ctx, const char *data, size_t len);
typedef struct PackCoder PackCoder;

/* A string of modes, one per copied column (PACK_PLAIN, PACK_DELTA,
 * PACK_WORDS), at most PACK_MAX_COLUMNS of them. */
bool pack_modes_valid(const char *modes);

/* Encoder: input is a binary COPY stream (header, tuples, end marker). */
PackCoder *pack_encoder_new(const char *modes, PackOutput out, void *ctx);
/* Decoder: input is a packed stream; output the binary COPY stream. */
PackCoder *pack_decoder_new(PackOutput out, void *ctx);
/* Feed len bytes. A malformed stream is an ERR_FORMAT error; an error of
 * the output callback is returned as it is. After an error the coder
 * accepts nothing more. */
Error *pack_write(PackCoder *p, const char *data, size_t len);
/* Hand what is buffered to the output callback. */
Error *pack_flush(PackCoder *p);
/* End of input: the stream must be complete (its end marker seen, nothing
 * after it); then flush. */
Error *pack_finish(PackCoder *p);
/* Tuples seen so far (the end marker not counted). */
uint64_t pack_rows(const PackCoder *p);
void pack_free(PackCoder *p);

#endif
