/* Connections: the one module that talks to libpq. Opening with connection
 * options and the PG* environment, session settings, queries with a small
 * result type, COPY in both directions, identifier/literal quoting with
 * libpq's escaping functions, and cancelation of every open connection (the
 * signal thread calls conn_cancel_all). A Conn is used by one thread at a
 * time. */
#ifndef GPB_CONN_H
#define GPB_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct ConnOptions {
    char *dbname;    /* a name, or a conninfo string / URI; NULL = libpq default */
    char *host;
    char *port;
    char *username;
} ConnOptions;

typedef struct Conn Conn;

typedef struct Result Result;

/* Connect. dbname_override replaces the database name (also inside a
 * conninfo dbname) when not NULL. application_name names the backup. Errors
 * never contain the password. */
Error *conn_open(const ConnOptions *opts, const char *dbname_override,
                 const char *application_name, Conn **out);
/* Close and free; accepts NULL. */
void conn_close(Conn *c);

/* Neutralise session settings that could break a long run: statement,
 * lock, idle timeouts; DateStyle ISO; IntervalStyle postgres;
 * extra_float_digits 3; search_path ''. */
Error *conn_set_session_defaults(Conn *c);

/* Run one or more statements that return no rows. */
Error *conn_exec(Conn *c, const char *sql);
/* conn_exec of one statement that reports a row count (COPY ... PROGRAM,
 * INSERT, ...): *rows gets it. */
Error *conn_exec_count(Conn *c, const char *sql, uint64_t *rows);
/* printf-style conn_exec; names must already be quoted by the caller. */
Error *conn_execf(Conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Run a query returning rows; caller owns *out (result_free). */
Error *conn_query(Conn *c, const char *sql, Result **out);
/* Run a query with text parameters $1..$n (values may be NULL). */
Error *conn_query_params(Conn *c, const char *sql, int nparams, const char *const *values,
                         Result **out);

int result_rows(const Result *r);
int result_cols(const Result *r);
/* Column number of name; aborts on a programming error (unknown name). */
int result_col(const Result *r, const char *name);
/* Value of row/col, NULL for SQL NULL. Owned by r. */
const char *result_get(const Result *r, int row, int col);
/* Value by column name; "" for NULL. */
const char *result_str(const Result *r, int row, const char *name);
bool result_isnull(const Result *r, int row, const char *name);
long long result_int(const Result *r, int row, const char *name);
bool result_bool(const Result *r, int row, const char *name);
void result_free(Result *r);                  /* accepts NULL */

/* COPY ... TO STDOUT: every chunk goes to sink; *rows is the count the
 * server reports. A sink error cancels the COPY. */
typedef Error *(*CopySink)(void *ctx, const char *buf, size_t len);
Error *conn_copy_out(Conn *c, const char *sql, CopySink sink, void *ctx, uint64_t *rows);

/* COPY ... FROM STDIN: source fills buf (returns *n = 0 at end). On a source
 * error the COPY is ended with PQputCopyEnd(errmsg) so the server aborts. */
typedef Error *(*CopySource)(void *ctx, char *buf, size_t cap, size_t *n);
Error *conn_copy_in(Conn *c, const char *sql, CopySource source, void *ctx, uint64_t *rows);
/* The same with a producer that sends the data itself, with conn_copy_put,
 * from buffers of its own (no copy into a buffer of the caller's). An error
 * it returns ends the COPY as a source error does. */
typedef Error *(*CopyProducer)(void *ctx, Conn *c);
Error *conn_copy_in_from(Conn *c, const char *sql, CopyProducer produce, void *ctx,
                         uint64_t *rows);
/* Send len bytes (at most INT_MAX) of COPY data; only inside a producer. */
Error *conn_copy_put(Conn *c, const char *buf, size_t len);

/* Quote an identifier ("a""b") / a literal ('it''s', E'' when needed) with
 * libpq. Caller owns the result. */
char *conn_quote_ident(Conn *c, const char *name);
char *conn_quote_literal(Conn *c, const char *value);
/* "schema"."name", caller owns. */
char *conn_quote_qualified(Conn *c, const char *schema, const char *name);

/* Server version number (e.g. 150018) and version string. */
int conn_server_version(const Conn *c);
const char *conn_server_version_str(const Conn *c);
/* The server's backend pid. */
int conn_backend_pid(const Conn *c);
/* Database this connection is on. */
const char *conn_dbname(const Conn *c);
/* The session's client encoding name. */
const char *conn_encoding(const Conn *c);

/* Describe opts for logs, never including a password. Caller owns. */
char *conn_describe(const ConnOptions *opts);

/* If --dbname's conninfo string contains a password, log the warning that
 * it is visible to other users (a warning: the run then exits 1). */
void conn_warn_password(const ConnOptions *opts);

/* Ask the server to cancel what every open connection is running. Safe to
 * call from the signal-handling thread. */
void conn_cancel_all(void);

/* Set once an interruption was requested; every long loop checks it. */
void conn_request_stop(void);
bool conn_stop_requested(void);

#endif
