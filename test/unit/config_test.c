/* Unit tests of common/config.c: every field round-trips (hostile strings,
 * lists, extreme ints), keys come out in gpbackup's order followed by ours,
 * the *filtered flags follow the lists, and the reader refuses unknown
 * versions and statuses, malformed timestamps, wrong types and missing keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "util.h"

static void expect_error(Error *err, ErrorCode code, const char *fragment)
{
    if (!err)
        fail_msg("expected an error containing \"%s\", got success", fragment);
    if (err->code != code || !strstr(err->message, fragment)) {
        char msg[1024];
        snprintf(msg, sizeof msg, "code %d, message \"%s\", expected code %d with \"%s\"",
                 (int)err->code, err->message, (int)code, fragment);
        error_free(err);
        fail_msg("%s", msg);
    }
    error_free(err);
}

static void expect_ok(Error *err)
{
    if (err) {
        char msg[1024];
        snprintf(msg, sizeof msg, "unexpected error: %s", err->message);
        error_free(err);
        fail_msg("%s", msg);
    }
}

/* Every field set, to values that differ from config_new's defaults. */
static BackupConfig *sample_config(void)
{
    BackupConfig *c = config_new();
    config_set(&c->backupdir, "/data/back ups/\"q\"\n");
    config_set(&c->backupversion, "1.0.0");
    c->compressed = 1;
    config_set(&c->compressiontype, "zstd");
    c->compressionlevel = 19;
    config_set(&c->databasename, "\"My DB\": - ünï");
    config_set(&c->databaseversion, "PostgreSQL 16.2 (Debian 16.2-1) on x86_64");
    config_set(&c->databaseencoding, "UTF8");
    config_set(&c->databaselocaleprovider, "icu");
    config_set(&c->databasecollate, "C");
    config_set(&c->databasectype, "C.UTF-8");
    config_set(&c->databaselocale, "und-u-ks-level2");
    config_set(&c->databaseicurules, "&a < b");
    c->segmentcount = INT_MAX;
    c->dataonly = 1;
    c->metadataonly = 0;
    c->withoutglobals = 1;
    c->withstatistics = 1;
    c->singledatafile = 1;
    c->incremental = 1;
    c->leafpartitiondata = 1;
    strlist_push(&c->includeschemas, "public");
    strlist_push(&c->includeschemas, "null");
    strlist_push(&c->includeschemas, "");
    strlist_push(&c->excludeschemas, "~");
    strlist_push(&c->includerelations, "public.\"a: b\"");
    strlist_push(&c->includerelations, "s.- x");
    strlist_push(&c->includerelations, "yes");
    strlist_push(&c->excluderelations, "s.t\\ab\tc");
    c->jobs = 64;
    config_set(&c->dataformat, "csv");
    config_set(&c->timestamp, "20240102010000");
    config_set(&c->starttime, "20240102010000");
    config_set(&c->endtime, "20240102011532");
    config_set(&c->status, BACKUP_STATUS_FAILURE);
    config_set(&c->error, "could not open \"x\":\nPermission denied");
    config_set(&c->datapath, "segments");
    config_set(&c->segmentdirs, "prefixed");
    config_set(&c->segmentdirprefix, "demoDataDir");
    return c;
}

static void assert_list_equal(const StrList *a, const StrList *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++)
        assert_string_equal(a->items[i], b->items[i]);
}

static void assert_config_equal(const BackupConfig *a, const BackupConfig *b)
{
    assert_int_equal(a->formatversion, b->formatversion);
    assert_string_equal(a->backupdir, b->backupdir);
    assert_string_equal(a->backupversion, b->backupversion);
    assert_int_equal(a->compressed, b->compressed);
    assert_string_equal(a->compressiontype, b->compressiontype);
    assert_int_equal(a->compressionlevel, b->compressionlevel);
    assert_string_equal(a->databasename, b->databasename);
    assert_string_equal(a->databaseversion, b->databaseversion);
    assert_string_equal(a->databaseencoding, b->databaseencoding);
    assert_string_equal(a->databaselocaleprovider, b->databaselocaleprovider);
    assert_string_equal(a->databasecollate, b->databasecollate);
    assert_string_equal(a->databasectype, b->databasectype);
    assert_string_equal(a->databaselocale, b->databaselocale);
    assert_string_equal(a->databaseicurules, b->databaseicurules);
    assert_int_equal(a->segmentcount, b->segmentcount);
    assert_int_equal(a->dataonly, b->dataonly);
    assert_int_equal(a->metadataonly, b->metadataonly);
    assert_int_equal(a->withoutglobals, b->withoutglobals);
    assert_int_equal(a->withstatistics, b->withstatistics);
    assert_int_equal(a->singledatafile, b->singledatafile);
    assert_int_equal(a->incremental, b->incremental);
    assert_int_equal(a->leafpartitiondata, b->leafpartitiondata);
    assert_list_equal(&a->includeschemas, &b->includeschemas);
    assert_list_equal(&a->excludeschemas, &b->excludeschemas);
    assert_list_equal(&a->includerelations, &b->includerelations);
    assert_list_equal(&a->excluderelations, &b->excluderelations);
    assert_int_equal(a->jobs, b->jobs);
    assert_string_equal(a->dataformat, b->dataformat);
    assert_string_equal(a->timestamp, b->timestamp);
    assert_string_equal(a->starttime, b->starttime);
    assert_string_equal(a->endtime, b->endtime);
    assert_string_equal(a->status, b->status);
    assert_string_equal(a->error, b->error);
    assert_string_equal(a->datapath, b->datapath);
    assert_string_equal(a->segmentdirs, b->segmentdirs);
    assert_string_equal(a->segmentdirprefix, b->segmentdirprefix);
}

static void test_round_trip(void **state)
{
    (void)state;
    BackupConfig *c = sample_config(), *back = NULL;
    char *text;
    size_t len;
    expect_ok(config_to_yaml(c, &text, &len));
    assert_int_equal(len, strlen(text));
    expect_ok(config_from_yaml(text, len, &back));
    assert_non_null(back);
    assert_config_equal(c, back);
    char *again;
    expect_ok(config_to_yaml(back, &again, NULL));
    assert_string_equal(text, again);
    free(again);
    free(text);
    config_free(back);
    config_free(c);
    config_free(NULL);
}

/* Flip every boolean the other way to catch a field read from the wrong key. */
static void test_round_trip_inverted(void **state)
{
    (void)state;
    BackupConfig *c = sample_config(), *back = NULL;
    c->compressed = 0;
    c->dataonly = 0;
    c->metadataonly = 1;
    c->withoutglobals = 0;
    c->withstatistics = 0;
    c->singledatafile = 0;
    c->incremental = 0;
    c->leafpartitiondata = 0;
    c->segmentcount = 0;
    c->compressionlevel = 0;
    c->jobs = 0;
    config_set(&c->endtime, "");
    config_set(&c->status, BACKUP_STATUS_SUCCESS);
    config_set(&c->error, NULL);
    assert_string_equal(c->error, "");
    strlist_free(&c->includeschemas);
    strlist_free(&c->includerelations);
    char *text;
    size_t len;
    expect_ok(config_to_yaml(c, &text, &len));
    expect_ok(config_from_yaml(text, len, &back));
    assert_config_equal(c, back);
    free(text);
    config_free(back);
    config_free(c);
}

static void test_defaults_serialise(void **state)
{
    (void)state;
    BackupConfig *c = config_new();
    assert_int_equal(c->formatversion, CONFIG_FORMAT_VERSION);
    assert_string_equal(c->status, BACKUP_STATUS_IN_PROGRESS);
    char *text;
    size_t len;
    expect_ok(config_to_yaml(c, &text, &len));
    /* The timestamp is still empty: such a file is not a valid backup. */
    BackupConfig *back = (BackupConfig *)(uintptr_t)1;
    expect_error(config_from_yaml(text, len, &back), ERR_FORMAT,
                 "invalid value for key \"timestamp\" at line 25 of backup configuration: \"\"");
    assert_null(back);
    free(text);
    config_free(c);
}

static const char *const key_order[] = {
    "backupdir", "backupversion", "compressed", "compressiontype", "databasename",
    "databaseversion", "segmentcount", "dataonly", "datedeleted", "excluderelations",
    "excludeschemafiltered", "excludeschemas", "excludetablefiltered", "includerelations",
    "includeschemafiltered", "includeschemas", "includetablefiltered", "incremental",
    "leafpartitiondata", "metadataonly", "plugin", "pluginversion", "restoreplan",
    "singledatafile", "timestamp", "endtime", "withoutglobals", "withstatistics", "status",
    "formatversion", "compressionlevel", "databaseencoding", "jobs", "dataformat",
    "starttime", "error", "databaselocaleprovider", "databasecollate", "databasectype",
    "databaselocale", "databaseicurules", "datapath", "segmentdirs", "segmentdirprefix",
};

/* The value written for a top-level key (up to the end of its line). */
static char *value_of(const char *text, const char *key)
{
    char *lines = xasprintf("\n%s", text);
    char *needle = xasprintf("\n%s: ", key);
    const char *at = strstr(lines, needle);
    char *value = at ? xstrndup(at + strlen(needle), strcspn(at + strlen(needle), "\n")) : NULL;
    free(needle);
    free(lines);
    return value;
}

static void test_key_order_and_derived(void **state)
{
    (void)state;
    BackupConfig *c = sample_config();
    char *text;
    expect_ok(config_to_yaml(c, &text, NULL));

    /* Top-level keys, in order, are exactly gpbackup's then ours. */
    size_t k = 0;
    for (const char *line = text; *line; line = strchr(line, '\n') + 1) {
        if (*line != ' ' && *line != '-') {
            size_t n = strcspn(line, ":");
            if (k >= sizeof key_order / sizeof key_order[0])
                fail_msg("extra key after the last expected one: %.*s", (int)n, line);
            if (strlen(key_order[k]) != n || strncmp(line, key_order[k], n) != 0)
                fail_msg("key %zu is %.*s, expected %s", k, (int)n, line, key_order[k]);
            k++;
        }
    }
    assert_int_equal(k, sizeof key_order / sizeof key_order[0]);

    static const struct {
        const char *key, *value;
    } expected[] = {
        {"includeschemafiltered", "true"}, {"includetablefiltered", "true"},
        {"excludeschemafiltered", "true"}, {"excludetablefiltered", "true"},
        {"datedeleted", "\"\""}, {"plugin", "\"\""}, {"pluginversion", "\"\""},
        {"restoreplan", "[]"}, {"timestamp", "\"20240102010000\""}, {"status", "Failure"},
        {"segmentcount", "2147483647"}, {"compressed", "true"}, {"formatversion", "4"},
    };
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        char *v = value_of(text, expected[i].key);
        if (!v || strcmp(v, expected[i].value) != 0)
            fail_msg("%s: %s, expected %s", expected[i].key, v ? v : "(absent)",
                     expected[i].value);
        free(v);
    }
    free(text);

    /* Empty lists: the filtered flags turn false, one by one. */
    strlist_free(&c->includeschemas);
    strlist_free(&c->excluderelations);
    expect_ok(config_to_yaml(c, &text, NULL));
    static const struct {
        const char *key, *value;
    } after[] = {
        {"includeschemafiltered", "false"}, {"includetablefiltered", "true"},
        {"excludeschemafiltered", "true"}, {"excludetablefiltered", "false"},
        {"includeschemas", "[]"}, {"excluderelations", "[]"},
    };
    for (size_t i = 0; i < sizeof after / sizeof after[0]; i++) {
        char *v = value_of(text, after[i].key);
        if (!v || strcmp(v, after[i].value) != 0)
            fail_msg("%s: %s, expected %s", after[i].key, v ? v : "(absent)", after[i].value);
        free(v);
    }
    free(text);
    config_free(c);
}

/* The sample's text with the line starting "key:" replaced by line (or
 * removed when line is NULL), then parsed. */
/* The sample config with key's line replaced by line (or removed when
 * NULL), parsed; the result goes to *out (NULL: freed). */
static Error *parse_replacing_into(const char *key, const char *line, BackupConfig **out)
{
    BackupConfig *c = sample_config();
    char *text;
    expect_ok(config_to_yaml(c, &text, NULL));
    config_free(c);
    char *needle = xasprintf("\n%s:", key);
    char *at = strncmp(text, needle + 1, strlen(needle + 1)) == 0 ? text : strstr(text, needle);
    free(needle);
    if (!at) {
        free(text);
        fail_msg("test bug: key %s not in the sample", key);
    }
    if (at != text)
        at++;
    char *end = at;
    /* The key's line and any continuation lines of a block list. */
    do
        end = strchr(end, '\n') + 1;
    while (*end == '-' || *end == ' ');
    *at = '\0';
    char *edited = xasprintf("%s%s%s%s", text, line ? line : "", line ? "\n" : "", end);
    free(text);
    BackupConfig *back = (BackupConfig *)(uintptr_t)1;
    Error *err = config_from_yaml(edited, strlen(edited), &back);
    free(edited);
    if (err)
        assert_null(back);
    else if (out)
        *out = back;
    else
        config_free(back);
    return err;
}

static Error *parse_replacing(const char *key, const char *line)
{
    return parse_replacing_into(key, line, NULL);
}

static void test_valid_edits_accepted(void **state)
{
    (void)state;
    /* The helper itself must produce parseable text. */
    expect_ok(parse_replacing("status", "status: Success"));
    expect_ok(parse_replacing("status", "status: \"In Progress\""));
    expect_ok(parse_replacing("timestamp", "timestamp: 20991231235959"));
    /* Keys we do not read may go, and unknown ones may come. */
    expect_ok(parse_replacing("plugin", NULL));
    expect_ok(parse_replacing("restoreplan", "restoreplan:\n- timestamp: \"1\"\n  tablefqns: [a]"));
    expect_ok(parse_replacing("datedeleted", "datedeleted: \"\"\nfuturekey: {a: [1]}"));
}

static void test_version(void **state)
{
    (void)state;
    Error *err = parse_replacing("formatversion", "formatversion: 7");
    assert_non_null(err);
    assert_non_null(strstr(err->message, "supported versions: 1 to 4"));
    expect_error(err, ERR_FORMAT, "unsupported format version 7 in backup configuration");
    err = parse_replacing("formatversion", "formatversion: 0");
    expect_error(err, ERR_FORMAT, "unsupported format version 0 in backup configuration");
    /* 1 (csv sets), 2 (binary sets), 3 (packed sets) and 4 (sets with
     * shared data files) are read, and written back as they were. */
    for (int v = 1; v <= 4; v++) {
        char line[32];
        snprintf(line, sizeof line, "formatversion: %d", v);
        BackupConfig *c = NULL;
        expect_ok(parse_replacing_into("formatversion", line, &c));
        assert_int_equal(c->formatversion, v);
        char *text;
        expect_ok(config_to_yaml(c, &text, NULL));
        assert_non_null(strstr(text, line));
        free(text);
        config_free(c);
    }
    err = parse_replacing("formatversion", NULL);
    assert_non_null(err);
    assert_non_null(err->hint);
    expect_error(err, ERR_FORMAT, "missing key \"formatversion\" in backup configuration");
    expect_error(parse_replacing("formatversion", "formatversion: v1"), ERR_FORMAT,
                 "invalid value for key \"formatversion\"");
}

static void test_status_and_timestamp(void **state)
{
    (void)state;
    Error *err = parse_replacing("status", "status: success");
    assert_non_null(err);
    assert_non_null(err->detail);
    expect_error(err, ERR_FORMAT,
                 "invalid value for key \"status\" at line 37 of backup configuration: \"success\"");
    expect_error(parse_replacing("status", "status: \"\""), ERR_FORMAT, "\"status\"");
    expect_error(parse_replacing("status", "status: \"Success \""), ERR_FORMAT, "\"status\"");
    expect_error(parse_replacing("status", "status: [Success]"), ERR_FORMAT,
                 "expected a string, found a sequence");
    expect_error(parse_replacing("timestamp", "timestamp: \"2024010201000\""), ERR_FORMAT,
                 "invalid value for key \"timestamp\" at line 33 of backup configuration: \"2024010201000\"");
    expect_error(parse_replacing("timestamp", "timestamp: \"202401020100000\""), ERR_FORMAT,
                 "\"202401020100000\"");
    expect_error(parse_replacing("timestamp", "timestamp: \"2024010201000a\""), ERR_FORMAT,
                 "\"2024010201000a\"");
    expect_error(parse_replacing("timestamp", "timestamp: \"../../etc/pass\""), ERR_FORMAT,
                 "\"timestamp\"");
}

static void test_wrong_types_and_ranges(void **state)
{
    (void)state;
    expect_error(parse_replacing("jobs", "jobs: -1"), ERR_FORMAT,
                 "invalid value for key \"jobs\" at line 41 of backup configuration: \"-1\"");
    expect_error(parse_replacing("jobs", "jobs: 2147483648"), ERR_FORMAT,
                 "value for key \"jobs\" at line 41 of backup configuration is out of range");
    expect_ok(parse_replacing("jobs", "jobs: 2147483647"));
    expect_error(parse_replacing("segmentcount", "segmentcount: \"4\""), ERR_FORMAT,
                 "invalid value for key \"segmentcount\"");
    expect_error(parse_replacing("compressionlevel", "compressionlevel: 1.5"), ERR_FORMAT,
                 "invalid value for key \"compressionlevel\"");
    expect_error(parse_replacing("compressed", "compressed: yes"), ERR_FORMAT,
                 "invalid value for key \"compressed\" at line 3 of backup configuration: \"yes\"");
    expect_error(parse_replacing("withstatistics", "withstatistics: \"false\""), ERR_FORMAT,
                 "invalid value for key \"withstatistics\"");
    expect_error(parse_replacing("includeschemas", "includeschemas: public"), ERR_FORMAT,
                 "invalid value for key \"includeschemas\" at line 21 of backup configuration: expected a sequence, found a scalar");
    expect_error(parse_replacing("excluderelations", "excluderelations: [[a]]"), ERR_FORMAT,
                 "expected a string, found a sequence");
    expect_error(parse_replacing("excludeschemas", "excludeschemas: [~]"), ERR_FORMAT,
                 "found null");
    expect_error(parse_replacing("backupdir", "backupdir: {a: b}"), ERR_FORMAT,
                 "invalid value for key \"backupdir\" at line 1 of backup configuration: expected a string, found a mapping");
    expect_error(parse_replacing("error", "error:"), ERR_FORMAT, "found null");
}

static void test_missing_keys(void **state)
{
    (void)state;
    static const char *const required[] = {
        "backupdir", "backupversion", "compressed", "compressiontype", "databasename",
        "databaseversion", "segmentcount", "dataonly", "excluderelations", "excludeschemas",
        "includerelations", "includeschemas", "incremental", "leafpartitiondata",
        "metadataonly", "singledatafile", "timestamp", "endtime", "withoutglobals",
        "withstatistics", "status", "compressionlevel", "databaseencoding", "jobs",
        "dataformat", "starttime", "error",
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        char *fragment = xasprintf("missing key \"%s\" in mapping at line 1 of backup configuration",
                                   required[i]);
        expect_error(parse_replacing(required[i], NULL), ERR_FORMAT, fragment);
        free(fragment);
    }
    /* The locale keys came later: a configuration without them is read,
     * with the fields empty (gprestore --create-db then uses the server's
     * defaults). */
    static const char *const optional[] = {
        "databaselocaleprovider", "databasecollate", "databasectype", "databaselocale",
        "databaseicurules",
    };
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++)
        expect_ok(parse_replacing(optional[i], NULL));
    expect_error(parse_replacing("databasecollate", "databasecollate: [C]"), ERR_FORMAT,
                 "invalid value for key \"databasecollate\"");
}

static void test_malformed(void **state)
{
    (void)state;
    BackupConfig *c = (BackupConfig *)(uintptr_t)1;
    expect_error(config_from_yaml("", 0, &c), ERR_FORMAT, "backup configuration is empty");
    assert_null(c);
    const char *bad = "backupdir: /x\nstatus: \"Success\n";
    expect_error(config_from_yaml(bad, strlen(bad), &c), ERR_FORMAT,
                 "could not parse backup configuration: ");
    const char *list = "- a\n";
    expect_error(config_from_yaml(list, strlen(list), &c), ERR_FORMAT,
                 "invalid backup configuration: expected a mapping at line 1, found a sequence");
    expect_error(parse_replacing("jobs", "jobs: 1\njobs: 2"), ERR_FORMAT, "duplicate key \"jobs\"");
}

static void test_negative_ints_refused_on_write(void **state)
{
    (void)state;
    BackupConfig *c = sample_config();
    char *text = (char *)(uintptr_t)1;
    c->jobs = -3;
    expect_error(config_to_yaml(c, &text, NULL), ERR_INTERNAL, "negative value -3 for key \"jobs\"");
    assert_null(text);
    config_free(c);
}

static void test_write_read_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/config_test.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = xasprintf("%s/gpbackup_20240102010000_config.yaml", dir);
    BackupConfig *c = sample_config(), *back = NULL;
    expect_ok(config_write(c, path));
    expect_ok(config_read(path, &back));
    assert_config_equal(c, back);
    config_free(back);

    /* Rewriting with a new status replaces the file whole. */
    config_set(&c->status, BACKUP_STATUS_SUCCESS);
    expect_ok(config_write(c, path));
    expect_ok(config_read(path, &back));
    assert_string_equal(back->status, BACKUP_STATUS_SUCCESS);
    config_free(back);

    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("formatversion: 5\n", f);
    fclose(f);
    back = (BackupConfig *)(uintptr_t)1;
    char *fragment = xasprintf("unsupported format version 5 in backup configuration \"%s\"", path);
    expect_error(config_read(path, &back), ERR_FORMAT, fragment);
    assert_null(back);
    free(fragment);

    unlink(path);
    Error *err = config_read(path, &back);
    assert_non_null(err);
    assert_int_not_equal(err->code, ERR_FORMAT);
    error_free(err);
    free(path);
    rmdir(dir);
    config_free(c);
}

/* ---- the data path (datapath, segmentdirs, segmentdirprefix) -------------- */

/* Parse text; the caller owns *out on success. */
static Error *parse_text(const char *text, BackupConfig **out)
{
    *out = (BackupConfig *)(uintptr_t)1;
    Error *err = config_from_yaml(text, strlen(text), out);
    if (err)
        assert_null(*out);
    return err;
}

/* The sample with datapath / segmentdirs / segmentdirprefix set, as text. */
static char *sample_text(const char *datapath, const char *segmentdirs, const char *prefix)
{
    BackupConfig *c = sample_config();
    config_set(&c->datapath, datapath);
    config_set(&c->segmentdirs, segmentdirs);
    config_set(&c->segmentdirprefix, prefix);
    char *text;
    expect_ok(config_to_yaml(c, &text, NULL));
    config_free(c);
    return text;
}

static void test_datapath_round_trip(void **state)
{
    (void)state;
    static const struct {
        const char *datapath, *segmentdirs, *prefix;
    } cases[] = {
        {"client", "", ""},
        {"server-side", "", ""},
        {"segments", "datadir", ""},
        {"segments", "single", ""},
        {"segments", "prefixed", "gpseg"},
        {"segments", "prefixed", "demoDataDir"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = sample_text(cases[i].datapath, cases[i].segmentdirs, cases[i].prefix);
        char *v = value_of(text, "datapath");
        assert_non_null(v);
        assert_string_equal(v, cases[i].datapath);
        free(v);
        BackupConfig *back;
        expect_ok(parse_text(text, &back));
        assert_string_equal(back->datapath, cases[i].datapath);
        assert_string_equal(back->segmentdirs, cases[i].segmentdirs);
        assert_string_equal(back->segmentdirprefix, cases[i].prefix);
        char *again;
        expect_ok(config_to_yaml(back, &again, NULL));
        assert_string_equal(text, again);
        free(again);
        config_free(back);
        free(text);
    }

    /* A new configuration is "client", and says so. */
    BackupConfig *c = config_new();
    assert_string_equal(c->datapath, "client");
    assert_string_equal(c->segmentdirs, "");
    assert_string_equal(c->segmentdirprefix, "");
    config_free(c);
    /* An empty datapath is written as "client". */
    c = sample_config();
    config_set(&c->datapath, "");
    char *text;
    expect_ok(config_to_yaml(c, &text, NULL));
    char *v = value_of(text, "datapath");
    assert_non_null(v);
    assert_string_equal(v, "client");
    free(v);
    free(text);
    config_free(c);
}

static void test_datapath_missing_is_client(void **state)
{
    (void)state;
    /* A set written before the data paths existed: no datapath,
     * segmentdirs or segmentdirprefix at all. */
    char *text = sample_text("client", "", "");
    char *cut = strstr(text, "\ndatapath: ");
    assert_non_null(cut);
    cut[1] = '\0';
    assert_null(strstr(text, "segmentdirs"));
    BackupConfig *back;
    expect_ok(parse_text(text, &back));
    assert_string_equal(back->datapath, "client");
    assert_string_equal(back->segmentdirs, "");
    assert_string_equal(back->segmentdirprefix, "");
    config_free(back);
    free(text);
    /* Without datapath, stray segment keys are not looked at. */
    expect_ok(parse_replacing("datapath", NULL));
}

static void test_datapath_invalid(void **state)
{
    (void)state;
    Error *err = parse_replacing("datapath", "datapath: local");
    assert_non_null(err);
    assert_non_null(err->detail);
    assert_non_null(strstr(err->detail, "server-side"));
    expect_error(err, ERR_FORMAT, "invalid value for key \"datapath\" at line ");
    expect_error(parse_replacing("datapath", "datapath: local"), ERR_FORMAT,
                 "of backup configuration: \"local\"");
    expect_error(parse_replacing("datapath", "datapath: \"\""), ERR_FORMAT,
                 "invalid value for key \"datapath\"");
    expect_error(parse_replacing("datapath", "datapath: Client"), ERR_FORMAT,
                 "invalid value for key \"datapath\"");
    expect_error(parse_replacing("datapath", "datapath: \"server-side \""), ERR_FORMAT,
                 "invalid value for key \"datapath\"");
    expect_error(parse_replacing("datapath", "datapath: [client]"), ERR_FORMAT,
                 "invalid value for key \"datapath\"");

    /* With datapath segments (the sample's), segmentdirs is one of three. */
    err = parse_replacing("segmentdirs", "segmentdirs: elsewhere");
    assert_non_null(err);
    assert_non_null(err->detail);
    assert_non_null(strstr(err->detail, "prefixed"));
    expect_error(err, ERR_FORMAT, "invalid value for key \"segmentdirs\" in backup configuration: \"elsewhere\"");
    expect_error(parse_replacing("segmentdirs", "segmentdirs: \"\""), ERR_FORMAT,
                 "invalid value for key \"segmentdirs\"");
    expect_error(parse_replacing("segmentdirs", NULL), ERR_FORMAT,
                 "invalid value for key \"segmentdirs\"");
    expect_error(parse_replacing("segmentdirs", "segmentdirs: DataDir"), ERR_FORMAT,
                 "invalid value for key \"segmentdirs\"");
    expect_ok(parse_replacing("segmentdirs", "segmentdirs: single"));
    expect_ok(parse_replacing("segmentdirs", "segmentdirs: datadir"));

    /* The prefix is one path component: no "/" and no "..". */
    expect_error(parse_replacing("segmentdirprefix", "segmentdirprefix: gp/seg"), ERR_FORMAT,
                 "invalid value for key \"segmentdirprefix\" in backup configuration: \"gp/seg\"");
    expect_error(parse_replacing("segmentdirprefix", "segmentdirprefix: /etc/x"), ERR_FORMAT,
                 "invalid value for key \"segmentdirprefix\"");
    expect_error(parse_replacing("segmentdirprefix", "segmentdirprefix: gpseg/"), ERR_FORMAT,
                 "invalid value for key \"segmentdirprefix\"");
    expect_error(parse_replacing("segmentdirprefix", "segmentdirprefix: .."), ERR_FORMAT,
                 "invalid value for key \"segmentdirprefix\"");
    expect_error(parse_replacing("segmentdirprefix", "segmentdirprefix: [gpseg]"), ERR_FORMAT,
                 "invalid value for key \"segmentdirprefix\"");
    expect_ok(parse_replacing("segmentdirprefix", "segmentdirprefix: gp.seg_-"));
    expect_ok(parse_replacing("segmentdirprefix", "segmentdirprefix: \"\""));
    /* A prefix with "/" is refused whatever the data path. */
    char *text = sample_text("client", "", "a/b");
    BackupConfig *back;
    expect_error(parse_text(text, &back), ERR_FORMAT, "invalid value for key \"segmentdirprefix\"");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_round_trip_inverted),
        cmocka_unit_test(test_defaults_serialise),
        cmocka_unit_test(test_key_order_and_derived),
        cmocka_unit_test(test_valid_edits_accepted),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_status_and_timestamp),
        cmocka_unit_test(test_wrong_types_and_ranges),
        cmocka_unit_test(test_missing_keys),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_negative_ints_refused_on_write),
        cmocka_unit_test(test_write_read_file),
        cmocka_unit_test(test_datapath_round_trip),
        cmocka_unit_test(test_datapath_missing_is_client),
        cmocka_unit_test(test_datapath_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
