/* Unit tests of the pure version branches of the metadata writers: what
 * differs between the PostgreSQL 12+ catalog and Greenplum 6's PostgreSQL
 * 9.4 catalog (CREATE SEQUENCE ... AS, pg_proc.prokind). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metadata.h"

static void test_sequence_create(void **state)
{
    (void)state;
    char *s = meta_sequence_create_sql(170000, "\"s\".\"q\"", "integer", "5", "2", "1",
                                       "2147483647", "1", false);
    assert_string_equal(s, "CREATE SEQUENCE \"s\".\"q\"\n    AS integer\n    START WITH 5\n"
                           "    INCREMENT BY 2\n    MINVALUE 1\n    MAXVALUE 2147483647\n"
                           "    CACHE 1;\n");
    free(s);
    s = meta_sequence_create_sql(100000, "q", "bigint", "1", "-1", "-9", "-1", "10", true);
    assert_string_equal(s, "CREATE SEQUENCE q\n    AS bigint\n    START WITH 1\n"
                           "    INCREMENT BY -1\n    MINVALUE -9\n    MAXVALUE -1\n"
                           "    CACHE 10\n    CYCLE;\n");
    free(s);
    /* Greenplum 6 (9.4): no AS clause. */
    s = meta_sequence_create_sql(90426, "\"app\".\"seq1\"", "bigint", "5", "2", "1",
                                 "9223372036854775807", "1", true);
    assert_string_equal(s, "CREATE SEQUENCE \"app\".\"seq1\"\n    START WITH 5\n"
                           "    INCREMENT BY 2\n    MINVALUE 1\n"
                           "    MAXVALUE 9223372036854775807\n    CACHE 1\n    CYCLE;\n");
    free(s);
    s = meta_sequence_create_sql(99999, "q", "bigint", "1", "1", "1", "2", "1", false);
    assert_null(strstr(s, " AS "));
    free(s);
}

static void test_prokind(void **state)
{
    (void)state;
    assert_string_equal(meta_prokind_expr(110000), "p.prokind");
    assert_string_equal(meta_prokind_expr(170004), "p.prokind");
    const char *old = meta_prokind_expr(90426);
    assert_non_null(strstr(old, "p.proisagg THEN 'a'"));
    assert_non_null(strstr(old, "p.proiswindow THEN 'w'"));
    assert_non_null(strstr(old, "ELSE 'f'"));
    assert_null(strstr(old, "prokind"));
    assert_string_equal(meta_prokind_expr(109999), old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequence_create),
        cmocka_unit_test(test_prokind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
