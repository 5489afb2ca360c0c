/* Unit tests of common/options.c: the defaults of gpbackup and gprestore,
 * every option in both its "--name" and "-name" spellings, repeatable
 * filters and filter files, every usage error (ERR_USAGE, PostgreSQL message
 * style, a hint pointing to --help), the default backup directory, and the
 * masking of passwords in the logged command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "options.h"
#include "util.h"

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NO_ARGS ((const char *const[]){NULL})

enum { CMD_BACKUP, CMD_RESTORE };
static const char *const program_names[] = {"gpbackup", "gprestore"};

/* ---- scratch files ---------------------------------------------------- */

static char scratch_dir[] = "/tmp/gpb_options_test.XXXXXX";
static StrList scratch_files;

static int scratch_setup(void **state)
{
    return mkdtemp(scratch_dir) ? 0 : -1;
}

static int scratch_teardown(void **state)
{
    for (size_t i = 0; i < scratch_files.n; i++)
        unlink(scratch_files.items[i]);
    strlist_free(&scratch_files);
    return rmdir(scratch_dir);
}

/* Write len bytes to a new file in the scratch directory; caller owns the
 * returned path, the teardown removes the file. */
static char *scratch_write_len(const char *name, const char *content, size_t len)
{
    char *path = xasprintf("%s/%s", scratch_dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(content, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    if (!strlist_contains(&scratch_files, path))
        strlist_push(&scratch_files, path);
    return path;
}

static char *scratch_write(const char *name, const char *content)
{
    return scratch_write_len(name, content, strlen(content));
}

/* ---- argv building ------------------------------------------------------ */

typedef struct Args {
    int argc;
    char *argv[96];
} Args;

static void args_add(Args *a, const char *s)
{
    assert_true(a->argc < 95);
    a->argv[a->argc++] = xstrdup(s);
    a->argv[a->argc] = NULL;
}

static void args_init(Args *a, const char *program)
{
    a->argc = 0;
    args_add(a, program);
}

/* Add prefix+name, then value when not NULL. */
static void args_opt(Args *a, const char *prefix, const char *name, const char *value)
{
    char *opt = xasprintf("%s%s", prefix, name);
    args_add(a, opt);
    free(opt);
    if (value)
        args_add(a, value);
}

static void args_add_list(Args *a, const char *const *list)
{
    for (; *list; list++)
        args_add(a, *list);
}

/* getopt permutes argv but keeps the same pointers, so freeing them all is
 * right whatever the order. */
static void args_free(Args *a)
{
    for (int i = 0; i < a->argc; i++)
        free(a->argv[i]);
    a->argc = 0;
}

static char *args_join(const Args *a)
{
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < a->argc; i++)
        sb_printf(&sb, "%s[%s]", i ? " " : "", a->argv[i]);
    return sb_steal(&sb);
}

/* ---- checks --------------------------------------------------------------- */

static void fail_with_error(Error *err, const char *what)
{
    char msg[2048];
    snprintf(msg, sizeof msg, "%s: unexpected error: %s (detail: %s, hint: %s)", what,
             err->message, err->detail ? err->detail : "-", err->hint ? err->hint : "-");
    error_free(err);
    fail_msg("%s", msg);
}

static void expect_ok(Error *err, const char *what)
{
    if (err)
        fail_with_error(err, what);
}

/* Primary messages follow PostgreSQL's style: lower case, no final period. */
static bool message_in_style(const char *m)
{
    size_t n = strlen(m);
    return n > 0 && !(m[0] >= 'A' && m[0] <= 'Z') && m[n - 1] != '.';
}

/* err is a usage error whose message holds fragment; when program is not
 * NULL its hint must point to "program --help". Frees err. */
static void expect_usage(Error *err, const char *program, const char *fragment,
                         const char *what)
{
    if (!err)
        fail_msg("%s: expected a usage error containing \"%s\", got success", what, fragment);
    char msg[2048] = "";
    if (err->code != ERR_USAGE || !strstr(err->message, fragment))
        snprintf(msg, sizeof msg, "%s: code %d, message \"%s\"; expected ERR_USAGE with \"%s\"",
                 what, (int)err->code, err->message, fragment);
    else if (!message_in_style(err->message))
        snprintf(msg, sizeof msg, "%s: message not lower case without final period: \"%s\"",
                 what, err->message);
    else if (program) {
        char *want = xasprintf("%s --help", program);
        if (!err->hint || !strstr(err->hint, want))
            snprintf(msg, sizeof msg, "%s: hint \"%s\" does not point to %s", what,
                     err->hint ? err->hint : "(none)", want);
        free(want);
    }
    error_free(err);
    if (msg[0])
        fail_msg("%s", msg);
}

static void expect_list(const StrList *l, const char *const *want, const char *what)
{
    size_t n = 0;
    while (want[n])
        n++;
    if (l->n != n)
        fail_msg("%s: %zu entries, expected %zu", what, l->n, n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(l->items[i], want[i]) != 0)
            fail_msg("%s[%zu]: [%s], expected [%s]", what, i, l->items[i], want[i]);
}

/* ---- parsing helpers ------------------------------------------------------ */

/* Parse program [base arguments] list..., free the options, return the
 * error. The base arguments satisfy the required options (--dbname,
 * --timestamp) so that the list alone decides the outcome. */
static Error *parse_cmd(int cmd, bool base, const char *const *list, char **joined)
{
    Args a;
    args_init(&a, program_names[cmd]);
    if (base && cmd == CMD_BACKUP)
        args_add_list(&a, LIST("--dbname", "db"));
    if (base && cmd == CMD_RESTORE)
        args_add_list(&a, LIST("--timestamp", "20240102030405"));
    args_add_list(&a, list);
    *joined = args_join(&a);
    Error *err;
    if (cmd == CMD_BACKUP) {
        BackupOptions o;
        err = backup_options_parse(a.argc, a.argv, &o);
        backup_options_free(&o);
    } else {
        RestoreOptions o;
        err = restore_options_parse(a.argc, a.argv, &o);
        restore_options_free(&o);
    }
    args_free(&a);
    return err;
}

static void rejects(int cmd, bool base, const char *fragment, const char *const *list)
{
    char *joined;
    Error *err = parse_cmd(cmd, base, list, &joined);
    char what[1024];
    snprintf(what, sizeof what, "%s", joined);
    free(joined);
    expect_usage(err, program_names[cmd], fragment, what);
}

static void accepts(int cmd, const char *const *list)
{
    char *joined;
    Error *err = parse_cmd(cmd, true, list, &joined);
    char what[1024];
    snprintf(what, sizeof what, "%s", joined);
    free(joined);
    expect_ok(err, what);
}

#define BACKUP_REJECTS(fragment, ...) rejects(CMD_BACKUP, true, (fragment), LIST(__VA_ARGS__))
#define RESTORE_REJECTS(fragment, ...) rejects(CMD_RESTORE, true, (fragment), LIST(__VA_ARGS__))
#define BOTH_REJECT(fragment, ...)                                                          \
    do {                                                                                    \
        rejects(CMD_BACKUP, true, (fragment), LIST(__VA_ARGS__));                           \
        rejects(CMD_RESTORE, true, (fragment), LIST(__VA_ARGS__));                          \
    } while (0)
#define BACKUP_ACCEPTS(...) accepts(CMD_BACKUP, LIST(__VA_ARGS__))
#define RESTORE_ACCEPTS(...) accepts(CMD_RESTORE, LIST(__VA_ARGS__))
#define BOTH_ACCEPT(...)                                                                    \
    do {                                                                                    \
        accepts(CMD_BACKUP, LIST(__VA_ARGS__));                                             \
        accepts(CMD_RESTORE, LIST(__VA_ARGS__));                                            \
    } while (0)

static Error *backup_parse_args(Args *a, BackupOptions *o)
{
    Error *err = backup_options_parse(a->argc, a->argv, o);
    args_free(a);
    return err;
}

static Error *restore_parse_args(Args *a, RestoreOptions *o)
{
    Error *err = restore_options_parse(a->argc, a->argv, o);
    args_free(a);
    return err;
}

static Error *backup_parse_list(const char *const *list, BackupOptions *o)
{
    Args a;
    args_init(&a, "gpbackup");
    args_add_list(&a, list);
    return backup_parse_args(&a, o);
}

static Error *restore_parse_list(const char *const *list, RestoreOptions *o)
{
    Args a;
    args_init(&a, "gprestore");
    args_add_list(&a, list);
    return restore_parse_args(&a, o);
}

/* ---- defaults ------------------------------------------------------------ */

static void test_backup_defaults(void **state)
{
    setenv("COORDINATOR_DATA_DIRECTORY", "/data/coordinator/gpseg-1", 1);
    BackupOptions o;
    expect_ok(backup_parse_list(LIST("--dbname", "db"), &o), "defaults");
    assert_string_equal(o.conn.dbname, "db");
    assert_null(o.conn.host);
    assert_null(o.conn.port);
    assert_null(o.conn.username);
    assert_int_equal(o.jobs, 1);
    assert_int_equal(o.compression, CODEC_ZSTD);
    assert_int_equal(o.compression_level, 1);
    assert_false(o.compression_type_given);
    assert_false(o.compression_level_given);
    assert_false(o.no_compression);
    assert_false(o.data_only);
    assert_false(o.metadata_only);
    assert_int_equal(o.lock_wait_timeout, 0);
    assert_false(o.without_globals);
    assert_false(o.with_stats);
    assert_int_equal(o.log_level, LOG_INFO);
    assert_false(o.help);
    assert_false(o.version);
    assert_string_equal(o.backup_dir, "/data/coordinator/gpseg-1");
    assert_int_equal(o.filter.include_schemas.n, 0);
    assert_int_equal(o.filter.exclude_schemas.n, 0);
    assert_int_equal(o.filter.include_table_schemas.n, 0);
    assert_int_equal(o.filter.exclude_table_schemas.n, 0);
    backup_options_free(&o);

    /* Each codec has its own default level. */
    expect_ok(backup_parse_list(LIST("--dbname", "db", "--compression-type", "gzip"), &o),
              "gzip");
    assert_int_equal(o.compression, CODEC_GZIP);
    assert_int_equal(o.compression_level, 1);
    assert_true(o.compression_type_given);
    backup_options_free(&o);
    expect_ok(backup_parse_list(LIST("--dbname", "db", "--compression-type", "none"), &o),
              "none");
    assert_int_equal(o.compression, CODEC_NONE);
    assert_int_equal(o.compression_level, 0);
    backup_options_free(&o);
    expect_ok(backup_parse_list(LIST("--dbname", "db", "--no-compression"), &o), "no-compr");
    assert_int_equal(o.compression, CODEC_NONE);
    assert_int_equal(o.compression_level, 0);
    assert_true(o.no_compression);
    /* Packed data unless told otherwise. */
    assert_int_equal(o.data_format, DATA_FORMAT_PACKED);
    assert_false(o.data_format_given);
    backup_options_free(&o);
    unsetenv("COORDINATOR_DATA_DIRECTORY");
}

static void test_restore_defaults(void **state)
{
    setenv("COORDINATOR_DATA_DIRECTORY", "/data/coordinator", 1);
    RestoreOptions o;
    expect_ok(restore_parse_list(LIST("--timestamp", "20240102030405"), &o), "defaults");
    assert_string_equal(o.timestamp, "20240102030405");
    assert_null(o.conn.dbname);
    assert_null(o.conn.host);
    assert_null(o.conn.port);
    assert_null(o.conn.username);
    assert_int_equal(o.jobs, 1);
    assert_false(o.create_db);
    assert_null(o.redirect_db);
    assert_false(o.data_only);
    assert_false(o.metadata_only);
    assert_false(o.on_error_continue);
    assert_false(o.with_globals);
    assert_false(o.with_stats);
    assert_false(o.run_analyze);
    assert_int_equal(o.log_level, LOG_INFO);
    assert_false(o.help);
    assert_false(o.version);
    assert_string_equal(o.backup_dir, "/data/coordinator");
    assert_int_equal(o.filter.include_schemas.n, 0);
    assert_int_equal(o.filter.include_table_schemas.n, 0);
    restore_options_free(&o);
    unsetenv("COORDINATOR_DATA_DIRECTORY");
}

static void test_default_backup_dir(void **state)
{
    char *cwd = getcwd(NULL, 0);
    assert_non_null(cwd);

    setenv("COORDINATOR_DATA_DIRECTORY", "/coord/dir", 1);
    setenv("MASTER_DATA_DIRECTORY", "/master/dir", 1);
    char *d = options_default_backup_dir();
    assert_string_equal(d, "/coord/dir");
    free(d);

    /* An empty variable counts as unset. */
    setenv("COORDINATOR_DATA_DIRECTORY", "", 1);
    d = options_default_backup_dir();
    assert_string_equal(d, "/master/dir");
    free(d);

    unsetenv("COORDINATOR_DATA_DIRECTORY");
    d = options_default_backup_dir();
    assert_string_equal(d, "/master/dir");
    free(d);

    /* Both parsers use it when --backup-dir is absent, and not otherwise. */
    BackupOptions b;
    expect_ok(backup_parse_list(LIST("--dbname", "db"), &b), "backup default dir");
    assert_string_equal(b.backup_dir, "/master/dir");
    backup_options_free(&b);
    expect_ok(backup_parse_list(LIST("--dbname", "db", "--backup-dir", "/given"), &b),
              "backup given dir");
    assert_string_equal(b.backup_dir, "/given");
    backup_options_free(&b);
    RestoreOptions r;
    expect_ok(restore_parse_list(LIST("--timestamp", "20240102030405"), &r),
              "restore default dir");
    assert_string_equal(r.backup_dir, "/master/dir");
    restore_options_free(&r);
    expect_ok(restore_parse_list(LIST("--timestamp", "20240102030405", "-backup-dir", "/g"),
                                 &r),
              "restore given dir");
    assert_string_equal(r.backup_dir, "/g");
    restore_options_free(&r);

    unsetenv("MASTER_DATA_DIRECTORY");
    d = options_default_backup_dir();
    assert_string_equal(d, cwd);
    free(d);
    setenv("MASTER_DATA_DIRECTORY", "", 1);
    d = options_default_backup_dir();
    assert_string_equal(d, cwd);
    free(d);
    unsetenv("MASTER_DATA_DIRECTORY");

    /* A relative setting is not a backup directory. */
    setenv("COORDINATOR_DATA_DIRECTORY", "relative/dir", 1);
    d = options_default_backup_dir();
    assert_string_equal(d, cwd);
    free(d);
    unsetenv("COORDINATOR_DATA_DIRECTORY");
    free(cwd);
}

/* ---- every option, both spellings ----------------------------------------- */

static const char *const prefixes[] = {"--", "-"};

static void test_backup_every_option(void **state)
{
    char *schemas = scratch_write("b_schemas", "s3\n\"s 4\"\n");
    char *xschemas = scratch_write("b_xschemas", "s5\n");
    char *xtables = scratch_write("b_xtables", "x.y\n");
    char *tables = scratch_write("b_tables", "u.\"v w\"\n");
    for (size_t k = 0; k < 2; k++) {
        const char *p = prefixes[k];
        Args a;
        BackupOptions o;
        args_init(&a, "gpbackup");
        args_opt(&a, p, "dbname", "mydb");
        args_opt(&a, p, "host", "h1");
        args_opt(&a, p, "port", "5433");
        args_opt(&a, p, "username", "u1");
        args_opt(&a, p, "backup-dir", "/abs/dir");
        args_opt(&a, p, "jobs", "7");
        args_opt(&a, p, "compression-type", "gzip");
        args_opt(&a, p, "compression-level", "9");
        args_opt(&a, p, "include-schema", "s1");
        args_opt(&a, p, "include-schema-file", schemas);
        args_opt(&a, p, "exclude-schema", "s2");
        args_opt(&a, p, "exclude-schema-file", xschemas);
        args_opt(&a, p, "exclude-table", "a.b");
        args_opt(&a, p, "exclude-table-file", xtables);
        args_opt(&a, p, "data-only", NULL);
        args_opt(&a, p, "lock-wait-timeout", "30");
        args_opt(&a, p, "data-format", "csv");
        args_opt(&a, p, "without-globals", NULL);
        args_opt(&a, p, "with-stats", NULL);
        args_opt(&a, p, "verbose", NULL);
        expect_ok(backup_parse_args(&a, &o), p);
        assert_string_equal(o.conn.dbname, "mydb");
        assert_string_equal(o.conn.host, "h1");
        assert_string_equal(o.conn.port, "5433");
        assert_string_equal(o.conn.username, "u1");
        assert_string_equal(o.backup_dir, "/abs/dir");
        assert_int_equal(o.jobs, 7);
        assert_int_equal(o.compression, CODEC_GZIP);
        assert_int_equal(o.compression_level, 9);
        assert_true(o.compression_type_given);
        assert_true(o.compression_level_given);
        expect_list(&o.filter.include_schemas, LIST("s1", "s3", "s 4"), "include schemas");
        expect_list(&o.filter.exclude_schemas, LIST("s2", "s5"), "exclude schemas");
        expect_list(&o.filter.exclude_table_schemas, LIST("a", "x"), "exclude table schemas");
        expect_list(&o.filter.exclude_table_names, LIST("b", "y"), "exclude table names");
        assert_int_equal(o.filter.include_table_schemas.n, 0);
        assert_true(o.data_only);
        assert_false(o.metadata_only);
        assert_int_equal(o.lock_wait_timeout, 30);
        assert_int_equal(o.data_format, DATA_FORMAT_CSV);
        assert_true(o.data_format_given);
        assert_true(o.without_globals);
        assert_true(o.with_stats);
        assert_int_equal(o.log_level, LOG_VERBOSE);
        assert_false(o.help);
        assert_false(o.version);
        backup_options_free(&o);

        /* The options that conflict with the ones above. */
        args_init(&a, "gpbackup");
        args_opt(&a, p, "dbname", "d2");
        args_opt(&a, p, "include-table", "s.t");
        args_opt(&a, p, "include-table-file", tables);
        args_opt(&a, p, "metadata-only", NULL);
        args_opt(&a, p, "quiet", NULL);
        args_opt(&a, p, "no-compression", NULL);
        expect_ok(backup_parse_args(&a, &o), p);
        assert_string_equal(o.conn.dbname, "d2");
        expect_list(&o.filter.include_table_schemas, LIST("s", "u"), "include table schemas");
        expect_list(&o.filter.include_table_names, LIST("t", "v w"), "include table names");
        assert_true(o.metadata_only);
        assert_false(o.data_only);
        assert_int_equal(o.log_level, LOG_WARNING);
        assert_true(o.no_compression);
        assert_int_equal(o.compression, CODEC_NONE);
        backup_options_free(&o);

        args_init(&a, "gpbackup");
        args_opt(&a, p, "dbname", "d3");
        args_opt(&a, p, "debug", NULL);
        args_opt(&a, p, "compression-type", "zstd");
        args_opt(&a, p, "compression-level", "19");
        expect_ok(backup_parse_args(&a, &o), p);
        assert_int_equal(o.log_level, LOG_DEBUG);
        assert_int_equal(o.compression, CODEC_ZSTD);
        assert_int_equal(o.compression_level, 19);
        backup_options_free(&o);

        args_init(&a, "gpbackup");
        args_opt(&a, p, "help", NULL);
        expect_ok(backup_parse_args(&a, &o), p);
        assert_true(o.help);
        assert_false(o.version);
        backup_options_free(&o);

        args_init(&a, "gpbackup");
        args_opt(&a, p, "version", NULL);
        expect_ok(backup_parse_args(&a, &o), p);
        assert_true(o.version);
        assert_false(o.help);
        backup_options_free(&o);

        /* name=value works in both spellings too. */
        args_init(&a, "gpbackup");
        args_opt(&a, p, "dbname=a=b", NULL);
        args_opt(&a, p, "jobs=12", NULL);
        args_opt(&a, p, "include-table=\"x.y\".z", NULL);
        expect_ok(backup_parse_args(&a, &o), p);
        assert_string_equal(o.conn.dbname, "a=b");
        assert_int_equal(o.jobs, 12);
        expect_list(&o.filter.include_table_schemas, LIST("x.y"), "include table schemas");
        expect_list(&o.filter.include_table_names, LIST("z"), "include table names");
        backup_options_free(&o);
    }
    free(schemas);
    free(xschemas);
    free(xtables);
    free(tables);
}

static void test_restore_every_option(void **state)
{
    char *schemas = scratch_write("r_schemas", "s3\n");
    char *xschemas = scratch_write("r_xschemas", "\"s.5\"\n");
    char *xtables = scratch_write("r_xtables", "x.y\n");
    char *tables = scratch_write("r_tables", "u.v\n");
    for (size_t k = 0; k < 2; k++) {
        const char *p = prefixes[k];
        Args a;
        RestoreOptions o;
        args_init(&a, "gprestore");
        args_opt(&a, p, "timestamp", "20231231235959");
        args_opt(&a, p, "dbname", "postgres");
        args_opt(&a, p, "host", "h1");
        args_opt(&a, p, "port", "6000");
        args_opt(&a, p, "username", "u1");
        args_opt(&a, p, "backup-dir", "/abs");
        args_opt(&a, p, "jobs", "512");
        args_opt(&a, p, "create-db", NULL);
        args_opt(&a, p, "redirect-db", "newdb");
        args_opt(&a, p, "include-schema", "s1");
        args_opt(&a, p, "include-schema-file", schemas);
        args_opt(&a, p, "exclude-schema", "s2");
        args_opt(&a, p, "exclude-schema-file", xschemas);
        args_opt(&a, p, "exclude-table", "a.b");
        args_opt(&a, p, "exclude-table-file", xtables);
        args_opt(&a, p, "metadata-only", NULL);
        args_opt(&a, p, "on-error-continue", NULL);
        args_opt(&a, p, "with-globals", NULL);
        args_opt(&a, p, "with-stats", NULL);
        args_opt(&a, p, "verbose", NULL);
        expect_ok(restore_parse_args(&a, &o), p);
        assert_string_equal(o.timestamp, "20231231235959");
        assert_string_equal(o.conn.dbname, "postgres");
        assert_string_equal(o.conn.host, "h1");
        assert_string_equal(o.conn.port, "6000");
        assert_string_equal(o.conn.username, "u1");
        assert_string_equal(o.backup_dir, "/abs");
        assert_int_equal(o.jobs, 512);
        assert_true(o.create_db);
        assert_string_equal(o.redirect_db, "newdb");
        expect_list(&o.filter.include_schemas, LIST("s1", "s3"), "include schemas");
        expect_list(&o.filter.exclude_schemas, LIST("s2", "s.5"), "exclude schemas");
        expect_list(&o.filter.exclude_table_schemas, LIST("a", "x"), "exclude table schemas");
        expect_list(&o.filter.exclude_table_names, LIST("b", "y"), "exclude table names");
        assert_true(o.metadata_only);
        assert_false(o.data_only);
        assert_true(o.on_error_continue);
        assert_true(o.with_globals);
        assert_true(o.with_stats);
        assert_false(o.run_analyze);
        assert_int_equal(o.log_level, LOG_VERBOSE);
        assert_false(o.help);
        assert_false(o.version);
        restore_options_free(&o);

        args_init(&a, "gprestore");
        args_opt(&a, p, "timestamp", "20231231235959");
        args_opt(&a, p, "include-table", "s.t");
        args_opt(&a, p, "include-table-file", tables);
        args_opt(&a, p, "data-only", NULL);
        args_opt(&a, p, "run-analyze", NULL);
        args_opt(&a, p, "quiet", NULL);
        expect_ok(restore_parse_args(&a, &o), p);
        expect_list(&o.filter.include_table_schemas, LIST("s", "u"), "include table schemas");
        expect_list(&o.filter.include_table_names, LIST("t", "v"), "include table names");
        assert_true(o.data_only);
        assert_false(o.create_db);
        assert_true(o.run_analyze);
        assert_false(o.with_globals);
        assert_false(o.with_stats);
        assert_int_equal(o.log_level, LOG_WARNING);
        restore_options_free(&o);

        args_init(&a, "gprestore");
        args_opt(&a, p, "timestamp=20231231235959", NULL);
        args_opt(&a, p, "debug", NULL);
        args_opt(&a, p, "jobs=3", NULL);
        expect_ok(restore_parse_args(&a, &o), p);
        assert_string_equal(o.timestamp, "20231231235959");
        assert_int_equal(o.log_level, LOG_DEBUG);
        assert_int_equal(o.jobs, 3);
        restore_options_free(&o);

        args_init(&a, "gprestore");
        args_opt(&a, p, "help", NULL);
        expect_ok(restore_parse_args(&a, &o), p);
        assert_true(o.help);
        restore_options_free(&o);

        args_init(&a, "gprestore");
        args_opt(&a, p, "version", NULL);
        expect_ok(restore_parse_args(&a, &o), p);
        assert_true(o.version);
        restore_options_free(&o);
    }
    free(schemas);
    free(xschemas);
    free(xtables);
    free(tables);
}

/* ---- repeatable filters and filter files ---------------------------------- */

static void test_repeatable_filters(void **state)
{
    BackupOptions o;
    expect_ok(backup_parse_list(LIST("--dbname", "db", "--include-schema", "a",
                                     "-include-schema", "\"b.c\"", "--include-schema", "a",
                                     "--exclude-schema", "x", "--exclude-schema", "\"y \"\"z\"\"\"",
                                     "--exclude-table", "s.t1", "-exclude-table", "\"s.x\".\"t 2\"",
                                     "--exclude-table", "Public.T"),
                                &o),
              "repeat");
    /* Order kept, duplicates harmless. */
    expect_list(&o.filter.include_schemas, LIST("a", "b.c", "a"), "include schemas");
    expect_list(&o.filter.exclude_schemas, LIST("x", "y \"z\""), "exclude schemas");
    expect_list(&o.filter.exclude_table_schemas, LIST("s", "s.x", "Public"), "ex schemas");
    expect_list(&o.filter.exclude_table_names, LIST("t1", "t 2", "T"), "ex names");
    backup_options_free(&o);

    RestoreOptions r;
    expect_ok(restore_parse_list(LIST("--timestamp", "20240102030405", "--include-table", "a.b",
                                      "--include-table", "c.\"d.e\"", "-include-table", "日本.語"),
                                 &r),
              "repeat restore");
    expect_list(&r.filter.include_table_schemas, LIST("a", "c", "日本"), "inc schemas");
    expect_list(&r.filter.include_table_names, LIST("b", "d.e", "語"), "inc names");
    assert_true(filter_has_table_includes(&r.filter));
    restore_options_free(&r);
}

static void test_filter_files(void **state)
{
    /* Comments, blank and blank-looking lines, CRLF, quotes, no final newline. */
    char *schemas = scratch_write("schemas.txt",
                                  "# leading comment\n"
                                  "\"my schema\"\n"
                                  "\n"
                                  "   \n"
                                  "public\r\n"
                                  "\"we\"\"ird\"\r\n"
                                  "\r\n"
                                  "\"a.b\"  \t\n"
                                  "# another comment\r\n"
                                  "\n\n"
                                  "last");
    char *tables = scratch_write("tables.txt",
                                 "public.t1\r\n"
                                 "\"s.x\".\"t y\"\n"
                                 "\n"
                                 "#c\n"
                                 "\"q\"\"s\".plain  \n"
                                 "  \t\n"
                                 "日本.\"語 語\"\r\n"
                                 "x.\"end \"");
    char *empty = scratch_write("empty.txt", "");
    char *comments = scratch_write("comments.txt", "# nothing\r\n\r\n#\n");

    BackupOptions o;
    expect_ok(backup_parse_list(LIST("--dbname", "db", "--include-schema-file", schemas,
                                     "--exclude-schema-file", empty, "--exclude-table-file",
                                     tables, "--exclude-table-file", comments,
                                     "--exclude-table", "z.z"),
                                &o),
              "files");
    expect_list(&o.filter.include_schemas, LIST("my schema", "public", "we\"ird", "a.b", "last"),
                "include schemas");
    assert_int_equal(o.filter.exclude_schemas.n, 0);
    expect_list(&o.filter.exclude_table_schemas, LIST("public", "s.x", "q\"s", "日本", "x", "z"),
                "exclude table schemas");
    expect_list(&o.filter.exclude_table_names, LIST("t1", "t y", "plain", "語 語", "end ", "z"),
                "exclude table names");
    backup_options_free(&o);

    RestoreOptions r;
    expect_ok(restore_parse_list(LIST("--timestamp", "20240102030405", "-include-table-file",
                                      tables, "-exclude-schema-file", schemas),
                                 &r),
              "restore files");
    expect_list(&r.filter.include_table_schemas, LIST("public", "s.x", "q\"s", "日本", "x"),
                "include table schemas");
    expect_list(&r.filter.include_table_names, LIST("t1", "t y", "plain", "語 語", "end "),
                "include table names");
    expect_list(&r.filter.exclude_schemas, LIST("my schema", "public", "we\"ird", "a.b", "last"),
                "exclude schemas");
    restore_options_free(&r);

    free(schemas);
    free(tables);
    free(empty);
    free(comments);
}

static void test_filter_file_errors(void **state)
{
    /* A bad line is reported with the file and its line number. */
    char *bad = scratch_write("bad_tables.txt", "public.t1\n# comment\nnotqualified\n");
    BackupOptions o;
    Error *err = backup_parse_list(LIST("--dbname", "db", "--include-table-file", bad), &o);
    backup_options_free(&o);
    assert_non_null(err);
    assert_int_equal(err->code, ERR_USAGE);
    assert_non_null(strstr(err->message, bad));
    assert_non_null(strstr(err->message, ":3: "));
    assert_non_null(strstr(err->message, "schema.table"));
    error_free(err);

    /* Blank lines count: the bad line is line 4. */
    char *blank = scratch_write("blank_tables.txt", "public.t1\n\n\nnotqualified\n");
    err = backup_parse_list(LIST("--dbname", "db", "--include-table-file", blank), &o);
    backup_options_free(&o);
    assert_non_null(err);
    assert_non_null(strstr(err->message, ":4: "));
    error_free(err);
    free(blank);

    /* An include file that names nothing would mean "everything": refused. */
    char *empty = scratch_write("empty_tables.txt", "# nothing\n\n");
    err = backup_parse_list(LIST("--dbname", "db", "--include-table-file", empty), &o);
    backup_options_free(&o);
    assert_non_null(err);
    assert_int_equal(err->code, ERR_USAGE);
    assert_non_null(strstr(err->message, "names no table"));
    error_free(err);
    free(empty);

    char *quote = scratch_write("bad_quote.txt", "\"unterminated\n");
    RestoreOptions r;
    err = restore_parse_list(LIST("--timestamp", "20240102030405", "--exclude-schema-file",
                                  quote),
                             &r);
    restore_options_free(&r);
    assert_non_null(err);
    assert_int_equal(err->code, ERR_USAGE);
    assert_non_null(strstr(err->message, ":1: "));
    assert_non_null(strstr(err->message, "unterminated"));
    error_free(err);

    char *nul = scratch_write_len("nul.txt", "public\0evil\n", 12);
    err = backup_parse_list(LIST("--dbname", "db", "--include-schema-file", nul), &o);
    backup_options_free(&o);
    expect_usage(err, NULL, "NUL byte", "NUL in file");

    /* A missing file is an error naming it. */
    char *missing = xasprintf("%s/does-not-exist", scratch_dir);
    err = backup_parse_list(LIST("--dbname", "db", "--exclude-table-file", missing), &o);
    backup_options_free(&o);
    assert_non_null(err);
    assert_non_null(strstr(err->message, missing));
    assert_true(message_in_style(err->message));
    error_free(err);

    /* Names on the command line are checked as in files. */
    expect_usage(backup_parse_list(LIST("--dbname", "db", "--include-table", "t"), &o), NULL,
                 "schema.table", "unqualified table");
    backup_options_free(&o);
    expect_usage(backup_parse_list(LIST("--dbname", "db", "--exclude-schema", "\"x"), &o), NULL,
                 "unterminated", "bad schema");
    backup_options_free(&o);

    free(bad);
    free(quote);
    free(nul);
    free(missing);
}

/* ---- rejections --------------------------------------------------------- */

static void test_unknown_option(void **state)
{
    BOTH_REJECT("unrecognized option \"--bogus\"", "--bogus");
    BOTH_REJECT("unrecognized option \"-bogus\"", "-bogus");
    BOTH_REJECT("unrecognized option", "--bogus=1");
    BOTH_REJECT("unrecognized option", "-x");
    /* Options of the other command. */
    BACKUP_REJECTS("unrecognized option", "--create-db");
    BACKUP_REJECTS("unrecognized option", "--timestamp", "20240102030405");
    BACKUP_REJECTS("unrecognized option", "--on-error-continue");
    RESTORE_REJECTS("unrecognized option", "--compression-type", "zstd");
    RESTORE_REJECTS("unrecognized option", "--no-compression");
    RESTORE_REJECTS("unrecognized option", "-lock-wait-timeout", "5");
    RESTORE_REJECTS("unrecognized option", "--data-format", "csv");
}

static void test_data_format(void **state)
{
    (void)state;
    BackupOptions o;
    expect_ok(backup_parse_list(LIST("--dbname", "db", "--data-format", "binary"), &o), "binary");
    assert_int_equal(o.data_format, DATA_FORMAT_BINARY);
    assert_true(o.data_format_given);
    backup_options_free(&o);
    /* csv with --server-side; binary is refused there, naming why. */
    expect_ok(backup_parse_list(LIST("--dbname", "db", "--server-side", "--data-format", "csv"),
                                &o),
              "csv server-side");
    assert_int_equal(o.data_format, DATA_FORMAT_CSV);
    backup_options_free(&o);
    BACKUP_REJECTS("option --data-format binary cannot be used with --server-side",
                   "--dbname", "db", "--server-side", "--data-format", "binary");
    BACKUP_REJECTS("option --data-format packed cannot be used with --server-side",
                   "--dbname", "db", "--server-side", "--data-format", "packed");
    expect_ok(backup_parse_list(LIST("--dbname", "db", "--data-format", "packed"), &o), "packed");
    assert_int_equal(o.data_format, DATA_FORMAT_PACKED);
    assert_true(o.data_format_given);
    backup_options_free(&o);
    BACKUP_REJECTS("invalid value \"text\" for option --data-format", "--dbname", "db",
                   "--data-format", "text");
    BACKUP_REJECTS("invalid value \"CSV\" for option --data-format", "--dbname", "db",
                   "--data-format", "CSV");
    DataFormat f = DATA_FORMAT_CSV;
    assert_true(data_format_parse("binary", &f));
    assert_int_equal(f, DATA_FORMAT_BINARY);
    assert_string_equal(data_format_name(f), "binary");
    assert_true(data_format_parse("csv", &f));
    assert_string_equal(data_format_name(f), "csv");
    assert_true(data_format_parse("packed", &f));
    assert_int_equal(f, DATA_FORMAT_PACKED);
    assert_string_equal(data_format_name(f), "packed");
    assert_false(data_format_parse("", &f));
    assert_false(data_format_parse("binary ", &f));
}

static void test_missing_value(void **state)
{
    static const char *const common[] = {
        "dbname", "host", "port", "username", "backup-dir", "jobs", "include-schema",
        "include-schema-file", "exclude-schema", "exclude-schema-file", "include-table",
        "include-table-file", "exclude-table", "exclude-table-file",
    };
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
        for (size_t k = 0; k < 2; k++) {
            char *opt = xasprintf("%s%s", prefixes[k], common[i]);
            char *fragment = xasprintf("option \"%s\" requires a value", opt);
            rejects(CMD_BACKUP, true, fragment, LIST(opt));
            rejects(CMD_RESTORE, true, fragment, LIST(opt));
            free(opt);
            free(fragment);
        }
    BACKUP_REJECTS("option \"--compression-type\" requires a value", "--compression-type");
    BACKUP_REJECTS("option \"-compression-level\" requires a value", "-compression-level");
    BACKUP_REJECTS("option \"--lock-wait-timeout\" requires a value", "--lock-wait-timeout");
    BACKUP_REJECTS("option \"--data-format\" requires a value", "--data-format");
    RESTORE_REJECTS("option \"--redirect-db\" requires a value", "--redirect-db");
    rejects(CMD_RESTORE, false, "option \"--timestamp\" requires a value", LIST("--timestamp"));
}

static void test_jobs(void **state)
{
    static const char *const bad[] = {"0", "abc", "513", "-1", "", "4x", "1.5",
                                      "99999999999999999999", "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *fragment = xasprintf("invalid value \"%s\" for option --jobs", bad[i]);
        rejects(CMD_BACKUP, true, fragment, LIST("--jobs", bad[i]));
        rejects(CMD_RESTORE, true, fragment, LIST("-jobs", bad[i]));
        free(fragment);
    }
    BOTH_ACCEPT("--jobs", "1");
    BOTH_ACCEPT("--jobs", "512");
    BOTH_ACCEPT("--jobs", "64");

    /* The detail states the range. */
    char *joined;
    Error *err = parse_cmd(CMD_BACKUP, true, LIST("--jobs", "513"), &joined);
    free(joined);
    assert_non_null(err);
    assert_non_null(err->detail);
    assert_non_null(strstr(err->detail, "1 to 512"));
    error_free(err);
}

static void test_other_numbers(void **state)
{
    BOTH_REJECT("invalid value \"0\" for option --port", "--port", "0");
    BOTH_REJECT("invalid value \"65536\" for option --port", "--port", "65536");
    BOTH_REJECT("invalid value \"pg\" for option --port", "--port", "pg");
    BOTH_ACCEPT("--port", "1");
    BOTH_ACCEPT("--port", "65535");
    BACKUP_REJECTS("invalid value \"-1\" for option --lock-wait-timeout", "--lock-wait-timeout",
                   "-1");
    BACKUP_REJECTS("invalid value \"soon\" for option --lock-wait-timeout",
                   "--lock-wait-timeout", "soon");
    BACKUP_REJECTS("for option --lock-wait-timeout", "--lock-wait-timeout", "2147484");
    BACKUP_ACCEPTS("--lock-wait-timeout", "0");
    BACKUP_ACCEPTS("--lock-wait-timeout", "2147483");
}

static void test_compression(void **state)
{
    BACKUP_REJECTS("invalid compression type \"lz4\"", "--compression-type", "lz4");
    BACKUP_REJECTS("invalid compression type \"ZSTD\"", "--compression-type", "ZSTD");
    BACKUP_REJECTS("invalid compression type \"\"", "--compression-type", "");

    static const struct {
        const char *type, *level, *detail;
    } bad[] = {
        {"zstd", "0", "from 1 to 19"}, {"zstd", "20", "from 1 to 19"},
        {"zstd", "22", "from 1 to 19"}, {"gzip", "0", "from 1 to 9"},
        {"gzip", "10", "from 1 to 9"}, {"gzip", "19", "from 1 to 9"},
        {"none", "1", "takes no level"}, {"none", "9", "takes no level"},
        {"zstd", "23", NULL}, {"gzip", "-1", NULL}, {"zstd", "one", NULL},
        {"zstd", "", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        /* Either order of the two options. */
        for (int order = 0; order < 2; order++) {
            const char *const *list =
                order ? LIST("--compression-level", bad[i].level, "--compression-type", bad[i].type)
                      : LIST("-compression-type", bad[i].type, "-compression-level", bad[i].level);
            char *fragment =
                xasprintf("invalid value \"%s\" for option --compression-level", bad[i].level);
            char *joined;
            Error *err = parse_cmd(CMD_BACKUP, true, list, &joined);
            if (bad[i].detail && err && (!err->detail || !strstr(err->detail, bad[i].detail))) {
                char msg[512];
                snprintf(msg, sizeof msg, "%s: detail \"%s\", expected \"%s\"", joined,
                         err->detail ? err->detail : "(none)", bad[i].detail);
                error_free(err);
                free(joined);
                free(fragment);
                fail_msg("%s", msg);
            }
            expect_usage(err, "gpbackup", fragment, joined);
            free(fragment);
            free(joined);
        }
    }
    /* Without a type, the level is checked against zstd's range. */
    BACKUP_REJECTS("invalid value \"20\" for option --compression-level",
                   "--compression-level", "20");
    BACKUP_ACCEPTS("--compression-level", "19");

    static const struct {
        const char *type, *level;
        CodecType want;
    } good[] = {
        {"zstd", "1", CODEC_ZSTD}, {"zstd", "19", CODEC_ZSTD}, {"gzip", "1", CODEC_GZIP},
        {"gzip", "9", CODEC_GZIP}, {"zstd", "07", CODEC_ZSTD},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        BackupOptions o;
        expect_ok(backup_parse_list(LIST("--dbname", "db", "--compression-level", good[i].level,
                                         "--compression-type", good[i].type),
                                    &o),
                  good[i].level);
        assert_int_equal(o.compression, good[i].want);
        assert_int_equal(o.compression_level, atoi(good[i].level));
        backup_options_free(&o);
    }

    /* --no-compression excludes both. */
    BACKUP_REJECTS("option --no-compression cannot be used with", "--no-compression",
                   "--compression-type", "gzip");
    BACKUP_REJECTS("option --no-compression cannot be used with", "--compression-type", "none",
                   "--no-compression");
    BACKUP_REJECTS("option --no-compression cannot be used with", "--no-compression",
                   "--compression-level", "1");
    BACKUP_REJECTS("option --no-compression cannot be used with", "-compression-level", "3",
                   "-no-compression");
}

static void test_conflicting_options(void **state)
{
    char *schemas = scratch_write("conflict_schemas", "s\n");
    char *tables = scratch_write("conflict_tables", "s.t\n");

    BOTH_REJECT("options --data-only and --metadata-only cannot be used together", "--data-only",
                "--metadata-only");
    BOTH_REJECT("options --data-only and --metadata-only cannot be used together",
                "-metadata-only", "-data-only");

    const char *const levels[] = {"--verbose", "--quiet", "--debug", "-verbose", "-quiet",
                                  "-debug"};
    for (size_t i = 0; i < 6; i++)
        for (size_t j = 0; j < 6; j++) {
            if (i % 3 == j % 3)
                continue;
            BOTH_REJECT("options --verbose, --quiet and --debug cannot be used together",
                        levels[i], levels[j]);
        }
    BOTH_REJECT("options --verbose, --quiet and --debug cannot be used together", "--verbose",
                "--quiet", "--debug");

    const char *const msg = "options --include-schema and --include-table cannot be used together";
    BOTH_REJECT(msg, "--include-schema", "s", "--include-table", "s.t");
    BOTH_REJECT(msg, "-include-table", "s.t", "-include-schema", "s");
    BOTH_REJECT(msg, "--include-schema-file", schemas, "--include-table", "s.t");
    BOTH_REJECT(msg, "--include-schema", "s", "--include-table-file", tables);
    BOTH_REJECT(msg, "--include-schema-file", schemas, "--include-table-file", tables);
    /* Excludes mix freely with either include. */
    BOTH_ACCEPT("--include-schema", "s", "--exclude-table", "s.t");
    BOTH_ACCEPT("--include-table", "s.t", "--exclude-schema", "x");
    BOTH_ACCEPT("--exclude-schema", "x", "--exclude-table", "s.t", "--exclude-schema-file",
                schemas, "--exclude-table-file", tables);

    RESTORE_REJECTS("options --data-only and --create-db cannot be used together",
                    "--data-only", "--create-db");
    RESTORE_REJECTS("options --data-only and --create-db cannot be used together",
                    "-create-db", "-data-only");
    RESTORE_ACCEPTS("--metadata-only", "--create-db");

    /* Globals, statistics and ANALYZE. */
    RESTORE_REJECTS("options --with-stats and --run-analyze cannot be used together",
                    "--with-stats", "--run-analyze");
    RESTORE_REJECTS("options --with-stats and --run-analyze cannot be used together",
                    "-run-analyze", "-with-stats");
    RESTORE_REJECTS("options --data-only and --with-globals cannot be used together",
                    "--data-only", "--with-globals");
    RESTORE_REJECTS("options --data-only and --with-globals cannot be used together",
                    "-with-globals", "-data-only");
    RESTORE_REJECTS("options --metadata-only and --run-analyze cannot be used together",
                    "--metadata-only", "--run-analyze");
    RESTORE_ACCEPTS("--with-globals", "--create-db", "--with-stats");
    RESTORE_ACCEPTS("--metadata-only", "--with-stats", "--with-globals");
    RESTORE_ACCEPTS("--data-only", "--with-stats");
    RESTORE_ACCEPTS("--data-only", "--run-analyze");
    RESTORE_ACCEPTS("--run-analyze", "--on-error-continue", "--jobs", "4");
    BACKUP_ACCEPTS("--without-globals", "--with-stats");
    BACKUP_ACCEPTS("--data-only", "--with-stats", "--without-globals");
    BACKUP_ACCEPTS("--metadata-only", "--with-stats");
    /* Each command has only its own. */
    rejects(CMD_BACKUP, true, "unrecognized option \"--with-globals\"", LIST("--with-globals"));
    rejects(CMD_BACKUP, true, "unrecognized option \"--run-analyze\"", LIST("--run-analyze"));
    rejects(CMD_RESTORE, true, "unrecognized option \"--without-globals\"",
            LIST("--without-globals"));
    /* They take no value. */
    BACKUP_REJECTS("option \"--with-stats\" takes no value", "--with-stats=yes");
    RESTORE_REJECTS("option \"--with-globals\" takes no value", "--with-globals=1");
    RESTORE_REJECTS("option --redirect-db needs a database name", "--redirect-db", "");
    free(schemas);
    free(tables);
}

static void test_backup_dir_must_be_absolute(void **state)
{
    BOTH_REJECT("option --backup-dir must be an absolute path: \"rel/dir\"", "--backup-dir",
                "rel/dir");
    BOTH_REJECT("option --backup-dir must be an absolute path: \"./x\"", "-backup-dir", "./x");
    BOTH_REJECT("option --backup-dir must be an absolute path: \"~/b\"", "--backup-dir", "~/b");
    BOTH_REJECT("option --backup-dir must be an absolute path: \"\"", "--backup-dir", "");
    BOTH_REJECT("option --backup-dir must be an absolute path", "--backup-dir=rel");
    BOTH_ACCEPT("--backup-dir", "/");
    BOTH_ACCEPT("--backup-dir", "/a b/c");
}

static void test_required_options(void **state)
{
    rejects(CMD_BACKUP, false, "option --dbname is required", NO_ARGS);
    rejects(CMD_BACKUP, false, "option --dbname is required", LIST("--jobs", "4", "--verbose"));

    rejects(CMD_RESTORE, false, "option --timestamp is required", NO_ARGS);
    rejects(CMD_RESTORE, false, "option --timestamp is required", LIST("--dbname", "db"));
    static const char *const bad[] = {
        "2024",           "2024010203040",   "202401020304050", "2024010203040a",
        "",               "2024-01-02 0304", " 20240102030405", "20240102030405 ",
        "２０２４０１０２０３０４０５", "-2024010203040",  "+2024010203040",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *fragment = xasprintf("invalid value \"%s\" for option --timestamp", bad[i]);
        rejects(CMD_RESTORE, false, fragment, LIST("--timestamp", bad[i]));
        free(fragment);
    }
    /* The last --timestamp wins. */
    rejects(CMD_RESTORE, false, "invalid value \"x\" for option --timestamp",
            LIST("--timestamp", "20240102030405", "--timestamp", "x"));
    RESTORE_ACCEPTS("--timestamp", "19700101000000");
}

static void test_extra_argument(void **state)
{
    BOTH_REJECT("unexpected argument \"extra\"", "extra");
    BOTH_REJECT("unexpected argument \"extra\"", "--jobs", "2", "extra", "--verbose");
    rejects(CMD_BACKUP, false, "unexpected argument \"mydb\"", LIST("mydb", "--dbname", "db"));
    /* After "--" everything is an argument. */
    BOTH_REJECT("unexpected argument \"--verbose\"", "--", "--verbose");
}

static void test_help_and_version_short_circuit(void **state)
{
    /* Nothing required, no combination checked. */
    BackupOptions b;
    expect_ok(backup_parse_list(LIST("--help"), &b), "backup --help");
    assert_true(b.help);
    backup_options_free(&b);
    expect_ok(backup_parse_list(LIST("-version"), &b), "backup -version");
    assert_true(b.version);
    backup_options_free(&b);
    expect_ok(backup_parse_list(LIST("--help", "--data-only", "--metadata-only", "--verbose",
                                     "--quiet", "--no-compression", "--compression-level", "5"),
                                &b),
              "backup --help with conflicts");
    assert_true(b.help);
    backup_options_free(&b);
    expect_ok(backup_parse_list(LIST("--include-schema", "s", "--include-table", "s.t",
                                     "--version"),
                                &b),
              "backup --version with conflicts");
    assert_true(b.version);
    backup_options_free(&b);

    RestoreOptions r;
    expect_ok(restore_parse_list(LIST("--help"), &r), "restore --help");
    assert_true(r.help);
    restore_options_free(&r);
    expect_ok(restore_parse_list(LIST("--version"), &r), "restore --version");
    assert_true(r.version);
    restore_options_free(&r);
    expect_ok(restore_parse_list(LIST("--timestamp", "bad", "--data-only", "--create-db",
                                      "-help"),
                                 &r),
              "restore --help with conflicts");
    assert_true(r.help);
    restore_options_free(&r);

    /* Malformed values are still refused: they are not combinations. */
    rejects(CMD_BACKUP, false, "invalid value \"0\" for option --jobs",
            LIST("--help", "--jobs", "0"));
    rejects(CMD_RESTORE, false, "unrecognized option", LIST("--version", "--bogus"));

    /* The help texts name every option. */
    static const char *const backup_opts[] = {
        "--dbname", "--host", "--port", "--username", "--backup-dir", "--jobs",
        "--compression-type", "--compression-level", "--no-compression", "--include-schema",
        "--include-schema-file", "--exclude-schema", "--exclude-schema-file", "--include-table",
        "--include-table-file", "--exclude-table", "--exclude-table-file", "--data-only",
        "--metadata-only", "--lock-wait-timeout", "--verbose", "--quiet", "--debug", "--help",
        "--version", "--no-lock", "--without-globals", "--with-stats",
    };
    for (size_t i = 0; i < sizeof backup_opts / sizeof backup_opts[0]; i++)
        if (!strstr(backup_usage(), backup_opts[i]))
            fail_msg("gpbackup help does not mention %s", backup_opts[i]);
    static const char *const restore_opts[] = {
        "--timestamp", "--backup-dir", "--data-only", "--metadata-only", "--include-schema",
        "--include-table-file", "--exclude-table-file", "--create-db", "--redirect-db",
        "--dbname", "--host", "--port", "--username", "--jobs", "--on-error-continue",
        "--verbose", "--quiet", "--debug", "--help", "--version", "--with-globals",
        "--with-stats", "--run-analyze",
    };
    for (size_t i = 0; i < sizeof restore_opts / sizeof restore_opts[0]; i++)
        if (!strstr(restore_usage(), restore_opts[i]))
            fail_msg("gprestore help does not mention %s", restore_opts[i]);
}

/* Parsing twice in one process must not carry getopt state over. */
static void test_parse_repeatedly(void **state)
{
    for (int i = 0; i < 3; i++) {
        BACKUP_REJECTS("unexpected argument \"stray\"", "stray", "--jobs", "3");
        BACKUP_ACCEPTS("--jobs", "3");
        RESTORE_REJECTS("option \"--jobs\" requires a value", "--jobs");
        RESTORE_ACCEPTS("--jobs", "2", "--verbose");
    }
}

/* ---- command line for the logs ----------------------------------------- */

static void expect_command_line(const char *const *list, const char *want, const char *secret)
{
    int argc = 0;
    while (list[argc])
        argc++;
    char **argv = xcalloc((size_t)argc + 1, sizeof *argv);
    for (int i = 0; i < argc; i++)
        argv[i] = xstrdup(list[i]);
    char *got = options_command_line(argc, argv);
    for (int i = 0; i < argc; i++) {
        /* argv is left alone. */
        assert_string_equal(argv[i], list[i]);
        free(argv[i]);
    }
    free(argv);
    char msg[1024] = "";
    if (want && strcmp(got, want) != 0)
        snprintf(msg, sizeof msg, "command line [%s], expected [%s]", got, want);
    else if (secret && strstr(got, secret))
        snprintf(msg, sizeof msg, "command line [%s] shows the secret [%s]", got, secret);
    free(got);
    if (msg[0])
        fail_msg("%s", msg);
}

static void test_command_line(void **state)
{
    expect_command_line(LIST("gpbackup", "--dbname", "db", "--jobs", "4"),
                        "gpbackup --dbname db --jobs 4", NULL);
    expect_command_line(LIST("gpbackup"), "gpbackup", NULL);
    expect_command_line(NO_ARGS, "", NULL);

    /* conninfo: the value of password= is masked, the rest kept. */
    expect_command_line(LIST("gpbackup", "--dbname", "host=h password=s3cret dbname=d"),
                        "gpbackup --dbname host=h password=******** dbname=d", "s3cret");
    expect_command_line(LIST("gpbackup", "--dbname", "password=s3cret"),
                        "gpbackup --dbname password=********", "s3cret");
    expect_command_line(LIST("gpbackup", "--dbname=dbname=d password=s3cret", "--jobs", "2"),
                        "gpbackup --dbname=dbname=d password=******** --jobs 2", "s3cret");
    expect_command_line(LIST("gprestore", "-dbname", "user=u password=s3cret", "--verbose"),
                        "gprestore -dbname user=u password=******** --verbose", "s3cret");

    /* URIs: the password after user: is masked, host and path kept. */
    expect_command_line(LIST("gpbackup", "--dbname", "postgresql://user:s3cret@host/db"),
                        "gpbackup --dbname postgresql://user:********@host/db", "s3cret");
    expect_command_line(LIST("gpbackup", "--dbname", "postgres://u:s3cret@h:5432/d?sslmode=require"),
                        "gpbackup --dbname postgres://u:********@h:5432/d?sslmode=require",
                        "s3cret");
    expect_command_line(LIST("gpbackup", "--dbname=postgresql://user:s3cret@host"),
                        "gpbackup --dbname=postgresql://user:********@host", "s3cret");
    /* A password in the URI's parameters. */
    expect_command_line(LIST("gpbackup", "--dbname",
                             "postgresql://host/db?password=s3cret&sslmode=require"),
                        "gpbackup --dbname postgresql://host/db?password=********&sslmode=require",
                        "s3cret");
    /* Nothing to mask. */
    expect_command_line(LIST("gpbackup", "--dbname", "postgresql://user@host:5432/db"),
                        "gpbackup --dbname postgresql://user@host:5432/db", NULL);
    expect_command_line(LIST("gpbackup", "--dbname", "postgresql://host/db"),
                        "gpbackup --dbname postgresql://host/db", NULL);

    /* Quoted values, blanks around '=', escapes and repeated keywords. */
    expect_command_line(LIST("gpbackup", "--dbname", "host=h password='se cret' dbname=d"),
                        "gpbackup --dbname host=h password=******** dbname=d", "cret");
    expect_command_line(LIST("gpbackup", "--dbname", "host=h password = s3cret"),
                        "gpbackup --dbname host=h password = ********", "s3cret");
    expect_command_line(LIST("gpbackup", "--dbname", "password=a\\ b c=d"),
                        "gpbackup --dbname password=******** c=d", "a\\ b");
    expect_command_line(LIST("gpbackup", "--dbname", "password=x1 password=x2"),
                        "gpbackup --dbname password=******** password=********", "x2");
    /* An '@' in the query is not the authority's. */
    expect_command_line(LIST("gpbackup", "--dbname", "postgresql://host:5432/db?user=a@b"),
                        "gpbackup --dbname postgresql://host:5432/db?user=a@b", NULL);
}

/* ---- data paths: --server-side, --single-backup-dir, --helper-path,
 * --resize-cluster ---------------------------------------------------------- */

static void test_server_side_options(void **state)
{
    unsetenv("COORDINATOR_DATA_DIRECTORY");
    unsetenv("MASTER_DATA_DIRECTORY");
    BackupOptions o;
    /* Off by default; no helper path means "next to gpbackup". */
    expect_ok(backup_parse_list(LIST("--dbname", "db"), &o), "defaults");
    assert_false(o.server_side);
    assert_false(o.single_backup_dir);
    assert_null(o.helper_path);
    assert_false(o.backup_dir_given);
    assert_non_null(o.backup_dir);
    backup_options_free(&o);

    for (size_t k = 0; k < 2; k++) {
        const char *p = prefixes[k];
        Args a;
        args_init(&a, "gpbackup");
        args_opt(&a, p, "dbname", "db");
        args_opt(&a, p, "server-side", NULL);
        args_opt(&a, p, "helper-path", "/opt/gp bin/gpbackup_helper");
        args_opt(&a, p, "backup-dir", "/bk");
        args_opt(&a, p, "single-backup-dir", NULL);
        expect_ok(backup_parse_args(&a, &o), p);
        assert_true(o.server_side);
        assert_true(o.single_backup_dir);
        assert_true(o.backup_dir_given);
        assert_string_equal(o.backup_dir, "/bk");
        assert_string_equal(o.helper_path, "/opt/gp bin/gpbackup_helper");
        backup_options_free(&o);
    }
    /* The last --helper-path wins; --backup-dir given sets backup_dir_given. */
    expect_ok(backup_parse_list(LIST("--dbname", "db", "--helper-path", "/a/h", "--helper-path=/b/h",
                                     "--backup-dir", "/bk"),
                                &o),
              "two helper paths");
    assert_string_equal(o.helper_path, "/b/h");
    assert_true(o.backup_dir_given);
    assert_false(o.server_side);
    backup_options_free(&o);
    BACKUP_ACCEPTS("--server-side");
    BACKUP_ACCEPTS("--server-side", "--jobs", "3", "--helper-path", "/usr/local/bin/gpbackup_helper");
    BACKUP_ACCEPTS("-server-side", "-single-backup-dir", "-backup-dir", "/x");
    /* --server-side takes no value. */
    BACKUP_REJECTS("option \"--server-side\" takes no value", "--server-side=yes");
    /* Not gprestore's: the set says how its data was written. */
    RESTORE_REJECTS("unrecognized option \"--server-side\"", "--server-side");
    RESTORE_REJECTS("unrecognized option \"--single-backup-dir\"", "--single-backup-dir");
}

static void test_single_backup_dir_needs_backup_dir(void **state)
{
    /* Not even a default backup directory from the environment will do. */
    setenv("COORDINATOR_DATA_DIRECTORY", "/data/coordinator/gpseg-1", 1);
    BACKUP_REJECTS("option --single-backup-dir needs --backup-dir", "--single-backup-dir");
    BACKUP_REJECTS("option --single-backup-dir needs --backup-dir", "-single-backup-dir",
                   "--server-side");
    unsetenv("COORDINATOR_DATA_DIRECTORY");
    BACKUP_REJECTS("option --single-backup-dir needs --backup-dir", "--single-backup-dir");
    /* In either order. */
    BACKUP_ACCEPTS("--single-backup-dir", "--backup-dir", "/bk");
    BACKUP_ACCEPTS("--backup-dir", "/bk", "--single-backup-dir");
    /* --help short-circuits the check. */
    BackupOptions o;
    expect_ok(backup_parse_list(LIST("--single-backup-dir", "--help"), &o), "help");
    assert_true(o.help);
    backup_options_free(&o);
}

static void test_helper_path_must_be_absolute(void **state)
{
    BOTH_REJECT("option --helper-path must be an absolute path: \"gpbackup_helper\"",
                "--helper-path", "gpbackup_helper");
    BOTH_REJECT("option --helper-path must be an absolute path: \"./bin/gpbackup_helper\"",
                "--helper-path", "./bin/gpbackup_helper");
    BOTH_REJECT("option --helper-path must be an absolute path: \"~/h\"", "-helper-path", "~/h");
    BOTH_REJECT("option --helper-path must be an absolute path: \"\"", "--helper-path", "");
    BOTH_REJECT("option --helper-path must be an absolute path", "--helper-path=rel");
    BOTH_REJECT("option \"--helper-path\" requires a value", "--helper-path");
    BOTH_ACCEPT("--helper-path", "/usr/local/gpdb/bin/gpbackup_helper");
    BOTH_ACCEPT("--helper-path", "/a b/c'd/h");
}

static void test_resize_cluster(void **state)
{
    RestoreOptions o;
    expect_ok(restore_parse_list(LIST("--timestamp", "20240102030405"), &o), "defaults");
    assert_false(o.resize_cluster);
    assert_null(o.helper_path);
    restore_options_free(&o);
    for (size_t k = 0; k < 2; k++) {
        const char *p = prefixes[k];
        Args a;
        args_init(&a, "gprestore");
        args_opt(&a, p, "timestamp", "20240102030405");
        args_opt(&a, p, "resize-cluster", NULL);
        args_opt(&a, p, "helper-path", "/usr/local/bin/gpbackup_helper");
        args_opt(&a, p, "backup-dir", "/bk");
        expect_ok(restore_parse_args(&a, &o), p);
        assert_true(o.resize_cluster);
        assert_string_equal(o.helper_path, "/usr/local/bin/gpbackup_helper");
        assert_string_equal(o.backup_dir, "/bk");
        restore_options_free(&o);
    }
    RESTORE_ACCEPTS("--resize-cluster", "--jobs", "4", "--create-db");
    RESTORE_REJECTS("option \"--resize-cluster\" takes no value", "--resize-cluster=1");
    BACKUP_REJECTS("unrecognized option \"--resize-cluster\"", "--resize-cluster");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backup_defaults),
        cmocka_unit_test(test_restore_defaults),
        cmocka_unit_test(test_default_backup_dir),
        cmocka_unit_test(test_backup_every_option),
        cmocka_unit_test(test_restore_every_option),
        cmocka_unit_test(test_data_format),
        cmocka_unit_test(test_repeatable_filters),
        cmocka_unit_test(test_filter_files),
        cmocka_unit_test(test_filter_file_errors),
        cmocka_unit_test(test_unknown_option),
        cmocka_unit_test(test_missing_value),
        cmocka_unit_test(test_jobs),
        cmocka_unit_test(test_other_numbers),
        cmocka_unit_test(test_compression),
        cmocka_unit_test(test_conflicting_options),
        cmocka_unit_test(test_backup_dir_must_be_absolute),
        cmocka_unit_test(test_required_options),
        cmocka_unit_test(test_extra_argument),
        cmocka_unit_test(test_help_and_version_short_circuit),
        cmocka_unit_test(test_parse_repeatedly),
        cmocka_unit_test(test_command_line),
        cmocka_unit_test(test_server_side_options),
        cmocka_unit_test(test_single_backup_dir_needs_backup_dir),
        cmocka_unit_test(test_helper_path_must_be_absolute),
        cmocka_unit_test(test_resize_cluster),
    };
    return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
