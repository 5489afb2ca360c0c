/* The restore pipeline: one call that runs the whole restore as a script of
 * named steps (restore/restore.c), and the worker pool it uses for the data
 * and post-data phases (restore/pool.c). */
#ifndef GPB_RESTORE_H
#define GPB_RESTORE_H

#include <stddef.h>

#include "conn.h"
#include "error.h"
#include "options.h"

/* Run a restore. command_line is shown in logs and the report. */
Error *restore_run(const RestoreOptions *opts, const char *command_line);

/* A task of the pool: run on one of the pool's connections. */
typedef Error *(*PoolTaskFn)(Conn *c, void *item, void *ctx);

/* Called by the leader for each finished item (err is NULL on success and
 * owned by the callback). Returns false to stop handing out new items. */
typedef bool (*PoolDoneFn)(void *item, Error *err, void *ctx);

typedef struct Pool Pool;

/* Open n connections to dbname (session defaults, client_encoding). */
Error *pool_open(const ConnOptions *conn, const char *dbname, const char *application_name,
                 const char *encoding, int n, Pool **out);
/* Run fn over items[0..n) on the pool's connections, in order of the
 * array; done is called by the calling thread as items finish. */
void pool_run(Pool *p, void **items, size_t n, PoolTaskFn fn, PoolDoneFn done, void *ctx,
              const char *what, const unsigned long long *weights);
/* The same where item i starts only once items waits_for[i][0..nwaits[i])
 * have finished (successfully or not); the graph must have no cycle. Items
 * ready at the start run in the order of the array; an item that becomes
 * ready later runs before those already waiting (items made ready by the
 * same finish keep their order). After a stop, items not yet handed out
 * are never run. */
void pool_run_graph(Pool *p, void **items, size_t n, const size_t *const *waits_for,
                    const size_t *nwaits, PoolTaskFn fn, PoolDoneFn done, void *ctx,
                    const char *what, const unsigned long long *weights);
void pool_close(Pool *p);                     /* accepts NULL */

/* Open one restore connection the same way the pool does. */
Error *restore_connect(const ConnOptions *conn, const char *dbname, const char *application_name,
                       const char *encoding, Conn **out);

#endif
