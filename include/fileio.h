/* Files and paths: the one module that creates backup set files. Files are
 * created 0600 and directories 0700 whatever the umask; whole files are
 * written through a temporary name, fsync, rename and an fsync of the
 * directory, so a crash never leaves a half-written file under its real name. */
#ifndef GPB_FILEIO_H
#define GPB_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

/* mkdir -p with mode 0700 for every directory it creates. */
Error *file_mkdir_p(const char *path);

/* Create directory path (mode 0700); fails with EEXIST semantics: *existed is
 * set to 1 and no error is returned when it already exists. */
Error *file_mkdir_excl(const char *path, int *existed);

/* Write data to path atomically (path.tmp, fsync, rename, fsync dir). */
Error *file_write_atomic(const char *path, const void *data, size_t len);

/* Read a whole file; *out is NUL-terminated and owned by the caller.
 * Files larger than max_size are refused with ERR_FORMAT. */
Error *file_read_all(const char *path, size_t max_size, char **out, size_t *len);

/* Read the byte range [start, end) of path into a NUL-terminated string. */
Error *file_read_range(const char *path, unsigned long long start,
                       unsigned long long end, char **out);

/* fsync a directory so that renames and creations in it are durable. */
Error *file_fsync_dir(const char *dir);

/* Make every file written under dir durable, then dir itself: syncfs(2)
 * of dir's file system (one call, however many files). */
Error *file_sync_dir_tree(const char *dir);

/* fsync an open descriptor; names path in the error. */
Error *file_fsync_fd(int fd, const char *path);

/* Open path for writing, created 0600, truncated. Returns fd or an error. */
Error *file_create(const char *path, int *fd);

/* Write all of buf to fd, retrying short writes; names path in the error
 * (including "No space left on device"). */
Error *file_write_all(int fd, const void *buf, size_t len, const char *path);

/* Open path read-only. Returns fd or an error naming path. */
Error *file_open_read(const char *path, int *fd);

/* Open a file of a backup set for reading: refused unless it is a regular
 * file reached without following a symbolic link, so that a set cannot be
 * made to read files outside itself. */
Error *file_open_read_regular(const char *path, int *fd);

/* Move fd to byte offset of the file (path names it in the error). */
Error *file_seek(int fd, uint64_t offset, const char *path);

/* One read of up to cap bytes, retrying EINTR; *n == 0 means end of file. */
Error *file_read_some(int fd, void *buf, size_t cap, size_t *n, const char *path);

/* close fd, reporting deferred write errors (NFS) against path. */
Error *file_close(int fd, const char *path);

/* rename(2) from to to; names both in the error. */
Error *file_rename(const char *from, const char *to);

/* Remove path if it exists; for cleanup on error paths, so never fails. */
void file_remove(const char *path);

/* Does path exist? */
int file_exists(const char *path);

/* "a/b": joins with one slash. Caller owns. */
char *path_join(const char *a, const char *b);

/* Directory part of path (caller owns). */
char *path_dirname(const char *path);

#endif
