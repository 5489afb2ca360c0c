/* The order of a parallel run whose items wait for others: item i may start
 * once every item it waits for has finished. Pure bookkeeping, used by the
 * restore's worker pool (pool_run_graph) from the leader thread only. */
#ifndef GPB_DEPGRAPH_H
#define GPB_DEPGRAPH_H

#include <stddef.h>

typedef struct DepGraph DepGraph;

/* Items [0, n); item i waits for waits_for[i][0, nwaits[i]) (indexes below
 * n; a repeated index counts once per occurrence). waits_for and nwaits may
 * both be NULL: no item waits. The graph must have no cycle. */
DepGraph *depgraph_new(size_t n, const size_t *const *waits_for, const size_t *nwaits);
void depgraph_free(DepGraph *g);              /* accepts NULL */

/* The items that wait for nothing, in index order, into ready (room for n);
 * returns how many. */
size_t depgraph_initial(const DepGraph *g, size_t *ready);

/* Item i finished: the items that were waiting only for it any more, in
 * index order, into ready (room for n); returns how many. Each item is
 * reported ready once, by depgraph_initial or by one call of this. */
size_t depgraph_finish(DepGraph *g, size_t i, size_t *ready);

#endif
