/* Error records: creation, decoration and printing in PostgreSQL's style
 * (primary message lower case without final period, then DETAIL and HINT). */
#include "error.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

Error *error_new_at(ErrorCode code, const char *file, int line, const char *fmt, ...)
{
    Error *e = xcalloc(1, sizeof *e);
    va_list ap;
    va_start(ap, fmt);
    e->message = xvasprintf(fmt, ap);
    va_end(ap);
    e->code = code;
    e->file = file;
    e->line = line;
    return e;
}

Error *error_detail(Error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    free(err->detail);
    err->detail = s;
    return err;
}

Error *error_hint(Error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    free(err->hint);
    err->hint = s;
    return err;
}

Error *error_prefix(Error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = xvasprintf(fmt, ap);
    va_end(ap);
    char *m = xasprintf("%s: %s", p, err->message);
    free(p);
    free(err->message);
    err->message = m;
    return err;
}

void error_print(const Error *err, const char *program, FILE *f)
{
    if (!err)
        return;
    fprintf(f, "%s: error: %s\n", program, err->message);
    if (err->detail && *err->detail)
        fprintf(f, "DETAIL:  %s\n", err->detail);
    if (err->hint && *err->hint)
        fprintf(f, "HINT:  %s\n", err->hint);
}

void error_free(Error *err)
{
    if (!err)
        return;
    free(err->message);
    free(err->detail);
    free(err->hint);
    free(err);
}
