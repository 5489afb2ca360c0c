/* Unit tests of common/fileio.c: directory and file modes under a hostile
 * umask, atomic writes leaving no temporary behind, bounded reads, error
 * messages that name the file, and the path helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "util.h"

static char scratch[64];

#define ASSERT_OK(expr)                                                         \
    do {                                                                        \
        Error *e_ = (expr);                                                     \
        if (e_) {                                                               \
            print_error("unexpected error: %s\n", e_->message);                 \
            error_free(e_);                                                     \
            fail();                                                             \
        }                                                                       \
    } while (0)

/* Assert err is of code and its message contains want; frees err. */
static void expect_error(Error *err, ErrorCode code, const char *want)
{
    assert_non_null(err);
    if (!strstr(err->message, want))
        print_error("message \"%s\" lacks \"%s\"\n", err->message, want);
    int code_ok = err->code == code;
    int msg_ok = strstr(err->message, want) != NULL;
    error_free(err);
    assert_true(code_ok);
    assert_true(msg_ok);
}

static char *scratch_path(const char *name)
{
    return path_join(scratch, name);
}

static int mode_of(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (int)(st.st_mode & 07777);
}

static void put_file(const char *path, const char *content, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    size_t len = strlen(content);
    assert_int_equal(write(fd, content, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int setup(void **state)
{
    strcpy(scratch, "/tmp/gpb_fileio_XXXXXX");
    if (!mkdtemp(scratch))
        return -1;
    umask(0);
    return 0;
}

static int teardown(void **state)
{
    return nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_mkdir_p(void **state)
{
    char *deep = scratch_path("a/b//c/");
    ASSERT_OK(file_mkdir_p(deep));
    char *a = scratch_path("a");
    char *ab = scratch_path("a/b");
    char *abc = scratch_path("a/b/c");
    assert_int_equal(mode_of(a), 0700);
    assert_int_equal(mode_of(ab), 0700);
    assert_int_equal(mode_of(abc), 0700);
    /* Existing directories are fine, and are not re-moded. */
    assert_int_equal(chmod(a, 0750), 0);
    ASSERT_OK(file_mkdir_p(abc));
    assert_int_equal(mode_of(a), 0750);

    char *f = scratch_path("plain");
    put_file(f, "x", 0644);
    char *under = scratch_path("plain/sub");
    expect_error(file_mkdir_p(under), ERR_IO, "could not create directory \"");
    expect_error(file_mkdir_p(f), ERR_IO, "Not a directory");
    expect_error(file_mkdir_p(""), ERR_INTERNAL, "empty path");
    ASSERT_OK(file_mkdir_p("/"));
    free(deep), free(a), free(ab), free(abc), free(f), free(under);
}

static void test_mkdir_p_umask(void **state)
{
    /* A umask that removes owner bits must not leave unusable directories. */
    umask(0277);
    char *d = scratch_path("masked/inner");
    Error *err = file_mkdir_p(d);
    umask(0);
    ASSERT_OK(err);
    assert_int_equal(mode_of(d), 0700);
    free(d);
}

static void test_mkdir_excl(void **state)
{
    char *d = scratch_path("excl");
    int existed = -1;
    ASSERT_OK(file_mkdir_excl(d, &existed));
    assert_int_equal(existed, 0);
    assert_int_equal(mode_of(d), 0700);
    ASSERT_OK(file_mkdir_excl(d, &existed));
    assert_int_equal(existed, 1);
    ASSERT_OK(file_mkdir_excl(d, NULL));

    char *f = scratch_path("excl_file");
    put_file(f, "x", 0600);
    existed = -1;
    expect_error(file_mkdir_excl(f, &existed), ERR_IO, f);
    assert_int_not_equal(existed, 1);

    char *orphan = scratch_path("no/such/parent");
    expect_error(file_mkdir_excl(orphan, &existed), ERR_IO, "No such file or directory");
    free(d), free(f), free(orphan);
}

static void test_write_atomic(void **state)
{
    char *p = scratch_path("atomic.txt");
    char *tmp = xasprintf("%s.tmp", p);
    ASSERT_OK(file_write_atomic(p, "hello\n", 6));
    assert_int_equal(mode_of(p), 0600);
    assert_false(file_exists(tmp));
    char *data;
    size_t len;
    ASSERT_OK(file_read_all(p, 100, &data, &len));
    assert_int_equal(len, 6);
    assert_string_equal(data, "hello\n");
    free(data);

    /* Replacing a world-readable file leaves it private. */
    put_file(p, "old content that is longer", 0644);
    ASSERT_OK(file_write_atomic(p, "new", 3));
    assert_int_equal(mode_of(p), 0600);
    ASSERT_OK(file_read_all(p, 100, &data, &len));
    assert_int_equal(len, 3);
    assert_string_equal(data, "new");
    free(data);

    ASSERT_OK(file_write_atomic(p, "", 0));
    ASSERT_OK(file_read_all(p, 100, &data, &len));
    assert_int_equal(len, 0);
    free(data);

    char *bad = scratch_path("missing_dir/f");
    expect_error(file_write_atomic(bad, "x", 1), ERR_IO,
                 "could not create file \"");
    char *badtmp = xasprintf("%s.tmp", bad);
    assert_false(file_exists(badtmp));

    /* Failing after the temporary exists (rename onto a directory) must
     * remove it again. */
    char *dir = scratch_path("a_directory");
    char *dirtmp = xasprintf("%s.tmp", dir);
    ASSERT_OK(file_mkdir_p(dir));
    expect_error(file_write_atomic(dir, "x", 1), ERR_IO, "could not rename file \"");
    assert_false(file_exists(dirtmp));
    free(p), free(tmp), free(bad), free(badtmp), free(dir), free(dirtmp);
}

static void test_read_all(void **state)
{
    char *p = scratch_path("read.bin");
    static const char content[] = "ab\0cd";
    ASSERT_OK(file_write_atomic(p, content, 5));
    char *data = NULL;
    size_t len = 0;
    ASSERT_OK(file_read_all(p, 5, &data, &len));
    assert_int_equal(len, 5);
    assert_memory_equal(data, content, 5);
    assert_int_equal(data[5], '\0');
    free(data);

    ASSERT_OK(file_read_all(p, 5, &data, NULL));
    free(data);

    Error *err = file_read_all(p, 4, &data, &len);
    assert_null(data);
    expect_error(err, ERR_FORMAT, "is too large");

    /* A larger file goes through the growth path exactly. */
    size_t big = 3 * 1024 * 1024 + 11;
    char *buf = xmalloc(big);
    for (size_t i = 0; i < big; i++)
        buf[i] = (char)(i * 31 + 7);
    ASSERT_OK(file_write_atomic(p, buf, big));
    ASSERT_OK(file_read_all(p, big, &data, &len));
    assert_int_equal(len, big);
    assert_memory_equal(data, buf, big);
    free(data);
    free(buf);

    /* /proc files claim size 0: the limit must hold while reading, too. */
    if (file_exists("/proc/self/status")) {
        ASSERT_OK(file_read_all("/proc/self/status", 1 << 20, &data, &len));
        assert_true(len > 100);
        assert_int_equal(strlen(data), len);
        assert_non_null(strstr(data, "Pid:"));
        free(data);
        expect_error(file_read_all("/proc/self/status", 100, &data, &len), ERR_FORMAT,
                     "is too large");
        assert_null(data);
    }

    char *missing = scratch_path("nope");
    char *want = xasprintf("could not open file \"%s\": No such file or directory", missing);
    err = file_read_all(missing, 10, &data, &len);
    assert_non_null(err);
    assert_string_equal(err->message, want);
    assert_int_equal(err->code, ERR_IO);
    error_free(err);
    free(p), free(missing), free(want);
}

static void test_read_range(void **state)
{
    char *p = scratch_path("range.txt");
    ASSERT_OK(file_write_atomic(p, "0123456789", 10));
    char *s;
    ASSERT_OK(file_read_range(p, 2, 5, &s));
    assert_string_equal(s, "234");
    free(s);
    ASSERT_OK(file_read_range(p, 0, 10, &s));
    assert_string_equal(s, "0123456789");
    free(s);
    ASSERT_OK(file_read_range(p, 10, 10, &s));
    assert_string_equal(s, "");
    free(s);
    expect_error(file_read_range(p, 5, 11, &s), ERR_FORMAT, "beyond the end");
    assert_null(s);
    expect_error(file_read_range(p, 6, 5, &s), ERR_FORMAT, "invalid byte range");
    /* A damaged TOC offset must fail cleanly, not try to allocate it. */
    expect_error(file_read_range(p, 0, ~0ULL, &s), ERR_FORMAT, p);
    char *missing = scratch_path("nope");
    expect_error(file_read_range(missing, 0, 1, &s), ERR_IO, missing);
    free(p), free(missing);
}

static void test_create_write(void **state)
{
    char *p = scratch_path("created");
    int fd = -1;
    umask(0277);
    Error *err = file_create(p, &fd);
    umask(0);
    ASSERT_OK(err);
    assert_int_equal(mode_of(p), 0600);
    size_t big = 2 * 1024 * 1024 + 3;
    char *buf = xmalloc(big);
    memset(buf, 'q', big);
    ASSERT_OK(file_write_all(fd, buf, big, p));
    ASSERT_OK(file_fsync_fd(fd, p));
    ASSERT_OK(file_close(fd, p));
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_size, (off_t)big);

    /* Re-creating truncates and fixes a loose mode. */
    assert_int_equal(chmod(p, 0666), 0);
    ASSERT_OK(file_create(p, &fd));
    ASSERT_OK(file_close(fd, p));
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_size, 0);
    assert_int_equal(mode_of(p), 0600);

    expect_error(file_write_all(-1, "x", 1, "/some/file"), ERR_IO,
                 "could not write file \"/some/file\": Bad file descriptor");
    expect_error(file_fsync_fd(-1, "/some/file"), ERR_IO, "could not fsync file \"/some/file\"");
    expect_error(file_close(-1, "/some/file"), ERR_IO, "could not close file \"/some/file\"");
    char *nodir = scratch_path("no/dir");
    expect_error(file_create(nodir, &fd), ERR_IO, nodir);
    free(buf), free(p), free(nodir);
}

static void test_write_enospc(void **state)
{
    int fd = open("/dev/full", O_WRONLY);
    if (fd < 0)
        skip();
    Error *err = file_write_all(fd, "data", 4, "/dev/full");
    close(fd);
    assert_non_null(err);
    assert_int_equal(err->code, ERR_IO);
    assert_string_equal(err->message, "could not write file \"/dev/full\": No space left on device");
    assert_non_null(err->hint);
    error_free(err);
}

static void test_read_some_rename_remove(void **state)
{
    char *a = scratch_path("ra");
    char *b = scratch_path("rb");
    ASSERT_OK(file_write_atomic(a, "abcdef", 6));
    ASSERT_OK(file_rename(a, b));
    assert_false(file_exists(a));
    assert_true(file_exists(b));
    expect_error(file_rename(a, b), ERR_IO, "could not rename file \"");

    int fd;
    ASSERT_OK(file_open_read(b, &fd));
    char buf[4];
    size_t n, total = 0;
    for (;;) {
        ASSERT_OK(file_read_some(fd, buf, sizeof buf, &n, b));
        if (n == 0)
            break;
        assert_true(n <= sizeof buf);
        total += n;
    }
    assert_int_equal(total, 6);
    ASSERT_OK(file_close(fd, b));
    expect_error(file_read_some(-1, buf, sizeof buf, &n, b), ERR_IO, "could not read file");

    file_remove(b);
    assert_false(file_exists(b));
    file_remove(b);      /* already gone: still quiet */
    file_remove(NULL);
    expect_error(file_open_read(b, &fd), ERR_IO, b);
    free(a), free(b);
}

static void test_fsync_dir_exists(void **state)
{
    ASSERT_OK(file_fsync_dir(scratch));
    char *missing = scratch_path("gone");
    expect_error(file_fsync_dir(missing), ERR_IO, "could not open directory \"");
    assert_false(file_exists(missing));
    assert_true(file_exists(scratch));
    free(missing);
}

static void test_path_join(void **state)
{
    static const char *const cases[][3] = {
        {"a", "b", "a/b"},       {"a/", "b", "a/b"},   {"a//", "/b", "a/b"},
        {"/", "b", "/b"},        {"//", "b", "/b"},    {"", "b", "b"},
        {"a", "", "a"},          {"/", "", "/"},       {"/x/y", "z/w", "/x/y/z/w"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *j = path_join(cases[i][0], cases[i][1]);
        assert_string_equal(j, cases[i][2]);
        free(j);
    }
}

static void test_path_dirname(void **state)
{
    static const char *const cases[][2] = {
        {"a/b", "a"}, {"/a/b/c", "/a/b"}, {"a/b/", "a"},  {"a", "."},  {"", "."},
        {"/a", "/"},  {"/", "/"},         {"//a", "/"},   {"a//b", "a"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *d = path_dirname(cases[i][0]);
        assert_string_equal(d, cases[i][1]);
        free(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mkdir_p),
        cmocka_unit_test(test_mkdir_p_umask),
        cmocka_unit_test(test_mkdir_excl),
        cmocka_unit_test(test_write_atomic),
        cmocka_unit_test(test_read_all),
        cmocka_unit_test(test_read_range),
        cmocka_unit_test(test_create_write),
        cmocka_unit_test(test_write_enospc),
        cmocka_unit_test(test_read_some_rename_remove),
        cmocka_unit_test(test_fsync_dir_exists),
        cmocka_unit_test(test_path_join),
        cmocka_unit_test(test_path_dirname),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
