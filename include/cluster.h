/* The server's shape as the data path sees it: which server this is and
 * what it supports (the version gates, in one place), the primary segments
 * of an MPP cluster (gp_segment_configuration), where each segment keeps
 * its part of a backup set, and the COPY ... PROGRAM statements that make
 * every segment (or, in --server-side mode, the PostgreSQL server) run
 * gpbackup_helper. Statement and path builders are pure and unit-tested. */
#ifndef GPB_CLUSTER_H
#define GPB_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>

#include "codec.h"
#include "conn.h"
#include "error.h"
#include "snapshot.h"
#include "util.h"

/* One primary segment, or the coordinator (content -1). */
typedef struct SegmentInfo {
    int content;
    int dbid;
    char *hostname;
    char *address;
    int port;
    char *datadir;
} SegmentInfo;

typedef struct ClusterInfo {
    SegmentInfo coordinator;   /* content -1; datadir may be "" when unreadable */
    SegmentInfo *segments;     /* primaries, content 0..n-1 in order; none on PostgreSQL */
    size_t nsegments;
} ClusterInfo;

/* Is this an MPP server (Greenplum, Cloudberry)? */
bool cluster_is_mpp(const ServerInfo *srv);

/* The version gates: what this server can do with the options asked.
 * server_version_num is conn_server_version(). Refuses PostgreSQL before 12,
 * Greenplum before 6, and --jobs > 1 on Greenplum before 6.21 (it cannot
 * import an exported snapshot in other sessions, so workers would not see
 * the same instant). */
Error *cluster_check_server(const ServerInfo *srv, int server_version_num, int jobs);

/* Does COPY take IGNORE EXTERNAL PARTITIONS on this server? */
bool cluster_copy_ignores_external_partitions(const ServerInfo *srv);

/* Read the coordinator and the primary segments on a short-lived connection
 * of its own (so that a failure here never touches the leader's snapshot),
 * to database dbname (NULL: the one opts names). On PostgreSQL the
 * coordinator's datadir is data_directory when the role may read it, else
 * "". ERR_CONNECT/ERR_SQL on failure. */
Error *cluster_read(const ConnOptions *opts, const char *dbname, const char *application_name,
                    const ServerInfo *srv, ClusterInfo *out);
void cluster_free(ClusterInfo *c);

/* The directory prefix of the segments' data directories: "gpseg" for
 * /data/primary/gpseg0 (the base name without its trailing digits); "gpseg"
 * when there are no segments or a name has no digits. Caller owns. */
char *cluster_dir_prefix(const ClusterInfo *c);

/* Where a segment (content, with data directory datadir) keeps its part of
 * the set of timestamp ts (YYYYMMDDHHMMSS):
 *   backup_dir NULL:   <datadir>/backups/YYYYMMDD/<ts>
 *   single_dir:        <backup_dir>/backups/YYYYMMDD/<ts>
 *   otherwise:         <backup_dir>/<prefix><content>/backups/YYYYMMDD/<ts>
 * datadir and the content may be the server's placeholders ("<SEG_DATA_DIR>",
 * "<SEGID>"), given as content_text. Caller owns. */
char *cluster_segment_dir(const char *backup_dir, bool single_dir, const char *prefix,
                          const char *content_text, const char *datadir, const char *ts);

/* Where segment content's data file of table oid is under backup_dir, for a
 * set whose config says segmentdirs "prefixed" (with prefix) or "single":
 * the path gprestore --resize-cluster and gpbackup_manager verify read it
 * at. Caller owns. */
char *cluster_segment_file_under(const char *backup_dir, const char *segmentdirs,
                                 const char *prefix, int content, const char *ts, uint32_t oid,
                                 CodecType codec);

/* COPY <table> <columns> TO PROGRAM <program_literal> in CSV; with
 * on_segment the MPP form (WITH CSV DELIMITER ',' ON SEGMENT, and IGNORE
 * EXTERNAL PARTITIONS where the server has it), else WITH (FORMAT csv).
 * Names and the literal must already be quoted. Caller owns. */
char *cluster_copy_to_sql(const ServerInfo *srv, const char *qualified, const char *columns,
                          const char *program_literal, bool on_segment);
/* The mirror: COPY <table> <columns> FROM PROGRAM <literal> ... */
char *cluster_copy_from_sql(const ServerInfo *srv, const char *qualified, const char *columns,
                            const char *program_literal, bool on_segment);

/* PostgreSQL (--server-side): the query that reads the coordinator's small
 * file through pg_read_file: parameter $1 is a text[] whose element 1 is
 * its path; returns (content, body). On MPP servers the query that
 * pg_read_file would need (through gp_dist_random('gp_id') on every
 * segment); it is not used there (see cluster_read_helper_files). */
const char *cluster_read_files_sql(const ServerInfo *srv);

/* Read one small file per segment, paths[0] the coordinator's and
 * paths[c + 1] content c's, and append each body read to out, ordered by
 * content (on MPP the segments', on PostgreSQL the coordinator's). With
 * missing_ok absent files are skipped, else they are an error. Files
 * larger than 1 MiB are cut. The connection must be in a transaction.
 * PostgreSQL: pg_read_file (cluster_read_files_sql). MPP: every segment
 * runs helper_path's --print-file mode through COPY ... FROM PROGRAM ON
 * SEGMENT into a temporary table, inside a savepoint rolled back after:
 * pg_read_file refuses absolute paths outside the data directory on
 * Greenplum 6. */
Error *cluster_read_helper_files(Conn *c, const ServerInfo *srv, const char *helper_path,
                                 const char *const *paths, size_t n, bool missing_ok,
                                 StrList *out);

/* After a failed COPY ... PROGRAM (the transaction back at a savepoint):
 * read the helpers' error files (paths as for cluster_read_helper_files)
 * and add their text to e's detail, after the server's own. Returns e. */
/* MPP: make the temporary table cluster_read_helper_files loads into, on a
 * connection that is not in a transaction: a READ ONLY transaction (the
 * backup's) may write a temporary table but not create the session's
 * temporary schema. Nothing to do on PostgreSQL. */
Error *cluster_prepare_session(Conn *c, const ServerInfo *srv);

Error *cluster_add_helper_errors(Conn *c, const ServerInfo *srv, const char *helper_path,
                                 const char *const *paths, size_t n, Error *e);

#endif
