/* Unit tests of the pure parts of snapshot/snapshot.c: server
 * classification, the LOCK statement per server flavour and version, and the
 * Greenplum pg_stat_last_operation query. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "snapshot.h"

static void test_parse_version(void **state)
{
    (void)state;
    ServerInfo s;
    snapshot_parse_version("PostgreSQL 15.18 (Debian 15.18-0+deb12u1) on x86_64-pc-linux-gnu", &s);
    assert_int_equal(s.flavor, SERVER_POSTGRES);
    assert_int_equal(s.gp_major, 0);

    snapshot_parse_version("PostgreSQL 9.4.26 (Greenplum Database 6.24.3 build commit:abc) on "
                           "x86_64-unknown-linux-gnu",
                           &s);
    assert_int_equal(s.flavor, SERVER_GREENPLUM);
    assert_int_equal(s.gp_major, 6);
    assert_int_equal(s.gp_minor, 24);

    snapshot_parse_version("PostgreSQL 12.12 (Greenplum Database 7.1.0 build commit:x)", &s);
    assert_int_equal(s.flavor, SERVER_GREENPLUM);
    assert_int_equal(s.gp_major, 7);
    assert_int_equal(s.gp_minor, 1);

    snapshot_parse_version("PostgreSQL 14.4 (Apache Cloudberry 1.6.0 build 1) on x86_64", &s);
    assert_int_equal(s.flavor, SERVER_CLOUDBERRY);
}

static void expect_lock(const ServerInfo *s, bool nowait, const char *want)
{
    char a[] = "\"public\".\"a\"", b[] = "\"s\".\"B b\"";
    char *names[] = {a, b};
    char *sql = snapshot_lock_statement(s, names, 2, nowait);
    assert_string_equal(sql, want);
    free(sql);
}

static void test_lock_statement(void **state)
{
    (void)state;
    ServerInfo pg = {SERVER_POSTGRES, 0, 0};
    expect_lock(&pg, false, "LOCK TABLE \"public\".\"a\", \"s\".\"B b\" IN ACCESS SHARE MODE");
    expect_lock(&pg, true, "LOCK TABLE \"public\".\"a\", \"s\".\"B b\" IN ACCESS SHARE MODE NOWAIT");
    ServerInfo gp620 = {SERVER_GREENPLUM, 6, 20};
    expect_lock(&gp620, false, "LOCK TABLE \"public\".\"a\", \"s\".\"B b\" IN ACCESS SHARE MODE");
    ServerInfo gp621 = {SERVER_GREENPLUM, 6, 21};
    expect_lock(&gp621, true,
                "LOCK TABLE \"public\".\"a\", \"s\".\"B b\" IN ACCESS SHARE MODE NOWAIT MASTER ONLY");
    ServerInfo gp7 = {SERVER_GREENPLUM, 7, 0};
    expect_lock(&gp7, false,
                "LOCK TABLE \"public\".\"a\", \"s\".\"B b\" IN ACCESS SHARE MODE COORDINATOR ONLY");
    ServerInfo cb = {SERVER_CLOUDBERRY, 0, 0};
    expect_lock(&cb, true, "LOCK TABLE \"public\".\"a\", \"s\".\"B b\" IN ACCESS SHARE MODE NOWAIT");
    expect_lock(NULL, false, "LOCK TABLE \"public\".\"a\", \"s\".\"B b\" IN ACCESS SHARE MODE");
}

static void test_last_operation_sql(void **state)
{
    (void)state;
    assert_string_equal(
        snapshot_last_operation_sql(),
        "SELECT n.nspname, c.relname, o.staactionname, o.stasubtype, o.statime "
        "FROM pg_catalog.pg_stat_last_operation o "
        "JOIN pg_catalog.pg_class c ON c.oid = o.objid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE o.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "
        "  AND o.objid = ANY($1::pg_catalog.oid[]) "
        "  AND o.statime >= $2::pg_catalog.timestamptz "
        "  AND o.staactionname IN ('TRUNCATE', 'ALTER', 'DROP', 'VACUUM', 'REINDEX') "
        "ORDER BY o.statime, n.nspname, c.relname");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_version),
        cmocka_unit_test(test_lock_statement),
        cmocka_unit_test(test_last_operation_sql),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
