/* A blocking queue of pointers: the only channel between the leader and the
 * workers. Workers pop jobs and push results; only the leader touches shared
 * state. Items are not owned by the queue. */
#ifndef GPB_JOBQ_H
#define GPB_JOBQ_H

#include <stdbool.h>
#include <stddef.h>

typedef struct JobQueue JobQueue;

JobQueue *jobq_new(void);
void jobq_free(JobQueue *q);                  /* accepts NULL; items are not freed */

/* Append item (FIFO). Pushing to a closed queue is allowed and still queues. */
void jobq_push(JobQueue *q, void *item);

/* Put item first: the next pop takes it. */
void jobq_push_front(JobQueue *q, void *item);

/* Wait for an item. Returns NULL once the queue is closed and empty. */
void *jobq_pop(JobQueue *q);

/* Wait at most timeout_ms; NULL on timeout or closed and empty. */
void *jobq_pop_timeout(JobQueue *q, int timeout_ms);

/* Take an item if one is there, without waiting. */
void *jobq_try_pop(JobQueue *q);

/* No more items will come: wake every waiter. */
void jobq_close(JobQueue *q);

size_t jobq_len(JobQueue *q);

#endif
