/* Progress display. The terminal line is redrawn at most five times a
 * second; without a terminal (or with --quiet) a log line is written every
 * ten seconds instead, so logs of long runs show life without noise. */
#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

struct Progress {
    const char *what;
    int total_items;
    uint64_t total_work;
    double start;
    double last_draw;
    int tty;
    int items;
    uint64_t work;
    uint64_t bytes;
    bool show_bytes;
};

Progress *progress_new(const char *what, int total_items, uint64_t total_work, bool show_bytes)
{
    Progress *p = xcalloc(1, sizeof *p);
    p->show_bytes = show_bytes;
    p->what = what;
    p->total_items = total_items;
    p->total_work = total_work;
    p->start = p->last_draw = now_monotonic();
    p->tty = isatty(STDERR_FILENO) && log_console_level() >= LOG_INFO &&
             log_console_level() < LOG_DEBUG;
    return p;
}

static void describe(Progress *p, char *buf, size_t n, double now)
{
    char b1[32], b2[32], eta[32] = "";
    double elapsed = now - p->start;
    double rate = elapsed > 0 ? (double)p->bytes / elapsed : 0;
    if (p->total_work && p->work > 0 && p->work < p->total_work && elapsed > 1) {
        double remain = elapsed * (double)(p->total_work - p->work) / (double)p->work;
        char d[32];
        snprintf(eta, sizeof eta, ", ETA %s", format_duration(remain, d, sizeof d));
    }
    if (p->show_bytes)
        snprintf(buf, n, "%s: %d/%d, %s, %s/s%s", p->what, p->items, p->total_items,
                 format_bytes(p->bytes, b1, sizeof b1), format_bytes((uint64_t)rate, b2, sizeof b2),
                 eta);
    else
        snprintf(buf, n, "%s: %d/%d%s", p->what, p->items, p->total_items, eta);
}

void progress_update(Progress *p, int items, uint64_t work, uint64_t bytes)
{
    if (!p)
        return;
    p->items = items;
    p->work = work;
    p->bytes = bytes;
    double now = now_monotonic();
    char line[256];
    if (p->tty) {
        if (now - p->last_draw < 0.2)
            return;
        p->last_draw = now;
        describe(p, line, sizeof line, now);
        log_progress(line);
    } else if (now - p->last_draw >= 10.0) {
        p->last_draw = now;
        describe(p, line, sizeof line, now);
        log_info("%s", line);
    }
}

void progress_finish(Progress *p)
{
    if (!p)
        return;
    log_progress_clear();
    char line[256];
    double now = now_monotonic();
    describe(p, line, sizeof line, now);
    char d[32];
    log_verbose("%s in %s", line, format_duration(now - p->start, d, sizeof d));
    free(p);
}
