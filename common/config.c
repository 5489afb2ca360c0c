/* The backup configuration (gpbackup_<TS>_config.yaml): the in-memory
 * BackupConfig, its YAML form in gpbackup's key order followed by our own
 * keys, and the strict reader. gprestore decides from this file whether a
 * backup is usable at all, so reading refuses unknown versions, statuses and
 * malformed timestamps instead of guessing. */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "yamlio.h"

/* Generous: the include/exclude relation lists can name every table of a
 * large database. */
#define CONFIG_MAX_FILE_SIZE ((size_t)64 << 20)

#define CONFIG_WHAT "backup configuration"

BackupConfig *config_new(void)
{
    BackupConfig *c = xcalloc(1, sizeof *c);
    c->formatversion = CONFIG_FORMAT_VERSION;
    /* Every string starts as "" so that a partly filled configuration (a
     * backup failing early) still serialises. */
    c->backupdir = xstrdup("");
    c->backupversion = xstrdup("");
    c->compressiontype = xstrdup("none");
    c->databasename = xstrdup("");
    c->databaseversion = xstrdup("");
    c->databaseencoding = xstrdup("");
    c->databaselocaleprovider = xstrdup("");
    c->datapath = xstrdup("client");
    c->segmentdirs = xstrdup("");
    c->segmentdirprefix = xstrdup("");
    c->databasecollate = xstrdup("");
    c->databasectype = xstrdup("");
    c->databaselocale = xstrdup("");
    c->databaseicurules = xstrdup("");
    c->jobs = 1;
    c->dataformat = xstrdup("csv");
    c->timestamp = xstrdup("");
    c->starttime = xstrdup("");
    c->endtime = xstrdup("");
    c->status = xstrdup(BACKUP_STATUS_IN_PROGRESS);
    c->error = xstrdup("");
    return c;
}

void config_free(BackupConfig *c)
{
    if (!c)
        return;
    free(c->backupdir);
    free(c->backupversion);
    free(c->compressiontype);
    free(c->databasename);
    free(c->databaseversion);
    free(c->databaseencoding);
    free(c->databaselocaleprovider);
    free(c->databasecollate);
    free(c->databasectype);
    free(c->databaselocale);
    free(c->databaseicurules);
    free(c->datapath);
    free(c->segmentdirs);
    free(c->segmentdirprefix);
    strlist_free(&c->includeschemas);
    strlist_free(&c->excludeschemas);
    strlist_free(&c->includerelations);
    strlist_free(&c->excluderelations);
    free(c->dataformat);
    free(c->timestamp);
    free(c->starttime);
    free(c->endtime);
    free(c->status);
    free(c->error);
    free(c);
}

void config_set(char **field, const char *value)
{
    char *copy = xstrdup(value ? value : "");
    free(*field);
    *field = copy;
}

/* ---- Writing ------------------------------------------------------------ */

/* The int fields are counts and levels; a negative one is a bug upstream,
 * and writing it would produce a file that config_read refuses. */
static Error *check_nonnegative(const char *key, int value)
{
    if (value < 0)
        return ERROR_NEW(ERR_INTERNAL, "could not write " CONFIG_WHAT ": negative value %d for key \"%s\"",
                         value, key);
    return NULL;
}

Error *config_to_yaml(const BackupConfig *c, char **out, size_t *len)
{
    *out = NULL;
    if (len)
        *len = 0;
    Error *err;
    if ((err = check_nonnegative("segmentcount", c->segmentcount)) ||
        (err = check_nonnegative("compressionlevel", c->compressionlevel)) ||
        (err = check_nonnegative("jobs", c->jobs)))
        return err;

    YamlWriter *w = yamlio_writer_new(CONFIG_WHAT);
    yamlio_map_start(w);
    /* gpbackup's keys, in its order, so the file diffs cleanly against one
     * written by gpbackup. Keys for features we lack keep their empty value. */
    yamlio_key_str(w, "backupdir", c->backupdir);
    yamlio_key_str(w, "backupversion", c->backupversion);
    yamlio_key_bool(w, "compressed", c->compressed);
    yamlio_key_str(w, "compressiontype", c->compressiontype);
    yamlio_key_str(w, "databasename", c->databasename);
    yamlio_key_str(w, "databaseversion", c->databaseversion);
    yamlio_key_uint64(w, "segmentcount", (uint64_t)c->segmentcount);
    yamlio_key_bool(w, "dataonly", c->dataonly);
    yamlio_key_str(w, "datedeleted", "");
    yamlio_key_strlist(w, "excluderelations", &c->excluderelations);
    yamlio_key_bool(w, "excludeschemafiltered", c->excludeschemas.n > 0);
    yamlio_key_strlist(w, "excludeschemas", &c->excludeschemas);
    yamlio_key_bool(w, "excludetablefiltered", c->excluderelations.n > 0);
    yamlio_key_strlist(w, "includerelations", &c->includerelations);
    yamlio_key_bool(w, "includeschemafiltered", c->includeschemas.n > 0);
    yamlio_key_strlist(w, "includeschemas", &c->includeschemas);
    yamlio_key_bool(w, "includetablefiltered", c->includerelations.n > 0);
    yamlio_key_bool(w, "incremental", c->incremental);
    yamlio_key_bool(w, "leafpartitiondata", c->leafpartitiondata);
    yamlio_key_bool(w, "metadataonly", c->metadataonly);
    yamlio_key_str(w, "plugin", "");
    yamlio_key_str(w, "pluginversion", "");
    yamlio_key(w, "restoreplan");
    yamlio_seq_start(w);
    yamlio_seq_end(w);
    yamlio_key_bool(w, "singledatafile", c->singledatafile);
    yamlio_key_str(w, "timestamp", c->timestamp);
    yamlio_key_str(w, "endtime", c->endtime);
    yamlio_key_bool(w, "withoutglobals", c->withoutglobals);
    yamlio_key_bool(w, "withstatistics", c->withstatistics);
    yamlio_key_str(w, "status", c->status);
    /* Ours. */
    yamlio_key_uint64(w, "formatversion",
                      (uint64_t)(c->formatversion >= CONFIG_FORMAT_VERSION_CSV &&
                                         c->formatversion <= CONFIG_FORMAT_VERSION
                                     ? c->formatversion
                                     : CONFIG_FORMAT_VERSION));
    yamlio_key_uint64(w, "compressionlevel", (uint64_t)c->compressionlevel);
    yamlio_key_str(w, "databaseencoding", c->databaseencoding);
    yamlio_key_uint64(w, "jobs", (uint64_t)c->jobs);
    yamlio_key_str(w, "dataformat", c->dataformat);
    yamlio_key_str(w, "starttime", c->starttime);
    yamlio_key_str(w, "error", c->error);
    /* Added in 0.2: the source database's locale, for --create-db. */
    yamlio_key_str(w, "databaselocaleprovider", c->databaselocaleprovider);
    yamlio_key_str(w, "databasecollate", c->databasecollate);
    yamlio_key_str(w, "databasectype", c->databasectype);
    yamlio_key_str(w, "databaselocale", c->databaselocale);
    yamlio_key_str(w, "databaseicurules", c->databaseicurules);
    /* Added in 0.3: the data path and, on MPP, the segments' directories. */
    yamlio_key_str(w, "datapath", c->datapath && *c->datapath ? c->datapath : "client");
    yamlio_key_str(w, "segmentdirs", c->segmentdirs);
    yamlio_key_str(w, "segmentdirprefix", c->segmentdirprefix);
    yamlio_map_end(w);
    err = yamlio_writer_finish(w, out, len);
    yamlio_writer_free(w);
    return err;
}

Error *config_write(const BackupConfig *c, const char *path)
{
    char *text;
    size_t len;
    Error *err = config_to_yaml(c, &text, &len);
    if (err)
        return err;
    err = file_write_atomic(path, text, len);
    free(text);
    return err;
}

/* ---- Reading ------------------------------------------------------------ */

static Error *read_version(YamlDoc *d, YamlNode *root, int *version)
{
    YamlNode *n;
    uint64_t v;
    Error *err = yamlio_map_find(d, root, "formatversion", &n);
    if (err)
        return err;
    if (!n)
        return error_hint(ERROR_NEW(ERR_FORMAT, "missing key \"formatversion\" in %s",
                                    yamlio_doc_what(d)),
                          "A configuration written by the original gpbackup cannot be read; "
                          "only backups made by this tool can.");
    if ((err = yamlio_node_uint64(d, n, "formatversion", UINT64_MAX, &v)))
        return err;
    if (v < CONFIG_FORMAT_VERSION_CSV || v > CONFIG_FORMAT_VERSION)
        return error_hint(ERROR_NEW(ERR_FORMAT,
                                    "unsupported format version %llu in %s (supported versions: "
                                    "%d to %d)",
                                    (unsigned long long)v, yamlio_doc_what(d),
                                    CONFIG_FORMAT_VERSION_CSV, CONFIG_FORMAT_VERSION),
                          "The backup may have been made by a newer version of this tool.");
    *version = (int)v;
    return NULL;
}

/* Replace *field with the string value of key. */
static Error *read_str(YamlDoc *d, YamlNode *root, const char *key, char **field)
{
    char *s;
    Error *err = yamlio_get_str(d, root, key, &s);
    if (err)
        return err;
    free(*field);
    *field = s;
    return NULL;
}

static Error *read_int(YamlDoc *d, YamlNode *root, const char *key, int *field)
{
    uint64_t v;
    Error *err = yamlio_get_uint64(d, root, key, INT_MAX, &v);
    if (err)
        return err;
    *field = (int)v;
    return NULL;
}

/* A key added after format version 1 was published: absent in older
 * backups, where the field keeps its empty default. */
static Error *read_optional_str(YamlDoc *d, YamlNode *root, const char *key, char **field)
{
    YamlNode *n = NULL;
    Error *err = yamlio_map_find(d, root, key, &n);
    if (err || !n)
        return err;
    return read_str(d, root, key, field);
}

static bool is_timestamp(const char *s)
{
    if (strlen(s) != 14)
        return false;
    for (int i = 0; i < 14; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* Line of key's value, for messages about a value already read. */
static size_t key_line(YamlDoc *d, YamlNode *root, const char *key)
{
    YamlNode *n = NULL;
    error_free(yamlio_map_find(d, root, key, &n));
    return n ? yamlio_node_line(n) : 0;
}

static Error *check_values(YamlDoc *d, YamlNode *root, const BackupConfig *c)
{
    if (strcmp(c->status, BACKUP_STATUS_IN_PROGRESS) != 0 &&
        strcmp(c->status, BACKUP_STATUS_SUCCESS) != 0 &&
        strcmp(c->status, BACKUP_STATUS_FAILURE) != 0) {
        return error_detail(ERROR_NEW(ERR_FORMAT, "invalid value for key \"status\" at line %zu of %s: \"%s\"",
                                      key_line(d, root, "status"), yamlio_doc_what(d),
                                      c->status),
                            "Expected \"%s\", \"%s\" or \"%s\".", BACKUP_STATUS_IN_PROGRESS,
                            BACKUP_STATUS_SUCCESS, BACKUP_STATUS_FAILURE);
    }
    if (strcmp(c->datapath, "client") != 0 && strcmp(c->datapath, "server-side") != 0 &&
        strcmp(c->datapath, "segments") != 0)
        return error_detail(ERROR_NEW(ERR_FORMAT, "invalid value for key \"datapath\" at line %zu of %s: \"%s\"",
                                      key_line(d, root, "datapath"), yamlio_doc_what(d),
                                      c->datapath),
                            "Expected \"client\", \"server-side\" or \"segments\".");
    if (strcmp(c->datapath, "segments") == 0 && strcmp(c->segmentdirs, "datadir") != 0 &&
        strcmp(c->segmentdirs, "single") != 0 && strcmp(c->segmentdirs, "prefixed") != 0)
        return error_detail(ERROR_NEW(ERR_FORMAT, "invalid value for key \"segmentdirs\" in %s: \"%s\"",
                                      yamlio_doc_what(d), c->segmentdirs),
                            "Expected \"datadir\", \"single\" or \"prefixed\".");
    if (strchr(c->segmentdirprefix, '/') || strstr(c->segmentdirprefix, ".."))
        return ERROR_NEW(ERR_FORMAT, "invalid value for key \"segmentdirprefix\" in %s: \"%s\"",
                         yamlio_doc_what(d), c->segmentdirprefix);
    /* The timestamp names every file of the set; anything else cannot be a
     * backup we wrote. */
    if (!is_timestamp(c->timestamp)) {
        return error_detail(ERROR_NEW(ERR_FORMAT, "invalid value for key \"timestamp\" at line %zu of %s: \"%s\"",
                                      key_line(d, root, "timestamp"),
                                      yamlio_doc_what(d), c->timestamp),
                            "Expected 14 digits (YYYYMMDDHHMMSS).");
    }
    return NULL;
}

static Error *config_parse(const char *text, size_t len, const char *what, BackupConfig **out)
{
    *out = NULL;
    YamlDoc *d;
    Error *err = yamlio_doc_parse(text, len, what, &d);
    if (err)
        return err;
    BackupConfig *c = config_new();
    YamlNode *root;
    /* The gpbackup keys we do not use (datedeleted, plugin, pluginversion,
     * restoreplan, the *filtered flags derived from the lists) are not read,
     * and unknown keys are ignored so that later versions can add some. */
    if ((err = yamlio_doc_root_map(d, &root)) ||
        (err = read_version(d, root, &c->formatversion)) ||
        (err = read_str(d, root, "backupdir", &c->backupdir)) ||
        (err = read_str(d, root, "backupversion", &c->backupversion)) ||
        (err = yamlio_get_bool(d, root, "compressed", &c->compressed)) ||
        (err = read_str(d, root, "compressiontype", &c->compressiontype)) ||
        (err = read_str(d, root, "databasename", &c->databasename)) ||
        (err = read_str(d, root, "databaseversion", &c->databaseversion)) ||
        (err = read_int(d, root, "segmentcount", &c->segmentcount)) ||
        (err = yamlio_get_bool(d, root, "dataonly", &c->dataonly)) ||
        (err = yamlio_get_strlist(d, root, "excluderelations", &c->excluderelations)) ||
        (err = yamlio_get_strlist(d, root, "excludeschemas", &c->excludeschemas)) ||
        (err = yamlio_get_strlist(d, root, "includerelations", &c->includerelations)) ||
        (err = yamlio_get_strlist(d, root, "includeschemas", &c->includeschemas)) ||
        (err = yamlio_get_bool(d, root, "incremental", &c->incremental)) ||
        (err = yamlio_get_bool(d, root, "leafpartitiondata", &c->leafpartitiondata)) ||
        (err = yamlio_get_bool(d, root, "metadataonly", &c->metadataonly)) ||
        (err = yamlio_get_bool(d, root, "singledatafile", &c->singledatafile)) ||
        (err = read_str(d, root, "timestamp", &c->timestamp)) ||
        (err = read_str(d, root, "endtime", &c->endtime)) ||
        (err = yamlio_get_bool(d, root, "withoutglobals", &c->withoutglobals)) ||
        (err = yamlio_get_bool(d, root, "withstatistics", &c->withstatistics)) ||
        (err = read_str(d, root, "status", &c->status)) ||
        (err = read_int(d, root, "compressionlevel", &c->compressionlevel)) ||
        (err = read_str(d, root, "databaseencoding", &c->databaseencoding)) ||
        (err = read_int(d, root, "jobs", &c->jobs)) ||
        (err = read_str(d, root, "dataformat", &c->dataformat)) ||
        (err = read_str(d, root, "starttime", &c->starttime)) ||
        (err = read_str(d, root, "error", &c->error)) ||
        (err = read_optional_str(d, root, "databaselocaleprovider", &c->databaselocaleprovider)) ||
        (err = read_optional_str(d, root, "databasecollate", &c->databasecollate)) ||
        (err = read_optional_str(d, root, "databasectype", &c->databasectype)) ||
        (err = read_optional_str(d, root, "databaselocale", &c->databaselocale)) ||
        (err = read_optional_str(d, root, "databaseicurules", &c->databaseicurules)) ||
        (err = read_optional_str(d, root, "datapath", &c->datapath)) ||
        (err = read_optional_str(d, root, "segmentdirs", &c->segmentdirs)) ||
        (err = read_optional_str(d, root, "segmentdirprefix", &c->segmentdirprefix)) ||
        (err = check_values(d, root, c))) {
        yamlio_doc_free(d);
        config_free(c);
        return err;
    }
    yamlio_doc_free(d);
    *out = c;
    return NULL;
}

Error *config_from_yaml(const char *text, size_t len, BackupConfig **out)
{
    return config_parse(text, len, CONFIG_WHAT, out);
}

Error *config_read(const char *path, BackupConfig **out)
{
    *out = NULL;
    char *text;
    size_t len;
    Error *err = file_read_all(path, CONFIG_MAX_FILE_SIZE, &text, &len);
    if (err)
        return err;
    char *what = xasprintf(CONFIG_WHAT " \"%s\"", path);
    err = config_parse(text, len, what, out);
    free(what);
    free(text);
    return err;
}
