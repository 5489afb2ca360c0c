/* Checked allocation, growable strings, string lists, clocks and human
 * formatting of sizes and durations. */
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void out_of_memory(void)
{
    fputs("fatal: out of memory\n", stderr);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        out_of_memory();
    return q;
}

char *xstrdup(const char *s)
{
    if (!s)
        return NULL;
    char *p = strdup(s);
    if (!p)
        out_of_memory();
    return p;
}

char *xstrndup(const char *s, size_t n)
{
    char *p = strndup(s, n);
    if (!p)
        out_of_memory();
    return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
    char *p = NULL;
    if (vasprintf(&p, fmt, ap) < 0)
        out_of_memory();
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = xvasprintf(fmt, ap);
    va_end(ap);
    return p;
}

void sb_init(StrBuf *sb)
{
    sb->cap = 256;
    sb->len = 0;
    sb->data = xmalloc(sb->cap);
    sb->data[0] = '\0';
}

static void sb_reserve(StrBuf *sb, size_t extra)
{
    if (!sb->data)
        sb_init(sb);
    if (sb->len + extra + 1 <= sb->cap)
        return;
    while (sb->len + extra + 1 > sb->cap)
        sb->cap *= 2;
    sb->data = xrealloc(sb->data, sb->cap);
}

void sb_append_len(StrBuf *sb, const char *s, size_t n)
{
    sb_reserve(sb, n);
    memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

void sb_append(StrBuf *sb, const char *s)
{
    sb_append_len(sb, s, strlen(s));
}

void sb_printf(StrBuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    sb_append(sb, s);
    free(s);
}

void sb_reset(StrBuf *sb)
{
    if (!sb->data)
        sb_init(sb);
    sb->len = 0;
    sb->data[0] = '\0';
}

char *sb_steal(StrBuf *sb)
{
    if (!sb->data)
        sb_init(sb);
    char *p = sb->data;
    sb->data = NULL;
    sb->len = sb->cap = 0;
    return p;
}

void sb_free(StrBuf *sb)
{
    free(sb->data);
    sb->data = NULL;
    sb->len = sb->cap = 0;
}

void strlist_push(StrList *l, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->items = xrealloc(l->items, l->cap * sizeof(char *));
    }
    l->items[l->n++] = xstrdup(s);
}

bool strlist_contains(const StrList *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i], s) == 0)
            return true;
    return false;
}

void strlist_free(StrList *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}

double now_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *format_bytes(uint64_t n, char *buf, size_t bufsize)
{
    static const char *const units[] = {"bytes", "kB", "MB", "GB", "TB", "PB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1024.0 && u < 5) {
        v /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, bufsize, "%llu bytes", (unsigned long long)n);
    else
        snprintf(buf, bufsize, "%.1f %s", v, units[u]);
    return buf;
}

char *format_duration(double seconds, char *buf, size_t bufsize)
{
    if (seconds < 0)
        seconds = 0;
    if (seconds < 59.95) {
        snprintf(buf, bufsize, "%.1fs", seconds);
    } else {
        unsigned long s = (unsigned long)(seconds + 0.5);
        if (s >= 3600)
            snprintf(buf, bufsize, "%luh%02lum%02lus", s / 3600, (s / 60) % 60, s % 60);
        else
            snprintf(buf, bufsize, "%lum%02lus", s / 60, s % 60);
    }
    return buf;
}

char *str_replace_all(const char *s, const char *from, const char *to)
{
    StrBuf sb;
    sb_init(&sb);
    size_t flen = strlen(from);
    const char *p = s, *at;
    while (flen && (at = strstr(p, from)) != NULL) {
        sb_append_len(&sb, p, (size_t)(at - p));
        sb_append(&sb, to);
        p = at + flen;
    }
    sb_append(&sb, p);
    return sb.data;
}
