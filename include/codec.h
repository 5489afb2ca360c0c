/* Compression codecs for data files: zstd (libzstd), gzip (zlib, gzip
 * framing so that gzip -d can read the files) and none. Streaming writer and
 * reader; the writer creates its file through a temporary name and publishes
 * it on close (fsync + rename), so a failed table leaves no file behind. */
#ifndef GPB_CODEC_H
#define GPB_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

typedef enum CodecType { CODEC_NONE = 0, CODEC_GZIP, CODEC_ZSTD } CodecType;

/* "zstd" | "gzip" | "none" -> type; ERR_USAGE naming the value otherwise. */
Error *codec_parse(const char *name, CodecType *out);
const char *codec_name(CodecType t);          /* "zstd", "gzip", "none" */
const char *codec_suffix(CodecType t);        /* ".zst", ".gz", "" */
int codec_default_level(CodecType t);         /* zstd 1, gzip 1, none 0 */
/* Valid level range of t (zstd 1..19, gzip 1..9, none 0..0). */
void codec_level_range(CodecType t, int *min, int *max);

/* Free the zstd contexts the calling thread keeps for its next file (see
 * codec.c); every thread that opened a writer or reader calls it before it
 * ends. */
void codec_thread_done(void);

typedef struct CodecWriter CodecWriter;

/* Start writing path (through path.tmp, mode 0600) with codec t at level. */
Error *codec_writer_open(const char *path, CodecType t, int level, CodecWriter **out);
/* Compress and write len bytes. */
Error *codec_writer_write(CodecWriter *w, const void *buf, size_t len);
/* Finish the stream, fsync, rename to the final name, free w. Reports the
 * uncompressed bytes written and the size of the file. On error w is still
 * freed and the temporary file removed. */
Error *codec_writer_close(CodecWriter *w, uint64_t *raw_bytes, uint64_t *file_bytes);
/* On a successful close, write the XXH3-128 checksum (hex) of the file's
 * bytes to out (CHECKSUM_HEX_LEN + 1 bytes, owned by the caller). */
void codec_writer_checksum_to(CodecWriter *w, char *out);
/* Skip the fsync of the file and its directory on close: the caller
 * promises to make the whole directory durable later (file_sync_dir_tree),
 * before it declares the files complete. Saves two fsyncs per file, which
 * dominate the time of a backup of many small tables. */
void codec_writer_defer_sync(CodecWriter *w);
/* Where a part of a file lies (codec_writer_end_part). */
typedef struct CodecPart {
    uint64_t offset;      /* of its first byte in the file */
    uint64_t file_bytes;  /* its length in the file */
    uint64_t raw_bytes;   /* uncompressed bytes written to it */
    char checksum[33];    /* XXH3-128 of its file bytes, hex (CHECKSUM_HEX_LEN + 1) */
} CodecPart;
/* End the part written since the file was opened or the last part ended:
 * its compressed stream (zstd frame, gzip member) is finished and written,
 * so the part can be read alone (codec_reader_open_range); the next write
 * starts a new one. Several tables share a file this way. A file whose
 * last write was followed by end_part gets no further stream on close. */
Error *codec_writer_end_part(CodecWriter *w, CodecPart *part);
/* Drop everything: close, remove the temporary file, free w. Accepts NULL. */
void codec_writer_abort(CodecWriter *w);

typedef struct CodecReader CodecReader;

/* Open path for decompressed reading with codec t. */
Error *codec_reader_open(const char *path, CodecType t, CodecReader **out);
/* The same for the length bytes of path from offset on (a part written
 * with codec_writer_end_part); the range's end is the end of the stream. */
Error *codec_reader_open_range(const char *path, CodecType t, uint64_t offset, uint64_t length,
                               CodecReader **out);
/* Read up to cap decompressed bytes; *n == 0 means end of stream. A
 * truncated or corrupt stream is an ERR_FORMAT error naming the file. */
Error *codec_reader_read(CodecReader *r, void *buf, size_t cap, size_t *n);
/* Checksum (hex, CHECKSUM_HEX_LEN + 1 bytes) and count of the file bytes
 * read so far: after the end of the stream, of the whole file (of the
 * range, for codec_reader_open_range). */
void codec_reader_checksum(const CodecReader *r, char *out, uint64_t *file_bytes);
/* Close and free; accepts NULL. */
void codec_reader_close(CodecReader *r);

#endif
