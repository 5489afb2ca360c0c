/* gpbackup: parse options, run the backup, map the outcome to an exit code. */
#include <stdio.h>
#include <stdlib.h>

#include "backup.h"
#include "log.h"
#include "options.h"
#include "signals.h"

int main(int argc, char **argv)
{
    BackupOptions opts;
    Error *e = backup_options_parse(argc, argv, &opts);
    if (e) {
        error_print(e, "gpbackup", stderr);
        error_free(e);
        backup_options_free(&opts);
        return EXIT_FAILED;
    }
    if (opts.help) {
        fputs(backup_usage(), stdout);
        backup_options_free(&opts);
        return EXIT_SUCCESS_CODE;
    }
    if (opts.version) {
        printf("gpbackup version %s\n", GPB_VERSION);
        backup_options_free(&opts);
        return EXIT_SUCCESS_CODE;
    }
    log_init("gpbackup", opts.log_level, NULL);
    signals_start();
    char *cmdline = options_command_line(argc, argv);
    char *timestamp = NULL;
    e = backup_run(&opts, cmdline, &timestamp);
    int code = EXIT_SUCCESS_CODE;
    if (e) {
        log_error(LOG_ERROR, e);
        if (timestamp)
            log_info("backup %s failed", timestamp);
        else
            log_info("backup failed"); /* before a timestamp was taken */
        code = EXIT_FAILED;
    } else if (log_warning_count() > 0) {
        log_info("backup %s finished with %d warning%s", timestamp, log_warning_count(),
                 log_warning_count() == 1 ? "" : "s");
        code = EXIT_WARNINGS;
    }
    error_free(e);
    free(timestamp);
    free(cmdline);
    backup_options_free(&opts);
    log_close();
    return code;
}
