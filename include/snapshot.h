/* The consistency protocol (DESIGN.md §1): the leader's exporting
 * transaction and its batched table locks, the workers' per-table
 * transactions that import the snapshot, and NOWAIT locking that turns a
 * busy table into a deferred one instead of a deadlock. */
#ifndef GPB_SNAPSHOT_H
#define GPB_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

#include "conn.h"
#include "error.h"

/* Leader: BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY and export the
 * snapshot. Caller owns *snapshot_id. */
Error *snapshot_export(Conn *leader, char **snapshot_id);

/* Leader: LOCK TABLE ... IN ACCESS SHARE MODE on every table (already quoted
 * names), batch_size tables per statement, each batch bounded by
 * lock_wait_timeout seconds (0 = no bound). progress(done, total) is called
 * after each batch when not NULL. */
Error *snapshot_lock_tables(Conn *leader, char *const *qualified_names, size_t n,
                            size_t batch_size, int lock_wait_timeout,
                            void (*progress)(size_t done, size_t total));

/* Worker: open a transaction of its own that sees the leader's snapshot. */
Error *snapshot_import(Conn *worker, const char *snapshot_id);

/* Worker: LOCK TABLE name IN ACCESS SHARE MODE NOWAIT. When another session
 * holds or waits for a conflicting lock, *busy is set and no error returned;
 * the transaction is then aborted and must be rolled back. */
Error *snapshot_lock_nowait(Conn *worker, const char *qualified_name, bool *busy);

/* End the current transaction. */
Error *snapshot_commit(Conn *c);
Error *snapshot_rollback(Conn *c);

#endif
