/* Backup sets on disk: their paths, the rule that decides whether a set is
 * complete, failed or incomplete, and the walk over <backup-dir>/backups that
 * lists them. Only the marker written last makes a set complete; everything
 * read here comes from disk and may be damaged, so a set that cannot be read
 * is listed as incomplete with the reason, never skipped or trusted. */
#include "backupset.h"

#include <dirent.h>
#include <glob.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "config.h"
#include "fileio.h"

#define MARKER_SUFFIX "complete"
#define CONFIG_SUFFIX "config.yaml"

const char *backupset_status_name(BackupSetStatus s)
{
    switch (s) {
    case SET_COMPLETE:
        return "complete";
    case SET_FAILED:
        return "failed";
    case SET_INCOMPLETE:
    default:
        return "incomplete";
    }
}

static bool all_digits(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

bool backupset_valid_timestamp(const char *timestamp)
{
    return timestamp && all_digits(timestamp, 14);
}

char *backupset_root(const char *backup_dir)
{
    char *plain = path_join(backup_dir, "backups");
    bool has = file_exists(plain);
    free(plain);
    if (has)
        return xstrdup(backup_dir);
    char *pattern = xasprintf("%s/*-1/backups", backup_dir);
    glob_t g;
    char *root = NULL;
    if (glob(pattern, GLOB_ONLYDIR, NULL, &g) == 0 && g.gl_pathc == 1)
        root = xstrndup(g.gl_pathv[0], strlen(g.gl_pathv[0]) - strlen("/backups"));
    if (g.gl_pathc)
        globfree(&g);
    free(pattern);
    return root ? root : xstrdup(backup_dir);
}

char *backupset_dir(const char *backup_dir, const char *timestamp)
{
    char day[9] = "";
    if (timestamp && strlen(timestamp) >= 8) {
        memcpy(day, timestamp, 8);
        day[8] = '\0';
    }
    char *backups = path_join(backup_dir, "backups");
    char *daydir = path_join(backups, day);
    char *dir = path_join(daydir, timestamp ? timestamp : "");
    free(backups);
    free(daydir);
    return dir;
}

char *backupset_data_file(const char *content, const char *timestamp, uint32_t oid,
                          CodecType codec)
{
    return xasprintf("gpbackup_%s_%s_%u%s", content, timestamp, oid, codec_suffix(codec));
}

char *backupset_segment_data_file(int content, const char *timestamp, uint32_t oid,
                                  CodecType codec)
{
    char text[16];
    snprintf(text, sizeof text, "%d", content);
    return backupset_data_file(text, timestamp, oid, codec);
}

char *backupset_file(const char *set_dir, const char *timestamp, const char *suffix)
{
    char *name = xasprintf("gpbackup_%s_%s", timestamp, suffix);
    char *path = path_join(set_dir, name);
    free(name);
    return path;
}

/* Is path a regular file (not following a symbolic link)? */
static bool is_regular(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The status rule, on a config already read (or NULL with config_err saying
 * why it could not be). Takes ownership of config_err. */
static BackupSetStatus decide_status(const char *set_dir, const char *timestamp,
                                     const BackupConfig *c, Error *config_err, char **reason)
{
    char *r = NULL;
    BackupSetStatus st = SET_INCOMPLETE;
    char *marker = backupset_file(set_dir, timestamp, MARKER_SUFFIX);
    if (!c) {
        char *path = backupset_file(set_dir, timestamp, CONFIG_SUFFIX);
        struct stat sb;
        if (lstat(path, &sb) != 0 && errno == ENOENT)
            r = xstrdup("the configuration file is missing");
        else
            r = xasprintf("the configuration file could not be read: %s",
                          config_err ? config_err->message : "unknown error");
        free(path);
    } else if (strcmp(c->status, BACKUP_STATUS_FAILURE) == 0) {
        st = SET_FAILED;
        r = c->error && *c->error ? xasprintf("the backup failed: %s", c->error)
                                  : xstrdup("the backup failed");
    } else if (strcmp(c->timestamp, timestamp) != 0) {
        r = xasprintf("the configuration belongs to backup %s, not %s", c->timestamp, timestamp);
    } else if (!is_regular(marker)) {
        r = xstrdup("the completion marker is missing: the backup did not finish "
                    "(it is still running, or it was killed)");
    } else if (strcmp(c->status, BACKUP_STATUS_SUCCESS) != 0) {
        r = xasprintf("the completion marker exists but the configuration says \"%s\"", c->status);
    } else {
        st = SET_COMPLETE;
    }
    free(marker);
    error_free(config_err);
    if (reason)
        *reason = r;
    else
        free(r);
    return st;
}

static BackupConfig *read_config(const char *set_dir, const char *timestamp, Error **err)
{
    char *path = backupset_file(set_dir, timestamp, CONFIG_SUFFIX);
    BackupConfig *c = NULL;
    *err = config_read(path, &c);
    free(path);
    return c;
}

BackupSetStatus backupset_status(const char *set_dir, const char *timestamp, char **reason)
{
    if (reason)
        *reason = NULL;
    Error *err;
    BackupConfig *c = read_config(set_dir, timestamp, &err);
    BackupSetStatus st = decide_status(set_dir, timestamp, c, err, reason);
    config_free(c);
    return st;
}

/* ---- Listing ------------------------------------------------------------ */

/* YYYYMMDDHHMMSS as local time; -1 when malformed. */
static time_t parse_local_time(const char *s)
{
    if (!s || !all_digits(s, 14))
        return (time_t)-1;
    int v[6];
    static const int widths[6] = {4, 2, 2, 2, 2, 2};
    const char *p = s;
    for (int i = 0; i < 6; i++) {
        v[i] = 0;
        for (int j = 0; j < widths[i]; j++)
            v[i] = v[i] * 10 + (*p++ - '0');
    }
    struct tm tm = {0};
    tm.tm_year = v[0] - 1900;
    tm.tm_mon = v[1] - 1;
    tm.tm_mday = v[2];
    tm.tm_hour = v[3];
    tm.tm_min = v[4];
    tm.tm_sec = v[5];
    tm.tm_isdst = -1;
    return mktime(&tm);
}

static double duration_of(const BackupConfig *c)
{
    if (!c || !*c->endtime)
        return -1;
    time_t start = parse_local_time(*c->starttime ? c->starttime : c->timestamp);
    time_t end = parse_local_time(c->endtime);
    if (start == (time_t)-1 || end == (time_t)-1 || end < start)
        return -1;
    return difftime(end, start);
}

/* Sum of the regular files directly in dir (symbolic links not followed). */
static uint64_t dir_size(const char *dir)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return 0;
    uint64_t total = 0;
    struct dirent *de;
    while ((de = readdir(dh)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char *path = path_join(dir, de->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
            total += (uint64_t)st.st_size;
        free(path);
    }
    closedir(dh);
    return total;
}

/* Is path a directory itself (a symbolic link to one is not followed: the
 * listing, and delete-backup after it, stay inside backup_dir)? */
static bool is_directory(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The entries of dir that are n digits long (and start with prefix),
 * sorted. ENOENT gives an empty list when missing_ok. */
static Error *list_digit_dirs(const char *dir, size_t n, const char *prefix, bool missing_ok,
                              StrList *out)
{
    DIR *dh = opendir(dir);
    if (!dh) {
        int e = errno;
        if (e == ENOENT && missing_ok)
            return NULL;
        char ebuf[256];
        return ERROR_NEW(ERR_IO, "could not open directory \"%s\": %s", dir,
                         strerror_r(e, ebuf, sizeof ebuf));
    }
    struct dirent *de;
    while ((de = readdir(dh)) != NULL) {
        if (!all_digits(de->d_name, n))
            continue;
        if (prefix && strncmp(de->d_name, prefix, strlen(prefix)) != 0)
            continue;
        char *path = path_join(dir, de->d_name);
        if (is_directory(path))
            strlist_push(out, de->d_name);
        free(path);
    }
    closedir(dh);
    return NULL;
}

static int compare_infos(const void *a, const void *b)
{
    return strcmp(((const BackupSetInfo *)a)->timestamp, ((const BackupSetInfo *)b)->timestamp);
}

static void fill_info(BackupSetInfo *info, const char *backup_dir, const char *timestamp)
{
    info->timestamp = xstrdup(timestamp);
    info->dir = backupset_dir(backup_dir, timestamp);
    Error *err;
    BackupConfig *c = read_config(info->dir, timestamp, &err);
    info->database = xstrdup(c ? c->databasename : "");
    info->duration = duration_of(c);
    info->size = dir_size(info->dir);
    info->status = decide_status(info->dir, timestamp, c, err, &info->reason);
    config_free(c);
}

Error *backupset_list(const char *backup_dir, BackupSetInfo **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    char *backups = path_join(backup_dir, "backups");
    StrList days = {0};
    Error *err = list_digit_dirs(backups, 8, NULL, true, &days);
    BackupSetInfo *sets = NULL;
    size_t count = 0, cap = 0;
    for (size_t i = 0; i < days.n && !err; i++) {
        char *daydir = path_join(backups, days.items[i]);
        StrList stamps = {0};
        /* A day directory that vanished or cannot be read holds nothing we
         * can list; it must not hide the other days. */
        Error *e = list_digit_dirs(daydir, 14, days.items[i], true, &stamps);
        error_free(e);
        for (size_t j = 0; j < stamps.n; j++) {
            if (count == cap) {
                cap = cap ? cap * 2 : 16;
                sets = xrealloc(sets, cap * sizeof *sets);
            }
            memset(&sets[count], 0, sizeof *sets);
            fill_info(&sets[count], backup_dir, stamps.items[j]);
            count++;
        }
        strlist_free(&stamps);
        free(daydir);
    }
    strlist_free(&days);
    free(backups);
    if (err) {
        backupset_list_free(sets, count);
        return err;
    }
    if (count > 1)
        qsort(sets, count, sizeof *sets, compare_infos);
    *out = sets;
    *n = count;
    return NULL;
}

void backupset_list_free(BackupSetInfo *sets, size_t n)
{
    if (!sets)
        return;
    for (size_t i = 0; i < n; i++) {
        free(sets[i].timestamp);
        free(sets[i].dir);
        free(sets[i].database);
        free(sets[i].reason);
    }
    free(sets);
}
