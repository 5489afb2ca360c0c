/* The libyaml emitter and document loader behind every YAML file of a backup
 * set: scalar style selection on the way out, strict typed access with
 * key-and-line error messages on the way in. The only file that includes
 * <yaml.h>. */
#include "yamlio.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

/* ---- Writing ------------------------------------------------------------ */

struct YamlWriter {
    yaml_emitter_t emitter;
    StrBuf out;
    char *what;
    Error *err;        /* first failure; later calls are no-ops */
    bool finished;
};

/* Nothing more is emitted after the first failure or after finish. */
static bool writer_dead(const YamlWriter *w)
{
    return w->err != NULL || w->finished;
}

static int writer_output(void *data, unsigned char *buffer, size_t size)
{
    StrBuf *sb = data;
    sb_append_len(sb, (const char *)buffer, size);
    return 1;
}

/* Record an emitter failure once. libyaml's problem strings are already
 * lower case without a final period. */
static void writer_fail_emitter(YamlWriter *w)
{
    if (w->err)
        return;
    w->err = ERROR_NEW(ERR_INTERNAL, "could not write %s: %s", w->what,
                       w->emitter.problem ? w->emitter.problem : "unknown emitter error");
}

/* Hand event to the emitter, which takes ownership whatever the outcome. */
static void writer_emit(YamlWriter *w, yaml_event_t *event)
{
    if (!yaml_emitter_emit(&w->emitter, event))
        writer_fail_emitter(w);
}

YamlWriter *yamlio_writer_new(const char *what)
{
    YamlWriter *w = xcalloc(1, sizeof *w);
    w->what = xstrdup(what ? what : "YAML document");
    sb_init(&w->out);
    if (!yaml_emitter_initialize(&w->emitter)) {
        /* Only fails on out of memory, which xmalloc would have aborted on. */
        w->err = ERROR_NEW(ERR_INTERNAL, "could not initialize YAML emitter");
        return w;
    }
    yaml_emitter_set_output(&w->emitter, writer_output, &w->out);
    yaml_emitter_set_encoding(&w->emitter, YAML_UTF8_ENCODING);
    /* Non-ASCII text stays readable instead of becoming \u escapes. */
    yaml_emitter_set_unicode(&w->emitter, 1);
    /* No folding: a long value stays on one line, so grep and line-oriented
     * tools see it whole, and no parser has to undo the folding. */
    yaml_emitter_set_width(&w->emitter, -1);
    yaml_emitter_set_indent(&w->emitter, 2);
    yaml_emitter_set_break(&w->emitter, YAML_LN_BREAK);

    yaml_event_t ev;
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    writer_emit(w, &ev);
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    writer_emit(w, &ev);
    return w;
}

void yamlio_writer_free(YamlWriter *w)
{
    if (!w)
        return;
    yaml_emitter_delete(&w->emitter);
    sb_free(&w->out);
    error_free(w->err);
    free(w->what);
    free(w);
}

Error *yamlio_writer_finish(YamlWriter *w, char **out, size_t *len)
{
    *out = NULL;
    if (len)
        *len = 0;
    if (writer_dead(w)) {
        /* The error goes to the caller; a second finish gets a new one. */
        Error *err = w->err;
        w->err = NULL;
        w->finished = true;
        return err ? err : ERROR_NEW(ERR_INTERNAL, "could not write %s: already finished", w->what);
    }
    yaml_event_t ev;
    yaml_document_end_event_initialize(&ev, 1);
    writer_emit(w, &ev);
    yaml_stream_end_event_initialize(&ev);
    writer_emit(w, &ev);
    if (!w->err && !yaml_emitter_flush(&w->emitter))
        writer_fail_emitter(w);
    w->finished = true;
    if (w->err) {
        Error *err = w->err;
        w->err = NULL;
        return err;
    }
    if (len)
        *len = w->out.len;
    *out = sb_steal(&w->out);
    return NULL;
}

void yamlio_map_start(YamlWriter *w)
{
    if (writer_dead(w))
        return;
    yaml_event_t ev;
    yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    writer_emit(w, &ev);
}

void yamlio_map_end(YamlWriter *w)
{
    if (writer_dead(w))
        return;
    yaml_event_t ev;
    yaml_mapping_end_event_initialize(&ev);
    writer_emit(w, &ev);
}

void yamlio_seq_start(YamlWriter *w)
{
    if (writer_dead(w))
        return;
    yaml_event_t ev;
    yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
    writer_emit(w, &ev);
}

void yamlio_seq_end(YamlWriter *w)
{
    if (writer_dead(w))
        return;
    yaml_event_t ev;
    yaml_sequence_end_event_initialize(&ev);
    writer_emit(w, &ev);
}

/* Words that YAML 1.1 resolvers (yaml.v2, PyYAML) turn into booleans or null
 * when written plain. Compared case-insensitively, which quotes a few
 * harmless spellings such as "nUll" too. */
static const char *const reserved_words[] = {
    "y", "n", "yes", "no", "true", "false", "on", "off", "null",
};

/* Can s be written as a plain scalar and still read back as exactly this
 * string, in every parser? Deliberately conservative: identifiers, dotted
 * and slashed names and words separated by single inner spaces. Anything
 * starting with a digit or sign is quoted, which rules out every integer,
 * float, timestamp and sexagesimal form of YAML 1.1 and 1.2. */
static bool ascii_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ASCII only: isalpha() follows the locale and could pass Latin-1 bytes. */
static bool plain_is_safe(const char *s)
{
    size_t n = strlen(s);
    if (n == 0)
        return false;
    if (!(ascii_alpha((unsigned char)s[0]) || s[0] == '_' || s[0] == '/'))
        return false;
    if (s[n - 1] == ' ')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (ascii_alpha(c) || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '/' || c == '-' || c == '(' ||
            c == ')' || c == ',')
            continue;
        if (c == ' ' && s[i + 1] != ' ')
            continue;
        return false;
    }
    for (size_t i = 0; i < sizeof reserved_words / sizeof reserved_words[0]; i++)
        if (strcasecmp(s, reserved_words[i]) == 0)
            return false;
    return true;
}

/* One scalar, in the given style, with implicit tags. key names the value
 * (NULL for a sequence item) if libyaml refuses it as invalid UTF-8. */
static void writer_scalar(YamlWriter *w, const char *s, yaml_scalar_style_t style,
                          const char *key)
{
    if (writer_dead(w))
        return;
    size_t len = strlen(s);
    yaml_event_t ev;
    if (len > INT32_MAX) {
        w->err = ERROR_NEW(ERR_INTERNAL, "could not write %s: the value for key \"%s\" is too long",
                           w->what, key ? key : "");
        return;
    }
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)(uintptr_t)s, (int)len,
                                      1, 1, style)) {
        if (key)
            w->err = ERROR_NEW(ERR_INTERNAL, "could not write %s: the value for key \"%s\" is not valid UTF-8",
                               w->what, key);
        else
            w->err = ERROR_NEW(ERR_INTERNAL, "could not write %s: a string is not valid UTF-8",
                               w->what);
        return;
    }
    writer_emit(w, &ev);
}

/* A string value: plain when safe, otherwise double quoted. Double quoted
 * rather than single quoted because it escapes line breaks, tabs and other
 * control characters, which single quotes would fold or pass through raw. */
static void writer_string(YamlWriter *w, const char *s, const char *key)
{
    if (!s)
        s = "";
    writer_scalar(w, s, plain_is_safe(s) ? YAML_PLAIN_SCALAR_STYLE
                                         : YAML_DOUBLE_QUOTED_SCALAR_STYLE,
                  key);
}

void yamlio_str(YamlWriter *w, const char *s)
{
    writer_string(w, s, NULL);
}

void yamlio_key(YamlWriter *w, const char *key)
{
    writer_string(w, key, key);
}

void yamlio_key_str(YamlWriter *w, const char *key, const char *value)
{
    yamlio_key(w, key);
    writer_string(w, value, key);
}

void yamlio_key_uint64(YamlWriter *w, const char *key, uint64_t value)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, value);
    yamlio_key(w, key);
    writer_scalar(w, buf, YAML_PLAIN_SCALAR_STYLE, key);
}

void yamlio_uint64(YamlWriter *w, uint64_t value)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, value);
    writer_scalar(w, buf, YAML_PLAIN_SCALAR_STYLE, NULL);
}

void yamlio_key_bool(YamlWriter *w, const char *key, bool value)
{
    yamlio_key(w, key);
    writer_scalar(w, value ? "true" : "false", YAML_PLAIN_SCALAR_STYLE, key);
}

void yamlio_key_strlist(YamlWriter *w, const char *key, const StrList *values)
{
    yamlio_key(w, key);
    yamlio_seq_start(w);
    for (size_t i = 0; values && i < values->n && !writer_dead(w); i++)
        writer_string(w, values->items[i], key);
    yamlio_seq_end(w);
}

/* ---- Reading ------------------------------------------------------------ */

struct YamlDoc {
    yaml_document_t doc;
    char *what;
};

const char *yamlio_doc_what(const YamlDoc *d)
{
    return d->what;
}

size_t yamlio_node_line(const YamlNode *n)
{
    return n->start_mark.line + 1;
}

/* "While parsing a block mapping" from libyaml's "while parsing ...": the
 * detail line is a sentence, the primary message is not. */
static char *capitalized(const char *s)
{
    char *c = xstrdup(s);
    if (c[0])
        c[0] = (char)toupper((unsigned char)c[0]);
    return c;
}

static Error *parser_error(const yaml_parser_t *p, const char *what)
{
    const char *problem = p->problem ? p->problem : "unknown error";
    Error *err;
    switch (p->error) {
    case YAML_MEMORY_ERROR:
        return ERROR_NEW(ERR_INTERNAL, "could not parse %s: out of memory", what);
    case YAML_READER_ERROR:
        if (p->problem_value != -1)
            return ERROR_NEW(ERR_FORMAT, "could not parse %s: %s (#%X) at byte offset %zu",
                             what, problem, (unsigned)p->problem_value, p->problem_offset);
        return ERROR_NEW(ERR_FORMAT, "could not parse %s: %s at byte offset %zu", what,
                         problem, p->problem_offset);
    default:
        err = ERROR_NEW(ERR_FORMAT, "could not parse %s: %s at line %zu, column %zu", what,
                        problem, p->problem_mark.line + 1, p->problem_mark.column + 1);
        if (p->context) {
            char *ctx = capitalized(p->context);
            error_detail(err, "%s at line %zu, column %zu.", ctx, p->context_mark.line + 1,
                         p->context_mark.column + 1);
            free(ctx);
        }
        return err;
    }
}

Error *yamlio_doc_parse(const char *text, size_t len, const char *what, YamlDoc **out)
{
    *out = NULL;
    if (!what)
        what = "YAML document";
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return ERROR_NEW(ERR_INTERNAL, "could not initialize YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

    YamlDoc *d = xcalloc(1, sizeof *d);
    d->what = xstrdup(what);
    Error *err = NULL;
    /* yaml_parser_load cleans the document up itself when it fails. */
    if (!yaml_parser_load(&parser, &d->doc)) {
        err = parser_error(&parser, what);
        free(d->what);
        free(d);
        yaml_parser_delete(&parser);
        return err;
    }
    if (!yaml_document_get_root_node(&d->doc)) {
        err = ERROR_NEW(ERR_FORMAT, "%s is empty", what);
    } else {
        /* A second document would be silently ignored by the loader; a file
         * that holds two is not one we wrote. */
        yaml_document_t extra;
        if (!yaml_parser_load(&parser, &extra)) {
            err = parser_error(&parser, what);
        } else {
            yaml_node_t *root = yaml_document_get_root_node(&extra);
            if (root)
                err = ERROR_NEW(ERR_FORMAT, "%s contains more than one document (second one at line %zu)",
                                what, root->start_mark.line + 1);
            yaml_document_delete(&extra);
        }
    }
    yaml_parser_delete(&parser);
    if (err) {
        yamlio_doc_free(d);
        return err;
    }
    *out = d;
    return NULL;
}

void yamlio_doc_free(YamlDoc *d)
{
    if (!d)
        return;
    yaml_document_delete(&d->doc);
    free(d->what);
    free(d);
}

static const char *node_kind(const YamlNode *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE:
        return "scalar";
    case YAML_SEQUENCE_NODE:
        return "sequence";
    case YAML_MAPPING_NODE:
        return "mapping";
    default:
        return "empty node";
    }
}

static Error *wrong_kind(YamlDoc *d, YamlNode *n, const char *key, const char *expected)
{
    return ERROR_NEW(ERR_FORMAT, "invalid value for key \"%s\" at line %zu of %s: expected a %s, found a %s",
                     key, yamlio_node_line(n), d->what, expected, node_kind(n));
}

/* The scalar's text for an error message: at most 64 bytes, cut on a UTF-8
 * character boundary, so a hostile megabyte value cannot flood the log. */
static char *shown_value(const YamlNode *n)
{
    const char *v = (const char *)n->data.scalar.value;
    size_t len = n->data.scalar.length;
    if (len <= 64)
        return xstrndup(v, len);
    size_t cut = 64;
    while (cut > 0 && ((unsigned char)v[cut] & 0xC0) == 0x80)
        cut--;
    char *head = xstrndup(v, cut);
    char *s = xasprintf("%s...", head);
    free(head);
    return s;
}

static Error *invalid_scalar(YamlDoc *d, YamlNode *n, const char *key, const char *detail)
{
    char *shown = shown_value(n);
    Error *err = ERROR_NEW(ERR_FORMAT, "invalid value for key \"%s\" at line %zu of %s: \"%s\"",
                           key, yamlio_node_line(n), d->what, shown);
    free(shown);
    return error_detail(err, "%s", detail);
}

Error *yamlio_doc_root_map(YamlDoc *d, YamlNode **out)
{
    *out = NULL;
    YamlNode *root = yaml_document_get_root_node(&d->doc);
    if (!root)
        return ERROR_NEW(ERR_FORMAT, "%s is empty", d->what);
    if (root->type != YAML_MAPPING_NODE)
        return ERROR_NEW(ERR_FORMAT, "invalid %s: expected a mapping at line %zu, found a %s",
                         d->what, yamlio_node_line(root), node_kind(root));
    *out = root;
    return NULL;
}

static bool key_matches(const YamlNode *k, const char *key)
{
    size_t klen = strlen(key);
    return k && k->type == YAML_SCALAR_NODE && k->data.scalar.length == klen &&
           memcmp(k->data.scalar.value, key, klen) == 0;
}

Error *yamlio_map_find(YamlDoc *d, YamlNode *map, const char *key, YamlNode **out)
{
    *out = NULL;
    if (map->type != YAML_MAPPING_NODE)
        return ERROR_NEW(ERR_FORMAT, "invalid %s: expected a mapping at line %zu, found a %s",
                         d->what, yamlio_node_line(map), node_kind(map));
    YamlNode *found = NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        YamlNode *k = yaml_document_get_node(&d->doc, p->key);
        if (!key_matches(k, key))
            continue;
        if (found)
            return ERROR_NEW(ERR_FORMAT, "duplicate key \"%s\" at line %zu of %s", key,
                             yamlio_node_line(k), d->what);
        found = yaml_document_get_node(&d->doc, p->value);
    }
    *out = found;
    return NULL;
}

Error *yamlio_map_get(YamlDoc *d, YamlNode *map, const char *key, YamlNode **out)
{
    Error *err = yamlio_map_find(d, map, key, out);
    if (err)
        return err;
    if (!*out)
        return ERROR_NEW(ERR_FORMAT, "missing key \"%s\" in mapping at line %zu of %s", key,
                         yamlio_node_line(map), d->what);
    return NULL;
}

static bool is_plain(const YamlNode *n)
{
    return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ||
           n->data.scalar.style == YAML_ANY_SCALAR_STYLE;
}

/* A plain scalar that YAML resolves to null rather than to a string. */
static bool is_plain_null(const YamlNode *n)
{
    if (!is_plain(n))
        return false;
    const char *v = (const char *)n->data.scalar.value;
    return n->data.scalar.length == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
           strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

Error *yamlio_node_str(YamlDoc *d, YamlNode *n, const char *key, char **out)
{
    *out = NULL;
    if (n->type != YAML_SCALAR_NODE)
        return wrong_kind(d, n, key, "string");
    if (is_plain_null(n))
        return ERROR_NEW(ERR_FORMAT, "invalid value for key \"%s\" at line %zu of %s: expected a string, found null",
                         key, yamlio_node_line(n), d->what);
    /* "\0" is a valid double-quoted escape, but a C string cannot hold it. */
    if (memchr(n->data.scalar.value, '\0', n->data.scalar.length))
        return ERROR_NEW(ERR_FORMAT, "invalid value for key \"%s\" at line %zu of %s: contains a null character",
                         key, yamlio_node_line(n), d->what);
    *out = xstrndup((const char *)n->data.scalar.value, n->data.scalar.length);
    return NULL;
}

Error *yamlio_node_uint64(YamlDoc *d, YamlNode *n, const char *key, uint64_t max,
                          uint64_t *out)
{
    *out = 0;
    if (n->type != YAML_SCALAR_NODE)
        return wrong_kind(d, n, key, "number");
    /* Quoted digits are a string to every YAML parser; accepting them here
     * would make our reading differ from theirs. */
    if (!is_plain(n))
        return invalid_scalar(d, n, key, "Expected an unsigned integer, found a quoted string.");
    const char *v = (const char *)n->data.scalar.value;
    size_t len = n->data.scalar.length;
    if (len == 0)
        return invalid_scalar(d, n, key, "Expected an unsigned integer.");
    for (size_t i = 0; i < len; i++)
        if (v[i] < '0' || v[i] > '9')
            return invalid_scalar(d, n, key, "Expected an unsigned integer.");
    /* YAML 1.1 reads 010 as octal 8: refuse the ambiguity. */
    if (len > 1 && v[0] == '0')
        return invalid_scalar(d, n, key, "Unsigned integers must not have leading zeros.");
    uint64_t x = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned digit = (unsigned)(v[i] - '0');
        if (x > (UINT64_MAX - digit) / 10) {
            x = UINT64_MAX;
            goto out_of_range;
        }
        x = x * 10 + digit;
    }
    if (x > max)
        goto out_of_range;
    *out = x;
    return NULL;

out_of_range:;
    char *shown = shown_value(n);
    Error *err = ERROR_NEW(ERR_FORMAT, "value for key \"%s\" at line %zu of %s is out of range: \"%s\"",
                           key, yamlio_node_line(n), d->what, shown);
    free(shown);
    return error_detail(err, "The maximum is %" PRIu64 ".", max);
}

Error *yamlio_node_bool(YamlDoc *d, YamlNode *n, const char *key, int *out)
{
    *out = 0;
    if (n->type != YAML_SCALAR_NODE)
        return wrong_kind(d, n, key, "boolean");
    const char *v = (const char *)n->data.scalar.value;
    if (is_plain(n) && strcmp(v, "true") == 0)
        *out = 1;
    else if (is_plain(n) && strcmp(v, "false") == 0)
        *out = 0;
    else
        return invalid_scalar(d, n, key, "Expected true or false.");
    return NULL;
}

Error *yamlio_node_map(YamlDoc *d, YamlNode *n, const char *key)
{
    if (n->type != YAML_MAPPING_NODE)
        return wrong_kind(d, n, key, "mapping");
    return NULL;
}

Error *yamlio_node_seq(YamlDoc *d, YamlNode *n, const char *key, size_t *count)
{
    *count = 0;
    if (n->type != YAML_SEQUENCE_NODE)
        return wrong_kind(d, n, key, "sequence");
    *count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    return NULL;
}

YamlNode *yamlio_seq_item(YamlDoc *d, YamlNode *seq, size_t i)
{
    return yaml_document_get_node(&d->doc, seq->data.sequence.items.start[i]);
}

Error *yamlio_node_strlist(YamlDoc *d, YamlNode *n, const char *key, StrList *out)
{
    size_t count;
    Error *err = yamlio_node_seq(d, n, key, &count);
    if (err)
        return err;
    for (size_t i = 0; i < count; i++) {
        char *s;
        if ((err = yamlio_node_str(d, yamlio_seq_item(d, n, i), key, &s)))
            return err;
        strlist_push(out, s);
        free(s);
    }
    return NULL;
}

Error *yamlio_get_str(YamlDoc *d, YamlNode *map, const char *key, char **out)
{
    YamlNode *n;
    *out = NULL;
    Error *err = yamlio_map_get(d, map, key, &n);
    return err ? err : yamlio_node_str(d, n, key, out);
}

Error *yamlio_get_uint64(YamlDoc *d, YamlNode *map, const char *key, uint64_t max,
                         uint64_t *out)
{
    YamlNode *n;
    *out = 0;
    Error *err = yamlio_map_get(d, map, key, &n);
    return err ? err : yamlio_node_uint64(d, n, key, max, out);
}

Error *yamlio_get_bool(YamlDoc *d, YamlNode *map, const char *key, int *out)
{
    YamlNode *n;
    *out = 0;
    Error *err = yamlio_map_get(d, map, key, &n);
    return err ? err : yamlio_node_bool(d, n, key, out);
}

Error *yamlio_get_seq(YamlDoc *d, YamlNode *map, const char *key, YamlNode **seq,
                      size_t *count)
{
    *seq = NULL;
    *count = 0;
    Error *err = yamlio_map_get(d, map, key, seq);
    if (!err)
        err = yamlio_node_seq(d, *seq, key, count);
    if (err)
        *seq = NULL;
    return err;
}

Error *yamlio_get_strlist(YamlDoc *d, YamlNode *map, const char *key, StrList *out)
{
    YamlNode *n;
    Error *err = yamlio_map_get(d, map, key, &n);
    return err ? err : yamlio_node_strlist(d, n, key, out);
}
