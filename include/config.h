/* The backup configuration (gpbackup_<TS>_config.yaml): what was asked, the
 * versions involved and the status. Keys follow gpbackup's config.yaml;
 * formatversion, compressionlevel, jobs, dataformat, databaseencoding, the
 * database locale keys, starttime and error are ours. Specified in docs/backup-set-format.md. */
#ifndef GPB_CONFIG_H
#define GPB_CONFIG_H

#include "error.h"
#include "util.h"

/* The newest config format this code reads and writes. A set where
 * several tables share a data file (TOC key offset) or a table's file is
 * in parts (parts) is version 4; else a
 * set in the packed data format is version 3, one in COPY's binary format
 * version 2, a csv set version 1: an older gprestore refuses a set whose
 * data files it would misread. */
#define CONFIG_FORMAT_VERSION 4
#define CONFIG_FORMAT_VERSION_PACKED 3
#define CONFIG_FORMAT_VERSION_BINARY 2
#define CONFIG_FORMAT_VERSION_CSV 1

#define BACKUP_STATUS_IN_PROGRESS "In Progress"
#define BACKUP_STATUS_SUCCESS "Success"
#define BACKUP_STATUS_FAILURE "Failure"

typedef struct BackupConfig {
    int formatversion;
    char *backupdir;
    char *backupversion;     /* our version */
    int compressed;
    char *compressiontype;   /* "zstd" | "gzip" | "none" */
    int compressionlevel;
    char *databasename;
    char *databaseversion;   /* server_version string */
    char *databaseencoding;  /* e.g. "UTF8" */
    /* The source database's locale, for gprestore --create-db; "" when
     * unknown (then the server's defaults are used). */
    char *databaselocaleprovider; /* "libc" | "icu" | "builtin" */
    char *databasecollate;   /* pg_database.datcollate */
    char *databasectype;     /* pg_database.datctype */
    char *databaselocale;    /* ICU or builtin locale; "" with libc */
    char *databaseicurules;  /* PostgreSQL 16+ ICU rules; "" when none */
    int segmentcount;        /* 0 on plain PostgreSQL */
    /* ours: how the data was written: "client" (COPY TO STDOUT, files in the
     * set directory; also when the key is missing), "server-side" (the
     * PostgreSQL server ran gpbackup_helper, files in the set directory) or
     * "segments" (every MPP segment ran the helper into its own directory). */
    char *datapath;
    /* ours, "segments" only: where each segment's directory is: "datadir"
     * (<segment datadir>/backups/...), "single" (<backup-dir>/backups/...)
     * or "prefixed" (<backup-dir>/<segmentdirprefix><content>/backups/...). */
    char *segmentdirs;
    char *segmentdirprefix;
    int dataonly;
    int metadataonly;
    int withoutglobals;
    int withstatistics;
    int singledatafile;
    int incremental;
    int leafpartitiondata;
    StrList includeschemas;
    StrList excludeschemas;
    StrList includerelations;
    StrList excluderelations;
    int jobs;
    char *dataformat;        /* "csv" */
    char *timestamp;         /* YYYYMMDDHHMMSS */
    char *starttime;         /* YYYYMMDDHHMMSS */
    char *endtime;           /* YYYYMMDDHHMMSS or "" */
    char *status;            /* BACKUP_STATUS_* */
    char *error;             /* message when status is Failure, else "" */
} BackupConfig;

BackupConfig *config_new(void);
void config_free(BackupConfig *c);             /* accepts NULL */
/* Replace a string field (copies value). */
void config_set(char **field, const char *value);

Error *config_to_yaml(const BackupConfig *c, char **out, size_t *len);
Error *config_from_yaml(const char *text, size_t len, BackupConfig **out);
Error *config_write(const BackupConfig *c, const char *path);
Error *config_read(const char *path, BackupConfig **out);

#endif
