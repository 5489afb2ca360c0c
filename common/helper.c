/* The pure half of gpbackup_helper: the sidecar text and its strict reader,
 * CSV row counting, the parsing of --content and --checksums, and the shell
 * command lines the coordinator hands to COPY ... PROGRAM. No I/O here; the
 * program itself (cmd/gpbackup_helper.c) owns the files and the streams. */
#include "helper.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define SIDECAR_WHAT "helper sidecar"

/* 1 PiB, as in the manifest: more than any file a backup writes, small
 * enough that the coordinator's sums over thousands of segments cannot
 * overflow, and what manifest_add accepts. */
#define SIDECAR_MAX_BYTES ((uint64_t)1 << 50)

/* ---- Sidecar text ------------------------------------------------------- */

/* The checksum is always double-quoted: 32 hex digits can read as an integer
 * or a float ("1234e567...") to a YAML 1.1 parser, and a string must stay a
 * string to every reader of the set. */
char *helper_sidecar_to_text(const HelperSidecar *s)
{
    return xasprintf("formatversion: %d\n"
                     "content: %d\n"
                     "rows: %" PRIu64 "\n"
                     "rawbytes: %" PRIu64 "\n"
                     "filebytes: %" PRIu64 "\n"
                     "checksum: \"%s\"\n",
                     HELPER_SIDECAR_VERSION, s->content, s->rows, s->rawbytes, s->filebytes,
                     s->checksum);
}

enum { KEY_VERSION, KEY_CONTENT, KEY_ROWS, KEY_RAWBYTES, KEY_FILEBYTES, KEY_CHECKSUM, KEY_COUNT };

static const char *const sidecar_keys[KEY_COUNT] = {
    "formatversion", "content", "rows", "rawbytes", "filebytes", "checksum",
};

/* One "key: value" line as found in the text (pointers into it). */
typedef struct SidecarValue {
    const char *value;
    size_t len;
    size_t line;
} SidecarValue;

static Error *invalid_value(const char *key, const SidecarValue *v, const char *detail)
{
    return error_detail(ERROR_NEW(ERR_FORMAT, "invalid value for key \"%s\" at line %zu of %s: \"%.*s\"",
                                  key, v->line, SIDECAR_WHAT, (int)v->len, v->value),
                        "%s", detail);
}

/* Plain decimal digits, no sign, no leading zero, at most max. */
static Error *parse_uint(const char *key, const SidecarValue *v, uint64_t max, uint64_t *out)
{
    if (v->len == 0)
        return invalid_value(key, v, "Expected an unsigned integer.");
    for (size_t i = 0; i < v->len; i++)
        if (v->value[i] < '0' || v->value[i] > '9')
            return invalid_value(key, v, "Expected an unsigned integer.");
    /* YAML 1.1 reads 010 as octal 8: refuse the ambiguity, as yamlio does. */
    if (v->len > 1 && v->value[0] == '0')
        return invalid_value(key, v, "Unsigned integers must not have leading zeros.");
    uint64_t x = 0;
    for (size_t i = 0; i < v->len; i++) {
        unsigned digit = (unsigned)(v->value[i] - '0');
        if (x > (max - digit) / 10) {
            char *d = xasprintf("The value must be at most %" PRIu64 ".", max);
            Error *e = invalid_value(key, v, d);
            free(d);
            return e;
        }
        x = x * 10 + digit;
    }
    *out = x;
    return NULL;
}

/* Split text into lines of exactly "key: value". A key given twice is an
 * error (the two readings would disagree), and so is a key this version
 * does not know, once the version is known to be ours. */
static Error *sidecar_split(const char *text, size_t len, SidecarValue *vals,
                            const char **unknown, size_t *unknown_len, size_t *unknown_line)
{
    *unknown = NULL;
    const char *p = text, *end = text + len;
    size_t line = 0;
    if (len == 0)
        return ERROR_NEW(ERR_FORMAT, "%s is empty", SIDECAR_WHAT);
    while (p < end) {
        line++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return error_detail(ERROR_NEW(ERR_FORMAT, "invalid line %zu of %s: no newline at the end",
                                          line, SIDECAR_WHAT),
                                "The file is truncated.");
        const char *colon = memchr(p, ':', (size_t)(nl - p));
        if (!colon || colon == p || colon + 1 >= nl || colon[1] != ' ' || colon + 2 == nl)
            return error_detail(ERROR_NEW(ERR_FORMAT, "invalid line %zu of %s", line, SIDECAR_WHAT),
                                "Expected \"key: value\".");
        size_t klen = (size_t)(colon - p);
        const char *value = colon + 2;
        size_t vlen = (size_t)(nl - value);
        for (const char *c = p; c < nl; c++) {
            /* Control characters (NUL, CR, tabs) and stray spaces have no
             * place in what the helper writes. */
            if ((unsigned char)*c < 0x20 || *c == 0x7f || (c != colon + 1 && *c == ' '))
                return error_detail(ERROR_NEW(ERR_FORMAT, "invalid line %zu of %s", line,
                                              SIDECAR_WHAT),
                                    "Expected \"key: value\" without other spaces or control characters.");
        }
        int k;
        for (k = 0; k < KEY_COUNT; k++)
            if (strlen(sidecar_keys[k]) == klen && memcmp(sidecar_keys[k], p, klen) == 0)
                break;
        if (k == KEY_COUNT) {
            if (!*unknown) {
                *unknown = p;
                *unknown_len = klen;
                *unknown_line = line;
            }
        } else if (vals[k].value) {
            return ERROR_NEW(ERR_FORMAT, "duplicate key \"%s\" at line %zu of %s", sidecar_keys[k],
                             line, SIDECAR_WHAT);
        } else {
            vals[k].value = value;
            vals[k].len = vlen;
            vals[k].line = line;
        }
        p = nl + 1;
    }
    return NULL;
}

static Error *parse_content_value(const SidecarValue *v, int *out)
{
    char *s = xstrndup(v->value, v->len);
    Error *err = helper_content_parse(s, out);
    free(s);
    if (err) {
        error_free(err);
        return invalid_value("content", v, "Expected a segment content id: -1 or more, without leading zeros.");
    }
    return NULL;
}

Error *helper_sidecar_from_text(const char *text, size_t len, HelperSidecar *out)
{
    memset(out, 0, sizeof *out);
    SidecarValue vals[KEY_COUNT];
    memset(vals, 0, sizeof vals);
    const char *unknown;
    size_t unknown_len = 0, unknown_line = 0;
    Error *err = sidecar_split(text, len, vals, &unknown, &unknown_len, &unknown_line);
    if (err)
        return err;

    /* The version first: a newer helper may add keys, and "unsupported
     * version" is the message that explains them. */
    if (!vals[KEY_VERSION].value)
        return ERROR_NEW(ERR_FORMAT, "missing key \"formatversion\" in %s", SIDECAR_WHAT);
    uint64_t version;
    if ((err = parse_uint("formatversion", &vals[KEY_VERSION], UINT32_MAX, &version)))
        return err;
    if (version != HELPER_SIDECAR_VERSION)
        return error_hint(ERROR_NEW(ERR_FORMAT,
                                    "unsupported format version %" PRIu64 " in %s (supported version: %d)",
                                    version, SIDECAR_WHAT, HELPER_SIDECAR_VERSION),
                          "The segment may run a newer gpbackup_helper than the coordinator.");
    if (unknown)
        return ERROR_NEW(ERR_FORMAT, "unknown key \"%.*s\" at line %zu of %s", (int)unknown_len,
                         unknown, unknown_line, SIDECAR_WHAT);
    for (int k = 0; k < KEY_COUNT; k++)
        if (!vals[k].value)
            return ERROR_NEW(ERR_FORMAT, "missing key \"%s\" in %s", sidecar_keys[k], SIDECAR_WHAT);

    HelperSidecar s;
    memset(&s, 0, sizeof s);
    if ((err = parse_content_value(&vals[KEY_CONTENT], &s.content)) ||
        (err = parse_uint("rows", &vals[KEY_ROWS], SIDECAR_MAX_BYTES, &s.rows)) ||
        (err = parse_uint("rawbytes", &vals[KEY_RAWBYTES], SIDECAR_MAX_BYTES, &s.rawbytes)) ||
        (err = parse_uint("filebytes", &vals[KEY_FILEBYTES], SIDECAR_MAX_BYTES, &s.filebytes)))
        return err;
    /* Every CSV row ends with a newline, so there are never more rows than
     * bytes: a sidecar saying otherwise was not written by the helper. */
    if (s.rows > s.rawbytes)
        return error_detail(invalid_value("rows", &vals[KEY_ROWS], ""),
                            "There are more rows than bytes (rawbytes is %" PRIu64 ").",
                            s.rawbytes);
    const SidecarValue *c = &vals[KEY_CHECKSUM];
    if (c->len != CHECKSUM_HEX_LEN + 2 || c->value[0] != '"' || c->value[c->len - 1] != '"')
        return invalid_value("checksum", c, "Expected 32 lower-case hex digits in double quotes.");
    memcpy(s.checksum, c->value + 1, CHECKSUM_HEX_LEN);
    s.checksum[CHECKSUM_HEX_LEN] = '\0';
    if (!checksum_valid_hex(s.checksum))
        return invalid_value("checksum", c, "Expected 32 lower-case hex digits in double quotes.");
    *out = s;
    return NULL;
}

/* ---- CSV rows ------------------------------------------------------------ */

/* memchr does the scanning: it is vectorised, and between two quotes only
 * the next quote matters, so quoted text is skipped in one call. */
void csv_count_rows(CsvRowCounter *c, const char *buf, size_t len)
{
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        if (c->in_quotes) {
            if (!q)
                return;
            c->in_quotes = false;
            p = q + 1;
            continue;
        }
        const char *stop = q ? q : end;
        for (const char *nl = p; (nl = memchr(nl, '\n', (size_t)(stop - nl))) != NULL; nl++)
            c->rows++;
        if (!q)
            return;
        c->in_quotes = true;
        p = q + 1;
    }
}

/* ---- Options ------------------------------------------------------------- */

Error *helper_content_parse(const char *s, int *out)
{
    const char *d = s && s[0] == '-' ? s + 1 : s;
    bool ok = d && *d && strlen(d) <= 10 && !(d[0] == '0' && (d[1] || d != s));
    for (const char *c = d; ok && *c; c++)
        ok = *c >= '0' && *c <= '9';
    long long v = ok ? strtoll(s, NULL, 10) : 0;
    if (!ok || v < -1 || v > INT_MAX)
        return ERROR_NEW(ERR_USAGE, "invalid content id \"%s\"", s ? s : "");
    *out = (int)v;
    return NULL;
}

/* One "CONTENT:HEX" entry of --checksums; false when malformed. */
static bool checksum_entry_parse(const char *entry, int *content, const char **hex)
{
    const char *colon = strchr(entry, ':');
    if (!colon)
        return false;
    char *id = xstrndup(entry, (size_t)(colon - entry));
    Error *err = helper_content_parse(id, content);
    free(id);
    if (err) {
        error_free(err);
        return false;
    }
    *hex = colon + 1;
    return checksum_valid_hex(*hex);
}

Error *helper_checksums_lookup(const char *list, int content, char *out)
{
    StrList entries = {0};
    const char *p = list ? list : "";
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char *entry = xstrndup(p, len);
        strlist_push(&entries, entry);
        free(entry);
        if (!comma)
            break;
        p = comma + 1;
    }
    Error *err = NULL;
    const char *match = NULL;
    int *seen = xcalloc(entries.n, sizeof *seen);
    for (size_t i = 0; i < entries.n && !err; i++) {
        const char *hex;
        if (!checksum_entry_parse(entries.items[i], &seen[i], &hex)) {
            err = error_detail(ERROR_NEW(ERR_USAGE, "invalid entry \"%s\" in option --checksums",
                                         entries.items[i]),
                               "Each entry is CONTENT:CHECKSUM, the checksum 32 lower-case hex digits.");
            break;
        }
        /* Two checksums for one file: whichever we picked, one is wrong. */
        for (size_t j = 0; j < i && !err; j++)
            if (seen[j] == seen[i])
                err = ERROR_NEW(ERR_USAGE, "content %d is listed twice in option --checksums",
                                seen[i]);
        if (seen[i] == content)
            match = hex;
    }
    if (!err && !match)
        err = error_detail(ERROR_NEW(ERR_USAGE, "option --checksums has no entry for content %d",
                                     content),
                           "The coordinator lists the expected checksum of every segment's file.");
    if (!err)
        memcpy(out, match, CHECKSUM_HEX_LEN + 1);
    free(seen);
    strlist_free(&entries);
    return err;
}

/* ---- Command lines ------------------------------------------------------- */

char *helper_shell_quote(const char *s)
{
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "'");
    for (const char *p = s ? s : ""; *p; p++) {
        if (*p == '\'')
            sb_append(&sb, "'\\''");
        else
            sb_append_len(&sb, p, 1);
    }
    sb_append(&sb, "'");
    return sb_steal(&sb);
}

/* " '--name' 'value'": every word quoted, option names too, so that the
 * rule is simply that each argument is one single-quoted word. */
static void append_arg(StrBuf *sb, const char *name, const char *value)
{
    char *q = helper_shell_quote(value);
    sb_printf(sb, " '--%s' %s", name, q);
    free(q);
}

static void append_common(StrBuf *sb, const char *helper_path, const char *mode,
                          const char *path, CodecType codec)
{
    char *q = helper_shell_quote(helper_path);
    sb_append(sb, q);
    free(q);
    append_arg(sb, mode, path);
    append_arg(sb, "compression", codec_name(codec));
}

char *helper_backup_command(const char *helper_path, const char *path, CodecType codec,
                            int level, const char *content_arg, const char *error_path)
{
    StrBuf sb;
    sb_init(&sb);
    append_common(&sb, helper_path, "backup-file", path, codec);
    char lvl[16];
    snprintf(lvl, sizeof lvl, "%d", level);
    append_arg(&sb, "compression-level", lvl);
    append_arg(&sb, "content", content_arg);
    if (error_path)
        append_arg(&sb, "error-file", error_path);
    return sb_steal(&sb);
}

char *helper_restore_command(const char *helper_path, const char *path, CodecType codec,
                             const char *content_arg, const int *contents,
                             char *const *checksums, size_t n, const char *error_path)
{
    StrBuf sb;
    sb_init(&sb);
    append_common(&sb, helper_path, "restore-file", path, codec);
    append_arg(&sb, "content", content_arg);
    if (n > 0) {
        StrBuf list;
        sb_init(&list);
        for (size_t i = 0; i < n; i++)
            sb_printf(&list, "%s%d:%s", i ? "," : "", contents[i], checksums[i]);
        append_arg(&sb, "checksums", list.data);
        sb_free(&list);
    }
    if (error_path)
        append_arg(&sb, "error-file", error_path);
    return sb_steal(&sb);
}

char *helper_print_command(const char *helper_path, const char *content_arg,
                           const char *const *paths, size_t n, bool missing_ok)
{
    StrBuf sb;
    sb_init(&sb);
    char *q = helper_shell_quote(helper_path);
    sb_append(&sb, q);
    free(q);
    append_arg(&sb, "content", content_arg);
    for (size_t i = 0; i < n; i++)
        append_arg(&sb, "print-file", paths[i]);
    if (missing_ok)
        sb_append(&sb, " '--missing-ok'");
    return sb_steal(&sb);
}

char *helper_print_row(int content, const char *body, size_t len)
{
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "%d,\"", content);
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (body[i] != '"')
            continue;
        sb_append_len(&sb, body + start, i + 1 - start);
        sb_append(&sb, "\"");
        start = i + 1;
    }
    sb_append_len(&sb, body + start, len - start);
    sb_append(&sb, "\"\n");
    return sb_steal(&sb);
}
