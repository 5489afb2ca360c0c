/* A small layer over libyaml shared by every module that writes or reads a
 * YAML file of the backup set (toc.yaml, config.yaml, ...). It owns the
 * choice of scalar styles, so that every string round-trips exactly and reads
 * back as a string in any YAML 1.1 or 1.2 parser (gpbackup's yaml.v2
 * included), and the wording of every format error: lower case, naming the
 * key, the line and the file being read. */
#ifndef GPB_YAMLIO_H
#define GPB_YAMLIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "util.h"

/* ---- Writing ------------------------------------------------------------
 *
 * The emit functions never fail on their own: the first problem (a string
 * that is not valid UTF-8, a call out of order) is remembered and returned by
 * yamlio_writer_finish, and every later call does nothing. That keeps the
 * serialisers a flat list of calls. */

typedef struct YamlWriter YamlWriter;

/* A writer producing one block-style document; what names the file in error
 * messages ("table of contents"). Caller owns (yamlio_writer_free). */
YamlWriter *yamlio_writer_new(const char *what);
void yamlio_writer_free(YamlWriter *w);            /* accepts NULL */

/* End the document; on success *out (NUL-terminated, caller owns) and *len
 * hold the text. Returns the first error of any earlier call instead. */
Error *yamlio_writer_finish(YamlWriter *w, char **out, size_t *len);

void yamlio_map_start(YamlWriter *w);
void yamlio_map_end(YamlWriter *w);
void yamlio_seq_start(YamlWriter *w);              /* empty sequences come out as [] */
void yamlio_seq_end(YamlWriter *w);

/* A string scalar: a mapping key, or a value inside a sequence. NULL is
 * written as "". Quoted whenever a plain scalar would not read back as the
 * same string. */
void yamlio_str(YamlWriter *w, const char *s);

/* key: value pairs inside a mapping. yamlio_key alone is followed by a
 * yamlio_map_start or yamlio_seq_start for the value. */
void yamlio_key(YamlWriter *w, const char *key);
/* A number as a sequence item. */
void yamlio_uint64(YamlWriter *w, uint64_t value);
void yamlio_key_str(YamlWriter *w, const char *key, const char *value);
void yamlio_key_uint64(YamlWriter *w, const char *key, uint64_t value);
void yamlio_key_bool(YamlWriter *w, const char *key, bool value);
void yamlio_key_strlist(YamlWriter *w, const char *key, const StrList *values);

/* ---- Reading ------------------------------------------------------------
 *
 * A parsed document and handles to its nodes. Nodes belong to the document
 * and live until yamlio_doc_free. The key argument of the yamlio_node_*
 * functions only names the value in error messages. All errors are
 * ERR_FORMAT. */

typedef struct YamlDoc YamlDoc;
typedef struct yaml_node_s YamlNode;               /* libyaml's yaml_node_t */

/* Parse text (len bytes, need not be NUL-terminated) holding exactly one
 * document; what names it in messages. Caller owns *out (yamlio_doc_free). */
Error *yamlio_doc_parse(const char *text, size_t len, const char *what, YamlDoc **out);
void yamlio_doc_free(YamlDoc *d);                  /* accepts NULL */

/* The name given to yamlio_doc_parse, for callers' own messages. */
const char *yamlio_doc_what(const YamlDoc *d);

/* 1-based line where node n starts. */
size_t yamlio_node_line(const YamlNode *n);

/* The root node, which must be a mapping. */
Error *yamlio_doc_root_map(YamlDoc *d, YamlNode **out);

/* Value of key in mapping map: *out is NULL when the key is absent. A key
 * given twice is an error, because the two readings would disagree. */
Error *yamlio_map_find(YamlDoc *d, YamlNode *map, const char *key, YamlNode **out);
/* Same, but an absent key is an error. */
Error *yamlio_map_get(YamlDoc *d, YamlNode *map, const char *key, YamlNode **out);

/* Scalar conversions. Strings accept any scalar style but not a plain null
 * ("", "~", "null"); *out is owned by the caller. Unsigned integers must be
 * plain decimal digits without sign or leading zeros, at most max. Booleans
 * must be plain true or false; *out becomes 1 or 0. */
Error *yamlio_node_str(YamlDoc *d, YamlNode *n, const char *key, char **out);
Error *yamlio_node_uint64(YamlDoc *d, YamlNode *n, const char *key, uint64_t max,
                          uint64_t *out);
Error *yamlio_node_bool(YamlDoc *d, YamlNode *n, const char *key, int *out);

/* Check that n is a mapping / a sequence (then *count is its length). */
Error *yamlio_node_map(YamlDoc *d, YamlNode *n, const char *key);
Error *yamlio_node_seq(YamlDoc *d, YamlNode *n, const char *key, size_t *count);
/* Item i (< count) of sequence seq. */
YamlNode *yamlio_seq_item(YamlDoc *d, YamlNode *seq, size_t i);
/* A sequence of strings, appended to *out (which the caller owns). */
Error *yamlio_node_strlist(YamlDoc *d, YamlNode *n, const char *key, StrList *out);

/* yamlio_map_get followed by the conversion of the value. */
Error *yamlio_get_str(YamlDoc *d, YamlNode *map, const char *key, char **out);
Error *yamlio_get_uint64(YamlDoc *d, YamlNode *map, const char *key, uint64_t max,
                         uint64_t *out);
Error *yamlio_get_bool(YamlDoc *d, YamlNode *map, const char *key, int *out);
Error *yamlio_get_seq(YamlDoc *d, YamlNode *map, const char *key, YamlNode **seq,
                      size_t *count);
Error *yamlio_get_strlist(YamlDoc *d, YamlNode *map, const char *key, StrList *out);

#endif
