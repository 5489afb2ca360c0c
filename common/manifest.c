/* The manifest of a backup set: the in-memory list of files (kept sorted by
 * name), its YAML text with a self checksum on the last line, the strict
 * reader, and the comparison of a manifest with a directory. The manifest is
 * what verify and gprestore trust, so the reader refuses anything it did not
 * write byte for byte: the self checksum is checked before the YAML is even
 * parsed, and every name must be a plain file name of the set. */
#include "manifest.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "yamlio.h"

/* A manifest lists a few files per table; 256 MiB is millions of tables. */
#define MANIFEST_MAX_FILE_SIZE ((size_t)256 << 20)

/* 1 PiB: larger than any file a backup writes, small enough that sums of
 * sizes cannot overflow and that an absurd value is caught early. */
#define MANIFEST_MAX_SIZE ((uint64_t)1 << 50)

#define MANIFEST_CHECKSUM_KEY "manifestchecksum"
#define MANIFEST_WHAT "manifest"

Manifest *manifest_new(void)
{
    return xcalloc(1, sizeof(Manifest));
}

void manifest_free(Manifest *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->files[i].path);
    free(m->files);
    free(m);
}

bool manifest_safe_name(const char *name)
{
    if (!name || !*name || name[0] == '.')
        return false;
    size_t len = strlen(name);
    /* NAME_MAX of every common file system. */
    if (len > 255)
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        /* "/" would leave the directory; control characters (newlines
         * above all) would make verify's one-line-per-problem output
         * ambiguous, and no file we write has one. */
        if (*p == '/' || *p < 0x20 || *p == 0x7f)
            return false;
    }
    return true;
}

/* Index of the first entry whose name is >= name (binary search). */
static size_t lower_bound(const Manifest *m, const char *name)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(m->files[mid].path, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const ManifestFile *manifest_find(const Manifest *m, const char *name)
{
    if (!m || !name)
        return NULL;
    size_t i = lower_bound(m, name);
    return i < m->n && strcmp(m->files[i].path, name) == 0 ? &m->files[i] : NULL;
}

/* Entries stay sorted so that gprestore's one lookup per data file is a
 * binary search: with 100,000 tables a linear search would cost billions of
 * comparisons. Insertion is cheap in practice because backups add data
 * files roughly in name order. */
Error *manifest_add(Manifest *m, const char *name, uint64_t size, const char *checksum)
{
    if (!manifest_safe_name(name))
        return ERROR_NEW(ERR_INTERNAL, "could not add file \"%s\" to the manifest: not a plain file name",
                         name ? name : "");
    if (!checksum_valid_hex(checksum))
        return ERROR_NEW(ERR_INTERNAL, "could not add file \"%s\" to the manifest: invalid checksum \"%s\"",
                         name, checksum ? checksum : "");
    if (size > MANIFEST_MAX_SIZE)
        return ERROR_NEW(ERR_INTERNAL, "could not add file \"%s\" to the manifest: size %" PRIu64 " is too large",
                         name, size);
    size_t at = lower_bound(m, name);
    if (at < m->n && strcmp(m->files[at].path, name) == 0)
        return ERROR_NEW(ERR_INTERNAL, "could not add file \"%s\" to the manifest: listed twice", name);
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 16;
        m->files = xrealloc(m->files, m->cap * sizeof *m->files);
    }
    memmove(&m->files[at + 1], &m->files[at], (m->n - at) * sizeof *m->files);
    ManifestFile *f = &m->files[at];
    f->path = xstrdup(name);
    f->size = size;
    memcpy(f->checksum, checksum, CHECKSUM_HEX_LEN + 1);
    m->n++;
    return NULL;
}

Error *manifest_add_file(Manifest *m, const char *dir, const char *name)
{
    if (!manifest_safe_name(name))
        return ERROR_NEW(ERR_INTERNAL, "could not add file \"%s\" to the manifest: not a plain file name",
                         name ? name : "");
    char *path = path_join(dir, name);
    char hex[CHECKSUM_HEX_LEN + 1];
    uint64_t size = 0;
    Error *err = checksum_file(path, hex, &size);
    free(path);
    return err ? err : manifest_add(m, name, size, hex);
}

/* ---- Writing ------------------------------------------------------------ */

Error *manifest_to_text(const Manifest *m, char **out, size_t *len)
{
    *out = NULL;
    if (len)
        *len = 0;
    YamlWriter *w = yamlio_writer_new(MANIFEST_WHAT);
    yamlio_map_start(w);
    yamlio_key_uint64(w, "formatversion", MANIFEST_FORMAT_VERSION);
    yamlio_key_str(w, "algorithm", CHECKSUM_ALGORITHM);
    yamlio_key(w, "files");
    yamlio_seq_start(w);
    for (size_t i = 0; i < m->n; i++) {
        yamlio_map_start(w);
        yamlio_key_str(w, "name", m->files[i].path);
        yamlio_key_uint64(w, "size", m->files[i].size);
        yamlio_key_str(w, "checksum", m->files[i].checksum);
        yamlio_map_end(w);
    }
    yamlio_seq_end(w);
    yamlio_map_end(w);
    char *body;
    size_t body_len;
    Error *err = yamlio_writer_finish(w, &body, &body_len);
    yamlio_writer_free(w);
    if (err)
        return err;

    /* The last line, emitted by the same writer so that the checksum is
     * quoted exactly when YAML needs it (when it starts with a digit). */
    char hex[CHECKSUM_HEX_LEN + 1];
    checksum_buffer(body, body_len, hex);
    w = yamlio_writer_new(MANIFEST_WHAT);
    yamlio_map_start(w);
    yamlio_key_str(w, MANIFEST_CHECKSUM_KEY, hex);
    yamlio_map_end(w);
    char *last;
    size_t last_len;
    err = yamlio_writer_finish(w, &last, &last_len);
    yamlio_writer_free(w);
    if (err) {
        free(body);
        return err;
    }
    StrBuf sb;
    sb_init(&sb);
    sb_append_len(&sb, body, body_len);
    sb_append_len(&sb, last, last_len);
    free(body);
    free(last);
    if (len)
        *len = sb.len;
    *out = sb_steal(&sb);
    return NULL;
}

Error *manifest_write(const Manifest *m, const char *path)
{
    char *text;
    size_t len;
    Error *err = manifest_to_text(m, &text, &len);
    if (err)
        return err;
    err = file_write_atomic(path, text, len);
    free(text);
    return err;
}

/* ---- Reading ------------------------------------------------------------ */

/* The last line must be "manifestchecksum: <hex>" (or with the hex in double
 * quotes), and <hex> the checksum of every byte before that line. Checked on
 * the raw bytes first, so that any damage is reported as damage rather than
 * as whatever YAML error the flipped byte happens to cause. */
static Error *check_self_checksum(const char *text, size_t len, char *claimed)
{
    static const char prefix[] = MANIFEST_CHECKSUM_KEY ": ";
    const size_t plen = sizeof prefix - 1;
    if (len == 0 || text[len - 1] != '\n')
        return error_detail(ERROR_NEW(ERR_FORMAT, "manifest checksum mismatch: the manifest is damaged"),
                            "The checksum line is missing: the manifest does not end with a line break, it may be truncated.");
    size_t start = len - 1;
    while (start > 0 && text[start - 1] != '\n')
        start--;
    const char *line = text + start;
    size_t line_len = len - 1 - start;
    if (line_len < plen || memcmp(line, prefix, plen) != 0)
        return error_detail(ERROR_NEW(ERR_FORMAT, "manifest checksum mismatch: the manifest is damaged"),
                            "The checksum line is missing: the last line must be \"" MANIFEST_CHECKSUM_KEY ": <checksum>\".");
    const char *v = line + plen;
    size_t vlen = line_len - plen;
    if (vlen == CHECKSUM_HEX_LEN + 2 && v[0] == '"' && v[vlen - 1] == '"') {
        v++;
        vlen -= 2;
    }
    char value[CHECKSUM_HEX_LEN + 1] = "";
    if (vlen == CHECKSUM_HEX_LEN) {
        memcpy(value, v, vlen);
        value[vlen] = '\0';
    }
    if (!checksum_valid_hex(value))
        return error_detail(ERROR_NEW(ERR_FORMAT, "manifest checksum mismatch: the manifest is damaged"),
                            "The checksum on the last line is malformed: expected %d lower-case hexadecimal digits.",
                            CHECKSUM_HEX_LEN);
    char actual[CHECKSUM_HEX_LEN + 1];
    checksum_buffer(text, start, actual);
    if (strcmp(actual, value) != 0)
        return error_detail(ERROR_NEW(ERR_FORMAT, "manifest checksum mismatch: the manifest is damaged"),
                            "The manifest records checksum %s, its content has checksum %s.", value,
                            actual);
    memcpy(claimed, value, CHECKSUM_HEX_LEN + 1);
    return NULL;
}

static Error *read_entry(YamlDoc *d, YamlNode *item, ManifestFile *f)
{
    Error *err;
    char *sum = NULL;
    if ((err = yamlio_node_map(d, item, "files")) ||
        (err = yamlio_get_str(d, item, "name", &f->path)) ||
        (err = yamlio_get_uint64(d, item, "size", MANIFEST_MAX_SIZE, &f->size)) ||
        (err = yamlio_get_str(d, item, "checksum", &sum)))
        return err;
    if (!manifest_safe_name(f->path)) {
        err = ERROR_NEW(ERR_FORMAT, "invalid file name \"%s\" at line %zu of %s", f->path,
                        yamlio_node_line(item), yamlio_doc_what(d));
        free(sum);
        return error_detail(err, "A file of the backup set must be named by a plain file name: "
                                 "not empty, without \"/\" or control characters, not starting with \".\".");
    }
    if (!checksum_valid_hex(sum)) {
        err = ERROR_NEW(ERR_FORMAT, "invalid checksum for file \"%s\" at line %zu of %s", f->path,
                        yamlio_node_line(item), yamlio_doc_what(d));
        free(sum);
        return error_detail(err, "Expected %d lower-case hexadecimal digits.", CHECKSUM_HEX_LEN);
    }
    memcpy(f->checksum, sum, CHECKSUM_HEX_LEN + 1);
    free(sum);
    return NULL;
}

static int compare_files(const void *a, const void *b)
{
    return strcmp(((const ManifestFile *)a)->path, ((const ManifestFile *)b)->path);
}

static Error *read_header(YamlDoc *d, YamlNode *root, const char *claimed)
{
    YamlNode *n;
    uint64_t version;
    char *s = NULL;
    Error *err = yamlio_map_find(d, root, "formatversion", &n);
    if (err)
        return err;
    if (!n)
        return ERROR_NEW(ERR_FORMAT, "missing key \"formatversion\" in %s", yamlio_doc_what(d));
    if ((err = yamlio_node_uint64(d, n, "formatversion", UINT64_MAX, &version)))
        return err;
    if (version != MANIFEST_FORMAT_VERSION)
        return error_hint(ERROR_NEW(ERR_FORMAT, "unsupported format version %" PRIu64 " in %s (supported version: %d)",
                                    version, yamlio_doc_what(d), MANIFEST_FORMAT_VERSION),
                          "The backup may have been made by a newer version of this tool.");
    if ((err = yamlio_get_str(d, root, "algorithm", &s)))
        return err;
    if (strcmp(s, CHECKSUM_ALGORITHM) != 0) {
        err = ERROR_NEW(ERR_FORMAT, "unsupported checksum algorithm \"%s\" in %s (supported: %s)", s,
                        yamlio_doc_what(d), CHECKSUM_ALGORITHM);
        free(s);
        return err;
    }
    free(s);
    /* The raw check read the last line; the YAML reading of the same key
     * must agree, or the line was not the plain key it looked like. */
    if ((err = yamlio_get_str(d, root, MANIFEST_CHECKSUM_KEY, &s)))
        return err;
    if (strcmp(s, claimed) != 0)
        err = error_detail(ERROR_NEW(ERR_FORMAT, "manifest checksum mismatch: the manifest is damaged"),
                           "The last line does not read as the \"" MANIFEST_CHECKSUM_KEY "\" key.");
    free(s);
    return err;
}

static Error *manifest_parse(const char *text, size_t len, Manifest **out)
{
    *out = NULL;
    char claimed[CHECKSUM_HEX_LEN + 1];
    Error *err = check_self_checksum(text, len, claimed);
    if (err)
        return err;
    YamlDoc *d;
    if ((err = yamlio_doc_parse(text, len, MANIFEST_WHAT, &d)))
        return err;
    Manifest *m = manifest_new();
    YamlNode *root, *seq;
    size_t count = 0;
    if (!(err = yamlio_doc_root_map(d, &root)) && !(err = read_header(d, root, claimed)))
        err = yamlio_get_seq(d, root, "files", &seq, &count);
    if (!err && count > 0) {
        m->files = xcalloc(count, sizeof *m->files);
        m->cap = count;
        for (size_t i = 0; i < count && !err; i++) {
            err = read_entry(d, yamlio_seq_item(d, seq, i), &m->files[i]);
            m->n++;     /* so that manifest_free frees a partly read entry */
        }
    }
    yamlio_doc_free(d);
    if (!err && m->n > 1) {
        qsort(m->files, m->n, sizeof *m->files, compare_files);
        for (size_t i = 1; i < m->n && !err; i++)
            if (strcmp(m->files[i - 1].path, m->files[i].path) == 0)
                err = ERROR_NEW(ERR_FORMAT, "file \"%s\" is listed twice in %s", m->files[i].path,
                                MANIFEST_WHAT);
    }
    if (err) {
        manifest_free(m);
        return err;
    }
    *out = m;
    return NULL;
}

Error *manifest_from_text(const char *text, size_t len, Manifest **out)
{
    return manifest_parse(text, len, out);
}

Error *manifest_read(const char *path, Manifest **out)
{
    *out = NULL;
    char *text;
    size_t len;
    Error *err = file_read_all(path, MANIFEST_MAX_FILE_SIZE, &text, &len);
    if (err)
        return err;
    err = manifest_parse(text, len, out);
    free(text);
    if (err)
        error_prefix(err, "invalid manifest \"%s\"", path);
    return err;
}

/* ---- Comparing with a directory ----------------------------------------- */

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Problems must never contain ": " after the name (callers split the line
 * at the last ": "), so system errors are shown in parentheses. */
static void add_problem(StrList *problems, const char *name, const char *what)
{
    char *line = xasprintf("%s: %s", name, what);
    strlist_push(problems, line);
    free(line);
}

char *manifest_file_problem(const char *path, uint64_t size, const char *checksum)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        char ebuf[256];
        return errno == ENOENT ? xstrdup("missing")
                               : xasprintf("unreadable (%s)", strerror_r(errno, ebuf, sizeof ebuf));
    }
    if (!S_ISREG(st.st_mode))
        return xstrdup("not a regular file");
    if ((uint64_t)st.st_size != size)
        return xasprintf("size %llu, expected %" PRIu64, (unsigned long long)st.st_size, size);
    char hex[CHECKSUM_HEX_LEN + 1];
    uint64_t read = 0;
    Error *err = checksum_file(path, hex, &read);
    if (err) {
        /* The message names the path; keep only the system's reason. */
        const char *reason = strrchr(err->message, ':');
        char *what = xasprintf("unreadable (%s)", reason ? reason + 2 : err->message);
        error_free(err);
        return what;
    }
    if (read != size)
        return xasprintf("size %" PRIu64 ", expected %" PRIu64, read, size);
    if (strcmp(hex, checksum) != 0)
        return xstrdup("checksum differs");
    return NULL;
}

static void check_listed(const ManifestFile *f, const char *dir, StrList *problems)
{
    char *path = path_join(dir, f->path);
    char *what = manifest_file_problem(path, f->size, f->checksum);
    free(path);
    if (what)
        add_problem(problems, f->path, what);
    free(what);
}

Error *manifest_verify_dir(const Manifest *m, const char *dir, const StrList *allowed_extra,
                           StrList *problems)
{
    DIR *dh = opendir(dir);
    if (!dh) {
        char ebuf[256];
        int e = errno;
        return ERROR_NEW(ERR_IO, "could not open directory \"%s\": %s", dir,
                         strerror_r(e, ebuf, sizeof ebuf));
    }
    StrList names = {0};
    struct dirent *de;
    errno = 0;
    while ((de = readdir(dh)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            strlist_push(&names, de->d_name);
        errno = 0;
    }
    int read_errno = errno;
    closedir(dh);
    if (read_errno) {
        char ebuf[256];
        strlist_free(&names);
        return ERROR_NEW(ERR_IO, "could not read directory \"%s\": %s", dir,
                         strerror_r(read_errno, ebuf, sizeof ebuf));
    }
    if (names.n > 1)
        qsort(names.items, names.n, sizeof *names.items, compare_strings);

    StrList found = {0};
    bool *seen = xcalloc(m->n ? m->n : 1, sizeof *seen);
    for (size_t i = 0; i < names.n; i++) {
        const char *name = names.items[i];
        const ManifestFile *f = manifest_find(m, name);
        if (!f && allowed_extra && strlist_contains(allowed_extra, name))
            continue;
        char *path = path_join(dir, name);
        struct stat st;
        int rc = lstat(path, &st);
        int e = errno;
        free(path);
        if (rc != 0) {
            if (e == ENOENT && !f)
                continue;           /* removed while we looked */
            if (e != ENOENT) {
                char ebuf[256];
                char *what = xasprintf("unreadable (%s)", strerror_r(e, ebuf, sizeof ebuf));
                add_problem(&found, name, what);
                free(what);
                if (f)
                    seen[f - m->files] = true;
            }
            continue;
        }
        if (!f) {
            add_problem(&found, name, S_ISREG(st.st_mode) ? "not in the manifest" : "not a regular file");
            continue;
        }
        seen[f - m->files] = true;
        check_listed(f, dir, &found);
    }
    for (size_t i = 0; i < m->n; i++)
        if (!seen[i])
            add_problem(&found, m->files[i].path, "missing");
    free(seen);
    strlist_free(&names);

    /* One order whatever readdir's: by name. */
    if (found.n > 1)
        qsort(found.items, found.n, sizeof *found.items, compare_strings);
    for (size_t i = 0; i < found.n; i++)
        strlist_push(problems, found.items[i]);
    strlist_free(&found);
    return NULL;
}
