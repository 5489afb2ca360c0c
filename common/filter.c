/* Include/exclude filters: parsing of names (quoted or not), name files, and
 * the decision whether a schema or table is kept. */
#include "filter.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"

/* Parse one name part starting at *p: "quoted""name" or unquoted up to the
 * first dot (when stop_at_dot) or the end. Advances *p. */
static Error *parse_part(const char **p, bool stop_at_dot, char **out, const char *whole)
{
    const char *s = *p;
    StrBuf sb;
    sb_init(&sb);
    if (*s == '"') {
        s++;
        for (;;) {
            if (*s == '\0') {
                sb_free(&sb);
                return error_hint(ERROR_NEW(ERR_USAGE, "unterminated quoted name in \"%s\"", whole),
                                  "write a double quote inside a quoted name as \"\"");
            }
            if (*s == '"') {
                if (s[1] == '"') {
                    sb_append_len(&sb, "\"", 1);
                    s += 2;
                    continue;
                }
                s++;
                break;
            }
            sb_append_len(&sb, s, 1);
            s++;
        }
    } else {
        const char *start = s;
        while (*s && !(stop_at_dot && *s == '.'))
            s++;
        sb_append_len(&sb, start, (size_t)(s - start));
    }
    if (sb.len == 0) {
        sb_free(&sb);
        return ERROR_NEW(ERR_USAGE, "empty name in \"%s\"", whole);
    }
    *p = s;
    *out = sb_steal(&sb);
    return NULL;
}

Error *filter_parse_table_name(const char *text, char **schema, char **table)
{
    const char *p = text;
    *schema = *table = NULL;
    Error *e = parse_part(&p, true, schema, text);
    if (!e && *p != '.') {
        e = ERROR_NEW(ERR_USAGE, "table name \"%s\" is not of the form schema.table", text);
        error_hint(e, "qualify the table with its schema, e.g. public.%s", text);
    }
    if (!e) {
        p++;
        bool quoted = *p == '"';
        e = parse_part(&p, false, table, text);
        if (!e && !quoted && strchr(*table, '.'))
            e = error_hint(ERROR_NEW(ERR_USAGE, "table name \"%s\" has more than one dot", text),
                           "quote names that contain dots, e.g. public.\"a.b\"");
    }
    if (!e && *p != '\0')
        e = error_hint(ERROR_NEW(ERR_USAGE, "unexpected text after table name in \"%s\"", text),
                       "quote names that contain dots, e.g. public.\"a.b\"");
    if (e) {
        free(*schema);
        free(*table);
        *schema = *table = NULL;
    }
    return e;
}

Error *filter_parse_schema_name(const char *text, char **schema)
{
    const char *p = text;
    Error *e = parse_part(&p, false, schema, text);
    if (!e && *p != '\0') {
        free(*schema);
        *schema = NULL;
        e = ERROR_NEW(ERR_USAGE, "unexpected text after schema name in \"%s\"", text);
    }
    return e;
}

Error *filter_add_table(Filter *f, bool include, const char *text)
{
    char *s, *t;
    Error *e = filter_parse_table_name(text, &s, &t);
    if (e)
        return e;
    strlist_push(include ? &f->include_table_schemas : &f->exclude_table_schemas, s);
    strlist_push(include ? &f->include_table_names : &f->exclude_table_names, t);
    free(s);
    free(t);
    return NULL;
}

Error *filter_add_schema(Filter *f, bool include, const char *text)
{
    char *s;
    Error *e = filter_parse_schema_name(text, &s);
    if (e)
        return e;
    strlist_push(include ? &f->include_schemas : &f->exclude_schemas, s);
    free(s);
    return NULL;
}

Error *filter_add_file(Filter *f, bool include, bool tables, const char *path)
{
    char *text;
    size_t len;
    Error *e = file_read_all(path, 64 * 1024 * 1024, &text, &len);
    if (e)
        return e;
    if (memchr(text, '\0', len)) {
        free(text);
        return ERROR_NEW(ERR_USAGE, "file \"%s\" contains a NUL byte", path);
    }
    int lineno = 0, names = 0;
    char *line = text;
    while (!e && line < text + len) {
        char *nl = strchr(line, '\n');
        char *next = nl ? nl + 1 : text + len;
        if (nl)
            *nl = '\0';
        lineno++;
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r')
            line[--n] = '\0';
        /* Trailing blanks are never part of a name in such files. */
        while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
            line[--n] = '\0';
        if (n > 0 && line[0] != '#') {
            e = tables ? filter_add_table(f, include, line) : filter_add_schema(f, include, line);
            if (e)
                error_prefix(e, "%s:%d", path, lineno);
            names++;
        }
        line = next;
    }
    /* An empty include list would silently mean "everything". */
    if (!e && include && names == 0)
        e = error_hint(ERROR_NEW(ERR_USAGE, "file \"%s\" names no %s", path,
                                 tables ? "table" : "schema"),
                       "write one name per line; lines starting with # are comments");
    free(text);
    return e;
}

static bool pair_listed(const StrList *schemas, const StrList *names, const char *schema,
                        const char *table)
{
    for (size_t i = 0; i < schemas->n; i++)
        if (strcmp(schemas->items[i], schema) == 0 && strcmp(names->items[i], table) == 0)
            return true;
    return false;
}

bool filter_keeps_schema(const Filter *f, const char *schema)
{
    if (f->include_schemas.n && !strlist_contains(&f->include_schemas, schema))
        return false;
    if (strlist_contains(&f->exclude_schemas, schema))
        return false;
    if (f->include_table_schemas.n && !strlist_contains(&f->include_table_schemas, schema))
        return false;
    return true;
}

bool filter_keeps_table(const Filter *f, const char *schema, const char *table)
{
    if (!filter_keeps_schema(f, schema))
        return false;
    if (f->include_table_schemas.n &&
        !pair_listed(&f->include_table_schemas, &f->include_table_names, schema, table))
        return false;
    if (pair_listed(&f->exclude_table_schemas, &f->exclude_table_names, schema, table))
        return false;
    return true;
}

bool filter_has_table_includes(const Filter *f)
{
    return f->include_table_schemas.n > 0;
}

static bool needs_quotes(const char *s)
{
    if (!*s)
        return true;
    for (const char *p = s; *p; p++)
        if (*p == '.' || *p == '"' || isspace((unsigned char)*p))
            return true;
    return false;
}

static void append_part(StrBuf *sb, const char *s)
{
    if (!needs_quotes(s)) {
        sb_append(sb, s);
        return;
    }
    sb_append(sb, "\"");
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            sb_append(sb, "\"");
        sb_append_len(sb, p, 1);
    }
    sb_append(sb, "\"");
}

char *filter_format_table_name(const char *schema, const char *table)
{
    StrBuf sb;
    sb_init(&sb);
    append_part(&sb, schema);
    sb_append(&sb, ".");
    append_part(&sb, table);
    return sb_steal(&sb);
}

void filter_free(Filter *f)
{
    strlist_free(&f->include_schemas);
    strlist_free(&f->exclude_schemas);
    strlist_free(&f->include_table_schemas);
    strlist_free(&f->include_table_names);
    strlist_free(&f->exclude_table_schemas);
    strlist_free(&f->exclude_table_names);
}
