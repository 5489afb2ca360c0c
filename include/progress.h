/* Progress of a long phase: on a terminal a line redrawn a few times a
 * second (items done/total, bytes, rate, ETA); otherwise a plain log line
 * every interval. Owned and updated by the leader thread only. */
#ifndef GPB_PROGRESS_H
#define GPB_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct Progress Progress;

/* what: "tables backed up"; total_work: estimated bytes of work (0 when
 * unknown, then no ETA); show_bytes: whether the lines show the bytes and
 * their rate (not for work counted in items alone). */
Progress *progress_new(const char *what, int total_items, uint64_t total_work, bool show_bytes);
/* Record the state; redraws or logs when it is time. work_done is in the
 * unit of total_work, bytes the data volume shown to the user. */
void progress_update(Progress *p, int items_done, uint64_t work_done, uint64_t bytes);
/* Final state and a closing line; frees p. Accepts NULL. */
void progress_finish(Progress *p);

#endif
