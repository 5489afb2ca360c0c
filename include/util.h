/* Small helpers every module uses: checked allocation, string building and
 * string lists. Allocation failure aborts: there is no sane recovery. */
#ifndef GPB_UTIL_H
#define GPB_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);                 /* NULL stays NULL */
char *xstrndup(const char *s, size_t n);
/* s with every occurrence of from replaced by to; caller owns. */
char *str_replace_all(const char *s, const char *from, const char *to);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* A growable string; data is always NUL-terminated. */
typedef struct StrBuf {
    char *data;
    size_t len;
    size_t cap;
} StrBuf;

void sb_init(StrBuf *sb);
void sb_append(StrBuf *sb, const char *s);
void sb_append_len(StrBuf *sb, const char *s, size_t n);
void sb_printf(StrBuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_reset(StrBuf *sb);
char *sb_steal(StrBuf *sb);                   /* caller owns; sb is reset */
void sb_free(StrBuf *sb);

/* A list of owned strings. */
typedef struct StrList {
    char **items;
    size_t n;
    size_t cap;
} StrList;

void strlist_push(StrList *l, const char *s);  /* copies s */
bool strlist_contains(const StrList *l, const char *s);
void strlist_free(StrList *l);

/* Seconds since the epoch with microseconds, from CLOCK_MONOTONIC. */
double now_monotonic(void);

/* "1.5 GB", "12.0 kB", "512 bytes": human size into buf. Returns buf. */
char *format_bytes(uint64_t n, char *buf, size_t bufsize);

/* "1h02m03s", "4.2s": human duration into buf. Returns buf. */
char *format_duration(double seconds, char *buf, size_t bufsize);

#endif
