/* Perfetto export: the flows that have started and not yet ended, by the
 * time of their end (a binary min-heap of (t1, flow index)).
 *
 * The flow writers read the model's flows once, in start order, and write
 * each end when the sweep reaches its time: a flow's start is written as it
 * is read, its end is parked here until no flow read later can end before
 * it (every later flow starts, and so ends, no earlier than the one being
 * read). The heap holds only the flows in flight at the sweep's time (a
 * queue's items between put and get, a lock's hand-off, a pending future),
 * so the export's memory does not grow with the number of flows. */
#include "traces/trc_pf_internal.h"

#include <stdlib.h>

static inline bool pf_pend_less(const pf_pend *a, const pf_pend *b) {
    return a->t < b->t || (a->t == b->t && a->flow < b->flow);
}

int pf_pending_push(pf_pending *h, uint64_t t, uint64_t flow) {
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 256;
        pf_pend *v = realloc(h->v, cap * sizeof *v);
        if (!v) return -ERR_NOMEM;
        h->v = v;
        h->cap = cap;
    }
    pf_pend x = { t, flow };
    size_t i = h->n++;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!pf_pend_less(&x, &h->v[up])) break;
        h->v[i] = h->v[up];
        i = up;
    }
    h->v[i] = x;
    if (h->n > h->peak) h->peak = h->n;
    return 0;
}

pf_pend pf_pending_pop(pf_pending *h) {
    pf_pend top = h->v[0], x = h->v[--h->n];
    size_t i = 0, n = h->n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && pf_pend_less(&h->v[c + 1], &h->v[c])) c++;
        if (!pf_pend_less(&h->v[c], &x)) break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (n) h->v[i] = x;
    return top;
}

void pf_pending_free(pf_pending *h) {
    free(h->v);
    *h = (pf_pending){ 0 };
}
