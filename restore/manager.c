/* gpbackup_manager's commands: list-backups, display-report, verify and
 * delete-backup over the sets under a --backup-dir, as a table or as JSON.
 * Everything shown comes from files that may be damaged or hostile, so text
 * output replaces control characters, JSON output escapes them, and delete
 * never follows a symbolic link or descends into a directory it did not
 * expect. */
#include "manager.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <readline/readline.h>

#include "backupset.h"
#include "checksum.h"
#include "cluster.h"
#include "codec.h"
#include "config.h"
#include "fileio.h"
#include "manifest.h"
#include "toc.h"
#include "options.h"
#include "util.h"

#define PROGRAM "gpbackup_manager"

/* As manifest_read: the largest manifest we agree to read. */
#define MANIFEST_MAX_READ ((size_t)256 << 20)
/* The completion marker holds two short lines. */
#define MARKER_MAX_READ ((size_t)4096)

/* ---- Options ------------------------------------------------------------ */

enum { OPT_BACKUP_DIR = 1000, OPT_JSON, OPT_YES, OPT_HELP, OPT_VERSION };

static const struct option long_options[] = {
    {"backup-dir", required_argument, NULL, OPT_BACKUP_DIR},
    {"json", no_argument, NULL, OPT_JSON},
    {"yes", no_argument, NULL, OPT_YES},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0}};

static const char usage_text[] =
    "gpbackup_manager lists, shows, verifies and deletes the backups made by gpbackup.\n"
    "\n"
    "Usage:\n"
    "  gpbackup_manager list-backups [--backup-dir DIR] [--json]\n"
    "  gpbackup_manager display-report TIMESTAMP [--backup-dir DIR]\n"
    "  gpbackup_manager verify TIMESTAMP [--backup-dir DIR] [--json]\n"
    "  gpbackup_manager delete-backup TIMESTAMP [--backup-dir DIR] [--yes]\n"
    "\n"
    "Commands:\n"
    "  list-backups               every backup under DIR: timestamp, database, status\n"
    "                             (complete, incomplete or failed), size and duration\n"
    "  display-report TIMESTAMP   print the report gpbackup wrote for the backup\n"
    "  verify TIMESTAMP           check every file of the backup against its manifest\n"
    "                             (size and checksum), and that the backup is complete\n"
    "  delete-backup TIMESTAMP    delete the backup's files and directory, after asking\n"
    "\n"
    "Options:\n"
    "  --backup-dir DIR           absolute directory given to gpbackup (default:\n"
    "                             $COORDINATOR_DATA_DIRECTORY, else $MASTER_DATA_DIRECTORY,\n"
    "                             else the current directory)\n"
    "  --json                     list-backups, verify: print a JSON document instead\n"
    "  --yes                      delete-backup: do not ask for confirmation (required\n"
    "                             when standard input is not a terminal)\n"
    "  --help                     show this help and exit\n"
    "  --version                  show the version and exit\n"
    "\n"
    "Exit status: 0 success (verify: the backup is intact), 1 finished with warnings,\n"
    "2 failed (verify: the backup is damaged, incomplete or failed).\n";

const char *manager_usage(void)
{
    return usage_text;
}

static Error *usage_error(Error *e)
{
    return error_hint(e, "try \"%s --help\" for more information", PROGRAM);
}

static const struct {
    const char *name;
    ManagerCommand command;
} commands[] = {
    {"list-backups", MANAGER_LIST_BACKUPS},
    {"display-report", MANAGER_DISPLAY_REPORT},
    {"verify", MANAGER_VERIFY},
    {"delete-backup", MANAGER_DELETE_BACKUP},
};

static const char *command_name(ManagerCommand c)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (commands[i].command == c)
            return commands[i].name;
    return "";
}

static Error *unknown_option(int argc, char **argv)
{
    const char *bad = (optind - 1 < argc && optind > 0) ? argv[optind - 1] : "?";
    Error *e;
    if (optopt && optopt < OPT_BACKUP_DIR)
        e = ERROR_NEW(ERR_USAGE, "invalid option -- '%c'", optopt);
    else if (optopt && strchr(bad, '='))
        e = ERROR_NEW(ERR_USAGE, "option \"%.*s\" takes no value", (int)(strchr(bad, '=') - bad), bad);
    else if (optopt)
        e = ERROR_NEW(ERR_USAGE, "option \"%s\" requires a value", bad);
    else
        e = ERROR_NEW(ERR_USAGE, "unrecognized option \"%s\"", bad);
    return usage_error(e);
}

/* The positional arguments: COMMAND [TIMESTAMP]. */
static Error *parse_positionals(int n, char **args, ManagerOptions *o)
{
    if (n == 0)
        return usage_error(error_detail(ERROR_NEW(ERR_USAGE, "no command given"),
                                        "the commands are list-backups, display-report, verify "
                                        "and delete-backup"));
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(args[0], commands[i].name) == 0)
            o->command = commands[i].command;
    if (o->command == MANAGER_NONE)
        return usage_error(error_detail(ERROR_NEW(ERR_USAGE, "unknown command \"%s\"", args[0]),
                                        "the commands are list-backups, display-report, verify "
                                        "and delete-backup"));
    int want = o->command == MANAGER_LIST_BACKUPS ? 1 : 2;
    if (n > want)
        return usage_error(ERROR_NEW(ERR_USAGE, "unexpected argument \"%s\"", args[want]));
    if (want == 1)
        return NULL;
    if (n < 2)
        return usage_error(ERROR_NEW(ERR_USAGE, "command %s needs the timestamp of a backup",
                                     args[0]));
    if (!backupset_valid_timestamp(args[1]))
        return usage_error(error_detail(ERROR_NEW(ERR_USAGE, "invalid timestamp \"%s\"", args[1]),
                                        "a timestamp has 14 digits: YYYYMMDDHHMMSS"));
    o->timestamp = xstrdup(args[1]);
    return NULL;
}

Error *manager_options_parse(int argc, char **argv, ManagerOptions *o)
{
    memset(o, 0, sizeof *o);
    optind = 1;
    opterr = 0;
    int opt;
    while ((opt = getopt_long_only(argc, argv, ":", long_options, NULL)) != -1) {
        switch (opt) {
        case OPT_BACKUP_DIR:
            if (optarg[0] != '/')
                return usage_error(ERROR_NEW(ERR_USAGE, "option --backup-dir must be an absolute path: \"%s\"",
                                             optarg));
            free(o->backup_dir);
            o->backup_dir = xstrdup(optarg);
            break;
        case OPT_JSON:
            o->json = true;
            break;
        case OPT_YES:
            o->yes = true;
            break;
        case OPT_HELP:
            o->help = true;
            break;
        case OPT_VERSION:
            o->version = true;
            break;
        default:
            return unknown_option(argc, argv);
        }
    }
    if (o->help || o->version)
        return NULL;
    /* getopt has moved the positional arguments to the end. */
    Error *e = parse_positionals(argc - optind, argv + optind, o);
    if (e)
        return e;
    if (o->json && o->command != MANAGER_LIST_BACKUPS && o->command != MANAGER_VERIFY)
        return usage_error(ERROR_NEW(ERR_USAGE, "option --json cannot be used with %s",
                                     command_name(o->command)));
    if (o->yes && o->command != MANAGER_DELETE_BACKUP)
        return usage_error(ERROR_NEW(ERR_USAGE, "option --yes can only be used with delete-backup"));
    if (!o->backup_dir)
        o->backup_dir = options_default_backup_dir();
    return NULL;
}

void manager_options_free(ManagerOptions *o)
{
    free(o->backup_dir);
    free(o->timestamp);
    memset(o, 0, sizeof *o);
}

/* ---- Output helpers ----------------------------------------------------- */

/* Everything goes out through stdout; a full disk or a closed pipe must not
 * pass for success. */
static Error *write_stdout(const char *data, size_t len)
{
    if (len > 0 && fwrite(data, 1, len, stdout) != len) {
        char ebuf[256];
        return ERROR_NEW(ERR_IO, "could not write to standard output: %s",
                         strerror_r(errno, ebuf, sizeof ebuf));
    }
    return NULL;
}

static Error *flush_stdout(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        char ebuf[256];
        return ERROR_NEW(ERR_IO, "could not write to standard output: %s",
                         strerror_r(errno, ebuf, sizeof ebuf));
    }
    return NULL;
}

/* Text for a terminal or a line-oriented reader: control characters, which
 * could move the cursor or forge lines, become "?". */
static void sb_append_printable(StrBuf *sb, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char c = (*p < 0x20 || *p == 0x7f) ? '?' : (char)*p;
        sb_append_len(sb, &c, 1);
    }
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0 when it is not one:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_sequence(const unsigned char *p)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

/* Display width of s in a table, counting code points (close enough: the
 * names are mostly ASCII, and a misaligned column is harmless). */
static size_t display_width(const char *s)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80)
            w++;
    return w;
}

/* A JSON string: quotes, backslashes and control characters escaped,
 * non-ASCII kept as UTF-8. Bytes that are not UTF-8 (a database name in
 * LATIN1, a hostile file name) become U+FFFD, so the document always parses. */
static void json_str(StrBuf *sb, const char *s)
{
    sb_append(sb, "\"");
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned char c = *p;
        switch (c) {
        case '"':
            sb_append(sb, "\\\"");
            break;
        case '\\':
            sb_append(sb, "\\\\");
            break;
        case '\b':
            sb_append(sb, "\\b");
            break;
        case '\f':
            sb_append(sb, "\\f");
            break;
        case '\n':
            sb_append(sb, "\\n");
            break;
        case '\r':
            sb_append(sb, "\\r");
            break;
        case '\t':
            sb_append(sb, "\\t");
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                sb_printf(sb, "\\u%04x", c);
            } else {
                size_t n = utf8_sequence(p);
                if (n == 0) {
                    sb_append(sb, "\\ufffd");
                } else {
                    sb_append_len(sb, (const char *)p, n);
                    p += n;
                    continue;
                }
            }
        }
        p++;
    }
    sb_append(sb, "\"");
}

/* ---- Finding a set ------------------------------------------------------ */

static Error *check_backup_dir(const char *backup_dir)
{
    struct stat st;
    if (stat(backup_dir, &st) != 0) {
        char ebuf[256];
        int e = errno;
        Error *err = ERROR_NEW(e == ENOENT ? ERR_NOT_FOUND : ERR_IO,
                               "could not open backup directory \"%s\": %s", backup_dir,
                               strerror_r(e, ebuf, sizeof ebuf));
        return error_hint(err, "give --backup-dir as it was given to gpbackup");
    }
    if (!S_ISDIR(st.st_mode))
        return error_hint(ERROR_NEW(ERR_NOT_FOUND, "backup directory \"%s\" is not a directory",
                                    backup_dir),
                          "give --backup-dir as it was given to gpbackup");
    return NULL;
}

/* The set directory of opts->timestamp, which must be a directory itself
 * (not a symbolic link to one). Caller owns *set_dir. */
static Error *open_set(const ManagerOptions *o, char **set_dir)
{
    *set_dir = NULL;
    Error *e = check_backup_dir(o->backup_dir);
    if (e)
        return e;
    char *root = backupset_root(o->backup_dir);
    char *dir = backupset_dir(root, o->timestamp);
    free(root);
    struct stat st;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        e = ERROR_NEW(ERR_NOT_FOUND, "backup %s not found in \"%s\"", o->timestamp, o->backup_dir);
        if (lstat(dir, &st) != 0)
            error_detail(e, "directory \"%s\" does not exist", dir);
        else
            error_detail(e, "\"%s\" is not a directory", dir);
        free(dir);
        return error_hint(e, "check the timestamp, and give --backup-dir as it was given to "
                             "gpbackup; list-backups shows the backups there");
    }
    *set_dir = dir;
    return NULL;
}

static char *set_file_name(const char *timestamp, const char *suffix)
{
    return xasprintf("gpbackup_%s_%s", timestamp, suffix);
}

/* ---- list-backups ------------------------------------------------------- */

static void format_set_duration(const BackupSetInfo *s, char *buf, size_t size)
{
    /* Start and end times have whole seconds: "4s", not "4.0s". */
    if (s->duration < 0)
        snprintf(buf, size, "-");
    else if (s->duration < 59.5)
        snprintf(buf, size, "%.0fs", s->duration);
    else
        format_duration(s->duration, buf, size);
}

static void list_as_json(const BackupSetInfo *sets, size_t n, StrBuf *out)
{
    sb_append(out, "{\n  \"backups\": [");
    for (size_t i = 0; i < n; i++) {
        const BackupSetInfo *s = &sets[i];
        sb_append(out, i ? ",\n    {" : "\n    {");
        sb_append(out, "\"timestamp\": ");
        json_str(out, s->timestamp);
        sb_append(out, ", \"database\": ");
        json_str(out, s->database);
        sb_append(out, ", \"status\": ");
        json_str(out, backupset_status_name(s->status));
        sb_append(out, ", \"reason\": ");
        if (s->reason)
            json_str(out, s->reason);
        else
            sb_append(out, "null");
        sb_printf(out, ", \"size_bytes\": %" PRIu64, s->size);
        if (s->duration < 0)
            sb_append(out, ", \"duration_seconds\": null");
        else
            sb_printf(out, ", \"duration_seconds\": %.0f", s->duration);
        sb_append(out, ", \"directory\": ");
        json_str(out, s->dir);
        sb_append(out, "}");
    }
    sb_append(out, n ? "\n  ]\n}\n" : "]\n}\n");
}

/* One cell of a text table. */
static void append_cell(StrBuf *out, const char *text, size_t width, bool last)
{
    sb_append(out, text);
    if (last)
        return;
    for (size_t w = display_width(text); w < width + 2; w++)
        sb_append(out, " ");
}

enum { COL_TIMESTAMP, COL_DATABASE, COL_STATUS, COL_SIZE, COL_DURATION, COL_REASON, NCOLS };

static void list_as_table(const BackupSetInfo *sets, size_t n, const char *backup_dir,
                          StrBuf *out)
{
    if (n == 0) {
        sb_append(out, "no backups in \"");
        sb_append_printable(out, backup_dir);
        sb_append(out, "\"\n");
        return;
    }
    static const char *const headers[NCOLS] = {"TIMESTAMP", "DATABASE", "STATUS", "SIZE",
                                               "DURATION", "REASON"};
    char **cells = xcalloc(n * NCOLS, sizeof *cells);
    size_t width[NCOLS];
    for (int c = 0; c < NCOLS; c++)
        width[c] = strlen(headers[c]);
    for (size_t i = 0; i < n; i++) {
        const BackupSetInfo *s = &sets[i];
        char buf[64];
        StrBuf sb;
        sb_init(&sb);
        sb_append_printable(&sb, s->timestamp);
        cells[i * NCOLS + COL_TIMESTAMP] = sb_steal(&sb);
        sb_append_printable(&sb, *s->database ? s->database : "?");
        cells[i * NCOLS + COL_DATABASE] = sb_steal(&sb);
        cells[i * NCOLS + COL_STATUS] = xstrdup(backupset_status_name(s->status));
        cells[i * NCOLS + COL_SIZE] = xstrdup(format_bytes(s->size, buf, sizeof buf));
        format_set_duration(s, buf, sizeof buf);
        cells[i * NCOLS + COL_DURATION] = xstrdup(buf);
        sb_append_printable(&sb, s->reason ? s->reason : "");
        cells[i * NCOLS + COL_REASON] = sb_steal(&sb);
        sb_free(&sb);
        for (int c = 0; c < NCOLS; c++) {
            size_t w = display_width(cells[i * NCOLS + c]);
            if (w > width[c])
                width[c] = w;
        }
    }
    for (int c = 0; c < NCOLS; c++)
        append_cell(out, headers[c], width[c], c == NCOLS - 1);
    sb_append(out, "\n");
    for (size_t i = 0; i < n; i++) {
        /* No trailing blanks on the lines of complete sets. */
        int last = sets[i].reason ? NCOLS - 1 : COL_DURATION;
        for (int c = 0; c <= last; c++)
            append_cell(out, cells[i * NCOLS + c], width[c], c == last);
        sb_append(out, "\n");
    }
    for (size_t i = 0; i < n * NCOLS; i++)
        free(cells[i]);
    free(cells);
}

static Error *cmd_list_backups(const ManagerOptions *o)
{
    Error *e = check_backup_dir(o->backup_dir);
    if (e)
        return e;
    BackupSetInfo *sets;
    size_t n;
    char *root = backupset_root(o->backup_dir);
    e = backupset_list(root, &sets, &n);
    free(root);
    if (e)
        return e;
    StrBuf out;
    sb_init(&out);
    if (o->json)
        list_as_json(sets, n, &out);
    else
        list_as_table(sets, n, o->backup_dir, &out);
    backupset_list_free(sets, n);
    e = write_stdout(out.data, out.len);
    sb_free(&out);
    return e;
}

/* ---- display-report ----------------------------------------------------- */

static Error *cmd_display_report(const ManagerOptions *o)
{
    char *set_dir;
    Error *e = open_set(o, &set_dir);
    if (e)
        return e;
    char *path = backupset_file(set_dir, o->timestamp, "report");
    FILE *f = fopen(path, "rb");
    if (!f) {
        char ebuf[256];
        int errnum = errno;
        e = ERROR_NEW(errnum == ENOENT ? ERR_NOT_FOUND : ERR_IO, "could not open the report of backup %s: %s",
                      o->timestamp, strerror_r(errnum, ebuf, sizeof ebuf));
        error_detail(e, "file \"%s\"", path);
        char *reason = NULL;
        BackupSetStatus st = backupset_status(set_dir, o->timestamp, &reason);
        /* An unfinished backup has no report yet; say so. */
        if (st != SET_COMPLETE && errnum == ENOENT)
            error_hint(e, "the backup is %s: %s", backupset_status_name(st), reason ? reason : "");
        free(reason);
        free(path);
        free(set_dir);
        return e;
    }
    /* On a terminal the report's control characters (it quotes names from
     * the database) could move the cursor; piped, it is copied byte for byte. */
    bool tty = isatty(STDOUT_FILENO);
    char buf[65536];
    size_t n;
    while (!e && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (tty)
            for (size_t i = 0; i < n; i++)
                if (((unsigned char)buf[i] < 0x20 && buf[i] != '\n' && buf[i] != '\t') || buf[i] == 0x7f)
                    buf[i] = '?';
        e = write_stdout(buf, n);
    }
    if (!e && ferror(f)) {
        char ebuf[256];
        e = ERROR_NEW(ERR_IO, "could not read file \"%s\": %s", path, strerror_r(errno, ebuf, sizeof ebuf));
    }
    fclose(f);
    free(path);
    free(set_dir);
    return e;
}

/* ---- verify ------------------------------------------------------------- */

typedef struct Problem {
    char *file;
    char *what;
} Problem;

typedef struct Problems {
    Problem *items;
    size_t n, cap;
} Problems;

static void problems_add(Problems *p, const char *file, const char *what)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 8;
        p->items = xrealloc(p->items, p->cap * sizeof *p->items);
    }
    p->items[p->n].file = xstrdup(file);
    p->items[p->n].what = xstrdup(what);
    p->n++;
}

static void problems_free(Problems *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->items[i].file);
        free(p->items[i].what);
    }
    free(p->items);
}

/* An error as one line: message, then detail. */
static char *error_line(const Error *e)
{
    if (e->detail && *e->detail)
        return xasprintf("%s (%s)", e->message, e->detail);
    return xstrdup(e->message);
}

/* gprestore writes gprestore_<TS>_<RTS>_report and, with
 * --on-error-continue, gprestore_<TS>_<RTS>_error_tables_{metadata,data}
 * into the set; they are not part of the backup. So are the temporary names
 * a gprestore still running (or killed) has them under. */
static bool is_restore_output(const char *name, const char *timestamp)
{
    char *prefix = xasprintf("gprestore_%s_", timestamp);
    size_t plen = strlen(prefix);
    bool match = strncmp(name, prefix, plen) == 0;
    free(prefix);
    if (!match)
        return false;
    const char *p = name + plen;
    for (int i = 0; i < 14; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    p += 14;
    /* A failed server-side or segment load: gpbackup_helper's error file
     * (and its temporary name). */
    if (strncmp(p, "_helper_", 8) == 0)
        return true;
    static const char *const kinds[] = {"_report", "_error_tables_metadata", "_error_tables_data"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t klen = strlen(kinds[i]);
        if (strncmp(p, kinds[i], klen) == 0 && (p[klen] == '\0' || strcmp(p + klen, ".tmp") == 0))
            return true;
    }
    return false;
}

/* gpbackup_<content>_<TS>_<oid>... with content 0 or more: a segment's
 * data file or sidecar. */
static bool is_segment_file(const char *name, const char *timestamp)
{
    if (strncmp(name, "gpbackup_", 9) != 0 || name[9] < '0' || name[9] > '9')
        return false;
    const char *p = name + 9;
    while (*p >= '0' && *p <= '9')
        p++;
    size_t tl = strlen(timestamp);
    return *p == '_' && strncmp(p + 1, timestamp, tl) == 0 && p[1 + tl] == '_' &&
           p[2 + tl] >= '0' && p[2 + tl] <= '9';
}

/* The names verify accepts besides those in the manifest. */
static Error *allowed_extra_names(const char *set_dir, const char *timestamp, StrList *out)
{
    char *name = set_file_name(timestamp, "manifest.yaml");
    strlist_push(out, name);
    free(name);
    name = set_file_name(timestamp, "complete");
    strlist_push(out, name);
    free(name);
    DIR *dh = opendir(set_dir);
    if (!dh) {
        char ebuf[256];
        return ERROR_NEW(ERR_IO, "could not open directory \"%s\": %s", set_dir,
                         strerror_r(errno, ebuf, sizeof ebuf));
    }
    /* An MPP set made with --single-backup-dir: the segments' files (content
     * 0 and up) and their sidecars share this directory; they are checked
     * against the TOC, not the manifest (check_segment_files). */
    bool single_mpp = false;
    BackupConfig *cfg = NULL;
    char *cpath = backupset_file(set_dir, timestamp, "config.yaml");
    Error *ce = config_read(cpath, &cfg);
    free(cpath);
    if (!ce)
        single_mpp = strcmp(cfg->datapath, "segments") == 0 && strcmp(cfg->segmentdirs, "single") == 0;
    error_free(ce);
    config_free(cfg);
    struct dirent *de;
    while ((de = readdir(dh)) != NULL)
        if (is_restore_output(de->d_name, timestamp) ||
            (single_mpp && is_segment_file(de->d_name, timestamp)))
            strlist_push(out, de->d_name);
    closedir(dh);
    return NULL;
}

/* The marker records the checksum of the manifest it completed ("manifest
 * <hex>" line). A manifest rewritten since, self checksum and all, would
 * pass every other check. */
static void check_marker(const char *set_dir, const char *timestamp, Problems *problems)
{
    char *marker = backupset_file(set_dir, timestamp, "complete");
    char *text = NULL;
    size_t len = 0;
    Error *e = file_read_all(marker, MARKER_MAX_READ, &text, &len);
    free(marker);
    if (e) {
        error_free(e);
        return;             /* a missing marker is reported by the status check */
    }
    const char *line = text;
    char recorded[CHECKSUM_HEX_LEN + 1] = "";
    while (line < text + len) {
        const char *end = memchr(line, '\n', (size_t)(text + len - line));
        size_t n = end ? (size_t)(end - line) : (size_t)(text + len - line);
        if (n == 9 + CHECKSUM_HEX_LEN && strncmp(line, "manifest ", 9) == 0) {
            memcpy(recorded, line + 9, CHECKSUM_HEX_LEN);
            recorded[CHECKSUM_HEX_LEN] = '\0';
        }
        line += n + 1;
    }
    free(text);
    if (!checksum_valid_hex(recorded))
        return;             /* a marker without the line: nothing to compare */
    char *path = backupset_file(set_dir, timestamp, "manifest.yaml");
    char actual[CHECKSUM_HEX_LEN + 1];
    e = checksum_file(path, actual, NULL);
    free(path);
    char *name = set_file_name(timestamp, "manifest.yaml");
    if (e) {
        error_free(e);
    } else if (strcmp(actual, recorded) != 0) {
        problems_add(problems, name, "checksum differs from the one recorded in the completion marker");
    }
    free(name);
}

/* The set's manifest, or NULL after adding the problem that prevents
 * reading it. */
static Manifest *load_manifest(const char *set_dir, const char *name, Problems *problems)
{
    char *path = path_join(set_dir, name);
    struct stat st;
    Manifest *m = NULL;
    if (lstat(path, &st) != 0) {
        char ebuf[256];
        int errnum = errno;
        char *what = errnum == ENOENT ? xstrdup("missing: the backup has no manifest")
                                      : xasprintf("unreadable (%s)", strerror_r(errnum, ebuf, sizeof ebuf));
        problems_add(problems, name, what);
        free(what);
    } else if (!S_ISREG(st.st_mode)) {
        problems_add(problems, name, "not a regular file");
    } else {
        char *text;
        size_t len;
        Error *e = file_read_all(path, MANIFEST_MAX_READ, &text, &len);
        if (!e) {
            e = manifest_from_text(text, len, &m);
            free(text);
        }
        if (e) {
            char *line = error_line(e);
            problems_add(problems, name, line);
            free(line);
            error_free(e);
        }
    }
    free(path);
    return m;
}

/* Where "<name>: <what>" splits: the last ": ", because <what> never holds
 * one and a hostile file name might. */
static char *last_separator(char *line)
{
    char *sep = NULL;
    for (char *p = strstr(line, ": "); p; p = strstr(p + 1, ": "))
        sep = p;
    return sep;
}

/* Read the manifest and compare the set directory with it; *nfiles is the
 * number of files it lists. Returns an error only when the directory cannot
 * be read. */
static Error *check_manifest(const char *set_dir, const char *timestamp, Problems *problems,
                             size_t *nfiles)
{
    *nfiles = 0;
    char *name = set_file_name(timestamp, "manifest.yaml");
    Manifest *m = load_manifest(set_dir, name, problems);
    free(name);
    if (!m)
        return NULL;
    *nfiles = m->n;
    StrList allowed = {0}, found = {0};
    Error *e = allowed_extra_names(set_dir, timestamp, &allowed);
    if (!e)
        e = manifest_verify_dir(m, set_dir, &allowed, &found);
    for (size_t i = 0; i < found.n && !e; i++) {
        char *sep = last_separator(found.items[i]);
        if (sep) {
            *sep = '\0';
            problems_add(problems, found.items[i], sep + 2);
        } else {
            problems_add(problems, "", found.items[i]);
        }
    }
    strlist_free(&allowed);
    strlist_free(&found);
    manifest_free(m);
    if (!e)
        check_marker(set_dir, timestamp, problems);
    return e;
}

static void verify_as_json(const char *timestamp, const char *set_dir, const Problems *p,
                           StrBuf *out)
{
    sb_append(out, "{\n  \"timestamp\": ");
    json_str(out, timestamp);
    sb_append(out, ",\n  \"directory\": ");
    json_str(out, set_dir);
    sb_append(out, ",\n  \"status\": ");
    sb_append(out, p->n ? "\"failed\"" : "\"ok\"");
    sb_append(out, ",\n  \"problems\": [");
    for (size_t i = 0; i < p->n; i++) {
        sb_append(out, i ? ",\n    {\"file\": " : "\n    {\"file\": ");
        json_str(out, p->items[i].file);
        sb_append(out, ", \"problem\": ");
        json_str(out, p->items[i].what);
        sb_append(out, "}");
    }
    sb_append(out, p->n ? "\n  ]\n}\n" : "]\n}\n");
}

/* An MPP set: the segments' files, when they are under --backup-dir (the
 * "prefixed" and "single" layouts), against the sizes and checksums of the
 * TOC's segment entries. With the "datadir" layout they are on the
 * segments' hosts: said on stderr, not checked. Called once the manifest
 * has vouched for the config and the TOC. */
static Error *check_segment_files(const ManagerOptions *o, const char *set_dir,
                                  Problems *problems, size_t *nfiles)
{
    BackupConfig *cfg = NULL;
    char *path = backupset_file(set_dir, o->timestamp, "config.yaml");
    Error *e = config_read(path, &cfg);
    free(path);
    if (e || strcmp(cfg->datapath, "segments") != 0) {
        config_free(cfg);
        return e;
    }
    if (strcmp(cfg->segmentdirs, "datadir") == 0) {
        fprintf(stderr, "note: the segments' data files of backup %s are in the segments' data "
                        "directories and were not checked\n",
                o->timestamp);
        config_free(cfg);
        return NULL;
    }
    CodecType codec;
    Toc *toc = NULL;
    e = codec_parse(cfg->compressiontype, &codec);
    if (!e) {
        path = backupset_file(set_dir, o->timestamp, "toc.yaml");
        e = toc_read(path, &toc);
        free(path);
    }
    for (size_t i = 0; !e && i < toc->ndata; i++) {
        const TocDataEntry *d = &toc->data[i];
        for (size_t k = 0; k < d->nsegments; k++) {
            const TocSegmentFile *sf = &d->segments[k];
            char *file = cluster_segment_file_under(o->backup_dir, cfg->segmentdirs,
                                                    cfg->segmentdirprefix, sf->content,
                                                    o->timestamp, d->oid, codec);
            char *what = manifest_file_problem(file, sf->filebytes, sf->checksum);
            if (what)
                problems_add(problems, file, what);
            else
                (*nfiles)++;
            free(what);
            free(file);
        }
    }
    toc_free(toc);
    config_free(cfg);
    return e;
}

static Error *cmd_verify(const ManagerOptions *o)
{
    char *set_dir;
    Error *e = open_set(o, &set_dir);
    if (e)
        return e;
    Problems problems = {0};

    /* A set that did not finish fails verification whatever its files say:
     * its manifest, if any, cannot vouch for what was never written. */
    char *reason = NULL;
    BackupSetStatus st = backupset_status(set_dir, o->timestamp, &reason);
    if (st != SET_COMPLETE) {
        char *marker = backupset_file(set_dir, o->timestamp, "complete");
        struct stat sb;
        bool has_marker = lstat(marker, &sb) == 0;
        free(marker);
        char *name = set_file_name(o->timestamp, has_marker || st == SET_FAILED ? "config.yaml" : "complete");
        /* "the backup failed: ..." says it already; "incomplete" needs saying. */
        char *what = st == SET_FAILED ? xstrdup(reason ? reason : "the backup failed")
                                      : xasprintf("the backup is incomplete: %s", reason ? reason : "");
        problems_add(&problems, name, what);
        free(what);
        free(name);
    }
    free(reason);

    size_t nfiles = 0;
    e = check_manifest(set_dir, o->timestamp, &problems, &nfiles);
    if (!e && problems.n == 0)
        e = check_segment_files(o, set_dir, &problems, &nfiles);
    if (!e) {
        StrBuf out;
        sb_init(&out);
        if (o->json) {
            verify_as_json(o->timestamp, set_dir, &problems, &out);
        } else if (problems.n == 0) {
            sb_printf(&out, "backup %s is intact: %zu file%s verified\n", o->timestamp, nfiles,
                      nfiles == 1 ? "" : "s");
        } else {
            for (size_t i = 0; i < problems.n; i++) {
                sb_append_printable(&out, problems.items[i].file);
                sb_append(&out, ": ");
                sb_append_printable(&out, problems.items[i].what);
                sb_append(&out, "\n");
            }
        }
        e = write_stdout(out.data, out.len);
        sb_free(&out);
    }
    if (!e && problems.n > 0) {
        e = ERROR_NEW(ERR_DATA, "backup %s failed verification: %zu problem%s found", o->timestamp,
                      problems.n, problems.n == 1 ? "" : "s");
        error_detail(e, "directory \"%s\"", set_dir);
    }
    problems_free(&problems);
    free(set_dir);
    return e;
}

/* ---- delete-backup ------------------------------------------------------ */

/* Ask on the terminal; true only for an explicit yes. */
static bool confirm(const char *question)
{
    /* The prompt goes to stderr so that stdout stays the command's output;
     * readline gives line editing and reads the answer from the terminal. */
    rl_instream = stdin;
    rl_outstream = stderr;
    char *answer = readline(question);
    bool yes = false;
    if (answer) {
        char *a = answer;
        while (isspace((unsigned char)*a))
            a++;
        size_t n = strlen(a);
        while (n > 0 && isspace((unsigned char)a[n - 1]))
            a[--n] = '\0';
        yes = strcasecmp(a, "y") == 0 || strcasecmp(a, "yes") == 0;
    } else {
        fputc('\n', stderr);        /* end of input: the cursor is after the prompt */
    }
    free(answer);
    return yes;
}

/* The files of a set, checked before anything is removed: a subdirectory is
 * not something gpbackup writes, and delete does not descend into it. */
static Error *scan_set(const char *set_dir, StrList *names, uint64_t *bytes)
{
    *bytes = 0;
    DIR *dh = opendir(set_dir);
    if (!dh) {
        char ebuf[256];
        return ERROR_NEW(ERR_IO, "could not open directory \"%s\": %s", set_dir,
                         strerror_r(errno, ebuf, sizeof ebuf));
    }
    Error *e = NULL;
    struct dirent *de;
    while (!e && (de = readdir(dh)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char *path = path_join(set_dir, de->d_name);
        struct stat st;
        if (lstat(path, &st) != 0) {
            char ebuf[256];
            if (errno != ENOENT)
                e = ERROR_NEW(ERR_IO, "could not stat file \"%s\": %s", path,
                              strerror_r(errno, ebuf, sizeof ebuf));
        } else if (S_ISDIR(st.st_mode)) {
            e = error_hint(ERROR_NEW(ERR_FORMAT, "backup set directory \"%s\" contains a directory: \"%s\"",
                                     set_dir, de->d_name),
                           "gpbackup never writes one; move it away or remove the set by hand");
        } else {
            strlist_push(names, de->d_name);
            if (S_ISREG(st.st_mode))
                *bytes += (uint64_t)st.st_size;
        }
        free(path);
    }
    closedir(dh);
    return e;
}

static Error *remove_set(const char *set_dir, const StrList *names, int *exit_code)
{
    for (size_t i = 0; i < names->n; i++) {
        char *path = path_join(set_dir, names->items[i]);
        int rc = unlink(path);
        int errnum = errno;
        if (rc != 0 && errnum != ENOENT) {
            char ebuf[256];
            Error *e = ERROR_NEW(ERR_IO, "could not remove file \"%s\": %s", path,
                                 strerror_r(errnum, ebuf, sizeof ebuf));
            free(path);
            return e;
        }
        free(path);
    }
    if (rmdir(set_dir) != 0) {
        char ebuf[256];
        return ERROR_NEW(ERR_IO, "could not remove directory \"%s\": %s", set_dir,
                         strerror_r(errno, ebuf, sizeof ebuf));
    }
    /* The day directory goes too once it is empty; another backup of the
     * same day keeps it. */
    char *day = path_dirname(set_dir);
    if (rmdir(day) != 0 && errno != ENOTEMPTY && errno != EEXIST) {
        char ebuf[256];
        fprintf(stderr, "%s: warning: could not remove directory \"%s\": %s\n", PROGRAM, day,
                strerror_r(errno, ebuf, sizeof ebuf));
        *exit_code = EXIT_WARNINGS;
    }
    /* Make the removal durable; failing to is not worth a warning. */
    char *parent = path_dirname(day);
    error_free(file_fsync_dir(file_exists(day) ? day : parent));
    free(parent);
    free(day);
    return NULL;
}

static Error *cmd_delete_backup(const ManagerOptions *o, int *exit_code)
{
    char *set_dir;
    Error *e = open_set(o, &set_dir);
    if (e)
        return e;
    StrList names = {0};
    uint64_t bytes = 0;
    if ((e = scan_set(set_dir, &names, &bytes))) {
        strlist_free(&names);
        free(set_dir);
        return e;
    }
    char *config_path = backupset_file(set_dir, o->timestamp, "config.yaml");
    BackupConfig *c = NULL;
    error_free(config_read(config_path, &c));
    free(config_path);
    StrBuf db;
    sb_init(&db);
    sb_append_printable(&db, c && *c->databasename ? c->databasename : "(unknown)");
    config_free(c);
    char size[64];
    format_bytes(bytes, size, sizeof size);
    char *what = xasprintf("backup %s of database %s (%zu file%s, %s)", o->timestamp, db.data,
                           names.n, names.n == 1 ? "" : "s", size);
    sb_free(&db);

    bool go = o->yes;
    if (!go) {
        if (!isatty(STDIN_FILENO)) {
            e = ERROR_NEW(ERR_USAGE, "refusing to delete backup %s without confirmation", o->timestamp);
            error_detail(e, "standard input is not a terminal, so there is no one to ask");
            error_hint(e, "add --yes to delete without being asked");
        } else {
            char *reason = NULL;
            BackupSetStatus st = backupset_status(set_dir, o->timestamp, &reason);
            if (st != SET_COMPLETE)
                fprintf(stderr, "note: backup %s is %s: %s\n", o->timestamp, backupset_status_name(st),
                        reason ? reason : "");
            free(reason);
            char *question = xasprintf("delete %s? [y/N] ", what);
            go = confirm(question);
            free(question);
            if (!go) {
                printf("backup %s not deleted\n", o->timestamp);
                e = flush_stdout();
            }
        }
    }
    if (go && !e) {
        e = remove_set(set_dir, &names, exit_code);
        if (!e) {
            printf("deleted %s\n", what);
            e = flush_stdout();
        }
    }
    free(what);
    strlist_free(&names);
    free(set_dir);
    return e;
}

/* ---- Dispatch ----------------------------------------------------------- */

Error *manager_run(const ManagerOptions *o, int *exit_code)
{
    *exit_code = EXIT_SUCCESS_CODE;
    Error *e;
    switch (o->command) {
    case MANAGER_LIST_BACKUPS:
        e = cmd_list_backups(o);
        break;
    case MANAGER_DISPLAY_REPORT:
        e = cmd_display_report(o);
        break;
    case MANAGER_VERIFY:
        e = cmd_verify(o);
        break;
    case MANAGER_DELETE_BACKUP:
        e = cmd_delete_backup(o, exit_code);
        break;
    case MANAGER_NONE:
    default:
        return usage_error(ERROR_NEW(ERR_USAGE, "no command given"));
    }
    if (!e)
        e = flush_stdout();
    return e;
}
