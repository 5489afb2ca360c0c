/* Backup sets on disk: where a backup lives, whether it is complete, and the
 * list of backups under a --backup-dir. A set is complete only when its
 * completion marker exists (written last, after every file is durable) and
 * its config says Success; failed when the config says Failure; incomplete
 * otherwise (still running, or killed). */
#ifndef GPB_BACKUPSET_H
#define GPB_BACKUPSET_H

#include <stdbool.h>
#include <stdint.h>

#include "codec.h"
#include "error.h"
#include "util.h"

typedef enum BackupSetStatus {
    SET_COMPLETE = 0,
    SET_INCOMPLETE,
    SET_FAILED
} BackupSetStatus;

/* "complete" | "incomplete" | "failed" */
const char *backupset_status_name(BackupSetStatus s);

/* The directory whose backups/ holds the sets under backup_dir: backup_dir
 * itself, or for an MPP backup made with --backup-dir (the coordinator's
 * files under <backup_dir>/<prefix>-1/backups/...) the one <prefix>-1
 * directory that has a backups/ when backup_dir has none. Caller owns. */
char *backupset_root(const char *backup_dir);

/* <backup_dir>/backups/<YYYYMMDD>/<TS>; caller owns. */
char *backupset_dir(const char *backup_dir, const char *timestamp);

/* gpbackup_<TS>_<suffix> inside the set dir, e.g. "config.yaml",
 * "toc.yaml", "metadata.sql", "report", "manifest.yaml", "complete". Caller
 * owns. */
char *backupset_file(const char *set_dir, const char *timestamp, const char *suffix);

/* A table's data file: gpbackup_<content>_<TS>_<oid><suffix>. content is
 * "-1" (the coordinator, the only one on PostgreSQL), a segment's content
 * id, or the server's placeholder "<SEGID>". Caller owns. */
char *backupset_data_file(const char *content, const char *timestamp, uint32_t oid,
                          CodecType codec);

/* The same for a numeric content id. */
char *backupset_segment_data_file(int content, const char *timestamp, uint32_t oid,
                                  CodecType codec);

/* Is timestamp 14 digits? */
bool backupset_valid_timestamp(const char *timestamp);

/* Status of the set in set_dir. *reason (caller owns, may be NULL on
 * success) says why a set is not complete: "the backup failed: <error>",
 * "the completion marker is missing: the backup did not finish (it is still
 * running, or it was killed)", "the configuration file is missing", ... */
BackupSetStatus backupset_status(const char *set_dir, const char *timestamp, char **reason);

typedef struct BackupSetInfo {
    char *timestamp;
    char *dir;
    char *database;        /* "" when unknown */
    BackupSetStatus status;
    char *reason;          /* NULL when complete */
    uint64_t size;         /* bytes of all files of the set */
    double duration;       /* seconds from starttime to endtime, -1 when unknown */
} BackupSetInfo;

/* Every backup set under backup_dir, oldest first. */
Error *backupset_list(const char *backup_dir, BackupSetInfo **out, size_t *n);
void backupset_list_free(BackupSetInfo *sets, size_t n);

#endif
