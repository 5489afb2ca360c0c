/* Signal handling: one thread waits for SIGINT and SIGTERM, sets the stop
 * flag and cancels every registered connection; the run then cleans up
 * normally and exits 2. */
#ifndef GPB_SIGNALS_H
#define GPB_SIGNALS_H

/* Block the signals in every thread and start the waiting thread. Call
 * before any other thread is created. */
void signals_start(void);

/* The signal received, or 0. */
int signals_received(void);

#endif
