/* Unit tests of common/backupset.c: the paths of a set, the status rules
 * (configuration missing or unreadable, Failure, completion marker missing,
 * marker without Success, complete) on hand-made set directories, and the
 * listing: order by timestamp, stray names ignored, size, database and
 * duration. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backupset.h"
#include "config.h"
#include "fileio.h"
#include "util.h"

static char scratch[4096];

#define ASSERT_OK(expr)                                                         \
    do {                                                                        \
        Error *e_ = (expr);                                                     \
        if (e_) {                                                               \
            print_error("unexpected error: %s\n", e_->message);                 \
            error_free(e_);                                                     \
            fail();                                                             \
        }                                                                       \
    } while (0)

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int setup(void **state)
{
    /* Durations are computed in local time; pin it. */
    setenv("TZ", "UTC", 1);
    tzset();
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/gpb_backupset_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    return mkdtemp(scratch) ? 0 : -1;
}

static int teardown(void **state)
{
    return nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void put(const char *dir, const char *name, const char *content)
{
    char *path = path_join(dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
    free(path);
}

static void put_set_file(const char *set_dir, const char *ts, const char *suffix, const char *content)
{
    char *name = xasprintf("gpbackup_%s_%s", ts, suffix);
    put(set_dir, name, content);
    free(name);
}

/* A set directory under root with a config of the given status (NULL: no
 * config) and, when marker is true, the completion marker. Caller owns the
 * returned set directory. */
static char *make_set(const char *root, const char *ts, const char *status, const char *error,
                      const char *endtime, bool marker)
{
    char *dir = backupset_dir(root, ts);
    ASSERT_OK(file_mkdir_p(dir));
    if (status) {
        BackupConfig *c = config_new();
        config_set(&c->timestamp, ts);
        config_set(&c->starttime, ts);
        config_set(&c->endtime, endtime ? endtime : "");
        config_set(&c->status, status);
        config_set(&c->error, error ? error : "");
        char *db = xasprintf("db_%s", ts);
        config_set(&c->databasename, db);
        free(db);
        char *path = backupset_file(dir, ts, "config.yaml");
        ASSERT_OK(config_write(c, path));
        free(path);
        config_free(c);
    }
    if (marker)
        put_set_file(dir, ts, "complete", "backup complete\n");
    return dir;
}

static void expect_status(const char *dir, const char *ts, BackupSetStatus want, const char *reason_part)
{
    char *reason = (char *)(uintptr_t)1;
    BackupSetStatus st = backupset_status(dir, ts, &reason);
    if (st != want)
        fail_msg("status %s (%s), expected %s", backupset_status_name(st), reason ? reason : "",
                 backupset_status_name(want));
    if (!reason_part) {
        assert_null(reason);
    } else {
        assert_non_null(reason);
        if (!strstr(reason, reason_part))
            fail_msg("reason \"%s\" lacks \"%s\"", reason, reason_part);
    }
    free(reason);
    /* The reason is optional. */
    assert_int_equal(backupset_status(dir, ts, NULL), want);
}

static void test_paths_and_names(void **state)
{
    char *d = backupset_dir("/data/b", "20240102030405");
    assert_string_equal(d, "/data/b/backups/20240102/20240102030405");
    char *f = backupset_file(d, "20240102030405", "config.yaml");
    assert_string_equal(f, "/data/b/backups/20240102/20240102030405/gpbackup_20240102030405_config.yaml");
    free(f);
    free(d);
    assert_true(backupset_valid_timestamp("20240102030405"));
    assert_false(backupset_valid_timestamp("2024010203040"));
    assert_false(backupset_valid_timestamp("202401020304056"));
    assert_false(backupset_valid_timestamp("2024010203040a"));
    assert_false(backupset_valid_timestamp("../../../../.."));
    assert_false(backupset_valid_timestamp(""));
    assert_false(backupset_valid_timestamp(NULL));
    assert_string_equal(backupset_status_name(SET_COMPLETE), "complete");
    assert_string_equal(backupset_status_name(SET_INCOMPLETE), "incomplete");
    assert_string_equal(backupset_status_name(SET_FAILED), "failed");
}

static void test_status_rules(void **state)
{
    char *root = path_join(scratch, "status");
    char *d;

    d = make_set(root, "20240101000001", BACKUP_STATUS_SUCCESS, NULL, "20240101000002", true);
    expect_status(d, "20240101000001", SET_COMPLETE, NULL);
    free(d);

    d = make_set(root, "20240101000002", NULL, NULL, NULL, true);
    expect_status(d, "20240101000002", SET_INCOMPLETE, "the configuration file is missing");
    free(d);

    d = make_set(root, "20240101000003", NULL, NULL, NULL, true);
    put_set_file(d, "20240101000003", "config.yaml", "status: [\n");
    expect_status(d, "20240101000003", SET_INCOMPLETE, "the configuration file could not be read");
    free(d);

    d = make_set(root, "20240101000004", BACKUP_STATUS_FAILURE, "disk full", "20240101000009", false);
    expect_status(d, "20240101000004", SET_FAILED, "the backup failed: disk full");
    free(d);
    /* Failure wins over a marker, which a failed backup never writes. */
    d = make_set(root, "20240101000005", BACKUP_STATUS_FAILURE, "", "20240101000009", true);
    expect_status(d, "20240101000005", SET_FAILED, "the backup failed");
    free(d);

    d = make_set(root, "20240101000006", BACKUP_STATUS_IN_PROGRESS, NULL, NULL, false);
    expect_status(d, "20240101000006", SET_INCOMPLETE,
                  "the completion marker is missing: the backup did not finish (it is still "
                  "running, or it was killed)");
    free(d);
    /* Success without the marker: killed between the config and the marker. */
    d = make_set(root, "20240101000007", BACKUP_STATUS_SUCCESS, NULL, "20240101000009", false);
    expect_status(d, "20240101000007", SET_INCOMPLETE, "the completion marker is missing");
    free(d);
    /* The marker without Success. */
    d = make_set(root, "20240101000008", BACKUP_STATUS_IN_PROGRESS, NULL, NULL, true);
    expect_status(d, "20240101000008", SET_INCOMPLETE, "In Progress");
    free(d);

    /* A marker that is a directory, or a symbolic link, is no marker. */
    d = make_set(root, "20240101000009", BACKUP_STATUS_SUCCESS, NULL, "20240101000010", false);
    char *marker = backupset_file(d, "20240101000009", "complete");
    assert_int_equal(mkdir(marker, 0700), 0);
    expect_status(d, "20240101000009", SET_INCOMPLETE, "the completion marker is missing");
    assert_int_equal(rmdir(marker), 0);
    char *elsewhere = path_join(scratch, "a-marker");
    put(scratch, "a-marker", "x");
    assert_int_equal(symlink(elsewhere, marker), 0);
    expect_status(d, "20240101000009", SET_INCOMPLETE, "the completion marker is missing");
    free(elsewhere);
    free(marker);
    free(d);

    /* A config copied from another backup. */
    d = make_set(root, "20240101000010", BACKUP_STATUS_SUCCESS, NULL, "20240101000011", true);
    char *other = backupset_dir(root, "20240101000011");
    ASSERT_OK(file_mkdir_p(other));
    char *from = backupset_file(d, "20240101000010", "config.yaml");
    char *to = backupset_file(other, "20240101000011", "config.yaml");
    assert_int_equal(rename(from, to), 0);
    put_set_file(other, "20240101000011", "complete", "x");
    expect_status(other, "20240101000011", SET_INCOMPLETE, "belongs to backup 20240101000010");
    free(from);
    free(to);
    free(other);
    free(d);

    /* No directory at all. */
    char *none = backupset_dir(root, "20240101000099");
    expect_status(none, "20240101000099", SET_INCOMPLETE, "the configuration file is missing");
    free(none);
    free(root);
}

static void test_list(void **state)
{
    char *root = path_join(scratch, "list");
    char *d;
    /* Created out of order, over two days. */
    d = make_set(root, "20240102090000", BACKUP_STATUS_SUCCESS, NULL, "20240102090130", true);
    put(d, "data", "0123456789");
    free(d);
    d = make_set(root, "20240101120000", BACKUP_STATUS_FAILURE, "boom", "20240101120005", false);
    free(d);
    d = make_set(root, "20240102080000", BACKUP_STATUS_IN_PROGRESS, NULL, NULL, false);
    free(d);
    d = make_set(root, "20240101235959", NULL, NULL, NULL, false);
    free(d);

    /* Stray names that are not sets. */
    char *backups = path_join(root, "backups");
    static const char *const stray_dirs[] = {
        "2024010", "202401011", "abcdefgh", "2024010a", "20240101/2024010112000",
        "20240101/202401011200000", "20240101/20240102120000", "20240101/2024010112000a",
        "20240101/.20240101120000",
    };
    for (size_t i = 0; i < sizeof stray_dirs / sizeof stray_dirs[0]; i++) {
        char *p = path_join(backups, stray_dirs[i]);
        ASSERT_OK(file_mkdir_p(p));
        free(p);
    }
    put(backups, "20240103", "a file, not a directory");
    char *day1 = path_join(backups, "20240101");
    put(day1, "20240101130000", "a file, not a set directory");
    /* A symbolic link to a day or a set is not followed. */
    char *link = path_join(backups, "20240104");
    assert_int_equal(symlink(day1, link), 0);
    char *link2 = path_join(day1, "20240101140000");
    char *target = backupset_dir(root, "20240102090000");
    assert_int_equal(symlink(target, link2), 0);

    BackupSetInfo *sets;
    size_t n;
    ASSERT_OK(backupset_list(root, &sets, &n));
    assert_int_equal(n, 4);
    static const char *const order[] = {"20240101120000", "20240101235959", "20240102080000",
                                        "20240102090000"};
    for (size_t i = 0; i < n; i++)
        assert_string_equal(sets[i].timestamp, order[i]);

    assert_int_equal(sets[0].status, SET_FAILED);
    assert_string_equal(sets[0].reason, "the backup failed: boom");
    assert_string_equal(sets[0].database, "db_20240101120000");
    assert_true(sets[0].duration == 5.0);

    assert_int_equal(sets[1].status, SET_INCOMPLETE);
    assert_string_equal(sets[1].database, "");
    assert_true(sets[1].duration < 0);
    assert_int_equal(sets[1].size, 0);

    assert_int_equal(sets[2].status, SET_INCOMPLETE);
    assert_non_null(strstr(sets[2].reason, "completion marker is missing"));
    assert_true(sets[2].duration < 0);   /* no endtime yet */

    assert_int_equal(sets[3].status, SET_COMPLETE);
    assert_null(sets[3].reason);
    assert_string_equal(sets[3].database, "db_20240102090000");
    assert_true(sets[3].duration == 90.0);
    char *expect_dir = backupset_dir(root, "20240102090000");
    assert_string_equal(sets[3].dir, expect_dir);
    free(expect_dir);
    /* Size: config + marker + data, regular files only. */
    char *cfg = backupset_file(target, "20240102090000", "config.yaml");
    struct stat st;
    assert_int_equal(stat(cfg, &st), 0);
    assert_int_equal(sets[3].size, (uint64_t)st.st_size + strlen("backup complete\n") + 10);
    free(cfg);
    backupset_list_free(sets, n);
    backupset_list_free(NULL, 0);

    free(target);
    free(link2);
    free(link);
    free(day1);
    free(backups);
    free(root);
}

static void test_list_empty_and_errors(void **state)
{
    /* No backups/ directory yet: an empty list. */
    char *root = path_join(scratch, "empty");
    assert_int_equal(mkdir(root, 0700), 0);
    BackupSetInfo *sets = (BackupSetInfo *)(uintptr_t)1;
    size_t n = 99;
    ASSERT_OK(backupset_list(root, &sets, &n));
    assert_int_equal(n, 0);
    backupset_list_free(sets, n);
    /* backups/ that is not a directory: an error naming it. */
    put(root, "backups", "x");
    Error *err = backupset_list(root, &sets, &n);
    assert_non_null(err);
    assert_non_null(strstr(err->message, "backups"));
    error_free(err);
    assert_int_equal(n, 0);
    free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths_and_names),
        cmocka_unit_test(test_status_rules),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_list_empty_and_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
