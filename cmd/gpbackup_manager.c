/* gpbackup_manager: parse options, run the command, map the outcome to an
 * exit code. */
#include <stdio.h>
#include <stdlib.h>

#include "manager.h"
#include "options.h"

int main(int argc, char **argv)
{
    ManagerOptions opts;
    Error *e = manager_options_parse(argc, argv, &opts);
    if (e) {
        error_print(e, "gpbackup_manager", stderr);
        error_free(e);
        manager_options_free(&opts);
        return EXIT_FAILED;
    }
    if (opts.help) {
        fputs(manager_usage(), stdout);
        manager_options_free(&opts);
        return EXIT_SUCCESS_CODE;
    }
    if (opts.version) {
        printf("gpbackup_manager version %s\n", GPB_VERSION);
        manager_options_free(&opts);
        return EXIT_SUCCESS_CODE;
    }
    int code = EXIT_SUCCESS_CODE;
    e = manager_run(&opts, &code);
    if (e) {
        error_print(e, "gpbackup_manager", stderr);
        code = EXIT_FAILED;
    }
    error_free(e);
    manager_options_free(&opts);
    return code;
}
