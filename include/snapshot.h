/* The consistency protocol (DESIGN.md §1): the leader's exporting
 * transaction and its batched table locks, the workers' per-table
 * transactions that import the snapshot, NOWAIT locking that turns a busy
 * table into a deferred one instead of a deadlock, the checks that find
 * tables changed by DDL since the snapshot, and the pre-flight checks that
 * make a run that cannot work fail early. */
#ifndef GPB_SNAPSHOT_H
#define GPB_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "error.h"

/* What kind of server this is; decides lock syntax and DDL-race checks. */
typedef enum ServerFlavor { SERVER_POSTGRES = 0, SERVER_GREENPLUM, SERVER_CLOUDBERRY } ServerFlavor;

typedef struct ServerInfo {
    ServerFlavor flavor;
    int gp_major;            /* Greenplum major version (6, 7), 0 otherwise */
    int gp_minor;
} ServerInfo;

/* Read version() and classify the server. */
Error *snapshot_detect_server(Conn *c, ServerInfo *out);

/* Parse a version() string (pure; unit-tested). */
void snapshot_parse_version(const char *version, ServerInfo *out);

/* "LOCK TABLE a, b IN ACCESS SHARE MODE[ NOWAIT][ MASTER ONLY|COORDINATOR
 * ONLY]" for the server: MASTER ONLY on Greenplum 6.21+, COORDINATOR ONLY on
 * Greenplum 7+, neither on PostgreSQL and Cloudberry. Caller owns. */
char *snapshot_lock_statement(const ServerInfo *srv, char *const *qualified_names, size_t n,
                              bool nowait);

/* Leader: BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY and export the
 * snapshot. Caller owns *snapshot_id. */
Error *snapshot_export(Conn *leader, char **snapshot_id);

/* Leader: lock every table (already quoted names) in ACCESS SHARE mode,
 * batch_size tables per statement, each batch bounded by lock_wait_timeout
 * seconds (0 = no bound). When a batch times out, the sessions holding the
 * conflicting locks are looked up on a connection of their own (opened with
 * diag_opts) and named in the error. progress(done, total) is called after
 * each batch when not NULL. */
Error *snapshot_lock_tables(Conn *leader, const ServerInfo *srv, char *const *qualified_names,
                            const uint32_t *oids, size_t n, size_t batch_size,
                            int lock_wait_timeout, const ConnOptions *diag_opts,
                            void (*progress)(size_t done, size_t total));

/* Pre-flight: can the server's shared lock table hold nrelations more
 * locks? Fails with a message naming max_locks_per_transaction, the value
 * needed, and --no-lock. */
Error *snapshot_check_lock_capacity(Conn *leader, size_t nrelations);

/* Pre-flight: are `needed` more connections free on the server? */
Error *snapshot_check_connections(Conn *leader, int needed);

/* Worker: open a transaction of its own that sees the leader's snapshot. */
Error *snapshot_import(Conn *worker, const char *snapshot_id);

/* Worker: LOCK TABLE name IN ACCESS SHARE MODE NOWAIT. When another session
 * holds or waits for a conflicting lock, *busy is set; when the table no
 * longer exists, *gone is set; in both cases no error is returned and the
 * transaction is aborted and must be rolled back. */
Error *snapshot_lock_nowait(Conn *worker, const ServerInfo *srv, const char *qualified_name,
                            bool *busy, bool *gone);

/* What the snapshot saw of a table, to compare with the catalog of now. */
typedef struct TableIdentity {
    uint32_t oid;
    const char *qualified;   /* quoted name */
    uint32_t filenode;       /* pg_class.relfilenode under the snapshot */
    int natts;               /* pg_class.relnatts under the snapshot */
    const char *attnums;     /* "{1,2,4}": the columns the copy reads */
} TableIdentity;

/* In a transaction that holds the table's lock and sees the snapshot:
 * has the table been truncated, rewritten, re-created, or had columns added
 * or dropped since the snapshot? *change is NULL when not, else a
 * description (caller owns). */
Error *snapshot_check_table(Conn *c, const TableIdentity *t, char **change);

/* Worker, in one round trip: a transaction of its own that imports the
 * snapshot, the NOWAIT lock, and the check above. *busy / *gone as for
 * snapshot_lock_nowait (then the transaction must be rolled back); else
 * *change as for snapshot_check_table and the lock is held. */
Error *snapshot_begin_table(Conn *worker, const char *snapshot_id, const ServerInfo *srv,
                            const TableIdentity *t, bool *busy, bool *gone, char **change);

/* Worker, in one round trip, for n small tables copied in one transaction:
 * a transaction that imports the snapshot, one NOWAIT lock statement for
 * all n, and the check of snapshot_check_table for each (changes[i] as
 * *change there; caller owns; changes has n slots). When any table is busy
 * or gone, *retry is set and no error is returned: the transaction is
 * aborted and must be rolled back, and the caller starts each table on its
 * own with snapshot_begin_table, which tells which one it was. Every
 * transaction imports the same snapshot, so a batch reads its tables as of
 * the same instant as single-table transactions do. */
Error *snapshot_begin_batch(Conn *worker, const char *snapshot_id, const ServerInfo *srv,
                            const TableIdentity *tables, size_t n, bool *retry, char **changes);

/* Greenplum: the query that lists DDL recorded in pg_stat_last_operation
 * for the tables $1 (oid[]) since $2 (timestamptz). Pure; unit-tested. */
const char *snapshot_last_operation_sql(void);

/* End the current transaction. */
Error *snapshot_commit(Conn *c);
Error *snapshot_rollback(Conn *c);

#endif
