/* Unit tests of common/toc.c: every field of every entry kind survives
 * toc_to_yaml + toc_from_yaml (and toc_write + toc_read) with hostile names
 * and extreme numbers, and the reader refuses versions, types, missing keys
 * and byte ranges it cannot trust. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fileio.h"
#include "toc.h"
#include "util.h"

static const char *const names[] = {
    "", "true", "null", "~", "yes", "123", "-1", " lead", "trail ", "a: b", "- x",
    "quote\"d", "back\\slash", "new\nline", "tab\t", "ünïcödé", "日本", "#hash", "\"",
    "x: \"y\"\n- z", "plain", "SEQUENCE SET",
};
#define NNAMES (sizeof names / sizeof names[0])

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

static const char *name_at(size_t i)
{
    return names[i % NNAMES];
}

/* A TOC touching every field with varied values. */
static Toc *sample_toc(void)
{
    Toc *toc = toc_new();
    uint64_t pos = 0;
    for (int s = 0; s < TOC_NSECTIONS; s++)
        for (size_t i = 0; i < NNAMES; i++) {
            TocEntry *e = toc_add_entry(toc, (TocSection)s, name_at(i), name_at(i + 1),
                                        name_at(i + 2), name_at(i + 3), pos, pos + i * 10);
            assert_string_equal(e->schema, name_at(i));
            e->dumpid = (uint32_t)(s * 100 + i + 1);
            for (size_t k = 0; k < i % 3; k++)
                toc_add_dependency(e, (uint32_t)(k == 2 ? UINT32_MAX : k + 1));
            toc_add_dependency(e, 1); /* a duplicate is not recorded twice */
            pos += i * 10;
        }
    /* Extreme byte offsets, and an empty range. */
    toc_add_entry(toc, TOC_POSTDATA, "s", "n", "INDEX", "s.t", UINT64_MAX, UINT64_MAX);
    toc_add_entry(toc, TOC_POSTDATA, "s", "n", "INDEX", "s.t", 0, UINT64_MAX);
    /* Statistics entries: ranges of the statistics file. */
    for (size_t i = 0; i < NNAMES; i++)
        toc_add_statistics_entry(toc, name_at(i + 1), name_at(i), "STATISTICS", name_at(i + 2),
                                 i * 100, i * 100 + (i == 1 ? 0 : 99));
    toc_add_statistics_entry(toc, "s", "t", "STATISTICS", "s.t", 0, UINT64_MAX);
    for (size_t i = 0; i < NNAMES; i++) {
        TocDataEntry d = {
            .schema = (char *)(uintptr_t)name_at(i),
            .name = (char *)(uintptr_t)name_at(i + 5),
            .oid = (uint32_t)(i == 0 ? UINT32_MAX : 16384 + i),
            .attributestring = (char *)(uintptr_t)(i % 2 ? "(\"a\",\"b c\",\"D\"\"q\")" : name_at(i + 7)),
            .rowscopied = i == 1 ? UINT64_MAX : i * 1000003,
            .partitionroot = (char *)(uintptr_t)name_at(i + 9),
            .isreplicated = i % 2,
            .distbyenum = (i / 2) % 2,
            .file = (char *)(uintptr_t)name_at(i + 11),
            .rawbytes = i == 2 ? UINT64_MAX : i * 7919,
            .filebytes = i == 3 ? UINT64_MAX : i * 31,
            /* Sets of 0.4 name each table's format; absent before. */
            .dataformat = (char *)(uintptr_t)(i % 4 == 0   ? NULL
                                              : i % 4 == 1 ? "binary"
                                              : i % 4 == 2 ? "csv"
                                                           : "packed"),
        };
        snprintf(d.checksum, sizeof d.checksum, "%032zx", i * 0x1234567u);
        /* Some tables are parts of a shared file (0.5): offset 0, the
         * largest offset read back, and an ordinary one. */
        if (i % 3 == 2) {
            d.has_offset = 1;
            d.offset = i == 2 ? (uint64_t)INT64_MAX : i == 5 ? 0 : i * 4099;
        }
        /* Some tables' own files are written in parts (0.5): they cover
         * filebytes from 0 and add up to rowscopied. */
        TocPart parts[3];
        if (i == 6 || i == 9) {
            size_t np = i == 6 ? 3 : 2;
            uint64_t at = 0, rows = 0;
            for (size_t k = 0; k < np; k++) {
                parts[k] = (TocPart){
                    .offset = at,
                    .filebytes = k + 1 < np ? i + k : d.filebytes - at,
                    .rawbytes = k == 0 ? UINT64_MAX : i * 100 + k,
                    .rows = k + 1 < np ? i * 1000 + k : d.rowscopied - rows,
                };
                snprintf(parts[k].checksum, sizeof parts[k].checksum, "%032zx",
                         (i * 10 + k) * 0x9e3779b9u);
                at += parts[k].filebytes;
                rows += parts[k].rows;
            }
            d.parts = parts;
            d.nparts = np;
        }
        TocDataEntry *stored = toc_add_data(toc, &d);
        assert_ptr_not_equal(stored->schema, d.schema); /* copied */
        if (d.nparts)
            assert_ptr_not_equal(stored->parts, d.parts);
    }
    return toc;
}

static void assert_toc_equal(const Toc *a, const Toc *b)
{
    assert_int_equal(a->formatversion, b->formatversion);
    for (int s = 0; s < TOC_NSECTIONS; s++) {
        assert_int_equal(a->nentries[s], b->nentries[s]);
        for (size_t i = 0; i < a->nentries[s]; i++) {
            const TocEntry *x = &a->entries[s][i], *y = &b->entries[s][i];
            assert_string_equal(x->schema, y->schema);
            assert_string_equal(x->name, y->name);
            assert_string_equal(x->objecttype, y->objecttype);
            assert_string_equal(x->referenceobject, y->referenceobject);
            assert_true(x->startbyte == y->startbyte);
            assert_true(x->endbyte == y->endbyte);
            assert_int_equal(x->dumpid, y->dumpid);
            assert_int_equal(x->ndependencies, y->ndependencies);
            for (size_t k = 0; k < x->ndependencies; k++)
                assert_int_equal(x->dependencies[k], y->dependencies[k]);
        }
    }
    assert_int_equal(a->nstats, b->nstats);
    for (size_t i = 0; i < a->nstats; i++) {
        const TocEntry *x = &a->stats[i], *y = &b->stats[i];
        assert_string_equal(x->schema, y->schema);
        assert_string_equal(x->name, y->name);
        assert_string_equal(x->objecttype, y->objecttype);
        assert_string_equal(x->referenceobject, y->referenceobject);
        assert_true(x->startbyte == y->startbyte);
        assert_true(x->endbyte == y->endbyte);
    }
    assert_int_equal(a->ndata, b->ndata);
    for (size_t i = 0; i < a->ndata; i++) {
        const TocDataEntry *x = &a->data[i], *y = &b->data[i];
        assert_string_equal(x->schema, y->schema);
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->oid, y->oid);
        assert_string_equal(x->attributestring, y->attributestring);
        assert_true(x->rowscopied == y->rowscopied);
        assert_string_equal(x->partitionroot, y->partitionroot);
        assert_int_equal(x->isreplicated, y->isreplicated);
        assert_int_equal(x->distbyenum, y->distbyenum);
        assert_string_equal(x->file, y->file);
        assert_true(x->rawbytes == y->rawbytes);
        assert_true(x->filebytes == y->filebytes);
        assert_string_equal(x->checksum, y->checksum);
        assert_int_equal(x->has_offset, y->has_offset);
        assert_true(x->offset == y->offset);
        if (x->dataformat)
            assert_string_equal(x->dataformat, y->dataformat);
        else
            assert_null(y->dataformat);
        assert_int_equal(x->nsegments, y->nsegments);
        for (size_t k = 0; k < x->nsegments; k++) {
            const TocSegmentFile *p = &x->segments[k], *r = &y->segments[k];
            assert_int_equal(p->content, r->content);
            assert_true(p->rows == r->rows);
            assert_true(p->rawbytes == r->rawbytes);
            assert_true(p->filebytes == r->filebytes);
            assert_string_equal(p->checksum, r->checksum);
        }
        assert_int_equal(x->nparts, y->nparts);
        if (!x->nparts)
            assert_null(y->parts);
        for (size_t k = 0; k < x->nparts; k++) {
            const TocPart *p = &x->parts[k], *r = &y->parts[k];
            assert_true(p->offset == r->offset);
            assert_true(p->filebytes == r->filebytes);
            assert_true(p->rawbytes == r->rawbytes);
            assert_true(p->rows == r->rows);
            assert_string_equal(p->checksum, r->checksum);
        }
    }
}

static void test_round_trip(void **state)
{
    (void)state;
    Toc *toc = sample_toc();
    char *text;
    size_t len;
    expect_ok(toc_to_yaml(toc, &text, &len));
    assert_int_equal(len, strlen(text));
    Toc *back = NULL;
    expect_ok(toc_from_yaml(text, len, &back));
    assert_non_null(back);
    assert_toc_equal(toc, back);
    assert_true(back->data[0].oid == UINT32_MAX);
    assert_true(back->data[1].rowscopied == UINT64_MAX);
    assert_null(back->data[0].dataformat);
    assert_string_equal(back->data[1].dataformat, "binary");
    assert_non_null(strstr(text, "  checksum: \"00000000000000000000000001234567\"\n"
                                 "  dataformat: binary\n"));

    /* Writing what was read gives the same text: nothing is lost or reordered. */
    char *again;
    size_t len2;
    expect_ok(toc_to_yaml(back, &again, &len2));
    assert_string_equal(text, again);
    free(again);
    free(text);
    toc_free(back);
    toc_free(toc);
}

static void test_layout(void **state)
{
    (void)state;
    Toc *toc = toc_new();
    assert_int_equal(toc->formatversion, TOC_FORMAT_VERSION);
    toc_add_entry(toc, TOC_PREDATA, "public", "orders", "TABLE", "", 1550, 1802);
    TocDataEntry d = {.schema = (char *)(uintptr_t)"public", .name = (char *)(uintptr_t)"orders",
                      .oid = 16391, .attributestring = (char *)(uintptr_t)"(id,amount)",
                      .rowscopied = 100000, .partitionroot = NULL, .isreplicated = 0,
                      .distbyenum = 1, .file = (char *)(uintptr_t)"gpbackup_-1_20240102010000_16391.zst",
                      .rawbytes = 5, .filebytes = 3,
                      .checksum = "0123456789abcdef0123456789abcdef"};
    toc_add_data(toc, &d);
    toc->entries[TOC_PREDATA][0].dumpid = 7;
    toc_add_dependency(&toc->entries[TOC_PREDATA][0], 3);
    char *text;
    size_t len;
    expect_ok(toc_to_yaml(toc, &text, &len));
    assert_string_equal(text,
                        "formatversion: 1\n"
                        "globalentries: []\n"
                        "predataentries:\n"
                        "- schema: public\n"
                        "  name: orders\n"
                        "  objecttype: TABLE\n"
                        "  referenceobject: \"\"\n"
                        "  startbyte: 1550\n"
                        "  endbyte: 1802\n"
                        "  dumpid: 7\n"
                        "  dependencies:\n"
                        "  - 3\n"
                        "postdataentries: []\n"
                        "statisticsentries: []\n"
                        "dataentries:\n"
                        "- schema: public\n"
                        "  name: orders\n"
                        "  oid: 16391\n"
                        "  attributestring: \"(id,amount)\"\n"
                        "  rowscopied: 100000\n"
                        "  partitionroot: \"\"\n"
                        "  isreplicated: false\n"
                        "  distbyenum: true\n"
                        "  file: gpbackup_-1_20240102010000_16391.zst\n"
                        "  rawbytes: 5\n"
                        "  filebytes: 3\n"
                        "  checksum: \"0123456789abcdef0123456789abcdef\"\n");
    free(text);
    toc_free(toc);
    toc_free(NULL);
    assert_string_equal(toc_section_key(TOC_GLOBAL), "globalentries");
    assert_string_equal(toc_section_key(TOC_PREDATA), "predataentries");
    assert_string_equal(toc_section_key(TOC_POSTDATA), "postdataentries");
}

static void test_empty_toc(void **state)
{
    (void)state;
    Toc *toc = toc_new(), *back = NULL;
    char *text;
    size_t len;
    expect_ok(toc_to_yaml(toc, &text, &len));
    expect_ok(toc_from_yaml(text, len, &back));
    assert_toc_equal(toc, back);
    free(text);
    toc_free(back);
    toc_free(toc);
}

/* A minimal valid TOC with one predata and one data entry; tests splice a
 * variation into one of the %s slots. */
static const char *valid_head = "formatversion: 1\n"
                                "globalentries: []\n"
                                "predataentries:\n"
                                "- schema: s\n"
                                "  name: n\n"
                                "  objecttype: TABLE\n"
                                "  referenceobject: \"\"\n"
                                "  startbyte: 0\n"
                                "  endbyte: 10\n"
                                "postdataentries: []\n";

static const char *valid_data = "dataentries:\n"
                                "- schema: s\n"
                                "  name: n\n"
                                "  oid: 1\n"
                                "  attributestring: (a)\n"
                                "  rowscopied: 2\n"
                                "  partitionroot: \"\"\n"
                                "  isreplicated: false\n"
                                "  distbyenum: false\n"
                                "  file: f\n"
                                "  rawbytes: 3\n"
                                "  filebytes: 4\n"
                                "  checksum: 0123456789abcdef0123456789abcdef\n";

static Error *parse_text(const char *text)
{
    Toc *toc = (Toc *)(uintptr_t)1;
    Error *err = toc_from_yaml(text, strlen(text), &toc);
    if (err)
        assert_null(toc);
    else
        toc_free(toc);
    return err;
}

/* valid_head + valid_data with the first occurrence of from replaced. */
static Error *parse_with(const char *from, const char *to)
{
    char *all = xasprintf("%s%s", valid_head, valid_data);
    char *at = strstr(all, from);
    if (!at) {
        free(all);
        fail_msg("test bug: \"%s\" not in the sample", from);
    }
    *at = '\0';
    char *text = xasprintf("%s%s%s", all, to, at + strlen(from));
    free(all);
    Error *err = parse_text(text);
    free(text);
    return err;
}

static void test_valid_sample_parses(void **state)
{
    (void)state;
    char *text = xasprintf("%s%s", valid_head, valid_data);
    Toc *toc = NULL;
    expect_ok(toc_from_yaml(text, strlen(text), &toc));
    assert_int_equal(toc->nentries[TOC_PREDATA], 1);
    assert_int_equal(toc->ndata, 1);
    assert_string_equal(toc->data[0].attributestring, "(a)");
    assert_true(toc->data[0].filebytes == 4);
    toc_free(toc);
    free(text);
}

static void test_version(void **state)
{
    (void)state;
    Error *err = parse_with("formatversion: 1\n", "formatversion: 2\n");
    assert_non_null(err);
    assert_non_null(strstr(err->message, "version 2"));
    assert_non_null(strstr(err->message, "supported version: 1"));
    expect_error(err, ERR_FORMAT, "unsupported format version 2 in table of contents");
    expect_error(parse_with("formatversion: 1\n", "formatversion: 0\n"), ERR_FORMAT,
                 "unsupported format version 0");
    expect_error(parse_with("formatversion: 1\n", "formatversion: 18446744073709551615\n"),
                 ERR_FORMAT, "unsupported format version 18446744073709551615");
    err = parse_with("formatversion: 1\n", "");
    assert_non_null(err);
    assert_non_null(err->hint);
    expect_error(err, ERR_FORMAT, "missing key \"formatversion\" in table of contents");
    expect_error(parse_with("formatversion: 1\n", "formatversion: \"1\"\n"), ERR_FORMAT,
                 "invalid value for key \"formatversion\" at line 1");
    expect_error(parse_with("formatversion: 1\n", "formatversion: one\n"), ERR_FORMAT,
                 "\"one\"");
    expect_error(parse_with("formatversion: 1\n", "formatversion: -1\n"), ERR_FORMAT, "\"-1\"");
    /* A gpbackup TOC (no formatversion) is refused for its version first. */
    expect_error(parse_text("globalentries: []\npredataentries: []\n"), ERR_FORMAT,
                 "missing key \"formatversion\"");
}

static void test_missing_keys(void **state)
{
    (void)state;
    static const char *const entry_keys[] = {"schema", "name", "objecttype", "referenceobject",
                                             "startbyte", "endbyte"};
    for (size_t i = 0; i < sizeof entry_keys / sizeof entry_keys[0]; i++) {
        /* Rename the key so that it is missing and an unknown one appears. */
        char *from = xasprintf("  %s:", entry_keys[i]);
        char *fragment = xasprintf("missing key \"%s\" in mapping at line 4 of table of contents",
                                   entry_keys[i]);
        if (i == 0)
            expect_error(parse_with("- schema:", "- xschema:"), ERR_FORMAT, fragment);
        else
            expect_error(parse_with(from, "  zz:"), ERR_FORMAT, fragment);
        free(from);
        free(fragment);
    }
    static const char *const data_keys[] = {"oid", "attributestring", "rowscopied",
                                            "partitionroot", "isreplicated", "distbyenum",
                                            "file", "rawbytes", "filebytes"};
    for (size_t i = 0; i < sizeof data_keys / sizeof data_keys[0]; i++) {
        char *from = xasprintf("  %s:", data_keys[i]);
        char *fragment = xasprintf("missing key \"%s\" in mapping at line 12", data_keys[i]);
        expect_error(parse_with(from, "  zz:"), ERR_FORMAT, fragment);
        free(from);
        free(fragment);
    }
    expect_error(parse_with("globalentries: []\n", ""), ERR_FORMAT,
                 "missing key \"globalentries\"");
    expect_error(parse_with("postdataentries: []\n", ""), ERR_FORMAT,
                 "missing key \"postdataentries\"");
    expect_error(parse_with("\ndataentries:", "\ndataentrie:"),
                 ERR_FORMAT, "missing key \"dataentries\"");
}

static void test_wrong_types(void **state)
{
    (void)state;
    expect_error(parse_with("globalentries: []", "globalentries: {}"), ERR_FORMAT,
                 "invalid value for key \"globalentries\" at line 2 of table of contents: expected a sequence, found a mapping");
    expect_error(parse_with("globalentries: []", "globalentries: x"), ERR_FORMAT,
                 "expected a sequence, found a scalar");
    expect_error(parse_with("globalentries: []", "globalentries: [x]"), ERR_FORMAT,
                 "invalid value for key \"globalentries\" at line 2 of table of contents: expected a mapping, found a scalar");
    expect_error(parse_with("  rowscopied: 2", "  rowscopied: abc"), ERR_FORMAT,
                 "invalid value for key \"rowscopied\" at line 16 of table of contents: \"abc\"");
    expect_error(parse_with("  rowscopied: 2", "  rowscopied: -2"), ERR_FORMAT,
                 "invalid value for key \"rowscopied\" at line 16 of table of contents: \"-2\"");
    expect_error(parse_with("  rowscopied: 2", "  rowscopied: 2.5"), ERR_FORMAT, "\"2.5\"");
    expect_error(parse_with("  rowscopied: 2", "  rowscopied: 18446744073709551616"),
                 ERR_FORMAT, "value for key \"rowscopied\" at line 16 of table of contents is out of range");
    expect_error(parse_with("  oid: 1", "  oid: 4294967296"), ERR_FORMAT,
                 "value for key \"oid\" at line 14 of table of contents is out of range");
    expect_error(parse_with("  startbyte: 0", "  startbyte: -5"), ERR_FORMAT,
                 "invalid value for key \"startbyte\" at line 8");
    expect_error(parse_with("  isreplicated: false", "  isreplicated: 0"), ERR_FORMAT,
                 "invalid value for key \"isreplicated\" at line 18 of table of contents: \"0\"");
    expect_error(parse_with("  distbyenum: false", "  distbyenum: no"), ERR_FORMAT,
                 "invalid value for key \"distbyenum\"");
    expect_error(parse_with("- schema: s\n  name: n\n  objecttype",
                            "- schema: [s]\n  name: n\n  objecttype"),
                 ERR_FORMAT, "invalid value for key \"schema\" at line 4 of table of contents: expected a string, found a sequence");
    expect_error(parse_with("  file: f", "  file: ~"), ERR_FORMAT,
                 "invalid value for key \"file\" at line 20 of table of contents: expected a string, found null");
    expect_error(parse_with("  file: f", "  file:"), ERR_FORMAT, "found null");
    expect_error(parse_text("- a\n- b\n"), ERR_FORMAT, "expected a mapping at line 1");
}

static void test_byte_range(void **state)
{
    (void)state;
    expect_error(parse_with("  startbyte: 0", "  startbyte: 11"), ERR_FORMAT,
                 "invalid byte range in entry at line 4 of table of contents: startbyte 11 is greater than endbyte 10");
    /* Equal bounds are an empty statement, allowed. */
    expect_ok(parse_with("  startbyte: 0", "  startbyte: 10"));
}

static void test_malformed_and_extras(void **state)
{
    (void)state;
    expect_error(parse_text(""), ERR_FORMAT, "table of contents is empty");
    expect_error(parse_with("  name: n\n  objecttype", "  name: n\n objecttype"), ERR_FORMAT,
                 "could not parse table of contents: ");
    expect_error(parse_with("postdataentries: []", "postdataentries: [\n"), ERR_FORMAT,
                 "could not parse table of contents");
    expect_error(parse_with("  name: n\n", "  name: n\n  name: m\n"), ERR_FORMAT,
                 "duplicate key \"name\" at line 6 of table of contents");

    /* Unknown keys, at any level, are ignored: later versions may add some. */
    Error *err = parse_with("postdataentries: []\n",
                            "postdataentries: []\n"
                            "statisticsentries: [{schema: x, name: t, objecttype: STATISTICS, "
                            "referenceobject: x.t, startbyte: 0, endbyte: 9, extra: 1}]\n"
                            "incrementalmetadata:\n  ao: {}\n"
                            "futurekey: [1, 2]\n");
    expect_ok(err);
    expect_ok(parse_with("  filebytes: 4\n", "  filebytes: 4\n  tier: [2, 7]\n  extra: {a: b}\n"));
}

/* back, read from text (toc's YAML), written again gives the same text;
 * toc through a file comes back equal. Frees toc, back and text. */
static void rewrites_and_reads_back(Toc *toc, Toc *back, char *text)
{
    char *again;
    expect_ok(toc_to_yaml(back, &again, NULL));
    assert_string_equal(text, again);
    free(again);
    free(text);
    toc_free(back);

    char dir[] = "/tmp/toc_test_file.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = xasprintf("%s/gpbackup_20240102010000_toc.yaml", dir);
    expect_ok(toc_write(toc, path));
    back = NULL;
    expect_ok(toc_read(path, &back));
    assert_toc_equal(toc, back);
    toc_free(back);
    unlink(path);
    rmdir(dir);
    free(path);
    toc_free(toc);
}

static void test_write_read_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/toc_test.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = xasprintf("%s/gpbackup_20240102010000_toc.yaml", dir);
    Toc *toc = sample_toc(), *back = NULL;
    expect_ok(toc_write(toc, path));
    expect_ok(toc_read(path, &back));
    assert_toc_equal(toc, back);
    toc_free(back);

    /* Errors from a file name it. */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("formatversion: 1\nglobalentries: {}\n", f);
    fclose(f);
    back = (Toc *)(uintptr_t)1;
    Error *err = toc_read(path, &back);
    assert_null(back);
    char *fragment = xasprintf("at line 2 of table of contents \"%s\"", path);
    expect_error(err, ERR_FORMAT, fragment);
    free(fragment);

    unlink(path);
    err = toc_read(path, &back);
    assert_non_null(err);
    assert_null(back);
    assert_int_not_equal(err->code, ERR_FORMAT);
    error_free(err);

    free(path);
    rmdir(dir);
    toc_free(toc);
}

/* ---- MPP sets: one file per segment ------------------------------------- */

/* A TOC with one plain data entry and one of an MPP set with 3 segments. */
static Toc *segment_toc(void)
{
    Toc *toc = toc_new();
    TocDataEntry plain = {.schema = (char *)(uintptr_t)"public", .name = (char *)(uintptr_t)"plain",
                          .oid = 16390, .attributestring = (char *)(uintptr_t)"(a)",
                          .rowscopied = 5, .partitionroot = (char *)(uintptr_t)"",
                          .file = (char *)(uintptr_t)"gpbackup_-1_20240102010000_16390.zst",
                          .rawbytes = 10, .filebytes = 9,
                          .checksum = "ffffffffffffffffffffffffffffffff"};
    toc_add_data(toc, &plain);
    TocSegmentFile segs[3];
    memset(segs, 0, sizeof segs);
    static const uint64_t rows[3] = {0, 1000003, UINT64_MAX - 1000003};
    for (int k = 0; k < 3; k++) {
        segs[k].content = k;
        segs[k].rows = rows[k];
        segs[k].rawbytes = k == 2 ? UINT64_MAX : (uint64_t)k * 7919;
        segs[k].filebytes = (uint64_t)k * 31;
        snprintf(segs[k].checksum, sizeof segs[k].checksum, "%032x", (unsigned)(k + 1) * 0xabcdefu);
    }
    TocDataEntry d = {.schema = (char *)(uintptr_t)"s \"q\"", .name = (char *)(uintptr_t)"new\nline",
                      .oid = 16391, .attributestring = (char *)(uintptr_t)"(\"a\",\"b c\")",
                      .rowscopied = UINT64_MAX, .partitionroot = (char *)(uintptr_t)"",
                      .isreplicated = 0, .distbyenum = 1,
                      .file = (char *)(uintptr_t)"gpbackup_<SEGID>_20240102010000_16391.zst",
                      .rawbytes = 12345, .filebytes = 93,
                      .checksum = "00000000000000000000000000000000",
                      .segments = segs, .nsegments = 3};
    TocDataEntry *stored = toc_add_data(toc, &d);
    /* The segments were copied, not borrowed. */
    assert_ptr_not_equal(stored->segments, segs);
    memset(segs, 0x55, sizeof segs);
    assert_int_equal(stored->segments[1].content, 1);
    return toc;
}

static void test_segments_round_trip(void **state)
{
    (void)state;
    Toc *toc = segment_toc(), *back = NULL;
    assert_int_equal(toc->data[0].nsegments, 0);
    assert_null(toc->data[0].segments);
    char *text;
    size_t len;
    expect_ok(toc_to_yaml(toc, &text, &len));
    /* Each segment's file, in content order, after the entry's own keys. */
    assert_non_null(strstr(text,
                           "  file: \"gpbackup_<SEGID>_20240102010000_16391.zst\"\n"
                           "  rawbytes: 12345\n"
                           "  filebytes: 93\n"
                           "  checksum: \"00000000000000000000000000000000\"\n"
                           "  segments:\n"
                           "  - content: 0\n"
                           "    rows: 0\n"
                           "    rawbytes: 0\n"
                           "    filebytes: 0\n"
                           "    checksum: \"00000000000000000000000000abcdef\"\n"
                           "  - content: 1\n"
                           "    rows: 1000003\n"));
    /* A plain entry has no segments key. */
    const char *second = strstr(text, "- schema:");
    assert_non_null(second);
    second = strstr(second + 1, "- schema:");
    assert_non_null(second);
    char *first_entry = xstrndup(text, (size_t)(second - text));
    assert_null(strstr(first_entry, "segments"));
    free(first_entry);

    expect_ok(toc_from_yaml(text, len, &back));
    assert_toc_equal(toc, back);
    assert_int_equal(back->data[1].nsegments, 3);
    for (int k = 0; k < 3; k++)
        assert_int_equal(back->data[1].segments[k].content, k);
    assert_true(back->data[1].segments[2].rawbytes == UINT64_MAX);
    assert_true(back->data[1].rowscopied == UINT64_MAX);
    rewrites_and_reads_back(toc, back, text);
}

/* A data entry "tbl" of 40 file bytes and 6 rows, file named with segid,
 * followed by the keys extra_yaml (a segments or parts list, an offset). */
static Error *parse_entry(const char *segid, const char *extra_yaml)
{
    char *text = xasprintf("%s"
                           "dataentries:\n"
                           "- schema: s\n"
                           "  name: tbl\n"
                           "  oid: 1\n"
                           "  attributestring: (a)\n"
                           "  rowscopied: 6\n"
                           "  partitionroot: \"\"\n"
                           "  isreplicated: false\n"
                           "  distbyenum: false\n"
                           "  file: gpbackup_%s_20240102010000_1.zst\n"
                           "  rawbytes: 30\n"
                           "  filebytes: 40\n"
                           "  checksum: \"00000000000000000000000000000000\"\n"
                           "%s",
                           valid_head, segid, extra_yaml);
    Error *err = parse_text(text);
    free(text);
    return err;
}

/* With 3 segments (rows 1 + 2 + 3 = rowscopied 6) given as text. */
static Error *parse_segments(const char *segments_yaml)
{
    return parse_entry("<SEGID>", segments_yaml);
}

#define SEG(content, rows, sum)                                                               \
    "  - content: " #content "\n    rows: " #rows "\n    rawbytes: 10\n    filebytes: 20\n" \
    "    checksum: \"" sum "\"\n"
#define SUM0 "0123456789abcdef0123456789abcdef"
#define SUM1 "11111111111111111111111111111111"
#define SUM2 "fedcba9876543210fedcba9876543210"

static void test_segments_rejected(void **state)
{
    (void)state;
    /* The reference: parses. */
    expect_ok(parse_segments("  segments:\n" SEG(0, 1, SUM0) SEG(1, 2, SUM1) SEG(2, 3, SUM2)));
    /* Out of order, a gap, a duplicate, not starting at 0. */
    expect_error(parse_segments("  segments:\n" SEG(0, 1, SUM0) SEG(2, 3, SUM2) SEG(1, 2, SUM1)),
                 ERR_FORMAT, "invalid segment 1 of table \"tbl\" in the table of contents: "
                             "contents out of order");
    expect_error(parse_segments("  segments:\n" SEG(1, 1, SUM0) SEG(2, 2, SUM1) SEG(3, 3, SUM2)),
                 ERR_FORMAT, "invalid segment 0 of table \"tbl\"");
    expect_error(parse_segments("  segments:\n" SEG(0, 1, SUM0) SEG(0, 2, SUM1) SEG(1, 3, SUM2)),
                 ERR_FORMAT, "contents out of order");
    expect_error(parse_segments("  segments:\n" SEG(0, 3, SUM0) SEG(1, 3, SUM1) SEG(3, 0, SUM2)),
                 ERR_FORMAT, "invalid segment 2 of table \"tbl\"");
    /* Rows that do not add up to rowscopied, either way. */
    expect_error(parse_segments("  segments:\n" SEG(0, 1, SUM0) SEG(1, 2, SUM1) SEG(2, 4, SUM2)),
                 ERR_FORMAT, "table \"tbl\": the rows of its segments do not add up to "
                             "rowscopied in the table of contents");
    expect_error(parse_segments("  segments:\n" SEG(0, 1, SUM0) SEG(1, 2, SUM1) SEG(2, 2, SUM2)),
                 ERR_FORMAT, "do not add up to rowscopied");
    expect_error(parse_segments("  segments:\n" SEG(0, 1, SUM0) SEG(1, 2, SUM1)), ERR_FORMAT,
                 "do not add up to rowscopied");
    expect_error(parse_segments("  segments: []\n"), ERR_FORMAT, "do not add up to rowscopied");
    /* Bad checksums: upper case, short, long, not hex, empty. */
    expect_error(parse_segments("  segments:\n" SEG(0, 1, SUM0)
                                    SEG(1, 2, "ABCDEF0123456789ABCDEF0123456789") SEG(2, 3, SUM2)),
                 ERR_FORMAT, "invalid segment 1 of table \"tbl\" in the table of contents: bad "
                             "checksum");
    expect_error(parse_segments("  segments:\n" SEG(0, 1, "0123") SEG(1, 2, SUM1) SEG(2, 3, SUM2)),
                 ERR_FORMAT, "invalid segment 0 of table \"tbl\" in the table of contents: bad checksum");
    expect_error(parse_segments("  segments:\n" SEG(0, 1, SUM0) SEG(1, 2, SUM1)
                                    SEG(2, 3, SUM2 "0")),
                 ERR_FORMAT, "bad checksum");
    expect_error(parse_segments("  segments:\n" SEG(0, 1, SUM0) SEG(1, 2, SUM1)
                                    SEG(2, 3, "g123456789abcdef0123456789abcdef")),
                 ERR_FORMAT, "bad checksum");
    expect_error(parse_segments("  segments:\n" SEG(0, 1, "") SEG(1, 2, SUM1) SEG(2, 3, SUM2)),
                 ERR_FORMAT, "bad checksum");
    /* Wrong types and missing keys. */
    expect_error(parse_segments("  segments:\n" SEG(-1, 1, SUM0) SEG(0, 2, SUM1) SEG(1, 3, SUM2)),
                 ERR_FORMAT, "invalid value for key \"content\"");
    expect_error(parse_segments("  segments: {a: b}\n"), ERR_FORMAT,
                 "invalid value for key \"segments\"");
    expect_error(parse_segments("  segments: [1, 2]\n"), ERR_FORMAT, "expected a mapping");
    expect_error(parse_segments("  segments:\n  - content: 0\n    rows: 6\n    rawbytes: 1\n"
                                "    checksum: \"" SUM0 "\"\n"),
                 ERR_FORMAT, "missing key \"filebytes\"");
    expect_error(parse_segments("  segments:\n  - content: 0\n    rows: 6\n    rawbytes: 1\n"
                                "    filebytes: 1\n"),
                 ERR_FORMAT, "missing key \"checksum\"");
    expect_error(parse_segments("  segments:\n  - content: 0\n    rows: x\n    rawbytes: 1\n"
                                "    filebytes: 1\n    checksum: \"" SUM0 "\"\n"),
                 ERR_FORMAT, "invalid value for key \"rows\"");
}

/* ---- Tables sharing a data file: the offset key -------------------------- */

static void test_offset_round_trip(void **state)
{
    (void)state;
    Toc *toc = toc_new(), *back = NULL;
    TocDataEntry shared = {.schema = (char *)(uintptr_t)"public",
                           .name = (char *)(uintptr_t)"small1", .oid = 16400,
                           .attributestring = (char *)(uintptr_t)"(a)",
                           .rowscopied = 3, .partitionroot = (char *)(uintptr_t)"",
                           .file = (char *)(uintptr_t)"gpbackup_-1_20240102010000_shared_1.zst",
                           .rawbytes = 30, .filebytes = 21,
                           .checksum = "0123456789abcdef0123456789abcdef",
                           .has_offset = 1, .offset = 123456789012ULL};
    toc_add_data(toc, &shared);
    /* Not shared: an offset in memory without has_offset is not written. */
    TocDataEntry whole = {.schema = (char *)(uintptr_t)"public", .name = (char *)(uintptr_t)"big",
                          .oid = 16401, .attributestring = (char *)(uintptr_t)"(a)",
                          .rowscopied = 4, .partitionroot = (char *)(uintptr_t)"",
                          .file = (char *)(uintptr_t)"gpbackup_-1_20240102010000_16401.zst",
                          .rawbytes = 40, .filebytes = 22,
                          .checksum = "fedcba9876543210fedcba9876543210",
                          .dataformat = (char *)(uintptr_t)"csv", .has_offset = 0, .offset = 777};
    toc_add_data(toc, &whole);
    char *text;
    size_t len;
    expect_ok(toc_to_yaml(toc, &text, &len));
    /* After the entry's other keys. */
    assert_non_null(strstr(text, "  filebytes: 21\n"
                                 "  checksum: \"0123456789abcdef0123456789abcdef\"\n"
                                 "  offset: 123456789012\n"
                                 "- schema: public\n"
                                 "  name: big\n"));
    const char *second = strstr(text, "  name: big\n");
    assert_non_null(second);
    assert_null(strstr(second, "offset"));
    assert_null(strstr(second, "777"));
    assert_non_null(strstr(second, "  dataformat: csv\n"));

    expect_ok(toc_from_yaml(text, len, &back));
    assert_int_equal(back->ndata, 2);
    assert_int_equal(back->data[0].has_offset, 1);
    assert_true(back->data[0].offset == 123456789012ULL);
    assert_true(back->data[0].filebytes == 21);
    assert_int_equal(back->data[1].has_offset, 0);
    assert_true(back->data[1].offset == 0);
    char *again;
    expect_ok(toc_to_yaml(back, &again, NULL));
    assert_string_equal(text, again);
    free(again);
    toc_free(back);
    free(text);
    toc_free(toc);

    /* Read from text: 0 and INT64_MAX are offsets too. */
    static const char *const ok_values[] = {"0", "1", "9223372036854775807"};
    static const uint64_t ok_want[] = {0, 1, (uint64_t)INT64_MAX};
    for (size_t i = 0; i < 3; i++) {
        char *with = xasprintf("  filebytes: 4\n  offset: %s\n", ok_values[i]);
        char *all = xasprintf("%s%s", valid_head, valid_data);
        char *at = strstr(all, "  filebytes: 4\n");
        assert_non_null(at);
        *at = '\0';
        char *full = xasprintf("%s%s%s", all, with, at + strlen("  filebytes: 4\n"));
        Toc *t = NULL;
        expect_ok(toc_from_yaml(full, strlen(full), &t));
        assert_int_equal(t->data[0].has_offset, 1);
        assert_true(t->data[0].offset == ok_want[i]);
        toc_free(t);
        free(full), free(all), free(with);
    }
    /* No key: the whole file. */
    char *plain = xasprintf("%s%s", valid_head, valid_data);
    Toc *t = NULL;
    expect_ok(toc_from_yaml(plain, strlen(plain), &t));
    assert_int_equal(t->data[0].has_offset, 0);
    assert_true(t->data[0].offset == 0);
    toc_free(t);
    free(plain);
}

static void test_offset_rejected(void **state)
{
    (void)state;
    /* Past INT64_MAX (no file is that long; lseek would refuse it). */
    Error *err = parse_with("  filebytes: 4\n", "  filebytes: 4\n  offset: 9223372036854775808\n");
    assert_non_null(err);
    assert_non_null(err->detail);
    assert_non_null(strstr(err->detail, "9223372036854775807"));
    expect_error(err, ERR_FORMAT,
                 "value for key \"offset\" at line 23 of table of contents is out of range: "
                 "\"9223372036854775808\"");
    expect_error(parse_with("  filebytes: 4\n", "  filebytes: 4\n  offset: 18446744073709551615\n"),
                 ERR_FORMAT,
                 "value for key \"offset\" at line 23 of table of contents is out of range");
    expect_error(parse_with("  filebytes: 4\n", "  filebytes: 4\n  offset: 18446744073709551616\n"),
                 ERR_FORMAT,
                 "value for key \"offset\" at line 23 of table of contents is out of range");
    /* Wrong types. */
    expect_error(parse_with("  filebytes: 4\n", "  filebytes: 4\n  offset: -1\n"), ERR_FORMAT,
                 "invalid value for key \"offset\" at line 23");
    expect_error(parse_with("  filebytes: 4\n", "  filebytes: 4\n  offset: \"12\"\n"), ERR_FORMAT,
                 "invalid value for key \"offset\"");
    expect_error(parse_with("  filebytes: 4\n", "  filebytes: 4\n  offset: ~\n"), ERR_FORMAT,
                 "invalid value for key \"offset\"");
    expect_error(parse_with("  filebytes: 4\n", "  filebytes: 4\n  offset: [1]\n"), ERR_FORMAT,
                 "invalid value for key \"offset\"");
    expect_error(parse_with("  filebytes: 4\n", "  filebytes: 4\n  offset: 1\n  offset: 2\n"),
                 ERR_FORMAT, "duplicate key \"offset\"");
}

/* ---- Large tables: a file written in parts ------------------------------ */

/* A TOC with a data entry of 3 parts (at the extremes a part may have: an
 * offset of INT64_MAX, rawbytes and rows up to UINT64_MAX) between two
 * entries without parts. */
static Toc *parts_toc(void)
{
    Toc *toc = toc_new();
    TocDataEntry plain = {.schema = (char *)(uintptr_t)"public", .name = (char *)(uintptr_t)"plain",
                          .oid = 16390, .attributestring = (char *)(uintptr_t)"(a)",
                          .rowscopied = 5, .partitionroot = (char *)(uintptr_t)"",
                          .file = (char *)(uintptr_t)"gpbackup_-1_20240102010000_16390.zst",
                          .rawbytes = 10, .filebytes = 9,
                          .checksum = "ffffffffffffffffffffffffffffffff"};
    toc_add_data(toc, &plain);
    TocPart parts[3] = {
        {.offset = 0, .filebytes = 100, .rawbytes = 1000, .rows = 7,
         .checksum = "0123456789abcdef0123456789abcdef"},
        {.offset = 100, .filebytes = (uint64_t)INT64_MAX - 100, .rawbytes = UINT64_MAX,
         .rows = UINT64_MAX - 7 - 11, .checksum = "11111111111111111111111111111111"},
        {.offset = (uint64_t)INT64_MAX, .filebytes = 5, .rawbytes = 0, .rows = 11,
         .checksum = "fedcba9876543210fedcba9876543210"},
    };
    TocDataEntry big = {.schema = (char *)(uintptr_t)"public", .name = (char *)(uintptr_t)"big",
                        .oid = 16391, .attributestring = (char *)(uintptr_t)"(\"a\",\"b\")",
                        .rowscopied = UINT64_MAX, .partitionroot = (char *)(uintptr_t)"",
                        .file = (char *)(uintptr_t)"gpbackup_-1_20240102010000_16391.zst",
                        .rawbytes = 12345, .filebytes = (uint64_t)INT64_MAX + 5,
                        .checksum = "abcdefabcdefabcdefabcdefabcdefab",
                        .dataformat = (char *)(uintptr_t)"binary",
                        .parts = parts, .nparts = 3};
    TocDataEntry *stored = toc_add_data(toc, &big);
    /* The parts were copied, not borrowed. */
    assert_ptr_not_equal(stored->parts, parts);
    memset(parts, 0x55, sizeof parts);
    assert_int_equal(stored->nparts, 3);
    assert_true(stored->parts[1].offset == 100);
    assert_string_equal(stored->parts[2].checksum, "fedcba9876543210fedcba9876543210");
    TocDataEntry after = plain;
    after.name = (char *)(uintptr_t)"after";
    after.oid = 16392;
    toc_add_data(toc, &after);
    return toc;
}

static void test_parts_round_trip(void **state)
{
    (void)state;
    Toc *toc = parts_toc(), *back = NULL;
    assert_int_equal(toc->data[0].nparts, 0);
    assert_null(toc->data[0].parts);
    char *text;
    size_t len;
    expect_ok(toc_to_yaml(toc, &text, &len));
    assert_int_equal(len, strlen(text));
    /* The parts, in order, after the entry's own keys; each with every key. */
    assert_non_null(strstr(text,
                           "  filebytes: 9223372036854775812\n"
                           "  checksum: abcdefabcdefabcdefabcdefabcdefab\n"
                           "  dataformat: binary\n"
                           "  parts:\n"
                           "  - offset: 0\n"
                           "    filebytes: 100\n"
                           "    rawbytes: 1000\n"
                           "    rows: 7\n"
                           "    checksum: \"0123456789abcdef0123456789abcdef\"\n"
                           "  - offset: 100\n"
                           "    filebytes: 9223372036854775707\n"
                           "    rawbytes: 18446744073709551615\n"
                           "    rows: 18446744073709551597\n"
                           "    checksum: \"11111111111111111111111111111111\"\n"
                           "  - offset: 9223372036854775807\n"
                           "    filebytes: 5\n"
                           "    rawbytes: 0\n"
                           "    rows: 11\n"
                           "    checksum: fedcba9876543210fedcba9876543210\n"
                           "- schema: public\n"
                           "  name: after\n"));
    /* Entries without parts have no parts key. */
    const char *big = strstr(text, "  name: big\n");
    assert_non_null(big);
    char *first = xstrndup(text, (size_t)(big - text));
    assert_null(strstr(first, "parts"));
    free(first);
    const char *after = strstr(text, "  name: after\n");
    assert_non_null(after);
    assert_null(strstr(after, "parts"));
    assert_null(strstr(after, "offset"));
    assert_non_null(strstr(text, "parts:"));
    assert_null(strstr(strstr(text, "parts:") + 1, "parts:"));

    expect_ok(toc_from_yaml(text, len, &back));
    assert_toc_equal(toc, back);
    assert_int_equal(back->data[0].nparts, 0);
    assert_null(back->data[0].parts);
    assert_int_equal(back->data[2].nparts, 0);
    assert_null(back->data[2].parts);
    const TocDataEntry *e = &back->data[1];
    assert_int_equal(e->nparts, 3);
    assert_int_equal(e->has_offset, 0);
    assert_true(e->parts[0].offset == 0);
    assert_true(e->parts[0].filebytes == 100);
    assert_true(e->parts[0].rawbytes == 1000);
    assert_true(e->parts[0].rows == 7);
    assert_string_equal(e->parts[0].checksum, "0123456789abcdef0123456789abcdef");
    assert_true(e->parts[1].offset == 100);
    assert_true(e->parts[1].filebytes == (uint64_t)INT64_MAX - 100);
    assert_true(e->parts[1].rawbytes == UINT64_MAX);
    assert_true(e->parts[1].rows == UINT64_MAX - 18);
    assert_string_equal(e->parts[1].checksum, "11111111111111111111111111111111");
    assert_true(e->parts[2].offset == (uint64_t)INT64_MAX);
    assert_true(e->parts[2].filebytes == 5);
    assert_true(e->parts[2].rawbytes == 0);
    assert_true(e->parts[2].rows == 11);
    assert_string_equal(e->parts[2].checksum, "fedcba9876543210fedcba9876543210");
    assert_true(e->filebytes == (uint64_t)INT64_MAX + 5);
    assert_true(e->rowscopied == UINT64_MAX);

    rewrites_and_reads_back(toc, back, text);
}

/* The client path's entry, with a parts list or an offset. */
static Error *parse_parts(const char *extra_yaml)
{
    return parse_entry("-1", extra_yaml);
}

#define PART(offset, filebytes, rows, sum)                                                  \
    "  - offset: " #offset "\n    filebytes: " #filebytes "\n    rawbytes: 10\n"            \
    "    rows: " #rows "\n    checksum: \"" sum "\"\n"
/* The reference: 0+10, 10+10, 20+20 = 40 bytes; 1 + 2 + 3 = 6 rows. */
#define PARTS_OK "  parts:\n" PART(0, 10, 1, SUM0) PART(10, 10, 2, SUM1) PART(20, 20, 3, SUM2)

static void test_parts_rejected(void **state)
{
    (void)state;
    expect_ok(parse_parts(PARTS_OK));
    expect_ok(parse_parts("  parts:\n" PART(0, 30, 5, SUM0) PART(30, 10, 1, SUM1)));
    /* Empty parts and parts of no rows are allowed if everything adds up. */
    expect_ok(parse_parts("  parts:\n" PART(0, 0, 0, SUM0) PART(0, 40, 6, SUM1)
                              PART(40, 0, 0, SUM2)));

    /* Fewer than 2 parts: one stream has no parts key. */
    expect_error(parse_parts("  parts:\n" PART(0, 40, 6, SUM0)), ERR_FORMAT,
                 "table \"tbl\" lists 1 part in the table of contents");
    expect_error(parse_parts("  parts: []\n"), ERR_FORMAT,
                 "table \"tbl\" lists 0 parts in the table of contents");
    /* Parts of a shared file's stream: never both. */
    expect_error(parse_parts("  offset: 0\n" PARTS_OK), ERR_FORMAT,
                 "table \"tbl\" lists 3 parts and an offset in the table of contents");
    expect_error(parse_parts(PARTS_OK "  offset: 100\n"), ERR_FORMAT,
                 "table \"tbl\" lists 3 parts and an offset in the table of contents");
    expect_error(parse_parts("  offset: 0\n  parts:\n" PART(0, 40, 6, SUM0)), ERR_FORMAT,
                 "table \"tbl\" lists 1 part and an offset in the table of contents");

    /* Not following each other: a gap, an overlap, not starting at 0,
     * out of order. */
    expect_error(parse_parts("  parts:\n" PART(0, 10, 1, SUM0) PART(11, 10, 2, SUM1)
                                 PART(21, 19, 3, SUM2)),
                 ERR_FORMAT, "invalid part 2 of table \"tbl\" in the table of contents: "
                             "not where the previous part ends");
    expect_error(parse_parts("  parts:\n" PART(0, 10, 1, SUM0) PART(10, 10, 2, SUM1)
                                 PART(19, 21, 3, SUM2)),
                 ERR_FORMAT, "invalid part 3 of table \"tbl\" in the table of contents: "
                             "not where the previous part ends");
    expect_error(parse_parts("  parts:\n" PART(1, 9, 1, SUM0) PART(10, 10, 2, SUM1)
                                 PART(20, 20, 3, SUM2)),
                 ERR_FORMAT, "invalid part 1 of table \"tbl\" in the table of contents: "
                             "not where the previous part ends");
    expect_error(parse_parts("  parts:\n" PART(0, 10, 1, SUM0) PART(20, 20, 3, SUM2)
                                 PART(10, 10, 2, SUM1)),
                 ERR_FORMAT, "invalid part 2 of table \"tbl\" in the table of contents: "
                             "not where the previous part ends");

    /* Bad checksums: upper case, short, long, not hex, empty. */
    expect_error(parse_parts("  parts:\n" PART(0, 10, 1, SUM0) PART(10, 10, 2, SUM1)
                                 PART(20, 20, 3, "FEDCBA9876543210FEDCBA9876543210")),
                 ERR_FORMAT, "invalid part 3 of table \"tbl\" in the table of contents: "
                             "bad checksum");
    expect_error(parse_parts("  parts:\n" PART(0, 10, 1, "0123") PART(10, 10, 2, SUM1)
                                 PART(20, 20, 3, SUM2)),
                 ERR_FORMAT, "invalid part 1 of table \"tbl\" in the table of contents: "
                             "bad checksum");
    expect_error(parse_parts("  parts:\n" PART(0, 10, 1, SUM0) PART(10, 10, 2, SUM1 "0")
                                 PART(20, 20, 3, SUM2)),
                 ERR_FORMAT, "invalid part 2 of table \"tbl\" in the table of contents: "
                             "bad checksum");
    expect_error(parse_parts("  parts:\n" PART(0, 10, 1, SUM0)
                                 PART(10, 10, 2, "g123456789abcdef0123456789abcdef")
                                 PART(20, 20, 3, SUM2)),
                 ERR_FORMAT, "invalid part 2 of table \"tbl\" in the table of contents: "
                             "bad checksum");
    expect_error(parse_parts("  parts:\n" PART(0, 10, 1, SUM0) PART(10, 10, 2, "")
                                 PART(20, 20, 3, SUM2)),
                 ERR_FORMAT, "bad checksum");

    /* Ending before or after the file's end. */
    expect_error(parse_parts("  parts:\n" PART(0, 10, 1, SUM0) PART(10, 10, 2, SUM1)
                                 PART(20, 19, 3, SUM2)),
                 ERR_FORMAT, "table \"tbl\": its parts do not add up to its filebytes in the "
                             "table of contents");
    expect_error(parse_parts("  parts:\n" PART(0, 10, 1, SUM0) PART(10, 10, 2, SUM1)
                                 PART(20, 21, 3, SUM2)),
                 ERR_FORMAT, "table \"tbl\": its parts do not add up to its filebytes in the "
                             "table of contents");
    /* Rows that do not add up to rowscopied, either way. */
    expect_error(parse_parts("  parts:\n" PART(0, 10, 1, SUM0) PART(10, 10, 2, SUM1)
                                 PART(20, 20, 4, SUM2)),
                 ERR_FORMAT, "table \"tbl\": its parts do not add up to its rowscopied in the "
                             "table of contents");
    expect_error(parse_parts("  parts:\n" PART(0, 10, 1, SUM0) PART(10, 10, 2, SUM1)
                                 PART(20, 20, 2, SUM2)),
                 ERR_FORMAT, "table \"tbl\": its parts do not add up to its rowscopied in the "
                             "table of contents");
    /* Rows whose sum overflows (and would wrap round to rowscopied 6). */
    expect_error(parse_parts("  parts:\n" PART(0, 10, 18446744073709551615, SUM0)
                                 PART(10, 10, 7, SUM1) PART(20, 20, 0, SUM2)),
                 ERR_FORMAT, "invalid part 2 of table \"tbl\" in the table of contents: "
                             "too many rows");

    /* Offsets and sizes past INT64_MAX (no file is that long). */
    Error *err = parse_parts("  parts:\n" PART(0, 10, 1, SUM0) PART(10, 10, 2, SUM1)
                                 PART(9223372036854775808, 20, 3, SUM2));
    assert_non_null(err);
    assert_non_null(err->detail);
    assert_non_null(strstr(err->detail, "9223372036854775807"));
    expect_error(err, ERR_FORMAT, "value for key \"offset\" at line 35 of table of contents is "
                                  "out of range: \"9223372036854775808\"");
    expect_error(parse_parts("  parts:\n" PART(0, 9223372036854775808, 1, SUM0)
                                 PART(10, 10, 2, SUM1) PART(20, 20, 3, SUM2)),
                 ERR_FORMAT, "value for key \"filebytes\" at line 26 of table of contents is "
                             "out of range");

    /* Wrong types and missing keys. */
    expect_error(parse_parts("  parts: {a: b}\n"), ERR_FORMAT, "invalid value for key \"parts\"");
    expect_error(parse_parts("  parts: [1, 2]\n"), ERR_FORMAT, "expected a mapping");
    expect_error(parse_parts("  parts: 3\n"), ERR_FORMAT, "invalid value for key \"parts\"");
    expect_error(parse_parts("  parts:\n" PART(0, 10, 1, SUM0) PART(10, 10, -2, SUM1)
                                 PART(20, 20, 3, SUM2)),
                 ERR_FORMAT, "invalid value for key \"rows\"");
    expect_error(parse_parts("  parts:\n" PART(0, 10, 1, SUM0)
                             "  - offset: 10\n    filebytes: 30\n    rawbytes: 1\n"
                             "    checksum: \"" SUM1 "\"\n"),
                 ERR_FORMAT, "missing key \"rows\"");
    expect_error(parse_parts("  parts:\n" PART(0, 10, 1, SUM0)
                             "  - offset: 10\n    filebytes: 30\n    rawbytes: 1\n    rows: 5\n"),
                 ERR_FORMAT, "missing key \"checksum\"");
}

/* At most a million parts: the count is checked before any is read. */
static void test_parts_too_many(void **state)
{
    (void)state;
    const size_t n = 1000001;
    char *list = xmalloc(16 + 2 * n + 2);
    char *p = list;
    p += sprintf(p, "  parts: [");
    for (size_t i = 0; i < n; i++) {
        *p++ = '0';
        *p++ = i + 1 < n ? ',' : ']';
    }
    *p++ = '\n';
    *p = '\0';
    expect_error(parse_parts(list), ERR_FORMAT,
                 "table \"tbl\" lists 1000001 parts in the table of contents");
    free(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_empty_toc),
        cmocka_unit_test(test_valid_sample_parses),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_missing_keys),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_byte_range),
        cmocka_unit_test(test_malformed_and_extras),
        cmocka_unit_test(test_write_read_file),
        cmocka_unit_test(test_segments_round_trip),
        cmocka_unit_test(test_segments_rejected),
        cmocka_unit_test(test_offset_round_trip),
        cmocka_unit_test(test_offset_rejected),
        cmocka_unit_test(test_parts_round_trip),
        cmocka_unit_test(test_parts_rejected),
        cmocka_unit_test(test_parts_too_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
