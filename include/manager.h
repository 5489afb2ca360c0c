/* gpbackup_manager: list, show, verify and delete the backup sets under a
 * --backup-dir (restore/manager.c). It reads and removes files only and
 * never connects to a server. Documented in docs/gpbackup_manager.md. */
#ifndef GPB_MANAGER_H
#define GPB_MANAGER_H

#include <stdbool.h>

#include "error.h"

typedef enum ManagerCommand {
    MANAGER_NONE = 0,          /* only --help or --version */
    MANAGER_LIST_BACKUPS,
    MANAGER_DISPLAY_REPORT,
    MANAGER_VERIFY,
    MANAGER_DELETE_BACKUP
} ManagerCommand;

typedef struct ManagerOptions {
    ManagerCommand command;
    char *backup_dir;          /* absolute; the default location when not given */
    char *timestamp;           /* 14 digits; NULL for list-backups */
    bool json;                 /* list-backups, verify */
    bool yes;                  /* delete-backup */
    bool help;
    bool version;
} ManagerOptions;

/* Parse argv ("gpbackup_manager COMMAND [TIMESTAMP] [OPTION]..."). A usage
 * error is ERR_USAGE with a hint pointing to --help. The caller frees *opts
 * with manager_options_free, on error too. */
Error *manager_options_parse(int argc, char **argv, ManagerOptions *opts);
void manager_options_free(ManagerOptions *opts);

/* The help text. */
const char *manager_usage(void);

/* Run the command, writing its output to stdout. *exit_code is 0, or 1 when
 * the command finished with a warning. A returned error (caller owns) means
 * exit 2; verify returns one when the set is not intact, after listing the
 * problems. */
Error *manager_run(const ManagerOptions *opts, int *exit_code);

#endif
