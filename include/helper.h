/* The contract between the coordinator (gpbackup / gprestore) and
 * gpbackup_helper, the small program the database server runs through
 * COPY ... TO/FROM PROGRAM (ON SEGMENT on MPP clusters): the helper's
 * command line, the sidecar it writes next to each data file, and the pure
 * pieces of its work (CSV row counting). Specified in docs/gpbackup_helper.md. */
#ifndef GPB_HELPER_H
#define GPB_HELPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checksum.h"
#include "codec.h"
#include "error.h"

#define HELPER_SIDECAR_VERSION 1
/* The sidecar of data file F is F HELPER_SIDECAR_SUFFIX; the error file of
 * a run that failed is F HELPER_ERROR_SUFFIX. */
#define HELPER_SIDECAR_SUFFIX ".meta"
#define HELPER_ERROR_SUFFIX ".err"

/* What the helper records about one data file it wrote. */
typedef struct HelperSidecar {
    int content;                          /* segment content id, -1 = coordinator */
    uint64_t rows;                        /* CSV rows read from stdin */
    uint64_t rawbytes;                    /* bytes read from stdin */
    uint64_t filebytes;                   /* size of the (compressed) file */
    char checksum[CHECKSUM_HEX_LEN + 1];  /* XXH3-128 of the file's bytes */
} HelperSidecar;

/* Sidecar text: YAML, one "key: value" per line:
 *   formatversion: 1 / content: N / rows: N / rawbytes: N / filebytes: N / checksum: hex
 * Caller owns the result. */
char *helper_sidecar_to_text(const HelperSidecar *s);
/* Parse and validate (version, every key present once, numbers in range,
 * checksum well formed); ERR_FORMAT naming the key otherwise. */
Error *helper_sidecar_from_text(const char *text, size_t len, HelperSidecar *out);

/* Counting the rows of a COPY CSV stream: a row ends at a newline outside
 * double quotes (a doubled quote inside a quoted field toggles twice). */
typedef struct CsvRowCounter {
    bool in_quotes;
    uint64_t rows;
} CsvRowCounter;
void csv_count_rows(CsvRowCounter *c, const char *buf, size_t len);

/* Quote s for /bin/sh: '...' with each ' written as '\''. Caller owns. */
char *helper_shell_quote(const char *s);

/* The program string for COPY ... TO PROGRAM: the helper (its absolute
 * path), --backup-file PATH, --compression, --compression-level, --content.
 * content_arg is either a number ("-1") or the server's placeholder
 * ("<SEGID>"); path may contain the placeholders <SEGID> and <SEG_DATA_DIR>.
 * error_path (may be NULL; placeholders allowed) adds --error-file: on
 * failure the helper writes its message there as well as to stderr, so the
 * coordinator can read it back (pg_read_file) and report it; a run that
 * succeeds removes a stale one. Every argument is shell-quoted. Caller owns. */
char *helper_backup_command(const char *helper_path, const char *path, CodecType codec,
                            int level, const char *content_arg, const char *error_path);

/* The program string for COPY ... FROM PROGRAM: --restore-file PATH,
 * --compression, --content, and the expected checksum of each content's
 * file as "--checksums C:HEX[,C:HEX...]" (the helper picks its own). */
char *helper_restore_command(const char *helper_path, const char *path, CodecType codec,
                             const char *content_arg, const int *contents,
                             char *const *checksums, size_t n, const char *error_path);

/* The program string for COPY ... FROM PROGRAM ON SEGMENT that reads back
 * small files the helpers wrote (sidecars, error files) on every segment:
 * --content <SEGID>, then --print-file PATH for content -1, 0, 1, ... in
 * that order (paths[c + 1] is content c's; the helper prints the one of its
 * own content), and --missing-ok to print nothing for an absent file
 * instead of failing. Every argument is shell-quoted. Caller owns. */
char *helper_print_command(const char *helper_path, const char *content_arg,
                           const char *const *paths, size_t n, bool missing_ok);

/* What --print-file writes to standard output: one CSV row, the content
 * and the file's text as a quoted field (quotes doubled), ending in a
 * newline: COPY ... WITH CSV reads it as (content, body). Caller owns. */
char *helper_print_row(int content, const char *body, size_t len);

/* The largest file --print-file prints (longer ones are cut). */
#define HELPER_PRINT_MAX (1024 * 1024)

/* A segment content id as the helper accepts it: -1 or a non-negative int,
 * plain decimal without sign or leading zeros. ERR_USAGE otherwise. */
Error *helper_content_parse(const char *s, int *out);
/* The checksum for content in a --checksums list "C:HEX[,C:HEX...]", copied
 * to out (CHECKSUM_HEX_LEN + 1 bytes). ERR_USAGE when the list is malformed,
 * names a content twice, or has no entry for content. */
Error *helper_checksums_lookup(const char *list, int content, char *out);

#endif
