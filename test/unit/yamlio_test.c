/* Unit tests of common/yamlio.c: that every string survives a write and a
 * read unchanged, that the emitted text reads as strings in YAML 1.1 too
 * (quoting of true/null/123...), and that the typed readers refuse anything
 * but the exact forms we write, with the key and the line in the message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "yamlio.h"

/* Strings chosen to break naive YAML writers: YAML 1.1 booleans and nulls,
 * numbers, indicators, whitespace at the ends, escapes, non-ASCII. */
static const char *const hostile[] = {
    "",
    "true", "false", "True", "FALSE", "yes", "no", "on", "off", "y", "n", "Y",
    "null", "Null", "NULL", "~",
    "123", "-1", "+1", "0x1F", "0o17", "010", "1e3", "1.5", ".inf", "-.inf", ".nan",
    "1_000", "12:30:45", "2001-12-14", "20240102010000",
    " leading", "trailing ", "  ", " ", "\t", "tab\tinside",
    "line\nbreak", "\n", "trailing newline\n", "\r\n", "cr\rlf",
    "double\"quote", "'single'", "back\\slash", "\\", "\\n", "\"",
    "a: b", "a:b", "- item", "-", "--", "---", "...", "? q", ": v",
    "#comment", "a #b", "a# b", "[x]", "{x}", "a, b", "*alias", "&anchor", "!tag", "!!str x",
    "|", ">", "%percent", "@at", "`tick", "<<",
    "ünïcödé", "日本語テーブル", "emoji \xf0\x9f\x98\x80", "\xc2\x85nel", "\xe2\x80\xa8ls",
    "\xef\xbb\xbf" "bom", "\x7f" "del", "\x01\x02\x1b",
    "public", "plain name", "SEQUENCE SET", "(id,amount)", "(\"a\",\"B c\")",
    "schema.table", "/abs/path", "_under",
};
#define NHOSTILE (sizeof hostile / sizeof hostile[0])

/* Check err, then free it: code and a fragment of the message. */
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

static char *finish(YamlWriter *w)
{
    char *out = NULL;
    size_t len = 0;
    expect_ok(yamlio_writer_finish(w, &out, &len));
    yamlio_writer_free(w);
    assert_non_null(out);
    assert_int_equal(len, strlen(out));
    return out;
}

static YamlDoc *parse_ok(const char *text)
{
    YamlDoc *d = NULL;
    expect_ok(yamlio_doc_parse(text, strlen(text), "test file", &d));
    assert_non_null(d);
    return d;
}

static Error *parse_err(const char *text)
{
    YamlDoc *d = NULL;
    Error *err = yamlio_doc_parse(text, strlen(text), "test file", &d);
    assert_null(d);
    return err;
}

/* Every hostile string as a value and as a list item. */
static void test_hostile_strings_round_trip(void **state)
{
    (void)state;
    YamlWriter *w = yamlio_writer_new("test file");
    StrList list = {0};
    yamlio_map_start(w);
    for (size_t i = 0; i < NHOSTILE; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%zu", i);
        yamlio_key_str(w, key, hostile[i]);
        strlist_push(&list, hostile[i]);
    }
    yamlio_key_strlist(w, "list", &list);
    yamlio_map_end(w);
    char *text = finish(w);

    YamlDoc *d = parse_ok(text);
    YamlNode *root;
    expect_ok(yamlio_doc_root_map(d, &root));
    for (size_t i = 0; i < NHOSTILE; i++) {
        char key[16], *s;
        snprintf(key, sizeof key, "k%zu", i);
        expect_ok(yamlio_get_str(d, root, key, &s));
        if (strcmp(s, hostile[i]) != 0)
            fail_msg("string %zu came back as \"%s\"", i, s);
        free(s);
    }
    StrList back = {0};
    expect_ok(yamlio_get_strlist(d, root, "list", &back));
    assert_int_equal(back.n, NHOSTILE);
    for (size_t i = 0; i < NHOSTILE; i++)
        assert_string_equal(back.items[i], hostile[i]);
    strlist_free(&back);
    strlist_free(&list);
    yamlio_doc_free(d);
    free(text);
}

/* Hostile strings used as mapping keys: yamlio_map_find must find them. */
static void test_hostile_keys(void **state)
{
    (void)state;
    YamlWriter *w = yamlio_writer_new("test file");
    yamlio_map_start(w);
    for (size_t i = 0; i < NHOSTILE; i++)
        yamlio_key_uint64(w, hostile[i], i);
    yamlio_map_end(w);
    char *text = finish(w);
    YamlDoc *d = parse_ok(text);
    YamlNode *root;
    expect_ok(yamlio_doc_root_map(d, &root));
    for (size_t i = 0; i < NHOSTILE; i++) {
        uint64_t v;
        expect_ok(yamlio_get_uint64(d, root, hostile[i], UINT64_MAX, &v));
        assert_int_equal(v, i);
    }
    yamlio_doc_free(d);
    free(text);
}

/* The exact text matters for other YAML readers: a plain true would be a
 * boolean to yaml.v2 and PyYAML. */
static void test_quoting_in_text(void **state)
{
    (void)state;
    YamlWriter *w = yamlio_writer_new("test file");
    yamlio_map_start(w);
    yamlio_key_str(w, "a", "true");
    yamlio_key_str(w, "b", "");
    yamlio_key_str(w, "c", "123");
    yamlio_key_str(w, "d", "public");
    yamlio_key_str(w, "e", "SEQUENCE SET");
    yamlio_key_str(w, "f", "line\nbreak");
    yamlio_key_str(w, "g", "~");
    yamlio_key_str(w, "h", NULL);
    yamlio_key_str(w, "i", "ünï");
    yamlio_key_uint64(w, "j", 42);
    yamlio_key_bool(w, "k", true);
    yamlio_key_bool(w, "l", false);
    yamlio_key_strlist(w, "m", NULL);
    yamlio_key_str(w, "p", "trail ");
    yamlio_map_end(w);
    char *text = finish(w);
    assert_string_equal(text, "a: \"true\"\n"
                              "b: \"\"\n"
                              "c: \"123\"\n"
                              "d: public\n"
                              "e: SEQUENCE SET\n"
                              "f: \"line\\nbreak\"\n"
                              "g: \"~\"\n"
                              "h: \"\"\n"
                              "i: \"ünï\"\n"
                              "j: 42\n"
                              "k: true\n"
                              "l: false\n"
                              "m: []\n"
                              "p: \"trail \"\n");
    free(text);
}

/* A long value with spaces must not be folded across lines. */
static void test_long_string(void **state)
{
    (void)state;
    size_t n = 300000;
    char *big = malloc(n + 1);
    assert_non_null(big);
    for (size_t i = 0; i < n; i++)
        big[i] = (i % 7 == 6) ? ' ' : (char)('a' + i % 26);
    big[n] = '\0';
    YamlWriter *w = yamlio_writer_new("test file");
    yamlio_map_start(w);
    yamlio_key_str(w, "big", big);
    yamlio_key_str(w, "after", "x");
    yamlio_map_end(w);
    char *text = finish(w);
    size_t lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 2);

    YamlDoc *d = parse_ok(text);
    YamlNode *root;
    char *s;
    expect_ok(yamlio_doc_root_map(d, &root));
    expect_ok(yamlio_get_str(d, root, "big", &s));
    assert_int_equal(strlen(s), n);
    assert_memory_equal(s, big, n);
    free(s);
    yamlio_doc_free(d);
    free(text);
    free(big);
}

static void test_uint64_round_trip(void **state)
{
    (void)state;
    const uint64_t values[] = {0, 1, 9, 10, 4294967295u, 4294967296u, UINT64_MAX - 1, UINT64_MAX};
    YamlWriter *w = yamlio_writer_new("test file");
    yamlio_map_start(w);
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char key[8];
        snprintf(key, sizeof key, "v%zu", i);
        yamlio_key_uint64(w, key, values[i]);
    }
    yamlio_map_end(w);
    char *text = finish(w);
    assert_non_null(strstr(text, "v7: 18446744073709551615\n"));
    YamlDoc *d = parse_ok(text);
    YamlNode *root;
    expect_ok(yamlio_doc_root_map(d, &root));
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char key[8];
        uint64_t v = 12345;
        snprintf(key, sizeof key, "v%zu", i);
        expect_ok(yamlio_get_uint64(d, root, key, UINT64_MAX, &v));
        assert_true(v == values[i]);
    }
    /* The max argument bounds the value. */
    uint64_t v;
    expect_error(yamlio_get_uint64(d, root, "v5", UINT32_MAX, &v), ERR_FORMAT,
                 "value for key \"v5\" at line 6 of test file is out of range: \"4294967296\"");
    expect_ok(yamlio_get_uint64(d, root, "v4", UINT32_MAX, &v));
    assert_true(v == 4294967295u);
    yamlio_doc_free(d);
    free(text);
}

/* Each value is on line 2 so that the message's line can be checked. */
static void expect_uint_rejected(const char *value, const char *fragment)
{
    char *text = xasprintf("first: 1\nn: %s\n", value);
    YamlDoc *d = parse_ok(text);
    YamlNode *root;
    uint64_t v = 7;
    expect_ok(yamlio_doc_root_map(d, &root));
    Error *err = yamlio_get_uint64(d, root, "n", UINT64_MAX, &v);
    if (!err)
        fail_msg("value %s was accepted as %llu", value, (unsigned long long)v);
    assert_int_equal(v, 0);
    expect_error(err, ERR_FORMAT, fragment);
    yamlio_doc_free(d);
    free(text);
}

static void test_uint64_strict(void **state)
{
    (void)state;
    expect_uint_rejected("abc", "invalid value for key \"n\" at line 2 of test file: \"abc\"");
    expect_uint_rejected("-1", "invalid value for key \"n\" at line 2 of test file: \"-1\"");
    expect_uint_rejected("+1", "\"+1\"");
    expect_uint_rejected("1.0", "\"1.0\"");
    expect_uint_rejected("0x10", "\"0x10\"");
    expect_uint_rejected("1e3", "\"1e3\"");
    expect_uint_rejected("1_000", "\"1_000\"");
    expect_uint_rejected("010", "\"010\"");
    expect_uint_rejected("12 34", "\"12 34\"");
    expect_uint_rejected("\"5\"", "\"5\"");
    expect_uint_rejected("'5'", "\"5\"");
    expect_uint_rejected("", "\"n\" at line 2");
    expect_uint_rejected("~", "\"~\"");
    expect_uint_rejected("true", "\"true\"");
    expect_uint_rejected("18446744073709551616", "out of range: \"18446744073709551616\"");
    expect_uint_rejected("99999999999999999999999999", "out of range");
    expect_uint_rejected("[1]", "expected a number, found a sequence");
    expect_uint_rejected("{a: 1}", "expected a number, found a mapping");
}

static void test_bool(void **state)
{
    (void)state;
    YamlDoc *d = parse_ok("t: true\nf: false\ny: yes\nT: True\nq: \"true\"\none: 1\nl: [true]\n");
    YamlNode *root;
    int b = -1;
    expect_ok(yamlio_doc_root_map(d, &root));
    expect_ok(yamlio_get_bool(d, root, "t", &b));
    assert_int_equal(b, 1);
    expect_ok(yamlio_get_bool(d, root, "f", &b));
    assert_int_equal(b, 0);
    expect_error(yamlio_get_bool(d, root, "y", &b), ERR_FORMAT,
                 "invalid value for key \"y\" at line 3 of test file: \"yes\"");
    expect_error(yamlio_get_bool(d, root, "T", &b), ERR_FORMAT, "\"True\"");
    expect_error(yamlio_get_bool(d, root, "q", &b), ERR_FORMAT, "line 5");
    expect_error(yamlio_get_bool(d, root, "one", &b), ERR_FORMAT, "\"1\"");
    expect_error(yamlio_get_bool(d, root, "l", &b), ERR_FORMAT,
                 "expected a boolean, found a sequence");
    yamlio_doc_free(d);
}

static void test_string_null_and_types(void **state)
{
    (void)state;
    YamlDoc *d = parse_ok("empty:\ntilde: ~\nnull1: null\nqnull: \"null\"\nqempty: ''\n"
                          "map: {a: b}\nseq: [a]\nnul: \"a\\0b\"\nnum: 12\n");
    YamlNode *root;
    char *s = NULL;
    expect_ok(yamlio_doc_root_map(d, &root));
    expect_error(yamlio_get_str(d, root, "empty", &s), ERR_FORMAT,
                 "invalid value for key \"empty\" at line 1 of test file: expected a string, found null");
    expect_error(yamlio_get_str(d, root, "tilde", &s), ERR_FORMAT, "found null");
    expect_error(yamlio_get_str(d, root, "null1", &s), ERR_FORMAT, "found null");
    expect_error(yamlio_get_str(d, root, "map", &s), ERR_FORMAT,
                 "invalid value for key \"map\" at line 6 of test file: expected a string, found a mapping");
    expect_error(yamlio_get_str(d, root, "seq", &s), ERR_FORMAT, "found a sequence");
    expect_error(yamlio_get_str(d, root, "nul", &s), ERR_FORMAT, "null character");
    assert_null(s);
    expect_ok(yamlio_get_str(d, root, "qnull", &s));
    assert_string_equal(s, "null");
    free(s);
    expect_ok(yamlio_get_str(d, root, "qempty", &s));
    assert_string_equal(s, "");
    free(s);
    /* A plain number is still a valid string (yaml.v2 reads it so too). */
    expect_ok(yamlio_get_str(d, root, "num", &s));
    assert_string_equal(s, "12");
    free(s);

    YamlNode *n;
    size_t count = 99;
    expect_error(yamlio_get_str(d, root, "absent", &s), ERR_FORMAT,
                 "missing key \"absent\" in mapping at line 1 of test file");
    expect_ok(yamlio_map_find(d, root, "absent", &n));
    assert_null(n);
    expect_error(yamlio_get_seq(d, root, "map", &n, &count), ERR_FORMAT,
                 "expected a sequence, found a mapping");
    assert_null(n);
    assert_int_equal(count, 0);
    expect_ok(yamlio_get_seq(d, root, "seq", &n, &count));
    assert_int_equal(count, 1);
    expect_error(yamlio_node_map(d, yamlio_seq_item(d, n, 0), "seq"), ERR_FORMAT,
                 "invalid value for key \"seq\" at line 7 of test file: expected a mapping, found a scalar");
    StrList l = {0};
    expect_error(yamlio_get_strlist(d, root, "num", &l), ERR_FORMAT, "expected a sequence");
    assert_int_equal(l.n, 0);
    yamlio_doc_free(d);
}

static void test_duplicate_key(void **state)
{
    (void)state;
    YamlDoc *d = parse_ok("a: 1\nb: 2\na: 3\n");
    YamlNode *root, *n = NULL;
    expect_ok(yamlio_doc_root_map(d, &root));
    expect_error(yamlio_map_find(d, root, "a", &n), ERR_FORMAT,
                 "duplicate key \"a\" at line 3 of test file");
    assert_null(n);
    expect_ok(yamlio_map_find(d, root, "b", &n));
    assert_non_null(n);
    yamlio_doc_free(d);
}

static void test_malformed_yaml(void **state)
{
    (void)state;
    expect_error(parse_err("a: 1\nb: 2\n c: 3\n"), ERR_FORMAT,
                 "could not parse test file: mapping values are not allowed in this context at line 3, column 3");
    expect_error(parse_err("a: [1, 2\nb: c\n"), ERR_FORMAT, "could not parse test file: ");
    expect_error(parse_err("a: \"unterminated\n"), ERR_FORMAT, "at line 2");
    expect_error(parse_err("a: *nosuch\n"), ERR_FORMAT, "could not parse test file");
    expect_error(parse_err("a: b\n\tc: d\n"), ERR_FORMAT, "could not parse test file");
    expect_error(parse_err("a: \xff\xfe\n"), ERR_FORMAT, "invalid");
    expect_error(parse_err(""), ERR_FORMAT, "test file is empty");
    expect_error(parse_err("# only a comment\n"), ERR_FORMAT, "test file is empty");
    expect_error(parse_err("a: 1\n---\nb: 2\n"), ERR_FORMAT,
                 "test file contains more than one document (second one at line 3)");
    expect_error(parse_err("a: 1\n---\nb: [\n"), ERR_FORMAT, "could not parse test file");

    /* The detail names libyaml's context. */
    Error *err = parse_err("a: [1, 2\nb: c\n");
    assert_non_null(err);
    assert_non_null(err->detail);
    assert_true(err->detail[0] >= 'A' && err->detail[0] <= 'Z');
    error_free(err);

    YamlDoc *d = parse_ok("- a\n- b\n");
    YamlNode *root = (YamlNode *)1;
    expect_error(yamlio_doc_root_map(d, &root), ERR_FORMAT,
                 "invalid test file: expected a mapping at line 1, found a sequence");
    assert_null(root);
    yamlio_doc_free(d);

    /* A document with an explicit end marker and no second document is fine,
     * and the text need not be NUL-terminated. */
    const char buf[] = "a: 1\n...\nGARBAGE";
    d = NULL;
    expect_ok(yamlio_doc_parse(buf, 9, "test file", &d));
    yamlio_doc_free(d);
}

static void test_error_value_truncated(void **state)
{
    (void)state;
    char *text = xasprintf("n: %0500d\n", 7); /* 500 digits: out of range */
    YamlDoc *d = parse_ok(text);
    YamlNode *root;
    uint64_t v;
    expect_ok(yamlio_doc_root_map(d, &root));
    Error *err = yamlio_get_uint64(d, root, "n", UINT64_MAX, &v);
    assert_non_null(err);
    assert_true(strlen(err->message) < 200);
    assert_non_null(strstr(err->message, "...\""));
    error_free(err);
    yamlio_doc_free(d);
    free(text);
}

static void test_writer_errors(void **state)
{
    (void)state;
    char *out = (char *)1;
    size_t len = 99;

    /* Invalid UTF-8 in a value names the key. */
    YamlWriter *w = yamlio_writer_new("test file");
    yamlio_map_start(w);
    yamlio_key_str(w, "name", "bad \xff byte");
    yamlio_key_str(w, "after", "ignored");
    yamlio_map_end(w);
    expect_error(yamlio_writer_finish(w, &out, &len), ERR_INTERNAL,
                 "could not write test file: the value for key \"name\" is not valid UTF-8");
    assert_null(out);
    assert_int_equal(len, 0);
    /* A second finish reports again instead of returning text. */
    expect_error(yamlio_writer_finish(w, &out, &len), ERR_INTERNAL, "already finished");
    yamlio_writer_free(w);

    /* Unbalanced structure is caught at the latest by finish. */
    w = yamlio_writer_new("test file");
    yamlio_map_start(w);
    yamlio_key(w, "dangling");
    expect_error(yamlio_writer_finish(w, &out, &len), ERR_INTERNAL, "could not write test file");
    yamlio_writer_free(w);

    /* A sequence end where a mapping end belongs. */
    w = yamlio_writer_new("test file");
    yamlio_map_start(w);
    yamlio_seq_end(w);
    expect_error(yamlio_writer_finish(w, &out, &len), ERR_INTERNAL, "could not write test file");
    yamlio_writer_free(w);

    /* Freeing an unfinished writer leaks nothing (checked under ASan). */
    w = yamlio_writer_new("test file");
    yamlio_map_start(w);
    yamlio_key_str(w, "a", "b");
    yamlio_writer_free(w);
    yamlio_writer_free(NULL);
    yamlio_doc_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_strings_round_trip),
        cmocka_unit_test(test_hostile_keys),
        cmocka_unit_test(test_quoting_in_text),
        cmocka_unit_test(test_long_string),
        cmocka_unit_test(test_uint64_round_trip),
        cmocka_unit_test(test_uint64_strict),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_string_null_and_types),
        cmocka_unit_test(test_duplicate_key),
        cmocka_unit_test(test_malformed_yaml),
        cmocka_unit_test(test_error_value_truncated),
        cmocka_unit_test(test_writer_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
