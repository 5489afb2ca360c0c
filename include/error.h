/* Errors are values: a record with code, SQLSTATE, message, detail, hint and
 * the place it was raised. Functions that can fail return Error * (NULL on
 * success); the caller owns a returned error and frees it with error_free(). */
#ifndef GPB_ERROR_H
#define GPB_ERROR_H

#include <stdio.h>

typedef enum ErrorCode {
    ERR_USAGE = 1,   /* bad options or combinations */
    ERR_CONNECT,     /* could not connect */
    ERR_SQL,         /* the server reported an error */
    ERR_IO,          /* a file operation failed */
    ERR_FORMAT,      /* a backup set file is malformed or unsupported */
    ERR_DATA,        /* data did not check out (row counts, sizes) */
    ERR_CANCELED,    /* interrupted by a signal or by another worker's failure */
    ERR_NOT_FOUND,   /* a named object, database or backup does not exist */
    ERR_INTERNAL
} ErrorCode;

/* Exit codes of every binary, documented in docs/exit-codes.md. */
enum { EXIT_SUCCESS_CODE = 0, EXIT_WARNINGS = 1, EXIT_FAILED = 2 };

typedef struct Error {
    ErrorCode code;
    char sqlstate[6]; /* "" when not from the server */
    char *message;
    char *detail;     /* may be NULL */
    char *hint;       /* may be NULL */
    const char *file;
    int line;
} Error;

/* A new error with a printf-style primary message; use the ERROR_NEW macro. */
Error *error_new_at(ErrorCode code, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define ERROR_NEW(code, ...) error_new_at((code), __FILE__, __LINE__, __VA_ARGS__)

/* Replace the detail / hint of err (printf-style); returns err for chaining. */
Error *error_detail(Error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
Error *error_hint(Error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefix the primary message with context: "context: message". Returns err. */
Error *error_prefix(Error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print "program: error: message" plus DETAIL/HINT lines to f. */
void error_print(const Error *err, const char *program, FILE *f);

/* Free err; accepts NULL. */
void error_free(Error *err);

#endif
