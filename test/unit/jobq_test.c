/* Unit tests of common/jobq.c: FIFO order across ring wrap-around and
 * growth, the closed-queue contract (drain, then NULL), the timed pop, and
 * many producers and consumers exchanging 100k items with none lost, none
 * duplicated and each producer's items seen in order by every consumer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "jobq.h"
#include "util.h"

/* Items are small integers carried in the pointer; 0 would read as NULL. */
#define ITEM(i) ((void *)(uintptr_t)(i))
#define ID(p) ((size_t)(uintptr_t)(p))

static void test_fifo_order(void **state)
{
    JobQueue *q = jobq_new();
    assert_int_equal(jobq_len(q), 0);
    for (size_t i = 1; i <= 10; i++) {
        jobq_push(q, ITEM(i));
        assert_int_equal(jobq_len(q), i);
    }
    for (size_t i = 1; i <= 10; i++) {
        assert_int_equal(ID(jobq_pop(q)), i);
        assert_int_equal(jobq_len(q), 10 - i);
    }
    assert_null(jobq_try_pop(q));
    jobq_free(q);
}

static void test_try_pop(void **state)
{
    JobQueue *q = jobq_new();
    assert_null(jobq_try_pop(q));
    jobq_push(q, ITEM(7));
    jobq_push(q, ITEM(8));
    assert_int_equal(ID(jobq_try_pop(q)), 7);
    assert_int_equal(ID(jobq_try_pop(q)), 8);
    assert_null(jobq_try_pop(q));
    assert_int_equal(jobq_len(q), 0);
    jobq_free(q);
}

/* Growth must keep order even when the ring has wrapped, i.e. when the
 * oldest item is not at index 0 at the moment the ring is enlarged. */
static void test_growth_with_wrapped_ring(void **state)
{
    JobQueue *q = jobq_new();
    size_t next_in = 1, next_out = 1;
    /* Shift the head well into the initial ring, then overfill it. */
    for (int i = 0; i < 12; i++)
        jobq_push(q, ITEM(next_in++));
    for (int i = 0; i < 9; i++)
        assert_int_equal(ID(jobq_pop(q)), next_out++);
    for (int round = 0; round < 5; round++) {
        /* Grow by a lot, drain part, repeat: several growths at odd heads. */
        for (int i = 0; i < 37 * (round + 1); i++)
            jobq_push(q, ITEM(next_in++));
        for (int i = 0; i < 23 * (round + 1); i++)
            assert_int_equal(ID(jobq_pop(q)), next_out++);
        assert_int_equal(jobq_len(q), next_in - next_out);
    }
    for (int i = 0; i < 5000; i++)
        jobq_push(q, ITEM(next_in++));
    assert_int_equal(jobq_len(q), next_in - next_out);
    while (next_out < next_in)
        assert_int_equal(ID(jobq_pop(q)), next_out++);
    assert_int_equal(jobq_len(q), 0);
    assert_null(jobq_try_pop(q));
    jobq_free(q);
}

/* push_front: the next pop takes the item; fronts come out last-in first
 * out, before everything pushed at the back, which keeps its order. */
static void test_push_front_order(void **state)
{
    JobQueue *q = jobq_new();
    /* On an empty queue. */
    jobq_push_front(q, ITEM(5));
    assert_int_equal(jobq_len(q), 1);
    assert_int_equal(ID(jobq_pop(q)), 5);
    assert_null(jobq_try_pop(q));

    for (size_t i = 1; i <= 4; i++)
        jobq_push(q, ITEM(i));
    jobq_push_front(q, ITEM(100));
    assert_int_equal(jobq_len(q), 5);
    assert_int_equal(ID(jobq_pop(q)), 100);
    jobq_push_front(q, ITEM(101));
    jobq_push_front(q, ITEM(102));
    jobq_push(q, ITEM(5));
    jobq_push_front(q, ITEM(103));
    assert_int_equal(jobq_len(q), 8);
    static const size_t want[] = {103, 102, 101, 1, 2, 3, 4, 5};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        assert_int_equal(ID(jobq_pop(q)), want[i]);
    assert_int_equal(jobq_len(q), 0);
    assert_null(jobq_try_pop(q));

    /* Every kind of pop takes the front. */
    jobq_push(q, ITEM(1));
    jobq_push_front(q, ITEM(2));
    assert_int_equal(ID(jobq_try_pop(q)), 2);
    jobq_push_front(q, ITEM(3));
    assert_int_equal(ID(jobq_pop_timeout(q, 1000)), 3);
    assert_int_equal(ID(jobq_pop(q)), 1);
    assert_null(jobq_try_pop(q));

    /* A closed queue still takes fronts and drains them first. */
    jobq_push(q, ITEM(8));
    jobq_close(q);
    jobq_push_front(q, ITEM(9));
    assert_int_equal(ID(jobq_pop(q)), 9);
    assert_int_equal(ID(jobq_pop(q)), 8);
    assert_null(jobq_pop(q));
    jobq_free(q);
}

/* A model of the queue: a plain array with room on both sides. */
typedef struct Model {
    size_t *items;
    size_t first, end; /* items[first, end) */
} Model;

static void check_drain(JobQueue *q, Model *m)
{
    assert_int_equal(jobq_len(q), m->end - m->first);
    while (m->first < m->end)
        assert_int_equal(ID(jobq_pop(q)), m->items[m->first++]);
    assert_int_equal(jobq_len(q), 0);
    assert_null(jobq_try_pop(q));
}

/* push_front at every position of the head in the ring (at index 0 it
 * must wrap to the end), and growth with fronts in the ring: pushes and
 * fronts beyond the initial capacity, at odd heads. */
static void test_push_front_wrap_and_growth(void **state)
{
    enum { ROOM = 20000 };
    Model m = {.items = xcalloc(2 * ROOM, sizeof(size_t)), .first = ROOM, .end = ROOM};
    size_t next = 1;
    /* The head at every index of the initial ring (16 slots), then a front
     * (the head moves back, wrapping at 0), then enough to grow. */
    for (size_t shift = 0; shift < 40; shift++) {
        JobQueue *q = jobq_new();
        m.first = m.end = ROOM;
        for (size_t i = 0; i < shift; i++) {
            jobq_push(q, ITEM(next));
            assert_int_equal(ID(jobq_pop(q)), next);
            next++;
        }
        for (size_t i = 0; i < 3; i++) {
            jobq_push(q, ITEM(next));
            m.items[m.end++] = next++;
        }
        jobq_push_front(q, ITEM(next));
        m.items[--m.first] = next++;
        jobq_push_front(q, ITEM(next));
        m.items[--m.first] = next++;
        /* Past 16 and past 32 items, fronts and backs interleaved. */
        for (size_t i = 0; i < 20 + shift; i++) {
            if (i % 3 == 0) {
                jobq_push(q, ITEM(next));
                m.items[m.end++] = next++;
            } else {
                jobq_push_front(q, ITEM(next));
                m.items[--m.first] = next++;
            }
        }
        /* Take a few, then put more in front: the head wraps in the grown
         * ring too. */
        for (size_t i = 0; i < 5; i++)
            assert_int_equal(ID(jobq_pop(q)), m.items[m.first++]);
        for (size_t i = 0; i < 10; i++) {
            jobq_push_front(q, ITEM(next));
            m.items[--m.first] = next++;
        }
        check_drain(q, &m);
        jobq_free(q);
    }

    /* Only fronts, far beyond the initial capacity: LIFO. */
    JobQueue *q = jobq_new();
    m.first = m.end = ROOM;
    for (size_t i = 0; i < 5000; i++) {
        jobq_push_front(q, ITEM(next));
        m.items[--m.first] = next++;
    }
    check_drain(q, &m);

    /* Long-running mix on one queue: the head goes round the ring many
     * times in both directions while the queue grows. */
    m.first = m.end = ROOM;
    for (size_t round = 0; round < 200; round++) {
        for (size_t i = 0; i < (round % 7) + 3; i++) {
            if ((i + round) % 2) {
                jobq_push(q, ITEM(next));
                m.items[m.end++] = next++;
            } else {
                jobq_push_front(q, ITEM(next));
                m.items[--m.first] = next++;
            }
        }
        for (size_t i = 0; i < (round % 5) + 1 && m.first < m.end; i++)
            assert_int_equal(ID(jobq_pop(q)), m.items[m.first++]);
        assert_int_equal(jobq_len(q), m.end - m.first);
    }
    check_drain(q, &m);
    jobq_free(q);
    free(m.items);
}

static void test_closed_queue(void **state)
{
    JobQueue *q = jobq_new();
    jobq_close(q);
    /* Closed and empty: no wait, NULL. */
    assert_null(jobq_pop(q));
    assert_null(jobq_pop(q));
    /* Pushing after close still queues, and the items drain before NULL. */
    jobq_push(q, ITEM(1));
    jobq_push(q, ITEM(2));
    assert_int_equal(jobq_len(q), 2);
    assert_int_equal(ID(jobq_pop(q)), 1);
    assert_int_equal(ID(jobq_pop_timeout(q, 1000)), 2);
    assert_null(jobq_pop(q));
    assert_null(jobq_try_pop(q));

    double start = now_monotonic();
    assert_null(jobq_pop_timeout(q, 5000));
    assert_true(now_monotonic() - start < 1.0);
    jobq_free(q);
    jobq_free(NULL);
}

static void *pop_one(void *arg)
{
    return jobq_pop(arg);
}

/* A waiter blocked in jobq_pop is woken by close and gets NULL. */
static void test_close_wakes_waiter(void **state)
{
    JobQueue *q = jobq_new();
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, pop_one, q), 0);
    struct timespec pause = {0, 50 * 1000000L};
    nanosleep(&pause, NULL);
    jobq_close(q);
    void *got = ITEM(1);
    assert_int_equal(pthread_join(t, &got), 0);
    assert_null(got);
    jobq_free(q);
}

#define WAITERS 6

typedef struct Waiter {
    JobQueue *q;
    bool timed;
    atomic_int *done;
    void *got;
} Waiter;

static void *wait_and_count(void *arg)
{
    Waiter *w = arg;
    w->got = w->timed ? jobq_pop_timeout(w->q, 60000) : jobq_pop(w->q);
    atomic_fetch_add(w->done, 1);
    return NULL;
}

/* Close wakes every waiter, not just one: a pool of idle workers must all
 * see the end. */
static void test_close_wakes_all_waiters(void **state)
{
    JobQueue *q = jobq_new();
    atomic_int done = 0;
    Waiter w[WAITERS];
    pthread_t t[WAITERS];
    for (int i = 0; i < WAITERS; i++) {
        w[i] = (Waiter){.q = q, .timed = i % 2, .done = &done, .got = ITEM(1)};
        assert_int_equal(pthread_create(&t[i], NULL, wait_and_count, &w[i]), 0);
    }
    struct timespec pause = {0, 100 * 1000000L};
    nanosleep(&pause, NULL);
    assert_int_equal(atomic_load(&done), 0);
    jobq_close(q);
    double deadline = now_monotonic() + 10.0;
    while (atomic_load(&done) < WAITERS && now_monotonic() < deadline) {
        struct timespec tick = {0, 10 * 1000000L};
        nanosleep(&tick, NULL);
    }
    int woken = atomic_load(&done);
    if (woken < WAITERS)
        /* The rest are still blocked: leave them and the queue alone. */
        fail_msg("close woke %d of %d waiters", woken, WAITERS);
    for (int i = 0; i < WAITERS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_null(w[i].got);
    }
    jobq_free(q);
}

/* A waiter blocked in jobq_pop receives an item pushed later. */
static void test_push_wakes_waiter(void **state)
{
    JobQueue *q = jobq_new();
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, pop_one, q), 0);
    struct timespec pause = {0, 50 * 1000000L};
    nanosleep(&pause, NULL);
    jobq_push(q, ITEM(42));
    void *got = NULL;
    assert_int_equal(pthread_join(t, &got), 0);
    assert_int_equal(ID(got), 42);
    assert_int_equal(jobq_len(q), 0);
    jobq_free(q);
}

static void test_pop_timeout_expires(void **state)
{
    JobQueue *q = jobq_new();
    const int timeouts_ms[] = {0, 1, 150, 999, 1001};
    for (size_t i = 0; i < sizeof timeouts_ms / sizeof timeouts_ms[0]; i++) {
        int ms = timeouts_ms[i];
        double start = now_monotonic();
        assert_null(jobq_pop_timeout(q, ms));
        double elapsed = now_monotonic() - start;
        if (elapsed < ms / 1000.0 - 0.005 || elapsed > ms / 1000.0 + 1.0)
            fail_msg("jobq_pop_timeout(%d) returned after %.3f s", ms, elapsed);
    }
    /* An item already there comes back at once. */
    jobq_push(q, ITEM(3));
    double start = now_monotonic();
    assert_int_equal(ID(jobq_pop_timeout(q, 10000)), 3);
    assert_true(now_monotonic() - start < 1.0);
    jobq_free(q);
}

typedef struct TimedPop {
    JobQueue *q;
    int timeout_ms;
    void *got;
    double elapsed;
} TimedPop;

static void *timed_pop(void *arg)
{
    TimedPop *tp = arg;
    double start = now_monotonic();
    tp->got = jobq_pop_timeout(tp->q, tp->timeout_ms);
    tp->elapsed = now_monotonic() - start;
    return NULL;
}

/* A push before the deadline ends the wait early with that item. */
static void test_pop_timeout_woken_by_push(void **state)
{
    JobQueue *q = jobq_new();
    TimedPop tp = {.q = q, .timeout_ms = 20000};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, timed_pop, &tp), 0);
    struct timespec pause = {0, 100 * 1000000L};
    nanosleep(&pause, NULL);
    jobq_push(q, ITEM(99));
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(ID(tp.got), 99);
    assert_true(tp.elapsed < 10.0);
    jobq_free(q);
}

/* Close before the deadline ends the wait early with NULL. */
static void test_pop_timeout_woken_by_close(void **state)
{
    JobQueue *q = jobq_new();
    TimedPop tp = {.q = q, .timeout_ms = 20000, .got = ITEM(1)};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, timed_pop, &tp), 0);
    struct timespec pause = {0, 100 * 1000000L};
    nanosleep(&pause, NULL);
    jobq_close(q);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_null(tp.got);
    assert_true(tp.elapsed < 10.0);
    jobq_free(q);
}

/* A waiter blocked in jobq_pop (or jobq_pop_timeout) is woken by
 * push_front too, and gets that item. A waiter that is not woken fails the
 * test instead of hanging it. */
static void test_push_front_wakes_waiter(void **state)
{
    JobQueue *q = jobq_new();
    atomic_int done = 0;
    Waiter w = {.q = q, .timed = false, .done = &done, .got = NULL};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, wait_and_count, &w), 0);
    struct timespec pause = {0, 50 * 1000000L};
    nanosleep(&pause, NULL);
    assert_int_equal(atomic_load(&done), 0);
    jobq_push_front(q, ITEM(43));
    double deadline = now_monotonic() + 10.0;
    while (atomic_load(&done) < 1 && now_monotonic() < deadline) {
        struct timespec tick = {0, 10 * 1000000L};
        nanosleep(&tick, NULL);
    }
    if (atomic_load(&done) < 1)
        /* Still blocked: leave it and the queue alone. */
        fail_msg("push_front did not wake a waiter in jobq_pop");
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(ID(w.got), 43);
    assert_int_equal(jobq_len(q), 0);

    TimedPop tp = {.q = q, .timeout_ms = 20000};
    assert_int_equal(pthread_create(&t, NULL, timed_pop, &tp), 0);
    pause.tv_nsec = 100 * 1000000L;
    nanosleep(&pause, NULL);
    jobq_push_front(q, ITEM(44));
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(ID(tp.got), 44);
    assert_true(tp.elapsed < 10.0);
    assert_int_equal(jobq_len(q), 0);
    jobq_free(q);
}

#define PRODUCERS 4
#define CONSUMERS 4
#define PER_PRODUCER 25000
#define TOTAL (PRODUCERS * PER_PRODUCER)

typedef struct Producer {
    JobQueue *q;
    int index;
} Producer;

/* Each consumer keeps its own tallies; the main thread merges them after
 * join, so the test itself shares nothing but the queue. */
typedef struct Consumer {
    JobQueue *q;
    unsigned char *seen;               /* TOTAL + 1 counters */
    size_t last[PRODUCERS];            /* last item seen from each producer */
    size_t received;
    size_t out_of_order;
} Consumer;

static void *produce(void *arg)
{
    Producer *p = arg;
    for (size_t i = 0; i < PER_PRODUCER; i++)
        jobq_push(p->q, ITEM((size_t)p->index * PER_PRODUCER + i + 1));
    return NULL;
}

static void *consume(void *arg)
{
    Consumer *c = arg;
    void *item;
    while ((item = jobq_pop(c->q)) != NULL) {
        size_t id = ID(item);
        if (id == 0 || id > TOTAL) {
            c->out_of_order++;
            continue;
        }
        if (c->seen[id] < 255)
            c->seen[id]++;
        c->received++;
        /* One consumer pops sequentially from a FIFO, so it sees any one
         * producer's items in increasing order. */
        size_t producer = (id - 1) / PER_PRODUCER;
        if (id <= c->last[producer])
            c->out_of_order++;
        c->last[producer] = id;
    }
    return NULL;
}

static void test_producers_consumers(void **state)
{
    JobQueue *q = jobq_new();
    Producer producers[PRODUCERS];
    Consumer consumers[CONSUMERS];
    pthread_t pt[PRODUCERS], ct[CONSUMERS];
    for (int i = 0; i < CONSUMERS; i++) {
        memset(&consumers[i], 0, sizeof consumers[i]);
        consumers[i].q = q;
        consumers[i].seen = xcalloc(TOTAL + 1, 1);
        assert_int_equal(pthread_create(&ct[i], NULL, consume, &consumers[i]), 0);
    }
    for (int i = 0; i < PRODUCERS; i++) {
        producers[i] = (Producer){.q = q, .index = i};
        assert_int_equal(pthread_create(&pt[i], NULL, produce, &producers[i]), 0);
    }
    for (int i = 0; i < PRODUCERS; i++)
        assert_int_equal(pthread_join(pt[i], NULL), 0);
    jobq_close(q);
    for (int i = 0; i < CONSUMERS; i++)
        assert_int_equal(pthread_join(ct[i], NULL), 0);

    size_t received = 0, out_of_order = 0, missing = 0, duplicated = 0;
    for (int i = 0; i < CONSUMERS; i++) {
        received += consumers[i].received;
        out_of_order += consumers[i].out_of_order;
    }
    for (size_t id = 1; id <= TOTAL; id++) {
        unsigned times = 0;
        for (int i = 0; i < CONSUMERS; i++)
            times += consumers[i].seen[id];
        if (times == 0)
            missing++;
        else if (times > 1)
            duplicated++;
    }
    for (int i = 0; i < CONSUMERS; i++)
        free(consumers[i].seen);
    assert_int_equal(jobq_len(q), 0);
    jobq_free(q);
    if (received != TOTAL || missing || duplicated || out_of_order)
        fail_msg("received %zu of %d items: %zu missing, %zu duplicated, %zu out of order",
                 received, TOTAL, missing, duplicated, out_of_order);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_order),
        cmocka_unit_test(test_try_pop),
        cmocka_unit_test(test_growth_with_wrapped_ring),
        cmocka_unit_test(test_push_front_order),
        cmocka_unit_test(test_push_front_wrap_and_growth),
        cmocka_unit_test(test_closed_queue),
        cmocka_unit_test(test_close_wakes_waiter),
        cmocka_unit_test(test_close_wakes_all_waiters),
        cmocka_unit_test(test_push_wakes_waiter),
        cmocka_unit_test(test_pop_timeout_expires),
        cmocka_unit_test(test_pop_timeout_woken_by_push),
        cmocka_unit_test(test_pop_timeout_woken_by_close),
        cmocka_unit_test(test_push_front_wakes_waiter),
        cmocka_unit_test(test_producers_consumers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
