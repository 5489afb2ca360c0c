/* Files and paths: creating directories and backup set files with private
 * modes, atomic whole-file writes (temporary name, fsync, rename, fsync of
 * the directory), bounded whole-file and byte-range reads, and path helpers.
 * Every system call failure becomes an ERR_IO error naming the file. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "util.h"

#define FILE_MODE 0600
#define DIR_MODE 0700

/* The GNU strerror_r never writes into a shared buffer, unlike strerror,
 * which matters because worker threads report I/O errors concurrently. */
static Error *sys_error_at(const char *file, int line, ErrorCode code, int errnum,
                           const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static Error *sys_error_at(const char *file, int line, ErrorCode code, int errnum,
                           const char *fmt, ...)
{
    char ebuf[256];
    const char *reason = strerror_r(errnum, ebuf, sizeof ebuf);
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    Error *err = error_new_at(code, file, line, "%s: %s", msg, reason);
    free(msg);
    if (errnum == ENOSPC)
        error_hint(err, "Check free disk space.");
    return err;
}

#define SYS_ERROR(errnum, ...) sys_error_at(__FILE__, __LINE__, ERR_IO, (errnum), __VA_ARGS__)

static Error *mkdir_one(const char *path, int *existed)
{
    *existed = 0;
    if (mkdir(path, DIR_MODE) == 0) {
        /* mkdir honours the umask, which may have removed owner bits; the
         * promise is exactly 0700 for the directories we create. */
        if (chmod(path, DIR_MODE) != 0)
            return SYS_ERROR(errno, "could not change permissions of directory \"%s\"", path);
        return NULL;
    }
    int e = errno;
    if (e != EEXIST)
        return SYS_ERROR(e, "could not create directory \"%s\"", path);
    struct stat st;
    if (stat(path, &st) != 0)
        return SYS_ERROR(errno, "could not stat directory \"%s\"", path);
    if (!S_ISDIR(st.st_mode))
        return SYS_ERROR(ENOTDIR, "could not create directory \"%s\"", path);
    *existed = 1;
    return NULL;
}

Error *file_mkdir_p(const char *path)
{
    if (!path || !*path)
        return ERROR_NEW(ERR_INTERNAL, "could not create directory: empty path");
    char *p = xstrdup(path);
    size_t len = strlen(p);
    while (len > 1 && p[len - 1] == '/')
        p[--len] = '\0';

    Error *err = NULL;
    int existed;
    /* Walk prefixes left to right so every missing level gets DIR_MODE. */
    for (char *s = p + 1; *s && !err; s++) {
        if (*s != '/' || s[-1] == '/')
            continue;
        *s = '\0';
        err = mkdir_one(p, &existed);
        *s = '/';
    }
    if (!err)
        err = mkdir_one(p, &existed);
    free(p);
    return err;
}

Error *file_mkdir_excl(const char *path, int *existed)
{
    int ex = 0;
    Error *err = mkdir_one(path, &ex);
    if (existed)
        *existed = ex;
    return err;
}

Error *file_create(const char *path, int *fd)
{
    int f = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, FILE_MODE);
    if (f < 0)
        return SYS_ERROR(errno, "could not create file \"%s\"", path);
    /* The umask may have cleared bits and a pre-existing file keeps its old
     * mode through O_TRUNC; both must end as exactly 0600. */
    if (fchmod(f, FILE_MODE) != 0) {
        int e = errno;
        close(f);
        return SYS_ERROR(e, "could not change permissions of file \"%s\"", path);
    }
    *fd = f;
    return NULL;
}

Error *file_write_all(int fd, const void *buf, size_t len, const char *path)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return SYS_ERROR(errno, "could not write file \"%s\"", path);
        }
        /* A write that makes no progress without setting errno is, as
         * PostgreSQL also assumes, a full disk. */
        if (n == 0)
            return SYS_ERROR(ENOSPC, "could not write file \"%s\"", path);
        p += n;
        len -= (size_t)n;
    }
    return NULL;
}

Error *file_fsync_fd(int fd, const char *path)
{
    if (fsync(fd) != 0)
        return SYS_ERROR(errno, "could not fsync file \"%s\"", path);
    return NULL;
}

Error *file_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return SYS_ERROR(errno, "could not open directory \"%s\"", dir);
    Error *err = NULL;
    /* Some file systems cannot fsync a directory and say EINVAL; like
     * PostgreSQL's fsync_fname we accept that rather than fail the backup. */
    if (fsync(fd) != 0 && errno != EINVAL)
        err = SYS_ERROR(errno, "could not fsync directory \"%s\"", dir);
    close(fd);
    return err;
}

Error *file_close(int fd, const char *path)
{
    /* Not retried on EINTR: on Linux the descriptor is gone either way. */
    if (close(fd) != 0)
        return SYS_ERROR(errno, "could not close file \"%s\"", path);
    return NULL;
}

Error *file_rename(const char *from, const char *to)
{
    if (rename(from, to) != 0)
        return SYS_ERROR(errno, "could not rename file \"%s\" to \"%s\"", from, to);
    return NULL;
}

void file_remove(const char *path)
{
    if (path)
        unlink(path);
}

Error *file_write_atomic(const char *path, const void *data, size_t len)
{
    char *tmp = xasprintf("%s.tmp", path);
    int fd = -1;
    Error *err = file_create(tmp, &fd);
    if (err) {
        free(tmp);
        return err;
    }
    err = file_write_all(fd, data, len, tmp);
    if (!err)
        err = file_fsync_fd(fd, tmp);
    Error *cerr = file_close(fd, tmp);
    if (!err)
        err = cerr;
    else
        error_free(cerr);
    if (!err)
        err = file_rename(tmp, path);
    if (err) {
        file_remove(tmp);
        free(tmp);
        return err;
    }
    free(tmp);
    char *dir = path_dirname(path);
    err = file_fsync_dir(dir);
    free(dir);
    return err;
}

Error *file_open_read(const char *path, int *fd)
{
    int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0)
        return SYS_ERROR(errno, "could not open file \"%s\"", path);
    *fd = f;
    return NULL;
}

Error *file_open_read_regular(const char *path, int *fd)
{
    int f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (f < 0) {
        if (errno == ELOOP)
            return ERROR_NEW(ERR_FORMAT, "file \"%s\" is a symbolic link", path);
        return SYS_ERROR(errno, "could not open file \"%s\"", path);
    }
    struct stat st;
    if (fstat(f, &st) != 0) {
        Error *e = SYS_ERROR(errno, "could not stat file \"%s\"", path);
        close(f);
        return e;
    }
    if (!S_ISREG(st.st_mode)) {
        close(f);
        return ERROR_NEW(ERR_FORMAT, "file \"%s\" is not a regular file", path);
    }
    *fd = f;
    return NULL;
}

Error *file_seek(int fd, uint64_t offset, const char *path)
{
    if (offset > (uint64_t)INT64_MAX)
        return SYS_ERROR(EINVAL, "could not seek to byte %llu of file \"%s\"",
                         (unsigned long long)offset, path);
    if (lseek(fd, (off_t)offset, SEEK_SET) < 0)
        return SYS_ERROR(errno, "could not seek to byte %llu of file \"%s\"",
                         (unsigned long long)offset, path);
    return NULL;
}

Error *file_read_some(int fd, void *buf, size_t cap, size_t *n, const char *path)
{
    for (;;) {
        ssize_t r = read(fd, buf, cap);
        if (r >= 0) {
            *n = (size_t)r;
            return NULL;
        }
        if (errno != EINTR)
            return SYS_ERROR(errno, "could not read file \"%s\"", path);
    }
}

static Error *read_fully(int fd, char *buf, size_t len, off_t off, size_t *got, const char *path)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = off >= 0 ? pread(fd, buf + done, len - done, off + (off_t)done)
                             : read(fd, buf + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return SYS_ERROR(errno, "could not read file \"%s\"", path);
        }
        if (n == 0)
            break;
        done += (size_t)n;
    }
    *got = done;
    return NULL;
}

Error *file_read_all(const char *path, size_t max_size, char **out, size_t *len)
{
    *out = NULL;
    if (len)
        *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return SYS_ERROR(errno, "could not open file \"%s\"", path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return SYS_ERROR(e, "could not stat file \"%s\"", path);
    }
    if ((unsigned long long)st.st_size > max_size) {
        close(fd);
        return error_detail(ERROR_NEW(ERR_FORMAT, "file \"%s\" is too large", path),
                            "The file has %llu bytes; the limit is %zu.",
                            (unsigned long long)st.st_size, max_size);
    }

    /* Read until EOF rather than trusting st_size, but one byte past the
     * limit at most, so a file growing underneath us is still refused. */
    size_t limit = max_size < SIZE_MAX - 1 ? max_size + 1 : SIZE_MAX - 1;
    size_t cap = (size_t)st.st_size + 1;
    size_t used = 0;
    char *buf = xmalloc(cap + 1);
    Error *err = NULL;
    for (;;) {
        size_t got;
        err = read_fully(fd, buf + used, cap - used, -1, &got, path);
        if (err)
            break;
        used += got;
        if (used > max_size) {
            err = error_detail(ERROR_NEW(ERR_FORMAT, "file \"%s\" is too large", path),
                               "The file has more than %zu bytes.", max_size);
            break;
        }
        if (used < cap)
            break;
        cap = cap > limit / 2 ? limit : cap * 2;
        buf = xrealloc(buf, cap + 1);
    }
    close(fd);
    if (err) {
        free(buf);
        return err;
    }
    buf[used] = '\0';
    *out = buf;
    if (len)
        *len = used;
    return NULL;
}

Error *file_read_range(const char *path, unsigned long long start, unsigned long long end,
                       char **out)
{
    *out = NULL;
    if (end < start)
        return ERROR_NEW(ERR_FORMAT, "invalid byte range %llu-%llu of file \"%s\"",
                         start, end, path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return SYS_ERROR(errno, "could not open file \"%s\"", path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return SYS_ERROR(e, "could not stat file \"%s\"", path);
    }
    /* Check against the real size before allocating: a damaged TOC must not
     * make us allocate whatever its offsets say. */
    if (end > (unsigned long long)st.st_size) {
        close(fd);
        return error_detail(ERROR_NEW(ERR_FORMAT, "byte range %llu-%llu is beyond the end of "
                                      "file \"%s\"", start, end, path),
                            "The file has %llu bytes.", (unsigned long long)st.st_size);
    }
    size_t len = (size_t)(end - start);
    char *buf = xmalloc(len + 1);
    size_t got = 0;
    Error *err = read_fully(fd, buf, len, (off_t)start, &got, path);
    close(fd);
    if (!err && got < len)
        err = ERROR_NEW(ERR_FORMAT, "unexpected end of file \"%s\" reading bytes %llu-%llu",
                        path, start, end);
    if (err) {
        free(buf);
        return err;
    }
    buf[len] = '\0';
    *out = buf;
    return NULL;
}

int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

char *path_join(const char *a, const char *b)
{
    size_t alen = strlen(a);
    while (alen > 1 && a[alen - 1] == '/')
        alen--;
    /* A bare "/" keeps its slash; the separator below must not double it. */
    if (alen == 1 && a[0] == '/')
        alen = 0;
    while (*b == '/')
        b++;
    if (alen == 0 && a[0] != '/')
        return xstrdup(b);
    if (!*b)
        return alen ? xstrndup(a, alen) : xstrdup("/");
    return xasprintf("%.*s/%s", (int)alen, a, b);
}

char *path_dirname(const char *path)
{
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        len--;
    while (len > 0 && path[len - 1] != '/')
        len--;
    if (len == 0)
        return xstrdup(".");
    while (len > 1 && path[len - 1] == '/')
        len--;
    return xstrndup(path, len);
}

Error *file_sync_dir_tree(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return ERROR_NEW(ERR_IO, "could not open directory \"%s\": %s", dir, strerror(errno));
    Error *e = NULL;
    if (syncfs(fd) != 0)
        e = ERROR_NEW(ERR_IO, "could not sync the file system of \"%s\": %s", dir,
                      strerror(errno));
    close(fd);
    if (!e)
        e = file_fsync_dir(dir);
    return e;
}
