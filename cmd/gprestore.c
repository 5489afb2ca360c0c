/* gprestore: parse options, run the restore, map the outcome to an exit code. */
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "options.h"
#include "restore.h"
#include "signals.h"

int main(int argc, char **argv)
{
    RestoreOptions opts;
    Error *e = restore_options_parse(argc, argv, &opts);
    if (e) {
        error_print(e, "gprestore", stderr);
        error_free(e);
        restore_options_free(&opts);
        return EXIT_FAILED;
    }
    if (opts.help) {
        fputs(restore_usage(), stdout);
        restore_options_free(&opts);
        return EXIT_SUCCESS_CODE;
    }
    if (opts.version) {
        printf("gprestore version %s\n", GPB_VERSION);
        restore_options_free(&opts);
        return EXIT_SUCCESS_CODE;
    }
    log_init("gprestore", opts.log_level, NULL);
    signals_start();
    char *cmdline = options_command_line(argc, argv);
    e = restore_run(&opts, cmdline);
    int code = EXIT_SUCCESS_CODE;
    if (e) {
        log_error(LOG_ERROR, e);
        log_info("restore failed");
        code = EXIT_FAILED;
    } else if (log_warning_count() > 0) {
        code = EXIT_WARNINGS;
    }
    error_free(e);
    free(cmdline);
    restore_options_free(&opts);
    log_close();
    return code;
}
