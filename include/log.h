/* Logging: every line says when, which process (P00 = leader, P01.. =
 * workers) and at what level. Lines go to stderr (filtered by the console
 * level) and to a log file (at least INFO). Thread safe. */
#ifndef GPB_LOG_H
#define GPB_LOG_H

#include "error.h"

typedef enum LogLevel { LOG_ERROR = 0, LOG_WARNING, LOG_INFO, LOG_VERBOSE, LOG_DEBUG } LogLevel;

/* Start logging for program at console level; opens (appends) logfile when
 * not NULL. Returns an error when the log file cannot be opened. */
Error *log_init(const char *program, LogLevel console_level, const char *logfile);

/* Set the process number of the calling thread (0 = leader). */
void log_set_process(int id);

void log_msg(LogLevel level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_verbose(...) log_msg(LOG_VERBOSE, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* Log err (message, detail, hint) at ERROR or WARNING level. */
void log_error(LogLevel level, const Error *err);

/* Number of warnings logged so far. */
int log_warning_count(void);

/* Console level currently in force. */
LogLevel log_console_level(void);

/* Draw a progress line on stderr (terminal only), replacing the previous
 * one; any log line written later clears it first. */
void log_progress(const char *line);
/* Remove the progress line, if one is drawn. */
void log_progress_clear(void);

/* Path of the log file, or NULL. */
const char *log_file_path(void);

void log_close(void);

#endif
