/* Unit tests of the pure parts of snapshot/cluster.c: the server version
 * gates (cluster_check_server), the segments' directory prefix and
 * directories (with the server's <SEGID> / <SEG_DATA_DIR> placeholders), the
 * COPY ... TO/FROM PROGRAM statements per server flavour, and the query that
 * reads the helpers' sidecars back (gp_dist_random on MPP only). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cluster.h"
#include "util.h"

static const ServerInfo pg = {SERVER_POSTGRES, 0, 0};
static const ServerInfo gp5 = {SERVER_GREENPLUM, 5, 29};
static const ServerInfo gp620 = {SERVER_GREENPLUM, 6, 20};
static const ServerInfo gp621 = {SERVER_GREENPLUM, 6, 21};
static const ServerInfo gp7 = {SERVER_GREENPLUM, 7, 1};
static const ServerInfo cb = {SERVER_CLOUDBERRY, 0, 0};

/* ---- version gates --------------------------------------------------------- */

static void expect_ok(Error *err, const char *what)
{
    if (err) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s: unexpected error: %s", what, err->message);
        error_free(err);
        fail_msg("%s", msg);
    }
}

/* err has code and a message containing fragment; returns err (not freed)
 * so that the caller can look at its detail and hint. */
static Error *expect_error(Error *err, ErrorCode code, const char *fragment, const char *what)
{
    if (!err)
        fail_msg("%s: expected an error containing \"%s\", got success", what, fragment);
    if (err->code != code || !strstr(err->message, fragment)) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s: code %d, message \"%s\"; expected code %d with \"%s\"",
                 what, (int)err->code, err->message, (int)code, fragment);
        error_free(err);
        fail_msg("%s", msg);
    }
    return err;
}

static void test_check_server_postgres(void **state)
{
    (void)state;
    /* PostgreSQL 11 is refused, whatever --jobs. */
    Error *e = expect_error(cluster_check_server(&pg, 110022, 1), ERR_CONNECT,
                            "PostgreSQL server version 11", "PG 11");
    assert_non_null(e->hint);
    assert_non_null(strstr(e->hint, "PostgreSQL 12 or later"));
    /* The version named is the server's: 11.22, not 11.0. */
    assert_non_null(strstr(e->message, "11.22"));
    error_free(e);
    error_free(expect_error(cluster_check_server(&pg, 90624, 4), ERR_CONNECT,
                            "PostgreSQL server version 9.6 is not supported", "PG 9.6"));
    error_free(expect_error(cluster_check_server(&pg, 119999, 1), ERR_CONNECT,
                            "is not supported", "PG 11.9999"));
    /* 12 and later pass, with any number of jobs. */
    expect_ok(cluster_check_server(&pg, 120000, 1), "PG 12.0");
    expect_ok(cluster_check_server(&pg, 120017, 64), "PG 12.17 --jobs 64");
    expect_ok(cluster_check_server(&pg, 170002, 8), "PG 17");
}

static void test_check_server_greenplum(void **state)
{
    (void)state;
    /* Greenplum 5 is refused, even with --jobs 1. Its PostgreSQL is 8.3: the
     * Greenplum gate speaks first, and names Greenplum. */
    Error *e = expect_error(cluster_check_server(&gp5, 80323, 1), ERR_CONNECT,
                            "Greenplum 5.29 is not supported", "GP 5");
    assert_non_null(e->hint);
    assert_non_null(strstr(e->hint, "6.21"));
    error_free(e);

    /* 6.20: --jobs 1 is fine (PostgreSQL 9.4 underneath is not refused). */
    expect_ok(cluster_check_server(&gp620, 90426, 1), "GP 6.20 --jobs 1");
    /* 6.20 --jobs 2: refused, naming 6.21 and the way out. */
    e = expect_error(cluster_check_server(&gp620, 90426, 2), ERR_USAGE,
                     "--jobs 2 needs Greenplum 6.21 or later, the server is 6.20", "GP 6.20 -j2");
    assert_non_null(e->detail);
    assert_non_null(strstr(e->detail, "snapshot"));
    assert_non_null(e->hint);
    assert_non_null(strstr(e->hint, "--jobs 1"));
    assert_non_null(strstr(e->hint, "6.21"));
    error_free(e);
    error_free(expect_error(cluster_check_server(&gp620, 90426, 16), ERR_USAGE,
                            "--jobs 16 needs Greenplum 6.21", "GP 6.20 -j16"));

    /* 6.21 and later: parallel workers are fine. */
    expect_ok(cluster_check_server(&gp621, 90426, 8), "GP 6.21 --jobs 8");
    expect_ok(cluster_check_server(&gp621, 90426, 1), "GP 6.21 --jobs 1");
    ServerInfo gp626 = {SERVER_GREENPLUM, 6, 26};
    expect_ok(cluster_check_server(&gp626, 90426, 4), "GP 6.26");
    /* Greenplum 7 (PostgreSQL 12) and Cloudberry (PostgreSQL 14). */
    expect_ok(cluster_check_server(&gp7, 120012, 8), "GP 7");
    ServerInfo gp70 = {SERVER_GREENPLUM, 7, 0};
    expect_ok(cluster_check_server(&gp70, 120012, 1), "GP 7.0");
    expect_ok(cluster_check_server(&cb, 140004, 8), "Cloudberry");
    expect_ok(cluster_check_server(&cb, 140004, 1), "Cloudberry --jobs 1");
}

static void test_is_mpp(void **state)
{
    (void)state;
    assert_false(cluster_is_mpp(&pg));
    assert_false(cluster_is_mpp(NULL));
    assert_true(cluster_is_mpp(&gp620));
    assert_true(cluster_is_mpp(&gp7));
    assert_true(cluster_is_mpp(&cb));
    assert_false(cluster_copy_ignores_external_partitions(&pg));
    assert_true(cluster_copy_ignores_external_partitions(&gp621));
    assert_true(cluster_copy_ignores_external_partitions(&gp7));
    assert_true(cluster_copy_ignores_external_partitions(&cb));
}

/* ---- directories ----------------------------------------------------------- */

static void expect_prefix(const char *datadir, const char *want)
{
    SegmentInfo seg = {0};
    seg.datadir = (char *)(uintptr_t)datadir;
    ClusterInfo c = {0};
    c.segments = &seg;
    c.nsegments = 1;
    char *p = cluster_dir_prefix(&c);
    if (strcmp(p, want) != 0) {
        char msg[512];
        snprintf(msg, sizeof msg, "prefix of \"%s\": \"%s\", expected \"%s\"", datadir, p, want);
        free(p);
        fail_msg("%s", msg);
    }
    free(p);
}

static void test_dir_prefix(void **state)
{
    (void)state;
    expect_prefix("/data/primary/gpseg0", "gpseg");
    expect_prefix("/data/primary/gpseg12", "gpseg");
    expect_prefix("/data/primary/gpseg0/", "gpseg");
    expect_prefix("/data/primary/gpseg0//", "gpseg");
    expect_prefix("/home/gp/demoDataDir0", "demoDataDir");
    expect_prefix("/data/p1/seg-x7", "seg-x");
    expect_prefix("relative0", "relative");
    /* No digits, or nothing but digits: no usable prefix. */
    expect_prefix("/data/primary/segment", "gpseg");
    expect_prefix("/data/primary/segment/", "gpseg");
    expect_prefix("/data/primary/0", "gpseg");
    expect_prefix("/data/primary/123/", "gpseg");
    expect_prefix("/", "gpseg");
    expect_prefix("", "gpseg");

    /* No segments (PostgreSQL), or no cluster at all. */
    ClusterInfo none = {0};
    char *p = cluster_dir_prefix(&none);
    assert_string_equal(p, "gpseg");
    free(p);
    p = cluster_dir_prefix(NULL);
    assert_string_equal(p, "gpseg");
    free(p);
    /* Only segment 0's name counts. */
    SegmentInfo segs[2] = {{0}, {0}};
    segs[0].datadir = (char *)(uintptr_t)"/d/alpha3";
    segs[1].datadir = (char *)(uintptr_t)"/d/beta4";
    ClusterInfo two = {0};
    two.segments = segs;
    two.nsegments = 2;
    p = cluster_dir_prefix(&two);
    assert_string_equal(p, "alpha");
    free(p);
}

static void expect_dir(const char *backup_dir, bool single, const char *prefix,
                       const char *content, const char *datadir, const char *want)
{
    char *d = cluster_segment_dir(backup_dir, single, prefix, content, datadir, "20240102030405");
    if (strcmp(d, want) != 0) {
        char msg[512];
        snprintf(msg, sizeof msg, "segment dir: \"%s\", expected \"%s\"", d, want);
        free(d);
        fail_msg("%s", msg);
    }
    free(d);
}

static void test_segment_dir(void **state)
{
    (void)state;
    /* No --backup-dir: each segment's data directory. */
    expect_dir(NULL, false, "gpseg", "3", "/data/primary/gpseg3",
               "/data/primary/gpseg3/backups/20240102/20240102030405");
    expect_dir(NULL, false, "gpseg", "<SEGID>", "<SEG_DATA_DIR>",
               "<SEG_DATA_DIR>/backups/20240102/20240102030405");
    expect_dir(NULL, false, "gpseg", "-1", "/data/coordinator/gpseg-1",
               "/data/coordinator/gpseg-1/backups/20240102/20240102030405");
    /* --single-backup-dir: every segment under --backup-dir itself (the
     * prefix, content and data directory play no part). */
    expect_dir("/bk", true, "gpseg", "3", "/data/primary/gpseg3",
               "/bk/backups/20240102/20240102030405");
    expect_dir("/bk", true, "gpseg", "<SEGID>", "<SEG_DATA_DIR>",
               "/bk/backups/20240102/20240102030405");
    /* --backup-dir: <dir>/<prefix><content>. */
    expect_dir("/bk", false, "gpseg", "3", "/data/primary/gpseg3",
               "/bk/gpseg3/backups/20240102/20240102030405");
    expect_dir("/bk", false, "gpseg", "-1", "/data/coordinator/gpseg-1",
               "/bk/gpseg-1/backups/20240102/20240102030405");
    expect_dir("/bk", false, "demoDataDir", "<SEGID>", "<SEG_DATA_DIR>",
               "/bk/demoDataDir<SEGID>/backups/20240102/20240102030405");
    expect_dir("/a b/c'd", false, "gpseg", "0", "",
               "/a b/c'd/gpseg0/backups/20240102/20240102030405");
    /* gprestore --resize-cluster passes an empty data directory. */
    expect_dir("/bk", false, "gpseg", "7", "", "/bk/gpseg7/backups/20240102/20240102030405");
}

/* ---- statements ------------------------------------------------------------ */

#define TABLE "\"public\".\"Odd \"\"t\"\"\""
#define COLUMNS "(\"a\",\"B c\")"
#define PROGRAM "'/opt/gp/bin/gpbackup_helper --backup-file ''/x/y'''"

static void expect_sql(char *sql, const char *want)
{
    if (strcmp(sql, want) != 0) {
        char msg[2048];
        snprintf(msg, sizeof msg, "statement:\n  %s\nexpected:\n  %s", sql, want);
        free(sql);
        fail_msg("%s", msg);
    }
    free(sql);
}

static void test_copy_sql_postgres(void **state)
{
    (void)state;
    expect_sql(cluster_copy_to_sql(&pg, TABLE, COLUMNS, PROGRAM, false),
               "COPY " TABLE " " COLUMNS " TO PROGRAM " PROGRAM " WITH (FORMAT csv)");
    expect_sql(cluster_copy_from_sql(&pg, TABLE, COLUMNS, PROGRAM, false),
               "COPY " TABLE " " COLUMNS " FROM PROGRAM " PROGRAM " WITH (FORMAT csv)");
    /* Not on segments, an MPP server gets the plain form too. */
    expect_sql(cluster_copy_to_sql(&gp7, TABLE, COLUMNS, PROGRAM, false),
               "COPY " TABLE " " COLUMNS " TO PROGRAM " PROGRAM " WITH (FORMAT csv)");
    char *sql = cluster_copy_to_sql(&pg, TABLE, COLUMNS, PROGRAM, false);
    assert_null(strstr(sql, "ON SEGMENT"));
    assert_null(strstr(sql, "EXTERNAL"));
    free(sql);
}

static void test_copy_sql_mpp(void **state)
{
    (void)state;
    const ServerInfo *mpp[] = {&gp621, &gp7, &cb};
    for (size_t i = 0; i < sizeof mpp / sizeof mpp[0]; i++) {
        expect_sql(cluster_copy_to_sql(mpp[i], TABLE, COLUMNS, PROGRAM, true),
                   "COPY " TABLE " " COLUMNS " TO PROGRAM " PROGRAM
                   " WITH CSV DELIMITER ',' ON SEGMENT IGNORE EXTERNAL PARTITIONS");
        /* Loading takes no IGNORE EXTERNAL PARTITIONS. */
        expect_sql(cluster_copy_from_sql(mpp[i], TABLE, COLUMNS, PROGRAM, true),
                   "COPY " TABLE " " COLUMNS " FROM PROGRAM " PROGRAM
                   " WITH CSV DELIMITER ',' ON SEGMENT");
    }
}

static void test_read_files_sql(void **state)
{
    (void)state;
    const char *q = cluster_read_files_sql(&pg);
    assert_null(strstr(q, "gp_dist_random"));
    assert_null(strstr(q, "gp_segment_id"));
    assert_non_null(strstr(q, "pg_catalog.pg_read_file("));
    assert_non_null(strstr(q, "[1]"));
    assert_non_null(strstr(q, "$2"));
    const ServerInfo *mpp[] = {&gp620, &gp621, &gp7, &cb};
    for (size_t i = 0; i < sizeof mpp / sizeof mpp[0]; i++) {
        q = cluster_read_files_sql(mpp[i]);
        assert_non_null(strstr(q, "gp_dist_random('gp_id')"));
        assert_non_null(strstr(q, "pg_catalog.pg_read_file("));
        /* Element 1 is the coordinator's: content c reads element c + 2. */
        assert_non_null(strstr(q, "[gp_segment_id + 2]"));
        assert_non_null(strstr(q, "ORDER BY"));
        assert_non_null(strstr(q, "$2"));
    }
}

static void test_cluster_free(void **state)
{
    (void)state;
    ClusterInfo c = {0};
    cluster_free(&c);
    cluster_free(NULL);
    c.coordinator.hostname = xstrdup("cdw");
    c.coordinator.address = xstrdup("cdw");
    c.coordinator.datadir = xstrdup("/data/coordinator/gpseg-1");
    c.segments = xcalloc(2, sizeof *c.segments);
    c.nsegments = 2;
    for (size_t k = 0; k < 2; k++) {
        c.segments[k].content = (int)k;
        c.segments[k].hostname = xstrdup("sdw1");
        c.segments[k].address = xstrdup("sdw1");
        c.segments[k].datadir = xasprintf("/data/primary/gpseg%zu", k);
    }
    cluster_free(&c);
    assert_null(c.segments);
    assert_int_equal(c.nsegments, 0);
    assert_null(c.coordinator.datadir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_server_postgres),
        cmocka_unit_test(test_check_server_greenplum),
        cmocka_unit_test(test_is_mpp),
        cmocka_unit_test(test_dir_prefix),
        cmocka_unit_test(test_segment_dir),
        cmocka_unit_test(test_copy_sql_postgres),
        cmocka_unit_test(test_copy_sql_mpp),
        cmocka_unit_test(test_read_files_sql),
        cmocka_unit_test(test_cluster_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
