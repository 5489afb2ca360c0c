/* The backup pipeline: one call that runs the whole backup, as a short
 * script of named steps (backup/backup.c), plus the data phase it drives
 * (backup/data.c). */
#ifndef GPB_BACKUP_H
#define GPB_BACKUP_H

#include <stdint.h>

#include "catalog.h"
#include "codec.h"
#include "conn.h"
#include "error.h"
#include "options.h"
#include "snapshot.h"
#include "toc.h"
#include "util.h"

/* Run a backup. command_line is shown in logs and the report. On return
 * *timestamp (caller owns, may be NULL when nothing started) names the
 * backup set. Warnings are counted by the log module. */
Error *backup_run(const BackupOptions *opts, const char *command_line, char **timestamp);

/* Who writes the data files: gpbackup itself from COPY TO STDOUT, the
 * PostgreSQL server through gpbackup_helper (--server-side), or every
 * segment of an MPP cluster through it. */
typedef enum DataPath { DATA_CLIENT = 0, DATA_SERVER_SIDE, DATA_SEGMENTS } DataPath;

/* What the data phase needs. */
typedef struct DataPhaseInput {
    const BackupOptions *opts;
    Conn *leader;                 /* holds the snapshot and the locks */
    const char *snapshot_id;
    const char *application_name;
    const char *encoding;         /* client_encoding for the workers */
    const char *set_dir;
    const char *timestamp;
    TableSet *tables;
    const ServerInfo *server;
    bool no_lock;                 /* the leader holds no table locks */
    DataPath data_path;
    DataFormat data_format;       /* binary: every table whose columns allow it (binary_io) */
    const char *helper_path;      /* gpbackup_helper on the database hosts */
    /* Server-side: the set directory. Segments: every segment's directory
     * with the server's placeholders <SEG_DATA_DIR> / <SEGID>. */
    const char *segment_dir_template;
    /* The same directories resolved: [0] the coordinator's, [c + 1] content c's. */
    char *const *segment_dirs;
    size_t nsegment_dirs;
} DataPhaseInput;

/* A data file that holds several tables (each a part of it, with its
 * offset in the TOC): listed in the manifest as a whole. */
typedef struct SharedDataFile {
    char *name;                   /* in the set directory */
    uint64_t bytes;
    char checksum[33];            /* XXH3-128, hex */
} SharedDataFile;

typedef struct DataPhaseStats {
    int tables_done;
    int tables_deferred;          /* copied by the leader */
    uint64_t rows;
    uint64_t raw_bytes;
    uint64_t file_bytes;
    int tables_csv;               /* of a binary set: written as csv (not binary_io) */
    /* Tables whose definition or storage changed after the snapshot, and
     * what changed (same order); each also logged as a warning. */
    StrList changed_tables;
    StrList changes;
    int tables_shared;            /* tables written to shared files */
    SharedDataFile *shared_files; /* caller frees (data_phase_stats_free) */
    size_t nshared_files;
} DataPhaseStats;

/* Free what the data phase allocated in st. */
void data_phase_stats_free(DataPhaseStats *st);

/* Copy every table of in->tables with opts->jobs workers; adds one data
 * entry per table to toc. On error nothing is added for unfinished tables
 * and their files are removed. */
Error *backup_data_run(const DataPhaseInput *in, Toc *toc, DataPhaseStats *stats);

/* The same in two halves, so that the leader can write the metadata while
 * the workers copy: start opens the workers and hands them every table
 * (the leader connection is not used); finish is the leader's part (the
 * deferred queue, results into toc, progress) and waits for the workers.
 * An error of start is returned by finish. abort asks running workers to
 * stop (finish must still be called). Only the thread that calls finish may
 * touch toc meanwhile. */
typedef struct DataPhase DataPhase;
DataPhase *backup_data_start(const DataPhaseInput *in);
void backup_data_abort(DataPhase *phase);
Error *backup_data_finish(DataPhase *phase, Toc *toc, DataPhaseStats *stats);


#endif
