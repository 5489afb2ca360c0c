/* Connections over libpq. Every other module reaches the server through
 * here, which keeps escaping, error translation and cancelation in one
 * place. */
#include "conn.h"

#include <limits.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

struct Conn {
    PGconn *pg;
    PGcancel *cancel;
    int server_version;
    char *version_str;
    char *dbname;
};

struct Result {
    PGresult *res;
};

/* The registry of open connections, for conn_cancel_all. */
#define MAX_CONNS 1024
static pthread_mutex_t registry_mutex = PTHREAD_MUTEX_INITIALIZER;
static Conn *registry[MAX_CONNS];
static atomic_bool stop_requested;

static void registry_add(Conn *c)
{
    pthread_mutex_lock(&registry_mutex);
    for (int i = 0; i < MAX_CONNS; i++) {
        if (!registry[i]) {
            registry[i] = c;
            break;
        }
    }
    pthread_mutex_unlock(&registry_mutex);
}

static void registry_remove(Conn *c)
{
    pthread_mutex_lock(&registry_mutex);
    for (int i = 0; i < MAX_CONNS; i++)
        if (registry[i] == c)
            registry[i] = NULL;
    pthread_mutex_unlock(&registry_mutex);
}

void conn_cancel_all(void)
{
    char errbuf[256];
    pthread_mutex_lock(&registry_mutex);
    for (int i = 0; i < MAX_CONNS; i++)
        if (registry[i] && registry[i]->cancel)
            PQcancel(registry[i]->cancel, errbuf, sizeof errbuf);
    pthread_mutex_unlock(&registry_mutex);
}

void conn_request_stop(void)
{
    atomic_store(&stop_requested, true);
}

bool conn_stop_requested(void)
{
    return atomic_load(&stop_requested);
}

/* libpq messages end with a newline; ours must not. */
static char *trim_message(const char *m)
{
    char *s = xstrdup(m ? m : "");
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = '\0';
    return s;
}

static Error *error_from_conn(PGconn *pg, const char *what)
{
    char *msg = trim_message(PQerrorMessage(pg));
    Error *e = ERROR_NEW(ERR_SQL, "%s: %s", what, msg);
    free(msg);
    return e;
}

static Error *error_from_result(PGconn *pg, const PGresult *res)
{
    const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    Error *e;
    if (!primary) {
        char *msg = trim_message(PQerrorMessage(pg));
        e = ERROR_NEW(ERR_SQL, "%s", *msg ? msg : "query failed");
        free(msg);
    } else {
        e = ERROR_NEW(ERR_SQL, "%s", primary);
    }
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (state)
        snprintf(e->sqlstate, sizeof e->sqlstate, "%s", state);
    const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
    if (detail)
        error_detail(e, "%s", detail);
    const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
    if (hint)
        error_hint(e, "%s", hint);
    if (strcmp(e->sqlstate, "57014") == 0 && conn_stop_requested())
        e->code = ERR_CANCELED;
    if (PQstatus(pg) == CONNECTION_BAD)
        error_detail(e, "%s%sthe connection to the server was lost",
                     e->detail ? e->detail : "", e->detail ? "; " : "");
    return e;
}

Error *conn_open(const ConnOptions *opts, const char *dbname_override,
                 const char *application_name, Conn **out)
{
    const char *keys[16];
    const char *vals[16];
    int n = 0;
    *out = NULL;
    if (opts->dbname) {
        keys[n] = "dbname";
        vals[n++] = opts->dbname;
    }
    if (opts->host) {
        keys[n] = "host";
        vals[n++] = opts->host;
    }
    if (opts->port) {
        keys[n] = "port";
        vals[n++] = opts->port;
    }
    if (opts->username) {
        keys[n] = "user";
        vals[n++] = opts->username;
    }
    if (application_name) {
        keys[n] = "application_name";
        vals[n++] = application_name;
    }
    /* A later plain dbname overrides the one inside a conninfo string. */
    if (dbname_override) {
        keys[n] = "dbname";
        vals[n++] = dbname_override;
    }
    /* An unreachable server must fail in seconds, not hang; the user's own
     * setting (conninfo or PGCONNECT_TIMEOUT) wins when present. */
    if (!getenv("PGCONNECT_TIMEOUT") && !(opts->dbname && strstr(opts->dbname, "connect_timeout"))) {
        keys[n] = "connect_timeout";
        vals[n++] = "10";
    }
    /* A connection that silently died (a dropped network, a rebooted host)
     * must surface as an error in seconds, not hang a worker in recv(). */
    if (!(opts->dbname && strstr(opts->dbname, "keepalives"))) {
        keys[n] = "keepalives_idle";
        vals[n++] = "10";
        keys[n] = "keepalives_interval";
        vals[n++] = "5";
        keys[n] = "keepalives_count";
        vals[n++] = "3";
    }
    keys[n] = NULL;
    vals[n] = NULL;

    PGconn *pg = PQconnectdbParams(keys, vals, 1);
    if (!pg)
        return ERROR_NEW(ERR_CONNECT, "could not connect to the server: out of memory");
    if (PQstatus(pg) != CONNECTION_OK) {
        char *msg = trim_message(PQerrorMessage(pg));
        const char *db = dbname_override ? dbname_override : PQdb(pg);
        Error *e = ERROR_NEW(ERR_CONNECT, "could not connect to database \"%s\"",
                             db ? db : "");
        error_detail(e, "%s", msg);
        if (strstr(msg, "does not exist"))
            error_hint(e, "check the name given with --dbname, or create the database first");
        else
            error_hint(e, "check --host, --port, --username and the PG* environment variables");
        free(msg);
        PQfinish(pg);
        return e;
    }
    Conn *c = xcalloc(1, sizeof *c);
    c->pg = pg;
    c->cancel = PQgetCancel(pg);
    c->server_version = PQserverVersion(pg);
    const char *v = PQparameterStatus(pg, "server_version");
    c->version_str = xstrdup(v ? v : "");
    c->dbname = xstrdup(PQdb(pg));
    registry_add(c);
    *out = c;
    return NULL;
}

void conn_close(Conn *c)
{
    if (!c)
        return;
    registry_remove(c);
    if (c->cancel)
        PQfreeCancel(c->cancel);
    PQfinish(c->pg);
    free(c->version_str);
    free(c->dbname);
    free(c);
}

Error *conn_set_session_defaults(Conn *c)
{
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb,
              "SET statement_timeout = 0; SET lock_timeout = 0; "
              "SET DateStyle = 'ISO'; SET IntervalStyle = 'postgres'; "
              "SET extra_float_digits = 3; SET search_path = ''; "
              "SET synchronize_seqscans = off;");
    /* idle_in_transaction_session_timeout exists from PostgreSQL 9.6 on
     * (Greenplum 6, on 9.4, lacks it), idle_session_timeout from 14 on. */
    if (c->server_version >= 90600)
        sb_append(&sb, " SET idle_in_transaction_session_timeout = 0;");
    if (c->server_version >= 140000)
        sb_append(&sb, " SET idle_session_timeout = 0;");
    /* JIT compiles the larger catalog queries (tens of thousands of rows
     * estimated) for longer than they run; pg_dump turns it off too. */
    if (c->server_version >= 110000)
        sb_append(&sb, " SET jit = off;");
    Error *e = conn_exec(c, sb.data);
    sb_free(&sb);
    return e;
}

static Error *check_result(Conn *c, PGresult *res, ExecStatusType want, const char *sql)
{
    if (!res)
        return error_from_conn(c->pg, "query failed");
    ExecStatusType st = PQresultStatus(res);
    if (st == want || (want == PGRES_COMMAND_OK && st == PGRES_TUPLES_OK))
        return NULL;
    Error *e = error_from_result(c->pg, res);
    log_debug("failed statement: %s", sql);
    return e;
}

Error *conn_exec(Conn *c, const char *sql)
{
    log_debug("executing: %s", sql);
    PGresult *res = PQexec(c->pg, sql);
    Error *e = check_result(c, res, PGRES_COMMAND_OK, sql);
    PQclear(res);
    /* PQexec returns only the last result; an earlier error aborts the rest
     * and is what the last result reports, so nothing is lost. */
    return e;
}

Error *conn_exec_count(Conn *c, const char *sql, uint64_t *rows)
{
    log_debug("executing: %s", sql);
    PGresult *res = PQexec(c->pg, sql);
    Error *e = check_result(c, res, PGRES_COMMAND_OK, sql);
    if (!e && rows)
        *rows = strtoull(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return e;
}

Error *conn_execf(Conn *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = xvasprintf(fmt, ap);
    va_end(ap);
    Error *e = conn_exec(c, sql);
    free(sql);
    return e;
}

Error *conn_query(Conn *c, const char *sql, Result **out)
{
    return conn_query_params(c, sql, 0, NULL, out);
}

Error *conn_query_params(Conn *c, const char *sql, int nparams, const char *const *values,
                         Result **out)
{
    *out = NULL;
    log_debug("query: %s", sql);
    PGresult *res = nparams ? PQexecParams(c->pg, sql, nparams, NULL, values, NULL, NULL, 0)
                            : PQexec(c->pg, sql);
    Error *e = check_result(c, res, PGRES_TUPLES_OK, sql);
    if (e) {
        PQclear(res);
        return e;
    }
    Result *r = xmalloc(sizeof *r);
    r->res = res;
    *out = r;
    return NULL;
}

int result_rows(const Result *r)
{
    return PQntuples(r->res);
}

int result_cols(const Result *r)
{
    return PQnfields(r->res);
}

int result_col(const Result *r, const char *name)
{
    int col = PQfnumber(r->res, name);
    if (col < 0) {
        fprintf(stderr, "internal error: no column \"%s\" in result\n", name);
        abort();
    }
    return col;
}

const char *result_get(const Result *r, int row, int col)
{
    if (PQgetisnull(r->res, row, col))
        return NULL;
    return PQgetvalue(r->res, row, col);
}

const char *result_str(const Result *r, int row, const char *name)
{
    const char *v = result_get(r, row, result_col(r, name));
    return v ? v : "";
}

bool result_isnull(const Result *r, int row, const char *name)
{
    return PQgetisnull(r->res, row, result_col(r, name));
}

long long result_int(const Result *r, int row, const char *name)
{
    return strtoll(result_str(r, row, name), NULL, 10);
}

bool result_bool(const Result *r, int row, const char *name)
{
    return strcmp(result_str(r, row, name), "t") == 0;
}

void result_free(Result *r)
{
    if (!r)
        return;
    PQclear(r->res);
    free(r);
}

static uint64_t cmd_tuples(PGresult *res)
{
    const char *t = PQcmdTuples(res);
    return t && *t ? strtoull(t, NULL, 10) : 0;
}

/* Read what is left of a COPY after we gave up on it, so the connection is
 * usable (or at least reports its final state). */
static Error *finish_results(Conn *c, const char *sql, uint64_t *rows)
{
    Error *first = NULL;
    PGresult *res;
    while ((res = PQgetResult(c->pg)) != NULL) {
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_COMMAND_OK) {
            if (rows)
                *rows = cmd_tuples(res);
        } else if (!first) {
            first = check_result(c, res, PGRES_COMMAND_OK, sql);
        }
        PQclear(res);
    }
    return first;
}

Error *conn_copy_out(Conn *c, const char *sql, CopySink sink, void *ctx, uint64_t *rows)
{
    log_debug("copy: %s", sql);
    *rows = 0;
    if (!PQsendQuery(c->pg, sql))
        return error_from_conn(c->pg, "could not send COPY");
    PGresult *res = PQgetResult(c->pg);
    if (!res || PQresultStatus(res) != PGRES_COPY_OUT) {
        Error *e = check_result(c, res, PGRES_COPY_OUT, sql);
        PQclear(res);
        Error *rest = finish_results(c, sql, NULL);
        error_free(rest);
        return e;
    }
    PQclear(res);

    Error *sink_err = NULL;
    for (;;) {
        char *buf = NULL;
        int n = PQgetCopyData(c->pg, &buf, 0);
        if (n > 0) {
            if (!sink_err) {
                sink_err = sink(ctx, buf, (size_t)n);
                if (sink_err) {
                    /* Stop the server from streaming the rest. */
                    char errbuf[256];
                    PQcancel(c->cancel, errbuf, sizeof errbuf);
                }
            }
            PQfreemem(buf);
            continue;
        }
        if (buf)
            PQfreemem(buf);
        if (n == -2) {
            Error *e = error_from_conn(c->pg, "COPY failed");
            if (sink_err) {
                error_free(e);
                return sink_err;
            }
            return e;
        }
        break; /* -1: done */
    }
    Error *e = finish_results(c, sql, rows);
    if (sink_err) {
        error_free(e);
        return sink_err;
    }
    return e;
}

Error *conn_copy_put(Conn *c, const char *buf, size_t len)
{
    if (len > INT_MAX)
        return ERROR_NEW(ERR_INTERNAL, "COPY data piece of %zu bytes", len);
    if (PQputCopyData(c->pg, buf, (int)len) != 1)
        return error_from_conn(c->pg, "could not send COPY data");
    return NULL;
}

Error *conn_copy_in_from(Conn *c, const char *sql, CopyProducer produce, void *ctx,
                         uint64_t *rows)
{
    log_debug("copy: %s", sql);
    *rows = 0;
    PGresult *res = PQexec(c->pg, sql);
    if (!res || PQresultStatus(res) != PGRES_COPY_IN) {
        Error *e = check_result(c, res, PGRES_COPY_IN, sql);
        PQclear(res);
        return e;
    }
    PQclear(res);
    Error *e = produce(ctx, c);
    if (e) {
        /* Make the server abort the COPY: no partial data is kept. (When
         * the connection failed, this fails too.) */
        PQputCopyEnd(c->pg, e->message);
        error_free(finish_results(c, sql, NULL));
        return e;
    }
    if (PQputCopyEnd(c->pg, NULL) != 1)
        return error_from_conn(c->pg, "could not end COPY");
    return finish_results(c, sql, rows);
}

typedef struct PullSource {
    CopySource source;
    void *ctx;
} PullSource;

static Error *produce_pulled(void *ctx, Conn *c)
{
    PullSource *ps = ctx;
    size_t cap = 256 * 1024;
    char *buf = xmalloc(cap);
    Error *e;
    for (;;) {
        size_t n = 0;
        e = ps->source(ps->ctx, buf, cap, &n);
        if (e || n == 0)
            break;
        if ((e = conn_copy_put(c, buf, n)))
            break;
    }
    free(buf);
    return e;
}

Error *conn_copy_in(Conn *c, const char *sql, CopySource source, void *ctx, uint64_t *rows)
{
    PullSource ps = {source, ctx};
    return conn_copy_in_from(c, sql, produce_pulled, &ps, rows);
}

char *conn_quote_ident(Conn *c, const char *name)
{
    char *q = PQescapeIdentifier(c->pg, name, strlen(name));
    if (!q) {
        fprintf(stderr, "fatal: could not quote identifier: %s", PQerrorMessage(c->pg));
        abort();
    }
    char *r = xstrdup(q);
    PQfreemem(q);
    return r;
}

char *conn_quote_literal(Conn *c, const char *value)
{
    char *q = PQescapeLiteral(c->pg, value, strlen(value));
    if (!q) {
        fprintf(stderr, "fatal: could not quote literal: %s", PQerrorMessage(c->pg));
        abort();
    }
    char *r = xstrdup(q);
    PQfreemem(q);
    return r;
}

char *conn_quote_qualified(Conn *c, const char *schema, const char *name)
{
    char *s = conn_quote_ident(c, schema);
    char *n = conn_quote_ident(c, name);
    char *r = xasprintf("%s.%s", s, n);
    free(s);
    free(n);
    return r;
}

int conn_server_version(const Conn *c)
{
    return c->server_version;
}

const char *conn_server_version_str(const Conn *c)
{
    return c->version_str;
}

int conn_backend_pid(const Conn *c)
{
    return PQbackendPID(c->pg);
}

const char *conn_dbname(const Conn *c)
{
    return c->dbname;
}

const char *conn_encoding(const Conn *c)
{
    return pg_encoding_to_char(PQclientEncoding(c->pg));
}

char *conn_describe(const ConnOptions *opts)
{
    StrBuf sb;
    sb_init(&sb);
    if (opts->dbname) {
        PQconninfoOption *info = PQconninfoParse(opts->dbname, NULL);
        if (info) {
            /* A conninfo string or URI: show its parts, never the password. */
            for (PQconninfoOption *o = info; o->keyword; o++) {
                if (!o->val || strcmp(o->keyword, "password") == 0)
                    continue;
                sb_printf(&sb, "%s%s=%s", sb.len ? " " : "", o->keyword, o->val);
            }
            PQconninfoFree(info);
        } else {
            sb_printf(&sb, "dbname=%s", opts->dbname);
        }
    }
    if (opts->host)
        sb_printf(&sb, "%shost=%s", sb.len ? " " : "", opts->host);
    if (opts->port)
        sb_printf(&sb, "%sport=%s", sb.len ? " " : "", opts->port);
    if (opts->username)
        sb_printf(&sb, "%suser=%s", sb.len ? " " : "", opts->username);
    return sb_steal(&sb);
}

static bool conn_options_have_password(const ConnOptions *opts)
{
    if (!opts->dbname)
        return false;
    PQconninfoOption *info = PQconninfoParse(opts->dbname, NULL);
    if (!info)
        return false;
    bool found = false;
    for (PQconninfoOption *o = info; o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val && *o->val)
            found = true;
    PQconninfoFree(info);
    return found;
}

void conn_warn_password(const ConnOptions *opts)
{
    if (conn_options_have_password(opts))
        log_warning("a password given in --dbname is visible to other users of this machine; "
                    "use ~/.pgpass or PGPASSWORD instead");
}
