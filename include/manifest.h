/* The manifest of a backup set (gpbackup_<TS>_manifest.yaml): every file of
 * the set with its size and checksum, and a checksum of the manifest itself
 * on its last line. Written after every other file, just before the
 * completion marker; read by gpbackup_manager verify and by gprestore.
 * Specified in docs/backup-set-format.md. */
#ifndef GPB_MANIFEST_H
#define GPB_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checksum.h"
#include "error.h"
#include "util.h"

#define MANIFEST_FORMAT_VERSION 1

typedef struct ManifestFile {
    char *path;                              /* a plain file name inside the set */
    uint64_t size;
    char checksum[CHECKSUM_HEX_LEN + 1];
} ManifestFile;

typedef struct Manifest {
    ManifestFile *files;
    size_t n;
    size_t cap;
} Manifest;

Manifest *manifest_new(void);
void manifest_free(Manifest *m);              /* accepts NULL */

/* Add an entry whose size and checksum are known (name is copied).
 * ERR_INTERNAL when name is not a safe file name. */
Error *manifest_add(Manifest *m, const char *name, uint64_t size, const char *checksum);
/* Add dir/name, reading the file to checksum it. */
Error *manifest_add_file(Manifest *m, const char *dir, const char *name);
/* The entry for name, or NULL. */
const ManifestFile *manifest_find(const Manifest *m, const char *name);

/* Text form: YAML with formatversion, algorithm, files (name, size,
 * checksum), and a last line "manifestchecksum: <hex>" holding the checksum
 * of every byte before that line. */
Error *manifest_to_text(const Manifest *m, char **out, size_t *len);
/* Parse and check: the self checksum, the format version, the algorithm,
 * every name safe (no "/", no "..", no NUL, not empty, not hidden), no
 * duplicate names, sizes within bounds, checksums well formed. */
Error *manifest_from_text(const char *text, size_t len, Manifest **out);
Error *manifest_write(const Manifest *m, const char *path);
Error *manifest_read(const char *path, Manifest **out);

/* A plain file name that cannot escape the directory it is joined to. */
bool manifest_safe_name(const char *name);

/* What is wrong with the file at path against the size and checksum it
 * should have: NULL when nothing, else one of "missing", "not a regular
 * file", "size N, expected M", "checksum differs", "unreadable (<why>)"
 * (caller owns). Reads the whole file when its size is right. */
char *manifest_file_problem(const char *path, uint64_t size, const char *checksum);

/* Compare directory dir with m: every listed file present with the listed
 * size and checksum, and no file in dir that is not listed, except the
 * names in allowed_extra (the manifest itself, the completion marker, and
 * gprestore's own reports). Each problem is one line "<name>: <what>"
 * ("missing", "size 10, expected 12", "checksum differs", "not in the
 * manifest") appended to problems; returns an error only when dir cannot
 * be read. */
Error *manifest_verify_dir(const Manifest *m, const char *dir, const StrList *allowed_extra,
                           StrList *problems);

#endif
