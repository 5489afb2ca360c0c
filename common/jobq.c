/* The job queue: a mutex, a condition variable and a growable ring. */
#include "jobq.h"

#include <errno.h>
#include <stdlib.h>
#include <pthread.h>
#include <time.h>

#include "util.h"

struct JobQueue {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    void **ring;
    size_t head, len, cap;
    bool closed;
};

JobQueue *jobq_new(void)
{
    JobQueue *q = xcalloc(1, sizeof *q);
    pthread_mutex_init(&q->mutex, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cond, &attr);
    pthread_condattr_destroy(&attr);
    q->cap = 16;
    q->ring = xmalloc(q->cap * sizeof(void *));
    return q;
}

void jobq_free(JobQueue *q)
{
    if (!q)
        return;
    pthread_mutex_destroy(&q->mutex);
    pthread_cond_destroy(&q->cond);
    free(q->ring);
    free(q);
}

static void push_locked(JobQueue *q, void *item, bool front)
{
    if (q->len == q->cap) {
        void **ring = xmalloc(q->cap * 2 * sizeof(void *));
        for (size_t i = 0; i < q->len; i++)
            ring[i] = q->ring[(q->head + i) % q->cap];
        free(q->ring);
        q->ring = ring;
        q->head = 0;
        q->cap *= 2;
    }
    if (front) {
        q->head = (q->head + q->cap - 1) % q->cap;
        q->ring[q->head] = item;
    } else {
        q->ring[(q->head + q->len) % q->cap] = item;
    }
    q->len++;
}

void jobq_push(JobQueue *q, void *item)
{
    pthread_mutex_lock(&q->mutex);
    push_locked(q, item, false);
    pthread_cond_signal(&q->cond);
    pthread_mutex_unlock(&q->mutex);
}

void jobq_push_front(JobQueue *q, void *item)
{
    pthread_mutex_lock(&q->mutex);
    push_locked(q, item, true);
    pthread_cond_signal(&q->cond);
    pthread_mutex_unlock(&q->mutex);
}

static void *take_locked(JobQueue *q)
{
    void *item = q->ring[q->head];
    q->head = (q->head + 1) % q->cap;
    q->len--;
    return item;
}

void *jobq_pop(JobQueue *q)
{
    pthread_mutex_lock(&q->mutex);
    while (q->len == 0 && !q->closed)
        pthread_cond_wait(&q->cond, &q->mutex);
    void *item = q->len ? take_locked(q) : NULL;
    pthread_mutex_unlock(&q->mutex);
    return item;
}

void *jobq_pop_timeout(JobQueue *q, int timeout_ms)
{
    struct timespec deadline;
    if (timeout_ms < 0)
        timeout_ms = 0;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&q->mutex);
    while (q->len == 0 && !q->closed) {
        if (pthread_cond_timedwait(&q->cond, &q->mutex, &deadline) == ETIMEDOUT)
            break;
    }
    void *item = q->len ? take_locked(q) : NULL;
    pthread_mutex_unlock(&q->mutex);
    return item;
}

void *jobq_try_pop(JobQueue *q)
{
    pthread_mutex_lock(&q->mutex);
    void *item = q->len ? take_locked(q) : NULL;
    pthread_mutex_unlock(&q->mutex);
    return item;
}

void jobq_close(JobQueue *q)
{
    pthread_mutex_lock(&q->mutex);
    q->closed = true;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->mutex);
}

size_t jobq_len(JobQueue *q)
{
    pthread_mutex_lock(&q->mutex);
    size_t n = q->len;
    pthread_mutex_unlock(&q->mutex);
    return n;
}
