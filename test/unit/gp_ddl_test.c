/* Unit tests of backup/gp_ddl.c: the exact SQL text of every Greenplum and
 * Cloudberry builder for each catalog generation (Greenplum 6 before and
 * from 6.21, Greenplum 7, Cloudberry), with hostile quoted names, and the
 * parsers of catalog values (text arrays, GP6 fmtopts, GP7 ftoptions,
 * execution locations). Names are given quoted, as the callers quote them
 * with libpq. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gp_ddl.h"

static const ServerInfo pg = {SERVER_POSTGRES, 0, 0};
static const ServerInfo gp5 = {SERVER_GREENPLUM, 5, 29};
static const ServerInfo gp620 = {SERVER_GREENPLUM, 6, 20};
static const ServerInfo gp621 = {SERVER_GREENPLUM, 6, 21};
static const ServerInfo gp7 = {SERVER_GREENPLUM, 7, 1};
static const ServerInfo cb = {SERVER_CLOUDBERRY, 0, 0};

/* A hostile identifier and literal, as conn_quote_ident / conn_quote_literal
 * return them. */
#define HOSTILE_IDENT "\"we\"\"ird; DROP TABLE x; --\""
#define HOSTILE_QUALIFIED "\"s p\".\"t\"\"1\""

static void expect_str(char *got, const char *want)
{
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_catalog_generation(void **state)
{
    (void)state;
    assert_false(gp_catalog_is_gp7(&pg));
    assert_false(gp_catalog_is_gp7(&gp620));
    assert_false(gp_catalog_is_gp7(&gp621));
    assert_true(gp_catalog_is_gp7(&gp7));
    assert_true(gp_catalog_is_gp7(&cb));
    assert_false(gp_catalog_is_gp7(NULL));
    ServerInfo parsed;
    snapshot_parse_version("PostgreSQL 14.4 (Apache Cloudberry 1.6.0 build 1) on x86_64", &parsed);
    assert_true(gp_catalog_is_gp7(&parsed));
    snapshot_parse_version("PostgreSQL 9.4.26 (Greenplum Database 6.20.0 build commit:abc)",
                           &parsed);
    assert_false(gp_catalog_is_gp7(&parsed));
}

/* ---- distribution ---- */

static void test_distribution(void **state)
{
    (void)state;
    const char *keys[] = {"a", HOSTILE_IDENT};
    const char *opcs[] = {NULL, "\"my schema\".\"my_ops\""};
    GpDistribution hash = {'p', 2, keys, NULL};
    GpDistribution hash_opc = {'p', 2, keys, opcs};
    GpDistribution random = {'p', 0, NULL, NULL};
    GpDistribution replicated = {'r', 0, NULL, NULL};

    const ServerInfo *modern[] = {&gp620, &gp621, &gp7, &cb};
    for (size_t i = 0; i < sizeof modern / sizeof modern[0]; i++) {
        expect_str(gp_ddl_distribution(modern[i], &hash),
                   "DISTRIBUTED BY (a, " HOSTILE_IDENT ")");
        expect_str(gp_ddl_distribution(modern[i], &hash_opc),
                   "DISTRIBUTED BY (a, " HOSTILE_IDENT " \"my schema\".\"my_ops\")");
        expect_str(gp_ddl_distribution(modern[i], &random), "DISTRIBUTED RANDOMLY");
        expect_str(gp_ddl_distribution(modern[i], &replicated), "DISTRIBUTED REPLICATED");
    }
    /* Before 6 there were neither operator classes nor replicated tables. */
    expect_str(gp_ddl_distribution(&gp5, &hash_opc), "DISTRIBUTED BY (a, " HOSTILE_IDENT ")");
    expect_str(gp_ddl_distribution(&gp5, &replicated), "DISTRIBUTED RANDOMLY");
}

/* ---- storage ---- */

static void test_storage_gp6(void **state)
{
    (void)state;
    GpStorage aoco = {NULL, true, true, false, "zlib", "5", "65536", "true", "fillfactor=50"};
    GpStorage aorow = {NULL, true, false, true, NULL, NULL, NULL, "false", NULL};
    GpStorage ao_plain = {NULL, true, false, false, NULL, NULL, NULL, NULL, NULL};
    GpStorage heap = {NULL, false, false, false, NULL, NULL, NULL, NULL, "fillfactor=70"};
    GpStorage heap_plain = {0};
    const ServerInfo *gp6s[] = {&gp620, &gp621};
    for (size_t i = 0; i < 2; i++) {
        expect_str(gp_ddl_storage(gp6s[i], &aoco),
                   "WITH (appendonly=true, orientation=column, compresstype=zlib, "
                   "compresslevel=5, blocksize=65536, checksum=true, fillfactor=50)");
        expect_str(gp_ddl_storage(gp6s[i], &aorow),
                   "WITH (appendonly=true, orientation=row, checksum=false)");
        expect_str(gp_ddl_storage(gp6s[i], &ao_plain), "WITH (appendonly=true)");
        expect_str(gp_ddl_storage(gp6s[i], &heap), "WITH (fillfactor=70)");
        expect_str(gp_ddl_storage(gp6s[i], &heap_plain), "");
    }
}

static void test_storage_gp7(void **state)
{
    (void)state;
    GpStorage aoco = {"ao_column", false, false, false, "zstd", "3", NULL, NULL, NULL};
    GpStorage aorow = {"ao_row", false, false, false, NULL, NULL, "8192", "false",
                       "fillfactor=100"};
    GpStorage heap = {"heap", false, false, false, NULL, NULL, NULL, NULL, NULL};
    GpStorage heap_opts = {"heap", false, false, false, NULL, NULL, NULL, NULL, "fillfactor=70"};
    GpStorage partitioned = {NULL, false, false, false, NULL, NULL, NULL, NULL, NULL};
    GpStorage hostile_am = {"\"my am\"", false, false, false, NULL, NULL, NULL, NULL, NULL};
    const ServerInfo *gen7[] = {&gp7, &cb};
    for (size_t i = 0; i < 2; i++) {
        expect_str(gp_ddl_storage(gen7[i], &aoco),
                   "USING ao_column WITH (compresstype=zstd, compresslevel=3)");
        expect_str(gp_ddl_storage(gen7[i], &aorow),
                   "USING ao_row WITH (blocksize=8192, checksum=false, fillfactor=100)");
        expect_str(gp_ddl_storage(gen7[i], &heap), "USING heap");
        expect_str(gp_ddl_storage(gen7[i], &heap_opts), "USING heap WITH (fillfactor=70)");
        expect_str(gp_ddl_storage(gen7[i], &partitioned), "");
        expect_str(gp_ddl_storage(gen7[i], &hostile_am), "USING \"my am\"");
    }
}

static void test_column_encoding(void **state)
{
    (void)state;
    const char *items[] = {"compresstype=zlib", "compresslevel=1", "blocksize=32768"};
    expect_str(gp_ddl_column_encoding(items, 3),
               " ENCODING (compresstype=zlib, compresslevel=1, blocksize=32768)");
    expect_str(gp_ddl_column_encoding(items, 0), "");
}

/* ---- Greenplum 6 legacy partitioning ---- */

static void test_partition_range(void **state)
{
    (void)state;
    GpPartRule rules[] = {
        {.is_default = true, .name = "other", .tablename = "'sales_1_prt_other'"},
        {.name = HOSTILE_IDENT, .start = "'2020-01-01'::date", .end = "'2020-02-01'::date",
         .tablename = "'sales_1_prt_we''ird'", .options = "appendonly=false"},
        {.start = "'2020-02-01'::date", .end = "'2020-03-01'::date", .start_exclusive = true,
         .end_inclusive = true, .every = "'1 mon'::interval", .tablename = "'sales_1_prt_3'",
         .tablespace = "\"fast space\""},
    };
    GpPartLevel levels[] = {{'r', "\"Sale Date\"", NULL, 0}};
    GpPartition p = {levels, 1, rules, 3};
    expect_str(gp_ddl_partition(&p),
               "PARTITION BY RANGE (\"Sale Date\")\n"
               "(\n"
               "    PARTITION " HOSTILE_IDENT " START ('2020-01-01'::date) END ('2020-02-01'::date)"
               " WITH (tablename='sales_1_prt_we''ird', appendonly=false),\n"
               "    START ('2020-02-01'::date) EXCLUSIVE END ('2020-03-01'::date) INCLUSIVE"
               " EVERY ('1 mon'::interval) WITH (tablename='sales_1_prt_3')"
               " TABLESPACE \"fast space\",\n"
               "    DEFAULT PARTITION other WITH (tablename='sales_1_prt_other')\n"
               ")");
}

static void test_partition_list_subpartitions(void **state)
{
    (void)state;
    GpPartRule boys_kids[] = {
        {.name = "usa", .values = "'usa'::text", .tablename = "'rank_1_prt_boys_2_prt_usa'"},
        {.name = "rest", .is_default = true, .tablename = "'rank_1_prt_boys_2_prt_rest'"},
    };
    GpPartRule rules[] = {
        {.name = "girls", .values = "'F'::bpchar", .tablename = "'rank_1_prt_girls'"},
        {.name = "boys", .values = "'M'::bpchar", .tablename = "'rank_1_prt_boys'",
         .children = boys_kids, .nchildren = 2},
    };
    GpPartLevel levels[] = {{'l', "gender", NULL, 0}, {'l', "region", NULL, 0}};
    GpPartition p = {levels, 2, rules, 2};
    expect_str(gp_ddl_partition(&p),
               "PARTITION BY LIST (gender)\n"
               "SUBPARTITION BY LIST (region)\n"
               "(\n"
               "    PARTITION girls VALUES ('F'::bpchar) WITH (tablename='rank_1_prt_girls'),\n"
               "    PARTITION boys VALUES ('M'::bpchar) WITH (tablename='rank_1_prt_boys')\n"
               "    (\n"
               "        SUBPARTITION usa VALUES ('usa'::text)"
               " WITH (tablename='rank_1_prt_boys_2_prt_usa'),\n"
               "        DEFAULT SUBPARTITION rest WITH (tablename='rank_1_prt_boys_2_prt_rest')\n"
               "    )\n"
               ")");
}

static void test_partition_template(void **state)
{
    (void)state;
    GpPartRule tmpl[] = {
        {.name = "other", .is_default = true},
        {.name = "usa", .values = "'usa'::text", .options = "appendonly=true"},
    };
    /* With a template the subpartitions are made from it; listing them
     * under their partition would be refused. */
    GpPartRule kids[] = {{.name = "usa", .values = "'usa'::text", .tablename = "'x'"}};
    GpPartRule rules[] = {
        {.name = "p1", .start = "1", .end = "10", .tablename = "'t_1_prt_p1'", .children = kids,
         .nchildren = 1},
    };
    GpPartLevel levels[] = {{'r', "a", NULL, 0}, {'l', "b", tmpl, 2}};
    GpPartition p = {levels, 2, rules, 1};
    expect_str(gp_ddl_partition(&p),
               "PARTITION BY RANGE (a)\n"
               "SUBPARTITION BY LIST (b)\n"
               "SUBPARTITION TEMPLATE\n"
               "(\n"
               "    SUBPARTITION usa VALUES ('usa'::text) WITH (appendonly=true),\n"
               "    DEFAULT SUBPARTITION other\n"
               ")\n"
               "(\n"
               "    PARTITION p1 START (1) END (10) WITH (tablename='t_1_prt_p1')\n"
               ")");
    GpPartition none = {NULL, 0, NULL, 0};
    expect_str(gp_ddl_partition(&none), "");
}

/* ---- the table clause ---- */

static void test_table_clause(void **state)
{
    (void)state;
    const char *keys[] = {HOSTILE_IDENT};
    GpDistribution dist = {'p', 1, keys, NULL};
    GpStorage gp6_ao = {NULL, true, true, false, "zlib", "1", NULL, NULL, NULL};
    GpPartRule rules[] = {{.name = "p1", .start = "1", .end = "2", .tablename = "'t_1_prt_p1'"}};
    GpPartLevel levels[] = {{'r', "a", NULL, 0}};
    GpPartition part = {levels, 1, rules, 1};
    GpTableDef def = {&gp6_ao, "\"ts 1\"", &dist, &part, NULL};
    const char *gp6_want = "\nWITH (appendonly=true, orientation=column, compresstype=zlib, "
                           "compresslevel=1)\n"
                           "TABLESPACE \"ts 1\"\n"
                           "DISTRIBUTED BY (" HOSTILE_IDENT ")\n"
                           "PARTITION BY RANGE (a)\n"
                           "(\n"
                           "    PARTITION p1 START (1) END (2) WITH (tablename='t_1_prt_p1')\n"
                           ")";
    expect_str(gp_ddl_table_clause(&gp620, &def), gp6_want);
    expect_str(gp_ddl_table_clause(&gp621, &def), gp6_want);

    /* GP7 partitions with PostgreSQL's syntax (the tables module): no
     * legacy clause. */
    GpStorage gp7_ao = {"ao_column", false, false, false, "zlib", "1", NULL, NULL, NULL};
    GpTableDef def7 = {&gp7_ao, NULL, &dist, &part, NULL};
    const char *gp7_want = "\nUSING ao_column WITH (compresstype=zlib, compresslevel=1)\n"
                           "DISTRIBUTED BY (" HOSTILE_IDENT ")";
    expect_str(gp_ddl_table_clause(&gp7, &def7), gp7_want);
    expect_str(gp_ddl_table_clause(&cb, &def7), gp7_want);

    GpDistribution repl = {'r', 0, NULL, NULL};
    GpTableDef replicated = {NULL, NULL, &repl, NULL, NULL};
    expect_str(gp_ddl_table_clause(&gp7, &replicated), "\nDISTRIBUTED REPLICATED");

    /* The server's own text where the struct cannot say it. */
    GpTableDef server = {NULL, NULL, NULL, &part, "PARTITION BY LIST(a, b) (...)"};
    expect_str(gp_ddl_table_clause(&gp621, &server), "\nPARTITION BY LIST(a, b) (...)");

    GpTableDef empty = {0};
    expect_str(gp_ddl_table_clause(&gp620, &empty), "");
}

/* ---- external tables ---- */

static void test_parse_exec_location(void **state)
{
    (void)state;
    GpExecOn on;
    char *arg;
    assert_true(gp_ddl_parse_exec_location("ALL_SEGMENTS", &on, &arg));
    assert_int_equal(on, GP_EXEC_ALL_SEGMENTS);
    assert_null(arg);
    assert_true(gp_ddl_parse_exec_location(NULL, &on, &arg));
    assert_int_equal(on, GP_EXEC_ALL_SEGMENTS);
    assert_true(gp_ddl_parse_exec_location("HOST:seg 1's", &on, &arg));
    assert_int_equal(on, GP_EXEC_HOST);
    assert_string_equal(arg, "seg 1's");
    free(arg);
    assert_true(gp_ddl_parse_exec_location("PER_HOST", &on, &arg));
    assert_int_equal(on, GP_EXEC_PER_HOST);
    assert_true(gp_ddl_parse_exec_location("MASTER_ONLY", &on, &arg));
    assert_int_equal(on, GP_EXEC_MASTER);
    assert_true(gp_ddl_parse_exec_location("COORDINATOR_ONLY", &on, &arg));
    assert_int_equal(on, GP_EXEC_COORDINATOR);
    assert_true(gp_ddl_parse_exec_location("SEGMENT_ID:3", &on, &arg));
    assert_int_equal(on, GP_EXEC_SEGMENT);
    assert_string_equal(arg, "3");
    free(arg);
    assert_true(gp_ddl_parse_exec_location("TOTAL_SEGS:5", &on, &arg));
    assert_int_equal(on, GP_EXEC_TOTAL_SEGS);
    assert_string_equal(arg, "5");
    free(arg);
    assert_false(gp_ddl_parse_exec_location("SOMEWHERE", &on, &arg));
}

static void expect_tokens(const GpFmtTokens *t, const char *const *want, const bool *lit,
                          size_t n)
{
    assert_int_equal(t->n, n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(t->text[i], want[i]);
        assert_int_equal(t->literal[i], lit[i]);
    }
}

static void test_split_fmtopts_gp6(void **state)
{
    (void)state;
    GpFmtTokens t;
    /* GP6 stores the strings unescaped: escape '\' and quote ''' */
    gp_ddl_split_fmtopts("delimiter ',' null '' escape '\\' quote ''' header "
                         "fill missing fields force not null a,b newline 'LF'",
                         &t);
    const char *want[] = {"delimiter", ",", "null", "", "escape", "\\", "quote", "'",
                          "header", "fill", "missing", "fields", "force", "not", "null", "a,b",
                          "newline", "LF"};
    const bool lit[] = {false, true, false, true, false, true, false, true, false,
                        false, false, false, false, false, false, false, false, true};
    expect_tokens(&t, want, lit, 18);
    gp_fmt_tokens_free(&t);

    gp_ddl_split_fmtopts("formatter 'fixedwidth_in' i '20'", &t);
    const char *want2[] = {"formatter", "fixedwidth_in", "i", "20"};
    const bool lit2[] = {false, true, false, true};
    expect_tokens(&t, want2, lit2, 4);
    gp_fmt_tokens_free(&t);

    gp_ddl_split_fmtopts(NULL, &t);
    assert_int_equal(t.n, 0);
    gp_fmt_tokens_free(&t);
}

static void test_split_ftoptions_gp7(void **state)
{
    (void)state;
    const char *items[] = {
        "format=csv",           "delimiter=,",
        "null=",                "escape=\"",
        "quote=\"",             "header=true",
        "fill_missing_fields=true",
        "force_not_null=a,\"B b\"",
        "newline=LF",           "my_opt=x'y",
        "format_type=c",
        "location_uris=gpfdist://h1:8080/a.csv|gpfdist://h2:8080/b.csv",
        "execute_on=ALL_SEGMENTS", "reject_limit=10",
        "reject_limit_type=p",  "log_errors=p",
        "encoding=6",           "is_writable=false",
    };
    GpExtOptions o;
    gp_ddl_split_ftoptions(items, sizeof items / sizeof items[0], &o);
    assert_int_equal(o.fmttype, 'c');
    assert_int_equal(o.locations.n, 2);
    assert_string_equal(o.locations.items[0], "gpfdist://h1:8080/a.csv");
    assert_string_equal(o.locations.items[1], "gpfdist://h2:8080/b.csv");
    assert_null(o.command);
    assert_string_equal(o.execute_on, "ALL_SEGMENTS");
    assert_int_equal(o.reject_limit, 10);
    assert_int_equal(o.reject_limit_type, 'p');
    assert_int_equal(o.log_errors, 'p');
    assert_string_equal(o.encoding, "6");
    assert_false(o.writable);
    const char *want[] = {"delimiter", ",", "null", "", "escape", "\"", "quote", "\"",
                          "header", "fill missing fields", "force not null", "a,\"B b\"",
                          "newline", "LF"};
    const bool lit[] = {false, true, false, true, false, true, false, true,
                        false, false, false, false, false, true};
    expect_tokens(&o.fmt, want, lit, 14);
    assert_int_equal(o.option_names.n, 1);
    assert_string_equal(o.option_names.items[0], "my_opt");
    assert_string_equal(o.option_values.items[0], "x'y");
    gp_ext_options_free(&o);

    /* Custom formats: every other option is the formatter's. */
    const char *custom[] = {"formatter=fixedwidth_out",
                      "i=20", "format=custom",
                      "format_type=b",
                      "command=cat > /tmp/x",
                      "execute_on=HOST:h1", "log_errors=f",
                      "encoding=6", "is_writable=true"};
    gp_ddl_split_ftoptions(custom, sizeof custom / sizeof custom[0], &o);
    assert_int_equal(o.fmttype, 'b');
    assert_string_equal(o.command, "cat > /tmp/x");
    assert_true(o.writable);
    assert_int_equal(o.reject_limit, -1);
    const char *want2[] = {"formatter", "fixedwidth_out", "i", "20"};
    const bool lit2[] = {false, true, false, true};
    expect_tokens(&o.fmt, want2, lit2, 4);
    assert_int_equal(o.option_names.n, 0);
    gp_ext_options_free(&o);
}

/* What the catalog side does with tokens: quote the literal ones. The test
 * quoter doubles quotes; libpq's also handles backslashes. */
static char **quote_tokens(const GpFmtTokens *t)
{
    char **out = calloc(t->n + 1, sizeof(char *));
    for (size_t i = 0; i < t->n; i++) {
        if (!t->literal[i]) {
            out[i] = strdup(t->text[i]);
            continue;
        }
        StrBuf sb;
        sb_init(&sb);
        sb_append(&sb, strchr(t->text[i], '\\') ? "E'" : "'");
        for (const char *c = t->text[i]; *c; c++) {
            if (*c == '\'' || *c == '\\')
                sb_append_len(&sb, c, 1);
            sb_append_len(&sb, c, 1);
        }
        sb_append(&sb, "'");
        out[i] = sb_steal(&sb);
    }
    return out;
}

static void free_strings(char **s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

static const char *const ext_cols[] = {"id", HOSTILE_IDENT};
static const char *const ext_types[] = {"integer", "text"};

static const char *const csv_want =
    "CREATE EXTERNAL TABLE " HOSTILE_QUALIFIED " (\n"
    "    id integer,\n"
    "    " HOSTILE_IDENT " text\n"
    ") LOCATION (\n"
    "    'gpfdist://h1:8080/a.csv',\n"
    "    'gpfdist://h2:8080/it''s.csv'\n"
    ")\n"
    "FORMAT 'csv' (delimiter ',' null '' escape '\"' quote '\"' header)\n"
    "ENCODING 'UTF8'\n"
    "LOG ERRORS PERSISTENTLY\n"
    "SEGMENT REJECT LIMIT 10 PERCENT;\n";

/* A GP6 catalog row (pg_exttable) and a GP7 one (ftoptions) of the same
 * table give the same statement. */
static void test_external_csv_both_branches(void **state)
{
    (void)state;
    const char *locs[] = {"'gpfdist://h1:8080/a.csv'", "'gpfdist://h2:8080/it''s.csv'"};
    GpFmtTokens t6;
    gp_ddl_split_fmtopts("delimiter ',' null '' escape '\"' quote '\"' header", &t6);
    char **fmt6 = quote_tokens(&t6);
    GpExtTable t = {.qualified = HOSTILE_QUALIFIED,
                    .ncolumns = 2,
                    .colnames = ext_cols,
                    .coltypes = ext_types,
                    .nlocations = 2,
                    .locations = locs,
                    .fmttype = 'c',
                    .nfmt = t6.n,
                    .fmt = (const char *const *)fmt6,
                    .encoding = "'UTF8'",
                    .log_errors = true,
                    .log_persistently = true,
                    .reject_limit = 10,
                    .reject_limit_type = 'p'};
    expect_str(gp_ddl_external_table(&gp620, &t), csv_want);
    expect_str(gp_ddl_external_table(&gp621, &t), csv_want);
    free_strings(fmt6, t6.n);
    gp_fmt_tokens_free(&t6);

    const char *items[] = {"format=csv", "delimiter=,",
                     "null=", "escape=\"",
                     "quote=\"", "header=true",
                     "format_type=c",
                     ("location_uris=gpfdist://h1:8080/a.csv|"
                      "gpfdist://h2:8080/it's.csv"),
                     "execute_on=ALL_SEGMENTS",
                     "reject_limit=10",
                     "reject_limit_type=p",
                     "log_errors=p", "encoding=6",
                     "is_writable=false"};
    GpExtOptions o;
    gp_ddl_split_ftoptions(items, sizeof items / sizeof items[0], &o);
    char **fmt7 = quote_tokens(&o.fmt);
    GpExecOn on;
    char *arg;
    assert_true(gp_ddl_parse_exec_location(o.execute_on, &on, &arg));
    GpExtTable t7 = {.qualified = HOSTILE_QUALIFIED,
                     .ncolumns = 2,
                     .colnames = ext_cols,
                     .coltypes = ext_types,
                     .writable = o.writable,
                     .nlocations = 2,
                     .locations = locs,
                     .exec_on = on,
                     .fmttype = o.fmttype,
                     .nfmt = o.fmt.n,
                     .fmt = (const char *const *)fmt7,
                     .encoding = "'UTF8'",
                     .log_errors = o.log_errors == 't' || o.log_errors == 'p',
                     .log_persistently = o.log_errors == 'p',
                     .reject_limit = o.reject_limit,
                     .reject_limit_type = o.reject_limit_type};
    expect_str(gp_ddl_external_table(&gp7, &t7), csv_want);
    expect_str(gp_ddl_external_table(&cb, &t7), csv_want);
    free_strings(fmt7, o.fmt.n);
    gp_ext_options_free(&o);
}

static void test_external_web_and_writable(void **state)
{
    (void)state;
    GpFmtTokens tok;
    gp_ddl_split_fmtopts("delimiter '|' null '\\N' escape '\\'", &tok);
    char **fmt = quote_tokens(&tok);
    GpExtTable web = {.qualified = "public.w",
                      .ncolumns = 1,
                      .colnames = ext_cols,
                      .coltypes = ext_types,
                      .web = true,
                      .command = "'echo ''hi'''",
                      .exec_on = GP_EXEC_HOST,
                      .exec_arg = "'seg host'",
                      .fmttype = 't',
                      .nfmt = tok.n,
                      .fmt = (const char *const *)fmt,
                      .encoding = "'LATIN1'"};
    expect_str(gp_ddl_external_table(&gp621, &web),
               "CREATE EXTERNAL WEB TABLE public.w (\n"
               "    id integer\n"
               ") EXECUTE 'echo ''hi''' ON HOST 'seg host'\n"
               "FORMAT 'text' (delimiter '|' null E'\\\\N' escape E'\\\\')\n"
               "ENCODING 'LATIN1';\n");
    web.exec_on = GP_EXEC_MASTER;
    web.exec_arg = NULL;
    web.nfmt = 0;
    web.encoding = NULL;
    expect_str(gp_ddl_external_table(&gp620, &web),
               "CREATE EXTERNAL WEB TABLE public.w (\n"
               "    id integer\n"
               ") EXECUTE 'echo ''hi''' ON MASTER\n"
               "FORMAT 'text';\n");
    web.exec_on = GP_EXEC_TOTAL_SEGS;
    web.exec_arg = "5";
    expect_str(gp_ddl_external_table(&gp7, &web),
               "CREATE EXTERNAL WEB TABLE public.w (\n"
               "    id integer\n"
               ") EXECUTE 'echo ''hi''' ON 5\n"
               "FORMAT 'text';\n");
    web.exec_on = GP_EXEC_SEGMENT;
    web.exec_arg = "0";
    web.command = NULL;
    const char *http[] = {"'http://example.com/x'"};
    web.nlocations = 1;
    web.locations = http;
    expect_str(gp_ddl_external_table(&cb, &web),
               "CREATE EXTERNAL WEB TABLE public.w (\n"
               "    id integer\n"
               ") LOCATION (\n"
               "    'http://example.com/x'\n"
               ")\n"
               "FORMAT 'text';\n");
    free_strings(fmt, tok.n);
    gp_fmt_tokens_free(&tok);

    const char *keys[] = {HOSTILE_IDENT};
    GpDistribution dist = {'p', 1, keys, NULL};
    const char *out[] = {"'gpfdist://h:8080/out.txt'"};
    const char *custom[] = {"formatter", "'fixedwidth_out'", "i", "'20'"};
    GpOption opts[] = {{"\"my opt\"", "'v''1'"}};
    GpExtTable w = {.qualified = HOSTILE_QUALIFIED,
                    .ncolumns = 2,
                    .colnames = ext_cols,
                    .coltypes = ext_types,
                    .writable = true,
                    .nlocations = 1,
                    .locations = out,
                    .exec_on = GP_EXEC_ALL_SEGMENTS,
                    .fmttype = 'b',
                    .nfmt = 4,
                    .fmt = custom,
                    .noptions = 1,
                    .options = opts,
                    .encoding = "'UTF8'",
                    .log_errors = true,
                    .reject_limit = 5,
                    .dist = &dist};
    const char *want = "CREATE WRITABLE EXTERNAL TABLE " HOSTILE_QUALIFIED " (\n"
                       "    id integer,\n"
                       "    " HOSTILE_IDENT " text\n"
                       ") LOCATION (\n"
                       "    'gpfdist://h:8080/out.txt'\n"
                       ")\n"
                       "FORMAT 'custom' (formatter = 'fixedwidth_out', i = '20')\n"
                       "OPTIONS (\n"
                       "    \"my opt\" 'v''1'\n"
                       ")\n"
                       "ENCODING 'UTF8'\n"
                       "DISTRIBUTED BY (" HOSTILE_IDENT ");\n";
    expect_str(gp_ddl_external_table(&gp621, &w), want);
    expect_str(gp_ddl_external_table(&gp7, &w), want);
    GpDistribution random = {'p', 0, NULL, NULL};
    w.dist = &random;
    w.noptions = 0;
    w.exec_on = GP_EXEC_COORDINATOR;
    expect_str(gp_ddl_external_table(&cb, &w),
               "CREATE WRITABLE EXTERNAL TABLE " HOSTILE_QUALIFIED " (\n"
               "    id integer,\n"
               "    " HOSTILE_IDENT " text\n"
               ") LOCATION (\n"
               "    'gpfdist://h:8080/out.txt'\n"
               ") ON COORDINATOR\n"
               "FORMAT 'custom' (formatter = 'fixedwidth_out', i = '20')\n"
               "ENCODING 'UTF8'\n"
               "DISTRIBUTED RANDOMLY;\n");
}

/* ---- resource queues and groups ---- */

static void test_resource_queue(void **state)
{
    (void)state;
    GpResQueue q = {HOSTILE_IDENT, "5", "1000.50", true, "10.00", "high", "'2000MB'"};
    expect_str(gp_ddl_resource_queue(&q),
               "CREATE RESOURCE QUEUE " HOSTILE_IDENT " WITH (ACTIVE_STATEMENTS=5, "
               "MAX_COST=1000.50, COST_OVERCOMMIT=TRUE, MIN_COST=10.00, PRIORITY=HIGH, "
               "MEMORY_LIMIT='2000MB');\n");
    GpResQueue cost_only = {"q2", "-1", "300.00", false, "0.00", "medium", NULL};
    expect_str(gp_ddl_resource_queue(&cost_only),
               "CREATE RESOURCE QUEUE q2 WITH (MAX_COST=300.00);\n");
    GpResQueue dflt = {"pg_default", "20", "-1.00", false, "0.00", "medium", NULL};
    expect_str(gp_ddl_resource_queue(&dflt),
               "ALTER RESOURCE QUEUE pg_default WITH (ACTIVE_STATEMENTS=20);\n");
    GpResQueue nothing = {"pg_default", "-1", "-1.00", false, "0.00", "medium", NULL};
    assert_null(gp_ddl_resource_queue(&nothing));
    /* libpq quotes every name */
    GpResQueue quoted = {"\"pg_default\"", "20", "-1.00", false, "0.00", "MEDIUM", NULL};
    expect_str(gp_ddl_resource_queue(&quoted),
               "ALTER RESOURCE QUEUE \"pg_default\" WITH (ACTIVE_STATEMENTS=20);\n");
    GpResQueue lookalike = {"\"pg_default\"\"\"", "20", NULL, false, NULL, NULL, NULL};
    expect_str(gp_ddl_resource_queue(&lookalike),
               "CREATE RESOURCE QUEUE \"pg_default\"\"\" WITH (ACTIVE_STATEMENTS=20);\n");
}

static void test_resource_group_gp6(void **state)
{
    (void)state;
    GpResGroup cpu = {.name = HOSTILE_IDENT, .concurrency = "10", .cpu = "20",
                      .memory = "30", .memory_shared_quota = "80",
                      .memory_spill_ratio = "0", .memory_auditor = "0"};
    const char *want = "CREATE RESOURCE GROUP " HOSTILE_IDENT " WITH (CPU_RATE_LIMIT=20, "
                       "MEMORY_LIMIT=30, MEMORY_SHARED_QUOTA=80, MEMORY_SPILL_RATIO=0, "
                       "CONCURRENCY=10);\n";
    expect_str(gp_ddl_resource_group(&gp620, &cpu), want);
    expect_str(gp_ddl_resource_group(&gp621, &cpu), want);
    GpResGroup set = {.name = "etl", .concurrency = "5", .cpu = "-1", .cpuset = "'1-3'",
                      .memory = "10", .memory_shared_quota = "50",
                      .memory_spill_ratio = "20", .memory_auditor = "1"};
    expect_str(gp_ddl_resource_group(&gp621, &set),
               "CREATE RESOURCE GROUP etl WITH (CPUSET='1-3', MEMORY_AUDITOR=cgroup, "
               "MEMORY_LIMIT=10, MEMORY_SHARED_QUOTA=50, MEMORY_SPILL_RATIO=20, "
               "CONCURRENCY=5);\n");
    GpResGroup admin = {.name = "admin_group", .concurrency = "10", .cpu = "10",
                        .memory = "10", .memory_shared_quota = "80",
                        .memory_spill_ratio = "0", .memory_auditor = "0"};
    expect_str(gp_ddl_resource_group(&gp621, &admin),
               "ALTER RESOURCE GROUP admin_group SET MEMORY_LIMIT 10;\n"
               "ALTER RESOURCE GROUP admin_group SET MEMORY_SHARED_QUOTA 80;\n"
               "ALTER RESOURCE GROUP admin_group SET MEMORY_SPILL_RATIO 0;\n"
               "ALTER RESOURCE GROUP admin_group SET CONCURRENCY 10;\n"
               "ALTER RESOURCE GROUP admin_group SET CPU_RATE_LIMIT 10;\n");
    /* system_group is an ordinary name before 7 */
    GpResGroup sys = {.name = "system_group", .concurrency = "1", .cpu = "1", .memory = "1"};
    expect_str(gp_ddl_resource_group(&gp620, &sys),
               "CREATE RESOURCE GROUP system_group WITH (CPU_RATE_LIMIT=1, MEMORY_LIMIT=1, "
               "CONCURRENCY=1);\n");
    expect_str(gp_ddl_resource_group_reset(&gp620),
               "ALTER RESOURCE GROUP admin_group SET CPU_RATE_LIMIT 1;\n"
               "ALTER RESOURCE GROUP admin_group SET MEMORY_LIMIT 1;\n"
               "ALTER RESOURCE GROUP default_group SET CPU_RATE_LIMIT 1;\n"
               "ALTER RESOURCE GROUP default_group SET MEMORY_LIMIT 1;\n");
}

static void test_resource_group_gp7(void **state)
{
    (void)state;
    GpResGroup g = {.name = HOSTILE_IDENT, .concurrency = "20", .cpu = "70",
                    .cpu_weight = "200", .cpuset = NULL, .memory = "1024", .min_cost = "500",
                    .io_limit = "'pg_default:rbps=1000,wbps=1000'"};
    const char *want = "CREATE RESOURCE GROUP " HOSTILE_IDENT " WITH (CPU_MAX_PERCENT=70, "
                       "CPU_WEIGHT=200, CONCURRENCY=20, MEMORY_QUOTA=1024, MIN_COST=500, "
                       "IO_LIMIT='pg_default:rbps=1000,wbps=1000');\n";
    expect_str(gp_ddl_resource_group(&gp7, &g), want);
    expect_str(gp_ddl_resource_group(&cb, &g), want);
    GpResGroup set = {.name = "rg", .concurrency = "5", .cpu = "-1", .cpuset = "'0;1-2'",
                      .cpu_weight = "100", .memory = "-1", .min_cost = "0"};
    expect_str(gp_ddl_resource_group(&cb, &set),
               "CREATE RESOURCE GROUP rg WITH (CPUSET='0;1-2', CPU_WEIGHT=100, "
               "CONCURRENCY=5);\n");
    GpResGroup dflt = {.name = "default_group", .concurrency = "20", .cpu = "20",
                       .cpu_weight = "100", .memory = "-1", .min_cost = "0"};
    expect_str(gp_ddl_resource_group(&gp7, &dflt),
               "ALTER RESOURCE GROUP default_group SET CONCURRENCY 20;\n"
               "ALTER RESOURCE GROUP default_group SET CPU_MAX_PERCENT 20;\n"
               "ALTER RESOURCE GROUP default_group SET CPU_WEIGHT 100;\n"
               "ALTER RESOURCE GROUP default_group SET MEMORY_QUOTA -1;\n"
               "ALTER RESOURCE GROUP default_group SET MIN_COST 0;\n");
    GpResGroup sys = {.name = "\"system_group\"", .concurrency = "0", .cpu = "10",
                      .cpu_weight = "100"};
    expect_str(gp_ddl_resource_group(&cb, &sys),
               "ALTER RESOURCE GROUP \"system_group\" SET CPU_MAX_PERCENT 10;\n"
               "ALTER RESOURCE GROUP \"system_group\" SET CPU_WEIGHT 100;\n");
    GpResGroup admin = {.name = "\"admin_group\"", .concurrency = "10", .cpu = "-1",
                        .cpuset = "'0'", .cpu_weight = "100", .memory = "512",
                        .min_cost = "0", .io_limit = "'ts:wbps=10'"};
    expect_str(gp_ddl_resource_group(&gp7, &admin),
               "ALTER RESOURCE GROUP \"admin_group\" SET CONCURRENCY 10;\n"
               "ALTER RESOURCE GROUP \"admin_group\" SET CPUSET '0';\n"
               "ALTER RESOURCE GROUP \"admin_group\" SET CPU_WEIGHT 100;\n"
               "ALTER RESOURCE GROUP \"admin_group\" SET MEMORY_QUOTA 512;\n"
               "ALTER RESOURCE GROUP \"admin_group\" SET MIN_COST 0;\n"
               "ALTER RESOURCE GROUP \"admin_group\" SET IO_LIMIT 'ts:wbps=10';\n");
    assert_null(gp_ddl_resource_group_reset(&gp7));
    assert_null(gp_ddl_resource_group_reset(&cb));
}

static void test_role_resources(void **state)
{
    (void)state;
    expect_str(gp_ddl_role_resources(HOSTILE_IDENT, "\"q 1\"", "admin_group"),
               "ALTER ROLE " HOSTILE_IDENT " RESOURCE QUEUE \"q 1\" RESOURCE GROUP "
               "admin_group;\n");
    expect_str(gp_ddl_role_resources("r", NULL, "default_group"),
               "ALTER ROLE r RESOURCE GROUP default_group;\n");
    expect_str(gp_ddl_role_resources("r", "pg_default", NULL),
               "ALTER ROLE r RESOURCE QUEUE pg_default;\n");
    assert_null(gp_ddl_role_resources("r", NULL, NULL));
}

/* ---- helpers ---- */

static void test_parse_text_array(void **state)
{
    (void)state;
    StrList l = {0};
    assert_true(gp_ddl_parse_text_array("{}", &l));
    assert_int_equal(l.n, 0);
    assert_true(gp_ddl_parse_text_array("{fillfactor=50,appendonly=true}", &l));
    assert_int_equal(l.n, 2);
    assert_string_equal(l.items[0], "fillfactor=50");
    assert_string_equal(l.items[1], "appendonly=true");
    strlist_free(&l);
    assert_true(gp_ddl_parse_text_array(
        "{\"file://h/a b.txt\",\"quote\\\"d\",\"back\\\\slash\",NULL,\"NULL\",\"\"}", &l));
    assert_int_equal(l.n, 6);
    assert_string_equal(l.items[0], "file://h/a b.txt");
    assert_string_equal(l.items[1], "quote\"d");
    assert_string_equal(l.items[2], "back\\slash");
    assert_string_equal(l.items[3], "");
    assert_string_equal(l.items[4], "NULL");
    assert_string_equal(l.items[5], "");
    strlist_free(&l);
    assert_true(gp_ddl_parse_text_array("[0:1]={a,b}", &l));
    assert_int_equal(l.n, 2);
    strlist_free(&l);
    assert_false(gp_ddl_parse_text_array("{a,\"b}", &l));
    strlist_free(&l);
    assert_false(gp_ddl_parse_text_array("a,b", &l));
    assert_false(gp_ddl_parse_text_array(NULL, &l));
    strlist_free(&l);
}

/* The table-module API is inert without a storage (PostgreSQL). */
static void test_storage_api_without_storage(void **state)
{
    (void)state;
    assert_string_equal(gp_table_clause(NULL, 16384), "");
    assert_string_equal(gp_column_encoding(NULL, 16384, 1), "");
    assert_false(gp_table_skip(NULL, 16384));
    gp_table_storage_free(NULL);
    MetaContext ctx = {0};
    ctx.server = &pg;
    GpTableStorage *gs = (GpTableStorage *)(uintptr_t)1;
    assert_null(gp_load_table_storage(&ctx, &gs));
    assert_null(gs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalog_generation),
        cmocka_unit_test(test_distribution),
        cmocka_unit_test(test_storage_gp6),
        cmocka_unit_test(test_storage_gp7),
        cmocka_unit_test(test_column_encoding),
        cmocka_unit_test(test_partition_range),
        cmocka_unit_test(test_partition_list_subpartitions),
        cmocka_unit_test(test_partition_template),
        cmocka_unit_test(test_table_clause),
        cmocka_unit_test(test_parse_exec_location),
        cmocka_unit_test(test_split_fmtopts_gp6),
        cmocka_unit_test(test_split_ftoptions_gp7),
        cmocka_unit_test(test_external_csv_both_branches),
        cmocka_unit_test(test_external_web_and_writable),
        cmocka_unit_test(test_resource_queue),
        cmocka_unit_test(test_resource_group_gp6),
        cmocka_unit_test(test_resource_group_gp7),
        cmocka_unit_test(test_role_resources),
        cmocka_unit_test(test_parse_text_array),
        cmocka_unit_test(test_storage_api_without_storage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
