/* Unit tests of common/filter.c: parsing of schema and table names as the
 * command line and filter files give them (quotes, "" escapes, dots, spaces,
 * unicode, and every malformed form), the include/exclude decisions for
 * schemas and tables, and filter_format_table_name surviving a round trip
 * through filter_parse_table_name for hostile names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "filter.h"
#include "util.h"

/* Messages follow PostgreSQL's style: lower case, no final period. */
static void check_message_style(const Error *err)
{
    const char *m = err->message;
    size_t n = strlen(m);
    if (n == 0 || (m[0] >= 'A' && m[0] <= 'Z') || m[n - 1] == '.')
        fail_msg("message not in style: \"%s\"", m);
}

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
    check_message_style(err);
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

static void expect_table(const char *text, const char *want_schema, const char *want_table)
{
    char *schema = NULL, *table = NULL;
    Error *err = filter_parse_table_name(text, &schema, &table);
    if (err) {
        char msg[1024];
        snprintf(msg, sizeof msg, "parsing [%s]: unexpected error: %s", text, err->message);
        error_free(err);
        fail_msg("%s", msg);
    }
    if (!schema || !table || strcmp(schema, want_schema) || strcmp(table, want_table))
        fail_msg("parsing [%s]: got [%s] [%s], expected [%s] [%s]", text,
                 schema ? schema : "(null)", table ? table : "(null)", want_schema,
                 want_table);
    free(schema);
    free(table);
}

static void expect_table_error(const char *text, const char *fragment)
{
    char *schema = (char *)(uintptr_t)"sentinel", *table = (char *)(uintptr_t)"sentinel";
    Error *err = filter_parse_table_name(text, &schema, &table);
    if (!err)
        fail_msg("parsing [%s]: expected an error, got [%s] [%s]", text, schema, table);
    /* Nothing is handed out on failure. */
    assert_null(schema);
    assert_null(table);
    /* The message names what was given. */
    if (!strstr(err->message, text)) {
        char msg[1024];
        snprintf(msg, sizeof msg, "message \"%s\" does not name [%s]", err->message, text);
        error_free(err);
        fail_msg("%s", msg);
    }
    expect_error(err, ERR_USAGE, fragment);
}

static void expect_schema(const char *text, const char *want)
{
    char *schema = NULL;
    Error *err = filter_parse_schema_name(text, &schema);
    if (err) {
        char msg[1024];
        snprintf(msg, sizeof msg, "parsing [%s]: unexpected error: %s", text, err->message);
        error_free(err);
        fail_msg("%s", msg);
    }
    if (!schema || strcmp(schema, want))
        fail_msg("parsing [%s]: got [%s], expected [%s]", text, schema ? schema : "(null)",
                 want);
    free(schema);
}

static void expect_schema_error(const char *text, const char *fragment)
{
    char *schema = NULL;
    Error *err = filter_parse_schema_name(text, &schema);
    if (!err)
        fail_msg("parsing [%s]: expected an error, got [%s]", text, schema);
    assert_null(schema);
    expect_error(err, ERR_USAGE, fragment);
}

static void test_parse_table_plain(void **state)
{
    expect_table("public.t", "public", "t");
    expect_table("s.t1", "s", "t1");
    /* Unquoted parts are literal: case, spaces and odd characters kept. */
    expect_table("Public.MyTable", "Public", "MyTable");
    expect_table("my schema.my table", "my schema", "my table");
    expect_table(" s . t ", " s ", " t ");
    expect_table("s$1.t-2", "s$1", "t-2");
    expect_table("a'b.c\\d", "a'b", "c\\d");
    expect_table("sch\"ema.t", "sch\"ema", "t");
    expect_table("schéma.表", "schéma", "表");
    expect_table("日本.語", "日本", "語");
}

static void test_parse_table_quoted(void **state)
{
    expect_table("\"public\".\"t\"", "public", "t");
    expect_table("\"my.schema\".t", "my.schema", "t");
    expect_table("public.\"a.b\"", "public", "a.b");
    expect_table("\"a.b.c\".\"d.e\"", "a.b.c", "d.e");
    expect_table("\"a b\".\"c  d\"", "a b", "c  d");
    expect_table("\"q\"\"s\".\"t\"\"\"", "q\"s", "t\"");
    expect_table("\"\"\"\".x", "\"", "x");
    expect_table("x.\"\"\"\"\"\"", "x", "\"\"");
    expect_table("\"\"\"a.b\"\"\".\".\"", "\"a.b\"", ".");
    expect_table("\"Mixed Case\".\"UPPER\"", "Mixed Case", "UPPER");
    expect_table("\"日本.語\".\"ü ö\"", "日本.語", "ü ö");
    expect_table("\"tab\there\".\"new\nline\"", "tab\there", "new\nline");
    /* Mixed quoted and unquoted parts. */
    expect_table("\"s.x\".plain", "s.x", "plain");
    expect_table("plain.\"t y\"", "plain", "t y");
}

static void test_parse_table_errors(void **state)
{
    /* Missing schema. */
    expect_table_error("t", "is not of the form schema.table");
    expect_table_error("\"a.b\"", "is not of the form schema.table");
    expect_table_error("mytable", "is not of the form schema.table");
    /* Empty parts. */
    expect_table_error("", "empty name");
    expect_table_error(".", "empty name");
    expect_table_error(".t", "empty name");
    expect_table_error("s.", "empty name");
    expect_table_error("\"\".t", "empty name");
    expect_table_error("s.\"\"", "empty name");
    /* Unterminated quotes, including one that ends in an escaped quote. */
    expect_table_error("\"abc.t", "unterminated quoted name");
    expect_table_error("s.\"abc", "unterminated quoted name");
    expect_table_error("s.\"ab\"\"", "unterminated quoted name");
    expect_table_error("\"", "unterminated quoted name");
    /* Text after a closing quote. */
    expect_table_error("s.\"t\"x", "unexpected text after table name");
    expect_table_error("s.\"t\".u", "unexpected text after table name");
    expect_table_error("s.\"t\" ", "unexpected text after table name");
    expect_table_error("\"s\"x.t", "is not of the form schema.table");

    /* The missing-schema error suggests qualifying the name. */
    char *s, *t;
    Error *err = filter_parse_table_name("orders", &s, &t);
    assert_non_null(err);
    assert_non_null(err->hint);
    assert_non_null(strstr(err->hint, "public.orders"));
    error_free(err);
}

/* An unquoted table part runs to the end of the text, dots included. The
 * "unexpected text" hint ("quote names that contain dots") suggests a
 * three-part name was meant to be refused, as gpbackup refuses it; see the
 * report. Pin today's behaviour so a change is noticed. */
static void test_parse_table_unquoted_dots(void **state)
{
    /* An unquoted dot in the table part is ambiguous: refused. */
    expect_table_error("a.b.c", "more than one dot");
    expect_table_error("\"a.b\".c.d", "more than one dot");
    expect_table("a.\"b.c\"", "a", "b.c");
}

static void test_parse_schema(void **state)
{
    expect_schema("public", "public");
    expect_schema("Public", "Public");
    expect_schema("my schema", "my schema");
    expect_schema("schéma", "schéma");
    expect_schema("日本", "日本");
    /* Unquoted schema names are literal, dots included. */
    expect_schema("a.b", "a.b");
    expect_schema("\"public\"", "public");
    expect_schema("\"my.schema\"", "my.schema");
    expect_schema("\"a \"\"quoted\"\" name\"", "a \"quoted\" name");
    expect_schema("\"\"\"\"", "\"");
    expect_schema("\" lead\"", " lead");

    expect_schema_error("", "empty name");
    expect_schema_error("\"\"", "empty name");
    expect_schema_error("\"abc", "unterminated quoted name");
    expect_schema_error("\"ab\"\"", "unterminated quoted name");
    expect_schema_error("\"a\"b", "unexpected text after schema name");
    expect_schema_error("\"a\".b", "unexpected text after schema name");
}

static Filter filter_of(const char *const *include_schemas, const char *const *exclude_schemas,
                        const char *const *include_tables, const char *const *exclude_tables)
{
    Filter f;
    memset(&f, 0, sizeof f);
    for (const char *const *p = include_schemas; p && *p; p++)
        expect_ok(filter_add_schema(&f, true, *p));
    for (const char *const *p = exclude_schemas; p && *p; p++)
        expect_ok(filter_add_schema(&f, false, *p));
    for (const char *const *p = include_tables; p && *p; p++)
        expect_ok(filter_add_table(&f, true, *p));
    for (const char *const *p = exclude_tables; p && *p; p++)
        expect_ok(filter_add_table(&f, false, *p));
    return f;
}

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_keeps_empty_filter(void **state)
{
    Filter f = filter_of(NULL, NULL, NULL, NULL);
    assert_true(filter_keeps_schema(&f, "public"));
    assert_true(filter_keeps_schema(&f, ""));
    assert_true(filter_keeps_table(&f, "public", "t"));
    assert_true(filter_keeps_table(&f, "x.y", "z w"));
    assert_false(filter_has_table_includes(&f));
    filter_free(&f);
}

static void test_keeps_include_schema(void **state)
{
    Filter f = filter_of(LIST("a", "\"B.c\""), NULL, NULL, NULL);
    assert_true(filter_keeps_schema(&f, "a"));
    assert_true(filter_keeps_schema(&f, "B.c"));
    assert_false(filter_keeps_schema(&f, "b.c"));   /* case matters */
    assert_false(filter_keeps_schema(&f, "A"));
    assert_false(filter_keeps_schema(&f, "public"));
    assert_false(filter_keeps_schema(&f, "\"B.c\""));
    assert_true(filter_keeps_table(&f, "a", "t"));
    assert_true(filter_keeps_table(&f, "B.c", "t"));
    assert_false(filter_keeps_table(&f, "public", "t"));
    assert_false(filter_has_table_includes(&f));
    filter_free(&f);
}

static void test_keeps_exclude_schema(void **state)
{
    Filter f = filter_of(NULL, LIST("a", "\"x y\""), NULL, NULL);
    assert_false(filter_keeps_schema(&f, "a"));
    assert_false(filter_keeps_schema(&f, "x y"));
    assert_true(filter_keeps_schema(&f, "A"));
    assert_true(filter_keeps_schema(&f, "public"));
    assert_false(filter_keeps_table(&f, "a", "t"));
    assert_false(filter_keeps_table(&f, "x y", "t"));
    assert_true(filter_keeps_table(&f, "public", "a"));
    filter_free(&f);

    /* Excluding a schema that is also included wins. */
    f = filter_of(LIST("a", "b"), LIST("a"), NULL, NULL);
    assert_false(filter_keeps_schema(&f, "a"));
    assert_true(filter_keeps_schema(&f, "b"));
    assert_false(filter_keeps_schema(&f, "c"));
    assert_false(filter_keeps_table(&f, "a", "t"));
    assert_true(filter_keeps_table(&f, "b", "t"));
    filter_free(&f);
}

static void test_keeps_include_table(void **state)
{
    Filter f = filter_of(NULL, NULL, LIST("a.t1", "b.t2", "\"c.d\".\"e f\""), NULL);
    assert_true(filter_has_table_includes(&f));
    /* Only schemas holding an included table are kept. */
    assert_true(filter_keeps_schema(&f, "a"));
    assert_true(filter_keeps_schema(&f, "b"));
    assert_true(filter_keeps_schema(&f, "c.d"));
    assert_false(filter_keeps_schema(&f, "c"));
    assert_false(filter_keeps_schema(&f, "public"));
    assert_true(filter_keeps_table(&f, "a", "t1"));
    assert_true(filter_keeps_table(&f, "b", "t2"));
    assert_true(filter_keeps_table(&f, "c.d", "e f"));
    /* Pairs, not the cross product of schemas and names. */
    assert_false(filter_keeps_table(&f, "a", "t2"));
    assert_false(filter_keeps_table(&f, "b", "t1"));
    assert_false(filter_keeps_table(&f, "a", "T1"));
    assert_false(filter_keeps_table(&f, "c", "d.e f"));
    assert_false(filter_keeps_table(&f, "public", "t1"));
    filter_free(&f);
}

static void test_keeps_exclude_table(void **state)
{
    Filter f = filter_of(NULL, NULL, NULL, LIST("a.t1", "public.\"x.y\""));
    assert_false(filter_has_table_includes(&f));
    /* Excluding a table keeps its schema. */
    assert_true(filter_keeps_schema(&f, "a"));
    assert_true(filter_keeps_schema(&f, "public"));
    assert_false(filter_keeps_table(&f, "a", "t1"));
    assert_false(filter_keeps_table(&f, "public", "x.y"));
    assert_true(filter_keeps_table(&f, "a", "t2"));
    assert_true(filter_keeps_table(&f, "b", "t1"));
    assert_true(filter_keeps_table(&f, "public", "x"));
    assert_true(filter_keeps_table(&f, "public", "t1"));
    filter_free(&f);
}

static void test_keeps_combinations(void **state)
{
    /* Include and exclude of the same table: excluded. */
    Filter f = filter_of(NULL, NULL, LIST("a.t1", "a.t2"), LIST("a.t1"));
    assert_true(filter_keeps_schema(&f, "a"));
    assert_false(filter_keeps_table(&f, "a", "t1"));
    assert_true(filter_keeps_table(&f, "a", "t2"));
    assert_false(filter_keeps_table(&f, "a", "t3"));
    filter_free(&f);

    /* An excluded schema drops the tables included in it. */
    f = filter_of(NULL, LIST("a"), LIST("a.t1", "b.t1"), NULL);
    assert_false(filter_keeps_schema(&f, "a"));
    assert_false(filter_keeps_table(&f, "a", "t1"));
    assert_true(filter_keeps_schema(&f, "b"));
    assert_true(filter_keeps_table(&f, "b", "t1"));
    assert_false(filter_keeps_table(&f, "b", "t2"));
    filter_free(&f);

    /* Included schema with an excluded table. */
    f = filter_of(LIST("a"), NULL, NULL, LIST("a.t1", "b.t2"));
    assert_false(filter_keeps_table(&f, "a", "t1"));
    assert_true(filter_keeps_table(&f, "a", "t2"));
    assert_false(filter_keeps_table(&f, "b", "t3"));
    assert_false(filter_keeps_schema(&f, "b"));
    filter_free(&f);

    /* Excluded schema plus excluded table elsewhere. */
    f = filter_of(NULL, LIST("a"), NULL, LIST("b.t1"));
    assert_false(filter_keeps_table(&f, "a", "t9"));
    assert_false(filter_keeps_table(&f, "b", "t1"));
    assert_true(filter_keeps_table(&f, "b", "t2"));
    assert_true(filter_keeps_table(&f, "c", "t1"));
    filter_free(&f);
}

/* Adding malformed names fails and leaves the filter unchanged. */
static void test_add_rejects(void **state)
{
    Filter f;
    memset(&f, 0, sizeof f);
    expect_error(filter_add_table(&f, true, "notqualified"), ERR_USAGE, "schema.table");
    expect_error(filter_add_table(&f, false, "s.\"t"), ERR_USAGE, "unterminated");
    expect_error(filter_add_schema(&f, true, ""), ERR_USAGE, "empty name");
    expect_error(filter_add_schema(&f, false, "\"a\"b"), ERR_USAGE, "unexpected text");
    assert_int_equal(f.include_table_schemas.n, 0);
    assert_int_equal(f.include_table_names.n, 0);
    assert_int_equal(f.exclude_table_schemas.n, 0);
    assert_int_equal(f.include_schemas.n, 0);
    assert_int_equal(f.exclude_schemas.n, 0);
    assert_false(filter_has_table_includes(&f));
    filter_free(&f);
}

static void test_format_known(void **state)
{
    const struct {
        const char *schema, *table, *want;
    } cases[] = {
        {"public", "t", "public.t"},
        {"Public", "MyTable", "Public.MyTable"},
        {"my.schema", "t", "\"my.schema\".t"},
        {"s", "a.b", "s.\"a.b\""},
        {"a\"b", "c d", "\"a\"\"b\".\"c d\""},
        {"\"", "x", "\"\"\"\".x"},
        {"日本", "語", "日本.語"},
        {"tab\t", "nl\n", "\"tab\t\".\"nl\n\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = filter_format_table_name(cases[i].schema, cases[i].table);
        if (strcmp(got, cases[i].want) != 0) {
            char msg[512];
            snprintf(msg, sizeof msg, "format [%s] [%s]: got [%s], expected [%s]",
                     cases[i].schema, cases[i].table, got, cases[i].want);
            free(got);
            fail_msg("%s", msg);
        }
        free(got);
    }
}

static const char *const hostile[] = {
    "plain", "CamelCase", "with.dot", ".", "..", "a.", ".b", "with space", " lead",
    "trail ", "quote\"d", "\"", "\"\"", "\"quoted\"", "\"a.b\"", "a\"\".b", "x\"y.z\"",
    "tab\there", "new\nline", "cr\r", "日本.語", "ünïcödé", "#hash", "-dash", "--x",
    "\\back", "''", "'a.b'", "$1", "a=b", "public.t", "\"s\".\"t\"", "e\xcc\x81",
};
#define NHOSTILE (sizeof hostile / sizeof hostile[0])

/* Every pair of hostile names formats to text that parses back to the same
 * pair. */
static void test_format_round_trip(void **state)
{
    for (size_t i = 0; i < NHOSTILE; i++)
        for (size_t j = 0; j < NHOSTILE; j++) {
            char *text = filter_format_table_name(hostile[i], hostile[j]);
            char *schema = NULL, *table = NULL;
            Error *err = filter_parse_table_name(text, &schema, &table);
            if (err) {
                char msg[1024];
                snprintf(msg, sizeof msg, "[%s] [%s] formatted as [%s]: %s", hostile[i],
                         hostile[j], text, err->message);
                error_free(err);
                free(text);
                fail_msg("%s", msg);
            }
            if (strcmp(schema, hostile[i]) || strcmp(table, hostile[j])) {
                char msg[1024];
                snprintf(msg, sizeof msg, "[%s] [%s] -> [%s] -> [%s] [%s]", hostile[i],
                         hostile[j], text, schema, table);
                free(text);
                free(schema);
                free(table);
                fail_msg("%s", msg);
            }
            free(text);
            free(schema);
            free(table);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table_plain),
        cmocka_unit_test(test_parse_table_quoted),
        cmocka_unit_test(test_parse_table_errors),
        cmocka_unit_test(test_parse_table_unquoted_dots),
        cmocka_unit_test(test_parse_schema),
        cmocka_unit_test(test_keeps_empty_filter),
        cmocka_unit_test(test_keeps_include_schema),
        cmocka_unit_test(test_keeps_exclude_schema),
        cmocka_unit_test(test_keeps_include_table),
        cmocka_unit_test(test_keeps_exclude_table),
        cmocka_unit_test(test_keeps_combinations),
        cmocka_unit_test(test_add_rejects),
        cmocka_unit_test(test_format_known),
        cmocka_unit_test(test_format_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
