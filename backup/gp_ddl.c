/* Greenplum and Cloudberry DDL text: distribution, append-optimized
 * storage, column encodings, Greenplum 6 legacy partitioning, external
 * tables, resource queues and groups, role resource options. Pure
 * functions over the structs of gp_ddl.h; every name and literal arrives
 * quoted (see the header). The catalog side is meta_gp.c. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gp_ddl.h"

bool gp_catalog_is_gp7(const ServerInfo *srv)
{
    return srv && (srv->flavor == SERVER_CLOUDBERRY ||
                   (srv->flavor == SERVER_GREENPLUM && srv->gp_major >= 7));
}

/* Operator classes in distribution keys and replicated tables came with
 * Greenplum 6; Cloudberry has both. */
static bool gp6_or_later(const ServerInfo *srv)
{
    return srv && (srv->flavor == SERVER_CLOUDBERRY || srv->gp_major >= 6);
}

/* ---- distribution ---- */

char *gp_ddl_distribution(const ServerInfo *srv, const GpDistribution *d)
{
    if (d->policytype == 'r' && gp6_or_later(srv))
        return xstrdup("DISTRIBUTED REPLICATED");
    if (d->nkeys == 0)
        return xstrdup("DISTRIBUTED RANDOMLY");
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "DISTRIBUTED BY (");
    for (size_t i = 0; i < d->nkeys; i++) {
        sb_printf(&sb, "%s%s", i ? ", " : "", d->keys[i]);
        if (gp6_or_later(srv) && d->opclasses && d->opclasses[i])
            sb_printf(&sb, " %s", d->opclasses[i]);
    }
    sb_append(&sb, ")");
    return sb_steal(&sb);
}

/* ---- storage ---- */

static void add_item(StrBuf *sb, const char *key, const char *value)
{
    if (!value)
        return;
    if (sb->len)
        sb_append(sb, ", ");
    if (key)
        sb_printf(sb, "%s=%s", key, value);
    else
        sb_append(sb, value);
}

static void add_ao_options(StrBuf *items, const GpStorage *s)
{
    add_item(items, "compresstype", s->compresstype);
    add_item(items, "compresslevel", s->compresslevel);
    add_item(items, "blocksize", s->blocksize);
    add_item(items, "checksum", s->checksum);
}

char *gp_ddl_storage(const ServerInfo *srv, const GpStorage *s)
{
    StrBuf items, out;
    sb_init(&items);
    sb_init(&out);
    if (gp_catalog_is_gp7(srv)) {
        /* The access method says what GP6 said with appendonly and
         * orientation; it is written even for heap, so that a
         * default_table_access_method of the restoring database cannot turn
         * a heap table into something else. */
        if (s->amname)
            sb_printf(&out, "USING %s", s->amname);
        add_ao_options(&items, s);
    } else {
        /* GP6 takes the append-optimized options only with appendonly=true. */
        if (s->appendonly) {
            add_item(&items, "appendonly", "true");
            if (s->column)
                add_item(&items, "orientation", "column");
            else if (s->row_explicit)
                add_item(&items, "orientation", "row");
            add_ao_options(&items, s);
        }
    }
    add_item(&items, NULL, s->options);
    if (items.len)
        sb_printf(&out, "%sWITH (%s)", out.len ? " " : "", items.data);
    sb_free(&items);
    return sb_steal(&out);
}

char *gp_ddl_column_encoding(const char *const *attoptions, size_t n)
{
    if (n == 0)
        return xstrdup("");
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, " ENCODING (");
    for (size_t i = 0; i < n; i++)
        sb_printf(&sb, "%s%s", i ? ", " : "", attoptions[i]);
    sb_append(&sb, ")");
    return sb_steal(&sb);
}

/* ---- Greenplum 6 legacy partitioning ---- */

static const char *part_kind(char kind)
{
    return kind == 'l' ? "LIST" : "RANGE";
}

static void indent(StrBuf *sb, int n)
{
    for (int i = 0; i < n; i++)
        sb_append(sb, "    ");
}

static void write_rules(StrBuf *sb, const GpPartRule *rules, size_t n, size_t depth,
                        const GpPartition *p, int ind);

static void write_rule(StrBuf *sb, const GpPartRule *r, size_t depth, const GpPartition *p,
                       int ind)
{
    const char *kw = depth == 0 ? "PARTITION" : "SUBPARTITION";
    StrBuf line;
    sb_init(&line);
    if (r->is_default)
        sb_printf(&line, " DEFAULT %s %s", kw, r->name ? r->name : "");
    else if (r->name)
        sb_printf(&line, " %s %s", kw, r->name);
    if (!r->is_default) {
        if (r->values)
            sb_printf(&line, " VALUES (%s)", r->values);
        if (r->start)
            sb_printf(&line, " START (%s)%s", r->start, r->start_exclusive ? " EXCLUSIVE" : "");
        if (r->end)
            sb_printf(&line, " END (%s)%s", r->end, r->end_inclusive ? " INCLUSIVE" : "");
        if (r->every)
            sb_printf(&line, " EVERY (%s)", r->every);
    }
    if (r->tablename || r->options) {
        sb_append(&line, " WITH (");
        if (r->tablename)
            sb_printf(&line, "tablename=%s%s", r->tablename, r->options ? ", " : "");
        if (r->options)
            sb_append(&line, r->options);
        sb_append(&line, ")");
    }
    if (r->tablespace)
        sb_printf(&line, " TABLESPACE %s", r->tablespace);
    indent(sb, ind);
    /* An unnamed partition starts with its bounds. */
    sb_append(sb, line.len ? line.data + 1 : "");
    sb_free(&line);
    /* Subpartitions are listed under their partition unless the next level
     * has a template, which then makes them (listing them too is an error). */
    if (depth + 1 < p->nlevels && !p->levels[depth + 1].tmpl && r->nchildren) {
        sb_append(sb, "\n");
        indent(sb, ind);
        sb_append(sb, "(\n");
        write_rules(sb, r->children, r->nchildren, depth + 1, p, ind + 1);
        sb_append(sb, "\n");
        indent(sb, ind);
        sb_append(sb, ")");
    }
}

/* Greenplum wants the default partition after the others. */
static void write_rules(StrBuf *sb, const GpPartRule *rules, size_t n, size_t depth,
                        const GpPartition *p, int ind)
{
    size_t written = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            if (rules[i].is_default != (pass == 1))
                continue;
            if (written++)
                sb_append(sb, ",\n");
            write_rule(sb, &rules[i], depth, p, ind);
        }
    }
}

char *gp_ddl_partition(const GpPartition *p)
{
    if (!p || p->nlevels == 0)
        return xstrdup("");
    StrBuf sb;
    sb_init(&sb);
    for (size_t i = 0; i < p->nlevels; i++) {
        const GpPartLevel *l = &p->levels[i];
        sb_printf(&sb, "%s%sPARTITION BY %s (%s)", i ? "\n" : "", i ? "SUB" : "",
                  part_kind(l->kind), l->keys);
        if (i && l->tmpl) {
            sb_append(&sb, "\nSUBPARTITION TEMPLATE\n(\n");
            write_rules(&sb, l->tmpl, l->ntmpl, i, p, 1);
            sb_append(&sb, "\n)");
        }
    }
    sb_append(&sb, "\n(\n");
    write_rules(&sb, p->rules, p->nrules, 0, p, 1);
    sb_append(&sb, "\n)");
    return sb_steal(&sb);
}

/* ---- the table clause ---- */

char *gp_ddl_table_clause(const ServerInfo *srv, const GpTableDef *t)
{
    StrBuf sb;
    sb_init(&sb);
    if (t->storage) {
        char *s = gp_ddl_storage(srv, t->storage);
        if (*s)
            sb_printf(&sb, "\n%s", s);
        free(s);
    }
    if (t->tablespace)
        sb_printf(&sb, "\nTABLESPACE %s", t->tablespace);
    if (t->dist) {
        char *d = gp_ddl_distribution(srv, t->dist);
        sb_printf(&sb, "\n%s", d);
        free(d);
    }
    if (t->partition_def) {
        sb_printf(&sb, "\n%s", t->partition_def);
    } else if (t->partition && !gp_catalog_is_gp7(srv)) {
        char *p = gp_ddl_partition(t->partition);
        if (*p)
            sb_printf(&sb, "\n%s", p);
        free(p);
    }
    return sb_steal(&sb);
}

/* ---- external tables ---- */

static const struct {
    const char *prefix;
    GpExecOn on;
    bool has_arg;
} exec_locations[] = {
    {"ALL_SEGMENTS", GP_EXEC_ALL_SEGMENTS, false},
    {"HOST:", GP_EXEC_HOST, true},
    {"PER_HOST", GP_EXEC_PER_HOST, false},
    {"MASTER_ONLY", GP_EXEC_MASTER, false},
    {"COORDINATOR_ONLY", GP_EXEC_COORDINATOR, false},
    {"SEGMENT_ID:", GP_EXEC_SEGMENT, true},
    {"TOTAL_SEGS:", GP_EXEC_TOTAL_SEGS, true},
};

bool gp_ddl_parse_exec_location(const char *loc, GpExecOn *on, char **arg)
{
    *on = GP_EXEC_ALL_SEGMENTS;
    *arg = NULL;
    if (!loc || !*loc)
        return true;
    for (size_t i = 0; i < sizeof exec_locations / sizeof exec_locations[0]; i++) {
        size_t len = strlen(exec_locations[i].prefix);
        if (exec_locations[i].has_arg ? strncmp(loc, exec_locations[i].prefix, len) != 0
                                      : strcmp(loc, exec_locations[i].prefix) != 0)
            continue;
        *on = exec_locations[i].on;
        if (exec_locations[i].has_arg)
            *arg = xstrdup(loc + len);
        return true;
    }
    return false;
}

static void tokens_push(GpFmtTokens *t, const char *text, size_t len, bool literal)
{
    t->text = xrealloc(t->text, (t->n + 1) * sizeof(char *));
    t->literal = xrealloc(t->literal, (t->n + 1) * sizeof(bool));
    t->text[t->n] = xstrndup(text, len);
    t->literal[t->n] = literal;
    t->n++;
}

void gp_fmt_tokens_free(GpFmtTokens *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->text[i]);
    free(t->text);
    free(t->literal);
    memset(t, 0, sizeof *t);
}

void gp_ddl_split_fmtopts(const char *fmtopts, GpFmtTokens *out)
{
    memset(out, 0, sizeof *out);
    if (!fmtopts)
        return;
    StrBuf cur;
    sb_init(&cur);
    bool in_string = false;
    for (const char *c = fmtopts; *c; c++) {
        if (in_string) {
            if (*c == '\'' && (c[1] == '\0' || c[1] == ' ')) {
                tokens_push(out, cur.data, cur.len, true);
                sb_reset(&cur);
                in_string = false;
            } else {
                sb_append_len(&cur, c, 1);
            }
        } else if (*c == '\'') {
            if (cur.len)
                tokens_push(out, cur.data, cur.len, false);
            sb_reset(&cur);
            in_string = true;
        } else if (*c == ' ') {
            if (cur.len)
                tokens_push(out, cur.data, cur.len, false);
            sb_reset(&cur);
        } else {
            sb_append_len(&cur, c, 1);
        }
    }
    /* An unterminated string keeps what it has, as a string. */
    if (cur.len || in_string)
        tokens_push(out, cur.data, cur.len, in_string);
    sb_free(&cur);
}

/* The ftoptions that describe the table rather than its format. */
static bool entry_option(const char *key)
{
    static const char *const keys[] = {"format_type", "format", "location_uris", "command",
                                       "execute_on", "reject_limit", "reject_limit_type",
                                       "log_errors", "encoding", "is_writable"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(key, keys[i]) == 0)
            return true;
    return false;
}

/* COPY option names of text and csv external tables, and the words the
 * external table grammar has for them (FILL MISSING FIELDS, FORCE NOT NULL,
 * ...). Values of the literal ones are strings, the others column lists. */
static const struct {
    const char *key;
    const char *words;
    int value;                 /* 0 flag, 1 string, 2 as it is */
} text_format_options[] = {
    {"delimiter", "delimiter", 1},
    {"null", "null", 1},
    {"escape", "escape", 1},
    {"quote", "quote", 1},
    {"header", "header", 0},
    {"fill_missing_fields", "fill missing fields", 0},
    {"force_not_null", "force not null", 2},
    {"force_quote", "force quote", 2},
    {"newline", "newline", 1},
};

static bool true_value(const char *v)
{
    return strcasecmp(v, "true") == 0 || strcasecmp(v, "on") == 0 || strcmp(v, "1") == 0 ||
           strcasecmp(v, "t") == 0;
}

void gp_ddl_split_ftoptions(const char *const *items, size_t n, GpExtOptions *out)
{
    memset(out, 0, sizeof *out);
    out->reject_limit = -1;
    /* format_type comes after the format options: find it first. */
    for (size_t i = 0; i < n; i++)
        if (strncmp(items[i], "format_type=", 12) == 0)
            out->fmttype = items[i][12];
    bool text_like = out->fmttype == 't' || out->fmttype == 'c';
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(items[i], '=');
        char *key = eq ? xstrndup(items[i], (size_t)(eq - items[i])) : xstrdup(items[i]);
        const char *v = eq ? eq + 1 : "";
        if (strcmp(key, "location_uris") == 0) {
            const char *s = v;
            for (;;) {
                const char *bar = strchr(s, '|');
                char *uri = bar ? xstrndup(s, (size_t)(bar - s)) : xstrdup(s);
                strlist_push(&out->locations, uri);
                free(uri);
                if (!bar)
                    break;
                s = bar + 1;
            }
        } else if (strcmp(key, "command") == 0) {
            out->command = xstrdup(v);
        } else if (strcmp(key, "execute_on") == 0) {
            out->execute_on = xstrdup(v);
        } else if (strcmp(key, "reject_limit") == 0) {
            out->reject_limit = atoi(v);
        } else if (strcmp(key, "reject_limit_type") == 0) {
            out->reject_limit_type = v[0];
        } else if (strcmp(key, "log_errors") == 0) {
            out->log_errors = v[0];
        } else if (strcmp(key, "encoding") == 0) {
            out->encoding = xstrdup(v);
        } else if (strcmp(key, "is_writable") == 0) {
            out->writable = true_value(v);
        } else if (entry_option(key)) {
            /* format_type, format: the FORMAT name says them */
        } else {
            bool done = false;
            for (size_t k = 0; text_like && k < sizeof text_format_options /
                                                    sizeof text_format_options[0]; k++) {
                if (strcmp(key, text_format_options[k].key) != 0)
                    continue;
                done = true;
                if (text_format_options[k].value == 0 && !true_value(v))
                    break;
                const char *words = text_format_options[k].words;
                tokens_push(&out->fmt, words, strlen(words), false);
                if (text_format_options[k].value)
                    tokens_push(&out->fmt, v, strlen(v), text_format_options[k].value == 1);
                break;
            }
            if (!done && !text_like) {
                tokens_push(&out->fmt, key, strlen(key), false);
                tokens_push(&out->fmt, v, strlen(v), true);
            } else if (!done) {
                strlist_push(&out->option_names, key);
                strlist_push(&out->option_values, v);
            }
        }
        free(key);
    }
}

void gp_ext_options_free(GpExtOptions *o)
{
    strlist_free(&o->locations);
    free(o->command);
    free(o->execute_on);
    free(o->encoding);
    gp_fmt_tokens_free(&o->fmt);
    strlist_free(&o->option_names);
    strlist_free(&o->option_values);
    memset(o, 0, sizeof *o);
}

static const char *format_name(char fmttype)
{
    switch (fmttype) {
    case 'c':
        return "csv";
    case 'b':
        return "custom";
    case 'a':
        return "avro";
    case 'p':
        return "parquet";
    default:
        return "text";
    }
}

static void append_on(StrBuf *sb, GpExecOn on, const char *arg)
{
    switch (on) {
    case GP_EXEC_ALL_SEGMENTS:
        break;
    case GP_EXEC_HOST:
        sb_printf(sb, " ON HOST %s", arg ? arg : "");
        break;
    case GP_EXEC_PER_HOST:
        sb_append(sb, " ON HOST");
        break;
    case GP_EXEC_MASTER:
        sb_append(sb, " ON MASTER");
        break;
    case GP_EXEC_COORDINATOR:
        sb_append(sb, " ON COORDINATOR");
        break;
    case GP_EXEC_SEGMENT:
        sb_printf(sb, " ON SEGMENT %s", arg ? arg : "");
        break;
    case GP_EXEC_TOTAL_SEGS:
        sb_printf(sb, " ON %s", arg ? arg : "");
        break;
    }
}

char *gp_ddl_external_table(const ServerInfo *srv, const GpExtTable *t)
{
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "CREATE %sEXTERNAL %sTABLE %s (", t->writable ? "WRITABLE " : "",
              t->web ? "WEB " : "", t->qualified);
    for (size_t i = 0; i < t->ncolumns; i++)
        sb_printf(&sb, "%s\n    %s %s", i ? "," : "", t->colnames[i], t->coltypes[i]);
    sb_append(&sb, "\n)");
    if (t->command) {
        sb_printf(&sb, " EXECUTE %s", t->command);
        append_on(&sb, t->exec_on, t->exec_arg);
    } else {
        sb_append(&sb, " LOCATION (");
        for (size_t i = 0; i < t->nlocations; i++)
            sb_printf(&sb, "%s\n    %s", i ? "," : "", t->locations[i]);
        sb_append(&sb, "\n)");
        /* Only the coordinator can be named for a LOCATION table. */
        if (t->exec_on == GP_EXEC_MASTER || t->exec_on == GP_EXEC_COORDINATOR)
            append_on(&sb, t->exec_on, NULL);
    }
    sb_printf(&sb, "\nFORMAT '%s'", format_name(t->fmttype));
    if (t->nfmt) {
        sb_append(&sb, " (");
        if (t->fmttype == 't' || t->fmttype == 'c') {
            for (size_t i = 0; i < t->nfmt; i++)
                sb_printf(&sb, "%s%s", i ? " " : "", t->fmt[i]);
        } else {
            /* Custom formats take "name = value" pairs. */
            for (size_t i = 0; i < t->nfmt; i += 2) {
                sb_printf(&sb, "%s%s", i ? ", " : "", t->fmt[i]);
                if (i + 1 < t->nfmt)
                    sb_printf(&sb, " = %s", t->fmt[i + 1]);
            }
        }
        sb_append(&sb, ")");
    }
    if (t->noptions) {
        sb_append(&sb, "\nOPTIONS (");
        for (size_t i = 0; i < t->noptions; i++)
            sb_printf(&sb, "%s\n    %s %s", i ? "," : "", t->options[i].name,
                      t->options[i].value);
        sb_append(&sb, "\n)");
    }
    if (t->encoding)
        sb_printf(&sb, "\nENCODING %s", t->encoding);
    if (!t->writable) {
        if (t->log_errors)
            sb_printf(&sb, "\nLOG ERRORS%s", t->log_persistently ? " PERSISTENTLY" : "");
        if (t->reject_limit > 0)
            sb_printf(&sb, "\nSEGMENT REJECT LIMIT %d %s", t->reject_limit,
                      t->reject_limit_type == 'p' ? "PERCENT" : "ROWS");
    } else if (t->dist) {
        char *d = gp_ddl_distribution(srv, t->dist);
        sb_printf(&sb, "\n%s", d);
        free(d);
    }
    sb_append(&sb, ";\n");
    return sb_steal(&sb);
}

/* ---- resource queues and groups ---- */

/* Is quoted the quoted form of plain? libpq quotes every identifier
 * ("pg_default"); a caller may also pass a name needing no quotes bare. */
static bool name_is(const char *quoted, const char *plain)
{
    size_t n = strlen(plain);
    if (strcmp(quoted, plain) == 0)
        return true;
    return quoted[0] == '"' && strncmp(quoted + 1, plain, n) == 0 && quoted[n + 1] == '"' &&
           quoted[n + 2] == '\0';
}

static bool is_number_below(const char *v, double limit)
{
    return v && strtod(v, NULL) < limit;
}

char *gp_ddl_resource_queue(const GpResQueue *q)
{
    StrBuf items;
    sb_init(&items);
    if (q->active_statements && !is_number_below(q->active_statements, 0))
        add_item(&items, "ACTIVE_STATEMENTS", q->active_statements);
    if (q->max_cost && !is_number_below(q->max_cost, 0))
        add_item(&items, "MAX_COST", q->max_cost);
    if (q->cost_overcommit)
        add_item(&items, "COST_OVERCOMMIT", "TRUE");
    if (q->min_cost && strtod(q->min_cost, NULL) > 0)
        add_item(&items, "MIN_COST", q->min_cost);
    if (q->priority && *q->priority && strcasecmp(q->priority, "medium") != 0) {
        char *up = xstrdup(q->priority);
        for (char *c = up; *c; c++)
            *c = (char)toupper((unsigned char)*c);
        add_item(&items, "PRIORITY", up);
        free(up);
    }
    add_item(&items, "MEMORY_LIMIT", q->memory_limit);
    if (!items.len) {
        sb_free(&items);
        return NULL;
    }
    /* pg_default exists in every cluster. */
    char *sql = xasprintf("%s RESOURCE QUEUE %s WITH (%s);\n",
                          name_is(q->name, "pg_default") ? "ALTER" : "CREATE", q->name,
                          items.data);
    sb_free(&items);
    return sql;
}

static bool builtin_group(const ServerInfo *srv, const char *name)
{
    return name_is(name, "default_group") || name_is(name, "admin_group") ||
           (gp_catalog_is_gp7(srv) && name_is(name, "system_group"));
}

/* CPU: a share (GP6 CPU_RATE_LIMIT, GP7 CPU_MAX_PERCENT), or, when that is
 * negative, a set of cores. */
static bool cpu_share_mode(const GpResGroup *g)
{
    return g->cpu && g->cpu[0] != '-';
}

static void alter_group(StrBuf *sb, const char *name, const char *attr, const char *value)
{
    if (value)
        sb_printf(sb, "ALTER RESOURCE GROUP %s SET %s %s;\n", name, attr, value);
}

char *gp_ddl_resource_group(const ServerInfo *srv, const GpResGroup *g)
{
    bool gp7 = gp_catalog_is_gp7(srv);
    const char *cpu_attr = gp7 ? "CPU_MAX_PERCENT" : "CPU_RATE_LIMIT";
    StrBuf sb;
    sb_init(&sb);
    if (builtin_group(srv, g->name)) {
        /* ALTER RESOURCE GROUP takes one attribute at a time. */
        if (gp7) {
            /* system_group's concurrency is 0 and cannot be set. */
            if (!name_is(g->name, "system_group"))
                alter_group(&sb, g->name, "CONCURRENCY", g->concurrency);
            if (cpu_share_mode(g))
                alter_group(&sb, g->name, cpu_attr, g->cpu);
            else
                alter_group(&sb, g->name, "CPUSET", g->cpuset);
            alter_group(&sb, g->name, "CPU_WEIGHT", g->cpu_weight);
            alter_group(&sb, g->name, "MEMORY_QUOTA", g->memory);
            alter_group(&sb, g->name, "MIN_COST", g->min_cost);
            alter_group(&sb, g->name, "IO_LIMIT", g->io_limit);
        } else {
            alter_group(&sb, g->name, "MEMORY_LIMIT", g->memory);
            alter_group(&sb, g->name, "MEMORY_SHARED_QUOTA", g->memory_shared_quota);
            alter_group(&sb, g->name, "MEMORY_SPILL_RATIO", g->memory_spill_ratio);
            alter_group(&sb, g->name, "CONCURRENCY", g->concurrency);
            if (cpu_share_mode(g))
                alter_group(&sb, g->name, cpu_attr, g->cpu);
            else
                alter_group(&sb, g->name, "CPUSET", g->cpuset);
        }
        if (!sb.len) {
            sb_free(&sb);
            return NULL;
        }
        return sb_steal(&sb);
    }
    StrBuf items;
    sb_init(&items);
    if (cpu_share_mode(g))
        add_item(&items, cpu_attr, g->cpu);
    else
        add_item(&items, "CPUSET", g->cpuset);
    if (gp7) {
        add_item(&items, "CPU_WEIGHT", g->cpu_weight);
        add_item(&items, "CONCURRENCY", g->concurrency);
        if (g->memory && strcmp(g->memory, "-1") != 0)
            add_item(&items, "MEMORY_QUOTA", g->memory);
        if (g->min_cost && strcmp(g->min_cost, "0") != 0)
            add_item(&items, "MIN_COST", g->min_cost);
        add_item(&items, "IO_LIMIT", g->io_limit);
    } else {
        /* vmtracker is the default auditor. */
        if (g->memory_auditor && strcmp(g->memory_auditor, "1") == 0)
            add_item(&items, "MEMORY_AUDITOR", "cgroup");
        add_item(&items, "MEMORY_LIMIT", g->memory);
        add_item(&items, "MEMORY_SHARED_QUOTA", g->memory_shared_quota);
        add_item(&items, "MEMORY_SPILL_RATIO", g->memory_spill_ratio);
        add_item(&items, "CONCURRENCY", g->concurrency);
    }
    sb_printf(&sb, "CREATE RESOURCE GROUP %s WITH (%s);\n", g->name, items.data);
    sb_free(&items);
    return sb_steal(&sb);
}

char *gp_ddl_resource_group_reset(const ServerInfo *srv)
{
    if (gp_catalog_is_gp7(srv))
        return NULL;
    return xstrdup("ALTER RESOURCE GROUP admin_group SET CPU_RATE_LIMIT 1;\n"
                   "ALTER RESOURCE GROUP admin_group SET MEMORY_LIMIT 1;\n"
                   "ALTER RESOURCE GROUP default_group SET CPU_RATE_LIMIT 1;\n"
                   "ALTER RESOURCE GROUP default_group SET MEMORY_LIMIT 1;\n");
}

char *gp_ddl_role_resources(const char *role, const char *queue, const char *group)
{
    if (!queue && !group)
        return NULL;
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "ALTER ROLE %s", role);
    if (queue)
        sb_printf(&sb, " RESOURCE QUEUE %s", queue);
    if (group)
        sb_printf(&sb, " RESOURCE GROUP %s", group);
    sb_append(&sb, ";\n");
    return sb_steal(&sb);
}

/* ---- helpers ---- */

bool gp_ddl_parse_text_array(const char *s, StrList *out)
{
    if (!s)
        return false;
    /* "[0:1]={...}" when the lower bound is not 1 */
    if (*s == '[') {
        s = strchr(s, '=');
        if (!s)
            return false;
        s++;
    }
    if (*s++ != '{')
        return false;
    if (*s == '}')
        return s[1] == '\0';
    StrBuf el;
    sb_init(&el);
    for (;;) {
        sb_reset(&el);
        if (*s == '"') {
            s++;
            while (*s && *s != '"') {
                if (*s == '\\' && s[1])
                    s++;
                sb_append_len(&el, s, 1);
                s++;
            }
            if (*s != '"')
                break;
            s++;
        } else {
            const char *start = s;
            while (*s && *s != ',' && *s != '}')
                s++;
            size_t len = (size_t)(s - start);
            if (!(len == 4 && strncmp(start, "NULL", 4) == 0))
                sb_append_len(&el, start, len);
        }
        strlist_push(out, el.data);
        if (*s == ',') {
            s++;
            continue;
        }
        if (*s == '}' && s[1] == '\0') {
            sb_free(&el);
            return true;
        }
        break;
    }
    sb_free(&el);
    return false;
}
