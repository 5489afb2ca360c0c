/* Option parsing for gpbackup and gprestore. Names follow gpbackup; both
 * "--name" and gpbackup's old "-name" spellings are accepted. Nothing here
 * connects: every usage error surfaces before the first connection. */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define MAX_JOBS 512

enum {
    OPT_DBNAME = 1000, OPT_HOST, OPT_PORT, OPT_USERNAME, OPT_BACKUP_DIR, OPT_JOBS,
    OPT_COMPRESSION_TYPE, OPT_COMPRESSION_LEVEL, OPT_NO_COMPRESSION, OPT_INCLUDE_SCHEMA,
    OPT_INCLUDE_SCHEMA_FILE, OPT_EXCLUDE_SCHEMA, OPT_EXCLUDE_SCHEMA_FILE, OPT_INCLUDE_TABLE,
    OPT_INCLUDE_TABLE_FILE, OPT_EXCLUDE_TABLE, OPT_EXCLUDE_TABLE_FILE, OPT_DATA_ONLY,
    OPT_METADATA_ONLY, OPT_LOCK_WAIT_TIMEOUT, OPT_VERBOSE, OPT_QUIET, OPT_DEBUG, OPT_HELP,
    OPT_VERSION, OPT_NO_LOCK, OPT_TIMESTAMP, OPT_CREATE_DB, OPT_REDIRECT_DB, OPT_ON_ERROR_CONTINUE,
    OPT_WITHOUT_GLOBALS, OPT_WITH_STATS, OPT_WITH_GLOBALS, OPT_RUN_ANALYZE, OPT_SERVER_SIDE,
    OPT_SINGLE_BACKUP_DIR, OPT_HELPER_PATH, OPT_RESIZE_CLUSTER, OPT_DATA_FORMAT
};

#define COMMON_OPTIONS                                                            \
    {"dbname", required_argument, NULL, OPT_DBNAME},                              \
    {"host", required_argument, NULL, OPT_HOST},                                  \
    {"port", required_argument, NULL, OPT_PORT},                                  \
    {"username", required_argument, NULL, OPT_USERNAME},                          \
    {"backup-dir", required_argument, NULL, OPT_BACKUP_DIR},                      \
    {"jobs", required_argument, NULL, OPT_JOBS},                                  \
    {"include-schema", required_argument, NULL, OPT_INCLUDE_SCHEMA},              \
    {"include-schema-file", required_argument, NULL, OPT_INCLUDE_SCHEMA_FILE},    \
    {"exclude-schema", required_argument, NULL, OPT_EXCLUDE_SCHEMA},              \
    {"exclude-schema-file", required_argument, NULL, OPT_EXCLUDE_SCHEMA_FILE},    \
    {"include-table", required_argument, NULL, OPT_INCLUDE_TABLE},                \
    {"include-table-file", required_argument, NULL, OPT_INCLUDE_TABLE_FILE},      \
    {"exclude-table", required_argument, NULL, OPT_EXCLUDE_TABLE},                \
    {"exclude-table-file", required_argument, NULL, OPT_EXCLUDE_TABLE_FILE},      \
    {"data-only", no_argument, NULL, OPT_DATA_ONLY},                              \
    {"metadata-only", no_argument, NULL, OPT_METADATA_ONLY},                      \
    {"verbose", no_argument, NULL, OPT_VERBOSE},                                  \
    {"quiet", no_argument, NULL, OPT_QUIET},                                      \
    {"debug", no_argument, NULL, OPT_DEBUG},                                      \
    {"help", no_argument, NULL, OPT_HELP},                                        \
    {"version", no_argument, NULL, OPT_VERSION}

static const struct option backup_long_options[] = {
    COMMON_OPTIONS,
    {"compression-type", required_argument, NULL, OPT_COMPRESSION_TYPE},
    {"compression-level", required_argument, NULL, OPT_COMPRESSION_LEVEL},
    {"no-compression", no_argument, NULL, OPT_NO_COMPRESSION},
    {"data-format", required_argument, NULL, OPT_DATA_FORMAT},
    {"lock-wait-timeout", required_argument, NULL, OPT_LOCK_WAIT_TIMEOUT},
    {"no-lock", no_argument, NULL, OPT_NO_LOCK},
    {"server-side", no_argument, NULL, OPT_SERVER_SIDE},
    {"single-backup-dir", no_argument, NULL, OPT_SINGLE_BACKUP_DIR},
    {"helper-path", required_argument, NULL, OPT_HELPER_PATH},
    {"without-globals", no_argument, NULL, OPT_WITHOUT_GLOBALS},
    {"with-stats", no_argument, NULL, OPT_WITH_STATS},
    {NULL, 0, NULL, 0}};

static const struct option restore_long_options[] = {
    COMMON_OPTIONS,
    {"timestamp", required_argument, NULL, OPT_TIMESTAMP},
    {"create-db", no_argument, NULL, OPT_CREATE_DB},
    {"redirect-db", required_argument, NULL, OPT_REDIRECT_DB},
    {"on-error-continue", no_argument, NULL, OPT_ON_ERROR_CONTINUE},
    {"with-globals", no_argument, NULL, OPT_WITH_GLOBALS},
    {"with-stats", no_argument, NULL, OPT_WITH_STATS},
    {"run-analyze", no_argument, NULL, OPT_RUN_ANALYZE},
    {"resize-cluster", no_argument, NULL, OPT_RESIZE_CLUSTER},
    {"helper-path", required_argument, NULL, OPT_HELPER_PATH},
    {NULL, 0, NULL, 0}};

static const char backup_help[] =
    "gpbackup backs up a PostgreSQL or Greenplum database, consistently and in parallel.\n"
    "\n"
    "Usage:\n"
    "  gpbackup --dbname NAME [OPTION]...\n"
    "\n"
    "Connection (also PGHOST, PGPORT, PGUSER, PGDATABASE and ~/.pgpass):\n"
    "  --dbname NAME|CONNINFO     database to back up: a name, a conninfo string or a URI\n"
    "  --host HOST                server host or socket directory\n"
    "  --port PORT                server port\n"
    "  --username USER            user to connect as (passwords: ~/.pgpass or PGPASSWORD)\n"
    "\n"
    "Output:\n"
    "  --backup-dir DIR           absolute directory; the backup goes to\n"
    "                             DIR/backups/YYYYMMDD/YYYYMMDDHHMMSS/ (default DIR:\n"
    "                             $COORDINATOR_DATA_DIRECTORY, else the current directory)\n"
    "  --compression-type TYPE    zstd (default), gzip or none\n"
    "  --compression-level N      zstd 1-19, gzip 1-9 (default 1)\n"
    "  --no-compression           write data files uncompressed\n"
    "  --data-format FORMAT       packed (default: COPY's binary format packed for the\n"
    "                             compressor), binary (COPY's binary format as it is) or\n"
    "                             csv; with packed and binary, tables with columns of other\n"
    "                             than built-in types are written as csv; always csv with\n"
    "                             --server-side and on Greenplum and Cloudberry\n"
    "  --jobs N                   worker connections for the data (default 1)\n"
    "  --lock-wait-timeout SECS   give up when table locks are not granted in time\n"
    "                             (default 0: wait without limit)\n"
    "  --no-lock                  take no table locks up front; each table is locked only\n"
    "                             while it is copied, and tables changed by DDL during the\n"
    "                             backup are reported (exit 1)\n"
    "  --server-side              the database server writes the data files itself through\n"
    "                             gpbackup_helper (COPY ... TO PROGRAM; superuser or\n"
    "                             pg_execute_server_program + pg_read_server_files); always\n"
    "                             so on Greenplum and Cloudberry, where every segment does\n"
    "  --single-backup-dir        MPP: every segment writes under --backup-dir itself, not\n"
    "                             under DIR/<prefix><content>\n"
    "  --helper-path PATH         gpbackup_helper on the database hosts (default: next to\n"
    "                             this gpbackup)\n"
    "\n"
    "Content:\n"
    "  --data-only                back up data only\n"
    "  --metadata-only            back up the schema only\n"
    "  --include-schema NAME      only this schema (repeatable)\n"
    "  --include-schema-file FILE only the schemas listed in FILE, one per line\n"
    "  --exclude-schema NAME      not this schema (repeatable)\n"
    "  --exclude-schema-file FILE not the schemas listed in FILE\n"
    "  --include-table S.T        only this table (repeatable; quote parts as \"a.b\")\n"
    "  --include-table-file FILE  only the tables listed in FILE, one per line\n"
    "  --exclude-table S.T        not this table (repeatable)\n"
    "  --exclude-table-file FILE  not the tables listed in FILE\n"
    "  --without-globals          leave out roles, role memberships and settings, and\n"
    "                             tablespaces (written by default)\n"
    "  --with-stats               also write the planner statistics of the tables\n"
    "\n"
    "Messages:\n"
    "  --verbose | --quiet | --debug\n"
    "  --help                     show this help and exit\n"
    "  --version                  show the version and exit\n"
    "\n"
    "Exit status: 0 success, 1 finished with warnings, 2 failed.\n";

static const char restore_help[] =
    "gprestore restores a backup made by gpbackup, in parallel.\n"
    "\n"
    "Usage:\n"
    "  gprestore --timestamp YYYYMMDDHHMMSS [OPTION]...\n"
    "\n"
    "What to restore:\n"
    "  --timestamp TS             the backup to restore\n"
    "  --backup-dir DIR           absolute directory given to gpbackup (default:\n"
    "                             $COORDINATOR_DATA_DIRECTORY, else the current directory)\n"
    "  --data-only                restore data only (tables must exist)\n"
    "  --metadata-only            restore the schema only\n"
    "  --include-schema, --include-schema-file, --exclude-schema, --exclude-schema-file,\n"
    "  --include-table, --include-table-file, --exclude-table, --exclude-table-file\n"
    "                             restore only part of the backup (as for gpbackup)\n"
    "\n"
    "Where to restore:\n"
    "  --create-db                create the database first (it must not exist)\n"
    "  --redirect-db NAME         restore into NAME instead of the original database\n"
    "  --dbname NAME|CONNINFO     database to connect to for --create-db (default postgres);\n"
    "                             its host/port/user settings are used for every connection\n"
    "  --host HOST, --port PORT, --username USER\n"
    "\n"
    "Behaviour:\n"
    "  --jobs N                   parallel connections for data and post-data (default 1)\n"
    "  --on-error-continue        log failed statements and tables, go on, exit 1\n"
    "  --with-globals             first create the roles, role memberships and settings, and\n"
    "                             tablespaces of the backup (existing ones are kept); with\n"
    "                             --create-db or this option the database's own owner,\n"
    "                             comment, settings and privileges are applied at the end\n"
    "  --with-stats               restore the planner statistics of the backup (superuser)\n"
    "  --run-analyze              ANALYZE every restored table at the end, in parallel\n"
    "  --resize-cluster           MPP: restore onto a cluster with another number of\n"
    "                             segments (each segment's files are loaded through the\n"
    "                             coordinator, so every row lands on its segment at once)\n"
    "  --helper-path PATH         gpbackup_helper on the database hosts (default: next to\n"
    "                             this gprestore)\n"
    "  --verbose | --quiet | --debug\n"
    "  --help, --version\n"
    "\n"
    "Exit status: 0 success, 1 finished with warnings, 2 failed.\n";

const char *backup_usage(void)
{
    return backup_help;
}

const char *restore_usage(void)
{
    return restore_help;
}

static Error *usage_error(Error *e, const char *program)
{
    return error_hint(e, "try \"%s --help\" for more information", program);
}

static Error *parse_int(const char *opt, const char *value, int min, int max, int *out,
                        const char *program)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end != '\0' || v < min || v > max) {
        Error *e = ERROR_NEW(ERR_USAGE, "invalid value \"%s\" for option --%s", value, opt);
        error_detail(e, "the value must be an integer from %d to %d", min, max);
        return usage_error(e, program);
    }
    *out = (int)v;
    return NULL;
}

static Error *check_absolute(const char *opt, const char *value, const char *program)
{
    if (value[0] != '/')
        return usage_error(ERROR_NEW(ERR_USAGE, "option --%s must be an absolute path: \"%s\"",
                                     opt, value),
                           program);
    return NULL;
}

/* Options both commands share; returns 1 when opt was handled. */
static int parse_common(int opt, const char *arg, ConnOptions *conn, char **backup_dir,
                        int *jobs, Filter *filter, bool *data_only, bool *metadata_only,
                        LogLevel *level, int *levels_given, bool *help, bool *version,
                        bool *include_schema_given, bool *include_table_given, Error **err,
                        const char *program)
{
    switch (opt) {
    case OPT_DBNAME:
        free(conn->dbname);
        conn->dbname = xstrdup(arg);
        return 1;
    case OPT_HOST:
        free(conn->host);
        conn->host = xstrdup(arg);
        return 1;
    case OPT_PORT: {
        int port;
        *err = parse_int("port", arg, 1, 65535, &port, program);
        free(conn->port);
        conn->port = xstrdup(arg);
        return 1;
    }
    case OPT_USERNAME:
        free(conn->username);
        conn->username = xstrdup(arg);
        return 1;
    case OPT_BACKUP_DIR:
        *err = check_absolute("backup-dir", arg, program);
        free(*backup_dir);
        *backup_dir = xstrdup(arg);
        return 1;
    case OPT_JOBS:
        *err = parse_int("jobs", arg, 1, MAX_JOBS, jobs, program);
        return 1;
    case OPT_INCLUDE_SCHEMA:
        *include_schema_given = true;
        *err = filter_add_schema(filter, true, arg);
        return 1;
    case OPT_INCLUDE_SCHEMA_FILE:
        *include_schema_given = true;
        *err = filter_add_file(filter, true, false, arg);
        return 1;
    case OPT_EXCLUDE_SCHEMA:
        *err = filter_add_schema(filter, false, arg);
        return 1;
    case OPT_EXCLUDE_SCHEMA_FILE:
        *err = filter_add_file(filter, false, false, arg);
        return 1;
    case OPT_INCLUDE_TABLE:
        *include_table_given = true;
        *err = filter_add_table(filter, true, arg);
        return 1;
    case OPT_INCLUDE_TABLE_FILE:
        *include_table_given = true;
        *err = filter_add_file(filter, true, true, arg);
        return 1;
    case OPT_EXCLUDE_TABLE:
        *err = filter_add_table(filter, false, arg);
        return 1;
    case OPT_EXCLUDE_TABLE_FILE:
        *err = filter_add_file(filter, false, true, arg);
        return 1;
    case OPT_DATA_ONLY:
        *data_only = true;
        return 1;
    case OPT_METADATA_ONLY:
        *metadata_only = true;
        return 1;
    case OPT_VERBOSE:
        *level = LOG_VERBOSE;
        (*levels_given)++;
        return 1;
    case OPT_QUIET:
        *level = LOG_WARNING;
        (*levels_given)++;
        return 1;
    case OPT_DEBUG:
        *level = LOG_DEBUG;
        (*levels_given)++;
        return 1;
    case OPT_HELP:
        *help = true;
        return 1;
    case OPT_VERSION:
        *version = true;
        return 1;
    default:
        return 0;
    }
}

static Error *unknown_option(int argc, char **argv, const char *program)
{
    const char *bad = (optind - 1 < argc && optind > 0) ? argv[optind - 1] : "?";
    Error *e;
    if (optopt && optopt < OPT_DBNAME)
        e = ERROR_NEW(ERR_USAGE, "invalid option -- '%c'", optopt);
    else if (optopt && strchr(bad, '='))
        e = ERROR_NEW(ERR_USAGE, "option \"%.*s\" takes no value", (int)(strchr(bad, '=') - bad),
                      bad);
    else if (optopt)
        e = ERROR_NEW(ERR_USAGE, "option \"%s\" requires a value", bad);
    else
        e = ERROR_NEW(ERR_USAGE, "unrecognized option \"%s\"", bad);
    return usage_error(e, program);
}

static Error *check_common_combinations(bool data_only, bool metadata_only, int levels_given,
                                        bool include_schema_given, bool include_table_given,
                                        const char *program)
{
    if (data_only && metadata_only)
        return usage_error(ERROR_NEW(ERR_USAGE,
                                     "options --data-only and --metadata-only cannot be used together"),
                           program);
    if (levels_given > 1)
        return usage_error(ERROR_NEW(ERR_USAGE,
                                     "options --verbose, --quiet and --debug cannot be used together"),
                           program);
    if (include_schema_given && include_table_given)
        return usage_error(
            ERROR_NEW(ERR_USAGE,
                      "options --include-schema and --include-table cannot be used together"),
            program);
    return NULL;
}

Error *backup_options_parse(int argc, char **argv, BackupOptions *o)
{
    const char *program = "gpbackup";
    memset(o, 0, sizeof *o);
    o->jobs = 1;
    o->compression = CODEC_ZSTD;
    o->data_format = DATA_FORMAT_PACKED;
    o->log_level = LOG_INFO;
    int levels_given = 0;
    bool inc_schema = false, inc_table = false;
    optind = 1;
    opterr = 0;
    int opt;
    while ((opt = getopt_long_only(argc, argv, ":", backup_long_options, NULL)) != -1) {
        Error *e = NULL;
        if (parse_common(opt, optarg, &o->conn, &o->backup_dir, &o->jobs, &o->filter,
                         &o->data_only, &o->metadata_only, &o->log_level, &levels_given,
                         &o->help, &o->version, &inc_schema, &inc_table, &e, program)) {
            if (e)
                return e;
            continue;
        }
        switch (opt) {
        case OPT_COMPRESSION_TYPE:
            e = codec_parse(optarg, &o->compression);
            if (e)
                return usage_error(e, program);
            o->compression_type_given = true;
            break;
        case OPT_COMPRESSION_LEVEL:
            e = parse_int("compression-level", optarg, INT_MIN, INT_MAX, &o->compression_level,
                          program);
            if (e)
                return e;
            o->compression_level_given = true;
            break;
        case OPT_NO_COMPRESSION:
            o->no_compression = true;
            break;
        case OPT_DATA_FORMAT:
            if (!data_format_parse(optarg, &o->data_format))
                return usage_error(
                    error_detail(ERROR_NEW(ERR_USAGE, "invalid value \"%s\" for option "
                                                      "--data-format", optarg),
                                 "the data formats are packed, binary and csv"),
                    program);
            o->data_format_given = true;
            break;
        case OPT_NO_LOCK:
            o->no_lock = true;
            break;
        case OPT_SERVER_SIDE:
            o->server_side = true;
            break;
        case OPT_SINGLE_BACKUP_DIR:
            o->single_backup_dir = true;
            break;
        case OPT_HELPER_PATH:
            e = check_absolute("helper-path", optarg, program);
            if (e)
                return e;
            free(o->helper_path);
            o->helper_path = xstrdup(optarg);
            break;
        case OPT_WITHOUT_GLOBALS:
            o->without_globals = true;
            break;
        case OPT_WITH_STATS:
            o->with_stats = true;
            break;
        case OPT_LOCK_WAIT_TIMEOUT:
            e = parse_int("lock-wait-timeout", optarg, 0, INT_MAX / 1000, &o->lock_wait_timeout,
                          program);
            if (e)
                return e;
            break;
        default:
            return unknown_option(argc, argv, program);
        }
    }
    if (optind < argc)
        return usage_error(ERROR_NEW(ERR_USAGE, "unexpected argument \"%s\"", argv[optind]),
                           program);
    if (o->help || o->version)
        return NULL;
    Error *e = check_common_combinations(o->data_only, o->metadata_only, levels_given,
                                         inc_schema, inc_table, program);
    if (e)
        return e;
    if (!o->conn.dbname)
        return usage_error(ERROR_NEW(ERR_USAGE, "option --dbname is required"), program);
    if (o->no_compression && (o->compression_type_given || o->compression_level_given))
        return usage_error(ERROR_NEW(ERR_USAGE, "option --no-compression cannot be used with "
                                                "--compression-type or --compression-level"),
                           program);
    if (o->no_compression)
        o->compression = CODEC_NONE;
    if (!o->compression_level_given) {
        o->compression_level = codec_default_level(o->compression);
    } else {
        int min, max;
        codec_level_range(o->compression, &min, &max);
        if (o->compression_level < min || o->compression_level > max) {
            e = ERROR_NEW(ERR_USAGE, "invalid value \"%d\" for option --compression-level",
                          o->compression_level);
            if (o->compression == CODEC_NONE)
                error_detail(e, "compression type none takes no level");
            else
                error_detail(e, "compression type %s takes a level from %d to %d",
                             codec_name(o->compression), min, max);
            return usage_error(e, program);
        }
    }
    if (o->single_backup_dir && !o->backup_dir)
        return usage_error(ERROR_NEW(ERR_USAGE, "option --single-backup-dir needs --backup-dir"),
                           program);
    if (o->server_side && o->data_format_given && o->data_format != DATA_FORMAT_CSV)
        return usage_error(
            error_detail(ERROR_NEW(ERR_USAGE, "option --data-format %s cannot be used with "
                                              "--server-side",
                                   data_format_name(o->data_format)),
                         "gpbackup_helper writes and checks csv data"),
            program);
    o->backup_dir_given = o->backup_dir != NULL;
    if (!o->backup_dir)
        o->backup_dir = options_default_backup_dir();
    return NULL;
}

const char *data_format_name(DataFormat f)
{
    return f == DATA_FORMAT_PACKED ? "packed" : f == DATA_FORMAT_BINARY ? "binary" : "csv";
}

bool data_format_parse(const char *s, DataFormat *out)
{
    if (strcmp(s, "csv") == 0)
        *out = DATA_FORMAT_CSV;
    else if (strcmp(s, "binary") == 0)
        *out = DATA_FORMAT_BINARY;
    else if (strcmp(s, "packed") == 0)
        *out = DATA_FORMAT_PACKED;
    else
        return false;
    return true;
}

static bool valid_timestamp(const char *ts)
{
    if (strlen(ts) != 14)
        return false;
    for (const char *p = ts; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

Error *restore_options_parse(int argc, char **argv, RestoreOptions *o)
{
    const char *program = "gprestore";
    memset(o, 0, sizeof *o);
    o->jobs = 1;
    o->log_level = LOG_INFO;
    int levels_given = 0;
    bool inc_schema = false, inc_table = false;
    optind = 1;
    opterr = 0;
    int opt;
    while ((opt = getopt_long_only(argc, argv, ":", restore_long_options, NULL)) != -1) {
        Error *e = NULL;
        if (parse_common(opt, optarg, &o->conn, &o->backup_dir, &o->jobs, &o->filter,
                         &o->data_only, &o->metadata_only, &o->log_level, &levels_given,
                         &o->help, &o->version, &inc_schema, &inc_table, &e, program)) {
            if (e)
                return e;
            continue;
        }
        switch (opt) {
        case OPT_TIMESTAMP:
            free(o->timestamp);
            o->timestamp = xstrdup(optarg);
            break;
        case OPT_CREATE_DB:
            o->create_db = true;
            break;
        case OPT_REDIRECT_DB:
            free(o->redirect_db);
            o->redirect_db = xstrdup(optarg);
            break;
        case OPT_ON_ERROR_CONTINUE:
            o->on_error_continue = true;
            break;
        case OPT_WITH_GLOBALS:
            o->with_globals = true;
            break;
        case OPT_WITH_STATS:
            o->with_stats = true;
            break;
        case OPT_RUN_ANALYZE:
            o->run_analyze = true;
            break;
        case OPT_RESIZE_CLUSTER:
            o->resize_cluster = true;
            break;
        case OPT_HELPER_PATH:
            e = check_absolute("helper-path", optarg, program);
            if (e)
                return e;
            free(o->helper_path);
            o->helper_path = xstrdup(optarg);
            break;
        default:
            return unknown_option(argc, argv, program);
        }
    }
    if (optind < argc)
        return usage_error(ERROR_NEW(ERR_USAGE, "unexpected argument \"%s\"", argv[optind]),
                           program);
    if (o->help || o->version)
        return NULL;
    Error *e = check_common_combinations(o->data_only, o->metadata_only, levels_given,
                                         inc_schema, inc_table, program);
    if (e)
        return e;
    if (!o->timestamp)
        return usage_error(ERROR_NEW(ERR_USAGE, "option --timestamp is required"), program);
    if (!valid_timestamp(o->timestamp))
        return usage_error(
            error_detail(ERROR_NEW(ERR_USAGE, "invalid value \"%s\" for option --timestamp",
                                   o->timestamp),
                         "a timestamp has 14 digits: YYYYMMDDHHMMSS"),
            program);
    if (o->data_only && o->create_db)
        return usage_error(
            ERROR_NEW(ERR_USAGE, "options --data-only and --create-db cannot be used together"),
            program);
    if (o->data_only && o->with_globals)
        return usage_error(
            ERROR_NEW(ERR_USAGE, "options --data-only and --with-globals cannot be used together"),
            program);
    /* Statistics restored and then replaced by ANALYZE would be work thrown
     * away, and which of the two the user wanted is not for us to guess. */
    if (o->with_stats && o->run_analyze)
        return usage_error(
            ERROR_NEW(ERR_USAGE, "options --with-stats and --run-analyze cannot be used together"),
            program);
    if (o->metadata_only && o->run_analyze)
        return usage_error(
            error_detail(ERROR_NEW(ERR_USAGE,
                                   "options --metadata-only and --run-analyze cannot be used together"),
                         "a metadata-only restore loads no rows to analyze"),
            program);
    if (o->redirect_db && !*o->redirect_db)
        return usage_error(ERROR_NEW(ERR_USAGE, "option --redirect-db needs a database name"),
                           program);
    o->backup_dir_given = o->backup_dir != NULL;
    if (!o->backup_dir)
        o->backup_dir = options_default_backup_dir();
    return NULL;
}

static void conn_options_free(ConnOptions *c)
{
    free(c->dbname);
    free(c->host);
    free(c->port);
    free(c->username);
}

void backup_options_free(BackupOptions *o)
{
    conn_options_free(&o->conn);
    free(o->backup_dir);
    free(o->helper_path);
    filter_free(&o->filter);
}

void restore_options_free(RestoreOptions *o)
{
    conn_options_free(&o->conn);
    free(o->backup_dir);
    free(o->timestamp);
    free(o->redirect_db);
    free(o->helper_path);
    filter_free(&o->filter);
}

/* Mask a URI's secrets: the password in "user:password@" of the authority
 * and the value of any password= query parameter. */
static void mask_uri(StrBuf *sb, const char *a)
{
    const char *auth = strstr(a, "://") + 3;
    size_t auth_len = strcspn(auth, "/?");
    const char *at = NULL;
    for (const char *p = auth; p < auth + auth_len; p++)
        if (*p == '@')
            at = p;
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (colon) {
        sb_append_len(sb, a, (size_t)(colon - a) + 1);
        sb_append(sb, "********");
        a = at;
    }
    const char *q = strchr(a, '?');
    if (!q) {
        sb_append(sb, a);
        return;
    }
    sb_append_len(sb, a, (size_t)(q - a));
    for (const char *p = q; *p;) {
        /* p is at '?' or '&': copy it, then one key=value pair. */
        sb_append_len(sb, p, 1);
        p++;
        size_t n = strcspn(p, "&");
        if (n >= 9 && strncmp(p, "password=", 9) == 0) {
            sb_append(sb, "password=********");
        } else {
            sb_append_len(sb, p, n);
        }
        p += n;
    }
}

/* Mask the value of every password keyword in a "key=value ..." conninfo
 * string, following libpq's syntax: blanks around '=', values in single
 * quotes with backslash escapes, or unquoted up to a blank. */
static void mask_conninfo(StrBuf *sb, const char *a)
{
    const char *p = a;
    while (*p) {
        const char *tok = p;
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        const char *key = p;
        while (*p && *p != '=' && *p != ' ' && *p != '\t' && *p != '\n')
            p++;
        size_t keylen = (size_t)(p - key);
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (*p != '=') {
            /* Not a conninfo pair: copy the rest as it is. */
            sb_append(sb, tok);
            return;
        }
        p++;
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        const char *val = p;
        if (*p == '\'') {
            p++;
            while (*p && *p != '\'') {
                if (*p == '\\' && p[1])
                    p++;
                p++;
            }
            if (*p)
                p++;
        } else {
            while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
                if (*p == '\\' && p[1])
                    p++;
                p++;
            }
        }
        if (keylen == 8 && strncmp(key, "password", 8) == 0) {
            sb_append_len(sb, tok, (size_t)(val - tok));
            sb_append(sb, "********");
        } else {
            sb_append_len(sb, tok, (size_t)(p - tok));
        }
    }
}

char *options_command_line(int argc, char **argv)
{
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (i)
            sb_append(&sb, " ");
        /* --dbname=VALUE: mask inside VALUE. */
        const char *eq = (a[0] == '-' && strchr(a, '=')) ? strchr(a, '=') + 1 : NULL;
        const char *value = eq ? eq : a;
        if (eq)
            sb_append_len(&sb, a, (size_t)(eq - a));
        if (strncmp(value, "postgresql://", 13) == 0 || strncmp(value, "postgres://", 11) == 0)
            mask_uri(&sb, value);
        else if (strstr(value, "password"))
            mask_conninfo(&sb, value);
        else
            sb_append(&sb, value);
    }
    return sb_steal(&sb);
}

char *options_default_backup_dir(void)
{
    const char *d = getenv("COORDINATOR_DATA_DIRECTORY");
    if (!d || !*d)
        d = getenv("MASTER_DATA_DIRECTORY");
    if (d && *d && d[0] == '/')
        return xstrdup(d);
    char *cwd = getcwd(NULL, 0);
    return cwd ? cwd : xstrdup("/");
}

char *options_default_helper_path(void)
{
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    return xasprintf("%s/gpbackup_helper", buf);
}
