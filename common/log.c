/* Log lines to stderr and to the log file, one mutex around both so that
 * lines from the leader and the workers never interleave. */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "util.h"

static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;
static const char *log_program = "gpbackup";
static LogLevel console_level = LOG_INFO;
static FILE *log_file;
static char *log_path;
static int warnings;
static int progress_drawn;
static _Thread_local int process_id;

static const char *const level_names[] = {"ERROR", "WARNING", "INFO", "VERBOSE", "DEBUG"};

Error *log_init(const char *program, LogLevel level, const char *logfile)
{
    log_program = program;
    console_level = level;
    if (logfile) {
        int fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd < 0)
            return ERROR_NEW(ERR_IO, "could not open log file \"%s\": %m", logfile);
        log_file = fdopen(fd, "a");
        if (!log_file) {
            close(fd);
            return ERROR_NEW(ERR_IO, "could not open log file \"%s\": %m", logfile);
        }
        log_path = xstrdup(logfile);
    }
    return NULL;
}

void log_set_process(int id)
{
    process_id = id;
}

void log_progress(const char *line)
{
    pthread_mutex_lock(&log_mutex);
    fprintf(stderr, "\r\033[K%s", line);
    fflush(stderr);
    progress_drawn = 1;
    pthread_mutex_unlock(&log_mutex);
}

static void clear_progress_locked(void)
{
    if (progress_drawn) {
        fputs("\r\033[K", stderr);
        progress_drawn = 0;
    }
}

void log_progress_clear(void)
{
    pthread_mutex_lock(&log_mutex);
    clear_progress_locked();
    pthread_mutex_unlock(&log_mutex);
}

LogLevel log_console_level(void)
{
    return console_level;
}

const char *log_file_path(void)
{
    return log_path;
}

static void log_line(LogLevel level, const char *text)
{
    char stamp[32];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(stamp + n, sizeof stamp - n, ".%03ld", ts.tv_nsec / 1000000);

    pthread_mutex_lock(&log_mutex);
    if (level == LOG_WARNING)
        warnings++;
    if (level <= console_level) {
        clear_progress_locked();
        fprintf(stderr, "%s %s P%02d %s: %s\n", stamp, log_program, process_id, level_names[level],
                text);
    }
    if (log_file && level <= (console_level > LOG_INFO ? console_level : LOG_INFO)) {
        fprintf(log_file, "%s %s[%d] P%02d %s: %s\n", stamp, log_program, (int)getpid(),
                process_id, level_names[level], text);
        fflush(log_file);
    }
    pthread_mutex_unlock(&log_mutex);
}

void log_msg(LogLevel level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    log_line(level, s);
    free(s);
}

void log_error(LogLevel level, const Error *err)
{
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, err->message);
    if (err->detail && *err->detail)
        sb_printf(&sb, "\nDETAIL:  %s", err->detail);
    if (err->hint && *err->hint)
        sb_printf(&sb, "\nHINT:  %s", err->hint);
    log_line(level, sb.data);
    sb_free(&sb);
}

int log_warning_count(void)
{
    pthread_mutex_lock(&log_mutex);
    int n = warnings;
    pthread_mutex_unlock(&log_mutex);
    return n;
}

void log_close(void)
{
    pthread_mutex_lock(&log_mutex);
    if (log_file)
        fclose(log_file);
    log_file = NULL;
    free(log_path);
    log_path = NULL;
    pthread_mutex_unlock(&log_mutex);
}
