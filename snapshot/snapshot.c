/* The consistency protocol. Every worker table is read in a transaction
 * that imported the leader's exported snapshot, so all tables are read as of
 * one instant however many workers there are. */
#include "snapshot.h"

#include <stdint.h>
#include <stdio.h>
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

void snapshot_parse_version(const char *version, ServerInfo *out)
{
    memset(out, 0, sizeof *out);
    const char *gp = strstr(version, "Greenplum Database ");
    if (strstr(version, "Cloudberry")) {
        out->flavor = SERVER_CLOUDBERRY;
    } else if (gp) {
        out->flavor = SERVER_GREENPLUM;
        sscanf(gp + strlen("Greenplum Database "), "%d.%d", &out->gp_major, &out->gp_minor);
    }
}

Error *snapshot_detect_server(Conn *c, ServerInfo *out)
{
    Result *r;
    Error *e = conn_query(c, "SELECT pg_catalog.version()", &r);
    if (e)
        return e;
    snapshot_parse_version(result_get(r, 0, 0), out);
    result_free(r);
    return NULL;
}

char *snapshot_lock_statement(const ServerInfo *srv, char *const *names, size_t n, bool nowait)
{
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "LOCK TABLE ");
    for (size_t j = 0; j < n; j++) {
        if (j)
            sb_append(&sb, ", ");
        sb_append(&sb, names[j]);
    }
    sb_append(&sb, " IN ACCESS SHARE MODE");
    if (nowait)
        sb_append(&sb, " NOWAIT");
    /* On Greenplum the coordinator's lock is enough to keep DDL out; locking
     * on every segment too would multiply the lock table use by the number of
     * segments. Cloudberry has no such clause. */
    if (srv && srv->flavor == SERVER_GREENPLUM) {
        if (srv->gp_major >= 7)
            sb_append(&sb, " COORDINATOR ONLY");
        else if (srv->gp_major == 6 && srv->gp_minor >= 21)
            sb_append(&sb, " MASTER ONLY");
    }
    return sb_steal(&sb);
}

/* After a lock wait timed out: who holds, or waits ahead of us for, an
 * ACCESS EXCLUSIVE lock on these tables? Asked on a connection of its own,
 * because the leader's transaction is aborted by the timeout. */
static void describe_blockers(Error *err, const ConnOptions *opts, int leader_pid,
                              const uint32_t *oids, size_t n)
{
    if (!opts || !oids)
        return;
    Conn *c;
    Error *e = conn_open(opts, NULL, "gpbackup lock diagnostics", &c);
    if (e) {
        error_free(e);
        return;
    }
    StrBuf arr;
    sb_init(&arr);
    sb_append(&arr, "{");
    for (size_t i = 0; i < n; i++)
        sb_printf(&arr, "%s%u", i ? "," : "", oids[i]);
    sb_append(&arr, "}");
    char pid[16];
    snprintf(pid, sizeof pid, "%d", leader_pid);
    const char *params[2] = {arr.data, pid};
    Result *r;
    e = conn_query_params(
        c,
        "SELECT l.pid, l.granted, a.usename, a.application_name, a.query_start, "
        "       pg_catalog.left(pg_catalog.regexp_replace(a.query, '\\s+', ' ', 'g'), 200) AS query, "
        "       l.relation::pg_catalog.regclass AS rel "
        "FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' "
        "  AND l.relation = ANY($1::pg_catalog.oid[]) AND l.pid <> $2::pg_catalog.int4 "
        "ORDER BY l.granted DESC, a.query_start LIMIT 5",
        2, params, &r);
    sb_free(&arr);
    if (!e) {
        StrBuf d;
        sb_init(&d);
        for (int i = 0; i < result_rows(r); i++)
            sb_printf(&d, "%ssession %s (user %s, application \"%s\", query started %s) %s an "
                          "ACCESS EXCLUSIVE lock on %s: %s",
                      i ? "; " : "", result_str(r, i, "pid"), result_str(r, i, "usename"),
                      result_str(r, i, "application_name"), result_str(r, i, "query_start"),
                      result_bool(r, i, "granted") ? "holds" : "waits for",
                      result_str(r, i, "rel"), result_str(r, i, "query"));
        if (d.len)
            error_detail(err, "%s", d.data);
        sb_free(&d);
        result_free(r);
    }
    error_free(e);
    conn_close(c);
}

Error *snapshot_lock_tables(Conn *leader, const ServerInfo *srv, char *const *names,
                            const uint32_t *oids, size_t n, size_t batch_size,
                            int lock_wait_timeout, const ConnOptions *diag_opts,
                            void (*progress)(size_t, size_t))
{
    Error *e = NULL;
    if (lock_wait_timeout > 0)
        e = conn_execf(leader, "SET LOCAL lock_timeout = %d", lock_wait_timeout * 1000);
    if (e)
        return e;
    for (size_t i = 0; i < n && !e; i += batch_size) {
        size_t end = i + batch_size < n ? i + batch_size : n;
        char *sql = snapshot_lock_statement(srv, names + i, end - i, false);
        e = conn_exec(leader, sql);
        free(sql);
        if (e) {
            if (strcmp(e->sqlstate, "55P03") == 0) {
                error_free(e);
                e = ERROR_NEW(ERR_SQL, "could not lock the tables to back up within %d seconds "
                                       "(--lock-wait-timeout)",
                              lock_wait_timeout);
                describe_blockers(e, diag_opts, conn_backend_pid(leader), oids ? oids + i : NULL,
                                  end - i);
                error_hint(e, "wait for the blocking session to finish, raise "
                              "--lock-wait-timeout, or use --no-lock");
            } else {
                error_prefix(e, "could not lock the tables to back up");
            }
        } else if (progress) {
            progress(end, n);
        }
    }
    if (!e && lock_wait_timeout > 0)
        e = conn_exec(leader, "SET LOCAL lock_timeout = 0");
    return e;
}

/* A setting the server does not have (Greenplum 6 lacks some) counts as 0.
 * pg_settings, not current_setting(name, true): Greenplum 6 (PostgreSQL
 * 9.4) has no missing_ok argument. */
#define SETTING(name)                                                                  \
    "COALESCE((SELECT setting FROM pg_catalog.pg_settings WHERE name = '" name "'), " \
    "'0')::pg_catalog.int8"

Error *snapshot_check_lock_capacity(Conn *leader, size_t nrelations)
{
    Result *r;
    Error *e = conn_query(
        leader,
        "SELECT " SETTING("max_locks_per_transaction") " AS per_xact, "
        "       " SETTING("max_connections") " + " SETTING("autovacuum_max_workers") " + 1 + "
        "       " SETTING("max_worker_processes") " + " SETTING("max_wal_senders") " + "
        "       " SETTING("max_prepared_transactions") " AS slots, "
        "       (SELECT pg_catalog.count(*) FROM pg_catalog.pg_locks WHERE NOT fastpath) AS in_use",
        &r);
    if (e)
        return error_prefix(e, "could not read the lock settings");
    long long per_xact = result_int(r, 0, "per_xact");
    long long slots = result_int(r, 0, "slots");
    long long in_use = result_int(r, 0, "in_use");
    result_free(r);
    long long capacity = per_xact * slots;
    /* Head room for the workers' own locks and for everyone else. */
    long long needed = (long long)nrelations + in_use + 2 * per_xact;
    if (needed <= capacity)
        return NULL;
    long long want = slots ? (needed + slots - 1) / slots : needed;
    e = ERROR_NEW(ERR_USAGE, "too many tables to lock: %zu tables, the server's lock table holds "
                             "about %lld locks",
                  nrelations, capacity);
    error_detail(e, "max_locks_per_transaction (%lld) times %lld server slots (max_connections, "
                    "background workers, max_prepared_transactions) gives %lld; %lld locks are in "
                    "use",
                 per_xact, slots, capacity, in_use);
    return error_hint(e, "raise max_locks_per_transaction to at least %lld (a server restart is "
                         "needed), or back up with --no-lock, which locks one table at a time",
                      want);
}

Error *snapshot_check_connections(Conn *leader, int needed)
{
    Result *r;
    /* backend_type appeared in PostgreSQL 10; before it (Greenplum 6) the
     * view lists client sessions only. */
    bool has_type = conn_server_version(leader) >= 100000;
    char *sql = xasprintf(
        "SELECT " SETTING("max_connections") " AS max_conn, "
        "       " SETTING("superuser_reserved_connections") " AS reserved, "
        "       (SELECT pg_catalog.count(*) FROM pg_catalog.pg_stat_activity "
        "         WHERE %s) AS used, "
        "       (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) AS super, "
        "       (SELECT rolconnlimit FROM pg_catalog.pg_roles WHERE rolname = current_user) AS role_limit, "
        "       (SELECT pg_catalog.count(*) FROM pg_catalog.pg_stat_activity "
        "         WHERE usename = current_user) AS role_used, "
        "       (SELECT datconnlimit FROM pg_catalog.pg_database "
        "         WHERE datname = pg_catalog.current_database()) AS db_limit, "
        "       (SELECT pg_catalog.count(*) FROM pg_catalog.pg_stat_activity "
        "         WHERE datname = pg_catalog.current_database()) AS db_used",
        has_type ? "backend_type = 'client backend'" : "true");
    Error *e = conn_query(leader, sql, &r);
    free(sql);
    if (e)
        return error_prefix(e, "could not read the connection settings");
    long long free_conn = result_int(r, 0, "max_conn") - result_int(r, 0, "used") -
                          (result_bool(r, 0, "super") ? 0 : result_int(r, 0, "reserved"));
    long long role_limit = result_int(r, 0, "role_limit");
    long long role_free = role_limit < 0 ? needed : role_limit - result_int(r, 0, "role_used");
    long long db_limit = result_int(r, 0, "db_limit");
    long long db_free = db_limit < 0 ? needed : db_limit - result_int(r, 0, "db_used");
    result_free(r);
    const char *what = NULL;
    long long have = 0;
    if (free_conn < needed) {
        what = "max_connections";
        have = free_conn;
    } else if (role_free < needed) {
        what = "the connection limit of the role (ALTER ROLE ... CONNECTION LIMIT)";
        have = role_free;
    } else if (db_free < needed) {
        what = "the connection limit of the database (ALTER DATABASE ... CONNECTION LIMIT)";
        have = db_free;
    }
    if (!what)
        return NULL;
    e = ERROR_NEW(ERR_USAGE, "not enough free connections on the server: %d needed, %lld free",
                  needed, have < 0 ? 0 : have);
    error_detail(e, "the limit reached is %s", what);
    return error_hint(e, "lower --jobs, or raise %s", what);
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
Error *snapshot_lock_nowait(Conn *worker, const ServerInfo *srv, const char *qualified_name,
                            bool *busy, bool *gone)
{
    *busy = false;
    *gone = false;
    /* The statement builder takes the leader's name array; one name here. */
    char *names[1] = {(char *)(uintptr_t)qualified_name};
    char *sql = snapshot_lock_statement(srv, names, 1, true);
    Error *e = conn_exec(worker, sql);
    free(sql);
    if (e && strcmp(e->sqlstate, "55P03") == 0) {
        error_free(e);
        *busy = true;
        return NULL;
    }
    if (e && strcmp(e->sqlstate, "42P01") == 0) {
        error_free(e);
        *gone = true;
        return NULL;
    }
    return e;
}

/* Everything here reads the catalog through the server's caches, which
 * always show the latest committed state, while plain queries in this
 * transaction see the snapshot: comparing the two finds DDL committed after
 * the snapshot. The caller holds the table's lock, so nothing can change
 * between this check and the copy. */
static char *check_sql(Conn *c, const TableIdentity *t)
{
    char *name = conn_quote_literal(c, t->qualified);
    char *attnums = conn_quote_literal(c, t->attnums);
    /* has_column_privilege returns NULL for a missing column from
     * PostgreSQL 11 on; before (Greenplum 6) it answers from the table's
     * privileges: no column check there (a dropped column fails the COPY,
     * and Greenplum's pg_stat_last_operation reports the ALTER). */
    if (conn_server_version(c) < 110000) {
        char *sql = xasprintf(
            "SELECT pg_catalog.to_regclass(%s)::pg_catalog.oid AS cur_oid, "
            "       pg_catalog.pg_relation_filenode(%u::pg_catalog.oid) AS cur_filenode, "
            "       false AS added, 0 AS dropped",
            name, t->oid);
        free(name);
        free(attnums);
        return sql;
    }
    char *sql = xasprintf(
        "SELECT pg_catalog.to_regclass(%s)::pg_catalog.oid AS cur_oid, "
        "       pg_catalog.pg_relation_filenode(%u::pg_catalog.oid) AS cur_filenode, "
        "       pg_catalog.has_column_privilege(%u::pg_catalog.oid, "
        "           %d::pg_catalog.int2, 'SELECT') IS NOT NULL AS added, "
        "       (SELECT pg_catalog.count(*) FROM pg_catalog.unnest(%s::pg_catalog.int2[]) a "
        "         WHERE pg_catalog.has_column_privilege(%u::pg_catalog.oid, a, 'SELECT') IS NULL) "
        "         AS dropped",
        name, t->oid, t->oid, t->natts + 1, attnums, t->oid);
    free(name);
    free(attnums);
    return sql;
}

static char *describe_change_row(const Result *r, int row, const TableIdentity *t)
{
    char oid[16];
    snprintf(oid, sizeof oid, "%u", t->oid);
    StrBuf sb;
    sb_init(&sb);
    if (result_isnull(r, row, "cur_oid") || strcmp(result_str(r, row, "cur_oid"), oid) != 0) {
        sb_append(&sb, "dropped and re-created");
    } else {
        if (t->filenode &&
            (uint32_t)strtoul(result_str(r, row, "cur_filenode"), NULL, 10) != t->filenode)
            sb_append(&sb, "truncated or rewritten (TRUNCATE, VACUUM FULL, CLUSTER or a rewriting "
                           "ALTER TABLE)");
        if (result_bool(r, row, "added"))
            sb_printf(&sb, "%scolumns added", sb.len ? "; " : "");
        if (result_int(r, row, "dropped") > 0)
            sb_printf(&sb, "%scolumns dropped", sb.len ? "; " : "");
    }
    if (sb.len)
        return sb_steal(&sb);
    sb_free(&sb);
    return NULL;
}

static char *describe_change(const Result *r, const TableIdentity *t)
{
    return describe_change_row(r, 0, t);
}

Error *snapshot_check_table(Conn *c, const TableIdentity *t, char **change)
{
    *change = NULL;
    char *sql = check_sql(c, t);
    Result *r;
    Error *e = conn_query(c, sql, &r);
    free(sql);
    if (e)
        return error_prefix(e, "could not check table %s for changes", t->qualified);
    *change = describe_change(r, t);
    result_free(r);
    return NULL;
}

Error *snapshot_begin_table(Conn *worker, const char *snapshot_id, const ServerInfo *srv,
                            const TableIdentity *t, bool *busy, bool *gone, char **change)
{
    *busy = *gone = false;
    *change = NULL;
    char *lit = conn_quote_literal(worker, snapshot_id);
    char *names[1] = {(char *)(uintptr_t)t->qualified};
    char *lock = snapshot_lock_statement(srv, names, 1, true);
    char *check = check_sql(worker, t);
    /* One round trip instead of four: with many small tables the
     * round trips, not the data, are what the time goes to. */
    char *sql = xasprintf("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; "
                          "SET TRANSACTION SNAPSHOT %s; %s; %s",
                          lit, lock, check);
    free(lit);
    free(lock);
    free(check);
    Result *r;
    Error *e = conn_query(worker, sql, &r);
    free(sql);
    if (e && strcmp(e->sqlstate, "55P03") == 0) {
        error_free(e);
        *busy = true;
        return NULL;
    }
    if (e && strcmp(e->sqlstate, "42P01") == 0) {
        error_free(e);
        *gone = true;
        return NULL;
    }
    if (e && strstr(e->message, "invalid snapshot identifier")) {
        /* The exporting transaction is gone: the leader's session ended
         * (terminated, or its connection lost). Say so, not just "invalid". */
        error_prefix(e, "the leader connection (connection 0) that holds the snapshot has ended; "
                        "could not start copying table %s",
                     t->qualified);
        return error_hint(e, "check the server log for why the leader's session ended, then run "
                             "the backup again");
    }
    if (e)
        return error_prefix(e, "could not start copying table %s", t->qualified);
    *change = describe_change(r, t);
    result_free(r);
    return NULL;
}

/* Where a batch's tables are named in one statement, an error names none
 * of them: the caller then starts each table on its own. */
static bool batch_retryable(const Error *e)
{
    return strcmp(e->sqlstate, "55P03") == 0 || strcmp(e->sqlstate, "42P01") == 0;
}

Error *snapshot_begin_batch(Conn *worker, const char *snapshot_id, const ServerInfo *srv,
                            const TableIdentity *tables, size_t n, bool *retry, char **changes)
{
    *retry = false;
    for (size_t i = 0; i < n; i++)
        changes[i] = NULL;
    if (n == 0)
        return NULL;
    char *lit = conn_quote_literal(worker, snapshot_id);
    char **names = xcalloc(n, sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = (char *)(uintptr_t)tables[i].qualified;
    char *lock = snapshot_lock_statement(srv, names, n, true);
    free(names);
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT %s; "
                   "%s; ",
              lit, lock);
    free(lit);
    free(lock);
    /* The check of snapshot_check_table, one row per table, tagged with
     * its position in the batch, as one query over a VALUES list: a
     * UNION ALL of the single-table query costs more to plan than to run.
     * It runs after the LOCK, so nothing can change between it and the
     * copies. to_regclass is called on a literal, so that the server picks
     * its own signature (cstring before PostgreSQL 14, text since). */
    /* (No column checks before PostgreSQL 11: see check_sql.) */
    bool v11 = conn_server_version(worker) >= 110000;
    sb_printf(&sb, "SELECT v.i, v.cur_oid, "
                   "       pg_catalog.pg_relation_filenode(v.o) AS cur_filenode, "
                   "       %s "
                   "         AS added, "
                   "       %s "
                   "         AS dropped "
                   "FROM (VALUES ",
              v11 ? "pg_catalog.has_column_privilege(v.o, v.next_att, 'SELECT') IS NOT NULL"
                  : "false",
              v11 ? "(SELECT pg_catalog.count(*) FROM pg_catalog.unnest(v.atts) a "
                    "         WHERE pg_catalog.has_column_privilege(v.o, a, 'SELECT') IS NULL)"
                  : "0");
    for (size_t i = 0; i < n; i++) {
        char *name = conn_quote_literal(worker, tables[i].qualified);
        char *attnums = conn_quote_literal(worker, tables[i].attnums);
        sb_printf(&sb,
                  "%s(%zu, pg_catalog.to_regclass(%s)::pg_catalog.oid, %u::pg_catalog.oid, "
                  "%d::pg_catalog.int2, %s::pg_catalog.int2[])",
                  i ? ", " : "", i, name, tables[i].oid, tables[i].natts + 1, attnums);
        free(name);
        free(attnums);
    }
    sb_append(&sb, ") AS v(i, cur_oid, o, next_att, atts)");
    Result *r;
    Error *e = conn_query(worker, sb.data, &r);
    sb_free(&sb);
    if (e && batch_retryable(e)) {
        error_free(e);
        *retry = true;
        return NULL;
    }
    if (e && strstr(e->message, "invalid snapshot identifier")) {
        error_prefix(e, "the leader connection (connection 0) that holds the snapshot has ended; "
                        "could not start copying tables");
        return error_hint(e, "check the server log for why the leader's session ended, then run "
                             "the backup again");
    }
    if (e)
        return error_prefix(e, "could not start copying a batch of %zu tables (first %s)", n,
                            tables[0].qualified);
    int rows = result_rows(r);
    bool *seen = xcalloc(n, sizeof *seen);
    bool bad = (size_t)rows != n;
    for (int row = 0; row < rows && !bad; row++) {
        long long i = result_int(r, row, "i");
        if (i < 0 || (size_t)i >= n || seen[i]) {
            bad = true;
            break;
        }
        seen[i] = true;
        changes[i] = describe_change_row(r, row, &tables[i]);
    }
    free(seen);
    result_free(r);
    if (bad) {
        for (size_t k = 0; k < n; k++) {
            free(changes[k]);
            changes[k] = NULL;
        }
        return ERROR_NEW(ERR_INTERNAL, "the check of a batch of %zu tables returned %d rows", n,
                         rows);
    }
    return NULL;
}

const char *snapshot_last_operation_sql(void)
{
    return "SELECT n.nspname, c.relname, o.staactionname, o.stasubtype, o.statime "
           "FROM pg_catalog.pg_stat_last_operation o "
           "JOIN pg_catalog.pg_class c ON c.oid = o.objid "
           "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
           "WHERE o.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "
           "  AND o.objid = ANY($1::pg_catalog.oid[]) "
           "  AND o.statime >= $2::pg_catalog.timestamptz "
           "  AND o.staactionname IN ('TRUNCATE', 'ALTER', 'DROP', 'VACUUM', 'REINDEX') "
           "ORDER BY o.statime, n.nspname, c.relname";
}

Error *snapshot_commit(Conn *c)
{
    return conn_exec(c, "COMMIT");
}

Error *snapshot_rollback(Conn *c)
{
    return conn_exec(c, "ROLLBACK");
}
