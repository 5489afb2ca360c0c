/* Unit tests of common/manifest.c: the text round-trips, every refusal of
 * the reader (self checksum missing or wrong, any single flipped byte or
 * truncation, unknown version or algorithm, unsafe or duplicate names,
 * absurd sizes, malformed checksums and YAML), the bounded file reader, and
 * manifest_verify_dir on missing, extra, truncated, altered, symlinked and
 * directory entries. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checksum.h"
#include "fileio.h"
#include "manifest.h"
#include "util.h"

static char scratch[4096];

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

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int setup(void **state)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/gpb_manifest_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    return mkdtemp(scratch) ? 0 : -1;
}

static int teardown(void **state)
{
    return nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static const char SUM_DIGIT[] = "0123456789abcdef0123456789abcdef";
static const char SUM_LETTER[] = "abcdef0123456789abcdef0123456789";

/* body followed by its checksum line, as the writer makes it. Caller owns. */
static char *sealed(const char *body)
{
    char hex[CHECKSUM_HEX_LEN + 1];
    checksum_buffer(body, strlen(body), hex);
    return xasprintf("%smanifestchecksum: %s\n", body, hex);
}

static Error *parse_sealed(const char *body)
{
    char *text = sealed(body);
    Manifest *m = (Manifest *)(uintptr_t)1;
    Error *err = manifest_from_text(text, strlen(text), &m);
    free(text);
    if (!err) {
        manifest_free(m);
    } else {
        assert_null(m);
    }
    return err;
}

/* A valid body with one file; the entry is given as YAML lines. */
static char *body_with_entry(const char *entry)
{
    return xasprintf("formatversion: 1\nalgorithm: xxh3-128\nfiles:\n%s", entry);
}

static Manifest *sample_manifest(void)
{
    Manifest *m = manifest_new();
    /* Names that need quoting in YAML, or look like other types. */
    static const char *const names[] = {
        "gpbackup_20240102030405_config.yaml", "gpbackup_-1_20240102030405_16384.zst",
        "yes", "123", "a: b", "- x", "#c", "null", "ünï 表", "x\"y'z\\", "~",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        ASSERT_OK(manifest_add(m, names[i], i * 1000, i % 2 ? SUM_DIGIT : SUM_LETTER));
    }
    ASSERT_OK(manifest_add(m, "empty", 0, SUM_DIGIT));
    ASSERT_OK(manifest_add(m, "huge", (uint64_t)1 << 50, SUM_LETTER));
    return m;
}

static void test_round_trip(void **state)
{
    Manifest *m = sample_manifest();
    char *text;
    size_t len;
    ASSERT_OK(manifest_to_text(m, &text, &len));
    assert_int_equal(len, strlen(text));
    assert_true(strncmp(text, "formatversion: 1\nalgorithm: xxh3-128\nfiles:\n", 44) == 0);
    /* The last line is the checksum of everything before it. */
    char *last = text + len - 1;
    while (last > text && last[-1] != '\n')
        last--;
    assert_true(strncmp(last, "manifestchecksum: ", 18) == 0);
    char hex[CHECKSUM_HEX_LEN + 1];
    checksum_buffer(text, (size_t)(last - text), hex);
    assert_non_null(strstr(last, hex));

    Manifest *back;
    ASSERT_OK(manifest_from_text(text, len, &back));
    assert_int_equal(back->n, m->n);
    for (size_t i = 0; i < m->n; i++) {
        const ManifestFile *f = manifest_find(back, m->files[i].path);
        assert_non_null(f);
        assert_int_equal(f->size, m->files[i].size);
        assert_string_equal(f->checksum, m->files[i].checksum);
    }
    /* Writing what was read gives the same bytes. */
    char *again;
    size_t again_len;
    ASSERT_OK(manifest_to_text(back, &again, &again_len));
    assert_int_equal(again_len, len);
    assert_memory_equal(again, text, len);
    free(again);
    free(text);
    manifest_free(back);
    manifest_free(m);

    /* An empty manifest is valid too. */
    m = manifest_new();
    ASSERT_OK(manifest_to_text(m, &text, &len));
    assert_non_null(strstr(text, "files: []\n"));
    ASSERT_OK(manifest_from_text(text, len, &back));
    assert_int_equal(back->n, 0);
    free(text);
    manifest_free(back);
    manifest_free(m);
    manifest_free(NULL);
}

static void test_checksum_line_quoting(void **state)
{
    /* Both spellings of the last line: plain, and double-quoted (the
     * writer's choice when the checksum starts with a digit). */
    const char *body = "formatversion: 1\nalgorithm: xxh3-128\nfiles: []\n";
    char hex[CHECKSUM_HEX_LEN + 1];
    checksum_buffer(body, strlen(body), hex);
    char *plain = xasprintf("%smanifestchecksum: %s\n", body, hex);
    char *quoted = xasprintf("%smanifestchecksum: \"%s\"\n", body, hex);
    Manifest *m;
    ASSERT_OK(manifest_from_text(plain, strlen(plain), &m));
    manifest_free(m);
    ASSERT_OK(manifest_from_text(quoted, strlen(quoted), &m));
    manifest_free(m);
    free(plain);
    free(quoted);
    /* Unknown keys are ignored, as in every file of the set. */
    ASSERT_OK(parse_sealed("formatversion: 1\nalgorithm: xxh3-128\nfuture: [1, 2]\nfiles: []\n"));
}

static void test_safe_name(void **state)
{
    static const char *const good[] = {"a", "gpbackup_-1_20240102030405_1.zst", "a..b", "a.",
                                       "ünï", "a b", "a\\b", "~", "-"};
    static const char *const bad[] = {"", ".", "..", "../x", "a/../b", "/etc/passwd", "a/b",
                                      "a/", ".hidden", "a\nb", "a\rb", "\t", "a\x7f"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(manifest_safe_name(good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(manifest_safe_name(bad[i]));
    assert_false(manifest_safe_name(NULL));
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_false(manifest_safe_name(longname));
    longname[255] = '\0';
    assert_true(manifest_safe_name(longname));
}

static void test_add_refusals(void **state)
{
    Manifest *m = manifest_new();
    expect_error(manifest_add(m, "../x", 1, SUM_DIGIT), ERR_INTERNAL, "not a plain file name");
    expect_error(manifest_add(m, "/abs", 1, SUM_DIGIT), ERR_INTERNAL, "not a plain file name");
    expect_error(manifest_add(m, "", 1, SUM_DIGIT), ERR_INTERNAL, "not a plain file name");
    expect_error(manifest_add(m, NULL, 1, SUM_DIGIT), ERR_INTERNAL, "not a plain file name");
    expect_error(manifest_add(m, "a", 1, "0123"), ERR_INTERNAL, "invalid checksum");
    expect_error(manifest_add(m, "a", 1, "0123456789ABCDEF0123456789ABCDEF"), ERR_INTERNAL,
                 "invalid checksum");
    expect_error(manifest_add(m, "a", 1, NULL), ERR_INTERNAL, "invalid checksum");
    expect_error(manifest_add(m, "a", ((uint64_t)1 << 50) + 1, SUM_DIGIT), ERR_INTERNAL, "too large");
    ASSERT_OK(manifest_add(m, "a", 1, SUM_DIGIT));
    expect_error(manifest_add(m, "a", 2, SUM_LETTER), ERR_INTERNAL, "listed twice");
    expect_error(manifest_add_file(m, scratch, "../etc"), ERR_INTERNAL, "not a plain file name");
    expect_error(manifest_add_file(m, scratch, "does-not-exist"), ERR_IO, "does-not-exist");
    assert_int_equal(m->n, 1);
    manifest_free(m);
}

static void test_find_and_order(void **state)
{
    Manifest *m = manifest_new();
    /* Out of order, as a backup adds them. */
    static const char *const names[] = {"m", "b", "z", "a", "gpbackup_-1_1_99", "gpbackup_-1_1_100", "c"};
    size_t n = sizeof names / sizeof names[0];
    for (size_t i = 0; i < n; i++)
        ASSERT_OK(manifest_add(m, names[i], i, SUM_DIGIT));
    assert_int_equal(m->n, n);
    for (size_t i = 1; i < m->n; i++)
        assert_true(strcmp(m->files[i - 1].path, m->files[i].path) < 0);
    for (size_t i = 0; i < n; i++) {
        const ManifestFile *f = manifest_find(m, names[i]);
        assert_non_null(f);
        assert_int_equal(f->size, i);
    }
    assert_null(manifest_find(m, "nope"));
    assert_null(manifest_find(m, ""));
    assert_null(manifest_find(m, NULL));
    assert_null(manifest_find(NULL, "a"));
    manifest_free(m);
}

static void test_self_checksum_refusals(void **state)
{
    Manifest *m = (Manifest *)(uintptr_t)1;
    const char *body = "formatversion: 1\nalgorithm: xxh3-128\nfiles: []\n";
    /* No checksum line at all. */
    expect_error(manifest_from_text(body, strlen(body), &m), ERR_FORMAT,
                 "manifest checksum mismatch: the manifest is damaged");
    assert_null(m);
    expect_error(manifest_from_text("", 0, &m), ERR_FORMAT, "manifest checksum mismatch");
    /* A wrong checksum. */
    char *text = xasprintf("%smanifestchecksum: %s\n", body, SUM_LETTER);
    expect_error(manifest_from_text(text, strlen(text), &m), ERR_FORMAT,
                 "manifest checksum mismatch: the manifest is damaged");
    free(text);
    /* Malformed: short, upper case, quoted wrongly, with trailing text. */
    char hex[CHECKSUM_HEX_LEN + 1];
    checksum_buffer(body, strlen(body), hex);
    char upper[CHECKSUM_HEX_LEN + 1];
    for (int i = 0; i <= CHECKSUM_HEX_LEN; i++)
        upper[i] = (char)(hex[i] >= 'a' && hex[i] <= 'f' ? hex[i] - 32 : hex[i]);
    static const struct {
        const char *before;
        int digits;
        const char *after;
    } forms[] = {
        {"manifestchecksum: ", 31, "\n"},  {"manifestchecksum: '", 32, "'\n"},
        {"manifestchecksum: ", 32, " # x\n"}, {"manifestchecksum:  ", 32, "\n"},
        {"manifestchecksum: ", 32, "\r\n"}, {"manifestchecksum: \"", 32, "\n"},
        {"manifestchecksum: ", 32, ""},    {" manifestchecksum: ", 32, "\n"},
        {"manifestchecksum:", 32, "\n"},   {"manifestchecksum: \"", 32, "\"\"\n"},
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        text = xasprintf("%s%s%.*s%s", body, forms[i].before, forms[i].digits, hex, forms[i].after);
        expect_error(manifest_from_text(text, strlen(text), &m), ERR_FORMAT, "manifest checksum mismatch");
        free(text);
    }
    text = xasprintf("%smanifestchecksum: %s\n", body, upper);
    if (strcmp(upper, hex) != 0)
        expect_error(manifest_from_text(text, strlen(text), &m), ERR_FORMAT, "manifest checksum mismatch");
    free(text);
    /* A checksum line that is not the last one. */
    text = xasprintf("%smanifestchecksum: %s\nfoo: bar\n", body, hex);
    expect_error(manifest_from_text(text, strlen(text), &m), ERR_FORMAT, "manifest checksum mismatch");
    free(text);
    /* The same key earlier in the body too: YAML sees it twice. */
    char *dup = xasprintf("%smanifestchecksum: %s\n", body, hex);
    expect_error(parse_sealed(dup), ERR_FORMAT, "duplicate key \"manifestchecksum\"");
    free(dup);
    /* A last line that is YAML-wise part of a multi-line scalar. */
    expect_error(parse_sealed("formatversion: 1\nalgorithm: xxh3-128\nfiles: []\nx: \"abc\n"),
                 ERR_FORMAT, "");
}

/* Flip every byte of a real manifest, one at a time and in several ways,
 * and cut it at every length: each damaged text must be refused. */
static void test_every_damage_refused(void **state)
{
    Manifest *m = manifest_new();
    ASSERT_OK(manifest_add(m, "gpbackup_20240102030405_config.yaml", 763, SUM_DIGIT));
    ASSERT_OK(manifest_add(m, "gpbackup_-1_20240102030405_16384.zst", 4059, SUM_LETTER));
    char *text;
    size_t len;
    ASSERT_OK(manifest_to_text(m, &text, &len));
    manifest_free(m);
    static const unsigned char flips[] = {0x01, 0x02, 0x20, 0x80, 0xff};
    char *copy = xmalloc(len + 1);
    for (size_t i = 0; i < len; i++) {
        for (size_t f = 0; f < sizeof flips; f++) {
            memcpy(copy, text, len + 1);
            copy[i] = (char)((unsigned char)copy[i] ^ flips[f]);
            Manifest *back = NULL;
            Error *err = manifest_from_text(copy, len, &back);
            if (!err) {
                manifest_free(back);
                fail_msg("flipping byte %zu with 0x%02x was not noticed", i, flips[f]);
            }
            assert_int_equal(err->code, ERR_FORMAT);
            error_free(err);
        }
    }
    for (size_t cut = 0; cut < len; cut++) {
        Manifest *back = NULL;
        Error *err = manifest_from_text(text, cut, &back);
        if (!err) {
            manifest_free(back);
            fail_msg("truncation to %zu bytes was not noticed", cut);
        }
        error_free(err);
    }
    /* Something appended after the checksum line. */
    char *longer = xasprintf("%s\n", text);
    Manifest *back = NULL;
    expect_error(manifest_from_text(longer, strlen(longer), &back), ERR_FORMAT, "manifest checksum mismatch");
    free(longer);
    free(copy);
    free(text);
}

static void test_content_refusals(void **state)
{
    static const struct {
        const char *body;
        const char *want;
    } cases[] = {
        {"formatversion: 2\nalgorithm: xxh3-128\nfiles: []\n", "unsupported format version 2"},
        {"formatversion: 0\nalgorithm: xxh3-128\nfiles: []\n", "unsupported format version 0"},
        {"algorithm: xxh3-128\nfiles: []\n", "missing key \"formatversion\""},
        {"formatversion: \"1\"\nalgorithm: xxh3-128\nfiles: []\n", "formatversion"},
        {"formatversion: 1\nalgorithm: sha256\nfiles: []\n", "unsupported checksum algorithm \"sha256\""},
        {"formatversion: 1\nalgorithm: XXH3-128\nfiles: []\n", "unsupported checksum algorithm"},
        {"formatversion: 1\nfiles: []\n", "missing key \"algorithm\""},
        {"formatversion: 1\nalgorithm: xxh3-128\n", "missing key \"files\""},
        {"formatversion: 1\nalgorithm: xxh3-128\nfiles: {}\n", "files"},
        {"formatversion: 1\nalgorithm: xxh3-128\nfiles:\n- just a string\n", "files"},
        {"- a\n- b\n", "could not parse manifest"},
        {"formatversion: 1\nalgorithm: xxh3-128\nfiles: [\n", "could not parse manifest"},
        {"formatversion: 1\n  algorithm: xxh3-128\nfiles: []\n", "could not parse manifest"},
        {"formatversion: 1\nalgorithm: xxh3-128\nfiles: []\nfiles: []\n", "duplicate key \"files\""},
        {"formatversion: 1\nalgorithm: xxh3-128\nfiles: []\n---\na: 1\n", "more than one document"},
        {"formatversion: 1\nalgorithm: xxh3-128\nfiles: []\nbad: \"\x01\"\n", "could not parse manifest"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_error(parse_sealed(cases[i].body), ERR_FORMAT, cases[i].want);

    /* A NUL byte inside the text, under a valid checksum. */
    const char raw[] = "formatversion: 1\nalgorithm: xxh3-128\nfiles: []\nx: a\0b\n";
    size_t raw_len = sizeof raw - 1;
    char hex[CHECKSUM_HEX_LEN + 1];
    checksum_buffer(raw, raw_len, hex);
    char *text = xmalloc(raw_len + 64);
    memcpy(text, raw, raw_len);
    size_t tail = (size_t)sprintf(text + raw_len, "manifestchecksum: %s\n", hex);
    Manifest *m = NULL;
    expect_error(manifest_from_text(text, raw_len + tail, &m), ERR_FORMAT, "could not parse manifest");
    free(text);
}

static void test_entry_refusals(void **state)
{
    static const struct {
        const char *entry;
        const char *want;
    } cases[] = {
        {"- name: ../etc/passwd\n  size: 1\n  checksum: " "abcdef0123456789abcdef0123456789\n", "invalid file name \"../etc/passwd\""},
        {"- name: ..\n  size: 1\n  checksum: abcdef0123456789abcdef0123456789\n", "invalid file name \"..\""},
        {"- name: .\n  size: 1\n  checksum: abcdef0123456789abcdef0123456789\n", "invalid file name \".\""},
        {"- name: /etc/passwd\n  size: 1\n  checksum: abcdef0123456789abcdef0123456789\n", "invalid file name \"/etc/passwd\""},
        {"- name: a/b\n  size: 1\n  checksum: abcdef0123456789abcdef0123456789\n", "invalid file name \"a/b\""},
        {"- name: .hidden\n  size: 1\n  checksum: abcdef0123456789abcdef0123456789\n", "invalid file name \".hidden\""},
        {"- name: \"\"\n  size: 1\n  checksum: abcdef0123456789abcdef0123456789\n", "invalid file name \"\""},
        {"- name:\n  size: 1\n  checksum: abcdef0123456789abcdef0123456789\n", "expected a string, found null"},
        {"- name: \"a\\0b\"\n  size: 1\n  checksum: abcdef0123456789abcdef0123456789\n", "null character"},
        {"- name: \"a\\nb\"\n  size: 1\n  checksum: abcdef0123456789abcdef0123456789\n", "invalid file name"},
        {"- name: a\n  size: 1125899906842625\n  checksum: abcdef0123456789abcdef0123456789\n", "out of range"},
        {"- name: a\n  size: 18446744073709551616\n  checksum: abcdef0123456789abcdef0123456789\n", "size"},
        {"- name: a\n  size: -1\n  checksum: abcdef0123456789abcdef0123456789\n", "size"},
        {"- name: a\n  size: 1e3\n  checksum: abcdef0123456789abcdef0123456789\n", "size"},
        {"- name: a\n  size: \"1\"\n  checksum: abcdef0123456789abcdef0123456789\n", "size"},
        {"- name: a\n  size: 01\n  checksum: abcdef0123456789abcdef0123456789\n", "size"},
        {"- name: a\n  size: 1\n  checksum: abcdef\n", "invalid checksum for file \"a\""},
        {"- name: a\n  size: 1\n  checksum: ABCDEF0123456789ABCDEF0123456789\n", "invalid checksum for file \"a\""},
        {"- name: a\n  size: 1\n  checksum: ghijkl0123456789abcdef0123456789\n", "invalid checksum for file \"a\""},
        {"- name: a\n  size: 1\n  checksum: abcdef0123456789abcdef01234567890\n", "invalid checksum for file \"a\""},
        {"- name: a\n  size: 1\n", "missing key \"checksum\""},
        {"- name: a\n  checksum: abcdef0123456789abcdef0123456789\n", "missing key \"size\""},
        {"- size: 1\n  checksum: abcdef0123456789abcdef0123456789\n", "missing key \"name\""},
        {"- name: a\n  size: 1\n  checksum: abcdef0123456789abcdef0123456789\n"
         "- name: b\n  size: 2\n  checksum: abcdef0123456789abcdef0123456789\n"
         "- name: a\n  size: 3\n  checksum: abcdef0123456789abcdef0123456789\n",
         "file \"a\" is listed twice"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *body = body_with_entry(cases[i].entry);
        expect_error(parse_sealed(body), ERR_FORMAT, cases[i].want);
        free(body);
    }
    /* The largest size allowed, 2^50, is accepted. */
    char *body = body_with_entry("- name: a\n  size: 1125899906842624\n  checksum: abcdef0123456789abcdef0123456789\n");
    ASSERT_OK(parse_sealed(body));
    free(body);
}

static void test_write_read_file(void **state)
{
    Manifest *m = sample_manifest();
    char *path = path_join(scratch, "gpbackup_1_manifest.yaml");
    ASSERT_OK(manifest_write(m, path));
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    Manifest *back;
    ASSERT_OK(manifest_read(path, &back));
    assert_int_equal(back->n, m->n);
    manifest_free(back);
    manifest_free(m);

    /* Damage on disk: the message names the file. */
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "X", 1, 5), 1);
    close(fd);
    back = (Manifest *)(uintptr_t)1;
    Error *err = manifest_read(path, &back);
    assert_non_null(err);
    assert_null(back);
    assert_non_null(strstr(err->message, path));
    assert_non_null(strstr(err->message, "manifest checksum mismatch: the manifest is damaged"));
    error_free(err);

    /* Over 256 MiB is refused before it is read (a sparse file). */
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, ((off_t)256 << 20) + 1), 0);
    close(fd);
    expect_error(manifest_read(path, &back), ERR_FORMAT, "too large");
    unlink(path);
    err = manifest_read(path, &back);
    assert_non_null(err);
    assert_int_equal(err->code, ERR_IO);
    error_free(err);
    free(path);
}

static void put(const char *dir, const char *name, const char *content)
{
    char *path = path_join(dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
    free(path);
}

static void assert_problems(StrList *problems, const char *const *want, size_t n)
{
    if (problems->n != n) {
        for (size_t i = 0; i < problems->n; i++)
            print_error("problem: %s\n", problems->items[i]);
        fail_msg("%zu problems, expected %zu", problems->n, n);
    }
    for (size_t i = 0; i < n; i++)
        assert_string_equal(problems->items[i], want[i]);
    strlist_free(problems);
}

static void test_verify_dir(void **state)
{
    char *dir = path_join(scratch, "set");
    assert_int_equal(mkdir(dir, 0700), 0);
    put(dir, "a", "alpha\n");
    put(dir, "b", "bravo bravo\n");
    put(dir, "c", "charlie\n");
    put(dir, "empty", "");
    Manifest *m = manifest_new();
    ASSERT_OK(manifest_add_file(m, dir, "a"));
    ASSERT_OK(manifest_add_file(m, dir, "b"));
    ASSERT_OK(manifest_add_file(m, dir, "c"));
    ASSERT_OK(manifest_add_file(m, dir, "empty"));
    char hex[CHECKSUM_HEX_LEN + 1];
    checksum_buffer("alpha\n", 6, hex);
    assert_string_equal(manifest_find(m, "a")->checksum, hex);
    assert_int_equal(manifest_find(m, "a")->size, 6);
    StrList allowed = {0}, problems = {0};
    strlist_push(&allowed, "marker");
    strlist_push(&allowed, "manifest");

    /* Intact, with the allowed extras present or not. */
    ASSERT_OK(manifest_verify_dir(m, dir, &allowed, &problems));
    assert_problems(&problems, NULL, 0);
    put(dir, "marker", "x");
    ASSERT_OK(manifest_verify_dir(m, dir, &allowed, &problems));
    assert_problems(&problems, NULL, 0);
    ASSERT_OK(manifest_verify_dir(m, dir, NULL, &problems));
    assert_problems(&problems, (const char *const[]){"marker: not in the manifest"}, 1);

    /* Missing, extra, truncated, altered (same size). */
    char *pa = path_join(dir, "a"), *pb = path_join(dir, "b"), *pc = path_join(dir, "c");
    assert_int_equal(unlink(pa), 0);
    put(dir, "extra", "e");
    assert_int_equal(truncate(pb, 4), 0);
    put(dir, "c", "charlIe\n");
    ASSERT_OK(manifest_verify_dir(m, dir, &allowed, &problems));
    assert_problems(&problems,
                    (const char *const[]){"a: missing", "b: size 4, expected 12", "c: checksum differs",
                                          "extra: not in the manifest"},
                    4);

    /* A listed file replaced by a symbolic link to identical content, an
     * unlisted link, an unlisted subdirectory, a listed directory. */
    put(dir, "a", "alpha\n");
    put(dir, "b", "bravo bravo\n");
    put(dir, "c", "charlie\n");
    char *target = path_join(scratch, "target");
    put(scratch, "target", "charlie\n");
    assert_int_equal(unlink(pc), 0);
    assert_int_equal(symlink(target, pc), 0);
    char *link2 = path_join(dir, "link");
    assert_int_equal(symlink("/etc/passwd", link2), 0);
    char *sub = path_join(dir, "sub");
    assert_int_equal(mkdir(sub, 0700), 0);
    char *pe = path_join(dir, "empty");
    assert_int_equal(unlink(pe), 0);
    assert_int_equal(mkdir(pe, 0700), 0);
    ASSERT_OK(manifest_verify_dir(m, dir, &allowed, &problems));
    assert_problems(&problems,
                    (const char *const[]){"c: not a regular file", "empty: not a regular file",
                                          "extra: not in the manifest", "link: not a regular file",
                                          "sub: not a regular file"},
                    5);

    /* Problems are appended to what the list already holds. */
    strlist_push(&problems, "earlier");
    ASSERT_OK(manifest_verify_dir(m, dir, &allowed, &problems));
    assert_int_equal(problems.n, 6);
    assert_string_equal(problems.items[0], "earlier");
    strlist_free(&problems);

    /* A directory that cannot be read is an error, not a problem. */
    char *nodir = path_join(scratch, "no-such-dir");
    Error *err = manifest_verify_dir(m, nodir, &allowed, &problems);
    assert_non_null(err);
    assert_int_equal(err->code, ERR_IO);
    assert_non_null(strstr(err->message, nodir));
    error_free(err);
    assert_int_equal(problems.n, 0);

    free(nodir);
    free(pa);
    free(pb);
    free(pc);
    free(pe);
    free(target);
    free(link2);
    free(sub);
    strlist_free(&allowed);
    manifest_free(m);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_checksum_line_quoting),
        cmocka_unit_test(test_safe_name),
        cmocka_unit_test(test_add_refusals),
        cmocka_unit_test(test_find_and_order),
        cmocka_unit_test(test_self_checksum_refusals),
        cmocka_unit_test(test_every_damage_refused),
        cmocka_unit_test(test_content_refusals),
        cmocka_unit_test(test_entry_refusals),
        cmocka_unit_test(test_write_read_file),
        cmocka_unit_test(test_verify_dir),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
