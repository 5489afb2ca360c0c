/* Unit tests of common/util.c: string building, string lists, the checked
 * string helpers and the human formatting of sizes and durations. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static void test_strbuf_basic(void **state)
{
    StrBuf sb;
    sb_init(&sb);
    assert_int_equal(sb.len, 0);
    assert_string_equal(sb.data, "");
    sb_append(&sb, "abc");
    sb_append_len(&sb, "defXYZ", 3);
    assert_int_equal(sb.len, 6);
    assert_string_equal(sb.data, "abcdef");
    sb_printf(&sb, "%d-%s", 42, "x");
    assert_string_equal(sb.data, "abcdef42-x");
    assert_int_equal(sb.len, strlen(sb.data));
    sb_reset(&sb);
    assert_int_equal(sb.len, 0);
    assert_string_equal(sb.data, "");
    sb_append(&sb, "again");
    assert_string_equal(sb.data, "again");
    sb_free(&sb);
    assert_null(sb.data);
    sb_free(&sb);   /* twice is harmless */
}

static void test_strbuf_zero_initialised(void **state)
{
    /* A zeroed StrBuf inside a calloc'ed struct must work without sb_init. */
    StrBuf sb = {0};
    sb_append(&sb, "x");
    assert_string_equal(sb.data, "x");
    sb_free(&sb);
    StrBuf sb2 = {0};
    sb_reset(&sb2);
    assert_string_equal(sb2.data, "");
    sb_free(&sb2);
    StrBuf sb3 = {0};
    char *s = sb_steal(&sb3);
    assert_string_equal(s, "");
    free(s);
}

static void test_strbuf_growth_and_binary(void **state)
{
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < 10000; i++)
        sb_append(&sb, "0123456789");
    assert_int_equal(sb.len, 100000);
    assert_true(sb.cap > sb.len);
    for (size_t i = 0; i < sb.len; i++)
        if (sb.data[i] != (char)('0' + i % 10))
            fail_msg("wrong byte at %zu", i);
    assert_int_equal(sb.data[sb.len], '\0');

    sb_reset(&sb);
    sb_append_len(&sb, "a\0b", 3);
    assert_int_equal(sb.len, 3);
    assert_memory_equal(sb.data, "a\0b", 4);

    /* A printf longer than the initial capacity. */
    sb_reset(&sb);
    sb_printf(&sb, "%0500d|", 7);
    assert_int_equal(sb.len, 501);
    assert_int_equal(sb.data[499], '7');
    assert_int_equal(sb.data[500], '|');
    sb_free(&sb);
}

static void test_strbuf_steal(void **state)
{
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "owned");
    char *s = sb_steal(&sb);
    assert_string_equal(s, "owned");
    assert_null(sb.data);
    assert_int_equal(sb.len, 0);
    sb_append(&sb, "fresh");
    assert_string_equal(sb.data, "fresh");
    assert_string_equal(s, "owned");
    free(s);
    sb_free(&sb);
}

static void test_strlist(void **state)
{
    StrList l = {0};
    assert_false(strlist_contains(&l, "a"));
    char name[16];
    strcpy(name, "first");
    strlist_push(&l, name);
    strcpy(name, "changed");   /* the list holds its own copy */
    assert_string_equal(l.items[0], "first");
    assert_true(strlist_contains(&l, "first"));
    assert_false(strlist_contains(&l, "changed"));
    assert_false(strlist_contains(&l, "firs"));
    assert_false(strlist_contains(&l, "First"));

    for (int i = 0; i < 100; i++) {
        char buf[16];
        snprintf(buf, sizeof buf, "item%d", i);
        strlist_push(&l, buf);
    }
    assert_int_equal(l.n, 101);
    assert_string_equal(l.items[100], "item99");
    assert_true(strlist_contains(&l, "item57"));
    strlist_push(&l, "");
    assert_true(strlist_contains(&l, ""));

    strlist_free(&l);
    assert_int_equal(l.n, 0);
    assert_null(l.items);
    assert_false(strlist_contains(&l, "first"));
    strlist_free(&l);
}

static void test_xstr(void **state)
{
    assert_null(xstrdup(NULL));
    char *s = xstrdup("abc");
    assert_string_equal(s, "abc");
    free(s);
    s = xstrndup("abcdef", 3);
    assert_string_equal(s, "abc");
    free(s);
    s = xstrndup("ab", 10);
    assert_string_equal(s, "ab");
    free(s);
    s = xasprintf("%s=%d", "k", -5);
    assert_string_equal(s, "k=-5");
    free(s);
    int *z = xcalloc(4, sizeof *z);
    assert_int_equal(z[0] | z[1] | z[2] | z[3], 0);
    z = xrealloc(z, 1000 * sizeof *z);
    z[999] = 1;
    free(z);
    void *p = xmalloc(0);   /* never NULL */
    assert_non_null(p);
    free(p);
}

static void test_format_bytes(void **state)
{
    static const struct { uint64_t n; const char *want; } cases[] = {
        {0, "0 bytes"},
        {1023, "1023 bytes"},
        {1024, "1.0 kB"},
        {1536, "1.5 kB"},
        {12 * 1024, "12.0 kB"},
        {1024 * 1024 - 1, "1024.0 kB"},
        {3 * 1024 * 1024 / 2, "1.5 MB"},
        {3ULL * 1024 * 1024 * 1024 / 2, "1.5 GB"},
        {5ULL << 40, "5.0 TB"},
        {7ULL << 50, "7.0 PB"},
        {UINT64_MAX, "16384.0 PB"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        assert_ptr_equal(format_bytes(cases[i].n, buf, sizeof buf), buf);
        assert_string_equal(buf, cases[i].want);
    }
    /* A short buffer truncates but never overflows. */
    char small[8];
    memset(small, '#', sizeof small);
    format_bytes(3ULL * 1024 * 1024 * 1024 / 2, small, 4);
    assert_string_equal(small, "1.5");
    assert_int_equal(small[4], '#');
}

static void test_format_duration(void **state)
{
    static const struct { double s; const char *want; } cases[] = {
        {0, "0.0s"},
        {-3, "0.0s"},
        {4.2, "4.2s"},
        {59.9, "59.9s"},
        {60, "1m00s"},
        {65, "1m05s"},
        {119.6, "2m00s"},
        {3599, "59m59s"},
        {3600, "1h00m00s"},
        {3723, "1h02m03s"},
        {90061, "25h01m01s"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        assert_ptr_equal(format_duration(cases[i].s, buf, sizeof buf), buf);
        assert_string_equal(buf, cases[i].want);
    }
}

static void test_now_monotonic(void **state)
{
    double a = now_monotonic();
    double b = now_monotonic();
    assert_true(a > 0);
    assert_true(b >= a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strbuf_basic),
        cmocka_unit_test(test_strbuf_zero_initialised),
        cmocka_unit_test(test_strbuf_growth_and_binary),
        cmocka_unit_test(test_strbuf_steal),
        cmocka_unit_test(test_strlist),
        cmocka_unit_test(test_xstr),
        cmocka_unit_test(test_format_bytes),
        cmocka_unit_test(test_format_duration),
        cmocka_unit_test(test_now_monotonic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
