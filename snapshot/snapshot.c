/* The consistency protocol. Every worker table is read in a transaction
 * that imported the leader's exported snapshot, so all tables are read as of
 * one instant however many workers there are. */
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

Error *snapshot_export(Conn *leader, char **snapshot_id)
{
    *snapshot_id = NULL;
    Error *e = conn_exec(leader, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    if (e)
        return e;
    Result *r;
    e = conn_query(leader, "SELECT pg_catalog.pg_export_snapshot()", &r);
    if (e)
        return error_prefix(e, "could not export a snapshot");
    *snapshot_id = xstrdup(result_get(r, 0, 0));
    result_free(r);
    return NULL;
}

Error *snapshot_lock_tables(Conn *leader, char *const *names, size_t n, size_t batch_size,
                            int lock_wait_timeout, void (*progress)(size_t, size_t))
{
    Error *e = NULL;
    if (lock_wait_timeout > 0)
        e = conn_execf(leader, "SET LOCAL lock_timeout = %d", lock_wait_timeout * 1000);
    if (e)
        return e;
    StrBuf sb;
    sb_init(&sb);
    for (size_t i = 0; i < n && !e; i += batch_size) {
        size_t end = i + batch_size < n ? i + batch_size : n;
        sb_reset(&sb);
        sb_append(&sb, "LOCK TABLE ");
        for (size_t j = i; j < end; j++) {
            if (j > i)
                sb_append(&sb, ", ");
            sb_append(&sb, names[j]);
        }
        sb_append(&sb, " IN ACCESS SHARE MODE");
        e = conn_exec(leader, sb.data);
        if (e) {
            if (strcmp(e->sqlstate, "55P03") == 0) {
                error_prefix(e, "could not lock the tables to back up within %d seconds",
                             lock_wait_timeout);
                error_hint(e, "another session holds a conflicting lock; wait for it to finish "
                              "or raise --lock-wait-timeout");
            } else {
                error_prefix(e, "could not lock the tables to back up");
            }
        } else if (progress) {
            progress(end, n);
        }
    }
    sb_free(&sb);
    if (!e && lock_wait_timeout > 0)
        e = conn_exec(leader, "SET LOCAL lock_timeout = 0");
    return e;
}

Error *snapshot_import(Conn *worker, const char *snapshot_id)
{
    Error *e = conn_exec(worker, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    if (e)
        return e;
    char *lit = conn_quote_literal(worker, snapshot_id);
    e = conn_execf(worker, "SET TRANSACTION SNAPSHOT %s", lit);
    free(lit);
    if (e)
        error_prefix(e, "could not import snapshot %s", snapshot_id);
    return e;
}

/* Why NOWAIT: the leader holds ACCESS SHARE on every table until the end.
 * If another session then asks for ACCESS EXCLUSIVE (a TRUNCATE, an ALTER),
 * it queues behind the leader, and a plain lock request from a worker would
 * queue behind it in turn. The leader waits for the worker, the worker for
 * the TRUNCATE, the TRUNCATE for the leader: a deadlock the server cannot see,
 * because the leader's wait is in our process, not in the lock manager. With
 * NOWAIT the worker gives the table up and the leader, which already holds
 * the lock, copies it itself. */
Error *snapshot_lock_nowait(Conn *worker, const char *qualified_name, bool *busy)
{
    *busy = false;
    Error *e = conn_execf(worker, "LOCK TABLE %s IN ACCESS SHARE MODE NOWAIT", qualified_name);
    if (e && strcmp(e->sqlstate, "55P03") == 0) {
        error_free(e);
        *busy = true;
        return NULL;
    }
    return e;
}

Error *snapshot_commit(Conn *c)
{
    return conn_exec(c, "COMMIT");
}

Error *snapshot_rollback(Conn *c)
{
    return conn_exec(c, "ROLLBACK");
}
