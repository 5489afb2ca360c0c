/* Unit tests of common/helper.c: the sidecar text and every refusal of its
 * reader (missing, duplicate and unknown keys, versions, signs, overflows,
 * leading zeros, checksums, stray bytes), CSV row counting across every
 * buffer boundary, --content and --checksums parsing, shell quoting (checked
 * against /bin/sh itself) and the exact command lines given to COPY. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper.h"
#include "util.h"

#define ASSERT_OK(expr)                                                         \
    do {                                                                        \
        Error *e_ = (expr);                                                     \
        if (e_) {                                                               \
            print_error("unexpected error: %s\n", e_->message);                 \
            error_free(e_);                                                     \
            fail();                                                             \
        }                                                                       \
    } while (0)

/* Assert err is of code and its message contains want; frees err. */
static void expect_error(Error *err, ErrorCode code, const char *want)
{
    if (!err)
        fail_msg("expected an error containing \"%s\", got success", want);
    int code_ok = err->code == code;
    int msg_ok = strstr(err->message, want) != NULL;
    if (!code_ok || !msg_ok)
        print_error("code %d, message \"%s\"; expected code %d with \"%s\"\n", (int)err->code,
                    err->message, (int)code, want);
    error_free(err);
    assert_true(code_ok);
    assert_true(msg_ok);
}

static const char SUM[] = "0123456789abcdef0123456789abcdef";

static const char GOOD[] = "formatversion: 1\n"
                           "content: -1\n"
                           "rows: 3\n"
                           "rawbytes: 20\n"
                           "filebytes: 17\n"
                           "checksum: \"0123456789abcdef0123456789abcdef\"\n";

static Error *parse(const char *text, HelperSidecar *out)
{
    return helper_sidecar_from_text(text, strlen(text), out);
}

/* text with the first occurrence of from replaced by to. Caller owns. */
static char *replaced(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    assert_non_null(at);
    return xasprintf("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

static void expect_sidecar_error(const char *text, const char *want)
{
    HelperSidecar s;
    expect_error(parse(text, &s), ERR_FORMAT, want);
}

/* GOOD with line "from" replaced by "to", expected to fail with want. */
static void expect_replaced_error(const char *from, const char *to, const char *want)
{
    char *t = replaced(GOOD, from, to);
    expect_sidecar_error(t, want);
    free(t);
}

/* ---- Sidecar ------------------------------------------------------------ */

static void test_sidecar_round_trip(void **state)
{
    HelperSidecar s = {.content = -1, .rows = 3, .rawbytes = 20, .filebytes = 17};
    memcpy(s.checksum, SUM, sizeof SUM);
    char *text = helper_sidecar_to_text(&s);
    assert_string_equal(text, GOOD);

    HelperSidecar back;
    ASSERT_OK(parse(text, &back));
    assert_int_equal(back.content, -1);
    assert_int_equal(back.rows, 3);
    assert_int_equal(back.rawbytes, 20);
    assert_int_equal(back.filebytes, 17);
    assert_string_equal(back.checksum, SUM);
    free(text);

    /* Largest values, a segment content, an empty table. */
    HelperSidecar big = {.content = 2147483647, .rows = (uint64_t)1 << 50,
                         .rawbytes = (uint64_t)1 << 50, .filebytes = 0};
    memcpy(big.checksum, "ffffffffffffffffffffffffffffffff", CHECKSUM_HEX_LEN + 1);
    text = helper_sidecar_to_text(&big);
    ASSERT_OK(parse(text, &back));
    assert_int_equal(back.content, 2147483647);
    assert_true(back.rows == (uint64_t)1 << 50);
    assert_true(back.rawbytes == (uint64_t)1 << 50);
    assert_int_equal(back.filebytes, 0);
    assert_string_equal(back.checksum, big.checksum);
    free(text);

    HelperSidecar empty = {.content = 0};
    memcpy(empty.checksum, SUM, sizeof SUM);
    text = helper_sidecar_to_text(&empty);
    ASSERT_OK(parse(text, &back));
    assert_int_equal(back.content, 0);
    assert_int_equal(back.rows, 0);
    free(text);

    /* Keys in another order are still the same sidecar. */
    const char *shuffled = "checksum: \"0123456789abcdef0123456789abcdef\"\n"
                           "rows: 3\n"
                           "filebytes: 17\n"
                           "content: 5\n"
                           "rawbytes: 20\n"
                           "formatversion: 1\n";
    ASSERT_OK(parse(shuffled, &back));
    assert_int_equal(back.content, 5);
    assert_int_equal(back.filebytes, 17);

    /* Only the first len bytes are read: the text need not end with NUL. */
    char *longer = xasprintf("%sgarbage", GOOD);
    ASSERT_OK(helper_sidecar_from_text(longer, strlen(GOOD), &back));
    free(longer);
}

static void test_sidecar_missing_and_duplicate_keys(void **state)
{
    static const char *const lines[] = {
        "formatversion: 1\n", "content: -1\n", "rows: 3\n", "rawbytes: 20\n", "filebytes: 17\n",
        "checksum: \"0123456789abcdef0123456789abcdef\"\n",
    };
    static const char *const keys[] = {"formatversion", "content", "rows",
                                       "rawbytes", "filebytes", "checksum"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        char *want = xasprintf("missing key \"%s\" in helper sidecar", keys[i]);
        expect_replaced_error(lines[i], "", want);
        free(want);

        char *twice = xasprintf("%s%s", GOOD, lines[i]);
        want = xasprintf("duplicate key \"%s\" at line 7 of helper sidecar", keys[i]);
        expect_sidecar_error(twice, want);
        free(want);
        free(twice);
    }
    /* A duplicate with another value is still a duplicate. */
    char *t = xasprintf("%srows: 4\n", GOOD);
    expect_sidecar_error(t, "duplicate key \"rows\"");
    free(t);
}

static void test_sidecar_versions_and_unknown_keys(void **state)
{
    char *t = xasprintf("%sextra: 1\n", GOOD);
    expect_sidecar_error(t, "unknown key \"extra\" at line 7 of helper sidecar");
    free(t);
    /* A newer version explains its new keys better than "unknown key". */
    char *v2 = replaced(GOOD, "formatversion: 1", "formatversion: 2");
    t = xasprintf("%sextra: 1\n", v2);
    expect_sidecar_error(t, "unsupported format version 2 in helper sidecar (supported version: 1)");
    free(t);
    expect_sidecar_error(v2, "unsupported format version 2");
    free(v2);
    expect_replaced_error("formatversion: 1", "formatversion: 0", "unsupported format version 0");
    expect_replaced_error("formatversion: 1", "formatversion: 01", "invalid value for key \"formatversion\"");
    expect_replaced_error("formatversion: 1", "formatversion: \"1\"", "invalid value for key \"formatversion\"");
    expect_replaced_error("formatversion: 1", "formatversion: 99999999999",
                          "invalid value for key \"formatversion\"");
    expect_replaced_error("formatversion: 1\n", "", "missing key \"formatversion\"");
    /* Keys differing only in case or length are unknown, not aliases. */
    expect_replaced_error("rows: 3", "Rows: 3", "unknown key \"Rows\"");
    expect_replaced_error("rows: 3", "rowsx: 3", "unknown key \"rowsx\"");
}

static void test_sidecar_numbers(void **state)
{
    expect_replaced_error("rows: 3", "rows: -5", "invalid value for key \"rows\" at line 3 of helper sidecar: \"-5\"");
    expect_replaced_error("rows: 3", "rows: +5", "invalid value for key \"rows\"");
    expect_replaced_error("rows: 3", "rows: 03", "invalid value for key \"rows\"");
    expect_replaced_error("rows: 3", "rows: 3.0", "invalid value for key \"rows\"");
    expect_replaced_error("rows: 3", "rows: 0x3", "invalid value for key \"rows\"");
    expect_replaced_error("rows: 3", "rows: \"3\"", "invalid value for key \"rows\"");
    expect_replaced_error("rawbytes: 20", "rawbytes: 18446744073709551616",
                          "invalid value for key \"rawbytes\"");
    expect_replaced_error("rawbytes: 20", "rawbytes: 18446744073709551615",
                          "invalid value for key \"rawbytes\"");
    expect_replaced_error("rawbytes: 20", "rawbytes: 99999999999999999999999999",
                          "invalid value for key \"rawbytes\"");
    /* Just over 1 PiB is refused, 1 PiB itself is accepted (round trip). */
    expect_replaced_error("filebytes: 17", "filebytes: 1125899906842625",
                          "invalid value for key \"filebytes\"");
    expect_replaced_error("filebytes: 17", "filebytes: -1", "invalid value for key \"filebytes\"");
    /* Every row ends with a newline: more rows than bytes is impossible. */
    expect_replaced_error("rows: 3", "rows: 21", "invalid value for key \"rows\"");

    expect_replaced_error("content: -1", "content: -2", "invalid value for key \"content\"");
    expect_replaced_error("content: -1", "content: -0", "invalid value for key \"content\"");
    expect_replaced_error("content: -1", "content: 01", "invalid value for key \"content\"");
    expect_replaced_error("content: -1", "content: 2147483648", "invalid value for key \"content\"");
    expect_replaced_error("content: -1", "content: 1x", "invalid value for key \"content\"");
    expect_replaced_error("content: -1", "content: --1", "invalid value for key \"content\"");
}

static void test_sidecar_checksums(void **state)
{
    const char *from = "checksum: \"0123456789abcdef0123456789abcdef\"";
    expect_replaced_error(from, "checksum: 0123456789abcdef0123456789abcdef",
                          "invalid value for key \"checksum\"");
    expect_replaced_error(from, "checksum: '0123456789abcdef0123456789abcdef'",
                          "invalid value for key \"checksum\"");
    expect_replaced_error(from, "checksum: \"0123456789ABCDEF0123456789abcdef\"",
                          "invalid value for key \"checksum\"");
    expect_replaced_error(from, "checksum: \"0123456789abcdef0123456789abcde\"",
                          "invalid value for key \"checksum\"");
    expect_replaced_error(from, "checksum: \"0123456789abcdef0123456789abcdef0\"",
                          "invalid value for key \"checksum\"");
    expect_replaced_error(from, "checksum: \"0123456789abcdef0123456789abcdeg\"",
                          "invalid value for key \"checksum\"");
    expect_replaced_error(from, "checksum: \"\"", "invalid value for key \"checksum\"");
}

static void test_sidecar_syntax(void **state)
{
    HelperSidecar s;
    expect_sidecar_error("", "helper sidecar is empty");
    /* Cut anywhere before its end, the text is refused. */
    for (size_t len = 0; len < strlen(GOOD); len++) {
        Error *e = helper_sidecar_from_text(GOOD, len, &s);
        assert_non_null(e);
        assert_int_equal(e->code, ERR_FORMAT);
        error_free(e);
    }
    expect_replaced_error("rows: 3\n", "rows: 3\r\n", "invalid line 3 of helper sidecar");
    expect_replaced_error("rows: 3", "rows:3", "invalid line 3");
    expect_replaced_error("rows: 3", "rows:  3", "invalid line 3");
    expect_replaced_error("rows: 3", "rows: 3 ", "invalid line 3");
    expect_replaced_error("rows: 3", " rows: 3", "invalid line 3");
    expect_replaced_error("rows: 3", "rows :3", "invalid line 3");
    expect_replaced_error("rows: 3", "rows:", "invalid line 3");
    expect_replaced_error("rows: 3", "rows: ", "invalid line 3");
    expect_replaced_error("rows: 3", ": 3", "invalid line 3");
    expect_replaced_error("rows: 3", "rows\t: 3", "invalid line 3");
    expect_replaced_error("rows: 3\n", "rows: 3\n\n", "invalid line 4");
    expect_replaced_error("formatversion: 1\n", "---\nformatversion: 1\n", "invalid line 1");
    expect_replaced_error("rows: 3\n", "# comment\nrows: 3\n", "invalid line 3");
    /* A NUL inside the text. */
    char buf[sizeof GOOD];
    memcpy(buf, GOOD, sizeof GOOD);
    buf[strlen("formatversion: 1\ncontent: -1\nrows: ")] = '\0';
    expect_error(helper_sidecar_from_text(buf, strlen(GOOD), &s), ERR_FORMAT, "invalid line 3");
}

/* ---- CSV rows ------------------------------------------------------------ */

static uint64_t count_whole(const char *s, size_t len)
{
    CsvRowCounter c = {false, 0};
    csv_count_rows(&c, s, len);
    return c.rows;
}

/* The obvious byte-at-a-time reading, as a reference. */
static uint64_t count_naive(const char *s, size_t len, bool *in_quotes)
{
    uint64_t rows = 0;
    bool q = false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            q = !q;
        else if (s[i] == '\n' && !q)
            rows++;
    }
    *in_quotes = q;
    return rows;
}

static void test_csv_rows_basic(void **state)
{
    assert_int_equal(count_whole("", 0), 0);
    assert_int_equal(count_whole("a,b\n", 4), 1);
    assert_int_equal(count_whole("a,b\nc,d\n", 8), 2);
    assert_int_equal(count_whole("\n\n\n", 3), 3);   /* tables without columns */
    const char *quoted_nl = "a,b\n\"x\ny\",2\n";
    assert_int_equal(count_whole(quoted_nl, strlen(quoted_nl)), 2);
    const char *doubled = "\"a\"\"b\n\"\"c\",1\n\"\",\"\"\"\"\n";
    assert_int_equal(count_whole(doubled, strlen(doubled)), 2);
    const char *crlf = "\"x\r\ny\",\"\n\n\"\r\n";   /* \r is data, not an end of row */
    assert_int_equal(count_whole(crlf, strlen(crlf)), 1);

    CsvRowCounter c = {false, 0};
    csv_count_rows(&c, "\"open\n", 6);
    assert_true(c.in_quotes);
    assert_int_equal(c.rows, 0);
    csv_count_rows(&c, "still\",x\n", 9);
    assert_false(c.in_quotes);
    assert_int_equal(c.rows, 1);
    csv_count_rows(&c, NULL, 0);
    assert_int_equal(c.rows, 1);
}

static void test_csv_rows_every_split(void **state)
{
    const char *text = "1,\"a\nb\",\"\"\"\"\n"
                       "2,\"\"\"quoted\"\"\n\",\n"
                       "3,plain,\"\"\n"
                       "4,\"x\"\"\ny\"\"z\",\"\n\n\n\"\n"
                       "\n"
                       "5,\",\",\"\"\"\"\"\"\n";
    size_t len = strlen(text);
    bool q;
    uint64_t want = count_naive(text, len, &q);
    assert_int_equal(want, 6);
    assert_false(q);
    /* Two buffers split at every position, and one byte at a time. */
    for (size_t cut = 0; cut <= len; cut++) {
        CsvRowCounter c = {false, 0};
        csv_count_rows(&c, text, cut);
        bool q_cut;
        assert_int_equal(c.rows, count_naive(text, cut, &q_cut));
        assert_int_equal(c.in_quotes, q_cut);
        csv_count_rows(&c, text + cut, len - cut);
        assert_int_equal(c.rows, want);
        assert_false(c.in_quotes);
    }
    CsvRowCounter c = {false, 0};
    for (size_t i = 0; i < len; i++)
        csv_count_rows(&c, text + i, 1);
    assert_int_equal(c.rows, want);

    /* A larger pseudo-random stream of quotes, newlines and letters, cut
     * into pieces of varying sizes. */
    size_t big = 1 << 20;
    char *buf = xmalloc(big);
    uint32_t x = 12345;
    for (size_t i = 0; i < big; i++) {
        x = x * 1103515245u + 12345u;
        unsigned r = (x >> 16) % 10;
        buf[i] = r == 0 ? '"' : r == 1 ? '\n' : r == 2 ? ',' : 'a';
    }
    bool big_q;
    uint64_t big_want = count_naive(buf, big, &big_q);
    CsvRowCounter b = {false, 0};
    for (size_t at = 0, step = 1; at < big; at += step, step = step * 3 % 65537 + 1)
        csv_count_rows(&b, buf + at, at + step <= big ? step : big - at);
    assert_int_equal(b.rows, big_want);
    assert_int_equal(b.in_quotes, big_q);
    free(buf);
}

/* ---- Options ------------------------------------------------------------- */

static void test_content_parse(void **state)
{
    int c = 99;
    ASSERT_OK(helper_content_parse("-1", &c));
    assert_int_equal(c, -1);
    ASSERT_OK(helper_content_parse("0", &c));
    assert_int_equal(c, 0);
    ASSERT_OK(helper_content_parse("17", &c));
    assert_int_equal(c, 17);
    ASSERT_OK(helper_content_parse("2147483647", &c));
    assert_int_equal(c, 2147483647);
    static const char *const bad[] = {"", "-", "-2", "-0", "00", "01", "+1", " 1", "1 ",
                                      "1x", "2147483648", "99999999999999999999", "<SEGID>",
                                      "0x1", "--1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_error(helper_content_parse(bad[i], &c), ERR_USAGE, "invalid content id");
    expect_error(helper_content_parse(NULL, &c), ERR_USAGE, "invalid content id");
}

static void test_checksums_lookup(void **state)
{
    const char *a = "0123456789abcdef0123456789abcdef";
    const char *b = "fedcba9876543210fedcba9876543210";
    char *list = xasprintf("-1:%s,0:%s,12:%s", a, b, a);
    char out[CHECKSUM_HEX_LEN + 1];
    ASSERT_OK(helper_checksums_lookup(list, -1, out));
    assert_string_equal(out, a);
    ASSERT_OK(helper_checksums_lookup(list, 0, out));
    assert_string_equal(out, b);
    ASSERT_OK(helper_checksums_lookup(list, 12, out));
    assert_string_equal(out, a);
    expect_error(helper_checksums_lookup(list, 1, out), ERR_USAGE,
                 "option --checksums has no entry for content 1");
    free(list);

    list = xasprintf("3:%s", b);
    ASSERT_OK(helper_checksums_lookup(list, 3, out));
    assert_string_equal(out, b);
    free(list);

    /* Malformed lists are refused whatever content is asked for. */
    char *bad[] = {
        xasprintf("%s", ""),
        xasprintf("0:%s,", a),
        xasprintf(",0:%s", a),
        xasprintf("0:%s,,1:%s", a, b),
        xasprintf("0%s", a),
        xasprintf("0:%s", "0123456789ABCDEF0123456789abcdef"),
        xasprintf("0:%.31s", a),
        xasprintf("0:%s0", a),
        xasprintf("00:%s", a),
        xasprintf("-2:%s", a),
        xasprintf("x:%s", a),
        xasprintf(":%s", a),
        xasprintf("0::%s", a),
        xasprintf("0:%s 1:%s", a, b),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expect_error(helper_checksums_lookup(bad[i], 0, out), ERR_USAGE,
                     "in option --checksums");
        free(bad[i]);
    }
    expect_error(helper_checksums_lookup(NULL, 0, out), ERR_USAGE, "in option --checksums");

    list = xasprintf("0:%s,1:%s,0:%s", a, b, b);
    expect_error(helper_checksums_lookup(list, 1, out), ERR_USAGE,
                 "content 0 is listed twice in option --checksums");
    free(list);
}

/* ---- Shell quoting and command lines ------------------------------------- */

/* What /bin/sh -c script prints. Caller owns. */
static char *run_shell(const char *script)
{
    FILE *p = popen(script, "r");
    assert_non_null(p);
    StrBuf sb;
    sb_init(&sb);
    char buf[256];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        sb_append_len(&sb, buf, n);
    assert_int_equal(pclose(p), 0);
    return sb_steal(&sb);
}

/* What /bin/sh makes of quoted: it prints its one word back. Caller owns. */
static char *through_shell(const char *quoted)
{
    char *cmd = xasprintf("printf '%%s|' %s", quoted);
    char *back = run_shell(cmd);
    free(cmd);
    return back;
}

static void test_shell_quote(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"plain", "'plain'"},
        {"", "''"},
        {"it's", "'it'\\''s'"},
        {"a b  c", "'a b  c'"},
        {"$(rm -rf /)", "'$(rm -rf /)'"},
        {"`id`;$HOME|&>x\\n*?", "'`id`;$HOME|&>x\\n*?'"},
        {"''", "''\\'''\\'''"},
        {"<SEGID>", "'<SEGID>'"},
        {"<SEG_DATA_DIR>/backups/gpbackup_<SEGID>_1.zst", "'<SEG_DATA_DIR>/backups/gpbackup_<SEGID>_1.zst'"},
        {"line\nbreak", "'line\nbreak'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *q = helper_shell_quote(cases[i].in);
        assert_string_equal(q, cases[i].want);
        /* The shell reads the quoted text back as exactly one word, the
         * original string. */
        char *back = through_shell(q);
        char *want = xasprintf("%s|", cases[i].in);
        assert_string_equal(back, want);
        free(want);
        free(back);
        free(q);
    }
    char *q = helper_shell_quote(NULL);
    assert_string_equal(q, "''");
    free(q);
}

static void test_backup_command(void **state)
{
    char *c = helper_backup_command(
        "/usr/local/greenplum-db/bin/gpbackup_helper",
        "<SEG_DATA_DIR>/backups/20261121/20261121093000/gpbackup_<SEGID>_20261121093000_16384.zst",
        CODEC_ZSTD, 3, "<SEGID>",
        "<SEG_DATA_DIR>/backups/20261121/20261121093000/gpbackup_<SEGID>_20261121093000_16384.zst.err");
    assert_string_equal(
        c, "'/usr/local/greenplum-db/bin/gpbackup_helper'"
           " '--backup-file' '<SEG_DATA_DIR>/backups/20261121/20261121093000/gpbackup_<SEGID>_20261121093000_16384.zst'"
           " '--compression' 'zstd' '--compression-level' '3' '--content' '<SEGID>'"
           " '--error-file' '<SEG_DATA_DIR>/backups/20261121/20261121093000/gpbackup_<SEGID>_20261121093000_16384.zst.err'");
    free(c);

    c = helper_backup_command("/opt/it's here/gpbackup_helper", "/b/gpbackup_-1_1_2", CODEC_NONE, 0,
                              "-1", NULL);
    assert_string_equal(c, "'/opt/it'\\''s here/gpbackup_helper' '--backup-file' '/b/gpbackup_-1_1_2'"
                           " '--compression' 'none' '--compression-level' '0' '--content' '-1'");
    free(c);

    c = helper_backup_command("/h", "/b/x.gz", CODEC_GZIP, 9, "-1", "/b/$(x).err");
    assert_string_equal(c, "'/h' '--backup-file' '/b/x.gz' '--compression' 'gzip' '--compression-level' '9'"
                           " '--content' '-1' '--error-file' '/b/$(x).err'");
    free(c);
}

static void test_restore_command(void **state)
{
    const char *a = "0123456789abcdef0123456789abcdef";
    const char *b = "fedcba9876543210fedcba9876543210";
    int contents[] = {-1, 0, 1};
    char *sums[] = {(char *)(uintptr_t)a, (char *)(uintptr_t)b, (char *)(uintptr_t)a};
    char *c = helper_restore_command("/usr/local/greenplum-db/bin/gpbackup_helper",
                                     "<SEG_DATA_DIR>/backups/gpbackup_<SEGID>_20261121093000_16384.zst",
                                     CODEC_ZSTD, "<SEGID>", contents, sums, 3,
                                     "<SEG_DATA_DIR>/backups/gpbackup_<SEGID>_20261121093000_16384.zst.err");
    assert_string_equal(
        c, "'/usr/local/greenplum-db/bin/gpbackup_helper'"
           " '--restore-file' '<SEG_DATA_DIR>/backups/gpbackup_<SEGID>_20261121093000_16384.zst'"
           " '--compression' 'zstd' '--content' '<SEGID>'"
           " '--checksums' '-1:0123456789abcdef0123456789abcdef,0:fedcba9876543210fedcba9876543210,"
           "1:0123456789abcdef0123456789abcdef'"
           " '--error-file' '<SEG_DATA_DIR>/backups/gpbackup_<SEGID>_20261121093000_16384.zst.err'");
    free(c);

    /* No checksums, no error file: neither option appears. */
    c = helper_restore_command("/h", "/b/it's.gz", CODEC_GZIP, "-1", NULL, NULL, 0, NULL);
    assert_string_equal(c, "'/h' '--restore-file' '/b/it'\\''s.gz' '--compression' 'gzip' '--content' '-1'");
    free(c);

    /* The list the coordinator builds is one the helper reads back. */
    c = helper_restore_command("/h", "/b/x", CODEC_NONE, "-1", contents, sums, 3, NULL);
    const char *key = "'--checksums' '";
    const char *list = strstr(c, key);
    assert_non_null(list);
    list += strlen(key);
    char *arg = xstrndup(list, (size_t)(strchr(list, '\'') - list));
    char out[CHECKSUM_HEX_LEN + 1];
    for (size_t i = 0; i < 3; i++) {
        ASSERT_OK(helper_checksums_lookup(arg, contents[i], out));
        assert_string_equal(out, sums[i]);
    }
    free(arg);
    free(c);
}

/* The words /bin/sh splits command into, each followed by "|". */
static char *shell_words(const char *command)
{
    char *script = xasprintf("set -- %s; printf '%%s|' \"$@\"", command);
    char *words = run_shell(script);
    free(script);
    return words;
}

static void test_commands_through_shell(void **state)
{
    const char *helper = "/opt/gp db/it's/gpbackup_helper";
    const char *path = "<SEG_DATA_DIR>/b $(touch /tmp/pwned)/`id`/x's;y.zst";
    char *c = helper_backup_command(helper, path, CODEC_ZSTD, 1, "<SEGID>", "/e/$HOME/it's.err");
    char *words = shell_words(c);
    char *want = xasprintf("%s|--backup-file|%s|--compression|zstd|--compression-level|1|"
                           "--content|<SEGID>|--error-file|/e/$HOME/it's.err|",
                           helper, path);
    assert_string_equal(words, want);
    free(want);
    free(words);
    free(c);

    int contents[] = {-1};
    char *sums[] = {(char *)(uintptr_t)SUM};
    c = helper_restore_command(helper, path, CODEC_GZIP, "-1", contents, sums, 1, NULL);
    words = shell_words(c);
    want = xasprintf("%s|--restore-file|%s|--compression|gzip|--content|-1|--checksums|-1:%s|",
                     helper, path, SUM);
    assert_string_equal(words, want);
    free(want);
    free(words);
    free(c);
}

/* --print-file: the command every segment runs to hand a file back through
 * COPY ... FROM PROGRAM ON SEGMENT, and the CSV row it prints. */
static void test_print_command(void **state)
{
    (void)state;
    const char *paths[] = {"/b/gpseg-1/x.meta", "/b/gpseg0/x.meta", "/b/it's/x.meta"};
    char *c = helper_print_command("/opt/gpb/gpbackup_helper", "<SEGID>", paths, 3, false);
    assert_string_equal(c, "'/opt/gpb/gpbackup_helper' '--content' '<SEGID>'"
                           " '--print-file' '/b/gpseg-1/x.meta' '--print-file' '/b/gpseg0/x.meta'"
                           " '--print-file' '/b/it'\\''s/x.meta'");
    free(c);
    c = helper_print_command("/h", "<SEGID>", paths, 1, true);
    assert_string_equal(c, "'/h' '--content' '<SEGID>' '--print-file' '/b/gpseg-1/x.meta'"
                           " '--missing-ok'");
    free(c);
}

static void test_print_row(void **state)
{
    (void)state;
    char *r = helper_print_row(2, "formatversion: 1\nrows: 3\n", 25);
    assert_string_equal(r, "2,\"formatversion: 1\nrows: 3\n\"\n");
    free(r);
    r = helper_print_row(-1, "say \"hi\", then \"\"", 17);
    assert_string_equal(r, "-1,\"say \"\"hi\"\", then \"\"\"\"\"\n");
    free(r);
    r = helper_print_row(0, "", 0);
    assert_string_equal(r, "0,\"\"\n");
    free(r);
    /* Only len bytes are printed, whatever follows. */
    r = helper_print_row(1, "abc\"def", 4);
    assert_string_equal(r, "1,\"abc\"\"\"\n");
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sidecar_round_trip),
        cmocka_unit_test(test_sidecar_missing_and_duplicate_keys),
        cmocka_unit_test(test_sidecar_versions_and_unknown_keys),
        cmocka_unit_test(test_sidecar_numbers),
        cmocka_unit_test(test_sidecar_checksums),
        cmocka_unit_test(test_sidecar_syntax),
        cmocka_unit_test(test_csv_rows_basic),
        cmocka_unit_test(test_csv_rows_every_split),
        cmocka_unit_test(test_content_parse),
        cmocka_unit_test(test_checksums_lookup),
        cmocka_unit_test(test_shell_quote),
        cmocka_unit_test(test_backup_command),
        cmocka_unit_test(test_restore_command),
        cmocka_unit_test(test_commands_through_shell),
        cmocka_unit_test(test_print_command),
        cmocka_unit_test(test_print_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
