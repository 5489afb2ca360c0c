/* The restore worker pool: N connections, a job queue of items and a
 * results queue that the calling (leader) thread drains, so the leader
 * alone keeps counts, reports and error lists. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "depgraph.h"
#include "jobq.h"
#include "log.h"
#include "progress.h"
#include "restore.h"
#include "util.h"

typedef struct PoolWorker {
    int id;
    Conn *conn;
    pthread_t thread;
    struct Pool *pool;
} PoolWorker;

struct Pool {
    PoolWorker *workers;
    int n;
    JobQueue *work;
    JobQueue *results;
    PoolTaskFn fn;
    void *ctx;
};

typedef struct PoolItem {
    void *item;
    Error *err;
    size_t index;
} PoolItem;

Error *restore_connect(const ConnOptions *conn, const char *dbname, const char *application_name,
                       const char *encoding, Conn **out)
{
    Error *e = conn_open(conn, dbname, application_name, out);
    if (!e)
        e = conn_set_session_defaults(*out);
    /* A restore that stops half way is run again, so waiting for each
     * commit to reach the disk buys nothing; with thousands of one-table
     * transactions it is most of the time. Index builds get more memory
     * than the default 64 MB, per connection. */
    if (!e)
        e = conn_exec(*out, "SET synchronous_commit = off; SET maintenance_work_mem = '256MB'; "
                            "SET check_function_bodies = off");
    if (!e && encoding && *encoding) {
        char *lit = conn_quote_literal(*out, encoding);
        e = conn_execf(*out, "SET client_encoding = %s", lit);
        free(lit);
    }
    if (e) {
        conn_close(*out);
        *out = NULL;
    }
    return e;
}

Error *pool_open(const ConnOptions *conn, const char *dbname, const char *application_name,
                 const char *encoding, int n, Pool **out)
{
    Pool *p = xcalloc(1, sizeof *p);
    p->workers = xcalloc((size_t)n, sizeof(PoolWorker));
    p->n = n;
    for (int i = 0; i < n; i++) {
        p->workers[i].id = i + 1;
        p->workers[i].pool = p;
        Error *e = restore_connect(conn, dbname, application_name, encoding, &p->workers[i].conn);
        if (e) {
            pool_close(p);
            *out = NULL;
            return error_prefix(e, "could not open worker connection %d", i + 1);
        }
    }
    *out = p;
    return NULL;
}

static void *pool_worker_main(void *arg)
{
    PoolWorker *w = arg;
    Pool *p = w->pool;
    log_set_process(w->id);
    PoolItem *it;
    while ((it = jobq_pop(p->work)) != NULL) {
        if (conn_stop_requested())
            it->err = ERROR_NEW(ERR_CANCELED, "canceled");
        else
            it->err = p->fn(w->conn, it->item, p->ctx);
        jobq_push(p->results, it);
    }
    codec_thread_done();
    return NULL;
}

void pool_run(Pool *p, void **items, size_t n, PoolTaskFn fn, PoolDoneFn done, void *ctx,
              const char *what, const unsigned long long *weights)
{
    pool_run_graph(p, items, n, NULL, NULL, fn, done, ctx, what, weights);
}

void pool_run_graph(Pool *p, void **items, size_t n, const size_t *const *waits_for,
                    const size_t *nwaits, PoolTaskFn fn, PoolDoneFn done, void *ctx,
                    const char *what, const unsigned long long *weights)
{
    if (n == 0)
        return;
    p->fn = fn;
    p->ctx = ctx;
    p->work = jobq_new();
    p->results = jobq_new();
    PoolItem *pis = xcalloc(n, sizeof *pis);
    DepGraph *graph = depgraph_new(n, waits_for, nwaits);
    size_t *ready = xcalloc(n + 1, sizeof *ready);
    unsigned long long total = 0;
    for (size_t i = 0; i < n; i++) {
        pis[i].item = items[i];
        pis[i].index = i;
        total += weights ? weights[i] : 1;
    }
    size_t pushed = depgraph_initial(graph, ready);
    for (size_t k = 0; k < pushed; k++)
        jobq_push(p->work, &pis[ready[k]]);
    if (pushed == n)
        jobq_close(p->work);
    int started = 0;
    for (; started < p->n; started++)
        if (pthread_create(&p->workers[started].thread, NULL, pool_worker_main, &p->workers[started]))
            break;
    Progress *prog = progress_new(what, (int)n, total, weights != NULL);
    unsigned long long work_done = 0;
    size_t finished = 0;
    bool stop = false;
    /* With a stop, the items not handed out yet are never run. */
    while (finished < (stop ? pushed : n)) {
        PoolItem *it;
        if (started == 0) {
            /* No thread could start: run the items here, on the first
             * connection, in the order they become ready. */
            it = jobq_try_pop(p->work);
            if (it)
                it->err = conn_stop_requested() ? ERROR_NEW(ERR_CANCELED, "canceled")
                                                : fn(p->workers[0].conn, it->item, ctx);
        } else {
            it = jobq_pop_timeout(p->results, 200);
        }
        if (!it) {
            progress_update(prog, (int)finished, work_done, weights ? work_done : 0);
            continue;
        }
        finished++;
        work_done += weights ? weights[it->index] : 1;
        if (!stop && !done(it->item, it->err, ctx)) {
            stop = true;
            conn_request_stop();
        } else if (stop) {
            error_free(it->err);
        }
        it->err = NULL;
        /* What this item made ready goes first, in order: an index on a
         * table just loaded is built while other tables load, instead of
         * after all of them, alone at the end. */
        size_t m = depgraph_finish(graph, it->index, ready);
        for (size_t k = m; k-- > 0 && !stop;)
            jobq_push_front(p->work, &pis[ready[k]]);
        if (!stop)
            pushed += m;
        if (pushed == n || stop)
            jobq_close(p->work);
        progress_update(prog, (int)finished, work_done, weights ? work_done : 0);
    }
    jobq_close(p->work);
    progress_finish(prog);
    for (int i = 0; i < started; i++)
        pthread_join(p->workers[i].thread, NULL);
    depgraph_free(graph);
    free(ready);
    free(pis);
    jobq_free(p->work);
    jobq_free(p->results);
    p->work = p->results = NULL;
}

void pool_close(Pool *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->n; i++)
        conn_close(p->workers[i].conn);
    free(p->workers);
    free(p);
}
