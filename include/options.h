/* Command-line options of gpbackup and gprestore. Parsing is pure: it
 * validates values and combinations and never connects, so every usage error
 * is reported (exit 2) before any connection is made. */
#ifndef GPB_OPTIONS_H
#define GPB_OPTIONS_H

#include <stdbool.h>

#include "codec.h"
#include "conn.h"
#include "error.h"
#include "filter.h"
#include "log.h"

/* How the rows of a table are written: COPY's csv or binary format, or the
 * binary format packed for compression (include/pack.h). */
typedef enum DataFormat { DATA_FORMAT_CSV, DATA_FORMAT_BINARY, DATA_FORMAT_PACKED } DataFormat;

/* "csv", "binary" or "packed". */
const char *data_format_name(DataFormat f);
/* Parses "csv", "binary" or "packed" (as in the TOC and on the command
 * line); false for anything else. */
bool data_format_parse(const char *s, DataFormat *out);

typedef struct BackupOptions {
    ConnOptions conn;
    char *backup_dir;           /* absolute; NULL = default location */
    int jobs;
    CodecType compression;
    int compression_level;
    bool compression_type_given;
    bool compression_level_given;
    bool no_compression;
    Filter filter;
    bool data_only;
    bool metadata_only;
    int lock_wait_timeout;      /* seconds; 0 = wait forever */
    bool no_lock;               /* no up-front locks; detect DDL races instead */
    bool without_globals;       /* no roles, memberships, role settings, tablespaces */
    bool with_stats;            /* also write planner statistics (statistics.sql) */
    bool server_side;           /* the server writes the data through gpbackup_helper */
    bool single_backup_dir;     /* MPP: segments write under backup_dir itself */
    char *helper_path;          /* gpbackup_helper on the database hosts; NULL = next to us */
    bool backup_dir_given;      /* --backup-dir was on the command line */
    DataFormat data_format;     /* default packed; csv where the server writes the files */
    bool data_format_given;
    LogLevel log_level;
    bool help;
    bool version;
} BackupOptions;

typedef struct RestoreOptions {
    ConnOptions conn;           /* conn.dbname: where to connect for --create-db etc. */
    char *timestamp;
    char *backup_dir;
    int jobs;
    bool create_db;
    char *redirect_db;
    Filter filter;
    bool data_only;
    bool metadata_only;
    bool on_error_continue;
    bool with_globals;          /* replay roles, memberships, tablespaces, role settings */
    bool with_stats;            /* replay the planner statistics of the backup */
    bool run_analyze;           /* ANALYZE every restored table at the end */
    bool resize_cluster;        /* MPP: the target has another segment count */
    char *helper_path;          /* gpbackup_helper on the database hosts; NULL = next to us */
    bool backup_dir_given;      /* --backup-dir was on the command line */
    LogLevel log_level;
    bool help;
    bool version;
} RestoreOptions;

/* Parse argv. On a usage error returns ERR_USAGE with a hint pointing to
 * --help. The caller owns *opts and frees it with *_options_free. */
Error *backup_options_parse(int argc, char **argv, BackupOptions *opts);
Error *restore_options_parse(int argc, char **argv, RestoreOptions *opts);
void backup_options_free(BackupOptions *opts);
void restore_options_free(RestoreOptions *opts);

/* The help texts. */
const char *backup_usage(void);
const char *restore_usage(void);

/* argv joined for reports and logs; never contains a password because no
 * option takes one, but a conninfo --dbname has its password masked. */
char *options_command_line(int argc, char **argv);

/* gpbackup_helper next to the running program (/proc/self/exe), or
 * NULL when that cannot be read. Caller owns. */
char *options_default_helper_path(void);

/* Default backup directory when --backup-dir is not given:
 * $COORDINATOR_DATA_DIRECTORY, else $MASTER_DATA_DIRECTORY, else the current
 * directory. Caller owns. */
char *options_default_backup_dir(void);

#define GPB_VERSION "0.1.0"

#endif
