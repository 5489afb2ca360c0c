/* Ready-order bookkeeping for a parallel run with prerequisites. */
#include "depgraph.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

struct DepGraph {
    size_t n;
    size_t *remaining;   /* prerequisites of item i not finished yet */
    size_t *first;       /* items waiting for i: next[first[i]], ..., next[first[i + 1] - 1] */
    size_t *next;
};

DepGraph *depgraph_new(size_t n, const size_t *const *waits_for, const size_t *nwaits)
{
    DepGraph *g = xcalloc(1, sizeof *g);
    g->n = n;
    g->remaining = xcalloc(n + 1, sizeof *g->remaining);
    g->first = xcalloc(n + 2, sizeof *g->first);
    size_t nedges = 0;
    for (size_t i = 0; waits_for && i < n; i++) {
        g->remaining[i] = nwaits[i];
        nedges += nwaits[i];
        for (size_t k = 0; k < nwaits[i]; k++)
            g->first[waits_for[i][k] + 1]++;
    }
    for (size_t i = 0; i < n; i++)
        g->first[i + 1] += g->first[i];
    g->next = xcalloc(nedges + 1, sizeof *g->next);
    size_t *fill = xcalloc(n + 1, sizeof *fill);
    memcpy(fill, g->first, n * sizeof *fill);
    /* In index order of the waiting items, so that ready lists come out
     * in index order. */
    for (size_t i = 0; waits_for && i < n; i++)
        for (size_t k = 0; k < nwaits[i]; k++)
            g->next[fill[waits_for[i][k]]++] = i;
    free(fill);
    return g;
}

void depgraph_free(DepGraph *g)
{
    if (!g)
        return;
    free(g->remaining);
    free(g->first);
    free(g->next);
    free(g);
}

size_t depgraph_initial(const DepGraph *g, size_t *ready)
{
    size_t m = 0;
    for (size_t i = 0; i < g->n; i++)
        if (g->remaining[i] == 0)
            ready[m++] = i;
    return m;
}

size_t depgraph_finish(DepGraph *g, size_t i, size_t *ready)
{
    size_t m = 0;
    for (size_t k = g->first[i]; k < g->first[i + 1]; k++) {
        size_t j = g->next[k];
        if (--g->remaining[j] == 0)
            ready[m++] = j;
    }
    return m;
}
