/* depgraph: the ready order of the restore's data and post-data run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "depgraph.h"

static void expect_ready(const size_t *got, size_t n, const size_t *want, size_t nwant)
{
    assert_int_equal(n, nwant);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(got[i], want[i]);
}

/* No prerequisites: everything is ready at once, in index order. */
static void test_no_waits(void **state)
{
    (void)state;
    size_t ready[4];
    DepGraph *g = depgraph_new(3, NULL, NULL);
    expect_ready(ready, depgraph_initial(g, ready), (size_t[]){0, 1, 2}, 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(depgraph_finish(g, i, ready), 0);
    depgraph_free(g);
    depgraph_free(NULL);
}

/* The restore's shape: tables 0-2 load; 3 "all data" waits for them; the
 * primary key of table 1 (4) waits for table 1 only; a comment on that key
 * (5) waits for it; a view (6) waits for all data; a foreign-key-like item
 * (7) waits for 4 and 6. */
static void test_restore_shape(void **state)
{
    (void)state;
    const size_t w3[] = {0, 1, 2}, w4[] = {1}, w5[] = {4}, w6[] = {3}, w7[] = {4, 6};
    const size_t *const waits[] = {NULL, NULL, NULL, w3, w4, w5, w6, w7};
    const size_t nwaits[] = {0, 0, 0, 3, 1, 1, 1, 2};
    size_t ready[9];
    DepGraph *g = depgraph_new(8, waits, nwaits);
    expect_ready(ready, depgraph_initial(g, ready), (size_t[]){0, 1, 2}, 3);
    /* Table 1 done first: its key may be built while 0 and 2 still load. */
    expect_ready(ready, depgraph_finish(g, 1, ready), (size_t[]){4}, 1);
    expect_ready(ready, depgraph_finish(g, 4, ready), (size_t[]){5}, 1);
    assert_int_equal(depgraph_finish(g, 0, ready), 0);
    assert_int_equal(depgraph_finish(g, 5, ready), 0);
    /* The last table releases the milestone, which releases the view. */
    expect_ready(ready, depgraph_finish(g, 2, ready), (size_t[]){3}, 1);
    expect_ready(ready, depgraph_finish(g, 3, ready), (size_t[]){6}, 1);
    expect_ready(ready, depgraph_finish(g, 6, ready), (size_t[]){7}, 1);
    assert_int_equal(depgraph_finish(g, 7, ready), 0);
    depgraph_free(g);
}

/* Several items released by one: in index order. A prerequisite listed
 * twice is waited for once per listing, and released once. */
static void test_fan_out_and_repeats(void **state)
{
    (void)state;
    const size_t w[] = {0}, w2[] = {0, 0}, w4[] = {0, 1};
    const size_t *const waits[] = {NULL, w, w2, w, w4};
    const size_t nwaits[] = {0, 1, 2, 1, 2};
    size_t ready[6];
    DepGraph *g = depgraph_new(5, waits, nwaits);
    expect_ready(ready, depgraph_initial(g, ready), (size_t[]){0}, 1);
    expect_ready(ready, depgraph_finish(g, 0, ready), (size_t[]){1, 2, 3}, 3);
    expect_ready(ready, depgraph_finish(g, 1, ready), (size_t[]){4}, 1);
    depgraph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_waits),
        cmocka_unit_test(test_restore_shape),
        cmocka_unit_test(test_fan_out_and_repeats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
