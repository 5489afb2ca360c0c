/* The table of contents of a backup set: the in-memory Toc, its YAML form
 * (gpbackup's toc.yaml keys plus our formatversion, file and byte counts)
 * and the strict reader that refuses any TOC it does not fully understand,
 * because a restore driven by a misread TOC replays the wrong statements. */
#include "toc.h"

#include "checksum.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "util.h"
#include "yamlio.h"

/* A TOC lists every object of a database; even a million objects stay far
 * below this, while a corrupt size field cannot make us allocate without
 * bound. */
#define TOC_MAX_FILE_SIZE ((size_t)1 << 30)

#define TOC_WHAT "table of contents"

static const char *const section_keys[TOC_NSECTIONS] = {
    [TOC_GLOBAL] = "globalentries",
    [TOC_PREDATA] = "predataentries",
    [TOC_POSTDATA] = "postdataentries",
};

const char *toc_section_key(TocSection s)
{
    if ((unsigned)s >= TOC_NSECTIONS)
        return "unknownentries";
    return section_keys[s];
}

Toc *toc_new(void)
{
    Toc *toc = xcalloc(1, sizeof *toc);
    toc->formatversion = TOC_FORMAT_VERSION;
    return toc;
}

static void entry_clear(TocEntry *e)
{
    free(e->schema);
    free(e->name);
    free(e->objecttype);
    free(e->referenceobject);
    free(e->dependencies);
}

static void data_clear(TocDataEntry *e)
{
    free(e->schema);
    free(e->name);
    free(e->attributestring);
    free(e->partitionroot);
    free(e->file);
    free(e->dataformat);
    free(e->segments);
    free(e->parts);
}

void toc_free(Toc *toc)
{
    if (!toc)
        return;
    for (int s = 0; s < TOC_NSECTIONS; s++) {
        for (size_t i = 0; i < toc->nentries[s]; i++)
            entry_clear(&toc->entries[s][i]);
        free(toc->entries[s]);
    }
    for (size_t i = 0; i < toc->ndata; i++)
        data_clear(&toc->data[i]);
    free(toc->data);
    for (size_t i = 0; i < toc->nstats; i++)
        entry_clear(&toc->stats[i]);
    free(toc->stats);
    free(toc);
}

/* NULL strings become "": every string of a TOC is written as a string. */
static char *copy_str(const char *s)
{
    return xstrdup(s ? s : "");
}

/* Append e to a section, taking ownership of its strings. */
static TocEntry *push_entry(Toc *toc, TocSection section, const TocEntry *e)
{
    if (toc->nentries[section] == toc->capentries[section]) {
        size_t cap = toc->capentries[section] ? toc->capentries[section] * 2 : 64;
        toc->entries[section] = xrealloc(toc->entries[section], cap * sizeof(TocEntry));
        toc->capentries[section] = cap;
    }
    TocEntry *slot = &toc->entries[section][toc->nentries[section]++];
    *slot = *e;
    return slot;
}

/* Append e to the statistics entries, taking ownership of its strings. */
static TocEntry *push_stats(Toc *toc, const TocEntry *e)
{
    if (toc->nstats == toc->capstats) {
        toc->capstats = toc->capstats ? toc->capstats * 2 : 64;
        toc->stats = xrealloc(toc->stats, toc->capstats * sizeof(TocEntry));
    }
    TocEntry *slot = &toc->stats[toc->nstats++];
    *slot = *e;
    return slot;
}

/* Append e to the data entries, taking ownership of its strings. */
static TocDataEntry *push_data(Toc *toc, const TocDataEntry *e)
{
    if (toc->ndata == toc->capdata) {
        toc->capdata = toc->capdata ? toc->capdata * 2 : 64;
        toc->data = xrealloc(toc->data, toc->capdata * sizeof(TocDataEntry));
    }
    TocDataEntry *slot = &toc->data[toc->ndata++];
    *slot = *e;
    return slot;
}

TocEntry *toc_add_entry(Toc *toc, TocSection section, const char *schema, const char *name,
                        const char *objecttype, const char *referenceobject,
                        uint64_t startbyte, uint64_t endbyte)
{
    TocEntry e = {
        .schema = copy_str(schema),
        .name = copy_str(name),
        .objecttype = copy_str(objecttype),
        .referenceobject = copy_str(referenceobject),
        .startbyte = startbyte,
        .endbyte = endbyte,
    };
    return push_entry(toc, section, &e);
}

TocEntry *toc_add_statistics_entry(Toc *toc, const char *schema, const char *name,
                                   const char *objecttype, const char *referenceobject,
                                   uint64_t startbyte, uint64_t endbyte)
{
    TocEntry e = {
        .schema = copy_str(schema),
        .name = copy_str(name),
        .objecttype = copy_str(objecttype),
        .referenceobject = copy_str(referenceobject),
        .startbyte = startbyte,
        .endbyte = endbyte,
    };
    return push_stats(toc, &e);
}

void toc_add_dependency(TocEntry *e, uint32_t dumpid)
{
    for (size_t i = 0; i < e->ndependencies; i++)
        if (e->dependencies[i] == dumpid)
            return;
    e->dependencies = xrealloc(e->dependencies, (e->ndependencies + 1) * sizeof(uint32_t));
    e->dependencies[e->ndependencies++] = dumpid;
}

TocDataEntry *toc_add_data(Toc *toc, const TocDataEntry *e)
{
    TocDataEntry copy = *e;
    copy.schema = copy_str(e->schema);
    copy.name = copy_str(e->name);
    copy.attributestring = copy_str(e->attributestring);
    copy.partitionroot = copy_str(e->partitionroot);
    copy.file = copy_str(e->file);
    copy.dataformat = e->dataformat ? copy_str(e->dataformat) : NULL;
    if (e->nsegments) {
        copy.segments = xcalloc(e->nsegments, sizeof *copy.segments);
        memcpy(copy.segments, e->segments, e->nsegments * sizeof *copy.segments);
    }
    if (e->nparts) {
        copy.parts = xcalloc(e->nparts, sizeof *copy.parts);
        memcpy(copy.parts, e->parts, e->nparts * sizeof *copy.parts);
    }
    return push_data(toc, &copy);
}

/* ---- Writing ------------------------------------------------------------ */

static void write_entries(YamlWriter *w, const char *key, const TocEntry *entries, size_t n)
{
    yamlio_key(w, key);
    yamlio_seq_start(w);
    for (size_t i = 0; i < n; i++) {
        const TocEntry *e = &entries[i];
        yamlio_map_start(w);
        yamlio_key_str(w, "schema", e->schema);
        yamlio_key_str(w, "name", e->name);
        yamlio_key_str(w, "objecttype", e->objecttype);
        yamlio_key_str(w, "referenceobject", e->referenceobject);
        yamlio_key_uint64(w, "startbyte", e->startbyte);
        yamlio_key_uint64(w, "endbyte", e->endbyte);
        yamlio_key_uint64(w, "dumpid", e->dumpid);
        yamlio_key(w, "dependencies");
        yamlio_seq_start(w);
        for (size_t k = 0; k < e->ndependencies; k++)
            yamlio_uint64(w, e->dependencies[k]);
        yamlio_seq_end(w);
        yamlio_map_end(w);
    }
    yamlio_seq_end(w);
}

Error *toc_to_yaml(const Toc *toc, char **out, size_t *len)
{
    YamlWriter *w = yamlio_writer_new(TOC_WHAT);
    yamlio_map_start(w);
    /* Always the version this code writes, whatever toc->formatversion says
     * (a TOC read from an older version is written in the current one). */
    yamlio_key_uint64(w, "formatversion", TOC_FORMAT_VERSION);
    for (int s = 0; s < TOC_NSECTIONS; s++)
        write_entries(w, section_keys[s], toc->entries[s], toc->nentries[s]);
    /* Ranges of the statistics file; [] unless --with-stats. */
    write_entries(w, "statisticsentries", toc->stats, toc->nstats);
    yamlio_key(w, "dataentries");
    yamlio_seq_start(w);
    for (size_t i = 0; i < toc->ndata; i++) {
        const TocDataEntry *e = &toc->data[i];
        yamlio_map_start(w);
        yamlio_key_str(w, "schema", e->schema);
        yamlio_key_str(w, "name", e->name);
        yamlio_key_uint64(w, "oid", e->oid);
        yamlio_key_str(w, "attributestring", e->attributestring);
        yamlio_key_uint64(w, "rowscopied", e->rowscopied);
        yamlio_key_str(w, "partitionroot", e->partitionroot);
        yamlio_key_bool(w, "isreplicated", e->isreplicated != 0);
        yamlio_key_bool(w, "distbyenum", e->distbyenum != 0);
        yamlio_key_str(w, "file", e->file);
        yamlio_key_uint64(w, "rawbytes", e->rawbytes);
        yamlio_key_uint64(w, "filebytes", e->filebytes);
        yamlio_key_str(w, "checksum", e->checksum);
        /* Added in 0.4; absent: the set's dataformat. */
        if (e->dataformat)
            yamlio_key_str(w, "dataformat", e->dataformat);
        /* Added in 0.5 (sets whose config has formatversion 4); absent:
         * the whole file is the table's. */
        if (e->has_offset)
            yamlio_key_uint64(w, "offset", e->offset);
        /* Added in 0.5 too; absent: one stream. */
        if (e->nparts) {
            yamlio_key(w, "parts");
            yamlio_seq_start(w);
            for (size_t k = 0; k < e->nparts; k++) {
                const TocPart *p = &e->parts[k];
                yamlio_map_start(w);
                yamlio_key_uint64(w, "offset", p->offset);
                yamlio_key_uint64(w, "filebytes", p->filebytes);
                yamlio_key_uint64(w, "rawbytes", p->rawbytes);
                yamlio_key_uint64(w, "rows", p->rows);
                yamlio_key_str(w, "checksum", p->checksum);
                yamlio_map_end(w);
            }
            yamlio_seq_end(w);
        }
        if (e->nsegments) {
            yamlio_key(w, "segments");
            yamlio_seq_start(w);
            for (size_t k = 0; k < e->nsegments; k++) {
                const TocSegmentFile *sf = &e->segments[k];
                yamlio_map_start(w);
                yamlio_key_uint64(w, "content", (uint64_t)sf->content);
                yamlio_key_uint64(w, "rows", sf->rows);
                yamlio_key_uint64(w, "rawbytes", sf->rawbytes);
                yamlio_key_uint64(w, "filebytes", sf->filebytes);
                yamlio_key_str(w, "checksum", sf->checksum);
                yamlio_map_end(w);
            }
            yamlio_seq_end(w);
        }
        yamlio_map_end(w);
    }
    yamlio_seq_end(w);
    yamlio_map_end(w);
    Error *err = yamlio_writer_finish(w, out, len);
    yamlio_writer_free(w);
    return err;
}

Error *toc_write(const Toc *toc, const char *path)
{
    char *text;
    size_t len;
    Error *err = toc_to_yaml(toc, &text, &len);
    if (err)
        return err;
    err = file_write_atomic(path, text, len);
    free(text);
    return err;
}

/* ---- Reading ------------------------------------------------------------ */

static Error *read_entry(YamlDoc *d, YamlNode *item, const char *section_key, TocEntry *e)
{
    Error *err;
    if ((err = yamlio_node_map(d, item, section_key)) ||
        (err = yamlio_get_str(d, item, "schema", &e->schema)) ||
        (err = yamlio_get_str(d, item, "name", &e->name)) ||
        (err = yamlio_get_str(d, item, "objecttype", &e->objecttype)) ||
        (err = yamlio_get_str(d, item, "referenceobject", &e->referenceobject)) ||
        (err = yamlio_get_uint64(d, item, "startbyte", UINT64_MAX, &e->startbyte)) ||
        (err = yamlio_get_uint64(d, item, "endbyte", UINT64_MAX, &e->endbyte)))
        return err;
    /* dumpid and dependencies are optional: sets without them are
     * replayed in list order. */
    YamlNode *n = NULL;
    if ((err = yamlio_map_find(d, item, "dumpid", &n)))
        return err;
    if (n) {
        uint64_t id;
        if ((err = yamlio_node_uint64(d, n, "dumpid", UINT32_MAX, &id)))
            return err;
        e->dumpid = (uint32_t)id;
        YamlNode *seq = NULL;
        size_t count = 0;
        if ((err = yamlio_map_find(d, item, "dependencies", &seq)))
            return err;
        if (seq) {
            if ((err = yamlio_node_seq(d, seq, "dependencies", &count)))
                return err;
            for (size_t k = 0; k < count; k++) {
                uint64_t dep;
                if ((err = yamlio_node_uint64(d, yamlio_seq_item(d, seq, k), "dependencies",
                                              UINT32_MAX, &dep)))
                    return err;
                toc_add_dependency(e, (uint32_t)dep);
            }
        }
    }
    if (e->startbyte > e->endbyte)
        return ERROR_NEW(ERR_FORMAT,
                         "invalid byte range in entry at line %zu of %s: startbyte %llu is greater than endbyte %llu",
                         yamlio_node_line(item), yamlio_doc_what(d),
                         (unsigned long long)e->startbyte, (unsigned long long)e->endbyte);
    return NULL;
}

/* The parts must follow each other from offset 0 to the end of the file
 * and add up to the table's rows: a part's range is then always inside
 * the file the manifest describes. */
static Error *read_parts(YamlDoc *d, YamlNode *item, TocDataEntry *e)
{
    YamlNode *seq = NULL;
    size_t count = 0;
    Error *err = yamlio_map_find(d, item, "parts", &seq);
    if (err || !seq)
        return err;
    if ((err = yamlio_node_seq(d, seq, "parts", &count)))
        return err;
    if (count < 2 || count > TOC_MAX_PARTS || e->has_offset)
        return ERROR_NEW(ERR_FORMAT, "table \"%s\" lists %zu part%s%s in the table of contents",
                         e->name, count, count == 1 ? "" : "s",
                         e->has_offset ? " and an offset" : "");
    e->parts = xcalloc(count + 1, sizeof *e->parts);
    uint64_t rows = 0, end = 0;
    for (size_t k = 0; k < count; k++) {
        YamlNode *m = yamlio_seq_item(d, seq, k);
        TocPart *p = &e->parts[k];
        char *sum = NULL;
        if ((err = yamlio_node_map(d, m, "parts")) ||
            (err = yamlio_get_uint64(d, m, "offset", INT64_MAX, &p->offset)) ||
            (err = yamlio_get_uint64(d, m, "filebytes", INT64_MAX, &p->filebytes)) ||
            (err = yamlio_get_uint64(d, m, "rawbytes", UINT64_MAX, &p->rawbytes)) ||
            (err = yamlio_get_uint64(d, m, "rows", UINT64_MAX, &p->rows)) ||
            (err = yamlio_get_str(d, m, "checksum", &sum)))
            return err;
        bool ok = checksum_valid_hex(sum);
        if (ok)
            memcpy(p->checksum, sum, CHECKSUM_HEX_LEN + 1);
        free(sum);
        e->nparts = k + 1;
        if (!ok || p->offset != end || p->rows > UINT64_MAX - rows)
            return ERROR_NEW(ERR_FORMAT, "invalid part %zu of table \"%s\" in the table of "
                                         "contents: %s",
                             k + 1, e->name, !ok ? "bad checksum" : p->offset != end ? "not where the "
                                         "previous part ends" : "too many rows");
        end = p->offset + p->filebytes;
        rows += p->rows;
    }
    if (end != e->filebytes || rows != e->rowscopied)
        return ERROR_NEW(ERR_FORMAT, "table \"%s\": its parts do not add up to its %s in the "
                                     "table of contents",
                         e->name, end != e->filebytes ? "filebytes" : "rowscopied");
    return NULL;
}

/* The optional per-segment list of an MPP set: contents 0..n-1 in order. */
static Error *read_segments(YamlDoc *d, YamlNode *item, TocDataEntry *e)
{
    YamlNode *seq = NULL;
    size_t count = 0;
    Error *err = yamlio_map_find(d, item, "segments", &seq);
    if (err || !seq)
        return err;
    if ((err = yamlio_node_seq(d, seq, "segments", &count)))
        return err;
    if (count > 100000)
        return ERROR_NEW(ERR_FORMAT, "table \"%s\" lists %zu segments in the table of contents",
                         e->name, count);
    e->segments = xcalloc(count + 1, sizeof *e->segments);
    uint64_t rows = 0;
    for (size_t k = 0; k < count; k++) {
        YamlNode *m = yamlio_seq_item(d, seq, k);
        TocSegmentFile *sf = &e->segments[k];
        uint64_t content;
        char *sum = NULL;
        if ((err = yamlio_node_map(d, m, "segments")) ||
            (err = yamlio_get_uint64(d, m, "content", 100000, &content)) ||
            (err = yamlio_get_uint64(d, m, "rows", UINT64_MAX, &sf->rows)) ||
            (err = yamlio_get_uint64(d, m, "rawbytes", UINT64_MAX, &sf->rawbytes)) ||
            (err = yamlio_get_uint64(d, m, "filebytes", UINT64_MAX, &sf->filebytes)) ||
            (err = yamlio_get_str(d, m, "checksum", &sum)))
            return err;
        bool ok = checksum_valid_hex(sum);
        if (ok)
            memcpy(sf->checksum, sum, CHECKSUM_HEX_LEN + 1);
        free(sum);
        if (!ok || content != k)
            return ERROR_NEW(ERR_FORMAT, "invalid segment %zu of table \"%s\" in the table of "
                                         "contents: %s",
                             k, e->name, ok ? "contents out of order" : "bad checksum");
        sf->content = (int)content;
        e->nsegments = k + 1;
        if (sf->rows > UINT64_MAX - rows)
            return ERROR_NEW(ERR_FORMAT, "table \"%s\": the rows of its segments overflow in "
                                         "the table of contents",
                             e->name);
        rows += sf->rows;
    }
    if (rows != e->rowscopied)
        return ERROR_NEW(ERR_FORMAT, "table \"%s\": the rows of its segments do not add up to "
                                     "rowscopied in the table of contents",
                         e->name);
    return NULL;
}

static Error *read_data_entry(YamlDoc *d, YamlNode *item, TocDataEntry *e)
{
    uint64_t oid = 0;
    Error *err;
    if ((err = yamlio_node_map(d, item, "dataentries")) ||
        (err = yamlio_get_str(d, item, "schema", &e->schema)) ||
        (err = yamlio_get_str(d, item, "name", &e->name)) ||
        (err = yamlio_get_uint64(d, item, "oid", UINT32_MAX, &oid)) ||
        (err = yamlio_get_str(d, item, "attributestring", &e->attributestring)) ||
        (err = yamlio_get_uint64(d, item, "rowscopied", UINT64_MAX, &e->rowscopied)) ||
        (err = yamlio_get_str(d, item, "partitionroot", &e->partitionroot)) ||
        (err = yamlio_get_bool(d, item, "isreplicated", &e->isreplicated)) ||
        (err = yamlio_get_bool(d, item, "distbyenum", &e->distbyenum)) ||
        (err = yamlio_get_str(d, item, "file", &e->file)) ||
        (err = yamlio_get_uint64(d, item, "rawbytes", UINT64_MAX, &e->rawbytes)) ||
        (err = yamlio_get_uint64(d, item, "filebytes", UINT64_MAX, &e->filebytes)))
        return err;
    char *sum = NULL;
    if ((err = yamlio_get_str(d, item, "checksum", &sum)))
        return err;
    if (!checksum_valid_hex(sum)) {
        err = ERROR_NEW(ERR_FORMAT, "invalid checksum for table \"%s\" in table of contents",
                        e->name ? e->name : "");
        free(sum);
        return err;
    }
    memcpy(e->checksum, sum, CHECKSUM_HEX_LEN + 1);
    free(sum);
    e->oid = (uint32_t)oid;
    YamlNode *fmt = NULL;
    if ((err = yamlio_map_find(d, item, "dataformat", &fmt)))
        return err;
    if (fmt && (err = yamlio_node_str(d, fmt, "dataformat", &e->dataformat)))
        return err;
    YamlNode *off = NULL;
    if ((err = yamlio_map_find(d, item, "offset", &off)))
        return err;
    if (off) {
        if ((err = yamlio_node_uint64(d, off, "offset", INT64_MAX, &e->offset)))
            return err;
        e->has_offset = 1;
    }
    if ((err = read_parts(d, item, e)))
        return err;
    return read_segments(d, item, e);
}

/* The version comes first: a TOC of another version may use other keys, so
 * reporting "missing key" for it would mislead. */
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
                          "A table of contents written by the original gpbackup cannot be "
                          "read; only backups made by this tool can.");
    if ((err = yamlio_node_uint64(d, n, "formatversion", UINT64_MAX, &v)))
        return err;
    if (v != TOC_FORMAT_VERSION)
        return error_hint(ERROR_NEW(ERR_FORMAT,
                                    "unsupported format version %llu in %s (supported version: %d)",
                                    (unsigned long long)v, yamlio_doc_what(d),
                                    TOC_FORMAT_VERSION),
                          "The backup may have been made by a newer version of this tool.");
    *version = (int)v;
    return NULL;
}

static Error *toc_parse(const char *text, size_t len, const char *what, Toc **out)
{
    *out = NULL;
    YamlDoc *d;
    Error *err = yamlio_doc_parse(text, len, what, &d);
    if (err)
        return err;
    Toc *toc = toc_new();
    YamlNode *root;
    if ((err = yamlio_doc_root_map(d, &root)) ||
        (err = read_version(d, root, &toc->formatversion)))
        goto done;

    for (int s = 0; s < TOC_NSECTIONS; s++) {
        YamlNode *seq;
        size_t n;
        if ((err = yamlio_get_seq(d, root, section_keys[s], &seq, &n)))
            goto done;
        for (size_t i = 0; i < n; i++) {
            TocEntry e = {0};
            if ((err = read_entry(d, yamlio_seq_item(d, seq, i), section_keys[s], &e))) {
                entry_clear(&e);
                goto done;
            }
            push_entry(toc, (TocSection)s, &e);
        }
    }

    /* Optional, like the key gpbackup writes: a TOC without it has no
     * statistics. */
    YamlNode *stats = NULL;
    if ((err = yamlio_map_find(d, root, "statisticsentries", &stats)))
        goto done;
    if (stats) {
        size_t ns;
        if ((err = yamlio_node_seq(d, stats, "statisticsentries", &ns)))
            goto done;
        for (size_t i = 0; i < ns; i++) {
            TocEntry e = {0};
            if ((err = read_entry(d, yamlio_seq_item(d, stats, i), "statisticsentries", &e))) {
                entry_clear(&e);
                goto done;
            }
            push_stats(toc, &e);
        }
    }

    YamlNode *seq;
    size_t n;
    if ((err = yamlio_get_seq(d, root, "dataentries", &seq, &n)))
        goto done;
    for (size_t i = 0; i < n; i++) {
        TocDataEntry e = {0};
        if ((err = read_data_entry(d, yamlio_seq_item(d, seq, i), &e))) {
            data_clear(&e);
            goto done;
        }
        push_data(toc, &e);
    }

done:
    yamlio_doc_free(d);
    if (err) {
        toc_free(toc);
        return err;
    }
    *out = toc;
    return NULL;
}

Error *toc_from_yaml(const char *text, size_t len, Toc **out)
{
    return toc_parse(text, len, TOC_WHAT, out);
}

Error *toc_read(const char *path, Toc **out)
{
    *out = NULL;
    char *text;
    size_t len;
    Error *err = file_read_all(path, TOC_MAX_FILE_SIZE, &text, &len);
    if (err)
        return err;
    /* Messages then name the file: table of contents "/bk/..._toc.yaml". */
    char *what = xasprintf(TOC_WHAT " \"%s\"", path);
    err = toc_parse(text, len, what, out);
    free(what);
    free(text);
    return err;
}
